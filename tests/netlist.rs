//! Tests: netlist import, export and binding, cross-checked against Yosys,
//! Icarus Verilog and Verilator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tosim_cells::PinId;
use tosim_netlist::export::{
    write_cell_library_verilog, write_cell_library_verilog_with, write_json, write_verilog, write_verilog_with,
    VerilogOptions,
};
use tosim_netlist::import::{read_file, read_verilog, read_yosys_json, ImportError};
use tosim_netlist::library::Library;
use tosim_netlist::stats::stats;
use tosim_netlist::{eval, Gate, Netlist, NetlistBuilder};

use crate::support;

/// The Yosys gate set of the cross-checks (`abc -g`).
const GATES: &str = "AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX,AOI3,OAI3,AOI4,OAI4";

/// A small deterministic generator (xorshift64*), so vectors are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn bits(&mut self, w: usize) -> u128 {
        let v = (self.next() as u128) << 64 | self.next() as u128;
        if w >= 128 {
            v
        } else {
            v & ((1u128 << w) - 1)
        }
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed:\n{text}");
    text
}

/// Behavioural `y = a OP b` with `w`-bit operands, module `name`.
fn behavioural(name: &str, op: &str, w: usize) -> String {
    let yw = if op == "*" { 2 * w } else { w };
    format!(
        "module {name}(input [{}:0] a, input [{}:0] b, output [{}:0] y);\n  assign y = a {op} b;\nendmodule\n",
        w - 1,
        w - 1,
        yw - 1
    )
}

/// Synthesises `src` (top module `top`) with the flow of the cross-checks;
/// returns the JSON path, the `write_verilog -noattr` path and Yosys' `stat -tech cmos` total.
fn synth(dir: &Path, stem: &str, src: &str) -> (PathBuf, PathBuf, u64) {
    let v = dir.join(format!("{stem}.v"));
    std::fs::write(&v, src).unwrap();
    let json = dir.join(format!("{stem}.json"));
    let out_v = dir.join(format!("{stem}_syn.v"));
    let log = run(Command::new("yosys").arg("-p").arg(format!(
        "read_verilog {}; synth -flatten -top top; abc -g {GATES}; opt_clean; stat -tech cmos; write_json {}; write_verilog -noattr {}",
        v.display(),
        json.display(),
        out_v.display()
    )));
    (json, out_v, stat_transistors(&log))
}

/// The last `Estimated number of transistors: N` of a Yosys log (panics on a `+` total: incomplete).
fn stat_transistors(log: &str) -> u64 {
    let line = log.lines().rfind(|l| l.contains("Estimated number of transistors")).expect("stat -tech cmos output");
    let t = line.rsplit(':').next().unwrap().trim();
    assert!(!t.ends_with('+'), "Yosys could not cost every cell: {line}");
    t.parse().unwrap()
}

fn cells_by_type(n: &Netlist) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in n.cells() {
        *m.entry(n.cell_type(c).name.clone()).or_default() += 1;
    }
    m
}

/// Writes the exported netlist, its cell library, the reference design and a
/// testbench that applies `vectors` (one value per input bus) and prints both
/// designs' outputs; returns per vector (reference outputs, netlist outputs).
fn icarus(dir: &Path, n: &Netlist, reference: &str, vectors: &[Vec<u128>]) -> Vec<(Vec<u128>, Vec<u128>)> {
    let mut net = Vec::new();
    write_verilog(n, &mut net).unwrap();
    write_cell_library_verilog(n, &mut net).unwrap();
    std::fs::write(dir.join("dut.v"), &net).unwrap();
    std::fs::write(dir.join("ref.v"), reference).unwrap();
    let ins: Vec<(String, usize)> = n.inputs().iter().map(|b| (b.name.clone(), b.width())).collect();
    let outs: Vec<(String, usize)> = n.outputs().iter().map(|b| (b.name.clone(), b.width())).collect();
    let total: usize = ins.iter().map(|x| x.1).sum();
    let mut hex = String::new();
    for v in vectors {
        // {last input, ..., first input}: first input in the low bits.
        let mut word = String::new();
        for (k, (_, w)) in ins.iter().enumerate().rev() {
            for i in (0..*w).rev() {
                word.push(if v[k] >> i & 1 == 1 { '1' } else { '0' });
            }
        }
        hex.push_str(&word);
        hex.push('\n');
    }
    std::fs::write(dir.join("vec.bin"), hex).unwrap();
    let mut tb = String::from("module tb;\n");
    for (name, w) in &ins {
        tb += &format!("  reg [{}:0] {name};\n", w - 1);
    }
    for (name, w) in &outs {
        tb += &format!("  wire [{}:0] r_{name}, d_{name};\n", w - 1);
    }
    tb += &format!("  reg [{}:0] mem [0:{}];\n  integer i;\n", total - 1, vectors.len() - 1);
    let conn = |p: &str| -> String {
        ins.iter()
            .map(|(x, _)| format!(".{x}({x})"))
            .chain(outs.iter().map(|(x, _)| format!(".{x}({p}_{x})")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    tb += &format!(
        "  ref_top r({});\n  {} d({});\n",
        conn("r"),
        tosim_netlist::export::verilog_module_name(n),
        conn("d")
    );
    let lhs: Vec<&str> = ins.iter().rev().map(|x| x.0.as_str()).collect();
    let shows: Vec<String> = outs.iter().flat_map(|(x, _)| [format!("r_{x}"), format!("d_{x}")]).collect();
    tb += &format!(
        "  initial begin\n    $readmemb(\"{}\", mem);\n    for (i = 0; i < {}; i = i + 1) begin\n      {{{}}} = mem[i]; #1;\n      $display(\"{}\", {});\n    end\n    $finish;\n  end\nendmodule\n",
        dir.join("vec.bin").display(),
        vectors.len(),
        lhs.join(", "),
        vec!["%h"; shows.len()].join(" "),
        shows.join(", ")
    );
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    let exe = dir.join("sim.vvp");
    run(Command::new("iverilog")
        .arg("-o")
        .arg(&exe)
        .arg(dir.join("tb.v"))
        .arg(dir.join("ref.v"))
        .arg(dir.join("dut.v")));
    let out = run(Command::new("vvp").arg("-n").arg(&exe));
    let mut rows = Vec::new();
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 2 * outs.len() || f.iter().any(|x| u128::from_str_radix(x, 16).is_err()) {
            continue;
        }
        let val = |s: &str| u128::from_str_radix(s, 16).unwrap();
        rows.push((
            f.iter().step_by(2).map(|s| val(s)).collect(),
            f.iter().skip(1).step_by(2).map(|s| val(s)).collect(),
        ));
    }
    assert_eq!(rows.len(), vectors.len(), "Icarus output:\n{out}");
    rows
}

/// Rust's own arithmetic for `a OP b` on `w`-bit operands.
fn arith(op: &str, w: usize, a: u128, b: u128) -> u128 {
    let mask = |x: u128, w: usize| if w >= 128 { x } else { x & ((1u128 << w) - 1) };
    match op {
        "+" => mask(a + b, w),
        "*" => mask(a * b, 2 * w),
        "/" => a / b,
        "%" => a % b,
        _ => unreachable!(),
    }
}

/// One Yosys synthesis of the cross-checks.
struct Synth {
    stem: String,
    op: &'static str,
    width: usize,
    json: PathBuf,
    verilog: PathBuf,
    yosys_transistors: u64,
}

/// `a+b`, `a*b`, `a/b`, `a%b` at 8 and 16 bits (CI sizes), synthesised once per test run.
/// The full run adds 32 bits (see docs/netlist.md; `TOSIM_NETLIST_WIDTHS=8,16,32`).
fn syntheses() -> &'static [Synth] {
    static S: std::sync::OnceLock<Vec<Synth>> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        let dir = support::scratch("netlist_syntheses");
        let widths: Vec<usize> = std::env::var("TOSIM_NETLIST_WIDTHS")
            .ok()
            .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
            .unwrap_or_else(|| vec![8, 16]);
        let mut out = Vec::new();
        for (op, name) in [("+", "add"), ("*", "mul"), ("/", "div"), ("%", "mod")] {
            for &w in &widths {
                let stem = format!("{name}{w}");
                let t = std::time::Instant::now();
                let (json, verilog, yosys_transistors) = synth(&dir, &stem, &behavioural("top", op, w));
                eprintln!(
                    "{stem}: synthesised in {:.1} s, {yosys_transistors} transistors (Yosys)",
                    t.elapsed().as_secs_f64()
                );
                out.push(Synth { stem, op, width: w, json, verilog, yosys_transistors });
            }
        }
        out
    })
}

/// Yosys syntheses: import JSON and Verilog, check them against each other,
/// Rust arithmetic, and Icarus on the exported netlist next to the
/// behavioural source, 10,000 random vectors each.
#[test]
fn yosys_import_export_icarus() {
    if !support::tool("yosys") || !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("netlist_yosys_icarus");
    for s in syntheses() {
        let (op, w, stem) = (s.op, s.width, &s.stem);
        let nj = read_file(&s.json).unwrap_or_else(|e| panic!("{stem}: {e}"));
        let nv = read_file(&s.verilog).unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(cells_by_type(&nj), cells_by_type(&nv), "{stem}: JSON and Verilog imports differ");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ w as u64 ^ (op.as_bytes()[0] as u64) << 8);
        let vectors: Vec<Vec<u128>> = (0..10_000)
            .map(|_| {
                let a = rng.bits(w);
                let mut b = rng.bits(w);
                if (op == "/" || op == "%") && b == 0 {
                    b = 1; // Verilog gives x for division by zero.
                }
                vec![a, b]
            })
            .collect();
        for v in &vectors {
            let want = arith(op, w, v[0], v[1]);
            assert_eq!(eval(&nj, v), vec![want], "{stem} JSON import: {v:?}");
            assert_eq!(eval(&nv, v), vec![want], "{stem} Verilog import: {v:?}");
        }
        let sub = dir.join(stem);
        std::fs::create_dir_all(&sub).unwrap();
        let rows = icarus(&sub, &nj, &behavioural("ref_top", op, w), &vectors);
        for (v, (r, d)) in vectors.iter().zip(&rows) {
            assert_eq!(r, d, "{stem}: exported netlist differs from the behavioural design on {v:?}");
            assert_eq!(&eval(&nj, v), d, "{stem}: scalar evaluator differs from Icarus on {v:?}");
        }
    }
}

fn data(name: &str) -> PathBuf {
    support::repo().join("tests/data/netlist").join(name)
}

fn read_data(name: &str) -> Result<Netlist, ImportError> {
    read_file(&data(name))
}

/// Every input combination of a netlist with few input bits, as bus values.
fn all_vectors(n: &Netlist) -> Vec<Vec<u128>> {
    let widths: Vec<usize> = n.inputs().iter().map(|b| b.width()).collect();
    let total: usize = widths.iter().sum();
    assert!(total <= 16);
    (0..1u128 << total)
        .map(|mut x| {
            widths
                .iter()
                .map(|&w| {
                    let v = x & ((1 << w) - 1);
                    x >>= w;
                    v
                })
                .collect()
        })
        .collect()
}

/// Bit `i` of `x`.
fn bit(x: u128, i: usize) -> bool {
    x >> i & 1 == 1
}

/// The hand-written designs compute what their comments say, exhaustively.
#[test]
fn hand_written_designs_exhaustive() {
    let g = read_data("gates.v").unwrap();
    // 6 input bits + 2 wide buses of 4 = 10 bits: 1,024 rows.
    for v in all_vectors(&g) {
        let (a, b, c, d) = (v[0], v[1], bit(v[2], 0), bit(v[3], 0));
        let (a, b) = (|i| bit(a, i), |i| bit(b, i));
        let want = [
            !a(0),
            !(a(0) & b(0)),
            !(a(1) | b(1)),
            a(2) & b(2),
            a(3) | b(3),
            a(0) ^ b(1),
            !(a(1) ^ b(2)),
            a(2) & !b(3),
            a(3) | !b(0),
            if c { b(1) } else { a(1) },
            !(if d { b(2) } else { a(2) }),
            !((a(0) & b(0)) | c),
            !((a(1) | b(1)) & d),
            !((a(2) & b(2)) | (c & d)),
            !((a(3) | b(3)) & (c | d)),
            false,
        ];
        let want = want.iter().enumerate().fold(0u128, |acc, (i, &x)| acc | u128::from(x) << i);
        assert_eq!(eval(&g, &v), vec![want], "gates.v on {v:?}");
    }
    // Every assign is one gate of the type its form names; y[15] is a constant, t a connection.
    let by = cells_by_type(&g);
    assert_eq!(by.values().sum::<usize>(), 15, "{by:?}");
    assert_eq!(by.len(), 15, "{by:?}");

    let r = read_data("ripple4.v").unwrap();
    for v in all_vectors(&r) {
        let sum = v[0] + v[1] + v[2];
        assert_eq!(eval(&r, &v), vec![sum & 15, sum >> 4], "ripple4.v on {v:?}");
    }
    let m = read_data("mux4.v").unwrap();
    for v in all_vectors(&m) {
        let y = v[0] >> v[1] & 1;
        assert_eq!(eval(&m, &v), vec![y, y ^ 1], "mux4.v on {v:?}");
    }
    let c = read_data("cmp4.v").unwrap();
    for v in all_vectors(&c) {
        assert_eq!(eval(&c, &v), vec![u128::from(v[0] == v[1]), u128::from(v[0] >= v[1])], "cmp4.v on {v:?}");
    }
}

/// Export -> import through JSON and Verilog gives the same netlist.
#[test]
fn export_import_round_trip() {
    for name in ["gates.v", "ripple4.v", "mux4.v", "cmp4.v"] {
        let n = read_data(name).unwrap();
        let mut j = Vec::new();
        write_json(&n, &mut j).unwrap();
        let nj = read_yosys_json(std::str::from_utf8(&j).unwrap(), "rt.json", None).unwrap();
        let mut v = Vec::new();
        write_verilog(&n, &mut v).unwrap();
        let nv = read_verilog(std::str::from_utf8(&v).unwrap(), "rt.v", None).unwrap();
        for other in [&nj, &nv] {
            assert_eq!(cells_by_type(other), cells_by_type(&n), "{name}");
            assert_eq!(other.inputs().len(), n.inputs().len());
            for vec in all_vectors(&n) {
                assert_eq!(eval(other, &vec), eval(&n, &vec), "{name} on {vec:?}");
            }
        }
        // Every net keeps its Verilog name through the Verilog round trip's names.
        let names = tosim_netlist::export::verilog_net_names(&n);
        for net in n.nets() {
            assert_eq!(names[net.index()], tosim_netlist::export::verilog_net_name(&n, net));
        }
        let mut d = Vec::new();
        tosim_netlist::export::write_dot(&n, &mut d).unwrap();
        let dot = String::from_utf8(d).unwrap();
        // One edge per cell input pin and per output bit.
        let pins: usize = n.cells().map(|c| n.cell_inputs(c).len()).sum::<usize>() + n.output_bits();
        assert_eq!(dot.matches(" -> ").count(), pins, "{name}");
    }
}

fn textbook_transistors(n: &Netlist) -> u64 {
    let lib = Library::textbook().unwrap();
    let models = lib.bind(n).unwrap();
    stats(n, Some((lib.name(), &models))).transistors.unwrap()
}

/// Yosys' `stat -tech cmos` total for exactly our netlist (exported as JSON, read back by Yosys).
fn yosys_cost(dir: &Path, stem: &str, n: &Netlist) -> u64 {
    let p = dir.join(format!("{stem}.json"));
    let mut j = Vec::new();
    write_json(n, &mut j).unwrap();
    std::fs::write(&p, j).unwrap();
    stat_transistors(&run(Command::new("yosys").arg("-p").arg(format!("read_json {}; stat -tech cmos", p.display()))))
}

/// Per abstract gate with a Yosys equivalent: our textbook template's
/// transistors against Yosys' cost. They agree except for BUF, where Yosys
/// counts 1 and the textbook BUF is two inverters; the difference is pinned.
#[test]
fn per_gate_costs_against_yosys() {
    if !support::tool("yosys") {
        return;
    }
    let dir = support::scratch("netlist_gate_costs");
    let lib = Library::textbook().unwrap();
    let mut differ = BTreeMap::new();
    for &g in Gate::ALL {
        let mut b = NetlistBuilder::new("one");
        let ins: Vec<_> = g.inputs().iter().map(|p| b.add_input_bus(&p.to_lowercase(), 1)[0]).collect();
        let outs = b.add_cell(g, &ins);
        b.add_output_bus("y", &outs);
        let n = b.finish().unwrap();
        let mut j = Vec::new();
        write_json(&n, &mut j).unwrap();
        if !String::from_utf8(j).unwrap().contains("\"$_") {
            continue; // no Yosys internal cell for this gate (NAND3, FA, …)
        }
        let ours = u64::from(lib.abstract_cell(g).unwrap().transistors());
        let theirs = yosys_cost(&dir, g.name(), &n);
        if ours != theirs {
            differ.insert(g.name(), (ours, theirs));
        }
    }
    assert_eq!(differ.keys().copied().collect::<Vec<_>>(), vec!["BUF"], "{differ:?}");
    let (ours, theirs) = differ["BUF"];
    assert_eq!(ours, 2 * u64::from(lib.abstract_cell(Gate::Inv).unwrap().transistors()));
    assert!(theirs < ours);
}

/// At least 10 netlists: our transistor total with the textbook library
/// equals Yosys' `stat -tech cmos`, except for the pinned BUF difference.
#[test]
fn transistor_totals_match_yosys() {
    if !support::tool("yosys") {
        return;
    }
    let dir = support::scratch("netlist_totals");
    let mut checked = 0;
    for s in syntheses() {
        let n = read_file(&s.json).unwrap();
        assert_eq!(textbook_transistors(&n), s.yosys_transistors, "{}", s.stem);
        let nv = read_file(&s.verilog).unwrap();
        assert_eq!(textbook_transistors(&nv), s.yosys_transistors, "{} (Verilog import)", s.stem);
        checked += 1;
    }
    // cmp4.v is left out: its 4-input AND becomes one AND4, which Yosys does not cost.
    for name in ["gates.v", "mux4.v"] {
        let n = read_data(name).unwrap();
        assert_eq!(textbook_transistors(&n), yosys_cost(&dir, name, &n), "{name}");
        checked += 1;
    }
    // A generated netlist with buffers: 8 BUF + 8 XOR2 + 8 NAND2.
    let mut b = NetlistBuilder::new("bufs");
    let a = b.add_input_bus("a", 8);
    let c = b.add_input_bus("b", 8);
    let y: Vec<_> = (0..8)
        .map(|i| {
            let x = b.gate(Gate::Xor2, &[a[i], c[i]]);
            let k = b.gate(Gate::Buf, &[x]);
            b.gate(Gate::Nand2, &[k, a[(i + 1) % 8]])
        })
        .collect();
    b.add_output_bus("y", &y);
    let n = b.finish().unwrap();
    let lib = Library::textbook().unwrap();
    let buf_ours = u64::from(lib.abstract_cell(Gate::Buf).unwrap().transistors());
    let mut one = NetlistBuilder::new("buf");
    let i = one.add_input_bus("a", 1);
    let o = one.gate(Gate::Buf, &i);
    one.add_output_bus("y", &[o]);
    let buf_yosys = yosys_cost(&dir, "buf1", &one.finish().unwrap());
    assert_eq!(textbook_transistors(&n), yosys_cost(&dir, "bufs", &n) + 8 * (buf_ours - buf_yosys));
    checked += 1;
    assert!(checked >= 10, "{checked} netlists");
}

/// The export passes Verilator's lint and scheduling with every warning on
/// (no UNOPTFLAT), as one file with the cell models.
#[test]
fn verilator_accepts_export() {
    if !support::tool("verilator") || !support::tool("yosys") {
        return;
    }
    let dir = support::scratch("netlist_verilator");
    let mut designs: Vec<Netlist> =
        ["gates.v", "ripple4.v", "mux4.v", "cmp4.v"].iter().map(|f| read_data(f).unwrap()).collect();
    designs.extend(syntheses().iter().filter(|s| s.width == 8).map(|s| read_file(&s.json).unwrap()));
    for (k, n) in designs.iter().enumerate() {
        let f = dir.join(format!("d{k}.v"));
        let mut v = Vec::new();
        write_verilog(n, &mut v).unwrap();
        write_cell_library_verilog(n, &mut v).unwrap();
        std::fs::write(&f, v).unwrap();
        let top = tosim_netlist::export::verilog_module_name(n);
        let out = run(Command::new("verilator")
            .args(["--cc", "-Wall", "-Wno-DECLFILENAME", "--top-module", &top, "--Mdir"])
            .arg(dir.join(format!("obj{k}")))
            .arg(&f));
        assert!(!out.contains("%Warning") && !out.contains("%Error"), "{}: {out}", n.name());
    }
}

/// Per-instance delays run in Icarus: three inverters of delay 1, 2 and 3
/// in a chain settle 1+2+3 = 6 time units after the input changes; a 1-unit
/// input pulse through a delay-2 inverter is swallowed by inertial delay
/// (continuous assign) and passed by transport delay.
#[test]
fn icarus_delays() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("netlist_delays");
    let mut b = NetlistBuilder::new("chain");
    let a = b.add_input_bus("a", 1);
    let x1 = b.gate(Gate::Inv, &a);
    let x2 = b.gate(Gate::Inv, &[x1]);
    let x3 = b.gate(Gate::Inv, &[x2]);
    b.add_output_bus("y", &[x3]);
    let n = b.finish().unwrap();
    let delays = [1u32, 2, 3];
    let probe = |transport: bool, stim: &str| -> String {
        let opts = VerilogOptions { cell_delays: Some(&delays), transport, ..Default::default() };
        let mut v = Vec::new();
        write_verilog_with(&n, &opts, &mut v).unwrap();
        write_cell_library_verilog_with(&n, &opts, &mut v).unwrap();
        v.extend_from_slice(
            format!("module tb; reg a; wire y; chain d(.a(a), .y(y));\n initial begin $monitor(\"%0t %b\", $time, y); {stim} #20 $finish; end\nendmodule\n")
                .as_bytes(),
        );
        let f = dir.join(format!("chain_{transport}.v"));
        std::fs::write(&f, v).unwrap();
        let exe = dir.join("chain.vvp");
        run(Command::new("iverilog").arg("-o").arg(&exe).arg(&f));
        run(Command::new("vvp").arg("-n").arg(&exe))
    };
    // a = 0 at t=0 settles y = 1 at t=6; a = 1 at t=10 gives y = 0 at t=16.
    let out = probe(false, "a = 0; #10 a = 1;");
    assert!(out.contains("6 1") && out.contains("16 0"), "{out}");
    // A pulse a = 1 during [10, 11): every stage sees a 1-unit pulse; the first inverter
    // (delay 1) passes it, the second (delay 2) swallows it when inertial.
    let inertial = probe(false, "a = 0; #10 a = 1; #1 a = 0;");
    assert!(!inertial.contains("16 0"), "{inertial}");
    let transport = probe(true, "a = 0; #10 a = 1; #1 a = 0;");
    assert!(transport.contains("16 0") && transport.contains("17 1"), "{transport}");

    // Per direction (`net_fall_delays`, `assign #(rise, fall)`): every
    // inverter rises in 1 and falls in 3 (nets 3, 4, 5 are x1, x2, x3).
    let rise = [0u32, 0, 0, 1, 1, 1];
    let fall = [0u32, 0, 0, 3, 3, 3];
    assert_eq!([x1.index(), x2.index(), x3.index()], [3, 4, 5]);
    let probe_rf = |stim: &str| -> String {
        let opts = VerilogOptions { net_delays: Some(&rise), net_fall_delays: Some(&fall), ..Default::default() };
        let mut v = Vec::new();
        write_verilog_with(&n, &opts, &mut v).unwrap();
        write_cell_library_verilog_with(&n, &opts, &mut v).unwrap();
        let text = String::from_utf8(v.clone()).unwrap();
        assert!(text.contains("assign #(D0, F0) Y") && text.contains(".D0(1), .F0(3)"), "{text}");
        v.extend_from_slice(
            format!("module tb; reg a; wire y; chain d(.a(a), .y(y));\n initial begin $monitor(\"%0t %b\", $time, y); {stim} #20 $finish; end\nendmodule\n")
                .as_bytes(),
        );
        let f = dir.join("chain_rise_fall.v");
        std::fs::write(&f, v).unwrap();
        let exe = dir.join("chain_rf.vvp");
        run(Command::new("iverilog").arg("-o").arg(&exe).arg(&f));
        run(Command::new("vvp").arg("-n").arg(&exe))
    };
    // a = 0: x1 rises at 1, x2 falls at 4, y rises at 5; a = 1 at 10: x1
    // falls at 13, x2 rises at 14, y falls at 17.
    let out = probe_rf("a = 0; #10 a = 1;");
    assert!(out.contains("5 1") && out.contains("17 0"), "{out}");
    // a = 1 for 2 units: x1's input says fall for 2 < 3 units: swallowed.
    let out = probe_rf("a = 0; #10 a = 1; #2 a = 0;");
    assert!(out.contains("5 1") && !out.contains(" 0\n"), "{out}");
    // a = 1, then 0 for 1 unit: x1 rises for [11, 14) (rise 1, then fall 3),
    // x2 falls for [14, 15), y rises for [15, 18).
    let out = probe_rf("a = 1; #10 a = 0; #1 a = 1;");
    assert!(out.contains("15 1") && out.contains("18 0"), "{out}");
}

/// Each malformed input gives its own error, naming the file and line.
#[test]
fn bad_input_errors() {
    use tosim_netlist::NetlistError;
    let msg = |name: &str| -> String {
        let e = read_data(name).err().unwrap_or_else(|| panic!("{name} was accepted"));
        e.to_string()
    };
    // loop.v: p = ~(a & q) on line 3, q = ~p on line 4.
    match read_data("bad/loop.v") {
        Err(ImportError::Netlist(NetlistError::Loop { cells, loc })) => {
            assert_eq!(cells.len(), 2, "{cells:?}");
            assert!(loc.line == 3 || loc.line == 4, "{loc:?}");
        }
        other => panic!("loop.v: {other:?}"),
    }
    assert!(msg("bad/loop.v").contains("combinational loop through cells"));
    match read_data("bad/two_drivers.v") {
        Err(ImportError::Netlist(NetlistError::MultipleDrivers { net, loc })) => {
            // `assign y = t` joins t to the port y; a joined net takes its first-declared name.
            assert_eq!(net, "y");
            assert_eq!(loc.line, 4);
        }
        other => panic!("two_drivers.v: {other:?}"),
    }
    match read_data("bad/unknown_cell.v") {
        Err(ImportError::UnknownCell { name, loc }) => assert_eq!((name.as_str(), loc.line), ("FANCY9", 3)),
        other => panic!("unknown_cell.v: {other:?}"),
    }
    assert!(
        msg("bad/unknown_cell.v").ends_with("unknown_cell.v:3: unknown cell type `FANCY9`"),
        "{}",
        msg("bad/unknown_cell.v")
    );
    match read_data("bad/width.v") {
        Err(ImportError::PortWidth { pin, expected, found, loc, .. }) => {
            assert_eq!((pin.as_str(), expected, found, loc.line), ("A", 1, 2, 2));
        }
        other => panic!("width.v: {other:?}"),
    }
    assert!(msg("bad/unknown_pin.v").contains("unknown pin `Q`"));
    match read_data("bad/undriven.v") {
        Err(ImportError::Netlist(NetlistError::Undriven { net, cell, loc })) => {
            assert_eq!((net.as_str(), cell.as_str(), loc.line), ("floating", "g1", 3));
        }
        other => panic!("undriven.v: {other:?}"),
    }
    assert!(msg("bad/hier.v").contains("flatten"), "{}", msg("bad/hier.v"));
    match read_data("bad/truncated.v") {
        Err(ImportError::Syntax { loc, msg }) => {
            assert_eq!(loc.line, 4);
            assert!(msg.contains("end of file"), "{msg}");
        }
        other => panic!("truncated.v: {other:?}"),
    }
    // Truncated JSON: the first half of a valid export; serde_json names the line.
    let n = read_data("ripple4.v").unwrap();
    let mut j = Vec::new();
    write_json(&n, &mut j).unwrap();
    let text = String::from_utf8(j).unwrap();
    let half = &text[..text.len() / 2];
    match read_yosys_json(half, "half.json", None) {
        Err(ImportError::Json { loc, source }) => {
            assert_eq!(loc.line, half.lines().count());
            assert!(source.to_string().contains("EOF"), "{source}");
        }
        other => panic!("truncated JSON: {other:?}"),
    }
    // JSON with an unknown cell type, located at its cell's line.
    let bad = text.replacen("\"type\": \"FA\"", "\"type\": \"FANCY9\"", 1);
    match read_yosys_json(&bad, "bad.json", None) {
        Err(ImportError::UnknownCell { name, loc }) => {
            assert_eq!(name, "FANCY9");
            assert_eq!(bad.lines().nth(loc.line - 1).map(|l| l.contains("FANCY9")), Some(true));
        }
        other => panic!("JSON unknown cell: {other:?}"),
    }
    // JSON port width mismatch on a cell pin.
    let bad = text.replacen("\"A\": [ ", "\"A\": [ 2, ", 1);
    assert!(matches!(read_yosys_json(&bad, "w.json", None), Err(ImportError::PortWidth { found: 2, .. })));
    // JSON hierarchy: a cell whose type is another module.
    let hier = r#"{"modules": {"inner": {"ports": {}, "cells": {}}, "outer": {"attributes": {"top": "1"}, "ports": {}, "cells": {"u": {"type": "inner", "connections": {}}}}}}"#;
    let e = read_yosys_json(hier, "h.json", None).unwrap_err().to_string();
    assert!(e.contains("flatten"), "{e}");
    // The builder: a NAND2 given one input.
    let mut b = NetlistBuilder::new("pins");
    let a = b.add_input_bus("a", 1);
    let t = b.gate_type(Gate::Nand2);
    let y = b.add_net(Some("y"));
    b.add_cell_full(t, &a, &[y], Some("g"), tosim_netlist::Loc::default());
    b.add_output_bus("y", &[y]);
    match b.finish() {
        Err(NetlistError::PinCount { cell, expected, found, .. }) => {
            assert_eq!((cell.as_str(), expected, found), ("g", (2, 1), (1, 1)));
        }
        other => panic!("pin count: {other:?}"),
    }
    // A word-level cell asks for techmapping.
    let word = r#"{"modules": {"top": {"ports": {}, "cells": {"u": {"type": "$add", "connections": {}}}}}}"#;
    let e = read_yosys_json(word, "w.json", None).unwrap_err().to_string();
    assert!(e.contains("word-level cell `$add`"), "{e}");
}

/// No prefix of a valid file makes a reader panic.
#[test]
fn truncated_prefixes_never_panic() {
    let v = std::fs::read_to_string(data("gates.v")).unwrap();
    let n = read_data("gates.v").unwrap();
    let mut j = Vec::new();
    write_json(&n, &mut j).unwrap();
    let j = String::from_utf8(j).unwrap();
    // Without trailing whitespace, so that every proper prefix lacks something.
    let (v, j) = (v.trim_end(), j.trim_end());
    let mut errors = 0;
    for k in 0..v.len() {
        if v.is_char_boundary(k) && read_verilog(&v[..k], "p.v", None).is_err() {
            errors += 1;
        }
    }
    for k in (0..j.len()).step_by(7) {
        if read_yosys_json(&j[..k], "p.json", None).is_err() {
            errors += 1;
        }
    }
    // Every proper prefix is incomplete (no `endmodule` / closing brace), so every one is an error.
    assert_eq!(errors, v.len() + j.len().div_ceil(7));
    // Single-character mutations: any result but a panic is fine.
    let alphabet: Vec<char> = "\\'\"é{}[]():;,.#~^&|?01xX_ \n".chars().collect();
    let chars: Vec<char> = v.chars().collect();
    let mut rng = Rng(7);
    for _ in 0..3000 {
        let mut c = chars.clone();
        let k = (rng.next() % c.len() as u64) as usize;
        c[k] = alphabet[(rng.next() % alphabet.len() as u64) as usize];
        let text: String = c.into_iter().collect();
        let _ = read_verilog(&text, "m.v", None);
    }
}

/// A random netlist of `cells` gates over a 64-bit input, each gate reading
/// some of the 64 most recent nets.
fn random_netlist(cells: usize) -> Netlist {
    let mut b = NetlistBuilder::new("big");
    let a = b.add_input_bus("a", 64);
    let mut nets = a.clone();
    let mut rng = Rng(42);
    let kinds = [Gate::Nand2, Gate::Xor2, Gate::Nor2, Gate::Aoi21, Gate::Mux2, Gate::Inv];
    for _ in 0..cells {
        let g = kinds[(rng.next() % kinds.len() as u64) as usize];
        let ins: Vec<_> = (0..g.inputs().len()).map(|_| nets[nets.len() - 1 - (rng.next() % 64) as usize]).collect();
        nets.push(b.gate(g, &ins));
    }
    b.add_output_bus("y", &nets[nets.len() - 64..]);
    b.finish().unwrap()
}

/// A generated netlist of 10^6 cells builds, levelises and evaluates; its
/// memory is ten times that of 10^5 cells (linear, within 2 %). Export and
/// re-import are checked at 10^5 cells to keep the test short (10^6 cells:
/// docs/netlist.md). The times are printed.
#[test]
fn million_cells() {
    let t = std::time::Instant::now();
    let n = random_netlist(1_000_000);
    let built = t.elapsed();
    assert_eq!(n.cell_count(), 1_000_000);
    let small = random_netlist(100_000);
    let ratio = n.heap_bytes() as f64 / small.heap_bytes() as f64;
    assert!((ratio - 10.0).abs() < 0.2, "memory ratio {ratio}");
    let t1 = std::time::Instant::now();
    let v = eval(&n, &[0x0123_4567_89ab_cdef]);
    let evaluated = t1.elapsed();
    assert_eq!(v.len(), 1);
    let t2 = std::time::Instant::now();
    let mut text = Vec::new();
    write_verilog(&small, &mut text).unwrap();
    let exported = t2.elapsed();
    let t3 = std::time::Instant::now();
    let back = read_verilog(std::str::from_utf8(&text).unwrap(), "big.v", None).unwrap();
    let imported = t3.elapsed();
    assert_eq!(back.cell_count(), 100_000);
    assert_eq!(eval(&back, &[0x0123_4567_89ab_cdef]), eval(&small, &[0x0123_4567_89ab_cdef]));
    eprintln!(
        "10^6 cells: build+check {:.2} s, {} bytes/cell, eval {:.2} s; 10^5 cells: export {:.2} s, import {:.2} s",
        built.as_secs_f64(),
        n.heap_bytes() / n.cell_count(),
        evaluated.as_secs_f64(),
        exported.as_secs_f64(),
        imported.as_secs_f64()
    );
}

/// Bindings: composed cells, a wrong pin map, and a missing foundry folder.
#[test]
fn library_bindings() {
    let lib = Library::load(&data("composed.toml"), None).unwrap();
    let tb = Library::textbook().unwrap();
    let xor = lib.abstract_cell(Gate::Xor2).unwrap();
    let nand = tb.abstract_cell(Gate::Nand2).unwrap();
    // Four NAND2: four times the transistors, three stages deep, inputs each reach two NAND2 gates.
    assert_eq!(xor.transistors(), 4 * nand.transistors());
    assert_eq!(xor.stages.len(), 4);
    assert_eq!(xor.depth(), 3);
    assert_eq!(xor.functions, vec![Gate::Xor2.function(0)]);
    let a = xor.input_signal(PinId(0)).unwrap();
    assert_eq!(a.gate_count, 2 * nand.input_signal(PinId(0)).unwrap().gate_count);
    // Internal wires m, p, q: m = !(A & B) drives two NAND2 (n2, n3) -> 4 gates.
    let m = xor.signals.iter().find(|s| s.name == "m").unwrap();
    assert_eq!(m.function, Gate::Nand2.function(0));
    assert_eq!(
        m.gate_count,
        nand.input_signal(PinId(0)).unwrap().gate_count + nand.input_signal(PinId(1)).unwrap().gate_count
    );
    // A netlist of XOR2 binds through the composition.
    let mut b = NetlistBuilder::new("x");
    let i = b.add_input_bus("a", 2);
    let y = b.gate(Gate::Xor2, &i);
    b.add_output_bus("y", &[y]);
    let n = b.finish().unwrap();
    assert_eq!(lib.bind(&n).unwrap()[0].transistors(), xor.transistors());
    // An abstract cell the binding lacks.
    let e = lib.bind(&read_data("ripple4.v").unwrap()).unwrap_err().to_string();
    assert!(e.contains("no binding for cell type `FA`"), "{e}");
    // The wrong pin map is caught at load time with a failing input.
    let e = Library::load(&data("bad/mismatch.toml"), None).unwrap_err().to_string();
    assert!(e.contains("cell `ANDNOT` bound to ANDNOT(A=B, B=A, Y=Y)") && e.contains("A=1 B=0"), "{e}");
    // A foundry binding pointed at a folder without cells.
    let e = Library::named("sky130_hd", Some(&support::repo().join("docs"))).unwrap_err().to_string();
    assert!(e.contains("has no `cells/` folder"), "{e}");
}

/// SKY130: every abstract cell binds to a `*_1` cell whose SPICE computes its
/// function, and a netlist of SKY130 cells imports, evaluates and binds directly.
#[test]
fn sky130_bindings() {
    let Some(dir) = support::sky130::cells_dir() else { return };
    let lib = Library::named("sky130_hd", Some(&dir)).unwrap();
    assert_eq!(lib.abstract_cells().count(), Gate::ALL.len());
    let resolver = |name: &str| lib.cell_type(name);
    let opts = tosim_netlist::import::ImportOptions { top: None, cell_types: Some(&resolver) };
    let n = tosim_netlist::import::read_file_with(&data("sky130_rca4.v"), &opts).unwrap();
    for v in all_vectors(&n) {
        assert_eq!(eval(&n, &v), vec![v[0] + v[1]], "{v:?}");
    }
    let models = lib.bind(&n).unwrap();
    let s = stats(&n, Some((lib.name(), &models)));
    let fa = lib.abstract_cell(Gate::Fa).unwrap().transistors();
    let ha = lib.abstract_cell(Gate::Ha).unwrap().transistors();
    assert_eq!(s.transistors, Some(u64::from(ha + 3 * fa)));
    // Through Yosys JSON too: our export names the foundry cells, the resolver reads them back.
    let mut j = Vec::new();
    write_json(&n, &mut j).unwrap();
    let nj = tosim_netlist::import::read_yosys_json_with(std::str::from_utf8(&j).unwrap(), "rca.json", &opts).unwrap();
    assert_eq!(cells_by_type(&nj), cells_by_type(&n));
    for v in all_vectors(&nj) {
        assert_eq!(eval(&nj, &v), vec![v[0] + v[1]], "{v:?}");
    }
    // Without the resolver the foundry cells are unknown.
    assert!(matches!(read_data("sky130_rca4.v"), Err(ImportError::UnknownCell { .. })));
    // The same adder from abstract HA/FA cells binds to the same total.
    let mut b = NetlistBuilder::new("rca");
    let a = b.add_input_bus("a", 4);
    let c = b.add_input_bus("b", 4);
    let mut out = b.add_cell(Gate::Ha, &[a[0], c[0]]);
    let mut y = vec![out[0]];
    for i in 1..4 {
        out = b.add_cell(Gate::Fa, &[a[i], c[i], out[1]]);
        y.push(out[0]);
    }
    y.push(out[1]);
    b.add_output_bus("y", &y);
    let g = b.finish().unwrap();
    let gm = lib.bind(&g).unwrap();
    assert_eq!(stats(&g, Some((lib.name(), &gm))).transistors, s.transistors);
    // Both have the same stage depth: the path through the carries.
    assert_eq!(stats(&g, Some((lib.name(), &gm))).depth_stages, s.depth_stages);
}

/// `tosim netlist stats --json` reports what the library API computes.
#[test]
fn cli_stats() {
    let bin = env!("CARGO_BIN_EXE_tosim");
    let f = data("gates.v");
    let out = run(Command::new(bin).args(["netlist", "stats", "--json"]).arg(&f));
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    let n = read_file(&f).unwrap();
    assert_eq!(j["cells"], 15);
    assert_eq!(j["transistors"].as_u64(), Some(textbook_transistors(&n)));
    assert_eq!(j["depth_cells"].as_u64(), Some(u64::from(n.depth())));
    assert_eq!(j["input_bits"], 10);
    assert_eq!(j["output_bits"], 16);
    let text = run(Command::new(bin).args(["netlist", "stats"]).arg(&f));
    assert!(text.contains("transistors") && text.contains("AOI21"), "{text}");
    // Export through the CLI reads back to the same cells.
    let dir = support::scratch("netlist_cli");
    let o = dir.join("g.json");
    run(Command::new(bin).args(["netlist", "export", "--format", "json", "-o"]).arg(&o).arg(&f));
    assert_eq!(cells_by_type(&read_file(&o).unwrap()), cells_by_type(&n));
    // A missing file is an error, not a panic.
    let st = Command::new(bin).args(["netlist", "stats", "no/such/file.v"]).output().unwrap();
    assert!(!st.status.success());
    assert!(String::from_utf8_lossy(&st.stderr).contains("no/such/file.v"));
}

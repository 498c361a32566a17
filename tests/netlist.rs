//! Tests: netlist import, export and binding, cross-checked against Yosys,
//! Icarus Verilog and Verilator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use tosim_netlist::export::{write_cell_library_verilog, write_json, write_verilog};
use tosim_netlist::import::{read_file, read_verilog, read_yosys_json, ImportError};
use tosim_netlist::{eval, Netlist};

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
    let line =
        log.lines().filter(|l| l.contains("Estimated number of transistors")).last().expect("stat -tech cmos output");
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

/// Yosys syntheses at 8 and 16 bits (CI sizes): import both JSON and Verilog,
/// check them against each other, Rust arithmetic, Icarus on the exported
/// netlist and the behavioural source, 10,000 random vectors each.
#[test]
fn yosys_import_export_icarus() {
    if !support::tool("yosys") || !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("netlist_yosys_icarus");
    for (op, stem) in [("+", "add"), ("*", "mul"), ("/", "div"), ("%", "mod")] {
        for w in [8usize, 16] {
            let stem = format!("{stem}{w}");
            let (json, syn_v, _) = synth(&dir, &stem, &behavioural("top", op, w));
            let nj = read_file(&json).unwrap_or_else(|e| panic!("{stem}: {e}"));
            let nv = read_verilog(&std::fs::read_to_string(&syn_v).unwrap(), &syn_v.display().to_string(), None)
                .unwrap_or_else(|e| panic!("{stem}: {e}"));
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
            let sub = dir.join(&stem);
            std::fs::create_dir_all(&sub).unwrap();
            let rows = icarus(&sub, &nj, &behavioural("ref_top", op, w), &vectors);
            for (v, (r, d)) in vectors.iter().zip(&rows) {
                assert_eq!(r, d, "{stem}: exported netlist differs from the behavioural design on {v:?}");
                assert_eq!(&eval(&nj, v), d, "{stem}: scalar evaluator differs from Icarus on {v:?}");
            }
        }
    }
}

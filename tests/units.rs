//! Tests: units. Closed forms of regular structures, the exported Verilog of
//! every unit simulated by Icarus against Rust arithmetic, and the `tosim
//! units` / `tosim unit export|eval` commands. (Exhaustive and random checks of
//! every generator through the scalar evaluator live in
//! `crates/tosim-units/tests/correctness.rs`.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;

use tosim_netlist::export::VerilogOptions;
use tosim_netlist::Netlist;
use tosim_units::{generate, port_widths, reference, registry, Arch, Kind, Signedness, UnitSpec};

use crate::support;

fn census(n: &Netlist) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for c in n.cells() {
        *m.entry(n.cell_type(c).name.clone()).or_default() += 1;
    }
    m
}

fn counts(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().filter(|(_, k)| *k > 0).map(|(s, k)| (s.to_string(), *k)).collect()
}

#[test]
fn ripple_adder_is_n_full_adders() {
    // a + b + cin with a free carry-in: one FA per bit and nothing else; the
    // carry passes through every cell, so the depth is n cells.
    for n in [2u32, 5, 8, 16, 32, 64] {
        let net = generate(&UnitSpec::new(Kind::Add, Arch::Ripple, n)).unwrap();
        assert_eq!(census(&net), counts(&[("FA", n as usize)]));
        assert_eq!(net.depth(), n);
    }
}

#[test]
fn array_multiplier_closed_form() {
    // Braun array, n×n: n² AND2 partial products; row 1 adds to row 0 with
    // n−1 HA (columns 1..n−1), rows 2..n−1 each use n−1 FA (their lowest
    // column gets sum + carry + product bit), leaving single bits in columns
    // 0..n−1 and two bits in columns n..2n−2: an (n−1)-bit ripple adder with
    // carry-in 0 = 1 HA + (n−2) FA. Total: n² AND2, n HA, n(n−2) FA.
    for n in [2usize, 3, 4, 8, 16, 32] {
        let net = generate(&UnitSpec::new(Kind::Mul, Arch::Array, n as u32)).unwrap();
        assert_eq!(census(&net), counts(&[("AND2", n * n), ("HA", n), ("FA", n * (n - 2))]), "n = {n}");
    }
}

#[test]
fn barrel_shifter_closed_form() {
    // k = ⌈log2 n⌉ ranks of n cells. In rank i (shift d = 2^i) a left shift's
    // bits j < d take a zero: MUX2(x, 0, s) folds to ANDNOT(x, s); the other
    // n − d bits keep a MUX2 (all n fold when d ≥ n). A right logical shift is
    // the mirror image. An arithmetic shift fills with the sign a_{n−1}: the
    // top bit never changes (MUX2(a_{n−1}, a_{n−1}, s) = a_{n−1}), the other
    // n−1 bits keep a MUX2 in every rank.
    for n in [2usize, 5, 8, 13, 32, 64] {
        let k = tosim_units::clog2(n as u32) as usize;
        let mux: usize = (0..k).map(|i| n.saturating_sub(1 << i)).sum();
        for kind in [Kind::Shl, Kind::Shr] {
            let net = generate(&UnitSpec::new(kind, Arch::Barrel, n as u32)).unwrap();
            assert_eq!(census(&net), counts(&[("MUX2", mux), ("ANDNOT", n * k - mux)]), "{kind} n = {n}");
        }
        let net = generate(&UnitSpec::new(Kind::Sar, Arch::Barrel, n as u32)).unwrap();
        assert_eq!(census(&net), counts(&[("MUX2", (n - 1) * k)]), "sar n = {n}");
    }
}

#[test]
fn relu_and_kogge_stone_closed_forms() {
    // ReLU: y_i = a_i AND NOT sign for i < n−1, y_{n−1} = 0: n−1 ANDNOT.
    for n in [2usize, 8, 64] {
        let net = generate(&UnitSpec::new(Kind::Relu, Arch::Mask, n as u32)).unwrap();
        assert_eq!(census(&net), counts(&[("ANDNOT", n - 1)]));
    }
    // Kogge-Stone, n = 2^m, with carry-in: n HA give bit (p, g); bit 0's
    // generate absorbs the carry-in, g0 + p0·cin (one AOI21 + INV); level l
    // (span d = 2^l) updates every node i ≥ d: n − d generate cells
    // (AOI21 + INV). Every generate is read (by the node itself at the next
    // level or by the sums), so AOI21 = 1 + Σ_{l<m} (n − 2^l) = 1 + m·n − (n − 1).
    // Sums: s_0 = p_0 ⊕ cin, s_i = p_i ⊕ G_{i−1:0}: n cells, XNOR2 where
    // G is the AOI21 output before its inverter (the inverter then folds away).
    for m in [3u32, 4, 5, 6] {
        let n = 1usize << m;
        let net = generate(&UnitSpec::new(Kind::Add, Arch::KoggeStone, n as u32)).unwrap();
        let c = census(&net);
        assert_eq!(c["HA"], n);
        assert_eq!(c["AOI21"], 1 + m as usize * n - (n - 1));
        assert_eq!(c.get("XOR2").unwrap_or(&0) + c.get("XNOR2").unwrap_or(&0), n);
    }
}

/// splitmix64 with a fixed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        tosim_sim::splitmix64(self.0)
    }
    fn value(&mut self, w: u32) -> u128 {
        let r = (self.next() as u128) << 64 | self.next() as u128;
        if w >= 128 {
            r
        } else {
            r & ((1u128 << w) - 1)
        }
    }
}

/// A testbench that applies `vectors` to the unit and `$display`s every
/// output in hex, one line per vector, `period` time units after applying it.
fn testbench(net: &Netlist, vectors: &[Vec<u128>], period: u32) -> String {
    let module = tosim_netlist::export::verilog_module_name(net);
    let mut tb = String::from("module tb;\n");
    let mut conns = Vec::new();
    for b in net.inputs() {
        let _ = writeln!(tb, "  reg [{}:0] {};", b.width() - 1, b.name);
        conns.push(format!(".{0}({0})", b.name));
    }
    for b in net.outputs() {
        let _ = writeln!(tb, "  wire [{}:0] {};", b.width() - 1, b.name);
        conns.push(format!(".{0}({0})", b.name));
    }
    let _ = writeln!(tb, "  {module} dut ({});\n  initial begin", conns.join(", "));
    let fmt: Vec<&str> = net.outputs().iter().map(|_| "%h").collect();
    let outs: Vec<&str> = net.outputs().iter().map(|b| b.name.as_str()).collect();
    for v in vectors {
        for (b, x) in net.inputs().iter().zip(v) {
            let _ = write!(tb, "    {} = {}'h{:x};", b.name, b.width(), x);
        }
        let _ = writeln!(tb, " #{period} $display(\"{}\", {});", fmt.join(" "), outs.join(", "));
    }
    tb.push_str("    $finish;\n  end\nendmodule\n");
    tb
}

/// Exports `net` as Verilog (zero-delay cells, or with `unit_delay` one time
/// unit of transport delay per cell), simulates `vectors` with Icarus and
/// returns the printed output buses, one `Vec` per vector. With unit delays
/// the testbench samples `depth + 1` units after each vector (every output has
/// settled `depth` units after the inputs change); without, after 1 unit.
/// Also used by the float tests.
pub(crate) fn icarus_outputs(
    net: &Netlist,
    vectors: &[Vec<u128>],
    unit_delay: bool,
    dir: &std::path::Path,
) -> Vec<Vec<u128>> {
    let name = format!("{}{}", net.name(), if unit_delay { "_d1" } else { "" });
    let ones = vec![1u32; net.cell_count()];
    let opts = if unit_delay {
        VerilogOptions { cell_delays: Some(&ones), net_delays: None, net_fall_delays: None, transport: true }
    } else {
        VerilogOptions::default()
    };
    let mut v = Vec::new();
    tosim_netlist::export::write_verilog_with(net, &opts, &mut v).unwrap();
    tosim_netlist::export::write_cell_library_verilog_with(net, &opts, &mut v).unwrap();
    let period = if unit_delay { net.depth() + 1 } else { 1 };
    let dut = dir.join(format!("{name}.v"));
    let tbf = dir.join(format!("{name}_tb.v"));
    let vvp = dir.join(format!("{name}.vvp"));
    std::fs::write(&dut, v).unwrap();
    std::fs::write(&tbf, testbench(net, vectors, period)).unwrap();
    let out = Command::new("iverilog").arg("-o").arg(&vvp).arg(&dut).arg(&tbf).output().unwrap();
    assert!(out.status.success(), "iverilog {name}: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new("vvp").arg("-n").arg(&vvp).output().unwrap();
    assert!(out.status.success(), "vvp {name}: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("VCD") && !l.contains("$finish")).collect();
    assert_eq!(lines.len(), vectors.len(), "{name}: {text}");
    lines.iter().map(|l| l.split_whitespace().map(|t| u128::from_str_radix(t, 16).unwrap()).collect()).collect()
}

/// Simulates `count` random vectors of `spec` in Icarus (see
/// [`icarus_outputs`]) and compares every output with Rust arithmetic.
/// Returns the wall time.
fn icarus_agrees(spec: &UnitSpec, count: usize, unit_delay: bool, dir: &std::path::Path) -> f64 {
    let start = std::time::Instant::now();
    let net = generate(spec).unwrap();
    let (iw, _) = port_widths(spec);
    let mut rng = Rng(0x1ca7_u64 ^ spec.width as u64);
    let vectors: Vec<Vec<u128>> = (0..count).map(|_| iw.iter().map(|&w| rng.value(w)).collect()).collect();
    let got = icarus_outputs(&net, &vectors, unit_delay, dir);
    for (g, x) in got.iter().zip(&vectors) {
        assert_eq!(g, &reference(spec, x).unwrap(), "{}: Icarus on {x:?}", net.name());
    }
    start.elapsed().as_secs_f64()
}

#[test]
fn icarus_agrees_with_rust_on_every_unit() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("units_icarus");
    // Every registered unit at 8 bits (each signedness it has), 1,000 vectors
    // each; multipliers also with a Kogge-Stone final adder; a 32-bit sample
    // and a 64-bit multiplier.
    let mut specs = Vec::new();
    for i in registry() {
        let signs: &[bool] = match i.signedness {
            Signedness::Both => &[false, true],
            Signedness::Signed => &[true],
            _ => &[false],
        };
        for &s in signs {
            let spec = UnitSpec::new(i.kind, i.arch, 8).signed(s);
            specs.push(spec);
            if i.kind == Kind::Mul {
                specs.push(spec.with_final_adder(Arch::KoggeStone));
            }
        }
    }
    for (k, a, s) in [
        (Kind::Add, Arch::Cla, false),
        (Kind::Add, Arch::HanCarlson, false),
        (Kind::Mul, Arch::Booth, true),
        (Kind::Div, Arch::Restoring, false),
        (Kind::Lzc, Arch::Tree, false),
    ] {
        specs.push(UnitSpec::new(k, a, 32).signed(s));
    }
    specs.push(UnitSpec::new(Kind::Mul, Arch::Dadda, 64).with_final_adder(Arch::Sklansky));
    // Pass 1: one time unit of transport delay per cell, every unit 1,000
    // vectors. Cells then switch only at whole time steps, so glitches cannot
    // cascade through zero-delay delta cycles, and every output has settled
    // `depth` units after the inputs change, where the testbench samples it
    // (inertial `assign #1` is not used: Icarus settled it wrong on a
    // divider). Measured with Icarus 11 on 2 shared cores: 27–29 s for the
    // whole list, 14–15 s of it the 64-bit multiplier; the 8-bit
    // non-restoring dividers 0.4 s each (zero delay: 2.2 s and 8.2 s for 50).
    // Splitting the 64-bit vectors over 2 vvp processes did not help (15 s):
    // other jobs were keeping both cores busy.
    let start = std::time::Instant::now();
    for spec in &specs {
        let t = icarus_agrees(spec, 1_000, true, &dir);
        eprintln!("{} unit delay, 1000 vectors: {t:.2} s", spec.design_name());
    }
    eprintln!("unit-delay pass: {:.1} s", start.elapsed().as_secs_f64());
    // Pass 2: the zero-delay export (what `tosim unit export` writes), fewer
    // vectors where it is slow. Zero-delay event simulation multiplies
    // glitches through deep arrays (each row's carry-out drives every cell
    // of the next row): Icarus 11 needs ~5 s per 50 vectors on the 8-bit
    // non-restoring divider, 14 s per 1,000 on the 8-bit non-restoring square
    // root and did not finish a 32-bit non-restoring divider or restoring
    // square root in minutes.
    let start = std::time::Instant::now();
    for spec in &specs {
        let count = match (spec.kind, spec.arch, spec.width) {
            (Kind::Div, Arch::NonRestoring, _) => 50,
            (Kind::Sqrt, Arch::NonRestoring, _) => 200,
            (_, _, 64) => 50,
            (_, _, 32) => 300,
            _ => 1_000,
        };
        let t = icarus_agrees(spec, count, false, &dir);
        eprintln!("{} zero delay, {count} vectors: {t:.2} s", spec.design_name());
    }
    eprintln!("zero-delay pass: {:.1} s", start.elapsed().as_secs_f64());
}

fn tosim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).output().unwrap()
}

#[test]
fn cli_lists_every_unit() {
    let out = tosim(&["units", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Integer units first, then one entry per float kind (marked `"float": true`).
    let all = v.as_array().unwrap();
    let arr: Vec<&serde_json::Value> = all.iter().filter(|u| u["float"] != true).collect();
    assert_eq!(arr.len(), registry().len());
    assert_eq!(all.len() - arr.len(), tosim_units::float::FloatKind::ALL.len());
    assert!(arr.iter().any(|u| u["kind"] == "mul" && u["arch"] == "dadda" && u["max_width"] == 64));
    let out = tosim(&["units"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for i in registry() {
        assert!(text.contains(i.arch.name()) && text.contains(i.kind.name()));
    }
}

#[test]
fn cli_export_and_eval() {
    let dir = support::scratch("units_cli");
    let f = dir.join("mul.v");
    let out = tosim(&[
        "unit",
        "export",
        "--kind",
        "mul",
        "--arch",
        "dadda",
        "--width",
        "16",
        "--final-adder",
        "kogge-stone",
        "--signed",
        "--format",
        "verilog",
        "-o",
        f.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(text.contains("module mul_dadda_s16_kogge_stone") && text.contains("module FA"));
    for fmt in ["json", "dot"] {
        let out = tosim(&["unit", "export", "--kind", "add", "--arch", "ripple", "--width", "4", "--format", fmt]);
        assert!(out.status.success() && !out.stdout.is_empty(), "{fmt}");
    }
    // eval: 8-bit unsigned divider; 200 / 7 = 28 r 4, 0x10 / 0 = 255 r 16 (division by zero).
    let ops = dir.join("ops.txt");
    std::fs::write(&ops, "# a b\n200 7 # 200 / 7\n0x10, 0\n").unwrap();
    let args = ["unit", "eval", "--kind", "div", "--arch", "restoring", "--width", "8", "--stream"];
    let out = tosim(&[&args[..], &[ops.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "28 4\n255 16\n");
    let out = tosim(&[&args[..], &[ops.to_str().unwrap(), "--hex"]].concat());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0x1c 0x4\n0xff 0x10\n");
    // A bad line is reported with file:line.
    std::fs::write(&ops, "1 2\n300 1\n").unwrap();
    let out = tosim(&[&args[..], &[ops.to_str().unwrap()]].concat());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ops.txt:2:") && err.contains("does not fit"), "{err}");
    // Errors for a bad spec name the problem.
    let out =
        tosim(&["unit", "eval", "--kind", "sqrt", "--arch", "restoring", "--width", "8", "--signed", "--stream", "x"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no signed version"));
}

/// The one CMOS stage-depth rule (issue 13): the longest input-to-output path
/// counted in CMOS stages, where a path through a cell counts the stages from
/// the input pin it enters by to the output pin (`tosim_netlist::stats`).
/// `tosim units --costs` used to add each cell's deepest output (every pin
/// charged the select inverter of a MUX2), which no path takes: 9 instead of
/// 7 stages for the 8-bit barrel shifter. Derived by hand for 4 bits.
#[test]
fn stage_depth_is_the_longest_pin_to_pin_path() {
    use tosim_netlist::library::Library;
    use tosim_netlist::stats::{pin_stage_depths, stats};
    use tosim_netlist::Gate;
    let lib = Library::textbook().unwrap();
    // The textbook MUX2 is a select inverter, an AOI22 and an output
    // inverter: data A and B pass 2 stages (AOI22, inverter), select S 3.
    let mux = lib.abstract_cell(Gate::Mux2).unwrap();
    let d = pin_stage_depths(mux);
    let pin = |name: &str| mux.inputs.iter().position(|p| p == name).unwrap();
    assert_eq!([d[pin("A")][0], d[pin("B")][0], d[pin("S")][0]], [Some(2), Some(2), Some(3)]);
    assert_eq!(mux.depth(), 3);
    // shl, 4 bits: rank 0 (amount bit b0) and rank 1 (b1) of MUX2s, the
    // shifted-in zeros folded into AND-type edge cells. The longest path
    // enters rank 0 by its select (3 stages) and rank 1 by a data pin (2): 5.
    // Charging every cell its deepest output (3 + 3) gives 6, a path from b0
    // through the select of both ranks that does not exist.
    let n = generate(&UnitSpec::new(Kind::Shl, Arch::Barrel, 4)).unwrap();
    assert_eq!(n.depth(), 2);
    let models = lib.bind(&n).unwrap();
    assert_eq!(stats(&n, Some((lib.name(), &models))).depth_stages, Some(3 + 2));
    // `tosim units --costs` and `tosim netlist stats` on the exported netlist agree.
    let dir = support::scratch("units_stage_depth");
    let costs = tosim(&["units", "--costs", "--widths", "4,8", "--kind", "shl", "--json"]);
    assert!(costs.status.success(), "{}", String::from_utf8_lossy(&costs.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&costs.stdout).unwrap();
    for (row, stages) in rows.as_array().unwrap().iter().zip([5, 7]) {
        assert_eq!(row["libraries"]["textbook"]["depth_stages"], stages, "{}", row["unit"]);
        let f = dir.join(format!("{}.json", row["unit"].as_str().unwrap()));
        let width = row["spec"]["width"].to_string();
        let out = tosim(&[
            "unit",
            "export",
            "--kind",
            "shl",
            "--arch",
            "barrel",
            "--width",
            &width,
            "-o",
            f.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let st = tosim(&["netlist", "stats", f.to_str().unwrap(), "--json"]);
        let st: serde_json::Value = serde_json::from_slice(&st.stdout).unwrap();
        assert_eq!(st["depth_stages"], stages);
    }
}

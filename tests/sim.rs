//! Tests: sim. The simulator against Verilator, Icarus Verilog and itself.
//!
//! Designs are kept small (8-bit operands, 16-bit adder) so CI stays fast; the
//! same checks at full size run with `TOSIM_SIM_FULL=1` (32-bit adder, 16-bit
//! multipliers, dividers and square roots, 16×16 Yosys `a*b`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use tosim_netlist::export::{
    verilog_module_name, verilog_net_name, write_cell_library_verilog_with, write_verilog_with, VerilogOptions,
};
use tosim_netlist::library::Library;
use tosim_netlist::{Driver, NetId, Netlist};
use tosim_sim::{
    run_glitch, run_zero_delay, Delay, Generated, GlitchOptions, GlitchProgram, Options, Program, Recorded, Report,
    SlotId, Stream,
};
use tosim_units::{generate, Arch, Kind, UnitSpec};

use crate::support;

const OPS: u64 = 10_000;

fn full() -> bool {
    std::env::var_os("TOSIM_SIM_FULL").is_some()
}

fn unit(kind: Kind, arch: Arch, w: u32) -> Netlist {
    generate(&UnitSpec::new(kind, arch, w)).expect("generate unit")
}

/// Behavioural `a*b` synthesised by Yosys to simple gates, imported from JSON.
fn yosys_mul(dir: &Path, w: u32) -> Netlist {
    let v = dir.join("mul.v");
    std::fs::write(
        &v,
        format!(
            "module mul(input [{m}:0] a, input [{m}:0] b, output [{p}:0] p);\n  assign p = a * b;\nendmodule\n",
            m = w - 1,
            p = 2 * w - 1
        ),
    )
    .unwrap();
    let j = dir.join("mul.json");
    let script = format!(
        "read_verilog {}; synth -flatten -top mul; abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX; opt_clean; write_json {}",
        v.display(),
        j.display()
    );
    let out = Command::new("yosys").args(["-q", "-p", &script]).output().expect("run yosys");
    assert!(out.status.success(), "yosys: {}", String::from_utf8_lossy(&out.stderr));
    tosim_netlist::import::read_file(&j).expect("import yosys json")
}

fn designs(dir: &Path) -> Vec<Netlist> {
    let (w, a) = if full() { (16, 32) } else { (8, 16) };
    let mut v = vec![
        unit(Kind::Add, Arch::KoggeStone, a),
        unit(Kind::Mul, Arch::Dadda, w),
        unit(Kind::Mul, Arch::Array, w),
        unit(Kind::Div, Arch::Restoring, w),
        unit(Kind::Sqrt, Arch::NonRestoring, w),
    ];
    if support::tool("yosys") {
        v.push(yosys_mul(dir, w));
    }
    v
}

fn widths(n: &Netlist) -> Vec<u32> {
    n.inputs().iter().map(|b| b.width() as u32).collect()
}

/// Port name of an input bus in the exported Verilog.
fn port(n: &Netlist, bus: usize) -> String {
    let s = verilog_net_name(n, n.inputs()[bus].nets[0]);
    s.split('[').next().unwrap_or(&s).to_string()
}

/// The operations as hex, one bus per file line group: `vec_k.hex` per bus.
fn write_vectors(dir: &Path, n: &Netlist, s: &dyn Stream) {
    let k = n.inputs().len();
    let mut texts = vec![String::new(); k];
    let mut op = vec![0u128; k];
    for i in 0..s.len() {
        s.fill(i, &mut op);
        for b in 0..k {
            writeln!(texts[b], "{:x}", op[b]).unwrap();
        }
    }
    for (b, t) in texts.iter().enumerate() {
        std::fs::write(dir.join(format!("vec_{b}.hex")), t).unwrap();
    }
}

/// Writes the netlist and its cell library. With delays, the cells use
/// transport delays (`always @* Y <= #d …`): Icarus's inertial `assign #1`
/// keeps stale updates when two inputs of a node change in the step an update
/// falls due (`inertial_glitches_equal_icarus_until_icarus_contradicts_itself`);
/// with unit delays on an integer grid inertial and transport are the same model.
fn export(dir: &Path, n: &Netlist, delays: Option<&[u32]>) {
    let opts = VerilogOptions { net_delays: delays, transport: delays.is_some(), ..VerilogOptions::default() };
    let mut f = std::fs::File::create(dir.join("design.v")).unwrap();
    write_verilog_with(n, &opts, &mut f).unwrap();
    let mut f = std::fs::File::create(dir.join("cells.v")).unwrap();
    write_cell_library_verilog_with(n, &opts, &mut f).unwrap();
}

/// Nets to compare: everything but the constants.
fn probed(n: &Netlist) -> Vec<NetId> {
    n.nets().filter(|&x| !matches!(n.driver(x), Driver::Const(_))).collect()
}

/// Icarus: applies the vectors every `period` time units and dumps a VCD;
/// returns per-net counts of changes of the last value per time step, from
/// the first vector on.
fn icarus(dir: &Path, n: &Netlist, ops: u64, period: u64) -> BTreeMap<String, u64> {
    let m = verilog_module_name(n);
    let mut tb = String::from("`timescale 1ns/1ns\nmodule tb;\n");
    for (b, bus) in n.inputs().iter().enumerate() {
        let w = bus.width();
        writeln!(tb, "  reg [{}:0] v{b} [0:{}];\n  reg [{}:0] i{b} = 0;", w - 1, ops - 1, w - 1).unwrap();
    }
    let conns: Vec<String> = (0..n.inputs().len()).map(|b| format!(".{}(i{b})", port(n, b))).collect();
    writeln!(tb, "  {m} dut ({});\n  integer k;\n  initial begin", conns.join(", ")).unwrap();
    for b in 0..n.inputs().len() {
        writeln!(tb, "    $readmemh(\"vec_{b}.hex\", v{b});").unwrap();
    }
    writeln!(tb, "    $dumpfile(\"dump.vcd\");\n    $dumpvars(1, dut);\n    #{period};").unwrap();
    writeln!(tb, "    for (k = 0; k < {ops}; k = k + 1) begin").unwrap();
    for b in 0..n.inputs().len() {
        writeln!(tb, "      i{b} = v{b}[k];").unwrap();
    }
    writeln!(tb, "      #{period};\n    end\n    $finish;\n  end\nendmodule").unwrap();
    std::fs::write(dir.join("tb.v"), tb).unwrap();
    let out = Command::new("iverilog")
        .current_dir(dir)
        .args(["-o", "sim.vvp", "tb.v", "design.v", "cells.v"])
        .output()
        .expect("run iverilog");
    assert!(out.status.success(), "iverilog: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new("vvp").current_dir(dir).args(["-n", "sim.vvp"]).output().expect("run vvp");
    assert!(out.status.success(), "vvp: {}", String::from_utf8_lossy(&out.stderr));
    vcd_changes(&std::fs::read_to_string(dir.join("dump.vcd")).unwrap(), period)
}

/// Per-signal (bit) counts of changes of the last value per time step, from time `from` on.
fn vcd_changes(text: &str, from: u64) -> BTreeMap<String, u64> {
    vcd_events(text)
        .into_iter()
        .map(|(name, w)| (name, w.windows(2).filter(|p| p[1].0 >= from && p[1].1 != p[0].1).count() as u64))
        .collect()
}

/// Verilator: a wrapper probes every net through hierarchical references; the
/// C++ harness applies the vectors and counts, per net, the changes between
/// settled evaluations.
fn verilator(dir: &Path, n: &Netlist, ops: u64) -> Vec<u64> {
    let m = verilog_module_name(n);
    let nets = probed(n);
    let mut w = String::from("module probe(");
    let ports: Vec<String> = (0..n.inputs().len())
        .map(|b| format!("input [{}:0] i{b}", n.inputs()[b].width() - 1))
        .chain(std::iter::once(format!("output [{}:0] pr", nets.len() - 1)))
        .collect();
    writeln!(w, "{});", ports.join(", ")).unwrap();
    let conns: Vec<String> = (0..n.inputs().len()).map(|b| format!(".{}(i{b})", port(n, b))).collect();
    writeln!(w, "  {m} dut ({});", conns.join(", ")).unwrap();
    for (i, &net) in nets.iter().enumerate() {
        writeln!(w, "  assign pr[{i}] = dut.{};", verilog_net_name(n, net)).unwrap();
    }
    writeln!(w, "endmodule").unwrap();
    std::fs::write(dir.join("probe.v"), w).unwrap();
    let words = nets.len().div_ceil(32);
    let k = n.inputs().len();
    let mut cpp = String::from("#include \"Vprobe.h\"\n#include <cstdio>\n#include <cstdint>\n#include <vector>\n#include <fstream>\nint main(){\n  Vprobe t;\n");
    writeln!(cpp, "  std::vector<std::vector<unsigned long long>> v({k});").unwrap();
    for b in 0..k {
        writeln!(cpp, "  {{ std::ifstream f(\"vec_{b}.hex\"); unsigned long long x; while (f >> std::hex >> x) v[{b}].push_back(x); }}").unwrap();
    }
    writeln!(cpp, "  std::vector<unsigned long long> cnt({});\n  uint32_t prev[{words}];", nets.len()).unwrap();
    let pr = |i: usize| {
        if nets.len() > 64 {
            format!("t.pr[{i}]")
        } else if nets.len() > 32 {
            format!("(uint32_t)(t.pr >> {})", 32 * i)
        } else {
            "t.pr".into()
        }
    };
    for b in 0..k {
        writeln!(cpp, "  t.i{b} = 0;").unwrap();
    }
    writeln!(cpp, "  t.eval();").unwrap();
    for i in 0..words {
        writeln!(cpp, "  prev[{i}] = {};", pr(i)).unwrap();
    }
    writeln!(cpp, "  for (size_t op = 0; op < {ops}; op++) {{").unwrap();
    for b in 0..k {
        writeln!(cpp, "    t.i{b} = v[{b}][op];").unwrap();
    }
    writeln!(cpp, "    t.eval();").unwrap();
    for i in 0..words {
        writeln!(
            cpp,
            "    {{ uint32_t c = {}; uint32_t d = c ^ prev[{i}]; prev[{i}] = c; while (d) {{ int b = __builtin_ctz(d); cnt[{i} * 32 + b]++; d &= d - 1; }} }}",
            pr(i)
        )
        .unwrap();
    }
    writeln!(cpp, "  }}\n  for (size_t i = 0; i < cnt.size(); i++) printf(\"%llu\\n\", cnt[i]);\n  return 0;\n}}")
        .unwrap();
    std::fs::write(dir.join("main.cpp"), cpp).unwrap();
    let out = Command::new("verilator")
        .current_dir(dir)
        .args([
            "--cc",
            "--exe",
            "--build",
            "-O1",
            "-Wno-fatal",
            "-Wno-lint",
            "-Wno-UNOPTFLAT",
            "--top-module",
            "probe",
            "-CFLAGS",
            "-O1",
            "probe.v",
            "design.v",
            "cells.v",
            "main.cpp",
        ])
        .output()
        .expect("run verilator");
    assert!(out.status.success(), "verilator: {}", String::from_utf8_lossy(&out.stderr));
    let out = Command::new(dir.join("obj_dir/Vprobe")).current_dir(dir).output().expect("run Vprobe");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().unwrap()).collect()
}

fn textbook(n: &Netlist) -> Vec<tosim_cells::CellModel> {
    Library::textbook().expect("textbook library").bind(n).expect("bind")
}

/// Per-net settled toggles equal Verilator's and Icarus', net by net, and the
/// engine's outputs equal the scalar evaluator's.
#[test]
fn zero_delay_toggles_equal_verilator_and_icarus() {
    let dir = support::scratch("sim_zero");
    let (has_iv, has_vl) = (support::tool("iverilog"), support::tool("verilator"));
    for n in designs(&dir) {
        let d = dir.join(n.name());
        std::fs::create_dir_all(&d).unwrap();
        let s = Generated::uniform(&widths(&n), OPS, 2024);
        let models = textbook(&n);
        let p = Program::compile(&n, &models).unwrap();
        let act = run_zero_delay(&p, &s, &Options::default());
        // Settled values: toggles of every net from the scalar evaluator.
        let mut prev = tosim_netlist::eval_nets(&n, &vec![0; widths(&n).len()]);
        let mut expect = vec![0u64; n.net_count()];
        let mut op = vec![0u128; widths(&n).len()];
        for i in 0..s.len() {
            s.fill(i, &mut op);
            let v = tosim_netlist::eval_nets(&n, &op);
            for (j, (a, b)) in v.iter().zip(&prev).enumerate() {
                expect[j] += (a != b) as u64;
            }
            prev = v;
        }
        assert_eq!(&act.toggles[..n.net_count()], &expect[..], "{}: scalar evaluator", n.name());
        if !(has_iv || has_vl) {
            continue;
        }
        write_vectors(&d, &n, &s);
        export(&d, &n, None);
        if has_vl {
            let counts = verilator(&d, &n, OPS);
            for (i, net) in probed(&n).into_iter().enumerate() {
                assert_eq!(counts[i], act.toggles[net.index()], "{}: Verilator, net {}", n.name(), n.net_name(net));
            }
        }
        if has_iv {
            let counts = icarus(&d, &n, OPS, 10);
            for net in probed(&n) {
                let name = verilog_net_name(&n, net);
                assert_eq!(
                    counts.get(&name).copied().unwrap_or(0),
                    act.toggles[net.index()],
                    "{}: Icarus, net {name}",
                    n.name()
                );
            }
        }
        eprintln!("{}: {} nets equal", n.name(), probed(&n).len());
    }
}

/// Glitch mode with unit delay equals Icarus running the stage netlist with
/// `#1` per stage, transition by transition, and settles to the scalar
/// evaluator's values (the engine asserts settling; the settled toggles are
/// compared with the zero-delay engine).
#[test]
fn unit_delay_glitches_equal_icarus() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("sim_glitch");
    let ops = 2_000;
    let w = if full() { 16 } else { 6 };
    // The binary16 adder: unit delay makes it glitch ~17x its settled count
    // (alignment and normalisation shifters whose selects arrive late); Icarus
    // sees the same transitions, so that figure is the model's, not a bug.
    let fadd = tosim_units::float::generate(&tosim_units::float::FloatSpec::new(
        tosim_units::float::FloatKind::Add,
        tosim_units::float::Format::Binary16,
    ))
    .unwrap();
    for n in [
        unit(Kind::Mul, Arch::Dadda, w),
        unit(Kind::Add, Arch::KoggeStone, 2 * w),
        unit(Kind::Div, Arch::Restoring, w),
        fadd,
    ] {
        let d = dir.join(n.name());
        std::fs::create_dir_all(&d).unwrap();
        let s = Generated::uniform(&widths(&n), ops, 77);
        let models = textbook(&n);
        let gp = GlitchProgram::compile(&n, &models, Delay::Unit).unwrap();
        let act = run_glitch(&gp, &s, &GlitchOptions::default());
        let p = Program::compile(&n, &models).unwrap();
        let zero = run_zero_delay(&p, &s, &Options::default());
        let st = gp.stages();
        for (i, o) in st.origin.iter().enumerate() {
            if let Some(o) = o {
                assert_eq!(act.toggles[i], zero.toggles[o.index()], "settled toggles");
            }
        }
        let sn = &st.netlist;
        write_vectors(&d, sn, &s);
        export(&d, sn, Some(&st.delays));
        let period = gp.horizon() as u64 + 2;
        let counts = icarus(&d, sn, ops, period);
        let mut glitchy = 0;
        for net in probed(sn) {
            let name = verilog_net_name(sn, net);
            let got = act.transitions[net.index()];
            assert_eq!(counts.get(&name).copied().unwrap_or(0), got, "{}: net {name}", n.name());
            glitchy += (got > act.toggles[net.index()]) as usize;
        }
        let r = gp.report(&act, false);
        assert!(r.glitch_tos.unwrap() >= r.switching_tos);
        eprintln!("{}: {} stage nets equal, {glitchy} glitch", n.name(), probed(sn).len());
    }
}

/// Glitch mode with the template RC delays (`Delay::Rc`, textbook cells: the
/// stage-summary fallback) in transport mode, where a node's delay is the
/// larger of its rise and fall delays, equals Icarus running the stage netlist
/// with those `#d` (transport `always @*` cells), transition by transition.
/// (Rise ≠ fall inertial needs `#(rise, fall)` in the export; it is checked
/// against the event-driven reference in tosim-sim's tests.)
#[test]
fn rc_transport_glitches_equal_icarus() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("sim_glitch_rc");
    let ops = 2_000;
    for n in
        [unit(Kind::Mul, Arch::Dadda, 6), unit(Kind::Add, Arch::KoggeStone, 12), unit(Kind::Div, Arch::Restoring, 6)]
    {
        let d = dir.join(n.name());
        std::fs::create_dir_all(&d).unwrap();
        let s = Generated::uniform(&widths(&n), ops, 77);
        let gp = GlitchProgram::compile(&n, &textbook(&n), Delay::Rc).unwrap();
        let act = run_glitch(&gp, &s, &GlitchOptions { transport: true, ..GlitchOptions::default() });
        let st = gp.stages();
        let sn = &st.netlist;
        let dmax: Vec<u32> = st.delays.iter().zip(&st.fall_delays).map(|(r, f)| *r.max(f)).collect();
        write_vectors(&d, sn, &s);
        export(&d, sn, Some(&dmax));
        let counts = icarus(&d, sn, ops, gp.horizon() as u64 + 2);
        for net in probed(sn) {
            let name = verilog_net_name(sn, net);
            assert_eq!(
                counts.get(&name).copied().unwrap_or(0),
                act.transitions[net.index()],
                "{}: net {name}",
                n.name()
            );
        }
        eprintln!("{}: {} stage nets equal (delays up to {})", n.name(), probed(sn).len(), dmax.iter().max().unwrap());
    }
}

/// `RAYON_NUM_THREADS=1` and `2` give byte-identical JSON from the binary.
#[test]
fn thread_count_does_not_change_the_report() {
    let dir = support::scratch("sim_threads");
    let run = |threads: &str, mode: &str| {
        let out = dir.join(format!("r{threads}{mode}.json"));
        let st = Command::new(env!("CARGO_BIN_EXE_tosim"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "unit",
                "sim",
                "--kind",
                "mul",
                "--arch",
                "wallace",
                "--width",
                "8",
                "--count",
                "100000",
                "--per-net",
            ])
            .args(["--mode", mode, "--json"])
            .arg(&out)
            .status()
            .expect("run tosim");
        assert!(st.success());
        std::fs::read_to_string(out).unwrap()
    };
    for mode in ["zero", "glitch"] {
        let one = run("1", mode);
        assert!(one.contains("\"switching_tos\""));
        assert_eq!(one, run("2", mode), "mode {mode}");
    }
}

/// The report's totals are the per-net sums: switching TOs = Σ toggles × gate load.
#[test]
fn report_adds_up() {
    let n = unit(Kind::Add, Arch::Sklansky, 8);
    let models = textbook(&n);
    let p = Program::compile(&n, &models).unwrap();
    let s = Generated::uniform(&widths(&n), 3000, 5);
    let act = run_zero_delay(&p, &s, &Options::default());
    let r = Report::new(&p, &act, true);
    let nets = r.nets.as_ref().unwrap();
    let per_net: u64 = nets.iter().map(|x| x.toggles * x.gate_load as u64).sum();
    // Internal nodes not folded into a net add their own share.
    let internal: u64 =
        (p.net_count()..p.slots()).map(|i| act.toggles[i] * p.gate_load(SlotId::from_index(i)) as u64).sum();
    assert_eq!(r.switching_tos, per_net + internal);
    assert_eq!(r.net_toggles, nets.iter().map(|x| x.toggles).sum::<u64>());
    assert_eq!(r.per_type.values().map(|t| t.switching_tos).sum::<u64>(), r.switching_tos);
    assert_eq!(r.static_tos, r.transistors * 3000);
}

/// `Options::outputs`: the engine's output bus values of every operation equal
/// the scalar evaluator's, exhaustively for 4-bit units and on random streams
/// for wider ones (the 40-bit multiplier's 80-bit product crosses a 64-bit
/// word), with one and two threads and chunks smaller than the stream.
#[test]
fn engine_outputs_equal_the_scalar_evaluator() {
    let exhaustive = |n: &Netlist| {
        let w = widths(n);
        let total: u64 = w.iter().map(|&b| 1u64 << b).product();
        let mut v = Vec::with_capacity(total as usize * w.len());
        for i in 0..total {
            let mut rest = i;
            for &b in &w {
                v.push((rest & ((1 << b) - 1)) as u128);
                rest >>= b;
            }
        }
        Recorded::new(w.len(), v)
    };
    let small = [
        unit(Kind::Add, Arch::KoggeStone, 4),
        unit(Kind::Mul, Arch::Dadda, 4),
        unit(Kind::Mul, Arch::Booth, 4),
        unit(Kind::Div, Arch::Restoring, 4),
        unit(Kind::Sqrt, Arch::NonRestoring, 4),
        unit(Kind::Max, Arch::Ripple, 4),
    ];
    let large = [
        unit(Kind::Add, Arch::Sklansky, 32),
        unit(Kind::Mul, Arch::Wallace, 16),
        unit(Kind::Mul, Arch::Array, 40),
        unit(Kind::Div, Arch::NonRestoring, 12),
    ];
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let two = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let streams: Vec<(&Netlist, Box<dyn Stream>)> = small
        .iter()
        .map(|n| (n, Box::new(exhaustive(n)) as Box<dyn Stream>))
        .chain(large.iter().map(|n| (n, Box::new(Generated::uniform(&widths(n), 5000, 9)) as Box<dyn Stream>)))
        .collect();
    for (n, s) in &streams {
        let p = Program::compile(n, &textbook(n)).unwrap();
        let opts = Options { per_op_stats: false, outputs: true, chunk: 1024, ..Options::default() };
        let a = one.install(|| run_zero_delay(&p, s.as_ref(), &opts));
        let b = two.install(|| run_zero_delay(&p, s.as_ref(), &opts));
        let outs = a.outputs.as_ref().unwrap();
        assert_eq!(b.outputs.as_ref(), Some(outs), "{}: 1 and 2 threads", n.name());
        assert_eq!(outs.len() as u64, s.len());
        let mut op = vec![0u128; s.operands()];
        for i in 0..s.len() {
            s.fill(i, &mut op);
            assert_eq!(outs.get(i as usize).unwrap(), &tosim_netlist::eval(n, &op)[..], "{} op {i}", n.name());
        }
        eprintln!("{}: {} operations, outputs equal", n.name(), s.len());
    }
}

/// `tosim unit sim --stream FILE`: the report equals the library's on the same
/// operations, and a bad line is reported with its file and line number.
#[test]
fn stream_file_through_the_cli() {
    let dir = support::scratch("sim_stream_file");
    let n = unit(Kind::Add, Arch::Ripple, 8);
    let w = widths(&n);
    let g = Generated::uniform(&w, 3000, 4);
    let mut text = String::from("# a b cin\n");
    let mut values = Vec::new();
    let mut op = vec![0u128; w.len()];
    for i in 0..g.len() {
        g.fill(i, &mut op);
        values.extend_from_slice(&op);
        let sep = if i % 2 == 0 { " " } else { ", " };
        text += &op.iter().map(|v| format!("0x{v:x}")).collect::<Vec<_>>().join(sep);
        text += if i % 7 == 0 { "\r\n\n" } else { "\n" };
    }
    let file = dir.join("ops.txt");
    std::fs::write(&file, &text).unwrap();
    let run = |path: &Path| {
        Command::new(env!("CARGO_BIN_EXE_tosim"))
            .args(["unit", "sim", "--kind", "add", "--arch", "ripple", "--width", "8", "--per-net", "--json", "-"])
            .arg("--stream")
            .arg(path)
            .output()
            .expect("run tosim")
    };
    let out = run(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = Program::compile(&n, &textbook(&n)).unwrap();
    let act = run_zero_delay(&p, &Recorded::new(w.len(), values), &Options::default());
    let want = serde_json::to_value(Report::new(&p, &act, true)).unwrap();
    assert_eq!(got["operations"], 3000);
    for key in ["switching_tos", "net_toggles", "static_tos", "nets"] {
        assert_eq!(got[key], want[key], "{key}");
    }
    // Statistics: integers exactly; mean and std up to serde_json's float
    // parsing (not always the nearest double, so the last digit may differ).
    for q in ["switching_tos", "net_toggles"] {
        for f in ["min", "p5", "median", "p95", "max"] {
            assert_eq!(got["per_op"][q][f], want["per_op"][q][f], "per_op {q} {f}");
        }
        for f in ["mean", "std"] {
            let (a, b) = (got["per_op"][q][f].as_f64().unwrap(), want["per_op"][q][f].as_f64().unwrap());
            assert!((a - b).abs() <= 1e-12 * b.abs(), "per_op {q} {f}: {a} vs {b}");
        }
    }
    let bad = dir.join("bad.txt");
    std::fs::write(&bad, "1 2 0\n3 4\n").unwrap();
    let out = run(&bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.txt:2: 2 operands, expected 3"), "{err}");
}

#[test]
fn analog_mode_through_the_cli() {
    let dir = support::scratch("sim_analog");
    let csv = dir.join("per_op.csv");
    let run = |mode: &str| {
        Command::new(env!("CARGO_BIN_EXE_tosim"))
            .args(["unit", "sim", "--kind", "add", "--arch", "kogge-stone", "--width", "6", "--delay", "rc"])
            .args(["--stream", "random", "--count", "300", "--seed", "3", "--json", "-", "--mode", mode])
            .arg("--per-op")
            .arg(&csv)
            .output()
            .expect("run tosim")
    };
    let out = run("analog");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The zero-delay part of the report is the zero-delay engine's.
    let n = unit(Kind::Add, Arch::KoggeStone, 6);
    let p = Program::compile(&n, &textbook(&n)).unwrap();
    let s = Generated::uniform(&widths(&n), 300, 3);
    let act = run_zero_delay(&p, &s, &Options::default());
    let zero = Report::new(&p, &act, false);
    assert_eq!(j["switching_tos"].as_u64(), Some(zero.switching_tos));
    // Partial and full glitches on top of the settled toggles.
    let analog = j["analog_tos"].as_f64().unwrap();
    assert!(analog > zero.switching_tos as f64, "{analog} vs {}", zero.switching_tos);
    assert!(j["analog_cap_ff"].as_f64().unwrap() > 0.0);
    assert!(j["per_op"]["analog_tos"]["mean"].as_f64().is_some());
    // One CSV row per operation; its columns add up to the totals.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("op,switching_tos,analog_tos,analog_cap_ff,net_toggles"));
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 300);
    let sum = |c: usize| rows.iter().map(|r| r[c]).sum::<f64>();
    assert_eq!(sum(1) as u64, zero.switching_tos);
    // The CSV holds 4 decimals per row.
    assert!((sum(2) - analog).abs() < 300.0 * 1e-4, "{} vs {analog}", sum(2));
    // An unknown mode names the ones there are.
    let bad = run("spice");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("zero, glitch, analog"));
}

/// Per-signal (bit) waveforms: (time, value) with the last value of each time step.
fn vcd_events(text: &str) -> BTreeMap<String, Vec<(u64, u8)>> {
    let mut vars: BTreeMap<String, Vec<(String, usize, usize)>> = BTreeMap::new();
    let mut lines = text.lines();
    for l in lines.by_ref() {
        let t: Vec<&str> = l.split_whitespace().collect();
        if t.first() == Some(&"$var") {
            let lo: usize = if t.len() > 6 && t[5].starts_with('[') {
                t[5].trim_matches(|c| c == '[' || c == ']').split(':').nth(1).and_then(|x| x.parse().ok()).unwrap_or(0)
            } else {
                0
            };
            vars.entry(t[3].to_string()).or_default().push((t[4].to_string(), t[2].parse().unwrap(), lo));
        }
        if l.starts_with("$enddefinitions") {
            break;
        }
    }
    let mut ev: BTreeMap<String, Vec<(u64, u8)>> = BTreeMap::new();
    let mut time = 0u64;
    for l in lines {
        if let Some(t) = l.strip_prefix('#') {
            time = t.parse().unwrap();
            continue;
        }
        let (val, id) = if let Some(rest) = l.strip_prefix('b') {
            let mut it = rest.split_whitespace();
            (it.next().unwrap().to_string(), it.next().unwrap().to_string())
        } else if l.starts_with(['0', '1', 'x', 'z']) {
            (l[..1].to_string(), l[1..].to_string())
        } else {
            continue;
        };
        let Some(v) = vars.get(&id) else { continue };
        let bytes = val.as_bytes();
        let fill = if bytes[0] == b'1' { b'0' } else { bytes[0] };
        for (name, w, lo) in v {
            for i in 0..*w {
                let bit = if i < bytes.len() { bytes[bytes.len() - 1 - i] } else { fill };
                let key = if *w == 1 { name.clone() } else { format!("{name}[{}]", lo + i) };
                let e = ev.entry(key).or_default();
                match e.last_mut() {
                    Some(last) if last.0 == time => last.1 = bit,
                    _ => e.push((time, bit)),
                }
            }
        }
    }
    ev
}

/// The earliest time at which a stage output in the waveforms `ev` breaks
/// inertial delay semantics (Verilog's and ours alike): its right-hand side,
/// computed from its inputs' waveforms, has been `v` for the delay of
/// direction `v` (`rise` for 1, `fall` for 0), yet the output is not `v`.
/// Returns (time, output net).
fn first_inertial_violation(
    sn: &Netlist,
    rise: &[u32],
    fall: &[u32],
    ev: &BTreeMap<String, Vec<(u64, u8)>>,
) -> Option<(u64, String)> {
    let value_at = |w: &[(u64, u8)], t: u64| match w.partition_point(|e| e.0 <= t) {
        0 => None,
        i => Some(w[i - 1].1),
    };
    let mut first: Option<(u64, String)> = None;
    for &c in sn.order() {
        let out = sn.cell_outputs(c)[0];
        let oname = verilog_net_name(sn, out);
        let Some(ow) = ev.get(&oname) else { continue };
        let ins: Vec<&Vec<(u64, u8)>> =
            sn.cell_inputs(c).iter().filter_map(|&x| ev.get(&verilog_net_name(sn, x))).collect();
        if ins.len() != sn.cell_inputs(c).len() {
            continue;
        }
        // Times at which the right-hand side may change, in order.
        let mut times: Vec<u64> = ins.iter().flat_map(|w| w.iter().map(|e| e.0)).collect();
        times.sort_unstable();
        times.dedup();
        let f = sn.cell_type(c).functions[0];
        // Segments (start, value) of the right-hand side, equal neighbours merged.
        let mut segs: Vec<(u64, bool)> = Vec::new();
        for &s in &times {
            let row = ins.iter().enumerate().try_fold(0u32, |r, (i, w)| match value_at(w, s)? {
                b'1' => Some(r | 1 << i),
                b'0' => Some(r),
                _ => None,
            });
            let Some(row) = row else { continue };
            let v = f.eval(row);
            if segs.last().map_or(true, |l| l.1 != v) {
                segs.push((s, v));
            }
        }
        for (j, &(s, v)) in segs.iter().enumerate() {
            let d = u64::from(if v { rise[out.index()] } else { fall[out.index()] });
            let end = segs.get(j + 1).map_or(u64::MAX, |x| x.0);
            // The right-hand side is v over [s, end): the output must be v over [s + d, end].
            let from = s + d;
            if from > end {
                continue;
            }
            let want = if v { b'1' } else { b'0' };
            let bad = if value_at(ow, from) != Some(want) {
                Some(from)
            } else {
                ow.iter().find(|e| e.0 > from && e.0 <= end && e.1 != want).map(|e| e.0)
            };
            if let Some(t) = bad {
                if first.as_ref().map_or(true, |f| t < f.0) {
                    first = Some((t, oname.clone()));
                }
                break;
            }
        }
    }
    first
}

/// Inertial delays exported as Verilog `assign #(rise, fall)`: unit delay
/// (`#(1, 1)`) and the `rc` model's own rule, inertial per direction with
/// rise ≠ fall. Icarus equals tosim transition for
/// transition, net by net, on every operation up to the first moment Icarus
/// breaks inertial semantics itself: a stage output that differs from a
/// right-hand side which has held its value for the delay of that direction
/// (computed here from Icarus's own waveforms of the stage's inputs). On all
/// three designs that moment has the same shape: two inputs of a node change
/// in the time step in which an update of the node falls due; the node takes
/// the update and then, one delay of the opposite direction later, the value
/// of the intermediate evaluation between the two input changes, although
/// the right-hand side is back and stays (Icarus evaluates a continuous
/// assignment once per input event, and the second evaluation does not
/// cancel the update the first one queued). From there on the two runs start
/// operations from different states. (With unit delay the restoring divider
/// meets it in operation 1 and then settles some nets wrongly: why the
/// unit-delay comparison above uses the transport export.)
#[test]
fn inertial_glitches_equal_icarus_until_icarus_contradicts_itself() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("sim_glitch_inertial");
    let ops = 2_000;
    let mut contradicted = 0;
    let designs = || {
        [unit(Kind::Mul, Arch::Dadda, 6), unit(Kind::Add, Arch::KoggeStone, 12), unit(Kind::Div, Arch::Restoring, 6)]
    };
    for (delay, n) in designs().map(|n| (Delay::Unit, n)).into_iter().chain(designs().map(|n| (Delay::Rc, n))) {
        let d = dir.join(format!("{}_{delay:?}", n.name()));
        std::fs::create_dir_all(&d).unwrap();
        let s = Generated::uniform(&widths(&n), ops, 78);
        let gp = GlitchProgram::compile(&n, &textbook(&n), delay).unwrap();
        let st = gp.stages();
        let sn = &st.netlist;
        if delay == Delay::Rc {
            assert!(st.delays.iter().zip(&st.fall_delays).any(|(r, f)| r != f), "rise and fall differ somewhere");
        }
        let opts = VerilogOptions {
            net_delays: Some(&st.delays),
            net_fall_delays: Some(&st.fall_delays),
            ..VerilogOptions::default()
        };
        write_verilog_with(sn, &opts, &mut std::fs::File::create(d.join("design.v")).unwrap()).unwrap();
        write_cell_library_verilog_with(sn, &opts, &mut std::fs::File::create(d.join("cells.v")).unwrap()).unwrap();
        let period = gp.horizon() as u64 + 2;
        let run_both = |k: u64| {
            let prefix = Recorded::new(s.operands(), {
                let mut v = Vec::new();
                let mut op = vec![0u128; s.operands()];
                for i in 0..k {
                    s.fill(i, &mut op);
                    v.extend_from_slice(&op);
                }
                v
            });
            write_vectors(&d, sn, &prefix);
            let counts = icarus(&d, sn, k, period);
            let act = run_glitch(&gp, &prefix, &GlitchOptions::default());
            let differ: Vec<String> = probed(sn)
                .into_iter()
                .filter_map(|net| {
                    let name = verilog_net_name(sn, net);
                    let (i, t) = (counts.get(&name).copied().unwrap_or(0), act.transitions[net.index()]);
                    (i != t).then(|| format!("{name}: icarus {i}, tosim {t}"))
                })
                .collect();
            differ
        };
        let differ = run_both(ops);
        // The first time Icarus breaks the inertial rule it was given.
        let ev = vcd_events(&std::fs::read_to_string(d.join("dump.vcd")).unwrap());
        let bad =
            first_inertial_violation(sn, &st.delays, &st.fall_delays, &ev).map(|(t, net)| (t / period - 1, t, net));
        match bad {
            None => {
                assert!(differ.is_empty(), "{} {delay:?}: {} nets differ: {:?}", n.name(), differ.len(), differ);
                eprintln!("{} {delay:?}: every net equal over {ops} operations", n.name());
            }
            Some((k, t, net)) => {
                contradicted += 1;
                assert!(
                    !differ.is_empty(),
                    "{} {delay:?}: Icarus contradicts itself at {net} yet counts agree",
                    n.name()
                );
                // Up to that operation (excluded), every net agrees.
                let before = run_both(k);
                assert!(before.is_empty(), "{} {delay:?}: before operation {k}: {:?}", n.name(), before);
                eprintln!(
                    "{} {delay:?}: equal on every net for operations 0..{k}; in operation {k}, at t = {}, Icarus holds {net} \
                     against an input that has stood for the delay; {} nets differ over {ops}",
                    n.name(),
                    t - period * (k + 1),
                    differ.len()
                );
            }
        }
    }
    eprintln!("{contradicted} of 6 runs hit the Icarus fault");
}

//! Energy fidelity: SPICE decks of units bound to SKY130 cells, ngspice energy
//! per operation against TO counts (`tosim validate spice`), and the
//! calibration fit (`tosim fit`).
//!
//! The figures in `docs/fidelity.md` come from the full command written there;
//! this module runs a small version (one adder, one multiplier).

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::support::{self, sky130};

fn tosim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).output().expect("run tosim")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "tosim failed:\nstdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Deterministic noise in [-1, 1).
fn noise(i: u64) -> f64 {
    (tosim_sim::splitmix64(i) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

#[test]
fn fit_recovers_a_known_line() {
    // energy = 2.5·tos + 40 (exact) and flops = 100 for every row: the fit on
    // tos must return a = 2.5, b = 40, r = 1, cross-validated MRE 0 and
    // precision 1; the constant column is the mean model, r undefined.
    let dir = support::scratch("spice_fit_exact");
    let mut csv = String::from("op,design,tos,flops,energy\n");
    for i in 0..50u64 {
        let tos = 10 + (i * 37) % 90;
        let _ = writeln!(csv, "{i},u8,{tos},100,{}", 2.5 * tos as f64 + 40.0);
    }
    let f = dir.join("m.csv");
    std::fs::write(&f, csv).unwrap();
    let out = ok(&tosim(&["fit", f.to_str().unwrap(), "--json", "-"]));
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["rows"], 50);
    let preds = j["predictors"].as_array().unwrap();
    // `op` is skipped by default and `design` is not numeric.
    let names: Vec<&str> = preds.iter().map(|p| p["predictor"].as_str().unwrap()).collect();
    assert_eq!(names, ["tos", "flops"]);
    let tos = &preds[0];
    assert!((num(&tos["fit"]["a"]) - 2.5).abs() < 1e-9);
    assert!((num(&tos["fit"]["b"]) - 40.0).abs() < 1e-7);
    assert!((num(&tos["fit"]["r"]) - 1.0).abs() < 1e-12);
    assert!(num(&tos["cv_mre"]) < 1e-9);
    assert!((num(&tos["precision"]) - 1.0).abs() < 1e-9);
    assert!(preds[1]["fit"]["r"].is_null(), "a constant column has no correlation");
    assert_eq!(num(&preds[1]["fit"]["a"]), 0.0);
}

#[test]
fn fit_with_noise_is_close_and_beats_the_constant() {
    // energy = 1.8·tos + 25 + uniform noise of ±5 % of the mean: the slope
    // stays within 5 % of 1.8; the cross-validated error of tos is below the
    // noise bound (5 %) and far below the constant model's, since tos spans
    // 20..219 (a 10× range).
    let dir = support::scratch("spice_fit_noise");
    let mut csv = String::from("switching_tos,static_tos,energy\n");
    let mut mean = 0.0;
    let rows: Vec<(f64, f64)> = (0..200u64)
        .map(|i| {
            let tos = 20.0 + ((i * 7919) % 200) as f64;
            (tos, 1.8 * tos + 25.0)
        })
        .collect();
    for (_, e) in &rows {
        mean += e / rows.len() as f64;
    }
    for (i, (tos, e)) in rows.iter().enumerate() {
        let _ = writeln!(csv, "{tos},224,{}", e + 0.05 * mean * noise(i as u64));
    }
    let f = dir.join("m.csv");
    std::fs::write(&f, csv).unwrap();
    let j: Value = serde_json::from_str(&ok(&tosim(&["fit", f.to_str().unwrap(), "--json", "-"]))).unwrap();
    let tos = &j["predictors"][0];
    assert_eq!(tos["predictor"], "switching_tos");
    assert!((num(&tos["fit"]["a"]) / 1.8 - 1.0).abs() < 0.05, "{tos}");
    let cv = num(&tos["cv_mre"]);
    let constant = num(&j["constant"]["cv_mre"]);
    assert!(cv < 0.05 && cv * 4.0 < constant, "tos {cv}, constant {constant}");
    // The table form names every predictor.
    let table = ok(&tosim(&["fit", f.to_str().unwrap()]));
    assert!(table.contains("switching_tos") && table.contains("constant") && table.contains("precision"));
    // A missing energy column is an error naming the columns.
    let bad = tosim(&["fit", f.to_str().unwrap(), "--energy", "joules"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("switching_tos"));
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn deck_of_a_ripple_adder() {
    let Some(hd) = sky130::cells_dir() else { return };
    let dir = support::scratch("spice_deck");
    // 4-bit ripple adder, ports a[4], b[4], cin[1]; three operations.
    let ops = dir.join("ops.txt");
    std::fs::write(&ops, "15 1 0\n0 0 1\n5 10 1\n").unwrap();
    let out = dir.join("deck");
    let o = tosim(&[
        "spice",
        "export",
        "--kind",
        "add",
        "--arch",
        "ripple",
        "--width",
        "4",
        "--cells",
        hd.to_str().unwrap(),
        "--stream",
        ops.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    ok(&o);
    let deck = std::fs::read_to_string(out.join("deck.sp")).unwrap();
    // One fa_1 per bit; drivers: inv_1 + inv_2 per input bit (9 bits); loads: one inv_1 per output bit (5).
    assert_eq!(count(&deck, " sky130_fd_sc_hd__fa_1\n"), 4);
    assert_eq!(count(&deck, " sky130_fd_sc_hd__inv_2\n"), 9);
    assert_eq!(count(&deck, " sky130_fd_sc_hd__inv_1\n"), 9 + 5);
    // Bit changes from the reset state 0 0 0: a: 0→15→0→5 changes 4+4+2 bits,
    // b: 0→1→0→10 changes 1+1+2, cin: 0→0→1→1 changes 1: 15 ramps, each a `+` line.
    assert_eq!(count(&deck, "\n+ "), 15);
    let cells = std::fs::read_to_string(out.join("cells.sp")).unwrap();
    for c in ["fa_1", "inv_1", "inv_2"] {
        assert_eq!(count(&cells, &format!(".subckt sky130_fd_sc_hd__{c} ")), 1, "{c}");
    }
    let models = std::fs::read_to_string(out.join("models.sp")).unwrap();
    assert!(models.contains(".option scale=1.0u") && models.contains("nfet_01v8__tt.pm3.spice"));
    assert!(std::fs::read_to_string(out.join(".spiceinit")).unwrap().contains("ngbehavior=hsa"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("112 transistors"), "4 × 28 in fa_1");
}

fn predictor<'a>(c: &'a Value, p: &str) -> &'a Value {
    &c["predictors"][p]
}

#[test]
fn spice_energy_tracks_switching_tos() {
    if !support::tool("ngspice") {
        return;
    }
    let Some(hd) = sky130::cells_dir() else { return };
    let dir = support::scratch("spice_validate");
    let out = ok(&tosim(&[
        "validate",
        "spice",
        "--circuits",
        "add:ripple:8@60,add:kogge-stone:8@60,mul:array:4@40",
        "--cells",
        hd.to_str().unwrap(),
        "--jobs",
        "2",
        "-o",
        dir.to_str().unwrap(),
        "--json",
        "-",
    ]));
    // The command fails unless every period settles and every output equals the unit's values (HwUnit::eval).
    let j: Value = serde_json::from_str(&out).unwrap();
    let circuits = j["circuits"].as_array().unwrap();
    assert_eq!(circuits.len(), 3);
    for c in circuits {
        let name = c["name"].as_str().unwrap();
        let ops = c["operations"].as_u64().unwrap();
        assert_eq!(c["correct"].as_u64(), Some(ops), "{name}");
        assert_eq!(c["settled"].as_u64(), Some(ops), "{name}");
        // Plausible magnitudes: tens to thousands of fJ per operation for 224..~700 transistors.
        let e = num(&c["energy_fj"]["mean"]);
        assert!((10.0..5000.0).contains(&e), "{name}: {e} fJ/op");
        // Operand dependence: the most expensive operation costs several times the cheapest.
        assert!(num(&c["energy_fj"]["max_over_min"]) > 2.0, "{name}");
        // Switching TOs track the energy, and beat the constant (static TO) cost.
        let sw = predictor(c, "switching_tos");
        let r = num(&sw["fit"]["r"]);
        let r_rc = num(&predictor(c, "glitch_tos_rc")["fit"]["r"]);
        eprintln!(
            "{name}: r(switching TOs) {r:.3}, r(glitch TOs, effort) {:.3}, r(glitch TOs, rc) {r_rc:.3}",
            num(&predictor(c, "glitch_tos_effort")["fit"]["r"])
        );
        assert!(r > 0.7, "{name}: r(switching TOs) = {r}");
        // The glitch engine with template RC delays (rise/fall, inertial)
        // predicts the energy better than the zero-delay count on the ripple
        // adder and the multiplier (docs/fidelity.md: 0.966 vs 0.835 and 0.946
        // vs 0.926 on these streams), not on the Kogge-Stone adder (0.838 vs
        // 0.870): its half adders' XNOR nodes make full pulses in the boolean
        // model that stay partial in SPICE.
        if name != "add_kogge_stone_u8" {
            assert!(r_rc > r, "{name}: r(glitch TOs, rc) {r_rc} <= r(switching TOs) {r}");
        }
        // The continuous RC model (partial swings by amplitude), weighted by
        // switched capacitance with the deck, beats zero delay on all three
        // (0.987 vs 0.835, 0.924 vs 0.870, 0.993 vs 0.926 on these streams).
        let r_an = num(&predictor(c, "analog_cap_rc_deck_ff")["fit"]["r"]);
        eprintln!("{name}: r(analog capacitance, rc) {r_an:.3}");
        assert!(r_an > r, "{name}: r(analog, rc) {r_an} <= r(switching TOs) {r}");
        let st = predictor(c, "static_tos");
        assert!(num(&sw["cv_mre"]) < num(&st["cv_mre"]), "{name}");
        // Energy per switching TO: fJ scale (0.5..10 fJ per gate switched, with wires absent).
        let k = num(&sw["per_unit_fj"]);
        assert!((0.5..10.0).contains(&k), "{name}: {k} fJ per switching TO");
    }
    // Switched capacitance counted by the RC glitch model, with the deck's
    // drivers and loads, carries its energy per fF from one circuit to the
    // others within the 12 % issue 8 asks for (8.0 % measured, docs/fidelity.md).
    let t = num(&j["transfer_max"]["glitch_cap_rc_deck_ff"]);
    assert!(t < 0.12, "transfer error of glitch_cap_rc_deck_ff {t}");
    // So does the continuous model's (3.7 % measured).
    let t = num(&j["transfer_max"]["analog_cap_rc_deck_ff"]);
    assert!(t < 0.12, "transfer error of analog_cap_rc_deck_ff {t}");
    // per_op.csv feeds `tosim fit`: switching TOs are more precise than the constant.
    let csv = dir.join("per_op.csv");
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 1 + 60 + 60 + 40);
    let add_only = dir.join("add.csv");
    let mut lines = text.lines();
    let mut f = String::from(lines.next().unwrap());
    f.push('\n');
    for l in lines.filter(|l| l.starts_with("add_ripple_u8,")) {
        f.push_str(l);
        f.push('\n');
    }
    std::fs::write(&add_only, f).unwrap();
    let fit: Value = serde_json::from_str(&ok(&tosim(&[
        "fit",
        add_only.to_str().unwrap(),
        "--energy",
        "energy_fj",
        "--x",
        "switching_tos,static_tos",
        "--json",
        "-",
    ])))
    .unwrap();
    let p_sw = num(&fit["predictors"][0]["precision"]);
    let p_const = num(&fit["constant"]["precision"]);
    assert!(p_sw > p_const, "precision {p_sw} vs constant {p_const}");
    assert!(Path::new(&dir.join("validate.json")).is_file());
}

/// Time (in RC units) from an edge of input `pin` to the output's last
/// transition, through the stage netlist of one cell loaded by two INV, with
/// the glitch engine's inertial rule per direction (an event-driven copy of
/// its semantics: a change of a stage's right-hand side is applied after the
/// delay of the direction it goes, unless the right-hand side changes first).
fn arc_delay(st: &tosim_sim::StageNetlist, pin: usize, others: &[(usize, bool)], rising: bool, out: usize) -> u64 {
    let n = &st.netlist;
    let inputs = |v: bool| -> Vec<u128> {
        let mut x = vec![0u128; n.inputs().len()];
        for &(i, b) in others {
            x[i] = b as u128;
        }
        x[pin] = v as u128;
        x
    };
    let mut val = tosim_netlist::eval_nets(n, &inputs(!rising));
    let target = tosim_netlist::eval_nets(n, &inputs(rising));
    let src = n.inputs()[pin].nets[0];
    val[src.index()] = rising;
    let rhs = |val: &[bool], c| {
        let row = n.cell_inputs(c).iter().enumerate().fold(0u32, |r, (i, x)| r | (val[x.index()] as u32) << i);
        n.cell_type(c).functions[0].eval(row)
    };
    let mut pending: Vec<Option<(u64, bool)>> = vec![None; n.cell_count()];
    let mut last = 0;
    let out_net = n.outputs()[out].nets[0];
    let mut t = 0u64;
    loop {
        for c in n.cells() {
            let o = n.cell_outputs(c)[0];
            let v = rhs(&val, c);
            let d = u64::from(if v { st.delays[o.index()] } else { st.fall_delays[o.index()] }.max(1));
            match pending[c.index()] {
                _ if v == val[o.index()] => pending[c.index()] = None,
                Some((_, pv)) if pv == v => {}
                _ => pending[c.index()] = Some((t + d, v)),
            }
        }
        let Some(nt) = pending.iter().flatten().map(|p| p.0).min() else { break };
        t = nt;
        for c in n.cells() {
            if let Some((when, v)) = pending[c.index()] {
                if when == t {
                    let o = n.cell_outputs(c)[0];
                    val[o.index()] = v;
                    pending[c.index()] = None;
                    // The loaded cell output is the net the two INV read.
                    if o == out_net {
                        last = t;
                    }
                }
            }
        }
    }
    assert_eq!(val, target, "settled");
    last
}

#[test]
fn rc_delays_follow_ngspice_cell_delays() {
    // Arc delays of the `Delay::Rc` model against ngspice (docs/fidelity.md,
    // measured by crates/tosim-spice/scripts/cell_delays.py: input driven by
    // inv_1 → inv_2, output loading two inv_1, 50 %–50 %, ps). The model's
    // unit is converted to ps on inv_1 alone (mean of its two arcs); every
    // other arc must then be within a factor 1.6 of ngspice, and the slow
    // direction of each arc must be the slow one in ngspice too where they
    // differ by more than 1.5×.
    use tosim_netlist::{library::Library, Gate, NetlistBuilder};
    use tosim_sim::{Delay, StageNetlist};
    let Some(hd) = sky130::cells_dir() else { return };
    let lib = Library::named("sky130_hd", Some(&hd)).unwrap();
    // (gate, name, output index, input index, other inputs, measured rise→, fall→ in ps).
    // Abstract pin orders: AOI21 (A, B, C) = a21oi (A1, A2, B1); HA/FA outputs (S, CO).
    type Arc<'a> = (Gate, &'a str, usize, usize, &'a [(usize, bool)], f64, f64);
    let arcs: &[Arc] = &[
        (Gate::Inv, "inv_1 A→Y", 0, 0, &[], 23.0, 43.0),
        (Gate::And2, "and2_1 A→X", 0, 0, &[(1, true)], 82.0, 88.0),
        (Gate::Aoi21, "a21oi_1 A1→Y", 0, 0, &[(1, true), (2, false)], 39.0, 104.0),
        (Gate::Aoi21, "a21oi_1 B1→Y", 0, 2, &[(0, false), (1, false)], 24.0, 66.0),
        (Gate::Xnor2, "xnor2_1 A→Y", 0, 0, &[(1, false)], 47.0, 122.0),
        (Gate::Xor2, "xor2_1 A→X", 0, 0, &[(1, false)], 114.0, 105.0),
        (Gate::Ha, "ha_1 A→COUT", 1, 0, &[(1, true)], 100.0, 121.0),
        (Gate::Ha, "ha_1 A→SUM", 0, 0, &[(1, false)], 94.0, 191.0),
        (Gate::Fa, "fa_1 A→COUT", 1, 0, &[(1, true), (2, false)], 111.0, 234.0),
        (Gate::Fa, "fa_1 CIN→COUT", 1, 2, &[(0, true), (1, false)], 107.0, 200.0),
        (Gate::Fa, "fa_1 A→SUM", 0, 0, &[(1, false), (2, false)], 105.0, 305.0),
        (Gate::Fa, "fa_1 CIN→SUM", 0, 2, &[(0, false), (1, false)], 100.0, 300.0),
    ];
    let mut model = Vec::new();
    for &(g, name, out, pin, others, mr, mf) in arcs {
        let mut b = NetlistBuilder::new("cell");
        let k = g.inputs().len();
        let ins: Vec<_> = (0..k).map(|i| b.add_input_bus(&format!("i{i}"), 1)[0]).collect();
        let outs = b.add_cell(g, &ins);
        for (j, &o) in outs.iter().enumerate() {
            b.add_output_bus(&format!("y{j}"), &[o]);
            for l in 0..2 {
                let x = b.gate(Gate::Inv, &[o]);
                b.add_output_bus(&format!("l{j}_{l}"), &[x]);
            }
        }
        let n = b.finish().unwrap();
        let st = StageNetlist::new(&n, &lib.bind(&n).unwrap(), Delay::Rc).unwrap();
        let r = arc_delay(&st, pin, others, true, out * 3);
        let f = arc_delay(&st, pin, others, false, out * 3);
        model.push((name, r as f64, f as f64, mr, mf));
    }
    let ps_per_unit = (model[0].3 + model[0].4) / (model[0].1 + model[0].2);
    eprintln!("RC unit = {ps_per_unit:.2} ps (from inv_1)");
    eprintln!("| arc | model rise→ (units, ps) | ngspice | model fall→ (units, ps) | ngspice |");
    for &(name, r, f, mr, mf) in &model {
        eprintln!("| {name} | {r} = {:.0} | {mr} | {f} = {:.0} | {mf} |", r * ps_per_unit, f * ps_per_unit);
    }
    for &(name, r, f, mr, mf) in &model {
        // The model takes a node's worst (longest) pull path; a21oi's B1 pulls
        // Y down through one transistor where the worst path has two in
        // series (A1, A2), so that arc may be up to 2 × 1.6 slow, never fast.
        let slow = if name.contains("B1") { 2.0 * 1.6 } else { 1.6 };
        for (m, s) in [(r * ps_per_unit, mr), (f * ps_per_unit, mf)] {
            assert!(m / s < slow && s / m < 1.6, "{name}: model {m:.0} ps, ngspice {s} ps");
        }
        if mf > 1.5 * mr {
            assert!(f > r, "{name}: the falling input is the slow one in ngspice");
        }
        if mr > 1.5 * mf {
            assert!(r > f, "{name}: the rising input is the slow one in ngspice");
        }
    }
}

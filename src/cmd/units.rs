//! `tosim units`, `tosim unit export`, `tosim unit eval`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_units::float::{FloatKind, FloatSpec, Format as FloatFormat};
use tosim_units::{generate, info, port_widths, registry, Arch, Kind, Signedness, UnitSpec};

/// Arguments of `tosim units`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of the list, a static cost table: cells, transistors and depth
    /// of every unit at the widths given by --widths.
    #[arg(long)]
    pub costs: bool,
    /// Widths of the cost table, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "8,16,32")]
    pub widths: Vec<u32>,
    /// Library bindings for transistor counts and CMOS stages: `textbook`
    /// (embedded) or a binding file (TOML); repeat for one column pair per
    /// library. Default: textbook.
    #[arg(long)]
    pub library: Vec<String>,
    /// Directory holding the library's foundry SPICE files.
    #[arg(long)]
    pub cells_dir: Option<PathBuf>,
    /// Only units of this kind (cost table).
    #[arg(long)]
    pub kind: Option<String>,
}

/// Which unit: shared by `unit export`, `unit eval`, `unit sim` (and `spice export`).
#[derive(clap::Args, Debug, Clone)]
pub struct UnitArgs {
    /// Kind: add, sub, neg, abs, cmp, max, relu, shl, shr, sar, lzc, mul, div, sqrt;
    /// floating point: fadd, fsub, fmul, fdiv, fsqrt, fcmp, fmin, fmax, itof, ftoi.
    #[arg(long)]
    pub kind: String,
    /// Architecture (see `tosim units`). Float kinds: the significand
    /// multiplier of `fmul` (default dadda), the square root of `fsqrt`
    /// (default non-restoring), the adder of every other kind (default kogge-stone).
    #[arg(long)]
    pub arch: Option<String>,
    /// Operand width n (integer kinds; `itof`/`ftoi`: the integer width 8, 16
    /// or 32, default 32; other float kinds take theirs from --format).
    #[arg(long)]
    pub width: Option<u32>,
    /// Two's-complement operands.
    #[arg(long)]
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots (any adder arch);
    /// float kinds: every carry-propagate adder inside.
    #[arg(long)]
    pub final_adder: Option<String>,
    /// Float format of float kinds: binary32 (default), binary16, bfloat16.
    /// (`unit export` also takes verilog, json or dot here, the old spelling of --emit.)
    #[arg(long)]
    pub format: Option<String>,
}

/// Export formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Structural Verilog followed by a behavioural module per cell type (simulates as is).
    Verilog,
    /// Yosys JSON.
    Json,
    /// Graphviz DOT.
    Dot,
}

impl Emit {
    fn from_name(s: &str) -> Option<Emit> {
        match s {
            "verilog" => Some(Emit::Verilog),
            "json" => Some(Emit::Json),
            "dot" => Some(Emit::Dot),
            _ => None,
        }
    }

    /// The format a file name's extension implies (`.json`, `.dot`/`.gv`, `.v`/`.sv`).
    fn from_path(p: &Path) -> Option<Emit> {
        match p.extension()?.to_str()? {
            "json" => Some(Emit::Json),
            "dot" | "gv" => Some(Emit::Dot),
            "v" | "sv" => Some(Emit::Verilog),
            _ => None,
        }
    }
}

/// Arguments of `tosim unit export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Output format: verilog, json or dot. Default: from the extension of
    /// -o (`.json`, `.dot`/`.gv`, `.v`/`.sv`), else verilog.
    #[arg(long, value_enum)]
    pub emit: Option<Emit>,
    /// Output file (standard output when omitted).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// Arguments of `tosim unit eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Operations, one per line: operands in input-port order, decimal or 0x
    /// hex, separated by spaces or commas; `#` starts a comment.
    #[arg(long)]
    pub stream: PathBuf,
    /// Print outputs in hex (0x…) instead of decimal (float units: always hex).
    #[arg(long)]
    pub hex: bool,
}

/// An integer unit of tosim-units or a floating-point unit of `tosim_units::float`.
#[derive(Clone, Copy, Debug)]
pub enum AnySpec {
    /// Integer unit.
    Int(UnitSpec),
    /// Floating-point unit.
    Float(FloatSpec),
}

impl AnySpec {
    /// The unit's netlist.
    pub fn generate(&self) -> Result<Netlist> {
        Ok(match self {
            AnySpec::Int(s) => generate(s)?,
            AnySpec::Float(s) => tosim_units::float::generate(s)?,
        })
    }

    /// Input port widths.
    pub fn input_widths(&self) -> Vec<u32> {
        match self {
            AnySpec::Int(s) => port_widths(s).0,
            AnySpec::Float(s) => s.port_widths().0,
        }
    }
}

/// The inner architecture `--arch` names for a float kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatRole {
    /// The significand multiplier (`fmul`).
    Multiplier,
    /// The significand square root (`fsqrt`).
    Root,
    /// The adders (every other kind).
    Adder,
}

/// What `--arch` selects for float kind `k`, and the architectures it takes.
pub fn float_role(k: FloatKind) -> (FloatRole, Vec<Arch>) {
    match k {
        FloatKind::Mul => (FloatRole::Multiplier, vec![Arch::Array, Arch::Wallace, Arch::Dadda, Arch::Booth]),
        FloatKind::Sqrt => (FloatRole::Root, vec![Arch::Restoring, Arch::NonRestoring]),
        _ => (FloatRole::Adder, Arch::ADDERS.to_vec()),
    }
}

/// `spec` with `--arch` value `a` in the role of its kind.
pub fn float_with_arch(spec: FloatSpec, a: Arch) -> Result<FloatSpec> {
    let (role, ok) = float_role(spec.kind);
    if !ok.contains(&a) {
        bail!("`{}` takes --arch {}, not `{}`", spec.kind, names(ok.iter().map(|a| a.name())), a.name());
    }
    Ok(match role {
        FloatRole::Multiplier => spec.with_multiplier(a),
        FloatRole::Root => spec.with_root(a),
        FloatRole::Adder => spec.with_adder(a),
    })
}

/// The float format called `s`, with the list of formats in the error.
pub fn float_format(s: &str) -> Result<FloatFormat> {
    FloatFormat::from_name(s).ok_or_else(|| {
        anyhow!("unknown float format `{s}`; formats: {}", names(FloatFormat::ALL.iter().map(|f| f.name())))
    })
}

fn adder(s: &str) -> Result<Arch> {
    Arch::from_name(s)
        .filter(|a| a.is_adder())
        .ok_or_else(|| anyhow!("unknown adder `{s}`; adders: {}", names(Arch::ADDERS.iter().map(|a| a.name()))))
}

impl UnitArgs {
    /// The integer spec these arguments name (an error for float kinds).
    pub fn spec(&self) -> Result<UnitSpec> {
        match self.any_spec()? {
            AnySpec::Int(s) => Ok(s),
            AnySpec::Float(s) => bail!("`{}` is a floating-point unit; this command takes integer units only", s.kind),
        }
    }

    /// The float format: `--format` unless it names an export format.
    fn float_format(&self) -> Result<FloatFormat> {
        match self.format.as_deref() {
            None => Ok(FloatFormat::Binary32),
            Some(s) if Emit::from_name(s).is_some() => Ok(FloatFormat::Binary32),
            Some(s) => float_format(s),
        }
    }

    /// The integer or float spec these arguments name.
    pub fn any_spec(&self) -> Result<AnySpec> {
        if let Some(k) = FloatKind::from_name(&self.kind) {
            let mut spec = FloatSpec::new(k, self.float_format()?);
            if let Some(w) = self.width {
                if !k.is_conversion() {
                    bail!("--width applies to integer kinds and to itof/ftoi; `{k}` takes its width from --format");
                }
                spec = spec.with_int_width(w);
            }
            if self.signed && !k.is_conversion() {
                bail!("--signed does not apply to `{k}` (float operands carry their sign)");
            }
            if let Some(a) = &self.arch {
                let a = Arch::from_name(a).ok_or_else(|| {
                    let ok = float_role(k).1;
                    anyhow!("unknown architecture `{a}`; `{k}` takes: {}", names(ok.iter().map(|a| a.name())))
                })?;
                spec = float_with_arch(spec, a)?;
            }
            if let Some(f) = &self.final_adder {
                let f = adder(f)?;
                if float_role(k).0 == FloatRole::Adder && self.arch.is_some() && spec.adder != f {
                    bail!("`{k}`: --arch already names the adder ({}), --final-adder says {}", spec.adder, f);
                }
                spec = spec.with_adder(f);
            }
            spec.check()?;
            return Ok(AnySpec::Float(spec));
        }
        let kind = Kind::from_name(&self.kind).ok_or_else(|| {
            let all = Kind::ALL.iter().map(|k| k.name()).chain(FloatKind::ALL.iter().map(|k| k.name()));
            anyhow!("unknown kind `{}`; kinds: {}", self.kind, names(all))
        })?;
        if let Some(f) = self.format.as_deref().filter(|f| Emit::from_name(f).is_none()) {
            bail!("--format `{f}` applies to float kinds (fadd, fmul, ...); `{kind}` is an integer unit");
        }
        let archs: Vec<&str> = registry().iter().filter(|i| i.kind == kind).map(|i| i.arch.name()).collect();
        let Some(arch) = &self.arch else {
            bail!("`{kind}` needs --arch; it has: {}", archs.join(", "));
        };
        let arch = Arch::from_name(arch)
            .ok_or_else(|| anyhow!("unknown architecture `{arch}`; `{kind}` has: {}", archs.join(", ")))?;
        let Some(width) = self.width else { bail!("`{kind}` needs --width") };
        let mut spec = UnitSpec::new(kind, arch, width).signed(self.signed);
        if let Some(f) = &self.final_adder {
            spec = spec.with_final_adder(adder(f)?);
        }
        spec.check()?;
        Ok(AnySpec::Int(spec))
    }
}

fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

fn signedness(s: Signedness) -> &'static str {
    match s {
        Signedness::Fixed => "-",
        Signedness::Unsigned => "unsigned",
        Signedness::Signed => "signed",
        Signedness::Both => "both",
    }
}

/// One float kind in `tosim units`.
#[derive(Debug, serde::Serialize)]
pub struct FloatListing {
    /// Kind name.
    pub kind: &'static str,
    /// Always true (tells float entries from integer ones in the JSON list).
    pub float: bool,
    /// Formats (`--format`).
    pub formats: Vec<&'static str>,
    /// What `--arch` selects: multiplier, root or adder.
    pub arch_role: &'static str,
    /// The architectures `--arch` takes.
    pub archs: Vec<&'static str>,
    /// The default.
    pub default_arch: &'static str,
    /// Input ports (w = format width, n = integer width of itof/ftoi, `--width`).
    pub inputs: &'static str,
    /// Output ports.
    pub outputs: &'static str,
    /// The algorithm.
    pub algorithm: &'static str,
}

/// Every float kind as `tosim units` lists it.
pub fn float_list() -> Vec<FloatListing> {
    tosim_units::float::registry()
        .into_iter()
        .map(|i| {
            let (role, archs) = float_role(i.kind);
            let d = FloatSpec::new(i.kind, FloatFormat::Binary32);
            let (role, default) = match role {
                FloatRole::Multiplier => ("multiplier", d.multiplier),
                FloatRole::Root => ("root", d.root),
                FloatRole::Adder => ("adder", d.adder),
            };
            FloatListing {
                kind: i.kind.name(),
                float: true,
                formats: FloatFormat::ALL.iter().map(|f| f.name()).collect(),
                arch_role: role,
                archs: archs.iter().map(|a| a.name()).collect(),
                default_arch: default.name(),
                inputs: i.inputs,
                outputs: i.outputs,
                algorithm: i.algorithm,
            }
        })
        .collect()
}

/// Runs `tosim units`.
pub fn list(a: ListArgs) -> Result<()> {
    if a.costs {
        return costs(&a);
    }
    let mut out = String::new();
    if a.json {
        // Integer entries as tosim-units describes them, then one entry per float kind.
        let mut v: Vec<serde_json::Value> = registry().iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
        v.extend(float_list().into_iter().map(|r| serde_json::to_value(r).unwrap_or_default()));
        out = serde_json::to_string_pretty(&v)?;
        out.push('\n');
    } else {
        writeln!(
            out,
            "{:<5} {:<15} {:<9} {:<6} {:<22} {:<14} algorithm",
            "kind", "arch", "signed", "widths", "inputs", "outputs"
        )?;
        for i in registry() {
            writeln!(
                out,
                "{:<5} {:<15} {:<9} {:<6} {:<22} {:<14} {}{}",
                i.kind.name(),
                i.arch.name(),
                signedness(i.signedness),
                format!("{}..{}", i.min_width, i.max_width),
                i.inputs,
                i.outputs,
                i.algorithm,
                i.adder_param.map(|p| format!("; --final-adder: {p}")).unwrap_or_default()
            )?;
        }
        writeln!(out, "adders (--final-adder): {}", names(Arch::ADDERS.iter().map(|a| a.name())))?;
        writeln!(
            out,
            "\nfloating point (--format {}; operands and results are IEEE bit patterns, 0x hex):",
            names(FloatFormat::ALL.iter().map(|f| f.name()))
        )?;
        writeln!(
            out,
            "{:<5} {:<11} {:<18} {:<11} {:<11} algorithm",
            "kind", "--arch is", "default --arch", "inputs", "outputs"
        )?;
        for r in float_list() {
            writeln!(
                out,
                "{:<5} {:<11} {:<18} {:<11} {:<11} {}; --arch: {}",
                r.kind,
                r.arch_role,
                r.default_arch,
                r.inputs,
                r.outputs,
                r.algorithm,
                r.archs.join(", ")
            )?;
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Runs `tosim unit export`.
pub fn export(a: ExportArgs) -> Result<()> {
    // `--format verilog|json|dot` is the old name of --emit (values disjoint from the float formats).
    let legacy = a.unit.format.as_deref().and_then(Emit::from_name);
    if let (Some(e), Some(l)) = (a.emit, legacy) {
        if e != l {
            bail!("--emit {e:?} and --format {l:?} disagree (--format verilog|json|dot is the old spelling of --emit)");
        }
    }
    let emit = a.emit.or(legacy).or_else(|| a.output.as_deref().and_then(Emit::from_path)).unwrap_or(Emit::Verilog);
    let n = a.unit.any_spec()?.generate()?;
    let mut buf: Vec<u8> = Vec::new();
    match emit {
        Emit::Verilog => {
            tosim_netlist::export::write_verilog(&n, &mut buf)?;
            tosim_netlist::export::write_cell_library_verilog(&n, &mut buf)?;
        }
        Emit::Json => tosim_netlist::export::write_json(&n, &mut buf)?,
        Emit::Dot => tosim_netlist::export::write_dot(&n, &mut buf)?,
    }
    match &a.output {
        Some(p) => std::fs::write(p, &buf).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(&buf)?,
    }
    Ok(())
}

/// Parses one operand: decimal or `0x` hex.
fn parse_value(tok: &str) -> Option<u128> {
    let t = tok.replace('_', "");
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u128::from_str_radix(h, 16).ok()
    } else {
        t.parse::<u128>().ok()
    }
}

/// Parses an operation stream (see [`EvalArgs::stream`]) for input ports of
/// widths `iw`; errors name `file:line`.
pub fn parse_stream(text: &str, file: &Path, iw: &[u32], ports: &[String]) -> Result<Vec<Vec<u128>>> {
    let mut ops = Vec::new();
    for (k, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("");
        let toks: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',').filter(|t| !t.is_empty()).collect();
        if toks.is_empty() {
            continue;
        }
        let at = format!("{}:{}", file.display(), k + 1);
        if toks.len() != iw.len() {
            bail!(
                "{at}: expected {} operand{} ({}), found {}",
                iw.len(),
                if iw.len() == 1 { "" } else { "s" },
                ports.join(", "),
                toks.len()
            );
        }
        let mut op = Vec::with_capacity(iw.len());
        for ((tok, &w), port) in toks.iter().zip(iw).zip(ports) {
            let v =
                parse_value(tok).ok_or_else(|| anyhow!("{at}: `{tok}` is not a decimal or 0x-hex unsigned number"))?;
            if w < 128 && v >> w != 0 {
                bail!("{at}: `{tok}` does not fit the {w}-bit port `{port}`");
            }
            op.push(v);
        }
        ops.push(op);
    }
    Ok(ops)
}

/// Runs `tosim unit eval`.
pub fn eval(a: EvalArgs) -> Result<()> {
    let spec = a.unit.any_spec()?;
    let n = spec.generate()?;
    let text = std::fs::read_to_string(&a.stream).with_context(|| format!("reading {}", a.stream.display()))?;
    let iw = spec.input_widths();
    let ports: Vec<String> = n.inputs().iter().map(|b| format!("{}[{}]", b.name, b.width())).collect();
    let ops = parse_stream(&text, &a.stream, &iw, &ports)?;
    // Float units print IEEE bit patterns, always in hex.
    let hex = a.hex || matches!(spec, AnySpec::Float(_));
    let mut out = String::new();
    for op in ops {
        let y = tosim_netlist::eval(&n, &op);
        let cols: Vec<String> = y.iter().map(|v| if hex { format!("{v:#x}") } else { v.to_string() }).collect();
        out.push_str(&cols.join(" "));
        out.push('\n');
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Static costs of one netlist.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Costs {
    /// Cell instances.
    pub cells: usize,
    /// Cells by abstract type name.
    pub by_type: BTreeMap<String, usize>,
    /// Transistors (static TOs per operation), with a library.
    pub transistors: Option<u64>,
    /// Logic depth in cells.
    pub depth_cells: u32,
    /// Logic depth in CMOS stages, with a library (each cell adds its output's stage depth).
    pub depth_stages: Option<u32>,
}

/// Cells, depth and (with `lib`) transistors and stage depth of `n`.
pub fn costs_of(n: &Netlist, lib: Option<&Library>) -> Result<Costs> {
    let mut c = Costs { cells: n.cell_count(), depth_cells: n.depth(), ..Default::default() };
    for cell in n.cells() {
        *c.by_type.entry(n.cell_type(cell).name.clone()).or_default() += 1;
    }
    if let Some(lib) = lib {
        let models = lib.bind(n).map_err(|e| anyhow!("binding {} to {}: {e}", n.name(), lib.name()))?;
        let mut t = 0u64;
        let mut arrival = vec![0u32; n.net_count()];
        let mut depth = 0;
        for &cell in n.order() {
            let m = &models[n.cell_type_id(cell).index()];
            t += m.transistors() as u64;
            let at = n.cell_inputs(cell).iter().map(|x| arrival[x.index()]).max().unwrap_or(0);
            for (o, net) in n.cell_outputs(cell).iter().enumerate() {
                let d = m.output_signal(tosim_cells::PinId::from_index(o)).map_or(0, |s| s.depth);
                arrival[net.index()] = at + d;
                depth = depth.max(at + d);
            }
        }
        c.transistors = Some(t);
        c.depth_stages = Some(depth);
    }
    Ok(c)
}

/// The units of the cost table: every registry entry at its default
/// signedness (unsigned, or signed where only signed exists) and default adder,
/// plus the signed multipliers and dividers and each tree multiplier with a
/// Kogge-Stone final adder.
pub fn cost_specs(width: u32) -> Vec<UnitSpec> {
    let mut v = Vec::new();
    for i in registry() {
        let s = UnitSpec::new(i.kind, i.arch, width).signed(i.signedness == Signedness::Signed);
        v.push(s);
        if matches!(i.kind, Kind::Mul | Kind::Div) && i.signedness == Signedness::Both {
            v.push(s.signed(true));
        }
        if i.kind == Kind::Mul && matches!(i.arch, Arch::Wallace | Arch::Dadda | Arch::Booth) {
            v.push(s.with_final_adder(Arch::KoggeStone));
        }
    }
    v
}

fn costs(a: &ListArgs) -> Result<()> {
    let names: Vec<String> = if a.library.is_empty() { vec!["textbook".into()] } else { a.library.clone() };
    let mut libs = Vec::new();
    for name in &names {
        let lib = if name == "textbook" {
            Library::textbook()
        } else {
            Library::load(Path::new(name), a.cells_dir.as_deref())
        };
        libs.push(lib.map_err(|e| anyhow!("library {name}: {e}"))?);
    }
    let kind = match &a.kind {
        Some(k) => Some(Kind::from_name(k).ok_or_else(|| anyhow!("unknown kind `{k}`"))?),
        None => None,
    };
    let mut rows = Vec::new();
    for &w in &a.widths {
        for spec in cost_specs(w) {
            if kind.is_some_and(|k| k != spec.kind) || info(spec.kind, spec.arch).is_none() {
                continue;
            }
            let n = generate(&spec)?;
            let per_lib: Vec<Costs> = libs.iter().map(|l| costs_of(&n, Some(l))).collect::<Result<_>>()?;
            let base = costs_of(&n, None)?;
            rows.push((spec, base, per_lib));
        }
    }
    let mut out = String::new();
    if a.json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(s, c, per)| {
                let libs: BTreeMap<&str, serde_json::Value> = libs
                    .iter()
                    .zip(per)
                    .map(|(l, p)| {
                        (l.name(), serde_json::json!({"transistors": p.transistors, "depth_stages": p.depth_stages}))
                    })
                    .collect();
                serde_json::json!({ "unit": s.design_name(), "spec": s, "cells": c.cells, "by_type": c.by_type,
                    "depth_cells": c.depth_cells, "libraries": libs })
            })
            .collect();
        out = serde_json::to_string_pretty(&v)?;
        out.push('\n');
    } else {
        // Published per-operation constants, for adders only: 28 transistors
        // per full-adder bit (28n) and EuclidNets' 5n - 3 gates per n-bit addition.
        let adders = kind == Some(Kind::Add);
        let mut head = String::from("| unit | n | cells | depth (cells) |");
        let mut rule = String::from("|---|---:|---:|---:|");
        for l in &libs {
            head.push_str(&format!(" T {0} | stages {0} |", l.name()));
            rule.push_str("---:|---:|");
        }
        if adders {
            head.push_str(" cells / (5n-3) |");
            rule.push_str("---:|");
            for l in &libs {
                head.push_str(&format!(" T {} / 28n |", l.name()));
                rule.push_str("---:|");
            }
        }
        writeln!(out, "{head}\n{rule}")?;
        let opt = |x: Option<u64>| x.map_or("–".to_string(), |v| v.to_string());
        for (s, c, per) in &rows {
            write!(out, "| {} | {} | {} | {} |", s.design_name(), s.width, c.cells, c.depth_cells)?;
            for p in per {
                write!(out, " {} | {} |", opt(p.transistors), opt(p.depth_stages.map(u64::from)))?;
            }
            if adders {
                let n = s.width as f64;
                write!(out, " {:.2} |", c.cells as f64 / (5.0 * n - 3.0))?;
                for p in per {
                    write!(out, " {:.2} |", p.transistors.unwrap_or(0) as f64 / (28.0 * n))?;
                }
            }
            out.push('\n');
        }
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_parsing_and_errors() {
        let f = Path::new("ops.txt");
        let ports = vec!["a[8]".to_string(), "b[8]".to_string()];
        let ops = parse_stream("# header\n1 2\n0x10, 0xff # tail\n\n", f, &[8, 8], &ports).unwrap();
        assert_eq!(ops, vec![vec![1, 2], vec![16, 255]]);
        let e = parse_stream("1 2\n3\n", f, &[8, 8], &ports).unwrap_err().to_string();
        assert!(e.starts_with("ops.txt:2: expected 2 operands"), "{e}");
        let e = parse_stream("1 256\n", f, &[8, 8], &ports).unwrap_err().to_string();
        assert!(e.contains("ops.txt:1:") && e.contains("does not fit the 8-bit port `b[8]`"), "{e}");
        let e = parse_stream("1 x\n", f, &[8, 8], &ports).unwrap_err().to_string();
        assert!(e.contains("ops.txt:1: `x` is not"), "{e}");
    }
}

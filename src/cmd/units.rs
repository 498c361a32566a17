//! `tosim units`, `tosim unit export`, `tosim unit eval`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
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

/// Which unit: shared by `unit export` and `unit eval`.
#[derive(clap::Args, Debug, Clone)]
pub struct UnitArgs {
    /// Kind: add, sub, neg, abs, cmp, max, relu, shl, shr, sar, lzc, mul, div, sqrt.
    #[arg(long)]
    pub kind: String,
    /// Architecture (see `tosim units`).
    #[arg(long)]
    pub arch: String,
    /// Operand width n.
    #[arg(long)]
    pub width: u32,
    /// Two's-complement operands.
    #[arg(long)]
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots (any adder arch).
    #[arg(long)]
    pub final_adder: Option<String>,
}

/// Export formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Structural Verilog followed by a behavioural module per cell type (simulates as is).
    Verilog,
    /// Yosys JSON.
    Json,
    /// Graphviz DOT.
    Dot,
}

/// Arguments of `tosim unit export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "verilog")]
    pub format: Format,
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
    /// Print outputs in hex (0x…) instead of decimal.
    #[arg(long)]
    pub hex: bool,
}

impl UnitArgs {
    /// The spec these arguments name.
    pub fn spec(&self) -> Result<UnitSpec> {
        let kind = Kind::from_name(&self.kind).ok_or_else(|| {
            anyhow!("unknown kind `{}`; kinds: {}", self.kind, names(Kind::ALL.iter().map(|k| k.name())))
        })?;
        let arch = Arch::from_name(&self.arch).ok_or_else(|| {
            let archs: Vec<&str> = registry().iter().filter(|i| i.kind == kind).map(|i| i.arch.name()).collect();
            anyhow!("unknown architecture `{}`; `{kind}` has: {}", self.arch, archs.join(", "))
        })?;
        let mut spec = UnitSpec::new(kind, arch, self.width).signed(self.signed);
        if let Some(f) = &self.final_adder {
            let a = Arch::from_name(f).ok_or_else(|| {
                anyhow!("unknown final adder `{f}`; adders: {}", names(Arch::ADDERS.iter().map(|a| a.name())))
            })?;
            spec = spec.with_final_adder(a);
        }
        spec.check()?;
        Ok(spec)
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

/// Runs `tosim units`.
pub fn list(a: ListArgs) -> Result<()> {
    if a.costs {
        return costs(&a);
    }
    let mut out = String::new();
    if a.json {
        out = serde_json::to_string_pretty(registry())?;
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
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Runs `tosim unit export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let spec = a.unit.spec()?;
    let n = generate(&spec)?;
    let mut buf: Vec<u8> = Vec::new();
    match a.format {
        Format::Verilog => {
            tosim_netlist::export::write_verilog(&n, &mut buf)?;
            tosim_netlist::export::write_cell_library_verilog(&n, &mut buf)?;
        }
        Format::Json => tosim_netlist::export::write_json(&n, &mut buf)?,
        Format::Dot => tosim_netlist::export::write_dot(&n, &mut buf)?,
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
    let spec = a.unit.spec()?;
    let n = generate(&spec)?;
    let text = std::fs::read_to_string(&a.stream).with_context(|| format!("reading {}", a.stream.display()))?;
    let (iw, _) = port_widths(&spec);
    let ports: Vec<String> = n.inputs().iter().map(|b| format!("{}[{}]", b.name, b.width())).collect();
    let ops = parse_stream(&text, &a.stream, &iw, &ports)?;
    let mut out = String::new();
    for op in ops {
        let y = tosim_netlist::eval(&n, &op);
        let cols: Vec<String> = y.iter().map(|v| if a.hex { format!("{v:#x}") } else { v.to_string() }).collect();
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
                let d = m.output_signal(o).map_or(0, |s| s.depth);
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

//! `tosim cells`: analyse transistor-level cells and print their functions,
//! transistor counts, gate loads and stage depths.

use std::path::PathBuf;

use anyhow::{bail, Result};
use rayon::prelude::*;
use tosim_cells::files::spice_files;
use tosim_cells::report::{unsupported_reason, CellReport};
use tosim_cells::{analyze, parse_spice, read_spice_file, AnalysisError, CellModel, Config, SignalKind, SpiceError};

/// The textbook library, built into the binary so `tosim cells` works anywhere.
pub const TEXTBOOK: &str = include_str!("../../circuits/cells/cmos.sp");
/// The name the built-in library is reported under.
pub const TEXTBOOK_NAME: &str = "circuits/cells/cmos.sp";

/// Arguments of `tosim cells`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// SPICE files or folders, searched recursively for *.spice, *.sp and *.cdl
    /// (default: the built-in textbook library circuits/cells/cmos.sp).
    pub paths: Vec<PathBuf>,
    /// Emit JSON: an array with one object per cell.
    #[arg(long)]
    pub json: bool,
    /// In folders, read a cell's `.cdl` even when a `.spice`/`.sp` of the same
    /// name sits beside it (SKY130 ships both views of every cell).
    #[arg(long)]
    pub all_views: bool,
    /// Another supply node name (logic 1), in addition to VDD VPWR VPB KAPWR LOWLVPWR VPWRIN.
    #[arg(long, value_name = "NODE")]
    pub supply: Vec<String>,
    /// Another ground node name (logic 0), in addition to VSS GND VGND VNB 0.
    #[arg(long, value_name = "NODE")]
    pub ground: Vec<String>,
    /// Treat pin PIN as an input in every cell, whatever the inference says.
    #[arg(long, value_name = "PIN")]
    pub input: Vec<String>,
    /// Treat pin PIN as an output in every cell, whatever the inference says.
    #[arg(long, value_name = "PIN")]
    pub output: Vec<String>,
    /// Geometry scale for w=/l= values (like `.option scale`; default: the
    /// file's, else 1e-6 for sky130_fd_pr__* models and *.cdl files, else 1).
    #[arg(long)]
    pub scale: Option<f64>,
}

/// One analysed cell, as printed.
enum Outcome {
    Ok(Box<CellModel>),
    Unsupported(AnalysisError),
    Error(String),
}

struct Row {
    name: String,
    file: String,
    line: usize,
    outcome: Outcome,
}

fn analyse_file(parsed: Result<Vec<tosim_cells::Subckt>, SpiceError>, cfg: &Config) -> Vec<Row> {
    match parsed {
        Err(e) => vec![Row {
            name: String::new(),
            file: e.file().to_string(),
            line: e.line().unwrap_or(0),
            outcome: Outcome::Error(e.to_string()),
        }],
        Ok(subs) => subs
            .iter()
            .map(|s| {
                let outcome = match analyze(s, cfg) {
                    Ok(m) => Outcome::Ok(Box::new(m)),
                    Err(e) if e.is_unsupported() => Outcome::Unsupported(e),
                    Err(e) => Outcome::Error(e.to_string()),
                };
                Row { name: s.name.clone(), file: s.file.clone(), line: s.line, outcome }
            })
            .collect(),
    }
}

/// Runs `tosim cells`.
pub fn run(a: Args) -> Result<()> {
    let mut cfg = Config::default();
    cfg.supply.extend(a.supply.iter().cloned());
    cfg.ground.extend(a.ground.iter().cloned());
    cfg.inputs.extend(a.input.iter().cloned());
    cfg.outputs.extend(a.output.iter().cloned());
    cfg.scale = a.scale;
    let rows: Vec<Row> = if a.paths.is_empty() {
        analyse_file(parse_spice(TEXTBOOK, TEXTBOOK_NAME, &cfg), &cfg)
    } else {
        let mut files = Vec::new();
        for p in &a.paths {
            files.extend(spice_files(p, a.all_views)?);
        }
        if files.is_empty() {
            bail!("no *.spice, *.sp or *.cdl files under {}", display_paths(&a.paths));
        }
        let per_file: Vec<Vec<Row>> = files.par_iter().map(|f| analyse_file(read_spice_file(f, &cfg), &cfg)).collect();
        per_file.into_iter().flatten().collect()
    };
    let errors: Vec<&str> = rows
        .iter()
        .filter_map(|r| match &r.outcome {
            Outcome::Error(e) => Some(e.as_str()),
            _ => None,
        })
        .collect();
    if a.json {
        let cells: Vec<CellReport> = rows.iter().filter_map(json_cell).collect();
        println!("{}", serde_json::to_string_pretty(&cells)?);
    } else {
        print_table(&rows);
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        bail!("{} of {} cells or files could not be read or analysed", errors.len(), rows.len());
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" ")
}

fn json_cell(r: &Row) -> Option<CellReport> {
    match &r.outcome {
        Outcome::Error(_) => None,
        Outcome::Unsupported(e) => Some(CellReport::unsupported(&r.name, &r.file, r.line, e)),
        Outcome::Ok(m) => Some(CellReport::new(&r.name, &r.file, r.line, m)),
    }
}

fn print_table(rows: &[Row]) {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:<width$}  {:>3} {:>3} {:>3}  {:>5}  {:<14} function; gate loads (pins | internal nodes)",
        "cell", "T", "n", "p", "depth", "inputs"
    );
    let (mut ok, mut unsupported, mut errors) = (0, 0, 0);
    for r in rows {
        match &r.outcome {
            Outcome::Error(e) => {
                errors += 1;
                println!("{:<width$}  error: {e}", if r.name.is_empty() { "-" } else { &r.name });
            }
            Outcome::Unsupported(e) => {
                unsupported += 1;
                println!("{:<width$}  unsupported: {}", r.name, unsupported_reason(e));
            }
            Outcome::Ok(m) => {
                ok += 1;
                let names: Vec<&str> = m.inputs.iter().map(String::as_str).collect();
                let funcs: Vec<String> = m
                    .outputs
                    .iter()
                    .zip(&m.functions)
                    .map(|(o, f)| format!("{o} = {} [{}]", f.expression(&names), f.to_hex()))
                    .collect();
                let load = |internal: bool| -> String {
                    m.signals
                        .iter()
                        .filter(|s| (s.kind == SignalKind::Internal) == internal && s.gate_count > 0)
                        .map(|s| format!("{}:{}", s.name, s.gate_count))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                let (pins, internal) = (load(false), load(true));
                let loads = if internal.is_empty() { pins } else { format!("{pins} | {internal}") };
                println!(
                    "{:<width$}  {:>3} {:>3} {:>3}  {:>5}  {:<14} {}; {}",
                    m.name,
                    m.transistors(),
                    m.nmos,
                    m.pmos,
                    m.depth(),
                    m.inputs.join(","),
                    funcs.join("; "),
                    loads
                );
            }
        }
    }
    println!("{} cells: {ok} analysed, {unsupported} unsupported, {errors} errors", rows.len());
}

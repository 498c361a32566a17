//! `tosim sim`, `tosim unit sim`, `tosim compare`, `tosim table`: switching
//! transistors of a unit on an operand stream.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use tosim_cells::CellModel;
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_sim::{
    run_glitch, run_zero_delay, synthetic_models, Delay, Distribution, Generated, GlitchOptions, GlitchProgram,
    Options, Program, Recorded, Report, Stream,
};
use tosim_units::{Arch, Kind, UnitSpec};

/// Where operands come from.
#[derive(clap::Args, Debug, Clone)]
pub struct StreamArgs {
    /// `random` (uniform), `gaussian`, `laplacian`, `hamming`, or a file with one
    /// operation per line (operands in port order, decimal or 0x hex, spaces or commas).
    #[arg(long, default_value = "random")]
    pub stream: String,
    /// Operations to generate (generated streams).
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Seed of the generator (SplitMix64, see docs/simulation.md).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Standard deviation of `gaussian` and `laplacian` operands.
    #[arg(long, default_value_t = 256.0)]
    pub sigma: f64,
    /// Number of one bits of `hamming` operands.
    #[arg(long, default_value_t = 1)]
    pub weight: u32,
    /// Fraction of operands replaced by zero.
    #[arg(long, default_value_t = 0.0)]
    pub zeros: f64,
}

/// How to simulate and what to write.
#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Library binding: `textbook` (default), `sky130_hd`, a binding file, or
    /// `synthetic` (made-up loads, for tests).
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Directory with foundry cell SPICE for bindings that need it.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// `zero` (settled values only) or `glitch` (timing simulation; also reports zero-delay counts).
    #[arg(long, default_value = "zero")]
    pub mode: String,
    /// Delay model of glitch mode: `unit` (1 per CMOS stage) or `effort`.
    #[arg(long, default_value = "unit")]
    pub delay: String,
    /// Transport delays in glitch mode (default: inertial).
    #[arg(long)]
    pub transport: bool,
    /// Add a `nets` array with every net's toggles and gate load.
    #[arg(long)]
    pub per_net: bool,
    /// Write a CSV with one row per operation.
    #[arg(long)]
    pub per_op: Option<PathBuf>,
    /// Write the JSON report to this file (`-` for standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Print the simulation time and gate evaluations per second to standard error.
    #[arg(long)]
    pub timing: bool,
}

/// Arguments of `tosim sim`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    /// Netlist file: Yosys JSON (`write_json`) or structural Verilog.
    #[arg(long)]
    pub netlist: PathBuf,
    #[command(flatten)]
    pub stream: StreamArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

pub use super::units::UnitArgs;

/// Arguments of `tosim unit sim`.
#[derive(clap::Args, Debug)]
pub struct UnitSimArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    #[command(flatten)]
    pub stream: StreamArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Arguments of `tosim compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Unit kind.
    #[arg(long)]
    pub kind: String,
    /// Operand width.
    #[arg(long)]
    pub width: u32,
    /// `all` or a comma-separated list of architectures.
    #[arg(long, default_value = "all")]
    pub arch: String,
    /// Signed operands.
    #[arg(long)]
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots.
    #[arg(long)]
    pub final_adder: Option<String>,
    /// Also run the glitch engine (unit delay unless --delay says otherwise).
    #[arg(long)]
    pub glitch: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Library binding (see `tosim sim --help`).
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Directory with foundry cell SPICE.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Delay model for --glitch: `unit` or `effort`.
    #[arg(long, default_value = "unit")]
    pub delay: String,
    /// Write JSON to this file (`-` for standard output) instead of the table.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Arguments of `tosim table`.
#[derive(clap::Args, Debug)]
pub struct TableArgs {
    /// Unit kinds.
    #[arg(long, default_value = "add,mul,div,sqrt", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Operand widths.
    #[arg(long, default_value = "8,16,32", value_delimiter = ',')]
    pub widths: Vec<u32>,
    /// Operations per stream.
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Library binding.
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Directory with foundry cell SPICE.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
    /// Emit CSV.
    #[arg(long)]
    pub csv: bool,
}

fn library(library: &str, cells: Option<&Path>) -> Result<Option<Library>> {
    if library == "synthetic" {
        return Ok(None);
    }
    Ok(Some(Library::named(library, cells).with_context(|| format!("loading library `{library}`"))?))
}

fn models(library: &str, cells: Option<&Path>, n: &Netlist) -> Result<Vec<CellModel>> {
    match self::library(library, cells)? {
        None => Ok(synthetic_models(n)),
        Some(lib) => lib.bind(n).with_context(|| format!("binding {} to library `{}`", n.name(), lib.name())),
    }
}

fn widths(n: &Netlist) -> Vec<u32> {
    n.inputs().iter().map(|b| b.width() as u32).collect()
}

fn stream(a: &StreamArgs, widths: &[u32]) -> Result<Box<dyn Stream>> {
    if let Some(w) = widths.iter().find(|&&w| w > 128) {
        bail!("input bus of {w} bits: streams hold operands of at most 128 bits");
    }
    let g = Generated::uniform(widths, a.count, a.seed).with_zeros(a.zeros);
    let dist = match a.stream.as_str() {
        "random" | "uniform" => Distribution::Uniform,
        "gaussian" => Distribution::Gaussian { sigma: a.sigma },
        "laplacian" => Distribution::Laplacian { sigma: a.sigma },
        "hamming" => Distribution::HammingWeight { weight: a.weight },
        file => {
            let r = Recorded::read(Path::new(file), widths)?;
            if a.zeros != 0.0 {
                bail!("--zeros applies to generated streams only");
            }
            return Ok(Box::new(r));
        }
    };
    let g = g.with_distribution(dist);
    g.validate()?;
    Ok(Box::new(g))
}

fn delay(s: &str) -> Result<Delay> {
    match s {
        "unit" => Ok(Delay::Unit),
        "effort" => Ok(Delay::Effort),
        "rc" => Ok(Delay::Rc),
        _ => bail!("unknown delay model `{s}` (unit, effort)"),
    }
}

/// Simulates `n` as `run` says; returns the report and per-op rows.
fn simulate(n: &Netlist, models: &[CellModel], s: &dyn Stream, run: &RunArgs) -> Result<Report> {
    let p = Program::compile(n, models)?;
    let record = run.per_op.is_some();
    let opts = Options { per_op_stats: true, record_per_op: record, ..Options::default() };
    let t0 = std::time::Instant::now();
    let (report, rows) = match run.mode.as_str() {
        "zero" => {
            let act = run_zero_delay(&p, s, &opts);
            (Report::new(&p, &act, run.per_net), act.per_op)
        }
        "glitch" => {
            let gp = GlitchProgram::compile(n, models, delay(&run.delay)?)?;
            let gopts = GlitchOptions { base: opts, transport: run.transport };
            let act = run_glitch(&gp, s, &gopts);
            (gp.report(&act, run.per_net), act.per_op)
        }
        m => bail!("unknown mode `{m}` (zero, glitch)"),
    };
    if run.timing {
        let dt = t0.elapsed().as_secs_f64();
        let evals = report.operations as f64 * n.cell_count() as f64;
        eprintln!(
            "simulation: {} operations x {} cells in {dt:.3} s = {:.3e} gate-evaluations/s (hardware popcount: {})",
            report.operations,
            n.cell_count(),
            evals / dt,
            tosim_sim::uses_hardware_popcount()
        );
    }
    if let (Some(path), Some(rows)) = (&run.per_op, rows) {
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        );
        let glitch = run.mode == "glitch";
        writeln!(w, "op,switching_tos,{}net_toggles", if glitch { "glitch_tos," } else { "" })?;
        for (i, r) in rows.iter().enumerate() {
            if glitch {
                writeln!(w, "{i},{},{},{}", r.switching_tos, r.glitch_tos, r.net_toggles)?;
            } else {
                writeln!(w, "{i},{},{}", r.switching_tos, r.net_toggles)?;
            }
        }
        w.flush()?;
    }
    Ok(report)
}

fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        // A closed pipe (`| head`) is not an error worth a panic.
        let _ = writeln!(out, "{text}");
    } else {
        std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

fn print_report(r: &Report) {
    let ops = r.operations.max(1) as f64;
    println!("design            {}", r.design);
    println!("operations        {}", r.operations);
    println!("transistors       {}", r.transistors);
    println!("static TOs/op     {}", r.transistors);
    println!("switching TOs/op  {:.2}", r.switching_tos as f64 / ops);
    if let Some(g) = r.glitch_tos {
        println!("glitch TOs/op     {:.2}", g as f64 / ops);
    }
    println!("net toggles/op    {:.2}", r.net_toggles as f64 / ops);
    println!("gate area/op      {:.4} um2", r.switched_gate_area / ops);
    for (k, s) in &r.per_op {
        println!(
            "per op {k:<14} mean {:.2} std {:.2} min {} p5 {} median {} p95 {} max {}",
            s.mean, s.std, s.min, s.p5, s.median, s.p95, s.max
        );
    }
}

fn finish(r: &Report, run: &RunArgs) -> Result<()> {
    match &run.json {
        Some(p) => write_json(p, r),
        None => {
            print_report(r);
            Ok(())
        }
    }
}

/// Runs `tosim sim`.
pub fn sim(a: SimArgs) -> Result<()> {
    let lib = library(&a.run.library, a.run.cells.as_deref())?;
    let resolver = |name: &str| lib.as_ref().and_then(|l| l.cell_type(name));
    let opts = tosim_netlist::import::ImportOptions { top: None, cell_types: Some(&resolver) };
    let n = tosim_netlist::import::read_file_with(&a.netlist, &opts)
        .with_context(|| format!("reading {}", a.netlist.display()))?;
    let m = match &lib {
        None => synthetic_models(&n),
        Some(l) => l.bind(&n).with_context(|| format!("binding {} to library `{}`", n.name(), l.name()))?,
    };
    let s = stream(&a.stream, &widths(&n))?;
    let r = simulate(&n, &m, s.as_ref(), &a.run)?;
    finish(&r, &a.run)
}

fn arch(s: &str) -> Result<Arch> {
    Arch::from_name(s).with_context(|| format!("unknown architecture `{s}` (see `tosim units`)"))
}

fn kind(s: &str) -> Result<Kind> {
    Kind::from_name(s).with_context(|| format!("unknown unit kind `{s}` (see `tosim units`)"))
}

/// Runs `tosim unit sim`.
pub fn unit_sim(a: UnitSimArgs) -> Result<()> {
    let n = tosim_units::generate(&a.unit.spec()?)?;
    let m = models(&a.run.library, a.run.cells.as_deref(), &n)?;
    let s = stream(&a.stream, &widths(&n))?;
    let r = simulate(&n, &m, s.as_ref(), &a.run)?;
    finish(&r, &a.run)
}

/// One row of `tosim compare`.
#[derive(Serialize, Debug)]
struct CompareRow {
    arch: String,
    transistors: u64,
    depth_cells: u32,
    static_tos_per_op: u64,
    switching_tos_per_op: f64,
    switching_p5: u64,
    switching_p95: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    glitch_tos_per_op: Option<f64>,
    ratio_to_best: f64,
}

fn archs_for(k: Kind, list: &str) -> Result<Vec<Arch>> {
    if list == "all" {
        let v: Vec<Arch> = tosim_units::registry().iter().filter(|i| i.kind == k).map(|i| i.arch).collect();
        if v.is_empty() {
            bail!("no architectures for `{k}`");
        }
        return Ok(v);
    }
    list.split(',').map(|s| arch(s.trim())).collect()
}

/// Runs `tosim compare`.
pub fn compare(a: CompareArgs) -> Result<()> {
    let k = kind(&a.kind)?;
    let mut rows = Vec::new();
    for ar in archs_for(k, &a.arch)? {
        let mut sp = UnitSpec::new(k, ar, a.width).signed(a.signed);
        if let Some(f) = &a.final_adder {
            sp = sp.with_final_adder(arch(f)?);
        }
        let n = tosim_units::generate(&sp)?;
        let m = models(&a.library, a.cells.as_deref(), &n)?;
        let s = stream(&a.stream, &widths(&n))?;
        let run = RunArgs {
            library: a.library.clone(),
            cells: a.cells.clone(),
            mode: if a.glitch { "glitch" } else { "zero" }.into(),
            delay: a.delay.clone(),
            transport: false,
            per_net: false,
            per_op: None,
            json: None,
            timing: false,
        };
        let r = simulate(&n, &m, s.as_ref(), &run)?;
        let ops = r.operations.max(1) as f64;
        let st = r.per_op.get("switching_tos").copied().unwrap_or_default();
        rows.push(CompareRow {
            arch: ar.name().into(),
            transistors: r.transistors,
            depth_cells: n.depth(),
            static_tos_per_op: r.transistors,
            switching_tos_per_op: r.switching_tos as f64 / ops,
            switching_p5: st.p5,
            switching_p95: st.p95,
            glitch_tos_per_op: r.glitch_tos.map(|g| g as f64 / ops),
            ratio_to_best: 0.0,
        });
    }
    let best = rows.iter().map(|r| r.glitch_tos_per_op.unwrap_or(r.switching_tos_per_op)).fold(f64::INFINITY, f64::min);
    for r in &mut rows {
        r.ratio_to_best = r.glitch_tos_per_op.unwrap_or(r.switching_tos_per_op) / best;
    }
    if let Some(p) = &a.json {
        return write_json(p, &rows);
    }
    println!(
        "{:<16} {:>11} {:>6} {:>10} {:>12} {:>8} {:>8} {:>10} {:>7}",
        "arch", "transistors", "depth", "static/op", "switching/op", "p5", "p95", "glitch/op", "ratio"
    );
    for r in &rows {
        let g = r.glitch_tos_per_op.map(|g| format!("{g:.1}")).unwrap_or_else(|| "-".into());
        println!(
            "{:<16} {:>11} {:>6} {:>10} {:>12.1} {:>8} {:>8} {:>10} {:>7.3}",
            r.arch,
            r.transistors,
            r.depth_cells,
            r.static_tos_per_op,
            r.switching_tos_per_op,
            r.switching_p5,
            r.switching_p95,
            g,
            r.ratio_to_best
        );
    }
    Ok(())
}

/// One row of `tosim table`.
#[derive(Serialize, Debug)]
struct TableRow {
    kind: String,
    arch: String,
    width: u32,
    transistors: u64,
    static_tos: u64,
    switching_tos_uniform: f64,
    switching_tos_gaussian: f64,
    gaussian_sigma: f64,
}

/// Runs `tosim table`.
pub fn table(a: TableArgs) -> Result<()> {
    let mut rows = Vec::new();
    for ks in &a.kinds {
        let k = kind(ks)?;
        for &w in &a.widths {
            for info in tosim_units::registry().iter().filter(|i| i.kind == k) {
                if w < info.min_width || w > info.max_width {
                    continue;
                }
                let sp = UnitSpec::new(k, info.arch, w);
                if sp.check().is_err() {
                    continue;
                }
                let n = tosim_units::generate(&sp)?;
                let m = models(&a.library, a.cells.as_deref(), &n)?;
                let p = Program::compile(&n, &m)?;
                let ws = widths(&n);
                let opts = Options { per_op_stats: false, ..Options::default() };
                let uni = Generated::uniform(&ws, a.count, a.seed);
                // Gaussian operands with σ = 2^(w/2): magnitudes use about half the bits.
                let sigma = 2f64.powf(w as f64 / 2.0);
                let gau = uni.clone().with_distribution(Distribution::Gaussian { sigma });
                let ru = Report::new(&p, &run_zero_delay(&p, &uni, &opts), false);
                let rg = Report::new(&p, &run_zero_delay(&p, &gau, &opts), false);
                let ops = a.count.max(1) as f64;
                rows.push(TableRow {
                    kind: k.name().into(),
                    arch: info.arch.name().into(),
                    width: w,
                    transistors: p.transistors(),
                    static_tos: p.transistors(),
                    switching_tos_uniform: ru.switching_tos as f64 / ops,
                    switching_tos_gaussian: rg.switching_tos as f64 / ops,
                    gaussian_sigma: sigma,
                });
            }
        }
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if a.csv {
        println!("kind,arch,width,transistors,static_tos,switching_tos_uniform,switching_tos_gaussian,gaussian_sigma");
        for r in &rows {
            println!(
                "{},{},{},{},{},{:.3},{:.3},{}",
                r.kind,
                r.arch,
                r.width,
                r.transistors,
                r.static_tos,
                r.switching_tos_uniform,
                r.switching_tos_gaussian,
                r.gaussian_sigma
            );
        }
    } else {
        println!(
            "{:<6} {:<16} {:>5} {:>11} {:>14} {:>15}",
            "kind", "arch", "width", "static TOs", "switching/op U", "switching/op G"
        );
        for r in &rows {
            println!(
                "{:<6} {:<16} {:>5} {:>11} {:>14.1} {:>15.1}",
                r.kind, r.arch, r.width, r.static_tos, r.switching_tos_uniform, r.switching_tos_gaussian
            );
        }
    }
    Ok(())
}

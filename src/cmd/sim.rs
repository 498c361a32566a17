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
    run_analog, run_glitch, run_zero_delay, synthetic_models, Delay, Distribution, Generated, GlitchOptions,
    GlitchProgram, Histogram, Options, Program, Recorded, Report, StageNetlist, Stats, Stream,
};
use tosim_table::FloatDist;
use tosim_units::float::{FloatKind, FloatSpec, Format as FloatFormat};
use tosim_units::{Arch, Kind, UnitSpec};

/// Where operands come from.
#[derive(clap::Args, Debug, Clone)]
pub struct StreamArgs {
    /// `random` (uniform), `gaussian`, `laplacian`, `hamming`, or a file with one
    /// operation per line (operands in port order, decimal or 0x hex, spaces or commas).
    /// Float units: `random`/`uniform` (bit patterns, no NaNs), `gaussian`
    /// (N(0, σ²) values), `relu` (first operand max(0, N(0, σ²)), others N(0, (σ/20)²)), or a file.
    #[arg(long, default_value = "random")]
    pub stream: String,
    /// Operations to generate (generated streams).
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Seed of the generator (SplitMix64, see docs/simulation.md).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Standard deviation of `gaussian` and `laplacian` operands (default 256;
    /// float units: 1.0, of the values).
    #[arg(long)]
    pub sigma: Option<f64>,
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
    /// `zero` (settled values only), `glitch` (timing simulation; also reports
    /// zero-delay counts) or `analog` (continuous RC node voltages, scalar and
    /// slow: for validation-sized streams; use with `--delay rc`).
    #[arg(long, default_value = "zero")]
    pub mode: String,
    /// Delay model of glitch and analog mode: `unit` (1 per CMOS stage), `effort` or `rc` (template RC, rise/fall).
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
use super::units::{float_format, float_role, float_with_arch, AnySpec};

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
    /// Unit kind (integer, or float: fadd, fsub, fmul, fdiv, fsqrt, fcmp, fmin, fmax, itof, ftoi).
    #[arg(long)]
    pub kind: String,
    /// Operand width (integer kinds; itof/ftoi: the integer width).
    #[arg(long)]
    pub width: Option<u32>,
    /// Float format of float kinds: binary32 (default), binary16, bfloat16.
    #[arg(long)]
    pub format: Option<String>,
    /// `all` or a comma-separated list of architectures (float kinds: of the
    /// multiplier of fmul, the root of fsqrt, the adder of the others).
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
    /// What to tabulate: integer kinds (every architecture), float kinds
    /// (fadd … ftoi, default architectures, per --formats), micro-programs
    /// (exp, sigmoid, tanh, silu, gelu, rsqrt, softmax), or the groups
    /// `float` (fadd fsub fmul fdiv fsqrt fcmp fmin fmax) and `programs`.
    #[arg(long, default_value = "add,mul,div,sqrt", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Operand widths of integer kinds.
    #[arg(long, default_value = "8,16,32", value_delimiter = ',')]
    pub widths: Vec<u32>,
    /// Formats of float kinds and micro-programs.
    #[arg(long, default_value = "binary16,bfloat16,binary32", value_delimiter = ',')]
    pub formats: Vec<String>,
    /// Operations per stream (units).
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Evaluations per stream (micro-programs).
    #[arg(long, default_value_t = 1_000)]
    pub program_count: u64,
    /// Inputs of `softmax`.
    #[arg(long, default_value_t = 10)]
    pub softmax_len: usize,
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
        "gaussian" => Distribution::Gaussian { sigma: a.sigma.unwrap_or(256.0) },
        "laplacian" => Distribution::Laplacian { sigma: a.sigma.unwrap_or(256.0) },
        "hamming" => Distribution::HammingWeight { weight: a.weight },
        file => {
            // Large files are read in pieces (memory independent of length).
            let r = tosim_sim::open_file(Path::new(file), widths)?;
            if a.zeros != 0.0 {
                bail!("--zeros applies to generated streams only");
            }
            return Ok(r);
        }
    };
    let g = g.with_distribution(dist);
    g.validate()?;
    Ok(Box::new(g))
}

/// The float distribution a stream name means (`None`: a file).
fn float_dist(a: &StreamArgs) -> Result<Option<FloatDist>> {
    let sigma = a.sigma.unwrap_or(1.0);
    if !(sigma >= 0.0 && sigma.is_finite()) {
        bail!("sigma {sigma} must be finite and >= 0");
    }
    Ok(Some(match a.stream.as_str() {
        "random" | "uniform" => FloatDist::Uniform,
        "gaussian" => FloatDist::Gaussian { sigma },
        "relu" => FloatDist::Relu { sigma },
        "laplacian" | "hamming" => {
            bail!("`{}` streams are for integer units (float units: uniform, gaussian, relu)", a.stream)
        }
        _ => return Ok(None),
    }))
}

/// The operand stream of `spec`: float distributions for float operands,
/// the integer generator otherwise (the integer input of `itof`).
fn any_stream(a: &StreamArgs, spec: &AnySpec, widths: &[u32]) -> Result<Box<dyn Stream>> {
    let AnySpec::Float(fs) = spec else { return stream(a, widths) };
    if fs.kind == FloatKind::IntToFloat {
        return stream(a, widths);
    }
    let Some(dist) = float_dist(a)? else { return stream(a, widths) };
    if a.zeros != 0.0 {
        bail!("--zeros applies to integer streams (float: use --stream relu)");
    }
    let ops = dist.operands(fs.format, widths.len(), a.count as usize, a.seed);
    Ok(Box::new(Recorded::new(widths.len(), ops.into_iter().flatten().collect())))
}

fn delay(s: &str) -> Result<Delay> {
    match s {
        "unit" => Ok(Delay::Unit),
        "effort" => Ok(Delay::Effort),
        "rc" => Ok(Delay::Rc),
        _ => bail!("unknown delay model `{s}` (unit, effort, rc)"),
    }
}

/// Simulates `n` as `run` says; returns the report and per-op rows.
fn simulate(n: &Netlist, models: &[CellModel], s: &dyn Stream, run: &RunArgs) -> Result<Report> {
    let p = Program::compile(n, models)?;
    let record = run.per_op.is_some();
    let opts = Options { per_op_stats: true, record_per_op: record, ..Options::default() };
    let t0 = std::time::Instant::now();
    let mut analog_rows: Option<(Vec<f64>, Vec<f64>)> = None;
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
        "analog" => {
            let act = run_zero_delay(&p, s, &opts);
            let mut r = Report::new(&p, &act, run.per_net);
            let st = StageNetlist::new(n, models, delay(&run.delay)?)?;
            let gates: Vec<f64> = st.load.iter().map(|&l| f64::from(l)).collect();
            let an = run_analog(&st, s, &[&gates, &st.cap])?;
            r.analog_tos = Some(an.per_op[0].iter().sum());
            r.analog_cap_ff = Some(an.per_op[1].iter().sum());
            // Per-operation statistics of analog TOs, rounded to whole TOs.
            let mut h = Histogram::default();
            for &x in &an.per_op[0] {
                h.add(x.round() as u64);
            }
            if let Some(st) = Stats::from_histogram(&h) {
                r.per_op.insert("analog_tos".into(), st);
            }
            analog_rows = Some((an.per_op[0].clone(), an.per_op[1].clone()));
            (r, act.per_op)
        }
        m => bail!("unknown mode `{m}` (zero, glitch, analog)"),
    };
    if let Some(f) = s.failure() {
        bail!("{f}");
    }
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
        let extra = match (glitch, &analog_rows) {
            (true, _) => "glitch_tos,",
            (false, Some(_)) => "analog_tos,analog_cap_ff,",
            _ => "",
        };
        writeln!(w, "op,switching_tos,{extra}net_toggles")?;
        for (i, r) in rows.iter().enumerate() {
            if let Some((tos, cap)) = &analog_rows {
                writeln!(w, "{i},{},{:.4},{:.4},{}", r.switching_tos, tos[i], cap[i], r.net_toggles)?;
            } else if glitch {
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
    use std::fmt::Write as _;
    let ops = r.operations.max(1) as f64;
    let mut o = String::new();
    let _ = writeln!(o, "design            {}", r.design);
    let _ = writeln!(o, "operations        {}", r.operations);
    let _ = writeln!(o, "transistors       {}", r.transistors);
    let _ = writeln!(o, "static TOs/op     {}", r.transistors);
    let _ = writeln!(o, "switching TOs/op  {:.2}", r.switching_tos as f64 / ops);
    if let Some(g) = r.glitch_tos {
        let _ = writeln!(o, "glitch TOs/op     {:.2}", g as f64 / ops);
    }
    if let (Some(g), Some(c)) = (r.analog_tos, r.analog_cap_ff) {
        let _ = writeln!(o, "analog TOs/op     {:.2}", g / ops);
        let _ = writeln!(o, "analog cap/op     {:.2} fF", c / ops);
    }
    let _ = writeln!(o, "net toggles/op    {:.2}", r.net_toggles as f64 / ops);
    let _ = writeln!(o, "gate area/op      {:.4} um2", r.switched_gate_area / ops);
    for (k, s) in &r.per_op {
        let _ = writeln!(
            o,
            "per op {k:<14} mean {:.2} std {:.2} min {} p5 {} median {} p95 {} max {}",
            s.mean, s.std, s.min, s.p5, s.median, s.p95, s.max
        );
    }
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(o.as_bytes());
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
    let spec = a.unit.any_spec()?;
    let n = spec.generate()?;
    let m = models(&a.run.library, a.run.cells.as_deref(), &n)?;
    let s = any_stream(&a.stream, &spec, &widths(&n))?;
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

/// The units `tosim compare` runs: one per architecture in `a.arch`.
fn compare_specs(a: &CompareArgs) -> Result<Vec<(String, AnySpec)>> {
    if let Some(fk) = FloatKind::from_name(&a.kind) {
        let fmt = float_format(a.format.as_deref().unwrap_or("binary32"))?;
        let mut base = FloatSpec::new(fk, fmt);
        if let Some(w) = a.width {
            if !fk.is_conversion() {
                bail!("--width applies to integer kinds and to itof/ftoi; `{fk}` takes its width from --format");
            }
            base = base.with_int_width(w);
        }
        if a.signed {
            bail!("--signed does not apply to float kinds");
        }
        let archs = if a.arch == "all" {
            float_role(fk).1
        } else {
            a.arch.split(',').map(|s| arch(s.trim())).collect::<Result<_>>()?
        };
        let mut v = Vec::new();
        for ar in archs {
            let mut sp = float_with_arch(base, ar)?;
            if let Some(f) = &a.final_adder {
                sp = sp.with_adder(arch(f)?);
            }
            sp.check()?;
            v.push((ar.name().to_string(), AnySpec::Float(sp)));
        }
        return Ok(v);
    }
    if a.format.is_some() {
        bail!("--format applies to float kinds");
    }
    let k = kind(&a.kind)?;
    let Some(width) = a.width else { bail!("`{k}` needs --width") };
    let mut v = Vec::new();
    for ar in archs_for(k, &a.arch)? {
        let mut sp = UnitSpec::new(k, ar, width).signed(a.signed);
        if let Some(f) = &a.final_adder {
            sp = sp.with_final_adder(arch(f)?);
        }
        v.push((ar.name().to_string(), AnySpec::Int(sp)));
    }
    Ok(v)
}

/// Runs `tosim compare`.
pub fn compare(a: CompareArgs) -> Result<()> {
    let mut rows = Vec::new();
    for (name, sp) in compare_specs(&a)? {
        let n = sp.generate()?;
        let m = models(&a.library, a.cells.as_deref(), &n)?;
        let s = any_stream(&a.stream, &sp, &widths(&n))?;
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
            arch: name,
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
    /// Integer kind, float kind or micro-program name.
    kind: String,
    /// Architecture (float: of the multiplier, root or adders; programs: `-`).
    arch: String,
    /// Float format (float units and programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<String>,
    /// Operand width in bits.
    width: u32,
    /// Design name (programs: program name).
    design: String,
    /// Transistors (programs: Σ over steps of the step's unit).
    transistors: u64,
    /// Static TOs per operation (= transistors).
    static_tos: u64,
    /// Unit operations per evaluation (programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    unit_ops: Option<usize>,
    switching_tos_uniform: f64,
    switching_tos_gaussian: f64,
    /// σ of the Gaussian stream (integers: of the integer values; float: of the values).
    gaussian_sigma: f64,
    /// Post-ReLU activation × weight stream (float units and programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    switching_tos_relu: Option<f64>,
}

/// Micro-programs `tosim table` knows.
const PROGRAMS: &[&str] = &["exp", "sigmoid", "tanh", "silu", "gelu", "rsqrt", "softmax"];

fn program(name: &str, f: FloatFormat, softmax_len: usize) -> Option<tosim_micro::MicroProgram> {
    use tosim_micro as micro;
    Some(match name {
        "exp" => micro::exp(f),
        "sigmoid" => micro::sigmoid(f),
        "tanh" => micro::tanh(f),
        "silu" => micro::silu(f),
        "gelu" => micro::gelu(f),
        "rsqrt" => micro::rsqrt(f),
        "softmax" => micro::softmax(f, softmax_len),
        _ => return None,
    })
}

/// Integer rows: every architecture of `k` at every width.
fn int_rows(a: &TableArgs, k: Kind, rows: &mut Vec<TableRow>) -> Result<()> {
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
                format: None,
                width: w,
                design: sp.design_name(),
                transistors: p.transistors(),
                static_tos: p.transistors(),
                unit_ops: None,
                switching_tos_uniform: ru.switching_tos as f64 / ops,
                switching_tos_gaussian: rg.switching_tos as f64 / ops,
                gaussian_sigma: sigma,
                switching_tos_relu: None,
            });
        }
    }
    Ok(())
}

/// The three float streams of the table: uniform bit patterns, N(0, 1), post-ReLU × weight.
const FLOAT_DISTS: [FloatDist; 3] =
    [FloatDist::Uniform, FloatDist::Gaussian { sigma: 1.0 }, FloatDist::Relu { sigma: 1.0 }];

/// A float unit row (default architectures).
fn float_row(a: &TableArgs, k: FloatKind, f: FloatFormat, lib: Option<&Library>) -> Result<TableRow> {
    let sp = FloatSpec::new(k, f);
    let n = tosim_units::float::generate(&sp)?;
    let ports = n.inputs().len();
    let mut sw = [0f64; 3];
    for (i, d) in FLOAT_DISTS.iter().enumerate() {
        let ops = if k == FloatKind::IntToFloat {
            // Integer input: uniform bits, N(0, 2^(n/2)), ReLU of that.
            let g = Generated::uniform(&widths(&n), a.count, a.seed + i as u64);
            let sigma = 2f64.powf(sp.int_width as f64 / 2.0);
            let g = if i == 0 { g } else { g.with_distribution(Distribution::Gaussian { sigma }) };
            let relu = |v: u128| if i == 2 && v >> (sp.int_width - 1) & 1 == 1 { 0 } else { v };
            (0..a.count).map(|j| vec![relu(g.value(j, 0))]).collect()
        } else {
            d.operands(f, ports, a.count as usize, a.seed + i as u64)
        };
        sw[i] = tosim_table::switching_tos(&n, lib, &ops)? as f64 / a.count.max(1) as f64;
    }
    let t = tosim_table::static_tos(&n, lib)?;
    let arch = match float_role(k).0 {
        super::units::FloatRole::Multiplier => sp.multiplier,
        super::units::FloatRole::Root => sp.root,
        super::units::FloatRole::Adder => sp.adder,
    };
    Ok(TableRow {
        kind: k.name().into(),
        arch: arch.name().into(),
        format: Some(f.name().into()),
        width: f.width(),
        design: sp.design_name(),
        transistors: t,
        static_tos: t,
        unit_ops: None,
        switching_tos_uniform: sw[0],
        switching_tos_gaussian: sw[1],
        gaussian_sigma: 1.0,
        switching_tos_relu: Some(sw[2]),
    })
}

/// A micro-program row: static TOs and switching TOs per evaluation
/// (see `tosim_table`); every input drawn independently from each stream.
fn program_row(a: &TableArgs, name: &str, f: FloatFormat, lib: Option<&Library>) -> Result<TableRow> {
    let p = program(name, f, a.softmax_len).with_context(|| format!("unknown micro-program `{name}`"))?;
    let k = p.inputs.len();
    let evals = a.program_count.max(1) as usize;
    let mut sw = [0f64; 3];
    let mut cost = tosim_table::ProgramCost::default();
    for (i, d) in FLOAT_DISTS.iter().enumerate() {
        let vals = d.operands(f, 1, evals * k, a.seed + i as u64);
        let inputs: Vec<Vec<u128>> = vals.chunks(k).map(|c| c.iter().map(|v| v[0]).collect()).collect();
        cost = tosim_table::program_costs(&p, lib, &inputs)?;
        sw[i] = cost.switching_tos;
    }
    Ok(TableRow {
        kind: name.into(),
        arch: "-".into(),
        format: Some(f.name().into()),
        width: f.width(),
        design: p.name.clone(),
        transistors: cost.static_tos,
        static_tos: cost.static_tos,
        unit_ops: Some(cost.unit_ops.values().sum()),
        switching_tos_uniform: sw[0],
        switching_tos_gaussian: sw[1],
        gaussian_sigma: 1.0,
        switching_tos_relu: Some(sw[2]),
    })
}

/// Runs `tosim table`.
pub fn table(a: TableArgs) -> Result<()> {
    let formats: Vec<FloatFormat> = a.formats.iter().map(|s| float_format(s.trim())).collect::<Result<_>>()?;
    let lib = library(&a.library, a.cells.as_deref())?;
    let mut items: Vec<String> = Vec::new();
    for ks in &a.kinds {
        match ks.trim() {
            "float" => items.extend(FloatKind::ALL.iter().filter(|k| !k.is_conversion()).map(|k| k.name().to_string())),
            "programs" => items.extend(PROGRAMS.iter().map(|s| s.to_string())),
            k => items.push(k.to_string()),
        }
    }
    let mut rows = Vec::new();
    for ks in &items {
        if let Some(fk) = FloatKind::from_name(ks) {
            for &f in &formats {
                rows.push(float_row(&a, fk, f, lib.as_ref())?);
            }
        } else if PROGRAMS.contains(&ks.as_str()) {
            for &f in &formats {
                rows.push(program_row(&a, ks, f, lib.as_ref())?);
            }
        } else {
            int_rows(&a, kind(ks)?, &mut rows)?;
        }
    }
    let opt = |x: Option<f64>, p: usize| x.map_or_else(|| "-".to_string(), |v| format!("{v:.p$}"));
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if a.csv {
        println!(
            "kind,arch,format,width,design,transistors,static_tos,unit_ops,switching_tos_uniform,\
             switching_tos_gaussian,gaussian_sigma,switching_tos_relu"
        );
        for r in &rows {
            println!(
                "{},{},{},{},{},{},{},{},{:.3},{:.3},{},{}",
                r.kind,
                r.arch,
                r.format.as_deref().unwrap_or(""),
                r.width,
                r.design,
                r.transistors,
                r.static_tos,
                r.unit_ops.map(|u| u.to_string()).unwrap_or_default(),
                r.switching_tos_uniform,
                r.switching_tos_gaussian,
                r.gaussian_sigma,
                r.switching_tos_relu.map(|v| format!("{v:.3}")).unwrap_or_default()
            );
        }
    } else {
        println!(
            "{:<8} {:<16} {:<9} {:>5} {:>11} {:>14} {:>15} {:>15}",
            "kind", "arch", "format", "width", "static TOs", "switching/op U", "switching/op G", "switching/op R"
        );
        for r in &rows {
            println!(
                "{:<8} {:<16} {:<9} {:>5} {:>11} {:>14.1} {:>15.1} {:>15}",
                r.kind,
                r.arch,
                r.format.as_deref().unwrap_or("-"),
                r.width,
                r.static_tos,
                r.switching_tos_uniform,
                r.switching_tos_gaussian,
                opt(r.switching_tos_relu, 1)
            );
        }
    }
    Ok(())
}

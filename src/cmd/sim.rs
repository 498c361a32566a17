//! `tosim sim`, `tosim unit sim`: switching transistors of a unit on an
//! operand stream (the run itself is [`tosim_sim::simulate`]).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;
use tosim_netlist::library::Library;
use tosim_sim::{simulate, Delay, HwUnit, Mode, RunOptions, Stream};
use tosim_table::streams::{Source, StreamSpec};

pub use super::units::UnitArgs;

/// Where operands come from.
#[derive(clap::Args, Debug, Clone)]
pub struct StreamArgs {
    /// `random` (uniform), `gaussian`, `laplacian`, `hamming`, or a file with one
    /// operation per line (operands in port order, decimal or 0x hex, spaces or commas).
    /// Float units: `random`/`uniform` (bit patterns, no NaNs), `gaussian`
    /// (N(0, σ²) values), `relu` (first operand max(0, N(0, σ²)), others N(0, (σ/20)²)), or a file.
    #[arg(long, default_value = "random")]
    pub stream: Source,
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

impl StreamArgs {
    /// The stream these arguments describe.
    pub fn spec(&self) -> StreamSpec {
        StreamSpec {
            source: self.stream.clone(),
            count: self.count,
            seed: self.seed,
            sigma: self.sigma,
            weight: self.weight,
            zeros: self.zeros,
        }
    }
}

/// Simulation modes (`--mode`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeArg {
    /// Settled values only.
    Zero,
    /// Timing simulation (also reports zero-delay counts).
    Glitch,
    /// Continuous RC node voltages (scalar and slow).
    Analog,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Zero => Mode::Zero,
            ModeArg::Glitch => Mode::Glitch,
            ModeArg::Analog => Mode::Analog,
        }
    }
}

/// Delay models (`--delay`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DelayArg {
    /// 1 per CMOS stage.
    Unit,
    /// Logical effort.
    Effort,
    /// Template RC, rise/fall.
    Rc,
}

impl From<DelayArg> for Delay {
    fn from(d: DelayArg) -> Delay {
        match d {
            DelayArg::Unit => Delay::Unit,
            DelayArg::Effort => Delay::Effort,
            DelayArg::Rc => Delay::Rc,
        }
    }
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
    #[arg(long, value_enum, default_value = "zero")]
    pub mode: ModeArg,
    /// Delay model of glitch and analog mode: `unit` (1 per CMOS stage), `effort` or `rc` (template RC, rise/fall).
    #[arg(long, value_enum, default_value = "unit")]
    pub delay: DelayArg,
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

/// The library `library` names (`None` for `synthetic`: the synthetic models).
pub fn library(library: &str, cells: Option<&Path>) -> Result<Option<Library>> {
    if library == "synthetic" {
        return Ok(None);
    }
    Ok(Some(Library::named(library, cells).with_context(|| format!("loading library `{library}`"))?))
}

/// Writes `v` as pretty JSON to `path` (`-`: standard output).
pub fn write_json<T: Serialize>(path: &Path, v: &T) -> Result<()> {
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

/// Simulates `u` on `s` as `run` says and writes what it asks for.
fn run_unit(u: &HwUnit, s: &dyn Stream, run: &RunArgs) -> Result<()> {
    let opts = RunOptions {
        mode: run.mode.into(),
        delay: run.delay.into(),
        transport: run.transport,
        per_net: run.per_net,
        record_per_op: run.per_op.is_some(),
    };
    let r = simulate(u, s, &opts).with_context(|| format!("simulating {}", u.name()))?;
    if run.timing {
        let cells = u.netlist().cell_count();
        eprintln!(
            "simulation: {} operations x {cells} cells in {:.3} s = {:.3e} gate-evaluations/s (hardware popcount: {})",
            r.report.operations,
            r.seconds,
            r.gate_evals_per_second(cells),
            tosim_sim::uses_hardware_popcount()
        );
    }
    if let Some(path) = &run.per_op {
        let f = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = std::io::BufWriter::new(f);
        r.write_per_op_csv(&mut w).and_then(|()| w.flush()).with_context(|| format!("writing {}", path.display()))?;
    }
    match &run.json {
        Some(p) => write_json(p, &r.report),
        None => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(r.report.to_text().as_bytes());
            Ok(())
        }
    }
}

/// Runs `tosim sim`.
pub fn sim(a: SimArgs) -> Result<()> {
    let lib = library(&a.run.library, a.run.cells.as_deref())?;
    let n = super::netlist::read_netlist(&a.netlist, None, lib.as_ref())?;
    let u = HwUnit::new(n, lib.as_ref())?;
    let s = a.stream.spec().int_stream(u.program().input_widths())?;
    run_unit(&u, s.as_ref(), &a.run)
}

/// Runs `tosim unit sim`.
pub fn unit_sim(a: UnitSimArgs) -> Result<()> {
    let spec = a.unit.any_spec()?;
    let lib = library(&a.run.library, a.run.cells.as_deref())?;
    let u = HwUnit::new(spec.generate()?, lib.as_ref())?;
    let s = a.stream.spec().unit_stream(&spec, u.program().input_widths())?;
    run_unit(&u, s.as_ref(), &a.run)
}

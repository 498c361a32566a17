//! `tosim spice export`, `tosim validate spice`, `tosim fit`: arguments and
//! output of the energy pipeline in tosim-energy (transistor-level energy
//! from ngspice on the SKY130 cells, compared with TO counts, and the
//! calibration of TOs to measured energy).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tosim_energy::{Circuit, DeckSettings, Driver, Load, Operands, Period, ValidateOptions};

use crate::cmd::units::UnitArgs;

/// `tosim spice …`.
#[derive(clap::Subcommand, Debug)]
pub enum SpiceCmd {
    /// Write the transistor-level ngspice deck of a unit on an operand stream.
    Export(ExportArgs),
}

/// `tosim validate …`.
#[derive(clap::Subcommand, Debug)]
pub enum ValidateCmd {
    /// Run ngspice on units bound to SKY130 cells and compare energy per operation with TO counts.
    Spice(ValidateArgs),
}

/// Input drivers of the deck (described in the help of `--driver`).
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum DriverArg {
    Cells,
    Ideal,
}

/// Deck settings shared by export and validate.
#[derive(clap::Args, Debug, Clone)]
pub struct DeckArgs {
    /// Library binding with a foundry source (built-in `sky130_hd`, or a binding file).
    #[arg(long, default_value = "sky130_hd")]
    pub library: String,
    /// The `sky130_fd_sc_hd` folder (else $TOSIM_SKY130_HD, else the cache of circuits/pdk/fetch_sky130.sh).
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Period per operation in ns; `auto` = 1 ns + 0.25 ns per cell level of the unit.
    #[arg(long, default_value = "auto")]
    pub period_ns: Period,
    /// Stimulus ramp in ps.
    #[arg(long, default_value_t = 100.0)]
    pub slew_ps: f64,
    /// Supply voltage.
    #[arg(long, default_value_t = 1.8)]
    pub vdd: f64,
    /// Input drivers: `cells` (inv_1 → inv_2 per input bit, counted) or `ideal` (sources on the inputs).
    #[arg(long, value_enum, default_value = "cells", hide_possible_values = true)]
    pub driver: DriverArg,
    /// Output loads: `inv` (an inv_1 per output bit, its own supply not counted) or a capacitance in fF.
    #[arg(long, default_value = "inv")]
    pub load: Load,
    /// Output samples (and maximum ngspice steps) per period.
    #[arg(long, default_value_t = 8)]
    pub samples: u32,
}

impl DeckArgs {
    fn settings(&self) -> DeckSettings {
        DeckSettings {
            library: self.library.clone(),
            cells: self.cells.clone(),
            period: self.period_ns,
            slew_ps: self.slew_ps,
            vdd: self.vdd,
            driver: match self.driver {
                DriverArg::Cells => Driver::Cells,
                DriverArg::Ideal => Driver::Ideal,
            },
            load: self.load,
            samples: self.samples,
        }
    }
}

/// Operands: a file or a generated uniform stream.
#[derive(clap::Args, Debug, Clone)]
pub struct OpsArgs {
    /// Operations file (one per line, operands in input-port order); else a uniform random stream.
    #[arg(long)]
    pub stream: Option<PathBuf>,
    /// Operations of the random stream.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl OpsArgs {
    fn operands(&self) -> Operands {
        Operands { stream: self.stream.clone(), count: self.count, seed: self.seed }
    }
}

/// Arguments of `tosim spice export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    #[command(flatten)]
    pub deck: DeckArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Output folder (deck.sp, cells.sp, models.sp, .spiceinit; `chunk<i>/` when --chunks > 1).
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Split the stream into this many decks (each starts from the state its first operation follows).
    #[arg(long, default_value_t = 1)]
    pub chunks: usize,
}

/// Arguments of `tosim validate spice`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Circuits as kind:arch:width[@count], comma-separated (e.g. add:ripple:8,mul:array:8@60);
    /// `@count` overrides --count for that circuit (the stream is the prefix of the same seeded stream).
    #[arg(long, value_delimiter = ',', default_value = "add:ripple:8,mul:array:4")]
    pub circuits: Vec<String>,
    #[command(flatten)]
    pub deck: DeckArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Work folder: decks, ngspice logs, per_op.csv, validate.json.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// ngspice processes at a time (each circuit's stream is split into this many decks).
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// ngspice executable.
    #[arg(long, default_value = "ngspice")]
    pub ngspice: String,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// A period is settled when every output is within this fraction of vdd of a rail …
    #[arg(long, default_value_t = 0.1)]
    pub settle_margin: f64,
    /// … and the counted supplies draw less than this many µA over the period's last sample interval.
    #[arg(long, default_value_t = 5.0)]
    pub settle_ua: f64,
    /// Reuse finished ngspice runs of identical decks in the work folder (resume, or combine separate runs).
    #[arg(long)]
    pub reuse: bool,
    /// Also write the JSON report here (`-` for standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Arguments of `tosim fit`.
#[derive(clap::Args, Debug)]
pub struct FitArgs {
    /// CSV with a header: predictor columns (report fields such as switching_tos, flops, static_tos) and the measured energy.
    pub file: PathBuf,
    /// Energy column.
    #[arg(long, default_value = "energy")]
    pub energy: String,
    /// Predictor columns, comma-separated (default: every other numeric column except op/index/id).
    #[arg(long, value_delimiter = ',')]
    pub x: Vec<String>,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Write the JSON report here (`-` for standard output) instead of the table.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn write_out(path: &Path, text: &str) -> Result<()> {
    if path == Path::new("-") {
        println!("{text}");
        Ok(())
    } else {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Runs `tosim spice export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let spec = a.unit.spec()?;
    tosim_energy::export(&spec, &a.deck.settings(), &a.ops.operands(), a.chunks, &a.output, |c| {
        eprintln!(
            "{}: {} operations {}..{}, {} cells, {} transistors, period {:.2} ns",
            c.dir.display(),
            c.ops,
            c.first,
            c.end,
            c.cells,
            c.transistors,
            c.period_ns
        );
    })?;
    eprintln!("run: cd {} && ngspice -b deck.sp", a.output.display());
    Ok(())
}

/// Runs `tosim validate spice`.
pub fn validate(a: ValidateArgs) -> Result<()> {
    let circuits = a.circuits.iter().map(|s| s.parse::<Circuit>()).collect::<Result<Vec<_>, _>>()?;
    let o = ValidateOptions {
        circuits,
        deck: a.deck.settings(),
        ops: a.ops.operands(),
        output: a.output.clone(),
        jobs: a.jobs,
        ngspice: a.ngspice.clone(),
        folds: a.folds,
        settle_margin: a.settle_margin,
        settle_ua: a.settle_ua,
        reuse: a.reuse,
    };
    let report = tosim_energy::validate(&o, &mut |c| {
        eprintln!(
            "{}: {} operations, {} cells, period {:.2} ns, {} ngspice jobs …",
            c.name, c.operations, c.cells, c.period_ns, c.jobs
        );
    })?;
    if let Some(p) = &a.json {
        write_out(p, &(serde_json::to_string_pretty(&report)? + "\n"))?;
    }
    if a.json.as_deref() != Some(Path::new("-")) {
        print!("{}", report.table());
    }
    let bad = report.failures();
    if !bad.is_empty() {
        bail!("SPICE outputs wrong or unsettled (see {}/per_op.csv): {}", a.output.display(), bad.join("; "));
    }
    Ok(())
}

/// Runs `tosim fit`.
pub fn fit(a: FitArgs) -> Result<()> {
    let report = tosim_energy::fit(&a.file, &a.energy, &a.x, a.folds)?;
    if let Some(p) = &a.json {
        return write_out(p, &(serde_json::to_string_pretty(&report)? + "\n"));
    }
    print!("{}", report.table());
    Ok(())
}

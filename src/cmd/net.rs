//! `tosim net`, `tosim merge`: networks on gate-level units
//! (the engine is `tosim_nn::GateNet`; this file parses and prints).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use super::sweep::{sweep, SweepArgs};
use anyhow::{bail, Context, Result};
use tosim_nn::{
    load_onnx, merge_reports, render, BatchNormMode, DataSet, GateNet, Mode, NetReport, NumFormat, Profile, RunContext,
    Shard, ShardPos,
};

const DEFAULT_MODEL: &str = "circuits/models/digits_mlp.onnx";
pub(crate) const DEFAULT_DATA: &str = "circuits/models/digits_test_x.npy";
const DEFAULT_LABELS: &str = "circuits/models/digits_test_y.npy";

pub(crate) fn parse_format(s: &str) -> Result<NumFormat, String> {
    NumFormat::parse(s)
        .ok_or_else(|| format!("expected int8, int16, qM.N (M + N = 8 or 16), fp32, fp16 or bf16, not `{s}`"))
}

/// `--batchnorm`: how a batch normalisation after a dense layer is computed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchNorm {
    /// On the units: subtract, square root, divide, scale, shift.
    Unfold,
    /// Folded into the weights.
    Fold,
}

impl From<BatchNorm> for BatchNormMode {
    fn from(b: BatchNorm) -> Self {
        match b {
            BatchNorm::Unfold => BatchNormMode::Unfold,
            BatchNorm::Fold => BatchNormMode::Fold,
        }
    }
}

/// `--mode` of network runs.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetMode {
    /// Settled values only.
    Zero,
    /// Also the unit-delay glitch simulator.
    Glitch,
}

impl From<NetMode> for Mode {
    fn from(m: NetMode) -> Self {
        match m {
            NetMode::Zero => Mode::Zero,
            NetMode::Glitch => Mode::Glitch,
        }
    }
}

/// Arguments of `tosim net`.
#[derive(clap::Args, Debug)]
pub struct NetArgs {
    /// ONNX model (default: the shipped digits MLP, circuits/models/digits_mlp.onnx).
    pub model: Option<PathBuf>,
    /// Inputs as .npy, one sample per row (default with the default model: the digits test split).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Integer class labels as .npy (default with the default data: the digits test labels).
    #[arg(long)]
    pub labels: Option<PathBuf>,
    /// Number format: int8, int16, fixed point qM.N (M + N = 8 or 16, e.g. q4.4, q8.8, q4.12), fp32, fp16 or bf16.
    #[arg(long, default_value = "int8", value_parser = parse_format)]
    pub format: NumFormat,
    /// Batch normalisation after a dense layer `unfold`ed on the units
    /// (subtract, square root, divide, scale, shift) or `fold`ed into the
    /// weights.
    #[arg(long, value_enum, default_value_t = BatchNorm::Unfold)]
    pub batchnorm: BatchNorm,
    /// Hardware profile (TOML; default: circuits/profiles/default.toml, embedded).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// Run only the first N samples (scales are still calibrated on the whole data file).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Write the report as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write one CSV row per layer (and per neuron with --per-neuron).
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Report every neuron.
    #[arg(long)]
    pub per_neuron: bool,
    /// `zero` (settled values) or `glitch` (also the unit-delay glitch simulator; slower).
    #[arg(long, value_enum, default_value_t = NetMode::Zero)]
    pub mode: NetMode,
    /// Run only shard i of n (1-based): a contiguous 1/n of the samples, counted
    /// exactly as the whole run counts them; add the shard reports with `tosim merge`.
    #[arg(long, value_name = "I/N", value_parser = |s: &str| Shard::parse(s))]
    pub shard: Option<Shard>,
}

/// Arguments of `tosim merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// Shard reports (JSON of `tosim net --shard i/n --json FILE`), in any order.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the merged report as JSON (the same as the unsharded run's `--json`).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write one CSV row per layer (and per neuron when the shards have them).
    #[arg(long)]
    pub csv: Option<PathBuf>,
}

pub(crate) fn existing(p: PathBuf, what: &str, default: bool) -> Result<PathBuf> {
    if p.exists() {
        return Ok(p);
    }
    if default {
        bail!(
            "the default {what} {} was not found relative to the current directory {}: \
             run from the repository root or name the file",
            p.display(),
            std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default()
        );
    }
    bail!("{what} {} not found", p.display())
}

/// Runs `tosim net`.
pub fn run(a: NetArgs) -> Result<()> {
    let model_default = a.model.is_none();
    let model = existing(a.model.unwrap_or_else(|| DEFAULT_MODEL.into()), "model", model_default)?;
    let (data, labels) = match (a.data, model_default) {
        (Some(d), _) => (existing(d, "data file", false)?, a.labels),
        (None, true) => (
            existing(DEFAULT_DATA.into(), "data file", true)?,
            Some(a.labels.map_or_else(|| existing(DEFAULT_LABELS.into(), "labels file", true), Ok)?),
        ),
        (None, false) => bail!("--data X.npy is required with a model other than the default"),
    };
    let labels = labels.map(|l| existing(l, "labels file", false)).transpose()?;
    let profile = match &a.profile {
        Some(p) => Profile::load(p)?,
        None => Profile::default_profile()?,
    };
    let net = load_onnx(&model)?;
    let ds = DataSet::load(&net, &data, labels.as_deref())?;
    let samples = a.limit.map_or(ds.samples, |l| l.min(ds.samples));
    if samples == 0 {
        bail!("--limit 0: nothing to run");
    }
    // The samples this invocation counts (all of them without --shard).
    let range = a.shard.map_or(0..samples, |s| s.range(samples));
    let g = GateNet::new(&net, a.format, &ds.x, a.batchnorm.into(), profile, a.mode.into())?;
    let x: Vec<Vec<i64>> = (0..samples).map(|i| g.encode(ds.sample(i))).collect();

    let start = std::time::Instant::now();
    let names = g.layer_names();
    let progress = progress(&names, start);
    let run = g.run_range(&x, range.clone(), &progress)?;
    let elapsed = start.elapsed();
    if range.start == 0 {
        let evals = g.gate_evaluations(&run);
        let rate = evals as f64 / elapsed.as_secs_f64().max(1e-9);
        eprintln!("gate evaluations: {evals} in {:.3} s = {rate:.3e}/s", elapsed.as_secs_f64());
    }

    let ctx = RunContext {
        model: model.display().to_string(),
        net: &net,
        x: &ds.x[range.start * ds.width..range.end * ds.width],
        labels: ds.labels.as_deref().map(|l| &l[range.clone()]),
        per_neuron: a.per_neuron,
    };
    let shard =
        a.shard.map(|s| ShardPos { index: s.index, count: s.count, first_sample: range.start, total_samples: samples });
    let mut report = g.report(&ctx, &run, shard)?;
    // A shard report carries the fingerprint of the whole run's inputs and
    // labels (the first `samples`), so that `tosim merge` refuses shards of different data.
    if let Some(s) = &mut report.shard {
        s.data = tosim_nn::data_fingerprint(&ds.x[..samples * ds.width], ds.labels.as_deref().map(|l| &l[..samples]));
    }
    emit(&report, Some(elapsed.as_secs_f64()), a.json.as_deref(), a.csv.as_deref())
}

/// Progress on standard error: per layer, elements done (a line per layer
/// when standard error is not a terminal).
fn progress(names: &[String], start: std::time::Instant) -> impl Fn(usize, usize, usize) + Sync + '_ {
    let tty = std::io::stderr().is_terminal();
    let last = Mutex::new((usize::MAX, 0usize));
    move |layer: usize, done: usize, total: usize| {
        let Ok(mut l) = last.lock() else { return };
        // Update at most every ~5 % per layer, and always at the end of a layer.
        let step = (total / 20).max(1);
        if l.0 == layer && done != total && done < l.1 + step {
            return;
        }
        *l = (layer, done);
        let msg = format!(
            "layer {}/{} {}: {done}/{total} neurons, {:.1} s",
            layer + 1,
            names.len(),
            names[layer],
            start.elapsed().as_secs_f64()
        );
        if tty {
            eprint!("\r{msg}\x1b[K");
            if done == total {
                eprintln!();
            }
        } else if done == total {
            eprintln!("{msg}");
        }
    }
}

/// The end of a run or merge: the table on stdout, the JSON and CSV files
/// asked for, and an error when gate level and reference disagree.
fn emit(report: &NetReport, secs: Option<f64>, json: Option<&Path>, csv: Option<&Path>) -> Result<()> {
    print!("{}", render::table(report, secs));
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(report)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = csv {
        std::fs::write(p, render::csv(report)).with_context(|| format!("writing {}", p.display()))?;
    }
    if !report.agreement {
        bail!("gate level and reference disagree on {} of {} samples", report.disagreeing_samples, report.samples);
    }
    Ok(())
}

/// Runs `tosim merge`: adds shard reports into the report of the whole run.
pub fn merge(a: MergeArgs) -> Result<()> {
    let mut parts = Vec::with_capacity(a.reports.len());
    for p in &a.reports {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        let r: NetReport =
            serde_json::from_str(&text).with_context(|| format!("{}: not a tosim net JSON report", p.display()))?;
        parts.push((p.display().to_string(), r));
    }
    let report = merge_reports(&parts)?;
    emit(&report, None, a.output.as_deref(), a.csv.as_deref())
}

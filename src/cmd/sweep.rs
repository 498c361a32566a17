//! `tosim sweep`: generated model sets (depth, width, activation, batch
//! norm), one row of counts per model (the library is `tosim_nn::sweep`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use tosim_nn::sweep::{grid, parse_activation, random_inputs, run_sweep, SweepSpec};
use tosim_nn::{render, NumFormat, Profile};

use super::net::{existing, parse_format, BatchNorm, NetMode, DEFAULT_DATA};

/// `--with-batchnorm` of `tosim sweep`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    /// Models without batch norm.
    Off,
    /// Models with batch norm.
    On,
}

/// `--data` of `tosim sweep`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepData {
    /// The shipped digits test split.
    Digits,
    /// Uniform random inputs.
    Random,
}

/// Arguments of `tosim sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// Hidden layers, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    pub depth: Vec<usize>,
    /// Neurons per hidden layer, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "16,32,64")]
    pub width: Vec<usize>,
    /// Activations, comma-separated: relu, leaky_relu (α 0.01), leaky_relu:α, sigmoid, tanh.
    #[arg(long, value_delimiter = ',', default_value = "relu,sigmoid,tanh")]
    pub activation: Vec<String>,
    /// Models with and without a batch normalisation after every hidden
    /// dense layer: off, on, or both (off,on). (Old spelling: --batch-norm.)
    #[arg(long = "with-batchnorm", alias = "batch-norm", value_enum, value_delimiter = ',', default_value = "off,on")]
    pub with_batchnorm: Vec<OnOff>,
    /// Weight seeds, comma-separated (one model per seed and configuration).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub seed: Vec<u64>,
    /// Inputs: `digits` (the shipped digits test split, 64 features) or `random`
    /// (uniform in [0, 1), --inputs wide, seeded by the first seed).
    #[arg(long, value_enum, default_value_t = SweepData::Digits)]
    pub data: SweepData,
    /// Input width with --data random.
    #[arg(long, default_value_t = 64)]
    pub inputs: usize,
    /// Output width (logits).
    #[arg(long, default_value_t = 10)]
    pub outputs: usize,
    /// Samples per model (the first N of the data).
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    /// Number format: int8, int16, qM.N (M + N = 8 or 16), fp32, fp16 or bf16.
    #[arg(long, default_value = "int8", value_parser = parse_format)]
    pub format: NumFormat,
    /// How models with batch norm compute it, comma-separated: `unfold`ed on
    /// the units (subtract, square root, divide, scale, shift per neuron and
    /// sample) and/or `fold`ed into the weights (one row per mode).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "unfold")]
    pub batchnorm: Vec<BatchNorm>,
    /// Hardware profile (TOML; default: the embedded default profile).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// `zero` or `glitch`.
    #[arg(long, value_enum, default_value_t = NetMode::Zero)]
    pub mode: NetMode,
    /// Write one CSV row per model.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// Write the rows as a JSON array.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Record a model that cannot run (e.g. an activation the format does not
    /// support yet) as a row with its error and go on, instead of stopping.
    #[arg(long)]
    pub keep_going: bool,
}

/// Runs `tosim sweep`: one row per generated model.
pub fn sweep(a: SweepArgs) -> Result<()> {
    let mut acts = Vec::new();
    for s in &a.activation {
        acts.push(parse_activation(s).with_context(|| {
            format!("--activation {s}: expected relu, leaky_relu, leaky_relu:ALPHA, sigmoid or tanh")
        })?);
    }
    let bns: Vec<bool> = a.with_batchnorm.iter().map(|&b| b == OnOff::On).collect();
    if a.samples == 0 || a.outputs == 0 || a.width.contains(&0) || a.seed.is_empty() {
        bail!("--samples, --outputs, --width must be at least 1 and --seed must name a seed");
    }
    let profile = match &a.profile {
        Some(p) => Profile::load(p)?,
        None => Profile::default_profile()?,
    };
    let (x, inputs, samples) = match a.data {
        SweepData::Digits => {
            let path = existing(DEFAULT_DATA.into(), "data file", true)?;
            let (n, w, v) = tosim_nn::read_npy(&path)?.to_features()?;
            let s = a.samples.min(n);
            (v[..s * w].to_vec(), w, s)
        }
        SweepData::Random => (random_inputs(a.samples, a.inputs, a.seed[0]), a.inputs, a.samples),
    };
    let mut models = Vec::new();
    for &seed in &a.seed {
        models.extend(grid(&a.depth, &a.width, &acts, &bns, inputs, a.outputs, seed));
    }
    let spec = SweepSpec {
        models,
        batchnorm: a.batchnorm.iter().map(|&b| b.into()).collect(),
        format: a.format,
        profile,
        mode: a.mode.into(),
        x,
        samples,
        keep_going: a.keep_going,
    };
    let start = std::time::Instant::now();
    let rows = run_sweep(&spec, &|i, n, row| {
        if let Some(e) = &row.error {
            eprintln!("model {}: {e} (recorded, going on)", row.model);
        }
        eprintln!(
            "[{}/{n}] {} {:.1} s ({} gate evaluations)",
            i + 1,
            row.model,
            start.elapsed().as_secs_f64(),
            row.gate_evaluations
        );
    })?;
    print!("{}", render::sweep_table(&rows));
    if let Some(p) = &a.csv {
        std::fs::write(p, render::sweep_csv(&rows)).with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &a.json {
        let text = serde_json::to_string_pretty(&rows)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

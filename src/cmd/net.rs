//! `tosim net`: a trained network on gate-level units, neuron by neuron.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use tosim_nn::{
    load_onnx, merge_reports, run_range, DataSet, GateNet, IntFormat, Mode, NetReport, Primitive, Profile, QuantNet,
    RunContext, SampleStats, Shard,
};

const DEFAULT_MODEL: &str = "circuits/models/digits_mlp.onnx";
const DEFAULT_DATA: &str = "circuits/models/digits_test_x.npy";
const DEFAULT_LABELS: &str = "circuits/models/digits_test_y.npy";

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
    #[arg(long, default_value = "int8")]
    pub format: String,
    /// Batch normalisation after a dense layer `unfold`ed on the units
    /// (subtract, square root, divide, scale, shift) or `fold`ed into the
    /// weights.
    #[arg(long, default_value = "unfold")]
    pub batchnorm: String,
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
    #[arg(long, default_value = "zero")]
    pub mode: String,
    /// Run only shard i of n (1-based): a contiguous 1/n of the samples, counted
    /// exactly as the whole run counts them; add the shard reports with `tosim merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
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

fn existing(p: PathBuf, what: &str, default: bool) -> Result<PathBuf> {
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
    let float = tosim_nn::parse_float_format(&a.format);
    let format = IntFormat::parse(&a.format);
    if format.is_none() && float.is_none() {
        bail!("--format {}: expected int8, int16, qM.N (M + N = 8 or 16), fp32, fp16 or bf16", a.format);
    }
    let mode = match a.mode.as_str() {
        "zero" => Mode::Zero,
        "glitch" => Mode::Glitch,
        m => bail!("--mode {m}: expected zero or glitch"),
    };
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

    let shard = a.shard.as_deref().map(Shard::parse).transpose()?;

    let net = load_onnx(&model)?;
    let ds = DataSet::load(&net, &data, labels.as_deref())?;
    let samples = a.limit.map_or(ds.samples, |l| l.min(ds.samples));
    if samples == 0 {
        bail!("--limit 0: nothing to run");
    }
    // The samples this invocation counts (all of them without --shard).
    let range = shard.map_or(0..samples, |s| s.range(samples));
    let Some(format) = format else {
        let bn = match a.batchnorm.as_str() {
            "unfold" => tosim_nn::BatchNormMode::Unfold,
            "fold" => tosim_nn::BatchNormMode::Fold,
            b => bail!("--batchnorm {b}: expected unfold or fold"),
        };
        let f = float.context("float format")?;
        let out = FloatOut { json: a.json, csv: a.csv, per_neuron: a.per_neuron, mode };
        return run_float(out, f, bn, &model, &net, &ds, profile, shard, range, samples);
    };
    let unfold = match a.batchnorm.as_str() {
        "unfold" => true,
        "fold" => false,
        b => bail!("--batchnorm {b}: expected unfold or fold"),
    };
    let q = QuantNet::with_batchnorm(&net, format, &ds.x, unfold)?;
    let xq: Vec<Vec<i64>> = (0..samples).map(|i| q.quantise_input(ds.sample(i))).collect();
    let g = GateNet::with_mode(q, profile, mode)?;

    let start = std::time::Instant::now();
    let tty = std::io::stderr().is_terminal();
    let layer_names: Vec<String> = g.qnet.layers.iter().map(|l| l.name.clone()).collect();
    let last = Mutex::new((usize::MAX, 0usize));
    let progress = |layer: usize, done: usize, total: usize| {
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
            layer_names.len(),
            layer_names[layer],
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
    };
    let runs = run_range(&xq, range.clone(), |x| g.run(x, &progress))?;
    let elapsed = start.elapsed();

    let ctx = RunContext {
        model: model.display().to_string(),
        net: &net,
        x: &ds.x[range.start * ds.width..range.end * ds.width],
        xq: &xq[range.clone()],
        labels: ds.labels.as_deref().map(|l| &l[range.clone()]),
        per_neuron: a.per_neuron,
    };
    let report = match shard {
        Some(s) => NetReport::build_shard(&ctx, &g, &runs, s.index, s.count, range.start, samples),
        None => NetReport::build(&ctx, &g, &runs),
    };
    emit(report, &ds, samples, elapsed, a.json.as_deref(), a.csv.as_deref())
}

/// The end of a `tosim net` run, integer or float: the data fingerprint of a
/// shard report, the table on stdout, the JSON and CSV files asked for, and
/// an error when gate level and reference disagree.
fn emit(
    mut report: NetReport,
    ds: &DataSet,
    samples: usize,
    elapsed: std::time::Duration,
    json: Option<&Path>,
    csv: Option<&Path>,
) -> Result<()> {
    set_fingerprint(&mut report, ds, samples);
    print_table(&report, Some(elapsed.as_secs_f64()));
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = csv {
        write_csv(p, &report).with_context(|| format!("writing {}", p.display()))?;
    }
    if !report.agreement {
        bail!("gate level and reference disagree on {} of {} samples", report.disagreeing_samples, report.samples);
    }
    Ok(())
}

/// A shard report carries the fingerprint of the whole run's inputs and labels
/// (the first `samples`), so that `tosim merge` refuses shards of different data.
fn set_fingerprint(report: &mut NetReport, ds: &DataSet, samples: usize) {
    if let Some(s) = &mut report.shard {
        s.data = tosim_nn::data_fingerprint(&ds.x[..samples * ds.width], ds.labels.as_deref().map(|l| &l[..samples]));
    }
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
    /// Batch normalisation after every hidden dense layer: off, on, or both (off,on).
    #[arg(long, value_delimiter = ',', default_value = "off,on")]
    pub batch_norm: Vec<String>,
    /// Weight seeds, comma-separated (one model per seed and configuration).
    #[arg(long, value_delimiter = ',', default_value = "1")]
    pub seed: Vec<u64>,
    /// Inputs: `digits` (the shipped digits test split, 64 features) or `random`
    /// (uniform in [0, 1), --inputs wide, seeded by the first seed).
    #[arg(long, default_value = "digits")]
    pub data: String,
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
    #[arg(long, default_value = "int8")]
    pub format: String,
    /// How models with batch norm compute it, comma-separated: `unfold`ed on
    /// the units (subtract, square root, divide, scale, shift per neuron and
    /// sample) and/or `fold`ed into the weights (one row per mode).
    #[arg(long, value_delimiter = ',', default_value = "unfold")]
    pub batchnorm: Vec<String>,
    /// Hardware profile (TOML; default: the embedded default profile).
    #[arg(long)]
    pub profile: Option<PathBuf>,
    /// `zero` or `glitch`.
    #[arg(long, default_value = "zero")]
    pub mode: String,
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
    use tosim_nn::sweep::{grid, parse_activation, random_inputs, SweepRow};
    let int = IntFormat::parse(&a.format);
    let float = tosim_nn::parse_float_format(&a.format);
    let format_name = match (int, float) {
        (Some(f), _) => f.name(),
        (None, Some(f)) => tosim_nn::float_format_name(f),
        (None, None) => {
            bail!("--format {}: expected int8, int16, qM.N (M + N = 8 or 16), fp32, fp16 or bf16", a.format)
        }
    };
    let mode = match a.mode.as_str() {
        "zero" => Mode::Zero,
        "glitch" => Mode::Glitch,
        m => bail!("--mode {m}: expected zero or glitch"),
    };
    let mut unfolds = Vec::new();
    for b in &a.batchnorm {
        unfolds.push(match b.as_str() {
            "unfold" => true,
            "fold" => false,
            b => bail!("--batchnorm {b}: expected unfold, fold or both (unfold,fold)"),
        });
    }
    let mut acts = Vec::new();
    for s in &a.activation {
        acts.push(parse_activation(s).with_context(|| {
            format!("--activation {s}: expected relu, leaky_relu, leaky_relu:ALPHA, sigmoid or tanh")
        })?);
    }
    let mut bns = Vec::new();
    for s in &a.batch_norm {
        bns.push(match s.as_str() {
            "off" => false,
            "on" => true,
            _ => bail!("--batch-norm {s}: expected off or on"),
        });
    }
    if a.samples == 0 || a.outputs == 0 || a.width.contains(&0) || a.seed.is_empty() {
        bail!("--samples, --outputs, --width must be at least 1 and --seed must name a seed");
    }
    let profile = match &a.profile {
        Some(p) => Profile::load(p)?,
        None => Profile::default_profile()?,
    };
    let (x, inputs, samples) = match a.data.as_str() {
        "digits" => {
            let path = existing(DEFAULT_DATA.into(), "data file", true)?;
            let arr = tosim_nn::read_npy(&path)?;
            let (n, w, v) = arr.to_features()?;
            let s = a.samples.min(n);
            (v[..s * w].to_vec(), w, s)
        }
        "random" => (random_inputs(a.samples, a.inputs, a.seed[0]), a.inputs, a.samples),
        d => bail!("--data {d}: expected digits or random"),
    };
    let mut configs = Vec::new();
    for &seed in &a.seed {
        configs.extend(grid(&a.depth, &a.width, &acts, &bns, inputs, a.outputs, seed));
    }
    // Models with batch norm once per --batchnorm mode, the others once.
    let jobs: Vec<(tosim_nn::sweep::ModelConfig, bool)> = configs
        .iter()
        .flat_map(|c| {
            let modes = if c.batch_norm { unfolds.clone() } else { vec![true] };
            modes.into_iter().map(move |u| (*c, u))
        })
        .collect();
    let mut rows = Vec::with_capacity(jobs.len());
    let start = std::time::Instant::now();
    for (i, (cfg, unfold)) in jobs.iter().enumerate() {
        let (cfg, unfold) = (cfg, *unfold);
        let net = cfg.network();
        let run = || -> Result<NetReport> {
            if let Some(f) = float {
                let bn = if unfold { tosim_nn::BatchNormMode::Unfold } else { tosim_nn::BatchNormMode::Fold };
                let fnet = tosim_nn::FloatNet::new(&net, f, bn)?;
                let xe: Vec<Vec<u32>> =
                    (0..samples).map(|s| fnet.encode_input(&x[s * inputs..(s + 1) * inputs])).collect();
                let g = tosim_nn::FloatGateNet::with_mode(fnet, profile.clone(), mode)?;
                let run = g.run(&xe, &|_, _, _| {})?;
                let ctx = RunContext { model: cfg.name(), net: &net, x: &x, xq: &[], labels: None, per_neuron: false };
                return Ok(g.report(&ctx, &run, None)?);
            }
            let format = int.context("integer format")?;
            let q = QuantNet::with_batchnorm(&net, format, &x, unfold)?;
            let xq: Vec<Vec<i64>> = (0..samples).map(|s| q.quantise_input(&x[s * inputs..(s + 1) * inputs])).collect();
            let g = GateNet::with_mode(q, profile.clone(), mode)?;
            let runs = g.run(&xq, &|_, _, _| {});
            let ctx = RunContext { model: cfg.name(), net: &net, x: &x, xq: &xq, labels: None, per_neuron: false };
            Ok(NetReport::build(&ctx, &g, &runs))
        };
        let row = match run() {
            Ok(r) => SweepRow::from_report(cfg, &r).folded(!unfold),
            Err(e) if a.keep_going => {
                eprintln!("model {}: {e:#} (recorded, going on)", cfg.name());
                SweepRow::failed(cfg, format_name, samples, format!("{e:#}")).folded(!unfold)
            }
            Err(e) => {
                return Err(e.context(format!(
                    "model {} of the sweep (--keep-going records such models and goes on)",
                    cfg.name()
                )))
            }
        };
        if row.error.is_none() && !row.agreement {
            bail!("model {}: gate level and reference disagree", row.model);
        }
        eprintln!("[{}/{}] {} {:.1} s", i + 1, jobs.len(), row.model, start.elapsed().as_secs_f64());
        rows.push(row);
    }
    print_sweep(&rows);
    let mut prims: Vec<Primitive> = rows.iter().flat_map(|r| r.by_primitive.keys().copied()).collect();
    prims.sort();
    prims.dedup();
    if let Some(p) = &a.csv {
        let mut text = SweepRow::csv_header(&prims) + "\n";
        for r in &rows {
            text += &(r.csv(&prims) + "\n");
        }
        std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &a.json {
        let text = serde_json::to_string_pretty(&rows)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

fn print_sweep(rows: &[tosim_nn::sweep::SweepRow]) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "{:<22} {:>8} {:>12} {:>16} {:>16} {:>7}  note",
        "model", "params", "MACs", "static TOs", "switching TOs", "sw/st"
    );
    for r in rows {
        let ratio = if r.static_tos == 0 { 0.0 } else { r.switching_tos as f64 / r.static_tos as f64 };
        let _ = writeln!(
            o,
            "{:<22} {:>8} {:>12} {:>16} {:>16} {:>7.3}  {}",
            r.model,
            r.params,
            r.macs,
            r.static_tos,
            r.switching_tos,
            ratio,
            r.error.as_deref().unwrap_or("")
        );
    }
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
    print_table(&report, None);
    if let Some(p) = &a.output {
        let text = serde_json::to_string_pretty(&report)?;
        std::fs::write(p, text + "\n").with_context(|| format!("writing {}", p.display()))?;
    }
    if let Some(p) = &a.csv {
        write_csv(p, &report).with_context(|| format!("writing {}", p.display()))?;
    }
    if !report.agreement {
        bail!("gate level and reference disagree on {} of {} samples", report.disagreeing_samples, report.samples);
    }
    Ok(())
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |a| format!("{:.2} %", 100.0 * a))
}

fn print_table(r: &NetReport, secs: Option<f64>) {
    let mut o = std::io::stdout().lock();
    let _ = writeln!(
        o,
        "model    {}  ({} samples, {}, profile {}, cells {}, {} mode)",
        r.model,
        r.samples,
        r.format,
        r.profile,
        r.binding,
        if r.mode == Mode::Glitch { "glitch" } else { "zero-delay" }
    );
    if let Some(s) = &r.shard {
        let _ = writeln!(
            o,
            "shard    {}/{}: samples {}..{} of {} (add the shard reports with tosim merge)",
            s.index,
            s.count,
            s.first_sample,
            s.first_sample + r.samples,
            s.total_samples
        );
    }
    let _ = writeln!(
        o,
        "accuracy {} gate level, {} reference, {} float;  agreement: {}",
        pct(r.accuracy),
        pct(r.reference_accuracy),
        pct(r.float_accuracy),
        if r.agreement {
            "yes, every output bit".to_string()
        } else {
            format!("NO ({} samples differ)", r.disagreeing_samples)
        }
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<14} {:>7} {:>12} {:>12} {:>16} {:>16} {:>7}  {:>14} {:>14} {:>14}",
        "layer",
        "neurons",
        "MACs",
        "FLOPs",
        "static TOs",
        "switching TOs",
        "sw/st",
        "multiply sw",
        "add sw",
        "compare sw"
    );
    let row = |o: &mut std::io::StdoutLock,
               name: &str,
               n: String,
               macs: u64,
               flops: u64,
               st: u64,
               sw: u64,
               by: &std::collections::BTreeMap<Primitive, tosim_nn::Counts>| {
        let p = |k: Primitive| by.get(&k).map_or(0, |c| c.switching_tos);
        let _ = writeln!(
            o,
            "{:<14} {:>7} {:>12} {:>12} {:>16} {:>16} {:>7.3}  {:>14} {:>14} {:>14}",
            name,
            n,
            macs,
            flops,
            st,
            sw,
            if st == 0 { 0.0 } else { sw as f64 / st as f64 },
            p(Primitive::Multiply),
            p(Primitive::Add),
            p(Primitive::Compare)
        );
    };
    for l in &r.layers {
        row(&mut o, &l.name, l.neurons.to_string(), l.macs, l.flops, l.static_tos, l.switching_tos, &l.by_primitive);
    }
    let t = &r.total;
    row(&mut o, "total", String::new(), t.macs, t.flops, t.static_tos, t.switching_tos, &t.by_primitive);
    let s: &SampleStats = &t.per_sample;
    let _ = writeln!(o);
    let more: Vec<String> = [Primitive::Divide, Primitive::Sqrt, Primitive::Exp]
        .iter()
        .filter_map(|k| {
            t.by_primitive.get(k).map(|c| format!("{} {} ({} ops)", k.name(), c.switching_tos, c.operations))
        })
        .collect();
    if !more.is_empty() {
        let _ = writeln!(o, "switching TOs of other primitives: {}", more.join(", "));
    }
    let _ = writeln!(
        o,
        "switching TOs per sample: mean {:.0}, p5 {}, median {}, p95 {} (min {}, max {})",
        s.mean, s.p5, s.median, s.p95, s.min, s.max
    );
    if let Some(gt) = t.glitch_tos {
        let per: Vec<String> = r.layers.iter().map(|l| format!("{} {}", l.name, l.glitch_tos.unwrap_or(0))).collect();
        let _ = writeln!(
            o,
            "glitch TOs (unit delay per CMOS stage): {gt} = {:.3} x switching ({})",
            gt as f64 / t.switching_tos.max(1) as f64,
            per.join(", ")
        );
    }
    let _ = writeln!(o, "FLOPs: fvcore convention (one per MAC of a linear layer); ptflops would count {}", t.ptflops);
    if let Some(secs) = secs {
        let _ = writeln!(o, "gate-level run: {secs:.2} s");
    }
}

fn write_csv(p: &Path, r: &NetReport) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(p)?);
    let prims =
        [Primitive::Multiply, Primitive::Add, Primitive::Compare, Primitive::Divide, Primitive::Sqrt, Primitive::Exp];
    write!(f, "layer,neuron,samples,macs,flops,static_tos,switching_tos")?;
    for k in prims {
        write!(f, ",{0}_static_tos,{0}_switching_tos,{0}_glitch_tos", k.name())?;
    }
    writeln!(f)?;
    let by_cols =
        |f: &mut dyn Write, by: &std::collections::BTreeMap<Primitive, tosim_nn::Counts>| -> std::io::Result<()> {
            for k in prims {
                let c = by.get(&k).copied().unwrap_or_default();
                let g = c.glitch_tos.map_or(String::new(), |g| g.to_string());
                write!(f, ",{},{},{g}", c.static_tos, c.switching_tos)?;
            }
            writeln!(f)
        };
    for l in &r.layers {
        write!(f, "{},,{},{},{},{},{}", l.name, r.samples, l.macs, l.flops, l.static_tos, l.switching_tos)?;
        by_cols(&mut f, &l.by_primitive)?;
        for n in l.per_neuron.iter().flatten() {
            write!(f, "{},{},{},,,{},{}", l.name, n.index, r.samples, n.static_tos, n.switching_tos)?;
            by_cols(&mut f, &n.by_primitive)?;
        }
    }
    let t = &r.total;
    write!(f, "total,,{},{},{},{},{}", r.samples, t.macs, t.flops, t.static_tos, t.switching_tos)?;
    by_cols(&mut f, &t.by_primitive)?;
    f.flush()
}

/// Where `tosim net` writes a float run's report.
struct FloatOut {
    json: Option<PathBuf>,
    csv: Option<PathBuf>,
    per_neuron: bool,
    mode: Mode,
}

/// `tosim net --format fp32|fp16|bf16`: the float network on gate-level
/// IEEE-754 units (tosim_nn::FloatGateNet).
#[allow(clippy::too_many_arguments)]
fn run_float(
    out: FloatOut,
    f: tosim_nn::Format,
    bn: tosim_nn::BatchNormMode,
    model: &Path,
    net: &tosim_nn::Network,
    ds: &DataSet,
    profile: Profile,
    shard: Option<Shard>,
    range: std::ops::Range<usize>,
    samples: usize,
) -> Result<()> {
    let fnet = tosim_nn::FloatNet::new(net, f, bn)?;
    let x: Vec<Vec<u32>> = (0..samples).map(|i| fnet.encode_input(ds.sample(i))).collect();
    let g = tosim_nn::FloatGateNet::with_mode(fnet, profile, out.mode)?;
    let start = std::time::Instant::now();
    let names: Vec<String> = g.net.layers.iter().map(|l| l.name.clone()).collect();
    let progress = |layer: usize, done: usize, total: usize| {
        if done == total {
            eprintln!(
                "layer {}/{} {}: {total} neurons, {:.1} s",
                layer + 1,
                names.len(),
                names[layer],
                start.elapsed().as_secs_f64()
            );
        }
    };
    let (runs, disagreements) = g.run_range(&x, range.clone(), &progress)?;
    let elapsed = start.elapsed();
    let ctx = RunContext {
        model: model.display().to_string(),
        net,
        x: &ds.x[range.start * ds.width..range.end * ds.width],
        xq: &[],
        labels: ds.labels.as_deref().map(|l| &l[range.clone()]),
        per_neuron: out.per_neuron,
    };
    let run = tosim_nn::FloatRun { layers: runs, op_disagreements: disagreements };
    let report = g.report(&ctx, &run, shard.map(|s| (s.index, s.count, range.start, samples)))?;
    emit(report, ds, samples, elapsed, out.json.as_deref(), out.csv.as_deref())
}

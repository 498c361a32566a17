//! Model sets for the study of the published TO method (`tosim sweep`):
//! feed-forward networks generated from a grid of depth, width, activation and
//! batch normalisation, with fixed-seed random weights, and one result row per
//! model.
//!
//! A model of the grid is `depth` hidden layers of `width` neurons, each a dense
//! layer, optionally a batch normalisation, and the activation; then a dense
//! output layer of `outputs` logits. Weights are uniform in
//! `±√(3/fan_in)` (variance `1/fan_in`, LeCun's initialisation), biases uniform
//! in ±0.1, batch-norm γ in [0.8, 1.2], β in ±0.1, running mean in ±0.2 and
//! variance in [0.5, 1.5], ε = 10⁻⁵. The random numbers depend on the seed,
//! the depth and the width only — not on the activation or on batch norm — so
//! models that differ only in those have the same weights, and their rows
//! differ only by what the activation or normalisation does.
//!
//! ```
//! use tosim_nn::sweep::{ModelConfig, SweepRow};
//! use tosim_nn::Activation;
//!
//! let cfg = ModelConfig { depth: 2, width: 8, activation: Activation::Relu, batch_norm: true, inputs: 4, outputs: 3, seed: 1 };
//! let net = cfg.network();
//! assert_eq!(cfg.name(), "d2-w8-relu-bn");
//! // Dense, BatchNorm, Relu twice, then the output layer.
//! assert_eq!(net.layers.len(), 7);
//! assert_eq!(net.output_width(), 3);
//! assert_eq!(cfg.params(), (4 * 8 + 8) + 2 * 8 + (8 * 8 + 8) + 2 * 8 + (8 * 3 + 3));
//! assert_eq!(cfg.network(), net); // the same seed gives the same weights
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::gate::{Counts, Primitive};
use crate::model::{Activation, BatchNorm, Dense, Layer, LayerKind, Network};
use crate::report::NetReport;

/// One model of a sweep.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelConfig {
    /// Hidden layers (0: the output layer alone).
    pub depth: usize,
    /// Neurons per hidden layer.
    pub width: usize,
    /// Activation after every hidden layer.
    pub activation: Activation,
    /// A batch normalisation between every hidden dense layer and its activation.
    pub batch_norm: bool,
    /// Input width.
    pub inputs: usize,
    /// Output width (logits, no activation).
    pub outputs: usize,
    /// Seed of the weights.
    pub seed: u64,
}

/// Uniform numbers in [0, 1) from SplitMix64, one stream per (seed, depth, width, layer, kind).
struct Rng {
    seed: u64,
    n: u64,
}

impl Rng {
    fn new(parts: &[u64]) -> Rng {
        let seed = parts.iter().fold(0x5EED_u64, |h, &p| tosim_sim::splitmix64(h ^ p));
        Rng { seed, n: 0 }
    }

    fn unit(&mut self) -> f64 {
        self.n += 1;
        tosim_sim::unit_f64(tosim_sim::splitmix64_at(self.seed, self.n))
    }

    /// Uniform in [lo, hi).
    fn range(&mut self, lo: f64, hi: f64) -> f32 {
        (lo + (hi - lo) * self.unit()) as f32
    }
}

/// The activation as [`parse_activation`] reads it: `relu`, `sigmoid`,
/// `tanh`, `leaky_relu` (α = 0.01) or `leaky_relu:α`.
pub fn activation_name(a: Activation) -> String {
    match a {
        Activation::LeakyRelu { alpha } if alpha != 0.01 => format!("leaky_relu:{alpha}"),
        _ => a.name().to_string(),
    }
}

impl ModelConfig {
    /// `d{depth}-w{width}-{activation}[-bn]`, the activation as [`activation_name`].
    pub fn name(&self) -> String {
        format!(
            "d{}-w{}-{}{}",
            self.depth,
            self.width,
            activation_name(self.activation),
            if self.batch_norm { "-bn" } else { "" }
        )
    }

    /// Parameters: weights and biases of the dense layers, γ and β of the batch norms.
    pub fn params(&self) -> usize {
        let mut p = 0;
        let mut k = self.inputs;
        for _ in 0..self.depth {
            p += k * self.width + self.width + if self.batch_norm { 2 * self.width } else { 0 };
            k = self.width;
        }
        p + k * self.outputs + self.outputs
    }

    /// The network with its fixed-seed random weights (see the module documentation).
    pub fn network(&self) -> Network {
        let stream =
            |layer: usize, kind: u64| Rng::new(&[self.seed, self.depth as u64, self.width as u64, layer as u64, kind]);
        let dense = |layer: usize, k: usize, n: usize| {
            let mut r = stream(layer, 0);
            let b = (3.0 / k.max(1) as f64).sqrt();
            let weights = (0..k * n).map(|_| r.range(-b, b)).collect();
            let mut r = stream(layer, 1);
            let bias = (0..n).map(|_| r.range(-0.1, 0.1)).collect();
            LayerKind::Dense(Dense { inputs: k, outputs: n, weights, bias })
        };
        let mut layers = Vec::new();
        let mut k = self.inputs;
        let layer = |name: String, op: &str, kind: LayerKind, width: usize| Layer { name, op: op.into(), kind, width };
        for d in 0..self.depth {
            layers.push(layer(format!("fc{d}"), "Gemm", dense(d, k, self.width), self.width));
            if self.batch_norm {
                let c = self.width;
                let mut r = stream(d, 2);
                let scale = (0..c).map(|_| r.range(0.8, 1.2)).collect();
                let shift = (0..c).map(|_| r.range(-0.1, 0.1)).collect();
                let mean = (0..c).map(|_| r.range(-0.2, 0.2)).collect();
                let var = (0..c).map(|_| r.range(0.5, 1.5)).collect();
                let bn = BatchNorm { channels: c, per_channel: 1, scale, shift, mean, var, epsilon: 1e-5 };
                layers.push(layer(format!("bn{d}"), "BatchNormalization", LayerKind::BatchNorm(bn), c));
            }
            let op = match self.activation {
                Activation::Relu => "Relu",
                Activation::LeakyRelu { .. } => "LeakyRelu",
                Activation::Sigmoid => "Sigmoid",
                Activation::Tanh => "Tanh",
            };
            layers.push(layer(format!("act{d}"), op, LayerKind::Activation(self.activation), self.width));
            k = self.width;
        }
        layers.push(layer("out".into(), "Gemm", dense(self.depth, k, self.outputs), self.outputs));
        Network {
            path: PathBuf::from(format!("{}.onnx", self.name())),
            producer: "tosim sweep".into(),
            input_name: "x".into(),
            input_shape: vec![self.inputs],
            layers,
            classes: None,
        }
    }
}

/// Parses an activation name of a sweep: `relu`, `leaky_relu` (α = 0.01),
/// `leaky_relu:α`, `sigmoid`, `tanh`.
pub fn parse_activation(s: &str) -> Option<Activation> {
    match s {
        "relu" => Some(Activation::Relu),
        "sigmoid" => Some(Activation::Sigmoid),
        "tanh" => Some(Activation::Tanh),
        "leaky_relu" | "leakyrelu" => Some(Activation::LeakyRelu { alpha: 0.01 }),
        _ => {
            let a = s.strip_prefix("leaky_relu:")?.parse::<f32>().ok()?;
            (a.is_finite() && a > 0.0).then_some(Activation::LeakyRelu { alpha: a })
        }
    }
}

/// The grid: every combination, in the order depth, width, activation, batch norm.
pub fn grid(
    depths: &[usize],
    widths: &[usize],
    activations: &[Activation],
    batch_norm: &[bool],
    inputs: usize,
    outputs: usize,
    seed: u64,
) -> Vec<ModelConfig> {
    let mut v = Vec::new();
    for &depth in depths {
        for &width in widths {
            for &activation in activations {
                for &bn in batch_norm {
                    v.push(ModelConfig { depth, width, activation, batch_norm: bn, inputs, outputs, seed });
                }
            }
        }
    }
    v
}

/// `samples × width` inputs uniform in [0, 1) (fixed seed).
pub fn random_inputs(samples: usize, width: usize, seed: u64) -> Vec<f32> {
    let mut r = Rng::new(&[seed, 0xDA7A]);
    (0..samples * width).map(|_| r.range(0.0, 1.0)).collect()
}

/// One row of a sweep: the model and its counts (or why it could not run).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepRow {
    /// [`ModelConfig::name`].
    pub model: String,
    /// Gate evaluations of the run (work, for speed figures; not reported).
    #[serde(skip)]
    pub gate_evaluations: u64,
    /// Hidden layers.
    pub depth: usize,
    /// Neurons per hidden layer.
    pub width: usize,
    /// Activation name.
    pub activation: String,
    /// Batch normalisation on.
    pub batch_norm: bool,
    /// How batch normalisation is computed: `unfold` (on the units), `fold`
    /// (into the weights), `none` without batch normalisation.
    pub batchnorm: String,
    /// The activation, `+bn` with unfolded and `+bn(folded)` with folded batch
    /// normalisation (a grouping column for plots).
    pub variant: String,
    /// Weight seed.
    pub seed: u64,
    /// Parameters.
    pub params: usize,
    /// Number format.
    pub format: String,
    /// Samples run.
    pub samples: usize,
    /// Multiply-accumulates (all samples).
    pub macs: u64,
    /// FLOPs, fvcore's convention (all samples).
    pub flops: u64,
    /// ptflops' count (all samples).
    pub ptflops: u64,
    /// Static TOs (transistors × operations).
    pub static_tos: u64,
    /// Switching TOs.
    pub switching_tos: u64,
    /// Glitch TOs (`--mode glitch`).
    pub glitch_tos: Option<u64>,
    /// Unit operations.
    pub operations: u64,
    /// Counts by primitive.
    pub by_primitive: BTreeMap<Primitive, Counts>,
    /// Switching TOs per MAC.
    pub switching_per_mac: f64,
    /// Static TOs per MAC.
    pub static_per_mac: f64,
    /// Switching TOs / static TOs.
    pub switching_per_static: f64,
    /// Mean switching TOs per sample.
    pub per_sample_mean: f64,
    /// 5th percentile of the switching TOs per sample.
    pub per_sample_p5: u64,
    /// 95th percentile of the switching TOs per sample.
    pub per_sample_p95: u64,
    /// Gate level equals the reference on every output bit.
    pub agreement: bool,
    /// Why the model could not be run (then every count is 0).
    pub error: Option<String>,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl SweepRow {
    fn base(cfg: &ModelConfig, format: &str, samples: usize) -> SweepRow {
        SweepRow {
            model: cfg.name(),
            gate_evaluations: 0,
            depth: cfg.depth,
            width: cfg.width,
            activation: activation_name(cfg.activation),
            batch_norm: cfg.batch_norm,
            batchnorm: if cfg.batch_norm { "unfold" } else { "none" }.to_string(),
            variant: format!("{}{}", activation_name(cfg.activation), if cfg.batch_norm { "+bn" } else { "" }),
            seed: cfg.seed,
            params: cfg.params(),
            format: format.to_string(),
            samples,
            macs: 0,
            flops: 0,
            ptflops: 0,
            static_tos: 0,
            switching_tos: 0,
            glitch_tos: None,
            operations: 0,
            by_primitive: BTreeMap::new(),
            switching_per_mac: 0.0,
            static_per_mac: 0.0,
            switching_per_static: 0.0,
            per_sample_mean: 0.0,
            per_sample_p5: 0,
            per_sample_p95: 0,
            agreement: false,
            error: None,
        }
    }

    /// The row of a model's report.
    pub fn from_report(cfg: &ModelConfig, r: &NetReport) -> SweepRow {
        let t = &r.total;
        SweepRow {
            macs: t.macs,
            flops: t.flops,
            ptflops: t.ptflops,
            static_tos: t.static_tos,
            switching_tos: t.switching_tos,
            glitch_tos: t.glitch_tos,
            operations: t.by_primitive.values().map(|c| c.operations).sum(),
            by_primitive: t.by_primitive.clone(),
            switching_per_mac: ratio(t.switching_tos, t.macs),
            static_per_mac: ratio(t.static_tos, t.macs),
            switching_per_static: ratio(t.switching_tos, t.static_tos),
            per_sample_mean: t.per_sample.mean,
            per_sample_p5: t.per_sample.p5,
            per_sample_p95: t.per_sample.p95,
            agreement: r.agreement,
            ..SweepRow::base(cfg, &r.format, r.samples)
        }
    }

    /// Marks the row of a batch-norm model as computed with batch norm folded
    /// into the weights (`-fold` after the model name, `(folded)` after the
    /// variant); rows without batch norm are returned unchanged.
    pub fn folded(mut self, folded: bool) -> SweepRow {
        if self.batch_norm && folded {
            self.batchnorm = "fold".into();
            self.model += "-fold";
            self.variant += "(folded)";
        }
        self
    }

    /// The row of a model that could not be run.
    pub fn failed(cfg: &ModelConfig, format: &str, samples: usize, error: String) -> SweepRow {
        SweepRow { error: Some(error), ..SweepRow::base(cfg, format, samples) }
    }

    /// CSV header for rows with the primitives `prims`.
    pub fn csv_header(prims: &[Primitive]) -> String {
        let mut h = String::from(
            "model,depth,width,activation,batch_norm,batchnorm,variant,seed,params,format,samples,macs,flops,ptflops,\
             static_tos,switching_tos,glitch_tos,operations,switching_per_mac,static_per_mac,switching_per_static,\
             per_sample_mean,per_sample_p5,per_sample_p95,agreement",
        );
        for p in prims {
            h += &format!(",{0}_operations,{0}_static_tos,{0}_switching_tos", p.name());
        }
        h + ",error"
    }

    /// This row as CSV (columns of [`SweepRow::csv_header`]; the error quoted).
    pub fn csv(&self, prims: &[Primitive]) -> String {
        let mut s = format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{:.4},{:.4},{:.5},{:.1},{},{},{}",
            self.model,
            self.depth,
            self.width,
            self.activation,
            self.batch_norm,
            self.batchnorm,
            self.variant,
            self.seed,
            self.params,
            self.format,
            self.samples,
            self.macs,
            self.flops,
            self.ptflops,
            self.static_tos,
            self.switching_tos,
            self.glitch_tos.map_or(String::new(), |g| g.to_string()),
            self.operations,
            self.switching_per_mac,
            self.static_per_mac,
            self.switching_per_static,
            self.per_sample_mean,
            self.per_sample_p5,
            self.per_sample_p95,
            self.agreement
        );
        for p in prims {
            let c = self.by_primitive.get(p).copied().unwrap_or_default();
            s += &format!(",{},{},{}", c.operations, c.static_tos, c.switching_tos);
        }
        s + "," + &self.error.as_deref().map_or(String::new(), |e| format!("\"{}\"", e.replace('"', "\"\"")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{GateNet, IntFormat, Profile, QuantNet, RunContext};

    /// Counts of a tiny sweep model derive from its shape: d1-w4 on 3 inputs and
    /// 2 outputs, 5 samples: MACs 5·(3·4 + 4·2) = 100; multiplier operations =
    /// MACs + one requantisation per hidden neuron and sample (5·4); adder
    /// operations = MACs + one bias per neuron and sample (5·6) + one rounding
    /// addition per hidden neuron and sample (5·4).
    #[test]
    fn sweep_model_counts_follow_its_shape() {
        let cfg = ModelConfig {
            depth: 1,
            width: 4,
            activation: Activation::Relu,
            batch_norm: true,
            inputs: 3,
            outputs: 2,
            seed: 7,
        };
        let net = cfg.network();
        let x = random_inputs(5, 3, 7);
        let q = QuantNet::new(&net, IntFormat::Int8, &x).unwrap();
        let xq: Vec<Vec<i64>> = (0..5).map(|i| q.quantise_input(&x[i * 3..i * 3 + 3])).collect();
        let g = GateNet::int(q, Profile::default_profile().unwrap(), crate::Mode::Zero).unwrap();
        let run = g.run(&xq, &|_, _, _| {}).unwrap();
        let ctx = RunContext { model: cfg.name(), net: &net, x: &x, labels: None, per_neuron: false };
        let row = SweepRow::from_report(&cfg, &g.report(&ctx, &run, None).unwrap());
        assert!(row.agreement);
        assert_eq!(row.macs, 100);
        assert_eq!(row.by_primitive[&Primitive::Multiply].operations, 100 + 20);
        assert_eq!(row.by_primitive[&Primitive::Add].operations, 100 + 30 + 20);
        assert!(row.switching_tos > 0 && row.switching_tos < row.static_tos);
        // The same seed, depth and width give the same weights whatever the activation.
        let tanh = ModelConfig { activation: Activation::Tanh, ..cfg }.network();
        assert_eq!(tanh.layers[0], net.layers[0]);
        assert_ne!(ModelConfig { seed: 8, ..cfg }.network().layers[0], net.layers[0]);
        let csv = row.csv(&[Primitive::Multiply]);
        assert_eq!(csv.split(',').count(), SweepRow::csv_header(&[Primitive::Multiply]).split(',').count());
    }

    #[test]
    fn activation_names() {
        assert_eq!(parse_activation("relu"), Some(Activation::Relu));
        assert_eq!(parse_activation("leaky_relu:0.2"), Some(Activation::LeakyRelu { alpha: 0.2 }));
        assert_eq!(parse_activation("gelu"), None);
        for s in ["relu", "sigmoid", "tanh", "leaky_relu", "leaky_relu:0.2"] {
            assert_eq!(activation_name(parse_activation(s).unwrap()), s);
        }
        assert_eq!(grid(&[1, 2], &[4], &[Activation::Relu, Activation::Tanh], &[false, true], 3, 2, 1).len(), 8);
    }
}

/// What a sweep runs: models, data and hardware.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    /// The models (see [`grid`]), in order.
    pub models: Vec<ModelConfig>,
    /// How models with batch norm compute it: one row per entry, in order.
    pub batchnorm: Vec<crate::BatchNormMode>,
    /// Number format.
    pub format: crate::NumFormat,
    /// Hardware profile.
    pub profile: crate::Profile,
    /// Simulation mode.
    pub mode: crate::Mode,
    /// Inputs, `samples × width` (also the calibration data of integer formats).
    pub x: Vec<f32>,
    /// Samples in `x`.
    pub samples: usize,
    /// Record a model that cannot run as a row with its error and go on.
    pub keep_going: bool,
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A model could not run (without `keep_going`).
    #[error("model {model} of the sweep (--keep-going records such models and goes on)")]
    Model {
        /// The model's name.
        model: String,
        /// Why.
        #[source]
        source: Box<crate::NnError>,
    },
    /// A model ran but its gate-level outputs differ from the reference.
    #[error("model {model}: gate level and reference disagree")]
    Disagree {
        /// The model's name.
        model: String,
    },
}

/// Runs every model of `spec` (models with batch norm once per batch-norm
/// mode, the others once) and returns one row each; `progress(i, n, row)` is
/// called after each.
pub fn run_sweep(spec: &SweepSpec, progress: &dyn Fn(usize, usize, &SweepRow)) -> Result<Vec<SweepRow>, SweepError> {
    use crate::{BatchNormMode, GateNet, RunContext};
    let width = spec.models.first().map_or(1, |m| m.inputs).max(1);
    let jobs: Vec<(ModelConfig, BatchNormMode)> = spec
        .models
        .iter()
        .flat_map(|c| {
            let modes = if c.batch_norm { spec.batchnorm.clone() } else { vec![BatchNormMode::Unfold] };
            modes.into_iter().map(move |b| (*c, b))
        })
        .collect();
    let mut rows = Vec::with_capacity(jobs.len());
    for (i, (cfg, bn)) in jobs.iter().enumerate() {
        let net = cfg.network();
        let run = || -> crate::Result<(NetReport, u64)> {
            let g = GateNet::new(&net, spec.format, &spec.x, *bn, spec.profile.clone(), spec.mode)?;
            let xe: Vec<Vec<i64>> = (0..spec.samples).map(|s| g.encode(&spec.x[s * width..(s + 1) * width])).collect();
            let run = g.run(&xe, &|_, _, _| {})?;
            let ctx = RunContext { model: cfg.name(), net: &net, x: &spec.x, labels: None, per_neuron: false };
            Ok((g.report(&ctx, &run, None)?, g.gate_evaluations(&run)))
        };
        let folded = *bn == BatchNormMode::Fold;
        let row = match run() {
            Ok((r, evals)) => SweepRow { gate_evaluations: evals, ..SweepRow::from_report(cfg, &r).folded(folded) },
            Err(e) if spec.keep_going => {
                let msg = crate::error::chain(&e);
                SweepRow::failed(cfg, &spec.format.name(), spec.samples, msg).folded(folded)
            }
            Err(e) => return Err(SweepError::Model { model: cfg.name(), source: Box::new(e) }),
        };
        if row.error.is_none() && !row.agreement {
            return Err(SweepError::Disagree { model: row.model });
        }
        progress(i, jobs.len(), &row);
        rows.push(row);
    }
    Ok(rows)
}

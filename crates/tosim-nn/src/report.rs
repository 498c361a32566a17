//! The report of a network run: per layer and in total, MACs, FLOPs, static and
//! switching TOs by primitive, the per-sample distribution, accuracy and
//! agreement. Serialises to the JSON schema documented in `docs/network.md`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::gate::{Counts, LayerRun, Primitive};

/// Distribution of a per-sample quantity. Percentiles are nearest-rank: `pP`
/// is the smallest value with at least ⌈P/100 · n⌉ samples at or below it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct SampleStats {
    /// Mean.
    pub mean: f64,
    /// Minimum.
    pub min: u64,
    /// 5th percentile.
    pub p5: u64,
    /// Median.
    pub median: u64,
    /// 95th percentile.
    pub p95: u64,
    /// Maximum.
    pub max: u64,
}

impl SampleStats {
    /// Statistics of `v` (all zeros when empty).
    pub fn of(v: &[u64]) -> SampleStats {
        if v.is_empty() {
            return SampleStats::default();
        }
        let mut s = v.to_vec();
        s.sort_unstable();
        let n = s.len() as u64;
        let rank = |p: u64| s[((p * n).div_ceil(100).max(1) - 1) as usize];
        let sum: u128 = s.iter().map(|&x| u128::from(x)).sum();
        SampleStats {
            mean: sum as f64 / n as f64,
            min: s[0],
            p5: rank(5),
            median: rank(50),
            p95: rank(95),
            max: s[s.len() - 1],
        }
    }
}

/// One neuron (with `--per-neuron`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeuronReport {
    /// Index in the layer.
    pub index: usize,
    /// Static TOs.
    pub static_tos: u64,
    /// Switching TOs.
    pub switching_tos: u64,
    /// By primitive.
    pub by_primitive: BTreeMap<Primitive, Counts>,
}

/// One layer (a dense layer with what is folded into it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerReport {
    /// The dense layer's name (ONNX node).
    pub name: String,
    /// The float layers computed with it (activation, batch norm, softmax).
    pub folded: Vec<String>,
    /// Inputs per neuron.
    pub inputs: usize,
    /// Neurons.
    pub neurons: usize,
    /// Multiply-accumulates over all samples (inputs × neurons × samples).
    pub macs: u64,
    /// FLOPs over all samples, fvcore's convention: one per MAC of a linear
    /// layer; bias, activations and softmax not counted.
    pub flops: u64,
    /// ptflops' count over all samples: inputs × neurons + neurons (bias) per
    /// linear layer and one per ReLU or LeakyReLU output, per sample.
    pub ptflops: u64,
    /// Static TOs (transistors × operations of every unit).
    pub static_tos: u64,
    /// Switching TOs.
    pub switching_tos: u64,
    /// Glitch TOs (`--mode glitch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos: Option<u64>,
    /// Counts by primitive (`multiply`, `add`, `compare`).
    pub by_primitive: BTreeMap<Primitive, Counts>,
    /// Switching TOs per sample.
    pub per_sample: SampleStats,
    /// Per neuron, on request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub per_neuron: Option<Vec<NeuronReport>>,
}

/// What a layer is, for [`LayerReport::of_run`].
pub(crate) struct LayerShape {
    pub name: String,
    pub folded: Vec<String>,
    pub inputs: usize,
    pub neurons: usize,
    /// Followed by ReLU or LeakyReLU (ptflops counts one more operation per neuron).
    pub relu_like: bool,
}

impl LayerReport {
    /// The report of a layer's run over `samples` samples: counts summed over
    /// its primitives; MACs = FLOPs (fvcore) = inputs × neurons per sample;
    /// ptflops adds the bias and a ReLU-like activation per neuron; per-neuron
    /// detail when asked. `per_sample` is filled in by the caller.
    pub(crate) fn of_run(shape: LayerShape, samples: u64, run: &LayerRun, per_neuron: bool) -> LayerReport {
        let by = run.by_primitive();
        let mut c = Counts::default();
        for v in by.values() {
            c += v;
        }
        let (k, n) = (shape.inputs as u64, shape.neurons as u64);
        let macs = k * n * samples;
        LayerReport {
            name: shape.name,
            folded: shape.folded,
            inputs: shape.inputs,
            neurons: shape.neurons,
            macs,
            flops: macs,
            ptflops: (k * n + n + if shape.relu_like { n } else { 0 }) * samples,
            static_tos: c.static_tos,
            switching_tos: c.switching_tos,
            glitch_tos: c.glitch_tos,
            by_primitive: by,
            per_sample: SampleStats::default(),
            per_neuron: per_neuron.then(|| {
                run.neurons
                    .iter()
                    .enumerate()
                    .map(|(i, nr)| {
                        let t = nr.total();
                        NeuronReport {
                            index: i,
                            static_tos: t.static_tos,
                            switching_tos: t.switching_tos,
                            by_primitive: nr.by_primitive.clone(),
                        }
                    })
                    .collect()
            }),
        }
    }
}

/// Totals over all layers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Multiply-accumulates.
    pub macs: u64,
    /// FLOPs (fvcore's convention).
    pub flops: u64,
    /// ptflops' count.
    pub ptflops: u64,
    /// Static TOs.
    pub static_tos: u64,
    /// Switching TOs.
    pub switching_tos: u64,
    /// Glitch TOs (`--mode glitch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos: Option<u64>,
    /// By primitive.
    pub by_primitive: BTreeMap<Primitive, Counts>,
    /// Switching TOs per sample.
    pub per_sample: SampleStats,
}

/// A unit used by the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitReport {
    /// Its role.
    pub primitive: Primitive,
    /// Transistors (from the bound cell templates).
    pub transistors: u64,
    /// Cells.
    pub cells: usize,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetReport {
    /// Model file.
    pub model: String,
    /// Number format.
    pub format: String,
    /// Simulation mode (`zero` or `glitch`).
    pub mode: crate::gate::Mode,
    /// Hardware profile name.
    pub profile: String,
    /// Cell library binding.
    pub binding: String,
    /// Samples run.
    pub samples: usize,
    /// Accuracy of the gate-level outputs against the labels (`null` without labels).
    pub accuracy: Option<f64>,
    /// Correctly classified samples (gate level).
    pub correct: Option<usize>,
    /// Accuracy of the plain-Rust integer reference.
    pub reference_accuracy: Option<f64>,
    /// Accuracy of the float model.
    pub float_accuracy: Option<f64>,
    /// True when every output bit of every layer of the gate-level run equals the reference.
    pub agreement: bool,
    /// Samples on which some layer's output differs from the reference.
    pub disagreeing_samples: usize,
    /// Totals.
    pub total: Totals,
    /// Per layer.
    pub layers: Vec<LayerReport>,
    /// Units by design name.
    pub units: BTreeMap<String, UnitReport>,
    /// What `tosim merge` needs to add this report to the other shards of its
    /// run (`--shard i/n` only; absent from whole and merged reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
}

/// The part of a shard report that is not in a whole report: which samples it
/// covers and the per-sample values from which the merged distributions and
/// accuracies are computed exactly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// Shard number, 1…`count`.
    pub index: usize,
    /// Number of shards of the run.
    pub count: usize,
    /// The shard's first sample (0-based, in the whole run's sample order).
    pub first_sample: usize,
    /// Samples of the whole run (all shards).
    pub total_samples: usize,
    /// Samples the plain-Rust reference classified correctly (`null` without labels).
    pub reference_correct: Option<usize>,
    /// Samples the float model classified correctly (`null` without labels).
    pub float_correct: Option<usize>,
    /// Per layer, the switching TOs of each of the shard's samples, in order.
    pub per_sample: Vec<Vec<u64>>,
    /// Fingerprint of the whole run's inputs and labels
    /// ([`crate::data_fingerprint`]), so that shards of runs on different data
    /// do not merge; empty when not set.
    #[serde(default)]
    pub data: String,
}

/// Inputs of [`NetReport::build`] besides the run itself.
pub struct RunContext<'a> {
    /// Model file name.
    pub model: String,
    /// The float network.
    pub net: &'a crate::Network,
    /// Float inputs of the samples run (`samples × width`).
    pub x: &'a [f32],
    /// Labels of the samples run.
    pub labels: Option<&'a [i64]>,
    /// Include per-neuron detail.
    pub per_neuron: bool,
}

/// The additive content of a report: everything a whole report is computed
/// from, so that a report built from one run and one merged from shards go
/// through the same arithmetic ([`Tally::finish`]) and come out identical.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    /// The report's descriptive fields (`samples`, counts and layers are overwritten by `finish`).
    pub(crate) head: NetReport,
    /// Samples.
    pub(crate) samples: usize,
    /// Correct classifications: gate level, reference, float (`None` without labels).
    pub(crate) correct: Option<[usize; 3]>,
    /// Samples on which some layer differs from the reference.
    pub(crate) disagreeing: usize,
    /// Per layer: additive fields only (the `per_sample` statistics are recomputed).
    pub(crate) layers: Vec<LayerReport>,
    /// Per layer, switching TOs per sample.
    pub(crate) per_sample: Vec<Vec<u64>>,
}

pub(crate) use tosim_sim::add_opt;

fn add_by(a: &mut BTreeMap<Primitive, Counts>, b: &BTreeMap<Primitive, Counts>) {
    for (p, v) in b {
        *a.entry(*p).or_default() += v;
    }
}

impl Tally {
    /// Adds the next shard's tally (its samples follow this one's).
    pub(crate) fn add(&mut self, o: &Tally) {
        self.samples += o.samples;
        self.correct = match (self.correct, o.correct) {
            (Some(a), Some(b)) => Some([a[0] + b[0], a[1] + b[1], a[2] + b[2]]),
            _ => None,
        };
        self.disagreeing += o.disagreeing;
        for (l, m) in self.layers.iter_mut().zip(&o.layers) {
            l.macs += m.macs;
            l.flops += m.flops;
            l.ptflops += m.ptflops;
            l.static_tos += m.static_tos;
            l.switching_tos += m.switching_tos;
            l.glitch_tos = add_opt(l.glitch_tos, m.glitch_tos);
            add_by(&mut l.by_primitive, &m.by_primitive);
            if let (Some(a), Some(b)) = (&mut l.per_neuron, &m.per_neuron) {
                for (x, y) in a.iter_mut().zip(b) {
                    x.static_tos += y.static_tos;
                    x.switching_tos += y.switching_tos;
                    add_by(&mut x.by_primitive, &y.by_primitive);
                }
            }
        }
        for (a, b) in self.per_sample.iter_mut().zip(&o.per_sample) {
            a.extend_from_slice(b);
        }
    }

    /// The report: accuracies, totals and distributions computed from the tally.
    pub(crate) fn finish(self) -> NetReport {
        let samples = self.samples;
        let acc = |c: usize| if samples == 0 { 0.0 } else { c as f64 / samples as f64 };
        let mut total = Totals::default();
        let mut all_samples = vec![0u64; samples];
        let mut layers = self.layers;
        for (l, per) in layers.iter_mut().zip(&self.per_sample) {
            for (a, b) in all_samples.iter_mut().zip(per) {
                *a += b;
            }
            l.per_sample = SampleStats::of(per);
            total.macs += l.macs;
            total.flops += l.flops;
            total.ptflops += l.ptflops;
            total.static_tos += l.static_tos;
            total.switching_tos += l.switching_tos;
            total.glitch_tos = l.glitch_tos.map(|g| total.glitch_tos.unwrap_or(0) + g);
            add_by(&mut total.by_primitive, &l.by_primitive);
        }
        total.per_sample = SampleStats::of(&all_samples);
        NetReport {
            samples,
            accuracy: self.correct.map(|c| acc(c[0])),
            correct: self.correct.map(|c| c[0]),
            reference_accuracy: self.correct.map(|c| acc(c[1])),
            float_accuracy: self.correct.map(|c| acc(c[2])),
            agreement: self.disagreeing == 0,
            disagreeing_samples: self.disagreeing,
            total,
            layers,
            shard: None,
            ..self.head
        }
    }

    /// The report of shard `index` of `count` (1-based) whose samples start at
    /// `first_sample` of a run of `total_samples`: [`Tally::finish`] plus the
    /// [`ShardInfo`] that `tosim merge` needs.
    pub(crate) fn finish_shard(
        self,
        index: usize,
        count: usize,
        first_sample: usize,
        total_samples: usize,
    ) -> NetReport {
        let info = ShardInfo {
            index,
            count,
            first_sample,
            total_samples,
            reference_correct: self.correct.map(|c| c[1]),
            float_correct: self.correct.map(|c| c[2]),
            per_sample: self.per_sample.clone(),
            data: String::new(),
        };
        NetReport { shard: Some(info), ..self.finish() }
    }

    /// The tally of a run of `head.samples` samples: `disagreeing` samples
    /// differ from the reference, `correct` are the gate-level, reference and
    /// float classifications that match the labels (kept only with
    /// `ctx.labels`), and `layers` pairs each layer's shape with its run.
    pub(crate) fn of_layers<'a>(
        ctx: &RunContext,
        head: NetReport,
        disagreeing: usize,
        correct: [usize; 3],
        layers: impl IntoIterator<Item = (LayerShape, &'a LayerRun)>,
    ) -> Tally {
        let samples = head.samples;
        let correct = ctx.labels.map(|_| correct);
        let mut t = Tally { head, samples, correct, disagreeing, layers: Vec::new(), per_sample: Vec::new() };
        for (shape, run) in layers {
            t.per_sample.push(run.per_sample());
            t.layers.push(LayerReport::of_run(shape, samples as u64, run, ctx.per_neuron));
        }
        t
    }

    /// The tally of a shard report (the inverse of [`NetReport::build_shard`]).
    pub(crate) fn of_shard(r: &NetReport, info: &ShardInfo) -> Tally {
        let correct = match (r.correct, info.reference_correct, info.float_correct) {
            (Some(a), Some(b), Some(c)) => Some([a, b, c]),
            _ => None,
        };
        Tally {
            head: NetReport { shard: None, layers: Vec::new(), ..r.clone() },
            samples: r.samples,
            correct,
            disagreeing: r.disagreeing_samples,
            layers: r.layers.clone(),
            per_sample: info.per_sample.clone(),
        }
    }
}

impl NetReport {
    /// A report with the run's identity and units, nothing counted yet (what
    /// [`Tally`] fills in).
    pub(crate) fn head(
        ctx: &RunContext,
        format: &str,
        mode: crate::gate::Mode,
        profile: &crate::Profile,
        samples: usize,
        units: BTreeMap<String, UnitReport>,
    ) -> NetReport {
        NetReport {
            model: ctx.model.clone(),
            format: format.to_string(),
            mode,
            profile: profile.name.clone(),
            binding: profile.binding.clone(),
            samples,
            accuracy: None,
            correct: None,
            reference_accuracy: None,
            float_accuracy: None,
            agreement: true,
            disagreeing_samples: 0,
            total: Totals::default(),
            layers: Vec::new(),
            units,
            shard: None,
        }
    }
}

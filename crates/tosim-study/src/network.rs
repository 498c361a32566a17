//! The network part of the study: per-layer variation of the default digits
//! network and the per-operation TOs of its MAC units. Everything that
//! touches tosim-nn is in this module, behind [`network`].

use std::path::Path;

use serde::Serialize;
use tosim_plot::Summary;
use tosim_sim::{Options, Recorded};
use tosim_units::mask;

use crate::StudyError;

/// The default digits MLP (ONNX), relative to the repository root.
pub const DIGITS_MODEL: &str = "circuits/models/digits_mlp.onnx";
/// Its test inputs (NumPy), relative to the repository root.
pub const DIGITS_DATA: &str = "circuits/models/digits_test_x.npy";

/// Per-layer variation of the network.
#[derive(Serialize, Debug)]
pub struct LayerResult {
    /// Layer name (`network` for the sum).
    pub layer: String,
    /// Neurons.
    pub neurons: usize,
    /// Samples.
    pub samples: usize,
    /// Switching TOs over all samples (equals `tosim net`'s layer figure).
    pub switching_tos: u64,
    /// Mean per sample.
    pub mean: f64,
    /// Coefficient of variation over samples.
    pub cv: f64,
    /// Minimum per sample.
    pub min: f64,
    /// Maximum per sample.
    pub max: f64,
    /// max / min.
    pub max_over_min: f64,
    /// Median over neurons of each neuron's CV across samples.
    pub median_neuron_cv: f64,
    /// Switching TOs per sample.
    #[serde(skip)]
    pub per_sample: Vec<f64>,
}

/// One unit role of one layer, operation by operation on the network's real operands.
#[derive(Serialize, Debug)]
pub struct OpsResult {
    /// Layer name.
    pub layer: String,
    /// `multiplier` (the MAC multiplier) or `accumulator` (the MAC adder, bias step included).
    pub unit: String,
    /// Operations.
    pub ops: usize,
    /// Operations with at least one zero operand.
    pub zero_operand_fraction: f64,
    /// Mean switching TOs per operation.
    pub mean: f64,
    /// Coefficient of variation.
    pub cv: f64,
    /// 5th percentile.
    pub p5: f64,
    /// Median.
    pub median: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Switching TOs per operation.
    #[serde(skip)]
    pub per_op: Vec<f64>,
}

/// The network part of the study.
#[derive(Serialize, Debug, Default)]
pub struct Network {
    /// Per layer and in total, per sample.
    pub layers: Vec<LayerResult>,
    /// Per MAC operation, per layer.
    pub ops: Vec<OpsResult>,
}

fn nn(e: tosim_nn::NnError) -> StudyError {
    StudyError::Network(Box::new(e))
}

/// Runs the first `samples` inputs of `data` through the int8 gate-level
/// network of `model` (scales calibrated on the whole data file, as
/// `tosim net` does) and measures the per-sample variation of each layer and
/// the per-operation TOs of every neuron's MAC units.
pub fn network(model: &Path, data: &Path, samples: usize) -> Result<Network, StudyError> {
    use tosim_nn::{load_onnx, DataSet, GateNet, IntFormat, Profile, QuantNet};
    let net = load_onnx(model).map_err(nn)?;
    let ds = DataSet::load(&net, data, None).map_err(nn)?;
    let n = samples.min(ds.samples);
    let q = QuantNet::new(&net, IntFormat::Int8, &ds.x).map_err(nn)?;
    let xq: Vec<Vec<i64>> = (0..n).map(|i| q.quantise_input(ds.sample(i))).collect();
    let g = GateNet::int(q, Profile::default_profile().map_err(nn)?, tosim_nn::Mode::Zero).map_err(nn)?;
    let runs = g.run(&xq, &|_, _, _| {}).map_err(nn)?.layers;
    let mut out = Vec::new();
    let mut total = vec![0f64; n];
    for r in &runs {
        let ps: Vec<f64> = r.per_sample().iter().map(|&v| v as f64).collect();
        total.iter_mut().zip(&ps).for_each(|(t, v)| *t += v);
        let mut ncv: Vec<f64> = r
            .neurons
            .iter()
            .map(|nr| Summary::of(&nr.per_sample.iter().map(|&v| v as f64).collect::<Vec<_>>()).cv())
            .collect();
        ncv.sort_by(f64::total_cmp);
        let s = Summary::of(&ps);
        out.push(LayerResult {
            layer: r.name.clone(),
            neurons: r.neurons.len(),
            samples: n,
            switching_tos: r.per_sample().iter().sum(),
            mean: s.mean,
            cv: s.cv(),
            min: s.min,
            max: s.max,
            max_over_min: s.max_over_min(),
            median_neuron_cv: Summary::of(&ncv).median,
            per_sample: ps,
        });
    }
    let s = Summary::of(&total);
    out.push(LayerResult {
        layer: "network".into(),
        neurons: out.iter().map(|l| l.neurons).sum(),
        samples: n,
        switching_tos: out.iter().map(|l| l.switching_tos).sum(),
        mean: s.mean,
        cv: s.cv(),
        min: s.min,
        max: s.max,
        max_over_min: s.max_over_min(),
        median_neuron_cv: f64::NAN,
        per_sample: total,
    });
    let ops = network_ops(&g, &xq, &runs);
    Ok(Network { layers: out, ops })
}

/// Switching TOs per operation of every neuron's MAC multiplier and
/// accumulator, rebuilt from the operands the gate-level run feeds them (the
/// same order: per sample, (weight, input) for every input, then the bias
/// added), each neuron's units from reset, on the network's own compiled units.
fn network_ops(g: &tosim_nn::GateNet, xq: &[Vec<i64>], runs: &[tosim_nn::LayerRun]) -> Vec<OpsResult> {
    let Some(q) = g.quant() else { return Vec::new() };
    let f = q.format;
    let (b, acc_bits) = (f.bits(), f.acc_bits());
    let opts = Options { per_op_stats: false, record_per_op: true, ..Options::default() };
    let mut out = Vec::new();
    for (l, ql) in q.layers.iter().enumerate() {
        let Some((mul, accu)) = g.mac_units(l) else { continue };
        let inputs: Vec<Vec<i64>> =
            if l == 0 { xq.to_vec() } else { (0..xq.len()).map(|s| runs[l - 1].sample_outputs(s)).collect() };
        let d = &ql.dense;
        let acc_ports = accu.hw.operands();
        let (mut mul_tos, mut acc_tos) = (Vec::new(), Vec::new());
        let (mut mul_zero, mut acc_zero) = (0usize, 0usize);
        for o in 0..d.outputs {
            let w = d.row(o);
            let (mut mv, mut av) = (Vec::new(), Vec::new());
            for x in &inputs {
                let mut acc: u128 = 0;
                let mut add = |acc: &mut u128, p: u128, av: &mut Vec<u128>| {
                    av.extend([*acc, p]);
                    av.extend(std::iter::repeat(0).take(acc_ports - 2));
                    acc_zero += usize::from(*acc == 0 || p == 0);
                    *acc = (*acc + p) & mask(acc_bits);
                };
                for (&wi, &xi) in w.iter().zip(x) {
                    mv.extend([(wi as u128) & mask(b), (xi as u128) & mask(b)]);
                    mul_zero += usize::from(wi == 0 || xi == 0);
                    add(&mut acc, ((wi * xi) as u128) & mask(acc_bits), &mut av);
                }
                add(&mut acc, (d.bias[o] as u128) & mask(acc_bits), &mut av);
            }
            let run = |p: &tosim_sim::Program, k: usize, v: Vec<u128>| {
                tosim_sim::run_zero_delay(p, &Recorded::new(k, v), &opts).per_op.unwrap_or_default()
            };
            mul_tos.extend(run(mul.hw.program(), 2, mv).iter().map(|c| c.switching_tos as f64));
            acc_tos.extend(run(accu.hw.program(), acc_ports, av).iter().map(|c| c.switching_tos as f64));
        }
        for (unit, tos, zeros) in [("multiplier", mul_tos, mul_zero), ("accumulator", acc_tos, acc_zero)] {
            let s = Summary::of(&tos);
            out.push(OpsResult {
                layer: ql.name.clone(),
                unit: unit.into(),
                ops: s.n,
                zero_operand_fraction: zeros as f64 / s.n.max(1) as f64,
                mean: s.mean,
                cv: s.cv(),
                p5: s.p5,
                median: s.median,
                p95: s.p95,
                min: s.min,
                max: s.max,
                per_op: tos,
            });
        }
    }
    out
}

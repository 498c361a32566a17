//! Gate-level execution: every neuron of a [`QuantNet`] on its own processing
//! element of gate-level units, with switching transistor operations counted.
//!
//! Per neuron (layer with K inputs, b-bit operands, A-bit accumulator), the
//! units and the operations each one performs for every sample, in data-set
//! order (a unit keeps its state from one operation to the next, across
//! samples; before the first it is in the reset state, all inputs 0):
//!
//! | unit | operations per sample |
//! |---|---|
//! | multiplier, signed b×b | `(w[i], x[i])` for i = 0…K−1 |
//! | accumulator adder, A bits | `(acc, p[i], 0)` for i = 0…K−1 (acc = 0 before the first), then `(acc, bias, 0)` |
//! | ReLU (`max` unit, A bits, or AND mask) | `(acc, 0)` — when the layer has a ReLU |
//! | LeakyReLU: multiplier A×A, then `max` unit, A bits | `(acc, m)`, then `(acc, ⌊acc·m / 2^k⌋)` |
//! | requantisation multiplier, signed V×V | `(r, m)` — hidden layers |
//! | rounding adder, W+1 bits | `(u, 1, 0)` — hidden layers |
//! | upper clamp (`max` unit, W bits) | `(¬t, ¬Q)` — hidden layers |
//! | lower clamp (`max` unit, W bits) | `(y, −Q)` — hidden layers without ReLU |
//!
//! Every value a unit receives comes out of another unit (or the data set);
//! the values come from evaluating the unit's gate netlist
//! ([`tosim_netlist::eval`]), the counts from the zero-delay simulator
//! ([`tosim_sim::run_zero_delay`]) on exactly that operation sequence. The
//! arithmetic is documented in [`crate::QuantNet`]; the plain-Rust reference
//! [`QuantNet::infer`] must give the same bits.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_sim::{run_glitch, run_zero_delay, Delay, GlitchOptions, GlitchProgram, Options, Program, Recorded};
use tosim_units::{generate, Kind, UnitSpec};

use crate::error::{HardwareError, Result};
use crate::profile::{Profile, ReluUnit};
use crate::quant::{QLayer, QuantNet};

/// What kind of arithmetic a unit performs (the split of the reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Primitive {
    /// Multipliers.
    Multiply,
    /// Adders.
    Add,
    /// Comparators and selectors (ReLU, clamps).
    Compare,
}

impl Primitive {
    /// `multiply`, `add`, `compare`.
    pub fn name(self) -> &'static str {
        match self {
            Primitive::Multiply => "multiply",
            Primitive::Add => "add",
            Primitive::Compare => "compare",
        }
    }
}

/// Additive counts of unit operations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Unit operations.
    pub operations: u64,
    /// Static TOs: the unit's transistors, once per operation.
    pub static_tos: u64,
    /// Switching TOs: transistor gates that change level, summed over operations.
    pub switching_tos: u64,
    /// Glitch TOs (unit delay per CMOS stage, inertial), in glitch mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos: Option<u64>,
}

impl std::ops::AddAssign<&Counts> for Counts {
    fn add_assign(&mut self, o: &Counts) {
        self.operations += o.operations;
        self.static_tos += o.static_tos;
        self.switching_tos += o.switching_tos;
        self.glitch_tos = match (self.glitch_tos, o.glitch_tos) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
    }
}

/// Which simulator counts the transitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Zero-delay: settled values only (switching TOs).
    #[default]
    Zero,
    /// Also the unit-delay glitch simulator (glitch TOs, hazards included).
    Glitch,
}

/// One generated, bound and compiled unit.
#[derive(Debug)]
pub struct HwUnit {
    /// The generator's spec.
    pub spec: UnitSpec,
    /// The gate netlist (abstract cells).
    pub netlist: Netlist,
    /// The compiled simulation program (cells bound through the profile's library).
    pub program: Program,
    /// Its role in the reports.
    pub primitive: Primitive,
    /// The glitch program (unit delay), in glitch mode.
    pub glitch: Option<GlitchProgram>,
}

impl HwUnit {
    /// Transistors in the unit.
    pub fn transistors(&self) -> u64 {
        self.program.transistors()
    }
}

/// The units of one layer's processing elements (every neuron has its own
/// instances; instances of one spec share the compiled program).
#[derive(Debug, Clone)]
pub struct LayerUnits {
    /// MAC multiplier.
    pub mul: Arc<HwUnit>,
    /// Accumulator adder.
    pub acc: Arc<HwUnit>,
    /// ReLU unit, when the layer has a ReLU.
    pub relu: Option<Arc<HwUnit>>,
    /// LeakyReLU slope multiplier (A×A) and comparator-and-selector (A bits).
    pub leaky: Option<[Arc<HwUnit>; 2]>,
    /// Requantisation multiplier, rounding adder and clamp (hidden layers).
    pub requant: Option<[Arc<HwUnit>; 3]>,
}

/// A quantised network mapped onto gate-level units.
#[derive(Debug)]
pub struct GateNet {
    /// The integer network.
    pub qnet: QuantNet,
    /// The profile.
    pub profile: Profile,
    /// Units per layer.
    pub layers: Vec<LayerUnits>,
    /// Simulation mode.
    pub mode: Mode,
}

/// What one neuron did over all samples.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NeuronRun {
    /// Counts by primitive.
    pub by_primitive: BTreeMap<Primitive, Counts>,
    /// Switching TOs of this neuron per sample.
    #[serde(skip)]
    pub per_sample: Vec<u64>,
    /// The neuron's output per sample (as computed by its units).
    #[serde(skip)]
    pub outputs: Vec<i64>,
}

impl NeuronRun {
    /// Sum over primitives.
    pub fn total(&self) -> Counts {
        let mut c = Counts::default();
        for v in self.by_primitive.values() {
            c += v;
        }
        c
    }
}

/// One layer of a gate-level run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayerRun {
    /// Layer name.
    pub name: String,
    /// Every neuron, in order.
    pub neurons: Vec<NeuronRun>,
}

impl LayerRun {
    /// Counts by primitive, summed over neurons in order.
    pub fn by_primitive(&self) -> BTreeMap<Primitive, Counts> {
        let mut m: BTreeMap<Primitive, Counts> = BTreeMap::new();
        for n in &self.neurons {
            for (k, v) in &n.by_primitive {
                *m.entry(*k).or_default() += v;
            }
        }
        m
    }

    /// Switching TOs per sample, summed over neurons.
    pub fn per_sample(&self) -> Vec<u64> {
        let s = self.neurons.first().map_or(0, |n| n.per_sample.len());
        let mut v = vec![0u64; s];
        for n in &self.neurons {
            for (a, b) in v.iter_mut().zip(&n.per_sample) {
                *a += b;
            }
        }
        v
    }

    /// Sample `s`'s outputs of every neuron.
    pub fn sample_outputs(&self, s: usize) -> Vec<i64> {
        self.neurons.iter().map(|n| n.outputs[s]).collect()
    }
}

fn mask(v: i64, bits: u32) -> u128 {
    (v as i128 as u128) & ((1u128 << bits) - 1)
}

fn sext(v: u128, bits: u32) -> i64 {
    let sh = 128 - bits;
    (((v << sh) as i128) >> sh) as i64
}

/// Unit builder with a cache by spec.
struct Units<'a> {
    lib: &'a Library,
    mode: Mode,
    built: Vec<Arc<HwUnit>>,
}

impl Units<'_> {
    fn get(&mut self, spec: UnitSpec, primitive: Primitive) -> Result<Arc<HwUnit>> {
        if let Some(u) = self.built.iter().find(|u| u.spec == spec) {
            return Ok(u.clone());
        }
        let name = spec.design_name();
        let hw = |what: String| HardwareError { unit: name.clone(), what };
        let netlist = generate(&spec).map_err(|e| hw(e.to_string()))?;
        let models = self.lib.bind(&netlist).map_err(|e| hw(e.to_string()))?;
        let program = Program::compile(&netlist, &models).map_err(|e| hw(e.to_string()))?;
        let glitch = match self.mode {
            Mode::Zero => None,
            Mode::Glitch => {
                Some(GlitchProgram::compile(&netlist, &models, Delay::Unit).map_err(|e| hw(e.to_string()))?)
            }
        };
        let u = Arc::new(HwUnit { spec, netlist, program, primitive, glitch });
        self.built.push(u.clone());
        Ok(u)
    }
}

impl GateNet {
    /// Generates, binds and compiles every unit the profile names for `qnet`
    /// (zero-delay mode).
    pub fn new(qnet: QuantNet, profile: Profile) -> Result<GateNet> {
        GateNet::with_mode(qnet, profile, Mode::Zero)
    }

    /// Like [`GateNet::new`]; in [`Mode::Glitch`] every unit also runs on the
    /// unit-delay glitch simulator (slower).
    pub fn with_mode(qnet: QuantNet, profile: Profile, mode: Mode) -> Result<GateNet> {
        let lib = Library::named(&profile.binding, None)
            .map_err(|e| HardwareError { unit: format!("library {}", profile.binding), what: e.to_string() })?;
        let f = qnet.format;
        let u = profile.units(f).clone();
        let mut units = Units { lib: &lib, mode, built: Vec::new() };
        let mut layers = Vec::new();
        for l in &qnet.layers {
            let mul_spec = |w: u32| {
                let s = UnitSpec::new(Kind::Mul, u.multiply, w).signed(true);
                match u.multiply_final_adder {
                    Some(a) => s.with_final_adder(a),
                    None => s,
                }
            };
            let mul = units.get(mul_spec(f.bits()), Primitive::Multiply)?;
            let acc = units.get(UnitSpec::new(Kind::Add, u.accumulate, f.acc_bits()), Primitive::Add)?;
            let relu = if l.relu {
                let spec = match u.relu {
                    ReluUnit::Max => UnitSpec::new(Kind::Max, u.compare, f.acc_bits()).signed(true),
                    ReluUnit::Mask => UnitSpec::new(Kind::Relu, tosim_units::Arch::Mask, f.acc_bits()),
                };
                Some(units.get(spec, Primitive::Compare)?)
            } else {
                None
            };
            let leaky = match &l.leaky {
                Some(_) => Some([
                    units.get(mul_spec(f.acc_bits()), Primitive::Multiply)?,
                    units.get(UnitSpec::new(Kind::Max, u.compare, f.acc_bits()).signed(true), Primitive::Compare)?,
                ]),
                None => None,
            };
            let requant = match &l.requant {
                Some(r) => Some([
                    units.get(mul_spec(r.mul_bits), Primitive::Multiply)?,
                    units.get(UnitSpec::new(Kind::Add, u.accumulate, r.clamp_bits + 1), Primitive::Add)?,
                    units.get(UnitSpec::new(Kind::Max, u.compare, r.clamp_bits).signed(true), Primitive::Compare)?,
                ]),
                None => None,
            };
            layers.push(LayerUnits { mul, acc, relu, leaky, requant });
        }
        Ok(GateNet { qnet, profile, layers, mode })
    }

    /// Runs every sample (quantised inputs, `samples × width`) through the
    /// gate-level units, layer by layer, neurons in parallel. `progress` is called
    /// after each neuron with (layer index, neurons done in the layer, neurons in the layer).
    pub fn run(&self, x: &[Vec<i64>], progress: &(dyn Fn(usize, usize, usize) + Sync)) -> Vec<LayerRun> {
        let mut runs: Vec<LayerRun> = Vec::with_capacity(self.layers.len());
        let mut input: Vec<Vec<i64>> = x.to_vec();
        for (li, (ql, hw)) in self.qnet.layers.iter().zip(&self.layers).enumerate() {
            let done = AtomicUsize::new(0);
            let n = ql.dense.outputs;
            let neurons: Vec<NeuronRun> = (0..n)
                .into_par_iter()
                .map(|o| {
                    let r = self.neuron(ql, hw, o, &input);
                    progress(li, done.fetch_add(1, Ordering::Relaxed) + 1, n);
                    r
                })
                .collect();
            let run = LayerRun { name: ql.name.clone(), neurons };
            input = (0..x.len()).map(|s| run.sample_outputs(s)).collect();
            runs.push(run);
        }
        runs
    }

    /// One neuron over all samples.
    fn neuron(&self, ql: &QLayer, hw: &LayerUnits, o: usize, input: &[Vec<i64>]) -> NeuronRun {
        let f = self.qnet.format;
        let (b, a) = (f.bits(), f.acc_bits());
        let q = f.qmax();
        let d = &ql.dense;
        let w = d.row(o);
        let samples = input.len();
        // Operation sequences, one per unit instance: (unit, operands per op, ops per sample, values).
        let mut mul_ops = Vec::with_capacity(samples * d.inputs * 2);
        let mut acc_ops = Vec::with_capacity(samples * (d.inputs + 1) * 3);
        let mut relu_ops = Vec::new();
        let (mut lk_mul_ops, mut lk_max_ops) = (Vec::new(), Vec::new());
        let (mut rq_ops, mut rnd_ops, mut hi_ops, mut lo_ops) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut outputs = Vec::with_capacity(samples);
        let ev = |u: &HwUnit, ops: &mut Vec<u128>, operands: &[u128]| -> u128 {
            ops.extend_from_slice(operands);
            tosim_netlist::eval(&u.netlist, operands)[0]
        };
        // The units are combinational: a result depends on the operands only, so
        // the multiplier's and the accumulator's results are evaluated once per
        // distinct operand pair (only a lookup, never iterated: order-free).
        let mut mul_memo: HashMap<(u128, u128), u128> = HashMap::new();
        let mut acc_memo: HashMap<(u128, u128), u128> = HashMap::new();
        let memo = |u: &HwUnit, m: &mut HashMap<(u128, u128), u128>, ops: &mut Vec<u128>, a0: u128, a1: u128| {
            let operands: &[u128] = if u.spec.kind == Kind::Add { &[a0, a1, 0] } else { &[a0, a1] };
            ops.extend_from_slice(operands);
            *m.entry((a0, a1)).or_insert_with(|| tosim_netlist::eval(&u.netlist, operands)[0])
        };
        for x in input {
            let mut acc: u128 = 0;
            for (&wi, &xi) in w.iter().zip(x) {
                let p = memo(&hw.mul, &mut mul_memo, &mut mul_ops, mask(wi, b), mask(xi, b));
                let p = mask(sext(p, 2 * b), a);
                acc = memo(&hw.acc, &mut acc_memo, &mut acc_ops, acc, p);
            }
            acc = memo(&hw.acc, &mut acc_memo, &mut acc_ops, acc, mask(d.bias[o], a));
            let r = match (&hw.relu, &hw.leaky, &ql.leaky) {
                (Some(u), _, _) if u.spec.kind == Kind::Max => ev(u, &mut relu_ops, &[acc, 0]),
                (Some(u), _, _) => ev(u, &mut relu_ops, &[acc]),
                (None, Some([mu, mx]), Some(lk)) => {
                    let p = sext(ev(mu, &mut lk_mul_ops, &[acc, mask(lk.multiplier, a)]), 2 * a);
                    ev(mx, &mut lk_max_ops, &[acc, mask(p >> lk.shift, a)])
                }
                _ => acc,
            };
            let r = sext(r, a);
            let y = match (&ql.requant, &hw.requant) {
                (Some(rq), Some([mu, rnd, cl])) => {
                    let v = rq.mul_bits;
                    let wb = rq.clamp_bits;
                    let p = sext(ev(mu, &mut rq_ops, &[mask(r, v), mask(rq.multiplier, v)]), 2 * v);
                    let u = p >> (rq.shift - 1);
                    let s = ev(rnd, &mut rnd_ops, &[mask(u, wb + 1), 1, 0]);
                    let t = sext(s >> 1, wb);
                    let hi = ev(cl, &mut hi_ops, &[mask(!t, wb), mask(!q, wb)]);
                    let y = sext(!hi, wb);
                    if ql.relu {
                        y
                    } else {
                        sext(ev(cl, &mut lo_ops, &[mask(y, wb), mask(-q, wb)]), wb)
                    }
                }
                _ => r,
            };
            outputs.push(y);
        }
        let mut run = NeuronRun { per_sample: vec![0; samples], outputs, ..Default::default() };
        let mut sim = |u: &HwUnit, ops: Vec<u128>| {
            let k = u.program.input_widths().len();
            if ops.is_empty() {
                return;
            }
            let n_ops = (ops.len() / k) as u64;
            let per = n_ops / samples as u64;
            let stream = Recorded::new(k, ops);
            let act = run_zero_delay(
                &u.program,
                &stream,
                &Options { per_op_stats: false, record_per_op: true, ..Options::default() },
            );
            let per_op = act.per_op.unwrap_or_default();
            let mut sw = 0u64;
            for (i, c) in per_op.iter().enumerate() {
                sw += c.switching_tos;
                run.per_sample[(i as u64 / per) as usize] += c.switching_tos;
            }
            let glitch_tos = u.glitch.as_ref().and_then(|gp| {
                let opts =
                    GlitchOptions { base: Options { per_op_stats: false, ..Options::default() }, transport: false };
                gp.report(&run_glitch(gp, &stream, &opts), false).glitch_tos
            });
            let e = run.by_primitive.entry(u.primitive).or_default();
            *e += &Counts { operations: n_ops, static_tos: u.transistors() * n_ops, switching_tos: sw, glitch_tos };
        };
        sim(&hw.mul, mul_ops);
        sim(&hw.acc, acc_ops);
        if let Some(u) = &hw.relu {
            sim(u, relu_ops);
        }
        if let Some([mu, mx]) = &hw.leaky {
            sim(mu, lk_mul_ops);
            sim(mx, lk_max_ops);
        }
        if let Some([mu, rnd, cl]) = &hw.requant {
            sim(mu, rq_ops);
            sim(rnd, rnd_ops);
            sim(cl, hi_ops);
            sim(cl, lo_ops);
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::{load_onnx, DataSet, GateNet, IntFormat, Profile, QuantNet};

    /// Gate-level outputs equal the integer reference on the first samples of the
    /// shipped digits data, every layer, both formats.
    #[test]
    fn digits_gate_level_agrees_with_reference() {
        let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../circuits/models");
        let net = load_onnx(&m.join("digits_mlp.onnx")).unwrap();
        let data = DataSet::load(&net, &m.join("digits_test_x.npy"), None).unwrap();
        for fmt in [IntFormat::Int8, IntFormat::Int16] {
            let q = QuantNet::new(&net, fmt, &data.x).unwrap();
            let x: Vec<Vec<i64>> = (0..3).map(|i| q.quantise_input(data.sample(i))).collect();
            let g = GateNet::new(q.clone(), Profile::default_profile().unwrap()).unwrap();
            let t = std::time::Instant::now();
            let runs = g.run(&x, &|_, _, _| {});
            eprintln!("{}: {:?}", fmt.name(), t.elapsed());
            for (s, xs) in x.iter().enumerate() {
                let want = q.infer(xs);
                for (l, run) in runs.iter().enumerate() {
                    assert_eq!(run.sample_outputs(s), want.layers[l], "{} sample {s} layer {l}", fmt.name());
                }
            }
        }
    }
}

//! Floating-point networks (fp32, fp16, bf16): every neuron on its own
//! processing element of gate-level IEEE-754 units (`tosim_units::float`), with a
//! plain-Rust reference of exactly the same arithmetic.
//!
//! **The arithmetic**, in the network's format F (binary32, binary16 or
//! bfloat16; round to nearest even, subnormals, canonical NaN, as the units):
//!
//! - Inputs, weights and biases are rounded to F once (`f32` → F, nearest even).
//! - **Neuron** `o`: `acc ← +0`; for each input `i` in order, `p = w[o][i] ⊗ x[i]`,
//!   `acc ← acc ⊕ p`; then `acc ← acc ⊕ b[o]`. **The accumulator is in F
//!   too**, and the sum is taken in input order: each processing element is
//!   then exactly one `fmul` and one `fadd` of one format, so the formats are
//!   compared unit for unit and the reference is plain F arithmetic; wider
//!   accumulation (fp32 for bf16, as many accelerators do) would be a second
//!   adder format and is not modelled. What F accumulation costs in accuracy is
//!   reported (`accuracy` against `float_accuracy`).
//! - **Batch normalisation** directly after a dense layer is, as the user
//!   chooses ([`BatchNormMode`]), folded into its weights and bias (in `f64`,
//!   rounded to `f32` and then to F once) or unfolded, per neuron and sample:
//!   `t = y ⊖ μ`, `v = σ² ⊕ ε`, `r = √v`, `q = t ⊘ r`, `u = q ⊗ γ`, `y = u ⊕ β`
//!   (subtract, square root, divide, scale, shift: the square root of a constant
//!   is recomputed every sample, as a processing element without a register
//!   for it would). Elsewhere it is always unfolded.
//! - **ReLU** `max(acc, +0)` on the `fmax` unit (IEEE maxNum). **LeakyReLU** with
//!   slope α: `m = acc ⊗ α`, then `max(acc, m)` for 0 ≤ α ≤ 1 (`min` for α > 1).
//! - **Sigmoid** and **tanh**: the tosim-micro programs
//!   ([`tosim_micro::sigmoid`], [`tosim_micro::tanh`]) on the value.
//! - **Softmax** (the last operation of a layer): [`tosim_micro::softmax`]'s
//!   steps spread over the layer's processing elements: element `j` computes
//!   `m_j = max(m_(j−1), y_j)` (`m_0 = y_0`), then `d_j = y_j ⊖ m`,
//!   `e_j = exp(d_j)` ([`tosim_micro::exp`]), `s_j = s_(j−1) ⊕ e_j`
//!   (`s_0 = e_0`) and `e_j ⊘ s`: the same operations in the same order as the
//!   micro-program, so the same bits.
//!
//! **The processing element** of a neuron has one instance of every unit
//! design its operations need (one `fmul`, one `fadd`, one `fmax`, …, and the
//! integer adders and selectors inside `exp`); an instance performs its
//! operations in time order — per sample the MAC, bias, batch norm,
//! activation, then its part of the softmax — sample after sample in data-set
//! order. Its state carries over; before the first operation it is in the
//! reset state (all inputs 0). So the `fmul` that multiplied the weights also
//! evaluates the exp polynomial, with the operands that really meet there.
//!
//! **Gate level**: every operand stream is driven through the unit's compiled
//! netlist on the zero-delay engine ([`tosim_sim::run_zero_delay`], 1,024
//! operations per block), which counts switching transistors and returns every
//! operation's settled outputs ([`tosim_sim::Options::outputs`]). The
//! operands are computed by the reference in the same pass that drives them
//! (so a layer's operations can be simulated in bit-parallel blocks instead of
//! one dependent operation at a time), and every output the units compute is
//! compared with the value the reference carried forward: if all agree, the
//! unit-level data flow is exactly the one simulated. A layer's outputs, which
//! the next layer consumes, are the outputs of the units that computed them.
//! On a disagreement ([`FloatRun::op_disagreements`]) the operands after it
//! are the reference's, not the units'.
//!
//! Report primitives: `multiply` (`fmul`), `add` (`fadd`, `fsub`), `compare`
//! (`fmax`, `fmin`, selectors), `divide`, `sqrt`, and `exp`: every operation
//! inside an exponential (the micro-program's clamps, range reduction,
//! polynomial, conversions and integer exponent adders).

use std::ops::Range;
use std::sync::Mutex;

use rayon::prelude::*;
use tosim_micro::{self as micro, MicroOp, MicroProgram, Src};
use tosim_units::float::{FloatError, FloatKind, FloatSpec, Format};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_sim::{run_glitch, run_zero_delay, Delay, GlitchOptions, GlitchProgram, Options, Program, Stream};

use crate::error::{HardwareError, NnError, Result};
use crate::gate::{Counts, LayerRun, Mode, NeuronRun, Primitive};
use crate::model::{Activation, Dense, LayerKind, Network};
use crate::profile::{FloatUnits, Profile};
use crate::report::{LayerShape, NetReport, RunContext, Tally, UnitReport};
use tosim_units::{mask, sext};

/// The float format called `fp32`, `fp16` or `bf16` (also `binary32`,
/// `binary16`, `bfloat16`).
pub fn parse_float_format(s: &str) -> Option<Format> {
    match s {
        "fp32" | "binary32" => Some(Format::Binary32),
        "fp16" | "binary16" => Some(Format::Binary16),
        "bf16" | "bfloat16" => Some(Format::Bfloat16),
        _ => None,
    }
}

/// `fp32`, `fp16` or `bf16`.
pub fn float_format_name(f: Format) -> &'static str {
    match f {
        Format::Binary32 => "fp32",
        Format::Binary16 => "fp16",
        Format::Bfloat16 => "bf16",
    }
}

/// How batch normalisation directly after a dense layer is computed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BatchNormMode {
    /// On the units, per neuron and sample: subtract, square root, divide, scale, shift.
    #[default]
    Unfold,
    /// Folded into the dense layer's weights and bias.
    Fold,
}

/// An operation after a dense layer's bias (values are bit patterns in the format).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FloatPost {
    /// Unfolded batch normalisation, one value per neuron.
    BatchNorm {
        /// μ.
        mean: Vec<u32>,
        /// σ².
        var: Vec<u32>,
        /// ε.
        epsilon: u32,
        /// γ.
        scale: Vec<u32>,
        /// β.
        shift: Vec<u32>,
    },
    /// `max(x, +0)`.
    Relu,
    /// `max(x, α·x)` (`min` when α > 1).
    LeakyRelu {
        /// α.
        alpha: u32,
        /// Whether α > 1 (`min`).
        min: bool,
    },
    /// The sigmoid micro-program.
    Sigmoid,
    /// The tanh micro-program.
    Tanh,
    /// Softmax over the layer (last).
    Softmax,
}

/// A dense layer in a float format with what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatLayer {
    /// The dense layer's name.
    pub name: String,
    /// The layers computed with it (`op name`).
    pub folded: Vec<String>,
    /// Inputs K.
    pub inputs: usize,
    /// Neurons N.
    pub outputs: usize,
    /// Weights `[N][K]`, bit patterns.
    pub weights: Vec<u32>,
    /// Biases, bit patterns.
    pub bias: Vec<u32>,
    /// What follows the bias, in order.
    pub post: Vec<FloatPost>,
}

impl FloatLayer {
    /// Neuron `o`'s weights.
    pub fn row(&self, o: usize) -> &[u32] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }

    fn has_softmax(&self) -> bool {
        self.post.last() == Some(&FloatPost::Softmax)
    }

    /// Whether a ReLU or LeakyReLU follows (ptflops counts it).
    fn relu_like(&self) -> bool {
        self.post.iter().any(|p| matches!(p, FloatPost::Relu | FloatPost::LeakyRelu { .. }))
    }
}

/// Every layer's outputs for one sample (bit patterns).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloatOutput {
    /// Each layer's outputs; the last holds the network's.
    pub layers: Vec<Vec<u32>>,
}

impl FloatOutput {
    /// The last layer's values.
    pub fn logits(&self) -> &[u32] {
        self.layers.last().map_or(&[], |v| v.as_slice())
    }
}

/// A network in a float format: the arithmetic and its plain-Rust reference
/// (see the module documentation).
#[derive(Debug, Clone)]
pub struct FloatNet {
    /// The format.
    pub format: Format,
    /// Batch normalisation mode.
    pub batchnorm: BatchNormMode,
    /// The layers.
    pub layers: Vec<FloatLayer>,
    /// Class labels (see [`Network::classes`]).
    pub classes: Option<Vec<i64>>,
    /// Every unit the arithmetic uses, in a fixed order (a processing
    /// element has one instance of each it needs).
    pub unit_ops: Vec<MicroOp>,
    sigmoid: MicroProgram,
    tanh: MicroProgram,
    exp: MicroProgram,
    sigmoid_exp: Range<usize>,
    tanh_exp: Range<usize>,
    mul: usize,
    add: usize,
}

/// Receives every unit operation (operands as the unit's input buses, and
/// its first output bus).
trait Sink {
    fn op(&mut self, unit: usize, prim: u8, operands: &[u128], result: u128);
}

/// The reference: nothing recorded.
#[derive(Clone, Copy)]
struct NoSink;

impl Sink for NoSink {
    #[inline(always)]
    fn op(&mut self, _: usize, _: u8, _: &[u128], _: u128) {}
}

/// Multiply-accumulates per batch of samples (see [`FloatGateNet::run`]).
const BATCH_MACS: usize = 1 << 18;
/// Engine chunks per thread, and the smallest chunk (operations).
const CHUNKS_PER_THREAD: u64 = 4;
const MIN_CHUNK: u64 = 16 * 1024;

/// The report primitives, by index.
const PRIMS: [Primitive; 6] =
    [Primitive::Multiply, Primitive::Add, Primitive::Compare, Primitive::Divide, Primitive::Sqrt, Primitive::Exp];
const P_MUL: u8 = 0;
const P_ADD: u8 = 1;
const P_CMP: u8 = 2;
const P_DIV: u8 = 3;
const P_SQRT: u8 = 4;
const P_EXP: u8 = 5;

fn prim_of(op: MicroOp) -> u8 {
    match op {
        MicroOp::Float(FloatKind::Mul) | MicroOp::IntMulShr { .. } => P_MUL,
        MicroOp::Float(FloatKind::Div) | MicroOp::IntDiv { .. } => P_DIV,
        MicroOp::Float(FloatKind::Sqrt) => P_SQRT,
        MicroOp::Float(FloatKind::Min | FloatKind::Max | FloatKind::Cmp)
        | MicroOp::IntMax { .. }
        | MicroOp::Select { .. } => P_CMP,
        _ => P_ADD,
    }
}

fn float_err(unit: &str, e: FloatError) -> NnError {
    NnError::Hardware(HardwareError { unit: unit.to_string(), what: e.to_string() })
}

/// One unit operation of kind `k` in format `f`, exactly as
/// [`tosim_units::float::reference`] computes it (the two-operand arithmetic inline:
/// Rust `f32` for binary32, `f64` rounded once by [`Format::round`] for the
/// 16-bit formats; NaN canonical), so that the MAC loop is fast.
fn fop(f: Format, k: FloatKind, a: u128, b: u128) -> std::result::Result<u128, FloatError> {
    use FloatKind::{Add, Div, Mul, Sub};
    match k {
        Add | Sub | Mul | Div if f == Format::Binary32 => {
            let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
            let r = match k {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                _ => x / y,
            };
            Ok(if r.is_nan() { f.nan() } else { u128::from(r.to_bits()) })
        }
        Add | Sub | Mul | Div => {
            let (x, y) = (f.to_f64(a), f.to_f64(b));
            Ok(f.round(match k {
                Add => x + y,
                Sub => x - y,
                Mul => x * y,
                _ => x / y,
            }))
        }
        _ => {
            let spec = FloatSpec::new(k, f).with_int_width(16);
            let unary = matches!(k, FloatKind::Sqrt | FloatKind::IntToFloat | FloatKind::FloatToInt);
            let r = if unary { tosim_units::float::reference(&spec, &[a]) } else { tosim_units::float::reference(&spec, &[a, b]) }?;
            Ok(r[0])
        }
    }
}

/// Where `exp`'s steps sit inside `p` (the first window with the same
/// operations and constants).
fn find_exp(p: &MicroProgram, e: &MicroProgram) -> Option<Range<usize>> {
    let m = e.steps.len();
    (0..=p.steps.len().checked_sub(m)?)
        .find(|&s| {
            p.steps[s..s + m].iter().zip(&e.steps).all(|(a, b)| {
                a.op == b.op
                    && a.srcs.len() == b.srcs.len()
                    && a.srcs.iter().zip(&b.srcs).all(|(x, y)| match (x, y) {
                        (Src::Const(u), Src::Const(v)) => u == v,
                        (Src::Reg(_), Src::Reg(_)) => true,
                        _ => false,
                    })
            })
        })
        .map(|s| s..s + m)
}

fn push_unit(ops: &mut Vec<MicroOp>, op: MicroOp) {
    if !matches!(op, MicroOp::Shl { .. } | MicroOp::Sar { .. }) && !ops.contains(&op) {
        ops.push(op);
    }
}

impl FloatNet {
    /// Converts `net` to format `f`. Errors name the layer that cannot be mapped.
    pub fn new(net: &Network, f: Format, batchnorm: BatchNormMode) -> Result<FloatNet> {
        struct G {
            name: String,
            folded: Vec<String>,
            dense: Dense,
            post: Vec<FloatPost>,
        }
        let enc = |v: f32| f.round(f64::from(v)) as u32;
        let mut groups: Vec<G> = Vec::new();
        for l in &net.layers {
            let err = |what: String| NnError::Quantise { layer: l.name.clone(), what };
            if let LayerKind::Dense(d) = &l.kind {
                groups.push(G { name: l.name.clone(), folded: Vec::new(), dense: d.clone(), post: Vec::new() });
                continue;
            }
            let Some(g) = groups.last_mut() else {
                return Err(err(format!("{} before the first dense layer", l.op)));
            };
            if g.post.last() == Some(&FloatPost::Softmax) {
                return Err(err(format!("{} after a softmax: softmax must end its layer", l.op)));
            }
            match &l.kind {
                LayerKind::BatchNorm(b) => {
                    if b.per_channel != 1 || b.channels != g.dense.outputs {
                        return Err(err(format!(
                            "batch normalisation over {} channels of {} values after a dense layer of {} neurons",
                            b.channels, b.per_channel, g.dense.outputs
                        )));
                    }
                    if batchnorm == BatchNormMode::Fold && g.post.is_empty() {
                        // W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β, in f64.
                        let d = &mut g.dense;
                        for o in 0..d.outputs {
                            let s = f64::from(b.scale[o]) / (f64::from(b.var[o]) + f64::from(b.epsilon)).sqrt();
                            for w in &mut d.weights[o * d.inputs..(o + 1) * d.inputs] {
                                *w = (f64::from(*w) * s) as f32;
                            }
                            d.bias[o] =
                                ((f64::from(d.bias[o]) - f64::from(b.mean[o])) * s + f64::from(b.shift[o])) as f32;
                        }
                    } else {
                        let e = |v: &[f32]| v.iter().map(|&x| enc(x)).collect::<Vec<u32>>();
                        g.post.push(FloatPost::BatchNorm {
                            mean: e(&b.mean),
                            var: e(&b.var),
                            epsilon: enc(b.epsilon),
                            scale: e(&b.scale),
                            shift: e(&b.shift),
                        });
                    }
                }
                LayerKind::Activation(Activation::Relu) => g.post.push(FloatPost::Relu),
                LayerKind::Activation(Activation::LeakyRelu { alpha }) => {
                    if !(*alpha >= 0.0 && alpha.is_finite()) {
                        return Err(err(format!("LeakyReLU slope {alpha}: float formats need a finite alpha ≥ 0")));
                    }
                    g.post.push(FloatPost::LeakyRelu { alpha: enc(*alpha), min: *alpha > 1.0 })
                }
                LayerKind::Activation(Activation::Sigmoid) => g.post.push(FloatPost::Sigmoid),
                LayerKind::Activation(Activation::Tanh) => g.post.push(FloatPost::Tanh),
                LayerKind::Softmax => g.post.push(FloatPost::Softmax),
                LayerKind::Dense(_) => {}
            }
            g.folded.push(format!("{} {}", l.op, l.name));
        }
        let layers: Vec<FloatLayer> = groups
            .into_iter()
            .map(|g| FloatLayer {
                name: g.name,
                folded: g.folded,
                inputs: g.dense.inputs,
                outputs: g.dense.outputs,
                weights: g.dense.weights.iter().map(|&w| enc(w)).collect(),
                bias: g.dense.bias.iter().map(|&b| enc(b)).collect(),
                post: g.post,
            })
            .collect();
        let (sigmoid, tanh, exp) = (micro::sigmoid(f), micro::tanh(f), micro::exp(f));
        let internal =
            |what: &str| NnError::Hardware(HardwareError { unit: what.into(), what: "no exp inside".into() });
        let sigmoid_exp = find_exp(&sigmoid, &exp).ok_or_else(|| internal(&sigmoid.name))?;
        let tanh_exp = find_exp(&tanh, &exp).ok_or_else(|| internal(&tanh.name))?;
        // The units, in order of first use.
        let mut unit_ops = vec![MicroOp::Float(FloatKind::Mul), MicroOp::Float(FloatKind::Add)];
        for l in &layers {
            for p in &l.post {
                let prog_ops: Vec<MicroOp> = match p {
                    FloatPost::BatchNorm { .. } => {
                        [FloatKind::Sub, FloatKind::Add, FloatKind::Sqrt, FloatKind::Div].map(MicroOp::Float).to_vec()
                    }
                    FloatPost::Relu => vec![MicroOp::Float(FloatKind::Max)],
                    FloatPost::LeakyRelu { min, .. } => {
                        vec![MicroOp::Float(if *min { FloatKind::Min } else { FloatKind::Max })]
                    }
                    FloatPost::Sigmoid => sigmoid.steps.iter().map(|s| s.op).collect(),
                    FloatPost::Tanh => tanh.steps.iter().map(|s| s.op).collect(),
                    FloatPost::Softmax => [FloatKind::Max, FloatKind::Sub, FloatKind::Add, FloatKind::Div]
                        .map(MicroOp::Float)
                        .into_iter()
                        .chain(exp.steps.iter().map(|s| s.op))
                        .collect(),
                };
                for op in prog_ops {
                    push_unit(&mut unit_ops, op);
                }
            }
        }
        Ok(FloatNet {
            format: f,
            batchnorm,
            layers,
            classes: net.classes.clone(),
            unit_ops,
            sigmoid,
            tanh,
            exp,
            sigmoid_exp,
            tanh_exp,
            mul: 0,
            add: 1,
        })
    }

    /// A sample's inputs rounded to the format (bit patterns).
    pub fn encode_input(&self, x: &[f32]) -> Vec<u32> {
        x.iter().map(|&v| self.format.round(f64::from(v)) as u32).collect()
    }

    /// The value of bit pattern `v`.
    pub fn value(&self, v: u32) -> f64 {
        self.format.to_f64(u128::from(v))
    }

    /// The label of an output vector: arg-max of the values (first maximum;
    /// NaN never wins), mapped through the class labels.
    pub fn label(&self, out: &[u32]) -> i64 {
        let v: Vec<f64> = out.iter().map(|&b| self.value(b)).collect();
        let i = crate::model::argmax(&v);
        match &self.classes {
            Some(c) => c.get(i).copied().unwrap_or(i as i64),
            None => i as i64,
        }
    }

    fn unit_of(&self, op: MicroOp) -> usize {
        self.unit_ops.iter().position(|&u| u == op).unwrap_or(usize::MAX)
    }

    #[inline(always)]
    fn fl<S: Sink>(&self, s: &mut S, unit: usize, k: FloatKind, prim: u8, a: u128, b: u128) -> Result<u128> {
        let r = fop(self.format, k, a, b).map_err(|e| float_err(k.name(), e))?;
        let unary = matches!(k, FloatKind::Sqrt | FloatKind::IntToFloat | FloatKind::FloatToInt);
        let ops = [a, b];
        s.op(unit, prim, &ops[..2 - usize::from(unary)], r);
        Ok(r)
    }

    fn flk<S: Sink>(&self, s: &mut S, k: FloatKind, prim: u8, a: u128, b: u128) -> Result<u128> {
        self.fl(s, self.unit_of(MicroOp::Float(k)), k, prim, a, b)
    }

    /// Runs micro-program `p` with the units' references, step by step,
    /// reporting every unit operation; steps in `exp` count as [`Primitive::Exp`].
    fn micro<S: Sink>(&self, s: &mut S, p: &MicroProgram, exp: Range<usize>, inputs: &[u128]) -> Result<Vec<u128>> {
        let mut r = vec![0u128; p.regs];
        for (&reg, &v) in p.inputs.iter().zip(inputs) {
            r[reg] = v;
        }
        for (i, st) in p.steps.iter().enumerate() {
            let mut args = [0u128; 3];
            for (a, x) in args.iter_mut().zip(&st.srcs) {
                *a = match *x {
                    Src::Reg(j) => r[j],
                    Src::Const(c) => c,
                };
            }
            let n = st.srcs.len();
            let prim = if exp.contains(&i) { P_EXP } else { prim_of(st.op) };
            let unit = self.unit_of(st.op);
            r[st.dst] = match st.op {
                MicroOp::Shl { amount, width } => (args[0] << amount) & mask(width),
                MicroOp::Sar { amount, width } => (sext(args[0], width) >> amount) as u128 & mask(width),
                MicroOp::Select { width } => {
                    let y = if args[0] >> (width - 1) & 1 == 1 { args[2] } else { args[1] };
                    s.op(unit, prim, &args[..3], y);
                    y
                }
                MicroOp::Float(k) => {
                    let y = fop(self.format, k, args[0], args[1]).map_err(|e| float_err(k.name(), e))?;
                    s.op(unit, prim, &args[..n], y);
                    y
                }
                op => {
                    let spec = op.int_spec().ok_or_else(|| {
                        NnError::Hardware(HardwareError { unit: p.name.clone(), what: format!("{op:?} has no unit") })
                    })?;
                    let ins: Vec<u128> = match op {
                        MicroOp::IntAdd { .. } => vec![args[0], args[1], 0],
                        MicroOp::IntSar { width } => {
                            vec![args[0], args[1].min(u128::from(width) - 1) & mask(tosim_units::clog2(width))]
                        }
                        _ => args[..n].to_vec(),
                    };
                    let out = tosim_units::reference(&spec, &ins).map_err(|e| {
                        NnError::Hardware(HardwareError { unit: spec.design_name(), what: e.to_string() })
                    })?;
                    let y = out.first().copied().unwrap_or(0);
                    s.op(unit, prim, &ins, y);
                    match op {
                        MicroOp::IntMulShr { width, shift } => (sext(y, 2 * width) >> shift) as u128 & mask(width),
                        _ => y,
                    }
                }
            };
        }
        Ok(p.outputs.iter().map(|&o| r[o]).collect())
    }

    /// Neuron `o` of layer `l` on one sample, up to (not including) the softmax.
    fn neuron<S: Sink>(&self, s: &mut S, l: &FloatLayer, o: usize, x: &[u32]) -> Result<u128> {
        use FloatKind::{Add, Div, Max, Min, Mul, Sqrt, Sub};
        let mut acc = 0u128;
        for (&w, &xi) in l.row(o).iter().zip(x) {
            let p = self.fl(s, self.mul, Mul, P_MUL, u128::from(w), u128::from(xi))?;
            acc = self.fl(s, self.add, Add, P_ADD, acc, p)?;
        }
        acc = self.fl(s, self.add, Add, P_ADD, acc, u128::from(l.bias[o]))?;
        for p in &l.post {
            acc = match p {
                FloatPost::BatchNorm { mean, var, epsilon, scale, shift } => {
                    let t = self.flk(s, Sub, P_ADD, acc, u128::from(mean[o]))?;
                    let v = self.fl(s, self.add, Add, P_ADD, u128::from(var[o]), u128::from(*epsilon))?;
                    let r = self.flk(s, Sqrt, P_SQRT, v, 0)?;
                    let q = self.flk(s, Div, P_DIV, t, r)?;
                    let u = self.fl(s, self.mul, Mul, P_MUL, q, u128::from(scale[o]))?;
                    self.fl(s, self.add, Add, P_ADD, u, u128::from(shift[o]))?
                }
                FloatPost::Relu => self.flk(s, Max, P_CMP, acc, 0)?,
                FloatPost::LeakyRelu { alpha, min } => {
                    let m = self.fl(s, self.mul, Mul, P_MUL, acc, u128::from(*alpha))?;
                    self.flk(s, if *min { Min } else { Max }, P_CMP, acc, m)?
                }
                FloatPost::Sigmoid => self.micro(s, &self.sigmoid, self.sigmoid_exp.clone(), &[acc])?[0],
                FloatPost::Tanh => self.micro(s, &self.tanh, self.tanh_exp.clone(), &[acc])?[0],
                FloatPost::Softmax => acc,
            };
        }
        Ok(acc)
    }

    /// Softmax of one sample's layer values, element `j`'s operations on `sinks[j]`.
    fn softmax<S: Sink>(&self, sinks: &mut [S], v: &[u128]) -> Result<Vec<u128>> {
        use FloatKind::{Add, Div, Max, Sub};
        let n = v.len().min(sinks.len());
        if n == 0 {
            return Ok(Vec::new());
        }
        let mut m = v[0];
        for j in 1..n {
            m = self.flk(&mut sinks[j], Max, P_CMP, m, v[j])?;
        }
        let mut e = vec![0u128; n];
        for j in 0..n {
            let d = self.flk(&mut sinks[j], Sub, P_ADD, v[j], m)?;
            e[j] = self.micro(&mut sinks[j], &self.exp, 0..self.exp.steps.len(), &[d])?[0];
        }
        let mut sum = e[0];
        for j in 1..n {
            sum = self.fl(&mut sinks[j], self.add, Add, P_ADD, sum, e[j])?;
        }
        (0..n).map(|j| self.flk(&mut sinks[j], Div, P_DIV, e[j], sum)).collect()
    }

    /// The plain-Rust reference: every layer's outputs for one sample
    /// (encoded inputs, [`FloatNet::encode_input`]).
    pub fn infer(&self, x: &[u32]) -> Result<FloatOutput> {
        let mut layers: Vec<Vec<u32>> = Vec::with_capacity(self.layers.len());
        for l in &self.layers {
            let input = layers.last().map_or(x, |v| v.as_slice());
            let mut out =
                (0..l.outputs).map(|o| self.neuron(&mut NoSink, l, o, input)).collect::<Result<Vec<u128>>>()?;
            if l.has_softmax() {
                out = self.softmax(&mut vec![NoSink; out.len()], &out)?;
            }
            layers.push(out.iter().map(|&v| v as u32).collect());
        }
        Ok(FloatOutput { layers })
    }
}

/// One unit design of a processing element, generated, bound and compiled.
pub struct FloatUnit {
    /// The operation it performs.
    pub op: MicroOp,
    /// Design name (e.g. `fmul_binary32_dadda_kogge_stone`).
    pub name: String,
    /// The gate netlist (abstract cells).
    pub netlist: Netlist,
    /// The compiled program (cells bound through the profile's library).
    pub program: Program,
    /// Its main role in the reports (operations inside `exp` count as `exp`).
    pub primitive: Primitive,
    /// The glitch program ([`Mode::Glitch`]: unit delay per CMOS stage, inertial).
    pub glitch: Option<GlitchProgram>,
}

impl std::fmt::Debug for FloatUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FloatUnit").field("name", &self.name).field("cells", &self.netlist.cell_count()).finish()
    }
}

impl FloatUnit {
    /// Transistors (from the bound cell templates).
    pub fn transistors(&self) -> u64 {
        self.program.transistors()
    }

    fn build(op: MicroOp, f: Format, fu: FloatUnits, lib: &Library, mode: Mode) -> Result<FloatUnit> {
        let (name, netlist) = match op {
            MicroOp::Float(k) => {
                let spec = FloatSpec::new(k, f)
                    .with_int_width(16)
                    .with_adder(fu.adder)
                    .with_multiplier(fu.multiply)
                    .with_root(fu.root);
                let name = spec.design_name();
                let n = tosim_units::float::generate(&spec).map_err(|e| float_err(&name, e))?;
                (name, n)
            }
            MicroOp::Select { width } => {
                let name = format!("select{width}");
                let n = MicroOp::select_netlist(width).map_err(|e| float_err(&name, e))?;
                (name, n)
            }
            op => {
                let spec = op.int_spec().ok_or_else(|| {
                    NnError::Hardware(HardwareError { unit: format!("{op:?}"), what: "not a unit".into() })
                })?;
                let name = spec.design_name();
                let n = tosim_units::generate(&spec)
                    .map_err(|e| NnError::Hardware(HardwareError { unit: name.clone(), what: e.to_string() }))?;
                (name, n)
            }
        };
        let hw = |what: String| NnError::Hardware(HardwareError { unit: name.clone(), what });
        let models = lib.bind(&netlist).map_err(|e| hw(e.to_string()))?;
        let program = Program::compile(&netlist, &models).map_err(|e| hw(e.to_string()))?;
        let glitch = match mode {
            Mode::Zero => None,
            Mode::Glitch => {
                Some(GlitchProgram::compile(&netlist, &models, Delay::Unit).map_err(|e| hw(e.to_string()))?)
            }
        };
        Ok(FloatUnit { op, primitive: PRIMS[prim_of(op) as usize], name, netlist, program, glitch })
    }
}

/// A float network on gate-level units.
#[derive(Debug)]
pub struct FloatGateNet {
    /// The arithmetic.
    pub net: FloatNet,
    /// The profile (binding and `[float]` architectures).
    pub profile: Profile,
    /// The units, in [`FloatNet::unit_ops`] order.
    pub units: Vec<FloatUnit>,
    /// Multiply-accumulates per batch of samples (memory bound of a run;
    /// the counts do not depend on it).
    pub batch_macs: usize,
    /// Zero-delay counts only, or glitch TOs too.
    mode: Mode,
}

/// Why [`FloatGateNet::run_range`] failed.
#[derive(Debug, thiserror::Error)]
pub enum FloatRangeError {
    /// The run itself.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// The shard could not be counted exactly.
    #[error(transparent)]
    Shard(#[from] crate::shard::ShardError),
}

/// What a gate-level float run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FloatRun {
    /// Per layer, per neuron counts and outputs (bit patterns, from the units).
    pub layers: Vec<LayerRun>,
    /// Per sample: unit operations whose gate-level output differed from the
    /// value the reference carried forward (all zero when the run agrees).
    pub op_disagreements: Vec<u64>,
}

/// Operations one processing element sent to one unit.
#[derive(Default)]
struct Trace {
    operands: Vec<u32>,
    expect: Vec<u128>,
    sample: Vec<u32>,
    prim: Vec<u8>,
}

impl Trace {
    fn len(&self) -> usize {
        self.expect.len()
    }
}

/// Records a processing element's operations, per unit.
struct Recorder {
    units: Vec<Trace>,
    sample: u32,
    last: (usize, usize),
    /// Per sample, the operation that produced the neuron's output.
    outputs: Vec<(usize, usize)>,
}

impl Recorder {
    fn new(units: usize) -> Self {
        Recorder { units: (0..units).map(|_| Trace::default()).collect(), sample: 0, last: (0, 0), outputs: Vec::new() }
    }

    /// Makes room for `more` samples like the ones recorded so far.
    fn reserve(&mut self, more: usize, operands: &[usize]) {
        for (t, &k) in self.units.iter_mut().zip(operands) {
            let n = t.len() * more;
            t.operands.reserve(n * k);
            t.expect.reserve(n);
            t.sample.reserve(n);
            t.prim.reserve(n);
        }
    }

    /// Appends `b`'s operations after this one's within each sample (both in
    /// sample order); `b`'s outputs replace this one's.
    fn merge(&mut self, b: Recorder, operands: &[usize]) {
        let mut remap: Vec<Vec<usize>> = Vec::with_capacity(self.units.len());
        for ((a, b), &k) in self.units.iter_mut().zip(b.units).zip(operands) {
            let old = std::mem::take(a);
            let mut m = Trace::default();
            let mut map = Vec::with_capacity(b.len());
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < b.len() {
                let from_a = j == b.len() || (i < old.len() && old.sample[i] <= b.sample[j]);
                let (t, x) = if from_a { (&old, i) } else { (&b, j) };
                m.operands.extend_from_slice(&t.operands[x * k..(x + 1) * k]);
                m.expect.push(t.expect[x]);
                m.sample.push(t.sample[x]);
                m.prim.push(t.prim[x]);
                if from_a {
                    i += 1;
                } else {
                    map.push(m.len() - 1);
                    j += 1;
                }
            }
            *a = m;
            remap.push(map);
        }
        self.outputs = b.outputs.iter().map(|&(u, i)| (u, remap[u][i])).collect();
    }
}

impl Sink for Recorder {
    #[inline(always)]
    fn op(&mut self, unit: usize, prim: u8, operands: &[u128], result: u128) {
        let t = &mut self.units[unit];
        t.operands.extend(operands.iter().map(|&v| v as u32));
        t.expect.push(result);
        t.sample.push(self.sample);
        t.prim.push(prim);
        self.last = (unit, t.expect.len() - 1);
    }
}

impl FloatGateNet {
    /// Generates, binds and compiles every unit the network uses (the
    /// profile's `[float]` architectures and cell binding).
    pub fn new(net: FloatNet, profile: Profile) -> Result<FloatGateNet> {
        Self::with_mode(net, profile, Mode::Zero)
    }

    /// Like [`FloatGateNet::new`]; in [`Mode::Glitch`] every unit also runs on
    /// the glitch engine (unit delay per CMOS stage, as the integer formats)
    /// and the reports carry glitch TOs.
    pub fn with_mode(net: FloatNet, profile: Profile, mode: Mode) -> Result<FloatGateNet> {
        let lib = Library::named(&profile.binding, None).map_err(|e| {
            NnError::Hardware(HardwareError { unit: format!("library {}", profile.binding), what: e.to_string() })
        })?;
        let units = net
            .unit_ops
            .iter()
            .map(|&op| FloatUnit::build(op, net.format, profile.float, &lib, mode))
            .collect::<Result<Vec<_>>>()?;
        // Operands are recorded as 32-bit words (every float format fits).
        if let Some(u) = units.iter().find(|u| u.program.input_widths().iter().any(|&w| w > 32)) {
            return Err(NnError::Hardware(HardwareError {
                unit: u.name.clone(),
                what: "an input port wider than 32 bits".into(),
            }));
        }
        Ok(FloatGateNet { net, profile, units, batch_macs: BATCH_MACS, mode })
    }

    /// The same with another batch size (see [`FloatGateNet::batch_macs`]).
    pub fn with_batch_macs(mut self, macs: usize) -> Self {
        self.batch_macs = macs;
        self
    }

    /// The simulation mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Runs every sample (encoded inputs, [`FloatNet::encode_input`]) through
    /// the units, layer by layer, neurons in parallel; `progress` as in
    /// [`crate::GateNet::run`].
    pub fn run(&self, x: &[Vec<u32>], progress: &(dyn Fn(usize, usize, usize) + Sync)) -> Result<FloatRun> {
        let samples = x.len();
        let nu = self.units.len();
        let operands: Vec<usize> = self.units.iter().map(|u| u.program.input_widths().len()).collect();
        let mut layers = Vec::with_capacity(self.net.layers.len());
        let mut op_disagreements = vec![0u64; samples];
        let mut input: Vec<Vec<u32>> = x.to_vec();
        for (li, l) in self.net.layers.iter().enumerate() {
            let n = l.outputs;
            let mut acc = LayerAcc {
                counts: vec![[Counts::default(); PRIMS.len()]; n],
                per_sample: vec![vec![0u64; samples]; n],
                outputs: vec![vec![-1i64; samples]; n],
                carry: (0..n).map(|_| operands.iter().map(|&k| vec![0u32; k]).collect()).collect(),
            };
            // Samples per batch: about 2^18 multiply-accumulates (bounds the
            // memory of the operand streams; the counts do not depend on it).
            let batch = (self.batch_macs / (l.inputs * n).max(1)).max(1);
            let mut b0 = 0;
            while b0 < samples {
                let b1 = (b0 + batch).min(samples);
                // The reference drives each element: its operations per unit.
                let traced: Vec<(Recorder, Vec<u128>)> = (0..n)
                    .into_par_iter()
                    .map(|o| {
                        let mut rec = Recorder::new(nu);
                        let mut vals = Vec::with_capacity(b1 - b0);
                        for (s, xs) in input.iter().enumerate().take(b1).skip(b0) {
                            rec.sample = s as u32;
                            vals.push(self.net.neuron(&mut rec, l, o, xs)?);
                            rec.outputs.push(rec.last);
                            if s == b0 {
                                rec.reserve(b1 - b0 - 1, &operands);
                            }
                        }
                        Ok((rec, vals))
                    })
                    .collect::<Result<Vec<_>>>()?;
                let (mut recs, vals): (Vec<Recorder>, Vec<Vec<u128>>) = traced.into_iter().unzip();
                if l.has_softmax() {
                    let mut second: Vec<Recorder> = (0..n).map(|_| Recorder::new(nu)).collect();
                    for s in b0..b1 {
                        let v: Vec<u128> = vals.iter().map(|col| col[s - b0]).collect();
                        for r in &mut second {
                            r.sample = s as u32;
                        }
                        self.net.softmax(&mut second, &v)?;
                        for r in &mut second {
                            r.outputs.push(r.last);
                        }
                    }
                    for (a, b) in recs.iter_mut().zip(second) {
                        a.merge(b, &operands);
                    }
                }
                self.simulate(&recs, b0, &operands, &mut acc, &mut op_disagreements);
                b0 = b1;
                progress(li, n * b0 / samples, n);
            }
            let neurons = acc
                .counts
                .into_iter()
                .zip(acc.per_sample)
                .zip(acc.outputs)
                .map(|((c, per_sample), outputs)| {
                    let by_primitive =
                        PRIMS.iter().zip(c).filter(|(_, c)| c.operations > 0).map(|(p, c)| (*p, c)).collect();
                    NeuronRun { by_primitive, per_sample, outputs }
                })
                .collect();
            let run = LayerRun { name: l.name.clone(), neurons };
            input = (0..samples).map(|s| run.sample_outputs(s).iter().map(|&v| v as u32).collect()).collect();
            layers.push(run);
        }
        Ok(FloatRun { layers, op_disagreements })
    }

    /// Drives a batch of a layer's operations through the units: per unit
    /// design, one engine run over every element's stream, each preceded by
    /// the element's previous operation on that unit (from the previous
    /// batch; all inputs 0, the reset state, before its first), whose counts
    /// and outputs are dropped. The engine splits the stream into chunks run
    /// in parallel; its counts do not depend on the split.
    fn simulate(&self, recs: &[Recorder], first: usize, operands: &[usize], acc: &mut LayerAcc, bad: &mut [u64]) {
        let threads = rayon::current_num_threads().max(1) as u64;
        let nb = recs.first().map_or(0, |r| r.outputs.len());
        for (ui, (u, &k)) in self.units.iter().zip(operands).enumerate() {
            let segs: Vec<(usize, &[u32])> = recs
                .iter()
                .enumerate()
                .filter(|(_, r)| r.units[ui].len() > 0)
                .map(|(o, r)| (o, &r.units[ui].operands[..]))
                .collect();
            let total: u64 = segs.iter().map(|(_, ops)| 1 + (ops.len() / k) as u64).sum();
            if total == 0 {
                continue;
            }
            // Groups of whole elements, at least 16 blocks and about four per
            // thread: each is an independent stream (it starts with a
            // separator) run as one engine chunk.
            let target = (total / (CHUNKS_PER_THREAD * threads)).clamp(MIN_CHUNK, 1 << 18);
            let mut groups: Vec<Range<usize>> = Vec::new();
            let (mut g0, mut len) = (0, 0u64);
            for (i, (_, ops)) in segs.iter().enumerate() {
                len += 1 + (ops.len() / k) as u64;
                if len >= target || i + 1 == segs.len() {
                    groups.push(g0..i + 1);
                    (g0, len) = (i + 1, 0);
                }
            }
            let tr = u.transistors();
            let carry = &acc.carry;
            let results: Vec<Vec<SegOut>> = groups
                .par_iter()
                .map(|g| {
                    let gsegs = &segs[g.clone()];
                    let mut starts = Vec::with_capacity(gsegs.len() + 1);
                    starts.push(0u64);
                    for (_, ops) in gsegs {
                        starts.push(starts[starts.len() - 1] + 1 + (ops.len() / k) as u64);
                    }
                    let len = starts[starts.len() - 1];
                    let stream = LayerStream { k, segs: gsegs, starts: &starts, carry, unit: ui };
                    let opts = Options { per_op_stats: false, record_per_op: true, outputs: true, chunk: len };
                    let act = run_zero_delay(&u.program, &stream, &opts);
                    let per_op = act.per_op.unwrap_or_default();
                    // Glitch mode: the same stream on the glitch engine (counts only;
                    // the settled outputs are the zero-delay engine's).
                    let glitch_per_op = u.glitch.as_ref().map(|gp| {
                        let gopts = GlitchOptions {
                            base: Options { per_op_stats: false, record_per_op: true, outputs: false, chunk: len },
                            transport: false,
                        };
                        run_glitch(gp, &stream, &gopts).per_op.unwrap_or_default()
                    });
                    // The first output bus of every operation (units with one
                    // output bus: the values as they are).
                    let outputs = act.outputs.unwrap_or_default();
                    let bus0: Vec<u128>;
                    let out: &[u128] = if outputs.buses() == 1 {
                        outputs.values()
                    } else {
                        bus0 = outputs.bus(0).collect();
                        &bus0
                    };
                    gsegs
                        .iter()
                        .zip(&starts)
                        .map(|(&(o, _), &st)| {
                            let t = &recs[o].units[ui];
                            let base = st as usize + 1;
                            let mut r = SegOut {
                                o,
                                counts: [Counts::default(); PRIMS.len()],
                                per_sample: vec![0; nb],
                                bad: vec![0; nb],
                                outputs: Vec::new(),
                            };
                            for i in 0..t.len() {
                                let j = base + i;
                                let sw = per_op.get(j).map_or(0, |c| c.switching_tos);
                                let c = &mut r.counts[t.prim[i] as usize];
                                c.operations += 1;
                                c.static_tos += tr;
                                c.switching_tos += sw;
                                if let Some(g) = &glitch_per_op {
                                    let gt = g.get(j).map_or(0, |c| c.glitch_tos);
                                    c.glitch_tos = Some(c.glitch_tos.unwrap_or(0) + gt);
                                }
                                let s = t.sample[i] as usize - first;
                                r.per_sample[s] += sw;
                                if out.get(j) != Some(&t.expect[i]) {
                                    r.bad[s] += 1;
                                }
                            }
                            for (s, &(uo, i)) in recs[o].outputs.iter().enumerate() {
                                if uo == ui {
                                    r.outputs.push((first + s, out.get(base + i).map_or(-1, |&v| v as i64)));
                                }
                            }
                            r
                        })
                        .collect()
                })
                .collect();
            for r in results.into_iter().flatten() {
                for (a, c) in acc.counts[r.o].iter_mut().zip(&r.counts) {
                    *a += c;
                }
                for (a, b) in acc.per_sample[r.o][first..first + nb].iter_mut().zip(&r.per_sample) {
                    *a += b;
                }
                for (a, b) in bad[first..first + nb].iter_mut().zip(&r.bad) {
                    *a += b;
                }
                for (s, v) in r.outputs {
                    acc.outputs[r.o][s] = v;
                }
            }
            for &(o, ops) in &segs {
                acc.carry[o][ui].copy_from_slice(&ops[ops.len() - k..]);
            }
        }
    }
}

/// One element's results from one engine run (samples relative to the batch).
struct SegOut {
    o: usize,
    counts: [Counts; PRIMS.len()],
    per_sample: Vec<u64>,
    bad: Vec<u64>,
    outputs: Vec<(usize, i64)>,
}

/// A layer's counts, per element, while its batches run.
struct LayerAcc {
    counts: Vec<[Counts; PRIMS.len()]>,
    per_sample: Vec<Vec<u64>>,
    outputs: Vec<Vec<i64>>,
    /// Per element and unit: the operands of its last operation so far.
    carry: Vec<Vec<Vec<u32>>>,
}

/// The operand stream of one unit design over a batch: element after
/// element, each preceded by its carried operation.
struct LayerStream<'a> {
    k: usize,
    segs: &'a [(usize, &'a [u32])],
    starts: &'a [u64],
    carry: &'a [Vec<Vec<u32>>],
    unit: usize,
}

impl Stream for LayerStream<'_> {
    fn len(&self) -> u64 {
        self.starts[self.starts.len() - 1]
    }

    fn operands(&self) -> usize {
        self.k
    }

    fn fill(&self, first: u64, out: &mut [u128]) {
        let k = self.k;
        let mut seg = self.starts.partition_point(|&s| s <= first).saturating_sub(1);
        for (j, dst) in out.chunks_mut(k).enumerate() {
            let op = first + j as u64;
            while seg + 2 < self.starts.len() && op >= self.starts[seg + 1] {
                seg += 1;
            }
            let (o, ops) = self.segs[seg];
            let i = (op - self.starts[seg]) as usize;
            let src = if i == 0 { &self.carry[o][self.unit][..] } else { &ops[(i - 1) * k..i * k] };
            for (d, &v) in dst.iter_mut().zip(src) {
                *d = u128::from(v);
            }
        }
    }
}

impl FloatGateNet {
    /// The report of a gate-level run: counts per layer and in total,
    /// accuracy, and agreement — every layer output of every sample equals the
    /// reference [`FloatNet::infer`] and no unit operation disagreed.
    /// `ctx.x` holds the float inputs (`ctx.xq` is not used: the inputs are
    /// encoded from `ctx.x`).
    /// With `shard = Some((index, count, first_sample, total_samples))` the
    /// report is that shard's, for `tosim merge` (as [`NetReport::build_shard`]).
    pub fn report(
        &self,
        ctx: &RunContext,
        run: &FloatRun,
        shard: Option<(usize, usize, usize, usize)>,
    ) -> Result<NetReport> {
        let width = ctx.net.input_width().max(1);
        // The samples run (and present in `ctx.x`).
        let samples = run.op_disagreements.len().min(ctx.x.len() / width);
        let mut disagreeing = 0;
        let (mut gate_ok, mut ref_ok, mut float_ok) = (0usize, 0usize, 0usize);
        for s in 0..samples {
            let x = &ctx.x[s * width..(s + 1) * width];
            let want = self.net.infer(&self.net.encode_input(x))?;
            let got: Vec<Vec<u32>> =
                run.layers.iter().map(|r| r.sample_outputs(s).iter().map(|&v| v as u32).collect()).collect();
            if got != want.layers || run.op_disagreements[s] > 0 {
                disagreeing += 1;
            }
            if let Some(l) = ctx.labels.and_then(|l| l.get(s)) {
                gate_ok += usize::from(got.last().map_or(-1, |v| self.net.label(v)) == *l);
                ref_ok += usize::from(self.net.label(want.logits()) == *l);
                float_ok += usize::from(ctx.net.label_of(&ctx.net.forward_f32(x)) == *l);
            }
        }
        let layers = self.net.layers.iter().zip(&run.layers).map(|(fl, lr)| {
            let shape = LayerShape {
                name: fl.name.clone(),
                folded: fl.folded.clone(),
                inputs: fl.inputs,
                neurons: fl.outputs,
                relu_like: fl.relu_like(),
            };
            (shape, lr)
        });
        let units = self
            .units
            .iter()
            .map(|u| {
                let r =
                    UnitReport { primitive: u.primitive, transistors: u.transistors(), cells: u.netlist.cell_count() };
                (u.name.clone(), r)
            })
            .collect();
        let head = NetReport::head(ctx, float_format_name(self.net.format), self.mode, &self.profile, samples, units);
        let t = Tally::of_layers(ctx, head, disagreeing, [gate_ok, ref_ok, float_ok], layers);
        Ok(match shard {
            None => t.finish(),
            Some((index, count, first_sample, total_samples)) => {
                t.finish_shard(index, count, first_sample, total_samples)
            }
        })
    }

    /// Samples `range` of `x` counted exactly as a run over all of `x`
    /// counts them ([`crate::run_range`]: from the reset state, sample
    /// `range.start − 1` is replayed and subtracted), for `--shard`: every
    /// layer, and the per-sample operation disagreements of `range`.
    pub fn run_range(
        &self,
        x: &[Vec<u32>],
        range: Range<usize>,
        progress: &(dyn Fn(usize, usize, usize) + Sync),
    ) -> std::result::Result<(Vec<LayerRun>, Vec<u64>), FloatRangeError> {
        let failed: Mutex<Option<NnError>> = Mutex::new(None);
        let warm = usize::from(range.start > 0 && !range.is_empty());
        let want = range.len() + warm;
        let dis: Mutex<Vec<u64>> = Mutex::new(vec![0; range.len()]);
        let layers = crate::shard::run_range(x, range.clone(), |xs| match self.run(xs, progress) {
            Ok(r) => {
                if xs.len() == want {
                    if let Ok(mut d) = dis.lock() {
                        *d = r.op_disagreements[warm..].to_vec();
                    }
                }
                r.layers
            }
            Err(e) => {
                if let Ok(mut f) = failed.lock() {
                    *f = Some(e);
                }
                Vec::new()
            }
        });
        if let Some(e) = failed.into_inner().ok().flatten() {
            return Err(FloatRangeError::Nn(e));
        }
        let layers = layers?;
        Ok((layers, dis.into_inner().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::{load_onnx, DataSet};

    fn formats() -> [Format; 3] {
        [Format::Binary32, Format::Binary16, Format::Bfloat16]
    }

    /// Operands that exercise every rounding path: SplitMix64 bit patterns
    /// plus zeros, ones, subnormals, infinities and NaN.
    fn operands(f: Format, n: u64) -> Vec<u128> {
        let w = f.width();
        let mut v: Vec<u128> = (0..n).map(|i| u128::from(tosim_sim::splitmix64_at(7, i)) & mask(w)).collect();
        let edges = [0.0, -0.0, 1.0, -1.0, 0.5, 3.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e-40, 6e-8];
        v.extend(edges.iter().map(|&e| f.round(e)));
        v
    }

    /// The inline MAC arithmetic is `tosim_units::float::reference`, bit for bit.
    #[test]
    fn fast_ops_are_the_reference() {
        for f in formats() {
            let v = operands(f, 400);
            for k in [FloatKind::Add, FloatKind::Sub, FloatKind::Mul, FloatKind::Div] {
                let spec = FloatSpec::new(k, f);
                for (i, &a) in v.iter().enumerate() {
                    for &b in v.iter().skip(i % 7).step_by(7) {
                        let want = tosim_units::float::reference(&spec, &[a, b]).unwrap()[0];
                        assert_eq!(fop(f, k, a, b).unwrap(), want, "{k} {f} {a:#x} {b:#x}");
                    }
                }
            }
        }
    }

    /// The step-by-step executor computes what `run_reference` computes, for
    /// sigmoid, tanh and exp over every bf16/fp16 pattern and fp32 samples;
    /// the softmax spread over elements equals the softmax micro-program.
    #[test]
    fn executor_matches_micro_program_reference() {
        let net = crate::parse_onnx(
            &crate::testing::tiny_gemm_relu_onnx(&[1.0, 0.0, 0.0, 1.0], &[0.0, 0.0]),
            std::path::Path::new("t.onnx"),
        )
        .unwrap();
        for f in formats() {
            let fnet = FloatNet::new(&net, f, BatchNormMode::Unfold).unwrap();
            let xs: Vec<u128> = if f == Format::Binary32 { operands(f, 3000) } else { (0..1 << 16).collect() };
            let all = |p: &MicroProgram| 0..p.steps.len();
            for (p, span) in [
                (&fnet.sigmoid, fnet.sigmoid_exp.clone()),
                (&fnet.tanh, fnet.tanh_exp.clone()),
                (&fnet.exp, all(&fnet.exp)),
            ] {
                for &x in &xs {
                    let want = p.run_reference(&[x]).unwrap();
                    assert_eq!(fnet.micro(&mut NoSink, p, span.clone(), &[x]).unwrap(), want, "{} {x:#x}", p.name);
                }
            }
            for n in [1usize, 3, 10] {
                let prog = micro::softmax(f, n);
                for t in 0..50u64 {
                    let v: Vec<u128> = (0..n as u64)
                        .map(|j| f.round((tosim_sim::splitmix64_at(t, j) % 2000) as f64 / 100.0 - 10.0))
                        .collect();
                    let want = prog.run_reference(&v).unwrap();
                    assert_eq!(fnet.softmax(&mut vec![NoSink; n], &v).unwrap(), want, "softmax{n} {f}");
                }
            }
        }
    }

    /// Gate-level outputs equal the reference on the first samples of the digits data.
    #[test]
    fn digits_float_gate_level_agrees() {
        let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../circuits/models");
        let net = load_onnx(&m.join("digits_mlp.onnx")).unwrap();
        let data = DataSet::load(&net, &m.join("digits_test_x.npy"), None).unwrap();
        for f in formats() {
            let fnet = FloatNet::new(&net, f, BatchNormMode::Unfold).unwrap();
            let x: Vec<Vec<u32>> = (0..3).map(|i| fnet.encode_input(data.sample(i))).collect();
            let t = std::time::Instant::now();
            let g = FloatGateNet::new(fnet, Profile::default_profile().unwrap()).unwrap();
            let t1 = t.elapsed();
            let run = g.run(&x, &|_, _, _| {}).unwrap();
            eprintln!("{f}: build {t1:?}, run {:?}", t.elapsed() - t1);
            assert!(run.op_disagreements.iter().all(|&d| d == 0), "{f}: {:?}", run.op_disagreements);
            // One sample per batch (each element's last operation carried
            // across batches) counts exactly what one batch counts.
            let g1 = FloatGateNet { batch_macs: 1, ..FloatGateNet::new(g.net.clone(), g.profile.clone()).unwrap() };
            assert_eq!(g1.run(&x, &|_, _, _| {}).unwrap(), run, "{f}: batches");
            for (s, xs) in x.iter().enumerate() {
                let want = g.net.infer(xs).unwrap();
                for (l, lr) in run.layers.iter().enumerate() {
                    let got: Vec<u32> = lr.sample_outputs(s).iter().map(|&v| v as u32).collect();
                    assert_eq!(got, want.layers[l], "{f} sample {s} layer {l}");
                }
            }
        }
    }
}

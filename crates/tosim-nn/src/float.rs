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

use tosim_micro::{self as micro, fixed, MicroOp, MicroProgram, Src};
use tosim_netlist::Netlist;
use tosim_units::float::{FloatError, FloatKind, FloatSpec, Format};

use crate::engine::{Arith, NoSink, Sink};
use crate::error::{HardwareError, NnError, Result};
use crate::gate::Primitive;
use crate::model::{Activation, Dense, LayerKind, Network};
use crate::profile::FloatUnits;
use crate::report::LayerShape;

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

/// The report primitives.
const P_MUL: Primitive = Primitive::Multiply;
const P_ADD: Primitive = Primitive::Add;
const P_CMP: Primitive = Primitive::Compare;
const P_DIV: Primitive = Primitive::Divide;
const P_SQRT: Primitive = Primitive::Sqrt;
const P_EXP: Primitive = Primitive::Exp;

fn prim_of(op: MicroOp) -> Primitive {
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

fn float_err(unit: &str, source: FloatError) -> NnError {
    NnError::from(HardwareError::GenerateFloat { unit: unit.to_string(), source })
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
            let r = if unary {
                tosim_units::float::reference(&spec, &[a])
            } else {
                tosim_units::float::reference(&spec, &[a, b])
            }?;
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
            |what: &str| NnError::from(HardwareError::Other { unit: what.into(), what: "no exp inside".into() });
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
    fn fl<S: Sink>(&self, s: &mut S, unit: usize, k: FloatKind, prim: Primitive, a: u128, b: u128) -> Result<u128> {
        let r = fop(self.format, k, a, b).map_err(|e| float_err(k.name(), e))?;
        let unary = matches!(k, FloatKind::Sqrt | FloatKind::IntToFloat | FloatKind::FloatToInt);
        let ops = [a, b];
        s.op(unit, prim, &ops[..2 - usize::from(unary)], r);
        Ok(r)
    }

    fn flk<S: Sink>(&self, s: &mut S, k: FloatKind, prim: Primitive, a: u128, b: u128) -> Result<u128> {
        self.fl(s, self.unit_of(MicroOp::Float(k)), k, prim, a, b)
    }

    /// Runs micro-program `p` with the units' references, step by step,
    /// reporting every unit operation; steps in `exp` count as [`Primitive::Exp`].
    fn micro<S: Sink>(&self, s: &mut S, p: &MicroProgram, exp: Range<usize>, inputs: &[u128]) -> Result<Vec<u128>> {
        p.execute(inputs, |i, st, args| {
            if let Some(v) = st.op.wire(args[0]) {
                return Ok(v);
            }
            let prim = if exp.contains(&i) { P_EXP } else { prim_of(st.op) };
            let unit = self.unit_of(st.op);
            Ok(match st.op {
                MicroOp::Select { width } => {
                    let y = if args[0] >> (width - 1) & 1 == 1 { args[2] } else { args[1] };
                    s.op(unit, prim, args, y);
                    y
                }
                MicroOp::Float(k) => {
                    let y = fop(self.format, k, args[0], args.get(1).copied().unwrap_or(0))
                        .map_err(|e| float_err(k.name(), e))?;
                    s.op(unit, prim, args, y);
                    y
                }
                op => {
                    let spec = op.int_spec().ok_or_else(|| {
                        NnError::from(HardwareError::Other {
                            unit: p.name.clone(),
                            what: format!("{op:?} has no unit"),
                        })
                    })?;
                    let ins = fixed::unit_operands(op, args);
                    let out = tosim_units::reference(&spec, &ins).map_err(|source| {
                        NnError::from(HardwareError::Generate { unit: spec.design_name(), source })
                    })?;
                    s.op(unit, prim, &ins, out.first().copied().unwrap_or(0));
                    fixed::unit_result(op, &out)
                }
            })
        })
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

/// The netlist of the unit serving `op` in format `f` with the profile's
/// float architectures.
pub(crate) fn unit_netlist(op: MicroOp, f: Format, fu: FloatUnits) -> Result<Netlist> {
    match op {
        MicroOp::Float(k) => {
            let spec = FloatNet::float_spec(k, f, fu);
            tosim_units::float::generate(&spec).map_err(|e| float_err(&spec.design_name(), e))
        }
        MicroOp::Select { width } => {
            MicroOp::select_netlist(width).map_err(|e| float_err(&format!("select{width}"), e))
        }
        op => {
            let spec = op.int_spec().ok_or_else(|| {
                NnError::from(HardwareError::Other { unit: format!("{op:?}"), what: "not a unit".into() })
            })?;
            tosim_units::generate(&spec)
                .map_err(|source| NnError::from(HardwareError::Generate { unit: spec.design_name(), source }))
        }
    }
}

impl FloatNet {
    fn float_spec(k: FloatKind, f: Format, fu: FloatUnits) -> FloatSpec {
        FloatSpec::new(k, f).with_int_width(16).with_adder(fu.adder).with_multiplier(fu.multiply).with_root(fu.root)
    }

    /// The design name of the unit serving `op` and its main role in the
    /// reports (operations inside `exp` count as `exp` whatever the unit).
    pub fn unit_name(&self, op: MicroOp, fu: FloatUnits) -> (String, Primitive) {
        let name = match op {
            MicroOp::Float(k) => Self::float_spec(k, self.format, fu).design_name(),
            MicroOp::Select { width } => format!("select{width}"),
            op => op.int_spec().map_or_else(|| format!("{op:?}"), |s| s.design_name()),
        };
        (name, prim_of(op))
    }

    pub(crate) fn shapes(&self) -> Vec<LayerShape> {
        self.layers
            .iter()
            .map(|fl| LayerShape {
                name: fl.name.clone(),
                folded: fl.folded.clone(),
                inputs: fl.inputs,
                neurons: fl.outputs,
                relu_like: fl.relu_like(),
            })
            .collect()
    }
}

impl Arith for FloatNet {
    fn element<S: Sink>(&self, layer: usize, s: &mut S, pe: usize, x: &[i64]) -> Result<i64> {
        let xb: Vec<u32> = x.iter().map(|&v| v as u32).collect();
        Ok(self.neuron(s, &self.layers[layer], pe, &xb)? as i64)
    }

    fn has_across(&self, layer: usize) -> bool {
        self.layers[layer].has_softmax()
    }

    fn across<S: Sink>(&self, _layer: usize, sinks: &mut [S], v: &mut [i64]) -> Result<()> {
        let vals: Vec<u128> = v.iter().map(|&y| y as u128).collect();
        let out = self.softmax(sinks, &vals)?;
        for (y, o) in v.iter_mut().zip(out) {
            *y = o as i64;
        }
        Ok(())
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
        let mut v: Vec<u128> =
            (0..n).map(|i| u128::from(tosim_sim::splitmix64_at(7, i)) & tosim_units::mask(w)).collect();
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
            let t = std::time::Instant::now();
            let g = crate::GateNet::float(fnet, crate::Profile::default_profile().unwrap(), crate::Mode::Zero).unwrap();
            let x: Vec<Vec<i64>> = (0..3).map(|i| g.encode(data.sample(i))).collect();
            let t1 = t.elapsed();
            let run = g.run(&x, &|_, _, _| {}).unwrap();
            eprintln!("{f}: build {t1:?}, run {:?}", t.elapsed() - t1);
            assert!(run.op_disagreements.iter().all(|&d| d == 0), "{f}: {:?}", run.op_disagreements);
            // One sample per batch (each element's last operation carried
            // across batches) counts exactly what one batch counts.
            let fnet = g.float_net().unwrap().clone();
            let g1 = crate::GateNet::float(fnet, g.profile.clone(), crate::Mode::Zero).unwrap().with_batch_macs(1);
            let r1 = g1.run(&x, &|_, _, _| {}).unwrap();
            assert_eq!((&r1.layers, &r1.op_disagreements), (&run.layers, &run.op_disagreements), "{f}: batches");
            for (s, xs) in x.iter().enumerate() {
                let xb: Vec<u32> = xs.iter().map(|&v| v as u32).collect();
                let want = g.float_net().unwrap().infer(&xb).unwrap();
                for (l, lr) in run.layers.iter().enumerate() {
                    let got: Vec<u32> = lr.sample_outputs(s).iter().map(|&v| v as u32).collect();
                    assert_eq!(got, want.layers[l], "{f} sample {s} layer {l}");
                }
            }
        }
    }
}

//! Integer quantisation and the plain-Rust reference of the integer arithmetic.
//!
//! The arithmetic, exactly (the gate-level mapping performs the same steps):
//!
//! - **Formats**: int8 and int16 ([`IntFormat::Int8`], [`IntFormat::Int16`])
//!   with calibrated scales as below, or fixed point Qm.n
//!   ([`IntFormat::Fixed`], `q4.4`, `q8.8`, `q4.12`…: m + n = 8 or 16 bits,
//!   the sign counted in m) where every scale below — input, weights, every
//!   layer's output and every micro-program's input — is `2^−n` (values
//!   outside the range saturate at ±Q), the bias scale `2^−2n`, so that
//!   requantisation is a rounding shift (`m = 2^(c−2)`). Sigmoid, tanh and
//!   softmax outputs have n fraction bits, kept within 2..=b − 2.
//! - **Scales** are symmetric and per tensor. With `Q = 2^(b−1) − 1` (127 for int8,
//!   32767 for int16): weights `s_w = max|W| / Q`; the network input
//!   `s_x = max|x| / Q` over the calibration data; each hidden layer's output
//!   `s_y = max|y| / Q` over the float network's outputs on the calibration data
//!   (after its activation). A zero maximum gives scale 1.
//! - **Quantising** a real `v` with scale `s`: `clamp(round(v / s), −Q, Q)`, round
//!   half away from zero, in f64. Weights and inputs use it; `−2^(b−1)` never occurs.
//! - **Bias** `b_q = round(b / (s_w·s_x))` in accumulator units.
//! - **Neuron** `o`: `acc ← 0`; for each input `i` in order, `p = w[o][i]·x[i]`
//!   (exact 2b-bit signed product), `acc ← acc + p` (A-bit two's complement;
//!   A = 32 for int8, 48 for int16); then `acc ← acc + b_q`. [`QuantNet::new`]
//!   proves per neuron that `Σ|w|·Q + |b_q| < 2^(A−1)`, so no sum can overflow.
//! - **ReLU** is `r = max(acc, 0)` on the accumulator (comparator and selector).
//!   **LeakyReLU** with slope 0 < α < 1 is `r = max(acc, ⌊acc·m / 2^k⌋)`,
//!   `α ≈ m / 2^k` as in requantisation (an A×A multiplier, a shift, a comparator
//!   and selector); the requantisation after it clamps on both sides.
//! - **Requantisation** to the next layer's scale: the real factor
//!   `M = s_w·s_x/s_y` is an integer multiplier and a right shift, `M ≈ m / 2^k`,
//!   `2^(c−2) ≤ m < 2^(c−1)` (c = 16 for int8, 32 for int16), and
//!   `t = ⌊(r·m + 2^(k−1)) / 2^k⌋`: round half up (towards +∞). In gates:
//!   `P = r·m` on a signed V×V multiplier (V = [`Requant::mul_bits`], the
//!   smallest width ≥ c that holds every possible `r`, a static bound from the
//!   weights); `u = P >> (k−1)` (wiring); `t = (u + 1) >> 1` on a (W+1)-bit
//!   adder (operands `u mod 2^(W+1)` and 1; the shift is wiring), W =
//!   [`Requant::clamp_bits`], the smallest width in which every `t` and `Q` fit,
//!   so the truncation is exact. Then `y = min(t, Q)` and, when no ReLU
//!   precedes, `y = max(y, −Q)`, on W-bit comparator-and-selector (`max`) units
//!   (`min(a, b) = ¬max(¬a, ¬b)`, the complements taken at the ports and not
//!   counted). With a ReLU, `t ≥ 0` already and the lower clamp is not computed.
//!   The result `y ∈ [−Q, Q]` is the next layer's b-bit input.
//! - **Sigmoid and tanh**: the requantisation above goes to the function's
//!   input scale instead, `s_a = min(max|z|, Z) / Q` over the calibration data
//!   (z: the float pre-activation; Z = [`act_saturation`]: 8 and 16 for
//!   sigmoid in int8 and int16, half that for tanh), clamped to `[−Q, Q]`;
//!   then the fixed-point micro-program [`tosim_micro::fixed`] (`FixedSpec {
//!   width: b, in_scale: s_a, out_frac: b − 2 }`) computes the function per
//!   neuron: its output, with b − 2 fraction bits (scale `2^−(b−2)`), is the
//!   next layer's b-bit input.
//! - **Softmax** (anywhere, after the activation if any): the layer's values are
//!   requantised to `s_y = max|y| / Q` (y: the float input of the softmax), or
//!   come from a sigmoid/tanh, and the fixed-point softmax micro-program
//!   (max-subtract, exp, sum, divide; b − 2 output fraction bits) maps the
//!   layer's values to the next layer's input or to the network's outputs.
//! - **Batch normalisation** right after a dense layer is folded into its weights
//!   and bias before quantisation ([`QuantNet::new`]), or, with
//!   [`QuantNet::with_batchnorm`], **unfolded**: computed per neuron o and
//!   sample on the accumulator ([`QBatchNorm`]): `d = acc − μ_o` (A-bit
//!   subtractor; `μ_o = round(μ/s_a)`), `s = ⌊√V_o⌋` on a 24-bit square root
//!   (`V_o = round((σ²+ε)·4^e_o) ∈ [2^46, 2^48)`, a constant operand: the root
//!   is recomputed every sample, as an element without a register for it
//!   would), `q = trunc(d·2^h / s)` on a 64-bit signed divider (h = 64 − A, so
//!   the dividend fills it), `t = ⌊(⌊q·G_o / 2^(k_o−1)⌋ + 1) / 2⌋` (signed
//!   42-bit multiplier, rounding adder; `G_o / 2^k_o ≈ γ·s_a·2^(e_o−h) / s_b`),
//!   `y = t + round(β/s_b)` (A-bit adder). The output scale `s_b` is the
//!   static worst case `max_o (|γ|/√(σ²+ε)·(bound_o·s_a + |μ|) + |β|) / 2^(A−3)`,
//!   and a static bound proves `|y| < 2^(A−2)`; ReLU, requantisation (with
//!   `s_b` for `s_w·s_x`) and the rest follow as above.
//! - **The last dense layer** is not requantised unless a sigmoid, tanh or
//!   softmax follows: its accumulators (after the bias) are the logits, and the
//!   class is their arg-max (first maximum). With a final softmax, the class is
//!   the arg-max of the softmax's b-bit outputs (ties, at 2^−(b−2), go to the
//!   first).

use crate::error::{NnError, Result};
use tosim_micro::fixed::{FixedFn, FixedProgram, FixedSpec};

use crate::model::{Activation, Dense, LayerKind, Network};

/// The input magnitude above which sigmoid (tanh) is within half an output
/// step of ±1 or 0 with b − 2 fraction bits, rounded up to a power of two:
/// e^−z < 2^−(b−1) from z = (b − 1)·ln 2 (4.9 for int8, 10.4 for int16);
/// tanh saturates at half that. The micro-program's input scale is the
/// calibrated range, capped there, so that its b bits cover the part that matters.
pub fn act_saturation(f: FixedFn, format: IntFormat) -> f64 {
    let z = if format.bits() == 8 { 8.0 } else { 16.0 };
    if f == FixedFn::Tanh {
        z / 2.0
    } else {
        z
    }
}

/// An integer number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IntFormat {
    /// 8-bit operands, 32-bit accumulator, 16-bit requantisation multiplier.
    Int8,
    /// 16-bit operands, 48-bit accumulator, 32-bit requantisation multiplier.
    Int16,
    /// Fixed point Qm.n: `m + n` = 8 or 16 bits (the sign counted in m), every
    /// tensor at the scale `2^−n` instead of a calibrated one; widths as int8
    /// or int16.
    Fixed {
        /// Total bits (8 or 16).
        bits: u8,
        /// Fraction bits n (1 ≤ n < bits).
        frac: u8,
    },
}

/// Names of the fixed-point formats: `q{m}.{n}`, index m − 1.
const Q8_NAMES: [&str; 7] = ["q1.7", "q2.6", "q3.5", "q4.4", "q5.3", "q6.2", "q7.1"];
const Q16_NAMES: [&str; 15] = [
    "q1.15", "q2.14", "q3.13", "q4.12", "q5.11", "q6.10", "q7.9", "q8.8", "q9.7", "q10.6", "q11.5", "q12.4", "q13.3",
    "q14.2", "q15.1",
];

impl IntFormat {
    /// Operand width b.
    pub fn bits(self) -> u32 {
        match self {
            IntFormat::Int8 => 8,
            IntFormat::Int16 => 16,
            IntFormat::Fixed { bits, .. } => u32::from(bits),
        }
    }

    /// Fraction bits of a fixed-point format (`None` for int8 and int16).
    pub fn frac(self) -> Option<u32> {
        match self {
            IntFormat::Fixed { frac, .. } => Some(u32::from(frac)),
            _ => None,
        }
    }

    /// Largest magnitude `Q = 2^(b−1) − 1`.
    pub fn qmax(self) -> i64 {
        (1i64 << (self.bits() - 1)) - 1
    }

    /// Accumulator width A.
    pub fn acc_bits(self) -> u32 {
        if self.bits() == 8 {
            32
        } else {
            48
        }
    }

    /// Width c of the requantisation multiplier (signed; the multiplier is positive).
    pub fn mult_bits(self) -> u32 {
        if self.bits() == 8 {
            16
        } else {
            32
        }
    }

    /// `int8`, `int16`, or `q{m}.{n}`.
    pub fn name(self) -> &'static str {
        match self {
            IntFormat::Int8 => "int8",
            IntFormat::Int16 => "int16",
            IntFormat::Fixed { bits, frac } => {
                let names: &[&'static str] = if bits == 8 { &Q8_NAMES } else { &Q16_NAMES };
                names.get(usize::from(bits - frac) - 1).copied().unwrap_or("q?")
            }
        }
    }

    /// Parses `int8`, `int16` or `qM.N` with M + N = 8 or 16, M ≥ 1, N ≥ 1.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "int8" => Some(IntFormat::Int8),
            "int16" => Some(IntFormat::Int16),
            _ => {
                let (m, n) = s.strip_prefix('q').or_else(|| s.strip_prefix('Q'))?.split_once('.')?;
                let (m, n): (u8, u8) = (m.parse().ok()?, n.parse().ok()?);
                let bits = m.checked_add(n)?;
                ((bits == 8 || bits == 16) && m >= 1 && n >= 1).then_some(IntFormat::Fixed { bits, frac: n })
            }
        }
    }
}

/// A quantised dense layer.
#[derive(Debug, Clone, PartialEq)]
pub struct QDense {
    /// Input width K.
    pub inputs: usize,
    /// Neurons N.
    pub outputs: usize,
    /// Weights row-major `[N][K]`, each in `[−Q, Q]`.
    pub weights: Vec<i64>,
    /// Bias in accumulator units.
    pub bias: Vec<i64>,
    /// Weight scale `s_w`.
    pub weight_scale: f64,
    /// Input scale `s_x`.
    pub input_scale: f64,
}

impl QDense {
    /// Neuron `o`'s weights.
    pub fn row(&self, o: usize) -> &[i64] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }
}

/// Requantisation `y = clamp(⌊(r·m + 2^(k−1)) / 2^k⌋, −Q, Q)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Requant {
    /// Multiplier m, `2^(c−2) ≤ m < 2^(c−1)`.
    pub multiplier: i64,
    /// Shift k ≥ 1.
    pub shift: u32,
    /// Output scale `s_y`.
    pub output_scale: f64,
    /// Width W of the clamp units: `t = ⌊(r·m + 2^(k−1)) / 2^k⌋` and `Q` fit in W signed bits.
    pub clamp_bits: u32,
    /// Width of the requantisation multiplier: every `r` and `m` fit in it as signed values.
    pub mul_bits: u32,
}

impl Requant {
    /// `t = ⌊(r·m + 2^(k−1)) / 2^k⌋` for an A-bit `r` (2A-bit product and sum).
    pub fn scale(&self, r: i64, acc_bits: u32) -> i64 {
        let p = i128::from(r) * i128::from(self.multiplier);
        let p = wrap128(p + (1i128 << (self.shift - 1)), 2 * acc_bits);
        (p >> self.shift) as i64
    }
}

/// A quantised layer: dense, then requantisation (except in the last layer), then
/// the activation.
#[derive(Debug, Clone, PartialEq)]
pub struct QLayer {
    /// Name of the dense layer (the ONNX node).
    pub name: String,
    /// The float layers folded into this one, as `op name` (batch norm, activation, softmax).
    pub folded: Vec<String>,
    /// The dense part.
    pub dense: QDense,
    /// Requantisation to the next layer's input scale; `None` in the last layer.
    pub requant: Option<Requant>,
    /// Whether a ReLU follows.
    pub relu: bool,
    /// A LeakyReLU follows: `r = max(acc, ⌊acc·m / 2^k⌋)` with `α ≈ m / 2^k`, 0 < α < 1.
    pub leaky: Option<Leaky>,
    /// A sigmoid or tanh follows the requantisation: a fixed-point
    /// micro-program per neuron (b-bit input at the requantisation's output
    /// scale, output with b − 2 fraction bits).
    pub act: Option<FixedProgram>,
    /// A softmax over the layer's values follows (after `act`, if any): a
    /// fixed-point micro-program per layer (output with b − 2 fraction bits).
    pub softmax: Option<FixedProgram>,
    /// Unfolded batch normalisation right after the bias (`None` when there is
    /// none or it is folded into the weights).
    pub batchnorm: Option<QBatchNorm>,
}

/// Unfolded batch normalisation in integers, per neuron o (see the module
/// documentation): `d = acc − μ_o`, `s = ⌊√V_o⌋`, `q = trunc((d·2^h) / s)`,
/// `t = ⌊(⌊q·G_o / 2^(k_o−1)⌋ + 1) / 2⌋`, `y = t + β_o`.
#[derive(Debug, Clone, PartialEq)]
pub struct QBatchNorm {
    /// μ_o in accumulator units.
    pub mean: Vec<i64>,
    /// V_o = round((σ²_o + ε)·4^(e_o)) in `[2^46, 2^48)`: the square root's 48-bit radicand.
    pub radicand: Vec<u64>,
    /// h = 64 − A: `d·2^h` fills the 64-bit signed divider.
    pub shift: u32,
    /// G_o: signed gain (γ and the scales) for the [`QBatchNorm::mul_bits`]-bit multiplier.
    pub gain: Vec<i64>,
    /// k_o ≥ 1.
    pub gain_shift: Vec<u32>,
    /// β_o in output units.
    pub offset: Vec<i64>,
    /// Real value of one output step (the accumulator scale of what follows).
    pub output_scale: f64,
    /// Width of the gain multiplier (signed).
    pub mul_bits: u32,
}

impl QBatchNorm {
    /// Width of the signed divider.
    pub const DIV_BITS: u32 = 64;
    /// Width of the square root `s = ⌊√V⌋ ∈ [2^23, 2^24)`: 24 bits of the
    /// root, and `q = d·2^h / s` keeps `log2|d| + h − 24` bits (at least 21
    /// for int8 and 22 for int16 when |d| ≥ 2^13 and 2^30, typical sizes).
    pub const ROOT_BITS: u32 = 24;

    /// The batch-normalised value of neuron `o`'s A-bit accumulator.
    pub fn apply(&self, o: usize, acc: i64, acc_bits: u32) -> i64 {
        let d = wrap(acc - self.mean[o], acc_bits);
        let s = isqrt_u64(self.radicand[o]);
        let q = (i128::from(d) << self.shift) / i128::from(s);
        let u = (q * i128::from(self.gain[o])) >> (self.gain_shift[o] - 1);
        let t = ((u + 1) >> 1) as i64;
        wrap(t + self.offset[o], acc_bits)
    }
}

/// `⌊√a⌋`.
pub(crate) fn isqrt_u64(a: u64) -> u64 {
    let mut x = (a as f64).sqrt() as u64;
    while x.checked_mul(x).map_or(true, |v| v > a) {
        x -= 1;
    }
    while (x + 1).checked_mul(x + 1).is_some_and(|v| v <= a) {
        x += 1;
    }
    x
}

impl QLayer {
    /// Real value of one step of the accumulator after the bias and an
    /// unfolded batch norm (the logits' scale in a last layer without
    /// sigmoid, tanh or softmax): the batch norm's output scale, or `s_w·s_x`.
    pub fn acc_scale(&self) -> f64 {
        match &self.batchnorm {
            Some(bn) => bn.output_scale,
            None => self.dense.weight_scale * self.dense.input_scale,
        }
    }

    /// Real value of one step of this layer's output (`None` for logits, which
    /// are accumulators at `weight_scale · input_scale`).
    pub fn output_scale(&self) -> Option<f64> {
        match (&self.softmax, &self.act, &self.requant) {
            (Some(p), _, _) | (None, Some(p), _) => Some(p.out_scale()),
            (None, None, Some(r)) => Some(r.output_scale),
            _ => None,
        }
    }
}

/// The slope of a LeakyReLU as an integer multiplier and shift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Leaky {
    /// Multiplier m, `2^(c−2) ≤ m < 2^(c−1)`.
    pub multiplier: i64,
    /// Shift k.
    pub shift: u32,
}

impl Leaky {
    /// `max(acc, ⌊acc·m / 2^k⌋)` (an exact 2A-bit product; the shift is an arithmetic one).
    pub fn apply(&self, acc: i64) -> i64 {
        let p = (i128::from(acc) * i128::from(self.multiplier)) >> self.shift;
        acc.max(p as i64)
    }
}

/// A network quantised to an integer format.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantNet {
    /// The format.
    pub format: IntFormat,
    /// Scale of the network input.
    pub input_scale: f64,
    /// The layers in order.
    pub layers: Vec<QLayer>,
    /// Class labels (see [`Network::classes`]).
    pub classes: Option<Vec<i64>>,
}

/// Every layer's integer output for one sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QOutput {
    /// Each layer's output values (after requantisation and activation); the last
    /// entry holds the logits.
    pub layers: Vec<Vec<i64>>,
}

impl QOutput {
    /// The last layer's values.
    pub fn logits(&self) -> &[i64] {
        self.layers.last().map_or(&[], |v| v.as_slice())
    }
}

fn round_half_away(v: f64) -> f64 {
    v.round()
}

fn quantise(v: f64, s: f64, q: i64) -> i64 {
    (round_half_away(v / s) as i64).clamp(-q, q)
}

fn scale_of(max_abs: f64, q: i64) -> f64 {
    if max_abs > 0.0 {
        max_abs / q as f64
    } else {
        1.0
    }
}

/// `M ≈ m / 2^k` with `2^(c−2) ≤ m < 2^(c−1)`.
fn multiplier(m_real: f64, c: u32, layer: &str) -> Result<(i64, u32)> {
    let err = |what: String| NnError::Quantise { layer: layer.to_string(), what };
    if !(m_real > 0.0 && m_real.is_finite()) {
        return Err(err(format!("requantisation factor {m_real} is not a positive number")));
    }
    let hi = (1i64 << (c - 1)) as f64;
    // Largest k with round(M·2^k) < 2^(c−1).
    let mut k: i32 = (hi / m_real).log2().floor() as i32;
    while k > 0 && (m_real * 2f64.powi(k)).round() >= hi {
        k -= 1;
    }
    while (m_real * 2f64.powi(k + 1)).round() < hi {
        k += 1;
    }
    if !(1..=100).contains(&k) {
        return Err(err(format!("requantisation factor {m_real} needs shift {k}, outside 1..=100")));
    }
    Ok(((m_real * 2f64.powi(k)).round() as i64, k as u32))
}

/// A dense layer with the float layers that follow it (batch norm, ReLU, softmax).
struct Group {
    dense: Dense,
    name: String,
    folded: Vec<String>,
    relu: bool,
    leaky: Option<f32>,
    /// Sigmoid or tanh.
    act: Option<FixedFn>,
    /// Unfolded batch normalisation.
    bn: Option<crate::model::BatchNorm>,
    /// A softmax follows.
    softmax: bool,
    /// Index into the float layers of the group's last layer.
    last: usize,
    /// Index of the float layer whose output feeds the sigmoid/tanh (calibrates its input scale).
    pre_act: usize,
    /// Index of the float layer whose output is requantised when there is no
    /// sigmoid/tanh (the layer before a softmax, or the last one).
    pre_out: usize,
}

impl QuantNet {
    /// Quantises `net`. `calib` holds calibration samples (row-major, the
    /// network's input width each) from which the input and activation scales are
    /// taken.
    pub fn new(net: &Network, format: IntFormat, calib: &[f32]) -> Result<Self> {
        QuantNet::with_batchnorm(net, format, calib, false)
    }

    /// Like [`QuantNet::new`]; with `unfold_batchnorm`, batch normalisation is
    /// not folded into the weights but computed per neuron and sample
    /// ([`QBatchNorm`]: subtract, square root, divide, scale, shift).
    pub fn with_batchnorm(net: &Network, format: IntFormat, calib: &[f32], unfold_batchnorm: bool) -> Result<Self> {
        let q = format.qmax();
        let groups = group(net, unfold_batchnorm)?;
        let width = net.input_width();
        let samples = calib.len().checked_div(width).unwrap_or(0);
        // Calibration: max |value| of the input and of every float layer's output.
        let mut in_max = 0f64;
        let mut layer_max = vec![0f64; net.layers.len()];
        for s in 0..samples {
            let x = &calib[s * width..(s + 1) * width];
            in_max = x.iter().fold(in_max, |m, &v| m.max(f64::from(v).abs()));
            for (li, v) in net.forward_trace(x).iter().enumerate() {
                layer_max[li] = v.iter().fold(layer_max[li], |m, &y| m.max(f64::from(y).abs()));
            }
        }
        // Fixed point: every scale is 2^−n.
        let fixed = format.frac().map(|n| 2f64.powi(-(n as i32)));
        let scale_of = |max_abs: f64, q: i64| fixed.unwrap_or_else(|| scale_of(max_abs, q));
        let mut in_scale = scale_of(in_max, q);
        let input_scale = in_scale;
        let mut layers = Vec::with_capacity(groups.len());
        let ng = groups.len();
        for (gi, g) in groups.into_iter().enumerate() {
            let d = &g.dense;
            let wmax = d.weights.iter().fold(0f64, |m, &w| m.max(f64::from(w).abs()));
            let ws = scale_of(wmax, q);
            let weights: Vec<i64> = d.weights.iter().map(|&w| quantise(f64::from(w), ws, q)).collect();
            let acc_scale = ws * in_scale;
            let bias: Vec<i64> = d.bias.iter().map(|&b| round_half_away(f64::from(b) / acc_scale) as i64).collect();
            // Overflow proof: Σ|w|·Q + |b| < 2^(A−1) for every neuron.
            let lim = 1i128 << (format.acc_bits() - 1);
            for o in 0..d.outputs {
                let s: i128 = weights[o * d.inputs..(o + 1) * d.inputs].iter().map(|&w| i128::from(w.abs())).sum();
                if s * i128::from(q) + i128::from(bias[o].abs()) >= lim {
                    return Err(NnError::Quantise {
                        layer: g.name.clone(),
                        what: format!("neuron {o} could overflow the {}-bit accumulator", format.acc_bits()),
                    });
                }
            }
            let accb: Vec<i128> = (0..d.outputs)
                .map(|o| {
                    let s: i128 = weights[o * d.inputs..(o + 1) * d.inputs].iter().map(|&w| i128::from(w.abs())).sum();
                    s * i128::from(q) + i128::from(bias[o].abs())
                })
                .collect();
            let batchnorm = match &g.bn {
                Some(b) => Some(unfold_bn(b, &accb, acc_scale, format.acc_bits(), format.mult_bits(), &g.name)?),
                None => None,
            };
            // After an unfolded batch norm, its outputs are what the rest sees.
            let (acc_scale, accb) = match &batchnorm {
                Some(bn) => (bn.output_scale, bn_bounds(bn, &accb)),
                None => (acc_scale, accb),
            };
            let requant = if gi + 1 < ng || g.act.is_some() || g.softmax {
                let os = match g.act {
                    // The micro-program's input scale: the calibrated range, at
                    // most where the function saturates (see the module documentation).
                    Some(f) => scale_of(layer_max[g.pre_act].min(act_saturation(f, format)), q),
                    None => scale_of(layer_max[g.pre_out], q),
                };
                let (m, k) = multiplier(acc_scale / os, format.mult_bits(), &g.name)?;
                in_scale = os;
                // |r| ≤ max over neurons of Σ|w|·Q + |b| (or the batch norm's
                // bound), so |t| ≤ ⌈bound·m / 2^k⌉ + 1.
                let bound: i128 = accb.iter().copied().max().unwrap_or(0);
                let tmax = ((bound * i128::from(m)) >> k) + 1;
                let mut w = format.bits() + 1;
                while (1i128 << (w - 1)) <= tmax {
                    w += 1;
                }
                let mut mb = format.mult_bits();
                while (1i128 << (mb - 1)) <= bound {
                    mb += 1;
                }
                if w > 63 || mb > 64 || k < 2 {
                    return Err(NnError::Quantise {
                        layer: g.name.clone(),
                        what: format!(
                            "requantisation needs {w}-bit clamp units (at most 63), a {mb}-bit multiplier (at most 64) \
                             and shift {k} (at least 2)"
                        ),
                    });
                }
                Some(Requant { multiplier: m, shift: k, output_scale: os, clamp_bits: w, mul_bits: mb })
            } else {
                None
            };
            // Output fraction bits of sigmoid, tanh, softmax: b − 2, or a
            // fixed-point format's n within 2..=b − 2.
            let out_frac = format.frac().map_or(format.bits() - 2, |n| n.clamp(2, format.bits() - 2));
            let fixed = |f: FixedFn, scale: f64| {
                FixedSpec::new(format.bits(), scale, out_frac)
                    .and_then(|spec| FixedProgram::build(f, spec))
                    .map_err(|e| NnError::Program { layer: g.name.clone(), source: Box::new(e) })
            };
            let act = match g.act {
                Some(f) => Some(fixed(f, in_scale)?),
                None => None,
            };
            if let Some(p) = &act {
                in_scale = p.out_scale();
            }
            let softmax = if g.softmax { Some(fixed(FixedFn::Softmax(d.outputs), in_scale)?) } else { None };
            if let Some(p) = &softmax {
                in_scale = p.out_scale();
            }
            let leaky = match g.leaky {
                Some(alpha) => {
                    let (m, k) = multiplier(f64::from(alpha), format.mult_bits(), &g.name)?;
                    Some(Leaky { multiplier: m, shift: k })
                }
                None => None,
            };
            layers.push(QLayer {
                leaky,
                name: g.name,
                folded: g.folded,
                dense: QDense {
                    inputs: d.inputs,
                    outputs: d.outputs,
                    weights,
                    bias,
                    weight_scale: ws,
                    input_scale: acc_scale / ws,
                },
                requant,
                relu: g.relu,
                act,
                softmax,
                batchnorm,
            });
        }
        Ok(QuantNet { format, input_scale, layers, classes: net.classes.clone() })
    }

    /// Quantises one input sample with the input scale.
    pub fn quantise_input(&self, x: &[f32]) -> Vec<i64> {
        let q = self.format.qmax();
        x.iter().map(|&v| quantise(f64::from(v), self.input_scale, q)).collect()
    }

    /// The integer reference: one sample through every layer.
    pub fn infer(&self, x: &[i64]) -> QOutput {
        let q = self.format.qmax();
        let a = self.format.acc_bits();
        let mut layers = Vec::with_capacity(self.layers.len());
        let mut v = x.to_vec();
        for l in &self.layers {
            let d = &l.dense;
            let out: Vec<i64> = (0..d.outputs)
                .map(|o| {
                    let mut acc = 0i64;
                    for (&w, &xi) in d.row(o).iter().zip(&v) {
                        acc = wrap(acc + w * xi, a);
                    }
                    acc = wrap(acc + d.bias[o], a);
                    if let Some(bn) = &l.batchnorm {
                        acc = bn.apply(o, acc, a);
                    }
                    let r = match (&l.leaky, l.relu) {
                        (Some(lk), _) => lk.apply(acc),
                        (None, true) => acc.max(0),
                        (None, false) => acc,
                    };
                    let y = match &l.requant {
                        None => r,
                        Some(rq) => {
                            let y = rq.scale(r, a).min(q);
                            if l.relu {
                                y
                            } else {
                                y.max(-q)
                            }
                        }
                    };
                    match &l.act {
                        Some(p) => p.run_plain(&[y])[0],
                        None => y,
                    }
                })
                .collect();
            let out = match &l.softmax {
                Some(p) => p.run_plain(&out),
                None => out,
            };
            layers.push(out.clone());
            v = out;
        }
        QOutput { layers }
    }

    /// The class label of an output (arg-max of the logits through the classes).
    pub fn label(&self, out: &QOutput) -> i64 {
        let i = crate::model::argmax(out.logits());
        match &self.classes {
            Some(c) => c.get(i).copied().unwrap_or(i as i64),
            None => i as i64,
        }
    }
}

/// The integer constants of an unfolded batch norm after a dense layer whose
/// accumulators (scale `acc_scale`) are bounded by `accb` per neuron.
fn unfold_bn(
    b: &crate::model::BatchNorm,
    accb: &[i128],
    acc_scale: f64,
    a: u32,
    c: u32,
    layer: &str,
) -> Result<QBatchNorm> {
    let err = |what: String| NnError::Quantise { layer: layer.to_string(), what };
    let dbits = QBatchNorm::DIV_BITS;
    let h = dbits - a;
    let n = accb.len();
    let mut mean = Vec::with_capacity(n);
    let mut radicand = Vec::with_capacity(n);
    let mut exps = Vec::with_capacity(n);
    let mut ymax_real = 0f64;
    for (o, &ab) in accb.iter().enumerate() {
        let mu = (f64::from(b.mean[o]) / acc_scale).round();
        if mu.is_nan() || mu.abs() >= 2f64.powi(a as i32 - 2) || ab + mu.abs() as i128 >= 1i128 << (a - 1) {
            return Err(err(format!(
                "neuron {o}: the batch-norm mean {} overflows the {a}-bit accumulator",
                b.mean[o]
            )));
        }
        let v = f64::from(b.var[o]) + f64::from(b.epsilon);
        if !(v > 0.0 && v.is_finite()) {
            return Err(err(format!("neuron {o}: batch-norm variance + epsilon = {v} is not positive")));
        }
        // V = round(v·4^e) in [2^(2R−2), 2^(2R)), R = ROOT_BITS.
        let r2 = 2 * QBatchNorm::ROOT_BITS as i32;
        let mut e = ((f64::from(r2 - 2) - v.log2()) / 2.0).floor() as i32;
        let rad = |e: i32| (v * 4f64.powi(e)).round();
        while rad(e) >= 2f64.powi(r2) {
            e -= 1;
        }
        while rad(e) < 2f64.powi(r2 - 2) {
            e += 1;
        }
        mean.push(mu as i64);
        radicand.push(rad(e) as u64);
        exps.push(e);
        let g = f64::from(b.scale[o]).abs() / v.sqrt();
        ymax_real = ymax_real.max(g * (ab as f64 + mu.abs()) * acc_scale + f64::from(b.shift[o]).abs());
    }
    // Every output within 2^(A−3) steps (a factor 2 of margin for the roundings).
    let output_scale = if ymax_real > 0.0 { ymax_real / 2f64.powi(a as i32 - 3) } else { 1.0 };
    let mut gain = Vec::with_capacity(n);
    let mut gain_shift = Vec::with_capacity(n);
    let mut offset = Vec::with_capacity(n);
    for (o, &e) in exps.iter().enumerate() {
        // y = q·G/2^k with q·s_a·2^(e−h) the normalised value.
        let f = f64::from(b.scale[o]) * acc_scale * 2f64.powi(e - h as i32) / output_scale;
        let (m, k) = if f == 0.0 { (0, 1) } else { multiplier(f.abs(), c, layer)? };
        gain.push(if f < 0.0 { -m } else { m });
        gain_shift.push(k);
        offset.push((f64::from(b.shift[o]) / output_scale).round() as i64);
    }
    // |q| ≤ 2^63 / 2^(R−1) = 2^(65−R), signed: 66 − R bits; G: c bits.
    let mul_bits = (dbits + 2 - QBatchNorm::ROOT_BITS).max(c);
    let bn = QBatchNorm { mean, radicand, shift: h, gain, gain_shift, offset, output_scale, mul_bits };
    for (o, y) in bn_bounds(&bn, accb).iter().enumerate() {
        if *y >= 1i128 << (a - 2) {
            return Err(err(format!("neuron {o}: the unfolded batch norm could overflow the {a}-bit accumulator")));
        }
    }
    Ok(bn)
}

/// Static bound of |y| per neuron of an unfolded batch norm, from the accumulator bounds.
fn bn_bounds(bn: &QBatchNorm, accb: &[i128]) -> Vec<i128> {
    accb.iter()
        .enumerate()
        .map(|(o, &ab)| {
            let dmax = ab + i128::from(bn.mean[o].abs());
            let qmax = (dmax << bn.shift) / i128::from(isqrt_u64(bn.radicand[o])) + 1;
            ((qmax * i128::from(bn.gain[o].abs())) >> bn.gain_shift[o]) + 2 + i128::from(bn.offset[o].abs())
        })
        .collect()
}

/// `v` as a `bits`-bit two's-complement value (sign-extended back to i128).
pub(crate) fn wrap128(v: i128, bits: u32) -> i128 {
    let sh = 128 - bits;
    (v << sh) >> sh
}

/// `v` as an A-bit two's-complement value (sign-extended back to i64).
pub(crate) fn wrap(v: i64, bits: u32) -> i64 {
    let sh = 64 - bits;
    (v << sh) >> sh
}

/// Splits the float layers into dense groups: `Dense [BatchNorm] [Relu] [Softmax, last only]`.
fn group(net: &Network, unfold: bool) -> Result<Vec<Group>> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, l) in net.layers.iter().enumerate() {
        let err = |what: String| NnError::Quantise { layer: l.name.clone(), what };
        match &l.kind {
            LayerKind::Dense(d) => groups.push(Group {
                dense: d.clone(),
                name: l.name.clone(),
                folded: Vec::new(),
                relu: false,
                leaky: None,
                act: None,
                bn: None,
                softmax: false,
                last: i,
                pre_act: i,
                pre_out: i,
            }),
            kind => {
                let Some(g) = groups.last_mut() else {
                    return Err(err(format!("{} before the first dense layer", l.op)));
                };
                let plain = !g.relu && g.leaky.is_none() && g.act.is_none() && !g.softmax;
                match kind {
                    LayerKind::BatchNorm(b) if plain && g.last + 1 == i && g.folded.is_empty() && unfold => {
                        if b.channels != g.dense.outputs || b.per_channel != 1 {
                            return Err(err(format!(
                                "batch normalisation over {} channels of {} after a dense layer of {} outputs",
                                b.channels, b.per_channel, g.dense.outputs
                            )));
                        }
                        g.bn = Some(b.clone());
                        g.pre_act = i;
                        g.pre_out = i;
                    }
                    LayerKind::BatchNorm(b) if plain && g.last + 1 == i && g.folded.is_empty() => {
                        // Fold: W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β.
                        for o in 0..g.dense.outputs {
                            let f = f64::from(b.scale[o]) / (f64::from(b.var[o]) + f64::from(b.epsilon)).sqrt();
                            for w in &mut g.dense.weights[o * g.dense.inputs..(o + 1) * g.dense.inputs] {
                                *w = (f64::from(*w) * f) as f32;
                            }
                            g.dense.bias[o] = ((f64::from(g.dense.bias[o]) - f64::from(b.mean[o])) * f
                                + f64::from(b.shift[o])) as f32;
                        }
                        g.pre_act = i;
                        g.pre_out = i;
                    }
                    LayerKind::BatchNorm(_) => {
                        return Err(err("batch normalisation is folded only directly after a dense layer".into()))
                    }
                    LayerKind::Activation(Activation::Relu) if plain => {
                        g.relu = true;
                        g.pre_out = i;
                    }
                    LayerKind::Activation(Activation::LeakyRelu { alpha }) if plain && *alpha > 0.0 && *alpha < 1.0 => {
                        g.leaky = Some(*alpha);
                        g.pre_out = i;
                    }
                    LayerKind::Activation(Activation::LeakyRelu { alpha }) if !(*alpha > 0.0 && *alpha < 1.0) => {
                        return Err(err(format!("LeakyReLU slope {alpha}: integer formats need 0 < alpha < 1")))
                    }
                    LayerKind::Activation(a @ (Activation::Sigmoid | Activation::Tanh)) if plain => {
                        g.act = Some(if *a == Activation::Sigmoid { FixedFn::Sigmoid } else { FixedFn::Tanh });
                        g.pre_act = g.last;
                        g.pre_out = i;
                    }
                    LayerKind::Softmax if !g.softmax => g.softmax = true,
                    _ => {
                        return Err(err(format!(
                            "{} cannot follow {} (a dense layer takes at most: batch normalisation, one activation, softmax, in this order)",
                            l.op,
                            g.folded.last().cloned().unwrap_or_else(|| g.name.clone())
                        )))
                    }
                }
                g.folded.push(format!("{} {}", l.op, l.name));
                g.last = i;
            }
        }
    }
    Ok(groups)
}

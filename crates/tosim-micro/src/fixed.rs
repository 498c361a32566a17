//! Fixed-point micro-programs in int8 and int16 with a scale: exp, sigmoid,
//! tanh, SiLU, softmax and reciprocal square root on the integer units of
//! tosim-units (adder, subtractor, signed multiplier, comparator-and-selector,
//! barrel shifter, restoring divider and square root).
//!
//! A [`FixedSpec`] says the operand width W (8 or 16), the real value of one
//! input step (`in_scale`: any positive number, e.g. `2^−4` for Q4.4, or a
//! calibrated scale of a quantised network) and the fraction bits of the
//! output (`out_frac`: the output is `y · 2^−out_frac`). Inputs and outputs
//! are W-bit two's-complement values; everything in between runs on units of
//! the *internal* width P = 2W (the divider and square root of
//! [`FixedFn::Rsqrt`] on 2P). Notation: a `Qm.n` format has `m + n` bits, the
//! sign included in `m` (Q4.12 and Q8.8 are 16-bit formats;
//! [`crate::fixed_sigmoid`]'s "Q4.11" input is Q5.11 here).
//!
//! [`FixedProgram::build`] records the program as a [`MicroProgram`], which
//! [`GateRunner`] runs on the gate-level units and
//! [`MicroProgram::run_reference`] on the units' references;
//! [`FixedProgram::run_plain`] runs the *same* algorithm (literally the same
//! Rust function, generic over how an operation is carried out) as plain
//! integer arithmetic written here, without tosim-units. The three agree bit
//! for bit (tested exhaustively: all 256 int8 inputs and all 65,536 int16
//! inputs). Every step is tagged with a [`Role`], so that a caller can count
//! the work inside exp separately.
//!
//! **exp** (`e^x` for `x ≤ 0`, the part every other function uses), in P-bit
//! integers: the input `n` (≤ 0) is clamped to `n ≥ n_min`, below which
//! `e^(n·s)` rounds to 0; `t = ⌊n·L / 2^g⌋` is `n·s·log2 e` with `f_t = P − 8`
//! fraction bits (`L = round(s·log2 e·2^(f_t+g))`, one signed multiply);
//! `k = ⌊(t + ½) / 1⌋` (an add and a wiring shift) and `r = t − k ∈ [−½, ½)`
//! (wiring and a subtract): the range reduction by ln 2 done in the log2
//! domain, so that any input scale works. `2^r = e^(r·ln2)` is a Taylor
//! polynomial in Horner form (degree 3 for int8, 5 for int16; coefficients
//! `(ln 2)^i / i!` with `P − 2` fraction bits; signed multiply, wiring shift,
//! add per degree), and the scale by `2^k` is a barrel shift right by
//! `P − 2 − f_e − k` (one subtract for the amount), rounded to nearest by one
//! more add. No table ROM: every operation is a unit that exists; Taylor (not
//! minimax) keeps the constants derivable by hand.
//!
//! **sigmoid**: `σ(|x|) = 1 / (1 + e^−|x|)` by exp, an add and one rounded
//! division `(2^(f_e+f_o) + d/2) / d` on the P-bit divider, then `1 − σ(|x|)`
//! for negative x, chosen by a selector on x's sign. **tanh**: `tanh |x| =
//! (1 − e^−2|x|) / (1 + e^−2|x|)` (exp with the doubled scale, subtract, add,
//! rounded division), negated for negative x. **SiLU** `x·σ(x)`: σ at
//! `W − 2` fraction bits, one signed multiply with rounding; its output has the
//! input's scale (`out_frac` unused). **softmax** of n values: maximum
//! (comparator-and-selector chain), subtract, exp of each difference, sum
//! (adder chain), rounded division of each by the sum. **rsqrt** `1/√(x·s)`:
//! `x ≥ 1` (x ≤ 0 is taken as 1), the square root of `x·2^(2P−W)` on the
//! P-bit root unit, a rounded division of `round(2^(f_o + P − W/2) / √s)` by it
//! on the 2P-bit divider, saturated to `2^(W−1) − 1`.
//!
//! ```
//! use tosim_micro::fixed::{FixedFn, FixedProgram, FixedSpec};
//! use tosim_micro::GateRunner;
//! // int8 sigmoid, Q4.4 in (x/16), Q2.6 out (y/64).
//! let p = FixedProgram::build(FixedFn::Sigmoid, FixedSpec::q(8, 4, 6).unwrap()).unwrap();
//! // σ(1) = 0.7311 → round(0.7311·64) = 47; σ(−1) = 1 − σ(1) → 64 − 47 = 17.
//! assert_eq!(p.run_plain(&[16]), vec![47]);
//! assert_eq!(p.run_plain(&[-16]), vec![17]);
//! let mut g = GateRunner::new();
//! assert_eq!(p.run_gates(&mut g, &[vec![16], vec![-16]]).unwrap(), vec![vec![47], vec![17]]);
//! ```

use std::f64::consts::{LN_2, LOG2_E};
use std::fmt;

use serde::Serialize;
use thiserror::Error;

use crate::{GateRunner, MicroError, MicroOp, MicroProgram, RegId, Src, Step};
use tosim_units::float::{FloatError, Format};
use tosim_units::{mask, sext};

/// Why a fixed-point program cannot be built or run.
#[derive(Debug, Error)]
pub enum FixedError {
    /// A parameter out of range.
    #[error("fixed-point {func}: {what}")]
    Param {
        /// The function (`sigmoid`…).
        func: String,
        /// What is wrong.
        what: String,
    },
    /// A unit failed (generation or evaluation).
    #[error(transparent)]
    Float(#[from] FloatError),
    /// A unit could not be built for the gate-level run.
    #[error(transparent)]
    Micro(Box<MicroError>),
}

impl From<MicroError> for FixedError {
    fn from(e: MicroError) -> Self {
        FixedError::Micro(Box::new(e))
    }
}

/// The function a fixed-point program computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum FixedFn {
    /// `e^x` for `x ≤ 0` (positive inputs give `e^0 = 1`).
    Exp,
    /// `1 / (1 + e^−x)`.
    Sigmoid,
    /// `tanh x`.
    Tanh,
    /// `x·σ(x)`; output at the input's scale.
    Silu,
    /// Softmax of this many values.
    Softmax(usize),
    /// `1 / √x` (x ≤ 0 taken as one input step).
    Rsqrt,
}

impl FixedFn {
    /// Short name (`exp`, `sigmoid`, `tanh`, `silu`, `softmax`, `rsqrt`).
    pub fn name(self) -> &'static str {
        match self {
            FixedFn::Exp => "exp",
            FixedFn::Sigmoid => "sigmoid",
            FixedFn::Tanh => "tanh",
            FixedFn::Silu => "silu",
            FixedFn::Softmax(_) => "softmax",
            FixedFn::Rsqrt => "rsqrt",
        }
    }

    /// Values in (and out).
    pub fn arity(self) -> usize {
        match self {
            FixedFn::Softmax(n) => n,
            _ => 1,
        }
    }
}

impl fmt::Display for FixedFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Operand width and scales of a fixed-point program (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FixedSpec {
    /// Input and output width W: 8 or 16.
    pub width: u32,
    /// Real value of one input step (`2^−n` for a Qm.n input).
    pub in_scale: f64,
    /// Fraction bits of the output (at most W − 2, so that 1.0 fits).
    pub out_frac: u32,
}

impl FixedSpec {
    /// A spec; checks the width, the scale and the output fraction bits.
    pub fn new(width: u32, in_scale: f64, out_frac: u32) -> Result<FixedSpec, FixedError> {
        let bad = |what: String| FixedError::Param { func: "spec".into(), what };
        if width != 8 && width != 16 {
            return Err(bad(format!("width {width}: expected 8 or 16")));
        }
        if !(in_scale > 0.0 && in_scale.is_finite()) {
            return Err(bad(format!("input scale {in_scale} is not a positive number")));
        }
        if !(2..=width - 2).contains(&out_frac) {
            return Err(bad(format!("{out_frac} output fraction bits: expected 2..={} for width {width}", width - 2)));
        }
        Ok(FixedSpec { width, in_scale, out_frac })
    }

    /// `Q(W−n).n` input (scale `2^−in_frac`) and `out_frac` output fraction bits.
    pub fn q(width: u32, in_frac: u32, out_frac: u32) -> Result<FixedSpec, FixedError> {
        FixedSpec::new(width, (2f64).powi(-(in_frac as i32)), out_frac)
    }

    /// Internal width P = 2W.
    pub fn internal(&self) -> u32 {
        2 * self.width
    }

    /// Real value of one output step.
    pub fn out_scale(&self) -> f64 {
        (2f64).powi(-(self.out_frac as i32))
    }
}

/// What part of the function a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Role {
    /// Inside an exponential (range reduction, polynomial, scale by `2^k`).
    Exp,
    /// Everything else (clamps, max, sums, divisions, square roots, selects).
    Other,
}

/// Constants of one exp: input scale, output fraction bits.
#[derive(Debug, Clone, PartialEq)]
struct ExpConsts {
    /// Fraction bits of t and r.
    ft: u32,
    /// Fraction bits of the polynomial.
    fp: u32,
    /// Fraction bits of the result.
    fe: u32,
    /// `t = ⌊n·l / 2^g⌋`.
    l: i128,
    g: u32,
    /// Smallest n.
    nmin: i128,
    /// Polynomial coefficients, degree 0 first.
    coef: Vec<i128>,
}

fn exp_consts(func: FixedFn, w: u32, scale: f64, fe: u32) -> Result<ExpConsts, FixedError> {
    let p = 2 * w;
    let ft = p - 8;
    let fp = p - 2;
    let bad = |what: String| FixedError::Param { func: func.name().into(), what };
    if fe + 1 > fp {
        return Err(bad(format!("exp result with {fe} fraction bits does not fit {p}-bit units")));
    }
    let lim = 1i128 << (p - 2);
    let lof = |g: u32| (scale * LOG2_E * (2f64).powi((ft + g) as i32)).round() as i128;
    if lof(0) >= lim {
        return Err(bad(format!(
            "input scale {scale} is too coarse for {w}-bit fixed point (one step ≥ 2^7 / log2 e)"
        )));
    }
    let mut g = 0;
    while g < 2 * p - 2 && lof(g + 1) < lim {
        g += 1;
    }
    let l = lof(g);
    if l == 0 {
        return Err(bad(format!("input scale {scale} is too fine for {w}-bit fixed point")));
    }
    // n·l / 2^g ≥ −(fe + 2)·2^ft: below, e^(n·s) < 2^−(fe+2), which rounds to 0.
    let nmin = (-((i128::from(fe) + 2) << (ft + g)) / l).max(-(1i128 << (p - 1)) + 1);
    let deg = if w == 8 { 3 } else { 5 };
    let fact = |i: i32| (1..=i).map(f64::from).product::<f64>();
    let coef = (0..=deg).map(|i| (LN_2.powi(i) / fact(i) * (2f64).powi(fp as i32)).round() as i128).collect();
    Ok(ExpConsts { ft, fp, fe, l, g, nmin, coef })
}

/// Everything a program's algorithm needs, computed once from the spec.
#[derive(Debug, Clone, PartialEq)]
struct Consts {
    func: FixedFn,
    w: u32,
    p: u32,
    fo: u32,
    exp: Option<ExpConsts>,
    /// rsqrt numerator `round(2^(fo + P − W/2) / √s)`.
    c: i128,
}

fn consts(func: FixedFn, s: &FixedSpec) -> Result<Consts, FixedError> {
    let (w, p) = (s.width, s.internal());
    let bad = |what: String| FixedError::Param { func: func.name().into(), what };
    let fo = s.out_frac;
    let mut c = 0;
    let exp = match func {
        FixedFn::Exp => Some(exp_consts(func, w, s.in_scale, fo)?),
        FixedFn::Sigmoid => Some(exp_consts(func, w, s.in_scale, p - 1 - fo)?),
        FixedFn::Silu => Some(exp_consts(func, w, s.in_scale, p - 1 - (w - 2))?),
        FixedFn::Tanh => Some(exp_consts(func, w, 2.0 * s.in_scale, p - 2 - fo)?),
        FixedFn::Softmax(n) => {
            if n == 0 {
                return Err(bad("softmax of no values".into()));
            }
            // Largest fe ≤ P − 2 − fo with n·2^fe < 2^(P−1) (the sum) and
            // 2^(fe+fo) + n·2^(fe−1) < 2^P (the rounded dividend).
            let n = n as i128;
            let mut fe = (p - 2 - fo) as i32;
            while fe > 0 && (n << fe >= 1i128 << (p - 1) || (1i128 << (fe as u32 + fo)) + (n << (fe - 1)) >= 1i128 << p)
            {
                fe -= 1;
            }
            if fe < fo as i32 {
                return Err(bad(format!("{n} values are too many for {w}-bit fixed point")));
            }
            Some(exp_consts(func, w, s.in_scale, fe as u32)?)
        }
        FixedFn::Rsqrt => {
            let v = (2f64).powi((fo + p - w / 2) as i32) / s.in_scale.sqrt();
            if !(v.is_finite() && v < (2f64).powi(2 * p as i32 - 2)) {
                return Err(bad(format!("input scale {} with {fo} output fraction bits overflows", s.in_scale)));
            }
            c = v.round() as i128;
            None
        }
    };
    Ok(Consts { func, w, p, fo, exp, c })
}

/// How a step is carried out: recorded as a [`Step`], or computed at once.
trait Emit {
    type V: Copy;
    fn c(&mut self, v: i128, width: u32) -> Self::V;
    fn op(&mut self, op: MicroOp, args: &[Self::V]) -> Self::V;
    fn role(&mut self, r: Role);
    fn lane(&mut self, _: usize) {}
}

struct Record {
    steps: Vec<Step>,
    roles: Vec<Role>,
    lanes: Vec<usize>,
    regs: usize,
    role: Role,
    lane: usize,
}

impl Emit for Record {
    type V = Src;
    fn c(&mut self, v: i128, width: u32) -> Src {
        Src::Const(v as u128 & mask(width))
    }
    fn op(&mut self, op: MicroOp, args: &[Src]) -> Src {
        let dst = RegId::from_index(self.regs);
        self.regs += 1;
        self.steps.push(Step { op, dst, srcs: args.to_vec() });
        self.roles.push(self.role);
        self.lanes.push(self.lane);
        Src::Reg(dst)
    }
    fn role(&mut self, r: Role) {
        self.role = r;
    }
    fn lane(&mut self, l: usize) {
        self.lane = l;
    }
}

/// Plain integer arithmetic: the function of every unit, written out.
struct Plain;

fn isqrt(a: u128) -> u128 {
    // Newton from above; exact floor.
    if a < 2 {
        return a;
    }
    let mut x = 1u128 << (128 - a.leading_zeros()).div_ceil(2);
    loop {
        let y = (x + a / x) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

impl Emit for Plain {
    type V = u128;
    fn c(&mut self, v: i128, width: u32) -> u128 {
        v as u128 & mask(width)
    }
    fn op(&mut self, op: MicroOp, a: &[u128]) -> u128 {
        match op {
            MicroOp::IntAdd { width } => (a[0] & mask(width)).wrapping_add(a[1] & mask(width)) & mask(width),
            MicroOp::IntSub { width } => (a[0] & mask(width)).wrapping_sub(a[1] & mask(width)) & mask(width),
            MicroOp::IntMulShr { width, shift } => {
                let p = sext(a[0], width) * sext(a[1], width);
                (sext(p as u128 & mask(2 * width), 2 * width) >> shift) as u128 & mask(width)
            }
            MicroOp::IntSar { width } => {
                let sh = a[1].min(u128::from(width) - 1);
                (sext(a[0], width) >> sh) as u128 & mask(width)
            }
            MicroOp::IntMax { width } => sext(a[0], width).max(sext(a[1], width)) as u128 & mask(width),
            MicroOp::IntDiv { width } => {
                let (x, y) = (a[0] & mask(width), a[1] & mask(width));
                x.checked_div(y).unwrap_or(mask(width))
            }
            MicroOp::IntSqrt { width } => isqrt(a[0] & mask(2 * width)),
            MicroOp::Select { width } => {
                if a[0] >> (width - 1) & 1 == 1 {
                    a[2] & mask(width)
                } else {
                    a[1] & mask(width)
                }
            }
            MicroOp::Shl { amount, width } => (a[0] << amount) & mask(width),
            MicroOp::Sar { amount, width } => (sext(a[0], width) >> amount) as u128 & mask(width),
            // Float steps never occur in fixed-point programs.
            MicroOp::Float(_) => 0,
        }
    }
    fn role(&mut self, _: Role) {}
}

/// Sign-extends a W-bit value to P bits (wiring).
fn widen<E: Emit>(e: &mut E, x: E::V, w: u32, p: u32) -> E::V {
    let y = e.op(MicroOp::Shl { amount: p - w, width: p }, &[x]);
    e.op(MicroOp::Sar { amount: p - w, width: p }, &[y])
}

/// `e^(n·s)` for a P-bit `n ≤ 0`, with `k.fe` fraction bits.
fn exp_core<E: Emit>(e: &mut E, k: &ExpConsts, p: u32, n: E::V) -> E::V {
    e.role(Role::Exp);
    let nmin = e.c(k.nmin, p);
    let n = e.op(MicroOp::IntMax { width: p }, &[n, nmin]);
    let l = e.c(k.l, p);
    let t = e.op(MicroOp::IntMulShr { width: p, shift: k.g }, &[n, l]);
    let half = e.c(1 << (k.ft - 1), p);
    let th = e.op(MicroOp::IntAdd { width: p }, &[t, half]);
    let kk = e.op(MicroOp::Sar { amount: k.ft, width: p }, &[th]);
    let kq = e.op(MicroOp::Shl { amount: k.ft, width: p }, &[kk]);
    let r = e.op(MicroOp::IntSub { width: p }, &[t, kq]);
    let deg = k.coef.len() - 1;
    let mut poly = e.c(k.coef[deg], p);
    for i in (0..deg).rev() {
        let m = e.op(MicroOp::IntMulShr { width: p, shift: k.ft }, &[poly, r]);
        let ci = e.c(k.coef[i], p);
        poly = e.op(MicroOp::IntAdd { width: p }, &[m, ci]);
    }
    // round(poly·2^k / 2^(fp−fe)) = (poly >> (fp − fe − 1 − k) + 1) >> 1.
    let base = e.c(i128::from(k.fp - k.fe - 1), p);
    let sa = e.op(MicroOp::IntSub { width: p }, &[base, kk]);
    let y = e.op(MicroOp::IntSar { width: p }, &[poly, sa]);
    let one = e.c(1, p);
    let y = e.op(MicroOp::IntAdd { width: p }, &[y, one]);
    let y = e.op(MicroOp::Sar { amount: 1, width: p }, &[y]);
    e.role(Role::Other);
    y
}

/// `−|x|` of a W-bit x (−2^(W−1) saturated to −(2^(W−1) − 1)), widened to P bits.
fn neg_abs<E: Emit>(e: &mut E, w: u32, p: u32, x: E::V) -> E::V {
    let lo = e.c(-(1i128 << (w - 1)) + 1, w);
    let zero = e.c(0, w);
    let xs = e.op(MicroOp::IntMax { width: w }, &[x, lo]);
    let nx = e.op(MicroOp::IntSub { width: w }, &[zero, xs]);
    let ax = e.op(MicroOp::IntMax { width: w }, &[xs, nx]);
    let n = e.op(MicroOp::IntSub { width: w }, &[zero, ax]);
    widen(e, n, w, p)
}

/// σ(x) with `fo` fraction bits (W-bit, non-negative).
fn sigmoid_core<E: Emit>(e: &mut E, k: &ExpConsts, w: u32, p: u32, fo: u32, x: E::V) -> E::V {
    let n = neg_abs(e, w, p, x);
    let ex = exp_core(e, k, p, n);
    let one = e.c(1 << k.fe, p);
    let d = e.op(MicroOp::IntAdd { width: p }, &[ex, one]);
    let h = e.op(MicroOp::Sar { amount: 1, width: p }, &[d]);
    let top = e.c(1 << (k.fe + fo), p);
    let num = e.op(MicroOp::IntAdd { width: p }, &[top, h]);
    let s = e.op(MicroOp::IntDiv { width: p }, &[num, d]);
    let onew = e.c(1 << fo, w);
    let om = e.op(MicroOp::IntSub { width: w }, &[onew, s]);
    e.op(MicroOp::Select { width: w }, &[x, s, om])
}

/// The algorithm of every function, generic over how steps are carried out.
fn algo<E: Emit>(e: &mut E, k: &Consts, xs: &[E::V]) -> Vec<E::V> {
    let (w, p, fo) = (k.w, k.p, k.fo);
    let Some(ec) = k.exp.as_ref() else {
        // Rsqrt.
        let one = e.c(1, w);
        let x1 = e.op(MicroOp::IntMax { width: w }, &[xs[0], one]);
        let r = e.op(MicroOp::Shl { amount: 2 * p - w, width: 2 * p }, &[x1]);
        let s = e.op(MicroOp::IntSqrt { width: p }, &[r]);
        let h = e.op(MicroOp::Sar { amount: 1, width: 2 * p }, &[s]);
        let c = e.c(k.c, 2 * p);
        let num = e.op(MicroOp::IntAdd { width: 2 * p }, &[c, h]);
        let q = e.op(MicroOp::IntDiv { width: 2 * p }, &[num, s]);
        let lim = e.c(1i128 << (w - 1), 2 * p);
        let cmp = e.op(MicroOp::IntSub { width: 2 * p }, &[q, lim]);
        let qmax = e.c((1i128 << (w - 1)) - 1, 2 * p);
        return vec![e.op(MicroOp::Select { width: 2 * p }, &[cmp, qmax, q])];
    };
    match k.func {
        FixedFn::Exp => {
            let zero = e.c(0, w);
            let m = e.op(MicroOp::IntMax { width: w }, &[xs[0], zero]);
            let n = e.op(MicroOp::IntSub { width: w }, &[xs[0], m]);
            let n = widen(e, n, w, p);
            vec![exp_core(e, ec, p, n)]
        }
        FixedFn::Sigmoid => vec![sigmoid_core(e, ec, w, p, fo, xs[0])],
        FixedFn::Silu => {
            let fs = w - 2;
            let s = sigmoid_core(e, ec, w, p, fs, xs[0]);
            let xw = widen(e, xs[0], w, p);
            let m = e.op(MicroOp::IntMulShr { width: p, shift: fs - 1 }, &[xw, s]);
            let one = e.c(1, p);
            let m = e.op(MicroOp::IntAdd { width: p }, &[m, one]);
            vec![e.op(MicroOp::Sar { amount: 1, width: p }, &[m])]
        }
        FixedFn::Tanh => {
            let x = xs[0];
            let n = neg_abs(e, w, p, x);
            let ex = exp_core(e, ec, p, n);
            let one = e.c(1 << ec.fe, p);
            let num = e.op(MicroOp::IntSub { width: p }, &[one, ex]);
            let den = e.op(MicroOp::IntAdd { width: p }, &[one, ex]);
            let num = e.op(MicroOp::Shl { amount: fo, width: p }, &[num]);
            let h = e.op(MicroOp::Sar { amount: 1, width: p }, &[den]);
            let num = e.op(MicroOp::IntAdd { width: p }, &[num, h]);
            let q = e.op(MicroOp::IntDiv { width: p }, &[num, den]);
            let zero = e.c(0, w);
            let nq = e.op(MicroOp::IntSub { width: w }, &[zero, q]);
            vec![e.op(MicroOp::Select { width: w }, &[x, q, nq])]
        }
        FixedFn::Softmax(_) | FixedFn::Rsqrt => {
            // Lane i: the steps that involve value i (see the module documentation).
            let mut m = xs[0];
            for (i, &x) in xs.iter().enumerate().skip(1) {
                e.lane(i);
                m = e.op(MicroOp::IntMax { width: w }, &[m, x]);
            }
            let mut es = Vec::with_capacity(xs.len());
            for (i, &x) in xs.iter().enumerate() {
                e.lane(i);
                let mw = widen(e, m, w, p);
                let xw = widen(e, x, w, p);
                let d = e.op(MicroOp::IntSub { width: p }, &[xw, mw]);
                es.push(exp_core(e, ec, p, d));
            }
            let mut s = es[0];
            for (i, &x) in es.iter().enumerate().skip(1) {
                e.lane(i);
                s = e.op(MicroOp::IntAdd { width: p }, &[s, x]);
            }
            es.iter()
                .enumerate()
                .map(|(i, &x)| {
                    e.lane(i);
                    let h = e.op(MicroOp::Sar { amount: 1, width: p }, &[s]);
                    let t = e.op(MicroOp::Shl { amount: fo, width: p }, &[x]);
                    let t = e.op(MicroOp::IntAdd { width: p }, &[t, h]);
                    e.op(MicroOp::IntDiv { width: p }, &[t, s])
                })
                .collect()
        }
    }
}

/// A fixed-point function as a micro-program (see the module documentation).
#[derive(Debug, Clone)]
pub struct FixedProgram {
    /// What it computes.
    pub func: FixedFn,
    /// Widths and scales.
    pub spec: FixedSpec,
    /// The program (its `format` field is unused: no float steps).
    pub program: MicroProgram,
    /// The role of each step, in step order.
    pub roles: Vec<Role>,
    /// The value each step belongs to, in step order: for a softmax, step
    /// `i` works for value `lanes[i]` (the maximum and sum chains' step that
    /// takes value j in lane j, the subtract, exp and division of value j in
    /// lane j); 0 for one-value programs.
    pub lanes: Vec<usize>,
    consts: Consts,
}

impl PartialEq for FixedProgram {
    /// Programs are derived from `(func, spec)` alone.
    fn eq(&self, o: &Self) -> bool {
        self.func == o.func && self.spec == o.spec
    }
}

/// The result of one integer or wiring step on register values, in plain
/// integer arithmetic (what [`FixedProgram::run_plain`] uses; float steps give 0).
pub fn plain_op(op: MicroOp, args: &[u128]) -> u128 {
    Plain.op(op, args)
}

/// Whether a step is wiring (no unit).
pub fn is_wiring(op: MicroOp) -> bool {
    matches!(op, MicroOp::Shl { .. } | MicroOp::Sar { .. })
}

/// The operands a step drives into its unit's input buses, from its register
/// operands: the adder's carry-in is 0, the barrel shifter's amount is
/// clamped to `width − 1`; other units take the operands as they are.
pub fn unit_operands(op: MicroOp, args: &[u128]) -> Vec<u128> {
    op.unit_inputs(args)
}

/// The step's register result from its unit's output buses (the product of
/// [`MicroOp::IntMulShr`] shifted and truncated, the first output otherwise).
pub fn unit_result(op: MicroOp, out: &[u128]) -> u128 {
    op.unit_result(out)
}

/// Accuracy of a program against `f64` over a set of inputs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Accuracy {
    /// Inputs (vectors) measured.
    pub inputs: usize,
    /// Largest absolute error, in output steps.
    pub max_abs_lsb: f64,
    /// Mean absolute error, in output steps.
    pub mean_abs_lsb: f64,
    /// Largest absolute error, in real units.
    pub max_abs: f64,
    /// First input (element 0 of the vector) where the largest error occurs.
    pub worst_input: i64,
}

impl FixedProgram {
    /// Builds `func` for `spec`.
    pub fn build(func: FixedFn, spec: FixedSpec) -> Result<FixedProgram, FixedError> {
        let consts = consts(func, &spec)?;
        let mut r =
            Record { steps: Vec::new(), roles: Vec::new(), lanes: Vec::new(), regs: 0, role: Role::Other, lane: 0 };
        let n = func.arity();
        r.regs = n;
        let inputs: Vec<RegId> = (0..n).map(RegId::from_index).collect();
        let xs: Vec<Src> = inputs.iter().map(|&r| Src::Reg(r)).collect();
        let ys = algo(&mut r, &consts, &xs);
        let outputs = ys.iter().filter_map(|y| y.reg()).collect();
        let name = match func {
            FixedFn::Softmax(n) => format!("fixed_softmax{n}"),
            f => format!("fixed_{f}"),
        };
        let program = MicroProgram {
            name: format!("{name}_i{}_s{:e}_f{}", spec.width, spec.in_scale, spec.out_frac),
            format: Format::Binary16,
            inputs,
            outputs,
            steps: r.steps,
            regs: r.regs,
        };
        Ok(FixedProgram { func, spec, program, roles: r.roles, lanes: r.lanes, consts })
    }

    /// Values per input vector.
    pub fn arity(&self) -> usize {
        self.func.arity()
    }

    /// Real value of one output step (the input's scale for SiLU).
    pub fn out_scale(&self) -> f64 {
        match self.func {
            FixedFn::Silu => self.spec.in_scale,
            _ => self.spec.out_scale(),
        }
    }

    fn enc(&self, x: &[i64]) -> Vec<u128> {
        x.iter().map(|&v| v as u128 & mask(self.spec.width)).collect()
    }

    fn dec(&self, y: &[u128]) -> Vec<i64> {
        y.iter().map(|&v| sext(v, self.spec.width) as i64).collect()
    }

    /// The plain-Rust reference: the same algorithm in integer arithmetic
    /// (inputs W-bit signed; missing inputs are 0).
    pub fn run_plain(&self, x: &[i64]) -> Vec<i64> {
        let mut xs = self.enc(x);
        xs.resize(self.arity(), 0);
        let ys = algo(&mut Plain, &self.consts, &xs);
        self.dec(&ys)
    }

    /// The program on the units' software references ([`MicroProgram::run_reference`]).
    pub fn run_reference(&self, x: &[i64]) -> Result<Vec<i64>, FixedError> {
        Ok(self.dec(&self.program.run_reference(&self.enc(x))?))
    }

    /// The program on the gate-level units, many input vectors at once.
    pub fn run_gates(&self, runner: &mut GateRunner, xs: &[Vec<i64>]) -> Result<Vec<Vec<i64>>, FixedError> {
        let ins: Vec<Vec<u128>> = xs.iter().map(|x| self.enc(x)).collect();
        Ok(runner.run(&self.program, &ins)?.iter().map(|y| self.dec(y)).collect())
    }

    /// The exact function (f64) of the real inputs, in output steps, saturated
    /// to the W-bit range as the program saturates.
    pub fn truth(&self, x: &[i64]) -> Vec<f64> {
        let s = self.spec.in_scale;
        let os = self.out_scale();
        let q = ((1i64 << (self.spec.width - 1)) - 1) as f64;
        let v: Vec<f64> = x.iter().map(|&a| a as f64 * s).collect();
        let sig = |t: f64| 1.0 / (1.0 + (-t).exp());
        let out: Vec<f64> = match self.func {
            FixedFn::Exp => vec![v[0].min(0.0).exp()],
            FixedFn::Sigmoid => vec![sig(v[0])],
            FixedFn::Tanh => vec![v[0].tanh()],
            FixedFn::Silu => vec![v[0] * sig(v[0])],
            FixedFn::Softmax(_) => {
                let m = v.iter().fold(f64::NEG_INFINITY, |m, &a| m.max(a));
                let e: Vec<f64> = v.iter().map(|&a| (a - m).exp()).collect();
                let t: f64 = e.iter().sum();
                e.iter().map(|a| a / t).collect()
            }
            FixedFn::Rsqrt => vec![1.0 / (x[0].max(1) as f64 * s).sqrt()],
        };
        out.iter().map(|&y| (y / os).clamp(-q, q)).collect()
    }

    /// Accuracy of [`FixedProgram::run_plain`] against [`FixedProgram::truth`] over `inputs`.
    pub fn accuracy(&self, inputs: &[Vec<i64>]) -> Accuracy {
        let mut a =
            Accuracy { inputs: inputs.len(), max_abs_lsb: 0.0, mean_abs_lsb: 0.0, max_abs: 0.0, worst_input: 0 };
        let mut sum = 0.0;
        let mut count = 0usize;
        for x in inputs {
            for (y, t) in self.run_plain(x).iter().zip(self.truth(x)) {
                let d = (*y as f64 - t).abs();
                sum += d;
                count += 1;
                if d > a.max_abs_lsb {
                    a.max_abs_lsb = d;
                    a.worst_input = x[0];
                }
            }
        }
        a.mean_abs_lsb = if count > 0 { sum / count as f64 } else { 0.0 };
        a.max_abs = a.max_abs_lsb * self.out_scale();
        a
    }

    /// Every W-bit input (256 or 65,536 single-value vectors).
    pub fn all_inputs(&self) -> Vec<Vec<i64>> {
        let h = 1i64 << (self.spec.width - 1);
        (-h..h).map(|x| vec![x]).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The functions and specs under test: int8 Q4.4 → Q2.6, int16 Q5.11 → Q2.14
    /// (rsqrt: int8 Q4.4 → Q4.4, int16 Q8.8 → Q8.8; softmax of 3 values).
    fn cases() -> Vec<FixedProgram> {
        let mut v = Vec::new();
        for (w, fi, fo) in [(8, 4, 6), (16, 11, 14)] {
            for f in [FixedFn::Exp, FixedFn::Sigmoid, FixedFn::Tanh, FixedFn::Silu, FixedFn::Softmax(3)] {
                v.push(FixedProgram::build(f, FixedSpec::q(w, fi, fo).unwrap()).unwrap());
            }
        }
        v.push(FixedProgram::build(FixedFn::Rsqrt, FixedSpec::q(8, 4, 4).unwrap()).unwrap());
        v.push(FixedProgram::build(FixedFn::Rsqrt, FixedSpec::q(16, 8, 8).unwrap()).unwrap());
        v
    }

    /// Inputs: every W-bit value for one-input functions; for softmax, every
    /// value in position 0 against a few fixed others.
    fn inputs(p: &FixedProgram, stride: i64) -> Vec<Vec<i64>> {
        let h = 1i64 << (p.spec.width - 1);
        let xs = (-h..h).step_by(stride as usize);
        match p.func {
            FixedFn::Softmax(_) => xs.map(|x| vec![x, h / 3, -h / 5]).collect(),
            _ => xs.map(|x| vec![x]).collect(),
        }
    }

    /// Plain Rust, the units' references and the gate-level units agree bit
    /// for bit on every input: all 256 int8 and all 65,536 int16 values (for
    /// softmax, every value of the first input against two fixed others).
    #[test]
    fn plain_reference_and_gates_agree() {
        let mut g = GateRunner::new();
        for p in cases() {
            let xs = inputs(&p, 1);
            let gates = p.run_gates(&mut g, &xs).unwrap();
            for (x, y) in xs.iter().zip(&gates) {
                assert_eq!(&p.run_plain(x), y, "{} {:?}", p.program.name, x);
                assert_eq!(&p.run_reference(x).unwrap(), y, "{} {:?}", p.program.name, x);
            }
        }
    }

    /// Accuracy over every input (softmax: over the input sets above), in
    /// output steps. Bounds: the measured maxima rounded up (docs/network-numerics.md).
    #[test]
    fn accuracy_over_every_input() {
        for p in cases() {
            let a = p.accuracy(&inputs(&p, 1));
            let ops = p.program.op_counts();
            eprintln!(
                "| {} | {:.3} | {:.3} | {} | {} | {} |",
                p.program.name,
                a.max_abs_lsb,
                a.mean_abs_lsb,
                a.worst_input,
                ops.values().sum::<usize>(),
                ops.iter().filter(|(k, _)| k.starts_with("div")).map(|(_, v)| v).sum::<usize>()
            );
            assert!(a.max_abs_lsb < 1.0, "{}: {a:?}", p.program.name);
        }
    }

    /// Hand-derived values.
    #[test]
    fn by_hand() {
        let s = FixedProgram::build(FixedFn::Sigmoid, FixedSpec::q(8, 4, 6).unwrap()).unwrap();
        // σ(0) = 1/2 → 32; σ(8) = 0.99966 → 64 (1.0); σ(−8) → 0.
        assert_eq!(s.run_plain(&[0]), vec![32]);
        assert_eq!(s.run_plain(&[127]), vec![64]);
        assert_eq!(s.run_plain(&[-128]), vec![0]);
        let e = FixedProgram::build(FixedFn::Exp, FixedSpec::q(16, 11, 14).unwrap()).unwrap();
        // e^0 = 1 → 16384; e^−1 = 0.367879 → 6027.5 (truth), any x > 0 → 1.
        assert_eq!(e.run_plain(&[0]), vec![16384]);
        assert_eq!(e.run_plain(&[100]), vec![16384]);
        assert!((e.run_plain(&[-2048])[0] - 6027).abs() <= 1);
        let r = FixedProgram::build(FixedFn::Rsqrt, FixedSpec::q(8, 4, 4).unwrap()).unwrap();
        // 1/√(4) = 0.5 → 8 (x = 64 = 4.0 in Q4.4); 1/√(1/16) = 4 → 64; x ≤ 0 → as x = 1.
        assert_eq!(r.run_plain(&[64]), vec![8]);
        assert_eq!(r.run_plain(&[1]), vec![64]);
        assert_eq!(r.run_plain(&[-5]), vec![64]);
        let t = FixedProgram::build(FixedFn::Softmax(2), FixedSpec::q(8, 4, 6).unwrap()).unwrap();
        // Equal inputs: 1/2 each → 32.
        assert_eq!(t.run_plain(&[5, 5]), vec![32, 32]);
    }

    #[test]
    fn bad_specs_are_errors() {
        assert!(FixedSpec::q(12, 4, 6).is_err());
        assert!(FixedSpec::q(8, 4, 7).is_err());
        assert!(FixedSpec::new(8, f64::NAN, 6).is_err());
        let coarse = FixedSpec::new(8, 1000.0, 6).unwrap();
        let e = FixedProgram::build(FixedFn::Sigmoid, coarse).unwrap_err().to_string();
        assert!(e.contains("too coarse"), "{e}");
        assert!(FixedProgram::build(FixedFn::Softmax(0), FixedSpec::q(8, 4, 6).unwrap()).is_err());
    }
}

//! Micro-programs: elementary functions as sequences of unit operations.
//!
//! A [`MicroProgram`] is a straight-line list of [`Step`]s over numbered
//! registers. Each step applies one [`MicroOp`] — a floating-point unit
//! ([`FloatSpec`]), an integer adder or subtractor of tosim-units, or a
//! constant shift (wiring, no gates) — to registers and constants (IEEE or
//! two's-complement bit patterns), and writes one register. Registers hold
//! bit patterns; what they mean is up to the operations that read them.
//!
//! The same program runs two ways, which must agree bit for bit:
//! [`MicroProgram::run_reference`] computes each step with the unit's
//! [`tosim_units::float::reference()`] (Rust's `f32`, `f64` rounded by `half`, Rust integer
//! arithmetic), and [`GateRunner::run`] drives the gate-level netlists with the
//! real intermediate values, for many inputs at once, and keeps every unit's
//! operand stream (the input of a switching simulation).
//!
//! Programs here (for [`Format`] `f`): [`exp`], [`sigmoid`], [`tanh`],
//! [`silu`], [`gelu`], [`rsqrt`], [`softmax`] in floating point, and [`fixed_exp`],
//! [`fixed_sigmoid`] in int16 fixed point (Q4.11 in, Q1.14 out).
//!
//! **exp** reduces the argument by ln 2: `k = round(x·log2 e)`,
//! `r = x − k·ln2_hi − k·ln2_lo` (Cody & Waite 1980: `ln2_hi` has few enough
//! bits that `k·ln2_hi` is exact), so `|r| ≤ ln2/2`; then a Taylor polynomial
//! in Horner form, and the scale by `2^k` as two multiplications by powers of
//! two built in the exponent field by an integer adder (`2^⌊k/2⌋ · 2^(k−⌊k/2⌋)`
//! so that both factors are normal and a subnormal result is rounded once).
//! Why this method: the scale by a power of two is exact and costs only an
//! integer add, the reduced interval makes a short polynomial enough (degree
//! 3, 4, 7 for bfloat16, binary16, binary32), and it needs no table ROM —
//! every operation is a unit that already exists. Taylor coefficients (not
//! minimax) keep the constants derivable by hand; the accuracy cost is
//! measured in `docs/float.md`. The input is clamped (minNum/maxNum) to the
//! range where the result is neither certainly 0 nor certainly ∞, so NaN
//! inputs are not propagated.

use std::collections::HashMap;

use serde::Serialize;
use tosim_units::{mask, sext, Arch, Kind, UnitSpec};

use thiserror::Error;
use tosim_sim::{HwUnit, HwUnitError};
use tosim_units::float::{generate, reference, Circuit, FloatError, FloatKind, FloatSpec, Format};

pub mod fixed;

/// Why a micro-program could not run on the gate-level units.
#[derive(Debug, Error)]
pub enum MicroError {
    /// A unit could not be generated or its reference failed.
    #[error(transparent)]
    Float(#[from] FloatError),
    /// A unit could not be bound or compiled.
    #[error(transparent)]
    Unit(#[from] HwUnitError),
}

tosim_cells::id_type!(
    /// A register of a [`MicroProgram`] (`0..regs`).
    #[derive(Serialize)]
    #[serde(transparent)]
    RegId
);

/// Where an operand comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Src {
    /// A register.
    Reg(RegId),
    /// A constant bit pattern.
    Const(u128),
}

impl Src {
    /// The register, if the operand is one.
    pub fn reg(self) -> Option<RegId> {
        match self {
            Src::Reg(r) => Some(r),
            Src::Const(_) => None,
        }
    }
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum MicroOp {
    /// A floating-point unit (operands and result as in [`tosim_units::float::registry`]).
    Float(FloatKind),
    /// `a + b` mod 2^width on the tosim-units adder.
    IntAdd {
        /// Width.
        width: u32,
    },
    /// `a − b` mod 2^width on the tosim-units subtractor.
    IntSub {
        /// Width.
        width: u32,
    },
    /// `(a × b) >> shift` of signed `width`-bit operands on the tosim-units
    /// signed multiplier (2·width-bit product, arithmetic shift, truncated to width).
    IntMulShr {
        /// Width.
        width: u32,
        /// Right shift of the product.
        shift: u32,
    },
    /// `a >> b` arithmetic (b unsigned, clamped by the shifter) on the tosim-units barrel shifter.
    IntSar {
        /// Width.
        width: u32,
    },
    /// `max(a, b)` signed, on the tosim-units comparator and multiplexers.
    IntMax {
        /// Width.
        width: u32,
    },
    /// `a / b` unsigned on the tosim-units restoring array divider (quotient; b = 0 gives all ones).
    IntDiv {
        /// Width.
        width: u32,
    },
    /// `⌊√a⌋` of an unsigned 2·`width`-bit `a` on the tosim-units restoring square root (the root, `width` bits).
    IntSqrt {
        /// Root width (the radicand has twice as many bits).
        width: u32,
    },
    /// `c < 0 ? b : a` (sign bit of `c`, operands `[c, a, b]`): `width` MUX2 cells.
    Select {
        /// Width.
        width: u32,
    },
    /// `a << amount` within `width` bits: wiring, no gates.
    Shl {
        /// Shift.
        amount: u32,
        /// Result width.
        width: u32,
    },
    /// `a >> amount` arithmetic (sign bit `from_width − 1`): wiring, no gates.
    Sar {
        /// Shift.
        amount: u32,
        /// Operand and result width.
        width: u32,
    },
}

/// One operation: `dst = op(srcs)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The operation.
    pub op: MicroOp,
    /// Destination register.
    pub dst: RegId,
    /// Operands in port order.
    pub srcs: Vec<Src>,
}

/// A straight-line program of unit operations (see the module documentation).
#[derive(Clone, Debug, Serialize)]
pub struct MicroProgram {
    /// Name, e.g. `exp_binary16`.
    pub name: String,
    /// Float format of the float operations (and of inputs and outputs unless fixed point).
    pub format: Format,
    /// Registers holding the inputs, in order.
    pub inputs: Vec<RegId>,
    /// Registers holding the outputs, in order.
    pub outputs: Vec<RegId>,
    /// The steps in order.
    pub steps: Vec<Step>,
    /// Number of registers.
    pub regs: usize,
}

impl MicroOp {
    /// The float unit spec of a [`MicroOp::Float`] step in `format`.
    pub fn float_spec(self, format: Format) -> Option<FloatSpec> {
        match self {
            MicroOp::Float(k) => Some(FloatSpec::new(k, format).with_int_width(16)),
            _ => None,
        }
    }

    /// The integer unit spec behind an integer step (`None` for wiring).
    pub fn int_spec(self) -> Option<UnitSpec> {
        match self {
            MicroOp::IntAdd { width } => Some(UnitSpec::new(Kind::Add, Arch::KoggeStone, width)),
            MicroOp::IntSub { width } => Some(UnitSpec::new(Kind::Sub, Arch::KoggeStone, width)),
            MicroOp::IntMulShr { width, .. } => {
                Some(UnitSpec::new(Kind::Mul, Arch::Dadda, width).signed(true).with_final_adder(Arch::KoggeStone))
            }
            MicroOp::IntSar { width } => Some(UnitSpec::new(Kind::Sar, Arch::Barrel, width)),
            MicroOp::IntMax { width } => Some(UnitSpec::new(Kind::Max, Arch::KoggeStone, width).signed(true)),
            MicroOp::IntDiv { width } => {
                Some(UnitSpec::new(Kind::Div, Arch::Restoring, width).with_final_adder(Arch::KoggeStone))
            }
            MicroOp::IntSqrt { width } => {
                Some(UnitSpec::new(Kind::Sqrt, Arch::Restoring, width).with_final_adder(Arch::KoggeStone))
            }
            _ => None,
        }
    }

    /// The netlist of a [`MicroOp::Select`] step (`c`, `a`, `b` in; `y` out).
    pub fn select_netlist(width: u32) -> Result<tosim_netlist::Netlist, FloatError> {
        let w = width as usize;
        let mut c = Circuit::new(&format!("select{width}"));
        let cond = c.input("c", w);
        let a = c.input("a", w);
        let b = c.input("b", w);
        let y = c.mux_bus(&a, &b, cond[w - 1]);
        c.output("y", &y);
        c.finish()
    }

    /// Stable name of the unit a step uses (`None` for wiring).
    pub fn unit_name(self, format: Format) -> Option<String> {
        match self {
            MicroOp::Select { width } => Some(format!("select{width}")),
            _ => self.float_spec(format).map(|s| s.design_name()).or_else(|| self.int_spec().map(|u| u.design_name())),
        }
    }

    /// The unit's netlist (`None` for wiring).
    pub fn netlist(self, format: Format) -> Result<Option<tosim_netlist::Netlist>, FloatError> {
        if let MicroOp::Select { width } = self {
            return Ok(Some(Self::select_netlist(width)?));
        }
        if let Some(s) = self.float_spec(format) {
            return Ok(Some(generate(&s)?));
        }
        match self.int_spec() {
            Some(u) => Ok(Some(tosim_units::generate(&u)?)),
            None => Ok(None),
        }
    }

    /// Operand values as the unit's input buses (integer shift amounts clamped).
    pub fn unit_inputs(self, args: &[u128]) -> Vec<u128> {
        match self {
            MicroOp::IntAdd { .. } => vec![args[0], args[1], 0],
            MicroOp::IntSar { width } => {
                let k = tosim_units::clog2(width);
                vec![args[0], args[1].min(width as u128 - 1) & mask(k)]
            }
            _ => args.to_vec(),
        }
    }

    /// The step's result from the unit's output buses.
    pub fn unit_result(self, out: &[u128]) -> u128 {
        match self {
            MicroOp::IntMulShr { width, shift } => (sext(out[0], 2 * width) >> shift) as u128 & mask(width),
            _ => out.first().copied().unwrap_or(0),
        }
    }

    /// The result of a wiring step (a constant shift: no gates) on its
    /// operand; `None` for a step on a unit.
    pub fn wire(self, a: u128) -> Option<u128> {
        match self {
            MicroOp::Shl { amount, width } => Some((a << amount) & mask(width)),
            MicroOp::Sar { amount, width } => Some((sext(a, width) >> amount) as u128 & mask(width)),
            _ => None,
        }
    }
}

impl MicroProgram {
    /// Runs one input vector with the units' software references.
    pub fn run_reference(&self, inputs: &[u128]) -> Result<Vec<u128>, FloatError> {
        self.execute(inputs, |_, s, args| {
            Ok(if let Some(v) = s.op.wire(args[0]) {
                v
            } else if let MicroOp::Select { width } = s.op {
                if args[0] >> (width - 1) & 1 == 1 {
                    args[2]
                } else {
                    args[1]
                }
            } else if let Some(spec) = s.op.float_spec(self.format) {
                reference(&spec, args)?[0]
            } else if let Some(spec) = s.op.int_spec() {
                let out = tosim_units::reference(&spec, &s.op.unit_inputs(args))?;
                s.op.unit_result(&out)
            } else {
                return Err(FloatError::Internal { what: "micro-op without a unit" });
            })
        })
    }

    /// Runs the program on one input vector: every register starts at 0, the
    /// inputs go to the input registers, and each step's result — what
    /// `step(index, step, operands)` returns for the operands' register values
    /// and constants, in port order — goes to its destination register.
    /// Returns the output registers. Every interpreter of a program over one
    /// input vector (the units' references, the network's processing
    /// elements) is this loop with its own `step`.
    pub fn execute<E>(
        &self,
        inputs: &[u128],
        mut step: impl FnMut(usize, &Step, &[u128]) -> Result<u128, E>,
    ) -> Result<Vec<u128>, E> {
        let mut r = vec![0u128; self.regs];
        for (&reg, &v) in self.inputs.iter().zip(inputs) {
            r[reg.index()] = v;
        }
        let mut args: Vec<u128> = Vec::with_capacity(4);
        for (i, s) in self.steps.iter().enumerate() {
            args.clear();
            args.extend(s.srcs.iter().map(|x| match *x {
                Src::Reg(j) => r[j.index()],
                Src::Const(c) => c,
            }));
            r[s.dst.index()] = step(i, s, &args)?;
        }
        Ok(self.outputs.iter().map(|&o| r[o.index()]).collect())
    }

    /// Counts of unit operations per unit name (wiring steps excluded).
    pub fn op_counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for s in &self.steps {
            let Some(name) = s.op.unit_name(self.format) else { continue };
            *m.entry(name).or_insert(0) += 1;
        }
        m
    }
}

/// The operand stream one unit saw during a [`GateRunner::run`].
#[derive(Clone, Debug, Default)]
pub struct UnitTrace {
    /// Operations in program order, then input order: input bus values.
    pub operands: Vec<Vec<u128>>,
}

/// Runs micro-programs on the gate-level units (netlists generated once and cached).
#[derive(Default)]
pub struct GateRunner {
    units: HashMap<String, HwUnit>,
    /// Operand streams by unit design name, from every run so far.
    pub traces: std::collections::BTreeMap<String, UnitTrace>,
    /// Whether to record operand streams.
    pub record: bool,
}

impl GateRunner {
    /// A runner that does not record operand streams.
    pub fn new() -> Self {
        GateRunner::default()
    }

    fn unit(&mut self, op: MicroOp, f: Format) -> Result<Option<(String, &HwUnit)>, MicroError> {
        let Some(name) = op.unit_name(f) else { return Ok(None) };
        if !self.units.contains_key(&name) {
            let Some(n) = op.netlist(f)? else { return Ok(None) };
            self.units.insert(name.clone(), HwUnit::abstract_cells(n)?);
        }
        Ok(self.units.get(&name).map(|u| (name, u)))
    }

    /// Runs `p` on every input vector in `inputs` (one `Vec` of input
    /// registers per run) through the gate-level units; returns the outputs.
    pub fn run(&mut self, p: &MicroProgram, inputs: &[Vec<u128>]) -> Result<Vec<Vec<u128>>, MicroError> {
        let n = inputs.len();
        let mut r: Vec<Vec<u128>> = vec![vec![0; n]; p.regs];
        for (k, &reg) in p.inputs.iter().enumerate() {
            for (i, v) in inputs.iter().enumerate() {
                r[reg.index()][i] = v.get(k).copied().unwrap_or(0);
            }
        }
        for s in &p.steps {
            let args: Vec<Vec<u128>> = (0..n)
                .map(|i| {
                    s.srcs
                        .iter()
                        .map(|x| match *x {
                            Src::Reg(j) => r[j.index()][i],
                            Src::Const(c) => c,
                        })
                        .collect()
                })
                .collect();
            let out: Vec<u128> = if s.op.wire(0).is_some() {
                args.iter().map(|a| s.op.wire(a[0]).unwrap_or(0)).collect()
            } else {
                let ops: Vec<Vec<u128>> = args.iter().map(|a| s.op.unit_inputs(a)).collect();
                let Some((name, u)) = self.unit(s.op, p.format)? else {
                    return Err(FloatError::Internal { what: "micro-op without a unit" }.into());
                };
                let flat: Vec<u128> = ops.iter().flatten().copied().collect();
                let res = u.eval(&flat);
                if self.record {
                    self.traces.entry(name).or_default().operands.extend(ops);
                }
                (0..n).map(|i| s.op.unit_result(res.get(i).unwrap_or(&[]))).collect()
            };
            r[s.dst.index()] = out;
        }
        Ok((0..n).map(|i| p.outputs.iter().map(|&o| r[o.index()][i]).collect()).collect())
    }
}

/// Builds programs: allocates registers and appends steps.
struct Builder {
    f: Format,
    steps: Vec<Step>,
    regs: usize,
}

impl Builder {
    fn new(f: Format) -> Self {
        Builder { f, steps: Vec::new(), regs: 0 }
    }
    fn reg(&mut self) -> Src {
        self.regs += 1;
        Src::Reg(RegId::from_index(self.regs - 1))
    }
    fn op(&mut self, op: MicroOp, srcs: &[Src]) -> Src {
        let d = self.reg();
        let Src::Reg(dst) = d else { return d };
        self.steps.push(Step { op, dst, srcs: srcs.to_vec() });
        d
    }
    fn fl(&mut self, k: FloatKind, srcs: &[Src]) -> Src {
        self.op(MicroOp::Float(k), srcs)
    }
    /// A float constant: `v` rounded to the format.
    fn c(&self, v: f64) -> Src {
        Src::Const(self.f.round(v))
    }
    fn finish(self, name: &str, inputs: &[Src], outputs: &[Src]) -> MicroProgram {
        let regs_of = |s: &[Src]| s.iter().filter_map(|x| x.reg()).collect();
        MicroProgram {
            name: format!("{name}_{}", self.f),
            format: self.f,
            inputs: regs_of(inputs),
            outputs: regs_of(outputs),
            steps: self.steps,
            regs: self.regs,
        }
    }
}

/// Taylor degree of the exp polynomial per format (see the module documentation).
pub fn exp_degree(f: Format) -> u32 {
    match f {
        Format::Bfloat16 => 3,
        Format::Binary16 => 4,
        Format::Binary32 => 7,
    }
}

/// `ln 2` split for Cody–Waite reduction: `hi` keeps `p − b` significant
/// bits, where `|k| < 2^b` over the clamped input range, so that `k·hi` is
/// exact (at least 1 bit: bfloat16's 8-bit significand leaves none, so its
/// `k·hi` rounds); `lo = ln2 − hi`, rounded to the format where it is used.
pub fn ln2_split(f: Format) -> (f64, f64) {
    let p = f.mbits() as i32 + 1;
    let kmax = f.bias() as i32 + f.mbits() as i32 + 2;
    let b = 32 - (kmax as u32).leading_zeros() as i32;
    let bits = (p - b).max(1);
    let scale = (2f64).powi(bits);
    let hi = (std::f64::consts::LN_2 * scale).floor() / scale;
    (hi, std::f64::consts::LN_2 - hi)
}

/// Appends exp(x) steps; returns the result register.
fn exp_steps(b: &mut Builder, x: Src) -> Src {
    let f = b.f;
    let bias = f.bias() as i64;
    let (kmax, kmin) = (bias + 1, -(bias + f.mbits() as i64 + 2));
    let ln2 = std::f64::consts::LN_2;
    // Clamp to [kmin·ln2, kmax·ln2]: below, the result is 0 in every
    // rounding; above, it overflows to ∞ (e^(kmax·ln2) = 2^(bias+1)).
    let hi = b.c(kmax as f64 * ln2);
    let lo = b.c(kmin as f64 * ln2);
    let x = b.fl(FloatKind::Min, &[x, hi]);
    let x = b.fl(FloatKind::Max, &[x, lo]);
    let log2e = b.c(std::f64::consts::LOG2_E);
    let t = b.fl(FloatKind::Mul, &[x, log2e]);
    let k = b.fl(FloatKind::FloatToInt, &[t]);
    let kf = b.fl(FloatKind::IntToFloat, &[k]);
    let (h, l) = ln2_split(f);
    let (h, l) = (b.c(h), b.c(l));
    let u = b.fl(FloatKind::Mul, &[kf, h]);
    let r = b.fl(FloatKind::Sub, &[x, u]);
    let v = b.fl(FloatKind::Mul, &[kf, l]);
    let r = b.fl(FloatKind::Sub, &[r, v]);
    let n = exp_degree(f);
    let fact = |i: u32| (1..=i).map(|j| j as f64).product::<f64>();
    let mut p = b.c(1.0 / fact(n));
    for i in (0..n).rev() {
        let m = b.fl(FloatKind::Mul, &[p, r]);
        let c = b.c(1.0 / fact(i));
        p = b.fl(FloatKind::Add, &[m, c]);
    }
    // 2^k1 · 2^k2 with k1 = k >> 1, k2 = k − k1, exponent fields k + bias.
    let w = f.width();
    let k1 = b.op(MicroOp::Sar { amount: 1, width: 16 }, &[k]);
    let k2 = b.op(MicroOp::IntSub { width: 16 }, &[k, k1]);
    let biasc = Src::Const(bias as u128);
    let e1 = b.op(MicroOp::IntAdd { width: 16 }, &[k1, biasc]);
    let e2 = b.op(MicroOp::IntAdd { width: 16 }, &[k2, biasc]);
    let s1 = b.op(MicroOp::Shl { amount: f.mbits(), width: w }, &[e1]);
    let s2 = b.op(MicroOp::Shl { amount: f.mbits(), width: w }, &[e2]);
    let y = b.fl(FloatKind::Mul, &[p, s1]);
    b.fl(FloatKind::Mul, &[y, s2])
}

/// e^x.
pub fn exp(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let y = exp_steps(&mut b, x);
    b.finish("exp", &[x], &[y])
}

/// Appends `(num, d)` with σ(x) = num / d: `e = e^−|x|`, `d = 1 + e`, and
/// `num = 1` for x ≥ 0, `e` for x < 0 (σ(x) = e^x / (1 + e^x)), so that no
/// intermediate overflows for large |x|.
fn sigmoid_parts(b: &mut Builder, x: Src) -> (Src, Src) {
    let zero = b.c(0.0);
    let nx = b.fl(FloatKind::Sub, &[zero, x]);
    let ax = b.fl(FloatKind::Max, &[x, nx]);
    let n = b.fl(FloatKind::Sub, &[zero, ax]);
    let e = exp_steps(b, n);
    let one = b.c(1.0);
    let d = b.fl(FloatKind::Add, &[one, e]);
    let num = b.op(MicroOp::Select { width: b.f.width() }, &[x, one, e]);
    (num, d)
}

/// σ(x) = 1 / (1 + e^−x), as `num / d` (see `sigmoid_parts`): one division.
pub fn sigmoid(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let (num, d) = sigmoid_parts(&mut b, x);
    let y = b.fl(FloatKind::Div, &[num, d]);
    b.finish("sigmoid", &[x], &[y])
}

/// SiLU (swish) x·σ(x) = (x·num) / d.
pub fn silu(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let (num, d) = sigmoid_parts(&mut b, x);
    let t = b.fl(FloatKind::Mul, &[x, num]);
    let y = b.fl(FloatKind::Div, &[t, d]);
    b.finish("silu", &[x], &[y])
}

/// GELU, tanh approximation (Hendrycks & Gimpel 2016; PyTorch's
/// `approximate="tanh"`): x·½(1 + tanh u), u = √(2/π)(x + 0.044715x³),
/// evaluated through the identity ½(1 + tanh u) = σ(2u) as
/// `x·σ(z)` with `z = x·(c1 + c2·x²)`, c1 = 2√(2/π), c2 = 2·0.044715·√(2/π)
/// (both rounded to the format), and σ as in [`silu`] (`(x·num)/d`).
///
/// Why this form: the tanh approximation is the GELU that transformer
/// implementations evaluate in reduced precision (the erf form needs an erf
/// kernel; `x·σ(1.702x)` is cheaper by one multiply and one add but differs
/// from GELU by up to about 0.02, coarser than binary16's spacing near 1);
/// writing ½(1 + tanh u) as σ(2u) avoids the cancellation of 1 + tanh u for
/// negative x (tanh u → −1), which would lose every significant bit there,
/// and reuses the overflow-free sigmoid. For large |x|, x² overflows to ∞
/// and z to ±∞, which the sigmoid's clamped exp handles (σ → 1 or 0).
pub fn gelu(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let (c1, c2) = gelu_constants();
    let (c1, c2) = (b.c(c1), b.c(c2));
    let x2 = b.fl(FloatKind::Mul, &[x, x]);
    let m = b.fl(FloatKind::Mul, &[x2, c2]);
    let t = b.fl(FloatKind::Add, &[m, c1]);
    let z = b.fl(FloatKind::Mul, &[x, t]);
    let (num, d) = sigmoid_parts(&mut b, z);
    let xn = b.fl(FloatKind::Mul, &[x, num]);
    let y = b.fl(FloatKind::Div, &[xn, d]);
    b.finish("gelu", &[x], &[y])
}

/// `(c1, c2)` of [`gelu`] in `f64`: `2√(2/π)` and `2·0.044715·√(2/π)`.
pub fn gelu_constants() -> (f64, f64) {
    let k = (2.0 / std::f64::consts::PI).sqrt();
    (2.0 * k, 2.0 * 0.044715 * k)
}

/// The tanh-approximation GELU in `f64` (the function [`gelu`] approximates),
/// as `x / (1 + e^−2u)`: the same value as ½x(1 + tanh u) without its
/// cancellation for negative x (which leaves 0 below x ≈ −7 even in `f64`).
pub fn gelu_tanh_f64(x: f64) -> f64 {
    let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
    x / (1.0 + (-2.0 * u).exp())
}

/// [`gelu`] for binary32 as plain Rust `f32` code: the same operations in the
/// same order (`max` and `min` of Rust ignore a NaN operand, as minNum/maxNum
/// do), so it matches the gate-level run bit for bit.
pub fn gelu_plain_f32(x: f32) -> f32 {
    let (c1, c2) = gelu_constants();
    let t = x * x * c2 as f32 + c1 as f32;
    let z = x * t;
    let az = z.max(0.0 - z);
    let e = exp_plain_f32(0.0 - az);
    let d = 1.0 + e;
    let num = if z.is_sign_negative() && !z.is_nan() { e } else { 1.0 };
    x * num / d
}

/// tanh x = (1 − e^−2x) / (1 + e^−2x), x clamped to ±T where tanh T rounds
/// to 1; for |x| < √(3·2^−p), where tanh x rounds to x, the result is x
/// (selected by the sign of |x| − √(3·2^−p)). Between that threshold and
/// about 0.5 the subtraction 1 − e^−2x cancels and costs accuracy (measured
/// in `docs/float.md`).
pub fn tanh(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let t = if f == Format::Binary16 { 5.0 } else { 10.0 };
    let (hi, lo) = (b.c(t), b.c(-t));
    let xc = b.fl(FloatKind::Min, &[x, hi]);
    let xc = b.fl(FloatKind::Max, &[xc, lo]);
    let m2 = b.c(-2.0);
    let x2 = b.fl(FloatKind::Mul, &[xc, m2]);
    let e = exp_steps(&mut b, x2);
    let one = b.c(1.0);
    let num = b.fl(FloatKind::Sub, &[one, e]);
    let den = b.fl(FloatKind::Add, &[one, e]);
    let y = b.fl(FloatKind::Div, &[num, den]);
    let zero = b.c(0.0);
    let nx = b.fl(FloatKind::Sub, &[zero, x]);
    let ax = b.fl(FloatKind::Max, &[x, nx]);
    let small = b.c((3.0 * (2f64).powi(-(f.mbits() as i32 + 1))).sqrt());
    let c = b.fl(FloatKind::Sub, &[ax, small]);
    let y = b.op(MicroOp::Select { width: f.width() }, &[c, y, x]);
    b.finish("tanh", &[x], &[y])
}

/// 1 / √x (two correctly rounded operations: square root, then division).
pub fn rsqrt(f: Format) -> MicroProgram {
    let mut b = Builder::new(f);
    let x = b.reg();
    let s = b.fl(FloatKind::Sqrt, &[x]);
    let one = b.c(1.0);
    let y = b.fl(FloatKind::Div, &[one, s]);
    b.finish("rsqrt", &[x], &[y])
}

/// softmax of `n` values: max-subtract, exp, sum, divide.
pub fn softmax(f: Format, n: usize) -> MicroProgram {
    let mut b = Builder::new(f);
    let xs: Vec<Src> = (0..n).map(|_| b.reg()).collect();
    let mut m = xs[0];
    for &x in &xs[1..] {
        m = b.fl(FloatKind::Max, &[m, x]);
    }
    let mut es = Vec::with_capacity(n);
    for &x in &xs {
        let d = b.fl(FloatKind::Sub, &[x, m]);
        es.push(exp_steps(&mut b, d));
    }
    let mut s = es[0];
    for &e in &es[1..] {
        s = b.fl(FloatKind::Add, &[s, e]);
    }
    let ys: Vec<Src> = es.iter().map(|&e| b.fl(FloatKind::Div, &[e, s])).collect();
    b.finish(&format!("softmax{n}"), &xs, &ys)
}

/// Error of `got` (a bit pattern of `f`) against the true value `truth`, in
/// units in the last place of `truth` in `f` (subnormal spacing below the
/// normal range), and in absolute terms. `None` when `truth` is not finite
/// or `got` is NaN.
pub fn error(f: Format, got: u128, truth: f64) -> Option<(f64, f64)> {
    let g = f.to_f64(got);
    if !truth.is_finite() || g.is_nan() {
        return None;
    }
    let emin = 1 - f.bias() as i32;
    let e = if truth == 0.0 { emin } else { (truth.abs().log2().floor() as i32).max(emin) };
    let ulp = (2f64).powi(e - f.mbits() as i32);
    let abs = (g - truth).abs();
    Some((abs / ulp, abs))
}

/// [`exp`] for binary32 written as plain Rust `f32` code: the same
/// operations in the same order, so it matches the gate-level run bit for bit.
pub fn exp_plain_f32(x: f32) -> f32 {
    use std::f64::consts::{LN_2, LOG2_E};
    let (kmax, kmin) = (128f64, -(127f64 + 23.0 + 2.0));
    let x = x.min((kmax * LN_2) as f32);
    let x = x.max((kmin * LN_2) as f32);
    let t = x * LOG2_E as f32;
    let k = t.round_ties_even() as i16;
    let kf = k as f32;
    let (h, l) = ln2_split(Format::Binary32);
    let r = (x - kf * h as f32) - kf * l as f32;
    let fact = |i: u32| (1..=i).map(|j| j as f64).product::<f64>();
    let mut p = (1.0 / fact(7)) as f32;
    for i in (0..7).rev() {
        p = p * r + (1.0 / fact(i)) as f32;
    }
    let k1 = k >> 1;
    let k2 = k - k1;
    let s1 = f32::from_bits(((k1 + 127) as u32) << 23);
    let s2 = f32::from_bits(((k2 + 127) as u32) << 23);
    p * s1 * s2
}

/// Fraction bits of the fixed-point inputs (int16 Q4.11: x/2048, [−16, 16)).
pub const FIXED_IN_FRAC: u32 = 11;
/// Fraction bits of the fixed-point outputs (int16 Q1.14: y/16384).
pub const FIXED_OUT_FRAC: u32 = 14;

fn q(v: f64, frac: u32) -> Src {
    Src::Const((v * (1u64 << frac) as f64).round() as i64 as u128 & 0xffff)
}

/// Appends fixed-point e^n for n ≤ 0 in Q4.11, result in Q1.14; the same
/// method as [`exp`] in integers: n clamped to ≥ −11 (e^−11 < half an output
/// LSB), `t = n·log2 e` (signed multiply, shift), `k = ⌊t + ½⌋` (an add
/// and wiring), `r = n − k·ln 2 ∈ [−ln2/2, ln2/2]` (so that e^r ∈ [0.7, 1.42]
/// fits Q1.14), a degree-4 Taylor polynomial in Q1.14 by
/// Horner (signed multiply, shift, add), then `2^k` as an arithmetic barrel
/// shift right by −k. Every shift truncates (rounds toward −∞).
fn fixed_exp_core(b: &mut Builder, n: Src) -> Src {
    let w = 16;
    let (fi, fo) = (FIXED_IN_FRAC, FIXED_OUT_FRAC);
    let n = b.op(MicroOp::IntMax { width: w }, &[n, Src::Const((-11i64 << fi) as u128 & 0xffff)]);
    let t = b.op(MicroOp::IntMulShr { width: w, shift: 14 }, &[n, q(std::f64::consts::LOG2_E, 14)]);
    let th = b.op(MicroOp::IntAdd { width: w }, &[t, Src::Const(1 << (fi - 1))]);
    let k = b.op(MicroOp::Sar { amount: fi, width: w }, &[th]);
    let kq = b.op(MicroOp::Shl { amount: fi, width: w }, &[k]);
    let kln2 = b.op(MicroOp::IntMulShr { width: w, shift: 14 }, &[kq, q(std::f64::consts::LN_2, 14)]);
    let r = b.op(MicroOp::IntSub { width: w }, &[n, kln2]);
    let r = b.op(MicroOp::Shl { amount: fo - fi, width: w }, &[r]);
    let fact = |i: u32| (1..=i).map(|j| j as f64).product::<f64>();
    let mut p = q(1.0 / fact(4), fo);
    for i in (0..4).rev() {
        let m = b.op(MicroOp::IntMulShr { width: w, shift: fo }, &[p, r]);
        p = b.op(MicroOp::IntAdd { width: w }, &[m, q(1.0 / fact(i), fo)]);
    }
    let nk = b.op(MicroOp::IntSub { width: w }, &[Src::Const(0), k]);
    b.op(MicroOp::IntSar { width: w }, &[p, nk])
}

/// e^x in fixed point: int16 Q4.11 in, int16 Q1.14 out, for x ≤ 0 (x > 0
/// gives e^0 = 1; the softmax use after max-subtraction needs only x ≤ 0).
/// `min(x, 0)` is computed as `x − max(x, 0)`.
pub fn fixed_exp() -> MicroProgram {
    let mut b = Builder::new(Format::Binary16);
    let w = 16;
    let x = b.reg();
    let m = b.op(MicroOp::IntMax { width: w }, &[x, Src::Const(0)]);
    let n = b.op(MicroOp::IntSub { width: w }, &[x, m]);
    let y = fixed_exp_core(&mut b, n);
    let mut p = b.finish("fixed_exp", &[x], &[y]);
    p.name = "fixed_exp_q4.11_q1.14".into();
    p
}

/// σ(x) = 1/(1 + e^−x) in fixed point: int16 Q4.11 in, int16 Q1.14 out.
/// `e = e^−|x|` (Q1.14), `d = 1 + e` (32-bit add), `s = 2^28 / d` on the
/// 32-bit integer divider (σ(|x|) in Q1.14, truncated), and `1 − s` selected
/// for negative x.
pub fn fixed_sigmoid() -> MicroProgram {
    let mut b = Builder::new(Format::Binary16);
    let w = 16;
    let x = b.reg();
    // Saturate −32768 so that its negation fits.
    let xs = b.op(MicroOp::IntMax { width: w }, &[x, Src::Const(0x8001)]);
    let nx = b.op(MicroOp::IntSub { width: w }, &[Src::Const(0), xs]);
    let ax = b.op(MicroOp::IntMax { width: w }, &[xs, nx]);
    let n = b.op(MicroOp::IntSub { width: w }, &[Src::Const(0), ax]);
    let e = fixed_exp_core(&mut b, n);
    let d = b.op(MicroOp::IntAdd { width: 32 }, &[e, Src::Const(1 << FIXED_OUT_FRAC)]);
    let s = b.op(MicroOp::IntDiv { width: 32 }, &[Src::Const(1 << (2 * FIXED_OUT_FRAC)), d]);
    let one_minus = b.op(MicroOp::IntSub { width: w }, &[Src::Const(1 << FIXED_OUT_FRAC), s]);
    let y = b.op(MicroOp::Select { width: w }, &[x, s, one_minus]);
    let mut p = b.finish("fixed_sigmoid", &[x], &[y]);
    p.name = "fixed_sigmoid_q4.11_q1.14".into();
    p
}

/// [`fixed_sigmoid`] as plain Rust integer code: the same operations in the
/// same order (shifts of negative values round toward −∞, as the units do).
pub fn fixed_sigmoid_plain(x: i16) -> i16 {
    let mul_shr = |a: i16, b: i16, s: u32| ((a as i32 * b as i32) >> s) as i16;
    let qc = |v: f64, frac: u32| (v * (1u64 << frac) as f64).round() as i16;
    let xs = x.max(-32767);
    let ax = xs.max(xs.wrapping_neg());
    let n = (-ax).max(-11 << 11);
    let t = mul_shr(n, qc(std::f64::consts::LOG2_E, 14), 14);
    let k = (t + 1024) >> 11;
    let kln2 = mul_shr(k.wrapping_shl(11), qc(std::f64::consts::LN_2, 14), 14);
    let r = (n.wrapping_sub(kln2)).wrapping_shl(3);
    let fact = |i: u32| (1..=i).map(|j| j as f64).product::<f64>();
    let mut p = qc(1.0 / fact(4), 14);
    for i in (0..4).rev() {
        p = mul_shr(p, r, 14).wrapping_add(qc(1.0 / fact(i), 14));
    }
    let e = p >> (-k).min(15);
    let d = e as u32 + (1 << 14);
    let s = ((1u32 << 28) / d) as i16;
    if x < 0 {
        (1i16 << 14).wrapping_sub(s)
    } else {
        s
    }
}

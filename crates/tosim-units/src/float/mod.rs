//! IEEE-754 floating-point units as gate netlists, built from the integer
//! units of this crate.
//!
//! A [`FloatSpec`] names a unit (kind, [`Format`], inner architectures) and
//! [`generate`] builds it into a checked [`Netlist`] of abstract cells;
//! [`registry`] lists the kinds with their ports, and [`reference()`] gives the
//! result each unit must compute, from Rust's `f32` and the `half` crate's
//! `f16`/`bf16`. Operands and results are IEEE bit patterns, LSB first.
//! They sit beside the integer generators because they are built from them;
//! the micro-programs that use them (exp, sigmoid, GELU, …) are in
//! `tosim-micro`, their cost tables in `tosim-table`.
//!
//! Semantics, for every format: round to nearest, ties to even; subnormal
//! operands and results (no flush to zero); signed zeros; infinities; NaN
//! results are the **canonical quiet NaN** (sign 0, exponent all ones, top
//! fraction bit 1, rest 0 — `0x7fc00000`, `0x7e00`, `0x7fc0`): payloads are
//! not propagated, and [`reference()`] canonicalises Rust's NaNs the same way,
//! so results compare bit for bit. Exception flags are not produced.
//!
//! | kind | inputs | outputs |
//! |---|---|---|
//! | `fadd`, `fsub`, `fmul`, `fdiv` | `a[w]`, `b[w]` | `y[w]` |
//! | `fsqrt` | `a[w]` | `y[w]` (√−x = NaN, √−0 = −0) |
//! | `fcmp` | `a[w]`, `b[w]` | `lt[1]`, `eq[1]` (both 0 when unordered; +0 = −0) |
//! | `fmin`, `fmax` | `a[w]`, `b[w]` | `y[w]`: IEEE 754-2008 minNum/maxNum, a NaN operand yields the other, −0 < +0 |
//! | `itof` | `a[n]` (signed, n = 8, 16, 32) | `y[w]` |
//! | `ftoi` | `a[w]` | `y[n]` (signed): nearest even, saturating, NaN → 0 |
//!
//! ```
//! use tosim_units::float::{generate, reference, FloatKind, FloatSpec, Format};
//! let spec = FloatSpec::new(FloatKind::Mul, Format::Binary16);
//! let n = generate(&spec).unwrap();
//! // 1.5 × 2.5 = 3.75: 0x3e00 × 0x4100 = 0x4380 in binary16.
//! assert_eq!(tosim_netlist::eval(&n, &[0x3e00, 0x4100]), vec![0x4380]);
//! assert_eq!(reference(&spec, &[0x3e00, 0x4100]).unwrap(), vec![0x4380]);
//! ```

pub mod circuit;
mod units;

use std::fmt;

use crate::{Arch, UnitError};
use serde::Serialize;
use thiserror::Error;
use tosim_netlist::{Netlist, NetlistError};

pub use circuit::{Circuit, Wire};

/// A binary floating-point format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Format {
    /// IEEE 754 binary16: 5 exponent bits, 10 fraction bits.
    #[serde(rename = "binary16")]
    Binary16,
    /// bfloat16: 8 exponent bits, 7 fraction bits.
    #[serde(rename = "bfloat16")]
    Bfloat16,
    /// IEEE 754 binary32: 8 exponent bits, 23 fraction bits.
    #[serde(rename = "binary32")]
    Binary32,
}

impl Format {
    /// Every format.
    pub const ALL: &'static [Format] = &[Format::Binary16, Format::Bfloat16, Format::Binary32];

    /// Stable name (`binary16`, `bfloat16`, `binary32`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Binary16 => "binary16",
            Format::Bfloat16 => "bfloat16",
            Format::Binary32 => "binary32",
        }
    }

    /// The format called `s`.
    pub fn from_name(s: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == s)
    }

    /// Exponent bits.
    pub fn ebits(self) -> u32 {
        match self {
            Format::Binary16 => 5,
            Format::Bfloat16 | Format::Binary32 => 8,
        }
    }

    /// Fraction bits (precision − 1).
    pub fn mbits(self) -> u32 {
        match self {
            Format::Binary16 => 10,
            Format::Bfloat16 => 7,
            Format::Binary32 => 23,
        }
    }

    /// Total width.
    pub fn width(self) -> u32 {
        1 + self.ebits() + self.mbits()
    }

    /// Exponent bias.
    pub fn bias(self) -> u32 {
        (1 << (self.ebits() - 1)) - 1
    }

    /// The canonical quiet NaN.
    pub fn nan(self) -> u128 {
        (((1u128 << self.ebits()) - 1) << self.mbits()) | (1u128 << (self.mbits() - 1))
    }

    /// Whether bit pattern `x` is a NaN.
    pub fn is_nan(self, x: u128) -> bool {
        let e = (x >> self.mbits()) & ((1 << self.ebits()) - 1);
        e == (1 << self.ebits()) - 1 && x & ((1 << self.mbits()) - 1) != 0
    }

    /// The value of bit pattern `x` (exact: every format fits `f64`).
    pub fn to_f64(self, x: u128) -> f64 {
        match self {
            Format::Binary16 => half::f16::from_bits(x as u16).to_f64(),
            Format::Bfloat16 => half::bf16::from_bits(x as u16).to_f64(),
            Format::Binary32 => f32::from_bits(x as u32) as f64,
        }
    }

    /// `v` rounded to this format (nearest, ties to even), NaN canonical:
    /// `v as f32`, then `half`'s `from_f32` for the 16-bit formats.
    ///
    /// Correctly rounded for the result of one `+ − × ÷ √` on operands of
    /// this format computed in `f64` (not for arbitrary `f64` values: a
    /// 32-bit integer can become a tie in `f32` and then round the wrong way;
    /// [`reference()`] rounds integers itself, see `round_int`): rounding
    /// twice, through a format of at least 2p + 2 bits, is innocuous for these
    /// operations (Figueroa 1995), and 53 ≥ 2·24 + 2, 24 ≥ 2·11 + 2.
    /// (`half`'s `from_f64` is not used: it drops the low 32 bits of the
    /// `f64` significand before rounding, so it misrounds values just above a
    /// halfway point, e.g. −54992.015625 to binary16.)
    pub fn round(self, v: f64) -> u128 {
        if v.is_nan() {
            return self.nan();
        }
        match self {
            Format::Binary16 => half::f16::from_f32(v as f32).to_bits() as u128,
            Format::Bfloat16 => half::bf16::from_f32(v as f32).to_bits() as u128,
            Format::Binary32 => (v as f32).to_bits() as u128,
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a floating-point unit computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum FloatKind {
    /// a + b.
    #[serde(rename = "fadd")]
    Add,
    /// a − b.
    #[serde(rename = "fsub")]
    Sub,
    /// a × b.
    #[serde(rename = "fmul")]
    Mul,
    /// a / b.
    #[serde(rename = "fdiv")]
    Div,
    /// √a.
    #[serde(rename = "fsqrt")]
    Sqrt,
    /// a < b, a = b.
    #[serde(rename = "fcmp")]
    Cmp,
    /// minNum(a, b).
    #[serde(rename = "fmin")]
    Min,
    /// maxNum(a, b).
    #[serde(rename = "fmax")]
    Max,
    /// Signed integer to float.
    #[serde(rename = "itof")]
    IntToFloat,
    /// Float to signed integer.
    #[serde(rename = "ftoi")]
    FloatToInt,
}

impl FloatKind {
    /// Every kind.
    pub const ALL: &'static [FloatKind] = &[
        FloatKind::Add,
        FloatKind::Sub,
        FloatKind::Mul,
        FloatKind::Div,
        FloatKind::Sqrt,
        FloatKind::Cmp,
        FloatKind::Min,
        FloatKind::Max,
        FloatKind::IntToFloat,
        FloatKind::FloatToInt,
    ];

    /// Stable name (`fadd` …).
    pub fn name(self) -> &'static str {
        match self {
            FloatKind::Add => "fadd",
            FloatKind::Sub => "fsub",
            FloatKind::Mul => "fmul",
            FloatKind::Div => "fdiv",
            FloatKind::Sqrt => "fsqrt",
            FloatKind::Cmp => "fcmp",
            FloatKind::Min => "fmin",
            FloatKind::Max => "fmax",
            FloatKind::IntToFloat => "itof",
            FloatKind::FloatToInt => "ftoi",
        }
    }

    /// The kind called `s`.
    pub fn from_name(s: &str) -> Option<FloatKind> {
        FloatKind::ALL.iter().copied().find(|k| k.name() == s)
    }

    /// Whether the kind converts to or from an integer (`int_width` applies).
    pub fn is_conversion(self) -> bool {
        matches!(self, FloatKind::IntToFloat | FloatKind::FloatToInt)
    }
}

impl fmt::Display for FloatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Integer widths the conversions support.
pub const INT_WIDTHS: &[u32] = &[8, 16, 32];

/// One floating-point unit to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct FloatSpec {
    /// What it computes.
    pub kind: FloatKind,
    /// Operand format.
    pub format: Format,
    /// Every carry-propagate adder inside (exponent, alignment compare,
    /// significand add, rounding, divider rows, final adders); default Kogge-Stone.
    pub adder: Arch,
    /// Significand multiplier of `fmul`; default Dadda.
    pub multiplier: Arch,
    /// Significand square root of `fsqrt`; default non-restoring.
    pub root: Arch,
    /// Integer width of `itof`/`ftoi` (8, 16 or 32; default 32).
    pub int_width: u32,
}

impl FloatSpec {
    /// A unit with the default architectures.
    pub fn new(kind: FloatKind, format: Format) -> Self {
        FloatSpec {
            kind,
            format,
            adder: Arch::KoggeStone,
            multiplier: Arch::Dadda,
            root: Arch::NonRestoring,
            int_width: 32,
        }
    }

    /// The same unit with another adder.
    pub fn with_adder(mut self, a: Arch) -> Self {
        self.adder = a;
        self
    }

    /// The same unit with another significand multiplier.
    pub fn with_multiplier(mut self, a: Arch) -> Self {
        self.multiplier = a;
        self
    }

    /// The same unit with another square-root array.
    pub fn with_root(mut self, a: Arch) -> Self {
        self.root = a;
        self
    }

    /// The same conversion with another integer width.
    pub fn with_int_width(mut self, w: u32) -> Self {
        self.int_width = w;
        self
    }

    /// A stable design name, e.g. `fmul_binary32_dadda_kogge_stone`.
    pub fn design_name(&self) -> String {
        let u = |a: Arch| a.name().replace('-', "_");
        let mut s = format!("{}_{}", self.kind, self.format);
        match self.kind {
            FloatKind::Mul => s.push_str(&format!("_{}", u(self.multiplier))),
            FloatKind::Sqrt => s.push_str(&format!("_{}", u(self.root))),
            FloatKind::IntToFloat | FloatKind::FloatToInt => s.push_str(&format!("_i{}", self.int_width)),
            _ => {}
        }
        s.push('_');
        s.push_str(&u(self.adder));
        s
    }

    /// Checks the parameters.
    pub fn check(&self) -> Result<(), FloatError> {
        let bad = |param: &'static str, value: String| Err(FloatError::Param { kind: self.kind, param, value });
        if !self.adder.is_adder() {
            return bad("adder", self.adder.name().into());
        }
        if !matches!(self.multiplier, Arch::Array | Arch::Wallace | Arch::Dadda | Arch::Booth) {
            return bad("multiplier", self.multiplier.name().into());
        }
        if !matches!(self.root, Arch::Restoring | Arch::NonRestoring) {
            return bad("root", self.root.name().into());
        }
        if self.kind.is_conversion() && !INT_WIDTHS.contains(&self.int_width) {
            return bad("int_width", self.int_width.to_string());
        }
        Ok(())
    }

    /// Port widths `(inputs, outputs)`, in port order.
    pub fn port_widths(&self) -> (Vec<u32>, Vec<u32>) {
        let w = self.format.width();
        match self.kind {
            FloatKind::Sqrt => (vec![w], vec![w]),
            FloatKind::Cmp => (vec![w, w], vec![1, 1]),
            FloatKind::IntToFloat => (vec![self.int_width], vec![w]),
            FloatKind::FloatToInt => (vec![w], vec![self.int_width]),
            _ => (vec![w, w], vec![w]),
        }
    }
}

/// One kind in the [`registry`].
#[derive(Clone, Debug, Serialize)]
pub struct FloatInfo {
    /// The kind.
    pub kind: FloatKind,
    /// Input ports (w = format width, n = integer width).
    pub inputs: &'static str,
    /// Output ports.
    pub outputs: &'static str,
    /// Which [`FloatSpec`] architecture parameters it uses.
    pub params: &'static str,
    /// The algorithm.
    pub algorithm: &'static str,
}

/// Every floating-point kind, for every [`Format`].
pub fn registry() -> Vec<FloatInfo> {
    let i = |kind, inputs, outputs, params, algorithm| FloatInfo { kind, inputs, outputs, params, algorithm };
    let add = "swap by magnitude, align with sticky right shift (3 guard bits), add/subtract, \
               LZC + left shift limited to the minimum exponent, round-pack";
    vec![
        i(FloatKind::Add, "a[w] b[w]", "y[w]", "adder", add),
        i(FloatKind::Sub, "a[w] b[w]", "y[w]", "adder", add),
        i(
            FloatKind::Mul,
            "a[w] b[w]",
            "y[w]",
            "adder multiplier",
            "p×p significand multiplier, exponent add, LZC/left shift or sticky right shift to subnormal, round-pack",
        ),
        i(
            FloatKind::Div,
            "a[w] b[w]",
            "y[w]",
            "adder",
            "normalise subnormal operands, restoring division p+2 quotient bits (one adder row per bit), \
             remainder sticky, round-pack",
        ),
        i(
            FloatKind::Sqrt,
            "a[w]",
            "y[w]",
            "adder root",
            "normalise, even exponent, integer square root of a 2p+4-bit radicand, remainder sticky, round-pack",
        ),
        i(FloatKind::Cmp, "a[w] b[w]", "lt[1] eq[1]", "adder", "magnitude subtract + equality tree, sign logic"),
        i(FloatKind::Min, "a[w] b[w]", "y[w]", "adder", "fcmp logic, NaN select, output MUX2s"),
        i(FloatKind::Max, "a[w] b[w]", "y[w]", "adder", "fcmp logic, NaN select, output MUX2s"),
        i(FloatKind::IntToFloat, "a[n]", "y[w]", "adder int_width", "absolute value, LZC + left shift, round-pack"),
        i(
            FloatKind::FloatToInt,
            "a[w]",
            "y[n]",
            "adder int_width",
            "sticky right shift by (bias+n−2−e), round to nearest even, negate, saturate",
        ),
    ]
}

/// Why a unit could not be generated.
#[derive(Debug, Error)]
pub enum FloatError {
    /// An architecture or width the kind does not take.
    #[error("`{kind}`: {param} `{value}` is not supported")]
    Param {
        /// Kind.
        kind: FloatKind,
        /// Parameter name.
        param: &'static str,
        /// Value given.
        value: String,
    },
    /// An integer building block could not be generated.
    #[error("integer unit: {0}")]
    Unit(#[from] UnitError),
    /// A netlist to instantiate has a cell that is not an abstract gate.
    #[error("design `{design}`: cell `{cell}` of type `{cell_type}` is not an abstract gate")]
    NotAbstract {
        /// Design name.
        design: String,
        /// Instance name.
        cell: String,
        /// Its type.
        cell_type: String,
    },
    /// The finished netlist failed its checks (a generator bug).
    #[error("generated netlist is invalid: {0}")]
    Netlist(#[from] NetlistError),
    /// Wrong number of operands for [`reference()`].
    #[error("`{kind}` takes {expected} operands, got {found}")]
    Operands {
        /// Kind.
        kind: FloatKind,
        /// Expected.
        expected: usize,
        /// Given.
        found: usize,
    },
    /// An internal invariant failed (a bug).
    #[error("internal error: {what}")]
    Internal {
        /// What.
        what: &'static str,
    },
}

/// Builds the unit `spec` describes.
pub fn generate(spec: &FloatSpec) -> Result<Netlist, FloatError> {
    spec.check()?;
    let f = spec.format;
    let w = f.width() as usize;
    let ar = units::Arches { adder: spec.adder, mul: spec.multiplier, root: spec.root };
    let mut c = Circuit::new(&spec.design_name());
    match spec.kind {
        FloatKind::Add | FloatKind::Sub | FloatKind::Mul | FloatKind::Div | FloatKind::Min | FloatKind::Max => {
            let a = c.input("a", w);
            let b = c.input("b", w);
            let y = match spec.kind {
                FloatKind::Add => units::fadd(&mut c, f, ar, &a, &b, false)?,
                FloatKind::Sub => units::fadd(&mut c, f, ar, &a, &b, true)?,
                FloatKind::Mul => units::fmul(&mut c, f, ar, &a, &b)?,
                FloatKind::Div => units::fdiv(&mut c, f, ar, &a, &b)?,
                FloatKind::Min => units::fminmax(&mut c, f, ar, &a, &b, false)?,
                _ => units::fminmax(&mut c, f, ar, &a, &b, true)?,
            };
            c.output("y", &y);
        }
        FloatKind::Sqrt => {
            let a = c.input("a", w);
            let y = units::fsqrt(&mut c, f, ar, &a)?;
            c.output("y", &y);
        }
        FloatKind::Cmp => {
            let a = c.input("a", w);
            let b = c.input("b", w);
            let (lt, eq) = units::fcmp(&mut c, f, ar, &a, &b)?;
            c.output("lt", &[lt]);
            c.output("eq", &[eq]);
        }
        FloatKind::IntToFloat => {
            let a = c.input("a", spec.int_width as usize);
            let y = units::itof(&mut c, f, ar, &a)?;
            c.output("y", &y);
        }
        FloatKind::FloatToInt => {
            let a = c.input("a", w);
            let y = units::ftoi(&mut c, f, ar, &a, spec.int_width as usize)?;
            c.output("y", &y);
        }
    }
    c.finish()
}

/// `v` rounded to `f.mbits() + 1` significant bits, nearest even, in integer
/// arithmetic (exactly representable afterwards, so a further conversion
/// does not round again).
fn round_int(v: i64, f: Format) -> i64 {
    let p = f.mbits() + 1;
    let m = v.unsigned_abs();
    let len = 64 - m.leading_zeros();
    if len <= p {
        return v;
    }
    let k = len - p;
    let (q, rem, half) = (m >> k, m & ((1 << k) - 1), 1u64 << (k - 1));
    let q = if rem > half || (rem == half && q & 1 == 1) { q + 1 } else { q };
    let r = (q << k) as i64;
    if v < 0 {
        -r
    } else {
        r
    }
}

/// What the unit `spec` must output for `inputs` (one value per input port),
/// from Rust's `f32` arithmetic for binary32 and `f64` arithmetic rounded
/// once by the `half` crate for binary16 and bfloat16 (see [`Format::round`]).
/// NaN results are canonical.
pub fn reference(spec: &FloatSpec, inputs: &[u128]) -> Result<Vec<u128>, FloatError> {
    let (iw, _) = spec.port_widths();
    if inputs.len() != iw.len() {
        return Err(FloatError::Operands { kind: spec.kind, expected: iw.len(), found: inputs.len() });
    }
    let f = spec.format;
    let x: Vec<u128> = inputs.iter().zip(&iw).map(|(&v, &w)| v & ((1u128 << w) - 1)).collect();
    let canon = |r: u128| if f.is_nan(r) { f.nan() } else { r };
    let fl = |v: u128| f.to_f64(v);
    let bin = |op: fn(f64, f64) -> f64, op32: fn(f32, f32) -> f32| -> u128 {
        if f == Format::Binary32 {
            let r = op32(f32::from_bits(x[0] as u32), f32::from_bits(x[1] as u32));
            canon(r.to_bits() as u128)
        } else {
            f.round(op(fl(x[0]), fl(x[1])))
        }
    };
    Ok(match spec.kind {
        FloatKind::Add => vec![bin(|a, b| a + b, |a, b| a + b)],
        FloatKind::Sub => vec![bin(|a, b| a - b, |a, b| a - b)],
        FloatKind::Mul => vec![bin(|a, b| a * b, |a, b| a * b)],
        FloatKind::Div => vec![bin(|a, b| a / b, |a, b| a / b)],
        FloatKind::Sqrt => {
            if f == Format::Binary32 {
                vec![canon(f32::from_bits(x[0] as u32).sqrt().to_bits() as u128)]
            } else {
                vec![f.round(fl(x[0]).sqrt())]
            }
        }
        FloatKind::Cmp => {
            let (a, b) = (fl(x[0]), fl(x[1]));
            vec![(a < b) as u128, (a == b) as u128]
        }
        FloatKind::Min | FloatKind::Max => {
            let (a, b) = (fl(x[0]), fl(x[1]));
            let max = spec.kind == FloatKind::Max;
            let r = if f.is_nan(x[0]) && f.is_nan(x[1]) {
                f.nan()
            } else if f.is_nan(x[0]) {
                x[1]
            } else if f.is_nan(x[1]) {
                x[0]
            } else if a == 0.0 && b == 0.0 {
                // −0 < +0: min takes a negative zero, max a positive one.
                let sa = x[0] >> (f.width() - 1) == 1;
                let sb = x[1] >> (f.width() - 1) == 1;
                if (sa == sb) || (max != sa) {
                    x[0]
                } else {
                    x[1]
                }
            } else if (a < b) != max || a == b {
                x[0]
            } else {
                x[1]
            };
            vec![r]
        }
        FloatKind::IntToFloat => {
            let v = crate::sext(x[0], spec.int_width) as i64;
            vec![if f == Format::Binary32 { (v as f32).to_bits() as u128 } else { f.round(round_int(v, f) as f64) }]
        }
        FloatKind::FloatToInt => {
            let v = fl(x[0]);
            let n = spec.int_width;
            let r = if v.is_nan() {
                0
            } else {
                let lo = -(1i64 << (n - 1));
                let hi = (1i64 << (n - 1)) - 1;
                let t = v.round_ties_even();
                if t <= lo as f64 {
                    lo
                } else if t >= hi as f64 {
                    hi
                } else {
                    t as i64
                }
            };
            vec![(r as u128) & ((1u128 << n) - 1)]
        }
    })
}

//! Integer arithmetic units as gate netlists.
//!
//! Every unit is described by a [`UnitSpec`] (kind, architecture, width,
//! signedness, final adder) and built by [`generate`] into a checked
//! [`Netlist`] of abstract cells ([`tosim_netlist::Gate`]), so the same unit
//! can be bound to textbook or foundry cells. [`registry`] lists every
//! generator with its parameters and limits, and [`reference`] gives the
//! result each unit must compute, from Rust's own integer arithmetic.
//!
//! Buses are LSB first. Ports by kind (n = width, k = ⌈log2 n⌉,
//! L = ⌈log2 (n+1)⌉):
//!
//! | kind | inputs | outputs |
//! |---|---|---|
//! | `add` | `a[n]`, `b[n]`, `cin[1]` | `s[n]` = a+b+cin mod 2ⁿ, `cout[1]` |
//! | `sub` | `a[n]`, `b[n]` | `s[n]` = a−b mod 2ⁿ, `cout[1]` = 1 iff a ≥ b unsigned (no borrow) |
//! | `neg` | `a[n]` | `y[n]` = −a mod 2ⁿ |
//! | `abs` | `a[n]` (signed) | `y[n]` = \|a\| mod 2ⁿ (abs(MIN) = MIN) |
//! | `cmp` | `a[n]`, `b[n]` | `lt[1]` = a < b, `eq[1]` = a == b |
//! | `max` | `a[n]`, `b[n]` | `y[n]` = max(a, b) |
//! | `relu` | `a[n]` (signed) | `y[n]` = max(a, 0) |
//! | `shl`, `shr`, `sar` | `a[n]`, `b[k]` (amount) | `y[n]` = a shifted by b; b ≥ n shifts everything out (0, or the sign for `sar`) |
//! | `lzc` | `a[n]` | `y[L]` = leading zeros of a (n when a = 0) |
//! | `mul` | `a[n]`, `b[n]` | `p[2n]` = a·b (two's complement when signed) |
//! | `div` | `a[n]`, `b[n]` | `q[n]` = a / b, `r[n]` = a mod b (signed: truncating, r has a's sign); b = 0 gives q = 2ⁿ−1 (−1), r = a; signed MIN / −1 gives q = MIN, r = 0 (as RISC-V) |
//! | `sqrt` | `a[2n]` | `q[n]` = ⌊√a⌋, `r[n+1]` = a − q² |
//!
//! ```
//! use tosim_units::{generate, reference, Arch, Kind, UnitSpec};
//! let spec = UnitSpec::new(Kind::Mul, Arch::Dadda, 8).with_final_adder(Arch::KoggeStone);
//! let n = generate(&spec).unwrap();
//! assert_eq!(tosim_netlist::eval(&n, &[200, 100]), vec![20_000]);
//! assert_eq!(reference(&spec, &[200, 100]).unwrap(), vec![20_000]);
//! ```

mod adders;
mod basic;
mod divsqrt;
pub mod float;
pub mod logic;
mod mul;

use std::fmt;
use std::sync::OnceLock;

use serde::Serialize;
use thiserror::Error;
use tosim_netlist::{Netlist, NetlistError};

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $( $(#[$vdoc:meta])* $var:ident = $s:literal ),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        pub enum $name { $( $(#[$vdoc])* #[serde(rename = $s)] $var, )* }

        impl $name {
            /// Every value, in documentation order.
            pub const ALL: &'static [$name] = &[$($name::$var),*];

            /// The stable name used on the command line and in JSON.
            pub fn name(self) -> &'static str {
                match self { $($name::$var => $s,)* }
            }

            /// The value called `s` (exact stable name).
            pub fn from_name(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.name() == s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum! {
    /// What a unit computes.
    Kind {
        /// Addition with carry-in and carry-out.
        Add = "add",
        /// Subtraction (a − b) with no-borrow flag.
        Sub = "sub",
        /// Two's-complement negation.
        Neg = "neg",
        /// Absolute value of a signed operand.
        Abs = "abs",
        /// Comparator: less-than and equal.
        Cmp = "cmp",
        /// Maximum of two operands.
        Max = "max",
        /// ReLU: max(a, 0) of a signed operand.
        Relu = "relu",
        /// Logical shift left.
        Shl = "shl",
        /// Logical shift right.
        Shr = "shr",
        /// Arithmetic shift right.
        Sar = "sar",
        /// Leading-zero counter.
        Lzc = "lzc",
        /// Multiplier, n×n → 2n.
        Mul = "mul",
        /// Divider, n/n → quotient and remainder.
        Div = "div",
        /// Square root, 2n-bit radicand → n-bit root and remainder.
        Sqrt = "sqrt",
    }
}

named_enum! {
    /// How a unit is built.
    Arch {
        /// Ripple-carry adder.
        Ripple = "ripple",
        /// Carry-lookahead adder, 4-bit groups, multi-level.
        Cla = "cla",
        /// Carry-select adder.
        CarrySelect = "carry-select",
        /// Carry-skip adder.
        CarrySkip = "carry-skip",
        /// Kogge-Stone parallel-prefix adder.
        KoggeStone = "kogge-stone",
        /// Brent-Kung parallel-prefix adder.
        BrentKung = "brent-kung",
        /// Sklansky parallel-prefix adder.
        Sklansky = "sklansky",
        /// Han-Carlson parallel-prefix adder.
        HanCarlson = "han-carlson",
        /// Ladner-Fischer parallel-prefix adder.
        LadnerFischer = "ladner-fischer",
        /// AND mask (ReLU).
        Mask = "mask",
        /// Logarithmic barrel shifter.
        Barrel = "barrel",
        /// Leading-zero counter tree.
        Tree = "tree",
        /// Carry-save array multiplier.
        Array = "array",
        /// Wallace-tree multiplier.
        Wallace = "wallace",
        /// Dadda-tree multiplier.
        Dadda = "dadda",
        /// Radix-4 modified Booth multiplier.
        Booth = "booth",
        /// Baugh-Wooley signed array multiplier.
        BaughWooley = "baugh-wooley",
        /// Restoring array divider or square root.
        Restoring = "restoring",
        /// Non-restoring array divider or square root.
        NonRestoring = "non-restoring",
    }
}

impl Arch {
    /// The adder architectures, usable wherever a unit takes an adder.
    pub const ADDERS: &'static [Arch] = &[
        Arch::Ripple,
        Arch::Cla,
        Arch::CarrySelect,
        Arch::CarrySkip,
        Arch::KoggeStone,
        Arch::BrentKung,
        Arch::Sklansky,
        Arch::HanCarlson,
        Arch::LadnerFischer,
    ];

    /// Whether this is an adder architecture.
    pub fn is_adder(self) -> bool {
        Arch::ADDERS.contains(&self)
    }
}

/// Which operand interpretations a generator supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signedness {
    /// The result does not depend on it (two's complement) or the operation
    /// defines it (`abs`, `relu`, `sar` are signed); the flag is ignored.
    Fixed,
    /// Unsigned only; `signed` must be false.
    Unsigned,
    /// Signed only; `signed` must be true.
    Signed,
    /// Both, chosen by the `signed` flag.
    Both,
}

/// One generator in the [`registry`].
#[derive(Clone, Debug, Serialize)]
pub struct UnitInfo {
    /// What it computes.
    pub kind: Kind,
    /// How it is built.
    pub arch: Arch,
    /// Operand interpretations.
    pub signedness: Signedness,
    /// Whether the unit takes an adder architecture (`final_adder`), and what it is used for.
    pub adder_param: Option<&'static str>,
    /// Smallest width.
    pub min_width: u32,
    /// Largest width.
    pub max_width: u32,
    /// Input ports (n = width).
    pub inputs: &'static str,
    /// Output ports.
    pub outputs: &'static str,
    /// The algorithm and its source.
    pub algorithm: &'static str,
}

/// Smallest width of every generator.
pub const MIN_WIDTH: u32 = 2;
/// Largest width of every generator (2n-bit results must fit the evaluator's u128).
pub const MAX_WIDTH: u32 = 64;

fn adder_algorithm(a: Arch) -> &'static str {
    match a {
        Arch::Ripple => "ripple-carry: n full adders",
        Arch::Cla => "carry-lookahead, 4-bit groups, multi-level (Weinberger & Smith 1958)",
        Arch::CarrySelect => "carry-select, uniform ceil(sqrt n)-bit blocks (Bedrij 1962)",
        Arch::CarrySkip => "carry-skip, ceil(sqrt n)-bit ripple blocks with bypass (Lehman & Burla 1961)",
        Arch::KoggeStone => "parallel prefix (Kogge & Stone 1973)",
        Arch::BrentKung => "parallel prefix (Brent & Kung 1982)",
        Arch::Sklansky => "parallel prefix, divide and conquer (Sklansky 1960)",
        Arch::HanCarlson => "parallel prefix, Kogge-Stone on odd bits (Han & Carlson 1987)",
        Arch::LadnerFischer => "parallel prefix, Sklansky on odd bits (Ladner & Fischer 1980)",
        _ => "",
    }
}

/// Every generator: kind, architecture, parameters and limits.
pub fn registry() -> &'static [UnitInfo] {
    static REG: OnceLock<Vec<UnitInfo>> = OnceLock::new();
    REG.get_or_init(|| {
        let mut v = Vec::new();
        let info = |kind, arch, signedness, adder_param, inputs, outputs, algorithm| UnitInfo {
            kind,
            arch,
            signedness,
            adder_param,
            min_width: MIN_WIDTH,
            max_width: MAX_WIDTH,
            inputs,
            outputs,
            algorithm,
        };
        for &a in Arch::ADDERS {
            let alg = adder_algorithm(a);
            v.push(info(Kind::Add, a, Signedness::Fixed, None, "a[n] b[n] cin[1]", "s[n] cout[1]", alg));
        }
        let around: [(Kind, Signedness, &str, &str, &str); 5] = [
            (Kind::Sub, Signedness::Fixed, "a[n] b[n]", "s[n] cout[1]", "a + ~b + 1 on the adder"),
            (Kind::Neg, Signedness::Fixed, "a[n]", "y[n]", "~a + 1 on the adder (an incrementer)"),
            (Kind::Abs, Signedness::Fixed, "a[n]", "y[n]", "(a ^ sign) + sign on the adder"),
            (
                Kind::Cmp,
                Signedness::Both,
                "a[n] b[n]",
                "lt[1] eq[1]",
                "lt = !carry(a + ~b + 1) (signed: ^ sign(a) ^ sign(b)); eq = AND of XNORs",
            ),
            (Kind::Max, Signedness::Both, "a[n] b[n]", "y[n]", "lt from the comparator, then n MUX2"),
        ];
        for (k, sg, i, o, alg) in around {
            for &a in Arch::ADDERS {
                v.push(info(k, a, sg, None, i, o, alg));
            }
        }
        v.push(info(Kind::Relu, Arch::Mask, Signedness::Fixed, None, "a[n]", "y[n]", "y_i = a_i & !a_{n-1}"));
        let shift = "logarithmic barrel shifter, one MUX2 rank per amount bit (Lim 1972)";
        for k in [Kind::Shl, Kind::Shr, Kind::Sar] {
            v.push(info(k, Arch::Barrel, Signedness::Fixed, None, "a[n] b[ceil(log2 n)]", "y[n]", shift));
        }
        v.push(info(
            Kind::Lzc,
            Arch::Tree,
            Signedness::Fixed,
            None,
            "a[n]",
            "y[ceil(log2(n+1))]",
            "leading-zero counter tree (Oklobdzija 1994)",
        ));
        let fa = Some("final carry-propagate adder (default ripple)");
        let mi = "a[n] b[n]";
        let mo = "p[2n]";
        v.push(info(Kind::Mul, Arch::Array, Signedness::Both, fa, mi, mo, mul::ARRAY_DOC));
        v.push(info(Kind::Mul, Arch::Wallace, Signedness::Both, fa, mi, mo, mul::WALLACE_DOC));
        v.push(info(Kind::Mul, Arch::Dadda, Signedness::Both, fa, mi, mo, mul::DADDA_DOC));
        v.push(info(Kind::Mul, Arch::Booth, Signedness::Both, fa, mi, mo, mul::BOOTH_DOC));
        v.push(info(Kind::Mul, Arch::BaughWooley, Signedness::Signed, fa, mi, mo, mul::BW_DOC));
        let ra = Some("adder of every row and of the correction (default ripple)");
        v.push(info(
            Kind::Div,
            Arch::Restoring,
            Signedness::Both,
            ra,
            "a[n] b[n]",
            "q[n] r[n]",
            divsqrt::DIV_RESTORING_DOC,
        ));
        v.push(info(
            Kind::Div,
            Arch::NonRestoring,
            Signedness::Both,
            ra,
            "a[n] b[n]",
            "q[n] r[n]",
            divsqrt::DIV_NONRESTORING_DOC,
        ));
        v.push(info(
            Kind::Sqrt,
            Arch::Restoring,
            Signedness::Unsigned,
            ra,
            "a[2n]",
            "q[n] r[n+1]",
            divsqrt::SQRT_RESTORING_DOC,
        ));
        v.push(info(
            Kind::Sqrt,
            Arch::NonRestoring,
            Signedness::Unsigned,
            ra,
            "a[2n]",
            "q[n] r[n+1]",
            divsqrt::SQRT_NONRESTORING_DOC,
        ));
        v
    })
}

/// The registry entry for `kind` built as `arch`.
pub fn info(kind: Kind, arch: Arch) -> Option<&'static UnitInfo> {
    registry().iter().find(|i| i.kind == kind && i.arch == arch)
}

/// One unit to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct UnitSpec {
    /// What it computes.
    pub kind: Kind,
    /// How it is built.
    pub arch: Arch,
    /// Operand width n.
    pub width: u32,
    /// Two's-complement operands (see [`Signedness`]).
    pub signed: bool,
    /// Adder used inside multipliers, dividers and square roots (default ripple).
    pub final_adder: Option<Arch>,
}

impl UnitSpec {
    /// An unsigned unit with the default final adder.
    pub fn new(kind: Kind, arch: Arch, width: u32) -> Self {
        UnitSpec { kind, arch, width, signed: false, final_adder: None }
    }

    /// The same unit with signed operands.
    pub fn signed(mut self, signed: bool) -> Self {
        self.signed = signed;
        self
    }

    /// The same unit with another final adder.
    pub fn with_final_adder(mut self, a: Arch) -> Self {
        self.final_adder = Some(a);
        self
    }

    /// A stable design name, e.g. `mul_dadda_s16_kogge_stone`.
    pub fn design_name(&self) -> String {
        let mut s = format!(
            "{}_{}_{}{}",
            self.kind,
            self.arch.name().replace('-', "_"),
            if self.signed { "s" } else { "u" },
            self.width
        );
        if let Some(f) = self.final_adder {
            s.push('_');
            s.push_str(&f.name().replace('-', "_"));
        }
        s
    }

    /// Checks the spec against the registry; returns the entry.
    pub fn check(&self) -> Result<&'static UnitInfo, UnitError> {
        let info = info(self.kind, self.arch).ok_or(UnitError::NoSuchUnit { kind: self.kind, arch: self.arch })?;
        if self.width < info.min_width || self.width > info.max_width {
            return Err(UnitError::Width {
                kind: self.kind,
                arch: self.arch,
                width: self.width,
                min: info.min_width,
                max: info.max_width,
            });
        }
        match (info.signedness, self.signed) {
            (Signedness::Unsigned, true) | (Signedness::Signed, false) => {
                return Err(UnitError::Signedness { kind: self.kind, arch: self.arch, signed: self.signed })
            }
            _ => {}
        }
        if let Some(f) = self.final_adder {
            if info.adder_param.is_none() {
                return Err(UnitError::FinalAdder { kind: self.kind, arch: self.arch, adder: f, reason: "takes none" });
            }
            if !f.is_adder() {
                return Err(UnitError::FinalAdder {
                    kind: self.kind,
                    arch: self.arch,
                    adder: f,
                    reason: "is not an adder architecture",
                });
            }
        }
        Ok(info)
    }
}

/// Why a unit could not be generated or evaluated.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum UnitError {
    /// No generator for this kind and architecture.
    #[error("no `{kind}` unit with architecture `{arch}` (see `tosim units`)")]
    NoSuchUnit {
        /// Kind asked for.
        kind: Kind,
        /// Architecture asked for.
        arch: Arch,
    },
    /// Width outside the generator's limits.
    #[error("`{kind}`/`{arch}` supports widths {min}..={max}, not {width}")]
    Width {
        /// Kind.
        kind: Kind,
        /// Architecture.
        arch: Arch,
        /// Width asked for.
        width: u32,
        /// Smallest width.
        min: u32,
        /// Largest width.
        max: u32,
    },
    /// Signedness the generator does not support.
    #[error("`{kind}`/`{arch}` has no {} version", if *signed { "signed" } else { "unsigned" })]
    Signedness {
        /// Kind.
        kind: Kind,
        /// Architecture.
        arch: Arch,
        /// What was asked for.
        signed: bool,
    },
    /// A final adder the unit cannot take.
    #[error("`{kind}`/`{arch}`: final adder `{adder}` {reason}")]
    FinalAdder {
        /// Kind.
        kind: Kind,
        /// Architecture.
        arch: Arch,
        /// Adder asked for.
        adder: Arch,
        /// Why not.
        reason: &'static str,
    },
    /// Wrong number of operands for [`reference`].
    #[error("`{kind}` takes {expected} operands, got {found}")]
    Operands {
        /// Kind.
        kind: Kind,
        /// Expected count.
        expected: usize,
        /// Given count.
        found: usize,
    },
    /// The netlist failed its checks (a generator bug).
    #[error("generated netlist is invalid: {0}")]
    Netlist(#[from] NetlistError),
}

/// ⌈log2 n⌉ for n ≥ 1.
pub fn clog2(n: u32) -> u32 {
    u32::BITS - (n.max(1) - 1).leading_zeros()
}

/// Builds the unit `spec` describes.
pub fn generate(spec: &UnitSpec) -> Result<Netlist, UnitError> {
    spec.check()?;
    let n = spec.width as usize;
    let fa = spec.final_adder.unwrap_or(Arch::Ripple);
    let mut l = logic::Logic::new(&spec.design_name());
    match spec.kind {
        Kind::Add => {
            let a = l.input("a", n);
            let b = l.input("b", n);
            let c = l.input("cin", 1);
            let (s, co) = adders::add(&mut l, spec.arch, &a, &b, c[0]);
            l.output("s", &s);
            l.output("cout", &[co]);
        }
        Kind::Sub | Kind::Neg | Kind::Abs | Kind::Cmp | Kind::Max | Kind::Relu => basic::around_adder(&mut l, spec),
        Kind::Shl | Kind::Shr | Kind::Sar => basic::shifter(&mut l, spec.kind, n),
        Kind::Lzc => basic::lzc(&mut l, n),
        Kind::Mul => mul::multiplier(&mut l, spec.arch, n, spec.signed, fa),
        Kind::Div => divsqrt::divider(&mut l, spec.arch, n, spec.signed, fa),
        Kind::Sqrt => divsqrt::sqrt(&mut l, spec.arch, n, fa),
    }
    Ok(l.finish()?)
}

/// Port widths `(inputs, outputs)` of a unit, in port order.
pub fn port_widths(spec: &UnitSpec) -> (Vec<u32>, Vec<u32>) {
    let n = spec.width;
    match spec.kind {
        Kind::Add => (vec![n, n, 1], vec![n, 1]),
        Kind::Sub => (vec![n, n], vec![n, 1]),
        Kind::Neg | Kind::Abs | Kind::Relu => (vec![n], vec![n]),
        Kind::Cmp => (vec![n, n], vec![1, 1]),
        Kind::Max => (vec![n, n], vec![n]),
        Kind::Shl | Kind::Shr | Kind::Sar => (vec![n, clog2(n)], vec![n]),
        Kind::Lzc => (vec![n], vec![clog2(n + 1)]),
        Kind::Mul => (vec![n, n], vec![2 * n]),
        Kind::Div => (vec![n, n], vec![n, n]),
        Kind::Sqrt => (vec![2 * n], vec![n, n + 1]),
    }
}

/// The low `w` bits set (all 128 for `w` ≥ 128).
pub fn mask(w: u32) -> u128 {
    if w >= 128 {
        u128::MAX
    } else {
        (1u128 << w) - 1
    }
}

/// Sign-extends the low `w` bits of `x` (1 ≤ `w` ≤ 128).
pub fn sext(x: u128, w: u32) -> i128 {
    let s = 128 - w;
    ((x << s) as i128) >> s
}

/// ⌊√x⌋ for any u128 (Newton's iteration from a float estimate, then exact fix-up).
pub fn isqrt_u128(x: u128) -> u128 {
    let mut r = (x as f64).sqrt() as u128;
    while r.checked_mul(r).map_or(true, |sq| sq > x) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|sq| sq <= x) {
        r += 1;
    }
    r
}

/// What the unit `spec` must output for `inputs` (one value per input port, in
/// port order; bits above a port's width are ignored), computed with Rust's
/// integer arithmetic. The oracle every generator is tested against.
pub fn reference(spec: &UnitSpec, inputs: &[u128]) -> Result<Vec<u128>, UnitError> {
    let (iw, _) = port_widths(spec);
    if inputs.len() != iw.len() {
        return Err(UnitError::Operands { kind: spec.kind, expected: iw.len(), found: inputs.len() });
    }
    let n = spec.width;
    let m = mask(n);
    let x: Vec<u128> = inputs.iter().zip(&iw).map(|(&v, &w)| v & mask(w)).collect();
    let a = x[0];
    let (sa, sb) = (sext(a, n), x.get(1).map_or(0, |&b| sext(b, n)));
    Ok(match spec.kind {
        Kind::Add => {
            let t = a + x[1] + x[2];
            vec![t & m, t >> n]
        }
        Kind::Sub => vec![a.wrapping_sub(x[1]) & m, (a >= x[1]) as u128],
        Kind::Neg => vec![a.wrapping_neg() & m],
        Kind::Abs => vec![sa.unsigned_abs() & m],
        Kind::Cmp => {
            let lt = if spec.signed { sa < sb } else { a < x[1] };
            vec![lt as u128, (a == x[1]) as u128]
        }
        Kind::Max => vec![if spec.signed { sa.max(sb) as u128 & m } else { a.max(x[1]) }],
        Kind::Relu => vec![sa.max(0) as u128],
        Kind::Shl => vec![if x[1] >= n as u128 { 0 } else { (a << x[1]) & m }],
        Kind::Shr => vec![if x[1] >= n as u128 { 0 } else { a >> x[1] }],
        Kind::Sar => vec![(sa >> x[1].min(n as u128 - 1)) as u128 & m],
        Kind::Lzc => vec![if a == 0 { n as u128 } else { (a.leading_zeros() - (128 - n)) as u128 }],
        Kind::Mul => {
            let p = if spec.signed { (sa * sb) as u128 } else { a * x[1] };
            vec![p & mask(2 * n)]
        }
        // Division by zero: q = all ones, r = a (RISC-V).
        Kind::Div if spec.signed => match (sa.checked_div(sb), sa.checked_rem(sb)) {
            // i128 never overflows on n ≤ 64-bit operands: MIN / −1 = 2ⁿ⁻¹, which masks to MIN.
            (Some(q), Some(r)) => vec![q as u128 & m, r as u128 & m],
            _ => vec![m, a],
        },
        Kind::Div => vec![a.checked_div(x[1]).unwrap_or(m), a.checked_rem(x[1]).unwrap_or(a)],
        Kind::Sqrt => {
            let q = isqrt_u128(a);
            vec![q, a - q * q]
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_registry_is_consistent() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(*k));
            assert!(registry().iter().any(|i| i.kind == *k), "{k} has no generator");
        }
        for a in Arch::ALL {
            assert_eq!(Arch::from_name(a.name()), Some(*a));
        }
        // Every adder arch appears once per adder-based kind: 6 kinds × 9 archs,
        // plus relu, shl, shr, sar, lzc, 5 multipliers, 2 dividers, 2 square roots.
        assert_eq!(registry().len(), 6 * 9 + 5 + 5 + 2 + 2);
    }

    #[test]
    fn reference_by_hand() {
        // 0b1000 with n = 4: 0 leading zeros; 1 has 3; 0 has 4.
        let lzc = UnitSpec::new(Kind::Lzc, Arch::Tree, 4);
        assert_eq!(reference(&lzc, &[8]).unwrap(), vec![0]);
        assert_eq!(reference(&lzc, &[1]).unwrap(), vec![3]);
        assert_eq!(reference(&lzc, &[0]).unwrap(), vec![4]);
        // Signed 4-bit: -8 * -8 = 64 = 0b0100_0000 in 8 bits.
        let m = UnitSpec::new(Kind::Mul, Arch::BaughWooley, 4).signed(true);
        assert_eq!(reference(&m, &[8, 8]).unwrap(), vec![64]);
        // -1 * 1 = -1 = 0xff in 8 bits.
        assert_eq!(reference(&m, &[15, 1]).unwrap(), vec![0xff]);
        assert_eq!(isqrt_u128(u128::MAX), u64::MAX as u128);
        assert_eq!(clog2(1), 0);
        assert_eq!(clog2(2), 1);
        assert_eq!(clog2(5), 3);
        assert_eq!(clog2(64), 6);
        assert_eq!(clog2(65), 7);
    }
}

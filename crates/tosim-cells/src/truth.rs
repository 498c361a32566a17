//! Truth tables of Boolean functions of up to six inputs.

use serde::{Deserialize, Serialize};

/// Largest number of inputs a [`TruthTable`] holds (2^6 = 64 rows in one `u64`).
pub const MAX_INPUTS: usize = 6;

/// A Boolean function of `inputs` variables, one bit per input combination.
///
/// Row `r` holds the output when input `i` equals bit `i` of `r` (input 0 is the
/// least significant index bit). Bits above row `2^inputs - 1` are always zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TruthTable {
    inputs: u8,
    bits: u64,
}

impl TruthTable {
    /// A table from its row bits; rows beyond `2^inputs` are masked off.
    ///
    /// Returns `None` when `inputs` exceeds [`MAX_INPUTS`].
    pub fn new(inputs: usize, bits: u64) -> Option<Self> {
        if inputs > MAX_INPUTS {
            return None;
        }
        Some(TruthTable { inputs: inputs as u8, bits: bits & Self::mask(inputs) })
    }

    /// The table of `f` evaluated on every row; `f` receives the row index.
    pub fn from_fn(inputs: usize, f: impl Fn(u32) -> bool) -> Option<Self> {
        if inputs > MAX_INPUTS {
            return None;
        }
        let mut bits = 0u64;
        for row in 0..(1u32 << inputs) {
            if f(row) {
                bits |= 1 << row;
            }
        }
        Self::new(inputs, bits)
    }

    /// The constant function.
    pub fn constant(inputs: usize, value: bool) -> Option<Self> {
        Self::new(inputs, if value { u64::MAX } else { 0 })
    }

    /// The projection onto input `i`.
    pub fn var(inputs: usize, i: usize) -> Option<Self> {
        if i >= inputs {
            return None;
        }
        Self::from_fn(inputs, |r| r >> i & 1 == 1)
    }

    fn mask(inputs: usize) -> u64 {
        if inputs >= 6 {
            u64::MAX
        } else {
            (1u64 << (1u32 << inputs)) - 1
        }
    }

    /// Number of inputs.
    pub fn inputs(&self) -> usize {
        self.inputs as usize
    }

    /// Number of rows, `2^inputs`.
    pub fn rows(&self) -> usize {
        1 << self.inputs
    }

    /// The row bits.
    pub fn bits(&self) -> u64 {
        self.bits
    }

    /// Output for input combination `row` (input `i` = bit `i`).
    pub fn eval(&self, row: u32) -> bool {
        (row as usize) < self.rows() && self.bits >> row & 1 == 1
    }

    /// The complement.
    pub fn not(&self) -> Self {
        TruthTable { inputs: self.inputs, bits: !self.bits & Self::mask(self.inputs()) }
    }

    /// Whether the function depends on input `i`.
    pub fn depends_on(&self, i: usize) -> bool {
        (0..self.rows() as u32).any(|r| r >> i & 1 == 0 && self.eval(r) != self.eval(r | 1 << i))
    }

    /// Hex string of the row bits, most significant row first, `ceil(rows/4)` digits.
    pub fn to_hex(&self) -> String {
        let digits = self.rows().div_ceil(4);
        format!("{:0width$x}", self.bits, width = digits)
    }

    /// The function with its inputs permuted: input `i` of the result is input
    /// `perm[i]` of `self`. `perm` must have `inputs()` entries.
    pub fn permute(&self, perm: &[usize]) -> Option<Self> {
        if perm.len() != self.inputs() || perm.iter().any(|&p| p >= self.inputs()) {
            return None;
        }
        Self::from_fn(self.inputs(), |r| {
            let mut src = 0u32;
            for (i, &p) in perm.iter().enumerate() {
                src |= (r >> i & 1) << p;
            }
            self.eval(src)
        })
    }

    /// A readable sum-of-products expression over the given input names
    /// (`!a & b | c`, `0`, `1`), from a greedy prime-implicant cover.
    pub fn expression(&self, names: &[&str]) -> String {
        crate::expr::sop(self, names)
    }
}

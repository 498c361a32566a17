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
        if perm.len() != self.inputs() {
            return None;
        }
        self.restrict(perm)
    }

    /// Every order of `k` inputs (all permutations of `0..k`), `k!` of them,
    /// in a fixed order.
    pub fn input_orders(k: usize) -> Vec<Vec<usize>> {
        if k == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in Self::input_orders(k - 1) {
            for pos in 0..=p.len() {
                let mut q = p.clone();
                q.insert(pos, k - 1);
                out.push(q);
            }
        }
        out
    }

    /// The function `h(x) = self(x[wiring[0]], …, x[wiring[k-1]])`: input `i`
    /// of `self` reads input `wiring[i]` of the result (the inverse view of
    /// [`TruthTable::permute`]). `wiring` must be a permutation of `0..inputs()`.
    pub fn rewired(&self, wiring: &[usize]) -> Option<Self> {
        if wiring.len() != self.inputs() || wiring.iter().any(|&p| p >= self.inputs()) {
            return None;
        }
        Self::from_fn(self.inputs(), |r| {
            let mut row = 0u32;
            for (i, &p) in wiring.iter().enumerate() {
                row |= (r >> p & 1) << i;
            }
            self.eval(row)
        })
    }

    /// The inputs the function depends on, ascending.
    pub fn support(&self) -> Vec<usize> {
        (0..self.inputs()).filter(|&i| self.depends_on(i)).collect()
    }

    /// The function of the inputs `keep` only (input `j` of the result is
    /// input `keep[j]` of `self`; the others read 0): with `keep` the
    /// [`TruthTable::support`], the same function without its unused inputs.
    /// `None` when an index is out of range.
    pub fn restrict(&self, keep: &[usize]) -> Option<Self> {
        if keep.iter().any(|&i| i >= self.inputs()) {
            return None;
        }
        Self::from_fn(keep.len(), |r| {
            let mut row = 0u32;
            for (j, &i) in keep.iter().enumerate() {
                row |= (r >> j & 1) << i;
            }
            self.eval(row)
        })
    }

    /// A readable sum-of-products expression over the given input names
    /// (`!a & b | c`, `0`, `1`), from a greedy prime-implicant cover.
    pub fn expression(&self, names: &[&str]) -> String {
        crate::expr::sop(self, names)
    }
}

/// Recognises Boolean functions as one gate of a candidate set under any
/// order of its inputs: the truth-table → gate matcher of the compiler (gates
/// are instructions) and of the folding netlist builder (gates are cells).
#[derive(Clone, Debug)]
pub struct GateMatcher<G> {
    /// Function → (gate, wiring): the function is `gate(x[wiring[0]], …)`.
    map: std::collections::HashMap<TruthTable, (G, Vec<usize>)>,
}

impl<G: Copy> GateMatcher<G> {
    /// A matcher over `gates` (each with its truth table), in preference
    /// order: where several gates or input orders compute one function, the
    /// first gate and the first order of [`TruthTable::input_orders`] win.
    pub fn new(gates: impl IntoIterator<Item = (G, TruthTable)>) -> Self {
        Self::with_orders(gates, TruthTable::input_orders)
    }

    /// [`GateMatcher::new`] with the input orders of a `k`-input gate tried
    /// in the order `orders(k)` gives (each a permutation of `0..k`).
    pub fn with_orders(
        gates: impl IntoIterator<Item = (G, TruthTable)>,
        orders: impl Fn(usize) -> Vec<Vec<usize>>,
    ) -> Self {
        let mut map = std::collections::HashMap::new();
        for (g, t) in gates {
            for wiring in orders(t.inputs()) {
                // Input i of the gate reads input wiring[i] of the function.
                if let Some(h) = t.rewired(&wiring) {
                    map.entry(h).or_insert((g, wiring));
                }
            }
        }
        GateMatcher { map }
    }

    /// The gate computing `f` and its wiring: input `i` of the gate reads
    /// input `wiring[i]` of `f`.
    pub fn find(&self, f: TruthTable) -> Option<(G, &[usize])> {
        self.map.get(&f).map(|(g, w)| (*g, w.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_orders_are_all_permutations() {
        // k! orders, each a permutation of 0..k, all distinct.
        for k in 0..=4 {
            let orders = TruthTable::input_orders(k);
            let fact: usize = (1..=k).product();
            assert_eq!(orders.len(), fact);
            let mut sorted = orders.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), fact);
            for o in &orders {
                let mut s = o.clone();
                s.sort();
                assert_eq!(s, (0..k).collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn rewired_is_the_inverse_of_permute() {
        // ANDNOT(a, b) = a & !b (rows: only a=1,b=0 -> row 1 -> 0b0010).
        let andnot = TruthTable::new(2, 0b0010).unwrap();
        // Input 0 reads variable 1 and input 1 reads variable 0: h = x1 & !x0 -> row 2.
        assert_eq!(andnot.rewired(&[1, 0]).unwrap().bits(), 0b0100);
        // A 3-input table with a cyclic wiring: rewiring then permuting back is the identity.
        let t = TruthTable::new(3, 0b1011_0010).unwrap();
        for w in TruthTable::input_orders(3) {
            assert_eq!(t.rewired(&w).unwrap().permute(&w).unwrap(), t);
        }
        assert!(t.rewired(&[0, 1]).is_none());
    }

    #[test]
    fn restrict_to_the_support_drops_unused_inputs() {
        // f(x0, x1, x2) = x0 & x2: support [0, 2], restricted to AND2.
        let f = TruthTable::from_fn(3, |r| r & 1 == 1 && r >> 2 & 1 == 1).unwrap();
        assert_eq!(f.support(), vec![0, 2]);
        assert_eq!(f.restrict(&f.support()).unwrap(), TruthTable::new(2, 0b1000).unwrap());
        assert!(f.restrict(&[3]).is_none());
    }

    #[test]
    fn gate_matcher_finds_every_input_order_and_keeps_the_first_gate() {
        let andnot = TruthTable::new(2, 0b0010).unwrap(); // a & !b
        let m = GateMatcher::new([("andnot", andnot), ("also_andnot", andnot)]);
        assert_eq!(m.find(andnot), Some(("andnot", &[0usize, 1][..])));
        // !a & b is ANDNOT with input 0 reading variable 1.
        let (g, w) = m.find(andnot.rewired(&[1, 0]).unwrap()).unwrap();
        assert_eq!((g, w), ("andnot", &[1usize, 0][..]));
        assert_eq!(m.find(TruthTable::new(2, 0b1000).unwrap()), None);
    }
}

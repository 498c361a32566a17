//! Word operations: the one evaluator of cell functions that every engine uses.
//!
//! A cell output or internal-node function (a [`TruthTable`] of up to six
//! inputs) is compiled into a short sequence of [`OpKind`] instructions over
//! word slots. Each word holds one bit per operation (lane). Common functions
//! (AND, OR, XOR, NAND, NOR, XNOR, ANDNOT, ORNOT, MUX, MAJ, AOI, OAI of up to
//! four inputs, in any input order) are recognised and become one instruction;
//! any other function is split by Shannon decomposition on its last input,
//! `f = x ? f1 : f0`, until the cofactors are recognised.

use tosim_cells::{GateMatcher, TruthTable};

macro_rules! ops {
    ($( $(#[$doc:meta])* $kind:ident / $arity:literal => |$a:ident, $b:ident, $c:ident, $d:ident| $e:expr ;)*) => {
        /// A word operation; inputs `a, b, c, d` (unused ones are ignored).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum OpKind { $( $(#[$doc])* $kind, )* }

        impl OpKind {
            /// Every operation.
            pub const ALL: &'static [OpKind] = &[$(OpKind::$kind),*];

            /// Number of inputs the operation reads.
            pub fn arity(self) -> usize {
                match self { $(OpKind::$kind => $arity,)* }
            }

            /// Applies the operation to one word per input (bitwise, all lanes at once).
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn apply(self, a: u64, b: u64, c: u64, d: u64) -> u64 {
                match self { $(OpKind::$kind => { let ($a, $b, $c, $d) = (a, b, c, d); $e })* }
            }

            /// Applies the operation lane-wise to blocks of `N` words.
            #[inline(always)]
            #[allow(unused_variables)]
            pub fn apply_block<const N: usize>(self, xa: &[u64; N], xb: &[u64; N], xc: &[u64; N], xd: &[u64; N]) -> [u64; N] {
                let mut out = [0u64; N];
                match self {
                    $(OpKind::$kind => {
                        for w in 0..N {
                            let ($a, $b, $c, $d) = (xa[w], xb[w], xc[w], xd[w]);
                            out[w] = $e;
                        }
                    })*
                }
                out
            }
        }
    };
}

ops! {
    /// `a`
    Copy / 1 => |a, b, c, d| a;
    /// `!a`
    Not / 1 => |a, b, c, d| !a;
    /// `a & b`
    And / 2 => |a, b, c, d| a & b;
    /// `a | b`
    Or / 2 => |a, b, c, d| a | b;
    /// `a ^ b`
    Xor / 2 => |a, b, c, d| a ^ b;
    /// `!(a & b)`
    Nand / 2 => |a, b, c, d| !(a & b);
    /// `!(a | b)`
    Nor / 2 => |a, b, c, d| !(a | b);
    /// `!(a ^ b)`
    Xnor / 2 => |a, b, c, d| !(a ^ b);
    /// `a & !b`
    AndNot / 2 => |a, b, c, d| a & !b;
    /// `a | !b`
    OrNot / 2 => |a, b, c, d| a | !b;
    /// `a & b & c`
    And3 / 3 => |a, b, c, d| a & b & c;
    /// `a | b | c`
    Or3 / 3 => |a, b, c, d| a | b | c;
    /// `!(a & b & c)`
    Nand3 / 3 => |a, b, c, d| !(a & b & c);
    /// `!(a | b | c)`
    Nor3 / 3 => |a, b, c, d| !(a | b | c);
    /// `a ^ b ^ c`
    Xor3 / 3 => |a, b, c, d| a ^ b ^ c;
    /// `!(a ^ b ^ c)`
    Xnor3 / 3 => |a, b, c, d| !(a ^ b ^ c);
    /// majority of `a, b, c`
    Maj / 3 => |a, b, c, d| (a & b) | (c & (a | b));
    /// `!maj(a, b, c)`
    Minority / 3 => |a, b, c, d| !((a & b) | (c & (a | b)));
    /// `c ? b : a`
    Mux / 3 => |a, b, c, d| (a & !c) | (b & c);
    /// `!(c ? b : a)`
    NMux / 3 => |a, b, c, d| !((a & !c) | (b & c));
    /// `(a & b) | c`
    Ao21 / 3 => |a, b, c, d| (a & b) | c;
    /// `!((a & b) | c)`
    Aoi21 / 3 => |a, b, c, d| !((a & b) | c);
    /// `(a | b) & c`
    Oa21 / 3 => |a, b, c, d| (a | b) & c;
    /// `!((a | b) & c)`
    Oai21 / 3 => |a, b, c, d| !((a | b) & c);
    /// `a & b & c & d`
    And4 / 4 => |a, b, c, d| a & b & c & d;
    /// `a | b | c | d`
    Or4 / 4 => |a, b, c, d| a | b | c | d;
    /// `!(a & b & c & d)`
    Nand4 / 4 => |a, b, c, d| !(a & b & c & d);
    /// `!(a | b | c | d)`
    Nor4 / 4 => |a, b, c, d| !(a | b | c | d);
    /// `a ^ b ^ c ^ d`
    Xor4 / 4 => |a, b, c, d| a ^ b ^ c ^ d;
    /// `(a & b) | (c & d)`
    Ao22 / 4 => |a, b, c, d| (a & b) | (c & d);
    /// `!((a & b) | (c & d))`
    Aoi22 / 4 => |a, b, c, d| !((a & b) | (c & d));
    /// `(a | b) & (c | d)`
    Oa22 / 4 => |a, b, c, d| (a | b) & (c | d);
    /// `!((a | b) & (c | d))`
    Oai22 / 4 => |a, b, c, d| !((a | b) & (c | d));
}

/// Projection words: bit `r` of `VARS[i]` is bit `i` of `r` (truth-table rows).
pub(crate) const VARS: [u64; 6] = [
    0xAAAA_AAAA_AAAA_AAAA,
    0xCCCC_CCCC_CCCC_CCCC,
    0xF0F0_F0F0_F0F0_F0F0,
    0xFF00_FF00_FF00_FF00,
    0xFFFF_0000_FFFF_0000,
    0xFFFF_FFFF_0000_0000,
];

impl OpKind {
    /// The operation's truth table over its `arity()` inputs, computed by the
    /// evaluator itself on the projection words.
    pub fn truth_table(self) -> TruthTable {
        let k = self.arity();
        let bits = self.apply(VARS[0], VARS[1], VARS[2], VARS[3]);
        TruthTable::new(k, bits).expect("operations have at most four inputs")
    }
}

tosim_cells::id_type!(
    /// A word slot of a compiled program: slots `0..net_count` are the nets
    /// (slot index = [`tosim_netlist::NetId::index`]), then the internal
    /// nodes and the temporaries (see [`crate::Program`]).
    SlotId
);

impl SlotId {
    /// The slot of net `n`.
    #[inline]
    pub fn of_net(n: tosim_netlist::NetId) -> SlotId {
        SlotId(n.0)
    }
}

/// One compiled instruction: `dst = kind(src[0..arity])` over word slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The operation.
    pub kind: OpKind,
    /// Destination slot.
    pub dst: SlotId,
    /// Source slots (unused ones repeat slot 0).
    pub src: [SlotId; 4],
}

/// Recognises functions as single operations, for every input permutation.
pub(crate) type Matcher = GateMatcher<OpKind>;

/// The matcher of every [`OpKind`]; where two operations compute one
/// function, the first in declaration order wins.
pub(crate) fn matcher() -> Matcher {
    GateMatcher::new(OpKind::ALL.iter().map(|&op| (op, op.truth_table())))
}

/// Where a compiled function's value lives.
pub(crate) struct FnCompiler<'a> {
    pub(crate) matcher: &'a Matcher,
    /// Slot holding constant 0 and constant 1.
    pub(crate) zero: u32,
    pub(crate) one: u32,
    /// Next free temporary slot (incremented as temps are allocated).
    pub(crate) next_slot: &'a mut u32,
    pub(crate) out: &'a mut Vec<Insn>,
}

/// Cofactor of `f` with input `i` fixed to `v` (still a function of all inputs).
fn cofactor(f: TruthTable, i: usize, v: bool) -> TruthTable {
    TruthTable::from_fn(f.inputs(), |r| f.eval(if v { r | 1 << i } else { r & !(1 << i) })).unwrap_or(f)
}

impl FnCompiler<'_> {
    fn temp(&mut self) -> u32 {
        let s = *self.next_slot;
        *self.next_slot += 1;
        s
    }

    fn emit(&mut self, kind: OpKind, dst: u32, src: &[u32]) {
        let mut s = [self.zero; 4];
        s[..src.len()].copy_from_slice(src);
        self.out.push(Insn { kind, dst: SlotId(dst), src: s.map(SlotId) });
    }

    /// Compiles `f` (inputs read from `inputs[i]`) into instructions. With
    /// `dst`, the value is written there (a copy if `f` is an input or constant);
    /// without, the slot already holding the value is returned when there is one.
    pub(crate) fn compile(&mut self, f: TruthTable, inputs: &[u32], dst: Option<u32>) -> u32 {
        let sup = f.support();
        let g = f.restrict(&sup).unwrap_or(f);
        let k = sup.len();
        if k == 0 {
            let c = if g.eval(0) { self.one } else { self.zero };
            return self.place(c, dst);
        }
        if k == 1 && g.bits() == 0b10 {
            return self.place(inputs[sup[0]], dst);
        }
        if let Some((op, perm)) = self.matcher.find(g) {
            let src: Vec<u32> = perm.iter().map(|&p| inputs[sup[p]]).collect();
            let d = dst.unwrap_or_else(|| self.temp());
            self.emit(op, d, &src);
            return d;
        }
        if let Some((op, perm)) = self.matcher.find(g.not()) {
            let src: Vec<u32> = perm.iter().map(|&p| inputs[sup[p]]).collect();
            let t = self.temp();
            self.emit(op, t, &src);
            let d = dst.unwrap_or_else(|| self.temp());
            self.emit(OpKind::Not, d, &[t]);
            return d;
        }
        // Shannon decomposition on the last input of the support.
        let x = sup[k - 1];
        let f0 = self.compile(cofactor(f, x, false), inputs, None);
        let f1 = self.compile(cofactor(f, x, true), inputs, None);
        let d = dst.unwrap_or_else(|| self.temp());
        self.emit(OpKind::Mux, d, &[f0, f1, inputs[x]]);
        d
    }

    fn place(&mut self, src: u32, dst: Option<u32>) -> u32 {
        match dst {
            Some(d) if d != src => {
                self.emit(OpKind::Copy, d, &[src]);
                d
            }
            _ => src,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every function of up to four inputs and a sample of 5- and 6-input
    /// functions compile to instruction sequences that reproduce the table.
    #[test]
    fn compiles_every_small_function() {
        let m = matcher();
        let check = |f: TruthTable| {
            let n = f.inputs();
            let mut next = (2 + n) as u32;
            let mut insns = Vec::new();
            let inputs: Vec<u32> = (2..2 + n as u32).collect();
            let dst = next;
            next += 1;
            let mut c = FnCompiler { matcher: &m, zero: 0, one: 1, next_slot: &mut next, out: &mut insns };
            c.compile(f, &inputs, Some(dst));
            let mut v = vec![0u64; next as usize];
            v[1] = u64::MAX;
            v[2..2 + n].copy_from_slice(&VARS[..n]);
            for ins in &insns {
                let s = ins.src;
                v[ins.dst.index()] = ins.kind.apply(v[s[0].index()], v[s[1].index()], v[s[2].index()], v[s[3].index()]);
            }
            let mask = if n == 6 { u64::MAX } else { (1u64 << (1 << n)) - 1 };
            assert_eq!(v[dst as usize] & mask, f.bits(), "function {} of {n} inputs", f.to_hex());
        };
        for n in 0..=4usize {
            for bits in 0..(1u64 << (1 << n)) {
                check(TruthTable::new(n, bits).unwrap());
            }
        }
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(TruthTable::new(5, x).unwrap());
            check(TruthTable::new(6, x.rotate_left(7)).unwrap());
        }
    }

    #[test]
    fn common_functions_are_one_instruction() {
        let m = matcher();
        for &op in OpKind::ALL {
            let t = op.truth_table();
            assert_eq!(m.find(t).map(|x| x.0.arity()), Some(op.arity()));
        }
        // MUX with its inputs permuted (select first): f(s, a, b) = s ? b : a.
        let f = TruthTable::from_fn(3, |r| if r & 1 == 1 { r >> 2 & 1 == 1 } else { r >> 1 & 1 == 1 }).unwrap();
        assert_eq!(m.find(f).map(|x| x.0), Some(OpKind::Mux));
    }
}

//! A small construction layer over [`NetlistBuilder`]: generators describe
//! their structure through it, and it folds constants, shares identical gates
//! and removes logic nobody reads before the netlist is built.
//!
//! Folding is local and obvious (an AND with a constant 0 is 0, a full adder
//! with a constant 0 input is a half adder, a full adder whose sum is never
//! read is a majority gate, …), so the structure a generator describes is the
//! structure that ends up in the netlist, minus what cannot matter.
//!
//! Public so that other generators (`tosim_units::float::Circuit`, which adds
//! truth-table folding and sub-netlist instantiation on top) share its gate
//! store, structural sharing and dead-logic removal: [`Logic::cell`],
//! [`Logic::inverted`], [`Logic::input`], [`Logic::output`], [`Logic::finish`],
//! and the AND/OR tree shape [`gate_tree`].

use std::collections::HashMap;

use tosim_netlist::{Gate, NetId, Netlist, NetlistBuilder, NetlistError};

/// A signal: 0 and 1 are the constants, others are primary inputs or gate outputs.
pub type Sig = u32;
/// Constant 0.
pub const ZERO: Sig = 0;
/// Constant 1.
pub const ONE: Sig = 1;

#[derive(Clone, Copy, Debug)]
enum Src {
    Const(bool),
    Input,
    Node { node: usize },
}

#[derive(Clone, Debug)]
struct Node {
    gate: Gate,
    ins: Vec<Sig>,
    outs: Vec<Sig>,
}

/// AND (`and`) or OR of `xs` as a tree of 2- to 4-input gates: the tree
/// [`Logic`] builds, shared with other builders (`tosim_units::float::Circuit`)
/// over their own signal type.
///
/// A constant that decides the result (`zero` for AND, `one` for OR) is
/// returned as is; the other constant and repeated signals are dropped; the
/// rest is combined four at a time, level by level, by `gate` (called with
/// `And2`–`And4` or `Or2`–`Or4` and that many signals). Nothing left gives
/// the neutral constant.
pub fn gate_tree<S: Copy + PartialEq>(
    xs: &[S],
    and: bool,
    (zero, one): (S, S),
    mut gate: impl FnMut(Gate, &[S]) -> S,
) -> S {
    let (neutral, absorbing) = if and { (one, zero) } else { (zero, one) };
    let gates = if and { [Gate::And2, Gate::And3, Gate::And4] } else { [Gate::Or2, Gate::Or3, Gate::Or4] };
    let mut v: Vec<S> = Vec::new();
    for &x in xs {
        if x == absorbing {
            return absorbing;
        }
        if x != neutral && !v.contains(&x) {
            v.push(x);
        }
    }
    while v.len() > 1 {
        v = v.chunks(4).map(|ch| if ch.len() == 1 { ch[0] } else { gate(gates[ch.len() - 2], ch) }).collect();
    }
    v.first().copied().unwrap_or(neutral)
}

/// The construction context (see the module documentation).
pub struct Logic {
    name: String,
    sigs: Vec<Src>,
    nodes: Vec<Node>,
    share: HashMap<(Gate, Vec<Sig>), usize>,
    inputs: Vec<(String, Vec<Sig>)>,
    outputs: Vec<(String, Vec<Sig>)>,
}

impl Logic {
    /// An empty design called `name`.
    pub fn new(name: &str) -> Self {
        Logic {
            name: name.to_string(),
            sigs: vec![Src::Const(false), Src::Const(true)],
            nodes: Vec::new(),
            share: HashMap::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Declares an input bus, LSB first.
    pub fn input(&mut self, name: &str, width: usize) -> Vec<Sig> {
        let sigs: Vec<Sig> = (0..width)
            .map(|_| {
                self.sigs.push(Src::Input);
                self.sigs.len() as Sig - 1
            })
            .collect();
        self.inputs.push((name.to_string(), sigs.clone()));
        sigs
    }

    /// Declares an output bus, LSB first.
    pub fn output(&mut self, name: &str, sigs: &[Sig]) {
        self.outputs.push((name.to_string(), sigs.to_vec()));
    }

    /// A constant.
    pub(crate) fn constant(v: bool) -> Sig {
        if v {
            ONE
        } else {
            ZERO
        }
    }

    /// The value of a constant signal (`None` for any other).
    pub(crate) fn as_const(s: Sig) -> Option<bool> {
        match s {
            ZERO => Some(false),
            ONE => Some(true),
            _ => None,
        }
    }

    /// Number of gates added so far (before dead logic is removed).
    pub fn gate_count(&self) -> usize {
        self.nodes.len()
    }

    /// The signal `s` inverts, when `s` is the output of an inverter.
    pub fn inverted(&self, s: Sig) -> Option<Sig> {
        match self.sigs[s as usize] {
            Src::Node { node } if self.nodes[node].gate == Gate::Inv => Some(self.nodes[node].ins[0]),
            _ => None,
        }
    }

    /// Whether `x == !y` is known structurally.
    fn complementary(&self, x: Sig, y: Sig) -> bool {
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(p), Some(q)) => p != q,
            _ => self.inverted(x) == Some(y) || self.inverted(y) == Some(x),
        }
    }

    /// Adds a gate without folding (identical gates are shared).
    pub fn cell(&mut self, gate: Gate, ins: &[Sig]) -> Vec<Sig> {
        let key = (gate, ins.to_vec());
        if let Some(&k) = self.share.get(&key) {
            return self.nodes[k].outs.clone();
        }
        let node = self.nodes.len();
        let outs: Vec<Sig> = (0..gate.outputs().len())
            .map(|_| {
                self.sigs.push(Src::Node { node });
                self.sigs.len() as Sig - 1
            })
            .collect();
        self.nodes.push(Node { gate, ins: ins.to_vec(), outs: outs.clone() });
        self.share.insert(key, node);
        outs
    }

    fn g(&mut self, gate: Gate, ins: &[Sig]) -> Sig {
        self.cell(gate, ins)[0]
    }

    /// `!x`.
    pub(crate) fn not(&mut self, x: Sig) -> Sig {
        if let Some(v) = Self::as_const(x) {
            return Self::constant(!v);
        }
        if let Some(y) = self.inverted(x) {
            return y;
        }
        self.g(Gate::Inv, &[x])
    }

    /// `x & y`.
    pub(crate) fn and(&mut self, x: Sig, y: Sig) -> Sig {
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(false), _) | (_, Some(false)) => ZERO,
            (Some(true), _) => y,
            (_, Some(true)) => x,
            _ if x == y => x,
            _ if self.complementary(x, y) => ZERO,
            _ => self.g(Gate::And2, &[x, y]),
        }
    }

    /// `x | y`.
    pub(crate) fn or(&mut self, x: Sig, y: Sig) -> Sig {
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(true), _) | (_, Some(true)) => ONE,
            (Some(false), _) => y,
            (_, Some(false)) => x,
            _ if x == y => x,
            _ if self.complementary(x, y) => ONE,
            _ => self.g(Gate::Or2, &[x, y]),
        }
    }

    /// `!(x & y)`.
    pub(crate) fn nand(&mut self, x: Sig, y: Sig) -> Sig {
        if Self::as_const(x).is_some() || Self::as_const(y).is_some() || x == y || self.complementary(x, y) {
            let t = self.and(x, y);
            return self.not(t);
        }
        self.g(Gate::Nand2, &[x, y])
    }

    /// `!(x | y)`.
    pub(crate) fn nor(&mut self, x: Sig, y: Sig) -> Sig {
        if Self::as_const(x).is_some() || Self::as_const(y).is_some() || x == y || self.complementary(x, y) {
            let t = self.or(x, y);
            return self.not(t);
        }
        self.g(Gate::Nor2, &[x, y])
    }

    /// `x ^ y`.
    pub(crate) fn xor(&mut self, x: Sig, y: Sig) -> Sig {
        self.parity(x, y, false)
    }

    /// `!(x ^ y)`.
    pub(crate) fn xnor(&mut self, x: Sig, y: Sig) -> Sig {
        self.parity(x, y, true)
    }

    /// `x ^ y ^ inv`: XOR (`inv` false) or XNOR (`inv` true), folding
    /// constants, equal and complementary inputs, and an inverted input into
    /// the other gate of the pair.
    fn parity(&mut self, x: Sig, y: Sig, inv: bool) -> Sig {
        let (same, other) = if inv { (Gate::Xnor2, Gate::Xor2) } else { (Gate::Xor2, Gate::Xnor2) };
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(c), _) if c == inv => y,
            (_, Some(c)) if c == inv => x,
            (Some(_), _) => self.not(y),
            (_, Some(_)) => self.not(x),
            _ if x == y => Self::constant(inv),
            _ if self.complementary(x, y) => Self::constant(!inv),
            _ => {
                if let Some(yi) = self.inverted(y) {
                    return self.g(other, &[x, yi]);
                }
                if let Some(xi) = self.inverted(x) {
                    return self.g(other, &[xi, y]);
                }
                self.g(same, &[x, y])
            }
        }
    }

    /// `x & !y`.
    pub(crate) fn andnot(&mut self, x: Sig, y: Sig) -> Sig {
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(false), _) | (_, Some(true)) => ZERO,
            (_, Some(false)) => x,
            (Some(true), _) => self.not(y),
            _ if x == y => ZERO,
            _ => {
                if let Some(yi) = self.inverted(y) {
                    return self.and(x, yi);
                }
                self.g(Gate::AndNot, &[x, y])
            }
        }
    }

    /// `x | !y`.
    pub(crate) fn ornot(&mut self, x: Sig, y: Sig) -> Sig {
        match (Self::as_const(x), Self::as_const(y)) {
            (Some(true), _) | (_, Some(false)) => ONE,
            (_, Some(true)) => x,
            (Some(false), _) => self.not(y),
            _ if x == y => ONE,
            _ => {
                if let Some(yi) = self.inverted(y) {
                    return self.or(x, yi);
                }
                self.g(Gate::OrNot, &[x, y])
            }
        }
    }

    /// `s ? b : a`.
    pub(crate) fn mux(&mut self, a: Sig, b: Sig, s: Sig) -> Sig {
        if let Some(v) = Self::as_const(s) {
            return if v { b } else { a };
        }
        if a == b {
            return a;
        }
        match (Self::as_const(a), Self::as_const(b)) {
            (Some(false), Some(true)) => s,
            (Some(true), Some(false)) => self.not(s),
            (Some(false), _) => self.and(b, s),
            (_, Some(false)) => self.andnot(a, s),
            (Some(true), _) => self.ornot(b, s),
            (_, Some(true)) => self.or(a, s),
            _ => self.g(Gate::Mux2, &[a, b, s]),
        }
    }

    /// `!((a & b) | c)`.
    pub(crate) fn aoi21(&mut self, a: Sig, b: Sig, c: Sig) -> Sig {
        if [a, b, c].iter().any(|&x| Self::as_const(x).is_some()) || a == b {
            let t = self.and(a, b);
            return self.nor(t, c);
        }
        self.g(Gate::Aoi21, &[a, b, c])
    }

    /// `(a & b) | c`, built as an AOI21 followed by an inverter (no AO21 cell).
    pub(crate) fn ao21(&mut self, a: Sig, b: Sig, c: Sig) -> Sig {
        if [a, b, c].iter().any(|&x| Self::as_const(x).is_some()) || a == b {
            let t = self.and(a, b);
            return self.or(t, c);
        }
        let y = self.aoi21(a, b, c);
        self.not(y)
    }

    /// `!((a & b) | (c & d))`.
    pub(crate) fn aoi22(&mut self, a: Sig, b: Sig, c: Sig, d: Sig) -> Sig {
        if [a, b, c, d].iter().any(|&x| Self::as_const(x).is_some()) {
            let t = self.and(a, b);
            let u = self.and(c, d);
            return self.nor(t, u);
        }
        self.g(Gate::Aoi22, &[a, b, c, d])
    }

    /// Half adder: (sum, carry).
    pub(crate) fn ha(&mut self, a: Sig, b: Sig) -> (Sig, Sig) {
        match (Self::as_const(a), Self::as_const(b)) {
            (Some(false), _) => (b, ZERO),
            (_, Some(false)) => (a, ZERO),
            (Some(true), _) => (self.not(b), b),
            (_, Some(true)) => (self.not(a), a),
            _ if a == b => (ZERO, a),
            _ if self.complementary(a, b) => (ONE, ZERO),
            _ => {
                let o = self.cell(Gate::Ha, &[a, b]);
                (o[0], o[1])
            }
        }
    }

    /// Full adder: (sum, carry).
    pub(crate) fn fa(&mut self, a: Sig, b: Sig, c: Sig) -> (Sig, Sig) {
        let x = [a, b, c];
        for i in 0..3 {
            let (p, q) = (x[(i + 1) % 3], x[(i + 2) % 3]);
            match Self::as_const(x[i]) {
                Some(false) => return self.ha(p, q),
                Some(true) => return (self.xnor(p, q), self.or(p, q)),
                None => {}
            }
            if p == q {
                return (x[i], p);
            }
            if self.complementary(p, q) {
                return (self.not(x[i]), x[i]);
            }
        }
        let o = self.cell(Gate::Fa, &[a, b, c]);
        (o[0], o[1])
    }

    /// AND of any number of signals (a tree of AND2–AND4).
    pub(crate) fn and_n(&mut self, xs: &[Sig]) -> Sig {
        self.tree(xs, true)
    }

    /// OR of any number of signals (a tree of OR2–OR4).
    pub(crate) fn or_n(&mut self, xs: &[Sig]) -> Sig {
        self.tree(xs, false)
    }

    fn tree(&mut self, xs: &[Sig], and: bool) -> Sig {
        gate_tree(xs, and, (ZERO, ONE), |g, ch| match g {
            Gate::And2 => self.and(ch[0], ch[1]),
            Gate::Or2 => self.or(ch[0], ch[1]),
            _ => self.g(g, ch),
        })
    }

    /// Removes logic no output reads and builds the checked netlist.
    ///
    /// A full adder whose sum is unread becomes a MAJ3, one whose carry is
    /// unread becomes two XOR2; a half adder with one output read becomes an
    /// XOR2 or an AND2.
    pub fn finish(self) -> Result<Netlist, NetlistError> {
        let mut live = vec![false; self.sigs.len()];
        for (_, sigs) in &self.outputs {
            for &s in sigs {
                live[s as usize] = true;
            }
        }
        for node in self.nodes.iter().rev() {
            if node.outs.iter().any(|&o| live[o as usize]) {
                for &i in &node.ins {
                    live[i as usize] = true;
                }
            }
        }
        let mut b = NetlistBuilder::new(&self.name);
        let mut net: Vec<NetId> = vec![NetId(0); self.sigs.len()];
        for (s, src) in self.sigs.iter().enumerate() {
            if let Src::Const(v) = src {
                net[s] = b.constant(*v);
            }
        }
        for (name, sigs) in &self.inputs {
            let nets = b.add_input_bus(name, sigs.len());
            for (&s, &n) in sigs.iter().zip(&nets) {
                net[s as usize] = n;
            }
        }
        for node in &self.nodes {
            let lv: Vec<bool> = node.outs.iter().map(|&o| live[o as usize]).collect();
            if !lv.iter().any(|&x| x) {
                continue;
            }
            let ins: Vec<NetId> = node.ins.iter().map(|&i| net[i as usize]).collect();
            match (node.gate, lv.as_slice()) {
                (Gate::Fa, [false, true]) => net[node.outs[1] as usize] = b.gate(Gate::Maj3, &ins),
                (Gate::Fa, [true, false]) => {
                    let t = b.gate(Gate::Xor2, &ins[..2]);
                    net[node.outs[0] as usize] = b.gate(Gate::Xor2, &[t, ins[2]]);
                }
                (Gate::Ha, [false, true]) => net[node.outs[1] as usize] = b.gate(Gate::And2, &ins),
                (Gate::Ha, [true, false]) => net[node.outs[0] as usize] = b.gate(Gate::Xor2, &ins),
                (g, _) => {
                    let outs = b.add_cell(g, &ins);
                    for (&o, &n) in node.outs.iter().zip(&outs) {
                        net[o as usize] = n;
                    }
                }
            }
        }
        for (name, sigs) in &self.outputs {
            let nets: Vec<NetId> = sigs.iter().map(|&s| net[s as usize]).collect();
            b.add_output_bus(name, &nets);
        }
        b.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tosim_netlist::eval;

    #[test]
    fn folding_keeps_functions() {
        // Every helper, on every combination of constants and free inputs, must
        // compute its defining Boolean function.
        type F = fn(&mut Logic, &[Sig]) -> Sig;
        type R = fn(&[bool]) -> bool;
        let cases: Vec<(usize, F, R)> = vec![
            (2, |l, x| l.and(x[0], x[1]), |v| v[0] & v[1]),
            (2, |l, x| l.or(x[0], x[1]), |v| v[0] | v[1]),
            (2, |l, x| l.nand(x[0], x[1]), |v| !(v[0] & v[1])),
            (2, |l, x| l.nor(x[0], x[1]), |v| !(v[0] | v[1])),
            (2, |l, x| l.xor(x[0], x[1]), |v| v[0] ^ v[1]),
            (2, |l, x| l.xnor(x[0], x[1]), |v| !(v[0] ^ v[1])),
            (2, |l, x| l.andnot(x[0], x[1]), |v| v[0] & !v[1]),
            (2, |l, x| l.ornot(x[0], x[1]), |v| v[0] | !v[1]),
            (3, |l, x| l.mux(x[0], x[1], x[2]), |v| if v[2] { v[1] } else { v[0] }),
            (3, |l, x| l.aoi21(x[0], x[1], x[2]), |v| !(v[0] & v[1] | v[2])),
            (3, |l, x| l.ao21(x[0], x[1], x[2]), |v| v[0] & v[1] | v[2]),
            (4, |l, x| l.aoi22(x[0], x[1], x[2], x[3]), |v| !(v[0] & v[1] | v[2] & v[3])),
            (3, |l, x| l.fa(x[0], x[1], x[2]).1, |v| (v[0] as u8 + v[1] as u8 + v[2] as u8) >= 2),
            (3, |l, x| l.fa(x[0], x[1], x[2]).0, |v| v[0] ^ v[1] ^ v[2]),
            (2, |l, x| l.ha(x[0], x[1]).1, |v| v[0] & v[1]),
            (2, |l, x| l.ha(x[0], x[1]).0, |v| v[0] ^ v[1]),
            (4, |l, x| l.and_n(x), |v| v.iter().all(|&b| b)),
            (4, |l, x| l.or_n(x), |v| v.iter().any(|&b| b)),
        ];
        // Each operand position is one of: const 0, const 1, input p, !input p, input q.
        for (arity, f, r) in cases {
            let choices = 5usize;
            for combo in 0..choices.pow(arity as u32) {
                let mut l = Logic::new("t");
                let ins = l.input("x", 2);
                let nots = [l.not(ins[0]), l.not(ins[1])];
                let sel: Vec<usize> = (0..arity).map(|k| combo / choices.pow(k as u32) % choices).collect();
                let ops: Vec<Sig> = sel.iter().map(|&c| [ZERO, ONE, ins[0], nots[0], ins[1]][c]).collect();
                let y = f(&mut l, &ops);
                l.output("y", &[y]);
                let n = l.finish().unwrap();
                for v in 0..4u128 {
                    let p = v & 1 == 1;
                    let q = v >> 1 & 1 == 1;
                    let vals: Vec<bool> = sel.iter().map(|&c| [false, true, p, !p, q][c]).collect();
                    assert_eq!(eval(&n, &[v])[0] == 1, r(&vals), "combo {sel:?} at p={p} q={q}");
                }
            }
        }
    }
}

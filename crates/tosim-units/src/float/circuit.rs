//! A folding netlist builder with sub-netlist composition.
//!
//! [`Circuit`] is a construction layer over tosim-units' [`Logic`]: every gate
//! added through it is simplified against constant and repeated inputs
//! (the reduced function is matched back to the smallest abstract [`Gate`]
//! that computes it), identical gates are shared, and logic no output reads is
//! removed when the netlist is built. [`Circuit::instantiate`] copies a finished
//! [`Netlist`] (any netlist of abstract gates, e.g. one from
//! [`crate::generate`]) into the circuit on existing wires, through the
//! same folding, so a generator's unit can be used as a building block inside
//! a larger design.

use std::collections::HashMap;

use crate::logic::{gate_tree, Logic};
use crate::{Arch, Kind, UnitSpec};
use tosim_cells::{GateMatcher, TruthTable};
use tosim_netlist::{Gate, Netlist};

use super::FloatError;

/// A wire of a [`Circuit`]: a constant, a primary input or a gate output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Wire(pub u32);

/// Constant 0.
pub const ZERO: Wire = Wire(crate::logic::ZERO);
/// Constant 1.
pub const ONE: Wire = Wire(crate::logic::ONE);

/// The folding builder (see the module documentation). The gate store,
/// structural sharing, inverter lookup and dead-logic removal are
/// tosim-units' [`Logic`]; this layer adds truth-table folding and
/// sub-netlist instantiation.
pub struct Circuit {
    core: Logic,
    matches: GateMatcher<Gate>,
    units: HashMap<UnitSpec, Netlist>,
}

fn sigs(ws: &[Wire]) -> Vec<u32> {
    ws.iter().map(|w| w.0).collect()
}

impl Circuit {
    /// An empty circuit called `name`.
    pub fn new(name: &str) -> Self {
        // Single-output gates, cheapest first, so the first match is kept.
        let order = [
            Gate::Inv,
            Gate::Nand2,
            Gate::Nor2,
            Gate::And2,
            Gate::Or2,
            Gate::AndNot,
            Gate::OrNot,
            Gate::Xor2,
            Gate::Xnor2,
            Gate::Nand3,
            Gate::Nor3,
            Gate::Aoi21,
            Gate::Oai21,
            Gate::And3,
            Gate::Or3,
            Gate::Mux2,
            Gate::Nmux2,
            Gate::Maj3,
            Gate::Nand4,
            Gate::Nor4,
            Gate::Aoi22,
            Gate::Oai22,
            Gate::And4,
            Gate::Or4,
        ];
        let matches = GateMatcher::new(order.into_iter().map(|g| (g, g.function(0))));
        Circuit { core: Logic::new(name), matches, units: HashMap::new() }
    }

    /// The constant wire for `v`.
    pub fn constant(v: bool) -> Wire {
        Wire(Logic::constant(v))
    }

    /// `width` constant wires holding `value`, LSB first.
    pub fn constant_bus(value: u128, width: usize) -> Vec<Wire> {
        (0..width).map(|i| Self::constant(i < 128 && value >> i & 1 == 1)).collect()
    }

    fn as_const(w: Wire) -> Option<bool> {
        Logic::as_const(w.0)
    }

    /// Declares an input bus, LSB first.
    pub fn input(&mut self, name: &str, width: usize) -> Vec<Wire> {
        self.core.input(name, width).into_iter().map(Wire).collect()
    }

    /// Declares an output bus, LSB first.
    pub fn output(&mut self, name: &str, wires: &[Wire]) {
        self.core.output(name, &sigs(wires));
    }

    /// Number of gates added so far (before dead logic is removed).
    pub fn gate_count(&self) -> usize {
        self.core.gate_count()
    }

    fn raw(&mut self, gate: Gate, ins: &[Wire]) -> Vec<Wire> {
        self.core.cell(gate, &sigs(ins)).into_iter().map(Wire).collect()
    }

    /// The wire `w` inverts, when `w` is an inverter's output.
    fn inverted(&self, w: Wire) -> Option<Wire> {
        self.core.inverted(w.0).map(Wire)
    }

    /// Reduces `f` over `ins` (constants substituted, repeated wires merged):
    /// the distinct free wires and the function over them.
    fn reduce(f: TruthTable, ins: &[Wire]) -> (Vec<Wire>, TruthTable) {
        let mut vars: Vec<Wire> = Vec::new();
        let mut pos: Vec<Option<usize>> = Vec::with_capacity(ins.len());
        for &w in ins {
            if Self::as_const(w).is_some() {
                pos.push(None);
            } else if let Some(i) = vars.iter().position(|&v| v == w) {
                pos.push(Some(i));
            } else {
                vars.push(w);
                pos.push(Some(vars.len() - 1));
            }
        }
        let m = vars.len();
        let g = TruthTable::from_fn(m, |r| {
            let mut row = 0u32;
            for (i, (&w, p)) in ins.iter().zip(&pos).enumerate() {
                let bit = match p {
                    Some(j) => r >> j & 1 == 1,
                    None => w == ONE,
                };
                row |= (bit as u32) << i;
            }
            f.eval(row)
        })
        .unwrap_or(f);
        // Drop variables the function does not depend on.
        let keep = g.support();
        if keep.len() == m {
            return (vars, g);
        }
        let h = g.restrict(&keep).unwrap_or(g);
        (keep.iter().map(|&i| vars[i]).collect(), h)
    }

    /// A single wire computing `f` of `vars` (all distinct, non-constant, all
    /// in the support), when one gate can; `None` otherwise.
    fn match_fn(&mut self, f: TruthTable, vars: &[Wire]) -> Option<Wire> {
        let m = vars.len();
        if m == 0 {
            return Some(Self::constant(f.eval(0)));
        }
        if m == 1 {
            return Some(if f.eval(1) { vars[0] } else { self.not(vars[0]) });
        }
        // Absorb inverters on inputs when the result still is one gate.
        let mut vs = vars.to_vec();
        let mut g = f;
        for i in 0..m {
            if let Some(src) = self.inverted(vs[i]) {
                if vs.contains(&src) {
                    continue;
                }
                let h = TruthTable::from_fn(m, |r| g.eval(r ^ (1 << i))).unwrap_or(g);
                if self.matches.find(h).is_some() {
                    vs[i] = src;
                    g = h;
                }
            }
        }
        let (gate, wiring) = self.matches.find(g)?;
        let ins: Vec<Wire> = wiring.iter().map(|&p| vs[p]).collect();
        Some(self.raw(gate, &ins)[0])
    }

    /// Adds gate `g` on `ins`, folded; returns one wire per gate output.
    pub fn gate(&mut self, g: Gate, ins: &[Wire]) -> Vec<Wire> {
        let n_out = g.outputs().len();
        let plain = ins.iter().all(|&w| Self::as_const(w).is_none())
            && (1..ins.len()).all(|i| !ins[..i].contains(&ins[i]))
            && ins.iter().all(|&w| self.inverted(w).is_none() || n_out > 1);
        if plain && g != Gate::Inv && g != Gate::Buf {
            return self.raw(g, ins);
        }
        if g == Gate::Buf {
            return vec![ins[0]];
        }
        let reduced: Vec<(Vec<Wire>, TruthTable)> = (0..n_out).map(|o| Self::reduce(g.function(o), ins)).collect();
        if n_out == 1 {
            let (vars, f) = &reduced[0];
            if let Some(w) = self.match_fn(*f, vars) {
                return vec![w];
            }
            return self.raw(g, ins);
        }
        if plain {
            return self.raw(g, ins);
        }
        // FA or HA with a constant or a repeated input: a half adder when the
        // outputs are the sum and carry of two wires, else one gate per output.
        if reduced[0].0.len() == 2 && reduced[1].0.len() == 2 && reduced[0].0 == reduced[1].0 {
            let xor = Gate::Xor2.function(0);
            let and = Gate::And2.function(0);
            if reduced[0].1 == xor && reduced[1].1 == and {
                return self.raw(Gate::Ha, &reduced[0].0);
            }
        }
        let mut outs = Vec::with_capacity(n_out);
        for (vars, f) in &reduced {
            match self.match_fn(*f, vars) {
                Some(w) => outs.push(w),
                None => return self.raw(g, ins),
            }
        }
        outs
    }

    fn g1(&mut self, g: Gate, ins: &[Wire]) -> Wire {
        self.gate(g, ins)[0]
    }

    /// `!x`.
    pub fn not(&mut self, x: Wire) -> Wire {
        if let Some(v) = Self::as_const(x) {
            return Self::constant(!v);
        }
        if let Some(y) = self.inverted(x) {
            return y;
        }
        self.raw(Gate::Inv, &[x])[0]
    }
    /// `x & y`.
    pub fn and(&mut self, x: Wire, y: Wire) -> Wire {
        self.g1(Gate::And2, &[x, y])
    }
    /// `x | y`.
    pub fn or(&mut self, x: Wire, y: Wire) -> Wire {
        self.g1(Gate::Or2, &[x, y])
    }
    /// `!(x | y)`.
    pub fn nor(&mut self, x: Wire, y: Wire) -> Wire {
        self.g1(Gate::Nor2, &[x, y])
    }
    /// `x ^ y`.
    pub fn xor(&mut self, x: Wire, y: Wire) -> Wire {
        self.g1(Gate::Xor2, &[x, y])
    }
    /// `x & !y`.
    pub fn andnot(&mut self, x: Wire, y: Wire) -> Wire {
        self.g1(Gate::AndNot, &[x, y])
    }
    /// `s ? b : a`.
    pub fn mux(&mut self, a: Wire, b: Wire, s: Wire) -> Wire {
        self.g1(Gate::Mux2, &[a, b, s])
    }
    /// `s ? b : a`, bit by bit (the shorter bus is zero-extended).
    pub fn mux_bus(&mut self, a: &[Wire], b: &[Wire], s: Wire) -> Vec<Wire> {
        let n = a.len().max(b.len());
        (0..n).map(|i| self.mux(a.get(i).copied().unwrap_or(ZERO), b.get(i).copied().unwrap_or(ZERO), s)).collect()
    }
    /// `x & en`, bit by bit.
    pub fn and_bus(&mut self, x: &[Wire], en: Wire) -> Vec<Wire> {
        x.iter().map(|&w| self.and(w, en)).collect()
    }

    fn tree(&mut self, xs: &[Wire], and: bool) -> Wire {
        gate_tree(xs, and, (ZERO, ONE), |g, ch| self.g1(g, ch))
    }

    /// AND of any number of wires (a tree of AND2–AND4).
    pub fn and_n(&mut self, xs: &[Wire]) -> Wire {
        self.tree(xs, true)
    }
    /// OR of any number of wires (a tree of OR2–OR4).
    pub fn or_n(&mut self, xs: &[Wire]) -> Wire {
        self.tree(xs, false)
    }

    /// Copies `n` into the circuit: input bus `k` of `n` reads `inputs[k]`
    /// (missing or short buses read 0); returns `n`'s output buses. Every cell
    /// must be an abstract [`Gate`]; it goes through the same folding as
    /// [`Circuit::gate`].
    pub fn instantiate(&mut self, n: &Netlist, inputs: &[&[Wire]]) -> Result<Vec<Vec<Wire>>, FloatError> {
        let mut map: Vec<Wire> = vec![ZERO; n.net_count()];
        map[tosim_netlist::CONST1.index()] = ONE;
        for (k, bus) in n.inputs().iter().enumerate() {
            for (i, net) in bus.nets.iter().enumerate() {
                map[net.index()] = inputs.get(k).and_then(|ws| ws.get(i)).copied().unwrap_or(ZERO);
            }
        }
        let gates: Vec<Option<Gate>> = n.types().iter().map(|t| Gate::from_name(&t.name)).collect();
        for &c in n.order() {
            let t = n.cell_type_id(c);
            let g = gates[t.index()].ok_or_else(|| FloatError::NotAbstract {
                design: n.name().to_string(),
                cell: n.cell_name(c).to_string(),
                cell_type: n.types()[t.index()].name.clone(),
            })?;
            let ins: Vec<Wire> = n.cell_inputs(c).iter().map(|x| map[x.index()]).collect();
            let outs = self.gate(g, &ins);
            for (net, w) in n.cell_outputs(c).iter().zip(outs) {
                map[net.index()] = w;
            }
        }
        Ok(n.outputs().iter().map(|b| b.nets.iter().map(|x| map[x.index()]).collect()).collect())
    }

    /// Generates the integer unit `spec` with [`crate::generate`]
    /// (cached per spec) and instantiates it on `inputs`.
    pub fn unit(&mut self, spec: UnitSpec, inputs: &[&[Wire]]) -> Result<Vec<Vec<Wire>>, FloatError> {
        let n = match self.units.remove(&spec) {
            Some(n) => n,
            None => crate::generate(&spec)?,
        };
        let r = self.instantiate(&n, inputs);
        self.units.insert(spec, n);
        r
    }

    /// `a + b + cin` on equally wide buses with the adder `arch` from
    /// tosim-units; returns (sum, carry out).
    pub fn add(&mut self, arch: Arch, a: &[Wire], b: &[Wire], cin: Wire) -> Result<(Vec<Wire>, Wire), FloatError> {
        let n = a.len().max(b.len());
        let ext = |x: &[Wire]| -> Vec<Wire> { (0..n).map(|i| x.get(i).copied().unwrap_or(ZERO)).collect() };
        let (a, b) = (ext(a), ext(b));
        if n == 0 {
            return Ok((Vec::new(), cin));
        }
        if n == 1 {
            let o = self.gate(Gate::Fa, &[a[0], b[0], cin]);
            return Ok((vec![o[0]], o[1]));
        }
        let out = self.unit(UnitSpec::new(Kind::Add, arch, n as u32), &[&a, &b, &[cin]])?;
        Ok((out[0].clone(), out[1][0]))
    }

    /// `a − b` on equally wide buses (two's complement, a + !b + 1);
    /// returns (difference, no-borrow = a ≥ b unsigned).
    pub fn sub(&mut self, arch: Arch, a: &[Wire], b: &[Wire]) -> Result<(Vec<Wire>, Wire), FloatError> {
        let n = a.len().max(b.len());
        let nb: Vec<Wire> = (0..n).map(|i| b.get(i).copied().unwrap_or(ZERO)).map(|w| self.not(w)).collect();
        self.add(arch, a, &nb, ONE)
    }

    /// Leading zeros of `a` (MSB = last wire), ⌈log2(n+1)⌉ bits, with the tosim-units counter tree.
    pub fn lzc(&mut self, a: &[Wire]) -> Result<Vec<Wire>, FloatError> {
        if a.len() == 1 {
            return Ok(vec![self.not(a[0])]);
        }
        let out = self.unit(UnitSpec::new(Kind::Lzc, Arch::Tree, a.len() as u32), &[a])?;
        Ok(out[0].clone())
    }

    /// `a << amt` within `a.len()` bits: one MUX2 rank per amount bit
    /// (logarithmic barrel shifter); amounts ≥ n give 0.
    pub fn shl(&mut self, a: &[Wire], amt: &[Wire]) -> Vec<Wire> {
        self.barrel(a, amt, false).0
    }

    /// `a >> amt` within `a.len()` bits, and the OR of every bit shifted out
    /// (the sticky bit): a barrel shifter whose ranks also OR their dropped bits.
    pub fn shr_sticky(&mut self, a: &[Wire], amt: &[Wire]) -> (Vec<Wire>, Wire) {
        self.barrel(a, amt, true)
    }

    /// The logarithmic barrel shifter of [`Circuit::shl`] (`right` false) and
    /// [`Circuit::shr_sticky`] (`right` true; only then is the sticky bit
    /// built, else it is 0): rank k moves by 2^k when amount bit k is set;
    /// amount bits whose shift is ≥ n clear the result.
    fn barrel(&mut self, a: &[Wire], amt: &[Wire], right: bool) -> (Vec<Wire>, Wire) {
        let n = a.len();
        let mut x = a.to_vec();
        let mut sticky = ZERO;
        let mut big = Vec::new();
        for (k, &s) in amt.iter().enumerate() {
            let d = 1usize.checked_shl(k as u32).unwrap_or(usize::MAX);
            if d >= n {
                big.push(s);
                continue;
            }
            if right {
                let lost = self.or_n(&x[..d]);
                let lost = self.and(lost, s);
                sticky = self.or(sticky, lost);
            }
            // Bit i reads bit i − d (left) or i + d (right), 0 past the ends.
            let from = |i: usize| if right { Some(i + d).filter(|&j| j < n) } else { i.checked_sub(d) };
            x = (0..n)
                .map(|i| match from(i) {
                    Some(j) => self.mux(x[i], x[j], s),
                    None => self.andnot(x[i], s),
                })
                .collect();
        }
        let big = self.or_n(&big);
        if right {
            let rest = self.or_n(&x);
            let lost = self.and(rest, big);
            sticky = self.or(sticky, lost);
        }
        (x.iter().map(|&w| self.andnot(w, big)).collect(), sticky)
    }

    /// Removes logic no output reads and builds the checked netlist
    /// ([`Logic::finish`]: a full adder whose sum is unread becomes a MAJ3,
    /// one whose carry is unread two XOR2; a half adder with one output read
    /// an XOR2 or an AND2).
    pub fn finish(self) -> Result<Netlist, FloatError> {
        Ok(self.core.finish()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tosim_netlist::eval;

    #[test]
    fn folding_keeps_every_gate_function() {
        // Every abstract gate with every operand drawn from {0, 1, p, !p, q}:
        // the folded circuit must compute the gate's function (both outputs
        // of HA/FA) for all four values of (p, q).
        for &g in Gate::ALL {
            let k = g.inputs().len();
            for combo in 0..5usize.pow(k as u32) {
                let sel: Vec<usize> = (0..k).map(|i| combo / 5usize.pow(i as u32) % 5).collect();
                let mut c = Circuit::new("t");
                let x = c.input("x", 2);
                let np = c.not(x[0]);
                let ops: Vec<Wire> = sel.iter().map(|&s| [ZERO, ONE, x[0], np, x[1]][s]).collect();
                let outs = c.gate(g, &ops);
                c.output("y", &outs);
                let n = c.finish().unwrap();
                for v in 0..4u128 {
                    let (p, q) = (v & 1 == 1, v >> 1 & 1 == 1);
                    let row =
                        sel.iter().enumerate().fold(0u32, |r, (i, &s)| r | ([false, true, p, !p, q][s] as u32) << i);
                    let want = (0..outs.len()).fold(0u128, |acc, o| acc | (g.function(o).eval(row) as u128) << o);
                    assert_eq!(eval(&n, &[v])[0], want, "{} with {sel:?} at p={p} q={q}", g.name());
                }
            }
        }
    }

    #[test]
    fn instantiated_adder_adds_and_folds() {
        // A 6-bit adder with b = 1 and carry-in 0 is an incrementer: no FA remains.
        let mut c = Circuit::new("inc");
        let a = c.input("a", 6);
        let (s, co) = c.add(Arch::Ripple, &a, &Circuit::constant_bus(1, 6), ZERO).unwrap();
        c.output("s", &s);
        c.output("co", &[co]);
        let n = c.finish().unwrap();
        assert!(n.cells().all(|x| n.cell_type(x).name != "FA"));
        for v in 0..64u128 {
            assert_eq!(eval(&n, &[v]), vec![(v + 1) & 63, (v + 1) >> 6]);
        }
    }
}

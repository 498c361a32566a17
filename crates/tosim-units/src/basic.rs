//! Units around an adder (subtract, negate, absolute value, compare, max,
//! ReLU), the logarithmic barrel shifter and the leading-zero counter.

use crate::adders::add;
use crate::logic::{Logic, Sig, ONE, ZERO};
use crate::{clog2, Kind, UnitSpec};

/// `sub`, `neg`, `abs`, `cmp`, `max` on the adder `spec.arch`, and `relu`.
///
/// - sub: s = a + ~b + 1 (two's complement, e.g. Weste & Harris 2011 §11.2.4);
///   the carry out is 1 exactly when no borrow occurs (a ≥ b unsigned).
/// - neg: ~a + 1 — the adder with b = 0 and carry-in 1 folds to an incrementer.
/// - abs: (a ⊕ s) + s with s the sign bit (conditional negation).
/// - cmp: lt = ¬carry(a + ~b + 1) for unsigned operands; for signed operands
///   lt_s = lt_u ⊕ a_{n−1} ⊕ b_{n−1} (the sign bits flip the unsigned order
///   exactly when they differ); only the carry is kept, so ripple becomes a
///   MAJ3 chain and prefix adders keep only the tree to the top bit.
///   eq = AND of XNORs.
/// - max: y = lt ? b : a with n MUX2.
/// - relu: y_i = a_i ∧ ¬a_{n−1}, y_{n−1} = 0.
pub(crate) fn around_adder(l: &mut Logic, spec: &UnitSpec) {
    let n = spec.width as usize;
    let arch = spec.arch;
    match spec.kind {
        Kind::Sub => {
            let a = l.input("a", n);
            let b = l.input("b", n);
            let nb: Vec<Sig> = b.iter().map(|&x| l.not(x)).collect();
            let (s, c) = add(l, arch, &a, &nb, ONE);
            l.output("s", &s);
            l.output("cout", &[c]);
        }
        Kind::Neg => {
            let a = l.input("a", n);
            let na: Vec<Sig> = a.iter().map(|&x| l.not(x)).collect();
            let (s, _) = add(l, arch, &na, &vec![ZERO; n], ONE);
            l.output("y", &s);
        }
        Kind::Abs => {
            let a = l.input("a", n);
            let sign = a[n - 1];
            let x: Vec<Sig> = a.iter().map(|&v| l.xor(v, sign)).collect();
            let (s, _) = add(l, arch, &x, &vec![ZERO; n], sign);
            l.output("y", &s);
        }
        Kind::Cmp | Kind::Max => {
            let a = l.input("a", n);
            let b = l.input("b", n);
            let lt = less_than(l, arch, &a, &b, spec.signed);
            if spec.kind == Kind::Cmp {
                let xs: Vec<Sig> = a.iter().zip(&b).map(|(&x, &y)| l.xnor(x, y)).collect();
                let eq = l.and_n(&xs);
                l.output("lt", &[lt]);
                l.output("eq", &[eq]);
            } else {
                let y: Vec<Sig> = a.iter().zip(&b).map(|(&x, &y)| l.mux(x, y, lt)).collect();
                l.output("y", &y);
            }
        }
        _ => {
            // relu
            let a = l.input("a", n);
            let sign = a[n - 1];
            let mut y: Vec<Sig> = a[..n - 1].iter().map(|&x| l.andnot(x, sign)).collect();
            y.push(ZERO);
            l.output("y", &y);
        }
    }
}

/// a < b from the carry of a + ~b + 1 (see [`around_adder`]).
pub(crate) fn less_than(l: &mut Logic, arch: crate::Arch, a: &[Sig], b: &[Sig], signed: bool) -> Sig {
    let n = a.len();
    let nb: Vec<Sig> = b.iter().map(|&x| l.not(x)).collect();
    let (_, c) = add(l, arch, a, &nb, ONE);
    if signed {
        let d = l.xor(a[n - 1], b[n - 1]);
        l.xnor(c, d)
    } else {
        l.not(c)
    }
}

/// Logarithmic barrel shifter (Lim, "A barrel switch design", Computer Design,
/// 1972; Weste & Harris 2011 §11.8): rank i shifts by 2^i when amount bit i is
/// set, one MUX2 per bit and rank; shifted-in bits are 0 (or the sign for
/// `sar`), which folds the edge multiplexers into AND-type gates. Amounts of n
/// or more (possible when n is not a power of two) shift every bit out.
pub(crate) fn shifter(l: &mut Logic, kind: Kind, n: usize) {
    let a = l.input("a", n);
    let k = clog2(n as u32) as usize;
    let b = l.input("b", k);
    let fill = if kind == Kind::Sar { a[n - 1] } else { ZERO };
    let mut x = a.clone();
    for (i, &s) in b.iter().enumerate() {
        let d = 1usize << i;
        let y: Vec<Sig> = (0..n)
            .map(|j| {
                let from = if kind == Kind::Shl { j.checked_sub(d) } else { Some(j + d).filter(|&t| t < n) };
                let src = from.map_or(fill, |t| x[t]);
                l.mux(x[j], src, s)
            })
            .collect();
        x = y;
    }
    l.output("y", &x);
}

/// Leading-zero counter tree (Oklobdzija, "An algorithmic and novel design of
/// a leading zero detector circuit", IEEE Trans. VLSI 2(1), 1994): the operand
/// is padded at the bottom with ones to a power of two N; every node of a
/// binary tree yields (v = "has a one", c = leading zeros when v) and merges
/// hi and lo children as v = v_hi ∨ v_lo, c = (¬v_hi, v_hi ? c_hi : c_lo).
/// The count is c when the root's v is set and N (only reachable when n = N)
/// otherwise; with padding the all-zero operand naturally counts n.
pub(crate) fn lzc(l: &mut Logic, n: usize) {
    let a = l.input("a", n);
    let big_n = n.next_power_of_two();
    // MSB-first list of leaves (v, c): operand bits, then padding ones.
    let mut nodes: Vec<(Sig, Vec<Sig>)> = a.iter().rev().map(|&x| (x, Vec::new())).collect();
    nodes.extend((n..big_n).map(|_| (ONE, Vec::new())));
    while nodes.len() > 1 {
        let mut next = Vec::with_capacity(nodes.len() / 2);
        for pair in nodes.chunks(2) {
            let (vh, ch) = &pair[0];
            let (vl, cl) = &pair[1];
            let v = l.or(*vh, *vl);
            let mut c: Vec<Sig> = ch.iter().zip(cl).map(|(&h, &lo)| l.mux(lo, h, *vh)).collect();
            c.push(l.not(*vh));
            next.push((v, c));
        }
        nodes = next;
    }
    let (v, c) = nodes.pop().unwrap_or((ZERO, Vec::new()));
    let width = clog2(n as u32 + 1) as usize;
    let mut y: Vec<Sig> = c.iter().map(|&x| l.and(x, v)).collect();
    y.push(l.not(v));
    y.truncate(width);
    l.output("y", &y);
}

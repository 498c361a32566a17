//! Adders: ripple-carry, carry-lookahead, carry-select, carry-skip and the
//! parallel-prefix family. Every function here returns `(sum, carry_out)` for
//! `a + b + cin` on equally wide operands, and is used both for the `add` unit
//! and inside every other unit that needs an adder.

use crate::logic::{Logic, Sig};
use crate::Arch;

/// `a + b + cin` with the adder architecture `arch` (an adder arch; others
/// fall back to ripple-carry, which callers never ask for).
pub(crate) fn add(l: &mut Logic, arch: Arch, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    debug_assert_eq!(a.len(), b.len());
    match arch {
        Arch::Cla => cla(l, a, b, cin),
        Arch::CarrySelect => carry_select(l, a, b, cin),
        Arch::CarrySkip => carry_skip(l, a, b, cin),
        Arch::KoggeStone | Arch::BrentKung | Arch::Sklansky | Arch::HanCarlson | Arch::LadnerFischer => {
            prefix(l, arch, a, b, cin)
        }
        _ => ripple(l, a, b, cin),
    }
}

/// Ripple-carry adder: a chain of full adders (the textbook adder; see e.g.
/// Weste & Harris, *CMOS VLSI Design*, 4th ed., 2011, §11.2.2.1).
/// With a free carry-in it is exactly n FA cells.
pub(crate) fn ripple(l: &mut Logic, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    let mut c = cin;
    let mut s = Vec::with_capacity(a.len());
    for (&x, &y) in a.iter().zip(b) {
        let (si, co) = l.fa(x, y, c);
        s.push(si);
        c = co;
    }
    (s, c)
}

/// Carry-lookahead adder (Weinberger & Smith, 1958), 4-bit groups, as many
/// lookahead levels as needed: bit generate/propagate from half adders, group
/// (G, P) = (g3 + p3g2 + p3p2g1 + p3p2p1g0, p3p2p1p0) as AND/OR sums of
/// products, the same 4-way lookahead one level up, and carries distributed
/// back down the levels.
pub(crate) fn cla(l: &mut Logic, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    let (p, g): (Vec<Sig>, Vec<Sig>) = a.iter().zip(b).map(|(&x, &y)| l.ha(x, y)).unzip();
    let c = cla_carries(l, &g, &p, cin);
    let s = p.iter().zip(&c).map(|(&pi, &ci)| l.xor(pi, ci)).collect();
    (s, c[p.len()])
}

/// Carries c[0..=n] of a lookahead over (g, p) with c[0] = `c0`.
fn cla_carries(l: &mut Logic, g: &[Sig], p: &[Sig], c0: Sig) -> Vec<Sig> {
    let n = g.len();
    if n <= 4 {
        let mut c = vec![c0];
        for i in 0..n {
            c.push(lookahead(l, &g[..=i], &p[..=i], c0));
        }
        return c;
    }
    // Group generate/propagate, lookahead one level up, then the carries
    // inside each group from the group's carry-in.
    let groups: Vec<(Sig, Sig)> =
        g.chunks(4).zip(p.chunks(4)).map(|(gg, pp)| (lookahead(l, gg, pp, crate::logic::ZERO), l.and_n(pp))).collect();
    let (gg, pp): (Vec<Sig>, Vec<Sig>) = groups.into_iter().unzip();
    let cg = cla_carries(l, &gg, &pp, c0);
    let mut c = Vec::with_capacity(n + 1);
    for (j, (gs, ps)) in g.chunks(4).zip(p.chunks(4)).enumerate() {
        c.push(cg[j]);
        for i in 0..gs.len() - 1 {
            c.push(lookahead(l, &gs[..=i], &ps[..=i], cg[j]));
        }
    }
    c.push(cg[gg.len()]);
    c
}

/// Carry out of bits 0..k from carry-in `c0`: g_{k-1} + p_{k-1}g_{k-2} + … + p_{k-1}…p_0 c0.
fn lookahead(l: &mut Logic, g: &[Sig], p: &[Sig], c0: Sig) -> Sig {
    let k = g.len();
    let mut terms = Vec::with_capacity(k + 1);
    for j in (0..k).rev() {
        let mut t: Vec<Sig> = p[j + 1..k].to_vec();
        t.push(g[j]);
        terms.push(l.and_n(&t));
    }
    let mut t: Vec<Sig> = p.to_vec();
    t.push(c0);
    terms.push(l.and_n(&t));
    l.or_n(&terms)
}

/// Block size of carry-select and carry-skip adders: ⌈√n⌉, at least 2.
pub(crate) fn block_size(n: usize) -> usize {
    let mut k = 1;
    while k * k < n {
        k += 1;
    }
    k.max(2)
}

/// Carry-select adder (Bedrij, 1962): uniform blocks of ⌈√n⌉ bits; every
/// block after the first computes its ripple sum for carry-in 0 and 1 and a
/// row of multiplexers picks one with the incoming carry.
pub(crate) fn carry_select(l: &mut Logic, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    let k = block_size(a.len());
    let mut c = cin;
    let mut s = Vec::with_capacity(a.len());
    for (blk, (x, y)) in a.chunks(k).zip(b.chunks(k)).enumerate() {
        if blk == 0 {
            let (s0, c0) = ripple(l, x, y, c);
            s.extend(s0);
            c = c0;
            continue;
        }
        let (s0, c0) = ripple(l, x, y, crate::logic::ZERO);
        let (s1, c1) = ripple(l, x, y, crate::logic::ONE);
        for (&u, &v) in s0.iter().zip(&s1) {
            s.push(l.mux(u, v, c));
        }
        c = l.mux(c0, c1, c);
    }
    (s, c)
}

/// Carry-skip (carry-bypass) adder (Lehman & Burla, 1961): ripple-carry blocks
/// of ⌈√n⌉ bits; when every bit of a block propagates (AND of a⊕b), a
/// multiplexer passes the block's carry-in straight to its carry-out.
pub(crate) fn carry_skip(l: &mut Logic, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    let k = block_size(a.len());
    let mut c = cin;
    let mut s = Vec::with_capacity(a.len());
    for (x, y) in a.chunks(k).zip(b.chunks(k)) {
        let (sb, cb) = ripple(l, x, y, c);
        s.extend(sb);
        let props: Vec<Sig> = x.iter().zip(y).map(|(&u, &v)| l.xor(u, v)).collect();
        let p = l.and_n(&props);
        c = l.mux(cb, c, p);
    }
    (s, c)
}

/// Parallel-prefix adders. Bit (g, p) come from half adders, the carry-in is
/// folded into bit 0's generate, a prefix network combines (g, p) pairs with
/// the operator (g, p)∘(g', p') = (g + p·g', p·p') (an AOI21 + INV and an
/// AND2; unused propagate halves are removed, leaving "gray" cells), and
/// s_i = p_i ⊕ G_{i-1:0}. The networks:
///
/// - Kogge-Stone (Kogge & Stone, 1973): log2 n levels, span 2^l at level l, every node.
/// - Brent-Kung (Brent & Kung, 1982): up-sweep and down-sweep trees, 2 log2 n − 1 levels.
/// - Sklansky (Sklansky, 1960): divide and conquer, log2 n levels, fan-out up to n/2.
/// - Ladner-Fischer (Ladner & Fischer, 1980): pairs first, Sklansky on the odd
///   positions, one more level for the even ones (Harris's taxonomy, 2003).
/// - Han-Carlson (Han & Carlson, 1987): pairs first, Kogge-Stone on the odd
///   positions, one more level for the even ones.
pub(crate) fn prefix(l: &mut Logic, arch: Arch, a: &[Sig], b: &[Sig], cin: Sig) -> (Vec<Sig>, Sig) {
    let n = a.len();
    let (p, g): (Vec<Sig>, Vec<Sig>) = a.iter().zip(b).map(|(&x, &y)| l.ha(x, y)).unzip();
    let mut gg = g.clone();
    let mut pp = p.clone();
    gg[0] = l.ao21(p[0], cin, g[0]);
    // op(i, j): node i absorbs node j (j < i, adjacent spans).
    let mut levels: Vec<Vec<(usize, usize)>> = Vec::new();
    match arch {
        Arch::KoggeStone => {
            let mut d = 1;
            while d < n {
                levels.push((d..n).map(|i| (i, i - d)).collect());
                d *= 2;
            }
        }
        Arch::Sklansky => levels = sklansky(&(0..n).collect::<Vec<_>>()),
        Arch::BrentKung => {
            let mut d = 1;
            while d < n {
                levels.push((2 * d - 1..n).step_by(2 * d).map(|i| (i, i - d)).collect());
                d *= 2;
            }
            while d > 1 {
                d /= 2;
                if 3 * d - 1 < n {
                    levels.push((3 * d - 1..n).step_by(2 * d).map(|i| (i, i - d)).collect());
                }
            }
        }
        Arch::LadnerFischer | Arch::HanCarlson => {
            levels.push((1..n).step_by(2).map(|i| (i, i - 1)).collect());
            let odd: Vec<usize> = (1..n).step_by(2).collect();
            if arch == Arch::LadnerFischer {
                levels.extend(sklansky(&odd));
            } else {
                let mut d = 1;
                while d < odd.len() {
                    levels.push((d..odd.len()).map(|k| (odd[k], odd[k - d])).collect());
                    d *= 2;
                }
            }
            levels.push((2..n).step_by(2).map(|i| (i, i - 1)).collect());
        }
        // `add` sends only prefix architectures here.
        _ => {}
    }
    for lv in levels {
        let (g0, p0) = (gg.clone(), pp.clone());
        for (i, j) in lv {
            gg[i] = l.ao21(p0[i], g0[j], g0[i]);
            pp[i] = l.and(p0[i], p0[j]);
        }
    }
    let mut s = Vec::with_capacity(n);
    s.push(l.xor(p[0], cin));
    for i in 1..n {
        s.push(l.xor(p[i], gg[i - 1]));
    }
    (s, gg[n - 1])
}

/// Sklansky levels over the positions `pos` (a prefix over them in order).
fn sklansky(pos: &[usize]) -> Vec<Vec<(usize, usize)>> {
    let m = pos.len();
    let mut levels = Vec::new();
    let mut l = 0;
    while (1usize << l) < m {
        levels.push((0..m).filter(|k| k >> l & 1 == 1).map(|k| (pos[k], pos[((k >> l) << l) - 1])).collect());
        l += 1;
    }
    levels
}

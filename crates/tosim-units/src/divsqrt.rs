//! Array dividers and square-root units, restoring and non-restoring. Every
//! row is one adder (ripple-carry by default, as in the classic arrays; any
//! adder architecture can be chosen).

use crate::adders::add;
use crate::logic::{Logic, Sig, ONE, ZERO};
use crate::Arch;

pub(crate) const DIV_RESTORING_DOC: &str = "restoring array divider (e.g. Hwang 1979, Computer Arithmetic, ch. 7): \
     n rows of an (n+1)-bit subtractor and n MUX2 that restore when the difference is negative; \
     b = 0 gives q = all ones, r = a; signed: sign and magnitude around the unsigned array";
pub(crate) const DIV_NONRESTORING_DOC: &str = "non-restoring array divider (Hwang 1979; controlled add/subtract \
     cells): n rows of (n+1)-bit add-or-subtract chosen by the previous sign, then a remainder correction; \
     b = 0 gives q = all ones, r = a; signed: sign and magnitude around the unsigned array";
pub(crate) const SQRT_RESTORING_DOC: &str = "restoring digit-by-digit square root array (e.g. Parhami 2010, \
     Computer Arithmetic, ch. 21): row k subtracts 4Q+1 from 4R + next two radicand bits and restores on a borrow";
pub(crate) const SQRT_NONRESTORING_DOC: &str = "non-restoring square root array (Li & Chu 1996): row k adds \
     4Q+3 or subtracts 4Q+1 by the previous remainder's sign, one remainder correction at the end";

/// n/n divider, unsigned or signed (see [`DIV_RESTORING_DOC`], [`DIV_NONRESTORING_DOC`]).
///
/// Restoring, rows i = n−1 … 0: T = 2R + a_i (n+1 bits, R < b so T < 2b),
/// D = T − b by T + ~b + 1; the carry out is 1 iff T ≥ b, which is q_i; the new
/// R is q_i ? D : T (n bits). With b = 0 every q_i is 1 and R collects a's bits,
/// so q = 2ⁿ−1 and r = a (the RISC-V convention).
///
/// Non-restoring: R is kept in n+1 bits two's complement, in [−b, b). Row i
/// computes 2R + a_i − b when R ≥ 0 and 2R + a_i + b when R < 0 (one
/// add/subtract row: b ⊕ sub, carry-in sub); the new R equals the restoring
/// trial difference T − b, so q_i = ¬sign(R) is the same quotient bit. At the
/// end r = R + (b ∧ sign(R)). b = 0 again gives q = 2ⁿ−1, r = a.
pub(crate) fn divider(l: &mut Logic, arch: Arch, n: usize, signed: bool, adder: Arch) {
    let a = l.input("a", n);
    let b = l.input("b", n);
    let (q, r) = if signed { signed_divide(l, arch, &a, &b, adder) } else { divide(l, arch, &a, &b, adder) };
    l.output("q", &q);
    l.output("r", &r);
}

/// Signed division (truncating, as Rust's `/` and `%` and RISC-V `div`/`rem`)
/// by sign and magnitude around the unsigned array: |a| = (a ⊕ s_a) + s_a and
/// |b| likewise on the chosen adder, the unsigned array, then
/// q = (q_u ⊕ t) + t with t = (s_a ⊕ s_b) ∧ (b ≠ 0) and r = (r_u ⊕ s_a) + s_a
/// (the remainder takes the dividend's sign). b = 0: the unsigned array gives
/// q_u = 2ⁿ−1, r_u = |a|, t = 0, so q = −1 and r = a (RISC-V). MIN / −1:
/// |MIN| = 2ⁿ⁻¹ as an unsigned number, q_u = 2ⁿ⁻¹, negated = MIN, r = 0 (RISC-V).
fn signed_divide(l: &mut Logic, arch: Arch, a: &[Sig], b: &[Sig], adder: Arch) -> (Vec<Sig>, Vec<Sig>) {
    let n = a.len();
    let (sa, sb) = (a[n - 1], b[n - 1]);
    let cond_neg = |l: &mut Logic, x: &[Sig], s: Sig| -> Vec<Sig> {
        let xs: Vec<Sig> = x.iter().map(|&v| l.xor(v, s)).collect();
        add(l, adder, &xs, &vec![ZERO; n], s).0
    };
    let ma = cond_neg(l, a, sa);
    let mb = cond_neg(l, b, sb);
    let (uq, ur) = divide(l, arch, &ma, &mb, adder);
    let nonzero = l.or_n(b);
    let differ = l.xor(sa, sb);
    let t = l.and(differ, nonzero);
    let q = cond_neg(l, &uq, t);
    let r = cond_neg(l, &ur, sa);
    (q, r)
}

/// The unsigned array: (quotient, remainder).
fn divide(l: &mut Logic, arch: Arch, a: &[Sig], b: &[Sig], adder: Arch) -> (Vec<Sig>, Vec<Sig>) {
    let n = a.len();
    let mut q = vec![ZERO; n];
    let mut r = vec![ZERO; n];
    if arch == Arch::Restoring {
        let nb: Vec<Sig> = b.iter().map(|&x| l.not(x)).chain([ONE]).collect();
        for i in (0..n).rev() {
            let t: Vec<Sig> = std::iter::once(a[i]).chain(r.iter().copied()).collect();
            let (d, c) = add(l, adder, &t, &nb, ONE);
            q[i] = c;
            r = (0..n).map(|j| l.mux(t[j], d[j], c)).collect();
        }
    } else {
        // R has n+1 bits; start at 0 (non-negative: subtract first).
        let mut rr = vec![ZERO; n + 1];
        let mut sub = ONE;
        for i in (0..n).rev() {
            let t: Vec<Sig> = std::iter::once(a[i]).chain(rr[..n].iter().copied()).collect();
            let bx: Vec<Sig> = b.iter().chain([ZERO].iter()).map(|&x| l.xor(x, sub)).collect();
            let (s, _) = add(l, adder, &t, &bx, sub);
            rr = s;
            q[i] = l.not(rr[n]);
            sub = q[i];
        }
        let sign = rr[n];
        let corr: Vec<Sig> = b.iter().map(|&x| l.and(x, sign)).collect();
        r = add(l, adder, &rr[..n], &corr, ZERO).0;
    }
    (q, r)
}

/// Square root of a 2n-bit radicand: q = ⌊√a⌋ (n bits), r = a − q² (n+1 bits).
///
/// Restoring, step k = 1 … n takes radicand bits 2i+1, 2i (i = n−k):
/// T = 4R + those bits (k+2 bits, since R ≤ 2Q < 2^k), D = T − (4Q + 1);
/// q bit = no borrow, R = bit ? D : T (k+1 bits, R ≤ 2Q < 2^{k+1}).
///
/// Non-restoring (Li & Chu 1996): R in k+2 bits two's complement; when R ≥ 0
/// the row adds −(4Q+1) = ~(4Q+1) + 1, when R < 0 it adds 4Q+3; both are
/// "Q ⊕ sub, 1, ¬sub" plus carry-in sub, and bit 0 folds to a′ = ¬a_{2i},
/// carry a_{2i}. After a failed step R_nr = R_restoring − (2Q+1), which is why
/// +4Q+3 continues exactly the restoring sequence; the final correction is
/// r = R + ((2Q+1) ∧ sign(R)).
pub(crate) fn sqrt(l: &mut Logic, arch: Arch, n: usize, adder: Arch) {
    let a = l.input("a", 2 * n);
    // Q is kept LSB first; a new root bit enters at the bottom.
    let mut q: Vec<Sig> = Vec::new();
    if arch == Arch::Restoring {
        let mut r: Vec<Sig> = vec![ZERO]; // k bits before step k
        for k in 1..=n {
            let i = n - k;
            let t: Vec<Sig> = [a[2 * i], a[2 * i + 1]].into_iter().chain(r.iter().copied()).collect();
            debug_assert_eq!(t.len(), k + 2);
            // ~(4Q + 1) in k+2 bits: bits 0, 1 = !1, !0; then !Q; top bit !0.
            let mut sub: Vec<Sig> = vec![ZERO, ONE];
            sub.extend(q.iter().map(|&x| l.not(x)));
            sub.resize(k + 2, ONE);
            let (d, c) = add(l, adder, &t, &sub, ONE);
            r = (0..=k).map(|j| l.mux(t[j], d[j], c)).collect();
            q.insert(0, c);
        }
        l.output("q", &q);
        l.output("r", &r);
    } else {
        let mut r: Vec<Sig> = Vec::new(); // k+1 bits after step k-1 (empty = 0 at the start)
        let mut sub = ONE;
        for k in 1..=n {
            let i = n - k;
            let w = k + 2;
            // 4R + two radicand bits, modulo 2^w: R's low k bits.
            let mut t: Vec<Sig> = vec![a[2 * i], a[2 * i + 1]];
            t.extend((0..k).map(|j| r.get(j).copied().unwrap_or(ZERO)));
            // Operand: bit0 = !sub, bit1 = 1, then Q ⊕ sub, then sub up to w bits.
            let nsub = l.not(sub);
            let mut op: Vec<Sig> = vec![nsub, ONE];
            op.extend(q.iter().map(|&x| l.xor(x, sub)));
            op.resize(w, sub);
            let (s, _) = add(l, adder, &t, &op, sub);
            r = s;
            let bit = l.not(r[w - 1]);
            q.insert(0, bit);
            sub = bit;
        }
        // r = R + ((2Q+1) & sign), n+1 bits.
        let sign = r[n + 1];
        let mut corr = vec![sign];
        corr.extend(q.iter().map(|&x| l.and(x, sign)));
        let (rem, _) = add(l, adder, &r[..=n], &corr, ZERO);
        l.output("q", &q);
        l.output("r", &rem);
    }
}

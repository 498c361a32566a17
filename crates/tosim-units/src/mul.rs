//! Multipliers, n×n → 2n bits: a partial-product matrix (AND, Baugh-Wooley
//! or radix-4 Booth), a reduction to two rows (carry-save array, Wallace tree
//! or Dadda tree) and a final carry-propagate adder of any adder architecture.
//!
//! Negative partial-product bits are handled one way everywhere: a bit x of
//! weight −2^k is written as (¬x)·2^k − 2^k, and all the −2^k are summed into
//! one constant modulo 2^{2n} whose one-bits join the matrix.

use crate::adders::add;
use crate::logic::{Logic, Sig, ONE, ZERO};
use crate::Arch;

pub(crate) const ARRAY_DOC: &str = "carry-save array (Braun 1963): AND partial products, one row of FA/HA per \
     multiplier bit, final adder; signed operands use the Baugh-Wooley matrix";
pub(crate) const WALLACE_DOC: &str = "Wallace tree (Wallace 1964): every stage compresses each column by FAs on \
     groups of three and an HA on a leftover pair; signed operands use the Baugh-Wooley matrix";
pub(crate) const DADDA_DOC: &str = "Dadda tree (Dadda 1965): stage heights 2,3,4,6,9,13,…, as few FA/HA as \
     reach each height; signed operands use the Baugh-Wooley matrix";
pub(crate) const BOOTH_DOC: &str = "radix-4 modified Booth recoding (MacSorley 1961) of the multiplier, \
     ceil((n+1)/2) rows for unsigned and ceil(n/2) for signed operands, reduced by a Dadda tree";
pub(crate) const BW_DOC: &str = "Baugh-Wooley signed array (Baugh & Wooley 1973; modified form with constant \
     ones at columns n and 2n-1, Hatamian 1986): NAND for the sign cross terms, carry-save array";

/// A partial-product row: (weight, bit), at most one bit per weight.
type Row = Vec<(usize, Sig)>;

/// Builds the multiplier (see the `*_DOC` strings and the functions below).
pub(crate) fn multiplier(l: &mut Logic, arch: Arch, n: usize, signed: bool, final_adder: Arch) {
    let a = l.input("a", n);
    let b = l.input("b", n);
    let w = 2 * n;
    let (rows, konst) = match arch {
        Arch::Booth => booth_matrix(l, &a, &b, signed),
        Arch::BaughWooley => baugh_wooley_matrix(l, &a, &b),
        _ if signed => baugh_wooley_matrix(l, &a, &b),
        _ => and_matrix(l, &a, &b),
    };
    let konst_bits: Vec<usize> = (0..w).filter(|&k| konst >> k & 1 == 1).collect();
    let cols = match arch {
        Arch::Array | Arch::BaughWooley => array_reduce(l, &rows, &konst_bits, w),
        _ => {
            let mut cols: Vec<Vec<Sig>> = vec![Vec::new(); w];
            for row in &rows {
                for &(k, s) in row {
                    cols[k].push(s);
                }
            }
            for &k in &konst_bits {
                cols[k].push(ONE);
            }
            if arch == Arch::Wallace {
                wallace_reduce(l, cols)
            } else {
                dadda_reduce(l, cols)
            }
        }
    };
    let p = final_add(l, &cols, final_adder);
    l.output("p", &p);
}

/// Unsigned AND matrix: row i holds a_j·b_i at weight i+j (n² AND2).
fn and_matrix(l: &mut Logic, a: &[Sig], b: &[Sig]) -> (Vec<Row>, u128) {
    let rows =
        b.iter().enumerate().map(|(i, &bi)| a.iter().enumerate().map(|(j, &aj)| (i + j, l.and(aj, bi))).collect());
    (rows.collect(), 0)
}

/// Baugh-Wooley matrix for two's-complement operands:
/// a·b = Σ_{i,j<n−1} a_j b_i 2^{i+j} + a_{n−1} b_{n−1} 2^{2n−2}
///       − Σ_{j<n−1} a_j b_{n−1} 2^{n−1+j} − Σ_{i<n−1} a_{n−1} b_i 2^{n−1+i}.
/// Each negative term becomes a NAND plus −2^k; the 2(n−1) constants sum to
/// −2·(2^{2n−2} − 2^{n−1}) = 2^n − 2^{2n−1} ≡ 2^n + 2^{2n−1} (mod 2^{2n}).
fn baugh_wooley_matrix(l: &mut Logic, a: &[Sig], b: &[Sig]) -> (Vec<Row>, u128) {
    let n = a.len();
    let mut rows = Vec::with_capacity(n);
    for (i, &bi) in b.iter().enumerate() {
        let row = a
            .iter()
            .enumerate()
            .map(|(j, &aj)| {
                let cross = (i == n - 1) != (j == n - 1);
                (i + j, if cross { l.nand(aj, bi) } else { l.and(aj, bi) })
            })
            .collect();
        rows.push(row);
    }
    let w = 2 * n as u32;
    let konst = ((1u128 << n) + (1u128 << (w - 1))) & crate::mask(w);
    (rows, konst)
}

/// Radix-4 modified Booth matrix (MacSorley 1961). Multiplier digits
/// d_i = −2b_{2i+1} + b_{2i} + b_{2i−1} ∈ {−2..2} (b_{−1} = 0; above the top
/// bit b is sign- or zero-extended); encoder: one = b_{2i} ⊕ b_{2i−1},
/// two = (b_{2i+1} ⊕ b_{2i}) ∧ ¬one, neg = b_{2i+1}. Row i is d_i·a' as an
/// (m+1)-bit two's-complement number with a' = a (m = n, signed) or a
/// zero-extended (m = n+1, unsigned): bit j = (one·a'_j + two·a'_{j−1}) ⊕ neg
/// (an AOI22 and an XNOR), plus neg at weight 2i to finish the negation; its
/// sign bit weighs −2^{2i+m}, handled as the module describes.
fn booth_matrix(l: &mut Logic, a: &[Sig], b: &[Sig], signed: bool) -> (Vec<Row>, u128) {
    let n = a.len();
    let w = 2 * n;
    let m = if signed { n } else { n + 1 };
    let groups = if signed { n.div_ceil(2) } else { n / 2 + 1 };
    let ext = |v: &[Sig], j: isize| -> Sig {
        if j < 0 {
            ZERO
        } else if (j as usize) < v.len() {
            v[j as usize]
        } else if signed {
            v[v.len() - 1]
        } else {
            ZERO
        }
    };
    // a' bits 0..=m, with a'_m = a'_{m−1} (the sign of a').
    let ap: Vec<Sig> = (0..=m).map(|j| ext(a, j.min(m - 1) as isize)).collect();
    let mut rows = Vec::new();
    let mut konst: u128 = 0;
    let mk = crate::mask(w as u32);
    for i in 0..groups {
        let x0 = ext(b, 2 * i as isize - 1);
        let x1 = ext(b, 2 * i as isize);
        let x2 = ext(b, 2 * i as isize + 1);
        let one = l.xor(x1, x0);
        let t = l.xor(x2, x1);
        let two = l.andnot(t, one);
        let neg = x2;
        let mut row: Row = Vec::new();
        for j in 0..=m {
            let k = 2 * i + j;
            if k >= w {
                break;
            }
            let prev = if j == 0 { ZERO } else { ap[j - 1] };
            let sel_n = l.aoi22(one, ap[j], two, prev);
            // bit j = sel ⊕ neg = ¬sel_n ⊕ neg = XNOR(sel_n, neg); the sign bit enters inverted.
            let bit = if j < m { l.xnor(sel_n, neg) } else { l.xor(sel_n, neg) };
            row.push((k, bit));
        }
        rows.push(row);
        if 2 * i < w {
            rows.push(vec![(2 * i, neg)]);
        }
        if 2 * i + m < 128 {
            konst = konst.wrapping_sub(1u128 << (2 * i + m));
        }
    }
    (rows, konst & mk)
}

/// Carry-save array reduction: the sum and carry vectors (S, C) start as row 0
/// and the constant bits; each further row R passes through one rank of adder
/// cells: a column with bits among S, C, R gets an FA (three bits) or an HA
/// (two, when R has a bit there or a carry arrives from the column below),
/// its sum stays in S and its carry moves to C one column up.
///
/// For the AND matrix this is Braun's array, with the closed form
/// n² AND2 + (n−1) HA (row 1, S and R overlap in columns 1..n−1) +
/// (n−1)(n−2) FA (rows 2..n−1, n−1 full cells each) + an (n−1)-bit final adder
/// on columns n..2n−2 (columns below n hold one bit each).
fn array_reduce(l: &mut Logic, rows: &[Row], konst: &[usize], w: usize) -> Vec<Vec<Sig>> {
    let mut s: Vec<Option<Sig>> = vec![None; w + 1];
    let mut c: Vec<Option<Sig>> = vec![None; w + 1];
    if let Some(r0) = rows.first() {
        for &(k, x) in r0 {
            s[k] = Some(x);
        }
    }
    for &k in konst {
        if s[k].is_none() {
            s[k] = Some(ONE);
        } else {
            c[k] = Some(ONE);
        }
    }
    for row in rows.iter().skip(1) {
        let mut r: Vec<Option<Sig>> = vec![None; w + 1];
        for &(k, x) in row {
            r[k] = Some(x);
        }
        let mut ns: Vec<Option<Sig>> = vec![None; w + 1];
        let mut nc: Vec<Option<Sig>> = vec![None; w + 1];
        for k in 0..w {
            let bits: Vec<Sig> = [s[k], c[k], r[k]].into_iter().flatten().collect();
            let carry_in = nc[k].is_some();
            match bits.len() {
                3 => {
                    let (sum, co) = l.fa(bits[0], bits[1], bits[2]);
                    ns[k] = Some(sum);
                    nc[k + 1] = Some(co);
                }
                2 if r[k].is_some() || carry_in => {
                    let (sum, co) = l.ha(bits[0], bits[1]);
                    ns[k] = Some(sum);
                    nc[k + 1] = Some(co);
                }
                2 => {
                    ns[k] = s[k];
                    nc[k] = c[k];
                }
                1 => ns[k] = Some(bits[0]),
                _ => {}
            }
        }
        s = ns;
        c = nc;
    }
    (0..w).map(|k| [s[k], c[k]].into_iter().flatten().collect()).collect()
}

/// Wallace tree (Wallace, "A suggestion for a fast multiplier", IEEE Trans.
/// Electronic Computers, 1964): each stage splits every column into groups of
/// three (FA) and a leftover pair (HA), until no column holds more than two bits.
fn wallace_reduce(l: &mut Logic, mut cols: Vec<Vec<Sig>>) -> Vec<Vec<Sig>> {
    let w = cols.len();
    while cols.iter().any(|c| c.len() > 2) {
        let mut next: Vec<Vec<Sig>> = vec![Vec::new(); w + 1];
        for (k, col) in cols.iter().enumerate() {
            let mut it = col.chunks(3);
            for ch in &mut it {
                match ch.len() {
                    3 => {
                        let (s, c) = l.fa(ch[0], ch[1], ch[2]);
                        next[k].push(s);
                        next[k + 1].push(c);
                    }
                    2 => {
                        let (s, c) = l.ha(ch[0], ch[1]);
                        next[k].push(s);
                        next[k + 1].push(c);
                    }
                    _ => next[k].push(ch[0]),
                }
            }
        }
        next.truncate(w);
        cols = next;
    }
    cols
}

/// Dadda tree (Dadda, "Some schemes for parallel multipliers", Alta Frequenza,
/// 1965): target heights d_1 = 2, d_{j+1} = ⌊1.5·d_j⌋; each stage brings every
/// column (counting the carries arriving from the column below in the same
/// stage) down to the next target with as few cells as possible: an HA when
/// the column is one bit too high, otherwise FAs.
fn dadda_reduce(l: &mut Logic, mut cols: Vec<Vec<Sig>>) -> Vec<Vec<Sig>> {
    let w = cols.len();
    let maxh = cols.iter().map(Vec::len).max().unwrap_or(0);
    let mut targets = vec![2usize];
    while *targets.last().unwrap_or(&2) < maxh {
        let d = targets[targets.len() - 1];
        targets.push(d * 3 / 2);
    }
    targets.pop(); // the first target not below the current height does nothing
                   // Matrices other than the AND triangle (Booth rows, constant bits) may not
                   // reach a target in one stage; extra stages at height 2 finish the job.
    let stages: Vec<usize> = targets.into_iter().rev().collect();
    let mut extra = 0;
    loop {
        let d = match stages.get(extra) {
            Some(&d) => d,
            None if cols.iter().any(|c| c.len() > 2) => 2,
            None => break,
        };
        extra += 1;
        let mut next: Vec<Vec<Sig>> = vec![Vec::new(); w + 1];
        for k in 0..w {
            let mut bits: std::collections::VecDeque<Sig> = cols[k].iter().copied().collect();
            let mut h = bits.len() + next[k].len();
            while h > d && bits.len() >= 2 {
                if h == d + 1 || bits.len() == 2 {
                    let (x, y) = (bits.pop_front().unwrap_or(ZERO), bits.pop_front().unwrap_or(ZERO));
                    let (s, c) = l.ha(x, y);
                    next[k].push(s);
                    next[k + 1].push(c);
                    h -= 1;
                } else {
                    let x = bits.pop_front().unwrap_or(ZERO);
                    let y = bits.pop_front().unwrap_or(ZERO);
                    let z = bits.pop_front().unwrap_or(ZERO);
                    let (s, c) = l.fa(x, y, z);
                    next[k].push(s);
                    next[k + 1].push(c);
                    h -= 2;
                }
            }
            next[k].extend(bits);
        }
        next.truncate(w);
        cols = next;
        if extra > stages.len() + 64 {
            break; // unreachable: every stage removes bits from an over-full column
        }
    }
    cols
}

/// Adds the (at most two) bits left in each column: columns below the first
/// two-bit column are product bits as they are; from there to the highest
/// non-empty column a carry-propagate adder of the chosen architecture runs
/// with carry-in 0, its carry-out landing in the next column if it exists.
fn final_add(l: &mut Logic, cols: &[Vec<Sig>], arch: Arch) -> Vec<Sig> {
    let w = cols.len();
    let mut p: Vec<Sig> = cols.iter().map(|c| c.first().copied().unwrap_or(ZERO)).collect();
    let lo = cols.iter().position(|c| c.len() >= 2);
    let hi = cols.iter().rposition(|c| !c.is_empty());
    if let (Some(lo), Some(hi)) = (lo, hi) {
        let x: Vec<Sig> = (lo..=hi).map(|k| cols[k].first().copied().unwrap_or(ZERO)).collect();
        let y: Vec<Sig> = (lo..=hi).map(|k| cols[k].get(1).copied().unwrap_or(ZERO)).collect();
        let (s, c) = add(l, arch, &x, &y, ZERO);
        p[lo..=hi].copy_from_slice(&s);
        if hi + 1 < w {
            p[hi + 1] = c;
        }
    }
    p
}

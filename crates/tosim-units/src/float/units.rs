//! The floating-point datapaths, built on a [`Circuit`] from tosim-units
//! adders, leading-zero counters, multipliers and square roots.
//!
//! Every arithmetic unit ends in one shared back end, [`round_pack`]:
//! normalise (leading-zero count and left shift, limited so the exponent
//! never drops below the smallest normal one; or a right shift with sticky
//! bit into the subnormal range), round to nearest, ties to even, and pack,
//! with overflow to infinity.

use crate::{Arch, Kind, UnitSpec};

use super::circuit::{Circuit, Wire, ZERO};
use super::{FloatError, Format};

/// Inner architectures of a floating-point unit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Arches {
    pub adder: Arch,
    pub mul: Arch,
    pub root: Arch,
}

/// An operand split into its fields.
pub(crate) struct Unpacked {
    /// Sign.
    pub s: Wire,
    /// Effective biased exponent (1 for subnormals), `ebits` wide.
    pub e: Vec<Wire>,
    /// Significand with the hidden bit, `p` wide.
    pub m: Vec<Wire>,
    /// ±0.
    pub zero: Wire,
    /// ±∞.
    pub inf: Wire,
    /// Any NaN.
    pub nan: Wire,
}

fn zext(x: &[Wire], n: usize) -> Vec<Wire> {
    (0..n).map(|i| x.get(i).copied().unwrap_or(ZERO)).collect()
}

fn cbus(v: i64, n: usize) -> Vec<Wire> {
    Circuit::constant_bus(v as u128, n)
}

pub(crate) fn unpack(c: &mut Circuit, f: Format, x: &[Wire]) -> Unpacked {
    let (eb, mb) = (f.ebits() as usize, f.mbits() as usize);
    let frac = &x[..mb];
    let field = &x[mb..mb + eb];
    let any = c.or_n(field);
    let ones = c.and_n(field);
    let fracnz = c.or_n(frac);
    let mut e = field.to_vec();
    let fz = c.not(any);
    e[0] = c.or(field[0], fz);
    let mut m = frac.to_vec();
    m.push(any);
    Unpacked { s: x[mb + eb], e, m, zero: c.andnot(fz, fracnz), inf: c.andnot(ones, fracnz), nan: c.and(ones, fracnz) }
}

/// The canonical quiet NaN's magnitude bits (exponent all ones, top fraction bit).
fn qnan(f: Format) -> u128 {
    let (eb, mb) = (f.ebits(), f.mbits());
    (((1u128 << eb) - 1) << mb) | (1u128 << (mb - 1))
}

/// The result word: NaN, then ∞ (sign `isign`), then zero (sign `zsign`), else `{sign, mag}`.
#[allow(clippy::too_many_arguments)]
fn select(
    c: &mut Circuit,
    f: Format,
    mag: &[Wire],
    sign: Wire,
    nan: Wire,
    inf: Wire,
    isign: Wire,
    zero: Wire,
    zsign: Wire,
) -> Vec<Wire> {
    let w = f.width() as usize;
    let infm = Circuit::constant_bus(((1u128 << f.ebits()) - 1) << f.mbits(), w - 1);
    let nanm = Circuit::constant_bus(qnan(f), w - 1);
    let zm = vec![ZERO; w - 1];
    let mut y = c.mux_bus(mag, &zm, zero);
    y.push(c.mux(sign, zsign, zero));
    let mut inf_w = infm;
    inf_w.push(isign);
    let y = c.mux_bus(&y, &inf_w, inf);
    let mut nan_w = nanm;
    nan_w.push(ZERO);
    c.mux_bus(&y, &nan_w, nan)
}

/// Normalise, round to nearest even and pack (the shared back end).
///
/// `x` is a significand (any width ≥ 1, MSB last) with `sticky` below it;
/// `e` is a signed exponent (two's complement, its last wire the sign) such
/// that, were `x`'s top bit set and no shift applied, the result's effective
/// biased exponent would be `e + 1`. `left` enables the leading-zero left
/// shift (at most `e`, so the exponent stays ≥ 1); `right` enables the right
/// shift by `−e` into the subnormal range when `e < 0`. Returns the `width − 1`
/// magnitude bits, with overflow giving infinity.
#[allow(clippy::too_many_arguments)]
pub(crate) fn round_pack(
    c: &mut Circuit,
    f: Format,
    arch: Arch,
    x: &[Wire],
    sticky: Wire,
    e: &[Wire],
    left: bool,
    right: bool,
) -> Result<Vec<Wire>, FloatError> {
    let (eb, p) = (f.ebits() as usize, f.mbits() as usize + 1);
    let we = e.len();
    let mut x = x.to_vec();
    if x.len() < p + 2 {
        let pad = p + 2 - x.len();
        x = std::iter::repeat(ZERO).take(pad).chain(x).collect();
    }
    let w = x.len();
    let eneg = e[we - 1];
    let mut t: Vec<Wire>;
    let mut y;
    if left {
        let lz = c.lzc(&x)?;
        let (d, _) = c.sub(arch, e, &zext(&lz, we))?;
        let dneg = d[we - 1];
        let elow = zext(e, lz.len());
        let k = c.mux_bus(&lz, &elow, dneg);
        let ok = c.not(eneg);
        let k = c.and_bus(&k, ok);
        let dpos = c.not(dneg);
        t = c.and_bus(&d[..we - 1], dpos);
        y = c.shl(&x, &k);
    } else {
        t = e[..we - 1].to_vec();
        y = x;
    }
    let mut rst = ZERO;
    if right {
        let (r, _) = c.sub(arch, &vec![ZERO; we], e)?;
        let amt = c.and_bus(&r[..we - 1], eneg);
        let (yy, s) = c.shr_sticky(&y, &amt);
        y = yy;
        rst = s;
        let epos = c.not(eneg);
        t = c.and_bus(&t, epos);
    }
    let m = y[w - p..].to_vec();
    let g = y[w - p - 1];
    let low = c.or_n(&y[..w - p - 1]);
    let st = c.or_n(&[low, sticky, rst]);
    let lsb_or = c.or(st, m[0]);
    let rnd = c.and(g, lsb_or);
    let mut a: Vec<Wire> = m[..p - 1].to_vec();
    a.extend_from_slice(&t);
    let mut b = vec![ZERO; p - 1];
    b.push(m[p - 1]);
    let (r, _) = c.add(arch, &a, &b, rnd)?;
    let high = c.or_n(&r[p - 1 + eb..]);
    let all = c.and_n(&r[p - 1..p - 1 + eb]);
    let ovf = c.or(high, all);
    let infm = Circuit::constant_bus(((1u128 << eb) - 1) << (p - 1), eb + p - 1);
    Ok(c.mux_bus(&r[..eb + p - 1], &infm, ovf))
}

/// `a ± b` (`sub` negates `b`).
pub(crate) fn fadd(
    c: &mut Circuit,
    f: Format,
    ar: Arches,
    a: &[Wire],
    b: &[Wire],
    sub: bool,
) -> Result<Vec<Wire>, FloatError> {
    let w = f.width() as usize;
    let (eb, p) = (f.ebits() as usize, f.mbits() as usize + 1);
    let ua = unpack(c, f, a);
    let ub = unpack(c, f, b);
    let sb = if sub { c.not(ub.s) } else { ub.s };
    let (_, a_ge) = c.sub(ar.adder, &a[..w - 1], &b[..w - 1])?;
    let swap = c.not(a_ge);
    let sl = c.mux(ua.s, sb, swap);
    let el = c.mux_bus(&ua.e, &ub.e, swap);
    let ml = c.mux_bus(&ua.m, &ub.m, swap);
    let es = c.mux_bus(&ub.e, &ua.e, swap);
    let ms = c.mux_bus(&ub.m, &ua.m, swap);
    let (d, _) = c.sub(ar.adder, &el, &es)?;
    let grs = [ZERO; 3];
    let mlx: Vec<Wire> = grs.iter().copied().chain(ml).collect();
    let msx: Vec<Wire> = grs.iter().copied().chain(ms).collect();
    let (mut al, st) = c.shr_sticky(&msx, &d);
    al[0] = c.or(al[0], st);
    let effsub = c.xor(ua.s, sb);
    let bx: Vec<Wire> = al.iter().map(|&x| c.xor(x, effsub)).collect();
    let (mut s, co) = c.add(ar.adder, &mlx, &bx, effsub)?;
    let top = c.andnot(co, effsub);
    s.push(top);
    debug_assert_eq!(s.len(), p + 4);
    let e = zext(&el, eb + 2);
    let mag = round_pack(c, f, ar.adder, &s, ZERO, &e, true, false)?;
    let xnz = c.or_n(&s);
    let xz = c.not(xnz);
    let zsign = c.and(ua.s, sb);
    let both_inf = c.and(ua.inf, ub.inf);
    let bad = c.and(both_inf, effsub);
    let nan = c.or_n(&[ua.nan, ub.nan, bad]);
    let inf = c.or(ua.inf, ub.inf);
    let isign = c.mux(sb, ua.s, ua.inf);
    Ok(select(c, f, &mag, sl, nan, inf, isign, xz, zsign))
}

/// `a × b`.
pub(crate) fn fmul(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire], b: &[Wire]) -> Result<Vec<Wire>, FloatError> {
    let p = f.mbits() as usize + 1;
    let we = f.ebits() as usize + 3;
    let ua = unpack(c, f, a);
    let ub = unpack(c, f, b);
    let spec = UnitSpec::new(Kind::Mul, ar.mul, p as u32).with_final_adder(ar.adder);
    let prod = c.unit(spec, &[&ua.m, &ub.m])?.remove(0);
    let ea = zext(&ua.e, we);
    let eb = zext(&ub.e, we);
    let (sum, _) = c.add(ar.adder, &ea, &eb, ZERO)?;
    let (e, _) = c.add(ar.adder, &sum, &cbus(-(f.bias() as i64), we), ZERO)?;
    let mag = round_pack(c, f, ar.adder, &prod, ZERO, &e, true, true)?;
    let sign = c.xor(ua.s, ub.s);
    let iz = c.and(ua.inf, ub.zero);
    let zi = c.and(ua.zero, ub.inf);
    let nan = c.or_n(&[ua.nan, ub.nan, iz, zi]);
    let inf = c.or(ua.inf, ub.inf);
    let zero = c.or(ua.zero, ub.zero);
    Ok(select(c, f, &mag, sign, nan, inf, sign, zero, sign))
}

/// Normalised significand and signed exponent (`we` wide) of a finite nonzero operand.
fn normalise(c: &mut Circuit, ar: Arches, u: &Unpacked, we: usize) -> Result<(Vec<Wire>, Vec<Wire>), FloatError> {
    let lz = c.lzc(&u.m)?;
    let m = c.shl(&u.m, &lz);
    let (e, _) = c.sub(ar.adder, &zext(&u.e, we), &zext(&lz, we))?;
    Ok((m, e))
}

/// Restoring division of normalised significands: `⌊ma·2^(p+1)/mb⌋` (p+2
/// bits) and whether the remainder is nonzero. One row per quotient bit:
/// subtract on the chosen adder, keep the difference when there is no borrow.
fn divide(c: &mut Circuit, arch: Arch, ma: &[Wire], mb: &[Wire]) -> Result<(Vec<Wire>, Wire), FloatError> {
    let p = ma.len();
    let mut r = zext(ma, p + 1);
    let d = zext(mb, p + 1);
    let mut q = Vec::with_capacity(p + 2);
    for j in 0..p + 2 {
        let (diff, ge) = c.sub(arch, &r, &d)?;
        q.push(ge);
        r = c.mux_bus(&r, &diff, ge);
        if j < p + 1 {
            r = std::iter::once(ZERO).chain(r[..p].iter().copied()).collect();
        }
    }
    q.reverse();
    let nz = c.or_n(&r);
    Ok((q, nz))
}

/// `a / b`.
pub(crate) fn fdiv(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire], b: &[Wire]) -> Result<Vec<Wire>, FloatError> {
    let we = f.ebits() as usize + 3;
    let ua = unpack(c, f, a);
    let ub = unpack(c, f, b);
    let (ma, ea) = normalise(c, ar, &ua, we)?;
    let (mb, eb) = normalise(c, ar, &ub, we)?;
    let (q, nz) = divide(c, ar.adder, &ma, &mb)?;
    let (diff, _) = c.sub(ar.adder, &ea, &eb)?;
    let (e, _) = c.add(ar.adder, &diff, &cbus(f.bias() as i64 - 1, we), ZERO)?;
    let mag = round_pack(c, f, ar.adder, &q, nz, &e, true, true)?;
    let sign = c.xor(ua.s, ub.s);
    let zz = c.and(ua.zero, ub.zero);
    let ii = c.and(ua.inf, ub.inf);
    let nan = c.or_n(&[ua.nan, ub.nan, zz, ii]);
    let inf = c.or(ua.inf, ub.zero);
    let zero = c.or(ua.zero, ub.inf);
    Ok(select(c, f, &mag, sign, nan, inf, sign, zero, sign))
}

/// `√a`.
pub(crate) fn fsqrt(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire]) -> Result<Vec<Wire>, FloatError> {
    let p = f.mbits() as usize + 1;
    let we = f.ebits() as usize + 3;
    let ua = unpack(c, f, a);
    let (m, e) = normalise(c, ar, &ua, we)?;
    // Radicand m·2^(p+3+par), par making the exponent even: 2p+4 bits, root p+2 bits.
    let par = c.not(e[0]);
    let r0: Vec<Wire> = std::iter::repeat(ZERO).take(p + 3).chain(m.iter().copied()).collect();
    let r1: Vec<Wire> = std::iter::repeat(ZERO).take(p + 4).chain(m.iter().copied()).collect();
    let rad = c.mux_bus(&zext(&r0, 2 * p + 4), &r1, par);
    let spec = UnitSpec::new(Kind::Sqrt, ar.root, p as u32 + 2).with_final_adder(ar.adder);
    let out = c.unit(spec, &[&rad])?;
    let nz = c.or_n(&out[1]);
    // E = (e + bias − par − 2) / 2 = (e + (bias − 3) + !par) >> 1 (arithmetic).
    let npar = c.not(par);
    let (t, _) = c.add(ar.adder, &e, &cbus(f.bias() as i64 - 3, we), npar)?;
    let mut ee: Vec<Wire> = t[1..].to_vec();
    ee.push(t[we - 1]);
    let mag = round_pack(c, f, ar.adder, &out[0], nz, &ee, false, false)?;
    let neg = c.andnot(ua.s, ua.zero);
    let nan = c.or(ua.nan, neg);
    Ok(select(c, f, &mag, ZERO, nan, ua.inf, ZERO, ua.zero, ua.s))
}

/// Magnitude comparison pieces: (a < b as magnitudes, a == b as magnitudes).
fn mag_cmp(c: &mut Circuit, f: Format, arch: Arch, a: &[Wire], b: &[Wire]) -> Result<(Wire, Wire), FloatError> {
    let w = f.width() as usize;
    let (_, ge) = c.sub(arch, &a[..w - 1], &b[..w - 1])?;
    let eqs: Vec<Wire> = (0..w - 1)
        .map(|i| {
            let x = c.xor(a[i], b[i]);
            c.not(x)
        })
        .collect();
    let eq = c.and_n(&eqs);
    Ok((c.not(ge), eq))
}

/// a < b for ordered operands, treating −0 as less than +0.
fn less(c: &mut Circuit, ua: &Unpacked, ub: &Unpacked, alt: Wire, eqm: Wire) -> Wire {
    let agt = c.nor(alt, eqm);
    let neg_pos = c.andnot(ua.s, ub.s);
    let ns = c.or(ua.s, ub.s);
    let pos_pos = c.andnot(alt, ns);
    let both = c.and(ua.s, ub.s);
    let neg_neg = c.and(both, agt);
    c.or_n(&[neg_pos, pos_pos, neg_neg])
}

/// `lt`, `eq` of IEEE comparison (false when unordered; +0 == −0).
pub(crate) fn fcmp(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire], b: &[Wire]) -> Result<(Wire, Wire), FloatError> {
    let ua = unpack(c, f, a);
    let ub = unpack(c, f, b);
    let (alt, eqm) = mag_cmp(c, f, ar.adder, a, b)?;
    let nan = c.or(ua.nan, ub.nan);
    let bothz = c.and(ua.zero, ub.zero);
    let lt0 = less(c, &ua, &ub, alt, eqm);
    let bad = c.or(nan, bothz);
    let lt = c.andnot(lt0, bad);
    let ss = c.xor(ua.s, ub.s);
    let same = c.andnot(eqm, ss);
    let eq0 = c.or(same, bothz);
    let eq = c.andnot(eq0, nan);
    Ok((lt, eq))
}

/// minNum / maxNum: a NaN operand yields the other; −0 < +0.
pub(crate) fn fminmax(
    c: &mut Circuit,
    f: Format,
    ar: Arches,
    a: &[Wire],
    b: &[Wire],
    max: bool,
) -> Result<Vec<Wire>, FloatError> {
    let ua = unpack(c, f, a);
    let ub = unpack(c, f, b);
    let (alt, eqm) = mag_cmp(c, f, ar.adder, a, b)?;
    let lt = less(c, &ua, &ub, alt, eqm);
    // Take b when: a is NaN, or (b not NaN and (min: b < a i.e. !lt & !eq; max: lt)).
    let ss = c.xor(ua.s, ub.s);
    let same = c.andnot(eqm, ss);
    let pick_b = if max { lt } else { c.nor(lt, same) };
    let pick_b = c.andnot(pick_b, ub.nan);
    let pick_b = c.or(pick_b, ua.nan);
    let y = c.mux_bus(a, b, pick_b);
    let both = c.and(ua.nan, ub.nan);
    let w = f.width() as usize;
    let nanw = Circuit::constant_bus(qnan(f), w);
    Ok(c.mux_bus(&y, &nanw, both))
}

/// Signed `w`-bit integer to float, rounding to nearest even.
pub(crate) fn itof(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire]) -> Result<Vec<Wire>, FloatError> {
    let w = a.len();
    let we = f.ebits().max(7) as usize + 3;
    let s = a[w - 1];
    let (neg, _) = c.sub(ar.adder, &vec![ZERO; w], a)?;
    let mag = c.mux_bus(a, &neg, s);
    let e = cbus(f.bias() as i64 + w as i64 - 2, we);
    let m = round_pack(c, f, ar.adder, &mag, ZERO, &e, true, false)?;
    let any = c.or_n(a);
    let z = c.not(any);
    let mut y = m;
    y.push(s);
    let zw = vec![ZERO; f.width() as usize];
    Ok(c.mux_bus(&y, &zw, z))
}

/// Float to signed `w`-bit integer: round to nearest even, saturate, NaN → 0.
pub(crate) fn ftoi(c: &mut Circuit, f: Format, ar: Arches, a: &[Wire], w: usize) -> Result<Vec<Wire>, FloatError> {
    let p = f.mbits() as usize + 1;
    let bias = f.bias() as i64;
    let we = f.ebits() as usize + 3;
    let u = unpack(c, f, a);
    let e = zext(&u.e, we);
    // big: e ≥ bias + w − 1, |x| ≥ 2^(w−1).
    let (_, big) = c.sub(ar.adder, &e, &cbus(bias + w as i64 - 1, we))?;
    // Right shift (bias + w − 2) − e of m·2^w in p + w bits; p + 1 fraction bits.
    let (r, _) = c.sub(ar.adder, &cbus(bias + w as i64 - 2, we), &e)?;
    let z0: Vec<Wire> = std::iter::repeat(ZERO).take(w).chain(u.m.iter().copied()).collect();
    let (z, st) = c.shr_sticky(&z0, &r[..we - 1]);
    let fr = p + 1;
    let int: Vec<Wire> = z[fr..].to_vec();
    let g = z[fr - 1];
    let low = c.or_n(&z[..fr - 1]);
    let st = c.or(low, st);
    let lo = c.or(st, int[0]);
    let rnd = c.and(g, lo);
    let (ir, _) = c.add(ar.adder, &zext(&int, w), &[], rnd)?;
    let sat = c.or_n(&[big, ir[w - 1], u.inf]);
    let (neg, _) = c.sub(ar.adder, &vec![ZERO; w], &ir)?;
    let val = c.mux_bus(&ir, &neg, u.s);
    let maxv = cbus((1i64 << (w - 1)) - 1, w);
    let minv = Circuit::constant_bus(1u128 << (w - 1), w);
    let satv = c.mux_bus(&maxv, &minv, u.s);
    let y = c.mux_bus(&val, &satv, sat);
    let zw = vec![ZERO; w];
    Ok(c.mux_bus(&y, &zw, u.nan))
}

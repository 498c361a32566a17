//! The units of the study and everything measured on each.

use std::fmt::Write as _;

use serde::Serialize;
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_plot::Summary;
use tosim_sim::{Generated, HwUnit, OpCounts, Options, Recorded, Stream};
use tosim_spice::stats::pearson;
use tosim_units::mask;
use tosim_units::{Arch, Kind, UnitSpec};

use crate::float::{FloatDist, FloatKind, FloatSpec, Format};
use crate::rng::Rng;
use crate::StudyError;

/// Number representation of a unit's two data operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Num {
    /// n-bit integers, two's complement when signed.
    Int {
        /// Bits.
        width: u32,
        /// Two's complement.
        signed: bool,
    },
    /// IEEE binary32.
    F32,
}

/// A unit in the study.
#[derive(Debug)]
pub struct Unit {
    /// Name in the figures and tables.
    pub name: String,
    /// Figure groups: add8, mul8, div8, wide.
    pub groups: &'static [&'static str],
    /// Representation of the data operands.
    pub num: Num,
    /// `tosim unit sim` arguments that build the same unit.
    pub cli: String,
    /// Input bus widths.
    pub widths: Vec<u32>,
    /// Input bus names.
    pub buses: Vec<String>,
    /// The unit bound to the library and compiled.
    pub hw: HwUnit,
}

impl Unit {
    fn data_bits(&self) -> u32 {
        self.widths[0] + self.widths[1]
    }
}

fn build(
    lib: &Library,
    name: &str,
    groups: &'static [&'static str],
    num: Num,
    cli: &str,
    n: Netlist,
) -> Result<Unit, StudyError> {
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let buses = n.inputs().iter().map(|b| b.name.to_string()).collect();
    let hw =
        HwUnit::bind(n, lib).map_err(|source| StudyError::Unit { unit: name.to_string(), source: Box::new(source) })?;
    if widths.len() < 2 {
        return Err(StudyError::Operands(name.to_string()));
    }
    Ok(Unit { name: name.into(), groups, num, cli: cli.into(), widths, buses, hw })
}

/// The units of the study bound to `lib` (those whose name contains `only`, if given).
pub fn units(lib: &Library, only: Option<&str>) -> Result<Vec<Unit>, StudyError> {
    let mut v = Vec::new();
    let keep = |name: &str| only.map_or(true, |o| name.contains(o));
    let int = |kind: Kind, arch: Arch, w: u32, signed: bool, fa: Option<Arch>| {
        let mut s = UnitSpec::new(kind, arch, w).signed(signed);
        let mut cli = format!("--kind {} --arch {} --width {w}", kind.name(), arch.name());
        if signed {
            cli.push_str(" --signed");
        }
        if let Some(a) = fa {
            s = s.with_final_adder(a);
            let _ = write!(cli, " --final-adder {}", a.name());
        }
        (s, cli)
    };
    let push_int = |v: &mut Vec<Unit>,
                    name: String,
                    groups: &'static [&'static str],
                    kind: Kind,
                    arch: Arch,
                    w: u32,
                    signed: bool,
                    fa: Option<Arch>|
     -> Result<(), StudyError> {
        if !keep(&name) {
            return Ok(());
        }
        let (s, cli) = int(kind, arch, w, signed, fa);
        let n = tosim_units::generate(&s)
            .map_err(|source| StudyError::Generate { unit: name.clone(), source: Box::new(source) })?;
        v.push(build(lib, &name, groups, Num::Int { width: w, signed }, &cli, n)?);
        Ok(())
    };
    for a in [Arch::Ripple, Arch::KoggeStone, Arch::BrentKung, Arch::Sklansky] {
        let g: &'static [&'static str] = if a == Arch::KoggeStone { &["add8", "wide"] } else { &["add8"] };
        push_int(&mut v, format!("add8 {}", a.name()), g, Kind::Add, a, 8, true, None)?;
    }
    for a in [Arch::Array, Arch::Wallace, Arch::Dadda, Arch::Booth] {
        push_int(&mut v, format!("mul8 {}", a.name()), &["mul8"], Kind::Mul, a, 8, true, None)?;
    }
    for a in [Arch::Restoring, Arch::NonRestoring] {
        push_int(&mut v, format!("div8 {}", a.name()), &["div8"], Kind::Div, a, 8, false, None)?;
    }
    let ks = Some(Arch::KoggeStone);
    push_int(&mut v, "mul8 dadda+ks".into(), &["wide"], Kind::Mul, Arch::Dadda, 8, true, ks)?;
    push_int(&mut v, "add32 kogge-stone".into(), &["wide"], Kind::Add, Arch::KoggeStone, 32, true, None)?;
    push_int(&mut v, "mul32 dadda+ks".into(), &["wide"], Kind::Mul, Arch::Dadda, 32, true, ks)?;
    for (k, name, cli) in [
        (FloatKind::Add, "fadd32", "--kind fadd --format binary32"),
        (FloatKind::Mul, "fmul32", "--kind fmul --format binary32"),
    ] {
        if !keep(name) {
            continue;
        }
        let n = crate::float::generate(&FloatSpec::new(k, Format::Binary32))
            .map_err(|source| StudyError::GenerateFloat { unit: name.to_string(), source: Box::new(source) })?;
        v.push(build(lib, name, &["wide"], Num::F32, cli, n)?);
    }
    Ok(v)
}

/// The operand value `x` in unit `u`'s representation (round, clamp; unsigned units take |x|).
fn encode(num: Num, x: f64) -> u128 {
    match num {
        Num::F32 => (x as f32).to_bits() as u128,
        Num::Int { width, signed } => {
            let r = x.round();
            if signed {
                let hi = (1i128 << (width - 1)) - 1;
                let v = (r.clamp(-(hi as f64) - 1.0, hi as f64)) as i128;
                (v as u128) & mask(width)
            } else {
                let v = r.abs().min(mask(width) as f64) as u128;
                v & mask(width)
            }
        }
    }
}

/// Operations (operand-major rows of `widths.len()` values) with only the two
/// data operands set.
fn op(widths: &[u32], a: u128, b: u128) -> Vec<u128> {
    let mut v = vec![0u128; widths.len()];
    v[0] = a & mask(widths[0]);
    v[1] = b & mask(widths[1]);
    v
}

/// Per-operation counts of `values` (operation-major) on `u`.
fn simulate(u: &Unit, values: Vec<u128>) -> Vec<OpCounts> {
    let s = Recorded::new(u.widths.len(), values);
    simulate_stream(u, &s)
}

fn simulate_stream(u: &Unit, s: &dyn Stream) -> Vec<OpCounts> {
    let opts = Options { per_op_stats: false, record_per_op: true, ..Options::default() };
    u.hw.count(s, &opts).per_op.unwrap_or_default()
}

/// Input Hamming distance of every operation against the previous one (0 before the first).
fn hamming(values: &[u128], k: usize) -> Vec<u32> {
    let mut prev = vec![0u128; k];
    values
        .chunks_exact(k)
        .map(|o| {
            let d = o.iter().zip(&prev).map(|(a, b)| (a ^ b).count_ones()).sum();
            prev.copy_from_slice(o);
            d
        })
        .collect()
}

/// Pearson r, 0 when undefined (fewer than two points, a constant series).
fn r(x: &[f64], y: &[f64]) -> f64 {
    pearson(x, y).unwrap_or(0.0)
}

/// Least-squares slope of y on x.
fn slope(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len() as f64;
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx
    }
}

/// One point of a swept curve: the parameter and the per-op TOs there.
#[derive(Serialize, Debug, Clone)]
pub struct Point {
    /// The swept parameter.
    pub x: f64,
    /// Operations.
    pub ops: usize,
    /// Mean switching TOs per operation.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 95th percentile.
    pub p95: f64,
}

impl Point {
    fn of(x: f64, tos: &[f64]) -> Point {
        let s = Summary::of(tos);
        Point { x, ops: s.n, mean: s.mean, std: s.std, p5: s.p5, p95: s.p95 }
    }
}

/// Everything measured on one unit.
#[derive(Serialize, Debug)]
pub struct UnitResult {
    /// Unit name.
    pub name: String,
    /// `tosim unit sim` arguments of the same unit.
    pub cli: String,
    /// Representation of the data operands.
    pub num: Num,
    /// Transistors.
    pub transistors: u64,
    /// Bits of the two data operands.
    pub data_bits: u32,
    /// Uniform stream: per-op switching TOs summary.
    pub mean: f64,
    /// Standard deviation (uniform stream).
    pub std: f64,
    /// Coefficient of variation (uniform stream).
    pub cv: f64,
    /// Minimum (uniform stream).
    pub min: f64,
    /// 5th percentile (uniform stream).
    pub p5: f64,
    /// Median (uniform stream).
    pub median: f64,
    /// 95th percentile (uniform stream).
    pub p95: f64,
    /// Maximum (uniform stream).
    pub max: f64,
    /// max / min (uniform stream).
    pub max_over_min: f64,
    /// p95 / p5 (uniform stream).
    pub p95_over_p5: f64,
    /// Pearson r of per-op TOs and input Hamming distance (uniform stream).
    pub r_hamming: f64,
    /// Least-squares TOs per flipped operand bit (flips stream).
    pub tos_per_flipped_bit: f64,
    /// Pearson r of TOs and k over the flips stream.
    pub r_flips: f64,
    /// TOs against the number of flipped operand bits.
    pub flips: Vec<Point>,
    /// TOs against σ of Gaussian operands.
    pub sigma: Vec<Point>,
    /// Positive operands of m significant bits.
    pub magnitude: Vec<Point>,
    /// Operands of m significant bits with a random sign (signed units).
    pub magnitude_signed: Vec<Point>,
    /// TOs against the zero fraction of Gaussian operands.
    pub sparsity: Vec<Point>,
    /// CV of per-op TOs for Gaussian operands with σ = 2^(n/2) (int) or 1 (fp32).
    pub cv_gaussian: f64,
    /// Per-op switching TOs of the uniform stream.
    #[serde(skip)]
    pub uniform_tos: Vec<f64>,
    /// Per-op input Hamming distance of the uniform stream.
    #[serde(skip)]
    pub uniform_hd: Vec<f64>,
    /// The uniform stream's operations (operation-major, every input bus).
    #[serde(skip)]
    pub uniform_values: Vec<u128>,
    /// The uniform stream's counts per operation.
    #[serde(skip)]
    pub uniform_counts: Vec<OpCounts>,
}

impl UnitResult {
    /// Writes every operation of the uniform stream of unit `u` as CSV
    /// (operands, Hamming distance, switching TOs, net toggles).
    pub fn write_data(&self, u: &Unit, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        let k = u.widths.len();
        writeln!(w, "op,switching_tos,net_toggles,hamming_distance,{}", u.buses.join(","))?;
        for (i, (c, h)) in self.uniform_counts.iter().zip(&self.uniform_hd).enumerate() {
            let o: Vec<String> = self.uniform_values[i * k..(i + 1) * k].iter().map(|v| v.to_string()).collect();
            writeln!(w, "{i},{},{},{h},{}", c.switching_tos, c.net_toggles, o.join(","))?;
        }
        Ok(())
    }
}

/// Runs every stream of the study on `u`: `ops` uniform operations (and
/// streams scaled to it), all seeded with `seed`.
pub fn study_unit(u: &Unit, ops: u64, seed: u64) -> UnitResult {
    let k = u.widths.len();
    // Uniform: the very stream `tosim unit sim --stream random` feeds (for
    // float units: uniform bit patterns without NaNs, tosim-table's FloatDist::Uniform).
    let vals: Vec<u128> = match u.num {
        Num::Int { .. } => {
            let g = Generated::uniform(&u.widths, ops, seed);
            let mut v = vec![0u128; ops as usize * k];
            g.fill(0, &mut v);
            v
        }
        Num::F32 => FloatDist::Uniform.operands(Format::Binary32, k, ops as usize, seed).concat(),
    };
    let counts = simulate(u, vals.clone());
    let hd = hamming(&vals, k);
    let tos: Vec<f64> = counts.iter().map(|c| c.switching_tos as f64).collect();
    let hdf: Vec<f64> = hd.iter().map(|&h| h as f64).collect();
    let s = Summary::of(&tos);

    // Flips: segments of m+1 operations; the first of a segment is uniform
    // random (not counted), each further one flips exactly k data bits.
    let d = u.data_bits();
    let step = d.div_ceil(32).max(1);
    let ks: Vec<u32> = (0..=d).step_by(step as usize).collect();
    let m = (ops as usize / ks.len()).max(8);
    let mut rng = Rng::new(seed, 1);
    let mut values = Vec::new();
    let (w0, w1) = (u.widths[0], u.widths[1]);
    let mut pos: Vec<u32> = (0..d).collect();
    for &kk in &ks {
        let (mut a, mut b) = (rng.next() as u128 | (rng.next() as u128) << 64, rng.next() as u128);
        a &= mask(w0);
        b = (b | (rng.next() as u128) << 64) & mask(w1);
        values.extend(op(&u.widths, a, b));
        for _ in 0..m {
            // Partial Fisher–Yates: kk distinct bit positions.
            for j in 0..kk as usize {
                let t = j + rng.below((d as usize - j) as u64) as usize;
                pos.swap(j, t);
                let p = pos[j];
                if p < w0 {
                    a ^= 1 << p;
                } else {
                    b ^= 1 << (p - w0);
                }
            }
            values.extend(op(&u.widths, a, b));
        }
    }
    let c = simulate(u, values);
    let mut flips = Vec::new();
    let (mut fx, mut fy) = (Vec::new(), Vec::new());
    for (i, &kk) in ks.iter().enumerate() {
        let seg: Vec<f64> = c[i * (m + 1) + 1..(i + 1) * (m + 1)].iter().map(|c| c.switching_tos as f64).collect();
        fx.extend(std::iter::repeat(kk as f64).take(seg.len()));
        fy.extend_from_slice(&seg);
        flips.push(Point::of(kk as f64, &seg));
    }

    // σ sweep.
    let sigmas: Vec<f64> = match u.num {
        Num::Int { width, signed } => {
            let top = if signed { width - 1 } else { width };
            let st = (top / 16).max(1);
            (0..=top).step_by(st as usize).map(|j| 2f64.powi(j as i32)).collect()
        }
        Num::F32 => (-8..=30).step_by(2).map(|j| 2f64.powi(j)).collect(),
    };
    let per = (ops as usize / 4).max(64);
    let gauss = |sigma: f64, zeros: f64, stream: u64| {
        let mut r = Rng::new(seed, stream);
        let mut v = Vec::with_capacity(per * k);
        for _ in 0..per {
            let mut x = [0u128; 2];
            for xi in &mut x {
                let z = r.normal();
                let zero = r.unit() < zeros;
                *xi = if zero { 0 } else { encode(u.num, sigma * z) };
            }
            v.extend(op(&u.widths, x[0], x[1]));
        }
        v
    };
    let mut sigma = Vec::new();
    for (j, &sg) in sigmas.iter().enumerate() {
        let c = simulate(u, gauss(sg, 0.0, 100 + j as u64));
        let t: Vec<f64> = c.iter().map(|c| c.switching_tos as f64).collect();
        sigma.push(Point::of(sg, &t));
    }
    let mid_sigma = match u.num {
        Num::Int { width, .. } => 2f64.powi(width as i32 / 2),
        Num::F32 => 1.0,
    };
    let cg: Vec<f64> = simulate(u, gauss(mid_sigma, 0.0, 99)).iter().map(|c| c.switching_tos as f64).collect();
    let cv_gaussian = Summary::of(&cg).cv();

    // Magnitude: both operands have exactly m significant bits, positive, and
    // (signed units) with a random sign.
    let mut magnitude = Vec::new();
    let mut magnitude_signed = Vec::new();
    if let Num::Int { width, signed } = u.num {
        let top = if signed { width - 1 } else { width };
        let st = (top / 16).max(1);
        for (with_sign, out) in [(false, &mut magnitude), (true, &mut magnitude_signed)] {
            if with_sign && !signed {
                continue;
            }
            for mb in (0..=top).step_by(st as usize) {
                let mut r = Rng::new(seed, 200 + mb as u64 + if with_sign { 1000 } else { 0 });
                let mut v = Vec::with_capacity(per * k);
                for _ in 0..per {
                    let mut x = [0u128; 2];
                    for xi in &mut x {
                        let mag: i128 = if mb == 0 {
                            0
                        } else {
                            let lo = 1i128 << (mb - 1);
                            lo + (r.next() as i128 & (lo - 1))
                        };
                        let neg = with_sign && r.next() & 1 == 1;
                        *xi = (if neg { -mag } else { mag }) as u128 & mask(width);
                    }
                    v.extend(op(&u.widths, x[0], x[1]));
                }
                let c = simulate(u, v);
                let t: Vec<f64> = c.iter().map(|c| c.switching_tos as f64).collect();
                out.push(Point::of(mb as f64, &t));
            }
        }
    }

    // Sparsity: Gaussian operands (σ as for cv_gaussian), each zero with probability p.
    let mut sparsity = Vec::new();
    for i in 0..=10 {
        let p = i as f64 / 10.0;
        let c = simulate(u, gauss(mid_sigma, p, 300 + i));
        let t: Vec<f64> = c.iter().map(|c| c.switching_tos as f64).collect();
        sparsity.push(Point::of(p, &t));
    }

    UnitResult {
        name: u.name.clone(),
        cli: u.cli.clone(),
        num: u.num,
        transistors: u.hw.transistors(),
        data_bits: d,
        mean: s.mean,
        std: s.std,
        cv: s.cv(),
        min: s.min,
        p5: s.p5,
        median: s.median,
        p95: s.p95,
        max: s.max,
        max_over_min: s.max_over_min(),
        p95_over_p5: if s.p5 > 0.0 { s.p95 / s.p5 } else { f64::INFINITY },
        r_hamming: r(&hdf, &tos),
        tos_per_flipped_bit: slope(&fx, &fy),
        r_flips: r(&fx, &fy),
        flips,
        sigma,
        magnitude,
        magnitude_signed,
        sparsity,
        cv_gaussian,
        uniform_tos: tos,
        uniform_hd: hdf,
        uniform_values: vals,
        uniform_counts: counts,
    }
}

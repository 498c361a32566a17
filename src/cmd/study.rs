//! `tosim study activity`: the operand-dependence study of docs/activity.md.
//!
//! Every unit is generated, bound to the textbook cells and simulated with the
//! zero-delay engine on five kinds of operand streams; the per-operation
//! switching TOs are related to what changed at the inputs:
//!
//! - `uniform`: uniform random operands, exactly the stream of
//!   `tosim unit sim --stream random --count N --seed S` (all input buses;
//!   float units: uniform bit patterns without NaNs);
//! - `flips`: segments in which every operation flips exactly k random bits
//!   of the two data operands of the previous operation (k = 0 … all bits);
//! - `sigma`: Gaussian operands, round(σ·z), for σ = 2^j;
//! - `magnitude`: integer operands of exactly m significant bits, positive
//!   and with a random sign;
//! - `sparsity`: Gaussian operands each replaced by zero with probability p.
//!
//! Buses after the two data operands (the adders' carry-in) are held at 0
//! in the generated streams other than `uniform`. A unit keeps its state from one
//! operation to the next and starts from all inputs 0, so the input Hamming
//! distance of operation i is taken against operation i−1 (against 0 for the
//! first).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use tosim_table::FloatDist;
use tosim_units::float::{FloatKind, FloatSpec, Format};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_plot::{BoxPlot, Histogram, Plot, Summary};
use tosim_sim::{run_zero_delay, splitmix64_at, Generated, OpCounts, Options, Program, Recorded, Stream};
use tosim_units::mask;
use tosim_units::{Arch, Kind, UnitSpec};

/// Studies.
#[derive(clap::Subcommand, Debug)]
pub enum StudyCmd {
    /// Switching TOs against input Hamming distance, operand magnitude, σ and
    /// sparsity for adders, multipliers, dividers, int8/int32/fp32; variation
    /// per unit and per network layer. Writes the figures of docs/activity.md.
    Activity(ActivityArgs),
}

/// Arguments of `tosim study activity`.
#[derive(clap::Args, Debug)]
pub struct ActivityArgs {
    /// Operations per stream (the uniform stream; the other streams scale with it).
    #[arg(long, default_value_t = 20_000)]
    pub ops: u64,
    /// Seed of every generated stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for the figures (activity-*.svg) and summary CSVs.
    #[arg(long, default_value = "docs/figures")]
    pub out: PathBuf,
    /// Also write one CSV per unit with every operation of the uniform stream
    /// (operands, Hamming distance, switching TOs, net toggles) into this directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Samples of the default digits network for the per-layer variation
    /// (0 skips the network; run from the repository root).
    #[arg(long, default_value_t = 450)]
    pub net_samples: usize,
    /// Write every number of the study as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Only units whose name contains this text (e.g. `mul8`).
    #[arg(long)]
    pub only: Option<String>,
}

/// Runs a study.
pub fn run(c: StudyCmd) -> Result<()> {
    match c {
        StudyCmd::Activity(a) => activity(a),
    }
}

/// Number representation of a unit's two data operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Num {
    /// n-bit integers, two's complement when signed.
    Int { width: u32, signed: bool },
    /// IEEE binary32.
    F32,
}

/// A unit in the study.
struct Unit {
    name: String,
    /// Figure group: add8, mul8, div8, wide.
    groups: &'static [&'static str],
    num: Num,
    /// `tosim unit sim` arguments that build the same unit.
    cli: String,
    widths: Vec<u32>,
    buses: Vec<String>,
    program: Program,
}

impl Unit {
    fn data_bits(&self) -> u32 {
        self.widths[0] + self.widths[1]
    }
}

fn build(lib: &Library, name: &str, groups: &'static [&'static str], num: Num, cli: &str, n: Netlist) -> Result<Unit> {
    let models = lib.bind(&n).with_context(|| format!("binding {name}"))?;
    let program = Program::compile(&n, &models).with_context(|| format!("compiling {name}"))?;
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    if widths.len() < 2 {
        bail!("{name}: the study needs two data operands");
    }
    let buses = n.inputs().iter().map(|b| b.name.to_string()).collect();
    Ok(Unit { name: name.into(), groups, num, cli: cli.into(), widths, buses, program })
}

fn units(lib: &Library, only: Option<&str>) -> Result<Vec<Unit>> {
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
     -> Result<()> {
        if !keep(&name) {
            return Ok(());
        }
        let (s, cli) = int(kind, arch, w, signed, fa);
        let n = tosim_units::generate(&s).with_context(|| format!("generating {name}"))?;
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
        let n = tosim_units::float::generate(&FloatSpec::new(k, Format::Binary32))
            .with_context(|| format!("generating {name}"))?;
        v.push(build(lib, name, &["wide"], Num::F32, cli, n)?);
    }
    Ok(v)
}

/// Deterministic random numbers: output `i` of SplitMix64 seeded with `seed`.
struct Rng {
    seed: u64,
    i: u64,
}

impl Rng {
    fn new(seed: u64, stream: u64) -> Rng {
        Rng { seed: seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03), i: 0 }
    }
    fn next(&mut self) -> u64 {
        self.i += 1;
        splitmix64_at(self.seed, self.i - 1)
    }
    fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: bias below 2^-64 · n, irrelevant here.
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Standard normal (Box–Muller, cosine branch).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
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
    run_zero_delay(&u.program, s, &opts).per_op.unwrap_or_default()
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

fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len()) as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mx = x.iter().sum::<f64>() / n;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx == 0.0 || syy == 0.0 {
        0.0
    } else {
        sxy / (sxx * syy).sqrt()
    }
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
struct Point {
    x: f64,
    ops: usize,
    mean: f64,
    std: f64,
    p5: f64,
    p95: f64,
}

impl Point {
    fn of(x: f64, tos: &[f64]) -> Point {
        let s = Summary::of(tos);
        Point { x, ops: s.n, mean: s.mean, std: s.std, p5: s.p5, p95: s.p95 }
    }
}

/// Everything measured on one unit.
#[derive(Serialize, Debug)]
struct UnitResult {
    name: String,
    cli: String,
    num: Num,
    transistors: u64,
    data_bits: u32,
    /// Uniform stream: per-op switching TOs summary.
    mean: f64,
    std: f64,
    cv: f64,
    min: f64,
    p5: f64,
    median: f64,
    p95: f64,
    max: f64,
    max_over_min: f64,
    p95_over_p5: f64,
    /// Pearson r of per-op TOs and input Hamming distance (uniform stream).
    r_hamming: f64,
    /// Least-squares TOs per flipped operand bit (flips stream).
    tos_per_flipped_bit: f64,
    /// Pearson r of TOs and k over the flips stream.
    r_flips: f64,
    flips: Vec<Point>,
    sigma: Vec<Point>,
    /// Positive operands of m significant bits.
    magnitude: Vec<Point>,
    /// Operands of m significant bits with a random sign (signed units).
    magnitude_signed: Vec<Point>,
    sparsity: Vec<Point>,
    /// CV of per-op TOs for Gaussian operands with σ = 2^(n/2) (int) or 1 (fp32).
    cv_gaussian: f64,
    #[serde(skip)]
    uniform_tos: Vec<f64>,
    #[serde(skip)]
    uniform_hd: Vec<f64>,
}

fn study_unit(u: &Unit, ops: u64, seed: u64, data: Option<&Path>) -> Result<UnitResult> {
    let k = u.widths.len();
    // Uniform: the very stream `tosim unit sim --stream random` feeds (for
    // float units: uniform bit patterns without NaNs, tosim-float's FloatDist::Uniform).
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
    if let Some(dir) = data {
        let path = dir.join(format!("{}.csv", u.name.replace([' ', '+'], "-")));
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        );
        writeln!(w, "op,switching_tos,net_toggles,hamming_distance,{}", u.buses.join(","))?;
        for (i, (c, h)) in counts.iter().zip(&hd).enumerate() {
            let o: Vec<String> = vals[i * k..(i + 1) * k].iter().map(|v| v.to_string()).collect();
            writeln!(w, "{i},{},{},{h},{}", c.switching_tos, c.net_toggles, o.join(","))?;
        }
        w.flush()?;
    }
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

    Ok(UnitResult {
        name: u.name.clone(),
        cli: u.cli.clone(),
        num: u.num,
        transistors: u.program.transistors(),
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
        r_hamming: pearson(&hdf, &tos),
        tos_per_flipped_bit: slope(&fx, &fy),
        r_flips: pearson(&fx, &fy),
        flips,
        sigma,
        magnitude,
        magnitude_signed,
        sparsity,
        cv_gaussian,
        uniform_tos: tos,
        uniform_hd: hdf,
    })
}

/// Per-layer variation of the default network.
#[derive(Serialize, Debug)]
struct LayerResult {
    layer: String,
    neurons: usize,
    samples: usize,
    /// Switching TOs over all samples (equals `tosim net`'s layer figure).
    switching_tos: u64,
    mean: f64,
    cv: f64,
    min: f64,
    max: f64,
    max_over_min: f64,
    /// Median over neurons of each neuron's CV across samples.
    median_neuron_cv: f64,
    #[serde(skip)]
    per_sample: Vec<f64>,
}

fn network(samples: usize) -> Result<Network> {
    use tosim_nn::{load_onnx, DataSet, GateNet, IntFormat, Profile, QuantNet};
    let model = Path::new("circuits/models/digits_mlp.onnx");
    let data = Path::new("circuits/models/digits_test_x.npy");
    if !model.exists() || !data.exists() {
        bail!(
            "{} or {} not found: run from the repository root or use --net-samples 0",
            model.display(),
            data.display()
        );
    }
    let net = load_onnx(model)?;
    let ds = DataSet::load(&net, data, None)?;
    let n = samples.min(ds.samples);
    // Scales are calibrated on the whole data file, as `tosim net` does.
    let q = QuantNet::new(&net, IntFormat::Int8, &ds.x)?;
    let xq: Vec<Vec<i64>> = (0..n).map(|i| q.quantise_input(ds.sample(i))).collect();
    let g = GateNet::int(q, Profile::default_profile()?, tosim_nn::Mode::Zero)?;
    let runs = g.run(&xq, &|_, _, _| {})?.layers;
    let mut out = Vec::new();
    let mut total = vec![0f64; n];
    for r in &runs {
        let ps: Vec<f64> = r.per_sample().iter().map(|&v| v as f64).collect();
        total.iter_mut().zip(&ps).for_each(|(t, v)| *t += v);
        let mut ncv: Vec<f64> = r
            .neurons
            .iter()
            .map(|nr| Summary::of(&nr.per_sample.iter().map(|&v| v as f64).collect::<Vec<_>>()).cv())
            .collect();
        ncv.sort_by(f64::total_cmp);
        let s = Summary::of(&ps);
        out.push(LayerResult {
            layer: r.name.clone(),
            neurons: r.neurons.len(),
            samples: n,
            switching_tos: r.per_sample().iter().sum(),
            mean: s.mean,
            cv: s.cv(),
            min: s.min,
            max: s.max,
            max_over_min: s.max_over_min(),
            median_neuron_cv: Summary::of(&ncv).median,
            per_sample: ps,
        });
    }
    let s = Summary::of(&total);
    out.push(LayerResult {
        layer: "network".into(),
        neurons: out.iter().map(|l| l.neurons).sum(),
        samples: n,
        switching_tos: out.iter().map(|l| l.switching_tos).sum(),
        mean: s.mean,
        cv: s.cv(),
        min: s.min,
        max: s.max,
        max_over_min: s.max_over_min(),
        median_neuron_cv: f64::NAN,
        per_sample: total,
    });
    let ops = network_ops(&g, &xq, &runs);
    Ok(Network { layers: out, ops })
}

/// One unit role of one layer, operation by operation on the network's real operands.
#[derive(Serialize, Debug)]
struct OpsResult {
    layer: String,
    /// `multiplier` (the MAC multiplier) or `accumulator` (the MAC adder, bias step included).
    unit: String,
    ops: usize,
    /// Operations with at least one zero operand.
    zero_operand_fraction: f64,
    mean: f64,
    cv: f64,
    p5: f64,
    median: f64,
    p95: f64,
    min: f64,
    max: f64,
    #[serde(skip)]
    per_op: Vec<f64>,
}

/// Switching TOs per operation of every neuron's MAC multiplier and
/// accumulator, rebuilt from the operands the gate-level run feeds them (the
/// same order: per sample, (weight, input) for every input, then the bias
/// added), each neuron's units from reset, on the network's own compiled units.
fn network_ops(g: &tosim_nn::GateNet, xq: &[Vec<i64>], runs: &[tosim_nn::LayerRun]) -> Vec<OpsResult> {
    let Some(q) = g.quant() else { return Vec::new() };
    let f = q.format;
    let (b, acc_bits) = (f.bits(), f.acc_bits());
    let opts = Options { per_op_stats: false, record_per_op: true, ..Options::default() };
    let mut out = Vec::new();
    for (l, ql) in q.layers.iter().enumerate() {
        let Some((mul, accu)) = g.mac_units(l) else { continue };
        let inputs: Vec<Vec<i64>> =
            if l == 0 { xq.to_vec() } else { (0..xq.len()).map(|s| runs[l - 1].sample_outputs(s)).collect() };
        let d = &ql.dense;
        let acc_ports = accu.hw.operands();
        let (mut mul_tos, mut acc_tos) = (Vec::new(), Vec::new());
        let (mut mul_zero, mut acc_zero) = (0usize, 0usize);
        for o in 0..d.outputs {
            let w = d.row(o);
            let (mut mv, mut av) = (Vec::new(), Vec::new());
            for x in &inputs {
                let mut acc: u128 = 0;
                let mut add = |acc: &mut u128, p: u128, av: &mut Vec<u128>| {
                    av.extend([*acc, p]);
                    av.extend(std::iter::repeat(0).take(acc_ports - 2));
                    acc_zero += usize::from(*acc == 0 || p == 0);
                    *acc = (*acc + p) & mask(acc_bits);
                };
                for (&wi, &xi) in w.iter().zip(x) {
                    mv.extend([(wi as u128) & mask(b), (xi as u128) & mask(b)]);
                    mul_zero += usize::from(wi == 0 || xi == 0);
                    add(&mut acc, ((wi * xi) as u128) & mask(acc_bits), &mut av);
                }
                add(&mut acc, (d.bias[o] as u128) & mask(acc_bits), &mut av);
            }
            let run = |p: &Program, k: usize, v: Vec<u128>| {
                run_zero_delay(p, &Recorded::new(k, v), &opts).per_op.unwrap_or_default()
            };
            mul_tos.extend(run(mul.hw.program(), 2, mv).iter().map(|c| c.switching_tos as f64));
            acc_tos.extend(run(accu.hw.program(), acc_ports, av).iter().map(|c| c.switching_tos as f64));
        }
        for (unit, tos, zeros) in [("multiplier", mul_tos, mul_zero), ("accumulator", acc_tos, acc_zero)] {
            let s = Summary::of(&tos);
            out.push(OpsResult {
                layer: ql.name.clone(),
                unit: unit.into(),
                ops: s.n,
                zero_operand_fraction: zeros as f64 / s.n.max(1) as f64,
                mean: s.mean,
                cv: s.cv(),
                p5: s.p5,
                median: s.median,
                p95: s.p95,
                min: s.min,
                max: s.max,
                per_op: tos,
            });
        }
    }
    out
}

/// The network part of the study.
#[derive(Serialize, Debug, Default)]
struct Network {
    /// Per layer and in total, per sample.
    layers: Vec<LayerResult>,
    /// Per MAC operation, per layer.
    ops: Vec<OpsResult>,
}

/// The whole study, as written with --json.
#[derive(Serialize, Debug)]
struct Study {
    ops: u64,
    seed: u64,
    units: Vec<UnitResult>,
    network: Network,
    figures: Vec<String>,
}

fn in_group<'a>(units: &'a [Unit], res: &'a [UnitResult], g: &str) -> Vec<(&'a Unit, &'a UnitResult)> {
    units.iter().zip(res).filter(|(u, _)| u.groups.contains(&g)).collect()
}

/// A mean line and its p5–p95 band.
type Curve = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

fn curve(p: &[Point]) -> Curve {
    (p.iter().map(|p| (p.x, p.mean)).collect(), p.iter().map(|p| (p.x, p.p5, p.p95)).collect())
}

fn figures(units: &[Unit], res: &[UnitResult], net: &Network, a: &ActivityArgs) -> Result<Vec<String>> {
    let mut figs: Vec<(String, String)> = Vec::new();
    let sub = format!("zero-delay, textbook cells, seed {}; line: mean, band: p5–p95", a.seed);
    for (g, what) in [
        ("add8", "8-bit adders: ripple vs prefix"),
        ("mul8", "8×8 signed multipliers"),
        ("div8", "8-bit unsigned dividers"),
    ] {
        let sel = in_group(units, res, g);
        if sel.is_empty() {
            continue;
        }
        let mut p = Plot::new(
            &format!("{what}: switching TOs against input Hamming distance"),
            "operand bits flipped since the previous operation",
            "switching TOs per operation",
        )
        .line()
        .subtitle(&sub);
        for (_, r) in &sel {
            let (l, b) = curve(&r.flips);
            p = p.series(&r.name, &l).band(&b);
        }
        figs.push((format!("activity-hamming-{g}.svg"), p.to_svg()));

        let mut p = Plot::new(
            &format!("{what}: switching TOs against operand magnitude"),
            "significant bits of both operands",
            "mean switching TOs per operation",
        )
        .line()
        .subtitle(&format!(
            "zero-delay, textbook cells, seed {}; positive operands, and (±) with a random sign",
            a.seed
        ));
        for (_, r) in &sel {
            p = p.series(&r.name, &curve(&r.magnitude).0);
        }
        for (_, r) in &sel {
            if !r.magnitude_signed.is_empty() {
                p = p.series(&format!("{} ±", r.name), &curve(&r.magnitude_signed).0);
            }
        }
        figs.push((format!("activity-magnitude-{g}.svg"), p.to_svg()));

        let mut p = Plot::new(
            &format!("{what}: switching TOs for Gaussian operands"),
            "σ of round(σ·z) operands",
            "mean switching TOs per operation",
        )
        .line()
        .log_x()
        .subtitle(&format!("zero-delay, textbook cells, seed {}; mean per operation", a.seed));
        for (_, r) in &sel {
            p = p.series(&r.name, &curve(&r.sigma).0);
        }
        figs.push((format!("activity-sigma-{g}.svg"), p.to_svg()));

        let mut h =
            Histogram::new(&format!("{what}: switching TOs per operation, uniform random operands"), "switching TOs")
                .fraction()
                .bins(50)
                .subtitle(&format!("{} operations per unit, seed {}", a.ops, a.seed));
        for (_, r) in &sel {
            h = h.series(&r.name, &r.uniform_tos);
        }
        figs.push((format!("activity-hist-{g}.svg"), h.to_svg()));
    }
    let sel = in_group(units, res, "mul8");
    if !sel.is_empty() {
        let mut p = Plot::new(
            "8×8 multipliers, uniform random operands: each operation",
            "input Hamming distance to the previous operation",
            "switching TOs",
        )
        .subtitle(&format!(
            "first {} operations of each stream, seed {}; units side by side at each distance (offset ±0.3)",
            a.ops.min(500),
            a.seed
        ));
        let mid = (sel.len() as f64 - 1.0) / 2.0;
        for (i, (_, r)) in sel.iter().enumerate() {
            let dx = (i as f64 - mid) * 0.6 / sel.len().max(1) as f64;
            let pts: Vec<(f64, f64)> =
                r.uniform_hd.iter().zip(&r.uniform_tos).take(500).map(|(&x, &y)| (x + dx, y)).collect();
            p = p.series(&r.name, &pts);
        }
        figs.push(("activity-scatter-mul8.svg".into(), p.to_svg()));
    }
    let wide = in_group(units, res, "wide");
    if !wide.is_empty() {
        let mut p = Plot::new(
            "int8, int32 and fp32 add and multiply: switching TOs against input Hamming distance",
            "fraction of operand bits flipped since the previous operation",
            "switching TOs per operation",
        )
        .line()
        .log_y()
        .subtitle(&sub);
        for (_, r) in &wide {
            let d = r.data_bits as f64;
            let l: Vec<(f64, f64)> = r.flips.iter().filter(|p| p.x > 0.0).map(|p| (p.x / d, p.mean)).collect();
            let b: Vec<(f64, f64, f64)> =
                r.flips.iter().filter(|p| p.x > 0.0).map(|p| (p.x / d, p.p5.max(1.0), p.p95)).collect();
            p = p.series(&r.name, &l).band(&b);
        }
        figs.push(("activity-hamming-wide.svg".into(), p.to_svg()));
        let mut p = Plot::new(
            "int8, int32 and fp32 add and multiply: Gaussian operands",
            "σ of the operands (integers: round(σ·z), clamped)",
            "mean switching TOs per operation",
        )
        .line()
        .log_x()
        .log_y()
        .subtitle(&format!("zero-delay, textbook cells, seed {}; mean per operation", a.seed));
        for (_, r) in &wide {
            p = p.series(&r.name, &curve(&r.sigma).0);
        }
        figs.push(("activity-sigma-wide.svg".into(), p.to_svg()));
    }
    // Sparsity, relative to dense operands.
    for (name, gs) in [("int8", &["add8", "mul8", "div8"][..]), ("wide", &["wide"][..])] {
        let sel: Vec<&UnitResult> =
            units.iter().zip(res).filter(|(u, _)| gs.iter().any(|g| u.groups.contains(g))).map(|(_, r)| r).collect();
        if sel.is_empty() {
            continue;
        }
        let mut p = Plot::new(
            &format!("Sparsity ({name}): switching TOs relative to dense Gaussian operands"),
            "fraction of operands that are zero",
            "mean switching TOs / mean at zero fraction 0",
        )
        .line()
        .subtitle(
            "Gaussian operands (σ = 2^(n/2) for n-bit integers, 1 for fp32), each zero with the given probability",
        );
        let mut seen = Vec::new();
        for r in sel {
            if seen.contains(&r.name) {
                continue;
            }
            seen.push(r.name.clone());
            let base = r.sparsity.first().map_or(1.0, |p| p.mean.max(f64::MIN_POSITIVE));
            let l: Vec<(f64, f64)> = r.sparsity.iter().map(|p| (p.x, p.mean / base)).collect();
            p = p.series(&r.name, &l);
        }
        figs.push((format!("activity-sparsity-{name}.svg"), p.to_svg()));
    }
    // Spread per unit.
    if !res.is_empty() {
        let mut b = BoxPlot::new(
            "Per-operation switching TOs relative to the unit's mean (uniform random operands)",
            "switching TOs / mean",
        )
        .subtitle("box: quartiles, bar: median, whiskers: p5–p95, dots: min and max, diamond: mean (1)");
        for r in res {
            let rel: Vec<f64> = r.uniform_tos.iter().map(|t| t / r.mean.max(f64::MIN_POSITIVE)).collect();
            b = b.group(&r.name, &rel);
        }
        figs.push(("activity-spread.svg".into(), b.size(820.0, 460.0).to_svg()));
    }
    if !net.layers.is_empty() {
        let mut b = BoxPlot::new(
            "Digits MLP (int8): switching TOs per sample, relative to the layer's mean",
            "switching TOs of the sample / mean over samples",
        )
        .subtitle(&format!(
            "{} test samples; box: quartiles, whiskers: p5–p95, dots: min and max",
            net.layers[0].samples
        ));
        for l in &net.layers {
            let rel: Vec<f64> = l.per_sample.iter().map(|t| t / l.mean.max(f64::MIN_POSITIVE)).collect();
            b = b.group(&l.layer, &rel);
        }
        figs.push(("activity-network.svg".into(), b.to_svg()));
    }
    if !net.ops.is_empty() {
        let mut h = Histogram::new(
            "MAC multiplier (signed 8×8 Dadda + Kogge-Stone): switching TOs per operation",
            "switching TOs",
        )
        .fraction()
        .bins(40)
        .subtitle("each neuron's multiplier on the digits network's operands, against uniform random operands");
        for o in net.ops.iter().filter(|o| o.unit == "multiplier") {
            h = h.series(&format!("{} (digits)", o.layer), &o.per_op);
        }
        if let Some(r) = res.iter().find(|r| r.name == "mul8 dadda+ks") {
            h = h.series("uniform random", &r.uniform_tos);
        }
        figs.push(("activity-network-ops.svg".into(), h.to_svg()));
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut names = Vec::new();
    for (name, svg) in figs {
        let p = a.out.join(&name);
        std::fs::write(&p, svg).with_context(|| format!("writing {}", p.display()))?;
        names.push(name);
    }
    Ok(names)
}

fn f(v: f64, d: usize) -> String {
    if v.is_infinite() {
        "∞".into()
    } else if v.is_nan() {
        "–".into()
    } else {
        format!("{v:.d$}")
    }
}

fn tables(res: &[UnitResult], net: &Network) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "| unit | transistors | switching TOs/op | switching/static | CV | p5 | p95 | p95/p5 | min | max | max/min | r(TOs, HD) | TOs per flipped bit | CV Gaussian |"
    );
    let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
    for r in res {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} % | {} | {} | {} | {} | {} | {} | {} | {} | {} % |",
            r.name,
            r.transistors,
            f(r.mean, 1),
            f(r.mean / r.transistors as f64, 3),
            f(100.0 * r.cv, 1),
            r.p5,
            r.p95,
            f(r.p95_over_p5, 2),
            r.min,
            r.max,
            f(r.max_over_min, 1),
            f(r.r_hamming, 2),
            f(r.tos_per_flipped_bit, 1),
            f(100.0 * r.cv_gaussian, 1),
        );
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "| unit | σ small → large (mean TOs/op) | zero fraction 0.5 / 0.9 (relative to 0) |");
    let _ = writeln!(s, "|---|---|---|");
    for r in res {
        let sg: Vec<String> = r.sigma.iter().map(|p| f(p.mean, 0)).collect();
        let z = |x: f64| {
            let b = r.sparsity.first().map_or(1.0, |p| p.mean);
            r.sparsity.iter().find(|p| (p.x - x).abs() < 1e-9).map_or(f64::NAN, |p| p.mean / b)
        };
        let _ = writeln!(s, "| {} | {} | {} / {} |", r.name, sg.join(" "), f(z(0.5), 2), f(z(0.9), 2));
    }
    if !net.layers.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "| layer | neurons | samples | switching TOs | mean per sample | CV | min | max | max/min | median neuron CV |");
        let _ = writeln!(s, "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for l in &net.layers {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | {} % | {} | {} | {} | {} |",
                l.layer,
                l.neurons,
                l.samples,
                l.switching_tos,
                f(l.mean, 0),
                f(100.0 * l.cv, 2),
                l.min,
                l.max,
                f(l.max_over_min, 3),
                if l.median_neuron_cv.is_nan() {
                    "–".into()
                } else {
                    format!("{} %", f(100.0 * l.median_neuron_cv, 1))
                },
            );
        }
    }
    if !net.ops.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "| layer | unit | operations | with a zero operand | mean TOs/op | CV | p5 | median | p95 | min | max |"
        );
        let _ = writeln!(s, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for o in &net.ops {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} % | {} | {} % | {} | {} | {} | {} | {} |",
                o.layer,
                o.unit,
                o.ops,
                f(100.0 * o.zero_operand_fraction, 1),
                f(o.mean, 1),
                f(100.0 * o.cv, 1),
                o.p5,
                o.median,
                o.p95,
                o.min,
                o.max
            );
        }
    }
    s
}

fn write_csv(path: &Path, res: &[UnitResult]) -> Result<()> {
    let mut s = String::from(
        "unit,transistors,mean,std,cv,min,p5,median,p95,max,max_over_min,r_hamming,tos_per_flipped_bit,cv_gaussian\n",
    );
    for r in res {
        let _ = writeln!(
            s,
            "{},{},{:.3},{:.3},{:.5},{},{},{},{},{},{:.4},{:.4},{:.3},{:.5}",
            r.name,
            r.transistors,
            r.mean,
            r.std,
            r.cv,
            r.min,
            r.p5,
            r.median,
            r.p95,
            r.max,
            r.max_over_min,
            r.r_hamming,
            r.tos_per_flipped_bit,
            r.cv_gaussian
        );
    }
    std::fs::write(path, s).with_context(|| format!("writing {}", path.display()))
}

fn activity(a: ActivityArgs) -> Result<()> {
    if a.ops < 16 {
        bail!("--ops {}: at least 16 operations per stream", a.ops);
    }
    let t0 = std::time::Instant::now();
    let lib = Library::named("textbook", None).context("loading the textbook library")?;
    let units = units(&lib, a.only.as_deref())?;
    if units.is_empty() {
        bail!("--only {}: selects no unit", a.only.as_deref().unwrap_or(""));
    }
    if let Some(d) = &a.data {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    eprintln!("study: {} units built in {:.1} s", units.len(), t0.elapsed().as_secs_f64());
    let res: Vec<UnitResult> =
        units.iter().map(|u| study_unit(u, a.ops, a.seed, a.data.as_deref())).collect::<Result<_>>()?;
    eprintln!("study: units simulated at {:.1} s", t0.elapsed().as_secs_f64());
    let net = if a.net_samples > 0 { network(a.net_samples)? } else { Network::default() };
    eprintln!("study: network done at {:.1} s", t0.elapsed().as_secs_f64());
    let figs = figures(&units, &res, &net, &a)?;
    write_csv(&a.out.join("activity-units.csv"), &res)?;
    print!("{}", tables(&res, &net));
    println!();
    println!("figures in {}: {}", a.out.display(), figs.join(", "));
    if let Some(p) = &a.json {
        let st = Study { ops: a.ops, seed: a.seed, units: res, network: net, figures: figs };
        std::fs::write(p, serde_json::to_string_pretty(&st)? + "\n")
            .with_context(|| format!("writing {}", p.display()))?;
    }
    eprintln!("study: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

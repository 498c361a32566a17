//! Floating-point units (`tosim_units::float`): bit-exact agreement with Rust's `f32`
//! and with `f64` arithmetic rounded by the `half` crate, on a fixed edge-case
//! set, structured random pairs and, for 16-bit unary operations, every input.
//!
//! The random count per unit and format is `TOSIM_FLOAT_PAIRS` (default
//! 20,000); the documented large run is
//! `TOSIM_FLOAT_PAIRS=1000000 cargo test --release --test tests float::`.

use tosim_units::float::{generate, reference, FloatKind, FloatSpec, Format};
use tosim_units::Arch;

use crate::support;

fn pairs() -> usize {
    std::env::var("TOSIM_FLOAT_PAIRS").ok().and_then(|s| s.parse().ok()).unwrap_or(20_000)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        tosim_sim::splitmix64(self.0)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn bits(f: Format, s: u128, e: u128, m: u128) -> u128 {
    (s << (f.width() - 1)) | (e << f.mbits()) | (m & ((1 << f.mbits()) - 1))
}

/// Zeros, subnormals, the normal boundary, values around 1 and 2, max finite,
/// infinities, quiet and signalling NaNs, each with both signs.
fn edges(f: Format) -> Vec<u128> {
    let emax = (1u128 << f.ebits()) - 1;
    let mmax = (1u128 << f.mbits()) - 1;
    let bias = f.bias() as u128;
    let mut v = Vec::new();
    for s in 0..2 {
        for (e, m) in [
            (0, 0),
            (0, 1),
            (0, 2),
            (0, mmax),
            (0, mmax >> 1),
            (1, 0),
            (1, 1),
            (2, 0),
            (bias, 0),
            (bias, 1),
            (bias, mmax),
            (bias, 1 << (f.mbits() - 1)),
            (bias + 1, 0),
            (bias - 1, mmax),
            (emax - 1, mmax),
            (emax - 1, 0),
            (emax, 0),
            (emax, 1 << (f.mbits() - 1)),
            (emax, 1),
        ] {
            v.push(bits(f, s, e, m));
        }
    }
    v
}

/// Random operand pairs from several distributions: uniform bit patterns;
/// `b`'s exponent within ±3 of `a`'s (cancellation, carries, ties in
/// addition); few significant bits (exact ties and exact results); exponent
/// sums near the overflow and underflow boundaries (products and quotients
/// that overflow, underflow or become subnormal).
fn random_pairs(f: Format, n: usize, seed: u64) -> Vec<Vec<u128>> {
    let mut r = Rng(seed);
    let w = f.width();
    let emax = (1u64 << f.ebits()) - 1;
    let bias = f.bias() as i64;
    let mask = (1u128 << w) - 1;
    (0..n)
        .map(|i| {
            let a = r.next() as u128 & mask;
            let b = r.next() as u128 & mask;
            match i % 4 {
                0 => vec![a, b],
                1 => {
                    let ea = (a >> f.mbits()) as u64 & emax;
                    let eb = (ea as i64 + r.below(7) as i64 - 3).clamp(0, emax as i64) as u128;
                    vec![a, bits(f, b >> (w - 1), eb, b)]
                }
                2 => {
                    let keep = r.below(f.mbits() as u64 + 1) as u32;
                    let cut = |x: u128| x & !((1u128 << (f.mbits() - keep.min(f.mbits()))) - 1);
                    vec![cut(a), cut(b)]
                }
                _ => {
                    // ea + eb − bias within ±(p + 2) of 0 or of emax.
                    let ea = r.below(emax) as i64;
                    let p = f.mbits() as i64 + 1;
                    let target =
                        if r.below(2) == 0 { 0 } else { emax as i64 } + r.below(2 * p as u64 + 5) as i64 - p - 2;
                    let eb = (target + bias - ea).clamp(0, emax as i64 - 1);
                    vec![bits(f, a >> (w - 1), ea as u128, a), bits(f, b >> (w - 1), eb as u128, b)]
                }
            }
        })
        .collect()
}

/// Runs `ops` through `spec`'s netlist and compares with [`reference`];
/// also cross-checks the first operations with the scalar evaluator.
fn check(spec: &FloatSpec, ops: &[Vec<u128>]) {
    let n = generate(spec).unwrap();
    // The hardware unit (textbook cells): values from the bit-parallel engine.
    let lib = tosim_netlist::library::Library::textbook().unwrap();
    let u = tosim_sim::HwUnit::bind(n.clone(), &lib).unwrap();
    let outs = u.eval(&ops.concat());
    let got: Vec<Vec<u128>> = (0..ops.len()).map(|i| outs.get(i).unwrap().to_vec()).collect();
    // The scalar evaluator (the test oracle) on the first operations.
    for (op, g) in ops.iter().zip(&got).take(50) {
        assert_eq!(&tosim_netlist::eval(&n, op), g, "engine vs scalar evaluator on {op:x?}");
    }
    let mut bad = Vec::new();
    for (op, g) in ops.iter().zip(&got) {
        let want = reference(spec, op).unwrap();
        if &want != g {
            bad.push(format!("{op:x?}: got {g:x?}, want {want:x?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{}: {} of {} wrong, e.g. {:?}",
        spec.design_name(),
        bad.len(),
        ops.len(),
        &bad[..bad.len().min(8)]
    );
}

fn binary_ops(f: Format, seed: u64) -> Vec<Vec<u128>> {
    let e = edges(f);
    let mut ops: Vec<Vec<u128>> = e.iter().flat_map(|&a| e.iter().map(move |&b| vec![a, b])).collect();
    // Exact ties: 1 + half an ulp, 1 + 3 half-ulps, and their negatives, added to 1.
    let one = bits(f, 0, f.bias() as u128, 0);
    let half_ulp = bits(f, 0, f.bias() as u128 - f.mbits() as u128 - 1, 0);
    let three_half = bits(f, 0, f.bias() as u128 - f.mbits() as u128, 1 << (f.mbits() - 1));
    for x in [half_ulp, three_half] {
        ops.push(vec![one, x]);
        ops.push(vec![one | 1, x]);
        ops.push(vec![x, one]);
    }
    ops.extend(random_pairs(f, pairs(), seed));
    ops
}

#[test]
fn add_sub_mul_are_bit_exact() {
    for (i, &f) in Format::ALL.iter().enumerate() {
        let ops = binary_ops(f, 1 + i as u64);
        for k in [FloatKind::Add, FloatKind::Sub, FloatKind::Mul] {
            check(&FloatSpec::new(k, f), &ops);
        }
    }
}

#[test]
fn div_cmp_min_max_are_bit_exact() {
    for (i, &f) in Format::ALL.iter().enumerate() {
        let ops = binary_ops(f, 11 + i as u64);
        for k in [FloatKind::Div, FloatKind::Cmp, FloatKind::Min, FloatKind::Max] {
            check(&FloatSpec::new(k, f), &ops);
        }
    }
}

#[test]
fn inner_architectures_agree() {
    // Other adders, multipliers and roots: same results on a smaller set.
    let f = Format::Binary16;
    let ops = binary_ops(f, 21)[..3000].to_vec();
    for adder in [Arch::Ripple, Arch::BrentKung, Arch::CarrySelect] {
        for mul in [Arch::Array, Arch::Wallace, Arch::Booth] {
            check(&FloatSpec::new(FloatKind::Mul, f).with_adder(adder).with_multiplier(mul), &ops);
        }
        check(&FloatSpec::new(FloatKind::Add, f).with_adder(adder), &ops);
        check(&FloatSpec::new(FloatKind::Div, f).with_adder(adder), &ops);
    }
    let all: Vec<Vec<u128>> = (0..1u128 << 16).step_by(7).map(|x| vec![x]).collect();
    check(&FloatSpec::new(FloatKind::Sqrt, f).with_root(Arch::Restoring), &all);
}

#[test]
fn unary_16_bit_operations_are_exhaustively_exact() {
    let all: Vec<Vec<u128>> = (0..1u128 << 16).map(|x| vec![x]).collect();
    for f in [Format::Binary16, Format::Bfloat16] {
        check(&FloatSpec::new(FloatKind::Sqrt, f), &all);
        for w in [8, 16, 32] {
            check(&FloatSpec::new(FloatKind::FloatToInt, f).with_int_width(w), &all);
        }
        let i16s: Vec<Vec<u128>> = (0..1u128 << 16).map(|x| vec![x]).collect();
        check(&FloatSpec::new(FloatKind::IntToFloat, f).with_int_width(16), &i16s);
    }
}

#[test]
fn binary32_unary_and_conversions_are_exact() {
    let f = Format::Binary32;
    let mut r = Rng(31);
    let mut ops: Vec<Vec<u128>> = edges(f).into_iter().map(|x| vec![x]).collect();
    ops.extend((0..pairs()).map(|_| vec![r.next() as u128 & 0xffff_ffff]));
    // Values around the integer range limits and halfway points of ftoi.
    for k in 0..40u128 {
        for s in 0..2 {
            ops.push(vec![bits(f, s, 127 + k, 0)]);
            ops.push(vec![bits(f, s, 127 + k, (1 << 22) | 1)]);
            ops.push(vec![bits(f, s, 127 + k, 1 << 22)]);
            ops.push(vec![bits(f, s, 127 + k, (1 << 23) - 1)]);
        }
    }
    check(&FloatSpec::new(FloatKind::Sqrt, f), &ops);
    for w in [8, 16, 32] {
        check(&FloatSpec::new(FloatKind::FloatToInt, f).with_int_width(w), &ops);
    }
    let ints: Vec<Vec<u128>> = (0..pairs())
        .map(|i| {
            let x = r.next() as u128 & 0xffff_ffff;
            // Also short integers (exact) and long ones with ties.
            vec![if i % 3 == 0 { x >> r.below(32) } else { x }]
        })
        .chain(
            [0u128, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x0100_0001, 0x0100_0003, 0x7fff_ffc0].map(|x| vec![x]),
        )
        .collect();
    for g in Format::ALL {
        check(&FloatSpec::new(FloatKind::IntToFloat, *g).with_int_width(32), &ints);
    }
    let small: Vec<Vec<u128>> = (0..256u128).map(|x| vec![x]).collect();
    for g in Format::ALL {
        check(&FloatSpec::new(FloatKind::IntToFloat, *g).with_int_width(8), &small);
    }
    let i16s: Vec<Vec<u128>> = (0..1u128 << 16).map(|x| vec![x]).collect();
    check(&FloatSpec::new(FloatKind::IntToFloat, f).with_int_width(16), &i16s);
}

#[test]
fn hand_derived_cases() {
    // binary32: 1.0 = 0x3f800000, 2^-24 = 0x33800000 is half an ulp of 1.0:
    // 1 + 2^-24 is a tie between 1 and 1 + 2^-23 and rounds to the even 1.0;
    // (1 + 2^-23) + 2^-24 rounds up to the even 1 + 2^-22 = 0x3f800002.
    let add = generate(&FloatSpec::new(FloatKind::Add, Format::Binary32)).unwrap();
    assert_eq!(tosim_netlist::eval(&add, &[0x3f80_0000, 0x3380_0000]), vec![0x3f80_0000]);
    assert_eq!(tosim_netlist::eval(&add, &[0x3f80_0001, 0x3380_0000]), vec![0x3f80_0002]);
    // +0 + −0 = +0, −0 + −0 = −0, ∞ + −∞ = canonical NaN.
    assert_eq!(tosim_netlist::eval(&add, &[0, 0x8000_0000]), vec![0]);
    assert_eq!(tosim_netlist::eval(&add, &[0x8000_0000, 0x8000_0000]), vec![0x8000_0000]);
    assert_eq!(tosim_netlist::eval(&add, &[0x7f80_0000, 0xff80_0000]), vec![0x7fc0_0000]);
    // binary16: smallest subnormal 2^-24 = 0x0001 times 0.5 = 2^-25 is a tie
    // between 0 and 2^-24: rounds to even, +0; times 0.75 rounds up to 0x0001.
    let mul = generate(&FloatSpec::new(FloatKind::Mul, Format::Binary16)).unwrap();
    assert_eq!(tosim_netlist::eval(&mul, &[0x0001, 0x3800]), vec![0x0000]);
    assert_eq!(tosim_netlist::eval(&mul, &[0x0001, 0x3a00]), vec![0x0001]);
    // Max finite 65504 = 0x7bff times 2 overflows to +∞ = 0x7c00.
    assert_eq!(tosim_netlist::eval(&mul, &[0x7bff, 0x4000]), vec![0x7c00]);
}

#[test]
fn transistor_counts_bind_to_the_textbook_library() {
    let lib = tosim_netlist::library::Library::textbook().unwrap();
    let count = |spec: &FloatSpec| -> u64 {
        let n = generate(spec).unwrap();
        let models = lib.bind(&n).unwrap();
        n.cells().map(|c| models[n.cell_type_id(c).index()].transistors() as u64).sum()
    };
    // A binary32 unit has more transistors than its binary16 counterpart, and
    // fmul more than fadd at binary32 (a 24×24 multiplier array inside).
    let a16 = count(&FloatSpec::new(FloatKind::Add, Format::Binary16));
    let a32 = count(&FloatSpec::new(FloatKind::Add, Format::Binary32));
    let m32 = count(&FloatSpec::new(FloatKind::Mul, Format::Binary32));
    assert!(a16 < a32 && a32 < m32, "{a16} {a32} {m32}");
}

/// Inputs of a micro-program sweep: every 16-bit pattern that is not a NaN,
/// or for binary32 `n` random patterns plus a dense grid on [−20, 20].
fn sweep(f: Format, n: usize) -> Vec<Vec<u128>> {
    if f.width() == 16 {
        return (0..1u128 << 16).filter(|&x| !f.is_nan(x)).map(|x| vec![x]).collect();
    }
    let mut r = Rng(77);
    let mut v: Vec<Vec<u128>> =
        (0..n).map(|_| r.next() as u128 & 0xffff_ffff).filter(|&x| !f.is_nan(x)).map(|x| vec![x]).collect();
    v.extend((0..=n as i64).map(|i| vec![((i as f32 - n as f32 / 2.0) * 40.0 / n as f32).to_bits() as u128]));
    v
}

#[test]
fn micro_programs_match_their_reference_bit_for_bit() {
    use tosim_micro as micro;
    let mut runner = micro::GateRunner::new();
    for f in Format::ALL.iter().copied() {
        let ops = sweep(f, pairs() / 4);
        for p in [micro::exp(f), micro::sigmoid(f), micro::tanh(f), micro::silu(f), micro::gelu(f), micro::rsqrt(f)] {
            let got = runner.run(&p, &ops).unwrap();
            for (op, g) in ops.iter().zip(&got) {
                assert_eq!(g, &p.run_reference(op).unwrap(), "{} on {op:x?}", p.name);
            }
        }
        let mut r = Rng(5);
        let vecs: Vec<Vec<u128>> =
            (0..500).map(|_| (0..4).map(|_| f.round((r.below(4000) as f64 - 2000.0) / 100.0)).collect()).collect();
        let p = micro::softmax(f, 4);
        let got = runner.run(&p, &vecs).unwrap();
        for (op, g) in vecs.iter().zip(&got) {
            assert_eq!(g, &p.run_reference(op).unwrap(), "{} on {op:x?}", p.name);
        }
    }
}

#[test]
fn plain_rust_exp_is_the_same_algorithm() {
    use tosim_micro as micro;
    let p = micro::exp(Format::Binary32);
    for op in sweep(Format::Binary32, pairs()) {
        let x = f32::from_bits(op[0] as u32);
        let want = p.run_reference(&op).unwrap()[0];
        assert_eq!(micro::exp_plain_f32(x).to_bits() as u128, want, "exp({x:e})");
    }
}

#[test]
fn plain_rust_gelu_is_the_same_algorithm() {
    use tosim_micro as micro;
    let f = Format::Binary32;
    let p = micro::gelu(f);
    for op in sweep(f, pairs()) {
        let x = f32::from_bits(op[0] as u32);
        let want = p.run_reference(&op).unwrap()[0];
        let got = micro::gelu_plain_f32(x).to_bits() as u128;
        let got = if f.is_nan(got) { f.nan() } else { got };
        assert_eq!(got, want, "gelu({x:e})");
    }
}

#[test]
fn gelu_is_accurate() {
    // Against the tanh-approximation GELU in f64 (`gelu_tanh_f64`) on [−8, 8]:
    // every binary16 and bfloat16 input there, binary32 on the sweep. Bounds:
    // the maxima measured by `cargo run --release -p tosim-table --example
    // float_report -- gelu` (docs/float.md), rounded up — a regression guard.
    // In ulp only on [−3, 8]: below, σ(z) ≈ e^z with z ≈ −1.6x − 0.07x³, and
    // the rounding of z alone costs |z| times its relative error (tens of ulp
    // at x = −8); the absolute error bound covers the whole interval.
    use tosim_micro as micro;
    for (f, ulp_bound, abs_bound) in
        [(Format::Binary32, 12.5, 5.2e-7), (Format::Binary16, 9.0, 2.4e-3), (Format::Bfloat16, 9.0, 1.01e-2)]
    {
        let p = micro::gelu(f);
        let ops: Vec<Vec<u128>> = sweep(f, 2000).into_iter().filter(|o| f.to_f64(o[0]).abs() <= 8.0).collect();
        let got = micro::GateRunner::new().run(&p, &ops).unwrap();
        let (mut worst_ulp, mut worst_abs) = (0f64, 0f64);
        for (op, g) in ops.iter().zip(&got) {
            assert_eq!(g, &p.run_reference(op).unwrap(), "gelu {f} on {op:x?}");
            let x = f.to_f64(op[0]);
            let (u, a) = micro::error(f, g[0], micro::gelu_tanh_f64(x)).unwrap();
            worst_abs = worst_abs.max(a);
            if x >= -3.0 {
                worst_ulp = worst_ulp.max(u);
            }
        }
        assert!(worst_ulp <= ulp_bound && worst_abs <= abs_bound, "gelu {f}: {worst_ulp} ulp, {worst_abs} abs");
    }
}

#[test]
fn exp_is_accurate() {
    // Bounds measured by `cargo run --release -p tosim-table --example float_report`
    // (docs/float.md) and rounded up: a regression guard, not a proof.
    use tosim_micro as micro;
    for (f, bound) in [(Format::Binary32, 1.5), (Format::Binary16, 1.0), (Format::Bfloat16, 20.0)] {
        let p = micro::exp(f);
        let mut worst = 0f64;
        for op in sweep(f, 5000) {
            let x = f.to_f64(op[0]);
            let t = x.exp();
            if t > f.to_f64(f.nan() - (1 << (f.mbits() - 1)) - 1) || t < (2f64).powi(1 - f.bias() as i32) {
                continue; // overflow or subnormal range: checked by the sweep in the report
            }
            let y = p.run_reference(&op).unwrap()[0];
            if let Some((u, _)) = micro::error(f, y, t) {
                worst = worst.max(u);
            }
        }
        assert!(worst <= bound, "exp {f}: {worst} ulp");
    }
}

#[test]
fn fixed_point_programs_are_exhaustively_consistent() {
    use tosim_micro as micro;
    let all: Vec<Vec<u128>> = (0..1u128 << 16).map(|x| vec![x]).collect();
    let mut runner = micro::GateRunner::new();
    for p in [micro::fixed_exp(), micro::fixed_sigmoid()] {
        let got = runner.run(&p, &all).unwrap();
        for (op, g) in all.iter().zip(&got) {
            assert_eq!(g, &p.run_reference(op).unwrap(), "{} on {op:x?}", p.name);
        }
        if p.name.starts_with("fixed_sigmoid") {
            for (op, g) in all.iter().zip(&got) {
                assert_eq!(g[0] as u16 as i16, micro::fixed_sigmoid_plain(op[0] as u16 as i16), "plain on {op:x?}");
            }
        }
    }
}

#[test]
fn exported_units_agree_in_icarus() {
    if !support::tool("iverilog") {
        return;
    }
    let dir = support::scratch("float_icarus");
    // Every kind in every format, 100 vectors each (edge cases and random),
    // zero-delay cells (what `tosim unit export` writes), except the deep
    // divider and square-root arrays: Icarus's event-driven zero-delay
    // simulation of their glitch cascades takes seconds per vector (3 fsqrt
    // binary16 vectors: over 8 s, measured). They are checked with one time
    // unit of transport delay per cell instead (cells switch at whole time
    // steps, so glitches cannot cascade through delta cycles, as in
    // tests/units.rs): 150 binary16 and 100 bfloat16 vectors each (binary16
    // measured with 300: fdiv 8.0 s, fsqrt 6.1 s in Icarus 11).
    for (i, &f) in Format::ALL.iter().enumerate() {
        let ops = binary_ops(f, 41 + i as u64);
        for &k in FloatKind::ALL {
            let deep = matches!(k, FloatKind::Div | FloatKind::Sqrt);
            let count = match (deep, f) {
                (true, Format::Binary16) => 150,
                (true, Format::Bfloat16) => 100,
                (true, Format::Binary32) => continue,
                _ => 100,
            };
            let ops: Vec<Vec<u128>> = ops.iter().step_by(ops.len() / count).take(count).cloned().collect();
            let spec = FloatSpec::new(k, f);
            let vectors: Vec<Vec<u128>> = match k {
                FloatKind::FloatToInt | FloatKind::Sqrt => ops.iter().map(|o| vec![o[0]]).collect(),
                FloatKind::IntToFloat => ops.iter().map(|o| vec![(o[0] << 16 | o[1]) & 0xffff_ffff]).collect(),
                _ => ops,
            };
            let n = generate(&spec).unwrap();
            let start = std::time::Instant::now();
            let got = crate::units::icarus_outputs(&n, &vectors, deep, &dir);
            eprintln!("{} ({} vectors): {:.2} s", spec.design_name(), vectors.len(), start.elapsed().as_secs_f64());
            assert_eq!(got.len(), vectors.len(), "{}", spec.design_name());
            for (x, g) in vectors.iter().zip(&got) {
                assert_eq!(g, &reference(&spec, x).unwrap(), "{}: Icarus on {x:x?}", spec.design_name());
            }
        }
    }
}

fn tosim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tosim")).args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A binary `f32` operation.
type BinOp = fn(f32, f32) -> f32;

fn signed_zero(negative: bool) -> f32 {
    if negative {
        -0.0
    } else {
        0.0
    }
}

#[test]
fn cli_evaluates_float_units() {
    use half::{bf16, f16};
    let dir = support::scratch("float_cli_eval");
    // Operand pairs as values; expected outputs from Rust's f32 and from half
    // (f16/bf16 ops computed in f32 and rounded once: exact for these
    // operands, whose results are exact or need one rounding in f32).
    let vals: [(f32, f32); 6] = [(1.5, 2.25), (0.1, 3.0), (-0.0, 0.0), (f32::MAX, 2.0), (1.0, 3.0), (-7.0, 0.5)];
    type Enc = fn(f32) -> u128;
    let formats: [(&str, Enc); 3] = [
        ("binary32", |v| v.to_bits() as u128),
        ("binary16", |v| f16::from_f32(v).to_bits() as u128),
        ("bfloat16", |v| bf16::from_f32(v).to_bits() as u128),
    ];
    for (fmt, enc) in formats {
        let f = Format::from_name(fmt).unwrap();
        let canon = |x: u128| if f.is_nan(x) { f.nan() } else { x };
        // Operands as the format holds them, then the operation on those values.
        let ops: Vec<(f32, f32)> =
            vals.iter().map(|&(a, b)| (f.to_f64(enc(a)) as f32, f.to_f64(enc(b)) as f32)).collect();
        let file = dir.join(format!("{fmt}.txt"));
        let text: String = ops.iter().map(|&(a, b)| format!("{:#x} {:#x}\n", enc(a), enc(b))).collect();
        std::fs::write(&file, text).unwrap();
        let run = |kind: &str| {
            ok(&tosim(&["unit", "eval", "--kind", kind, "--format", fmt, "--stream", file.to_str().unwrap()]))
        };
        let bin: [(&str, BinOp); 6] = [
            ("fadd", |a, b| a + b),
            ("fsub", |a, b| a - b),
            ("fmul", |a, b| a * b),
            ("fdiv", |a, b| a / b),
            ("fmin", f32::min),
            ("fmax", f32::max),
        ];
        for (kind, op) in bin {
            let want: String = ops
                .iter()
                .map(|&(a, b)| {
                    let r = op(a, b);
                    // f32::min/max of ±0 may return either zero; minNum/maxNum order −0 < +0.
                    let r = match kind {
                        "fmin" if r == 0.0 && a == 0.0 && b == 0.0 => {
                            signed_zero(a.is_sign_negative() || b.is_sign_negative())
                        }
                        "fmax" if r == 0.0 && a == 0.0 && b == 0.0 => {
                            signed_zero(a.is_sign_negative() && b.is_sign_negative())
                        }
                        _ => r,
                    };
                    format!("{:#x}\n", canon(enc(r)))
                })
                .collect();
            assert_eq!(run(kind), want, "{kind} {fmt}");
        }
        let want: String = ops.iter().map(|&(a, b)| format!("{:#x} {:#x}\n", (a < b) as u8, (a == b) as u8)).collect();
        assert_eq!(run("fcmp"), want, "fcmp {fmt}");
        // fsqrt of the first operands.
        let file1 = dir.join(format!("{fmt}_1.txt"));
        std::fs::write(&file1, ops.iter().map(|&(a, _)| format!("{:#x}\n", enc(a))).collect::<String>()).unwrap();
        let out =
            ok(&tosim(&["unit", "eval", "--kind", "fsqrt", "--format", fmt, "--stream", file1.to_str().unwrap()]));
        let want: String = ops.iter().map(|&(a, _)| format!("{:#x}\n", canon(enc(a.sqrt())))).collect();
        assert_eq!(out, want, "fsqrt {fmt}");
    }
    // Inner architectures as --arch / --final-adder give the same results.
    let file = dir.join("binary16.txt");
    let a = ok(&tosim(&["unit", "eval", "--kind", "fmul", "--format", "binary16", "--stream", file.to_str().unwrap()]));
    for args in [&["--arch", "booth", "--final-adder", "ripple"][..], &["--arch", "array"][..]] {
        let b = ok(&tosim(
            &[
                &["unit", "eval", "--kind", "fmul", "--format", "binary16", "--stream", file.to_str().unwrap()][..],
                args,
            ]
            .concat(),
        ));
        assert_eq!(a, b, "{args:?}");
    }
    // Errors name the problem.
    let err = |args: &[&str]| String::from_utf8_lossy(&tosim(args).stderr).into_owned();
    assert!(
        err(&["unit", "eval", "--kind", "fmul", "--arch", "ripple", "--stream", "x"]).contains("takes --arch array")
    );
    assert!(
        err(&["unit", "eval", "--kind", "fadd", "--format", "binary64", "--stream", "x"]).contains("formats: binary16")
    );
    assert!(err(&["unit", "eval", "--kind", "add", "--format", "binary16", "--stream", "x"])
        .contains("applies to float kinds"));
}

#[test]
fn cli_exports_simulates_and_tabulates_float_units() {
    use tosim_table::{self as cost, FloatDist};
    let dir = support::scratch("float_cli_sim");
    let lib = tosim_netlist::library::Library::textbook().unwrap();
    // export: the format from --emit, from the -o extension, and the old --format spelling.
    let j = dir.join("fsqrt.json");
    ok(&tosim(&["unit", "export", "--kind", "fsqrt", "--format", "bfloat16", "-o", j.to_str().unwrap()]));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
    assert!(v["modules"]["fsqrt_bfloat16_non_restoring_kogge_stone"].is_object());
    let out = ok(&tosim(&["unit", "export", "--kind", "fcmp", "--format", "binary16", "--emit", "dot"]));
    assert!(out.starts_with("digraph \"fcmp_binary16_kogge_stone\""), "{out}");
    let out = ok(&tosim(&["unit", "export", "--kind", "add", "--arch", "ripple", "--width", "4", "--format", "dot"]));
    assert!(out.starts_with("digraph"));
    let out = tosim(&[
        "unit", "export", "--kind", "add", "--arch", "ripple", "--width", "4", "--format", "dot", "--emit", "json",
    ]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("disagree"));

    // unit sim: the CLI's counts equal the library's on the same generated stream.
    let out = ok(&tosim(&[
        "unit", "sim", "--kind", "fmul", "--format", "binary16", "--stream", "gaussian", "--count", "300", "--seed",
        "7", "--json", "-",
    ]));
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let spec = FloatSpec::new(FloatKind::Mul, Format::Binary16);
    let n = generate(&spec).unwrap();
    let ops = FloatDist::Gaussian { sigma: 1.0 }.operands(Format::Binary16, 2, 300, 7);
    assert_eq!(r["operations"], 300);
    assert_eq!(r["transistors"].as_u64().unwrap(), cost::static_tos(&n, Some(&lib)).unwrap());
    assert_eq!(r["switching_tos"].as_u64().unwrap(), cost::switching_tos(&n, Some(&lib), &ops).unwrap());

    // compare: every multiplier of fmul bfloat16, transistors as generated.
    let out = ok(&tosim(&["compare", "--kind", "fmul", "--format", "bfloat16", "--count", "200", "--json", "-"]));
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for (row, a) in rows.iter().zip([Arch::Array, Arch::Wallace, Arch::Dadda, Arch::Booth]) {
        let n = generate(&FloatSpec::new(FloatKind::Mul, Format::Bfloat16).with_multiplier(a)).unwrap();
        assert_eq!(row["arch"], a.name());
        assert_eq!(row["transistors"].as_u64().unwrap(), cost::static_tos(&n, Some(&lib)).unwrap());
    }

    // table: a float unit and a micro-program, per format; static TOs are the
    // unit's transistors and Σ over the program's steps.
    let out = ok(&tosim(&[
        "table",
        "--kinds",
        "fadd,rsqrt",
        "--formats",
        "binary16",
        "--count",
        "200",
        "--program-count",
        "20",
        "--json",
    ]));
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    let fadd = generate(&FloatSpec::new(FloatKind::Add, Format::Binary16)).unwrap();
    assert_eq!(rows[0]["static_tos"].as_u64().unwrap(), cost::static_tos(&fadd, Some(&lib)).unwrap());
    let sqrt = generate(&FloatSpec::new(FloatKind::Sqrt, Format::Binary16)).unwrap();
    let div = generate(&FloatSpec::new(FloatKind::Div, Format::Binary16)).unwrap();
    let want = cost::static_tos(&sqrt, Some(&lib)).unwrap() + cost::static_tos(&div, Some(&lib)).unwrap();
    assert_eq!(rows[1]["static_tos"].as_u64().unwrap(), want, "rsqrt = fsqrt + fdiv");
    assert_eq!(rows[1]["unit_ops"], 2);
    for r in rows {
        for k in ["switching_tos_uniform", "switching_tos_gaussian", "switching_tos_relu"] {
            let v = r[k].as_f64().unwrap();
            assert!(v > 0.0 && v < r["static_tos"].as_f64().unwrap(), "{k}: {r}");
        }
    }
    let csv = ok(&tosim(&["table", "--kinds", "fcmp", "--formats", "bfloat16,binary32", "--count", "100", "--csv"]));
    assert_eq!(csv.lines().count(), 3, "{csv}");

    // units lists the float kinds.
    let out = ok(&tosim(&["units", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let floats: Vec<&serde_json::Value> = v.as_array().unwrap().iter().filter(|e| e["float"] == true).collect();
    assert_eq!(floats.len(), FloatKind::ALL.len());
    assert!(floats.iter().any(|e| e["kind"] == "fmul" && e["default_arch"] == "dadda"));
}

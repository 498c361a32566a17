//! Prints the figures of docs/float.md: unit sizes (textbook transistor
//! counts), micro-program operation counts and static TOs, and micro-program
//! accuracy against f64 over dense sweeps. (Switching TOs: `tosim table`.)
//!
//! `cargo run --release -p tosim-table --example float_report` (everything), or
//! `… --example float_report -- gelu` (only the GELU accuracy section).

use tosim_micro::{self as micro, MicroProgram};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_units::float::{generate, FloatKind, FloatSpec, Format};
use tosim_units::Arch;

/// A program, its true function and the input domain of a sweep.
type Row = (MicroProgram, Box<dyn Fn(f64) -> f64>, (f64, f64));

fn transistors(lib: &Library, n: &Netlist) -> u64 {
    let models = lib.bind(n).expect("textbook binding covers every abstract gate");
    n.cells().map(|c| models[n.cell_type_id(c).index()].transistors() as u64).sum()
}

fn sweep(f: Format) -> Vec<Vec<u128>> {
    if f.width() == 16 {
        return (0..1u128 << 16).filter(|&x| !f.is_nan(x)).map(|x| vec![x]).collect();
    }
    // binary32: 2^20 evenly spaced bit patterns over all non-NaN values, plus a
    // grid of 2^18 points on [−20, 20].
    let mut v: Vec<Vec<u128>> =
        (0..1u128 << 20).map(|i| i << 12 | (i & 0xfff)).filter(|&x| !f.is_nan(x)).map(|x| vec![x]).collect();
    let n = 1 << 18;
    v.extend((0..=n).map(|i| vec![(((i as f64 - n as f64 / 2.0) * 40.0 / n as f64) as f32).to_bits() as u128]));
    v
}

fn accuracy(p: &MicroProgram, truth: impl Fn(f64) -> f64, domain: (f64, f64)) -> (f64, f64, f64, usize) {
    let f = p.format;
    let ops: Vec<Vec<u128>> = sweep(f)
        .into_iter()
        .filter(|op| {
            let x = f.to_f64(op[0]);
            x >= domain.0 && x <= domain.1
        })
        .collect();
    let mut runner = micro::GateRunner::new();
    let got = runner.run(p, &ops).expect("gate run");
    let (mut ulp, mut abs, mut at) = (0f64, 0f64, 0f64);
    for (op, g) in ops.iter().zip(&got) {
        assert_eq!(g, &p.run_reference(op).expect("reference"), "{} gate vs reference", p.name);
        let x = f.to_f64(op[0]);
        if let Some((u, a)) = micro::error(f, g[0], truth(x)) {
            if u > ulp {
                ulp = u;
                at = x;
            }
            abs = abs.max(a);
        }
    }
    (ulp, abs, at, ops.len())
}

/// erfc(a) in f64: 1 − (Maclaurin series of erf) for |a| < 3 (terms below
/// e^9 ≈ 8·10³, so about 12 correct digits of erf, and erfc(3) ≈ 2·10⁻⁵ keeps
/// 7), the continued fraction (Abramowitz & Stegun 7.1.14, 80 terms evaluated
/// backwards) for a ≥ 3, and 2 − erfc(−a) for a ≤ −3.
fn erfc(a: f64) -> f64 {
    if a <= -3.0 {
        return 2.0 - erfc(-a);
    }
    if a < 3.0 {
        let (mut term, mut sum, mut n) = (a, a, 0.0);
        while term.abs() > 1e-18 * sum.abs() {
            n += 1.0;
            term *= -a * a / n;
            sum += term / (2.0 * n + 1.0);
        }
        return 1.0 - sum * 2.0 / std::f64::consts::PI.sqrt();
    }
    let mut t = a;
    for k in (1..=80).rev() {
        t = a + (k as f64 / 2.0) / t;
    }
    (-a * a).exp() / (std::f64::consts::PI.sqrt() * t)
}

/// GELU with erf (Hendrycks & Gimpel's definition): ½x·erfc(−x/√2).
fn gelu_erf(x: f64) -> f64 {
    0.5 * x * erfc(-x / std::f64::consts::SQRT_2)
}

/// Accuracy of the GELU micro-program against the tanh approximation it
/// implements and against the erf definition, and the gap between the two.
fn gelu_section() {
    println!("\n## GELU accuracy (gate-level run = reference on every point)\n");
    println!(
        "| program | points | domain | max ulp vs tanh form | at x | max abs vs tanh form | max abs vs erf GELU |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|");
    for &f in Format::ALL {
        let p = micro::gelu(f);
        for d in [(-1e30, 1e30), (-8.0, 8.0), (-3.0, 8.0)] {
            let (u, a, at, n) = accuracy(&p, micro::gelu_tanh_f64, d);
            let (_, e, _, _) = accuracy(&p, gelu_erf, d);
            println!(
                "| {} | {} | [{:.1e}, {:.1e}] | {:.2} | {:.4e} | {:.3e} | {:.3e} |",
                p.name, n, d.0, d.1, u, at, a, e
            );
        }
    }
    // The approximation itself: tanh form − erf form on a grid of 2^20 + 1 points on [−8, 8].
    let (mut worst, mut at) = (0f64, 0f64);
    for i in 0..=1u32 << 20 {
        let x = -8.0 + 16.0 * i as f64 / (1u32 << 20) as f64;
        let d = (micro::gelu_tanh_f64(x) - gelu_erf(x)).abs();
        if d > worst {
            worst = d;
            at = x;
        }
    }
    println!("\ntanh-form GELU − erf GELU in f64 on [−8, 8] (2^20 + 1 points): max {worst:.3e} at x = {at:.4}");
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("gelu") {
        gelu_section();
        return;
    }
    let lib = Library::textbook().expect("textbook library");
    println!("\n## Units (default architectures: Kogge-Stone adders, Dadda multiplier, non-restoring root)\n");
    println!("| unit | format | cells | transistors | depth |");
    println!("|---|---|---:|---:|---:|");
    for &k in FloatKind::ALL {
        for &f in Format::ALL {
            let spec = FloatSpec::new(k, f);
            let n = generate(&spec).expect("generate");
            println!(
                "| {} | {} | {} | {} | {} |",
                spec.design_name(),
                f,
                n.cell_count(),
                transistors(&lib, &n),
                n.depth()
            );
        }
    }
    println!("\n## Inner architectures (binary32)\n");
    println!("| unit | cells | transistors | depth |");
    println!("|---|---:|---:|---:|");
    for adder in [Arch::Ripple, Arch::BrentKung, Arch::KoggeStone] {
        for spec in [
            FloatSpec::new(FloatKind::Add, Format::Binary32).with_adder(adder),
            FloatSpec::new(FloatKind::Mul, Format::Binary32).with_adder(adder).with_multiplier(Arch::Array),
            FloatSpec::new(FloatKind::Mul, Format::Binary32).with_adder(adder).with_multiplier(Arch::Wallace),
            FloatSpec::new(FloatKind::Mul, Format::Binary32).with_adder(adder).with_multiplier(Arch::Booth),
            FloatSpec::new(FloatKind::Div, Format::Binary32).with_adder(adder),
            FloatSpec::new(FloatKind::Sqrt, Format::Binary32).with_adder(adder).with_root(Arch::Restoring),
        ] {
            let n = generate(&spec).expect("generate");
            println!("| {} | {} | {} | {} |", spec.design_name(), n.cell_count(), transistors(&lib, &n), n.depth());
        }
    }
    println!("\n## Micro-programs: unit operations and static TOs per evaluation\n");
    println!("| program | steps | unit operations | static TOs |");
    println!("|---|---:|---|---:|");
    for &f in Format::ALL {
        for p in [
            micro::exp(f),
            micro::sigmoid(f),
            micro::tanh(f),
            micro::silu(f),
            micro::gelu(f),
            micro::rsqrt(f),
            micro::softmax(f, 10),
        ] {
            let mut tos = 0u64;
            let mut ops = Vec::new();
            for (name, count) in p.op_counts() {
                let n = p
                    .steps
                    .iter()
                    .find(|s| s.op.unit_name(f).as_deref() == Some(name.as_str()))
                    .and_then(|s| s.op.netlist(f).expect("generate"))
                    .expect("unit of a counted op");
                tos += transistors(&lib, &n) * count as u64;
                ops.push(format!("{count}× {name}"));
            }
            println!("| {} | {} | {} | {} |", p.name, p.steps.len(), ops.join(", "), tos);
        }
    }
    println!("\n## Micro-program accuracy against f64 (gate-level run = reference on every point)\n");
    println!("| program | points | domain | max ulp | at x | max abs error |");
    println!("|---|---:|---|---:|---:|---:|");
    for &f in Format::ALL {
        let max = f.to_f64(f.nan() - (1 << (f.mbits() - 1)) - 1);
        let lnmax = max.ln();
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let rows: Vec<Row> = vec![
            (micro::exp(f), Box::new(f64::exp), (-1e30, lnmax)),
            (micro::exp(f), Box::new(f64::exp), (-5.0, 5.0)),
            (micro::sigmoid(f), Box::new(sig), (-1e30, 1e30)),
            (micro::sigmoid(f), Box::new(sig), (-5.0, 5.0)),
            (micro::tanh(f), Box::new(f64::tanh), (-1e30, 1e30)),
            (micro::tanh(f), Box::new(f64::tanh), (0.55, 1e30)),
            (micro::silu(f), Box::new(move |x: f64| x * sig(x)), (-1e30, 1e30)),
            (micro::silu(f), Box::new(move |x: f64| x * sig(x)), (-5.0, 5.0)),
            (micro::rsqrt(f), Box::new(|x: f64| 1.0 / x.sqrt()), (1e-300, 1e300)),
        ];
        for (p, t, d) in rows {
            let (u, a, at, n) = accuracy(&p, t, d);
            println!(
                "| {} | {} | [{:.4e}, {:.4e}] | {:.2} | {:.4e} | {:.3e} |",
                p.name,
                n,
                d.0.max(-max),
                d.1.min(max),
                u,
                at,
                a
            );
        }
        // softmax of 10 values: 20,000 random vectors, uniform on [−10, 10] in steps of 1/64.
        let p = micro::softmax(f, 10);
        let mut z = 12345u64;
        let mut next = || {
            z = z.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (z >> 33) % 1281
        };
        let vecs: Vec<Vec<u128>> =
            (0..20_000).map(|_| (0..10).map(|_| f.round((next() as f64 - 640.0) / 64.0)).collect()).collect();
        let got = micro::GateRunner::new().run(&p, &vecs).expect("gate run");
        let (mut ulp, mut abs) = (0f64, 0f64);
        for (v, g) in vecs.iter().zip(&got) {
            assert_eq!(g, &p.run_reference(v).expect("reference"));
            let xs: Vec<f64> = v.iter().map(|&b| f.to_f64(b)).collect();
            let m = xs.iter().cloned().fold(f64::MIN, f64::max);
            let s: f64 = xs.iter().map(|x| (x - m).exp()).sum();
            for (x, &y) in xs.iter().zip(g) {
                if let Some((u, a)) = micro::error(f, y, (x - m).exp() / s) {
                    ulp = ulp.max(u);
                    abs = abs.max(a);
                }
            }
        }
        println!("| {} | 20000 vectors | [-10, 10] | {:.2} | | {:.3e} |", p.name, ulp, abs);
    }
    println!("\n## Fixed-point micro-programs (int16 Q4.11 in, Q1.14 out; all 65,536 inputs)\n");
    println!("| program | max abs error (output LSBs) | at x | max abs error |");
    println!("|---|---:|---:|---:|");
    let all: Vec<Vec<u128>> = (0..1u128 << 16).map(|x| vec![x]).collect();
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    for (p, t) in [
        (micro::fixed_exp(), Box::new(|x: f64| x.min(0.0).exp()) as Box<dyn Fn(f64) -> f64>),
        (micro::fixed_sigmoid(), Box::new(sig)),
    ] {
        let got = micro::GateRunner::new().run(&p, &all).expect("gate run");
        let (mut worst, mut at) = (0f64, 0f64);
        for (op, g) in all.iter().zip(&got) {
            assert_eq!(g, &p.run_reference(op).expect("reference"));
            let x = op[0] as u16 as i16 as f64 / 2048.0;
            let y = g[0] as u16 as i16 as f64 / 16384.0;
            let e = (y - t(x)).abs() * 16384.0;
            if e > worst {
                worst = e;
                at = x;
            }
        }
        println!("| {} | {:.2} | {:.4} | {:.3e} |", p.name, worst, at, worst / 16384.0);
    }
    gelu_section();
}

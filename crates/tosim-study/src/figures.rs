//! The figures, tables and summary CSV of the study.

use std::fmt::Write as _;

use tosim_plot::{BoxPlot, Histogram, Plot};

use crate::{Network, Point, Unit, UnitResult};

fn in_group<'a>(units: &'a [Unit], res: &'a [UnitResult], g: &str) -> Vec<(&'a Unit, &'a UnitResult)> {
    units.iter().zip(res).filter(|(u, _)| u.groups.contains(&g)).collect()
}

/// A mean line and its p5–p95 band.
type Curve = (Vec<(f64, f64)>, Vec<(f64, f64, f64)>);

fn curve(p: &[Point]) -> Curve {
    (p.iter().map(|p| (p.x, p.mean)).collect(), p.iter().map(|p| (p.x, p.p5, p.p95)).collect())
}

/// The figures of docs/activity.md as (file name, SVG), for `units`, their
/// results `res` (same order) and the network part; `ops` and `seed` label them.
pub fn figures(units: &[Unit], res: &[UnitResult], net: &Network, ops: u64, seed: u64) -> Vec<(String, String)> {
    let mut figs: Vec<(String, String)> = Vec::new();
    let sub = format!("zero-delay, textbook cells, seed {}; line: mean, band: p5–p95", seed);
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
        .subtitle(&format!("zero-delay, textbook cells, seed {}; positive operands, and (±) with a random sign", seed));
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
        .subtitle(&format!("zero-delay, textbook cells, seed {}; mean per operation", seed));
        for (_, r) in &sel {
            p = p.series(&r.name, &curve(&r.sigma).0);
        }
        figs.push((format!("activity-sigma-{g}.svg"), p.to_svg()));

        let mut h =
            Histogram::new(&format!("{what}: switching TOs per operation, uniform random operands"), "switching TOs")
                .fraction()
                .bins(50)
                .subtitle(&format!("{} operations per unit, seed {}", ops, seed));
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
            ops.min(500),
            seed
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
        .subtitle(&format!("zero-delay, textbook cells, seed {}; mean per operation", seed));
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
    figs
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

/// The Markdown tables of docs/activity.md.
pub fn tables(res: &[UnitResult], net: &Network) -> String {
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

/// `activity-units.csv`: one row of summary figures per unit.
pub fn units_csv(res: &[UnitResult]) -> String {
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
    s
}

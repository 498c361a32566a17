//! Text and CSV renderings of network reports (what `tosim net`, `tosim
//! merge` and `tosim sweep` print and write).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::gate::{Counts, Mode, Primitive};
use crate::report::NetReport;
use crate::sweep::SweepRow;

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |a| format!("{:.2} %", 100.0 * a))
}

/// The report as a table; `secs` adds the run time line.
pub fn table(r: &NetReport, secs: Option<f64>) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "model    {}  ({} samples, {}, profile {}, cells {}, {} mode)",
        r.model,
        r.samples,
        r.format,
        r.profile,
        r.binding,
        if r.mode == Mode::Glitch { "glitch" } else { "zero-delay" }
    );
    if let Some(s) = &r.shard {
        let _ = writeln!(
            o,
            "shard    {}/{}: samples {}..{} of {} (add the shard reports with tosim merge)",
            s.index,
            s.count,
            s.first_sample,
            s.first_sample + r.samples,
            s.total_samples
        );
    }
    let _ = writeln!(
        o,
        "accuracy {} gate level, {} reference, {} float;  agreement: {}",
        pct(r.accuracy),
        pct(r.reference_accuracy),
        pct(r.float_accuracy),
        if r.agreement {
            "yes, every output bit".to_string()
        } else {
            format!("NO ({} samples differ)", r.disagreeing_samples)
        }
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{:<14} {:>7} {:>12} {:>12} {:>16} {:>16} {:>7}  {:>14} {:>14} {:>14}",
        "layer",
        "neurons",
        "MACs",
        "FLOPs",
        "static TOs",
        "switching TOs",
        "sw/st",
        "multiply sw",
        "add sw",
        "compare sw"
    );
    let row = |o: &mut String,
               name: &str,
               n: String,
               macs: u64,
               flops: u64,
               st: u64,
               sw: u64,
               by: &BTreeMap<Primitive, Counts>| {
        let p = |k: Primitive| by.get(&k).map_or(0, |c| c.switching_tos);
        let _ = writeln!(
            o,
            "{:<14} {:>7} {:>12} {:>12} {:>16} {:>16} {:>7.3}  {:>14} {:>14} {:>14}",
            name,
            n,
            macs,
            flops,
            st,
            sw,
            if st == 0 { 0.0 } else { sw as f64 / st as f64 },
            p(Primitive::Multiply),
            p(Primitive::Add),
            p(Primitive::Compare)
        );
    };
    for l in &r.layers {
        row(&mut o, &l.name, l.neurons.to_string(), l.macs, l.flops, l.static_tos, l.switching_tos, &l.by_primitive);
    }
    let t = &r.total;
    row(&mut o, "total", String::new(), t.macs, t.flops, t.static_tos, t.switching_tos, &t.by_primitive);
    let s = &t.per_sample;
    let _ = writeln!(o);
    let more: Vec<String> = [Primitive::Divide, Primitive::Sqrt, Primitive::Exp]
        .iter()
        .filter_map(|k| {
            t.by_primitive.get(k).map(|c| format!("{} {} ({} ops)", k.name(), c.switching_tos, c.operations))
        })
        .collect();
    if !more.is_empty() {
        let _ = writeln!(o, "switching TOs of other primitives: {}", more.join(", "));
    }
    let _ = writeln!(
        o,
        "switching TOs per sample: mean {:.0}, p5 {}, median {}, p95 {} (min {}, max {})",
        s.mean, s.p5, s.median, s.p95, s.min, s.max
    );
    if let Some(gt) = t.glitch_tos {
        let per: Vec<String> = r.layers.iter().map(|l| format!("{} {}", l.name, l.glitch_tos.unwrap_or(0))).collect();
        let _ = writeln!(
            o,
            "glitch TOs (unit delay per CMOS stage): {gt} = {:.3} x switching ({})",
            gt as f64 / t.switching_tos.max(1) as f64,
            per.join(", ")
        );
    }
    let _ = writeln!(o, "FLOPs: fvcore convention (one per MAC of a linear layer); ptflops would count {}", t.ptflops);
    if let Some(secs) = secs {
        let _ = writeln!(o, "gate-level run: {secs:.2} s");
    }
    o
}

/// One CSV row per layer (and per neuron when the report has them), then the total.
pub fn csv(r: &NetReport) -> String {
    let mut f = String::new();
    let _ = write!(f, "layer,neuron,samples,macs,flops,static_tos,switching_tos");
    for k in Primitive::ALL {
        let _ = write!(f, ",{0}_static_tos,{0}_switching_tos,{0}_glitch_tos", k.name());
    }
    let _ = writeln!(f);
    let by_cols = |f: &mut String, by: &BTreeMap<Primitive, Counts>| {
        for k in Primitive::ALL {
            let c = by.get(&k).copied().unwrap_or_default();
            let g = c.glitch_tos.map_or(String::new(), |g| g.to_string());
            let _ = write!(f, ",{},{},{g}", c.static_tos, c.switching_tos);
        }
        let _ = writeln!(f);
    };
    for l in &r.layers {
        let _ = write!(f, "{},,{},{},{},{},{}", l.name, r.samples, l.macs, l.flops, l.static_tos, l.switching_tos);
        by_cols(&mut f, &l.by_primitive);
        for n in l.per_neuron.iter().flatten() {
            let _ = write!(f, "{},{},{},,,{},{}", l.name, n.index, r.samples, n.static_tos, n.switching_tos);
            by_cols(&mut f, &n.by_primitive);
        }
    }
    let t = &r.total;
    let _ = write!(f, "total,,{},{},{},{},{}", r.samples, t.macs, t.flops, t.static_tos, t.switching_tos);
    by_cols(&mut f, &t.by_primitive);
    f
}

/// The rows of a sweep as a table.
pub fn sweep_table(rows: &[SweepRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<22} {:>8} {:>12} {:>16} {:>16} {:>7}  note",
        "model", "params", "MACs", "static TOs", "switching TOs", "sw/st"
    );
    for r in rows {
        let ratio = if r.static_tos == 0 { 0.0 } else { r.switching_tos as f64 / r.static_tos as f64 };
        let _ = writeln!(
            o,
            "{:<22} {:>8} {:>12} {:>16} {:>16} {:>7.3}  {}",
            r.model,
            r.params,
            r.macs,
            r.static_tos,
            r.switching_tos,
            ratio,
            r.error.as_deref().unwrap_or("")
        );
    }
    o
}

/// The rows of a sweep as CSV (one column group per primitive any row has).
pub fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut prims: Vec<Primitive> = rows.iter().flat_map(|r| r.by_primitive.keys().copied()).collect();
    prims.sort();
    prims.dedup();
    let mut text = SweepRow::csv_header(&prims) + "\n";
    for r in rows {
        text += &(r.csv(&prims) + "\n");
    }
    text
}

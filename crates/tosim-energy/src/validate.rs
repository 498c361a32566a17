//! `tosim validate spice`: ngspice energy per operation against the TO
//! predictors, per circuit and across circuits.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use tosim_netlist::library::Library;
use tosim_sim::HwUnit;
use tosim_spice::stats::{self, Fit};
use tosim_spice::{run_chunked, Binding, Measured, Pdk};
use tosim_units::{generate, UnitSpec};

use crate::predict::{predictors, GLITCH_VARIANTS};
use crate::{Circuit, DeckSettings, EnergyError, Operands};

/// Settings of a validation run.
#[derive(Clone, Debug)]
pub struct ValidateOptions {
    /// The circuits.
    pub circuits: Vec<Circuit>,
    /// The deck around each unit.
    pub deck: DeckSettings,
    /// Operands (a circuit's `@count` overrides the count).
    pub ops: Operands,
    /// Work folder: decks, ngspice logs, per_op.csv, validate.json.
    pub output: PathBuf,
    /// ngspice processes at a time (each circuit's stream is split into this many decks).
    pub jobs: usize,
    /// ngspice executable.
    pub ngspice: String,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// A period is settled when every output is within this fraction of vdd of a rail …
    pub settle_margin: f64,
    /// … and the counted supplies draw less than this many µA over the period's last sample interval.
    pub settle_ua: f64,
    /// Reuse finished ngspice runs of identical decks in the work folder.
    pub reuse: bool,
}

/// A circuit about to be simulated by ngspice (for progress messages).
#[derive(Clone, Debug)]
pub struct CircuitStart {
    /// Design name.
    pub name: String,
    /// Operations.
    pub operations: usize,
    /// Cells of the unit.
    pub cells: usize,
    /// Period per operation, ns.
    pub period_ns: f64,
    /// ngspice processes at a time.
    pub jobs: usize,
}

/// One circuit's per-operation results.
struct CircuitRun {
    name: String,
    spec: UnitSpec,
    period_ns: f64,
    transistors: u64,
    cells: usize,
    energy: Vec<f64>,
    measured: Measured,
    predictors: BTreeMap<String, Vec<f64>>,
    correct: Vec<bool>,
    settled: Vec<bool>,
    seconds: f64,
}

fn run_circuit(
    a: &ValidateOptions,
    c: &Circuit,
    binding: &Binding,
    pdk: &Pdk,
    on_start: &mut dyn FnMut(&CircuitStart),
) -> Result<CircuitRun, EnergyError> {
    let spec = &c.spec;
    let name = spec.design_name();
    let n = generate(spec).map_err(|source| EnergyError::Generate { unit: name.clone(), source: Box::new(source) })?;
    let lib =
        Library::named(&a.deck.library, a.deck.cells.as_deref()).map_err(|e| EnergyError::Library(Box::new(e)))?;
    let unit = HwUnit::bind(n, &lib)?;
    let n = unit.netlist();
    let o = a.deck.deck_options(n);
    let ops = Operands { count: c.count.unwrap_or(a.ops.count), ..a.ops.clone() }.operations(n)?;
    let k = n.inputs().len();
    let m = ops.len() / k;
    let predictors = predictors(&unit, &ops, &o, binding, pdk)?;
    // SPICE.
    let dir = a.output.join(&name);
    let t0 = Instant::now();
    on_start(&CircuitStart {
        name: name.clone(),
        operations: m,
        cells: n.cell_count(),
        period_ns: o.period * 1e9,
        jobs: a.jobs,
    });
    let measured = run_chunked(n, binding, pdk, &ops, &o, &dir, a.jobs, a.jobs, &a.ngspice, a.reuse)?;
    let seconds = t0.elapsed().as_secs_f64();
    // The outputs ngspice sampled must be the unit's values (same compiled program as the counts).
    let want = unit.eval(&ops);
    let mut correct = Vec::with_capacity(m);
    let mut settled = Vec::with_capacity(m);
    for j in 0..m {
        correct.push(measured.outputs.get(j).map(Vec::as_slice) == want.get(j));
        settled.push(measured.margin[j] <= a.settle_margin && measured.tail_current[j] <= a.settle_ua * 1e-6);
    }
    let energy: Vec<f64> = (0..m).map(|j| measured.total(j) * 1e15).collect();
    Ok(CircuitRun {
        name,
        spec: *spec,
        period_ns: o.period * 1e9,
        transistors: unit.transistors(),
        cells: n.cell_count(),
        energy,
        measured,
        predictors,
        correct,
        settled,
        seconds,
    })
}

/// Fit statistics of one predictor on one circuit.
#[derive(Clone, Debug, Serialize)]
pub struct PredictorReport {
    /// Least-squares fit of energy on the predictor.
    pub fit: Option<Fit>,
    /// r² of the fit.
    pub r2: Option<f64>,
    /// Cross-validated mean relative error.
    pub cv_mre: Option<f64>,
    /// Energy per unit of the predictor (ratio of totals), fJ.
    pub per_unit_fj: Option<f64>,
    /// Pearson r against the unit's own energy (Vpwr + Vpb, drivers left out).
    pub r_unit: Option<f64>,
}

/// Results of one circuit.
#[derive(Clone, Debug, Serialize)]
pub struct CircuitReport {
    /// Design name.
    pub name: String,
    /// Unit kind.
    pub kind: String,
    /// Architecture.
    pub arch: String,
    /// Operand width.
    pub width: u32,
    /// Operations simulated.
    pub operations: usize,
    /// Cells of the unit.
    pub cells: usize,
    /// Transistors of the unit.
    pub transistors: u64,
    /// Period per operation, ns.
    pub period_ns: f64,
    /// Operations whose period settled.
    pub settled: usize,
    /// Operations whose sampled outputs equal the unit's values.
    pub correct: usize,
    /// Energy per operation (counted supplies), fJ.
    pub energy_fj: Summary,
    /// Mean energy per operation of each supply, fJ.
    pub energy_per_supply_fj: BTreeMap<String, f64>,
    /// Mean of each predictor per operation.
    pub predictors_mean: BTreeMap<String, f64>,
    /// Fit statistics per predictor.
    pub predictors: BTreeMap<String, PredictorReport>,
    /// Glitch TOs over zero-delay switching TOs − 1, per glitch variant.
    pub glitch_excess_vs_zero_delay: BTreeMap<String, f64>,
    /// Wall time of ngspice, s.
    pub ngspice_seconds: f64,
    /// Time points ngspice took.
    pub time_points: usize,
}

/// Mean, range and spread of a series.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// max / min (∞ when min ≤ 0).
    pub max_over_min: f64,
}

impl Summary {
    /// The summary of `v`.
    pub fn of(v: &[f64]) -> Summary {
        let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Summary { mean, min, max, max_over_min: if min > 0.0 { max / min } else { f64::INFINITY } }
    }
}

/// The report of `tosim validate spice` (`validate.json`).
#[derive(Clone, Debug, Serialize)]
pub struct ValidateReport {
    /// The binding file.
    pub library: String,
    /// Deck and stream settings.
    pub settings: BTreeMap<String, String>,
    /// Per circuit.
    pub circuits: Vec<CircuitReport>,
    /// Predictor → "from→to" → relative error of the predicted total energy.
    pub transfer: BTreeMap<String, BTreeMap<String, f64>>,
    /// Predictor → largest |transfer error|.
    pub transfer_max: BTreeMap<String, f64>,
}

impl ValidateReport {
    /// One line per circuit whose outputs were wrong or did not settle.
    pub fn failures(&self) -> Vec<String> {
        self.circuits
            .iter()
            .filter(|c| c.correct != c.operations || c.settled != c.operations)
            .map(|c| format!("{}: {} of {} correct, {} settled", c.name, c.correct, c.operations, c.settled))
            .collect()
    }

    /// The report as the text table `tosim validate spice` prints.
    pub fn table(&self) -> String {
        let mut s = String::new();
        for c in &self.circuits {
            let _ = writeln!(
                s,
                "{}: {} ops, {} cells, {} transistors, period {:.2} ns, {} settled, {} correct, E/op mean {:.1} fJ (min {:.1}, max {:.1}, max/min {:.1}), ngspice {:.0} s",
                c.name,
                c.operations,
                c.cells,
                c.transistors,
                c.period_ns,
                c.settled,
                c.correct,
                c.energy_fj.mean,
                c.energy_fj.min,
                c.energy_fj.max,
                c.energy_fj.max_over_min,
                c.ngspice_seconds
            );
            let _ = writeln!(
                s,
                "  {:<28} {:>10} {:>7} {:>7} {:>10} {:>10} {:>7} {:>7} {:>9} {:>7}",
                "predictor", "mean/op", "r", "r2", "a (fJ)", "b (fJ)", "MRE", "CV MRE", "fJ/unit", "r unit"
            );
            for (p, v) in &c.predictors {
                let f = v.fit;
                let _ = writeln!(
                    s,
                    "  {:<28} {:>10.1} {:>7} {:>7} {:>10} {:>10} {:>7} {:>7} {:>9} {:>7}",
                    p,
                    c.predictors_mean[p],
                    fmt_opt(f.and_then(|f| f.r), 3),
                    fmt_opt(v.r2, 3),
                    fmt_opt(f.map(|f| f.a), 3),
                    fmt_opt(f.map(|f| f.b), 1),
                    fmt_opt(f.map(|f| f.mre), 3),
                    fmt_opt(v.cv_mre, 3),
                    fmt_opt(v.per_unit_fj, 3),
                    fmt_opt(v.r_unit, 3)
                );
            }
            for (g, e) in &c.glitch_excess_vs_zero_delay {
                let _ = writeln!(s, "  {g}: {:+.1} % vs zero-delay switching TOs", e * 100.0);
            }
        }
        if !self.transfer_max.is_empty() {
            let _ =
                writeln!(s, "transfer of energy per unit between circuits (largest |error| of the predicted total):");
            for (p, e) in &self.transfer_max {
                let _ = writeln!(s, "  {p:<28} {:>6.1} %", e * 100.0);
            }
        }
        s
    }
}

/// `-` for `None`, else `x` with `digits` decimals.
pub(crate) fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn write(path: &Path, text: &str) -> Result<(), EnergyError> {
    std::fs::write(path, text).map_err(EnergyError::io("writing", path))
}

/// Per operation of every circuit: energy (total and per supply), every predictor, settling and correctness.
fn per_op_csv(runs: &[CircuitRun], names: &[String], supplies: &[String]) -> String {
    let mut csv = String::from("circuit,op,energy_fj");
    for s in supplies {
        let _ = write!(csv, ",e_{s}_fj");
    }
    for p in names {
        let _ = write!(csv, ",{p}");
    }
    csv.push_str(",margin,tail_ua,settled,correct\n");
    for r in runs {
        for j in 0..r.energy.len() {
            let _ = write!(csv, "{},{j},{:.6}", r.name, r.energy[j]);
            for e in &r.measured.energy[j] {
                let _ = write!(csv, ",{:.6}", e * 1e15);
            }
            for p in names {
                let _ = write!(csv, ",{}", r.predictors[p][j]);
            }
            let _ = writeln!(
                csv,
                ",{:.4},{:.4},{},{}",
                r.measured.margin[j],
                r.measured.tail_current[j] * 1e6,
                u8::from(r.settled[j]),
                u8::from(r.correct[j])
            );
        }
    }
    csv
}

fn circuit_report(r: &CircuitRun, supplies: &[String], folds: usize) -> CircuitReport {
    let mut preds = BTreeMap::new();
    let mut means = BTreeMap::new();
    let unit_cols: Vec<usize> =
        supplies.iter().enumerate().filter(|(_, s)| *s == "vpwr" || *s == "vpb").map(|(i, _)| i).collect();
    let unit: Vec<f64> = r.measured.energy.iter().map(|e| unit_cols.iter().map(|&i| e[i]).sum::<f64>()).collect();
    for (p, x) in &r.predictors {
        let f = stats::fit(x, &r.energy);
        preds.insert(
            p.clone(),
            PredictorReport {
                r2: f.and_then(|f| f.r.map(|v| v * v)),
                fit: f,
                cv_mre: stats::kfold_mre(x, &r.energy, folds),
                per_unit_fj: stats::per_unit(x, &r.energy),
                r_unit: stats::pearson(x, &unit),
            },
        );
        means.insert(p.clone(), x.iter().sum::<f64>() / x.len().max(1) as f64);
    }
    let zero: f64 = r.predictors["switching_tos"].iter().sum();
    let excess = GLITCH_VARIANTS
        .iter()
        .map(|(l, _, _)| (l.to_string(), r.predictors[*l].iter().sum::<f64>() / zero - 1.0))
        .collect();
    let m = r.energy.len().max(1) as f64;
    let per_supply = supplies
        .iter()
        .enumerate()
        .map(|(i, s)| (s.clone(), r.measured.energy.iter().map(|e| e[i]).sum::<f64>() * 1e15 / m))
        .collect();
    CircuitReport {
        name: r.name.clone(),
        kind: r.spec.kind.name().into(),
        arch: r.spec.arch.name().into(),
        width: r.spec.width,
        operations: r.energy.len(),
        cells: r.cells,
        transistors: r.transistors,
        period_ns: r.period_ns,
        settled: r.settled.iter().filter(|&&s| s).count(),
        correct: r.correct.iter().filter(|&&s| s).count(),
        energy_fj: Summary::of(&r.energy),
        energy_per_supply_fj: per_supply,
        predictors_mean: means,
        predictors: preds,
        glitch_excess_vs_zero_delay: excess,
        ngspice_seconds: r.seconds,
        time_points: r.measured.points,
    }
}

/// Predictor → "from->to" → error of the total energy of `to` predicted with
/// `from`'s energy per unit, and the largest |error| per predictor.
type Transfer = (BTreeMap<String, BTreeMap<String, f64>>, BTreeMap<String, f64>);

fn transfer(runs: &[CircuitRun], names: &[String]) -> Transfer {
    let mut transfer: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut transfer_max = BTreeMap::new();
    for p in names {
        let mut t = BTreeMap::new();
        let mut worst: f64 = 0.0;
        for from in runs {
            let Some(kf) = stats::per_unit(&from.predictors[p], &from.energy) else { continue };
            for to in runs {
                if std::ptr::eq(from, to) {
                    continue;
                }
                if let Some(e) = stats::transfer_error(kf, &to.predictors[p], &to.energy) {
                    t.insert(format!("{}->{}", from.name, to.name), e);
                    worst = worst.max(e.abs());
                }
            }
        }
        if !t.is_empty() {
            transfer_max.insert(p.clone(), worst);
            transfer.insert(p.clone(), t);
        }
    }
    (transfer, transfer_max)
}

/// Runs ngspice on every circuit (decks and logs in `output/<design>/`),
/// writes `per_op.csv` and `validate.json` into the work folder and returns
/// the report. `on_start` is called before each circuit's ngspice runs.
/// Wrong or unsettled outputs are in the report ([`ValidateReport::failures`]), not an error.
pub fn validate(a: &ValidateOptions, on_start: &mut dyn FnMut(&CircuitStart)) -> Result<ValidateReport, EnergyError> {
    if a.circuits.is_empty() {
        return Err(EnergyError::NoCircuits);
    }
    if a.ops.stream.is_some() && a.circuits.len() > 1 {
        return Err(EnergyError::StreamForSeveral);
    }
    let binding = Binding::named(&a.deck.library)?;
    let pdk = Pdk::locate(a.deck.cells.as_deref())?;
    std::fs::create_dir_all(&a.output).map_err(EnergyError::io("creating", &a.output))?;
    let runs: Vec<CircuitRun> =
        a.circuits.iter().map(|c| run_circuit(a, c, &binding, &pdk, on_start)).collect::<Result<_, _>>()?;
    let names: Vec<String> = runs[0].predictors.keys().cloned().collect();
    let supplies = runs[0].measured.supplies.clone();
    write(&a.output.join("per_op.csv"), &per_op_csv(&runs, &names, &supplies))?;
    let circuits = runs.iter().map(|r| circuit_report(r, &supplies, a.folds)).collect();
    let (transfer, transfer_max) = transfer(&runs, &names);
    let o = &a.deck;
    let mut settings = BTreeMap::new();
    settings.insert("vdd".into(), o.vdd.to_string());
    settings.insert("period_ns".into(), o.period.to_string());
    settings.insert("slew_ps".into(), o.slew_ps.to_string());
    settings.insert("driver".into(), o.driver.to_string());
    settings.insert("load".into(), o.load.to_string());
    settings.insert("samples".into(), o.samples.to_string());
    settings.insert("count".into(), a.ops.count.to_string());
    settings.insert("seed".into(), a.ops.seed.to_string());
    settings.insert("corner".into(), "tt (nfet_01v8, pfet_01v8_hvt)".into());
    let report = ValidateReport { library: binding.file.clone(), settings, circuits, transfer, transfer_max };
    write(&a.output.join("validate.json"), &(serde_json::to_string_pretty(&report)? + "\n"))?;
    Ok(report)
}

//! `tosim spice export`, `tosim validate spice`, `tosim fit`: transistor-level
//! energy from ngspice on the SKY130 cells, compared with TO counts, and the
//! calibration of TOs to measured energy.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_sim::{
    run_glitch, run_zero_delay, Delay, Generated, GlitchOptions, GlitchProgram, Options, Program, Recorded, Stream,
};
use tosim_spice::stats::{self, Fit};
use tosim_spice::{run_chunked, Binding, DeckOptions, InputDriver, Measured, OutputLoad, Pdk};
use tosim_units::{generate, Arch, Kind, UnitSpec};

use crate::cmd::units::UnitArgs;

/// `tosim spice …`.
#[derive(clap::Subcommand, Debug)]
pub enum SpiceCmd {
    /// Write the transistor-level ngspice deck of a unit on an operand stream.
    Export(ExportArgs),
}

/// `tosim validate …`.
#[derive(clap::Subcommand, Debug)]
pub enum ValidateCmd {
    /// Run ngspice on units bound to SKY130 cells and compare energy per operation with TO counts.
    Spice(ValidateArgs),
}

/// Deck settings shared by export and validate.
#[derive(clap::Args, Debug, Clone)]
pub struct DeckArgs {
    /// Library binding with a foundry source (built-in `sky130_hd`, or a binding file).
    #[arg(long, default_value = "sky130_hd")]
    pub library: String,
    /// The `sky130_fd_sc_hd` folder (else $TOSIM_SKY130_HD, else the cache of circuits/pdk/fetch_sky130.sh).
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Period per operation in ns; `auto` = 1 ns + 0.25 ns per cell level of the unit.
    #[arg(long, default_value = "auto")]
    pub period_ns: String,
    /// Stimulus ramp in ps.
    #[arg(long, default_value_t = 100.0)]
    pub slew_ps: f64,
    /// Supply voltage.
    #[arg(long, default_value_t = 1.8)]
    pub vdd: f64,
    /// Input drivers: `cells` (inv_1 → inv_2 per input bit, counted) or `ideal` (sources on the inputs).
    #[arg(long, default_value = "cells")]
    pub driver: String,
    /// Output loads: `inv` (an inv_1 per output bit, its own supply not counted) or a capacitance in fF.
    #[arg(long, default_value = "inv")]
    pub load: String,
    /// Output samples (and maximum ngspice steps) per period.
    #[arg(long, default_value_t = 8)]
    pub samples: u32,
}

/// Operands: a file or a generated uniform stream.
#[derive(clap::Args, Debug, Clone)]
pub struct OpsArgs {
    /// Operations file (one per line, operands in input-port order); else a uniform random stream.
    #[arg(long)]
    pub stream: Option<PathBuf>,
    /// Operations of the random stream.
    #[arg(long, default_value_t = 100)]
    pub count: u64,
    /// Seed of the random stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Arguments of `tosim spice export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    #[command(flatten)]
    pub deck: DeckArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Output folder (deck.sp, cells.sp, models.sp, .spiceinit; `chunk<i>/` when --chunks > 1).
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Split the stream into this many decks (each starts from the state its first operation follows).
    #[arg(long, default_value_t = 1)]
    pub chunks: usize,
}

/// Arguments of `tosim validate spice`.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// Circuits as kind:arch:width[@count], comma-separated (e.g. add:ripple:8,mul:array:8@60);
    /// `@count` overrides --count for that circuit (the stream is the prefix of the same seeded stream).
    #[arg(long, value_delimiter = ',', default_value = "add:ripple:8,mul:array:4")]
    pub circuits: Vec<String>,
    #[command(flatten)]
    pub deck: DeckArgs,
    #[command(flatten)]
    pub ops: OpsArgs,
    /// Work folder: decks, ngspice logs, per_op.csv, validate.json.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// ngspice processes at a time (each circuit's stream is split into this many decks).
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// ngspice executable.
    #[arg(long, default_value = "ngspice")]
    pub ngspice: String,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// A period is settled when every output is within this fraction of vdd of a rail …
    #[arg(long, default_value_t = 0.1)]
    pub settle_margin: f64,
    /// … and the counted supplies draw less than this many µA over the period's last sample interval.
    #[arg(long, default_value_t = 5.0)]
    pub settle_ua: f64,
    /// Reuse finished ngspice runs of identical decks in the work folder (resume, or combine separate runs).
    #[arg(long)]
    pub reuse: bool,
    /// Also write the JSON report here (`-` for standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Arguments of `tosim fit`.
#[derive(clap::Args, Debug)]
pub struct FitArgs {
    /// CSV with a header: predictor columns (report fields such as switching_tos, flops, static_tos) and the measured energy.
    pub file: PathBuf,
    /// Energy column.
    #[arg(long, default_value = "energy")]
    pub energy: String,
    /// Predictor columns, comma-separated (default: every other numeric column except op/index/id).
    #[arg(long, value_delimiter = ',')]
    pub x: Vec<String>,
    /// Folds of the cross-validation.
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Write the JSON report here (`-` for standard output) instead of the table.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

fn deck_options(a: &DeckArgs, n: &Netlist) -> Result<DeckOptions> {
    let period_ns = match a.period_ns.as_str() {
        "auto" => 1.0 + 0.25 * f64::from(n.depth()),
        s => s.parse::<f64>().map_err(|_| anyhow!("--period-ns `{s}` is not a number or `auto`"))?,
    };
    let driver = match a.driver.as_str() {
        "cells" => InputDriver::Cells,
        "ideal" => InputDriver::Ideal,
        d => bail!("--driver `{d}`: expected `cells` or `ideal`"),
    };
    let load = match a.load.as_str() {
        "inv" => OutputLoad::Inverter,
        s => OutputLoad::Cap(
            s.parse::<f64>().map_err(|_| anyhow!("--load `{s}`: expected `inv` or a capacitance in fF"))? * 1e-15,
        ),
    };
    Ok(DeckOptions { vdd: a.vdd, period: period_ns * 1e-9, slew: a.slew_ps * 1e-12, samples: a.samples, driver, load })
}

/// The operations (operation-major) for `n`'s input buses.
fn operations(a: &OpsArgs, n: &Netlist) -> Result<Vec<u128>> {
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    if let Some(w) = widths.iter().find(|&&w| w > 128) {
        bail!("input bus of {w} bits: streams hold operands of at most 128 bits");
    }
    let s: Box<dyn Stream> = match &a.stream {
        Some(p) => Box::new(Recorded::read(p, &widths)?),
        None => {
            let g = Generated::uniform(&widths, a.count, a.seed);
            g.validate()?;
            Box::new(g)
        }
    };
    let mut v = vec![0u128; s.len() as usize * s.operands()];
    s.fill(0, &mut v);
    Ok(v)
}

/// Runs `tosim spice export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let spec = a.unit.spec()?;
    let n = generate(&spec)?;
    let binding = Binding::named(&a.deck.library)?;
    let pdk = Pdk::locate(a.deck.cells.as_deref())?;
    let o = deck_options(&a.deck, &n)?;
    let ops = operations(&a.ops, &n)?;
    let k = n.inputs().len();
    let m = ops.len() / k;
    let chunks = a.chunks.clamp(1, m.max(1));
    for c in 0..chunks {
        let (s, e) = (c * m / chunks, (c + 1) * m / chunks);
        let init: Vec<u128> = if s == 0 { vec![0; k] } else { ops[(s - 1) * k..s * k].to_vec() };
        let deck = tosim_spice::build(&n, &binding, &pdk, &init, &ops[s * k..e * k], &o)?;
        let dir = if chunks == 1 { a.output.clone() } else { a.output.join(format!("chunk{c}")) };
        deck.write(&dir)?;
        eprintln!(
            "{}: {} operations {}..{}, {} cells, {} transistors, period {:.2} ns",
            dir.display(),
            deck.ops,
            s,
            e,
            n.cell_count(),
            deck.transistors,
            o.period * 1e9
        );
    }
    eprintln!("run: cd {} && ngspice -b deck.sp", a.output.display());
    Ok(())
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

/// Glitch-engine variants compared: every delay model × inertial/transport.
const GLITCH_VARIANTS: &[(&str, Delay, bool)] = &[
    ("glitch_tos_unit", Delay::Unit, false),
    ("glitch_tos_unit_transport", Delay::Unit, true),
    ("glitch_tos_effort", Delay::Effort, false),
    ("glitch_tos_effort_transport", Delay::Effort, true),
    ("glitch_tos_rc", Delay::Rc, false),
];

/// Switched-capacitance predictors (fF, from the templates): each transition
/// weighted by its node's capacitance instead of its gate count; the settled
/// toggles (zero delay) and every transition of the glitch engine per delay
/// model; `deck`: with the deck's input drivers and output loads (their
/// capacitance is charged by counted supplies) added to the unit's nets.
const CAP_VARIANTS: &[(&str, &str, Delay, bool)] = &[
    ("switched_cap_ff", "glitch_cap_effort_ff", Delay::Effort, false),
    ("switched_cap_ff", "glitch_cap_rc_ff", Delay::Rc, false),
    ("switched_cap_deck_ff", "glitch_cap_rc_deck_ff", Delay::Rc, true),
];

/// Capacitance (fF) of the deck around the unit, per net of `n`: `load` = on
/// the net itself (output loads' gates; the input drivers' drains), `toggling`
/// = on other nodes that switch exactly when the net does (the driver's
/// midpoint `inv_1` → `inv_2`), counted in the energy weight only.
fn deck_capacitance(n: &Netlist, o: &DeckOptions, binding: &Binding, pdk: &Pdk) -> Result<(Vec<f64>, Vec<f64>)> {
    let params = tosim_sim::RcParams::default();
    let cfg = tosim_cells::Config::default();
    // (input pin cap, output pin cap) of a template cell.
    let pins = |cell: &str| -> Result<(f64, f64)> {
        let name = format!("{}__{cell}", binding.foundry);
        let file = pdk.template_file(&name);
        let subs = tosim_cells::read_spice_file(&file, &cfg)?;
        let sub = subs.into_iter().find(|s| s.name == name).ok_or_else(|| anyhow!("{}: no {name}", file.display()))?;
        let m = tosim_cells::analyze(&sub, &cfg)?;
        let c = tosim_sim::delay::signal_capacitance(&m, &params);
        let pick = |input: bool| {
            m.signals
                .iter()
                .zip(&c)
                .filter(|(s, _)| !matches!(s.kind, tosim_cells::SignalKind::Internal))
                .filter(|(s, _)| matches!(s.kind, tosim_cells::SignalKind::Input(_)) == input)
                .map(|(_, &c)| c)
                .sum::<f64>()
        };
        Ok((pick(true), pick(false)))
    };
    let mut load = vec![0.0; n.net_count()];
    let mut toggling = vec![0.0; n.net_count()];
    if o.driver == InputDriver::Cells {
        let (_, inv1_out) = pins("inv_1")?;
        let (inv2_in, inv2_out) = pins("inv_2")?;
        for bus in n.inputs() {
            for net in &bus.nets {
                load[net.index()] += inv2_out;
                toggling[net.index()] += inv1_out + inv2_in;
            }
        }
    }
    let out_load = match o.load {
        OutputLoad::Inverter => pins("inv_1")?.0,
        OutputLoad::Cap(f) => f * 1e15,
    };
    for bus in n.outputs() {
        for net in &bus.nets {
            load[net.index()] += out_load;
        }
    }
    Ok((load, toggling))
}

fn parse_circuit(s: &str) -> Result<(UnitSpec, Option<u64>)> {
    let (s, count) = match s.split_once('@') {
        Some((c, n)) => (c, Some(n.parse::<u64>().map_err(|_| anyhow!("circuit `{s}`: count `{n}` is not a number"))?)),
        None => (s, None),
    };
    let parts: Vec<&str> = s.split(':').collect();
    let [k, ar, w] = parts[..] else { bail!("circuit `{s}`: expected kind:arch:width, e.g. add:ripple:8") };
    let kind = Kind::from_name(k).ok_or_else(|| anyhow!("circuit `{s}`: unknown kind `{k}`"))?;
    let arch = Arch::from_name(ar).ok_or_else(|| anyhow!("circuit `{s}`: unknown architecture `{ar}`"))?;
    let width: u32 = w.parse().map_err(|_| anyhow!("circuit `{s}`: width `{w}` is not a number"))?;
    let spec = UnitSpec::new(kind, arch, width);
    spec.check()?;
    Ok((spec, count))
}

fn run_circuit(
    a: &ValidateArgs,
    spec: &UnitSpec,
    count: Option<u64>,
    binding: &Binding,
    pdk: &Pdk,
) -> Result<CircuitRun> {
    let name = spec.design_name();
    let n = generate(spec)?;
    let lib = Library::named(&a.deck.library, a.deck.cells.as_deref()).context("loading the library binding")?;
    let models = lib.bind(&n).with_context(|| format!("binding {name}"))?;
    let o = deck_options(&a.deck, &n)?;
    let ops = operations(&OpsArgs { count: count.unwrap_or(a.ops.count), ..a.ops.clone() }, &n)?;
    let k = n.inputs().len();
    let m = ops.len() / k;
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let stream = Recorded::new(k, ops.clone());
    let opts = Options { per_op_stats: true, record_per_op: true, ..Options::default() };
    // Zero-delay counts.
    let p = Program::compile(&n, &models)?;
    let zero = run_zero_delay(&p, &stream, &opts).per_op.unwrap_or_default();
    let mut predictors: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    predictors.insert("switching_tos".into(), zero.iter().map(|c| c.switching_tos as f64).collect());
    predictors.insert("net_toggles".into(), zero.iter().map(|c| c.net_toggles as f64).collect());
    for &(label, delay, transport) in GLITCH_VARIANTS {
        let gp = GlitchProgram::compile(&n, &models, delay)?;
        let act = run_glitch(&gp, &stream, &GlitchOptions { base: opts, transport });
        predictors.insert(label.into(), act.per_op.unwrap_or_default().iter().map(|c| c.glitch_tos as f64).collect());
    }
    let (deck_load, deck_toggling) = deck_capacitance(&n, &o, binding, pdk)?;
    // Stages with the deck's capacitance on the unit's pins (and, in the
    // energy weight, on the nodes that toggle with them).
    let deck_stages = |delay: Delay| -> Result<tosim_sim::StageNetlist> {
        let mut st = tosim_sim::StageNetlist::with_external_cap(&n, &models, delay, &deck_load)?;
        for (i, org) in st.origin.iter().enumerate() {
            if let Some(org) = org {
                st.cap[i] += deck_toggling[org.index()];
            }
        }
        Ok(st)
    };
    for &(zero_label, label, delay, deck) in CAP_VARIANTS {
        // Weights in 1/100 fF so that the engine's integer weights hold them.
        let mut st = if deck { deck_stages(delay)? } else { tosim_sim::StageNetlist::new(&n, &models, delay)? };
        st.load = st.cap.iter().map(|c| (c * 100.0).round() as u32).collect();
        let gp = GlitchProgram::from_stages(st);
        let per = run_glitch(&gp, &stream, &GlitchOptions { base: opts, transport: false }).per_op.unwrap_or_default();
        predictors.insert(zero_label.into(), per.iter().map(|c| c.switching_tos as f64 / 100.0).collect());
        predictors.insert(label.into(), per.iter().map(|c| c.glitch_tos as f64 / 100.0).collect());
    }
    {
        // The continuous RC model (tosim_sim::analog) on the same stages and deck.
        let st = deck_stages(Delay::Rc)?;
        let gates: Vec<f64> = st.load.iter().map(|&l| f64::from(l)).collect();
        let mut deck_gates = gates.clone();
        let mut is_in = vec![false; n.net_count()];
        let mut is_out = vec![false; n.net_count()];
        n.inputs().iter().flat_map(|b| &b.nets).for_each(|x| is_in[x.index()] = true);
        n.outputs().iter().flat_map(|b| &b.nets).for_each(|x| is_out[x.index()] = true);
        for (i, org) in st.origin.iter().enumerate() {
            if let Some(org) = org {
                deck_gates[i] +=
                    2.0 * (f64::from(u8::from(is_in[org.index()])) + f64::from(u8::from(is_out[org.index()])));
            }
        }
        let an = tosim_sim::run_analog(&st, &stream, &[&gates, &st.cap, &deck_gates])?;
        predictors.insert("analog_tos_rc".into(), an.per_op[0].clone());
        predictors.insert("analog_cap_rc_deck_ff".into(), an.per_op[1].clone());
        predictors.insert("analog_tos_rc_deck".into(), an.per_op[2].clone());
    }
    let mut hamming = Vec::with_capacity(m);
    for j in 0..m {
        let h: u32 = (0..k)
            .map(|b| {
                let prev = if j == 0 { 0 } else { ops[(j - 1) * k + b] };
                let mask = if widths[b] >= 128 { u128::MAX } else { (1u128 << widths[b]) - 1 };
                ((prev ^ ops[j * k + b]) & mask).count_ones()
            })
            .sum();
        hamming.push(f64::from(h));
    }
    predictors.insert("input_hamming".into(), hamming);
    predictors.insert("static_tos".into(), vec![p.transistors() as f64; m]);
    // SPICE.
    let dir = a.output.join(&name);
    let t0 = Instant::now();
    eprintln!(
        "{name}: {m} operations, {} cells, period {:.2} ns, {} ngspice jobs …",
        n.cell_count(),
        o.period * 1e9,
        a.jobs
    );
    let measured = run_chunked(&n, binding, pdk, &ops, &o, &dir, a.jobs, a.jobs, &a.ngspice, a.reuse)?;
    let seconds = t0.elapsed().as_secs_f64();
    let mut correct = Vec::with_capacity(m);
    let mut settled = Vec::with_capacity(m);
    for j in 0..m {
        let want = tosim_netlist::eval(&n, &ops[j * k..(j + 1) * k]);
        correct.push(measured.outputs.get(j) == Some(&want));
        settled.push(measured.margin[j] <= a.settle_margin && measured.tail_current[j] <= a.settle_ua * 1e-6);
    }
    let energy: Vec<f64> = (0..m).map(|j| measured.total(j) * 1e15).collect();
    let transistors = p.transistors();
    Ok(CircuitRun {
        name,
        spec: *spec,
        period_ns: o.period * 1e9,
        transistors,
        cells: n.cell_count(),
        energy,
        measured,
        predictors,
        correct,
        settled,
        seconds,
    })
}

#[derive(Serialize)]
struct PredictorReport {
    fit: Option<Fit>,
    r2: Option<f64>,
    cv_mre: Option<f64>,
    /// Energy per unit of the predictor (ratio of totals), fJ.
    per_unit_fj: Option<f64>,
    /// Pearson r against the unit's own energy (Vpwr + Vpb, drivers left out).
    r_unit: Option<f64>,
}

#[derive(Serialize)]
struct CircuitReport {
    name: String,
    kind: String,
    arch: String,
    width: u32,
    operations: usize,
    cells: usize,
    transistors: u64,
    period_ns: f64,
    settled: usize,
    correct: usize,
    energy_fj: Summary,
    energy_per_supply_fj: BTreeMap<String, f64>,
    predictors_mean: BTreeMap<String, f64>,
    predictors: BTreeMap<String, PredictorReport>,
    glitch_excess_vs_zero_delay: BTreeMap<String, f64>,
    ngspice_seconds: f64,
    time_points: usize,
}

#[derive(Serialize)]
struct Summary {
    mean: f64,
    min: f64,
    max: f64,
    max_over_min: f64,
}

#[derive(Serialize)]
struct ValidateReport {
    library: String,
    settings: BTreeMap<String, String>,
    circuits: Vec<CircuitReport>,
    /// Predictor → "from→to" → relative error of the predicted total energy.
    transfer: BTreeMap<String, BTreeMap<String, f64>>,
    /// Predictor → largest |transfer error|.
    transfer_max: BTreeMap<String, f64>,
}

fn summary(v: &[f64]) -> Summary {
    let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Summary { mean, min, max, max_over_min: if min > 0.0 { max / min } else { f64::INFINITY } }
}

fn write_out(path: &Path, text: &str) -> Result<()> {
    if path == Path::new("-") {
        println!("{text}");
        Ok(())
    } else {
        std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
    }
}

/// Runs `tosim validate spice`.
pub fn validate(a: ValidateArgs) -> Result<()> {
    let specs: Vec<(UnitSpec, Option<u64>)> = a.circuits.iter().map(|s| parse_circuit(s)).collect::<Result<_>>()?;
    if a.ops.stream.is_some() && specs.len() > 1 {
        bail!(
            "--stream applies to one circuit (its operands fit that circuit's ports); use --count/--seed for several"
        );
    }
    let binding = Binding::named(&a.deck.library)?;
    let pdk = Pdk::locate(a.deck.cells.as_deref())?;
    std::fs::create_dir_all(&a.output).with_context(|| format!("creating {}", a.output.display()))?;
    let runs: Vec<CircuitRun> =
        specs.iter().map(|(s, c)| run_circuit(&a, s, *c, &binding, &pdk)).collect::<Result<_>>()?;
    // per_op.csv
    let names: Vec<String> = runs[0].predictors.keys().cloned().collect();
    let supplies = runs[0].measured.supplies.clone();
    let mut csv = String::from("circuit,op,energy_fj");
    for s in &supplies {
        let _ = write!(csv, ",e_{s}_fj");
    }
    for p in &names {
        let _ = write!(csv, ",{p}");
    }
    csv.push_str(",margin,tail_ua,settled,correct\n");
    for r in &runs {
        for j in 0..r.energy.len() {
            let _ = write!(csv, "{},{j},{:.6}", r.name, r.energy[j]);
            for e in &r.measured.energy[j] {
                let _ = write!(csv, ",{:.6}", e * 1e15);
            }
            for p in &names {
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
    write_out(&a.output.join("per_op.csv"), &csv)?;
    // Reports.
    let mut circuits = Vec::new();
    for r in &runs {
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
                    cv_mre: stats::kfold_mre(x, &r.energy, a.folds),
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
        circuits.push(CircuitReport {
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
            energy_fj: summary(&r.energy),
            energy_per_supply_fj: per_supply,
            predictors_mean: means,
            predictors: preds,
            glitch_excess_vs_zero_delay: excess,
            ngspice_seconds: r.seconds,
            time_points: r.measured.points,
        });
    }
    let mut transfer: BTreeMap<String, BTreeMap<String, f64>> = BTreeMap::new();
    let mut transfer_max = BTreeMap::new();
    for p in &names {
        let mut t = BTreeMap::new();
        let mut worst: f64 = 0.0;
        for from in &runs {
            let Some(kf) = stats::per_unit(&from.predictors[p], &from.energy) else { continue };
            for to in &runs {
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
    let o = &a.deck;
    let mut settings = BTreeMap::new();
    settings.insert("vdd".into(), o.vdd.to_string());
    settings.insert("period_ns".into(), o.period_ns.clone());
    settings.insert("slew_ps".into(), o.slew_ps.to_string());
    settings.insert("driver".into(), o.driver.clone());
    settings.insert("load".into(), o.load.clone());
    settings.insert("samples".into(), o.samples.to_string());
    settings.insert("count".into(), a.ops.count.to_string());
    settings.insert("seed".into(), a.ops.seed.to_string());
    settings.insert("corner".into(), "tt (nfet_01v8, pfet_01v8_hvt)".into());
    let report = ValidateReport { library: binding.file.clone(), settings, circuits, transfer, transfer_max };
    let json = serde_json::to_string_pretty(&report)? + "\n";
    write_out(&a.output.join("validate.json"), &json)?;
    if let Some(p) = &a.json {
        write_out(p, &json)?;
    }
    if a.json.as_deref() != Some(Path::new("-")) {
        print!("{}", table(&report));
    }
    let bad: Vec<String> = report
        .circuits
        .iter()
        .filter(|c| c.correct != c.operations || c.settled != c.operations)
        .map(|c| format!("{}: {} of {} correct, {} settled", c.name, c.correct, c.operations, c.settled))
        .collect();
    if !bad.is_empty() {
        bail!("SPICE outputs wrong or unsettled (see {}/per_op.csv): {}", a.output.display(), bad.join("; "));
    }
    Ok(())
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn table(r: &ValidateReport) -> String {
    let mut s = String::new();
    for c in &r.circuits {
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
    if !r.transfer_max.is_empty() {
        let _ = writeln!(s, "transfer of energy per unit between circuits (largest |error| of the predicted total):");
        for (p, e) in &r.transfer_max {
            let _ = writeln!(s, "  {p:<28} {:>6.1} %", e * 100.0);
        }
    }
    s
}

#[derive(Serialize)]
struct FitRow {
    predictor: String,
    fit: Option<Fit>,
    cv_mre: Option<f64>,
    /// 1 − cross-validated mean relative error.
    precision: Option<f64>,
}

#[derive(Serialize)]
struct FitReport {
    file: String,
    energy: String,
    rows: usize,
    folds: usize,
    /// The constant model (mean energy) for comparison.
    constant: FitRow,
    predictors: Vec<FitRow>,
}

fn fit_row(name: &str, x: &[f64], y: &[f64], folds: usize) -> FitRow {
    let cv = stats::kfold_mre(x, y, folds);
    FitRow { predictor: name.to_string(), fit: stats::fit(x, y), cv_mre: cv, precision: cv.map(|e| 1.0 - e) }
}

/// Column names in file order, the numeric columns by name, and the row count.
type Csv = (Vec<String>, BTreeMap<String, Vec<f64>>, usize);

/// Reads a CSV with a header into named numeric columns (non-numeric columns dropped).
fn read_csv(path: &Path) -> Result<Csv> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().ok_or_else(|| anyhow!("{}: empty file", path.display()))?;
    let names: Vec<String> = header.split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
    let mut cols: Vec<Option<Vec<f64>>> = vec![Some(Vec::new()); names.len()];
    let mut rows = 0;
    for (i, l) in lines {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f.len() != names.len() {
            bail!("{}:{}: {} fields, header has {}", path.display(), i + 1, f.len(), names.len());
        }
        for (c, v) in cols.iter_mut().zip(&f) {
            if let Some(col) = c {
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() => col.push(x),
                    _ => *c = None,
                }
            }
        }
        rows += 1;
    }
    let numeric =
        names.iter().zip(cols).filter_map(|(n, c)| c.map(|c| (n.clone(), c))).collect::<BTreeMap<String, Vec<f64>>>();
    Ok((names, numeric, rows))
}

/// Runs `tosim fit`.
pub fn fit(a: FitArgs) -> Result<()> {
    let (order, cols, rows) = read_csv(&a.file)?;
    let y = cols.get(&a.energy).ok_or_else(|| {
        anyhow!("{}: no numeric column `{}` (columns: {})", a.file.display(), a.energy, order.join(", "))
    })?;
    let xs: Vec<String> = if a.x.is_empty() {
        order
            .iter()
            .filter(|c| *c != &a.energy && cols.contains_key(*c) && !matches!(c.as_str(), "op" | "index" | "id"))
            .cloned()
            .collect()
    } else {
        a.x.clone()
    };
    if xs.is_empty() {
        bail!("{}: no predictor columns", a.file.display());
    }
    let mut predictors = Vec::new();
    for x in &xs {
        let col = cols.get(x).ok_or_else(|| anyhow!("{}: no numeric column `{x}`", a.file.display()))?;
        predictors.push(fit_row(x, col, y, a.folds));
    }
    let report = FitReport {
        file: a.file.display().to_string(),
        energy: a.energy.clone(),
        rows,
        folds: a.folds,
        constant: fit_row("constant", &vec![1.0; y.len()], y, a.folds),
        predictors,
    };
    if let Some(p) = &a.json {
        return write_out(p, &(serde_json::to_string_pretty(&report)? + "\n"));
    }
    println!("{} rows of {}, energy column `{}`, {}-fold cross-validation", rows, report.file, report.energy, a.folds);
    println!(
        "{:<28} {:>12} {:>12} {:>7} {:>7} {:>7} {:>7} {:>9}",
        "predictor", "a", "b", "r", "r2", "MRE", "CV MRE", "precision"
    );
    for row in std::iter::once(&report.constant).chain(&report.predictors) {
        let f = row.fit;
        println!(
            "{:<28} {:>12} {:>12} {:>7} {:>7} {:>7} {:>7} {:>9}",
            row.predictor,
            fmt_opt(f.map(|f| f.a), 5),
            fmt_opt(f.map(|f| f.b), 3),
            fmt_opt(f.and_then(|f| f.r), 3),
            fmt_opt(f.map(|f| f.r2), 3),
            fmt_opt(f.map(|f| f.mre), 3),
            fmt_opt(row.cv_mre, 3),
            fmt_opt(row.precision, 3)
        );
    }
    Ok(())
}

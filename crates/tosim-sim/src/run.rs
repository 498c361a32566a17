//! One simulation run of a [`HwUnit`] as `tosim sim` and `tosim unit sim`
//! ask for it: zero-delay, glitch or analog counts of an operand stream, the
//! report, the per-operation rows and their CSV, and the text report.
//!
//! ```
//! use tosim_netlist::{Gate, NetlistBuilder};
//! use tosim_sim::{simulate, Generated, HwUnit, Mode, RunOptions};
//! let mut b = NetlistBuilder::new("and");
//! let a = b.add_input_bus("a", 1);
//! let c = b.add_input_bus("b", 1);
//! let y = b.gate(Gate::Nand2, &[a[0], c[0]]);
//! b.add_output_bus("y", &[y]);
//! let u = HwUnit::new(b.finish().unwrap(), None).unwrap();
//! let opts = RunOptions { mode: Mode::Glitch, record_per_op: true, ..RunOptions::default() };
//! let run = simulate(&u, &Generated::uniform(&[1, 1], 100, 1), &opts).unwrap();
//! assert_eq!(run.report.operations, 100);
//! assert_eq!(run.per_op.as_ref().map(Vec::len), Some(100));
//! assert!(run.report.to_text().starts_with("design            and\n"));
//! ```

use std::fmt::Write as _;
use std::io::Write;
use std::time::Instant;

use thiserror::Error;

use crate::{
    run_analog, run_glitch, AnalogError, Delay, GlitchOptions, Histogram, HwUnit, HwUnitError, OpCounts, Options,
    Report, Stats, Stream,
};

/// Which engine counts a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Settled values only (zero-delay switching TOs).
    #[default]
    Zero,
    /// The timing simulation (glitch TOs; also the zero-delay counts).
    Glitch,
    /// Continuous RC node voltages (analog TOs and switched capacitance),
    /// with the zero-delay counts; scalar and slow.
    Analog,
}

impl Mode {
    /// Stable name (`zero`, `glitch`, `analog`).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Zero => "zero",
            Mode::Glitch => "glitch",
            Mode::Analog => "analog",
        }
    }
}

/// What [`simulate`] runs and records.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// The engine.
    pub mode: Mode,
    /// Delay model of the glitch and analog engines.
    pub delay: Delay,
    /// Transport instead of inertial delays (glitch engine).
    pub transport: bool,
    /// Every net's toggles and gate load in the report.
    pub per_net: bool,
    /// Keep one row of counts per operation ([`Run::per_op`]).
    pub record_per_op: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions { mode: Mode::Zero, delay: Delay::Unit, transport: false, per_net: false, record_per_op: false }
    }
}

/// Why a run could not be reported.
#[derive(Debug, Error)]
pub enum RunError {
    /// The glitch or stage program could not be built.
    #[error(transparent)]
    Unit(#[from] HwUnitError),
    /// The analog engine stopped.
    #[error("analog simulation")]
    Analog(#[from] AnalogError),
    /// The stream could not give its operations (a file changed while read):
    /// the counts are wrong.
    #[error("{0}")]
    Stream(String),
}

/// The results of [`simulate`].
#[derive(Clone, Debug)]
pub struct Run {
    /// The report (per-operation statistics included).
    pub report: Report,
    /// The mode it ran in.
    pub mode: Mode,
    /// Per-operation counts, when recorded.
    pub per_op: Option<Vec<OpCounts>>,
    /// Analog mode: per-operation analog TOs and switched capacitance (fF).
    pub analog: Option<(Vec<f64>, Vec<f64>)>,
    /// Wall-clock time of the simulation in seconds.
    pub seconds: f64,
}

/// Runs `stream` through `unit` in the engine `opts` names: zero-delay
/// counts with per-operation statistics, plus the glitch counts (glitch
/// mode) or the analog TOs and capacitance (analog mode).
pub fn simulate(unit: &HwUnit, stream: &dyn Stream, opts: &RunOptions) -> Result<Run, RunError> {
    let base = Options { per_op_stats: true, record_per_op: opts.record_per_op, ..Options::default() };
    let t0 = Instant::now();
    let mut analog = None;
    let (report, per_op) = match opts.mode {
        Mode::Zero => {
            let act = unit.count(stream, &base);
            (unit.report(&act, opts.per_net), act.per_op)
        }
        Mode::Glitch => {
            let gp = unit.glitch_program(opts.delay)?;
            let act = run_glitch(&gp, stream, &GlitchOptions { base, transport: opts.transport });
            (gp.report(&act, opts.per_net), act.per_op)
        }
        Mode::Analog => {
            let act = unit.count(stream, &base);
            let mut r = unit.report(&act, opts.per_net);
            let st = unit.stages(opts.delay)?;
            let gates: Vec<f64> = st.load.iter().map(|&l| f64::from(l)).collect();
            let an = run_analog(&st, stream, &[&gates, &st.cap])?;
            r.analog_tos = Some(an.per_op[0].iter().sum());
            r.analog_cap_ff = Some(an.per_op[1].iter().sum());
            // Per-operation statistics of analog TOs, rounded to whole TOs.
            let mut h = Histogram::default();
            for &x in &an.per_op[0] {
                h.add(x.round() as u64);
            }
            if let Some(s) = Stats::from_histogram(&h) {
                r.per_op.insert("analog_tos".into(), s);
            }
            let mut rows = an.per_op.into_iter();
            analog = rows.next().zip(rows.next());
            (r, act.per_op)
        }
    };
    if let Some(f) = stream.failure() {
        return Err(RunError::Stream(f));
    }
    Ok(Run { report, mode: opts.mode, per_op, analog, seconds: t0.elapsed().as_secs_f64() })
}

impl Run {
    /// Gate evaluations per second of the run (operations × cells ÷ time).
    pub fn gate_evals_per_second(&self, cells: usize) -> f64 {
        self.report.operations as f64 * cells as f64 / self.seconds
    }

    /// Writes the per-operation rows as CSV: `op,switching_tos,…,net_toggles`
    /// with `glitch_tos` (glitch mode) or `analog_tos,analog_cap_ff` (analog
    /// mode, 4 decimals). Nothing without recorded rows.
    pub fn write_per_op_csv(&self, w: &mut dyn Write) -> std::io::Result<()> {
        let Some(rows) = &self.per_op else { return Ok(()) };
        let glitch = self.mode == Mode::Glitch;
        let extra = match (glitch, &self.analog) {
            (true, _) => "glitch_tos,",
            (false, Some(_)) => "analog_tos,analog_cap_ff,",
            _ => "",
        };
        writeln!(w, "op,switching_tos,{extra}net_toggles")?;
        for (i, r) in rows.iter().enumerate() {
            if let Some((tos, cap)) = &self.analog {
                writeln!(w, "{i},{},{:.4},{:.4},{}", r.switching_tos, tos[i], cap[i], r.net_toggles)?;
            } else if glitch {
                writeln!(w, "{i},{},{},{}", r.switching_tos, r.glitch_tos, r.net_toggles)?;
            } else {
                writeln!(w, "{i},{},{}", r.switching_tos, r.net_toggles)?;
            }
        }
        Ok(())
    }
}

impl Report {
    /// The text report of `tosim sim`: totals per operation, then one line
    /// of statistics per per-operation quantity.
    pub fn to_text(&self) -> String {
        let ops = self.operations.max(1) as f64;
        let mut o = String::new();
        let _ = writeln!(o, "design            {}", self.design);
        let _ = writeln!(o, "operations        {}", self.operations);
        let _ = writeln!(o, "transistors       {}", self.transistors);
        let _ = writeln!(o, "static TOs/op     {}", self.transistors);
        let _ = writeln!(o, "switching TOs/op  {:.2}", self.switching_tos as f64 / ops);
        if let Some(g) = self.glitch_tos {
            let _ = writeln!(o, "glitch TOs/op     {:.2}", g as f64 / ops);
        }
        if let (Some(g), Some(c)) = (self.analog_tos, self.analog_cap_ff) {
            let _ = writeln!(o, "analog TOs/op     {:.2}", g / ops);
            let _ = writeln!(o, "analog cap/op     {:.2} fF", c / ops);
        }
        let _ = writeln!(o, "net toggles/op    {:.2}", self.net_toggles as f64 / ops);
        let _ = writeln!(o, "gate area/op      {:.4} um2", self.switched_gate_area / ops);
        for (k, s) in &self.per_op {
            let _ = writeln!(
                o,
                "per op {k:<14} mean {:.2} std {:.2} min {} p5 {} median {} p95 {} max {}",
                s.mean, s.std, s.min, s.p5, s.median, s.p95, s.max
            );
        }
        o
    }
}

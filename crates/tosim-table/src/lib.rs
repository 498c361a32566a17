//! Operand distributions for floating-point units and micro-programs, and
//! their static and switching TOs.
//!
//! [`FloatDist`] generates IEEE bit patterns of a [`Format`]; [`switching_tos`]
//! runs a netlist on a list of operations in the zero-delay simulator of
//! tosim-sim and returns the switching TOs (toggles × gate loads of the bound
//! cells). A micro-program's costs ([`program_costs`]) are the sums over its
//! steps: static TOs add the transistors of the unit each step uses (one
//! unit instance per step, the published per-primitive TO method);
//! switching TOs come from running the program on the gate-level units
//! ([`tosim_micro::GateRunner`] with the real intermediate values) and
//! simulating, for each unit, the operand stream it saw — each step's
//! operands over all input vectors in input order, then the next step's — so
//! consecutive operations on one unit are the same step on consecutive
//! inputs (a unit per step, inputs streamed through it). The steps − 1
//! transitions between one step's last input and the next step's first are
//! included; with thousands of inputs per step they are negligible.
//!
//! The modules hold the library side of the CLI's cost commands, which only
//! parse arguments and print: [`spec`] names units (integer or float) as the
//! command line does, [`streams`] builds operand streams by name,
//! [`table`] the rows of `tosim table`, [`compare`] those of `tosim compare`,
//! [`statics`] the static cost table of `tosim units --costs` (from
//! `tosim_netlist::stats`, the one stage-depth rule) and [`listing`] the
//! unit list of `tosim units`.

use std::collections::BTreeMap;

pub mod compare;
pub mod listing;
pub mod spec;
pub mod statics;
pub mod streams;
pub mod table;

use serde::Serialize;
use thiserror::Error;
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;
use tosim_sim::{splitmix64_at, HwUnit, HwUnitError, Options, Recorded};

use tosim_micro::{GateRunner, MicroError, MicroProgram};
use tosim_units::float::{FloatError, Format};

/// Why a cost could not be computed.
#[derive(Debug, Error)]
pub enum CostError {
    /// A unit could not be generated.
    #[error(transparent)]
    Float(#[from] FloatError),
    /// A unit could not be bound or compiled.
    #[error(transparent)]
    Unit(#[from] HwUnitError),
    /// A micro-program could not run on its units.
    #[error(transparent)]
    Micro(#[from] MicroError),
    /// An internal invariant failed (a bug).
    #[error("internal error: {what}")]
    Internal {
        /// What.
        what: &'static str,
    },
}

/// How generated floating-point operands are distributed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub enum FloatDist {
    /// Uniform bit patterns of the format's width, NaNs excluded (redrawn).
    Uniform,
    /// Every operand N(0, σ²), rounded to the format (a pre-activation).
    Gaussian {
        /// Standard deviation.
        sigma: f64,
    },
    /// Post-ReLU activation × weight: operand 0 is max(0, N(0, σ²)) (half of
    /// them exactly +0), every other operand a weight N(0, (σ/20)²); unary
    /// units and programs see the post-ReLU value.
    Relu {
        /// Standard deviation before the ReLU.
        sigma: f64,
    },
}

impl FloatDist {
    /// Stable name (`uniform`, `gaussian`, `relu`).
    pub fn name(self) -> &'static str {
        match self {
            FloatDist::Uniform => "uniform",
            FloatDist::Gaussian { .. } => "gaussian",
            FloatDist::Relu { .. } => "relu",
        }
    }

    /// Operations of `ports` operands each, as bit patterns of `f`; the same
    /// `seed` gives the same values (SplitMix64 draws, Box–Muller normals).
    pub fn operands(self, f: Format, ports: usize, count: usize, seed: u64) -> Vec<Vec<u128>> {
        let mut r = Draws { seed, n: 0 };
        let mask = (1u128 << f.width()) - 1;
        (0..count)
            .map(|_| {
                (0..ports)
                    .map(|k| match self {
                        FloatDist::Uniform => loop {
                            let x = r.next() as u128 & mask;
                            if !f.is_nan(x) {
                                break x;
                            }
                        },
                        FloatDist::Gaussian { sigma } => f.round(sigma * r.normal()),
                        FloatDist::Relu { sigma } if k == 0 => f.round((sigma * r.normal()).max(0.0)),
                        FloatDist::Relu { sigma } => f.round(sigma / 20.0 * r.normal()),
                    })
                    .collect()
            })
            .collect()
    }
}

/// SplitMix64 draws in order.
struct Draws {
    seed: u64,
    n: u64,
}

impl Draws {
    fn next(&mut self) -> u64 {
        self.n += 1;
        splitmix64_at(self.seed, self.n - 1)
    }
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    /// A standard normal sample (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit(), self.unit());
        tosim_sim::box_muller(u, v)
    }
}

/// Transistors of `n` with the cells bound to `lib` (static TOs per operation).
pub fn static_tos(n: &Netlist, lib: Option<&Library>) -> Result<u64, CostError> {
    Ok(HwUnit::new(n.clone(), lib)?.transistors())
}

/// Total zero-delay switching TOs of `n` over `ops` (one `Vec` of input bus
/// values per operation, in order), with cells bound to `lib`. The first
/// operation switches from the all-zero state, as in tosim-sim.
pub fn switching_tos(n: &Netlist, lib: Option<&Library>, ops: &[Vec<u128>]) -> Result<u64, CostError> {
    Ok(unit_switching_tos(&HwUnit::new(n.clone(), lib)?, ops))
}

/// Total zero-delay switching TOs of unit `u` over `ops` (as [`switching_tos`]).
pub fn unit_switching_tos(u: &HwUnit, ops: &[Vec<u128>]) -> u64 {
    let k = u.operands();
    let values: Vec<u128> = ops.iter().flat_map(|o| (0..k).map(|i| o.get(i).copied().unwrap_or(0))).collect();
    let stream = Recorded::new(k, values);
    let act = u.count(&stream, &Options { per_op_stats: false, ..Options::default() });
    u.report(&act, false).switching_tos
}

/// Costs of one micro-program evaluation (see the module documentation).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ProgramCost {
    /// Unit operations per evaluation, by unit design name.
    pub unit_ops: BTreeMap<String, usize>,
    /// Σ over steps of the transistors of the step's unit.
    pub static_tos: u64,
    /// Switching TOs per evaluation (total over every unit ÷ input vectors).
    pub switching_tos: f64,
    /// Switching TOs per evaluation by unit design name.
    pub switching_by_unit: BTreeMap<String, f64>,
}

/// Static TOs of `p` and, on `inputs` (one `Vec` of input registers per
/// evaluation), its switching TOs per evaluation.
pub fn program_costs(p: &MicroProgram, lib: Option<&Library>, inputs: &[Vec<u128>]) -> Result<ProgramCost, CostError> {
    let mut c = ProgramCost { unit_ops: p.op_counts(), ..Default::default() };
    let mut nets: BTreeMap<String, HwUnit> = BTreeMap::new();
    for s in &p.steps {
        let Some(name) = s.op.unit_name(p.format) else { continue };
        if let std::collections::btree_map::Entry::Vacant(e) = nets.entry(name) {
            if let Some(n) = s.op.netlist(p.format)? {
                e.insert(HwUnit::new(n, lib)?);
            }
        }
    }
    for (name, &count) in &c.unit_ops {
        let u = nets.get(name).ok_or(CostError::Internal { what: "unit of a counted step" })?;
        c.static_tos += u.transistors() * count as u64;
    }
    if inputs.is_empty() {
        return Ok(c);
    }
    let mut runner = GateRunner::new();
    runner.record = true;
    runner.run(p, inputs)?;
    let evals = inputs.len() as f64;
    for (name, trace) in &runner.traces {
        let u = nets.get(name).ok_or(CostError::Internal { what: "unit of a traced step" })?;
        let s = unit_switching_tos(u, &trace.operands) as f64 / evals;
        c.switching_by_unit.insert(name.clone(), s);
        c.switching_tos += s;
    }
    Ok(c)
}

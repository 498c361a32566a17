//! The operand-dependence study of docs/activity.md (`tosim study activity`).
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

//!
//! The CLI (`src/cmd/study.rs`) parses the arguments, calls [`units`],
//! [`study_unit`] per unit and [`network`], and writes what [`figures`],
//! [`tables`] and [`units_csv`] return.

mod error;
mod figures;
mod network;
mod rng;
mod unit;

/// The floating-point units and operand distributions the study uses: the
/// only imports from tosim-units' float module and tosim-table.
mod float {
    pub(crate) use tosim_table::FloatDist;
    pub(crate) use tosim_units::float::{generate, FloatError, FloatKind, FloatSpec, Format};
}

use serde::Serialize;

pub use error::StudyError;
pub use figures::{figures, tables, units_csv};
pub use network::{network, LayerResult, Network, OpsResult, DIGITS_DATA, DIGITS_MODEL};
pub use unit::{study_unit, units, Num, Point, Unit, UnitResult};

/// The whole study, as `tosim study activity --json` writes it.
#[derive(Serialize, Debug)]
pub struct Study {
    /// Operations per uniform stream.
    pub ops: u64,
    /// Seed of every generated stream.
    pub seed: u64,
    /// Per unit.
    pub units: Vec<UnitResult>,
    /// The network part.
    pub network: Network,
    /// Figure files written.
    pub figures: Vec<String>,
}

//! Energy fidelity of transistor-operation counts (docs/fidelity.md).
//!
//! Units bound to the SKY130 cells are written as transistor-level ngspice
//! decks ([`export`]); [`validate`] runs ngspice on them, reads the energy of
//! every operation and relates it to the TO predictors of the simulators
//! (zero-delay switching TOs, the glitch engine per delay model, switched
//! capacitance, the continuous RC model); [`fit()`] calibrates any predictor
//! column of a CSV against measured energy.
//!
//! Every unit is bound and compiled once as a [`tosim_sim::HwUnit`]: its
//! counts and the output values the SPICE outputs are checked against come
//! from the same program.

mod error;
mod export;
mod fit;
mod options;
mod predict;
mod validate;

pub use error::{EnergyError, ParseError};
pub use export::{export, ExportedChunk};
pub use fit::{fit, FitReport, FitRow};
pub use options::{Circuit, DeckSettings, Driver, Load, Operands, Period};
pub use predict::{predictors, CAP_VARIANTS, GLITCH_VARIANTS};
pub use validate::{validate, CircuitReport, CircuitStart, PredictorReport, Summary, ValidateOptions, ValidateReport};

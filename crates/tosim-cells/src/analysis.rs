//! Switch-level analysis. (Placeholder; the full analysis is being written.)

use thiserror::Error;

use crate::{CellModel, Config, Subckt};

/// An analysis error.
#[derive(Debug, Error)]
pub enum AnalysisError {
    /// Not implemented yet.
    #[error("{cell}: analysis not implemented yet")]
    Unimplemented {
        /// Cell.
        cell: String,
    },
}

/// Analyses one subcircuit.
pub fn analyze(sub: &Subckt, _cfg: &Config) -> Result<CellModel, AnalysisError> {
    Err(AnalysisError::Unimplemented { cell: sub.name.clone() })
}

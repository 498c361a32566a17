//! Library bindings: abstract cells mapped to transistor-level templates.

use std::path::Path;

use thiserror::Error;
use tosim_cells::CellModel;

use crate::{CellType, Netlist};

/// A binding error.
#[derive(Debug, Error)]
pub enum BindError {
    /// Not implemented yet.
    #[error("{0}")]
    Other(String),
}

/// A loaded, checked library binding.
#[derive(Clone, Debug)]
pub struct Library {
    name: String,
}

impl Library {
    /// The textbook library (`circuits/libraries/textbook.toml` over `circuits/cells/cmos.sp`, embedded).
    pub fn textbook() -> Result<Library, BindError> {
        Err(BindError::Other("not implemented yet".into()))
    }

    /// Loads a binding file; `cells_dir` locates foundry SPICE.
    pub fn load(_path: &Path, _cells_dir: Option<&Path>) -> Result<Library, BindError> {
        Err(BindError::Other("not implemented yet".into()))
    }

    /// Library name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One pin-normalised model per `n.types()` entry.
    pub fn bind(&self, _n: &Netlist) -> Result<Vec<CellModel>, BindError> {
        Err(BindError::Other("not implemented yet".into()))
    }

    /// The pins and functions of a library cell that netlists may name directly.
    pub fn cell_type(&self, _name: &str) -> Option<CellType> {
        None
    }
}

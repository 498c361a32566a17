//! Import: Yosys JSON (`write_json`) and structural Verilog.

use std::path::Path;

use thiserror::Error;

use crate::{CellType, Loc, Netlist, NetlistError};

/// Resolves a cell type name that is neither an abstract gate nor a Yosys
/// internal cell (e.g. `sky130_fd_sc_hd__fa_1`) to its pins and functions.
pub type CellResolver<'a> = &'a dyn Fn(&str) -> Option<CellType>;

/// Importer settings.
#[derive(Clone, Copy, Default)]
pub struct ImportOptions<'a> {
    /// Module to import (default: the top module).
    pub top: Option<&'a str>,
    /// Resolver for library cell types.
    pub cell_types: Option<CellResolver<'a>>,
}

impl std::fmt::Debug for ImportOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportOptions").field("top", &self.top).field("cell_types", &self.cell_types.is_some()).finish()
    }
}

/// An import error.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Malformed input.
    #[error("{}:{}: {msg}", loc.file, loc.line)]
    Syntax {
        /// Where.
        loc: Loc,
        /// What.
        msg: String,
    },
    /// A cell type that is neither a gate nor known to the resolver.
    #[error("{}:{}: unknown cell type `{name}`", loc.file, loc.line)]
    UnknownCell {
        /// Type name.
        name: String,
        /// Where.
        loc: Loc,
    },
    /// Something the importer does not support (hierarchy, sequential cells …).
    #[error("{}:{}: {msg}", loc.file, loc.line)]
    Unsupported {
        /// Where.
        loc: Loc,
        /// What and what to do.
        msg: String,
    },
    /// The netlist read is invalid.
    #[error(transparent)]
    Netlist(#[from] NetlistError),
}

/// Reads a Yosys JSON netlist.
pub fn read_yosys_json(text: &str, file: &str, top: Option<&str>) -> Result<Netlist, ImportError> {
    read_yosys_json_with(text, file, &ImportOptions { top, cell_types: None })
}

/// Reads a Yosys JSON netlist with options.
pub fn read_yosys_json_with(_text: &str, file: &str, _opts: &ImportOptions) -> Result<Netlist, ImportError> {
    Err(ImportError::Unsupported { loc: Loc { file: file.into(), line: 0 }, msg: "not implemented yet".into() })
}

/// Reads a structural Verilog netlist.
pub fn read_verilog(text: &str, file: &str, top: Option<&str>) -> Result<Netlist, ImportError> {
    read_verilog_with(text, file, &ImportOptions { top, cell_types: None })
}

/// Reads a structural Verilog netlist with options.
pub fn read_verilog_with(_text: &str, file: &str, _opts: &ImportOptions) -> Result<Netlist, ImportError> {
    Err(ImportError::Unsupported { loc: Loc { file: file.into(), line: 0 }, msg: "not implemented yet".into() })
}

/// Reads a netlist file, choosing the reader by extension (`.json`, `.v`/`.sv`) or content.
pub fn read_file(path: &Path) -> Result<Netlist, ImportError> {
    read_file_with(path, &ImportOptions::default())
}

/// [`read_file`] with options.
pub fn read_file_with(path: &Path, opts: &ImportOptions) -> Result<Netlist, ImportError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ImportError::Io { file: file.clone(), source })?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "json" || (ext != "v" && ext != "sv" && text.trim_start().starts_with('{')) {
        read_yosys_json_with(&text, &file, opts)
    } else {
        read_verilog_with(&text, &file, opts)
    }
}

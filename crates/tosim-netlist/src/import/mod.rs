//! Import: Yosys JSON (`write_json`) and structural Verilog.

use std::path::Path;

use thiserror::Error;

use crate::{CellType, Gate, Loc, Netlist, NetlistError};

mod json;
mod verilog;

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
    /// Malformed Yosys JSON, located at the parser's line.
    #[error("{}:{}: malformed Yosys JSON: {source}", loc.file, loc.line)]
    Json {
        /// Where.
        loc: Loc,
        /// The JSON parser's error.
        #[source]
        source: serde_json::Error,
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
    /// A cell port connected to a number of bits other than one.
    #[error("{}:{}: cell `{cell}` port `{pin}` is connected to {found} bits, expected {expected}", loc.file, loc.line)]
    PortWidth {
        /// Instance name.
        cell: String,
        /// Pin name.
        pin: String,
        /// Bits expected.
        expected: usize,
        /// Bits given.
        found: usize,
        /// Where.
        loc: Loc,
    },
    /// A pin the cell type does not have, or a missing input pin.
    #[error("{}:{}: cell `{cell}` of type `{cell_type}`: {msg}", loc.file, loc.line)]
    Pin {
        /// Instance name.
        cell: String,
        /// Type name.
        cell_type: String,
        /// What is wrong (`unknown pin `Q``, `input pin `B` not connected`).
        msg: String,
        /// Where.
        loc: Loc,
    },
    /// The netlist read is invalid.
    #[error(transparent)]
    Netlist(#[from] NetlistError),
}

/// Reads a Yosys JSON netlist (`write_json`); `file` names the source in errors.
pub fn read_yosys_json(text: &str, file: &str, top: Option<&str>) -> Result<Netlist, ImportError> {
    read_yosys_json_with(text, file, &ImportOptions { top, cell_types: None })
}

/// Reads a Yosys JSON netlist with options.
pub fn read_yosys_json_with(text: &str, file: &str, opts: &ImportOptions) -> Result<Netlist, ImportError> {
    json::read(text, file, opts)
}

/// Reads a structural Verilog netlist; `file` names the source in errors.
pub fn read_verilog(text: &str, file: &str, top: Option<&str>) -> Result<Netlist, ImportError> {
    read_verilog_with(text, file, &ImportOptions { top, cell_types: None })
}

/// Reads a structural Verilog netlist with options.
pub fn read_verilog_with(text: &str, file: &str, opts: &ImportOptions) -> Result<Netlist, ImportError> {
    verilog::read(text, file, opts)
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

/// What a cell type name denotes.
pub(crate) enum Resolved {
    /// An abstract gate (also for Yosys internal gate cells).
    Gate(Gate),
    /// A library cell type from the resolver.
    Type(CellType),
}

impl Resolved {
    pub(crate) fn cell_type(&self) -> CellType {
        match self {
            Resolved::Gate(g) => g.cell_type(),
            Resolved::Type(t) => t.clone(),
        }
    }
}

/// Resolves a cell type name: Yosys gate cells, our abstract gate names, then the resolver.
pub(crate) fn resolve(name: &str, opts: &ImportOptions, loc: &Loc) -> Result<Resolved, ImportError> {
    if let Some(g) = Gate::from_yosys(name).or_else(|| Gate::ALL.iter().copied().find(|g| g.name() == name)) {
        return Ok(Resolved::Gate(g));
    }
    if let Some(t) = opts.cell_types.and_then(|f| f(name)) {
        return Ok(Resolved::Type(t));
    }
    if let Some(rest) = name.strip_prefix('$') {
        let msg = if rest.starts_with("_DFF")
            || rest.starts_with("_DLATCH")
            || rest.starts_with("_SR")
            || rest.contains("dff")
        {
            format!("sequential cell `{name}`: only combinational netlists are supported")
        } else {
            format!("word-level cell `{name}`: map it to gates first (yosys: `synth -flatten; abc -g AND,NAND,OR,NOR,XOR,XNOR,ANDNOT,ORNOT,MUX,AOI3,OAI3,AOI4,OAI4`)")
        };
        return Err(ImportError::Unsupported { loc: loc.clone(), msg });
    }
    Err(ImportError::UnknownCell { name: name.to_string(), loc: loc.clone() })
}

/// The module called `top` among the modules `names` (its index).
pub(crate) fn named_module(names: &[&str], top: &str, loc: Loc) -> Result<usize, ImportError> {
    names
        .iter()
        .position(|n| *n == top)
        .ok_or_else(|| ImportError::Syntax { loc, msg: format!("no module `{top}` (modules: {})", names.join(", ")) })
}

/// The one root module (instantiated by no other) among `roots`, indices
/// into the modules `names`; none or several are errors.
pub(crate) fn single_root(names: &[&str], roots: &[usize], loc: Loc) -> Result<usize, ImportError> {
    match roots {
        [one] => Ok(*one),
        [] => Err(ImportError::Syntax { loc, msg: "no top module found".into() }),
        many => Err(ImportError::Syntax {
            loc,
            msg: format!(
                "several top modules ({}): choose one",
                many.iter().map(|&i| names[i]).collect::<Vec<_>>().join(", ")
            ),
        }),
    }
}

/// 1-based line of the first occurrence of `needle` in `text` (0 when absent).
pub(crate) fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map(|p| text[..p].bytes().filter(|&b| b == b'\n').count() + 1).unwrap_or(0)
}

//! Errors of deck writing, ngspice runs and result parsing.

use thiserror::Error;

/// Everything that can go wrong between a netlist and a measured energy.
#[derive(Debug, Error)]
pub enum SpiceError {
    /// A file could not be read or written.
    #[error("{file}: {source}")]
    Io {
        /// File or directory.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The library binding file is malformed or unsupported for decks.
    #[error("{file}: {msg}")]
    Binding {
        /// Binding file.
        file: String,
        /// What is wrong.
        msg: String,
    },
    /// The library binding file is not valid TOML of the binding format.
    #[error("{file}: {source}")]
    BindingSyntax {
        /// Binding file.
        file: String,
        /// The TOML parser's error (boxed: it is large).
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A netlist cell type the binding does not map to a template.
    #[error("{file}: no template for cell type `{cell}` (instance `{instance}`)")]
    Unbound {
        /// Binding file.
        file: String,
        /// Cell type.
        cell: String,
        /// Instance name.
        instance: String,
    },
    /// A template pin that the deck writer cannot connect.
    #[error("{file}: template `{template}` pin `{pin}`: {msg}")]
    Pin {
        /// Template SPICE file.
        file: String,
        /// Template subcircuit.
        template: String,
        /// Pin.
        pin: String,
        /// What is wrong.
        msg: String,
    },
    /// The template subcircuit was not found in the PDK folder.
    #[error("template `{template}` not found: {file} has no `.subckt {template}`")]
    Template {
        /// Where it was looked for.
        file: String,
        /// Subcircuit name.
        template: String,
    },
    /// The PDK folders are incomplete.
    #[error("PDK: {msg}")]
    Pdk {
        /// What is missing.
        msg: String,
    },
    /// The operand stream does not fit the netlist.
    #[error("stream: {msg}")]
    Stream {
        /// What is wrong.
        msg: String,
    },
    /// ngspice could not be started or failed.
    #[error("ngspice in {dir}: {msg}")]
    Ngspice {
        /// Deck directory.
        dir: String,
        /// What happened (the log's last lines when it ran).
        msg: String,
    },
    /// ngspice could not be started.
    #[error("ngspice in {dir}: cannot run `{ngspice}`: {source}")]
    NgspiceStart {
        /// Deck directory.
        dir: String,
        /// The command.
        ngspice: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// An ngspice output file holds a value that is not a number.
    #[error("{file}:{line}: {source}")]
    Number {
        /// File.
        file: String,
        /// Line (1-based).
        line: usize,
        /// Cause.
        #[source]
        source: std::num::ParseFloatError,
    },
    /// An ngspice output file could not be parsed.
    #[error("{file}:{line}: {msg}")]
    Parse {
        /// File.
        file: String,
        /// Line (1-based).
        line: usize,
        /// What is wrong.
        msg: String,
    },
}

impl SpiceError {
    pub(crate) fn io(file: &std::path::Path, source: std::io::Error) -> Self {
        SpiceError::Io { file: file.display().to_string(), source }
    }
}

//! Errors of the energy pipeline.

use std::path::PathBuf;

use thiserror::Error;
use tosim_netlist::library::BindError;
use tosim_sim::{AnalogError, HwUnitError, StageError, StreamError};
use tosim_units::UnitError;

/// Why a setting or a circuit could not be parsed.
#[derive(Debug, Error)]
pub enum ParseError {
    /// `--period-ns` is neither a number nor `auto`.
    #[error("--period-ns `{0}` is not a number or `auto`")]
    Period(String),
    /// `--load` is neither `inv` nor a number.
    #[error("--load `{0}`: expected `inv` or a capacitance in fF")]
    Load(String),
    /// `--driver` is neither `cells` nor `ideal`.
    #[error("--driver `{0}`: expected `cells` or `ideal`")]
    Driver(String),
    /// A circuit's `@count` is not a number.
    #[error("circuit `{circuit}`: count `{count}` is not a number")]
    Count {
        /// The circuit as written.
        circuit: String,
        /// The count as written.
        count: String,
    },
    /// A circuit is not `kind:arch:width`.
    #[error("circuit `{0}`: expected kind:arch:width, e.g. add:ripple:8")]
    Shape(String),
    /// Unknown unit kind.
    #[error("circuit `{circuit}`: unknown kind `{kind}`")]
    Kind {
        /// The circuit as written.
        circuit: String,
        /// The kind as written.
        kind: String,
    },
    /// Unknown architecture.
    #[error("circuit `{circuit}`: unknown architecture `{arch}`")]
    Arch {
        /// The circuit as written.
        circuit: String,
        /// The architecture as written.
        arch: String,
    },
    /// The width is not a number.
    #[error("circuit `{circuit}`: width `{width}` is not a number")]
    Width {
        /// The circuit as written.
        circuit: String,
        /// The width as written.
        width: String,
    },
    /// The unit does not exist (architecture not available for the kind, width out of range).
    #[error("circuit `{circuit}`")]
    Unit {
        /// The circuit as written.
        circuit: String,
        /// Why the unit does not exist.
        #[source]
        source: Box<UnitError>,
    },
}

/// Why the energy pipeline failed.
#[derive(Debug, Error)]
pub enum EnergyError {
    /// A setting or a circuit is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// An input bus is wider than a stream operand.
    #[error("input bus of {width} bits: streams hold operands of at most 128 bits")]
    WideBus {
        /// The bus width.
        width: u32,
    },
    /// The operand stream could not be read or generated.
    #[error("the operand stream")]
    Stream(#[from] StreamError),
    /// A unit could not be generated.
    #[error("generating {unit}")]
    Generate {
        /// Design name.
        unit: String,
        /// The generator's error.
        #[source]
        source: Box<UnitError>,
    },
    /// The library binding could not be loaded.
    #[error("loading the library binding")]
    Library(#[source] Box<BindError>),
    /// A unit could not be bound or compiled.
    #[error(transparent)]
    Unit(Box<HwUnitError>),
    /// Deck, PDK, binding or ngspice failure.
    #[error(transparent)]
    Spice(#[from] tosim_spice::SpiceError),
    /// A template cell's SPICE file could not be read.
    #[error("{}: reading {cell}", file.display())]
    CellFile {
        /// The template file.
        file: PathBuf,
        /// The subcircuit looked for.
        cell: String,
        /// The reader's error.
        #[source]
        source: Box<tosim_cells::SpiceError>,
    },
    /// A template file has no subcircuit of the expected name.
    #[error("{}: no {cell}", file.display())]
    NoTemplate {
        /// The template file.
        file: PathBuf,
        /// The subcircuit looked for.
        cell: String,
    },
    /// A template cell could not be analysed.
    #[error("analysing {cell}")]
    CellAnalysis {
        /// The subcircuit.
        cell: String,
        /// The analysis error.
        #[source]
        source: Box<tosim_cells::AnalysisError>,
    },
    /// The stage netlist with the deck's capacitance could not be built.
    #[error("{unit}: CMOS stages with the deck's capacitance")]
    Stages {
        /// Design name.
        unit: String,
        /// The stage builder's error.
        #[source]
        source: Box<StageError>,
    },
    /// The continuous RC model failed.
    #[error("{unit}: the continuous RC model")]
    Analog {
        /// Design name.
        unit: String,
        /// The model's error.
        #[source]
        source: AnalogError,
    },
    /// A stream file was given for several circuits.
    #[error("--stream applies to one circuit (its operands fit that circuit's ports); use --count/--seed for several")]
    StreamForSeveral,
    /// No circuit to validate.
    #[error("no circuit to validate")]
    NoCircuits,
    /// A file could not be read or written.
    #[error("{what} {}", path.display())]
    Io {
        /// `reading`, `writing` or `creating`.
        what: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A report could not be serialised.
    #[error("writing the JSON report")]
    Json(#[from] serde_json::Error),
    /// A CSV for `tosim fit` has no header.
    #[error("{}: empty file", path.display())]
    EmptyCsv {
        /// The file.
        path: PathBuf,
    },
    /// A CSV row has another number of fields than the header.
    #[error("{}:{line}: {fields} fields, header has {header}", path.display())]
    CsvFields {
        /// The file.
        path: PathBuf,
        /// Line number (1-based).
        line: usize,
        /// Fields of the line.
        fields: usize,
        /// Fields of the header.
        header: usize,
    },
    /// The energy column is missing or not numeric.
    #[error("{}: no numeric column `{column}` (columns: {})", path.display(), columns.join(", "))]
    NoEnergyColumn {
        /// The file.
        path: PathBuf,
        /// The energy column asked for.
        column: String,
        /// The columns of the file.
        columns: Vec<String>,
    },
    /// A predictor column is missing or not numeric.
    #[error("{}: no numeric column `{column}`", path.display())]
    NoColumn {
        /// The file.
        path: PathBuf,
        /// The column asked for.
        column: String,
    },
    /// No predictor column to fit.
    #[error("{}: no predictor columns", path.display())]
    NoPredictors {
        /// The file.
        path: PathBuf,
    },
}

impl From<HwUnitError> for EnergyError {
    fn from(e: HwUnitError) -> EnergyError {
        EnergyError::Unit(Box::new(e))
    }
}

impl EnergyError {
    pub(crate) fn io(what: &'static str, path: &std::path::Path) -> impl FnOnce(std::io::Error) -> EnergyError {
        let path = path.to_path_buf();
        move |source| EnergyError::Io { what, path, source }
    }
}

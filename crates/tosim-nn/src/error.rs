//! Errors of the network layer: every variant names the file and the place.

use std::path::PathBuf;

/// Everything that can go wrong loading a model or data set or running a network.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but holds no bytes.
    #[error("{path}: empty file")]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The ONNX file is not valid protobuf (truncated, bad wire type, bad varint, bad UTF-8).
    #[error("{path}: corrupt ONNX protobuf at byte {offset} in {context}: {what}")]
    CorruptOnnx {
        /// The file.
        path: PathBuf,
        /// Byte offset in the file where decoding failed.
        offset: usize,
        /// Which message and field was being decoded (e.g. `GraphProto.node`).
        context: String,
        /// What was wrong.
        what: String,
    },
    /// The ONNX file decodes but does not describe a network tosim can run.
    #[error("{path}: invalid model: {what}")]
    InvalidModel {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// A node uses an operator the network layer does not implement.
    #[error("{path}: unsupported operator {op_type} (domain {domain:?}) in node {node:?}")]
    UnsupportedOp {
        /// The file.
        path: PathBuf,
        /// ONNX operator type, e.g. `Conv`.
        op_type: String,
        /// Operator domain (`""` is the default ONNX domain).
        domain: String,
        /// Node name (may be empty in the file; then the node's first output is given).
        node: String,
    },
    /// A supported operator is used in a way the network layer does not implement
    /// or with inconsistent operands (wrong shapes, missing weights, bad attribute).
    #[error("{path}: node {node:?} ({op_type}): {what}")]
    BadNode {
        /// The file.
        path: PathBuf,
        /// Node name.
        node: String,
        /// ONNX operator type.
        op_type: String,
        /// What was wrong.
        what: String,
    },
    /// A `.npy` file is malformed or holds a layout tosim does not read.
    #[error("{path}: bad .npy file: {what}")]
    BadNpy {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// Data values that cannot be quantised (NaN or infinity).
    #[error("{path}: non-finite value {value} at sample {sample}, feature {feature}")]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Sample (row) index.
        sample: usize,
        /// Feature (column) index within the sample.
        feature: usize,
        /// The value, as text (`NaN`, `inf`, `-inf`).
        value: String,
    },
    /// The data does not fit the model (feature count, label count, sample count).
    #[error("{path}: shape mismatch: {what}")]
    ShapeMismatch {
        /// The data file.
        path: PathBuf,
        /// What was expected and what was found.
        what: String,
    },
    /// Quantisation is impossible (an accumulator could overflow, a scale is zero…).
    #[error("layer {layer:?}: {what}")]
    Quantise {
        /// Layer name.
        layer: String,
        /// What was wrong.
        what: String,
    },
    /// A layer's fixed-point micro-program (sigmoid, tanh, softmax) cannot be built.
    #[error("layer {layer:?}: its fixed-point program")]
    Program {
        /// Layer name.
        layer: String,
        /// Why.
        #[source]
        source: Box<tosim_micro::fixed::FixedError>,
    },
    /// A hardware profile is not valid TOML.
    #[error("{path}: bad hardware profile")]
    ProfileToml {
        /// The profile file.
        path: PathBuf,
        /// The TOML parser's error (with line and column).
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A gate-level unit could not be built.
    #[error(transparent)]
    Hardware(Box<HardwareError>),
    /// A hardware profile is malformed or names an unknown architecture.
    #[error("{path}: bad hardware profile: {what}")]
    BadProfile {
        /// The profile file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
}

impl From<HardwareError> for NnError {
    fn from(e: HardwareError) -> Self {
        NnError::Hardware(Box::new(e))
    }
}

/// A gate-level unit could not be generated, bound to cells or compiled.
#[derive(Debug, thiserror::Error)]
pub enum HardwareError {
    /// An integer unit could not be generated (or its reference evaluated).
    #[error("unit {unit}: generating it")]
    Generate {
        /// The unit's design name (e.g. `mul_dadda_s8_kogge_stone`).
        unit: String,
        /// The generator's error.
        #[source]
        source: tosim_units::UnitError,
    },
    /// A float unit or selector could not be generated (or its reference evaluated).
    #[error("unit {unit}")]
    GenerateFloat {
        /// The unit's design name.
        unit: String,
        /// The generator's error.
        #[source]
        source: tosim_units::float::FloatError,
    },
    /// The profile's cell library could not be loaded.
    #[error("library {name}")]
    Library {
        /// The binding's name or file.
        name: String,
        /// The library's error.
        #[source]
        source: tosim_netlist::library::BindError,
    },
    /// A unit could not be bound to the library or compiled.
    #[error(transparent)]
    Unit(#[from] tosim_sim::HwUnitError),
    /// Anything else about a unit (an internal inconsistency).
    #[error("unit {unit}: {what}")]
    Other {
        /// The unit.
        unit: String,
        /// What went wrong.
        what: String,
    },
}

/// Result with [`NnError`].
pub type Result<T, E = NnError> = std::result::Result<T, E>;

/// An error and its causes, joined by `: ` (as `anyhow` prints them with `{:#}`).
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

//! SPICE subcircuit reader. (Placeholder types; the full reader is being written.)

use thiserror::Error;

/// Channel type of a MOSFET.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Polarity {
    /// n-channel.
    N,
    /// p-channel.
    P,
}

/// One MOSFET of a subcircuit.
#[derive(Clone, Debug, PartialEq)]
pub struct Mosfet {
    /// Instance name (`M1`, `X12`).
    pub name: String,
    /// Drain node.
    pub drain: String,
    /// Gate node.
    pub gate: String,
    /// Source node.
    pub source: String,
    /// Bulk node.
    pub bulk: String,
    /// Model name.
    pub model: String,
    /// Channel type from the model name.
    pub polarity: Polarity,
    /// Width in µm, when given.
    pub w: Option<f64>,
    /// Length in µm, when given.
    pub l: Option<f64>,
    /// Source line (1-based).
    pub line: usize,
}

/// A parsed `.subckt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Subckt {
    /// Name.
    pub name: String,
    /// Pins in order.
    pub pins: Vec<String>,
    /// Transistors.
    pub mosfets: Vec<Mosfet>,
    /// File name as given to the reader.
    pub file: String,
    /// Line of the `.subckt` card.
    pub line: usize,
}

/// Reader and analysis settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Supply pin names (case-insensitive).
    pub supply: Vec<String>,
    /// Ground pin names (case-insensitive).
    pub ground: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            supply: ["VDD", "VPWR", "VPB"].map(String::from).to_vec(),
            ground: ["VSS", "GND", "VGND", "VNB"].map(String::from).to_vec(),
        }
    }
}

/// A SPICE reading error.
#[derive(Debug, Error)]
pub enum SpiceError {
    /// Not implemented yet.
    #[error("{file}: SPICE reader not implemented yet")]
    Unimplemented {
        /// File.
        file: String,
    },
}

/// Parses every subcircuit in `text`; `file` names the source in errors.
pub fn parse_spice(_text: &str, file: &str, _cfg: &Config) -> Result<Vec<Subckt>, SpiceError> {
    Err(SpiceError::Unimplemented { file: file.to_string() })
}

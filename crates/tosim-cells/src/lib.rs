//! Transistor-level CMOS cells for tosim.
//!
//! A cell starts as a SPICE subcircuit of MOSFETs. [`parse_spice`] (or
//! [`read_spice_file`]) reads the text into [`Subckt`]s: `M…` cards, or `X…`
//! cards whose model name matches a MOSFET pattern (SKY130's extracted
//! netlists), with sizes in µm; SPICE and CDL files both work. [`analyze`]
//! resolves every node through the conducting transistor paths for every
//! input combination and returns a [`CellModel`]: the Boolean function of each
//! output and of each internal node that drives a gate, the transistor count,
//! the gate load of every signal and the stage structure. Every transistor
//! count tosim reports comes from here; none is typed into Rust code.
//!
//! Errors are typed. [`SpiceError`] names the file and line of malformed text.
//! [`AnalysisError`] separates malformed circuits (a node that fights or
//! floats, with the cell, node and input combination) from cells that are well
//! formed but not combinational static logic — sequential, tristate, analog,
//! hierarchical or with more than [`MAX_INPUTS`] inputs — which are
//! [`AnalysisError::Unsupported`] with a reason ([`AnalysisError::is_unsupported`]).
//!
//! ```
//! use tosim_cells::{parse_spice, analyze, Config, PinId};
//! let text = "\
//! .subckt INV A Y VDD VSS
//! MP Y A VDD VDD pmos w=2u l=0.15u
//! MN Y A VSS VSS nmos w=1u l=0.15u
//! .ends
//! ";
//! let cfg = Config::default();
//! let subckts = parse_spice(text, "inv.sp", &cfg).unwrap();
//! let inv = analyze(&subckts[0], &cfg).unwrap();
//! assert_eq!(inv.transistors(), 2);
//! assert_eq!(inv.functions[0].bits(), 0b01); // Y = !A
//! assert_eq!(inv.functions[0].expression(&["A"]), "!A");
//! // A drives two gates: 2 µm × 0.15 µm + 1 µm × 0.15 µm = 0.45 µm².
//! let a = inv.input_signal(PinId(0)).unwrap();
//! assert_eq!(a.gate_count, 2);
//! assert!((a.gate_area - 0.45).abs() < 1e-9);
//! ```

mod analysis;
mod expr;
pub mod files;
mod id;
mod model;
pub mod report;
mod spice;
mod truth;

pub use analysis::{analyze, AnalysisError, UnsupportedKind};
pub use id::{PinId, SignalId, StageId};
pub use model::{CellModel, Signal, SignalKind, Stage};
pub use spice::{
    parse_number, parse_spice, parse_spice_bytes, read_spice_file, Config, Device, DeviceKind, Mosfet, Polarity,
    SpiceError, Subckt,
};
pub use truth::{GateMatcher, TruthTable, MAX_INPUTS};

//! Transistor-level CMOS cells for tosim.
//!
//! A cell starts as a SPICE subcircuit of MOSFETs. [`parse_spice`] reads the
//! text into [`Subckt`]s; [`analyze`] resolves every node through the
//! conducting transistor paths for every input combination and returns a
//! [`CellModel`]: the Boolean function of each output and of each internal
//! node that drives a gate, the transistor count, the gate load of every
//! signal and the stage structure. Every transistor count tosim reports comes
//! from here; none is typed into Rust code.
//!
//! ```
//! use tosim_cells::{parse_spice, analyze, Config};
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
//! ```

mod analysis;
mod expr;
mod model;
mod spice;
mod truth;

pub use analysis::{analyze, AnalysisError, UnsupportedKind};
pub use model::{CellModel, Signal, SignalKind, Stage};
pub use spice::{
    parse_number, parse_spice, parse_spice_bytes, read_spice_file, Config, Device, DeviceKind, Mosfet, Polarity,
    SpiceError, Subckt,
};
pub use truth::{TruthTable, MAX_INPUTS};

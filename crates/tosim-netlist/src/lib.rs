//! The netlist: cells and nets, checked and levelised.
//!
//! Generators and importers build a [`Netlist`] (struct-of-arrays tables over
//! `u32` ids, fan-in in CSR form, LSB-first named buses) through
//! [`NetlistBuilder`], which checks drivers, pin counts and loops; [`eval`] is
//! the scalar reference evaluator. Around it:
//!
//! - [`import`]: Yosys JSON and structural Verilog readers;
//! - [`export`]: structural Verilog with behavioural cell models (Icarus and
//!   Verilator run them as they are), Yosys JSON, Graphviz DOT;
//! - [`library`]: bindings of abstract cells to transistor-level templates,
//!   checked function by function, giving pin-normalised [`tosim_cells::CellModel`]s;
//! - [`stats`]: cells by type, transistors, depth in cells and CMOS stages.
//!
//! Format details and the Yosys comparison are in `docs/netlist.md`.
//!
//! ```
//! use tosim_netlist::{eval, Gate, NetlistBuilder};
//! let mut b = NetlistBuilder::new("xor");
//! let a = b.add_input_bus("a", 1);
//! let c = b.add_input_bus("b", 1);
//! let y = b.gate(Gate::Xor2, &[a[0], c[0]]);
//! b.add_output_bus("y", &[y]);
//! let n = b.finish().unwrap();
//! assert_eq!(eval(&n, &[1, 0]), vec![1]);
//! assert_eq!(eval(&n, &[1, 1]), vec![0]);
//! ```

mod error;
mod eval;
pub mod export;
mod gate;
mod graph;
pub mod import;
pub mod library;
mod netlist;
pub mod stats;
mod validate;

pub use error::NetlistError;
pub use eval::{eval, eval_nets};
pub use gate::{CellType, Gate};
pub use netlist::{Bus, CellId, Driver, Loc, NetId, Netlist, NetlistBuilder, TypeId, CONST0, CONST1};

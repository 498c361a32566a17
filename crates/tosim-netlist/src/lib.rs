//! The netlist: cells and nets, checked and levelised.
//!
//! Generators and importers build a [`Netlist`] through [`NetlistBuilder`];
//! [`eval`] is the scalar reference evaluator.
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

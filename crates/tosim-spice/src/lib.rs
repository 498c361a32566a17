//! Transistor-level ngspice decks of tosim netlists, energy per operation,
//! and the statistics that compare it with transistor-operation counts.
//!
//! [`build`] binds a [`tosim_netlist::Netlist`] of abstract cells to a foundry
//! library through a [`Binding`] (e.g. `circuits/libraries/sky130_hd.toml`,
//! SkyWater SKY130 `sky130_fd_sc_hd__*_1` cells), copies each cell's own
//! transistor netlist from the PDK ([`Pdk`]), adds supplies, input drivers,
//! output loads and a piecewise-linear stimulus that applies one operation
//! per period, and writes a `.control` block that saves the supply currents
//! and the output voltages. [`run_ngspice`] runs it in batch mode and
//! [`read_results`] integrates the energy drawn from every supply in every
//! period, samples the outputs and measures how settled each period ends
//! ([`Measured`]). [`run_chunked`] splits a long stream across processes.
//! [`stats`] holds the least-squares fit `E = a·x + b`, Pearson r, mean
//! relative error, k-fold cross-validation and transfer of the energy per
//! unit between circuits.
//!
//! ```
//! use tosim_spice::stats::{fit, kfold_mre};
//! // Energy exactly 2 fJ per switching TO plus 5 fJ: the fit recovers it.
//! let tos = [10.0, 40.0, 25.0, 70.0, 5.0];
//! let energy: Vec<f64> = tos.iter().map(|t| 2.0 * t + 5.0).collect();
//! let f = fit(&tos, &energy).unwrap();
//! assert!((f.a - 2.0).abs() < 1e-9 && (f.b - 5.0).abs() < 1e-9);
//! assert!(kfold_mre(&tos, &energy, 5).unwrap() < 1e-9);
//! ```

mod binding;
mod chunks;
mod deck;
mod error;
pub mod pdk;
mod run;
pub mod stats;

pub use binding::{Binding, Template};
pub use chunks::run_chunked;
pub use deck::{build, Deck, DeckOptions, InputDriver, OutputLoad, Probe, Supply};
pub use error::SpiceError;
pub use pdk::Pdk;
pub use run::{read_results, run_ngspice, Measured};

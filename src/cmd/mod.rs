//! One module per command family; each owns its arguments and output.

pub mod cells;
pub mod net;
pub mod netlist;
pub mod plot;
pub mod sim;
pub mod spice;
pub mod study;
pub mod sweep;
pub mod table;
pub mod units;

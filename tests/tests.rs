//! End-to-end and cross-check tests: one binary, one module per area.

mod cells;
mod float;
mod netlist;
mod nn;
mod sim;
mod sky130;
mod spice;
mod support;
mod units;

//! End-to-end and cross-check tests: one binary, one module per area.

mod cells;
mod float;
mod golden;
mod netlist;
mod nn;
mod nn_float;
mod nn_sweep;
mod sim;
mod sky130;
mod spice;
mod study;
mod support;
mod units;

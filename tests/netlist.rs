//! Tests: netlist.

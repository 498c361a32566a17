//! Tests: sky130.

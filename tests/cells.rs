//! Tests: cells.

//! tosim-units (being written).

//! tosim-sim (being written).

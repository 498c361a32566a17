//! tosim-nn (being written).

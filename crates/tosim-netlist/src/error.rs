//! Netlist errors.

use thiserror::Error;

use crate::Loc;

fn at(loc: &Loc) -> String {
    if loc.file.is_empty() {
        String::new()
    } else if loc.line == 0 {
        format!("{}: ", loc.file)
    } else {
        format!("{}:{}: ", loc.file, loc.line)
    }
}

/// Everything that can be wrong with a netlist.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum NetlistError {
    /// Two different cell types share one name.
    #[error("cell type `{name}` defined twice with different pins or functions")]
    TypeConflict {
        /// Type name.
        name: String,
    },
    /// A port name is used twice.
    #[error("port `{name}` declared twice")]
    DuplicatePort {
        /// Port name.
        name: String,
    },
    /// A net id outside the netlist.
    #[error("net id {} does not exist", net.0)]
    UnknownNet {
        /// The id.
        net: crate::NetId,
    },
    /// A net with more than one driver.
    #[error("{}net `{net}` has more than one driver", at(loc))]
    MultipleDrivers {
        /// Net name.
        net: String,
        /// Where the second driver was declared.
        loc: Loc,
    },
    /// A net that is read but never driven.
    #[error("{}net `{net}` is read by cell `{cell}` but never driven", at(loc))]
    Undriven {
        /// Net name.
        net: String,
        /// A cell (or output port) reading it.
        cell: String,
        /// Where the reader was declared.
        loc: Loc,
    },
    /// Pin counts that do not match the cell type.
    #[error("{}cell `{cell}` of type `{cell_type}` has {} inputs and {} outputs, expected {} and {}", at(loc), found.0, found.1, expected.0, expected.1)]
    PinCount {
        /// Instance name.
        cell: String,
        /// Type name.
        cell_type: String,
        /// (inputs, outputs) of the type.
        expected: (usize, usize),
        /// (inputs, outputs) given.
        found: (usize, usize),
        /// Where.
        loc: Loc,
    },
    /// A combinational loop.
    #[error("{}combinational loop through cells {}", at(loc), cells.join(" -> "))]
    Loop {
        /// Instance names of the cells on the loop, in loop order.
        cells: Vec<String>,
        /// Where the first of them was declared.
        loc: Loc,
    },
}

impl NetlistError {
    /// The error with `file` filled into its location when that has none.
    pub(crate) fn with_file(mut self, file: &str) -> Self {
        let loc = match &mut self {
            NetlistError::MultipleDrivers { loc, .. }
            | NetlistError::Undriven { loc, .. }
            | NetlistError::PinCount { loc, .. }
            | NetlistError::Loop { loc, .. } => loc,
            _ => return self,
        };
        if loc.file.is_empty() {
            loc.file = file.to_string();
        }
        self
    }
}

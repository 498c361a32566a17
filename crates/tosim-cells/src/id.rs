//! Typed indices: one newtype per kind of table row, so that an index into
//! one table cannot be passed where another is meant.

/// Declares a `u32` index newtype: `#[repr(transparent)]`, `Copy`, ordered,
/// hashable, with [`index`](PinId::index) (the table index) and
/// `from_index`. Attributes before the name (doc comments, extra derives)
/// are kept. Used by tosim-cells, tosim-netlist and tosim-sim for their ids.
#[macro_export]
macro_rules! id_type {
    ($(#[$attr:meta])* $name:ident) => {
        $(#[$attr])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        #[repr(transparent)]
        pub struct $name(pub u32);
        impl $name {
            /// The id as a table index.
            #[inline]
            pub fn index(self) -> usize {
                self.0 as usize
            }
            /// The id of table index `i` (at most `u32::MAX`).
            #[inline]
            pub fn from_index(i: usize) -> Self {
                debug_assert!(i <= u32::MAX as usize, "index {i} does not fit an id");
                $name(i as u32)
            }
        }
    };
}

id_type!(
    /// A pin of a cell: index into [`crate::CellModel::inputs`] (input pins)
    /// or [`crate::CellModel::outputs`] (output pins), in subcircuit pin order.
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    PinId
);
id_type!(
    /// A signal of a cell: index into [`crate::CellModel::signals`].
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    SignalId
);
id_type!(
    /// A CMOS stage of a cell: index into [`crate::CellModel::stages`].
    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(transparent)]
    StageId
);

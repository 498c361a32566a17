//! The result of analysing one cell: what every later crate needs to know.

use serde::{Deserialize, Serialize};

use crate::{PinId, SignalId, StageId, TruthTable};

/// Where a signal of a cell comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// An input pin (index into [`CellModel::inputs`]).
    Input(PinId),
    /// An output pin (index into [`CellModel::outputs`]).
    Output(PinId),
    /// A node inside the cell that drives at least one transistor gate.
    Internal,
}

/// A signal of a cell: an input pin, an output pin, or an internal node that
/// drives transistor gates. Every node whose level can switch a transistor is one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    /// Node name as written in the SPICE netlist.
    pub name: String,
    /// Input, output or internal.
    pub kind: SignalKind,
    /// The node's settled value as a function of the cell inputs.
    pub function: TruthTable,
    /// Number of MOSFET gate terminals this node drives inside the cell.
    pub gate_count: u32,
    /// Sum of W·L over those gates, in µm² (0 when the netlist gives no sizes).
    pub gate_area: f64,
    /// CMOS stage depth: 0 for inputs; for a node restored by stage `s`,
    /// `1 +` the largest depth among the signals that drive gates of `s`.
    pub depth: u32,
    /// The stage in [`CellModel::stages`] that restores this node
    /// (`None` for inputs).
    pub stage: Option<StageId>,
}

/// One CMOS stage: a channel-connected group of transistors between the rails,
/// its gate-driving signals and the nodes it restores.
///
/// Channel-connected components are split at the rails and the input pins, so
/// a transmission gate belongs to the stage of the node it drives. Components
/// that gate each other in a loop which settles for every input combination
/// (level shifters, some pass-transistor cells) form one stage; such a stage's
/// own nodes also gate its transistors, and `gate_inputs` lists only the
/// signals that come from outside it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// The signals in [`CellModel::signals`] this stage reads,
    /// ascending: those on its gates, and the input pins its channels touch
    /// (data inputs of pass transistors and transmission gates). The stage's
    /// nodes are functions of these signals.
    pub gate_inputs: Vec<SignalId>,
    /// The nodes in [`CellModel::signals`] this stage drives.
    pub outputs: Vec<SignalId>,
    /// n-channel transistors in the stage.
    pub nmos: u32,
    /// p-channel transistors in the stage.
    pub pmos: u32,
    /// Longest series chain of n transistors from an output of the stage to
    /// ground (parallel devices count once; 0 when no n path reaches ground).
    pub n_stack: u32,
    /// Longest series chain of p transistors from an output of the stage to
    /// supply (parallel devices count once; 0 when no p path reaches supply).
    pub p_stack: u32,
    /// Sum of W/L of the stage's nmos devices (1 per device when unsized).
    pub n_strength: f64,
    /// Sum of W/L of the stage's pmos devices (1 per device when unsized).
    pub p_strength: f64,
    /// Stage depth (see [`Signal::depth`]).
    pub depth: u32,
}

/// A combinational cell derived from its transistor netlist.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CellModel {
    /// Subcircuit name.
    pub name: String,
    /// File the subcircuit came from (as given to the reader).
    pub file: String,
    /// Line of its `.subckt` card (1-based).
    pub line: usize,
    /// Input pins, in subcircuit pin order.
    pub inputs: Vec<String>,
    /// Output pins, in subcircuit pin order.
    pub outputs: Vec<String>,
    /// Number of n-channel transistors.
    pub nmos: u32,
    /// Number of p-channel transistors.
    pub pmos: u32,
    /// Per output (same order as `outputs`): its function of the inputs.
    pub functions: Vec<TruthTable>,
    /// Every input, every gate-driving internal node and every output.
    /// Inputs come first in pin order; the rest in stage order.
    pub signals: Vec<Signal>,
    /// Stages in topological order: a stage's `gate_inputs` are inputs or
    /// signals of earlier stages.
    pub stages: Vec<Stage>,
}

impl CellModel {
    /// Total transistor count: the cell's static TOs per use.
    pub fn transistors(&self) -> u32 {
        self.nmos + self.pmos
    }

    /// Index of the input pin called `name` (case-insensitive).
    pub fn input_index(&self, name: &str) -> Option<PinId> {
        self.inputs.iter().position(|p| p.eq_ignore_ascii_case(name)).map(PinId::from_index)
    }

    /// Index of the output pin called `name` (case-insensitive).
    pub fn output_index(&self, name: &str) -> Option<PinId> {
        self.outputs.iter().position(|p| p.eq_ignore_ascii_case(name)).map(PinId::from_index)
    }

    /// The signal record of input pin `i`.
    pub fn input_signal(&self, i: PinId) -> Option<&Signal> {
        self.signals.iter().find(|s| s.kind == SignalKind::Input(i))
    }

    /// The signal record of output pin `o`.
    pub fn output_signal(&self, o: PinId) -> Option<&Signal> {
        self.signals.iter().find(|s| s.kind == SignalKind::Output(o))
    }

    /// The signal record `s`.
    pub fn signal(&self, s: SignalId) -> &Signal {
        &self.signals[s.index()]
    }

    /// The stage record `s`.
    pub fn stage(&self, s: StageId) -> &Stage {
        &self.stages[s.index()]
    }

    /// Deepest stage depth of any output.
    pub fn depth(&self) -> u32 {
        self.signals.iter().filter(|s| matches!(s.kind, SignalKind::Output(_))).map(|s| s.depth).max().unwrap_or(0)
    }
}

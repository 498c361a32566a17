//! The report of one analysed cell (`tosim cells --json`): pins, transistor
//! counts, functions, gate loads, stage depths and stages, by signal name.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{AnalysisError, CellModel, SignalKind};

/// One cell as `tosim cells --json` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct CellReport {
    /// Subcircuit name.
    pub name: String,
    /// File it was read from.
    pub file: String,
    /// Line of its `.subckt`.
    pub line: usize,
    /// `ok` or `unsupported`.
    pub status: &'static str,
    /// Why the cell is unsupported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Input pins.
    pub inputs: Vec<String>,
    /// Output pins.
    pub outputs: Vec<String>,
    /// Transistors.
    pub transistors: u32,
    /// n-channel transistors.
    pub nmos: u32,
    /// p-channel transistors.
    pub pmos: u32,
    /// Deepest stage depth of any output.
    pub depth: u32,
    /// Output → truth-table hex (input 0 = least significant row-index bit).
    pub functions: BTreeMap<String, String>,
    /// Output → readable sum-of-products.
    pub expressions: BTreeMap<String, String>,
    /// Gate-driving internal node → truth-table hex.
    pub internal: BTreeMap<String, String>,
    /// Signal → number of transistor gates it drives.
    pub gate_loads: BTreeMap<String, u32>,
    /// Signal → summed gate W·L in µm² (6 decimals).
    pub gate_area: BTreeMap<String, f64>,
    /// Signal → stage depth.
    pub depths: BTreeMap<String, u32>,
    /// The CMOS stages.
    pub stages: Vec<StageReport>,
}

/// One CMOS stage of a [`CellReport`].
#[derive(Clone, Debug, Serialize)]
pub struct StageReport {
    /// Stage depth.
    pub depth: u32,
    /// Nodes it drives.
    pub outputs: Vec<String>,
    /// Signals it reads.
    pub gate_inputs: Vec<String>,
    /// n-channel transistors.
    pub nmos: u32,
    /// p-channel transistors.
    pub pmos: u32,
    /// Longest n-channel series stack.
    pub n_stack: u32,
    /// Longest p-channel series stack.
    pub p_stack: u32,
}

/// Why a cell is unsupported: the analysis's reason, else the error's text.
pub fn unsupported_reason(e: &AnalysisError) -> String {
    match e {
        AnalysisError::Unsupported { reason, .. } => reason.clone(),
        other => other.to_string(),
    }
}

impl CellReport {
    fn empty(name: &str, file: &str, line: usize, status: &'static str) -> CellReport {
        CellReport {
            name: name.to_string(),
            file: file.to_string(),
            line,
            status,
            reason: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            transistors: 0,
            nmos: 0,
            pmos: 0,
            depth: 0,
            functions: BTreeMap::new(),
            expressions: BTreeMap::new(),
            internal: BTreeMap::new(),
            gate_loads: BTreeMap::new(),
            gate_area: BTreeMap::new(),
            depths: BTreeMap::new(),
            stages: Vec::new(),
        }
    }

    /// The report of a cell the analysis does not support.
    pub fn unsupported(name: &str, file: &str, line: usize, e: &AnalysisError) -> CellReport {
        CellReport { reason: Some(unsupported_reason(e)), ..CellReport::empty(name, file, line, "unsupported") }
    }

    /// The report of analysed cell `m`, subcircuit `name` of `file` at `line`.
    pub fn new(name: &str, file: &str, line: usize, m: &CellModel) -> CellReport {
        let mut j = CellReport::empty(name, file, line, "ok");
        let names: Vec<&str> = m.inputs.iter().map(String::as_str).collect();
        j.inputs = m.inputs.clone();
        j.outputs = m.outputs.clone();
        j.transistors = m.transistors();
        j.nmos = m.nmos;
        j.pmos = m.pmos;
        j.depth = m.depth();
        for (o, f) in m.outputs.iter().zip(&m.functions) {
            j.functions.insert(o.clone(), f.to_hex());
            j.expressions.insert(o.clone(), f.expression(&names));
        }
        for s in &m.signals {
            if s.kind == SignalKind::Internal {
                j.internal.insert(s.name.clone(), s.function.to_hex());
            }
            j.gate_loads.insert(s.name.clone(), s.gate_count);
            j.gate_area.insert(s.name.clone(), (s.gate_area * 1e6).round() / 1e6);
            j.depths.insert(s.name.clone(), s.depth);
        }
        let name = |&i: &crate::SignalId| m.signal(i).name.clone();
        for st in &m.stages {
            j.stages.push(StageReport {
                depth: st.depth,
                outputs: st.outputs.iter().map(name).collect(),
                gate_inputs: st.gate_inputs.iter().map(name).collect(),
                nmos: st.nmos,
                pmos: st.pmos,
                n_stack: st.n_stack,
                p_stack: st.p_stack,
            });
        }
        j
    }
}

//! Made-up cell models for tests and examples, when no transistor-level
//! library is at hand.

use tosim_cells::{CellModel, PinId, Signal, SignalId, SignalKind, Stage, StageId, TruthTable};
use tosim_netlist::{CellType, Netlist};

/// Whether `f` is negative unate in every input (a single static CMOS stage can compute it).
fn inverting(f: TruthTable) -> bool {
    (0..f.rows() as u32).all(|r| (0..f.inputs()).all(|i| r >> i & 1 == 1 || f.eval(r) >= f.eval(r | 1 << i)))
}

/// One synthetic model for a cell type: every input drives 2 gates (an n/p
/// pair); a negative-unate output is one stage, any other output is computed
/// inverted by one stage and restored by an inverter whose input node drives 2
/// gates. Transistors = 2 × gates driven. Unsized (`gate_area` = 0).
pub fn synthetic_model(t: &CellType) -> CellModel {
    let ni = t.inputs.len();
    let mut signals: Vec<Signal> = (0..ni)
        .map(|i| Signal {
            name: t.inputs[i].clone(),
            kind: SignalKind::Input(PinId::from_index(i)),
            function: TruthTable::var(ni, i).unwrap_or(t.functions[0]),
            gate_count: 2,
            gate_area: 0.0,
            depth: 0,
            stage: None,
        })
        .collect();
    let mut stages = Vec::new();
    let mut gates = 2 * ni as u32;
    for (o, &f) in t.functions.iter().enumerate() {
        if inverting(f) {
            stages.push(stage((0..ni).collect(), vec![signals.len()], ni as u32, 1));
            signals.push(sig(&t.outputs[o], SignalKind::Output(PinId::from_index(o)), f, 0, 1, stages.len() - 1));
        } else {
            stages.push(stage((0..ni).collect(), vec![signals.len()], ni as u32, 1));
            signals.push(sig(&format!("{}_n", t.outputs[o]), SignalKind::Internal, f.not(), 2, 1, stages.len() - 1));
            gates += 2;
            stages.push(stage(vec![signals.len() - 1], vec![signals.len()], 1, 2));
            signals.push(sig(&t.outputs[o], SignalKind::Output(PinId::from_index(o)), f, 0, 2, stages.len() - 1));
        }
    }
    CellModel {
        name: t.name.clone(),
        file: String::new(),
        line: 0,
        inputs: t.inputs.clone(),
        outputs: t.outputs.clone(),
        nmos: gates / 2,
        pmos: gates / 2,
        functions: t.functions.clone(),
        signals,
        stages,
    }
}

fn sig(name: &str, kind: SignalKind, function: TruthTable, gate_count: u32, depth: u32, stage: usize) -> Signal {
    Signal {
        name: name.to_string(),
        kind,
        function,
        gate_count,
        gate_area: 0.0,
        depth,
        stage: Some(StageId::from_index(stage)),
    }
}

fn stage(gate_inputs: Vec<usize>, outputs: Vec<usize>, k: u32, depth: u32) -> Stage {
    Stage {
        gate_inputs: gate_inputs.into_iter().map(SignalId::from_index).collect(),
        outputs: outputs.into_iter().map(SignalId::from_index).collect(),
        nmos: k,
        pmos: k,
        n_stack: k,
        p_stack: 1,
        n_strength: k as f64,
        p_strength: k as f64,
        depth,
    }
}

/// A made-up model of every cell type of `n`, in `n.types()` order: every
/// input drives 2 gates, a negative-unate output is one stage, any other
/// output one stage and an inverter.
pub fn synthetic_models(n: &Netlist) -> Vec<CellModel> {
    n.types().iter().map(synthetic_model).collect()
}

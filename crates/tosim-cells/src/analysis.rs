//! Switch-level analysis of a transistor netlist.
//!
//! 1. **Pins.** Supply and ground nodes come from [`Config`]. A pin that only
//!    touches gates is an input. A non-rail pin on a channel is an output when
//!    a channel path leads from it to a rail without crossing another pin;
//!    otherwise it only feeds pass transistors and is an input. [`Config::inputs`]
//!    and [`Config::outputs`] override both rules.
//! 2. **Stages.** Transistors are grouped into channel-connected components:
//!    drain–source connections join nodes, except at rails and input pins (the
//!    *sources*). A component whose gate is driven by a node of another
//!    component depends on it; components are ordered by these dependencies.
//!    A cycle (a component depending on itself through its own or other
//!    components' nodes) is feedback: the cell is sequential and unsupported.
//! 3. **Evaluation.** For every input combination the components are evaluated
//!    in order. Inside one, a transistor conducts when its gate is 1 (n) or 0
//!    (p); every group of nodes joined by conducting transistors takes the
//!    value of the sources it touches. Both values: a fight (error). None: the
//!    group floats — allowed for series-stack nodes, which drive nothing; an
//!    error for a node that drives a gate; and for an output it means the cell
//!    is tristate (unsupported). Pass transistors and transmission gates need
//!    no special case: their data side is a source or a node of the same
//!    component.
//!
//! The result is exact for static CMOS and pass-transistor logic, where every
//! settled node is driven; it does not model ratioed or dynamic logic, or
//! charge sharing.

use std::collections::BTreeSet;
use std::fmt;

use thiserror::Error;

use crate::spice::DeviceKind;
use crate::{
    CellModel, Config, PinId, Polarity, Signal, SignalId, SignalKind, Stage, StageId, Subckt, TruthTable, MAX_INPUTS,
};

/// Why a well-formed cell is not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UnsupportedKind {
    /// A feedback loop between stages: latch, flip-flop or other state.
    Sequential,
    /// An output floats for some input combination.
    Tristate,
    /// Resistors, capacitors, diodes, sources or other non-MOS devices.
    Analog,
    /// Instances of other subcircuits.
    Hierarchical,
    /// More than [`MAX_INPUTS`] inputs.
    TooManyInputs,
    /// No transistors (tap, fill cells).
    NoTransistors,
    /// No output pin (decap, bleeder cells).
    NoOutputs,
}

impl fmt::Display for UnsupportedKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnsupportedKind::Sequential => "sequential",
            UnsupportedKind::Tristate => "tristate",
            UnsupportedKind::Analog => "analog",
            UnsupportedKind::Hierarchical => "hierarchical",
            UnsupportedKind::TooManyInputs => "too many inputs",
            UnsupportedKind::NoTransistors => "no transistors",
            UnsupportedKind::NoOutputs => "no outputs",
        })
    }
}

/// An analysis failure: either the cell is malformed ([`AnalysisError::Fight`],
/// [`AnalysisError::Float`]) or it is a kind of cell the analysis does not
/// model ([`AnalysisError::Unsupported`]; see [`AnalysisError::is_unsupported`]).
#[derive(Clone, Debug, Error, PartialEq)]
pub enum AnalysisError {
    /// A node connected to both 0 and 1 through conducting transistors.
    #[error("{file}:{line}: cell {cell}: node {node} is driven to both 0 and 1 (fight) for {inputs}")]
    Fight {
        /// Cell.
        cell: String,
        /// File of the cell.
        file: String,
        /// Line of a conducting transistor on the node.
        line: usize,
        /// Node.
        node: String,
        /// The input combination, e.g. `A=1 B=0`.
        inputs: String,
    },
    /// A node that drives a transistor gate but is connected to nothing that
    /// sets its value (it floats, or keeps its previous value).
    #[error("{file}:{line}: cell {cell}: node {node} floats (no conducting path to a rail or input) for {inputs}")]
    Float {
        /// Cell.
        cell: String,
        /// File of the cell.
        file: String,
        /// Line of a transistor the node gates.
        line: usize,
        /// Node.
        node: String,
        /// The input combination, e.g. `A=1 B=0`.
        inputs: String,
    },
    /// A well-formed cell that is not combinational static logic.
    #[error("{file}:{line}: cell {cell}: unsupported: {reason}")]
    Unsupported {
        /// Cell.
        cell: String,
        /// File of the cell.
        file: String,
        /// Line of the `.subckt` card.
        line: usize,
        /// Category.
        kind: UnsupportedKind,
        /// Full reason, starting with the category (`sequential: feedback loop through nodes …`).
        reason: String,
    },
}

impl AnalysisError {
    /// Whether the cell is well formed but unsupported (as opposed to malformed).
    pub fn is_unsupported(&self) -> bool {
        matches!(self, AnalysisError::Unsupported { .. })
    }

    /// The cell the error is about.
    pub fn cell(&self) -> &str {
        match self {
            AnalysisError::Fight { cell, .. }
            | AnalysisError::Float { cell, .. }
            | AnalysisError::Unsupported { cell, .. } => cell,
        }
    }
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Rail(bool),
    Input(usize),
    Other,
}

struct Node {
    name: String,
    role: Role,
    /// Pin index, if a pin.
    pin: Option<usize>,
    gates: u32,
    gate_area: f64,
    on_channel: bool,
    /// Component index (non-sources on a channel only).
    comp: Option<usize>,
}

struct Dsu(Vec<usize>);

impl Dsu {
    fn new(n: usize) -> Self {
        Dsu((0..n).collect())
    }
    fn find(&mut self, x: usize) -> usize {
        let mut r = x;
        while self.0[r] != r {
            r = self.0[r];
        }
        let mut y = x;
        while self.0[y] != r {
            let next = self.0[y];
            self.0[y] = r;
            y = next;
        }
        r
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

struct Fet {
    d: usize,
    g: usize,
    s: usize,
    p: bool,
    line: usize,
    strength: f64,
}

/// Analyses one subcircuit: its function, transistor count, gate loads and stages.
pub fn analyze(sub: &Subckt, cfg: &Config) -> Result<CellModel, AnalysisError> {
    let unsupported = |kind: UnsupportedKind, reason: String| AnalysisError::Unsupported {
        cell: sub.name.clone(),
        file: sub.file.clone(),
        line: sub.line,
        kind,
        reason: format!("{kind}: {reason}"),
    };
    if let Some(d) = sub.devices.first() {
        let (kind, reason) = match d.kind {
            DeviceKind::Instance => (
                UnsupportedKind::Hierarchical,
                format!(
                    "{} (line {}) is an instance of subcircuit {}; flatten the cell first",
                    d.name,
                    d.line,
                    d.model.as_deref().unwrap_or("?")
                ),
            ),
            k => (UnsupportedKind::Analog, format!("{} (line {}) is a {k}", d.name, d.line)),
        };
        return Err(unsupported(kind, reason));
    }
    if sub.mosfets.is_empty() {
        return Err(unsupported(UnsupportedKind::NoTransistors, "the cell has no transistors".into()));
    }

    // ---- nodes -------------------------------------------------------------
    let mut nodes: Vec<Node> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut intern = |name: &str, nodes: &mut Vec<Node>| -> usize {
        let key = name.to_ascii_uppercase();
        *index.entry(key).or_insert_with(|| {
            let role = if cfg.is_supply(name) {
                Role::Rail(true)
            } else if cfg.is_ground(name) {
                Role::Rail(false)
            } else {
                Role::Other
            };
            nodes.push(Node {
                name: name.to_string(),
                role,
                pin: None,
                gates: 0,
                gate_area: 0.0,
                on_channel: false,
                comp: None,
            });
            nodes.len() - 1
        })
    };
    for (i, p) in sub.pins.iter().enumerate() {
        let n = intern(p, &mut nodes);
        nodes[n].pin = Some(i);
    }
    let mut fets: Vec<Fet> = Vec::new();
    let (mut nmos, mut pmos) = (0u32, 0u32);
    for m in &sub.mosfets {
        let d = intern(&m.drain, &mut nodes);
        let g = intern(&m.gate, &mut nodes);
        let s = intern(&m.source, &mut nodes);
        nodes[g].gates += 1;
        if let (Some(w), Some(l)) = (m.w, m.l) {
            nodes[g].gate_area += w * l;
        }
        nodes[d].on_channel = true;
        nodes[s].on_channel = true;
        let p = m.polarity == Polarity::P;
        if p {
            pmos += 1;
        } else {
            nmos += 1;
        }
        let strength = match (m.w, m.l) {
            (Some(w), Some(l)) if l > 0.0 => w / l,
            _ => 1.0,
        };
        fets.push(Fet { d, g, s, p, line: m.line, strength });
    }

    // ---- pin directions ------------------------------------------------------
    let forced = |list: &[String], name: &str| list.iter().any(|x| x.eq_ignore_ascii_case(name));
    // Channel adjacency, for the rail-reachability rule.
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for f in &fets {
        if f.d != f.s {
            adj[f.d].push(f.s);
            adj[f.s].push(f.d);
        }
    }
    let reaches_rail = |start: usize, nodes: &[Node]| -> bool {
        let mut seen = vec![false; nodes.len()];
        let mut stack = vec![start];
        seen[start] = true;
        while let Some(x) = stack.pop() {
            for &y in &adj[x] {
                if seen[y] {
                    continue;
                }
                seen[y] = true;
                match nodes[y].role {
                    Role::Rail(_) => return true,
                    _ if nodes[y].pin.is_some() => {}
                    _ => stack.push(y),
                }
            }
        }
        false
    };
    let mut inputs: Vec<String> = Vec::new();
    let mut input_nodes: Vec<usize> = Vec::new();
    let mut outputs: Vec<(String, usize)> = Vec::new();
    for (i, p) in sub.pins.iter().enumerate() {
        let Some(&n) = index.get(&p.to_ascii_uppercase()) else { continue };
        if matches!(nodes[n].role, Role::Rail(_)) || nodes[n].pin != Some(i) {
            continue;
        }
        let is_output = if forced(&cfg.outputs, p) {
            true
        } else if forced(&cfg.inputs, p) {
            false
        } else {
            nodes[n].on_channel && reaches_rail(n, &nodes)
        };
        if is_output {
            outputs.push((p.clone(), n));
        } else {
            nodes[n].role = Role::Input(inputs.len());
            inputs.push(p.clone());
            input_nodes.push(n);
        }
    }
    let is_source = |n: &Node| !matches!(n.role, Role::Other);

    // ---- channel-connected components ----------------------------------------
    let mut dsu = Dsu::new(nodes.len());
    for f in &fets {
        if !is_source(&nodes[f.d]) && !is_source(&nodes[f.s]) {
            dsu.union(f.d, f.s);
        }
    }
    // Number components in order of first appearance (deterministic).
    let mut comp_of_root: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut comps: Vec<Comp> = Vec::new();
    let mut bridges: Vec<usize> = Vec::new(); // transistors between two sources
    for (fi, f) in fets.iter().enumerate() {
        let inner = [f.d, f.s].into_iter().find(|&x| !is_source(&nodes[x]));
        let Some(x) = inner else {
            bridges.push(fi);
            continue;
        };
        let r = dsu.find(x);
        let c = *comp_of_root[r].get_or_insert_with(|| {
            comps.push(Comp::default());
            comps.len() - 1
        });
        comps[c].fets.push(fi);
        for y in [f.d, f.s] {
            if !is_source(&nodes[y]) && nodes[y].comp.is_none() {
                nodes[y].comp = Some(c);
                comps[c].nodes.push(y);
            }
        }
    }
    // A node is a signal when it is an input or output pin, or drives a gate.
    let is_output_pin = |n: usize| outputs.iter().any(|&(_, o)| o == n);
    let signal_node = |n: usize, nodes: &[Node]| match nodes[n].role {
        Role::Rail(_) => false,
        Role::Input(_) => true,
        Role::Other => nodes[n].gates > 0 || is_output_pin(n),
    };

    // ---- dependency order ------------------------------------------------------
    let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); comps.len()];
    for (c, comp) in comps.iter().enumerate() {
        for &fi in &comp.fets {
            if let Some(gc) = nodes[fets[fi].g].comp {
                deps[c].insert(gc);
            }
        }
    }
    let groups = scc_order(&deps);
    let cyclic: Vec<bool> = groups.iter().map(|g| g.len() > 1 || deps[g[0]].contains(&g[0])).collect();
    // The nodes through which a group feeds back into itself.
    let loop_nodes = |g: &[usize]| -> String {
        let mut names: BTreeSet<&str> = BTreeSet::new();
        for &c in g {
            for &fi in &comps[c].fets {
                let gate = fets[fi].g;
                if nodes[gate].comp.is_some_and(|gc| g.contains(&gc)) {
                    names.insert(&nodes[gate].name);
                }
            }
        }
        names.into_iter().collect::<Vec<_>>().join(" ")
    };
    if outputs.is_empty() {
        return Err(unsupported(
            UnsupportedKind::NoOutputs,
            "no output pin (no non-rail pin has a channel path to a rail; outputs can be declared in Config::outputs)"
                .into(),
        ));
    }
    if inputs.len() > MAX_INPUTS {
        let loops: Vec<String> = groups
            .iter()
            .zip(&cyclic)
            .filter(|(_, &c)| c)
            .map(|(g, _)| format!("; feedback loop through nodes {}", loop_nodes(g)))
            .collect();
        return Err(unsupported(
            UnsupportedKind::TooManyInputs,
            format!(
                "{} inputs ({}), at most {MAX_INPUTS} are analysed{}",
                inputs.len(),
                inputs.join(" "),
                loops.concat()
            ),
        ));
    }

    // ---- evaluation ------------------------------------------------------------
    let signal: Vec<bool> = (0..nodes.len()).map(|n| signal_node(n, &nodes)).collect();
    let output_pin: Vec<bool> = (0..nodes.len()).map(is_output_pin).collect();
    let n_in = inputs.len();
    let rows = 1u32 << n_in;
    let combo = |row: u32| -> String {
        if inputs.is_empty() {
            return "(no inputs)".into();
        }
        inputs.iter().enumerate().map(|(i, p)| format!("{p}={}", row >> i & 1)).collect::<Vec<_>>().join(" ")
    };
    let fight_err = |n: usize, row: u32, value: &[Option<bool>], line: Option<usize>| {
        // A conducting transistor on the node names the line.
        let line = line.unwrap_or_else(|| {
            fets.iter()
                .find(|f| (f.d == n || f.s == n) && value[f.g].is_some_and(|g| g != f.p))
                .map_or(sub.line, |f| f.line)
        });
        AnalysisError::Fight {
            cell: sub.name.clone(),
            file: sub.file.clone(),
            line,
            node: nodes[n].name.clone(),
            inputs: combo(row),
        }
    };
    let float_err = |n: usize, row: u32| {
        if output_pin[n] {
            return unsupported(
                UnsupportedKind::Tristate,
                format!("output {} floats for {}", nodes[n].name, combo(row)),
            );
        }
        let line = fets.iter().find(|f| f.g == n).map_or(sub.line, |f| f.line);
        AnalysisError::Float {
            cell: sub.name.clone(),
            file: sub.file.clone(),
            line,
            node: nodes[n].name.clone(),
            inputs: combo(row),
        }
    };
    let mut bits: Vec<u64> = vec![0; nodes.len()];
    let mut value: Vec<Option<bool>> = vec![None; nodes.len()];
    let mut scratch = Scratch::new(nodes.len());
    for row in 0..rows {
        for (n, node) in nodes.iter().enumerate() {
            value[n] = match node.role {
                Role::Rail(v) => Some(v),
                Role::Input(i) => Some(row >> i & 1 == 1),
                Role::Other => None,
            };
        }
        for &fi in &bridges {
            let f = &fets[fi];
            if value[f.g].is_some_and(|g| g != f.p) && value[f.d] != value[f.s] {
                let node = if matches!(nodes[f.d].role, Role::Rail(_)) { f.s } else { f.d };
                return Err(fight_err(node, row, &value, Some(f.line)));
            }
        }
        for (g, &is_cyclic) in groups.iter().zip(&cyclic) {
            if is_cyclic {
                // Relax until nothing changes: only transistors whose gate is
                // known conduct. Any fight-free steady state agrees with every
                // value found this way; if all signals are found, the state is
                // unique and the group is combinational for this row.
                let limit = 2 * g.iter().map(|&c| comps[c].nodes.len()).sum::<usize>() + 4;
                let mut settled = false;
                for _ in 0..limit {
                    let mut changed = false;
                    for &c in g {
                        changed |= eval_comp(&comps[c], &fets, &nodes, &signal, &mut value, &mut scratch).1;
                    }
                    if !changed {
                        settled = true;
                        break;
                    }
                }
                // Undetermined nodes that gate the group itself hold state; an
                // undetermined node that only leaves the group merely floats
                // (reported by the exact pass below).
                let open: Vec<&str> = g
                    .iter()
                    .flat_map(|&c| &comps[c].nodes)
                    .filter(|&&n| {
                        value[n].is_none() && g.iter().any(|&c| comps[c].fets.iter().any(|&fi| fets[fi].g == n))
                    })
                    .map(|&n| nodes[n].name.as_str())
                    .collect();
                if !settled || !open.is_empty() {
                    let what = if settled {
                        format!("holds state ({} undetermined)", open.join(" "))
                    } else {
                        "does not settle".to_string()
                    };
                    return Err(unsupported(
                        UnsupportedKind::Sequential,
                        format!("feedback loop through nodes {} {what} for {}", loop_nodes(g), combo(row)),
                    ));
                }
            }
            // Exact pass (for a cyclic group: a check of the settled state).
            for &c in g {
                let (fight, _) = eval_comp(&comps[c], &fets, &nodes, &signal, &mut value, &mut scratch);
                if let Some(n) = fight {
                    return Err(fight_err(n, row, &value, None));
                }
                if let Some(&n) = comps[c].nodes.iter().find(|&&n| signal[n] && value[n].is_none()) {
                    return Err(float_err(n, row));
                }
            }
        }
        // A gate-driving node or output on no channel is never driven.
        if let Some(n) =
            (0..nodes.len()).find(|&n| nodes[n].role == Role::Other && nodes[n].comp.is_none() && signal[n])
        {
            return Err(float_err(n, row));
        }
        for n in 0..nodes.len() {
            if value[n] == Some(true) {
                bits[n] |= 1 << row;
            }
        }
    }

    // ---- signals and stages ----------------------------------------------------------
    let tables: Vec<TruthTable> = bits
        .iter()
        .map(|&b| TruthTable::new(n_in, b))
        .collect::<Option<_>>()
        .ok_or_else(|| unsupported(UnsupportedKind::TooManyInputs, format!("{n_in} inputs")))?;
    let mut signals: Vec<Signal> = Vec::new();
    let mut signal_of: Vec<Option<usize>> = vec![None; nodes.len()];
    for (i, (name, &n)) in inputs.iter().zip(&input_nodes).enumerate() {
        signal_of[n] = Some(signals.len());
        signals.push(Signal {
            name: name.clone(),
            kind: SignalKind::Input(PinId::from_index(i)),
            function: tables[n],
            gate_count: nodes[n].gates,
            gate_area: nodes[n].gate_area,
            depth: 0,
            stage: None,
        });
    }
    let mut stages: Vec<Stage> = Vec::new();
    for g in &groups {
        let group_fets: Vec<usize> = g.iter().flat_map(|&c| comps[c].fets.iter().copied()).collect();
        let mut outs: Vec<usize> =
            g.iter().flat_map(|&c| comps[c].nodes.iter().copied()).filter(|&n| signal[n]).collect();
        if outs.is_empty() {
            continue;
        }
        // Pins first in pin order, then internal nodes in order of appearance.
        outs.sort_by_key(|&n| (nodes[n].pin.is_none(), nodes[n].pin));
        // What the stage reads: the signals on its gates from outside it (a
        // group with internal feedback also gates itself; those signals are
        // its own outputs), and the input pins its channels touch (data
        // inputs of pass transistors), so its nodes are functions of these.
        let mut gate_inputs: BTreeSet<usize> = group_fets
            .iter()
            .filter(|&&fi| !outs.contains(&fets[fi].g))
            .filter_map(|&fi| signal_of[fets[fi].g])
            .collect();
        for &fi in &group_fets {
            for n in [fets[fi].d, fets[fi].s] {
                if let (Role::Input(_), Some(sig)) = (nodes[n].role, signal_of[n]) {
                    gate_inputs.insert(sig);
                }
            }
        }
        let depth = 1 + gate_inputs.iter().map(|&s| signals[s].depth).max().unwrap_or(0);
        let stage_index = stages.len();
        let mut out_signals = Vec::new();
        for &n in &outs {
            let kind = match outputs.iter().position(|&(_, o)| o == n) {
                Some(o) => SignalKind::Output(PinId::from_index(o)),
                None => SignalKind::Internal,
            };
            signal_of[n] = Some(signals.len());
            out_signals.push(SignalId::from_index(signals.len()));
            signals.push(Signal {
                name: nodes[n].name.clone(),
                kind,
                function: tables[n],
                gate_count: nodes[n].gates,
                gate_area: nodes[n].gate_area,
                depth,
                stage: Some(StageId::from_index(stage_index)),
            });
        }
        let fs = || group_fets.iter().map(|&fi| &fets[fi]);
        stages.push(Stage {
            gate_inputs: gate_inputs.into_iter().map(SignalId::from_index).collect(),
            outputs: out_signals,
            nmos: fs().filter(|f| !f.p).count() as u32,
            pmos: fs().filter(|f| f.p).count() as u32,
            n_stack: stack_depth(&fets, &group_fets, &outs, &nodes, false),
            p_stack: stack_depth(&fets, &group_fets, &outs, &nodes, true),
            n_strength: fs().filter(|f| !f.p).map(|f| f.strength).sum(),
            p_strength: fs().filter(|f| f.p).map(|f| f.strength).sum(),
            depth,
        });
    }
    let functions = outputs.iter().map(|&(_, n)| tables[n]).collect();
    Ok(CellModel {
        name: sub.name.clone(),
        file: sub.file.clone(),
        line: sub.line,
        inputs,
        outputs: outputs.into_iter().map(|(p, _)| p).collect(),
        nmos,
        pmos,
        functions,
        signals,
        stages,
    })
}

/// Per-node scratch space for [`eval_comp`].
struct Scratch {
    dsu: Dsu,
    zero: Vec<bool>,
    one: Vec<bool>,
}

impl Scratch {
    fn new(n: usize) -> Self {
        Scratch { dsu: Dsu::new(n), zero: vec![false; n], one: vec![false; n] }
    }
}

/// Evaluates one channel-connected component: transistors whose gate is known
/// and on join nodes; each group of joined nodes takes the value of the
/// sources (rails, inputs) it touches. Returns a node on a fight, preferring
/// signals, and whether any node value changed.
fn eval_comp(
    comp: &Comp,
    fets: &[Fet],
    nodes: &[Node],
    signal: &[bool],
    value: &mut [Option<bool>],
    s: &mut Scratch,
) -> (Option<usize>, bool) {
    let is_source = |n: usize| !matches!(nodes[n].role, Role::Other);
    for &n in &comp.nodes {
        s.dsu.0[n] = n;
        s.zero[n] = false;
        s.one[n] = false;
    }
    let on = |f: &Fet, value: &[Option<bool>]| value[f.g].is_some_and(|g| g != f.p);
    for &fi in &comp.fets {
        let f = &fets[fi];
        if on(f, value) && !is_source(f.d) && !is_source(f.s) {
            s.dsu.union(f.d, f.s);
        }
    }
    for &fi in &comp.fets {
        let f = &fets[fi];
        if !on(f, value) {
            continue;
        }
        for (a, b) in [(f.d, f.s), (f.s, f.d)] {
            if is_source(a) && !is_source(b) {
                let r = s.dsu.find(b);
                match value[a] {
                    Some(true) => s.one[r] = true,
                    Some(false) => s.zero[r] = true,
                    None => {}
                }
            }
        }
    }
    let mut fight: Option<usize> = None;
    let mut changed = false;
    for &n in &comp.nodes {
        let r = s.dsu.find(n);
        let v = match (s.zero[r], s.one[r]) {
            (true, true) => {
                // Any node beats none; a signal beats a series-stack node.
                if fight.map_or(true, |cur| !signal[cur] && signal[n]) {
                    fight = Some(n);
                }
                None
            }
            (true, false) => Some(false),
            (false, true) => Some(true),
            (false, false) => None,
        };
        changed |= value[n] != v;
        value[n] = v;
    }
    (fight, changed)
}

#[derive(Default)]
struct Comp {
    fets: Vec<usize>,
    nodes: Vec<usize>,
}

/// Strongly connected components of the dependency graph (`deps[c]`: the
/// components whose nodes gate `c`), in an evaluation order: every group
/// comes after the groups it depends on; ties go to the smallest component.
/// Each group is sorted.
fn scc_order(deps: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    let n = deps.len();
    // Tarjan's algorithm, iterative.
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut comp_of = vec![usize::MAX; n];
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut counter = 0;
    let succ: Vec<Vec<usize>> = deps.iter().map(|d| d.iter().copied().collect()).collect();
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, usize)> = vec![(root, 0)];
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = call.last_mut() {
            if *i < succ[v].len() {
                let w = succ[v][*i];
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some(&(u, _)) = call.last() {
                    low[u] = low[u].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut g = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w] = false;
                        comp_of[w] = groups.len();
                        g.push(w);
                        if w == v {
                            break;
                        }
                    }
                    g.sort_unstable();
                    groups.push(g);
                }
            }
        }
    }
    // Kahn's algorithm on the condensed graph, smallest first component first.
    let k = groups.len();
    let mut gdeps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); k];
    for (c, d) in deps.iter().enumerate() {
        for &x in d {
            if comp_of[x] != comp_of[c] {
                gdeps[comp_of[c]].insert(comp_of[x]);
            }
        }
    }
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (g, d) in gdeps.iter().enumerate() {
        for &x in d {
            users[x].push(g);
        }
    }
    let mut indeg: Vec<usize> = gdeps.iter().map(|d| d.len()).collect();
    let mut ready: BTreeSet<(usize, usize)> = (0..k).filter(|&g| indeg[g] == 0).map(|g| (groups[g][0], g)).collect();
    let mut order = Vec::with_capacity(k);
    while let Some((_, g)) = ready.pop_first() {
        order.push(g);
        for &u in &users[g] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.insert((groups[u][0], u));
            }
        }
    }
    order.into_iter().map(|g| std::mem::take(&mut groups[g])).collect()
}

/// Longest series chain of one polarity from a stage output to its rail
/// (ground for n, supply for p), through non-source nodes. Parallel devices
/// count once; the search is exhaustive over simple paths with a step budget.
fn stack_depth(fets: &[Fet], comp: &[usize], outs: &[usize], nodes: &[Node], p: bool) -> u32 {
    let rail = p;
    let mut edges: BTreeSet<(usize, usize)> = BTreeSet::new();
    for &fi in comp {
        let f = &fets[fi];
        if f.p == p && f.d != f.s {
            edges.insert((f.d.min(f.s), f.d.max(f.s)));
        }
    }
    let mut adj: std::collections::BTreeMap<usize, Vec<usize>> = std::collections::BTreeMap::new();
    for &(a, b) in &edges {
        adj.entry(a).or_default().push(b);
        adj.entry(b).or_default().push(a);
    }
    let mut best = 0u32;
    let mut budget = 200_000u32;
    for &o in outs {
        let mut on_path = BTreeSet::new();
        on_path.insert(o);
        dfs(o, 0, &adj, nodes, rail, &mut on_path, &mut best, &mut budget);
    }
    best
}

#[allow(clippy::too_many_arguments)]
fn dfs(
    x: usize,
    len: u32,
    adj: &std::collections::BTreeMap<usize, Vec<usize>>,
    nodes: &[Node],
    rail: bool,
    on_path: &mut BTreeSet<usize>,
    best: &mut u32,
    budget: &mut u32,
) {
    let Some(next) = adj.get(&x) else { return };
    for &y in next {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        if on_path.contains(&y) {
            continue;
        }
        match nodes[y].role {
            Role::Rail(v) if v == rail => *best = (*best).max(len + 1),
            Role::Other => {
                on_path.insert(y);
                dfs(y, len + 1, adj, nodes, rail, on_path, best, budget);
                on_path.remove(&y);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_spice;

    fn cell(text: &str) -> Result<CellModel, AnalysisError> {
        cell_cfg(text, &Config::default())
    }

    fn cell_cfg(text: &str, cfg: &Config) -> Result<CellModel, AnalysisError> {
        let subs = parse_spice(text, "t.sp", cfg).expect("test netlist parses");
        analyze(&subs[0], cfg)
    }

    /// Every stage node is a function of the signals the stage reads: rows
    /// that agree on those agree on the node.
    pub(crate) fn assert_stages_are_functions(m: &CellModel) {
        let rows = 1u32 << m.inputs.len();
        for (si, st) in m.stages.iter().enumerate() {
            let key = |r: u32| st.gate_inputs.iter().map(|&g| m.signal(g).function.eval(r)).collect::<Vec<_>>();
            for r1 in 0..rows {
                for r2 in r1 + 1..rows {
                    if key(r1) == key(r2) {
                        for &o in &st.outputs {
                            let f = m.signal(o).function;
                            assert_eq!(f.eval(r1), f.eval(r2), "{}: stage {si} node {}", m.name, m.signal(o).name);
                        }
                    }
                }
            }
        }
    }

    const NAND2: &str = "\
.subckt NAND2 A B Y VDD VSS
MP1 Y A VDD VDD pmos w=1u l=0.15u
MP2 Y B VDD VDD pmos w=1u l=0.15u
MN1 Y A n1 VSS nmos w=2u l=0.15u
MN2 n1 B VSS VSS nmos w=2u l=0.15u
.ends
";

    #[test]
    fn nand2_function_loads_and_stage() {
        let m = cell(NAND2).unwrap();
        assert_eq!(m.inputs, ["A", "B"]);
        assert_eq!(m.outputs, ["Y"]);
        assert_eq!((m.nmos, m.pmos), (2, 2));
        // Y = !(A & B): rows 0..2 are 1, row 3 (A=1 B=1) is 0.
        assert_eq!(m.functions[0].bits(), 0b0111);
        let a = m.input_signal(PinId(0)).unwrap();
        // A drives MP1 (1 × 0.15) and MN1 (2 × 0.15): 2 gates, 0.45 µm².
        assert_eq!(a.gate_count, 2);
        assert!((a.gate_area - 0.45).abs() < 1e-9, "{}", a.gate_area);
        assert_eq!(m.stages.len(), 1);
        let st = &m.stages[0];
        // Series n stack of two (MN1, MN2); the p devices are in parallel.
        assert_eq!((st.n_stack, st.p_stack, st.depth), (2, 1, 1));
        // n: two devices of W/L = 2/0.15; p: two of 1/0.15.
        assert!((st.n_strength - 2.0 * 2.0 / 0.15).abs() < 1e-9);
        assert!((st.p_strength - 2.0 / 0.15).abs() < 1e-9);
        assert_eq!(m.depth(), 1);
        // The series node n1 drives no gate: not a signal.
        assert!(m.signals.iter().all(|s| s.name != "n1"));
    }

    #[test]
    fn buffer_has_internal_node_and_depth_two() {
        let m = cell(
            ".subckt BUF A Y VDD VSS\nMP1 an A VDD VDD pmos\nMN1 an A VSS VSS nmos\nMP2 Y an VDD VDD pmos\nMN2 Y an VSS VSS nmos\n.ends\n",
        )
        .unwrap();
        let an = m.signals.iter().find(|s| s.name == "an").unwrap();
        assert_eq!(an.kind, SignalKind::Internal);
        assert_eq!(an.function.bits(), 0b01); // an = !A
        assert_eq!(an.depth, 1);
        assert_eq!(an.gate_count, 2);
        assert_eq!(an.gate_area, 0.0); // unsized
        assert_eq!(m.functions[0].bits(), 0b10); // Y = A
        assert_eq!(m.depth(), 2);
        assert_eq!(m.stages.len(), 2);
        assert_eq!(
            m.stages[1].gate_inputs,
            vec![SignalId::from_index(m.signals.iter().position(|s| s.name == "an").unwrap())]
        );
    }

    #[test]
    fn transmission_gate_mux_is_combinational() {
        // Y = S ? B : A with two transmission gates onto node m, then two
        // inverters. A and B touch channels but reach no rail: inputs.
        let text = "\
.subckt TGMUX A B S Y VDD VSS
MPS sn S VDD VDD pmos
MNS sn S VSS VSS nmos
MN1 A sn m VSS nmos
MP1 A S m VDD pmos
MN2 B S m VSS nmos
MP2 B sn m VDD pmos
MP3 mb m VDD VDD pmos
MN3 mb m VSS VSS nmos
MP4 Y mb VDD VDD pmos
MN4 Y mb VSS VSS nmos
.ends
";
        let m = cell(text).unwrap();
        assert_eq!(m.inputs, ["A", "B", "S"]);
        // The TG stage reads S and sn on its gates and A, B through its channels.
        let tg = m.stage(m.signals.iter().find(|s| s.name == "m").unwrap().stage.unwrap());
        let read: Vec<&str> = tg.gate_inputs.iter().map(|&i| m.signal(i).name.as_str()).collect();
        assert_eq!(read, ["A", "B", "S", "sn"]);
        assert_stages_are_functions(&m);
        let expect = TruthTable::from_fn(3, |r| if r & 4 != 0 { r & 2 != 0 } else { r & 1 != 0 }).unwrap();
        assert_eq!(m.functions[0], expect);
        // m is restored by no stage of its own: it is a TG output, depth 2 (after sn).
        let node_m = m.signals.iter().find(|s| s.name == "m").unwrap();
        assert_eq!(node_m.function, expect);
        assert_eq!(node_m.depth, 2);
        assert_eq!(m.depth(), 4);
    }

    #[test]
    fn rail_to_rail_short_is_a_fight() {
        // MN2 shorts Y to VDD whenever A=1, while MN1 pulls Y to ground.
        let text = ".subckt BAD A Y VDD VSS\nMP1 Y A VDD VDD pmos\nMN1 Y A VSS VSS nmos\nMN2 Y A VDD VSS nmos\n.ends\n";
        let e = cell(text).unwrap_err();
        match &e {
            AnalysisError::Fight { cell, node, inputs, line, file } => {
                assert_eq!((cell.as_str(), node.as_str(), inputs.as_str(), file.as_str()), ("BAD", "Y", "A=1", "t.sp"));
                assert_eq!(*line, 3);
            }
            other => panic!("expected a fight, got {other}"),
        }
        assert!(!e.is_unsupported());
        assert!(e.to_string().starts_with("t.sp:3: cell BAD: node Y"), "{e}");
        // A transistor straight across the rails, gated by an input.
        let text =
            ".subckt SHORT A Y VDD VSS\nMP1 Y A VDD VDD pmos\nMN1 Y A VSS VSS nmos\nMN2 VDD A VSS VSS nmos\n.ends\n";
        let e = cell(text).unwrap_err();
        assert!(matches!(e, AnalysisError::Fight { line: 4, .. }), "{e}");
    }

    #[test]
    fn floating_gate_node_is_an_error() {
        // n1 gates MP2/MN2 but only a pull-down drives it: it floats for A=0.
        let text =
            ".subckt F A Y VDD VSS\nMN1 n1 A VSS VSS nmos\nMP2 Y n1 VDD VDD pmos\nMN2 Y n1 VSS VSS nmos\n.ends\n";
        let e = cell(text).unwrap_err();
        assert!(
            matches!(&e, AnalysisError::Float { node, inputs, line: 3, .. } if node == "n1" && inputs == "A=0"),
            "{e}"
        );
        assert!(e.to_string().contains("t.sp:3"), "{e}");
        // A gate on a node nothing drives at all.
        let text = ".subckt G A Y VDD VSS\nMP1 Y A VDD VDD pmos\nMN1 Y ghost VSS VSS nmos\n.ends\n";
        assert!(matches!(cell(text), Err(AnalysisError::Float { line: 3, .. })));
    }

    #[test]
    fn tristate_output_is_unsupported() {
        // Clocked inverter: Y floats when EN=0.
        let text = "\
.subckt TINV A EN Y VDD VSS
MPE enb EN VDD VDD pmos
MNE enb EN VSS VSS nmos
MP1 p1 A VDD VDD pmos
MP2 Y enb p1 VDD pmos
MN2 Y EN n1 VSS nmos
MN1 n1 A VSS VSS nmos
.ends
";
        let e = cell(text).unwrap_err();
        assert!(e.is_unsupported());
        assert!(
            matches!(&e, AnalysisError::Unsupported { kind: UnsupportedKind::Tristate, reason, .. } if reason == "tristate: output Y floats for A=0 EN=0"),
            "{e}"
        );
    }

    #[test]
    fn cross_coupled_latch_is_sequential() {
        // SR latch from two NOR2: holds state for S=0 R=0.
        let text = "\
.subckt SR S R Q QB VDD VSS
MP1 p1 R VDD VDD pmos
MP2 Q QB p1 VDD pmos
MN1 Q R VSS VSS nmos
MN2 Q QB VSS VSS nmos
MP3 p2 S VDD VDD pmos
MP4 QB Q p2 VDD pmos
MN3 QB S VSS VSS nmos
MN4 QB Q VSS VSS nmos
.ends
";
        let e = cell(text).unwrap_err();
        match &e {
            AnalysisError::Unsupported { kind: UnsupportedKind::Sequential, reason, .. } => {
                assert!(reason.contains("feedback loop through nodes Q QB"), "{reason}");
                assert!(reason.ends_with("for S=0 R=0"), "{reason}");
            }
            other => panic!("expected sequential, got {other}"),
        }
    }

    #[test]
    fn analog_hierarchical_and_empty_cells_are_unsupported() {
        let kind = |text: &str| match cell(text) {
            Err(AnalysisError::Unsupported { kind, .. }) => Some(kind),
            _ => None,
        };
        assert_eq!(kind(".subckt T HI VDD\nR1 HI VDD 1k\n.ends"), Some(UnsupportedKind::Analog));
        assert_eq!(kind(".subckt T A VDD\nC1 A VDD 1f\n.ends"), Some(UnsupportedKind::Analog));
        assert_eq!(kind(".subckt T A VSS\nD1 A VSS dio\n.ends"), Some(UnsupportedKind::Analog));
        assert_eq!(kind(".subckt T A Y VDD VSS\nX1 A Y VDD VSS inv\n.ends"), Some(UnsupportedKind::Hierarchical));
        assert_eq!(kind(".subckt T VDD VSS\n.ends"), Some(UnsupportedKind::NoTransistors));
        // A decoupling capacitor made of MOSFETs: no output.
        assert_eq!(
            kind(".subckt T VDD VSS\nM1 VDD VSS VDD VDD pmos\nM2 VSS VDD VSS VSS nmos\n.ends"),
            Some(UnsupportedKind::NoOutputs)
        );
    }

    #[test]
    fn seven_inputs_are_too_many() {
        // NOR7: seven parallel n devices, seven series p devices.
        let mut text = String::from(".subckt NOR7 A B C D E F G Y VDD VSS\n");
        let pins = ["A", "B", "C", "D", "E", "F", "G"];
        for (i, p) in pins.iter().enumerate() {
            text.push_str(&format!("MN{i} Y {p} VSS VSS nmos\n"));
            let top = if i == 0 { "VDD".to_string() } else { format!("p{i}") };
            let bot = if i == 6 { "Y".to_string() } else { format!("p{}", i + 1) };
            text.push_str(&format!("MP{i} {bot} {p} {top} VDD pmos\n"));
        }
        text.push_str(".ends\n");
        let e = cell(&text).unwrap_err();
        assert!(matches!(e, AnalysisError::Unsupported { kind: UnsupportedKind::TooManyInputs, .. }), "{e}");
        // Six inputs are analysed: NOR6 from the first six.
        let six = text.replace(" G Y", " Y").replace("MN6 Y G VSS VSS nmos\n", "").replace("MP6 Y G p6 VDD pmos\n", "");
        let six = six.replace("MP5 p6 F p5", "MP5 Y F p5");
        let m = cell(&six).unwrap();
        assert_eq!(m.functions[0].bits(), 1); // only row 0 (all inputs 0) is 1
        assert_eq!(m.stages[0].p_stack, 6);
        assert_eq!(m.stages[0].n_stack, 1);
    }

    #[test]
    fn direction_overrides() {
        // A pass transistor from A to Y: Y reaches no rail, so by default both
        // A and Y are inputs and the cell has no output.
        let text = ".subckt PASS A EN Y VSS\nMN1 A EN Y VSS nmos\n.ends\n";
        assert!(matches!(cell(text), Err(AnalysisError::Unsupported { kind: UnsupportedKind::NoOutputs, .. })));
        // Declared as an output, Y floats when EN=0: a tristate.
        let cfg = Config::default().with_output("Y");
        assert!(matches!(
            cell_cfg(text, &cfg),
            Err(AnalysisError::Unsupported { kind: UnsupportedKind::Tristate, .. })
        ));
    }

    #[test]
    fn extra_supplies_and_node_zero() {
        // A KAPWR-supplied inverter and SPICE's global ground node 0.
        let text = ".subckt I A Y KAPWR\nMP Y A KAPWR KAPWR pmos\nMN Y A 0 0 nmos\n.ends\n";
        let m = cell(text).unwrap();
        assert_eq!(m.inputs, ["A"]);
        assert_eq!(m.functions[0].bits(), 0b01);
        // Renamed rails through the configuration.
        let text = ".subckt I A Y VCC GROUND\nMP Y A VCC VCC pmos\nMN Y A GROUND GROUND nmos\n.ends\n";
        assert!(cell(text).is_err());
        let cfg = Config::default().with_supply("VCC").with_ground("GROUND");
        assert_eq!(cell_cfg(text, &cfg).unwrap().functions[0].bits(), 0b01);
    }

    /// Random transistor soups over a few nodes: the analysis returns a model
    /// or an error, never panics, and any model it returns is consistent.
    #[test]
    fn random_netlists_never_panic() {
        let nodes = ["A", "B", "C", "Y", "Z", "n1", "n2", "n3", "VDD", "VSS"];
        let mut x = 0x2545f4914f6cdd1du64;
        let mut next = |k: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % k as u64) as usize
        };
        let (mut ok, mut err) = (0, 0);
        for _ in 0..3000 {
            let mut text = String::from(".subckt R A B C Y Z VDD VSS\n");
            for t in 0..1 + next(10) {
                let model = if next(2) == 0 { "nmos" } else { "pmos" };
                let (d, g, s) = (nodes[next(10)], nodes[next(10)], nodes[next(10)]);
                text.push_str(&format!("M{t} {d} {g} {s} VSS {model}\n"));
            }
            text.push_str(".ends\n");
            match cell(&text) {
                Ok(m) => {
                    ok += 1;
                    assert_eq!(m.transistors() as usize, text.lines().filter(|l| l.starts_with('M')).count());
                    assert_eq!(m.functions.len(), m.outputs.len());
                    for (si, st) in m.stages.iter().enumerate() {
                        for &g in &st.gate_inputs {
                            // Gate inputs come from inputs or earlier stages.
                            assert!(m.signal(g).stage.map_or(true, |s| s.index() < si), "{text}");
                        }
                    }
                }
                Err(_) => err += 1,
            }
        }
        // Both outcomes occur (the generator is not degenerate).
        assert!(ok > 10 && err > 100, "ok {ok}, err {err}");
    }

    /// A series-parallel expression over literals.
    enum Sp {
        Lit(usize, bool),
        And(Box<Sp>, Box<Sp>),
        Or(Box<Sp>, Box<Sp>),
    }

    impl Sp {
        /// Longest series chain of the network (`p`: of the dual network).
        fn stack(&self, p: bool) -> u32 {
            match (self, p) {
                (Sp::Lit(..), _) => 1,
                (Sp::And(a, b), false) | (Sp::Or(a, b), true) => a.stack(p) + b.stack(p),
                (Sp::And(a, b), true) | (Sp::Or(a, b), false) => a.stack(p).max(b.stack(p)),
            }
        }

        fn negates(&self) -> bool {
            match self {
                Sp::Lit(_, neg) => *neg,
                Sp::And(a, b) | Sp::Or(a, b) => a.negates() || b.negates(),
            }
        }

        fn eval(&self, row: u32) -> bool {
            match self {
                Sp::Lit(i, neg) => (row >> i & 1 == 1) != *neg,
                Sp::And(a, b) => a.eval(row) && b.eval(row),
                Sp::Or(a, b) => a.eval(row) || b.eval(row),
            }
        }

        /// Emits the network between `top` and `bot` that conducts when the
        /// expression is true (`p`: when its dual, over p devices, conducts).
        fn emit(&self, top: &str, bot: &str, p: bool, out: &mut String, fresh: &mut usize) {
            let gate = |i: usize, neg: bool| {
                let pin = ["A", "B", "C", "D"][i];
                if neg {
                    format!("{pin}n")
                } else {
                    pin.to_string()
                }
            };
            match (self, p) {
                (Sp::Lit(i, neg), false) => {
                    out.push_str(&format!("MN{fresh} {top} {} {bot} VSS nmos\n", gate(*i, *neg)))
                }
                (Sp::Lit(i, neg), true) => {
                    out.push_str(&format!("MP{fresh} {top} {} {bot} VDD pmos\n", gate(*i, *neg)))
                }
                // n: AND in series, OR in parallel; p (dual): the other way round.
                (Sp::And(a, b), false) | (Sp::Or(a, b), true) => {
                    *fresh += 1;
                    let mid = format!("x{fresh}");
                    a.emit(top, &mid, p, out, fresh);
                    *fresh += 1;
                    b.emit(&mid, bot, p, out, fresh);
                }
                (Sp::And(a, b), true) | (Sp::Or(a, b), false) => {
                    *fresh += 1;
                    a.emit(top, bot, p, out, fresh);
                    *fresh += 1;
                    b.emit(top, bot, p, out, fresh);
                }
            }
            *fresh += 1;
        }
    }

    /// Random complementary gates Y = !E (E series-parallel over A..D and
    /// their complements from input inverters), optionally with an output
    /// inverter: the analysis must find exactly the function of E.
    #[test]
    fn random_complementary_gates_compute_their_expression() {
        let mut x = 0x853c49e6748fea9bu64;
        let mut next = |k: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % k
        };
        fn gen(depth: u32, next: &mut dyn FnMut(u64) -> u64) -> Sp {
            if depth == 0 || next(3) == 0 {
                return Sp::Lit(next(4) as usize, next(4) == 0);
            }
            let (a, b) = (Box::new(gen(depth - 1, next)), Box::new(gen(depth - 1, next)));
            if next(2) == 0 {
                Sp::And(a, b)
            } else {
                Sp::Or(a, b)
            }
        }
        for _ in 0..400 {
            let e = gen(3, &mut next);
            let buffered = next(2) == 0;
            let mut body = String::new();
            for pin in ["A", "B", "C", "D"] {
                body.push_str(&format!("MPI{pin} {pin}n {pin} VDD VDD pmos\nMNI{pin} {pin}n {pin} VSS VSS nmos\n"));
            }
            let core = if buffered { "yn" } else { "Y" };
            let mut fresh = 0;
            e.emit(core, "VSS", false, &mut body, &mut fresh);
            e.emit("VDD", core, true, &mut body, &mut fresh);
            if buffered {
                body.push_str("MPO Y yn VDD VDD pmos\nMNO Y yn VSS VSS nmos\n");
            }
            let text = format!(".subckt G A B C D Y VDD VSS\n{body}.ends\n");
            let m = cell(&text).unwrap_or_else(|err| panic!("{err}\n{text}"));
            assert_stages_are_functions(&m);
            let want = TruthTable::from_fn(4, |r| e.eval(r) == buffered).unwrap();
            assert_eq!(m.functions[0], want, "{text}");
            // Depth: the core stage is 1, or 2 behind an input inverter whose
            // output it uses; an output inverter adds 1.
            assert_eq!(m.depth(), 1 + u32::from(e.negates()) + u32::from(buffered), "{text}");
            assert_eq!(m.nmos, m.pmos);
            let st = m.stages.iter().find(|st| st.outputs.iter().any(|&o| m.signal(o).name == core)).unwrap();
            assert_eq!((st.n_stack, st.p_stack), (e.stack(false), e.stack(true)), "{text}");
        }
    }
}

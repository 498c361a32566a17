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
use crate::{CellModel, Config, Polarity, Signal, SignalKind, Stage, Subckt, TruthTable, MAX_INPUTS};

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
    let order = match topo_order(&deps) {
        Ok(o) => o,
        Err(stuck) => {
            let mut loop_nodes: BTreeSet<String> = BTreeSet::new();
            for &c in &stuck {
                for &fi in &comps[c].fets {
                    let g = fets[fi].g;
                    if nodes[g].comp.is_some_and(|gc| stuck.contains(&gc)) {
                        loop_nodes.insert(nodes[g].name.clone());
                    }
                }
            }
            let list: Vec<String> = loop_nodes.into_iter().collect();
            return Err(unsupported(
                UnsupportedKind::Sequential,
                format!("feedback loop through nodes {}", list.join(" ")),
            ));
        }
    };
    if outputs.is_empty() {
        return Err(unsupported(
            UnsupportedKind::NoOutputs,
            "no output pin (no pin on a channel that leads to a rail)".into(),
        ));
    }
    if inputs.len() > MAX_INPUTS {
        return Err(unsupported(
            UnsupportedKind::TooManyInputs,
            format!("{} inputs ({}), at most {MAX_INPUTS} are analysed", inputs.len(), inputs.join(" ")),
        ));
    }

    // ---- evaluation ------------------------------------------------------------
    let n_in = inputs.len();
    let rows = 1u32 << n_in;
    let combo = |row: u32| -> String {
        if inputs.is_empty() {
            return "(no inputs)".into();
        }
        inputs.iter().enumerate().map(|(i, p)| format!("{p}={}", row >> i & 1)).collect::<Vec<_>>().join(" ")
    };
    let mut bits: Vec<u64> = vec![0; nodes.len()];
    let mut value: Vec<Option<bool>> = vec![None; nodes.len()];
    let mut local = Dsu::new(nodes.len());
    let mut seen0 = vec![false; nodes.len()];
    let mut seen1 = vec![false; nodes.len()];
    for row in 0..rows {
        for (n, node) in nodes.iter().enumerate() {
            value[n] = match node.role {
                Role::Rail(v) => Some(v),
                Role::Input(i) => Some(row >> i & 1 == 1),
                Role::Other => None,
            };
        }
        let conducts = |f: &Fet, value: &[Option<bool>]| value[f.g].map(|g| g != f.p);
        for &fi in &bridges {
            let f = &fets[fi];
            if conducts(f, &value) == Some(true) && value[f.d] != value[f.s] {
                let node = if matches!(nodes[f.d].role, Role::Rail(_)) { f.s } else { f.d };
                return Err(AnalysisError::Fight {
                    cell: sub.name.clone(),
                    file: sub.file.clone(),
                    line: f.line,
                    node: nodes[node].name.clone(),
                    inputs: combo(row),
                });
            }
        }
        for &c in &order {
            let comp = &comps[c];
            for &n in &comp.nodes {
                local.0[n] = n;
                seen0[n] = false;
                seen1[n] = false;
            }
            // Gates of this component are sources, rails or nodes of earlier
            // components (topological order); a floating one was rejected there.
            let mut on: Vec<usize> = Vec::new();
            for &fi in &comp.fets {
                let f = &fets[fi];
                if conducts(f, &value) == Some(true) {
                    on.push(fi);
                    if !is_source(&nodes[f.d]) && !is_source(&nodes[f.s]) {
                        local.union(f.d, f.s);
                    }
                }
            }
            for &fi in &on {
                let f = &fets[fi];
                for (a, b) in [(f.d, f.s), (f.s, f.d)] {
                    if is_source(&nodes[a]) && !is_source(&nodes[b]) {
                        let r = local.find(b);
                        if value[a] == Some(true) {
                            seen1[r] = true;
                        } else {
                            seen0[r] = true;
                        }
                    }
                }
            }
            // Resolve; report fights on signals first, then on any node.
            let mut fight: Option<usize> = None;
            for &n in &comp.nodes {
                let r = local.find(n);
                value[n] = match (seen0[r], seen1[r]) {
                    (true, true) => {
                        // Any node beats none; a signal beats a series-stack node.
                        let better = match fight {
                            None => true,
                            Some(cur) => !signal_node(cur, &nodes) && signal_node(n, &nodes),
                        };
                        if better {
                            fight = Some(n);
                        }
                        None
                    }
                    (true, false) => Some(false),
                    (false, true) => Some(true),
                    (false, false) => None,
                };
            }
            if let Some(n) = fight {
                let line = on.iter().map(|&fi| &fets[fi]).find(|f| f.d == n || f.s == n).map_or(sub.line, |f| f.line);
                return Err(AnalysisError::Fight {
                    cell: sub.name.clone(),
                    file: sub.file.clone(),
                    line,
                    node: nodes[n].name.clone(),
                    inputs: combo(row),
                });
            }
            for &n in &comp.nodes {
                if value[n].is_some() || !signal_node(n, &nodes) {
                    continue;
                }
                if is_output_pin(n) {
                    return Err(unsupported(
                        UnsupportedKind::Tristate,
                        format!("output {} floats for {}", nodes[n].name, combo(row)),
                    ));
                }
                let line = fets.iter().find(|f| f.g == n).map_or(sub.line, |f| f.line);
                return Err(AnalysisError::Float {
                    cell: sub.name.clone(),
                    file: sub.file.clone(),
                    line,
                    node: nodes[n].name.clone(),
                    inputs: combo(row),
                });
            }
        }
        // Signals not on any channel: a gate-driving internal node or output that
        // nothing drives floats for every combination.
        for (n, node) in nodes.iter().enumerate() {
            if node.role == Role::Other && node.comp.is_none() && signal_node(n, &nodes) {
                if is_output_pin(n) {
                    return Err(unsupported(
                        UnsupportedKind::Tristate,
                        format!("output {} is not driven (floats for {})", node.name, combo(row)),
                    ));
                }
                let line = fets.iter().find(|f| f.g == n).map_or(sub.line, |f| f.line);
                return Err(AnalysisError::Float {
                    cell: sub.name.clone(),
                    file: sub.file.clone(),
                    line,
                    node: node.name.clone(),
                    inputs: combo(row),
                });
            }
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
    let table = |n: usize| tables[n];
    let mut signals: Vec<Signal> = Vec::new();
    let mut signal_of: Vec<Option<usize>> = vec![None; nodes.len()];
    for (i, name) in inputs.iter().enumerate() {
        let n = index[&name.to_ascii_uppercase()];
        signal_of[n] = Some(signals.len());
        signals.push(Signal {
            name: name.clone(),
            kind: SignalKind::Input(i),
            function: table(n),
            gate_count: nodes[n].gates,
            gate_area: nodes[n].gate_area,
            depth: 0,
            stage: None,
        });
    }
    let mut stages: Vec<Stage> = Vec::new();
    for &c in &order {
        let comp = &comps[c];
        let mut outs: Vec<usize> = comp.nodes.iter().copied().filter(|&n| signal_node(n, &nodes)).collect();
        if outs.is_empty() {
            continue;
        }
        // Pins first in pin order, then internal nodes in order of appearance.
        outs.sort_by_key(|&n| (nodes[n].pin.is_none(), nodes[n].pin));
        let gate_inputs: BTreeSet<usize> = comp.fets.iter().filter_map(|&fi| signal_of[fets[fi].g]).collect();
        let depth = 1 + gate_inputs.iter().map(|&s| signals[s].depth).max().unwrap_or(0);
        let stage_index = stages.len();
        let mut out_signals = Vec::new();
        for &n in &outs {
            let kind = match outputs.iter().position(|&(_, o)| o == n) {
                Some(o) => SignalKind::Output(o),
                None => SignalKind::Internal,
            };
            signal_of[n] = Some(signals.len());
            out_signals.push(signals.len());
            signals.push(Signal {
                name: nodes[n].name.clone(),
                kind,
                function: table(n),
                gate_count: nodes[n].gates,
                gate_area: nodes[n].gate_area,
                depth,
                stage: Some(stage_index),
            });
        }
        let fs = || comp.fets.iter().map(|&fi| &fets[fi]);
        stages.push(Stage {
            gate_inputs: gate_inputs.into_iter().collect(),
            outputs: out_signals,
            nmos: fs().filter(|f| !f.p).count() as u32,
            pmos: fs().filter(|f| f.p).count() as u32,
            n_stack: stack_depth(&fets, &comp.fets, &outs, &nodes, false),
            p_stack: stack_depth(&fets, &comp.fets, &outs, &nodes, true),
            n_strength: fs().filter(|f| !f.p).map(|f| f.strength).sum(),
            p_strength: fs().filter(|f| f.p).map(|f| f.strength).sum(),
            depth,
        });
    }
    let functions = outputs.iter().map(|&(_, n)| table(n)).collect();
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

#[derive(Default)]
struct Comp {
    fets: Vec<usize>,
    nodes: Vec<usize>,
}

/// Kahn's algorithm, smallest ready component first. `Err` holds the
/// components left on or behind a cycle.
fn topo_order(deps: &[BTreeSet<usize>]) -> Result<Vec<usize>, BTreeSet<usize>> {
    let n = deps.len();
    let mut indeg: Vec<usize> = deps.iter().map(|d| d.len()).collect();
    let mut users: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (c, d) in deps.iter().enumerate() {
        for &x in d {
            users[x].push(c);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&c| indeg[c] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(c) = ready.pop_first() {
        order.push(c);
        for &u in &users[c] {
            indeg[u] -= 1;
            if indeg[u] == 0 {
                ready.insert(u);
            }
        }
    }
    if order.len() == n {
        Ok(order)
    } else {
        // Keep only components on a cycle: drop those that merely depend on one.
        let mut left: BTreeSet<usize> = (0..n).filter(|c| !order.contains(c)).collect();
        loop {
            let keep: BTreeSet<usize> =
                left.iter().copied().filter(|&c| users[c].iter().any(|u| left.contains(u))).collect();
            if keep.len() == left.len() {
                break;
            }
            left = keep;
        }
        Err(left)
    }
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

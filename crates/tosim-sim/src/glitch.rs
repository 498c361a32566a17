//! The glitch engine: timing simulation with one delay per CMOS stage.
//!
//! Every cell is expanded into its stages ([`StageNetlist`]): one single-output
//! cell per stage-restored node (cell outputs and internal nodes), whose
//! function of the stage's gate inputs is derived from the model's truth
//! tables. Each node `n` has a delay `d ≥ 1` (unit: 1; effort: parasitic +
//! effort × fan-out, see [`Delay`]). With `RHS(τ)` the node's function of its
//! gate inputs' values at time `τ`, the inertial model is Verilog's
//! continuous `assign #d`: `out(t) = RHS(t-1)` if `RHS` was constant over
//! `[t-d, t-1]`, else `out(t-1)` (pulses shorter than `d` are swallowed);
//! the transport model is `out(t) = RHS(t-d)`. At `t = 0` the primary inputs
//! jump from the previous operation's values to the new ones, every other node
//! starts at its previous settled value; time runs until no node can change.
//! Every transition of every node is counted.
//!
//! The simulation is bit-parallel like the zero-delay engine (lane = operation,
//! each lane starting from the previous operation's settled state) and only
//! evaluates a node at the times its inputs can change: node `n` can only
//! change in `[E + d, L + d]`, `E`/`L` the earliest/latest change of its inputs.

use rayon::prelude::*;
use thiserror::Error;
use tosim_cells::{CellModel, SignalId, SignalKind, TruthTable};
use tosim_netlist::{CellId, CellType, Driver, Loc, NetId, Netlist, NetlistBuilder, NetlistError};

use crate::compile::CompileError;
use crate::delay::{cell_rc, RcParams, SignalRc};
use crate::engine::{chunks, load_inputs, per_op_variant, Activity, Csa, Geometry, OpCounts, Options, LANES, W};
use crate::ops::{FnCompiler, Insn, OpKind, SlotId};
use crate::report::{NetReport, Report, Stats};
use crate::stream::Stream;

type Blk = [u64; W];

/// Why a netlist cannot be expanded into stages.
#[derive(Debug, Error)]
pub enum StageError {
    /// The models do not fit the netlist.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A node is not restored by any stage.
    #[error("cell model {model}: node {node} has no stage")]
    NoStage {
        /// Model name.
        model: String,
        /// Node name.
        node: String,
    },
    /// A stage has more gate inputs than a truth table holds.
    #[error("cell model {model}: the stage of node {node} has {inputs} gate inputs (at most 6)")]
    TooWide {
        /// Model name.
        model: String,
        /// Node name.
        node: String,
        /// Gate inputs.
        inputs: usize,
    },
    /// A node's value is not a function of its stage's gate inputs.
    #[error("cell model {model}: node {node} is not a function of its stage's gate inputs")]
    NotAFunction {
        /// Model name.
        model: String,
        /// Node name.
        node: String,
    },
    /// The stage netlist failed its checks.
    #[error("stage netlist: {0}")]
    Netlist(#[from] NetlistError),
    /// The glitch engine's schedule would not fit: every node is listed at
    /// every time step of its activity window, and the windows of this design
    /// add up to more entries than the engine holds.
    #[error(
        "the glitch engine cannot schedule this design: {nodes} CMOS stages over {steps} time steps \
         need {entries} schedule entries ({bytes} bytes), more than the limit of {limit} entries; \
         count it with zero delay (`--mode zero`), or split it into smaller units"
    )]
    TooLarge {
        /// Stage nodes.
        nodes: usize,
        /// Time steps (the latest settling time).
        steps: u64,
        /// Schedule entries needed (evaluation and update lists).
        entries: u64,
        /// Bytes they would take.
        bytes: u64,
        /// The limit ([`MAX_SCHEDULE_ENTRIES`]).
        limit: u64,
    },
}

/// The most schedule entries (node × time step pairs of the evaluation and
/// update lists, 4 bytes each) the glitch engine allocates: 2^30, 4 GiB.
/// Designs above it are refused by [`GlitchProgram::compile`] before any
/// large allocation, with [`StageError::TooLarge`].
pub const MAX_SCHEDULE_ENTRIES: u64 = 1 << 30;

/// Delay of a stage node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delay {
    /// One time unit per stage.
    Unit,
    /// Logical-effort style, in units of an inverter's intrinsic delay:
    /// `round(p + g·h)`, at least 1, with `p` = the stage's gate inputs
    /// (parasitic), `g = (n_stack + 2·p_stack)/3` (logical effort of its worst
    /// input: inverter 1, NAND2 4/3, NOR2 5/3) and `h` = gates driven by the
    /// node ÷ gates per input of the stage (electrical effort).
    Effort,
    /// Switch-level RC from the template ([`crate::delay`]): per node, the
    /// Elmore delay of its worst pull-up (rise) and pull-down (fall) path into
    /// the node's capacitance (gates driven + own channel terminals), in units
    /// of [`RcParams::quantum`] (≈ ¼ inverter delay). Rise and fall differ; the
    /// inertial window of each direction is its own delay.
    Rc,
}

/// A netlist with one single-output cell per CMOS stage node, per-net delays
/// and the gate load of every node. Exported with
/// `tosim_netlist::export::write_verilog_with` (`net_delays = delays`), it is
/// the exact model the glitch engine simulates.
#[derive(Clone, Debug)]
pub struct StageNetlist {
    /// The stage netlist (same input and output buses as the original).
    pub netlist: Netlist,
    /// Delay of the stage driving each net (0 for inputs and constants); the
    /// rise delay when rise and fall differ ([`Delay::Rc`]).
    pub delays: Vec<u32>,
    /// Fall delay of each net (equal to `delays` except with [`Delay::Rc`]).
    pub fall_delays: Vec<u32>,
    /// Capacitance of each net, fF: gate and overlap capacitance of every
    /// transistor on it (see [`crate::delay`]).
    pub cap: Vec<f64>,
    /// MOSFET gates on each net.
    pub load: Vec<u32>,
    /// Σ W·L of those gates (µm²).
    pub area: Vec<f64>,
    /// The original net of each stage net (`None` for cell-internal nodes).
    pub origin: Vec<Option<NetId>>,
    /// The original instance each stage cell belongs to.
    pub cell_of: Vec<CellId>,
    /// Per original instance: (stage net, gates) load records, for per-type counts.
    pub(crate) loads: Vec<(u32, CellId, u32, f64)>,
    pub(crate) transistors: u64,
    pub(crate) cell_transistors: Vec<u32>,
    pub(crate) type_of: Vec<String>,
}

/// The function of `model.signals[si]` over its stage's gate inputs,
/// completed on combinations no settled state reaches (they occur during
/// transients) as the smallest pull-down network of a static CMOS stage: 0
/// when a reachable combination with a subset of its ones gives 0, else 1.
fn stage_function(model: &CellModel, si: usize) -> Result<(Vec<SignalId>, TruthTable), StageError> {
    let s = &model.signals[si];
    let st = s
        .stage
        .and_then(|i| model.stages.get(i.index()))
        .ok_or_else(|| StageError::NoStage { model: model.name.clone(), node: s.name.clone() })?;
    let gi = st.gate_inputs.clone();
    let k = gi.len();
    if k > 6 {
        return Err(StageError::TooWide { model: model.name.clone(), node: s.name.clone(), inputs: k });
    }
    let ni = model.inputs.len();
    let mut known: Vec<Option<bool>> = vec![None; 1 << k];
    for r in 0..(1u32 << ni) {
        let mut x = 0usize;
        for (j, &g) in gi.iter().enumerate() {
            x |= (model.signal(g).function.eval(r) as usize) << j;
        }
        let v = s.function.eval(r);
        match known[x] {
            Some(old) if old != v => {
                return Err(StageError::NotAFunction { model: model.name.clone(), node: s.name.clone() })
            }
            _ => known[x] = Some(v),
        }
    }
    let f = TruthTable::from_fn(k, |x| {
        let x = x as usize;
        if let Some(v) = known[x] {
            return v;
        }
        !known.iter().enumerate().any(|(y, v)| *v == Some(false) && y & !x == 0)
    })
    .ok_or_else(|| StageError::TooWide { model: model.name.clone(), node: s.name.clone(), inputs: k })?;
    Ok((gi, f))
}

impl StageNetlist {
    /// Expands every instance of `n` into its stages with the given delay model.
    pub fn new(n: &Netlist, models: &[CellModel], delay: Delay) -> Result<StageNetlist, StageError> {
        Self::with_external_cap(n, models, delay, &[])
    }

    /// As [`StageNetlist::new`], with `external[i]` fF of capacitance outside
    /// the unit on original net `i` (e.g. what an output drives; missing
    /// entries are 0): added to the net's `cap` and seen by the RC delays.
    pub fn with_external_cap(
        n: &Netlist,
        models: &[CellModel],
        delay: Delay,
        external: &[f64],
    ) -> Result<StageNetlist, StageError> {
        // Reuse the compiler's checks of models against types.
        crate::compile::Program::compile(n, models)?;
        let mut b = NetlistBuilder::new(n.name());
        let mut map: Vec<NetId> = vec![NetId(0); n.net_count()];
        map[1] = b.one();
        for bus in n.inputs() {
            let nets = b.add_input_bus(&bus.name, bus.width());
            for (&o, &s) in bus.nets.iter().zip(&nets) {
                map[o.index()] = s;
            }
        }
        // Net loads in the original netlist: reader pins + driver output signals.
        let params = RcParams::default();
        let rc: Vec<Vec<SignalRc>> = models.iter().map(|m| cell_rc(m, &params)).collect();
        let mut net_cap: Vec<f64> = (0..n.net_count()).map(|i| external.get(i).copied().unwrap_or(0.0)).collect();
        let mut net_load = vec![(0u32, 0f64); n.net_count()];
        let mut loads = Vec::new();
        for c in n.cells() {
            let m = &models[n.cell_type_id(c).index()];
            for (si, s) in m.signals.iter().enumerate() {
                let net = match s.kind {
                    SignalKind::Input(i) => n.cell_inputs(c)[i.index()],
                    SignalKind::Output(o) => n.cell_outputs(c)[o.index()],
                    SignalKind::Internal => continue,
                };
                net_load[net.index()].0 += s.gate_count;
                net_load[net.index()].1 += s.gate_area;
                net_cap[net.index()] += rc[n.cell_type_id(c).index()][si].cap;
            }
        }
        // Create output nets of every cell first (so readers can refer to them).
        for c in n.cells() {
            for &o in n.cell_outputs(c) {
                map[o.index()] = b.add_net(Some(n.net_name(o)));
            }
        }
        let mut types: std::collections::BTreeMap<(usize, u64), tosim_netlist::TypeId> = Default::default();
        let mut pending: Vec<Pending> = Vec::new();
        let mut cell_of = Vec::new();
        let mut stage_cells: Vec<(tosim_netlist::TypeId, Vec<NetId>, NetId, String)> = Vec::new();
        for &c in n.order() {
            let m = &models[n.cell_type_id(c).index()];
            let mut sig_net: Vec<Option<NetId>> = vec![None; m.signals.len()];
            for (si, s) in m.signals.iter().enumerate() {
                let net = match s.kind {
                    SignalKind::Input(i) => map[n.cell_inputs(c)[i.index()].index()],
                    SignalKind::Output(o) => map[n.cell_outputs(c)[o.index()].index()],
                    SignalKind::Internal => {
                        let name = format!("{}.{}", n.cell_name(c), s.name);
                        b.add_net(Some(&name))
                    }
                };
                sig_net[si] = Some(net);
                if s.gate_count > 0 {
                    loads.push((net.0, c, s.gate_count, s.gate_area));
                }
            }
            // Stage nodes in stage order (stages are topological).
            let mut order: Vec<usize> = (0..m.signals.len()).filter(|&i| m.signals[i].stage.is_some()).collect();
            order.sort_by_key(|&i| m.signals[i].stage);
            for si in order {
                let s = &m.signals[si];
                let (gi, f) = stage_function(m, si)?;
                let st = m.stage(s.stage.unwrap_or_default());
                let ins: Vec<NetId> = gi.iter().map(|&g| sig_net[g.index()].unwrap_or(NetId(0))).collect();
                let out = sig_net[si].unwrap_or(NetId(0));
                let key = (gi.len(), f.bits());
                let t = *types.entry(key).or_insert_with(|| {
                    b.add_type(CellType {
                        name: format!("ST{}_{}", gi.len(), f.to_hex()),
                        inputs: (0..gi.len()).map(|i| format!("I{i}")).collect(),
                        outputs: vec!["Y".into()],
                        functions: vec![f],
                    })
                });
                let (origin, gates, area) = match s.kind {
                    SignalKind::Output(o) => {
                        let on = n.cell_outputs(c)[o.index()];
                        (Some(on), net_load[on.index()].0, net_load[on.index()].1)
                    }
                    _ => (None, s.gate_count, s.gate_area),
                };
                let per_input = (st.nmos + st.pmos) as f64 / gi.len().max(1) as f64;
                pending.push((
                    out,
                    gates,
                    area,
                    origin,
                    c,
                    (st.n_stack, st.p_stack, gi.len() as u32, (per_input * 1000.0) as u32, si),
                ));
                stage_cells.push((t, ins, out, format!("{}.{}", n.cell_name(c), s.name)));
                cell_of.push(c);
            }
        }
        for (t, ins, out, name) in &stage_cells {
            b.add_cell_full(*t, ins, &[*out], Some(name), Loc::default());
        }
        for bus in n.outputs() {
            let nets: Vec<NetId> = bus.nets.iter().map(|o| map[o.index()]).collect();
            b.add_output_bus(&bus.name, &nets);
        }
        let sn = b.finish()?;
        let nn = sn.net_count();
        let mut delays = vec![0u32; nn];
        let mut fall_delays = vec![0u32; nn];
        let mut cap = vec![0f64; nn];
        let mut load = vec![0u32; nn];
        let mut area = vec![0f64; nn];
        let mut origin = vec![None; nn];
        for o in n.nets() {
            let s = map[o.index()];
            if o.index() < 2 || s.index() >= 2 {
                origin[s.index()] = Some(o);
                load[s.index()] = net_load[o.index()].0;
                area[s.index()] = net_load[o.index()].1;
                cap[s.index()] = net_cap[o.index()];
            }
        }
        for &(out, gates, ar, org, c, (ns, ps, k, per_input_milli, si)) in &pending {
            load[out.index()] = gates;
            area[out.index()] = ar;
            origin[out.index()] = org;
            let src = &rc[n.cell_type_id(c).index()][si];
            if org.is_none() {
                cap[out.index()] = src.cap;
            }
            if delay == Delay::Rc {
                let (r, f) = src.delays(cap[out.index()], &params);
                delays[out.index()] = r;
                fall_delays[out.index()] = f;
                continue;
            }
            delays[out.index()] = match delay {
                Delay::Unit => 1,
                Delay::Effort => {
                    let g = (ns as f64 + 2.0 * ps as f64) / 3.0;
                    let per_input = (per_input_milli as f64 / 1000.0).max(1.0);
                    let h = gates as f64 / per_input;
                    ((k as f64 + g * h).round() as u32).max(1)
                }
                Delay::Rc => 1,
            };
            fall_delays[out.index()] = delays[out.index()];
        }
        let transistors = n.cells().map(|c| models[n.cell_type_id(c).index()].transistors() as u64).sum();
        Ok(StageNetlist {
            netlist: sn,
            delays,
            fall_delays,
            cap,
            load,
            area,
            origin,
            cell_of,
            loads,
            transistors,
            cell_transistors: n.cells().map(|c| models[n.cell_type_id(c).index()].transistors()).collect(),
            type_of: n.cells().map(|c| n.cell_type(c).name.clone()).collect(),
        })
    }
}

/// A stage node awaiting its delay: (net, gates, area, original net, cell,
/// (n_stack, p_stack, gate inputs, gates per input × 1000, signal)).
type Pending = (NetId, u32, f64, Option<NetId>, CellId, (u32, u32, u32, u32, usize));

/// (node, first, last time step) of a node's evaluation window.
type Window = (u32, u32, u32);

/// One driven node of the glitch program.
#[derive(Clone, Copy, Debug)]
struct Node {
    net: u32,
    rhs: u32,
    /// Range of this node's input nets in `GlitchProgram::node_inputs`.
    ins: (u32, u32),
    insns: (u32, u32),
    /// Ring length: the larger of the two delays.
    delay: u32,
    rise: u32,
    fall: u32,
    ring: u32,
}

/// The unit-delay fast path of a [`GlitchProgram`].
#[derive(Clone, Debug)]
struct UnitPlan {
    /// For τ = 0, 1, …: the instructions of the nodes that may change at
    /// τ + 1, each step deepest level first; a node's last instruction writes
    /// its net, any before it write scratch slots.
    steps: Vec<Insn>,
    /// Every node's instruction in topological order (settling).
    settle: Vec<Insn>,
    /// Per step: the range of `fold_nets` (CSR) holding the inverters folded
    /// into the step's node.
    fold_at: Vec<u32>,
    fold_nets: Vec<u32>,
    /// (inverter, node) of every folded inverter: equal transition counts.
    copies: Vec<(u32, u32)>,
    /// Per step: index into `weights` of the gate load of the node and its
    /// folded inverters.
    class: Vec<u32>,
    /// The distinct gate loads (one per-operation counter each).
    weights: Vec<u32>,
}

/// Glitch-engine knobs.
#[derive(Clone, Copy, Debug, Default)]
pub struct GlitchOptions {
    /// Per-op statistics, recording and chunking, as for the zero-delay engine.
    pub base: Options,
    /// Transport instead of inertial delays.
    pub transport: bool,
}

/// A compiled stage netlist: immutable; [`run_glitch`] only reads it.
#[derive(Clone, Debug)]
pub struct GlitchProgram {
    stages: StageNetlist,
    insns: Vec<Insn>,
    nodes: Vec<Node>,
    node_inputs: Vec<u32>,
    slots: usize,
    inputs: Vec<Vec<u32>>,
    rings: usize,
    /// Per time step τ: nodes whose RHS is evaluated (CSR), and nodes updated at τ+1.
    eval_at: (Vec<u32>, Vec<u32>),
    update_at: (Vec<u32>, Vec<u32>),
    horizon: u32,
    /// Unit-delay fast path (every stage delay 1).
    unit: Option<UnitPlan>,
}

impl GlitchProgram {
    /// Expands `n` into stages (see [`StageNetlist::new`]) and compiles it.
    pub fn compile(n: &Netlist, models: &[CellModel], delay: Delay) -> Result<GlitchProgram, StageError> {
        Self::from_stages(StageNetlist::new(n, models, delay)?)
    }

    /// Compiles a stage netlist ([`StageError::TooLarge`] when its schedule
    /// would not fit, see [`MAX_SCHEDULE_ENTRIES`]).
    pub fn from_stages(stages: StageNetlist) -> Result<GlitchProgram, StageError> {
        let sn = &stages.netlist;
        let nn = sn.net_count();
        let matcher = crate::ops::matcher();
        let mut next = nn as u32;
        let mut insns = Vec::new();
        let mut nodes = Vec::new();
        let mut earliest = vec![0u32; nn];
        let mut latest = vec![0u32; nn];
        let mut rings = 0u32;
        let mut windows = Vec::new();
        let mut node_inputs = Vec::new();
        for &c in sn.order() {
            let out = sn.cell_outputs(c)[0];
            let ins: Vec<u32> = sn.cell_inputs(c).iter().map(|x| x.0).collect();
            let rhs = next;
            next += 1;
            let start = insns.len() as u32;
            let mut fc = FnCompiler { matcher: &matcher, zero: 0, one: 1, next_slot: &mut next, out: &mut insns };
            fc.compile(sn.cell_type(c).functions[0], &ins, Some(rhs));
            let rise = stages.delays[out.index()].max(1);
            let fall = stages.fall_delays.get(out.index()).copied().unwrap_or(rise).max(1);
            let d = rise.max(fall);
            let dmin = rise.min(fall);
            // Inputs that can change: primary inputs at 0, driven nets in their window.
            let mut e = u32::MAX;
            let mut l = 0u32;
            for &i in sn.cell_inputs(c) {
                match sn.driver(i) {
                    Driver::Const(_) | Driver::None => {}
                    Driver::Input { .. } => {
                        e = 0;
                    }
                    Driver::Cell { .. } => {
                        e = e.min(earliest[i.index()]);
                        l = l.max(latest[i.index()]);
                    }
                }
            }
            let node = nodes.len() as u32;
            if e == u32::MAX {
                // Constant inputs only: never changes.
                earliest[out.index()] = u32::MAX;
                latest[out.index()] = 0;
            } else {
                earliest[out.index()] = e + dmin;
                latest[out.index()] = l + d;
                windows.push((node, e, l + d - 1));
            }
            let i0 = node_inputs.len() as u32;
            node_inputs.extend(sn.cell_inputs(c).iter().map(|x| x.0));
            nodes.push(Node {
                net: out.0,
                rhs,
                ins: (i0, node_inputs.len() as u32),
                insns: (start, insns.len() as u32),
                delay: d,
                rise,
                fall,
                ring: rings,
            });
            rings += d;
        }
        let horizon = latest.iter().copied().max().unwrap_or(0);
        let steps = horizon as usize;
        // The schedule lists every node at every step of its window: refuse a
        // design whose lists would not fit before allocating them (their
        // offsets are u32; a 420k-cell, 41k-level design overflowed them).
        if steps > 0 {
            let span = |a: u32, z: u32| {
                let z = z.min(horizon - 1);
                if a > z {
                    0
                } else {
                    u64::from(z - a) + 1
                }
            };
            let entries: u64 = windows
                .iter()
                .map(|&(n, e, z)| {
                    let nd = &nodes[n as usize];
                    span(e, z) + span(e + nd.rise.min(nd.fall) - 1, z)
                })
                .sum();
            if entries > MAX_SCHEDULE_ENTRIES {
                return Err(StageError::TooLarge {
                    nodes: nodes.len(),
                    steps: u64::from(horizon),
                    entries,
                    bytes: entries * 4,
                    limit: MAX_SCHEDULE_ENTRIES,
                });
            }
        }
        let csr = |pick: &dyn Fn(&Window) -> Option<(u32, u32)>| {
            let mut count = vec![0u32; steps + 1];
            for w in &windows {
                if let Some((a, z)) = pick(w) {
                    for t in a..=z.min(steps as u32 - 1) {
                        count[t as usize + 1] += 1;
                    }
                }
            }
            for t in 0..steps {
                count[t + 1] += count[t];
            }
            let mut list = vec![0u32; count[steps] as usize];
            let mut fill = count.clone();
            for w in &windows {
                if let Some((a, z)) = pick(w) {
                    for t in a..=z.min(steps as u32 - 1) {
                        list[fill[t as usize] as usize] = w.0;
                        fill[t as usize] += 1;
                    }
                }
            }
            (count, list)
        };
        let eval_at =
            if steps == 0 { (vec![0], vec![]) } else { csr(&|&(n, e, z)| Some((e, z)).filter(|_| n != u32::MAX)) };
        // Updates: out(τ+1) for τ+1 in [e + dmin, z + 1], i.e. τ in [e + dmin - 1, z].
        let update_at = if steps == 0 {
            (vec![0], vec![])
        } else {
            csr(&|&(n, e, z)| {
                let nd = &nodes[n as usize];
                Some((e + nd.rise.min(nd.fall) - 1, z))
            })
        };
        // With every delay 1 a node's value at τ + 1 is its function of the
        // values at τ. Evaluating the nodes of step τ in reverse topological
        // order and writing in place reads every input before it is updated
        // and every output after its readers have read it, so no ring, no
        // right-hand-side slots and no second pass are needed.
        let unit_ok = nodes.iter().all(|n| n.rise == 1 && n.fall == 1);
        let unit = (unit_ok && steps > 0).then(|| {
            let (ca, la) = &eval_at;
            let node_of = |net: u32| match sn.driver(NetId(net)) {
                Driver::Cell { cell, .. } => Some(cell),
                _ => None,
            };
            // An inverter stage I driven by a node N copies N one step late:
            // I(τ + 1) = !N(τ), so it makes exactly N's transitions. It is
            // folded into N: whenever N is evaluated at τ, I := !N(τ) before N
            // is updated, and N's window is extended by one step so that I
            // also takes N's last value; I's gate load joins N's.
            let mut node_index = vec![u32::MAX; nn];
            for (k, n) in nodes.iter().enumerate() {
                node_index[n.net as usize] = k as u32;
            }
            // Last step of each node's window (None: constant inputs, never evaluated).
            let mut last: Vec<Option<u32>> = vec![None; nodes.len()];
            for &(k, _, z) in &windows {
                last[k as usize] = Some(z);
            }
            let mut folded = vec![false; nodes.len()];
            let mut inverters: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
            for (k, n) in nodes.iter().enumerate() {
                let ins = &insns[n.insns.0 as usize];
                if n.insns.1 != n.insns.0 + 1 || ins.kind != OpKind::Not || node_of(ins.src[0].0).is_none() {
                    continue;
                }
                let d = node_index[ins.src[0].index()] as usize;
                if !folded[d] && last[d].is_some() {
                    folded[k] = true;
                    inverters[d].push(n.net);
                }
            }
            // Level (longest path from the inputs, in nodes) of every net.
            let mut level = vec![0u32; nn];
            for n in &nodes {
                let ins = &node_inputs[n.ins.0 as usize..n.ins.1 as usize];
                level[n.net as usize] = 1 + ins.iter().map(|&i| level[i as usize]).max().unwrap_or(0);
            }
            let mut list = Vec::with_capacity(la.len());
            let mut extra: Vec<Vec<u32>> = vec![Vec::new(); steps];
            for (k, inv) in inverters.iter().enumerate() {
                if let (false, Some(z)) = (inv.is_empty(), last[k]) {
                    extra[z as usize + 1].push(k as u32);
                }
            }
            for t in 0..steps {
                let mut step: Vec<u32> = la[ca[t] as usize..ca[t + 1] as usize]
                    .iter()
                    .copied()
                    .filter(|&k| !folded[k as usize])
                    .chain(extra[t].iter().copied())
                    .collect();
                // Deepest level first is a reverse topological order; within a
                // level, runs of one operation keep the dispatch predictable.
                let key = |&k: &u32| {
                    let n = &nodes[k as usize];
                    (std::cmp::Reverse(level[n.net as usize]), insns[n.insns.0 as usize].kind, n.net)
                };
                step.sort_by_key(key);
                list.extend(step);
            }
            // A node's instructions, the last one writing the node's net (any
            // before it write scratch slots, never nets).
            let node_insns = |n: &Node| {
                let mut last = insns[n.insns.1 as usize - 1];
                last.dst = SlotId(n.net);
                insns[n.insns.0 as usize..n.insns.1 as usize - 1].iter().copied().chain(std::iter::once(last))
            };
            let mut steps_insns = Vec::with_capacity(list.len());
            let mut fold_at = vec![0u32];
            let mut fold_nets = Vec::new();
            let mut loads = Vec::with_capacity(list.len());
            for &k in &list {
                let n = &nodes[k as usize];
                for ins in node_insns(n) {
                    steps_insns.push(ins);
                    let node = ins.dst == SlotId(n.net);
                    if node {
                        fold_nets.extend(&inverters[k as usize]);
                    }
                    fold_at.push(fold_nets.len() as u32);
                    loads.push(if node {
                        stages.load[n.net as usize]
                            + inverters[k as usize].iter().map(|&i| stages.load[i as usize]).sum::<u32>()
                    } else {
                        0
                    });
                }
            }
            // Per-operation glitch counts: one counter per distinct gate load.
            let mut weights = loads.clone();
            weights.sort_unstable();
            weights.dedup();
            let class = loads.iter().map(|l| weights.binary_search(l).unwrap_or(0) as u32).collect();
            let settle = nodes.iter().flat_map(node_insns).collect();
            let copies = inverters
                .iter()
                .enumerate()
                .flat_map(|(k, inv)| {
                    let net = nodes[k].net;
                    inv.iter().map(move |&i| (i, net))
                })
                .collect();
            UnitPlan { steps: steps_insns, fold_at, fold_nets, copies, settle, class, weights }
        });
        Ok(GlitchProgram {
            unit,
            inputs: sn.inputs().iter().map(|b| b.nets.iter().map(|x| x.0).collect()).collect(),
            stages,
            insns,
            nodes,
            node_inputs,
            slots: next as usize,
            rings: rings as usize,
            eval_at,
            update_at,
            horizon,
        })
    }

    /// The same program without the unit-delay fast path (tests compare the
    /// two loops), and how many inverters the fast path folds.
    #[cfg(test)]
    pub(crate) fn split_unit_path(&self) -> (GlitchProgram, Option<usize>) {
        (GlitchProgram { unit: None, ..self.clone() }, self.unit.as_ref().map(|u| u.copies.len()))
    }

    /// The stage netlist this program simulates.
    pub fn stages(&self) -> &StageNetlist {
        &self.stages
    }

    /// Time steps until every node has settled (the longest path in delay units).
    pub fn horizon(&self) -> u32 {
        self.horizon
    }

    /// Builds the report of a glitch run: zero-delay counts from the settled
    /// values and glitch counts from all transitions.
    pub fn report(&self, act: &Activity, per_net: bool) -> Report {
        let st = &self.stages;
        let mut r = Report {
            design: st.netlist.name().to_string(),
            operations: act.operations,
            transistors: st.transistors,
            static_tos: st.transistors * act.operations,
            ..Default::default()
        };
        let (mut g, mut gn, mut area) = (0u64, 0u64, 0f64);
        for i in 0..st.netlist.net_count() {
            let (t, x) = (act.toggles[i], act.transitions[i]);
            r.switching_tos += t * st.load[i] as u64;
            g += x * st.load[i] as u64;
            area += t as f64 * st.area[i];
            if st.origin[i].is_some() {
                r.net_toggles += t;
                gn += x;
            }
        }
        r.glitch_tos = Some(g);
        r.glitch_net_toggles = Some(gn);
        r.switched_gate_area = area;
        for (c, name) in st.type_of.iter().enumerate() {
            let e = r.per_type.entry(name.clone()).or_default();
            e.cells += 1;
            e.transistors += st.cell_transistors[c] as u64;
        }
        for &(net, c, gates, _) in &st.loads {
            if let Some(e) = r.per_type.get_mut(&st.type_of[c.index()]) {
                e.switching_tos += act.toggles[net as usize] * gates as u64;
                *e.glitch_tos.get_or_insert(0) += act.transitions[net as usize] * gates as u64;
            }
        }
        for (k, h) in [
            ("switching_tos", &act.hist_switching),
            ("net_toggles", &act.hist_toggles),
            ("glitch_tos", &act.hist_glitch),
        ] {
            if let Some(s) = Stats::from_histogram(h) {
                r.per_op.insert(k.into(), s);
            }
        }
        if per_net {
            let mut nets: Vec<(NetId, NetReport)> = (0..st.netlist.net_count())
                .filter_map(|i| st.origin[i].filter(|o| o.index() >= 2).map(|o| (o, i)))
                .map(|(o, i)| {
                    (
                        o,
                        NetReport {
                            name: st.netlist.net_name(NetId(i as u32)).to_string(),
                            toggles: act.toggles[i],
                            transitions: Some(act.transitions[i]),
                            gate_load: st.load[i],
                        },
                    )
                })
                .collect();
            nets.sort_by_key(|x| x.0);
            r.nets = Some(nets.into_iter().map(|x| x.1).collect());
        }
        r
    }
}

struct GScratch {
    val: Vec<Blk>,
    settled: Vec<Blk>,
    carry: Vec<Blk>,
    ring: Vec<Blk>,
    stamp: Vec<u32>,
    hist: Vec<u64>,
    ops: Vec<u128>,
    sw: Csa,
    nt: Csa,
    gl: Csa,
    cls: Vec<Csa>,
    lanes: [[u64; LANES]; 3],
}

impl GScratch {
    fn new(p: &GlitchProgram) -> Self {
        let nn = p.stages.netlist.net_count();
        let mut val = vec![[0u64; W]; p.slots];
        val[1] = [u64::MAX; W];
        GScratch {
            val,
            settled: vec![[0; W]; nn],
            carry: vec![[0; W]; nn],
            ring: vec![[0; W]; p.rings],
            stamp: vec![u32::MAX; nn],
            hist: vec![0; p.nodes.len()],
            ops: Vec::new(),
            sw: Csa::new(),
            nt: Csa::new(),
            gl: Csa::new(),
            cls: vec![Csa::new(); p.unit.as_ref().map_or(0, |u| u.weights.len())],
            lanes: [[0; LANES]; 3],
        }
    }
}

#[inline(always)]
fn run_insns(insns: &[Insn], val: &mut [Blk]) {
    for ins in insns {
        let s = ins.src;
        val[ins.dst.index()] =
            ins.kind.apply_block::<W>(&val[s[0].index()], &val[s[1].index()], &val[s[2].index()], &val[s[3].index()]);
    }
}

#[inline(always)]
fn pop(x: &Blk) -> u64 {
    x.iter().map(|w| w.count_ones() as u64).sum()
}

#[inline(always)]
fn glitch_chunk_impl<const PER_OP: bool>(
    p: &GlitchProgram,
    stream: &dyn Stream,
    start: u64,
    end: u64,
    scr: &mut GScratch,
    opts: &GlitchOptions,
) -> Activity {
    let st = &p.stages;
    let nn = st.netlist.net_count();
    let g = Geometry::new(start, end);
    let flat: Vec<u32> = p.inputs.iter().flatten().copied().collect();
    let GScratch { val, settled, carry, ring, stamp, hist, ops, sw, nt, gl, cls, lanes } = scr;
    let settle = |val: &mut Vec<Blk>| {
        if let Some(u) = &p.unit {
            // One instruction per node, written straight to its net.
            run_insns(&u.settle, val);
            return;
        }
        for n in &p.nodes {
            run_insns(&p.insns[n.insns.0 as usize..n.insns.1 as usize], val);
            val[n.net as usize] = val[n.rhs as usize];
        }
    };
    // Primer: settled state of the operation before each sub-stream.
    load_inputs(&p.inputs, stream, &g, None, ops, |k, w, v| val[flat[k] as usize][w] = v);
    settle(val);
    carry[..nn].copy_from_slice(&val[..nn]);
    let mut act =
        Activity { operations: end - start, toggles: vec![0; nn], transitions: vec![0; nn], ..Default::default() };
    let mut per_op =
        if opts.base.record_per_op { vec![OpCounts::default(); (end - start) as usize] } else { Vec::new() };
    let mut newin: Vec<Blk> = vec![[0; W]; flat.len()];
    let base = &opts.base;
    for b in 0..g.blocks {
        load_inputs(&p.inputs, stream, &g, Some(b), ops, |k, w, v| newin[k][w] = v);
        for (k, &s) in flat.iter().enumerate() {
            val[s as usize] = newin[k];
        }
        settle(val);
        // Initial state: previous lane's settled values; settled toggles.
        for i in 0..nn {
            settled[i] = val[i];
            let mut prev = [0u64; W];
            for w in 0..W {
                prev[w] = settled[i][w] << 1 | carry[i][w] >> 63;
            }
            let mut t = [0u64; W];
            for w in 0..W {
                t[w] = settled[i][w] ^ prev[w];
            }
            let c = pop(&t);
            act.toggles[i] += c;
            if PER_OP && c != 0 {
                sw.add_weighted(st.load[i], t);
                if st.origin[i].is_some() {
                    nt.add(0, t);
                }
            }
            val[i] = prev;
        }
        // Inputs switch at t = 0.
        for (k, &s) in flat.iter().enumerate() {
            let s = s as usize;
            let mut t = [0u64; W];
            for w in 0..W {
                t[w] = val[s][w] ^ newin[k][w];
            }
            let c = pop(&t);
            act.transitions[s] += c;
            if PER_OP && c != 0 {
                gl.add_weighted(st.load[s], t);
            }
            if c != 0 {
                stamp[s] = 0;
            }
            val[s] = newin[k];
        }
        if let Some(UnitPlan { steps, fold_at, fold_nets, class, weights, .. }) = &p.unit {
            for (k, ins) in steps.iter().enumerate() {
                let s = ins.src;
                let new = ins.kind.apply_block::<W>(
                    &val[s[0].index()],
                    &val[s[1].index()],
                    &val[s[2].index()],
                    &val[s[3].index()],
                );
                let net = ins.dst.index();
                if net >= nn {
                    val[net] = new;
                    continue;
                }
                let old = val[net];
                for &i in &fold_nets[fold_at[k] as usize..fold_at[k + 1] as usize] {
                    val[i as usize] = old.map(|x| !x);
                }
                let mut t = [0u64; W];
                let mut any = 0u64;
                for w in 0..W {
                    t[w] = new[w] ^ old[w];
                    any |= t[w];
                }
                if any != 0 {
                    act.transitions[net] += pop(&t);
                    if PER_OP {
                        cls[class[k] as usize].add(0, t);
                    }
                    val[net] = new;
                }
            }
            if PER_OP {
                for (c, &w) in cls.iter_mut().zip(weights) {
                    c.fold_into(w, gl);
                }
            }
        } else {
            glitch_steps::<PER_OP>(p, val, ring, stamp, hist, &mut act.transitions, gl, opts.transport);
        }
        debug_assert!((0..nn).all(|i| val[i] == settled[i]), "glitch engine did not settle");
        std::mem::swap(carry, settled);
        if PER_OP {
            sw.take(&mut lanes[0]);
            nt.take(&mut lanes[1]);
            gl.take(&mut lanes[2]);
            for w in 0..W {
                for l in 0..64 {
                    if !g.valid(w, b, l) {
                        continue;
                    }
                    let j = 64 * w + l;
                    let oc = OpCounts { switching_tos: lanes[0][j], net_toggles: lanes[1][j], glitch_tos: lanes[2][j] };
                    if base.per_op_stats {
                        act.hist_switching.add(oc.switching_tos);
                        act.hist_toggles.add(oc.net_toggles);
                        act.hist_glitch.add(oc.glitch_tos);
                    }
                    if base.record_per_op {
                        per_op[(g.op(w, b, l) - start) as usize] = oc;
                    }
                }
            }
        }
    }
    if let Some(u) = &p.unit {
        for &(i, n) in &u.copies {
            act.transitions[i as usize] = act.transitions[n as usize];
        }
    }
    if base.record_per_op {
        act.per_op = Some(per_op);
    }
    act
}

/// The general glitch loop (any delays, inertial or transport): one block's
/// time steps over the ring of each node's recent right-hand sides.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn glitch_steps<const PER_OP: bool>(
    p: &GlitchProgram,
    val: &mut [Blk],
    ring: &mut [Blk],
    stamp: &mut [u32],
    hist: &mut [u64],
    transitions: &mut [u64],
    gl: &mut Csa,
    transport: bool,
) {
    let st = &p.stages;
    for n in &p.nodes {
        let init = val[n.net as usize];
        for r in &mut ring[n.ring as usize..(n.ring + n.delay) as usize] {
            *r = init;
        }
    }
    // Event-driven over words: a node is evaluated at τ only if one of its
    // inputs changed at τ (in any lane), and updated at τ+1 only if its
    // right-hand side changed at τ+1-d (the only time an update can come from).
    for tau in 0..p.horizon as usize {
        let tau32 = tau as u32;
        let (ca, la) = (&p.eval_at.0, &p.eval_at.1);
        for &ni in &la[ca[tau] as usize..ca[tau + 1] as usize] {
            let n = &p.nodes[ni as usize];
            let d = n.delay;
            let cur_pos = (n.ring + tau32 % d) as usize;
            let prev_pos = (n.ring + (tau32 + d - 1) % d) as usize;
            let active = p.node_inputs[n.ins.0 as usize..n.ins.1 as usize].iter().any(|&i| stamp[i as usize] == tau32);
            let changed = if active {
                run_insns(&p.insns[n.insns.0 as usize..n.insns.1 as usize], val);
                let new = val[n.rhs as usize];
                let changed = new != ring[prev_pos];
                ring[cur_pos] = new;
                changed
            } else {
                ring[cur_pos] = ring[prev_pos];
                false
            };
            hist[ni as usize] = hist[ni as usize] << 1 | changed as u64;
        }
        let (cb, lb) = (&p.update_at.0, &p.update_at.1);
        for &ni in &lb[cb[tau] as usize..cb[tau + 1] as usize] {
            let n = &p.nodes[ni as usize];
            // An update can only come from an RHS change `rise` or `fall` steps back.
            if n.delay <= 64 && hist[ni as usize] >> (n.rise - 1) & 1 == 0 && hist[ni as usize] >> (n.fall - 1) & 1 == 0
            {
                continue;
            }
            let r = &ring[n.ring as usize..(n.ring + n.delay) as usize];
            let cur = val[n.net as usize];
            let t1 = tau + 1;
            let new = if n.delay == 1 {
                r[0]
            } else if transport {
                r[t1 % n.delay as usize]
            } else if n.rise != n.fall {
                // Inertial, per direction: 1 once RHS has been 1 for `rise`
                // steps, 0 once it has been 0 for `fall` steps, else hold.
                let d = n.delay as usize;
                let mut ones = [u64::MAX; W];
                let mut zeros = [u64::MAX; W];
                for k in 0..d {
                    let x = &r[(tau + d - k) % d];
                    let (in_r, in_f) = ((k as u32) < n.rise, (k as u32) < n.fall);
                    for w in 0..W {
                        if in_r {
                            ones[w] &= x[w];
                        }
                        if in_f {
                            zeros[w] &= !x[w];
                        }
                    }
                }
                let mut out = [0u64; W];
                for w in 0..W {
                    out[w] = ones[w] | (cur[w] & !zeros[w]);
                }
                out
            } else {
                let last = r[tau % n.delay as usize];
                let mut out = [0u64; W];
                for w in 0..W {
                    let mut unstable = 0u64;
                    for x in r {
                        unstable |= x[w] ^ last[w];
                    }
                    out[w] = (last[w] & !unstable) | (cur[w] & unstable);
                }
                out
            };
            let mut t = [0u64; W];
            for w in 0..W {
                t[w] = new[w] ^ cur[w];
            }
            let c = pop(&t);
            if c != 0 {
                transitions[n.net as usize] += c;
                if PER_OP {
                    gl.add_weighted(st.load[n.net as usize], t);
                }
                val[n.net as usize] = new;
                stamp[n.net as usize] = tau32 + 1;
            }
        }
    }
    // The change stamps and histories are per block.
    stamp.fill(u32::MAX);
    hist.fill(0);
}

fn glitch_chunk(p: &GlitchProgram, s: &dyn Stream, a: u64, b: u64, scr: &mut GScratch, o: &GlitchOptions) -> Activity {
    #[cfg(target_arch = "x86_64")]
    if crate::engine::uses_hardware_popcount() {
        // SAFETY: the CPU supports every feature the function is compiled with.
        return unsafe { glitch_chunk_avx2(p, s, a, b, scr, o) };
    }
    per_op_variant!(o.base, glitch_chunk_impl(p, s, a, b, scr, o))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,avx2,bmi1,bmi2")]
unsafe fn glitch_chunk_avx2(
    p: &GlitchProgram,
    s: &dyn Stream,
    a: u64,
    b: u64,
    scr: &mut GScratch,
    o: &GlitchOptions,
) -> Activity {
    per_op_variant!(o.base, glitch_chunk_impl(p, s, a, b, scr, o))
}

/// Runs the glitch engine over the whole stream; like [`crate::run_zero_delay`],
/// the result does not depend on the number of threads. `toggles` are the
/// settled toggles and `transitions` all transitions, per stage-netlist net.
pub fn run_glitch(p: &GlitchProgram, stream: &dyn Stream, opts: &GlitchOptions) -> Activity {
    let parts = chunks(stream.len(), opts.base.chunk);
    let nn = p.stages.netlist.net_count();
    let mut act = if opts.base.record_per_op {
        let outs: Vec<Activity> = parts
            .par_iter()
            .map_init(|| GScratch::new(p), |scr, &(a, b)| glitch_chunk(p, stream, a, b, scr, opts))
            .collect();
        outs.iter().sum()
    } else {
        parts.par_iter().map_init(|| GScratch::new(p), |scr, &(a, b)| glitch_chunk(p, stream, a, b, scr, opts)).reduce(
            Activity::default,
            |mut x, y| {
                x += &y;
                x
            },
        )
    };
    act.toggles.resize(nn, 0);
    act.transitions.resize(nn, 0);
    act
}

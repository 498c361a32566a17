//! The compiler: a netlist and its bound cell models become a flat, immutable,
//! levelised program over dense word slots.
//!
//! Slots `0..net_count` are the nets (slot = [`NetId::index`]); after them come
//! the internal nodes that need evaluating and the temporaries of decomposed
//! functions. An internal node whose function equals an input pin's, an
//! output's or another internal node's function (or its complement) toggles
//! exactly when that signal does; its gate load is added to that signal and it
//! gets no slot. A constant internal node never toggles and is dropped.

use thiserror::Error;
use tosim_cells::{CellModel, PinId, SignalId, SignalKind, TruthTable};
use tosim_netlist::{CellId, NetId, Netlist, TypeId};

use crate::engine::ClassTable;
use crate::ops::{FnCompiler, Insn, SlotId};

/// A compile error: the models do not fit the netlist.
#[derive(Debug, Error)]
pub enum CompileError {
    /// Wrong number of models.
    #[error("{found} cell models for {expected} cell types")]
    ModelCount {
        /// `netlist.types().len()`.
        expected: usize,
        /// Models given.
        found: usize,
    },
    /// A model's pins do not match its cell type.
    #[error("cell type {cell_type}: model {model} has {found:?} (inputs, outputs), the type {expected:?}")]
    Pins {
        /// Cell type name.
        cell_type: String,
        /// Model name.
        model: String,
        /// Type pin counts.
        expected: (usize, usize),
        /// Model pin counts.
        found: (usize, usize),
    },
    /// A model's output function differs from its cell type's.
    #[error("cell type {cell_type}: output {output} of model {model} computes {found}, the type {expected}")]
    Function {
        /// Cell type name.
        cell_type: String,
        /// Model name.
        model: String,
        /// Output pin.
        output: String,
        /// Type function (hex rows).
        expected: String,
        /// Model function (hex rows).
        found: String,
    },
    /// A signal function has a different number of inputs than the model.
    #[error("cell model {model}: node {node} is a function of {found} inputs, the cell has {expected}")]
    SignalArity {
        /// Model name.
        model: String,
        /// Node name.
        node: String,
        /// Cell inputs.
        expected: usize,
        /// Function inputs.
        found: usize,
    },
}

/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// A net of the netlist.
    Net(NetId),
    /// An internal node of a cell instance.
    Internal {
        /// The instance.
        cell: CellId,
        /// The node among the signals of the instance's model ([`CellModel::signals`]).
        signal: SignalId,
    },
    /// A temporary of a decomposed function (not a circuit node; never counted).
    Temp,
}

/// One contribution to a slot's gate load: `gates` MOSFET gates (area `area`)
/// inside instance `cell`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Load {
    /// The slot.
    pub slot: SlotId,
    /// The instance whose transistors these gates are.
    pub cell: CellId,
    /// Number of gates.
    pub gates: u32,
    /// Σ W·L of those gates (µm²).
    pub area: f64,
}

/// A compiled netlist: immutable; engines only read it.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) name: String,
    pub(crate) insns: Vec<Insn>,
    pub(crate) slots: usize,
    pub(crate) net_count: usize,
    pub(crate) inputs: Vec<Vec<u32>>,
    pub(crate) widths: Vec<u32>,
    /// Output bus slots (at most the first 128 bits of each bus).
    pub(crate) outputs: Vec<Vec<u32>>,
    pub(crate) load: Vec<u32>,
    pub(crate) area: Vec<f64>,
    pub(crate) kinds: Vec<SlotKind>,
    pub(crate) loads: Vec<Load>,
    pub(crate) transistors: u64,
    pub(crate) cell_transistors: Vec<u32>,
    pub(crate) cell_type: Vec<TypeId>,
    pub(crate) type_names: Vec<String>,
    pub(crate) net_names: Vec<String>,
    pub(crate) depth: u32,
    /// Per-operation counting classes of the slots.
    pub(crate) classes: ClassTable,
}

/// How one signal of a model is accounted for.
#[derive(Clone, Copy, Debug)]
enum Home {
    Pin(usize),
    Out(usize),
    /// The k-th slotted internal node of the cell.
    Node(usize),
    Nowhere,
}

/// Per cell type: the internal nodes that need slots and where every
/// signal's gate load goes.
struct TypePlan {
    nodes: Vec<(usize, TruthTable)>,
    homes: Vec<Home>,
}

fn plan(model: &CellModel, n_in: usize) -> Result<TypePlan, CompileError> {
    let mut nodes: Vec<(usize, TruthTable)> = Vec::new();
    let mut homes = Vec::with_capacity(model.signals.len());
    let outs: Vec<Option<TruthTable>> =
        (0..model.outputs.len()).map(|o| model.output_signal(PinId::from_index(o)).map(|s| s.function)).collect();
    for (si, s) in model.signals.iter().enumerate() {
        let home = match s.kind {
            SignalKind::Input(i) => Home::Pin(i.index()),
            SignalKind::Output(o) => Home::Out(o.index()),
            SignalKind::Internal => {
                let f = s.function;
                if f.inputs() != n_in {
                    return Err(CompileError::SignalArity {
                        model: model.name.clone(),
                        node: s.name.clone(),
                        expected: n_in,
                        found: f.inputs(),
                    });
                }
                let same = |g: TruthTable| g == f || g.not() == f;
                if f.bits() == 0 || f.not().bits() == 0 {
                    Home::Nowhere
                } else if let Some(i) = (0..n_in).find(|&i| TruthTable::var(n_in, i).is_some_and(same)) {
                    Home::Pin(i)
                } else if let Some(o) = outs.iter().position(|g| g.is_some_and(same)) {
                    Home::Out(o)
                } else if let Some(k) = nodes.iter().position(|(_, g)| same(*g)) {
                    Home::Node(k)
                } else {
                    nodes.push((si, f));
                    Home::Node(nodes.len() - 1)
                }
            }
        };
        homes.push(home);
    }
    Ok(TypePlan { nodes, homes })
}

/// Orders instructions by level (1 + the largest level of their sources),
/// within a level by operation kind, and within a kind by `group` of the
/// destination (its per-operation counting class): instructions of one level
/// are independent, runs of one kind keep the dispatch branch predictable, and
/// runs of one class make the carry pattern of its counter regular.
fn schedule(insns: Vec<Insn>, slots: usize, group: impl Fn(u32) -> u64) -> Vec<Insn> {
    let mut level = vec![0u32; slots];
    let mut keyed: Vec<(u32, u8, u64, usize, Insn)> = Vec::with_capacity(insns.len());
    for (i, ins) in insns.into_iter().enumerate() {
        let l = 1 + ins.src[..ins.kind.arity()].iter().map(|&s| level[s.index()]).max().unwrap_or(0);
        level[ins.dst.index()] = l;
        keyed.push((l, ins.kind as u8, group(ins.dst.0), i, ins));
    }
    keyed.sort_unstable_by_key(|k| (k.0, k.1, k.2, k.3));
    keyed.into_iter().map(|k| k.4).collect()
}

impl Program {
    /// Compiles `netlist` with one model per cell type (`models[t]` for
    /// `netlist.types()[t]`, pins in the type's order).
    pub fn compile(netlist: &Netlist, models: &[CellModel]) -> Result<Program, CompileError> {
        let types = netlist.types();
        if models.len() != types.len() {
            return Err(CompileError::ModelCount { expected: types.len(), found: models.len() });
        }
        let mut plans = Vec::with_capacity(types.len());
        for (t, m) in types.iter().zip(models) {
            let (ni, no) = (t.inputs.len(), t.outputs.len());
            if m.inputs.len() != ni || m.outputs.len() != no {
                return Err(CompileError::Pins {
                    cell_type: t.name.clone(),
                    model: m.name.clone(),
                    expected: (ni, no),
                    found: (m.inputs.len(), m.outputs.len()),
                });
            }
            for o in 0..no {
                let f = m.output_signal(PinId::from_index(o)).map(|s| s.function).unwrap_or(m.functions[o]);
                if f != t.functions[o] || m.functions[o] != t.functions[o] {
                    return Err(CompileError::Function {
                        cell_type: t.name.clone(),
                        model: m.name.clone(),
                        output: t.outputs[o].clone(),
                        expected: t.functions[o].to_hex(),
                        found: f.to_hex(),
                    });
                }
            }
            plans.push(plan(m, ni)?);
        }

        let net_count = netlist.net_count();
        let matcher = crate::ops::matcher();
        let mut next = net_count as u32;
        let mut insns = Vec::with_capacity(netlist.cell_count() * 2);
        let mut internal: Vec<(u32, SlotKind)> = Vec::new();
        let mut loads: Vec<Load> = Vec::with_capacity(netlist.cell_count() * 4);
        let mut transistors = 0u64;
        let mut cell_transistors = vec![0u32; netlist.cell_count()];
        for &c in netlist.order() {
            let t = netlist.cell_type_id(c);
            let model = &models[t.index()];
            let p = &plans[t.index()];
            cell_transistors[c.index()] = model.transistors();
            transistors += model.transistors() as u64;
            let ins: Vec<u32> = netlist.cell_inputs(c).iter().map(|n| n.0).collect();
            let outs = netlist.cell_outputs(c);
            for (o, &net) in outs.iter().enumerate() {
                let mut fc = FnCompiler { matcher: &matcher, zero: 0, one: 1, next_slot: &mut next, out: &mut insns };
                fc.compile(types[t.index()].functions[o], &ins, Some(net.0));
            }
            let mut node_slots = Vec::with_capacity(p.nodes.len());
            for &(si, f) in &p.nodes {
                let slot = next;
                next += 1;
                internal.push((slot, SlotKind::Internal { cell: c, signal: SignalId::from_index(si) }));
                node_slots.push(slot);
                let mut fc = FnCompiler { matcher: &matcher, zero: 0, one: 1, next_slot: &mut next, out: &mut insns };
                fc.compile(f, &ins, Some(slot));
            }
            for (s, home) in model.signals.iter().zip(&p.homes) {
                let slot = match *home {
                    Home::Pin(i) => ins[i],
                    Home::Out(o) => outs[o].0,
                    Home::Node(k) => node_slots[k],
                    Home::Nowhere => continue,
                };
                if s.gate_count > 0 || s.gate_area > 0.0 {
                    loads.push(Load { slot: SlotId(slot), cell: c, gates: s.gate_count, area: s.gate_area });
                }
            }
        }
        let slots = next as usize;
        let mut kinds = vec![SlotKind::Temp; slots];
        for n in netlist.nets() {
            kinds[n.index()] = SlotKind::Net(n);
        }
        for (s, k) in internal {
            kinds[s as usize] = k;
        }
        let mut load = vec![0u32; slots];
        let mut area = vec![0f64; slots];
        for l in &loads {
            load[l.slot.index()] += l.gates;
            area[l.slot.index()] += l.area;
        }
        let insns = schedule(insns, slots, |d| (load[d as usize] as u64) << 1 | ((d as usize) < net_count) as u64);
        let inputs: Vec<Vec<u32>> = netlist.inputs().iter().map(|b| b.nets.iter().map(|n| n.0).collect()).collect();
        let dsts = inputs.iter().flatten().copied().chain(insns.iter().map(|i| i.dst.0));
        let classes = ClassTable::new(&load, net_count, dsts);
        Ok(Program {
            classes,
            name: netlist.name().to_string(),
            insns,
            slots,
            net_count,
            inputs,
            widths: netlist.inputs().iter().map(|b| b.width() as u32).collect(),
            outputs: netlist.outputs().iter().map(|b| b.nets.iter().take(128).map(|n| n.0).collect()).collect(),
            load,
            area,
            kinds,
            loads,
            transistors,
            cell_transistors,
            cell_type: netlist.cells().map(|c| netlist.cell_type_id(c)).collect(),
            type_names: types.iter().map(|t| t.name.clone()).collect(),
            net_names: netlist.nets().map(|n| netlist.net_name(n).to_string()).collect(),
            depth: netlist.depth(),
        })
    }

    /// Design name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Number of word slots (nets, internal nodes, temporaries).
    pub fn slots(&self) -> usize {
        self.slots
    }
    /// Number of instructions.
    pub fn instructions(&self) -> usize {
        self.insns.len()
    }
    /// The instructions, in evaluation order.
    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }
    /// Number of nets (slots `0..net_count()`).
    pub fn net_count(&self) -> usize {
        self.net_count
    }
    /// What slot `s` holds.
    pub fn slot_kind(&self, s: SlotId) -> SlotKind {
        self.kinds[s.index()]
    }
    /// Gate load of slot `s`: MOSFET gates that switch when it toggles.
    pub fn gate_load(&self, s: SlotId) -> u32 {
        self.load[s.index()]
    }
    /// Switched gate area of slot `s` per toggle (µm²).
    pub fn gate_area(&self, s: SlotId) -> f64 {
        self.area[s.index()]
    }
    /// Every gate-load contribution, by slot and instance.
    pub fn loads(&self) -> &[Load] {
        &self.loads
    }
    /// Transistors in the unit: its static TOs per operation.
    pub fn transistors(&self) -> u64 {
        self.transistors
    }
    /// Input bus widths, in declaration order.
    pub fn input_widths(&self) -> &[u32] {
        &self.widths
    }
    /// Output bus widths, in declaration order (values in
    /// [`crate::Outputs`] keep at most 128 bits of each).
    pub fn output_widths(&self) -> Vec<u32> {
        self.outputs.iter().map(|b| b.len() as u32).collect()
    }
    /// Logic depth in cells.
    pub fn depth(&self) -> u32 {
        self.depth
    }
}

//! The network engine: a layer is a set of processing elements with operand
//! streams, whatever the number format or the layer's kind.
//!
//! **The plan.** A layer ([`LayerPlan`]) has `elements` processing elements;
//! each element has the same unit *slots* (one unit instance per slot; several
//! slots may hold instances of the same compiled unit, e.g. the two clamps
//! of an integer requantiser). The arithmetic of the format ([`Arith`])
//! drives one element over one sample — a dense neuron's multiply-accumulate,
//! its batch norm and activation — and reports every unit operation to a
//! [`Sink`]: the slot, the primitive it counts as, the operands as the unit's
//! input buses and the value the unit must produce. An optional second stage
//! ([`Arith::across`]) spreads work over the layer's elements (a softmax: the
//! running maximum and sum pass from element to element).
//!
//! **The run.** For a batch of samples the arithmetic's plain-Rust reference
//! drives every element in parallel and records each slot's operand stream
//! (a [`Recorder`] per element). Then, per slot, every element's stream is
//! driven through the slot's compiled [`tosim_sim::HwUnit`] in one engine run
//! (1,024 operations per block, chunks in parallel), each element's stream
//! preceded by that instance's previous operation (from the previous batch;
//! the reset state, all inputs 0, before its first), whose counts and outputs
//! are dropped. The engine returns every operation's switching TOs (and, in
//! glitch mode, glitch TOs) and its settled outputs; every output is compared
//! with the value the reference carried forward. Each instance performs its
//! operations in time order — per sample the element's own operations, then
//! its part of the second stage — sample after sample in data-set order.
//!
//! **Outputs.** An element's output is the value that the reference carried
//! forward from the unit operations, and every one of those operations was
//! checked against the unit's gate-level output; [`NetRun::op_disagreements`]
//! counts, per sample, the operations where the two differ (all zero when the
//! run agrees). So when a run agrees, the outputs are exactly the units'
//! outputs; when it does not, the report says so ([`crate::NetReport`]'s
//! `agreement`) and the operands after the first difference are the
//! reference's, not the units'.

use std::ops::Range;

use rayon::prelude::*;
use tosim_sim::{GlitchOptions, HwUnit, Options, Stream};

use crate::gate::{Counts, LayerRun, NeuronRun, Primitive};
use crate::Result;

/// Receives every unit operation of a processing element.
pub(crate) trait Sink {
    /// One operation on `slot`: the unit's input buses and the value its
    /// first output bus must have.
    fn op(&mut self, slot: usize, prim: Primitive, operands: &[u128], result: u128);
}

/// The reference alone: nothing recorded.
#[derive(Clone, Copy)]
pub(crate) struct NoSink;

impl Sink for NoSink {
    #[inline(always)]
    fn op(&mut self, _: usize, _: Primitive, _: &[u128], _: u128) {}
}

/// One compiled unit of the network's processing elements.
#[derive(Debug)]
pub struct PeUnit {
    /// Design name (e.g. `mul_dadda_s8_kogge_stone`).
    pub name: String,
    /// Its role in the reports.
    pub primitive: Primitive,
    /// The bound and compiled unit (with its glitch program in glitch mode).
    pub hw: HwUnit,
}

impl PeUnit {
    /// Transistors (from the bound cell templates).
    pub fn transistors(&self) -> u64 {
        self.hw.transistors()
    }
}

/// A layer as the engine runs it.
#[derive(Debug, Clone)]
pub struct LayerPlan {
    /// Layer name.
    pub name: String,
    /// Processing elements (neurons).
    pub elements: usize,
    /// Multiply-accumulates per element and sample (sizes the batches).
    pub macs: usize,
    /// Per slot: index of its unit in the network's unit list.
    pub slots: Vec<usize>,
}

/// The arithmetic of one number format over the layers of a network.
pub(crate) trait Arith: Sync {
    /// Element `pe` of layer `layer` on one sample's layer input; every unit
    /// operation goes to `s`. Returns the element's value before the second stage.
    fn element<S: Sink>(&self, layer: usize, s: &mut S, pe: usize, x: &[i64]) -> Result<i64>;
    /// Whether layer `layer` has a second stage across its elements.
    fn has_across(&self, layer: usize) -> bool;
    /// The second stage on one sample's element values (`sinks[j]` is element
    /// `j`'s); replaces the values by the layer's outputs.
    fn across<S: Sink>(&self, layer: usize, sinks: &mut [S], v: &mut [i64]) -> Result<()>;
}

/// What a gate-level run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetRun {
    /// Per layer, per element counts and outputs.
    pub layers: Vec<LayerRun>,
    /// Per sample: unit operations whose gate-level output differed from the
    /// value the reference carried forward (all zero when the run agrees).
    pub op_disagreements: Vec<u64>,
    /// Per unit of the network (its index in `GateNet::units`): operations
    /// simulated, the carried separator operations included (work, not counts;
    /// from `GateNet::run_range`: the run of the range, the replayed sample included).
    pub unit_operations: Vec<u64>,
}

/// Multiply-accumulates per batch of samples (memory bound of a run; the
/// counts do not depend on it).
pub(crate) const BATCH_MACS: usize = 1 << 16;
/// Engine chunks per thread, and the smallest chunk (operations).
const CHUNKS_PER_THREAD: u64 = 4;
const MIN_CHUNK: u64 = 16 * 1024;

/// Operations one processing element sent to one slot.
#[derive(Default)]
struct Trace {
    operands: Vec<u64>,
    expect: Vec<u128>,
    sample: Vec<u32>,
    prim: Vec<Primitive>,
}

impl Trace {
    fn len(&self) -> usize {
        self.expect.len()
    }
}

/// Records a processing element's operations, per slot.
pub(crate) struct Recorder {
    slots: Vec<Trace>,
    sample: u32,
}

impl Recorder {
    fn new(slots: usize) -> Self {
        Recorder { slots: (0..slots).map(|_| Trace::default()).collect(), sample: 0 }
    }

    /// Forgets every operation (keeps the memory).
    fn clear(&mut self) {
        for t in &mut self.slots {
            t.operands.clear();
            t.expect.clear();
            t.sample.clear();
            t.prim.clear();
        }
    }

    /// Makes room for `more` samples like the ones recorded so far.
    fn reserve(&mut self, more: usize, operands: &[usize]) {
        for (t, &k) in self.slots.iter_mut().zip(operands) {
            let n = t.len() * more;
            t.operands.reserve(n * k);
            t.expect.reserve(n);
            t.sample.reserve(n);
            t.prim.reserve(n);
        }
    }

    /// Appends `b`'s operations after this one's within each sample (both in
    /// sample order).
    fn merge(&mut self, b: Recorder, operands: &[usize]) {
        for ((a, b), &k) in self.slots.iter_mut().zip(b.slots).zip(operands) {
            if b.len() == 0 {
                continue;
            }
            let old = std::mem::take(a);
            let mut m = Trace::default();
            let (mut i, mut j) = (0, 0);
            while i < old.len() || j < b.len() {
                let from_a = j == b.len() || (i < old.len() && old.sample[i] <= b.sample[j]);
                let (t, x) = if from_a { (&old, i) } else { (&b, j) };
                m.operands.extend_from_slice(&t.operands[x * k..(x + 1) * k]);
                m.expect.push(t.expect[x]);
                m.sample.push(t.sample[x]);
                m.prim.push(t.prim[x]);
                if from_a {
                    i += 1;
                } else {
                    j += 1;
                }
            }
            *a = m;
        }
    }
}

impl Sink for Recorder {
    #[inline(always)]
    fn op(&mut self, slot: usize, prim: Primitive, operands: &[u128], result: u128) {
        let t = &mut self.slots[slot];
        t.operands.extend(operands.iter().map(|&v| v as u64));
        t.expect.push(result);
        t.sample.push(self.sample);
        t.prim.push(prim);
    }
}

/// A layer's counts, per element, while its batches run.
struct LayerAcc {
    counts: Vec<[Counts; Primitive::ALL.len()]>,
    per_sample: Vec<Vec<u64>>,
    outputs: Vec<Vec<i64>>,
    /// Per element and slot: the operands of its last operation so far.
    carry: Vec<Vec<Vec<u64>>>,
}

/// One element's results from one engine run (samples relative to the batch).
struct SegOut {
    o: usize,
    counts: [Counts; Primitive::ALL.len()],
    per_sample: Vec<u64>,
    bad: Vec<u64>,
}

/// Runs every sample (`x`: encoded layer-0 inputs) through the layers, the
/// elements of a layer in parallel; `progress(layer, done, elements)`.
pub(crate) fn run<A: Arith>(
    arith: &A,
    units: &[PeUnit],
    plans: &[LayerPlan],
    batch_macs: usize,
    x: &[Vec<i64>],
    progress: &(dyn Fn(usize, usize, usize) + Sync),
) -> Result<NetRun> {
    let samples = x.len();
    let mut layers = Vec::with_capacity(plans.len());
    let mut op_disagreements = vec![0u64; samples];
    let mut unit_operations = vec![0u64; units.len()];
    let mut input: Vec<Vec<i64>> = x.to_vec();
    for (li, plan) in plans.iter().enumerate() {
        let n = plan.elements;
        let operands: Vec<usize> = plan.slots.iter().map(|&u| units[u].hw.operands()).collect();
        let mut acc = LayerAcc {
            counts: vec![[Counts::default(); Primitive::ALL.len()]; n],
            per_sample: vec![vec![0u64; samples]; n],
            outputs: vec![vec![0i64; samples]; n],
            carry: (0..n).map(|_| operands.iter().map(|&k| vec![0u64; k]).collect()).collect(),
        };
        // Samples per batch: about `batch_macs` multiply-accumulates.
        let batch = (batch_macs / (plan.macs * n).max(1)).max(1);
        // One recorder per element, reused from batch to batch.
        let mut recs: Vec<Recorder> = (0..n).map(|_| Recorder::new(plan.slots.len())).collect();
        let mut b0 = 0;
        while b0 < samples {
            let b1 = (b0 + batch).min(samples);
            // The reference drives each element: its operations per slot.
            let mut vals: Vec<Vec<i64>> = recs
                .par_iter_mut()
                .enumerate()
                .map(|(o, rec)| {
                    rec.clear();
                    let mut vals = Vec::with_capacity(b1 - b0);
                    for (s, xs) in input.iter().enumerate().take(b1).skip(b0) {
                        rec.sample = s as u32;
                        vals.push(arith.element(li, rec, o, xs)?);
                        if s == b0 {
                            rec.reserve(b1 - b0 - 1, &operands);
                        }
                    }
                    Ok(vals)
                })
                .collect::<Result<Vec<_>>>()?;
            if arith.has_across(li) {
                let mut second: Vec<Recorder> = (0..n).map(|_| Recorder::new(plan.slots.len())).collect();
                for s in b0..b1 {
                    let mut v: Vec<i64> = vals.iter().map(|col| col[s - b0]).collect();
                    for r in &mut second {
                        r.sample = s as u32;
                    }
                    arith.across(li, &mut second, &mut v)?;
                    for (col, y) in vals.iter_mut().zip(v) {
                        col[s - b0] = y;
                    }
                }
                for (a, b) in recs.iter_mut().zip(second) {
                    a.merge(b, &operands);
                }
            }
            for (o, col) in vals.into_iter().enumerate() {
                acc.outputs[o][b0..b1].copy_from_slice(&col);
            }
            simulate(units, plan, &recs, b0, b1 - b0, &operands, &mut acc, &mut op_disagreements, &mut unit_operations);
            b0 = b1;
            progress(li, n * b0 / samples, n);
        }
        let neurons = acc
            .counts
            .into_iter()
            .zip(acc.per_sample)
            .zip(acc.outputs)
            .map(|((c, per_sample), outputs)| {
                let by_primitive =
                    Primitive::ALL.iter().zip(c).filter(|(_, c)| c.operations > 0).map(|(p, c)| (*p, c)).collect();
                NeuronRun { by_primitive, per_sample, outputs }
            })
            .collect();
        let run = LayerRun { name: plan.name.clone(), neurons };
        input = (0..samples).map(|s| run.sample_outputs(s)).collect();
        layers.push(run);
    }
    Ok(NetRun { layers, op_disagreements, unit_operations })
}

/// Drives a batch of a layer's operations through the units: per slot, one
/// engine run over every element's stream (see the module documentation).
/// The engine splits the stream into chunks run in parallel; its counts do
/// not depend on the split. `nb` samples from `first`.
#[allow(clippy::too_many_arguments)]
fn simulate(
    units: &[PeUnit],
    plan: &LayerPlan,
    recs: &[Recorder],
    first: usize,
    nb: usize,
    operands: &[usize],
    acc: &mut LayerAcc,
    bad: &mut [u64],
    unit_operations: &mut [u64],
) {
    let threads = rayon::current_num_threads().max(1) as u64;
    for (si, (&ui, &k)) in plan.slots.iter().zip(operands).enumerate() {
        let u = &units[ui];
        let segs: Vec<(usize, &[u64])> = recs
            .iter()
            .enumerate()
            .filter(|(_, r)| r.slots[si].len() > 0)
            .map(|(o, r)| (o, &r.slots[si].operands[..]))
            .collect();
        let total: u64 = segs.iter().map(|(_, ops)| 1 + (ops.len() / k.max(1)) as u64).sum();
        if total == 0 || k == 0 {
            continue;
        }
        unit_operations[ui] += total;
        // Groups of whole elements, at least 16 blocks and about four per
        // thread: each is an independent stream (it starts with a separator)
        // run as one engine chunk.
        let target = (total / (CHUNKS_PER_THREAD * threads)).clamp(MIN_CHUNK, 1 << 18);
        let mut groups: Vec<Range<usize>> = Vec::new();
        let (mut g0, mut len) = (0, 0u64);
        for (i, (_, ops)) in segs.iter().enumerate() {
            len += 1 + (ops.len() / k) as u64;
            if len >= target || i + 1 == segs.len() {
                groups.push(g0..i + 1);
                (g0, len) = (i + 1, 0);
            }
        }
        let tr = u.transistors();
        let carry = &acc.carry;
        let results: Vec<Vec<SegOut>> = groups
            .par_iter()
            .map(|g| {
                let gsegs = &segs[g.clone()];
                let mut starts = Vec::with_capacity(gsegs.len() + 1);
                starts.push(0u64);
                for (_, ops) in gsegs {
                    starts.push(starts[starts.len() - 1] + 1 + (ops.len() / k) as u64);
                }
                let len = starts[starts.len() - 1];
                let stream = SlotStream { k, segs: gsegs, starts: &starts, carry, slot: si };
                let opts = Options {
                    per_op_stats: false,
                    record_per_op: true,
                    outputs: true,
                    first_output_only: true,
                    chunk: len,
                };
                let act = u.hw.count(&stream, &opts);
                let per_op = act.per_op.unwrap_or_default();
                // Glitch mode: the same stream on the glitch engine (counts only;
                // the settled outputs are the zero-delay engine's).
                let gopts = GlitchOptions {
                    base: Options {
                        per_op_stats: false,
                        record_per_op: true,
                        outputs: false,
                        first_output_only: false,
                        chunk: len,
                    },
                    transport: false,
                };
                let glitch_per_op = u.hw.count_glitch(&stream, &gopts).map(|a| a.per_op.unwrap_or_default());
                // The first output bus of every operation.
                let outputs = act.outputs.unwrap_or_default();
                let (nbus, out) = (outputs.buses().max(1), outputs.values());
                gsegs
                    .iter()
                    .zip(&starts)
                    .map(|(&(o, _), &st)| {
                        let t = &recs[o].slots[si];
                        let base = st as usize + 1;
                        let mut r = SegOut {
                            o,
                            counts: [Counts::default(); Primitive::ALL.len()],
                            per_sample: vec![0; nb],
                            bad: vec![0; nb],
                        };
                        for i in 0..t.len() {
                            let j = base + i;
                            let sw = per_op.get(j).map_or(0, |c| c.switching_tos);
                            let c = &mut r.counts[t.prim[i].index()];
                            c.operations += 1;
                            c.static_tos += tr;
                            c.switching_tos += sw;
                            if let Some(g) = &glitch_per_op {
                                let gt = g.get(j).map_or(0, |c| c.glitch_tos);
                                c.glitch_tos = Some(c.glitch_tos.unwrap_or(0) + gt);
                            }
                            let s = t.sample[i] as usize - first;
                            r.per_sample[s] += sw;
                            if out.get(j * nbus) != Some(&t.expect[i]) {
                                r.bad[s] += 1;
                            }
                        }
                        r
                    })
                    .collect()
            })
            .collect();
        for r in results.into_iter().flatten() {
            for (a, c) in acc.counts[r.o].iter_mut().zip(&r.counts) {
                *a += c;
            }
            for (a, b) in acc.per_sample[r.o][first..first + nb].iter_mut().zip(&r.per_sample) {
                *a += b;
            }
            for (a, b) in bad[first..first + nb].iter_mut().zip(&r.bad) {
                *a += b;
            }
        }
        for &(o, ops) in &segs {
            acc.carry[o][si].copy_from_slice(&ops[ops.len() - k..]);
        }
    }
}

/// The operand stream of one slot over a group of elements: element after
/// element, each preceded by its carried operation (read in place: whole runs
/// of an element's operations are copied at once).
struct SlotStream<'a> {
    k: usize,
    segs: &'a [(usize, &'a [u64])],
    /// Where each element's operations start in the stream (its carried one first); one past the end last.
    starts: &'a [u64],
    carry: &'a [Vec<Vec<u64>>],
    slot: usize,
}

impl Stream for SlotStream<'_> {
    fn len(&self) -> u64 {
        self.starts[self.starts.len() - 1]
    }

    fn operands(&self) -> usize {
        self.k
    }

    fn fill(&self, first: u64, out: &mut [u128]) {
        let k = self.k;
        let end = first + (out.len() / k) as u64;
        let mut seg = self.starts.partition_point(|&s| s <= first).saturating_sub(1);
        let (mut op, mut w) = (first, 0usize);
        while op < end && seg + 1 < self.starts.len() {
            let (o, ops) = self.segs[seg];
            let (s0, s1) = (self.starts[seg], self.starts[seg + 1]);
            if op == s0 {
                for (d, &v) in out[w..w + k].iter_mut().zip(&self.carry[o][self.slot]) {
                    *d = u128::from(v);
                }
                w += k;
                op += 1;
            }
            let take = (s1.min(end) - op) as usize;
            let i = (op - s0 - 1) as usize;
            for (d, &v) in out[w..w + take * k].iter_mut().zip(&ops[i * k..(i + take) * k]) {
                *d = u128::from(v);
            }
            w += take * k;
            op += take as u64;
            seg += 1;
        }
    }
}

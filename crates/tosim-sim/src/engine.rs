//! The zero-delay engine: settled values of 1024 operations per instruction.
//!
//! A block is `W = 16` words (1024 lanes: the dispatch of one instruction is
//! amortised over 1024 operations; a slot is two cache lines). Within a chunk of the stream, word `w` of every
//! block holds sub-stream `w` (a quarter of the chunk, consecutive
//! operations), lane `l` of block `b` operation `start_w + 64·b + l`. A slot's
//! toggles are `v ^ (v << 1 | prev >> 63)`, `prev` being the same word of the
//! previous block, so each operation toggles against the one before it. Every
//! chunk (and sub-stream) starts with a primer block holding the operation
//! before it (or the reset state, all inputs 0), so chunks are independent and
//! the counts are identical for any thread count. Padding lanes repeat the
//! last operation and therefore never toggle.

use rayon::prelude::*;

use crate::compile::Program;
use crate::ops::Insn;
use crate::stream::Stream;
use crate::transpose::transpose64;

/// Words per block.
pub const W: usize = 16;
// `Csa::take` pairs words.
const _: () = assert!(W % 2 == 0);
/// Operations per block.
pub const LANES: usize = 64 * W;
type Blk = [u64; W];

/// A histogram of per-operation values (index = value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl Histogram {
    /// Records `v` once.
    #[inline]
    pub fn add(&mut self, v: u64) {
        let i = v as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
    }

    /// Adds another histogram.
    pub fn merge(&mut self, o: &Histogram) {
        if o.counts.len() > self.counts.len() {
            self.counts.resize(o.counts.len(), 0);
        }
        for (a, b) in self.counts.iter_mut().zip(&o.counts) {
            *a += b;
        }
    }

    /// `(value, count)` for every value that occurs, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(v, &c)| (v as u64, c))
    }

    /// Number of recorded values.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Counts of one operation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCounts {
    /// Switching TOs.
    pub switching_tos: u64,
    /// Net toggles.
    pub net_toggles: u64,
    /// Glitch TOs (glitch engine only).
    pub glitch_tos: u64,
}

/// Raw results of a run: per-slot toggle counts and per-operation histograms.
/// Integer sums only, so any reduction order gives the same result.
#[derive(Clone, Debug, Default)]
pub struct Activity {
    /// Operations simulated.
    pub operations: u64,
    /// Settled toggles per slot.
    pub toggles: Vec<u64>,
    /// Transitions per glitch-program node (glitch engine only).
    pub transitions: Vec<u64>,
    /// Per-operation switching TOs.
    pub hist_switching: Histogram,
    /// Per-operation net toggles.
    pub hist_toggles: Histogram,
    /// Per-operation glitch TOs (glitch engine only).
    pub hist_glitch: Histogram,
    /// Per-operation counts in stream order, when recorded.
    pub per_op: Option<Vec<OpCounts>>,
    /// Every operation's output bus values in stream order, when requested
    /// ([`Options::outputs`]; zero-delay engine only).
    pub outputs: Option<Outputs>,
}

/// The settled output bus values of every operation of a run, in stream
/// order: `get(i)` is what [`tosim_netlist::eval`] returns for operation `i`
/// (one value per output bus, LSB first; bits above 127 are dropped).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    buses: usize,
    values: Vec<u128>,
}

impl Outputs {
    /// Output buses per operation.
    pub fn buses(&self) -> usize {
        self.buses
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.buses).unwrap_or(0)
    }

    /// Whether no operation was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The output bus values of operation `op` (`None` past the end).
    pub fn get(&self, op: usize) -> Option<&[u128]> {
        self.values.get(op * self.buses..(op + 1) * self.buses)
    }

    /// Every value, operation-major (`buses()` values per operation).
    pub fn values(&self) -> &[u128] {
        &self.values
    }

    /// Output bus `bus` of every operation, in stream order.
    pub fn bus(&self, bus: usize) -> impl Iterator<Item = u128> + '_ {
        self.values.iter().skip(bus).step_by(self.buses.max(1)).copied()
    }

    /// The values, operation-major.
    pub fn into_values(self) -> Vec<u128> {
        self.values
    }
}

impl std::ops::AddAssign<&Activity> for Activity {
    fn add_assign(&mut self, o: &Activity) {
        self.operations += o.operations;
        for (v, src) in [(&mut self.toggles, &o.toggles), (&mut self.transitions, &o.transitions)] {
            if v.len() < src.len() {
                v.resize(src.len(), 0);
            }
            for (a, b) in v.iter_mut().zip(src) {
                *a += b;
            }
        }
        self.hist_switching.merge(&o.hist_switching);
        self.hist_toggles.merge(&o.hist_toggles);
        self.hist_glitch.merge(&o.hist_glitch);
        if let Some(p) = &o.per_op {
            self.per_op.get_or_insert_with(Vec::new).extend_from_slice(p);
        }
        if let Some(p) = &o.outputs {
            let acc = self.outputs.get_or_insert_with(|| Outputs { buses: p.buses, values: Vec::new() });
            acc.values.extend_from_slice(&p.values);
        }
    }
}

/// The sum of activities in order (per-operation records and output values
/// concatenated in the order of the iterator).
impl<'a> std::iter::Sum<&'a Activity> for Activity {
    fn sum<I: Iterator<Item = &'a Activity>>(iter: I) -> Activity {
        let mut acc = Activity::default();
        for a in iter {
            acc += a;
        }
        acc
    }
}

/// Engine knobs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Per-operation statistics (histograms).
    pub per_op_stats: bool,
    /// Keep every operation's counts in stream order (memory linear in the stream).
    pub record_per_op: bool,
    /// Operations per parallel chunk (rounded up to a multiple of 1024).
    pub chunk: u64,
    /// Keep every operation's settled output bus values ([`Activity::outputs`];
    /// memory: 16 bytes per output bus per operation). Zero-delay engine only.
    pub outputs: bool,
    /// With `outputs`: keep only the first output bus (what a caller that
    /// checks a unit's result needs; an adder's carry-out is then dropped).
    pub first_output_only: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { per_op_stats: true, record_per_op: false, chunk: 1 << 16, outputs: false, first_output_only: false }
    }
}

/// Bit-sliced per-lane counter: adds weighted block words with carry-save
/// adders; level `q` holds up to two pending words of weight `2^q`.
#[derive(Clone, Debug)]
pub(crate) struct Csa {
    pend: Vec<[Blk; 2]>,
    fill: Vec<u8>,
}

impl Csa {
    pub(crate) fn new() -> Self {
        Csa { pend: vec![[[0; W]; 2]; 64], fill: vec![0; 64] }
    }

    #[inline(always)]
    pub(crate) fn add(&mut self, mut q: usize, mut x: Blk) {
        loop {
            match self.fill[q] {
                0 => {
                    self.pend[q][0] = x;
                    self.fill[q] = 1;
                    return;
                }
                1 => {
                    self.pend[q][1] = x;
                    self.fill[q] = 2;
                    return;
                }
                _ => {
                    let [a, b] = self.pend[q];
                    let mut carry = [0u64; W];
                    for w in 0..W {
                        let u = a[w] ^ b[w];
                        self.pend[q][0][w] = u ^ x[w];
                        carry[w] = (a[w] & b[w]) | (u & x[w]);
                    }
                    self.fill[q] = 1;
                    x = carry;
                    q += 1;
                }
            }
        }
    }

    #[inline(always)]
    pub(crate) fn add_weighted(&mut self, weight: u32, x: Blk) {
        self.add_weighted_at(0, weight, x);
    }

    /// Adds `x` with weight `weight · 2^level`.
    #[inline(always)]
    pub(crate) fn add_weighted_at(&mut self, level: usize, weight: u32, x: Blk) {
        let mut m = weight;
        while m != 0 {
            let q = m.trailing_zeros() as usize;
            self.add(level + q, x);
            m &= m - 1;
        }
    }

    /// Adds this counter's pending words, weighted by `weight`, to `into`,
    /// and resets this counter.
    pub(crate) fn fold_into(&mut self, weight: u32, into: &mut Csa) {
        for q in 0..self.fill.len() {
            for i in 0..self.fill[q] as usize {
                into.add_weighted_at(q, weight, self.pend[q][i]);
            }
            self.fill[q] = 0;
        }
    }

    /// Per-lane sums (lane `64·w + l`), and resets the counter.
    pub(crate) fn take(&mut self, out: &mut [u64; LANES]) {
        // Levels above the highest pending word only receive carries.
        let filled = self.fill.iter().rposition(|&f| f > 0).map_or(0, |q| q + 1);
        let mut planes = [[0u64; W]; 64];
        let mut carry = [0u64; W];
        let mut top = 0usize;
        for (q, plane) in planes.iter_mut().enumerate() {
            if q >= filled && carry.iter().all(|&c| c == 0) {
                break;
            }
            let n = self.fill[q] as usize;
            let mut words = [carry, [0; W], [0; W]];
            words[1..1 + n].copy_from_slice(&self.pend[q][..n]);
            for w in 0..W {
                let (a, b, c) = (words[0][w], words[1][w], words[2][w]);
                plane[w] = a ^ b ^ c;
                carry[w] = (a & b) | (c & (a ^ b));
            }
            self.fill[q] = 0;
            top = q + 1;
        }
        if top <= 32 {
            // Sums below 2^32: one transpose serves two words (rows 0..32 from
            // word w, rows 32..64 from word w + 1).
            for w in (0..W).step_by(2) {
                let mut m = [0u64; 64];
                for q in 0..top {
                    m[q] = planes[q][w];
                    m[32 + q] = planes[q][w + 1];
                }
                transpose64(&mut m);
                for l in 0..64 {
                    out[64 * w + l] = m[l] & 0xFFFF_FFFF;
                    out[64 * (w + 1) + l] = m[l] >> 32;
                }
            }
            return;
        }
        for w in 0..W {
            let mut m = [0u64; 64];
            for q in 0..64 {
                m[q] = planes[q][w];
            }
            transpose64(&mut m);
            out[64 * w..64 * w + 64].copy_from_slice(&m);
        }
    }
}

/// The per-operation counting plan of a program.
///
/// Slots are grouped into classes by what one of their toggles adds to the
/// per-operation counts: `(gate load, is a net)`. Each class has a
/// bit-sliced carry-save counter (level `q` holds up to two pending words of
/// weight `2^q`); a slot's toggle word is added to its class's counter once,
/// whatever the weight, and the classes are folded into the weighted
/// counters once per block. Every block makes the same adds in the same order
/// (the inputs, then the instructions), so what each add does — how many
/// carry-save steps it takes before its word comes to rest, and in which of
/// the two places — is computed here once instead of being decided by
/// branches on fill counts in the hot loop.
#[derive(Clone, Debug, Default)]
pub(crate) struct ClassTable {
    /// Per add position (inputs in order, then instructions): `NONE`, or
    /// `class << 8 | steps << 1 | place`.
    pub(crate) plan: Vec<u32>,
    /// Gate load of each class.
    pub(crate) weight: Vec<u32>,
    /// Whether the class's slots are nets (count as net toggles).
    pub(crate) net: Vec<bool>,
    /// Counter levels (the same for every class).
    pub(crate) levels: usize,
    /// Pending words at the end of a block, per (level, class), level-major.
    pub(crate) end_fill: Vec<u8>,
}

/// No class: the toggles of the slot add nothing per operation.
pub(crate) const NONE: u32 = u32::MAX;

impl ClassTable {
    /// The plan for the slots written in `dsts`, in the order a block writes
    /// them (every input's and instruction's destination).
    pub(crate) fn new(load: &[u32], net_count: usize, dsts: impl Iterator<Item = u32>) -> Self {
        let mut t = ClassTable::default();
        let mut ids: std::collections::BTreeMap<(u32, bool), u32> = std::collections::BTreeMap::new();
        let mut classes: Vec<u32> = Vec::new();
        for d in dsts {
            let d = d as usize;
            let key = (load[d], d < net_count);
            if key == (0, false) {
                classes.push(NONE);
                continue;
            }
            let c = *ids.entry(key).or_insert_with(|| {
                t.weight.push(key.0);
                t.net.push(key.1);
                (t.weight.len() - 1) as u32
            });
            classes.push(c);
        }
        // Run the fill counts of the counters once (`fill[c][q]`).
        let n = t.weight.len();
        let mut fill: Vec<Vec<u8>> = vec![Vec::new(); n];
        for c in classes {
            if c == NONE {
                t.plan.push(NONE);
                continue;
            }
            let f = &mut fill[c as usize];
            let mut q = 0usize;
            loop {
                if f.len() <= q {
                    f.resize(q + 1, 0);
                }
                if f[q] < 2 {
                    let place = f[q] as u32;
                    f[q] += 1;
                    // At most log2(adds) steps: < 2^7 always.
                    t.plan.push(c << 8 | (q as u32) << 1 | place);
                    break;
                }
                f[q] = 1;
                q += 1;
            }
        }
        t.levels = fill.iter().map(|f| f.len()).max().unwrap_or(0);
        t.end_fill = vec![0; t.levels * n];
        for (c, f) in fill.iter().enumerate() {
            for (q, &k) in f.iter().enumerate() {
                t.end_fill[q * n + c] = k;
            }
        }
        t
    }
}

/// The class counters of [`ClassTable`], level-major (level `q` of class `c`
/// is entry `q·classes + c`, so the level-0 words most adds touch are
/// contiguous).
#[derive(Clone, Debug)]
pub(crate) struct ClassCounters {
    pend: Vec<[Blk; 2]>,
    classes: usize,
}

impl ClassCounters {
    pub(crate) fn new(t: &ClassTable) -> Self {
        ClassCounters { pend: vec![[[0; W]; 2]; t.weight.len() * t.levels], classes: t.weight.len() }
    }

    /// Adds `x` (weight 1) as planned by `plan` (an entry of [`ClassTable::plan`], not `NONE`).
    #[inline(always)]
    pub(crate) fn add(&mut self, plan: u32, mut x: Blk) {
        let mut q = (plan >> 8) as usize;
        let steps = (plan >> 1 & 0x7f) as usize;
        for _ in 0..steps {
            debug_assert!(q < self.pend.len());
            // SAFETY: the plan was made by running these very adds on
            // counters of `levels` levels (`ClassTable::new`).
            let pend = unsafe { self.pend.get_unchecked_mut(q) };
            let [a, b] = *pend;
            let mut carry = [0u64; W];
            for w in 0..W {
                let u = a[w] ^ b[w];
                pend[0][w] = u ^ x[w];
                carry[w] = (a[w] & b[w]) | (u & x[w]);
            }
            x = carry;
            q += self.classes;
        }
        debug_assert!(q < self.pend.len());
        // SAFETY: as above.
        unsafe { self.pend.get_unchecked_mut(q)[(plan & 1) as usize] = x };
    }

    /// Moves every class's pending words into `sw` (weighted by the class's
    /// gate load) and `nt` (net classes).
    pub(crate) fn fold(&self, t: &ClassTable, sw: &mut Csa, nt: &mut Csa) {
        for lvl in 0..t.levels {
            for c in 0..self.classes {
                let q = lvl * self.classes + c;
                for i in 0..t.end_fill[q] as usize {
                    let x = self.pend[q][i];
                    sw.add_weighted_at(lvl, t.weight[c], x);
                    if t.net[c] {
                        nt.add(lvl, x);
                    }
                }
            }
        }
    }
}

/// Per-thread scratch memory of the zero-delay engine.
pub(crate) struct Scratch {
    buf: Vec<Blk>,
    ops: Vec<u128>,
    sw: Csa,
    nt: Csa,
    cls: ClassCounters,
    lanes_sw: [u64; LANES],
    lanes_nt: [u64; LANES],
}

impl Scratch {
    pub(crate) fn new(p: &Program) -> Self {
        let mut buf = vec![[0u64; W]; p.slots];
        buf[1] = [u64::MAX; W];
        Scratch {
            buf,
            ops: Vec::new(),
            sw: Csa::new(),
            nt: Csa::new(),
            cls: ClassCounters::new(&p.classes),
            lanes_sw: [0; LANES],
            lanes_nt: [0; LANES],
        }
    }
}

/// Geometry of one chunk: `W` sub-streams.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) start: [u64; W],
    pub(crate) end: [u64; W],
    pub(crate) blocks: usize,
}

impl Geometry {
    pub(crate) fn new(start: u64, end: u64) -> Self {
        let n = end - start;
        let per = n.div_ceil(W as u64).div_ceil(64).max(1) * 64;
        let mut g = Geometry { start: [0; W], end: [0; W], blocks: (per / 64) as usize };
        for w in 0..W {
            g.start[w] = (start + w as u64 * per).min(end);
            g.end[w] = (start + (w as u64 + 1) * per).min(end);
        }
        g
    }

    /// Operation index of lane `l` of block `b` in sub-stream `w` (`None` for the reset state).
    #[inline]
    pub(crate) fn op(&self, w: usize, b: usize, l: usize) -> u64 {
        let i = self.start[w] + (b * 64 + l) as u64;
        if i < self.end[w] {
            i
        } else {
            self.end[w] - 1
        }
    }

    pub(crate) fn valid(&self, w: usize, b: usize, l: usize) -> bool {
        self.start[w] + ((b * 64 + l) as u64) < self.end[w]
    }

    /// Lanes of block `b` in sub-stream `w` that hold operations: the lanes
    /// `l` with [`Geometry::valid`], which are always a prefix `0..n`.
    #[inline]
    pub(crate) fn valid_lanes(&self, w: usize, b: usize) -> usize {
        self.end[w].saturating_sub(self.start[w] + (b * 64) as u64).min(64) as usize
    }
}

/// Loads the operands of one block (or the primer when `b` is `None`) as bit
/// planes: `set(k, w, v)` receives word `w` of the `k`-th input net (input
/// buses flattened in order).
pub(crate) fn load_inputs(
    inputs: &[Vec<u32>],
    stream: &dyn Stream,
    g: &Geometry,
    b: Option<usize>,
    ops: &mut Vec<u128>,
    mut set: impl FnMut(usize, usize, u64),
) {
    let k = inputs.len();
    if k == 0 {
        return;
    }
    ops.resize(64 * k, 0);
    for w in 0..W {
        match b {
            None => {
                let s = g.start[w];
                if s == 0 {
                    ops.iter_mut().for_each(|v| *v = 0);
                } else {
                    stream.fill(s - 1, &mut ops[..k]);
                    for l in 1..64 {
                        ops.copy_within(0..k, l * k);
                    }
                }
            }
            Some(b) => {
                let first = g.op(w, b, 0);
                let valid = g.valid_lanes(w, b).max(1);
                stream.fill(first, &mut ops[..valid * k]);
                for l in valid..64 {
                    ops.copy_within((valid - 1) * k..valid * k, l * k);
                }
            }
        }
        let mut base = 0usize;
        for (bus, nets) in inputs.iter().enumerate() {
            let mut lo = [0u64; 64];
            for l in 0..64 {
                lo[l] = ops[l * k + bus] as u64;
            }
            transpose64(&mut lo);
            for i in 0..nets.len().min(64) {
                set(base + i, w, lo[i]);
            }
            if nets.len() > 64 {
                let mut hi = [0u64; 64];
                for l in 0..64 {
                    hi[l] = (ops[l * k + bus] >> 64) as u64;
                }
                transpose64(&mut hi);
                for i in 64..nets.len() {
                    set(base + i, w, hi[i - 64]);
                }
            }
            base += nets.len();
        }
    }
}

/// Writes the output bus values of the valid lanes of block `b` (slots in
/// `outputs`, one list per bus) into `out`, operation-major from `start`.
fn store_outputs(outputs: &[Vec<u32>], buf: &[Blk], g: &Geometry, b: usize, start: u64, out: &mut [u128]) {
    let nb = outputs.len();
    for w in 0..W {
        let valid = g.valid_lanes(w, b);
        if valid == 0 {
            continue;
        }
        let base = (g.op(w, b, 0) - start) as usize * nb;
        for (j, slots) in outputs.iter().enumerate() {
            let mut half = |lo: usize, shift: u32| {
                let mut m = [0u64; 64];
                for (i, &s) in slots.iter().skip(lo).take(64).enumerate() {
                    m[i] = buf[s as usize][w];
                }
                transpose64(&mut m);
                for (l, &v) in m.iter().enumerate().take(valid) {
                    out[base + l * nb + j] |= (v as u128) << shift;
                }
            };
            half(0, 0);
            if slots.len() > 64 {
                half(64, 64);
            }
        }
    }
}

#[inline(always)]
fn toggles(new: &Blk, old: &Blk) -> Blk {
    let mut t = [0u64; W];
    for w in 0..W {
        t[w] = new[w] ^ (new[w] << 1 | old[w] >> 63);
    }
    t
}

#[inline(always)]
fn popcount(t: &Blk) -> u64 {
    let mut c = 0u64;
    for x in t {
        c += x.count_ones() as u64;
    }
    c
}

/// Evaluates every instruction once on the block in `buf`, counting toggles.
#[inline(always)]
fn eval_insns<const PER_OP: bool>(
    insns: &[Insn],
    buf: &mut [Blk],
    counts: &mut [u64],
    plan: &[u32],
    cls: &mut ClassCounters,
) {
    debug_assert!(insns.iter().all(|i| i.dst.index() < buf.len() && i.src.iter().all(|&s| s.index() < buf.len())));
    debug_assert!(counts.len() >= buf.len() && (!PER_OP || plan.len() == insns.len()));
    for (i, ins) in insns.iter().enumerate() {
        let s = ins.src;
        // SAFETY: `Program::compile` only emits slots below `slots`, and
        // `buf`, `counts` and `load` all have `slots` entries (checked above
        // in debug builds); the program is immutable afterwards.
        let (new, old) = unsafe {
            let b = buf.as_ptr();
            let new = ins.kind.apply_block::<W>(
                &*b.add(s[0].index()),
                &*b.add(s[1].index()),
                &*b.add(s[2].index()),
                &*b.add(s[3].index()),
            );
            (new, *b.add(ins.dst.index()))
        };
        let d = ins.dst.index();
        let t = toggles(&new, &old);
        // SAFETY: as above.
        unsafe { *counts.get_unchecked_mut(d) += popcount(&t) };
        if PER_OP {
            // SAFETY: as above.
            let a = unsafe { *plan.get_unchecked(i) };
            if a != NONE {
                cls.add(a, t);
            }
        }
        // SAFETY: as above.
        unsafe { *buf.get_unchecked_mut(d) = new };
    }
}

pub(crate) struct ChunkOut {
    pub(crate) act: Activity,
}

#[inline(always)]
fn run_chunk_impl<const PER_OP: bool>(
    p: &Program,
    stream: &dyn Stream,
    start: u64,
    end: u64,
    scr: &mut Scratch,
    opts: &Options,
    outputs: &mut [u128],
) -> ChunkOut {
    let g = Geometry::new(start, end);
    let mut counts = vec![0u64; p.slots];
    let Scratch { buf, ops, sw, nt, cls, lanes_sw, lanes_nt } = scr;
    // Primer: the operation before each sub-stream (or the reset state).
    let flat: Vec<u32> = p.inputs.iter().flatten().copied().collect();
    load_inputs(&p.inputs, stream, &g, None, ops, |k, w, v| buf[flat[k] as usize][w] = v);
    let (plan_in, plan_insns) = p.classes.plan.split_at(flat.len());
    eval_insns::<false>(&p.insns, buf, &mut counts, plan_insns, cls);
    counts.iter_mut().for_each(|c| *c = 0);
    let mut act = Activity { operations: end - start, ..Default::default() };
    let mut per_op: Vec<OpCounts> = Vec::new();
    if opts.record_per_op {
        per_op = vec![OpCounts::default(); (end - start) as usize];
    }
    let mut staged: Vec<(u32, Blk)> = p.inputs.iter().flatten().map(|&s| (s, [0u64; W])).collect();
    for b in 0..g.blocks {
        load_inputs(&p.inputs, stream, &g, Some(b), ops, |k, w, v| staged[k].1[w] = v);
        for (&(slot, new), &a) in staged.iter().zip(plan_in) {
            let d = slot as usize;
            let t = toggles(&new, &buf[d]);
            counts[d] += popcount(&t);
            if PER_OP && a != NONE {
                cls.add(a, t);
            }
            buf[d] = new;
        }
        eval_insns::<PER_OP>(&p.insns, buf, &mut counts, plan_insns, cls);
        if opts.outputs {
            store_outputs(&p.outputs[..kept_outputs(p, opts)], buf, &g, b, start, outputs);
        }
        if PER_OP {
            cls.fold(&p.classes, sw, nt);
            sw.take(lanes_sw);
            nt.take(lanes_nt);
            for w in 0..W {
                for l in 0..64 {
                    if !g.valid(w, b, l) {
                        continue;
                    }
                    let (s, n) = (lanes_sw[64 * w + l], lanes_nt[64 * w + l]);
                    if opts.per_op_stats {
                        act.hist_switching.add(s);
                        act.hist_toggles.add(n);
                    }
                    if opts.record_per_op {
                        let i = (g.op(w, b, l) - start) as usize;
                        per_op[i] = OpCounts { switching_tos: s, net_toggles: n, glitch_tos: 0 };
                    }
                }
            }
        }
    }
    act.toggles = counts;
    if opts.record_per_op {
        act.per_op = Some(per_op);
    }
    ChunkOut { act }
}

/// Calls `f::<true>(…)` when the options `o` ask for per-operation counts,
/// else `f::<false>(…)`: the two monomorphisations of a hot loop.
macro_rules! per_op_variant {
    ($o:expr, $f:ident($($arg:expr),*)) => {
        if $o.per_op_stats || $o.record_per_op {
            $f::<true>($($arg),*)
        } else {
            $f::<false>($($arg),*)
        }
    };
}
pub(crate) use per_op_variant;

fn run_chunk_generic(
    p: &Program,
    s: &dyn Stream,
    a: u64,
    b: u64,
    scr: &mut Scratch,
    o: &Options,
    out: &mut [u128],
) -> ChunkOut {
    per_op_variant!(o, run_chunk_impl(p, s, a, b, scr, o, out))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,avx2,bmi1,bmi2")]
unsafe fn run_chunk_avx2(
    p: &Program,
    s: &dyn Stream,
    a: u64,
    b: u64,
    scr: &mut Scratch,
    o: &Options,
    out: &mut [u128],
) -> ChunkOut {
    per_op_variant!(o, run_chunk_impl(p, s, a, b, scr, o, out))
}

/// Whether the hot loop uses the `popcnt`/AVX2 variant on this machine.
pub fn uses_hardware_popcount() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("popcnt")
            && std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("bmi2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn run_chunk(
    p: &Program,
    s: &dyn Stream,
    a: u64,
    b: u64,
    scr: &mut Scratch,
    o: &Options,
    out: &mut [u128],
) -> ChunkOut {
    #[cfg(target_arch = "x86_64")]
    if uses_hardware_popcount() {
        // SAFETY: the CPU supports every feature the function is compiled with.
        return unsafe { run_chunk_avx2(p, s, a, b, scr, o, out) };
    }
    run_chunk_generic(p, s, a, b, scr, o, out)
}

/// Splits `0..len` into chunks of `chunk` operations (rounded up to a multiple of 1024).
pub(crate) fn chunks(len: u64, chunk: u64) -> Vec<(u64, u64)> {
    let c = chunk.max(LANES as u64).div_ceil(LANES as u64) * LANES as u64;
    (0..len.div_ceil(c)).map(|i| (i * c, ((i + 1) * c).min(len))).collect()
}

/// Output buses whose values a run keeps.
fn kept_outputs(p: &Program, opts: &Options) -> usize {
    if opts.first_output_only {
        p.outputs.len().min(1)
    } else {
        p.outputs.len()
    }
}

/// Runs the zero-delay engine over the whole stream (in parallel on the
/// current rayon pool); the result does not depend on the number of threads.
pub fn run_zero_delay(p: &Program, stream: &dyn Stream, opts: &Options) -> Activity {
    let parts = chunks(stream.len(), opts.chunk);
    // Output values go straight to their place in one vector: each chunk
    // gets its own slice.
    let nb = kept_outputs(p, opts);
    let mut values = vec![0u128; if opts.outputs { stream.len() as usize * nb } else { 0 }];
    let mut slices: Vec<&mut [u128]> = Vec::with_capacity(parts.len());
    let mut rest = &mut values[..];
    for &(a, b) in &parts {
        let n = if opts.outputs { (b - a) as usize * nb } else { 0 };
        let (head, tail) = std::mem::take(&mut rest).split_at_mut(n);
        slices.push(head);
        rest = tail;
    }
    let mut act = if opts.record_per_op {
        let outs = parts
            .par_iter()
            .zip(slices)
            .map_init(|| Scratch::new(p), |scr, (&(a, b), out)| run_chunk(p, stream, a, b, scr, opts, out).act);
        // In stream order; the first chunk's counts are taken over, not copied.
        let mut outs = outs.collect::<Vec<Activity>>().into_iter();
        let mut act = outs.next().unwrap_or_default();
        for o in outs {
            act += &o;
        }
        act
    } else {
        parts
            .par_iter()
            .zip(slices)
            .map_init(|| Scratch::new(p), |scr, (&(a, b), out)| run_chunk(p, stream, a, b, scr, opts, out).act)
            .reduce(Activity::default, |mut x, y| {
                x += &y;
                x
            })
    };
    act.toggles.resize(p.slots, 0);
    if opts.outputs {
        act.outputs = Some(Outputs { buses: nb, values });
    }
    act
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::splitmix64;

    /// Per-lane sums of weighted adds equal the scalar sums, for sums below
    /// 2^32 (two words per transpose) and above (one word per transpose).
    #[test]
    fn csa_sums_every_lane() {
        for (case, big) in [(0u64, false), (1, true), (2, false)] {
            let mut c = Csa::new();
            let mut expect = vec![0u64; LANES];
            let mut x = case;
            for i in 0..300u32 {
                let mut blk = [0u64; W];
                for w in blk.iter_mut() {
                    x = splitmix64(x);
                    *w = x;
                }
                // A few adds at level 40 push the sums past 2^32.
                let (level, weight) = if big && i % 100 == 0 { (40, 3) } else { (0, i % 37) };
                c.add_weighted_at(level, weight, blk);
                for (l, e) in expect.iter_mut().enumerate() {
                    *e += (blk[l / 64] >> (l % 64) & 1) * ((weight as u64) << level);
                }
            }
            let mut out = [0u64; LANES];
            c.take(&mut out);
            assert_eq!(&out[..], &expect[..], "case {case}");
            assert_eq!(big, expect.iter().any(|&e| e >= 1 << 32));
            // Taking empties the counter.
            c.take(&mut out);
            assert!(out.iter().all(|&v| v == 0));
        }
    }
}

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
    }
}

/// Engine knobs.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Per-operation statistics (histograms).
    pub per_op_stats: bool,
    /// Keep every operation's counts in stream order (memory linear in the stream).
    pub record_per_op: bool,
    /// Operations per parallel chunk (rounded up to a multiple of 256).
    pub chunk: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options { per_op_stats: true, record_per_op: false, chunk: 1 << 16 }
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
        let mut m = weight;
        while m != 0 {
            let q = m.trailing_zeros() as usize;
            self.add(q, x);
            m &= m - 1;
        }
    }

    /// Per-lane sums (lane `64·w + l`), and resets the counter.
    pub(crate) fn take(&mut self, out: &mut [u64; LANES]) {
        let mut planes = [[0u64; W]; 64];
        let mut carry = [0u64; W];
        for (q, plane) in planes.iter_mut().enumerate() {
            let n = self.fill[q] as usize;
            let mut words = [carry, [0; W], [0; W]];
            words[1..1 + n].copy_from_slice(&self.pend[q][..n]);
            for w in 0..W {
                let (a, b, c) = (words[0][w], words[1][w], words[2][w]);
                plane[w] = a ^ b ^ c;
                carry[w] = (a & b) | (c & (a ^ b));
            }
            self.fill[q] = 0;
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

/// Per-thread scratch memory of the zero-delay engine.
pub(crate) struct Scratch {
    buf: Vec<Blk>,
    ops: Vec<u128>,
    sw: Csa,
    nt: Csa,
    lanes_sw: [u64; LANES],
    lanes_nt: [u64; LANES],
}

impl Scratch {
    pub(crate) fn new(p: &Program) -> Self {
        let mut buf = vec![[0u64; W]; p.slots];
        buf[1] = [u64::MAX; W];
        Scratch { buf, ops: Vec::new(), sw: Csa::new(), nt: Csa::new(), lanes_sw: [0; LANES], lanes_nt: [0; LANES] }
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
                let valid = (0..64).take_while(|&l| g.valid(w, b, l)).count().max(1);
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
    load: &[u32],
    net_count: usize,
    sw: &mut Csa,
    nt: &mut Csa,
) {
    debug_assert!(insns
        .iter()
        .all(|i| (i.dst as usize) < buf.len() && i.src.iter().all(|&s| (s as usize) < buf.len())));
    debug_assert!(counts.len() >= buf.len() && load.len() >= buf.len());
    for ins in insns {
        let s = ins.src;
        // SAFETY: `Program::compile` only emits slots below `slots`, and
        // `buf`, `counts` and `load` all have `slots` entries (checked above
        // in debug builds); the program is immutable afterwards.
        let (new, old) = unsafe {
            let b = buf.as_ptr();
            let new = ins.kind.apply_block::<W>(
                &*b.add(s[0] as usize),
                &*b.add(s[1] as usize),
                &*b.add(s[2] as usize),
                &*b.add(s[3] as usize),
            );
            (new, *b.add(ins.dst as usize))
        };
        let d = ins.dst as usize;
        let t = toggles(&new, &old);
        // SAFETY: as above.
        unsafe { *counts.get_unchecked_mut(d) += popcount(&t) };
        if PER_OP {
            sw.add_weighted(load[d], t);
            if d < net_count {
                nt.add(0, t);
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
) -> ChunkOut {
    let g = Geometry::new(start, end);
    let mut counts = vec![0u64; p.slots];
    let Scratch { buf, ops, sw, nt, lanes_sw, lanes_nt } = scr;
    // Primer: the operation before each sub-stream (or the reset state).
    let flat: Vec<u32> = p.inputs.iter().flatten().copied().collect();
    load_inputs(&p.inputs, stream, &g, None, ops, |k, w, v| buf[flat[k] as usize][w] = v);
    eval_insns::<false>(&p.insns, buf, &mut counts, &p.load, p.net_count, sw, nt);
    counts.iter_mut().for_each(|c| *c = 0);
    let mut act = Activity { operations: end - start, ..Default::default() };
    let mut per_op: Vec<OpCounts> = Vec::new();
    if opts.record_per_op {
        per_op = vec![OpCounts::default(); (end - start) as usize];
    }
    let mut staged: Vec<(u32, Blk)> = p.inputs.iter().flatten().map(|&s| (s, [0u64; W])).collect();
    for b in 0..g.blocks {
        load_inputs(&p.inputs, stream, &g, Some(b), ops, |k, w, v| staged[k].1[w] = v);
        for &(slot, new) in &staged {
            let d = slot as usize;
            let t = toggles(&new, &buf[d]);
            counts[d] += popcount(&t);
            if PER_OP {
                sw.add_weighted(p.load[d], t);
                nt.add(0, t);
            }
            buf[d] = new;
        }
        eval_insns::<PER_OP>(&p.insns, buf, &mut counts, &p.load, p.net_count, sw, nt);
        if PER_OP {
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

fn run_chunk_generic(p: &Program, s: &dyn Stream, a: u64, b: u64, scr: &mut Scratch, o: &Options) -> ChunkOut {
    if o.per_op_stats || o.record_per_op {
        run_chunk_impl::<true>(p, s, a, b, scr, o)
    } else {
        run_chunk_impl::<false>(p, s, a, b, scr, o)
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt,avx2,bmi1,bmi2")]
unsafe fn run_chunk_avx2(p: &Program, s: &dyn Stream, a: u64, b: u64, scr: &mut Scratch, o: &Options) -> ChunkOut {
    if o.per_op_stats || o.record_per_op {
        run_chunk_impl::<true>(p, s, a, b, scr, o)
    } else {
        run_chunk_impl::<false>(p, s, a, b, scr, o)
    }
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

fn run_chunk(p: &Program, s: &dyn Stream, a: u64, b: u64, scr: &mut Scratch, o: &Options) -> ChunkOut {
    #[cfg(target_arch = "x86_64")]
    if uses_hardware_popcount() {
        // SAFETY: the CPU supports every feature the function is compiled with.
        return unsafe { run_chunk_avx2(p, s, a, b, scr, o) };
    }
    run_chunk_generic(p, s, a, b, scr, o)
}

/// Splits `0..len` into chunks of `chunk` operations (a multiple of 256).
pub(crate) fn chunks(len: u64, chunk: u64) -> Vec<(u64, u64)> {
    let c = chunk.max(LANES as u64).div_ceil(LANES as u64) * LANES as u64;
    (0..len.div_ceil(c)).map(|i| (i * c, ((i + 1) * c).min(len))).collect()
}

/// Runs the zero-delay engine over the whole stream (in parallel on the
/// current rayon pool); the result does not depend on the number of threads.
pub fn run_zero_delay(p: &Program, stream: &dyn Stream, opts: &Options) -> Activity {
    let parts = chunks(stream.len(), opts.chunk);
    let mut act = if opts.record_per_op {
        let outs: Vec<Activity> = parts
            .par_iter()
            .map_init(|| Scratch::new(p), |scr, &(a, b)| run_chunk(p, stream, a, b, scr, opts).act)
            .collect();
        let mut acc = Activity::default();
        for o in &outs {
            acc += o;
        }
        acc
    } else {
        parts.par_iter().map_init(|| Scratch::new(p), |scr, &(a, b)| run_chunk(p, stream, a, b, scr, opts).act).reduce(
            Activity::default,
            |mut x, y| {
                x += &y;
                x
            },
        )
    };
    act.toggles.resize(p.slots, 0);
    act
}

//! Splitting a run into shards by samples (`tosim net --shard i/n`) and adding
//! the shard reports into exactly the report of the whole run (`tosim merge`).
//!
//! **Why samples, and why it stays exact.** Every neuron's units keep their
//! state from one operation to the next, across samples, so the switching
//! counts of sample s depend on what the units did before it. But the units are
//! combinational: the state a unit is in before an operation is the settled
//! state of its *previous operation's operands* and nothing else. Every unit
//! instance performs the same, non-zero number of operations in every sample
//! (the gate layer's per-sample split relies on this too), so the state every
//! unit is in before sample s is fixed by sample s − 1 alone. A shard covering
//! samples `a..b` (a > 0) therefore runs samples `a−1..b` from the reset state
//! and subtracts a run of sample `a−1` alone (which, from the same reset
//! state, performs exactly the operations the first run performed for it):
//! what remains are the counts of `a..b` as the whole run counts them, to the
//! transition. [`run_range`] checks the operation counts on which this rests
//! and refuses to shard otherwise. Sharding by neurons would also be exact, but
//! every shard would have to evaluate every earlier layer in full; by samples
//! each shard does 1/n of the work plus one sample.
//!
//! The shard reports carry their per-sample counts and classification counts
//! ([`crate::ShardInfo`]); [`merge_reports`] checks that the shards belong to
//! one run and cover it once, then computes the merged report through the same
//! code as an unsharded run, so the two are equal field for field (and the
//! JSON byte for byte).

use std::collections::BTreeMap;
use std::ops::Range;

use crate::gate::{Counts, LayerRun, NeuronRun, Primitive};
use crate::report::{NetReport, ShardInfo, Tally};

/// Errors of sharding and merging; every variant names the shard file or spec.
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    /// `--shard` is not `i/n` with 1 ≤ i ≤ n.
    #[error("--shard {spec}: {what}")]
    BadSpec {
        /// The text given.
        spec: String,
        /// What is wrong.
        what: String,
    },
    /// The run breaks the condition that makes sample shards exact.
    #[error("cannot shard exactly: layer {layer:?} neuron {neuron}, {primitive:?} units: {what}")]
    NotExact {
        /// Layer name.
        layer: String,
        /// Neuron index.
        neuron: usize,
        /// The units concerned.
        primitive: Primitive,
        /// What differs.
        what: String,
    },
    /// `tosim merge` was given no reports.
    #[error("no shard reports to merge")]
    NoReports,
    /// A report without a `shard` section (a whole or merged report).
    #[error("{file}: not a shard report (it has no \"shard\" section; make shards with tosim net --shard i/n)")]
    NotAShard {
        /// The report file.
        file: String,
    },
    /// Two shards with the same index.
    #[error("shard {index}/{count} is given twice: {first} and {second}")]
    Duplicate {
        /// Shard index.
        index: usize,
        /// Shard count.
        count: usize,
        /// First file.
        first: String,
        /// Second file.
        second: String,
    },
    /// Shards missing from the set.
    #[error("missing shard(s) {} of {count} (given: {given})", list(missing))]
    Missing {
        /// The missing indices.
        missing: Vec<usize>,
        /// Shard count.
        count: usize,
        /// The files given.
        given: String,
    },
    /// Reports of different runs.
    #[error("{file} and {first} are not shards of one run: they differ in {field}")]
    Mismatch {
        /// The report that differs from the first.
        file: String,
        /// The first report.
        first: String,
        /// The field that differs.
        field: String,
    },
    /// Sample ranges that overlap or leave a gap.
    #[error(
        "{file}: shard {index}/{count} starts at sample {start}, but the shards before it end at sample {expected}"
    )]
    Samples {
        /// The report file.
        file: String,
        /// Shard index.
        index: usize,
        /// Shard count.
        count: usize,
        /// Its first sample.
        start: usize,
        /// Where it should start.
        expected: usize,
    },
}

fn list(v: &[usize]) -> String {
    v.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

/// Fingerprint of a run's inputs (all samples of the run, not only a shard's)
/// and labels: FNV-1a (64 bits) over the little-endian bit patterns of the
/// `f32` inputs, then of the `i64` labels when given, as 16 hex digits. Shard
/// reports carry it ([`ShardInfo::data`]) so that [`merge_reports`] refuses
/// shards of runs on different data.
pub fn data_fingerprint(x: &[f32], labels: Option<&[i64]>) -> String {
    const PRIME: u64 = 0x0000_0100_0000_01B3;
    let mut h: u64 = 0xCBF2_9CE4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
    };
    for v in x {
        eat(&v.to_bits().to_le_bytes());
    }
    eat(&[u8::from(labels.is_some())]);
    for l in labels.into_iter().flatten() {
        eat(&l.to_le_bytes());
    }
    format!("{h:016x}")
}

/// Shard `index` of `count` (1-based, like `--shard 2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1…`count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// Parses `i/n` with 1 ≤ i ≤ n.
    pub fn parse(spec: &str) -> Result<Shard, ShardError> {
        let bad = |what: &str| ShardError::BadSpec { spec: spec.to_string(), what: what.to_string() };
        let (i, n) = spec.split_once('/').ok_or_else(|| bad("expected i/n, e.g. 2/4"))?;
        let i: usize = i.trim().parse().map_err(|_| bad("the shard number i in i/n is not a number"))?;
        let n: usize = n.trim().parse().map_err(|_| bad("the shard count n in i/n is not a number"))?;
        if n == 0 {
            return Err(bad("the shard count must be at least 1"));
        }
        if i == 0 || i > n {
            return Err(bad(&format!("the shard number must be 1 to {n} (shards are numbered from 1)")));
        }
        Ok(Shard { index: i, count: n })
    }

    /// The samples of this shard among `samples`: contiguous, in order,
    /// `⌊(i−1)·S/n⌋ .. ⌊i·S/n⌋` (sizes differ by at most one; some are empty
    /// when n > S).
    pub fn range(&self, samples: usize) -> Range<usize> {
        let at = |k: usize| ((k as u128 * samples as u128) / self.count as u128) as usize;
        at(self.index - 1)..at(self.index)
    }
}

fn sub(a: &Counts, b: &Counts) -> Counts {
    Counts {
        operations: a.operations - b.operations,
        static_tos: a.static_tos - b.static_tos,
        switching_tos: a.switching_tos - b.switching_tos,
        glitch_tos: match (a.glitch_tos, b.glitch_tos) {
            (Some(x), Some(y)) => Some(x - y),
            (x, _) => x,
        },
    }
}

/// Runs samples `range` of `x` as the whole run over `x` would count them.
///
/// `run` is the gate-level runner (e.g. `|x| g.run(x, &progress)`): from the
/// reset state it runs the samples it is given and returns every layer. For
/// `range.start > 0` it is called on `x[start−1..end]` and on `x[start−1]`
/// alone, and the second is subtracted from the first (see the module
/// documentation); the operation counts of the two runs must show that every
/// unit performs the same operations in every sample, or the result is
/// [`ShardError::NotExact`].
pub fn run_range<X: Clone>(
    x: &[X],
    range: Range<usize>,
    run: impl Fn(&[X]) -> Vec<LayerRun>,
) -> Result<Vec<LayerRun>, ShardError> {
    if range.start == 0 || range.is_empty() {
        return Ok(run(&x[range]));
    }
    let len = (range.end - range.start) as u64;
    let both = run(&x[range.start - 1..range.end]);
    let warm = run(&x[range.start - 1..range.start]);
    let mut out = Vec::with_capacity(both.len());
    for (lb, lw) in both.into_iter().zip(&warm) {
        let mut neurons = Vec::with_capacity(lb.neurons.len());
        for (o, (nb, nw)) in lb.neurons.into_iter().zip(&lw.neurons).enumerate() {
            let mut by_primitive = BTreeMap::new();
            for (p, cb) in &nb.by_primitive {
                let cw = nw.by_primitive.get(p).copied().unwrap_or_default();
                let not_exact =
                    |what: String| ShardError::NotExact { layer: lb.name.clone(), neuron: o, primitive: *p, what };
                if cb.operations != cw.operations * (len + 1) || cw.operations == 0 {
                    return Err(not_exact(format!(
                        "{} operations in sample {} alone but {} in the {} samples from it: the operations per \
                         sample are not constant",
                        cw.operations,
                        range.start - 1,
                        cb.operations,
                        len + 1
                    )));
                }
                by_primitive.insert(*p, sub(cb, &cw));
            }
            if nb.per_sample.first() != nw.per_sample.first() || nb.outputs.first() != nw.outputs.first() {
                return Err(ShardError::NotExact {
                    layer: lb.name.clone(),
                    neuron: o,
                    primitive: Primitive::Multiply,
                    what: format!(
                        "sample {} does not count the same from the reset state in both runs",
                        range.start - 1
                    ),
                });
            }
            neurons.push(NeuronRun {
                by_primitive,
                per_sample: nb.per_sample[1..].to_vec(),
                outputs: nb.outputs[1..].to_vec(),
            });
        }
        out.push(LayerRun { name: lb.name, neurons });
    }
    Ok(out)
}

/// Adds shard reports (`(file name, report)`, in any order) into the report of
/// the whole run. The shards must all come from one run (same model, format,
/// mode, profile, units, layers, sample count and shard count), each index
/// 1…n exactly once, with contiguous sample ranges.
pub fn merge_reports(parts: &[(String, NetReport)]) -> Result<NetReport, ShardError> {
    let mut shards: Vec<(&String, &NetReport, &ShardInfo)> = Vec::with_capacity(parts.len());
    for (f, r) in parts {
        match &r.shard {
            Some(s) => shards.push((f, r, s)),
            None => return Err(ShardError::NotAShard { file: f.clone() }),
        }
    }
    let Some(&(f0, r0, s0)) = shards.first() else {
        return Err(ShardError::NoReports);
    };
    let mismatch =
        |f: &String, field: &str| ShardError::Mismatch { file: f.clone(), first: f0.clone(), field: field.to_string() };
    for &(f, r, s) in &shards {
        let same_layers = r.layers.len() == r0.layers.len()
            && r.layers.iter().zip(&r0.layers).all(|(a, b)| {
                (&a.name, &a.folded, a.inputs, a.neurons, a.per_neuron.is_some())
                    == (&b.name, &b.folded, b.inputs, b.neurons, b.per_neuron.is_some())
            });
        let checks: [(bool, &str); 11] = [
            (s.count == s0.count, "the shard count (--shard i/n)"),
            (r.model == r0.model, "the model"),
            (r.format == r0.format, "the number format"),
            (r.mode == r0.mode, "the simulation mode"),
            (r.profile == r0.profile, "the hardware profile"),
            (r.binding == r0.binding, "the cell binding"),
            (r.units == r0.units, "the units"),
            (same_layers, "the layers (or --per-neuron)"),
            (s.total_samples == s0.total_samples, "the number of samples of the run"),
            (r.correct.is_some() == r0.correct.is_some(), "whether labels were given"),
            (s.data == s0.data, "the input data or labels (their fingerprints differ)"),
        ];
        if let Some((_, what)) = checks.iter().find(|c| !c.0) {
            return Err(mismatch(f, what));
        }
        if s.per_sample.len() != r.layers.len() || s.per_sample.iter().any(|v| v.len() != r.samples) {
            return Err(mismatch(f, "the per-sample counts (the shard section does not match its report)"));
        }
    }
    let n = s0.count;
    let mut by_index: BTreeMap<usize, (&String, &NetReport, &ShardInfo)> = BTreeMap::new();
    for &(f, r, s) in &shards {
        if let Some(prev) = by_index.insert(s.index, (f, r, s)) {
            return Err(ShardError::Duplicate { index: s.index, count: n, first: prev.0.clone(), second: f.clone() });
        }
    }
    let missing: Vec<usize> = (1..=n).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() || by_index.len() != n {
        let given = by_index.iter().map(|(i, (f, _, _))| format!("{f} ({i}/{n})")).collect::<Vec<_>>().join(", ");
        return Err(ShardError::Missing { missing, count: n, given });
    }
    let mut tally: Option<Tally> = None;
    let mut next = 0usize;
    for (&i, &(f, r, s)) in &by_index {
        if s.first_sample != next {
            return Err(ShardError::Samples {
                file: f.clone(),
                index: i,
                count: n,
                start: s.first_sample,
                expected: next,
            });
        }
        next += r.samples;
        let t = Tally::of_shard(r, s);
        match &mut tally {
            None => tally = Some(t),
            Some(acc) => acc.add(&t),
        }
    }
    if next != s0.total_samples {
        return Err(mismatch(
            f0,
            &format!("the sample count: the shards cover {next} samples, the run has {}", s0.total_samples),
        ));
    }
    tally.map(Tally::finish).ok_or(ShardError::NoReports)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::{load_onnx, DataSet, GateNet, IntFormat, Mode, Profile, QuantNet, RunContext};

    fn digits() -> (crate::Network, DataSet) {
        let m = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../circuits/models");
        let net = load_onnx(&m.join("digits_mlp.onnx")).unwrap();
        let data = DataSet::load(&net, &m.join("digits_test_x.npy"), Some(&m.join("digits_test_y.npy"))).unwrap();
        (net, data)
    }

    /// Reports of `n` shards of the first `samples` samples, and the whole run's.
    fn shards_and_whole(
        fmt: IntFormat,
        mode: Mode,
        samples: usize,
        n: usize,
        per_neuron: bool,
    ) -> (Vec<(String, NetReport)>, NetReport) {
        let (net, data) = digits();
        let q = QuantNet::new(&net, fmt, &data.x).unwrap();
        let xq: Vec<Vec<i64>> = (0..samples).map(|i| q.quantise_input(data.sample(i))).collect();
        let g = GateNet::int(q, Profile::default_profile().unwrap(), mode).unwrap();
        let labels = data.labels.as_deref().unwrap();
        let report = |r: Range<usize>, shard: Option<Shard>| {
            let run = g.run_range(&xq, r.clone(), &|_, _, _| {}).unwrap();
            let ctx = RunContext {
                model: "digits".into(),
                net: &net,
                x: &data.x[r.start * 64..r.end * 64],
                labels: Some(&labels[r.clone()]),
                per_neuron,
            };
            let pos = shard.map(|s| crate::ShardPos {
                index: s.index,
                count: s.count,
                first_sample: r.start,
                total_samples: samples,
            });
            g.report(&ctx, &run, pos).unwrap()
        };
        let parts = (1..=n)
            .map(|i| {
                let s = Shard { index: i, count: n };
                (format!("s{i}.json"), report(s.range(samples), Some(s)))
            })
            .collect();
        (parts, report(0..samples, None))
    }

    /// The merged shards are the whole run, field for field and byte for byte in
    /// JSON, on the whole shipped test split (450 samples in 3 shards).
    #[test]
    fn merged_shards_equal_the_whole_run() {
        let (mut parts, whole) = shards_and_whole(IntFormat::Int8, Mode::Zero, 450, 3, false);
        assert_eq!(parts[1].1.shard.as_ref().unwrap().first_sample, 150);
        // Any order.
        parts.reverse();
        let merged = merge_reports(&parts).unwrap();
        assert_eq!(merged, whole);
        assert_eq!(serde_json::to_string_pretty(&merged).unwrap(), serde_json::to_string_pretty(&whole).unwrap());
        // Through JSON text, as tosim merge reads them.
        let parsed: Vec<(String, NetReport)> = parts
            .iter()
            .map(|(f, r)| (f.clone(), serde_json::from_str(&serde_json::to_string_pretty(r).unwrap()).unwrap()))
            .collect();
        assert_eq!(merge_reports(&parsed).unwrap(), whole);
        // (Without the warm-up sample of run_range the shards' counts start from
        // the reset state and this test fails: checked by disabling it.)
        assert!(whole.agreement && whole.total.switching_tos > 0);
    }

    /// Glitch mode, int16, per-neuron detail, uneven and empty shards (5 shards of 4 samples).
    #[test]
    fn merged_shards_equal_the_whole_run_glitch_int16_per_neuron() {
        let (parts, whole) = shards_and_whole(IntFormat::Int16, Mode::Glitch, 4, 5, true);
        assert_eq!(parts.iter().map(|p| p.1.samples).collect::<Vec<_>>(), vec![0, 1, 1, 1, 1]);
        assert!(whole.total.glitch_tos.is_some());
        assert_eq!(merge_reports(&parts).unwrap(), whole);
    }

    #[test]
    fn bad_shard_sets_are_errors() {
        let (parts, _) = shards_and_whole(IntFormat::Int8, Mode::Zero, 6, 3, false);
        let err = |p: &[(String, NetReport)]| merge_reports(p).unwrap_err().to_string();
        let e = err(&parts[..2]);
        assert!(e.contains("missing shard(s) 3 of 3"), "{e}");
        let e = err(&[parts[0].clone(), parts[1].clone(), parts[1].clone()]);
        assert!(e.contains("shard 2/3 is given twice: s2.json and s2.json"), "{e}");
        let mut other = parts.clone();
        other[2].1.format = "int16".into();
        let e = err(&other);
        assert!(e.contains("s3.json and s1.json are not shards of one run: they differ in the number format"), "{e}");
        let mut other = parts.clone();
        other[1].1.shard.as_mut().unwrap().first_sample = 1;
        let e = err(&other);
        assert!(e.contains("starts at sample 1, but the shards before it end at sample 2"), "{e}");
        let mut other = parts.clone();
        other[0].1.shard = None;
        assert!(err(&other).contains("s1.json: not a shard report"));
        assert!(err(&[]).contains("no shard reports"));
        for (spec, what) in [
            ("0/3", "1 to 3"),
            ("4/3", "1 to 3"),
            ("2", "expected i/n"),
            ("1/0", "at least 1"),
            ("a/2", "not a number"),
        ] {
            let e = Shard::parse(spec).unwrap_err().to_string();
            assert!(e.contains(what) && e.contains(spec), "{e}");
        }
        // ⌊(i−1)·S/n⌋..⌊i·S/n⌋: 10 samples in 4 shards are 2, 3, 2, 3.
        let r: Vec<Range<usize>> = (1..=4).map(|i| Shard { index: i, count: 4 }.range(10)).collect();
        assert_eq!(r, vec![0..2, 2..5, 5..7, 7..10]);
    }
}

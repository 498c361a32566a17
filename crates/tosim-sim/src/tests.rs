//! Engine tests against the scalar oracle on generated netlists.

use tosim_cells::CellModel;
use tosim_netlist::{eval_nets, Gate, Netlist, NetlistBuilder};

use crate::*;

/// A random netlist over every abstract gate: `inputs` buses of `width` bits, `cells` gates.
pub(crate) fn random_netlist(seed: u64, widths: &[usize], cells: usize) -> Netlist {
    let mut b = NetlistBuilder::new("random");
    let mut nets = vec![b.zero(), b.one()];
    for (k, &w) in widths.iter().enumerate() {
        nets.extend(b.add_input_bus(&format!("in{k}"), w));
    }
    let mut x = seed;
    let mut rnd = || {
        x = splitmix64(x);
        x
    };
    let mut outs = Vec::new();
    for _ in 0..cells {
        let g = Gate::ALL[(rnd() % Gate::ALL.len() as u64) as usize];
        // Prefer recent nets so the netlist gets deep.
        let ins: Vec<_> = (0..g.inputs().len())
            .map(|_| {
                let r = rnd();
                let n = nets.len() as u64;
                let i = if r % 4 == 0 { r / 4 % n } else { n - 1 - (r / 4 % n.min(12)) };
                nets[i as usize]
            })
            .collect();
        let o = b.add_cell(g, &ins);
        nets.extend(&o);
        outs.extend(o);
    }
    let tail = outs.len().saturating_sub(8);
    b.add_output_bus("y", &outs[tail..]);
    b.finish().unwrap()
}

/// Oracle: per-net toggles and per-op switching TOs from the scalar evaluator
/// and every model signal's own truth table (no folding).
fn oracle(n: &Netlist, models: &[CellModel], stream: &dyn Stream) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let k = stream.operands();
    let mut prev = eval_nets(n, &vec![0u128; k]);
    let row =
        |v: &[bool], c| n.cell_inputs(c).iter().enumerate().fold(0u32, |r, (i, net)| r | (v[net.index()] as u32) << i);
    let mut toggles = vec![0u64; n.net_count()];
    let mut sw = Vec::new();
    let mut nt = Vec::new();
    let mut ops = vec![0u128; k];
    for i in 0..stream.len() {
        stream.fill(i, &mut ops);
        let v = eval_nets(n, &ops);
        let mut s = 0u64;
        let mut t = 0u64;
        for net in n.nets() {
            if v[net.index()] != prev[net.index()] {
                toggles[net.index()] += 1;
                t += 1;
            }
        }
        for c in n.cells() {
            let m = &models[n.cell_type_id(c).index()];
            let (r0, r1) = (row(&prev, c), row(&v, c));
            for sig in &m.signals {
                if sig.function.eval(r0) != sig.function.eval(r1) {
                    s += sig.gate_count as u64;
                }
            }
        }
        sw.push(s);
        nt.push(t);
        prev = v;
    }
    (toggles, sw, nt)
}

/// Synthetic models plus internal nodes that fold (an input, its complement)
/// and ones that need slots (A & B, A ^ B ^ C).
fn models_with_internal_nodes(n: &Netlist) -> Vec<CellModel> {
    use tosim_cells::{Signal, SignalKind, TruthTable};
    let mut models = synthetic_models(n);
    for m in &mut models {
        let k = m.inputs.len();
        let mut add = |name: &str, f: TruthTable, g: u32| {
            m.signals.push(Signal {
                name: name.into(),
                kind: SignalKind::Internal,
                function: f,
                gate_count: g,
                gate_area: 0.5 * g as f64,
                depth: 1,
                stage: None,
            })
        };
        add("inv0", TruthTable::var(k, 0).unwrap().not(), 3);
        if k >= 2 {
            add("and01", TruthTable::from_fn(k, |r| r & 3 == 3).unwrap(), 5);
        }
        if k >= 3 {
            add("xor012", TruthTable::from_fn(k, |r| (r & 7).count_ones() % 2 == 1).unwrap(), 7);
            add("xor012b", TruthTable::from_fn(k, |r| (r & 7).count_ones() % 2 == 0).unwrap(), 1);
        }
    }
    models
}

fn check(n: &Netlist, stream: &dyn Stream, chunk: u64) {
    let models = models_with_internal_nodes(n);
    let p = Program::compile(n, &models).unwrap();
    let opts = Options { per_op_stats: true, record_per_op: true, chunk };
    let act = run_zero_delay(&p, stream, &opts);
    let (toggles, sw, nt) = oracle(n, &models, stream);
    assert_eq!(&act.toggles[..n.net_count()], &toggles[..], "per-net toggles");
    let per_op = act.per_op.as_ref().unwrap();
    let got_sw: Vec<u64> = per_op.iter().map(|o| o.switching_tos).collect();
    let got_nt: Vec<u64> = per_op.iter().map(|o| o.net_toggles).collect();
    assert_eq!(got_sw, sw, "per-op switching TOs");
    assert_eq!(got_nt, nt, "per-op net toggles");
    let r = Report::new(&p, &act, true);
    assert_eq!(r.switching_tos, sw.iter().sum::<u64>());
    assert_eq!(r.net_toggles, nt.iter().sum::<u64>());
    let mut sorted = sw.clone();
    sorted.sort_unstable();
    let st = r.per_op["switching_tos"];
    assert_eq!((st.min, st.max), (sorted[0], sorted[sorted.len() - 1]));
    // Nearest rank: the ceil(0.5 n)-th smallest.
    assert_eq!(st.median, sorted[(sorted.len() as u64 * 50).div_ceil(100) as usize - 1]);
    // Without per-op work the totals are the same.
    let plain = run_zero_delay(&p, stream, &Options { per_op_stats: false, record_per_op: false, chunk });
    assert_eq!(plain.toggles, act.toggles);
}

#[test]
fn zero_delay_matches_the_scalar_oracle() {
    for seed in 0..6u64 {
        let n = random_netlist(seed, &[5, 7, 3], 150);
        // Lengths around block and chunk boundaries.
        for &len in &[1u64, 63, 64, 257, 1000, 2100] {
            let s = Generated::uniform(&[5, 7, 3], len, seed * 100 + len);
            check(&n, &s, 512);
        }
    }
}

#[test]
fn wide_buses_over_64_bits() {
    let n = random_netlist(42, &[100, 9], 300);
    let s = Generated::uniform(&[100, 9], 700, 5);
    check(&n, &s, 256);
    check(&n, &s, 1 << 20);
}

#[test]
fn results_do_not_depend_on_threads_or_chunks() {
    let n = random_netlist(7, &[16, 16], 400);
    let models = synthetic_models(&n);
    let p = Program::compile(&n, &models).unwrap();
    let s = Generated::uniform(&[16, 16], 5000, 11);
    let run = |threads: usize, chunk: u64| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            let a = run_zero_delay(&p, &s, &Options { chunk, ..Options::default() });
            serde_json::to_string(&Report::new(&p, &a, true)).unwrap()
        })
    };
    let one = run(1, 256);
    assert_eq!(one, run(2, 256));
    assert_eq!(one, run(3, 1024));
    assert_eq!(one, run(2, 1 << 20));
}

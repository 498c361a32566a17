//! Engine tests against the scalar oracle on generated netlists.

use tosim_cells::CellModel;
use tosim_netlist::{eval_nets, Gate, Netlist, NetlistBuilder};

use crate::*;

/// A random netlist over every abstract gate: `inputs` buses of `width` bits, `cells` gates.
pub(crate) fn random_netlist(seed: u64, widths: &[usize], cells: usize) -> Netlist {
    random_netlist_with(seed, widths, cells, false)
}

/// [`random_netlist`], with a second output bus when `wide_outputs`: the
/// constants, the first input net and up to 100 cell outputs (over 64 bits).
fn random_netlist_with(seed: u64, widths: &[usize], cells: usize, wide_outputs: bool) -> Netlist {
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
    if wide_outputs {
        let mut z = vec![b.zero(), nets[2], b.one()];
        z.extend(outs.iter().rev().step_by(2).take(100));
        b.add_output_bus("z", &z);
    }
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
    let opts = Options { per_op_stats: true, record_per_op: true, chunk, outputs: true, first_output_only: false };
    let act = run_zero_delay(&p, stream, &opts);
    let (toggles, sw, nt) = oracle(n, &models, stream);
    // Output values: the scalar evaluator's, operation by operation.
    let outs = act.outputs.as_ref().unwrap();
    assert_eq!((outs.len() as u64, outs.buses()), (stream.len(), n.outputs().len()));
    let mut ops = vec![0u128; stream.operands()];
    for i in 0..stream.len() {
        stream.fill(i, &mut ops);
        assert_eq!(outs.get(i as usize).unwrap(), &tosim_netlist::eval(n, &ops)[..], "outputs of operation {i}");
    }
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
    let plain = run_zero_delay(
        &p,
        stream,
        &Options { per_op_stats: false, record_per_op: false, chunk, outputs: false, first_output_only: false },
    );
    assert_eq!(plain.toggles, act.toggles);
    assert!(plain.outputs.is_none());
    // Outputs alone (no per-op counting) are the same values.
    let only = run_zero_delay(&p, stream, &Options { per_op_stats: false, outputs: true, chunk, ..Options::default() });
    assert_eq!(only.outputs.as_ref(), Some(outs));
    assert_eq!(only.toggles, act.toggles);
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
fn outputs_with_constants_inputs_and_wide_buses() {
    let n = random_netlist_with(3, &[9, 4], 260, true);
    assert!(n.outputs()[1].width() > 64);
    for &len in &[1u64, 65, 1100, 3000] {
        let s = Generated::uniform(&[9, 4], len, len);
        check(&n, &s, 1024);
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

/// Scalar event-driven reference of the stage netlist with Verilog semantics:
/// a node is re-evaluated when an input changed; a changed right-hand side
/// replaces the pending update (inertial; cancelled when it equals the
/// current value) or is queued (transport). Returns transitions per net and
/// per-op glitch TOs.
fn glitch_oracle(sn: &StageNetlist, stream: &dyn Stream, transport: bool) -> (Vec<u64>, Vec<u64>) {
    let n = &sn.netlist;
    let k = stream.operands();
    let mut readers: Vec<Vec<tosim_netlist::CellId>> = vec![Vec::new(); n.net_count()];
    for c in n.cells() {
        for &i in n.cell_inputs(c) {
            readers[i.index()].push(c);
        }
    }
    let eval = |v: &[bool], c| {
        let row = n.cell_inputs(c).iter().enumerate().fold(0u32, |r, (i, net)| r | (v[net.index()] as u32) << i);
        n.cell_type(c).functions[0].eval(row)
    };
    let mut v = eval_nets(n, &vec![0u128; k]);
    let mut trans = vec![0u64; n.net_count()];
    let mut per_op = Vec::new();
    let mut ops = vec![0u128; k];
    for i in 0..stream.len() {
        stream.fill(i, &mut ops);
        let target = eval_nets(n, &ops);
        let mut rhs: Vec<bool> = n.cells().map(|c| eval(&v, c)).collect();
        let mut pending: Vec<Vec<(u64, bool)>> = vec![Vec::new(); n.cell_count()];
        let mut changed: Vec<tosim_netlist::NetId> = Vec::new();
        let mut g = 0u64;
        for bus in n.inputs() {
            for &net in &bus.nets {
                if v[net.index()] != target[net.index()] {
                    v[net.index()] = target[net.index()];
                    trans[net.index()] += 1;
                    g += sn.load[net.index()] as u64;
                    changed.push(net);
                }
            }
        }
        let mut t = 0u64;
        loop {
            // Evaluate readers of nets that changed at t.
            let mut cells: Vec<_> = changed.iter().flat_map(|x| readers[x.index()].iter().copied()).collect();
            cells.sort();
            cells.dedup();
            for c in cells {
                let nv = eval(&v, c);
                if nv == rhs[c.index()] {
                    continue;
                }
                rhs[c.index()] = nv;
                let out = n.cell_outputs(c)[0];
                // Inertial: the delay of the direction the output would take.
                let fall = sn.fall_delays[out.index()].max(1) as u64;
                let rise = sn.delays[out.index()].max(1) as u64;
                let d = if transport {
                    rise.max(fall)
                } else if nv {
                    rise
                } else {
                    fall
                };
                if transport {
                    pending[c.index()].push((t + d, nv));
                } else if nv == v[out.index()] {
                    pending[c.index()].clear();
                } else {
                    pending[c.index()] = vec![(t + d, nv)];
                }
            }
            let next = pending.iter().flatten().map(|e| e.0).min();
            let Some(nt) = next else { break };
            t = nt;
            changed.clear();
            for c in n.cells() {
                let out = n.cell_outputs(c)[0];
                let due: Vec<bool> = pending[c.index()].iter().filter(|e| e.0 == t).map(|e| e.1).collect();
                pending[c.index()].retain(|e| e.0 != t);
                if let Some(&val) = due.last() {
                    if v[out.index()] != val {
                        v[out.index()] = val;
                        trans[out.index()] += 1;
                        g += sn.load[out.index()] as u64;
                        changed.push(out);
                    }
                }
            }
        }
        assert_eq!(v, target, "reference did not settle to the settled values");
        per_op.push(g);
    }
    (trans, per_op)
}

fn check_glitch(n: &Netlist, stream: &dyn Stream, delay: Delay, transport: bool) {
    let models = synthetic_models(n);
    let p = Program::compile(n, &models).unwrap();
    let zero = run_zero_delay(&p, stream, &Options { record_per_op: true, ..Options::default() });
    let gp = GlitchProgram::compile(n, &models, delay).unwrap();
    let opts = GlitchOptions { base: Options { record_per_op: true, chunk: 512, ..Options::default() }, transport };
    let act = run_glitch(&gp, stream, &opts);
    let sn = gp.stages();
    // Settled toggles of original nets equal the zero-delay engine's.
    for (i, o) in sn.origin.iter().enumerate() {
        if let Some(o) = o {
            assert_eq!(act.toggles[i], zero.toggles[o.index()], "net {}", sn.netlist.net_name(NetId(i as u32)));
        }
    }
    let (trans, per_op) = glitch_oracle(sn, stream, transport);
    assert_eq!(act.transitions, trans, "transitions per node");
    let got: Vec<u64> = act.per_op.as_ref().unwrap().iter().map(|o| o.glitch_tos).collect();
    assert_eq!(got, per_op, "per-op glitch TOs");
    let zsw: Vec<u64> = zero.per_op.as_ref().unwrap().iter().map(|o| o.switching_tos).collect();
    let gsw: Vec<u64> = act.per_op.as_ref().unwrap().iter().map(|o| o.switching_tos).collect();
    assert_eq!(gsw, zsw, "settled switching TOs of both engines");
    for (g, z) in got.iter().zip(&zsw) {
        assert!(g >= z, "glitch TOs {g} < switching TOs {z}");
    }
    // Unit delay takes the fused in-place loop with folded inverters; the
    // general ring loop gives the same counts.
    let (general, folded) = gp.split_unit_path();
    if delay == Delay::Unit {
        assert!(folded.is_some_and(|k| k > 0), "unit delay did not take the fast path with folded inverters");
        let g = run_glitch(&general, stream, &opts);
        assert_eq!(g.transitions, act.transitions);
        assert_eq!(g.per_op, act.per_op);
    } else {
        assert_eq!(folded, None);
    }
    let r = gp.report(&act, true);
    assert_eq!(r.switching_tos, Report::new(&p, &zero, false).switching_tos);
    // Random logic with reconvergent paths glitches: strictly more transitions.
    assert!(r.glitch_tos.unwrap() > r.switching_tos, "{:?} vs {}", r.glitch_tos, r.switching_tos);
}

use tosim_netlist::NetId;

#[test]
fn glitch_engine_matches_event_driven_reference() {
    for seed in 0..4u64 {
        let n = random_netlist(seed + 10, &[6, 5], 120);
        let s = Generated::uniform(&[6, 5], 700, seed);
        check_glitch(&n, &s, Delay::Unit, false);
        check_glitch(&n, &s, Delay::Effort, false);
        check_glitch(&n, &s, Delay::Effort, true);
        check_glitch(&n, &s, Delay::Rc, false);
    }
}

/// An inverter of a node with constant inputs is not folded (that node is
/// never evaluated); with a one-step horizon folding it used to index past
/// the step list.
#[test]
fn unit_delay_leaves_inverters_of_constant_nodes_alone() {
    let mut b = NetlistBuilder::new("constant");
    let a = b.add_input_bus("a", 1);
    let (z, o) = (b.zero(), b.one());
    let k = b.gate(Gate::Nand2, &[z, o]);
    let i = b.gate(Gate::Inv, &[k]);
    let y = b.gate(Gate::Inv, &[a[0]]);
    b.add_output_bus("y", &[i, y]);
    let n = b.finish().unwrap();
    let gp = GlitchProgram::compile(&n, &synthetic_models(&n), Delay::Unit).unwrap();
    let s = Generated::uniform(&[1], 100, 1);
    let opts = GlitchOptions { base: Options { record_per_op: true, ..Options::default() }, transport: false };
    let act = run_glitch(&gp, &s, &opts);
    let (general, folded) = gp.split_unit_path();
    assert_eq!(folded, Some(0));
    let g = run_glitch(&general, &s, &opts);
    assert_eq!(act.transitions, g.transitions);
    assert_eq!(act.per_op, g.per_op);
    // The constant half never moves; the input and its inverter follow `a`.
    let (trans, _) = glitch_oracle(gp.stages(), &s, false);
    assert_eq!(act.transitions, trans);
}

/// A design whose glitch schedule would not fit is refused before the large
/// allocation, with the sizes in the error (issue 18: a 420k-cell, 41k-level
/// design overflowed the schedule's u32 offsets and panicked). A chain of N
/// NAND2 cells `c_i = NAND(c_{i−1}, x)` with unit delays: node i can change
/// from step 0 (x) to step i (the chain), so its window has i + 1 steps in the
/// evaluation list and i + 1 in the update list: N(N + 1) entries in all.
#[test]
fn glitch_schedule_too_large_is_refused_with_its_size() {
    let chain = |len: usize| {
        let mut b = NetlistBuilder::new("chain");
        let x = b.add_input_bus("x", 1)[0];
        let mut c = x;
        for _ in 0..len {
            c = b.gate(Gate::Nand2, &[c, x]);
        }
        b.add_output_bus("y", &[c]);
        b.finish().unwrap()
    };
    let n = chain(40_000);
    match GlitchProgram::compile(&n, &synthetic_models(&n), Delay::Unit) {
        Err(crate::StageError::TooLarge { nodes, steps, entries, limit, .. }) => {
            assert_eq!((nodes, steps), (40_000, 40_000));
            assert_eq!(entries, 40_000 * 40_001);
            assert_eq!(limit, crate::MAX_SCHEDULE_ENTRIES);
        }
        other => panic!("expected TooLarge, got {:?}", other.map(|p| p.horizon())),
    }
    // A short chain of the same shape compiles and runs as the event-driven reference.
    let n = chain(200);
    let gp = GlitchProgram::compile(&n, &synthetic_models(&n), Delay::Unit).unwrap();
    assert_eq!(gp.horizon(), 200);
    let s = Generated::uniform(&[1], 64, 3);
    let act = run_glitch(&gp, &s, &GlitchOptions { base: Options::default(), transport: false });
    let (trans, _) = glitch_oracle(gp.stages(), &s, false);
    assert_eq!(act.transitions, trans);
}

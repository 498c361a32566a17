//! A continuous version of the glitch model: every stage node is a
//! first-order RC whose voltage relaxes toward its stage's logic function of
//! its inputs, with the template's rise and fall delays as 50 % times.
//!
//! The boolean glitch engine ([`crate::run_glitch`]) counts a pulse as two
//! full transitions when it outlasts the stage delay and as nothing when it
//! does not. Here a node driven by a pulse of width `w` moves part of the way:
//! from a rail, toward the other with time constant `τ = d / ln 2` (so it
//! crosses half swing after the delay `d`), and back. Its inputs' logic values
//! are their voltages thresholded at half swing, so a pulse that never
//! crosses it stops there (the continuous form of inertial filtering), and a
//! pulse that crosses it barely leaves a narrower one downstream (pulses
//! degrade along a path). Each node's activity is the voltage it travels,
//! Σ |Δv| in units of a full swing: 1 per full transition, `2·(1 − 2^(−w/d))`
//! for a pulse of width `w` — the charge its capacitance draws from the
//! supply follows the rising half of that.
//!
//! The simulation is scalar and time-stepped (a quarter of a time unit per
//! step), for validation on a few hundred operations, not for long streams.

use tosim_netlist::Netlist;

use crate::glitch::StageNetlist;
use crate::stream::Stream;

/// Time steps per delay unit.
const STEPS_PER_UNIT: u32 = 4;

/// Per-operation results of [`run_analog`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnalogActivity {
    /// Per weight vector, per operation: Σ over nodes of weight × Σ |Δv|.
    pub per_op: Vec<Vec<f64>>,
    /// Per operation: Σ over nodes of full-swing crossings of half swing
    /// (the transitions a thresholded waveform shows).
    pub crossings: Vec<u64>,
}

/// Why [`run_analog`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum AnalogError {
    /// A weight vector does not have one entry per stage net.
    #[error("weight vector {index} has {got} entries, the stage netlist {expected} nets")]
    Weights {
        /// Which vector.
        index: usize,
        /// Its length.
        got: usize,
        /// Nets of the stage netlist.
        expected: usize,
    },
    /// An operation did not settle within the step limit.
    #[error("operation {op} did not settle within {steps} time steps")]
    NotSettled {
        /// The operation.
        op: u64,
        /// The limit.
        steps: u64,
    },
}

/// Simulates `stream` on the stage netlist `st` with the continuous model,
/// starting from the settled state of all-zero inputs; `weights` are per-net
/// weights (gate loads, capacitances) of the activity.
pub fn run_analog(st: &StageNetlist, stream: &dyn Stream, weights: &[&[f64]]) -> Result<AnalogActivity, AnalogError> {
    let n: &Netlist = &st.netlist;
    let nn = n.net_count();
    for (index, w) in weights.iter().enumerate() {
        if w.len() != nn {
            return Err(AnalogError::Weights { index, got: w.len(), expected: nn });
        }
    }
    let order = n.order();
    let out: Vec<usize> = order.iter().map(|&c| n.cell_outputs(c)[0].index()).collect();
    let ins: Vec<Vec<usize>> = order.iter().map(|&c| n.cell_inputs(c).iter().map(|x| x.index()).collect()).collect();
    // Relaxation per step toward 1 (rise) and 0 (fall): 1 − 2^(−1/(d·steps)).
    let relax = |d: u32| 1.0 - (-(std::f64::consts::LN_2) / (f64::from(d.max(1)) * f64::from(STEPS_PER_UNIT))).exp();
    // (rise, fall) delay of every node.
    let delays: Vec<(u32, u32)> =
        out.iter().map(|&o| (st.delays[o], st.fall_delays.get(o).copied().unwrap_or(st.delays[o]))).collect();
    let rise: Vec<f64> = delays.iter().map(|d| relax(d.0)).collect();
    let fall: Vec<f64> = delays.iter().map(|d| relax(d.1)).collect();
    let max_delay = delays.iter().map(|d| d.0.max(d.1)).max().unwrap_or(1);
    // Generous: every node in series, each waiting ten delays.
    let limit = (order.len() as u64 + 1) * u64::from(max_delay.max(1)) * u64::from(STEPS_PER_UNIT) * 10;
    let k = stream.operands();
    let mut ops = vec![0u128; k];
    let settled0 = tosim_netlist::eval_nets(n, &vec![0u128; k]);
    let mut v: Vec<f64> = settled0.iter().map(|&b| f64::from(u8::from(b))).collect();
    let mut logic = settled0;
    let mut travel = vec![0f64; nn];
    let mut crossed = vec![0u64; nn];
    let mut target = vec![false; order.len()];
    let mut res = AnalogActivity { per_op: vec![Vec::new(); weights.len()], crossings: Vec::new() };
    for op in 0..stream.len() {
        stream.fill(op, &mut ops);
        travel.iter_mut().for_each(|x| *x = 0.0);
        crossed.iter_mut().for_each(|x| *x = 0);
        // Inputs switch at t = 0, as full steps.
        for (bus, b) in n.inputs().iter().enumerate() {
            for (bit, net) in b.nets.iter().enumerate() {
                let x = ops.get(bus).is_some_and(|v| bit < 128 && v >> bit & 1 == 1);
                let i = net.index();
                if x != logic[i] {
                    travel[i] += 1.0;
                    crossed[i] += 1;
                    logic[i] = x;
                    v[i] = f64::from(u8::from(x));
                }
            }
        }
        let mut steps = 0u64;
        loop {
            // Every node's function of its inputs' thresholded values.
            let mut moving = false;
            for (j, &c) in order.iter().enumerate() {
                let row = ins[j].iter().enumerate().fold(0u32, |r, (b, &i)| r | u32::from(logic[i]) << b);
                target[j] = n.cell_type(c).functions[0].eval(row);
            }
            for (j, &o) in out.iter().enumerate() {
                let goal = f64::from(u8::from(target[j]));
                let dv = (goal - v[o]) * if target[j] { rise[j] } else { fall[j] };
                if dv.abs() < 1e-4 && (goal - v[o]).abs() < 1e-3 {
                    // Close enough: finish the swing.
                    travel[o] += (goal - v[o]).abs();
                    v[o] = goal;
                } else {
                    travel[o] += dv.abs();
                    v[o] += dv;
                    moving = true;
                }
            }
            for &o in &out {
                let b = v[o] >= 0.5;
                if b != logic[o] {
                    logic[o] = b;
                    crossed[o] += 1;
                }
            }
            steps += 1;
            if !moving {
                break;
            }
            if steps > limit {
                return Err(AnalogError::NotSettled { op, steps: limit });
            }
        }
        debug_assert_eq!(logic, tosim_netlist::eval_nets(n, &ops), "operation {op} settled to other values");
        for (w, acc) in weights.iter().zip(&mut res.per_op) {
            acc.push(travel.iter().zip(w.iter()).map(|(t, w)| t * w).sum());
        }
        res.crossings.push(crossed.iter().sum());
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use tosim_netlist::{eval_nets, Gate, NetlistBuilder};

    use super::*;
    use crate::tests::random_netlist;
    use crate::{synthetic_models, Delay, Generated, Recorded};

    fn stages(n: &Netlist, delay: Delay) -> StageNetlist {
        StageNetlist::new(n, &synthetic_models(n), delay).unwrap()
    }

    /// Per op, Σ weight × |settled change| of every stage net.
    fn settled_toggles(st: &StageNetlist, stream: &dyn Stream, w: &[f64]) -> Vec<f64> {
        let k = stream.operands();
        let mut ops = vec![0u128; k];
        let mut prev = eval_nets(&st.netlist, &vec![0u128; k]);
        (0..stream.len())
            .map(|i| {
                stream.fill(i, &mut ops);
                let now = eval_nets(&st.netlist, &ops);
                let t = now.iter().zip(&prev).zip(w).filter(|((a, b), _)| a != b).map(|(_, w)| w).sum();
                prev = now;
                t
            })
            .collect()
    }

    #[test]
    fn a_chain_travels_one_swing_per_toggle() {
        let mut b = NetlistBuilder::new("chain");
        let a = b.add_input_bus("a", 1);
        let mut x = a[0];
        for _ in 0..4 {
            x = b.gate(Gate::Inv, &[x]);
        }
        b.add_output_bus("y", &[x]);
        let n = b.finish().unwrap();
        let st = stages(&n, Delay::Unit);
        let ones = vec![1.0; st.netlist.net_count()];
        let s = Recorded::new(1, vec![1, 0, 0, 1, 1, 0]);
        let r = run_analog(&st, &s, &[&ones]).unwrap();
        // No reconvergence: every node makes exactly its settled transitions, full swings.
        let want = settled_toggles(&st, &s, &ones);
        for (got, want) in r.per_op[0].iter().zip(&want) {
            assert!((got - want).abs() < 1e-9, "{got} vs {want}");
        }
        assert_eq!(r.crossings, want.iter().map(|&x| x as u64).collect::<Vec<_>>());
        assert_eq!(want[0], 5.0, "the input and four inverters toggle");
    }

    /// y = NAND(a, !!!a): when `a` rises, both NAND inputs are 1 for the three
    /// inverter delays, and y heads for 0 until the inverted copy arrives.
    fn pulse(nand_delay: u32) -> (f64, u64) {
        let mut b = NetlistBuilder::new("pulse");
        let a = b.add_input_bus("a", 1);
        let mut x = a[0];
        for _ in 0..3 {
            x = b.gate(Gate::Inv, &[x]);
        }
        let y = b.gate(Gate::Nand2, &[a[0], x]);
        b.add_output_bus("y", &[y]);
        let n = b.finish().unwrap();
        let mut st = stages(&n, Delay::Unit);
        let yi = st.netlist.outputs()[0].nets[0].index();
        st.delays[yi] = nand_delay;
        st.fall_delays[yi] = nand_delay;
        let mut w = vec![0.0; st.netlist.net_count()];
        w[yi] = 1.0;
        let r = run_analog(&st, &Recorded::new(1, vec![1, 0]), &[&w]).unwrap();
        // The falling input makes no pulse: y's inputs never both 1.
        assert_eq!(r.per_op[0][1], 0.0);
        (r.per_op[0][0], r.crossings[0] - r.crossings[1])
    }

    #[test]
    fn pulses_travel_part_of_a_swing_and_cross_only_when_long_enough() {
        // Pulse width w = 3 delay units (± the quarter-unit time step at each
        // end); y falls as 2^(−t/d) and comes back: travel 2·(1 − 2^(−w/d)).
        let travel = |w: f64, d: f64| 2.0 * (1.0 - (-w / d).exp2());
        // d = 1: down to 1/8 and back, two crossings of half swing.
        let (t, c) = pulse(1);
        assert!((travel(2.75, 1.0)..=travel(3.25, 1.0)).contains(&t), "{t}");
        assert_eq!(c, 2);
        // d = 4: down to 2^(−3/4) ≈ 0.59 only: never crosses half swing, yet
        // travels ≈ 0.81 of a swing (the boolean engine counts 0 or 2).
        let (t, c) = pulse(4);
        assert!((travel(2.75, 4.0)..=travel(3.25, 4.0)).contains(&t), "{t}");
        assert_eq!(c, 0);
    }

    #[test]
    fn random_logic_settles_and_travels_at_least_its_settled_toggles() {
        for seed in 0..3u64 {
            let n = random_netlist(seed + 40, &[5, 4], 90);
            for delay in [Delay::Unit, Delay::Rc] {
                let st = stages(&n, delay);
                let s = Generated::uniform(&[5, 4], 150, seed);
                let gates: Vec<f64> = st.load.iter().map(|&l| f64::from(l)).collect();
                let ones = vec![1.0; st.netlist.net_count()];
                // Settling to the scalar evaluator's values is checked inside (debug build).
                let r = run_analog(&st, &s, &[&gates, &ones]).unwrap();
                let sw = settled_toggles(&st, &s, &gates);
                let tg = settled_toggles(&st, &s, &ones);
                for i in 0..s.len() as usize {
                    assert!(r.per_op[0][i] + 1e-6 >= sw[i], "op {i}: {} < {}", r.per_op[0][i], sw[i]);
                    // Extra crossings come in pairs (pulses).
                    let extra = r.crossings[i] as i64 - tg[i] as i64;
                    assert!(extra >= 0 && extra % 2 == 0, "op {i}: {extra}");
                }
                assert!(r.per_op[0].iter().sum::<f64>() > sw.iter().sum::<f64>(), "random logic glitches");
            }
        }
    }

    #[test]
    fn weights_must_cover_every_net() {
        let n = random_netlist(1, &[3], 10);
        let st = stages(&n, Delay::Unit);
        let e = run_analog(&st, &Generated::uniform(&[3], 4, 1), &[&[1.0]]).unwrap_err();
        assert!(matches!(e, AnalogError::Weights { index: 0, got: 1, .. }), "{e}");
    }
}

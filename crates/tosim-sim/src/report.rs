//! Reports: totals, per-operation statistics, per cell type, per net.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::compile::{Program, SlotKind};
use crate::engine::{Activity, Histogram};

/// Per-operation statistics of one quantity. Percentiles are nearest-rank:
/// `pP` is the smallest value `v` with at least `ceil(P/100 · n)` operations `≤ v`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stats {
    /// Mean.
    pub mean: f64,
    /// Population standard deviation.
    pub std: f64,
    /// Minimum.
    pub min: u64,
    /// 5th percentile.
    pub p5: u64,
    /// Median (50th percentile).
    pub median: u64,
    /// 95th percentile.
    pub p95: u64,
    /// Maximum.
    pub max: u64,
}

impl Stats {
    /// Statistics of a histogram (`None` when it is empty).
    pub fn from_histogram(h: &Histogram) -> Option<Stats> {
        let n = h.total();
        if n == 0 {
            return None;
        }
        let (mut s1, mut s2) = (0u128, 0u128);
        for (v, c) in h.iter() {
            s1 += v as u128 * c as u128;
            s2 += (v as u128) * (v as u128) * c as u128;
        }
        let mean = s1 as f64 / n as f64;
        let var = (s2 as f64 / n as f64 - mean * mean).max(0.0);
        let rank = |p: u64| -> u64 {
            let need = (p * n).div_ceil(100).max(1);
            let mut acc = 0u64;
            for (v, c) in h.iter() {
                acc += c;
                if acc >= need {
                    return v;
                }
            }
            0
        };
        let min = h.iter().next().map(|x| x.0).unwrap_or(0);
        let max = h.iter().last().map(|x| x.0).unwrap_or(0);
        Some(Stats { mean, std: var.sqrt(), min, p5: rank(5), median: rank(50), p95: rank(95), max })
    }
}

/// Counts of one cell type.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct TypeReport {
    /// Instances.
    pub cells: u64,
    /// Transistors in all instances.
    pub transistors: u64,
    /// Switching TOs on gates of this type's transistors.
    pub switching_tos: u64,
    /// Glitch TOs on gates of this type's transistors (glitch mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos: Option<u64>,
}

/// One net of the `nets` array.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NetReport {
    /// Net name in the netlist.
    pub name: String,
    /// Settled toggles.
    pub toggles: u64,
    /// Transitions with the delay model (glitch mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<u64>,
    /// MOSFET gates on the net (folded internal nodes included).
    pub gate_load: u32,
}

/// The result of simulating a unit on a stream.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Report {
    /// Design name.
    pub design: String,
    /// Operations.
    pub operations: u64,
    /// Transistors in the unit.
    pub transistors: u64,
    /// Static TOs: transistors × operations.
    pub static_tos: u64,
    /// Switching TOs (zero delay).
    pub switching_tos: u64,
    /// Glitch TOs (with the delay model), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos: Option<u64>,
    /// Analog TOs (the continuous RC model, [`crate::run_analog`]): Σ gate
    /// load × voltage travelled, in full swings, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analog_tos: Option<f64>,
    /// The same weighted by node capacitance (fF), when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analog_cap_ff: Option<f64>,
    /// Σ toggles × W·L of the gates switched (µm²).
    pub switched_gate_area: f64,
    /// Net toggles (settled).
    pub net_toggles: u64,
    /// Net transitions with the delay model, when computed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_net_toggles: Option<u64>,
    /// Per-operation statistics by quantity (`switching_tos`, `net_toggles`, `glitch_tos`).
    pub per_op: BTreeMap<String, Stats>,
    /// Per cell type.
    pub per_type: BTreeMap<String, TypeReport>,
    /// Per net (on request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nets: Option<Vec<NetReport>>,
}

/// The sum of two optional counts: both, either, or neither present.
pub fn add_opt<T: std::ops::Add<Output = T>>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

impl std::ops::AddAssign<&Report> for Report {
    /// Adds the counts of another run of the same design (statistics are not
    /// additive and are dropped when both sides have them).
    fn add_assign(&mut self, o: &Report) {
        self.operations += o.operations;
        self.static_tos += o.static_tos;
        self.switching_tos += o.switching_tos;
        self.glitch_tos = add_opt(self.glitch_tos, o.glitch_tos);
        self.analog_tos = add_opt(self.analog_tos, o.analog_tos);
        self.analog_cap_ff = add_opt(self.analog_cap_ff, o.analog_cap_ff);
        self.switched_gate_area += o.switched_gate_area;
        self.net_toggles += o.net_toggles;
        for (k, v) in &o.per_type {
            let e = self.per_type.entry(k.clone()).or_default();
            e.switching_tos += v.switching_tos;
            if let Some(g) = v.glitch_tos {
                *e.glitch_tos.get_or_insert(0) += g;
            }
        }
        if !o.per_op.is_empty() {
            self.per_op.clear();
        }
    }
}

impl Report {
    /// Builds the report of a zero-delay run.
    pub fn new(p: &Program, act: &Activity, per_net: bool) -> Report {
        let mut r = Report {
            design: p.name.clone(),
            operations: act.operations,
            transistors: p.transistors,
            static_tos: p.transistors * act.operations,
            ..Default::default()
        };
        let mut area = 0f64;
        for (s, &t) in act.toggles.iter().enumerate() {
            if t == 0 {
                continue;
            }
            r.switching_tos += t * p.load[s] as u64;
            area += t as f64 * p.area[s];
            if let SlotKind::Net(_) = p.kinds[s] {
                r.net_toggles += t;
            }
        }
        r.switched_gate_area = area;
        for (c, &t) in p.cell_type.iter().enumerate() {
            let e = r.per_type.entry(p.type_names[t.index()].clone()).or_default();
            e.cells += 1;
            e.transistors += p.cell_transistors[c] as u64;
        }
        for l in &p.loads {
            let t = act.toggles[l.slot.index()];
            let name = &p.type_names[p.cell_type[l.cell.index()].index()];
            if let Some(e) = r.per_type.get_mut(name) {
                e.switching_tos += t * l.gates as u64;
            }
        }
        if let Some(s) = Stats::from_histogram(&act.hist_switching) {
            r.per_op.insert("switching_tos".into(), s);
        }
        if let Some(s) = Stats::from_histogram(&act.hist_toggles) {
            r.per_op.insert("net_toggles".into(), s);
        }
        if per_net {
            r.nets = Some(
                (2..p.net_count)
                    .map(|s| NetReport {
                        name: p.net_names[s].clone(),
                        toggles: act.toggles[s],
                        transitions: None,
                        gate_load: p.load[s],
                    })
                    .collect(),
            );
        }
        r
    }

    /// Switching TOs per operation attributed to each instance (on request;
    /// the default path never computes it).
    pub fn per_instance(p: &Program, act: &Activity) -> Vec<u64> {
        let mut v = vec![0u64; p.cell_type.len()];
        for l in &p.loads {
            v[l.cell.index()] += act.toggles[l.slot.index()] * l.gates as u64;
        }
        v
    }
}

//! The template-derived electrical model behind [`crate::Delay::Rc`]: node
//! capacitances and switch-level RC (Elmore) delays, rise and fall apart.
//!
//! From each cell's transistor netlist (the file and subcircuit its
//! [`CellModel`] came from; W and L in µm):
//!
//! * **capacitance of a node** (fF) = Σ over the MOSFET gates on it of
//!   `Cox·W·L + 2·Cov·W` (channel plus both overlaps) + Σ over the channel
//!   terminals (drain/source) on it of `Cov·W` (the SKY130 cells carry no
//!   junction areas, so the overlap is their whole diffusion capacitance).
//!   A net's capacitance sums this over every cell it touches: the readers'
//!   gates and the driver's own drains.
//! * **pull-down / pull-up paths**: every simple path of n (p) channels from
//!   a stage's output node to ground (supply) through nodes that are not
//!   signals of the cell; parallel devices between the same nodes with the
//!   same gate merge (widths add). A device's resistance is `L/W` squares,
//!   × [`RcParams::p_over_n`] for p channels. Each path gives an Elmore delay
//!   `R_path·C_out + Σ_i C_i·R(rail→i)` over its internal nodes `i`; the node's
//!   fall (rise) delay is the largest over its pull-down (pull-up) paths, the
//!   worst input combination.
//! * **time unit**: [`RcParams::quantum`] square·fF, so that the delays are
//!   integers fine enough to order arrivals (an inv_1 driving two inv_1 is
//!   ~3 units falling and ~5 rising).
//!
//! Cells whose template cannot be read (synthetic models, embedded textbook
//! cells) fall back to the stage summary of the model: stack depth × average
//! device resistance and the node's gate area (1 fF per gate when unsized).

use std::collections::BTreeMap;
use std::path::Path;

use tosim_cells::{CellModel, Config, Polarity, SignalKind};

/// Constants of the RC model. The defaults are derived from the SKY130
/// `tt` device models and one measured cell (see each field).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RcParams {
    /// Resistance of a p-channel square over an n-channel square. Default
    /// 2.9, from `inv_1` (Wn 0.65 µm, Wp 1.0 µm) measured in ngspice (fan-out
    /// 2): output rise 43 ps, fall 23 ps; 43/23 × 1.0/0.65 = 2.88
    /// (`crates/tosim-spice/scripts/cell_delays.py`, docs/fidelity.md). The
    /// mobility ratio of the two device models alone (u0 0.0259 / 0.0112) is 2.3.
    pub p_over_n: f64,
    /// Gate-oxide capacitance, fF/µm²: ε0·εrox/toxe = 8.854e-12 × 3.9 / 4.148e-9
    /// F/m² = 8.32 fF/µm² (`sky130_fd_pr__nfet_01v8__tt.pm3.spice`).
    pub cox: f64,
    /// Gate-drain (= gate-source) overlap capacitance per width, fF/µm:
    /// cgdo = cgso = 2.449e-10 F/m (same file).
    pub cov: f64,
    /// One time unit in square·fF. Default 0.5: an `inv_1` driving two
    /// `inv_1` is 1.4 square·fF falling and 2.7 rising (≈ 23 and 43 ps
    /// measured), so a unit is ≈ 8 ps, about a quarter of an inverter delay.
    pub quantum: f64,
}

impl Default for RcParams {
    fn default() -> Self {
        RcParams { p_over_n: 2.9, cox: 8.32, cov: 0.245, quantum: 0.5 }
    }
}

/// One conducting path from a node to its rail: total resistance (squares)
/// and the Elmore sum over its internal nodes (square·fF).
pub(crate) type Path2 = (f64, f64);

/// A path being explored: (node reached, (R of each device, C of the node
/// after it), nodes visited).
type Partial = (String, Vec<(f64, f64)>, Vec<String>);

/// Electrical data of one signal of a cell model.
#[derive(Clone, Debug, Default)]
pub(crate) struct SignalRc {
    /// Capacitance this cell adds to the node (its gates and channel terminals), fF.
    pub cap: f64,
    /// Pull-down paths (to ground).
    pub down: Vec<Path2>,
    /// Pull-up paths (to supply).
    pub up: Vec<Path2>,
}

impl SignalRc {
    /// (rise, fall) delay in time units for a node of total capacitance `load` fF.
    pub fn delays(&self, load: f64, p: &RcParams) -> (u32, u32) {
        let worst = |v: &[Path2]| v.iter().map(|&(r, e)| r * load + e).fold(0.0f64, f64::max);
        let units = |x: f64| ((x / p.quantum).round() as u32).max(1);
        (units(worst(&self.up)), units(worst(&self.down)))
    }
}

/// Capacitance (fF) that each signal of `model` (same order as
/// `model.signals`) sees inside the cell: the gate and overlap capacitance of
/// the cell's transistors on that node (see the module overview).
pub fn signal_capacitance(model: &CellModel, p: &RcParams) -> Vec<f64> {
    cell_rc(model, p).into_iter().map(|s| s.cap).collect()
}

/// Electrical data of every signal of `model` (same order as `model.signals`).
pub(crate) fn cell_rc(model: &CellModel, p: &RcParams) -> Vec<SignalRc> {
    from_template(model, p).unwrap_or_else(|| fallback(model, p))
}

fn fallback(model: &CellModel, p: &RcParams) -> Vec<SignalRc> {
    model
        .signals
        .iter()
        .map(|s| {
            let cap = if s.gate_area > 0.0 { p.cox * s.gate_area } else { s.gate_count as f64 };
            let mut r = SignalRc { cap, ..Default::default() };
            if let Some(st) = s.stage.and_then(|i| model.stages.get(i.index())) {
                if st.n_stack > 0 && st.n_strength > 0.0 {
                    r.down.push((st.n_stack as f64 * st.nmos as f64 / st.n_strength, 0.0));
                }
                if st.p_stack > 0 && st.p_strength > 0.0 {
                    r.up.push((p.p_over_n * st.p_stack as f64 * st.pmos as f64 / st.p_strength, 0.0));
                }
            }
            r
        })
        .collect()
}

fn from_template(model: &CellModel, p: &RcParams) -> Option<Vec<SignalRc>> {
    let cfg = Config::default();
    let path = Path::new(&model.file);
    if !path.is_file() {
        return None;
    }
    let subs = tosim_cells::read_spice_file(path, &cfg).ok()?;
    let sub = subs.into_iter().find(|s| s.name == model.name)?;
    let key = |s: &str| s.to_ascii_uppercase();
    let rail = |s: &str| cfg.is_supply(s) || cfg.is_ground(s);
    let mut cap: BTreeMap<String, f64> = BTreeMap::new();
    // Merged channels: (node a, node b, gate, polarity) -> (W, L).
    let mut edges: BTreeMap<(String, String, String, bool), (f64, f64)> = BTreeMap::new();
    for m in &sub.mosfets {
        let (w, l) = (m.w?, m.l?);
        *cap.entry(key(&m.gate)).or_default() += p.cox * w * l + 2.0 * p.cov * w;
        for t in [&m.drain, &m.source] {
            *cap.entry(key(t)).or_default() += p.cov * w;
        }
        let (a, b) = if key(&m.drain) <= key(&m.source) { (&m.drain, &m.source) } else { (&m.source, &m.drain) };
        let e = edges.entry((key(a), key(b), key(&m.gate), m.polarity == Polarity::P)).or_insert((0.0, l));
        e.0 += w;
    }
    // A binding may rename pins (sky130 `X` → abstract `Y`, `A_N` → `B`):
    // match each bound signal to its template node by name when the name and
    // the electrical role agree, else by stage (outputs) or gate load (inputs).
    let tm = tosim_cells::analyze(&sub, &cfg).ok()?;
    let same = |a: &tosim_cells::Signal, b: &tosim_cells::Signal| {
        a.gate_count == b.gate_count && (a.gate_area - b.gate_area).abs() < 1e-9
    };
    let template_name = |s: &tosim_cells::Signal| -> Option<String> {
        let by_name = tm.signals.iter().find(|t| key(&t.name) == key(&s.name) && same(t, s) && t.stage == s.stage);
        let by_role = || match s.kind {
            SignalKind::Input(_) => tm.signals.iter().find(|t| matches!(t.kind, SignalKind::Input(_)) && same(t, s)),
            _ => tm
                .signals
                .iter()
                .find(|t| t.stage == s.stage && !matches!(t.kind, SignalKind::Input(_)) && same(t, s))
                .or_else(|| tm.signals.iter().find(|t| t.stage == s.stage && matches!(t.kind, SignalKind::Output(_)))),
        };
        by_name.or_else(by_role).map(|t| key(&t.name))
    };
    let signals: std::collections::BTreeSet<String> = tm.signals.iter().map(|s| key(&s.name)).collect();
    let mut out = Vec::with_capacity(model.signals.len());
    for s in &model.signals {
        let k = template_name(s)?;
        let mut r = SignalRc { cap: cap.get(&k).copied().unwrap_or(0.0), ..Default::default() };
        if s.kind != SignalKind::Internal && !matches!(s.kind, SignalKind::Output(_)) {
            out.push(r);
            continue;
        }
        for pol in [false, true] {
            let target = |n: &str| if pol { cfg.is_supply(n) } else { cfg.is_ground(n) };
            let factor = if pol { p.p_over_n } else { 1.0 };
            // Depth-first over simple paths; each step records (R of the device, C of the node reached).
            let mut paths = Vec::new();
            let mut stack: Vec<Partial> = vec![(k.clone(), Vec::new(), vec![k.clone()])];
            while let Some((node, steps, seen)) = stack.pop() {
                if paths.len() > 256 {
                    break;
                }
                for ((a, b, _g, pp), &(w, l)) in &edges {
                    if *pp != pol {
                        continue;
                    }
                    let next = if *a == node {
                        b
                    } else if *b == node {
                        a
                    } else {
                        continue;
                    };
                    if seen.contains(next) {
                        continue;
                    }
                    let mut st = steps.clone();
                    let rdev = factor * l / w;
                    if target(next) {
                        st.push((rdev, 0.0));
                        // Elmore: node i (after step i) sees the resistance of steps i+1.. to the rail.
                        let total: f64 = st.iter().map(|x| x.0).sum();
                        let mut below = total;
                        let mut e = 0.0;
                        for x in &st {
                            below -= x.0;
                            e += x.1 * below;
                        }
                        paths.push((total, e));
                    } else if !rail(next) && !signals.contains(next) {
                        st.push((rdev, cap.get(next).copied().unwrap_or(0.0)));
                        let mut sn = seen.clone();
                        sn.push(next.clone());
                        stack.push((next.clone(), st, sn));
                    }
                }
            }
            if pol {
                r.up = paths;
            } else {
                r.down = paths;
            }
        }
        out.push(r);
    }
    Some(out)
}

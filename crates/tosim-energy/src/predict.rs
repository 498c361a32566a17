//! TO predictors of a unit's energy per operation, from every engine.

use std::collections::BTreeMap;

use tosim_netlist::Netlist;
use tosim_sim::{Delay, GlitchOptions, GlitchProgram, HwUnit, Options, Recorded, StageNetlist};
use tosim_spice::{Binding, DeckOptions, InputDriver, OutputLoad, Pdk};

use crate::EnergyError;

/// Glitch-engine variants compared: every delay model × inertial/transport
/// (predictor name, delay model, transport).
pub const GLITCH_VARIANTS: &[(&str, Delay, bool)] = &[
    ("glitch_tos_unit", Delay::Unit, false),
    ("glitch_tos_unit_transport", Delay::Unit, true),
    ("glitch_tos_effort", Delay::Effort, false),
    ("glitch_tos_effort_transport", Delay::Effort, true),
    ("glitch_tos_rc", Delay::Rc, false),
];

/// Switched-capacitance predictors (fF, from the templates): each transition
/// weighted by its node's capacitance instead of its gate count; the settled
/// toggles (zero delay) and every transition of the glitch engine per delay
/// model; `deck`: with the deck's input drivers and output loads (their
/// capacitance is charged by counted supplies) added to the unit's nets.
/// (zero-delay name, glitch name, delay model, deck.)
pub const CAP_VARIANTS: &[(&str, &str, Delay, bool)] = &[
    ("switched_cap_ff", "glitch_cap_effort_ff", Delay::Effort, false),
    ("switched_cap_ff", "glitch_cap_rc_ff", Delay::Rc, false),
    ("switched_cap_deck_ff", "glitch_cap_rc_deck_ff", Delay::Rc, true),
];

/// Capacitance (fF) of the deck around the unit, per net of `n`: `load` = on
/// the net itself (output loads' gates; the input drivers' drains), `toggling`
/// = on other nodes that switch exactly when the net does (the driver's
/// midpoint `inv_1` → `inv_2`), counted in the energy weight only.
fn deck_capacitance(
    n: &Netlist,
    o: &DeckOptions,
    binding: &Binding,
    pdk: &Pdk,
) -> Result<(Vec<f64>, Vec<f64>), EnergyError> {
    let params = tosim_sim::RcParams::default();
    let cfg = tosim_cells::Config::default();
    // (input pin cap, output pin cap) of a template cell.
    let pins = |cell: &str| -> Result<(f64, f64), EnergyError> {
        let name = format!("{}__{cell}", binding.foundry);
        let file = pdk.template_file(&name);
        let subs = tosim_cells::read_spice_file(&file, &cfg).map_err(|source| EnergyError::CellFile {
            file: file.clone(),
            cell: name.clone(),
            source: Box::new(source),
        })?;
        let sub = subs
            .into_iter()
            .find(|s| s.name == name)
            .ok_or_else(|| EnergyError::NoTemplate { file: file.clone(), cell: name.clone() })?;
        let m = tosim_cells::analyze(&sub, &cfg)
            .map_err(|source| EnergyError::CellAnalysis { cell: name.clone(), source: Box::new(source) })?;
        let c = tosim_sim::delay::signal_capacitance(&m, &params);
        let pick = |input: bool| {
            m.signals
                .iter()
                .zip(&c)
                .filter(|(s, _)| !matches!(s.kind, tosim_cells::SignalKind::Internal))
                .filter(|(s, _)| matches!(s.kind, tosim_cells::SignalKind::Input(_)) == input)
                .map(|(_, &c)| c)
                .sum::<f64>()
        };
        Ok((pick(true), pick(false)))
    };
    let mut load = vec![0.0; n.net_count()];
    let mut toggling = vec![0.0; n.net_count()];
    if o.driver == InputDriver::Cells {
        let (_, inv1_out) = pins("inv_1")?;
        let (inv2_in, inv2_out) = pins("inv_2")?;
        for bus in n.inputs() {
            for net in &bus.nets {
                load[net.index()] += inv2_out;
                toggling[net.index()] += inv1_out + inv2_in;
            }
        }
    }
    let out_load = match o.load {
        OutputLoad::Inverter => pins("inv_1")?.0,
        OutputLoad::Cap(f) => f * 1e15,
    };
    for bus in n.outputs() {
        for net in &bus.nets {
            load[net.index()] += out_load;
        }
    }
    Ok((load, toggling))
}

/// Every predictor of the energy of each operation in `ops` (operation-major)
/// on `unit`, by name: zero-delay switching TOs and net toggles, glitch TOs
/// ([`GLITCH_VARIANTS`]), switched capacitance ([`CAP_VARIANTS`]), the
/// continuous RC model (`analog_*`), the input Hamming distance and the static
/// TOs. The deck (`o`, `binding`, `pdk`) adds its drivers' and loads'
/// capacitance to the `deck` variants.
pub fn predictors(
    unit: &HwUnit,
    ops: &[u128],
    o: &DeckOptions,
    binding: &Binding,
    pdk: &Pdk,
) -> Result<BTreeMap<String, Vec<f64>>, EnergyError> {
    let n = unit.netlist();
    let k = n.inputs().len();
    let m = ops.len() / k;
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let stream = Recorded::new(k, ops.to_vec());
    let opts = Options { per_op_stats: true, record_per_op: true, ..Options::default() };
    let stage_err = |source| EnergyError::Stages { unit: unit.name().to_string(), source: Box::new(source) };
    // Zero-delay counts.
    let zero = unit.count(&stream, &opts).per_op.unwrap_or_default();
    let mut predictors: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    predictors.insert("switching_tos".into(), zero.iter().map(|c| c.switching_tos as f64).collect());
    predictors.insert("net_toggles".into(), zero.iter().map(|c| c.net_toggles as f64).collect());
    for &(label, delay, transport) in GLITCH_VARIANTS {
        let gp = unit.glitch_program(delay)?;
        let act = tosim_sim::run_glitch(&gp, &stream, &GlitchOptions { base: opts, transport });
        predictors.insert(label.into(), act.per_op.unwrap_or_default().iter().map(|c| c.glitch_tos as f64).collect());
    }
    let (deck_load, deck_toggling) = deck_capacitance(n, o, binding, pdk)?;
    // Stages with the deck's capacitance on the unit's pins (and, in the
    // energy weight, on the nodes that toggle with them).
    let deck_stages = |delay: Delay| -> Result<StageNetlist, EnergyError> {
        let mut st = StageNetlist::with_external_cap(n, unit.models(), delay, &deck_load).map_err(stage_err)?;
        for (i, org) in st.origin.iter().enumerate() {
            if let Some(org) = org {
                st.cap[i] += deck_toggling[org.index()];
            }
        }
        Ok(st)
    };
    for &(zero_label, label, delay, deck) in CAP_VARIANTS {
        // Weights in 1/100 fF so that the engine's integer weights hold them.
        let mut st = if deck { deck_stages(delay)? } else { unit.stages(delay)? };
        st.load = st.cap.iter().map(|c| (c * 100.0).round() as u32).collect();
        let gp = GlitchProgram::from_stages(st).map_err(stage_err)?;
        let per = tosim_sim::run_glitch(&gp, &stream, &GlitchOptions { base: opts, transport: false })
            .per_op
            .unwrap_or_default();
        predictors.insert(zero_label.into(), per.iter().map(|c| c.switching_tos as f64 / 100.0).collect());
        predictors.insert(label.into(), per.iter().map(|c| c.glitch_tos as f64 / 100.0).collect());
    }
    {
        // The continuous RC model (tosim_sim::analog) on the same stages and deck.
        let st = deck_stages(Delay::Rc)?;
        let gates: Vec<f64> = st.load.iter().map(|&l| f64::from(l)).collect();
        let mut deck_gates = gates.clone();
        let mut is_in = vec![false; n.net_count()];
        let mut is_out = vec![false; n.net_count()];
        n.inputs().iter().flat_map(|b| &b.nets).for_each(|x| is_in[x.index()] = true);
        n.outputs().iter().flat_map(|b| &b.nets).for_each(|x| is_out[x.index()] = true);
        for (i, org) in st.origin.iter().enumerate() {
            if let Some(org) = org {
                deck_gates[i] +=
                    2.0 * (f64::from(u8::from(is_in[org.index()])) + f64::from(u8::from(is_out[org.index()])));
            }
        }
        let an = tosim_sim::run_analog(&st, &stream, &[&gates, &st.cap, &deck_gates])
            .map_err(|source| EnergyError::Analog { unit: unit.name().to_string(), source })?;
        predictors.insert("analog_tos_rc".into(), an.per_op[0].clone());
        predictors.insert("analog_cap_rc_deck_ff".into(), an.per_op[1].clone());
        predictors.insert("analog_tos_rc_deck".into(), an.per_op[2].clone());
    }
    let mut hamming = Vec::with_capacity(m);
    for j in 0..m {
        let h: u32 = (0..k)
            .map(|b| {
                let prev = if j == 0 { 0 } else { ops[(j - 1) * k + b] };
                let mask = if widths[b] >= 128 { u128::MAX } else { (1u128 << widths[b]) - 1 };
                ((prev ^ ops[j * k + b]) & mask).count_ones()
            })
            .sum();
        hamming.push(f64::from(h));
    }
    predictors.insert("input_hamming".into(), hamming);
    predictors.insert("static_tos".into(), vec![unit.transistors() as f64; m]);
    Ok(predictors)
}

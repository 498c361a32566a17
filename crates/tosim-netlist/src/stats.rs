//! Netlist statistics: cells by type, transistors, nets, ports, depth.

use std::collections::BTreeMap;

use serde::Serialize;
use tosim_cells::{CellModel, PinId, SignalKind};

use crate::{Driver, Netlist};

/// A port of a netlist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PortStat {
    /// Bus name.
    pub name: String,
    /// Width in bits.
    pub width: usize,
}

/// What [`stats`] reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stats {
    /// Design name.
    pub name: String,
    /// Cell instances.
    pub cells: u64,
    /// Cell instances per type name.
    pub cells_by_type: BTreeMap<String, u64>,
    /// Nets, not counting the two constants.
    pub nets: u64,
    /// Input buses in order.
    pub inputs: Vec<PortStat>,
    /// Output buses in order.
    pub outputs: Vec<PortStat>,
    /// Primary input bits.
    pub input_bits: u64,
    /// Primary output bits.
    pub output_bits: u64,
    /// Logic depth in cells (longest input-to-output path).
    pub depth_cells: u32,
    /// Library the transistor figures come from.
    pub library: Option<String>,
    /// Transistors (static TOs of one operation), when bound to a library.
    pub transistors: Option<u64>,
    /// Transistors per cell type name.
    pub transistors_by_type: Option<BTreeMap<String, u64>>,
    /// Logic depth in CMOS stages, following each cell's stage graph from
    /// the input pin that is on the path to the output pin.
    pub depth_stages: Option<u32>,
    /// Warnings kept on the netlist.
    pub warnings: Vec<String>,
}

/// For each input pin `i` and output `o` of a model: the longest chain of
/// stages from `i` to `o` (`None` when `o` does not depend on `i` through gates).
pub fn pin_stage_depths(m: &CellModel) -> Vec<Vec<Option<u32>>> {
    let mut out = vec![vec![None; m.outputs.len()]; m.inputs.len()];
    for (i, row) in out.iter_mut().enumerate() {
        let mut d: Vec<Option<u32>> =
            m.signals.iter().map(|s| (s.kind == SignalKind::Input(PinId::from_index(i))).then_some(0)).collect();
        for st in &m.stages {
            let v = st.gate_inputs.iter().filter_map(|&g| d.get(g.index()).copied().flatten()).max().map(|x| x + 1);
            for &o in &st.outputs {
                if let Some(slot) = d.get_mut(o.index()) {
                    *slot = (*slot).max(v);
                }
            }
        }
        for (k, s) in m.signals.iter().enumerate() {
            if let SignalKind::Output(o) = s.kind {
                if let Some(cell) = row.get_mut(o.index()) {
                    *cell = d[k];
                }
            }
        }
    }
    out
}

/// Statistics of `n`; `bound` is one model per [`Netlist::types`] entry
/// (from [`crate::library::Library::bind`]) and `library` its name.
pub fn stats(n: &Netlist, bound: Option<(&str, &[CellModel])>) -> Stats {
    let mut by_type: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_type = vec![0u64; n.types().len()];
    for c in n.cells() {
        per_type[n.cell_type_id(c).index()] += 1;
    }
    for (t, &k) in n.types().iter().zip(&per_type) {
        if k > 0 {
            *by_type.entry(t.name.clone()).or_default() += k;
        }
    }
    let mut s = Stats {
        name: n.name().to_string(),
        cells: n.cell_count() as u64,
        cells_by_type: by_type,
        nets: n.net_count().saturating_sub(2) as u64,
        inputs: n.inputs().iter().map(|b| PortStat { name: b.name.clone(), width: b.width() }).collect(),
        outputs: n.outputs().iter().map(|b| PortStat { name: b.name.clone(), width: b.width() }).collect(),
        input_bits: n.input_bits() as u64,
        output_bits: n.output_bits() as u64,
        depth_cells: n.depth(),
        library: None,
        transistors: None,
        transistors_by_type: None,
        depth_stages: None,
        warnings: n.warnings().to_vec(),
    };
    if let Some((lib, models)) = bound {
        if models.len() == n.types().len() {
            let mut by: BTreeMap<String, u64> = BTreeMap::new();
            let mut total = 0u64;
            for ((t, m), &k) in n.types().iter().zip(models).zip(&per_type) {
                let x = k * u64::from(m.transistors());
                if k > 0 {
                    *by.entry(t.name.clone()).or_default() += x;
                }
                total += x;
            }
            let depths: Vec<Vec<Vec<Option<u32>>>> = models.iter().map(pin_stage_depths).collect();
            let mut arr = vec![0u32; n.net_count()];
            for &c in n.order() {
                let d = &depths[n.cell_type_id(c).index()];
                for (o, &out) in n.cell_outputs(c).iter().enumerate() {
                    let mut v = 0;
                    for (i, &inp) in n.cell_inputs(c).iter().enumerate() {
                        if let Some(x) = d.get(i).and_then(|r| r.get(o)).copied().flatten() {
                            v = v.max(arr[inp.index()] + x);
                        }
                    }
                    arr[out.index()] = v;
                }
            }
            let depth = n
                .outputs()
                .iter()
                .flat_map(|b| b.nets.iter())
                .filter(|&&x| matches!(n.driver(x), Driver::Cell { .. }))
                .map(|x| arr[x.index()])
                .max();
            s.library = Some(lib.to_string());
            s.transistors = Some(total);
            s.transistors_by_type = Some(by);
            s.depth_stages = Some(depth.unwrap_or(0));
        }
    }
    s
}

impl Stats {
    /// A human-readable report.
    pub fn to_text(&self) -> String {
        let mut t = String::new();
        let ports = |v: &[PortStat]| v.iter().map(|p| format!("{}[{}]", p.name, p.width)).collect::<Vec<_>>().join(" ");
        t += &format!("design          {}\n", self.name);
        t += &format!("inputs          {} bits: {}\n", self.input_bits, ports(&self.inputs));
        t += &format!("outputs         {} bits: {}\n", self.output_bits, ports(&self.outputs));
        t += &format!("nets            {}\n", self.nets);
        t += &format!("cells           {}\n", self.cells);
        t += &format!("depth (cells)   {}\n", self.depth_cells);
        if let (Some(lib), Some(tr)) = (&self.library, self.transistors) {
            t += &format!("depth (stages)  {}\n", self.depth_stages.unwrap_or(0));
            t += &format!("transistors     {tr} (library {lib}; static TOs per operation)\n");
        }
        t += "\ncell type             count  transistors\n";
        for (k, v) in &self.cells_by_type {
            let tr =
                self.transistors_by_type.as_ref().and_then(|m| m.get(k)).map_or(String::from("-"), |x| x.to_string());
            t += &format!("{k:<20} {v:>6} {tr:>12}\n");
        }
        for w in &self.warnings {
            t += &format!("warning: {w}\n");
        }
        t
    }
}

//! Static costs of the integer units (`tosim units --costs`): cells, logic
//! depth in cells and, per library, transistors and depth in CMOS stages.
//!
//! The figures are [`tosim_netlist::stats::stats`] of each unit bound to
//! each library, so `tosim units --costs` and `tosim netlist stats` on the
//! exported netlist agree. The CMOS stage depth is the longest input-to-output
//! path counted in CMOS stages: through each cell, the stages from the input
//! pin on the path to the output pin (a MUX2's data input passes 2 stages,
//! its select input 3; see docs/units.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::json;
use tosim_netlist::library::Library;
use tosim_netlist::stats::{stats, Stats};
use tosim_netlist::Netlist;
use tosim_sim::{HwUnit, HwUnitError};
use tosim_units::{generate, info, registry, Arch, Kind, Signedness, UnitError, UnitSpec};

/// Why a cost table could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StaticError {
    /// A unit could not be generated.
    #[error(transparent)]
    Generate(#[from] UnitError),
    /// A unit could not be bound to a library.
    #[error(transparent)]
    Bind(#[from] HwUnitError),
}

/// The statistics of `n` bound to `lib`: transistors and stage depth from
/// the bound cells ([`tosim_netlist::stats::stats`]).
pub fn unit_stats(n: &Netlist, lib: &Library) -> Result<Stats, HwUnitError> {
    let u = HwUnit::bind(n.clone(), lib)?;
    Ok(stats(u.netlist(), Some((lib.name(), u.models()))))
}

/// The units of the cost table: every registry entry at its default
/// signedness (unsigned, or signed where only signed exists) and default adder,
/// plus the signed multipliers and dividers and each tree multiplier with a
/// Kogge-Stone final adder.
pub fn cost_specs(width: u32) -> Vec<UnitSpec> {
    let mut v = Vec::new();
    for i in registry() {
        let s = UnitSpec::new(i.kind, i.arch, width).signed(i.signedness == Signedness::Signed);
        v.push(s);
        if matches!(i.kind, Kind::Mul | Kind::Div) && i.signedness == Signedness::Both {
            v.push(s.signed(true));
        }
        if i.kind == Kind::Mul && matches!(i.arch, Arch::Wallace | Arch::Dadda | Arch::Booth) {
            v.push(s.with_final_adder(Arch::KoggeStone));
        }
    }
    v
}

/// One unit of the cost table.
#[derive(Clone, Debug)]
pub struct CostRow {
    /// The unit.
    pub spec: UnitSpec,
    /// Its statistics without a library (cells, cells by type, depth in cells).
    pub base: Stats,
    /// Its statistics bound to each library of the table, in order.
    pub per_library: Vec<Stats>,
}

/// The static cost table of `tosim units --costs`.
#[derive(Clone, Debug)]
pub struct CostTable {
    /// Library names, one column pair each.
    pub libraries: Vec<String>,
    /// Only units of this kind (the adder table adds the published constants).
    pub kind: Option<Kind>,
    /// The units.
    pub rows: Vec<CostRow>,
}

impl CostTable {
    /// The units of [`cost_specs`] at each width (of `kind` only, if given),
    /// with their statistics in each library.
    pub fn new(widths: &[u32], kind: Option<Kind>, libs: &[Library]) -> Result<CostTable, StaticError> {
        let mut rows = Vec::new();
        for &w in widths {
            for spec in cost_specs(w) {
                if kind.is_some_and(|k| k != spec.kind) || info(spec.kind, spec.arch).is_none() {
                    continue;
                }
                let n = generate(&spec)?;
                let per_library = libs.iter().map(|l| unit_stats(&n, l)).collect::<Result<_, _>>()?;
                rows.push(CostRow { spec, base: stats(&n, None), per_library });
            }
        }
        Ok(CostTable { libraries: libs.iter().map(|l| l.name().to_string()).collect(), kind, rows })
    }

    /// The JSON array: per unit its name, spec, cells, cells by type, depth
    /// in cells and per library transistors and stage depth.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows.iter().map(|r| {
            let libs: BTreeMap<&str, serde_json::Value> = self
                .libraries
                .iter()
                .zip(&r.per_library)
                .map(|(l, p)| (l.as_str(), json!({"transistors": p.transistors, "depth_stages": p.depth_stages})))
                .collect();
            json!({ "unit": r.spec.design_name(), "spec": r.spec, "cells": r.base.cells,
                "by_type": r.base.cells_by_type, "depth_cells": r.base.depth_cells, "libraries": libs })
        });
        serde_json::Value::Array(rows.collect())
    }

    /// The Markdown table; for adders only (`kind` add) also the ratios to
    /// the published per-operation constants: 28 transistors per full-adder
    /// bit (28n) and EuclidNets' 5n − 3 gates per n-bit addition.
    pub fn to_markdown(&self) -> String {
        let adders = self.kind == Some(Kind::Add);
        let mut head = String::from("| unit | n | cells | depth (cells) |");
        let mut rule = String::from("|---|---:|---:|---:|");
        for l in &self.libraries {
            let _ = write!(head, " T {l} | stages {l} |");
            rule.push_str("---:|---:|");
        }
        if adders {
            head.push_str(" cells / (5n-3) |");
            rule.push_str("---:|");
            for l in &self.libraries {
                let _ = write!(head, " T {l} / 28n |");
                rule.push_str("---:|");
            }
        }
        let mut out = format!("{head}\n{rule}\n");
        let opt = |x: Option<u64>| x.map_or("–".to_string(), |v| v.to_string());
        for r in &self.rows {
            let s = &r.spec;
            let _ = write!(out, "| {} | {} | {} | {} |", s.design_name(), s.width, r.base.cells, r.base.depth_cells);
            for p in &r.per_library {
                let _ = write!(out, " {} | {} |", opt(p.transistors), opt(p.depth_stages.map(u64::from)));
            }
            if adders {
                let n = s.width as f64;
                let _ = write!(out, " {:.2} |", r.base.cells as f64 / (5.0 * n - 3.0));
                for p in &r.per_library {
                    let _ = write!(out, " {:.2} |", p.transistors.unwrap_or(0) as f64 / (28.0 * n));
                }
            }
            out.push('\n');
        }
        out
    }
}

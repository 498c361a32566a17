//! `tosim compare`: the architectures of one kind side by side on the same
//! operand stream (transistors, depth, switching and glitch TOs per operation).

use std::fmt::Write as _;

use serde::Serialize;
use thiserror::Error;
use tosim_netlist::library::Library;
use tosim_sim::{simulate, Delay, HwUnit, HwUnitError, Mode, RunError, RunOptions};

use crate::spec::{AnySpec, SpecError};
use crate::streams::{StreamSpec, StreamSpecError};

/// Why a comparison stopped.
#[derive(Debug, Error)]
pub enum CompareError {
    /// A unit could not be named or generated.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A unit could not be bound or compiled.
    #[error(transparent)]
    Unit(#[from] HwUnitError),
    /// Its stream could not be made.
    #[error(transparent)]
    Stream(#[from] StreamSpecError),
    /// Its simulation failed.
    #[error(transparent)]
    Run(#[from] RunError),
}

/// One row of `tosim compare`.
#[derive(Serialize, Debug, Clone)]
pub struct CompareRow {
    /// Architecture name.
    pub arch: String,
    /// Transistors.
    pub transistors: u64,
    /// Logic depth in cells.
    pub depth_cells: u32,
    /// Static TOs per operation (= transistors).
    pub static_tos_per_op: u64,
    /// Zero-delay switching TOs per operation.
    pub switching_tos_per_op: f64,
    /// 5th percentile of the per-operation switching TOs.
    pub switching_p5: u64,
    /// 95th percentile of the per-operation switching TOs.
    pub switching_p95: u64,
    /// Glitch TOs per operation (with the glitch engine).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glitch_tos_per_op: Option<f64>,
    /// Glitch TOs (else switching TOs) per operation ÷ the lowest of the rows.
    pub ratio_to_best: f64,
}

/// Runs every unit of `specs` (named by architecture) bound to `lib`
/// (synthetic models without one) on the stream `stream` describes; with
/// `glitch`, also the glitch engine with that delay model.
pub fn compare(
    specs: &[(String, AnySpec)],
    lib: Option<&Library>,
    stream: &StreamSpec,
    glitch: Option<Delay>,
) -> Result<Vec<CompareRow>, CompareError> {
    let mut rows = Vec::new();
    for (name, sp) in specs {
        let u = HwUnit::new(sp.generate()?, lib)?;
        let s = stream.unit_stream(sp, u.program().input_widths())?;
        let opts = match glitch {
            Some(delay) => RunOptions { mode: Mode::Glitch, delay, ..RunOptions::default() },
            None => RunOptions::default(),
        };
        let r = simulate(&u, s.as_ref(), &opts)?.report;
        let ops = r.operations.max(1) as f64;
        let st = r.per_op.get("switching_tos").copied().unwrap_or_default();
        rows.push(CompareRow {
            arch: name.clone(),
            transistors: r.transistors,
            depth_cells: u.netlist().depth(),
            static_tos_per_op: r.transistors,
            switching_tos_per_op: r.switching_tos as f64 / ops,
            switching_p5: st.p5,
            switching_p95: st.p95,
            glitch_tos_per_op: r.glitch_tos.map(|g| g as f64 / ops),
            ratio_to_best: 0.0,
        });
    }
    let best = rows.iter().map(|r| r.glitch_tos_per_op.unwrap_or(r.switching_tos_per_op)).fold(f64::INFINITY, f64::min);
    for r in &mut rows {
        r.ratio_to_best = r.glitch_tos_per_op.unwrap_or(r.switching_tos_per_op) / best;
    }
    Ok(rows)
}

/// The text table of `tosim compare`.
pub fn compare_text(rows: &[CompareRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<16} {:>11} {:>6} {:>10} {:>12} {:>8} {:>8} {:>10} {:>7}",
        "arch", "transistors", "depth", "static/op", "switching/op", "p5", "p95", "glitch/op", "ratio"
    );
    for r in rows {
        let g = r.glitch_tos_per_op.map(|g| format!("{g:.1}")).unwrap_or_else(|| "-".into());
        let _ = writeln!(
            o,
            "{:<16} {:>11} {:>6} {:>10} {:>12.1} {:>8} {:>8} {:>10} {:>7.3}",
            r.arch,
            r.transistors,
            r.depth_cells,
            r.static_tos_per_op,
            r.switching_tos_per_op,
            r.switching_p5,
            r.switching_p95,
            g,
            r.ratio_to_best
        );
    }
    o
}

//! `tosim spice export`: the decks of one unit on an operand stream.

use std::path::{Path, PathBuf};

use tosim_spice::{Binding, Pdk};
use tosim_units::{generate, UnitSpec};

use crate::{DeckSettings, EnergyError, Operands};

/// One deck written by [`export`].
#[derive(Clone, Debug)]
pub struct ExportedChunk {
    /// Its folder.
    pub dir: PathBuf,
    /// Operations in the deck.
    pub ops: usize,
    /// First operation of the stream in the deck.
    pub first: usize,
    /// One past the last.
    pub end: usize,
    /// Cells of the unit.
    pub cells: usize,
    /// Transistors of the deck.
    pub transistors: u64,
    /// Period per operation, ns.
    pub period_ns: f64,
}

/// Writes the ngspice decks of `spec` on `ops` into `output` (one folder
/// `chunk<i>` per chunk when `chunks` > 1; each chunk starts from the state
/// its first operation follows), calling `on_chunk` after each.
pub fn export(
    spec: &UnitSpec,
    deck: &DeckSettings,
    ops: &Operands,
    chunks: usize,
    output: &Path,
    mut on_chunk: impl FnMut(&ExportedChunk),
) -> Result<Vec<ExportedChunk>, EnergyError> {
    let n = generate(spec)
        .map_err(|source| EnergyError::Generate { unit: spec.design_name(), source: Box::new(source) })?;
    let binding = Binding::named(&deck.library)?;
    let pdk = Pdk::locate(deck.cells.as_deref())?;
    let o = deck.deck_options(&n);
    let ops = ops.operations(&n)?;
    let k = n.inputs().len();
    let m = ops.len() / k;
    let chunks = chunks.clamp(1, m.max(1));
    let mut out = Vec::with_capacity(chunks);
    for c in 0..chunks {
        let (s, e) = (c * m / chunks, (c + 1) * m / chunks);
        let init: Vec<u128> = if s == 0 { vec![0; k] } else { ops[(s - 1) * k..s * k].to_vec() };
        let d = tosim_spice::build(&n, &binding, &pdk, &init, &ops[s * k..e * k], &o)?;
        let dir = if chunks == 1 { output.to_path_buf() } else { output.join(format!("chunk{c}")) };
        d.write(&dir)?;
        let chunk = ExportedChunk {
            dir,
            ops: d.ops,
            first: s,
            end: e,
            cells: n.cell_count(),
            transistors: d.transistors,
            period_ns: o.period * 1e9,
        };
        on_chunk(&chunk);
        out.push(chunk);
    }
    Ok(out)
}

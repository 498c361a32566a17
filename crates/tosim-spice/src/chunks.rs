//! Long streams split into chunks that run as separate ngspice processes.
//!
//! Chunk `c` covers operations `[s, e)`; its deck's initial period holds
//! operation `s − 1` (all zeros for the first chunk), so it starts from the
//! settled state operation `s` follows in the whole stream: the per-operation
//! energies of the chunks are those of one long run, up to the DC start.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use tosim_netlist::Netlist;

use crate::{build, read_results, run_ngspice, Binding, DeckOptions, Measured, Pdk, SpiceError};

/// Writes and runs the decks of `ops` (operation-major, one value per input
/// bus) in `chunks` parts under `dir/chunk<c>`, `jobs` ngspice processes at a
/// time; returns the measurements in stream order. With `reuse`, a chunk
/// folder whose `deck.sp` is identical to the new deck and that holds a
/// finished run (`done` marker) is read instead of run again.
#[allow(clippy::too_many_arguments)]
pub fn run_chunked(
    n: &Netlist,
    binding: &Binding,
    pdk: &Pdk,
    ops: &[u128],
    o: &DeckOptions,
    dir: &Path,
    chunks: usize,
    jobs: usize,
    ngspice: &str,
    reuse: bool,
) -> Result<Measured, SpiceError> {
    let k = n.inputs().len().max(1);
    let m = ops.len() / k;
    let chunks = chunks.clamp(1, m.max(1));
    let bounds: Vec<(usize, usize)> = (0..chunks).map(|c| (c * m / chunks, (c + 1) * m / chunks)).collect();
    let mut work: Vec<(PathBuf, crate::Deck, bool)> = Vec::new();
    for (c, &(s, e)) in bounds.iter().enumerate() {
        let init: Vec<u128> = if s == 0 { vec![0; k] } else { ops[(s - 1) * k..s * k].to_vec() };
        let deck = build(n, binding, pdk, &init, &ops[s * k..e * k], o)?;
        let d = dir.join(format!("chunk{c}"));
        let same = std::fs::read_to_string(d.join("deck.sp")).is_ok_and(|t| t == deck.text);
        let done = reuse && same && d.join("done").is_file();
        if !done {
            let _ = std::fs::remove_file(d.join("done"));
            deck.write(&d)?;
        }
        work.push((d, deck, done));
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<Measured, SpiceError>>>> = Mutex::new((0..work.len()).map(|_| None).collect());
    std::thread::scope(|sc| {
        for _ in 0..jobs.clamp(1, work.len().max(1)) {
            sc.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some((d, deck, done)) = work.get(i) else { break };
                let ran = if *done {
                    Ok(())
                } else {
                    run_ngspice(d, ngspice).and_then(|()| {
                        std::fs::write(d.join("done"), "").map_err(|e| SpiceError::io(&d.join("done"), e))
                    })
                };
                let r = ran.and_then(|()| read_results(d, deck));
                if let Ok(mut g) = results.lock() {
                    g[i] = Some(r);
                }
            });
        }
    });
    let mut all = Measured::default();
    let results = results
        .into_inner()
        .map_err(|_| SpiceError::Ngspice { dir: dir.display().to_string(), msg: "a worker panicked".into() })?;
    for r in results {
        match r {
            Some(r) => all.extend(r?),
            None => {
                return Err(SpiceError::Ngspice { dir: dir.display().to_string(), msg: "a chunk did not run".into() })
            }
        }
    }
    Ok(all)
}

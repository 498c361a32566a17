//! Which files make a cell library: the SPICE netlists under a path.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A file or folder that could not be read.
#[derive(Debug, Error)]
#[error("{}", path.display())]
pub struct FilesError {
    /// The file or folder.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: std::io::Error,
}

/// The SPICE files `path` names: itself if it is a file, else every
/// `*.spice`, `*.sp` and `*.cdl` below it (recursively, sorted by path).
///
/// A foundry library ships each cell twice, a layout-extracted netlist
/// (`.spice`) and a schematic one (`.cdl`); in a folder the extracted view
/// wins, and a `.cdl` beside a `.spice`/`.sp` of the same stem is skipped
/// unless `all_views`.
pub fn spice_files(path: &Path, all_views: bool) -> Result<Vec<PathBuf>, FilesError> {
    let mut out = Vec::new();
    collect(path, &mut out, all_views)?;
    Ok(out)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, all_views: bool) -> Result<(), FilesError> {
    let err = |source| FilesError { path: path.to_path_buf(), source };
    if std::fs::metadata(path).map_err(err)?.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(path).map_err(err)?.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    let ext_of = |p: &Path| p.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    for p in &entries {
        if p.is_dir() {
            collect(p, out, all_views)?;
            continue;
        }
        let Some(ext) = ext_of(p) else { continue };
        if !["spice", "sp", "cdl"].contains(&ext.as_str()) {
            continue;
        }
        if ext == "cdl" && !all_views {
            let twin = entries.iter().any(|q| {
                q != p && q.file_stem() == p.file_stem() && ext_of(q).is_some_and(|e| e == "spice" || e == "sp")
            });
            if twin {
                continue;
            }
        }
        out.push(p.clone());
    }
    Ok(())
}

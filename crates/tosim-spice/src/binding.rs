//! The part of a library binding a deck needs: which template subcircuit
//! implements each abstract cell, and how its pins map.
//!
//! The binding files are the ones `tosim_netlist::library` checks
//! (`circuits/libraries/*.toml`, format in `docs/netlist.md`); that loader
//! proves every template computes its abstract function, this reader only
//! takes the template names and pin maps. Composed cells (`compose`) have no
//! single template and are refused here.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::SpiceError;

const SKY130_HD_TOML: &str = include_str!("../../../circuits/libraries/sky130_hd.toml");

#[derive(Deserialize)]
struct File {
    #[allow(dead_code)]
    name: String,
    source: Source,
    #[serde(default)]
    cells: BTreeMap<String, CellSpec>,
}

#[derive(Deserialize)]
struct Source {
    foundry: Option<String>,
    #[serde(default)]
    direct: bool,
}

#[derive(Deserialize)]
struct CellSpec {
    template: Option<String>,
    #[serde(default)]
    pins: BTreeMap<String, String>,
    #[serde(default)]
    compose: Vec<toml::Value>,
}

/// One abstract cell's template and pin map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Template subcircuit, e.g. `sky130_fd_sc_hd__fa_1`.
    pub subckt: String,
    /// Template pin → abstract pin (e.g. `CIN` → `CI`).
    pub pins: BTreeMap<String, String>,
}

/// Template names and pin maps of a foundry binding.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Binding file (for messages).
    pub file: String,
    /// Foundry library name (`sky130_fd_sc_hd`).
    pub foundry: String,
    /// Whether netlist types named like a template bind to it directly.
    pub direct: bool,
    /// Abstract cell name → template.
    pub cells: BTreeMap<String, Template>,
}

impl Binding {
    /// The built-in binding `sky130_hd` (embedded), or a binding file.
    pub fn named(name_or_path: &str) -> Result<Binding, SpiceError> {
        match name_or_path {
            "sky130_hd" | "sky130" => Self::parse(SKY130_HD_TOML, "circuits/libraries/sky130_hd.toml"),
            p => {
                let text = std::fs::read_to_string(p).map_err(|e| SpiceError::io(Path::new(p), e))?;
                Self::parse(&text, p)
            }
        }
    }

    /// Parses binding text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Binding, SpiceError> {
        let err = |msg: String| SpiceError::Binding { file: file.to_string(), msg };
        let f: File = toml::from_str(text)
            .map_err(|source| SpiceError::BindingSyntax { file: file.to_string(), source: Box::new(source) })?;
        let foundry = f
            .source
            .foundry
            .ok_or_else(|| err("a SPICE deck needs a foundry binding (`[source] foundry = …`)".into()))?;
        let mut cells = BTreeMap::new();
        for (name, c) in f.cells {
            if !c.compose.is_empty() {
                return Err(err(format!("cell `{name}` is composed of several templates; decks need one template")));
            }
            let subckt = c.template.ok_or_else(|| err(format!("cell `{name}` has no `template`")))?;
            cells.insert(name, Template { subckt, pins: c.pins });
        }
        Ok(Binding { file: file.to_string(), foundry, direct: f.source.direct, cells })
    }

    /// The template of a netlist cell type: its abstract binding, or (direct
    /// bindings) the template of the same name with identical pin names.
    pub fn template(&self, cell_type: &str, pins: &[String]) -> Option<Template> {
        if let Some(t) = self.cells.get(cell_type) {
            return Some(t.clone());
        }
        if self.direct && cell_type.starts_with(&format!("{}__", self.foundry)) {
            return Some(Template {
                subckt: cell_type.to_string(),
                pins: pins.iter().map(|p| (p.clone(), p.clone())).collect(),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sky130_binding_maps_full_adder_pins() {
        let b = Binding::named("sky130_hd").unwrap();
        assert_eq!(b.foundry, "sky130_fd_sc_hd");
        let fa = b.template("FA", &[]).unwrap();
        assert_eq!(fa.subckt, "sky130_fd_sc_hd__fa_1");
        assert_eq!(fa.pins.get("CIN").map(String::as_str), Some("CI"));
        assert_eq!(fa.pins.get("SUM").map(String::as_str), Some("S"));
        let direct = b.template("sky130_fd_sc_hd__nand2_1", &["A".into(), "B".into(), "Y".into()]).unwrap();
        assert_eq!(direct.pins.len(), 3);
        assert!(b.template("NOPE", &[]).is_none());
    }

    #[test]
    fn composed_and_foundryless_bindings_are_refused() {
        let e = Binding::parse("name='x'\n[source]\nspice=['a.sp']\n", "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("foundry"), "{e}");
        let text = "name='x'\n[source]\nfoundry='f'\n[cells.FA]\ncompose=[{template='t'}]\n";
        let e = Binding::parse(text, "y.toml").unwrap_err().to_string();
        assert!(e.contains("FA") && e.contains("composed"), "{e}");
    }
}

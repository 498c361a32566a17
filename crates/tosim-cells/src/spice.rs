//! SPICE subcircuit reader.
//!
//! Reads `.subckt NAME pins… [params]` … `.ends` blocks of MOSFETs written as
//! `M name d g s b model [w= l= …]` or, as extracted libraries such as SKY130
//! write them, `X name d g s b model w= l=` (an `X` card whose model matches a
//! MOSFET pattern). `+` continues a card, `*` starts a comment line and `$`
//! (after a blank) an inline comment; keywords are case-insensitive, and so are
//! node names (as in SPICE itself). Other elements — resistors, capacitors,
//! diodes, sources, subcircuit instances — are kept as [`Device`]s so that the
//! analysis can report the cell as unsupported instead of misreading it.
//!
//! Sizes are stored in µm. A value is read in metres (SPICE units, suffixes
//! `f p n u m k meg g t mil`), multiplied by the scale, and converted to µm.
//! The scale is [`Config::scale`] when set, else a `.option scale=…` card of the
//! file, else `1e-6` for SKY130 device models (`sky130_fd_pr__*`, whose cell
//! netlists are written for `.option scale=1.0u`: `w=650000u` is 0.65 µm) and
//! for files named `*.cdl` (CDL gives lengths in µm, `w=0.65`, unless it has a
//! `*.SCALE METER` line), else 1.

use std::fmt;
use std::path::Path;

use thiserror::Error;

/// Channel type of a MOSFET.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Polarity {
    /// n-channel.
    N,
    /// p-channel.
    P,
}

/// One MOSFET of a subcircuit. A card with `m=k` becomes `k` parallel
/// `Mosfet`s, named `NAME`, `NAME:2`, … `NAME:k`.
#[derive(Clone, Debug, PartialEq)]
pub struct Mosfet {
    /// Instance name (`M1`, `X12`).
    pub name: String,
    /// Drain node.
    pub drain: String,
    /// Gate node.
    pub gate: String,
    /// Source node.
    pub source: String,
    /// Bulk node.
    pub bulk: String,
    /// Model name.
    pub model: String,
    /// Channel type from the model name.
    pub polarity: Polarity,
    /// Width in µm, when given.
    pub w: Option<f64>,
    /// Length in µm, when given.
    pub l: Option<f64>,
    /// Source line (1-based).
    pub line: usize,
}

/// What kind of non-MOSFET element a [`Device`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeviceKind {
    /// `R…`, or an `X…` card whose model looks like a resistor (`*res*`).
    Resistor,
    /// `C…`, or an `X…` card whose model looks like a capacitor (`*cap*`).
    Capacitor,
    /// `D…`, or an `X…` card whose model looks like a diode (`*diode*`).
    Diode,
    /// `L…` inductors and `K…` couplings.
    Inductor,
    /// Independent or controlled sources (`V I E F G H B`).
    Source,
    /// Bipolar or junction transistors (`Q J`) and other semiconductor elements (`Z`).
    OtherSemiconductor,
    /// An `X…` instance of a subcircuit (hierarchical cell).
    Instance,
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DeviceKind::Resistor => "resistor",
            DeviceKind::Capacitor => "capacitor",
            DeviceKind::Diode => "diode",
            DeviceKind::Inductor => "inductor",
            DeviceKind::Source => "source",
            DeviceKind::OtherSemiconductor => "non-MOS semiconductor",
            DeviceKind::Instance => "subcircuit instance",
        })
    }
}

/// A non-MOSFET element of a subcircuit: kept so that the analysis can name it.
#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    /// Instance name (`R0`, `XD0`, `Xsky130_fd_sc_hd__inv_2_0`).
    pub name: String,
    /// What it is.
    pub kind: DeviceKind,
    /// Its nodes (positional tokens after the name, model excluded for `X` cards).
    pub nodes: Vec<String>,
    /// Model or subcircuit name, when the card has one.
    pub model: Option<String>,
    /// Source line (1-based).
    pub line: usize,
}

/// A parsed `.subckt`.
#[derive(Clone, Debug, PartialEq)]
pub struct Subckt {
    /// Name.
    pub name: String,
    /// Pins in order.
    pub pins: Vec<String>,
    /// Transistors.
    pub mosfets: Vec<Mosfet>,
    /// Every other element (resistors, capacitors, diodes, instances, …).
    pub devices: Vec<Device>,
    /// File name as given to the reader.
    pub file: String,
    /// Line of the `.subckt` card.
    pub line: usize,
}

/// Reader and analysis settings. Names and patterns are case-insensitive;
/// patterns may contain `*` wildcards.
#[derive(Clone, Debug)]
pub struct Config {
    /// Supply node names (logic 1). Defaults: `VDD VPWR VPB`, and the extra
    /// supplies of SKY130 low-power cells `KAPWR LOWLVPWR VPWRIN`.
    pub supply: Vec<String>,
    /// Ground node names (logic 0). Defaults: `VSS GND VGND VNB`.
    pub ground: Vec<String>,
    /// Model-name patterns of n-channel MOSFETs. Defaults: `*nmos*`, `*nfet*`
    /// (covers `sky130_fd_pr__nfet_*` and `sky130_fd_pr__special_nfet_*`), `nch*`.
    pub nmos_models: Vec<String>,
    /// Model-name patterns of p-channel MOSFETs. Defaults: `*pmos*`, `*pfet*`, `pch*`.
    pub pmos_models: Vec<String>,
    /// Model-name patterns of `X…` cards that are diodes. Default `*diode*`.
    pub diode_models: Vec<String>,
    /// Model-name patterns of `X…` cards that are resistors. Default `*res*`.
    pub resistor_models: Vec<String>,
    /// Model-name patterns of `X…` cards that are capacitors. Default `*cap*`.
    pub capacitor_models: Vec<String>,
    /// Geometry scale applied to `w=`/`l=` values (SPICE `.option scale`).
    /// `None`: the file's `.option scale`, else `1e-6` for `sky130_fd_pr__*`
    /// models and for `*.cdl` files, else 1.
    pub scale: Option<f64>,
    /// Pins that are inputs whatever the inference says (e.g. data inputs of
    /// pass-transistor cells that also touch a channel).
    pub inputs: Vec<String>,
    /// Pins that are outputs whatever the inference says.
    pub outputs: Vec<String>,
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

impl Default for Config {
    fn default() -> Self {
        Config {
            supply: strings(&["VDD", "VPWR", "VPB", "KAPWR", "LOWLVPWR", "VPWRIN"]),
            ground: strings(&["VSS", "GND", "VGND", "VNB"]),
            nmos_models: strings(&["*nmos*", "*nfet*", "nch*"]),
            pmos_models: strings(&["*pmos*", "*pfet*", "pch*"]),
            diode_models: strings(&["*diode*"]),
            resistor_models: strings(&["*res*"]),
            capacitor_models: strings(&["*cap*"]),
            scale: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
        }
    }
}

impl Config {
    /// Sets an explicit geometry scale (see [`Config::scale`]).
    pub fn with_scale(mut self, scale: f64) -> Self {
        self.scale = Some(scale);
        self
    }

    /// Adds a supply node name.
    pub fn with_supply(mut self, name: &str) -> Self {
        self.supply.push(name.to_string());
        self
    }

    /// Adds a ground node name.
    pub fn with_ground(mut self, name: &str) -> Self {
        self.ground.push(name.to_string());
        self
    }

    /// Forces pin `name` to be an input.
    pub fn with_input(mut self, name: &str) -> Self {
        self.inputs.push(name.to_string());
        self
    }

    /// Forces pin `name` to be an output.
    pub fn with_output(mut self, name: &str) -> Self {
        self.outputs.push(name.to_string());
        self
    }

    /// The channel type of a MOSFET model, or `None` when no pattern matches.
    /// n patterns are tried first.
    pub fn polarity(&self, model: &str) -> Option<Polarity> {
        if self.nmos_models.iter().any(|p| glob(p, model)) {
            Some(Polarity::N)
        } else if self.pmos_models.iter().any(|p| glob(p, model)) {
            Some(Polarity::P)
        } else {
            None
        }
    }

    /// Whether `node` is a supply node.
    pub fn is_supply(&self, node: &str) -> bool {
        self.supply.iter().any(|s| s.eq_ignore_ascii_case(node))
    }

    /// Whether `node` is a ground node (SPICE's global node `0` always is).
    pub fn is_ground(&self, node: &str) -> bool {
        node == "0" || self.ground.iter().any(|s| s.eq_ignore_ascii_case(node))
    }

    fn x_device_kind(&self, model: &str) -> DeviceKind {
        let any = |pats: &[String]| pats.iter().any(|p| glob(p, model));
        if any(&self.diode_models) {
            DeviceKind::Diode
        } else if any(&self.capacitor_models) {
            DeviceKind::Capacitor
        } else if any(&self.resistor_models) {
            DeviceKind::Resistor
        } else {
            DeviceKind::Instance
        }
    }
}

/// Case-insensitive match of `text` against `pat`, where `*` matches any run.
pub(crate) fn glob(pat: &str, text: &str) -> bool {
    let p: Vec<u8> = pat.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let t: Vec<u8> = text.bytes().map(|b| b.to_ascii_lowercase()).collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&b| b == b'*')
}

/// A SPICE reading error. Every variant names the file and the 1-based line.
#[derive(Debug, Error)]
pub enum SpiceError {
    /// The file could not be read.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// File.
        file: String,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{file}:{line}: not a text file: invalid UTF-8 at byte {byte}")]
    NotText {
        /// File.
        file: String,
        /// Line of the offending byte.
        line: usize,
        /// Byte offset in the file (0-based).
        byte: usize,
    },
    /// A control character (NUL, escape, …) that no SPICE text contains.
    #[error("{file}:{line}: not a text file: control byte 0x{value:02x} at column {column}")]
    ControlByte {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// Column (1-based, in characters).
        column: usize,
        /// The byte.
        value: u8,
    },
    /// No `.subckt` in the file.
    #[error("{file}:{line}: no .subckt found")]
    NoSubckt {
        /// File.
        file: String,
        /// Last line of the file (1 for an empty file).
        line: usize,
    },
    /// A `.subckt` without its `.ends`.
    #[error("{file}:{line}: .subckt {name} has no .ends (reached {reached})")]
    MissingEnds {
        /// File.
        file: String,
        /// Line of the `.subckt` card.
        line: usize,
        /// Subcircuit.
        name: String,
        /// What was found instead: `end of file` or `.end at line N`.
        reached: String,
    },
    /// A `.subckt` inside another.
    #[error("{file}:{line}: .subckt {name} inside .subckt {outer} (line {outer_line}); nested subcircuits are not supported")]
    Nested {
        /// File.
        file: String,
        /// Line of the inner `.subckt`.
        line: usize,
        /// Inner subcircuit.
        name: String,
        /// Enclosing subcircuit.
        outer: String,
        /// Line of the enclosing `.subckt`.
        outer_line: usize,
    },
    /// Two subcircuits with the same (case-insensitive) name.
    #[error("{file}:{line}: duplicate subcircuit {name} (first defined at line {first_line})")]
    Duplicate {
        /// File.
        file: String,
        /// Line of the second definition.
        line: usize,
        /// Name.
        name: String,
        /// Line of the first definition.
        first_line: usize,
    },
    /// An `M` card whose model matches neither the n nor the p patterns.
    #[error("{file}:{line}: {device}: unknown MOSFET model {model} (matches neither the n nor the p model patterns)")]
    UnknownModel {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// Instance name.
        device: String,
        /// Model name.
        model: String,
    },
    /// A MOSFET card with fewer than drain, gate, source, bulk and model.
    #[error("{file}:{line}: {device}: too few terminals ({found} of 4: drain gate source bulk, then the model)")]
    TooFewTerminals {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// Instance name.
        device: String,
        /// Terminals found.
        found: usize,
    },
    /// A number that does not parse.
    #[error("{file}:{line}: cannot read number {text:?} (parameter {param})")]
    BadNumber {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// Parameter name.
        param: String,
        /// The text.
        text: String,
    },
    /// Any other malformed card.
    #[error("{file}:{line}: {message}")]
    Syntax {
        /// File.
        file: String,
        /// Line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl SpiceError {
    /// The file the error is in.
    pub fn file(&self) -> &str {
        match self {
            SpiceError::Io { file, .. }
            | SpiceError::NotText { file, .. }
            | SpiceError::ControlByte { file, .. }
            | SpiceError::NoSubckt { file, .. }
            | SpiceError::MissingEnds { file, .. }
            | SpiceError::Nested { file, .. }
            | SpiceError::Duplicate { file, .. }
            | SpiceError::UnknownModel { file, .. }
            | SpiceError::TooFewTerminals { file, .. }
            | SpiceError::BadNumber { file, .. }
            | SpiceError::Syntax { file, .. } => file,
        }
    }

    /// The 1-based line of the error (`None` for I/O errors).
    pub fn line(&self) -> Option<usize> {
        match self {
            SpiceError::Io { .. } => None,
            SpiceError::NotText { line, .. }
            | SpiceError::ControlByte { line, .. }
            | SpiceError::NoSubckt { line, .. }
            | SpiceError::MissingEnds { line, .. }
            | SpiceError::Nested { line, .. }
            | SpiceError::Duplicate { line, .. }
            | SpiceError::UnknownModel { line, .. }
            | SpiceError::TooFewTerminals { line, .. }
            | SpiceError::BadNumber { line, .. }
            | SpiceError::Syntax { line, .. } => Some(*line),
        }
    }
}

/// Reads and parses a SPICE file; the path (as displayed) names it in errors.
pub fn read_spice_file(path: &Path, cfg: &Config) -> Result<Vec<Subckt>, SpiceError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| SpiceError::Io { file: file.clone(), source })?;
    parse_spice_bytes(&bytes, &file, cfg)
}

/// Parses raw bytes: rejects non-UTF-8 input with the line and byte offset of
/// the first bad byte, then parses as [`parse_spice`].
pub fn parse_spice_bytes(bytes: &[u8], file: &str, cfg: &Config) -> Result<Vec<Subckt>, SpiceError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => parse_spice(text, file, cfg),
        Err(e) => {
            let byte = e.valid_up_to();
            let line = 1 + bytes[..byte].iter().filter(|&&b| b == b'\n').count();
            Err(SpiceError::NotText { file: file.to_string(), line, byte })
        }
    }
}

/// One logical card: continuation lines joined, comments removed.
struct Card {
    line: usize,
    tokens: Vec<String>,
}

fn check_text(text: &str, file: &str) -> Result<(), SpiceError> {
    for (i, l) in text.split('\n').enumerate() {
        for (c, ch) in l.chars().enumerate() {
            let bad = (ch < ' ' && ch != '\t' && ch != '\r' && ch != '\x0c') || ch == '\x7f';
            if bad {
                return Err(SpiceError::ControlByte {
                    file: file.to_string(),
                    line: i + 1,
                    column: c + 1,
                    value: ch as u8,
                });
            }
        }
    }
    Ok(())
}

/// Splits the text into cards.
fn cards(text: &str) -> Vec<Card> {
    let mut out: Vec<Card> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let mut l = raw.trim_end_matches('\r');
        // Inline comment: `$` at the start or after a blank.
        if let Some(pos) = l.char_indices().find(|&(p, c)| c == '$' && (p == 0 || l[..p].ends_with([' ', '\t']))) {
            l = &l[..pos.0];
        }
        let t = l.trim_start();
        if t.is_empty() || t.starts_with('*') {
            continue;
        }
        if let Some(rest) = t.strip_prefix('+') {
            if let Some(last) = out.last_mut() {
                last.tokens.extend(tokenize(rest));
                continue;
            }
        }
        out.push(Card { line, tokens: tokenize(t) });
    }
    out.retain(|c| !c.tokens.is_empty());
    out
}

/// Splits on blanks and keeps `key = value` together as `key=value`.
fn tokenize(s: &str) -> Vec<String> {
    let raw: Vec<&str> =
        s.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ')').filter(|t| !t.is_empty()).collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        let t = raw[i];
        if t == "=" && !out.is_empty() && i + 1 < raw.len() {
            let last = out.pop().unwrap_or_default();
            out.push(format!("{last}={}", raw[i + 1]));
            i += 2;
        } else if t.ends_with('=') && i + 1 < raw.len() {
            out.push(format!("{t}{}", raw[i + 1]));
            i += 2;
        } else if t.starts_with('=') && !out.is_empty() {
            let last = out.pop().unwrap_or_default();
            out.push(format!("{last}{t}"));
            i += 1;
        } else {
            out.push(t.to_string());
            i += 1;
        }
    }
    out
}

/// Parses a SPICE number with scale suffix (`1e+06u`, `0.15u`, `10meg`, `2mil`).
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    let mantissa = &s[digits_start..i];
    if mantissa.is_empty() || mantissa == "." {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_digits = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_digits {
            i = j;
        }
    }
    let value: f64 = s[..i].parse().ok()?;
    let rest = s[i..].to_ascii_lowercase();
    if !rest.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let factor = if rest.starts_with("meg") {
        1e6
    } else if rest.starts_with("mil") {
        25.4e-6
    } else {
        match rest.chars().next() {
            None => 1.0,
            Some('t') => 1e12,
            Some('g') => 1e9,
            Some('k') => 1e3,
            Some('m') => 1e-3,
            Some('u') => 1e-6,
            Some('n') => 1e-9,
            Some('p') => 1e-12,
            Some('f') => 1e-15,
            Some('a') => 1e-18,
            // Other trailing letters are units (`1V`, `2s`), as in SPICE.
            Some(_) => 1.0,
        }
    };
    Some(value * factor)
}

/// Largest `m=` multiplier accepted on a MOSFET card.
const MAX_MULTIPLIER: f64 = 10_000.0;

struct Open {
    sub: Subckt,
    /// Raw sizes (value in SPICE units, before scale) per MOSFET.
    raw: Vec<(Option<f64>, Option<f64>)>,
}

/// Parses every subcircuit in `text`; `file` names the source in errors.
pub fn parse_spice(text: &str, file: &str, cfg: &Config) -> Result<Vec<Subckt>, SpiceError> {
    check_text(text, file)?;
    // CDL netlists give lengths in µm unless they say `*.SCALE METER`.
    let cdl = file.to_ascii_lowercase().ends_with(".cdl")
        && !text.lines().any(|l| {
            let l = l.trim_start().to_ascii_lowercase();
            l.starts_with("*.scale") && l.contains("meter")
        });
    let err_syntax = |line: usize, message: String| SpiceError::Syntax { file: file.to_string(), line, message };
    let mut done: Vec<Open> = Vec::new();
    let mut open: Option<Open> = None;
    let mut file_scale: Option<f64> = None;
    for card in cards(text) {
        let line = card.line;
        let first = card.tokens[0].to_ascii_lowercase();
        if first.starts_with('.') {
            match first.as_str() {
                ".subckt" => {
                    if let Some(o) = &open {
                        return Err(SpiceError::Nested {
                            file: file.to_string(),
                            line,
                            name: card.tokens.get(1).cloned().unwrap_or_default(),
                            outer: o.sub.name.clone(),
                            outer_line: o.sub.line,
                        });
                    }
                    let Some(name) = card.tokens.get(1).cloned() else {
                        return Err(err_syntax(line, ".subckt without a name".into()));
                    };
                    if let Some(prev) = done.iter().find(|d| d.sub.name.eq_ignore_ascii_case(&name)) {
                        return Err(SpiceError::Duplicate {
                            file: file.to_string(),
                            line,
                            name,
                            first_line: prev.sub.line,
                        });
                    }
                    let mut pins: Vec<String> = Vec::new();
                    for t in &card.tokens[2..] {
                        if t.contains('=') || t.eq_ignore_ascii_case("params:") {
                            break;
                        }
                        if pins.iter().any(|p| p.eq_ignore_ascii_case(t)) {
                            return Err(err_syntax(line, format!(".subckt {name}: pin {t} listed twice")));
                        }
                        pins.push(t.clone());
                    }
                    open = Some(Open {
                        sub: Subckt {
                            name,
                            pins,
                            mosfets: Vec::new(),
                            devices: Vec::new(),
                            file: file.to_string(),
                            line,
                        },
                        raw: Vec::new(),
                    });
                }
                ".ends" => {
                    let Some(o) = open.take() else {
                        return Err(err_syntax(line, ".ends without .subckt".into()));
                    };
                    if let Some(n) = card.tokens.get(1) {
                        if !n.eq_ignore_ascii_case(&o.sub.name) {
                            return Err(err_syntax(
                                line,
                                format!(".ends {n} closes .subckt {} (line {})", o.sub.name, o.sub.line),
                            ));
                        }
                    }
                    done.push(o);
                }
                ".end" => {
                    if let Some(o) = open.take() {
                        return Err(SpiceError::MissingEnds {
                            file: file.to_string(),
                            line: o.sub.line,
                            name: o.sub.name,
                            reached: format!(".end at line {line}"),
                        });
                    }
                    break;
                }
                ".option" | ".options" | ".opt" => {
                    for t in &card.tokens[1..] {
                        if let Some((k, v)) = t.split_once('=') {
                            if k.eq_ignore_ascii_case("scale") {
                                let s = parse_number(v).ok_or_else(|| SpiceError::BadNumber {
                                    file: file.to_string(),
                                    line,
                                    param: "scale".into(),
                                    text: v.to_string(),
                                })?;
                                file_scale = Some(s);
                            }
                        }
                    }
                }
                // `.param`, `.global`, `.include`, `.lib`, `.model` and the rest
                // do not change the transistor structure: ignored (no includes
                // are followed).
                _ => {}
            }
            continue;
        }
        let Some(o) = open.as_mut() else {
            // Elements outside any subcircuit are not cells: ignored.
            continue;
        };
        let name = card.tokens[0].clone();
        let positional: Vec<&String> = card.tokens[1..].iter().filter(|t| !t.contains('=')).collect();
        let params: Vec<(&str, &str)> = card.tokens[1..].iter().filter_map(|t| t.split_once('=')).collect();
        let kind = first.as_bytes()[0];
        let mos_model: Option<(&String, Vec<&String>)> = match kind {
            b'm' => {
                if positional.len() < 5 {
                    return Err(SpiceError::TooFewTerminals {
                        file: file.to_string(),
                        line,
                        device: name,
                        found: positional.len().saturating_sub(1),
                    });
                }
                if positional.len() > 5 {
                    return Err(err_syntax(
                        line,
                        format!("{name}: expected drain gate source bulk model, found {} fields", positional.len()),
                    ));
                }
                if cfg.polarity(positional[4]).is_none() {
                    return Err(SpiceError::UnknownModel {
                        file: file.to_string(),
                        line,
                        device: name,
                        model: positional[4].clone(),
                    });
                }
                Some((positional[4], positional[..4].to_vec()))
            }
            b'x' => {
                let Some((model, nodes)) = positional.split_last() else {
                    return Err(err_syntax(line, format!("{name}: instance without a model")));
                };
                if cfg.polarity(model).is_some() {
                    if nodes.len() < 4 {
                        return Err(SpiceError::TooFewTerminals {
                            file: file.to_string(),
                            line,
                            device: name,
                            found: nodes.len(),
                        });
                    }
                    if nodes.len() > 4 {
                        return Err(err_syntax(
                            line,
                            format!("{name}: MOSFET {model} with {} terminals (expected 4)", nodes.len()),
                        ));
                    }
                    Some((model, nodes.to_vec()))
                } else {
                    o.sub.devices.push(Device {
                        name: name.clone(),
                        kind: cfg.x_device_kind(model),
                        nodes: nodes.iter().map(|s| s.to_string()).collect(),
                        model: Some(model.to_string()),
                        line,
                    });
                    None
                }
            }
            _ => {
                let kind = match kind {
                    b'r' => DeviceKind::Resistor,
                    b'c' => DeviceKind::Capacitor,
                    b'd' => DeviceKind::Diode,
                    b'l' | b'k' => DeviceKind::Inductor,
                    b'v' | b'i' | b'e' | b'f' | b'g' | b'h' | b'b' => DeviceKind::Source,
                    b'q' | b'j' | b'z' => DeviceKind::OtherSemiconductor,
                    _ => return Err(err_syntax(line, format!("unknown element {name}"))),
                };
                o.sub.devices.push(Device {
                    name: name.clone(),
                    kind,
                    nodes: positional.iter().take(2).map(|s| s.to_string()).collect(),
                    model: None,
                    line,
                });
                None
            }
        };
        let Some((model, nodes)) = mos_model else { continue };
        let polarity = cfg.polarity(model).unwrap_or(Polarity::N);
        let mut w = None;
        let mut l = None;
        let mut mult = 1usize;
        for (k, v) in &params {
            if k.eq_ignore_ascii_case("m") {
                // `m=k`: k devices in parallel (CDL writes every multi-finger
                // device this way).
                let x = parse_number(v).filter(|x| x.fract() == 0.0 && (1.0..=MAX_MULTIPLIER).contains(x));
                let Some(x) = x else {
                    return Err(SpiceError::BadNumber {
                        file: file.to_string(),
                        line,
                        param: k.to_string(),
                        text: v.to_string(),
                    });
                };
                mult = x as usize;
                continue;
            }
            let slot = if k.eq_ignore_ascii_case("w") {
                &mut w
            } else if k.eq_ignore_ascii_case("l") {
                &mut l
            } else {
                continue;
            };
            let x = parse_number(v).ok_or_else(|| SpiceError::BadNumber {
                file: file.to_string(),
                line,
                param: k.to_string(),
                text: v.to_string(),
            })?;
            *slot = Some(x);
        }
        for k in 1..=mult {
            o.raw.push((w, l));
            o.sub.mosfets.push(Mosfet {
                name: if k == 1 { name.clone() } else { format!("{name}:{k}") },
                drain: nodes[0].clone(),
                gate: nodes[1].clone(),
                source: nodes[2].clone(),
                bulk: nodes[3].clone(),
                model: model.clone(),
                polarity,
                w: None,
                l: None,
                line,
            });
        }
    }
    if let Some(o) = open {
        return Err(SpiceError::MissingEnds {
            file: file.to_string(),
            line: o.sub.line,
            name: o.sub.name,
            reached: "end of file".into(),
        });
    }
    if done.is_empty() {
        let lines = text.lines().count().max(1);
        return Err(SpiceError::NoSubckt { file: file.to_string(), line: lines });
    }
    // Apply the geometry scale and convert metres to µm.
    Ok(done
        .into_iter()
        .map(|mut o| {
            for (m, (w, l)) in o.sub.mosfets.iter_mut().zip(o.raw) {
                let scale = cfg.scale.or(file_scale).unwrap_or_else(|| {
                    if cdl || m.model.to_ascii_lowercase().starts_with("sky130_fd_pr__") {
                        1e-6
                    } else {
                        1.0
                    }
                });
                m.w = w.map(|x| x * scale * 1e6);
                m.l = l.map(|x| x * scale * 1e6);
            }
            o.sub
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * b.abs().max(1.0)
    }

    #[test]
    fn numbers() {
        for (s, v) in [
            ("1", 1.0),
            ("0.15u", 0.15e-6),
            ("1e+06u", 1.0),
            ("650000u", 0.65),
            ("2.5e-3", 2.5e-3),
            ("10meg", 1e7),
            ("10MEG", 1e7),
            ("3m", 3e-3),
            ("1mil", 25.4e-6),
            ("4k", 4e3),
            ("5n", 5e-9),
            ("6p", 6e-12),
            ("7f", 7e-15),
            ("1g", 1e9),
            ("1t", 1e12),
            ("1uF", 1e-6),
            ("-2", -2.0),
            (".5u", 0.5e-6),
        ] {
            let got = parse_number(s).unwrap_or(f64::NAN);
            assert!(close(got, v), "{s}: {got} != {v}");
        }
        for s in ["", "u", "abc", "1.2.3", "{w}", "1u2"] {
            assert_eq!(parse_number(s), None, "{s}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob("*nfet*", "sky130_fd_pr__nfet_01v8"));
        assert!(glob("*nfet*", "sky130_fd_pr__special_nfet_01v8"));
        assert!(glob("*pfet*", "SKY130_FD_PR__PFET_01V8_HVT"));
        assert!(glob("nch*", "nch"));
        assert!(!glob("nch*", "pnch"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "axxbyy"));
    }

    #[test]
    fn reads_sky130_style_cards() {
        let text = "* comment\n\n.SUBCKT nand2 A B VGND VNB VPB VPWR Y\nX0 Y A VPWR VPB sky130_fd_pr__pfet_01v8_hvt w=1e+06u l=150000u\nX1 VPWR B Y VPB sky130_fd_pr__pfet_01v8_hvt\n+ w=1e+06u l=150000u $ inline\nX2 VGND B a_113_47# VNB sky130_fd_pr__nfet_01v8 w=650000u l=150000u\nX3 a_113_47# A Y VNB sky130_fd_pr__nfet_01v8 w=650000u l=150000u\n.Ends\n";
        let subs = parse_spice(text, "n.spice", &Config::default()).unwrap();
        assert_eq!(subs.len(), 1);
        let s = &subs[0];
        assert_eq!(s.pins, ["A", "B", "VGND", "VNB", "VPB", "VPWR", "Y"]);
        assert_eq!(s.mosfets.len(), 4);
        assert_eq!(s.line, 3);
        assert_eq!(s.mosfets[1].line, 5);
        assert_eq!(s.mosfets[1].polarity, Polarity::P);
        assert_eq!(s.mosfets[2].polarity, Polarity::N);
        // w=1e+06u with the implicit SKY130 scale 1e-6: 1e6 * 1e-6 m * 1e-6 = 1 µm.
        assert!(close(s.mosfets[1].w.unwrap(), 1.0));
        assert!(close(s.mosfets[2].w.unwrap(), 0.65));
        assert!(close(s.mosfets[2].l.unwrap(), 0.15));
    }

    #[test]
    fn scales() {
        let text =
            ".subckt inv a y vdd vss\nm1 y a vdd vdd pmos w=2u l=0.15u\nm2 y a vss vss nmos w = 1u l=150n\n.ends\n";
        let s = &parse_spice(text, "t", &Config::default()).unwrap()[0];
        assert!(close(s.mosfets[0].w.unwrap(), 2.0));
        assert!(close(s.mosfets[1].w.unwrap(), 1.0));
        assert!(close(s.mosfets[1].l.unwrap(), 0.15));
        let opt = format!(".option scale=1u\n{}", text.replace("2u", "2").replace("0.15u", "0.15"));
        let s = &parse_spice(&opt, "t", &Config::default()).unwrap()[0];
        assert!(close(s.mosfets[0].w.unwrap(), 2.0));
        assert!(close(s.mosfets[0].l.unwrap(), 0.15));
        let s = &parse_spice(text, "t", &Config::default().with_scale(0.5)).unwrap()[0];
        assert!(close(s.mosfets[0].w.unwrap(), 1.0));
        // CDL: plain numbers are µm.
        let cdl = ".SUBCKT inv A Y VPWR VGND\nMMP0 Y A VPWR VPWR pfet_01v8_hvt m=1 w=1.0 l=0.15 mult=1\n.ENDS inv\n";
        let s = &parse_spice(cdl, "inv.cdl", &Config::default()).unwrap()[0];
        assert!(close(s.mosfets[0].w.unwrap(), 1.0));
        assert!(close(s.mosfets[0].l.unwrap(), 0.15));
        let metres = format!("*.SCALE METER\n{}", cdl.replace("w=1.0", "w=1u").replace("l=0.15", "l=0.15u"));
        let s = &parse_spice(&metres, "inv.cdl", &Config::default()).unwrap()[0];
        assert!(close(s.mosfets[0].w.unwrap(), 1.0));
        // m=3: three parallel devices.
        let s = &parse_spice(&cdl.replace("m=1", "m=3"), "inv.cdl", &Config::default()).unwrap()[0];
        let names: Vec<&str> = s.mosfets.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["MMP0", "MMP0:2", "MMP0:3"]);
        for bad in ["m=0", "m=1.5", "m=x"] {
            let e = parse_spice(&cdl.replace("m=1", bad), "inv.cdl", &Config::default()).unwrap_err();
            assert!(matches!(e, SpiceError::BadNumber { line: 2, .. }), "{bad}: {e}");
        }
    }

    #[test]
    fn other_devices_are_kept() {
        let text = ".subckt c HI LO VGND VPWR\nR0 VGND LO sky130_fd_pr__res_generic_po w=480000u l=45000u\nXD0 VGND LO sky130_fd_pr__diode_pw2nd_05v5 perim=2.64e+06 area=4.347e+11\nXi a b inv_2\nC1 a b 1f\n.ends";
        let s = &parse_spice(text, "t", &Config::default()).unwrap()[0];
        let kinds: Vec<DeviceKind> = s.devices.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DeviceKind::Resistor, DeviceKind::Diode, DeviceKind::Instance, DeviceKind::Capacitor]);
        assert!(s.mosfets.is_empty());
    }

    fn err(text: &str) -> SpiceError {
        match parse_spice(text, "bad.sp", &Config::default()) {
            Ok(s) => panic!("expected an error, got {s:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn errors_name_file_and_line() {
        let e = err(".subckt a x y\nm1 x y 0 0 nmos\n");
        assert!(matches!(e, SpiceError::MissingEnds { line: 1, .. }), "{e}");
        let e = err(".subckt a x y\nm1 x y 0 0 bjt\n.ends");
        assert!(matches!(e, SpiceError::UnknownModel { line: 2, .. }), "{e}");
        let e = err(".subckt a x y\nm1 x y 0 nmos\n.ends");
        assert!(matches!(e, SpiceError::TooFewTerminals { line: 2, found: 3, .. }), "{e}");
        let e = err(".subckt a x y\nx1 x y nmos w=1u\n.ends");
        assert!(matches!(e, SpiceError::TooFewTerminals { line: 2, found: 2, .. }), "{e}");
        let e = err(".subckt a x\n.ends\n.subckt A y\n.ends");
        assert!(matches!(e, SpiceError::Duplicate { line: 3, first_line: 1, .. }), "{e}");
        let e = err("");
        assert!(matches!(e, SpiceError::NoSubckt { line: 1, .. }), "{e}");
        let e = err("* only a comment\n.end\n");
        assert!(matches!(e, SpiceError::NoSubckt { line: 2, .. }), "{e}");
        let e = err(".subckt a x\n.subckt b y\n.ends\n.ends");
        assert!(matches!(e, SpiceError::Nested { line: 2, outer_line: 1, .. }), "{e}");
        let e = err(".subckt a x y\nm1 x y 0 0 nmos w=1q2\n.ends");
        assert!(matches!(e, SpiceError::BadNumber { line: 2, .. }), "{e}");
        let e = err(".subckt a x y\nm1 x y 0 0 nmos\n\0\u{1}\n.ends");
        assert!(matches!(e, SpiceError::ControlByte { line: 3, column: 1, value: 0, .. }), "{e}");
        let e = err(".ends");
        assert!(matches!(e, SpiceError::Syntax { line: 1, .. }), "{e}");
        let e = err(".subckt a x y\n.end\n");
        assert!(matches!(e, SpiceError::MissingEnds { line: 1, .. }), "{e}");
        assert!(e.to_string().starts_with("bad.sp:1:"), "{e}");
        let e = parse_spice_bytes(b".subckt a\n\xff\xfe\n.ends", "bin.sp", &Config::default()).unwrap_err();
        assert!(matches!(e, SpiceError::NotText { line: 2, byte: 10, .. }), "{e}");
        assert_eq!(e.line(), Some(2));
        assert_eq!(e.file(), "bin.sp");
    }
}

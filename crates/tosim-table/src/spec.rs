//! Units by name: an integer unit of tosim-units or a floating-point unit of
//! [`tosim_units::float`], resolved from the names the command line uses
//! (kind, architecture, width, signedness, final adder, float format), and
//! the list of kinds `tosim units` prints.

use thiserror::Error;
use tosim_netlist::Netlist;
use tosim_units::float::{FloatError, FloatKind, FloatSpec, Format};
use tosim_units::{generate, port_widths, registry, Arch, Kind, UnitError, UnitSpec};

/// Why a unit could not be named or generated.
#[derive(Debug, Error)]
pub enum SpecError {
    /// The names do not describe a unit (unknown name, missing or extra parameter).
    #[error("{0}")]
    Invalid(String),
    /// The integer generator refused the spec.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// The float generator refused the spec.
    #[error(transparent)]
    Float(#[from] FloatError),
}

fn invalid(message: String) -> SpecError {
    SpecError::Invalid(message)
}

/// An integer unit of tosim-units or a floating-point unit of `tosim_units::float`.
#[derive(Clone, Copy, Debug)]
pub enum AnySpec {
    /// Integer unit.
    Int(UnitSpec),
    /// Floating-point unit.
    Float(FloatSpec),
}

impl AnySpec {
    /// The unit's netlist.
    pub fn generate(&self) -> Result<Netlist, SpecError> {
        Ok(match self {
            AnySpec::Int(s) => generate(s)?,
            AnySpec::Float(s) => tosim_units::float::generate(s)?,
        })
    }

    /// Input port widths.
    pub fn input_widths(&self) -> Vec<u32> {
        match self {
            AnySpec::Int(s) => port_widths(s).0,
            AnySpec::Float(s) => s.port_widths().0,
        }
    }
}

/// The inner architecture `--arch` names for a float kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatRole {
    /// The significand multiplier (`fmul`).
    Multiplier,
    /// The significand square root (`fsqrt`).
    Root,
    /// The adders (every other kind).
    Adder,
}

impl FloatRole {
    /// Stable name (`multiplier`, `root`, `adder`).
    pub fn name(self) -> &'static str {
        match self {
            FloatRole::Multiplier => "multiplier",
            FloatRole::Root => "root",
            FloatRole::Adder => "adder",
        }
    }

    /// The architecture of `spec` in this role.
    pub fn arch_of(self, spec: &FloatSpec) -> Arch {
        match self {
            FloatRole::Multiplier => spec.multiplier,
            FloatRole::Root => spec.root,
            FloatRole::Adder => spec.adder,
        }
    }
}

/// What `--arch` selects for float kind `k`, and the architectures it takes.
pub fn float_role(k: FloatKind) -> (FloatRole, Vec<Arch>) {
    match k {
        FloatKind::Mul => (FloatRole::Multiplier, vec![Arch::Array, Arch::Wallace, Arch::Dadda, Arch::Booth]),
        FloatKind::Sqrt => (FloatRole::Root, vec![Arch::Restoring, Arch::NonRestoring]),
        _ => (FloatRole::Adder, Arch::ADDERS.to_vec()),
    }
}

/// `spec` with `--arch` value `a` in the role of its kind.
pub fn float_with_arch(spec: FloatSpec, a: Arch) -> Result<FloatSpec, SpecError> {
    let (role, ok) = float_role(spec.kind);
    if !ok.contains(&a) {
        return Err(invalid(format!(
            "`{}` takes --arch {}, not `{}`",
            spec.kind,
            names(ok.iter().map(|a| a.name())),
            a.name()
        )));
    }
    Ok(match role {
        FloatRole::Multiplier => spec.with_multiplier(a),
        FloatRole::Root => spec.with_root(a),
        FloatRole::Adder => spec.with_adder(a),
    })
}

/// The float format called `s`, with the list of formats in the error.
pub fn float_format(s: &str) -> Result<Format, SpecError> {
    Format::from_name(s).ok_or_else(|| {
        invalid(format!("unknown float format `{s}`; formats: {}", names(Format::ALL.iter().map(|f| f.name()))))
    })
}

fn adder(s: &str) -> Result<Arch, SpecError> {
    Arch::from_name(s).filter(|a| a.is_adder()).ok_or_else(|| {
        invalid(format!("unknown adder `{s}`; adders: {}", names(Arch::ADDERS.iter().map(|a| a.name()))))
    })
}

/// The architecture called `s` (any kind).
pub fn arch(s: &str) -> Result<Arch, SpecError> {
    Arch::from_name(s).ok_or_else(|| invalid(format!("unknown architecture `{s}` (see `tosim units`)")))
}

/// The integer kind called `s`.
pub fn kind(s: &str) -> Result<Kind, SpecError> {
    Kind::from_name(s).ok_or_else(|| invalid(format!("unknown unit kind `{s}` (see `tosim units`)")))
}

/// `names` joined by `, `.
pub fn names<'a>(it: impl Iterator<Item = &'a str>) -> String {
    it.collect::<Vec<_>>().join(", ")
}

/// One unit by the names `tosim unit …` takes.
#[derive(Clone, Copy, Debug, Default)]
pub struct UnitRequest<'a> {
    /// Kind (integer or float).
    pub kind: &'a str,
    /// Architecture; float kinds: of the multiplier, root or adders (see [`float_role`]).
    pub arch: Option<&'a str>,
    /// Operand width (integer kinds; `itof`/`ftoi`: the integer width).
    pub width: Option<u32>,
    /// Two's-complement operands.
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots (float: every adder).
    pub final_adder: Option<&'a str>,
    /// Float format of float kinds (default binary32).
    pub format: Option<&'a str>,
}

impl UnitRequest<'_> {
    /// The integer or float spec these names describe.
    pub fn resolve(&self) -> Result<AnySpec, SpecError> {
        if let Some(k) = FloatKind::from_name(self.kind) {
            return self.resolve_float(k).map(AnySpec::Float);
        }
        let kind = Kind::from_name(self.kind).ok_or_else(|| {
            let all = Kind::ALL.iter().map(|k| k.name()).chain(FloatKind::ALL.iter().map(|k| k.name()));
            invalid(format!("unknown kind `{}`; kinds: {}", self.kind, names(all)))
        })?;
        if let Some(f) = self.format {
            return Err(invalid(format!(
                "--format `{f}` applies to float kinds (fadd, fmul, ...); `{kind}` is an integer unit"
            )));
        }
        let archs: Vec<&str> = registry().iter().filter(|i| i.kind == kind).map(|i| i.arch.name()).collect();
        let Some(arch) = self.arch else {
            return Err(invalid(format!("`{kind}` needs --arch; it has: {}", archs.join(", "))));
        };
        let arch = Arch::from_name(arch)
            .ok_or_else(|| invalid(format!("unknown architecture `{arch}`; `{kind}` has: {}", archs.join(", "))))?;
        let Some(width) = self.width else { return Err(invalid(format!("`{kind}` needs --width"))) };
        let mut spec = UnitSpec::new(kind, arch, width).signed(self.signed);
        if let Some(f) = self.final_adder {
            spec = spec.with_final_adder(adder(f)?);
        }
        spec.check()?;
        Ok(AnySpec::Int(spec))
    }

    fn resolve_float(&self, k: FloatKind) -> Result<FloatSpec, SpecError> {
        let mut spec = FloatSpec::new(k, self.format.map_or(Ok(Format::Binary32), float_format)?);
        if let Some(w) = self.width {
            if !k.is_conversion() {
                return Err(invalid(format!(
                    "--width applies to integer kinds and to itof/ftoi; `{k}` takes its width from --format"
                )));
            }
            spec = spec.with_int_width(w);
        }
        if self.signed && !k.is_conversion() {
            return Err(invalid(format!("--signed does not apply to `{k}` (float operands carry their sign)")));
        }
        if let Some(a) = self.arch {
            let a = Arch::from_name(a).ok_or_else(|| {
                let ok = float_role(k).1;
                invalid(format!("unknown architecture `{a}`; `{k}` takes: {}", names(ok.iter().map(|a| a.name()))))
            })?;
            spec = float_with_arch(spec, a)?;
        }
        if let Some(f) = self.final_adder {
            let f = adder(f)?;
            if float_role(k).0 == FloatRole::Adder && self.arch.is_some() && spec.adder != f {
                return Err(invalid(format!(
                    "`{k}`: --arch already names the adder ({}), --final-adder says {}",
                    spec.adder, f
                )));
            }
            spec = spec.with_adder(f);
        }
        spec.check()?;
        Ok(spec)
    }
}

/// The units `tosim compare` runs: one per architecture of a kind.
#[derive(Clone, Debug, Default)]
pub struct ArchSweep<'a> {
    /// Kind (integer or float).
    pub kind: &'a str,
    /// Operand width (integer kinds; `itof`/`ftoi`: the integer width).
    pub width: Option<u32>,
    /// Float format of float kinds (default binary32).
    pub format: Option<&'a str>,
    /// The architectures (float kinds: of the multiplier, root or adders);
    /// `None`: all of them.
    pub archs: Option<Vec<&'a str>>,
    /// Signed operands (integer kinds).
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots (float: every adder).
    pub final_adder: Option<&'a str>,
}

impl ArchSweep<'_> {
    /// The units, each with the name of its architecture.
    pub fn specs(&self) -> Result<Vec<(String, AnySpec)>, SpecError> {
        if let Some(fk) = FloatKind::from_name(self.kind) {
            let mut base = FloatSpec::new(fk, float_format(self.format.unwrap_or("binary32"))?);
            if let Some(w) = self.width {
                if !fk.is_conversion() {
                    return Err(invalid(format!(
                        "--width applies to integer kinds and to itof/ftoi; `{fk}` takes its width from --format"
                    )));
                }
                base = base.with_int_width(w);
            }
            if self.signed {
                return Err(invalid("--signed does not apply to float kinds".into()));
            }
            let archs = match &self.archs {
                None => float_role(fk).1,
                Some(list) => list.iter().map(|s| arch(s.trim())).collect::<Result<_, _>>()?,
            };
            let mut v = Vec::new();
            for ar in archs {
                let mut sp = float_with_arch(base, ar)?;
                if let Some(f) = self.final_adder {
                    sp = sp.with_adder(arch(f)?);
                }
                sp.check()?;
                v.push((ar.name().to_string(), AnySpec::Float(sp)));
            }
            return Ok(v);
        }
        if self.format.is_some() {
            return Err(invalid("--format applies to float kinds".into()));
        }
        let k = kind(self.kind)?;
        let Some(width) = self.width else { return Err(invalid(format!("`{k}` needs --width"))) };
        let archs: Vec<Arch> = match &self.archs {
            None => {
                let v: Vec<Arch> = registry().iter().filter(|i| i.kind == k).map(|i| i.arch).collect();
                if v.is_empty() {
                    return Err(invalid(format!("no architectures for `{k}`")));
                }
                v
            }
            Some(list) => list.iter().map(|s| arch(s.trim())).collect::<Result<_, _>>()?,
        };
        let mut v = Vec::new();
        for ar in archs {
            let mut sp = UnitSpec::new(k, ar, width).signed(self.signed);
            if let Some(f) = self.final_adder {
                sp = sp.with_final_adder(arch(f)?);
            }
            v.push((ar.name().to_string(), AnySpec::Int(sp)));
        }
        Ok(v)
    }
}

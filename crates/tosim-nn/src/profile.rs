//! Hardware profiles: which unit architecture serves each operation, per number
//! format, and which cell library binds the units (`circuits/profiles/*.toml`).

use std::path::{Path, PathBuf};

use serde::Deserialize;
use tosim_units::Arch;

use crate::error::{NnError, Result};
use crate::quant::IntFormat;

/// The default profile, embedded (`circuits/profiles/default.toml`).
pub const DEFAULT_PROFILE: &str = include_str!("../../../circuits/profiles/default.toml");

/// How ReLU is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReluUnit {
    /// `max(a, 0)` on the comparator-and-selector (`max`) unit.
    Max,
    /// The AND mask `y_i = a_i ∧ ¬a_(n−1)`.
    Mask,
}

/// The units serving one number format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatUnits {
    /// Multiplier architecture (MAC and requantisation multipliers; signed).
    pub multiply: Arch,
    /// The multiplier's final carry-propagate adder.
    pub multiply_final_adder: Option<Arch>,
    /// Accumulator (and rounding) adder architecture.
    pub accumulate: Arch,
    /// Adder architecture inside the comparator-and-selector (`max`) units: ReLU and clamps.
    pub compare: Arch,
    /// ReLU implementation.
    pub relu: ReluUnit,
    /// Divider architecture (`restoring` or `non-restoring`; unsigned): the
    /// divisions of sigmoid, tanh and softmax micro-programs.
    pub divide: Arch,
    /// Square-root architecture (`restoring` or `non-restoring`).
    pub sqrt: Arch,
}

/// The inner architectures of the floating-point units (`[float]` table;
/// every key optional): fp32, fp16 and bf16 networks use them for every float
/// unit (MAC, bias, batch norm, activations, softmax).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FloatUnits {
    /// Every carry-propagate adder inside the float units (default Kogge-Stone).
    pub adder: Arch,
    /// The significand multiplier of `fmul` (default Dadda).
    pub multiply: Arch,
    /// The significand square root of `fsqrt` (default non-restoring).
    pub root: Arch,
}

impl Default for FloatUnits {
    fn default() -> Self {
        FloatUnits { adder: Arch::KoggeStone, multiply: Arch::Dadda, root: Arch::NonRestoring }
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct FloatToml {
    adder: Option<String>,
    multiply: Option<String>,
    root: Option<String>,
}

/// A hardware profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Profile name.
    pub name: String,
    /// The file it came from (`None` for the embedded default).
    pub path: Option<PathBuf>,
    /// Cell library binding: `textbook`, `sky130_hd` or a binding file path.
    pub binding: String,
    /// Units for int8.
    pub int8: FormatUnits,
    /// Units for int16.
    pub int16: FormatUnits,
    /// Floating-point unit architectures.
    pub float: FloatUnits,
}

#[derive(Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
struct UnitsToml {
    multiply: Option<String>,
    multiply_final_adder: Option<String>,
    accumulate: Option<String>,
    compare: Option<String>,
    relu: Option<String>,
    divide: Option<String>,
    sqrt: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileToml {
    name: String,
    binding: String,
    units: UnitsToml,
    int8: Option<UnitsToml>,
    int16: Option<UnitsToml>,
    float: Option<FloatToml>,
}

impl Profile {
    /// The embedded default profile.
    pub fn default_profile() -> Result<Profile> {
        Profile::parse(DEFAULT_PROFILE, Path::new("circuits/profiles/default.toml"), None)
    }

    /// Reads a profile file.
    pub fn load(path: &Path) -> Result<Profile> {
        let text = std::fs::read_to_string(path).map_err(|source| NnError::Io { path: path.to_path_buf(), source })?;
        Profile::parse(&text, path, Some(path.to_path_buf()))
    }

    /// Parses a profile; `path` names it in errors.
    pub fn parse(text: &str, path: &Path, file: Option<PathBuf>) -> Result<Profile> {
        let bad = |what: String| NnError::BadProfile { path: path.to_path_buf(), what };
        let t: ProfileToml =
            toml::from_str(text).map_err(|e| NnError::ProfileToml { path: path.to_path_buf(), source: Box::new(e) })?;
        let merged = |o: &Option<UnitsToml>| -> Result<FormatUnits> {
            let o = o.clone().unwrap_or_default();
            let pick = |a: &Option<String>, b: &Option<String>| a.clone().or_else(|| b.clone());
            let arch = |key: &str, v: Option<String>, adder: bool| -> Result<Arch> {
                let v = v.ok_or_else(|| bad(format!("`{key}` is not set")))?;
                let a = Arch::from_name(&v).ok_or_else(|| bad(format!("`{key}`: unknown architecture {v:?}")))?;
                if adder && !a.is_adder() {
                    return Err(bad(format!("`{key}`: {v:?} is not an adder architecture")));
                }
                Ok(a)
            };
            let div_arch = |key: &str, v: Option<String>| -> Result<Arch> {
                let a = arch(key, v, false)?;
                if a != Arch::Restoring && a != Arch::NonRestoring {
                    return Err(bad(format!("`{key}`: {:?} is neither \"restoring\" nor \"non-restoring\"", a.name())));
                }
                Ok(a)
            };
            let u = &t.units;
            Ok(FormatUnits {
                multiply: arch("multiply", pick(&o.multiply, &u.multiply), false)?,
                multiply_final_adder: match pick(&o.multiply_final_adder, &u.multiply_final_adder) {
                    None => None,
                    v => Some(arch("multiply_final_adder", v, true)?),
                },
                accumulate: arch("accumulate", pick(&o.accumulate, &u.accumulate), true)?,
                compare: arch("compare", pick(&o.compare, &u.compare), true)?,
                divide: match pick(&o.divide, &u.divide) {
                    None => Arch::Restoring,
                    v => div_arch("divide", v)?,
                },
                sqrt: match pick(&o.sqrt, &u.sqrt) {
                    None => Arch::Restoring,
                    v => div_arch("sqrt", v)?,
                },
                relu: match pick(&o.relu, &u.relu).as_deref() {
                    None | Some("max") => ReluUnit::Max,
                    Some("mask") => ReluUnit::Mask,
                    Some(v) => return Err(bad(format!("`relu`: {v:?} is neither \"max\" nor \"mask\""))),
                },
            })
        };
        let fl = t.float.clone().unwrap_or_default();
        let d = FloatUnits::default();
        let float_arch = |key: &str, v: &Option<String>, default: Arch, ok: &[Arch]| -> Result<Arch> {
            let Some(v) = v else { return Ok(default) };
            match Arch::from_name(v) {
                Some(a) if ok.contains(&a) => Ok(a),
                _ => Err(bad(format!(
                    "`float.{key}`: {v:?} is not one of {:?}",
                    ok.iter().map(|a| a.name()).collect::<Vec<_>>()
                ))),
            }
        };
        let float = FloatUnits {
            adder: float_arch("adder", &fl.adder, d.adder, Arch::ADDERS)?,
            multiply: float_arch(
                "multiply",
                &fl.multiply,
                d.multiply,
                &[Arch::Array, Arch::Wallace, Arch::Dadda, Arch::Booth],
            )?,
            root: float_arch("root", &fl.root, d.root, &[Arch::Restoring, Arch::NonRestoring])?,
        };
        Ok(Profile {
            float,
            name: t.name.clone(),
            path: file,
            binding: t.binding.clone(),
            int8: merged(&t.int8)?,
            int16: merged(&t.int16)?,
        })
    }

    /// The units of a format (fixed-point formats use their width's: int8's or int16's).
    pub fn units(&self, f: IntFormat) -> &FormatUnits {
        match f {
            f if f.bits() == 8 => &self.int8,
            _ => &self.int16,
        }
    }
}

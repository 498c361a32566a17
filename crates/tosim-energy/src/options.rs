//! Typed settings: the deck around a unit, its operands, the circuits.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use tosim_netlist::Netlist;
use tosim_sim::{Generated, Recorded, Stream};
use tosim_spice::{DeckOptions, InputDriver, OutputLoad};
use tosim_units::{Arch, Kind, UnitSpec};

use crate::{EnergyError, ParseError};

/// Period per operation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Period {
    /// 1 ns + 0.25 ns per cell level of the unit.
    Auto,
    /// A fixed period in ns.
    Ns(f64),
}

impl Period {
    /// The period of `n` in ns.
    pub fn ns(self, n: &Netlist) -> f64 {
        match self {
            Period::Auto => 1.0 + 0.25 * f64::from(n.depth()),
            Period::Ns(ns) => ns,
        }
    }
}

impl FromStr for Period {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Period, ParseError> {
        match s {
            "auto" => Ok(Period::Auto),
            s => s.parse::<f64>().map(Period::Ns).map_err(|_| ParseError::Period(s.to_string())),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Auto => f.write_str("auto"),
            Period::Ns(ns) => write!(f, "{ns}"),
        }
    }
}

/// How the unit's inputs are driven in the deck.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// inv_1 → inv_2 per input bit, their supply counted.
    Cells,
    /// Voltage sources on the inputs.
    Ideal,
}

impl Driver {
    /// `cells` or `ideal`.
    pub fn name(self) -> &'static str {
        match self {
            Driver::Cells => "cells",
            Driver::Ideal => "ideal",
        }
    }
}

impl FromStr for Driver {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Driver, ParseError> {
        match s {
            "cells" => Ok(Driver::Cells),
            "ideal" => Ok(Driver::Ideal),
            d => Err(ParseError::Driver(d.to_string())),
        }
    }
}

impl fmt::Display for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What each output bit drives in the deck.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Load {
    /// An inv_1 per output bit (its own supply not counted).
    Inverter,
    /// A capacitance per output bit, in fF.
    Cap(f64),
}

impl FromStr for Load {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Load, ParseError> {
        match s {
            "inv" => Ok(Load::Inverter),
            s => s.parse::<f64>().map(Load::Cap).map_err(|_| ParseError::Load(s.to_string())),
        }
    }
}

impl fmt::Display for Load {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Load::Inverter => f.write_str("inv"),
            Load::Cap(ff) => write!(f, "{ff}"),
        }
    }
}

/// Deck settings shared by export and validation.
#[derive(Clone, Debug)]
pub struct DeckSettings {
    /// Library binding with a foundry source (built-in `sky130_hd`, or a binding file).
    pub library: String,
    /// The `sky130_fd_sc_hd` folder (else $TOSIM_SKY130_HD, else the cache of circuits/pdk/fetch_sky130.sh).
    pub cells: Option<PathBuf>,
    /// Period per operation.
    pub period: Period,
    /// Stimulus ramp in ps.
    pub slew_ps: f64,
    /// Supply voltage.
    pub vdd: f64,
    /// Input drivers.
    pub driver: Driver,
    /// Output loads.
    pub load: Load,
    /// Output samples (and maximum ngspice steps) per period.
    pub samples: u32,
}

impl DeckSettings {
    /// The deck options for unit `n` (SI units).
    pub fn deck_options(&self, n: &Netlist) -> DeckOptions {
        let driver = match self.driver {
            Driver::Cells => InputDriver::Cells,
            Driver::Ideal => InputDriver::Ideal,
        };
        let load = match self.load {
            Load::Inverter => OutputLoad::Inverter,
            Load::Cap(ff) => OutputLoad::Cap(ff * 1e-15),
        };
        DeckOptions {
            vdd: self.vdd,
            period: self.period.ns(n) * 1e-9,
            slew: self.slew_ps * 1e-12,
            samples: self.samples,
            driver,
            load,
        }
    }
}

/// Operands: a file or a generated uniform stream.
#[derive(Clone, Debug)]
pub struct Operands {
    /// Operations file (one per line, operands in input-port order); else a uniform random stream.
    pub stream: Option<PathBuf>,
    /// Operations of the random stream.
    pub count: u64,
    /// Seed of the random stream.
    pub seed: u64,
}

impl Operands {
    /// The operations (operation-major) for `n`'s input buses.
    pub fn operations(&self, n: &Netlist) -> Result<Vec<u128>, EnergyError> {
        let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
        if let Some(&width) = widths.iter().find(|&&w| w > 128) {
            return Err(EnergyError::WideBus { width });
        }
        let s: Box<dyn Stream> = match &self.stream {
            Some(p) => Box::new(Recorded::read(p, &widths)?),
            None => {
                let g = Generated::uniform(&widths, self.count, self.seed);
                g.validate()?;
                Box::new(g)
            }
        };
        let mut v = vec![0u128; s.len() as usize * s.operands()];
        s.fill(0, &mut v);
        Ok(v)
    }
}

/// A circuit to validate: `kind:arch:width[@count]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Circuit {
    /// The unit.
    pub spec: UnitSpec,
    /// Operations for this circuit (a prefix of the same seeded stream); else the common count.
    pub count: Option<u64>,
}

impl FromStr for Circuit {
    type Err = ParseError;
    fn from_str(text: &str) -> Result<Circuit, ParseError> {
        let (s, count) = match text.split_once('@') {
            Some((c, n)) => {
                (c, Some(n.parse::<u64>().map_err(|_| ParseError::Count { circuit: text.into(), count: n.into() })?))
            }
            None => (text, None),
        };
        let parts: Vec<&str> = s.split(':').collect();
        let [k, ar, w] = parts[..] else { return Err(ParseError::Shape(s.into())) };
        let kind = Kind::from_name(k).ok_or_else(|| ParseError::Kind { circuit: s.into(), kind: k.into() })?;
        let arch = Arch::from_name(ar).ok_or_else(|| ParseError::Arch { circuit: s.into(), arch: ar.into() })?;
        let width: u32 = w.parse().map_err(|_| ParseError::Width { circuit: s.into(), width: w.into() })?;
        let spec = UnitSpec::new(kind, arch, width);
        spec.check().map_err(|source| ParseError::Unit { circuit: s.into(), source: Box::new(source) })?;
        Ok(Circuit { spec, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_print_back() {
        assert_eq!("auto".parse::<Period>().unwrap(), Period::Auto);
        assert_eq!("2.5".parse::<Period>().unwrap().to_string(), "2.5");
        assert!("fast".parse::<Period>().is_err());
        assert_eq!("inv".parse::<Load>().unwrap().to_string(), "inv");
        assert_eq!("3".parse::<Load>().unwrap(), Load::Cap(3.0));
        assert!("big".parse::<Load>().is_err());
        assert_eq!("ideal".parse::<Driver>().unwrap(), Driver::Ideal);
        assert!("strong".parse::<Driver>().is_err());
    }

    #[test]
    fn circuits_parse() {
        let c: Circuit = "mul:array:8@60".parse().unwrap();
        assert_eq!((c.spec.kind, c.spec.arch, c.spec.width, c.count), (Kind::Mul, Arch::Array, 8, Some(60)));
        assert_eq!("add:ripple:4".parse::<Circuit>().unwrap().count, None);
        for bad in ["add:ripple", "add:ripple:x", "nope:ripple:8", "add:nope:8", "add:ripple:8@n", "add:ripple:0"] {
            assert!(bad.parse::<Circuit>().is_err(), "{bad}");
        }
    }
}

//! The ngspice deck of a netlist bound to foundry cells, driven by an
//! operand stream one operation per period.
//!
//! Layout of a deck folder (written by [`Deck::write`]):
//!
//! | file | holds |
//! |---|---|
//! | `deck.sp` | supplies, stimulus, input drivers, the unit's cell instances, output loads, and a `.control` block that runs `tran` and writes the two result files |
//! | `cells.sp` | every template subcircuit used, copied from the PDK's `cells/<cell>/<subckt>.spice` |
//! | `models.sp` | the device model preamble ([`crate::Pdk::models_text`]) |
//! | `.spiceinit` | [`crate::pdk::SPICEINIT`] |
//! | `currents.txt` (after the run) | `time` and the current of every supply at every time point ngspice took |
//! | `outputs.txt` (after the run) | the output nodes' voltages on a uniform grid of `period / samples` |
//!
//! Timing: period 0 (`[0, T)`) holds the initial operands (the state before
//! the first operation; the DC operating point at `t = 0` settles it);
//! operation `j` is applied at `t = (j+1)·T` with a ramp of `slew` and its
//! period ends at `(j+2)·T`. Supplies: `Vpwr` (the unit's cells' `VPWR`),
//! `Vpb` (their n-well `VPB`), `Vdrv` (input drivers' `VPWR` and `VPB`) and
//! `Vld` (output loads, not counted); `VGND`/`VNB` are node 0.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use tosim_netlist::{NetId, Netlist, CONST0, CONST1};

use crate::{Binding, Pdk, SpiceError};

/// How the unit's inputs are driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputDriver {
    /// The stimulus source drives the input net directly (no driver energy).
    Ideal,
    /// Stimulus → `inv_1` → `inv_2` of the library, on the `Vdrv` supply: real
    /// slopes, and the energy of charging the unit's inputs is measured.
    Cells,
}

/// What each output bit drives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutputLoad {
    /// A capacitor to ground (farads).
    Cap(f64),
    /// An `inv_1` of the library on the uncounted `Vld` supply (its input
    /// capacitance is the load; its own switching is not counted).
    Inverter,
}

/// Deck settings.
#[derive(Clone, Copy, Debug)]
pub struct DeckOptions {
    /// Supply voltage (V).
    pub vdd: f64,
    /// Period per operation (s).
    pub period: f64,
    /// Ramp time of the stimulus sources (s).
    pub slew: f64,
    /// Output samples per period on the uniform grid (the sample of an
    /// operation is the last grid point before the next one starts); also the
    /// `tran` step, so ngspice's largest internal step is `period / samples`.
    pub samples: u32,
    /// Input drivers.
    pub driver: InputDriver,
    /// Output loads.
    pub load: OutputLoad,
}

impl Default for DeckOptions {
    fn default() -> Self {
        DeckOptions {
            vdd: 1.8,
            period: 4e-9,
            slew: 100e-12,
            samples: 8,
            driver: InputDriver::Cells,
            load: OutputLoad::Inverter,
        }
    }
}

/// A supply source of the deck.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Supply {
    /// Source name as ngspice knows it (lower case), e.g. `vpwr`.
    pub name: String,
    /// Whether its energy counts toward the operation's energy.
    pub counted: bool,
}

/// Where an output bit is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe {
    /// A node voltage.
    Node(String),
    /// A constant output (tied to a rail in the netlist).
    Const(bool),
}

/// A generated deck (text) and what the result parser needs to know.
#[derive(Clone, Debug)]
pub struct Deck {
    /// `deck.sp`.
    pub text: String,
    /// `cells.sp`.
    pub cells: String,
    /// `models.sp`.
    pub models: String,
    /// Operations (periods after the initial one).
    pub ops: usize,
    /// Settings used.
    pub options: DeckOptions,
    /// Supplies, in the column order of `currents.txt`.
    pub supplies: Vec<Supply>,
    /// Per output bus, per bit (LSB first): where it is read.
    pub outputs: Vec<Vec<Probe>>,
    /// Distinct probed nodes, in the column order of `outputs.txt`.
    pub probes: Vec<String>,
    /// MOSFETs in the unit's cell instances (from the template netlists).
    pub transistors: u64,
}

struct Sub {
    pins: Vec<String>,
    text: String,
    mosfets: u64,
}

fn read_subckt(pdk: &Pdk, name: &str) -> Result<Sub, SpiceError> {
    let path = pdk.template_file(name);
    let text = std::fs::read_to_string(&path).map_err(|e| SpiceError::io(&path, e))?;
    // Join continuation lines, keep the block from `.subckt name` to `.ends`.
    let mut lines: Vec<String> = Vec::new();
    for l in text.lines() {
        match (l.strip_prefix('+'), lines.last_mut()) {
            (Some(rest), Some(last)) => {
                last.push(' ');
                last.push_str(rest);
            }
            _ => lines.push(l.to_string()),
        }
    }
    let start = lines.iter().position(|l| {
        let mut w = l.split_whitespace();
        w.next().is_some_and(|k| k.eq_ignore_ascii_case(".subckt"))
            && w.next().is_some_and(|n| n.eq_ignore_ascii_case(name))
    });
    let Some(start) = start else {
        return Err(SpiceError::Template { file: path.display().to_string(), template: name.to_string() });
    };
    let end = lines[start..]
        .iter()
        .position(|l| l.split_whitespace().next().is_some_and(|k| k.eq_ignore_ascii_case(".ends")))
        .map_or(lines.len(), |e| start + e + 1);
    let pins = lines[start].split_whitespace().skip(2).take_while(|p| !p.contains('=')).map(str::to_string).collect();
    let body = &lines[start..end];
    let mosfets = body
        .iter()
        .filter(|l| {
            let first = l.chars().next().unwrap_or(' ').to_ascii_uppercase();
            (first == 'M' || first == 'X') && l.contains("fet")
        })
        .count() as u64;
    Ok(Sub { pins, text: body.join("\n") + "\n", mosfets })
}

/// Supply node of a supply pin for a cell powered from `rail`.
fn supply_node(pin: &str, rail: &str, well: &str) -> Option<String> {
    match pin.to_ascii_uppercase().as_str() {
        "VPWR" => Some(rail.to_string()),
        "VPB" => Some(well.to_string()),
        "VGND" | "VNB" => Some("0".to_string()),
        _ => None,
    }
}

fn num(x: f64) -> String {
    format!("{x:.6e}")
}

struct Writer<'a> {
    pdk: &'a Pdk,
    subs: BTreeMap<String, Sub>,
}

impl Writer<'_> {
    fn sub(&mut self, name: &str) -> Result<&Sub, SpiceError> {
        if !self.subs.contains_key(name) {
            let s = read_subckt(self.pdk, name)?;
            self.subs.insert(name.to_string(), s);
        }
        Ok(&self.subs[name])
    }

    /// `X<inst> <nodes> <subckt>` for a one-input, one-output cell (`A`, `Y`).
    fn inverter(&mut self, inst: &str, subckt: &str, a: &str, y: &str, rail: &str) -> Result<String, SpiceError> {
        let file = self.pdk.template_file(subckt).display().to_string();
        let sub = self.sub(subckt)?;
        let mut line = format!("X{inst}");
        for p in &sub.pins {
            let node = match p.to_ascii_uppercase().as_str() {
                "A" => a.to_string(),
                "Y" => y.to_string(),
                _ => supply_node(p, rail, rail).ok_or_else(|| SpiceError::Pin {
                    file: file.clone(),
                    template: subckt.to_string(),
                    pin: p.clone(),
                    msg: "an inverter for drivers and loads has pins A, Y and supplies".into(),
                })?,
            };
            line.push(' ');
            line.push_str(&node);
        }
        let _ = write!(line, " {subckt}");
        Ok(line)
    }
}

fn node(n: NetId) -> String {
    if n == CONST0 {
        "0".into()
    } else if n == CONST1 {
        "vpwr".into()
    } else {
        format!("n{}", n.0)
    }
}

/// Writes the deck of `n` bound through `binding` to the cells in `pdk`:
/// `init` holds the operands before the first operation (one value per input
/// bus), `ops` the operations, operation-major (`ops.len()` a multiple of
/// the number of input buses).
pub fn build(
    n: &Netlist,
    binding: &Binding,
    pdk: &Pdk,
    init: &[u128],
    ops: &[u128],
    o: &DeckOptions,
) -> Result<Deck, SpiceError> {
    let k = n.inputs().len();
    if init.len() != k || k == 0 || ops.len() % k != 0 {
        return Err(SpiceError::Stream {
            msg: format!("{} input buses, initial values {}, operand values {}", k, init.len(), ops.len()),
        });
    }
    if o.period <= 0.0 || o.slew <= 0.0 || o.slew >= o.period / 2.0 || o.samples < 2 {
        return Err(SpiceError::Stream {
            msg: format!(
                "period {} s, slew {} s, samples {}: need 0 < slew < period/2, samples ≥ 2",
                o.period, o.slew, o.samples
            ),
        });
    }
    let m = ops.len() / k;
    let mut w = Writer { pdk, subs: BTreeMap::new() };
    let inv1 = format!("{}__inv_1", binding.foundry);
    let inv2 = format!("{}__inv_2", binding.foundry);
    let mut d = String::new();
    let _ =
        writeln!(d, "* tosim spice: `{}` on {} ({} operations, period {} s)", n.name(), binding.file, m, num(o.period));
    d.push_str(".include \"models.sp\"\n.include \"cells.sp\"\n");
    // Gear integration: trapezoidal steps ring in the supply currents once
    // ngspice takes long steps in quiet intervals.
    d.push_str(".option method=gear\n");
    let supplies: Vec<Supply> = [("vpwr", true), ("vpb", true), ("vdrv", true), ("vld", false)]
        .iter()
        .map(|&(s, c)| Supply { name: s.to_string(), counted: c })
        .collect();
    for s in &supplies {
        let _ = writeln!(d, "V{} {} 0 {}", s.name, s.name, o.vdd);
    }
    // Stimulus and drivers.
    d.push_str("* stimulus: one operation per period\n");
    for (bi, bus) in n.inputs().iter().enumerate() {
        for (bit, &net) in bus.nets.iter().enumerate() {
            let val = |v: u128| if bit < 128 && (v >> bit) & 1 == 1 { o.vdd } else { 0.0 };
            let src = format!("s_{bi}_{bit}");
            let target = match o.driver {
                InputDriver::Ideal => node(net),
                InputDriver::Cells => src.clone(),
            };
            let mut prev = val(init[bi]);
            let _ = write!(d, "Vs_{bi}_{bit} {target} 0 PWL(0 {prev}");
            for j in 0..m {
                let v = val(ops[j * k + bi]);
                if v != prev {
                    let t = (j + 1) as f64 * o.period;
                    let _ = write!(d, "\n+ {} {} {} {}", num(t), prev, num(t + o.slew), v);
                    prev = v;
                }
            }
            d.push_str(")\n");
            if o.driver == InputDriver::Cells {
                let mid = format!("m_{bi}_{bit}");
                let l1 = w.inverter(&format!("d1_{bi}_{bit}"), &inv1, &src, &mid, "vdrv")?;
                let l2 = w.inverter(&format!("d2_{bi}_{bit}"), &inv2, &mid, &node(net), "vdrv")?;
                let _ = writeln!(d, "{l1}\n{l2}");
            }
        }
    }
    // The unit.
    d.push_str("* the unit\n");
    let mut transistors = 0u64;
    for c in n.cells() {
        let t = n.cell_type(c);
        let pins: Vec<String> = t.inputs.iter().chain(&t.outputs).cloned().collect();
        let tpl = binding.template(&t.name, &pins).ok_or_else(|| SpiceError::Unbound {
            file: binding.file.clone(),
            cell: t.name.clone(),
            instance: n.cell_name(c).to_string(),
        })?;
        let file = pdk.template_file(&tpl.subckt).display().to_string();
        let sub = w.sub(&tpl.subckt)?;
        transistors += sub.mosfets;
        let mut line = format!("X{}", c.0);
        for p in &sub.pins {
            let nd = if let Some(abs) = tpl.pins.get(p) {
                if let Some(i) = t.inputs.iter().position(|x| x == abs) {
                    node(n.cell_inputs(c)[i])
                } else if let Some(i) = t.outputs.iter().position(|x| x == abs) {
                    node(n.cell_outputs(c)[i])
                } else {
                    return Err(SpiceError::Pin {
                        file,
                        template: tpl.subckt.clone(),
                        pin: p.clone(),
                        msg: format!("mapped to `{abs}`, which cell type `{}` does not have", t.name),
                    });
                }
            } else if let Some(s) = supply_node(p, "vpwr", "vpb") {
                s
            } else {
                return Err(SpiceError::Pin {
                    file,
                    template: tpl.subckt.clone(),
                    pin: p.clone(),
                    msg: format!("not in the pin map of `{}` and not a supply", t.name),
                });
            };
            line.push(' ');
            line.push_str(&nd);
        }
        let _ = writeln!(d, "{line} {}", tpl.subckt);
    }
    // Outputs and loads.
    d.push_str("* output loads\n");
    let mut outputs = Vec::new();
    let mut probes: Vec<String> = Vec::new();
    for (bi, bus) in n.outputs().iter().enumerate() {
        let mut bits = Vec::new();
        for (bit, &net) in bus.nets.iter().enumerate() {
            if net == CONST0 || net == CONST1 {
                bits.push(Probe::Const(net == CONST1));
                continue;
            }
            let nd = node(net);
            if !probes.contains(&nd) {
                probes.push(nd.clone());
                match o.load {
                    OutputLoad::Cap(c) => {
                        let _ = writeln!(d, "Cl_{bi}_{bit} {nd} 0 {}", num(c));
                    }
                    OutputLoad::Inverter => {
                        let l = w.inverter(&format!("l_{bi}_{bit}"), &inv1, &nd, &format!("lo_{bi}_{bit}"), "vld")?;
                        let _ = writeln!(d, "{l}");
                    }
                }
            }
            bits.push(Probe::Node(nd));
        }
        outputs.push(bits);
    }
    let tstep = o.period / f64::from(o.samples);
    let tstop = (m + 1) as f64 * o.period;
    let currents: Vec<String> = supplies.iter().map(|s| format!("i(v{})", s.name)).collect();
    let volts: Vec<String> = probes.iter().map(|p| format!("v({p})")).collect();
    d.push_str(".control\n");
    let _ = writeln!(d, "save {} {}", currents.join(" "), volts.join(" "));
    let _ = writeln!(d, "tran {} {}", num(tstep), num(tstop));
    d.push_str("set wr_singlescale\nset wr_vecnames\nset numdgt=9\n");
    let _ = writeln!(d, "wrdata currents.txt {}", currents.join(" "));
    if !volts.is_empty() {
        let _ = writeln!(d, "linearize {}", volts.join(" "));
        let _ = writeln!(d, "wrdata outputs.txt {}", volts.join(" "));
    }
    d.push_str("quit\n.endc\n.end\n");
    let mut cells = String::from("* template subcircuits copied from the PDK (Apache-2.0, The SkyWater PDK Authors)\n");
    for s in w.subs.values() {
        cells.push_str(&s.text);
    }
    Ok(Deck { text: d, cells, models: pdk.models_text(), ops: m, options: *o, supplies, outputs, probes, transistors })
}

impl Deck {
    /// Writes `deck.sp`, `cells.sp`, `models.sp` and `.spiceinit` into `dir`
    /// (created if needed).
    pub fn write(&self, dir: &Path) -> Result<(), SpiceError> {
        std::fs::create_dir_all(dir).map_err(|e| SpiceError::io(dir, e))?;
        for (f, t) in [
            ("deck.sp", self.text.as_str()),
            ("cells.sp", &self.cells),
            ("models.sp", &self.models),
            (".spiceinit", crate::pdk::SPICEINIT),
        ] {
            let p = dir.join(f);
            std::fs::write(&p, t).map_err(|e| SpiceError::io(&p, e))?;
        }
        Ok(())
    }
}

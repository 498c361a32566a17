//! Yosys JSON reader.

use std::collections::HashMap;
use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;

use super::{line_of, named_module, resolve, single_root, ImportError, ImportOptions};
use crate::{Loc, NetId, Netlist, NetlistBuilder, CONST0, CONST1};

/// A JSON object kept in file order.
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some((k, x)) = m.next_entry::<String, T>()? {
                    v.push((k, x));
                }
                Ok(Ordered(v))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct YFile {
    modules: Ordered<YModule>,
}

#[derive(Deserialize)]
struct YModule {
    #[serde(default)]
    attributes: HashMap<String, Value>,
    #[serde(default)]
    ports: Ordered<YPort>,
    #[serde(default)]
    cells: Ordered<YCell>,
    #[serde(default)]
    netnames: Ordered<YNet>,
}

#[derive(Deserialize)]
struct YPort {
    direction: String,
    bits: Vec<Value>,
}

#[derive(Deserialize)]
struct YCell {
    #[serde(rename = "type")]
    ty: String,
    #[serde(default)]
    port_directions: Ordered<String>,
    #[serde(default)]
    connections: Ordered<Vec<Value>>,
}

#[derive(Deserialize)]
struct YNet {
    #[serde(default)]
    hide_name: u8,
    bits: Vec<Value>,
}

fn attr_set(m: &YModule, key: &str) -> bool {
    match m.attributes.get(key) {
        Some(Value::String(s)) => s.chars().any(|c| c != '0'),
        Some(Value::Number(n)) => n.as_u64() != Some(0),
        Some(Value::Bool(b)) => *b,
        _ => false,
    }
}

/// One bit of a Yosys signal.
enum Bit {
    Id(u64),
    Const(bool),
    Undef,
}

fn bit(v: &Value) -> Option<Bit> {
    match v {
        Value::Number(n) => n.as_u64().map(Bit::Id),
        Value::String(s) => match s.as_str() {
            "0" => Some(Bit::Const(false)),
            "1" => Some(Bit::Const(true)),
            "x" | "z" => Some(Bit::Undef),
            _ => None,
        },
        _ => None,
    }
}

/// A forward-only line locator: linear over all the lookups of one file.
struct Lines<'a> {
    text: &'a str,
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    /// 1-based line of the next occurrence of `needle` at or after the cursor
    /// (0 when there is none; the cursor then stays).
    fn seek(&mut self, needle: &str) -> usize {
        match self.text[self.pos..].find(needle) {
            Some(off) => {
                let end = self.pos + off;
                self.line += self.text.as_bytes()[self.pos..end].iter().filter(|&&b| b == b'\n').count();
                self.pos = end;
                self.line
            }
            None => 0,
        }
    }
}

pub(crate) fn read(text: &str, file: &str, opts: &ImportOptions) -> Result<Netlist, ImportError> {
    let loc0 = |line: usize| Loc { file: file.to_string(), line };
    let parsed: YFile =
        serde_json::from_str(text).map_err(|source| ImportError::Json { loc: loc0(source.line()), source })?;
    let modules = &parsed.modules.0;
    let is_module = |name: &str| modules.iter().any(|(n, m)| n == name && !attr_set(m, "blackbox"));
    let names: Vec<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
    let (top_name, top) = if let Some(t) = opts.top {
        &modules[named_module(&names, t, loc0(0))?]
    } else if let Some(m) = modules.iter().find(|(_, m)| attr_set(m, "top")) {
        m
    } else {
        let roots: Vec<usize> = (0..modules.len())
            .filter(|&i| {
                let (n, m) = &modules[i];
                !attr_set(m, "blackbox") && !modules.iter().any(|(_, o)| o.cells.0.iter().any(|(_, c)| &c.ty == n))
            })
            .collect();
        &modules[single_root(&names, &roots, loc0(0))?]
    };
    let mut b = NetlistBuilder::new(top_name);
    // Net names: the first visible netname of each bit, else the first hidden one.
    let mut names: HashMap<u64, (u8, String)> = HashMap::new();
    for (name, net) in &top.netnames.0 {
        let w = net.bits.len();
        for (i, v) in net.bits.iter().enumerate() {
            if let Some(Bit::Id(id)) = bit(v) {
                let nm = if w == 1 { name.clone() } else { format!("{name}[{i}]") };
                let better = names.get(&id).map_or(true, |(h, _)| *h > net.hide_name);
                if better {
                    names.insert(id, (net.hide_name, nm));
                }
            }
        }
    }
    let mut nets: HashMap<u64, NetId> = HashMap::new();
    let mut net_of = |b: &mut NetlistBuilder, id: u64| -> NetId {
        *nets.entry(id).or_insert_with(|| b.add_net(Some(names.get(&id).map(|x| x.1.as_str()).unwrap_or(""))))
    };
    let port_loc = |name: &str| loc0(line_of(text, &format!("{}:", super::super::export::json_str(name))));
    // Input ports first, in file order.
    for (pname, p) in &top.ports.0 {
        match p.direction.as_str() {
            "input" => {
                let mut bus = Vec::with_capacity(p.bits.len());
                for v in &p.bits {
                    match bit(v) {
                        Some(Bit::Id(id)) => bus.push(net_of(&mut b, id)),
                        _ => {
                            return Err(ImportError::Syntax {
                                loc: port_loc(pname),
                                msg: format!("input port `{pname}` has a constant or malformed bit {v}"),
                            })
                        }
                    }
                }
                b.add_input_bus_nets(pname, &bus);
            }
            "output" => {}
            d => {
                return Err(ImportError::Unsupported {
                    loc: port_loc(pname),
                    msg: format!("port `{pname}` has direction `{d}`; only input and output ports are supported"),
                })
            }
        }
    }
    // Cell lines: one forward scan, as cells appear in file order after the top module's `"cells"` key.
    let mut lines = Lines { text, pos: 0, line: 1 };
    lines.seek(&format!("{}:", super::super::export::json_str(top_name)));
    lines.seek("\"cells\":");
    for (cname, c) in &top.cells.0 {
        let line = lines.seek(&format!("{}:", super::super::export::json_str(cname)));
        let loc = || loc0(line);
        if is_module(&c.ty) {
            return Err(ImportError::Unsupported {
                loc: loc(),
                msg: format!(
                    "cell `{cname}` instantiates module `{}`: flatten the design first (yosys: `flatten` or `synth -flatten`)",
                    c.ty
                ),
            });
        }
        let r = resolve(&c.ty, opts, &loc())?;
        let t = r.cell_type();
        for (pin, _) in &c.connections.0 {
            if !t.inputs.contains(pin) && !t.outputs.contains(pin) {
                return Err(ImportError::Pin {
                    cell: cname.clone(),
                    cell_type: c.ty.clone(),
                    msg: format!("unknown pin `{pin}`"),
                    loc: loc(),
                });
            }
        }
        for (pin, d) in &c.port_directions.0 {
            let ok = (d == "input" && t.inputs.contains(pin)) || (d == "output" && t.outputs.contains(pin));
            if !ok && (t.inputs.contains(pin) || t.outputs.contains(pin)) {
                return Err(ImportError::Pin {
                    cell: cname.clone(),
                    cell_type: c.ty.clone(),
                    msg: format!("pin `{pin}` declared `{d}`, but the cell type has it the other way"),
                    loc: loc(),
                });
            }
        }
        let conn = |pin: &str| c.connections.0.iter().find(|(p, _)| p == pin).map(|(_, v)| v);
        let one = |pin: &str, bits: &Vec<Value>| -> Result<Bit, ImportError> {
            if bits.len() != 1 {
                return Err(ImportError::PortWidth {
                    cell: cname.clone(),
                    pin: pin.to_string(),
                    expected: 1,
                    found: bits.len(),
                    loc: loc(),
                });
            }
            bit(&bits[0]).ok_or_else(|| ImportError::Syntax { loc: loc(), msg: format!("malformed bit {}", bits[0]) })
        };
        let mut ins = Vec::with_capacity(t.inputs.len());
        for pin in &t.inputs {
            let Some(bits) = conn(pin) else {
                return Err(ImportError::Pin {
                    cell: cname.clone(),
                    cell_type: c.ty.clone(),
                    msg: format!("input pin `{pin}` is not connected"),
                    loc: loc(),
                });
            };
            ins.push(match one(pin, bits)? {
                Bit::Id(id) => net_of(&mut b, id),
                Bit::Const(v) => b.constant(v),
                Bit::Undef => {
                    b.warn(format!("{}:{}: cell `{cname}` pin `{pin}` is undefined (x); read as 0", file, loc().line));
                    CONST0
                }
            });
        }
        let mut outs = Vec::with_capacity(t.outputs.len());
        for pin in &t.outputs {
            outs.push(match conn(pin) {
                None => b.add_net(None),
                Some(bits) => match one(pin, bits)? {
                    Bit::Id(id) => net_of(&mut b, id),
                    Bit::Const(v) => {
                        return Err(ImportError::Syntax {
                            loc: loc(),
                            msg: format!("cell `{cname}` output `{pin}` drives the constant {}", u8::from(v)),
                        })
                    }
                    Bit::Undef => b.add_net(None),
                },
            });
        }
        let ty = match r {
            super::Resolved::Gate(g) => b.gate_type(g),
            super::Resolved::Type(t) => b.add_type(t),
        };
        b.add_cell_full(ty, &ins, &outs, Some(cname), loc());
    }
    for (pname, p) in &top.ports.0 {
        if p.direction == "output" {
            let mut bus = Vec::with_capacity(p.bits.len());
            for v in &p.bits {
                bus.push(match bit(v) {
                    Some(Bit::Id(id)) => net_of(&mut b, id),
                    Some(Bit::Const(v)) => b.constant(v),
                    Some(Bit::Undef) => {
                        b.warn(format!("{file}: output port `{pname}` has an undefined (x) bit; read as 0"));
                        CONST0
                    }
                    None => {
                        return Err(ImportError::Syntax {
                            loc: port_loc(pname),
                            msg: format!("output port `{pname}` has a malformed bit {v}"),
                        })
                    }
                });
            }
            b.add_output_bus(pname, &bus);
        }
    }
    let _ = CONST1;
    b.finish_at(file).map_err(ImportError::from)
}

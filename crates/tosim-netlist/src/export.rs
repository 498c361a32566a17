//! Export: structural Verilog (plus a behavioural model of every cell type so
//! Icarus Verilog and Verilator simulate the netlist as it is), Yosys JSON and
//! Graphviz DOT.
//!
//! Verilog naming (see [`verilog_net_name`]): input bits are port bit selects
//! (`a[3]`, or `a` for a 1-bit bus); every net a cell drives is a scalar wire
//! `<name>_n<id>` (`n<id>` for automatic names), unique because of the id
//! suffix; output ports are driven by one `assign` per bit from those wires,
//! so no output port is read inside the module (Verilator's UNOPTFLAT).

use std::collections::BTreeSet;
use std::io::{self, Write};

use crate::{CellType, Driver, NetId, Netlist, CONST0, CONST1};

/// Knobs of [`write_verilog_with`] and [`write_cell_library_verilog_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct VerilogOptions<'a> {
    /// Delay (`#d`, in time units) of every output of cell `c`, indexed by
    /// [`crate::CellId::index`]. The cell library then takes one delay
    /// parameter per output (`D0`, `D1`, …), set per instance.
    pub cell_delays: Option<&'a [u32]>,
    /// Delay of the cell output driving net `n`, indexed by [`NetId::index`]
    /// (overrides `cell_delays` for that output; entries of nets no cell drives are ignored).
    pub net_delays: Option<&'a [u32]>,
    /// Separate fall delays of the cell outputs driving each net, indexed by
    /// [`NetId::index`] (with `net_delays` as the rise delays): inertial
    /// `assign #(rise, fall)`, the library taking a second parameter per
    /// output (`F0`, `F1`, …). Ignored with `transport`.
    pub net_fall_delays: Option<&'a [u32]>,
    /// Transport instead of inertial delays: pulses shorter than the delay
    /// pass (`always @*` with non-blocking intra-assignment delays; for Icarus).
    /// Without it, continuous `assign #d` swallows pulses shorter than `d`.
    pub transport: bool,
}

impl VerilogOptions<'_> {
    fn delays(&self) -> bool {
        self.cell_delays.is_some() || self.net_delays.is_some()
    }

    fn rise_fall(&self) -> bool {
        self.delays() && self.net_fall_delays.is_some() && !self.transport
    }
}

const KEYWORDS: &[&str] = &[
    "always",
    "and",
    "assign",
    "begin",
    "buf",
    "case",
    "default",
    "else",
    "end",
    "endcase",
    "endmodule",
    "for",
    "function",
    "if",
    "initial",
    "inout",
    "input",
    "integer",
    "module",
    "nand",
    "negedge",
    "nor",
    "not",
    "or",
    "output",
    "parameter",
    "posedge",
    "reg",
    "signed",
    "supply0",
    "supply1",
    "task",
    "wire",
    "xnor",
    "xor",
    "logic",
    "bit",
    "byte",
    "int",
    "type",
    "localparam",
    "generate",
    "endgenerate",
    "genvar",
    "event",
    "real",
    "time",
    "tri",
    "wand",
    "wor",
    "table",
    "primitive",
    "specify",
    "force",
    "release",
    "fork",
    "join",
    "wait",
    "while",
    "repeat",
    "forever",
    "casex",
    "casez",
    "edge",
    "small",
    "medium",
    "large",
    "strong0",
    "strong1",
    "weak0",
    "weak1",
];

/// `s` with every character that may not appear in a simple Verilog identifier
/// replaced by `_`, prefixed with `_` when it would start with a digit or `$`.
pub fn sanitize(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// Whether `s` could be mistaken for one of the generated wire or instance
/// names (`…n<digits>`, `…c<digits>`) or is a keyword.
fn reserved(s: &str) -> bool {
    if KEYWORDS.contains(&s) {
        return true;
    }
    let t = s.trim_end_matches(|c: char| c.is_ascii_digit());
    t.len() < s.len() && (t.ends_with('n') || t.ends_with('c'))
}

/// A name from `base` that is not in `used` and not reserved; inserts it.
fn unique(base: &str, used: &mut BTreeSet<String>) -> String {
    let mut s = sanitize(base);
    if reserved(&s) {
        s.push_str("_p");
    }
    let mut k = 1;
    let mut cand = s.clone();
    while used.contains(&cand) {
        k += 1;
        cand = format!("{s}_{k}");
    }
    used.insert(cand.clone());
    cand
}

/// Port names of the input buses then the output buses, in order.
fn port_names(n: &Netlist) -> (Vec<String>, Vec<String>) {
    let mut used = BTreeSet::new();
    let ins = n.inputs().iter().map(|b| unique(&b.name, &mut used)).collect();
    let outs = n.outputs().iter().map(|b| unique(&b.name, &mut used)).collect();
    (ins, outs)
}

/// Module name of each cell type in the exported cell library (in [`Netlist::types`] order).
pub fn verilog_type_names(n: &Netlist) -> Vec<String> {
    let mut used = BTreeSet::new();
    n.types().iter().map(|t| unique(&t.name, &mut used)).collect()
}

/// Name of the exported module: the netlist name, sanitised, distinct from every cell module.
pub fn verilog_module_name(n: &Netlist) -> String {
    let mut used: BTreeSet<String> = verilog_type_names(n).into_iter().collect();
    unique(n.name(), &mut used)
}

fn pin_names(t: &CellType) -> (Vec<String>, Vec<String>) {
    let mut used = BTreeSet::new();
    let ins = t.inputs.iter().map(|p| unique(p, &mut used)).collect();
    let outs = t.outputs.iter().map(|p| unique(p, &mut used)).collect();
    (ins, outs)
}

/// A readable identifier body: invalid characters (and `$`) become `_`, runs
/// of `_` collapse (Verilator encodes `__`), no leading or trailing `_`.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if !(c == '_' && (out.is_empty() || out.ends_with('_'))) {
            out.push(c);
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'w');
    }
    out
}

/// `<tidy name>_n<id>`, or `n<id>` for unnamed nets. Unique: the suffix after
/// the last `_n` is the id.
fn wire_name(n: &Netlist, net: NetId) -> String {
    let name = n.net_name(net);
    let t = if name == format!("_{}_", net.0) { String::new() } else { tidy(name) };
    if t.is_empty() {
        format!("n{}", net.0)
    } else {
        format!("{t}_n{}", net.0)
    }
}

fn instance_name(n: &Netlist, c: crate::CellId) -> String {
    let name = n.cell_name(c);
    let t = if name == format!("c{}", c.0) { String::new() } else { tidy(name) };
    if t.is_empty() {
        format!("c{}", c.0)
    } else {
        format!("{t}_c{}", c.0)
    }
}

fn bit_select(port: &str, width: usize, bit: u32) -> String {
    if width == 1 {
        port.to_string()
    } else {
        format!("{port}[{bit}]")
    }
}

/// The Verilog identifier (or `bus[i]` bit select, or `1'b0`/`1'b1`) that
/// [`write_verilog`] uses for `net`. Constant time apart from the port name
/// of input bits (linear in the number of ports).
pub fn verilog_net_name(n: &Netlist, net: NetId) -> String {
    match n.driver(net) {
        Driver::Const(false) => "1'b0".into(),
        Driver::Const(true) => "1'b1".into(),
        Driver::Input { bus, bit } => {
            let (ins, _) = port_names(n);
            bit_select(&ins[bus as usize], n.inputs()[bus as usize].width(), bit)
        }
        _ => wire_name(n, net),
    }
}

/// Every net's Verilog name at once (indexed by [`NetId::index`]); linear time.
pub fn verilog_net_names(n: &Netlist) -> Vec<String> {
    let (ins, _) = port_names(n);
    n.nets()
        .map(|net| match n.driver(net) {
            Driver::Const(false) => "1'b0".into(),
            Driver::Const(true) => "1'b1".into(),
            Driver::Input { bus, bit } => bit_select(&ins[bus as usize], n.inputs()[bus as usize].width(), bit),
            _ => wire_name(n, net),
        })
        .collect()
}

fn range(width: usize) -> String {
    if width == 1 {
        String::new()
    } else {
        format!("[{}:0] ", width - 1)
    }
}

/// Writes `n` as a structural Verilog module (see [`write_verilog_with`]).
pub fn write_verilog(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    write_verilog_with(n, &VerilogOptions::default(), w)
}

/// Writes `n` as a structural Verilog module named [`verilog_module_name`],
/// one port per bus (`input [W-1:0] a`, zero-width buses left out), one
/// instance per cell with named ports of the module [`verilog_type_names`]
/// gives its type, and one `assign` per output bit.
pub fn write_verilog_with(n: &Netlist, opts: &VerilogOptions, w: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    let (ins, outs) = port_names(n);
    let names = verilog_net_names(n);
    let tnames = verilog_type_names(n);
    let pins: Vec<_> = n.types().iter().map(pin_names).collect();
    writeln!(w, "// {} cells, {} nets; written by tosim", n.cell_count(), n.net_count())?;
    let ports: Vec<&String> = ins
        .iter()
        .zip(n.inputs())
        .chain(outs.iter().zip(n.outputs()))
        .filter(|(_, b)| b.width() > 0)
        .map(|(p, _)| p)
        .collect();
    writeln!(
        w,
        "module {} ({});",
        verilog_module_name(n),
        ports.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
    )?;
    for (p, b) in ins.iter().zip(n.inputs()).filter(|(_, b)| b.width() > 0) {
        writeln!(w, "  input {}{p};", range(b.width()))?;
    }
    for (p, b) in outs.iter().zip(n.outputs()).filter(|(_, b)| b.width() > 0) {
        writeln!(w, "  output {}{p};", range(b.width()))?;
    }
    for net in n.nets() {
        if let Driver::Cell { .. } = n.driver(net) {
            writeln!(w, "  wire {};", names[net.index()])?;
        }
    }
    for &c in n.order() {
        let t = n.cell_type_id(c).index();
        let (pi, po) = &pins[t];
        let mut params = Vec::new();
        if opts.delays() {
            for (o, &net) in n.cell_outputs(c).iter().enumerate() {
                let d = opts
                    .net_delays
                    .and_then(|d| d.get(net.index()))
                    .or_else(|| opts.cell_delays.and_then(|d| d.get(c.index())))
                    .copied()
                    .unwrap_or(0);
                params.push(format!(".D{o}({d})"));
                if opts.rise_fall() {
                    let f = opts.net_fall_delays.and_then(|f| f.get(net.index())).copied().unwrap_or(d);
                    params.push(format!(".F{o}({f})"));
                }
            }
        }
        let params = if params.is_empty() { String::new() } else { format!("#({}) ", params.join(", ")) };
        let conns: Vec<String> = pi
            .iter()
            .zip(n.cell_inputs(c))
            .chain(po.iter().zip(n.cell_outputs(c)))
            .map(|(p, net)| format!(".{p}({})", names[net.index()]))
            .collect();
        writeln!(w, "  {} {params}{} ({});", tnames[t], instance_name(n, c), conns.join(", "))?;
    }
    for (p, b) in outs.iter().zip(n.outputs()) {
        for (i, net) in b.nets.iter().enumerate() {
            writeln!(w, "  assign {} = {};", bit_select(p, b.width(), i as u32), names[net.index()])?;
        }
    }
    writeln!(w, "endmodule")?;
    w.flush()
}

/// Writes one behavioural Verilog module per cell type of `n`.
pub fn write_cell_library_verilog(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    write_cell_library_verilog_with(n, &VerilogOptions::default(), w)
}

/// Writes one behavioural Verilog module per cell type: each output is its
/// truth table indexed by the concatenated inputs (`assign Y = T0[{B, A}]`),
/// with delay parameters `D0, D1, …` (one per output, default 0) when `opts`
/// asks for delays.
pub fn write_cell_library_verilog_with(n: &Netlist, opts: &VerilogOptions, w: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    writeln!(w, "// Behavioural models of the cell types; written by tosim")?;
    for (t, name) in n.types().iter().zip(verilog_type_names(n)) {
        let (pi, po) = pin_names(t);
        writeln!(w, "// {}", t.name)?;
        let params = if opts.delays() {
            let p: Vec<String> = (0..po.len())
                .flat_map(|o| {
                    let fall = opts.rise_fall().then(|| format!("parameter F{o} = 0"));
                    std::iter::once(format!("parameter D{o} = 0")).chain(fall)
                })
                .collect();
            format!(" #({})", p.join(", "))
        } else {
            String::new()
        };
        let outkind = if opts.delays() && opts.transport { "output reg" } else { "output" };
        let ports: Vec<String> =
            pi.iter().map(|p| format!("input {p}")).chain(po.iter().map(|p| format!("{outkind} {p}"))).collect();
        writeln!(w, "module {name}{params} ({});", ports.join(", "))?;
        let index = if pi.is_empty() {
            "0".to_string()
        } else {
            format!("{{{}}}", pi.iter().rev().cloned().collect::<Vec<_>>().join(", "))
        };
        for (o, p) in po.iter().enumerate() {
            let f = t.functions[o];
            let rows = f.rows();
            let bits: String = (0..rows).rev().map(|r| if f.eval(r as u32) { '1' } else { '0' }).collect();
            writeln!(w, "  localparam [{}:0] T{o} = {rows}'b{bits};", rows - 1)?;
            if !opts.delays() {
                writeln!(w, "  assign {p} = T{o}[{index}];")?;
            } else if opts.transport {
                writeln!(w, "  always @* {p} <= #D{o} T{o}[{index}];")?;
            } else if opts.rise_fall() {
                writeln!(w, "  assign #(D{o}, F{o}) {p} = T{o}[{index}];")?;
            } else {
                writeln!(w, "  assign #D{o} {p} = T{o}[{index}];")?;
            }
        }
        writeln!(w, "endmodule")?;
    }
    w.flush()
}

fn yosys_type(t: &CellType) -> String {
    use crate::Gate;
    let y = match Gate::from_name(&t.name) {
        Some(g) if g.cell_type() == *t => match g {
            Gate::Inv => "$_NOT_",
            Gate::Buf => "$_BUF_",
            Gate::And2 => "$_AND_",
            Gate::Or2 => "$_OR_",
            Gate::Xor2 => "$_XOR_",
            Gate::Nand2 => "$_NAND_",
            Gate::Nor2 => "$_NOR_",
            Gate::Xnor2 => "$_XNOR_",
            Gate::AndNot => "$_ANDNOT_",
            Gate::OrNot => "$_ORNOT_",
            Gate::Mux2 => "$_MUX_",
            Gate::Nmux2 => "$_NMUX_",
            Gate::Aoi21 => "$_AOI3_",
            Gate::Oai21 => "$_OAI3_",
            Gate::Aoi22 => "$_AOI4_",
            Gate::Oai22 => "$_OAI4_",
            _ => return t.name.clone(),
        },
        _ => return t.name.clone(),
    };
    y.to_string()
}

pub(crate) fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"?\"".into())
}

fn json_bit(net: NetId) -> String {
    if net == CONST0 {
        "\"0\"".into()
    } else if net == CONST1 {
        "\"1\"".into()
    } else {
        net.0.to_string()
    }
}

fn json_bits(nets: &[NetId]) -> String {
    nets.iter().map(|&b| json_bit(b)).collect::<Vec<_>>().join(", ")
}

/// Writes `n` as Yosys JSON (`read_json`-compatible): one module, ports with
/// bit numbers (bit `k` is [`NetId`] `k`; constants as `"0"`/`"1"`), abstract
/// gates as Yosys internal cells (`$_NAND_`, `$_AOI3_` …) where one exists, other
/// types by name with `port_directions`, and one `netnames` entry per named net.
pub fn write_json(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    let (ins, outs) = port_names(n);
    writeln!(w, "{{\n  \"creator\": \"tosim\",\n  \"modules\": {{\n    {}: {{", json_str(n.name()))?;
    writeln!(w, "      \"attributes\": {{ \"top\": \"00000000000000000000000000000001\" }},")?;
    writeln!(w, "      \"ports\": {{")?;
    let ports: Vec<String> = ins
        .iter()
        .zip(n.inputs())
        .map(|(p, b)| (p, "input", b))
        .chain(outs.iter().zip(n.outputs()).map(|(p, b)| (p, "output", b)))
        .map(|(p, d, b)| {
            format!("        {}: {{ \"direction\": \"{d}\", \"bits\": [ {} ] }}", json_str(p), json_bits(&b.nets))
        })
        .collect();
    writeln!(w, "{}\n      }},", ports.join(",\n"))?;
    writeln!(w, "      \"cells\": {{")?;
    let ytypes: Vec<String> = n.types().iter().map(yosys_type).collect();
    let mut first = true;
    let mut used = BTreeSet::new();
    for c in n.cells() {
        let t = n.cell_type(c);
        let dirs: Vec<String> = t
            .inputs
            .iter()
            .map(|p| format!("{}: \"input\"", json_str(p)))
            .chain(t.outputs.iter().map(|p| format!("{}: \"output\"", json_str(p))))
            .collect();
        let conns: Vec<String> = t
            .inputs
            .iter()
            .zip(n.cell_inputs(c))
            .chain(t.outputs.iter().zip(n.cell_outputs(c)))
            .map(|(p, &net)| format!("{}: [ {} ]", json_str(p), json_bit(net)))
            .collect();
        let mut name = n.cell_name(c).to_string();
        while !used.insert(name.clone()) {
            name.push_str(&format!("$c{}", c.0));
        }
        if !first {
            writeln!(w, ",")?;
        }
        first = false;
        write!(
            w,
            "        {}: {{ \"hide_name\": 0, \"type\": {}, \"parameters\": {{ }}, \"attributes\": {{ }}, \
             \"port_directions\": {{ {} }}, \"connections\": {{ {} }} }}",
            json_str(&name),
            json_str(&ytypes[n.cell_type_id(c).index()]),
            dirs.join(", "),
            conns.join(", ")
        )?;
    }
    writeln!(w, "\n      }},\n      \"netnames\": {{")?;
    let mut entries = Vec::new();
    let mut used = BTreeSet::new();
    for (p, b) in ins.iter().zip(n.inputs()).chain(outs.iter().zip(n.outputs())) {
        if used.insert(p.clone()) {
            entries.push(format!(
                "        {}: {{ \"hide_name\": 0, \"bits\": [ {} ] }}",
                json_str(p),
                json_bits(&b.nets)
            ));
        }
    }
    for net in n.nets() {
        if let Driver::Cell { .. } = n.driver(net) {
            let name = wire_name(n, net);
            if used.insert(name.clone()) {
                let hide = u8::from(name.starts_with('n') && name[1..].bytes().all(|c| c.is_ascii_digit()));
                entries.push(format!(
                    "        {}: {{ \"hide_name\": {hide}, \"bits\": [ {} ] }}",
                    json_str(&name),
                    net.0
                ));
            }
        }
    }
    writeln!(w, "{}\n      }}\n    }}\n  }}\n}}", entries.join(",\n"))?;
    w.flush()
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Writes `n` as a Graphviz DOT digraph: one node per input bus, cell and
/// output bus; one edge per (driver, reader) pair labelled with the net name.
pub fn write_dot(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    let mut w = io::BufWriter::new(w);
    writeln!(
        w,
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n  edge [fontsize=8];",
        dot_id(n.name())
    )?;
    for (k, b) in n.inputs().iter().enumerate() {
        writeln!(w, "  i{k} [shape=invhouse, label={}];", dot_id(&format!("{} [{}]", b.name, b.width())))?;
    }
    for c in n.cells() {
        writeln!(w, "  c{} [label={}];", c.0, dot_id(&format!("{}\\n{}", n.cell_type(c).name, n.cell_name(c))))?;
    }
    for (k, b) in n.outputs().iter().enumerate() {
        writeln!(w, "  o{k} [shape=house, label={}];", dot_id(&format!("{} [{}]", b.name, b.width())))?;
    }
    let src = |net: NetId| -> Option<String> {
        match n.driver(net) {
            Driver::Input { bus, .. } => Some(format!("i{bus}")),
            Driver::Cell { cell, .. } => Some(format!("c{}", cell.0)),
            Driver::Const(v) => Some(format!("k{}", u8::from(v))),
            Driver::None => None,
        }
    };
    let mut consts = [false; 2];
    let mut edge = |w: &mut dyn Write, net: NetId, dst: &str| -> io::Result<()> {
        if let Some(s) = src(net) {
            if let Driver::Const(v) = n.driver(net) {
                if !consts[usize::from(v)] {
                    consts[usize::from(v)] = true;
                    writeln!(w, "  k{} [shape=plaintext, label=\"{}\"];", u8::from(v), u8::from(v))?;
                }
            }
            writeln!(w, "  {s} -> {dst} [label={}];", dot_id(n.net_name(net)))?;
        }
        Ok(())
    };
    for c in n.cells() {
        for &net in n.cell_inputs(c) {
            edge(&mut w, net, &format!("c{}", c.0))?;
        }
    }
    for (k, b) in n.outputs().iter().enumerate() {
        for &net in &b.nets {
            edge(&mut w, net, &format!("o{k}"))?;
        }
    }
    writeln!(w, "}}")?;
    w.flush()
}

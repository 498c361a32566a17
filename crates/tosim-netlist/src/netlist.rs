//! The netlist data model: struct-of-arrays tables indexed by `u32` newtype ids.

use crate::{CellType, Gate, NetlistError};

tosim_cells::id_type!(
    /// A net (one wire).
    NetId
);
tosim_cells::id_type!(
    /// A cell instance.
    CellId
);
tosim_cells::id_type!(
    /// A cell type in [`Netlist::types`].
    TypeId
);

/// The constant-0 net, present in every netlist.
pub const CONST0: NetId = NetId(0);
/// The constant-1 net, present in every netlist.
pub const CONST1: NetId = NetId(1);

/// What drives a net.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driver {
    /// Nothing (an error once the netlist is finished).
    None,
    /// A constant.
    Const(bool),
    /// Bit `bit` of input bus `bus`.
    Input {
        /// Index into [`Netlist::inputs`].
        bus: u32,
        /// Bit index, LSB first.
        bit: u32,
    },
    /// Output `pin` of cell `cell`.
    Cell {
        /// The driving cell.
        cell: CellId,
        /// The output pin (index into the cell type's outputs).
        pin: tosim_cells::PinId,
    },
}

/// A named bus of nets, least significant bit first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bus {
    /// Port name.
    pub name: String,
    /// Nets, LSB first.
    pub nets: Vec<NetId>,
}

impl Bus {
    /// Width in bits.
    pub fn width(&self) -> usize {
        self.nets.len()
    }
}

/// Where something was declared in a parsed file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Loc {
    /// File name as given to the reader.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
}

/// A checked, levelised netlist. Build it with [`NetlistBuilder`].
///
/// Invariants after [`NetlistBuilder::finish`]: every net has exactly one
/// driver, there is no combinational loop, every cell's pin counts match its
/// type, and [`Netlist::order`] lists every cell after all cells that drive
/// its inputs.
#[derive(Clone, Debug)]
pub struct Netlist {
    pub(crate) name: String,
    pub(crate) types: Vec<CellType>,
    pub(crate) net_names: Vec<String>,
    pub(crate) drivers: Vec<Driver>,
    pub(crate) cell_type: Vec<TypeId>,
    pub(crate) cell_names: Vec<String>,
    pub(crate) cell_locs: Vec<Loc>,
    pub(crate) in_start: Vec<u32>,
    pub(crate) in_nets: Vec<NetId>,
    pub(crate) out_start: Vec<u32>,
    pub(crate) out_nets: Vec<NetId>,
    pub(crate) inputs: Vec<Bus>,
    pub(crate) outputs: Vec<Bus>,
    pub(crate) order: Vec<CellId>,
    pub(crate) level: Vec<u32>,
    pub(crate) warnings: Vec<String>,
}

impl Netlist {
    /// Design name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Cell types used by this netlist.
    pub fn types(&self) -> &[CellType] {
        &self.types
    }
    /// Number of nets, constants included.
    pub fn net_count(&self) -> usize {
        self.net_names.len()
    }
    /// Number of cell instances.
    pub fn cell_count(&self) -> usize {
        self.cell_type.len()
    }
    /// Name of a net.
    pub fn net_name(&self, n: NetId) -> &str {
        &self.net_names[n.index()]
    }
    /// Driver of a net.
    pub fn driver(&self, n: NetId) -> Driver {
        self.drivers[n.index()]
    }
    /// Type of a cell.
    pub fn cell_type(&self, c: CellId) -> &CellType {
        &self.types[self.cell_type[c.index()].index()]
    }
    /// Type id of a cell.
    pub fn cell_type_id(&self, c: CellId) -> TypeId {
        self.cell_type[c.index()]
    }
    /// Instance name of a cell.
    pub fn cell_name(&self, c: CellId) -> &str {
        &self.cell_names[c.index()]
    }
    /// Where a cell was declared (empty for generated netlists).
    pub fn cell_loc(&self, c: CellId) -> &Loc {
        &self.cell_locs[c.index()]
    }
    /// Input nets of a cell, in pin order.
    pub fn cell_inputs(&self, c: CellId) -> &[NetId] {
        let i = c.index();
        &self.in_nets[self.in_start[i] as usize..self.in_start[i + 1] as usize]
    }
    /// Output nets of a cell, in pin order.
    pub fn cell_outputs(&self, c: CellId) -> &[NetId] {
        let i = c.index();
        &self.out_nets[self.out_start[i] as usize..self.out_start[i + 1] as usize]
    }
    /// Input buses in declaration order.
    pub fn inputs(&self) -> &[Bus] {
        &self.inputs
    }
    /// Output buses in declaration order.
    pub fn outputs(&self) -> &[Bus] {
        &self.outputs
    }
    /// Input bus called `name`.
    pub fn input(&self, name: &str) -> Option<&Bus> {
        self.inputs.iter().find(|b| b.name == name)
    }
    /// Output bus called `name`.
    pub fn output(&self, name: &str) -> Option<&Bus> {
        self.outputs.iter().find(|b| b.name == name)
    }
    /// Cells in topological order (drivers before readers).
    pub fn order(&self) -> &[CellId] {
        &self.order
    }
    /// Logic level of a cell: 1 + the largest level among the cells driving its inputs.
    pub fn level(&self, c: CellId) -> u32 {
        self.level[c.index()]
    }
    /// Largest cell level (logic depth in cells).
    pub fn depth(&self) -> u32 {
        self.level.iter().copied().max().unwrap_or(0)
    }
    /// All cell ids.
    pub fn cells(&self) -> impl Iterator<Item = CellId> + '_ {
        (0..self.cell_type.len() as u32).map(CellId)
    }
    /// All net ids.
    pub fn nets(&self) -> impl Iterator<Item = NetId> + '_ {
        (0..self.net_names.len() as u32).map(NetId)
    }
    /// Total primary-input bits.
    pub fn input_bits(&self) -> usize {
        self.inputs.iter().map(Bus::width).sum()
    }
    /// Approximate heap bytes the netlist holds (tables and names), to check
    /// that memory grows linearly with size.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let strings = |v: &[String]| v.iter().map(|s| s.capacity() + size_of::<String>()).sum::<usize>();
        strings(&self.net_names)
            + strings(&self.cell_names)
            + self.drivers.capacity() * size_of::<Driver>()
            + self.cell_type.capacity() * size_of::<TypeId>()
            + self.cell_locs.iter().map(|l| l.file.capacity() + size_of::<Loc>()).sum::<usize>()
            + (self.in_start.capacity() + self.out_start.capacity() + self.level.capacity()) * size_of::<u32>()
            + (self.in_nets.capacity() + self.out_nets.capacity()) * size_of::<NetId>()
            + self.order.capacity() * size_of::<CellId>()
            + self.inputs.iter().chain(&self.outputs).map(|b| b.nets.capacity() * size_of::<NetId>()).sum::<usize>()
    }
    /// Warnings found while building or checking (e.g. a cell output nobody reads).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Total primary-output bits.
    pub fn output_bits(&self) -> usize {
        self.outputs.iter().map(Bus::width).sum()
    }
}

/// Builds a [`Netlist`], checking as it goes; the first error is kept and
/// returned by [`NetlistBuilder::finish`].
///
/// ```
/// use tosim_netlist::{Gate, NetlistBuilder};
/// let mut b = NetlistBuilder::new("half_adder");
/// let a = b.add_input_bus("a", 1);
/// let c = b.add_input_bus("b", 1);
/// let out = b.add_cell(Gate::Ha, &[a[0], c[0]]);
/// b.add_output_bus("s", &out[..1]);
/// b.add_output_bus("cout", &out[1..]);
/// let n = b.finish().unwrap();
/// assert_eq!(n.cell_count(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct NetlistBuilder {
    n: Netlist,
    gate_types: Vec<Option<TypeId>>,
    error: Option<NetlistError>,
}

impl NetlistBuilder {
    /// An empty netlist called `name`, holding only the two constant nets.
    pub fn new(name: &str) -> Self {
        NetlistBuilder {
            n: Netlist {
                name: name.to_string(),
                types: Vec::new(),
                net_names: vec!["1'b0".into(), "1'b1".into()],
                drivers: vec![Driver::Const(false), Driver::Const(true)],
                cell_type: Vec::new(),
                cell_names: Vec::new(),
                cell_locs: Vec::new(),
                in_start: vec![0],
                in_nets: Vec::new(),
                out_start: vec![0],
                out_nets: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
                order: Vec::new(),
                level: Vec::new(),
                warnings: Vec::new(),
            },
            gate_types: vec![None; Gate::ALL.len()],
            error: None,
        }
    }

    fn fail(&mut self, e: NetlistError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    /// The constant-0 net.
    pub fn zero(&self) -> NetId {
        CONST0
    }

    /// The constant-1 net.
    pub fn one(&self) -> NetId {
        CONST1
    }

    /// The constant net for `v`.
    pub fn constant(&self, v: bool) -> NetId {
        if v {
            CONST1
        } else {
            CONST0
        }
    }

    /// Registers a cell type (types with the same name are shared) and returns its id.
    pub fn add_type(&mut self, t: CellType) -> TypeId {
        if let Some(i) = self.n.types.iter().position(|x| x.name == t.name) {
            if self.n.types[i] != t {
                let name = t.name.clone();
                self.fail(NetlistError::TypeConflict { name });
            }
            return TypeId(i as u32);
        }
        self.n.types.push(t);
        TypeId(self.n.types.len() as u32 - 1)
    }

    /// The type id of an abstract gate, registering it on first use.
    pub fn gate_type(&mut self, g: Gate) -> TypeId {
        let k = g as usize;
        if let Some(t) = self.gate_types[k] {
            return t;
        }
        let t = self.add_type(g.cell_type());
        self.gate_types[k] = Some(t);
        t
    }

    /// A new undriven net; name it or leave `None` for an automatic `_N_` name.
    pub fn add_net(&mut self, name: Option<&str>) -> NetId {
        let id = NetId(self.n.net_names.len() as u32);
        let name = match name {
            Some(s) => s.to_string(),
            None => format!("_{}_", id.0),
        };
        self.n.net_names.push(name);
        self.n.drivers.push(Driver::None);
        id
    }

    /// Renames a net.
    pub fn set_net_name(&mut self, net: NetId, name: &str) {
        if let Some(s) = self.n.net_names.get_mut(net.index()) {
            *s = name.to_string();
        }
    }

    /// Declares an input bus of `width` fresh nets named `name[i]` (or `name` when 1 bit wide).
    pub fn add_input_bus(&mut self, name: &str, width: usize) -> Vec<NetId> {
        let bus = self.n.inputs.len() as u32;
        let nets: Vec<NetId> = (0..width)
            .map(|i| {
                let nm = if width == 1 { name.to_string() } else { format!("{name}[{i}]") };
                let id = self.add_net(Some(&nm));
                self.n.drivers[id.index()] = Driver::Input { bus, bit: i as u32 };
                id
            })
            .collect();
        self.n.inputs.push(Bus { name: name.to_string(), nets: nets.clone() });
        nets
    }

    /// Declares an input bus over existing, still undriven nets (importers).
    pub fn add_input_bus_nets(&mut self, name: &str, nets: &[NetId]) {
        let bus = self.n.inputs.len() as u32;
        for (i, &id) in nets.iter().enumerate() {
            self.drive(id, Driver::Input { bus, bit: i as u32 });
        }
        self.n.inputs.push(Bus { name: name.to_string(), nets: nets.to_vec() });
    }

    /// Declares an output bus reading the given nets (LSB first).
    pub fn add_output_bus(&mut self, name: &str, nets: &[NetId]) {
        if self.n.outputs.iter().any(|b| b.name == name) || self.n.inputs.iter().any(|b| b.name == name) {
            self.fail(NetlistError::DuplicatePort { name: name.to_string() });
        }
        self.n.outputs.push(Bus { name: name.to_string(), nets: nets.to_vec() });
    }

    fn drive(&mut self, net: NetId, d: Driver) {
        match self.n.drivers.get(net.index()).copied() {
            None => self.fail(NetlistError::UnknownNet { net }),
            Some(Driver::None) => self.n.drivers[net.index()] = d,
            Some(_) => {
                let name = self.n.net_names[net.index()].clone();
                self.fail(NetlistError::MultipleDrivers { net: name, loc: Loc::default() });
            }
        }
    }

    /// Adds an abstract gate reading `inputs`; returns its fresh output nets.
    pub fn add_cell(&mut self, g: Gate, inputs: &[NetId]) -> Vec<NetId> {
        let t = self.gate_type(g);
        self.add_cell_of_type(t, inputs)
    }

    /// Adds a single-output gate and returns its output net.
    pub fn gate(&mut self, g: Gate, inputs: &[NetId]) -> NetId {
        self.add_cell(g, inputs).first().copied().unwrap_or(CONST0)
    }

    /// Adds a cell of a registered type; returns its fresh output nets.
    pub fn add_cell_of_type(&mut self, t: TypeId, inputs: &[NetId]) -> Vec<NetId> {
        let outs = self.n.types.get(t.index()).map(|ty| ty.outputs.len()).unwrap_or(0);
        let nets: Vec<NetId> = (0..outs).map(|_| self.add_net(None)).collect();
        self.add_cell_full(t, inputs, &nets, None, Loc::default());
        nets
    }

    /// Adds a cell of a registered type driving the given existing nets (importers).
    pub fn add_cell_full(
        &mut self,
        t: TypeId,
        inputs: &[NetId],
        outputs: &[NetId],
        name: Option<&str>,
        loc: Loc,
    ) -> CellId {
        let id = CellId(self.n.cell_type.len() as u32);
        let (ni, no, tname) = match self.n.types.get(t.index()) {
            Some(ty) => (ty.inputs.len(), ty.outputs.len(), ty.name.clone()),
            None => (usize::MAX, usize::MAX, format!("<type {}>", t.0)),
        };
        let cname = name.map(str::to_string).unwrap_or_else(|| format!("c{}", id.0));
        if ni != inputs.len() || no != outputs.len() {
            self.fail(NetlistError::PinCount {
                cell: cname.clone(),
                cell_type: tname,
                expected: (ni, no),
                found: (inputs.len(), outputs.len()),
                loc: loc.clone(),
            });
        }
        for &i in inputs {
            if i.index() >= self.n.net_names.len() {
                self.fail(NetlistError::UnknownNet { net: i });
            }
        }
        for (p, &o) in outputs.iter().enumerate() {
            match self.n.drivers.get(o.index()).copied() {
                None => self.fail(NetlistError::UnknownNet { net: o }),
                Some(Driver::None) => {
                    self.n.drivers[o.index()] = Driver::Cell { cell: id, pin: tosim_cells::PinId::from_index(p) }
                }
                Some(_) => {
                    let net = self.n.net_names[o.index()].clone();
                    self.fail(NetlistError::MultipleDrivers { net, loc: loc.clone() });
                }
            }
        }
        self.n.cell_type.push(t);
        self.n.cell_names.push(cname);
        self.n.cell_locs.push(loc);
        self.n.in_nets.extend_from_slice(inputs);
        self.n.in_start.push(self.n.in_nets.len() as u32);
        self.n.out_nets.extend_from_slice(outputs);
        self.n.out_start.push(self.n.out_nets.len() as u32);
        id
    }

    /// Records a warning (kept on the finished netlist, see [`Netlist::warnings`]).
    pub fn warn(&mut self, msg: impl Into<String>) {
        self.n.warnings.push(msg.into());
    }

    /// Number of cells added so far.
    pub fn cell_count(&self) -> usize {
        self.n.cell_type.len()
    }

    /// Checks the netlist (drivers, loops, pin counts) and levelises it.
    pub fn finish(self) -> Result<Netlist, NetlistError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        crate::validate::finish(self.n)
    }

    /// [`NetlistBuilder::finish`] for importers: errors without a file name get `file`.
    pub(crate) fn finish_at(self, file: &str) -> Result<Netlist, NetlistError> {
        self.finish().map_err(|e| e.with_file(file))
    }
}

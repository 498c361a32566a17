//! Export: structural Verilog (plus a behavioural model of every cell type so
//! Icarus Verilog and Verilator simulate the netlist as it is), Yosys JSON and
//! Graphviz DOT.

use std::io::{self, Write};

use crate::{NetId, Netlist};

/// Knobs of [`write_verilog_with`] and [`write_cell_library_verilog_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct VerilogOptions<'a> {
    /// Delay (`#d`, in time units) of every output of cell `c`, indexed by
    /// [`crate::CellId::index`]. The cell library then takes a delay parameter.
    pub cell_delays: Option<&'a [u32]>,
    /// Delay of the cell output driving net `n`, indexed by [`NetId::index`]
    /// (overrides `cell_delays` for that output; entries of nets no cell drives are ignored).
    pub net_delays: Option<&'a [u32]>,
    /// Transport instead of inertial delays: pulses shorter than the delay pass
    /// (`always @*` with non-blocking intra-assignment delays; Icarus only).
    pub transport: bool,
}

/// Writes `n` as a structural Verilog module (see [`write_verilog_with`]).
pub fn write_verilog(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    write_verilog_with(n, &VerilogOptions::default(), w)
}

/// Writes `n` as a structural Verilog module named after the netlist, one port
/// per bus, one instance per cell with named ports.
pub fn write_verilog_with(_n: &Netlist, _opts: &VerilogOptions, _w: &mut dyn Write) -> io::Result<()> {
    Ok(())
}

/// Writes one behavioural Verilog module per cell type of `n`.
pub fn write_cell_library_verilog(n: &Netlist, w: &mut dyn Write) -> io::Result<()> {
    write_cell_library_verilog_with(n, &VerilogOptions::default(), w)
}

/// Writes one behavioural Verilog module per cell type, with delay parameters
/// when `opts` asks for delays.
pub fn write_cell_library_verilog_with(_n: &Netlist, _opts: &VerilogOptions, _w: &mut dyn Write) -> io::Result<()> {
    Ok(())
}

/// Writes `n` as Yosys JSON.
pub fn write_json(_n: &Netlist, _w: &mut dyn Write) -> io::Result<()> {
    Ok(())
}

/// Writes `n` as a Graphviz DOT digraph.
pub fn write_dot(_n: &Netlist, _w: &mut dyn Write) -> io::Result<()> {
    Ok(())
}

/// The Verilog identifier (or `bus[i]` bit select) that [`write_verilog`] uses for `net`.
pub fn verilog_net_name(n: &Netlist, net: NetId) -> String {
    n.net_name(net).to_string()
}

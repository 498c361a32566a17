//! `tosim netlist …`.

use anyhow::{bail, Result};

/// Netlist subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum NetlistCmd {
    /// Cells by type, transistors, nets, ports and depth of a netlist file.
    Stats(StatsArgs),
}

/// Arguments of `tosim netlist stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    /// Yosys JSON or structural Verilog file.
    pub file: std::path::PathBuf,
}

/// Runs a netlist subcommand.
pub fn run(_c: NetlistCmd) -> Result<()> {
    bail!("tosim netlist: not implemented yet")
}

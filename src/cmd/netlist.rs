//! `tosim netlist …`: statistics and format conversion of netlist files.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tosim_netlist::import::{read_file_with, ImportOptions};
use tosim_netlist::library::Library;
use tosim_netlist::Netlist;

/// Netlist subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum NetlistCmd {
    /// Cells by type, transistors, nets, ports and depth of a netlist file.
    Stats(StatsArgs),
    /// Convert a netlist file to structural Verilog, a Verilog cell library, Yosys JSON or DOT.
    Export(ExportArgs),
}

/// Options shared by the netlist commands.
#[derive(clap::Args, Debug)]
pub struct Input {
    /// Yosys JSON (`write_json`) or structural Verilog file.
    pub file: PathBuf,
    /// Top module (default: the one module no other instantiates).
    #[arg(long)]
    pub top: Option<String>,
    /// Library binding: `textbook`, `sky130_hd`, or a binding file (TOML).
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Foundry cell folder for bindings such as `sky130_hd` (else $TOSIM_SKY130_HD).
    #[arg(long)]
    pub cells: Option<PathBuf>,
}

/// Arguments of `tosim netlist stats`.
#[derive(clap::Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub input: Input,
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
}

/// Output formats of `tosim netlist export`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Format {
    /// Structural Verilog.
    Verilog,
    /// Behavioural Verilog of every cell type used.
    Cells,
    /// Structural Verilog followed by the cell models (one file Icarus and Verilator run as is).
    VerilogAll,
    /// Yosys JSON.
    Json,
    /// Graphviz DOT.
    Dot,
}

/// Arguments of `tosim netlist export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: Input,
    /// Output format.
    #[arg(long, value_enum, default_value = "verilog-all")]
    pub format: Format,
    /// Output file (default: standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs a netlist subcommand.
pub fn run(c: NetlistCmd) -> Result<()> {
    match c {
        NetlistCmd::Stats(a) => stats(a),
        NetlistCmd::Export(a) => export(a),
    }
}

/// The library (explicitly named ones must load; the default may be absent).
fn library(input: &Input) -> Result<Library> {
    Library::named(&input.library, input.cells.as_deref())
        .with_context(|| format!("loading library `{}`", input.library))
}

fn read(input: &Input, lib: Option<&Library>) -> Result<Netlist> {
    read_netlist(&input.file, input.top.as_deref(), lib)
}

/// Reads a Yosys JSON or structural Verilog file (module `top`, default the
/// one no other instantiates); cell types `lib` knows (foundry cell names)
/// are resolved while reading.
pub fn read_netlist(file: &Path, top: Option<&str>, lib: Option<&Library>) -> Result<Netlist> {
    let resolver = |name: &str| lib.and_then(|l| l.cell_type(name));
    let opts = ImportOptions { top, cell_types: Some(&resolver) };
    read_file_with(file, &opts).with_context(|| format!("reading {}", file.display()))
}

fn stats(a: StatsArgs) -> Result<()> {
    let lib = library(&a.input)?;
    let n = read(&a.input, Some(&lib))?;
    // The same statistics as `tosim units --costs` (one stage-depth rule).
    let s = tosim_table::statics::unit_stats(&n, &lib)
        .with_context(|| format!("binding {} to library `{}`", a.input.file.display(), lib.name()))?;
    let text = if a.json { serde_json::to_string_pretty(&s)? + "\n" } else { s.to_text() };
    stdout(text.as_bytes())
}

fn export(a: ExportArgs) -> Result<()> {
    // The library only serves to resolve foundry cell names; it is optional here.
    let lib = library(&a.input).ok();
    let n = read(&a.input, lib.as_ref())?;
    let mut buf = Vec::new();
    use tosim_netlist::export as x;
    match a.format {
        Format::Verilog => x::write_verilog(&n, &mut buf)?,
        Format::Cells => x::write_cell_library_verilog(&n, &mut buf)?,
        Format::VerilogAll => {
            x::write_verilog(&n, &mut buf)?;
            x::write_cell_library_verilog(&n, &mut buf)?;
        }
        Format::Json => x::write_json(&n, &mut buf)?,
        Format::Dot => x::write_dot(&n, &mut buf)?,
    }
    match &a.output {
        Some(p) => write_file(p, &buf)?,
        None => stdout(&buf)?,
    }
    Ok(())
}

fn write_file(p: &Path, data: &[u8]) -> Result<()> {
    std::fs::write(p, data).with_context(|| format!("writing {}", p.display()))
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn stdout(data: &[u8]) -> Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(data) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

//! The `tosim` command: transistor-operation counts for gate-level units.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod cmd;

/// Count the transistors an arithmetic unit has and the ones that switch.
#[derive(Parser, Debug)]
#[command(name = "tosim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse transistor-level cells: functions, transistor counts, gate loads.
    Cells(cmd::cells::Args),
    /// Netlist tools (statistics).
    #[command(subcommand)]
    Netlist(cmd::netlist::NetlistCmd),
    /// List the unit generators.
    Units(cmd::units::ListArgs),
    /// Generate, evaluate or simulate one unit.
    #[command(subcommand)]
    Unit(UnitCmd),
    /// Simulate a netlist file on an operand stream and count switching transistors.
    Sim(cmd::sim::SimArgs),
    /// Compare unit architectures side by side on the same stream.
    Compare(cmd::table::CompareArgs),
    /// Per-primitive cost table: static and switching TOs per operation.
    Table(cmd::table::TableArgs),
    /// Run a trained network on gate-level units, neuron by neuron, and count TOs.
    Net(cmd::net::NetArgs),
    /// Add the shard reports of `tosim net --shard i/n` into the report of the whole run.
    Merge(cmd::net::MergeArgs),
    /// Generate a set of feed-forward models and write one row of counts per model.
    Sweep(cmd::net::SweepArgs),
    /// Transistor-level ngspice decks of units bound to foundry cells.
    #[command(subcommand)]
    Spice(cmd::spice::SpiceCmd),
    /// Validate TO counts against an external truth (ngspice energy).
    #[command(subcommand)]
    Validate(cmd::spice::ValidateCmd),
    /// Fit measured energy on report fields (TOs, FLOPs, static TOs): E = a·x + b, cross-validated.
    Fit(cmd::spice::FitArgs),
    /// Draw an SVG figure (scatter, line, histogram, box) from columns of a CSV file.
    Plot(cmd::plot::PlotArgs),
    /// Studies that regenerate the figures of the docs (`study activity`: operand dependence).
    #[command(subcommand)]
    Study(cmd::study::StudyCmd),
}

#[derive(Subcommand, Debug)]
enum UnitCmd {
    /// Write a generated unit as Verilog, Yosys JSON or DOT.
    Export(cmd::units::ExportArgs),
    /// Evaluate a generated unit on the operations in a file.
    Eval(cmd::units::EvalArgs),
    /// Simulate a generated unit and count switching transistors.
    Sim(cmd::sim::UnitSimArgs),
}

fn main() {
    // Rust ignores SIGPIPE, so printing into a closed pipe (`tosim table | head`)
    // would panic; the default action ends the process quietly, as for any Unix tool.
    #[cfg(unix)]
    // SAFETY: called before any other thread exists; SIG_DFL is a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // The engines allocate per-operation buffers of a few MB per run; glibc
    // would give each back to the kernel and fault in fresh zeroed pages for
    // the next (a fifth of a network run's time, measured with perf). Keep
    // freed memory in the heap for reuse instead.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Cells(a) => cmd::cells::run(a),
        Command::Netlist(c) => cmd::netlist::run(c),
        Command::Units(a) => cmd::units::list(a),
        Command::Unit(UnitCmd::Export(a)) => cmd::units::export(a),
        Command::Unit(UnitCmd::Eval(a)) => cmd::units::eval(a),
        Command::Unit(UnitCmd::Sim(a)) => cmd::sim::unit_sim(a),
        Command::Sim(a) => cmd::sim::sim(a),
        Command::Compare(a) => cmd::table::compare(a),
        Command::Table(a) => cmd::table::table(a),
        Command::Net(a) => cmd::net::run(a),
        Command::Merge(a) => cmd::net::merge(a),
        Command::Sweep(a) => cmd::net::sweep(a),
        Command::Spice(cmd::spice::SpiceCmd::Export(a)) => cmd::spice::export(a),
        Command::Validate(cmd::spice::ValidateCmd::Spice(a)) => cmd::spice::validate(a),
        Command::Fit(a) => cmd::spice::fit(a),
        Command::Plot(a) => cmd::plot::run(a),
        Command::Study(c) => cmd::study::run(c),
    }
}

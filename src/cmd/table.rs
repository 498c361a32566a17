//! `tosim compare` and `tosim table`: arguments and printing; the rows come
//! from [`tosim_table::compare`] and [`tosim_table::table`].

use std::path::PathBuf;

use anyhow::Result;
use tosim_table::compare::{compare as compare_rows, compare_text};
use tosim_table::spec::{float_format, ArchSweep};
use tosim_table::table::{items, table as table_rows, table_csv, table_text, TableOptions};
use tosim_units::float::Format as FloatFormat;

use super::sim::{library, write_json, DelayArg, StreamArgs};

/// Arguments of `tosim compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// Unit kind (integer, or float: fadd, fsub, fmul, fdiv, fsqrt, fcmp, fmin, fmax, itof, ftoi).
    #[arg(long)]
    pub kind: String,
    /// Operand width (integer kinds; itof/ftoi: the integer width).
    #[arg(long)]
    pub width: Option<u32>,
    /// Float format of float kinds: binary32 (default), binary16, bfloat16.
    #[arg(long)]
    pub format: Option<String>,
    /// `all` or a comma-separated list of architectures (float kinds: of the
    /// multiplier of fmul, the root of fsqrt, the adder of the others).
    #[arg(long, default_value = "all")]
    pub arch: String,
    /// Signed operands.
    #[arg(long)]
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots.
    #[arg(long)]
    pub final_adder: Option<String>,
    /// Also run the glitch engine (unit delay unless --delay says otherwise).
    #[arg(long)]
    pub glitch: bool,
    #[command(flatten)]
    pub stream: StreamArgs,
    /// Library binding (see `tosim sim --help`).
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Directory with foundry cell SPICE.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Delay model for --glitch: `unit` or `effort`.
    #[arg(long, value_enum, default_value = "unit")]
    pub delay: DelayArg,
    /// Write JSON to this file (`-` for standard output) instead of the table.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Arguments of `tosim table`.
#[derive(clap::Args, Debug)]
pub struct TableArgs {
    /// What to tabulate: integer kinds (every architecture), float kinds
    /// (fadd … ftoi, default architectures, per --formats), micro-programs
    /// (exp, sigmoid, tanh, silu, gelu, rsqrt, softmax), or the groups
    /// `float` (fadd fsub fmul fdiv fsqrt fcmp fmin fmax) and `programs`.
    #[arg(long, default_value = "add,mul,div,sqrt", value_delimiter = ',')]
    pub kinds: Vec<String>,
    /// Operand widths of integer kinds.
    #[arg(long, default_value = "8,16,32", value_delimiter = ',')]
    pub widths: Vec<u32>,
    /// Formats of float kinds and micro-programs.
    #[arg(long, default_value = "binary16,bfloat16,binary32", value_delimiter = ',')]
    pub formats: Vec<String>,
    /// Operations per stream (units).
    #[arg(long, default_value_t = 10_000)]
    pub count: u64,
    /// Evaluations per stream (micro-programs).
    #[arg(long, default_value_t = 1_000)]
    pub program_count: u64,
    /// Inputs of `softmax`.
    #[arg(long, default_value_t = 10)]
    pub softmax_len: usize,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Library binding.
    #[arg(long, default_value = "textbook")]
    pub library: String,
    /// Directory with foundry cell SPICE.
    #[arg(long)]
    pub cells: Option<PathBuf>,
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
    /// Emit CSV.
    #[arg(long)]
    pub csv: bool,
}

/// Runs `tosim compare`.
pub fn compare(a: CompareArgs) -> Result<()> {
    let sweep = ArchSweep {
        kind: &a.kind,
        width: a.width,
        format: a.format.as_deref(),
        archs: (a.arch != "all").then(|| a.arch.split(',').collect()),
        signed: a.signed,
        final_adder: a.final_adder.as_deref(),
    };
    let specs = sweep.specs()?;
    let lib = library(&a.library, a.cells.as_deref())?;
    let rows = compare_rows(&specs, lib.as_ref(), &a.stream.spec(), a.glitch.then(|| a.delay.into()))?;
    match &a.json {
        Some(p) => write_json(p, &rows),
        None => {
            print!("{}", compare_text(&rows));
            Ok(())
        }
    }
}

/// Runs `tosim table`.
pub fn table(a: TableArgs) -> Result<()> {
    let formats: Vec<FloatFormat> = a.formats.iter().map(|s| float_format(s.trim())).collect::<Result<_, _>>()?;
    let lib = library(&a.library, a.cells.as_deref())?;
    let opts = TableOptions {
        widths: a.widths.clone(),
        formats,
        count: a.count,
        program_count: a.program_count,
        softmax_len: a.softmax_len,
        seed: a.seed,
    };
    let rows = table_rows(&items(&a.kinds)?, &opts, lib.as_ref())?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if a.csv {
        print!("{}", table_csv(&rows));
    } else {
        print!("{}", table_text(&rows));
    }
    Ok(())
}

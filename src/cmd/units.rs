//! `tosim units`, `tosim unit export`, `tosim unit eval`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tosim_netlist::library::Library;
use tosim_sim::{HwUnit, Recorded};
use tosim_table::listing::{float_list, unit_list_text};
use tosim_table::spec::{AnySpec, UnitRequest};
use tosim_table::statics::CostTable;
use tosim_units::{registry, Kind, UnitSpec};

/// Arguments of `tosim units`.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Emit JSON.
    #[arg(long)]
    pub json: bool,
    /// Instead of the list, a static cost table: cells, transistors and depth
    /// of every unit at the widths given by --widths.
    #[arg(long)]
    pub costs: bool,
    /// Widths of the cost table, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "8,16,32")]
    pub widths: Vec<u32>,
    /// Library bindings for transistor counts and CMOS stages: `textbook`
    /// (embedded) or a binding file (TOML); repeat for one column pair per
    /// library. Default: textbook.
    #[arg(long)]
    pub library: Vec<String>,
    /// Directory holding the library's foundry SPICE files.
    #[arg(long)]
    pub cells_dir: Option<PathBuf>,
    /// Only units of this kind (cost table).
    #[arg(long)]
    pub kind: Option<String>,
}

/// Which unit: shared by `unit export`, `unit eval`, `unit sim` (and `spice export`).
#[derive(clap::Args, Debug, Clone)]
pub struct UnitArgs {
    /// Kind: add, sub, neg, abs, cmp, max, relu, shl, shr, sar, lzc, mul, div, sqrt;
    /// floating point: fadd, fsub, fmul, fdiv, fsqrt, fcmp, fmin, fmax, itof, ftoi.
    #[arg(long)]
    pub kind: String,
    /// Architecture (see `tosim units`). Float kinds: the significand
    /// multiplier of `fmul` (default dadda), the square root of `fsqrt`
    /// (default non-restoring), the adder of every other kind (default kogge-stone).
    #[arg(long)]
    pub arch: Option<String>,
    /// Operand width n (integer kinds; `itof`/`ftoi`: the integer width 8, 16
    /// or 32, default 32; other float kinds take theirs from --format).
    #[arg(long)]
    pub width: Option<u32>,
    /// Two's-complement operands.
    #[arg(long)]
    pub signed: bool,
    /// Adder inside multipliers, dividers and square roots (any adder arch);
    /// float kinds: every carry-propagate adder inside.
    #[arg(long)]
    pub final_adder: Option<String>,
    /// Float format of float kinds: binary32 (default), binary16, bfloat16.
    /// (`unit export` also takes verilog, json or dot here, the old spelling of --emit.)
    #[arg(long)]
    pub format: Option<String>,
}

/// Export formats.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    /// Structural Verilog followed by a behavioural module per cell type (simulates as is).
    Verilog,
    /// Yosys JSON.
    Json,
    /// Graphviz DOT.
    Dot,
}

impl Emit {
    /// The export format `--format` names in its old spelling (`verilog`, `json`, `dot`).
    fn legacy(s: Option<&str>) -> Option<Emit> {
        clap::ValueEnum::from_str(s?, false).ok()
    }

    /// The format a file name's extension implies (`.json`, `.dot`/`.gv`, `.v`/`.sv`).
    fn from_path(p: &Path) -> Option<Emit> {
        match p.extension()?.to_str()? {
            "json" => Some(Emit::Json),
            "dot" | "gv" => Some(Emit::Dot),
            "v" | "sv" => Some(Emit::Verilog),
            _ => None,
        }
    }
}

/// Arguments of `tosim unit export`.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Output format: verilog, json or dot. Default: from the extension of
    /// -o (`.json`, `.dot`/`.gv`, `.v`/`.sv`), else verilog.
    #[arg(long, value_enum)]
    pub emit: Option<Emit>,
    /// Output file (standard output when omitted).
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

/// Arguments of `tosim unit eval`.
#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    #[command(flatten)]
    pub unit: UnitArgs,
    /// Operations, one per line: operands in input-port order, decimal or 0x
    /// hex, separated by spaces or commas; `#` starts a comment.
    #[arg(long)]
    pub stream: PathBuf,
    /// Print outputs in hex (0x…) instead of decimal (float units: always hex).
    #[arg(long)]
    pub hex: bool,
}

impl UnitArgs {
    /// The integer spec these arguments name (an error for float kinds).
    pub fn spec(&self) -> Result<UnitSpec> {
        match self.any_spec()? {
            AnySpec::Int(s) => Ok(s),
            AnySpec::Float(s) => bail!("`{}` is a floating-point unit; this command takes integer units only", s.kind),
        }
    }

    /// The integer or float spec these arguments name (`--format verilog|json|dot`
    /// is the old `--emit` of `unit export`, not a float format).
    pub fn any_spec(&self) -> Result<AnySpec> {
        let format = self.format.as_deref().filter(|f| Emit::legacy(Some(f)).is_none());
        let req = UnitRequest {
            kind: &self.kind,
            arch: self.arch.as_deref(),
            width: self.width,
            signed: self.signed,
            final_adder: self.final_adder.as_deref(),
            format,
        };
        Ok(req.resolve()?)
    }
}

/// Runs `tosim units`.
pub fn list(a: ListArgs) -> Result<()> {
    if a.costs {
        return costs(&a);
    }
    let out = if a.json {
        // Integer entries as tosim-units describes them, then one entry per float kind.
        let mut v: Vec<serde_json::Value> = registry().iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
        v.extend(float_list().into_iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>()?);
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        unit_list_text()
    };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// Runs `tosim unit export`.
pub fn export(a: ExportArgs) -> Result<()> {
    let legacy = Emit::legacy(a.unit.format.as_deref());
    if let (Some(e), Some(l)) = (a.emit, legacy) {
        if e != l {
            bail!("--emit {e:?} and --format {l:?} disagree (--format verilog|json|dot is the old spelling of --emit)");
        }
    }
    let emit = a.emit.or(legacy).or_else(|| a.output.as_deref().and_then(Emit::from_path)).unwrap_or(Emit::Verilog);
    let n = a.unit.any_spec()?.generate()?;
    let mut buf: Vec<u8> = Vec::new();
    match emit {
        Emit::Verilog => {
            tosim_netlist::export::write_verilog(&n, &mut buf)?;
            tosim_netlist::export::write_cell_library_verilog(&n, &mut buf)?;
        }
        Emit::Json => tosim_netlist::export::write_json(&n, &mut buf)?,
        Emit::Dot => tosim_netlist::export::write_dot(&n, &mut buf)?,
    }
    match &a.output {
        Some(p) => std::fs::write(p, &buf).with_context(|| format!("writing {}", p.display()))?,
        None => std::io::stdout().write_all(&buf)?,
    }
    Ok(())
}

/// Runs `tosim unit eval`: the operations of the file through the unit's
/// compiled program (batch evaluation, [`HwUnit::eval_stream`]).
pub fn eval(a: EvalArgs) -> Result<()> {
    let spec = a.unit.any_spec()?;
    let u = HwUnit::abstract_cells(spec.generate()?)?;
    let text = std::fs::read_to_string(&a.stream).with_context(|| format!("reading {}", a.stream.display()))?;
    let ops = Recorded::parse(text.as_bytes(), &a.stream.display().to_string(), u.program().input_widths())?;
    let y = u.eval_stream(&ops);
    // Float units print IEEE bit patterns, always in hex.
    let hex = a.hex || matches!(spec, AnySpec::Float(_));
    let mut out = String::new();
    for op in (0..y.len()).filter_map(|i| y.get(i)) {
        let cols: Vec<String> = op.iter().map(|v| if hex { format!("{v:#x}") } else { v.to_string() }).collect();
        out.push_str(&cols.join(" "));
        out.push('\n');
    }
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

/// `tosim units --costs`: the static cost table.
fn costs(a: &ListArgs) -> Result<()> {
    let names: Vec<String> = if a.library.is_empty() { vec!["textbook".into()] } else { a.library.clone() };
    let mut libs = Vec::new();
    for name in &names {
        let lib = if name == "textbook" {
            Library::textbook()
        } else {
            Library::load(Path::new(name), a.cells_dir.as_deref())
        };
        libs.push(lib.with_context(|| format!("library {name}"))?);
    }
    let kind = match &a.kind {
        Some(k) => Some(Kind::from_name(k).with_context(|| format!("unknown kind `{k}`"))?),
        None => None,
    };
    let t = CostTable::new(&a.widths, kind, &libs)?;
    let out = if a.json { serde_json::to_string_pretty(&t.to_json())? + "\n" } else { t.to_markdown() };
    std::io::stdout().write_all(out.as_bytes())?;
    Ok(())
}

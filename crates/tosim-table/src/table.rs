//! `tosim table`: static and switching TOs per operation of integer units
//! (every architecture), float units (default architectures) and
//! micro-programs, each on uniform, Gaussian and (float) post-ReLU streams.

use std::fmt::Write as _;

use serde::Serialize;
use thiserror::Error;
use tosim_netlist::library::Library;
use tosim_sim::{Distribution, Generated, HwUnit, HwUnitError, Options};
use tosim_units::float::{FloatError, FloatKind, FloatSpec, Format};
use tosim_units::{Kind, UnitError, UnitSpec};

use crate::spec::{float_role, kind, SpecError};
use crate::{program_costs, static_tos, switching_tos, CostError, FloatDist, ProgramCost};

/// Why a table could not be made.
#[derive(Debug, Error)]
pub enum TableError {
    /// An unknown kind or program.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// An integer unit could not be generated.
    #[error(transparent)]
    Unit(#[from] UnitError),
    /// A float unit could not be generated.
    #[error(transparent)]
    Float(#[from] FloatError),
    /// A unit could not be bound or compiled.
    #[error(transparent)]
    Bind(#[from] HwUnitError),
    /// A cost could not be computed (boxed: it is large).
    #[error(transparent)]
    Cost(Box<CostError>),
}

impl From<CostError> for TableError {
    fn from(e: CostError) -> Self {
        TableError::Cost(Box::new(e))
    }
}

/// The micro-programs `tosim table` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Program {
    /// eˣ.
    Exp,
    /// 1 / (1 + e⁻ˣ).
    Sigmoid,
    /// tanh x.
    Tanh,
    /// x · sigmoid(x).
    Silu,
    /// GELU.
    Gelu,
    /// 1 / √x.
    Rsqrt,
    /// Softmax over `softmax_len` inputs.
    Softmax,
}

impl Program {
    /// Every program, in table order.
    pub const ALL: [Program; 7] =
        [Program::Exp, Program::Sigmoid, Program::Tanh, Program::Silu, Program::Gelu, Program::Rsqrt, Program::Softmax];

    /// Stable name.
    pub fn name(self) -> &'static str {
        match self {
            Program::Exp => "exp",
            Program::Sigmoid => "sigmoid",
            Program::Tanh => "tanh",
            Program::Silu => "silu",
            Program::Gelu => "gelu",
            Program::Rsqrt => "rsqrt",
            Program::Softmax => "softmax",
        }
    }

    /// The program called `s`.
    pub fn from_name(s: &str) -> Option<Program> {
        Program::ALL.into_iter().find(|p| p.name() == s)
    }

    /// The micro-program in format `f` (`softmax` over `softmax_len` inputs).
    pub fn build(self, f: Format, softmax_len: usize) -> tosim_micro::MicroProgram {
        use tosim_micro as micro;
        match self {
            Program::Exp => micro::exp(f),
            Program::Sigmoid => micro::sigmoid(f),
            Program::Tanh => micro::tanh(f),
            Program::Silu => micro::silu(f),
            Program::Gelu => micro::gelu(f),
            Program::Rsqrt => micro::rsqrt(f),
            Program::Softmax => micro::softmax(f, softmax_len),
        }
    }
}

/// One entry of `--kinds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// Every architecture of an integer kind, at every width.
    Int(Kind),
    /// A float kind at its default architectures, in every format.
    Float(FloatKind),
    /// A micro-program in every format.
    Program(Program),
}

/// The items `names` list: kinds, programs, and the groups `float` (every
/// float kind but the conversions) and `programs`.
pub fn items(names: &[String]) -> Result<Vec<Item>, SpecError> {
    let mut v = Vec::new();
    for ks in names {
        match ks.trim() {
            "float" => v.extend(FloatKind::ALL.iter().filter(|k| !k.is_conversion()).map(|&k| Item::Float(k))),
            "programs" => v.extend(Program::ALL.map(Item::Program)),
            k => v.push(match (FloatKind::from_name(k), Program::from_name(k)) {
                (Some(fk), _) => Item::Float(fk),
                (None, Some(p)) => Item::Program(p),
                (None, None) => Item::Int(kind(k)?),
            }),
        }
    }
    Ok(v)
}

/// The streams and sizes of a table.
#[derive(Clone, Debug)]
pub struct TableOptions {
    /// Operand widths of integer kinds.
    pub widths: Vec<u32>,
    /// Formats of float kinds and micro-programs.
    pub formats: Vec<Format>,
    /// Operations per stream (units).
    pub count: u64,
    /// Evaluations per stream (micro-programs).
    pub program_count: u64,
    /// Inputs of `softmax`.
    pub softmax_len: usize,
    /// Seed.
    pub seed: u64,
}

/// One row of `tosim table`.
#[derive(Serialize, Debug, Clone)]
pub struct TableRow {
    /// Integer kind, float kind or micro-program name.
    pub kind: String,
    /// Architecture (float: of the multiplier, root or adders; programs: `-`).
    pub arch: String,
    /// Float format (float units and programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Operand width in bits.
    pub width: u32,
    /// Design name (programs: program name).
    pub design: String,
    /// Transistors (programs: Σ over steps of the step's unit).
    pub transistors: u64,
    /// Static TOs per operation (= transistors).
    pub static_tos: u64,
    /// Unit operations per evaluation (programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_ops: Option<usize>,
    /// Switching TOs per operation on the uniform stream.
    pub switching_tos_uniform: f64,
    /// Switching TOs per operation on the Gaussian stream.
    pub switching_tos_gaussian: f64,
    /// σ of the Gaussian stream (integers: of the integer values; float: of the values).
    pub gaussian_sigma: f64,
    /// Post-ReLU activation × weight stream (float units and programs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub switching_tos_relu: Option<f64>,
}

/// The rows of `items` with cells bound to `lib` (synthetic models without one).
pub fn table(items: &[Item], o: &TableOptions, lib: Option<&Library>) -> Result<Vec<TableRow>, TableError> {
    let mut rows = Vec::new();
    for &it in items {
        match it {
            Item::Float(fk) => {
                for &f in &o.formats {
                    rows.push(float_row(o, fk, f, lib)?);
                }
            }
            Item::Program(p) => {
                for &f in &o.formats {
                    rows.push(program_row(o, p, f, lib)?);
                }
            }
            Item::Int(k) => int_rows(o, k, lib, &mut rows)?,
        }
    }
    Ok(rows)
}

/// Integer rows: every architecture of `k` at every width.
fn int_rows(o: &TableOptions, k: Kind, lib: Option<&Library>, rows: &mut Vec<TableRow>) -> Result<(), TableError> {
    for &w in &o.widths {
        for info in tosim_units::registry().iter().filter(|i| i.kind == k) {
            if w < info.min_width || w > info.max_width {
                continue;
            }
            let sp = UnitSpec::new(k, info.arch, w);
            if sp.check().is_err() {
                continue;
            }
            let u = HwUnit::new(tosim_units::generate(&sp)?, lib)?;
            let ws = u.program().input_widths().to_vec();
            let opts = Options { per_op_stats: false, ..Options::default() };
            let uni = Generated::uniform(&ws, o.count, o.seed);
            // Gaussian operands with σ = 2^(w/2): magnitudes use about half the bits.
            let sigma = 2f64.powf(w as f64 / 2.0);
            let gau = uni.clone().with_distribution(Distribution::Gaussian { sigma });
            let ru = u.report(&u.count(&uni, &opts), false);
            let rg = u.report(&u.count(&gau, &opts), false);
            let ops = o.count.max(1) as f64;
            rows.push(TableRow {
                kind: k.name().into(),
                arch: info.arch.name().into(),
                format: None,
                width: w,
                design: sp.design_name(),
                transistors: u.transistors(),
                static_tos: u.transistors(),
                unit_ops: None,
                switching_tos_uniform: ru.switching_tos as f64 / ops,
                switching_tos_gaussian: rg.switching_tos as f64 / ops,
                gaussian_sigma: sigma,
                switching_tos_relu: None,
            });
        }
    }
    Ok(())
}

/// The three float streams of the table: uniform bit patterns, N(0, 1), post-ReLU × weight.
const FLOAT_DISTS: [FloatDist; 3] =
    [FloatDist::Uniform, FloatDist::Gaussian { sigma: 1.0 }, FloatDist::Relu { sigma: 1.0 }];

/// A float unit row (default architectures).
fn float_row(o: &TableOptions, k: FloatKind, f: Format, lib: Option<&Library>) -> Result<TableRow, TableError> {
    let sp = FloatSpec::new(k, f);
    let n = tosim_units::float::generate(&sp)?;
    let ports = n.inputs().len();
    let widths: Vec<u32> = n.inputs().iter().map(|b| b.width() as u32).collect();
    let mut sw = [0f64; 3];
    for (i, d) in FLOAT_DISTS.iter().enumerate() {
        let ops = if k == FloatKind::IntToFloat {
            // Integer input: uniform bits, N(0, 2^(n/2)), ReLU of that.
            let g = Generated::uniform(&widths, o.count, o.seed + i as u64);
            let sigma = 2f64.powf(sp.int_width as f64 / 2.0);
            let g = if i == 0 { g } else { g.with_distribution(Distribution::Gaussian { sigma }) };
            let relu = |v: u128| if i == 2 && v >> (sp.int_width - 1) & 1 == 1 { 0 } else { v };
            (0..o.count).map(|j| vec![relu(g.value(j, 0))]).collect()
        } else {
            d.operands(f, ports, o.count as usize, o.seed + i as u64)
        };
        sw[i] = switching_tos(&n, lib, &ops)? as f64 / o.count.max(1) as f64;
    }
    let t = static_tos(&n, lib)?;
    Ok(TableRow {
        kind: k.name().into(),
        arch: float_role(k).0.arch_of(&sp).name().into(),
        format: Some(f.name().into()),
        width: f.width(),
        design: sp.design_name(),
        transistors: t,
        static_tos: t,
        unit_ops: None,
        switching_tos_uniform: sw[0],
        switching_tos_gaussian: sw[1],
        gaussian_sigma: 1.0,
        switching_tos_relu: Some(sw[2]),
    })
}

/// A micro-program row: static TOs and switching TOs per evaluation
/// (see [`program_costs`]); every input drawn independently from each stream.
fn program_row(o: &TableOptions, p: Program, f: Format, lib: Option<&Library>) -> Result<TableRow, TableError> {
    let prog = p.build(f, o.softmax_len);
    let k = prog.inputs.len();
    let evals = o.program_count.max(1) as usize;
    let mut sw = [0f64; 3];
    let mut cost = ProgramCost::default();
    for (i, d) in FLOAT_DISTS.iter().enumerate() {
        let vals = d.operands(f, 1, evals * k, o.seed + i as u64);
        let inputs: Vec<Vec<u128>> = vals.chunks(k).map(|c| c.iter().map(|v| v[0]).collect()).collect();
        cost = program_costs(&prog, lib, &inputs)?;
        sw[i] = cost.switching_tos;
    }
    Ok(TableRow {
        kind: p.name().into(),
        arch: "-".into(),
        format: Some(f.name().into()),
        width: f.width(),
        design: prog.name.clone(),
        transistors: cost.static_tos,
        static_tos: cost.static_tos,
        unit_ops: Some(cost.unit_ops.values().sum()),
        switching_tos_uniform: sw[0],
        switching_tos_gaussian: sw[1],
        gaussian_sigma: 1.0,
        switching_tos_relu: Some(sw[2]),
    })
}

/// The rows as CSV (header first).
pub fn table_csv(rows: &[TableRow]) -> String {
    let mut o = String::from(
        "kind,arch,format,width,design,transistors,static_tos,unit_ops,switching_tos_uniform,\
         switching_tos_gaussian,gaussian_sigma,switching_tos_relu\n",
    );
    for r in rows {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{:.3},{:.3},{},{}",
            r.kind,
            r.arch,
            r.format.as_deref().unwrap_or(""),
            r.width,
            r.design,
            r.transistors,
            r.static_tos,
            r.unit_ops.map(|u| u.to_string()).unwrap_or_default(),
            r.switching_tos_uniform,
            r.switching_tos_gaussian,
            r.gaussian_sigma,
            r.switching_tos_relu.map(|v| format!("{v:.3}")).unwrap_or_default()
        );
    }
    o
}

/// The rows as a text table.
pub fn table_text(rows: &[TableRow]) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "{:<8} {:<16} {:<9} {:>5} {:>11} {:>14} {:>15} {:>15}",
        "kind", "arch", "format", "width", "static TOs", "switching/op U", "switching/op G", "switching/op R"
    );
    for r in rows {
        let relu = r.switching_tos_relu.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"));
        let _ = writeln!(
            o,
            "{:<8} {:<16} {:<9} {:>5} {:>11} {:>14.1} {:>15.1} {:>15}",
            r.kind,
            r.arch,
            r.format.as_deref().unwrap_or("-"),
            r.width,
            r.static_tos,
            r.switching_tos_uniform,
            r.switching_tos_gaussian,
            relu
        );
    }
    o
}

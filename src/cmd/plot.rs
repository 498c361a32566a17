//! `tosim plot`: an SVG figure from columns of a CSV file (tosim-plot).

use std::path::PathBuf;

use anyhow::{Context, Result};
use tosim_plot::{BoxPlot, Histogram, Kind, Plot, Table};

/// `--kind` of `tosim plot`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlotKind {
    /// Points.
    Scatter,
    /// Points joined, sorted by x.
    Line,
    /// Histogram of one column.
    Hist,
    /// Box plots of one column per group.
    Box,
}

impl std::fmt::Display for PlotKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PlotKind::Scatter => "scatter",
            PlotKind::Line => "line",
            PlotKind::Hist => "hist",
            PlotKind::Box => "box",
        })
    }
}

/// Arguments of `tosim plot`.
#[derive(clap::Args, Debug)]
pub struct PlotArgs {
    /// CSV file with a header row (e.g. from `tosim unit sim --per-op`, `tosim net --csv`).
    pub csv: PathBuf,
    /// Column on the x axis (`hist`: the column whose values are binned).
    #[arg(long)]
    pub x: Option<String>,
    /// Column on the y axis (`box`: the column summarised).
    #[arg(long)]
    pub y: Option<String>,
    /// Column whose text splits the rows into named series (or boxes).
    #[arg(long)]
    pub group: Option<String>,
    /// `scatter`, `line` (points sorted by x), `hist` or `box`.
    #[arg(long, value_enum, default_value_t = PlotKind::Scatter)]
    pub kind: PlotKind,
    /// Logarithmic x axis (scatter, line).
    #[arg(long)]
    pub log_x: bool,
    /// Logarithmic y axis.
    #[arg(long)]
    pub log_y: bool,
    /// Title (default: the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// x axis label (default: the column name).
    #[arg(long)]
    pub xlabel: Option<String>,
    /// y axis label (default: the column name).
    #[arg(long)]
    pub ylabel: Option<String>,
    /// Bins of `hist`.
    #[arg(long, default_value_t = 40)]
    pub bins: usize,
    /// Image width and height in pixels.
    #[arg(long, default_value = "720x420")]
    pub size: String,
    /// Output SVG file.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
}

fn size(s: &str) -> Result<(f64, f64)> {
    let (w, h) = s.split_once('x').with_context(|| format!("--size {s}: expected WIDTHxHEIGHT"))?;
    let p = |v: &str| v.trim().parse::<f64>().with_context(|| format!("--size {s}: `{v}` is not a number"));
    Ok((p(w)?, p(h)?))
}

/// Runs `tosim plot`.
pub fn run(a: PlotArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.csv).with_context(|| format!("reading {}", a.csv.display()))?;
    let t = Table::parse(&text, &a.csv.display().to_string())?;
    let title = a
        .title
        .clone()
        .unwrap_or_else(|| a.csv.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
    let (w, h) = size(&a.size)?;
    let need = |c: &Option<String>, flag: &str| -> Result<String> {
        c.clone().with_context(|| format!("--kind {} needs {flag} COLUMN", a.kind))
    };
    let svg = match a.kind {
        PlotKind::Scatter | PlotKind::Line => {
            let (x, y) = (need(&a.x, "--x")?, need(&a.y, "--y")?);
            let kind = if a.kind == PlotKind::Line { Kind::Line } else { Kind::Scatter };
            let mut p = Plot::new(&title, a.xlabel.as_deref().unwrap_or(&x), a.ylabel.as_deref().unwrap_or(&y))
                .kind(kind)
                .size(w, h);
            for (name, mut pts) in t.xy_groups(&x, &y, a.group.as_deref())? {
                if kind == Kind::Line {
                    pts.sort_by(|p, q| p.0.total_cmp(&q.0));
                }
                p = p.series(&name, &pts);
            }
            if a.log_x {
                p = p.log_x();
            }
            if a.log_y {
                p = p.log_y();
            }
            p.to_svg()
        }
        PlotKind::Hist => {
            let x = need(&a.x, "--x")?;
            let mut p = Histogram::new(&title, a.xlabel.as_deref().unwrap_or(&x)).bins(a.bins).size(w, h);
            // Group by pairing the column with itself, then keep the values.
            for (name, pts) in t.xy_groups(&x, &x, a.group.as_deref())? {
                let v: Vec<f64> = pts.iter().map(|p| p.0).collect();
                p = p.series(&name, &v);
            }
            if a.log_y {
                p = p.log_y();
            }
            p.to_svg()
        }
        PlotKind::Box => {
            let y = need(&a.y, "--y")?;
            let mut p = BoxPlot::new(&title, a.ylabel.as_deref().unwrap_or(&y)).size(w, h);
            for (name, pts) in t.xy_groups(&y, &y, a.group.as_deref())? {
                let v: Vec<f64> = pts.iter().map(|p| p.0).collect();
                p = p.group(if name.is_empty() { &y } else { &name }, &v);
            }
            if a.log_y {
                p = p.log_y();
            }
            p.to_svg()
        }
    };
    std::fs::write(&a.output, svg).with_context(|| format!("writing {}", a.output.display()))?;
    Ok(())
}

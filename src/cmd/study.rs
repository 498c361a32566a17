//! `tosim study activity`: arguments and output of the operand-dependence
//! study of docs/activity.md (the study itself is tosim-study).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use tosim_netlist::library::Library;
use tosim_study::{Network, Study, UnitResult, DIGITS_DATA, DIGITS_MODEL};

/// Studies.
#[derive(clap::Subcommand, Debug)]
pub enum StudyCmd {
    /// Switching TOs against input Hamming distance, operand magnitude, σ and
    /// sparsity for adders, multipliers, dividers, int8/int32/fp32; variation
    /// per unit and per network layer. Writes the figures of docs/activity.md.
    Activity(ActivityArgs),
}

/// Arguments of `tosim study activity`.
#[derive(clap::Args, Debug)]
pub struct ActivityArgs {
    /// Operations per stream (the uniform stream; the other streams scale with it).
    #[arg(long, default_value_t = 20_000)]
    pub ops: u64,
    /// Seed of every generated stream.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Directory for the figures (activity-*.svg) and summary CSVs.
    #[arg(long, default_value = "docs/figures")]
    pub out: PathBuf,
    /// Also write one CSV per unit with every operation of the uniform stream
    /// (operands, Hamming distance, switching TOs, net toggles) into this directory.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Samples of the default digits network for the per-layer variation
    /// (0 skips the network; run from the repository root).
    #[arg(long, default_value_t = 450)]
    pub net_samples: usize,
    /// Write every number of the study as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Only units whose name contains this text (e.g. `mul8`).
    #[arg(long)]
    pub only: Option<String>,
}

/// Runs a study.
pub fn run(c: StudyCmd) -> Result<()> {
    match c {
        StudyCmd::Activity(a) => activity(a),
    }
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn activity(a: ActivityArgs) -> Result<()> {
    if a.ops < 16 {
        bail!(tosim_study::StudyError::TooFewOps(a.ops));
    }
    let t0 = std::time::Instant::now();
    let lib = Library::named("textbook", None).context("loading the textbook library")?;
    let units = tosim_study::units(&lib, a.only.as_deref())?;
    if units.is_empty() {
        bail!("--only {}: selects no unit", a.only.as_deref().unwrap_or(""));
    }
    if let Some(d) = &a.data {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    eprintln!("study: {} units built in {:.1} s", units.len(), t0.elapsed().as_secs_f64());
    let mut res: Vec<UnitResult> = Vec::with_capacity(units.len());
    for u in &units {
        let r = tosim_study::study_unit(u, a.ops, a.seed);
        if let Some(dir) = &a.data {
            let path = dir.join(format!("{}.csv", u.name.replace([' ', '+'], "-")));
            let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            r.write_data(u, &mut w).and_then(|()| w.flush()).with_context(|| format!("writing {}", path.display()))?;
        }
        res.push(r);
    }
    eprintln!("study: units simulated at {:.1} s", t0.elapsed().as_secs_f64());
    let net = if a.net_samples > 0 {
        let (model, data) = (Path::new(DIGITS_MODEL), Path::new(DIGITS_DATA));
        if !model.exists() || !data.exists() {
            bail!(
                "{} or {} not found: run from the repository root or use --net-samples 0",
                model.display(),
                data.display()
            );
        }
        tosim_study::network(model, data, a.net_samples)?
    } else {
        Network::default()
    };
    eprintln!("study: network done at {:.1} s", t0.elapsed().as_secs_f64());
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let mut figs = Vec::new();
    for (name, svg) in tosim_study::figures(&units, &res, &net, a.ops, a.seed) {
        write(&a.out.join(&name), &svg)?;
        figs.push(name);
    }
    write(&a.out.join("activity-units.csv"), &tosim_study::units_csv(&res))?;
    print!("{}", tosim_study::tables(&res, &net));
    println!();
    println!("figures in {}: {}", a.out.display(), figs.join(", "));
    if let Some(p) = &a.json {
        let st = Study { ops: a.ops, seed: a.seed, units: res, network: net, figures: figs };
        write(p, &(serde_json::to_string_pretty(&st)? + "\n"))?;
    }
    eprintln!("study: {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

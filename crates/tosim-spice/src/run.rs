//! Running ngspice on a deck and reading energy per operation, output
//! values and settling from its result files.

use std::path::Path;
use std::process::Command;

use crate::deck::{Deck, Probe};
use crate::SpiceError;

/// What one deck's run measured, per operation.
#[derive(Clone, Debug, Default)]
pub struct Measured {
    /// Supply names (column order of `energy`).
    pub supplies: Vec<String>,
    /// Which supplies count toward [`Measured::total`].
    pub counted: Vec<bool>,
    /// Energy drawn from each supply during each operation's period (J):
    /// `vdd · ∫ −i dt` over `[(j+1)·T, (j+2)·T)`.
    pub energy: Vec<Vec<f64>>,
    /// Energy of the initial period per supply (J).
    pub initial: Vec<f64>,
    /// Output values sampled at the end of each period, one per output bus.
    pub outputs: Vec<Vec<u128>>,
    /// Per operation: the largest distance of an output from its nearest rail
    /// at the sample, as a fraction of vdd (0 = at a rail, 0.5 = mid-rail).
    pub margin: Vec<f64>,
    /// Per operation: |average Σ counted supply current| (A) over the last
    /// `period / samples` of the period (leakage once settled).
    pub tail_current: Vec<f64>,
    /// Time points ngspice took.
    pub points: usize,
}

impl Measured {
    /// Energy of operation `j` from the counted supplies (J).
    pub fn total(&self, j: usize) -> f64 {
        self.energy[j].iter().zip(&self.counted).filter(|(_, &c)| c).map(|(e, _)| e).sum()
    }

    /// Appends another run's operations (a later chunk of the same stream).
    pub fn extend(&mut self, o: Measured) {
        if self.supplies.is_empty() {
            self.supplies = o.supplies;
            self.counted = o.counted;
            self.initial = o.initial;
        }
        self.energy.extend(o.energy);
        self.outputs.extend(o.outputs);
        self.margin.extend(o.margin);
        self.tail_current.extend(o.tail_current);
        self.points += o.points;
    }
}

/// A whitespace-separated numeric table with a header line.
struct Table {
    names: Vec<String>,
    rows: Vec<Vec<f64>>,
}

fn read_table(path: &Path) -> Result<Table, SpiceError> {
    let text = std::fs::read_to_string(path).map_err(|e| SpiceError::io(path, e))?;
    let file = path.display().to_string();
    let mut lines = text.lines().enumerate();
    let names: Vec<String> = match lines.next() {
        Some((_, h)) => h.split_whitespace().map(str::to_string).collect(),
        None => return Err(SpiceError::Parse { file, line: 1, msg: "empty file".into() }),
    };
    let mut rows = Vec::new();
    for (i, l) in lines {
        if l.trim().is_empty() {
            continue;
        }
        let row: Result<Vec<f64>, _> = l.split_whitespace().map(str::parse::<f64>).collect();
        match row {
            Ok(r) if r.len() == names.len() => rows.push(r),
            Ok(r) => {
                return Err(SpiceError::Parse {
                    file,
                    line: i + 1,
                    msg: format!("{} columns, header has {}", r.len(), names.len()),
                })
            }
            Err(source) => return Err(SpiceError::Number { file, line: i + 1, source }),
        }
    }
    Ok(Table { names, rows })
}

/// Cumulative trapezoidal integral of a piecewise-linear signal.
struct Integral<'a> {
    t: &'a [f64],
    y: Vec<f64>,
    c: Vec<f64>,
}

impl<'a> Integral<'a> {
    fn new(t: &'a [f64], y: Vec<f64>) -> Self {
        let mut c = vec![0.0; t.len()];
        for i in 1..t.len() {
            c[i] = c[i - 1] + (t[i] - t[i - 1]) * (y[i] + y[i - 1]) / 2.0;
        }
        Integral { t, y, c }
    }

    /// ∫ from t[0] to x.
    fn at(&self, x: f64) -> f64 {
        let t = self.t;
        if t.is_empty() {
            return 0.0;
        }
        // Last index with t[i] <= x.
        let i = t.partition_point(|&v| v <= x).saturating_sub(1);
        if i + 1 >= t.len() || x <= t[0] {
            return self.c[i];
        }
        let f = (x - t[i]) / (t[i + 1] - t[i]);
        let yx = self.y[i] + f * (self.y[i + 1] - self.y[i]);
        self.c[i] + (x - t[i]) * (self.y[i] + yx) / 2.0
    }
}

/// Runs `ngspice -b deck.sp` in `dir` (where [`Deck::write`] put the deck);
/// the log goes to `ngspice.log`.
pub fn run_ngspice(dir: &Path, ngspice: &str) -> Result<(), SpiceError> {
    let log = dir.join("ngspice.log");
    let out = std::fs::File::create(&log).map_err(|e| SpiceError::io(&log, e))?;
    let err = out.try_clone().map_err(|e| SpiceError::io(&log, e))?;
    let status =
        Command::new(ngspice).arg("-b").arg("deck.sp").current_dir(dir).stdout(out).stderr(err).status().map_err(
            |source| SpiceError::NgspiceStart { dir: dir.display().to_string(), ngspice: ngspice.to_string(), source },
        )?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let fatal = text.lines().any(|l| l.contains("fatal error") || l.starts_with("Error") || l.contains("ERROR"));
    if !status.success() || fatal || !dir.join("currents.txt").is_file() {
        let tail: Vec<&str> = text.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(SpiceError::Ngspice {
            dir: dir.display().to_string(),
            msg: format!("{status}; see ngspice.log:\n{}", tail.join("\n")),
        });
    }
    Ok(())
}

/// Reads `currents.txt` and `outputs.txt` of a finished run of `deck` in `dir`.
pub fn read_results(dir: &Path, deck: &Deck) -> Result<Measured, SpiceError> {
    let o = &deck.options;
    let cur_path = dir.join("currents.txt");
    let cur = read_table(&cur_path)?;
    let file = cur_path.display().to_string();
    let t: Vec<f64> = cur.rows.iter().map(|r| r[0]).collect();
    let col = |name: &str| -> Result<usize, SpiceError> {
        cur.names.iter().position(|n| n.eq_ignore_ascii_case(name)).ok_or_else(|| SpiceError::Parse {
            file: file.clone(),
            line: 1,
            msg: format!("no column `{name}` (have {})", cur.names.join(" ")),
        })
    };
    let mut ints = Vec::new();
    for s in &deck.supplies {
        let c = col(&format!("i(v{})", s.name))?;
        // Power drawn = vdd · (−i): ngspice's source current flows from + to − inside the source.
        ints.push(Integral::new(&t, cur.rows.iter().map(|r| -r[c] * o.vdd).collect()));
    }
    let period = o.period;
    let tail = period / f64::from(o.samples);
    let mut m = Measured {
        supplies: deck.supplies.iter().map(|s| s.name.clone()).collect(),
        counted: deck.supplies.iter().map(|s| s.counted).collect(),
        initial: ints.iter().map(|i| i.at(period) - i.at(0.0)).collect(),
        points: t.len(),
        ..Measured::default()
    };
    for j in 0..deck.ops {
        let a = (j + 1) as f64 * period;
        let b = a + period;
        m.energy.push(ints.iter().map(|i| i.at(b) - i.at(a)).collect());
        // Average current over the last sample interval: the charge, not the
        // point values, which ring when ngspice takes long steps.
        let charge: f64 = ints
            .iter()
            .zip(&deck.supplies)
            .filter(|(_, s)| s.counted)
            .map(|(i, _)| i.at(b) - i.at(b - tail))
            .sum::<f64>()
            / o.vdd;
        let peak = (charge / tail).abs();
        m.tail_current.push(peak);
    }
    // Outputs on the uniform grid.
    let out_rows = if deck.probes.is_empty() {
        Vec::new()
    } else {
        let p = dir.join("outputs.txt");
        let tab = read_table(&p)?;
        let file = p.display().to_string();
        let idx: Result<Vec<usize>, SpiceError> = deck
            .probes
            .iter()
            .map(|pr| {
                let want = format!("v({pr})");
                tab.names.iter().position(|n| n.eq_ignore_ascii_case(&want)).ok_or_else(|| SpiceError::Parse {
                    file: file.clone(),
                    line: 1,
                    msg: format!("no column `{want}`"),
                })
            })
            .collect();
        let idx = idx?;
        let mut rows = Vec::new();
        for j in 0..deck.ops {
            let r = (j + 2) * o.samples as usize - 1;
            let row = tab.rows.get(r).ok_or_else(|| SpiceError::Parse {
                file: file.clone(),
                line: r + 2,
                msg: format!("missing the sample of operation {j}"),
            })?;
            let want_t = r as f64 * tail;
            if (row[0] - want_t).abs() > tail / 100.0 {
                return Err(SpiceError::Parse {
                    file: file.clone(),
                    line: r + 2,
                    msg: format!("time {} where the grid has {}", row[0], want_t),
                });
            }
            rows.push(idx.iter().map(|&i| row[i]).collect::<Vec<f64>>());
        }
        rows
    };
    for j in 0..deck.ops {
        let row: &[f64] = out_rows.get(j).map_or(&[], Vec::as_slice);
        let mut vals = Vec::new();
        let mut margin: f64 = 0.0;
        for bus in &deck.outputs {
            let mut v = 0u128;
            for (bit, p) in bus.iter().enumerate() {
                let one = match p {
                    Probe::Const(b) => *b,
                    Probe::Node(nd) => {
                        let k = deck.probes.iter().position(|x| x == nd).unwrap_or(0);
                        let x = row.get(k).copied().unwrap_or(0.0);
                        margin = margin.max(x.min(o.vdd - x).max(0.0) / o.vdd);
                        x > o.vdd / 2.0
                    }
                };
                if one && bit < 128 {
                    v |= 1 << bit;
                }
            }
            vals.push(v);
        }
        m.outputs.push(vals);
        m.margin.push(margin);
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_interpolates_between_points() {
        // y = 2 on [0, 1], then a ramp to 4 at t = 3: ∫0^2 = 2 + (2 + 3)/2 = 4.5.
        let t = [0.0, 1.0, 3.0];
        let i = Integral::new(&t, vec![2.0, 2.0, 4.0]);
        assert!((i.at(1.0) - 2.0).abs() < 1e-12);
        assert!((i.at(2.0) - 4.5).abs() < 1e-12);
        assert!((i.at(3.0) - 8.0).abs() < 1e-12);
        assert!((i.at(5.0) - 8.0).abs() < 1e-12);
    }
}

//! `tosim fit`: calibration of TO predictors against measured energy in a CSV.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;
use tosim_spice::stats::{self, Fit};

use crate::validate::fmt_opt;
use crate::EnergyError;

/// The fit of one predictor column.
#[derive(Clone, Debug, Serialize)]
pub struct FitRow {
    /// Column name (`constant` for the mean model).
    pub predictor: String,
    /// Least-squares fit of energy on the column.
    pub fit: Option<Fit>,
    /// Cross-validated mean relative error.
    pub cv_mre: Option<f64>,
    /// 1 − cross-validated mean relative error.
    pub precision: Option<f64>,
}

impl FitRow {
    fn new(name: &str, x: &[f64], y: &[f64], folds: usize) -> FitRow {
        let cv = stats::kfold_mre(x, y, folds);
        FitRow { predictor: name.to_string(), fit: stats::fit(x, y), cv_mre: cv, precision: cv.map(|e| 1.0 - e) }
    }
}

/// The report of `tosim fit`.
#[derive(Clone, Debug, Serialize)]
pub struct FitReport {
    /// The CSV file.
    pub file: String,
    /// Energy column.
    pub energy: String,
    /// Data rows.
    pub rows: usize,
    /// Folds of the cross-validation.
    pub folds: usize,
    /// The constant model (mean energy) for comparison.
    pub constant: FitRow,
    /// One row per predictor column.
    pub predictors: Vec<FitRow>,
}

impl FitReport {
    /// The report as the text table `tosim fit` prints.
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} rows of {}, energy column `{}`, {}-fold cross-validation",
            self.rows, self.file, self.energy, self.folds
        );
        let _ = writeln!(
            s,
            "{:<28} {:>12} {:>12} {:>7} {:>7} {:>7} {:>7} {:>9}",
            "predictor", "a", "b", "r", "r2", "MRE", "CV MRE", "precision"
        );
        for row in std::iter::once(&self.constant).chain(&self.predictors) {
            let f = row.fit;
            let _ = writeln!(
                s,
                "{:<28} {:>12} {:>12} {:>7} {:>7} {:>7} {:>7} {:>9}",
                row.predictor,
                fmt_opt(f.map(|f| f.a), 5),
                fmt_opt(f.map(|f| f.b), 3),
                fmt_opt(f.and_then(|f| f.r), 3),
                fmt_opt(f.map(|f| f.r2), 3),
                fmt_opt(f.map(|f| f.mre), 3),
                fmt_opt(row.cv_mre, 3),
                fmt_opt(row.precision, 3)
            );
        }
        s
    }
}

/// Column names in file order, the numeric columns by name, and the row count.
type Csv = (Vec<String>, BTreeMap<String, Vec<f64>>, usize);

/// Reads a CSV with a header into named numeric columns (non-numeric columns dropped).
fn read_csv(path: &Path) -> Result<Csv, EnergyError> {
    let text = std::fs::read_to_string(path).map_err(EnergyError::io("reading", path))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let (_, header) = lines.next().ok_or_else(|| EnergyError::EmptyCsv { path: path.into() })?;
    let names: Vec<String> = header.split(',').map(|h| h.trim().trim_matches('"').to_string()).collect();
    let mut cols: Vec<Option<Vec<f64>>> = vec![Some(Vec::new()); names.len()];
    let mut rows = 0;
    for (i, l) in lines {
        let f: Vec<&str> = l.split(',').map(str::trim).collect();
        if f.len() != names.len() {
            return Err(EnergyError::CsvFields {
                path: path.into(),
                line: i + 1,
                fields: f.len(),
                header: names.len(),
            });
        }
        for (c, v) in cols.iter_mut().zip(&f) {
            if let Some(col) = c {
                match v.parse::<f64>() {
                    Ok(x) if x.is_finite() => col.push(x),
                    _ => *c = None,
                }
            }
        }
        rows += 1;
    }
    let numeric =
        names.iter().zip(cols).filter_map(|(n, c)| c.map(|c| (n.clone(), c))).collect::<BTreeMap<String, Vec<f64>>>();
    Ok((names, numeric, rows))
}

/// Fits column `energy` of the CSV `file` on each predictor column `x`
/// (default: every other numeric column except op/index/id), with
/// `folds`-fold cross-validation, next to the constant model.
pub fn fit(file: &Path, energy: &str, x: &[String], folds: usize) -> Result<FitReport, EnergyError> {
    let (order, cols, rows) = read_csv(file)?;
    let y = cols.get(energy).ok_or_else(|| EnergyError::NoEnergyColumn {
        path: file.into(),
        column: energy.into(),
        columns: order.clone(),
    })?;
    let xs: Vec<String> = if x.is_empty() {
        order
            .iter()
            .filter(|c| *c != energy && cols.contains_key(*c) && !matches!(c.as_str(), "op" | "index" | "id"))
            .cloned()
            .collect()
    } else {
        x.to_vec()
    };
    if xs.is_empty() {
        return Err(EnergyError::NoPredictors { path: file.into() });
    }
    let mut predictors = Vec::new();
    for x in &xs {
        let col = cols.get(x).ok_or_else(|| EnergyError::NoColumn { path: file.into(), column: x.clone() })?;
        predictors.push(FitRow::new(x, col, y, folds));
    }
    Ok(FitReport {
        file: file.display().to_string(),
        energy: energy.to_string(),
        rows,
        folds,
        constant: FitRow::new("constant", &vec![1.0; y.len()], y, folds),
        predictors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_of_an_exact_line() {
        let dir = std::env::temp_dir().join(format!("tosim-energy-fit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("m.csv");
        let mut csv = String::from("op,name,tos,energy\n");
        for i in 0..20u32 {
            let _ = writeln!(csv, "{i},u8,{},{}", 10 + i * 3, 2.0 * f64::from(10 + i * 3) + 5.0);
        }
        std::fs::write(&f, csv).unwrap();
        let r = fit(&f, "energy", &[], 5).unwrap();
        assert_eq!((r.rows, r.predictors.len()), (20, 1));
        let tos = r.predictors[0].fit.unwrap();
        assert!((tos.a - 2.0).abs() < 1e-9 && (tos.b - 5.0).abs() < 1e-7);
        assert!(r.table().contains("tos"));
        assert!(matches!(fit(&f, "joules", &[], 5), Err(EnergyError::NoEnergyColumn { .. })));
        assert!(matches!(fit(&f, "energy", &["x".into()], 5), Err(EnergyError::NoColumn { .. })));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

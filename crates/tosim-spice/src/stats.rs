//! Least-squares fits of energy on a predictor, correlation, relative
//! errors, k-fold cross-validation and transfer between circuits.

use serde::Serialize;

/// The fit `y = a·x + b` of one predictor.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Fit {
    /// Slope (energy per unit of the predictor).
    pub a: f64,
    /// Intercept.
    pub b: f64,
    /// Pearson correlation of x and y (`None` when x or y is constant).
    pub r: Option<f64>,
    /// Coefficient of determination of the fit.
    pub r2: f64,
    /// Mean relative error |ŷ − y| / y of the fit on its own data.
    pub mre: f64,
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Pearson correlation; `None` for fewer than two points or a constant series.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some(sxy / (sxx * syy).sqrt())
}

/// Mean of |p − y| / |y| over points with y ≠ 0.
pub fn mean_relative_error(pred: &[f64], y: &[f64]) -> f64 {
    let v: Vec<f64> = pred.iter().zip(y).filter(|(_, &t)| t != 0.0).map(|(p, t)| ((p - t) / t).abs()).collect();
    mean(&v)
}

/// Slope and intercept of the least-squares line; a constant x gives the
/// constant model (a = 0, b = mean y).
fn line(x: &[f64], y: &[f64]) -> (f64, f64) {
    let (mx, my) = (mean(x), mean(y));
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    if sxx <= 0.0 {
        return (0.0, my);
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let a = sxy / sxx;
    (a, my - a * mx)
}

/// Fits `y = a·x + b` by least squares; `None` for fewer than two points or
/// mismatched lengths.
pub fn fit(x: &[f64], y: &[f64]) -> Option<Fit> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let (a, b) = line(x, y);
    let pred: Vec<f64> = x.iter().map(|v| a * v + b).collect();
    let my = mean(y);
    let ss_tot: f64 = y.iter().map(|v| (v - my) * (v - my)).sum();
    let ss_res: f64 = pred.iter().zip(y).map(|(p, v)| (p - v) * (p - v)).sum();
    let r2 = if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 };
    Some(Fit { a, b, r: pearson(x, y), r2, mre: mean_relative_error(&pred, y) })
}

/// k-fold cross-validated mean relative error: point `i` is in fold `i mod
/// k`; each fold is predicted by the fit on the other folds. `None` when a
/// training set would have fewer than two points.
pub fn kfold_mre(x: &[f64], y: &[f64], k: usize) -> Option<f64> {
    let n = x.len();
    if n != y.len() || k < 2 || n < k || n - n.div_ceil(k) < 2 {
        return None;
    }
    let mut pred = vec![0.0; n];
    for f in 0..k {
        let (tx, ty): (Vec<f64>, Vec<f64>) = (0..n).filter(|i| i % k != f).map(|i| (x[i], y[i])).unzip();
        let (a, b) = line(&tx, &ty);
        for i in (f..n).step_by(k) {
            pred[i] = a * x[i] + b;
        }
    }
    Some(mean_relative_error(&pred, y))
}

/// Energy per unit of a predictor as the ratio of totals (the fit through
/// the origin of the circuit's total energy); `None` when Σx = 0.
pub fn per_unit(x: &[f64], y: &[f64]) -> Option<f64> {
    let sx: f64 = x.iter().sum();
    (sx != 0.0).then(|| y.iter().sum::<f64>() / sx)
}

/// Relative error of predicting the total `Σy_to` as `k·Σx_to` with `k`
/// the energy per unit fitted on another circuit.
pub fn transfer_error(k: f64, x_to: &[f64], y_to: &[f64]) -> Option<f64> {
    let sy: f64 = y_to.iter().sum();
    (sy != 0.0).then(|| k * x_to.iter().sum::<f64>() / sy - 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_is_recovered() {
        // y = 3x + 2 exactly: a = 3, b = 2, r = 1, r² = 1, no error.
        let x: Vec<f64> = (0..10).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| 3.0 * v + 2.0).collect();
        let f = fit(&x, &y).unwrap();
        assert!((f.a - 3.0).abs() < 1e-12 && (f.b - 2.0).abs() < 1e-12);
        assert!((f.r.unwrap() - 1.0).abs() < 1e-12 && (f.r2 - 1.0).abs() < 1e-12);
        assert!(f.mre < 1e-12);
        assert!(kfold_mre(&x, &y, 5).unwrap() < 1e-12);
    }

    #[test]
    fn hand_computed_fit() {
        // x = 0,1,2; y = 1,3,2: mean x 1, mean y 2, Sxy = (-1)(-1)+0+(1)(0) = 1,
        // Sxx = 2, Syy = 2 → a = 1/2, b = 3/2, r = 1/√4 = 1/2, r² = 1/4.
        // Predictions 1.5, 2, 2.5 → relative errors 0.5, 1/3, 0.25 → MRE 13/36.
        let f = fit(&[0.0, 1.0, 2.0], &[1.0, 3.0, 2.0]).unwrap();
        assert!((f.a - 0.5).abs() < 1e-12 && (f.b - 1.5).abs() < 1e-12);
        assert!((f.r.unwrap() - 0.5).abs() < 1e-12 && (f.r2 - 0.25).abs() < 1e-12);
        assert!((f.mre - 13.0 / 36.0).abs() < 1e-12);
    }

    #[test]
    fn constant_predictor_is_the_mean() {
        let f = fit(&[1.0; 4], &[1.0, 2.0, 3.0, 6.0]).unwrap();
        assert_eq!((f.a, f.b, f.r), (0.0, 3.0, None));
        // |3-1|/1 + |3-2|/2 + 0 + |3-6|/6 = 2 + 0.5 + 0.5 = 3 → /4.
        assert!((f.mre - 0.75).abs() < 1e-12);
    }

    #[test]
    fn transfer_of_energy_per_unit() {
        // Circuit A: 2 J per unit exactly; circuit B: 2.2 J per unit → predicting B with A is 1/1.1 − 1 low.
        let k = per_unit(&[1.0, 3.0], &[2.0, 6.0]).unwrap();
        assert!((k - 2.0).abs() < 1e-12);
        let e = transfer_error(k, &[10.0], &[22.0]).unwrap();
        assert!((e - (2.0 / 2.2 - 1.0)).abs() < 1e-12);
    }
}

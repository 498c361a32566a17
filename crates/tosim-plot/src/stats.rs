//! Summary statistics of a sample: what box summaries draw and tables print.

/// Summary of a sample of values. Quantiles are nearest-rank: `pP` is the
/// smallest value with at least ⌈P/100 · n⌉ values at or below it (the same
/// convention as the tosim reports). Non-finite values are ignored.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    /// Number of (finite) values.
    pub n: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (divides by n).
    pub std: f64,
    /// Minimum.
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub q1: f64,
    /// Median (50th percentile).
    pub median: f64,
    /// 75th percentile.
    pub q3: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    /// The summary of `values` (all zeros when there is no finite value).
    pub fn of(values: &[f64]) -> Summary {
        let mut s: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if s.is_empty() {
            return Summary::default();
        }
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let rank = |p: usize| s[((p * n).div_ceil(100)).max(1) - 1];
        let mean = s.iter().sum::<f64>() / n as f64;
        let var = s.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
        Summary {
            n,
            mean,
            std: var.sqrt(),
            min: s[0],
            p5: rank(5),
            q1: rank(25),
            median: rank(50),
            q3: rank(75),
            p95: rank(95),
            max: s[n - 1],
        }
    }

    /// Coefficient of variation, std / mean (0 when the mean is 0).
    pub fn cv(&self) -> f64 {
        if self.mean == 0.0 {
            0.0
        } else {
            self.std / self.mean.abs()
        }
    }

    /// max / min; infinite when the minimum is 0 and the maximum is not, 1 when both are 0.
    pub fn max_over_min(&self) -> f64 {
        if self.min == 0.0 {
            if self.max == 0.0 {
                1.0
            } else {
                f64::INFINITY
            }
        } else {
            self.max / self.min
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_one_to_ten() {
        // 1..=10: mean 5.5; variance Σ(i-5.5)²/10 = 82.5/10 = 8.25.
        // Nearest rank: p5 → ⌈0.5⌉ = 1st = 1; q1 → ⌈2.5⌉ = 3rd = 3; median → 5th = 5;
        // q3 → ⌈7.5⌉ = 8th = 8; p95 → ⌈9.5⌉ = 10th = 10.
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        let s = Summary::of(&v);
        assert_eq!(s.n, 10);
        assert_eq!(s.mean, 5.5);
        assert_eq!(s.std, 8.25f64.sqrt());
        assert_eq!((s.min, s.p5, s.q1, s.median, s.q3, s.p95, s.max), (1.0, 1.0, 3.0, 5.0, 8.0, 10.0, 10.0));
        assert_eq!(s.max_over_min(), 10.0);
        assert_eq!(s.cv(), 8.25f64.sqrt() / 5.5);
    }

    #[test]
    fn empty_and_zero_samples() {
        assert_eq!(Summary::of(&[]), Summary::default());
        assert_eq!(Summary::of(&[f64::NAN]).n, 0);
        assert_eq!(Summary::of(&[0.0, 0.0]).max_over_min(), 1.0);
        assert_eq!(Summary::of(&[0.0, 3.0]).max_over_min(), f64::INFINITY);
        assert_eq!(Summary::of(&[0.0, 0.0]).cv(), 0.0);
    }
}

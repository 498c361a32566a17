//! Axis ranges, ticks and tick labels: linear axes with 1-2-5 steps, log axes
//! with decades.

/// A mapping from data values to pixels along one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scale {
    /// Lowest data value shown.
    pub lo: f64,
    /// Highest data value shown.
    pub hi: f64,
    /// Base-10 logarithmic.
    pub log: bool,
    /// Pixel of `lo`.
    pub p0: f64,
    /// Pixel of `hi`.
    pub p1: f64,
}

impl Scale {
    /// The pixel of data value `v`.
    pub fn px(&self, v: f64) -> f64 {
        let (a, b, x) = if self.log { (self.lo.log10(), self.hi.log10(), v.log10()) } else { (self.lo, self.hi, v) };
        let t = if b > a { (x - a) / (b - a) } else { 0.5 };
        self.p0 + t * (self.p1 - self.p0)
    }
}

/// A "nice" step (1, 2 or 5 × 10^k) near `raw`.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let e = raw.log10().floor();
    let f = raw / 10f64.powf(e);
    let m = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    m * 10f64.powf(e)
}

/// Axis range and ticks for data in `[lo, hi]`.
///
/// Linear: the range is widened to whole steps of a 1-2-5 step that gives
/// about `target` ticks. Log: the range is widened to whole decades; when it
/// spans fewer than three decades, 2× and 5× ticks are added. Degenerate
/// ranges (one value) are widened around the value.
pub(crate) fn ticks(lo: f64, hi: f64, log: bool, target: usize, widen: bool) -> (f64, f64, Vec<f64>) {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() && lo <= hi { (lo, hi) } else { (0.0, 1.0) };
    if log {
        if lo.is_nan() || lo <= 0.0 {
            lo = if hi > 0.0 { hi / 10.0 } else { 1.0 };
        }
        if hi.is_nan() || hi <= 0.0 {
            hi = lo * 10.0;
        }
        let (mut d0, mut d1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        if d1 <= d0 {
            d1 = d0 + 1;
        }
        if !widen {
            d0 = lo.log10().floor() as i32;
            d1 = hi.log10().ceil() as i32;
        }
        let span = d1 - d0;
        let mut t = Vec::new();
        for d in d0..=d1 {
            let base = 10f64.powi(d);
            t.push(base);
            if span < 3 && d < d1 {
                t.push(2.0 * base);
                t.push(5.0 * base);
            }
        }
        let (rlo, rhi) = if widen { (10f64.powi(d0), 10f64.powi(d1)) } else { (lo, hi) };
        let eps = 1e-9;
        t.retain(|&v| v >= rlo * (1.0 - eps) && v <= rhi * (1.0 + eps));
        return (rlo, rhi, t);
    }
    if hi - lo < f64::EPSILON * lo.abs().max(1.0) {
        let d = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= d;
        hi += d;
    }
    let step = nice_step((hi - lo) / target.max(2) as f64);
    let (rlo, rhi) = if widen { ((lo / step).floor() * step, (hi / step).ceil() * step) } else { (lo, hi) };
    let first = (rlo / step - 1e-9).ceil() as i64;
    let last = (rhi / step + 1e-9).floor() as i64;
    let t = (first..=last).map(|k| clean(k as f64 * step)).collect();
    (rlo, rhi, t)
}

/// Rounds away float noise such as 0.30000000000000004 (keeps 12 significant digits).
fn clean(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return 0.0;
    }
    let e = v.abs().log10().floor() as i32;
    let q = 10f64.powi(11 - e);
    (v * q).round() / q
}

/// A short, deterministic label for a number: plain decimals for moderate
/// magnitudes, `1.5e6` style beyond 10⁶ or below 10⁻³.
pub fn format_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if !v.is_finite() {
        return format!("{v}");
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let e = a.log10().floor() as i32;
        let m = clean(v / 10f64.powi(e));
        return format!("{}e{e}", trim(format!("{m:.3}")));
    }
    trim(format!("{:.6}", clean(v)))
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_ticks_are_whole_steps() {
        // Range 0..97 with ~5 ticks: raw step 19.4 → 20; range widened to 0..100.
        let (lo, hi, t) = ticks(0.0, 97.0, false, 5, true);
        assert_eq!((lo, hi), (0.0, 100.0));
        assert_eq!(t, vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        // 0.1..0.7 with ~6 ticks: raw 0.1 → 0.1 steps, no float noise in the values.
        let (_, _, t) = ticks(0.1, 0.7, false, 6, true);
        assert_eq!(t, vec![0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
    }

    #[test]
    fn degenerate_range_is_widened() {
        let (lo, hi, t) = ticks(5.0, 5.0, false, 5, true);
        assert!(lo < 5.0 && hi > 5.0 && !t.is_empty());
    }

    #[test]
    fn log_ticks_are_decades() {
        // 3..4000 spans decades 10^0..10^4 (4 decades): decade ticks only.
        let (lo, hi, t) = ticks(3.0, 4000.0, true, 5, true);
        assert_eq!((lo, hi), (1.0, 10_000.0));
        assert_eq!(t, vec![1.0, 10.0, 100.0, 1000.0, 10_000.0]);
        // 3..40 spans 10^0..10^2: 1 2 5 10 20 50 100.
        let (_, _, t) = ticks(3.0, 40.0, true, 5, true);
        assert_eq!(t, vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]);
    }

    #[test]
    fn numbers_format_short() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(20.0), "20");
        assert_eq!(format_number(0.25), "0.25");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(2_500_000.0), "2.5e6");
        assert_eq!(format_number(-0.0001), "-1e-4");
    }

    #[test]
    fn scale_maps_ends_to_pixels() {
        let s = Scale { lo: 1.0, hi: 100.0, log: true, p0: 0.0, p1: 200.0 };
        assert_eq!(s.px(1.0), 0.0);
        assert_eq!(s.px(10.0), 100.0);
        assert_eq!(s.px(100.0), 200.0);
    }
}

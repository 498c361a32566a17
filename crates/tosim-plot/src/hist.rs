//! Histograms of one or more samples on shared bins, and box summaries.

use std::fmt::Write;

use crate::axis::{ticks, Scale};
use crate::stats::Summary;
use crate::svg::{color, esc, head_builders, label, n, text_width, Head, LegendEntry, Mark};

/// Overlaid histograms of several samples on the same bins, drawn as outlined
/// steps with a light fill.
///
/// Bins are equal-width over the range of all samples. When every value is
/// an integer and the range has at most as many integers as the bin count,
/// there is one bin per integer (centred on it).
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    head: Head,
    xlabel: String,
    ylabel: String,
    series: Vec<(String, Vec<f64>)>,
    bins: usize,
    fraction: bool,
    log_y: bool,
}

impl Histogram {
    /// An empty histogram with 40 bins, counts on the y axis.
    pub fn new(title: &str, xlabel: &str) -> Histogram {
        Histogram {
            head: Head::new(title),
            xlabel: xlabel.into(),
            ylabel: "count".into(),
            series: Vec::new(),
            bins: 40,
            fraction: false,
            log_y: false,
        }
    }

    head_builders!(Histogram);

    /// Adds a sample (non-finite values are skipped).
    pub fn series(mut self, name: &str, values: &[f64]) -> Histogram {
        self.series.push((name.into(), values.iter().copied().filter(|v| v.is_finite()).collect()));
        self
    }

    /// Number of bins (at least 1).
    pub fn bins(mut self, bins: usize) -> Histogram {
        self.bins = bins.max(1);
        self
    }

    /// Plots the fraction of each sample per bin instead of counts, so samples
    /// of different sizes compare.
    pub fn fraction(mut self) -> Histogram {
        self.fraction = true;
        self.ylabel = "fraction".into();
        self
    }

    /// Logarithmic y axis (empty bins are not drawn).
    pub fn log_y(mut self) -> Histogram {
        self.log_y = true;
        self
    }

    /// Bin edges (`bins + 1` values) and, per series, the count or fraction per bin.
    pub fn binned(&self) -> (Vec<f64>, Vec<Vec<f64>>) {
        let all = self.series.iter().flat_map(|(_, v)| v.iter().copied());
        let (lo, hi) = all.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !lo.is_finite() {
            return (vec![0.0, 1.0], self.series.iter().map(|_| vec![0.0]).collect());
        }
        let integers = self.series.iter().all(|(_, v)| v.iter().all(|x| x.fract() == 0.0));
        let (e0, w, k) = if integers && hi - lo < self.bins as f64 {
            (lo - 0.5, 1.0, (hi - lo) as usize + 1)
        } else if hi == lo {
            (lo - 0.5, 1.0, 1)
        } else if integers {
            // Integer bins of a 1-2-5 width, so every bin holds the same
            // number of integers (no aliasing with values on a grid, e.g. even counts).
            let w = crate::axis::nice_step((hi - lo + 1.0) / self.bins as f64).max(1.0).round();
            let e0 = (lo / w).floor() * w - 0.5;
            (e0, w, ((hi + 0.5 - e0) / w).ceil() as usize)
        } else {
            (lo, (hi - lo) / self.bins as f64, self.bins)
        };
        let edges: Vec<f64> = (0..=k).map(|i| e0 + w * i as f64).collect();
        let counts = self
            .series
            .iter()
            .map(|(_, v)| {
                let mut c = vec![0.0; k];
                for &x in v {
                    let b = (((x - e0) / w).floor() as usize).min(k - 1);
                    c[b] += 1.0;
                }
                if self.fraction && !v.is_empty() {
                    let t = v.len() as f64;
                    c.iter_mut().for_each(|x| *x /= t);
                }
                c
            })
            .collect();
        (edges, counts)
    }

    /// Renders the histogram as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (edges, counts) = self.binned();
        let ymax = counts.iter().flatten().copied().fold(0.0, f64::max);
        let ymin_pos = counts.iter().flatten().copied().filter(|&c| c > 0.0).fold(f64::INFINITY, f64::min);
        let (xlo, xhi, xt) = ticks(edges[0], edges[edges.len() - 1], false, 8, false);
        let (ylo, yhi, yt) = if self.log_y {
            ticks(if ymin_pos.is_finite() { ymin_pos } else { 1.0 }, ymax.max(1e-12), true, 6, true)
        } else {
            ticks(0.0, if ymax > 0.0 { ymax } else { 1.0 }, false, 6, true)
        };
        let legend = self
            .series
            .iter()
            .enumerate()
            .map(|(i, (name, _))| LegendEntry { name: name.clone(), color: color(i), mark: Mark::Block })
            .collect();
        let frame = self.head.frame(&self.xlabel, &self.ylabel, legend);
        let a = frame.area();
        let xs = Scale { lo: xlo, hi: xhi, log: false, p0: a.x0, p1: a.x1 };
        let ys = Scale { lo: ylo, hi: yhi, log: self.log_y, p0: a.y1, p1: a.y0 };
        let mut out = String::new();
        frame.open(&mut out);
        frame.axes(&mut out, Some((&xs, &xt)), (&ys, &yt));
        let base = a.y1;
        for (i, c) in counts.iter().enumerate() {
            let col = color(i);
            let mut d = format!("{},{} ", n(xs.px(edges[0])), n(base));
            for (b, &v) in c.iter().enumerate() {
                let y = if v > 0.0 || !self.log_y { ys.px(v.max(ylo)) } else { base };
                let _ = write!(d, "{},{} {},{} ", n(xs.px(edges[b])), n(y), n(xs.px(edges[b + 1])), n(y));
            }
            let _ = write!(d, "{},{}", n(xs.px(edges[edges.len() - 1])), n(base));
            let _ = writeln!(
                out,
                "<polygon points=\"{d}\" fill=\"{col}\" fill-opacity=\"0.22\" stroke=\"{col}\" stroke-width=\"1.4\"/>"
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

/// Box summaries of several named samples side by side: box from the 25th to
/// the 75th percentile, a bar at the median, whiskers from the 5th to the 95th
/// percentile, small dots at the minimum and maximum, and a diamond at the mean.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxPlot {
    head: Head,
    ylabel: String,
    groups: Vec<(String, Summary)>,
    log_y: bool,
}

impl BoxPlot {
    /// An empty box plot.
    pub fn new(title: &str, ylabel: &str) -> BoxPlot {
        BoxPlot { head: Head::new(title), ylabel: ylabel.into(), groups: Vec::new(), log_y: false }
    }

    head_builders!(BoxPlot);

    /// Adds a group from its values.
    pub fn group(self, name: &str, values: &[f64]) -> BoxPlot {
        self.summary(name, Summary::of(values))
    }

    /// Adds a group from a summary computed elsewhere.
    pub fn summary(mut self, name: &str, s: Summary) -> BoxPlot {
        self.groups.push((name.into(), s));
        self
    }

    /// Logarithmic y axis.
    pub fn log_y(mut self) -> BoxPlot {
        self.log_y = true;
        self
    }

    /// Renders the box plot as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let g: Vec<&(String, Summary)> = self.groups.iter().filter(|(_, s)| s.n > 0).collect();
        let lo = g.iter().map(|(_, s)| if self.log_y { s.min.max(f64::MIN_POSITIVE) } else { s.min });
        let lo = lo.fold(f64::INFINITY, f64::min);
        let hi = g.iter().map(|(_, s)| s.max).fold(f64::NEG_INFINITY, f64::max);
        let (ylo, yhi, yt) =
            if g.is_empty() { ticks(0.0, 1.0, false, 6, true) } else { ticks(lo, hi, self.log_y, 6, true) };
        let k = self.groups.len().max(1) as f64;
        let longest = self.groups.iter().map(|(s, _)| text_width(s, 11.0)).fold(0.0, f64::max);
        let mut frame = self.head.frame("", &self.ylabel, Vec::new());
        let slot = (frame.area().x1 - frame.area().x0) / k;
        let rotate = longest > slot - 4.0;
        if rotate {
            frame.extra_bottom = (longest * 0.66 - 28.0).clamp(0.0, self.head.height * 0.4);
        }
        let a = frame.area();
        let ys = Scale { lo: ylo, hi: yhi, log: self.log_y, p0: a.y1, p1: a.y0 };
        let mut out = String::new();
        frame.open(&mut out);
        frame.axes(&mut out, None, (&ys, &yt));
        let cl = |v: f64| if self.log_y { v.max(ylo) } else { v };
        let y = |v: f64| n(ys.px(cl(v)));
        for (i, (name, s)) in self.groups.iter().enumerate() {
            let cx = a.x0 + slot * (i as f64 + 0.5);
            let (ty, tx) = (a.y1 + 15.0, n(cx));
            if rotate {
                let _ = writeln!(
                    out,
                    "<text x=\"{tx}\" y=\"{}\" text-anchor=\"end\" transform=\"rotate(-40 {tx} {})\">{}</text>",
                    n(ty - 4.0),
                    n(ty - 4.0),
                    esc(name)
                );
            } else {
                label(&mut out, cx, ty, "middle", name);
            }
            if s.n == 0 {
                continue;
            }
            let c = color(i);
            let hw = (slot * 0.3).min(28.0);
            let _ = writeln!(
                out,
                "<line x1=\"{tx}\" y1=\"{}\" x2=\"{tx}\" y2=\"{}\" stroke=\"{c}\" stroke-width=\"1.4\"/>",
                y(s.p5),
                y(s.p95)
            );
            for v in [s.p5, s.p95] {
                let _ = writeln!(
                    out,
                    "<line x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"{c}\" stroke-width=\"1.4\"/>",
                    n(cx - hw / 2.0),
                    n(cx + hw / 2.0),
                    yy = y(v)
                );
            }
            let (top, bot) = (ys.px(cl(s.q3)), ys.px(cl(s.q1)));
            let _ = writeln!(
                out,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{c}\" fill-opacity=\"0.3\" stroke=\"{c}\" \
                 stroke-width=\"1.4\"/>",
                n(cx - hw),
                n(top),
                n(2.0 * hw),
                n((bot - top).max(0.5))
            );
            let _ = writeln!(
                out,
                "<line x1=\"{}\" y1=\"{yy}\" x2=\"{}\" y2=\"{yy}\" stroke=\"#222\" stroke-width=\"2\"/>",
                n(cx - hw),
                n(cx + hw),
                yy = y(s.median)
            );
            for v in [s.min, s.max] {
                let _ = writeln!(out, "<circle cx=\"{tx}\" cy=\"{}\" r=\"2\" fill=\"{c}\"/>", y(v));
            }
            let my = ys.px(cl(s.mean));
            let _ = writeln!(
                out,
                "<polygon points=\"{},{} {},{} {},{} {},{}\" fill=\"white\" stroke=\"#222\"/>",
                tx,
                n(my - 4.0),
                n(cx + 4.0),
                n(my),
                tx,
                n(my + 4.0),
                n(cx - 4.0),
                n(my)
            );
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_samples_get_one_bin_per_integer() {
        // Values 0..=4 with 40 bins allowed: 5 unit bins centred on 0..4.
        let h = Histogram::new("t", "x").series("a", &[0.0, 1.0, 1.0, 4.0]).series("b", &[2.0]);
        let (edges, c) = h.binned();
        assert_eq!(edges, vec![-0.5, 0.5, 1.5, 2.5, 3.5, 4.5]);
        assert_eq!(c[0], vec![1.0, 2.0, 0.0, 0.0, 1.0]);
        assert_eq!(c[1], vec![0.0, 0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn wide_integer_samples_get_nice_integer_bins() {
        // 0..=99 into at most 40 bins: raw width 100/40 = 2.5 → nice 5; edges
        // -0.5, 4.5, …, 99.5 (20 bins of exactly 5 integers each).
        let v: Vec<f64> = (0..100).map(f64::from).collect();
        let (edges, c) = Histogram::new("t", "x").series("", &v).binned();
        assert_eq!(edges.len(), 21);
        assert_eq!((edges[0], edges[20]), (-0.5, 99.5));
        assert!(c[0].iter().all(|&n| n == 5.0));
    }

    #[test]
    fn real_samples_fill_equal_bins_and_fractions_sum_to_one() {
        // 0.0..1.0 in 4 bins of 0.25; the maximum goes into the last bin.
        let h = Histogram::new("t", "x").bins(4).fraction().series("", &[0.0, 0.3, 0.6, 1.0]);
        let (edges, c) = h.binned();
        assert_eq!(edges, vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(c[0], vec![0.25, 0.25, 0.25, 0.25]);
        assert_eq!(h.to_svg().matches("<polygon").count(), 1);
    }

    #[test]
    fn box_plot_draws_one_box_per_nonempty_group() {
        let svg = BoxPlot::new("t", "y").group("a", &[1.0, 2.0, 3.0]).group("b", &[]).group("c", &[5.0]).to_svg();
        assert_eq!(svg.matches("<rect x=").count(), 1 + 2); // frame + two boxes
        assert!(svg.contains(">a</text>") && svg.contains(">b</text>"));
    }
}

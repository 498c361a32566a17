//! x–y plots: scatter and line series, optional shaded bands, log axes.

use std::fmt::Write;

use crate::axis::{ticks, Scale};
use crate::svg::{color, head_builders, n, Head, LegendEntry, Mark};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Kind {
    /// One dot per point.
    #[default]
    Scatter,
    /// Points joined in the order given, with a dot on each when there are few.
    Line,
}

impl Kind {
    /// `scatter` or `line`.
    pub fn from_name(s: &str) -> Option<Kind> {
        match s {
            "scatter" => Some(Kind::Scatter),
            "line" => Some(Kind::Line),
            _ => None,
        }
    }
}

/// One named series of an x–y plot.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points (x, y), drawn in this order.
    pub points: Vec<(f64, f64)>,
    /// How it is drawn; `None` follows the plot's kind.
    pub kind: Option<Kind>,
    /// A shaded band (x, low, high), e.g. p5–p95 around a mean line.
    pub band: Option<Vec<(f64, f64, f64)>>,
}

/// An x–y plot with any number of series.
///
/// Built with chained methods and rendered by [`Plot::to_svg`]; the same
/// plot always gives the same bytes. Points with a non-finite coordinate,
/// or a non-positive one on a log axis, are skipped.
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    head: Head,
    xlabel: String,
    ylabel: String,
    series: Vec<Series>,
    kind: Kind,
    log_x: bool,
    log_y: bool,
    x_range: Option<(f64, f64)>,
    y_range: Option<(f64, f64)>,
}

impl Plot {
    /// An empty plot (scatter by default, 720×420 pixels).
    pub fn new(title: &str, xlabel: &str, ylabel: &str) -> Plot {
        Plot {
            head: Head::new(title),
            xlabel: xlabel.into(),
            ylabel: ylabel.into(),
            series: Vec::new(),
            kind: Kind::Scatter,
            log_x: false,
            log_y: false,
            x_range: None,
            y_range: None,
        }
    }

    head_builders!(Plot);

    /// Adds a series drawn as the plot's kind.
    pub fn series(mut self, name: &str, points: &[(f64, f64)]) -> Plot {
        self.series.push(Series { name: name.into(), points: points.to_vec(), kind: None, band: None });
        self
    }

    /// Adds a series drawn as `kind`, whatever the plot's kind.
    pub fn series_as(mut self, name: &str, points: &[(f64, f64)], kind: Kind) -> Plot {
        self.series.push(Series { name: name.into(), points: points.to_vec(), kind: Some(kind), band: None });
        self
    }

    /// Shades a band (x, low, high) behind the last series added, in its colour
    /// (no effect before the first series).
    pub fn band(mut self, band: &[(f64, f64, f64)]) -> Plot {
        if let Some(s) = self.series.last_mut() {
            s.band = Some(band.to_vec());
        }
        self
    }

    /// Draws series as dots (the default).
    pub fn scatter(mut self) -> Plot {
        self.kind = Kind::Scatter;
        self
    }

    /// Draws series as lines.
    pub fn line(mut self) -> Plot {
        self.kind = Kind::Line;
        self
    }

    /// Sets the default kind.
    pub fn kind(mut self, kind: Kind) -> Plot {
        self.kind = kind;
        self
    }

    /// Logarithmic x axis.
    pub fn log_x(mut self) -> Plot {
        self.log_x = true;
        self
    }

    /// Logarithmic y axis.
    pub fn log_y(mut self) -> Plot {
        self.log_y = true;
        self
    }

    /// Fixes the x range instead of fitting it to the data.
    pub fn x_range(mut self, lo: f64, hi: f64) -> Plot {
        self.x_range = Some((lo, hi));
        self
    }

    /// Fixes the y range instead of fitting it to the data (e.g. `y_range(0.0, max)`).
    pub fn y_range(mut self, lo: f64, hi: f64) -> Plot {
        self.y_range = Some((lo, hi));
        self
    }

    /// The series added so far.
    pub fn all_series(&self) -> &[Series] {
        &self.series
    }

    fn ok(&self, x: f64, y: f64) -> bool {
        x.is_finite() && y.is_finite() && (!self.log_x || x > 0.0) && (!self.log_y || y > 0.0)
    }

    /// Renders the plot as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (mut xlo, mut xhi, mut ylo, mut yhi) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for s in &self.series {
            let band = s.band.iter().flatten().flat_map(|&(x, lo, hi)| [(x, lo), (x, hi)]);
            for (x, y) in s.points.iter().copied().chain(band) {
                if self.ok(x, y) {
                    xlo = xlo.min(x);
                    xhi = xhi.max(x);
                    ylo = ylo.min(y);
                    yhi = yhi.max(y);
                }
            }
        }
        let (xr, xw) = self.x_range.map_or(((xlo, xhi), true), |r| (r, false));
        let (yr, yw) = self.y_range.map_or(((ylo, yhi), true), |r| (r, false));
        let (xlo, xhi, xt) = ticks(xr.0, xr.1, self.log_x, 8, xw);
        let (ylo, yhi, yt) = ticks(yr.0, yr.1, self.log_y, 6, yw);
        let legend = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry {
                name: s.name.clone(),
                color: color(i),
                mark: if s.kind.unwrap_or(self.kind) == Kind::Line { Mark::Line } else { Mark::Dot },
            })
            .collect();
        let frame = self.head.frame(&self.xlabel, &self.ylabel, legend);
        let a = frame.area();
        let xs = Scale { lo: xlo, hi: xhi, log: self.log_x, p0: a.x0, p1: a.x1 };
        let ys = Scale { lo: ylo, hi: yhi, log: self.log_y, p0: a.y1, p1: a.y0 };
        let mut out = String::new();
        frame.open(&mut out);
        frame.axes(&mut out, Some((&xs, &xt)), (&ys, &yt));
        let _ = writeln!(out, "<clipPath id=\"area\"><rect {}/></clipPath>", a.rect());
        let _ = writeln!(out, "<g clip-path=\"url(#area)\">");
        let inside = |x: f64, y: f64| {
            let (px, py) = (xs.px(x), ys.px(y));
            px >= a.x0 - 0.01 && px <= a.x1 + 0.01 && py >= a.y0 - 0.01 && py <= a.y1 + 0.01
        };
        for (i, s) in self.series.iter().enumerate() {
            let c = color(i);
            if let Some(b) = &s.band {
                let pts: Vec<&(f64, f64, f64)> =
                    b.iter().filter(|&&(x, lo, hi)| self.ok(x, lo) && self.ok(x, hi)).collect();
                if !pts.is_empty() {
                    let mut d = String::new();
                    for &&(x, _, hi) in &pts {
                        let _ = write!(d, "{},{} ", n(xs.px(x)), n(ys.px(hi)));
                    }
                    for &&(x, lo, _) in pts.iter().rev() {
                        let _ = write!(d, "{},{} ", n(xs.px(x)), n(ys.px(lo)));
                    }
                    let _ = writeln!(
                        out,
                        "<polygon points=\"{}\" fill=\"{c}\" fill-opacity=\"0.18\" stroke=\"none\"/>",
                        d.trim_end()
                    );
                }
            }
            let pts: Vec<(f64, f64)> = s.points.iter().copied().filter(|&(x, y)| self.ok(x, y)).collect();
            match s.kind.unwrap_or(self.kind) {
                Kind::Line => {
                    let mut d = String::new();
                    for &(x, y) in &pts {
                        let _ = write!(d, "{},{} ", n(xs.px(x)), n(ys.px(y)));
                    }
                    let _ = writeln!(
                        out,
                        "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1.8\"/>",
                        d.trim_end()
                    );
                    if pts.len() <= 60 {
                        for &(x, y) in pts.iter().filter(|&&(x, y)| inside(x, y)) {
                            let _ = writeln!(
                                out,
                                "<circle cx=\"{}\" cy=\"{}\" r=\"2.6\" fill=\"{c}\"/>",
                                n(xs.px(x)),
                                n(ys.px(y))
                            );
                        }
                    }
                }
                Kind::Scatter => {
                    let (r, op) = if pts.len() > 500 { (1.8, 0.35) } else { (2.8, 0.7) };
                    let _ = writeln!(out, "<g fill=\"{c}\" fill-opacity=\"{op}\">");
                    for &(x, y) in pts.iter().filter(|&&(x, y)| inside(x, y)) {
                        let _ = writeln!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"{r}\"/>", n(xs.px(x)), n(ys.px(y)));
                    }
                    let _ = writeln!(out, "</g>");
                }
            }
        }
        let _ = writeln!(out, "</g>");
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_draws_one_circle_per_finite_point() {
        let svg = Plot::new("t", "x", "y").series("a", &[(0.0, 1.0), (1.0, 2.0), (f64::NAN, 3.0)]).to_svg();
        // Two finite points, plus one legend dot.
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
    }

    #[test]
    fn log_axis_skips_non_positive_points() {
        let p = Plot::new("t", "x", "y").series("", &[(0.0, 1.0), (1.0, 2.0), (10.0, 3.0)]).log_x();
        // No legend for a single unnamed series: circles are the two positive-x points.
        assert_eq!(p.to_svg().matches("<circle").count(), 2);
    }

    #[test]
    fn line_series_draw_polylines_and_bands_polygons() {
        let svg = Plot::new("t", "x", "y")
            .line()
            .series("m", &[(0.0, 1.0), (1.0, 2.0)])
            .band(&[(0.0, 0.5, 1.5), (1.0, 1.0, 3.0)])
            .series_as("s", &[(0.5, 1.0)], Kind::Scatter)
            .to_svg();
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<polygon").count(), 1);
        // Legend: one line mark (m) and one dot (s).
        assert_eq!(svg.matches("<line x1").count() - svg.matches("stroke=\"#e4e4e4\"").count(), 1);
    }

    #[test]
    fn output_is_deterministic_and_escaped() {
        let mk = || Plot::new("a < b", "x & y", "z").series("s\"1", &[(1.0, 2.0), (3.0, 4.0)]).to_svg();
        assert_eq!(mk(), mk());
        let svg = mk();
        assert!(svg.contains("a &lt; b") && svg.contains("x &amp; y") && svg.contains("s&quot;1"));
        assert!(!svg.contains("a < b"));
    }

    #[test]
    fn crowded_x_labels_are_thinned() {
        // 13 decades (1e-3 .. 1e10) on a 300 px wide plot: the plot area is
        // 300 - 72 - 16 = 212 px, 16 px per decade, narrower than labels such
        // as "100000" (6 chars × 6.4 px): not every decade keeps its label.
        let svg = Plot::new("t", "x", "y").series("", &[(1e-3, 1.0), (1e10, 2.0)]).log_x().size(300.0, 200.0).to_svg();
        let labels = svg.matches("text-anchor=\"middle\">").count() - 2; // minus title and x label
        assert!((3..14).contains(&labels), "{labels} x labels");
    }

    #[test]
    fn fixed_range_clips_points_outside() {
        let svg = Plot::new("t", "x", "y").series("", &[(0.0, 0.0), (5.0, 5.0)]).x_range(0.0, 1.0).to_svg();
        assert_eq!(svg.matches("<circle").count(), 1);
    }
}

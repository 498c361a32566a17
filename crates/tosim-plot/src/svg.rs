//! SVG text output and the frame every plot shares: title, axes, grid, ticks,
//! labels and legend.

use std::fmt::Write;

use crate::axis::{format_number, Scale};

/// Series colours, in order (Tableau 10; readable on white and in greyscale print).
pub const PALETTE: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// The colour of series number `i` (the palette repeats).
pub fn color(i: usize) -> &'static str {
    PALETTE[i % PALETTE.len()]
}

/// Escapes text for SVG element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A pixel coordinate with two decimals, trailing zeros dropped (deterministic).
pub(crate) fn n(v: f64) -> String {
    let s = format!("{:.2}", if v.abs() < 0.005 { 0.0 } else { v });
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// Approximate width of `s` in pixels at font size `size` (sans-serif).
pub(crate) fn text_width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * size * 0.58
}

/// A legend entry: name, colour, and how the mark is drawn.
pub(crate) struct LegendEntry {
    pub name: String,
    pub color: &'static str,
    pub mark: Mark,
}

/// How a legend mark is drawn.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Dot,
    Line,
    Block,
}

/// Title, subtitle and image size: set the same way on every kind of plot.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Head {
    pub title: String,
    pub subtitle: String,
    pub width: f64,
    pub height: f64,
}

impl Head {
    /// A head with `title`, no subtitle, 720×420 pixels.
    pub fn new(title: &str) -> Head {
        Head { title: title.into(), subtitle: String::new(), width: 720.0, height: 420.0 }
    }

    /// The frame of a plot with this head. The legend is drawn only when
    /// there are several entries or one has a name.
    pub fn frame<'a>(&'a self, xlabel: &'a str, ylabel: &'a str, legend: Vec<LegendEntry>) -> Frame<'a> {
        let legend = if legend.len() > 1 || legend.iter().any(|e| !e.name.is_empty()) { legend } else { Vec::new() };
        Frame {
            width: self.width,
            height: self.height,
            title: &self.title,
            subtitle: &self.subtitle,
            xlabel,
            ylabel,
            legend,
            extra_bottom: 0.0,
        }
    }
}

/// The builder methods of a plot type's [`Head`] (its `head` field):
/// `subtitle` and `size`.
macro_rules! head_builders {
    ($t:ty) => {
        /// A second line under the title (sizes, seeds, units).
        pub fn subtitle(mut self, text: &str) -> $t {
            self.head.subtitle = text.into();
            self
        }

        /// Image size in pixels (at least 200×150).
        pub fn size(mut self, width: f64, height: f64) -> $t {
            self.head.width = width.max(200.0);
            self.head.height = height.max(150.0);
            self
        }
    };
}
pub(crate) use head_builders;

/// Text and geometry common to every plot.
pub(crate) struct Frame<'a> {
    pub width: f64,
    pub height: f64,
    pub title: &'a str,
    pub subtitle: &'a str,
    pub xlabel: &'a str,
    pub ylabel: &'a str,
    pub legend: Vec<LegendEntry>,
    /// Extra room under the x axis (rotated category labels).
    pub extra_bottom: f64,
}

/// The plot area of a frame, in pixels.
#[derive(Clone, Copy)]
pub(crate) struct Area {
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
}

impl Area {
    /// The `x`, `y`, `width` and `height` attributes of a rectangle covering the area.
    pub fn rect(&self) -> String {
        format!(
            "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
            n(self.x0),
            n(self.y0),
            n(self.x1 - self.x0),
            n(self.y1 - self.y0)
        )
    }
}

/// Writes a light grey grid line from (x1, y1) to (x2, y2).
fn grid_line(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let _ =
        writeln!(out, "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e4e4e4\"/>", n(x1), n(y1), n(x2), n(y2));
}

/// Writes a text label at (x, y) with the given `text-anchor`; `text` is escaped.
pub(crate) fn label(out: &mut String, x: f64, y: f64, anchor: &str, text: &str) {
    let _ = writeln!(out, "<text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>", n(x), n(y), esc(text));
}

impl Frame<'_> {
    /// The plot area left after title, labels and legend.
    pub fn area(&self) -> Area {
        let legend_w =
            self.legend.iter().map(|e| text_width(&e.name, 11.0) + 34.0).fold(0.0, f64::max).min(self.width * 0.4);
        let top = if self.subtitle.is_empty() { 36.0 } else { 52.0 };
        Area { x0: 72.0, x1: self.width - 16.0 - legend_w, y0: top, y1: self.height - 48.0 - self.extra_bottom }
    }

    /// Opens the document: header, background, title, axis labels, legend.
    pub fn open(&self, out: &mut String) {
        let a = self.area();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">",
            w = n(self.width),
            h = n(self.height)
        );
        let _ = writeln!(out, "<title>{}</title>", esc(self.title));
        let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"20\" font-size=\"14\" font-weight=\"bold\" text-anchor=\"middle\">{}</text>",
            n(self.width / 2.0),
            esc(self.title)
        );
        if !self.subtitle.is_empty() {
            let _ = writeln!(
                out,
                "<text x=\"{}\" y=\"37\" fill=\"#555\" text-anchor=\"middle\">{}</text>",
                n(self.width / 2.0),
                esc(self.subtitle)
            );
        }
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>",
            n((a.x0 + a.x1) / 2.0),
            n(self.height - 10.0),
            esc(self.xlabel)
        );
        let cy = (a.y0 + a.y1) / 2.0;
        let _ = writeln!(
            out,
            "<text x=\"16\" y=\"{y}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 16 {y})\">{}</text>",
            esc(self.ylabel),
            y = n(cy)
        );
        for (i, e) in self.legend.iter().enumerate() {
            let x = a.x1 + 14.0;
            let y = a.y0 + 8.0 + 17.0 * i as f64;
            match e.mark {
                Mark::Dot => {
                    let _ =
                        writeln!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"4\" fill=\"{}\"/>", n(x + 8.0), n(y), e.color);
                }
                Mark::Line => {
                    let _ = writeln!(
                        out,
                        "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"2\"/>",
                        n(x),
                        n(x + 16.0),
                        e.color,
                        y = n(y)
                    );
                }
                Mark::Block => {
                    let _ = writeln!(
                        out,
                        "<rect x=\"{}\" y=\"{}\" width=\"16\" height=\"9\" fill=\"{c}\" fill-opacity=\"0.35\" \
                         stroke=\"{c}\"/>",
                        n(x),
                        n(y - 4.5),
                        c = e.color
                    );
                }
            }
            let _ = writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", n(x + 22.0), n(y + 4.0), esc(&e.name));
        }
    }

    /// Draws grid lines, ticks and tick labels of a numeric x and y axis and the frame.
    pub fn axes(&self, out: &mut String, xs: Option<(&Scale, &[f64])>, ys: (&Scale, &[f64])) {
        let a = self.area();
        let (ysc, yt) = ys;
        for &t in yt {
            let y = ysc.px(t);
            grid_line(out, a.x0, y, a.x1, y);
            label(out, a.x0 - 5.0, y + 4.0, "end", &format_number(t));
        }
        if let Some((xsc, xt)) = xs {
            // Label every `every`-th tick when the labels would overlap.
            let widest = xt.iter().map(|&t| text_width(&format_number(t), 11.0)).fold(0.0, f64::max);
            let gap = xt.windows(2).map(|w| (xsc.px(w[1]) - xsc.px(w[0])).abs()).fold(f64::INFINITY, f64::min);
            let every = if gap.is_finite() && gap > 0.0 { ((widest + 6.0) / gap).ceil().max(1.0) as usize } else { 1 };
            for (i, &t) in xt.iter().enumerate() {
                let x = xsc.px(t);
                grid_line(out, x, a.y0, x, a.y1);
                if i % every == 0 {
                    label(out, x, a.y1 + 15.0, "middle", &format_number(t));
                }
            }
        }
        let _ = writeln!(out, "<rect {} fill=\"none\" stroke=\"#333\"/>", a.rect());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(esc("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }

    #[test]
    fn coordinates_have_two_decimals() {
        assert_eq!(n(1.0), "1");
        assert_eq!(n(1.256), "1.26");
        assert_eq!(n(-0.001), "0");
        assert_eq!(n(10.5), "10.5");
    }
}

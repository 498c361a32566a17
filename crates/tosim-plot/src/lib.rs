//! Small, deterministic SVG plots for tosim's figures.
//!
//! No dependencies and no fonts: every figure is plain SVG text that any
//! browser, GitHub's Markdown view or an editor shows, and the same data
//! always gives the same bytes (fixed number formatting, no hash maps), so
//! figures committed under `docs/figures/` only change when the data does.
//!
//! - [`Plot`]: x–y plots with several named series, drawn as dots
//!   ([`Plot::scatter`]) or lines ([`Plot::line`]), shaded bands
//!   ([`Plot::band`], e.g. p5–p95 around a mean), log axes.
//! - [`Histogram`]: overlaid histograms of several samples on shared bins.
//! - [`BoxPlot`]: box summaries (quartiles, median, p5–p95 whiskers,
//!   min/max, mean) of named samples side by side.
//! - [`Summary`]: the statistics those draw (mean, std, CV, percentiles).
//! - [`Table`]: a CSV reader that turns columns into series
//!   ([`Table::xy_groups`]); `tosim plot` is built on it.
//!
//! ```
//! use tosim_plot::{BoxPlot, Histogram, Plot, Summary};
//! let ripple: Vec<(f64, f64)> = (0..=16).map(|h| (h as f64, 20.0 * h as f64)).collect();
//! let prefix: Vec<(f64, f64)> = (0..=16).map(|h| (h as f64, 35.0 * h as f64 + 10.0)).collect();
//! let svg = Plot::new("Switching TOs per operation", "input Hamming distance", "switching TOs")
//!     .series("ripple", &ripple)
//!     .series("kogge-stone", &prefix)
//!     .line()
//!     .to_svg();
//! assert!(svg.starts_with("<svg") && svg.contains("kogge-stone"));
//!
//! let samples = [3.0, 5.0, 4.0, 9.0];
//! let h = Histogram::new("TOs per operation", "switching TOs").series("ripple", &samples).to_svg();
//! let b = BoxPlot::new("TOs per operation", "switching TOs").group("ripple", &samples).to_svg();
//! assert!(h.contains("<polygon") && b.contains("<rect"));
//! assert_eq!(Summary::of(&samples).max_over_min(), 3.0);
//! ```

mod axis;
mod csv;
mod hist;
mod plot;
mod stats;
mod svg;

pub use axis::format_number;
pub use csv::{Groups, Table, TableError};
pub use hist::{BoxPlot, Histogram};
pub use plot::{Kind, Plot, Series};
pub use stats::Summary;
pub use svg::{color, PALETTE};

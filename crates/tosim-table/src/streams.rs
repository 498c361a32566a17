//! Operand streams by name: the generated distributions `--stream` names
//! (integer: uniform, Gaussian, Laplacian, Hamming weight; float: uniform bit
//! patterns, Gaussian values, post-ReLU × weight) or a file, for any unit.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use thiserror::Error;
use tosim_sim::{Distribution, Generated, Recorded, Stream, StreamError};
use tosim_units::float::FloatKind;

use crate::spec::AnySpec;
use crate::FloatDist;

/// A generated stream's distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StreamKind {
    /// Uniform bits (`random` or `uniform`; float: bit patterns, no NaNs).
    Uniform,
    /// Gaussian values.
    Gaussian,
    /// Laplacian values (integer units).
    Laplacian,
    /// A fixed number of one bits (integer units).
    Hamming,
    /// Post-ReLU activation × weight (float units).
    Relu,
}

/// Where operands come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A generator.
    Generated(StreamKind),
    /// A file with one operation per line.
    File(PathBuf),
}

impl FromStr for Source {
    type Err = std::convert::Infallible;

    /// `random`/`uniform`, `gaussian`, `laplacian`, `hamming`, `relu`; any
    /// other text is a file name.
    fn from_str(s: &str) -> Result<Source, Self::Err> {
        Ok(Source::Generated(match s {
            "random" | "uniform" => StreamKind::Uniform,
            "gaussian" => StreamKind::Gaussian,
            "laplacian" => StreamKind::Laplacian,
            "hamming" => StreamKind::Hamming,
            "relu" => StreamKind::Relu,
            file => return Ok(Source::File(PathBuf::from(file))),
        }))
    }
}

/// Why a stream could not be made.
#[derive(Debug, Error)]
pub enum StreamSpecError {
    /// Parameters that do not go together.
    #[error("{0}")]
    Invalid(String),
    /// The generator's parameters or the file.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

fn invalid(message: String) -> StreamSpecError {
    StreamSpecError::Invalid(message)
}

/// A stream request: source and generator parameters.
#[derive(Clone, Debug)]
pub struct StreamSpec {
    /// The generator or file.
    pub source: Source,
    /// Operations to generate.
    pub count: u64,
    /// Seed (SplitMix64).
    pub seed: u64,
    /// Standard deviation of Gaussian and Laplacian operands (default 256;
    /// float units: 1.0, of the values).
    pub sigma: Option<f64>,
    /// One bits of Hamming-weight operands.
    pub weight: u32,
    /// Fraction of operands replaced by zero (integer generators).
    pub zeros: f64,
}

impl StreamSpec {
    /// The integer stream for input buses of `widths` bits.
    pub fn int_stream(&self, widths: &[u32]) -> Result<Box<dyn Stream>, StreamSpecError> {
        if let Some(w) = widths.iter().find(|&&w| w > 128) {
            return Err(invalid(format!("input bus of {w} bits: streams hold operands of at most 128 bits")));
        }
        let g = Generated::uniform(widths, self.count, self.seed).with_zeros(self.zeros);
        let sigma = self.sigma.unwrap_or(256.0);
        let dist = match &self.source {
            Source::Generated(StreamKind::Uniform) => Distribution::Uniform,
            Source::Generated(StreamKind::Gaussian) => Distribution::Gaussian { sigma },
            Source::Generated(StreamKind::Laplacian) => Distribution::Laplacian { sigma },
            Source::Generated(StreamKind::Hamming) => Distribution::HammingWeight { weight: self.weight },
            Source::Generated(StreamKind::Relu) => {
                return Err(invalid(
                    "`relu` streams are for float units (integer units: random, gaussian, laplacian, hamming)".into(),
                ))
            }
            Source::File(file) => return self.file(file, widths),
        };
        let g = g.with_distribution(dist);
        g.validate()?;
        Ok(Box::new(g))
    }

    /// A stream file (large files are read in pieces: memory independent of length).
    fn file(&self, file: &Path, widths: &[u32]) -> Result<Box<dyn Stream>, StreamSpecError> {
        let r = tosim_sim::open_file(file, widths)?;
        if self.zeros != 0.0 {
            return Err(invalid("--zeros applies to generated streams only".into()));
        }
        Ok(r)
    }

    /// The float distribution of a generated float stream (`None`: a file).
    pub fn float_dist(&self) -> Result<Option<FloatDist>, StreamSpecError> {
        let sigma = self.sigma.unwrap_or(1.0);
        if !(sigma >= 0.0 && sigma.is_finite()) {
            return Err(invalid(format!("sigma {sigma} must be finite and >= 0")));
        }
        Ok(Some(match &self.source {
            Source::Generated(StreamKind::Uniform) => FloatDist::Uniform,
            Source::Generated(StreamKind::Gaussian) => FloatDist::Gaussian { sigma },
            Source::Generated(StreamKind::Relu) => FloatDist::Relu { sigma },
            Source::Generated(k @ (StreamKind::Laplacian | StreamKind::Hamming)) => {
                let name = if *k == StreamKind::Laplacian { "laplacian" } else { "hamming" };
                return Err(invalid(format!(
                    "`{name}` streams are for integer units (float units: uniform, gaussian, relu)"
                )));
            }
            Source::File(_) => return Ok(None),
        }))
    }

    /// The operand stream of `spec`: float distributions for float operands,
    /// the integer generator otherwise (the integer input of `itof`).
    pub fn unit_stream(&self, spec: &AnySpec, widths: &[u32]) -> Result<Box<dyn Stream>, StreamSpecError> {
        let AnySpec::Float(fs) = spec else { return self.int_stream(widths) };
        if fs.kind == FloatKind::IntToFloat {
            return self.int_stream(widths);
        }
        let Some(dist) = self.float_dist()? else { return self.int_stream(widths) };
        if self.zeros != 0.0 {
            return Err(invalid("--zeros applies to integer streams (float: use --stream relu)".into()));
        }
        let ops = dist.operands(fs.format, widths.len(), self.count as usize, self.seed);
        Ok(Box::new(Recorded::new(widths.len(), ops.into_iter().flatten().collect())))
    }
}

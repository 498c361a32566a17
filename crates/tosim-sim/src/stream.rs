//! Operand streams: what a unit is fed, one operation after another.
//!
//! A stream is random-access ([`Stream::fill`] any range), so long streams are
//! split across threads without being held in memory. Generated streams are
//! counter-based: operand `k` of operation `i` uses outputs number
//! `(i·K + k)·4 + j` (`j = 0..3`, K = operands) of the SplitMix64 sequence
//! seeded with the seed (Steele, Lea, Flood, "Fast splittable pseudorandom
//! number generators", OOPSLA 2014): output `n` is `mix(seed + (n+1)·γ)` with
//! `γ = 0x9E3779B97F4A7C15`, so any operation is generated on its own.

use std::path::Path;

use thiserror::Error;

/// A stream error (file reading and parsing).
#[derive(Debug, Error)]
pub enum StreamError {
    /// The file could not be read.
    #[error("{file}: {source}")]
    Io {
        /// File name.
        file: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line could not be parsed.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// File name.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A generator parameter is out of range.
    #[error("invalid stream parameter: {0}")]
    Param(String),
}

/// A sequence of operations; each operation is one value per input bus
/// (LSB first, up to 128 bits).
pub trait Stream: Sync {
    /// Number of operations.
    fn len(&self) -> u64;
    /// Whether the stream is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Number of operands per operation.
    fn operands(&self) -> usize;
    /// Writes operations `first, first+1, …` into `out`, `operands()` values
    /// each (`out.len()` is a multiple of `operands()`; all of them `< len()`).
    fn fill(&self, first: u64, out: &mut [u128]);
}

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// SplitMix64 output function.
#[inline]
pub fn splitmix64(z: u64) -> u64 {
    let mut z = z;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Output number `n` of the SplitMix64 sequence seeded with `seed`.
#[inline]
pub fn splitmix64_at(seed: u64, n: u64) -> u64 {
    splitmix64(seed.wrapping_add(n.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// How generated operand values are distributed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Distribution {
    /// Every bit of the bus width uniform and independent.
    Uniform,
    /// `round(σ·z)`, `z` standard normal (Box–Muller), clamped to the signed
    /// range of the width and stored in two's complement.
    Gaussian {
        /// Standard deviation.
        sigma: f64,
    },
    /// `round(x)`, `x` Laplacian with standard deviation σ (scale σ/√2), clamped
    /// and stored like [`Distribution::Gaussian`].
    Laplacian {
        /// Standard deviation.
        sigma: f64,
    },
    /// Exactly `weight` of the width's bits set, positions uniform (Floyd's
    /// sampling); `weight` is capped at the width.
    HammingWeight {
        /// Number of one bits.
        weight: u32,
    },
}

/// A generated stream: `count` operations with operands of the given widths.
#[derive(Clone, Debug)]
pub struct Generated {
    /// Width of each operand, in bits (≤ 128).
    pub widths: Vec<u32>,
    /// Number of operations.
    pub count: u64,
    /// Seed.
    pub seed: u64,
    /// Value distribution.
    pub dist: Distribution,
    /// Probability that an operand is 0 (sparsity), drawn independently.
    pub zeros: f64,
}

impl Generated {
    /// A uniform random stream.
    pub fn uniform(widths: &[u32], count: u64, seed: u64) -> Self {
        Generated { widths: widths.to_vec(), count, seed, dist: Distribution::Uniform, zeros: 0.0 }
    }

    /// The same stream with another distribution.
    pub fn with_distribution(mut self, dist: Distribution) -> Self {
        self.dist = dist;
        self
    }

    /// The same stream with a fraction `p` of operands replaced by zero.
    pub fn with_zeros(mut self, p: f64) -> Self {
        self.zeros = p;
        self
    }

    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), StreamError> {
        if let Some(w) = self.widths.iter().find(|&&w| w > 128) {
            return Err(StreamError::Param(format!("operand width {w} exceeds 128 bits")));
        }
        if !(0.0..=1.0).contains(&self.zeros) {
            return Err(StreamError::Param(format!("zero fraction {} not in [0, 1]", self.zeros)));
        }
        match self.dist {
            Distribution::Gaussian { sigma } | Distribution::Laplacian { sigma }
                if !(sigma >= 0.0 && sigma.is_finite()) =>
            {
                Err(StreamError::Param(format!("sigma {sigma} must be finite and >= 0")))
            }
            _ => Ok(()),
        }
    }

    /// Operand `k` of operation `i`.
    pub fn value(&self, i: u64, k: usize) -> u128 {
        let kk = self.widths.len() as u64;
        let base = (i.wrapping_mul(kk).wrapping_add(k as u64)).wrapping_mul(4);
        let r = |j: u64| splitmix64_at(self.seed, base + j);
        let width = self.widths[k].min(128);
        let mask = if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
        if self.zeros > 0.0 && unit_f64(r(3)) < self.zeros {
            return 0;
        }
        match self.dist {
            Distribution::Uniform => ((r(1) as u128) << 64 | r(0) as u128) & mask,
            Distribution::Gaussian { sigma } => {
                // Box–Muller: u1 in (0, 1], u2 in [0, 1).
                let u1 = 1.0 - unit_f64(r(0));
                let u2 = unit_f64(r(1));
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                signed(z * sigma, width) & mask
            }
            Distribution::Laplacian { sigma } => {
                let b = sigma / std::f64::consts::SQRT_2;
                let u = unit_f64(r(0)) - 0.5;
                let x = -b * u.signum() * (1.0 - 2.0 * u.abs()).max(f64::MIN_POSITIVE).ln();
                signed(x, width) & mask
            }
            Distribution::HammingWeight { weight } => {
                let h = weight.min(width);
                // Floyd: for j in width-h .. width, pick t in [0, j]; take t or j.
                let mut v = 0u128;
                for (n, j) in (width - h..width).enumerate() {
                    let t = (splitmix64_at(self.seed ^ 0x5bd1_e995, base.wrapping_mul(131).wrapping_add(n as u64))
                        % (j as u64 + 1)) as u32;
                    if v >> t & 1 == 1 {
                        v |= 1 << j;
                    } else {
                        v |= 1 << t;
                    }
                }
                v
            }
        }
    }
}

/// Uniform in [0, 1) from the top 53 bits.
fn unit_f64(x: u64) -> f64 {
    (x >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// `round(x)` clamped to the signed range of `width` bits, as two's complement bits.
fn signed(x: f64, width: u32) -> u128 {
    if width == 0 {
        return 0;
    }
    let w = width.min(127);
    let hi = (1i128 << (w - 1)) - 1;
    let lo = -(1i128 << (w - 1));
    let v = x.round();
    let v = if v.is_nan() {
        0
    } else if v >= hi as f64 {
        hi
    } else if v <= lo as f64 {
        lo
    } else {
        v as i128
    };
    v as u128
}

impl Stream for Generated {
    fn len(&self) -> u64 {
        self.count
    }
    fn operands(&self) -> usize {
        self.widths.len()
    }
    fn fill(&self, first: u64, out: &mut [u128]) {
        let k = self.widths.len();
        if k == 0 {
            return;
        }
        for (j, op) in out.chunks_exact_mut(k).enumerate() {
            for (kk, v) in op.iter_mut().enumerate() {
                *v = self.value(first + j as u64, kk);
            }
        }
    }
}

/// Operations held in memory (e.g. read from a file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    operands: usize,
    values: Vec<u128>,
}

impl Recorded {
    /// A stream of `values.len() / operands` operations, operands of one operation consecutive.
    pub fn new(operands: usize, values: Vec<u128>) -> Self {
        Recorded { operands, values }
    }

    /// The values, operation-major.
    pub fn values(&self) -> &[u128] {
        &self.values
    }

    /// Parses text with one operation per line: operands in port order,
    /// decimal (optionally negative: two's complement in the width) or `0x`
    /// hex, separated by spaces, tabs or commas. Blank lines and lines starting
    /// with `#` are skipped. `file` names the source in errors.
    pub fn parse(text: &[u8], file: &str, widths: &[u32]) -> Result<Self, StreamError> {
        let k = widths.len();
        let mut values = Vec::with_capacity(text.len() / 8);
        for (ln, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let mut fields = line.split(|&b| b == b' ' || b == b'\t' || b == b',').filter(|f| !f.is_empty());
            let first = match fields.next() {
                None => continue,
                Some(f) if f[0] == b'#' => continue,
                Some(f) => f,
            };
            let err = |message: String| StreamError::Parse { file: file.to_string(), line: ln + 1, message };
            let mut n = 0usize;
            for f in std::iter::once(first).chain(fields) {
                if n >= k {
                    return Err(err(format!("more than {k} operands")));
                }
                let v = parse_number(f, widths[n]).map_err(|m| err(format!("operand {}: {m}", n + 1)))?;
                values.push(v);
                n += 1;
            }
            if n != k {
                return Err(err(format!("{n} operands, expected {k}")));
            }
        }
        Ok(Recorded { operands: k, values })
    }

    /// Reads and parses a file (see [`Recorded::parse`]).
    pub fn read(path: &Path, widths: &[u32]) -> Result<Self, StreamError> {
        let file = path.display().to_string();
        let text = std::fs::read(path).map_err(|source| StreamError::Io { file: file.clone(), source })?;
        Self::parse(&text, &file, widths)
    }
}

fn parse_number(f: &[u8], width: u32) -> Result<u128, String> {
    let text = || String::from_utf8_lossy(f).into_owned();
    let (neg, digits) = match f.first() {
        Some(b'-') => (true, &f[1..]),
        _ => (false, f),
    };
    let (radix, digits) = if digits.len() > 2 && (digits.starts_with(b"0x") || digits.starts_with(b"0X")) {
        (16u32, &digits[2..])
    } else {
        (10u32, digits)
    };
    if digits.is_empty() {
        return Err(format!("`{}` is not a number", text()));
    }
    let mut v: u128 = 0;
    for &c in digits {
        let d = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'a'..=b'f' if radix == 16 => (c - b'a' + 10) as u32,
            b'A'..=b'F' if radix == 16 => (c - b'A' + 10) as u32,
            b'_' => continue,
            _ => return Err(format!("`{}` is not a number", text())),
        };
        v = v
            .checked_mul(radix as u128)
            .and_then(|v| v.checked_add(d as u128))
            .ok_or_else(|| format!("`{}` does not fit in 128 bits", text()))?;
    }
    let mask = if width >= 128 { u128::MAX } else { (1u128 << width) - 1 };
    if neg {
        if width == 0 || (width < 128 && v > 1u128 << (width - 1)) {
            return Err(format!("`{}` does not fit in {width} signed bits", text()));
        }
        Ok(v.wrapping_neg() & mask)
    } else if v & !mask != 0 {
        Err(format!("`{}` does not fit in {width} bits", text()))
    } else {
        Ok(v)
    }
}

impl Stream for Recorded {
    fn len(&self) -> u64 {
        self.values.len().checked_div(self.operands).unwrap_or(0) as u64
    }
    fn operands(&self) -> usize {
        self.operands
    }
    fn fill(&self, first: u64, out: &mut [u128]) {
        let s = first as usize * self.operands;
        out.copy_from_slice(&self.values[s..s + out.len()]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // Reference: the SplitMix64 C code (Vigna) seeded with 0 returns
        // 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4 as its first two outputs.
        assert_eq!(splitmix64_at(0, 0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64_at(0, 1), 0x6e78_9e6a_a1b9_65f4);
    }

    #[test]
    fn parses_numbers_and_reports_lines() {
        let r = Recorded::parse(b"1 2\n0x10,  0xff\n\n# c\n-1 3\n", "f.txt", &[8, 8]).unwrap();
        assert_eq!(r.values(), &[1, 2, 16, 255, 255, 3]);
        let e = Recorded::parse(b"1 2\n3\n", "f.txt", &[8, 8]).unwrap_err().to_string();
        assert_eq!(e, "f.txt:2: 1 operands, expected 2");
        let e = Recorded::parse(b"1 256\n", "f.txt", &[8, 8]).unwrap_err().to_string();
        assert_eq!(e, "f.txt:1: operand 2: `256` does not fit in 8 bits");
        let e = Recorded::parse(b"1 x\n", "f.txt", &[8, 8]).unwrap_err().to_string();
        assert_eq!(e, "f.txt:1: operand 2: `x` is not a number");
    }

    #[test]
    fn distributions_have_their_moments() {
        let n = 20_000u64;
        let g = Generated::uniform(&[16], n, 7).with_distribution(Distribution::Gaussian { sigma: 100.0 });
        let vals: Vec<f64> = (0..n).map(|i| g.value(i, 0) as u16 as i16 as f64).collect();
        let mean = vals.iter().sum::<f64>() / n as f64;
        let sd = (vals.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64).sqrt();
        assert!(mean.abs() < 3.0 && (sd - 100.0).abs() < 3.0, "gaussian mean {mean} sd {sd}");
        let l = g.clone().with_distribution(Distribution::Laplacian { sigma: 50.0 });
        let vals: Vec<f64> = (0..n).map(|i| l.value(i, 0) as u16 as i16 as f64).collect();
        let sd = (vals.iter().map(|v| v * v).sum::<f64>() / n as f64).sqrt();
        assert!((sd - 50.0).abs() < 2.5, "laplacian sd {sd}");
        let h = Generated::uniform(&[12], 1000, 3).with_distribution(Distribution::HammingWeight { weight: 5 });
        for i in 0..1000 {
            assert_eq!(h.value(i, 0).count_ones(), 5);
        }
        let z = Generated::uniform(&[32], n, 9).with_zeros(0.25);
        let zeros = (0..n).filter(|&i| z.value(i, 0) == 0).count() as f64 / n as f64;
        assert!((zeros - 0.25).abs() < 0.02, "zero fraction {zeros}");
    }
}

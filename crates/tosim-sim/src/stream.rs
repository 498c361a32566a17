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
    /// Why a [`Stream::fill`] could not give the stream's operations (a file
    /// that changed while it was read), if one could not: the counts of that
    /// run are then wrong and must not be reported.
    fn failure(&self) -> Option<String> {
        None
    }
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
                let z = standard_normal(self.seed, base);
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

/// A standard normal sample (Box–Muller, cosine branch) from outputs `n`
/// and `n + 1` of the SplitMix64 sequence seeded with `seed`: `u1` in (0, 1]
/// from the first, `u2` in [0, 1) from the second (top 53 bits each),
/// `z = √(−2 ln u1) · cos(2π u2)`. The Gaussian operands of [`Generated`]
/// and the study streams of tosim-study draw their normals here.
pub fn standard_normal(seed: u64, n: u64) -> f64 {
    let u1 = 1.0 - unit_f64(splitmix64_at(seed, n));
    let u2 = unit_f64(splitmix64_at(seed, n.wrapping_add(1)));
    box_muller(u1, u2)
}

/// The Box–Muller transform, cosine branch: `√(−2 ln u1) · cos(2π u2)`, a
/// standard normal sample from two uniforms (`u1` in (0, 1], `u2` in [0, 1)).
/// [`standard_normal`] and samplers that draw their uniforms otherwise (the
/// float operand draws of tosim-table) share this one formula.
#[inline]
pub fn box_muller(u1: f64, u2: f64) -> f64 {
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Uniform in [0, 1) from the top 53 bits of a 64-bit random number (every
/// uniform draw of tosim: operand streams, the study, the sweep's weights).
pub fn unit_f64(x: u64) -> f64 {
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
        if self.dist == Distribution::Uniform && self.zeros == 0.0 {
            // `value` for uniform operands without zeros, its steps unrolled:
            // the high word is drawn only when the width needs it.
            let kk = k as u64;
            for (j, op) in out.chunks_exact_mut(k).enumerate() {
                let i = first.wrapping_add(j as u64);
                for ((b, v), &width) in op.iter_mut().enumerate().zip(&self.widths) {
                    let base = i.wrapping_mul(kk).wrapping_add(b as u64).wrapping_mul(4);
                    let lo = splitmix64_at(self.seed, base) as u128;
                    *v = match width {
                        0 => 0,
                        1..=63 => lo & ((1u128 << width) - 1),
                        64 => lo,
                        _ => {
                            let hi = (splitmix64_at(self.seed, base + 1) as u128) << 64 | lo;
                            if width >= 128 {
                                hi
                            } else {
                                hi & ((1u128 << width) - 1)
                            }
                        }
                    };
                }
            }
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
        let mut values = Vec::with_capacity(text.len() / 8);
        parse_lines(text, 0, file, widths, &mut values, |_, _| true)?;
        Ok(Recorded { operands: widths.len(), values })
    }

    /// Reads and parses a file (see [`Recorded::parse`]).
    pub fn read(path: &Path, widths: &[u32]) -> Result<Self, StreamError> {
        let file = path.display().to_string();
        let text = std::fs::read(path).map_err(|source| StreamError::Io { file: file.clone(), source })?;
        Self::parse(&text, &file, widths)
    }
}

/// Parses the lines of `text` (numbered from `first_line + 1`), appending each
/// operation's operands to `values`. Before each operation, `at(byte offset
/// of its line, operations so far)` is asked whether to go on.
fn parse_lines(
    text: &[u8],
    first_line: usize,
    file: &str,
    widths: &[u32],
    values: &mut Vec<u128>,
    mut at: impl FnMut(usize, u64) -> bool,
) -> Result<u64, StreamError> {
    let k = widths.len();
    let mut ops = 0u64;
    let mut offset = 0usize;
    for (ln, line) in text.split(|&b| b == b'\n').enumerate() {
        let start = offset;
        offset += line.len() + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // `#` starts a comment anywhere on a line.
        let line = line.split(|&b| b == b'#').next().unwrap_or(line);
        let mut fields = line.split(|&b| b == b' ' || b == b'\t' || b == b',').filter(|f| !f.is_empty());
        let Some(first) = fields.next() else { continue };
        if !at(start, ops) {
            break;
        }
        let err = |message: String| StreamError::Parse { file: file.to_string(), line: first_line + ln + 1, message };
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
        ops += 1;
    }
    Ok(ops)
}

/// Files up to this size are parsed into memory by [`open_file`].
pub const IN_MEMORY_BYTES: u64 = 64 << 20;

/// Opens a stream file: up to [`IN_MEMORY_BYTES`] parsed into memory
/// ([`Recorded`], 16 bytes per operand; the fastest to simulate), larger
/// ones read in pieces ([`FileStream`], memory independent of the length).
pub fn open_file(path: &Path, widths: &[u32]) -> Result<Box<dyn Stream>, StreamError> {
    let size =
        std::fs::metadata(path).map_err(|source| StreamError::Io { file: path.display().to_string(), source })?.len();
    if size <= IN_MEMORY_BYTES {
        Ok(Box::new(Recorded::read(path, widths)?))
    } else {
        Ok(Box::new(FileStream::open(path, widths)?))
    }
}

/// Operations per index mark of a [`FileStream`].
const MARK: u64 = 64;

/// A stream file read in pieces: memory does not hold the operations, only
/// the byte offset of every 64th one (8 bytes per 64 operations).
///
/// [`FileStream::open`] reads the file once in 1 MiB pieces, checks every
/// line (the same format and errors as [`Recorded::parse`]) and notes the
/// offsets; [`Stream::fill`] then reads and parses just the lines it is asked
/// for, so threads read their own parts of the file in parallel. The file
/// must not change while the stream is in use: operations that can no longer
/// be read or parsed come out as zeros, and [`Stream::failure`] says so.
#[derive(Debug)]
pub struct FileStream {
    file: std::fs::File,
    name: String,
    widths: Vec<u32>,
    len: u64,
    /// Byte offset of the line of operation `64·i`, then the file length.
    marks: Vec<u64>,
    /// The first read or parse failure after opening.
    failed: std::sync::Mutex<Option<String>>,
}

impl FileStream {
    /// Opens, checks and indexes a stream file (operands of the given bus widths).
    pub fn open(path: &Path, widths: &[u32]) -> Result<Self, StreamError> {
        use std::io::Read;
        let name = path.display().to_string();
        let io = |source| StreamError::Io { file: name.clone(), source };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut marks = Vec::new();
        let (mut buf, mut piece) = (Vec::new(), vec![0u8; 1 << 20]);
        let (mut base, mut line, mut len) = (0u64, 0usize, 0u64);
        let mut scratch = Vec::new();
        loop {
            let got = file.read(&mut piece).map_err(io)?;
            buf.extend_from_slice(&piece[..got]);
            // Whole lines only, except at the end of the file.
            let upto = if got == 0 { buf.len() } else { buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) };
            let text = &buf[..upto];
            let text = text.strip_suffix(b"\n").unwrap_or(text);
            if upto > 0 {
                let before = len;
                len += parse_lines(text, line, &name, widths, &mut scratch, |at, n| {
                    if (before + n) % MARK == 0 {
                        marks.push(base + at as u64);
                    }
                    true
                })?;
                scratch.clear();
                line += text.split(|&b| b == b'\n').count();
                base += upto as u64;
                buf.drain(..upto);
            }
            if got == 0 {
                break;
            }
        }
        marks.push(base);
        let file = std::fs::File::open(path).map_err(io)?;
        Ok(FileStream { file, name, widths: widths.to_vec(), len, marks, failed: Default::default() })
    }

    /// Reads `len` bytes at `offset`.
    fn read_at(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut buf, offset)?;
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < len {
                let n = std::os::windows::fs::FileExt::seek_read(&self.file, &mut buf[done..], offset + done as u64)?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                done += n;
            }
        }
        #[cfg(not(any(unix, windows)))]
        {
            use std::io::{Read, Seek};
            let mut f = std::fs::File::open(&self.name)?;
            f.seek(std::io::SeekFrom::Start(offset))?;
            f.read_exact(&mut buf)?;
        }
        Ok(buf)
    }
}

impl Stream for FileStream {
    fn len(&self) -> u64 {
        self.len
    }
    fn operands(&self) -> usize {
        self.widths.len()
    }
    fn fill(&self, first: u64, out: &mut [u128]) {
        let k = self.widths.len();
        if k == 0 || out.is_empty() {
            return;
        }
        let n = (out.len() / k) as u64;
        let (m0, m1) = ((first / MARK) as usize, (first + n).div_ceil(MARK) as usize);
        let (from, to) = (self.marks[m0.min(self.marks.len() - 1)], self.marks[m1.min(self.marks.len() - 1)]);
        let skip = first - m0 as u64 * MARK;
        let mut values = Vec::with_capacity(out.len());
        // Checked when the file was opened; a changed file leaves zeros and a failure.
        let problem = match self.read_at(from, (to - from) as usize) {
            Ok(text) => parse_lines(&text, 0, &self.name, &self.widths, &mut values, |_, i| i < skip + n).err(),
            Err(e) => Some(StreamError::Io { file: self.name.clone(), source: e }),
        };
        let start = (skip as usize * k).min(values.len());
        let have = (values.len() - start).min(out.len());
        let problem = problem.map(|e| e.to_string()).or_else(|| {
            (have < out.len()).then(|| format!("{}: operations {first}.. are no longer in the file", self.name))
        });
        if let Some(p) = problem {
            let mut f = self.failed.lock().unwrap_or_else(|e| e.into_inner());
            f.get_or_insert_with(|| format!("{p} (the stream file changed while it was simulated)"));
        }
        out[..have].copy_from_slice(&values[start..start + have]);
        out[have..].iter_mut().for_each(|v| *v = 0);
    }
    fn failure(&self) -> Option<String> {
        self.failed.lock().unwrap_or_else(|e| e.into_inner()).clone()
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
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'a'..=b'f' if radix == 16 => Some((c - b'a' + 10) as u32),
        b'A'..=b'F' if radix == 16 => Some((c - b'A' + 10) as u32),
        _ => None,
    };
    let mut v: u128 = 0;
    if digits.len() <= if radix == 16 { 16 } else { 19 } {
        // Fits in 64 bits (16 hex or 19 decimal digits): no overflow checks.
        let mut x = 0u64;
        for &c in digits {
            match digit(c) {
                Some(d) => x = x * radix as u64 + d as u64,
                None if c == b'_' => continue,
                None => return Err(format!("`{}` is not a number", text())),
            }
        }
        v = x as u128;
    } else {
        for &c in digits {
            let d = match digit(c) {
                Some(d) => d,
                None if c == b'_' => continue,
                None => return Err(format!("`{}` is not a number", text())),
            };
            v = v
                .checked_mul(radix as u128)
                .and_then(|v| v.checked_add(d as u128))
                .ok_or_else(|| format!("`{}` does not fit in 128 bits", text()))?;
        }
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

    /// `#` starts a comment anywhere on a line: whole comment lines and trailing comments.
    #[test]
    fn comments_anywhere_on_a_line() {
        let r = Recorded::parse(b"# a, b\n1 2 # first\n\n0x3,4#second\n", "c.txt", &[8, 8]).unwrap();
        assert_eq!(r.values(), &[1, 2, 3, 4]);
        let e = Recorded::parse(b"1 # 2\n", "c.txt", &[8, 8]).unwrap_err().to_string();
        assert!(e.contains("c.txt:1") && e.contains("1 operands, expected 2"), "{e}");
    }

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

    /// A file stream (read in 1 MiB pieces, 64-operation marks) gives the same
    /// operations and the same errors as the whole file parsed in memory.
    #[test]
    fn file_stream_equals_recorded() {
        let dir = std::env::temp_dir().join(format!("tosim-sim-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let widths = [20u32, 7, 100];
        // ~70,000 lines, over 2 MiB: lines cross piece boundaries.
        let mut text = String::from("# operands a b c\n\n");
        for i in 0..70_000u64 {
            let (a, b) = (splitmix64(i) % (1 << 20), splitmix64(i + 7) % 128);
            let c = (splitmix64(i + 9) as u128) << 36 | splitmix64(i + 11) as u128;
            match i % 5 {
                0 => text += &format!("{a} {b} 0x{c:x}\n"),
                1 => text += &format!("0x{a:X},{b},{c}\r\n"),
                2 => text += &format!("  {a}\t-{}  {c}\n# comment\n", b.min(64)),
                3 => text += &format!("{a} {b} {c}\n\n"),
                _ => text += &format!("{a} {b} {c}"),
            }
            if i % 5 == 4 {
                text += "\n";
            }
        }
        let path = dir.join("ops.txt");
        std::fs::write(&path, &text).unwrap();
        let mem = Recorded::parse(text.as_bytes(), &path.display().to_string(), &widths).unwrap();
        let file = FileStream::open(&path, &widths).unwrap();
        assert_eq!((file.len(), file.operands()), (70_000, 3));
        let mut all = vec![0u128; 70_000 * 3];
        file.fill(0, &mut all);
        assert_eq!(&all[..], mem.values());
        for &(first, n) in &[(0u64, 1usize), (63, 65), (64, 64), (1000, 1), (69_999, 1), (12_345, 3000)] {
            let mut a = vec![0u128; n * 3];
            let mut b = vec![0u128; n * 3];
            file.fill(first, &mut a);
            mem.fill(first, &mut b);
            assert_eq!(a, b, "operations {first}..+{n}");
        }
        assert_eq!(file.failure(), None);
        // A file cut short after opening: the lost operations are a failure, not silent zeros.
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        let mut tail = vec![0u128; 3];
        file.fill(69_999, &mut tail);
        let f = file.failure().expect("a shortened file is reported");
        assert!(f.contains("changed while it was simulated"), "{f}");
        // The same error, with the same line number, past the first piece.
        let bad = text.clone() + "1 2\n";
        std::fs::write(&path, &bad).unwrap();
        let e1 = FileStream::open(&path, &widths).unwrap_err().to_string();
        let e2 = Recorded::parse(bad.as_bytes(), &path.display().to_string(), &widths).unwrap_err().to_string();
        assert_eq!(e1, e2);
        assert!(e1.ends_with("2 operands, expected 3"), "{e1}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The uniform fast path of `fill` gives `value`'s operands.
    #[test]
    fn uniform_fill_equals_value() {
        let g = Generated::uniform(&[1, 7, 63, 64, 65, 100, 128, 0], 300, 17);
        let mut out = vec![0u128; 300 * 8];
        g.fill(0, &mut out);
        for i in 0..300 {
            for k in 0..8 {
                assert_eq!(out[i * 8 + k], g.value(i as u64, k), "operation {i}, operand {k}");
            }
        }
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

    #[test]
    fn standard_normal_is_box_muller_on_consecutive_draws() {
        // The formula Generated's Gaussian operands used inline before they
        // called standard_normal: the values must stay bit-identical.
        for (seed, n) in [(1u64, 0u64), (7, 12), (u64::MAX, 1 << 40)] {
            let u1 = 1.0 - (splitmix64_at(seed, n) >> 11) as f64 / (1u64 << 53) as f64;
            let u2 = (splitmix64_at(seed, n + 1) >> 11) as f64 / (1u64 << 53) as f64;
            let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
            assert_eq!(standard_normal(seed, n).to_bits(), z.to_bits());
        }
        let g = Generated::uniform(&[16, 16], 50, 3).with_distribution(Distribution::Gaussian { sigma: 300.0 });
        for i in 0..50u64 {
            for k in 0..2 {
                let z = standard_normal(3, (i * 2 + k as u64) * 4);
                assert_eq!(g.value(i, k), signed(z * 300.0, 16) & 0xffff);
            }
        }
    }
}

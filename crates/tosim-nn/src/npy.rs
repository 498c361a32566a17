//! A reader for NumPy `.npy` files (format versions 1, 2 and 3).
//!
//! Layout (numpy `lib/format.py`): the magic `\x93NUMPY`, a major and minor
//! version byte, the header length (u16 little endian in version 1, u32 in 2
//! and 3), then a Python dict literal such as
//! `{'descr': '<f4', 'fortran_order': False, 'shape': (450, 64), }` padded with
//! spaces and a newline, then the data. tosim reads the little-endian or
//! byte-order-free types `<f4 <f8 <i8 <i4 |u1 |i1` in C order; anything else,
//! a truncated or over-long data section, or a malformed header is an error.

use std::path::{Path, PathBuf};

use crate::error::{NnError, Result};

/// The element data of an array.
#[derive(Debug, Clone, PartialEq)]
pub enum NpyData {
    /// `<f4`.
    F32(Vec<f32>),
    /// `<f8`.
    F64(Vec<f64>),
    /// `<i8`.
    I64(Vec<i64>),
    /// `<i4`.
    I32(Vec<i32>),
    /// `|u1`.
    U8(Vec<u8>),
    /// `|i1`.
    I8(Vec<i8>),
}

impl NpyData {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            NpyData::F32(v) => v.len(),
            NpyData::F64(v) => v.len(),
            NpyData::I64(v) => v.len(),
            NpyData::I32(v) => v.len(),
            NpyData::U8(v) => v.len(),
            NpyData::I8(v) => v.len(),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The numpy `descr` string of this element type.
    pub fn descr(&self) -> &'static str {
        match self {
            NpyData::F32(_) => "<f4",
            NpyData::F64(_) => "<f8",
            NpyData::I64(_) => "<i8",
            NpyData::I32(_) => "<i4",
            NpyData::U8(_) => "|u1",
            NpyData::I8(_) => "|i1",
        }
    }
}

/// A C-order n-dimensional array read from a `.npy` file.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyArray {
    /// The file it came from (for error messages).
    pub path: PathBuf,
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// Elements in C (row-major) order.
    pub data: NpyData,
}

/// Reads a `.npy` file.
pub fn read_npy(path: &Path) -> Result<NpyArray> {
    let bytes = std::fs::read(path).map_err(|source| NnError::Io { path: path.to_path_buf(), source })?;
    parse_npy(&bytes, path)
}

/// Parses the bytes of a `.npy` file; `path` is used in error messages only.
pub fn parse_npy(bytes: &[u8], path: &Path) -> Result<NpyArray> {
    let bad = |what: String| NnError::BadNpy { path: path.to_path_buf(), what };
    if bytes.is_empty() {
        return Err(NnError::EmptyFile { path: path.to_path_buf() });
    }
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("missing the \\x93NUMPY magic: not a .npy file".into()));
    }
    let major = bytes[6];
    let (hlen, hstart) = match major {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 => {
            let Some(b) = bytes.get(8..12) else {
                return Err(bad("truncated header length".into()));
            };
            (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize, 12)
        }
        v => return Err(bad(format!("unsupported format version {v}.{}", bytes[7]))),
    };
    let Some(hbytes) = bytes.get(hstart..hstart + hlen) else {
        return Err(bad(format!("header of {hlen} bytes runs past the end of the file ({} bytes)", bytes.len())));
    };
    let header = std::str::from_utf8(hbytes).map_err(|_| bad("header is not UTF-8 text".into()))?;
    let h = parse_header(header).map_err(|w| bad(format!("header {:?}: {w}", header.trim_end())))?;
    if h.fortran_order {
        return Err(bad("Fortran (column-major) order is not supported; save with np.ascontiguousarray".into()));
    }
    let count =
        h.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or_else(|| bad("shape overflows".into()))?;
    let item = match h.descr.as_str() {
        "<f4" => 4,
        "<f8" => 8,
        "<i8" => 8,
        "<i4" => 4,
        "|u1" | "<u1" => 1,
        "|i1" | "<i1" => 1,
        d => return Err(bad(format!("unsupported dtype {d:?} (tosim reads <f4 <f8 <i8 <i4 |u1 |i1, little endian)"))),
    };
    let body = &bytes[hstart + hlen..];
    let want = count.checked_mul(item).ok_or_else(|| bad("shape overflows".into()))?;
    if body.len() < want {
        return Err(bad(format!(
            "truncated data: shape {:?} of {} needs {want} bytes, the file has {}",
            h.shape,
            h.descr,
            body.len()
        )));
    }
    if body.len() > want {
        return Err(bad(format!(
            "{} bytes after the data of shape {:?} of {} ({want} bytes)",
            body.len() - want,
            h.shape,
            h.descr
        )));
    }
    let data = match h.descr.as_str() {
        "<f4" => NpyData::F32(body.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
        "<f8" => NpyData::F64(
            body.chunks_exact(8)
                .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        "<i8" => NpyData::I64(
            body.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect(),
        ),
        "<i4" => NpyData::I32(body.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()),
        "|u1" | "<u1" => NpyData::U8(body.to_vec()),
        _ => NpyData::I8(body.iter().map(|&b| b as i8).collect()),
    };
    Ok(NpyArray { path: path.to_path_buf(), shape: h.shape, data })
}

struct Header {
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`.
fn parse_header(s: &str) -> std::result::Result<Header, String> {
    let s = s.trim_end_matches(['\n', ' ', '\0']).trim();
    let inner =
        s.strip_prefix('{').and_then(|x| x.strip_suffix('}')).ok_or_else(|| "not a dict literal".to_string())?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or("expected a quoted key")?;
        let after = after.trim_start().strip_prefix(':').ok_or("expected ':' after a key")?.trim_start();
        rest = match key {
            "descr" => {
                let (v, a) =
                    quoted(after).ok_or("descr must be a quoted string (structured dtypes are not supported)")?;
                descr = Some(v.to_string());
                a
            }
            "fortran_order" => {
                if let Some(a) = after.strip_prefix("True") {
                    fortran = Some(true);
                    a
                } else if let Some(a) = after.strip_prefix("False") {
                    fortran = Some(false);
                    a
                } else {
                    return Err("fortran_order must be True or False".into());
                }
            }
            "shape" => {
                let a = after.strip_prefix('(').ok_or("shape must be a tuple")?;
                let end = a.find(')').ok_or("unterminated shape tuple")?;
                let mut dims = Vec::new();
                for part in a[..end].split(',') {
                    let p = part.trim();
                    if p.is_empty() {
                        continue;
                    }
                    let p = p.strip_suffix('L').unwrap_or(p);
                    dims.push(p.parse::<usize>().map_err(|_| format!("bad dimension {p:?}"))?);
                }
                shape = Some(dims);
                &a[end + 1..]
            }
            k => return Err(format!("unknown key {k:?}")),
        };
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return Err("expected ',' between entries".into());
        }
    }
    Ok(Header {
        descr: descr.ok_or("missing 'descr'")?,
        fortran_order: fortran.ok_or("missing 'fortran_order'")?,
        shape: shape.ok_or("missing 'shape'")?,
    })
}

/// `'abc' rest` or `"abc" rest` → (`abc`, ` rest`).
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let body = &s[1..];
    let end = body.find(q)?;
    Some((&body[..end], &body[end + 1..]))
}

impl NpyArray {
    /// Interprets the array as `samples × features` float inputs: the first axis is
    /// the sample, the rest are flattened in C order. Every value must be finite;
    /// integer types are converted exactly (u8/i8/i32; i64 up to 2^24 in magnitude).
    pub fn to_features(&self) -> Result<(usize, usize, Vec<f32>)> {
        if self.shape.is_empty() {
            return Err(NnError::BadNpy { path: self.path.clone(), what: "a 0-d array holds no samples".into() });
        }
        let samples = self.shape[0];
        let features: usize = self.shape[1..].iter().product();
        if samples == 0 || features == 0 {
            return Err(NnError::ShapeMismatch {
                path: self.path.clone(),
                what: format!("shape {:?} holds no data", self.shape),
            });
        }
        let nonfinite = |i: usize, v: f64| NnError::NonFinite {
            path: self.path.clone(),
            sample: i / features,
            feature: i % features,
            value: format!("{v}"),
        };
        let exact = |i: usize, x: i64| {
            if x.unsigned_abs() > 1 << 24 {
                return Err(NnError::BadNpy {
                    path: self.path.clone(),
                    what: format!("integer input {x} at element {i} is not exactly representable as f32"),
                });
            }
            Ok(x as f32)
        };
        let out: Vec<f32> = match &self.data {
            NpyData::F32(v) => {
                if let Some(i) = v.iter().position(|x| !x.is_finite()) {
                    return Err(nonfinite(i, f64::from(v[i])));
                }
                v.clone()
            }
            NpyData::F64(v) => {
                let mut o = Vec::with_capacity(v.len());
                for (i, &x) in v.iter().enumerate() {
                    let y = x as f32;
                    if !x.is_finite() || !y.is_finite() {
                        return Err(nonfinite(i, x));
                    }
                    o.push(y);
                }
                o
            }
            NpyData::I64(v) => v.iter().enumerate().map(|(i, &x)| exact(i, x)).collect::<Result<_>>()?,
            NpyData::I32(v) => v.iter().enumerate().map(|(i, &x)| exact(i, i64::from(x))).collect::<Result<_>>()?,
            NpyData::U8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            NpyData::I8(v) => v.iter().map(|&x| f32::from(x)).collect(),
        };
        Ok((samples, features, out))
    }

    /// Interprets the array as one integer class label per sample (shape `(N,)` or
    /// `(N, 1)`, an integer dtype).
    pub fn to_labels(&self) -> Result<Vec<i64>> {
        let ok_shape = matches!(self.shape.as_slice(), [_] | [_, 1]);
        if !ok_shape {
            return Err(NnError::ShapeMismatch {
                path: self.path.clone(),
                what: format!("labels must have shape (N,) or (N, 1), found {:?}", self.shape),
            });
        }
        Ok(match &self.data {
            NpyData::I64(v) => v.clone(),
            NpyData::I32(v) => v.iter().map(|&x| i64::from(x)).collect(),
            NpyData::U8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            NpyData::I8(v) => v.iter().map(|&x| i64::from(x)).collect(),
            d => {
                return Err(NnError::BadNpy {
                    path: self.path.clone(),
                    what: format!("labels must be integers, found dtype {}", d.descr()),
                })
            }
        })
    }
}

/// Writes a C-order `.npy` (version 1) holding `data` with `shape` (`<f4`);
/// used by tests and tools that produce data sets.
pub fn encode_npy_f32(shape: &[usize], data: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    // Pad so that magic (6) + version (2) + length (2) + header is a multiple of 64, ending in '\n'.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for x in data {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_header_variants() {
        let p = Path::new("t.npy");
        let b = encode_npy_f32(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        assert_eq!((b.len() - 24) % 64, 0, "header padded to a multiple of 64 bytes, then 24 data bytes");
        let a = parse_npy(&b, p).unwrap();
        assert_eq!(a.shape, vec![2, 3]);
        assert_eq!(a.data, NpyData::F32(vec![1., 2., 3., 4., 5., 6.]));
        let h = parse_header("{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }").unwrap();
        assert_eq!((h.descr.as_str(), h.shape), ("|u1", vec![5]));
        let h = parse_header("{\"shape\": (), \"fortran_order\": True, \"descr\": \"<i8\"}").unwrap();
        assert!(h.fortran_order && h.shape.is_empty());
        assert!(parse_header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}").is_err());
    }

    #[test]
    fn truncated_and_trailing_data_are_errors() {
        let p = Path::new("t.npy");
        let b = encode_npy_f32(&[2, 3], &[1., 2., 3., 4., 5., 6.]);
        let e = parse_npy(&b[..b.len() - 1], p).unwrap_err().to_string();
        assert!(e.contains("truncated data") && e.contains("needs 24 bytes, the file has 23"), "{e}");
        let mut long = b.clone();
        long.push(0);
        assert!(parse_npy(&long, p).unwrap_err().to_string().contains("1 bytes after the data"));
    }
}

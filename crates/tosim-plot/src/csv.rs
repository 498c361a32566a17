//! A small CSV reader for plotting tables: a header row, then rows of fields.

use std::fmt;

/// An error reading a table or selecting a column.
#[derive(Debug, Clone, PartialEq)]
pub enum TableError {
    /// The text has no header row.
    Empty {
        /// Source name.
        file: String,
    },
    /// A row has another number of fields than the header.
    Fields {
        /// Source name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A quoted field is not closed on its line.
    Quote {
        /// Source name.
        file: String,
        /// 1-based line.
        line: usize,
    },
    /// No column has this name.
    Column {
        /// Source name.
        file: String,
        /// The name asked for.
        name: String,
        /// The columns there are.
        have: Vec<String>,
    },
    /// A field that should be a number is not.
    Number {
        /// Source name.
        file: String,
        /// 1-based line.
        line: usize,
        /// Column name.
        column: String,
        /// The field.
        text: String,
    },
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Empty { file } => write!(f, "{file}: no header row"),
            TableError::Fields { file, line, found, expected } => {
                write!(f, "{file}:{line}: {found} fields, the header has {expected}")
            }
            TableError::Quote { file, line } => write!(f, "{file}:{line}: unclosed quote"),
            TableError::Column { file, name, have } => {
                write!(f, "{file}: no column `{name}` (columns: {})", have.join(", "))
            }
            TableError::Number { file, line, column, text } => {
                write!(f, "{file}:{line}: column `{column}`: `{text}` is not a number")
            }
        }
    }
}

impl std::error::Error for TableError {}

/// Named groups of (x, y) points, as [`Table::xy_groups`] returns them.
pub type Groups = Vec<(String, Vec<(f64, f64)>)>;

/// A table read from CSV text: comma-separated fields, a header row naming
/// the columns, double-quoted fields with `""` for a quote (on one line),
/// blank lines and lines starting with `#` skipped.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Table {
    /// Source name used in errors.
    pub file: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows: (1-based line, fields).
    pub rows: Vec<(usize, Vec<String>)>,
}

fn split_line(line: &str, file: &str, ln: usize) -> Result<Vec<String>, TableError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    cur.push('"');
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.trim().is_empty() {
            cur.clear();
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            out.push(if was_quoted { std::mem::take(&mut cur) } else { std::mem::take(&mut cur).trim().to_string() });
            was_quoted = false;
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return Err(TableError::Quote { file: file.into(), line: ln });
    }
    out.push(if was_quoted { cur } else { cur.trim().to_string() });
    Ok(out)
}

impl Table {
    /// Parses CSV text; `file` names the source in errors.
    pub fn parse(text: &str, file: &str) -> Result<Table, TableError> {
        let mut t = Table { file: file.into(), ..Table::default() };
        let mut have_header = false;
        for (i, line) in text.lines().enumerate() {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f = split_line(line, file, i + 1)?;
            if !have_header {
                t.header = f;
                have_header = true;
            } else if f.len() != t.header.len() {
                return Err(TableError::Fields {
                    file: file.into(),
                    line: i + 1,
                    found: f.len(),
                    expected: t.header.len(),
                });
            } else {
                t.rows.push((i + 1, f));
            }
        }
        if !have_header {
            return Err(TableError::Empty { file: file.into() });
        }
        Ok(t)
    }

    /// The index of column `name`.
    pub fn column(&self, name: &str) -> Result<usize, TableError> {
        self.header.iter().position(|h| h == name).ok_or_else(|| TableError::Column {
            file: self.file.clone(),
            name: name.into(),
            have: self.header.clone(),
        })
    }

    /// Column `name` as numbers (empty fields are errors too).
    pub fn numbers(&self, name: &str) -> Result<Vec<f64>, TableError> {
        let c = self.column(name)?;
        self.rows
            .iter()
            .map(|(ln, r)| {
                r[c].parse::<f64>().map_err(|_| TableError::Number {
                    file: self.file.clone(),
                    line: *ln,
                    column: name.into(),
                    text: r[c].clone(),
                })
            })
            .collect()
    }

    /// Column `name` as text.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, TableError> {
        let c = self.column(name)?;
        Ok(self.rows.iter().map(|(_, r)| r[c].clone()).collect())
    }

    /// Points (x, y) from two numeric columns, split into named groups by
    /// the text of column `group` (groups in order of first appearance; one
    /// unnamed group without `group`).
    pub fn xy_groups(&self, x: &str, y: &str, group: Option<&str>) -> Result<Groups, TableError> {
        let xs = self.numbers(x)?;
        let ys = self.numbers(y)?;
        let gs = match group {
            Some(g) => self.strings(g)?,
            None => vec![String::new(); xs.len()],
        };
        let mut out: Groups = Vec::new();
        for ((x, y), g) in xs.into_iter().zip(ys).zip(gs) {
            match out.iter_mut().find(|(n, _)| *n == g) {
                Some((_, v)) => v.push((x, y)),
                None => out.push((g, vec![(x, y)])),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_header_rows_quotes_and_groups() {
        let text = "# comment\nx,y,arch\n1,2,ripple\n\n2, 4 ,\"kogge, stone\"\n3,6,ripple\n";
        let t = Table::parse(text, "t.csv").unwrap();
        assert_eq!(t.header, vec!["x", "y", "arch"]);
        assert_eq!(t.numbers("y").unwrap(), vec![2.0, 4.0, 6.0]);
        let g = t.xy_groups("x", "y", Some("arch")).unwrap();
        assert_eq!(g.len(), 2);
        assert_eq!(g[0], ("ripple".to_string(), vec![(1.0, 2.0), (3.0, 6.0)]));
        assert_eq!(g[1], ("kogge, stone".to_string(), vec![(2.0, 4.0)]));
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = Table::parse("a,b\n1\n", "f.csv").unwrap_err().to_string();
        assert_eq!(e, "f.csv:2: 1 fields, the header has 2");
        let t = Table::parse("a,b\n1,x\n", "f.csv").unwrap();
        assert_eq!(t.numbers("b").unwrap_err().to_string(), "f.csv:2: column `b`: `x` is not a number");
        assert_eq!(t.numbers("c").unwrap_err().to_string(), "f.csv: no column `c` (columns: a, b)");
        assert_eq!(Table::parse("\n", "f.csv").unwrap_err().to_string(), "f.csv: no header row");
        assert_eq!(Table::parse("a\n\"x\n", "f.csv").unwrap_err().to_string(), "f.csv:2: unclosed quote");
    }
}

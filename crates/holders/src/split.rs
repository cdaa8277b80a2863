//! A holder's multi-customer CSV split by customer as it streams.
//!
//! The file is read line by line as its bytes arrive ([`Splitter::feed`]):
//! lines before the header (a title, an export date) are passed over; the
//! header is the first line with a column named as the holder registered
//! (case and accents aside); each row after it is routed by that column.
//! A row whose customer the caller wants is kept, in the file of that
//! customer (the header and their rows, in order, the identifier column
//! removed, UTF-8); any other row is dropped at once, counted and nothing
//! else. Each line is decoded alone (UTF-8, or Windows-1252 when it is not
//! UTF-8), so no decoded copy of the file is ever held.
//!
//! Nothing the file claims is trusted for sizes: a line longer than
//! [`Caps::max_line`] and more kept rows than [`Caps::max_kept`] bytes
//! stop the split with an error naming the line.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};

use selfdata_sources::text::{self, delimiter_of, norm, split_into};

/// What a split may cost.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// The longest line, in bytes.
    pub max_line: usize,
    /// The most bytes kept for the wanted customers, in all.
    pub max_kept: u64,
    /// How many lines may come before the header.
    pub max_preamble: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            max_line: 64 * 1024,
            max_kept: 256 * 1024 * 1024,
            max_preamble: 50,
        }
    }
}

/// Why a file could not be split (the whole push is refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error(
        "The file has no column named “{0}” (the column naming the customer) in its first lines."
    )]
    NoColumn(String),
    #[error("The file is empty.")]
    Empty,
    #[error("Line {line} is longer than {max} bytes; is this the registered layout?")]
    LineTooLong { line: u64, max: usize },
    #[error(
        "The rows to deliver exceed {max} bytes in all (at line {line}); send the file in parts."
    )]
    TooMuchKept { line: u64, max: u64 },
    #[error("The file is in UTF-16; send it in UTF-8 or Windows-1252.")]
    Utf16,
}

/// One wanted customer's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The identifier, normalised ([`crate::identifier`]).
    pub identifier: String,
    /// The header and the customer's rows, identifier column removed (UTF-8).
    pub file: Vec<u8>,
    /// The line of the pushed file each row came from, in order.
    pub lines: Vec<u64>,
}

impl Customer {
    /// The line of the pushed file that line `n` (1-based) of this
    /// customer's file came from (the header is line 1).
    pub fn source_line(&self, n: u64) -> Option<u64> {
        let row = n.checked_sub(2)?;
        self.lines.get(usize::try_from(row).ok()?).copied()
    }
}

/// What a split found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Split {
    /// Rows after the header (blank lines aside).
    pub rows: u64,
    /// The wanted customers, in the order they first appear.
    pub customers: Vec<Customer>,
    /// Distinct customers whose rows were dropped.
    pub skipped_customers: u64,
    pub skipped_rows: u64,
    /// Lines that name no customer (the first 100).
    pub unidentified: Vec<u64>,
    pub unidentified_rows: u64,
}

struct Header {
    index: usize,
    delim: char,
    /// The header as every customer's file starts.
    line: Vec<u8>,
}

/// A split under way. `wanted` says, for a normalised identifier, whether
/// that customer's rows are to be kept; it is asked once per customer.
pub struct Splitter<F> {
    column: String,
    caps: Caps,
    wanted: F,
    carry: Vec<u8>,
    line: u64,
    started: bool,
    header: Option<Header>,
    index: HashMap<String, usize>,
    kept: u64,
    others: HashSet<u64>,
    hasher: RandomState,
    out: Split,
}

impl<F: FnMut(&str) -> bool> Splitter<F> {
    /// A split of a file whose customer column is named `column`.
    pub fn new(column: &str, caps: Caps, wanted: F) -> Self {
        Self {
            column: norm(column),
            caps,
            wanted,
            carry: Vec::new(),
            line: 0,
            started: false,
            header: None,
            index: HashMap::new(),
            kept: 0,
            others: HashSet::new(),
            hasher: RandomState::new(),
            out: Split::default(),
        }
    }

    /// The next bytes of the file.
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), SplitError> {
        if !self.started && !chunk.is_empty() {
            self.started = true;
            if chunk.starts_with(b"\xFF\xFE") || chunk.starts_with(b"\xFE\xFF") {
                return Err(SplitError::Utf16);
            }
        }
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            if self.carry.is_empty() {
                self.line(&chunk[..end])?;
            } else {
                self.carry.extend_from_slice(&chunk[..end]);
                let line = std::mem::take(&mut self.carry);
                self.line(&line)?;
                self.carry = line;
                self.carry.clear();
            }
            chunk = &chunk[end + 1..];
        }
        if self.carry.len() + chunk.len() > self.caps.max_line {
            return Err(SplitError::LineTooLong {
                line: self.line + 1,
                max: self.caps.max_line,
            });
        }
        self.carry.extend_from_slice(chunk);
        Ok(())
    }

    /// The end of the file.
    pub fn finish(mut self) -> Result<Split, SplitError> {
        if !self.carry.is_empty() {
            let line = std::mem::take(&mut self.carry);
            self.line(&line)?;
        }
        if self.header.is_none() {
            return Err(if self.line == 0 {
                SplitError::Empty
            } else {
                SplitError::NoColumn(self.column)
            });
        }
        self.out.skipped_customers = self.others.len() as u64;
        Ok(self.out)
    }

    fn line(&mut self, bytes: &[u8]) -> Result<(), SplitError> {
        self.line += 1;
        if bytes.len() > self.caps.max_line {
            return Err(SplitError::LineTooLong {
                line: self.line,
                max: self.caps.max_line,
            });
        }
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let decoded = text::decode(bytes);
        let line = decoded.as_ref();
        if line.trim().is_empty() {
            return Ok(());
        }
        let mut fields = Vec::new();
        let Some(header) = &self.header else {
            let delim = delimiter_of(line);
            split_into(line, delim, &mut fields);
            match fields.iter().position(|f| norm(f) == self.column) {
                Some(index) => {
                    let mut out = Vec::new();
                    write_without(&mut out, &fields, index, delim);
                    self.header = Some(Header {
                        index,
                        delim,
                        line: out,
                    });
                }
                None if self.line >= self.caps.max_preamble => {
                    return Err(SplitError::NoColumn(self.column.clone()));
                }
                None => {}
            }
            return Ok(());
        };
        self.out.rows += 1;
        split_into(line, header.delim, &mut fields);
        let id = fields
            .get(header.index)
            .map(|f| crate::identifier(f))
            .unwrap_or_default();
        if id.is_empty() {
            self.out.unidentified_rows += 1;
            if self.out.unidentified.len() < 100 {
                self.out.unidentified.push(self.line);
            }
            return Ok(());
        }
        let at = match self.index.get(&id) {
            Some(&at) => at,
            None if (self.wanted)(&id) => {
                self.out.customers.push(Customer {
                    identifier: id.clone(),
                    file: header.line.clone(),
                    lines: Vec::new(),
                });
                self.kept += header.line.len() as u64;
                self.index.insert(id, self.out.customers.len() - 1);
                self.out.customers.len() - 1
            }
            None => {
                self.others.insert(self.hasher.hash_one(&id));
                self.out.skipped_rows += 1;
                return Ok(());
            }
        };
        let customer = &mut self.out.customers[at];
        let before = customer.file.len();
        write_without(&mut customer.file, &fields, header.index, header.delim);
        customer.lines.push(self.line);
        self.kept += (customer.file.len() - before) as u64;
        if self.kept > self.caps.max_kept {
            return Err(SplitError::TooMuchKept {
                line: self.line,
                max: self.caps.max_kept,
            });
        }
        Ok(())
    }
}

/// Writes `fields` but the one at `skip`, separated by `delim`, quoted
/// where a field holds the separator or a quote, and a line end.
fn write_without(out: &mut Vec<u8>, fields: &[&str], skip: usize, delim: char) {
    let mut first = true;
    for (i, f) in fields.iter().enumerate() {
        if i == skip {
            continue;
        }
        if !first {
            let mut b = [0; 4];
            out.extend_from_slice(delim.encode_utf8(&mut b).as_bytes());
        }
        first = false;
        if f.contains(delim) || f.contains('"') {
            out.push(b'"');
            out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// Splits a whole file at once (tests, the fuzz target).
pub fn split_all(
    file: &[u8],
    column: &str,
    caps: Caps,
    wanted: impl FnMut(&str) -> bool,
) -> Result<Split, SplitError> {
    let mut s = Splitter::new(column, caps, wanted);
    s.feed(file)?;
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "Export du 05/12/2026\n\
        Numéro de compteur;Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n\
        A1;04/12/2026 12:00;100;10;Mesuré\n\
        B2;04/12/2026 12:00;200;20;Mesuré\n\
        a 1;05/12/2026 12:00;111;11;Estimé\n\
        ;05/12/2026 12:00;1;1;Mesuré\n\
        C3;05/12/2026 12:00;300;30;Mesuré\n";

    fn wanted(id: &str) -> bool {
        id == "A1" || id == "C3"
    }

    #[test]
    fn keeps_the_wanted_customers_rows_under_the_header_and_drops_the_others() {
        let s = split_all(
            FILE.as_bytes(),
            "numero de compteur",
            Caps::default(),
            wanted,
        )
        .unwrap();
        assert_eq!(s.rows, 5);
        assert_eq!(s.customers.len(), 2);
        let a = &s.customers[0];
        assert_eq!(a.identifier, "A1");
        assert_eq!(
            String::from_utf8(a.file.clone()).unwrap(),
            "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n\
             04/12/2026 12:00;100;10;Mesuré\n05/12/2026 12:00;111;11;Estimé\n"
        );
        assert_eq!(a.lines, vec![3, 5]);
        assert_eq!(a.source_line(3), Some(5));
        assert_eq!(a.source_line(1), None);
        assert_eq!(s.skipped_customers, 1);
        assert_eq!(s.skipped_rows, 1);
        assert_eq!(s.unidentified, vec![6]);
        assert!(!String::from_utf8_lossy(&s.customers[1].file).contains("200"));
    }

    #[test]
    fn the_same_file_in_any_chunks_splits_the_same() {
        let whole = split_all(
            FILE.as_bytes(),
            "Numéro de compteur",
            Caps::default(),
            wanted,
        )
        .unwrap();
        for size in [1, 2, 7, 64] {
            let mut s = Splitter::new("Numéro de compteur", Caps::default(), wanted);
            for chunk in FILE.as_bytes().chunks(size) {
                s.feed(chunk).unwrap();
            }
            let mut parts = s.finish().unwrap();
            parts.skipped_customers = whole.skipped_customers;
            assert_eq!(parts, whole, "chunks of {size}");
        }
    }

    #[test]
    fn windows_1252_and_crlf_files_come_out_utf8() {
        let file = b"Compteur;Date\r\nX9;04/12/2026 \xe9t\xe9\r\n";
        let s = split_all(file, "compteur", Caps::default(), |_| true).unwrap();
        assert_eq!(s.customers[0].file, "Date\n04/12/2026 été\n".as_bytes());
    }

    #[test]
    fn a_file_without_the_column_or_with_a_giant_line_is_refused() {
        assert_eq!(
            split_all(b"a;b\n1;2\n", "compteur", Caps::default(), |_| true),
            Err(SplitError::NoColumn("compteur".into()))
        );
        assert_eq!(
            split_all(b"", "compteur", Caps::default(), |_| true),
            Err(SplitError::Empty)
        );
        let caps = Caps {
            max_line: 10,
            ..Caps::default()
        };
        let mut s = Splitter::new("c", caps, |_| true);
        assert_eq!(
            s.feed(&[b'x'; 11]),
            Err(SplitError::LineTooLong { line: 1, max: 10 })
        );
        assert_eq!(
            split_all(b"\xff\xfec\x00", "c", Caps::default(), |_| true),
            Err(SplitError::Utf16)
        );
    }

    #[test]
    fn kept_rows_are_bounded() {
        let caps = Caps {
            max_kept: 20,
            ..Caps::default()
        };
        let file = "c;v\n1;aaaaaaaaaa\n1;bbbbbbbbbb\n";
        assert_eq!(
            split_all(file.as_bytes(), "c", caps, |_| true),
            Err(SplitError::TooMuchKept { line: 3, max: 20 })
        );
    }

    #[test]
    fn fields_holding_the_separator_stay_quoted() {
        let file = "c;name;v\n1;\"Dupont; Marie\";3\n";
        let s = split_all(file.as_bytes(), "c", Caps::default(), |_| true).unwrap();
        assert_eq!(s.customers[0].file, b"name;v\n\"Dupont; Marie\";3\n");
    }
}

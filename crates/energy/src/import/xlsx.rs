//! A small XLSX reader for untrusted workbooks, with explicit caps.
//!
//! An XLSX file is a zip of XML parts. A few hundred bytes can declare a
//! sheet of 17 billion cells (`A1:XFD1048576`) or decompress to gigabytes, so
//! nothing here trusts what the file claims: the zip may hold at most
//! [`MAX_ENTRIES`] files; each part is read through a counting reader that
//! stops at [`MAX_PART_BYTES`] (whatever size the zip declares), at
//! [`MAX_TOTAL_BYTES`] over the whole workbook, and at [`MAX_RATIO`] times its
//! compressed size; a sheet's XML is streamed and only the cells actually
//! present are kept, sparsely, at most [`MAX_CELLS`] of them, over a used
//! range (declared or found) of at most [`MAX_AREA`] cells. Shared strings are
//! referred to by index, never copied into every cell that names them.
//!
//! Reading only what the importers need (cell values; no styles, formulas
//! or formatting), a workbook that breaks a cap is [`XlsxError::TooLarge`]
//! with a sentence saying which cap, and any other damage is
//! [`XlsxError::NotWorkbook`].

use std::io::{BufReader, Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use selfdata_sources::caps::{CapTripped, DecompressionCaps, tripped};
use zip::ZipArchive;

/// Most files a workbook's zip may hold (a real one holds about a dozen).
pub const MAX_ENTRIES: usize = 1_000;
/// Most bytes one part may decompress to.
pub const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
/// Most bytes all the parts read may decompress to, together.
pub const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;
/// Most times a part may be larger than its compressed bytes, once it is
/// past [`RATIO_FREE_BYTES`] (XML compresses well, but not a thousandfold).
pub const MAX_RATIO: u64 = 200;
/// Below this size a part's compression ratio is not checked.
pub const RATIO_FREE_BYTES: u64 = 1024 * 1024;
/// Most cells with a value one sheet may hold.
pub const MAX_CELLS: usize = 500_000;
/// Most cells (rows × columns) a sheet's used range may span, declared or
/// found (a million rows by sixteen columns).
pub const MAX_AREA: u64 = 1 << 24;

/// The caps above, as the shared check takes them.
const CAPS: DecompressionCaps = DecompressionCaps {
    entry_bytes: MAX_PART_BYTES,
    total_bytes: MAX_TOTAL_BYTES,
    ratio: MAX_RATIO,
    ratio_free_bytes: RATIO_FREE_BYTES,
};

/// The buffer through which parts are read: a cap is noticed at most this
/// many bytes after it is passed.
pub const READ_CHUNK: u64 = 8 * 1024;

/// Excel's last row and column (`XFD1048576`).
const LAST_ROW: u32 = 1_048_576;
const LAST_COLUMN: u32 = 16_384;

/// Why a workbook could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XlsxError {
    /// Not a zip, not a workbook, or damaged.
    #[error("this is not a readable XLSX workbook")]
    NotWorkbook,
    /// A cap was reached; the sentence says which.
    #[error("this workbook is too large to read safely: {0}")]
    TooLarge(String),
}

/// One cell's value, as read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    Empty,
    Text(&'a str),
    Number(f64),
    Bool(bool),
    Error,
}

/// A stored cell: shared strings by index.
#[derive(Debug, Clone)]
enum Stored {
    Shared(u32),
    Inline(Box<str>),
    Number(f64),
    Bool(bool),
    Error,
}

/// One row of a sheet: its 0-based index and its cells (0-based column,
/// value), sorted by column.
#[derive(Debug)]
pub struct Row {
    pub index: u32,
    cells: Vec<(u32, Stored)>,
}

/// A sheet's cells that are present, rows sorted by index.
#[derive(Debug)]
pub struct Worksheet {
    pub rows: Vec<Row>,
    /// The workbook's shared strings.
    strings: std::sync::Arc<[String]>,
}

impl Worksheet {
    fn value<'a>(&'a self, stored: &'a Stored) -> Value<'a> {
        match stored {
            Stored::Shared(i) => self
                .strings
                .get(*i as usize)
                .map_or(Value::Error, |s| Value::Text(s)),
            Stored::Inline(s) => Value::Text(s),
            Stored::Number(f) => Value::Number(*f),
            Stored::Bool(b) => Value::Bool(*b),
            Stored::Error => Value::Error,
        }
    }

    /// The value at `column` (0-based) of `row`, `Empty` when absent.
    pub fn cell<'a>(&'a self, row: &'a Row, column: u32) -> Value<'a> {
        match row.cells.binary_search_by_key(&column, |(c, _)| *c) {
            Ok(i) => self.value(&row.cells[i].1),
            Err(_) => Value::Empty,
        }
    }

    /// The cells of `row` that are present, with their column.
    pub fn cells<'a>(&'a self, row: &'a Row) -> impl Iterator<Item = (u32, Value<'a>)> + 'a {
        row.cells.iter().map(|(c, s)| (*c, self.value(s)))
    }

    /// How many cells hold a value.
    pub fn len(&self) -> usize {
        self.rows.iter().map(|r| r.cells.len()).sum()
    }

    /// Whether no cell holds a value.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// What the reader consumed, to check the caps from outside (fuzzing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Decompressed bytes read, all parts together.
    pub bytes: u64,
    /// The most decompressed bytes read from one part.
    pub largest_part: u64,
}

/// An open workbook: its sheets' names and parts, its shared strings.
pub struct Workbook<'a> {
    zip: ZipArchive<Cursor<&'a [u8]>>,
    input_len: u64,
    sheets: Vec<(String, String)>,
    strings: std::sync::Arc<[String]>,
    date1904: bool,
    budget: Budget,
}

impl std::fmt::Debug for Workbook<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workbook")
            .field("sheets", &self.sheets)
            .field("date1904", &self.date1904)
            .finish_non_exhaustive()
    }
}

/// What is left to read, and the first cap broken.
#[derive(Debug, Default)]
struct Budget {
    usage: Usage,
    exceeded: Option<String>,
}

fn mib(n: u64) -> String {
    format!("{} MiB", n / (1024 * 1024))
}

fn too_large(detail: impl Into<String>) -> XlsxError {
    XlsxError::TooLarge(detail.into())
}

/// A part's reader that counts what it decompresses and stops at the caps.
struct Capped<'b, R> {
    inner: R,
    name: &'b str,
    compressed: u64,
    read: u64,
    budget: &'b mut Budget,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.budget.exceeded.is_some() {
            return Err(std::io::Error::other("cap reached"));
        }
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.budget.usage.bytes += n as u64;
        self.budget.usage.largest_part = self.budget.usage.largest_part.max(self.read);
        let total = self.budget.usage.bytes;
        if let Some(which) = tripped(self.read, total, self.compressed, &CAPS) {
            let detail = match which {
                CapTripped::Entry => format!(
                    "its part {} decompresses to more than {}",
                    self.name,
                    mib(MAX_PART_BYTES)
                ),
                CapTripped::Total => format!(
                    "its parts decompress to more than {} together",
                    mib(MAX_TOTAL_BYTES)
                ),
                CapTripped::Ratio => format!(
                    "its part {} decompresses to more than {MAX_RATIO} times its compressed \
                     size (a zip bomb?)",
                    self.name
                ),
            };
            self.budget.exceeded = Some(detail);
            return Err(std::io::Error::other("cap reached"));
        }
        Ok(n)
    }
}

impl<'a> Workbook<'a> {
    /// Opens `bytes` as a workbook: checks the zip's file count, reads the
    /// sheet list and the shared strings. [`XlsxError::NotWorkbook`] when it
    /// is not a zip or holds no `xl/workbook.xml`.
    pub fn open(bytes: &'a [u8]) -> Result<Self, XlsxError> {
        let zip = ZipArchive::new(Cursor::new(bytes)).map_err(|_| XlsxError::NotWorkbook)?;
        if zip.index_for_name("xl/workbook.xml").is_none() {
            return Err(XlsxError::NotWorkbook);
        }
        if zip.len() > MAX_ENTRIES {
            return Err(too_large(format!(
                "its zip holds {} files (at most {MAX_ENTRIES})",
                zip.len()
            )));
        }
        let mut book = Workbook {
            zip,
            input_len: bytes.len() as u64,
            sheets: Vec::new(),
            strings: Vec::new().into(),
            date1904: false,
            budget: Budget::default(),
        };
        let (names, date1904) = book.read_part("xl/workbook.xml", read_workbook)?;
        book.date1904 = date1904;
        let rels = match book.zip.index_for_name("xl/_rels/workbook.xml.rels") {
            Some(_) => book.read_part("xl/_rels/workbook.xml.rels", read_rels)?,
            None => Vec::new(),
        };
        let mut strings_part = None;
        for rel in &rels {
            if rel.kind.ends_with("/sharedStrings") {
                strings_part = Some(part_path(&rel.target));
            }
        }
        for (position, (name, id)) in names.into_iter().enumerate() {
            let path = rels
                .iter()
                .find(|r| r.id == id && r.kind.ends_with("/worksheet"))
                .map(|r| part_path(&r.target))
                .unwrap_or_else(|| format!("xl/worksheets/sheet{}.xml", position + 1));
            book.sheets.push((name, path));
        }
        let strings_part = strings_part.unwrap_or_else(|| "xl/sharedStrings.xml".into());
        if book.zip.index_for_name(&strings_part).is_some() {
            book.strings = book.read_part(&strings_part, read_shared_strings)?.into();
        }
        Ok(book)
    }

    /// The sheets' names, in workbook order.
    pub fn sheet_names(&self) -> impl Iterator<Item = &str> {
        self.sheets.iter().map(|(n, _)| n.as_str())
    }

    /// How many sheets the workbook lists.
    pub fn sheet_count(&self) -> usize {
        self.sheets.len()
    }

    /// Whether dates are counted from 1904 rather than 1900.
    pub fn date1904(&self) -> bool {
        self.date1904
    }

    /// What has been decompressed so far.
    pub fn usage(&self) -> Usage {
        self.budget.usage
    }

    /// Reads the `i`-th sheet. `Ok(None)` when it is missing or damaged (the
    /// caller may look at the other sheets); `Err` when a cap is reached.
    pub fn sheet(&mut self, i: usize) -> Result<Option<Worksheet>, XlsxError> {
        let Some((name, path)) = self.sheets.get(i).cloned() else {
            return Ok(None);
        };
        if self.zip.index_for_name(&path).is_none() {
            return Ok(None);
        }
        let strings = self.strings.clone();
        match self.read_part(&path, |reader| read_sheet(reader, &name, strings)) {
            Ok(sheet) => Ok(Some(sheet)),
            Err(XlsxError::NotWorkbook) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Streams the part `path` through the caps into `read`.
    fn read_part<T>(
        &mut self,
        path: &str,
        read: impl FnOnce(&mut Reader<BufReader<&mut dyn Read>>) -> Result<T, XlsxError>,
    ) -> Result<T, XlsxError> {
        let input_len = self.input_len;
        let mut file = self.zip.by_name(path).map_err(|_| XlsxError::NotWorkbook)?;
        let declared = file.size();
        if declared > MAX_PART_BYTES {
            return Err(too_large(format!(
                "its part {path} declares {declared} bytes once decompressed (at most {})",
                mib(MAX_PART_BYTES)
            )));
        }
        let left = MAX_TOTAL_BYTES.saturating_sub(self.budget.usage.bytes);
        if declared > left {
            return Err(too_large(format!(
                "its parts declare more than {} once decompressed",
                mib(MAX_TOTAL_BYTES)
            )));
        }
        let compressed = file.compressed_size().min(input_len);
        let mut capped = Capped {
            inner: &mut file as &mut dyn Read,
            name: path,
            compressed,
            read: 0,
            budget: &mut self.budget,
        };
        let result = {
            let source: &mut dyn Read = &mut capped;
            let mut reader =
                Reader::from_reader(BufReader::with_capacity(READ_CHUNK as usize, source));
            read(&mut reader)
        };
        match self.budget.exceeded.clone() {
            Some(detail) => Err(XlsxError::TooLarge(detail)),
            None => result,
        }
    }
}

/// A relationship target as a path in the zip (`worksheets/sheet1.xml` is
/// relative to `xl/`; `/xl/…` is absolute).
fn part_path(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(absolute) => absolute.to_owned(),
        None => format!("xl/{target}"),
    }
}

type Xml<'r> = Reader<BufReader<&'r mut dyn Read>>;

fn next<'b>(reader: &mut Xml<'_>, buf: &'b mut Vec<u8>) -> Result<Event<'b>, XlsxError> {
    buf.clear();
    reader
        .read_event_into(buf)
        .map_err(|_| XlsxError::NotWorkbook)
}

/// An attribute's unescaped value, by local name.
fn attr(e: &BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// `xl/workbook.xml`: the sheets (name, relationship id) and the date system.
fn read_workbook(reader: &mut Xml<'_>) -> Result<(Vec<(String, String)>, bool), XlsxError> {
    let mut buf = Vec::new();
    let mut sheets = Vec::new();
    let mut date1904 = false;
    loop {
        match next(reader, &mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"sheet" => {
                    if sheets.len() >= MAX_ENTRIES {
                        return Err(too_large(format!(
                            "it lists more than {MAX_ENTRIES} sheets"
                        )));
                    }
                    let name = attr(&e, b"name").unwrap_or_default();
                    let id = attr(&e, b"id").unwrap_or_default();
                    sheets.push((name, id));
                }
                b"workbookPr" => {
                    date1904 = matches!(attr(&e, b"date1904").as_deref(), Some("1" | "true"));
                }
                _ => {}
            },
            Event::Eof => return Ok((sheets, date1904)),
            _ => {}
        }
    }
}

struct Rel {
    id: String,
    kind: String,
    target: String,
}

/// `xl/_rels/workbook.xml.rels`: where each sheet's part is.
fn read_rels(reader: &mut Xml<'_>) -> Result<Vec<Rel>, XlsxError> {
    let mut buf = Vec::new();
    let mut rels = Vec::new();
    loop {
        match next(reader, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if rels.len() >= MAX_ENTRIES {
                    return Err(too_large(format!(
                        "it lists more than {MAX_ENTRIES} relationships"
                    )));
                }
                rels.push(Rel {
                    id: attr(&e, b"Id").unwrap_or_default(),
                    kind: attr(&e, b"Type").unwrap_or_default(),
                    target: attr(&e, b"Target").unwrap_or_default(),
                });
            }
            Event::Eof => return Ok(rels),
            _ => {}
        }
    }
}

/// Appends an entity or character reference to `text`.
fn push_ref(text: &mut String, e: &quick_xml::events::BytesRef<'_>) -> Result<(), XlsxError> {
    if let Some(c) = e.resolve_char_ref().map_err(|_| XlsxError::NotWorkbook)? {
        text.push(c);
        return Ok(());
    }
    let name = e.decode().map_err(|_| XlsxError::NotWorkbook)?;
    let resolved =
        quick_xml::escape::resolve_predefined_entity(&name).ok_or(XlsxError::NotWorkbook)?;
    text.push_str(resolved);
    Ok(())
}

/// The text of a string item (`<si>` or `<is>`): its `<t>` elements,
/// directly or in rich-text runs, without phonetic hints (`<rPh>`). The
/// reader is just past the item's start tag; reads up to its end tag.
fn read_string_item(reader: &mut Xml<'_>, end: &[u8]) -> Result<String, XlsxError> {
    let mut buf = Vec::new();
    let mut text = String::new();
    let (mut in_t, mut in_phonetic) = (false, 0usize);
    loop {
        match next(reader, &mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"t" => in_t = true,
                b"rPh" => in_phonetic += 1,
                _ => {}
            },
            Event::End(e) => {
                let local = e.local_name();
                match local.as_ref() {
                    b"t" => in_t = false,
                    b"rPh" => in_phonetic = in_phonetic.saturating_sub(1),
                    l if l == end => return Ok(text),
                    _ => {}
                }
            }
            Event::Text(t) if in_t && in_phonetic == 0 => {
                text.push_str(&t.decode().map_err(|_| XlsxError::NotWorkbook)?);
            }
            Event::CData(t) if in_t && in_phonetic == 0 => {
                text.push_str(&t.decode().map_err(|_| XlsxError::NotWorkbook)?);
            }
            Event::GeneralRef(r) if in_t && in_phonetic == 0 => push_ref(&mut text, &r)?,
            Event::Eof => return Err(XlsxError::NotWorkbook),
            _ => {}
        }
    }
}

/// `xl/sharedStrings.xml`. Its `count`/`uniqueCount` are claims, not used.
fn read_shared_strings(reader: &mut Xml<'_>) -> Result<Vec<String>, XlsxError> {
    let mut buf = Vec::new();
    let mut strings = Vec::new();
    loop {
        match next(reader, &mut buf)? {
            Event::Start(e) if e.local_name().as_ref() == b"si" => {
                if strings.len() >= MAX_CELLS {
                    return Err(too_large(format!(
                        "it shares more than {MAX_CELLS} strings"
                    )));
                }
                strings.push(read_string_item(reader, b"si")?);
            }
            Event::Empty(e) if e.local_name().as_ref() == b"si" => strings.push(String::new()),
            Event::Eof => return Ok(strings),
            _ => {}
        }
    }
}

/// A cell reference (`B7`) as 0-based (row, column).
fn parse_ref(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if !(1..=3).contains(&letters) {
        return None;
    }
    let mut column = 0u32;
    for b in r[..letters].bytes() {
        column = column * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1);
    }
    let row = parse_row(&r[letters..])?;
    (column <= LAST_COLUMN).then_some((row, column - 1))
}

/// A 1-based row number as a 0-based index.
fn parse_row(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 7 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let row: u32 = s.parse().ok()?;
    (1..=LAST_ROW).contains(&row).then(|| row - 1)
}

/// The number of cells a range spans, from its two corners.
fn area(a: (u32, u32), b: (u32, u32)) -> u64 {
    let rows = u64::from(a.0.abs_diff(b.0)) + 1;
    let columns = u64::from(a.1.abs_diff(b.1)) + 1;
    rows * columns
}

/// A cell being read: where, its type, its value's text.
struct Open {
    at: (u32, u32),
    kind: Option<String>,
    text: Option<String>,
}

fn stored(kind: Option<&str>, text: String, strings: &[String]) -> Option<Stored> {
    Some(match kind {
        Some("s") => {
            let i: u32 = text.trim().parse().ok()?;
            if (i as usize) >= strings.len() {
                return Some(Stored::Error);
            }
            Stored::Shared(i)
        }
        Some("b") => Stored::Bool(text.trim() == "1"),
        Some("e") => Stored::Error,
        Some("str" | "inlineStr" | "d") => Stored::Inline(text.into_boxed_str()),
        _ => match text.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Stored::Number(f),
            _ => Stored::Inline(text.into_boxed_str()),
        },
    })
}

/// A worksheet part, streamed: keeps only the cells holding a value.
fn read_sheet(
    reader: &mut Xml<'_>,
    name: &str,
    strings: std::sync::Arc<[String]>,
) -> Result<Worksheet, XlsxError> {
    let mut buf = Vec::new();
    let mut cells: Vec<(u32, u32, Stored)> = Vec::new();
    let mut row: Option<u32> = None;
    let mut next_column = 0u32;
    let mut open: Option<Open> = None;
    let mut in_v = false;
    let (mut low, mut high) = ((u32::MAX, u32::MAX), (0u32, 0u32));
    loop {
        match next(reader, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"dimension" => {
                let Some(range) = attr(&e, b"ref") else {
                    continue;
                };
                let (a, b) = range.split_once(':').unwrap_or((&range, &range));
                if let (Some(a), Some(b)) = (parse_ref(a), parse_ref(b))
                    && area(a, b) > MAX_AREA
                {
                    return Err(too_large(format!(
                        "its sheet {name:?} declares the range {range}, {} cells \
                         (at most {MAX_AREA})",
                        area(a, b)
                    )));
                }
            }
            Event::Start(e) if e.local_name().as_ref() == b"row" => {
                let r = match attr(&e, b"r") {
                    Some(r) => parse_row(&r).ok_or(XlsxError::NotWorkbook)?,
                    None => row.map_or(0, |r| r.saturating_add(1)).min(LAST_ROW - 1),
                };
                row = Some(r);
                next_column = 0;
            }
            Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                row = Some(match attr(&e, b"r") {
                    Some(r) => parse_row(&r).ok_or(XlsxError::NotWorkbook)?,
                    None => row.map_or(0, |r| r.saturating_add(1)).min(LAST_ROW - 1),
                });
            }
            Event::Start(e) if e.local_name().as_ref() == b"c" => {
                let at = match attr(&e, b"r") {
                    Some(r) => parse_ref(&r).ok_or(XlsxError::NotWorkbook)?,
                    None => (row.unwrap_or(0), next_column.min(LAST_COLUMN - 1)),
                };
                next_column = at.1.saturating_add(1);
                open = Some(Open {
                    at,
                    kind: attr(&e, b"t"),
                    text: None,
                });
            }
            Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                // A cell without a value (formatting only) is not kept.
                if let Some(r) = attr(&e, b"r") {
                    let at = parse_ref(&r).ok_or(XlsxError::NotWorkbook)?;
                    next_column = at.1.saturating_add(1);
                } else {
                    next_column = next_column.saturating_add(1);
                }
            }
            Event::Start(e) if e.local_name().as_ref() == b"v" => in_v = open.is_some(),
            Event::End(e) if e.local_name().as_ref() == b"v" => in_v = false,
            Event::Start(e) if e.local_name().as_ref() == b"is" => {
                let text = read_string_item(reader, b"is")?;
                if let Some(cell) = open.as_mut() {
                    cell.text = Some(text);
                }
            }
            Event::Text(t) if in_v => {
                if let Some(cell) = open.as_mut() {
                    let text = cell.text.get_or_insert_with(String::new);
                    text.push_str(&t.decode().map_err(|_| XlsxError::NotWorkbook)?);
                }
            }
            Event::CData(t) if in_v => {
                if let Some(cell) = open.as_mut() {
                    let text = cell.text.get_or_insert_with(String::new);
                    text.push_str(&t.decode().map_err(|_| XlsxError::NotWorkbook)?);
                }
            }
            Event::GeneralRef(r) if in_v => {
                if let Some(cell) = open.as_mut() {
                    push_ref(cell.text.get_or_insert_with(String::new), &r)?;
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"c" => {
                in_v = false;
                let Some(cell) = open.take() else { continue };
                let Some(text) = cell.text else { continue };
                let Some(value) = stored(cell.kind.as_deref(), text, &strings) else {
                    return Err(XlsxError::NotWorkbook);
                };
                if cells.len() >= MAX_CELLS {
                    return Err(too_large(format!(
                        "its sheet {name:?} holds more than {MAX_CELLS} cells"
                    )));
                }
                low = (low.0.min(cell.at.0), low.1.min(cell.at.1));
                high = (high.0.max(cell.at.0), high.1.max(cell.at.1));
                if area(low, high) > MAX_AREA {
                    return Err(too_large(format!(
                        "its sheet {name:?} spans more than {MAX_AREA} cells \
                         (rows × columns from the first cell to the last)"
                    )));
                }
                cells.push((cell.at.0, cell.at.1, value));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // Sorted by position; of two cells at one place, the later one stays.
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let mut rows: Vec<Row> = Vec::new();
    for (r, c, value) in cells {
        match rows.last_mut() {
            Some(last) if last.index == r => match last.cells.last_mut() {
                Some((col, v)) if *col == c => *v = value,
                _ => last.cells.push((c, value)),
            },
            _ => rows.push(Row {
                index: r,
                cells: vec![(c, value)],
            }),
        }
    }
    Ok(Worksheet { rows, strings })
}

#[cfg(test)]
mod tests {
    use super::{area, parse_ref};

    #[test]
    fn cell_references() {
        assert_eq!(parse_ref("A1"), Some((0, 0)));
        assert_eq!(parse_ref("b7"), Some((6, 1)));
        assert_eq!(parse_ref("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(parse_ref("XFE1"), None);
        assert_eq!(parse_ref("A0"), None);
        assert_eq!(parse_ref("A1048577"), None);
        assert_eq!(parse_ref("1A"), None);
        assert_eq!(parse_ref("ABCD1"), None);
        assert_eq!(parse_ref("é1"), None);
        assert_eq!(
            area((0, 0), (1_048_575, 16_383)),
            17_179_869_184,
            "A1:XFD1048576"
        );
    }
}

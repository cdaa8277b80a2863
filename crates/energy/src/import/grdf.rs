//! GRDF (Gazpar) gas readings: the ADICT API's NDJSON (one object per line
//! with a `consommation` block) and the customer portal's XLSX export
//! (header on row 9, one row per gas day).
//!
//! The gas day runs from 06:00 to 06:00 Paris time. Both layouts give a
//! volume in m³ and an energy in kWh; each becomes its own series (mL and mWh).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::model::{ImportError, Layout, Parsed, Quantity};

use super::enedis_json::{json_error, json_text};
use super::series::{Builder, by_line};
use super::text::{self, Dec, norm, shown};
use super::time::{self, DAY, Paris, When, local_error, parse_when};
use super::xlsx::{Value as Cell, Workbook, Worksheet, XlsxError};

/// The gas day starts at 06:00 local time.
const GAS_DAY_START: u32 = 6 * 3600;
/// m³ → mL and kWh → mWh.
const MILLION: i128 = 1_000_000;

/// The `[start, end)` of the gas day `day` (06:00 to 06:00 the next day, Paris).
fn gas_day(paris: &mut Paris, day: i32) -> Result<(i64, i64), time::LocalError> {
    let start = paris.fixed(day, GAS_DAY_START)?;
    let end = paris.fixed(
        day.checked_add(1).ok_or(time::LocalError::Range)?,
        GAS_DAY_START,
    )?;
    Ok((start, end))
}

fn millionths(v: Option<Dec>) -> Result<Option<i64>, ()> {
    match v {
        None => Ok(None),
        Some(d) => d.scaled(MILLION, 1).map(Some).ok_or(()),
    }
}

fn is_estimated(s: &str) -> bool {
    norm(s).starts_with("estim")
}

/// A PCE number in a text: 14 digits, or `GI` and 6 digits.
fn find_pce(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let run = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if run == 14 {
                return Some(s[i..i + 14].to_string());
            }
            i += run;
            continue;
        }
        if b[i..].len() >= 8
            && b[i..i + 2].eq_ignore_ascii_case(b"GI")
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        {
            let run = b[i + 2..].iter().take_while(|c| c.is_ascii_digit()).count();
            if run == 6 {
                return Some(format!("GI{}", &s[i + 2..i + 8]));
            }
        }
        i += 1;
    }
    None
}

// ---------------------------------------------------------------- NDJSON

/// The ADICT NDJSON: one `{"pce":…,"consommation":{…},"releve_fin":{…}}`
/// object per line. Blank lines are skipped; objects spread over several
/// lines are read too. Lines that only carry a `statut_restitution` (no data
/// for the period) are skipped.
pub(crate) fn parse_ndjson(text: &str) -> Result<Parsed, ImportError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut paris = Paris::new()?;
    let mut energy = Builder::new(Quantity::GasEnergy);
    let mut volume = Builder::new(Quantity::GasVolume);
    let mut meter: Option<String> = None;
    let mut rows = 0;
    // Line counting, advanced as values are read.
    let (mut counted, mut line) = (0usize, 1usize);
    loop {
        let offset = stream.byte_offset();
        let start = text
            .get(offset..)
            .and_then(|rest| rest.find(|c: char| !c.is_whitespace()))
            .map_or(text.len(), |i| offset + i);
        line += text
            .get(counted..start)
            .map_or(0, |s| s.matches('\n').count());
        counted = start;
        let value = match stream.next() {
            None => break,
            Some(Err(e)) => return Err(json_error(e)),
            Some(Ok(v)) => v,
        };
        let records: Vec<&Value> = match &value {
            Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for record in records {
            let Some(obj) = record.as_object() else {
                return Err(ImportError::at(
                    line,
                    "expected a JSON object with a consommation block",
                ));
            };
            if meter.is_none() {
                meter = pce_of(obj);
            }
            let conso = match obj.get("consommation") {
                Some(Value::Object(c)) => c,
                Some(Value::Null) => continue,
                Some(_) => {
                    return Err(ImportError::at(
                        line,
                        "expected consommation to be an object",
                    ));
                }
                None if obj.contains_key("statut_restitution") => continue,
                None => {
                    return Err(ImportError::at(
                        line,
                        "expected a consommation object (date_debut_consommation, volume_brut, energie…)",
                    ));
                }
            };
            rows += 1;
            let (start, end) = adict_interval(conso, &mut paris, line)?;
            let number = |key: &str| -> Result<Option<i64>, ImportError> {
                let raw = conso.get(key).unwrap_or(&Value::Null);
                let found = json_text(raw);
                let d = text::json_dec(raw)
                    .map_err(|e| ImportError::at(line, e.describe(&found, key)))?;
                millionths(d).map_err(|()| {
                    ImportError::at(
                        line,
                        format!("the value of {key} is too large: {}", shown(&found)),
                    )
                })
            };
            let estimated = conso
                .get("type_qualif_conso")
                .and_then(Value::as_str)
                .is_some_and(is_estimated);
            energy.push(start, end, number("energie")?, estimated, line, &by_line)?;
            volume.push(
                start,
                end,
                number("volume_brut")?,
                estimated,
                line,
                &by_line,
            )?;
        }
    }
    gas_parsed(Layout::GrdfAdictNdjson, meter, energy, volume, rows)
}

fn pce_of(obj: &Map<String, Value>) -> Option<String> {
    fn direct(v: Option<&Value>) -> Option<&str> {
        v.and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    direct(obj.get("id_pce"))
        .or_else(|| direct(obj.get("pce")))
        .or_else(|| direct(obj.get("pce").and_then(|p| p.get("id_pce"))))
        .map(str::to_string)
}

/// The interval of an ADICT record: `date_debut_consommation` to
/// `date_fin_consommation`, else the gas day `journee_gaziere`.
fn adict_interval(
    conso: &Map<String, Value>,
    paris: &mut Paris,
    line: usize,
) -> Result<(i64, i64), ImportError> {
    let text_of = |k: &str| {
        conso
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let when = |k: &str, s: &str| {
        parse_when(s).ok_or_else(|| {
            ImportError::at(
                line,
                format!(
                    "expected a date like 2021-08-16T06:00:00+02:00 in {k}, found {}",
                    shown(s)
                ),
            )
        })
    };
    // A bare date in the bounds means that gas day's 06:00.
    let mut place = |w: When, s: &str| {
        match w {
            When::Instant(t) => Ok(t),
            When::Local {
                day, time: false, ..
            } => paris.fixed(day, GAS_DAY_START),
            When::Local { day, sod, .. } if sod >= DAY as u32 => paris.fixed(day + 1, 0),
            When::Local { day, sod, .. } => paris.fixed(day, sod),
        }
        .map_err(|e| ImportError::at(line, local_error(e, s)))
    };
    if let (Some(a), Some(b)) = (
        text_of("date_debut_consommation"),
        text_of("date_fin_consommation"),
    ) {
        let start = place(when("date_debut_consommation", a)?, a)?;
        let end = place(when("date_fin_consommation", b)?, b)?;
        return Ok((start, end));
    }
    let Some(d) = text_of("journee_gaziere") else {
        return Err(ImportError::at(
            line,
            "expected date_debut_consommation and date_fin_consommation, or journee_gaziere",
        ));
    };
    let day = match when("journee_gaziere", d)? {
        When::Local { day, .. } => day,
        When::Instant(t) => paris
            .day_containing(t)
            .map_err(|e| ImportError::at(line, local_error(e, d)))?,
    };
    gas_day(paris, day).map_err(|e| ImportError::at(line, local_error(e, d)))
}

fn gas_parsed(
    layout: Layout,
    meter: Option<String>,
    energy: Builder,
    volume: Builder,
    rows: usize,
) -> Result<Parsed, ImportError> {
    if energy.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout,
        meter,
        series: vec![energy.finish(&by_line)?, volume.finish(&by_line)?],
        rows,
        declared: None,
    })
}

// ---------------------------------------------------------------- XLSX

/// How far down the sheet the header row is looked for (it is row 9 in
/// today's exports; a banner line more or less must not break the import).
const HEADER_SCAN_ROWS: u32 = 20;

/// A worksheet holding the GRDF header, ready to read.
pub(crate) struct Sheet {
    sheet: Worksheet,
    /// The header's position within `sheet.rows`.
    header: usize,
    date: u32,
    volume: Option<u32>,
    energy: Option<u32>,
    quality: Option<u32>,
    date1904: bool,
}

/// How much of a cell's text is looked at: header names, qualities, dates,
/// numbers and PCE numbers are short, and a long shared string named by
/// many cells must not be copied or scanned whole for each of them.
const CELL_TEXT_BYTES: usize = 256;

/// A cell's text (its first [`CELL_TEXT_BYTES`]; numbers as Excel shows them).
fn cell_text(c: Cell<'_>) -> Cow<'_, str> {
    match c {
        Cell::Text(s) => {
            let mut end = s.len().min(CELL_TEXT_BYTES);
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            Cow::Borrowed(&s[..end])
        }
        Cell::Number(f) => Cow::Owned(f.to_string()),
        Cell::Empty | Cell::Bool(_) | Cell::Error => Cow::Borrowed(""),
    }
}

/// Opens the workbook (with the caps of [`super::xlsx`]) and finds a sheet
/// with the GRDF header: `Ok(None)` when it is not a workbook or has no such
/// sheet, `Err` when it is too large to read safely.
pub(crate) fn sniff_xlsx(bytes: &[u8]) -> Result<Option<Sheet>, ImportError> {
    let refused = |e: XlsxError| match e {
        XlsxError::TooLarge(_) => Err(ImportError::Invalid(e.to_string())),
        XlsxError::NotWorkbook => Ok(None),
    };
    let mut book = match Workbook::open(bytes) {
        Ok(book) => book,
        Err(e) => return refused(e),
    };
    for i in 0..book.sheet_count() {
        let sheet = match book.sheet(i) {
            Ok(Some(sheet)) => sheet,
            Ok(None) => continue,
            Err(e) => return refused(e),
        };
        let first = sheet.rows.first().map_or(0, |r| r.index);
        let mut found = None;
        for (i, row) in sheet
            .rows
            .iter()
            .enumerate()
            .take_while(|(_, r)| r.index - first < HEADER_SCAN_ROWS)
        {
            let names: Vec<(u32, String)> = sheet
                .cells(row)
                .map(|(k, c)| (k, norm(&cell_text(c))))
                .collect();
            let find = |prefix: &str| {
                names
                    .iter()
                    .find(|(_, n)| n.starts_with(prefix))
                    .map(|(k, _)| *k)
            };
            let (Some(date), volume, energy) = (
                find("date de releve"),
                find("volume consomme"),
                find("energie consommee"),
            ) else {
                continue;
            };
            if volume.is_none() && energy.is_none() {
                continue;
            }
            found = Some((i, date, volume, energy, find("qualification")));
            break;
        }
        if let Some((header, date, volume, energy, quality)) = found {
            return Ok(Some(Sheet {
                sheet,
                header,
                date,
                volume,
                energy,
                quality,
                date1904: book.date1904(),
            }));
        }
    }
    Ok(None)
}

/// Days between the 1900 and 1904 date systems' day zero.
const DAYS_1900_TO_1904: f64 = 1462.0;

/// The Paris day of a `Date de relevé` cell: an Excel date (a serial
/// number) or text (`dd/mm/yyyy` or ISO).
fn cell_day(c: Cell<'_>, paris: &mut Paris, date1904: bool) -> Option<i32> {
    let serial = match c {
        Cell::Number(f) if date1904 => f + DAYS_1900_TO_1904,
        Cell::Number(f) => f,
        Cell::Text(s) => {
            return match parse_when(&cell_text(Cell::Text(s)))? {
                When::Local { day, .. } => Some(day),
                When::Instant(t) => paris.day_containing(t).ok(),
            };
        }
        _ => return None,
    };
    if !(61.0..2_958_466.0).contains(&serial) {
        return None;
    }
    // Excel's 1900 system counts from 1899-12-30 for dates after February 1900.
    Some(time::days_from_civil(1899, 12, 30) + serial.floor() as i32)
}

/// A numeric cell as a decimal; empty and error cells are missing.
fn cell_dec(c: Cell<'_>) -> Result<Option<Dec>, String> {
    match c {
        Cell::Empty | Cell::Error => Ok(None),
        Cell::Number(f) => {
            text::parse_dec(&f.to_string()).map_err(|e| e.describe(&f.to_string(), "the cell"))
        }
        Cell::Text(s) => {
            let s = cell_text(Cell::Text(s));
            text::parse_dec(&s).map_err(|e| e.describe(&s, "the cell"))
        }
        other => Err(format!(
            "expected a number, found {}",
            shown(&cell_text(other))
        )),
    }
}

/// The customer XLSX: a row dated D covers the gas day [D−1 06:00, D 06:00).
/// Line numbers in errors are spreadsheet row numbers.
pub(crate) fn parse_xlsx(sheet: Sheet) -> Result<Parsed, ImportError> {
    let ws = &sheet.sheet;
    let mut paris = Paris::new()?;
    let mut energy = Builder::new(Quantity::GasEnergy);
    let mut volume = Builder::new(Quantity::GasVolume);
    let mut rows = 0;
    let mut meter = None;
    for row in ws.rows.iter().take(sheet.header) {
        for (k, c) in ws.cells(row) {
            let t = cell_text(c);
            if meter.is_none() && norm(&t).contains("pce") {
                meter = find_pce(&t).or_else(|| {
                    k.checked_add(1)
                        .and_then(|n| find_pce(&cell_text(ws.cell(row, n))))
                });
            }
        }
    }
    for row in ws.rows.iter().skip(sheet.header + 1) {
        let line = row.index as usize + 1;
        if ws.cells(row).all(|(_, c)| matches!(c, Cell::Empty)) {
            continue;
        }
        rows += 1;
        let cell = |k: Option<u32>| k.map_or(Cell::Empty, |k| ws.cell(row, k));
        let date = cell(Some(sheet.date));
        let day = cell_day(date, &mut paris, sheet.date1904).ok_or_else(|| {
            ImportError::at(
                line,
                format!(
                    "expected a date like 16/08/2021 in column Date de relevé (spreadsheet row), found {}",
                    shown(&cell_text(date))
                ),
            )
        })?;
        let prev = day
            .checked_sub(1)
            .ok_or_else(|| ImportError::at(line, "the date is out of range"))?;
        let (start, end) = gas_day(&mut paris, prev)
            .map_err(|e| ImportError::at(line, local_error(e, &cell_text(date))))?;
        let read = |k: Option<u32>, what: &str| -> Result<Option<i64>, ImportError> {
            let d = cell_dec(cell(k)).map_err(|m| ImportError::at(line, format!("{what}: {m}")))?;
            millionths(d)
                .map_err(|()| ImportError::at(line, format!("{what}: the value is too large")))
        };
        let estimated = is_estimated(&cell_text(cell(sheet.quality)));
        energy.push(
            start,
            end,
            read(sheet.energy, "Energie consommée (kWh)")?,
            estimated,
            line,
            &by_line,
        )?;
        volume.push(
            start,
            end,
            read(sheet.volume, "Volume consommé (m3)")?,
            estimated,
            line,
            &by_line,
        )?;
    }
    gas_parsed(Layout::GrdfXlsx, meter, energy, volume, rows)
}

#[cfg(test)]
mod tests {
    use super::find_pce;

    #[test]
    fn pce_numbers() {
        assert_eq!(
            find_pce("PCE : 21546000000000").as_deref(),
            Some("21546000000000")
        );
        assert_eq!(find_pce("n° GI123456").as_deref(), Some("GI123456"));
        assert_eq!(find_pce("123"), None);
    }
}

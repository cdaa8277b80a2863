//! GRDF (Gazpar) gas readings: the ADICT API's NDJSON (one object per line
//! with a `consommation` block) and the customer portal's XLSX export
//! (header on row 9, one row per gas day).
//!
//! The gas day runs from 06:00 to 06:00 Paris time. Both layouts give a
//! volume in m³ and an energy in kWh; each becomes its own series (mL and mWh).

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use serde_json::{Map, Value};

use crate::model::{ImportError, Layout, Parsed, Quantity};

use super::enedis_json::{json_error, json_text};
use super::series::{Builder, by_line};
use super::text::{self, Dec, norm, shown};
use super::time::{self, DAY, Paris, When, local_error, parse_when};

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
    })
}

// ---------------------------------------------------------------- XLSX

/// How far down the sheet the header row is looked for (it is row 9 in
/// today's exports; a banner line more or less must not break the import).
const HEADER_SCAN_ROWS: usize = 20;

/// A worksheet holding the GRDF header, ready to read.
pub(crate) struct Sheet {
    range: Range<Data>,
    /// The header's index within `range`.
    header: usize,
    date: usize,
    volume: Option<usize>,
    energy: Option<usize>,
    quality: Option<usize>,
}

fn cell_text(c: &Data) -> String {
    match c {
        Data::String(s) | Data::DateTimeIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        _ => String::new(),
    }
}

/// Opens the workbook and finds a sheet with the GRDF header, or `None`.
pub(crate) fn sniff_xlsx(bytes: &[u8]) -> Option<Sheet> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).ok()?;
    for name in book.sheet_names() {
        let Ok(range) = book.worksheet_range(&name) else {
            continue;
        };
        for (i, row) in range.rows().take(HEADER_SCAN_ROWS).enumerate() {
            let names: Vec<String> = row.iter().map(|c| norm(&cell_text(c))).collect();
            let find = |prefix: &str| names.iter().position(|n| n.starts_with(prefix));
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
            let quality = find("qualification");
            return Some(Sheet {
                range,
                header: i,
                date,
                volume,
                energy,
                quality,
            });
        }
    }
    None
}

/// The Paris day of a `Date de relevé` cell: an Excel date, a serial
/// number, or text (`dd/mm/yyyy` or ISO).
fn cell_day(c: &Data, paris: &mut Paris) -> Option<i32> {
    let serial = match c {
        Data::DateTime(dt) => {
            let v = dt.as_f64();
            if !(1.0..2_958_466.0).contains(&v) {
                return None;
            }
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            return time::day_of(i32::from(y), u32::from(m), u32::from(d));
        }
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        Data::String(s) | Data::DateTimeIso(s) => {
            return match parse_when(s)? {
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
fn cell_dec(c: &Data) -> Result<Option<Dec>, String> {
    match c {
        Data::Empty | Data::Error(_) => Ok(None),
        Data::Int(i) => Ok(Some(Dec {
            mant: i128::from(*i),
            scale: 0,
        })),
        Data::Float(f) if f.is_finite() => {
            text::parse_dec(&f.to_string()).map_err(|e| e.describe(&f.to_string(), "the cell"))
        }
        Data::String(s) => text::parse_dec(s).map_err(|e| e.describe(s, "the cell")),
        other => Err(format!(
            "expected a number, found {}",
            shown(&cell_text(other))
        )),
    }
}

/// The customer XLSX: a row dated D covers the gas day [D−1 06:00, D 06:00).
/// Line numbers in errors are spreadsheet row numbers.
pub(crate) fn parse_xlsx(sheet: Sheet) -> Result<Parsed, ImportError> {
    let first_row = sheet.range.start().map_or(0, |(r, _)| r as usize);
    let mut paris = Paris::new()?;
    let mut energy = Builder::new(Quantity::GasEnergy);
    let mut volume = Builder::new(Quantity::GasVolume);
    let mut rows = 0;
    let mut meter = None;
    for row in sheet.range.rows().take(sheet.header) {
        for (k, c) in row.iter().enumerate() {
            let t = cell_text(c);
            if meter.is_none() && norm(&t).contains("pce") {
                meter =
                    find_pce(&t).or_else(|| row.get(k + 1).and_then(|n| find_pce(&cell_text(n))));
            }
        }
    }
    for (i, row) in sheet.range.rows().enumerate().skip(sheet.header + 1) {
        let line = first_row + i + 1;
        if row.iter().all(|c| matches!(c, Data::Empty)) {
            continue;
        }
        rows += 1;
        let cell = |k: Option<usize>| k.and_then(|k| row.get(k)).unwrap_or(&Data::Empty);
        let date = cell(Some(sheet.date));
        let day = cell_day(date, &mut paris).ok_or_else(|| {
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
        let read = |k: Option<usize>, what: &str| -> Result<Option<i64>, ImportError> {
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

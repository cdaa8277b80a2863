//! How normalised series are laid out as resources, and the derived index.
//!
//! A pod keeps, per fluid, one CSV file per (quantity, interval length,
//! year): `selfdata/energy/electricity/energy-PT30M-2025.csv`, with the
//! columns `start,end,value,estimated` (UTC instants; the value in Wh, L or
//! VA with up to three decimals, so the integer mWh/mL are exact; empty =
//! missing). A `csv-metadata.json` beside them describes every table with
//! CSVW and SOSA terms. The CSV files are the truth; the derived index holds
//! the same readings in a compact binary form per file, so a query never
//! parses text, and is rebuilt from the CSV files by `selfdata reindex`.
//!
//! [`merge`] folds new readings into a file's readings so that importing
//! the same or an overlapping file again changes nothing twice.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::model::{Fluid, Quantity, Reading};

/// The time zone the resident's days, months and years are counted in.
pub fn paris() -> TimeZone {
    selfdata_sources::time::paris()
}

/// One normalised file: a quantity at one interval length over one local year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileKey {
    pub quantity: Quantity,
    /// Interval length: minutes for sub-daily readings, or [`DAILY`].
    pub step: Step,
    pub year: i16,
}

/// The interval length of a file's readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    Minutes(u16),
    /// A day (23, 24 or 25 hours; a gas day; or between two daily index readings).
    Daily,
}

pub const DAILY: Step = Step::Daily;

impl Step {
    pub fn of(r: &Reading) -> Step {
        let secs = r.end.as_second() - r.start.as_second();
        if secs >= 20 * 3600 {
            Step::Daily
        } else {
            Step::Minutes(u16::try_from(secs / 60).unwrap_or(u16::MAX))
        }
    }

    /// ISO 8601 duration, as in the file name (`PT30M`, `P1D`).
    pub fn iso(self) -> String {
        match self {
            Step::Minutes(m) => format!("PT{m}M"),
            Step::Daily => "P1D".into(),
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        if s == "P1D" {
            return Some(Step::Daily);
        }
        let m: u16 = s.strip_prefix("PT")?.strip_suffix('M')?.parse().ok()?;
        (m > 0).then_some(Step::Minutes(m))
    }
}

impl FileKey {
    /// The file's name inside its fluid's container.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}-{}.csv",
            self.quantity.slug(),
            self.step.iso(),
            self.year
        )
    }

    /// The path of the file inside the pod, from the root (no leading slash).
    pub fn path(&self) -> String {
        format!(
            "{}{}",
            fluid_container(self.quantity.fluid()),
            self.file_name()
        )
    }

    /// Parses a file name produced by [`FileKey::file_name`].
    pub fn parse(fluid: Fluid, name: &str) -> Option<FileKey> {
        let stem = name.strip_suffix(".csv")?;
        let (rest, year) = stem.rsplit_once('-')?;
        let (slug, step) = rest.rsplit_once('-')?;
        Some(FileKey {
            quantity: Quantity::from_parts(fluid, slug)?,
            step: Step::parse(step)?,
            year: year.parse().ok()?,
        })
    }

    /// The derived index key of this file.
    pub fn index_key(&self) -> String {
        format!(
            "{}{}/{}/{}",
            index_prefix(self.quantity.fluid()),
            self.quantity.slug(),
            self.step.iso(),
            self.year
        )
    }

    pub fn from_index_key(key: &str) -> Option<FileKey> {
        let mut parts = key.strip_prefix("energy/")?.split('/');
        let fluid = Fluid::parse(parts.next()?)?;
        let quantity = Quantity::from_parts(fluid, parts.next()?)?;
        let step = Step::parse(parts.next()?)?;
        let year = parts.next()?.parse().ok()?;
        parts.next().is_none().then_some(FileKey {
            quantity,
            step,
            year,
        })
    }
}

/// The name an original file is kept under in its holder's `raw/`
/// container: the Paris days it covers, a content hash, the layout's extension.
pub fn original_name(
    layout: crate::model::Layout,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    sha256: &[u8; 32],
) -> String {
    selfdata_sources::raw::raw_file_name(first, last, sha256, layout.extension())
}

/// The container of a fluid's normalised files (`selfdata/energy/gas/`).
pub fn fluid_container(fluid: Fluid) -> String {
    format!("selfdata/energy/{}/", fluid.as_str())
}

/// The prefix of a fluid's entries in the derived index.
pub fn index_prefix(fluid: Fluid) -> String {
    format!("energy/{}/", fluid.as_str())
}

/// Splits readings of one quantity into the files they belong in.
pub fn group(quantity: Quantity, readings: &[Reading]) -> BTreeMap<FileKey, Vec<Reading>> {
    let tz = paris();
    let mut out: BTreeMap<FileKey, Vec<Reading>> = BTreeMap::new();
    for r in readings {
        let year = r.start.to_zoned_datetime(tz.clone()).year();
        let key = FileKey {
            quantity,
            step: Step::of(r),
            year,
        };
        out.entry(key).or_default().push(*r);
    }
    out
}

/// Folds `new` readings into `existing` (both sorted by start, one file's
/// worth). A new reading replaces the one with the same start (a corrected
/// export), except that a missing value never erases a known one. Returns
/// the merged readings and how many intervals were added or changed.
pub fn merge(existing: &[Reading], new: &[Reading]) -> (Vec<Reading>, usize) {
    let mut by_start: BTreeMap<Timestamp, Reading> =
        existing.iter().map(|r| (r.start, *r)).collect();
    let mut changed = 0;
    for r in new {
        match by_start.get(&r.start) {
            Some(old) if old == r => {}
            Some(old) if r.value.is_none() && old.value.is_some() => {}
            _ => {
                changed += 1;
                by_start.insert(r.start, *r);
            }
        }
    }
    (by_start.into_values().collect(), changed)
}

/// Why a normalised CSV file could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}, line {line}: {message}")]
pub struct CsvError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

const HEADER: &str = "start,end,value,estimated\n";

/// Writes one file's readings as CSV.
pub fn to_csv(readings: &[Reading]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(HEADER.len() + readings.len() * 56);
    s.push_str(HEADER);
    for r in readings {
        let _ = write!(s, "{},{},", r.start, r.end);
        if let Some(v) = r.value {
            write_milli(&mut s, v);
        }
        s.push(',');
        s.push_str(if r.estimated { "true" } else { "false" });
        s.push('\n');
    }
    s.into_bytes()
}

/// Writes an integer count of thousandths as a decimal (`12345` → `12.345`, `-5` → `-0.005`).
fn write_milli(s: &mut String, v: i64) {
    use std::fmt::Write as _;
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    let (int, frac) = (a / 1000, a % 1000);
    if frac == 0 {
        let _ = write!(s, "{sign}{int}");
    } else {
        let digits = format!("{frac:03}");
        let _ = write!(s, "{sign}{int}.{}", digits.trim_end_matches('0'));
    }
}

/// Parses a decimal with at most three decimals into thousandths.
fn parse_milli(s: &str) -> Option<i64> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty() || frac.len() > 3 || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: i64 = int.parse().ok()?;
    let frac_val: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(3 - frac.len() as u32)
    };
    let v = int.checked_mul(1000)?.checked_add(frac_val)?;
    Some(if neg { -v } else { v })
}

/// Reads back a file written by [`to_csv`] (for `selfdata reindex`).
pub fn from_csv(file: &str, bytes: &[u8]) -> Result<Vec<Reading>, CsvError> {
    let err = |line: usize, message: String| CsvError {
        file: file.to_owned(),
        line,
        message,
    };
    let text = std::str::from_utf8(bytes).map_err(|_| err(1, "not UTF-8 text".into()))?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == HEADER.trim() => {}
        _ => return Err(err(1, format!("expected the header {}", HEADER.trim()))),
    }
    let mut out = Vec::new();
    for (i, line) in lines {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
        let mut cols = line.split(',');
        let (Some(start), Some(end), Some(value), Some(est), None) = (
            cols.next(),
            cols.next(),
            cols.next(),
            cols.next(),
            cols.next(),
        ) else {
            return Err(err(
                n,
                "expected four columns: start,end,value,estimated".into(),
            ));
        };
        let start: Timestamp = start
            .parse()
            .map_err(|_| err(n, format!("expected a UTC instant, found {start:?}")))?;
        let end: Timestamp = end
            .parse()
            .map_err(|_| err(n, format!("expected a UTC instant, found {end:?}")))?;
        let value = if value.is_empty() {
            None
        } else {
            Some(parse_milli(value).ok_or_else(|| {
                err(
                    n,
                    format!("expected a number with at most 3 decimals, found {value:?}"),
                )
            })?)
        };
        let estimated = match est {
            "true" => true,
            "false" => false,
            other => return Err(err(n, format!("expected true or false, found {other:?}"))),
        };
        if end <= start {
            return Err(err(n, "the interval ends before it starts".into()));
        }
        out.push(Reading {
            start,
            end,
            value,
            estimated,
        });
    }
    out.sort_by_key(|r| r.start);
    Ok(out)
}

/// The compact form of one file's readings in the derived index: per
/// reading, start (i64 s), length (u32 s), flags (u8: bit 0 present, bit 1
/// estimated), value (i64), little-endian.
pub fn encode(readings: &[Reading]) -> Vec<u8> {
    let mut out = Vec::with_capacity(readings.len() * 21);
    for r in readings {
        out.extend_from_slice(&r.start.as_second().to_le_bytes());
        let len = (r.end.as_second() - r.start.as_second()).clamp(0, u32::MAX as i64) as u32;
        out.extend_from_slice(&len.to_le_bytes());
        out.push(u8::from(r.value.is_some()) | (u8::from(r.estimated) << 1));
        out.extend_from_slice(&r.value.unwrap_or(0).to_le_bytes());
    }
    out
}

/// Reads [`encode`]'s output; `None` if it is damaged (then reindex).
pub fn decode(bytes: &[u8]) -> Option<Vec<Reading>> {
    if !bytes.len().is_multiple_of(21) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 21);
    for chunk in bytes.chunks_exact(21) {
        let start = i64::from_le_bytes(chunk[0..8].try_into().ok()?);
        let len = u32::from_le_bytes(chunk[8..12].try_into().ok()?);
        let flags = chunk[12];
        let value = i64::from_le_bytes(chunk[13..21].try_into().ok()?);
        out.push(Reading {
            start: Timestamp::from_second(start).ok()?,
            end: Timestamp::from_second(start.checked_add(len as i64)?).ok()?,
            value: (flags & 1 == 1).then_some(value),
            estimated: flags & 2 == 2,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(start: i64, len: i64, value: Option<i64>) -> Reading {
        Reading {
            start: Timestamp::from_second(start).unwrap(),
            end: Timestamp::from_second(start + len).unwrap(),
            value,
            estimated: false,
        }
    }

    #[test]
    fn csv_and_index_round_trip_exactly() {
        let readings = vec![
            r(1_700_000_000, 1800, Some(135_500)),
            r(1_700_001_800, 1800, None),
            r(1_700_003_600, 1800, Some(-5)),
            r(1_700_005_400, 1800, Some(7)),
        ];
        let csv = to_csv(&readings);
        let text = String::from_utf8(csv.clone()).unwrap();
        assert!(text.contains(",135.5,false\n"), "{text}");
        assert!(text.contains(",,false\n"));
        assert!(text.contains(",-0.005,"));
        assert!(text.contains(",0.007,"));
        assert_eq!(from_csv("x.csv", &csv).unwrap(), readings);
        assert_eq!(decode(&encode(&readings)).unwrap(), readings);
    }

    #[test]
    fn merging_the_same_readings_changes_nothing_and_gaps_never_erase() {
        let old = vec![r(0, 1800, Some(1)), r(1800, 1800, Some(2))];
        assert_eq!(merge(&old, &old), (old.clone(), 0));
        let new = vec![r(1800, 1800, None), r(3600, 1800, Some(3))];
        let (merged, changed) = merge(&old, &new);
        assert_eq!(changed, 1);
        assert_eq!(merged.len(), 3);
        assert_eq!(merged[1].value, Some(2));
    }

    #[test]
    fn file_names_and_index_keys_parse_back() {
        let key = FileKey {
            quantity: Quantity::GasVolume,
            step: Step::Daily,
            year: 2025,
        };
        assert_eq!(key.path(), "selfdata/energy/gas/volume-P1D-2025.csv");
        assert_eq!(FileKey::parse(Fluid::Gas, &key.file_name()), Some(key));
        assert_eq!(FileKey::from_index_key(&key.index_key()), Some(key));
        assert_eq!(
            FileKey::parse(Fluid::Electricity, "max-power-P1D-2024.csv")
                .unwrap()
                .quantity,
            Quantity::MaxPower
        );
    }

    #[test]
    fn a_damaged_csv_names_the_line() {
        let e = from_csv(
            "a.csv",
            b"start,end,value,estimated\n2025-01-01T00:00:00Z,2025-01-01T00:30:00Z,1.2345,false\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
    }
}

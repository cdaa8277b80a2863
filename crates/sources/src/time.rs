//! Dates and times as the holders write them, turned into UTC seconds.
//!
//! Timestamps with an offset (`2020-08-20T23:40:00+02:00`) are read by hand:
//! a load curve has hundreds of thousands of them and a general parser would
//! dominate the import time. Local times without an offset are Paris time and
//! go through [`Paris`], which caches each day's offset and asks the time zone
//! database only on the two days a year when clocks change.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use crate::ImportError;

pub const DAY: i64 = 86_400;

/// The time zone residents' days, months and years are counted in (UTC if
/// the bundled database lacked it, which the build makes impossible).
pub fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}

/// The Paris calendar date of an instant.
pub fn local_date(t: Timestamp) -> jiff::civil::Date {
    t.to_zoned_datetime(paris()).date()
}

/// A date or date-time read from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// An instant: the text carried a UTC offset (or `Z`). Unix seconds.
    Instant(i64),
    /// A Paris wall-clock time: days since 1970-01-01 and seconds into that
    /// day (up to 86 400 for `24:00`); `time` says whether a time was written.
    Local { day: i32, sod: u32, time: bool },
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe as u32 * 365 + yoe as u32 / 4 - yoe as u32 / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

/// The date of a day number: (year, month, day).
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe as i32 + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// A day number for a valid date, else `None`.
pub fn day_of(y: i32, m: u32, d: u32) -> Option<i32> {
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

fn num(b: &[u8]) -> Option<u32> {
    // At most 9 digits, so the fold cannot overflow a u32.
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
}

/// `HH:MM[:SS[.fff]]` as seconds into the day; `24:00` is accepted as the day's end.
pub fn parse_time(b: &[u8]) -> Option<u32> {
    if b.len() < 5 || b[2] != b':' {
        return None;
    }
    let h = num(&b[0..2])?;
    let m = num(&b[3..5])?;
    let s = match b.len() {
        5 => 0,
        _ if b.len() >= 8 && b[5] == b':' => {
            // Allow `.fff` after the seconds, nothing else.
            let frac = &b[8..];
            if !frac.is_empty() && (frac[0] != b'.' || !frac[1..].iter().all(u8::is_ascii_digit)) {
                return None;
            }
            num(&b[6..8])?
        }
        _ => return None,
    };
    if m > 59 || s > 59 || h > 24 || (h == 24 && (m, s) != (0, 0)) {
        return None;
    }
    Some(h * 3600 + m * 60 + s)
}

/// `+HH:MM`, `+HHMM`, `+HH` or `Z` as seconds east of UTC.
fn parse_offset(b: &[u8]) -> Option<i64> {
    if b == b"Z" || b == b"z" {
        return Some(0);
    }
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let rest = &b[1..];
    let (h, m) = match rest.len() {
        2 => (num(rest)?, 0),
        4 => (num(&rest[0..2])?, num(&rest[2..4])?),
        5 if rest[2] == b':' => (num(&rest[0..2])?, num(&rest[3..5])?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

/// Splits a time-with-offset tail into the time and the offset text.
fn split_offset(b: &[u8]) -> (&[u8], Option<&[u8]>) {
    if let Some(rest) = b.strip_suffix(b"Z").or_else(|| b.strip_suffix(b"z")) {
        return (rest, Some(&b[rest.len()..]));
    }
    // The offset sign comes after `HH:MM`, so look past index 4.
    match b.iter().skip(5).position(|&c| c == b'+' || c == b'-') {
        Some(i) => (&b[..i + 5], Some(&b[i + 5..])),
        None => (b, None),
    }
}

/// Reads `YYYY-MM-DD`, `YYYY-MM-DD[T ]HH:MM[:SS][offset]`, `DD/MM/YYYY` or
/// `DD/MM/YYYY HH:MM[:SS]`. With an offset the result is an instant; without,
/// a Paris local time.
pub fn parse_when(s: &str) -> Option<When> {
    let b = s.trim().as_bytes();
    if b.len() < 10 {
        return None;
    }
    let (day, rest) = if b[4] == b'-' && b[7] == b'-' {
        let y = num(&b[0..4])?;
        (day_of(y as i32, num(&b[5..7])?, num(&b[8..10])?)?, &b[10..])
    } else if b[2] == b'/' && b[5] == b'/' {
        let y = num(&b[6..10])?;
        (day_of(y as i32, num(&b[3..5])?, num(&b[0..2])?)?, &b[10..])
    } else {
        return None;
    };
    if rest.is_empty() {
        return Some(When::Local {
            day,
            sod: 0,
            time: false,
        });
    }
    if rest[0] != b'T' && rest[0] != b' ' {
        return None;
    }
    let rest = trim_ascii(&rest[1..]);
    let (time, offset) = split_offset(rest);
    let sod = parse_time(time)?;
    match offset {
        None => Some(When::Local {
            day,
            sod,
            time: true,
        }),
        Some(o) => {
            let off = parse_offset(o)?;
            Some(When::Instant(i64::from(day) * DAY + i64::from(sod) - off))
        }
    }
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    b.trim_ascii()
}

/// Fast path for the portal's `YYYY-MM-DDTHH:MM:SS+HH:MM`, falling back to
/// [`parse_when`]; the result must carry an offset.
pub fn parse_instant(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() == 25
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && (b[19] == b'+' || b[19] == b'-')
        && b[22] == b':'
    {
        let y = num(&b[0..4])?;
        let day = day_of(y as i32, num(&b[5..7])?, num(&b[8..10])?)?;
        let (h, mi, se) = (num(&b[11..13])?, num(&b[14..16])?, num(&b[17..19])?);
        let (oh, om) = (num(&b[20..22])?, num(&b[23..25])?);
        if h > 23 || mi > 59 || se > 59 || oh > 23 || om > 59 {
            return None;
        }
        let off = i64::from(oh * 3600 + om * 60) * if b[19] == b'-' { -1 } else { 1 };
        return Some(i64::from(day) * DAY + i64::from(h * 3600 + mi * 60 + se) - off);
    }
    match parse_when(s)? {
        When::Instant(t) => Some(t),
        When::Local { .. } => None,
    }
}

/// An ISO 8601 step such as `PT30M`, `PT1H`, `PT10M` or `P1D`, in seconds.
pub fn parse_step(s: &str) -> Option<i64> {
    let s = s.trim().to_ascii_uppercase();
    if s == "P1D" {
        return Some(DAY);
    }
    let rest = s.strip_prefix("PT")?;
    // Bytes, not `str::split_at`: the text may end in a multi-byte character.
    let (&unit, n) = rest.as_bytes().split_last()?;
    if n.len() > 6 {
        return None;
    }
    let n = i64::from(num(n)?);
    let secs = match unit {
        b'M' => n.checked_mul(60)?,
        b'H' => n.checked_mul(3600)?,
        b'S' => n,
        _ => return None,
    };
    (secs > 0 && secs <= DAY).then_some(secs)
}

/// A UTC second count as a [`Timestamp`].
pub fn ts(secs: i64) -> Option<Timestamp> {
    Timestamp::from_second(secs).ok()
}

/// One Paris day: its UTC bounds and, when clocks do not change that day, its offset.
#[derive(Debug, Clone, Copy)]
struct DayInfo {
    day: i32,
    start: i64,
    end: i64,
    offset: Option<i64>,
}

/// Why a Paris local time could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocalError {
    /// The spring gap: the wall clock skips this time.
    Gap,
    /// Outside the supported range of dates.
    Range,
}

/// Europe/Paris wall-clock arithmetic with a per-day cache. It also
/// remembers the last instant it placed, to tell the two occurrences of the
/// autumn hour apart in a time-ordered file.
pub struct Paris {
    tz: TimeZone,
    cache: Option<DayInfo>,
    last: Option<i64>,
}

impl Paris {
    pub fn new() -> Result<Paris, ImportError> {
        let tz = TimeZone::get("Europe/Paris").map_err(|e| {
            ImportError::Invalid(format!("the Europe/Paris time zone is unavailable: {e}"))
        })?;
        Ok(Paris {
            tz,
            cache: None,
            last: None,
        })
    }

    /// Forgets the last placed instant (a new sequence begins).
    pub fn restart(&mut self) {
        self.last = None;
    }

    fn civil(day: i32, sod: u32) -> Option<DateTime> {
        let (y, m, d) = civil_from_days(day);
        let y = i16::try_from(y).ok()?;
        DateTime::new(
            y,
            m as i8,
            d as i8,
            (sod / 3600) as i8,
            (sod / 60 % 60) as i8,
            (sod % 60) as i8,
            0,
        )
        .ok()
    }

    /// The offsets of a local time: (earlier, later) candidates; equal when
    /// unambiguous, `Err(Gap)` in the spring gap.
    fn candidates(&self, day: i32, sod: u32) -> Result<(i64, i64), LocalError> {
        let dt = Self::civil(day, sod).ok_or(LocalError::Range)?;
        let local = i64::from(day) * DAY + i64::from(sod);
        match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => {
                let t = local - i64::from(offset.seconds());
                Ok((t, t))
            }
            AmbiguousOffset::Gap { .. } => Err(LocalError::Gap),
            AmbiguousOffset::Fold { before, after } => Ok((
                local - i64::from(before.seconds()),
                local - i64::from(after.seconds()),
            )),
        }
    }

    fn info(&mut self, day: i32) -> Result<DayInfo, LocalError> {
        if let Some(info) = self.cache
            && info.day == day
        {
            return Ok(info);
        }
        // Paris never changes clocks at midnight, so both ends are unambiguous.
        let start = self.candidates(day, 0)?.0;
        let end = self
            .candidates(day.checked_add(1).ok_or(LocalError::Range)?, 0)?
            .0;
        let offset = (end - start == DAY).then(|| i64::from(day) * DAY - start);
        let info = DayInfo {
            day,
            start,
            end,
            offset,
        };
        self.cache = Some(info);
        Ok(info)
    }

    /// The UTC bounds `[start, end)` of a Paris calendar day (23, 24 or 25 hours).
    pub fn day_bounds(&mut self, day: i32) -> Result<(i64, i64), LocalError> {
        let info = self.info(day)?;
        Ok((info.start, info.end))
    }

    /// A local time on a given day, with no sequence tracking (used for
    /// times that are never ambiguous in Paris, such as the 06:00 gas day).
    pub fn fixed(&mut self, day: i32, sod: u32) -> Result<i64, LocalError> {
        let info = self.info(day)?;
        if let Some(off) = info.offset {
            return Ok(i64::from(day) * DAY + i64::from(sod) - off);
        }
        Ok(self.candidates(day, sod)?.0)
    }

    /// A local time read in file order. On the autumn repeated hour, the first
    /// occurrence is the earlier instant and a time already passed is the later one.
    pub fn sequenced(&mut self, day: i32, sod: u32) -> Result<i64, LocalError> {
        let info = self.info(day)?;
        let t = match info.offset {
            Some(off) => i64::from(day) * DAY + i64::from(sod) - off,
            None => {
                let (early, late) = self.candidates(day, sod)?;
                match self.last {
                    Some(prev) if early <= prev && late > prev => late,
                    _ => early,
                }
            }
        };
        self.last = Some(t);
        Ok(t)
    }

    /// The Paris calendar day holding an instant.
    pub fn day_containing(&mut self, t: i64) -> Result<i32, LocalError> {
        if let Some(info) = self.cache
            && info.start <= t
            && t < info.end
        {
            return Ok(info.day);
        }
        let stamp = ts(t).ok_or(LocalError::Range)?;
        let off = i64::from(self.tz.to_offset(stamp).seconds());
        let day = i32::try_from((t + off).div_euclid(DAY)).map_err(|_| LocalError::Range)?;
        self.info(day)?;
        Ok(day)
    }

    /// Places a [`When`]: instants as they are, local times in sequence.
    pub fn place(&mut self, when: When) -> Result<i64, LocalError> {
        match when {
            When::Instant(t) => {
                self.last = Some(t);
                Ok(t)
            }
            When::Local { day, sod, .. } => {
                if sod >= DAY as u32 {
                    self.sequenced(day.checked_add(1).ok_or(LocalError::Range)?, 0)
                } else {
                    self.sequenced(day, sod)
                }
            }
        }
    }

    /// The Paris day a [`When`] falls on (a local date as written, or the day holding an instant).
    pub fn day_of(&mut self, when: When) -> Result<i32, LocalError> {
        match when {
            When::Instant(t) => self.day_containing(t),
            When::Local { day, .. } => {
                self.info(day)?;
                Ok(day)
            }
        }
    }
}

/// The message for a local time that could not be placed.
pub fn local_error(e: LocalError, found: &str) -> String {
    match e {
        LocalError::Gap => format!(
            "the Paris local time {} does not exist (clocks jump from 02:00 to 03:00 that day)",
            shown_time(found)
        ),
        LocalError::Range => format!("the date {} is out of range", shown_time(found)),
    }
}

fn shown_time(s: &str) -> String {
    crate::text::shown(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip() {
        for z in [-800_000, -1, 0, 1, 18_000, 2_932_896] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
    }

    #[test]
    fn instants() {
        let t = parse_instant("2020-08-20T23:40:00+02:00").unwrap();
        assert_eq!(ts(t).unwrap().to_string(), "2020-08-20T21:40:00Z");
        assert_eq!(parse_instant("2020-08-20T23:40:00Z"), Some(t + 7200));
        assert_eq!(parse_instant("2020-08-20T23:40:00.000+0200"), Some(t));
        assert_eq!(parse_instant("2020-08-2"), None);
        assert_eq!(parse_instant("2020-02-30T00:00:00+01:00"), None);
    }

    #[test]
    fn local_forms() {
        let d = day_of(2023, 3, 13).unwrap();
        assert_eq!(
            parse_when("13/03/2023 00:30"),
            Some(When::Local {
                day: d,
                sod: 1800,
                time: true
            })
        );
        assert_eq!(
            parse_when("2023-03-13"),
            Some(When::Local {
                day: d,
                sod: 0,
                time: false
            })
        );
        assert_eq!(parse_when("2023-03-13 24:30"), None);
    }

    #[test]
    fn paris_days() {
        let mut p = Paris::new().unwrap();
        let spring = day_of(2023, 3, 26).unwrap();
        let (a, b) = p.day_bounds(spring).unwrap();
        assert_eq!(b - a, 23 * 3600);
        let autumn = day_of(2023, 10, 29).unwrap();
        let (a, b) = p.day_bounds(autumn).unwrap();
        assert_eq!(b - a, 25 * 3600);
        assert_eq!(p.sequenced(spring, 2 * 3600 + 1800), Err(LocalError::Gap));
        let first = p.sequenced(autumn, 2 * 3600).unwrap();
        let second = p.sequenced(autumn, 2 * 3600).unwrap();
        assert_eq!(second - first, 3600);
    }
}

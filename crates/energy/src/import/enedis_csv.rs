//! Enedis CSV exports: the customer portal's load curve, daily maximum power
//! and daily index files (a metadata block, then `Horodate;…` rows), the flat
//! 13-column layout and the older `Date de la mesure;Heure de la mesure` one.
//!
//! Load curve values are average power in W over the step, ending at the
//! row's time: energy in mWh is `W × minutes × 1000 / 60`, rounded half away
//! from zero. The step comes from the file when it says it, else from the
//! most common gap between consecutive rows.

use crate::model::{ImportError, Layout, Parsed, Quantity};

use super::series::{Builder, Locate, by_line};
use super::text::{self, Dec, column, norm, shown, split_into};
use super::time::{self, DAY, Paris, When, local_error, parse_instant, parse_when};

/// A row read before the step is known.
struct Raw<'a> {
    /// The interval end, UTC seconds.
    end: i64,
    value: Option<Dec>,
    line: usize,
    /// The value as written.
    found: &'a str,
    /// The time as written.
    stamp: &'a str,
}

impl<'a> Raw<'a> {
    /// The row of line `line` ending at `end` (written `stamp`), its value
    /// read from the Valeur cell `found`.
    fn read(line: usize, end: i64, stamp: &'a str, found: &'a str) -> Result<Self, ImportError> {
        let value = text::parse_dec(found)
            .map_err(|e| ImportError::at(line, e.describe(found, "Valeur")))?;
        Ok(Raw {
            end,
            value,
            line,
            found,
            stamp,
        })
    }
}

/// How a portal file's values are to be read, from its `Unite`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Average power over the step, W × factor.
    Power(i128),
    /// Energy over the step, Wh × factor.
    Energy(i128),
    /// Maximum apparent power, VA × factor.
    Apparent(i128),
}

pub(crate) fn unit_of(s: &str) -> Option<Unit> {
    match norm(s).as_str() {
        "w" => Some(Unit::Power(1)),
        "kw" => Some(Unit::Power(1000)),
        "wh" => Some(Unit::Energy(1)),
        "kwh" => Some(Unit::Energy(1000)),
        "va" => Some(Unit::Apparent(1)),
        "kva" => Some(Unit::Apparent(1000)),
        _ => None,
    }
}

const HORODATE_EXAMPLE: &str = "2020-08-20T23:40:00+02:00";

fn bad_horodate(found: &str) -> String {
    format!(
        "expected a date like {HORODATE_EXAMPLE} in column Horodate, found {}",
        shown(found)
    )
}

fn too_few(expected: usize, names: &str, found: usize) -> String {
    format!("expected {expected} columns ({names}), found {found}: the line is incomplete")
}

/// The most common gap between consecutive times among 10, 30 and 60
/// minutes and one day (23 to 25 hours), in seconds.
pub(crate) fn infer_step(times: impl Iterator<Item = i64>) -> Option<i64> {
    let mut counts = [0usize; 4];
    let mut prev: Option<i64> = None;
    for t in times {
        if let Some(p) = prev {
            match t.abs_diff(p) {
                600 => counts[0] += 1,
                1800 => counts[1] += 1,
                3600 => counts[2] += 1,
                82_800 | 86_400 | 90_000 => counts[3] += 1,
                _ => {}
            }
        }
        prev = Some(t);
    }
    let steps = [600, 1800, 3600, DAY];
    let mut best: Option<(usize, i64)> = None;
    for (count, step) in counts.into_iter().zip(steps) {
        if count > 0 && best.is_none_or(|(c, _)| count > c) {
            best = Some((count, step));
        }
    }
    best.map(|(_, s)| s)
}

/// `[start, end)` of a reading ending at `end` after `step` seconds. A
/// one-day step is the Paris calendar day (23 to 25 hours): the written date
/// itself when no time was given, else the day the end closes.
pub(crate) fn interval(
    paris: &mut Paris,
    end: i64,
    step: i64,
    date_only: Option<i32>,
) -> Result<(i64, i64), time::LocalError> {
    if step == DAY {
        let day = match date_only {
            Some(d) => d,
            None => paris.day_containing(end - 1)?,
        };
        paris.day_bounds(day)
    } else {
        Ok((end - step, end))
    }
}

/// The stored value of `value` (W, Wh or VA times a factor) over `secs` seconds:
/// mWh for power and energy, VA for apparent power.
fn energy(unit: Unit, value: Dec, secs: i64) -> Option<i64> {
    match unit {
        Unit::Power(f) => value.scaled(f.checked_mul(i128::from(secs))?.checked_mul(1000)?, 3600),
        Unit::Energy(f) => value.scaled(f.checked_mul(1000)?, 1),
        Unit::Apparent(f) => value.scaled(f, 1),
    }
}

// ---------------------------------------------------------------- portal

/// The portal's metadata block.
#[derive(Default)]
struct Metadata {
    prm: Option<String>,
    unit: Option<String>,
    step_minutes: Option<String>,
    /// `Date de debut` and `Date de fin`, as written.
    period: (Option<String>, Option<String>),
    /// The line of the values (for errors about them).
    line: usize,
}

/// The portal CSV: load curve, daily maximum power or daily index.
pub(crate) fn parse_portal(text: &str, layout: Layout) -> Result<Parsed, ImportError> {
    let mut lines = text::lines(text).filter(|(_, l)| !l.trim().is_empty());
    let mut meta = Metadata::default();
    let mut names: Option<Vec<String>> = None;
    let mut data_header: Option<(usize, Vec<String>, char)> = None;
    for (n, line) in lines.by_ref() {
        let fields = text::header_fields(line);
        let first = fields.first().map(String::as_str).unwrap_or("");
        if first == "horodate" {
            data_header = Some((n, fields, text::delimiter_of(line)));
            break;
        }
        if first == "identifiant prm" {
            names = Some(fields);
            continue;
        }
        if let Some(names) = names.take() {
            let mut raw = Vec::new();
            split_into(line, text::delimiter_of(line), &mut raw);
            let get = |keys: &[&str]| {
                column(&names, keys)
                    .and_then(|i| raw.get(i))
                    .map(|s| s.to_string())
                    .filter(|s| !s.is_empty())
            };
            meta.prm = get(&["identifiant prm"]);
            meta.unit = get(&["unite"]);
            meta.step_minutes = get(&["pas en minutes", "pas"]);
            meta.period = (get(&["date de debut"]), get(&["date de fin"]));
            meta.line = n;
        }
    }
    let Some((header_line, header, delim)) = data_header else {
        return Err(ImportError::Empty);
    };
    match layout {
        Layout::EnedisDailyIndexCsv => daily_index(lines, &header, header_line, delim, meta),
        _ => values(lines, layout, delim, meta),
    }
}

/// `Horodate;Valeur` rows: a load curve (W) or daily maximum power (VA).
fn values<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
    layout: Layout,
    delim: char,
    meta: Metadata,
) -> Result<Parsed, ImportError> {
    let default = if layout == Layout::EnedisMaxPowerCsv {
        Unit::Apparent(1)
    } else {
        Unit::Power(1)
    };
    let unit = match meta.unit.as_deref() {
        None => default,
        Some(u) => unit_of(u).ok_or_else(|| {
            ImportError::at(
                meta.line,
                format!(
                    "expected the unit W, Wh or VA in column Unite, found {}",
                    shown(u)
                ),
            )
        })?,
    };
    let mut fields = Vec::with_capacity(4);
    let mut raws: Vec<Raw<'a>> = Vec::new();
    for (n, line) in lines {
        split_into(line, delim, &mut fields);
        let stamp = fields.first().copied().unwrap_or("");
        let end = parse_instant(stamp).ok_or_else(|| ImportError::at(n, bad_horodate(stamp)))?;
        let Some(&found) = fields.get(1) else {
            return Err(ImportError::at(
                n,
                too_few(2, "Horodate;Valeur", fields.len()),
            ));
        };
        raws.push(Raw::read(n, end, stamp, found)?);
    }
    let rows = raws.len();
    if rows == 0 {
        return Err(ImportError::Empty);
    }
    let mut paris = Paris::new()?;
    let series = if let Unit::Apparent(_) = unit {
        let mut b = Builder::with_capacity(Quantity::MaxPower, rows);
        for r in &raws {
            let place_err = |e| ImportError::at(r.line, local_error(e, r.stamp));
            let day = paris.day_containing(r.end).map_err(place_err)?;
            let (start, end) = paris.day_bounds(day).map_err(place_err)?;
            let v = convert(unit, r.value, 0, r.line, r.found)?;
            b.push(start, end, v, false, r.line, &by_line)?;
        }
        b.finish(&by_line)?
    } else {
        let step = portal_step(&meta, &raws)?;
        let mut b = Builder::with_capacity(Quantity::ElectricEnergy, rows);
        for r in &raws {
            let place_err = |e| ImportError::at(r.line, local_error(e, r.stamp));
            // Daily values are dated by their day (its midnight starts it).
            let day = match step {
                DAY => Some(paris.day_containing(r.end).map_err(place_err)?),
                _ => None,
            };
            let (start, end) = interval(&mut paris, r.end, step, day).map_err(place_err)?;
            let v = convert(unit, r.value, end - start, r.line, r.found)?;
            b.push(start, end, v, false, r.line, &by_line)?;
        }
        b.finish(&by_line)?
    };
    Ok(Parsed {
        layout,
        declared: super::declared_period(meta.period.0.as_deref(), meta.period.1.as_deref()),
        meter: meta.prm,
        series: vec![series],
        rows,
    })
}

pub(crate) fn convert(
    unit: Unit,
    value: Option<Dec>,
    secs: i64,
    line: usize,
    found: &str,
) -> Result<Option<i64>, ImportError> {
    match value {
        None => Ok(None),
        Some(v) => energy(unit, v, secs).map(Some).ok_or_else(|| {
            ImportError::at(line, format!("the value {} is too large", shown(found)))
        }),
    }
}

/// The load curve step: `Pas en minutes` when given, else inferred.
fn portal_step(meta: &Metadata, raws: &[Raw<'_>]) -> Result<i64, ImportError> {
    if let Some(s) = &meta.step_minutes {
        return match s.trim().parse::<i64>() {
            Ok(m) if (1..=1440).contains(&m) => Ok(m * 60),
            _ => Err(ImportError::at(
                meta.line,
                format!(
                    "expected a step in minutes (10, 30 or 60) in column Pas en minutes, found {}",
                    shown(s)
                ),
            )),
        };
    }
    infer_step(raws.iter().map(|r| r.end)).ok_or_else(|| {
        ImportError::Invalid(
            "the step (Pas en minutes) is blank and could not be inferred: expected consecutive \
             readings 10, 30 or 60 minutes apart"
                .into(),
        )
    })
}

/// The daily index file: cumulative Wh per register; each day's energy is
/// the difference of the total (`EAS T`, else the sum of `EAS F1…F10`)
/// between consecutive rows, over `[previous Horodate, this Horodate)`.
///
/// A row without any index leaves a hole: the next known index is compared
/// with the last known one, over the whole span, so no energy is lost; a span
/// with no known index at either end is reported as missing.
fn daily_index<'a>(
    lines: impl Iterator<Item = (usize, &'a str)>,
    header: &[String],
    header_line: usize,
    delim: char,
    meta: Metadata,
) -> Result<Parsed, ImportError> {
    let total = column(header, &["eas t"]);
    let registers: Vec<usize> = (1..=10)
        .filter_map(|i| column(header, &[format!("eas f{i}").as_str()]))
        .collect();
    if total.is_none() && registers.is_empty() {
        return Err(ImportError::at(
            header_line,
            "expected the index columns EAS F1…EAS F10 or EAS T in the header",
        ));
    }
    let needed = total
        .into_iter()
        .chain(registers.iter().copied())
        .max()
        .unwrap_or(0)
        + 1;
    let mut b = Builder::new(Quantity::ElectricEnergy);
    let mut fields = Vec::with_capacity(24);
    let mut rows = 0;
    // The last known index: (time, mWh).
    let mut known: Option<(i64, i64)> = None;
    // The first time since which no index is known (a hole to report).
    let mut hole_from: Option<i64> = None;
    let mut last_line = header_line;
    let mut last_time: Option<i64> = None;
    for (n, line) in lines {
        split_into(line, delim, &mut fields);
        let stamp = fields.first().copied().unwrap_or("");
        // A tariff calendar or another block follows the index rows: stop.
        if !stamp.starts_with(|c: char| c.is_ascii_digit()) {
            break;
        }
        let t = parse_instant(stamp).ok_or_else(|| ImportError::at(n, bad_horodate(stamp)))?;
        if fields.len() < needed {
            return Err(ImportError::at(
                n,
                too_few(
                    needed,
                    "Horodate;Type de releve;EAS F1…;EAS T",
                    fields.len(),
                ),
            ));
        }
        rows += 1;
        let read = |i: usize, name: &str| -> Result<Option<i64>, ImportError> {
            let found = fields.get(i).copied().unwrap_or("");
            let v =
                text::parse_dec(found).map_err(|e| ImportError::at(n, e.describe(found, name)))?;
            match v {
                None => Ok(None),
                Some(v) => v.scaled(1000, 1).map(Some).ok_or_else(|| {
                    ImportError::at(n, format!("the index {} is too large", shown(found)))
                }),
            }
        };
        let mut index = match total {
            Some(i) => read(i, "EAS T")?,
            None => None,
        };
        if index.is_none() {
            let mut sum: Option<i64> = None;
            for (k, &i) in registers.iter().enumerate() {
                if let Some(v) = read(i, &format!("EAS F{}", k + 1))? {
                    sum = Some(sum.unwrap_or(0).checked_add(v).ok_or_else(|| {
                        ImportError::at(n, "the sum of the indexes is too large")
                    })?);
                }
            }
            index = sum;
        }
        match (index, known) {
            (Some(now), Some((since, before))) => {
                let diff = now.checked_sub(before).unwrap_or(-1);
                if diff < 0 {
                    return Err(ImportError::at(
                        n,
                        format!(
                            "the index goes down from {} Wh to {} Wh: expected a cumulative index that never decreases",
                            before / 1000,
                            now / 1000
                        ),
                    ));
                }
                b.push(since, t, Some(diff), false, n, &by_line)?;
                known = Some((t, now));
                hole_from = None;
            }
            (Some(now), None) => {
                if let Some(from) = hole_from.take() {
                    b.push(from, t, None, false, n, &by_line)?;
                }
                known = Some((t, now));
            }
            (None, _) => {
                if known.is_none() && hole_from.is_none() {
                    hole_from = Some(t);
                }
            }
        }
        last_line = n;
        last_time = Some(t);
    }
    // Trailing rows without an index: the span since the last known one is missing.
    if let (Some(t), Some((since, _))) = (last_time, known)
        && t > since
    {
        b.push(since, t, None, false, last_line, &by_line)?;
    }
    if rows == 0 {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout: Layout::EnedisDailyIndexCsv,
        declared: super::declared_period(meta.period.0.as_deref(), meta.period.1.as_deref()),
        meter: meta.prm,
        series: vec![b.finish(&by_line)?],
        rows,
    })
}

// ---------------------------------------------------------------- flat

/// The flat 13-column layout: one self-describing row per reading, with the
/// interval end as a Paris local time and the step as an ISO duration.
pub(crate) fn parse_flat(text: &str) -> Result<Parsed, ImportError> {
    let mut lines = text::lines(text);
    let Some((_, header, delim)) = text::find_header(&mut lines, |fields| {
        ["horodate", "valeur", "nature", "pas"]
            .iter()
            .all(|name| fields.iter().any(|f| f == name))
    }) else {
        return Err(ImportError::Empty);
    };
    let col = |name: &str| column(&header, &[name]);
    let (Some(c_time), Some(c_value), Some(c_nature), Some(c_step)) =
        (col("horodate"), col("valeur"), col("nature"), col("pas"))
    else {
        return Err(ImportError::Empty);
    };
    let c_prm = col("identifiant prm");
    let c_unit = col("unite");
    let c_kind = col("grandeur metier");
    let needed = [c_time, c_value, c_nature, c_step]
        .into_iter()
        .max()
        .unwrap_or(0)
        + 1;
    let names = "Horodate;Valeur;Nature;Pas";
    let mut paris = Paris::new()?;
    let mut energy_b = Builder::new(Quantity::ElectricEnergy);
    let mut power_b = Builder::new(Quantity::MaxPower);
    let mut meter: Option<String> = None;
    let mut fields = Vec::with_capacity(16);
    let mut rows = 0;
    let mut production = 0;
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        split_into(line, delim, &mut fields);
        if fields.len() < needed {
            return Err(ImportError::at(n, too_few(needed, names, fields.len())));
        }
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let get_opt = |i: Option<usize>| i.map(get).unwrap_or("");
        rows += 1;
        if norm(get_opt(c_kind)) == "prod" {
            production += 1;
            continue;
        }
        if meter.is_none() && !get_opt(c_prm).is_empty() {
            meter = Some(get_opt(c_prm).to_string());
        }
        let stamp = get(c_time);
        let when = parse_when(stamp).ok_or_else(|| {
            ImportError::at(
                n,
                format!(
                    "expected a date like 2023-03-13 00:30:00 in column Horodate, found {}",
                    shown(stamp)
                ),
            )
        })?;
        let unit_text = get_opt(c_unit);
        let unit = if unit_text.is_empty() {
            Unit::Power(1)
        } else {
            unit_of(unit_text).ok_or_else(|| {
                ImportError::at(
                    n,
                    format!(
                        "expected the unit W, Wh or VA in column Unite, found {}",
                        shown(unit_text)
                    ),
                )
            })?
        };
        let found = get(c_value);
        let value =
            text::parse_dec(found).map_err(|e| ImportError::at(n, e.describe(found, "Valeur")))?;
        let estimated = norm(get(c_nature)) == "e";
        let place_err = |e| ImportError::at(n, local_error(e, stamp));
        let date_only = match when {
            When::Local {
                day, time: false, ..
            } => Some(day),
            _ => None,
        };
        if let Unit::Apparent(_) = unit {
            let day = paris.day_of(when).map_err(place_err)?;
            let (start, end) = paris.day_bounds(day).map_err(place_err)?;
            let v = convert(unit, value, 0, n, found)?;
            power_b.push(start, end, v, estimated, n, &by_line)?;
            continue;
        }
        let step_text = get(c_step);
        let step = time::parse_step(step_text).ok_or_else(|| {
            ImportError::at(
                n,
                format!(
                    "expected a step like PT30M in column Pas, found {}",
                    shown(step_text)
                ),
            )
        })?;
        let end = paris.place(when).map_err(place_err)?;
        let (start, end) = interval(&mut paris, end, step, date_only).map_err(place_err)?;
        let v = convert(unit, value, end - start, n, found)?;
        energy_b.push(start, end, v, estimated, n, &by_line)?;
    }
    finish_electric(
        Layout::EnedisFlatCsv,
        meter,
        energy_b,
        power_b,
        rows,
        production,
        &by_line,
    )
}

/// Assembles the electricity series found; a file of production only is
/// refused. `locate` says where in the file a faulty reading is.
pub(crate) fn finish_electric(
    layout: Layout,
    meter: Option<String>,
    energy_b: Builder,
    power_b: Builder,
    rows: usize,
    production: usize,
    locate: Locate<'_>,
) -> Result<Parsed, ImportError> {
    if energy_b.is_empty() && power_b.is_empty() {
        if production > 0 {
            return Err(ImportError::Invalid(
                "this file holds only production (PROD) readings: selfdata imports consumption"
                    .into(),
            ));
        }
        return Err(ImportError::Empty);
    }
    let mut series = Vec::new();
    for b in [energy_b, power_b] {
        if !b.is_empty() {
            series.push(b.finish(locate)?);
        }
    }
    Ok(Parsed {
        layout,
        meter,
        series,
        rows,
        declared: None,
    })
}

// ---------------------------------------------------------------- older

/// The older layout: `Date de la mesure;Heure de la mesure;Valeur` with
/// `dd/mm/yyyy` and `HH:MM` Paris local time (interval end), W, step inferred.
pub(crate) fn parse_old(text: &str) -> Result<Parsed, ImportError> {
    let mut lines = text::lines(text);
    let Some((_, header, delim)) = text::find_header(&mut lines, |fields| {
        fields.first().map(String::as_str) == Some("date de la mesure")
    }) else {
        return Err(ImportError::Empty);
    };
    let c_date = 0;
    let c_time = column(&header, &["heure de la mesure"]).unwrap_or(1);
    let c_value = column(&header, &["valeur"]).unwrap_or(2);
    let needed = c_date.max(c_time).max(c_value) + 1;
    let mut paris = Paris::new()?;
    let mut fields = Vec::with_capacity(8);
    let mut raws: Vec<Raw<'_>> = Vec::new();
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        split_into(line, delim, &mut fields);
        if fields.len() < needed {
            return Err(ImportError::at(
                n,
                too_few(
                    needed,
                    "Date de la mesure;Heure de la mesure;Valeur",
                    fields.len(),
                ),
            ));
        }
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let date = get(c_date);
        let day = match parse_when(date) {
            Some(When::Local {
                day, time: false, ..
            }) => day,
            _ => {
                return Err(ImportError::at(
                    n,
                    format!(
                        "expected a date like 20/08/2020 in column Date de la mesure, found {}",
                        shown(date)
                    ),
                ));
            }
        };
        let clock = get(c_time);
        let sod = time::parse_time(clock.as_bytes()).ok_or_else(|| {
            ImportError::at(
                n,
                format!(
                    "expected a time like 23:30 in column Heure de la mesure, found {}",
                    shown(clock)
                ),
            )
        })?;
        let end = paris
            .place(When::Local {
                day,
                sod,
                time: true,
            })
            .map_err(|e| ImportError::at(n, local_error(e, &format!("{date} {clock}"))))?;
        raws.push(Raw::read(n, end, date, get(c_value))?);
    }
    let rows = raws.len();
    if rows == 0 {
        return Err(ImportError::Empty);
    }
    let step = infer_step(raws.iter().map(|r| r.end)).ok_or_else(|| {
        ImportError::Invalid(
            "the step could not be inferred: expected consecutive readings 10, 30 or 60 minutes apart".into(),
        )
    })?;
    let mut b = Builder::with_capacity(Quantity::ElectricEnergy, rows);
    for r in &raws {
        let (start, end) = interval(&mut paris, r.end, step, None)
            .map_err(|e| ImportError::at(r.line, local_error(e, r.stamp)))?;
        let v = convert(Unit::Power(1), r.value, end - start, r.line, r.found)?;
        b.push(start, end, v, false, r.line, &by_line)?;
    }
    Ok(Parsed {
        layout: Layout::EnedisOldCsv,
        meter: None,
        series: vec![b.finish(&by_line)?],
        rows,
        declared: None,
    })
}

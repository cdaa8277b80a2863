//! Enedis Data Connect JSON: the v5 API (`meter_reading.interval_reading[]`)
//! and its 2026 successor (`idPrm`, `grandeur[].points[]`).
//!
//! Both write the interval end as a Paris local time without offset
//! (`2020-09-14 03:00:00`), a bare date for daily values, and values as
//! strings (`"540"`, `"null"` when missing). JSON items have no useful line,
//! so errors name the item by its path (`meter_reading.interval_reading[12]`);
//! syntax errors keep serde_json's line.

use serde_json::Value;

use crate::model::{ImportError, Layout, Parsed, Quantity};

use super::enedis_csv::{Unit, convert, finish_electric, infer_step, interval, unit_of};
use super::series::{Builder, Locate};
use super::text::{self, Dec, norm, shown};
use super::time::{self, Paris, When, local_error, parse_when};

/// A JSON syntax error (or a file cut short) at serde_json's line.
pub(crate) fn json_error(e: serde_json::Error) -> ImportError {
    let what = if e.is_eof() {
        "the JSON ends too early (is the file cut short?)"
    } else {
        "expected valid JSON"
    };
    let full = e.to_string();
    let detail = full
        .rsplit_once(" at line ")
        .map(|(d, _)| d)
        .unwrap_or(&full);
    ImportError::at(
        e.line().max(1),
        format!("{what}: {detail} (column {})", e.column()),
    )
}

/// A JSON value as shown in a message: strings without their quotes.
pub(crate) fn json_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn str_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// One reading from an item, placed but not yet turned into an interval.
struct Point<'a> {
    when: When,
    end: i64,
    value: Option<Dec>,
    found: String,
    step: Option<i64>,
    estimated: bool,
    pos: usize,
    date: &'a str,
}

/// Reads one item's `date`/`value`-like keys into a [`Point`].
#[allow(clippy::too_many_arguments)]
fn point<'a>(
    item: &'a Value,
    pos: usize,
    keys: (&str, &str, &str, &str),
    paris: &mut Paris,
    locate: Locate<'_>,
) -> Result<Point<'a>, ImportError> {
    let (k_value, k_date, k_step, k_nature) = keys;
    let Some(obj) = item.as_object() else {
        return Err(locate(pos, "expected an object".into()));
    };
    let date = str_of(obj.get(k_date)).unwrap_or("");
    let when = parse_when(date).ok_or_else(|| {
        let found = obj.get(k_date).map_or_else(|| "nothing".into(), |v| shown(&json_text(v)));
        locate(
            pos,
            format!("expected a date like 2020-09-14 03:00:00 or 2019-05-06 in {k_date:?}, found {found}"),
        )
    })?;
    let end = paris
        .place(when)
        .map_err(|e| locate(pos, local_error(e, date)))?;
    let raw = obj.get(k_value).unwrap_or(&Value::Null);
    let found = json_text(raw);
    let value = text::json_dec(raw).map_err(|e| locate(pos, e.describe(&found, k_value)))?;
    let step = match str_of(obj.get(k_step)) {
        None => None,
        Some(s) => Some(time::parse_step(s).ok_or_else(|| {
            locate(
                pos,
                format!(
                    "expected a step like PT30M in {k_step:?}, found {}",
                    shown(s)
                ),
            )
        })?),
    };
    let estimated = str_of(obj.get(k_nature)).is_some_and(|n| norm(n) == "e");
    Ok(Point {
        when,
        end,
        value,
        found,
        step,
        estimated,
        pos,
        date,
    })
}

/// Turns points into readings of `unit`: power and energy over their step
/// (given per item, for the whole set, or inferred), maximum power per day.
fn build(
    points: &[Point<'_>],
    unit: Unit,
    default_step: Option<i64>,
    paris: &mut Paris,
    energy_b: &mut Builder,
    power_b: &mut Builder,
    locate: Locate<'_>,
) -> Result<(), ImportError> {
    let inferred = if default_step.is_none() && points.iter().any(|p| p.step.is_none()) {
        infer_step(points.iter().map(|p| p.end))
    } else {
        None
    };
    for p in points {
        let place_err = |e| locate(p.pos, local_error(e, p.date));
        let date_only = match p.when {
            When::Local {
                day, time: false, ..
            } => Some(day),
            _ => None,
        };
        let value_err =
            |_: ImportError| locate(p.pos, format!("the value {} is too large", shown(&p.found)));
        if let Unit::Apparent(_) = unit {
            let day = paris.day_of(p.when).map_err(place_err)?;
            let (start, end) = paris.day_bounds(day).map_err(place_err)?;
            let v = convert(unit, p.value, 0, 0, &p.found).map_err(value_err)?;
            power_b.push(start, end, v, p.estimated, p.pos, locate)?;
            continue;
        }
        // A bare date is a day even when no step is written.
        let step = match (p.step.or(default_step).or(inferred), date_only) {
            (Some(s), _) => s,
            (None, Some(_)) => time::DAY,
            (None, None) => {
                return Err(locate(
                    p.pos,
                    "expected a step (interval_length like PT30M): none is given and it cannot be inferred".into(),
                ));
            }
        };
        let (start, end) = interval(paris, p.end, step, date_only).map_err(place_err)?;
        let v = convert(unit, p.value, end - start, 0, &p.found).map_err(value_err)?;
        energy_b.push(start, end, v, p.estimated, p.pos, locate)?;
    }
    Ok(())
}

fn unit_or(s: Option<&str>, default: Unit, what: &str) -> Result<Unit, ImportError> {
    match s {
        None => Ok(default),
        Some(u) => unit_of(u).ok_or_else(|| {
            ImportError::Invalid(format!(
                "{what}: expected the unit W, Wh or VA, found {}",
                shown(u)
            ))
        }),
    }
}

/// Data Connect v5: daily consumption (Wh, P1D), load curve (W, average)
/// or daily maximum power (VA, maximum).
pub(crate) fn parse_v5(text: &str) -> Result<Parsed, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(json_error)?;
    let mr = root.get("meter_reading").unwrap_or(&root);
    let meter = str_of(mr.get("usage_point_id")).map(str::to_string);
    let rt = mr.get("reading_type");
    let rt_str = |k: &str| str_of(rt.and_then(|r| r.get(k)));
    let kind = rt_str("measurement_kind").map(norm).unwrap_or_default();
    let aggregate = rt_str("aggregate").map(norm).unwrap_or_default();
    let default = if kind == "power" || aggregate == "maximum" {
        Unit::Apparent(1)
    } else {
        Unit::Power(1)
    };
    let unit = unit_or(rt_str("unit"), default, "meter_reading.reading_type.unit")?;
    let default_step = match rt_str("measuring_period") {
        None => None,
        Some(s) => Some(time::parse_step(s).ok_or_else(|| {
            ImportError::Invalid(format!(
                "meter_reading.reading_type.measuring_period: expected a period like P1D or PT30M, found {}",
                shown(s)
            ))
        })?),
    };
    let items = match mr.get("interval_reading") {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => return Err(ImportError::Empty),
        Some(_) => {
            return Err(ImportError::Invalid(
                "meter_reading.interval_reading: expected an array of readings".into(),
            ));
        }
    };
    let locate = |pos: usize, msg: String| {
        ImportError::Invalid(format!("meter_reading.interval_reading[{pos}]: {msg}"))
    };
    let mut paris = Paris::new()?;
    let mut points = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        points.push(point(
            item,
            i,
            ("value", "date", "interval_length", "measure_type"),
            &mut paris,
            &locate,
        )?);
    }
    let mut energy_b = Builder::with_capacity(Quantity::ElectricEnergy, items.len());
    let mut power_b = Builder::new(Quantity::MaxPower);
    build(
        &points,
        unit,
        default_step,
        &mut paris,
        &mut energy_b,
        &mut power_b,
        &locate,
    )?;
    let mut parsed = finish_electric(
        Layout::EnedisDataConnectV5,
        meter,
        energy_b,
        power_b,
        items.len(),
        0,
        &locate,
    )?;
    // `end` is exclusive, as in the API's query.
    parsed.declared = super::declared_period(str_of(mr.get("start")), str_of(mr.get("end")));
    Ok(parsed)
}

/// Data Connect 2026: `grandeur[]` blocks of `points[]` (`v` value, `d` end
/// date, `p` step, `n` nature). Consumption blocks (`CONS`) are imported;
/// production (`PROD`) has no quantity in the model and is left out.
pub(crate) fn parse_2026(text: &str) -> Result<Parsed, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(json_error)?;
    let meter = str_of(root.get("idPrm")).map(str::to_string);
    let blocks = match root.get("grandeur") {
        Some(Value::Array(b)) => b.as_slice(),
        Some(Value::Null) | None => return Err(ImportError::Empty),
        Some(_) => {
            return Err(ImportError::Invalid(
                "grandeur: expected an array of measured quantities".into(),
            ));
        }
    };
    // Item positions are numbered across blocks; this maps them back.
    let mut offsets = Vec::with_capacity(blocks.len());
    let mut total = 0usize;
    for g in blocks {
        offsets.push(total);
        total = total.saturating_add(
            g.get("points")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
        );
    }
    let locate = |pos: usize, msg: String| {
        let g = offsets.partition_point(|&o| o <= pos).saturating_sub(1);
        let j = pos - offsets.get(g).copied().unwrap_or(0);
        ImportError::Invalid(format!("grandeur[{g}].points[{j}]: {msg}"))
    };
    let mut paris = Paris::new()?;
    let mut energy_b = Builder::new(Quantity::ElectricEnergy);
    let mut power_b = Builder::new(Quantity::MaxPower);
    let mut rows = 0;
    let mut production = 0;
    for (g, block) in blocks.iter().enumerate() {
        let Some(obj) = block.as_object() else {
            return Err(ImportError::Invalid(format!(
                "grandeur[{g}]: expected an object"
            )));
        };
        let points = match obj.get("points") {
            Some(Value::Array(p)) => p,
            Some(Value::Null) | None => continue,
            Some(_) => {
                return Err(ImportError::Invalid(format!(
                    "grandeur[{g}].points: expected an array"
                )));
            }
        };
        rows += points.len();
        if str_of(obj.get("grandeurMetier")).is_some_and(|k| norm(k) == "prod") {
            production += points.len();
            continue;
        }
        let unit = unit_or(
            str_of(obj.get("unite")),
            Unit::Power(1),
            &format!("grandeur[{g}].unite"),
        )?;
        paris.restart();
        let base = offsets.get(g).copied().unwrap_or(0);
        let mut read = Vec::with_capacity(points.len());
        for (j, item) in points.iter().enumerate() {
            read.push(point(
                item,
                base + j,
                ("v", "d", "p", "n"),
                &mut paris,
                &locate,
            )?);
        }
        build(
            &read,
            unit,
            None,
            &mut paris,
            &mut energy_b,
            &mut power_b,
            &locate,
        )?;
    }
    finish_electric(
        Layout::EnedisDataConnect2026,
        meter,
        energy_b,
        power_b,
        rows,
        production,
        &locate,
    )
}

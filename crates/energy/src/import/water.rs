//! Water utilities' exports: the portal's daily CSV in litres
//! (`Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé`)
//! and the telemetry JSON in m³ (entries `{date, index, volume}`).
//!
//! Each reading is a Paris calendar day. The daily consumption column is
//! trusted rather than index differences: estimated indexes can go
//! backwards and are corrected later by the utility.

use serde_json::Value;

use crate::model::{ImportError, Layout, Parsed, Quantity};

use super::enedis_json::{json_error, json_text};
use super::series::{Builder, by_line};
use super::text::{self, Dec, norm, shown, split_into};
use super::time::{Paris, When, local_error, parse_when};

/// Litres → mL, m³ → mL.
const PER_LITRE: i128 = 1000;
const PER_M3: i128 = 1_000_000;

fn volume_ml(v: Option<Dec>, per_unit: i128) -> Result<Option<i64>, String> {
    match v {
        None => Ok(None),
        Some(d) if d.is_negative() => {
            Err("expected a consumption of zero or more, found a negative one".into())
        }
        Some(d) => d
            .scaled(per_unit, 1)
            .map(Some)
            .ok_or_else(|| "the value is too large".into()),
    }
}

/// The portal CSV (one row per day, litres).
pub(crate) fn parse_csv(text: &str) -> Result<Parsed, ImportError> {
    let mut lines = text::lines(text);
    let Some((header_line, header, delim)) = text::find_header(&mut lines, |fields| {
        fields.first().map(String::as_str) == Some("date de releve")
    }) else {
        return Err(ImportError::Empty);
    };
    let Some(c_daily) = header.iter().position(|h| h.starts_with("consommation")) else {
        return Err(ImportError::at(
            header_line,
            "expected a column Consommation du jour (litres)",
        ));
    };
    let c_quality = header
        .iter()
        .position(|h| h.starts_with("index mesure") || h.contains("estime"));
    let c_index = header.iter().position(|h| h.starts_with("index releve"));
    let needed = c_daily.max(c_index.unwrap_or(0)) + 1;
    let mut paris = Paris::new()?;
    let mut b = Builder::new(Quantity::WaterVolume);
    let mut fields = Vec::with_capacity(8);
    let mut rows = 0;
    for (n, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        split_into(line, delim, &mut fields);
        let date = fields.first().copied().unwrap_or("");
        let when = parse_when(date).ok_or_else(|| {
            ImportError::at(
                n,
                format!(
                    "expected a date like 13/05/2026 12:00 or 2026-05-13 in column Date de relevé, found {}",
                    shown(date)
                ),
            )
        })?;
        if fields.len() < needed {
            return Err(ImportError::at(
                n,
                format!(
                    "expected {needed} columns (Date de relevé;Index relevé (litres);Consommation du jour (litres)), found {}: the line is incomplete",
                    fields.len()
                ),
            ));
        }
        rows += 1;
        // The index is not used (estimated ones can go backwards), but a
        // damaged one says the file is damaged.
        if let Some(index) = c_index.and_then(|c| fields.get(c).copied())
            && !text::is_missing(index)
        {
            text::parse_dec(index)
                .map_err(|e| ImportError::at(n, e.describe(index, "Index relevé (litres)")))?;
        }
        let found = fields.get(c_daily).copied().unwrap_or("");
        let what = "Consommation du jour (litres)";
        let dec =
            text::parse_dec(found).map_err(|e| ImportError::at(n, e.describe(found, what)))?;
        let value = volume_ml(dec, PER_LITRE)
            .map_err(|m| ImportError::at(n, format!("{what}: {m} ({})", shown(found))))?;
        let estimated = c_quality
            .and_then(|c| fields.get(c))
            .is_some_and(|q| norm(q).starts_with("estim"));
        let day = paris
            .day_of(when)
            .map_err(|e| ImportError::at(n, local_error(e, date)))?;
        let (start, end) = paris
            .day_bounds(day)
            .map_err(|e| ImportError::at(n, local_error(e, date)))?;
        b.push(start, end, value, estimated, n, &by_line)?;
    }
    if b.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout: Layout::WaterPortalCsv,
        meter: None,
        series: vec![b.finish(&by_line)?],
        rows,
        declared: None,
    })
}

/// Keys a telemetry file may name its meter under.
const METER_KEYS: [&str; 6] = [
    "meter",
    "meterId",
    "meter_id",
    "numeroCompteur",
    "compteur",
    "id_PDS",
];

fn is_entry(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key("date") && o.contains_key("volume"))
}

/// The first array (depth-first) holding `{date, volume}` entries, and its path.
fn find_entries<'a>(v: &'a Value, path: &str) -> Option<(&'a [Value], String)> {
    match v {
        Value::Array(items) => {
            if items.iter().any(is_entry) {
                return Some((items, path.to_string()));
            }
            items
                .iter()
                .enumerate()
                .find_map(|(i, x)| find_entries(x, &format!("{path}[{i}]")))
        }
        Value::Object(map) => map.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            find_entries(x, &p)
        }),
        _ => None,
    }
}

/// The telemetry JSON: a root array of entries or an object holding one.
pub(crate) fn parse_json(text: &str) -> Result<Parsed, ImportError> {
    let root: Value = serde_json::from_str(text).map_err(json_error)?;
    let meter = root.as_object().and_then(|o| {
        METER_KEYS.iter().find_map(|k| match o.get(*k) {
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
    });
    let Some((entries, path)) = find_entries(&root, "") else {
        return Err(ImportError::Invalid(
            "expected an array of entries like {\"date\": \"2026-05-13 00:00:00\", \"index\": 2043.6, \"volume\": 0.071}".into(),
        ));
    };
    let locate = |pos: usize, msg: String| ImportError::Invalid(format!("{path}[{pos}]: {msg}"));
    let mut paris = Paris::new()?;
    let mut b = Builder::with_capacity(Quantity::WaterVolume, entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let Some(obj) = entry.as_object() else {
            return Err(locate(
                i,
                "expected an object with date, index and volume".into(),
            ));
        };
        let date = obj.get("date").and_then(Value::as_str).unwrap_or("");
        let when = parse_when(date).ok_or_else(|| {
            let found = obj
                .get("date")
                .map_or_else(|| "nothing".into(), |v| shown(&json_text(v)));
            locate(
                i,
                format!("expected a date like 2026-05-13 00:00:00 in \"date\", found {found}"),
            )
        })?;
        // The day written, whatever the time: no need to place the time itself.
        let day = match when {
            When::Local { day, .. } => day,
            When::Instant(t) => paris
                .day_containing(t)
                .map_err(|e| locate(i, local_error(e, date)))?,
        };
        let (start, end) = paris
            .day_bounds(day)
            .map_err(|e| locate(i, local_error(e, date)))?;
        let raw = obj.get("volume").unwrap_or(&Value::Null);
        let found = json_text(raw);
        let dec = text::json_dec(raw).map_err(|e| locate(i, e.describe(&found, "volume")))?;
        let value = volume_ml(dec, PER_M3)
            .map_err(|m| locate(i, format!("volume: {m} ({})", shown(&found))))?;
        let estimated = obj
            .get("type")
            .or_else(|| obj.get("qualification"))
            .and_then(Value::as_str)
            .is_some_and(|q| norm(q).starts_with("estim"));
        b.push(start, end, value, estimated, i, &locate)?;
    }
    if b.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout: Layout::WaterTelemetryJson,
        meter,
        series: vec![b.finish(&locate)?],
        rows: entries.len(),
        declared: None,
    })
}

//! GeoJSON (RFC 7946) location traces: a `FeatureCollection` or a single
//! `Feature`. Positions are `[longitude, latitude]` (in that order, an
//! optional elevation after), read to E7 degrees and refused out of range.
//! A `Point` with a time in its `properties` (`time`, `timestamp` or
//! `datetime`: RFC 3339 with `Z` or an offset, or epoch seconds or
//! milliseconds) is a timed point; without one it is a named place (a
//! [`Waypoint`]). A `LineString`, `MultiPoint` or `MultiLineString` takes its
//! times from `properties.coordTimes` (what GPX-to-GeoJSON converters write,
//! nested per line for a `MultiLineString`) or from a fourth number in each
//! position (epoch seconds or milliseconds); positions with no time are
//! counted, never given one. Other geometries (polygons) are not traces and
//! are skipped. Damaged JSON is refused at serde_json's line; anything else
//! names the feature ("line 40: feature 12, which ends on this line: …").
//! The features are read one at a time (a log of one `Point` per fix is
//! never held whole as JSON values), within serde_json's nesting limit.

use jiff::Timestamp;
use jiff::civil::DateTime;
use selfdata_sources::ImportError;
use selfdata_sources::text::shown;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::error::Category;
use serde_json::{Map, Value};

use super::gpx::{GpxData, MAX_POINTS, Waypoint, e7_in_range, out_of_range, utc_seconds};
use crate::model::Point;

const HEAD: usize = 4096;
/// The `properties` a point's time may be under, in order of preference.
const TIME_KEYS: [&str; 3] = ["time", "timestamp", "datetime"];
/// Epoch numbers from this one up are milliseconds (1e11 s is the year 5138;
/// 1e11 ms is March 1973).
const MS_FROM: f64 = 1e11;

/// A JSON object whose own `type` (not a nested one) is `FeatureCollection`
/// or `Feature`, within the first 4 KiB.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let h = &bytes[..bytes.len().min(HEAD)];
    let h = h
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(h)
        .trim_ascii_start();
    if !h.starts_with(b"{") {
        return false;
    }
    let mut depth = 0usize;
    let mut key_is_type = false;
    let mut i = 0;
    while let Some(&b) = h.get(i) {
        match b {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                loop {
                    match h.get(j) {
                        None => return false,
                        Some(b'\\') => j += 2,
                        Some(b'"') => break,
                        Some(_) => j += 1,
                    }
                }
                let s = &h[start..j];
                i = j + 1;
                if depth != 1 {
                    continue;
                }
                let is_key = h[i.min(h.len())..].trim_ascii_start().starts_with(b":");
                if is_key {
                    key_is_type = s == b"type";
                } else if key_is_type {
                    return s == b"FeatureCollection" || s == b"Feature";
                }
                continue;
            }
            b'{' | b'[' => {
                depth += 1;
                key_is_type = false;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// What the root object held, besides the features already read.
#[derive(Default)]
struct Root {
    kind: Option<String>,
    /// Whether a `features` list was read.
    features: bool,
    /// A `Feature` root's own geometry and properties.
    own: Map<String, Value>,
}

/// Reads the root object, the features one at a time into `out`.
struct RootSeed<'a> {
    out: &'a mut GpxData,
    first_untimed: &'a mut Option<usize>,
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_> {
    type Value = Root;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Root, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_> {
    type Value = Root;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON object ({\"type\": \"FeatureCollection\", …})")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Root, A::Error> {
        let mut root = Root::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => root.kind = map.next_value::<Value>()?.as_str().map(str::to_owned),
                // A `features` list after a type that says otherwise is not read.
                "features" if matches!(root.kind.as_deref(), None | Some("FeatureCollection")) => {
                    map.next_value_seed(FeaturesSeed {
                        out: &mut *self.out,
                        first_untimed: &mut *self.first_untimed,
                    })?;
                    root.features = true;
                }
                "geometry" | "properties" => {
                    root.own.insert(key, map.next_value::<Value>()?);
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(root)
    }
}

/// Reads the `features` list one feature at a time: only one is ever held whole.
struct FeaturesSeed<'a> {
    out: &'a mut GpxData,
    first_untimed: &'a mut Option<usize>,
}

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        while let Some(f) = seq.next_element::<Value>()? {
            let untimed = self.out.untimed;
            // serde_json gives the error the line where the feature ends.
            feature(&f, self.out).map_err(|m| {
                de::Error::custom(format!("{FEATURE}{i}, which ends on this line: {m}"))
            })?;
            if self.out.untimed > untimed {
                self.first_untimed.get_or_insert(i);
            }
            i += 1;
        }
        Ok(())
    }
}

/// How this module's own refusals inside the JSON start.
const FEATURE: &str = "feature ";

/// Reads a whole GeoJSON document, one feature at a time, or refuses it with
/// a line (serde_json's; a feature's is where it ends) or the feature's index.
pub(crate) fn parse(bytes: &[u8]) -> Result<GpxData, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.trim_ascii().is_empty() {
        return Err(ImportError::EmptyFile);
    }
    let mut out = GpxData::default();
    let mut first_untimed = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let root = RootSeed {
        out: &mut out,
        first_untimed: &mut first_untimed,
    }
    .deserialize(&mut de)
    .and_then(|root| de.end().map(|()| root))
    .map_err(|e| json_error(&e, bytes))?;
    match root.kind.as_deref() {
        Some("FeatureCollection") if root.features => {}
        Some("FeatureCollection") => {
            return Err(ImportError::Invalid(
                "this FeatureCollection has no \"features\" list: it is not GeoJSON".into(),
            ));
        }
        Some("Feature") => {
            let own = Value::Object(root.own);
            feature(&own, &mut out)
                .map_err(|m| ImportError::Invalid(format!("{FEATURE}0: {m}")))?;
            if out.untimed > 0 {
                first_untimed = Some(0);
            }
        }
        kind => {
            return Err(ImportError::Invalid(format!(
                "expected a GeoJSON FeatureCollection or Feature, found the type {}",
                shown(kind.unwrap_or(""))
            )));
        }
    }
    if out.points.is_empty() && out.waypoints.is_empty() {
        if let Some(i) = first_untimed {
            return Err(ImportError::Invalid(format!(
                "{FEATURE}{i}: its positions have no time (no properties.coordTimes, no time in the positions): \
                 this is a drawn route, not a recorded trace"
            )));
        }
        return Err(ImportError::Empty);
    }
    Ok(out)
}

/// serde_json's refusal, or a feature's, with its line.
fn json_error(e: &serde_json::Error, bytes: &[u8]) -> ImportError {
    let line = e.line().max(1);
    let full = e.to_string();
    // serde writes names between backticks; a resident reads quotes.
    let detail = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(d, _)| d)
        .replace('`', "\"");
    let detail = detail.as_str();
    if e.classify() == Category::Data && detail.starts_with(FEATURE) {
        return ImportError::at(last_token_line(bytes, line, e.column()), detail);
    }
    let what = match e.classify() {
        Category::Eof => "the file ends here in the middle of the JSON: it was cut short",
        Category::Data => "this is not GeoJSON here",
        Category::Syntax | Category::Io => "the JSON is damaged here",
    };
    ImportError::at(line, format!("{what} (column {}: {detail})", e.column()))
}

/// The line of the feature's closing `}`: the last one before serde_json's
/// position, which is a little past it (on the next line when a line end
/// follows; only spaces, a `,` or the list's `]` lie between).
fn last_token_line(bytes: &[u8], line: usize, column: usize) -> usize {
    let start = if line <= 1 {
        Some(0)
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map(|(i, _)| i + 1)
    };
    let Some(start) = start else {
        return line;
    };
    let mut at = start.saturating_add(column).min(bytes.len());
    while at > 0 && bytes[at - 1] != b'}' {
        at -= 1;
    }
    1 + bytes[..at].iter().filter(|&&b| b == b'\n').count()
}

/// One feature's positions into `out`; the error is the feature's, without its index.
fn feature(f: &Value, out: &mut GpxData) -> Result<(), String> {
    let f = f
        .as_object()
        .ok_or("expected a Feature object ({\"type\": \"Feature\", …})")?;
    let empty = Map::new();
    let props = f
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let Some(geom) = f.get("geometry").filter(|g| !g.is_null()) else {
        // A feature without a place is allowed, and holds nothing here.
        return Ok(());
    };
    let kind = geom
        .get("type")
        .and_then(Value::as_str)
        .ok_or("its geometry has no type")?;
    let coords = geom.get("coordinates").unwrap_or(&Value::Null);
    let times = props.get("coordTimes").filter(|t| !t.is_null());
    match kind {
        "Point" => {
            let (lat_e7, lon_e7, t4) = position(coords)?;
            let t = match TIME_KEYS
                .iter()
                .find_map(|k| props.get(*k).filter(|v| !v.is_null()))
            {
                Some(v) => Some(time_of(v)?),
                None => t4,
            };
            room(out)?;
            match t {
                Some(t) => out.points.push(Point::new(t, lat_e7, lon_e7)),
                None => out.waypoints.push(Waypoint {
                    t: None,
                    lat_e7,
                    lon_e7,
                    name: props
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::trim)
                        .filter(|n| !n.is_empty())
                        .map(str::to_owned),
                }),
            }
        }
        "LineString" | "MultiPoint" => {
            if kind == "LineString" {
                out.tracks += 1;
            }
            line(list(coords, "coordinates")?, times, out)?;
        }
        "MultiLineString" => {
            out.tracks += 1;
            let lines = list(coords, "coordinates")?;
            let total: usize = lines.iter().map(|l| l.as_array().map_or(0, Vec::len)).sum();
            // coordTimes nested per line, or (some converters) one flat list.
            let flat = times
                .and_then(Value::as_array)
                .filter(|t| t.len() == total && t.iter().all(|x| !x.is_array()));
            let mut from = 0;
            for (j, l) in lines.iter().enumerate() {
                let l = list(l, "line")?;
                let t = match (flat, times) {
                    (Some(flat), _) => Some(Times::Slice(&flat[from..from + l.len()])),
                    (None, Some(times)) => Some(Times::Value(
                        times
                            .get(j)
                            .ok_or(format!("coordTimes has no list for line {j}"))?,
                    )),
                    (None, None) => None,
                };
                from += l.len();
                line_times(l, t, out).map_err(|m| format!("line {j}: {m}"))?;
            }
        }
        _ => {}
    }
    Ok(())
}

enum Times<'a> {
    Value(&'a Value),
    Slice(&'a [Value]),
}

fn line(coords: &[Value], times: Option<&Value>, out: &mut GpxData) -> Result<(), String> {
    line_times(coords, times.map(Times::Value), out)
}

fn line_times(coords: &[Value], times: Option<Times<'_>>, out: &mut GpxData) -> Result<(), String> {
    let times = match times {
        None => None,
        Some(Times::Slice(s)) => Some(s),
        Some(Times::Value(v)) => Some(list(v, "coordTimes")?),
    };
    if let Some(t) = times
        && t.len() != coords.len()
    {
        return Err(format!(
            "{} positions but {} coordTimes: the times do not match the positions",
            coords.len(),
            t.len()
        ));
    }
    for (k, c) in coords.iter().enumerate() {
        let (lat_e7, lon_e7, t4) = position(c).map_err(|m| format!("position {k}: {m}"))?;
        let t = match times.and_then(|t| t.get(k)) {
            Some(v) => Some(time_of(v).map_err(|m| format!("position {k}: {m}"))?),
            None => t4,
        };
        match t {
            Some(t) => {
                room(out)?;
                out.points.push(Point::new(t, lat_e7, lon_e7));
            }
            None => out.untimed += 1,
        }
    }
    Ok(())
}

fn room(out: &GpxData) -> Result<(), String> {
    if out.points.len() + out.waypoints.len() >= MAX_POINTS {
        return Err(format!(
            "more than {MAX_POINTS} points in one file: export a shorter period"
        ));
    }
    Ok(())
}

fn list<'a>(v: &'a Value, what: &str) -> Result<&'a [Value], String> {
    v.as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| format!("expected a list for {what}, found {}", kind_of(v)))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "a text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// `[longitude, latitude, elevation?, time?]` → `(lat_e7, lon_e7, time)`.
fn position(v: &Value) -> Result<(i32, i32, Option<i64>), String> {
    let p = v.as_array().ok_or_else(|| {
        format!(
            "expected a position [longitude, latitude], found {}",
            kind_of(v)
        )
    })?;
    let deg = |i: usize, lat: bool| -> Result<i32, String> {
        let x = p
            .get(i)
            .and_then(Value::as_f64)
            .ok_or_else(|| "expected a position of two numbers [longitude, latitude]".to_owned())?;
        // `as` saturates; anything that large is out of range anyway.
        e7_in_range((x * 1e7).round() as i64, lat).ok_or_else(|| {
            format!(
                "{} (GeoJSON writes [longitude, latitude], in that order)",
                out_of_range(&x.to_string(), lat)
            )
        })
    };
    let lon = deg(0, false)?;
    let lat = deg(1, true)?;
    let t = match p.get(3) {
        Some(v @ Value::Number(_)) => Some(time_of(v)?),
        _ => None,
    };
    Ok((lat, lon, t))
}

/// UTC seconds of an RFC 3339 text (with `Z` or an offset) or of epoch
/// seconds or milliseconds (a number or a text of digits).
fn time_of(v: &Value) -> Result<i64, String> {
    let bad = |found: &str| {
        format!(
            "expected a time such as 2024-05-01T08:30:00Z or epoch seconds, found {}",
            shown(found)
        )
    };
    let epoch = |x: f64| {
        let s = if x.abs() >= MS_FROM { x / 1000.0 } else { x };
        let s = s.floor() as i64;
        Timestamp::from_second(s).ok().map(|_| s)
    };
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(epoch)
            .ok_or_else(|| bad(&n.to_string())),
        Value::String(s) => {
            let s = s.trim();
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                return s.parse::<f64>().ok().and_then(epoch).ok_or_else(|| bad(s));
            }
            if let Some(t) = utc_seconds(s, false) {
                return Ok(t);
            }
            if s.parse::<DateTime>().is_ok() {
                return Err(format!(
                    "the time {} has no UTC offset (Z or +02:00): it could be any time zone",
                    shown(s)
                ));
            }
            Err(bad(s))
        }
        other => Err(format!(
            "expected a time such as 2024-05-01T08:30:00Z, found {}",
            kind_of(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    /// The refusal's message, checked to name a feature.
    fn invalid(doc: &str) -> String {
        match parse(doc.as_bytes()) {
            Err(ImportError::Invalid(m) | ImportError::AtLine { message: m, .. })
                if m.starts_with(FEATURE) || m.starts_with("expected") =>
            {
                m
            }
            other => panic!("expected a refusal naming a feature, got {other:?}"),
        }
    }

    fn collection(features: &str) -> String {
        format!(r#"{{"type": "FeatureCollection", "features": [{features}]}}"#)
    }

    #[test]
    fn points_take_their_time_from_properties_and_untimed_points_are_places() {
        let doc = collection(
            r#"
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.1520434, 46.1591126, 12.0]},
             "properties": {"time": "2024-05-01T10:30:00.900+02:00"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.15, 46.16]},
             "properties": {"timestamp": 1714552260}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.15, 46.17]},
             "properties": {"datetime": "1714552320000"}},
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-1.14, 46.18]},
             "properties": {"name": "Work"}},
            {"type": "Feature", "geometry": null, "properties": {"note": "no place"}},
            {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]}}"#,
        );
        assert!(detect(doc.as_bytes()));
        let d = parse(doc.as_bytes()).unwrap();
        assert_eq!(
            d.points,
            vec![
                Point::new(utc("2024-05-01T08:30:00Z"), 461_591_126, -11_520_434),
                Point::new(utc("2024-05-01T08:31:00Z"), 461_600_000, -11_500_000),
                Point::new(utc("2024-05-01T08:32:00Z"), 461_700_000, -11_500_000),
            ]
        );
        assert_eq!(
            d.waypoints,
            vec![Waypoint {
                t: None,
                lat_e7: 461_800_000,
                lon_e7: -11_400_000,
                name: Some("Work".into())
            }]
        );
        assert_eq!(d.tracks, 0);
    }

    #[test]
    fn positions_are_longitude_then_latitude_and_a_swapped_pair_out_of_range_is_refused() {
        // Sydney, written as RFC 7946 says: [longitude, latitude].
        let point = |coords: &str| {
            format!(
                r#"{{"type": "Feature", "geometry": {{"type": "Point", "coordinates": {coords}}}, "properties": {{"time": 0}}}}"#
            )
        };
        let d = parse(point("[151.2093, -33.8688]").as_bytes()).unwrap();
        assert_eq!(d.points[0].pos(), (-338_688_000, 1_512_093_000));
        // The same place written [latitude, longitude]: 151° is no latitude.
        let doc = collection(&format!(
            "\n{},\n{}\n",
            point("[2.35, 48.85]"),
            point("[-33.8688, 151.2093]")
        ));
        assert_eq!(parse(doc.as_bytes()).unwrap_err().line(), Some(3));
        let m = invalid(&doc);
        assert!(m.starts_with("feature 1, which ends on this line: "), "{m}");
        assert!(m.contains("latitude between -90 and 90"), "{m}");
        assert!(m.contains("151.2093"), "{m}");
        assert!(m.contains("[longitude, latitude]"), "{m}");
    }

    #[test]
    fn a_feature_refused_names_the_line_it_ends_on() {
        let feature = |lat: &str| {
            format!(
                "  {{\n    \"type\": \"Feature\",\n    \"properties\": {{\"time\": 0}},\n    \"geometry\": {{\"type\": \"Point\", \"coordinates\": [2, {lat}]}}\n  }}"
            )
        };
        // Features of 5 lines each after 2 lines of header: the second ends on line 12.
        for last in ["48", "-95"] {
            let doc = format!(
                "{{\"type\": \"FeatureCollection\",\n \"features\": [\n{},\n{},\n{}\n]}}\n",
                feature("48"),
                feature("95"),
                feature(last)
            );
            let e = parse(doc.as_bytes()).unwrap_err();
            assert_eq!(e.line(), Some(12), "{e}");
            assert!(
                e.to_string().contains("feature 1, which ends on this line"),
                "{e}"
            );
        }
        let doc = format!(
            "{{\"type\": \"FeatureCollection\",\n \"features\": [\n{}\n  ]\n}}\n",
            feature("-95")
        );
        assert_eq!(parse(doc.as_bytes()).unwrap_err().line(), Some(7));
    }

    #[test]
    fn a_line_takes_its_times_from_coord_times() {
        let doc = r#"{"type": "Feature",
          "properties": {"name": "Ride", "coordTimes": ["2024-05-01T08:00:00Z", "2024-05-01T08:00:05Z", "2024-05-01T08:00:10Z"]},
          "geometry": {"type": "LineString", "coordinates": [[2.0, 48.0], [2.001, 48.0], [2.002, 48.0, 35.5]]}}"#;
        assert!(detect(doc.as_bytes()));
        let d = parse(doc.as_bytes()).unwrap();
        let t0 = utc("2024-05-01T08:00:00Z");
        assert_eq!(
            d.points,
            vec![
                Point::new(t0, 480_000_000, 20_000_000),
                Point::new(t0 + 5, 480_000_000, 20_010_000),
                Point::new(t0 + 10, 480_000_000, 20_020_000),
            ]
        );
        assert_eq!(d.tracks, 1);
    }

    #[test]
    fn a_multi_line_takes_nested_or_flat_coord_times_and_a_mismatch_is_refused() {
        let doc = |times: &str| {
            collection(&format!(
                r#"{{"type": "Feature", "properties": {{"coordTimes": {times}}},
                  "geometry": {{"type": "MultiLineString", "coordinates": [[[1, 1], [1, 2]], [[2, 1]]]}}}}"#
            ))
        };
        let nested = parse(doc("[[100, 110], [200]]").as_bytes()).unwrap();
        let flat = parse(doc("[100, 110, 200]").as_bytes()).unwrap();
        assert_eq!(nested, flat);
        assert_eq!(
            nested.points.iter().map(|p| p.t).collect::<Vec<_>>(),
            [100, 110, 200]
        );
        let m = invalid(&doc("[[100], [200]]"));
        assert_eq!(
            m,
            "feature 0, which ends on this line: line 0: 2 positions but 1 coordTimes: \
             the times do not match the positions"
        );
    }

    #[test]
    fn a_time_in_each_position_is_read_in_seconds_or_milliseconds() {
        let doc = r#"{"type": "Feature", "properties": {},
          "geometry": {"type": "LineString", "coordinates": [[2, 48, 30, 1714550400], [2, 48.1, 31, 1714550410000]]}}"#;
        let d = parse(doc.as_bytes()).unwrap();
        assert_eq!(
            d.points.iter().map(|p| p.t).collect::<Vec<_>>(),
            [1_714_550_400, 1_714_550_410]
        );
    }

    #[test]
    fn a_line_without_times_is_counted_and_alone_refused() {
        let line = r#"{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[2, 48], [2, 48.1]]}}"#;
        let timed = r#"{"type": "Feature", "properties": {"time": "2024-05-01T08:00:00Z"}, "geometry": {"type": "Point", "coordinates": [2, 48]}}"#;
        let d = parse(collection(&format!("{timed}, {line}")).as_bytes()).unwrap();
        assert_eq!((d.points.len(), d.untimed), (1, 2));
        let m = invalid(&collection(&format!("{line}, {line}")));
        assert!(
            m.starts_with("feature 0: its positions have no time"),
            "{m}"
        );
        assert_eq!(parse(collection("").as_bytes()), Err(ImportError::Empty));
    }

    #[test]
    fn a_time_without_offset_or_not_a_time_is_refused_with_its_feature() {
        let doc = |time: &str| {
            collection(&format!(
                r#"{{"type": "Feature", "properties": {{"time": {time}}}, "geometry": {{"type": "Point", "coordinates": [2, 48]}}}}"#
            ))
        };
        let m = invalid(&doc(r#""2024-05-01T08:00:00""#));
        assert!(m.starts_with("feature 0, "), "{m}");
        assert!(m.contains("no UTC offset"), "{m}");
        let m = invalid(&doc(r#""yesterday""#));
        assert!(m.contains("yesterday"), "{m}");
        let m = invalid(&doc("1e300"));
        assert!(m.contains("found \"1e+300\""), "{m}");
        assert!(invalid(&doc("true")).contains("true or false"));
    }

    #[test]
    fn damaged_or_cut_json_is_refused_at_its_line() {
        let doc = "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\" \"geometry\": null}\n]}";
        match parse(doc.as_bytes()) {
            Err(ImportError::AtLine { line, message }) => {
                assert_eq!(line, 3);
                assert!(message.starts_with("the JSON is damaged here"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let doc =
            "{\"type\": \"FeatureCollection\",\n \"features\": [\n  {\"type\": \"Feature\",\n";
        match parse(doc.as_bytes()) {
            Err(ImportError::AtLine { line, message }) => {
                assert_eq!(line, 4);
                assert!(message.contains("cut short"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse(b" \n"), Err(ImportError::EmptyFile));
    }

    #[test]
    fn only_a_top_level_feature_collection_or_feature_is_detected() {
        assert!(detect(
            b"\xEF\xBB\xBF {\"name\": \"x\", \"crs\": {\"type\": \"name\"}, \"type\" : \"FeatureCollection\"}"
        ));
        // A nested GeoJSON (an e-mission trip's point) is not a GeoJSON file.
        assert!(!detect(
            b"{\"trips\": [{\"type\": \"Feature\", \"geometry\": null}]}"
        ));
        assert!(!detect(b"{\"type\": \"Point\", \"coordinates\": [1, 2]}"));
        assert!(!detect(b"[{\"type\": \"FeatureCollection\"}]"));
        assert!(!detect(
            b"{\"locations\": [{\"latitudeE7\": 1, \"longitudeE7\": 2}]}"
        ));
        assert!(!detect(b"<gpx>"));
        assert!(!detect(b"{\"type\": \"Featu"));
        assert!(
            invalid(r#"{"type": "Topology"}"#).contains("\"Topology\""),
            "a document that is no GeoJSON trace is refused with its type"
        );
    }
}

//! e-mission / TraceMob trips: objects with `start_ts` / `end_ts` (UTC
//! seconds), `start_loc` / `end_loc` (GeoJSON points, `[lon, lat]`),
//! `distance` in metres and `sensed_mode` (e-mission's numbers: IN_VEHICLE 0,
//! BICYCLING 1, ON_FOOT 2, STILL 3, UNKNOWN 4, WALKING 7, RUNNING 8,
//! AIR_OR_HSR 11, or a name). They come as the server's export (an array of
//! entries, each trip under `data`, its kind in `metadata.key`), as a
//! GeoJSON `FeatureCollection` (each trip in a feature's `properties`), or
//! as a bare array of trips. The export's raw `background/location` entries
//! (`ts`, `latitude`, `longitude`) are read as points. When an export holds
//! both trips and their sections, the sections are kept (they carry the
//! mode) and the trips left out, so nothing is counted twice.

use std::fmt;

use selfdata_sources::ImportError;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::json::{self, Budget, EpochS, Head, Lat, Lon, Num};
use super::{Layout, Parsed};
use crate::model::{GivenTrip, Mode, Point};

/// A trip's start time and place within the first bytes.
pub fn detect(head: &Head) -> bool {
    matches!(head.root(), Some(b'[' | b'{'))
        && head.contains(b"\"start_ts\"")
        && head.contains(b"\"start_loc\"")
}

/// A GeoJSON `FeatureCollection` of trips.
#[derive(Deserialize)]
struct Collection {
    features: Vec<Entry>,
}

/// An entry: a trip itself, or a trip under `data` (server export) or
/// `properties` (GeoJSON feature).
#[derive(Deserialize)]
struct Entry {
    data: Option<Fields>,
    properties: Option<Fields>,
    metadata: Option<Metadata>,
    #[serde(flatten)]
    own: Fields,
}

#[derive(Deserialize)]
struct Metadata {
    key: Option<String>,
}

#[derive(Deserialize, Default)]
struct Fields {
    start_ts: Option<EpochS>,
    end_ts: Option<EpochS>,
    start_loc: Option<GeoPoint>,
    end_loc: Option<GeoPoint>,
    distance: Option<Num>,
    sensed_mode: Option<SensedMode>,
    // A raw location entry.
    ts: Option<EpochS>,
    latitude: Option<Lat>,
    longitude: Option<Lon>,
    accuracy: Option<Num>,
}

#[derive(Deserialize)]
struct RawGeoPoint {
    coordinates: Vec<f64>,
}

/// A GeoJSON point, `[lon, lat]`, checked.
#[derive(Deserialize)]
#[serde(try_from = "RawGeoPoint")]
struct GeoPoint((i32, i32));

impl TryFrom<RawGeoPoint> for GeoPoint {
    type Error = String;
    fn try_from(r: RawGeoPoint) -> Result<GeoPoint, String> {
        match r.coordinates[..] {
            [lon, lat, ..] => json::degrees(lat, lon).map(GeoPoint),
            _ => Err("a place has fewer than two coordinates".into()),
        }
    }
}

/// `sensed_mode`: e-mission's motion number or a mode's name.
struct SensedMode(Option<Mode>);

impl<'de> Deserialize<'de> for SensedMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<SensedMode, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = SensedMode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mode number or name")
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<SensedMode, E> {
                Ok(SensedMode(match n {
                    0 | 10 => Some(Mode::Car),
                    1 => Some(Mode::Bike),
                    2 | 7 | 8 => Some(Mode::Walk),
                    3 | 4 | 5 | 9 => None,
                    11 => Some(Mode::Plane),
                    _ => Some(Mode::Other),
                }))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<SensedMode, E> {
                Ok(match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n)?,
                    Err(_) => SensedMode(Some(Mode::Other)),
                })
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<SensedMode, E> {
                Ok(SensedMode(json::activity_mode(s)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<SensedMode, E> {
                Ok(SensedMode(None))
            }
        }
        d.deserialize_any(V)
    }
}

pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let entries = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => json::from_slice::<Vec<Entry>>(bytes)?,
        _ => json::from_slice::<Collection>(bytes)?.features,
    };
    let kind = |e: &Entry| e.metadata.as_ref().and_then(|m| m.key.clone());
    let sections = entries
        .iter()
        .any(|e| kind(e).is_some_and(|k| k.contains("section")));
    let mut out = Parsed::new(Layout::Emission);
    let mut budget = Budget::default();
    for e in entries {
        let key = kind(&e).unwrap_or_default();
        let f = e.data.or(e.properties).unwrap_or(e.own);
        if let (Some(t), Some(lat), Some(lon)) = (f.ts, f.latitude, f.longitude) {
            // Both checked in range as they were read.
            let (lat_e7, lon_e7) = json::degrees(lat.0, lon.0).map_err(ImportError::Invalid)?;
            budget.add()?;
            out.rows += 1;
            out.points.push(Point {
                t: t.0,
                lat_e7,
                lon_e7,
                accuracy_m: f.accuracy.and_then(Num::metres),
            });
            continue;
        }
        let (Some(start), Some(end)) = (f.start_ts, f.end_ts) else {
            continue;
        };
        if sections && !key.contains("section") {
            continue;
        }
        out.rows += 1;
        let (Some(from), Some(to)) = (f.start_loc, f.end_loc) else {
            out.skipped += 1;
            continue;
        };
        out.trips.push(GivenTrip {
            start: start.0,
            end: end.0,
            from: from.0,
            to: to.0,
            distance_m: f.distance.and_then(Num::metres),
            mode: f.sensed_mode.and_then(|m| m.0),
            path: Vec::new(),
        });
    }
    Ok(out)
}

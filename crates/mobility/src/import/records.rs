//! Google Takeout `Records.json`: `{"locations":[{"latitudeE7",
//! "longitudeE7", "timestamp" | "timestampMs", "accuracy", …}]}`, files of
//! hundreds of MB. The `locations` array is walked with a serde visitor that
//! holds one location at a time and hands each point on, over a reader
//! ([`records_from_reader`], bounded memory) or the bytes ([`parse`]).

use std::fmt;
use std::io::{BufReader, Read};

use selfdata_sources::ImportError;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{self, Budget, LatE7, LonE7, MsTime, Num, Time};
use super::{Layout, Parsed};
use crate::model::Point;

/// One location as the file writes it; checked into a [`Point`] as it is
/// read, so a refusal names its line.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLocation {
    latitude_e7: Option<LatE7>,
    longitude_e7: Option<LonE7>,
    timestamp: Option<Time>,
    timestamp_ms: Option<MsTime>,
    accuracy: Option<Num>,
}

#[derive(Deserialize)]
#[serde(try_from = "RawLocation")]
struct Location(Point);

impl TryFrom<RawLocation> for Location {
    type Error = String;
    fn try_from(r: RawLocation) -> Result<Location, String> {
        let t = match (r.timestamp, r.timestamp_ms) {
            (Some(Time(t)), _) | (None, Some(MsTime(t))) => t,
            (None, None) => return Err("a location has no time (timestamp)".into()),
        };
        let (Some(LatE7(lat)), Some(LonE7(lon))) = (r.latitude_e7, r.longitude_e7) else {
            return Err("a location has no latitude or longitude (latitudeE7, longitudeE7)".into());
        };
        Ok(Location(Point {
            t,
            lat_e7: lat,
            lon_e7: lon,
            accuracy_m: r.accuracy.and_then(Num::metres),
        }))
    }
}

/// The root object: `locations` walked, every other key skipped.
struct Root<F>(F);

impl<'de, F: FnMut(Point)> Visitor<'de> for Root<F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object holding a list of locations")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<usize, A::Error> {
        let mut count = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "locations" && count.is_none() {
                count = Some(map.next_value_seed(Locations(&mut self.0))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        count.ok_or_else(|| de::Error::custom("the file has no list of locations"))
    }
}

/// The `locations` array, one element at a time.
struct Locations<'f, F>(&'f mut F);

impl<'de, F: FnMut(Point)> DeserializeSeed<'de> for Locations<'_, F> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Point)> Visitor<'de> for Locations<'_, F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of locations")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut budget = Budget::default();
        while let Some(Location(p)) = seq.next_element()? {
            budget.take::<A::Error>()?;
            (self.0)(p);
        }
        Ok(budget.count())
    }
}

/// The whole file: the root object, then nothing but spaces.
fn walk<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    on_point: impl FnMut(Point),
) -> Result<usize, serde_json::Error> {
    let count = (&mut *de).deserialize_map(Root(on_point))?;
    de.end()?;
    Ok(count)
}

/// Streams a `Records.json` from `r`, handing each point to `on_point` as
/// it is read and keeping none: memory stays a buffer and one location
/// whatever the file's size. Returns how many points were read.
pub fn records_from_reader<R: Read>(
    r: R,
    on_point: impl FnMut(Point),
) -> Result<usize, ImportError> {
    walk(
        &mut serde_json::Deserializer::from_reader(BufReader::new(r)),
        on_point,
    )
    .map_err(|e| json::error(&e))
}

/// Reads a whole `Records.json` through the same visitor.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let mut out = Parsed::new(Layout::Records);
    let points = &mut out.points;
    out.rows = walk(&mut serde_json::Deserializer::from_slice(bytes), |p| {
        points.push(p)
    })
    .map_err(|e| json::error_in(bytes, &e))?;
    Ok(out)
}

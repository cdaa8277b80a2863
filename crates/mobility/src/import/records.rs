//! Google Takeout `Records.json`: `{"locations":[{"latitudeE7",
//! "longitudeE7", "timestamp" | "timestampMs", "accuracy", …}]}`, files of
//! hundreds of MB. The `locations` array is walked with a serde visitor that
//! holds one location at a time and hands each point on, over a reader
//! ([`records_from_reader`], bounded memory) or the bytes ([`parse`]).

use std::fmt;
use std::io::{BufRead, BufReader, Read};

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

impl TryFrom<RawLocation> for Point {
    type Error = String;
    fn try_from(r: RawLocation) -> Result<Point, String> {
        let t = match (r.timestamp, r.timestamp_ms) {
            (Some(Time(t)), _) | (None, Some(MsTime(t))) => t,
            (None, None) => return Err("a location has no time (timestamp)".into()),
        };
        let (Some(LatE7(lat)), Some(LonE7(lon))) = (r.latitude_e7, r.longitude_e7) else {
            return Err("a location has no latitude or longitude (latitudeE7, longitudeE7)".into());
        };
        Ok(Point {
            t,
            lat_e7: lat,
            lon_e7: lon,
            accuracy_m: r.accuracy.and_then(Num::metres),
        })
    }
}

/// One location, read whole, checked, and counted against the cap while
/// serde_json still stands at its closing brace, so a refusal names its line.
struct Location<'b>(&'b mut Budget);

impl<'de> DeserializeSeed<'de> for Location<'_> {
    type Value = Point;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Point, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Location<'_> {
    type Value = Point;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a location")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Point, A::Error> {
        let raw = RawLocation::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let point = Point::try_from(raw).map_err(de::Error::custom)?;
        self.0.take::<A::Error>()?;
        Ok(point)
    }
}

/// The root object: `locations` walked, every other key skipped.
struct Root<F>(F, Budget);

impl<'de, F: FnMut(Point)> Visitor<'de> for Root<F> {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object holding a list of locations")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<usize, A::Error> {
        let mut count = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "locations" && count.is_none() {
                count = Some(map.next_value_seed(Locations(&mut self.0, &mut self.1))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        count.ok_or_else(|| de::Error::custom("the file has no list of locations"))
    }
}

/// The `locations` array, one element at a time.
struct Locations<'f, F>(&'f mut F, &'f mut Budget);

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
        let start = self.1.count();
        while let Some(p) = seq.next_element_seed(Location(&mut *self.1))? {
            (self.0)(p);
        }
        Ok(self.1.count() - start)
    }
}

/// The whole file: the root object, then nothing but spaces.
fn walk<'de, R: serde_json::de::Read<'de>>(
    de: &mut serde_json::Deserializer<R>,
    on_point: impl FnMut(Point),
    budget: Budget,
) -> Result<usize, serde_json::Error> {
    let count = (&mut *de).deserialize_map(Root(on_point, budget))?;
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
    let mut r = BufReader::new(r);
    skip_bom(&mut r)
        .map_err(|e| ImportError::Invalid(format!("the file could not be read ({e})")))?;
    walk(
        &mut serde_json::Deserializer::from_reader(r),
        on_point,
        Budget::default(),
    )
    .map_err(|e| json::error(&e))
}

/// Steps over a UTF-8 byte order mark (serde_json refuses one), even one
/// handed out a byte at a time.
fn skip_bom(r: &mut impl BufRead) -> std::io::Result<()> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let mut matched = 0;
    while matched < BOM.len() {
        let buf = r.fill_buf()?;
        let Some(&b) = buf.first() else { break };
        if b != BOM[matched] {
            break;
        }
        r.consume(1);
        matched += 1;
    }
    if matched > 0 && matched < BOM.len() {
        return Err(std::io::Error::other(
            "it starts with a broken byte order mark",
        ));
    }
    Ok(())
}

/// Reads a whole `Records.json` through the same visitor.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    parse_within(bytes, Budget::default())
}

fn parse_within(bytes: &[u8], budget: Budget) -> Result<Parsed, ImportError> {
    let mut out = Parsed::new(Layout::Records);
    let points = &mut out.points;
    out.rows = walk(
        &mut serde_json::Deserializer::from_slice(bytes),
        |p| points.push(p),
        budget,
    )
    .map_err(|e| json::error_in(bytes, &e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = r#"{"locations": [
      {"timestampMs": "1641993504190", "latitudeE7": 1, "longitudeE7": 2},
      {"timestampMs": "1641993505190", "latitudeE7": 1, "longitudeE7": 2},
      {"timestampMs": "1641993506190", "latitudeE7": 1, "longitudeE7": 2}
    ]}"#;

    #[test]
    fn a_file_past_the_cap_of_points_is_refused_at_the_line_of_the_point_past_it() {
        let e = parse_within(THREE.as_bytes(), Budget::with_limit(2)).unwrap_err();
        assert_eq!(e.line(), Some(4), "{e}");
        assert!(
            e.to_string().contains("more than 20,000,000 positions"),
            "{e}"
        );
        let read = parse_within(THREE.as_bytes(), Budget::with_limit(3)).unwrap();
        assert_eq!(read.points.len(), 3);
    }

    #[test]
    fn the_reader_and_the_bytes_give_the_same_points() {
        let mut streamed = Vec::new();
        let n = records_from_reader(THREE.as_bytes(), |p| streamed.push(p)).unwrap();
        assert_eq!(n, 3);
        assert_eq!(parse(THREE.as_bytes()).unwrap().points, streamed);
    }

    #[test]
    fn a_records_file_with_a_byte_order_mark_is_streamed_too() {
        let bytes = [b"\xEF\xBB\xBF", THREE.as_bytes()].concat();
        let mut streamed = Vec::new();
        let n = records_from_reader(&bytes[..], |p| streamed.push(p)).unwrap();
        assert_eq!(n, 3);
        assert_eq!(streamed, parse(THREE.as_bytes()).unwrap().points);
    }

    #[test]
    fn a_file_without_its_list_of_locations_is_refused() {
        let e = parse(b"{\n\"locations2\": []\n}").unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert!(e.to_string().contains("no list of locations"), "{e}");
        let e = parse(b"{\"locations\": []} []").unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
    }
}

//! What the JSON location layouts share: a cheap look at a file's first
//! bytes for detection, serde_json's errors told to a resident with their
//! line, and the values these exports write in many ways, each checked as
//! it is read (times as RFC 3339 or epoch milliseconds, E7 integers,
//! `"57.7°, 12.0°"` and `"geo:lat,lng"` strings, numbers written as text,
//! activity types).

use std::fmt;

use selfdata_sources::ImportError;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use crate::model::Mode;

use super::MAX_POINTS;

/// How much of a file detection looks at.
const HEAD: usize = 64 * 1024;

/// The file without a UTF-8 byte order mark (serde_json refuses one).
pub fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A file's first bytes, after a BOM and spaces.
pub struct Head<'a>(&'a [u8]);

impl<'a> Head<'a> {
    pub fn of(bytes: &'a [u8]) -> Head<'a> {
        let bytes = without_bom(bytes);
        let start = bytes
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(bytes.len());
        let end = bytes.len().min(start + HEAD);
        Head(&bytes[start..end])
    }

    /// The first byte: `{` for an object, `[` for an array.
    pub fn root(&self) -> Option<u8> {
        self.0.first().copied()
    }

    pub fn contains(&self, needle: &[u8]) -> bool {
        self.0.windows(needle.len()).any(|w| w == needle)
    }

    /// An object holding every one of these (quoted) keys in its first bytes.
    pub fn object_with(&self, keys: &[&[u8]]) -> bool {
        self.root() == Some(b'{') && keys.iter().all(|k| self.contains(k))
    }
}

/// The refusal past [`MAX_POINTS`].
pub fn too_many() -> String {
    let digits = MAX_POINTS.to_string();
    let grouped: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|c| std::str::from_utf8(c).unwrap_or("?"))
        .collect();
    format!(
        "the file holds more than {} positions, more than selfdata reads from one file: export shorter periods",
        grouped.join(",")
    )
}

/// A serde_json error for a resident, at its line.
pub fn error(e: &serde_json::Error) -> ImportError {
    let full = e.to_string();
    // serde_json appends " at line L column C"; the line is given apart.
    // serde writes names between backticks; a resident reads quotes.
    let message = match full.rsplit_once(" at line ") {
        Some((m, _)) => m,
        None => &full,
    }
    .replace('`', "\"");
    let message = match e.classify() {
        serde_json::error::Category::Eof => {
            "the file stops in the middle, it was cut short: export or download it again"
                .to_string()
        }
        serde_json::error::Category::Syntax => {
            format!("this is not valid JSON ({message}): the file was damaged or is not an export")
        }
        serde_json::error::Category::Io => format!("the file could not be read ({message})"),
        serde_json::error::Category::Data => match message.strip_prefix("missing field ") {
            Some(field) => format!("a record lacks its {field}"),
            None => message,
        },
    };
    ImportError::at(e.line().max(1), message)
}

/// [`error`] for a file read from bytes: a file cut short is refused at
/// its last line that has text, not the empty one after its last line end.
pub fn error_in(bytes: &[u8], e: &serde_json::Error) -> ImportError {
    let error = error(e);
    match error {
        ImportError::AtLine { line, message } if e.is_eof() => {
            let last = bytes.trim_ascii_end().split(|&b| b == b'\n').count();
            ImportError::at(line.min(last.max(1)), message)
        }
        other => other,
    }
}

/// Reads a whole file as `T`, or refuses it at the line.
pub fn from_slice<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T, ImportError> {
    serde_json::from_slice(bytes).map_err(|e| error_in(bytes, &e))
}

/// Degrees to E7 integers, refused out of range.
pub fn degrees(lat: f64, lon: f64) -> Result<(i32, i32), String> {
    if !lat.is_finite() || lat.abs() > 90.0 {
        return Err(format!(
            "the latitude {lat} is outside −90 to 90 degrees: this is not a position on Earth"
        ));
    }
    if !lon.is_finite() || lon.abs() > 180.0 {
        return Err(format!(
            "the longitude {lon} is outside −180 to 180 degrees: this is not a position on Earth"
        ));
    }
    // In range, so the products fit an i32.
    Ok(((lat * 1e7).round() as i32, (lon * 1e7).round() as i32))
}

/// Seconds, refused outside the times jiff knows (years −9999 to 9999).
fn seconds(s: i64, shown: &dyn fmt::Display) -> Result<i64, String> {
    jiff::Timestamp::from_second(s)
        .map(|t| t.as_second())
        .map_err(|_| format!("the time {shown} cannot be read as a date"))
}

/// An RFC 3339 time with its offset (`2024-07-30T18:37:06.000+02:00`), in
/// UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time(pub i64);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Time, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Time;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date and time such as 2024-07-30T18:37:06+02:00")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Time, E> {
                let t = s.trim();
                if let Ok(t) = t.parse::<jiff::Timestamp>() {
                    return Ok(Time(t.as_second()));
                }
                Err(E::custom(if t.parse::<jiff::civil::DateTime>().is_ok() {
                    format!(
                        "the time \"{s}\" does not say its offset from UTC (such as +02:00), so its hour is unknown"
                    )
                } else {
                    format!("the time \"{s}\" cannot be read as a date")
                }))
            }
        }
        d.deserialize_str(V)
    }
}

/// Epoch milliseconds, as text (`"1641993504190"`, Takeout's older files)
/// or a number, in UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsTime(pub i64);

impl<'de> Deserialize<'de> for MsTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<MsTime, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MsTime;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("milliseconds since 1970")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<MsTime, E> {
                let ms: i64 = s
                    .trim()
                    .parse()
                    .map_err(|_| E::custom(format!("the time \"{s}\" cannot be read as a date")))?;
                self.visit_i64(ms)
            }
            fn visit_i64<E: de::Error>(self, ms: i64) -> Result<MsTime, E> {
                seconds(ms.div_euclid(1000), &ms)
                    .map(MsTime)
                    .map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, ms: u64) -> Result<MsTime, E> {
                let ms = i64::try_from(ms)
                    .map_err(|_| E::custom(format!("the time {ms} cannot be read as a date")))?;
                self.visit_i64(ms)
            }
        }
        d.deserialize_any(V)
    }
}

/// Epoch seconds, possibly with a fraction (e-mission's `start_ts`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochS(pub i64);

impl<'de> Deserialize<'de> for EpochS {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<EpochS, D::Error> {
        let Num(x) = Num::deserialize(d)?;
        if !x.is_finite() || x.abs() > 1e12 {
            return Err(de::Error::custom(format!(
                "the time {x} cannot be read as a date"
            )));
        }
        seconds(x.floor() as i64, &x)
            .map(EpochS)
            .map_err(de::Error::custom)
    }
}

/// A number, written as a number or as text (`"1234.5"`, iOS Timeline).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl Num {
    /// Rounded to whole metres; `None` when negative or absurd.
    pub fn metres(self) -> Option<u32> {
        (self.0.is_finite() && self.0 >= 0.0 && self.0 <= f64::from(u32::MAX))
            .then(|| self.0.round() as u32)
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Num, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Num;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Num, E> {
                Ok(Num(x))
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Num, E> {
                Ok(Num(x as f64))
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Num, E> {
                Ok(Num(x as f64))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Num, E> {
                s.trim()
                    .parse()
                    .map(Num)
                    .map_err(|_| E::custom(format!("\"{s}\" is not a number")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A latitude in E7 (`latitudeE7`, `latE7`), refused out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatE7(pub i32);

/// A longitude in E7 (`longitudeE7`, `lngE7`), refused out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LonE7(pub i32);

fn e7<'de, D: Deserializer<'de>>(d: D, max: i64, what: &str) -> Result<i32, D::Error> {
    let v = i64::deserialize(d)?;
    if v.abs() > max {
        return Err(de::Error::custom(format!(
            "the {what} {} is outside −{} to {} degrees: this is not a position on Earth",
            v as f64 / 1e7,
            max / 10_000_000,
            max / 10_000_000
        )));
    }
    // |v| ≤ 1.8e9 fits an i32.
    Ok(v as i32)
}

impl<'de> Deserialize<'de> for LatE7 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LatE7, D::Error> {
        e7(d, 900_000_000, "latitude").map(LatE7)
    }
}

impl<'de> Deserialize<'de> for LonE7 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LonE7, D::Error> {
        e7(d, 1_800_000_000, "longitude").map(LonE7)
    }
}

/// A latitude in degrees (a number or text), refused out of range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lat(pub f64);

/// A longitude in degrees (a number or text), refused out of range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lon(pub f64);

impl<'de> Deserialize<'de> for Lat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lat, D::Error> {
        let Num(x) = Num::deserialize(d)?;
        degrees(x, 0.0).map(|_| Lat(x)).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Lon {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Lon, D::Error> {
        let Num(x) = Num::deserialize(d)?;
        degrees(0.0, x).map(|_| Lon(x)).map_err(de::Error::custom)
    }
}

/// A position as text: `"57.7178942°, 12.0144616°"` (Android Timeline),
/// `"geo:41.57,-8.46"` (iOS), or an object holding one under `latLng`
/// (`placeLocation` is either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatLng(pub (i32, i32));

/// Reads `"57.7°, 12.0°"` or `"geo:57.7,12.0"` into E7 integers.
pub fn lat_lng(s: &str) -> Result<(i32, i32), String> {
    let unreadable = || format!("the position \"{s}\" cannot be read");
    let t = s.trim();
    let t = t.strip_prefix("geo:").unwrap_or(t);
    let (a, b) = t.split_once(',').ok_or_else(unreadable)?;
    let num = |x: &str| -> Result<f64, String> {
        x.trim()
            .trim_end_matches('°')
            .trim()
            .parse::<f64>()
            .map_err(|_| unreadable())
    };
    degrees(num(a)?, num(b)?)
}

impl<'de> Deserialize<'de> for LatLng {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<LatLng, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LatLng;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a position such as \"48.85°, 2.35°\" or \"geo:48.85,2.35\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<LatLng, E> {
                lat_lng(s).map(LatLng).map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LatLng, A::Error> {
                let mut found = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key.eq_ignore_ascii_case("latLng") || key == "point" {
                        found = Some(map.next_value::<LatLng>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                found.ok_or_else(|| de::Error::custom("a place has no position (latLng)"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A Google activity type (`WALKING`, `IN_BUS`; iOS writes `in bus`) as a
/// mode. `None` for the phone not knowing (`UNKNOWN_ACTIVITY_TYPE`,
/// `STILL`); a type this list does not know (sailing, skiing) is
/// [`Mode::Other`], never a guess.
pub fn activity_mode(t: &str) -> Option<Mode> {
    let t = t.trim().to_ascii_uppercase().replace([' ', '-'], "_");
    // e-mission writes `PredictedModeTypes.BUS`.
    let t = t.rsplit('.').next().unwrap_or(&t);
    Some(match t {
        "" | "UNKNOWN" | "UNKNOWN_ACTIVITY_TYPE" | "STILL" | "TILTING" | "NONE" => return None,
        "WALKING" | "ON_FOOT" | "RUNNING" | "HIKING" | "WALK" => Mode::Walk,
        "CYCLING" | "ON_BICYCLE" | "BICYCLING" | "BIKE" | "E_BIKE" | "MOUNTAIN_BIKING" => {
            Mode::Bike
        }
        "IN_PASSENGER_VEHICLE" | "IN_VEHICLE" | "IN_CAR" | "DRIVING" | "IN_TAXI" | "CAR" => {
            Mode::Car
        }
        "IN_BUS" | "BUS" => Mode::Bus,
        "IN_TRAM" | "TRAM" | "LIGHT_RAIL" => Mode::Tram,
        "IN_SUBWAY" | "SUBWAY" | "METRO" => Mode::Metro,
        "IN_TRAIN" | "TRAIN" => Mode::Train,
        "FLYING" | "AIR_OR_HSR" | "AIR" | "PLANE" => Mode::Plane,
        _ => Mode::Other,
    })
}

/// Counts points against a cap, [`MAX_POINTS`] unless a test says less.
#[derive(Debug)]
pub struct Budget {
    count: usize,
    limit: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::with_limit(MAX_POINTS)
    }
}

impl Budget {
    pub fn with_limit(limit: usize) -> Budget {
        Budget { count: 0, limit }
    }

    /// One more point, or the refusal past the cap.
    pub fn take<E: de::Error>(&mut self) -> Result<(), E> {
        self.count += 1;
        if self.count > self.limit {
            return Err(E::custom(too_many()));
        }
        Ok(())
    }

    /// One more point after the file was read, or the refusal past the cap.
    pub fn add(&mut self) -> Result<(), ImportError> {
        self.take::<serde_json::Error>()
            .map_err(|_| ImportError::Invalid(too_many()))
    }

    pub fn count(&self) -> usize {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_read_from_both_timeline_strings() {
        assert_eq!(
            lat_lng("57.7178942°, 12.0144616°"),
            Ok((577_178_942, 120_144_616))
        );
        assert_eq!(lat_lng("geo:41.57,-8.46"), Ok((415_700_000, -84_600_000)));
        assert!(lat_lng("geo:91,0").unwrap_err().contains("latitude 91"));
        assert!(lat_lng("48.8").is_err());
    }

    #[test]
    fn activity_types_map_to_modes_and_unknown_ones_to_other() {
        assert_eq!(activity_mode("IN_BUS"), Some(Mode::Bus));
        assert_eq!(activity_mode("in passenger vehicle"), Some(Mode::Car));
        assert_eq!(activity_mode("SAILING"), Some(Mode::Other));
        assert_eq!(activity_mode("UNKNOWN_ACTIVITY_TYPE"), None);
    }
}

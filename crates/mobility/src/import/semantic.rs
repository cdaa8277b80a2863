//! Google Takeout Semantic Location History (`YYYY/YYYY_MONTH.json`):
//! `timelineObjects[]`, each an `activitySegment` (a trip as Google saw it:
//! start and end locations, duration, distance, activity type, sometimes a
//! simplified raw path) or a `placeVisit` (a place and the time spent).

use selfdata_sources::ImportError;
use serde::Deserialize;

use super::json::{self, Budget, LatE7, LonE7, MsTime, Num, Time};
use super::{Layout, Parsed};
use crate::model::{GivenTrip, Point, Visit};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct File {
    timeline_objects: Vec<Object>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    activity_segment: Option<Activity>,
    place_visit: Option<PlaceVisit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Activity {
    start_location: Option<E7Location>,
    end_location: Option<E7Location>,
    duration: Duration,
    distance: Option<Num>,
    activity_type: Option<String>,
    simplified_raw_path: Option<RawPath>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceVisit {
    location: Option<E7Location>,
    duration: Duration,
    center_lat_e7: Option<LatE7>,
    center_lng_e7: Option<LonE7>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct E7Location {
    latitude_e7: Option<LatE7>,
    longitude_e7: Option<LonE7>,
}

impl E7Location {
    fn pos(&self) -> Option<(i32, i32)> {
        Some((self.latitude_e7?.0, self.longitude_e7?.0))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDuration {
    start_timestamp: Option<Time>,
    end_timestamp: Option<Time>,
    start_timestamp_ms: Option<MsTime>,
    end_timestamp_ms: Option<MsTime>,
}

/// Start and end, in UTC seconds, from either spelling.
#[derive(Deserialize)]
#[serde(try_from = "RawDuration")]
struct Duration {
    start: i64,
    end: i64,
}

impl TryFrom<RawDuration> for Duration {
    type Error = &'static str;
    fn try_from(r: RawDuration) -> Result<Duration, &'static str> {
        let start = r
            .start_timestamp
            .map(|t| t.0)
            .or(r.start_timestamp_ms.map(|t| t.0));
        let end = r
            .end_timestamp
            .map(|t| t.0)
            .or(r.end_timestamp_ms.map(|t| t.0));
        match (start, end) {
            (Some(start), Some(end)) => Ok(Duration { start, end }),
            _ => Err("a duration lacks its start or end time (startTimestamp, endTimestamp)"),
        }
    }
}

#[derive(Deserialize)]
struct RawPath {
    #[serde(default)]
    points: Vec<PathPoint>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathPoint {
    lat_e7: LatE7,
    lng_e7: LonE7,
    timestamp: Option<Time>,
    timestamp_ms: Option<MsTime>,
    accuracy_meters: Option<Num>,
}

pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let file: File = json::from_slice(bytes)?;
    let mut out = Parsed::new(Layout::Semantic);
    let mut budget = Budget::default();
    for object in file.timeline_objects {
        out.rows += 1;
        if let Some(a) = object.activity_segment {
            let mut path = Vec::new();
            for p in a.simplified_raw_path.map(|p| p.points).unwrap_or_default() {
                let Some(t) = p.timestamp.map(|t| t.0).or(p.timestamp_ms.map(|t| t.0)) else {
                    continue;
                };
                budget.add()?;
                path.push(Point {
                    t,
                    lat_e7: p.lat_e7.0,
                    lon_e7: p.lng_e7.0,
                    accuracy_m: p.accuracy_meters.and_then(Num::metres),
                });
            }
            let from = a.start_location.as_ref().and_then(E7Location::pos);
            let to = a.end_location.as_ref().and_then(E7Location::pos);
            let from = from.or(path.first().map(Point::pos));
            let to = to.or(path.last().map(Point::pos));
            let (Some(from), Some(to)) = (from, to) else {
                out.skipped += 1;
                continue;
            };
            out.trips.push(GivenTrip {
                start: a.duration.start,
                end: a.duration.end,
                from,
                to,
                distance_m: a.distance.and_then(Num::metres),
                mode: a.activity_type.as_deref().and_then(json::activity_mode),
                path,
            });
        }
        if let Some(v) = object.place_visit {
            let centre = match (v.center_lat_e7, v.center_lng_e7) {
                (Some(lat), Some(lon)) => Some((lat.0, lon.0)),
                _ => None,
            };
            let Some((lat_e7, lon_e7)) = v.location.as_ref().and_then(E7Location::pos).or(centre)
            else {
                out.skipped += 1;
                continue;
            };
            out.visits.push(Visit {
                start: v.duration.start,
                end: v.duration.end,
                lat_e7,
                lon_e7,
            });
        }
    }
    Ok(out)
}

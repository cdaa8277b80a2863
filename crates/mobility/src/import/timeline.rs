//! The Timeline export made on the phone since 2024, in its two shapes.
//! Android: `{"semanticSegments":[…],"rawSignals":[…],…}`, positions as
//! `"57.7178942°, 12.0144616°"`, path points with their own time. iOS: a
//! bare array of the same segments, positions as `"geo:41.57,-8.46"`,
//! numbers as text, and path points carrying only whole minutes from the
//! segment's start: points of the same minute are spread over it so they do
//! not collapse into one. Each segment is a `visit`, an `activity` (a trip
//! as the phone saw it) or a `timelinePath` (raw points).

use selfdata_sources::ImportError;
use serde::Deserialize;

use super::json::{self, Budget, Head, LatLng, Num, Time};
use super::{Layout, Parsed};
use crate::model::{GivenTrip, Point, Visit};

/// A bare array of segments with their `startTime`.
pub fn detect_ios(head: &Head) -> bool {
    head.root() == Some(b'[')
        && head.contains(b"\"startTime\"")
        && [
            &b"\"geo:"[..],
            b"\"visit\"",
            b"\"activity\"",
            b"\"timelinePath\"",
        ]
        .iter()
        .any(|k| head.contains(k))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Android {
    semantic_segments: Vec<Segment>,
    #[serde(default)]
    raw_signals: Vec<RawSignal>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Segment {
    start_time: Time,
    end_time: Time,
    visit: Option<SegmentVisit>,
    activity: Option<Activity>,
    timeline_path: Option<Vec<PathPoint>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SegmentVisit {
    top_candidate: Option<PlaceCandidate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceCandidate {
    place_location: Option<LatLng>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Activity {
    start: Option<LatLng>,
    end: Option<LatLng>,
    distance_meters: Option<Num>,
    top_candidate: Option<ActivityCandidate>,
}

#[derive(Deserialize)]
struct ActivityCandidate {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PathPoint {
    point: LatLng,
    time: Option<Time>,
    duration_minutes_offset_from_start_time: Option<Num>,
}

#[derive(Deserialize)]
struct RawSignal {
    position: Option<Position>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Position {
    #[serde(rename = "LatLng", alias = "latLng")]
    lat_lng: LatLng,
    accuracy_meters: Option<Num>,
    timestamp: Time,
}

pub fn parse(bytes: &[u8], layout: Layout) -> Result<Parsed, ImportError> {
    let (segments, raw) = if layout == Layout::TimelineIos {
        (json::from_slice::<Vec<Segment>>(bytes)?, Vec::new())
    } else {
        let file: Android = json::from_slice(bytes)?;
        (file.semantic_segments, file.raw_signals)
    };
    let mut out = Parsed::new(layout);
    let mut budget = Budget::default();
    for s in segments {
        out.rows += 1;
        let (start, end) = (s.start_time.0, s.end_time.0);
        if let Some(v) = s.visit {
            match v.top_candidate.and_then(|c| c.place_location) {
                Some(LatLng((lat_e7, lon_e7))) => out.visits.push(Visit {
                    start,
                    end,
                    lat_e7,
                    lon_e7,
                }),
                None => out.skipped += 1,
            }
        }
        if let Some(a) = s.activity {
            match (a.start, a.end) {
                (Some(from), Some(to)) => out.trips.push(GivenTrip {
                    start,
                    end,
                    from: from.0,
                    to: to.0,
                    distance_m: a.distance_meters.and_then(Num::metres),
                    mode: a
                        .top_candidate
                        .and_then(|c| c.kind)
                        .as_deref()
                        .and_then(json::activity_mode),
                    path: Vec::new(),
                }),
                _ => out.skipped += 1,
            }
        }
        if let Some(path) = s.timeline_path {
            for p in spread(start, &path) {
                budget.add()?;
                out.points.push(p);
            }
        }
    }
    for p in raw.into_iter().filter_map(|r| r.position) {
        budget.add()?;
        out.points.push(Point {
            t: p.timestamp.0,
            lat_e7: p.lat_lng.0.0,
            lon_e7: p.lat_lng.0.1,
            accuracy_m: p.accuracy_meters.and_then(Num::metres),
        });
    }
    Ok(out)
}

/// The path's points in time: their own `time` (Android), else the
/// segment's start plus their minute offset (iOS), the `n` points sharing a
/// minute placed `60 / n` seconds apart within it.
fn spread(start: i64, path: &[PathPoint]) -> Vec<Point> {
    let minute = |p: &PathPoint| {
        p.duration_minutes_offset_from_start_time
            .filter(|m| m.0.is_finite() && m.0.abs() < 1e9)
            .map_or(0, |m| m.0.floor() as i64)
    };
    let mut out = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < path.len() {
        let m = minute(&path[i]);
        let run = path[i..]
            .iter()
            .take_while(|p| p.time.is_none() && minute(p) == m)
            .count()
            .max(1);
        for (k, p) in path[i..i + run].iter().enumerate() {
            let t = match p.time {
                Some(t) => t.0,
                // k < run ≤ path.len(): the product and quotient stay small.
                None => start + m * 60 + (k as i64 * 60) / run as i64,
            };
            let LatLng((lat_e7, lon_e7)) = p.point;
            out.push(Point::new(t, lat_e7, lon_e7));
        }
        i += run;
    }
    out
}

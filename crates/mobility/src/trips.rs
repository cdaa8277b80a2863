//! A parsed location file turned into the trips a pod keeps, the CSV they
//! are kept in (one file per year, `start,end,from_lat,from_lon,to_lat,
//! to_lon,distance_m,mode,confidence,points,given`, coordinates in decimal
//! degrees), and merging a new file's trips into those already there.
//!
//! Trips the file states (a Takeout activity segment, a Timeline activity,
//! an e-mission trip) are taken as given; raw points are cut into trips by
//! [`crate::segment`]; each trip's mode is the file's, else inferred from
//! its speed ([`crate::mode`]). A trip is known by its start and end: a
//! trip already kept, or one overlapping it for more than half of either,
//! is not added again, so re-importing the same or an overlapping history
//! adds nothing twice.

use crate::geo::{self, degrees};
use crate::import::Parsed;
use crate::mode;
use crate::model::{Mode, Trip};
use crate::segment::segment;

/// The trips of a parsed file, sorted by start.
pub fn trips_of(p: &Parsed) -> Vec<Trip> {
    let mut out: Vec<Trip> = Vec::new();
    for g in &p.trips {
        let distance_m = g.distance_m.unwrap_or_else(|| {
            let along: u64 = g
                .path
                .windows(2)
                .map(|w| {
                    u64::from(geo::distance_m(
                        (w[0].lat_e7, w[0].lon_e7),
                        (w[1].lat_e7, w[1].lon_e7),
                    ))
                })
                .sum();
            u32::try_from(along)
                .unwrap_or(u32::MAX)
                .max(geo::distance_m(g.from, g.to))
        });
        let mut t = Trip {
            start: g.start,
            end: g.end,
            from: g.from,
            to: g.to,
            distance_m,
            mode: None,
            confidence: 0,
            points: g.path.len(),
            given: true,
            path: geo::simplify(&g.path.iter().map(|p| p.pos()).collect::<Vec<_>>()),
        };
        let (m, c) = if g.path.len() >= 2 {
            mode::infer(&g.path, distance_m, g.mode)
        } else {
            mode::infer_given(&t, g.mode)
        };
        t.mode = m;
        t.confidence = c;
        out.push(t);
    }
    if !p.points.is_empty() {
        let s = segment(&p.points);
        for (trip, span) in s.trips.into_iter().zip(s.spans) {
            let pts = s.points.get(span).unwrap_or(&[]);
            let (m, c) = mode::infer(pts, trip.distance_m, trip.mode);
            let t = Trip {
                mode: m,
                confidence: c,
                path: geo::simplify(&pts.iter().map(|p| p.pos()).collect::<Vec<_>>()),
                ..trip
            };
            // A file stating its trips and giving raw points too: the stated ones win.
            if !out.iter().any(|o| overlaps(o, &t)) {
                out.push(t);
            }
        }
    }
    out.sort_by_key(|t| (t.start, t.end));
    out
}

/// Whether two trips share more than half of either one's time.
fn overlaps(a: &Trip, b: &Trip) -> bool {
    let common = a.end.min(b.end).saturating_sub(a.start.max(b.start));
    if common <= 0 {
        return a.start == b.start && a.end == b.end;
    }
    let shorter = a.duration_s().min(b.duration_s()).max(1);
    common.saturating_mul(2) > shorter
}

/// Merges `incoming` into `existing`: every trip, sorted, and how many were added.
pub fn merge(existing: &[Trip], incoming: &[Trip]) -> (Vec<Trip>, usize) {
    let mut out = existing.to_vec();
    let mut added = 0;
    for t in incoming {
        // Sorted by start: only neighbours can overlap.
        let at = out.partition_point(|o| o.end < t.start);
        let clash = out[at..]
            .iter()
            .take_while(|o| o.start <= t.end)
            .any(|o| overlaps(o, t));
        if !clash {
            let at = out.partition_point(|o| (o.start, o.end) < (t.start, t.end));
            out.insert(at, t.clone());
            added += 1;
        }
    }
    (out, added)
}

/// The columns of a trips CSV.
pub const HEADER: [&str; 12] = [
    "start",
    "end",
    "from_lat",
    "from_lon",
    "to_lat",
    "to_lon",
    "distance_m",
    "mode",
    "confidence",
    "points",
    "given",
    "path",
];

fn e7(s: &str) -> Option<i32> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (units, frac) = s.split_once('.').unwrap_or((s, ""));
    if units.is_empty()
        || units.len() > 3
        || frac.len() > 7
        || !units
            .bytes()
            .chain(frac.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let v = units.parse::<i64>().ok()? * 10_000_000 + format!("{frac:0<7}").parse::<i64>().ok()?;
    let v = if neg { -v } else { v };
    i32::try_from(v)
        .ok()
        .filter(|v| v.unsigned_abs() <= 1_800_000_000)
}

fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

/// A path as WKT (`LINESTRING (lon lat, lon lat)`, the order WKT and
/// GeoJSON use), empty for none.
fn wkt(path: &[(i32, i32)]) -> String {
    if path.len() < 2 {
        return String::new();
    }
    let pairs: Vec<String> = path
        .iter()
        .map(|&(lat, lon)| format!("{} {}", degrees(lon), degrees(lat)))
        .collect();
    format!("LINESTRING ({})", pairs.join(", "))
}

/// A WKT `LINESTRING` back; `None` for anything else or more than
/// [`geo::PATH_MAX`] positions (the file may have been edited).
fn from_wkt(s: &str) -> Option<Vec<(i32, i32)>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(Vec::new());
    }
    let inner = s
        .strip_prefix("LINESTRING")?
        .trim_start()
        .strip_prefix('(')?
        .strip_suffix(')')?;
    let mut out = Vec::new();
    for pair in inner.split(',') {
        if out.len() >= geo::PATH_MAX {
            return None;
        }
        let mut it = pair.split_whitespace();
        let (lon, lat) = (it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        out.push((e7(lat)?, e7(lon)?));
    }
    Some(out)
}

/// Trips as the pod's CSV (RFC 4180: the path is quoted).
pub fn to_csv(trips: &[Trip]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(HEADER);
    for t in trips {
        let _ = w.write_record([
            time(t.start),
            time(t.end),
            degrees(t.from.0),
            degrees(t.from.1),
            degrees(t.to.0),
            degrees(t.to.1),
            t.distance_m.to_string(),
            t.mode.map_or("", Mode::as_str).to_owned(),
            t.confidence.to_string(),
            t.points.to_string(),
            t.given.to_string(),
            wkt(&t.path),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// Why a stored trips CSV could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TripsError {
    pub line: usize,
    pub message: String,
}

/// Reads the pod's CSV back (a resident may have edited it: every problem
/// names its line). A file of the first layout, without `path`, still reads.
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Trip>, TripsError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header = r.headers().map_err(|e| TripsError {
        line: 1,
        message: e.to_string(),
    })?;
    let names: Vec<&str> = header.iter().map(str::trim).collect();
    if names != HEADER && names != HEADER[..11] {
        return Err(TripsError {
            line: 1,
            message: format!("expected the header {}", HEADER.join(",")),
        });
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| TripsError {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let bad = |m: &str| TripsError {
            line,
            message: m.to_owned(),
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let f: Vec<&str> = rec.iter().map(str::trim).collect();
        let (fields, path) = match f[..] {
            [ref head @ .., p] if f.len() == 12 => (head, p),
            ref head if f.len() == 11 => (head, ""),
            _ => return Err(bad("expected 12 fields")),
        };
        let [
            start,
            end,
            flat,
            flon,
            tlat,
            tlon,
            dist,
            m,
            conf,
            pts,
            given,
        ] = fields[..]
        else {
            return Err(bad("expected 12 fields"));
        };
        let when = |s: &str| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.as_second())
                .map_err(|_| bad("bad time"))
        };
        let coord = |s: &str| e7(s).ok_or_else(|| bad("bad coordinate"));
        out.push(Trip {
            start: when(start)?,
            end: when(end)?,
            from: (coord(flat)?, coord(flon)?),
            to: (coord(tlat)?, coord(tlon)?),
            distance_m: dist.parse().map_err(|_| bad("bad distance"))?,
            mode: match m {
                "" => None,
                m => Some(Mode::parse(m).ok_or_else(|| bad("bad mode"))?),
            },
            confidence: conf.parse().map_err(|_| bad("bad confidence"))?,
            points: pts.parse().map_err(|_| bad("bad points"))?,
            given: given.parse().map_err(|_| bad("bad given"))?,
            path: from_wkt(path).ok_or_else(|| bad("bad path (a WKT LINESTRING)"))?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trip(start: i64, end: i64) -> Trip {
        Trip {
            start,
            end,
            from: (461_591_126, -11_520_434),
            to: (-461_500_000, 11_000_001),
            distance_m: 1234,
            mode: Some(Mode::Bike),
            confidence: 65,
            points: 12,
            given: false,
            path: vec![
                (461_591_126, -11_520_434),
                (461_600_000, -11_510_000),
                (-461_500_000, 11_000_001),
            ],
        }
    }

    #[test]
    fn the_same_or_an_overlapping_history_adds_nothing_twice() {
        let (kept, added) = merge(&[], &[trip(1000, 2000), trip(5000, 6000)]);
        assert_eq!(added, 2);
        let (kept, added) = merge(
            &kept,
            &[trip(1000, 2000), trip(1100, 1900), trip(3000, 4000)],
        );
        assert_eq!(added, 1, "only the new one: {kept:?}");
        assert_eq!(
            kept.iter().map(|t| t.start).collect::<Vec<_>>(),
            [1000, 3000, 5000]
        );
    }

    #[test]
    fn trips_read_back_as_written_and_a_broken_line_is_named() {
        let trips = vec![trip(1_714_550_400, 1_714_551_000)];
        let csv = to_csv(&trips);
        assert_eq!(from_csv(&csv).unwrap(), trips);
        let text = String::from_utf8(csv).unwrap();
        assert!(text.contains("2024-05-01T08:00:00Z,2024-05-01T08:10:00Z,46.1591126,-1.1520434,-46.1500000,1.1000001,1234,bike,65,12,false,\"LINESTRING (-1.1520434 46.1591126, -1.1510000 46.1600000, 1.1000001 -46.1500000)\""), "{text}");
        let first_layout = "start,end,from_lat,from_lon,to_lat,to_lon,distance_m,mode,confidence,points,given\n2024-05-01T08:00:00Z,2024-05-01T08:10:00Z,46.1591126,-1.1520434,-46.1500000,1.1000001,1234,bike,65,12,false\n";
        let old = from_csv(first_layout.as_bytes()).unwrap();
        assert!(old[0].path.is_empty());
        let no_line = text.replace("LINESTRING (", "POINT (");
        assert_eq!(from_csv(no_line.as_bytes()).unwrap_err().line, 2);
        let broken = text.replace("bike", "rocket");
        assert_eq!(from_csv(broken.as_bytes()).unwrap_err().line, 2);
    }
}

#[cfg(test)]
mod from_files {
    use super::*;

    #[test]
    fn a_files_stated_trips_are_kept_with_their_activity_type() {
        let bytes = include_bytes!("../tests/fixtures/semantic_2022_JANUARY.json");
        let parsed = crate::import::import(bytes).unwrap();
        let trips = trips_of(&parsed);
        assert!(!trips.is_empty());
        assert!(trips.iter().all(|t| t.given));
        assert!(trips.iter().any(|t| t.mode.is_some() && t.confidence >= 90));
        let (kept, _) = merge(&[], &trips);
        let (_, again) = merge(&kept, &trips);
        assert_eq!(again, 0, "the same file adds nothing");
    }
}

//! The property the fuzz target `mobility_import` (`fuzz/`) checks, kept in
//! the crate so the target and the unit tests run the same code.
//!
//! [`fuzz_parse`] takes arbitrary bytes and panics only when an invariant of
//! this crate is broken; a file that is merely refused is fine: the GPX and
//! GeoJSON readers (and their `detect`) never panic, a refusal that names a
//! line names a line of the file, and whatever is read lies on Earth (every
//! latitude within ±90°, every longitude within ±180°) at a time `jiff` can
//! show.

use jiff::Timestamp;
use selfdata_sources::ImportError;

use super::gpx::GpxData;
use super::{geojson, gpx};

fn check(read: Result<GpxData, ImportError>, lines: usize) {
    match read {
        Err(e) => {
            if let Some(line) = e.line() {
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
            }
        }
        Ok(d) => {
            assert!(!d.points.is_empty() || !d.waypoints.is_empty());
            let on_earth =
                |lat: i32, lon: i32| lat.abs() <= 900_000_000 && lon.abs() <= 1_800_000_000;
            for p in &d.points {
                assert!(on_earth(p.lat_e7, p.lon_e7), "{p:?}");
                assert!(Timestamp::from_second(p.t).is_ok(), "{p:?}");
            }
            for w in &d.waypoints {
                assert!(on_earth(w.lat_e7, w.lon_e7), "{w:?}");
                if let Some(t) = w.t {
                    assert!(Timestamp::from_second(t).is_ok(), "{w:?}");
                }
            }
        }
    }
}

/// Both readers on any bytes.
pub fn fuzz_parse(bytes: &[u8]) {
    let ends = |b: u8| bytes.iter().filter(|&&x| x == b).count();
    let lines = ends(b'\n').max(ends(b'\r')) + 1;
    let _ = gpx::detect(bytes);
    let _ = geojson::detect(bytes);
    check(gpx::parse(bytes), lines);
    check(geojson::parse(bytes), lines);
}

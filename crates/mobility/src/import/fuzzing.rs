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

#[cfg(test)]
mod tests {
    use super::*;

    const GPX: &str = "<?xml version=\"1.0\"?>\n<gpx version=\"1.1\">\n<wpt lat=\"46.15\" lon=\"-1.15\"><name>Home &amp; garden</name></wpt>\n<trk><trkseg>\n<trkpt lat=\"46.1591126\" lon=\"-1.1520434\"><ele>3</ele><time>2024-05-01T10:30:00.5+02:00</time><extensions><x:hr>90</x:hr></extensions></trkpt>\n<trkpt lat=\"-90\" lon=\"180\"><time>2024-05-01T08:31:00Z</time></trkpt>\n</trkseg></trk>\n</gpx>\n";
    const GEOJSON: &str = "{\"type\": \"FeatureCollection\", \"features\": [\n{\"type\": \"Feature\", \"properties\": {\"coordTimes\": [\"2024-05-01T08:00:00Z\", 1714550410000]},\n \"geometry\": {\"type\": \"LineString\", \"coordinates\": [[-180, 90], [2.35, 48.85, 35]]}},\n{\"type\": \"Feature\", \"properties\": {\"time\": 1714550400, \"name\": \"x\"}, \"geometry\": {\"type\": \"Point\", \"coordinates\": [2, 48]}}\n]}\n";

    #[test]
    fn traces_cut_at_every_byte_or_with_a_byte_changed_never_break_the_readers() {
        for doc in [GPX, GEOJSON] {
            let bytes = doc.as_bytes();
            fuzz_parse(bytes);
            for cut in 0..bytes.len() {
                fuzz_parse(&bytes[..cut]);
            }
            for at in 0..bytes.len() {
                for b in [b'<', b'"', b'9', b'-', b'\n', b'[', b'{', 0xFF] {
                    let mut flipped = bytes.to_vec();
                    flipped[at] = b;
                    fuzz_parse(&flipped);
                }
            }
        }
    }

    #[test]
    fn the_seed_traces_are_read_whole() {
        let gpx = gpx::parse(GPX.as_bytes()).unwrap();
        assert_eq!((gpx.points.len(), gpx.waypoints.len()), (2, 1));
        let geo = geojson::parse(GEOJSON.as_bytes()).unwrap();
        assert_eq!(geo.points.len(), 3);
    }
}

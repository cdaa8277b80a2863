//! The property a fuzz target over the location importers checks, shared
//! with the replay tests (`tests/prefixes.rs`, over `tests/fixtures/` cut
//! and flipped) so both exercise exactly the same code.
//!
//! [`check_import`] takes arbitrary bytes and panics only when an invariant
//! of this crate is broken; a file that is merely refused is fine:
//! - the importers never panic; a refusal says `Unrecognised` (or
//!   `EmptyFile`) exactly when no layout's `detect` takes the file, and a
//!   line named is a line of the file;
//! - a file read is read by the first layout that detects it, holds at
//!   least a point, a trip or a visit, every
//!   position is on Earth and every time a date jiff can write;
//! - a `Records.json` streamed through a reader gives exactly the points it
//!   gives read whole (or is refused at the same line).

use selfdata_sources::{ImportError, Importer, Lang};

use crate::import::{IMPORTERS, Layout, import, records_from_reader};
use crate::model::Point;

fn on_earth(lat_e7: i32, lon_e7: i32) {
    assert!(lat_e7.unsigned_abs() <= 900_000_000, "latitude {lat_e7}");
    assert!(lon_e7.unsigned_abs() <= 1_800_000_000, "longitude {lon_e7}");
}

fn a_date(t: i64) {
    assert!(jiff::Timestamp::from_second(t).is_ok(), "time {t}");
}

fn point(p: &Point) {
    on_earth(p.lat_e7, p.lon_e7);
    a_date(p.t);
}

/// The importers on any bytes.
pub fn check_import(data: &[u8]) {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let detected = IMPORTERS.iter().find(|l| l.detect(data)).copied();
    let result = import(data);
    match &result {
        Err(refusal) => {
            match refusal.error {
                ImportError::Unrecognised | ImportError::EmptyFile => assert!(
                    detected.is_none() || refusal.error == ImportError::EmptyFile,
                    "refused as unrecognised, yet {detected:?} detects it"
                ),
                _ => assert!(detected.is_some(), "an error without a layout"),
            }
            if let Some(line) = refusal.error.line() {
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
            }
            let en = refusal.sentence(Lang::En);
            assert!(!en.contains('`'), "{en}");
            assert!(!refusal.sentence(Lang::Fr).is_empty());
        }
        Ok(parsed) => {
            assert_eq!(Some(parsed.layout), detected);
            assert!(
                !(parsed.points.is_empty() && parsed.trips.is_empty() && parsed.visits.is_empty()),
                "a file read with nothing in it"
            );
            parsed.points.iter().for_each(point);
            for t in &parsed.trips {
                on_earth(t.from.0, t.from.1);
                on_earth(t.to.0, t.to.1);
                a_date(t.start);
                a_date(t.end);
                t.path.iter().for_each(point);
            }
            for v in &parsed.visits {
                on_earth(v.lat_e7, v.lon_e7);
                a_date(v.start);
                a_date(v.end);
            }
        }
    }
    if detected == Some(Layout::Records) {
        let mut streamed = Vec::new();
        let got = records_from_reader(data, |p| streamed.push(p));
        match (&result, got) {
            (Err(refusal), Ok(0)) if refusal.error == ImportError::Empty => {
                assert!(streamed.is_empty())
            }
            (Ok(parsed), Ok(n)) => {
                assert_eq!(n, parsed.rows);
                assert_eq!(streamed, parsed.points);
            }
            (Err(refusal), Err(e)) => {
                // The reader does not know where the file ends: a cut file
                // may be named one line further.
                let (a, b) = (refusal.error.line(), e.line());
                assert!(
                    a == b || a.zip(b).is_some_and(|(a, b)| b == a + 1),
                    "{a:?} read whole, {b:?} streamed"
                );
            }
            (whole, streamed) => panic!("read whole {whole:?}, streamed {streamed:?}"),
        }
    }
}

//! The location importers tested as data: every file in `tests/fixtures/`
//! is read through the import contract and its normalised output compared
//! with the expected file beside it (`x.json` → `x.expected.json`): layout,
//! rows, skipped, points as `TIME lat lon acc`, given trips as
//! `START END MODE DIST from LAT LON to LAT LON path N` (and their path
//! points), visits as `START END lat lon`; or the refusal and its line.
//! Times are UTC, positions in degrees written from the E7 integers.
//!
//! A new layout or pitfall is a fixture pair. After a deliberate change,
//! refresh the expected files with `SELFDATA_BLESS=1 cargo test -p
//! selfdata-mobility --test fixtures` and read the diff before committing.

use std::path::{Path, PathBuf};

use selfdata_mobility::import::import;
use selfdata_mobility::sources::Lang;
use selfdata_mobility::{GivenTrip, Point, Visit};
use serde_json::{Value, json};

const EXPECTED: &str = ".expected.json";

/// UTC seconds as RFC 3339.
fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| format!("?{t}"))
}

/// E7 as degrees, exactly: `46.1591234`, `-1.1512345`.
fn deg(e7: i32) -> String {
    let sign = if e7 < 0 { "-" } else { "" };
    let a = e7.unsigned_abs();
    format!("{sign}{}.{:07}", a / 10_000_000, a % 10_000_000)
}

fn point(p: &Point) -> String {
    let acc = p.accuracy_m.map_or("-".to_string(), |a| a.to_string());
    format!("{} {} {} {acc}", time(p.t), deg(p.lat_e7), deg(p.lon_e7))
}

fn trip(t: &GivenTrip) -> Value {
    let line = format!(
        "{} {} {} {} from {} {} to {} {} path {}",
        time(t.start),
        time(t.end),
        t.mode.map_or("-", |m| m.as_str()),
        t.distance_m.map_or("-".to_string(), |d| d.to_string()),
        deg(t.from.0),
        deg(t.from.1),
        deg(t.to.0),
        deg(t.to.1),
        t.path.len()
    );
    if t.path.is_empty() {
        json!(line)
    } else {
        json!({ "trip": line, "path": t.path.iter().map(point).collect::<Vec<_>>() })
    }
}

fn visit(v: &Visit) -> String {
    format!(
        "{} {} {} {}",
        time(v.start),
        time(v.end),
        deg(v.lat_e7),
        deg(v.lon_e7)
    )
}

fn normalised(bytes: &[u8]) -> Value {
    match import(bytes) {
        Ok(p) => json!({
            "layout": p.layout.describe(),
            "rows": p.rows,
            "skipped": p.skipped,
            "points": p.points.iter().map(point).collect::<Vec<_>>(),
            "trips": p.trips.iter().map(trip).collect::<Vec<_>>(),
            "visits": p.visits.iter().map(visit).collect::<Vec<_>>(),
        }),
        Err(refusal) => json!({
            "refused": {
                "line": refusal.error.line(),
                "en": refusal.sentence(Lang::En),
                "fr": refusal.sentence(Lang::Fr),
            }
        }),
    }
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(EXPECTED))
        .collect();
    out.sort();
    out
}

fn expected_path(fixture: &Path) -> PathBuf {
    let stem = fixture.file_stem().unwrap().to_string_lossy();
    fixture.with_file_name(format!("{stem}{EXPECTED}"))
}

#[test]
fn every_fixture_gives_its_expected_normalised_output() {
    let bless = std::env::var_os("SELFDATA_BLESS").is_some();
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let got = normalised(&std::fs::read(&fixture).unwrap());
        let path = expected_path(&fixture);
        if bless {
            let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!(
                "{}: no expected file (run with SELFDATA_BLESS=1)",
                fixture.display()
            ));
            continue;
        };
        let expected: Value = serde_json::from_str(&text).unwrap();
        if got != expected {
            failures.push(format!(
                "{}:\n expected {expected:#}\n got      {got:#}",
                fixture.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

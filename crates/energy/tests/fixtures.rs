//! The importers tested as data: every file in `tests/fixtures/` is read
//! through the import contract and its normalised output compared with the
//! expected file beside it (`x.csv` → `x.expected.json`): layout, holder,
//! meter, declared period, and every reading as
//! `start end value` (UTC, stored unit; `-` for a missing value, `estimated`
//! when the holder says so), or the refusal and its line.
//!
//! A new importer or layout is a fixture pair. After a deliberate change,
//! refresh the expected files with `SELFDATA_BLESS=1 cargo test -p
//! selfdata-energy --test fixtures` and read the diff before committing.

use std::path::{Path, PathBuf};

use selfdata_energy::import::import;
use selfdata_energy::sources::{Lang, verdict};
use selfdata_energy::{Parsed, Reading};
use serde_json::{Value, json};

const EXPECTED: &str = ".expected.json";

fn reading(r: &Reading) -> String {
    let value = r.value.map_or_else(|| "-".to_owned(), |v| v.to_string());
    let estimated = if r.estimated { " estimated" } else { "" };
    format!("{} {} {value}{estimated}", r.start, r.end)
}

/// What a fixture gives, as compared and written.
fn normalised(bytes: &[u8]) -> Value {
    match import(bytes) {
        Ok(p) => parsed(&p),
        Err(refusal) => json!({
            "refused": {
                "line": refusal.error.line(),
                "en": refusal.sentence(Lang::En),
                "fr": refusal.sentence(Lang::Fr),
            }
        }),
    }
}

fn parsed(p: &Parsed) -> Value {
    let all = p.series.iter().flat_map(|s| &s.readings);
    let first = all.clone().map(|r| r.start).min();
    let last = all.map(|r| r.end).max();
    json!({
        "layout": p.layout.describe(),
        "holder": p.layout.holder().name(),
        "meter": p.meter,
        "rows": p.rows,
        "declared": p.declared.map(|(a, b)| [a.to_string(), b.to_string()]),
        "partial": verdict::coverage(p.declared, first, last).is_partial(),
        "series": p.series.iter().map(|s| json!({
            "quantity": format!("{:?}", s.quantity),
            "unit": s.quantity.unit(),
            "readings": s.readings.iter().map(reading).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            !name.ends_with(EXPECTED) && !name.ends_with(".md")
        })
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
    let fixtures = fixtures();
    assert!(fixtures.len() >= 13, "only {} fixtures", fixtures.len());
    for fixture in &fixtures {
        let got = normalised(&std::fs::read(fixture).unwrap());
        let mut text = serde_json::to_string_pretty(&got).unwrap();
        text.push('\n');
        let path = expected_path(fixture);
        if bless {
            std::fs::write(&path, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(want) if want == text => {}
            Ok(want) => {
                let diff = want
                    .lines()
                    .zip(text.lines())
                    .enumerate()
                    .find(|(_, (a, b))| a != b)
                    .map(|(i, (a, b))| format!("line {}: expected {a:?}, got {b:?}", i + 1))
                    .unwrap_or_else(|| "lengths differ".into());
                failures.push(format!("{}: {diff}", path.display()));
            }
            Err(_) => failures.push(format!("{}: missing", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\n(after a deliberate change: SELFDATA_BLESS=1 cargo test -p selfdata-energy --test fixtures)",
        failures.join("\n")
    );
}

#[test]
fn no_expected_file_is_left_without_its_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let fixtures = fixtures();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(EXPECTED) {
            assert!(
                fixtures.iter().any(|f| expected_path(f) == path),
                "{} has no fixture",
                path.display()
            );
        }
    }
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn fixtures_keep_their_pitfalls() {
    assert!(read("enedis_load_curve.csv").starts_with(b"\xEF\xBB\xBF"));
    assert!(!read("enedis_load_curve_10min.csv").ends_with(b"\n"));
    for windows_1252 in ["enedis_old.csv", "water_portal.csv"] {
        assert!(
            std::str::from_utf8(&read(windows_1252)).is_err(),
            "{windows_1252}"
        );
    }
}

//! The reader tested as data: every file in `tests/fixtures/` is read and
//! what it gives, normalised, is compared with the expected file beside it
//! (`x.zip` → `x.expected.json`): the platform, the evidence as one line
//! each (`organisation | platform | kind and figures`, times in UTC), the
//! files read, the tally and the notes; or the refusal in English and French.
//!
//! The fixtures are built by `tests/common/mod.rs` (generated archives, archives
//! written by hand around one pitfall each, hostile zips); a test checks that
//! the committed ones are what it builds. After a deliberate change, rewrite
//! them with `cargo test -p selfdata-archives --test fixtures -- --ignored
//! write_fixtures`, refresh the expected files with `SELFDATA_BLESS=1 cargo
//! test -p selfdata-archives --test fixtures`, and read the diff.

mod common;

use std::io::Cursor;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use selfdata_archives::{Archive, EvidenceKind, Lang, read_archive};
use serde_json::{Value, json};

const EXPECTED: &str = ".expected.json";

fn span(first: Option<Timestamp>, last: Option<Timestamp>) -> String {
    let t = |t: Option<Timestamp>| t.map_or("-".to_string(), |t| t.to_string());
    format!("{}..{}", t(first), t(last))
}

fn kind(k: &EvidenceKind) -> String {
    match k {
        EvidenceKind::Audience {
            data_file,
            remarketing,
            store_visit,
        } => {
            let ways: Vec<&str> = [
                (*data_file, "data_file"),
                (*remarketing, "remarketing"),
                (*store_visit, "store_visit"),
            ]
            .into_iter()
            .filter_map(|(on, w)| on.then_some(w))
            .collect();
            format!(
                "audience {}",
                if ways.is_empty() {
                    "-".into()
                } else {
                    ways.join(" ")
                }
            )
        }
        EvidenceKind::ActivityFromElsewhere {
            events,
            first,
            last,
            types,
        } => {
            let types: Vec<String> = types.iter().map(|(t, n)| format!("{t} {n}")).collect();
            format!(
                "activity {events} events {} [{}]",
                span(*first, *last),
                types.join(", ")
            )
        }
        EvidenceKind::ProductActivity {
            product,
            items,
            from_ads,
            first,
            last,
        } => format!(
            "product {product}: {items} items, {from_ads} from ads, {}",
            span(*first, *last)
        ),
        EvidenceKind::AdClicks {
            clicks,
            first,
            last,
        } => format!("ad clicks {clicks} {}", span(*first, *last)),
    }
}

fn normalised_archive(a: &Archive) -> Value {
    json!({
        "platform": a.platform.name(),
        "evidence": a.evidence.iter().map(|e| format!(
            "{} | {} | {}", e.organisation, e.platform.name(), kind(&e.kind)
        )).collect::<Vec<_>>(),
        "files": a.files.iter().map(|f| format!(
            "{}: {}, {} items, {} skipped", f.path, f.section.describe(), f.items, f.skipped
        )).collect::<Vec<_>>(),
        "tally": format!(
            "{} entries, {} opened, {} read, {} items, {} skipped, {} bytes decompressed",
            a.tally.entries, a.tally.opened, a.tally.read, a.tally.items,
            a.tally.skipped_items, a.tally.decompressed
        ),
        "notes": a.notes.iter().map(|n| n.sentence(a.platform, Lang::En)).collect::<Vec<_>>(),
    })
}

fn normalised(bytes: &[u8]) -> Value {
    match read_archive(Cursor::new(bytes), |_| {}) {
        Ok(a) => normalised_archive(&a),
        Err(e) => json!({
            "refused": { "en": e.sentence(Lang::En), "fr": e.sentence(Lang::Fr) }
        }),
    }
}

fn expected_path(fixture: &Path) -> PathBuf {
    let stem = fixture.file_stem().unwrap().to_string_lossy();
    fixture.with_file_name(format!("{stem}{EXPECTED}"))
}

#[test]
fn every_fixture_gives_its_expected_normalised_output() {
    let bless = std::env::var_os("SELFDATA_BLESS").is_some();
    let mut failures = Vec::new();
    let fixtures = common::fixture_files();
    assert!(fixtures.len() >= 30, "only {} fixtures", fixtures.len());
    for (name, bytes) in fixtures {
        let fixture = common::fixtures_dir().join(&name);
        let got = normalised(&bytes);
        let path = expected_path(&fixture);
        if bless {
            std::fs::write(&path, serde_json::to_string_pretty(&got).unwrap() + "\n").unwrap();
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!(
                "{name}: no expected file (run with SELFDATA_BLESS=1)"
            ));
            continue;
        };
        let expected: Value = serde_json::from_str(&text).unwrap();
        if got != expected {
            failures.push(format!(
                "{name}:\n expected {expected:#}\n got      {got:#}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_committed_fixtures_are_what_the_builders_write() {
    for (name, bytes) in common::all_fixtures() {
        let committed = std::fs::read(common::fixtures_dir().join(&name))
            .unwrap_or_else(|e| panic!("{name}: {e} (run the ignored write_fixtures test)"));
        assert!(
            committed == bytes,
            "{name} differs from what its builder writes"
        );
    }
}

/// Writes the fixtures into `tests/fixtures/`.
#[test]
#[ignore = "writes files; run by hand after changing a builder or the generator"]
fn write_fixtures() {
    std::fs::create_dir_all(common::fixtures_dir()).unwrap();
    for (name, bytes) in common::all_fixtures() {
        std::fs::write(common::fixtures_dir().join(name), bytes).unwrap();
    }
}

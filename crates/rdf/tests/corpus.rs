//! Replays every file of `tests/corpus/<target>/` through the same checks
//! the fuzz targets in `fuzz/` run (see `selfdata_rdf::fuzzing`), so nasty
//! inputs found once stay covered by ordinary `cargo test`.

use selfdata_rdf::{RdfFormat, fuzzing};
use std::path::PathBuf;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files in {}", dir.display());
    for path in files {
        let data = std::fs::read(&path).expect("readable corpus file");
        // Name the file if the check panics.
        let result = std::panic::catch_unwind(|| check(&data));
        if let Err(panic) = result {
            let message = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(non-string panic)");
            panic!("{} failed: {message}", path.display());
        }
    }
}

#[test]
fn turtle_corpus() {
    replay("turtle", |data| fuzzing::check_rdf(data, RdfFormat::Turtle));
    // N-Triples shares the lexer; the same nasty inputs apply.
    replay("turtle", |data| {
        fuzzing::check_rdf(data, RdfFormat::NTriples)
    });
}

#[test]
fn jsonld_corpus() {
    replay("jsonld", |data| fuzzing::check_rdf(data, RdfFormat::JsonLd));
}

#[test]
fn n3_patch_corpus() {
    replay("n3_patch", fuzzing::check_n3_patch);
}

#[test]
fn sparql_update_corpus() {
    replay("sparql_update", fuzzing::check_sparql_update);
}

#[test]
fn rdfa_corpus() {
    replay("rdfa", fuzzing::check_rdfa);
    // The pages tested as data seed the fuzzer too (`tests/rdfa/`).
    replay("../rdfa", fuzzing::check_rdfa);
}

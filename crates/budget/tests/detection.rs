//! Detection from the content alone: each bank file is taken for exactly
//! one layout, and no meter file of the energy service (its fixtures and
//! its corpus, read from that crate's folder, not through its code) is
//! taken for a bank statement.

use std::path::Path;

use selfdata_budget::import::{import, importers};
use selfdata_budget::sources::ImportError;

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            !name.ends_with(".expected.json") && !name.ends_with(".md")
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_statement_fixture_is_taken_for_exactly_one_layout() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for path in files(&dir) {
        let bytes = std::fs::read(&path).unwrap();
        let takers: Vec<_> = importers()
            .into_iter()
            .filter(|i| i.detect(&bytes))
            .map(|i| i.expected().what_en)
            .collect();
        // Files no importer should take are refused as unrecognised or empty.
        let expected = path.with_file_name(format!(
            "{}.expected.json",
            path.file_stem().unwrap().to_string_lossy()
        ));
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(expected).unwrap()).unwrap();
        let en = expected["refused"]["en"].as_str().unwrap_or("");
        let nobody =
            en.starts_with("this file is not an export") || en.starts_with("the file is empty");
        let want = usize::from(!nobody);
        assert_eq!(takers.len(), want, "{}: {takers:?}", path.display());
    }
}

#[test]
fn no_meter_file_is_taken_for_a_bank_statement() {
    let energy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../energy/tests");
    let mut seen = 0;
    for dir in ["fixtures", "corpus"] {
        for path in files(&energy.join(dir)) {
            let bytes = std::fs::read(&path).unwrap();
            let refusal = import(&bytes).unwrap_err();
            assert!(
                matches!(
                    refusal.error,
                    ImportError::Unrecognised | ImportError::EmptyFile
                ),
                "{}: {}",
                path.display(),
                refusal
            );
            seen += 1;
        }
    }
    assert!(seen > 20, "only {seen} energy files found");
}

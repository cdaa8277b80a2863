//! The identifier readers tested as data: every file in `tests/identify/`
//! is read as one customer's file, and what is found compared with the
//! expected file beside it (`x.ofx` → `x.ofx.expected`): the customer the
//! first bytes name (format and normalised identifier) or the refusal, and
//! whether the whole file names that customer only. Each fixture is also
//! cut at every length through the fuzz target's checks
//! (`selfdata_holders::fuzzing::check_identify`): the first bytes never
//! name another customer than the whole file.
//!
//! A new case is a file; after a deliberate change, refresh the expected
//! files with `SELFDATA_BLESS=1 cargo test -p selfdata-holders --test
//! identify` and read the diff before committing.

use std::path::Path;

use selfdata_holders::identify::{Format, Identified, check_whole, identify};

const EXPECTED: &str = ".expected";

fn described(file: &[u8]) -> String {
    match identify(file, true) {
        Identified::Customer { format, identifier } => {
            let name = match format {
                Format::EnedisCsv => "enedis-csv",
                Format::Ofx => "ofx",
            };
            let whole = match check_whole(file, format, &identifier) {
                Ok(()) => "one customer".to_owned(),
                Err(e) => format!("refused: {e}"),
            };
            format!("customer: {name} {identifier}\nwhole: {whole}\n")
        }
        Identified::Refused(e) => format!("refused: {e}\n"),
        Identified::NeedMore => "undecided\n".to_owned(),
    }
}

#[test]
fn every_fixture_names_its_expected_customer() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/identify");
    let bless = std::env::var_os("SELFDATA_BLESS").is_some();
    let mut seen = 0;
    let mut wrong = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(EXPECTED))
        .collect();
    entries.sort();
    for path in entries {
        let bytes = std::fs::read(&path).unwrap();
        let got = described(&bytes);
        let expected_path = format!("{}{EXPECTED}", path.display());
        if bless {
            std::fs::write(&expected_path, &got).unwrap();
        } else {
            let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
            if expected != got {
                wrong.push(format!(
                    "{}:\n  expected {expected:?}\n  got      {got:?}",
                    path.display()
                ));
            }
        }
        for cut in 0..=255u8 {
            let mut data = vec![cut];
            data.extend_from_slice(&bytes);
            selfdata_holders::fuzzing::check_identify(&data);
        }
        seen += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(seen >= 10, "the fixtures are there ({seen})");
}

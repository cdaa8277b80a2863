//! Nasty inputs kept as regression tests: every file of `tests/nasty/`
//! (crafted files found by hand or by the fuzz target) is split and read as
//! a receipt, read as one customer's file and as a signing key and a
//! signature through the fuzz targets' own
//! checks (`selfdata_holders::fuzzing`),
//! whole and cut at every length.

#[test]
fn every_nasty_input_keeps_the_invariants_whole_and_cut() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nasty");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in 0..=bytes.len() {
            selfdata_holders::fuzzing::check_split(&bytes[..cut]);
            selfdata_holders::fuzzing::check_receipt(&bytes[..cut]);
            selfdata_holders::fuzzing::check_identify(&bytes[..cut]);
            selfdata_holders::fuzzing::check_signing(&bytes[..cut]);
        }
        seen += 1;
    }
    assert!(seen >= 10, "the corpus is there ({seen} files)");
}

//! Fuzzes the bank statement importers (`selfdata_budget::import::import`:
//! OFX 1 and 2, CAMT.053, the bank CSVs): no panic, a refusal is
//! `Unrecognised` exactly when no layout detects the file and names a line
//! of the file, and a statement read has valid dates (written and read back
//! as the same day) and amounts that add up without overflow (see
//! `selfdata_budget::fuzzing::check_import`). Seed corpus:
//! `crates/budget/tests/fixtures/` (the `*.expected.json` files are harmless
//! seeds too).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_budget::fuzzing::check_import(data);
});

//! Fuzzes the location importers (`selfdata_mobility::fuzzing::check_import`):
//! no panic, a refusal names a line of the file, "unrecognised" exactly when
//! no layout detects the file, every position read lies on Earth at a time
//! that can be shown, and a `Records.json` streamed gives what it gives read
//! whole. Seeds: `crates/mobility/tests/fixtures/` (replayed cut and flipped
//! by `crates/mobility/tests/prefixes.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_mobility::fuzzing::check_import(data);
});

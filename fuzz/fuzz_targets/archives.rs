//! Fuzzes the GDPR archive reader (`selfdata_archives::fuzzing::check_archive`):
//! no panic; the same result whether the input hands out its bytes all at
//! once or seven at a time; progress never going back and ending at the
//! input's size; refusals as clean sentences; what is decompressed bounded
//! by the caps and the input's size; evidence within its caps, clean, in
//! order and sorted. Seeds: `crates/archives/tests/fixtures/` (replayed cut
//! and with bytes changed by `crates/archives/tests/prefixes.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_archives::fuzzing::check_archive(data);
});

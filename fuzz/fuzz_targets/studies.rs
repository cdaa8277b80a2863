//! Fuzzes what the two aggregators read from outside
//! (`selfdata_studies::fuzzing`): shares, verification states, verifier
//! messages and totals decoded by the VDAF, and the DAP messages as JSON; no
//! panic, garbage never verifies. Seeds: `crates/studies/tests/nasty/`
//! (replayed by `crates/studies/tests/nasty.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_studies::fuzzing::check_shares(data);
    selfdata_studies::fuzzing::check_messages(data);
});

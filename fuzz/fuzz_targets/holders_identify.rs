//! Fuzzes the identifier readers of a holder's push of one file per
//! customer (`selfdata_holders::identify`, checked by
//! `selfdata_holders::fuzzing::check_identify`): no panic, the first bytes
//! (the first byte of the input picks where the file is cut) never name
//! another customer than the whole file, identifiers found are normalised
//! and bounded, refusals are sentences naming no customer.
//! Seeds: `crates/holders/tests/identify/` (replayed by
//! `crates/holders/tests/identify.rs`) and `crates/holders/tests/nasty/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_holders::fuzzing::check_identify(data);
});

//! Fuzzes what a holder's signing brings from outside: the public key the
//! operator pastes and the `Holder-Signature` header of a push
//! (`selfdata_holders::signing`, checked by
//! `selfdata_holders::fuzzing::check_signing`): no panic, a key read is
//! written back the same, a header either reads as a signature or is
//! refused as malformed. Seeds: `crates/holders/tests/nasty/`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_holders::fuzzing::check_signing(data);
});

//! Fuzzes a holder's push: the customer splitter and the receipt reader
//! (`selfdata_holders::fuzzing`): no panic, the same split whatever the
//! chunks, what is kept within its caps, receipts read back as written.
//! Seeds: `crates/holders/tests/nasty/` (replayed by `crates/holders/tests/nasty.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_holders::fuzzing::check_split(data);
    selfdata_holders::fuzzing::check_receipt(data);
});

//! Fuzzes the GPX and GeoJSON location readers
//! (`selfdata_mobility::import::fuzzing::fuzz_parse`): no panic, a refusal
//! names a line of the file, and every point or waypoint read lies within
//! ±90° of latitude and ±180° of longitude at a time that can be shown.
//! Seeds: any GPX or GeoJSON trace (the unit tests of
//! `crates/mobility/src/import/` hold small ones).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_mobility::import::fuzzing::fuzz_parse(data);
});

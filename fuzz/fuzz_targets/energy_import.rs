//! Fuzzes the selfdata-energy meter importers: `parse` never panics, says
//! `Unrecognised` exactly when `detect` finds no layout, agrees with `detect`
//! on the layout, and every series it returns is sorted without overlaps
//! (see `selfdata_energy::fuzzing::check_import`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_energy::fuzzing::check_import(data);
});

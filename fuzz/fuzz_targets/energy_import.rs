//! Fuzzes the selfdata-energy meter importers through the import contract
//! (`selfdata_sources::import` over every `Layout`): the contract and the
//! one-pass `import::import` give the same result; `parse` never panics,
//! says `Unrecognised` (or `EmptyFile`) exactly when `detect` finds no layout,
//! agrees with `detect` on the layout, and every series it returns is sorted
//! without overlaps (see `selfdata_energy::fuzzing::check_import`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_energy::fuzzing::check_import(data);
});

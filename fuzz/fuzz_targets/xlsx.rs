//! Fuzzes the XLSX reader of selfdata-energy (`import::xlsx`): whatever the
//! zip declares, what it decompresses stays within the caps, sheets keep at
//! most `MAX_CELLS` cells over a capped used range, sorted and unique, and
//! the importers agree with `detect` (see `selfdata_energy::fuzzing`).
//! Seed corpus: `crates/energy/tests/corpus/` (the `xlsx_*.xlsx` files are
//! built by `crates/energy/tests/xlsx.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_energy::fuzzing::check_xlsx(data);
    selfdata_energy::fuzzing::check_import(data);
});

//! Fuzzes SPARQL Update parsing and application.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfdata_rdf::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::check_sparql_update(data);
});

//! Fuzzes the JSON-LD parser and the serialise/re-parse round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfdata_rdf::{RdfFormat, fuzzing};

fuzz_target!(|data: &[u8]| {
    fuzzing::check_rdf(data, RdfFormat::JsonLd);
});

//! Fuzzes the RDFa reader of stored web pages (HTML and XHTML).
#![no_main]

use libfuzzer_sys::fuzz_target;
use selfdata_rdf::fuzzing;

fuzz_target!(|data: &[u8]| {
    fuzzing::check_rdfa(data);
});

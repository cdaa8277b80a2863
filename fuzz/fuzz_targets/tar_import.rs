//! Fuzzes the pod archive reader of selfdata-web (`export::read_tar` and
//! `export::check_archive`): no panic, nothing allocated from what a header
//! claims, files within the archive's own size, and every media type
//! accepted from a manifest is a clean media type (RDF for ACLs and
//! containers) that reads back as itself (see `selfdata_privacy_web::export::fuzzing`).
//! Seed corpus: `crates/privacy-web/tests/corpus/tar/` (built by
//! `crates/privacy-web/tests/archives.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_privacy_web::export::fuzzing::check_tar(data);
});

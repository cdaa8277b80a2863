//! Replays the nasty inputs of `tests/corpus/` (malformed JWS, hostile
//! headers and keys, overflowing dates, odd URLs, bad JWKS and private JWKs)
//! through [`selfdata_oidc::fuzzing::check`]: nothing may panic and nothing
//! may be accepted. The fuzz target `dpop` in the top-level `fuzz/` folder
//! runs the same function.

use std::fs;

#[test]
fn corpus_never_panics_nor_accepts() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut count = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let data = fs::read(&path).unwrap();
        assert_eq!(
            selfdata_oidc::fuzzing::check(&data),
            0,
            "{} was accepted",
            path.display()
        );
        // Also every prefix of the small ones, to hit truncations.
        if data.len() < 600 {
            for end in 0..data.len() {
                selfdata_oidc::fuzzing::check(&data[..end]);
            }
        }
        count += 1;
    }
    assert!(count >= 40, "corpus missing: {count} files");
}

#[test]
fn valid_inputs_are_accepted_by_the_fuzz_entry_point() {
    // Sanity: `check` really reaches the verifiers (a valid proof counts).
    let key = selfdata_oidc::DpopKey::generate();
    let proof = key.proof("GET", "https://pod.example/a", None, 1_700_000_000);
    assert!(selfdata_oidc::fuzzing::check(proof.as_bytes()) >= 1);
}

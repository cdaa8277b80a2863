//! Fuzzes selfdata-oidc: DPoP proofs, access tokens, JWKs, JWKS, private
//! JWKs, PKCE and URL normalization (see `selfdata_oidc::fuzzing::check`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    selfdata_oidc::fuzzing::check(data);
});

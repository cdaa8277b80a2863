//! Entry points for fuzzing (cargo-fuzz target `dpop`) and for the corpus
//! test: feed arbitrary bytes to every parser and verifier of this crate.
//! They must return errors, never panic.

use std::sync::OnceLock;

use crate::{
    AccessTokenCheck, DpopCheck, Jwks, KeySet, SigningKey, jwk_thumbprint, pkce_s256_matches,
    verify_dpop_proof,
};

/// A fixed key set, so that fuzzing does not spend its time generating keys.
fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::new(SigningKey::generate(), vec![SigningKey::generate()]))
}

/// Runs `data` (lossily decoded as UTF-8) through every entry point: as a
/// DPoP proof (with and without an access token), an access token for our
/// key set and for a JWKS, a JWK (thumbprint), a JWKS, a private JWK, a PKCE
/// verifier and challenge, and a URL to normalize. If the input has a
/// newline, the part after the first one is used as request URL and as
/// access token. Returns the number of inputs accepted (normally 0).
pub fn check(data: &[u8]) -> usize {
    let text = String::from_utf8_lossy(data);
    let (first, second) = text
        .split_once('\n')
        .unwrap_or((&text, "https://pod.example/a"));
    let mut accepted = 0;
    let now = 1_700_000_000;
    for (method, url) in [("GET", "https://pod.example/a"), ("POST", second)] {
        let mut check = DpopCheck::new(first, method, url, now);
        accepted += usize::from(verify_dpop_proof(&check).is_ok());
        check.access_token = Some(second);
        check.max_age_secs = i64::MAX;
        check.max_future_skew_secs = i64::MAX;
        check.now = i64::MIN;
        accepted += usize::from(verify_dpop_proof(&check).is_ok());
    }
    for check in [
        AccessTokenCheck::new("https://pod.example", now),
        AccessTokenCheck {
            issuer: second,
            now: i64::MAX,
            leeway_secs: i64::MAX,
        },
    ] {
        accepted += usize::from(keys().verify_access_token(first, &check).is_ok());
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(first) {
        let _ = jwk_thumbprint(&value);
        if let Ok(jwks) = Jwks::from_json(&value) {
            accepted += usize::from(
                jwks.verify_access_token(second, &AccessTokenCheck::new(second, now))
                    .is_ok(),
            );
        }
        let jwks = keys().jwks();
        let _ = crate::verify_access_token_with_jwks(&jwks, first, "https://pod.example", now);
    }
    if let Ok(key) = SigningKey::from_private_jwk_json(first) {
        let _ = SigningKey::from_private_jwk_json(&key.to_private_jwk_json());
    }
    let _ = pkce_s256_matches(first, second);
    let _ = crate::dpop::normalize_htu(first);
    accepted
}

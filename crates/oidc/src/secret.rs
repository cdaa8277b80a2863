//! Opaque random secrets (authorization codes, refresh tokens, client
//! secrets), their storage hashes, and PKCE (RFC 7636).

use sha2::{Digest, Sha256};

use crate::jws::{b64, ct_eq};

/// `N` bytes from the thread-local CSPRNG (ChaCha12, seeded and periodically
/// reseeded from the operating system).
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::fill(&mut bytes);
    bytes
}

/// A fresh 256-bit random token, base64url without padding (43 characters).
/// Use it for authorization codes, refresh tokens, client secrets.
pub fn random_token() -> String {
    b64(&random_bytes::<32>())
}

/// The SHA-256 of a token, to store instead of the token itself. Tokens
/// from [`random_token`] carry 256 bits of entropy, so an unsalted fast
/// hash is enough: look the hash up, never the token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `verifier` is a valid RFC 7636 code verifier: 43 to 128
/// characters of `[A-Za-z0-9-._~]`.
pub fn pkce_verifier_is_valid(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 code challenge of a verifier: `base64url(sha256(verifier))`.
pub fn pkce_s256_challenge(verifier: &str) -> String {
    b64(&Sha256::digest(verifier.as_bytes()))
}

/// PKCE S256 check (RFC 7636 section 4.6): `verifier` is well-formed and
/// `base64url(sha256(verifier))` equals `challenge` (compared in constant time).
///
/// ```
/// // RFC 7636 appendix B.
/// assert!(selfdata_oidc::pkce_s256_matches(
///     "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
///     "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
/// ));
/// ```
pub fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    pkce_verifier_is_valid(verifier)
        && ct_eq(
            pkce_s256_challenge(verifier).as_bytes(),
            challenge.as_bytes(),
        )
}

//! The cryptographic core of selfdata's Solid-OIDC provider and resource
//! server: ES256 signing keys with rotation, RFC 9068 access tokens and ID
//! tokens, DPoP proof verification (RFC 9449), JWK thumbprints (RFC 7638),
//! PKCE (RFC 7636), a replay cache and opaque random tokens.
//!
//! This crate does no IO: the HTTP layer passes the current time, request
//! method and URL, and stores keys and token hashes itself. No function
//! panics on untrusted input; every refusal is an [`OidcError`] whose
//! `Display` is a sentence fit for an HTTP 401 `error_description`.
//!
//! Cost per request on the resource server is dominated by ECDSA P-256
//! verification (pure-Rust `p256`): one for the DPoP proof, one for the
//! access token unless it is served from a [`VerifiedTokenCache`]. Run
//! `cargo run --release -p selfdata-oidc --example throughput` to measure.
//!
//! A resource server request, end to end:
//!
//! ```
//! use selfdata_oidc::*;
//!
//! let keys = KeySet::generate();
//! let client = DpopKey::generate();
//! let now = 1_700_000_000;
//! let claims = AccessClaims {
//!     iss: "https://pod.example".into(),
//!     sub: "https://pod.example/profile/card#me".into(),
//!     aud: AccessClaims::audience("https://app.example/id"),
//!     webid: "https://pod.example/profile/card#me".into(),
//!     client_id: "https://app.example/id".into(),
//!     cnf: Some(Confirmation { jkt: client.thumbprint() }),
//!     iat: now,
//!     exp: now + 300,
//!     jti: random_token(),
//!     scope: "openid webid".into(),
//!     sid: Some("grant-1".into()),
//! };
//! let token = sign_access_token(&keys, &claims);
//! let url = "https://pod.example/notes/a.ttl";
//! let proof = client.proof("GET", url, Some(&token), now);
//!
//! // In the handler:
//! let replay = ReplayCache::new(120, 100_000);
//! let verified = verify_dpop_proof(&DpopCheck::new(&proof, "GET", url, now).with_access_token(&token))?;
//! assert!(replay.check_and_insert(&verified.replay_key(), now));
//! let got = verify_access_token(&keys, &token, "https://pod.example", now)?;
//! got.check_binding(&verified)?;
//! assert_eq!(got.webid, claims.webid);
//! # Ok::<_, OidcError>(())
//! ```

mod cache;
mod dpop;
mod error;
mod jwk;
mod jws;
mod keys;
mod replay;
mod secret;
mod tokens;

pub mod fuzzing;

pub use cache::VerifiedTokenCache;
pub use dpop::{
    DEFAULT_DPOP_FUTURE_SKEW_SECS, DEFAULT_DPOP_MAX_AGE_SECS, DpopCheck, DpopKey, MAX_JTI_LEN,
    MAX_PROOF_LEN, VerifiedProof, access_token_hash, verify_dpop_proof,
};
pub use error::OidcError;
pub use jwk::jwk_thumbprint;
pub use keys::{Jwks, KeySet, SigningKey};
pub use replay::ReplayCache;
pub use secret::{
    pkce_s256_challenge, pkce_s256_matches, pkce_verifier_is_valid, random_token, token_hash,
};
pub use tokens::{
    AccessClaims, AccessTokenCheck, Confirmation, DEFAULT_LEEWAY_SECS, IdClaims, MAX_TOKEN_LEN,
    SOLID_AUDIENCE, sign_access_token, sign_id_token, unverified_issuer, verify_access_token,
    verify_access_token_with_jwks,
};

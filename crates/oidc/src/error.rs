//! The single error type of this crate.
//!
//! Every variant's `Display` is one short English sentence made only of
//! characters allowed in an RFC 6750 `error_description` (printable ASCII
//! without `"` and `\`), so the HTTP layer can copy it verbatim into a
//! `WWW-Authenticate` header or a JSON error body. Messages never echo input.

/// Why a token, proof or key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The token or proof exceeds the size limit.
    #[error("The token is too large.")]
    TooLarge,
    /// The compact JWS could not be split or decoded.
    #[error("The token is malformed: {0}.")]
    Malformed(&'static str),
    /// The header says `alg: none`.
    #[error("Unsigned tokens are not accepted.")]
    AlgNone,
    /// The header names an algorithm this verifier refuses (HMAC, unknown, or not allowed for this key).
    #[error("The token is signed with an unsupported algorithm.")]
    UnsupportedAlgorithm,
    /// The `typ` header is not the one required (`at+jwt` or `dpop+jwt`).
    #[error("The token typ header must be {0}.")]
    WrongType(&'static str),
    /// No key of the key set matches the token's `kid` (or none verifies it).
    #[error("The token is signed with an unknown key.")]
    UnknownKey,
    /// A JWK or stored key is unusable.
    #[error("The key is invalid: {0}.")]
    InvalidKey(&'static str),
    /// The signature does not verify.
    #[error("The token signature is invalid.")]
    BadSignature,
    /// A claim is missing or has the wrong type.
    #[error("The token claims are invalid: {0}.")]
    InvalidClaims(&'static str),
    /// `exp` is in the past (beyond the leeway).
    #[error("The token has expired.")]
    Expired,
    /// `iat` is in the future (beyond the leeway).
    #[error("The token is not valid yet.")]
    NotYetValid,
    /// `iss` differs from the expected issuer.
    #[error("The token was not issued by the expected issuer.")]
    WrongIssuer,
    /// `aud` does not contain `solid`.
    #[error("The token audience does not include solid.")]
    WrongAudience,
    /// The access token's `cnf.jkt` differs from the DPoP proof's key thumbprint.
    #[error("The access token is not bound to the DPoP proof key.")]
    NotBound,
    /// The DPoP proof has no `jwk` header.
    #[error("The DPoP proof has no jwk header.")]
    DpopMissingJwk,
    /// The DPoP proof's `jwk` contains private key members.
    #[error("The DPoP proof jwk contains private key material.")]
    DpopPrivateKey,
    /// `htm` differs from the request method.
    #[error("The DPoP proof htm claim does not match the request method.")]
    DpopWrongMethod,
    /// `htu` differs from the request URL (ignoring query and fragment).
    #[error("The DPoP proof htu claim does not match the request URL.")]
    DpopWrongUrl,
    /// `iat` is older than the accepted window.
    #[error("The DPoP proof is too old.")]
    DpopTooOld,
    /// `iat` is further in the future than the accepted clock skew.
    #[error("The DPoP proof is issued in the future.")]
    DpopFromFuture,
    /// `ath` is missing or differs from the hash of the presented access token.
    #[error("The DPoP proof ath claim does not match the access token.")]
    DpopAthMismatch,
    /// The proof's `jti` was seen before (reported by the caller after [`crate::ReplayCache`]).
    #[error("The DPoP proof has already been used.")]
    Replayed,
}

impl OidcError {
    /// The OAuth error code to send with this error: `invalid_dpop_proof`
    /// (RFC 9449 section 7.1) for problems of the DPoP proof itself, otherwise
    /// `invalid_token` (RFC 6750 section 3.1). Token-level variants
    /// (`Malformed`, `BadSignature`, ...) are reported as `invalid_token`
    /// even when they came from a proof; callers that know they were checking
    /// a proof may prefer `invalid_dpop_proof` for every error.
    pub fn error_code(&self) -> &'static str {
        match self {
            Self::DpopMissingJwk
            | Self::DpopPrivateKey
            | Self::DpopWrongMethod
            | Self::DpopWrongUrl
            | Self::DpopTooOld
            | Self::DpopFromFuture
            | Self::DpopAthMismatch
            | Self::Replayed => "invalid_dpop_proof",
            _ => "invalid_token",
        }
    }
}

//! JWK thumbprints (RFC 7638).
//!
//! The thumbprint is the base64url SHA-256 of the JSON object made of the
//! key's required public members only, in lexicographic order, without
//! whitespace. It binds access tokens to DPoP keys (`cnf.jkt`, RFC 9449
//! section 6.1) and serves as our own signing keys' `kid`.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::OidcError;
use crate::jws::b64;

/// The RFC 7638 SHA-256 thumbprint of a public JWK (`EC`, `RSA` and `OKP`
/// key types), base64url-encoded.
///
/// Only the required members (`crv`, `kty`, `x`, `y` for EC; `e`, `kty`, `n`
/// for RSA; `crv`, `kty`, `x` for OKP) are hashed; they must be strings.
/// The values are hashed as given, not validated as keys.
///
/// ```
/// // RFC 7638 section 3.1.
/// let jwk = serde_json::json!({
///     "kty": "RSA",
///     "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
///     "e": "AQAB",
///     "alg": "RS256",
///     "kid": "2011-04-29"
/// });
/// assert_eq!(
///     selfdata_oidc::jwk_thumbprint(&jwk).unwrap(),
///     "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
/// );
/// ```
pub fn jwk_thumbprint(jwk: &Value) -> Result<String, OidcError> {
    let jwk = jwk
        .as_object()
        .ok_or(OidcError::InvalidKey("the JWK is not a JSON object"))?;
    thumbprint_of_map(jwk)
}

pub(crate) fn thumbprint_of_map(jwk: &Map<String, Value>) -> Result<String, OidcError> {
    let kty = jwk
        .get("kty")
        .and_then(Value::as_str)
        .ok_or(OidcError::InvalidKey("kty is missing"))?;
    let members: &[&str] = match kty {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return Err(OidcError::InvalidKey("the key type is not supported")),
    };
    let mut canonical = String::with_capacity(160);
    canonical.push('{');
    for (i, name) in members.iter().enumerate() {
        let value = jwk
            .get(*name)
            .and_then(Value::as_str)
            .ok_or(OidcError::InvalidKey("a required member is missing"))?;
        if i > 0 {
            canonical.push(',');
        }
        canonical.push('"');
        canonical.push_str(name);
        canonical.push_str("\":");
        // A JSON string literal; serializing a `&str` cannot fail.
        canonical.push_str(&serde_json::to_string(value).unwrap_or_default());
    }
    canonical.push('}');
    Ok(b64(&Sha256::digest(canonical.as_bytes())))
}

//! Solid-OIDC access tokens (RFC 9068 JWTs bound to a DPoP key) and ID
//! tokens: signing with the provider's [`KeySet`] and verification against
//! our own keys or a remote issuer's [`Jwks`].

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::json;

use crate::jws::{Alg, Compact, PublicKey, numeric_date, sign_es256};
use crate::keys::{Jwks, KeySet, SigningKey};
use crate::{OidcError, VerifiedProof};

/// Largest access token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// Default clock leeway for `exp` and `iat`, in seconds.
pub const DEFAULT_LEEWAY_SECS: i64 = 30;

/// The audience every Solid-OIDC access token must contain.
pub const SOLID_AUDIENCE: &str = "solid";

/// The `cnf` (confirmation) claim of a DPoP-bound token (RFC 9449 section 6.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// RFC 7638 thumbprint of the client's DPoP public key.
    pub jkt: String,
}

/// Claims of a Solid-OIDC access token (RFC 9068 plus the Solid-OIDC
/// `webid` and `client_id` claims, DPoP-bound by `cnf.jkt`).
///
/// When verifying, `sub`, `jti` and `scope` default to empty strings if
/// absent (some remote issuers omit them) and `aud` may be a single string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer URL.
    pub iss: String,
    /// Subject: the account (for us, the WebID).
    #[serde(default)]
    pub sub: String,
    /// Audiences: `["solid", client_id]` (see [`AccessClaims::audience`]).
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// The user's WebID.
    pub webid: String,
    /// The client's identifier (a Client ID Document URL or a registered id).
    pub client_id: String,
    /// The DPoP key binding. `None` for a bearer token (issued without a
    /// DPoP proof, e.g. to a script using client credentials with curl).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// Issued at (seconds since the epoch).
    #[serde(deserialize_with = "numeric_date")]
    pub iat: i64,
    /// Expiry (seconds since the epoch).
    #[serde(deserialize_with = "numeric_date")]
    pub exp: i64,
    /// Unique token id.
    #[serde(default)]
    pub jti: String,
    /// Space-separated granted scopes.
    #[serde(default)]
    pub scope: String,
    /// Id of the grant/session this token belongs to, so that revoking the
    /// grant revokes all its tokens. Absent in tokens of other issuers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

impl AccessClaims {
    /// The audience of a Solid-OIDC access token for `client_id`: `["solid", client_id]`.
    pub fn audience(client_id: &str) -> Vec<String> {
        vec![SOLID_AUDIENCE.to_owned(), client_id.to_owned()]
    }

    /// Checks that this token is bound to the key of `proof` (`cnf.jkt`
    /// equals the proof key's thumbprint, RFC 9449 section 7.1).
    pub fn check_binding(&self, proof: &VerifiedProof) -> Result<(), OidcError> {
        let Some(cnf) = &self.cnf else {
            return Err(OidcError::NotBound);
        };
        if crate::jws::ct_eq(cnf.jkt.as_bytes(), proof.jkt.as_bytes()) {
            Ok(())
        } else {
            Err(OidcError::NotBound)
        }
    }
}

/// Claims of a Solid-OIDC ID token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdClaims {
    /// Issuer URL.
    pub iss: String,
    /// Subject: the WebID.
    pub sub: String,
    /// The client id.
    pub aud: String,
    /// Authorized party: the client id.
    pub azp: String,
    /// The user's WebID.
    pub webid: String,
    /// Issued at.
    pub iat: i64,
    /// Expiry.
    pub exp: i64,
    /// The `nonce` of the authorization request, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// When the user authenticated.
    pub auth_time: i64,
    /// Unique token id.
    pub jti: String,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

fn sign(key: &SigningKey, typ: &str, claims: &impl Serialize) -> String {
    let header = json!({ "alg": "ES256", "typ": typ, "kid": key.kid() });
    // Our claim structs only hold strings and integers: serialization cannot fail.
    let payload = serde_json::to_vec(claims).unwrap_or_default();
    sign_es256(key.p256(), &header, &payload)
}

/// Signs an access token with the current key: header `typ: at+jwt`,
/// `alg: ES256`, `kid`.
pub fn sign_access_token(keys: &KeySet, claims: &AccessClaims) -> String {
    sign(keys.current(), "at+jwt", claims)
}

/// Signs an ID token with the current key: header `typ: JWT`, `alg: ES256`, `kid`.
pub fn sign_id_token(keys: &KeySet, claims: &IdClaims) -> String {
    sign(keys.current(), "JWT", claims)
}

/// What an access token must satisfy besides its signature.
#[derive(Debug, Clone, Copy)]
pub struct AccessTokenCheck<'a> {
    /// The exact `iss` expected.
    pub issuer: &'a str,
    /// Current time, seconds since the epoch.
    pub now: i64,
    /// Clock leeway for `exp` and `iat`, in seconds.
    pub leeway_secs: i64,
}

impl<'a> AccessTokenCheck<'a> {
    /// A check for `issuer` at `now` with [`DEFAULT_LEEWAY_SECS`].
    pub fn new(issuer: &'a str, now: i64) -> Self {
        Self {
            issuer,
            now,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }
}

/// Verifies an access token issued by this provider: `typ` `at+jwt`, ES256
/// signature by the key of the set named by `kid` (any key if there is no
/// `kid`), `exp`/`iat` with [`DEFAULT_LEEWAY_SECS`], `iss` equal to
/// `expected_issuer`, `aud` containing `solid`.
///
/// The DPoP binding is checked separately with [`AccessClaims::check_binding`].
pub fn verify_access_token(
    keys: &KeySet,
    token: &str,
    expected_issuer: &str,
    now: i64,
) -> Result<AccessClaims, OidcError> {
    keys.verify_access_token(token, &AccessTokenCheck::new(expected_issuer, now))
}

/// Verifies an access token of another issuer against its JWKS document,
/// with the same checks as [`verify_access_token`] (algorithms ES256, ES384,
/// RS*, PS*, EdDSA). To verify many tokens, decode the JWKS once with
/// [`Jwks::from_json`] and call [`Jwks::verify_access_token`].
pub fn verify_access_token_with_jwks(
    jwks: &serde_json::Value,
    token: &str,
    expected_issuer: &str,
    now: i64,
) -> Result<AccessClaims, OidcError> {
    Jwks::from_json(jwks)?.verify_access_token(token, &AccessTokenCheck::new(expected_issuer, now))
}

impl KeySet {
    /// [`verify_access_token`] with an explicit [`AccessTokenCheck`].
    pub fn verify_access_token(
        &self,
        token: &str,
        check: &AccessTokenCheck,
    ) -> Result<AccessClaims, OidcError> {
        let jws = parse_access_token(token)?;
        if jws.alg != Alg::Es256 {
            return Err(OidcError::UnsupportedAlgorithm);
        }
        match jws.header.kid.as_deref() {
            Some(kid) => {
                jws.verify_with(self.by_kid(kid).ok_or(OidcError::UnknownKey)?.public())?
            }
            None => verify_with_any(&jws, self.all().iter().map(SigningKey::public))?,
        }
        check_access_claims(&jws, check)
    }
}

impl Jwks {
    /// Verifies an access token signed by one of these keys, with the checks
    /// of [`verify_access_token`]. A key whose JWK names an `alg` only
    /// verifies that algorithm.
    pub fn verify_access_token(
        &self,
        token: &str,
        check: &AccessTokenCheck,
    ) -> Result<AccessClaims, OidcError> {
        let jws = parse_access_token(token)?;
        let kid = jws.header.kid.as_deref();
        let alg_ok = |k: &&crate::keys::RemoteKey| {
            k.key.supports(jws.alg)
                && k.alg
                    .as_deref()
                    .is_none_or(|a| Alg::parse(a).ok() == Some(jws.alg))
        };
        let candidates = self
            .keys
            .iter()
            .filter(|k| kid.is_none() || k.kid.as_deref() == kid);
        let mut usable = candidates.clone().filter(alg_ok).peekable();
        if usable.peek().is_none() {
            return Err(if candidates.count() == 0 {
                OidcError::UnknownKey
            } else {
                OidcError::UnsupportedAlgorithm
            });
        }
        verify_with_any(&jws, usable.map(|k| &k.key))?;
        check_access_claims(&jws, check)
    }
}

fn parse_access_token(token: &str) -> Result<Compact<'_>, OidcError> {
    let jws = Compact::parse(token, MAX_TOKEN_LEN)?;
    if !jws.typ_is("at+jwt") {
        return Err(OidcError::WrongType("at+jwt"));
    }
    Ok(jws)
}

/// Succeeds if one of `keys` verifies the signature. With a single key its
/// own error is returned; with several, failure means no key matched.
fn verify_with_any<'k>(
    jws: &Compact,
    keys: impl Iterator<Item = &'k PublicKey>,
) -> Result<(), OidcError> {
    let mut last = OidcError::UnknownKey;
    let mut tried = 0;
    for key in keys {
        match jws.verify_with(key) {
            Ok(()) => return Ok(()),
            Err(e) => last = e,
        }
        tried += 1;
    }
    Err(if tried > 1 {
        OidcError::UnknownKey
    } else {
        last
    })
}

fn check_access_claims(jws: &Compact, check: &AccessTokenCheck) -> Result<AccessClaims, OidcError> {
    let claims: AccessClaims = jws.claims()?;
    if claims.iss != check.issuer {
        return Err(OidcError::WrongIssuer);
    }
    if !claims.aud.iter().any(|a| a == SOLID_AUDIENCE) {
        return Err(OidcError::WrongAudience);
    }
    check_times(&claims, check)?;
    if claims.webid.is_empty()
        || claims.client_id.is_empty()
        || claims.cnf.as_ref().is_some_and(|c| c.jkt.is_empty())
    {
        return Err(OidcError::InvalidClaims(
            "webid, client_id and cnf.jkt must not be empty",
        ));
    }
    Ok(claims)
}

/// `exp` and `iat` against `check.now`, with the leeway.
pub(crate) fn check_times(
    claims: &AccessClaims,
    check: &AccessTokenCheck,
) -> Result<(), OidcError> {
    let leeway = check.leeway_secs.max(0);
    if check.now > claims.exp.saturating_add(leeway) {
        return Err(OidcError::Expired);
    }
    if claims.iat > check.now.saturating_add(leeway) {
        return Err(OidcError::NotYetValid);
    }
    Ok(())
}

/// The `iss` an access token claims, read WITHOUT verifying anything: only
/// to choose which issuer's keys to verify it with.
pub fn unverified_issuer(token: &str) -> Option<String> {
    let jws = parse_access_token(token).ok()?;
    let claims: serde_json::Value = jws.claims().ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

//! DPoP (RFC 9449): proof verification for the resource server and token
//! endpoint, and a small client-side proof generator ([`DpopKey`]) for tests
//! and benchmarks.
//!
//! [`verify_dpop_proof`] performs the checks of RFC 9449 section 4.3 except
//! replay detection (feed [`VerifiedProof::replay_key`] to a
//! [`crate::ReplayCache`]) and the token binding (see
//! [`crate::AccessClaims::check_binding`]). Server-provided nonces are not
//! used: the `iat` window plus the replay cache bound proof reuse.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::OidcError;
use crate::jwk::thumbprint_of_map;
use crate::jws::{Compact, PublicKey, b64, ct_eq, numeric_date, sign_es256};
use crate::keys::{p256_public_members, random_p256};
use crate::secret::random_token;

/// Largest DPoP proof accepted, in bytes (an RSA-4096 proof is about 1.5 KiB).
pub const MAX_PROOF_LEN: usize = 4 * 1024;

/// Longest accepted `jti`, in bytes.
pub const MAX_JTI_LEN: usize = 128;

/// Default accepted age of a proof's `iat`, in seconds.
pub const DEFAULT_DPOP_MAX_AGE_SECS: i64 = 60;

/// Default accepted clock skew of a proof's `iat` into the future, in seconds.
pub const DEFAULT_DPOP_FUTURE_SKEW_SECS: i64 = 5;

/// Inputs of a DPoP proof verification.
#[derive(Debug, Clone, Copy)]
pub struct DpopCheck<'a> {
    /// The value of the `DPoP` request header.
    pub proof: &'a str,
    /// The request method; compared case-sensitively with `htm`.
    pub method: &'a str,
    /// The absolute request URL as the server sees it (public scheme and
    /// host). Compared with `htu` without query and fragment, with scheme and
    /// host case-insensitive, default ports removed and percent-encoding hex
    /// digits case-normalized.
    pub url: &'a str,
    /// Current time, seconds since the epoch.
    pub now: i64,
    /// Oldest accepted `iat`, in seconds before `now`.
    pub max_age_secs: i64,
    /// Newest accepted `iat`, in seconds after `now` (clock skew).
    pub max_future_skew_secs: i64,
    /// The access token the proof accompanies, if any: then `ath` must equal
    /// `base64url(sha256(access_token))`.
    pub access_token: Option<&'a str>,
    /// Whether a proof accompanying `access_token` may omit `ath` (an `ath`
    /// that is present must still match). RFC 9449 requires `ath`, but the
    /// Solid-OIDC ecosystem predates it: Inrupt's client libraries never send
    /// it, and the Community Solid Server's verifier checks it only when
    /// present. The key binding (`cnf.jkt`), `htm`, `htu`, `iat` and `jti`
    /// checks are unaffected. `false` unless set with
    /// [`DpopCheck::allowing_missing_ath`].
    pub allow_missing_ath: bool,
}

impl<'a> DpopCheck<'a> {
    /// A check with the default time window and no access token.
    pub fn new(proof: &'a str, method: &'a str, url: &'a str, now: i64) -> Self {
        Self {
            proof,
            method,
            url,
            now,
            max_age_secs: DEFAULT_DPOP_MAX_AGE_SECS,
            max_future_skew_secs: DEFAULT_DPOP_FUTURE_SKEW_SECS,
            access_token: None,
            allow_missing_ath: false,
        }
    }

    /// The same check, also requiring `ath` to match `access_token`.
    pub fn with_access_token(self, access_token: &'a str) -> Self {
        Self {
            access_token: Some(access_token),
            ..self
        }
    }

    /// The same check, accepting a proof without `ath` (see
    /// [`DpopCheck::allow_missing_ath`]); a present `ath` must still match.
    pub fn allowing_missing_ath(self) -> Self {
        Self {
            allow_missing_ath: true,
            ..self
        }
    }
}

/// What a valid proof establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedProof {
    /// RFC 7638 thumbprint of the proof's public key (compare with `cnf.jkt`).
    pub jkt: String,
    /// The proof's unique id.
    pub jti: String,
    /// When the proof was created.
    pub iat: i64,
}

impl VerifiedProof {
    /// The id to record in a [`crate::ReplayCache`]: the `jti` scoped by the
    /// key thumbprint, so one client cannot burn another client's ids.
    pub fn replay_key(&self) -> String {
        format!("{}:{}", self.jkt, self.jti)
    }
}

#[derive(Deserialize)]
struct ProofClaims {
    jti: String,
    htm: String,
    htu: String,
    #[serde(deserialize_with = "numeric_date")]
    iat: i64,
    ath: Option<String>,
}

/// Members whose presence makes a JWK private (RFC 7518 section 6).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Decoded proof keys and their thumbprints, by JWK text: a client signs
/// every proof with the same key, and decoding the point (an on-curve check)
/// and hashing the thumbprint cost as much as half the signature check.
static PROOF_KEYS: std::sync::LazyLock<
    parking_lot::Mutex<std::collections::HashMap<String, (PublicKey, String)>>,
> = std::sync::LazyLock::new(Default::default);
const PROOF_KEYS_CAP: usize = 10_000;

fn proof_key(jwk: &Map<String, Value>) -> Result<(PublicKey, String), OidcError> {
    let text = serde_json::to_string(jwk).unwrap_or_default();
    if let Some(hit) = PROOF_KEYS.lock().get(&text) {
        return Ok(hit.clone());
    }
    let key = PublicKey::from_jwk(jwk)?;
    // The key parsed, so the thumbprint members are present strings.
    let jkt = thumbprint_of_map(jwk)?;
    let mut cache = PROOF_KEYS.lock();
    if cache.len() >= PROOF_KEYS_CAP {
        cache.clear();
    }
    cache.insert(text, (key.clone(), jkt.clone()));
    Ok((key, jkt))
}

/// Verifies a DPoP proof (RFC 9449 section 4.3): `typ` `dpop+jwt`; an
/// asymmetric `alg` (ES256, ES384, RS256/384/512, PS256/384/512, EdDSA);
/// a public-only `jwk` header whose key verifies the signature; `htm`,
/// `htu`, `iat` within the window, and `ath` when an access token is given.
pub fn verify_dpop_proof(check: &DpopCheck) -> Result<VerifiedProof, OidcError> {
    let jws = Compact::parse(check.proof, MAX_PROOF_LEN)?;
    if !jws.typ_is("dpop+jwt") {
        return Err(OidcError::WrongType("dpop+jwt"));
    }
    let jwk: &Map<String, Value> = jws.header.jwk.as_ref().ok_or(OidcError::DpopMissingJwk)?;
    if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
        return Err(OidcError::DpopPrivateKey);
    }
    let (key, jkt) = proof_key(jwk)?;
    jws.verify_with(&key)?;
    let claims: ProofClaims = jws.claims()?;
    if claims.jti.is_empty() || claims.jti.len() > MAX_JTI_LEN {
        return Err(OidcError::InvalidClaims("jti must have 1 to 128 bytes"));
    }
    if claims.htm != check.method {
        return Err(OidcError::DpopWrongMethod);
    }
    match (normalize_htu(&claims.htu), normalize_htu(check.url)) {
        (Some(a), Some(b)) if a == b => {}
        _ => return Err(OidcError::DpopWrongUrl),
    }
    if claims.iat < check.now.saturating_sub(check.max_age_secs.max(0)) {
        return Err(OidcError::DpopTooOld);
    }
    if claims.iat > check.now.saturating_add(check.max_future_skew_secs.max(0)) {
        return Err(OidcError::DpopFromFuture);
    }
    if let Some(token) = check.access_token {
        let expected = access_token_hash(token);
        let ok = match &claims.ath {
            Some(ath) => ct_eq(ath.as_bytes(), expected.as_bytes()),
            None => check.allow_missing_ath,
        };
        if !ok {
            return Err(OidcError::DpopAthMismatch);
        }
    }
    Ok(VerifiedProof {
        jkt,
        jti: claims.jti,
        iat: claims.iat,
    })
}

/// `ath`: base64url of the SHA-256 of the access token (RFC 9449 section 4.2).
pub fn access_token_hash(access_token: &str) -> String {
    b64(&Sha256::digest(access_token.as_bytes()))
}

/// Normalizes an absolute http(s)-like URL for `htu` comparison: drops query
/// and fragment, lowercases scheme and authority, drops the default port of
/// http and https, turns an empty path into `/`, uppercases the hex digits of
/// percent-escapes (RFC 3986 section 6.2.2). `None` if not absolute.
pub(crate) fn normalize_htu(url: &str) -> Option<String> {
    let url = url.split(['#', '?']).next().unwrap_or_default();
    let (scheme, rest) = url.split_once("://")?;
    if scheme.is_empty()
        || !scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    let scheme = scheme.to_ascii_lowercase();
    let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
    if authority.is_empty() {
        return None;
    }
    let mut authority = authority.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => Some(":443"),
        "http" => Some(":80"),
        _ => None,
    };
    if let Some(port) = default_port
        && authority.ends_with(port)
    {
        authority.truncate(authority.len() - port.len());
    }
    if authority.ends_with(':') {
        authority.pop();
    }
    let mut out = String::with_capacity(scheme.len() + 3 + authority.len() + path.len());
    out.push_str(&scheme);
    out.push_str("://");
    out.push_str(&authority);
    let bytes = path.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(char::from(bytes[i + 1].to_ascii_uppercase()));
            out.push(char::from(bytes[i + 2].to_ascii_uppercase()));
            i += 3;
        } else {
            let ch = path[i..].chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    Some(out)
}

/// A client's DPoP key (P-256), generating proofs. Meant for tests,
/// benchmarks and tools; the server never holds client keys.
#[derive(Clone)]
pub struct DpopKey {
    key: p256::ecdsa::SigningKey,
    jwk: Value,
    thumbprint: String,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let key = random_p256();
        let members = p256_public_members(key.verifying_key());
        let thumbprint = thumbprint_of_map(&members).unwrap_or_default();
        Self {
            key,
            jwk: Value::Object(members),
            thumbprint,
        }
    }

    /// The public JWK carried in every proof.
    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// RFC 7638 thumbprint of the public key: the `cnf.jkt` of tokens bound to it.
    pub fn thumbprint(&self) -> String {
        self.thumbprint.clone()
    }

    /// A proof for one request: ES256, `typ: dpop+jwt`, a fresh random `jti`,
    /// `htu` = `url` without query and fragment, and `ath` if `access_token` is given.
    pub fn proof(&self, method: &str, url: &str, access_token: Option<&str>, now: i64) -> String {
        let header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk });
        let htu = url.split(['#', '?']).next().unwrap_or_default();
        let mut claims = json!({ "jti": random_token(), "htm": method, "htu": htu, "iat": now });
        if let (Some(token), Value::Object(m)) = (access_token, &mut claims) {
            m.insert("ath".into(), access_token_hash(token).into());
        }
        sign_es256(&self.key, &header, claims.to_string().as_bytes())
    }
}

//! The provider's ES256 signing keys, its key set with rotation, and remote
//! issuers' key sets.
//!
//! Keys are generated in memory and exported as private JWK JSON for the
//! caller to encrypt and store; this crate never touches storage. A key's
//! `kid` defaults to its RFC 7638 thumbprint. Verification keys are decoded
//! once, when a [`SigningKey`] or [`Jwks`] is built, so verifying a token
//! costs one ECDSA verification and no key parsing.

use std::fmt;

use serde_json::{Map, Value, json};

use crate::OidcError;
use crate::jwk::thumbprint_of_map;
use crate::jws::{PublicKey, b64, b64_decode};
use crate::secret::random_bytes;

/// An ES256 (ECDSA P-256 with SHA-256) signing key with a key id.
///
/// `Debug` prints only the key id.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
    public_jwk: Value,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The `kty`, `crv`, `x`, `y` members of a P-256 public key.
pub(crate) fn p256_public_members(key: &p256::ecdsa::VerifyingKey) -> Map<String, Value> {
    let point = key.to_encoded_point(false);
    let mut m = Map::new();
    m.insert("kty".into(), "EC".into());
    m.insert("crv".into(), "P-256".into());
    m.insert(
        "x".into(),
        b64(point.x().map(|x| &x[..]).unwrap_or_default()).into(),
    );
    m.insert(
        "y".into(),
        b64(point.y().map(|y| &y[..]).unwrap_or_default()).into(),
    );
    m
}

/// A fresh random P-256 private key.
pub(crate) fn random_p256() -> p256::ecdsa::SigningKey {
    loop {
        // Out-of-range scalars (probability about 2^-32) are simply redrawn.
        if let Ok(key) = p256::ecdsa::SigningKey::from_slice(&random_bytes::<32>()) {
            return key;
        }
    }
}

impl SigningKey {
    /// Generates a new random key whose `kid` is its RFC 7638 thumbprint.
    pub fn generate() -> Self {
        Self::from_p256(random_p256(), None)
    }

    fn from_p256(key: p256::ecdsa::SigningKey, kid: Option<String>) -> Self {
        let verifying = *key.verifying_key();
        let mut jwk = p256_public_members(&verifying);
        // Thumbprinting our own well-formed members cannot fail.
        let kid = kid.unwrap_or_else(|| thumbprint_of_map(&jwk).unwrap_or_default());
        jwk.insert("kid".into(), kid.clone().into());
        jwk.insert("alg".into(), "ES256".into());
        jwk.insert("use".into(), "sig".into());
        Self {
            kid,
            key,
            public: PublicKey::P256(
                verifying
                    .to_encoded_point(false)
                    .as_bytes()
                    .try_into()
                    .expect("an uncompressed P-256 point has 65 bytes"),
            ),
            public_jwk: Value::Object(jwk),
        }
    }

    /// The key id, sent as the `kid` header of every token signed with this key.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The private JWK (`kty`, `crv`, `x`, `y`, `d`, `kid`, `alg`, `use`) as
    /// JSON, for the caller to encrypt and store. Treat it as a secret.
    pub fn to_private_jwk_json(&self) -> String {
        let mut jwk = self.public_jwk.clone();
        if let Value::Object(m) = &mut jwk {
            m.insert("d".into(), b64(&self.key.to_bytes()).into());
        }
        jwk.to_string()
    }

    /// Reads a key written by [`SigningKey::to_private_jwk_json`] (or any EC
    /// P-256 private JWK). If `x`/`y` are present they must match `d`; a
    /// missing `kid` becomes the thumbprint.
    pub fn from_private_jwk_json(s: &str) -> Result<Self, OidcError> {
        let jwk: Map<String, Value> = serde_json::from_str(s)
            .map_err(|_| OidcError::InvalidKey("the JWK is not a JSON object"))?;
        let member = |name| jwk.get(name).and_then(Value::as_str);
        if member("kty") != Some("EC") || member("crv") != Some("P-256") {
            return Err(OidcError::InvalidKey("the key is not an EC P-256 key"));
        }
        if member("alg").is_some_and(|a| a != "ES256") {
            return Err(OidcError::InvalidKey("the key is not an ES256 key"));
        }
        let d = member("d")
            .and_then(b64_decode)
            .filter(|d| d.len() == 32)
            .ok_or(OidcError::InvalidKey(
                "the private scalar d is missing or malformed",
            ))?;
        let key = p256::ecdsa::SigningKey::from_slice(&d)
            .map_err(|_| OidcError::InvalidKey("the private scalar d is out of range"))?;
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(k)) if !k.is_empty() => Some(k.clone()),
            Some(_) => return Err(OidcError::InvalidKey("kid is not a non-empty string")),
        };
        let out = Self::from_p256(key, kid);
        for coordinate in ["x", "y"] {
            if let Some(given) = jwk.get(coordinate)
                && Some(given) != out.public_jwk.get(coordinate)
            {
                return Err(OidcError::InvalidKey(
                    "the public coordinates do not match d",
                ));
            }
        }
        Ok(out)
    }

    /// The public JWK with `kid`, `alg: ES256` and `use: sig`, as published in the JWKS.
    pub fn public_jwk(&self) -> Value {
        self.public_jwk.clone()
    }

    pub(crate) fn p256(&self) -> &p256::ecdsa::SigningKey {
        &self.key
    }

    pub(crate) fn public(&self) -> &PublicKey {
        &self.public
    }
}

/// The provider's key set: one current signing key plus older keys still
/// accepted for verification, so tokens signed before a rotation stay valid
/// until they expire.
#[derive(Clone, Debug)]
pub struct KeySet {
    /// `keys[0]` is the current key, then the previous ones, newest first.
    keys: Vec<SigningKey>,
}

impl KeySet {
    /// A key set signing with `current` and also verifying with `previous`.
    pub fn new(current: SigningKey, previous: Vec<SigningKey>) -> Self {
        let mut keys = Vec::with_capacity(previous.len() + 1);
        keys.push(current);
        for key in previous {
            // A kid must name one key: later duplicates are dropped.
            if keys.iter().all(|k| k.kid != key.kid) {
                keys.push(key);
            }
        }
        Self { keys }
    }

    /// A key set with one freshly generated key.
    pub fn generate() -> Self {
        Self::new(SigningKey::generate(), Vec::new())
    }

    /// Generates a new current key; the old current key stays for
    /// verification. Returns the new current key (store it!). Drop old keys
    /// with [`KeySet::remove`] once the tokens they signed have expired.
    pub fn rotate(&mut self) -> &SigningKey {
        self.keys.insert(0, SigningKey::generate());
        &self.keys[0]
    }

    /// Removes a previous key by `kid`. The current key cannot be removed.
    pub fn remove(&mut self, kid: &str) -> Option<SigningKey> {
        let i = self.keys.iter().skip(1).position(|k| k.kid == kid)? + 1;
        Some(self.keys.remove(i))
    }

    /// The key new tokens are signed with.
    pub fn current(&self) -> &SigningKey {
        &self.keys[0]
    }

    /// All keys, current first.
    pub fn all(&self) -> &[SigningKey] {
        &self.keys
    }

    /// The public JWK Set (`{"keys": [...]}`), current key first, for the
    /// `jwks_uri` endpoint.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>() })
    }

    pub(crate) fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

/// A remote issuer's JWK Set, decoded once for repeated verification.
///
/// Keys that cannot be used for signature verification (unknown `kty`,
/// `use` other than `sig`, HMAC, malformed or too small) are skipped rather
/// than failing the whole set. At most [`Jwks::MAX_KEYS`] keys are kept.
#[derive(Clone)]
pub struct Jwks {
    pub(crate) keys: Vec<RemoteKey>,
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.keys.iter().map(|k| &k.kid))
            .finish()
    }
}

#[derive(Clone)]
pub(crate) struct RemoteKey {
    pub kid: Option<String>,
    pub alg: Option<String>,
    pub key: PublicKey,
}

impl Jwks {
    /// The most keys kept from one JWKS.
    pub const MAX_KEYS: usize = 32;

    /// Decodes a JWK Set document (`{"keys": [...]}`).
    pub fn from_json(jwks: &Value) -> Result<Self, OidcError> {
        let list = jwks
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(OidcError::InvalidKey("the JWKS has no keys array"))?;
        let keys = list
            .iter()
            .filter_map(Value::as_object)
            .filter(|jwk| jwk.get("use").is_none_or(|u| u == "sig"))
            .filter_map(|jwk| {
                let key = PublicKey::from_jwk(jwk).ok()?;
                let text = |name: &str| jwk.get(name).and_then(Value::as_str).map(str::to_owned);
                Some(RemoteKey {
                    kid: text("kid"),
                    alg: text("alg"),
                    key,
                })
            })
            .take(Self::MAX_KEYS)
            .collect();
        Ok(Self { keys })
    }

    /// Number of usable keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key was usable.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

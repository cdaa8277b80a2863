//! Compact JWS parsing and signature verification shared by access tokens,
//! ID tokens and DPoP proofs.
//!
//! Parsing is strict and bounded: exactly three base64url segments without
//! padding, a JSON header without `crit`, and a size limit checked before any
//! decoding. ES256 (the algorithm of our own keys and of most Solid clients)
//! is verified directly with `p256` on a pre-decoded key; the other asymmetric
//! algorithms go through `jsonwebtoken`'s RustCrypto backend.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::OidcError;

/// Base64url without padding (RFC 7515 section 2).
pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url decoding (no padding, canonical trailing bits).
pub(crate) fn b64_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s).ok()
}

/// Constant-time equality of two byte strings (length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Signature algorithms accepted somewhere in this crate. HMAC is never
/// accepted: a JWK-carried or JWKS-published key is always asymmetric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Alg {
    Es256,
    Es384,
    Rs256,
    Rs384,
    Rs512,
    Ps256,
    Ps384,
    Ps512,
    EdDsa,
}

impl Alg {
    pub(crate) fn parse(s: &str) -> Result<Self, OidcError> {
        Ok(match s {
            "ES256" => Self::Es256,
            "ES384" => Self::Es384,
            "RS256" => Self::Rs256,
            "RS384" => Self::Rs384,
            "RS512" => Self::Rs512,
            "PS256" => Self::Ps256,
            "PS384" => Self::Ps384,
            "PS512" => Self::Ps512,
            "EdDSA" => Self::EdDsa,
            _ if s.eq_ignore_ascii_case("none") => return Err(OidcError::AlgNone),
            _ => return Err(OidcError::UnsupportedAlgorithm),
        })
    }

    fn as_jsonwebtoken(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Self::Es256 => A::ES256,
            Self::Es384 => A::ES384,
            Self::Rs256 => A::RS256,
            Self::Rs384 => A::RS384,
            Self::Rs512 => A::RS512,
            Self::Ps256 => A::PS256,
            Self::Ps384 => A::PS384,
            Self::Ps512 => A::PS512,
            Self::EdDsa => A::EdDSA,
        }
    }
}

/// The JOSE header members this crate looks at; others are ignored.
/// Duplicate members are a parse error (serde's derive refuses them).
#[derive(Deserialize)]
pub(crate) struct Header {
    pub alg: Option<String>,
    pub typ: Option<String>,
    pub kid: Option<String>,
    pub jwk: Option<Map<String, Value>>,
    pub crit: Option<Value>,
}

/// A parsed, not yet verified, compact JWS.
pub(crate) struct Compact<'a> {
    pub header: Header,
    pub alg: Alg,
    pub payload: Vec<u8>,
    pub signing_input: &'a str,
    pub signature_b64: &'a str,
    pub signature: Vec<u8>,
}

impl<'a> Compact<'a> {
    /// Splits and decodes `token`, checks the size limit, `alg` (refusing
    /// `none` and HMAC) and `crit`. `typ` is checked by the caller.
    pub(crate) fn parse(token: &'a str, max_len: usize) -> Result<Self, OidcError> {
        if token.len() > max_len {
            return Err(OidcError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(h), Some(p), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(OidcError::Malformed("it is not three dot-separated parts"));
        };
        let header_bytes =
            b64_decode(h).ok_or(OidcError::Malformed("the header is not base64url"))?;
        let header: Header = serde_json::from_slice(&header_bytes)
            .map_err(|_| OidcError::Malformed("the header is not a valid JSON object"))?;
        let alg = Alg::parse(
            header
                .alg
                .as_deref()
                .ok_or(OidcError::Malformed("the header has no alg"))?,
        )?;
        if header.crit.is_some() {
            return Err(OidcError::Malformed(
                "critical header extensions are not supported",
            ));
        }
        let payload = b64_decode(p).ok_or(OidcError::Malformed("the payload is not base64url"))?;
        let signature =
            b64_decode(s).ok_or(OidcError::Malformed("the signature is not base64url"))?;
        Ok(Self {
            header,
            alg,
            payload,
            signing_input: &token[..h.len() + 1 + p.len()],
            signature_b64: s,
            signature,
        })
    }

    /// Whether the `typ` header equals `expected`, case-insensitively and
    /// with or without the `application/` prefix (RFC 7515 section 4.1.9).
    pub(crate) fn typ_is(&self, expected: &str) -> bool {
        self.header.typ.as_deref().is_some_and(|t| {
            let t = match (t.get(..12), t.get(12..)) {
                (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case("application/") => rest,
                _ => t,
            };
            t.eq_ignore_ascii_case(expected)
        })
    }

    /// Verifies the signature with `key`, refusing algorithms the key cannot do.
    pub(crate) fn verify_with(&self, key: &PublicKey) -> Result<(), OidcError> {
        key.verify(
            self.alg,
            self.signing_input.as_bytes(),
            self.signature_b64,
            &self.signature,
        )
    }

    /// Deserializes the payload.
    pub(crate) fn claims<T: serde::de::DeserializeOwned>(&self) -> Result<T, OidcError> {
        serde_json::from_slice(&self.payload).map_err(|_| {
            OidcError::InvalidClaims("a required claim is missing or has the wrong type")
        })
    }
}

/// Signs `header.payload` with an ES256 key and returns the compact JWS.
pub(crate) fn sign_es256(key: &p256::ecdsa::SigningKey, header: &Value, payload: &[u8]) -> String {
    // Serializing a `Value` cannot fail.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let mut out = b64(&header);
    out.push('.');
    out.push_str(&b64(payload));
    let sig: p256::ecdsa::Signature = key.sign(out.as_bytes());
    out.push('.');
    out.push_str(&b64(&sig.to_bytes()));
    out
}

/// An asymmetric public key ready for verification.
#[derive(Clone)]
pub(crate) enum PublicKey {
    /// P-256: the uncompressed SEC1 point (checked on the curve by `p256`
    /// when decoded), verified with `ring`, whose assembly is about ten
    /// times faster than pure Rust: one check per request is on the hot path.
    P256([u8; 65]),
    /// Any other key, verified through `jsonwebtoken`.
    Other {
        key: jsonwebtoken::DecodingKey,
        kind: OtherKind,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OtherKind {
    P384,
    Rsa,
    Ed25519,
}

/// Smallest and largest accepted RSA modulus, in bytes (RFC 7518 section 3.3
/// requires at least 2048 bits; the RSA backend refuses more than 4096).
const RSA_MIN_BYTES: usize = 256;
const RSA_MAX_BYTES: usize = 512;

fn coordinate(jwk: &Map<String, Value>, name: &str, len: usize) -> Result<Vec<u8>, OidcError> {
    let s = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or(OidcError::InvalidKey("a required member is missing"))?;
    let bytes = b64_decode(s).ok_or(OidcError::InvalidKey("a member is not base64url"))?;
    if bytes.len() != len {
        return Err(OidcError::InvalidKey("a coordinate has the wrong length"));
    }
    Ok(bytes)
}

impl PublicKey {
    /// Builds a verification key from the public members of a JWK (EC P-256
    /// and P-384, RSA of 2048 to 4096 bits, OKP Ed25519). Private members are
    /// ignored here; DPoP refuses them before calling this.
    pub(crate) fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, OidcError> {
        let kty = jwk
            .get("kty")
            .and_then(Value::as_str)
            .ok_or(OidcError::InvalidKey("kty is missing"))?;
        let crv = || jwk.get("crv").and_then(Value::as_str).unwrap_or("");
        match kty {
            "EC" => match crv() {
                "P-256" => {
                    let mut sec1 = Vec::with_capacity(65);
                    sec1.push(4);
                    sec1.extend(coordinate(jwk, "x", 32)?);
                    sec1.extend(coordinate(jwk, "y", 32)?);
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                        .map_err(|_| OidcError::InvalidKey("the point is not on the curve"))?;
                    let mut point = [0u8; 65];
                    point.copy_from_slice(&sec1);
                    Ok(Self::P256(point))
                }
                "P-384" => {
                    let x = coordinate(jwk, "x", 48)?;
                    let y = coordinate(jwk, "y", 48)?;
                    let mut sec1 = Vec::with_capacity(97);
                    sec1.push(4);
                    sec1.extend(x);
                    sec1.extend(y);
                    Ok(Self::Other {
                        key: jsonwebtoken::DecodingKey::from_ec_der(&sec1),
                        kind: OtherKind::P384,
                    })
                }
                _ => Err(OidcError::InvalidKey("the curve is not supported")),
            },
            "RSA" => {
                let get = |name| {
                    jwk.get(name)
                        .and_then(Value::as_str)
                        .and_then(b64_decode)
                        .ok_or(OidcError::InvalidKey("n or e is missing or not base64url"))
                };
                let n = get("n")?;
                let e = get("e")?;
                let n_len = n.iter().skip_while(|b| **b == 0).count();
                if !(RSA_MIN_BYTES..=RSA_MAX_BYTES).contains(&n_len) {
                    return Err(OidcError::InvalidKey(
                        "the RSA modulus must have 2048 to 4096 bits",
                    ));
                }
                let e_len = e.iter().skip_while(|b| **b == 0).count();
                if e_len == 0 || e_len > 8 {
                    return Err(OidcError::InvalidKey("the RSA exponent is out of range"));
                }
                Ok(Self::Other {
                    key: jsonwebtoken::DecodingKey::from_rsa_raw_components(&n, &e),
                    kind: OtherKind::Rsa,
                })
            }
            "OKP" if crv() == "Ed25519" => {
                let x = coordinate(jwk, "x", 32)?;
                Ok(Self::Other {
                    key: jsonwebtoken::DecodingKey::from_ed_der(&x),
                    kind: OtherKind::Ed25519,
                })
            }
            _ => Err(OidcError::InvalidKey("the key type is not supported")),
        }
    }

    /// Whether this key can verify `alg`.
    pub(crate) fn supports(&self, alg: Alg) -> bool {
        match self {
            Self::P256(_) => alg == Alg::Es256,
            Self::Other {
                kind: OtherKind::P384,
                ..
            } => alg == Alg::Es384,
            Self::Other {
                kind: OtherKind::Rsa,
                ..
            } => {
                matches!(
                    alg,
                    Alg::Rs256 | Alg::Rs384 | Alg::Rs512 | Alg::Ps256 | Alg::Ps384 | Alg::Ps512
                )
            }
            Self::Other {
                kind: OtherKind::Ed25519,
                ..
            } => alg == Alg::EdDsa,
        }
    }

    fn verify(
        &self,
        alg: Alg,
        message: &[u8],
        signature_b64: &str,
        signature: &[u8],
    ) -> Result<(), OidcError> {
        if !self.supports(alg) {
            return Err(OidcError::UnsupportedAlgorithm);
        }
        match self {
            Self::P256(point) => ring::signature::UnparsedPublicKey::new(
                &ring::signature::ECDSA_P256_SHA256_FIXED,
                &point[..],
            )
            .verify(message, signature)
            .map_err(|_| OidcError::BadSignature),
            Self::Other { key, .. } => {
                install_crypto_provider();
                match jsonwebtoken::crypto::verify(
                    signature_b64,
                    message,
                    key,
                    alg.as_jsonwebtoken(),
                ) {
                    Ok(true) => Ok(()),
                    _ => Err(OidcError::BadSignature),
                }
            }
        }
    }
}

/// Pins `jsonwebtoken` to its RustCrypto provider, so that another crate of
/// the build enabling `aws_lc_rs` too cannot make provider selection panic.
fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        );
    });
}

/// Deserializes a NumericDate (RFC 7519 section 2): an integer, or a finite
/// non-integer number rounded down; anything else (strings, huge values) is refused.
pub(crate) fn numeric_date<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    n.as_i64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| f.floor() as i64)
        })
        .ok_or_else(|| serde::de::Error::custom("not a NumericDate"))
}

//! A holder's own signature on what it pushes (optional).
//!
//! The client secret proves who is calling; a secret can leak (a log, a
//! configuration file copied around), and then anyone could push data into
//! residents' pods under the holder's name. A holder that wants more
//! registers an Ed25519 public key with the operator; from then on every
//! push of theirs must carry, in a `Holder-Signature` header, the base64
//! Ed25519 signature of this text (each line ending in `\n`):
//!
//! ```text
//! selfdata push v1
//! holder eau-grand-lyon
//! key 2026-12-05-daily
//! sha256 9a1b…   (hex, lower case, of the file as sent)
//! ```
//!
//! For a CSV covering many customers the signed file is the whole body and
//! the header is the request's; for a push of one file per customer each
//! part carries its own header, over its own file, so that a part is
//! checked as soon as it has arrived, before it is delivered. The private
//! key never leaves the holder: `openssl pkeyutl -sign -rawin` makes the
//! signature (`docs/holders.md`, the holders' guide, shows how).
//!
//! The signature names the idempotency key, so a signed push cannot be
//! replayed under another key; under the same key it is answered with its
//! first receipt and delivers nothing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The header that carries a push's (or a part's) signature.
pub const HEADER: &str = "holder-signature";

/// The longest header value read (a signature is 88 characters).
const MAX_HEADER: usize = 200;

/// The longest key text read (a PEM public key is about 113 bytes).
const MAX_KEY_TEXT: usize = 4096;

/// Why a key given by the operator was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "This is not an Ed25519 public key: give the PEM file (“-----BEGIN PUBLIC KEY-----”, from `openssl pkey -pubout`) or the key's 32 bytes in base64."
    )]
    NotAKey,
}

/// Why a push's signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error(
        "Your operator registered a signing key for you: send the Ed25519 signature of what you push in a Holder-Signature header."
    )]
    Missing,
    #[error("The Holder-Signature header is not a base64 Ed25519 signature (64 bytes).")]
    Malformed,
    #[error(
        "The signature does not match what was received with the key your operator registered (was the file changed, or signed for another Idempotency-Key?); nothing of it was delivered."
    )]
    Wrong,
}

/// A holder's registered public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushKey(VerifyingKey);

impl PushKey {
    /// Reads a key as the operator gives it: a PEM `PUBLIC KEY` (SPKI) or
    /// its 32 raw bytes in base64.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if text.is_empty() || text.len() > MAX_KEY_TEXT {
            return Err(KeyError::NotAKey);
        }
        if text.starts_with("-----BEGIN") {
            return VerifyingKey::from_public_key_pem(text)
                .map(Self)
                .map_err(|_| KeyError::NotAKey);
        }
        let bytes = STANDARD.decode(text).map_err(|_| KeyError::NotAKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| KeyError::NotAKey)?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| KeyError::NotAKey)
    }

    /// The key as the registry keeps it: its 32 bytes in base64.
    pub fn to_text(&self) -> String {
        STANDARD.encode(self.0.as_bytes())
    }

    /// A short name for the key, to tell keys apart on a page: the first
    /// 16 hex digits of the SHA-256 of its bytes.
    pub fn fingerprint(&self) -> String {
        hex::encode(&Sha256::digest(self.0.as_bytes())[..8])
    }

    /// Checks a `Holder-Signature` header value over a file whose SHA-256
    /// is `sha256`, pushed by `holder` under the idempotency key `key`.
    pub fn verify(
        &self,
        holder: &str,
        key: &str,
        sha256: &[u8; 32],
        header: Option<&str>,
    ) -> Result<(), SignatureError> {
        let signature = parse_header(header.ok_or(SignatureError::Missing)?)?;
        self.0
            .verify(message(holder, key, sha256).as_bytes(), &signature)
            .map_err(|_| SignatureError::Wrong)
    }
}

/// Reads a header value as a signature, without checking it.
pub fn parse_header(value: &str) -> Result<Signature, SignatureError> {
    let value = value.trim();
    if value.len() > MAX_HEADER {
        return Err(SignatureError::Malformed);
    }
    let bytes = STANDARD
        .decode(value)
        .map_err(|_| SignatureError::Malformed)?;
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| SignatureError::Malformed)?;
    Ok(Signature::from_bytes(&bytes))
}

/// The text a holder signs for one file of a push.
pub fn message(holder: &str, key: &str, sha256: &[u8; 32]) -> String {
    format!(
        "selfdata push v1\nholder {holder}\nkey {key}\nsha256 {}\n",
        hex::encode(sha256)
    )
}

/// The header value a holder sends with `file` (what the holder's own
/// software does; here for tests and benchmarks).
pub fn sign(signing_key: &SigningKey, holder: &str, key: &str, file: &[u8]) -> String {
    let sha: [u8; 32] = Sha256::digest(file).into();
    STANDARD.encode(
        signing_key
            .sign(message(holder, key, &sha).as_bytes())
            .to_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::pkcs8::EncodePublicKey;

    fn pair() -> (SigningKey, PushKey) {
        let signing = SigningKey::from_bytes(&[7; 32]);
        let public = PushKey(signing.verifying_key());
        (signing, public)
    }

    #[test]
    fn a_signed_file_verifies_and_a_changed_one_does_not() {
        let (signing, public) = pair();
        let file = b"compteur;index\n1;2\n";
        let header = sign(&signing, "eau", "k1", file);
        let sha: [u8; 32] = Sha256::digest(file).into();
        assert_eq!(public.verify("eau", "k1", &sha, Some(&header)), Ok(()));
        let other: [u8; 32] = Sha256::digest(b"compteur;index\n1;3\n").into();
        assert_eq!(
            public.verify("eau", "k1", &other, Some(&header)),
            Err(SignatureError::Wrong)
        );
        // Another key, another holder: refused.
        assert_eq!(
            public.verify("eau", "k2", &sha, Some(&header)),
            Err(SignatureError::Wrong)
        );
        assert_eq!(
            public.verify("gaz", "k1", &sha, Some(&header)),
            Err(SignatureError::Wrong)
        );
        assert_eq!(
            public.verify("eau", "k1", &sha, None),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            public.verify("eau", "k1", &sha, Some("not base64!")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            public.verify("eau", "k1", &sha, Some(&"A".repeat(10_000))),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn a_key_is_read_from_pem_or_base64_and_nothing_else() {
        let (_, public) = pair();
        let pem = public
            .0
            .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
            .unwrap();
        assert_eq!(PushKey::parse(&pem), Ok(public.clone()));
        assert_eq!(PushKey::parse(&public.to_text()), Ok(public.clone()));
        for bad in [
            "",
            "abc",
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
            &STANDARD.encode([1u8; 31]),
        ] {
            assert_eq!(PushKey::parse(bad), Err(KeyError::NotAKey), "{bad}");
        }
        assert_eq!(public.fingerprint().len(), 16);
    }
}

//! Signed checkpoints in the C2SP formats: a `tlog-checkpoint` body
//! (origin line, tree size, base64 root hash) in a `signed-note`, signed
//! with Ed25519 (note signature type `0x01`), so standard tooling (Go's
//! `golang.org/x/mod/sumdb/note`, say) verifies them too.
//!
//! ```text
//! pods.example.org/alice
//! 42
//! 3q2+7w…=
//!
//! — pods.example.org/log Ab12Cd…
//! ```
//!
//! The verifier key is the C2SP text form `<name>+<key hash hex>+<base64(0x01 ‖ key)>`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, Verifier};
use sha2::{Digest, Sha256};

use crate::tree::Hash;

/// Ed25519 in C2SP signed notes.
const ALG_ED25519: u8 = 0x01;

/// A tree head: which log, how many entries, which root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's name (no spaces, no newline; `host/pod`).
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

/// Why a checkpoint or a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    #[error("the checkpoint is not in the expected form: {0}")]
    Malformed(String),
    #[error("the verifier key is not in the expected form: {0}")]
    BadKey(String),
    #[error("the checkpoint carries no signature by the key {0}")]
    NoSignature(String),
    #[error("the checkpoint's signature by {0} is not valid: it was changed after signing")]
    BadSignature(String),
}

impl Checkpoint {
    /// The checkpoint text that is signed (ends with a newline).
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint body (extension lines after the root are ignored).
    pub fn parse_body(body: &str) -> Result<Self, CheckpointError> {
        let bad = |why: &str| CheckpointError::Malformed(why.to_owned());
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| bad("no origin line"))?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| bad("the second line is not a tree size"))?;
        let root = lines
            .next()
            .and_then(|r| B64.decode(r).ok())
            .and_then(|r| <Hash>::try_from(r.as_slice()).ok())
            .ok_or_else(|| bad("the third line is not a base64 SHA-256 root hash"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }
}

fn key_hash(name: &str, public: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_ED25519]);
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c == '+' || c.is_control())
}

/// The log's signing key.
pub struct LogSigner {
    name: String,
    key: ed25519_dalek::SigningKey,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// A signer from a 32-byte Ed25519 seed (keep it secret).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, CheckpointError> {
        if !valid_name(name) {
            return Err(CheckpointError::BadKey(format!(
                "the key name '{name}' is empty or holds a space or '+'"
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            key: ed25519_dalek::SigningKey::from_bytes(seed),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The verifier key in C2SP text form, for whoever checks the log.
    pub fn verifier_key(&self) -> String {
        let public = self.key.verifying_key().to_bytes();
        let mut encoded = vec![ALG_ED25519];
        encoded.extend_from_slice(&public);
        format!(
            "{}+{}+{}",
            self.name,
            hex4(&key_hash(&self.name, &public)),
            B64.encode(encoded)
        )
    }

    /// The signed note of a checkpoint.
    pub fn sign(&self, checkpoint: &Checkpoint) -> String {
        self.sign_note(&checkpoint.body())
    }

    /// A signed note of any text (non-empty lines, each ending with a
    /// newline, no blank line): a delivery receipt, say.
    pub fn sign_note(&self, body: &str) -> String {
        let signature = self.key.sign(body.as_bytes()).to_bytes();
        let public = self.key.verifying_key().to_bytes();
        let mut blob = key_hash(&self.name, &public).to_vec();
        blob.extend_from_slice(&signature);
        format!("{body}\n\u{2014} {} {}\n", self.name, B64.encode(blob))
    }
}

fn hex4(b: &[u8; 4]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A verifier key, parsed.
#[derive(Debug, Clone)]
pub struct LogVerifier {
    name: String,
    hash: [u8; 4],
    key: ed25519_dalek::VerifyingKey,
}

impl LogVerifier {
    /// Parses `<name>+<hash>+<base64(0x01 ‖ key)>`.
    pub fn parse(vkey: &str) -> Result<Self, CheckpointError> {
        let bad = |why: &str| CheckpointError::BadKey(why.to_owned());
        let vkey = vkey.trim();
        // The name holds no '+'; the base64 key may.
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad("expected <name>+<key hash>+<key>"));
        };
        let key = B64.decode(key).map_err(|_| bad("the key is not base64"))?;
        let [alg, rest @ ..] = key.as_slice() else {
            return Err(bad("the key is empty"));
        };
        if *alg != ALG_ED25519 {
            return Err(bad("only Ed25519 keys (type 0x01) are supported"));
        }
        let public: [u8; 32] = rest
            .try_into()
            .map_err(|_| bad("an Ed25519 key has 32 bytes"))?;
        let expected = key_hash(name, &public);
        if hash != hex4(&expected) {
            return Err(bad("the key hash does not match the name and key"));
        }
        let key = ed25519_dalek::VerifyingKey::from_bytes(&public)
            .map_err(|_| bad("not a valid Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            hash: expected,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Checks the note's signature by this key and returns its checkpoint.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, CheckpointError> {
        let body = self.verify_note(note)?;
        Checkpoint::parse_body(body)
    }

    /// Checks a signed note's signature by this key and returns the text
    /// that was signed.
    pub fn verify_note<'a>(&self, note: &'a str) -> Result<&'a str, CheckpointError> {
        let bad = |why: &str| CheckpointError::Malformed(why.to_owned());
        let split = note
            .find("\n\n")
            .ok_or_else(|| bad("no blank line before the signatures"))?;
        let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
        for line in signatures.lines() {
            let Some(rest) = line.strip_prefix("\u{2014} ") else {
                return Err(bad("a signature line does not start with '— '"));
            };
            let Some((name, blob)) = rest.rsplit_once(' ') else {
                return Err(bad("a signature line lacks its signature"));
            };
            if name != self.name {
                continue;
            }
            let Ok(blob) = B64.decode(blob) else {
                continue;
            };
            if blob.len() != 4 + 64 || blob[..4] != self.hash {
                continue;
            }
            let signature = ed25519_dalek::Signature::from_slice(&blob[4..])
                .map_err(|_| CheckpointError::BadSignature(self.name.clone()))?;
            return self
                .key
                .verify(body.as_bytes(), &signature)
                .map(|()| body)
                .map_err(|_| CheckpointError::BadSignature(self.name.clone()));
        }
        Err(CheckpointError::NoSignature(self.name.clone()))
    }
}

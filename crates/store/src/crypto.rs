//! Keys and encryption at rest.
//!
//! A host **master key** (32 bytes, from `SELFDATA_MASTER_KEY` or a key file)
//! never encrypts data itself: it wraps each pod's random **data key**
//! (XChaCha20-Poly1305, the pod's name as associated data) and derives the key
//! of `host.sqlite`. From a pod's data key are derived (HMAC-SHA256, one label
//! each) the SQLCipher key of `pod.sqlite`, the key that encrypts its blob
//! files (the STREAM construction over XChaCha20-Poly1305, 64 KiB chunks) and
//! the key that names them (HMAC of the body, so a blob's name does not reveal
//! a known file). Destroying a pod's wrapped data key makes every copy of its
//! files unreadable.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::StoreError;
use crate::sealed::{CHUNK, OpenReader, SealWriter, TAG};

/// A 32-byte secret key. Its `Debug` never shows the bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Key32(pub(crate) [u8; 32]);

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key32(…)")
    }
}

impl Key32 {
    pub fn random() -> Self {
        Self(rand::random())
    }

    /// From 64 hexadecimal digits (surrounding whitespace ignored).
    pub fn from_hex(s: &str) -> Result<Self, StoreError> {
        let bytes = hex::decode(s.trim()).map_err(|_| bad_key())?;
        Ok(Self(bytes.try_into().map_err(|_| bad_key())?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The key's bytes, for a key that seeds another (a signing key kept
    /// in a file of its own with [`Key32::load_or_create`]).
    pub fn seed(&self) -> [u8; 32] {
        self.0
    }

    /// A subkey for one purpose: HMAC-SHA256(self, label).
    pub(crate) fn derive(&self, label: &str) -> Key32 {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.0)
            .expect("HMAC takes any key length");
        mac.update(label.as_bytes());
        Key32(mac.finalize().into_bytes().into())
    }

    /// The SQLCipher `PRAGMA key` value: a raw key, so no slow KDF on open.
    pub(crate) fn sqlcipher_pragma(&self) -> String {
        format!("\"x'{}'\"", self.to_hex())
    }
}

/// The error of a master key that does not open this data folder.
pub(crate) fn wrong_master_key() -> StoreError {
    StoreError::Io(
        "the master key does not open this data folder (check SELFDATA_MASTER_KEY or the master key file); nothing was changed"
            .into(),
    )
}

fn bad_key() -> StoreError {
    StoreError::Io("a master key must be 64 hexadecimal digits (32 bytes)".into())
}

/// The host master key.
pub type MasterKey = Key32;

impl MasterKey {
    /// Reads a key file (64 hex digits).
    pub fn read_file(path: &Path) -> Result<Self, StoreError> {
        let text = fs::read_to_string(path).map_err(|e| {
            StoreError::Io(format!(
                "cannot read the master key file {}: {e}",
                path.display()
            ))
        })?;
        Self::from_hex(&text)
    }

    /// Reads the key file, or creates it (mode 0600) holding a new random key.
    pub fn load_or_create(path: &Path) -> Result<Self, StoreError> {
        if path.exists() {
            return Self::read_file(path);
        }
        let key = Self::random();
        key.write_file(path)?;
        Ok(key)
    }

    /// Writes the key durably to `path` (mode 0600), replacing it atomically.
    pub fn write_file(&self, path: &Path) -> Result<(), StoreError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
        {
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&tmp)?;
            file.write_all(format!("{}\n", self.to_hex()).as_bytes())?;
            file.sync_all()?;
        }
        fs::rename(&tmp, path)?;
        sync_dir(dir)?;
        Ok(())
    }
}

pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir)?.sync_all()?;
    Ok(())
}

/// Where the master key comes from, for messages.
pub fn default_key_file(data: &Path) -> PathBuf {
    data.join("master.key")
}

/// Seals a short message (a key, a manifest) under `key`: a random 24-byte
/// nonce, then XChaCha20-Poly1305 with `aad` bound.
pub(crate) fn seal(key: &Key32, aad: &[u8], msg: &[u8]) -> Vec<u8> {
    let nonce: [u8; 24] = rand::random();
    let cipher = XChaCha20Poly1305::new(&key.0.into());
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(&XNonce::from(nonce), Payload { msg, aad })
            .expect("encrypting a message in memory cannot fail"),
    );
    out
}

/// Opens what [`seal`] sealed; `None` when the key or `aad` is not the one
/// it was sealed with, or the bytes were changed.
pub(crate) fn open(key: &Key32, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 24 + 16 {
        return None;
    }
    let (nonce, msg) = sealed.split_at(24);
    let nonce: [u8; 24] = nonce.try_into().ok()?;
    XChaCha20Poly1305::new(&key.0.into())
        .decrypt(&XNonce::from(nonce), Payload { msg, aad })
        .ok()
}

/// Wraps a pod's data key under the master key; `pod` is bound as associated data.
pub(crate) fn wrap(master: &MasterKey, pod: &str, data_key: &Key32) -> Vec<u8> {
    seal(master, pod.as_bytes(), &data_key.0)
}

/// Unwraps a pod's data key; fails when the master key is not the one it was wrapped with.
pub(crate) fn unwrap(master: &MasterKey, pod: &str, wrapped: &[u8]) -> Result<Key32, StoreError> {
    if wrapped.len() != 24 + 32 + 16 {
        return Err(wrong_master_key());
    }
    let plain = open(master, pod.as_bytes(), wrapped).ok_or_else(wrong_master_key)?;
    Ok(Key32(plain.try_into().map_err(|_| wrong_master_key())?))
}

/// The keys of one open pod, derived from its data key.
#[derive(Debug, Clone)]
pub(crate) struct PodKeys {
    pub db: Key32,
    blob_enc: Key32,
    blob_name: Key32,
}

/// Blob files start with this, then the 19-byte STREAM nonce prefix.
pub(crate) const BLOB_MAGIC: &[u8; 4] = b"SDB1";

impl PodKeys {
    pub fn from_data_key(data_key: &Key32) -> Self {
        Self {
            db: data_key.derive("selfdata pod.sqlite v1"),
            blob_enc: data_key.derive("selfdata blob encryption v1"),
            blob_name: data_key.derive("selfdata blob name v1"),
        }
    }

    /// The MAC that names a blob, to be fed its body.
    pub(crate) fn blob_namer(&self) -> Hmac<Sha256> {
        <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.blob_name.0)
            .expect("HMAC takes any key length")
    }

    /// A blob's file name: HMAC-SHA256 of its body, in hex.
    pub fn blob_name(&self, body: &[u8]) -> String {
        let mut mac = self.blob_namer();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    /// A writer sealing a blob into `out` (STREAM, chunks of 64 KiB, the name
    /// as associated data); [`SealWriter::finish`] ends it.
    pub(crate) fn blob_sealer<W: std::io::Write>(
        &self,
        name: &str,
        out: W,
    ) -> std::io::Result<SealWriter<W>> {
        SealWriter::new(out, BLOB_MAGIC, &self.blob_enc, name.as_bytes())
    }

    /// Encrypts a blob body.
    pub fn seal_blob(&self, name: &str, body: &[u8]) -> Vec<u8> {
        let out = Vec::with_capacity(body.len() + body.len() / CHUNK * TAG + 64);
        let sealed = self.blob_sealer(name, out).and_then(|mut w| {
            w.write_all(body)?;
            w.finish()
        });
        sealed.expect("sealing into memory cannot fail")
    }

    /// Decrypts a blob file; fails if it was changed, truncated or is another blob.
    pub fn open_blob(&self, name: &str, file: &[u8]) -> Result<Vec<u8>, StoreError> {
        let bad = || StoreError::Io(format!("the blob {name} is damaged or not this pod's"));
        let mut reader = OpenReader::new(
            std::io::Cursor::new(file),
            BLOB_MAGIC,
            &self.blob_enc,
            name.as_bytes(),
        )
        .map_err(|_| bad())?;
        let mut out = Vec::with_capacity(reader.len() as usize);
        reader.read_to_end(&mut out).map_err(|_| bad())?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sealed::NONCE_PREFIX;

    #[test]
    fn wrap_round_trip_and_binding() {
        let master = Key32::random();
        let data = Key32::random();
        let w = wrap(&master, "alice", &data);
        assert_eq!(unwrap(&master, "alice", &w).unwrap(), data);
        assert!(unwrap(&master, "bob", &w).is_err());
        assert!(unwrap(&Key32::random(), "alice", &w).is_err());
    }

    #[test]
    fn blob_round_trip_every_size() {
        let keys = PodKeys::from_data_key(&Key32::random());
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 7] {
            let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let name = keys.blob_name(&body);
            let sealed = keys.seal_blob(&name, &body);
            assert_eq!(keys.open_blob(&name, &sealed).unwrap(), body, "len {len}");
            if len > CHUNK {
                // Dropping the last chunk is detected.
                let cut = &sealed[..4 + NONCE_PREFIX + CHUNK + TAG];
                assert!(keys.open_blob(&name, cut).is_err());
            }
            let mut bad = sealed.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(keys.open_blob(&name, &bad).is_err());
        }
    }
}

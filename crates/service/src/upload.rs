//! A file handed over for import, as every intake receives it: held in
//! memory when small (a page's upload up to [`SPOOL_ABOVE`], an inbox post,
//! a connector's pull), otherwise left where it is (the operator's file)
//! or spooled to disk sealed under a key only this process holds
//! ([`selfdata_store::spool`]). Intakes judge it from its [`Upload::head`],
//! read it whole when their format needs that ([`Upload::whole`], refused
//! past a cap), or stream it ([`Upload::open`]); its original is written to
//! the pod from where it is ([`Upload::write_to`]), so a file of hundreds of
//! megabytes never has to fit in memory.

use std::io::{self, Read};
use std::sync::Arc;

use bytes::Bytes;
use selfdata_sources::{ImportError, Refusal};
use selfdata_store::spool::Spool;
use selfdata_store::{BodySource, FileBody, Precondition, ReadSeek, ResourcePath, Write};
use sha2::{Digest, Sha256};

/// How much of a file intakes judge it from.
pub const HEAD_BYTES: usize = 64 * 1024;

/// Above this size a page's upload is spooled to disk, not held in memory.
pub const SPOOL_ABOVE: usize = 8 * 1024 * 1024;

/// The most an intake reads whole into memory by default (its format is
/// not streamed); a larger file is refused with a sentence.
pub const MAX_WHOLE_BYTES: u64 = 64 * 1024 * 1024;

/// A file handed over for import. Cloning it is cheap (shared).
#[derive(Debug, Clone)]
pub struct Upload(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    held: Held,
    /// [`Upload::judged`], read once for every intake that asks.
    judged: std::sync::OnceLock<Bytes>,
}

#[derive(Debug)]
enum Held {
    Memory {
        body: Bytes,
        sha256: [u8; 32],
    },
    Elsewhere {
        source: Arc<dyn BodySource>,
        head: Bytes,
        sha256: [u8; 32],
    },
}

impl From<Bytes> for Upload {
    fn from(body: Bytes) -> Self {
        let sha256 = Sha256::digest(&body).into();
        Upload::held(Held::Memory { body, sha256 })
    }
}

impl From<Vec<u8>> for Upload {
    fn from(body: Vec<u8>) -> Self {
        Bytes::from(body).into()
    }
}

fn head_of(source: &dyn BodySource) -> io::Result<Bytes> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    source
        .open()?
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    Ok(head.into())
}

impl Upload {
    fn held(held: Held) -> Self {
        Upload(Arc::new(Shared {
            held,
            judged: std::sync::OnceLock::new(),
        }))
    }

    /// A spooled file (its hash was taken as it was written).
    pub fn spooled(spool: Spool) -> io::Result<Self> {
        let sha256 = spool.sha256();
        let head = head_of(&spool)?;
        Ok(Upload::held(Held::Elsewhere {
            source: Arc::new(spool),
            head,
            sha256,
        }))
    }

    /// A file on disk, read where it is (one pass now, for its hash). Blocking.
    pub fn from_path(path: &std::path::Path) -> io::Result<Self> {
        let source = FileBody::new(path)?;
        let mut sha = Sha256::new();
        io::copy(&mut source.open()?, &mut ShaWriter(&mut sha))?;
        let head = head_of(&source)?;
        Ok(Upload::held(Held::Elsewhere {
            source: Arc::new(source),
            head,
            sha256: sha.finalize().into(),
        }))
    }

    /// Its length in bytes.
    pub fn len(&self) -> u64 {
        match &self.0.held {
            Held::Memory { body, .. } => body.len() as u64,
            Held::Elsewhere { source, .. } => source.len(),
        }
    }

    /// Whether it has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Its first [`HEAD_BYTES`] (all of it when shorter).
    pub fn head(&self) -> &[u8] {
        match &self.0.held {
            Held::Memory { body, .. } => &body[..body.len().min(HEAD_BYTES)],
            Held::Elsewhere { head, .. } => head,
        }
    }

    /// Whether it holds nothing but spaces and line ends.
    pub fn is_blank(&self) -> bool {
        self.len() <= HEAD_BYTES as u64 && selfdata_sources::contract::is_blank(self.head())
    }

    /// The SHA-256 of its content.
    pub fn sha256(&self) -> [u8; 32] {
        match &self.0.held {
            Held::Memory { sha256, .. } | Held::Elsewhere { sha256, .. } => *sha256,
        }
    }

    /// A reader from its first byte (blocking when it is on disk).
    pub fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        match &self.0.held {
            Held::Memory { body, .. } => Ok(Box::new(io::Cursor::new(body.clone()))),
            Held::Elsewhere { source, .. } => source.open(),
        }
    }

    /// All of it in memory, for a format that is not streamed; refused past
    /// `max` bytes. Blocking when it is on disk.
    pub fn whole(&self, max: u64) -> Result<Bytes, ImportError> {
        if self.len() > max {
            return Err(ImportError::TooLarge { max });
        }
        match &self.0.held {
            Held::Memory { body, .. } => Ok(body.clone()),
            Held::Elsewhere { source, .. } => {
                let mut out = Vec::with_capacity(source.len() as usize);
                source
                    .open()
                    .and_then(|r| r.take(max).read_to_end(&mut out))
                    .map_err(|e| {
                        ImportError::Invalid(format!("the file could not be read ({e})"))
                    })?;
                Ok(out.into())
            }
        }
    }

    /// [`Upload::whole`] up to [`MAX_WHOLE_BYTES`], for an intake's
    /// [`crate::Intake::parse`]: a larger file is refused saying so.
    pub fn whole_or_refusal(&self) -> Result<Bytes, Refusal> {
        self.whole(MAX_WHOLE_BYTES).map_err(|error| Refusal {
            error,
            expected: Vec::new(),
        })
    }

    /// What an intake judges a file from: its head, or, for a zip (whose
    /// directory is at its end), all of it up to [`MAX_WHOLE_BYTES`] (a
    /// larger zip is judged from nothing).
    /// Read once, whatever the number of intakes that ask.
    pub fn judged(&self) -> Bytes {
        self.0
            .judged
            .get_or_init(|| {
                let head = self.head();
                if head.starts_with(b"PK\x03\x04") {
                    return self.whole(MAX_WHOLE_BYTES).unwrap_or_default();
                }
                Bytes::copy_from_slice(head)
            })
            .clone()
    }

    /// The write that keeps it at `path` in the pod.
    pub fn write_to(&self, path: &ResourcePath, media_type: &str) -> Write {
        match &self.0.held {
            Held::Memory { body, .. } => Write::Put {
                path: path.clone(),
                content_type: media_type.to_owned(),
                body: body.clone(),
                precondition: Precondition::None,
            },
            Held::Elsewhere { source, .. } => Write::PutLarge {
                path: path.clone(),
                content_type: media_type.to_owned(),
                body: source.clone(),
                precondition: Precondition::None,
            },
        }
    }
}

/// Feeds what is written to a hash.
struct ShaWriter<'a>(&'a mut Sha256);

impl io::Write for ShaWriter<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0.update(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spooled_file_and_the_same_bytes_in_memory_are_the_same_upload() {
        let dir = tempfile::tempdir().unwrap();
        let spools = selfdata_store::spool::Spools::open(dir.path()).unwrap();
        let body: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut w = spools.create().unwrap();
        io::Write::write_all(&mut w, &body).unwrap();
        let spooled = Upload::spooled(w.finish().unwrap()).unwrap();
        let held = Upload::from(body.clone());
        assert_eq!(spooled.len(), held.len());
        assert_eq!(spooled.head(), held.head());
        assert_eq!(spooled.head().len(), HEAD_BYTES);
        assert_eq!(spooled.sha256(), held.sha256());
        assert_eq!(
            spooled.whole(u64::MAX).unwrap(),
            held.whole(u64::MAX).unwrap()
        );
        assert_eq!(
            spooled.whole(1000).unwrap_err(),
            ImportError::TooLarge { max: 1000 }
        );
        let mut streamed = Vec::new();
        spooled.open().unwrap().read_to_end(&mut streamed).unwrap();
        assert_eq!(streamed, body);
    }
}

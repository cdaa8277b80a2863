//! Files handed over for import that are too large to hold in memory, kept
//! on disk only until they are imported, and never in the clear: each is
//! sealed ([`crate::sealed`]) under a random key that lives only in this
//! process's memory, so a spool file left by a crash or read off the disk
//! is noise. A [`Spool`] removes its file when dropped; [`Spools::open`]
//! removes what an earlier process left.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::crypto::Key32;
use crate::sealed::{OpenReader, SealWriter};
use crate::{BodySource, ReadSeek};

const SPOOL_MAGIC: &[u8; 4] = b"SDS1";
const AAD: &[u8] = b"selfdata spool v1";

/// The folder spooled files are written to.
#[derive(Debug, Clone)]
pub struct Spools {
    dir: PathBuf,
}

impl Spools {
    /// Creates the folder, removing files an earlier process left there.
    pub fn open(dir: impl Into<PathBuf>) -> io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        for entry in fs::read_dir(&dir)? {
            let _ = fs::remove_file(entry?.path());
        }
        Ok(Self { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new spooled file, written as it arrives.
    pub fn create(&self) -> io::Result<SpoolWriter> {
        let key = Key32::random();
        let path = self
            .dir
            .join(format!("{:032x}.spool", rand::random::<u128>()));
        let file = File::create_new(&path)?;
        let sealer = SealWriter::new(BufWriter::new(file), SPOOL_MAGIC, &key, AAD);
        let sealer = match sealer {
            Ok(s) => s,
            Err(e) => {
                let _ = fs::remove_file(&path);
                return Err(e);
            }
        };
        Ok(SpoolWriter {
            sealer: Some(sealer),
            path,
            key,
            sha: Sha256::new(),
            len: 0,
        })
    }
}

/// A spooled file being written; dropped unfinished, its file is removed.
pub struct SpoolWriter {
    sealer: Option<SealWriter<BufWriter<File>>>,
    path: PathBuf,
    key: Key32,
    sha: Sha256,
    len: u64,
}

impl std::fmt::Debug for SpoolWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpoolWriter")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl SpoolWriter {
    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Seals the end and hands back the spooled file.
    pub fn finish(mut self) -> io::Result<Spool> {
        let sealer = self
            .sealer
            .take()
            .ok_or_else(|| io::Error::other("the spool was already finished"))?;
        sealer.finish()?.into_inner().map_err(|e| e.into_error())?;
        Ok(Spool {
            path: std::mem::take(&mut self.path),
            key: self.key.clone(),
            len: self.len,
            sha256: std::mem::take(&mut self.sha).finalize().into(),
        })
    }
}

impl Write for SpoolWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let sealer = self
            .sealer
            .as_mut()
            .ok_or_else(|| io::Error::other("the spool was already finished"))?;
        sealer.write_all(data)?;
        self.sha.update(data);
        self.len += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for SpoolWriter {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// A file spooled whole: read as often as needed, removed when dropped.
pub struct Spool {
    path: PathBuf,
    key: Key32,
    len: u64,
    sha256: [u8; 32],
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl Spool {
    /// The SHA-256 of its content, computed as it was written.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }
}

impl BodySource for Spool {
    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        let reader = OpenReader::new(File::open(&self.path)?, SPOOL_MAGIC, &self.key, AAD)?;
        if reader.len() != self.len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a spooled file changed on disk",
            ));
        }
        Ok(Box::new(reader))
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_spool_reads_back_is_sealed_on_disk_and_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let spools = Spools::open(dir.path().join("spool")).unwrap();
        let body: Vec<u8> = b"{\"locations\":[]} ".repeat(20_000);
        let mut w = spools.create().unwrap();
        for piece in body.chunks(1000) {
            w.write_all(piece).unwrap();
        }
        let spool = w.finish().unwrap();
        assert_eq!(spool.len(), body.len() as u64);
        assert_eq!(spool.sha256(), <[u8; 32]>::from(Sha256::digest(&body)));
        let on_disk = fs::read(&spool.path).unwrap();
        assert!(
            !on_disk.windows(12).any(|w| w == b"\"locations\""),
            "the spooled file is not in the clear"
        );
        for _ in 0..2 {
            let mut back = Vec::new();
            spool.open().unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, body);
        }
        let path = spool.path.clone();
        drop(spool);
        assert!(!path.exists());
    }

    #[test]
    fn an_unfinished_spool_and_leftovers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let spools = Spools::open(dir.path()).unwrap();
        let mut w = spools.create().unwrap();
        w.write_all(b"half").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        fs::write(dir.path().join("left.spool"), b"from a crash").unwrap();
        Spools::open(dir.path()).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}

//! Large bodies of a pod as content-addressed files beside its database,
//! written atomically and pinned while a queued write refers to them.

use super::*;

/// Content-addressed files for large bodies, written atomically.
///
/// A blob written for a write still in the writer's queue is *pinned*, so the
/// writer never removes a file that a queued write is about to refer to.
pub(super) struct BlobDir {
    dir: PathBuf,
    /// Encryption and naming keys (`None` when unencrypted: plain files named by SHA-256).
    keys: Option<PodKeys>,
    pinned: Mutex<HashMap<String, usize>>,
}

impl BlobDir {
    pub(super) fn new(dir: PathBuf, keys: Option<PodKeys>) -> Result<Self, StoreError> {
        fs::create_dir_all(dir.join("tmp"))?;
        Ok(Self {
            dir,
            keys,
            pinned: Mutex::new(HashMap::new()),
        })
    }

    /// Encrypts the plaintext blobs of a pod of an earlier version: each is
    /// written encrypted under its keyed name, the rows are pointed at it in
    /// one transaction, then the plaintext files are removed.
    pub(super) fn encrypt_plaintext_blobs(&self, conn: &Connection) -> Result<(), StoreError> {
        let Some(keys) = &self.keys else {
            return Ok(());
        };
        let hashes: Vec<String> = conn
            .prepare("SELECT DISTINCT blob FROM resource WHERE blob IS NOT NULL")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut renamed = Vec::new();
        for old in hashes {
            let path = self.path_of(&old)?;
            let body = fs::read(&path)?;
            if body.starts_with(b"SDB1") {
                continue;
            }
            let new = keys.blob_name(&body);
            self.write_file(&new, &self.path_of(&new)?, &keys.seal_blob(&new, &body))?;
            renamed.push((old, new, path));
        }
        let tx = conn.unchecked_transaction()?;
        for (old, new, _) in &renamed {
            tx.execute(
                "UPDATE resource SET blob = ?2 WHERE blob = ?1",
                params![old, new],
            )?;
        }
        tx.commit()?;
        for (_, _, path) in renamed {
            fs::remove_file(path)?;
        }
        Ok(())
    }

    pub(super) fn unpin(&self, hash: &str) {
        let mut pinned = self.pinned.lock();
        if let Some(n) = pinned.get_mut(hash) {
            *n -= 1;
            if *n == 0 {
                pinned.remove(hash);
            }
        }
    }

    fn path_of(&self, hash: &str) -> Result<PathBuf, StoreError> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Io(format!("bad blob name {hash}")));
        }
        Ok(self.dir.join(&hash[..2]).join(hash))
    }

    /// Writes the body durably under its hash and pins it; returns (hash, length).
    /// The caller must hand the hash to the writer, which unpins it.
    pub(super) fn store(&self, body: &[u8]) -> Result<(String, u64), StoreError> {
        let hash = match &self.keys {
            Some(keys) => keys.blob_name(body),
            None => hex::encode(Sha256::digest(body)),
        };
        let target = self.path_of(&hash)?;
        *self.pinned.lock().entry(hash.clone()).or_default() += 1;
        if target.exists() {
            return Ok((hash, body.len() as u64));
        }
        let written = match &self.keys {
            Some(keys) => self.write_file(&hash, &target, &keys.seal_blob(&hash, body)),
            None => self.write_file(&hash, &target, body),
        };
        if written.is_err() {
            self.unpin(&hash);
        }
        written.map(|()| (hash, body.len() as u64))
    }

    /// [`BlobDir::store`] of a body read from its source, twice: once to
    /// name it, once to write it (checking it is still what was named), so
    /// memory holds one chunk whatever its size.
    pub(super) fn store_from(&self, source: &dyn BodySource) -> Result<(String, u64), StoreError> {
        let changed = || StoreError::Io("a file changed while it was stored".into());
        let name_of = |r: &mut dyn std::io::Read,
                       out: &mut dyn std::io::Write|
         -> Result<(String, u64), StoreError> {
            let mut buf = vec![0u8; 64 * 1024];
            let mut len = 0u64;
            let hash = match &self.keys {
                Some(keys) => {
                    use hmac::Mac as _;
                    let mut mac = keys.blob_namer();
                    loop {
                        let n = r.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        mac.update(&buf[..n]);
                        out.write_all(&buf[..n])?;
                        len += n as u64;
                    }
                    hex::encode(mac.finalize().into_bytes())
                }
                None => {
                    let mut sha = Sha256::new();
                    loop {
                        let n = r.read(&mut buf)?;
                        if n == 0 {
                            break;
                        }
                        sha.update(&buf[..n]);
                        out.write_all(&buf[..n])?;
                        len += n as u64;
                    }
                    hex::encode(sha.finalize())
                }
            };
            Ok((hash, len))
        };
        let (hash, len) = name_of(&mut source.open()?, &mut std::io::sink())?;
        if len != source.len() {
            return Err(changed());
        }
        let target = self.path_of(&hash)?;
        *self.pinned.lock().entry(hash.clone()).or_default() += 1;
        if target.exists() {
            return Ok((hash, len));
        }
        let written = self.write_with(&hash, &target, |file| {
            let (again, n) = match &self.keys {
                Some(keys) => {
                    let mut sealer = keys.blob_sealer(&hash, file)?;
                    let named = name_of(&mut source.open()?, &mut sealer)?;
                    sealer.finish()?;
                    named
                }
                None => name_of(&mut source.open()?, file)?,
            };
            if again != hash || n != len {
                return Err(changed());
            }
            Ok(())
        });
        if written.is_err() {
            self.unpin(&hash);
        }
        written.map(|()| (hash, len))
    }

    fn write_file(&self, hash: &str, target: &Path, body: &[u8]) -> Result<(), StoreError> {
        self.write_with(hash, target, |file| Ok(file.write_all(body)?))
    }

    /// Writes a blob file through `fill` into a temporary file, made durable
    /// and renamed to `target`; nothing is left behind when it fails.
    fn write_with(
        &self,
        hash: &str,
        target: &Path,
        fill: impl FnOnce(&mut std::io::BufWriter<&mut fs::File>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let shard = target.parent().expect("blob paths have a shard folder");
        fs::create_dir_all(shard)?;
        let tmp = self
            .dir
            .join("tmp")
            .join(format!("{hash}.{}", rand::random::<u64>()));
        let written = (|| {
            let mut file = fs::File::create(&tmp)?;
            let mut out = std::io::BufWriter::new(&mut file);
            fill(&mut out)?;
            out.flush()?;
            drop(out);
            file.sync_all()?;
            fs::rename(&tmp, target)?;
            Ok::<_, StoreError>(())
        })();
        if let Err(e) = written {
            // A full disk must not keep the partial file.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        fs::File::open(shard)?.sync_all()?;
        Ok(())
    }

    pub(super) fn read(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        let file = fs::read(self.path_of(hash)?)?;
        match &self.keys {
            Some(keys) => keys.open_blob(hash, &file),
            None => Ok(file),
        }
    }

    pub(super) fn remove_if_unreferenced(
        &self,
        conn: &Connection,
        hash: &str,
    ) -> Result<(), StoreError> {
        let pinned = self.pinned.lock();
        if pinned.contains_key(hash) {
            return Ok(());
        }
        let used = conn
            .prepare_cached("SELECT 1 FROM resource WHERE blob = ?1")?
            .exists([hash])?;
        if !used {
            let path = self.path_of(hash)?;
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// Removes blob files no resource refers to (left by a crash between the
    /// blob write and the commit) and stale temporary files.
    pub(super) fn sweep_unreferenced(&self, conn: &Connection) -> Result<(), StoreError> {
        for entry in fs::read_dir(self.dir.join("tmp"))? {
            let _ = fs::remove_file(entry?.path());
        }
        for shard in fs::read_dir(&self.dir)? {
            let shard = shard?;
            if shard.file_name() == "tmp" || !shard.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(shard.path())? {
                let file = file?;
                if let Some(hash) = file.file_name().to_str() {
                    self.remove_if_unreferenced(conn, hash)?;
                }
            }
        }
        Ok(())
    }
}

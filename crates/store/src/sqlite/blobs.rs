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

    fn write_file(&self, hash: &str, target: &Path, body: &[u8]) -> Result<(), StoreError> {
        let shard = target.parent().expect("blob paths have a shard folder");
        fs::create_dir_all(shard)?;
        let tmp = self
            .dir
            .join("tmp")
            .join(format!("{hash}.{}", rand::random::<u64>()));
        let written = (|| {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(body)?;
            file.sync_all()?;
            fs::rename(&tmp, target)
        })();
        if let Err(e) = written {
            // A full disk must not keep the partial file.
            let _ = fs::remove_file(&tmp);
            return Err(e.into());
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

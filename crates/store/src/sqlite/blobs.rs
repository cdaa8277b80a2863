//! Large bodies of a pod as content-addressed files beside its database,
//! written atomically and pinned while a queued write refers to them.

use super::*;

/// A blob's name being computed.
enum Namer {
    Keyed(hmac::Hmac<Sha256>),
    Plain(Sha256),
}

impl Namer {
    fn update(&mut self, data: &[u8]) {
        match self {
            Namer::Keyed(mac) => hmac::Mac::update(mac, data),
            Namer::Plain(sha) => Digest::update(sha, data),
        }
    }

    fn finish(self) -> String {
        match self {
            Namer::Keyed(mac) => hex::encode(hmac::Mac::finalize(mac).into_bytes()),
            Namer::Plain(sha) => hex::encode(sha.finalize()),
        }
    }
}

/// Content-addressed files for large bodies, written atomically.
///
/// A blob written for a write still in the writer's queue is *pinned*, so the
/// writer never removes a file that a queued write is about to refer to.
pub(super) struct BlobDir {
    dir: PathBuf,
    /// Encryption and naming keys (`None` when unencrypted: plain files named by SHA-256).
    keys: Option<PodKeys>,
    pinned: Mutex<HashMap<String, usize>>,
    /// Backups copying this pod now: while any is, no blob file is removed.
    held: std::sync::atomic::AtomicUsize,
}

/// A backup's hold on a pod's blob files (see [`BlobDir::hold`]).
pub(super) struct BlobHold(Arc<BlobDir>);

impl Drop for BlobHold {
    fn drop(&mut self) {
        let _pinned = self.0.pinned.lock();
        self.0.held.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BlobDir {
    pub(super) fn new(dir: PathBuf, keys: Option<PodKeys>) -> Result<Self, StoreError> {
        fs::create_dir_all(dir.join("tmp"))?;
        Ok(Self {
            dir,
            keys,
            pinned: Mutex::new(HashMap::new()),
            held: std::sync::atomic::AtomicUsize::new(0),
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

    /// What names a blob: the keyed MAC of its body, or its SHA-256 when
    /// the store is unencrypted.
    fn namer(&self) -> Namer {
        match &self.keys {
            Some(keys) => Namer::Keyed(keys.blob_namer()),
            None => Namer::Plain(Sha256::new()),
        }
    }

    /// Copies `r` into `out`, naming what passes: (name, length).
    fn copy_naming(
        &self,
        r: &mut dyn std::io::Read,
        out: &mut dyn std::io::Write,
    ) -> Result<(String, u64), StoreError> {
        let mut namer = self.namer();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                return Ok((namer.finish(), len));
            }
            namer.update(&buf[..n]);
            out.write_all(&buf[..n])?;
            len += n as u64;
        }
    }

    /// Pins `hash` and, unless its file exists, writes it (sealed when the
    /// store is encrypted) from what `fill` writes; unpinned if that fails.
    fn place(
        &self,
        hash: &str,
        fill: impl FnOnce(&mut dyn std::io::Write) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let target = self.path_of(hash)?;
        *self.pinned.lock().entry(hash.to_owned()).or_default() += 1;
        if target.exists() {
            return Ok(());
        }
        let written = self.write_with(hash, &target, |file| match &self.keys {
            Some(keys) => {
                let mut sealer = keys.blob_sealer(hash, file)?;
                fill(&mut sealer)?;
                sealer.finish()?;
                Ok(())
            }
            None => fill(file),
        });
        if written.is_err() {
            self.unpin(hash);
        }
        written
    }

    /// Writes the body durably under its name and pins it; returns (name, length).
    /// The caller must hand the name to the writer, which unpins it.
    pub(super) fn store(&self, body: &[u8]) -> Result<(String, u64), StoreError> {
        let mut namer = self.namer();
        namer.update(body);
        let hash = namer.finish();
        self.place(&hash, |w| Ok(w.write_all(body)?))?;
        Ok((hash, body.len() as u64))
    }

    /// [`BlobDir::store`] of a body read from its source, twice: once to
    /// name it, once to write it (checking it is still what was named), so
    /// memory holds one chunk whatever its size.
    pub(super) fn store_from(&self, source: &dyn BodySource) -> Result<(String, u64), StoreError> {
        let changed = || StoreError::Io("a file changed while it was stored".into());
        let (hash, len) = self.copy_naming(&mut source.open()?, &mut std::io::sink())?;
        if len != source.len() {
            return Err(changed());
        }
        self.place(&hash, |w| {
            let again = self.copy_naming(&mut source.open()?, w)?;
            if again != (hash.clone(), len) {
                return Err(changed());
            }
            Ok(())
        })?;
        Ok((hash, len))
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

    /// Keeps every blob file in place until the hold is dropped: a write
    /// committed meanwhile may stop referring to a file that the snapshot a
    /// backup is copying still names. What a write freed meanwhile is
    /// removed when the pod is next opened (`sweep_unreferenced`).
    pub(super) fn hold(self: &Arc<Self>) -> BlobHold {
        let _pinned = self.pinned.lock();
        self.held.fetch_add(1, Ordering::SeqCst);
        BlobHold(self.clone())
    }

    /// Where a blob's file is, for a backup copying it as it is.
    pub(super) fn file_of(&self, hash: &str) -> Result<PathBuf, StoreError> {
        self.path_of(hash)
    }

    pub(super) fn remove_if_unreferenced(
        &self,
        conn: &Connection,
        hash: &str,
    ) -> Result<(), StoreError> {
        let pinned = self.pinned.lock();
        if pinned.contains_key(hash) || self.held.load(Ordering::SeqCst) > 0 {
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

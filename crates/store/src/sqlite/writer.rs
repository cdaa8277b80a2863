//! The write path of a pod: each write prepared into a job (large bodies
//! written to the blob folder first), then applied by the pod's one writer
//! thread with the others waiting, in one transaction (group commit), with
//! preconditions and the storage quota checked inside it.

use super::*;

/// Turns a write into the writer's job; large bodies are written to the blob
/// folder here, off the writer thread.
pub(super) fn prepare(
    db: &Arc<PodDb>,
    write: Write,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Job, StoreError>> + Send + '_>> {
    Box::pin(async move {
        let write = match Job::bodiless(write) {
            Ok(job) => return Ok(job),
            Err(write) => write,
        };
        Ok(match write {
            Write::Put {
                path,
                content_type,
                body,
                precondition,
            } => {
                let stored = if body.len() > INLINE_LIMIT {
                    check_room(db, body.len() as u64)?;
                    let blobs = db.blobs.clone();
                    let hash = tokio::task::spawn_blocking(move || blobs.store(&body))
                        .await
                        .map_err(|e| StoreError::Io(e.to_string()))??;
                    Body::Blob(hash.0, hash.1)
                } else {
                    Body::Inline(body)
                };
                Job::Put {
                    path,
                    content_type,
                    body: stored,
                    precondition,
                }
            }
            Write::PutLarge {
                path,
                content_type,
                body,
                precondition,
            } => {
                check_room(db, body.len())?;
                let blobs = db.blobs.clone();
                let (hash, len) = tokio::task::spawn_blocking(move || blobs.store_from(&*body))
                    .await
                    .map_err(|e| StoreError::Io(e.to_string()))??;
                Job::Put {
                    path,
                    content_type,
                    body: Body::Blob(hash, len),
                    precondition,
                }
            }
            Write::Batch(writes) => {
                let mut jobs = Vec::with_capacity(writes.len());
                for w in writes {
                    jobs.push(prepare(db, w).await?);
                }
                Job::Batch(jobs)
            }
            other => return Err(crate::tree::unexpected(&other)),
        })
    })
}

/// Refuses a large body before its blob is written when it cannot fit the quota.
fn check_room(db: &PodDb, len: u64) -> Result<(), StoreError> {
    let used = db.usage.load(Ordering::Relaxed);
    let quota = db.quota.load(Ordering::Relaxed);
    if used.saturating_add(len) > quota {
        return Err(StoreError::QuotaExceeded {
            pod: db.name.clone(),
            used,
            quota,
        });
    }
    Ok(())
}

/// Whether a write may take more room (anything but deletes).
pub(super) fn may_grow(write: &Write) -> bool {
    match write {
        Write::Delete { .. }
        | Write::Restamp { .. }
        | Write::Index { value: None, .. }
        | Write::IndexIf { value: None, .. } => false,
        Write::Batch(writes) => writes.iter().any(may_grow),
        _ => true,
    }
}

/// Whether a job only frees room (deletes), so that it is worth trying again
/// once a full disk released the reserve.
pub(super) fn only_frees(job: &Job) -> bool {
    match job {
        Job::Delete { .. } | Job::Index { value: None, .. } | Job::IndexIf { value: None, .. } => {
            true
        }
        Job::Batch(jobs) => jobs.iter().all(only_frees),
        _ => false,
    }
}

/// Files and bytes under a folder.
pub(super) fn count_files(dir: &Path) -> (u64, u64) {
    let mut files = 0;
    let mut bytes = 0;
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    let (f, b) = count_files(&entry.path());
                    files += f;
                    bytes += b;
                }
                Ok(_) => {
                    files += 1;
                    bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
                }
                Err(_) => {}
            }
        }
    }
    (files, bytes)
}

pub(super) fn meta_from_row(path: ResourcePath, row: &rusqlite::Row<'_>) -> rusqlite::Result<Meta> {
    Ok(Meta {
        path,
        content_type: row.get(0)?,
        version: row.get::<_, i64>(1)? as u64,
        modified_ms: row.get(2)?,
        size: row.get::<_, i64>(3)? as u64,
    })
}

pub(super) fn read_meta(
    conn: &Connection,
    path: &ResourcePath,
) -> Result<Option<Meta>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content_type, version, modified, size FROM resource WHERE path = ?1",
    )?;
    Ok(stmt
        .query_row([path.as_str()], |row| meta_from_row(path.clone(), row))
        .optional()?)
}

/// Where a stored resource's body is.
pub(super) enum BodyAt {
    /// In the blob folder, under this hash.
    Blob(String),
    Inline(Vec<u8>),
}

impl BodyAt {
    pub(super) fn read(self, blobs: &BlobDir) -> Result<Vec<u8>, StoreError> {
        match self {
            BodyAt::Blob(hash) => blobs.read(&hash),
            BodyAt::Inline(body) => Ok(body),
        }
    }
}

/// A resource's metadata and where its body is (a blob is read apart, so a
/// reader is not held while a file is read).
pub(super) fn read_resource(
    conn: &Connection,
    path: &ResourcePath,
) -> Result<Option<(Meta, BodyAt)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content_type, version, modified, size, blob, body FROM resource WHERE path = ?1",
    )?;
    Ok(stmt
        .query_row([path.as_str()], |row| {
            let at = match row.get::<_, Option<String>>(4)? {
                Some(hash) => BodyAt::Blob(hash),
                None => BodyAt::Inline(row.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default()),
            };
            Ok((meta_from_row(path.clone(), row)?, at))
        })
        .optional()?)
}

pub(super) use crate::tree::Body;
pub(super) type Job = crate::tree::Job;

impl Job {
    /// The blobs this job refers to, pinned until it is applied.
    fn blobs(&self, out: &mut Vec<String>) {
        match self {
            Job::Put {
                body: Body::Blob(hash, _),
                ..
            } => out.push(hash.clone()),
            Job::Batch(jobs) => jobs.iter().for_each(|j| j.blobs(out)),
            _ => {}
        }
    }
}

pub(super) type Reply = oneshot::Sender<Result<WriteOutcome, StoreError>>;

/// One open pod.
pub(super) struct PodDb {
    file: PathBuf,
    name: String,
    /// Bytes the pod may hold (changed by the operator while it is open),
    /// and holds as of its last commit.
    pub(super) quota: Arc<AtomicU64>,
    pub(super) usage: Arc<AtomicU64>,
    /// The SQLCipher key of `pod.sqlite` (`None` when unencrypted).
    db_key: Option<Key32>,
    pub(super) last_used: AtomicU64,
    readers: Mutex<Vec<Connection>>,
    pub(super) writer: mpsc::Sender<(Job, Reply)>,
    writer_thread: std::thread::JoinHandle<()>,
    pub(super) blobs: Arc<BlobDir>,
}

impl PodDb {
    pub(super) fn open(
        dir: PathBuf,
        keys: Option<PodKeys>,
        name: &PodName,
        quota: u64,
        changes: ChangeSender,
    ) -> Result<Self, StoreError> {
        let file = dir.join("pod.sqlite");
        let db_key = keys.as_ref().map(|k| k.db.clone());
        let conn = open_pod_connection(&file, db_key.as_ref())?;
        pod_schema(&conn)?;
        let blobs = Arc::new(BlobDir::new(dir.join("blobs"), keys)?);
        blobs.sweep_unreferenced(&conn)?;
        let used: i64 = conn.query_row("SELECT COALESCE(SUM(size), 0) FROM resource", [], |r| {
            r.get(0)
        })?;
        let usage = Arc::new(AtomicU64::new(used.max(0) as u64));
        let writer_usage = usage.clone();
        let quota = Arc::new(AtomicU64::new(quota));
        let writer_quota = quota.clone();
        let writer_name = name.clone();
        let (tx, rx) = mpsc::channel();
        let writer_blobs = blobs.clone();
        let writer_thread = std::thread::Builder::new()
            .name(format!(
                "pod-writer-{}",
                dir.file_name().and_then(|n| n.to_str()).unwrap_or("?")
            ))
            .spawn(move || {
                Writer {
                    conn,
                    blobs: writer_blobs,
                    name: writer_name,
                    quota: writer_quota,
                    usage: writer_usage,
                    changes,
                }
                .run(rx)
            })?;
        Ok(Self {
            file,
            name: name.as_str().to_owned(),
            quota,
            usage,
            db_key,
            last_used: AtomicU64::new(0),
            readers: Mutex::new(Vec::new()),
            writer: tx,
            writer_thread,
            blobs,
        })
    }

    /// Closes the pod once nothing else holds it: waits (up to 30 s) for
    /// requests in flight, then closes the read connections, stops the
    /// writer thread (after its queue drains) and waits for it to end.
    pub(super) fn close(self: Arc<Self>, wait: std::time::Duration) -> Result<(), StoreError> {
        let mut db = self;
        let deadline = std::time::Instant::now() + wait;
        let db = loop {
            match Arc::try_unwrap(db) {
                Ok(db) => break db,
                Err(shared) if std::time::Instant::now() < deadline => {
                    db = shared;
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(_) => {
                    return Err(StoreError::Io(
                        "the pod is still in use; its key is destroyed and its files will be removed when the server next starts"
                            .into(),
                    ));
                }
            }
        };
        let PodDb {
            readers,
            writer,
            writer_thread,
            ..
        } = db;
        drop(readers);
        drop(writer);
        writer_thread
            .join()
            .map_err(|_| StoreError::Io("the pod's writer panicked".into()))
    }

    pub(super) fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.readers.lock().pop() {
            Some(c) => c,
            None => open_pod_connection(&self.file, self.db_key.as_ref())?,
        };
        let result = f(&conn);
        let mut readers = self.readers.lock();
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
        result
    }
}

/// The single writer of one pod.
pub(super) struct Writer {
    conn: Connection,
    blobs: Arc<BlobDir>,
    name: PodName,
    quota: Arc<AtomicU64>,
    /// Bytes of the pod's resources as of the last commit.
    usage: Arc<AtomicU64>,
    /// Where committed changes are told (never waits: see [`CHANGES_BACKLOG`]).
    changes: ChangeSender,
}

/// The store-wide channel of committed changes.
pub(super) type ChangeSender = tokio::sync::broadcast::Sender<Arc<crate::Committed>>;

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<(Job, Reply)>) {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let releases = crate::reserve::releases();
            let mut done = self.apply_batch(&batch);
            if matches!(done, Err(StoreError::DiskFull))
                && crate::reserve::releases() != releases
                && batch.iter().all(|(job, _)| only_frees(job))
            {
                // The failure released the reserve: there is room now for
                // this batch (a delete, most likely), so try it once more.
                done = self.apply_batch(&batch);
            }
            let (results, mut freed) = match done {
                Ok((results, freed, changes)) => {
                    if let Some(committed) = changes {
                        // Only fails when nobody listens any more.
                        let _ = self.changes.send(Arc::new(committed));
                    }
                    (results, freed)
                }
                Err(e) => {
                    tracing::error!(error = %e, "pod commit failed");
                    let results = batch
                        .iter()
                        .map(|_| match e {
                            StoreError::DiskFull => Err(StoreError::DiskFull),
                            _ => Err(StoreError::Io(e.to_string())),
                        })
                        .collect();
                    (results, Vec::new())
                }
            };
            for ((job, _), result) in batch.iter().zip(&results) {
                let mut pinned = Vec::new();
                job.blobs(&mut pinned);
                for hash in pinned {
                    self.blobs.unpin(&hash);
                    if result.is_err() {
                        // A refused write leaves no blob behind.
                        freed.push(hash);
                    }
                }
            }
            // Before answering, so that a delete has freed its space when
            // it is acknowledged (what a resident on a full disk waits for).
            for hash in freed {
                if let Err(e) = self.blobs.remove_if_unreferenced(&self.conn, &hash) {
                    tracing::warn!(error = %e, "could not remove an unused blob");
                }
            }
            for ((_, reply), result) in batch.into_iter().zip(results) {
                let _ = reply.send(result);
            }
        }
    }

    /// Applies every job in one transaction; returns each job's result, the
    /// blobs that may have lost their last reference and, when someone
    /// listens, the changes committed.
    fn apply_batch(&mut self, batch: &[(Job, Reply)]) -> Result<Applied, StoreError> {
        let mut tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut results = Vec::with_capacity(batch.len());
        let mut freed = Vec::new();
        let now = now_ms();
        let mut next_version: u64 = tx.query_row("SELECT next_version FROM counter", [], |r| {
            r.get::<_, i64>(0)
        })? as u64;
        let mut usage = self.usage.load(Ordering::Relaxed);
        let listened = self.changes.receiver_count() > 0;
        let mut changes = Vec::new();
        for (job, _) in batch {
            let sp = tx.savepoint()?;
            let mut rows = SqliteRows {
                tx: &sp,
                blobs: &self.blobs,
                freed: Vec::new(),
            };
            let mut ctx = crate::tree::Ctx {
                rows: &mut rows,
                next_version: &mut next_version,
                now,
                grown: 0,
                changes: listened.then(Vec::new),
            };
            let mut result = ctx.apply(job);
            if let Err(StoreError::DiskFull) = result {
                // The whole batch fails (and may be tried again once the
                // reserve is released); nothing of it is committed.
                return Err(StoreError::DiskFull);
            }
            let job_changes = ctx.changes.take();
            let grown = ctx.grown;
            let job_freed = rows.freed;
            let after = (usage as i64).saturating_add(grown).max(0) as u64;
            let quota = self.quota.load(Ordering::Relaxed);
            if result.is_ok() && grown > 0 && after > quota {
                // Only growth is refused: deletes and shrinking writes pass.
                result = Err(StoreError::QuotaExceeded {
                    pod: self.name.to_string(),
                    used: usage,
                    quota,
                });
            }
            if result.is_ok() {
                sp.commit()?;
                freed.extend(job_freed);
                changes.extend(job_changes.into_iter().flatten());
                usage = after;
            } else {
                drop(sp); // rolls back this job only
            }
            results.push(result);
        }
        tx.execute(
            "UPDATE counter SET next_version = ?1",
            [next_version as i64],
        )?;
        tx.commit()?;
        self.usage.store(usage, Ordering::Relaxed);
        let committed = (!changes.is_empty()).then(|| crate::Committed {
            pod: self.name.clone(),
            at_ms: now,
            changes,
        });
        Ok((results, freed, committed))
    }
}

/// What [`Writer::apply_batch`] returns.
type Applied = (
    Vec<Result<WriteOutcome, StoreError>>,
    Vec<String>,
    Option<crate::Committed>,
);

/// A pod's rows inside the writer's transaction (a job's savepoint).
pub(super) struct SqliteRows<'a> {
    tx: &'a Connection,
    blobs: &'a BlobDir,
    /// Blobs that may have lost their last reference.
    freed: Vec<String>,
}

impl SqliteRows<'_> {
    fn blob_of(&self, path: &ResourcePath) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT blob FROM resource WHERE path = ?1")?
            .query_row([path.as_str()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}

impl crate::tree::Rows for SqliteRows<'_> {
    fn meta(&mut self, path: &ResourcePath) -> Result<Option<Meta>, StoreError> {
        read_meta(self.tx, path)
    }

    fn exists(&mut self, path: &ResourcePath) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM resource WHERE path = ?1")?
            .exists([path.as_str()])?)
    }

    fn read(&mut self, path: &ResourcePath) -> Result<Option<(Meta, Vec<u8>)>, StoreError> {
        match read_resource(self.tx, path)? {
            Some((meta, at)) => Ok(Some((meta, at.read(self.blobs)?))),
            None => Ok(None),
        }
    }

    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        version: u64,
        now: i64,
        body: &Body,
    ) -> Result<(), StoreError> {
        if let Some(old) = self.blob_of(path)? {
            self.freed.push(old);
        }
        let (blob, inline, size) = match body {
            Body::Inline(b) => (None, Some(&b[..]), b.len() as u64),
            Body::Blob(hash, len) => (Some(hash.as_str()), None, *len),
        };
        self.tx
            .prepare_cached(
                "INSERT INTO resource (path, parent, content_type, version, modified, size, blob, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(path) DO UPDATE SET content_type = excluded.content_type,
                   version = excluded.version, modified = excluded.modified,
                   size = excluded.size, blob = excluded.blob, body = excluded.body",
            )?
            .execute(params![
                path.as_str(),
                path.parent().map(|p| p.as_str().to_owned()),
                content_type,
                version as i64,
                now,
                size as i64,
                blob,
                inline
            ])?;
        Ok(())
    }

    fn touch(&mut self, path: &ResourcePath, version: u64, now: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE resource SET version = ?2, modified = ?3 WHERE path = ?1")?
            .execute(params![path.as_str(), version as i64, now])?;
        Ok(())
    }

    fn children(&mut self, container: &ResourcePath) -> Result<Vec<ResourcePath>, StoreError> {
        let paths: Vec<String> = self
            .tx
            .prepare_cached("SELECT path FROM resource WHERE parent = ?1")?
            .query_map([container.as_str()], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(paths
            .iter()
            .map(|p| ResourcePath::parse(p))
            .collect::<Result<_, _>>()?)
    }

    fn remove(&mut self, path: &ResourcePath) -> Result<u64, StoreError> {
        if let Some(old) = self.blob_of(path)? {
            self.freed.push(old);
        }
        let size: Option<i64> = self
            .tx
            .prepare_cached("SELECT size FROM resource WHERE path = ?1")?
            .query_row([path.as_str()], |r| r.get(0))
            .optional()?;
        self.tx
            .prepare_cached("DELETE FROM resource WHERE path = ?1")?
            .execute([path.as_str()])?;
        Ok(size.unwrap_or(0).max(0) as u64)
    }

    fn index(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM derived WHERE key = ?1")?
            .query_row([key], |r| r.get::<_, Vec<u8>>(0))
            .optional()?)
    }

    fn set_index(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
        match value {
            Some(v) => self
                .tx
                .prepare_cached(
                    "INSERT INTO derived (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![key, v])?,
            None => self
                .tx
                .prepare_cached("DELETE FROM derived WHERE key = ?1")?
                .execute([key])?,
        };
        Ok(())
    }
}

//! The embedded storage engine: one SQLite database per pod, plus a host
//! database listing the pods.
//!
//! Layout of the data folder:
//! ```text
//! master.key                  the host master key (unless given another way)
//! host.sqlite                 pods, their wrapped data keys, the directory
//! pods/<name>/pod.sqlite      that pod's resources (WAL mode)
//! pods/<name>/blobs/ab/<mac>  bodies above INLINE_LIMIT, content-addressed
//! lock                        held by the process using the folder (see [`crate::lock`])
//! reserve                     room released when the disk is full (see [`crate::reserve`])
//! ```
//! Every file is encrypted (see [`crate::crypto`]): `host.sqlite` by SQLCipher
//! with a key derived from the master key, `pod.sqlite` by SQLCipher with a
//! key derived from the pod's data key, blobs with an AEAD stream.
//! Reads run on a small pool of read connections per pod. Writes go to one
//! writer thread per pod, which takes every write waiting in its queue, applies
//! them in one transaction (each in its own savepoint, so one failing write
//! does not affect the others) and commits with a full fsync before
//! answering any of them: group commit. That gives durable acknowledgements at
//! a rate far above one fsync per write, and serialises preconditions so no
//! update is ever lost.
//!
//! The writer also keeps each pod within its storage quota (bytes of its
//! resources, blobs included), inside the write transaction; deletes and
//! writes that shrink the pod always pass. At most `max_open_pods` pods are
//! open (derived from the descriptor limit by [`open_pod_cap`]); pods idle
//! for [`IDLE_POD_AGE`] are closed by [`SqliteBackend::maintain`], and when
//! every open pod is in use a request gets [`StoreError::Busy`] instead of
//! running the process out of descriptors.

use std::collections::HashMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::crypto::{Key32, MasterKey, PodKeys, sync_dir, wrap, wrong_master_key};
use crate::{
    Backend, BodySource, Meta, PodErasure, PodInfo, PodName, ResourcePath, StoreError, Write,
    WriteOutcome,
};

/// Bodies larger than this live in content-addressed files beside the
/// database (in the object store, on PostgreSQL).
pub use crate::INLINE_LIMIT;
/// At most this many writes share one commit.
const MAX_BATCH: usize = 512;
/// Pods kept open by default.
pub const DEFAULT_MAX_OPEN_PODS: usize = 256;
/// Read connections kept per pod.
const MAX_IDLE_READERS: usize = 4;
/// Descriptors an open pod holds at most when idle: the database and its
/// WAL for the writer and each kept reader, plus the shared-memory file.
pub const FDS_PER_OPEN_POD: u64 = 1 + 2 * (1 + MAX_IDLE_READERS as u64);
/// Pods unused for this long are closed by [`SqliteBackend::maintain`].
pub const IDLE_POD_AGE: std::time::Duration = std::time::Duration::from_secs(600);

/// The most pods [`open_pod_cap`] keeps open, whatever the descriptors
/// allow. An open pod costs memory as well as descriptors: its writer
/// thread and its SQLCipher connections' caches, about 300 to 450 KB once
/// it has imported a file (a holder's push to 2,000 pods peaked at 640 to
/// 900 MB with none closed, 285 MB with 512 open at most, 159 MB with 256,
/// 69 MB with 64, none of them slower). 256 keeps a server under 256 MB
/// through a holder's push; an operator with the memory may raise it
/// (`serve --max-open-pods`).
pub const MAX_OPEN_PODS_BY_DEFAULT: u64 = 256;

/// How many pods may be open at once under a descriptor limit: a quarter of
/// the limit (at least 32) is left to sockets and blob files, the rest
/// shared by open pods at [`FDS_PER_OPEN_POD`] each; between 2 and
/// [`MAX_OPEN_PODS_BY_DEFAULT`].
pub fn open_pod_cap(fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return MAX_OPEN_PODS_BY_DEFAULT as usize;
    };
    let headroom = (limit / 4).max(32);
    (limit.saturating_sub(headroom) / FDS_PER_OPEN_POD).clamp(2, MAX_OPEN_PODS_BY_DEFAULT) as usize
}

pub mod backup;
mod blobs;
mod schema;
mod writer;

use blobs::*;
use schema::*;
use writer::*;

pub(crate) use crate::now_ms;

/// What the host database keeps of an erased pod: nothing but its name as
/// erased (never given again). Its key, its row and its owner go, in the
/// caller's transaction. Returns whether a key was destroyed. Used by
/// `delete_pod`, and by a restore for pods erased since the snapshot.
fn forget_pod_rows(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let keys = tx.execute("DELETE FROM pod_key WHERE pod = ?1", [name])?;
    tx.execute("DELETE FROM pod WHERE name = ?1", [name])?;
    tx.execute("DELETE FROM pod_owner WHERE pod = ?1", [name])?;
    tx.execute(
        "INSERT OR IGNORE INTO pod_tombstone (name, erased) VALUES (?1, ?2)",
        params![name, now_ms],
    )?;
    Ok(keys > 0)
}

/// The embedded backend: a data folder of SQLite files.
pub struct SqliteBackend {
    root: PathBuf,
    /// The folder's lock, held while the store is open.
    _lock: crate::lock::DataLock,
    /// Room released when the disk is full.
    reserve: crate::reserve::Reserve,
    /// Bytes each pod may hold (resources and blobs).
    pod_quota: u64,
    /// The origin of `PodDb::last_used`.
    started: std::time::Instant,
    /// The master key; `None` only for the unencrypted benchmark mode.
    master: Option<MasterKey>,
    host: Mutex<Connection>,
    pods: RwLock<HashMap<PodName, Arc<PodDb>>>,
    /// Open pods kept at most; the least recently used beyond it are closed.
    max_open_pods: usize,
    /// Every pod's committed changes, for [`Backend::changes`].
    changes: writer::ChangeSender,
    /// Held while a backup writes a pod's key to a destination, and while an
    /// erasure destroys a pod's key and removes it from the destinations, so
    /// a backup never writes the key of a pod erased meanwhile.
    backup_keys: Mutex<()>,
    /// Held by the backup under way, so that two never run at once.
    backing_up: Mutex<()>,
}

impl Drop for SqliteBackend {
    /// Closes every pod no request holds and waits for its writer to finish,
    /// so that the files are complete and quiet once the store is gone.
    fn drop(&mut self) {
        for (_, db) in self.pods.get_mut().drain() {
            let _ = db.close(std::time::Duration::ZERO);
        }
    }
}

impl std::fmt::Debug for SqliteBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteBackend")
            .field("root", &self.root)
            .finish()
    }
}

impl SqliteBackend {
    /// Opens (creating if needed) the data folder, encrypted with the master
    /// key of `<root>/master.key` (created, mode 0600, on first open).
    /// Fails with [`StoreError::Locked`], touching nothing, when another
    /// process has the folder open.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root)?;
        let lock = crate::lock::DataLock::acquire(&root)?;
        let key = MasterKey::load_or_create(&crate::crypto::default_key_file(&root))?;
        Self::open_locked(root, Some(key), lock)
    }

    /// Opens (creating if needed) the data folder, encrypted with this master key.
    pub fn open_with_key(root: impl Into<PathBuf>, master: MasterKey) -> Result<Self, StoreError> {
        Self::open_inner(root.into(), Some(master))
    }

    /// Sets the storage quota of every pod, in bytes (none by default).
    pub fn with_pod_quota(mut self, bytes: u64) -> Self {
        self.pod_quota = bytes;
        self
    }

    /// Periodic upkeep, cheap: closes pods idle for longer than `max_idle`
    /// and writes the disk-full reserve again once there is room. Returns
    /// how many pods were closed.
    pub fn maintain(&self, max_idle: std::time::Duration) -> usize {
        let now = self.started.elapsed().as_millis() as u64;
        let limit = max_idle.as_millis() as u64;
        let idle: Vec<Arc<PodDb>> = {
            let mut pods = self.pods.write();
            let names: Vec<PodName> = pods
                .iter()
                .filter(|(_, db)| {
                    Arc::strong_count(db) == 1
                        && now.saturating_sub(db.last_used.load(Ordering::Relaxed)) >= limit
                })
                .map(|(n, _)| n.clone())
                .collect();
            names.iter().filter_map(|n| pods.remove(n)).collect()
        };
        let closed = idle.len();
        for db in idle {
            let _ = db.close(std::time::Duration::ZERO);
        }
        self.reserve.replenish();
        closed
    }

    /// Opens a data folder with encryption at rest OFF: plain SQLite files and
    /// blobs. Only so that a benchmark can measure the cost of encryption with
    /// the same build; never for real data.
    #[doc(hidden)]
    pub fn open_unencrypted(root: impl Into<PathBuf>) -> Result<Self, StoreError> {
        Self::open_inner(root.into(), None)
    }

    /// Whether the files are encrypted at rest.
    pub fn is_encrypted(&self) -> bool {
        self.master.is_some()
    }

    fn open_inner(root: PathBuf, master: Option<MasterKey>) -> Result<Self, StoreError> {
        fs::create_dir_all(&root)?;
        let lock = crate::lock::DataLock::acquire(&root)?;
        Self::open_locked(root, master, lock)
    }

    fn open_locked(
        root: PathBuf,
        master: Option<MasterKey>,
        lock: crate::lock::DataLock,
    ) -> Result<Self, StoreError> {
        // Before anything is written: a folder of a newer format is refused
        // untouched, one of an earlier format brought forward.
        crate::format::open(&root)?;
        // Before any database: on a full disk this releases the room they need.
        let reserve = crate::reserve::Reserve::open(&root);
        fs::create_dir_all(root.join("pods"))?;
        let host_path = root.join("host.sqlite");
        let host_key = master.as_ref().map(|m| m.derive(HOST_KEY_LABEL));
        let _ = fs::remove_file(root.join("host.sqlite.rotating"));
        if let Some(key) = &host_key
            && is_plaintext_sqlite(&host_path)
        {
            tracing::info!("encrypting host.sqlite of an earlier version");
            encrypt_plaintext_db(&host_path, key)?;
        }
        let host = open_connection(&host_path, host_key.as_ref())?;
        // Deleted rows (a destroyed data key) are overwritten, not just unlinked.
        host.execute_batch("PRAGMA secure_delete = ON;")?;
        schema_or_warn(&host, HOST_SCHEMA)?;
        schema_or_warn(&host, crate::directory::DIRECTORY_SCHEMA)?;
        crate::sqlite_directory::upgrade_host(&host)?;
        schema_or_warn(&host, crate::holders::HOLDERS_SCHEMA)?;
        schema_or_warn(&host, crate::studies::STUDIES_SCHEMA)?;
        let store = Self {
            root,
            _lock: lock,
            reserve,
            pod_quota: u64::MAX,
            started: std::time::Instant::now(),
            master,
            host: Mutex::new(host),
            pods: RwLock::new(HashMap::new()),
            max_open_pods: DEFAULT_MAX_OPEN_PODS,
            changes: tokio::sync::broadcast::channel(crate::CHANGES_BACKLOG).0,
            backup_keys: Mutex::new(()),
            backing_up: Mutex::new(()),
        };
        if store.master.is_some() {
            store.encrypt_or_sweep_pods()?;
        }
        Ok(store)
    }

    /// On open, encrypted mode: pods of an earlier version (a plaintext
    /// `pod.sqlite`, no data key yet) get a data key and are encrypted; pod
    /// folders without a pod (left by a crash during creation or deletion,
    /// whose key is gone) are removed.
    fn encrypt_or_sweep_pods(&self) -> Result<(), StoreError> {
        let master = self.master.as_ref().expect("encrypted mode");
        let (pods, keyed): (Vec<String>, Vec<String>) = {
            let host = self.host.lock();
            let pods = host
                .prepare("SELECT name FROM pod")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let keyed = host
                .prepare("SELECT pod FROM pod_key")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            (pods, keyed)
        };
        for entry in fs::read_dir(self.root.join("pods"))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !pods.contains(&name) && entry.file_type()?.is_dir() {
                tracing::warn!(pod = %name, "removing the files of a pod that no longer exists");
                fs::remove_dir_all(entry.path())?;
            }
        }
        for name in pods.iter().filter(|p| !keyed.contains(p)) {
            let file = self.root.join("pods").join(name).join("pod.sqlite");
            if !is_plaintext_sqlite(&file) {
                continue;
            }
            tracing::info!(pod = %name, "encrypting a pod of an earlier version");
            let data_key = Key32::random();
            let keys = PodKeys::from_data_key(&data_key);
            // The key first: without it the encrypted copy would be lost.
            self.host.lock().execute(
                "INSERT INTO pod_key (pod, wrapped) VALUES (?1, ?2)",
                params![name, wrap(master, name, &data_key)],
            )?;
            encrypt_plaintext_db(&file, &keys.db)?;
            let conn = open_connection(&file, Some(&keys.db))?;
            let blobs = BlobDir::new(file.with_file_name("blobs"), Some(keys))?;
            blobs.encrypt_plaintext_blobs(&conn)?;
        }
        Ok(())
    }

    /// Re-wraps every pod's data key under a new master key and re-encrypts
    /// `host.sqlite` under the new derived key, without touching pod data.
    /// Atomic: a new `host.sqlite` is written beside the old one and renamed
    /// over it, so a crash leaves either the old key or the new one working.
    /// Run it with the server stopped. Returns how many data keys were re-wrapped.
    pub fn rotate_master_key(
        root: &Path,
        old: &MasterKey,
        new: &MasterKey,
    ) -> Result<usize, StoreError> {
        let host_path = root.join("host.sqlite");
        if !host_path.exists() {
            return Err(StoreError::Io(format!(
                "there is no data folder at {}",
                root.display()
            )));
        }
        // Opening also encrypts a data folder of an earlier version. The
        // folder's lock is held until the rotation is done.
        let store = Self::open_with_key(root, old.clone())?;
        let _lock = store._lock.clone();
        drop(store);
        let tmp = root.join("host.sqlite.rotating");
        let _ = fs::remove_file(&tmp);
        let count;
        {
            let conn = open_connection(&host_path, Some(&old.derive(HOST_KEY_LABEL)))?;
            // Fails (busy) when another process, a running server, has it open.
            conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")?;
            let keys: Vec<(String, Vec<u8>)> = conn
                .prepare("SELECT pod, wrapped FROM pod_key")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            let mut rewrapped = Vec::with_capacity(keys.len());
            for (pod, wrapped) in keys {
                let data_key = crate::crypto::unwrap(old, &pod, &wrapped)?;
                rewrapped.push((pod.clone(), wrap(new, &pod, &data_key)));
            }
            count = rewrapped.len();
            conn.execute(
                &format!(
                    "ATTACH DATABASE ?1 AS rot KEY {}",
                    new.derive(HOST_KEY_LABEL).sqlcipher_pragma()
                ),
                [tmp.to_string_lossy()],
            )?;
            conn.query_row("SELECT sqlcipher_export('rot')", [], |_| Ok(()))?;
            conn.execute_batch("BEGIN;")?;
            for (pod, wrapped) in &rewrapped {
                conn.execute(
                    "UPDATE rot.pod_key SET wrapped = ?2 WHERE pod = ?1",
                    params![pod, wrapped],
                )?;
            }
            conn.execute_batch("COMMIT; DETACH DATABASE rot;")?;
        }
        fs::File::open(&tmp)?.sync_all()?;
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(root.join(format!("host.sqlite{suffix}")));
        }
        fs::rename(&tmp, &host_path)?;
        sync_dir(root)?;
        Ok(count)
    }

    /// The keys of a pod, from its wrapped data key (`None` when unencrypted).
    fn pod_keys(&self, name: &PodName) -> Result<Option<PodKeys>, StoreError> {
        Ok(self.pod_data_key(name)?.map(|k| PodKeys::from_data_key(&k)))
    }

    /// A pod's data key, unwrapped (`None` when unencrypted).
    fn pod_data_key(&self, name: &PodName) -> Result<Option<Key32>, StoreError> {
        let host = self.host.lock();
        let exists = host
            .prepare_cached("SELECT 1 FROM pod WHERE name = ?1")?
            .exists([name.as_str()])?;
        if !exists {
            return Err(StoreError::NoSuchPod(name.to_string()));
        }
        let Some(master) = &self.master else {
            return Ok(None);
        };
        let wrapped: Vec<u8> = host
            .prepare_cached("SELECT wrapped FROM pod_key WHERE pod = ?1")?
            .query_row([name.as_str()], |r| r.get(0))
            .optional()?
            .ok_or_else(|| StoreError::NoSuchPod(name.to_string()))?;
        Ok(Some(crate::crypto::unwrap(
            master,
            name.as_str(),
            &wrapped,
        )?))
    }

    /// Sets how many pods stay open at once (each holds a writer thread and a
    /// few SQLite connections); idle pods beyond it are closed and reopened on
    /// their next request.
    pub fn with_max_open_pods(mut self, n: usize) -> Self {
        self.max_open_pods = n.max(1);
        self
    }

    /// How many pods are open now.
    pub fn open_pods(&self) -> usize {
        self.pods.read().len()
    }

    /// The host database (pods, accounts, clients, tokens).
    pub(crate) fn host(&self) -> parking_lot::MutexGuard<'_, Connection> {
        self.host.lock()
    }

    /// The data folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn pod_dir(&self, name: &PodName) -> PathBuf {
        self.root.join("pods").join(name.as_str())
    }

    fn pod_db(&self, name: &PodName) -> Result<Arc<PodDb>, StoreError> {
        let now = self.started.elapsed().as_millis() as u64;
        if let Some(db) = self.pods.read().get(name) {
            db.last_used.store(now, Ordering::Relaxed);
            return Ok(db.clone());
        }
        let mut pods = self.pods.write();
        if let Some(db) = pods.get(name) {
            return Ok(db.clone());
        }
        // A pod closed to make room is dropped once the lock is released:
        // closing its connections may wait on the disk (a WAL checkpoint),
        // and no other request should wait with it.
        let mut evicted = None;
        let dir = self.pod_dir(name);
        if !dir.join("pod.sqlite").exists() {
            return Err(StoreError::NoSuchPod(name.to_string()));
        }
        if pods.len() >= self.max_open_pods {
            // Close the least recently used pod that no request holds, so two
            // handles (and two writers) of one pod never coexist. When every
            // open pod is busy, the caller is asked to come back (503)
            // rather than the process running out of descriptors.
            let oldest = pods
                .iter()
                .filter(|(_, db)| Arc::strong_count(db) == 1)
                .min_by_key(|(_, db)| db.last_used.load(Ordering::Relaxed))
                .map(|(n, _)| n.clone());
            match oldest.and_then(|n| pods.remove(&n)) {
                Some(db) => evicted = Some(db),
                None => return Err(StoreError::Busy),
            }
        }
        let keys = self.pod_keys(name)?;
        let quota = self.own_quota(name)?.unwrap_or(self.pod_quota);
        let db = Arc::new(PodDb::open(dir, keys, name, quota, self.changes.clone())?);
        db.last_used.store(now, Ordering::Relaxed);
        pods.insert(name.clone(), db.clone());
        drop(pods);
        drop(evicted);
        Ok(db)
    }

    /// Runs `f` on a pod for the server's own work (a backup, the usage the
    /// console shows). A pod that was not open is closed again afterwards
    /// (once no request holds it), so residents' open pods are not pushed
    /// out of the cache by it. `patient`: wait up to a minute when every
    /// open pod is in use, rather than answer `Busy` (blocking: off the
    /// async workers only).
    fn visit_pod<T, E: From<StoreError>>(
        &self,
        name: &PodName,
        patient: bool,
        f: impl FnOnce(&Arc<PodDb>) -> Result<T, E>,
    ) -> Result<T, E> {
        let was_open = self.pods.read().contains_key(name);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        let db = loop {
            match self.pod_db(name) {
                Err(StoreError::Busy) if patient && std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => break other?,
            }
        };
        let result = f(&db);
        drop(db);
        if !was_open {
            let closed = {
                let mut pods = self.pods.write();
                match pods.get(name) {
                    Some(db) if Arc::strong_count(db) == 1 => pods.remove(name),
                    _ => None,
                }
            };
            // Its connections closed once the lock is released.
            drop(closed);
        }
        result
    }

    /// The pod's own quota, if the operator gave it one.
    fn own_quota(&self, name: &PodName) -> Result<Option<u64>, StoreError> {
        let quota: Option<i64> = self
            .host
            .lock()
            .prepare_cached("SELECT quota FROM pod WHERE name = ?1")?
            .query_row([name.as_str()], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(quota.map(|q| q.max(0) as u64))
    }

    fn pod_info_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<(String, i64)> {
        Ok((row.get(0)?, row.get(1)?))
    }

    fn to_info((name, created): (String, i64)) -> Result<PodInfo, StoreError> {
        Ok(PodInfo {
            name: PodName::parse(&name)?,
            created_ms: created,
        })
    }
}

#[async_trait::async_trait]
impl Backend for SqliteBackend {
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Arc<crate::Committed>>> {
        Some(self.changes.subscribe())
    }

    async fn create_pod(&self, name: &PodName) -> Result<PodInfo, StoreError> {
        let dir = self.pod_dir(name);
        let created = now_ms();
        {
            let host = self.host.lock();
            let exists: bool = host
                .prepare_cached(
                    "SELECT 1 FROM pod WHERE name = ?1 UNION ALL SELECT 1 FROM pod_tombstone WHERE name = ?1",
                )?
                .exists([name.as_str()])?;
            if exists || dir.join("pod.sqlite").exists() {
                return Err(StoreError::PodExists(name.to_string()));
            }
            let data_key = Key32::random();
            let keys = self
                .master
                .as_ref()
                .map(|_| PodKeys::from_data_key(&data_key));
            fs::create_dir_all(dir.join("blobs"))?;
            let conn = open_connection(&dir.join("pod.sqlite"), keys.as_ref().map(|k| &k.db))?;
            conn.execute_batch(&pod_schema_sql())?;
            conn.execute(
                "INSERT INTO resource (path, parent, content_type, version, modified, size, body)
                 VALUES ('/', NULL, 'text/turtle', 1, ?1, 0, x'')",
                [created],
            )?;
            conn.execute("UPDATE counter SET next_version = 2", [])?;
            drop(conn);
            let tx = host.unchecked_transaction()?;
            if let Some(master) = &self.master {
                tx.execute(
                    "INSERT OR REPLACE INTO pod_key (pod, wrapped) VALUES (?1, ?2)",
                    params![name.as_str(), wrap(master, name.as_str(), &data_key)],
                )?;
            }
            tx.execute(
                "INSERT INTO pod (name, created) VALUES (?1, ?2)",
                params![name.as_str(), created],
            )?;
            tx.commit()?;
        }
        Ok(PodInfo {
            name: name.clone(),
            created_ms: created,
        })
    }

    async fn list_pods(&self) -> Result<Vec<PodInfo>, StoreError> {
        let host = self.host.lock();
        let mut stmt = host.prepare_cached("SELECT name, created FROM pod ORDER BY name")?;
        let rows = stmt
            .query_map([], Self::pod_info_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(Self::to_info).collect()
    }

    async fn pod(&self, name: &PodName) -> Result<Option<PodInfo>, StoreError> {
        let host = self.host.lock();
        let row = host
            .prepare_cached("SELECT name, created FROM pod WHERE name = ?1")?
            .query_row([name.as_str()], Self::pod_info_row)
            .optional()?;
        row.map(Self::to_info).transpose()
    }

    async fn meta(&self, pod: &PodName, path: &ResourcePath) -> Result<Option<Meta>, StoreError> {
        let db = self.pod_db(pod)?;
        db.with_reader(|conn| read_meta(conn, path))
    }

    async fn get(
        &self,
        pod: &PodName,
        path: &ResourcePath,
    ) -> Result<Option<(Meta, Bytes)>, StoreError> {
        let db = self.pod_db(pod)?;
        let Some((meta, at)) = db.with_reader(|conn| read_resource(conn, path))? else {
            return Ok(None);
        };
        Ok(Some((meta, Bytes::from(at.read(&db.blobs)?))))
    }

    async fn members(
        &self,
        pod: &PodName,
        container: &ResourcePath,
    ) -> Result<Vec<Meta>, StoreError> {
        let db = self.pod_db(pod)?;
        db.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT path, content_type, version, modified, size FROM resource
                 WHERE parent = ?1 ORDER BY path",
            )?;
            let mut rows = stmt.query([container.as_str()])?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                let path: String = row.get(0)?;
                let path = ResourcePath::parse(&path)?;
                if path.auxiliary_kind().is_some() {
                    continue;
                }
                out.push(Meta {
                    path,
                    content_type: row.get(1)?,
                    version: row.get::<_, i64>(2)? as u64,
                    modified_ms: row.get(3)?,
                    size: row.get::<_, i64>(4)? as u64,
                });
            }
            Ok(out)
        })
    }

    async fn write(&self, pod: &PodName, write: Write) -> Result<WriteOutcome, StoreError> {
        if crate::reserve::is_released() && may_grow(&write) {
            // The disk was found full: the released reserve is kept for
            // deletes and sign-ins until there is room for it again.
            // Cheap (one statvfs) unless there is room again, then one 8 MiB write.
            self.reserve.replenish();
            if crate::reserve::is_released() {
                return Err(StoreError::DiskFull);
            }
        }
        let db = self.pod_db(pod)?;
        let prepared = prepare(&db, write).await?;
        let (reply, answer) = oneshot::channel();
        db.writer
            .send((prepared, reply))
            .map_err(|_| StoreError::Io("the pod's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Io("the pod's writer stopped before answering".into()))?
    }

    async fn delete_pod(&self, name: &PodName) -> Result<PodErasure, StoreError> {
        // 1. The data key, durably: from here on no copy of the pod's files
        // can be read, and no request can reopen the pod. Its copies in the
        // backup destinations go with it.
        let backup_keys = self.backup_keys.lock();
        let backup_id = match self.pod_data_key(name) {
            Ok(key) => key.map(|k| backup::pod_id(&k)),
            Err(StoreError::NoSuchPod(_)) => None,
            Err(e) => return Err(e),
        };
        let key_destroyed_ms = now_ms();
        let key_destroyed = {
            let host = self.host.lock();
            let tx = host.unchecked_transaction()?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM pod WHERE name = ?1")?
                .exists([name.as_str()])?;
            if !exists {
                return Err(StoreError::NoSuchPod(name.to_string()));
            }
            let n = forget_pod_rows(&tx, name.as_str(), key_destroyed_ms)?;
            tx.commit()?;
            // The old page holding the wrapped key is still in the WAL:
            // checkpoint (secure_delete zeroed the row) and empty the WAL.
            host.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            n
        };
        if let Some(id) = backup_id {
            self.shred_backup_keys(&id);
        }
        drop(backup_keys);
        // 2. Close it: wait for requests still holding it, stop its writer.
        let open = self.pods.write().remove(name);
        if let Some(db) = open {
            tokio::task::spawn_blocking(move || db.close(std::time::Duration::from_secs(30)))
                .await
                .map_err(|e| StoreError::Io(e.to_string()))??;
        }
        // 3. Its files.
        let dir = self.pod_dir(name);
        let (files_removed, bytes_removed) = count_files(&dir);
        match fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        sync_dir(&self.root.join("pods"))?;
        Ok(PodErasure {
            pod: name.clone(),
            key_destroyed_ms,
            key_destroyed,
            files_removed,
            bytes_removed,
        })
    }

    async fn erased_pods(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let host = self.host.lock();
        let mut stmt =
            host.prepare_cached("SELECT name, erased FROM pod_tombstone ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    async fn remember_erased(&self, names: &[(String, i64)]) -> Result<(), StoreError> {
        let host = self.host.lock();
        let tx = host.unchecked_transaction()?;
        for (name, erased) in names {
            tx.execute(
                "INSERT OR IGNORE INTO pod_tombstone (name, erased) VALUES (?1, ?2)",
                params![name, erased],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    async fn usage(&self, pod: &PodName) -> Result<crate::PodUsage, StoreError> {
        let own = self.own_quota(pod)?;
        self.visit_pod(pod, false, |db| {
            Ok(crate::PodUsage {
                used: db.usage.load(Ordering::Relaxed),
                quota: db.quota.load(Ordering::Relaxed),
                own_quota: own.is_some(),
            })
        })
    }

    async fn set_quota(&self, pod: &PodName, bytes: Option<u64>) -> Result<(), StoreError> {
        let changed = self.host.lock().execute(
            "UPDATE pod SET quota = ?2 WHERE name = ?1",
            params![pod.as_str(), bytes.map(|b| b.min(i64::MAX as u64) as i64)],
        )?;
        if changed == 0 {
            return Err(StoreError::NoSuchPod(pod.to_string()));
        }
        if let Some(db) = self.pods.read().get(pod) {
            db.quota
                .store(bytes.unwrap_or(self.pod_quota), Ordering::Relaxed);
        }
        Ok(())
    }

    async fn index_get(&self, pod: &PodName, key: &str) -> Result<Option<Bytes>, StoreError> {
        let db = self.pod_db(pod)?;
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || {
            db.with_reader(|conn| {
                Ok(conn
                    .prepare_cached("SELECT value FROM derived WHERE key = ?1")?
                    .query_row([&key], |r| r.get::<_, Vec<u8>>(0))
                    .optional()?
                    .map(Bytes::from))
            })
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?
    }

    async fn index_scan(
        &self,
        pod: &PodName,
        prefix: &str,
    ) -> Result<Vec<(String, Bytes)>, StoreError> {
        let db = self.pod_db(pod)?;
        let prefix = prefix.to_owned();
        tokio::task::spawn_blocking(move || {
            db.with_reader(|conn| {
                // Keys from `prefix` (inclusive) up to `prefix` followed by the
                // highest character: a range the primary key answers.
                let mut stmt = conn.prepare_cached(
                    "SELECT key, value FROM derived WHERE key >= ?1 AND key < ?1 || char(1114111) ORDER BY key",
                )?;
                let rows = stmt.query_map([&prefix], |r| {
                    Ok((r.get::<_, String>(0)?, Bytes::from(r.get::<_, Vec<u8>>(1)?)))
                })?;
                Ok(rows.collect::<Result<Vec<_>, _>>()?)
            })
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?
    }
}

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
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use crate::crypto::{Key32, MasterKey, PodKeys, sync_dir, wrap, wrong_master_key};
use crate::{
    Backend, Meta, PodErasure, PodInfo, PodName, Precondition, ResourcePath, StoreError, Write,
    WriteOutcome,
};

/// Bodies larger than this live in content-addressed files beside the database.
pub const INLINE_LIMIT: usize = 512 * 1024;
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

/// How many pods may be open at once under a descriptor limit: a quarter of
/// the limit (at least 32) is left to sockets and blob files, the rest
/// shared by open pods at [`FDS_PER_OPEN_POD`] each; between 2 and 4,096.
pub fn open_pod_cap(fd_limit: Option<u64>) -> usize {
    let Some(limit) = fd_limit else {
        return 4096;
    };
    let headroom = (limit / 4).max(32);
    (limit.saturating_sub(headroom) / FDS_PER_OPEN_POD).clamp(2, 4096) as usize
}

const POD_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS resource (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    parent TEXT,
    content_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    size INTEGER NOT NULL,
    blob TEXT,
    body BLOB
);
CREATE INDEX IF NOT EXISTS resource_parent ON resource(parent, path);
CREATE INDEX IF NOT EXISTS resource_blob ON resource(blob) WHERE blob IS NOT NULL;
-- The next version number to hand out. Read and advanced inside each write
-- transaction, so versions stay unique even if two writers ever share the file.
CREATE TABLE IF NOT EXISTS counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_version INTEGER NOT NULL
);
INSERT OR IGNORE INTO counter (id, next_version)
    SELECT 1, COALESCE(MAX(version), 0) + 1 FROM resource;
-- Derived data (time-series indexes…), rebuilt from resources when lost.
CREATE TABLE IF NOT EXISTS derived (
    key TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
PRAGMA user_version = 1;
";

const HOST_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS pod (
    name TEXT PRIMARY KEY,
    created INTEGER NOT NULL
);
-- Names of erased pods: never given again, so nothing that still names the
-- old WebID (grants in other pods, keys, links) passes to a newcomer.
CREATE TABLE IF NOT EXISTS pod_tombstone (
    name TEXT PRIMARY KEY,
    erased INTEGER NOT NULL
);
-- Each pod's data key, wrapped by the master key (absent when unencrypted).
CREATE TABLE IF NOT EXISTS pod_key (
    pod TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL
);
PRAGMA user_version = 1;
";

pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The label of the key of `host.sqlite`, derived from the master key.
const HOST_KEY_LABEL: &str = "selfdata host.sqlite v1";

/// Opens a database; with a key, as SQLCipher (failing clearly when the key
/// does not open an existing file).
fn open_connection(path: &Path, key: Option<&Key32>) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    if let Some(key) = key {
        // A wrong key is reported as one clear error below, not logged by SQLCipher.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
        conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_pragma()))?;
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            return Err(match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => wrong_master_key(),
                _ => e.into(),
            });
        }
    }
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    Ok(conn)
}

/// Runs a schema (every statement idempotent). On a full disk the schema is
/// most likely in place already, so the store opens anyway, with a warning.
fn schema_or_warn(conn: &Connection, schema: &str) -> Result<(), StoreError> {
    match conn.execute_batch(schema).map_err(StoreError::from) {
        Err(StoreError::DiskFull) => {
            tracing::warn!("the disk is full: opening without checking the database schema");
            Ok(())
        }
        other => other,
    }
}

/// Whether a file is an unencrypted SQLite database (from an earlier version).
fn is_plaintext_sqlite(path: &Path) -> bool {
    let mut head = [0u8; 16];
    match fs::File::open(path) {
        Ok(mut f) => {
            std::io::Read::read_exact(&mut f, &mut head).is_ok() && &head == b"SQLite format 3\0"
        }
        Err(_) => false,
    }
}

/// Encrypts an unencrypted database in place: an encrypted copy is written
/// beside it (`sqlcipher_export`), made durable, then renamed over it.
fn encrypt_plaintext_db(path: &Path, key: &Key32) -> Result<(), StoreError> {
    let tmp = path.with_extension("sqlite.encrypting");
    let _ = fs::remove_file(&tmp);
    {
        let plain = open_connection(path, None)?;
        plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
        plain.execute(
            &format!("ATTACH DATABASE ?1 AS enc KEY {}", key.sqlcipher_pragma()),
            [tmp.to_string_lossy()],
        )?;
        plain.query_row("SELECT sqlcipher_export('enc')", [], |_| Ok(()))?;
        plain.execute_batch("DETACH DATABASE enc;")?;
    }
    fs::File::open(&tmp)?.sync_all()?;
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
    fs::rename(&tmp, path)?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))?;
    Ok(())
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
        let data_key = crate::crypto::unwrap(master, name.as_str(), &wrapped)?;
        Ok(Some(PodKeys::from_data_key(&data_key)))
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
                Some(db) => drop(db),
                None => return Err(StoreError::Busy),
            }
        }
        let keys = self.pod_keys(name)?;
        let db = Arc::new(PodDb::open(dir, keys, name.as_str(), self.pod_quota)?);
        db.last_used.store(now, Ordering::Relaxed);
        pods.insert(name.clone(), db.clone());
        Ok(db)
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
            conn.execute_batch(POD_SCHEMA)?;
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
        let found = db.with_reader(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT content_type, version, modified, size, blob, body FROM resource WHERE path = ?1",
            )?;
            let row = stmt
                .query_row([path.as_str()], |row| {
                    Ok((
                        meta_from_row(path.clone(), row)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, Option<Vec<u8>>>(5)?,
                    ))
                })
                .optional()?;
            Ok(row)
        })?;
        let Some((meta, blob, body)) = found else {
            return Ok(None);
        };
        let body = match blob {
            Some(hash) => Bytes::from(db.blobs.read(&hash)?),
            None => Bytes::from(body.unwrap_or_default()),
        };
        Ok(Some((meta, body)))
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
        // can be read, and no request can reopen the pod.
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
            let n = tx.execute("DELETE FROM pod_key WHERE pod = ?1", [name.as_str()])?;
            tx.execute("DELETE FROM pod WHERE name = ?1", [name.as_str()])?;
            tx.execute("DELETE FROM pod_owner WHERE pod = ?1", [name.as_str()])?;
            tx.execute(
                "INSERT OR IGNORE INTO pod_tombstone (name, erased) VALUES (?1, ?2)",
                params![name.as_str(), key_destroyed_ms],
            )?;
            tx.commit()?;
            // The old page holding the wrapped key is still in the WAL:
            // checkpoint (secure_delete zeroed the row) and empty the WAL.
            host.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            n > 0
        };
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

/// Turns a write into the writer's job; large bodies are written to the blob
/// folder here, off the writer thread.
fn prepare(
    db: &Arc<PodDb>,
    write: Write,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Job, StoreError>> + Send + '_>> {
    Box::pin(async move {
        Ok(match write {
            Write::Put {
                path,
                content_type,
                body,
                precondition,
            } => {
                let stored = if body.len() > INLINE_LIMIT {
                    // Refused before the blob is written when it cannot fit.
                    let used = db.usage.load(Ordering::Relaxed);
                    if used.saturating_add(body.len() as u64) > db.quota {
                        return Err(StoreError::QuotaExceeded {
                            pod: db.name.clone(),
                            used,
                            quota: db.quota,
                        });
                    }
                    let blobs = db.blobs.clone();
                    let hash = tokio::task::spawn_blocking(move || blobs.store(&body))
                        .await
                        .map_err(|e| StoreError::Io(e.to_string()))??;
                    StoredBody::Blob(hash.0, hash.1)
                } else {
                    StoredBody::Inline(body)
                };
                Job::Put {
                    path,
                    content_type,
                    body: stored,
                    precondition,
                }
            }
            Write::Delete { path, precondition } => Job::Delete { path, precondition },
            Write::Modify {
                path,
                precondition,
                modify,
            } => Job::Modify {
                path,
                precondition,
                modify,
            },
            Write::Index { key, value } => Job::Index { key, value },
            Write::Batch(writes) => {
                let mut jobs = Vec::with_capacity(writes.len());
                for w in writes {
                    jobs.push(prepare(db, w).await?);
                }
                Job::Batch(jobs)
            }
        })
    })
}

/// Whether a write may take more room (anything but deletes).
fn may_grow(write: &Write) -> bool {
    match write {
        Write::Delete { .. } | Write::Index { value: None, .. } => false,
        Write::Batch(writes) => writes.iter().any(may_grow),
        _ => true,
    }
}

/// Whether a job only frees room (deletes), so that it is worth trying again
/// once a full disk released the reserve.
fn only_frees(job: &Job) -> bool {
    match job {
        Job::Delete { .. } | Job::Index { value: None, .. } => true,
        Job::Batch(jobs) => jobs.iter().all(only_frees),
        _ => false,
    }
}

/// Files and bytes under a folder.
fn count_files(dir: &Path) -> (u64, u64) {
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

fn meta_from_row(path: ResourcePath, row: &rusqlite::Row<'_>) -> rusqlite::Result<Meta> {
    Ok(Meta {
        path,
        content_type: row.get(0)?,
        version: row.get::<_, i64>(1)? as u64,
        modified_ms: row.get(2)?,
        size: row.get::<_, i64>(3)? as u64,
    })
}

fn read_meta(conn: &Connection, path: &ResourcePath) -> Result<Option<Meta>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT content_type, version, modified, size FROM resource WHERE path = ?1",
    )?;
    Ok(stmt
        .query_row([path.as_str()], |row| meta_from_row(path.clone(), row))
        .optional()?)
}

/// A body as the writer stores it.
enum StoredBody {
    Inline(Bytes),
    /// Already written to the blob folder: hash and length.
    Blob(String, u64),
}

enum Job {
    Put {
        path: ResourcePath,
        content_type: String,
        body: StoredBody,
        precondition: Precondition,
    },
    Delete {
        path: ResourcePath,
        precondition: Precondition,
    },
    Modify {
        path: ResourcePath,
        precondition: Precondition,
        modify: crate::ModifyFn,
    },
    Index {
        key: String,
        value: Option<Bytes>,
    },
    Batch(Vec<Job>),
}

impl Job {
    /// The blobs this job refers to, pinned until it is applied.
    fn blobs(&self, out: &mut Vec<String>) {
        match self {
            Job::Put {
                body: StoredBody::Blob(hash, _),
                ..
            } => out.push(hash.clone()),
            Job::Batch(jobs) => jobs.iter().for_each(|j| j.blobs(out)),
            _ => {}
        }
    }
}

type Reply = oneshot::Sender<Result<WriteOutcome, StoreError>>;

/// One open pod.
struct PodDb {
    file: PathBuf,
    name: String,
    /// Bytes the pod may hold, and holds as of its last commit.
    quota: u64,
    usage: Arc<AtomicU64>,
    /// The SQLCipher key of `pod.sqlite` (`None` when unencrypted).
    db_key: Option<Key32>,
    last_used: AtomicU64,
    readers: Mutex<Vec<Connection>>,
    writer: mpsc::Sender<(Job, Reply)>,
    writer_thread: std::thread::JoinHandle<()>,
    blobs: Arc<BlobDir>,
}

impl PodDb {
    fn open(
        dir: PathBuf,
        keys: Option<PodKeys>,
        name: &str,
        quota: u64,
    ) -> Result<Self, StoreError> {
        let file = dir.join("pod.sqlite");
        let db_key = keys.as_ref().map(|k| k.db.clone());
        let conn = open_connection(&file, db_key.as_ref())?;
        schema_or_warn(&conn, POD_SCHEMA)?;
        let blobs = Arc::new(BlobDir::new(dir.join("blobs"), keys)?);
        blobs.sweep_unreferenced(&conn)?;
        let used: i64 = conn.query_row("SELECT COALESCE(SUM(size), 0) FROM resource", [], |r| {
            r.get(0)
        })?;
        let usage = Arc::new(AtomicU64::new(used.max(0) as u64));
        let writer_usage = usage.clone();
        let writer_name = name.to_owned();
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
                    quota,
                    usage: writer_usage,
                }
                .run(rx)
            })?;
        Ok(Self {
            file,
            name: name.to_owned(),
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
    fn close(self: Arc<Self>, wait: std::time::Duration) -> Result<(), StoreError> {
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

    fn with_reader<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let conn = match self.readers.lock().pop() {
            Some(c) => c,
            None => open_connection(&self.file, self.db_key.as_ref())?,
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
struct Writer {
    conn: Connection,
    blobs: Arc<BlobDir>,
    name: String,
    quota: u64,
    /// Bytes of the pod's resources as of the last commit.
    usage: Arc<AtomicU64>,
}

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
                Ok(done) => done,
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

    /// Applies every job in one transaction; returns each job's result and the
    /// blobs that may have lost their last reference.
    #[allow(clippy::type_complexity)]
    fn apply_batch(
        &mut self,
        batch: &[(Job, Reply)],
    ) -> Result<(Vec<Result<WriteOutcome, StoreError>>, Vec<String>), StoreError> {
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
        for (job, _) in batch {
            let sp = tx.savepoint()?;
            let mut ctx = Ctx {
                tx: &sp,
                next_version: &mut next_version,
                now,
                freed: Vec::new(),
                grown: 0,
            };
            let mut result = ctx.apply(job, &self.blobs);
            if let Err(StoreError::DiskFull) = result {
                // The whole batch fails (and may be tried again once the
                // reserve is released); nothing of it is committed.
                return Err(StoreError::DiskFull);
            }
            let job_freed = std::mem::take(&mut ctx.freed);
            let grown = ctx.grown;
            let after = (usage as i64).saturating_add(grown).max(0) as u64;
            if result.is_ok() && grown > 0 && after > self.quota {
                // Only growth is refused: deletes and shrinking writes pass.
                result = Err(StoreError::QuotaExceeded {
                    pod: self.name.clone(),
                    used: usage,
                    quota: self.quota,
                });
            }
            if result.is_ok() {
                sp.commit()?;
                freed.extend(job_freed);
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
        Ok((results, freed))
    }
}

/// The state of one job being applied inside the batch transaction.
struct Ctx<'a> {
    tx: &'a Connection,
    next_version: &'a mut u64,
    now: i64,
    freed: Vec<String>,
    /// Bytes of resources added (negative: removed) by this job.
    grown: i64,
}

impl Ctx<'_> {
    fn apply(&mut self, job: &Job, blobs: &BlobDir) -> Result<WriteOutcome, StoreError> {
        match job {
            Job::Put {
                path,
                content_type,
                body,
                precondition,
            } => self.put(path, content_type, body, precondition),
            Job::Delete { path, precondition } => self.delete(path, precondition),
            Job::Modify {
                path,
                precondition,
                modify,
            } => self.modify(path, precondition, modify, blobs),
            Job::Index { key, value } => {
                match value {
                    Some(v) => self
                        .tx
                        .prepare_cached(
                            "INSERT INTO derived (key, value) VALUES (?1, ?2)
                             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                        )?
                        .execute(params![key, &v[..]])?,
                    None => self
                        .tx
                        .prepare_cached("DELETE FROM derived WHERE key = ?1")?
                        .execute([key])?,
                };
                Ok(WriteOutcome::Indexed)
            }
            // Applied inside the job's savepoint: the first failure returns
            // and the caller rolls the whole batch back.
            Job::Batch(jobs) => jobs
                .iter()
                .map(|j| self.apply(j, blobs))
                .collect::<Result<Vec<_>, _>>()
                .map(WriteOutcome::Batch),
        }
    }

    fn version(&mut self) -> u64 {
        let v = *self.next_version;
        *self.next_version += 1;
        v
    }

    fn exists(&self, path: &ResourcePath) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM resource WHERE path = ?1")?
            .exists([path.as_str()])?)
    }

    /// Marks a container as changed because a member changed.
    fn touch(&mut self, container: &ResourcePath) -> Result<(), StoreError> {
        let v = self.version();
        self.tx
            .prepare_cached("UPDATE resource SET version = ?2, modified = ?3 WHERE path = ?1")?
            .execute(params![container.as_str(), v as i64, self.now])?;
        Ok(())
    }

    /// Makes sure every ancestor container of `path` exists, creating missing ones.
    fn ensure_ancestors(&mut self, path: &ResourcePath) -> Result<(), StoreError> {
        let mut missing = Vec::new();
        let mut cursor = path.parent();
        while let Some(container) = cursor {
            if self.exists(&container)? {
                break;
            }
            if let Some(doc) = container.slash_twin()
                && self.exists(&doc)?
            {
                return Err(StoreError::ParentIsDocument(doc));
            }
            cursor = container.parent();
            missing.push(container);
        }
        for container in missing.into_iter().rev() {
            let v = self.version();
            self.tx
                .prepare_cached(
                    "INSERT INTO resource (path, parent, content_type, version, modified, size, body)
                     VALUES (?1, ?2, 'text/turtle', ?3, ?4, 0, x'')",
                )?
                .execute(params![
                    container.as_str(),
                    container.parent().map(|p| p.as_str().to_owned()),
                    v as i64,
                    self.now
                ])?;
        }
        Ok(())
    }

    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        body: &StoredBody,
        precondition: &Precondition,
    ) -> Result<WriteOutcome, StoreError> {
        let current = read_meta(self.tx, path)?;
        if !precondition.holds(current.as_ref()) {
            return Err(StoreError::PreconditionFailed);
        }
        self.grown -= current.as_ref().map_or(0, |m| m.size as i64);
        if current.is_none() {
            if let Some(twin) = path.slash_twin()
                && self.exists(&twin)?
            {
                let kind = if twin.is_container() {
                    "container"
                } else {
                    "document"
                };
                return Err(StoreError::SlashConflict(twin, kind));
            }
            self.ensure_ancestors(path)?;
        } else if let Some(old) = self.blob_of(path)? {
            self.freed.push(old);
        }
        let v = self.version();
        let (blob, inline, size) = match body {
            StoredBody::Inline(b) => (None, Some(&b[..]), b.len() as u64),
            StoredBody::Blob(hash, len) => (Some(hash.as_str()), None, *len),
        };
        self.grown += size as i64;
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
                v as i64,
                self.now,
                size as i64,
                blob,
                inline
            ])?;
        if let Some(parent) = path.parent()
            && path.auxiliary_kind().is_none()
        {
            self.touch(&parent)?;
        }
        let meta = Meta {
            path: path.clone(),
            content_type: content_type.to_owned(),
            version: v,
            modified_ms: self.now,
            size,
        };
        Ok(if current.is_some() {
            WriteOutcome::Updated(meta)
        } else {
            WriteOutcome::Created(meta)
        })
    }

    fn modify(
        &mut self,
        path: &ResourcePath,
        precondition: &Precondition,
        modify: &crate::ModifyFn,
        blobs: &BlobDir,
    ) -> Result<WriteOutcome, StoreError> {
        let current = self
            .tx
            .prepare_cached(
                "SELECT content_type, version, modified, size, blob, body FROM resource WHERE path = ?1",
            )?
            .query_row([path.as_str()], |row| {
                Ok((
                    meta_from_row(path.clone(), row)?,
                    row.get::<_, Option<String>>(4)?,
                    row.get::<_, Option<Vec<u8>>>(5)?,
                ))
            })
            .optional()?;
        let current = match current {
            None => None,
            Some((meta, Some(hash), _)) => Some((meta, blobs.read(&hash)?)),
            Some((meta, None, body)) => Some((meta, body.unwrap_or_default())),
        };
        if !precondition.holds(current.as_ref().map(|(m, _)| m)) {
            return Err(StoreError::PreconditionFailed);
        }
        let (content_type, body) =
            modify(current.as_ref().map(|(m, b)| (m, &b[..]))).map_err(StoreError::Rejected)?;
        self.put(
            path,
            &content_type,
            &StoredBody::Inline(body),
            &Precondition::None,
        )
    }

    fn blob_of(&self, path: &ResourcePath) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT blob FROM resource WHERE path = ?1")?
            .query_row([path.as_str()], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    fn delete_row(&mut self, path: &ResourcePath) -> Result<(), StoreError> {
        if let Some(old) = self.blob_of(path)? {
            self.freed.push(old);
        }
        let size: Option<i64> = self
            .tx
            .prepare_cached("SELECT size FROM resource WHERE path = ?1")?
            .query_row([path.as_str()], |r| r.get(0))
            .optional()?;
        self.grown -= size.unwrap_or(0);
        self.tx
            .prepare_cached("DELETE FROM resource WHERE path = ?1")?
            .execute([path.as_str()])?;
        Ok(())
    }

    fn delete(
        &mut self,
        path: &ResourcePath,
        precondition: &Precondition,
    ) -> Result<WriteOutcome, StoreError> {
        if path.is_root() {
            return Err(StoreError::RootDelete);
        }
        let current = read_meta(self.tx, path)?;
        if !precondition.holds(current.as_ref()) {
            return Err(StoreError::PreconditionFailed);
        }
        if current.is_none() {
            return Err(StoreError::NotFound(path.clone()));
        }
        if path.is_container() {
            let members: Vec<String> = self
                .tx
                .prepare_cached("SELECT path FROM resource WHERE parent = ?1")?
                .query_map([path.as_str()], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let mut aux = Vec::new();
            for member in members {
                let member = ResourcePath::parse(&member)?;
                if member.auxiliary_kind().is_none() {
                    return Err(StoreError::ContainerNotEmpty(path.clone()));
                }
                aux.push(member);
            }
            for member in aux {
                self.delete_row(&member)?;
            }
        } else if path.auxiliary_kind().is_none() {
            for kind in crate::AuxKind::ALL {
                self.delete_row(&path.aux(kind))?;
            }
        }
        self.delete_row(path)?;
        if let Some(parent) = path.parent()
            && path.auxiliary_kind().is_none()
        {
            self.touch(&parent)?;
        }
        Ok(WriteOutcome::Deleted)
    }
}

/// Content-addressed files for large bodies, written atomically.
///
/// A blob written for a write still in the writer's queue is *pinned*, so the
/// writer never removes a file that a queued write is about to refer to.
struct BlobDir {
    dir: PathBuf,
    /// Encryption and naming keys (`None` when unencrypted: plain files named by SHA-256).
    keys: Option<PodKeys>,
    pinned: Mutex<HashMap<String, usize>>,
}

impl BlobDir {
    fn new(dir: PathBuf, keys: Option<PodKeys>) -> Result<Self, StoreError> {
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
    fn encrypt_plaintext_blobs(&self, conn: &Connection) -> Result<(), StoreError> {
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

    fn unpin(&self, hash: &str) {
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
    fn store(&self, body: &[u8]) -> Result<(String, u64), StoreError> {
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

    fn read(&self, hash: &str) -> Result<Vec<u8>, StoreError> {
        let file = fs::read(self.path_of(hash)?)?;
        match &self.keys {
            Some(keys) => keys.open_blob(hash, &file),
            None => Ok(file),
        }
    }

    fn remove_if_unreferenced(&self, conn: &Connection, hash: &str) -> Result<(), StoreError> {
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
    fn sweep_unreferenced(&self, conn: &Connection) -> Result<(), StoreError> {
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

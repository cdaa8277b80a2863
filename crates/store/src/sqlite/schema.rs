//! Opening the database files of the embedded engine: the pod and host
//! schemas, SQLCipher keying, and encrypting a database left in plain text.

use super::*;

/// The version [`POD_SCHEMA`] sets (`PRAGMA user_version`): a pod at this
/// version is opened without running the schema again. Bump it with any
/// change to the schema, or pods opened before will never get the change.
/// Version 2: pods written by the first builds were marked 1 before
/// `counter` and `derived` existed; 2 has every open run the schema once.
pub(super) const POD_SCHEMA_VERSION: i64 = 2;

pub(super) const POD_SCHEMA: &str = "
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
";

pub(super) const HOST_SCHEMA: &str = "
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
-- Backup destinations holding pods' keys (`keys/<id>`): erasing a pod
-- removes its key from each, so no backup of it can be read again.
CREATE TABLE IF NOT EXISTS backup_destination (
    dir TEXT PRIMARY KEY
);
-- Keys of erased pods still to remove from a destination that could not be
-- reached at the erasure (done before that destination's next backup).
CREATE TABLE IF NOT EXISTS backup_shred (
    dir TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (dir, id)
);
PRAGMA user_version = 1;
";

/// The label of the key of `host.sqlite`, derived from the master key.
pub(super) const HOST_KEY_LABEL: &str = "selfdata host.sqlite v1";

/// Keys connections one at a time, while one keyed connection stays open for
/// the life of the process.
///
/// SQLCipher sets its crypto provider up when the first keyed connection of
/// a process opens and tears it down when the last one closes. Under load,
/// with stores opened and dropped on several threads at once (tests, a
/// server closing idle pods while opening others), a `PRAGMA key` failed now
/// and then with "PRAGMA key requires a key of one or more characters" on a
/// correct key: seen three times in full test runs, never in isolation. The
/// provider is therefore never torn down, and the `PRAGMA key` statement
/// (the one that failed) is not run concurrently. The lock covers only that
/// statement: holding it over the first read too (which loads the schema)
/// made every pod open in the process wait for every other, the largest cost
/// of a holder's push to thousands of pods.
fn sqlcipher_keying() -> parking_lot::MutexGuard<'static, Option<Connection>> {
    static KEYING: parking_lot::Mutex<Option<Connection>> = parking_lot::Mutex::new(None);
    let mut guard = KEYING.lock();
    if guard.is_none() {
        let raw_key = format!("PRAGMA key = \"x'{}'\";", "00".repeat(32));
        *guard = Connection::open_in_memory().ok().filter(|c| {
            c.execute_batch(&raw_key).is_ok()
                && c.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                    r.get::<_, i64>(0)
                })
                .is_ok()
        });
    }
    guard
}

/// Opens a database; with a key, as SQLCipher (failing clearly when the key
/// does not open an existing file).
pub(super) fn open_connection(path: &Path, key: Option<&Key32>) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    if let Some(key) = key {
        {
            let _keying = sqlcipher_keying();
            // A wrong key is reported as one clear error below, not logged by SQLCipher.
            conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
            // The spurious refusal described at `sqlcipher_keying` was seen
            // once more with the lock held (a full CI run, 2026-12-07): the
            // statement is tried again, a few times, before it counts.
            let pragma = format!("PRAGMA key = {};", key.sqlcipher_pragma());
            let mut tries = 0;
            while let Err(e) = conn.execute_batch(&pragma) {
                tries += 1;
                if tries == 4 {
                    return Err(e.into());
                }
                tracing::warn!(error = %e, tries, "keying a database failed; trying again");
                std::thread::sleep(std::time::Duration::from_millis(5 * tries));
            }
        }
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

/// The page cache of each connection to a pod, in KiB. SQLite's default
/// (2,000 KiB) is for one database a process lives on; a server keeps up to
/// `max_open_pods` pods open with a writer and idle readers each, every one
/// caching the pages it touched. With pods of 400 KB read and written, an
/// open pod cost 1,229 KiB with the default and 867 KiB with 256
/// (`BODY=400000 cargo run --release -p selfdata-store --example
/// open_pod_memory -- 128 write`). Pages past the cache are read again from
/// the OS's cache (and decrypted again).
pub(super) const POD_CACHE_KIB: u32 = 256;

/// [`open_connection`] to a pod's database, with the pods' page cache.
pub(super) fn open_pod_connection(
    path: &Path,
    key: Option<&Key32>,
) -> Result<Connection, StoreError> {
    let conn = open_connection(path, key)?;
    conn.execute_batch(&format!("PRAGMA cache_size = -{POD_CACHE_KIB};"))?;
    Ok(conn)
}

/// Runs a schema (every statement idempotent). On a full disk the schema is
/// most likely in place already, so the store opens anyway, with a warning.
pub(super) fn schema_or_warn(conn: &Connection, schema: &str) -> Result<(), StoreError> {
    match conn.execute_batch(schema).map_err(StoreError::from) {
        Err(StoreError::DiskFull) => {
            tracing::warn!("the disk is full: opening without checking the database schema");
            Ok(())
        }
        other => other,
    }
}

/// Brings a pod's database to [`POD_SCHEMA_VERSION`]: nothing to do (not
/// even a write) when it is there already, which every open but the first
/// finds. Running the schema at each open cost a parse of every statement
/// and a write transaction (the `user_version` and the counter) per open:
/// a third of the CPU of a holder's push that opens a thousand pods.
pub(super) fn pod_schema(conn: &Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version >= POD_SCHEMA_VERSION {
        return Ok(());
    }
    schema_or_warn(conn, &pod_schema_sql())
}

/// [`POD_SCHEMA`] and the version it brings a pod to.
pub(super) fn pod_schema_sql() -> String {
    format!("{POD_SCHEMA}PRAGMA user_version = {POD_SCHEMA_VERSION};\n")
}

/// Whether a file is an unencrypted SQLite database (from an earlier version).
pub(super) fn is_plaintext_sqlite(path: &Path) -> bool {
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
pub(super) fn encrypt_plaintext_db(path: &Path, key: &Key32) -> Result<(), StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A change to the pod schema without a new version would never reach
    /// the pods opened before: this pins the schema's text to its version.
    #[test]
    fn the_pod_schema_changes_only_with_its_version() {
        let hash = hex::encode(Sha256::digest(POD_SCHEMA.as_bytes()));
        assert_eq!(
            (POD_SCHEMA_VERSION, hash.as_str()),
            (
                2,
                "3d2799a7b5a698018799fefc69837e2298a8ffc36d70d4603d65d7978375f075"
            ),
            "POD_SCHEMA changed: bump POD_SCHEMA_VERSION, then update this hash"
        );
    }
}

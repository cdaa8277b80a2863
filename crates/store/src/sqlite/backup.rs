//! Backups of a data folder while the server runs, and their restore.
//!
//! A backup destination (a folder: a mounted backup disk, a network share)
//! holds:
//! ```text
//! keys/<id>                    one pod's data key, sealed under the backup key
//! <20261206T174000Z>/          one snapshot, complete once renamed from `….partial`
//!   SUMMARY                    when, how many pods and bytes (plain text, names nothing)
//!   manifest                   every file with its size and SHA-256, sealed
//!   host.sqlite                the host database, keyed from the backup key, pod keys removed
//!   log-signing.key            the access logs' signing key, sealed
//!   pods/<id>/pod.sqlite       a pod's database, still under the pod's own key
//!   pods/<id>/blobs/ab/<mac>   its large files, as they are on disk
//! ```
//! A pod is known in a destination only by `<id>`, a MAC of its data key, so
//! folder names name nobody. Its data key is in `keys/<id>` and nowhere else
//! in the destination: erasing a pod removes that file from every destination
//! this folder has written to (`delete_pod`, or the next backup there when
//! the destination could not be reached), so no snapshot of it, however old,
//! can be restored, while every other pod of the same snapshots can.
//!
//! Each pod is copied with SQLite's online backup in one step, which reads
//! one consistent state of the database while its writer goes on: every
//! write acknowledged before the backup started is in it, and no write is
//! half in it. Its blob files are kept in place until they are copied (a
//! write may stop referring to one meanwhile: see `BlobDir::hold`).

use std::io::Write as _;

use rusqlite::backup::{Backup, StepResult};

use super::*;

/// The name of the folder holding the pods' keys in a destination.
const KEYS: &str = "keys";
const MANIFEST: &str = "manifest";
const SUMMARY: &str = "SUMMARY";
const HOST_COPY: &str = "host.sqlite";
const LOG_KEY: &str = "log-signing.key";
const PARTIAL: &str = ".partial";
/// What binds each sealed part of a backup to its role.
const MANIFEST_AAD: &[u8] = b"selfdata backup manifest v1";
const LOG_KEY_AAD: &[u8] = b"selfdata backup log-signing key v1";
const HOST_KEY_LABEL_IN_BACKUP: &str = "selfdata backup host.sqlite v1";
/// A pod's name in backup destinations: a MAC of its data key, so it names
/// nobody and dies with the key.
pub(crate) fn pod_id(data_key: &Key32) -> String {
    hex::encode(&data_key.derive("selfdata backup id v1").0[..16])
}

/// Why a backup, a check or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("backups need an encrypted data folder")]
    Unencrypted,
    #[error("a backup is already under way; wait for it to finish")]
    Busy,
    #[error(
        "the backup key does not open the backup in {0} (check the backup key file); nothing was changed"
    )]
    WrongKey(String),
    #[error("{0} is not a backup: it holds no manifest")]
    NotABackup(String),
    #[error("the backup in {dir} is damaged: {file} {what}; nothing was restored")]
    Damaged {
        dir: String,
        file: String,
        what: String,
    },
    #[error("{0} is not empty: restore into a new or empty folder (nothing there was changed)")]
    NotEmpty(String),
    #[error(
        "this backup was written by a newer selfdata (data format {found}; this one reads formats up to {supported}): restore it with that version or a later one"
    )]
    NewerFormat { found: u32, supported: u32 },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for BackupError {
    fn from(e: std::io::Error) -> Self {
        Self::Store(e.into())
    }
}

impl From<rusqlite::Error> for BackupError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(e.into())
    }
}

/// How far a backup, a check or a restore has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Progress {
    pub pods_done: usize,
    pub pods: usize,
    pub bytes: u64,
}

/// What a backup wrote.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct BackupReport {
    /// The snapshot's folder.
    pub snapshot: PathBuf,
    pub pods: usize,
    pub files: usize,
    pub bytes: u64,
    /// Older snapshots removed to keep the number asked for.
    pub pruned: usize,
}

/// What a check of a snapshot found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckReport {
    pub created_ms: i64,
    pub files: usize,
    pub bytes: u64,
    /// Pods whose key is still in the destination.
    pub pods: usize,
    /// Pods erased since: their key is gone, so they cannot come back.
    pub erased: usize,
}

/// What a restore brought back.
#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub created_ms: i64,
    pub pods: usize,
    pub files: usize,
    pub bytes: u64,
    /// Pods of the snapshot erased since: not restored, their names kept
    /// as erased (never given again). The caller withdraws what still
    /// speaks for them (tokens, holder links, their owner's sessions).
    pub erased: Vec<ErasedPod>,
}

/// A pod a restore did not bring back, and the account that owned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasedPod {
    pub pod: PodName,
    pub owner: Option<i64>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Manifest {
    /// The data folder's format (see [`crate::format`]).
    format: u32,
    /// The version of selfdata that wrote it.
    version: String,
    created_ms: i64,
    host: FileEntry,
    log_key: Option<FileEntry>,
    pods: Vec<PodEntry>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct PodEntry {
    id: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct FileEntry {
    /// Relative to the snapshot, `/`-separated.
    path: String,
    size: u64,
    sha256: String,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PodKeyFile {
    pod: String,
    key: String,
}

/// Makes the files a backup writes durable a few files behind it, on
/// threads of their own (`fdatasync`), so that little of a snapshot is ever
/// waiting in memory for the disk: a backup of gigabytes must not leave the
/// kernel gigabytes to write back while residents' pods open.
struct Flusher {
    files: Option<std::sync::mpsc::SyncSender<fs::File>>,
    threads: Vec<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Flusher {
    /// Files written but not yet durable, at most.
    const BEHIND: usize = 32;
    const THREADS: usize = 2;

    fn start() -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<fs::File>(Self::BEHIND);
        let rx = Arc::new(parking_lot::Mutex::new(rx));
        let mut threads = Vec::new();
        for i in 0..Self::THREADS {
            let rx = rx.clone();
            threads.push(
                std::thread::Builder::new()
                    .name(format!("backup-flush-{i}"))
                    .spawn(move || {
                        loop {
                            let next = rx.lock().recv();
                            match next {
                                Ok(file) => file.sync_data()?,
                                Err(_) => return Ok(()),
                            }
                        }
                    })?,
            );
        }
        Ok(Self {
            files: Some(tx),
            threads,
        })
    }

    /// Hands a written file over to be made durable (waits when too many are).
    fn push(&self, file: fs::File) -> Result<(), StoreError> {
        self.files
            .as_ref()
            .expect("pushed before finish")
            .send(file)
            .map_err(|_| StoreError::Io("the backup's flusher stopped".into()))
    }

    /// Waits until every file handed over is durable.
    fn finish(mut self) -> Result<(), StoreError> {
        self.files = None;
        let mut outcome = Ok(());
        for t in self.threads.drain(..) {
            let done = t
                .join()
                .map_err(|_| StoreError::Io("the backup's flusher failed".into()))
                .and_then(|r| r.map_err(StoreError::from));
            if outcome.is_ok() {
                outcome = done;
            }
        }
        outcome
    }
}

impl SqliteBackend {
    /// Takes a snapshot of every pod and the host database into the
    /// destination `dest` while the folder is in use, then keeps only the
    /// `keep` newest snapshots there. Blocking: run it off the async workers.
    pub fn backup(
        &self,
        key: &Key32,
        dest: &Path,
        keep: usize,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<BackupReport, BackupError> {
        let Some(master) = &self.master else {
            return Err(BackupError::Unencrypted);
        };
        let _one = self.backing_up.try_lock().ok_or(BackupError::Busy)?;
        fs::create_dir_all(dest.join(KEYS))?;
        let dest = dest.canonicalize()?;
        self.remember_destination(&dest)?;
        remove_partial_snapshots(&dest)?;
        let created_ms = now_ms();
        let partial = new_snapshot_dir(&dest, created_ms)?;
        let result = self.write_snapshot(master, key, &dest, &partial, created_ms, progress);
        let (manifest, bytes) = match result {
            Ok(done) => done,
            Err(e) => {
                let _ = fs::remove_dir_all(&partial);
                return Err(e);
            }
        };
        let done = partial.with_extension("");
        fs::rename(&partial, &done)?;
        sync_dir(&dest)?;
        let files = 1
            + usize::from(manifest.log_key.is_some())
            + manifest.pods.iter().map(|p| p.files.len()).sum::<usize>();
        let pruned = prune(&dest, keep.max(1))?;
        Ok(BackupReport {
            snapshot: done,
            pods: manifest.pods.len(),
            files,
            bytes,
            pruned,
        })
    }

    fn write_snapshot(
        &self,
        master: &MasterKey,
        key: &Key32,
        dest: &Path,
        snap: &Path,
        created_ms: i64,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<(Manifest, u64), BackupError> {
        let (host, pods) = self.backup_host(master, key, snap)?;
        let flusher = Flusher::start()?;
        let mut bytes = host.size;
        let mut entries = Vec::with_capacity(pods.len());
        for (done, name) in pods.iter().enumerate() {
            progress(Progress {
                pods_done: done,
                pods: pods.len(),
                bytes,
            });
            if let Some(entry) = self.backup_pod(name, key, dest, snap, &flusher)? {
                bytes += entry.files.iter().map(|f| f.size).sum::<u64>();
                entries.push(entry);
            }
        }
        let log_key = match MasterKey::read_file(&self.root.join(LOG_KEY)) {
            Ok(log_key) if self.root.join(LOG_KEY).exists() => {
                let sealed = crate::crypto::seal(key, LOG_KEY_AAD, &log_key.seed());
                Some(write_file(snap, LOG_KEY, &sealed)?)
            }
            _ => None,
        };
        let manifest = Manifest {
            format: crate::format::DATA_FORMAT,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            created_ms,
            host,
            log_key,
            pods: entries,
        };
        let json = serde_json::to_vec(&manifest).map_err(|e| StoreError::Io(e.to_string()))?;
        write_file(
            snap,
            MANIFEST,
            &crate::crypto::seal(key, MANIFEST_AAD, &json),
        )?;
        let summary = format!(
            "selfdata backup\ncreated: {}\npods: {}\nbytes: {bytes}\ndata format: {}\nselfdata: {}\n",
            utc_name(created_ms),
            manifest.pods.len(),
            manifest.format,
            manifest.version
        );
        write_file(snap, SUMMARY, summary.as_bytes())?;
        flusher.finish()?;
        // The rest (directories, keys, the few small files) durable at once,
        // rather than one by one (a snapshot is tens of thousands of files):
        // until the rename that follows, it is only `.partial`.
        let dest_dir = fs::File::open(dest)?;
        rustix::fs::syncfs(&dest_dir).map_err(std::io::Error::from)?;
        progress(Progress {
            pods_done: pods.len(),
            pods: pods.len(),
            bytes,
        });
        Ok((manifest, bytes))
    }

    /// The host database as it is now, with the names of its pods; the copy
    /// loses the pods' wrapped keys and is keyed from the backup key.
    fn backup_host(
        &self,
        master: &MasterKey,
        key: &Key32,
        snap: &Path,
    ) -> Result<(FileEntry, Vec<PodName>), BackupError> {
        let file = snap.join(HOST_COPY);
        let mut copy = open_connection(&file, Some(&master.derive(HOST_KEY_LABEL)))?;
        let names: Vec<String> = {
            let host = self.host.lock();
            copy_database(&host, &mut copy)?;
            host.prepare("SELECT name FROM pod ORDER BY name")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        copy.execute_batch(
            "PRAGMA journal_mode = DELETE; PRAGMA secure_delete = ON; DELETE FROM pod_key; VACUUM;",
        )?;
        copy.execute_batch(&format!(
            "PRAGMA rekey = {};",
            key.derive(HOST_KEY_LABEL_IN_BACKUP).sqlcipher_pragma()
        ))?;
        drop(copy);
        let names = names
            .iter()
            .filter_map(|n| PodName::parse(n).ok())
            .collect();
        Ok((entry_of(snap, HOST_COPY)?, names))
    }

    /// One pod: its database as of one moment, its blob files, its key in
    /// the destination. `None` when it was erased meanwhile.
    fn backup_pod(
        &self,
        name: &PodName,
        key: &Key32,
        dest: &Path,
        snap: &Path,
        flusher: &Flusher,
    ) -> Result<Option<PodEntry>, BackupError> {
        let data_key = match self.pod_data_key(name) {
            Ok(Some(k)) => k,
            Ok(None) => return Err(BackupError::Unencrypted),
            Err(StoreError::NoSuchPod(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let id = pod_id(&data_key);
        let rel = format!("pods/{id}");
        let dir = snap.join("pods").join(&id);
        let visited = self.visit_pod(name, true, |db| {
            fs::create_dir_all(&dir)?;
            let _hold = db.blobs.hold();
            let db_key = PodKeys::from_data_key(&data_key).db;
            let blobs: Vec<String> = db.with_reader(|src| {
                let mut copy = open_connection(&dir.join("pod.sqlite"), Some(&db_key))?;
                // Made durable with the whole snapshot (`write_snapshot`).
                copy.execute_batch("PRAGMA synchronous = OFF;")?;
                copy_database(src, &mut copy)?;
                copy.execute_batch("PRAGMA journal_mode = DELETE;")?;
                let blobs = copy
                    .prepare("SELECT DISTINCT blob FROM resource WHERE blob IS NOT NULL")?
                    .query_map([], |r| r.get(0))?
                    .collect::<Result<_, _>>()?;
                Ok(blobs)
            })?;
            let db_copy = format!("{rel}/pod.sqlite");
            let mut files = vec![entry_of(snap, &db_copy)?];
            flusher.push(fs::File::open(snap.join(&db_copy))?)?;
            for blob in blobs {
                let from = db.blobs.file_of(&blob)?;
                let path = format!("{rel}/blobs/{}/{blob}", &blob[..2]);
                let (entry, written) = copy_file(&from, snap, &path)?;
                files.push(entry);
                flusher.push(written)?;
            }
            Ok::<_, BackupError>(files)
        });
        let files = match visited {
            Ok(files) => files,
            Err(BackupError::Store(StoreError::NoSuchPod(_))) => return Ok(None),
            Err(e) => return Err(e),
        };
        // The key last, and only if the pod still exists: an erasure
        // between the two leaves a snapshot of the pod with no key for it.
        let _keys = self.backup_keys.lock();
        match self.pod_data_key(name) {
            Ok(Some(k)) if k == data_key => {}
            Ok(_) | Err(StoreError::NoSuchPod(_)) => {
                let _ = fs::remove_dir_all(&dir);
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
        write_pod_key(dest, key, &id, name, &data_key)?;
        Ok(Some(PodEntry { id, files }))
    }

    /// Records a destination (erasures remove keys from it from now on) and
    /// removes the keys of pods erased while it could not be reached.
    fn remember_destination(&self, dest: &Path) -> Result<(), StoreError> {
        let dir = dest.to_string_lossy().into_owned();
        let pending: Vec<String> = {
            let host = self.host.lock();
            host.execute(
                "INSERT OR IGNORE INTO backup_destination (dir) VALUES (?1)",
                [&dir],
            )?;
            host.prepare("SELECT id FROM backup_shred WHERE dir = ?1")?
                .query_map([&dir], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in pending {
            remove_key_file(dest, &id)?;
            self.host.lock().execute(
                "DELETE FROM backup_shred WHERE dir = ?1 AND id = ?2",
                params![dir, id],
            )?;
        }
        Ok(())
    }

    /// Removes an erased pod's key from every destination; one that cannot
    /// be reached now has it removed before its next backup. The caller
    /// holds `backup_keys`.
    pub(super) fn shred_backup_keys(&self, id: &str) {
        let dirs: Vec<String> = {
            let host = self.host.lock();
            host.prepare("SELECT dir FROM backup_destination")
                .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                .unwrap_or_default()
        };
        for dir in dirs {
            if let Err(e) = remove_key_file(Path::new(&dir), id) {
                tracing::warn!(dir, error = %e, "an erased pod's key could not be removed from a backup destination now; it will be before its next backup");
                let _ = self.host.lock().execute(
                    "INSERT OR IGNORE INTO backup_shred (dir, id) VALUES (?1, ?2)",
                    params![dir, id],
                );
            }
        }
    }
}

/// Copies a whole database in one step of SQLite's online backup: one read
/// transaction on `from`, so the copy is one committed state of it.
fn copy_database(from: &Connection, to: &mut Connection) -> Result<(), StoreError> {
    let backup = Backup::new(from, to)?;
    match backup.step(-1)? {
        StepResult::Done => Ok(()),
        other => Err(StoreError::Io(format!(
            "the database could not be copied in one step ({other:?})"
        ))),
    }
}

/// Checks a snapshot without changing anything: the key opens it, every
/// file is there with its checksum, and how many pods could be restored.
pub fn check(
    snapshot: &Path,
    key: &Key32,
    progress: &mut dyn FnMut(Progress),
) -> Result<CheckReport, BackupError> {
    let manifest = read_manifest(snapshot, key)?;
    let (files, bytes) = verify_files(snapshot, &manifest, progress)?;
    let dest = destination_of(snapshot);
    let mut pods = 0;
    for pod in &manifest.pods {
        if read_pod_key(&dest, key, &pod.id)?.is_some() {
            pods += 1;
        }
    }
    Ok(CheckReport {
        created_ms: manifest.created_ms,
        files,
        bytes,
        pods,
        erased: manifest.pods.len() - pods,
    })
}

/// Restores a snapshot into `target`, a new or empty folder: every file is
/// checked first, then the pods whose key is still in the destination are
/// written, keyed under `master` (by default a new `master.key` in the
/// folder); pods erased since the snapshot are not restored and their
/// names are kept as erased.
pub fn restore(
    snapshot: &Path,
    key: &Key32,
    target: &Path,
    master: Option<MasterKey>,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreReport, BackupError> {
    let manifest = read_manifest(snapshot, key)?;
    if manifest.format > crate::format::DATA_FORMAT {
        return Err(BackupError::NewerFormat {
            found: manifest.format,
            supported: crate::format::DATA_FORMAT,
        });
    }
    if target.exists() && fs::read_dir(target)?.next().is_some() {
        return Err(BackupError::NotEmpty(target.display().to_string()));
    }
    let (files, bytes) = verify_files(snapshot, &manifest, progress)?;
    let dest = destination_of(snapshot);
    let mut keys = Vec::new();
    for pod in &manifest.pods {
        if let Some((name, data_key)) = read_pod_key(&dest, key, &pod.id)? {
            keys.push((pod, name, data_key));
        }
    }
    fs::create_dir_all(target)?;
    let _lock = crate::lock::DataLock::acquire(target)?;
    let master = match master {
        Some(m) => m,
        None => MasterKey::load_or_create(&crate::crypto::default_key_file(target))?,
    };
    crate::format::write(target, manifest.format)?;
    let host_file = target.join("host.sqlite");
    fs::copy(snapshot.join(HOST_COPY), &host_file)?;
    let host = open_connection_as_is(&host_file, &key.derive(HOST_KEY_LABEL_IN_BACKUP))
        .map_err(|_| BackupError::WrongKey(snapshot.display().to_string()))?;
    host.execute_batch(&format!(
        "PRAGMA rekey = {};",
        master.derive(HOST_KEY_LABEL).sqlcipher_pragma()
    ))?;
    host.execute_batch("PRAGMA journal_mode = WAL; PRAGMA secure_delete = ON;")?;
    let known: Vec<String> = host
        .prepare("SELECT name FROM pod")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut restored = Vec::new();
    for (done, (pod, name, data_key)) in keys.iter().enumerate() {
        progress(Progress {
            pods_done: done,
            pods: keys.len(),
            bytes,
        });
        if !known.iter().any(|k| k == name.as_str()) {
            continue;
        }
        let into = target.join("pods").join(name.as_str());
        let prefix = format!("pods/{}/", pod.id);
        for file in &pod.files {
            let rest = file
                .path
                .strip_prefix(&prefix)
                .ok_or_else(|| damaged(snapshot, &file.path, "is outside its pod's folder"))?;
            let to = into.join(rest);
            fs::create_dir_all(to.parent().expect("a file in a pod's folder"))?;
            fs::copy(snapshot.join(&file.path), &to)?;
        }
        fs::create_dir_all(into.join("blobs"))?;
        host.execute(
            "INSERT OR REPLACE INTO pod_key (pod, wrapped) VALUES (?1, ?2)",
            params![name.as_str(), wrap(&master, name.as_str(), data_key)],
        )?;
        restored.push(name.as_str().to_owned());
    }
    let now = now_ms();
    let mut erased = Vec::new();
    for name in known.iter().filter(|k| !restored.contains(k)) {
        let owner = host
            .prepare("SELECT account_id FROM pod_owner WHERE pod = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        let tx = host.unchecked_transaction()?;
        forget_pod_rows(&tx, name, now)?;
        tx.commit()?;
        if let Ok(pod) = PodName::parse(name) {
            erased.push(ErasedPod { pod, owner });
        }
    }
    drop(host);
    if let Some(entry) = &manifest.log_key {
        let sealed = fs::read(snapshot.join(&entry.path))?;
        let seed = crate::crypto::open(key, LOG_KEY_AAD, &sealed)
            .and_then(|s| <[u8; 32]>::try_from(s).ok())
            .ok_or_else(|| damaged(snapshot, LOG_KEY, "does not open with the backup key"))?;
        Key32(seed).write_file(&target.join(LOG_KEY))?;
    }
    sync_dir(target)?;
    Ok(RestoreReport {
        created_ms: manifest.created_ms,
        pods: restored.len(),
        files,
        bytes,
        erased,
    })
}

/// The snapshots in a destination, oldest first.
pub fn snapshots(dest: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dest)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_dir()
            && is_snapshot_name(&name)
            && entry.path().join(MANIFEST).exists()
        {
            found.push(entry.path());
        }
    }
    found.sort();
    Ok(found)
}

fn is_snapshot_name(name: &str) -> bool {
    let stem = name.split('-').next().unwrap_or("");
    stem.len() == 16
        && stem.ends_with('Z')
        && stem.as_bytes()[8] == b'T'
        && !name.ends_with(PARTIAL)
}

/// Removes the oldest snapshots beyond `keep`; returns how many.
fn prune(dest: &Path, keep: usize) -> Result<usize, StoreError> {
    let all = snapshots(dest)?;
    let old = all.len().saturating_sub(keep);
    for snap in &all[..old] {
        fs::remove_dir_all(snap)?;
    }
    if old > 0 {
        sync_dir(dest)?;
    }
    Ok(old)
}

/// Snapshots a crash or a failure left unfinished.
fn remove_partial_snapshots(dest: &Path) -> Result<(), StoreError> {
    for entry in fs::read_dir(dest)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().ends_with(PARTIAL) && entry.file_type()?.is_dir() {
            fs::remove_dir_all(entry.path())?;
        }
    }
    Ok(())
}

/// A UTC time as a snapshot's name: `20261206T174000Z`.
fn utc_name(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

fn new_snapshot_dir(dest: &Path, created_ms: i64) -> Result<PathBuf, StoreError> {
    let base = utc_name(created_ms);
    for n in 1.. {
        let name = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        if dest.join(&name).exists() {
            continue;
        }
        let partial = dest.join(format!("{name}{PARTIAL}"));
        match fs::create_dir(&partial) {
            Ok(()) => return Ok(partial),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("a free name is found")
}

fn destination_of(snapshot: &Path) -> PathBuf {
    snapshot
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn damaged(snapshot: &Path, file: &str, what: &str) -> BackupError {
    BackupError::Damaged {
        dir: snapshot.display().to_string(),
        file: file.to_owned(),
        what: what.to_owned(),
    }
}

fn read_manifest(snapshot: &Path, key: &Key32) -> Result<Manifest, BackupError> {
    let sealed = match fs::read(snapshot.join(MANIFEST)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NotABackup(snapshot.display().to_string()));
        }
        Err(e) => return Err(e.into()),
    };
    let json = crate::crypto::open(key, MANIFEST_AAD, &sealed)
        .ok_or_else(|| BackupError::WrongKey(snapshot.display().to_string()))?;
    serde_json::from_slice(&json).map_err(|e| damaged(snapshot, MANIFEST, &e.to_string()))
}

/// Every file of the manifest, read whole and compared; (files, bytes).
fn verify_files(
    snapshot: &Path,
    manifest: &Manifest,
    progress: &mut dyn FnMut(Progress),
) -> Result<(usize, u64), BackupError> {
    let mut files = 0;
    let mut bytes = 0;
    let mut check = |entry: &FileEntry| -> Result<(), BackupError> {
        if !safe_relative(&entry.path) {
            return Err(damaged(
                snapshot,
                &entry.path,
                "is not a path inside the backup",
            ));
        }
        let (size, sha) = match hash_file(&snapshot.join(&entry.path)) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(damaged(snapshot, &entry.path, "is missing"));
            }
            Err(e) => return Err(e.into()),
        };
        if size != entry.size || sha != entry.sha256 {
            return Err(damaged(
                snapshot,
                &entry.path,
                "does not match its checksum",
            ));
        }
        files += 1;
        bytes += size;
        Ok(())
    };
    check(&manifest.host)?;
    if let Some(log_key) = &manifest.log_key {
        check(log_key)?;
    }
    for (done, pod) in manifest.pods.iter().enumerate() {
        if !pod.id.bytes().all(|b| b.is_ascii_hexdigit()) || pod.id.len() != 32 {
            return Err(damaged(
                snapshot,
                &pod.id,
                "is not a pod's name in a backup",
            ));
        }
        for file in &pod.files {
            check(file)?;
        }
        progress(Progress {
            pods_done: done + 1,
            pods: manifest.pods.len(),
            bytes: 0,
        });
    }
    Ok((files, bytes))
}

/// A manifest's path: relative, no `..`, no empty or dot segment.
fn safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'))
}

fn key_file_aad(id: &str) -> Vec<u8> {
    format!("selfdata backup pod key v1 {id}").into_bytes()
}

/// Writes a pod's key into the destination, unless the same is there.
fn write_pod_key(
    dest: &Path,
    key: &Key32,
    id: &str,
    name: &PodName,
    data_key: &Key32,
) -> Result<(), StoreError> {
    if let Ok(Some((there, k))) = read_pod_key(dest, key, id)
        && there == *name
        && k == *data_key
    {
        return Ok(());
    }
    let json = serde_json::to_vec(&PodKeyFile {
        pod: name.as_str().to_owned(),
        key: data_key.to_hex(),
    })
    .map_err(|e| StoreError::Io(e.to_string()))?;
    let sealed = crate::crypto::seal(key, &key_file_aad(id), &json);
    let dir = dest.join(KEYS);
    let tmp = dir.join(format!("{id}.tmp{}", rand::random::<u32>()));
    // Made durable with the snapshot that needs it (its `syncfs`); until
    // then no complete snapshot names this key.
    fs::File::create(&tmp)?.write_all(&sealed)?;
    fs::rename(&tmp, dir.join(id))?;
    Ok(())
}

/// A pod's name and data key from the destination; `None` when its key is
/// gone (the pod was erased).
fn read_pod_key(
    dest: &Path,
    key: &Key32,
    id: &str,
) -> Result<Option<(PodName, Key32)>, BackupError> {
    let sealed = match fs::read(dest.join(KEYS).join(id)) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let wrong = || BackupError::WrongKey(dest.display().to_string());
    let json = crate::crypto::open(key, &key_file_aad(id), &sealed).ok_or_else(wrong)?;
    let file: PodKeyFile = serde_json::from_slice(&json).map_err(|_| wrong())?;
    let name = PodName::parse(&file.pod).map_err(|_| wrong())?;
    let data_key = Key32::from_hex(&file.key).map_err(|_| wrong())?;
    if pod_id(&data_key) != id {
        return Err(wrong());
    }
    Ok(Some((name, data_key)))
}

/// Removes a pod's key from a destination; an error when the destination
/// is not there (an unmounted disk), so the removal is done later.
fn remove_key_file(dest: &Path, id: &str) -> Result<(), StoreError> {
    if !dest.join(KEYS).is_dir() {
        return Err(StoreError::Io(format!(
            "the backup destination {} is not there",
            dest.display()
        )));
    }
    match fs::remove_file(dest.join(KEYS).join(id)) {
        Ok(()) => sync_dir(&dest.join(KEYS)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Opens a copied database under its key, as it is (no journal change).
fn open_connection_as_is(path: &Path, key: &Key32) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.execute_batch("PRAGMA cipher_log_level = NONE;")?;
    conn.execute_batch(&format!("PRAGMA key = {};", key.sqlcipher_pragma()))?;
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })?;
    Ok(conn)
}

fn hash_file(path: &Path) -> std::io::Result<(u64, String)> {
    copy_hashing(&mut fs::File::open(path)?, &mut std::io::sink())
}

/// Copies `src` into `dst`, hashing on the way: (bytes, SHA-256 in hex).
fn copy_hashing(
    src: &mut impl std::io::Read,
    dst: &mut impl std::io::Write,
) -> std::io::Result<(u64, String)> {
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut size = 0u64;
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        dst.write_all(&buf[..n])?;
        size += n as u64;
    }
    Ok((size, hex::encode(sha.finalize())))
}

/// A file of the snapshot as the manifest names it (made durable with the
/// whole snapshot, see `write_snapshot`).
fn entry_of(snap: &Path, path: &str) -> Result<FileEntry, StoreError> {
    let file = snap.join(path);
    let (size, sha256) = hash_file(&file)?;
    Ok(FileEntry {
        path: path.to_owned(),
        size,
        sha256,
    })
}

fn write_file(snap: &Path, path: &str, body: &[u8]) -> Result<FileEntry, StoreError> {
    fs::File::create(snap.join(path))?.write_all(body)?;
    Ok(FileEntry {
        path: path.to_owned(),
        size: body.len() as u64,
        sha256: hex::encode(Sha256::digest(body)),
    })
}

/// Copies a file into the snapshot, hashing it on the way; the copy's
/// entry, and the copy still open (for the flusher).
fn copy_file(from: &Path, snap: &Path, path: &str) -> Result<(FileEntry, fs::File), StoreError> {
    let to = snap.join(path);
    fs::create_dir_all(to.parent().expect("a file in a folder"))?;
    let mut dst = fs::File::create(&to)?;
    let (size, sha256) = copy_hashing(&mut fs::File::open(from)?, &mut dst)?;
    let entry = FileEntry {
        path: path.to_owned(),
        size,
        sha256,
    };
    Ok((entry, dst))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_names_are_utc_times() {
        assert_eq!(utc_name(0), "19700101T000000Z");
        assert_eq!(utc_name(1_796_515_200_000), "20261206T000000Z");
        assert_eq!(utc_name(951_782_400_000 + 3_723_000), "20000229T010203Z");
        assert!(is_snapshot_name("20261206T000000Z"));
        assert!(is_snapshot_name("20261206T000000Z-2"));
        assert!(!is_snapshot_name("20261206T000000Z.partial"));
        assert!(!is_snapshot_name("keys"));
    }

    #[test]
    fn a_backup_of_a_newer_format_is_refused_and_nothing_written() {
        let tmp = tempfile::tempdir().unwrap();
        let snap = tmp.path().join("20261206T000000Z");
        fs::create_dir_all(&snap).unwrap();
        let key = Key32::random();
        let manifest = Manifest {
            format: crate::format::DATA_FORMAT + 1,
            version: "9.9.9".into(),
            created_ms: 0,
            host: FileEntry {
                path: HOST_COPY.into(),
                size: 0,
                sha256: String::new(),
            },
            log_key: None,
            pods: Vec::new(),
        };
        let json = serde_json::to_vec(&manifest).unwrap();
        fs::write(
            snap.join(MANIFEST),
            crate::crypto::seal(&key, MANIFEST_AAD, &json),
        )
        .unwrap();
        let target = tmp.path().join("restored");
        let refused = restore(&snap, &key, &target, None, &mut |_| {});
        assert!(
            matches!(refused, Err(BackupError::NewerFormat { .. })),
            "{refused:?}"
        );
        assert!(!target.exists());
    }

    #[test]
    fn manifest_paths_stay_inside_the_snapshot() {
        assert!(safe_relative("pods/ab/pod.sqlite"));
        for bad in ["", "/etc/passwd", "pods/../../x", "pods//x", "./x", "a\\b"] {
            assert!(!safe_relative(bad), "{bad}");
        }
    }
}

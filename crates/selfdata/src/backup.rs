//! Backups of a running server: taken on a schedule (`serve
//! --backup-every-hours`), or asked for by `selfdata backup` through the
//! server's control socket, since the running server holds the data folder
//! and only it can read a consistent state of every pod (see
//! `selfdata_store::sqlite::backup` for what a backup holds).
//!
//! The control socket is `<data>/control.sock`, a Unix socket of mode 0600:
//! only the service's own user (and root) can connect, which is the whole
//! of its access control. It speaks JSON lines: one request, then answers
//! until the last (`{"backup":{"dir":…,"keep":…,"key":…}}` is answered by
//! `{"progress":…}` lines, then `{"done":…}` or `{"error":"a sentence"}`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use selfdata_store::StoreError;
use selfdata_store::crypto::Key32;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::sqlite::backup::{BackupError, BackupReport, ErasedPod, Progress};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

use crate::App;

/// The control socket's name in the data folder.
pub const SOCKET: &str = "control.sock";
/// The longest request line read from the socket.
const MAX_REQUEST: usize = 16 * 1024;

/// Where backups go and under which key.
#[derive(Clone)]
pub struct Plan {
    /// The destination folder.
    pub dir: PathBuf,
    pub key: Key32,
    /// Snapshots kept there.
    pub keep: usize,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("dir", &self.dir)
            .field("keep", &self.keep)
            .finish_non_exhaustive()
    }
}

/// The last backups, for the monitoring.
#[derive(Debug, Default)]
pub struct Status {
    /// When the last backup that succeeded ended (ms since the epoch, 0: none).
    pub last_success_ms: AtomicI64,
    pub last_duration_ms: AtomicU64,
    pub last_bytes: AtomicU64,
    pub failures: AtomicU64,
    /// The schedule, in seconds between backups (0: none).
    pub every_secs: AtomicU64,
}

/// Takes backups of the server's store and keeps their status.
#[derive(Clone)]
pub struct Backups {
    store: std::sync::Weak<SqliteBackend>,
    pub status: Arc<Status>,
}

impl std::fmt::Debug for Backups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Backups")
    }
}

impl Backups {
    /// Holds the store only weakly, so that dropping the app still closes
    /// the data folder.
    /// Without the embedded engine (PostgreSQL keeps the data), there is
    /// nothing of ours to back up: the database's own backups do.
    pub fn new(store: Option<&Arc<SqliteBackend>>) -> Self {
        Self {
            store: store.map_or_else(std::sync::Weak::new, Arc::downgrade),
            status: Arc::default(),
        }
    }

    /// Takes a backup now, reporting progress; recorded for the monitoring.
    pub async fn take(
        &self,
        plan: &Plan,
        mut progress: impl FnMut(Progress) + Send + 'static,
    ) -> Result<BackupReport, BackupError> {
        let Some(store) = self.store.upgrade() else {
            return Err(BackupError::Store(StoreError::Io(
                "the data folder is closed".into(),
            )));
        };
        let started = std::time::Instant::now();
        let plan_ = plan.clone();
        // A thread of its own, at a lower priority, so that requests keep
        // the CPU they need (a pool thread would keep the priority after).
        let (tx, rx) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("backup".into())
            .spawn(move || {
                selfdata_store::sys::lower_this_threads_priority();
                let _ = tx.send(store.backup(&plan_.key, &plan_.dir, plan_.keep, &mut progress));
            });
        let result = match spawned {
            Ok(_) => rx.await.unwrap_or_else(|_| {
                Err(BackupError::Store(StoreError::Io(
                    "the backup stopped".into(),
                )))
            }),
            Err(e) => Err(BackupError::Store(StoreError::Io(e.to_string()))),
        };
        let status = &self.status;
        match &result {
            Ok(report) => {
                let elapsed = started.elapsed().as_millis() as u64;
                status.last_duration_ms.store(elapsed, Ordering::Relaxed);
                status.last_bytes.store(report.bytes, Ordering::Relaxed);
                status
                    .last_success_ms
                    .store(jiff::Timestamp::now().as_millisecond(), Ordering::Relaxed);
                tracing::info!(
                    snapshot = %report.snapshot.display(),
                    pods = report.pods,
                    bytes = report.bytes,
                    ms = elapsed,
                    pruned = report.pruned,
                    "backup taken"
                );
            }
            Err(BackupError::Busy) => {}
            Err(e) => {
                status.failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(dir = %plan.dir.display(), error = %e, "backup failed");
            }
        }
        result
    }

    /// Backs up every `every`, the first one `every` after start.
    pub fn spawn_schedule(&self, plan: Plan, every: std::time::Duration) {
        self.status
            .every_secs
            .store(every.as_secs(), Ordering::Relaxed);
        let backups = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if backups.store.strong_count() == 0 {
                    return;
                }
                let _ = backups.take(&plan, |_| {}).await;
            }
        });
    }

    /// Listens on the control socket of the data folder `data` (mode
    /// 0600). The folder's lock is held, so a socket file already there was
    /// left by a server that stopped.
    pub fn listen(&self, data: &Path) -> std::io::Result<PathBuf> {
        let path = data.join(SOCKET);
        let _ = std::fs::remove_file(&path);
        let listener = tokio::net::UnixListener::bind(&path)?;
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        let backups = self.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                if backups.store.strong_count() == 0 {
                    return;
                }
                let backups = backups.clone();
                tokio::spawn(async move {
                    if let Err(e) = backups.answer(stream).await {
                        tracing::warn!(error = %e, "a control request failed");
                    }
                });
            }
        });
        Ok(path)
    }

    async fn answer(&self, stream: tokio::net::UnixStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut line = String::new();
        let mut read = BufReader::new(read).take(MAX_REQUEST as u64);
        read.read_line(&mut line).await?;
        let request: Request = match serde_json::from_str(&line) {
            Ok(r) => r,
            Err(e) => {
                return send(&mut write, &Answer::Error(format!("not a request: {e}"))).await;
            }
        };
        let Request::Backup { dir, keep, key } = request;
        let key = match Key32::from_hex(&key) {
            Ok(k) => k,
            Err(e) => return send(&mut write, &Answer::Error(e.to_string())).await,
        };
        let plan = Plan { dir, key, keep };
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let backup = self.take(&plan, move |p| {
            let _ = tx.send(p);
        });
        tokio::pin!(backup);
        let result = loop {
            tokio::select! {
                result = &mut backup => break result,
                Some(p) = rx.recv() => send(&mut write, &Answer::Progress(p)).await?,
            }
        };
        let last = match result {
            Ok(report) => Answer::Done(report),
            Err(e) => Answer::Error(e.to_string()),
        };
        send(&mut write, &last).await
    }
}

impl App {
    /// Withdraws what still speaks for pods a restore did not bring back
    /// (erased after the snapshot), as their erasure did: tokens and app
    /// authorisations for their WebID, holder links, and the owner's
    /// sessions when they own no other pod.
    pub async fn forget_erased(&self, pods: &[ErasedPod]) -> Result<(), StoreError> {
        for erased in pods {
            let webid = selfdata_solid::provision::webid_of(&self.options.base_url, &erased.pod);
            self.idp
                .revoke(selfdata_store::directory::RevokeScope::WebId(&webid))
                .await?;
            self.store.forget_pod_links(erased.pod.as_str()).await?;
            if let Some(account) = erased.owner
                && self.store.pods_of(account).await?.is_empty()
            {
                self.store.delete_sessions_of(account, None).await?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Request {
    Backup {
        dir: PathBuf,
        keep: usize,
        key: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Answer {
    Progress(Progress),
    Done(BackupReport),
    Error(String),
}

async fn send(
    write: &mut tokio::net::unix::OwnedWriteHalf,
    answer: &Answer,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(answer).map_err(std::io::Error::other)?;
    line.push(b'\n');
    write.write_all(&line).await
}

/// Why asking the running server failed.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// No server answers on the data folder's socket.
    #[error("no server is running on this data folder")]
    NotRunning,
    #[error("the server could not take the backup: {0}")]
    Refused(String),
    #[error("the server's control socket: {0}")]
    Io(#[from] std::io::Error),
}

/// Asks the server running on `data` to take a backup, reporting its
/// progress; [`AskError::NotRunning`] when none runs.
pub async fn ask(
    data: &Path,
    plan: &Plan,
    mut progress: impl FnMut(Progress),
) -> Result<BackupReport, AskError> {
    let path = data.join(SOCKET);
    let stream = match tokio::net::UnixStream::connect(&path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
            ) =>
        {
            return Err(AskError::NotRunning);
        }
        Err(e) => return Err(e.into()),
    };
    let (read, mut write) = stream.into_split();
    let dir = std::path::absolute(&plan.dir)?;
    let mut line = serde_json::to_vec(&Request::Backup {
        dir,
        keep: plan.keep,
        key: plan.key.to_hex(),
    })
    .map_err(std::io::Error::other)?;
    line.push(b'\n');
    write.write_all(&line).await?;
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines.next_line().await? {
        match serde_json::from_str(&line).map_err(std::io::Error::other)? {
            Answer::Progress(p) => progress(p),
            Answer::Done(report) => return Ok(report),
            Answer::Error(e) => return Err(AskError::Refused(e)),
        }
    }
    Err(AskError::Io(std::io::Error::other(
        "the server closed the connection before the backup ended",
    )))
}

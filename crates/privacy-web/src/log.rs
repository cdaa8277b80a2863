//! The pod's access log: every request on a pod by anyone but its owner,
//! kept in a tamper-evident, append-only Merkle tree (RFC 6962/9162 hashing,
//! [`selfdata_translog`]) with signed checkpoints the owner downloads and
//! checks offline (`selfdata log verify`).
//!
//! **What is logged.** Every access decision taken by
//! [`selfdata_solid::auth::Access::require`] (allowed or refused) on a pod,
//! except the owner's own: a request is the owner's when its WebID is the
//! pod's WebID (`…/{pod}/profile/card#me`) *and* it comes with no client or
//! with one of the owner's own client-credentials keys (`cc_…`, keys minted
//! for that WebID by the operator or on the owner's account page). So an app
//! the owner authorised on the consent screen (it acts with the owner's
//! WebID, through its own `client_id`) is logged, as are other agents,
//! anonymous callers, holders and connectors. One request may bring two
//! decisions (a PUT that creates a resource needs Write on it and Append on
//! its container); each is an entry.
//!
//! **Entry.** `{"time_ms", "webid", "client_id", "resource", "modes",
//! "allowed"}` as compact JSON; those exact bytes are the Merkle leaf.
//! Refusals are aggregated: the refusals of one agent (one WebID and app,
//! or every anonymous caller together) on one pod within a minute are one
//! entry, the first of them, with `"count"` and `"until_ms"` (the last)
//! added when there were more. So a stranger hammering a pod costs its log
//! at most an entry a minute, however many requests they send.
//!
//! **Storage**, in the pod's own derived store (so exported, backed up and
//! erased with it): `log/e/<index, 16 hex>` the entries, `log/n/<level, 2
//! digits>/<index, 16 hex>` the complete-subtree hashes above the leaves
//! (each written once; a leaf's hash is computed from its entry, so a
//! changed entry changes every proof that passes through it),
//! `log/head` the tree size. The checkpoint signing key is the host's
//! (`log-signing.key` in the data folder, an Ed25519 seed), named
//! `<host>/log`; each pod's log has the origin `<host>/<pod>`.
//!
//! **Buffering.** Decisions are kept in memory and appended every 100 ms,
//! or as soon as 256 are waiting, in one store write per pod (all or
//! nothing); gathered refusals once their minute is over. A crash loses the
//! decisions of the last interval (at most ~100 ms of allowed requests, the
//! last minute of refusals, plus whatever a failing store write refused);
//! what was written is never lost or changed, and never half-written.
//!
//! **Routes** (the owner only: acl:Control on the pod root):
//! - `GET /{pod}/selfdata/log/checkpoint` → `{"checkpoint": "<signed note>", "verifier_key", "size", "root"}`
//! - `GET /{pod}/selfdata/log/entries?from=N&limit=M` → `{"size", "entries": [{"index", …entry}]}`
//! - `GET /{pod}/selfdata/log/proof/inclusion?index=N&size=S` → `{"index", "size", "entry" (base64 leaf bytes), "leaf_hash", "proof": [base64…]}`
//! - `GET /{pod}/selfdata/log/proof/consistency?from=A&to=B` → `{"from", "to", "proof": [base64…]}`
//!
//! The pages read the log with [`entries`]. The routes and proofs are in
//! [`api`], the offline checks of `selfdata log verify` in [`verify`].

mod api;
mod verify;

pub use api::*;
pub use verify::*;

use std::collections::HashMap;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use selfdata_solid::audit::{AccessEvent, AccessLogHook};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_store::{Backend, PodName, StoreError, Write};
use selfdata_wac::ModeSet;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use selfdata_translog as translog;
use selfdata_translog::{Checkpoint, Frontier, Hash, LogSigner, LogVerifier, NodeId};

use crate::PrivacyApp;

/// Decisions waiting before a flush is started early.
const FLUSH_AT: usize = 256;
/// How often waiting decisions are written.
const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// How long the refusals of one agent on one pod are gathered into one entry.
const REFUSALS_WINDOW_MS: i64 = 60_000;
/// Agents whose refusals are being gathered at once, across pods; past it,
/// a newcomer's refusals count with the anonymous ones of that pod.
const MAX_REFUSERS: usize = 100_000;
/// Most entries one `entries` request returns.
const MAX_PAGE: u64 = 1000;

/// One access to a pod, as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// When the decision was taken, UTC milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Who asked; `None` for an anonymous request.
    pub webid: Option<String>,
    /// The app they asked through, if any.
    pub client_id: Option<String>,
    /// The resource's full URI.
    pub resource: String,
    /// The modes the request needed: `read`, `write`, `append`, `control`.
    pub modes: Vec<String>,
    pub allowed: bool,
    /// How many refusals this entry stands for (see "Entry" above); absent
    /// when one.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u64,
    /// When the last refusal it stands for happened, when there were more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

/// Refusals being gathered: by pod, WebID and app (`None`: anonymous).
type RefusalKey = (PodName, Option<String>, Option<String>);

/// An entry and its position in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedEntry {
    pub index: u64,
    #[serde(flatten)]
    pub entry: LogEntry,
}

/// Which entries [`entries`] returns; every field that is set must match.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// A WebID or a client_id, exactly; `"anonymous"` for requests without one.
    pub who: Option<String>,
    /// The resource URI starts with this (a full URI, or a path inside the pod like `/notes/`).
    pub resource_prefix: Option<String>,
    /// Only allowed (`Some(true)`) or only refused (`Some(false)`) accesses.
    pub allowed: Option<bool>,
    /// From this time on (UTC ms, inclusive).
    pub since_ms: Option<i64>,
    /// Before this time (UTC ms, exclusive).
    pub until_ms: Option<i64>,
    /// At most this many, the newest ones (all when `None`).
    pub limit: Option<usize>,
}

impl LogFilter {
    fn matches(&self, e: &LogEntry, pod_uri: &str) -> bool {
        if let Some(who) = &self.who {
            let hit = if who == "anonymous" {
                e.webid.is_none()
            } else {
                e.webid.as_deref() == Some(who) || e.client_id.as_deref() == Some(who)
            };
            if !hit {
                return false;
            }
        }
        if let Some(prefix) = &self.resource_prefix {
            let full = if prefix.starts_with('/') {
                format!("{pod_uri}{prefix}")
            } else {
                prefix.clone()
            };
            if !e.resource.starts_with(&full) {
                return false;
            }
        }
        self.allowed.is_none_or(|a| a == e.allowed)
            && self.since_ms.is_none_or(|s| e.time_ms >= s)
            && self.until_ms.is_none_or(|u| e.time_ms < u)
    }
}

/// Why the log could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the access log is damaged: {0}")]
    Damaged(String),
    #[error("{0}")]
    Range(String),
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::Store(s) => s.into(),
            LogError::Range(r) => ApiError::bad_request(r),
            LogError::Damaged(d) => {
                tracing::error!(error = %d, "access log damaged");
                ApiError::new(
                    StatusCode::CONFLICT,
                    format!("The access log is damaged and cannot prove this: {d}."),
                )
            }
        }
    }
}

fn entry_key(index: u64) -> String {
    format!("log/e/{index:016x}")
}

fn node_key(id: NodeId) -> String {
    format!("log/n/{:02}/{:016x}", id.level, id.index)
}

const HEAD_KEY: &str = "log/head";

/// The logged entries of a pod that match `filter`, oldest first (the
/// newest `limit` of them when a limit is set), after writing what was
/// waiting for that pod.
pub async fn entries(
    services: &PrivacyApp,
    pod: &PodName,
    filter: &LogFilter,
) -> Result<Vec<IndexedEntry>, LogError> {
    if let Ok(log) = service(services) {
        log.flush_pod(pod).await?;
    }
    let base_url = &services.ctx.solid.config().base_url;
    entries_in(services.ctx.store.as_ref(), base_url, pod, filter).await
}

/// [`entries`], given the store and the server's base URL.
pub async fn entries_in(
    store: &dyn Backend,
    base_url: &str,
    pod: &PodName,
    filter: &LogFilter,
) -> Result<Vec<IndexedEntry>, LogError> {
    let pod_uri = format!("{}/{}", base_url.trim_end_matches('/'), pod);
    let mut out = Vec::new();
    for (key, value) in store.index_scan(pod, "log/e/").await? {
        let index = u64::from_str_radix(&key["log/e/".len()..], 16)
            .map_err(|_| LogError::Damaged(format!("an entry key '{key}' is not an index")))?;
        let entry: LogEntry = serde_json::from_slice(&value)
            .map_err(|_| LogError::Damaged(format!("entry {index} is not an entry")))?;
        if filter.matches(&entry, &pod_uri) {
            out.push(IndexedEntry { index, entry });
        }
    }
    if let Some(limit) = filter.limit
        && out.len() > limit
    {
        out.drain(..out.len() - limit);
    }
    Ok(out)
}

/// The pod's access log service: the hook that receives decisions, the
/// buffer, the appender, the signing key.
pub struct AccessLog {
    store: Arc<dyn Backend>,
    base_url: String,
    host: String,
    signer: LogSigner,
    pending: parking_lot::Mutex<HashMap<PodName, Vec<LogEntry>>>,
    refusals: parking_lot::Mutex<HashMap<RefusalKey, LogEntry>>,
    waiting: AtomicUsize,
    wake: Arc<tokio::sync::Notify>,
    /// Each pod's right edge, once read; the lock serialises appends.
    trees: tokio::sync::Mutex<HashMap<PodName, Frontier>>,
}

impl std::fmt::Debug for AccessLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessLog")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

/// Reads the host's log key, or creates it (32 random bytes, hex, mode 0600).
fn load_or_create_seed(path: &FsPath) -> std::io::Result<[u8; 32]> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let bytes = hex::decode(text.trim()).ok();
        return bytes
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| {
                std::io::Error::other(format!(
                    "{} does not hold a 32-byte hex key",
                    path.display()
                ))
            });
    }
    let seed: [u8; 32] = rand::random();
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&tmp)?;
        file.write_all(hex::encode(seed).as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    Ok(seed)
}

impl AccessLog {
    /// Decisions waiting for their batch to be written.
    pub fn pending_entries(&self) -> usize {
        self.pending.lock().values().map(Vec::len).sum()
    }

    /// The log service of a host: `key_file` holds the signing key (created
    /// when missing). Starts the background flusher when called inside a
    /// Tokio runtime (otherwise call [`AccessLog::flush`]).
    pub fn open(
        store: Arc<dyn Backend>,
        base_url: &str,
        key_file: &FsPath,
    ) -> std::io::Result<Arc<Self>> {
        let seed = load_or_create_seed(key_file)?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        let host = base_url
            .split_once("://")
            .map(|(_, h)| h)
            .unwrap_or(&base_url)
            .to_owned();
        let signer = LogSigner::from_seed(&format!("{host}/log"), &seed)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        let log = Arc::new(Self {
            store,
            base_url,
            host,
            signer,
            pending: Default::default(),
            refusals: Default::default(),
            waiting: AtomicUsize::new(0),
            wake: Arc::new(tokio::sync::Notify::new()),
            trees: Default::default(),
        });
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(flusher(Arc::downgrade(&log), log.wake.clone()));
        }
        Ok(log)
    }

    /// The key file's usual place in a data folder.
    pub fn key_file_in(data: &FsPath) -> PathBuf {
        data.join("log-signing.key")
    }

    /// The verifier key of every checkpoint this host signs (C2SP form).
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    /// The origin line of a pod's checkpoints.
    pub fn origin(&self, pod: &PodName) -> String {
        format!("{}/{}", self.host, pod)
    }

    fn is_owner(&self, pod: &PodName, event: &AccessEvent<'_>) -> bool {
        let Some(c) = event.credentials else {
            return false;
        };
        c.webid == selfdata_solid::provision::webid_of(&self.base_url, pod)
            && c.client_id
                .as_deref()
                .is_none_or(|id| id.starts_with("cc_"))
    }

    /// Writes every waiting decision (of every pod).
    /// Forgets a pod's waiting decisions and its cached tree (it was erased:
    /// a new pod with the same name starts a new log).
    pub async fn forget_pod(&self, pod: &PodName) {
        self.pending.lock().remove(pod);
        self.refusals.lock().retain(|(p, _, _), _| p != pod);
        self.trees.lock().await.remove(pod);
    }

    pub async fn flush(&self) {
        self.flush_refusals_older_than(i64::MAX).await;
    }

    /// Writes every waiting decision, and the refusals gathered before
    /// `cutoff_ms` (all of them with `i64::MAX`), in time order per pod.
    async fn flush_refusals_older_than(&self, cutoff_ms: i64) {
        let mut pending = std::mem::take(&mut *self.pending.lock());
        self.waiting.store(0, Ordering::Relaxed);
        {
            let mut refusals = self.refusals.lock();
            let due: Vec<RefusalKey> = refusals
                .iter()
                .filter(|(_, e)| e.time_ms <= cutoff_ms)
                .map(|(k, _)| k.clone())
                .collect();
            for key in due {
                if let Some(entry) = refusals.remove(&key) {
                    pending.entry(key.0).or_default().push(entry);
                }
            }
        }
        if pending.is_empty() {
            return;
        }
        for batch in pending.values_mut() {
            batch.sort_by_key(|e| e.time_ms);
        }
        let mut trees = self.trees.lock().await;
        for (pod, batch) in pending {
            if let Err(e) = self.append(&mut trees, &pod, batch).await {
                tracing::error!(pod = %pod, error = %e, "access log entries could not be written");
            }
        }
    }

    async fn append(
        &self,
        trees: &mut HashMap<PodName, Frontier>,
        pod: &PodName,
        batch: Vec<LogEntry>,
    ) -> Result<(), LogError> {
        // The tree head is set only if it is still the one this frontier
        // ends at: another server appending to the same pod's log in
        // between makes this write fail whole, and it is made again on the
        // tree as that server left it. One tree per pod, never a fork.
        for _ in 0..16 {
            let frontier = match trees.remove(pod) {
                Some(f) => f,
                None => self.load_frontier(pod).await?,
            };
            let expected = (frontier.size() > 0).then(|| Bytes::from(frontier.size().to_string()));
            let mut frontier_after = frontier.clone();
            let writes = Self::appending(&mut frontier_after, &batch, expected)?;
            match self.store.write(pod, Write::Batch(writes)).await {
                Ok(_) => {
                    trees.insert(pod.clone(), frontier_after);
                    return Ok(());
                }
                // Another server appended first: start again from the store.
                Err(selfdata_store::StoreError::PreconditionFailed) => continue,
                Err(e) => {
                    trees.insert(pod.clone(), frontier);
                    return Err(e.into());
                }
            }
        }
        Err(LogError::Damaged(
            "the log's head kept moving while appending".into(),
        ))
    }

    /// The writes appending `batch` to the tree `frontier` ends at (moved
    /// to the new head), the head compared with `expected` first.
    fn appending(
        frontier: &mut Frontier,
        batch: &[LogEntry],
        expected: Option<Bytes>,
    ) -> Result<Vec<Write>, LogError> {
        let mut writes = Vec::with_capacity(batch.len() * 3 + 1);
        for entry in batch {
            let bytes = serde_json::to_vec(entry).map_err(|e| LogError::Damaged(e.to_string()))?;
            let index = frontier.size();
            for (id, hash) in frontier.append(selfdata_translog::leaf_hash(&bytes)) {
                // A leaf's hash is the hash of its entry: not stored twice.
                if id.level == 0 {
                    continue;
                }
                writes.push(Write::Index {
                    key: node_key(id),
                    value: Some(Bytes::copy_from_slice(&hash)),
                });
            }
            writes.push(Write::Index {
                key: entry_key(index),
                value: Some(Bytes::from(bytes)),
            });
        }
        writes.push(Write::IndexIf {
            key: HEAD_KEY.to_owned(),
            expected,
            value: Some(Bytes::from(frontier.size().to_string())),
        });
        Ok(writes)
    }

    async fn load_frontier(&self, pod: &PodName) -> Result<Frontier, LogError> {
        let size = head_size(self.store.as_ref(), pod).await?;
        let nodes = fetch_nodes(self.store.as_ref(), pod, &Frontier::node_ids(size)).await?;
        Frontier::load(size, &nodes).map_err(|e| LogError::Damaged(e.to_string()))
    }

    /// Writes what is waiting for `pod`, then signs its current tree head.
    pub async fn checkpoint(&self, pod: &PodName) -> Result<(Checkpoint, String), LogError> {
        let batch = self.take_waiting(pod);
        let mut trees = self.trees.lock().await;
        if !batch.is_empty() {
            self.append(&mut trees, pod, batch).await?;
        }
        // Several servers append to one pod's log: sign the head as the
        // store has it, not as this server last left it.
        if self.store.is_shared() {
            trees.remove(pod);
        }
        let frontier = match trees.get(pod) {
            Some(f) => f.clone(),
            None => {
                let f = self.load_frontier(pod).await?;
                trees.insert(pod.clone(), f.clone());
                f
            }
        };
        let checkpoint = Checkpoint {
            origin: self.origin(pod),
            size: frontier.size(),
            root: frontier.root(),
        };
        let note = self.signer.sign(&checkpoint);
        Ok((checkpoint, note))
    }
}

impl AccessLogHook for AccessLog {
    fn record(&self, event: &AccessEvent<'_>) {
        if self.is_owner(event.pod, event) {
            return;
        }
        let now = jiff::Timestamp::now().as_millisecond();
        if !event.allowed {
            self.gather_refusal(event, now);
            return;
        }
        let entry = LogEntry {
            time_ms: now,
            webid: event.credentials.map(|c| c.webid.clone()),
            client_id: event.credentials.and_then(|c| c.client_id.clone()),
            resource: selfdata_solid::uri::resource_uri(&self.base_url, event.pod, event.path),
            modes: event.modes.iter().map(|m| m.as_str().to_owned()).collect(),
            allowed: event.allowed,
            count: 1,
            until_ms: None,
        };
        self.pending
            .lock()
            .entry(event.pod.clone())
            .or_default()
            .push(entry);
        if self.waiting.fetch_add(1, Ordering::Relaxed) + 1 >= FLUSH_AT {
            self.wake.notify_one();
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl AccessLog {
    /// A pod's waiting decisions and gathered refusals, in time order.
    fn take_waiting(&self, pod: &PodName) -> Vec<LogEntry> {
        let mut batch = self.pending.lock().remove(pod).unwrap_or_default();
        self.refusals.lock().retain(|(p, _, _), entry| {
            if p == pod {
                batch.push(entry.clone());
                false
            } else {
                true
            }
        });
        batch.sort_by_key(|e| e.time_ms);
        batch
    }

    /// Writes a pod's waiting decisions and gathered refusals now (its
    /// owner is reading the log).
    pub async fn flush_pod(&self, pod: &PodName) -> Result<(), LogError> {
        let batch = self.take_waiting(pod);
        if batch.is_empty() {
            return Ok(());
        }
        let mut trees = self.trees.lock().await;
        self.append(&mut trees, pod, batch).await
    }

    /// Counts a refusal into its agent's entry of the current window.
    fn gather_refusal(&self, event: &AccessEvent<'_>, now: i64) {
        let mut refusals = self.refusals.lock();
        let mut key: RefusalKey = (
            event.pod.clone(),
            event.credentials.map(|c| c.webid.clone()),
            event.credentials.and_then(|c| c.client_id.clone()),
        );
        if refusals.len() >= MAX_REFUSERS && !refusals.contains_key(&key) {
            key = (event.pod.clone(), None, None);
        }
        match refusals.get_mut(&key) {
            Some(entry) => {
                entry.count += 1;
                entry.until_ms = Some(now);
            }
            None => {
                refusals.insert(
                    key.clone(),
                    LogEntry {
                        time_ms: now,
                        webid: key.1.clone(),
                        client_id: key.2.clone(),
                        resource: selfdata_solid::uri::resource_uri(
                            &self.base_url,
                            event.pod,
                            event.path,
                        ),
                        modes: event.modes.iter().map(|m| m.as_str().to_owned()).collect(),
                        allowed: false,
                        count: 1,
                        until_ms: None,
                    },
                );
            }
        }
    }
}

/// Appends waiting decisions every [`FLUSH_EVERY`], or sooner when many wait,
/// and each agent's gathered refusals once their minute is over; stops when
/// the service is dropped. It holds the log only while it works, so dropping
/// the app closes the data folder (and releases its lock) at once.
async fn flusher(log: Weak<AccessLog>, wake: Arc<tokio::sync::Notify>) {
    loop {
        let _ = tokio::time::timeout(FLUSH_EVERY, wake.notified()).await;
        let Some(strong) = log.upgrade() else {
            return;
        };
        let cutoff = jiff::Timestamp::now().as_millisecond() - REFUSALS_WINDOW_MS;
        strong.flush_refusals_older_than(cutoff).await;
        drop(strong);
    }
}

async fn head_size(store: &dyn Backend, pod: &PodName) -> Result<u64, LogError> {
    match store.index_get(pod, HEAD_KEY).await? {
        None => Ok(0),
        Some(v) => std::str::from_utf8(&v)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| LogError::Damaged("the log's head is unreadable".into())),
    }
}

async fn fetch_nodes(
    store: &dyn Backend,
    pod: &PodName,
    ids: &[NodeId],
) -> Result<HashMap<NodeId, Hash>, LogError> {
    let mut out = HashMap::with_capacity(ids.len());
    for id in ids {
        if id.level == 0 {
            if let Some(entry) = store.index_get(pod, &entry_key(id.index)).await? {
                out.insert(*id, selfdata_translog::leaf_hash(&entry));
            }
            continue;
        }
        if let Some(v) = store.index_get(pod, &node_key(*id)).await? {
            let hash = <Hash>::try_from(v.as_ref()).map_err(|_| {
                LogError::Damaged(format!("node {}/{} is not a hash", id.level, id.index))
            })?;
            out.insert(*id, hash);
        }
    }
    Ok(out)
}

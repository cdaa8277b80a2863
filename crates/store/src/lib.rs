//! The pod store: what a pod holds, and the [`Backend`] trait every storage
//! engine implements.
//!
//! The store knows resources (a path, a media type, bytes, a version) and
//! containment; it knows nothing of HTTP or RDF. Writes are sent as a
//! [`Write`] whose precondition is checked atomically with the change, so two
//! writers racing with the same `If-Match` can never both win. The embedded
//! engine is [`sqlite::SqliteBackend`]: one SQLite file per pod. A future
//! PostgreSQL-plus-object-storage engine implements the same trait.

pub mod copy;
pub mod crypto;
pub mod directory;
pub mod format;
pub mod holders;
pub mod lock;
pub mod path;
pub mod postgres;
pub mod reserve;
mod sealed;
pub mod spool;
pub mod sqlite;
mod sqlite_directory;
mod sqlite_holders;
mod sqlite_studies;
pub mod studies;
pub mod sys;
mod tree;

use std::sync::Arc;

use bytes::Bytes;
pub use directory::Directory;
pub use holders::HolderRegistry;
pub use path::{AuxKind, NameError, PodName, ReservedNames, ResourcePath};
pub use studies::StudyRegistry;

/// The strong entity tag of a resource at `version` (`"1a"`): what
/// Bodies larger than this are kept apart from the rows that name them, on
/// either engine: content-addressed sealed files beside a pod's database,
/// or objects in the object store.
pub const INLINE_LIMIT: usize = 512 * 1024;

/// Now, milliseconds since the Unix epoch, UTC.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// [`Meta::etag`] and a [`Change`]'s versions are sent as.
pub fn etag(version: u64) -> String {
    format!("\"{version:x}\"")
}

/// What the store knows about a resource, without its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub path: ResourcePath,
    /// The media type given when it was written (`text/turtle` for containers).
    pub content_type: String,
    /// A pod-wide, strictly increasing number that changes on every write of
    /// this resource (and, for a container, of its members).
    pub version: u64,
    /// Last modification, milliseconds since the Unix epoch, UTC.
    pub modified_ms: i64,
    /// Body length in bytes (for a container: its own stored triples only).
    pub size: u64,
}

impl Meta {
    /// The strong entity tag for HTTP (`"v1a"`).
    pub fn etag(&self) -> String {
        etag(self.version)
    }

    pub fn is_container(&self) -> bool {
        self.path.is_container()
    }
}

/// A condition on the current state of a resource, checked atomically with a write.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    #[default]
    None,
    /// The resource must exist (`If-Match: *`).
    Exists,
    /// The resource must not exist (`If-None-Match: *`).
    Absent,
    /// The resource's entity tag must be one of these (`If-Match`).
    EtagIn(Vec<String>),
    /// The resource must not exist, or its entity tag must not be one of these (`If-None-Match`).
    EtagNotIn(Vec<String>),
    /// The resource must be at exactly this version, or absent when `None`
    /// (used for read-modify-write such as PATCH).
    Version(Option<u64>),
}

impl Precondition {
    /// Whether a resource in state `current` satisfies the condition.
    pub fn holds(&self, current: Option<&Meta>) -> bool {
        match (self, current) {
            (Precondition::None, _) => true,
            (Precondition::Exists, c) => c.is_some(),
            (Precondition::Absent, c) => c.is_none(),
            (Precondition::EtagIn(_), None) => false,
            (Precondition::EtagIn(tags), Some(m)) => {
                let etag = m.etag();
                tags.iter().any(|t| t == &etag)
            }
            (Precondition::EtagNotIn(_), None) => true,
            (Precondition::EtagNotIn(tags), Some(m)) => {
                let etag = m.etag();
                !tags.iter().any(|t| t == &etag)
            }
            (Precondition::Version(v), c) => *v == c.map(|m| m.version),
        }
    }
}

/// One change to a pod.
pub enum Write {
    /// Create or replace a resource; missing ancestor containers are created.
    /// For a container path the body is its own (non-containment) triples.
    Put {
        path: ResourcePath,
        content_type: String,
        body: Bytes,
        precondition: Precondition,
    },
    /// [`Write::Put`] of a body too large to hold in memory (a file handed
    /// over for import, an archive), read from its source as it is stored.
    PutLarge {
        path: ResourcePath,
        content_type: String,
        body: Arc<dyn BodySource>,
        precondition: Precondition,
    },
    /// Delete a resource and its auxiliary resources. A container must be empty.
    Delete {
        path: ResourcePath,
        precondition: Precondition,
    },
    /// Read-modify-write as one atomic step (PATCH): `modify` gets the
    /// current state (or `None`) and returns the new media type and body, or
    /// an error that is handed back unchanged as [`StoreError::Rejected`].
    /// It runs on the pod's writer, so keep it short.
    Modify {
        path: ResourcePath,
        precondition: Precondition,
        modify: ModifyFn,
    },
    /// Sets (`Some`) or removes (`None`) an entry of the pod's derived index:
    /// data computed from resources (a time-series index, say) that can be
    /// rebuilt from them, kept in the pod so it is stored, backed up and
    /// erased with it. Keys are namespaced by the caller (`energy/…`).
    Index { key: String, value: Option<Bytes> },
    /// [`Write::Index`] only if the entry holds `expected` now (`None`:
    /// absent), else [`StoreError::PreconditionFailed`] and nothing
    /// changes: a compare-and-set for what several servers append to (the
    /// access log's tree head).
    IndexIf {
        key: String,
        expected: Option<Bytes>,
        value: Option<Bytes>,
    },
    /// Sets an existing resource's last modification time and nothing else
    /// (its version, body and container stay): a copy keeping the times of
    /// its source (`selfdata migrate`). Listeners are not told.
    Restamp {
        path: ResourcePath,
        modified_ms: i64,
    },
    /// Several writes applied all or nothing: if one fails (its
    /// precondition, say), none of them happens and that error is returned.
    Batch(Vec<Write>),
}

impl Write {
    /// Whether applying this write may change an access control list: it
    /// writes an `.acl` resource or deletes something (which deletes its
    /// auxiliary resources). Whoever caches ACLs must forget them after such a write.
    pub fn may_change_acls(&self) -> bool {
        match self {
            Write::Delete { .. } => true,
            Write::Put { path, .. } | Write::PutLarge { path, .. } | Write::Modify { path, .. } => {
                path.auxiliary_kind() == Some(AuxKind::Acl)
            }
            Write::Index { .. } | Write::IndexIf { .. } | Write::Restamp { .. } => false,
            Write::Batch(writes) => writes.iter().any(Write::may_change_acls),
        }
    }
}

/// A reader that can also seek (a zip is read from its end).
pub trait ReadSeek: std::io::Read + std::io::Seek + Send {}
impl<T: std::io::Read + std::io::Seek + Send> ReadSeek for T {}

/// A body read from somewhere else than memory, as often as needed, from
/// its start: a spooled upload ([`spool::Spool`]), a file on disk ([`FileBody`]).
pub trait BodySource: Send + Sync + std::fmt::Debug {
    /// Its length in bytes.
    fn len(&self) -> u64;
    /// Whether it is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// A new reader from its first byte.
    fn open(&self) -> std::io::Result<Box<dyn ReadSeek>>;
}

/// A file on disk as a body (the operator's `selfdata import` of a file);
/// if it changes while it is stored, the write fails.
#[derive(Debug, Clone)]
pub struct FileBody {
    path: std::path::PathBuf,
    len: u64,
}

impl FileBody {
    /// The file at `path`, with its current length.
    pub fn new(path: impl Into<std::path::PathBuf>) -> std::io::Result<Self> {
        let path = path.into();
        let len = std::fs::metadata(&path)?.len();
        Ok(Self { path, len })
    }
}

impl BodySource for FileBody {
    fn len(&self) -> u64 {
        self.len
    }

    fn open(&self) -> std::io::Result<Box<dyn ReadSeek>> {
        Ok(Box::new(std::fs::File::open(&self.path)?))
    }
}

/// The function of a [`Write::Modify`].
pub type ModifyFn = Box<
    dyn Fn(
            Option<(&Meta, &[u8])>,
        ) -> Result<(String, Bytes), Box<dyn std::error::Error + Send + Sync>>
        + Send,
>;

impl std::fmt::Debug for Write {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Write::Put {
                path,
                content_type,
                body,
                precondition,
            } => f
                .debug_struct("Put")
                .field("path", path)
                .field("content_type", content_type)
                .field("len", &body.len())
                .field("precondition", precondition)
                .finish(),
            Write::PutLarge {
                path,
                content_type,
                body,
                precondition,
            } => f
                .debug_struct("PutLarge")
                .field("path", path)
                .field("content_type", content_type)
                .field("len", &body.len())
                .field("precondition", precondition)
                .finish(),
            Write::Delete { path, precondition } => f
                .debug_struct("Delete")
                .field("path", path)
                .field("precondition", precondition)
                .finish(),
            Write::Modify {
                path, precondition, ..
            } => f
                .debug_struct("Modify")
                .field("path", path)
                .field("precondition", precondition)
                .finish(),
            Write::Index { key, value } => f
                .debug_struct("Index")
                .field("key", key)
                .field("len", &value.as_ref().map(|v| v.len()))
                .finish(),
            Write::IndexIf {
                key,
                expected,
                value,
            } => f
                .debug_struct("IndexIf")
                .field("key", key)
                .field("expected_len", &expected.as_ref().map(|v| v.len()))
                .field("len", &value.as_ref().map(|v| v.len()))
                .finish(),
            Write::Restamp { path, modified_ms } => f
                .debug_struct("Restamp")
                .field("path", path)
                .field("modified_ms", modified_ms)
                .finish(),
            Write::Batch(writes) => f.debug_list().entries(writes).finish(),
        }
    }
}

/// What a successful write did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    Created(Meta),
    Updated(Meta),
    Deleted,
    /// A derived index entry was set or removed.
    Indexed,
    /// The outcomes of a [`Write::Batch`], in order.
    Batch(Vec<WriteOutcome>),
}

/// One resource changed by a committed write, as told to the listeners of
/// [`Backend::changes`] (the notifications). Containers gain and lose
/// members through the changes of their members: a created or deleted
/// resource's parent container changed with it (`parent_version`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: ResourcePath,
    pub kind: ChangeKind,
    /// The resource's version after the change (`None` once deleted).
    pub version: Option<u64>,
    /// The parent container's version after the change, when the write
    /// changed it (a member created, updated or deleted).
    pub parent_version: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

/// The changes one commit made to one pod, told once it is durable: a
/// write that was refused or rolled back is never told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub pod: PodName,
    /// When the commit was made, milliseconds since the Unix epoch, UTC.
    pub at_ms: i64,
    pub changes: Vec<Change>,
}

/// How many commits a listener of [`Backend::changes`] may fall behind
/// before it misses some (and is told how many it missed): a slow listener
/// never slows a writer.
pub const CHANGES_BACKLOG: usize = 16 * 1024;

/// A pod as listed by the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub name: PodName,
    pub created_ms: i64,
}

/// What [`Backend::delete_pod`] destroyed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodErasure {
    pub pod: PodName,
    /// When the data key was destroyed, milliseconds since the Unix epoch, UTC.
    pub key_destroyed_ms: i64,
    /// Whether a wrapped data key was destroyed (false for an unencrypted store).
    pub key_destroyed: bool,
    /// Files removed (database, its journal files, blobs).
    pub files_removed: u64,
    /// Their total size in bytes.
    pub bytes_removed: u64,
}

/// Why a store operation failed. Each variant maps to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("there is no pod named '{0}'")]
    NoSuchPod(String),
    #[error("a pod named '{0}' exists already")]
    PodExists(String),
    #[error("an account with the email address {0} exists already")]
    AccountExists(String),
    #[error("there is no resource at {0}")]
    NotFound(ResourcePath),
    #[error("the resource's current state does not match the request's precondition")]
    PreconditionFailed,
    #[error("{0} is a document, so it cannot hold other resources")]
    ParentIsDocument(ResourcePath),
    #[error("{0} already names a {1}; a container and a document cannot share a name")]
    SlashConflict(ResourcePath, &'static str),
    #[error("the container {0} is not empty; delete what it holds first")]
    ContainerNotEmpty(ResourcePath),
    #[error("the root of a pod cannot be deleted this way")]
    RootDelete,
    #[error(transparent)]
    Name(#[from] NameError),
    #[error("storage failure: {0}")]
    Io(String),
    /// The function of a [`Write::Modify`] refused the change.
    #[error("{0}")]
    Rejected(Box<dyn std::error::Error + Send + Sync>),
    /// The disk holding the data folder is full (`SQLITE_FULL`, `ENOSPC`,
    /// `EDQUOT`). Nothing was changed; deletes still work (see [`reserve`]).
    #[error("the disk holding the data is full")]
    DiskFull,
    /// The write would take the pod beyond its storage quota. Deletes, and
    /// writes that make the pod smaller, are always allowed.
    #[error("the pod '{pod}' is full: it holds {used} bytes of its {quota}-byte quota")]
    QuotaExceeded { pod: String, used: u64, quota: u64 },
    /// Every open pod is in use and no more can be opened now (descriptor
    /// limit); try again in a moment.
    #[error("too many pods are in use right now")]
    Busy,
    /// The database is away for now (a failover under way, a restart):
    /// nothing was changed; the request may be tried again in a moment.
    #[error("the database cannot be reached right now: {0}")]
    Unavailable(String),
    /// The database refused a transaction because a concurrent one changed
    /// what it read; nothing was changed. Tried again by the engine before
    /// it is ever answered.
    #[error("a concurrent change got there first")]
    Conflict,
    /// Another process holds the data folder (see [`lock::DataLock`]).
    #[error("{0}")]
    Locked(String),
    /// The data folder was written by a newer selfdata (see [`format`]).
    #[error(
        "this data folder was written by a newer selfdata (format {found}; this one reads formats up to {supported}): run that version or a later one; nothing in the folder was changed"
    )]
    NewerFormat { found: u32, supported: u32 },
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            reserve::disk_full();
            return StoreError::DiskFull;
        }
        StoreError::Io(e.to_string())
    }
}

impl From<std::io::Error> for StoreError {
    fn from(e: std::io::Error) -> Self {
        if reserve::is_disk_full(&e) {
            reserve::disk_full();
            return StoreError::DiskFull;
        }
        StoreError::Io(e.to_string())
    }
}

/// A pod's storage: what it holds and may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PodUsage {
    /// Bytes of its resources' bodies.
    pub used: u64,
    /// Bytes it may hold (`u64::MAX`: no limit).
    pub quota: u64,
    /// Whether the quota is the pod's own (set by the operator) rather
    /// than the server's default.
    pub own_quota: bool,
}

/// Everything a server keeps, on one engine: the pods, the directory and the
/// registries of holders and studies. The embedded engine
/// ([`sqlite::SqliteBackend`]) and the PostgreSQL engine
/// ([`postgres::PgStore`]) are both one.
pub trait Storage: Backend + Directory + HolderRegistry + StudyRegistry {}

impl<T: Backend + Directory + HolderRegistry + StudyRegistry> Storage for T {}

/// A storage engine for pods.
///
/// Reads see every write that was acknowledged before they started. A write
/// is acknowledged only once it is durable: after the `write` future
/// resolves, a crash of the process or the machine does not lose it.
#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Creates a pod holding an empty root container.
    async fn create_pod(&self, name: &PodName) -> Result<PodInfo, StoreError>;
    /// Every pod, by name.
    async fn list_pods(&self) -> Result<Vec<PodInfo>, StoreError>;
    /// One pod's info, if it exists.
    async fn pod(&self, name: &PodName) -> Result<Option<PodInfo>, StoreError>;
    /// A resource's metadata, if it exists.
    async fn meta(&self, pod: &PodName, path: &ResourcePath) -> Result<Option<Meta>, StoreError>;
    /// A resource's metadata and body, if it exists.
    async fn get(
        &self,
        pod: &PodName,
        path: &ResourcePath,
    ) -> Result<Option<(Meta, Bytes)>, StoreError>;
    /// The members of a container, auxiliary resources excluded, ordered by path.
    async fn members(
        &self,
        pod: &PodName,
        container: &ResourcePath,
    ) -> Result<Vec<Meta>, StoreError>;
    /// Applies one write atomically, checking its precondition.
    async fn write(&self, pod: &PodName, write: Write) -> Result<WriteOutcome, StoreError>;
    /// Erases a pod for good (crypto-shredding): its data key is destroyed
    /// first (durably), so any copy of its files becomes unreadable, then the
    /// pod is closed and its files removed. Its owner link is removed too.
    async fn delete_pod(&self, name: &PodName) -> Result<PodErasure, StoreError> {
        let _ = name;
        Err(StoreError::Io(
            "this storage engine cannot delete pods".into(),
        ))
    }
    /// How many bytes of resources a pod holds, and its quota.
    async fn usage(&self, pod: &PodName) -> Result<PodUsage, StoreError> {
        let _ = pod;
        Err(StoreError::Io(
            "this storage engine cannot tell a pod's usage".into(),
        ))
    }
    /// Gives one pod its own quota, in bytes, or the server's default back
    /// (`None`); taken into account from its next write.
    async fn set_quota(&self, pod: &PodName, bytes: Option<u64>) -> Result<(), StoreError> {
        let _ = (pod, bytes);
        Err(StoreError::Io(
            "this storage engine cannot set a pod's quota".into(),
        ))
    }
    /// The names of erased pods, never given again, with when each was
    /// erased (milliseconds, UTC), by name.
    async fn erased_pods(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Err(StoreError::Io(
            "this storage engine cannot list erased pods".into(),
        ))
    }
    /// Records names as erased (copied from another store: `selfdata
    /// migrate`), so that they are never given again here either; a name
    /// recorded already is kept as it was.
    async fn remember_erased(&self, names: &[(String, i64)]) -> Result<(), StoreError> {
        let _ = names;
        Err(StoreError::Io(
            "this storage engine cannot record erased pods".into(),
        ))
    }
    /// Whether other servers write to this store too (several servers over
    /// one database): what a server keeps in memory about it (replayed
    /// proofs, revocations, access control lists) must then be checked
    /// against the store, not only against its own writes.
    fn is_shared(&self) -> bool {
        false
    }
    /// A number that moves whenever a write may have changed one of the
    /// pod's access control lists, on any server; `None` when this
    /// process sees every write itself ([`Backend::is_shared`] false).
    async fn acl_epoch(&self, pod: &PodName) -> Result<Option<u64>, StoreError> {
        let _ = pod;
        Ok(None)
    }
    /// One entry of the pod's derived store, if it exists.
    async fn index_get(&self, pod: &PodName, key: &str) -> Result<Option<Bytes>, StoreError>;
    /// Says this server listens to these pods' commits ([`Backend::changes`]):
    /// where servers share the store, commits other servers make to them
    /// are then told too (within a second). Called again while listening.
    async fn listen(&self, _pods: &[PodName]) -> Result<(), StoreError> {
        Ok(())
    }
    /// The commits made from now on, for a listener that must never hold
    /// up a write (notifications). `None` when the engine cannot tell.
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<std::sync::Arc<Committed>>> {
        None
    }

    /// The derived index entries whose key starts with `prefix`, ordered by key.
    async fn index_scan(
        &self,
        pod: &PodName,
        prefix: &str,
    ) -> Result<Vec<(String, Bytes)>, StoreError>;
}

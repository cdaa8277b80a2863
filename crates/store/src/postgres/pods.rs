//! Pods and their resources on PostgreSQL ([`crate::Backend`]).

use super::*;

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS pod (
    name TEXT COLLATE "C" PRIMARY KEY,
    created BIGINT NOT NULL,
    -- The pod's own quota in bytes (NULL: the server's default).
    quota BIGINT,
    -- The next version number to hand out, advanced in each write.
    next_version BIGINT NOT NULL,
    -- Bytes of the pod's resources as of its last write.
    used BIGINT NOT NULL DEFAULT 0,
    -- Moves with every write that may change an access control list, so
    -- every server knows when its cached ACLs of the pod are stale.
    acl_epoch BIGINT NOT NULL DEFAULT 0
);
-- Set while the pod is being moved to another cluster (placement.rs):
-- its writes are refused meanwhile.
ALTER TABLE pod ADD COLUMN IF NOT EXISTS moving BOOLEAN NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS pod_tombstone (
    name TEXT COLLATE "C" PRIMARY KEY,
    erased BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS pod_key (
    pod TEXT COLLATE "C" PRIMARY KEY,
    wrapped BYTEA NOT NULL
);
CREATE TABLE IF NOT EXISTS resource (
    pod TEXT COLLATE "C" NOT NULL,
    path TEXT COLLATE "C" NOT NULL,
    parent TEXT COLLATE "C",
    content_type TEXT NOT NULL,
    version BIGINT NOT NULL,
    modified BIGINT NOT NULL,
    size BIGINT NOT NULL,
    -- Sealed with the pod's body key, the path bound (empty when the
    -- body is in the object store).
    body BYTEA NOT NULL,
    PRIMARY KEY (pod, path)
);
CREATE INDEX IF NOT EXISTS resource_parent ON resource (pod, parent, path);
-- The body's object in the object store (pods/<pod>/<blob>), when it is
-- there: a keyed MAC of the body, sealed as the embedded engine's blobs.
ALTER TABLE resource ADD COLUMN IF NOT EXISTS blob TEXT;
CREATE INDEX IF NOT EXISTS resource_blob ON resource (pod, blob) WHERE blob IS NOT NULL;
-- Objects being written for a write not yet committed (token: the write):
-- never removed meanwhile. Taken and checked under the pod row's lock.
CREATE TABLE IF NOT EXISTS blob_pin (
    pod TEXT COLLATE "C" NOT NULL,
    blob TEXT NOT NULL,
    token BIGINT NOT NULL,
    pinned BIGINT NOT NULL,
    PRIMARY KEY (pod, blob, token)
);
CREATE TABLE IF NOT EXISTS derived (
    pod TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    -- Sealed with the pod's body key, the key bound.
    value BYTEA NOT NULL,
    PRIMARY KEY (pod, key)
);
"#;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use bytes::Bytes;
use hmac::Mac as _;

use super::objects::Objects;
use super::placement::Clusters;
use crate::crypto::{PodKeys, open, seal, wrap};
use crate::tree::{Ctx, Job, Rows};
use crate::{
    Backend, BodySource, Meta, PodErasure, PodInfo, PodName, PodUsage, ResourcePath, Write,
    WriteOutcome,
};
use crate::{INLINE_LIMIT, now_ms};

/// Unwrapped pod keys kept at most; beyond it the cache starts again.
const MAX_CACHED_KEYS: usize = 100_000;
/// How old an object must be before the background sweep removes it when
/// no row names it, and how long a pin protects an object (a write that
/// long in flight has died).
const SWEEP_AGE: Duration = Duration::from_secs(3600);

/// The keys of a pod, from its data key.
pub(super) struct PodCrypto {
    /// Seals bodies and index entries kept in the database.
    body: Key32,
    /// Names and seals the objects of its large bodies.
    blobs: PodKeys,
}

impl PodCrypto {
    fn new(data_key: &Key32) -> Self {
        Self {
            body: body_key(data_key),
            blobs: PodKeys::from_data_key(data_key),
        }
    }
}

// A body as a write's transaction stores it: sealed into the row, or
// already in the object store (its blob name and plaintext length).
use crate::tree::Body;

/// Where a stored body is, as a read finds it.
enum BodyAt {
    /// Opened from the row.
    Inline(Vec<u8>),
    /// In the object store, under this blob name.
    Blob(String),
}

/// A write refused while the pod's rows are copied to another cluster.
pub(super) fn being_moved(pod: &str) -> StoreError {
    StoreError::Unavailable(format!(
        "the pod '{pod}' is being moved to another database; its writes resume in a moment"
    ))
}

fn no_object_store(pod: &str) -> StoreError {
    StoreError::Io(format!(
        "a body of the pod '{pod}' is in an object store, and this server has none configured"
    ))
}

/// Reads and opens a blob on a blocking thread (`runtime` runs the request).
fn read_blob_blocking(
    objects: Option<&Objects>,
    runtime: &tokio::runtime::Handle,
    keys: &PodKeys,
    pod: &str,
    name: &str,
) -> Result<Vec<u8>, StoreError> {
    let objects = objects.ok_or_else(|| no_object_store(pod))?;
    let sealed = runtime.block_on(objects.get(pod, name))?;
    keys.open_blob(name, &sealed)
}

/// What a body is sealed with: the pod and the path, so a body moved to
/// another row does not open.
fn body_aad(pod: &str, path: &str) -> Vec<u8> {
    format!("resource\0{pod}\0{path}").into_bytes()
}

fn index_aad(pod: &str, key: &str) -> Vec<u8> {
    format!("derived\0{pod}\0{key}").into_bytes()
}

fn damaged(pod: &str, what: &str) -> StoreError {
    StoreError::Io(format!(
        "{what} of the pod '{pod}' cannot be decrypted: damaged, or not this pod's"
    ))
}

fn meta_of(path: ResourcePath, row: &postgres::Row) -> Meta {
    Meta {
        path,
        content_type: row.get(0),
        version: row.get::<_, i64>(1) as u64,
        modified_ms: row.get(2),
        size: row.get::<_, i64>(3) as u64,
    }
}

/// The body key of a pod, from its data key.
fn body_key(data_key: &Key32) -> Key32 {
    data_key.derive("selfdata pg body v1")
}

/// A pod's rows inside a write's transaction.
struct PgRows<'a, 't> {
    tx: &'a mut postgres::Transaction<'t>,
    pod: &'a str,
    keys: &'a PodCrypto,
    objects: Option<&'a Objects>,
    /// Runs the object store's requests (the transaction runs on a
    /// blocking thread).
    runtime: &'a tokio::runtime::Handle,
    /// Objects that may have lost their last reference.
    freed: Vec<String>,
    /// Objects written inside the transaction (a large PATCH result): no
    /// other write removes one before the commit (removals take the pod
    /// row's lock, held here); removed again if the transaction fails.
    uploaded: &'a Mutex<Vec<String>>,
}

impl PgRows<'_, '_> {
    /// Seals and writes a large body computed inside the transaction to
    /// the object store: (its name, its length).
    fn upload(&mut self, objects: &Objects, body: &[u8]) -> Result<Body, StoreError> {
        let name = self.keys.blobs.blob_name(body);
        let sealed = self.keys.blobs.seal_blob(&name, body);
        self.uploaded.lock().push(name.clone());
        self.runtime
            .block_on(objects.put(self.pod, &name, Bytes::from(sealed)))?;
        Ok(Body::Blob(name, body.len() as u64))
    }
}

impl Rows for PgRows<'_, '_> {
    fn meta(&mut self, path: &ResourcePath) -> Result<Option<Meta>, StoreError> {
        Ok(self
            .tx
            .query_opt(
                "SELECT content_type, version, modified, size FROM resource WHERE pod = $1 AND path = $2",
                &[&self.pod, &path.as_str()],
            )?
            .map(|row| meta_of(path.clone(), &row)))
    }

    fn exists(&mut self, path: &ResourcePath) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .query_opt(
                "SELECT 1 FROM resource WHERE pod = $1 AND path = $2",
                &[&self.pod, &path.as_str()],
            )?
            .is_some())
    }

    fn read(&mut self, path: &ResourcePath) -> Result<Option<(Meta, Vec<u8>)>, StoreError> {
        let Some(row) = self.tx.query_opt(
            "SELECT content_type, version, modified, size, body, blob FROM resource WHERE pod = $1 AND path = $2",
            &[&self.pod, &path.as_str()],
        )?
        else {
            return Ok(None);
        };
        let body = match row.get::<_, Option<&str>>(5) {
            Some(name) => {
                read_blob_blocking(self.objects, self.runtime, &self.keys.blobs, self.pod, name)?
            }
            None => open(
                &self.keys.body,
                &body_aad(self.pod, path.as_str()),
                row.get::<_, &[u8]>(4),
            )
            .ok_or_else(|| damaged(self.pod, "a resource"))?,
        };
        Ok(Some((meta_of(path.clone(), &row), body)))
    }

    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        version: u64,
        now: i64,
        body: &Body,
    ) -> Result<(), StoreError> {
        let uploaded;
        let body = match (body, self.objects) {
            (Body::Inline(b), Some(objects)) if b.len() > INLINE_LIMIT => {
                uploaded = self.upload(objects, b)?;
                &uploaded
            }
            _ => body,
        };
        let (sealed, blob, size) = match body {
            Body::Inline(b) => (
                seal(&self.keys.body, &body_aad(self.pod, path.as_str()), b),
                None,
                b.len() as u64,
            ),
            Body::Blob(name, len) => (Vec::new(), Some(name.as_str()), *len),
        };
        let parent = path.parent().map(|p| p.as_str().to_owned());
        // The replaced row's object, read in the statement's snapshot.
        let old: Option<String> = self
            .tx
            .query_one(
                "WITH old AS (SELECT blob FROM resource WHERE pod = $1 AND path = $2)
                 INSERT INTO resource (pod, path, parent, content_type, version, modified, size, body, blob)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (pod, path) DO UPDATE SET content_type = excluded.content_type,
                   version = excluded.version, modified = excluded.modified,
                   size = excluded.size, body = excluded.body, blob = excluded.blob
                 RETURNING (SELECT blob FROM old)",
                &[
                    &self.pod,
                    &path.as_str(),
                    &parent,
                    &content_type,
                    &(version as i64),
                    &now,
                    &(size as i64),
                    &sealed,
                    &blob,
                ],
            )?
            .get(0);
        self.freed.extend(old);
        Ok(())
    }

    fn touch(&mut self, path: &ResourcePath, version: u64, now: i64) -> Result<(), StoreError> {
        self.tx.execute(
            "UPDATE resource SET version = $3, modified = $4 WHERE pod = $1 AND path = $2",
            &[&self.pod, &path.as_str(), &(version as i64), &now],
        )?;
        Ok(())
    }

    fn children(&mut self, container: &ResourcePath) -> Result<Vec<ResourcePath>, StoreError> {
        let rows = self.tx.query(
            "SELECT path FROM resource WHERE pod = $1 AND parent = $2",
            &[&self.pod, &container.as_str()],
        )?;
        Ok(rows
            .iter()
            .map(|r| ResourcePath::parse(r.get::<_, &str>(0)))
            .collect::<Result<_, _>>()?)
    }

    fn remove(&mut self, path: &ResourcePath) -> Result<u64, StoreError> {
        let Some(row) = self.tx.query_opt(
            "DELETE FROM resource WHERE pod = $1 AND path = $2 RETURNING size, blob",
            &[&self.pod, &path.as_str()],
        )?
        else {
            return Ok(0);
        };
        self.freed.extend(row.get::<_, Option<String>>(1));
        Ok(row.get::<_, i64>(0).max(0) as u64)
    }

    fn index(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(row) = self.tx.query_opt(
            "SELECT value FROM derived WHERE pod = $1 AND key = $2",
            &[&self.pod, &key],
        )?
        else {
            return Ok(None);
        };
        open(
            &self.keys.body,
            &index_aad(self.pod, key),
            row.get::<_, &[u8]>(0),
        )
        .map(Some)
        .ok_or_else(|| damaged(self.pod, "an index entry"))
    }

    fn set_index(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
        match value {
            Some(v) => {
                let sealed = seal(&self.keys.body, &index_aad(self.pod, key), v);
                self.tx.execute(
                    "INSERT INTO derived (pod, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (pod, key) DO UPDATE SET value = excluded.value",
                    &[&self.pod, &key, &sealed],
                )?
            }
            None => self.tx.execute(
                "DELETE FROM derived WHERE pod = $1 AND key = $2",
                &[&self.pod, &key],
            )?,
        };
        Ok(())
    }
}

/// Reads a large body whole from its source, off the async threads.
async fn read_whole(body: std::sync::Arc<dyn BodySource>) -> Result<Bytes, StoreError> {
    tokio::task::spawn_blocking(move || {
        let mut out = Vec::with_capacity(body.len().min(64 << 20) as usize);
        std::io::Read::read_to_end(&mut body.open()?, &mut out)?;
        Ok::<_, std::io::Error>(Bytes::from(out))
    })
    .await
    .map_err(|e| StoreError::Io(e.to_string()))?
    .map_err(StoreError::from)
}

fn changed_while_stored() -> StoreError {
    StoreError::Io("a file changed while it was stored".into())
}

/// Copies `source` into `out`, naming what passes (the pod's blob MAC):
/// (name, length).
fn copy_naming(
    keys: &PodKeys,
    source: &dyn BodySource,
    out: &mut dyn std::io::Write,
) -> Result<(String, u64), StoreError> {
    let mut namer = keys.blob_namer();
    let mut r = source.open()?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = std::io::Read::read(&mut r, &mut buf)?;
        if n == 0 {
            return Ok((hex::encode(namer.finalize().into_bytes()), len));
        }
        namer.update(&buf[..n]);
        out.write_all(&buf[..n])?;
        len += n as u64;
    }
}

/// One write being prepared: its objects, written before its transaction.
struct Uploads<'a> {
    store: &'a PgStore,
    pod: &'a PodName,
    keys: &'a Arc<PodCrypto>,
    /// The pool of the pod's cluster.
    pool: Pool,
    /// Names this write's pins (`blob_pin.token`).
    token: i64,
    /// The objects pinned so far.
    pinned: Vec<String>,
}

impl Uploads<'_> {
    /// Turns a write into a job; a large body goes to the object store
    /// when there is one, or is read from its source (off the async
    /// threads) into memory.
    fn prepare(
        &mut self,
        write: Write,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Job, StoreError>> + Send + '_>>
    {
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
                    let body = match &self.store.objects {
                        Some(objects) if body.len() > INLINE_LIMIT => {
                            self.upload(objects.clone(), body).await?
                        }
                        _ => Body::Inline(body),
                    };
                    Job::Put {
                        path,
                        content_type,
                        body,
                        precondition,
                    }
                }
                Write::PutLarge {
                    path,
                    content_type,
                    body,
                    precondition,
                } => {
                    let body = match &self.store.objects {
                        Some(objects) if body.len() > INLINE_LIMIT as u64 => {
                            self.upload_from(objects.clone(), body).await?
                        }
                        _ => Body::Inline(read_whole(body).await?),
                    };
                    Job::Put {
                        path,
                        content_type,
                        body,
                        precondition,
                    }
                }
                Write::Batch(writes) => {
                    let mut jobs = Vec::with_capacity(writes.len());
                    for w in writes {
                        jobs.push(self.prepare(w).await?);
                    }
                    Job::Batch(jobs)
                }
                other => return Err(crate::tree::unexpected(&other)),
            })
        })
    }

    /// Pins an object for this write (refusing a body the pod's quota
    /// cannot take, before it is uploaded), under the pod row's lock: a
    /// write committed meanwhile may not remove it from then on.
    async fn pin(&mut self, name: &str, len: u64) -> Result<(), StoreError> {
        let pod = self.pod.as_str().to_owned();
        let (blob, token) = (name.to_owned(), self.token);
        let default_quota = self.store.default_quota();
        txn_on(
            self.pool.clone(),
            postgres::IsolationLevel::ReadCommitted,
            move |tx| {
                let row = tx
                    .query_opt(
                        "SELECT used, quota, moving FROM pod WHERE name = $1 FOR SHARE",
                        &[&pod],
                    )?
                    .ok_or_else(|| StoreError::NoSuchPod(pod.clone()))?;
                if row.get::<_, bool>(2) {
                    return Err(being_moved(&pod));
                }
                let used = row.get::<_, i64>(0).max(0) as u64;
                let quota = row
                    .get::<_, Option<i64>>(1)
                    .map_or(default_quota, |q| q.max(0) as u64);
                if used.saturating_add(len) > quota {
                    return Err(StoreError::QuotaExceeded {
                        pod: pod.clone(),
                        used,
                        quota,
                    });
                }
                tx.execute(
                    "INSERT INTO blob_pin (pod, blob, token, pinned) VALUES ($1, $2, $3, $4)
                     ON CONFLICT DO NOTHING",
                    &[&pod, &blob, &token, &now_ms()],
                )?;
                Ok(())
            },
        )
        .await?;
        self.pinned.push(name.to_owned());
        Ok(())
    }

    /// Seals a body held in memory and writes it to the object store.
    async fn upload(&mut self, objects: Objects, body: Bytes) -> Result<Body, StoreError> {
        let keys = self.keys.clone();
        let len = body.len() as u64;
        let (name, sealed) = tokio::task::spawn_blocking(move || {
            let name = keys.blobs.blob_name(&body);
            let sealed = keys.blobs.seal_blob(&name, &body);
            (name, sealed)
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))?;
        self.pin(&name, len).await?;
        objects
            .put(self.pod.as_str(), &name, Bytes::from(sealed))
            .await?;
        Ok(Body::Blob(name, len))
    }

    /// Writes a body read from its source to the object store, read twice
    /// as the embedded engine's blobs are: once to name it, once to seal
    /// and upload it (checking it is still what was named), so memory holds
    /// one part of the upload whatever its size.
    async fn upload_from(
        &mut self,
        objects: Objects,
        source: std::sync::Arc<dyn BodySource>,
    ) -> Result<Body, StoreError> {
        let keys = self.keys.clone();
        let named = source.clone();
        let (name, len) = tokio::task::spawn_blocking(move || {
            copy_naming(&keys.blobs, &*named, &mut std::io::sink())
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))??;
        if len != source.len() {
            return Err(changed_while_stored());
        }
        self.pin(&name, len).await?;
        if objects.exists(self.pod.as_str(), &name).await? {
            return Ok(Body::Blob(name, len));
        }
        let keys = self.keys.clone();
        let pod = self.pod.as_str().to_owned();
        let runtime = tokio::runtime::Handle::current();
        let blob = name.clone();
        tokio::task::spawn_blocking(move || {
            let mut writer = objects.writer(&pod, &blob, runtime)?;
            let sealed = (|| {
                let mut sealer = keys.blobs.blob_sealer(&blob, &mut writer)?;
                let again = copy_naming(&keys.blobs, &*source, &mut sealer)?;
                sealer.finish()?;
                if again != (blob.clone(), len) {
                    return Err(changed_while_stored());
                }
                Ok(())
            })();
            match sealed {
                Ok(()) => writer.complete(),
                Err(e) => {
                    writer.abort();
                    Err(e)
                }
            }
        })
        .await
        .map_err(|e| StoreError::Io(e.to_string()))??;
        Ok(Body::Blob(name, len))
    }
}

/// Removes the objects among `names` that no row of the pod names and no
/// write in flight pinned, after a commit (or a refused write: `token`,
/// whose pins go first). Under the pod row's lock, so no write pins one
/// of them between the check and the removal; a removal that fails is
/// left to the sweep.
async fn release(
    clusters: Clusters,
    objects: Objects,
    pod: String,
    token: Option<i64>,
    names: Vec<String>,
) -> Result<usize, StoreError> {
    let runtime = tokio::runtime::Handle::current();
    let at = clusters.of(&pod).await?;
    txn_on(
        clusters.pool(at).clone(),
        postgres::IsolationLevel::ReadCommitted,
        move |tx| {
            tx.query_opt("SELECT 1 FROM pod WHERE name = $1 FOR UPDATE", &[&pod])?;
            if let Some(token) = token {
                tx.execute(
                    "DELETE FROM blob_pin WHERE pod = $1 AND token = $2",
                    &[&pod, &token],
                )?;
            }
            let mut removed = 0;
            let mut seen = HashSet::new();
            for name in &names {
                if !seen.insert(name) {
                    continue;
                }
                const NAMED: &str =
                    "SELECT EXISTS (SELECT 1 FROM resource WHERE pod = $1 AND blob = $2)
                OR EXISTS (SELECT 1 FROM blob_pin WHERE pod = $1 AND blob = $2)";
                if tx.query_one(NAMED, &[&pod, name])?.get::<_, bool>(0) {
                    continue;
                }
                // The pod's rows on another cluster (a move's source or copy)
                // may name it too: the object store is shared.
                let mut named_elsewhere = false;
                for (_, other) in clusters.pools().enumerate().filter(|(i, _)| *i != at) {
                    let mut c = other.get().map_err(|e| {
                        StoreError::Unavailable(format!("no database connection: {e}"))
                    })?;
                    if c.query_one(NAMED, &[&pod, name])?.get::<_, bool>(0) {
                        named_elsewhere = true;
                        break;
                    }
                }
                if named_elsewhere {
                    continue;
                }
                match runtime.block_on(objects.delete(&format!("pods/{pod}/{name}"))) {
                    Ok(()) => removed += 1,
                    Err(e) => tracing::warn!(error = %e, pod, "could not remove an unused object"),
                }
            }
            Ok(removed)
        },
    )
    .await
}

/// Removes the objects under `pods/` older than `older_than` that no row
/// names and no write in flight pinned (pins older than [`SWEEP_AGE`] and
/// `older_than` are dropped first: their writes died).
async fn sweep(
    clusters: Clusters,
    objects: Objects,
    older_than: Duration,
) -> Result<usize, StoreError> {
    let now = now_ms();
    let cutoff = now.saturating_sub(older_than.as_millis().min(i64::MAX as u128) as i64);
    let pin_cutoff =
        now.saturating_sub(older_than.max(SWEEP_AGE).as_millis().min(i64::MAX as u128) as i64);
    let mut by_pod: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for listed in objects.list("pods").await? {
        if listed.modified_ms > cutoff {
            continue;
        }
        let mut parts = listed.key.split('/');
        if let (Some("pods"), Some(pod), Some(name), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            by_pod
                .entry(pod.to_owned())
                .or_default()
                .push(name.to_owned());
        }
    }
    let mut removed = 0;
    for (pod, names) in by_pod {
        let stale = pod.clone();
        txn_on(
            clusters.pool_of(&pod).await?,
            postgres::IsolationLevel::ReadCommitted,
            move |tx| {
                tx.query_opt("SELECT 1 FROM pod WHERE name = $1 FOR UPDATE", &[&stale])?;
                tx.execute(
                    "DELETE FROM blob_pin WHERE pod = $1 AND pinned < $2",
                    &[&stale, &pin_cutoff],
                )?;
                Ok(())
            },
        )
        .await?;
        removed += release(clusters.clone(), objects.clone(), pod, None, names).await?;
    }
    Ok(removed)
}

/// Sweeps the object store now and every [`SWEEP_AGE`], in the background.
pub(super) fn start_sweeper(clusters: Clusters, objects: Objects) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        loop {
            match sweep(clusters.clone(), objects.clone(), SWEEP_AGE).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "unreferenced objects removed"),
                Err(e) => tracing::warn!(error = %e, "the object store's sweep failed"),
            }
            tokio::time::sleep(SWEEP_AGE).await;
        }
    })
    .abort_handle()
}

impl PgStore {
    /// A pod's keys, unwrapped from its data key once.
    async fn pod_keys(&self, pod: &PodName) -> Result<Arc<PodCrypto>, StoreError> {
        if let Some(keys) = self.pod_keys.lock().get(pod.as_str()) {
            return Ok(keys.clone());
        }
        let name = pod.as_str().to_owned();
        let wrapped: Option<Vec<u8>> = self
            .run_pod(pod, move |c| {
                Ok(c.query_opt(
                    "SELECT k.wrapped FROM pod p JOIN pod_key k ON k.pod = p.name WHERE p.name = $1",
                    &[&name],
                )?
                .map(|r| r.get(0)))
            })
            .await?;
        let wrapped = wrapped.ok_or_else(|| StoreError::NoSuchPod(pod.to_string()))?;
        let data_key = crate::crypto::unwrap(self.master(), pod.as_str(), &wrapped)?;
        let keys = Arc::new(PodCrypto::new(&data_key));
        let mut cache = self.pod_keys.lock();
        if cache.len() >= MAX_CACHED_KEYS {
            cache.clear();
        }
        cache.insert(pod.as_str().to_owned(), keys.clone());
        Ok(keys)
    }

    /// Reads in one statement of a pod that must exist.
    async fn read_pod<T: Send + 'static>(
        &self,
        pod: &PodName,
        f: impl FnOnce(&mut Conn, &str, &Key32) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let keys = self.pod_keys(pod).await?;
        let name = pod.as_str().to_owned();
        self.run_pod(pod, move |c| f(c, &name, &keys.body)).await
    }

    /// [`PgStore::run`] on the cluster a pod is on.
    async fn run_pod<T: Send + 'static>(
        &self,
        pod: &PodName,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        run_on(self.clusters().pool_of(pod.as_str()).await?, f).await
    }

    /// [`PgStore::txn_at`] on the cluster a pod is on.
    async fn txn_pod<T: Send + 'static>(
        &self,
        pod: &PodName,
        isolation: postgres::IsolationLevel,
        f: impl FnMut(&mut postgres::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        txn_on(self.clusters().pool_of(pod.as_str()).await?, isolation, f).await
    }

    /// Whether an erasure of `pod` was stopped after its key went: its name
    /// is remembered as erased, or still placed on a cluster without a row.
    async fn left_halfway(&self, pod: &PodName) -> Result<bool, StoreError> {
        let name = pod.as_str().to_owned();
        self.run(move |c| {
            Ok(c.query_one(
                "SELECT EXISTS (SELECT 1 FROM pod_tombstone WHERE name = $1)
                     OR EXISTS (SELECT 1 FROM placement WHERE pod = $1)",
                &[&name],
            )?
            .get(0))
        })
        .await
    }

    /// [`release`] of a pod's objects, a failure logged (the write's
    /// outcome stands; the sweep removes what is left).
    async fn release(&self, pod: &PodName, token: Option<i64>, names: Vec<String>) {
        let Some(objects) = &self.objects else {
            return;
        };
        if names.is_empty() {
            return;
        }
        let done = release(
            self.clusters().clone(),
            objects.clone(),
            pod.as_str().to_owned(),
            token,
            names,
        )
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, pod = %pod, "could not remove unused objects");
        }
    }

    /// Removes the objects under `pods/` that no row names and that are
    /// older than `older_than` (never a fresh one: another server may be
    /// about to commit it); returns how many. Run in the background every
    /// hour with an hour.
    pub async fn sweep_objects(&self, older_than: Duration) -> Result<usize, StoreError> {
        match &self.objects {
            Some(objects) => sweep(self.clusters().clone(), objects.clone(), older_than).await,
            None => Ok(0),
        }
    }
}

#[async_trait::async_trait]
impl Backend for PgStore {
    fn changes(&self) -> Option<tokio::sync::broadcast::Receiver<Arc<crate::Committed>>> {
        Some(self.changes.subscribe())
    }

    async fn create_pod(&self, name: &PodName) -> Result<PodInfo, StoreError> {
        let created = now_ms();
        let data_key = Key32::random();
        let wrapped = wrap(self.master(), name.as_str(), &data_key);
        let root_body = seal(&body_key(&data_key), &body_aad(name.as_str(), "/"), b"");
        let pod = name.as_str().to_owned();
        // READ COMMITTED: the name's row is inserted first (its primary
        // key refuses a name taken, whatever server took it), then the
        // tombstones are read: an erasure removes the old row and writes
        // the tombstone in one transaction, so once the insert went
        // through, any tombstone of the name is visible. SERIALIZABLE here
        // made 16 servers' worth of creations at once conflict on the
        // table's predicate locks until they ran out of tries.
        let at = self.place_new(&pod).await?;
        let created_here = txn_on(
            self.clusters().pool(at).clone(),
            postgres::IsolationLevel::ReadCommitted,
            move |tx| {
            let insert = tx.execute(
                "INSERT INTO pod (name, created, next_version) VALUES ($1, $2, 2)",
                &[&pod, &created],
            );
            match insert {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::PodExists(pod.clone())),
                other => other?,
            };
            if tx
                .query_opt("SELECT 1 FROM pod_tombstone WHERE name = $1", &[&pod])?
                .is_some()
            {
                return Err(StoreError::PodExists(pod.clone()));
            }
            tx.execute(
                "INSERT INTO pod_key (pod, wrapped) VALUES ($1, $2)",
                &[&pod, &wrapped],
            )?;
            tx.execute(
                "INSERT INTO resource (pod, path, parent, content_type, version, modified, size, body)
                 VALUES ($1, '/', NULL, 'text/turtle', 1, $2, 0, $3)",
                &[&pod, &created, &root_body],
            )?;
            Ok(())
        },
        )
        .await;
        if let Err(e) = created_here {
            self.unplace(name.as_str()).await;
            return Err(e);
        }
        Ok(PodInfo {
            name: name.clone(),
            created_ms: created,
        })
    }

    async fn list_pods(&self) -> Result<Vec<PodInfo>, StoreError> {
        // Every cluster's; a pod in the middle of a move is on two.
        let mut rows = BTreeMap::new();
        for pool in self.clusters().pools() {
            let found: Vec<(String, i64)> = run_on(pool.clone(), |c| {
                Ok(c.query("SELECT name, created FROM pod", &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            })
            .await?;
            rows.extend(found);
        }
        rows.into_iter()
            .map(|(name, created_ms)| {
                Ok(PodInfo {
                    name: PodName::parse(&name)?,
                    created_ms,
                })
            })
            .collect()
    }

    async fn pod(&self, name: &PodName) -> Result<Option<PodInfo>, StoreError> {
        let pod = name.as_str().to_owned();
        let created: Option<i64> = self
            .run_pod(name, move |c| {
                Ok(
                    c.query_opt("SELECT created FROM pod WHERE name = $1", &[&pod])?
                        .map(|r| r.get(0)),
                )
            })
            .await?;
        Ok(created.map(|created_ms| PodInfo {
            name: name.clone(),
            created_ms,
        }))
    }

    async fn meta(&self, pod: &PodName, path: &ResourcePath) -> Result<Option<Meta>, StoreError> {
        let path = path.clone();
        self.read_pod(pod, move |c, pod, _| {
            let row = c
                .query_opt(
                    "SELECT r.content_type, r.version, r.modified, r.size, r.path IS NOT NULL
                     FROM pod p LEFT JOIN resource r ON r.pod = p.name AND r.path = $2
                     WHERE p.name = $1",
                    &[&pod, &path.as_str()],
                )?
                .ok_or_else(|| StoreError::NoSuchPod(pod.to_owned()))?;
            Ok(row.get::<_, bool>(4).then(|| meta_of(path.clone(), &row)))
        })
        .await
    }

    async fn get(
        &self,
        pod: &PodName,
        path: &ResourcePath,
    ) -> Result<Option<(Meta, Bytes)>, StoreError> {
        let path = path.clone();
        let found = self
            .read_pod(pod, move |c, pod, key| {
                let row = c
                    .query_opt(
                        "SELECT r.content_type, r.version, r.modified, r.size, r.body, r.blob
                         FROM pod p LEFT JOIN resource r ON r.pod = p.name AND r.path = $2
                         WHERE p.name = $1",
                        &[&pod, &path.as_str()],
                    )?
                    .ok_or_else(|| StoreError::NoSuchPod(pod.to_owned()))?;
                let Some(sealed) = row.get::<_, Option<&[u8]>>(4) else {
                    return Ok(None);
                };
                let at = match row.get::<_, Option<String>>(5) {
                    Some(name) => BodyAt::Blob(name),
                    None => BodyAt::Inline(
                        open(key, &body_aad(pod, path.as_str()), sealed)
                            .ok_or_else(|| damaged(pod, "a resource"))?,
                    ),
                };
                Ok(Some((meta_of(path.clone(), &row), at)))
            })
            .await?;
        let Some((meta, at)) = found else {
            return Ok(None);
        };
        let body = match at {
            BodyAt::Inline(body) => body,
            BodyAt::Blob(name) => {
                let objects = self
                    .objects
                    .as_ref()
                    .ok_or_else(|| no_object_store(pod.as_str()))?;
                let sealed = objects.get(pod.as_str(), &name).await?;
                let keys = self.pod_keys(pod).await?;
                tokio::task::spawn_blocking(move || keys.blobs.open_blob(&name, &sealed))
                    .await
                    .map_err(|e| StoreError::Io(e.to_string()))??
            }
        };
        Ok(Some((meta, Bytes::from(body))))
    }

    async fn members(
        &self,
        pod: &PodName,
        container: &ResourcePath,
    ) -> Result<Vec<Meta>, StoreError> {
        let container = container.as_str().to_owned();
        self.read_pod(pod, move |c, pod, _| {
            let rows = c.query(
                "SELECT r.content_type, r.version, r.modified, r.size, r.path
                 FROM pod p LEFT JOIN resource r ON r.pod = p.name AND r.parent = $2
                 WHERE p.name = $1 ORDER BY r.path",
                &[&pod, &container],
            )?;
            if rows.is_empty() {
                return Err(StoreError::NoSuchPod(pod.to_owned()));
            }
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let Some(path) = row.get::<_, Option<&str>>(4) else {
                    continue;
                };
                let path = ResourcePath::parse(path)?;
                if path.auxiliary_kind().is_none() {
                    out.push(meta_of(path, &row));
                }
            }
            Ok(out)
        })
        .await
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn listen(&self, pods: &[PodName]) -> Result<(), StoreError> {
        self.mark_listened(pods).await
    }

    async fn acl_epoch(&self, pod: &PodName) -> Result<Option<u64>, StoreError> {
        let name = pod.as_str().to_owned();
        let epoch: Option<i64> = self
            .run_pod(pod, move |c| {
                Ok(
                    c.query_opt("SELECT acl_epoch FROM pod WHERE name = $1", &[&name])?
                        .map(|r| r.get(0)),
                )
            })
            .await?;
        match epoch {
            Some(e) => Ok(Some(e as u64)),
            None => Err(StoreError::NoSuchPod(pod.to_string())),
        }
    }

    async fn write(&self, pod: &PodName, write: Write) -> Result<WriteOutcome, StoreError> {
        let keys = self.pod_keys(pod).await?;
        let acls = i64::from(write.may_change_acls());
        // Large bodies go to the object store first, each pinned for this
        // write until it commits or is refused.
        let mut at = self.clusters().of(pod.as_str()).await?;
        let mut uploads = Uploads {
            store: self,
            pod,
            keys: &keys,
            pool: self.clusters().pool(at).clone(),
            token: rand::random(),
            pinned: Vec::new(),
        };
        let prepared = uploads.prepare(write).await;
        let (token, pinned) = (uploads.token, uploads.pinned);
        let job = match prepared {
            Ok(job) => job,
            Err(e) => {
                self.release(pod, Some(token), pinned).await;
                return Err(e);
            }
        };
        let has_pins = !pinned.is_empty();
        // Shared by the attempts (its patches' closures are not `Sync`).
        let job = Arc::new(Mutex::new(job));
        let uploaded = Arc::new(Mutex::new(Vec::new()));
        let runtime = tokio::runtime::Handle::current();
        let listened = self.changes.receiver_count() > 0;
        let origin = Arc::new(self.server_id.clone());
        let default_quota = self.default_quota();
        // READ COMMITTED under the pod row's lock, taken first: every write
        // of a pod takes it, so a pod's writes take turns (as on the embedded
        // engine's one writer) whatever server they come from, and each
        // statement after the lock reads what the previous holder committed.
        // SERIALIZABLE would refuse every writer that waited for the lock
        // (its snapshot predates the holder's commit) and make it start
        // again: 40 writers at once on one pod ran out of tries.
        let mut tried_again = false;
        let done = loop {
            let (name, keys, job, origin) =
                (pod.clone(), keys.clone(), job.clone(), origin.clone());
            let (objects, runtime, uploaded_in_txn) =
                (self.objects.clone(), runtime.clone(), uploaded.clone());
            let pool = self.clusters().pool(at).clone();
            let done = txn_on(pool, postgres::IsolationLevel::ReadCommitted, move |tx| {
                let row = tx
                    .query_opt(
                        "SELECT next_version, used, quota, moving, listened_until FROM pod WHERE name = $1 FOR UPDATE",
                        &[&name.as_str()],
                    )?
                    .ok_or_else(|| StoreError::NoSuchPod(name.to_string()))?;
                if row.get::<_, bool>(3) {
                    return Ok(None);
                }
                let mut next_version = row.get::<_, i64>(0) as u64;
                let used = row.get::<_, i64>(1).max(0) as u64;
                let quota = row
                    .get::<_, Option<i64>>(2)
                    .map_or(default_quota, |q| q.max(0) as u64);
                let now = now_ms();
                // Another server listens to the pod: its changes go to the feed.
                let fed = row.get::<_, i64>(4) > now;
                let mut rows = PgRows {
                    tx,
                    pod: name.as_str(),
                    keys: &keys,
                    objects: objects.as_ref(),
                    runtime: &runtime,
                    freed: Vec::new(),
                    uploaded: &uploaded_in_txn,
                };
                let mut ctx = Ctx {
                    rows: &mut rows,
                    next_version: &mut next_version,
                    now,
                    grown: 0,
                    changes: (listened || fed).then(Vec::new),
                };
                let outcome = ctx.apply(&job.lock())?;
                let (grown, changes) = (ctx.grown, ctx.changes.take());
                let freed = std::mem::take(&mut rows.freed);
                let after = (used as i64).saturating_add(grown).max(0) as u64;
                if grown > 0 && after > quota {
                    // Only growth is refused: deletes and shrinking writes pass.
                    return Err(StoreError::QuotaExceeded {
                        pod: name.to_string(),
                        used,
                        quota,
                    });
                }
                tx.execute(
                    "UPDATE pod SET next_version = $2, used = $3, acl_epoch = acl_epoch + $4 WHERE name = $1",
                    &[&name.as_str(), &(next_version as i64), &(after as i64), &acls],
                )?;
                if let Some(made) = changes.as_deref().filter(|c| fed && !c.is_empty()) {
                    tx.execute(
                        "INSERT INTO change_feed (pod, at, origin, changes) VALUES ($1, $2, $3, $4)",
                        &[&name.as_str(), &now, &origin.as_str(), &super::feed::encode(made)],
                    )?;
                }
                if has_pins {
                    // Named by its rows from now on.
                    tx.execute(
                        "DELETE FROM blob_pin WHERE pod = $1 AND token = $2",
                        &[&name.as_str(), &token],
                    )?;
                }
                let committed = changes
                    .filter(|c| !c.is_empty())
                    .map(|changes| crate::Committed {
                        pod: name.clone(),
                        at_ms: now,
                        changes,
                    });
                Ok(Some((outcome, committed, freed)))
            })
            .await;
            match done {
                // The pod is being moved, or was moved since this server
                // read where it is: written where it is now, once (a write
                // with objects pinned on the old cluster is refused).
                Ok(None) => {
                    self.clusters().forget(pod.as_str());
                    match self.clusters().of(pod.as_str()).await {
                        Ok(now) if now != at && !has_pins && !tried_again => {
                            (at, tried_again) = (now, true);
                        }
                        _ => break Err(being_moved(pod.as_str())),
                    }
                }
                Ok(Some(done)) => break Ok(done),
                Err(e) => break Err(e),
            }
        };
        let (outcome, committed, freed) = match done {
            Ok(done) => done,
            Err(e) => {
                // A refused or failed write leaves no object behind.
                let mut written = pinned;
                written.extend(uploaded.lock().drain(..));
                self.release(pod, Some(token), written).await;
                return Err(e);
            }
        };
        // After the commit: the objects that lost their last reference.
        self.release(pod, None, freed).await;
        if let Some(committed) = committed {
            // Only fails when nobody listens any more.
            let _ = self.changes.send(Arc::new(committed));
        }
        Ok(outcome)
    }

    async fn delete_pod(&self, name: &PodName) -> Result<PodErasure, StoreError> {
        // 1. The data key, durably (committed on the primary and its
        // synchronous standby): from here on no copy of the pod's rows, in a
        // dump, a backup or a replica, can be read.
        // On the main database, its owner and its placement go and its
        // name is remembered (in the same transaction when the pod is there).
        fn forget_pod(
            tx: &mut postgres::Transaction<'_>,
            pod: &str,
            erased: i64,
        ) -> Result<(), StoreError> {
            tx.execute("DELETE FROM pod_owner WHERE pod = $1", &[&pod])?;
            tx.execute("DELETE FROM placement WHERE pod = $1", &[&pod])?;
            tx.execute(
                "INSERT INTO pod_tombstone (name, erased) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                &[&pod, &erased],
            )?;
            Ok(())
        }
        let pod = name.as_str().to_owned();
        let key_destroyed_ms = now_ms();
        let at = self.clusters().of(name.as_str()).await?;
        let pool = self.clusters().pool(at).clone();
        let key_destroyed = txn_on(
            pool.clone(),
            postgres::IsolationLevel::Serializable,
            move |tx| {
                let moving: bool = tx
                    .query_opt("SELECT moving FROM pod WHERE name = $1", &[&pod])?
                    .ok_or_else(|| StoreError::NoSuchPod(pod.clone()))?
                    .get(0);
                if moving {
                    return Err(being_moved(&pod));
                }
                let keys = tx.execute("DELETE FROM pod_key WHERE pod = $1", &[&pod])?;
                tx.execute("DELETE FROM pod WHERE name = $1", &[&pod])?;
                if at == 0 {
                    forget_pod(tx, &pod, key_destroyed_ms)?;
                }
                Ok(keys > 0)
            },
        )
        .await;
        // An erasure stopped after its key went (a server killed, the
        // database away) is finished by erasing again: its name is
        // remembered or still placed, and what is left of it goes.
        let (key_destroyed, halfway) = match key_destroyed {
            Ok(destroyed) => (destroyed, false),
            Err(StoreError::NoSuchPod(_)) if self.left_halfway(name).await? => (false, true),
            Err(e) => return Err(e),
        };
        if at != 0 || halfway {
            let pod = name.as_str().to_owned();
            self.txn(move |tx| forget_pod(tx, &pod, key_destroyed_ms))
                .await?;
        }
        self.clusters().forget(name.as_str());
        self.pod_keys.lock().remove(name.as_str());
        // 2. Its rows, unreadable already.
        let pod = name.as_str().to_owned();
        let (files_removed, bytes_removed) = txn_on(pool, postgres::IsolationLevel::Serializable, move |tx| {
                let row = tx.query_one(
                    "WITH gone AS (DELETE FROM resource WHERE pod = $1
                       RETURNING CASE WHEN blob IS NULL THEN octet_length(body) ELSE size END AS n)
                     SELECT count(*), COALESCE(sum(n), 0)::BIGINT FROM gone",
                    &[&pod],
                )?;
                tx.execute("DELETE FROM blob_pin WHERE pod = $1", &[&pod])?;
                let index = tx.query_one(
                    "WITH gone AS (DELETE FROM derived WHERE pod = $1 RETURNING octet_length(value) AS n)
                     SELECT count(*), COALESCE(sum(n), 0)::BIGINT FROM gone",
                    &[&pod],
                )?;
                Ok((
                    (row.get::<_, i64>(0) + index.get::<_, i64>(0)) as u64,
                    (row.get::<_, i64>(1) + index.get::<_, i64>(1)) as u64,
                ))
            })
            .await?;
        // 3. Its objects, unreadable already too.
        if let Some(objects) = &self.objects {
            let removed = async {
                for listed in objects.list(&format!("pods/{}", name.as_str())).await? {
                    objects.delete(&listed.key).await?;
                }
                Ok::<_, StoreError>(())
            }
            .await;
            if let Err(e) = removed {
                // Unreadable without the key; the sweep removes them later.
                tracing::warn!(error = %e, pod = %name, "could not remove the pod's objects");
            }
        }
        Ok(PodErasure {
            pod: name.clone(),
            key_destroyed_ms,
            key_destroyed,
            files_removed,
            bytes_removed,
        })
    }

    async fn erased_pods(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.run(|c| {
            Ok(
                c.query("SELECT name, erased FROM pod_tombstone ORDER BY name", &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect(),
            )
        })
        .await
    }

    async fn remember_erased(&self, names: &[(String, i64)]) -> Result<(), StoreError> {
        let names = names.to_vec();
        self.txn(move |tx| {
            for (name, erased) in &names {
                tx.execute(
                    "INSERT INTO pod_tombstone (name, erased) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[name, erased],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn usage(&self, pod: &PodName) -> Result<PodUsage, StoreError> {
        let name = pod.as_str().to_owned();
        let default_quota = self.default_quota();
        let row: Option<(i64, Option<i64>)> = self
            .run_pod(pod, move |c| {
                Ok(
                    c.query_opt("SELECT used, quota FROM pod WHERE name = $1", &[&name])?
                        .map(|r| (r.get(0), r.get(1))),
                )
            })
            .await?;
        let (used, own) = row.ok_or_else(|| StoreError::NoSuchPod(pod.to_string()))?;
        Ok(PodUsage {
            used: used.max(0) as u64,
            quota: own.map_or(default_quota, |q| q.max(0) as u64),
            own_quota: own.is_some(),
        })
    }

    async fn set_quota(&self, pod: &PodName, bytes: Option<u64>) -> Result<(), StoreError> {
        let name = pod.as_str().to_owned();
        let quota = bytes.map(|b| b.min(i64::MAX as u64) as i64);
        self.txn_pod(pod, postgres::IsolationLevel::Serializable, move |tx| {
            let moving: bool = tx
                .query_opt(
                    "SELECT moving FROM pod WHERE name = $1 FOR UPDATE",
                    &[&name],
                )?
                .ok_or_else(|| StoreError::NoSuchPod(name.clone()))?
                .get(0);
            if moving {
                return Err(being_moved(&name));
            }
            tx.execute(
                "UPDATE pod SET quota = $2 WHERE name = $1",
                &[&name, &quota],
            )?;
            Ok(())
        })
        .await
    }

    async fn index_get(&self, pod: &PodName, key: &str) -> Result<Option<Bytes>, StoreError> {
        let key_name = key.to_owned();
        self.read_pod(pod, move |c, pod, key| {
            // Joined with the pod's row: an erased pod (whose key another
            // server may still hold) reads as gone at once, not its leftovers.
            let row = c
                .query_opt(
                    "SELECT d.value FROM pod p LEFT JOIN derived d ON d.pod = p.name AND d.key = $2
                     WHERE p.name = $1",
                    &[&pod, &key_name],
                )?
                .ok_or_else(|| StoreError::NoSuchPod(pod.to_owned()))?;
            let Some(sealed) = row.get::<_, Option<&[u8]>>(0) else {
                return Ok(None);
            };
            let value = open(key, &index_aad(pod, &key_name), sealed)
                .ok_or_else(|| damaged(pod, "an index entry"))?;
            Ok(Some(Bytes::from(value)))
        })
        .await
    }

    async fn index_scan(
        &self,
        pod: &PodName,
        prefix: &str,
    ) -> Result<Vec<(String, Bytes)>, StoreError> {
        let prefix = prefix.to_owned();
        self.read_pod(pod, move |c, pod, key| {
            // Keys from `prefix` (inclusive) up to `prefix` followed by the
            // highest character: a range the primary key answers (byte order).
            if c
                .query_opt("SELECT 1 FROM pod WHERE name = $1", &[&pod])?
                .is_none()
            {
                return Err(StoreError::NoSuchPod(pod.to_owned()));
            }
            let rows = c.query(
                "SELECT key, value FROM derived WHERE pod = $1 AND key >= $2 AND key < $2 || chr(1114111) ORDER BY key",
                &[&pod, &prefix],
            )?;
            rows.iter()
                .map(|row| {
                    let k: String = row.get(0);
                    let value = open(key, &index_aad(pod, &k), row.get::<_, &[u8]>(1))
                        .ok_or_else(|| damaged(pod, "an index entry"))?;
                    Ok((k, Bytes::from(value)))
                })
                .collect()
        })
        .await
    }
}

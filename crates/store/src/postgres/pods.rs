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
    -- Sealed with the pod's body key, the path bound.
    body BYTEA NOT NULL,
    PRIMARY KEY (pod, path)
);
CREATE INDEX IF NOT EXISTS resource_parent ON resource (pod, parent, path);
CREATE TABLE IF NOT EXISTS derived (
    pod TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    -- Sealed with the pod's body key, the key bound.
    value BYTEA NOT NULL,
    PRIMARY KEY (pod, key)
);
"#;

use bytes::Bytes;

use crate::crypto::{open, seal, wrap};
use crate::sqlite::now_ms;
use crate::tree::{Ctx, Job, Rows};
use crate::{
    Backend, Meta, PodErasure, PodInfo, PodName, PodUsage, ResourcePath, Write, WriteOutcome,
};

/// Unwrapped body keys kept at most; beyond it the cache starts again.
const MAX_CACHED_KEYS: usize = 100_000;

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
    key: &'a Key32,
}

impl Rows for PgRows<'_, '_> {
    type Body = Bytes;

    fn len(body: &Bytes) -> u64 {
        body.len() as u64
    }

    fn inline(body: Bytes) -> Bytes {
        body
    }

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
            "SELECT content_type, version, modified, size, body FROM resource WHERE pod = $1 AND path = $2",
            &[&self.pod, &path.as_str()],
        )?
        else {
            return Ok(None);
        };
        let sealed: &[u8] = row.get(4);
        let body = open(self.key, &body_aad(self.pod, path.as_str()), sealed)
            .ok_or_else(|| damaged(self.pod, "a resource"))?;
        Ok(Some((meta_of(path.clone(), &row), body)))
    }

    fn put(
        &mut self,
        path: &ResourcePath,
        content_type: &str,
        version: u64,
        now: i64,
        body: &Bytes,
    ) -> Result<(), StoreError> {
        let sealed = seal(self.key, &body_aad(self.pod, path.as_str()), body);
        let parent = path.parent().map(|p| p.as_str().to_owned());
        self.tx.execute(
            "INSERT INTO resource (pod, path, parent, content_type, version, modified, size, body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (pod, path) DO UPDATE SET content_type = excluded.content_type,
               version = excluded.version, modified = excluded.modified,
               size = excluded.size, body = excluded.body",
            &[
                &self.pod,
                &path.as_str(),
                &parent,
                &content_type,
                &(version as i64),
                &now,
                &(body.len() as i64),
                &sealed,
            ],
        )?;
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
        let size: Option<i64> = self
            .tx
            .query_opt(
                "DELETE FROM resource WHERE pod = $1 AND path = $2 RETURNING size",
                &[&self.pod, &path.as_str()],
            )?
            .map(|r| r.get(0));
        Ok(size.unwrap_or(0).max(0) as u64)
    }

    fn index(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let Some(row) = self.tx.query_opt(
            "SELECT value FROM derived WHERE pod = $1 AND key = $2",
            &[&self.pod, &key],
        )?
        else {
            return Ok(None);
        };
        open(self.key, &index_aad(self.pod, key), row.get::<_, &[u8]>(0))
            .map(Some)
            .ok_or_else(|| damaged(self.pod, "an index entry"))
    }

    fn set_index(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), StoreError> {
        match value {
            Some(v) => {
                let sealed = seal(self.key, &index_aad(self.pod, key), v);
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

/// Turns a write into a job; a large body is read from its source here,
/// off the async threads.
fn prepare(
    write: Write,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Job<Bytes>, StoreError>> + Send>> {
    Box::pin(async move {
        Ok(match write {
            Write::Put {
                path,
                content_type,
                body,
                precondition,
            } => Job::Put {
                path,
                content_type,
                body,
                precondition,
            },
            Write::PutLarge {
                path,
                content_type,
                body,
                precondition,
            } => {
                let body = tokio::task::spawn_blocking(move || {
                    let mut out = Vec::with_capacity(body.len().min(64 << 20) as usize);
                    std::io::Read::read_to_end(&mut body.open()?, &mut out)?;
                    Ok::<_, std::io::Error>(Bytes::from(out))
                })
                .await
                .map_err(|e| StoreError::Io(e.to_string()))??;
                Job::Put {
                    path,
                    content_type,
                    body,
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
            Write::IndexIf {
                key,
                expected,
                value,
            } => Job::IndexIf {
                key,
                expected,
                value,
            },
            Write::Batch(writes) => {
                let mut jobs = Vec::with_capacity(writes.len());
                for w in writes {
                    jobs.push(prepare(w).await?);
                }
                Job::Batch(jobs)
            }
        })
    })
}

impl PgStore {
    /// A pod's body key, unwrapped from its data key once.
    async fn body_key(&self, pod: &PodName) -> Result<Key32, StoreError> {
        if let Some(key) = self.body_keys.lock().get(pod.as_str()) {
            return Ok(key.clone());
        }
        let name = pod.as_str().to_owned();
        let wrapped: Option<Vec<u8>> = self
            .run(move |c| {
                Ok(c.query_opt(
                    "SELECT k.wrapped FROM pod p JOIN pod_key k ON k.pod = p.name WHERE p.name = $1",
                    &[&name],
                )?
                .map(|r| r.get(0)))
            })
            .await?;
        let wrapped = wrapped.ok_or_else(|| StoreError::NoSuchPod(pod.to_string()))?;
        let data_key = crate::crypto::unwrap(self.master(), pod.as_str(), &wrapped)?;
        let key = body_key(&data_key);
        let mut keys = self.body_keys.lock();
        if keys.len() >= MAX_CACHED_KEYS {
            keys.clear();
        }
        keys.insert(pod.as_str().to_owned(), key.clone());
        Ok(key)
    }

    /// Reads in one statement of a pod that must exist.
    async fn read_pod<T: Send + 'static>(
        &self,
        pod: &PodName,
        f: impl FnOnce(&mut Conn, &str, &Key32) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let key = self.body_key(pod).await?;
        let name = pod.as_str().to_owned();
        self.run(move |c| f(c, &name, &key)).await
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
        self.txn(move |tx| {
            let taken = tx
                .query_opt(
                    "SELECT 1 FROM pod WHERE name = $1 UNION ALL SELECT 1 FROM pod_tombstone WHERE name = $1",
                    &[&pod],
                )?
                .is_some();
            if taken {
                return Err(StoreError::PodExists(pod.clone()));
            }
            let insert = tx.execute(
                "INSERT INTO pod (name, created, next_version) VALUES ($1, $2, 2)",
                &[&pod, &created],
            );
            match insert {
                Err(e) if is_unique_violation(&e) => return Err(StoreError::PodExists(pod.clone())),
                other => other?,
            };
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
        })
        .await?;
        Ok(PodInfo {
            name: name.clone(),
            created_ms: created,
        })
    }

    async fn list_pods(&self) -> Result<Vec<PodInfo>, StoreError> {
        let rows: Vec<(String, i64)> = self
            .run(|c| {
                Ok(c.query("SELECT name, created FROM pod ORDER BY name", &[])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            })
            .await?;
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
            .run(move |c| {
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
        self.read_pod(pod, move |c, pod, key| {
            let row = c
                .query_opt(
                    "SELECT r.content_type, r.version, r.modified, r.size, r.body
                     FROM pod p LEFT JOIN resource r ON r.pod = p.name AND r.path = $2
                     WHERE p.name = $1",
                    &[&pod, &path.as_str()],
                )?
                .ok_or_else(|| StoreError::NoSuchPod(pod.to_owned()))?;
            let Some(sealed) = row.get::<_, Option<&[u8]>>(4) else {
                return Ok(None);
            };
            let body = open(key, &body_aad(pod, path.as_str()), sealed)
                .ok_or_else(|| damaged(pod, "a resource"))?;
            Ok(Some((meta_of(path.clone(), &row), Bytes::from(body))))
        })
        .await
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

    async fn acl_epoch(&self, pod: &PodName) -> Result<Option<u64>, StoreError> {
        let name = pod.as_str().to_owned();
        let epoch: Option<i64> = self
            .run(move |c| {
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
        let key = self.body_key(pod).await?;
        let acls = i64::from(write.may_change_acls());
        let job = prepare(write).await?;
        let name = pod.clone();
        let listened = self.changes.receiver_count() > 0;
        let default_quota = self.default_quota();
        // READ COMMITTED under the pod row's lock, taken first: every write
        // of a pod takes it, so a pod's writes take turns (as on the embedded
        // engine's one writer) whatever server they come from, and each
        // statement after the lock reads what the previous holder committed.
        // SERIALIZABLE would refuse every writer that waited for the lock
        // (its snapshot predates the holder's commit) and make it start
        // again: 40 writers at once on one pod ran out of tries.
        let (outcome, committed) = self
            .txn_at(postgres::IsolationLevel::ReadCommitted, move |tx| {
                let row = tx
                    .query_opt(
                        "SELECT next_version, used, quota FROM pod WHERE name = $1 FOR UPDATE",
                        &[&name.as_str()],
                    )?
                    .ok_or_else(|| StoreError::NoSuchPod(name.to_string()))?;
                let mut next_version = row.get::<_, i64>(0) as u64;
                let used = row.get::<_, i64>(1).max(0) as u64;
                let quota = row
                    .get::<_, Option<i64>>(2)
                    .map_or(default_quota, |q| q.max(0) as u64);
                let now = now_ms();
                let mut rows = PgRows {
                    tx,
                    pod: name.as_str(),
                    key: &key,
                };
                let mut ctx = Ctx {
                    rows: &mut rows,
                    next_version: &mut next_version,
                    now,
                    grown: 0,
                    changes: listened.then(Vec::new),
                };
                let outcome = ctx.apply(&job)?;
                let (grown, changes) = (ctx.grown, ctx.changes.take());
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
                let committed = changes
                    .filter(|c| !c.is_empty())
                    .map(|changes| crate::Committed {
                        pod: name.clone(),
                        at_ms: now,
                        changes,
                    });
                Ok((outcome, committed))
            })
            .await?;
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
        let pod = name.as_str().to_owned();
        let key_destroyed_ms = now_ms();
        let key_destroyed = self
            .txn(move |tx| {
                if tx
                    .query_opt("SELECT 1 FROM pod WHERE name = $1", &[&pod])?
                    .is_none()
                {
                    return Err(StoreError::NoSuchPod(pod.clone()));
                }
                let keys = tx.execute("DELETE FROM pod_key WHERE pod = $1", &[&pod])?;
                tx.execute("DELETE FROM pod WHERE name = $1", &[&pod])?;
                tx.execute("DELETE FROM pod_owner WHERE pod = $1", &[&pod])?;
                tx.execute(
                    "INSERT INTO pod_tombstone (name, erased) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[&pod, &key_destroyed_ms],
                )?;
                Ok(keys > 0)
            })
            .await?;
        self.body_keys.lock().remove(name.as_str());
        // 2. Its rows, unreadable already.
        let pod = name.as_str().to_owned();
        let (files_removed, bytes_removed) = self
            .txn(move |tx| {
                let row = tx.query_one(
                    "WITH gone AS (DELETE FROM resource WHERE pod = $1 RETURNING octet_length(body) AS n)
                     SELECT count(*), COALESCE(sum(n), 0)::BIGINT FROM gone",
                    &[&pod],
                )?;
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
        Ok(PodErasure {
            pod: name.clone(),
            key_destroyed_ms,
            key_destroyed,
            files_removed,
            bytes_removed,
        })
    }

    async fn usage(&self, pod: &PodName) -> Result<PodUsage, StoreError> {
        let name = pod.as_str().to_owned();
        let default_quota = self.default_quota();
        let row: Option<(i64, Option<i64>)> = self
            .run(move |c| {
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
        let changed = self
            .txn(move |tx| {
                Ok(tx.execute(
                    "UPDATE pod SET quota = $2 WHERE name = $1",
                    &[&name, &quota],
                )?)
            })
            .await?;
        if changed == 0 {
            return Err(StoreError::NoSuchPod(pod.to_string()));
        }
        Ok(())
    }

    async fn index_get(&self, pod: &PodName, key: &str) -> Result<Option<Bytes>, StoreError> {
        let key_name = key.to_owned();
        self.read_pod(pod, move |c, pod, key| {
            let Some(row) = c.query_opt(
                "SELECT value FROM derived WHERE pod = $1 AND key = $2",
                &[&pod, &key_name],
            )?
            else {
                return Ok(None);
            };
            let value = open(key, &index_aad(pod, &key_name), row.get::<_, &[u8]>(0))
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

//! Where each pod lives when the city runs more than one database cluster,
//! and moving a pod from one to another while the servers run.
//!
//! The *main* database (`--database-url`) keeps the directory, the
//! registries, the erased pods' names and the `placement` table: a pod's
//! name and the cluster its rows are on. A pod without a placement row is
//! on the main database (every pod of an installation that had one
//! cluster), so adding a cluster needs no migration. The operator names
//! the clusters (`--pod-database NAME=URL`), says where new pods go
//! (`--new-pods-on NAME`) and moves a pod (`selfdata pod move`).
//!
//! Each server reads a pod's placement from the main database and keeps it
//! for [`PLACEMENT_TTL`]. A move therefore works in five steps, each safe
//! against a server whose placement is stale:
//!
//! 1. the pod row on the source is marked `moving` (under its lock: the
//!    writes in flight finish first); from then on every write of the pod
//!    on the source is refused with [`StoreError::Unavailable`] (a 503 with
//!    `Retry-After`), and reads go on;
//! 2. its rows are copied byte for byte to the target (the same wrapped
//!    data key, the same sealed bodies: nothing is decrypted) in one
//!    transaction, the pod row there still `moving`, and compared with the
//!    source's;
//! 3. the target's row is released, then the placement switched: new
//!    requests go to the target;
//! 4. the source's rows stay for a grace period longer than
//!    [`PLACEMENT_TTL`] plus a request (a server that read the old
//!    placement still reads the pod there, and its writes are refused);
//! 5. the source's rows are removed.
//!
//! A move stopped anywhere (the command killed, a cluster away) is taken up
//! again by running it again: before step 3 the copy starts over; after it
//! only the source's rows are left to remove. The objects of large bodies
//! are in the one object store every cluster shares, under the pod's name:
//! they are not copied, and an object is kept while any cluster's rows name
//! it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::*;
use crate::PodName;

/// The main database's table of where pods are.
pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS placement (
    pod TEXT COLLATE "C" PRIMARY KEY,
    cluster TEXT NOT NULL
);
"#;

/// How long a server trusts a pod's placement it has read.
pub const PLACEMENT_TTL: Duration = Duration::from_secs(2);
/// How long `selfdata pod move` keeps the source's rows after the switch:
/// far longer than [`PLACEMENT_TTL`] and a request.
pub const MOVE_GRACE: Duration = Duration::from_secs(30);
/// Placements a server keeps at most; beyond it the cache starts again.
const MAX_CACHED: usize = 200_000;
/// Rows read from the source at a time while copying a pod.
const COPY_BATCH: i32 = 256;
/// The main database's name among the clusters.
pub const MAIN: &str = "main";

/// The clusters a server knows: the main database first.
#[derive(Clone)]
pub(super) struct Clusters {
    list: Arc<Pools>,
    /// Pod → (cluster index, when read).
    cache: Arc<Mutex<HashMap<String, (usize, Instant)>>>,
}

impl Clusters {
    pub(super) fn new(list: Vec<(String, Pool)>) -> Self {
        Self {
            list: Arc::new(Pools(list)),
            cache: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub(super) fn main(&self) -> &Pool {
        &self.list[0].1
    }

    pub(super) fn pools(&self) -> impl Iterator<Item = &Pool> {
        self.list.iter().map(|(_, p)| p)
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.list.iter().map(|(n, _)| n.as_str())
    }

    pub(super) fn several(&self) -> bool {
        self.list.len() > 1
    }

    pub(super) fn pool(&self, index: usize) -> &Pool {
        &self.list[index].1
    }

    pub(super) fn name(&self, index: usize) -> &str {
        &self.list[index].0
    }

    pub(super) fn index_of(&self, name: &str) -> Result<usize, StoreError> {
        self.list
            .iter()
            .position(|(n, _)| n == name)
            .ok_or_else(|| {
                StoreError::Io(format!(
                    "no database cluster is named '{name}' on this server (it knows {})",
                    self.names().collect::<Vec<_>>().join(", ")
                ))
            })
    }

    /// The cluster a pod's rows are on (the main one when it has no
    /// placement), as read at most [`PLACEMENT_TTL`] ago.
    pub(super) async fn of(&self, pod: &str) -> Result<usize, StoreError> {
        if !self.several() {
            return Ok(0);
        }
        if let Some((index, read)) = self.cache.lock().get(pod)
            && read.elapsed() < PLACEMENT_TTL
        {
            return Ok(*index);
        }
        let name = pod.to_owned();
        let placed: Option<String> = run_on(self.main().clone(), move |c| {
            Ok(
                c.query_opt("SELECT cluster FROM placement WHERE pod = $1", &[&name])?
                    .map(|r| r.get(0)),
            )
        })
        .await?;
        let index = match placed {
            Some(cluster) => self.index_of(&cluster)?,
            None => 0,
        };
        let mut cache = self.cache.lock();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(pod.to_owned(), (index, Instant::now()));
        Ok(index)
    }

    /// The pool of the cluster a pod is on.
    pub(super) async fn pool_of(&self, pod: &str) -> Result<Pool, StoreError> {
        Ok(self.pool(self.of(pod).await?).clone())
    }

    pub(super) fn forget(&self, pod: &str) {
        self.cache.lock().remove(pod);
    }
}

/// The pools of the clusters, closed on a thread of their own when the
/// last holder lets go: the blocking client runs a small runtime of its
/// own to close a connection, which may not start on a thread driving async
/// tasks (where a store or one of its background tasks is usually dropped).
pub(super) struct Pools(Vec<(String, Pool)>);

impl std::ops::Deref for Pools {
    type Target = Vec<(String, Pool)>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for Pools {
    fn drop(&mut self) {
        let pools = std::mem::take(&mut self.0);
        if pools.is_empty() {
            return;
        }
        let _ = std::thread::Builder::new()
            .name("pg-pool-close".into())
            .spawn(move || drop(pools));
    }
}

/// What [`PgStore::move_pod`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub from: String,
    pub to: String,
    /// Resources copied (0 when the pod was there already).
    pub resources: u64,
    /// Derived index entries copied.
    pub index_entries: u64,
}

/// A fingerprint of a pod's rows on one cluster, to compare a copy with
/// its source: counts and a hash over every column, in key order.
fn fingerprint(
    c: &mut impl postgres::GenericClient,
    pod: &str,
) -> Result<(i64, i64, String), StoreError> {
    let row = c.query_one(
        "SELECT
           (SELECT count(*) FROM resource WHERE pod = $1),
           (SELECT count(*) FROM derived WHERE pod = $1),
           COALESCE((SELECT md5(string_agg(
               path || '|' || COALESCE(parent, '') || '|' || content_type || '|' || version || '|'
               || modified || '|' || size || '|' || md5(body) || '|' || COALESCE(blob, ''),
               '/' ORDER BY path)) FROM resource WHERE pod = $1), '')
           || ':' ||
           COALESCE((SELECT md5(string_agg(key || '|' || md5(value), '/' ORDER BY key))
               FROM derived WHERE pod = $1), '')
           || ':' ||
           COALESCE((SELECT created || '|' || COALESCE(quota, -1) || '|' || next_version || '|'
               || used || '|' || acl_epoch FROM pod WHERE name = $1), '')
           || ':' ||
           COALESCE((SELECT md5(wrapped) FROM pod_key WHERE pod = $1), '')",
        &[&pod],
    )?;
    Ok((row.get(0), row.get(1), row.get(2)))
}

/// Removes every row of a pod from one cluster (not its objects).
fn remove_rows(tx: &mut postgres::Transaction<'_>, pod: &str) -> Result<(), StoreError> {
    for table in ["resource", "derived", "blob_pin"] {
        tx.execute(&format!("DELETE FROM {table} WHERE pod = $1"), &[&pod])?;
    }
    tx.execute("DELETE FROM pod_key WHERE pod = $1", &[&pod])?;
    tx.execute("DELETE FROM pod WHERE name = $1", &[&pod])?;
    Ok(())
}

/// Copies a pod's rows from `from` to `to` in one transaction on `to`
/// (any rows of the pod there first removed), reading the source a batch
/// at a time; the target's pod row is left `moving`.
fn copy_rows(from: &mut Conn, to: &mut Conn, pod: &str) -> Result<(u64, u64), StoreError> {
    let mut source = from
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()?;
    let mut target = to.transaction()?;
    remove_rows(&mut target, pod)?;
    let row = source
        .query_opt(
            "SELECT created, quota, next_version, used, acl_epoch, moving, listened_until FROM pod WHERE name = $1",
            &[&pod],
        )?
        .ok_or_else(|| StoreError::NoSuchPod(pod.to_owned()))?;
    if !row.get::<_, bool>(5) {
        return Err(StoreError::Io(format!(
            "the pod '{pod}' is not marked as moving on its source: its writes are not paused"
        )));
    }
    target.execute(
        "INSERT INTO pod (name, created, quota, next_version, used, acl_epoch, moving, listened_until)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7)",
        &[
            &pod,
            &row.get::<_, i64>(0),
            &row.get::<_, Option<i64>>(1),
            &row.get::<_, i64>(2),
            &row.get::<_, i64>(3),
            &row.get::<_, i64>(4),
            &row.get::<_, i64>(6),
        ],
    )?;
    let wrapped: Vec<u8> = source
        .query_one("SELECT wrapped FROM pod_key WHERE pod = $1", &[&pod])?
        .get(0);
    target.execute(
        "INSERT INTO pod_key (pod, wrapped) VALUES ($1, $2)",
        &[&pod, &wrapped],
    )?;
    let resources = source.bind(
        "SELECT path, parent, content_type, version, modified, size, body, blob
         FROM resource WHERE pod = $1 ORDER BY path",
        &[&pod],
    )?;
    let insert_resource = target.prepare(
        "INSERT INTO resource (pod, path, parent, content_type, version, modified, size, body, blob)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )?;
    let mut copied = (0u64, 0u64);
    loop {
        let rows = source.query_portal(&resources, COPY_BATCH)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            target.execute(
                &insert_resource,
                &[
                    &pod,
                    &r.get::<_, &str>(0),
                    &r.get::<_, Option<&str>>(1),
                    &r.get::<_, &str>(2),
                    &r.get::<_, i64>(3),
                    &r.get::<_, i64>(4),
                    &r.get::<_, i64>(5),
                    &r.get::<_, &[u8]>(6),
                    &r.get::<_, Option<&str>>(7),
                ],
            )?;
            copied.0 += 1;
        }
    }
    let entries = source.bind(
        "SELECT key, value FROM derived WHERE pod = $1 ORDER BY key",
        &[&pod],
    )?;
    let insert_entry =
        target.prepare("INSERT INTO derived (pod, key, value) VALUES ($1, $2, $3)")?;
    loop {
        let rows = source.query_portal(&entries, COPY_BATCH)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            target.execute(
                &insert_entry,
                &[&pod, &r.get::<_, &str>(0), &r.get::<_, &[u8]>(1)],
            )?;
            copied.1 += 1;
        }
    }
    target.commit()?;
    source.commit()?;
    Ok(copied)
}

/// Marks a pod's row on a cluster as moving (true) or not; whether the
/// row is there.
fn set_moving(
    c: &mut impl postgres::GenericClient,
    pod: &str,
    moving: bool,
) -> Result<bool, StoreError> {
    Ok(c.execute(
        "UPDATE pod SET moving = $2 WHERE name = $1",
        &[&pod, &moving],
    )? > 0)
}

/// Whether a cluster holds rows of a pod.
fn holds(c: &mut impl postgres::GenericClient, pod: &str) -> Result<bool, StoreError> {
    Ok(c.query_opt("SELECT 1 FROM pod WHERE name = $1", &[&pod])?
        .is_some())
}

impl PgStore {
    /// The clusters this server knows, the main database first.
    pub fn cluster_names(&self) -> Vec<String> {
        self.clusters().names().map(str::to_owned).collect()
    }

    /// The cluster a pod's rows are on.
    pub async fn placement(&self, pod: &PodName) -> Result<String, StoreError> {
        let clusters = self.clusters();
        clusters.forget(pod.as_str());
        let index = clusters.of(pod.as_str()).await?;
        Ok(clusters.name(index).to_owned())
    }

    /// Moves a pod's rows to the cluster `to` with the servers running:
    /// its writes are refused (503) from the start of the copy until the
    /// placement is switched; its reads go on. The source's rows are
    /// removed `grace` after the switch (longer than [`PLACEMENT_TTL`] and
    /// a request). Running it again after an interruption finishes it.
    pub async fn move_pod(
        &self,
        pod: &PodName,
        to: &str,
        grace: Duration,
    ) -> Result<Moved, StoreError> {
        let clusters = self.clusters().clone();
        let target = clusters.index_of(to)?;
        let name = pod.as_str().to_owned();
        clusters.forget(&name);
        let source = clusters.of(&name).await?;
        let (from, to) = (
            clusters.name(source).to_owned(),
            clusters.name(target).to_owned(),
        );
        let mut moved = Moved {
            from: from.clone(),
            to: to.clone(),
            resources: 0,
            index_entries: 0,
        };
        if source != target {
            // 1. The source's writes paused.
            let n = name.clone();
            let there = run_on(clusters.pool(source).clone(), move |c| {
                set_moving(&mut **c, &n, true)
            })
            .await?;
            if !there {
                return Err(StoreError::NoSuchPod(name));
            }
            tracing::info!(pod = %name, from, to, "moving a pod: its writes are paused");
            // 2. Copied and compared.
            let (source_pool, target_pool) =
                (clusters.pool(source).clone(), clusters.pool(target).clone());
            let n = name.clone();
            let copied = tokio::task::spawn_blocking(move || {
                let mut from = source_pool
                    .get()
                    .map_err(|e| StoreError::Unavailable(format!("no database connection: {e}")))?;
                let mut to = target_pool
                    .get()
                    .map_err(|e| StoreError::Unavailable(format!("no database connection: {e}")))?;
                let copied = copy_rows(&mut from, &mut to, &n)?;
                let (a, b) = (fingerprint(&mut *from, &n)?, fingerprint(&mut *to, &n)?);
                if a != b {
                    return Err(StoreError::Io(format!(
                        "the copy of the pod '{n}' differs from its source ({} resources and {} index entries there, {} and {} in the copy); the move stops, the pod stays where it was",
                        a.0, a.1, b.0, b.1
                    )));
                }
                // 3. The copy's writes allowed, then the placement switched.
                set_moving(&mut *to, &n, false)?;
                Ok(copied)
            })
            .await
            .map_err(|e| StoreError::Io(e.to_string()))??;
            (moved.resources, moved.index_entries) = copied;
            let (n, t) = (name.clone(), to.clone());
            run_on(clusters.main().clone(), move |c| {
                c.execute(
                    "INSERT INTO placement (pod, cluster) VALUES ($1, $2)
                     ON CONFLICT (pod) DO UPDATE SET cluster = excluded.cluster",
                    &[&n, &t],
                )?;
                Ok(())
            })
            .await?;
            clusters.forget(&name);
            tracing::info!(pod = %name, from, to, "moved a pod: its writes go to its new cluster");
        }
        // 4. and 5. Every other cluster's rows of the pod (the source's, or
        // those a stopped move left) removed after the grace period.
        let mut leftovers = Vec::new();
        for index in (0..clusters.list.len()).filter(|&i| i != target) {
            let n = name.clone();
            if run_on(clusters.pool(index).clone(), move |c| holds(&mut **c, &n)).await? {
                leftovers.push(index);
            }
        }
        if !leftovers.is_empty() {
            tokio::time::sleep(grace).await;
        }
        for index in leftovers {
            let n = name.clone();
            txn_on(
                clusters.pool(index).clone(),
                postgres::IsolationLevel::ReadCommitted,
                move |tx| {
                    let moving: Option<bool> = tx
                        .query_opt("SELECT moving FROM pod WHERE name = $1 FOR UPDATE", &[&n])?
                        .map(|r| r.get(0));
                    if moving == Some(false) {
                        // Never a live copy: only a source a move paused.
                        return Err(StoreError::Io(format!(
                            "the pod '{n}' has live rows on two clusters; nothing removed"
                        )));
                    }
                    remove_rows(tx, &n)
                },
            )
            .await?;
        }
        Ok(moved)
    }

    /// Places a new pod: its placement row in the main database (refusing
    /// a name taken on any cluster or erased), on the cluster new pods go
    /// to. Returns that cluster's index.
    pub(super) async fn place_new(&self, pod: &str) -> Result<usize, StoreError> {
        let clusters = self.clusters();
        if !clusters.several() {
            return Ok(0);
        }
        let target = self.new_pods_on;
        let (name, cluster) = (pod.to_owned(), clusters.name(target).to_owned());
        txn_on(
            clusters.main().clone(),
            postgres::IsolationLevel::ReadCommitted,
            move |tx| {
                let insert = tx.execute(
                    "INSERT INTO placement (pod, cluster) VALUES ($1, $2)",
                    &[&name, &cluster],
                );
                match insert {
                    Err(e) if is_unique_violation(&e) => {
                        return Err(StoreError::PodExists(name.clone()));
                    }
                    other => other?,
                };
                // A pod of the main database from before there were
                // several clusters has no placement row.
                if target != 0 && holds(tx, &name)? {
                    return Err(StoreError::PodExists(name.clone()));
                }
                if tx
                    .query_opt("SELECT 1 FROM pod_tombstone WHERE name = $1", &[&name])?
                    .is_some()
                {
                    return Err(StoreError::PodExists(name.clone()));
                }
                Ok(())
            },
        )
        .await?;
        Ok(target)
    }

    /// Undoes [`PgStore::place_new`] when the pod could not be created.
    pub(super) async fn unplace(&self, pod: &str) {
        let clusters = self.clusters();
        if !clusters.several() {
            return;
        }
        let name = pod.to_owned();
        let done = run_on(clusters.main().clone(), move |c| {
            c.execute("DELETE FROM placement WHERE pod = $1", &[&name])?;
            Ok(())
        })
        .await;
        if let Err(e) = done {
            tracing::warn!(error = %e, pod, "could not remove the placement of a pod not created");
        }
        clusters.forget(pod);
    }
}

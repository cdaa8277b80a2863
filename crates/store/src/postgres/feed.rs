//! Commits made on other servers, told to this one's listeners
//! ([`crate::Backend::changes`]): notifications hear a change whatever
//! server made it.
//!
//! A server with listeners on a pod marks the pod's row `listened_until` a
//! couple of minutes ahead ([`crate::Backend::listen`], renewed while it
//! listens). A write to a listened pod adds its changes to `change_feed`
//! in its own transaction (a pod nobody listens to costs nothing more than
//! the column read with the row it locks anyway). Every listening server
//! reads the feed of its pods a few times a second, from a few seconds back
//! (a row may commit after a later one was read: rows are told once, by
//! id), and tells what other servers committed through its broadcast; rows
//! older than a minute are removed. Paths and versions are what the feed
//! holds, as the `resource` table does (SECURITY: paths are in the clear).

use std::collections::HashMap;
use std::time::Duration;

use super::placement::Clusters;
use super::*;
use crate::{Change, ChangeKind, Committed, PodName, ResourcePath, now_ms};

pub(super) const SCHEMA: &str = r#"
ALTER TABLE pod ADD COLUMN IF NOT EXISTS listened_until BIGINT NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS change_feed (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pod TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL,
    -- The server that made the commit (it told its own listeners).
    origin TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS change_feed_at ON change_feed (at);
"#;

/// How far ahead a listening server marks a pod.
const LISTEN_AHEAD_MS: i64 = 120_000;
/// How often the feed is read.
const POLL: Duration = Duration::from_millis(250);
/// How far back each read looks (commits in flight when the last read ran).
const LOOK_BACK_MS: i64 = 5_000;
/// How long a feed row is kept.
const KEEP_MS: i64 = 60_000;

/// The changes of a commit as the feed keeps them.
pub(super) fn encode(changes: &[Change]) -> String {
    let rows: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            serde_json::json!([
                c.path.as_str(),
                match c.kind {
                    ChangeKind::Created => "c",
                    ChangeKind::Updated => "u",
                    ChangeKind::Deleted => "d",
                },
                c.version,
                c.parent_version,
            ])
        })
        .collect();
    serde_json::Value::Array(rows).to_string()
}

fn decode(text: &str) -> Option<Vec<Change>> {
    let rows: Vec<(String, String, Option<u64>, Option<u64>)> = serde_json::from_str(text).ok()?;
    rows.into_iter()
        .map(|(path, kind, version, parent_version)| {
            Some(Change {
                path: ResourcePath::parse(&path).ok()?,
                kind: match kind.as_str() {
                    "c" => ChangeKind::Created,
                    "u" => ChangeKind::Updated,
                    "d" => ChangeKind::Deleted,
                    _ => return None,
                },
                version,
                parent_version,
            })
        })
        .collect()
}

/// What this server listens to: pod → until when its row is marked.
#[derive(Default)]
pub(super) struct Listening {
    pods: Mutex<HashMap<String, i64>>,
}

impl PgStore {
    /// Marks the pods' rows as listened to by this server (renewed only
    /// when less than half the mark is left).
    pub(super) async fn mark_listened(&self, pods: &[PodName]) -> Result<(), StoreError> {
        let now = now_ms();
        let due: Vec<String> = {
            let mut listening = self.listening.pods.lock();
            let mut due = Vec::new();
            for p in pods {
                let until = listening.entry(p.as_str().to_owned()).or_insert(0);
                if *until - now < LISTEN_AHEAD_MS / 2 {
                    *until = now + LISTEN_AHEAD_MS;
                    due.push(p.as_str().to_owned());
                }
            }
            due
        };
        if due.is_empty() {
            return Ok(());
        }
        let mut by_cluster: HashMap<usize, Vec<String>> = HashMap::new();
        for pod in due {
            by_cluster
                .entry(self.clusters().of(&pod).await?)
                .or_default()
                .push(pod);
        }
        let until = now + LISTEN_AHEAD_MS;
        for (cluster, pods) in by_cluster {
            run_on(self.clusters().pool(cluster).clone(), move |c| {
                c.execute(
                    "UPDATE pod SET listened_until = GREATEST(listened_until, $2) WHERE name = ANY($1)",
                    &[&pods, &until],
                )?;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}

/// Reads the feed of every cluster for the pods this server listens to,
/// and tells what other servers committed; removes old rows now and then.
pub(super) fn start_reader(
    clusters: Clusters,
    listening: Arc<Listening>,
    me: String,
    changes: tokio::sync::broadcast::Sender<Arc<Committed>>,
) -> tokio::task::AbortHandle {
    tokio::spawn(async move {
        // Rows told: id → when, per cluster.
        let mut told: Vec<HashMap<i64, i64>> = Vec::new();
        let mut last_prune = 0i64;
        loop {
            tokio::time::sleep(POLL).await;
            let now = now_ms();
            let pods: Vec<String> = {
                let mut listening = listening.pods.lock();
                listening.retain(|_, until| *until > now);
                listening.keys().cloned().collect()
            };
            if pods.is_empty() || changes.receiver_count() == 0 {
                continue;
            }
            let prune = now - last_prune > KEEP_MS / 2;
            if prune {
                last_prune = now;
            }
            for (index, pool) in clusters.pools().enumerate() {
                if told.len() <= index {
                    told.resize_with(index + 1, HashMap::new);
                }
                let (pods, me) = (pods.clone(), me.clone());
                let rows = run_on(pool.clone(), move |c| {
                    if prune {
                        c.execute("DELETE FROM change_feed WHERE at < $1", &[&(now - KEEP_MS)])?;
                    }
                    Ok(c.query(
                        "SELECT id, pod, at, changes FROM change_feed
                         WHERE at >= $1 AND origin <> $2 AND pod = ANY($3) ORDER BY id",
                        &[&(now - LOOK_BACK_MS), &me, &pods],
                    )?
                    .iter()
                    .map(|r| {
                        (
                            r.get::<_, i64>(0),
                            r.get::<_, String>(1),
                            r.get::<_, i64>(2),
                            r.get::<_, String>(3),
                        )
                    })
                    .collect::<Vec<_>>())
                })
                .await;
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::debug!(error = %e, "the change feed could not be read");
                        continue;
                    }
                };
                let seen = &mut told[index];
                seen.retain(|_, at| *at >= now - 2 * LOOK_BACK_MS);
                for (id, pod, at, text) in rows {
                    if seen.insert(id, at).is_some() {
                        continue;
                    }
                    let (Ok(pod), Some(changes_made)) = (PodName::parse(&pod), decode(&text))
                    else {
                        continue;
                    };
                    let _ = changes.send(Arc::new(Committed {
                        pod,
                        at_ms: at,
                        changes: changes_made,
                    }));
                }
            }
        }
    })
    .abort_handle()
}

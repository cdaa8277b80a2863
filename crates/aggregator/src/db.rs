//! An aggregator's own database: its HPKE key, its tasks with their running
//! total, the reports it has seen (for replay protection; their shares only
//! until they are added), the helper's answered aggregation jobs and the
//! leader's collections.
//!
//! No plaintext share is ever written: the leader keeps the sealed shares of a
//! report until it is verified and added, then clears them; the helper never
//! keeps one.

use std::path::Path;

use parking_lot::Mutex;
use rusqlite::{Connection, OptionalExtension, params};
use selfdata_studies::dap::{HpkeCiphertext, HpkeConfig, HpkeKeypair, Task};

use crate::AggregatorError;

pub struct Db {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Db")
    }
}

/// A task as kept: its configuration and its running total.
#[derive(Debug, Clone)]
pub struct TaskRow {
    pub task: Task,
    pub total: Option<Vec<u8>>,
    pub report_count: u64,
    pub checksum: [u8; 32],
    pub rejected: u64,
    pub collected: bool,
}

/// A report the leader holds, waiting to be verified and added.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: Vec<u8>,
    pub time: u64,
    pub public_share: Vec<u8>,
    pub leader_share: HpkeCiphertext,
    pub helper_share: HpkeCiphertext,
}

/// The state of a collection the collector asked the leader for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CollectionState {
    Pending,
    Done(String),
    Failed(String),
}

/// A task's columns: config, total, report count, checksum, rejected, collected.
type TaskColumns = (String, Option<Vec<u8>>, i64, Vec<u8>, i64, bool);

const SCHEMA: &str = "
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL,
    secret BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS task (
    id TEXT PRIMARY KEY,
    config TEXT NOT NULL,
    total BLOB,
    report_count INTEGER NOT NULL DEFAULT 0,
    checksum BLOB NOT NULL,
    rejected INTEGER NOT NULL DEFAULT 0,
    collected INTEGER NOT NULL DEFAULT 0
);
-- state: pending (leader only, shares kept), added, rejected (shares cleared).
CREATE TABLE IF NOT EXISTS report (
    task TEXT NOT NULL REFERENCES task(id),
    id BLOB NOT NULL,
    time INTEGER NOT NULL,
    public_share BLOB,
    leader_share TEXT,
    helper_share TEXT,
    job TEXT,
    state TEXT NOT NULL,
    PRIMARY KEY (task, id)
);
CREATE INDEX IF NOT EXISTS report_pending ON report(task, state, job);
CREATE TABLE IF NOT EXISTS job (
    task TEXT NOT NULL,
    id TEXT NOT NULL,
    request BLOB NOT NULL,
    response TEXT NOT NULL,
    PRIMARY KEY (task, id)
);
CREATE TABLE IF NOT EXISTS collection (
    task TEXT NOT NULL,
    id TEXT NOT NULL,
    state TEXT NOT NULL,
    result TEXT,
    PRIMARY KEY (task, id)
);
";

fn sql(e: rusqlite::Error) -> AggregatorError {
    AggregatorError::Database(e.to_string())
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, AggregatorError> {
    serde_json::from_str(text).map_err(|e| AggregatorError::Database(e.to_string()))
}

impl Db {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Db, AggregatorError> {
        let conn = Connection::open(path).map_err(sql)?;
        conn.execute_batch(SCHEMA).map_err(sql)?;
        Ok(Db {
            conn: Mutex::new(conn),
        })
    }

    /// This aggregator's HPKE key pair, made on first use.
    pub fn keypair(&self) -> Result<HpkeKeypair, AggregatorError> {
        let conn = self.conn.lock();
        let kept: Option<(String, Vec<u8>)> = conn
            .query_row("SELECT config, secret FROM key", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(sql)?;
        if let Some((config, secret)) = kept {
            let config: HpkeConfig = parse(&config)?;
            return HpkeKeypair::from_parts(config, secret)
                .map_err(|e| AggregatorError::Database(e.to_string()));
        }
        let keypair = HpkeKeypair::generate(rand::random());
        conn.execute(
            "INSERT INTO key (id, config, secret) VALUES (1, ?1, ?2)",
            params![json(&keypair.config), keypair.secret()],
        )
        .map_err(sql)?;
        Ok(keypair)
    }

    /// Keeps a task; the same task again is accepted, another one under the
    /// same id refused.
    pub fn put_task(&self, task: &Task) -> Result<bool, AggregatorError> {
        let conn = self.conn.lock();
        let existing: Option<String> = conn
            .query_row("SELECT config FROM task WHERE id = ?1", [&task.id], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        match existing {
            Some(config) if parse::<Task>(&config)? == *task => Ok(false),
            Some(_) => Err(AggregatorError::Conflict(
                "another task already has this id".into(),
            )),
            None => {
                conn.execute(
                    "INSERT INTO task (id, config, checksum) VALUES (?1, ?2, ?3)",
                    params![task.id, json(task), [0u8; 32].as_slice()],
                )
                .map_err(sql)?;
                Ok(true)
            }
        }
    }

    pub fn task(&self, id: &str) -> Result<Option<TaskRow>, AggregatorError> {
        let conn = self.conn.lock();
        Self::task_in(&conn, id)
    }

    fn task_in(conn: &Connection, id: &str) -> Result<Option<TaskRow>, AggregatorError> {
        let row: Option<TaskColumns> = conn
            .query_row(
                "SELECT config, total, report_count, checksum, rejected, collected
                 FROM task WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()
            .map_err(sql)?;
        let Some((config, total, count, checksum, rejected, collected)) = row else {
            return Ok(None);
        };
        Ok(Some(TaskRow {
            task: parse(&config)?,
            total,
            report_count: count as u64,
            checksum: checksum.try_into().unwrap_or([0; 32]),
            rejected: rejected as u64,
            collected,
        }))
    }

    /// How many reports of the task wait to be added.
    pub fn pending_count(&self, task: &str) -> Result<u64, AggregatorError> {
        self.pending_at_least(task, u64::MAX)
    }

    /// How many reports of the task wait to be added, counting no further
    /// than `most` (the worker asks "at least the minimum?" after each job:
    /// counting every waiting report each time made a study of 100,000
    /// quadratic).
    pub fn pending_at_least(&self, task: &str, most: u64) -> Result<u64, AggregatorError> {
        let conn = self.conn.lock();
        conn.query_row(
            "SELECT count(*) FROM (SELECT 1 FROM report WHERE task = ?1 AND state = 'pending'
             LIMIT ?2)",
            params![task, i64::try_from(most).unwrap_or(i64::MAX)],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as u64)
        .map_err(sql)
    }

    /// The leader keeps uploaded reports, in one transaction; how many were
    /// new (a report whose id was seen already is a replay, kept once).
    pub fn add_reports(&self, task: &str, reports: &[Pending]) -> Result<usize, AggregatorError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction().map_err(sql)?;
        let mut fresh = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO report
                     (task, id, time, public_share, leader_share, helper_share, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending')",
                )
                .map_err(sql)?;
            for report in reports {
                fresh += insert
                    .execute(params![
                        task,
                        report.id,
                        report.time as i64,
                        report.public_share,
                        json(&report.leader_share),
                        json(&report.helper_share),
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(fresh)
    }

    /// Gives up to `limit` pending reports of the task to a new job (or the
    /// reports of a job left unfinished, to retry it under the same id).
    pub fn take_job(
        &self,
        task: &str,
        limit: usize,
    ) -> Result<Option<(String, Vec<Pending>)>, AggregatorError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction().map_err(sql)?;
        let unfinished: Option<String> = tx
            .query_row(
                "SELECT job FROM report WHERE task = ?1 AND state = 'pending' AND job IS NOT NULL
                 LIMIT 1",
                [task],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql)?;
        let job = match unfinished {
            Some(job) => job,
            None => {
                let job = hex::encode(rand::random::<[u8; 16]>());
                let n = tx
                    .execute(
                        "UPDATE report SET job = ?2 WHERE rowid IN (
                           SELECT rowid FROM report WHERE task = ?1 AND state = 'pending'
                           AND job IS NULL LIMIT ?3)",
                        params![task, job, limit as i64],
                    )
                    .map_err(sql)?;
                if n == 0 {
                    return Ok(None);
                }
                job
            }
        };
        let reports = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, time, public_share, leader_share, helper_share FROM report
                     WHERE task = ?1 AND job = ?2 AND state = 'pending' ORDER BY id",
                )
                .map_err(sql)?;
            let rows = stmt
                .query_map(params![task, job], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(sql)?;
            let mut reports = Vec::new();
            for row in rows {
                let (id, time, public_share, leader, helper) = row.map_err(sql)?;
                reports.push(Pending {
                    id,
                    time: time as u64,
                    public_share,
                    leader_share: parse(&leader)?,
                    helper_share: parse(&helper)?,
                });
            }
            reports
        };
        tx.commit().map_err(sql)?;
        Ok(Some((job, reports)))
    }

    /// Adds a job's total to the task's and records each report as added or
    /// rejected, clearing its shares, in one transaction. `outcomes` holds
    /// each report id with whether it was added.
    pub fn finish_job(
        &self,
        task: &str,
        total: Option<&[u8]>,
        outcomes: &[(Vec<u8>, bool)],
        merge: impl Fn(&[u8], &[u8]) -> Result<Vec<u8>, AggregatorError>,
    ) -> Result<(), AggregatorError> {
        let mut conn = self.conn.lock();
        let tx = conn.transaction().map_err(sql)?;
        let row = Self::task_in(&tx, task)?.ok_or(AggregatorError::NoTask)?;
        let mut checksum = row.checksum;
        let mut added = 0i64;
        let mut rejected = 0i64;
        for (id, ok) in outcomes {
            let state = if *ok { "added" } else { "rejected" };
            tx.execute(
                "INSERT INTO report (task, id, time, state) VALUES (?1, ?2, 0, ?3)
                 ON CONFLICT (task, id) DO UPDATE SET state = ?3, public_share = NULL,
                 leader_share = NULL, helper_share = NULL, job = NULL",
                params![task, id, state],
            )
            .map_err(sql)?;
            if *ok {
                selfdata_studies::dap::checksum_add(&mut checksum, id);
                added += 1;
            } else {
                rejected += 1;
            }
        }
        let new_total = match (row.total.as_deref(), total) {
            (Some(a), Some(b)) => Some(merge(a, b)?),
            (None, Some(b)) => Some(b.to_vec()),
            (a, None) => a.map(<[u8]>::to_vec),
        };
        tx.execute(
            "UPDATE task SET total = ?2, report_count = report_count + ?3, checksum = ?4,
             rejected = rejected + ?5 WHERE id = ?1",
            params![task, new_total, added, checksum.as_slice(), rejected],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)
    }

    /// Whether the helper has seen a report already (added or rejected).
    pub fn seen(&self, task: &str, id: &[u8]) -> Result<bool, AggregatorError> {
        let conn = self.conn.lock();
        conn.query_row(
            "SELECT 1 FROM report WHERE task = ?1 AND id = ?2",
            params![task, id],
            |_| Ok(()),
        )
        .optional()
        .map(|r| r.is_some())
        .map_err(sql)
    }

    /// The helper's answer to a job it answered before, if any, with the
    /// digest of the request it answered.
    pub fn job(&self, task: &str, id: &str) -> Result<Option<(Vec<u8>, String)>, AggregatorError> {
        let conn = self.conn.lock();
        conn.query_row(
            "SELECT request, response FROM job WHERE task = ?1 AND id = ?2",
            params![task, id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(sql)
    }

    pub fn keep_job(
        &self,
        task: &str,
        id: &str,
        request: &[u8],
        response: &str,
    ) -> Result<(), AggregatorError> {
        let conn = self.conn.lock();
        conn.execute(
            "INSERT OR REPLACE INTO job (task, id, request, response) VALUES (?1, ?2, ?3, ?4)",
            params![task, id, request, response],
        )
        .map_err(sql)?;
        Ok(())
    }

    /// Closes the task to new reports: its batch is being collected.
    pub fn close(&self, task: &str) -> Result<(), AggregatorError> {
        let conn = self.conn.lock();
        conn.execute("UPDATE task SET collected = 1 WHERE id = ?1", [task])
            .map_err(sql)?;
        Ok(())
    }

    /// Records a collection asked for; `false` when it was asked already.
    pub fn ask_collection(&self, task: &str, id: &str) -> Result<bool, AggregatorError> {
        let conn = self.conn.lock();
        let n = conn
            .execute(
                "INSERT OR IGNORE INTO collection (task, id, state) VALUES (?1, ?2, 'pending')",
                params![task, id],
            )
            .map_err(sql)?;
        Ok(n == 1)
    }

    pub fn collection(
        &self,
        task: &str,
        id: &str,
    ) -> Result<Option<CollectionState>, AggregatorError> {
        let conn = self.conn.lock();
        let row: Option<(String, Option<String>)> = conn
            .query_row(
                "SELECT state, result FROM collection WHERE task = ?1 AND id = ?2",
                params![task, id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql)?;
        Ok(row.map(|(state, result)| match (state.as_str(), result) {
            ("done", Some(r)) => CollectionState::Done(r),
            ("failed", Some(r)) => CollectionState::Failed(r),
            _ => CollectionState::Pending,
        }))
    }

    /// Collections waiting for the leader's worker.
    pub fn pending_collections(&self) -> Result<Vec<(String, String)>, AggregatorError> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare("SELECT task, id FROM collection WHERE state = 'pending'")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    /// Tasks with reports waiting to be added.
    pub fn tasks_with_pending(&self) -> Result<Vec<String>, AggregatorError> {
        let conn = self.conn.lock();
        let mut stmt = conn
            .prepare(
                "SELECT id FROM task WHERE EXISTS
                 (SELECT 1 FROM report WHERE report.task = task.id AND state = 'pending')",
            )
            .map_err(sql)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
        rows.collect::<Result<_, _>>().map_err(sql)
    }

    pub fn end_collection(
        &self,
        task: &str,
        id: &str,
        outcome: &CollectionState,
    ) -> Result<(), AggregatorError> {
        let (state, result) = match outcome {
            CollectionState::Pending => ("pending", None),
            CollectionState::Done(r) => ("done", Some(r)),
            CollectionState::Failed(r) => ("failed", Some(r)),
        };
        let conn = self.conn.lock();
        conn.execute(
            "UPDATE collection SET state = ?3, result = ?4 WHERE task = ?1 AND id = ?2",
            params![task, id, state, result],
        )
        .map_err(sql)?;
        Ok(())
    }
}

//! The studies' registry ([`StudyRegistry`]) on the embedded engine's `host.sqlite`.

use rusqlite::{OptionalExtension, TransactionBehavior, params};

use crate::StoreError;
use crate::sqlite::SqliteBackend;
use crate::studies::{
    Ballot, Comparison, Participant, StudiesDump, StudyEvent, StudyRecord, StudyRegistry, StudyRole,
};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn participant_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Participant> {
    Ok(Participant {
        study: r.get(0)?,
        pod: r.get(1)?,
        consent_id: r.get(2)?,
        joined_ms: r.get(3)?,
    })
}

#[async_trait::async_trait]
impl StudyRegistry for SqliteBackend {
    async fn insert_study(&self, id: &str, json: &str) -> Result<bool, StoreError> {
        let n = self.host().execute(
            "INSERT INTO study (id, json, created) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING",
            params![id, json, now_ms()],
        )?;
        Ok(n == 1)
    }

    async fn study(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT json FROM study WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    async fn studies(&self) -> Result<Vec<String>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached("SELECT json FROM study ORDER BY created DESC, id")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn update_study(
        &self,
        id: &str,
        change: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let json: Option<String> = tx
            .query_row("SELECT json FROM study WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        let Some(json) = json else {
            return Ok(false);
        };
        let json = change(json)?;
        tx.execute(
            "UPDATE study SET json = ?2 WHERE id = ?1",
            params![id, json],
        )?;
        tx.commit()?;
        Ok(true)
    }

    async fn cast_ballot(
        &self,
        study: &str,
        account_id: i64,
        count: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "INSERT INTO study_ballot (study, account_id) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
            params![study, account_id],
        )?;
        if n == 0 {
            return Ok(false);
        }
        let json: Option<String> = tx
            .query_row("SELECT json FROM study WHERE id = ?1", [study], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(json) = json else {
            return Ok(false);
        };
        let json = count(json)?;
        tx.execute(
            "UPDATE study SET json = ?2 WHERE id = ?1",
            params![study, json],
        )?;
        tx.commit()?;
        Ok(true)
    }

    async fn has_voted(&self, study: &str, account_id: i64) -> Result<bool, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT 1 FROM study_ballot WHERE study = ?1 AND account_id = ?2")?
            .query_row(params![study, account_id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    async fn voting_members(&self) -> Result<u64, StoreError> {
        let n: i64 = self.host().query_row(
            "SELECT count(*) FROM account WHERE suspended IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    async fn join_study(&self, p: &Participant) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO study_participant (study, pod, consent_id, joined) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(study, pod) DO UPDATE SET consent_id = excluded.consent_id",
            params![p.study, p.pod, p.consent_id, p.joined_ms],
        )?;
        Ok(())
    }

    async fn leave_study(&self, study: &str, pod: &str) -> Result<bool, StoreError> {
        let n = self.host().execute(
            "DELETE FROM study_participant WHERE study = ?1 AND pod = ?2",
            params![study, pod],
        )?;
        Ok(n == 1)
    }

    async fn participants(&self, study: &str) -> Result<Vec<Participant>, StoreError> {
        let host = self.host();
        let mut stmt = host.prepare_cached(
            "SELECT study, pod, consent_id, joined FROM study_participant WHERE study = ?1
             ORDER BY pod",
        )?;
        let rows = stmt
            .query_map([study], participant_row)?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn participation(
        &self,
        study: &str,
        pod: &str,
    ) -> Result<Option<Participant>, StoreError> {
        Ok(self
            .host()
            .prepare_cached(
                "SELECT study, pod, consent_id, joined FROM study_participant
                 WHERE study = ?1 AND pod = ?2",
            )?
            .query_row(params![study, pod], participant_row)
            .optional()?)
    }

    async fn forget_participant(&self, pod: &str) -> Result<(), StoreError> {
        self.host()
            .execute("DELETE FROM study_participant WHERE pod = ?1", [pod])?;
        Ok(())
    }

    async fn set_study_role(
        &self,
        account_id: i64,
        role: &str,
        on: bool,
    ) -> Result<(), StoreError> {
        if on {
            self.host().execute(
                "INSERT INTO study_role (account_id, role) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![account_id, role],
            )?;
        } else {
            self.host().execute(
                "DELETE FROM study_role WHERE account_id = ?1 AND role = ?2",
                params![account_id, role],
            )?;
        }
        Ok(())
    }

    async fn study_roles(&self, account_id: i64) -> Result<Vec<String>, StoreError> {
        let host = self.host();
        let mut stmt =
            host.prepare_cached("SELECT role FROM study_role WHERE account_id = ?1 ORDER BY role")?;
        let rows = stmt
            .query_map([account_id], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn record_study_event(
        &self,
        at_ms: i64,
        study: &str,
        text: &str,
    ) -> Result<i64, StoreError> {
        let host = self.host();
        host.execute(
            "INSERT INTO study_event (at, study, text) VALUES (?1, ?2, ?3)",
            params![at_ms, study, text],
        )?;
        Ok(host.last_insert_rowid())
    }

    async fn study_events(&self) -> Result<Vec<StudyEvent>, StoreError> {
        let host = self.host();
        let mut stmt =
            host.prepare_cached("SELECT seq, at, study, text FROM study_event ORDER BY seq")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(StudyEvent {
                    seq: r.get(0)?,
                    at_ms: r.get(1)?,
                    study: r.get(2)?,
                    text: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn put_comparison(
        &self,
        month: &str,
        cohort: &str,
        json: &str,
    ) -> Result<(), StoreError> {
        self.host().execute(
            "INSERT INTO comparison (month, cohort, json) VALUES (?1, ?2, ?3)
             ON CONFLICT(month, cohort) DO UPDATE SET json = excluded.json",
            params![month, cohort, json],
        )?;
        Ok(())
    }

    async fn comparison(&self, month: &str, cohort: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .host()
            .prepare_cached("SELECT json FROM comparison WHERE month = ?1 AND cohort = ?2")?
            .query_row(params![month, cohort], |r| r.get(0))
            .optional()?)
    }

    async fn dump(&self) -> Result<StudiesDump, StoreError> {
        let host = self.host();
        let mut dump = StudiesDump {
            studies: host
                .prepare("SELECT id, json, created FROM study")?
                .query_map([], |r| {
                    Ok(StudyRecord {
                        id: r.get(0)?,
                        json: r.get(1)?,
                        created_ms: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
            ballots: host
                .prepare("SELECT study, account_id FROM study_ballot")?
                .query_map([], |r| {
                    Ok(Ballot {
                        study: r.get(0)?,
                        account_id: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
            participants: host
                .prepare("SELECT study, pod, consent_id, joined FROM study_participant")?
                .query_map([], participant_row)?
                .collect::<Result<_, _>>()?,
            roles: host
                .prepare("SELECT account_id, role FROM study_role")?
                .query_map([], |r| {
                    Ok(StudyRole {
                        account_id: r.get(0)?,
                        role: r.get(1)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
            comparisons: host
                .prepare("SELECT month, cohort, json FROM comparison")?
                .query_map([], |r| {
                    Ok(Comparison {
                        month: r.get(0)?,
                        cohort: r.get(1)?,
                        json: r.get(2)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
            events: host
                .prepare("SELECT seq, at, study, text FROM study_event")?
                .query_map([], |r| {
                    Ok(StudyEvent {
                        seq: r.get(0)?,
                        at_ms: r.get(1)?,
                        study: r.get(2)?,
                        text: r.get(3)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
        };
        dump.sort();
        Ok(dump)
    }

    async fn load(&self, dump: &StudiesDump) -> Result<(), StoreError> {
        let mut host = self.host();
        let tx = host.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let held: bool = tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM study) OR EXISTS (SELECT 1 FROM study_ballot)
               OR EXISTS (SELECT 1 FROM study_participant) OR EXISTS (SELECT 1 FROM study_role)
               OR EXISTS (SELECT 1 FROM comparison) OR EXISTS (SELECT 1 FROM study_event)",
            [],
            |r| r.get(0),
        )?;
        if held {
            return Err(crate::holders::not_empty("studies'"));
        }
        for s in &dump.studies {
            tx.execute(
                "INSERT INTO study (id, json, created) VALUES (?1, ?2, ?3)",
                params![s.id, s.json, s.created_ms],
            )?;
        }
        for b in &dump.ballots {
            tx.execute(
                "INSERT INTO study_ballot (study, account_id) VALUES (?1, ?2)",
                params![b.study, b.account_id],
            )?;
        }
        for p in &dump.participants {
            tx.execute(
                "INSERT INTO study_participant (study, pod, consent_id, joined)
                 VALUES (?1, ?2, ?3, ?4)",
                params![p.study, p.pod, p.consent_id, p.joined_ms],
            )?;
        }
        for r in &dump.roles {
            tx.execute(
                "INSERT INTO study_role (account_id, role) VALUES (?1, ?2)",
                params![r.account_id, r.role],
            )?;
        }
        for c in &dump.comparisons {
            tx.execute(
                "INSERT INTO comparison (month, cohort, json) VALUES (?1, ?2, ?3)",
                params![c.month, c.cohort, c.json],
            )?;
        }
        // The record's positions kept (AUTOINCREMENT's counter follows the
        // greatest, so the next entry comes after them); its triggers refuse
        // only changes and removals.
        for e in &dump.events {
            tx.execute(
                "INSERT INTO study_event (seq, at, study, text) VALUES (?1, ?2, ?3, ?4)",
                params![e.seq, e.at_ms, e.study, e.text],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

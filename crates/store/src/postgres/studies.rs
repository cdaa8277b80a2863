//! The studies' registry ([`StudyRegistry`]) on PostgreSQL.
//!
//! As in the embedded engine: a study's JSON is changed only atomically, a
//! ballot marks its voter and changes the tally in one transaction (how
//! the voter voted is not kept), and the public record of decisions is
//! append-only, whatever code runs the SQL (triggers refuse any change or
//! removal). Its positions are given gap-free (the greatest plus one, in
//! the serializable transaction that appends), not by a sequence.
//!
//! Sealed (see [`super::holders::Sealer`]): a study's JSON (its tally, who
//! proposed it), who voted (only a keyed HMAC of the study and the
//! account is kept: enough to count a ballot once), which pods take part
//! and under which consent record, and the comparison of similar
//! households. The public record and the roles stay clear.

use serde::{Deserialize, Serialize};

use super::PgStore;
use super::holders::{CHANGE_TRIES, Sealer};
use crate::StoreError;
use crate::studies::{Participant, StudyEvent, StudyRegistry};

pub(super) const SCHEMA: &str = r#"
-- Studies: the JSON sealed; the id and the creation time clear.
CREATE TABLE IF NOT EXISTS study (
    id TEXT COLLATE "C" PRIMARY KEY,
    created BIGINT NOT NULL,
    -- Advanced at each change, so that a change is written only over what it read.
    version BIGINT NOT NULL DEFAULT 0,
    json BYTEA NOT NULL
);
-- Ballots: who voted kept only as a keyed HMAC of the study and the account (nothing sealed, nothing clear but the study).
CREATE TABLE IF NOT EXISTS study_ballot (
    study TEXT COLLATE "C" NOT NULL,
    voter BYTEA NOT NULL,
    PRIMARY KEY (study, voter)
);
-- Participants: the pod found by keyed HMAC; the pod and the consent id sealed.
CREATE TABLE IF NOT EXISTS study_participant (
    study TEXT COLLATE "C" NOT NULL,
    pod_mac BYTEA NOT NULL,
    joined BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (study, pod_mac)
);
CREATE INDEX IF NOT EXISTS study_participant_pod ON study_participant (pod_mac);
-- Roles of accounts (who may propose or decide): nothing sealed.
CREATE TABLE IF NOT EXISTS study_role (
    account_id BIGINT NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (account_id, role)
);
-- Comparisons of similar households: the cohort (a household's description) found by keyed HMAC; the JSON sealed.
CREATE TABLE IF NOT EXISTS study_comparison (
    month TEXT COLLATE "C" NOT NULL,
    cohort_mac BYTEA NOT NULL,
    json BYTEA NOT NULL,
    PRIMARY KEY (month, cohort_mac)
);
-- The public record of decisions, append-only (nothing sealed: it is public);
-- the triggers refuse any change or removal, whatever code runs the SQL.
CREATE TABLE IF NOT EXISTS study_event (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    study TEXT COLLATE "C" NOT NULL,
    text TEXT NOT NULL
);
-- Created only when missing (not replaced at each start: servers starting
-- at once would collide on the catalogue's row, "tuple concurrently updated").
DO $do$
BEGIN
    IF to_regprocedure('study_event_append_only()') IS NULL THEN
        CREATE FUNCTION study_event_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $fn$
        BEGIN
            RAISE EXCEPTION 'the record of study decisions is append-only';
        END
        $fn$;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'study_event_no_change'
                     AND tgrelid = 'study_event'::regclass) THEN
        CREATE TRIGGER study_event_no_change BEFORE UPDATE OR DELETE ON study_event
        FOR EACH ROW EXECUTE FUNCTION study_event_append_only();
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgname = 'study_event_no_truncate'
                     AND tgrelid = 'study_event'::regclass) THEN
        CREATE TRIGGER study_event_no_truncate BEFORE TRUNCATE ON study_event
        FOR EACH STATEMENT EXECUTE FUNCTION study_event_append_only();
    END IF;
END
$do$;
"#;

fn study_aad(id: &str) -> [&[u8]; 2] {
    [b"study", id.as_bytes()]
}

/// The HMAC a ballot is kept by: the study and the account, nothing else.
fn voter(s: &Sealer, study: &str, account_id: i64) -> Vec<u8> {
    let mut v = study.as_bytes().to_vec();
    v.push(0);
    v.extend(account_id.to_be_bytes());
    s.mac("ballot", &v)
}

/// What a participation keeps sealed.
#[derive(Serialize, Deserialize)]
struct ParticipantSealed {
    pod: String,
    consent_id: String,
}

fn participant_of_row(s: &Sealer, r: &postgres::Row) -> Result<Participant, StoreError> {
    let study: String = r.get(0);
    let pod_mac: Vec<u8> = r.get(1);
    let sealed: Vec<u8> = r.get(3);
    let v: ParticipantSealed =
        s.open(&[b"study_participant", study.as_bytes(), &pod_mac], &sealed)?;
    Ok(Participant {
        study,
        pod: v.pod,
        consent_id: v.consent_id,
        joined_ms: r.get(2),
    })
}

/// What [`PgStore::change_study`]'s writing step found.
enum Written {
    /// Done, with this answer.
    Done(bool),
    /// The study changed since it was read: read it again.
    Stale,
}

impl PgStore {
    /// A study's version and JSON, and whether `voter` voted in it.
    async fn study_versioned(
        &self,
        id: &str,
        voter: Option<Vec<u8>>,
    ) -> Result<Option<(i64, String, bool)>, StoreError> {
        let s = Sealer::of(self);
        let id = id.to_owned();
        self.run(move |c| {
            let Some(r) = c.query_opt(
                "SELECT version, json,
                   EXISTS (SELECT 1 FROM study_ballot WHERE study = $1 AND voter = $2)
                 FROM study WHERE id = $1",
                &[&id, &voter.unwrap_or_default()],
            )?
            else {
                return Ok(None);
            };
            let sealed: Vec<u8> = r.get(1);
            let json: String = s.open(&study_aad(&id), &sealed)?;
            Ok(Some((r.get(0), json, r.get(2))))
        })
        .await
    }

    /// Changes a study with `change` (and, given a voter, counts their
    /// ballot in the same transaction): read, changed here, written only
    /// over the version read, or read again.
    async fn change_study(
        &self,
        id: &str,
        ballot: Option<i64>,
        change: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError> {
        let s = Sealer::of(self);
        let voter = ballot.map(|account| voter(&s, id, account));
        for _ in 0..CHANGE_TRIES {
            let Some((version, json, voted)) = self.study_versioned(id, voter.clone()).await?
            else {
                return Ok(false);
            };
            if voted {
                return Ok(false);
            }
            let sealed = s.seal(&study_aad(id), &change(json)?)?;
            let (id, voter) = (id.to_owned(), voter.clone());
            let written = self
                .txn(move |tx| {
                    if let Some(voter) = &voter
                        && tx
                            .query_opt(
                                "SELECT 1 FROM study_ballot WHERE study = $1 AND voter = $2",
                                &[&id, voter],
                            )?
                            .is_some()
                    {
                        return Ok(Written::Done(false));
                    }
                    let n = tx.execute(
                        "UPDATE study SET json = $3, version = version + 1
                         WHERE id = $1 AND version = $2",
                        &[&id, &version, &sealed],
                    )?;
                    if n == 0 {
                        return Ok(Written::Stale);
                    }
                    if let Some(voter) = &voter {
                        let n = tx.execute(
                            "INSERT INTO study_ballot (study, voter) VALUES ($1, $2)
                             ON CONFLICT DO NOTHING",
                            &[&id, voter],
                        )?;
                        if n == 0 {
                            // Counted meanwhile by another server: this
                            // transaction is rolled back and tried again.
                            return Err(StoreError::Conflict);
                        }
                    }
                    Ok(Written::Done(true))
                })
                .await?;
            match written {
                Written::Done(done) => return Ok(done),
                Written::Stale => continue,
            }
        }
        Err(StoreError::Conflict)
    }
}

#[async_trait::async_trait]
impl StudyRegistry for PgStore {
    async fn insert_study(&self, id: &str, json: &str) -> Result<bool, StoreError> {
        let sealed = Sealer::of(self).seal(&study_aad(id), json)?;
        let id = id.to_owned();
        let created = crate::sqlite::now_ms();
        self.txn(move |tx| {
            let n = tx.execute(
                "INSERT INTO study (id, created, json) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
                &[&id, &created, &sealed],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn study(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .study_versioned(id, None)
            .await?
            .map(|(_, json, _)| json))
    }

    async fn studies(&self) -> Result<Vec<String>, StoreError> {
        let s = Sealer::of(self);
        self.run(move |c| {
            c.query("SELECT id, json FROM study ORDER BY created DESC, id", &[])?
                .iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let sealed: Vec<u8> = r.get(1);
                    s.open(&study_aad(&id), &sealed)
                })
                .collect()
        })
        .await
    }

    async fn update_study(
        &self,
        id: &str,
        change: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError> {
        self.change_study(id, None, change).await
    }

    async fn cast_ballot(
        &self,
        study: &str,
        account_id: i64,
        count: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError> {
        self.change_study(study, Some(account_id), count).await
    }

    async fn has_voted(&self, study: &str, account_id: i64) -> Result<bool, StoreError> {
        let voter = voter(&Sealer::of(self), study, account_id);
        let study = study.to_owned();
        self.run(move |c| {
            Ok(c.query_opt(
                "SELECT 1 FROM study_ballot WHERE study = $1 AND voter = $2",
                &[&study, &voter],
            )?
            .is_some())
        })
        .await
    }

    async fn voting_members(&self) -> Result<u64, StoreError> {
        self.run(|c| {
            let n: i64 = c
                .query_one("SELECT count(*) FROM account WHERE suspended IS NULL", &[])?
                .get(0);
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    async fn join_study(&self, p: &Participant) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        let pod_mac = s.pod(&p.pod);
        let sealed = s.seal(
            &[b"study_participant", p.study.as_bytes(), &pod_mac],
            &ParticipantSealed {
                pod: p.pod.clone(),
                consent_id: p.consent_id.clone(),
            },
        )?;
        let (study, joined) = (p.study.clone(), p.joined_ms);
        self.txn(move |tx| {
            tx.execute(
                "INSERT INTO study_participant (study, pod_mac, joined, sealed)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (study, pod_mac) DO UPDATE SET sealed = excluded.sealed",
                &[&study, &pod_mac, &joined, &sealed],
            )?;
            Ok(())
        })
        .await
    }

    async fn leave_study(&self, study: &str, pod: &str) -> Result<bool, StoreError> {
        let pod_mac = Sealer::of(self).pod(pod);
        let study = study.to_owned();
        self.txn(move |tx| {
            Ok(tx.execute(
                "DELETE FROM study_participant WHERE study = $1 AND pod_mac = $2",
                &[&study, &pod_mac],
            )? == 1)
        })
        .await
    }

    async fn participants(&self, study: &str) -> Result<Vec<Participant>, StoreError> {
        let s = Sealer::of(self);
        let study = study.to_owned();
        self.run(move |c| {
            let mut out = c
                .query(
                    "SELECT study, pod_mac, joined, sealed FROM study_participant WHERE study = $1",
                    &[&study],
                )?
                .iter()
                .map(|r| participant_of_row(&s, r))
                .collect::<Result<Vec<_>, _>>()?;
            // By pod, as the embedded engine lists them (the pods are sealed).
            out.sort_by(|a, b| a.pod.cmp(&b.pod));
            Ok(out)
        })
        .await
    }

    async fn participation(
        &self,
        study: &str,
        pod: &str,
    ) -> Result<Option<Participant>, StoreError> {
        let s = Sealer::of(self);
        let pod_mac = s.pod(pod);
        let study = study.to_owned();
        self.run(move |c| {
            c.query_opt(
                "SELECT study, pod_mac, joined, sealed FROM study_participant
                 WHERE study = $1 AND pod_mac = $2",
                &[&study, &pod_mac],
            )?
            .map(|r| participant_of_row(&s, &r))
            .transpose()
        })
        .await
    }

    async fn forget_participant(&self, pod: &str) -> Result<(), StoreError> {
        let pod_mac = Sealer::of(self).pod(pod);
        self.txn(move |tx| {
            tx.execute(
                "DELETE FROM study_participant WHERE pod_mac = $1",
                &[&pod_mac],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_study_role(
        &self,
        account_id: i64,
        role: &str,
        on: bool,
    ) -> Result<(), StoreError> {
        let role = role.to_owned();
        self.txn(move |tx| {
            if on {
                tx.execute(
                    "INSERT INTO study_role (account_id, role) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&account_id, &role],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM study_role WHERE account_id = $1 AND role = $2",
                    &[&account_id, &role],
                )?;
            }
            Ok(())
        })
        .await
    }

    async fn study_roles(&self, account_id: i64) -> Result<Vec<String>, StoreError> {
        self.run(move |c| {
            Ok(c.query(
                "SELECT role FROM study_role WHERE account_id = $1 ORDER BY role",
                &[&account_id],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
        .await
    }

    async fn record_study_event(
        &self,
        at_ms: i64,
        study: &str,
        text: &str,
    ) -> Result<i64, StoreError> {
        let (study, text) = (study.to_owned(), text.to_owned());
        self.txn(move |tx| {
            let seq: i64 = tx
                .query_one("SELECT COALESCE(MAX(seq), 0) + 1 FROM study_event", &[])?
                .get(0);
            match tx.execute(
                "INSERT INTO study_event (seq, at, study, text) VALUES ($1, $2, $3, $4)",
                &[&seq, &at_ms, &study, &text],
            ) {
                Ok(_) => Ok(seq),
                // Another server appended at this position meanwhile.
                Err(e) if super::is_unique_violation(&e) => Err(StoreError::Conflict),
                Err(e) => Err(e.into()),
            }
        })
        .await
    }

    async fn study_events(&self) -> Result<Vec<StudyEvent>, StoreError> {
        self.run(|c| {
            Ok(c.query(
                "SELECT seq, at, study, text FROM study_event ORDER BY seq",
                &[],
            )?
            .iter()
            .map(|r| StudyEvent {
                seq: r.get(0),
                at_ms: r.get(1),
                study: r.get(2),
                text: r.get(3),
            })
            .collect())
        })
        .await
    }

    async fn put_comparison(
        &self,
        month: &str,
        cohort: &str,
        json: &str,
    ) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        let cohort_mac = s.mac("cohort", cohort.as_bytes());
        let sealed = s.seal(&[b"study_comparison", month.as_bytes(), &cohort_mac], json)?;
        let month = month.to_owned();
        self.txn(move |tx| {
            tx.execute(
                "INSERT INTO study_comparison (month, cohort_mac, json) VALUES ($1, $2, $3)
                 ON CONFLICT (month, cohort_mac) DO UPDATE SET json = excluded.json",
                &[&month, &cohort_mac, &sealed],
            )?;
            Ok(())
        })
        .await
    }

    async fn comparison(&self, month: &str, cohort: &str) -> Result<Option<String>, StoreError> {
        let s = Sealer::of(self);
        let cohort_mac = s.mac("cohort", cohort.as_bytes());
        let month = month.to_owned();
        self.run(move |c| {
            c.query_opt(
                "SELECT json FROM study_comparison WHERE month = $1 AND cohort_mac = $2",
                &[&month, &cohort_mac],
            )?
            .map(|r| {
                let sealed: Vec<u8> = r.get(0);
                s.open(
                    &[b"study_comparison", month.as_bytes(), &cohort_mac],
                    &sealed,
                )
            })
            .transpose()
        })
        .await
    }
}

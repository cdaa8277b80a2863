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
//! households with its cohort. The public record and the roles stay clear.
//!
//! A dump ([`StudyRegistry::dump`]) names each ballot's account: found by
//! trying the HMAC of every account id the directory ever gave (there is
//! no other way back from the HMAC, by design).

use serde::{Deserialize, Serialize};

use super::PgStore;
use super::holders::{CHANGE_TRIES, Sealer};
use crate::StoreError;
use crate::studies::{
    Ballot, Comparison, Participant, StudiesDump, StudyEvent, StudyRecord, StudyRegistry, StudyRole,
};

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
-- Comparisons of similar households: the cohort (a household's description) found by keyed HMAC; the cohort and the JSON sealed.
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

/// What a comparison keeps sealed: the cohort too, so that a dump names it
/// (the HMAC alone cannot give it back).
#[derive(Serialize, Deserialize)]
struct ComparisonSealed {
    cohort: String,
    json: String,
}

/// A comparison as sealed: with its cohort, or (written before cohorts
/// were sealed) the JSON alone.
#[derive(Deserialize)]
#[serde(untagged)]
enum ComparisonStored {
    WithCohort(ComparisonSealed),
    Json(String),
}

fn comparison_aad<'a>(month: &'a str, cohort_mac: &'a [u8]) -> [&'a [u8]; 3] {
    [b"study_comparison", month.as_bytes(), cohort_mac]
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
        let created = crate::now_ms();
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
        let sealed = s.seal(
            &comparison_aad(month, &cohort_mac),
            &ComparisonSealed {
                cohort: cohort.to_owned(),
                json: json.to_owned(),
            },
        )?;
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
                Ok(
                    match s.open(&comparison_aad(&month, &cohort_mac), &sealed)? {
                        ComparisonStored::WithCohort(c) => c.json,
                        ComparisonStored::Json(json) => json,
                    },
                )
            })
            .transpose()
        })
        .await
    }

    async fn dump(&self) -> Result<StudiesDump, StoreError> {
        let s = Sealer::of(self);
        // Read in one transaction (one state of the registry), opened after.
        let (studies, ballots, participants, roles, comparisons, events, last_account) = self
            .txn(|tx| {
                Ok((
                    tx.query("SELECT id, json, created FROM study", &[])?,
                    tx.query("SELECT study, voter FROM study_ballot", &[])?,
                    tx.query(
                        "SELECT study, pod_mac, joined, sealed FROM study_participant",
                        &[],
                    )?,
                    tx.query("SELECT account_id, role FROM study_role", &[])?,
                    tx.query("SELECT month, cohort_mac, json FROM study_comparison", &[])?,
                    tx.query("SELECT seq, at, study, text FROM study_event", &[])?,
                    // The greatest account id ever given (no account is
                    // ever removed, but a sequence may run ahead of them).
                    tx.query_one(
                        "SELECT GREATEST(
                           COALESCE((SELECT MAX(id) FROM account), 0),
                           COALESCE(pg_sequence_last_value(
                             pg_get_serial_sequence('account', 'id')::regclass), 0),
                           COALESCE((SELECT MAX(account_id) FROM study_role), 0))",
                        &[],
                    )?
                    .get::<_, i64>(0),
                ))
            })
            .await?;
        let ballots: Vec<(String, Vec<u8>)> =
            ballots.iter().map(|r| (r.get(0), r.get(1))).collect();
        let ballots = {
            let s = s.clone();
            tokio::task::spawn_blocking(move || voters(&s, ballots, last_account))
                .await
                .map_err(|e| StoreError::Io(format!("the ballots were not read: {e}")))??
        };
        let mut dump = StudiesDump {
            studies: studies
                .iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let sealed: Vec<u8> = r.get(1);
                    Ok(StudyRecord {
                        json: s.open(&study_aad(&id), &sealed)?,
                        id,
                        created_ms: r.get(2),
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            ballots,
            participants: participants
                .iter()
                .map(|r| participant_of_row(&s, r))
                .collect::<Result<_, _>>()?,
            roles: roles
                .iter()
                .map(|r| StudyRole {
                    account_id: r.get(0),
                    role: r.get(1),
                })
                .collect(),
            comparisons: comparisons
                .iter()
                .map(|r| {
                    let month: String = r.get(0);
                    let cohort_mac: Vec<u8> = r.get(1);
                    let sealed: Vec<u8> = r.get(2);
                    match s.open(&comparison_aad(&month, &cohort_mac), &sealed)? {
                        ComparisonStored::WithCohort(c) => Ok(Comparison {
                            month,
                            cohort: c.cohort,
                            json: c.json,
                        }),
                        ComparisonStored::Json(_) => Err(StoreError::Io(format!(
                            "a comparison of {month} was kept before cohorts were sealed: \
                             its cohort is not known (collect it again)"
                        ))),
                    }
                })
                .collect::<Result<_, _>>()?,
            events: events
                .iter()
                .map(|r| StudyEvent {
                    seq: r.get(0),
                    at_ms: r.get(1),
                    study: r.get(2),
                    text: r.get(3),
                })
                .collect(),
        };
        dump.sort();
        Ok(dump)
    }

    async fn load(&self, dump: &StudiesDump) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        // Every row sealed and HMAC'd here as the normal write paths do
        // (fresh nonces), then written in one transaction.
        let studies = dump
            .studies
            .iter()
            .map(|st| {
                Ok((
                    st.id.clone(),
                    st.created_ms,
                    s.seal(&study_aad(&st.id), st.json.as_str())?,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let ballots: Vec<(String, Vec<u8>)> = dump
            .ballots
            .iter()
            .map(|b| (b.study.clone(), voter(&s, &b.study, b.account_id)))
            .collect();
        let participants = dump
            .participants
            .iter()
            .map(|p| {
                let pod_mac = s.pod(&p.pod);
                let sealed = s.seal(
                    &[b"study_participant", p.study.as_bytes(), &pod_mac],
                    &ParticipantSealed {
                        pod: p.pod.clone(),
                        consent_id: p.consent_id.clone(),
                    },
                )?;
                Ok((p.study.clone(), pod_mac, p.joined_ms, sealed))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let roles: Vec<(i64, String)> = dump
            .roles
            .iter()
            .map(|r| (r.account_id, r.role.clone()))
            .collect();
        let comparisons = dump
            .comparisons
            .iter()
            .map(|c| {
                let cohort_mac = s.mac("cohort", c.cohort.as_bytes());
                let sealed = s.seal(
                    &comparison_aad(&c.month, &cohort_mac),
                    &ComparisonSealed {
                        cohort: c.cohort.clone(),
                        json: c.json.clone(),
                    },
                )?;
                Ok((c.month.clone(), cohort_mac, sealed))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let events = dump.events.clone();
        self.txn(move |tx| {
            let held: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM study) OR EXISTS (SELECT 1 FROM study_ballot)
                       OR EXISTS (SELECT 1 FROM study_participant)
                       OR EXISTS (SELECT 1 FROM study_role)
                       OR EXISTS (SELECT 1 FROM study_comparison)
                       OR EXISTS (SELECT 1 FROM study_event)",
                    &[],
                )?
                .get(0);
            if held {
                return Err(crate::holders::not_empty("studies'"));
            }
            let insert = tx.prepare("INSERT INTO study (id, created, json) VALUES ($1, $2, $3)")?;
            for (id, created, json) in &studies {
                tx.execute(&insert, &[id, created, json])?;
            }
            let insert = tx.prepare("INSERT INTO study_ballot (study, voter) VALUES ($1, $2)")?;
            for (study, voter) in &ballots {
                tx.execute(&insert, &[study, voter])?;
            }
            let insert = tx.prepare(
                "INSERT INTO study_participant (study, pod_mac, joined, sealed)
                 VALUES ($1, $2, $3, $4)",
            )?;
            for (study, pod_mac, joined, sealed) in &participants {
                tx.execute(&insert, &[study, pod_mac, joined, sealed])?;
            }
            let insert = tx.prepare("INSERT INTO study_role (account_id, role) VALUES ($1, $2)")?;
            for (account_id, role) in &roles {
                tx.execute(&insert, &[account_id, role])?;
            }
            let insert = tx.prepare(
                "INSERT INTO study_comparison (month, cohort_mac, json) VALUES ($1, $2, $3)",
            )?;
            for (month, cohort_mac, json) in &comparisons {
                tx.execute(&insert, &[month, cohort_mac, json])?;
            }
            // The record's positions and bytes kept (its triggers refuse
            // only changes and removals; the next position is the greatest
            // plus one, so it follows them).
            let insert = tx.prepare(
                "INSERT INTO study_event (seq, at, study, text) VALUES ($1, $2, $3, $4)",
            )?;
            for e in &events {
                tx.execute(&insert, &[&e.seq, &e.at_ms, &e.study, &e.text])?;
            }
            Ok(())
        })
        .await
    }
}

/// The accounts of ballots kept by HMAC: every account id up to `last` is
/// tried in each study that has ballots. A ballot no id gives is an error:
/// left out, its voter could vote again.
fn voters(
    s: &Sealer,
    ballots: Vec<(String, Vec<u8>)>,
    last: i64,
) -> Result<Vec<Ballot>, StoreError> {
    let mut by_study: std::collections::BTreeMap<String, std::collections::HashSet<Vec<u8>>> =
        Default::default();
    for (study, voter) in ballots {
        by_study.entry(study).or_default().insert(voter);
    }
    let mut out = Vec::new();
    for (study, mut left) in by_study {
        for account_id in 1..=last {
            if left.is_empty() {
                break;
            }
            if left.remove(&voter(s, &study, account_id)) {
                out.push(Ballot {
                    study: study.clone(),
                    account_id,
                });
            }
        }
        if !left.is_empty() {
            return Err(StoreError::Io(format!(
                "{} ballot(s) of the study {study} name no account of the directory",
                left.len()
            )));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comparison_sealed_before_cohorts_were_still_reads() {
        // What `put_comparison` sealed before: the JSON alone, as a JSON string.
        let old = serde_json::to_vec(r#"{"contributors":3}"#).unwrap();
        assert!(matches!(
            serde_json::from_slice(&old).unwrap(),
            ComparisonStored::Json(json) if json == r#"{"contributors":3}"#
        ));
        let new = serde_json::to_vec(&ComparisonSealed {
            cohort: "flat-2-gas".into(),
            json: "{}".into(),
        })
        .unwrap();
        assert!(matches!(
            serde_json::from_slice(&new).unwrap(),
            ComparisonStored::WithCohort(c) if c.cohort == "flat-2-gas" && c.json == "{}"
        ));
    }
}

//! What the host keeps of collective studies: each study's description (the
//! studies service's JSON, read and changed only through it), the ballots
//! (who voted, never how: a secret ballot counted once), who takes part,
//! who may propose or decide, and the public record of every decision,
//! append-only.

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// One entry of the public record of decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyEvent {
    /// Position in the record, from 1.
    pub seq: i64,
    pub at_ms: i64,
    pub study: String,
    /// What happened, in one line meant for the public (no resident named).
    pub text: String,
}

/// A resident taking part in a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    pub study: String,
    pub pod: String,
    pub consent_id: String,
    pub joined_ms: i64,
}

/// A study as the registry keeps it (in a [`StudiesDump`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyRecord {
    pub id: String,
    /// The studies service's JSON, as it was last written.
    pub json: String,
    pub created_ms: i64,
}

/// That an account voted in a study (never how).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ballot {
    pub study: String,
    pub account_id: i64,
}

/// A role of an account (`researcher`, `steward`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyRole {
    pub account_id: i64,
    pub role: String,
}

/// The comparison of similar households of a month for one cohort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparison {
    pub month: String,
    pub cohort: String,
    /// The service's JSON.
    pub json: String,
}

/// Every record of the studies' registry, in plain (decrypted) values, for
/// copying an installation from one engine to the other (`selfdata
/// migrate`). Each list in an order that does not depend on the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudiesDump {
    /// By id.
    pub studies: Vec<StudyRecord>,
    /// By study, then account.
    pub ballots: Vec<Ballot>,
    /// By study, then pod.
    pub participants: Vec<Participant>,
    /// By account, then role.
    pub roles: Vec<StudyRole>,
    /// By month, then cohort.
    pub comparisons: Vec<Comparison>,
    /// The public record, by position.
    pub events: Vec<StudyEvent>,
}

impl StudiesDump {
    /// Puts every list in the dump's order.
    pub(crate) fn sort(&mut self) {
        self.studies.sort_by(|a, b| a.id.cmp(&b.id));
        self.ballots
            .sort_by(|a, b| (&a.study, a.account_id).cmp(&(&b.study, b.account_id)));
        self.participants
            .sort_by(|a, b| (&a.study, &a.pod).cmp(&(&b.study, &b.pod)));
        self.roles
            .sort_by(|a, b| (a.account_id, &a.role).cmp(&(b.account_id, &b.role)));
        self.comparisons
            .sort_by(|a, b| (&a.month, &a.cohort).cmp(&(&b.month, &b.cohort)));
        self.events.sort_by_key(|e| e.seq);
    }
}

#[async_trait::async_trait]
pub trait StudyRegistry: Send + Sync {
    /// Keeps a new study; `false` if the id is taken.
    async fn insert_study(&self, id: &str, json: &str) -> Result<bool, StoreError>;
    async fn study(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// Every study's JSON, newest first.
    async fn studies(&self) -> Result<Vec<String>, StoreError>;
    /// Changes a study atomically: `change` gets its JSON and returns the new
    /// one (or refuses, and nothing changes). `false` if there is no such study.
    async fn update_study(
        &self,
        id: &str,
        change: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError>;
    /// Counts one ballot: the account is marked as having voted and the
    /// study's tally changed by `count` (which gets the JSON) in one
    /// transaction; how the account voted is not kept. `false` if it voted
    /// already.
    async fn cast_ballot(
        &self,
        study: &str,
        account_id: i64,
        count: &(dyn Fn(String) -> Result<String, StoreError> + Send + Sync),
    ) -> Result<bool, StoreError>;
    async fn has_voted(&self, study: &str, account_id: i64) -> Result<bool, StoreError>;
    /// How many members may vote: every account not suspended.
    async fn voting_members(&self) -> Result<u64, StoreError>;
    /// Records a participant (again: the consent record's id is updated).
    async fn join_study(&self, participant: &Participant) -> Result<(), StoreError>;
    /// `false` if the pod was not taking part.
    async fn leave_study(&self, study: &str, pod: &str) -> Result<bool, StoreError>;
    async fn participants(&self, study: &str) -> Result<Vec<Participant>, StoreError>;
    async fn participation(
        &self,
        study: &str,
        pod: &str,
    ) -> Result<Option<Participant>, StoreError>;
    /// Forgets an erased pod's participations.
    async fn forget_participant(&self, pod: &str) -> Result<(), StoreError>;
    /// Gives or takes a role (`researcher`, `steward`) to an account.
    async fn set_study_role(&self, account_id: i64, role: &str, on: bool)
    -> Result<(), StoreError>;
    async fn study_roles(&self, account_id: i64) -> Result<Vec<String>, StoreError>;
    /// Appends to the public record; returns the entry's position.
    async fn record_study_event(
        &self,
        at_ms: i64,
        study: &str,
        text: &str,
    ) -> Result<i64, StoreError>;
    /// The whole record, oldest first.
    async fn study_events(&self) -> Result<Vec<StudyEvent>, StoreError>;
    /// Keeps the comparison of similar households of a month for one cohort
    /// (the service's JSON), replacing an earlier one.
    async fn put_comparison(&self, month: &str, cohort: &str, json: &str)
    -> Result<(), StoreError>;
    async fn comparison(&self, month: &str, cohort: &str) -> Result<Option<String>, StoreError>;

    /// Every record of the registry, for copying an installation between engines (`selfdata migrate`).
    async fn dump(&self) -> Result<StudiesDump, StoreError>;
    /// Loads a dump into an empty registry, keeping every id and order (the
    /// studies' public record keeps its sequence numbers and bytes exactly, so
    /// its signed tree heads still verify; the next entry follows them);
    /// refused, nothing written, when the registry already holds something.
    /// Ballots keep their account ids: the accounts are loaded with theirs.
    async fn load(&self, dump: &StudiesDump) -> Result<(), StoreError>;
}

pub(crate) const STUDIES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS study (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS study_ballot (
    study TEXT NOT NULL,
    account_id INTEGER NOT NULL,
    PRIMARY KEY (study, account_id)
);
CREATE TABLE IF NOT EXISTS study_participant (
    study TEXT NOT NULL,
    pod TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    joined INTEGER NOT NULL,
    PRIMARY KEY (study, pod)
);
CREATE INDEX IF NOT EXISTS study_participant_pod ON study_participant(pod);
CREATE TABLE IF NOT EXISTS study_role (
    account_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (account_id, role)
);
CREATE TABLE IF NOT EXISTS comparison (
    month TEXT NOT NULL,
    cohort TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (month, cohort)
);
-- The public record of decisions, append-only: the triggers refuse any
-- change or deletion, whatever code runs the SQL.
CREATE TABLE IF NOT EXISTS study_event (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    study TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS study_event_no_update BEFORE UPDATE ON study_event
BEGIN SELECT RAISE(ABORT, 'the record of study decisions is append-only'); END;
CREATE TRIGGER IF NOT EXISTS study_event_no_delete BEFORE DELETE ON study_event
BEGIN SELECT RAISE(ABORT, 'the record of study decisions is append-only'); END;
";

//! The host directory: who the people and apps are, independent of any pod.
//!
//! Accounts (email, password hash, optional TOTP secret), login sessions,
//! invitation codes, OIDC clients (registered apps and the client
//! credentials residents create for scripts), grants (an app authorised by
//! a resident on the consent screen), token families (every access and
//! refresh token belongs to one, so revoking it ends them all at once) and
//! the provider's signing keys, password-reset secrets, and the app
//! directory the operator curates for residents ([`ListedApp`]). Secrets are never stored: only their SHA-256
//! (tokens, codes) or an argon2id hash (passwords, computed by the caller).

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A resident's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: i64,
    pub email: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret, when the second factor is on.
    pub totp_secret: Option<String>,
    pub created_ms: i64,
    pub failed_logins: i64,
    /// Login refused until then (ms since the epoch), after repeated failures.
    pub locked_until_ms: i64,
    /// Since when the operator has suspended the account (no sign-in, no
    /// token), if they have.
    pub suspended_ms: Option<i64>,
    /// The e-mail notices the resident asked for (a set of bits the
    /// identity provider defines; 0: none).
    pub notices: i64,
}

/// One thing an operator did, as the append-only audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorAction {
    /// Its place in the log (from 1; 0 before it is recorded).
    pub seq: i64,
    pub at_ms: i64,
    /// The operator's e-mail address, or `command line` for the host's CLI.
    pub operator: String,
    /// What was done: [`OperatorAction::SUSPEND`] and its siblings.
    pub action: String,
    /// The resident's account it concerns, if one.
    pub account_id: Option<i64>,
    /// The pod it concerns, if one.
    pub pod: Option<String>,
    /// The particulars (a quota, a reason, an app's Client ID), in the
    /// operator's words or as a value; never a secret.
    pub detail: String,
}

impl OperatorAction {
    pub const SUSPEND: &'static str = "account.suspend";
    pub const RESTORE: &'static str = "account.restore";
    pub const LIFT_LOCKOUTS: &'static str = "account.lift_lockouts";
    pub const RESET_CODE: &'static str = "account.reset_code";
    pub const QUOTA: &'static str = "pod.quota";
    pub const INVITE: &'static str = "invite.create";
    pub const APP_LIST: &'static str = "app.list";
    pub const APP_REMOVE: &'static str = "app.remove";
    pub const HOLDER: &'static str = "holder.change";

    /// An action about to be recorded (its place and time given by the log).
    pub fn new(operator: &str, action: &str, detail: impl Into<String>) -> Self {
        Self {
            seq: 0,
            at_ms: 0,
            operator: operator.to_owned(),
            action: action.to_owned(),
            account_id: None,
            pod: None,
            detail: detail.into(),
        }
    }

    /// The resident's account it concerns.
    pub fn on_account(mut self, account_id: i64) -> Self {
        self.account_id = Some(account_id);
        self
    }

    /// The pod it concerns.
    pub fn on_pod(mut self, pod: &str) -> Self {
        self.pod = Some(pod.to_owned());
        self
    }
}

/// A login session of the web interface (the cookie holds the secret, the store its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: [u8; 32],
    pub account_id: i64,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
    /// Whether the second factor was checked (or is off).
    pub complete: bool,
    /// Whether a second factor was checked when this session began (a
    /// session begun with the password alone, before the second factor was
    /// turned on, has none).
    pub second_factor: bool,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// What kind of OIDC client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientKind {
    /// Registered dynamically (RFC 7591) by an app.
    Registered,
    /// Client credentials a resident or data holder created for a script.
    Credentials,
}

/// An OIDC client known to this provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub kind: ClientKind,
    /// SHA-256 of the client secret, for confidential clients.
    pub secret_hash: Option<[u8; 32]>,
    pub name: String,
    pub logo_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    /// For client credentials: the WebID the tokens speak for.
    pub webid: Option<String>,
    /// For client credentials: the account that created them.
    pub account_id: Option<i64>,
    pub created_ms: i64,
}

/// An app the operator lists in the directory residents browse: who it is
/// (from its Client ID Document), and what it reads and writes in a pod and
/// why, in the operator's plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedApp {
    /// Its Client ID (the URL of its Client ID Document).
    pub client_id: String,
    pub name: String,
    pub logo_uri: Option<String>,
    /// Where a resident starts using it (its `client_uri`).
    pub start_url: String,
    pub description: String,
    pub reads: Vec<AppUse>,
    pub writes: Vec<AppUse>,
    pub added_ms: i64,
}

/// A part of a pod an app uses, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUse {
    /// A path inside the pod (`/selfdata/energy/`).
    pub path: String,
    pub why: String,
}

/// A resident's authorisation of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub account_id: i64,
    pub webid: String,
    pub client_id: String,
    pub client_name: String,
    pub scope: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// A chain of tokens issued together (one login of an app, one client-credentials exchange).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFamily {
    pub id: String,
    pub webid: String,
    pub client_id: String,
    pub grant_id: Option<String>,
    /// The login session it was issued under, if any.
    pub session_hash: Option<[u8; 32]>,
    /// SHA-256 of the current refresh token, if any.
    pub refresh_hash: Option<[u8; 32]>,
    pub refresh_expires_ms: i64,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// A signing key of the provider, stored as a private JWK.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub private_jwk: String,
    pub created_ms: i64,
    pub retired_ms: Option<i64>,
}

/// Everything a directory holds, for copying an installation between
/// engines (`selfdata migrate`): every table's rows as the engine means them.
///
/// Values are plain (opened where an engine seals them); secrets stay as
/// they are kept (hashes of tokens and codes, argon2id PHC strings of
/// passwords, base32 TOTP secrets, private JWKs). Each list is in the order
/// of its key ([`DirectoryDump::sort`]), so two dumps of the same records
/// are equal whichever engine made them. The pods' own tables (pods, their
/// keys, tombstones, resources, backups) are not in it: they are copied
/// another way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryDump {
    /// By id.
    pub accounts: Vec<Account>,
    /// The operator's accounts, by account id.
    pub operators: Vec<OperatorRecord>,
    /// The audit log, by place.
    pub operator_actions: Vec<OperatorAction>,
    /// By pod.
    pub pod_owners: Vec<PodOwnerRecord>,
    /// By code hash.
    pub invites: Vec<InviteRecord>,
    /// By id hash.
    pub sessions: Vec<Session>,
    /// By Client ID.
    pub clients: Vec<Client>,
    /// By id.
    pub grants: Vec<Grant>,
    /// By Client ID.
    pub listed_apps: Vec<ListedApp>,
    /// By id.
    pub token_families: Vec<TokenFamily>,
    /// By kid.
    pub signing_keys: Vec<StoredKey>,
    /// DPoP key bindings of token families, by family id.
    pub family_keys: Vec<FamilyKeyRecord>,
    /// Refresh secrets rotated away, by hash.
    pub spent_refreshes: Vec<SpentRefreshRecord>,
    /// Remembered one-time DPoP proofs, by key.
    pub dpop_proofs: Vec<ProofRecord>,
    /// By secret hash.
    pub password_resets: Vec<PasswordResetRecord>,
}

impl DirectoryDump {
    /// Puts every list in the order of its key.
    pub fn sort(&mut self) {
        self.accounts.sort_by_key(|a| a.id);
        self.operators.sort_by_key(|o| o.account_id);
        self.operator_actions.sort_by_key(|a| a.seq);
        self.pod_owners.sort_by(|a, b| a.pod.cmp(&b.pod));
        self.invites.sort_by_key(|i| i.code_hash);
        self.sessions.sort_by_key(|s| s.id_hash);
        self.clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        self.grants.sort_by(|a, b| a.id.cmp(&b.id));
        self.listed_apps
            .sort_by(|a, b| a.client_id.cmp(&b.client_id));
        self.token_families.sort_by(|a, b| a.id.cmp(&b.id));
        self.signing_keys.sort_by(|a, b| a.kid.cmp(&b.kid));
        self.family_keys
            .sort_by(|a, b| a.family_id.cmp(&b.family_id));
        self.spent_refreshes.sort_by_key(|r| r.hash);
        self.dpop_proofs.sort_by(|a, b| a.key.cmp(&b.key));
        self.password_resets.sort_by_key(|r| r.secret_hash);
    }
}

/// An account that is one of the operator's, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorRecord {
    pub account_id: i64,
    pub since_ms: i64,
}

/// The account a pod belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodOwnerRecord {
    pub pod: String,
    pub account_id: i64,
}

/// An invitation code (its SHA-256), and when it was made and used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteRecord {
    pub code_hash: [u8; 32],
    pub created_ms: i64,
    pub used_ms: Option<i64>,
}

/// The thumbprint of the DPoP key a token family is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyKeyRecord {
    pub family_id: String,
    pub jkt: String,
}

/// A refresh secret (its SHA-256) a family had and rotated away, kept until
/// `expires_ms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentRefreshRecord {
    pub hash: [u8; 32],
    pub family_id: String,
    pub expires_ms: i64,
}

/// A one-time DPoP proof key (`jkt:jti`) remembered until `expires_s`
/// (seconds since the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofRecord {
    pub key: String,
    pub expires_s: i64,
}

/// A password-reset secret (its SHA-256) for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordResetRecord {
    pub secret_hash: [u8; 32],
    pub account_id: i64,
    pub expires_ms: i64,
    pub used_ms: Option<i64>,
}

/// The refusal of [`Directory::load`] into a directory that holds accounts.
pub(crate) fn not_empty() -> StoreError {
    StoreError::Io(
        "the directory holds accounts already: a dump is loaded only into an empty one (nothing was written)"
            .into(),
    )
}

/// What revoking affects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeScope<'a> {
    Family(&'a str),
    Grant(&'a str),
    Session(&'a [u8; 32]),
    Client(&'a str),
    /// Everything tied to a WebID (its pod was erased): every token family
    /// and grant speaking for it, and the client credentials that act as it
    /// (deleted, not only revoked, so their secrets never work again).
    WebId(&'a str),
    /// Every token family speaking for a WebID, and nothing else (its
    /// owner changed their password: apps sign in again, keys stay).
    FamiliesOf(&'a str),
}

/// Storage of the host directory.
#[async_trait::async_trait]
pub trait Directory: Send + Sync + 'static {
    async fn create_account(&self, email: &str, password_hash: &str)
    -> Result<Account, StoreError>;
    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, StoreError>;
    async fn account(&self, id: i64) -> Result<Option<Account>, StoreError>;
    async fn set_password(&self, id: i64, password_hash: &str) -> Result<(), StoreError>;
    async fn set_totp(&self, id: i64, secret: Option<&str>) -> Result<(), StoreError>;
    /// Records a failed login; returns the new failure count.
    async fn login_failed(&self, id: i64, locked_until_ms: i64) -> Result<i64, StoreError>;
    async fn login_succeeded(&self, id: i64) -> Result<(), StoreError>;

    /// Makes an account one of the operator's, or no longer one.
    async fn set_operator(&self, account_id: i64, operator: bool) -> Result<(), StoreError>;
    /// Whether an account is one of the operator's.
    async fn is_operator(&self, account_id: i64) -> Result<bool, StoreError>;
    /// The operator's accounts, by e-mail address.
    async fn operators(&self) -> Result<Vec<Account>, StoreError>;
    /// Accounts whose e-mail address contains `query` (every account when
    /// empty), by address, at most `limit`; and how many match in all.
    async fn find_accounts(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<(Vec<Account>, u64), StoreError>;
    /// The e-mail notices an account asked for.
    async fn set_notices(&self, account_id: i64, notices: i64) -> Result<(), StoreError>;
    /// Suspends an account since `since_ms`, or lifts its suspension (`None`).
    async fn set_suspended(&self, account_id: i64, since_ms: Option<i64>)
    -> Result<(), StoreError>;
    /// Appends to the operator's audit log (and writes the action to the
    /// server's log); returns the action's place. The log only grows: the
    /// database refuses any change or removal.
    async fn record_operator_action(&self, action: &OperatorAction) -> Result<i64, StoreError>;
    /// The newest `limit` actions, newest first: every one, or those
    /// concerning one account.
    async fn operator_actions(
        &self,
        concerning: Option<i64>,
        limit: usize,
    ) -> Result<Vec<OperatorAction>, StoreError>;

    async fn set_pod_owner(&self, pod: &str, account_id: i64) -> Result<(), StoreError>;
    async fn pods_of(&self, account_id: i64) -> Result<Vec<String>, StoreError>;
    async fn pod_owner(&self, pod: &str) -> Result<Option<i64>, StoreError>;

    async fn create_invite(&self, code_hash: [u8; 32]) -> Result<(), StoreError>;
    /// Marks an unused invitation as used; false if unknown or used.
    async fn use_invite(&self, code_hash: [u8; 32]) -> Result<bool, StoreError>;
    /// How many invitations were made, and how many of them are unused.
    async fn invites(&self) -> Result<(u64, u64), StoreError>;

    async fn put_session(&self, session: &Session) -> Result<(), StoreError>;
    async fn session(&self, id_hash: [u8; 32]) -> Result<Option<Session>, StoreError>;
    async fn delete_session(&self, id_hash: [u8; 32]) -> Result<(), StoreError>;

    async fn put_client(&self, client: &Client) -> Result<(), StoreError>;
    async fn client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
    async fn delete_client(&self, client_id: &str) -> Result<(), StoreError>;
    async fn credentials_of(&self, account_id: i64) -> Result<Vec<Client>, StoreError>;

    async fn put_grant(&self, grant: &Grant) -> Result<(), StoreError>;
    async fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError>;
    async fn grants_of(&self, account_id: i64) -> Result<Vec<Grant>, StoreError>;

    async fn put_family(&self, family: &TokenFamily) -> Result<(), StoreError>;
    async fn family(&self, id: &str) -> Result<Option<TokenFamily>, StoreError>;
    /// Replaces the refresh token of a family only if `old` is still its current one.
    async fn rotate_refresh(
        &self,
        id: &str,
        old: [u8; 32],
        new: [u8; 32],
        expires_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Revokes token families (and, for `Grant`, the grant) now; returns the revoked family ids.
    async fn revoke(&self, scope: RevokeScope<'_>, now_ms: i64) -> Result<Vec<String>, StoreError>;
    /// Families revoked since `since_ms` (to rebuild the in-memory revocation list).
    async fn revoked_since(&self, since_ms: i64) -> Result<Vec<String>, StoreError>;

    async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    async fn put_signing_key(&self, key: &StoredKey) -> Result<(), StoreError>;
    async fn retire_signing_keys_except(&self, kid: &str, now_ms: i64) -> Result<(), StoreError>;

    /// Binds a token family to the thumbprint (RFC 7638) of its DPoP key.
    async fn set_family_key(&self, id: &str, jkt: &str) -> Result<(), StoreError>;
    /// The DPoP key thumbprint a token family is bound to, if any.
    async fn family_key(&self, id: &str) -> Result<Option<String>, StoreError>;
    /// [`Directory::rotate_refresh`] that also remembers `old` as a spent
    /// secret of the family until `expires_ms` (so that its reuse, and only
    /// its reuse, can be told from a guess), and forgets spent secrets
    /// expired before `now_ms`.
    async fn rotate_refresh_remembering(
        &self,
        id: &str,
        old: [u8; 32],
        new: [u8; 32],
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Whether `hash` is a refresh secret the family had and rotated away.
    async fn refresh_spent(&self, id: &str, hash: [u8; 32]) -> Result<bool, StoreError>;
    /// Remembers a one-time DPoP proof key (`jkt:jti`) until `expires_s`, so a
    /// restart does not forget it.
    async fn remember_proof(&self, key: &str, expires_s: i64) -> Result<(), StoreError>;
    /// Spends a one-time DPoP proof key (`jkt:jti`) for every server
    /// sharing this directory: `false` when it was spent already and has
    /// not expired by `now_s`; kept until `expires_s`.
    async fn spend_proof(&self, key: &str, now_s: i64, expires_s: i64) -> Result<bool, StoreError>;
    /// Counts one attempt of `key` (a client address…) in `group` (what it
    /// tries: a sign-up, an account) within the fixed window of
    /// `window_ms` holding `now_ms`, for every server sharing this
    /// directory; returns the attempts of that key counted in that window,
    /// this one included. Counts of windows older than a day are forgotten.
    async fn count_attempt(
        &self,
        group: &str,
        key: &str,
        window_ms: i64,
        now_ms: i64,
    ) -> Result<u64, StoreError>;
    /// The attempts of `key` in `group` counted in the window of
    /// `window_ms` holding `at_ms`.
    async fn attempts(
        &self,
        group: &str,
        key: &str,
        window_ms: i64,
        at_ms: i64,
    ) -> Result<u64, StoreError>;
    /// Forgets the attempts of `key` in `group`, or of every key of the
    /// group when `key` is `None`.
    async fn forget_attempts(&self, group: &str, key: Option<&str>) -> Result<(), StoreError>;
    /// Keeps an authorization code (its SHA-256) for the token endpoint of
    /// any server sharing this directory: `record` is the provider's own
    /// description of it, `webid` whom it speaks for. Only engines shared
    /// by several servers keep codes; one server keeps them in memory.
    async fn put_code(
        &self,
        hash: [u8; 32],
        webid: &str,
        record: &str,
        expires_s: i64,
    ) -> Result<(), StoreError> {
        let _ = (hash, webid, record, expires_s);
        Err(StoreError::Io(
            "this storage engine does not keep authorization codes".into(),
        ))
    }
    /// Takes an authorization code, once: its record if it was kept and
    /// not taken before (expired ones are forgotten on the way).
    async fn take_code(&self, hash: [u8; 32], now_s: i64) -> Result<Option<String>, StoreError> {
        let _ = (hash, now_s);
        Err(StoreError::Io(
            "this storage engine does not keep authorization codes".into(),
        ))
    }
    /// Forgets every code speaking for `webid` (its pod was erased).
    async fn forget_codes_of(&self, webid: &str) -> Result<(), StoreError> {
        let _ = webid;
        Ok(())
    }
    /// The remembered proof keys not expired at `now_s`, with their expiry
    /// (expired ones are deleted).
    async fn remembered_proofs(&self, now_s: i64) -> Result<Vec<(String, i64)>, StoreError>;
    /// Ends every login session of an account but `keep`; returns the ended sessions' hashes.
    async fn delete_sessions_of(
        &self,
        account_id: i64,
        keep: Option<[u8; 32]>,
    ) -> Result<Vec<[u8; 32]>, StoreError>;
    /// Stores a password-reset secret (its SHA-256) for an account, usable once until `expires_ms`.
    async fn create_password_reset(
        &self,
        secret_hash: [u8; 32],
        account_id: i64,
        expires_ms: i64,
    ) -> Result<(), StoreError>;
    /// Spends a password-reset secret: the account it was for, if it is
    /// known, unused and unexpired. Every other reset of that account is spent too.
    async fn use_password_reset(
        &self,
        secret_hash: [u8; 32],
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError>;

    /// Adds an app to the directory, or replaces its entry.
    async fn put_listed_app(&self, app: &ListedApp) -> Result<(), StoreError>;
    /// The directory, by name.
    async fn listed_apps(&self) -> Result<Vec<ListedApp>, StoreError>;
    async fn listed_app(&self, client_id: &str) -> Result<Option<ListedApp>, StoreError>;
    /// Takes an app out of the directory; whether it was there.
    async fn remove_listed_app(&self, client_id: &str) -> Result<bool, StoreError>;

    /// Every record of the directory (accounts with their secrets, sessions,
    /// clients, grants, token families, signing keys, pod owners, invitations,
    /// password resets, remembered DPoP proofs, the operator's log, listed apps…).
    async fn dump(&self) -> Result<DirectoryDump, StoreError>;
    /// Loads a dump into an empty directory, keeping every id, so that what
    /// refers to them (sessions to accounts, the log's order…) holds; refused
    /// (nothing written) when the directory already holds an account.
    async fn load(&self, dump: &DirectoryDump) -> Result<(), StoreError>;
}

pub(crate) const DIRECTORY_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS account (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    totp_secret TEXT,
    created INTEGER NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0
);
-- What the operators did (format 2), append-only: the triggers refuse
-- any change or removal.
CREATE TABLE IF NOT EXISTS operator_action (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    operator TEXT NOT NULL,
    action TEXT NOT NULL,
    account_id INTEGER,
    pod TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS operator_action_account ON operator_action(account_id, seq);
CREATE TRIGGER IF NOT EXISTS operator_action_kept BEFORE UPDATE ON operator_action
BEGIN SELECT RAISE(ABORT, 'the operator audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS operator_action_not_removed BEFORE DELETE ON operator_action
BEGIN SELECT RAISE(ABORT, 'the operator audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS operator (
    account_id INTEGER PRIMARY KEY REFERENCES account(id),
    since INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pod_owner (
    pod TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES account(id)
);
CREATE TABLE IF NOT EXISTS invite (
    code_hash BLOB PRIMARY KEY,
    created INTEGER NOT NULL,
    used INTEGER
);
CREATE TABLE IF NOT EXISTS session (
    id_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL,
    csrf TEXT NOT NULL,
    complete INTEGER NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS client (
    client_id TEXT PRIMARY KEY,
    account_id INTEGER,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS client_account ON client(account_id);
CREATE TABLE IF NOT EXISTS grant_ (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL,
    webid TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_name TEXT NOT NULL,
    scope TEXT NOT NULL,
    created INTEGER NOT NULL,
    revoked INTEGER
);
CREATE INDEX IF NOT EXISTS grant_account ON grant_(account_id);
CREATE TABLE IF NOT EXISTS listed_app (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS token_family (
    id TEXT PRIMARY KEY,
    webid TEXT NOT NULL,
    client_id TEXT NOT NULL,
    grant_id TEXT,
    session_hash BLOB,
    refresh_hash BLOB,
    refresh_expires INTEGER NOT NULL,
    created INTEGER NOT NULL,
    revoked INTEGER
);
CREATE INDEX IF NOT EXISTS family_grant ON token_family(grant_id);
CREATE INDEX IF NOT EXISTS family_session ON token_family(session_hash);
CREATE INDEX IF NOT EXISTS family_client ON token_family(client_id);
CREATE INDEX IF NOT EXISTS family_revoked ON token_family(revoked) WHERE revoked IS NOT NULL;
CREATE TABLE IF NOT EXISTS signing_key (
    kid TEXT PRIMARY KEY,
    private_jwk TEXT NOT NULL,
    created INTEGER NOT NULL,
    retired INTEGER
);
CREATE TABLE IF NOT EXISTS family_key (
    family_id TEXT PRIMARY KEY,
    jkt TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refresh_spent (
    hash BLOB PRIMARY KEY,
    family_id TEXT NOT NULL,
    expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_spent_expires ON refresh_spent(expires);
CREATE TABLE IF NOT EXISTS dpop_proof (
    key TEXT PRIMARY KEY,
    expires INTEGER NOT NULL
);
-- Attempts counted per fixed window (rate limits and lockouts shared by
-- every server of a store; with one server, they are kept in memory).
CREATE TABLE IF NOT EXISTS attempt (
    grp TEXT NOT NULL,
    key TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (grp, key, window_start)
);
CREATE TABLE IF NOT EXISTS password_reset (
    secret_hash BLOB PRIMARY KEY,
    account_id INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    used INTEGER
);
CREATE INDEX IF NOT EXISTS password_reset_account ON password_reset(account_id);
";

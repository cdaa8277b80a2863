//! Accounts, sign-in pages and the Solid-OIDC provider, over HTTP.
//!
//! [`Idp`] holds the provider's state (signing keys, DPoP replay cache,
//! revoked token families, pending authorization codes) and implements
//! [`selfdata_solid::Authenticator`], so the pod server asks it who a request
//! speaks for. [`Idp::routes`] serves:
//! - `/.well-known/openid-configuration`, `/idp/jwks`, `/idp/register`,
//!   `/idp/authorize` (with the consent screen), `/idp/token` ([`provider`]);
//! - `/account/…`: sign-up, sign-in, sign-out, the account page with the
//!   apps allowed, keys for scripts, password and two-step sign-in ([`pages`]);
//!   the password reset by mailed link or operator code ([`reset`]).
//!
//! Persistence goes through [`selfdata_store::Directory`]; token crypto
//! through `selfdata-oidc`.

pub mod accounts;
pub mod apps;
pub mod cid;
pub mod console;
pub mod i18n;
pub mod notices;
pub mod operate;
pub mod pages;
pub mod provider;
mod qr;
pub mod reset;
pub mod residents;
mod rs;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::{get, post};
use parking_lot::{Mutex, RwLock};
use selfdata_oidc::{KeySet, ReplayCache, SigningKey};
use selfdata_store::directory::StoredKey;
use selfdata_store::{Backend, Directory, ReservedNames, StoreError};

/// Who may create an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignupMode {
    /// Anyone.
    #[default]
    Open,
    /// Anyone with an invitation code from the operator.
    Invite,
    /// Only the operator, with the command line.
    Closed,
}

impl std::str::FromStr for SignupMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Self::Open),
            "invite" => Ok(Self::Invite),
            "closed" | "operator" => Ok(Self::Closed),
            other => Err(format!(
                "'{other}' is not a sign-up mode (open, invite, closed)"
            )),
        }
    }
}

/// Settings of the identity provider.
#[derive(Debug, Clone)]
pub struct IdpConfig {
    /// Where the identity provider and the resident pages answer (the
    /// issuer), without a trailing slash.
    pub base_url: String,
    /// Where the pods live, without a trailing slash: the same as `base_url`
    /// unless the operator puts pods and pages on separate origins.
    pub pods_url: String,
    pub signup: SignupMode,
    /// Lifetime of access and ID tokens, seconds.
    pub access_token_secs: i64,
    /// Lifetime of refresh tokens, seconds.
    pub refresh_token_secs: i64,
    /// Lifetime of a login session, seconds.
    pub session_secs: i64,
    /// Failed logins before an account is locked for a while.
    pub max_failed_logins: i64,
    /// How long a locked account stays locked, seconds.
    pub lockout_secs: i64,
    /// Login attempts allowed per client address per minute.
    pub login_attempts_per_minute: u32,
    /// Allow `http:` Client ID Documents and loopback addresses (tests and
    /// development); otherwise only `https:` on public addresses.
    pub allow_http_client_ids: bool,
    /// Other Solid-OIDC issuers whose tokens the pods accept (for WebIDs
    /// hosted elsewhere that name them). Empty by default: only this server's.
    pub trusted_issuers: Vec<String>,
    /// Dynamic client registrations allowed per client address per hour.
    pub registrations_per_hour_per_address: u32,
    /// Dynamic client registrations allowed on the whole host per hour.
    pub registrations_per_hour: u32,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: u32,
    /// Pods one account may own.
    pub pods_per_account: usize,
    /// Where password-reset links are mailed from; without it, the operator
    /// issues one-time codes (`selfdata account reset-code`).
    pub smtp: Option<reset::SmtpRelay>,
}

impl IdpConfig {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            pods_url: base_url.trim_end_matches('/').to_owned(),
            signup: SignupMode::Open,
            access_token_secs: 3600,
            refresh_token_secs: 30 * 24 * 3600,
            session_secs: 7 * 24 * 3600,
            max_failed_logins: 5,
            lockout_secs: 15 * 60,
            login_attempts_per_minute: 20,
            allow_http_client_ids: false,
            trusted_issuers: Vec::new(),
            registrations_per_hour_per_address: 20,
            registrations_per_hour: 1000,
            signups_per_hour: 10,
            pods_per_account: 5,
            smtp: None,
        }
    }

    /// The issuer identifier: the base URL with a trailing slash.
    pub fn issuer(&self) -> String {
        format!("{}/", self.base_url)
    }

    /// Cookies are `Secure` when the server is reached over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// A pending authorization code (kept in memory for its short life).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub webid: String,
    pub grant_id: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub session_hash: [u8; 32],
    pub auth_time: i64,
    pub expires: i64,
}

/// The identity provider and resource-server authenticator.
pub struct Idp {
    pub(crate) config: IdpConfig,
    pub(crate) directory: Arc<dyn Directory>,
    pub(crate) pods: Arc<dyn Backend>,
    pub(crate) keys: RwLock<KeySet>,
    /// When the signing keys were last read from the directory (see
    /// [`Idp::reload_keys`]).
    keys_read: Mutex<std::time::Instant>,
    pub(crate) replay: ReplayCache,
    pub(crate) verified: selfdata_oidc::VerifiedTokenCache,
    pub(crate) revoked: RwLock<HashSet<String>>,
    pub(crate) codes: Mutex<HashMap<[u8; 32], AuthCode>>,
    pub(crate) limiter: accounts::RateLimiter,
    pub(crate) guard: accounts::LoginGuard,
    pub(crate) issuers: rs::IssuerCache,
    pub(crate) remote_keys: rs::RemoteKeys,
    pub(crate) http: reqwest::Client,
    /// Client ID Documents, fetched within the fence of [`cid`].
    pub(crate) cid: cid::Fetcher,
    /// Dynamic registrations per client address, and on the whole host.
    pub(crate) registrations: provider::Registrations,
    /// DPoP proofs made before this second are refused: the first whole
    /// second after the provider started (see [`Idp::fresh_proof`]).
    pub(crate) proofs_since: i64,
    /// Names no new pod may take: the first segments of every route of the
    /// server, given once at start ([`Idp::reserve_pod_names`]).
    pub(crate) reserved: std::sync::OnceLock<ReservedNames>,
    /// What the operator's monitoring counts.
    pub(crate) counters: Counters,
}

/// Counts since the provider started, for the operator's monitoring.
#[derive(Debug, Default)]
pub struct Counters {
    /// Sign-ins refused: a wrong password or code, a locked-out source, too
    /// many attempts (a password right but a code still to give is not one).
    pub sign_in_failures: std::sync::atomic::AtomicU64,
    /// Access tokens signed, whatever the grant.
    pub tokens_issued: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Idp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Idp").field("config", &self.config).finish()
    }
}

/// Why a DPoP proof was not taken.
#[derive(Debug)]
pub(crate) enum ProofRefused {
    /// Refused for good: make a new proof (a 401, or the token endpoint's 400).
    Invalid(&'static str),
    /// The store could not spend it (the database away): try again (a 503).
    Store(StoreError),
}

/// Seconds since the Unix epoch.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Idp {
    /// Loads (or creates, the first time) the signing keys and the list of
    /// revoked token families.
    pub async fn open(
        config: IdpConfig,
        directory: Arc<dyn Directory>,
        pods: Arc<dyn Backend>,
    ) -> Result<Arc<Self>, StoreError> {
        selfdata_site::use_hsts(config.secure_cookies());
        let keys = load_keys(directory.as_ref()).await?;
        let since = (now() - config.refresh_token_secs.max(config.access_token_secs)) * 1000;
        let revoked: HashSet<String> = directory.revoked_since(since).await?.into_iter().collect();
        let proofs_since = wait_for_next_second().await;
        let replay = ReplayCache::new(REPLAY_TTL_SECS, 1_000_000);
        // Shared with other servers: the store is where proofs are spent
        // (`fresh_proof`), nothing to load.
        if !pods.is_shared() {
            for (key, until) in directory.remembered_proofs(now()).await? {
                replay.remember_until(&key, until, now());
            }
        }
        let cid = cid::Fetcher::new(config.allow_http_client_ids)
            .map_err(|e| StoreError::Io(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Arc::new(Self {
            config,
            directory,
            pods,
            keys: RwLock::new(keys),
            keys_read: Mutex::new(std::time::Instant::now()),
            replay,
            verified: selfdata_oidc::VerifiedTokenCache::new(100_000),
            revoked: RwLock::new(revoked),
            codes: Mutex::new(HashMap::new()),
            limiter: accounts::RateLimiter::default(),
            guard: accounts::LoginGuard::default(),
            issuers: rs::IssuerCache::default(),
            remote_keys: rs::RemoteKeys::default(),
            http,
            cid,
            registrations: provider::Registrations::default(),
            proofs_since,
            reserved: std::sync::OnceLock::new(),
            counters: Counters::default(),
        }))
    }

    /// What the operator's monitoring counts.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Spends a verified DPoP proof in memory: refused if it was made
    /// before this provider started or was seen before. Then call
    /// [`Idp::remember_proof`] once the request is known to be genuine.
    ///
    /// Replays survive a restart without a write per request: the in-memory
    /// cache forgets everything on restart, so any proof whose `iat` is
    /// before [`Idp::open`] returned is refused (`open` waits for the next
    /// whole second, so a proof dated the second of the restart cannot have
    /// been seen by the previous process). What the previous process could
    /// have accepted after that second are proofs dated ahead of its clock
    /// (up to the allowed future skew): those, and only those, are written
    /// to the host directory and reloaded at start.
    ///
    /// When several servers share the store ([`Backend::is_shared`]), the
    /// store is where a proof is spent, once for all of them (a proof
    /// accepted by one is refused by every other, and by a restarted one):
    /// a write per request, instead of the restart rule above.
    pub(crate) async fn fresh_proof(
        &self,
        proof: &selfdata_oidc::VerifiedProof,
    ) -> Result<(), ProofRefused> {
        const REPLAYED: &str = "This DPoP proof was used before; make a new one for each request.";
        let shared = self.pods.is_shared();
        if !shared && proof.iat < self.proofs_since {
            return Err(ProofRefused::Invalid(
                "This DPoP proof was made before the server started; make a new one.",
            ));
        }
        let key = proof.replay_key();
        let now = now();
        // Shared: spent in the store first, so that a proof the store could
        // not take (a 503) may be sent again, and only then in memory.
        if shared
            && !self
                .directory
                .spend_proof(&key, now, now + REPLAY_TTL_SECS)
                .await
                .map_err(ProofRefused::Store)?
        {
            return Err(ProofRefused::Invalid(REPLAYED));
        }
        if !self.replay.check_and_insert(&key, now) {
            return Err(ProofRefused::Invalid(REPLAYED));
        }
        Ok(())
    }

    /// Writes a spent proof dated ahead of our clock to the host directory,
    /// so that a restart does not forget it (see [`Idp::fresh_proof`]).
    /// Called only for genuine requests, so anonymous callers cannot grow the table.
    pub(crate) async fn remember_proof(
        &self,
        proof: &selfdata_oidc::VerifiedProof,
    ) -> Result<(), StoreError> {
        let now = now();
        if proof.iat <= now || self.pods.is_shared() {
            // Shared: spent in the store already by `fresh_proof`.
            return Ok(());
        }
        self.directory
            .remember_proof(&proof.replay_key(), now + REPLAY_TTL_SECS)
            .await
    }

    /// Reads the signing keys again when other servers share the store and
    /// the last read is older than a second: a token signed by a key
    /// another server made (two starting at once on an empty database) or
    /// a rotation made while this one runs verifies here too. Returns
    /// whether the keys were read again.
    pub(crate) async fn reload_keys(&self) -> bool {
        if !self.pods.is_shared() {
            return false;
        }
        {
            let mut read = self.keys_read.lock();
            if read.elapsed() < std::time::Duration::from_secs(1) {
                return false;
            }
            *read = std::time::Instant::now();
        }
        match load_keys(self.directory.as_ref()).await {
            Ok(keys) => {
                *self.keys.write() = keys;
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "reading the signing keys again failed");
                false
            }
        }
    }

    /// Keeps an authorization code until the app redeems it: in the store
    /// when other servers share it (the app's token request may reach any
    /// of them), else in memory.
    pub(crate) async fn keep_code(&self, code: &str, pending: AuthCode) -> Result<(), StoreError> {
        let hash = selfdata_oidc::token_hash(code);
        if self.pods.is_shared() {
            let record = serde_json::to_string(&pending)
                .map_err(|e| StoreError::Io(format!("an authorization code: {e}")))?;
            return self
                .directory
                .put_code(hash, &pending.webid, &record, pending.expires)
                .await;
        }
        self.codes.lock().insert(hash, pending);
        Ok(())
    }

    /// Takes an authorization code, once, wherever it was kept.
    pub(crate) async fn take_code(&self, code: &str) -> Result<Option<AuthCode>, StoreError> {
        let hash = selfdata_oidc::token_hash(code);
        if self.pods.is_shared() {
            return match self.directory.take_code(hash, now()).await? {
                Some(record) => serde_json::from_str(&record)
                    .map(Some)
                    .map_err(|e| StoreError::Io(format!("an authorization code: {e}"))),
                None => Ok(None),
            };
        }
        Ok(self.codes.lock().remove(&hash))
    }

    /// Whether a token family was revoked: known here at once when this
    /// server revoked it; when several servers share the store, asked of
    /// the store, so a revocation on one cuts access on every other at the
    /// next request (a failure to ask counts as revoked).
    pub(crate) async fn family_revoked(&self, id: &str) -> Result<bool, StoreError> {
        if self.revoked.read().contains(id) {
            return Ok(true);
        }
        if !self.pods.is_shared() {
            return Ok(false);
        }
        Ok(self
            .directory
            .family(id)
            .await?
            .is_some_and(|family| family.revoked_ms.is_some()))
    }

    pub fn config(&self) -> &IdpConfig {
        &self.config
    }

    /// Accounts, sessions and grants (for the built-in services' pages).
    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
    }

    /// Revokes token families now, in storage and for the very next request.
    pub async fn revoke(
        &self,
        scope: selfdata_store::directory::RevokeScope<'_>,
    ) -> Result<(), StoreError> {
        let ids = self.directory.revoke(scope, now() * 1000).await?;
        self.revoked.write().extend(ids);
        Ok(())
    }

    /// Revokes an app a resident allowed, the one way both the account page
    /// and "who has what on me" do it: the grant is marked revoked, its
    /// token families end (in storage and for the very next request), and
    /// its consent record in the pod says consent was withdrawn.
    ///
    /// `Ok(None)`: the grant is not a live grant of `account_id` (unknown,
    /// someone else's, or already revoked), and nothing changed. A consent
    /// record that cannot be written is logged, not returned: the app has
    /// already lost its access.
    pub async fn revoke_app(
        &self,
        account_id: i64,
        grant_id: &str,
    ) -> Result<Option<selfdata_store::directory::Grant>, StoreError> {
        let grant = match self.directory.grant(grant_id).await? {
            Some(g) if g.account_id == account_id && g.revoked_ms.is_none() => g,
            _ => return Ok(None),
        };
        self.revoke(selfdata_store::directory::RevokeScope::Grant(&grant.id))
            .await?;
        if let Err(e) = self.record_app_withdrawal(&grant).await {
            tracing::error!(error = %e, "recording a consent withdrawal failed");
        }
        Ok(Some(grant))
    }

    /// Names no new pod may take: every route's first segment, given by the
    /// binary once it knows them all; a second call changes nothing.
    pub fn reserve_pod_names(&self, names: ReservedNames) {
        let _ = self.reserved.set(names);
    }

    /// The names given at start; until then, the provider's own roots.
    pub fn reserved_pod_names(&self) -> ReservedNames {
        match self.reserved.get() {
            Some(names) => names.clone(),
            None => ReservedNames::new(ROUTE_ROOTS.iter().copied()),
        }
    }

    /// Every route of the provider and the account pages: each starts with
    /// one of [`ROUTE_ROOTS`].
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(provider::discovery),
            )
            .route("/idp/jwks", get(provider::jwks))
            .route("/idp/register", post(provider::register))
            .route(
                "/idp/authorize",
                get(provider::authorize).post(provider::decide),
            )
            .route("/idp/token", post(provider::token))
            .route("/account", get(pages::account))
            .route(
                "/account/signup",
                get(pages::signup_form).post(pages::signup),
            )
            .route("/account/login", get(pages::login_form).post(pages::login))
            .route("/account/logout", post(pages::logout))
            .route("/account/password", post(pages::change_password))
            .route("/account/totp", post(pages::totp_start))
            .route("/account/totp/confirm", post(pages::totp_confirm))
            .route("/account/totp/disable", post(pages::totp_disable))
            .route("/account/grants/revoke", post(pages::revoke_grant))
            .route("/account/notices", post(pages::set_notices))
            .route("/account/apps", get(pages::apps))
            .route("/account/apps/stop", post(pages::stop_app))
            .route("/app/operator/apps", get(console::show).post(console::list))
            .route("/app/operator/apps/remove", post(console::remove))
            .route("/app/operator/residents", get(residents::list))
            .route(
                "/app/operator/residents/{id}",
                get(residents::show).post(residents::act),
            )
            .route("/app/operator/invites", post(residents::invite))
            .route("/app/operator/audit", get(residents::audit))
            .route("/account/credentials", post(pages::create_credentials))
            .route(
                "/account/credentials/delete",
                post(pages::delete_credentials),
            )
            .route(
                "/account/forgot",
                get(reset::forgot_form).post(reset::forgot),
            )
            .route("/account/reset", get(reset::reset_form).post(reset::reset))
            .with_state(self.clone())
    }
}

/// How long a DPoP proof's id is remembered (longer than a proof is acceptable).
const REPLAY_TTL_SECS: i64 = 600;

/// Sleeps until the next whole second and returns it.
async fn wait_for_next_second() -> i64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let next = ms / 1000 + 1;
    tokio::time::sleep(std::time::Duration::from_millis(
        (next * 1000 - ms + 5) as u64,
    ))
    .await;
    next
}

async fn load_keys(directory: &dyn Directory) -> Result<KeySet, StoreError> {
    let stored = directory.signing_keys().await?;
    let mut current = None;
    let mut previous = Vec::new();
    for key in stored {
        let parsed = SigningKey::from_private_jwk_json(&key.private_jwk)
            .map_err(|e| StoreError::Io(format!("a stored signing key is unreadable: {e}")))?;
        if key.retired_ms.is_none() && current.is_none() {
            current = Some(parsed);
        } else {
            previous.push(parsed);
        }
    }
    let current = match current {
        Some(k) => k,
        None => {
            let key = SigningKey::generate();
            directory
                .put_signing_key(&StoredKey {
                    kid: key.kid().to_owned(),
                    private_jwk: key.to_private_jwk_json(),
                    created_ms: now() * 1000,
                    retired_ms: None,
                })
                .await?;
            key
        }
    };
    Ok(KeySet::new(current, previous))
}

/// Makes a new signing key current; older keys still verify tokens they signed.
pub async fn rotate_keys(directory: &dyn Directory) -> Result<String, StoreError> {
    let key = SigningKey::generate();
    directory
        .put_signing_key(&StoredKey {
            kid: key.kid().to_owned(),
            private_jwk: key.to_private_jwk_json(),
            created_ms: now() * 1000 + 1,
            retired_ms: None,
        })
        .await?;
    directory
        .retire_signing_keys_except(key.kid(), now() * 1000)
        .await?;
    Ok(key.kid().to_owned())
}

/// The first path segments of the provider's and the account pages' routes
/// ([`Idp::routes`]), which no pod may be named.
pub const ROUTE_ROOTS: &[&str] = &[".well-known", "idp", "account"];

/// The account page's entry in the site's menu.
/// The app directory's entry in the site's menu.
pub const APPS_MENU: selfdata_site::MenuEntry = selfdata_site::MenuEntry {
    href: "/account/apps",
    label: selfdata_site::Say::new("Applications", "Apps"),
};

pub const ACCOUNT_MENU: selfdata_site::MenuEntry = selfdata_site::MenuEntry {
    href: "/account",
    label: selfdata_site::Say::new("Votre compte", "Your account"),
};

/// The site kit asks the provider who is signed in.
#[async_trait::async_trait]
impl selfdata_site::Sessions for Idp {
    async fn signed_in(
        &self,
        headers: &axum::http::HeaderMap,
    ) -> Option<(
        selfdata_store::directory::Session,
        selfdata_store::directory::Account,
    )> {
        self.session(headers).await
    }

    async fn pods_of(
        &self,
        account: &selfdata_store::directory::Account,
    ) -> Result<Vec<String>, StoreError> {
        self.directory.pods_of(account.id).await
    }

    async fn is_operator(
        &self,
        account: &selfdata_store::directory::Account,
    ) -> Result<bool, StoreError> {
        self.directory.is_operator(account.id).await
    }
}

/// A new single-use invitation code (only its hash is stored).
pub async fn new_invite(directory: &dyn Directory) -> Result<String, StoreError> {
    let code = selfdata_oidc::random_token()[..16].to_owned();
    directory
        .create_invite(selfdata_oidc::token_hash(&code))
        .await?;
    Ok(code)
}

//! Accounts: password hashing (argon2id with the OWASP parameters), login
//! with lockout per (source address, account) and per-address rate limiting,
//! TOTP, login sessions held in an HttpOnly cookie, CSRF tokens for every
//! form, and the checks every name a person types goes through (e-mail
//! addresses compared after NFC and lowercasing; no invisible or
//! direction-changing characters anywhere).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, HeaderValue, header};
use parking_lot::Mutex;
use selfdata_oidc::{random_token, token_hash};
use selfdata_store::directory::{Account, Session};
use unicode_normalization::UnicodeNormalization;

use crate::{Idp, now};

const SESSION_COOKIE: &str = "sd_session";
const CSRF_COOKIE: &str = "sd_csrf";
pub const MIN_PASSWORD_LEN: usize = 10;

/// argon2id, m = 19 MiB, t = 2, p = 1 (the OWASP recommendation).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid fixed argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a PHC string (constant time inside argon2).
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            argon2()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Checks a 6-digit TOTP code (30 s steps, one step of skew).
pub fn totp_matches(secret_base32: &str, code: &str) -> bool {
    let Ok(secret) = totp_rs::Secret::Encoded(secret_base32.to_owned()).to_bytes() else {
        return false;
    };
    let totp = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret,
        None,
        String::new(),
    );
    totp.check_current(code.trim()).unwrap_or(false)
}

/// A new TOTP secret (base32) and its `otpauth://` URI for the app.
pub fn new_totp(email: &str) -> (String, String) {
    let secret = totp_rs::Secret::generate_secret();
    let encoded = secret.to_encoded().to_string();
    let uri = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_bytes().unwrap_or_default(),
        Some("selfdata".to_owned()),
        email.to_owned(),
    )
    .get_url();
    (encoded, uri)
}

/// Why a login was refused (the page shows one sentence for all but lockout).
#[derive(Debug, PartialEq, Eq)]
pub enum LoginError {
    Wrong,
    Locked,
    /// The operator suspended the account (said only to whoever knows its password).
    Suspended,
    TooManyAttempts,
    NeedCode,
}

/// Budgets of attempts per key (a client address, an e-mail) per window.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32, u64)>>,
}

impl RateLimiter {
    /// Spends one attempt for `key`; false once the minute's budget is spent.
    pub fn allow(&self, key: &str, per_minute: u32) -> bool {
        self.allow_within(key, per_minute, 60)
    }

    /// Spends one attempt for `key`; false once `budget` attempts were made
    /// in the current window of `window_secs`.
    pub fn allow_within(&self, key: &str, budget: u32, window_secs: u64) -> bool {
        let mut windows = self.windows.lock();
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _, window)| start.elapsed().as_secs() < *window);
        }
        let entry = windows
            .entry(key.to_owned())
            .or_insert((Instant::now(), 0, window_secs));
        if entry.0.elapsed().as_secs() >= entry.2 {
            *entry = (Instant::now(), 0, window_secs);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= budget
    }
}

/// Failed sign-ins per (source address, e-mail address). An address that
/// fails too often for one account is locked out of that account for a
/// while; the resident, elsewhere, is not. Unknown addresses are counted
/// and locked exactly like real accounts, so answers tell nothing apart.
#[derive(Default)]
pub struct LoginGuard {
    entries: Mutex<HashMap<(String, String), Failures>>,
}

#[derive(Clone, Copy)]
struct Failures {
    count: i64,
    last: Instant,
    locked_until: Option<Instant>,
}

impl LoginGuard {
    const MAX_ENTRIES: usize = 100_000;

    fn locked(&self, source: &str, email: &str) -> bool {
        let entries = self.entries.lock();
        entries
            .get(&(source.to_owned(), email.to_owned()))
            .and_then(|f| f.locked_until)
            .is_some_and(|until| until > Instant::now())
    }

    /// Counts a failure; locks the pair once `max` failures came within `lock`.
    fn failed(&self, source: &str, email: &str, max: i64, lock: Duration) {
        let mut entries = self.entries.lock();
        let now = Instant::now();
        if entries.len() >= Self::MAX_ENTRIES {
            entries.retain(|_, f| {
                f.locked_until.is_some_and(|u| u > now) || now.duration_since(f.last) < lock
            });
            if entries.len() >= Self::MAX_ENTRIES {
                // Still full: forget the failures that locked nothing.
                entries.retain(|_, f| f.locked_until.is_some_and(|u| u > now));
            }
        }
        let f = entries
            .entry((source.to_owned(), email.to_owned()))
            .or_insert(Failures {
                count: 0,
                last: now,
                locked_until: None,
            });
        if now.duration_since(f.last) >= lock || f.locked_until.is_some_and(|u| u <= now) {
            f.count = 0;
            f.locked_until = None;
        }
        f.count += 1;
        f.last = now;
        if f.count >= max.max(1) {
            f.locked_until = Some(now + lock);
            f.count = 0;
        }
    }

    fn succeeded(&self, source: &str, email: &str) {
        self.entries
            .lock()
            .remove(&(source.to_owned(), email.to_owned()));
    }

    /// Lifts every lockout of an account (after its password was reset).
    pub fn unlock(&self, email: &str) {
        self.entries.lock().retain(|(_, e), _| e != email);
    }
}

impl Idp {
    /// Spends one attempt of `key` (`"signup 1.2.3.4"`…); false once
    /// `budget` attempts were made in the current window of `window_secs`.
    /// Counted in the store when other servers share it (an attacker
    /// spreading attempts over the servers gets one budget), else in memory.
    pub(crate) async fn allow(&self, key: &str, budget: u32, window_secs: u64) -> bool {
        if self.pods.is_shared() {
            match self
                .directory
                .count_attempt(key, "", window_secs as i64 * 1000, crate::now() * 1000)
                .await
            {
                Ok(n) => return n <= u64::from(budget),
                Err(e) => tracing::warn!(error = %e, "counting an attempt in the store failed"),
            }
        }
        self.limiter.allow_within(key, budget, window_secs)
    }

    /// Whether `source` is locked out of the account `email`: in the
    /// store when shared (a lockout holds on every server), else in memory.
    async fn login_locked(&self, source: &str, email: &str, lock: Duration) -> bool {
        if self.pods.is_shared() {
            let (window, now) = (lock.as_millis() as i64, crate::now() * 1000);
            let group = format!("login {email}");
            let max = self.config.max_failed_logins.max(1) as u64;
            for at in [now, now - window] {
                match self.directory.attempts(&group, source, window, at).await {
                    Ok(n) if n >= max => return true,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "reading failed sign-ins failed"),
                }
            }
            return false;
        }
        self.guard.locked(source, email)
    }

    async fn login_failed_from(&self, source: &str, email: &str, lock: Duration) {
        if self.pods.is_shared() {
            let group = format!("login {email}");
            if let Err(e) = self
                .directory
                .count_attempt(&group, source, lock.as_millis() as i64, crate::now() * 1000)
                .await
            {
                tracing::warn!(error = %e, "counting a failed sign-in failed");
            }
            return;
        }
        self.guard
            .failed(source, email, self.config.max_failed_logins, lock);
    }

    async fn login_succeeded_from(&self, source: &str, email: &str) {
        if self.pods.is_shared() {
            let _ = self
                .directory
                .forget_attempts(&format!("login {email}"), Some(source))
                .await;
        }
        self.guard.succeeded(source, email);
    }

    /// Lifts every lockout of an account (its password was reset, the help
    /// desk lifted them), on every server.
    pub(crate) async fn unlock_logins(&self, email: &str) {
        if self.pods.is_shared()
            && let Err(e) = self
                .directory
                .forget_attempts(&format!("login {email}"), None)
                .await
        {
            tracing::warn!(error = %e, "lifting lockouts in the store failed");
        }
        self.guard.unlock(email);
    }

    /// Checks email, password and (if on) TOTP code; counts failures and
    /// locks this source out of this account (never the account itself).
    /// Unknown accounts take the same time and get the same answers.
    pub async fn check_login(
        &self,
        client_key: &str,
        email: &str,
        password: &str,
        totp: &str,
    ) -> Result<Account, LoginError> {
        let checked = self
            .check_login_once(client_key, email, password, totp)
            .await;
        if matches!(&checked, Err(e) if !matches!(e, LoginError::NeedCode)) {
            self.counters
                .sign_in_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        checked
    }

    async fn check_login_once(
        &self,
        client_key: &str,
        email: &str,
        password: &str,
        totp: &str,
    ) -> Result<Account, LoginError> {
        if !self
            .allow(client_key, self.config.login_attempts_per_minute, 60)
            .await
        {
            return Err(LoginError::TooManyAttempts);
        }
        let email = normalize_email(email).unwrap_or_else(|| email.trim().to_owned());
        let lock = Duration::from_secs(self.config.lockout_secs.max(1) as u64);
        if self.login_locked(client_key, &email, lock).await {
            return Err(LoginError::Locked);
        }
        let account = match self.directory.account_by_email(&email).await {
            Ok(Some(a)) => a,
            _ => {
                // Same work as a real check, so timing does not reveal accounts.
                let _ = verify_password(password, dummy_hash());
                self.login_failed_from(client_key, &email, lock).await;
                return Err(LoginError::Wrong);
            }
        };
        let password_ok = verify_password(password, &account.password_hash);
        let code_ok = match &account.totp_secret {
            None => true,
            Some(secret) => totp_matches(secret, totp),
        };
        if password_ok && code_ok && account.suspended_ms.is_some() {
            return Err(LoginError::Suspended);
        }
        if password_ok && code_ok {
            self.login_succeeded_from(client_key, &email).await;
            let _ = self.directory.login_succeeded(account.id).await;
            return Ok(account);
        }
        self.login_failed_from(client_key, &email, lock).await;
        if password_ok && totp.trim().is_empty() {
            return Err(LoginError::NeedCode);
        }
        Err(LoginError::Wrong)
    }

    /// Opens a session, `second_factor` saying whether a second factor was
    /// checked to open it; returns the `Set-Cookie` value.
    pub async fn start_session(
        &self,
        account_id: i64,
        second_factor: bool,
    ) -> Result<(Session, String), selfdata_store::StoreError> {
        let secret = random_token();
        let session = Session {
            id_hash: token_hash(&secret),
            account_id,
            csrf: random_token(),
            complete: true,
            second_factor,
            created_ms: now() * 1000,
            expires_ms: (now() + self.config.session_secs) * 1000,
        };
        self.directory.put_session(&session).await?;
        let cookie = self.cookie(SESSION_COOKIE, &secret, self.config.session_secs);
        Ok((session, cookie))
    }

    /// The session of the request's cookie, if valid.
    pub async fn session(&self, headers: &HeaderMap) -> Option<(Session, Account)> {
        let secret = cookie(headers, SESSION_COOKIE)?;
        let session = self.directory.session(token_hash(&secret)).await.ok()??;
        if session.expires_ms < now() * 1000 || !session.complete {
            return None;
        }
        let account = self.directory.account(session.account_id).await.ok()??;
        if account.suspended_ms.is_some() {
            return None;
        }
        Some((session, account))
    }

    /// Ends the request's session and revokes the tokens issued under it.
    pub async fn end_session(&self, headers: &HeaderMap) -> String {
        if let Some(secret) = cookie(headers, SESSION_COOKIE) {
            let hash = token_hash(&secret);
            let _ = self.directory.delete_session(hash).await;
            let _ = self
                .revoke(selfdata_store::directory::RevokeScope::Session(&hash))
                .await;
        }
        self.cookie(SESSION_COOKIE, "", 0)
    }

    /// Ends every session of an account but `keep` and revokes every token
    /// family speaking for its WebIDs (apps, scripts' client-credential
    /// tokens) and pending authorization codes, in storage and for the very
    /// next request. Client
    /// credentials themselves stay: the account page lists them.
    pub async fn end_sessions_and_tokens(
        &self,
        account_id: i64,
        keep: Option<[u8; 32]>,
    ) -> Result<(), selfdata_store::StoreError> {
        let ended = self.directory.delete_sessions_of(account_id, keep).await?;
        for hash in &ended {
            self.revoke(selfdata_store::directory::RevokeScope::Session(hash))
                .await?;
        }
        let base = &self.config.pods_url;
        for pod in self.directory.pods_of(account_id).await? {
            let Ok(pod) = selfdata_store::PodName::parse(&pod) else {
                continue;
            };
            let webid = selfdata_solid::provision::webid_of(base, &pod);
            self.codes.lock().retain(|_, code| code.webid != webid);
            if self.pods.is_shared() {
                self.directory.forget_codes_of(&webid).await?;
            }
            self.revoke(selfdata_store::directory::RevokeScope::FamiliesOf(&webid))
                .await?;
        }
        Ok(())
    }

    /// The anonymous forms' CSRF token: the cookie's, or a new one with its `Set-Cookie`.
    pub fn anonymous_csrf(&self, headers: &HeaderMap) -> (String, Option<String>) {
        match cookie(headers, CSRF_COOKIE) {
            Some(token) if token.len() >= 32 => (token, None),
            _ => {
                let token = random_token();
                let set = self.cookie(CSRF_COOKIE, &token, 3600);
                (token, Some(set))
            }
        }
    }

    /// Double-submit check for anonymous forms: the field equals the cookie.
    pub fn anonymous_csrf_ok(&self, headers: &HeaderMap, field: &str) -> bool {
        cookie(headers, CSRF_COOKIE).is_some_and(|c| c.len() >= 32 && constant_eq(&c, field))
    }

    fn cookie(&self, name: &str, value: &str, max_age: i64) -> String {
        let secure = if self.config.secure_cookies() {
            "; Secure"
        } else {
            ""
        };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
    }
}

pub use selfdata_site::{constant_eq, cookie};

/// The stored hash of the request's session cookie, if it carries one.
pub fn session_hash(headers: &HeaderMap) -> Option<[u8; 32]> {
    cookie(headers, SESSION_COOKIE).map(|secret| token_hash(&secret))
}

/// Adds a `Set-Cookie` header.
pub fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// A valid argon2id hash (same parameters as real ones) of a random
/// password, made once, for equal-time refusals of unknown accounts.
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// Characters that cannot be seen or that reorder text: controls, bidi
/// embeddings, overrides and isolates, zero-width characters, fillers,
/// variation selectors and tags. Refused in every name a person types.
pub fn is_invisible_or_bidi(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}'
            | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

/// An e-mail address as accounts are compared: trimmed, NFC, lowercase.
/// `None` when it holds spaces, invisible or bidi characters, or has no
/// `local@domain` shape (or more than 254 bytes).
pub fn normalize_email(raw: &str) -> Option<String> {
    let lower = raw.trim().nfc().collect::<String>().to_lowercase();
    let email: String = lower.nfc().collect();
    if email.len() > 254
        || email
            .chars()
            .any(|c| c.is_whitespace() || is_invisible_or_bidi(c))
    {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    (!local.is_empty() && !domain.is_empty() && !domain.contains('@')).then_some(email)
}

/// A display name (of a key, an app) as stored: trimmed and NFC. `None`
/// when it holds invisible or bidi characters or more than `max_chars`.
pub fn clean_name(raw: &str, max_chars: usize) -> Option<String> {
    let name: String = raw.trim().nfc().collect();
    (name.chars().count() <= max_chars && !name.chars().any(is_invisible_or_bidi)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dummy_hash_takes_the_same_argon2_path_as_real_hashes() {
        let parsed = PasswordHash::new(dummy_hash()).unwrap();
        let real = hash_password("a password of the resident").unwrap();
        let real = PasswordHash::new(&real).unwrap();
        assert_eq!(parsed.algorithm, real.algorithm);
        assert_eq!(parsed.params, real.params);
        assert!(!verify_password("anything", dummy_hash()));
    }

    #[test]
    fn email_twins_normalise_to_one_address() {
        let nfc = normalize_email("Jos\u{e9}@Example.org").unwrap();
        let nfd = normalize_email(" jose\u{301}@example.ORG ").unwrap();
        assert_eq!(nfc, nfd);
        assert_eq!(
            normalize_email("\u{c9}LISE@example.org"),
            normalize_email("\u{e9}lise@example.org")
        );
    }

    #[test]
    fn invisible_and_bidi_characters_are_refused_in_names() {
        for bad in [
            "ali\u{200b}ce@example.org",
            "alice@exa\u{202e}gro.elpmaxe",
            "alice\u{2066}@example.org",
            "al ice@example.org",
            "alice@",
            "@example.org",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad:?}");
        }
        assert_eq!(clean_name("backup\u{200d}script", 100), None);
        assert_eq!(clean_name("\u{202e}tpircs", 100), None);
        assert_eq!(
            clean_name("caf\u{65}\u{301}", 100).as_deref(),
            Some("caf\u{e9}")
        );
        assert_eq!(clean_name(&"x".repeat(101), 100), None);
    }

    #[test]
    fn lockout_is_per_source_and_account() {
        let guard = LoginGuard::default();
        let lock = Duration::from_secs(60);
        for _ in 0..5 {
            guard.failed("10.0.0.66", "alice@example.org", 5, lock);
        }
        assert!(guard.locked("10.0.0.66", "alice@example.org"));
        assert!(!guard.locked("10.0.0.1", "alice@example.org"));
        assert!(!guard.locked("10.0.0.66", "bob@example.org"));
        guard.unlock("alice@example.org");
        assert!(!guard.locked("10.0.0.66", "alice@example.org"));
    }
}

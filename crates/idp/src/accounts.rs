//! Accounts: password hashing (argon2id with the OWASP parameters), login
//! with lockout and per-address rate limiting, TOTP, login sessions held in
//! an HttpOnly cookie, and CSRF tokens for every form.

use std::collections::HashMap;
use std::time::Instant;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::{HeaderMap, HeaderValue, header};
use parking_lot::Mutex;
use selfdata_oidc::{random_token, token_hash};
use selfdata_store::directory::{Account, Session};

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
    TooManyAttempts,
    NeedCode,
}

/// A per-address budget of login attempts per minute.
#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Spends one attempt for `key`; false once the minute's budget is spent.
    pub fn allow(&self, key: &str, per_minute: u32) -> bool {
        let mut windows = self.windows.lock();
        if windows.len() > 100_000 {
            windows.retain(|_, (start, _)| start.elapsed().as_secs() < 60);
        }
        let entry = windows.entry(key.to_owned()).or_insert((Instant::now(), 0));
        if entry.0.elapsed().as_secs() >= 60 {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
        entry.1 <= per_minute
    }
}

impl Idp {
    /// Checks email, password and (if on) TOTP code; counts failures and locks.
    pub async fn check_login(
        &self,
        client_key: &str,
        email: &str,
        password: &str,
        totp: &str,
    ) -> Result<Account, LoginError> {
        if !self
            .limiter
            .allow(client_key, self.config.login_attempts_per_minute)
        {
            return Err(LoginError::TooManyAttempts);
        }
        let account = match self.directory.account_by_email(email.trim()).await {
            Ok(Some(a)) => a,
            _ => {
                // Same work as a real check, so timing does not reveal accounts.
                let _ = verify_password(password, DUMMY_HASH);
                return Err(LoginError::Wrong);
            }
        };
        let now_ms = now() * 1000;
        if account.locked_until_ms > now_ms {
            return Err(LoginError::Locked);
        }
        let password_ok = verify_password(password, &account.password_hash);
        let code_ok = match &account.totp_secret {
            None => true,
            Some(secret) => totp_matches(secret, totp),
        };
        if password_ok && code_ok {
            let _ = self.directory.login_succeeded(account.id).await;
            return Ok(account);
        }
        let lock_until = if account.failed_logins + 1 >= self.config.max_failed_logins {
            now_ms + self.config.lockout_secs * 1000
        } else {
            0
        };
        let _ = self.directory.login_failed(account.id, lock_until).await;
        if password_ok && totp.trim().is_empty() {
            return Err(LoginError::NeedCode);
        }
        Err(LoginError::Wrong)
    }

    /// Opens a session; returns the `Set-Cookie` value.
    pub async fn start_session(
        &self,
        account_id: i64,
    ) -> Result<(Session, String), selfdata_store::StoreError> {
        let secret = random_token();
        let session = Session {
            id_hash: token_hash(&secret),
            account_id,
            csrf: random_token(),
            complete: true,
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

/// Compares two secrets without early exit.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

/// Adds a `Set-Cookie` header.
pub fn set_cookie(headers: &mut HeaderMap, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// A valid argon2id hash of a random password, for equal-time refusals.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2VsZmRhdGFkdW1teXNhbHQ$W6Z0bUQG5o1cA2v3qkQ5V0m9YbS2I8dE7O7p7yJ8r0Q";

//! Password reset. "Forgot your password?" takes an e-mail address and
//! always answers the same sentence. With an SMTP relay configured
//! (`serve --smtp-relay host:port --smtp-from addr`), a one-time link is
//! mailed (a random secret, stored only as its SHA-256, usable once for 30
//! minutes); without one, the operator issues a one-time code
//! (`selfdata account reset-code EMAIL`, usable once for 24 hours) that the
//! resident types on the reset page. Setting the new password ends every
//! session and token family of the account and lifts its lockouts.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use selfdata_oidc::{random_token, token_hash};
use selfdata_store::{Directory, StoreError};
use serde::Deserialize;

use crate::accounts::{MIN_PASSWORD_LEN, normalize_email};
use crate::i18n::{Texts, texts};
use selfdata_site::Chrome;

use selfdata_site::PageError;

use crate::pages::{AnonymousForm, anonymous_form_page};
use crate::{Idp, now};

/// How long a mailed link works.
pub const LINK_SECS: i64 = 30 * 60;
/// How long an operator's code works.
pub const CODE_SECS: i64 = 24 * 3600;
/// "Forgot" requests per client address per hour.
const FORGOT_PER_HOUR_PER_ADDRESS: u32 = 10;
/// Mails per account per hour (no one's mailbox is flooded).
const MAILS_PER_HOUR_PER_ACCOUNT: u32 = 3;

/// The SMTP relay reset links are sent through (plain SMTP, upgraded with
/// STARTTLS when the relay offers it): usually the host's own mail server.
#[derive(Debug, Clone)]
pub struct SmtpRelay {
    pub host: String,
    pub port: u16,
    /// The `From` of the messages.
    pub from: lettre::message::Mailbox,
}

/// Why an SMTP relay setting was refused.
#[derive(Debug, thiserror::Error)]
pub enum SmtpConfigError {
    #[error("the SMTP relay must be host:port, not '{0}'")]
    Relay(String),
    #[error("'{0}' is not an e-mail address to send from")]
    From(String),
}

impl SmtpRelay {
    /// Parses `host:port` and the sender's address.
    pub fn new(relay: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let (host, port) = relay
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.trim_matches(['[', ']']), p.parse::<u16>().ok()?)))
            .filter(|(h, _)| !h.is_empty())
            .ok_or_else(|| SmtpConfigError::Relay(relay.to_owned()))?;
        let from = from
            .parse()
            .map_err(|_| SmtpConfigError::From(from.to_owned()))?;
        Ok(Self {
            host: host.to_owned(),
            port,
            from,
        })
    }

    pub(crate) async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), String> {
        use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
        let to: lettre::message::Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| e.to_string())?;
        let tls = lettre::transport::smtp::client::TlsParameters::new(self.host.clone())
            .map_err(|e| e.to_string())?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(lettre::transport::smtp::client::Tls::Opportunistic(tls))
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

/// A new one-time reset code for the account of `email` (for the operator);
/// `None` when no account uses that address.
pub async fn new_reset_code(
    directory: &dyn Directory,
    email: &str,
) -> Result<Option<String>, StoreError> {
    let Some(email) = normalize_email(email) else {
        return Ok(None);
    };
    let Some(account) = directory.account_by_email(&email).await? else {
        return Ok(None);
    };
    let code = random_token()[..20].to_owned();
    directory
        .create_password_reset(token_hash(&code), account.id, (now() + CODE_SECS) * 1000)
        .await?;
    Ok(Some(code))
}

/// Why a new password was not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRefused {
    PasswordTooShort,
    Invalid,
    Failed,
}

impl Idp {
    /// Mails a reset link when an account uses `email`. Everything, the
    /// look-up included, happens in the background, so the answer takes the
    /// same time whether or not the account exists. Says nothing back.
    pub fn request_reset(self: &Arc<Self>, email: &str, t: &'static Texts) {
        let Some(relay) = self.config.smtp.clone() else {
            return;
        };
        let Some(email) = normalize_email(email) else {
            return;
        };
        let idp = self.clone();
        tokio::spawn(async move {
            let Ok(Some(account)) = idp.directory.account_by_email(&email).await else {
                return;
            };
            if !idp
                .allow(
                    &format!("reset mail {}", account.id),
                    MAILS_PER_HOUR_PER_ACCOUNT,
                    3600,
                )
                .await
            {
                return;
            }
            let secret = random_token();
            let expires_ms = (now() + LINK_SECS) * 1000;
            if let Err(e) = idp
                .directory
                .create_password_reset(token_hash(&secret), account.id, expires_ms)
                .await
            {
                tracing::error!(error = %e, "storing a password reset failed");
                return;
            }
            let link = format!("{}/account/reset?token={secret}", idp.config.base_url);
            let body = t.reset_mail_body.replace("{link}", &link);
            if let Err(e) = relay.send(&account.email, t.reset_mail_subject, body).await {
                tracing::warn!(error = %e, "a password-reset message could not be sent");
            }
        });
    }

    /// Spends a reset secret and sets the new password; ends every session
    /// and token family of the account and lifts its lockouts.
    pub async fn reset_password(&self, secret: &str, password: &str) -> Result<(), ResetRefused> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(ResetRefused::PasswordTooShort);
        }
        let secret = secret.trim();
        if secret.is_empty() || secret.len() > 200 {
            return Err(ResetRefused::Invalid);
        }
        let failed = |e: StoreError| {
            tracing::error!(error = %e, "a password reset failed");
            ResetRefused::Failed
        };
        let account_id = self
            .directory
            .use_password_reset(token_hash(secret), now() * 1000)
            .await
            .map_err(failed)?
            .ok_or(ResetRefused::Invalid)?;
        let hash = crate::accounts::hash_password(password).map_err(|e| {
            tracing::error!(error = %e, "hashing a password failed");
            ResetRefused::Failed
        })?;
        self.directory
            .set_password(account_id, &hash)
            .await
            .map_err(failed)?;
        self.end_sessions_and_tokens(account_id, None)
            .await
            .map_err(failed)?;
        if let Ok(Some(account)) = self.directory.account(account_id).await {
            let email = normalize_email(&account.email).unwrap_or(account.email);
            self.unlock_logins(&email).await;
        }
        let _ = self.directory.login_succeeded(account_id).await;
        Ok(())
    }
}

type St = State<Arc<Idp>>;

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    csrf: String,
    mail: bool,
    message: Option<String>,
    error: Option<String>,
}

/// The "forgot your password" page, with a notice or what went wrong.
fn forgot_page(
    idp: &Idp,
    chrome: &Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
) -> Response {
    anonymous_form_page(idp, headers, status, |csrf| {
        ForgotPage {
            chrome: chrome.clone().without_menu(),
            t: texts(headers),
            csrf,
            mail: idp.config.smtp.is_some(),
            message: message.map(str::to_owned),
            error: error.map(str::to_owned),
        }
        .render()
    })
}

pub async fn forgot_form(State(idp): St, chrome: Chrome, headers: HeaderMap) -> Response {
    forgot_page(&idp, &chrome, &headers, StatusCode::OK, None, None)
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn forgot(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AnonymousForm { form: f, client }: AnonymousForm<ForgotForm>,
) -> Result<Response, PageError> {
    let t = texts(&headers);
    let answer =
        |status, message, error| forgot_page(&idp, &chrome, &headers, status, message, error);
    if !idp
        .allow(
            &format!("forgot {client}"),
            FORGOT_PER_HOUR_PER_ADDRESS,
            3600,
        )
        .await
    {
        return Ok(answer(
            StatusCode::TOO_MANY_REQUESTS,
            None,
            Some(t.forgot_too_many),
        ));
    }
    if idp.config.smtp.is_none() {
        return Ok(answer(StatusCode::OK, Some(t.forgot_no_mail), None));
    }
    idp.request_reset(&f.email, t);
    Ok(answer(StatusCode::OK, Some(t.forgot_sent), None))
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    csrf: String,
    from_link: bool,
    secret: String,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

/// The page to set a new password with a code or a mailed link's secret
/// (kept hidden on the page when it came from the link), and what went wrong.
fn reset_page(
    idp: &Idp,
    chrome: &Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    from_link: bool,
    secret: String,
    error: Option<String>,
) -> Response {
    anonymous_form_page(idp, headers, status, |csrf| {
        ResetPage {
            chrome: chrome.clone().without_menu(),
            t: texts(headers),
            csrf,
            from_link,
            secret,
            error,
        }
        .render()
    })
}

pub async fn reset_form(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    Query(q): Query<ResetQuery>,
) -> Response {
    let from_link = !q.token.is_empty();
    reset_page(
        &idp,
        &chrome,
        &headers,
        StatusCode::OK,
        from_link,
        q.token,
        None,
    )
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    password: String,
    /// Set by the link's page (the secret stays hidden on a refusal).
    #[serde(default)]
    from_link: bool,
}

pub async fn reset(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AnonymousForm { form: f, client }: AnonymousForm<ResetForm>,
) -> Result<Response, PageError> {
    let t = texts(&headers);
    let again = |status, error: &str| {
        let (from_link, secret) = (f.from_link, f.secret.clone());
        reset_page(
            &idp,
            &chrome,
            &headers,
            status,
            from_link,
            secret,
            Some(error.to_owned()),
        )
    };
    if !idp
        .allow(
            &format!("reset {client}"),
            idp.config.login_attempts_per_minute,
            60,
        )
        .await
    {
        return Ok(again(StatusCode::TOO_MANY_REQUESTS, t.login_too_many));
    }
    Ok(match idp.reset_password(&f.secret, &f.password).await {
        Ok(()) => crate::pages::login_with_message(&idp, &chrome, &headers, t.reset_done),
        Err(ResetRefused::PasswordTooShort) => again(
            StatusCode::BAD_REQUEST,
            &t.new_password_too_short
                .replace("{n}", &MIN_PASSWORD_LEN.to_string()),
        ),
        // A spent or unknown secret is not offered again.
        Err(ResetRefused::Invalid) => reset_page(
            &idp,
            &chrome,
            &headers,
            StatusCode::BAD_REQUEST,
            false,
            String::new(),
            Some(t.reset_invalid.to_owned()),
        ),
        Err(ResetRefused::Failed) => again(StatusCode::INTERNAL_SERVER_ERROR, t.action_failed),
    })
}

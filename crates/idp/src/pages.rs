//! The resident's pages: sign-up, sign-in, sign-out and the account page
//! (pods and WebIDs, apps allowed with a revoke button, keys for scripts,
//! password change, two-step sign-in). Server-rendered, plain HTML forms,
//! no script; every form carries a CSRF token.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequest, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use selfdata_store::directory::{Account, Client, ClientKind, RevokeScope};
use selfdata_store::{PodName, StoreError};
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub use selfdata_site::page;
use selfdata_site::{Chrome, PageError};

use crate::accounts::{LoginError, MIN_PASSWORD_LEN, set_cookie};
use crate::i18n::{Texts, texts};
use crate::{Idp, SignupMode, now};

type St = State<Arc<Idp>>;

/// An error page with a technical detail that exists only in English (what
/// is wrong with an app): English readers get the detail as the message;
/// others get a sentence in their language and the detail marked as English.
pub(crate) fn error_with_detail(
    t: &Texts,
    status: StatusCode,
    message: &str,
    english_detail: &str,
) -> PageError {
    if t.lang == "en" {
        return PageError::new(status, english_detail.to_owned());
    }
    PageError::new(
        status,
        format!("{message} {} {english_detail}", t.details_in_english),
    )
}

/// Where to go after signing in or up: `to` when it is a same-origin
/// absolute path, else the resident's home page. Accepted only if it is visible
/// ASCII (so it can always become a header as it is), starts with a single
/// `/`, holds no backslash, no control, invisible or bidi character even
/// once percent-decoded (nor whitespace in its path), and resolves, as a
/// relative reference, to a path on this origin (no authority). The answer
/// is rebuilt from that parse.
pub(crate) fn safe_return(to: &str) -> String {
    const HOME: &str = "/";
    let visible = to.bytes().all(|b| b.is_ascii_graphic());
    if !visible || !to.starts_with('/') || to.starts_with("//") || to.contains('\\') {
        return HOME.to_owned();
    }
    let (path, rest) = to.split_at(to.find(['?', '#']).unwrap_or(to.len()));
    let hidden = |part: &str, spaces_ok: bool| {
        // Decode until nothing changes (a few rounds): "%2509" is "%09" is a tab.
        let mut decoded = part.to_owned();
        for _ in 0..4 {
            let next = percent_encoding::percent_decode_str(&decoded)
                .decode_utf8_lossy()
                .into_owned();
            let bad = next.starts_with("//")
                || next.contains('\\')
                || next.chars().any(|c| {
                    crate::accounts::is_invisible_or_bidi(c) || (!spaces_ok && c.is_whitespace())
                });
            if bad {
                return true;
            }
            if next == decoded {
                return false;
            }
            decoded = next;
        }
        true
    };
    if hidden(path, false) || hidden(rest.trim_start_matches(['?', '#']), true) {
        return HOME.to_owned();
    }
    let Ok(base) = reqwest::Url::parse("http://return.invalid/") else {
        return HOME.to_owned();
    };
    match base.join(to) {
        Ok(url) if url.origin() == base.origin() && url.username().is_empty() => {
            let mut path = url.path().to_owned();
            if let Some(q) = url.query() {
                path.push('?');
                path.push_str(q);
            }
            if let Some(f) = url.fragment() {
                path.push('#');
                path.push_str(f);
            }
            path
        }
        _ => HOME.to_owned(),
    }
}

/// A `303 See Other` to [`safe_return`]`(to)`; never builds a header from unchecked bytes.
fn go_back(to: &str) -> Response {
    let location =
        HeaderValue::from_str(&safe_return(to)).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Starts a session for the account and goes back to [`safe_return`]`(to)`
/// with its cookie (after signing in or up).
async fn start_session_and_go_back(
    idp: &Idp,
    account_id: i64,
    second_factor: bool,
    to: &str,
) -> Result<Response, StoreError> {
    let (_, cookie) = idp.start_session(account_id, second_factor).await?;
    let mut r = go_back(to);
    set_cookie(r.headers_mut(), &cookie);
    Ok(r)
}

/// A page with a form for someone not signed in: the form carries the
/// browser's anonymous CSRF token (double submit), set as a cookie with
/// this page when the browser has none yet. `render` draws the page with it.
pub(crate) fn anonymous_form_page(
    idp: &Idp,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> Result<String, askama::Error>,
) -> Response {
    let (csrf, set) = idp.anonymous_csrf(headers);
    let mut r = page(status, render(csrf));
    if let Some(set) = set {
        set_cookie(r.headers_mut(), &set);
    }
    r
}

/// A form posted by someone not signed in (sign-up, sign-in, password
/// reset): read as `Form<T>` (its refusals are the app's problem+json), its
/// `csrf` field then checked against the browser's anonymous token (see
/// [`anonymous_form_page`]); `client` names the sender for rate limits.
pub struct AnonymousForm<T> {
    pub form: T,
    pub client: String,
}

#[derive(Deserialize, Default)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A posted form read as `Form<T>` (its refusals are the app's
/// problem+json), with the request's parts and the form's `csrf` field.
async fn read_form<T: DeserializeOwned>(
    req: Request,
    idp: &Arc<Idp>,
) -> Result<(Parts, T, String), Response> {
    let (parts, body) = req.into_parts();
    let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), idp)
        .await
        .map_err(IntoResponse::into_response)?;
    let again = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
    let Form(form) = Form::<T>::from_request(again, idp)
        .await
        .map_err(IntoResponse::into_response)?;
    let token: CsrfField = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    Ok((parts, form, token.csrf))
}

impl<T: DeserializeOwned> FromRequest<Arc<Idp>> for AnonymousForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, idp: &Arc<Idp>) -> Result<Self, Response> {
        let (parts, form, csrf) = read_form(req, idp).await?;
        if !idp.anonymous_csrf_ok(&parts.headers, &csrf) {
            return Err(PageError::form_expired().into_response());
        }
        let addr = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(Self {
            form,
            client: client_key(addr),
        })
    }
}

/// The client's address (behind the operator's proxies, the one they
/// named: see `selfdata::proxy`); never a header a client may write.
fn client_key(addr: Option<std::net::SocketAddr>) -> String {
    addr.map_or_else(|| "unknown".to_owned(), |a| a.ip().to_string())
}

#[derive(Deserialize, Default)]
pub struct ReturnTo {
    #[serde(default)]
    return_to: String,
}

// ------------------------------------------------------------------ sign-up

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    error: Option<String>,
    closed: bool,
    invite: bool,
    csrf: String,
    return_to: String,
    email: String,
    pod: String,
}

/// The sign-up page with what was typed (nothing the first time) and what to fix.
fn signup_page(
    idp: &Idp,
    chrome: &Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    error: Option<String>,
    typed: &SignupForm,
) -> Response {
    anonymous_form_page(idp, headers, status, |csrf| {
        SignupPage {
            chrome: chrome.clone().without_menu(),
            t: texts(headers),
            error,
            closed: idp.config.signup == SignupMode::Closed,
            invite: idp.config.signup == SignupMode::Invite,
            csrf,
            return_to: safe_return(&typed.return_to),
            email: typed.email.clone(),
            pod: typed.pod.clone(),
        }
        .render()
    })
}

pub async fn signup_form(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Response {
    let typed = SignupForm {
        return_to: q.return_to,
        ..SignupForm::default()
    };
    signup_page(&idp, &chrome, &headers, StatusCode::OK, None, &typed)
}

#[derive(Deserialize, Default)]
pub struct SignupForm {
    email: String,
    password: String,
    pod: String,
    #[serde(default)]
    invite: String,
    #[serde(default)]
    return_to: String,
}

pub async fn signup(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AnonymousForm { form: f, client }: AnonymousForm<SignupForm>,
) -> Result<Response, PageError> {
    let t = texts(&headers);
    if idp.config.signup == SignupMode::Closed {
        return Err(PageError::new(StatusCode::FORBIDDEN, t.signup_closed));
    }
    let again = |status: StatusCode, error: String| {
        signup_page(&idp, &chrome, &headers, status, Some(error), &f)
    };
    if !idp
        .allow(
            &format!("signup {client}"),
            idp.config.signups_per_hour,
            3600,
        )
        .await
    {
        return Ok(again(
            StatusCode::TOO_MANY_REQUESTS,
            t.signup_too_many.to_owned(),
        ));
    }
    Ok(
        match idp.signup(&f.email, &f.password, &f.pod, &f.invite).await {
            Ok(account_id) => start_session_and_go_back(&idp, account_id, false, &f.return_to)
                .await
                .unwrap_or_else(|_| {
                    again(
                        StatusCode::BAD_REQUEST,
                        t.signup_then_login_failed.to_owned(),
                    )
                }),
            Err(refused) => again(StatusCode::BAD_REQUEST, refused.say(t)),
        },
    )
}

/// Why a sign-up was refused; [`SignupRefused::say`] gives the sentence
/// in the resident's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupRefused {
    EmailInvalid,
    PasswordTooShort,
    PodNameInvalid,
    PodNameReserved,
    PodNameTaken,
    AccountExists,
    InviteInvalid,
    Failed,
}

impl SignupRefused {
    pub(crate) fn say(self, t: &Texts) -> String {
        match self {
            Self::EmailInvalid => t.email_invalid.to_owned(),
            Self::PasswordTooShort => t
                .password_too_short
                .replace("{n}", &MIN_PASSWORD_LEN.to_string()),
            Self::PodNameInvalid => t.pod_name_invalid.to_owned(),
            Self::PodNameReserved => t.pod_name_reserved.to_owned(),
            Self::PodNameTaken => t.pod_name_taken.to_owned(),
            Self::AccountExists => t.account_exists.to_owned(),
            Self::InviteInvalid => t.invite_invalid.to_owned(),
            Self::Failed => t.signup_failed.to_owned(),
        }
    }
}

impl Idp {
    /// Creates an account with its first pod; returns the account id or
    /// what to fix.
    pub async fn signup(
        &self,
        email: &str,
        password: &str,
        pod: &str,
        invite: &str,
    ) -> Result<i64, SignupRefused> {
        let Some(email) = crate::accounts::normalize_email(email) else {
            return Err(SignupRefused::EmailInvalid);
        };
        let email = email.as_str();
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(SignupRefused::PasswordTooShort);
        }
        let pod = self
            .reserved_pod_names()
            .new_pod(pod.trim())
            .map_err(|e| match e {
                selfdata_store::NameError::PodNameReserved(_) => SignupRefused::PodNameReserved,
                _ => SignupRefused::PodNameInvalid,
            })?;
        if matches!(self.directory.account_by_email(email).await, Ok(Some(_))) {
            return Err(SignupRefused::AccountExists);
        }
        if self.config.signup == SignupMode::Invite {
            let ok = self
                .directory
                .use_invite(selfdata_oidc::token_hash(invite.trim()))
                .await
                .unwrap_or(false);
            if !ok {
                return Err(SignupRefused::InviteInvalid);
            }
        }
        self.create_account(email, password, &pod)
            .await
            .map_err(|e| match e {
                StoreError::PodExists(_) => SignupRefused::PodNameTaken,
                StoreError::AccountExists(_) => SignupRefused::AccountExists,
                StoreError::Name(_) => SignupRefused::EmailInvalid,
                other => {
                    tracing::error!(error = %other, "sign-up failed");
                    SignupRefused::Failed
                }
            })
    }

    /// Creates an account and its pod (also used by the operator's command line).
    pub async fn create_account(
        &self,
        email: &str,
        password: &str,
        pod: &PodName,
    ) -> Result<i64, StoreError> {
        let email = crate::accounts::normalize_email(email).ok_or(StoreError::Name(
            selfdata_store::NameError::ForbiddenCharacter,
        ))?;
        let hash = crate::accounts::hash_password(password).map_err(StoreError::Io)?;
        if self.pods.pod(pod).await?.is_some() {
            return Err(StoreError::PodExists(pod.to_string()));
        }
        let account = self.directory.create_account(&email, &hash).await?;
        selfdata_solid::provision::create_pod(
            self.pods.as_ref(),
            &self.config.pods_url,
            &self.config.issuer(),
            pod,
        )
        .await?;
        self.own_pod(account.id, pod).await.map_err(|e| match e {
            PodRefused::Store(e) => e,
            quota => StoreError::Rejected(Box::new(quota)),
        })?;
        Ok(account.id)
    }

    /// Makes `pod` one of the account's pods, within the per-account quota
    /// (`pods_per_account`). Every pod an account gains goes through here.
    pub async fn own_pod(&self, account_id: i64, pod: &PodName) -> Result<(), PodRefused> {
        let owned = self.directory.pods_of(account_id).await?;
        if owned.iter().any(|p| p == pod.as_str()) {
            return Ok(());
        }
        if owned.len() >= self.config.pods_per_account {
            return Err(PodRefused::QuotaReached(self.config.pods_per_account));
        }
        self.directory
            .set_pod_owner(pod.as_str(), account_id)
            .await?;
        Ok(())
    }

    /// Creates client credentials speaking for `webid`; returns (client_id, secret).
    pub async fn create_credentials(
        &self,
        account_id: Option<i64>,
        webid: &str,
        name: &str,
    ) -> Result<(String, String), StoreError> {
        let client_id = format!("cc_{}", &selfdata_oidc::random_token()[..22]);
        let secret = selfdata_oidc::random_token();
        self.directory
            .put_client(&Client {
                client_id: client_id.clone(),
                kind: ClientKind::Credentials,
                secret_hash: Some(selfdata_oidc::token_hash(&secret)),
                name: name.to_owned(),
                logo_uri: None,
                redirect_uris: Vec::new(),
                webid: Some(webid.to_owned()),
                account_id,
                created_ms: now() * 1000,
            })
            .await?;
        Ok((client_id, secret))
    }
}

/// Why a pod could not be given to an account.
#[derive(Debug, thiserror::Error)]
pub enum PodRefused {
    #[error("this account already owns the most pods allowed ({0})")]
    QuotaReached(usize),
    #[error(transparent)]
    Store(#[from] StoreError),
}

// ------------------------------------------------------------------ sign-in

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    message: Option<String>,
    error: Option<String>,
    csrf: String,
    return_to: String,
    email: String,
}

/// The sign-in page with what was typed (nothing the first time), and a
/// notice or what went wrong.
fn login_page(
    idp: &Idp,
    chrome: &Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
    typed: &LoginForm,
) -> Response {
    anonymous_form_page(idp, headers, status, |csrf| {
        LoginPage {
            chrome: chrome.clone().without_menu(),
            t: texts(headers),
            message: message.map(str::to_owned),
            error: error.map(str::to_owned),
            csrf,
            return_to: safe_return(&typed.return_to),
            email: typed.email.clone(),
        }
        .render()
    })
}

pub async fn login_form(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Response {
    let typed = LoginForm {
        return_to: q.return_to,
        ..LoginForm::default()
    };
    login_page(&idp, &chrome, &headers, StatusCode::OK, None, None, &typed)
}

/// The sign-in page with a notice (after a password reset).
pub(crate) fn login_with_message(
    idp: &Idp,
    chrome: &Chrome,
    headers: &HeaderMap,
    message: &str,
) -> Response {
    let typed = LoginForm::default();
    login_page(
        idp,
        chrome,
        headers,
        StatusCode::OK,
        Some(message),
        None,
        &typed,
    )
}

#[derive(Deserialize, Default)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    totp: String,
    #[serde(default)]
    return_to: String,
}

pub async fn login(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AnonymousForm { form: f, client }: AnonymousForm<LoginForm>,
) -> Result<Response, PageError> {
    let t = texts(&headers);
    let (status, error) = match idp
        .check_login(&client, &f.email, &f.password, &f.totp)
        .await
    {
        Ok(account) => {
            // A sign-in of an account with a second factor checked its code.
            let second_factor = account.totp_secret.is_some();
            return start_session_and_go_back(&idp, account.id, second_factor, &f.return_to)
                .await
                .map_err(|_| PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.login_failed));
        }
        Err(LoginError::Wrong) => (StatusCode::UNAUTHORIZED, t.login_wrong),
        Err(LoginError::NeedCode) => (StatusCode::UNAUTHORIZED, t.login_need_code),
        Err(LoginError::Locked) => (StatusCode::TOO_MANY_REQUESTS, t.login_locked),
        Err(LoginError::Suspended) => (StatusCode::FORBIDDEN, t.login_suspended),
        Err(LoginError::TooManyAttempts) => (StatusCode::TOO_MANY_REQUESTS, t.login_too_many),
    };
    Ok(login_page(
        &idp,
        &chrome,
        &headers,
        status,
        None,
        Some(error),
        &f,
    ))
}

/// Where someone not signed in is sent from the account page and its forms.
const SIGN_IN_TO_ACCOUNT: &str = "/account/login?return_to=/account";

/// A form posted from the account page by the signed-in resident: read as
/// `Form<T>`, then the session's CSRF token checked; someone not signed in
/// is sent to sign in.
pub struct AccountForm<T> {
    pub account: Account,
    pub form: T,
}

impl<T: DeserializeOwned + Send> FromRequest<Arc<Idp>> for AccountForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, idp: &Arc<Idp>) -> Result<Self, Response> {
        let (parts, form, csrf) = read_form(req, idp).await?;
        let Some((session, account)) = idp.session(&parts.headers).await else {
            return Err(Redirect::to(SIGN_IN_TO_ACCOUNT).into_response());
        };
        if !crate::accounts::constant_eq(&session.csrf, &csrf) {
            return Err(PageError::form_expired().into_response());
        }
        Ok(Self { account, form })
    }
}

/// A form with no field but its CSRF token.
#[derive(Deserialize)]
pub struct NoFields {}

pub async fn logout(State(idp): St, headers: HeaderMap, _: AccountForm<NoFields>) -> Response {
    let cookie = idp.end_session(&headers).await;
    let mut r = Redirect::to("/account/login").into_response();
    set_cookie(r.headers_mut(), &cookie);
    r
}

// ------------------------------------------------------------------ account page

pub struct PodView {
    root: String,
    webid: String,
}

pub struct GrantView {
    id: String,
    name: String,
    client_id: String,
    since: String,
}

impl GrantView {
    fn of(g: &selfdata_store::directory::Grant) -> Self {
        Self {
            since: jiff_date(g.created_ms),
            id: g.id.clone(),
            name: g.client_name.clone(),
            client_id: g.client_id.clone(),
        }
    }
}

pub struct CredentialView {
    name: String,
    client_id: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    email: String,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
    pods: Vec<PodView>,
    grants: Vec<GrantView>,
    credentials: Vec<CredentialView>,
    new_credential: Option<(String, String)>,
    totp_on: bool,
    totp_setup: Option<(String, String)>,
    /// The enrolment's `otpauth://` URI drawn as an inline SVG QR code.
    totp_qr: Option<String>,
    /// What the operator did on this account, newest first.
    operator_actions: Vec<crate::residents::ActionRow>,
    /// Whether the server sends e-mail, and the notices asked for.
    sends_mail: bool,
    notice_operator: bool,
    notice_apps: bool,
}

#[derive(Default)]
struct Extras {
    message: Option<String>,
    error: Option<String>,
    new_credential: Option<(String, String)>,
    totp_setup: Option<(String, String)>,
}

async fn account_page(
    idp: &Idp,
    chrome: Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    extras: Extras,
) -> Response {
    let t = texts(headers);
    let Some((session, account)) = idp.session(headers).await else {
        return Redirect::to(SIGN_IN_TO_ACCOUNT).into_response();
    };
    let base = &idp.config.pods_url;
    let pods = idp
        .directory
        .pods_of(account.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| PodName::parse(&p).ok())
        .map(|p| PodView {
            root: format!("{base}/{p}/"),
            webid: selfdata_solid::provision::webid_of(base, &p),
        })
        .collect();
    let grants = idp
        .directory
        .grants_of(account.id)
        .await
        .unwrap_or_default()
        .iter()
        .filter(|g| g.revoked_ms.is_none())
        .map(GrantView::of)
        .collect();
    let credentials = idp
        .directory
        .credentials_of(account.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| CredentialView {
            name: c.name,
            client_id: c.client_id,
        })
        .collect();
    let lang = chrome.language();
    let operator_actions = idp
        .directory
        .operator_actions(Some(account.id), 50)
        .await
        .unwrap_or_default()
        .iter()
        .map(|a| crate::residents::ActionRow::of(a, lang, None))
        .collect();
    page(
        status,
        AccountPage {
            chrome,
            t,
            email: account.email,
            csrf: session.csrf,
            message: extras.message,
            error: extras.error,
            pods,
            grants,
            credentials,
            new_credential: extras.new_credential,
            totp_on: account.totp_secret.is_some(),
            totp_qr: extras
                .totp_setup
                .as_ref()
                .and_then(|(_, uri)| crate::qr::svg(uri, t.totp_qr)),
            totp_setup: extras.totp_setup,
            operator_actions,
            sends_mail: idp.sends_mail(),
            notice_operator: account.notices & crate::notices::OPERATOR_ACTIONS != 0,
            notice_apps: account.notices & crate::notices::NEW_APP != 0,
        }
        .render(),
    )
}

fn jiff_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

pub async fn account(State(idp): St, chrome: Chrome, headers: HeaderMap) -> Response {
    account_page(&idp, chrome, &headers, StatusCode::OK, Extras::default()).await
}

/// The account page after a form's action: what it did, or why not.
async fn account_answer(
    idp: &Idp,
    chrome: Chrome,
    headers: &HeaderMap,
    done: Result<Extras, String>,
) -> Response {
    let (status, extras) = Extras::after(done);
    account_page(idp, chrome, headers, status, extras).await
}

impl Extras {
    /// A page after a form's action: what it did (200), or why not (400).
    fn after(done: Result<Extras, String>) -> (StatusCode, Extras) {
        match done {
            Ok(extras) => (StatusCode::OK, extras),
            Err(error) => (
                StatusCode::BAD_REQUEST,
                Extras {
                    error: Some(error),
                    ..Extras::default()
                },
            ),
        }
    }

    /// The account page with a notice.
    fn notice(message: String) -> Self {
        Self {
            message: Some(message),
            ..Self::default()
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

pub async fn change_password(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<PasswordForm>,
) -> Response {
    let t = texts(&headers);
    let done: Result<Extras, String> = async {
        if !idp.current_password_ok(&account, &f.current).await {
            return Err(t.current_password_wrong.to_owned());
        }
        if f.new.chars().count() < MIN_PASSWORD_LEN {
            return Err(t
                .new_password_too_short
                .replace("{n}", &MIN_PASSWORD_LEN.to_string()));
        }
        let hash = crate::accounts::hash_password(&f.new).map_err(failed(t))?;
        idp.directory
            .set_password(account.id, &hash)
            .await
            .map_err(failed(t))?;
        let current = crate::accounts::session_hash(&headers);
        idp.end_sessions_and_tokens(account.id, current)
            .await
            .map_err(failed(t))?;
        Ok(Extras::notice(t.password_changed.to_owned()))
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

impl Idp {
    /// The password a signed-in form asks for again (to change it, to turn
    /// two-step sign-in off), with a budget of attempts per account and hour,
    /// so a stolen session cannot be used to guess it.
    async fn current_password_ok(&self, account: &Account, given: &str) -> bool {
        self.allow(&format!("current password {}", account.id), 20, 3600)
            .await
            && crate::accounts::verify_password(given, &account.password_hash)
    }
}

/// Logs what went wrong; the resident reads one sentence in their language.
fn failed<E: std::fmt::Display>(t: &'static Texts) -> impl Fn(E) -> String {
    move |e| {
        tracing::error!(error = %e, "an account action failed");
        t.action_failed.to_owned()
    }
}

pub async fn totp_start(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, .. }: AccountForm<NoFields>,
) -> Response {
    let done: Result<Extras, String> = async {
        Ok(Extras {
            totp_setup: Some(crate::accounts::new_totp(&account.email)),
            ..Extras::default()
        })
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

#[derive(Deserialize)]
pub struct TotpConfirm {
    secret: String,
    code: String,
}

pub async fn totp_confirm(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<TotpConfirm>,
) -> Response {
    let t = texts(&headers);
    let done: Result<Extras, String> = async {
        if !crate::accounts::totp_matches(&f.secret, &f.code) {
            return Err(t.totp_mismatch.to_owned());
        }
        idp.directory
            .set_totp(account.id, Some(&f.secret))
            .await
            .map_err(failed(t))?;
        Ok(Extras::notice(t.totp_on.to_owned()))
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

#[derive(Deserialize)]
pub struct TotpDisableForm {
    #[serde(default)]
    current: String,
}

pub async fn totp_disable(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<TotpDisableForm>,
) -> Response {
    let t = texts(&headers);
    let done: Result<Extras, String> = async {
        if !idp.current_password_ok(&account, &f.current).await {
            return Err(t.current_password_wrong.to_owned());
        }
        idp.directory
            .set_totp(account.id, None)
            .await
            .map_err(failed(t))?;
        Ok(Extras::notice(t.totp_off.to_owned()))
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

#[derive(Deserialize)]
pub struct IdForm {
    id: String,
}

/// The notices' boxes (a ticked box is sent, an unticked one is not).
#[derive(Deserialize)]
pub struct NoticesForm {
    operator: Option<String>,
    apps: Option<String>,
}

/// `POST /account/notices`: the e-mail notices the resident asks for.
pub async fn set_notices(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form }: AccountForm<NoticesForm>,
) -> Response {
    let t = texts(&headers);
    let mut notices = 0;
    if form.operator.is_some() {
        notices |= crate::notices::OPERATOR_ACTIONS;
    }
    if form.apps.is_some() {
        notices |= crate::notices::NEW_APP;
    }
    let done = idp
        .directory
        .set_notices(account.id, notices)
        .await
        .map_err(failed(t))
        .map(|()| Extras::notice(t.notices_saved.to_owned()));
    account_answer(&idp, chrome, &headers, done).await
}

pub async fn revoke_grant(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<IdForm>,
) -> Response {
    let done = revoke(&idp, &account, &f.id, texts(&headers)).await;
    account_answer(&idp, chrome, &headers, done).await
}

/// Revokes one of the resident's apps: what the page then says.
async fn revoke(
    idp: &Idp,
    account: &Account,
    grant: &str,
    t: &'static Texts,
) -> Result<Extras, String> {
    match idp.revoke_app(account.id, grant).await.map_err(failed(t))? {
        Some(g) => Ok(Extras::notice(
            t.app_revoked.replace("{app}", &g.client_name),
        )),
        None => Err(t.app_not_listed.to_owned()),
    }
}

// ---------------------------------------------------------------- the app directory

#[derive(Template)]
#[template(path = "apps.html")]
struct AppsPage<'a> {
    chrome: Chrome,
    t: &'a Texts,
    csrf: String,
    message: Option<String>,
    error: Option<String>,
    apps: Vec<ListedView>,
}

struct ListedView {
    app: selfdata_store::directory::ListedApp,
    /// The resident's grant to it, when they use it.
    grant: Option<GrantView>,
}

/// `/account/apps`: the apps the operator lists, each with what it reads
/// and writes and why, and whether the resident uses it.
pub async fn apps(State(idp): St, chrome: Chrome, headers: HeaderMap) -> Response {
    apps_page(&idp, chrome, &headers, StatusCode::OK, Extras::default()).await
}

async fn apps_page(
    idp: &Idp,
    chrome: Chrome,
    headers: &HeaderMap,
    status: StatusCode,
    extras: Extras,
) -> Response {
    let t = texts(headers);
    let Some((session, account)) = idp.session(headers).await else {
        return Redirect::to("/account/login?return_to=/account/apps").into_response();
    };
    let grants = idp
        .directory
        .grants_of(account.id)
        .await
        .unwrap_or_default();
    let apps = idp
        .listed_apps()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|app| ListedView {
            grant: grants
                .iter()
                .find(|g| g.revoked_ms.is_none() && g.client_id == app.client_id)
                .map(GrantView::of),
            app,
        })
        .collect();
    page(
        status,
        AppsPage {
            chrome,
            t,
            csrf: session.csrf,
            message: extras.message,
            error: extras.error,
            apps,
        }
        .render(),
    )
}

/// Stops using an app from the directory: its grant is revoked (every token
/// it holds ends), as from the account page.
pub async fn stop_app(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<IdForm>,
) -> Response {
    let (status, extras) = Extras::after(revoke(&idp, &account, &f.id, texts(&headers)).await);
    apps_page(&idp, chrome, &headers, status, extras).await
}

#[derive(Deserialize)]
pub struct NameForm {
    name: String,
}

pub async fn create_credentials(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<NameForm>,
) -> Response {
    let t = texts(&headers);
    let done: Result<Extras, String> = async {
        let pods = idp.directory.pods_of(account.id).await.map_err(failed(t))?;
        let pod = pods
            .first()
            .and_then(|p| PodName::parse(p).ok())
            .ok_or(t.key_no_pod)?;
        let webid = selfdata_solid::provision::webid_of(&idp.config.pods_url, &pod);
        let name = crate::accounts::clean_name(&f.name, 100).ok_or(t.name_invalid)?;
        let name = if name.is_empty() { "script" } else { &name };
        let pair = idp
            .create_credentials(Some(account.id), &webid, name)
            .await
            .map_err(failed(t))?;
        Ok(Extras {
            new_credential: Some(pair),
            ..Extras::default()
        })
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

#[derive(Deserialize)]
pub struct ClientForm {
    client_id: String,
}

pub async fn delete_credentials(
    State(idp): St,
    chrome: Chrome,
    headers: HeaderMap,
    AccountForm { account, form: f }: AccountForm<ClientForm>,
) -> Response {
    let t = texts(&headers);
    let done: Result<Extras, String> = async {
        let client = idp
            .directory
            .client(&f.client_id)
            .await
            .map_err(failed(t))?;
        match client {
            Some(c) if c.account_id == Some(account.id) => {
                idp.directory
                    .delete_client(&c.client_id)
                    .await
                    .map_err(failed(t))?;
                idp.revoke(RevokeScope::Client(&c.client_id))
                    .await
                    .map_err(failed(t))?;
                Ok(Extras::notice(t.key_deleted.replace("{name}", &c.name)))
            }
            _ => Err(t.key_not_listed.to_owned()),
        }
    }
    .await;
    account_answer(&idp, chrome, &headers, done).await
}

#[cfg(test)]
mod tests {
    use super::safe_return;

    #[test]
    fn only_same_origin_paths_are_returned_to() {
        for ok in [
            "/account",
            "/idp/authorize?client_id=a&scope=openid+webid&state=x%20y",
            "/app/energy?from=2024-01-01#top",
        ] {
            assert_eq!(safe_return(ok), ok);
        }
        for bad in [
            "",
            "account",
            "//evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2509/evil.example",
            "/%2F/evil.example",
            "/%5C/evil.example",
            "/\\evil.example",
            "/\r\nSet-Cookie: a=b",
            "/\0",
            "/?q=%0d%0aSet-Cookie:%20a",
            "/%E2%80%AE/evil",
            "/\u{e9}",
            "https://evil.example/",
            "/ /evil.example",
        ] {
            assert_eq!(safe_return(bad), "/", "{bad:?}");
        }
    }
}

//! The Solid-OIDC provider endpoints: discovery, JWKS, dynamic client
//! registration (RFC 7591), authorization with PKCE and a consent screen
//! (with the `iss` parameter of RFC 9207), and the token endpoint
//! (authorization code, refresh token with rotation, client credentials),
//! issuing DPoP-bound JWT access tokens and ID tokens.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use parking_lot::Mutex;
use selfdata_oidc::{AccessClaims, Confirmation, DpopCheck, IdClaims, random_token, token_hash};
use selfdata_solid::error::ApiError;
use selfdata_store::PodName;
use selfdata_store::directory::{Client, ClientKind, Grant, RevokeScope, TokenFamily};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::accounts::constant_eq;
use crate::i18n::{Texts, texts};
use crate::pages::{error_page, error_page_detail, page};
use crate::{AuthCode, Idp, now};

type St = State<Arc<Idp>>;

pub async fn discovery(State(idp): St) -> Response {
    let issuer = idp.config.issuer();
    let base = &idp.config.base_url;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/idp/authorize"),
        "token_endpoint": format!("{base}/idp/token"),
        "jwks_uri": format!("{base}/idp/jwks"),
        "registration_endpoint": format!("{base}/idp/register"),
        "end_session_endpoint": format!("{base}/account/logout"),
        "scopes_supported": ["openid", "webid", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "webid", "azp", "nonce", "auth_time"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
        "authorization_response_iss_parameter_supported": true,
        "solid_oidc_supported": "https://solidproject.org/TR/solid-oidc",
    }))
    .into_response()
}

pub async fn jwks(State(idp): St) -> Response {
    let jwks = idp.keys.read().jwks();
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response()
}

/// An OAuth error answer (RFC 6749 section 5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

// ------------------------------------------------------------------ registration

/// Largest registration body read, in bytes.
pub const MAX_REGISTRATION_BYTES: usize = 16 * 1024;
/// Most redirect URIs one registration may list.
pub const MAX_REDIRECT_URIS: usize = 10;
/// Longest redirect or logo URI, in bytes.
pub const MAX_URI_BYTES: usize = 2048;
/// Longest app name, in characters.
pub const MAX_CLIENT_NAME_CHARS: usize = 120;

#[derive(Deserialize)]
pub struct Registration {
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    client_name: Option<String>,
    #[serde(default)]
    logo_uri: Option<String>,
    #[serde(default)]
    token_endpoint_auth_method: Option<String>,
}

/// Counts of dynamic registrations in the current hour, per client address
/// and on the whole host (fixed one-hour windows; memory bounded because a
/// new address is counted only while the host quota lasts).
pub(crate) struct Registrations {
    inner: Mutex<RegistrationWindows>,
}

struct RegistrationWindows {
    host: (Instant, u32),
    by_address: HashMap<String, (Instant, u32)>,
}

const HOUR: Duration = Duration::from_secs(3600);

impl Default for Registrations {
    fn default() -> Self {
        Self {
            inner: Mutex::new(RegistrationWindows {
                host: (Instant::now(), 0),
                by_address: HashMap::new(),
            }),
        }
    }
}

impl Registrations {
    /// Spends one registration of `address`; false when its quota or the host's is spent.
    fn allow(&self, address: &str, per_address: u32, per_host: u32) -> bool {
        let mut w = self.inner.lock();
        if w.host.0.elapsed() >= HOUR {
            w.host = (Instant::now(), 0);
        }
        if w.host.1 >= per_host {
            return false;
        }
        if w.by_address.len() >= 100_000 {
            w.by_address.retain(|_, (start, _)| start.elapsed() < HOUR);
        }
        let entry = w
            .by_address
            .entry(address.to_owned())
            .or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= HOUR {
            *entry = (Instant::now(), 0);
        }
        if entry.1 >= per_address {
            return false;
        }
        entry.1 += 1;
        w.host.1 += 1;
        true
    }
}

/// The address a quota is counted for: the peer's IP, an IPv6 peer's /64.
fn quota_key(addr: Option<SocketAddr>) -> String {
    match addr.map(|a| a.ip()) {
        Some(IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Some(IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map(|v4| v4.to_string())
            .unwrap_or_default(),
        Some(ip) => ip.to_string(),
        None => "unknown".to_owned(),
    }
}

/// The registration's fields within their bounds, or the RFC 7591 error
/// code and description of the refusal.
fn check_registration(reg: &Registration) -> Result<(), (&'static str, String)> {
    if reg.redirect_uris.is_empty()
        || reg.redirect_uris.len() > MAX_REDIRECT_URIS
        || reg
            .redirect_uris
            .iter()
            .any(|u| u.len() > MAX_URI_BYTES || !is_http_url(u))
    {
        return Err((
            "invalid_redirect_uri",
            format!(
                "Give 1 to {MAX_REDIRECT_URIS} redirect URIs, each an absolute http(s) URL of at most {MAX_URI_BYTES} bytes."
            ),
        ));
    }
    if let Some(name) = &reg.client_name
        && (name.chars().count() > MAX_CLIENT_NAME_CHARS || name.chars().any(char::is_control))
    {
        return Err((
            "invalid_client_metadata",
            format!(
                "The client_name must have at most {MAX_CLIENT_NAME_CHARS} characters, none of them a control character."
            ),
        ));
    }
    if reg
        .logo_uri
        .as_ref()
        .is_some_and(|u| u.len() > MAX_URI_BYTES)
    {
        return Err((
            "invalid_client_metadata",
            format!("The logo_uri must have at most {MAX_URI_BYTES} bytes."),
        ));
    }
    Ok(())
}

pub async fn register(
    State(idp): St,
    addr: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    body: axum::body::Body,
) -> Response {
    let key = quota_key(addr.map(|c| (c.0).0));
    if !idp.registrations.allow(
        &key,
        idp.config.registrations_per_hour_per_address,
        idp.config.registrations_per_hour,
    ) {
        return ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many apps were registered from here (or on this server) in the last hour; try again later.",
        )
        .with_header(header::RETRY_AFTER, "3600")
        .into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_REGISTRATION_BYTES).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "A registration is a JSON object of at most {} KiB.",
                MAX_REGISTRATION_BYTES / 1024
            ),
        )
        .into_response();
    };
    let Ok(reg) = serde_json::from_slice::<Registration>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_metadata",
            "The registration must be a JSON object with redirect_uris.",
        );
    };
    if let Err((error, description)) = check_registration(&reg) {
        return oauth_error(StatusCode::BAD_REQUEST, error, &description);
    }
    let name = match reg.client_name.as_deref() {
        None => "An unnamed app".to_owned(),
        Some(n) => match crate::accounts::clean_name(n, 100).filter(|n| !n.is_empty()) {
            Some(n) => n,
            None => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_client_metadata",
                    "client_name must be 1 to 100 characters without invisible or bidi characters.",
                );
            }
        },
    };
    let confidential = reg
        .token_endpoint_auth_method
        .as_deref()
        .is_some_and(|m| m != "none");
    let secret = confidential.then(random_token);
    let client = Client {
        client_id: format!("app_{}", &random_token()[..22]),
        kind: ClientKind::Registered,
        secret_hash: secret.as_deref().map(token_hash),
        name,
        logo_uri: reg.logo_uri.clone().filter(|u| is_http_url(u)),
        redirect_uris: reg.redirect_uris.clone(),
        webid: None,
        account_id: None,
        created_ms: now() * 1000,
    };
    if let Err(e) = idp.directory.put_client(&client).await {
        tracing::error!(error = %e, "client registration failed");
        return oauth_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "The app could not be registered.",
        );
    }
    let mut answer = json!({
        "client_id": client.client_id,
        "client_id_issued_at": now(),
        "redirect_uris": client.redirect_uris,
        "client_name": client.name,
        "token_endpoint_auth_method": if confidential { "client_secret_basic" } else { "none" },
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    });
    if let Some(secret) = secret {
        answer["client_secret"] = json!(secret);
        answer["client_secret_expires_at"] = json!(0);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn is_http_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace)
}

/// What the consent screen shows of an app.
struct AppInfo {
    name: String,
    logo: Option<String>,
    redirect_uris: Vec<String>,
    /// Registered dynamically (by anyone, anonymously), not a Client ID Document.
    registered: bool,
}

impl Idp {
    /// The WebIDs of an account's pods.
    async fn webids_of(&self, account_id: i64) -> Vec<String> {
        self.directory
            .pods_of(account_id)
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|p| PodName::parse(p).ok())
            .map(|p| selfdata_solid::provision::webid_of(&self.config.pods_url, &p))
            .collect()
    }

    /// A registered client, or a Client ID Document dereferenced from its URL.
    async fn app_info(&self, client_id: &str) -> Result<AppInfo, String> {
        if is_http_url(client_id) {
            return self.client_id_document(client_id).await;
        }
        match self.directory.client(client_id).await {
            Ok(Some(c)) if c.kind == ClientKind::Registered => Ok(AppInfo {
                name: c.name,
                logo: c.logo_uri,
                redirect_uris: c.redirect_uris,
                registered: true,
            }),
            _ => Err("This app is not known to this server.".into()),
        }
    }

    /// An app's Client ID Document (fetched within the fence of [`crate::cid`]);
    /// any failure is the same sentence.
    async fn client_id_document(&self, url: &str) -> Result<AppInfo, String> {
        let unusable = || crate::cid::Unusable.to_string();
        let doc = self.cid.fetch(url).await.map_err(|_| unusable())?;
        if doc.get("client_id").and_then(Value::as_str) != Some(url) {
            tracing::debug!(url, "a Client ID Document does not name itself");
            return Err(unusable());
        }
        let redirect_uris = doc
            .get("redirect_uris")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .filter(|u| u.len() <= MAX_URI_BYTES)
                    .take(MAX_REDIRECT_URIS)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        Ok(AppInfo {
            name: doc
                .get("client_name")
                .and_then(Value::as_str)
                .and_then(|n| crate::accounts::clean_name(n, 100))
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| url.to_owned()),
            logo: doc
                .get("logo_uri")
                .and_then(Value::as_str)
                .filter(|u| is_http_url(u) && u.len() <= MAX_URI_BYTES)
                .map(str::to_owned),
            redirect_uris,
            registered: false,
        })
    }
}

// ------------------------------------------------------------------ authorization

/// The parameters of an authorization request.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AuthRequest {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    code_challenge: String,
    #[serde(default)]
    code_challenge_method: String,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage<'a> {
    chrome: selfdata_site::Chrome,
    t: &'a Texts,
    csrf: String,
    request: String,
    name: String,
    logo: Option<String>,
    client_id: String,
    offline: bool,
    webids: Vec<String>,
}

/// Redirects back to the app with the response parameters and `iss`.
fn back_to_app(
    idp: &Idp,
    redirect_uri: &str,
    params: &[(&str, &str)],
    state: Option<&str>,
) -> Response {
    let issuer = idp.config.issuer();
    let mut pairs: Vec<(&str, &str)> = params.to_vec();
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", &issuer));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{redirect_uri}{sep}{query}")).into_response()
}

impl Idp {
    /// The requesting app, if it is known and registered the return address;
    /// otherwise the resident's error page (nothing goes back to an unverified address).
    async fn checked_app(&self, t: &Texts, req: &AuthRequest) -> Result<AppInfo, Response> {
        match self.app_info(&req.client_id).await {
            Ok(app) if app.redirect_uris.iter().any(|u| u == &req.redirect_uri) => Ok(app),
            Ok(_) => Err(error_page(
                t,
                StatusCode::BAD_REQUEST,
                t.redirect_not_registered,
            )),
            Err(message) => Err(error_page_detail(
                t,
                StatusCode::BAD_REQUEST,
                t.app_unidentified,
                &message,
            )),
        }
    }
}

/// What is wrong with an authorization request's parameters, if anything:
/// the OAuth error code and a description.
fn request_error(req: &AuthRequest) -> Option<(&'static str, &'static str)> {
    if req.response_type != "code" {
        return Some((
            "unsupported_response_type",
            "only the code response type is supported",
        ));
    }
    if req.code_challenge.is_empty() || req.code_challenge_method != "S256" {
        return Some(("invalid_request", "PKCE with S256 is required"));
    }
    if !req.scope.split(' ').any(|s| s == "openid") {
        return Some(("invalid_scope", "the openid scope is required"));
    }
    None
}

pub async fn authorize(
    State(idp): St,
    chrome: selfdata_site::Chrome,
    headers: HeaderMap,
    Query(req): Query<AuthRequest>,
) -> Response {
    let t = texts(&headers);
    // Nothing is fetched, and nobody is sent anywhere but to sign in, before
    // a resident has a session.
    let Some((session, account)) = idp.session(&headers).await else {
        let here = format!(
            "/idp/authorize?{}",
            serde_urlencoded::to_string(&req).unwrap_or_default()
        );
        let to = format!(
            "/account/login?{}",
            serde_urlencoded::to_string([("return_to", here.as_str())]).unwrap_or_default()
        );
        return Redirect::to(&to).into_response();
    };
    let app = match idp.checked_app(t, &req).await {
        Ok(app) => app,
        Err(page) => return page,
    };
    if let Some((error, description)) = request_error(&req) {
        // An app anyone could have registered gets no redirect without the
        // resident's answer (no open redirector); a Client ID Document's
        // redirect URIs are its owner's, and it gets the OAuth error back.
        if app.registered {
            return error_page_detail(
                t,
                StatusCode::BAD_REQUEST,
                t.consent_damaged,
                &format!("The app's request is not valid: {description}."),
            );
        }
        return back_to_app(
            &idp,
            &req.redirect_uri,
            &[("error", error), ("error_description", description)],
            req.state.as_deref(),
        );
    }
    let webids = idp.webids_of(account.id).await;
    if webids.is_empty() {
        return error_page(t, StatusCode::BAD_REQUEST, t.no_pod_identity);
    }
    let request = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&req).unwrap_or_default());
    page(
        StatusCode::OK,
        ConsentPage {
            chrome: chrome.without_menu(),
            t,
            csrf: session.csrf,
            request,
            name: app.name,
            // The page's CSP loads images over https only (no mixed content).
            logo: app.logo.filter(|u| u.starts_with("https://")),
            client_id: req.client_id.clone(),
            offline: req.scope.split(' ').any(|s| s == "offline_access"),
            webids,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub struct Decision {
    csrf: String,
    request: String,
    webid: String,
    decision: String,
}

pub async fn decide(State(idp): St, headers: HeaderMap, Form(d): Form<Decision>) -> Response {
    let t = texts(&headers);
    let Some((session, account)) = idp.session(&headers).await else {
        return Redirect::to("/account/login").into_response();
    };
    if !constant_eq(&session.csrf, &d.csrf) {
        return error_page(t, StatusCode::FORBIDDEN, t.consent_expired);
    }
    let Some(req) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&d.request)
        .ok()
        .and_then(|b| serde_json::from_slice::<AuthRequest>(&b).ok())
    else {
        return error_page(t, StatusCode::BAD_REQUEST, t.consent_damaged);
    };
    let app = match idp.checked_app(t, &req).await {
        Ok(app) => app,
        Err(page) => return page,
    };
    if request_error(&req).is_some() {
        return error_page(t, StatusCode::BAD_REQUEST, t.consent_damaged);
    }
    let state = req.state.as_deref();
    if d.decision != "allow" {
        return back_to_app(
            &idp,
            &req.redirect_uri,
            &[("error", "access_denied")],
            state,
        );
    }
    let owned = idp.webids_of(account.id).await;
    if !owned.contains(&d.webid) {
        return error_page(t, StatusCode::FORBIDDEN, t.identity_not_yours);
    }
    let existing = idp
        .directory
        .grants_of(account.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|g| g.revoked_ms.is_none() && g.client_id == req.client_id && g.webid == d.webid);
    let grant = match existing {
        Some(mut g) => {
            g.scope = req.scope.clone();
            g
        }
        None => Grant {
            id: random_token(),
            account_id: account.id,
            webid: d.webid.clone(),
            client_id: req.client_id.clone(),
            client_name: app.name.clone(),
            scope: req.scope.clone(),
            created_ms: now() * 1000,
            revoked_ms: None,
        },
    };
    if let Err(e) = idp.directory.put_grant(&grant).await {
        tracing::error!(error = %e, "storing a grant failed");
        return error_page(t, StatusCode::INTERNAL_SERVER_ERROR, t.consent_not_saved);
    }
    // Every grant has its consent record in the pod; no record, no grant.
    if let Err(e) = idp.record_app_consent(&grant).await {
        tracing::error!(error = %e, "storing a consent record failed");
        if let Err(e) = idp.revoke(RevokeScope::Grant(&grant.id)).await {
            tracing::error!(error = %e, "revoking a grant without a record failed");
        }
        return error_page(t, StatusCode::INTERNAL_SERVER_ERROR, t.consent_not_saved);
    }
    let code = random_token();
    idp.codes.lock().insert(
        token_hash(&code),
        AuthCode {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            code_challenge: req.code_challenge.clone(),
            webid: d.webid,
            grant_id: grant.id,
            scope: req.scope.clone(),
            nonce: req.nonce.clone(),
            session_hash: session.id_hash,
            auth_time: session.created_ms / 1000,
            expires: now() + 60,
        },
    );
    back_to_app(&idp, &req.redirect_uri, &[("code", &code)], state)
}

// ------------------------------------------------------------------ consent records

impl Idp {
    /// The pod (and the record's IRI) for a grant's WebID among the account's pods.
    async fn consent_pod(&self, account_id: i64, webid: &str) -> Option<PodName> {
        self.directory
            .pods_of(account_id)
            .await
            .unwrap_or_default()
            .iter()
            .filter_map(|p| PodName::parse(p).ok())
            .find(|p| selfdata_solid::provision::webid_of(&self.config.pods_url, p) == webid)
    }

    /// Applies `change` to the consent record of `grant` in its pod
    /// (`selfdata/consents/<id>.ttl`), atomically.
    async fn change_app_record(
        &self,
        grant: &Grant,
        change: impl Fn(Option<selfdata_consent::Record>) -> selfdata_consent::Record + Send + 'static,
    ) -> Result<(), selfdata_store::StoreError> {
        use selfdata_consent::{Kind, Record, id_for, path_of};
        let Some(pod) = self.consent_pod(grant.account_id, &grant.webid).await else {
            return Ok(()); // the WebID is not a pod of this server's: no pod to keep it in
        };
        let path = path_of(&id_for(Kind::App, &grant.id));
        let base = format!("{}/{pod}/{path}", self.config.pods_url);
        let write = selfdata_store::Write::Modify {
            path: selfdata_store::ResourcePath::parse(&format!("/{path}"))?,
            precondition: selfdata_store::Precondition::None,
            modify: Box::new(move |current| {
                let existing = match current {
                    Some((_, body)) => Some(Record::parse(body, &base)?),
                    None => None,
                };
                let record = change(existing);
                Ok((
                    "text/turtle".to_owned(),
                    axum::body::Bytes::from(record.to_turtle()),
                ))
            }),
        };
        self.pods.write(&pod, write).await.map(|_| ())
    }

    /// Creates the consent record of an app allowed on the consent screen
    /// (or records consent given again).
    pub async fn record_app_consent(
        &self,
        grant: &Grant,
    ) -> Result<(), selfdata_store::StoreError> {
        let fresh = self.app_record(grant).await;
        self.change_app_record(grant, move |existing| match existing {
            Some(mut r) => {
                r.give_again(jiff::Timestamp::now(), None);
                r
            }
            None => fresh.clone(),
        })
        .await
    }

    /// Records in a grant's consent record that consent was withdrawn (call
    /// after revoking the grant's tokens).
    pub async fn record_app_withdrawal(
        &self,
        grant: &Grant,
    ) -> Result<(), selfdata_store::StoreError> {
        let fresh = self.app_record(grant).await;
        self.change_app_record(grant, move |existing| {
            let mut r = existing.unwrap_or_else(|| fresh.clone());
            r.withdraw(
                jiff::Timestamp::now(),
                Some("Access revoked by the resident".to_owned()),
            );
            r
        })
        .await
    }

    /// A new consent record for an app's grant.
    async fn app_record(&self, g: &Grant) -> selfdata_consent::Record {
        use selfdata_consent::{Kind, Notice, Party, Record, id_for};
        let (base, pods) = (&self.config.base_url, &self.config.pods_url);
        let pod = self
            .consent_pod(g.account_id, &g.webid)
            .await
            .map(|p| p.to_string())
            .unwrap_or_default();
        let at = jiff::Timestamp::from_millisecond(g.created_ms).unwrap_or_default();
        let app = if is_http_url(&g.client_id) {
            g.client_id.clone()
        } else {
            format!("urn:selfdata:client:{}", g.client_id)
        };
        let mut r = Record::new(
            Kind::App,
            id_for(Kind::App, &g.id),
            g.webid.clone(),
            Party::new(&app, &g.client_name),
            at,
        );
        r.data = vec![format!("{pods}/{pod}/")];
        r.modes = ["Read", "Write"]
            .iter()
            .map(|m| format!("http://www.w3.org/ns/auth/acl#{m}"))
            .collect();
        r.target = Some(app);
        r.notice = Some(Notice::of_text(
            &format!("{base}/idp/authorize"),
            "1",
            &format!(
                "{} ({}) asks to act as {} (scope: {})",
                g.client_name, g.client_id, g.webid, g.scope
            ),
        ));
        r
    }
}

// ------------------------------------------------------------------ token endpoint

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: String,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    redirect_uri: Option<String>,
    #[serde(default)]
    code_verifier: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
}

/// Client id and secret from HTTP Basic (form-urlencoded parts) or the form.
fn client_auth(headers: &HeaderMap, form: &TokenRequest) -> (Option<String>, Option<String>) {
    if let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        && let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim())
        && let Ok(text) = String::from_utf8(decoded)
        && let Some((id, secret)) = text.split_once(':')
    {
        let unescape = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        return (Some(unescape(id)), Some(unescape(secret)));
    }
    (form.client_id.clone(), form.client_secret.clone())
}

/// Largest token request body read, in bytes.
const MAX_TOKEN_REQUEST_BYTES: usize = 16 * 1024;

pub async fn token(State(idp): St, headers: HeaderMap, body: axum::body::Body) -> Response {
    let Ok(body) = axum::body::to_bytes(body, MAX_TOKEN_REQUEST_BYTES).await else {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "The token request is too large.",
        );
    };
    let Ok(form) = serde_urlencoded::from_bytes::<TokenRequest>(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The token request must be a form with a grant_type (each parameter once).",
        );
    };
    // DPoP: when a proof is sent, the tokens are bound to its key.
    let token_url = format!("{}/idp/token", idp.config.base_url);
    let proof = match headers.get("dpop").and_then(|v| v.to_str().ok()) {
        None => None,
        Some(proof) => match selfdata_oidc::verify_dpop_proof(&DpopCheck::new(
            proof,
            "POST",
            &token_url,
            now(),
        )) {
            Ok(verified) => {
                if let Err(why) = idp.fresh_proof(&verified) {
                    return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", why);
                }
                Some(verified)
            }
            Err(e) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_dpop_proof",
                    &e.to_string(),
                );
            }
        },
    };
    let (client_id, secret) = client_auth(&headers, &form);
    let jkt = proof.as_ref().map(|p| p.jkt.clone());
    let response = match form.grant_type.as_str() {
        "authorization_code" => code_grant(&idp, &form, client_id, secret, jkt).await,
        "refresh_token" => refresh_grant(&idp, &form, client_id, secret, jkt).await,
        "client_credentials" => credentials_grant(&idp, &form, client_id, secret, jkt).await,
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Use authorization_code, refresh_token or client_credentials.",
        ),
    };
    // Tokens were issued: the proof is remembered across a restart if it must be.
    if response.status().is_success()
        && let Some(proof) = &proof
        && let Err(e) = idp.remember_proof(proof).await
    {
        tracing::error!(error = %e, "remembering a DPoP proof failed");
    }
    response
}

/// Checks a registered client's secret when it has one.
async fn check_client_secret(
    idp: &Idp,
    client_id: &str,
    secret: Option<&str>,
) -> Result<(), Response> {
    if is_http_url(client_id) {
        return Ok(()); // Client ID Documents are public clients.
    }
    match idp.directory.client(client_id).await {
        Ok(Some(c)) => match c.secret_hash {
            None => Ok(()),
            Some(hash) if secret.is_some_and(|s| token_hash(s) == hash) => Ok(()),
            Some(_) => Err(oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "The client secret is not right.",
            )),
        },
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "This client is not known.",
        )),
    }
}

async fn code_grant(
    idp: &Idp,
    form: &TokenRequest,
    client_id: Option<String>,
    secret: Option<String>,
    jkt: Option<String>,
) -> Response {
    let Some(code) = form.code.as_deref() else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The code is missing.",
        );
    };
    let Some(pending) = idp.codes.lock().remove(&token_hash(code)) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "This code is unknown, used or expired.",
        );
    };
    let client_id = client_id.unwrap_or_default();
    if pending.expires < now()
        || pending.client_id != client_id
        || form.redirect_uri.as_deref() != Some(pending.redirect_uri.as_str())
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "This code does not belong to this request.",
        );
    }
    if let Err(r) = check_client_secret(idp, &client_id, secret.as_deref()).await {
        return r;
    }
    let verifier = form.code_verifier.as_deref().unwrap_or("");
    if !selfdata_oidc::pkce_s256_matches(verifier, &pending.code_challenge) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "The code verifier does not match (PKCE).",
        );
    }
    if jkt.is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "Solid-OIDC needs a DPoP proof.",
        );
    }
    match idp.directory.grant(&pending.grant_id).await {
        Ok(Some(g)) if g.revoked_ms.is_none() => {}
        _ => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "The resident withdrew this authorization.",
            );
        }
    }
    let offline = pending.scope.split(' ').any(|s| s == "offline_access");
    issue(
        idp,
        Issue {
            webid: pending.webid,
            client_id,
            scope: pending.scope,
            grant_id: Some(pending.grant_id),
            session_hash: Some(pending.session_hash),
            nonce: pending.nonce,
            auth_time: pending.auth_time,
            with_refresh: offline,
            jkt,
        },
    )
    .await
}

/// Whether a client must authenticate at the token endpoint (it has a
/// secret); `None` when the client is no longer known.
async fn is_confidential(idp: &Idp, client_id: &str) -> Option<bool> {
    if is_http_url(client_id) {
        return Some(false); // Client ID Documents are public clients.
    }
    match idp.directory.client(client_id).await {
        Ok(Some(c)) => Some(c.secret_hash.is_some()),
        _ => None,
    }
}

fn server_error() -> Response {
    oauth_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "Tokens could not be issued; try again later.",
    )
}

/// The refresh grant. A refresh token is honoured only from whoever holds
/// the DPoP key its family was issued to (always: the new access token is
/// bound to that same key, never downgraded to a bearer token) and, for a
/// confidential client, only after the client authenticates. Only the
/// family's current secret rotates it; a secret the family had before is
/// reuse (someone kept a copy) and ends the family; anything else is just
/// `invalid_grant` and changes nothing.
async fn refresh_grant(
    idp: &Idp,
    form: &TokenRequest,
    client_id: Option<String>,
    secret: Option<String>,
    jkt: Option<String>,
) -> Response {
    let invalid = || {
        oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "This refresh token is not valid.",
        )
    };
    let presented = form.refresh_token.as_deref().unwrap_or("");
    let Some((family_id, _)) = presented.split_once('.') else {
        return invalid();
    };
    let family = match idp.directory.family(family_id).await {
        Ok(Some(f)) => f,
        _ => return invalid(),
    };
    if family.revoked_ms.is_some() || family.refresh_expires_ms < now() * 1000 {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "This refresh token was revoked or expired.",
        );
    }
    if client_id.as_deref().is_some_and(|c| c != family.client_id) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "This refresh token belongs to another client.",
        );
    }
    let Some(confidential) = is_confidential(idp, &family.client_id).await else {
        return invalid();
    };
    if confidential {
        if client_id.is_none() || secret.is_none() {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "This client must authenticate to refresh its tokens.",
            );
        }
        if let Err(refusal) = check_client_secret(idp, &family.client_id, secret.as_deref()).await {
            return refusal;
        }
    }
    let Some(jkt) = jkt else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_dpop_proof",
            "A refresh needs a DPoP proof made with the key the tokens are bound to.",
        );
    };
    let bind_now = match idp.directory.family_key(&family.id).await {
        Ok(Some(bound)) if bound == jkt => false,
        Ok(Some(_)) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_dpop_proof",
                "This refresh token is bound to another DPoP key.",
            );
        }
        // Issued before families recorded their key: an authenticated
        // client may bind it now, a public one must sign in again.
        Ok(None) if confidential => true,
        Ok(None) => {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "This refresh token is not bound to a key; sign in again.",
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "reading a token family's key failed");
            return server_error();
        }
    };
    let presented_hash = token_hash(presented);
    let new_refresh = format!("{}.{}", family.id, random_token());
    let expires = (now() + idp.config.refresh_token_secs) * 1000;
    let rotated = idp
        .directory
        .rotate_refresh_remembering(
            &family.id,
            presented_hash,
            token_hash(&new_refresh),
            expires,
            now() * 1000,
        )
        .await;
    match rotated {
        Ok(true) => {}
        Ok(false) => {
            if idp
                .directory
                .refresh_spent(&family.id, presented_hash)
                .await
                .unwrap_or(false)
            {
                // A refresh token used twice: someone has a copy. End the whole family.
                if let Err(e) = idp.revoke(RevokeScope::Family(&family.id)).await {
                    tracing::error!(error = %e, "revoking a reused token family failed");
                }
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "This refresh token was already used.",
                );
            }
            return invalid();
        }
        Err(e) => {
            tracing::error!(error = %e, "rotating a refresh token failed");
            return server_error();
        }
    }
    if bind_now && let Err(e) = idp.directory.set_family_key(&family.id, &jkt).await {
        tracing::error!(error = %e, "binding a token family to its key failed");
        return server_error();
    }
    if let Some(grant_id) = &family.grant_id {
        match idp.directory.grant(grant_id).await {
            Ok(Some(g)) if g.revoked_ms.is_none() => {}
            _ => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The resident withdrew this authorization.",
                );
            }
        }
    }
    let (access, expires_in) = access_token(
        idp,
        &family.webid,
        &family.client_id,
        "openid webid offline_access",
        &family.id,
        Some(jkt),
    );
    token_answer(
        access,
        expires_in,
        None,
        Some(new_refresh),
        "openid webid offline_access",
        true,
    )
}

async fn credentials_grant(
    idp: &Idp,
    form: &TokenRequest,
    client_id: Option<String>,
    secret: Option<String>,
    jkt: Option<String>,
) -> Response {
    let (Some(client_id), Some(secret)) = (client_id, secret) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Send the client id and secret (HTTP Basic).",
        );
    };
    let client = match idp.directory.client(&client_id).await {
        Ok(Some(c)) if c.kind == ClientKind::Credentials => c,
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "These client credentials are not known.",
            );
        }
    };
    let ok = client.secret_hash.is_some_and(|h| h == token_hash(&secret));
    let Some(webid) = client.webid.filter(|_| ok) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The client secret is not right.",
        );
    };
    let scope = form
        .scope
        .clone()
        .unwrap_or_else(|| "openid webid".to_owned());
    issue(
        idp,
        Issue {
            webid,
            client_id,
            scope,
            grant_id: None,
            session_hash: None,
            nonce: None,
            auth_time: now(),
            with_refresh: false,
            jkt,
        },
    )
    .await
}

struct Issue {
    webid: String,
    client_id: String,
    scope: String,
    grant_id: Option<String>,
    session_hash: Option<[u8; 32]>,
    nonce: Option<String>,
    auth_time: i64,
    with_refresh: bool,
    jkt: Option<String>,
}

async fn issue(idp: &Idp, i: Issue) -> Response {
    let family_id = random_token()[..24].to_owned();
    let refresh = i
        .with_refresh
        .then(|| format!("{family_id}.{}", random_token()));
    let family = TokenFamily {
        id: family_id.clone(),
        webid: i.webid.clone(),
        client_id: i.client_id.clone(),
        grant_id: i.grant_id,
        session_hash: i.session_hash,
        refresh_hash: refresh.as_deref().map(token_hash),
        refresh_expires_ms: (now() + idp.config.refresh_token_secs) * 1000,
        created_ms: now() * 1000,
        revoked_ms: None,
    };
    if let Err(e) = idp.directory.put_family(&family).await {
        tracing::error!(error = %e, "storing a token family failed");
        return server_error();
    }
    // A refresh token is bound to the DPoP key of the tokens it renews.
    if refresh.is_some()
        && let Some(jkt) = &i.jkt
        && let Err(e) = idp.directory.set_family_key(&family_id, jkt).await
    {
        tracing::error!(error = %e, "binding a token family to its key failed");
        return server_error();
    }
    let (access, expires_in) = access_token(
        idp,
        &i.webid,
        &i.client_id,
        &i.scope,
        &family_id,
        i.jkt.clone(),
    );
    let id_token = selfdata_oidc::sign_id_token(
        &idp.keys.read(),
        &IdClaims {
            iss: idp.config.issuer(),
            sub: i.webid.clone(),
            aud: i.client_id.clone(),
            azp: i.client_id.clone(),
            webid: i.webid,
            iat: now(),
            exp: now() + idp.config.access_token_secs,
            nonce: i.nonce,
            auth_time: i.auth_time,
            jti: random_token(),
        },
    );
    token_answer(
        access,
        expires_in,
        Some(id_token),
        refresh,
        &i.scope,
        i.jkt.is_some(),
    )
}

fn access_token(
    idp: &Idp,
    webid: &str,
    client_id: &str,
    scope: &str,
    family_id: &str,
    jkt: Option<String>,
) -> (String, i64) {
    let now = now();
    let claims = AccessClaims {
        iss: idp.config.issuer(),
        sub: webid.to_owned(),
        aud: AccessClaims::audience(client_id),
        webid: webid.to_owned(),
        client_id: client_id.to_owned(),
        cnf: jkt.map(|jkt| Confirmation { jkt }),
        iat: now,
        exp: now + idp.config.access_token_secs,
        jti: random_token(),
        scope: scope.to_owned(),
        sid: Some(family_id.to_owned()),
    };
    (
        selfdata_oidc::sign_access_token(&idp.keys.read(), &claims),
        idp.config.access_token_secs,
    )
}

fn token_answer(
    access: String,
    expires_in: i64,
    id_token: Option<String>,
    refresh: Option<String>,
    scope: &str,
    dpop: bool,
) -> Response {
    let mut body = json!({
        "access_token": access,
        "token_type": if dpop { "DPoP" } else { "Bearer" },
        "expires_in": expires_in,
        "scope": scope,
    });
    if let Some(id) = id_token {
        body["id_token"] = json!(id);
    }
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    (
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(body),
    )
        .into_response()
}

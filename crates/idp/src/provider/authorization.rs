//! The authorization endpoint: what the consent screen knows of an app (its
//! registration or its Client ID Document), the request checked, the
//! resident's decision and the code sent back with `iss` (RFC 9207).

use super::*;

/// What the consent screen shows of an app.
pub(crate) struct AppInfo {
    pub(crate) name: String,
    pub(crate) logo: Option<String>,
    pub(crate) redirect_uris: Vec<String>,
    /// Its `client_uri`: where a person starts using it.
    pub(crate) homepage: Option<String>,
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
                homepage: None,
                registered: true,
            }),
            _ => Err("This app is not known to this server.".into()),
        }
    }

    /// An app's Client ID Document (fetched within the fence of [`crate::cid`]);
    /// any failure is the same sentence.
    pub(crate) async fn client_id_document(&self, url: &str) -> Result<AppInfo, String> {
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
            homepage: doc
                .get("client_uri")
                .and_then(Value::as_str)
                .filter(|u| is_http_url(u) && u.len() <= MAX_URI_BYTES)
                .map(str::to_owned),
            registered: false,
        })
    }
}

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
pub(super) struct ConsentPage<'a> {
    chrome: selfdata_site::Chrome,
    t: &'a Texts,
    csrf: String,
    request: String,
    name: String,
    logo: Option<String>,
    client_id: String,
    offline: bool,
    webids: Vec<String>,
    /// Its entry in the app directory, when it is listed.
    listed: Option<selfdata_store::directory::ListedApp>,
}

/// Redirects back to the app with the response parameters and `iss`.
pub(super) fn back_to_app(
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
            Ok(_) => Err(
                PageError::new(StatusCode::BAD_REQUEST, t.redirect_not_registered).into_response(),
            ),
            Err(message) => {
                Err(
                    error_with_detail(t, StatusCode::BAD_REQUEST, t.app_unidentified, &message)
                        .into_response(),
                )
            }
        }
    }
}

/// What is wrong with an authorization request's parameters, if anything:
/// the OAuth error code and a description.
pub(super) fn request_error(req: &AuthRequest) -> Option<(&'static str, &'static str)> {
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
            return error_with_detail(
                t,
                StatusCode::BAD_REQUEST,
                t.consent_damaged,
                &format!("The app's request is not valid: {description}."),
            )
            .into_response();
        }
        return back_to_app(
            &idp,
            &req.redirect_uri,
            &[("error", error), ("error_description", description)],
            req.state.as_deref(),
        );
    }
    let listed = idp
        .directory
        .listed_app(&req.client_id)
        .await
        .ok()
        .flatten();
    let webids = idp.webids_of(account.id).await;
    if webids.is_empty() {
        return PageError::new(StatusCode::BAD_REQUEST, t.no_pod_identity).into_response();
    }
    let request = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&req).unwrap_or_default());
    // The page's CSP shows images from the logo's own origin, https only.
    let logo = app
        .logo
        .filter(|u| selfdata_site::https_origin(u).is_some());
    let logo_origin = logo.clone();
    selfdata_site::page_showing_images_from(
        StatusCode::OK,
        ConsentPage {
            chrome: chrome.without_menu(),
            t,
            csrf: session.csrf,
            request,
            name: app.name,
            logo,
            client_id: req.client_id.clone(),
            offline: req.scope.split(' ').any(|s| s == "offline_access"),
            webids,
            listed,
        }
        .render(),
        logo_origin.as_deref(),
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
        return PageError::new(StatusCode::FORBIDDEN, t.consent_expired).into_response();
    }
    let Some(req) = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&d.request)
        .ok()
        .and_then(|b| serde_json::from_slice::<AuthRequest>(&b).ok())
    else {
        return PageError::new(StatusCode::BAD_REQUEST, t.consent_damaged).into_response();
    };
    let app = match idp.checked_app(t, &req).await {
        Ok(app) => app,
        Err(page) => return page,
    };
    if request_error(&req).is_some() {
        return PageError::new(StatusCode::BAD_REQUEST, t.consent_damaged).into_response();
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
        return PageError::new(StatusCode::FORBIDDEN, t.identity_not_yours).into_response();
    }
    let existing = idp
        .directory
        .grants_of(account.id)
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|g| g.revoked_ms.is_none() && g.client_id == req.client_id && g.webid == d.webid);
    let first_time = existing.is_none();
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
        return PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.consent_not_saved)
            .into_response();
    }
    // Every grant has its consent record in the pod; no record, no grant.
    if let Err(e) = idp.record_app_consent(&grant).await {
        tracing::error!(error = %e, "storing a consent record failed");
        if let Err(e) = idp.revoke(RevokeScope::Grant(&grant.id)).await {
            tracing::error!(error = %e, "revoking a grant without a record failed");
        }
        return PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.consent_not_saved)
            .into_response();
    }
    if first_time {
        idp.notify(
            &account,
            crate::notices::NEW_APP,
            (
                format!(
                    "L'application {} peut maintenant agir en votre nom sur {}",
                    grant.client_name, grant.webid
                ),
                format!(
                    "The app {} may now act as you on {}",
                    grant.client_name, grant.webid
                ),
            ),
        );
    }
    let code = random_token();
    let kept = idp
        .keep_code(
            &code,
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
        )
        .await;
    if let Err(e) = kept {
        return selfdata_solid::error::ApiError::from(e).into_response();
    }
    back_to_app(&idp, &req.redirect_uri, &[("code", &code)], state)
}

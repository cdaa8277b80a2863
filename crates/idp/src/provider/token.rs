//! The token endpoint: authorization code with PKCE, refresh tokens with
//! rotation and reuse detection, client credentials; DPoP-bound access
//! tokens and ID tokens.

use super::*;

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
pub(super) fn client_auth(
    headers: &HeaderMap,
    form: &TokenRequest,
) -> (Option<String>, Option<String>) {
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
pub(super) const MAX_TOKEN_REQUEST_BYTES: usize = 16 * 1024;

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
                match idp.fresh_proof(&verified).await {
                    Ok(()) => {}
                    Err(crate::ProofRefused::Invalid(why)) => {
                        return oauth_error(StatusCode::BAD_REQUEST, "invalid_dpop_proof", why);
                    }
                    Err(crate::ProofRefused::Store(e)) => {
                        return selfdata_solid::error::ApiError::from(e).into_response();
                    }
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
pub(super) async fn check_client_secret(
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

pub(super) async fn code_grant(
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
    let pending = match idp.take_code(code).await {
        Ok(pending) => pending,
        Err(e) => return selfdata_solid::error::ApiError::from(e).into_response(),
    };
    let Some(pending) = pending else {
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
pub(super) async fn is_confidential(idp: &Idp, client_id: &str) -> Option<bool> {
    if is_http_url(client_id) {
        return Some(false); // Client ID Documents are public clients.
    }
    match idp.directory.client(client_id).await {
        Ok(Some(c)) => Some(c.secret_hash.is_some()),
        _ => None,
    }
}

pub(super) fn server_error() -> Response {
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
pub(super) async fn refresh_grant(
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

pub(super) async fn credentials_grant(
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
    if let Some(owner) = client.account_id {
        match idp.directory.account(owner).await {
            Ok(Some(a)) if a.suspended_ms.is_none() => {}
            Ok(_) => {
                return oauth_error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "The account these client credentials belong to is suspended by the operator.",
                );
            }
            Err(e) => {
                tracing::error!(error = %e, "reading a client's account");
                return server_error();
            }
        }
    }
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

pub(super) struct Issue {
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

pub(super) async fn issue(idp: &Idp, i: Issue) -> Response {
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

pub(super) fn access_token(
    idp: &Idp,
    webid: &str,
    client_id: &str,
    scope: &str,
    family_id: &str,
    jkt: Option<String>,
) -> (String, i64) {
    idp.counters
        .tokens_issued
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
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

pub(super) fn token_answer(
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

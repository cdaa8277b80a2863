//! Dynamic client registration (RFC 7591): bounded fields, per-address and
//! host quotas per hour.

use super::*;

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

pub(super) struct RegistrationWindows {
    host: (Instant, u32),
    by_address: HashMap<String, (Instant, u32)>,
}

pub(super) const HOUR: Duration = Duration::from_secs(3600);

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
pub(super) fn quota_key(addr: Option<SocketAddr>) -> String {
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
pub(super) fn check_registration(reg: &Registration) -> Result<(), (&'static str, String)> {
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
        let mut answer = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "Too many apps were registered from here (or on this server) in the last hour; try again later.",
        );
        answer.headers_mut().insert(
            header::RETRY_AFTER,
            header::HeaderValue::from_static("3600"),
        );
        return answer;
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_REGISTRATION_BYTES).await else {
        return oauth_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_client_metadata",
            &format!(
                "A registration is a JSON object of at most {} KiB.",
                MAX_REGISTRATION_BYTES / 1024
            ),
        );
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
        // No name given: the app is named by where it sends residents back,
        // which it cannot fake (a claimed name it could).
        None => redirect_host(&reg.redirect_uris[0]).unwrap_or_else(|| "An unnamed app".to_owned()),
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

/// The host (and port, when given) of a redirect URI, as a resident reads
/// it on the consent screen: `https://app.example:8443/cb` → `app.example:8443`.
fn redirect_host(uri: &str) -> Option<String> {
    let uri = axum::http::Uri::try_from(uri).ok()?;
    let host = uri.host().filter(|h| !h.is_empty())?;
    Some(match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

pub(super) fn is_http_url(u: &str) -> bool {
    (u.starts_with("https://") || u.starts_with("http://")) && !u.contains(char::is_whitespace)
}

//! Tokens: Enedis's consent side (the URL of its consent page, reading the
//! callback it redirects to, exchanging the code for tokens, refreshing
//! them) and the client-credentials grant every holder's token endpoint
//! answers (GRDF's only way in).

use std::fmt;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::config::DataConnectConfig;
use crate::error::ConnectError;
use crate::http::ConnectClient;

/// Lifetime assumed when the token answer gives none.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// The consent page URL to redirect the resident to. `state` is the app's
/// anti-forgery value, checked again on the callback; `duration` is an
/// ISO 8601 period, at most `P3Y` with Enedis (e.g. `P3Y`, `P6M`).
pub fn authorize_url(cfg: &DataConnectConfig, state: &str, duration: &str) -> String {
    let query = serde_urlencoded::to_string([
        ("client_id", cfg.client_id.as_str()),
        ("response_type", "code"),
        ("state", state),
        ("duration", duration),
        ("redirect_uri", cfg.redirect_uri.as_str()),
    ])
    .expect("strings always encode");
    let separator = if cfg.authorize_url.contains('?') {
        '&'
    } else {
        '?'
    };
    format!("{}{separator}{query}", cfg.authorize_url)
}

/// What the consent page sends back to `redirect_uri`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    /// To compare with the `state` given to [`authorize_url`].
    pub state: String,
    /// The meters (PRM) the resident consented for; usually one. The holder
    /// sends several separated by commas when the account has several.
    pub usage_point_ids: Vec<String>,
}

impl Callback {
    /// Reads the callback's query string (without the `?`). An `error`
    /// parameter (the resident refused) becomes
    /// [`ConnectError::ConsentDenied`].
    pub fn from_query(query: &str) -> Result<Self, ConnectError> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| ConnectError::BadResponse {
                holder: ENEDIS,
                what: "the consent callback".to_owned(),
                detail: e.to_string(),
            })?;
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(error) = get("error") {
            return Err(ConnectError::ConsentDenied {
                error,
                description: get("error_description").unwrap_or_else(|| "no details".to_owned()),
            });
        }
        let code = get("code").ok_or(ConnectError::CallbackIncomplete("code"))?;
        let state = get("state").ok_or(ConnectError::CallbackIncomplete("state"))?;
        let ids =
            get("usage_point_id").ok_or(ConnectError::CallbackIncomplete("usage_point_id"))?;
        let usage_point_ids = ids
            .split(',')
            .map(|id| {
                let id = id.trim();
                if is_usage_point_id(id) {
                    Ok(id.to_owned())
                } else {
                    Err(ConnectError::InvalidUsagePoint(id.to_owned()))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            code,
            state,
            usage_point_ids,
        })
    }
}

/// Whether `id` looks like a PRM: exactly 14 ASCII digits.
pub fn is_usage_point_id(id: &str) -> bool {
    id.len() == 14 && id.bytes().all(|b| b.is_ascii_digit())
}

/// The tokens of one consent. `expires_at` is when the connector stops
/// using the access token: a little before the holder's own expiry.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    /// Absent when the holder issues none; refreshing then asks for a
    /// `client_credentials` token instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub expires_at: Timestamp,
}

impl Tokens {
    /// Whether the access token should no longer be used at `now`.
    pub fn is_expired(&self, now: Timestamp) -> bool {
        now >= self.expires_at
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"(hidden)")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "(hidden)"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Exchanges the callback's code for tokens (`grant_type=authorization_code`).
pub async fn exchange_code(
    cfg: &DataConnectConfig,
    client: &ConnectClient,
    code: &str,
) -> Result<Tokens, ConnectError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", cfg.redirect_uri.as_str()),
        ("client_id", cfg.client_id.as_str()),
        ("client_secret", cfg.client_secret.as_str()),
    ];
    token_request(
        ENEDIS,
        &cfg.token_url,
        client,
        &form,
        "the code exchange",
        None,
    )
    .await
}

const ENEDIS: &str = "Enedis";

/// New tokens for `tokens`: `grant_type=refresh_token` when there is a
/// refresh token (kept if the answer carries no new one), otherwise
/// `grant_type=client_credentials`. [`crate::pull`] calls this by itself.
pub async fn refresh_tokens(
    cfg: &DataConnectConfig,
    client: &ConnectClient,
    tokens: &Tokens,
) -> Result<Tokens, ConnectError> {
    match &tokens.refresh_token {
        Some(refresh) => {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("client_id", cfg.client_id.as_str()),
                ("client_secret", cfg.client_secret.as_str()),
            ];
            token_request(
                ENEDIS,
                &cfg.token_url,
                client,
                &form,
                "the token refresh",
                Some(refresh),
            )
            .await
        }
        None => {
            client_credentials(
                ENEDIS,
                &cfg.token_url,
                &cfg.client_id,
                &cfg.client_secret,
                None,
                client,
            )
            .await
        }
    }
}

/// A token of the application itself (`grant_type=client_credentials`),
/// for `scope` when given.
pub(crate) async fn client_credentials(
    holder: &'static str,
    token_url: &str,
    client_id: &str,
    client_secret: &str,
    scope: Option<&str>,
    client: &ConnectClient,
) -> Result<Tokens, ConnectError> {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", client_secret),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token_request(holder, token_url, client, &form, "the token request", None).await
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
pub(crate) struct ErrorAnswer {
    #[serde(default, alias = "code")]
    pub error: String,
    #[serde(default, alias = "message")]
    pub error_description: String,
}

impl ErrorAnswer {
    /// The holder's `{"error", "error_description"}` (OAuth, Enedis) or
    /// `{"code", "message"}` (GRDF), or the raw text.
    pub(crate) fn parse(body: &[u8]) -> Self {
        match serde_json::from_slice::<ErrorAnswer>(body) {
            Ok(answer) if !answer.error.is_empty() || !answer.error_description.is_empty() => {
                answer
            }
            _ => ErrorAnswer {
                error: String::new(),
                error_description: String::from_utf8_lossy(body).chars().take(300).collect(),
            },
        }
    }

    pub(crate) fn summary(&self) -> String {
        match (self.error.is_empty(), self.error_description.is_empty()) {
            (false, false) => format!("{}: {}", self.error, self.error_description),
            (false, true) => self.error.clone(),
            (true, false) => self.error_description.clone(),
            (true, true) => "no details".to_owned(),
        }
    }
}

async fn token_request(
    holder: &'static str,
    token_url: &str,
    client: &ConnectClient,
    form: &[(&str, &str)],
    what: &str,
    previous_refresh: Option<&String>,
) -> Result<Tokens, ConnectError> {
    let answer = client
        .send(holder, what, |http| {
            http.post(token_url)
                .header(reqwest::header::ACCEPT, "application/json")
                .form(form)
        })
        .await?;
    match answer.status {
        StatusCode::OK => {}
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
            let error = ErrorAnswer::parse(&answer.body);
            let detail = error.summary();
            return Err(if error.error == "invalid_client" {
                ConnectError::ClientRefused { holder, detail }
            } else {
                ConnectError::ConsentRefused { holder, detail }
            });
        }
        status => {
            return Err(ConnectError::BadResponse {
                holder,
                what: what.to_owned(),
                detail: format!(
                    "HTTP {status}: {}",
                    ErrorAnswer::parse(&answer.body).summary()
                ),
            });
        }
    }
    let token: TokenAnswer =
        serde_json::from_slice(&answer.body).map_err(|e| ConnectError::BadResponse {
            holder,
            what: what.to_owned(),
            detail: format!("not a token answer ({e})"),
        })?;
    let lifetime = token
        .expires_in
        .as_ref()
        .and_then(|v| match v {
            serde_json::Value::Number(n) => n.as_f64(),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|secs| secs.is_finite() && *secs > 0.0)
        .map(Duration::from_secs_f64)
        .unwrap_or(DEFAULT_LIFETIME);
    // Stop using it a tenth of its life (at most a minute) early.
    let usable = lifetime - (lifetime / 10).min(Duration::from_secs(60));
    let usable = SignedDuration::try_from(usable).unwrap_or(SignedDuration::ZERO);
    Ok(Tokens {
        access_token: token.access_token,
        refresh_token: token.refresh_token.or_else(|| previous_refresh.cloned()),
        expires_at: Timestamp::now()
            .saturating_add(usable)
            .unwrap_or(Timestamp::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DataConnectConfig {
        DataConnectConfig::enedis(
            "my app",
            "secret",
            "https://pod.example/connect/enedis/callback",
        )
    }

    #[test]
    fn authorize_url_carries_every_parameter_encoded() {
        let url = authorize_url(&cfg(), "a b&c", "P3Y");
        assert_eq!(
            url,
            "https://mon-compte-particulier.enedis.fr/dataconnect/v1/oauth2/authorize\
             ?client_id=my+app&response_type=code&state=a+b%26c&duration=P3Y\
             &redirect_uri=https%3A%2F%2Fpod.example%2Fconnect%2Fenedis%2Fcallback"
        );
        let mut with_query = cfg();
        with_query.authorize_url = "http://127.0.0.1:9/authorize?x=1".to_owned();
        assert!(
            authorize_url(&with_query, "s", "P1Y")
                .starts_with("http://127.0.0.1:9/authorize?x=1&client_id=")
        );
    }

    #[test]
    fn callback_is_read_or_refused() {
        let ok = Callback::from_query("code=abc&state=xyz&usage_point_id=16401220101758").unwrap();
        assert_eq!(ok.code, "abc");
        assert_eq!(ok.state, "xyz");
        assert_eq!(ok.usage_point_ids, ["16401220101758"]);
        let two =
            Callback::from_query("code=a&state=s&usage_point_id=16401220101758%2C16401220101759")
                .unwrap();
        assert_eq!(two.usage_point_ids.len(), 2);

        let denied =
            Callback::from_query("error=access_denied&error_description=User+refused&state=s")
                .unwrap_err();
        assert!(matches!(denied, ConnectError::ConsentDenied { .. }));
        assert!(denied.to_string().contains("User refused"), "{denied}");
        assert!(matches!(
            Callback::from_query("state=s&usage_point_id=16401220101758"),
            Err(ConnectError::CallbackIncomplete("code"))
        ));
        assert!(matches!(
            Callback::from_query("code=a&state=s&usage_point_id=1234"),
            Err(ConnectError::InvalidUsagePoint(_))
        ));
    }

    #[test]
    fn tokens_hide_their_secrets_in_debug() {
        let tokens = Tokens {
            access_token: "AT-secret".to_owned(),
            refresh_token: Some("RT-secret".to_owned()),
            expires_at: Timestamp::UNIX_EPOCH,
        };
        let shown = format!("{tokens:?} {:?}", cfg());
        assert!(!shown.contains("secret\""), "{shown}");
        assert!(!shown.contains("AT-secret") && !shown.contains("RT-secret"));
        let json = serde_json::to_string(&tokens).unwrap();
        assert_eq!(serde_json::from_str::<Tokens>(&json).unwrap(), tokens);
    }
}

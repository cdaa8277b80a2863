//! Enedis Data Connect v5 as a [`Connector`]: three metering endpoints
//! asked with `usage_point_id`, `start`, `end` (exclusive) and the
//! resident's bearer token, refreshed with the refresh token of the
//! consent; 404 and `ADAM-ERR0123` (before the meter's activation) are
//! windows without data.

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};

use crate::config::{DataConnectConfig, Endpoint, Politeness, Window};
use crate::connector::{Connector, Reading, TokenOwner};
use crate::error::ConnectError;
use crate::http::ConnectClient;
use crate::oauth::{ErrorAnswer, Tokens, client_credentials, is_usage_point_id, refresh_tokens};

/// The error code with which Enedis refuses a period before the meter's
/// (last) activation, as open-source clients report it. Such a window has
/// no data and is skipped.
pub const BEFORE_ACTIVATION_CODE: &str = "ADAM-ERR0123";

const HOLDER: &str = "Enedis";

impl Connector for DataConnectConfig {
    fn holder(&self) -> &'static str {
        HOLDER
    }

    fn politeness(&self) -> &Politeness {
        &self.politeness
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        &Endpoint::ENEDIS
    }

    fn check_meter(&self, meter: &str) -> Result<(), ConnectError> {
        if is_usage_point_id(meter) {
            Ok(())
        } else {
            Err(ConnectError::InvalidUsagePoint(meter.to_owned()))
        }
    }

    fn token_owner(&self) -> TokenOwner {
        TokenOwner::Connection
    }

    async fn renew(
        &self,
        client: &ConnectClient,
        current: Option<&Tokens>,
    ) -> Result<Tokens, ConnectError> {
        match current {
            Some(tokens) => refresh_tokens(self, client, tokens).await,
            None => {
                client_credentials(
                    HOLDER,
                    &self.token_url,
                    &self.client_id,
                    &self.client_secret,
                    None,
                    client,
                )
                .await
            }
        }
    }

    fn request(
        &self,
        http: &reqwest::Client,
        endpoint: Endpoint,
        meter: &str,
        window: Window,
        access_token: &str,
    ) -> reqwest::RequestBuilder {
        let url = format!("{}{}", self.api_base.trim_end_matches('/'), endpoint.path());
        http.get(url)
            .query(&[
                ("usage_point_id", meter),
                ("start", &window.start.to_string()),
                ("end", &window.end.to_string()),
            ])
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .header(ACCEPT, "application/json")
    }

    fn read(
        &self,
        endpoint: Endpoint,
        window: Window,
        meter: &str,
        status: StatusCode,
        body: Vec<u8>,
    ) -> Reading {
        match status {
            StatusCode::OK => Reading::Data(body),
            StatusCode::NOT_FOUND => Reading::Empty,
            StatusCode::UNAUTHORIZED => Reading::Unauthorized(ConnectError::ConsentRefused {
                holder: HOLDER,
                detail: ErrorAnswer::parse(&body).summary(),
            }),
            StatusCode::FORBIDDEN => Reading::Failed(ConnectError::NoConsent {
                holder: HOLDER,
                meter: meter.to_owned(),
                description: ErrorAnswer::parse(&body).summary(),
            }),
            StatusCode::BAD_REQUEST => {
                let error = ErrorAnswer::parse(&body);
                if error.error == BEFORE_ACTIVATION_CODE {
                    return Reading::Empty;
                }
                Reading::Failed(ConnectError::Rejected {
                    holder: HOLDER,
                    endpoint,
                    window,
                    status: 400,
                    code: if error.error.is_empty() {
                        "no code".to_owned()
                    } else {
                        error.error
                    },
                    description: error.error_description,
                })
            }
            status => Reading::Failed(ConnectError::BadResponse {
                holder: HOLDER,
                what: format!("{endpoint}, {window}"),
                detail: format!("HTTP {status}: {}", ErrorAnswer::parse(&body).summary()),
            }),
        }
    }
}

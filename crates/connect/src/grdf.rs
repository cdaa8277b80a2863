//! GRDF's ADICT API as a [`Connector`]: one endpoint, the informative
//! consumption of a PCE (`GET /adict/v2/pce/{pce}/donnees_consos_informatives`,
//! `date_debut` and `date_fin` both inclusive gas days), answered in NDJSON,
//! asked with the application's own client-credentials token (scope
//! `/adict/v2`): GRDF knows the resident's consent as a right of access the
//! partner holds for the PCE, not as a token. A 401 is an expired token (a
//! new one is asked for); a 403, no right of access for this PCE.

use jiff::ToSpan;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};

use crate::config::{AdictConfig, Endpoint, Politeness, Window};
use crate::connector::{Connector, Reading, TokenOwner};
use crate::error::ConnectError;
use crate::http::ConnectClient;
use crate::oauth::{ErrorAnswer, Tokens, client_credentials};

const HOLDER: &str = "GRDF";

/// Whether `id` looks like a PCE: 14 ASCII digits, or `GI` and 6 digits.
pub fn is_pce(id: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    digits(id, 14) || id.strip_prefix("GI").is_some_and(|rest| digits(rest, 6))
}

impl Connector for AdictConfig {
    fn holder(&self) -> &'static str {
        HOLDER
    }

    fn politeness(&self) -> &Politeness {
        &self.politeness
    }

    fn endpoints(&self) -> &'static [Endpoint] {
        &[Endpoint::GasInformativeConsumption]
    }

    fn check_meter(&self, meter: &str) -> Result<(), ConnectError> {
        if is_pce(meter) {
            Ok(())
        } else {
            Err(ConnectError::InvalidPce(meter.to_owned()))
        }
    }

    fn token_owner(&self) -> TokenOwner {
        TokenOwner::Application
    }

    async fn renew(
        &self,
        client: &ConnectClient,
        _current: Option<&Tokens>,
    ) -> Result<Tokens, ConnectError> {
        client_credentials(
            HOLDER,
            &self.token_url,
            &self.client_id,
            &self.client_secret,
            Some(AdictConfig::SCOPE),
            client,
        )
        .await
    }

    fn request(
        &self,
        http: &reqwest::Client,
        endpoint: Endpoint,
        meter: &str,
        window: Window,
        access_token: &str,
    ) -> reqwest::RequestBuilder {
        // `meter` passed `check_meter`: digits and `GI` only, safe in a path.
        let path = endpoint.path().replace("{pce}", meter);
        let last_day = window.end.saturating_sub(1.day());
        http.get(format!("{}{path}", self.api_base.trim_end_matches('/')))
            .query(&[
                ("date_debut", window.start.to_string()),
                ("date_fin", last_day.to_string()),
            ])
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .header(ACCEPT, "application/x-ndjson")
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
            StatusCode::OK if body.iter().all(u8::is_ascii_whitespace) => Reading::Empty,
            StatusCode::OK => Reading::Data(body),
            StatusCode::NO_CONTENT | StatusCode::NOT_FOUND => Reading::Empty,
            // Refused although just issued: the application's keys are wrong.
            StatusCode::UNAUTHORIZED => Reading::Unauthorized(ConnectError::ClientRefused {
                holder: HOLDER,
                detail: ErrorAnswer::parse(&body).summary(),
            }),
            StatusCode::FORBIDDEN => Reading::Failed(ConnectError::NoConsent {
                holder: HOLDER,
                meter: meter.to_owned(),
                description: ErrorAnswer::parse(&body).summary(),
            }),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => {
                let error = ErrorAnswer::parse(&body);
                Reading::Failed(ConnectError::Rejected {
                    holder: HOLDER,
                    endpoint,
                    window,
                    status: status.as_u16(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pce_numbers_are_fourteen_digits_or_gi_and_six() {
        assert!(is_pce("21546000000000") && is_pce("GI123456"));
        for bad in [
            "2154600000000",
            "GI12345",
            "gi123456",
            "GI1234567",
            "GI12345a",
            "",
        ] {
            assert!(!is_pce(bad), "{bad}");
        }
    }
}

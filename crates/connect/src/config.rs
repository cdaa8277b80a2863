//! What a connector is told: where each holder's consent page, token
//! endpoint and API are, selfdata's client credentials, and how politely to
//! ask ([`Politeness`]: rate, retries, the days fetched again). Also every
//! endpoint the connectors pull, with its documented limits, and the date
//! windows they are asked for.

use std::fmt;
use std::time::Duration;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// How politely a connector asks, the same for every holder.
#[derive(Clone, Debug)]
pub struct Politeness {
    /// Never more than this many requests in any one-second window, across
    /// every pull that shares one [`crate::ConnectClient`] (Enedis: 5).
    pub max_requests_per_second: u32,
    /// Retries of 429, 5xx and transport failures.
    pub retry: RetryPolicy,
    /// Days before `today` that every pull asks for again, even when already
    /// fetched: holders publish a day's data late and sometimes in parts
    /// (estimates later replaced by readings), so the last days are fetched
    /// until they have settled. The importer receives them again and must be
    /// idempotent. 0 turns it off.
    pub refetch_recent_days: u32,
    /// Time limit of one HTTP request.
    pub request_timeout: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            max_requests_per_second: 5,
            retry: RetryPolicy::default(),
            refetch_recent_days: 2,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// Everything the connector needs to talk to a Data Connect holder (Enedis
/// itself, its sandbox, or the `standin` feature's server).
#[derive(Clone)]
pub struct DataConnectConfig {
    /// The consent page the resident is sent to.
    pub authorize_url: String,
    /// The OAuth token endpoint (code exchange and refresh).
    pub token_url: String,
    /// Base of the metering API, without a trailing slash, e.g.
    /// `https://gw.ext.prod.api.enedis.fr`.
    pub api_base: String,
    pub client_id: String,
    pub client_secret: String,
    /// selfdata's callback, as registered with the holder.
    pub redirect_uri: String,
    pub politeness: Politeness,
}

impl DataConnectConfig {
    /// Enedis's consent page (production).
    pub const ENEDIS_AUTHORIZE_URL: &str =
        "https://mon-compte-particulier.enedis.fr/dataconnect/v1/oauth2/authorize";
    /// Enedis's token endpoint (production).
    pub const ENEDIS_TOKEN_URL: &str = "https://gw.ext.prod.api.enedis.fr/oauth2/v3/token";
    /// Enedis's API gateway (production).
    pub const ENEDIS_API_BASE: &str = "https://gw.ext.prod.api.enedis.fr";

    /// The production Enedis endpoints with the default politeness settings.
    /// Change any field afterwards (`..DataConnectConfig::enedis(..)`).
    pub fn enedis(client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        Self {
            authorize_url: Self::ENEDIS_AUTHORIZE_URL.to_owned(),
            token_url: Self::ENEDIS_TOKEN_URL.to_owned(),
            api_base: Self::ENEDIS_API_BASE.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            politeness: Politeness::default(),
        }
    }
}

impl fmt::Debug for DataConnectConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataConnectConfig")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("api_base", &self.api_base)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("redirect_uri", &self.redirect_uri)
            .field("politeness", &self.politeness)
            .finish()
    }
}

/// Everything the connector needs to talk to GRDF's ADICT API (GRDF itself,
/// or the `standin` feature's server). ADICT has no consent page: the
/// partner holds a right of access per PCE and asks with a
/// client-credentials token of its own (scope `/adict/v2`).
#[derive(Clone)]
pub struct AdictConfig {
    /// The OAuth token endpoint (client credentials).
    pub token_url: String,
    /// Base of the API, without a trailing slash, e.g. `https://api.grdf.fr`.
    pub api_base: String,
    pub client_id: String,
    pub client_secret: String,
    pub politeness: Politeness,
}

impl AdictConfig {
    /// GRDF's token endpoint (production).
    pub const GRDF_TOKEN_URL: &str =
        "https://sofit-sso-oidc.grdf.fr/openam/oauth2/realms/externeGrdf/access_token";
    /// GRDF's API (production).
    pub const GRDF_API_BASE: &str = "https://api.grdf.fr";
    /// The scope of the ADICT API.
    pub const SCOPE: &str = "/adict/v2";

    /// The production GRDF endpoints with the default politeness settings
    /// (the last three gas days fetched again: estimates are replaced by
    /// readings).
    pub fn grdf(client_id: &str, client_secret: &str) -> Self {
        Self {
            token_url: Self::GRDF_TOKEN_URL.to_owned(),
            api_base: Self::GRDF_API_BASE.to_owned(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            politeness: Politeness {
                refetch_recent_days: 3,
                ..Politeness::default()
            },
        }
    }
}

impl fmt::Debug for AdictConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdictConfig")
            .field("token_url", &self.token_url)
            .field("api_base", &self.api_base)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("politeness", &self.politeness)
            .finish()
    }
}

/// Exponential backoff: after the n-th failed attempt wait
/// `base_delay * 2^(n-1)`, at most `max_delay`, or longer if the holder's
/// `Retry-After` says so; give up after `max_attempts` attempts.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

/// The longest `Retry-After` honoured; a longer one is cut to this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

impl RetryPolicy {
    /// How long to wait after `failed_attempts` (≥ 1) failures.
    pub fn delay(&self, failed_attempts: u32, retry_after: Option<Duration>) -> Duration {
        let shift = failed_attempts.saturating_sub(1).min(20);
        let backoff = self
            .base_delay
            .saturating_mul(1u32 << shift)
            .min(self.max_delay);
        match retry_after {
            Some(asked) => asked.min(MAX_RETRY_AFTER).max(backoff),
            None => backoff,
        }
    }
}

/// An endpoint a connector pulls: the three Data Connect v5 metering
/// endpoints (Enedis) and ADICT's informative consumption (GRDF).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// Daily consumption, Wh per day; ≤ 365 days a call, 36 months back.
    DailyConsumption,
    /// Daily maximum power, VA; ≤ 365 days a call, 36 months back.
    DailyConsumptionMaxPower,
    /// Load curve, average W per 30 min; ≤ 7 days a call, 24 months back.
    ConsumptionLoadCurve,
    /// GRDF ADICT informative consumption: one NDJSON line per gas day
    /// (m³ and kWh); ≤ 365 days a call, 36 months back.
    #[serde(rename = "donnees_consos_informatives")]
    GasInformativeConsumption,
}

impl Endpoint {
    /// Every Enedis endpoint, in the order a pull fetches them (the short
    /// daily histories first, so the resident sees something early).
    pub const ENEDIS: [Endpoint; 3] = [
        Endpoint::DailyConsumption,
        Endpoint::DailyConsumptionMaxPower,
        Endpoint::ConsumptionLoadCurve,
    ];

    /// The name used by the API and in [`crate::ConnectionState`].
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::DailyConsumption => "daily_consumption",
            Endpoint::DailyConsumptionMaxPower => "daily_consumption_max_power",
            Endpoint::ConsumptionLoadCurve => "consumption_load_curve",
            Endpoint::GasInformativeConsumption => "donnees_consos_informatives",
        }
    }

    /// Every endpoint of every connector.
    pub const ALL: [Endpoint; 4] = [
        Endpoint::DailyConsumption,
        Endpoint::DailyConsumptionMaxPower,
        Endpoint::ConsumptionLoadCurve,
        Endpoint::GasInformativeConsumption,
    ];

    /// The endpoint called `name` ([`Endpoint::name`]).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.name() == name)
    }

    /// Path under the API base (`{pce}` stands for the meter in ADICT's).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::DailyConsumption => "/metering_data_dc/v5/daily_consumption",
            Endpoint::DailyConsumptionMaxPower => {
                "/metering_data_dcmp/v5/daily_consumption_max_power"
            }
            Endpoint::ConsumptionLoadCurve => "/metering_data_clc/v5/consumption_load_curve",
            Endpoint::GasInformativeConsumption => {
                "/adict/v2/pce/{pce}/donnees_consos_informatives"
            }
        }
    }

    /// The longest window one call may ask for, in days.
    pub fn max_window_days(self) -> i64 {
        match self {
            Endpoint::ConsumptionLoadCurve => 7,
            _ => 365,
        }
    }

    /// How many months of history the holder keeps.
    pub fn history_months(self) -> i64 {
        match self {
            Endpoint::ConsumptionLoadCurve => 24,
            _ => 36,
        }
    }

    /// The oldest date that may be asked for when today is `today`.
    pub fn history_start(self, today: Date) -> Date {
        today.saturating_sub(self.history_months().months())
    }

    /// The first day a first pull asks for: one day after
    /// [`Endpoint::history_start`], so that a holder counting its limit a
    /// day differently (time zone, inclusive or not) does not refuse the
    /// oldest window.
    pub fn first_day_asked(self, today: Date) -> Date {
        self.history_start(today).saturating_add(1.day())
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Days `start` (inclusive) to `end` (exclusive), as the API's `start` and
/// `end` query parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Window {
    pub start: Date,
    pub end: Date,
}

impl Window {
    /// Number of days in the window.
    pub fn days(self) -> i64 {
        i64::from(
            self.end
                .since(self.start)
                .map(|s| s.get_days())
                .unwrap_or(0),
        )
    }

    /// Whether `day` is in the window.
    pub fn contains(self, day: Date) -> bool {
        self.start <= day && day < self.end
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {} (exclusive)", self.start, self.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_honours_retry_after() {
        let policy = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(300),
        };
        let delays: Vec<_> = (1..=5).map(|n| policy.delay(n, None).as_millis()).collect();
        assert_eq!(delays, [50, 100, 200, 300, 300]);
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(3600))),
            MAX_RETRY_AFTER
        );
    }

    #[test]
    fn history_limits_and_window_sizes() {
        let today = date(2024, 2, 29);
        assert_eq!(
            Endpoint::ConsumptionLoadCurve.history_start(today),
            date(2022, 2, 28)
        );
        assert_eq!(
            Endpoint::DailyConsumption.history_start(today),
            date(2021, 2, 28)
        );
        let w = Window {
            start: date(2024, 1, 1),
            end: date(2024, 1, 8),
        };
        assert_eq!(w.days(), 7);
        assert!(w.contains(date(2024, 1, 7)) && !w.contains(date(2024, 1, 8)));
    }
}

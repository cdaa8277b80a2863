//! The pull, the same for every holder: from each endpoint's cursor (or
//! the start of the holder's history) to today, in windows no longer than
//! the holder allows; every body handed to the app's [`Sink`], the cursor
//! advanced and the state checkpointed after each window, so a pull that
//! stops resumes at the first window not yet accepted. Tokens are renewed
//! when expired, or once when refused (401); what an answer means is the
//! [`Connector`]'s to say.

use std::collections::BTreeMap;
use std::future::Future;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::{Deserialize, Serialize};

use crate::config::{Endpoint, Window};
use crate::connector::{Connector, Reading, TokenOwner};
use crate::error::{ConnectError, SinkError};
use crate::http::ConnectClient;
use crate::oauth::Tokens;

/// What the app persists (as JSON) for one connected meter: its identifier
/// (PRM, PCE), the tokens of its consent when the holder gives some
/// ([`TokenOwner::Connection`]), per endpoint the date up to which data has
/// been fetched (exclusive), and how the last pull ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct ConnectionState {
    pub meter: String,
    pub tokens: Option<Tokens>,
    cursors: BTreeMap<Endpoint, Date>,
    /// When the last pull that reached today ended.
    pub last_success: Option<Timestamp>,
    /// Why the last pull stopped, when it did not reach today (the app
    /// writes it; a later success clears it).
    pub last_failure: Option<String>,
}

/// The stored shape: cursors as fields named after their endpoint (as the
/// first Enedis connector wrote them, `usage_point_id` included).
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(alias = "usage_point_id")]
    meter: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tokens: Option<Tokens>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_success: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_failure: Option<String>,
    #[serde(flatten)]
    cursors: BTreeMap<String, Option<Date>>,
}

impl From<Stored> for ConnectionState {
    fn from(s: Stored) -> Self {
        let cursors = s
            .cursors
            .into_iter()
            .filter_map(|(name, date)| Some((Endpoint::from_name(&name)?, date?)))
            .collect();
        Self {
            meter: s.meter,
            tokens: s.tokens,
            cursors,
            last_success: s.last_success,
            last_failure: s.last_failure,
        }
    }
}

impl From<ConnectionState> for Stored {
    fn from(s: ConnectionState) -> Self {
        Self {
            meter: s.meter,
            tokens: s.tokens,
            last_success: s.last_success,
            last_failure: s.last_failure,
            cursors: s
                .cursors
                .into_iter()
                .map(|(e, d)| (e.name().to_owned(), Some(d)))
                .collect(),
        }
    }
}

impl ConnectionState {
    /// A meter just connected: nothing fetched yet. `tokens` are the
    /// consent's ([`TokenOwner::Connection`]), `None` for a holder whose
    /// tokens are the application's.
    pub fn new(
        connector: &impl Connector,
        meter: &str,
        tokens: Option<Tokens>,
    ) -> Result<Self, ConnectError> {
        connector.check_meter(meter)?;
        Ok(Self {
            meter: meter.to_owned(),
            tokens,
            cursors: BTreeMap::new(),
            last_success: None,
            last_failure: None,
        })
    }

    /// Date up to which `endpoint` has been fetched (exclusive).
    pub fn cursor(&self, endpoint: Endpoint) -> Option<Date> {
        self.cursors.get(&endpoint).copied()
    }

    pub fn set_cursor(&mut self, endpoint: Endpoint, fetched_until: Date) {
        self.cursors.insert(endpoint, fetched_until);
    }
}

/// Where a pull delivers. The app implements it: `accept` hands a body to
/// its importer, `checkpoint` persists the state, `progress` shows how far
/// the pull is. An error from `accept` or `checkpoint` stops the pull.
pub trait Sink: Send {
    /// One window's answer, exactly as received (Data Connect v5 JSON,
    /// ADICT NDJSON).
    fn accept(
        &mut self,
        endpoint: Endpoint,
        window: Window,
        body: &[u8],
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Persist `state`: called after each window (accepted or empty), after
    /// each renewal of the connection's tokens, and at the end.
    fn checkpoint(
        &mut self,
        state: &ConnectionState,
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// `done` of `total` windows of this pull are behind; first called with
    /// `done == 0`.
    fn progress(&mut self, done: usize, total: usize) {
        let _ = (done, total);
    }
}

/// What a pull did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PullReport {
    /// Windows planned for this pull.
    pub windows: usize,
    /// Windows whose body went to the sink.
    pub accepted: usize,
    /// Windows the holder had no data for, skipped.
    pub empty: usize,
    /// Data requests sent, retries included.
    pub requests: usize,
    /// Of those, the retries of 429, 5xx and transport failures.
    pub retries: usize,
    /// Token renewals.
    pub refreshes: usize,
}

/// The windows a pull would fetch now, endpoint by endpoint in the
/// connector's order: from the cursor, moved back to cover the last
/// `refetch_recent_days` and forward to the start of the holder's history
/// ([`Endpoint::first_day_asked`]), up to `today` (exclusive), each at most
/// the endpoint's limit. Windows of one endpoint follow each other without
/// gap or overlap.
pub fn plan(
    connector: &impl Connector,
    state: &ConnectionState,
    today: Date,
) -> Vec<(Endpoint, Window)> {
    let refetch = connector.politeness().refetch_recent_days;
    let mut windows = Vec::new();
    for &endpoint in connector.endpoints() {
        let oldest = endpoint.first_day_asked(today);
        let mut from = match state.cursor(endpoint) {
            None => oldest,
            Some(cursor) => {
                let recent = today.saturating_sub(i64::from(refetch).days());
                cursor.min(recent).max(oldest)
            }
        };
        while from < today {
            let end = from
                .saturating_add(endpoint.max_window_days().days())
                .min(today);
            windows.push((endpoint, Window { start: from, end }));
            from = end;
        }
    }
    windows
}

/// Fetches every window of [`plan`] in order, renewing the tokens when
/// expired or refused once (401), and delivers to `sink`. `today` is the
/// holder's today (Paris: [`crate::paris_today`]); no window reaches past it.
///
/// How answers are handled:
/// - data: the body goes to `sink.accept`, then the cursor advances;
/// - no data (Enedis: 404 or `ADAM-ERR0123`; GRDF: 204, 404 or an empty
///   body): the cursor advances;
/// - 401: renew the tokens once and ask again; a second 401, or a refused
///   renewal, ends the pull (Enedis: [`ConnectError::ConsentRefused`];
///   GRDF: [`ConnectError::ClientRefused`]);
/// - 403: [`ConnectError::NoConsent`];
/// - other 400: [`ConnectError::Rejected`], the pull stops (asking again
///   would not help; the cursor stays);
/// - 429, 5xx, transport failures: retried with backoff (at least the
///   `Retry-After` asked), then [`ConnectError::Unavailable`].
///
/// A pull that reaches today sets [`ConnectionState::last_success`] and
/// clears `last_failure`.
pub async fn pull<C: Connector, S: Sink>(
    connector: &C,
    client: &ConnectClient,
    state: &mut ConnectionState,
    today: Date,
    sink: &mut S,
) -> Result<PullReport, ConnectError> {
    connector.check_meter(&state.meter)?;
    let holder = connector.holder();
    let windows = plan(connector, state, today);
    let mut report = PullReport {
        windows: windows.len(),
        ..PullReport::default()
    };
    sink.progress(0, windows.len());
    for (done, &(endpoint, window)) in windows.iter().enumerate() {
        match fetch(
            connector,
            client,
            state,
            endpoint,
            window,
            sink,
            &mut report,
        )
        .await?
        {
            Some(body) => {
                sink.accept(endpoint, window, &body)
                    .await
                    .map_err(|source| ConnectError::Sink {
                        holder,
                        endpoint,
                        window,
                        source,
                    })?;
                report.accepted += 1;
            }
            None => report.empty += 1,
        }
        state.set_cursor(endpoint, window.end);
        sink.checkpoint(state)
            .await
            .map_err(|source| ConnectError::Checkpoint { holder, source })?;
        sink.progress(done + 1, windows.len());
    }
    state.last_success = Some(Timestamp::now());
    state.last_failure = None;
    sink.checkpoint(state)
        .await
        .map_err(|source| ConnectError::Checkpoint { holder, source })?;
    tracing::info!(
        holder,
        meter = %state.meter,
        windows = report.windows,
        accepted = report.accepted,
        empty = report.empty,
        requests = report.requests,
        retries = report.retries,
        refreshes = report.refreshes,
        "pull done"
    );
    Ok(report)
}

/// One window: `Some(body)`, or `None` when the holder has no data for it.
async fn fetch<C: Connector, S: Sink>(
    connector: &C,
    client: &ConnectClient,
    state: &mut ConnectionState,
    endpoint: Endpoint,
    window: Window,
    sink: &mut S,
    report: &mut PullReport,
) -> Result<Option<Vec<u8>>, ConnectError> {
    let what = format!("{endpoint}, {window}");
    let mut refused = false;
    loop {
        // Expired by the time the rate limiter lets the request go?
        let wait =
            SignedDuration::try_from(client.expected_wait().await).unwrap_or(SignedDuration::MAX);
        let sent_at = Timestamp::now()
            .saturating_add(wait)
            .unwrap_or(Timestamp::MAX);
        let token = bearer(connector, client, state, sink, report, sent_at, refused).await?;
        let answer = client
            .send(connector.holder(), &what, |http| {
                connector.request(http, endpoint, &state.meter, window, &token)
            })
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                if let ConnectError::Unavailable { attempts, .. } = &e {
                    report.requests += *attempts as usize;
                    report.retries += attempts.saturating_sub(1) as usize;
                }
                return Err(e);
            }
        };
        report.requests += answer.attempts as usize;
        report.retries += answer.attempts.saturating_sub(1) as usize;
        match connector.read(endpoint, window, &state.meter, answer.status, answer.body) {
            Reading::Data(body) => return Ok(Some(body)),
            Reading::Empty => {
                tracing::debug!(%endpoint, %window, "no data for this window");
                return Ok(None);
            }
            Reading::Unauthorized(_) if !refused => refused = true,
            Reading::Unauthorized(e) | Reading::Failed(e) => return Err(e),
        }
    }
}

/// The access token to send at `sent_at`: renewed when missing, expired at
/// that time, or `refused` by the last answer.
async fn bearer<C: Connector, S: Sink>(
    connector: &C,
    client: &ConnectClient,
    state: &mut ConnectionState,
    sink: &mut S,
    report: &mut PullReport,
    sent_at: Timestamp,
    refused: bool,
) -> Result<String, ConnectError> {
    let stale = |tokens: Option<&Tokens>| refused || tokens.is_none_or(|t| t.is_expired(sent_at));
    match connector.token_owner() {
        TokenOwner::Connection => {
            if stale(state.tokens.as_ref()) {
                let renewed = connector.renew(client, state.tokens.as_ref()).await?;
                report.refreshes += 1;
                state.tokens = Some(renewed);
                // A holder may rotate the refresh token: persist it at once.
                sink.checkpoint(state)
                    .await
                    .map_err(|source| ConnectError::Checkpoint {
                        holder: connector.holder(),
                        source,
                    })?;
            }
            Ok(state
                .tokens
                .as_ref()
                .map(|t| t.access_token.clone())
                .unwrap_or_default())
        }
        TokenOwner::Application => {
            let current = client.app_token();
            match current {
                Some(tokens) if !stale(Some(&tokens)) => Ok(tokens.access_token),
                current => {
                    let renewed = connector.renew(client, current.as_ref()).await?;
                    report.refreshes += 1;
                    client.set_app_token(renewed.clone());
                    Ok(renewed.access_token)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{AdictConfig, DataConnectConfig};
    use jiff::civil::date;

    fn enedis() -> DataConnectConfig {
        DataConnectConfig::enedis("id", "secret", "http://localhost/cb")
    }

    fn state() -> ConnectionState {
        ConnectionState::new(
            &enedis(),
            "16401220101758",
            Some(Tokens {
                access_token: "a".to_owned(),
                refresh_token: None,
                expires_at: Timestamp::MAX,
            }),
        )
        .unwrap()
    }

    fn check_contiguous(windows: &[(Endpoint, Window)], endpoint: Endpoint, from: Date, to: Date) {
        let mine: Vec<Window> = windows
            .iter()
            .filter(|(e, _)| *e == endpoint)
            .map(|(_, w)| *w)
            .collect();
        assert_eq!(mine.first().unwrap().start, from);
        assert_eq!(mine.last().unwrap().end, to);
        for pair in mine.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for w in &mine {
            assert!(w.days() >= 1 && w.days() <= endpoint.max_window_days());
        }
    }

    #[test]
    fn first_plan_covers_the_whole_history() {
        let cfg = enedis();
        let today = date(2025, 6, 15);
        let windows = plan(&cfg, &state(), today);
        let count = |e| windows.iter().filter(|(x, _)| *x == e).count();
        // 730 - 1 days of load curve in 7-day windows, 1095 - 1 days of
        // daily in 365-day windows.
        assert_eq!(count(Endpoint::ConsumptionLoadCurve), 105);
        assert_eq!(count(Endpoint::DailyConsumption), 3);
        assert_eq!(count(Endpoint::DailyConsumptionMaxPower), 3);
        for endpoint in Endpoint::ENEDIS {
            check_contiguous(&windows, endpoint, endpoint.first_day_asked(today), today);
        }
        assert_eq!(windows[0].1.start, date(2022, 6, 16));
        assert_eq!(windows[0].0, Endpoint::DailyConsumption);
    }

    #[test]
    fn later_plans_start_at_the_cursor_less_the_recent_days() {
        let mut cfg = enedis();
        let today = date(2025, 6, 15);
        let mut state = state();
        state.set_cursor(Endpoint::DailyConsumption, date(2025, 6, 1));
        state.set_cursor(Endpoint::DailyConsumptionMaxPower, today);
        state.set_cursor(Endpoint::ConsumptionLoadCurve, date(2020, 1, 1));
        let windows = plan(&cfg, &state, today);
        check_contiguous(
            &windows,
            Endpoint::DailyConsumption,
            date(2025, 6, 1),
            today,
        );
        check_contiguous(
            &windows,
            Endpoint::DailyConsumptionMaxPower,
            date(2025, 6, 13),
            today,
        );
        // A cursor older than the history starts at the history.
        check_contiguous(
            &windows,
            Endpoint::ConsumptionLoadCurve,
            date(2023, 6, 16),
            today,
        );

        cfg.politeness.refetch_recent_days = 0;
        let windows = plan(&cfg, &state, today);
        assert!(
            !windows
                .iter()
                .any(|(e, _)| *e == Endpoint::DailyConsumptionMaxPower)
        );
    }

    #[test]
    fn state_round_trips_as_json_and_checks_the_prm() {
        let mut state = state();
        state.set_cursor(Endpoint::ConsumptionLoadCurve, date(2024, 3, 1));
        let json = serde_json::to_string(&state).unwrap();
        assert!(
            json.contains("\"consumption_load_curve\":\"2024-03-01\""),
            "{json}"
        );
        assert_eq!(
            serde_json::from_str::<ConnectionState>(&json).unwrap(),
            state
        );
        assert!(matches!(
            ConnectionState::new(&enedis(), "1640122010175", state.tokens.clone()),
            Err(ConnectError::InvalidUsagePoint(_))
        ));
        assert!(matches!(
            ConnectionState::new(&AdictConfig::grdf("id", "s"), "GI12345", None),
            Err(ConnectError::InvalidPce(_))
        ));
    }

    #[test]
    fn a_state_written_by_the_first_enedis_connector_still_reads() {
        let old = r#"{"usage_point_id":"16401220101758","tokens":{"access_token":"a","expires_at":"2030-01-01T00:00:00Z"},"daily_consumption":"2025-06-01","consumption_load_curve":null,"daily_consumption_max_power":"2025-05-01"}"#;
        let state: ConnectionState = serde_json::from_str(old).unwrap();
        assert_eq!(state.meter, "16401220101758");
        assert_eq!(
            state.cursor(Endpoint::DailyConsumption),
            Some(date(2025, 6, 1))
        );
        assert_eq!(state.cursor(Endpoint::ConsumptionLoadCurve), None);
        assert_eq!(
            state.cursor(Endpoint::DailyConsumptionMaxPower),
            Some(date(2025, 5, 1))
        );
        assert_eq!(state.tokens.unwrap().access_token, "a");
    }

    #[test]
    fn a_grdf_plan_asks_three_years_of_gas_days_a_year_at_a_time() {
        let grdf = AdictConfig::grdf("id", "secret");
        let today = date(2025, 6, 15);
        let mut state = ConnectionState::new(&grdf, "GI123456", None).unwrap();
        let windows = plan(&grdf, &state, today);
        assert_eq!(windows.len(), 3);
        check_contiguous(
            &windows,
            Endpoint::GasInformativeConsumption,
            date(2022, 6, 16),
            today,
        );
        // Later: the last three gas days again (estimates become readings).
        state.set_cursor(Endpoint::GasInformativeConsumption, today);
        assert_eq!(
            plan(&grdf, &state, today),
            [(
                Endpoint::GasInformativeConsumption,
                Window {
                    start: date(2025, 6, 12),
                    end: today
                }
            )]
        );
        let json = serde_json::to_string(&state).unwrap();
        assert!(!json.contains("tokens"), "{json}");
    }
}

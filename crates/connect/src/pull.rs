//! The pull: from each endpoint's cursor (or the start of the holder's
//! history) to today, in windows no longer than the holder allows; every
//! body handed to the app's [`Sink`], the cursor advanced and the state
//! checkpointed after each window, so a pull that stops resumes at the
//! first window not yet accepted.

use std::future::Future;

use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp, ToSpan};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::{Deserialize, Serialize};

use crate::config::{DataConnectConfig, Endpoint, Window};
use crate::error::{ConnectError, SinkError};
use crate::http::ConnectClient;
use crate::oauth::{ErrorAnswer, Tokens, is_usage_point_id, refresh_tokens};

/// The error code with which Enedis refuses a period before the meter's
/// (last) activation, as open-source clients report it. Such a window has
/// no data and is skipped.
pub const BEFORE_ACTIVATION_CODE: &str = "ADAM-ERR0123";

/// What the app persists (as JSON) for one connected meter: its tokens and,
/// per endpoint, the date up to which data has been fetched (exclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionState {
    pub usage_point_id: String,
    pub tokens: Tokens,
    #[serde(default)]
    pub daily_consumption: Option<Date>,
    #[serde(default)]
    pub consumption_load_curve: Option<Date>,
    #[serde(default)]
    pub daily_consumption_max_power: Option<Date>,
}

impl ConnectionState {
    /// A meter just connected: nothing fetched yet.
    pub fn new(usage_point_id: &str, tokens: Tokens) -> Result<Self, ConnectError> {
        if !is_usage_point_id(usage_point_id) {
            return Err(ConnectError::InvalidUsagePoint(usage_point_id.to_owned()));
        }
        Ok(Self {
            usage_point_id: usage_point_id.to_owned(),
            tokens,
            daily_consumption: None,
            consumption_load_curve: None,
            daily_consumption_max_power: None,
        })
    }

    /// Date up to which `endpoint` has been fetched (exclusive).
    pub fn cursor(&self, endpoint: Endpoint) -> Option<Date> {
        match endpoint {
            Endpoint::DailyConsumption => self.daily_consumption,
            Endpoint::ConsumptionLoadCurve => self.consumption_load_curve,
            Endpoint::DailyConsumptionMaxPower => self.daily_consumption_max_power,
        }
    }

    pub fn set_cursor(&mut self, endpoint: Endpoint, fetched_until: Date) {
        let cursor = match endpoint {
            Endpoint::DailyConsumption => &mut self.daily_consumption,
            Endpoint::ConsumptionLoadCurve => &mut self.consumption_load_curve,
            Endpoint::DailyConsumptionMaxPower => &mut self.daily_consumption_max_power,
        };
        *cursor = Some(fetched_until);
    }
}

/// Where a pull delivers. The app implements it: `accept` hands a body to
/// its importer, `checkpoint` persists the state, `progress` shows how far
/// the pull is. An error from `accept` or `checkpoint` stops the pull.
pub trait Sink: Send {
    /// One window's answer, exactly as received (Data Connect v5 JSON).
    fn accept(
        &mut self,
        endpoint: Endpoint,
        window: Window,
        body: &[u8],
    ) -> impl Future<Output = Result<(), SinkError>> + Send;

    /// Persist `state`: called after each window (accepted or empty) and
    /// after each token refresh.
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
    /// Windows the holder had no data for (404, or before the meter's
    /// activation), skipped.
    pub empty: usize,
    /// Metering requests sent, retries included.
    pub requests: usize,
    /// Of those, the retries of 429, 5xx and transport failures.
    pub retries: usize,
    /// Token refreshes.
    pub refreshes: usize,
}

/// The windows a pull would fetch now, endpoint by endpoint in
/// [`Endpoint::ALL`] order: from the cursor, moved back to cover the last
/// `refetch_recent_days` and forward to the start of the holder's history
/// ([`Endpoint::first_day_asked`]),
/// up to `today` (exclusive), each at most the endpoint's limit. Windows
/// of one endpoint follow each other without gap or overlap.
pub fn plan(
    cfg: &DataConnectConfig,
    state: &ConnectionState,
    today: Date,
) -> Vec<(Endpoint, Window)> {
    let mut windows = Vec::new();
    for endpoint in Endpoint::ALL {
        let oldest = endpoint.first_day_asked(today);
        let mut from = match state.cursor(endpoint) {
            None => oldest,
            Some(cursor) => {
                let recent = today.saturating_sub(i64::from(cfg.refetch_recent_days).days());
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

/// Fetches every window of [`plan`] in order, refreshing the tokens when
/// expired or refused once (401), and delivers to `sink`. `today` is the
/// holder's today (Paris: [`crate::paris_today`]); no window reaches past it.
///
/// How answers are handled:
/// - 200: the body goes to `sink.accept`, then the cursor advances;
/// - 404 (`no_data_found`) and 400 `ADAM-ERR0123` (before the meter's
///   activation): no data in this window, the cursor advances;
/// - 401: refresh the tokens once and ask again; a second 401, or a refused
///   refresh, is [`ConnectError::ConsentRefused`];
/// - 403: [`ConnectError::NoConsent`];
/// - other 400: [`ConnectError::Rejected`], the pull stops (asking again
///   would not help; the cursor stays);
/// - 429, 5xx, transport failures: retried with backoff, then
///   [`ConnectError::Unavailable`].
pub async fn pull<S: Sink>(
    cfg: &DataConnectConfig,
    client: &ConnectClient,
    state: &mut ConnectionState,
    today: Date,
    sink: &mut S,
) -> Result<PullReport, ConnectError> {
    let windows = plan(cfg, state, today);
    let mut report = PullReport {
        windows: windows.len(),
        ..PullReport::default()
    };
    sink.progress(0, windows.len());
    for (done, &(endpoint, window)) in windows.iter().enumerate() {
        match fetch(cfg, client, state, endpoint, window, sink, &mut report).await? {
            Some(body) => {
                sink.accept(endpoint, window, &body)
                    .await
                    .map_err(|source| ConnectError::Sink {
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
            .map_err(ConnectError::Checkpoint)?;
        sink.progress(done + 1, windows.len());
    }
    tracing::info!(
        usage_point_id = %state.usage_point_id,
        windows = report.windows,
        accepted = report.accepted,
        empty = report.empty,
        requests = report.requests,
        retries = report.retries,
        refreshes = report.refreshes,
        "Data Connect pull done"
    );
    Ok(report)
}

/// One window: `Some(body)`, or `None` when the holder has no data for it.
async fn fetch<S: Sink>(
    cfg: &DataConnectConfig,
    client: &ConnectClient,
    state: &mut ConnectionState,
    endpoint: Endpoint,
    window: Window,
    sink: &mut S,
    report: &mut PullReport,
) -> Result<Option<Vec<u8>>, ConnectError> {
    let url = cfg.endpoint_url(endpoint);
    let what = format!("{endpoint}, {window}");
    let start = window.start.to_string();
    let end = window.end.to_string();
    let mut refreshed = false;
    loop {
        // Expired by the time the rate limiter lets the request go?
        let wait =
            SignedDuration::try_from(client.expected_wait().await).unwrap_or(SignedDuration::MAX);
        let sent_at = Timestamp::now()
            .saturating_add(wait)
            .unwrap_or(Timestamp::MAX);
        if state.tokens.is_expired(sent_at) {
            refresh(cfg, client, state, sink, report).await?;
        }
        let bearer = format!("Bearer {}", state.tokens.access_token);
        let answer = client
            .send(cfg, &what, |http| {
                http.get(&url)
                    .query(&[
                        ("usage_point_id", state.usage_point_id.as_str()),
                        ("start", start.as_str()),
                        ("end", end.as_str()),
                    ])
                    .header(AUTHORIZATION, &bearer)
                    .header(ACCEPT, "application/json")
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
        match answer.status {
            StatusCode::OK => return Ok(Some(answer.body)),
            StatusCode::NOT_FOUND => {
                tracing::debug!(%endpoint, %window, "no data for this window");
                return Ok(None);
            }
            StatusCode::UNAUTHORIZED if !refreshed => {
                refreshed = true;
                refresh(cfg, client, state, sink, report).await?;
            }
            StatusCode::UNAUTHORIZED => {
                return Err(ConnectError::ConsentRefused(
                    ErrorAnswer::parse(&answer.body).summary(),
                ));
            }
            StatusCode::FORBIDDEN => {
                return Err(ConnectError::NoConsent {
                    usage_point_id: state.usage_point_id.clone(),
                    description: ErrorAnswer::parse(&answer.body).summary(),
                });
            }
            StatusCode::BAD_REQUEST => {
                let error = ErrorAnswer::parse(&answer.body);
                if error.error == BEFORE_ACTIVATION_CODE {
                    tracing::debug!(%endpoint, %window, "window before the meter's activation");
                    return Ok(None);
                }
                return Err(ConnectError::Rejected {
                    endpoint,
                    window,
                    status: 400,
                    code: if error.error.is_empty() {
                        "no code".to_owned()
                    } else {
                        error.error
                    },
                    description: error.error_description,
                });
            }
            status => {
                return Err(ConnectError::BadResponse {
                    what,
                    detail: format!(
                        "HTTP {status}: {}",
                        ErrorAnswer::parse(&answer.body).summary()
                    ),
                });
            }
        }
    }
}

async fn refresh<S: Sink>(
    cfg: &DataConnectConfig,
    client: &ConnectClient,
    state: &mut ConnectionState,
    sink: &mut S,
    report: &mut PullReport,
) -> Result<(), ConnectError> {
    state.tokens = refresh_tokens(cfg, client, &state.tokens).await?;
    report.refreshes += 1;
    // A holder may rotate the refresh token: persist the new one at once.
    sink.checkpoint(state)
        .await
        .map_err(ConnectError::Checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn state() -> ConnectionState {
        ConnectionState::new(
            "16401220101758",
            Tokens {
                access_token: "a".to_owned(),
                refresh_token: None,
                expires_at: Timestamp::MAX,
            },
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
        let cfg = DataConnectConfig::enedis("id", "secret", "http://localhost/cb");
        let today = date(2025, 6, 15);
        let windows = plan(&cfg, &state(), today);
        let count = |e| windows.iter().filter(|(x, _)| *x == e).count();
        // 730 - 1 days of load curve in 7-day windows, 1095 - 1 days of
        // daily in 365-day windows.
        assert_eq!(count(Endpoint::ConsumptionLoadCurve), 105);
        assert_eq!(count(Endpoint::DailyConsumption), 3);
        assert_eq!(count(Endpoint::DailyConsumptionMaxPower), 3);
        for endpoint in Endpoint::ALL {
            check_contiguous(&windows, endpoint, endpoint.first_day_asked(today), today);
        }
        assert_eq!(windows[0].1.start, date(2022, 6, 16));
        assert_eq!(windows[0].0, Endpoint::DailyConsumption);
    }

    #[test]
    fn later_plans_start_at_the_cursor_less_the_recent_days() {
        let mut cfg = DataConnectConfig::enedis("id", "secret", "http://localhost/cb");
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

        cfg.refetch_recent_days = 0;
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
            ConnectionState::new("1640122010175", state.tokens.clone()),
            Err(ConnectError::InvalidUsagePoint(_))
        ));
    }
}

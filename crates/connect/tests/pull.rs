//! The connector against the stand-in over real HTTP on loopback: consent,
//! code exchange, full history pulls, rate limit, token refresh, retries,
//! resuming after a failure, windows without data, and the refusals that
//! ask the resident to reconnect.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use selfdata_connect::standin::{self, Fault, FaultAnswer, StandIn, StandInOptions};
use selfdata_connect::{
    Callback, ConnectClient, ConnectError, ConnectionState, DataConnectConfig, Endpoint,
    RetryPolicy, Sink, SinkError, Window, authorize_url, exchange_code, plan, pull,
};

const REDIRECT: &str = "http://127.0.0.1:9/connect/enedis/callback";

/// Records what the pull delivered; can be told to refuse the n-th body.
#[derive(Default)]
struct Recorder {
    accepted: Vec<(Endpoint, Window)>,
    bodies: Vec<serde_json::Value>,
    checkpoints: Vec<String>,
    progress: Vec<(usize, usize)>,
    offered: usize,
    refuse_body: Option<usize>,
}

impl Sink for Recorder {
    async fn accept(
        &mut self,
        endpoint: Endpoint,
        window: Window,
        body: &[u8],
    ) -> Result<(), SinkError> {
        self.offered += 1;
        if self.refuse_body == Some(self.offered) {
            return Err("the disk is full".into());
        }
        let body: serde_json::Value = serde_json::from_slice(body)?;
        self.accepted.push((endpoint, window));
        self.bodies.push(body);
        Ok(())
    }

    async fn checkpoint(&mut self, state: &ConnectionState) -> Result<(), SinkError> {
        self.checkpoints.push(serde_json::to_string(state)?);
        Ok(())
    }

    fn progress(&mut self, done: usize, total: usize) {
        self.progress.push((done, total));
    }
}

impl Recorder {
    fn last_state(&self) -> ConnectionState {
        serde_json::from_str(self.checkpoints.last().expect("a checkpoint")).unwrap()
    }
}

/// Fast settings: a high rate, short backoff, no re-fetch of recent days.
fn fast(mut cfg: DataConnectConfig) -> DataConnectConfig {
    cfg.politeness.max_requests_per_second = 200;
    cfg.politeness.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
    };
    cfg.politeness.refetch_recent_days = 0;
    cfg
}

/// Consent page → callback → code exchange, as the app does it.
async fn connect(cfg: &DataConnectConfig, client: &ConnectClient) -> ConnectionState {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let consent = browser
        .get(authorize_url(cfg, "state-42", "P3Y"))
        .send()
        .await
        .unwrap();
    assert_eq!(consent.status(), 302);
    let location = consent.headers()["location"].to_str().unwrap().to_owned();
    let (back_to, query) = location.split_once('?').unwrap();
    assert_eq!(back_to, REDIRECT);
    let callback = Callback::from_query(query).unwrap();
    assert_eq!(callback.state, "state-42");
    let tokens = exchange_code(cfg, client, &callback.code).await.unwrap();
    assert!(tokens.refresh_token.is_some());
    ConnectionState::new(cfg, &callback.usage_point_ids[0], Some(tokens)).unwrap()
}

async fn standin_with(options: StandInOptions) -> StandIn {
    standin::spawn(options).await.unwrap()
}

fn windows_of(list: &[(Endpoint, Window)], endpoint: Endpoint) -> Vec<Window> {
    list.iter()
        .filter(|(e, _)| *e == endpoint)
        .map(|(_, w)| *w)
        .collect()
}

/// Every endpoint's windows are within its limit and tile its history.
fn assert_tiles_history(list: &[(Endpoint, Window)], today: Date) {
    for endpoint in Endpoint::ENEDIS {
        let windows = windows_of(list, endpoint);
        assert_eq!(
            windows[0].start,
            endpoint.first_day_asked(today),
            "{endpoint}"
        );
        assert_eq!(windows.last().unwrap().end, today, "{endpoint}");
        for pair in windows.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{endpoint}: gap or overlap");
        }
        for w in &windows {
            assert!(
                (1..=endpoint.max_window_days()).contains(&w.days()),
                "{endpoint} {w}"
            );
        }
    }
}

/// Windows the stand-in answered with 200, checked to be each asked once.
fn served_once(standin: &StandIn) -> HashSet<(Endpoint, Window)> {
    let mut served = HashSet::new();
    for seen in standin.seen().iter().filter(|s| s.status == 200) {
        assert!(
            served.insert((seen.endpoint, seen.window.unwrap())),
            "served twice: {seen:?}"
        );
    }
    served
}

#[tokio::test]
async fn connect_and_pull_the_whole_history() {
    let standin = standin_with(StandInOptions {
        access_token_ttl: Duration::from_secs(2),
        max_requests_per_second: None,
        faults: vec![
            Fault::once(10, FaultAnswer::Status(500)),
            Fault::once(5, FaultAnswer::Unauthorized),
        ],
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let mut cfg = fast(standin.config(REDIRECT));
    // Slow enough (about 3 s) for the 2 s tokens to expire mid-pull.
    cfg.politeness.max_requests_per_second = 40;
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    let mut sink = Recorder::default();

    let report = pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap();

    // 24 months of load curve in 7-day windows, 36 months of each daily
    // (each less the day of margin).
    assert_eq!(
        windows_of(&sink.accepted, Endpoint::ConsumptionLoadCurve).len(),
        105
    );
    assert_eq!(
        windows_of(&sink.accepted, Endpoint::DailyConsumption).len(),
        3
    );
    assert_eq!(
        windows_of(&sink.accepted, Endpoint::DailyConsumptionMaxPower).len(),
        3
    );
    assert_tiles_history(&sink.accepted, today);
    assert_eq!(
        (report.windows, report.accepted, report.empty),
        (111, 111, 0)
    );
    // The 500 retried, the injected 401 refreshed and retried.
    assert_eq!(report.requests, 113);
    assert_eq!(report.retries, 1);
    let statuses: Vec<u16> = standin.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses.len(), 113);
    assert_eq!(statuses.iter().filter(|&&s| s == 500).count(), 1);
    assert_eq!(statuses.iter().filter(|&&s| s == 401).count(), 1);
    // Refreshed after the 401 and at least once on expiry, never refused.
    let grants = standin.token_grants();
    assert_eq!(grants[0], "authorization_code");
    let refreshes = grants.iter().filter(|g| *g == "refresh_token").count();
    assert!(refreshes >= 2, "{grants:?}");
    assert_eq!(report.refreshes, refreshes);

    let served = served_once(&standin);
    assert_eq!(
        served,
        sink.accepted.iter().copied().collect::<HashSet<_>>()
    );
    for endpoint in Endpoint::ENEDIS {
        assert_eq!(state.cursor(endpoint), Some(today));
    }
    assert_eq!(sink.last_state(), state);
    assert_eq!(sink.checkpoints.len(), 111 + refreshes + 1);
    assert_eq!(sink.progress.first(), Some(&(0, 111)));
    assert_eq!(sink.progress.last(), Some(&(111, 111)));

    // The bodies are the documented shapes with the stand-in's values.
    let daily = &sink.bodies[0]["meter_reading"];
    let first_day = Endpoint::DailyConsumption.first_day_asked(today);
    assert_eq!(daily["reading_type"]["unit"], "Wh");
    assert_eq!(daily["interval_reading"].as_array().unwrap().len(), 365);
    assert_eq!(daily["interval_reading"][0]["date"], first_day.to_string());
    assert_eq!(
        daily["interval_reading"][0]["value"],
        standin::daily_consumption_wh(first_day).to_string()
    );
    let curve = &sink.bodies[6]["meter_reading"];
    assert_eq!(curve["reading_type"]["aggregate"], "average");
    let first = &curve["interval_reading"][0];
    assert_eq!(first["interval_length"], "PT30M");
    assert!(first["date"].as_str().unwrap().ends_with(" 00:30:00"));
    let max_power = &sink.bodies[3]["meter_reading"];
    assert_eq!(max_power["reading_type"]["unit"], "VA");
    assert!(
        max_power["interval_reading"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["value"] == "null")
    );

    // A pull on the same day finds nothing to do.
    let again = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap();
    assert_eq!(again.windows, 0);
}

#[tokio::test]
async fn never_more_than_five_requests_a_second() {
    let standin = standin_with(StandInOptions::default()).await;
    let today = standin.options().today;
    let mut cfg = fast(standin.config(REDIRECT));
    cfg.politeness.max_requests_per_second = 5;
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    state.set_cursor(Endpoint::DailyConsumption, today.saturating_sub(10.days()));
    state.set_cursor(
        Endpoint::DailyConsumptionMaxPower,
        today.saturating_sub(10.days()),
    );
    state.set_cursor(
        Endpoint::ConsumptionLoadCurve,
        today.saturating_sub(63.days()),
    );

    // In the background, as the app runs it (the pull is Send + 'static
    // with owned arguments).
    let started = Instant::now();
    let report = tokio::spawn(async move {
        pull(&cfg, &client, &mut state, today, &mut Recorder::default()).await
    })
    .await
    .unwrap()
    .unwrap();

    assert_eq!(
        (report.windows, report.accepted, report.requests),
        (11, 11, 11)
    );
    assert!(
        standin.seen().iter().all(|s| s.status == 200),
        "{:?}",
        standin.seen()
    );
    assert!(standin.max_requests_in_any_second() <= 5);
    assert_eq!(standin.max_requests_in_any_second(), 5);
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[tokio::test]
async fn a_failed_pull_resumes_where_it_stopped() {
    let standin = standin_with(StandInOptions {
        max_requests_per_second: None,
        faults: vec![Fault::starting_at(30, FaultAnswer::Status(503))],
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let mut cfg = fast(standin.config(REDIRECT));
    cfg.politeness.retry.max_attempts = 3;
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    let full_plan = plan(&cfg, &state, today);

    let mut first = Recorder::default();
    let error = pull(&cfg, &client, &mut state, today, &mut first)
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unavailable { attempts: 3, .. }),
        "{error}"
    );
    assert!(error.is_transient() && !error.needs_reconnect());
    assert!(error.to_string().contains("HTTP 503"), "{error}");
    assert_eq!(first.accepted.len(), 29);

    // The app restarts from what it persisted.
    standin.clear_faults();
    let mut resumed = first.last_state();
    assert_eq!(resumed, state);
    let mut second = Recorder::default();
    let report = pull(&cfg, &client, &mut resumed, today, &mut second)
        .await
        .unwrap();
    assert_eq!(report.windows, 111 - 29);
    assert_eq!(second.accepted[0], full_plan[29]);

    let mut all = first.accepted.clone();
    all.extend(&second.accepted);
    assert_eq!(all, full_plan);
    // No accepted window was asked for again.
    assert_eq!(served_once(&standin).len(), 111);
}

#[tokio::test]
async fn windows_without_data_are_skipped() {
    let today = jiff::civil::date(2025, 6, 16);
    let activation = today.saturating_sub(20.months());
    // Three whole load-curve windows without data, inside a daily window.
    let enedis = fast(DataConnectConfig::enedis("", "", ""));
    let fresh = ConnectionState::new(
        &enedis,
        "16401220101758",
        Some(selfdata_connect::Tokens {
            access_token: String::new(),
            refresh_token: None,
            expires_at: Timestamp::MAX,
        }),
    )
    .unwrap();
    let curve_windows = windows_of(
        &plan(&enedis, &fresh, today),
        Endpoint::ConsumptionLoadCurve,
    );
    let gap = Window {
        start: curve_windows[90].start,
        end: curve_windows[92].end,
    };
    let standin = standin_with(StandInOptions {
        today,
        max_requests_per_second: None,
        meter_activation: Some(activation),
        no_data: vec![gap],
        ..StandInOptions::default()
    })
    .await;
    let cfg = fast(standin.config(REDIRECT));
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    let full_plan = plan(&cfg, &state, today);
    let mut sink = Recorder::default();

    let report = pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap();

    let skipped: Vec<(Endpoint, Window)> = full_plan
        .iter()
        .copied()
        .filter(|(_, w)| w.start < activation || (gap.start <= w.start && w.end <= gap.end))
        .collect();
    assert_eq!(
        skipped
            .iter()
            .filter(|(e, w)| *e == Endpoint::ConsumptionLoadCurve && w.start >= activation)
            .count(),
        3
    );
    assert_eq!(report.empty, skipped.len());
    assert_eq!(report.accepted, full_plan.len() - skipped.len());
    assert!(sink.accepted.iter().all(|w| !skipped.contains(w)));
    let statuses: HashSet<u16> = standin.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, HashSet::from([200, 400, 404]));
    for endpoint in Endpoint::ENEDIS {
        assert_eq!(state.cursor(endpoint), Some(today));
    }
    // The daily window around the gap comes with the gap's days left out.
    let (index, _) = sink
        .accepted
        .iter()
        .enumerate()
        .find(|(_, (e, w))| *e == Endpoint::DailyConsumption && w.contains(gap.start))
        .unwrap();
    let days = sink.bodies[index]["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap()
        .len() as i64;
    assert_eq!(days, sink.accepted[index].1.days() - gap.days());
}

#[tokio::test]
async fn retry_after_is_honoured_and_client_credentials_replace_a_missing_refresh_token() {
    let standin = standin_with(StandInOptions {
        faults: vec![Fault::once(
            1,
            FaultAnswer::TooManyRequests {
                retry_after_secs: 1,
            },
        )],
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let cfg = fast(standin.config(REDIRECT));
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    for endpoint in Endpoint::ENEDIS {
        state.set_cursor(endpoint, today.saturating_sub(1.day()));
    }
    let tokens = state.tokens.as_mut().unwrap();
    tokens.refresh_token = None;
    tokens.expires_at = Timestamp::now();

    let started = Instant::now();
    let report = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        (report.accepted, report.requests, report.retries),
        (3, 4, 1)
    );
    assert_eq!(
        standin.token_grants(),
        ["authorization_code", "client_credentials"]
    );
    assert!(state.tokens.as_ref().unwrap().refresh_token.is_none());
}

#[tokio::test]
async fn a_refused_body_is_fetched_again_next_time() {
    let standin = standin_with(StandInOptions {
        max_requests_per_second: None,
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let cfg = fast(standin.config(REDIRECT));
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = connect(&cfg, &client).await;
    for endpoint in [
        Endpoint::DailyConsumptionMaxPower,
        Endpoint::ConsumptionLoadCurve,
    ] {
        state.set_cursor(endpoint, today);
    }
    let daily = plan(&cfg, &state, today);
    assert_eq!(daily.len(), 3);

    let mut sink = Recorder {
        refuse_body: Some(3),
        ..Recorder::default()
    };
    let error = pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::Sink { .. }));
    assert!(error.to_string().contains("the disk is full"), "{error}");
    assert_eq!(
        state.cursor(Endpoint::DailyConsumption),
        Some(daily[2].1.start)
    );
    assert_eq!(sink.last_state(), state);

    let mut sink = Recorder::default();
    pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap();
    assert_eq!(sink.accepted, daily[2..]);
}

#[tokio::test]
async fn refusals_say_what_to_do() {
    let standin = standin_with(StandInOptions {
        max_requests_per_second: None,
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let cfg = fast(standin.config(REDIRECT));
    let client = ConnectClient::new(&cfg.politeness).unwrap();

    // Wrong client secret.
    let mut wrong = cfg.clone();
    wrong.client_secret = "not it".to_owned();
    let error = exchange_code(&wrong, &client, "any").await.unwrap_err();
    assert!(
        matches!(error, ConnectError::ClientRefused { .. }),
        "{error}"
    );
    // A code used twice.
    let error = exchange_code(&cfg, &client, "standin-code-unknown")
        .await
        .unwrap_err();
    assert!(error.needs_reconnect(), "{error}");

    let mut state = connect(&cfg, &client).await;
    for endpoint in Endpoint::ENEDIS {
        state.set_cursor(endpoint, today.saturating_sub(1.day()));
    }

    // A meter the consent does not cover.
    let mut other = state.clone();
    other.meter = "99999999999999".to_owned();
    let error = pull(&cfg, &client, &mut other, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::NoConsent { .. }), "{error}");
    assert!(error.to_string().contains("connect the account again"));

    // A window the holder refuses (past its today): the pull stops there.
    let before = state.clone();
    let error = pull(
        &cfg,
        &client,
        &mut state,
        today.saturating_add(1.day()),
        &mut Recorder::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, ConnectError::Rejected { status: 400, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("cannot be after today"),
        "{error}"
    );
    assert_eq!(state, before);

    // The consent withdrawn: the 401 leads to a refused refresh.
    standin.revoke_tokens();
    let error = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::ConsentRefused { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .starts_with("Enedis refused the consent token; connect the account again"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreachable_holder_fails_after_the_last_attempt() {
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let mut cfg = fast(DataConnectConfig::enedis("id", "secret", REDIRECT));
    cfg.api_base = format!("http://{closed}");
    cfg.politeness.retry.max_attempts = 3;
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = ConnectionState::new(
        &cfg,
        "16401220101758",
        Some(selfdata_connect::Tokens {
            access_token: "a".to_owned(),
            refresh_token: Some("r".to_owned()),
            expires_at: Timestamp::MAX,
        }),
    )
    .unwrap();
    let today = jiff::civil::date(2025, 1, 10);
    let error = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::Unavailable { attempts: 3, .. }),
        "{error}"
    );
    assert!(error.to_string().contains("try again later"), "{error}");
    assert_eq!(state.cursor(Endpoint::DailyConsumption), None);
}

#[tokio::test]
async fn the_standin_enforces_the_documented_limits() {
    let standin = standin_with(StandInOptions {
        max_requests_per_second: None,
        ..StandInOptions::default()
    })
    .await;
    let today = standin.options().today;
    let cfg = standin.config(REDIRECT);
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let state = connect(&cfg, &client).await;
    let http = reqwest::Client::new();
    let ask = |endpoint: Endpoint, start: Date, end: Date, token: Option<&str>| {
        let mut request = http
            .get(format!("{}{}", standin.base_url, endpoint.path()))
            .query(&[
                ("usage_point_id", state.meter.as_str()),
                ("start", &start.to_string()),
                ("end", &end.to_string()),
            ]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let token = state.tokens.as_ref().map(|t| t.access_token.as_str());
    let week_ago = today.saturating_sub(7.days());

    let ok = ask(Endpoint::ConsumptionLoadCurve, week_ago, today, token)
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["meter_reading"]["usage_point_id"], state.meter);
    assert_eq!(body["meter_reading"]["end"], today.to_string());
    let readings = body["meter_reading"]["interval_reading"]
        .as_array()
        .unwrap();
    assert!((7 * 48 - 2..=7 * 48 + 2).contains(&readings.len()));
    // `end` is exclusive: the last interval ends at `end` 00:00.
    assert_eq!(
        readings.last().unwrap()["date"],
        format!("{today} 00:00:00")
    );

    let cases = [
        (Endpoint::ConsumptionLoadCurve, week_ago, today, None, 401),
        (
            Endpoint::ConsumptionLoadCurve,
            week_ago.saturating_sub(1.day()),
            today,
            token,
            400,
        ),
        (
            Endpoint::DailyConsumption,
            today.saturating_sub(366.days()),
            today,
            token,
            400,
        ),
        (
            Endpoint::DailyConsumption,
            today.saturating_sub(365.days()),
            today,
            token,
            200,
        ),
        (
            Endpoint::DailyConsumption,
            week_ago,
            today.saturating_add(1.day()),
            token,
            400,
        ),
        (Endpoint::DailyConsumption, today, today, token, 400),
        (
            Endpoint::ConsumptionLoadCurve,
            today.saturating_sub(25.months()),
            today.saturating_sub(25.months()).saturating_add(7.days()),
            token,
            400,
        ),
    ];
    for (endpoint, start, end, token, expected) in cases {
        let answer = ask(endpoint, start, end, token).await.unwrap();
        assert_eq!(answer.status(), expected, "{endpoint} {start}..{end}");
        if expected != 200 {
            let body: serde_json::Value = answer.json().await.unwrap();
            assert!(body["error"].is_string() && body["error_description"].is_string());
        }
    }
}

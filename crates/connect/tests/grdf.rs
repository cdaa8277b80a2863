//! The GRDF ADICT connector against its stand-in over real HTTP on
//! loopback, through the faults a holder really answers: 429 with
//! `Retry-After`, 500, an access token that expires under the pull, a
//! holder that keeps failing, a PCE without a right of access, wrong client
//! credentials. What is asserted is what a resident would notice: every gas
//! day arrives once with the holder's values, a stopped pull resumes where
//! it stopped, and a failure ends in a sentence.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_connect::standin::grdf::{self, GrdfOptions, GrdfStandIn};
use selfdata_connect::standin::{Fault, FaultAnswer};
use selfdata_connect::{
    AdictConfig, ConnectClient, ConnectError, ConnectionState, Endpoint, RetryPolicy, Sink,
    SinkError, Window, plan, pull,
};

const PCE: &str = "GI123456";

/// Keeps every gas day received, counting how often each came.
#[derive(Default)]
struct Recorder {
    days: BTreeMap<Date, (u64, u64, usize)>,
    windows: Vec<Window>,
    checkpoints: Vec<String>,
}

impl Sink for Recorder {
    async fn accept(&mut self, _: Endpoint, window: Window, body: &[u8]) -> Result<(), SinkError> {
        self.windows.push(window);
        for line in std::str::from_utf8(body)?.lines() {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let c = &v["consommation"];
            if c.is_null() {
                continue;
            }
            let day: Date = c["journee_gaziere"].as_str().unwrap().parse()?;
            let entry = self.days.entry(day).or_insert((0, 0, 0));
            *entry = (
                c["volume_brut"].as_u64().unwrap(),
                c["energie"].as_u64().unwrap(),
                entry.2 + 1,
            );
        }
        Ok(())
    }

    async fn checkpoint(&mut self, state: &ConnectionState) -> Result<(), SinkError> {
        self.checkpoints.push(serde_json::to_string(state)?);
        Ok(())
    }
}

impl Recorder {
    fn last_state(&self) -> ConnectionState {
        serde_json::from_str(self.checkpoints.last().expect("a checkpoint")).unwrap()
    }
}

fn fast(mut cfg: AdictConfig) -> AdictConfig {
    cfg.politeness.max_requests_per_second = 200;
    cfg.politeness.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(100),
    };
    cfg.politeness.refetch_recent_days = 0;
    cfg
}

async fn standin(faults: Vec<Fault>) -> GrdfStandIn {
    grdf::spawn(GrdfOptions {
        max_requests_per_second: None,
        faults,
        ..GrdfOptions::default()
    })
    .await
    .unwrap()
}

/// Every gas day of the history, each once, with the holder's values.
fn assert_every_day_once(days: &BTreeMap<Date, (u64, u64, usize)>, today: Date) {
    let first = Endpoint::GasInformativeConsumption.first_day_asked(today);
    let expected: Vec<Date> = first.series(1.day()).take_while(|&d| d < today).collect();
    assert_eq!(days.keys().copied().collect::<Vec<_>>(), expected);
    for (day, &(m3, kwh, times)) in days {
        assert_eq!(times, 1, "{day} came {times} times");
        assert_eq!((m3, kwh), grdf::gas_day(*day), "{day}");
    }
}

#[tokio::test]
async fn a_gas_pull_comes_through_429_500_and_an_expired_token_with_every_day_once() {
    let standin = standin(vec![
        Fault::once(
            1,
            FaultAnswer::TooManyRequests {
                retry_after_secs: 1,
            },
        ),
        Fault::once(2, FaultAnswer::Status(500)),
        Fault::once(3, FaultAnswer::ExpiredToken),
    ])
    .await;
    let today = standin.options().today;
    let cfg = fast(standin.config());
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = ConnectionState::new(&cfg, PCE, None).unwrap();
    let mut sink = Recorder::default();

    let started = Instant::now();
    let report = pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap();

    // The 429 asked for a second: the retry waited it (backoff alone is 20 ms).
    let statuses: Vec<u16> = standin.seen().iter().map(|s| s.status).collect();
    assert_eq!(statuses, [429, 500, 401, 200, 200, 200]);
    let seen = standin.seen();
    assert!(seen[1].at.duration_since(seen[0].at) >= Duration::from_secs(1));
    assert!(started.elapsed() >= Duration::from_secs(1));
    // The expired token was replaced by a new one, once.
    assert_eq!(standin.tokens_issued(), 2);
    assert_eq!(
        (
            report.windows,
            report.accepted,
            report.requests,
            report.retries,
            report.refreshes
        ),
        (3, 3, 6, 2, 2)
    );
    assert_every_day_once(&sink.days, today);
    assert_eq!(
        state.cursor(Endpoint::GasInformativeConsumption),
        Some(today)
    );
    assert!(state.last_success.is_some() && state.last_failure.is_none());
    // The application's token is never written with the connection.
    assert!(sink.checkpoints.iter().all(|c| !c.contains("grdf-access")));
    assert_eq!(sink.last_state(), state);

    // The next day's pull asks only for what is new, with the same token.
    let tomorrow = today.saturating_add(1.day());
    let plan_tomorrow = plan(&cfg, &state, tomorrow);
    assert_eq!(
        plan_tomorrow,
        [(
            Endpoint::GasInformativeConsumption,
            Window {
                start: today,
                end: tomorrow
            }
        )]
    );
}

#[tokio::test]
async fn a_failed_gas_pull_resumes_where_it_stopped() {
    let standin = standin(vec![Fault::starting_at(3, FaultAnswer::Status(503))]).await;
    let today = standin.options().today;
    let cfg = fast(standin.config());
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = ConnectionState::new(&cfg, PCE, None).unwrap();
    let full_plan = plan(&cfg, &state, today);
    assert_eq!(full_plan.len(), 3);

    let mut first = Recorder::default();
    let error = pull(&cfg, &client, &mut state, today, &mut first)
        .await
        .unwrap_err();
    assert!(error.is_transient() && !error.needs_reconnect(), "{error}");
    assert_eq!(first.windows.len(), 2);
    assert_eq!(
        state.cursor(Endpoint::GasInformativeConsumption),
        Some(full_plan[1].1.end)
    );

    // The app restarts from what it persisted; the holder is back.
    standin.clear_faults();
    let mut resumed = first.last_state();
    assert_eq!(resumed, state);
    let mut second = Recorder::default();
    let report = pull(&cfg, &client, &mut resumed, today, &mut second)
        .await
        .unwrap();
    assert_eq!(report.windows, 1);
    assert_eq!(second.windows, [full_plan[2].1]);

    let mut all = first.days;
    for (day, v) in second.days {
        assert!(all.insert(day, v).is_none(), "{day} came twice");
    }
    assert_every_day_once(&all, today);
}

#[tokio::test]
async fn failures_end_in_a_sentence_not_a_panic() {
    let standin = standin(Vec::new()).await;
    let today = standin.options().today;
    let cfg = fast(standin.config());
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let recent = |state: &mut ConnectionState| {
        state.set_cursor(
            Endpoint::GasInformativeConsumption,
            today.saturating_sub(5.days()),
        )
    };

    // A holder that keeps failing.
    standin.inject(Fault::starting_at(1, FaultAnswer::Status(500)));
    let mut state = ConnectionState::new(&cfg, PCE, None).unwrap();
    recent(&mut state);
    let before = state.clone();
    let error = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "GRDF is not answering (HTTP 500 Internal Server Error) after 3 attempts at donnees_consos_informatives, {} to {today} (exclusive); try again later",
            today.saturating_sub(5.days())
        )
    );
    assert_eq!(state, before, "nothing moved");
    standin.clear_faults();

    // A token refused however new: one renewal, then the operator is told.
    standin.inject(Fault::starting_at(1, FaultAnswer::Unauthorized));
    let issued = standin.tokens_issued();
    let error = pull(&cfg, &client, &mut state, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::ClientRefused { .. }),
        "{error}"
    );
    assert!(
        error.to_string().starts_with(
            "GRDF refused selfdata's client credentials; the server's operator must check"
        ),
        "{error}"
    );
    assert_eq!(standin.tokens_issued(), issued + 1);
    standin.clear_faults();

    // A PCE GRDF holds no right of access for: the resident consents again.
    let mut other = ConnectionState::new(&cfg, "21546000000000", None).unwrap();
    recent(&mut other);
    let error = pull(&cfg, &client, &mut other, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(error.needs_reconnect(), "{error}");
    assert_eq!(
        error.to_string(),
        "GRDF has no consent for the meter 21546000000000 (403: Aucun droit d'accès en cours pour ce PCE); connect the account again"
    );

    // Wrong client credentials (a fresh client: no token in memory yet).
    let mut wrong = cfg.clone();
    wrong.client_secret = "not it".to_owned();
    let fresh = ConnectClient::new(&wrong.politeness).unwrap();
    let error = pull(&wrong, &fresh, &mut state, today, &mut Recorder::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::ClientRefused { .. }),
        "{error}"
    );

    // Days GRDF has no data for are simply absent; the cursor moves on.
    let gap = grdf::spawn(GrdfOptions {
        max_requests_per_second: None,
        no_data: vec![Window {
            start: today.saturating_sub(3.days()),
            end: today.saturating_sub(1.day()),
        }],
        ..GrdfOptions::default()
    })
    .await
    .unwrap();
    let cfg = fast(gap.config());
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    let mut state = ConnectionState::new(&cfg, PCE, None).unwrap();
    recent(&mut state);
    let mut sink = Recorder::default();
    pull(&cfg, &client, &mut state, today, &mut sink)
        .await
        .unwrap();
    let got: Vec<Date> = sink.days.keys().copied().collect();
    assert_eq!(
        got,
        [5, 4, 1].map(|n| today.saturating_sub(n.days())).to_vec()
    );
    assert_eq!(
        state.cursor(Endpoint::GasInformativeConsumption),
        Some(today)
    );
}

#[tokio::test]
async fn the_grdf_standin_keeps_to_the_limits_and_the_rate() {
    let standin = grdf::spawn(GrdfOptions::default()).await.unwrap();
    let today = standin.options().today;
    let mut cfg = fast(standin.config());
    cfg.politeness.max_requests_per_second = 5;
    let client = ConnectClient::new(&cfg.politeness).unwrap();
    // Eight PCEs' worth of windows through one client: the limiter is per
    // application.
    let mut handles = Vec::new();
    for _ in 0..8 {
        let (cfg, client) = (cfg.clone(), client.clone());
        handles.push(tokio::spawn(async move {
            let mut state = ConnectionState::new(&cfg, PCE, None).unwrap();
            state.set_cursor(
                Endpoint::GasInformativeConsumption,
                today.saturating_sub(2.days()),
            );
            pull(&cfg, &client, &mut state, today, &mut Recorder::default()).await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    assert!(standin.seen().iter().all(|s| s.status == 200));
    assert!(standin.max_requests_in_any_second() <= 5);

    // More than a year, or a day not over yet, is refused.
    let token = reqwest::Client::new()
        .post(format!("{}{}", standin.base_url, grdf::TOKEN_PATH))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", cfg.client_id.as_str()),
            ("client_secret", cfg.client_secret.as_str()),
            ("scope", "/adict/v2"),
        ])
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ask = |start: Date, last: Date| {
        reqwest::Client::new()
            .get(format!(
                "{}/adict/v2/pce/{PCE}/donnees_consos_informatives",
                standin.base_url
            ))
            .query(&[
                ("date_debut", start.to_string()),
                ("date_fin", last.to_string()),
            ])
            .bearer_auth(&token)
            .send()
    };
    let yesterday = today.saturating_sub(1.day());
    assert_eq!(
        ask(yesterday.saturating_sub(364.days()), yesterday)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        ask(yesterday.saturating_sub(365.days()), yesterday)
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(ask(yesterday, today).await.unwrap().status(), 400);
}

//! Connecting holders end to end, over real HTTP, against the local
//! stand-ins: an Enedis account (the resident signs in, is sent to the
//! consent page, comes back to the callback) and a GRDF gas meter (the
//! resident gives the PCE and consents on our page, through a holder that
//! answers 500 and lets a token expire on the way); the history is pulled
//! in the background through the normal import path into the pod, where
//! the JSON API shows exactly the values the holder served, and one status
//! page lists every connection.

use std::time::Duration;

use crate::common::{Browser, Server, client_credentials_token, field, now};
use jiff::ToSpan;
use selfdata_connect::RetryPolicy;
use selfdata_connect::standin::grdf::{self, GrdfOptions};
use selfdata_connect::standin::{self, Fault, FaultAnswer, StandInOptions};
use selfdata_oidc::DpopKey;
use selfdata_store::PodName;

#[tokio::test]
async fn connecting_enedis_pulls_the_history_into_the_pod() {
    let today = selfdata_connect::paris_today();
    let standin = standin::spawn(StandInOptions {
        today,
        max_requests_per_second: None,
        ..StandInOptions::default()
    })
    .await
    .unwrap();
    let mut holder_config = None;
    let s = Server::start_with(|o| {
        let mut config = standin.config(&format!("{}/energy/connect/enedis/callback", o.base_url));
        config.politeness.max_requests_per_second = 200;
        holder_config = Some(config.clone());
        o.enedis = Some(config);
    })
    .await;
    let pod = PodName::parse("carol").unwrap();
    s.app
        .idp
        .create_account("carol@example.org", "carol-password-1", &pod)
        .await
        .unwrap();
    let b = s.sign_in("carol@example.org", "carol-password-1").await;

    // "Connect my Enedis account" sends the resident to the holder's consent page…
    let r = b.response("/app/energy/connect/enedis").await;
    assert_eq!(r.status(), 303);
    let consent = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(consent.starts_with(&standin.base_url), "{consent}");
    // …which sends them back with a code and the meter number.
    let r = s.client.get(&consent).send().await.unwrap();
    assert!(r.status().is_redirection());
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        back.starts_with(&format!("{}/energy/connect/enedis/callback?", s.base)),
        "{back}"
    );
    // The callback registered with the holder is the old address: it leads,
    // query kept, to the page under /app (the operator changes nothing).
    let moved = s.client.get(&back).send().await.unwrap();
    assert_eq!(moved.status(), 308);
    let callback = moved.headers()["location"].to_str().unwrap().to_owned();
    let back = format!("{}{callback}", s.base);
    assert!(
        back.starts_with(&format!(
            "{}/app/energy/connect/enedis/callback?code=",
            s.base
        )),
        "{back}"
    );
    // A callback without the session that started it is refused.
    let stranger = s.client.get(&back).send().await.unwrap();
    assert_eq!(stranger.status(), 303, "to the login page");
    let r = b.response(&callback).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/app/energy/connect");

    // The pull runs in the background; the status page shows it until it is done.
    let mut done = false;
    for _ in 0..600 {
        let page = b.get("/app/energy/connect").await.body;
        assert!(!page.contains("stopped"), "{page}");
        if page.contains("Enedis, meter 16401220101758: up to date") {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(done, "the pull did not finish in a minute");
    assert!(standin.max_requests_in_any_second() <= 200);

    // The pod now holds the original bodies and the normalised data; the
    // daily total of a day matches what the holder served.
    let day = today.checked_sub(jiff::Span::new().days(10)).unwrap();
    let summary = s
        .app
        .energy
        .book(&pod, selfdata_energy::Fluid::Electricity)
        .await
        .unwrap();
    let q = summary.main().unwrap();
    let buckets = q.aggregate(
        day,
        day.tomorrow().unwrap(),
        selfdata_energy::analysis::Resolution::Day,
    );
    let served_wh = standin::daily_consumption_wh(day) as i64;
    assert_eq!(buckets[0].value, Some(served_wh * 1000), "day {day}");
    let originals = s
        .app
        .store
        .members(
            &pod,
            &selfdata_store::ResourcePath::parse("/selfdata/sources/enedis/raw/").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        originals.len() > 100,
        "every window's answer is kept: {}",
        originals.len()
    );
    assert!(holder_config.is_some());

    // Connecting a source is a grant: it has its consent record in the pod.
    let record = source_record(&s, &pod).await;
    assert!(
        record.contains("Enedis") && record.contains("ConsentGiven"),
        "{record}"
    );
}

/// The pod's consent record of a connected source, as stored (Turtle).
async fn source_record(s: &Server, pod: &PodName) -> String {
    let consents = s
        .app
        .store
        .members(
            pod,
            &selfdata_store::ResourcePath::parse("/selfdata/consents/").unwrap(),
        )
        .await
        .unwrap();
    let source = consents
        .iter()
        .find(|m| m.path.as_str().starts_with("/selfdata/consents/source-"))
        .expect("a consent record for the connection");
    let (_, body) = s.app.store.get(pod, &source.path).await.unwrap().unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// Waits until the status page says `done` (and never "stopped" unless
/// `done` is a stop); the page.
async fn status_until(b: &Browser, done: &str) -> String {
    for _ in 0..600 {
        let page = b.get("/app/energy/connect").await.body;
        if page.contains(done) {
            return page;
        }
        assert!(!page.contains("stopped"), "{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the status page never said {done:?}");
}

#[tokio::test]
async fn connecting_a_grdf_gas_meter_pulls_its_history_through_faults_into_the_pod() {
    let today = selfdata_connect::paris_today();
    let standin = grdf::spawn(GrdfOptions {
        today,
        max_requests_per_second: None,
        faults: vec![
            Fault::once(1, FaultAnswer::Status(500)),
            Fault::once(3, FaultAnswer::ExpiredToken),
        ],
        ..GrdfOptions::default()
    })
    .await
    .unwrap();
    let s = Server::start_with(|o| {
        let mut config = standin.config();
        config.politeness.max_requests_per_second = 200;
        config.politeness.retry = RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(100),
        };
        o.grdf = Some(config);
        o.pull_hour = 4;
    })
    .await;
    let pod = PodName::parse("gaston").unwrap();
    s.app
        .idp
        .create_account("gaston@example.org", "gaston-password-1", &pod)
        .await
        .unwrap();
    let b = s.sign_in("gaston@example.org", "gaston-password-1").await;

    // The energy page leads to one status page: GRDF offered, Enedis not
    // set up on this server.
    let energy = b.get("/app/energy").await.body;
    assert!(
        energy.contains("<a href=\"/app/energy/connect\">"),
        "{energy}"
    );
    let page = b.get("/app/energy/connect").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("No meter is connected yet."),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<a href=\"/app/energy/connect/grdf\">Connect my GRDF gas meter</a>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("not set up to connect Enedis accounts"));

    // The form: a PCE and a consent box, CSRF-checked.
    let form = b.get("/app/energy/connect/grdf").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("name=\"consent\" value=\"yes\" required")
    );
    let csrf = field(&form.body, "csrf");
    let forged = b
        .post(
            "/app/energy/connect/grdf",
            &[("pce", "GI123456"), ("consent", "yes")],
        )
        .await;
    assert_eq!(forged.status, 403);
    let bad = b
        .post(
            "/app/energy/connect/grdf",
            &[("csrf", &csrf), ("pce", "1234"), ("consent", "yes")],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("This number is not a PCE"),
        "{}",
        bad.body
    );
    let unticked = b
        .post(
            "/app/energy/connect/grdf",
            &[("csrf", &csrf), ("pce", "GI123456")],
        )
        .await;
    assert_eq!(unticked.status, 400);
    assert!(unticked.body.contains("Tick the box"), "{}", unticked.body);
    assert!(standin.seen().is_empty(), "nothing asked without consent");

    // As printed on the bill (lowercase, a space): connected, pulled.
    let r = b
        .post(
            "/app/energy/connect/grdf",
            &[("csrf", &csrf), ("pce", "gi 123456"), ("consent", "yes")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location.as_deref(), Some("/app/energy/connect"));
    let page = status_until(&b, "GRDF, meter GI123456: up to date (3 periods fetched).").await;
    assert!(page.contains("Last complete update: "), "{page}");
    assert!(page.contains("daily at 04:00 (Paris time)"), "{page}");
    // The 500 retried, the expired token replaced: each year asked once
    // successfully, and one token more than the first.
    let ok: Vec<_> = standin
        .seen()
        .into_iter()
        .filter(|x| x.status == 200)
        .collect();
    assert_eq!(ok.len(), 3);
    assert_eq!(standin.tokens_issued(), 2);

    // The readings are in the pod: the JSON API gives, day by day, the
    // kWh the holder served (a gas day counted on the date it starts).
    let webid = selfdata_solid::provision::webid_of(&s.base, &pod);
    let (id, secret) = s
        .app
        .idp
        .create_credentials(None, &webid, "test")
        .await
        .unwrap();
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    let from = today.saturating_sub(10.days());
    let to = today.saturating_sub(3.days());
    let url = format!(
        "{}/gaston/selfdata/energy/api/consumption?fluid=gas&from={from}&to={to}&step=day&unit=kWh",
        s.base
    );
    let answer: serde_json::Value = s
        .client
        .get(&url)
        .header("authorization", format!("DPoP {token}"))
        .header(
            "dpop",
            key.proof("GET", url.split('?').next().unwrap(), Some(&token), now()),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let served: Vec<f64> = from
        .series(1.day())
        .take_while(|&d| d < to)
        .map(|d| grdf::gas_day(d).1 as f64)
        .collect();
    let got: Vec<f64> = answer["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_f64().unwrap())
        .collect();
    assert_eq!(got, served, "{answer}");
    // The energy page draws the gas month.
    let month = b
        .get(&format!(
            "/app/energy?fluid=gas&scale=month&unit=kWh&date={from}"
        ))
        .await;
    assert_eq!(month.status, 200);
    assert!(month.body.contains("data-fluid=\"gas\""), "{}", month.body);
    let originals = s
        .app
        .store
        .members(
            &pod,
            &selfdata_store::ResourcePath::parse("/selfdata/sources/grdf/raw/").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(originals.len(), 3, "each year's answer is kept as received");

    // A consent record for GRDF; the application's token is nowhere in the pod.
    let given = source_record(&s, &pod).await;
    assert!(
        given.contains("GRDF") && given.contains("ConsentGiven"),
        "{given}"
    );
    let kept = s.app.store.index_scan(&pod, "connect/grdf/").await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(
        !String::from_utf8_lossy(&kept[0].1).contains("grdf-access"),
        "{:?}",
        kept[0]
    );

    // A PCE GRDF holds no right of access for ends in a sentence and a way
    // to consent again; the first connection is untouched.
    let r = b
        .post(
            "/app/energy/connect/grdf",
            &[
                ("csrf", &csrf),
                ("pce", "21546000000000"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = status_until(&b, "GRDF, meter 21546000000000: stopped").await;
    assert!(
        page.contains("GRDF has no consent for the meter 21546000000000"),
        "{page}"
    );
    assert!(page.contains("<a href=\"/app/energy/connect/grdf\">Connect again</a>"));
    assert!(page.contains("GRDF, meter GI123456: up to date"));

    // Disconnecting: the connection is forgotten, the consent withdrawn,
    // the readings stay.
    for meter in ["GI123456", "21546000000000"] {
        let r = b
            .post(
                "/app/energy/connect/disconnect",
                &[("csrf", &csrf), ("holder", "grdf"), ("meter", meter)],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("no longer connected"));
    }
    let page = b.get("/app/energy/connect").await.body;
    assert!(page.contains("No meter is connected yet."), "{page}");
    assert!(source_record(&s, &pod).await.contains("ConsentWithdrawn"));
    assert!(
        s.app
            .store
            .index_scan(&pod, "connect/")
            .await
            .unwrap()
            .is_empty()
    );
    let book = s
        .app
        .energy
        .book(&pod, selfdata_energy::Fluid::Gas)
        .await
        .unwrap();
    assert!(book.main().is_some(), "the gas readings stay");
    // What is not connected (any more) cannot be disconnected.
    let again = b
        .post(
            "/app/energy/connect/disconnect",
            &[("csrf", &csrf), ("holder", "grdf"), ("meter", "GI123456")],
        )
        .await;
    assert_eq!(again.status, 404);
}

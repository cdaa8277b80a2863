//! Issue 18, monitoring: the real binary serves `/metrics`, `/health` and
//! `/ready` on the operator's monitoring address only; a scrape parses as
//! Prometheus text and counts what happened (requests by route, method and
//! status, a refused sign-in, the open pods, the free disk).

use selfdata::{App, Options};
use selfdata_store::PodName;

use crate::common::Browser;
use crate::e2e;

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_monitoring_address_serves_metrics_that_count_requests_and_refused_sign_ins() {
    let dir = tempfile::tempdir().unwrap();
    let (port, monitoring) = (e2e::free_port(), e2e::free_port());
    let base = format!("http://127.0.0.1:{port}");
    {
        let app = App::open(Options::new(dir.path(), &base)).await.unwrap();
        let pod = PodName::parse("alice").unwrap();
        app.idp
            .create_account("alice@example.org", "correct horse battery", &pod)
            .await
            .unwrap();
    }
    let metrics_addr = format!("127.0.0.1:{monitoring}");
    let server = e2e::Running::start_on(dir, port, &["--metrics-addr", &metrics_addr]);
    let client = reqwest::Client::new();
    let watch = format!("http://{metrics_addr}");

    // Something to count: an anonymous read of a private pod, and a wrong password.
    let private = client
        .get(format!("{}/alice/profile/", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 401);
    let visitor = Browser::new(&server.base);
    let refused = visitor
        .sign_in("alice@example.org", "not the password", "/")
        .await;
    assert_ne!(refused.status, 303, "a wrong password signed in");

    let text = client
        .get(format!("{watch}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    assert_eq!(
        value(
            &scrape,
            "selfdata_http_requests_total",
            &[("route", "(pod)"), ("method", "GET"), ("status", "401")]
        ),
        Some(1.0),
        "{text}"
    );
    assert!(
        value(
            &scrape,
            "selfdata_http_requests_total",
            &[("route", "/account/login"), ("method", "POST")]
        )
        .is_some(),
        "{text}"
    );
    assert_eq!(
        value(&scrape, "selfdata_sign_in_failures_total", &[]),
        Some(1.0),
        "{text}"
    );
    assert!(value(&scrape, "selfdata_disk_free_bytes", &[]).unwrap() > 0.0);
    assert!(
        value(&scrape, "selfdata_open_pods", &[]).unwrap() >= 1.0,
        "{text}"
    );
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "selfdata_http_request_duration_seconds"),
        "{text}"
    );

    for (path, said) in [("/health", "alive"), ("/ready", "ready")] {
        let r = client.get(format!("{watch}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.text().await.unwrap().trim(), said);
    }
    // The residents' address does not show the figures.
    let public = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_ne!(public.status(), 200);
}

#[tokio::test]
async fn the_console_s_health_page_draws_the_disk_and_says_when_the_last_backup_was() {
    let s = crate::common::Server::start().await;
    let (camille, _) = crate::common::resident(&s, "camille@example.org", "camille").await;
    let ops = crate::operator::operator(&s).await;
    let page = ops.get("/app/operator/health").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Ready: residents"), "{}", page.body);
    assert!(page.body.contains("<meter"), "the disk is drawn");
    assert!(page.body.contains(" free of "), "{}", page.body);
    assert!(page.body.contains("none since the start"), "{}", page.body);
    // Two accounts; every pod of the server (the harness makes one of its own).
    let pods = selfdata_store::Backend::list_pods(s.app.store.as_ref())
        .await
        .unwrap()
        .len();
    let health = page.body.split("id=\"health\"").nth(1).unwrap();
    assert!(health.contains("<dt>Accounts</dt><dd>2</dd>"), "{health}");
    assert!(
        health.contains(&format!("<dt>Pods (open now)</dt><dd>{pods} (")),
        "{health}"
    );

    // After a backup, when it ended and what it wrote.
    let dest = tempfile::tempdir().unwrap();
    let plan = selfdata::backup::Plan {
        dir: dest.path().to_owned(),
        key: selfdata_store::crypto::Key32::random(),
        keep: 2,
    };
    s.app.backups.take(&plan, |_| {}).await.unwrap();
    let page = ops.get("/app/operator/health").await;
    assert!(!page.body.contains("none since the start"), "{}", page.body);
    assert!(page.body.contains("h ago"), "{}", page.body);
    // The page is the operator's only.
    assert_eq!(camille.get("/app/operator/health").await.status, 404);
}

//! Connecting an Enedis account end to end, over real HTTP, against the
//! local stand-in for Data Connect: the resident signs in, is sent to the
//! consent page, comes back to the callback, and the history is pulled in
//! the background through the normal import path into the pod, where the
//! JSON API shows exactly the values the holder served.

use std::time::Duration;

use crate::common::Server;
use selfdata_connect::standin::{self, StandInOptions};
use selfdata_store::{Backend, PodName};

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
    assert_eq!(r.headers()["location"], "/app/energy/connect/enedis/status");

    // The pull runs in the background; the status page shows it until it is done.
    let mut done = false;
    for _ in 0..600 {
        let page = b.get("/app/energy/connect/enedis/status").await.body;
        assert!(!page.contains("stopped"), "{page}");
        if page.contains("up to date") {
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
    let consents = s
        .app
        .store
        .members(
            &pod,
            &selfdata_store::ResourcePath::parse("/selfdata/consents/").unwrap(),
        )
        .await
        .unwrap();
    let source = consents
        .iter()
        .find(|m| m.path.as_str().starts_with("/selfdata/consents/source-"))
        .expect("a consent record for the Enedis connection");
    let (_, body) = s.app.store.get(&pod, &source.path).await.unwrap().unwrap();
    let record = String::from_utf8(body.to_vec()).unwrap();
    assert!(
        record.contains("Enedis") && record.contains("ConsentGiven"),
        "{record}"
    );
}

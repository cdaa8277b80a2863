//! Mobility end to end over a real server: a location export taken in by
//! the shared pipeline, its trips (stated or cut from positions) kept per
//! year in the pod beside the original, read back from the JSON API by the
//! owner with their CO2 and refused to anyone else, and shown on the
//! owner's page; "who has what on me" names the location history.

use selfdata_store::{Backend, PodName};
use serde_json::Value;

use crate::common::{self, Server, problem};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../mobility/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn alice() -> PodName {
    PodName::parse("alice").unwrap()
}

async fn api(s: &Server, query: &str) -> Value {
    let r = s
        .req("GET", &format!("/selfdata/mobility/api/{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_location_history_gives_trips_with_their_mode_and_co2_kept_per_year_and_read_back() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 2, 1))).await;
    let summary = s
        .app
        .import_file(&alice(), fixture("semantic_2022_JANUARY.json").into())
        .await
        .unwrap();
    assert_eq!(summary.service, "mobility");
    assert_eq!(summary.changed, 4, "{}", summary.told.en);
    assert!(summary.original.starts_with("selfdata/sources/google/raw/"));
    let (status, csv) = s.get_text("/selfdata/mobility/trips/2022.csv").await;
    assert_eq!(status, 200);
    assert!(csv.starts_with("start,end,from_lat"), "{csv}");

    let answer = api(&s, "trips?from=2022-01-01&to=2022-02-01").await;
    let trips = answer["trips"].as_array().unwrap();
    assert_eq!(trips.len(), 4, "{answer:#}");
    assert_eq!(
        trips[0],
        serde_json::json!({"start": "2022-01-12T07:45:10Z", "end": "2022-01-12T08:01:00Z",
            "mode": "bike", "distance_m": 2650, "co2_g": 0})
    );
    let train = &trips[3];
    assert_eq!(
        (train["mode"].as_str(), train["distance_m"].as_u64()),
        (Some("train"), Some(410_000))
    );
    // 410 km by high-speed train at 2.93 g per passenger-km.
    assert_eq!(train["co2_g"], 1201);

    // Again: nothing added; and the index rebuilt gives the same answer.
    let again = s
        .app
        .import_file(&alice(), fixture("semantic_2022_JANUARY.json").into())
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    let wipe = s
        .app
        .store
        .index_scan(&alice(), "mobility/")
        .await
        .unwrap()
        .into_iter()
        .map(|(key, _)| selfdata_store::Write::Index { key, value: None })
        .collect();
    s.app
        .store
        .write(&alice(), selfdata_store::Write::Batch(wipe))
        .await
        .unwrap();
    let counts = s.app.reindex(&alice()).await.unwrap();
    assert!(counts.contains(&("mobility", 4)), "{counts:?}");
    assert_eq!(api(&s, "trips?from=2022-01-01&to=2022-02-01").await, answer);
}

#[tokio::test]
async fn trips_are_refused_to_strangers_and_anonymous_callers_and_bad_periods_in_sentences() {
    let s = Server::start().await;
    for query in [
        "trips?from=yesterday",
        "trips?from=2022-02-01&to=2022-01-01",
    ] {
        let r = s
            .req("GET", &format!("/selfdata/mobility/api/{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await.0, 400, "{query}");
    }
    let url = s.url("/selfdata/mobility/api/trips");
    assert_eq!(
        problem(s.client.get(&url).send().await.unwrap()).await.0,
        401
    );
    let bob = common::Resident::new(&s, "bob").await;
    assert_eq!(
        problem(bob.req(&s, "GET", &url).send().await.unwrap())
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn the_mobility_page_lists_the_trips_and_who_has_what_names_the_location_history() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 2, 1))).await;
    let (email, password) = ("ines@example.org", "correct horse battery");
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(email, password, &ines)
        .await
        .unwrap();
    let b = s.sign_in(email, password).await;
    let empty = b.get("/app/mobility").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("No trip yet"), "{}", empty.body);
    s.app
        .import_file(&ines, fixture("semantic_2022_JANUARY.json").into())
        .await
        .unwrap();
    let page = b.get("/app/mobility").await;
    assert!(page.body.contains("Trips, 01/2022"), "{}", page.body);
    assert!(
        page.body.contains("410.0\u{a0}km") && page.body.contains("1.2\u{a0}kg"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"action="/app/import""#));
    let privacy = b.get("/app/privacy").await;
    assert!(
        privacy.body.contains("location history and trips"),
        "{}",
        privacy.body
    );
}

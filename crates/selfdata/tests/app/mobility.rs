//! Mobility end to end over a real server: a location export taken in by
//! the shared pipeline, its trips (stated or cut from positions) kept per
//! year in the pod beside the original, read back from the JSON API by the
//! owner with their CO2 and refused to anyone else, and shown on the
//! owner's page; "who has what on me" names the location history.

use selfdata_store::PodName;
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
        .import_file(&alice(), fixture("semantic_2022_JANUARY.json"))
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
        .import_file(&alice(), fixture("semantic_2022_JANUARY.json"))
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
        .import_file(&ines, fixture("semantic_2022_JANUARY.json"))
        .await
        .unwrap();
    let page = b.get("/app/mobility").await;
    assert!(page.body.contains("Trips, January 2022"), "{}", page.body);
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
    // A second file of the same history, two months later: the period
    // "who has what on me" states grows to cover both, never shrinks.
    s.app.import_file(&ines, commutes(3)).await.unwrap();
    let privacy = b.get("/app/privacy").await;
    let google = &privacy.body[privacy.body.find("location history and trips").unwrap()..];
    assert!(
        google.contains("2022-01-12 – 2022-03-03"),
        "the period covers both files: {google}"
    );
    assert!(
        google.contains("<dd>10</dd>"),
        "4 trips of January and 6 of March are held: {google}"
    );
}

/// A Semantic Location History of `days` mornings: home at 8:00, a
/// 2.5 km drive to work, work until 17:00 — the same trip each day.
fn commutes(days: u32) -> Vec<u8> {
    let (home, work) = ((457_640_000, 48_360_000), (457_700_000, 48_650_000));
    let mut objects = Vec::new();
    for d in 1..=days {
        let day = format!("2022-03-{d:02}");
        objects.push(serde_json::json!({"placeVisit": {
            "location": {"latitudeE7": home.0, "longitudeE7": home.1},
            "duration": {"startTimestamp": format!("{day}T00:00:00Z"), "endTimestamp": format!("{day}T07:00:00Z")}}}));
        objects.push(serde_json::json!({"activitySegment": {
            "startLocation": {"latitudeE7": home.0, "longitudeE7": home.1},
            "endLocation": {"latitudeE7": work.0, "longitudeE7": work.1},
            "duration": {"startTimestamp": format!("{day}T07:00:00Z"), "endTimestamp": format!("{day}T07:12:00Z")},
            "distance": 2500, "activityType": "IN_PASSENGER_VEHICLE"}}));
        objects.push(serde_json::json!({"placeVisit": {
            "location": {"latitudeE7": work.0, "longitudeE7": work.1},
            "duration": {"startTimestamp": format!("{day}T07:12:00Z"), "endTimestamp": format!("{day}T16:00:00Z")}}}));
        objects.push(serde_json::json!({"activitySegment": {
            "startLocation": {"latitudeE7": work.0, "longitudeE7": work.1},
            "endLocation": {"latitudeE7": home.0, "longitudeE7": home.1},
            "duration": {"startTimestamp": format!("{day}T16:00:00Z"), "endTimestamp": format!("{day}T16:12:00Z")},
            "distance": 2500, "activityType": "IN_PASSENGER_VEHICLE"}}));
    }
    serde_json::to_vec(&serde_json::json!({ "timelineObjects": objects })).unwrap()
}

/// Ines's sign-in.
const INES: (&str, &str) = ("ines@example.org", "correct horse battery");

/// Ines, signed in, with `days` of commutes imported: her browser, its
/// CSRF token, and Ines herself as an app speaking for her WebID.
async fn commuter(s: &Server, days: u32) -> (common::Browser, String, common::Resident) {
    let (email, password) = INES;
    let ines = PodName::parse("ines").unwrap();
    let account = s
        .app
        .idp
        .create_account(email, password, &ines)
        .await
        .unwrap();
    s.app.import_file(&ines, commutes(days)).await.unwrap();
    let b = s.sign_in(email, password).await;
    let csrf = common::field(&b.get("/app/mobility?month=2022-03").await.body, "csrf");
    let webid = selfdata_solid::provision::webid_of(&s.base, &ines);
    let (client_id, client_secret) = s
        .app
        .idp
        .create_credentials(Some(account), &webid, "tests")
        .await
        .unwrap();
    let key = selfdata_oidc::DpopKey::generate();
    let token =
        common::client_credentials_token(&s.client, &s.base, &client_id, &client_secret, &key)
            .await;
    let owner = common::Resident {
        key,
        token,
        webid,
        client_id,
        client_secret,
    };
    (b, csrf, owner)
}

async fn owner_trips(s: &Server, owner: &common::Resident) -> Vec<Value> {
    let url = format!(
        "{}/ines/selfdata/mobility/api/trips?from=2022-03-01&to=2022-04-01",
        s.base
    );
    let r = owner.req(s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["trips"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_corrected_mode_spreads_to_the_same_trip_on_other_days_and_is_kept_owner_only() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 4, 1))).await;
    let (b, csrf, owner) = commuter(&s, 5).await;
    let before = owner_trips(&s, &owner).await;
    assert_eq!(before.len(), 10);
    assert!(
        before
            .iter()
            .all(|t| t["mode"] == "car" && t["co2_g"].as_u64() > Some(0))
    );

    // The day view offers the correction beside each trip.
    let day = b.get("/app/mobility/day?date=2022-03-02").await;
    assert_eq!(day.status, 200);
    assert!(
        day.body.contains(r#"action="/app/mobility/trips/mode""#),
        "{}",
        day.body
    );
    assert!(day.body.contains("<svg class=\"map\""), "{}", day.body);

    // Morning drive of 2 March said to be by bike: every commute follows,
    // the way back too (same ends, either way round, same distance).
    let (start, end) = ("1646204400", "1646205120");
    let done = b
        .post(
            "/app/mobility/trips/mode",
            &[
                ("csrf", &csrf),
                ("start", start),
                ("end", end),
                ("mode", "bike"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let to = done.location.unwrap();
    assert!(
        to.contains("date=2022-03-02") && to.contains("done=10"),
        "{to}"
    );
    let told = b.get(&to).await;
    assert!(
        told.body.contains("10 similar trips now say bike"),
        "{}",
        told.body
    );
    let after = owner_trips(&s, &owner).await;
    let mornings: Vec<_> = after
        .iter()
        .filter(|t| t["start"].as_str().unwrap().ends_with("T07:00:00Z"))
        .collect();
    assert_eq!(mornings.len(), 5);
    assert!(
        mornings
            .iter()
            .all(|t| t["mode"] == "bike" && t["co2_g"] == 0),
        "{after:#?}"
    );
    assert!(after.iter().all(|t| t["mode"] == "bike"), "{after:#?}");

    // What the resident said is a file of their pod, not anyone else's to read.
    let url = format!("{}/ines/selfdata/mobility/corrections.csv", s.base);
    let csv = owner.req(&s, "GET", &url).send().await.unwrap();
    assert_eq!(csv.status(), 200);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("bike"), "{csv}");
    let bob = common::Resident::new(&s, "bob").await;
    assert_eq!(bob.req(&s, "GET", &url).send().await.unwrap().status(), 403);

    // Without the form's token, nothing changes.
    let forged = b
        .post(
            "/app/mobility/trips/mode",
            &[("start", start), ("end", end), ("mode", "plane")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // A trip that does not exist, or a mode that does not, is a sentence.
    let none = b
        .post(
            "/app/mobility/trips/mode",
            &[
                ("csrf", &csrf),
                ("start", "1"),
                ("end", "2"),
                ("mode", "bike"),
            ],
        )
        .await;
    assert_eq!(none.status, 404);
    let bad = b
        .post(
            "/app/mobility/trips/mode",
            &[
                ("csrf", &csrf),
                ("start", start),
                ("end", end),
                ("mode", "teleport"),
            ],
        )
        .await;
    assert_eq!(bad.status, 400);
    assert!(!bad.body.contains("panicked"));
    assert_eq!(owner_trips(&s, &owner).await, after);
}

#[tokio::test]
async fn two_in_the_car_halve_its_co2_and_the_totals_follow() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 4, 1))).await;
    let (b, csrf, owner) = commuter(&s, 3).await;
    let alone: u64 = owner_trips(&s, &owner)
        .await
        .iter()
        .map(|t| t["co2_g"].as_u64().unwrap())
        .sum();
    let saved = b
        .post(
            "/app/mobility/settings",
            &[("csrf", &csrf), ("car", "car_thermal"), ("occupancy", "2")],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let shared: u64 = owner_trips(&s, &owner)
        .await
        .iter()
        .map(|t| t["co2_g"].as_u64().unwrap())
        .sum();
    assert!(
        shared.abs_diff(alone / 2) <= 6,
        "alone {alone} g, two {shared} g"
    );

    let url = format!(
        "{}/ines/selfdata/mobility/api/totals?from=2022-03-01&to=2022-04-01",
        s.base
    );
    let r = owner.req(&s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let totals: Value = r.json().await.unwrap();
    let march = &totals["months"][0];
    assert_eq!(
        (march["month"].as_str(), march["trips"].as_u64()),
        (Some("2022-03"), Some(6))
    );
    assert_eq!(march["distance_m"], 15_000);
    // Totals are summed in milligrams and rounded once: within a gram per
    // trip of the trips' own rounded grams.
    let total = march["co2_g"].as_u64().unwrap();
    assert!(
        total.abs_diff(shared) <= 6,
        "totals {total} g, trips {shared} g"
    );
    assert_eq!(march["modes"][0]["mode"], "car");

    // A car of no known kind, or ten in it, is refused and nothing changes.
    for (car, n) in [
        ("tractor", "1"),
        ("car_thermal", "10"),
        ("car_thermal", "two"),
    ] {
        let r = b
            .post(
                "/app/mobility/settings",
                &[("csrf", &csrf), ("car", car), ("occupancy", n)],
            )
            .await;
        assert_eq!(r.status, 400, "{car} {n}");
    }
    let still: u64 = owner_trips(&s, &owner)
        .await
        .iter()
        .map(|t| t["co2_g"].as_u64().unwrap())
        .sum();
    assert_eq!(still, shared);

    // The totals are the owner's: nobody else's to read.
    let url = format!("{}/ines/selfdata/mobility/api/totals", s.base);
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
async fn places_are_found_named_by_the_resident_and_their_names_shown_as_text() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 4, 1))).await;
    let (b, _, owner) = commuter(&s, 5).await;
    // The places found are a file of the pod too, described with the trips:
    // every table the CSVW names has exactly the columns it says.
    let meta: Value =
        serde_json::from_str(&owner_file(&s, &owner, "trips/csv-metadata.json").await).unwrap();
    let tables = meta["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 2, "2022's trips and the places: {meta:#}");
    for t in tables {
        let url = t["url"].as_str().unwrap();
        let csv = owner_file(&s, &owner, &format!("trips/{url}")).await;
        let described: Vec<&str> = t["tableSchema"]["columns"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["virtual"] != true)
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            csv.lines().next().unwrap().split(',').collect::<Vec<_>>(),
            described,
            "{url}"
        );
    }
    let places = owner_file(&s, &owner, "trips/frequent-places.csv").await;
    assert!(places.lines().any(|l| l.ends_with(",home")), "{places}");
    assert!(places.lines().any(|l| l.ends_with(",work")), "{places}");
    let page = b.get("/app/mobility/places").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg class=\"map\""), "{}", page.body);
    assert!(
        page.body.contains("Home?") || page.body.contains("home?"),
        "{}",
        page.body
    );
    let csrf = common::field(&page.body, "csrf");
    let lat = common::field(&page.body, "lat");
    let lon = common::field(&page.body, "lon");
    let named = b
        .post(
            "/app/mobility/places/name",
            &[
                ("csrf", &csrf),
                ("lat", &lat),
                ("lon", &lon),
                ("name", "<b>Mum's</b>"),
            ],
        )
        .await;
    assert_eq!(named.status, 303, "{}", named.body);
    let page = b.get("/app/mobility/places").await;
    assert!(
        page.body.contains("&lt;b&gt;Mum&#39;s&lt;/b&gt;")
            || page.body.contains("&lt;b&gt;Mum&#x27;s&lt;/b&gt;"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("<b>Mum"), "{}", page.body);
    // The day map names the place too, as text.
    let day = b.get("/app/mobility/day?date=2022-03-02").await;
    assert!(day.body.contains("&lt;b&gt;Mum"), "{}", day.body);
    assert!(!day.body.contains("<b>Mum"));

    // Places are for the owner's eyes: not in the API, not to others.
    let bob = common::Resident::new(&s, "bob").await;
    let url = format!("{}/ines/selfdata/mobility/places.csv", s.base);
    assert_eq!(bob.req(&s, "GET", &url).send().await.unwrap().status(), 403);
    let other = common::Browser::new(&s.base);
    assert_eq!(other.get("/app/mobility/places").await.status, 303);
}

#[tokio::test]
async fn an_operators_tile_server_is_drawn_under_the_maps_and_the_only_image_origin_they_allow() {
    let tiles = selfdata_mobility_web::map::Tiles::parse(
        "https://tile.example.org/{z}/{x}/{y}.png",
        "OpenStreetMap contributors",
    )
    .unwrap();
    let s = Server::start_with(|o| {
        o.today = Some(jiff::civil::date(2022, 4, 1));
        o.map_tiles = Some(tiles);
    })
    .await;
    let (b, _, _) = commuter(&s, 5).await;
    for path in ["/app/mobility/day?date=2022-03-02", "/app/mobility/places"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body
                .contains("<image href=\"https://tile.example.org/"),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body
                .contains("OpenStreetMap contributors, which sees the area shown")
        );
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("img-src 'self' data: https://tile.example.org;"),
            "{path}: {csp}"
        );
    }
    // Pages without a map allow no other origin.
    let month = b.get("/app/mobility?month=2022-03").await;
    let csp = month.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");

    // Without tiles (the default), nothing is fetched to draw a map.
    let plain = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 4, 1))).await;
    let (b, _, _) = commuter(&plain, 2).await;
    let day = b.get("/app/mobility/day?date=2022-03-02").await;
    assert!(!day.body.contains("<image"), "{}", day.body);
    assert!(day.body.contains("nothing is fetched from elsewhere"));
    let csp = day.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
}

/// The three mobility pages in a real browser (tests/e2e/mobility.mjs), on a
/// phone and a desktop, in English and French; its forms sent without
/// JavaScript end up in the pod.
#[tokio::test(flavor = "multi_thread")]
async fn the_mobility_pages_in_a_browser_are_accessible_fit_a_phone_and_their_forms_work_without_script()
 {
    let chromium = crate::e2e::chromium();
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 4, 1))).await;
    let (_, _, owner) = commuter(&s, 7).await;
    // January too: a second month on the chart, bike, walk and train trips.
    let ines = PodName::parse("ines").unwrap();
    s.app
        .import_file(&ines, fixture("semantic_2022_JANUARY.json"))
        .await
        .unwrap();
    let march = owner_trips(&s, &owner).await;
    assert_eq!(march.len(), 14);
    let similar = march.len().to_string();
    let place = "Mum's flat";
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", INES.0),
        ("SELFDATA_PASSWORD", INES.1),
        ("SELFDATA_MONTH", "2022-03"),
        ("SELFDATA_DAY", "2022-03-02"),
        ("SELFDATA_SIMILAR", similar.as_str()),
        ("SELFDATA_PLACE", place),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("mobility.mjs", &env));

    // What the browser sent is what the pod now holds: every commute by
    // bus (the last correction, made in French), the place's name, the car.
    let after = owner_trips(&s, &owner).await;
    assert!(
        after
            .iter()
            .all(|t| t["mode"] == "bus" && t["co2_g"].as_u64() > Some(0)),
        "{after:#?}"
    );
    let names = owner_file(&s, &owner, "places.csv").await;
    assert!(names.contains(place), "{names}");
    let settings = owner_file(&s, &owner, "settings.csv").await;
    assert!(
        settings.contains("car,car_electric") && settings.contains("car_occupancy,2"),
        "{settings}"
    );
}

/// A file of Ines's `selfdata/mobility/`, read as its owner.
async fn owner_file(s: &Server, owner: &common::Resident, file: &str) -> String {
    let url = format!("{}/ines/selfdata/mobility/{file}", s.base);
    let r = owner.req(s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{file}");
    r.text().await.unwrap()
}

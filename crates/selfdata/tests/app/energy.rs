//! Energy and water over real HTTP: a meter export posted to the inbox is
//! imported (original kept byte for byte, normalised CSV with CSVW, a source
//! description), bad files are refused with their line and leave nothing,
//! re-imports change nothing twice, and the JSON API answers consumption by
//! step, unit and euros, with WAC deciding who may ask.

use crate::common;

use crate::common::{Server, problem};
use selfdata_store::{PodName, ResourcePath, Write};
use serde_json::Value;

/// A portal load-curve CSV (30-minute steps) over local days `[from, to)`,
/// each half-hour at `watts(local hour)`, with the rows in `skip` left empty.
fn load_curve(from: &str, to: &str, watts: impl Fn(i8) -> u32, skip: &[&str]) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    let from: jiff::civil::Date = from.parse().unwrap();
    let to: jiff::civil::Date = to.parse().unwrap();
    let mut t = from.to_zoned_datetime(tz.clone()).unwrap().timestamp();
    let end = to.to_zoned_datetime(tz.clone()).unwrap().timestamp();
    let mut out = format!(
        "\u{feff}Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes\r\n\
         01234567890123;Courbe de charge;{};{};Energie active;Consommation;Comptage Brut;W;30\r\n\
         Horodate;Valeur\r\n",
        from.strftime("%d/%m/%Y"),
        to.strftime("%d/%m/%Y"),
    );
    while t < end {
        let start_local = t.to_zoned_datetime(tz.clone());
        t = t.checked_add(jiff::SignedDuration::from_mins(30)).unwrap();
        let stamp = t
            .to_zoned_datetime(tz.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string();
        if skip.iter().any(|s| stamp.starts_with(s)) {
            out.push_str(&format!("{stamp};\r\n"));
        } else {
            out.push_str(&format!("{stamp};{}\r\n", watts(start_local.hour())));
        }
    }
    out
}

async fn post_inbox(s: &Server, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    s.req("POST", "/inbox/")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn api(s: &Server, query: &str) -> Value {
    let r = s
        .req("GET", &format!("/selfdata/energy/api/{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_load_curve_posted_to_the_inbox_is_kept_as_received_normalised_and_described() {
    let s = Server::start().await;
    let csv = load_curve(
        "2025-01-01",
        "2025-02-01",
        |h| if h < 6 { 200 } else { 1000 },
        &[],
    );
    let r = post_inbox(&s, "text/csv", csv.clone().into_bytes()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["readings"], 31 * 48);
    assert_eq!(summary["days_missing"], 0);
    assert!(
        location.contains("/alice/selfdata/sources/enedis/raw/2025-01-01_2025-01-31-"),
        "{location}"
    );

    // The original, byte for byte (BOM and CRLF included).
    let raw = s.signed("GET", &location).send().await.unwrap();
    assert_eq!(raw.headers()["content-type"], "text/csv");
    assert_eq!(raw.bytes().await.unwrap(), csv.as_bytes());

    // The normalised file: UTC intervals, Wh with the step applied.
    let (status, normal) = s
        .get_text("/selfdata/energy/electricity/energy-PT30M-2025.csv")
        .await;
    assert_eq!(status, 200);
    let mut lines = normal.lines();
    assert_eq!(lines.next(), Some("start,end,value,estimated"));
    assert_eq!(
        lines.next(),
        Some("2024-12-31T23:00:00Z,2024-12-31T23:30:00Z,100,false")
    );
    assert_eq!(normal.lines().count(), 1 + 31 * 48);

    // CSVW metadata and the source description, in open formats.
    let (status, meta) = s
        .get_text("/selfdata/energy/electricity/csv-metadata.json")
        .await;
    assert_eq!(status, 200);
    let meta: Value = serde_json::from_str(&meta).unwrap();
    assert_eq!(meta["tables"][0]["url"], "energy-PT30M-2025.csv");
    let (status, about) = s.get_text("/selfdata/sources/enedis/about.ttl").await;
    assert_eq!(status, 200);
    let graph = common::turtle(&about, &s.url("/selfdata/sources/enedis/about.ttl"));
    let text = graph.to_string();
    assert!(text.contains("\"Enedis\""), "{text}");
    assert!(text.contains(&format!("\"{}\"", 31 * 48)), "{text}");
    assert!(text.contains("wasDerivedFrom"));

    // The same file again changes nothing.
    let before = s
        .app
        .store
        .meta(
            &PodName::parse("alice").unwrap(),
            &ResourcePath::parse("/selfdata/energy/electricity/energy-PT30M-2025.csv").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let again = post_inbox(&s, "text/csv", csv.into_bytes()).await;
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["changed"], 0);
    let after = s
        .app
        .store
        .meta(&PodName::parse("alice").unwrap(), &before.path)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.version, after.version, "nothing was rewritten");
}

#[tokio::test]
async fn a_truncated_file_is_refused_with_its_line_and_leaves_nothing_behind() {
    let s = Server::start().await;
    let mut csv = load_curve("2025-01-01", "2025-01-03", |_| 500, &[]);
    csv.truncate(csv.len() - 20); // cut inside the last row
    let r = post_inbox(&s, "text/csv", csv.clone().into_bytes()).await;
    let lines = csv.lines().count();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 422);
    assert!(detail.contains(&format!("line {lines}")), "{detail}");
    let (status, _) = s.get_text("/selfdata/energy/").await;
    assert_eq!(status, 404, "no normalised data");
    let (_, inbox) = s.get_text("/inbox/").await;
    assert!(
        !inbox.contains("ldp:contains"),
        "nothing stored in the inbox: {inbox}"
    );
    let (status, _) = s.get_text("/selfdata/sources/").await;
    assert_eq!(status, 404, "no original kept");
}

#[tokio::test]
async fn a_csv_that_is_no_meter_export_is_stored_in_the_inbox_as_posted() {
    let s = Server::start().await;
    let r = post_inbox(&s, "text/csv", b"name,age\nada,36\n".to_vec()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("/alice/inbox/"), "{location}");
}

#[tokio::test]
async fn consumption_by_step_and_unit_with_missing_values_missing_and_the_year_before() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2026, 3, 1))).await;
    // Two winters: 2025 at 1 kW all day, 2024 at 500 W.
    let now = load_curve("2025-01-01", "2025-04-01", |_| 1000, &["2025-01-10T1"]);
    let before = load_curve("2024-01-01", "2024-04-01", |_| 500, &[]);
    for f in [now, before] {
        assert_eq!(
            post_inbox(&s, "text/csv", f.into_bytes()).await.status(),
            201
        );
    }
    let months = api(
        &s,
        "consumption?fluid=electricity&from=2025-01-01&to=2025-04-01&step=month&unit=kWh",
    )
    .await;
    let points = months["points"].as_array().unwrap();
    assert_eq!(points.len(), 3);
    // January: 31 days × 24 kWh minus 10 hours left empty on the 10th (rows 10:00–19:30).
    assert_eq!(points[0]["value"], 31.0 * 24.0 - 10.0);
    assert!(points[0]["coverage"].as_f64().unwrap() < 1.0);
    assert_eq!(points[1]["value"], 28.0 * 24.0);
    // March has the spring-forward day: 23 hours.
    assert_eq!(points[2]["value"], 31.0 * 24.0 - 1.0);
    assert_eq!(
        months["previous_year"]["points"][1]["value"],
        29.0 * 12.0,
        "Feb 2024 at 500 W"
    );
    // Euros: 672 kWh at 0.2016 €/kWh plus 28 days of a 164.64 €/year subscription.
    let euros = points[1]["euros"].as_f64().unwrap();
    let expected = 672.0 * 0.2016 + 164.64 * 28.0 / 365.25;
    assert!((euros - expected).abs() <= 0.01, "{euros} vs {expected}");

    let halves = api(
        &s,
        "consumption?fluid=electricity&from=2025-03-30&to=2025-03-31&step=half-hour&unit=Wh",
    )
    .await;
    assert_eq!(halves["points"].as_array().unwrap().len(), 46);
    assert_eq!(halves["points"][0]["value"], 500.0);
    let day = api(
        &s,
        "consumption?fluid=electricity&from=2025-01-10&to=2025-01-11&step=hour",
    )
    .await;
    let hours = day["points"].as_array().unwrap();
    assert_eq!(hours.len(), 24);
    // Rows stamped 10:00 to 19:30 (interval ends) are empty: 09:30–19:30.
    assert_eq!(hours[8]["value"], 1.0);
    assert_eq!(hours[9]["value"], 0.5);
    assert_eq!(hours[9]["coverage"], 0.5);
    assert_eq!(
        hours[10]["value"],
        Value::Null,
        "missing is missing, not zero"
    );
    assert_eq!(hours[18]["value"], Value::Null);
    assert_eq!(hours[19]["value"], 0.5);
    assert_eq!(hours[20]["value"], 1.0);

    let summary = api(&s, "summary?fluid=electricity").await;
    assert_eq!(summary["readings"], 90 * 48 - 2 + 91 * 48 - 2);
}

#[tokio::test]
async fn the_api_refuses_bad_queries_strangers_and_anonymous_callers_in_sentences() {
    let s = Server::start().await;
    for query in [
        "consumption?fluid=steam",
        "consumption?fluid=water&unit=kWh",
        "consumption?fluid=gas&step=fortnight",
        "consumption?fluid=gas&from=yesterday",
        "consumption?fluid=gas&from=2025-02-01&to=2025-01-01",
        "consumption?fluid=electricity&step=half-hour&from=2020-01-01&to=2025-01-01",
    ] {
        let r = s
            .req("GET", &format!("/selfdata/energy/api/{query}"))
            .send()
            .await
            .unwrap();
        let (status, _) = problem(r).await;
        assert_eq!(status, 400, "{query}");
    }
    let anonymous = s
        .client
        .get(s.url("/selfdata/energy/api/summary?fluid=gas"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(anonymous).await.0, 401);
    // Bob has his own pod and a valid token, but no access to alice's energy data.
    let bob = s
        .app
        .create_pod(&PodName::parse("bob").unwrap())
        .await
        .unwrap();
    let key = selfdata_oidc::DpopKey::generate();
    let token = common::client_credentials_token(
        &s.client,
        &s.base,
        &bob.client_id,
        &bob.client_secret,
        &key,
    )
    .await;
    let url = s.url("/selfdata/energy/api/summary?fluid=gas");
    let r = common::as_agent(&s.client, &key, &token, "GET", &url)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 403);
}

#[tokio::test]
async fn overlapping_reimports_change_only_what_is_new_and_reindex_rebuilds_the_same_answers() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2025, 3, 1))).await;
    let first = load_curve("2025-01-01", "2025-01-21", |_| 400, &[]);
    let overlapping = load_curve("2025-01-11", "2025-02-01", |_| 400, &[]);
    assert_eq!(
        post_inbox(&s, "text/csv", first.into_bytes())
            .await
            .status(),
        201
    );
    let r: Value = post_inbox(&s, "text/csv", overlapping.into_bytes())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["changed"], 11 * 48, "only the 11 new days");
    let query = "consumption?fluid=electricity&from=2025-01-01&to=2025-02-01&step=week&unit=Wh";
    let answer = api(&s, query).await;
    assert_eq!(answer["total"]["value"], 31.0 * 24.0 * 400.0);

    // Lose the derived index: the API has nothing; reindex brings back the same answer.
    let pod = PodName::parse("alice").unwrap();
    let entries = s.app.store.index_scan(&pod, "energy/").await.unwrap();
    assert!(!entries.is_empty());
    let wipe = entries
        .into_iter()
        .map(|(key, _)| Write::Index { key, value: None })
        .collect();
    s.app.store.write(&pod, Write::Batch(wipe)).await.unwrap();
    // Touch the container so the cached book is rebuilt from the (now empty) index.
    s.put_turtle("/selfdata/energy/electricity/note.ttl", "<#a> <#b> <#c> .")
        .await;
    assert_eq!(api(&s, query).await["total"]["value"], Value::Null);
    assert_eq!(s.app.energy.reindex(&pod).await.unwrap(), 31 * 48);
    assert_eq!(api(&s, query).await, answer);
}

#[tokio::test]
async fn a_file_for_another_meter_is_kept_apart_until_the_resident_confirms_it() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2025, 3, 1))).await;
    let mine = load_curve("2025-01-01", "2025-01-03", |_| 500, &[]);
    assert_eq!(
        post_inbox(&s, "text/csv", mine.into_bytes()).await.status(),
        201
    );
    let other = load_curve("2025-01-03", "2025-01-05", |_| 700, &[])
        .replace("01234567890123;", "99999999999999;");
    let (status, detail) =
        problem(post_inbox(&s, "text/csv", other.clone().into_bytes()).await).await;
    assert_eq!(status, 422);
    assert!(
        detail.contains("99999999999999") && detail.contains("kept apart"),
        "{detail}"
    );
    let query = "consumption?fluid=electricity&from=2025-01-03&to=2025-01-05&step=day&unit=Wh";
    assert_eq!(
        api(&s, query).await["total"]["value"],
        Value::Null,
        "nothing merged"
    );
    let (status, apart) = s.get_text("/selfdata/sources/enedis/apart/").await;
    assert_eq!(status, 200);
    assert!(apart.contains("2025-01-03_2025-01-04-"), "{apart}");

    // The resident confirms the file is theirs: it is merged.
    let pod = PodName::parse("alice").unwrap();
    let summary = s
        .app
        .context
        .pipeline
        .run(
            s.app.energy.as_ref(),
            &pod,
            other.into_bytes().into(),
            true,
            &|_| {},
        )
        .await
        .unwrap();
    assert_eq!(summary.changed, 2 * 48);
    assert_eq!(api(&s, query).await["total"]["value"], 2.0 * 24.0 * 700.0);
}

#[tokio::test]
async fn a_file_that_ends_before_its_declared_period_is_reported_as_partial_not_complete() {
    let s = Server::start().await;
    let csv = load_curve("2025-01-01", "2025-01-11", |_| 500, &[])
        .replace(";01/01/2025;11/01/2025;", ";01/01/2025;01/02/2025;");
    let r = post_inbox(&s, "text/csv", csv.into_bytes()).await;
    assert_eq!(r.status(), 201);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(
        summary["partial"],
        serde_json::json!(["2024-12-31T23:00:00Z", "2025-01-31T23:00:00Z"])
    );
    assert_eq!(summary["days_missing"], 21, "{summary}");
}

#[tokio::test]
async fn a_meter_id_with_a_carriage_return_keeps_its_source_visible() {
    let s = Server::start().await;
    let json = r#"{"meter_reading":{"usage_point_id":"1640122\r0101758","start":"2025-01-01","end":"2025-01-03",
        "reading_type":{"measurement_kind":"energy","measuring_period":"P1D","unit":"Wh","aggregate":"sum"},
        "interval_reading":[{"value":"540","date":"2025-01-01"},{"value":"610","date":"2025-01-02"}]}}"#;
    let r = post_inbox(&s, "application/json", json.as_bytes().to_vec()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let about = s.url("/selfdata/sources/enedis/about.ttl");
    let (status, turtle) = s.get_text("/selfdata/sources/enedis/about.ttl").await;
    assert_eq!(status, 200);
    let graph = common::turtle(&turtle, &about);
    let text = graph.to_string();
    assert!(text.contains("\"1640122\\r0101758\""), "{text}");
    assert!(text.contains("\"Enedis\""), "{text}");
}

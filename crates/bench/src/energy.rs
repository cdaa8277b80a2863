//! `selfdata-bench energy`: the energy benchmark, in one process and one run.
//!
//! (a) Import of a ten-year half-hourly load curve (a 175,296-row Enedis
//! portal CSV) through the real import path (parse, merge, normalised CSV,
//! CSVW, description, index, one durable commit): rows per second.
//! (b) Monthly aggregation of those ten years through the JSON API, as the
//! server sees it: each request goes through the whole router (DPoP token
//! and proof verification, WAC, the cached book) in process, without a
//! socket, so the time measured is server time.
//! Baseline, same run: the same monthly sums as an SQL `GROUP BY` over one
//! row per reading in SQLite.
//! (c) The dashboard page (`GET /app/energy` with a session), server time.
//! Prints one JSON object; `bench/energy.sh` writes it to `bench/results/`.

use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt as _;
use selfdata::{App, Options};
use selfdata_store::PodName;
use tower::ServiceExt as _;

/// A ten-year half-hourly load curve in the Enedis portal layout.
pub fn ten_year_curve(from: jiff::civil::Date, years: i16) -> String {
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap_or(jiff::tz::TimeZone::UTC);
    let to = from
        .checked_add(jiff::Span::new().years(years))
        .unwrap_or(from);
    let mut t = from
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_default();
    let end = to
        .to_zoned_datetime(tz.clone())
        .map(|z| z.timestamp())
        .unwrap_or_default();
    let mut out = String::with_capacity(200 * 1024 * 1024 / 40);
    out.push_str("\u{feff}Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes\r\n");
    out.push_str(&format!(
        "01234567890123;Courbe de charge;{};{};Energie active;Consommation;Comptage Brut;W;30\r\nHorodate;Valeur\r\n",
        from.strftime("%d/%m/%Y"),
        to.strftime("%d/%m/%Y")
    ));
    let mut i: u64 = 0;
    while t < end {
        t = t
            .checked_add(jiff::SignedDuration::from_mins(30))
            .unwrap_or(end);
        let z = t.to_zoned_datetime(tz.clone());
        i += 1;
        let w = 200 + (z.hour() as u64 * 97 + i * 31) % 1800;
        out.push_str(&format!("{};{w}\r\n", z.strftime("%Y-%m-%dT%H:%M:%S%:z")));
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

pub async fn run(requests: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let base = "http://bench.local";
    let mut options = Options::new(dir.path(), base);
    options.today = Some(jiff::civil::date(2026, 1, 1));
    let app = App::open(options).await.context("open the app")?;
    let pod = PodName::parse("bench")?;
    app.idp
        .create_account("bench@selfdata.local", "bench-password-1", &pod)
        .await?;
    let webid = selfdata_solid::provision::webid_of(base, &pod);
    let (client_id, secret) = app.idp.create_credentials(None, &webid, "bench").await?;
    let router = app.router();

    // (a) import
    let csv = ten_year_curve(jiff::civil::date(2016, 1, 1), 10);
    let rows = csv.lines().count() - 3;
    let bytes = bytes::Bytes::from(csv.into_bytes());
    let started = Instant::now();
    let summary = app.import_file(&pod, bytes.clone()).await?;
    let import_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        summary.readings == rows,
        "imported {} of {rows}",
        summary.readings
    );
    let parse_started = Instant::now();
    selfdata_energy::import::parse(&bytes)?;
    let parse_s = parse_started.elapsed().as_secs_f64();

    // A DPoP-bound token through the real token endpoint.
    let crate::control::Agent { key, token } =
        crate::control::token(&router, &client_id, &secret).await?;

    // (b) monthly aggregation through the API
    let path = "/bench/selfdata/energy/api/consumption?fluid=electricity&from=2016-01-01&to=2026-01-01&step=month&unit=kWh";
    let url = format!("{base}{}", path.split('?').next().unwrap_or(path));
    let mut times = Vec::with_capacity(requests);
    let mut months = 0;
    for i in 0..requests + 1 {
        let proof = key.proof("GET", &url, Some(&token), now_s());
        let request = Request::get(path)
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("dpop", proof)
            .body(Body::empty())?;
        let started = Instant::now();
        let response = router.clone().oneshot(request).await?;
        let body = response.into_body().collect().await?.to_bytes();
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        let v: serde_json::Value = serde_json::from_slice(&body).context("API answer")?;
        months = v["points"].as_array().map(Vec::len).unwrap_or(0);
        if i > 0 {
            times.push(elapsed); // the first request builds the cached book
        }
    }
    anyhow::ensure!(months == 120, "expected 120 months, got {months}");
    times.sort_by(f64::total_cmp);

    // The same aggregation without HTTP: the book alone.
    let book = app
        .energy
        .book(&pod, selfdata_energy::Fluid::Electricity)
        .await?;
    let q = book.main().context("no electricity")?;
    let mut book_times = Vec::new();
    for _ in 0..requests {
        let started = Instant::now();
        let buckets = q.aggregate(
            jiff::civil::date(2016, 1, 1),
            jiff::civil::date(2026, 1, 1),
            selfdata_energy::analysis::Resolution::Month,
        );
        book_times.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(buckets.len() == 120);
    }
    book_times.sort_by(f64::total_cmp);

    // Baseline: one row per reading in SQLite, GROUP BY month.
    let db = rusqlite::Connection::open(dir.path().join("baseline.sqlite"))?;
    db.execute_batch("CREATE TABLE reading (ts INTEGER NOT NULL, wh REAL); CREATE INDEX reading_ts ON reading(ts);")?;
    let readings = selfdata_energy::import::parse(&bytes)?;
    {
        let tx = db.unchecked_transaction()?;
        {
            let mut stmt = tx.prepare("INSERT INTO reading (ts, wh) VALUES (?1, ?2)")?;
            for r in &readings.series[0].readings {
                stmt.execute(rusqlite::params![
                    r.start.as_second(),
                    r.value.map(|v| v as f64 / 1000.0)
                ])?;
            }
        }
        tx.commit()?;
    }
    let mut sql_times = Vec::new();
    for _ in 0..requests.min(30) {
        let started = Instant::now();
        let mut stmt = db.prepare_cached(
            "SELECT strftime('%Y-%m', ts, 'unixepoch') AS month, SUM(wh), COUNT(wh) FROM reading
             WHERE ts >= ?1 AND ts < ?2 GROUP BY month ORDER BY month",
        )?;
        let n = stmt
            .query_map([1_451_602_800i64, 1_767_222_000i64], |r| {
                r.get::<_, String>(0)
            })?
            .count();
        sql_times.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(n >= 120, "baseline gave {n} months");
    }
    sql_times.sort_by(f64::total_cmp);

    // (c) the dashboard page with a session.
    let dashboard = dashboard_times(&app, &router, requests.min(100)).await;

    let api_p50 = percentile(&times, 0.5);
    let sql_p50 = percentile(&sql_times, 0.5);
    let result = serde_json::json!({
        "rows": rows,
        "import_seconds": import_s,
        "import_rows_per_second": rows as f64 / import_s,
        "parse_seconds": parse_s,
        "api_month_aggregation_ms": {"p50": api_p50, "p99": percentile(&times, 0.99), "n": times.len()},
        "book_month_aggregation_ms": {"p50": percentile(&book_times, 0.5), "p99": percentile(&book_times, 0.99)},
        "sqlite_group_by_ms": {"p50": sql_p50, "p99": percentile(&sql_times, 0.99), "n": sql_times.len()},
        "api_vs_sqlite_speedup": sql_p50 / api_p50,
        "dashboard_ms": dashboard,
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Server time of `GET /app/energy` for a signed-in resident, or `null` when
/// the page cannot be reached (no session could be made).
async fn dashboard_times(app: &App, router: &axum::Router, n: usize) -> serde_json::Value {
    let Ok(account) = app
        .idp
        .check_login("bench", "bench@selfdata.local", "bench-password-1", "")
        .await
    else {
        return serde_json::Value::Null;
    };
    let Ok((_, set_cookie)) = app.idp.start_session(account.id, false).await else {
        return serde_json::Value::Null;
    };
    let cookie = set_cookie.split(';').next().unwrap_or("").to_owned();
    let mut times = Vec::new();
    for i in 0..=n {
        let Ok(request) = Request::get("/app/energy")
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
        else {
            return serde_json::Value::Null;
        };
        let started = Instant::now();
        let response = router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let _ = response.into_body().collect().await;
        if !status.is_success() {
            return serde_json::json!({"error": status.as_u16()});
        }
        if i > 0 {
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    serde_json::json!({"p50": percentile(&times, 0.5), "p99": percentile(&times, 0.99), "n": times.len()})
}

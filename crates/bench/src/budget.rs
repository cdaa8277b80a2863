//! `selfdata-bench budget`: the money benchmark, in one process and one run,
//! every figure beside a bare SQLite baseline measured in the same run.
//!
//! (a) Import, end to end through `App::import_file` (recognise, parse,
//! merge without duplicates, the per-account CSV, the original kept, one
//! durable commit per file) of ten years of three busy accounts
//! (`selfdata_budget::demo::history`: about 100,000 transactions in
//! Crédit Agricole CSV files, one per account and year), wall time; then the
//! same files again, all duplicates. Baseline: the same rows inserted into a
//! bare SQLite table in one transaction.
//! (b) `GET /{pod}/selfdata/budget/api/transactions` for one month and for
//! ten years, as the server sees it: each request goes through the whole
//! router (DPoP token and proof, WAC, the cached book, the JSON) in process,
//! without a socket. Baseline: `SELECT … WHERE day >= ? AND day < ?` over
//! `tx(account, day INTEGER, amount INTEGER, label TEXT)` with an index on
//! `day`, the rows read into memory; and a `GROUP BY month`.
//! (c) The page `/app/budget` with a session, server time.
//! Prints one JSON object; `bench/budget.sh` writes it to `bench/results/`.

use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt as _;
use selfdata::{App, Options};
use selfdata_store::PodName;
use tower::ServiceExt as _;

const BASE: &str = "http://bench.local";

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// p50, p99 and the count of milliseconds, as JSON.
pub(crate) fn stats(mut times: Vec<f64>) -> serde_json::Value {
    times.sort_by(f64::total_cmp);
    serde_json::json!({
        "p50": percentile(&times, 0.5),
        "p99": percentile(&times, 0.99),
        "n": times.len(),
    })
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// `YYYYMMDD` as an integer: the baseline's day column.
fn day_number(d: jiff::civil::Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

pub async fn run(requests: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut options = Options::new(dir.path(), BASE);
    options.today = Some(selfdata_budget::demo::HISTORY_END);
    let app = App::open(options).await.context("open the app")?;
    let pod = PodName::parse("bench")?;
    app.idp
        .create_account("bench@selfdata.local", "bench-password-1", &pod)
        .await?;
    let webid = selfdata_solid::provision::webid_of(BASE, &pod);
    let (client_id, secret) = app.idp.create_credentials(None, &webid, "bench").await?;
    let router = app.router();

    // The statements, and the same rows parsed for the baseline.
    let generated = Instant::now();
    let files = selfdata_budget::demo::history(2026, 10, 3);
    let generate_s = generated.elapsed().as_secs_f64();
    let bytes_total: usize = files.iter().map(|f| f.bytes.len()).sum();
    let mut rows = Vec::new();
    for f in &files {
        let parsed = selfdata_budget::import::import(&f.bytes)
            .map_err(|e| anyhow::anyhow!("{}: {e:?}", f.name))?;
        for st in parsed.statements {
            let account = st.account.number.unwrap_or_default();
            for t in st.transactions {
                rows.push((account.clone(), day_number(t.date), t.amount, t.label));
            }
        }
    }

    // (a) import, then the same files again.
    let started = Instant::now();
    let mut added = 0;
    for f in &files {
        let summary = app
            .import_file(&pod, bytes::Bytes::from(f.bytes.clone()))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.name))?;
        added += summary.changed;
    }
    let import_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(
        added == rows.len(),
        "imported {added} of {} transactions",
        rows.len()
    );
    let started = Instant::now();
    let mut again = 0;
    for f in &files {
        again += app
            .import_file(&pod, bytes::Bytes::from(f.bytes.clone()))
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.name))?
            .changed;
    }
    let reimport_s = started.elapsed().as_secs_f64();
    anyhow::ensure!(again == 0, "the same files again added {again}");

    // Baseline: the same rows in a bare SQLite table, one transaction.
    let db = rusqlite::Connection::open(dir.path().join("baseline.sqlite"))?;
    db.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
         CREATE TABLE tx (account TEXT NOT NULL, day INTEGER NOT NULL, amount INTEGER NOT NULL, label TEXT NOT NULL);
         CREATE INDEX tx_day ON tx(day);",
    )?;
    let started = Instant::now();
    {
        let tx = db.unchecked_transaction()?;
        {
            let mut stmt =
                tx.prepare("INSERT INTO tx (account, day, amount, label) VALUES (?1, ?2, ?3, ?4)")?;
            for (account, day, amount, label) in &rows {
                stmt.execute(rusqlite::params![account, day, amount, label])?;
            }
        }
        tx.commit()?;
    }
    let sqlite_insert_s = started.elapsed().as_secs_f64();

    // (b) the transactions API, with a DPoP-bound token of the owner.
    let crate::control::Agent { key, token } =
        crate::control::token(&router, &client_id, &secret).await?;
    let ask = |path: String| {
        let url = format!("{BASE}{}", path.split('?').next().unwrap_or(&path));
        let proof = key.proof("GET", &url, Some(&token), now_s());
        Request::get(path)
            .header(header::AUTHORIZATION, format!("DPoP {token}"))
            .header("dpop", proof)
            .body(Body::empty())
    };
    // The first request after the import builds the ledger.
    let month = ("2025-06-01", "2025-07-01", 20250601, 20250701);
    let decade = ("2016-01-01", "2026-01-01", 20160101, 20260101);
    let path = |(from, to, _, _): (&str, &str, i64, i64)| {
        format!("/bench/selfdata/budget/api/transactions?from={from}&to={to}")
    };
    let started = Instant::now();
    let response = router.clone().oneshot(ask(path(month))?).await?;
    let status = response.status();
    let _ = response.into_body().collect().await?;
    let cold_ms = started.elapsed().as_secs_f64() * 1000.0;
    anyhow::ensure!(status.is_success(), "the API answered {status}");

    let mut api = serde_json::Map::new();
    let mut sql = serde_json::Map::new();
    let mut counts = serde_json::Map::new();
    for (name, period, n) in [
        ("month", month, requests),
        ("ten_years", decade, (requests / 10).max(20)),
    ] {
        let mut times = Vec::with_capacity(n);
        let mut count = 0;
        for _ in 0..n + n / 20 + 1 {
            let request = ask(path(period))?;
            let started = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let body = response.into_body().collect().await?.to_bytes();
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            let v: serde_json::Value = serde_json::from_slice(&body).context("API answer")?;
            count = v["transactions"].as_array().map(Vec::len).unwrap_or(0);
        }
        times.drain(..n / 20 + 1); // warm-up
        let mut sql_times = Vec::with_capacity(n);
        let mut sql_count = 0;
        for _ in 0..n {
            let started = Instant::now();
            let mut stmt = db.prepare_cached(
                "SELECT account, day, amount, label FROM tx WHERE day >= ?1 AND day < ?2 ORDER BY day",
            )?;
            let got: Vec<(String, i64, i64, String)> = stmt
                .query_map([period.2, period.3], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<Result<_, _>>()?;
            sql_times.push(started.elapsed().as_secs_f64() * 1000.0);
            sql_count = got.len();
        }
        anyhow::ensure!(
            count == sql_count,
            "{name}: the API gave {count} transactions, SQLite {sql_count}"
        );
        counts.insert(name.into(), count.into());
        api.insert(name.into(), stats(times));
        sql.insert(name.into(), stats(sql_times));
    }

    // Baseline: the sums per month of ten years.
    let mut group_times = Vec::new();
    for _ in 0..requests {
        let started = Instant::now();
        let mut stmt = db.prepare_cached(
            "SELECT day / 100 AS month, SUM(amount), COUNT(*) FROM tx
             WHERE day >= ?1 AND day < ?2 GROUP BY month ORDER BY month",
        )?;
        let n = stmt
            .query_map([decade.2, decade.3], |r| r.get::<_, i64>(0))?
            .count();
        group_times.push(started.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(n == 120, "baseline gave {n} months");
    }

    // The summary by category, when the service has one.
    let summary_path =
        "/bench/selfdata/budget/api/summary?from=2016-01-01&to=2026-01-01&step=month";
    let response = router.clone().oneshot(ask(summary_path.into())?).await?;
    let summary = if response.status().is_success() {
        let _ = response.into_body().collect().await;
        let mut times = Vec::new();
        for i in 0..=requests {
            let request = ask(summary_path.into())?;
            let started = Instant::now();
            let response = router.clone().oneshot(request).await?;
            let _ = response.into_body().collect().await?;
            if i > 0 {
                times.push(started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        stats(times)
    } else {
        serde_json::json!({"absent": response.status().as_u16()})
    };

    // (c) the page with a session.
    let page = page_times(&app, &router, "/app/budget", requests.min(200)).await;

    let ratio = |a: &serde_json::Value, b: &serde_json::Value| {
        a["p50"].as_f64().unwrap_or(f64::NAN) / b["p50"].as_f64().unwrap_or(f64::NAN)
    };
    let group = stats(group_times);
    let result = serde_json::json!({
        "files": files.len(),
        "bytes": bytes_total,
        "transactions": rows.len(),
        "generate_seconds": generate_s,
        "import_seconds": import_s,
        "import_transactions_per_second": rows.len() as f64 / import_s,
        "reimport_seconds": reimport_s,
        "sqlite_insert_seconds": sqlite_insert_s,
        "import_vs_sqlite_insert": import_s / sqlite_insert_s,
        "cold_first_request_ms": cold_ms,
        "api_transactions_ms": api,
        "sqlite_select_ms": sql,
        "rows_returned": counts,
        "api_vs_sqlite_month": ratio(&api["month"], &sql["month"]),
        "api_vs_sqlite_ten_years": ratio(&api["ten_years"], &sql["ten_years"]),
        "sqlite_group_by_month_ms": group,
        "api_summary_ms": summary,
        "api_summary_vs_sqlite_group_by": ratio(&summary, &group),
        "page_ms": page,
        "page_vs_sqlite_month": ratio(&page, &sql["month"]),
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}

/// Server time of a page for a signed-in resident, or why it could not be
/// measured.
async fn page_times(app: &App, router: &axum::Router, path: &str, n: usize) -> serde_json::Value {
    let cookie = match session_cookie(app).await {
        Ok(c) => c,
        Err(e) => return serde_json::json!({"error": e.to_string()}),
    };
    let mut times = Vec::new();
    for i in 0..=n {
        let Ok(request) = Request::get(path)
            .header(header::COOKIE, &cookie)
            .body(Body::empty())
        else {
            return serde_json::json!({"error": "no request"});
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
    stats(times)
}

/// The session cookie of the resident `bench@selfdata.local`, signed in.
pub(crate) async fn session_cookie(app: &App) -> anyhow::Result<String> {
    let account = app
        .idp
        .check_login("bench", "bench@selfdata.local", "bench-password-1", "")
        .await
        .map_err(|_| anyhow::anyhow!("no sign-in"))?;
    let (_, set_cookie) = app
        .idp
        .start_session(account.id, false)
        .await
        .map_err(|_| anyhow::anyhow!("no session"))?;
    Ok(set_cookie.split(';').next().unwrap_or("").to_owned())
}

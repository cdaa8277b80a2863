//! The database's primary fails over to its synchronous standby in the
//! middle of a stream of writes (`pg_autoctl perform failover`): the server
//! reconnects by itself to the new primary, every acknowledged write is
//! there, and what was refused during the switch was a 503 with
//! `Retry-After`, never another error. Needs `SELFDATA_TEST_FAILOVER`, the
//! URL `bash scripts/pg-failover.sh start` prints (`scripts/test-all.sh`
//! starts the cluster).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use selfdata_store::postgres::{PgSettings, testing};

use crate::common::*;

fn cluster_url() -> String {
    std::env::var("SELFDATA_TEST_FAILOVER").expect(
        "the failover test needs a pg_auto_failover cluster: run `bash scripts/pg-failover.sh start` and set SELFDATA_TEST_FAILOVER to the URL it prints (scripts/test-all.sh does both)",
    )
}

/// Makes the standby the primary (the script waits until it is).
fn fail_over() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-failover.sh");
    let status = std::process::Command::new("bash")
        .arg(script)
        .arg("failover")
        .status()
        .unwrap();
    assert!(status.success(), "pg_autoctl perform failover failed");
}

/// The primary's synchronous standbys as it reports them: (the setting,
/// how many standbys stream to it synchronously now).
fn synchronous_standbys() -> (String, i64) {
    let url = cluster_url();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let setting: String = c
            .query_one("SHOW synchronous_standby_names", &[])
            .unwrap()
            .get(0);
        let commit: String = c.query_one("SHOW synchronous_commit", &[]).unwrap().get(0);
        assert_eq!(commit, "on", "a commit waits for the standby's flush");
        let sync: i64 = c
            .query_one(
                "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')",
                &[],
            )
            .unwrap()
            .get(0);
        (setting, sync)
    })
    .join()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_of_the_database_loses_no_acknowledged_write_and_answers_503_meanwhile() {
    // Acknowledged means committed on the primary and its standby: the
    // primary waits for one synchronous standby, and one streams to it.
    let (setting, streaming) = synchronous_standbys();
    assert!(
        !setting.is_empty(),
        "the primary has no synchronous standby"
    );
    assert_eq!(streaming, 1, "no standby streams synchronously ({setting})");
    let url = testing::fresh_database_on(&cluster_url());
    let s = Arc::new(
        Server::start_with(move |o| {
            let mut settings = PgSettings::new(url);
            settings.pool_size = 4;
            o.database = Some(settings);
        })
        .await,
    );
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let unavailable = Arc::new(AtomicUsize::new(0));
    let wrong = Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (s, acked, unavailable, wrong, stop) = (
            s.clone(),
            acked.clone(),
            unavailable.clone(),
            wrong.clone(),
            stop.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let path = format!("/stream/w{w}/doc-{i}");
                let body = format!("<#w{w}> <#n> {i} .\n");
                let r = s
                    .req("PUT", &path)
                    .header("content-type", "text/turtle")
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                match status {
                    200..=299 => acked.lock().unwrap().push((path, body)),
                    503 if r.headers().contains_key("retry-after") => {
                        unavailable.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                    }
                    _ => {
                        let text = r.text().await.unwrap_or_default();
                        wrong.lock().unwrap().push(format!("{status} {text}"));
                    }
                }
            }
        }));
    }
    let acked_now = || acked.lock().unwrap().len();
    let wait_for = async |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(90);
        while acked_now() < n {
            assert!(Instant::now() < deadline, "the writes did not get through");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    wait_for(100).await;
    tokio::task::spawn_blocking(fail_over).await.unwrap();
    let after = acked_now();
    // The server found the new primary by itself.
    wait_for(after + 100).await;
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let wrong = wrong.lock().unwrap().clone();
    assert!(
        wrong.is_empty(),
        "answers other than 2xx or 503 with Retry-After: {wrong:?}"
    );
    let acked = acked.lock().unwrap().clone();
    for (path, body) in &acked {
        let (status, text) = s.get_text(path).await;
        assert_eq!(status, 200, "acknowledged write {path} is lost");
        assert_eq!(&text, body, "{path} changed");
    }
    eprintln!(
        "{} writes acknowledged, {} answered 503 during the failover",
        acked.len(),
        unavailable.load(Ordering::Relaxed)
    );
}

//! `selfdata-bench backup`: a backup of a city-sized data folder while the
//! server serves a steady load (issue 18), against two baselines measured
//! in the same run on the same disk:
//! - the backup's speed against a plain copy of the same folder, file by
//!   file (`fs::copy` then `fsync`: the sequential reading and writing a
//!   backup cannot avoid);
//! - the load's latency while the backup runs against the same load with
//!   no backup.
//!
//! The folder: `--pods` pods made as residents' pods are (profile, ACLs),
//! each holding one body of `--kib-per-pod` (above 512 KiB: a blob file,
//! as photos and archives are; at or below: inside the pod's database).
//! The steady load: `--rate` requests a second, each reading the public
//! profile card of a random pod, anonymously, through the whole router in
//! process (so the time is the server's: the pods opened and closed as
//! residents come and go, under the 256 open at once). Requests leave on a
//! fixed schedule whatever the answers (an open loop), and each latency is
//! counted from the moment its request was due, so a server that stalls
//! is charged for the requests that waited.
//!
//! In order: the plain copy, a backup alone (its speed against the copy),
//! the load alone for `--load-seconds`, then the load during a second
//! backup (the load's p99 against the load alone; the backup's speed
//! under load).
//!
//! Prints one JSON object; `bench/backup.sh` writes it to `bench/results/`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Body;
use axum::http::Request;
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::BodyExt as _;
use selfdata::{App, Options};
use selfdata_store::{PodName, Precondition, ResourcePath, Write};
use serde_json::json;
use tower::ServiceExt as _;

const BASE: &str = "http://bench.local";

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Pods in the folder.
    #[arg(long, default_value_t = 10_000)]
    pods: u64,
    /// KiB of data per pod (one body; above 512, a blob file).
    #[arg(long, default_value_t = 520)]
    kib_per_pod: usize,
    /// Requests a second of the steady load.
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Seconds of the load alone.
    #[arg(long, default_value_t = 60)]
    load_seconds: u64,
    /// Where the folder, its copy and the backup are made (a temporary
    /// folder inside it, removed at the end).
    #[arg(long, default_value = ".")]
    dir: PathBuf,
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<u64> {
    std::fs::create_dir_all(to)?;
    let mut bytes = 0;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            bytes += copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() && entry.file_name() != "lock" {
            bytes += std::fs::copy(entry.path(), &target)?;
            std::fs::File::open(&target)?.sync_all()?;
        }
    }
    Ok(bytes)
}

/// A body of `len` bytes no other pod has (blobs are stored once per content).
fn body(seed: u64, len: usize) -> Bytes {
    let mut x = seed ^ 0x9E37_79B9_7F4A_7C15;
    Bytes::from(
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect::<Vec<u8>>(),
    )
}

/// The steady load until `stop`: each latency (microseconds, from the
/// moment the request was due), and the errors.
async fn load(
    router: axum::Router,
    pods: u64,
    rate: u32,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<(Histogram<u64>, u64)> {
    let every = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut requests = tokio::task::JoinSet::new();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    while !stop.load(Ordering::Relaxed) {
        let due = ticks.tick().await;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let path = format!("/pod-{}/profile/card", x % pods);
        let router = router.clone();
        requests.spawn(async move {
            let response = router
                .oneshot(Request::get(path).body(Body::empty())?)
                .await?;
            let ok = response.status().is_success();
            let _ = response.into_body().collect().await?;
            anyhow::Ok((due.elapsed().as_micros() as u64, ok))
        });
    }
    let mut h = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    while let Some(done) = requests.join_next().await {
        let (micros, ok) = done??;
        h.record(micros)?;
        errors += u64::from(!ok);
    }
    Ok((h, errors))
}

fn summary(h: &Histogram<u64>, errors: u64, seconds: f64) -> serde_json::Value {
    json!({
        "requests": h.len(),
        "errors": errors,
        "per_second": h.len() as f64 / seconds,
        "p50_ms": h.value_at_quantile(0.50) as f64 / 1000.0,
        "p99_ms": h.value_at_quantile(0.99) as f64 / 1000.0,
        "max_ms": h.max() as f64 / 1000.0,
        "over_50_ms": h.count_between(50_000, h.max().max(50_000)),
    })
}

pub async fn run(args: &BackupArgs) -> anyhow::Result<()> {
    let tmp = tempfile::tempdir_in(&args.dir)?;
    let data = tmp.path().join("data");
    let app = App::open(Options::new(&data, BASE)).await?;
    let filled = Instant::now();
    for p in 0..args.pods {
        let pod = PodName::parse(&format!("pod-{p}"))?;
        app.create_pod(&pod).await?;
        app.store
            .write(
                &pod,
                Write::Put {
                    path: ResourcePath::parse("/photos/1.bin")?,
                    content_type: "application/octet-stream".into(),
                    body: body(p, args.kib_per_pod * 1024),
                    precondition: Precondition::None,
                },
            )
            .await?;
        if (p + 1) % 500 == 0 {
            eprintln!("{} pods of {} made", p + 1, args.pods);
            app.embedded.as_ref().unwrap().maintain(Duration::ZERO);
        }
    }
    let fill_s = filled.elapsed().as_secs_f64();
    // Most pods idle, as on a server: closed.
    app.embedded.as_ref().unwrap().maintain(Duration::ZERO);

    eprintln!("the plain copy");
    let started = Instant::now();
    let copied = copy_tree(&data, &tmp.path().join("copy"))?;
    let copy_s = started.elapsed().as_secs_f64();
    std::fs::remove_dir_all(tmp.path().join("copy"))?;

    let router = app.router();
    let plan = selfdata::backup::Plan {
        dir: tmp.path().join("backups"),
        key: selfdata_store::crypto::Key32::random(),
        keep: 1,
    };

    eprintln!("a backup alone");
    let started = Instant::now();
    let alone = app
        .backups
        .take(&plan, |_| {})
        .await
        .context("the backup")?;
    let alone_s = started.elapsed().as_secs_f64();
    app.embedded.as_ref().unwrap().maintain(Duration::ZERO);

    eprintln!("the load alone");
    let stop = Arc::new(AtomicBool::new(false));
    let without = tokio::spawn(load(router.clone(), args.pods, args.rate, stop.clone()));
    tokio::time::sleep(Duration::from_secs(args.load_seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let (h_without, e_without) = without.await??;
    app.embedded.as_ref().unwrap().maintain(Duration::ZERO);

    eprintln!("the load during a backup");
    let stop = Arc::new(AtomicBool::new(false));
    let during = tokio::spawn(load(router, args.pods, args.rate, stop.clone()));
    let started = Instant::now();
    let report = app
        .backups
        .take(&plan, |_| {})
        .await
        .context("the backup")?;
    let under_load_s = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (h_during, e_during) = during.await??;

    let p99 = |h: &Histogram<u64>| h.value_at_quantile(0.99) as f64;
    println!(
        "{}",
        json!({
            "pods": args.pods,
            "kib_per_pod": args.kib_per_pod,
            "rate": args.rate,
            "fill_seconds": fill_s,
            "copy_bytes": copied,
            "copy_seconds": copy_s,
            "copy_mb_per_s": copied as f64 / 1e6 / copy_s,
            "backup_bytes": alone.bytes,
            "backup_pods": alone.pods,
            "backup_seconds": alone_s,
            "backup_mb_per_s": alone.bytes as f64 / 1e6 / alone_s,
            "backup_speed_vs_copy": (alone.bytes as f64 / alone_s) / (copied as f64 / copy_s),
            "backup_under_load_seconds": under_load_s,
            "backup_under_load_mb_per_s": report.bytes as f64 / 1e6 / under_load_s,
            "load_during_backup": summary(&h_during, e_during, under_load_s),
            "load_without_backup": summary(&h_without, e_without, args.load_seconds as f64),
            "p99_during_vs_without": p99(&h_during) / p99(&h_without).max(1.0),
        })
    );
    Ok(())
}

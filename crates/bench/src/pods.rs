//! Provisioning many pods on the PostgreSQL engine (`selfdata-bench pods`):
//! how long a city's million pods take to create, and how large the
//! database grows. Each pod as `selfdata pod create` makes it at the store:
//! its wrapped data key, its row and its root container, one transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context as _;
use selfdata_store::Backend;
use selfdata_store::crypto::MasterKey;
use selfdata_store::postgres::{PgSettings, PgStore};

#[derive(Debug, clap::Args)]
pub struct PodsArgs {
    /// The PostgreSQL database (empty, or holding pods of an earlier run:
    /// names go on from how many there are).
    #[arg(long)]
    database_url: String,
    /// Pods to create.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Pods created at once.
    #[arg(long, default_value_t = 16)]
    concurrency: u64,
}

pub async fn run(args: &PodsArgs) -> anyhow::Result<()> {
    let mut settings = PgSettings::new(&args.database_url);
    settings.pool_size = args.concurrency as u32;
    let store = Arc::new(
        PgStore::connect(&settings, MasterKey::random())
            .await
            .context("connect")?,
    );
    let start = store.list_pods().await?.len() as u64;
    let next = Arc::new(AtomicU64::new(start));
    let end = start + args.count;
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..args.concurrency {
        let (store, next) = (store.clone(), next.clone());
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return Ok::<_, anyhow::Error>(());
                }
                let name = selfdata_store::PodName::parse(&format!("resident{i:07}"))?;
                store.create_pod(&name).await?;
                if i % 100_000 == 0 && i > start {
                    eprintln!("[pods] {i} pods");
                }
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let seconds = started.elapsed().as_secs_f64();
    let size: i64 = {
        let url = args.database_url.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<i64> {
            let mut c = postgres::Client::connect(&url, postgres::NoTls)?;
            Ok(
                c.query_one("SELECT pg_database_size(current_database())", &[])?
                    .get(0),
            )
        })
        .await??
    };
    println!(
        "{}",
        serde_json::json!({
            "pods_created": args.count,
            "pods_in_database": end,
            "seconds": seconds,
            "pods_per_second": args.count as f64 / seconds,
            "concurrency": args.concurrency,
            "database_bytes": size,
        })
    );
    Ok(())
}

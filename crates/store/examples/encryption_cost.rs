//! The cost of encryption at rest, through the `Backend` trait, same build:
//! 10,000 PUTs of 2 KB (64 at a time, as concurrent requests would) and
//! 10,000 GETs, on an encrypted data folder and on an unencrypted one.
//! Prints numbers; asserts nothing.
//!
//! cargo run --release -p selfdata-store --example encryption_cost

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, Write};

const N: usize = 10_000;
const CONCURRENCY: usize = 64;

async fn run(store: Arc<SqliteBackend>) -> (Duration, Duration) {
    let pod = PodName::parse("bench").unwrap();
    store.create_pod(&pod).await.unwrap();
    let body = Bytes::from(
        (0..2048)
            .map(|i| b"abcdefghijklmnopqrstuvwxyz0123456789"[i % 36])
            .collect::<Vec<u8>>(),
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let (store, pod, body) = (store.clone(), pod.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            for i in (t..N).step_by(CONCURRENCY) {
                let path = ResourcePath::parse(&format!("/c{}/r{i}.txt", i % 100)).unwrap();
                store
                    .write(
                        &pod,
                        Write::Put {
                            path,
                            content_type: "text/plain".into(),
                            body: body.clone(),
                            precondition: Precondition::None,
                        },
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let puts = start.elapsed();
    let start = Instant::now();
    for i in 0..N {
        let path = ResourcePath::parse(&format!("/c{}/r{i}.txt", i % 100)).unwrap();
        let (_, got) = store.get(&pod, &path).await.unwrap().unwrap();
        assert_eq!(got.len(), 2048);
    }
    (puts, start.elapsed())
}

#[tokio::main]
async fn main() {
    let mut results = Vec::new();
    // Alternate, twice each, so that disk caches favour neither.
    for round in 0..2 {
        for encrypted in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let store = if encrypted {
                SqliteBackend::open(dir.path()).unwrap()
            } else {
                SqliteBackend::open_unencrypted(dir.path()).unwrap()
            };
            let (puts, gets) = run(Arc::new(store)).await;
            println!(
                "round {round} {:<11} {N} PUTs of 2 KB: {:>7.0} ms ({:>6.0}/s)   {N} GETs: {:>6.0} ms ({:>6.0}/s)",
                if encrypted { "encrypted" } else { "plain" },
                puts.as_secs_f64() * 1e3,
                N as f64 / puts.as_secs_f64(),
                gets.as_secs_f64() * 1e3,
                N as f64 / gets.as_secs_f64(),
            );
            if round == 1 {
                results.push((puts, gets));
            }
        }
    }
    let (plain, enc) = (results[0], results[1]);
    println!(
        "encrypted / plain time: PUT {:.2}x, GET {:.2}x",
        enc.0.as_secs_f64() / plain.0.as_secs_f64(),
        enc.1.as_secs_f64() / plain.1.as_secs_f64()
    );
}

//! What an open pod costs in memory: N encrypted pods created, then each
//! read once with the open-pod cache large enough to keep them all, the
//! process's resident memory printed every 64 pods. Prints numbers;
//! asserts nothing.
//!
//! cargo run --release -p selfdata-store --example open_pod_memory -- [N] [write]

use std::sync::Arc;

use bytes::Bytes;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, Write};

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(512);
    let write = std::env::args().nth(2).as_deref() == Some("write");
    // The pods are made by a first process, then measured in a second, so
    // that memory the first phase freed is not counted or reused.
    let dir = match std::env::var("POD_DIR") {
        Ok(d) => std::path::PathBuf::from(d),
        Err(_) => {
            let dir = tempfile::tempdir().unwrap().keep();
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(std::env::args().skip(1))
                .env("POD_DIR", &dir)
                .env("ONLY_CREATE", "1")
                .status()
                .unwrap();
            assert!(status.success());
            dir
        }
    };
    let only_create = std::env::var("ONLY_CREATE").is_ok();
    let path = ResourcePath::parse("/selfdata/energy/water/2026.csv").unwrap();
    let size: usize = std::env::var("BODY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4096);
    let body = Bytes::from(vec![b'x'; size]);
    if only_create {
        let store = SqliteBackend::open(&dir).unwrap().with_max_open_pods(8);
        for i in 0..n {
            let pod = PodName::parse(&format!("p{i:05}")).unwrap();
            store.create_pod(&pod).await.unwrap();
            store
                .write(
                    &pod,
                    Write::Put {
                        path: path.clone(),
                        content_type: "text/csv".into(),
                        body: body.clone(),
                        precondition: Precondition::None,
                    },
                )
                .await
                .unwrap();
        }
        return;
    }
    let store = Arc::new(SqliteBackend::open(&dir).unwrap().with_max_open_pods(n + 1));
    let before = rss_kib();
    println!("pods\trss_kib\tper_pod_kib");
    for i in 0..n {
        let pod = PodName::parse(&format!("p{i:05}")).unwrap();
        store.get(&pod, &path).await.unwrap().unwrap();
        if write {
            // A write too, as an import does: the writer thread's connection
            // touches its pages.
            store
                .write(
                    &pod,
                    Write::Put {
                        path: ResourcePath::parse("/selfdata/energy/water/2027.csv").unwrap(),
                        content_type: "text/csv".into(),
                        body: body.clone(),
                        precondition: Precondition::None,
                    },
                )
                .await
                .unwrap();
        }
        if (i + 1) % 64 == 0 {
            let now = rss_kib();
            println!("{}\t{now}\t{}", i + 1, (now - before) / (i as u64 + 1));
        }
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

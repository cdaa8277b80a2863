//! What a backup costs against copying the same data folder file by file,
//! measured in the same run on the same disk:
//!
//! ```sh
//! PODS=200 MB_PER_POD=2 cargo run --release -p selfdata-store --example backup_throughput
//! ```
//!
//! Each pod holds 50 small documents and bodies of `BODY_KIB` (600 by
//! default: blob files; 512 or less: inside the pod's database) up to
//! `MB_PER_POD`. The baseline copies every file of the folder (read and
//! write, `fs::copy`), the sequential work a backup cannot avoid; the ratio
//! says how far the backup is from it. Prints one JSON object.

use std::path::Path;
use std::time::Instant;

use bytes::Bytes;
use selfdata_store::crypto::Key32;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, Write};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn copy_tree(from: &Path, to: &Path) -> u64 {
    std::fs::create_dir_all(to).unwrap();
    let mut bytes = 0;
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            bytes += copy_tree(&entry.path(), &target);
        } else if entry.file_name() != "lock" {
            bytes += std::fs::copy(entry.path(), &target).unwrap();
            std::fs::File::open(&target).unwrap().sync_all().unwrap();
        }
    }
    bytes
}

#[tokio::main]
async fn main() {
    let pods = env("PODS", 200);
    let mb = env("MB_PER_POD", 2);
    // 512 KiB and less stay inside the pod's database; above, a blob file.
    let body_kib = env("BODY_KIB", 600);
    let tmp =
        tempfile::tempdir_in(std::env::var("BENCH_DIR").unwrap_or_else(|_| ".".into())).unwrap();
    let data = tmp.path().join("data");
    let store = std::sync::Arc::new(SqliteBackend::open(&data).unwrap());
    let filled = Instant::now();
    for p in 0..pods {
        let pod = PodName::parse(&format!("pod-{p}")).unwrap();
        store.create_pod(&pod).await.unwrap();
        for i in 0..50 {
            let body = format!("<#r{i}> <#v> \"{p} {i}\" .\n").repeat(20);
            store
                .write(
                    &pod,
                    Write::Put {
                        path: ResourcePath::parse(&format!("/docs/{i}.ttl")).unwrap(),
                        content_type: "text/turtle".into(),
                        body: Bytes::from(body),
                        precondition: Precondition::None,
                    },
                )
                .await
                .unwrap();
        }
        for i in 0..(mb * 1024 / body_kib).max(1) {
            // Distinct bodies (blobs are stored once per content).
            let mut x = (p << 32 | i) ^ 0x9E37_79B9_7F4A_7C15;
            let body: Vec<u8> = (0..body_kib * 1024)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            store
                .write(
                    &pod,
                    Write::Put {
                        path: ResourcePath::parse(&format!("/raw/{i}.bin")).unwrap(),
                        content_type: "application/octet-stream".into(),
                        body: Bytes::from(body),
                        precondition: Precondition::None,
                    },
                )
                .await
                .unwrap();
        }
    }
    let fill_s = filled.elapsed().as_secs_f64();
    // The pods closed, as on a server where most are idle.
    store.maintain(std::time::Duration::ZERO);

    let key = Key32::random();
    let started = Instant::now();
    let report = {
        let (store, key, dest) = (store.clone(), key.clone(), tmp.path().join("backups"));
        tokio::task::spawn_blocking(move || store.backup(&key, &dest, 1, &mut |_| {}))
            .await
            .unwrap()
            .unwrap()
    };
    let backup_s = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let copied = copy_tree(&data, &tmp.path().join("copy"));
    let copy_s = started.elapsed().as_secs_f64();

    println!(
        "{}",
        serde_json::json!({
            "pods": pods,
            "fill_seconds": fill_s,
            "backup_bytes": report.bytes,
            "backup_seconds": backup_s,
            "backup_mb_per_s": report.bytes as f64 / 1e6 / backup_s,
            "copy_bytes": copied,
            "copy_seconds": copy_s,
            "copy_mb_per_s": copied as f64 / 1e6 / copy_s,
            "backup_speed_vs_copy": (report.bytes as f64 / backup_s) / (copied as f64 / copy_s),
        })
    );
}

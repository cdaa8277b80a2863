//! Issue 18, backups: the restore drill. The real server binary serves a
//! resident who writes without pause; `selfdata backup` asks the running
//! server for a snapshot; `selfdata restore` puts it on a fresh folder with a
//! master key of its own; a server on the restored folder answers every
//! resource acknowledged before the backup began, byte for byte, and a
//! second backup taken once the writes stopped gives every resource back
//! exactly as the first server holds it.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::crash::wait_healthy;

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(data: &Path, port: u16, metrics: u16) -> Server {
    Server(
        Command::new(BIN)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--metrics-addr", &format!("127.0.0.1:{metrics}")])
            .arg("--data")
            .arg(data)
            .env("SELFDATA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

fn run(args: &[&str], data: &Path) -> Output {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "selfdata {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `selfdata backup` while the server runs, off the async workers.
async fn backup(data: &Path, dest: &Path, key: &Path) -> String {
    let (data, dest, key) = (data.to_owned(), dest.to_owned(), key.to_owned());
    let out = tokio::task::spawn_blocking(move || {
        run(
            &[
                "backup",
                "--backup-dir",
                dest.to_str().unwrap(),
                "--backup-key-file",
                key.to_str().unwrap(),
            ],
            &data,
        )
    })
    .await
    .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// The snapshot a `selfdata backup` line names.
fn snapshot_of(said: &str) -> String {
    let rest = said.rsplit_once(" into ").unwrap().1.trim_end();
    let rest = rest.split("; ").next().unwrap();
    rest.strip_suffix('.').unwrap_or(rest).to_owned()
}

fn body_for(i: usize) -> Vec<u8> {
    if i % 7 == 3 {
        // Some bodies above the inline limit, stored as separate files.
        vec![(i % 251) as u8; 600 * 1024]
    } else {
        format!("<#n{i}> <#value> {i} .\n").into_bytes()
    }
}

fn content_type(i: usize) -> &'static str {
    if i % 7 == 3 {
        "application/octet-stream"
    } else {
        "text/turtle"
    }
}

async fn get(client: &reqwest::Client, url: &str, token: &str) -> (u16, Vec<u8>) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    (r.status().as_u16(), r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_written_to_server_restores_every_resource() {
    let dir = tempfile::tempdir().unwrap();
    let (data, dest, key) = (
        dir.path().join("data"),
        dir.path().join("backups"),
        dir.path().join("backup.key"),
    );
    let (port, metrics) = (crate::e2e::free_port(), crate::e2e::free_port());
    let client = reqwest::Client::new();
    run(&["keys", "new-backup-key", key.to_str().unwrap()], &data);
    let alice = crate::crash::pod_from_command_line(&data, "alice", port);
    let server = serve(&data, port, metrics);
    wait_healthy(&client, port).await;
    let token = crate::crash::bearer(&client, port, &alice).await;

    // Alice writes without pause: numbered documents, one writer at a time
    // so that their order is known.
    let acked = Arc::new(Mutex::new(0usize));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, token, acked, stop) =
            (client.clone(), token.clone(), acked.clone(), stop.clone());
        tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let r = client
                    .put(format!("http://127.0.0.1:{port}/alice/stream/doc-{i}"))
                    .bearer_auth(&token)
                    .header("content-type", content_type(i))
                    .body(body_for(i))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                i += 1;
                *acked.lock().unwrap() = i;
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while *acked.lock().unwrap() < 20 {
        assert!(
            Instant::now() < deadline && !writer.is_finished(),
            "the writes did not start"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = *acked.lock().unwrap();
    let said = backup(&data, &dest, &key).await;
    assert!(said.starts_with("Backed up 1 pods"), "{said}");
    let during = snapshot_of(&said);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    writer.await.unwrap();
    let written = *acked.lock().unwrap();
    assert!(written > before, "the writes went on during the backup");

    // Once quiet, a second backup; the monitoring saw both.
    let said = backup(&data, &dest, &key).await;
    let quiet = snapshot_of(&said);
    let scraped = client
        .get(format!("http://127.0.0.1:{metrics}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let last = scraped
        .lines()
        .find_map(|l| l.strip_prefix("selfdata_backup_last_success_timestamp_seconds "))
        .unwrap();
    assert!(last.parse::<i64>().unwrap() > 1_700_000_000, "{last}");
    let mut live = Vec::new();
    for i in 0..written {
        let url = format!("http://127.0.0.1:{port}/alice/stream/doc-{i}");
        live.push(get(&client, &url, &token).await);
    }
    let listing = get(
        &client,
        &format!("http://127.0.0.1:{port}/alice/stream/"),
        &token,
    )
    .await;
    drop(server);

    // The snapshot taken during the writes, on a fresh folder.
    let restored = dir.path().join("restored");
    let out = run(
        &[
            "restore",
            &during,
            "--backup-key-file",
            key.to_str().unwrap(),
        ],
        &restored,
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with("Restored 1 pods"), "{said}");
    // The same address: the residents' WebIDs are under it.
    let (port2, metrics2) = (port, metrics);
    let server = serve(&restored, port2, metrics2);
    wait_healthy(&client, port2).await;
    let token2 = crate::crash::bearer(&client, port2, &alice).await;
    let mut present = 0;
    for (i, (status, body)) in live.iter().enumerate() {
        let url = format!("http://127.0.0.1:{port2}/alice/stream/doc-{i}");
        let (s, b) = get(&client, &url, &token2).await;
        if s == 200 {
            assert_eq!((s, &b), (*status, body), "doc-{i} whole");
            present += 1;
        } else {
            assert_eq!(s, 404, "doc-{i}");
        }
    }
    // Everything acknowledged before the backup began, then an unbroken run.
    assert!(
        present >= before,
        "{present} restored, {before} acknowledged before"
    );
    for i in 0..present {
        let url = format!("http://127.0.0.1:{port2}/alice/stream/doc-{i}");
        assert_eq!(get(&client, &url, &token2).await.0, 200, "doc-{i}");
    }
    drop(server);

    // The quiet snapshot: every resource exactly as the first server held it.
    let again = dir.path().join("restored-again");
    run(
        &[
            "restore",
            &quiet,
            "--backup-key-file",
            key.to_str().unwrap(),
        ],
        &again,
    );
    let server = serve(&again, port2, metrics2);
    wait_healthy(&client, port2).await;
    let token2 = crate::crash::bearer(&client, port2, &alice).await;
    for (i, expected) in live.iter().enumerate() {
        let url = format!("http://127.0.0.1:{port2}/alice/stream/doc-{i}");
        assert_eq!(&get(&client, &url, &token2).await, expected, "doc-{i}");
    }
    let relisted = get(
        &client,
        &format!("http://127.0.0.1:{port2}/alice/stream/"),
        &token2,
    )
    .await;
    assert_eq!(relisted.0, listing.0);
    assert_eq!(
        String::from_utf8_lossy(&relisted.1).replace(&port2.to_string(), "PORT"),
        String::from_utf8_lossy(&listing.1).replace(&port.to_string(), "PORT")
    );
    drop(server);
}

#[test]
fn backup_and_restore_explain_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let no_key = Command::new(BIN)
        .args(["backup", "--backup-dir"])
        .arg(dir.path().join("b"))
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!no_key.status.success());
    let said = String::from_utf8_lossy(&no_key.stderr);
    assert!(said.contains("selfdata keys new-backup-key"), "{said}");

    let key = dir.path().join("k");
    run(&["keys", "new-backup-key", key.to_str().unwrap()], &data);
    let again = Command::new(BIN)
        .args(["keys", "new-backup-key", key.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success(), "a backup key is never replaced");

    // Taken with no server running: the command opens the folder itself.
    let said = String::from_utf8(
        run(
            &[
                "backup",
                "--backup-dir",
                dir.path().join("b").to_str().unwrap(),
                "--backup-key-file",
                key.to_str().unwrap(),
            ],
            &data,
        )
        .stdout,
    )
    .unwrap();
    let snapshot = snapshot_of(&said);
    let check = run(
        &[
            "restore",
            &snapshot,
            "--check",
            "--backup-key-file",
            key.to_str().unwrap(),
        ],
        &data,
    );
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("match their checksums"),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    // Into a folder in use: refused in a sentence, nothing touched.
    let refused = Command::new(BIN)
        .args([
            "restore",
            &snapshot,
            "--backup-key-file",
            key.to_str().unwrap(),
        ])
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("is not empty"), "{said}");
}

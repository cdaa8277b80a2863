//! Crash safety: kill -9 the real server binary in the middle of a stream of
//! PUTs; after a restart every acknowledged write is there, byte for byte.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common;

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn serve(data: &std::path::Path, port: u16) -> Child {
    Command::new(BIN)
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .env("SELFDATA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub(crate) async fn wait_healthy(client: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/health"))
            .send()
            .await
            && r.status().is_success()
        {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not come up");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Creates a pod with `selfdata pod create` on a stopped folder: its
/// owner's client id and secret.
pub(crate) fn pod_from_command_line(
    data: &std::path::Path,
    pod: &str,
    port: u16,
) -> (String, String) {
    let out = Command::new(BIN)
        .args(["pod", "create", pod])
        .args(["--base-url", &format!("http://127.0.0.1:{port}")])
        .arg("--data")
        .arg(data)
        .output()
        .unwrap();
    keys_printed(out)
}

/// The client id and secret `selfdata pod create` printed.
pub(crate) fn keys_printed(out: std::process::Output) -> (String, String) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap()
            .to_owned()
    };
    (field("client_id"), field("client_secret"))
}

/// A bearer token of the client-credentials grant (no DPoP key), as a script gets one.
pub(crate) async fn bearer(
    client: &reqwest::Client,
    port: u16,
    (id, secret): &(String, String),
) -> String {
    let answer = common::json_of(
        client
            .post(format!("http://127.0.0.1:{port}/idp/token"))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]),
    )
    .await;
    assert_eq!(answer["token_type"], "Bearer");
    answer["access_token"].as_str().unwrap().to_owned()
}

fn body_for(writer: usize, i: usize) -> Vec<u8> {
    if i % 10 == 3 {
        // Some bodies above the inline limit, stored as separate files.
        vec![(writer * 31 + i) as u8; 600 * 1024]
    } else {
        format!("<#w{writer}> <#n> {i} .\n").into_bytes()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let alice = pod_from_command_line(dir.path(), "alice", port);

    let mut child = serve(dir.path(), port);
    let client = reqwest::Client::new();
    wait_healthy(&client, port).await;
    // A bearer token from the client-credentials grant (no DPoP key), as a script would.
    let token = bearer(&client, port, &alice).await;

    let acked = std::sync::Arc::new(acked::Acked::default());
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = client.clone();
        let token = token.clone();
        let acked = acked.clone();
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                let path = format!("/alice/crash/w{w}/doc-{i}");
                let ct = if i % 10 == 3 {
                    "application/octet-stream"
                } else {
                    "text/turtle"
                };
                let sent = client
                    .put(format!("http://127.0.0.1:{port}{path}"))
                    .bearer_auth(&token)
                    .header("content-type", ct)
                    .body(body_for(w, i))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acked.push(path, w, i),
                    Ok(r) => {
                        acked.fail(format!("unexpected status {}", r.status()));
                        return;
                    }
                    Err(_) => return, // the server died mid-request
                }
            }
        }));
    }
    // Let the stream run, then kill the server without warning.
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.len() < 300 {
        assert!(Instant::now() < deadline, "the writes did not get through");
        if let Some(e) = acked.failure() {
            panic!("{e}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.take();
    assert!(acked.len() >= 300);

    // Restart on the same address: the WebIDs and the token name it.
    let mut child = serve(dir.path(), port);
    wait_healthy(&client, port).await;
    for (path, w, i) in &acked {
        let r = client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged write {path} is lost");
        assert_eq!(
            r.bytes().await.unwrap().to_vec(),
            body_for(*w, *i),
            "{path} changed"
        );
    }
    // The store still takes writes after the crash.
    let r = client
        .put(format!("http://127.0.0.1:{port}/alice/after-crash"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("still here")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    child.kill().unwrap();
    child.wait().unwrap();
}

mod acked {
    //! The writes the server acknowledged, shared between writer tasks.
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct Acked(Mutex<Vec<(String, usize, usize)>>, Mutex<Option<String>>);

    impl Acked {
        pub fn fail(&self, why: String) {
            *self.1.lock().unwrap() = Some(why);
        }
        pub fn failure(&self) -> Option<String> {
            self.1.lock().unwrap().clone()
        }
        pub fn push(&self, path: String, w: usize, i: usize) {
            self.0.lock().unwrap().push((path, w, i));
        }
        pub fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
        pub fn take(&self) -> Vec<(String, usize, usize)> {
            std::mem::take(&mut self.0.lock().unwrap())
        }
    }
}

//! A city's setup on one machine: two `selfdata serve` processes over one
//! PostgreSQL database, behind nginx. Kill -9 one of them in the middle of
//! a stream of writes through nginx: every acknowledged write is there, and
//! the installation goes on serving. Needs `SELFDATA_TEST_POSTGRES` and
//! Debian's nginx (`scripts/test-all.sh` provides both).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::crash::{bearer, keys_printed, wait_healthy};
use crate::e2e::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");
const NGINX: &str = "/usr/sbin/nginx";

/// What every process of the installation shares: the database and the master key.
struct Installation {
    database_url: String,
    /// `--pod-database` clusters (`NAME=URL …`).
    pod_databases: Option<String>,
    master_key: String,
    public_port: u16,
}

impl Installation {
    fn command(&self, data: &Path) -> Command {
        let mut c = Command::new(BIN);
        c.arg("--data")
            .arg(data)
            .env("SELFDATA_DATABASE_URL", &self.database_url)
            .env("SELFDATA_MASTER_KEY", &self.master_key)
            .env("SELFDATA_LOG", "warn");
        if let Some(clusters) = &self.pod_databases {
            c.env("SELFDATA_POD_DATABASES", clusters);
        }
        c
    }

    /// Makes a pod with a command; its owner's client id and secret.
    fn create_pod(&self, data: &Path, name: &str) -> (String, String) {
        let out = self
            .command(data)
            .args(["pod", "create", name, "--base-url", &self.public_url()])
            .output()
            .unwrap();
        keys_printed(out)
    }

    fn public_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.public_port)
    }

    fn serve(&self, data: &Path, port: u16) -> Child {
        self.command(data)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(["--base-url", &self.public_url()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }
}

/// nginx in the foreground, one process, in front of `upstreams`; a failed
/// or refused upstream passes the request on to the next one.
fn nginx(dir: &Path, port: u16, upstreams: &[u16]) -> Child {
    assert!(
        Path::new(NGINX).exists(),
        "the load-balancer test needs Debian's nginx (scripts/system-deps.sh --browser installs it)"
    );
    let servers: String = upstreams
        .iter()
        .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;\n"))
        .collect();
    let d = dir.display();
    let conf = format!(
        "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
         client_max_body_size 64m;\n upstream selfdata {{\n{servers} }}\n\
         server {{\n  listen 127.0.0.1:{port};\n  location / {{\n   proxy_pass http://selfdata;\n\
           proxy_http_version 1.1;\n   proxy_set_header Connection \"\";\n   proxy_set_header Host $http_host;\n\
           proxy_next_upstream error timeout http_502;\n  }}\n }}\n}}\n"
    );
    let file = dir.join("nginx.conf");
    std::fs::write(&file, conf).unwrap();
    Command::new(NGINX)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&file)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn body_for(writer: usize, i: usize) -> Vec<u8> {
    format!("<#w{writer}> <#n> {i} .\n").into_bytes()
}

/// Kills a child for good, whatever it is doing.
fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_of_one_server_behind_nginx_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let install = Installation {
        database_url: selfdata_store::postgres::testing::fresh_database(),
        pod_databases: None,
        master_key: selfdata_store::crypto::MasterKey::random().to_hex(),
        public_port: free_port(),
    };
    let data: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("data{i}")))
        .collect();
    // The pod, made by a command on the shared database.
    let alice = install.create_pod(&data[2], "alice");

    let ports = [free_port(), free_port()];
    let first = install.serve(&data[0], ports[0]);
    let second = install.serve(&data[1], ports[1]);
    let client = reqwest::Client::new();
    for port in ports {
        wait_healthy(&client, port).await;
    }
    let balancer = nginx(dir.path(), install.public_port, &ports);
    wait_healthy(&client, install.public_port).await;
    let token = bearer(&client, install.public_port, &alice).await;
    let base = install.public_url();

    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..4 {
        let (client, token, base) = (client.clone(), token.clone(), base.clone());
        let (acked, refused, stop) = (acked.clone(), refused.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            for i in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                let path = format!("/alice/stream/w{w}/doc-{i}");
                let sent = client
                    .put(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .header("content-type", "text/turtle")
                    .body(body_for(w, i))
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => acked.lock().unwrap().push((path, w, i)),
                    // Not acknowledged (a 502 while the dead server is
                    // found out): allowed, and counted.
                    _ => {
                        refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let wait_for = |n: usize| {
        let acked = acked.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            while acked.lock().unwrap().len() < n {
                assert!(Instant::now() < deadline, "the writes did not get through");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(200).await;
    kill(first); // SIGKILL, in the middle of the stream
    let at_kill = acked.lock().unwrap().len();
    wait_for(at_kill + 200).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let refused = refused.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        refused <= 8,
        "nginx passed failed requests on to the live server: {refused} refused"
    );
    // Every acknowledged write, read through nginx (the live server).
    for (path, w, i) in &acked {
        let r = client
            .get(format!("{base}{path}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "acknowledged write {path} is lost");
        assert_eq!(r.bytes().await.unwrap().to_vec(), body_for(*w, *i));
    }
    // A server added back (same folder, same port) serves the same pod.
    let again = install.serve(&data[0], ports[0]);
    wait_healthy(&client, ports[0]).await;
    let (path, w, i) = &acked[acked.len() / 2];
    let r = client
        .get(format!("http://127.0.0.1:{}{path}", ports[0]))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), body_for(*w, *i));
    for child in [again, second, balancer] {
        kill(child);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pod_moves_to_another_cluster_while_two_servers_take_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let east = selfdata_store::postgres::testing::fresh_database();
    let install = Installation {
        database_url: selfdata_store::postgres::testing::fresh_database(),
        pod_databases: Some(format!("east={east}")),
        master_key: selfdata_store::crypto::MasterKey::random().to_hex(),
        public_port: free_port(),
    };
    let data: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("data{i}")))
        .collect();
    let owners = [
        install.create_pod(&data[2], "alice"),
        install.create_pod(&data[2], "bob"),
    ];
    let ports = [free_port(), free_port()];
    let servers = [
        install.serve(&data[0], ports[0]),
        install.serve(&data[1], ports[1]),
    ];
    let client = reqwest::Client::new();
    for port in ports {
        wait_healthy(&client, port).await;
    }
    let mut tokens = Vec::new();
    for owner in &owners {
        tokens.push(bearer(&client, ports[0], owner).await);
    }

    // Alice's and Bob's writes, each to either server in turn.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = Vec::new();
    for (pod, token) in ["alice", "bob"].into_iter().zip(tokens.clone()) {
        let (client, stop) = (client.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let (mut acked, mut paused) = (Vec::new(), 0);
            for i in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let path = format!("/{pod}/stream/doc-{i}");
                let r = client
                    .put(format!("http://127.0.0.1:{}{path}", ports[i % 2]))
                    .bearer_auth(&token)
                    .header("content-type", "text/turtle")
                    .body(body_for(0, i))
                    .send()
                    .await
                    .unwrap();
                match r.status().as_u16() {
                    201 | 204 | 205 => acked.push((path, i)),
                    503 => {
                        assert!(
                            r.headers().contains_key("retry-after"),
                            "a paused write's 503 says when to try again"
                        );
                        paused += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    other => panic!("{path}: {other} {}", r.text().await.unwrap()),
                }
            }
            (acked, paused)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let moved = install
        .command(&data[2])
        .args([
            "pod",
            "move",
            "alice",
            "--to",
            "east",
            "--grace-seconds",
            "5",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&moved.stdout).into_owned();
    assert!(
        moved.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&moved.stderr)
    );
    assert!(said.contains("from 'main' to 'east'"), "{said}");
    assert!(said.contains("Pod 'alice' is on 'east' only."), "{said}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut results = Vec::new();
    for w in writers {
        results.push(w.await.unwrap());
    }
    let (alice_acked, alice_paused) = &results[0];
    let (bob_acked, bob_paused) = &results[1];
    eprintln!(
        "alice: {} writes acknowledged, {alice_paused} paused; bob: {} acknowledged",
        alice_acked.len(),
        bob_acked.len()
    );
    assert_eq!(*bob_paused, 0, "another pod's writes were paused");
    assert!(alice_acked.len() > 10 && bob_acked.len() > 10);

    // Every acknowledged write, through either server.
    for (token, acked) in [(&tokens[0], alice_acked), (&tokens[1], bob_acked)] {
        for (k, (path, i)) in acked.iter().enumerate() {
            let r = client
                .get(format!("http://127.0.0.1:{}{path}", ports[k % 2]))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "acknowledged write {path} is lost");
            assert_eq!(r.bytes().await.unwrap().to_vec(), body_for(0, *i));
        }
    }
    // A command over several clusters ends cleanly (its store's pools
    // closed off the async threads), every time.
    let mut listed = String::new();
    for _ in 0..3 {
        let out = install
            .command(&data[2])
            .args(["pod", "list"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pod list ended with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        listed = String::from_utf8_lossy(&out.stdout).into_owned();
    }
    let line = |pod: &str| {
        listed
            .lines()
            .find(|l| l.starts_with(pod))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line("alice").ends_with("on east"), "{listed}");
    assert!(line("bob").ends_with("on main"), "{listed}");
    for child in servers {
        kill(child);
    }
}

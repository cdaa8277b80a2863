//! Running the real `selfdata` binary and real outside clients (Node
//! scripts in `tests/e2e/`, which drive Inrupt's Solid libraries or a
//! headless Chromium) against it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");

/// Where the browser is expected (the CI script installs Debian's `chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";

/// The headless browser's path (`SELFDATA_CHROMIUM`, else Debian's);
/// fails the test, saying how to install it, when it is not there.
pub fn chromium() -> String {
    let chromium = std::env::var("SELFDATA_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium} (install Debian's `chromium` \
         package, as the CI script does, or set SELFDATA_CHROMIUM)"
    );
    chromium
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A `selfdata serve` process on a free loopback port, killed on drop.
pub struct Running {
    pub base: String,
    pub dir: tempfile::TempDir,
    child: Child,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Running {
    /// Starts the server with extra `serve` arguments (e.g. `--signup invite`).
    pub fn start(extra: &[&str]) -> Self {
        Self::start_on(tempfile::tempdir().unwrap(), free_port(), extra)
    }

    /// Starts the server on a data folder prepared beforehand (e.g. by
    /// `selfdata demo --no-serve` with the same base URL), on `port`.
    pub fn start_on(dir: tempfile::TempDir, port: u16, extra: &[&str]) -> Self {
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--base-url",
                &base,
            ])
            .arg("--data")
            .arg(dir.path())
            .args(extra)
            .env("SELFDATA_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let running = Self { base, dir, child };
        running.wait_healthy();
        running
    }

    fn wait_healthy(&self) {
        let addr = self.base.trim_start_matches("http://").to_owned();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(mut s) = std::net::TcpStream::connect(&addr) {
                use std::io::{Read, Write};
                let _ =
                    s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                if out.starts_with("HTTP/1.1 200") {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "selfdata did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `pod create NAME` on a data folder no server holds yet (the folder is
/// locked while one runs), with the base URL the server will use: returns
/// (WebID, client_id, client_secret).
pub fn create_pod(dir: &std::path::Path, base: &str, name: &str) -> (String, String, String) {
    let out = run(dir, &["pod", "create", name, "--base-url", base]);
    let field = |prefix: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {out}"))
            .trim()
            .to_owned()
    };
    (
        field("WebID: "),
        field("client_id="),
        field("client_secret="),
    )
}

/// Runs `selfdata ARGS --data DIR` to completion (before any server uses
/// the folder); returns its stdout, failing the test if the command fails.
pub fn run(dir: &std::path::Path, args: &[&str]) -> String {
    let (ok, stdout, stderr) = try_run(dir, args);
    assert!(ok, "selfdata {args:?} failed: {stderr}");
    stdout
}

/// Runs `selfdata ARGS --data DIR` to completion: whether it succeeded,
/// its stdout and its stderr.
pub fn try_run(dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .arg("--data")
        .arg(dir)
        .env("SELFDATA_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `node tests/e2e/<script>` with `env`; fails the test with the
/// script's output if it fails. The npm packages must be installed
/// (`npm ci --prefix tests/e2e`, done by `scripts/test-all.sh` and CI).
pub fn node(script: &str, env: &[(&str, &str)]) {
    let dir = repo().join("tests/e2e");
    assert!(
        dir.join("node_modules").exists(),
        "the end-to-end tests need their npm packages: run `npm ci --prefix tests/e2e` (scripts/test-all.sh does it)"
    );
    // Output goes to files, so a talkative script never blocks on a full pipe.
    let logs = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (logs.path().join("stdout"), logs.path().join("stderr"));
    let mut child = Command::new("node")
        .arg(dir.join(script))
        .current_dir(&dir)
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("node must be installed to run the end-to-end tests");
    // A hung client must fail the test, not hang it.
    let deadline = Instant::now() + Duration::from_secs(180);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = child.wait().unwrap();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    assert!(
        status.success(),
        "{script} failed (or ran over 180 s)\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    println!("{stdout}");
}

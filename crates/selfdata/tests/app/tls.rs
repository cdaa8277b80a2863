//! Issue 18, HTTPS served directly: the real binary serves TLS from the
//! certificate and key files it is given, takes a renewed certificate
//! without a restart, and with an `https` address its pages carry HSTS and
//! its cookies are `Secure`.

use std::time::{Duration, Instant};

use crate::e2e;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A self-signed certificate for 127.0.0.1, written to the two files.
fn certificate(cert: &std::path::Path, key: &std::path::Path) -> reqwest::Certificate {
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let pem = made.cert.pem();
    // The key first, then the certificate: a reload may see the pair
    // half-written and must keep the old one meanwhile.
    std::fs::write(key, made.signing_key.serialize_pem()).unwrap();
    std::fs::write(cert, &pem).unwrap();
    reqwest::Certificate::from_pem(pem.as_bytes()).unwrap()
}

fn trusting(cert: reqwest::Certificate) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([cert])
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn https_is_served_from_the_files_and_a_renewed_certificate_is_taken_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let first = certificate(&cert, &key);
    let port = e2e::free_port();
    let base = format!("https://127.0.0.1:{port}");
    let _server = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"))
            .args([
                "serve",
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--tls-check-secs",
                "1",
            ])
            .arg("--tls-cert")
            .arg(&cert)
            .arg("--tls-key")
            .arg(&key)
            .arg("--data")
            .arg(dir.path().join("data"))
            .env("SELFDATA_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client = trusting(first.clone());
    let deadline = Instant::now() + Duration::from_secs(30);
    let health = loop {
        match client.get(format!("{base}/health")).send().await {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("HTTPS never answered: {e}"),
        }
    };
    assert_eq!(health.status(), 200);
    // Its address defaults to https: HSTS on pages, Secure cookies.
    let login = client
        .get(format!("{base}/account/login"))
        .send()
        .await
        .unwrap();
    let mut cookies: Vec<String> = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .collect();
    assert!(
        login.headers().contains_key("strict-transport-security"),
        "{:?}",
        login.headers()
    );
    let signup = client
        .post(format!("{base}/account/login"))
        .form(&[("email", "x@example.org"), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    cookies.extend(
        signup
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|c| c.to_str().unwrap().to_owned()),
    );
    assert!(!cookies.is_empty(), "no cookie to look at");
    for cookie in &cookies {
        assert!(cookie.contains("; Secure"), "{cookie}");
    }
    // Plain HTTP on that port gets no page.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));

    // The certificate is renewed on disk: new connections get the new one.
    let second = certificate(&cert, &key);
    let renewed = trusting(second);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = renewed.get(format!("{base}/health")).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the renewed certificate was never served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A new connection trusting only the old certificate is refused now.
    assert!(
        trusting(first)
            .get(format!("{base}/health"))
            .send()
            .await
            .is_err(),
        "the old certificate is still served"
    );
}

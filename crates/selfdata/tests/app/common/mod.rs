//! A real selfdata server (pods, identity provider, access control) on a
//! loopback port over a real SQLite data folder, with one pod ("alice") and
//! a DPoP-bound access token for its owner, obtained through the real token
//! endpoint with the pod's client credentials; the calls of an app or script
//! holding a token (`as_agent`), and the test browser for the pages
//! (`browser.rs`).

#![allow(dead_code)]

mod browser;

pub use browser::{Browser, Page, field, totp_code, unescape};

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Client, Method, RequestBuilder, Response};
use selfdata::{App, Options};
use selfdata_oidc::DpopKey;
use selfdata_store::PodName;

pub struct Server {
    pub base: String,
    pub client: Client,
    pub key: DpopKey,
    pub token: String,
    pub client_id: String,
    pub client_secret: String,
    pub webid: String,
    pub app: std::sync::Arc<App>,
    _dir: tempfile::TempDir,
}

/// The engine the servers of this run keep their data in: the embedded
/// default, or with `SELFDATA_TEST_ENGINE=postgres` a fresh database on the
/// tests' PostgreSQL server (`SELFDATA_TEST_POSTGRES`) for each server, and
/// a bucket of its own on the tests' object store when there is one
/// (`SELFDATA_TEST_S3`), so the same suites run on both engines.
pub fn test_database() -> Option<selfdata_store::postgres::PgSettings> {
    match std::env::var("SELFDATA_TEST_ENGINE").as_deref() {
        Ok("postgres") => {
            let mut settings = selfdata_store::postgres::PgSettings::new(
                selfdata_store::postgres::testing::fresh_database(),
            );
            // Large bodies in the tests' object store, when the run has one.
            settings.objects = selfdata_store::postgres::testing::object_store();
            Some(settings)
        }
        Ok("sqlite") | Err(_) => None,
        Ok(other) => panic!("SELFDATA_TEST_ENGINE={other}: say sqlite or postgres"),
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut Options)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut options = Options::new(dir.path(), &base);
        options.database = test_database();
        tune(&mut options);
        let app = std::sync::Arc::new(App::open(options).await.unwrap());
        let pod = app
            .create_pod(&PodName::parse("alice").unwrap())
            .await
            .unwrap();
        let router = app.router();
        tokio::spawn(async move {
            axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap()
        });
        let client = english_client();
        let key = DpopKey::generate();
        let token =
            client_credentials_token(&client, &base, &pod.client_id, &pod.client_secret, &key)
                .await;
        Self {
            base,
            client,
            key,
            token,
            client_id: pod.client_id,
            client_secret: pod.client_secret,
            webid: pod.webid,
            app,
            _dir: dir,
        }
    }

    /// The absolute URL of a path inside alice's pod (`/notes/a.ttl`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/alice{path}", self.base)
    }

    /// A request as the pod's owner: DPoP token plus a fresh proof.
    pub fn req(&self, method: &str, path: &str) -> RequestBuilder {
        self.signed(method, &self.url(path))
    }

    /// A request as the owner to any absolute URL.
    pub fn signed(&self, method: &str, url: &str) -> RequestBuilder {
        as_agent(&self.client, &self.key, &self.token, method, url)
    }

    pub async fn put_turtle(&self, path: &str, body: &str) -> Response {
        self.req("PUT", path)
            .header("content-type", "text/turtle")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// A browser signed in as `email` through the login form.
    pub async fn sign_in(&self, email: &str, password: &str) -> Browser {
        let b = Browser::new(&self.base);
        let r = b.sign_in(email, password, "/account").await;
        assert_eq!(r.status, 303, "login refused");
        b
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.req("GET", path).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// A request to any absolute URL as whoever holds `token` (an app, a
/// script, another resident), bound to `key`, with a fresh DPoP proof.
pub fn as_agent(
    client: &Client,
    key: &DpopKey,
    token: &str,
    method: &str,
    url: &str,
) -> RequestBuilder {
    client
        .request(Method::from_bytes(method.as_bytes()).unwrap(), url)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", key.proof(method, url, Some(token), now()))
}

/// The status a request gets.
pub async fn status_of(request: RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

/// The JSON body of the answer to a request.
pub async fn json_of(request: RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// Where the test apps say they live (nothing listens there), and their PKCE verifier.
pub const APP_REDIRECT: &str = "http://127.0.0.1:9/cb";
pub const PKCE_VERIFIER: &str = "a-long-enough-pkce-verifier-of-at-least-43-characters-xyz";

/// Registers an app dynamically and returns its client id.
pub async fn register_app(client: &Client, base: &str, name: &str) -> String {
    let reg = json_of(
        client
            .post(format!("{base}/idp/register"))
            .json(&serde_json::json!({"redirect_uris": [APP_REDIRECT], "client_name": name})),
    )
    .await;
    reg["client_id"].as_str().unwrap().to_owned()
}

/// The authorize path (with `base` omitted) an app sends the resident to.
pub fn authorize_path(client_id: &str) -> String {
    format!(
        "/idp/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid%20webid&state=s1&code_challenge={}&code_challenge_method=S256",
        selfdata_oidc::pkce_s256_challenge(PKCE_VERIFIER)
    )
}

/// The authorization code in the redirect back to the app.
pub fn code_of(location: &str) -> String {
    location
        .split("code=")
        .nth(1)
        .and_then(|c| c.split('&').next())
        .expect("a code in the redirect")
        .to_owned()
}

/// The app's side after consent: the code from the redirect `location`
/// redeemed for a DPoP-bound access token under a new key.
pub async fn redeem_code(
    client: &Client,
    base: &str,
    client_id: &str,
    location: &str,
) -> (DpopKey, String) {
    let code = code_of(location);
    let key = DpopKey::generate();
    let token_url = format!("{base}/idp/token");
    let tokens = json_of(
        client
            .post(&token_url)
            .header("dpop", key.proof("POST", &token_url, None, now()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", APP_REDIRECT),
                ("client_id", client_id),
                ("code_verifier", PKCE_VERIFIER),
            ]),
    )
    .await;
    (key, tokens["access_token"].as_str().unwrap().to_owned())
}

/// Exchanges client credentials for a DPoP-bound access token.
pub async fn client_credentials_token(
    client: &Client,
    base: &str,
    id: &str,
    secret: &str,
    key: &DpopKey,
) -> String {
    let url = format!("{base}/idp/token");
    let r = client
        .post(&url)
        .basic_auth(id, Some(secret))
        .header("dpop", key.proof("POST", &url, None, now()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "token endpoint refused the credentials");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Reads a problem+json answer, checking its shape.
pub async fn problem(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json",
        "status {status} should come as problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    let detail = body["detail"].as_str().unwrap().to_owned();
    assert!(detail.len() > 10, "detail should be a sentence: {detail}");
    (status, detail)
}

pub fn links(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Parses Turtle into a graph, resolving against `base`.
pub fn turtle(body: &str, base: &str) -> selfdata_rdf::oxrdf::Graph {
    selfdata_rdf::parse(body.as_bytes(), selfdata_rdf::RdfFormat::Turtle, base).unwrap()
}

/// Another resident with a pod of their own on the same server.
pub struct Resident {
    pub key: DpopKey,
    pub token: String,
    pub webid: String,
    pub client_id: String,
    pub client_secret: String,
}

impl Resident {
    /// Creates the pod `name` and gets a DPoP-bound token for its owner.
    pub async fn new(s: &Server, name: &str) -> Self {
        let pod = s
            .app
            .create_pod(&PodName::parse(name).unwrap())
            .await
            .unwrap();
        let key = DpopKey::generate();
        let token =
            client_credentials_token(&s.client, &s.base, &pod.client_id, &pod.client_secret, &key)
                .await;
        Self {
            key,
            token,
            webid: pod.webid,
            client_id: pod.client_id,
            client_secret: pod.client_secret,
        }
    }

    /// A request as this resident to any absolute URL.
    pub fn req(&self, s: &Server, method: &str, url: &str) -> RequestBuilder {
        as_agent(&s.client, &self.key, &self.token, method, url)
    }
}

/// A client that follows no redirect and reads the pages in English (the
/// pages speak French to a browser that states no language).
pub fn english_client() -> Client {
    english(Client::builder()).build().unwrap()
}

/// `builder` without redirects, asking for English pages.
pub fn english(builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_LANGUAGE,
        reqwest::header::HeaderValue::from_static("en"),
    );
    builder
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
}

/// The password the test residents sign up with.
pub const PASSWORD: &str = "correct horse battery";

/// A resident with an account (`email`, [`PASSWORD`]) and the pod `pod`,
/// signed in through the login form.
pub async fn resident(s: &Server, email: &str, pod: &str) -> (Browser, PodName) {
    let pod = PodName::parse(pod).unwrap();
    s.app
        .idp
        .create_account(email, PASSWORD, &pod)
        .await
        .unwrap();
    (s.sign_in(email, PASSWORD).await, pod)
}

/// A GDPR archive of the archives crate's fixtures (`gen_facebook_2023.zip`,
/// `hostile_symlink.zip`…).
pub fn archive_fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../archives/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The meter or customer number an English rights letter quotes, checked
/// to be a 14-digit PRM.
pub fn meter_number(letter: &str) -> String {
    let number = letter
        .split("Meter or customer number: ")
        .nth(1)
        .and_then(|x| x.lines().next())
        .unwrap_or_else(|| panic!("no meter number: {letter}"));
    assert!(
        number.len() == 14 && number.bytes().all(|c| c.is_ascii_digit()),
        "the PRM: {number}"
    );
    number.to_owned()
}

/// A tiny SMTP server on loopback that captures every message's DATA.
pub async fn smtp_sink() -> (u16, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = tokio::io::BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                    let answer: &[u8] = match verb.as_str() {
                        "EHLO" => b"250-sink\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(&l);
                                data.push('\n');
                            }
                            let _ = tx.send(data);
                            b"250 queued\r\n"
                        }
                        "QUIT" => {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(answer).await.unwrap();
                }
            });
        }
    });
    (port, rx)
}

/// A server whose SMTP relay is a [`smtp_sink`], and the sink's messages.
pub async fn server_with_mail() -> (Server, tokio::sync::mpsc::UnboundedReceiver<String>) {
    let (port, inbox) = smtp_sink().await;
    let s = Server::start_with(|o| {
        o.smtp = Some(
            selfdata_idp::reset::SmtpRelay::new(
                &format!("127.0.0.1:{port}"),
                "selfdata@example.org",
            )
            .unwrap(),
        );
    })
    .await;
    (s, inbox)
}

//! Issue 9, the identity provider's findings, over real HTTP on loopback:
//! refresh tokens bound to their family's DPoP key or to client
//! authentication (#6), token families ended only by the reuse of a real
//! previous secret (#11), Client ID Documents fetched only after sign-in,
//! within a fence against server-side request forgery (#9), dynamic
//! registration bounded and rate-limited (#12), DPoP replay protection that
//! survives a restart, and no OAuth error redirect to an anonymously
//! registered app without the resident's answer.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{APP_REDIRECT, Browser, PKCE_VERIFIER, Server, as_agent, now, status_of};
use base64::Engine as _;
use selfdata_oidc::DpopKey;
use selfdata_store::{Directory, PodName};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "correct horse battery";

/// Gives alice's pod an account and signs its owner in, in a browser.
async fn resident(s: &Server) -> Browser {
    let hash = selfdata_idp::accounts::hash_password(PASSWORD).unwrap();
    let dir: &dyn Directory = s.app.store.as_ref();
    let account = dir
        .create_account("alice@example.org", &hash)
        .await
        .unwrap();
    dir.set_pod_owner("alice", account.id).await.unwrap();
    s.sign_in("alice@example.org", PASSWORD).await
}

/// The authorize path an app sends the resident to, asking for `scope`.
fn authorize(client_id: &str, scope: &str) -> String {
    let url = reqwest::Url::parse_with_params(
        "http://pages.example/idp/authorize",
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", APP_REDIRECT),
            ("scope", scope),
            ("state", "s1"),
            (
                "code_challenge",
                &selfdata_oidc::pkce_s256_challenge(PKCE_VERIFIER),
            ),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    format!("{}?{}", url.path(), url.query().unwrap())
}

/// What an app holds after its resident allowed it with `offline_access`.
struct AppTokens {
    client_id: String,
    secret: Option<String>,
    key: DpopKey,
    access: String,
    refresh: String,
}

/// Registers an app (confidential when `confidential`), has alice allow it,
/// and redeems the code with a fresh DPoP key.
async fn allowed_app(s: &Server, b: &Browser, confidential: bool) -> AppTokens {
    let mut registration = json!({"redirect_uris": [APP_REDIRECT], "client_name": "Budget Helper"});
    if confidential {
        registration["token_endpoint_auth_method"] = json!("client_secret_basic");
    }
    let reg = common::json_of(
        s.client
            .post(format!("{}/idp/register", s.base))
            .json(&registration),
    )
    .await;
    let client_id = reg["client_id"].as_str().unwrap().to_owned();
    let secret = reg["client_secret"].as_str().map(str::to_owned);
    let authorize = authorize(&client_id, "openid webid offline_access");
    let answer = b.consent(&authorize, &s.webid, "allow").await;
    assert_eq!(answer.status, 303);
    let location = answer.location.unwrap();
    let code = location
        .split("code=")
        .nth(1)
        .and_then(|c| c.split('&').next())
        .unwrap()
        .to_owned();
    let key = DpopKey::generate();
    let url = format!("{}/idp/token", s.base);
    let mut request = s
        .client
        .post(&url)
        .header("dpop", key.proof("POST", &url, None, now()));
    if let Some(secret) = &secret {
        request = request.basic_auth(&client_id, Some(secret));
    }
    let r = request
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", APP_REDIRECT),
            ("client_id", &client_id),
            ("code_verifier", PKCE_VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    AppTokens {
        client_id,
        secret,
        key,
        access: tokens["access_token"].as_str().unwrap().to_owned(),
        refresh: tokens["refresh_token"].as_str().unwrap().to_owned(),
    }
}

/// A refresh request: with a DPoP proof of `key` if any, HTTP Basic if `auth`.
async fn refresh(
    s: &Server,
    refresh_token: &str,
    key: Option<&DpopKey>,
    auth: Option<(&str, &str)>,
) -> (u16, Value) {
    let url = format!("{}/idp/token", s.base);
    let mut request = s.client.post(&url);
    if let Some(key) = key {
        request = request.header("dpop", key.proof("POST", &url, None, now()));
    }
    if let Some((id, secret)) = auth {
        request = request.basic_auth(id, Some(secret));
    }
    let r = request
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "token endpoint errors are RFC 6749 JSON"
    );
    (status, r.json().await.unwrap())
}

/// GET of alice's pod root with an access token and a proof of `key`.
async fn read_pod(s: &Server, key: &DpopKey, access: &str) -> u16 {
    status_of(as_agent(&s.client, key, access, "GET", &s.url("/"))).await
}

/// The token family id (`sid`) an access token carries, readable by anyone who sees it.
fn family_of(access: &str) -> String {
    let payload = access.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

// ------------------------------------------------------------------ #6

#[tokio::test]
async fn refresh_token_without_dpop_proof_is_refused() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let app = allowed_app(&s, &b, false).await;

    let (status, body) = refresh(&s, &app.refresh, None, None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_dpop_proof");
    assert!(body["access_token"].is_null(), "no bearer token: {body}");

    // Nothing was spent: the app, with its key, still refreshes, and stays DPoP-bound.
    let (status, body) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(read_pod(&s, &app.key, access).await, 200);
    let bearer = s
        .client
        .get(s.url("/"))
        .header("authorization", format!("Bearer {access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        bearer.status(),
        401,
        "the refreshed token is not a bearer token"
    );
}

#[tokio::test]
async fn refresh_token_with_another_dpop_key_is_refused() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let app = allowed_app(&s, &b, false).await;
    let thief = DpopKey::generate();
    let (status, body) = refresh(&s, &app.refresh, Some(&thief), None).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["access_token"].is_null(), "{body}");
    // The rightful holder is not affected.
    assert_eq!(read_pod(&s, &app.key, &app.access).await, 200);
    let (status, _) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn refresh_token_of_a_confidential_client_needs_client_authentication() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let app = allowed_app(&s, &b, true).await;
    let secret = app.secret.clone().unwrap();

    let (status, body) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    let (status, body) = refresh(
        &s,
        &app.refresh,
        Some(&app.key),
        Some((&app.client_id, "not-the-secret")),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    let (status, body) = refresh(
        &s,
        &app.refresh,
        Some(&app.key),
        Some((&app.client_id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "DPoP");
}

// ------------------------------------------------------------------ #11

#[tokio::test]
async fn refresh_with_a_guessed_secret_does_not_end_the_token_family() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let app = allowed_app(&s, &b, false).await;
    let sid = family_of(&app.access);
    // Whoever saw the access token knows the family id; the secret is a guess.
    for key in [None, Some(&app.key), Some(&DpopKey::generate())] {
        let (status, body) = refresh(&s, &format!("{sid}.garbage"), key, None).await;
        assert_eq!(status, 400, "{body}");
    }
    assert_eq!(
        read_pod(&s, &app.key, &app.access).await,
        200,
        "the family lives on"
    );
    let (status, body) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 200, "the real refresh token still works: {body}");
}

#[tokio::test]
async fn refresh_with_a_guessed_secret_does_not_end_a_client_credentials_family() {
    let s = Server::start().await;
    let sid = family_of(&s.token);
    let (status, body) = refresh(&s, &format!("{sid}.garbage"), None, None).await;
    assert!(status == 400 || status == 401, "{status} {body}");
    let (status, _) = refresh(
        &s,
        &format!("{sid}.garbage"),
        Some(&DpopKey::generate()),
        None,
    )
    .await;
    assert!(status == 400 || status == 401);
    let (status, _) = s.get_text("/").await;
    assert_eq!(status, 200, "the script's token still works");
}

#[tokio::test]
async fn reused_refresh_secret_ends_the_token_family() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let app = allowed_app(&s, &b, false).await;
    let (status, body) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 200);
    let access2 = body["access_token"].as_str().unwrap().to_owned();
    let refresh2 = body["refresh_token"].as_str().unwrap().to_owned();
    // The rotated-away secret again: someone kept a copy.
    let (status, body) = refresh(&s, &app.refresh, Some(&app.key), None).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(read_pod(&s, &app.key, &access2).await, 401);
    let (status, _) = refresh(&s, &refresh2, Some(&app.key), None).await;
    assert_eq!(status, 400, "the whole family ended");
}

// ------------------------------------------------------------------ #9

/// A loopback HTTP server answering every request with `answer(port)`,
/// counting the connections it accepts.
async fn spy(answer: impl Fn(u16) -> String + Send + Sync + 'static) -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            let response = answer(port);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = conn.read(&mut buf).await;
                let _ = conn.write_all(response.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    (port, count)
}

fn http_answer(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A Client ID Document naming itself at `http://127.0.0.1:{port}/id`.
fn document(port: u16) -> String {
    let body = json!({
        "client_id": format!("http://127.0.0.1:{port}/id"),
        "client_name": "Loopback App",
        "redirect_uris": [APP_REDIRECT],
    })
    .to_string();
    http_answer("200 OK", "Content-Type: application/json\r\n", &body)
}

#[tokio::test]
async fn client_id_document_is_not_fetched_before_sign_in() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let (port, hits) = spy(document).await;
    let url = authorize(&format!("http://127.0.0.1:{port}/id"), "openid webid");
    let visitor = Browser::new(&s.base).get(&url).await;
    assert_eq!(visitor.status, 303);
    assert!(visitor.location.unwrap().starts_with("/account/login"));
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "nothing fetched for a visitor"
    );
    // Signed in, the same document is fetched and names the app.
    let b = resident(&s).await;
    let page = b.get(&url).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Loopback App"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn client_id_document_on_a_loopback_name_or_over_http_is_refused() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let (port, hits) = spy(document).await;
    for client_id in [
        // A name resolving to loopback (as localhost.attacker.example would).
        format!("https://localhost:{port}/id"),
        format!("https://127.0.0.1:{port}/id"),
        format!("https://[::ffff:127.0.0.1]:{port}/id"),
        format!("http://127.0.0.1:{port}/id"),
        format!("http://localhost:{port}/id"),
    ] {
        let page = b.get(&authorize(&client_id, "openid webid")).await;
        assert_eq!(page.status, 400, "{client_id}: {}", page.body);
        assert!(page.body.contains("could not be used"), "{}", page.body);
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no connection to a loopback address"
    );
}

#[tokio::test]
async fn client_id_document_redirect_is_not_followed() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let b = resident(&s).await;
    let (target, target_hits) = spy(document).await;
    let (port, _) = spy(move |_| {
        http_answer(
            "302 Found",
            &format!("Location: http://127.0.0.1:{target}/id\r\n"),
            "",
        )
    })
    .await;
    let url = authorize(&format!("http://127.0.0.1:{port}/id"), "openid webid");
    let page = b.get(&url).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert_eq!(
        target_hits.load(Ordering::SeqCst),
        0,
        "the redirect was not followed"
    );
}

#[tokio::test]
async fn client_id_document_errors_do_not_tell_open_from_closed_ports() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let b = resident(&s).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (html, _) = spy(|_| {
        http_answer(
            "200 OK",
            "Content-Type: text/html\r\n",
            "<html>admin</html>",
        )
    })
    .await;
    let (missing, _) = spy(|_| http_answer("404 Not Found", "", "")).await;
    let mut answers = Vec::new();
    for port in [closed, html, missing] {
        let url = authorize(&format!("http://127.0.0.1:{port}/id"), "openid webid");
        let page = b.get(&url).await;
        answers.push((page.status, page.body));
    }
    assert_eq!(answers[0].0, 400);
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "one answer whatever the failure: {answers:#?}"
    );
}

// ------------------------------------------------------------------ #12

#[tokio::test]
async fn registration_body_over_16_kib_is_refused() {
    let s = Server::start().await;
    let r = s
        .client
        .post(format!("{}/idp/register", s.base))
        .json(&json!({"redirect_uris": [APP_REDIRECT], "client_name": "x".repeat(1024 * 1024)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn registration_with_too_many_redirect_uris_or_a_long_name_is_refused() {
    let s = Server::start().await;
    let many: Vec<String> = (0..11)
        .map(|i| format!("https://app.example/cb{i}"))
        .collect();
    for registration in [
        json!({"redirect_uris": many}),
        json!({"redirect_uris": [APP_REDIRECT], "client_name": "n".repeat(121)}),
        json!({"redirect_uris": [format!("https://app.example/{}", "p".repeat(2100))]}),
        json!({"redirect_uris": [APP_REDIRECT], "client_name": "evil\u{7}name"}),
    ] {
        let r = s
            .client
            .post(format!("{}/idp/register", s.base))
            .json(&registration)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().starts_with("invalid_"));
    }
}

#[tokio::test]
async fn registrations_are_rate_limited_per_client_address() {
    let s = Server::start().await;
    let register = || {
        s.client
            .post(format!("{}/idp/register", s.base))
            .json(&json!({"redirect_uris": [APP_REDIRECT]}))
            .send()
    };
    for _ in 0..20 {
        assert_eq!(register().await.unwrap().status(), 201);
    }
    let r = register().await.unwrap();
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
}

// ------------------------------------------------------------------ DPoP replay across a restart

/// A server over `dir` answering as `base`, listening on a fresh port; and
/// the way to stop it.
async fn serve(
    dir: &std::path::Path,
    base: &str,
) -> (
    String,
    Arc<selfdata::App>,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let app = Arc::new(
        selfdata::App::open(selfdata::Options::new(dir, base))
            .await
            .unwrap(),
    );
    let router = app.router();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap()
    });
    (addr, app, stop, task)
}

#[tokio::test]
async fn dpop_proof_replayed_after_a_restart_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let (addr, app, stop, task) = serve(dir.path(), &base).await;
    let pod = app
        .create_pod(&PodName::parse("alice").unwrap())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let key = DpopKey::generate();
    // The token endpoint is reached at `addr`, but proofs sign the public URL.
    let token_url = format!("{base}/idp/token");
    let r = client
        .post(format!("{addr}/idp/token"))
        .basic_auth(&pod.client_id, Some(&pod.client_secret))
        .header("dpop", key.proof("POST", &token_url, None, now()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let proof = key.proof("GET", &format!("{base}/alice/"), Some(&token), now());
    let get = |addr: String| {
        client
            .get(format!("{addr}/alice/"))
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", proof.clone())
            .send()
    };
    assert_eq!(get(addr.clone()).await.unwrap().status(), 200);
    assert_eq!(
        get(addr.clone()).await.unwrap().status(),
        401,
        "a replay is refused"
    );
    // A proof dated a few seconds ahead (a client whose clock runs fast)
    // is still acceptable after a quick restart: it must be remembered.
    let ahead = key.proof("GET", &format!("{base}/alice/"), Some(&token), now() + 4);
    let get_ahead = |addr: String| {
        client
            .get(format!("{addr}/alice/"))
            .header("authorization", format!("DPoP {token}"))
            .header("dpop", ahead.clone())
            .send()
    };
    assert_eq!(get_ahead(addr.clone()).await.unwrap().status(), 200);

    // Restart on the same data folder.
    let _ = stop.send(());
    task.await.unwrap();
    drop(app);
    let (addr, _app, _stop, _task) = serve(dir.path(), &base).await;
    assert_eq!(
        get(addr.clone()).await.unwrap().status(),
        401,
        "a replay is refused after a restart too"
    );
    assert_eq!(
        get_ahead(addr.clone()).await.unwrap().status(),
        401,
        "a proof dated ahead is refused after a restart too"
    );
    // A fresh proof of the same key works.
    let url = format!("{base}/alice/");
    let r = client
        .get(format!("{addr}/alice/"))
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", key.proof("GET", &url, Some(&token), now()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

// ------------------------------------------------------------------ open redirector

#[tokio::test]
async fn oauth_error_is_not_redirected_to_an_anonymously_registered_app() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let client_id = common::register_app(&s.client, &s.base, "Redirector").await;
    // A request the provider must refuse (no openid scope, no PKCE).
    for url in [
        authorize(&client_id, "webid"),
        format!(
            "/idp/authorize?response_type=token&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid"
        ),
    ] {
        // Not signed in: only the sign-in page.
        let visitor = Browser::new(&s.base).get(&url).await;
        assert_eq!(visitor.status, 303);
        assert!(visitor.location.unwrap().starts_with("/account/login"));
        // Signed in: an error page, no redirect to the app.
        let page = b.get(&url).await;
        assert_eq!(page.status, 400, "{}", page.body);
        assert!(page.location.is_none(), "{:?}", page.location);
    }
}

// ------------------------------------------------------------------ token endpoint

#[tokio::test]
async fn token_endpoint_errors_are_oauth_json() {
    let s = Server::start().await;
    let url = format!("{}/idp/token", s.base);
    for (content_type, body) in [
        (
            "application/x-www-form-urlencoded",
            "no grant type at all".to_owned(),
        ),
        ("application/json", "{\"grant_type\": 1}".to_owned()),
        (
            "application/x-www-form-urlencoded",
            "grant_type=a&grant_type=b".to_owned(),
        ),
        (
            "application/x-www-form-urlencoded",
            format!(
                "grant_type=refresh_token&refresh_token={}",
                "x".repeat(64 * 1024)
            ),
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=refresh_token&refresh_token=%FF%FE.%00".to_owned(),
        ),
        (
            "application/x-www-form-urlencoded",
            "grant_type=implicit".to_owned(),
        ),
    ] {
        let r = s
            .client
            .post(&url)
            .header("content-type", content_type)
            .header("dpop", "not.a.proof")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{}", r.status());
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        let answer: Value = r.json().await.unwrap();
        assert!(answer["error"].is_string(), "{answer}");
        assert!(answer["error_description"].is_string(), "{answer}");
    }
}

/// Conformance finding (issue 16): an app registered without a
/// `client_name` (SolidOS registers so) is named on the consent screen by
/// the host it sends the resident back to, not "An unnamed app".
#[tokio::test]
async fn conformance_an_app_without_a_name_is_named_by_its_redirect_host() {
    let s = Server::start().await;
    let b = resident(&s).await;
    let reg = common::json_of(
        s.client
            .post(format!("{}/idp/register", s.base))
            .json(&json!({"redirect_uris": [APP_REDIRECT]})),
    )
    .await;
    let client_id = reg["client_id"].as_str().unwrap();
    let page = b.get(&authorize(client_id, "openid webid")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("127.0.0.1:9"), "{}", page.body);
    assert!(!page.body.contains("unnamed"), "{}", page.body);
}

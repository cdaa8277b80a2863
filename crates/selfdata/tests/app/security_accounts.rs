//! Regression tests for the account findings of the security review (issue
//! 9), over real HTTP on loopback: the open redirect through `return_to`,
//! sign-up rate limits and pod quotas, what a password change ends, the
//! password asked before two-step sign-in is turned off, lockout per source
//! and account, the password reset (a mailed link through a tiny SMTP sink
//! written here, or an operator's code), and names with invisible, bidi or
//! twin characters.

use crate::common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::common::{Server, as_agent, client_credentials_token, field, status_of};
use reqwest::{Client, Response};
use selfdata_oidc::DpopKey;
use selfdata_store::{Directory, PodName};

const PASSWORD: &str = "correct horse battery staple";
const NEW_PASSWORD: &str = "a brand new passphrase";

/// A browser-like client (no redirects followed) from a given loopback address.
pub(crate) fn client_from(last_octet: u8) -> Client {
    common::english(Client::builder())
        .local_address(IpAddr::V4(Ipv4Addr::new(127, 0, 0, last_octet)))
        .build()
        .unwrap()
}

fn cookies(r: &Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect()
}

fn location(r: &Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// GETs an anonymous form: its CSRF cookie and field.
async fn anonymous_form(client: &Client, base: &str, path: &str) -> (String, String) {
    let r = client.get(format!("{base}{path}")).send().await.unwrap();
    let cookie = cookies(&r).join("; ");
    let html = r.text().await.unwrap();
    (cookie, field(&html, "csrf"))
}

async fn post_anonymous(
    client: &Client,
    base: &str,
    path: &str,
    form: &[(&str, &str)],
) -> Response {
    let (cookie, csrf) = anonymous_form(client, base, path).await;
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    client
        .post(format!("{base}{path}"))
        .header("cookie", cookie)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn sign_up(client: &Client, base: &str, email: &str, pod: &str, back: &str) -> Response {
    post_anonymous(
        client,
        base,
        "/account/signup",
        &[
            ("email", email),
            ("password", PASSWORD),
            ("pod", pod),
            ("return_to", back),
        ],
    )
    .await
}

pub(crate) async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
    back: &str,
) -> Response {
    post_anonymous(
        client,
        base,
        "/account/login",
        &[
            ("email", email),
            ("password", password),
            ("return_to", back),
        ],
    )
    .await
}

/// Signs up and returns the new session's cookie.
async fn resident(s: &Server, email: &str, pod: &str) -> String {
    let r = sign_up(&s.client, &s.base, email, pod, "/account").await;
    assert_eq!(r.status(), 303, "sign-up of {email} refused");
    session_of(&r)
}

fn session_of(r: &Response) -> String {
    cookies(r)
        .into_iter()
        .find(|c| c.starts_with("sd_session=") && !c.ends_with('='))
        .expect("a session cookie")
}

/// The account page as the session sees it: (status, html).
async fn account_page(s: &Server, session: &str) -> (u16, String) {
    let r = s
        .client
        .get(format!("{}/account", s.base))
        .header("cookie", session)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Posts a signed-in form with the session's CSRF token.
async fn post_signed_in(s: &Server, session: &str, path: &str, form: &[(&str, &str)]) -> Response {
    let (_, html) = account_page(s, session).await;
    let csrf = field(&html, "csrf");
    let mut fields = vec![("csrf", csrf.as_str())];
    fields.extend_from_slice(form);
    s.client
        .post(format!("{}{path}", s.base))
        .header("cookie", session)
        .form(&fields)
        .send()
        .await
        .unwrap()
}

/// Creates keys for a script on the account page and exchanges them for a
/// DPoP-bound token: (client id, secret, key, token).
async fn script_token(s: &Server, session: &str) -> (String, String, DpopKey, String) {
    let r = post_signed_in(s, session, "/account/credentials", &[("name", "backup")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let codes: Vec<String> = html
        .split("<dd><code>")
        .skip(1)
        .map(|p| p.split('<').next().unwrap().to_owned())
        .collect();
    let (id, secret) = (codes[0].clone(), codes[1].clone());
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    (id, secret, key, token)
}

/// GETs a pod's root container with a DPoP token: the status.
async fn read_pod(s: &Server, pod: &str, key: &DpopKey, token: &str) -> u16 {
    let url = format!("{}/{pod}/", s.base);
    status_of(as_agent(&s.client, key, token, "GET", &url)).await
}

async fn account_id(s: &Server, email: &str) -> i64 {
    s.app
        .store
        .account_by_email(email)
        .await
        .unwrap()
        .expect("an account")
        .id
}

// ---------------------------------------------------------------- finding 8

#[tokio::test]
async fn return_to_with_a_tab_does_not_redirect_off_site() {
    let s = Server::start().await;
    let r = sign_up(
        &s.client,
        &s.base,
        "rt@example.org",
        "rt-pod",
        "/\t/evil.example",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/", "sign-up must not follow a tab");
    for evil in [
        "/\t/evil.example",
        "/%09/evil.example",
        "/%2509/evil.example",
        "/ /evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "/%2F/evil.example",
        "https://evil.example/",
        "/\u{3000}/evil.example",
        "/\u{202e}/evil.example",
    ] {
        let r = sign_in(&s.client, &s.base, "rt@example.org", PASSWORD, evil).await;
        assert_eq!(r.status(), 303, "{evil:?}");
        assert_eq!(location(&r), "/", "return_to {evil:?} must fall back");
    }
    let r = sign_in(
        &s.client,
        &s.base,
        "rt@example.org",
        PASSWORD,
        "/idp/authorize?client_id=x&state=a%20b",
    )
    .await;
    assert_eq!(location(&r), "/idp/authorize?client_id=x&state=a%20b");
}

#[tokio::test]
async fn return_to_with_cr_lf_or_nul_is_not_a_server_error() {
    let s = Server::start().await;
    let r = sign_up(
        &s.client,
        &s.base,
        "crlf@example.org",
        "crlf-pod",
        "/\r\nx: y",
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    for evil in ["/\r\nSet-Cookie: a=b", "/\n", "/\r", "/\0evil", "/a\u{7f}"] {
        let r = sign_in(&s.client, &s.base, "crlf@example.org", PASSWORD, evil).await;
        assert_eq!(r.status(), 303, "{evil:?} must not be a server error");
        assert_eq!(location(&r), "/");
        assert!(r.headers().get("x").is_none() && cookies(&r).len() == 1);
    }
}

// ---------------------------------------------------------------- finding 12 (sign-up)

#[tokio::test]
async fn sign_ups_from_one_address_are_rate_limited() {
    let s = Server::start_with(|o| o.signups_per_hour = 2).await;
    let here = client_from(1);
    for (email, pod) in [("s1@example.org", "pod-s1"), ("s2@example.org", "pod-s2")] {
        let r = sign_up(&here, &s.base, email, pod, "/account").await;
        assert_eq!(r.status(), 303);
    }
    let r = sign_up(&here, &s.base, "s3@example.org", "pod-s3", "/account").await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many accounts were created from your network"));
    assert!(
        html.contains("action=\"/account/signup\""),
        "the form again"
    );
    assert!(
        s.app
            .store
            .account_by_email("s3@example.org")
            .await
            .unwrap()
            .is_none()
    );
    // Someone else, elsewhere, still can.
    let r = sign_up(
        &client_from(3),
        &s.base,
        "s3@example.org",
        "pod-s3",
        "/account",
    )
    .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn an_account_cannot_own_more_pods_than_its_quota() {
    let s = Server::start_with(|o| o.pods_per_account = 2).await;
    resident(&s, "quota@example.org", "quota-1").await;
    let id = account_id(&s, "quota@example.org").await;
    for name in ["quota-2", "quota-3"] {
        s.app
            .create_pod(&selfdata_store::PodName::parse(name).unwrap())
            .await
            .unwrap();
    }
    let pod = |n: &str| selfdata_store::PodName::parse(n).unwrap();
    s.app.idp.own_pod(id, &pod("quota-2")).await.unwrap();
    let refused = s.app.idp.own_pod(id, &pod("quota-3")).await;
    assert!(matches!(
        refused,
        Err(selfdata_idp::pages::PodRefused::QuotaReached(2))
    ));
    assert_eq!(s.app.store.pods_of(id).await.unwrap().len(), 2);
}

// ---------------------------------------------------------------- password change, two-step sign-in

#[tokio::test]
async fn password_change_ends_other_sessions_and_tokens() {
    let s = Server::start().await;
    let here = resident(&s, "pw@example.org", "pw-pod").await;
    let elsewhere = session_of(&sign_in(&s.client, &s.base, "pw@example.org", PASSWORD, "/").await);
    let (id, secret, key, token) = script_token(&s, &here).await;
    assert_eq!(read_pod(&s, "pw-pod", &key, &token).await, 200);

    let r = post_signed_in(
        &s,
        &here,
        "/account/password",
        &[("current", PASSWORD), ("new", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("every other session"));

    assert_eq!(read_pod(&s, "pw-pod", &key, &token).await, 401, "old token");
    assert_eq!(account_page(&s, &elsewhere).await.0, 303, "other session");
    assert_eq!(account_page(&s, &here).await.0, 200, "this session stays");
    // The keys themselves stay (listed on the account page) and give new tokens.
    let fresh = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    assert_eq!(read_pod(&s, "pw-pod", &key, &fresh).await, 200);
}

#[tokio::test]
async fn turning_two_step_sign_in_off_needs_the_password() {
    let s = Server::start().await;
    let session = resident(&s, "totp@example.org", "totp-pod").await;
    let id = account_id(&s, "totp@example.org").await;
    let (secret, _) = selfdata_idp::accounts::new_totp("totp@example.org");
    s.app.store.set_totp(id, Some(&secret)).await.unwrap();
    let totp_on = || async {
        s.app
            .store
            .account(id)
            .await
            .unwrap()
            .unwrap()
            .totp_secret
            .is_some()
    };

    let r = post_signed_in(&s, &session, "/account/totp/disable", &[]).await;
    assert_eq!(r.status(), 400);
    assert!(totp_on().await, "no password: still on");
    let r = post_signed_in(
        &s,
        &session,
        "/account/totp/disable",
        &[("current", "not the password")],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(totp_on().await, "wrong password: still on");
    let r = post_signed_in(
        &s,
        &session,
        "/account/totp/disable",
        &[("current", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(!totp_on().await);
}

// ---------------------------------------------------------------- lockout

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_resident_out() {
    let s = Server::start().await;
    resident(&s, "lock@example.org", "lock-pod").await;
    let attacker = client_from(66);
    let mut last = 0;
    for _ in 0..7 {
        last = sign_in(&attacker, &s.base, "lock@example.org", "guess", "/")
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429, "the attacker's address is slowed down");
    let r = sign_in(&attacker, &s.base, "lock@example.org", PASSWORD, "/").await;
    assert_eq!(r.status(), 429, "even with the right password, from there");
    let r = sign_in(&client_from(1), &s.base, "lock@example.org", PASSWORD, "/").await;
    assert_eq!(r.status(), 303, "the resident, at home, signs in");
}

/// One wrong sign-in: (status, error sentence) and how long it took.
async fn wrong_sign_in(client: &Client, base: &str, email: &str) -> ((u16, String), Duration) {
    let (cookie, csrf) = anonymous_form(client, base, "/account/login").await;
    let started = Instant::now();
    let r = client
        .post(format!("{base}/account/login"))
        .header("cookie", cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", email),
            ("password", "guess"),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    let took = started.elapsed();
    let error = html
        .split("role=\"alert\">")
        .nth(1)
        .and_then(|e| e.split('<').next())
        .unwrap_or_default()
        .to_owned();
    ((status, error), took)
}

#[tokio::test]
async fn sign_in_answers_the_same_for_unknown_and_existing_accounts() {
    let s = Server::start().await;
    resident(&s, "known@example.org", "known-pod").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    let (mut known_time, mut unknown_time) = (Duration::MAX, Duration::MAX);
    // Interleaved, so that both see the same load on the machine.
    for _ in 0..7 {
        let (answer, took) = wrong_sign_in(&client_from(7), &s.base, "known@example.org").await;
        if answer.0 == 401 {
            known_time = known_time.min(took);
        }
        known.push(answer);
        let (answer, took) = wrong_sign_in(&client_from(8), &s.base, "unknown@example.org").await;
        if answer.0 == 401 {
            unknown_time = unknown_time.min(took);
        }
        unknown.push(answer);
    }
    assert_eq!(
        known, unknown,
        "same statuses and sentences, lockout included"
    );
    assert!(known.iter().any(|(status, _)| *status == 429));
    // Both run argon2: an unknown address is not answered much faster.
    assert!(
        unknown_time * 3 > known_time,
        "unknown {unknown_time:?} vs known {known_time:?}"
    );
}

// ---------------------------------------------------------------- password reset

/// The reset link in a captured message (quoted-printable undone).
fn reset_link(message: &str) -> String {
    let body = message.replace("=\n", "").replace("=3D", "=");
    let start = body.find("http://").expect("a link in the message");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn password_reset_by_mailed_link_ends_sessions_and_tokens() {
    let (s, mut inbox) = crate::common::server_with_mail().await;
    let session = resident(&s, "mail@example.org", "mail-pod").await;
    let (_, _, key, token) = script_token(&s, &session).await;

    // The same answer whether or not an account uses the address.
    let unknown = post_anonymous(
        &s.client,
        &s.base,
        "/account/forgot",
        &[("email", "nobody@example.org")],
    )
    .await;
    let known = post_anonymous(
        &s.client,
        &s.base,
        "/account/forgot",
        &[("email", "MAIL@example.org")],
    )
    .await;
    assert_eq!(
        (unknown.status().as_u16(), known.status().as_u16()),
        (200, 200)
    );
    let sentence = |html: String| {
        html.split("role=\"status\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    let (unknown, known) = (
        sentence(unknown.text().await.unwrap()),
        sentence(known.text().await.unwrap()),
    );
    assert_eq!(unknown, known);
    assert!(known.contains("If an account uses this address"));

    let message = tokio::time::timeout(Duration::from_secs(20), inbox.recv())
        .await
        .expect("a message within 20 s")
        .unwrap();
    assert!(message.contains("mail@example.org"));
    let link = reset_link(&message);
    assert!(link.starts_with(&format!("{}/account/reset?token=", s.base)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        inbox.try_recv().is_err(),
        "nothing mailed for an unknown address"
    );

    let r = s.client.get(&link).send().await.unwrap();
    let anon = cookies(&r).join("; ");
    let html = r.text().await.unwrap();
    let (csrf, secret) = (field(&html, "csrf"), field(&html, "secret"));
    assert!(!secret.is_empty());
    let reset = |secret: String| {
        let (client, base, anon, csrf) =
            (s.client.clone(), s.base.clone(), anon.clone(), csrf.clone());
        async move {
            client
                .post(format!("{base}/account/reset"))
                .header("cookie", anon)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("secret", secret.as_str()),
                    ("password", NEW_PASSWORD),
                    ("from_link", "true"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = reset(secret.clone()).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your password was changed")
    );

    assert_eq!(account_page(&s, &session).await.0, 303, "sessions ended");
    assert_eq!(
        read_pod(&s, "mail-pod", &key, &token).await,
        401,
        "tokens ended"
    );
    let r = sign_in(&s.client, &s.base, "mail@example.org", PASSWORD, "/").await;
    assert_eq!(r.status(), 401, "the old password is gone");
    let r = sign_in(&s.client, &s.base, "mail@example.org", NEW_PASSWORD, "/").await;
    assert_eq!(r.status(), 303);

    let r = reset(secret).await;
    assert_eq!(r.status(), 400, "a link works once");
    assert!(r.text().await.unwrap().contains("not valid"));
}

#[tokio::test]
async fn password_reset_with_an_operator_code_unlocks_the_resident() {
    let s = Server::start().await;
    resident(&s, "code@example.org", "code-pod").await;
    let home = client_from(1);
    for _ in 0..6 {
        sign_in(&home, &s.base, "code@example.org", "forgotten", "/").await;
    }
    let r = sign_in(&home, &s.base, "code@example.org", PASSWORD, "/").await;
    assert_eq!(r.status(), 429, "locked out from home after many failures");

    // Without a relay, the page sends the resident to the operator.
    let r = home
        .get(format!("{}/account/forgot", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Ask its operator"));
    let directory = s.app.store.as_ref() as &dyn Directory;
    assert!(
        selfdata_idp::reset::new_reset_code(directory, "nobody@example.org")
            .await
            .unwrap()
            .is_none()
    );
    let code = selfdata_idp::reset::new_reset_code(directory, "Code@Example.org")
        .await
        .unwrap()
        .expect("a code");

    let form = [("secret", code.as_str()), ("password", NEW_PASSWORD)];
    let r = post_anonymous(&home, &s.base, "/account/reset", &form).await;
    assert_eq!(r.status(), 200);
    let r = sign_in(&home, &s.base, "code@example.org", NEW_PASSWORD, "/").await;
    assert_eq!(r.status(), 303, "unlocked by the reset");
    let r = post_anonymous(&home, &s.base, "/account/reset", &form).await;
    assert_eq!(r.status(), 400, "a code works once");
}

// ---------------------------------------------------------------- names

#[tokio::test]
async fn names_with_invisible_or_bidi_characters_are_refused() {
    let s = Server::start_with(|o| o.signups_per_hour = 100).await;
    for email in [
        "ali\u{200b}ce@example.org",
        "alice\u{202e}@example.org",
        "ali\u{2066}ce@example.org",
        "alice@exam\u{feff}ple.org",
    ] {
        let r = sign_up(&s.client, &s.base, email, "names-pod", "/account").await;
        assert_eq!(r.status(), 400, "{email:?}");
    }
    for pod in [
        "n\u{0430}mes",
        "names\u{200b}",
        "Names",
        "n\u{e9}mes",
        "name\u{301}s",
    ] {
        let r = sign_up(&s.client, &s.base, "names@example.org", pod, "/account").await;
        assert_eq!(r.status(), 400, "pod {pod:?}");
    }
    let session = resident(&s, "names@example.org", "names-pod").await;
    let r = post_signed_in(
        &s,
        &session,
        "/account/credentials",
        &[("name", "\u{202e}tpircs")],
    )
    .await;
    assert_eq!(r.status(), 400);
    let (_, html) = account_page(&s, &session).await;
    assert!(!html.contains('\u{202e}'));
}

#[tokio::test]
async fn e_mail_twins_are_one_account() {
    let s = Server::start().await;
    resident(&s, "Jos\u{e9}@example.org", "twin-pod").await;
    for twin in [
        "jose\u{301}@example.org",
        "JOS\u{c9}@EXAMPLE.ORG",
        "JOSE\u{301}@example.org",
    ] {
        let r = sign_up(&s.client, &s.base, twin, "twin-pod2", "/account").await;
        assert_eq!(r.status(), 400, "{twin:?} is the same address");
        let r = sign_in(&s.client, &s.base, twin, PASSWORD, "/").await;
        assert_eq!(r.status(), 303, "{twin:?} signs in to the one account");
    }
}

#[tokio::test]
async fn app_names_with_bidi_characters_are_refused_at_registration() {
    let s = Server::start().await;
    let register = |name: &'static str| {
        s.client
            .post(format!("{}/idp/register", s.base))
            .json(&serde_json::json!({
                "redirect_uris": [common::APP_REDIRECT],
                "client_name": name,
            }))
            .send()
    };
    for name in ["Evil\u{202e}ppA yrtsiniM", "Bank\u{200b}", "\u{2067}x"] {
        let r = register(name).await.unwrap();
        assert_eq!(r.status(), 400, "{name:?}");
    }
    assert_eq!(register("Caf\u{e9} app").await.unwrap().status(), 201);
}

#[tokio::test]
async fn the_operator_issues_a_reset_code_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let options = || selfdata::Options::new(dir.path(), "http://127.0.0.1:9");
    {
        let app = selfdata::App::open(options()).await.unwrap();
        let pod = selfdata_store::PodName::parse("cli-pod").unwrap();
        app.idp
            .create_account("cli@example.org", PASSWORD, &pod)
            .await
            .unwrap();
    }
    let run = |email: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"))
            .arg("--data")
            .arg(dir.path())
            .args(["account", "reset-code", email])
            .output()
            .unwrap()
    };
    let unknown = run("nobody@example.org");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no account"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    let out = run("CLI@Example.org");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(code.len() >= 16);

    let app = selfdata::App::open(options()).await.unwrap();
    app.idp.reset_password(&code, NEW_PASSWORD).await.unwrap();
    assert_eq!(
        app.idp.reset_password(&code, NEW_PASSWORD).await,
        Err(selfdata_idp::reset::ResetRefused::Invalid),
        "a code works once"
    );
}

// ---------------------------------------------------------------- pages under /app

/// The bug: a pod could be named `privacy` or `energy` (only a hand-kept list
/// was refused, which missed them): its owner's pod then sat at the very
/// address of the pages (`/privacy/requests` was the page, never their
/// resource). The reserved names are now the routes' first segments.
#[tokio::test]
async fn a_pod_may_be_named_privacy_or_energy() {
    let s = Server::start().await;
    for (i, pod) in ["privacy", "energy", "app", "account", "assets", "health"]
        .into_iter()
        .enumerate()
    {
        let email = format!("taken{i}@example.org");
        let r = sign_up(&client_from(10 + i as u8), &s.base, &email, pod, "/").await;
        assert_eq!(r.status(), 400, "a pod named {pod} must be refused");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("This pod name is an address of the server&#39;s own pages")
                || html.contains("This pod name is an address of the server's own pages"),
            "{pod}: {html}"
        );
        assert!(
            s.app
                .store
                .account_by_email(&email)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            s.app
                .store
                .pod(&PodName::parse(pod).unwrap())
                .await
                .unwrap()
                .is_none()
        );
    }
    // `selfdata pod create energy` is refused with a sentence too.
    let refused = s
        .app
        .create_pod(&PodName::parse("energy").unwrap())
        .await
        .unwrap_err();
    assert!(
        refused
            .to_string()
            .contains("/energy is an address of the server's own pages"),
        "{refused}"
    );
    // A name that is no route is still free.
    let r = sign_up(
        &client_from(30),
        &s.base,
        "free@example.org",
        "energy-home",
        "/",
    )
    .await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn the_old_energy_and_privacy_addresses_redirect_under_app() {
    let s = Server::start().await;
    let session = resident(&s, "moved@example.org", "moved").await;
    let no_follow = common::english_client();
    for (old, new) in [
        ("/energy", "/app/energy"),
        (
            "/energy?fluid=gas&scale=day",
            "/app/energy?fluid=gas&scale=day",
        ),
        ("/energy/tariffs", "/app/energy/tariffs"),
        (
            "/energy/connect/enedis/callback?code=c&state=s",
            "/app/energy/connect/enedis/callback?code=c&state=s",
        ),
        ("/privacy", "/app/privacy"),
        ("/privacy/requests", "/app/privacy/requests"),
    ] {
        let r = no_follow
            .get(format!("{}{old}", s.base))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 308, "{old}");
        assert_eq!(location(&r), new, "{old}");
    }
    // A form posted to the old address stays a POST (308), to the new one.
    let r = no_follow
        .post(format!("{}/privacy/apps/revoke", s.base))
        .header("cookie", &session)
        .form(&[("id", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(location(&r), "/app/privacy/apps/revoke");
    // Followed, an old bookmark shows the page.
    let r = common::english(Client::builder())
        .redirect(reqwest::redirect::Policy::limited(2))
        .build()
        .unwrap()
        .get(format!("{}/privacy", s.base))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.url().path() == "/app/privacy");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("action=\"/app/privacy/share\"")
    );
}

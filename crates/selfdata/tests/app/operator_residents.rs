//! Issue 18, the operator's help desk: residents found by part of their
//! address, suspended (sign-in, session, app and script tokens all cut)
//! and restored, lockouts lifted, quotas raised and given back, invitation
//! and reset codes made; every action in the append-only audit log before
//! it is taken, and shown to the resident it concerns on their account
//! page. To a resident the pages do not exist.

use selfdata_oidc::DpopKey;
use selfdata_store::directory::{Account, OperatorAction};
use selfdata_store::{Precondition, ResourcePath, StoreError, Write};

use crate::common::{
    Browser, PASSWORD, Server, as_agent, client_credentials_token, field, resident,
};
use crate::operator::operator;

/// A resident's account and the path of its page in the console.
async fn resident_page(s: &Server, email: &str) -> (Account, String) {
    let account = s.app.store.account_by_email(email).await.unwrap().unwrap();
    let path = format!("/app/operator/residents/{}", account.id);
    (account, path)
}

/// The client id and secret the account page shows once.
fn credentials_shown(page: &str) -> (String, String) {
    let shown = |dt: &str| {
        page.split(&format!("<dt>{dt}</dt><dd><code>"))
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .expect("the page shows the new credentials")
            .to_owned()
    };
    (shown("client_id"), shown("client_secret"))
}

async fn status(r: reqwest::RequestBuilder) -> u16 {
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_suspended_resident_loses_every_way_in_until_restored_and_reads_why() {
    let s = Server::start().await;
    let (camille, pod) = resident(&s, "camille@example.org", "camille").await;
    // A script of Camille's, with its own key.
    let account_page = camille.get("/account").await.body;
    let made = camille
        .post(
            "/account/credentials",
            &[
                ("csrf", &field(&account_page, "csrf")),
                ("name", "my script"),
            ],
        )
        .await;
    let (id, secret) = credentials_shown(&made.body);
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    let root = format!("{}/{pod}/", s.base);
    assert_eq!(
        status(as_agent(&s.client, &key, &token, "GET", &root)).await,
        200
    );

    let ops = operator(&s).await;
    let list = ops.get("/app/operator/residents?q=CAMILLE").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("camille@example.org"), "{}", list.body);
    assert!(
        !list.body.contains("ops@city.example"),
        "the search narrows"
    );
    let (_, page_path) = resident_page(&s, "camille@example.org").await;
    let page = ops.get(&page_path).await;
    assert_eq!(page.status, 200);
    let csrf = field(&page.body, "csrf");

    // A suspension needs a reason the resident can read; an action the page
    // does not have is refused in words. Nothing is recorded or done.
    for reason in ["  ", "spam\u{202E}maps"] {
        let refused = ops
            .post(
                &page_path,
                &[("csrf", &csrf), ("action", "suspend"), ("reason", reason)],
            )
            .await;
        assert_eq!(refused.status, 400, "{reason:?}");
        assert!(refused.body.contains("Say why"), "{}", refused.body);
    }
    let unknown = ops
        .post(&page_path, &[("csrf", &csrf), ("action", "erase")])
        .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.body.contains("no such action"), "{}", unknown.body);
    assert!(
        s.app
            .store
            .operator_actions(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(camille.get("/account").await.status, 200);

    let done = ops
        .post(
            &page_path,
            &[
                ("csrf", &csrf),
                ("action", "suspend"),
                ("reason", "Reported for sending spam from the pod"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Suspended since"), "{}", done.body);
    // Her session is over, her password no longer opens one, her script's
    // token is refused and its credentials get no new one.
    assert_eq!(camille.get("/account").await.status, 303);
    let again = Browser::new(&s.base);
    let refused = again
        .sign_in("camille@example.org", PASSWORD, "/account")
        .await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body.contains("suspended this account"),
        "{}",
        refused.body
    );
    let wrong = Browser::new(&s.base)
        .sign_in("camille@example.org", "not her password", "/account")
        .await;
    assert!(
        !wrong.body.contains("suspended"),
        "said only to who knows the password"
    );
    assert_eq!(
        status(as_agent(&s.client, &key, &token, "GET", &root)).await,
        401
    );
    let url = format!("{}/idp/token", s.base);
    let r = s
        .client
        .post(&url)
        .basic_auth(&id, Some(&secret))
        .header("dpop", key.proof("POST", &url, None, crate::common::now()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("suspended"));

    let restored = ops
        .post(&page_path, &[("csrf", &csrf), ("action", "restore")])
        .await;
    assert_eq!(restored.status, 200);
    assert!(restored.body.contains("Active"));
    let camille = s.sign_in("camille@example.org", PASSWORD).await;
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    assert_eq!(
        status(as_agent(&s.client, &key, &token, "GET", &root)).await,
        200
    );

    // Camille reads what was done on her account, why, and by whom.
    let mine = camille.get("/account").await.body;
    let section = mine.split("id=\"operator-actions\"").nth(1).unwrap();
    assert!(
        section.contains("Account suspended: Reported for sending spam from the pod"),
        "{section}"
    );
    assert!(
        section.contains("Account&#39;s suspension lifted")
            || section.contains("Account's suspension lifted"),
        "{section}"
    );
    assert!(section.contains("by ops@city.example"));
    // The operator's log holds both, newest first, naming her.
    let audit = ops.get("/app/operator/audit").await;
    assert_eq!(audit.status, 200);
    let restore_at = audit.body.find("suspension lifted").unwrap();
    let suspend_at = audit.body.find("Account suspended").unwrap();
    assert!(restore_at < suspend_at);
    assert!(audit.body.contains("camille@example.org"));

    // An operator cannot shut themselves out.
    let me = s
        .app
        .store
        .account_by_email("ops@city.example")
        .await
        .unwrap()
        .unwrap();
    let own = format!("/app/operator/residents/{}", me.id);
    let refused = ops
        .post(
            &own,
            &[("csrf", &csrf), ("action", "suspend"), ("reason", "oops")],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("another operator"));

    // To a resident, none of it exists.
    for path in ["/app/operator/residents", &page_path, "/app/operator/audit"] {
        assert_eq!(camille.get(path).await.status, 404, "{path}");
    }
    let forged = camille
        .post(
            &page_path,
            &[("csrf", &field(&mine, "csrf")), ("action", "restore")],
        )
        .await;
    assert_eq!(forged.status, 404);
    assert_eq!(
        s.app.store.operator_actions(None, 10).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn the_operator_raises_a_full_pod_s_quota_and_gives_the_default_back() {
    let s = Server::start_with(|o| o.pod_quota_bytes = 64 * 1024).await;
    let (_camille, pod) = resident(&s, "camille@example.org", "camille").await;
    let put = |len: usize, path: &str| Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "application/octet-stream".into(),
        body: bytes::Bytes::from(vec![7u8; len]),
        precondition: Precondition::None,
    };
    let full = s.app.store.write(&pod, put(100 * 1024, "/big.bin")).await;
    assert!(
        matches!(full, Err(StoreError::QuotaExceeded { .. })),
        "{full:?}"
    );

    let ops = operator(&s).await;
    let (account, page_path) = resident_page(&s, "camille@example.org").await;
    let page = ops.get(&page_path).await;
    assert!(
        page.body.contains("<meter"),
        "usage is drawn: {}",
        page.body
    );
    assert!(page.body.contains("of 64 KiB"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    for bad in ["abc", "0", "99999999"] {
        let r = ops
            .post(
                &page_path,
                &[
                    ("csrf", &csrf),
                    ("action", "quota"),
                    ("pod", "camille"),
                    ("quota_mib", bad),
                ],
            )
            .await;
        assert_eq!(r.status, 400, "{bad}");
    }
    // Another resident's pod is not this account's to change.
    let r = ops
        .post(
            &page_path,
            &[
                ("csrf", &csrf),
                ("action", "quota"),
                ("pod", "ops"),
                ("quota_mib", "5"),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(r.body.contains("no pod of that name"), "{}", r.body);
    let raised = ops
        .post(
            &page_path,
            &[
                ("csrf", &csrf),
                ("action", "quota"),
                ("pod", "camille"),
                ("quota_mib", "2"),
            ],
        )
        .await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    assert!(raised.body.contains("of 2 MiB"), "{}", raised.body);
    s.app
        .store
        .write(&pod, put(100 * 1024, "/big.bin"))
        .await
        .expect("room after the raise, at once");
    let back = ops
        .post(
            &page_path,
            &[
                ("csrf", &csrf),
                ("action", "quota"),
                ("pod", "camille"),
                ("quota_mib", ""),
            ],
        )
        .await;
    assert!(back.body.contains("of 64 KiB"), "{}", back.body);
    let full = s.app.store.write(&pod, put(10, "/more.bin")).await;
    assert!(
        matches!(full, Err(StoreError::QuotaExceeded { .. })),
        "{full:?}"
    );
    let actions = s
        .app
        .store
        .operator_actions(Some(account.id), 10)
        .await
        .unwrap();
    let quotas: Vec<_> = actions.iter().map(|a| a.detail.as_str()).collect();
    assert_eq!(
        quotas,
        ["default", "2097152"],
        "refused changes are not recorded"
    );
    assert!(
        actions
            .iter()
            .all(|a| a.action == OperatorAction::QUOTA && a.pod.as_deref() == Some("camille"))
    );
}

#[tokio::test]
async fn lockouts_are_lifted_and_invitation_and_reset_codes_are_made_once() {
    let s = Server::start().await;
    let (_camille, _) = resident(&s, "camille@example.org", "camille").await;
    let b = Browser::new(&s.base);
    for _ in 0..5 {
        b.sign_in("camille@example.org", "a wrong guess", "/account")
            .await;
    }
    let locked = b.sign_in("camille@example.org", PASSWORD, "/account").await;
    assert_eq!(locked.status, 429, "locked out from this network");

    let ops = operator(&s).await;
    let (account, page_path) = resident_page(&s, "camille@example.org").await;
    let csrf = field(&ops.get(&page_path).await.body, "csrf");
    ops.post(&page_path, &[("csrf", &csrf), ("action", "unlock")])
        .await;
    let opened = b.sign_in("camille@example.org", PASSWORD, "/account").await;
    assert_eq!(opened.status, 303, "{}", opened.body);

    let reset = ops
        .post(&page_path, &[("csrf", &csrf), ("action", "reset")])
        .await;
    let code = reset
        .body
        .split("<code id=\"reset-code\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    let spent = s
        .app
        .store
        .use_password_reset(
            selfdata_oidc::token_hash(&code),
            crate::common::now() * 1000,
        )
        .await
        .unwrap();
    assert_eq!(spent, Some(account.id), "the code is the resident's");

    let list = ops.get("/app/operator/residents").await;
    assert!(list.body.contains("Invitations: 0 made"), "{}", list.body);
    let made = ops
        .post(
            "/app/operator/invites",
            &[("csrf", &field(&list.body, "csrf"))],
        )
        .await;
    let invite = made
        .body
        .split("<code id=\"invite-code\">")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_owned();
    assert!(
        made.body.contains("Invitations: 1 made, 1 not used yet"),
        "{}",
        made.body
    );
    assert!(
        s.app
            .store
            .use_invite(selfdata_oidc::token_hash(&invite))
            .await
            .unwrap()
    );
    assert!(
        !s.app
            .store
            .use_invite(selfdata_oidc::token_hash(&invite))
            .await
            .unwrap()
    );
    // The code is shown once: the list does not show it again.
    assert!(
        !ops.get("/app/operator/residents")
            .await
            .body
            .contains(&invite)
    );

    let kinds: Vec<_> = s
        .app
        .store
        .operator_actions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(
        kinds,
        [
            OperatorAction::INVITE,
            OperatorAction::RESET_CODE,
            OperatorAction::LIFT_LOCKOUTS
        ]
    );
}

/// The next message the sink received, quoted-printable undone.
async fn next_mail(inbox: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
    let raw = tokio::time::timeout(std::time::Duration::from_secs(20), inbox.recv())
        .await
        .expect("a message within 20 s")
        .unwrap();
    raw.replace("=\n", "").replace("=3D", "=")
}

#[tokio::test]
async fn a_resident_who_asked_is_mailed_what_the_operator_did_and_each_new_app() {
    let (s, mut inbox) = crate::common::server_with_mail().await;
    let (camille, _) = resident(&s, "camille@example.org", "camille").await;
    let (_dominique, _) = resident(&s, "dominique@example.org", "dominique").await;
    let page = camille.get("/account").await.body;
    assert!(
        page.contains("id=\"notice-operator\""),
        "the boxes are offered"
    );
    let saved = camille
        .post(
            "/account/notices",
            &[
                ("csrf", &field(&page, "csrf")),
                ("operator", "on"),
                ("apps", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200);
    assert!(saved.body.contains("notices are saved"));
    assert!(
        saved
            .body
            .contains("id=\"notice-apps\" name=\"apps\" value=\"on\" checked")
    );

    let ops = operator(&s).await;
    // Dominique asked for nothing: his suspension mails nothing.
    let (_, dominique_path) = resident_page(&s, "dominique@example.org").await;
    let csrf = field(&ops.get(&dominique_path).await.body, "csrf");
    ops.post(
        &dominique_path,
        &[("csrf", &csrf), ("action", "suspend"), ("reason", "a test")],
    )
    .await;
    let (_, camille_path) = resident_page(&s, "camille@example.org").await;
    ops.post(
        &camille_path,
        &[
            ("csrf", &csrf),
            ("action", "quota"),
            ("pod", "camille"),
            ("quota_mib", "5"),
        ],
    )
    .await;
    let mail = next_mail(&mut inbox).await;
    assert!(mail.contains("camille@example.org"), "{mail}");
    assert!(
        mail.contains("Quota of the pod camille set to 5 MiB"),
        "{mail}"
    );
    assert!(
        mail.contains("Quota de l'espace camille"),
        "French first: {mail}"
    );

    // An app she authorises: told once, not again for the same app.
    let client_id = crate::common::register_app(&s.client, &s.base, "Budget Helper").await;
    let authorize = crate::common::authorize_path(&client_id);
    let webid = format!("{}/camille/profile/card#me", s.base);
    assert_eq!(
        camille.consent(&authorize, &webid, "allow").await.status,
        303
    );
    let mail = next_mail(&mut inbox).await;
    assert!(
        mail.contains("The app Budget Helper may now act as you"),
        "{mail}"
    );
    camille.consent(&authorize, &webid, "allow").await;

    // Asked for nothing more: nothing more.
    let page = camille.get("/account").await.body;
    camille
        .post("/account/notices", &[("csrf", &field(&page, "csrf"))])
        .await;
    ops.post(
        &camille_path,
        &[
            ("csrf", &csrf),
            ("action", "quota"),
            ("pod", "camille"),
            ("quota_mib", ""),
        ],
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    if let Ok(extra) = inbox.try_recv() {
        panic!("no message was asked for: {extra}");
    }
}

//! "Who has what on me?" over real HTTP: consent records created when an app
//! is allowed on the consent screen and when the owner shares a folder;
//! withdrawal from /app/privacy refusing the very next request of the app or the
//! person and recorded as a ConsentWithdrawn event; CSRF on every form;
//! security headers on every page; rights against holders (registry,
//! letter, deadline).

use crate::common;

use crate::common::{
    Browser, Server, as_agent, client_credentials_token, field, status_of, unescape,
};
use selfdata_consent::{Kind, Record, State};
use selfdata_oidc::DpopKey;

use crate::common::PASSWORD;

/// The consent record ids linked from a page.
fn record_ids(html: &str) -> Vec<String> {
    let mut out: Vec<String> = html
        .split("/app/privacy/consents/")
        .skip(1)
        .map(|s| s[..s.find(['"', '/']).unwrap()].to_owned())
        .collect();
    out.dedup();
    out
}

/// A browser in which carol has just signed up, with a pod of her own.
async fn carol(s: &Server) -> Browser {
    let b = Browser::new(&s.base);
    let signed_up = b.sign_up("carol@example.org", PASSWORD, "carol").await;
    assert_eq!(signed_up.status, 303);
    b
}

/// The record `id` as the resident downloads it (the receipt).
async fn receipt(b: &Browser, id: &str) -> Record {
    let r = b
        .response(&format!("/app/privacy/consents/{id}/receipt"))
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/turtle")
    );
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = r.text().await.unwrap();
    Record::parse(body.as_bytes(), "https://x.example/r.ttl").unwrap()
}

/// An app allowed by carol on the consent screen: its access token.
async fn allowed_app(s: &Server, b: &Browser, name: &str) -> (DpopKey, String) {
    let client_id = common::register_app(&s.client, &s.base, name).await;
    let carol = format!("{}/carol/profile/card#me", s.base);
    let answer = b
        .consent(&common::authorize_path(&client_id), &carol, "allow")
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.location.unwrap();
    common::redeem_code(&s.client, &s.base, &client_id, &location).await
}

#[tokio::test]
async fn an_allowed_app_has_a_consent_record_and_revoking_it_on_privacy_refuses_its_next_request() {
    let s = Server::start().await;
    let b = carol(&s).await;
    let (key, access) = allowed_app(&s, &b, "Budget Helper").await;
    let root = format!("{}/carol/", s.base);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access, "GET", &root)).await,
        200
    );

    let page = b.get("/app/privacy").await;
    assert_eq!(page.status, 200);
    let page = page.body;
    assert!(page.contains("Budget Helper"), "the app is listed");
    let ids = record_ids(&page);
    let app_record = ids
        .iter()
        .find(|i| i.starts_with("app-"))
        .expect("a link to the app's consent record")
        .clone();
    let r = receipt(&b, &app_record).await;
    assert_eq!(r.kind, Kind::App);
    assert_eq!(r.state(), State::Given);
    assert_eq!(r.controller.name, "Budget Helper");
    assert_eq!(r.subject, format!("{}/carol/profile/card#me", s.base));
    assert_eq!(r.legal_basis, "https://w3id.org/dpv#Consent");
    assert_eq!(r.purpose, "https://w3id.org/dpv#ServiceProvision");
    assert!(r.notice.as_ref().unwrap().hash.starts_with("sha256:"));
    // The record is a resource of the pod.
    let stored = selfdata_store::Backend::get(
        s.app.store.as_ref(),
        &selfdata_store::PodName::parse("carol").unwrap(),
        &selfdata_store::ResourcePath::parse(&format!("/selfdata/consents/{app_record}.ttl"))
            .unwrap(),
    )
    .await
    .unwrap();
    assert!(stored.is_some(), "the record is stored in the pod");
    let view = b.get(&format!("/app/privacy/consents/{app_record}")).await;
    assert_eq!(view.status, 200);
    assert!(view.body.contains("Budget Helper") && view.body.contains("/receipt"));

    // The app's grant id, from the revoke form.
    let grant = {
        let at = page.find("action=\"/app/privacy/apps/revoke\"").unwrap();
        field(&page[at..], "id")
    };
    // Without the CSRF token nothing happens.
    let status = b
        .post("/app/privacy/apps/revoke", &[("id", &grant)])
        .await
        .status;
    assert_eq!(status, 403);
    let status = b
        .post(
            "/app/privacy/apps/revoke",
            &[("csrf", "forged"), ("id", &grant)],
        )
        .await
        .status;
    assert_eq!(status, 403);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access, "GET", &root)).await,
        200
    );

    let csrf = field(&page, "csrf");
    let after = b
        .post(
            "/app/privacy/apps/revoke",
            &[("csrf", &csrf), ("id", &grant)],
        )
        .await;
    assert_eq!(after.status, 200);
    assert!(after.body.contains("no longer has access"));
    assert!(!after.body.contains("action=\"/app/privacy/apps/revoke\""));
    // The very next request of the app is refused.
    let refused = status_of(as_agent(&s.client, &key, &access, "GET", &root)).await;
    assert!(refused == 401 || refused == 403, "{refused}");
    let r = receipt(&b, &app_record).await;
    assert_eq!(r.state(), State::Withdrawn);
    assert_eq!(r.events.len(), 2);
    assert!(r.events[1].time >= r.events[0].time);
}

#[tokio::test]
async fn sharing_with_a_person_writes_the_acl_and_a_record_and_removing_them_refuses_their_next_request()
 {
    let s = Server::start().await;
    let b = carol(&s).await;
    // bob: a pod of his own, and a token for his WebID.
    let bob = s
        .app
        .create_pod(&selfdata_store::PodName::parse("bob").unwrap())
        .await
        .unwrap();
    let key = DpopKey::generate();
    let token =
        client_credentials_token(&s.client, &s.base, &bob.client_id, &bob.client_secret, &key)
            .await;
    let folder = format!("{}/carol/selfdata/", s.base);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &folder)).await,
        403
    );

    let page = b.get("/app/privacy").await.body;
    assert!(page.contains("Nobody else has access"));
    let csrf = field(&page, "csrf");
    // Without the CSRF token, nothing is shared.
    let status = b
        .post(
            "/app/privacy/share",
            &[
                ("webid", &bob.webid),
                ("folder", "/selfdata/"),
                ("mode", "read"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 403);
    // A folder that does not exist, a WebID that is not one.
    let status = b
        .post(
            "/app/privacy/share",
            &[
                ("csrf", &csrf),
                ("webid", &bob.webid),
                ("folder", "/nope/"),
                ("mode", "read"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 400);
    let status = b
        .post(
            "/app/privacy/share",
            &[
                ("csrf", &csrf),
                ("webid", "bob"),
                ("folder", "/selfdata/"),
                ("mode", "read"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 400);

    let shared = b
        .post(
            "/app/privacy/share",
            &[
                ("csrf", &csrf),
                ("webid", &bob.webid),
                ("folder", "selfdata"),
                ("mode", "read"),
            ],
        )
        .await;
    assert_eq!(shared.status, 200, "{}", shared.body);
    let page = shared.body;
    assert!(page.contains(&bob.webid), "bob is listed");
    // The very next request of bob is allowed, for reading only.
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &folder)).await,
        200
    );
    let put = as_agent(&s.client, &key, &token, "PUT", &format!("{folder}x.ttl"))
        .header("content-type", "text/turtle")
        .body("<#a> <#b> <#c> .");
    assert_eq!(status_of(put).await, 403);
    // The page shows when bob last read (the log is appended every 100 ms).
    let mut seen = false;
    for _ in 0..50 {
        let now = b.get("/app/privacy").await.body;
        let person = now.split("class=\"person-access\"").nth(1).unwrap_or("");
        let person = person.split("</li>").next().unwrap_or("");
        if !person.contains("none recorded") && person.contains(&bob.webid) {
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(seen, "bob's last access is shown");
    let person = record_ids(&page)
        .into_iter()
        .find(|i| i.starts_with("person-"))
        .expect("a link to the sharing's consent record");
    let r = receipt(&b, &person).await;
    assert_eq!(r.kind, Kind::Person);
    assert_eq!(r.state(), State::Given);
    assert_eq!(r.controller.id, bob.webid);
    assert_eq!(r.data, vec![folder.clone()]);
    assert_eq!(
        r.modes,
        vec!["http://www.w3.org/ns/auth/acl#Read".to_owned()]
    );

    // The owner keeps full control of the folder (the new ACL names her).
    let acl = selfdata_store::Backend::get(
        s.app.store.as_ref(),
        &selfdata_store::PodName::parse("carol").unwrap(),
        &selfdata_store::ResourcePath::parse("/selfdata/.acl").unwrap(),
    )
    .await
    .unwrap()
    .unwrap()
    .1;
    let acl = String::from_utf8(acl.to_vec()).unwrap();
    assert!(
        acl.contains("carol/profile/card#me") && acl.contains("Control"),
        "{acl}"
    );

    // Remove: without CSRF refused; then done, and bob's next request is refused.
    let at = page.find("action=\"/app/privacy/people/remove\"").unwrap();
    let (acl_path, agent) = (field(&page[at..], "acl"), field(&page[at..], "agent"));
    assert_eq!(agent, bob.webid);
    let status = b
        .post(
            "/app/privacy/people/remove",
            &[("acl", &acl_path), ("agent", &agent)],
        )
        .await
        .status;
    assert_eq!(status, 403);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &folder)).await,
        200
    );
    let removed = b
        .post(
            "/app/privacy/people/remove",
            &[("csrf", &csrf), ("acl", &acl_path), ("agent", &agent)],
        )
        .await;
    assert_eq!(removed.status, 200);
    assert!(removed.body.contains("Nobody else has access"));
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &folder)).await,
        403
    );
    let r = receipt(&b, &person).await;
    assert_eq!(r.state(), State::Withdrawn);
    // The owner cannot be removed, nor an agent not listed.
    let status = b
        .post(
            "/app/privacy/people/remove",
            &[
                ("csrf", &csrf),
                ("acl", "/.acl"),
                ("agent", &format!("{}/carol/profile/card#me", s.base)),
            ],
        )
        .await
        .status;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn every_privacy_form_needs_its_csrf_token_and_every_page_carries_the_security_headers() {
    let s = Server::start().await;
    let b = carol(&s).await;
    for path in [
        "/app/privacy/apps/revoke",
        "/app/privacy/people/remove",
        "/app/privacy/share",
        "/app/privacy/requests/holders",
        "/app/privacy/requests/sent",
    ] {
        let status = b.post(path, &[("id", "x"), ("name", "x")]).await.status;
        assert_eq!(status, 403, "{path} without a CSRF token");
        let status = b
            .post(path, &[("csrf", "wrong"), ("name", "x")])
            .await
            .status;
        assert_eq!(status, 403, "{path} with a wrong CSRF token");
    }
    for path in [
        "/app/privacy",
        "/app/privacy/requests",
        "/app/privacy/consents/app-0000",
        "/account",
        "/account/login",
        "/app/energy",
        "/app/energy/tariffs",
    ] {
        let r = b.response(path).await;
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{path} has a CSP"))
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
    }
    // Without a session, the pages send the resident to sign in.
    let r = s
        .client
        .get(format!("{}/app/privacy", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn pages_carry_hsts_when_the_server_is_reached_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let options = selfdata::Options::new(dir.path(), "https://pods.example");
    let app = selfdata::App::open(options).await.unwrap();
    let router = app.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let r = reqwest::get(format!("http://{addr}/account/login"))
        .await
        .unwrap();
    let hsts = r.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");
}

#[tokio::test]
async fn rights_against_holders_registry_letter_and_deadline() {
    let s = Server::start_with(|o| o.today = Some("2025-03-20".parse().unwrap())).await;
    let b = carol(&s).await;
    let page = b.get("/app/privacy/requests").await;
    assert_eq!(page.status, 200);
    let page = page.body;
    assert!(page.contains("Enedis") && page.contains("GRDF") && page.contains("EDF"));
    let csrf = field(&page, "csrf");
    // Edit the registry: Enedis gets the resident's PRM and a contact.
    let saved = b
        .post(
            "/app/privacy/requests/holders",
            &[
                ("csrf", &csrf),
                ("name", "Enedis"),
                ("contact", "dpo@holder.example"),
                ("identifier", "12345678901234"),
                ("name", "Ma mairie"),
                ("contact", ""),
                ("identifier", ""),
                ("name", "Eau du Grand Lyon"),
                ("contact", ""),
                ("identifier", "W-42"),
            ],
        )
        .await;
    assert_eq!(saved.status, 200);
    assert!(saved.body.contains("dpo@holder.example") && !saved.body.contains("GRDF"));
    // The letter, in French, for portability.
    let letter = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("holder", "0"),
                ("article", "20"),
                ("letter_lang", "fr"),
                ("name", "Carol Martin"),
                ("email", "carol@example.org"),
            ],
        )
        .await;
    assert_eq!(letter.status, 200);
    let page = letter.body;
    assert!(page.contains("article 20 du RGPD"), "{page}");
    assert!(page.contains("12345678901234") && page.contains("dpo@holder.example"));
    assert!(page.contains("Carol Martin, le 2025-03-20"));
    let en = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("holder", "2"),
                ("article", "15"),
                ("letter_lang", "en"),
            ],
        )
        .await
        .body;
    assert!(en.contains("Article 15") && en.contains("W-42"));
    // Two requests sent: one long ago (overdue), one recently (due soon).
    for (holder, date) in [("0", "2025-02-01"), ("2", "2025-02-25")] {
        let status = b
            .post(
                "/app/privacy/requests/sent",
                &[
                    ("csrf", &csrf),
                    ("holder", holder),
                    ("article", "15"),
                    ("lang", "fr"),
                    ("sent", date),
                ],
            )
            .await
            .status;
        assert_eq!(status, 200);
    }
    let status = b
        .post(
            "/app/privacy/requests/sent",
            &[("csrf", &csrf), ("holder", "0"), ("sent", "yesterday")],
        )
        .await
        .status;
    assert_eq!(status, 400);
    let page = b.get("/app/privacy/requests").await.body;
    assert!(page.contains("Answer due by 2025-03-01"));
    assert!(page.contains("Overdue"));
    assert!(page.contains("Answer due by 2025-03-25") && page.contains("Due in 5 days"));
    assert!(
        page.contains("/app/energy"),
        "the answer goes through the import"
    );
    // Marked answered, the reminder goes.
    let page = b
        .post(
            "/app/privacy/requests/sent",
            &[("csrf", &csrf), ("answered", "0")],
        )
        .await
        .body;
    assert!(!page.contains("Overdue"));
    // The registry and the requests are resources of the pod.
    for path in [
        "/selfdata/rights/holders.json",
        "/selfdata/rights/requests.json",
    ] {
        let got = selfdata_store::Backend::get(
            s.app.store.as_ref(),
            &selfdata_store::PodName::parse("carol").unwrap(),
            &selfdata_store::ResourcePath::parse(path).unwrap(),
        )
        .await
        .unwrap();
        assert!(got.is_some(), "{path}");
    }
}

/// The grant id in the first revoke form of `action` on a page.
fn revoke_form_id(page: &str, action: &str) -> Option<String> {
    let at = page.find(&format!("action=\"{action}\""))?;
    Some(field(&page[at..], "id"))
}

#[tokio::test]
async fn revoking_an_app_from_the_account_page_or_from_privacy_has_the_same_effect() {
    let s = Server::start().await;
    let b = carol(&s).await;
    let root = format!("{}/carol/", s.base);
    for (page, action) in [
        ("/account", "/account/grants/revoke"),
        ("/app/privacy", "/app/privacy/apps/revoke"),
    ] {
        let (key, access) = allowed_app(&s, &b, "Budget Helper").await;
        let listing = b.get(page).await.body;
        let grant = revoke_form_id(&listing, action).expect("the app is listed");
        let csrf = field(&listing, "csrf");
        let record = selfdata_consent::id_for(Kind::App, &grant);
        assert_eq!(receipt(&b, &record).await.state(), State::Given);

        let status = b
            .post(action, &[("csrf", &csrf), ("id", &grant)])
            .await
            .status;
        assert_eq!(status, 200, "{action}");
        // The same effect from either page: tokens ended at once, the
        // consent record withdrawn once, the app gone from both pages.
        let refused = status_of(as_agent(&s.client, &key, &access, "GET", &root)).await;
        assert!(refused == 401 || refused == 403, "{action}: {refused}");
        let r = receipt(&b, &record).await;
        assert_eq!(r.state(), State::Withdrawn, "{action}");
        assert_eq!(r.events.len(), 2, "{action}: given, then withdrawn");
        for (other, other_action) in [
            ("/account", "/account/grants/revoke"),
            ("/app/privacy", "/app/privacy/apps/revoke"),
        ] {
            let listing = b.get(other).await.body;
            assert_eq!(revoke_form_id(&listing, other_action), None, "{other}");
            // Revoking it again, from either page, changes nothing.
            let status = b
                .post(other_action, &[("csrf", &csrf), ("id", &grant)])
                .await
                .status;
            assert_eq!(status, 400, "{other_action} on a revoked app");
        }
        assert_eq!(receipt(&b, &record).await.events.len(), 2, "{action}");
    }
}

/// The access log section of the privacy page.
fn log_section(page: &str) -> &str {
    let start = page.find("id=\"log\"").expect("the access log section");
    let end = page[start..]
        .find("</section>")
        .map_or(page.len(), |e| start + e);
    &page[start..end]
}

#[tokio::test]
async fn the_access_log_names_the_app_not_its_raw_client_id_and_a_stranger_in_the_page_language() {
    let s = Server::start().await;
    let b = carol(&s).await;
    let client_id = common::register_app(&s.client, &s.base, "Budget Helper").await;
    let carol = format!("{}/carol/profile/card#me", s.base);
    let answer = b
        .consent(&common::authorize_path(&client_id), &carol, "allow")
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let location = answer.location.unwrap();
    let (key, access) = common::redeem_code(&s.client, &s.base, &client_id, &location).await;
    let root = format!("{}/carol/", s.base);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access, "GET", &root)).await,
        200
    );
    // A stranger, not signed in.
    assert_eq!(status_of(s.client.get(&root)).await, 401);

    let page = b.get("/app/privacy").await;
    assert_eq!(page.status, 200);
    let log = log_section(&page.body);
    assert!(log.contains("<table class=\"log\""), "{log}");
    assert!(log.contains("Budget Helper"), "the app by its name: {log}");
    assert!(!log.contains(&client_id), "no raw client id: {log}");
    assert!(log.contains("someone not signed in"), "{log}");
    assert!(!log.contains("anonymous"), "{log}");

    // In French, the stranger is named in French.
    let r = b
        .request(reqwest::Method::GET, "/app/privacy")
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(log_section(&page).contains("une personne non connectée"));
}

#[tokio::test]
async fn the_account_page_shows_the_pods_address_to_copy_not_a_link_answering_401_and_logged_as_a_stranger()
 {
    let s = Server::start().await;
    let b = carol(&s).await;
    let root = format!("{}/carol/", s.base);
    // What a signed-in browser gets at the pod's own address: not a page.
    assert_eq!(status_of(s.client.get(&root)).await, 401);

    let page = b.get("/account").await;
    assert_eq!(page.status, 200);
    let page = page.body;
    assert!(
        page.contains(&format!("<code class=\"copy\">{root}</code>")),
        "{page}"
    );
    assert!(!page.contains(&format!("href=\"{root}\"")), "{page}");
    assert!(page.contains("It is not a page to open in a browser."));

    let r = b
        .request(reqwest::Method::GET, "/account")
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("Adresse pour les applications"), "{page}");
    assert!(!page.contains(&format!("href=\"{root}\"")));
}

/// `path` on the pages in `lang`, with `b`'s session.
async fn page_in(b: &Browser, path: &str, lang: &str) -> String {
    let r = b
        .request(reqwest::Method::GET, path)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn french_mode_shows_no_water_utility_and_the_english_rights_page_lists_no_ma_banque() {
    let s = Server::start().await;
    let b = carol(&s).await;
    let water = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../energy/tests/fixtures/water_portal.csv"
    ))
    .unwrap();
    s.app
        .import_file(
            &selfdata_store::PodName::parse("carol").unwrap(),
            bytes::Bytes::from(water),
        )
        .await
        .unwrap();

    let fr = page_in(&b, "/app/privacy", "fr").await;
    assert!(fr.contains("<strong>Service des eaux</strong>"), "{fr}");
    assert!(!fr.contains("Water utility"));
    let en = page_in(&b, "/app/privacy", "en").await;
    assert!(en.contains("<strong>Water utility</strong>"));

    let en = page_in(&b, "/app/privacy/requests", "en").await;
    for french in ["Ma banque", "Mon opérateur télécom", "Ma mairie"] {
        assert!(!en.contains(french), "{french} on the English page");
    }
    assert!(en.contains("My bank") && en.contains("My town hall"));
    let fr = page_in(&b, "/app/privacy/requests", "fr").await;
    assert!(fr.contains("Ma banque") && !fr.contains("My bank"));

    // Saved from the English page, the generic entries are still French in
    // French.
    let csrf = field(&en, "csrf");
    let status = b
        .post(
            "/app/privacy/requests/holders",
            &[
                ("csrf", csrf.as_str()),
                ("name", "My bank"),
                ("contact", ""),
                ("identifier", "FR76 1234"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 200);
    let fr = page_in(&b, "/app/privacy/requests", "fr").await;
    assert!(fr.contains("Ma banque") && !fr.contains("My bank"), "{fr}");
}

#[tokio::test]
async fn no_slugs_dpv_iris_nanosecond_timestamps_or_unseparated_numbers_where_a_resident_reads() {
    let s = Server::start().await;
    let b = carol(&s).await;
    let pod = selfdata_store::PodName::parse("carol").unwrap();
    for file in selfdata_energy::demo::household(jiff::civil::date(2026, 10, 15), 1, 2026) {
        s.app
            .import_file(&pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    allowed_app(&s, &b, "Budget Helper").await;

    let en = page_in(&b, "/app/privacy", "en").await;
    let sources = &en[en.find("id=\"sources\"").unwrap()..en.find("id=\"apps\"").unwrap()];
    assert!(!sources.contains("-consumption"), "{sources}");
    assert!(sources.contains("electricity used"), "{sources}");
    // Every count of readings is grouped by thousands.
    let counts: Vec<&str> = sources
        .split("Records</dt><dd>")
        .skip(1)
        .map(|x| &x[..x.find('<').unwrap()])
        .collect();
    assert!(!counts.is_empty(), "{sources}");
    assert!(
        counts.iter().any(|c| c.contains(',')),
        "a year of readings is over a thousand: {counts:?}"
    );
    assert!(
        counts.iter().all(|c| c.len() < 4 || c.contains(',')),
        "{counts:?}"
    );
    let fr = page_in(&b, "/app/privacy", "fr").await;
    assert!(fr.contains("électricité consommée"));
    assert!(fr.contains('\u{202f}'), "French groups with a narrow space");

    let id = record_ids(&en)
        .into_iter()
        .find(|i| i.starts_with("app-"))
        .unwrap();
    let record = page_in(&b, &format!("/app/privacy/consents/{id}"), "en").await;
    assert!(!record.contains("w3id.org"), "{record}");
    assert!(record.contains("your consent") && record.contains("providing the service"));
    let shown = record
        .split("</time>")
        .next()
        .and_then(|x| x.rsplit('>').next())
        .unwrap();
    assert_eq!(shown.len(), "2026-10-15 12:00".len(), "{shown}");
    let fr = page_in(&b, &format!("/app/privacy/consents/{id}"), "fr").await;
    assert!(fr.contains("votre consentement"), "{fr}");
}

#[tokio::test]
async fn the_rights_letter_names_the_holder_once_gives_the_meter_number_and_keeps_name_and_email_out_of_the_url()
 {
    let s = Server::start().await;
    let b = carol(&s).await;
    let pod = selfdata_store::PodName::parse("carol").unwrap();
    for file in selfdata_energy::demo::household(jiff::civil::date(2026, 10, 15), 1, 2026) {
        s.app
            .import_file(&pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let page = b.get("/app/privacy/requests").await.body;
    // The form is posted (with its CSRF token), not a GET putting the
    // resident's name and e-mail in the address.
    assert!(
        page.contains("<form method=\"post\" action=\"/app/privacy/requests#letter\">"),
        "{page}"
    );
    assert!(!page.contains("method=\"get\" action=\"/app/privacy/requests"));
    let csrf = field(&page, "csrf");
    let status = b
        .post(
            "/app/privacy/requests",
            &[("holder", "0"), ("name", "Carol")],
        )
        .await
        .status;
    assert_eq!(status, 403, "no letter without the CSRF token");
    let page = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("holder", "0"),
                ("article", "15"),
                ("letter_lang", "en"),
                ("name", "Carol Martin"),
                ("email", "carol@example.org"),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    let page = page.body;
    let start = page.find("<textarea id=\"rq-letter\"").expect("a letter");
    let letter = unescape(&page[start..start + page[start..].find("</textarea>").unwrap()]);
    assert!(letter.contains("Carol Martin") && letter.contains("carol@example.org"));
    // Enedis once, in its published address.
    assert_eq!(letter.matches("Enedis").count(), 2, "{letter}");
    assert!(!letter.contains("Enedis\nEnedis"), "{letter}");
    // The meter the pod knows from its imported files.
    common::meter_number(&letter);
}

/// Regression: marking a request that is no longer listed (another tab
/// removed it) said an *access* was not listed.
#[tokio::test]
async fn marking_a_request_no_longer_listed_says_the_request_is_gone() {
    let s = Server::start_with(|o| o.today = Some("2025-03-20".parse().unwrap())).await;
    let b = carol(&s).await;
    let csrf = field(&b.get("/app/privacy/requests").await.body, "csrf");
    for field_name in ["answered", "erased"] {
        let page = b
            .post(
                "/app/privacy/requests/sent",
                &[("csrf", &csrf), (field_name, "7")],
            )
            .await;
        assert_eq!(page.status, 400, "{field_name}");
        assert!(
            page.body
                .contains("This request is not listed any more; the page was refreshed."),
            "{field_name}: {}",
            page.body
        );
    }
}

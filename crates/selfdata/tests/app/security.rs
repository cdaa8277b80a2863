//! Regression tests for the adversarial review of the pod server (issue 9),
//! each named after its finding, over real HTTP on loopback: one resident
//! attacking another, anonymous callers attacking both.

use crate::common;

use crate::common::{Browser, Resident, Server, now, problem};
use reqwest::Method;
use selfdata_store::{PodName, StoreError};

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Finding 1 (critical): HTML or SVG stored in a pod ran with the pages'
/// origin. Every LDP answer is now inert: never sniffed, sandboxed (an
/// opaque origin that cannot read the pages), active types as attachments.
#[tokio::test]
async fn pod_content_runs_with_the_resident_pages_origin() {
    let s = Server::start().await;
    let page = "<html><script>fetch('/account').then(r=>r.text())</script></html>";
    for (path, ct) in [
        ("/public/page.html", "text/html"),
        ("/public/pic.svg", "image/svg+xml"),
        ("/public/page.xhtml", "application/xhtml+xml; charset=utf-8"),
    ] {
        let r = s
            .req("PUT", path)
            .header("content-type", ct)
            .body(page)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
        let r = s.req("GET", path).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            header(&r, "x-content-type-options").as_deref(),
            Some("nosniff")
        );
        let csp = header(&r, "content-security-policy").unwrap_or_default();
        assert!(
            csp.split(';').any(|d| d.trim() == "sandbox"),
            "{path}: {csp}"
        );
        assert!(!csp.contains("allow-same-origin"), "{csp}");
        assert!(!csp.contains("allow-scripts"), "{csp}");
        assert_eq!(
            header(&r, "content-disposition").as_deref(),
            Some("attachment"),
            "{path} is downloaded, not rendered"
        );
    }
    // Plain data is sandboxed too, but still shown inline.
    s.put_turtle("/notes/a.ttl", "<#a> <#b> <#c> .").await;
    let r = s.req("GET", "/notes/a.ttl").send().await.unwrap();
    assert!(
        header(&r, "content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(header(&r, "content-disposition"), None);
    // Errors and containers as well: nothing the LDP side answers is a page.
    let r = s.client.get(s.url("/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        header(&r, "content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
}

/// Finding 7: the CORS layer answered every route with the caller's origin
/// and credentials allowed, so a page on another port read `/account`.
/// Finding 1, the second wall: the operator may put the pages (and the
/// identity provider) on an origin of their own. Nothing is served from the
/// wrong origin, tokens issued by the pages' issuer open the pods, and the
/// session cookie is host-only, so a browser sends it to the pages' host
/// alone.
#[tokio::test]
async fn pods_and_pages_can_live_on_separate_origins() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let pods = format!("http://127.0.0.1:{}", addr.port());
    let pages = format!("http://localhost:{}", addr.port());
    let mut options = selfdata::Options::new(dir.path(), &pods);
    options.pages_url = Some(pages.clone());
    let app = selfdata::App::open(options).await.unwrap();
    let alice = app
        .create_pod(&PodName::parse("alice").unwrap())
        .await
        .unwrap();
    let password = "correct horse battery";
    app.idp
        .create_account(
            "carol@example.org",
            password,
            &PodName::parse("carol").unwrap(),
        )
        .await
        .unwrap();
    let router = app.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", addr)
        .build()
        .unwrap();
    let location = |r: &reqwest::Response| header(r, "location").unwrap_or_default();

    // The pod and its WebID live on the pods' origin; its profile names the
    // pages' origin as issuer, whose discovery document agrees.
    assert!(alice.webid.starts_with(&format!("{pods}/alice/")));
    let card = client.get(&alice.webid).send().await.unwrap();
    assert_eq!(card.status(), 200);
    assert!(card.text().await.unwrap().contains(&format!("<{pages}/>")));
    let discovery = format!("{pages}/.well-known/openid-configuration");
    let config = common::json_of(client.get(&discovery)).await;
    assert_eq!(config["issuer"], format!("{pages}/"));
    assert_eq!(config["token_endpoint"], format!("{pages}/idp/token"));

    // Nothing is served from the wrong origin: each is sent to the other.
    for (asked, expected) in [
        (format!("{pods}/account"), format!("{pages}/account")),
        (
            format!("{pods}/app/energy?period=month"),
            format!("{pages}/app/energy?period=month"),
        ),
        (
            format!("{pods}/.well-known/openid-configuration"),
            discovery.clone(),
        ),
        (
            format!("{pages}/alice/profile/card"),
            format!("{pods}/alice/profile/card"),
        ),
        (format!("{pages}/carol/"), format!("{pods}/carol/")),
    ] {
        let r = client.get(&asked).send().await.unwrap();
        assert_eq!(r.status(), 308, "{asked}");
        assert_eq!(location(&r), expected, "{asked}");
    }
    let r = client
        .put(format!("{pages}/alice/notes/a.txt"))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        308,
        "a write on the pages' origin is not served there"
    );

    // A token from the pages' issuer opens the pod on the pods' origin.
    let key = selfdata_oidc::DpopKey::generate();
    let token = common::client_credentials_token(
        &client,
        &pages,
        &alice.client_id,
        &alice.client_secret,
        &key,
    )
    .await;
    let note = format!("{pods}/alice/notes/a.txt");
    let r = common::as_agent(&client, &key, &token, "PUT", &note)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // Signing in on the pages' origin: the cookie names no Domain (host-only),
    // and the account page shows the pod on the pods' origin.
    let b = Browser::with(
        &pages,
        reqwest::Client::builder().resolve("localhost", addr),
    );
    let signed_in = b.sign_in("carol@example.org", password, "/account").await;
    assert_eq!(signed_in.status, 303, "login refused");
    let set_cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .find(|c| !c.split(';').next().unwrap().ends_with('='))
        .expect("a session cookie");
    assert!(
        !set_cookie.to_ascii_lowercase().contains("domain="),
        "{set_cookie}"
    );
    let account = b.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains(&format!("{pods}/carol/")));
}

#[tokio::test]
async fn cors_answers_the_account_pages_to_any_origin_with_credentials() {
    let s = Server::start().await;
    let evil = "http://127.0.0.1:1";
    for path in [
        "/account",
        "/account/login",
        "/app/privacy",
        "/app/energy",
        "/idp/authorize",
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .header("origin", evil)
            .send()
            .await
            .unwrap();
        assert_eq!(header(&r, "access-control-allow-origin"), None, "{path}");
        assert_eq!(
            header(&r, "access-control-allow-credentials"),
            None,
            "{path}"
        );
        let pre = s
            .client
            .request(Method::OPTIONS, format!("{}{path}", s.base))
            .header("origin", evil)
            .header("access-control-request-method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(
            header(&pre, "access-control-allow-origin"),
            None,
            "preflight {path}"
        );
    }
    // The Solid API and the token endpoint still serve browser apps.
    let r = s
        .req("GET", "/")
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&r, "access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let pre = s
        .client
        .request(Method::OPTIONS, format!("{}/idp/token", s.base))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(&pre, "access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
}

/// Finding 2 (critical): after erasure the old keys kept working and the
/// name could be registered again, handing the old WebID to a newcomer.
#[tokio::test]
async fn erasure_leaves_the_erased_pods_credentials_alive_and_its_name_can_be_taken_again() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bobby").await;
    // Bob's token works on his pod, and alice shares a note with his WebID.
    let bob_root = format!("{}/bobby/", s.base);
    assert_eq!(
        bob.req(&s, "GET", &bob_root).send().await.unwrap().status(),
        200
    );
    s.put_turtle("/shared/note.ttl", "<#n> <#says> \"hello bob\" .")
        .await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{}>; acl:default <./>; acl:mode acl:Read.\n",
        s.webid, bob.webid
    );
    assert!(
        s.put_turtle("/shared/.acl", &acl)
            .await
            .status()
            .is_success()
    );
    let note = s.url("/shared/note.ttl");
    assert_eq!(
        bob.req(&s, "GET", &note).send().await.unwrap().status(),
        200
    );

    let receipt = s
        .app
        .delete_pod(&PodName::parse("bobby").unwrap())
        .await
        .unwrap();
    assert!(receipt.to_string().contains(&bob.webid), "{receipt}");

    // The old access token fails at once, everywhere.
    let r = bob.req(&s, "GET", &note).send().await.unwrap();
    assert_eq!(
        r.status(),
        401,
        "the erased WebID's token still reads alice's note"
    );
    // The old client credentials no longer give a token.
    let url = format!("{}/idp/token", s.base);
    let r = s
        .client
        .post(&url)
        .basic_auth(&bob.client_id, Some(&bob.client_secret))
        .header("dpop", bob.key.proof("POST", &url, None, now()))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // Nobody can take the name (and with it the old WebID alice's ACL names).
    let again = s
        .app
        .store
        .create_pod(&PodName::parse("bobby").unwrap())
        .await;
    assert!(matches!(again, Err(StoreError::PodExists(_))), "{again:?}");
    assert!(
        s.app
            .create_pod(&PodName::parse("bobby").unwrap())
            .await
            .is_err()
    );
}

/// Finding 3 (high): an empty SPARQL Update needed no access mode, so
/// anyone learnt whether a resource exists and rewrote it.
#[tokio::test]
async fn an_empty_sparql_update_needs_no_access_mode() {
    let s = Server::start().await;
    s.put_turtle("/private/doc.ttl", "<#a> <#b> <#c> .").await;
    let before = s.req("GET", "/private/doc.ttl").send().await.unwrap();
    let etag = header(&before, "etag").unwrap();
    let mut answers = Vec::new();
    for path in ["/private/doc.ttl", "/private/missing.ttl"] {
        for (ct, body) in [
            ("application/sparql-update", ""),
            ("application/sparql-update", "INSERT DATA {}"),
            ("text/plain", "anything"),
        ] {
            let r = s
                .client
                .patch(s.url(path))
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            answers.push(problem(r).await.0);
        }
    }
    assert!(answers.iter().all(|&a| a == 401), "{answers:?}");
    let after = s.req("GET", "/private/doc.ttl").send().await.unwrap();
    assert_eq!(
        header(&after, "etag").unwrap(),
        etag,
        "nothing was rewritten"
    );
}

/// Finding 16 (medium): PATCH read and parsed up to 64 MB before
/// authorising. A stranger is now refused before the body is read, and the
/// owner's patches are limited to 1 MiB.
#[tokio::test]
async fn patch_reads_and_parses_the_body_before_authorising() {
    let s = Server::start().await;
    let big = format!(
        "INSERT DATA {{ {} }}",
        "<#s> <#p> \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\" . ".repeat(60_000)
    );
    assert!(big.len() > 2 * 1024 * 1024);
    let r = s
        .client
        .patch(s.url("/doc.ttl"))
        .header("content-type", "application/sparql-update")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 401, "refused before reading the body");
    let r = s
        .req("PATCH", "/doc.ttl")
        .header("content-type", "application/sparql-update")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 413);
}

/// Finding 15 (medium): `acl:origin` was ignored for every authenticated
/// request. An authorization that lists origins now applies only to
/// requests from one of them.
#[tokio::test]
async fn acl_origin_is_ignored_for_every_authenticated_request() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bobby").await;
    s.put_turtle("/app-data/doc.ttl", "<#a> <#b> <#c> .").await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{}>; acl:origin <https://notes.example>; acl:default <./>; acl:mode acl:Read.\n",
        s.webid, bob.webid
    );
    assert!(
        s.put_turtle("/app-data/.acl", &acl)
            .await
            .status()
            .is_success()
    );
    let doc = s.url("/app-data/doc.ttl");
    let from = |origin: &str| {
        bob.req(&s, "GET", &doc)
            .header("origin", origin.to_owned())
            .send()
    };
    assert_eq!(from("https://notes.example").await.unwrap().status(), 200);
    assert_eq!(
        from("https://evil.example").await.unwrap().status(),
        403,
        "bob's grant is for one app only"
    );
}

/// Low: an empty or unparsable `.acl` locked the owner out of a subtree for
/// good. The owner always keeps Control, so they can repair it.
#[tokio::test]
async fn an_empty_or_unparsable_acl_locks_the_owner_out_for_good() {
    let s = Server::start().await;
    s.put_turtle("/box/doc.ttl", "<#a> <#b> <#c> .").await;
    let r = s
        .req("PUT", "/box/.acl")
        .header("content-type", "text/turtle")
        .body("")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        s.get_text("/box/doc.ttl").await.0,
        403,
        "the empty ACL grants nothing"
    );
    // The owner reads and repairs the ACL.
    assert_eq!(s.get_text("/box/.acl").await.0, 200);
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n",
        s.webid
    );
    assert!(s.put_turtle("/box/.acl", &acl).await.status().is_success());
    assert_eq!(s.get_text("/box/doc.ttl").await.0, 200);
}

/// Low: an agent with Append could create a container named `.acl/`, the
/// slash twin of the ACL, and so stop the owner from ever writing it.
#[tokio::test]
async fn an_agent_with_append_can_create_a_container_named_acl() {
    let s = Server::start().await;
    for path in [
        "/drop/.acl/x.ttl",
        "/drop/.acl/",
        "/drop/x.meta/y",
        "/drop/page.acl/",
    ] {
        let r = s
            .req("PUT", path)
            .header("content-type", "text/turtle")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(problem(r).await.0, 400, "{path}");
    }
    let r = s
        .req("POST", "/")
        .header("content-type", "text/turtle")
        .header("slug", ".acl")
        .header(
            "link",
            "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let location = header(&r, "location").unwrap();
    assert!(!location.ends_with(".acl/"), "{location}");
}

/// Low: group documents of other pods were read without authorisation when
/// an ACL named them: access followed a list its owner keeps private.
#[tokio::test]
async fn group_documents_of_other_pods_are_read_without_authorisation() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bobby").await;
    let carol = Resident::new(&s, "carol").await;
    // Bob's private group lists carol.
    let group_url = format!("{}/bobby/groups/friends.ttl", s.base);
    let group = format!(
        "<#friends> <http://www.w3.org/2006/vcard/ns#hasMember> <{}> .",
        carol.webid
    );
    let r = bob
        .req(&s, "PUT", &group_url)
        .header("content-type", "text/turtle")
        .body(group)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    // Alice grants Read to bob's group.
    s.put_turtle("/club/doc.ttl", "<#a> <#b> <#c> .").await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#club> a acl:Authorization; acl:agentGroup <{group_url}#friends>; acl:default <./>; acl:mode acl:Read.\n",
        s.webid
    );
    assert!(s.put_turtle("/club/.acl", &acl).await.status().is_success());
    let doc = s.url("/club/doc.ttl");
    assert_eq!(
        carol.req(&s, "GET", &doc).send().await.unwrap().status(),
        403,
        "alice may not read bob's private group, so it grants nothing"
    );
    // Once bob lets alice read the group, its members get in.
    let group_acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./friends.ttl>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#alice> a acl:Authorization; acl:agent <{}>; acl:accessTo <./friends.ttl>; acl:mode acl:Read.\n",
        bob.webid, s.webid
    );
    let acl_url = format!("{group_url}.acl");
    let r = bob
        .req(&s, "PUT", &acl_url)
        .header("content-type", "text/turtle")
        .body(group_acl)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        carol.req(&s, "GET", &doc).send().await.unwrap().status(),
        200
    );
}

/// A portal load curve for 15 January 2025, every half-hour at `watts`.
fn one_day_load_curve(watts: u32) -> String {
    let mut out = String::from(
        "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes\r\n\
         01234567890123;Courbe de charge;15/01/2025;16/01/2025;Energie active;Consommation;Comptage Brut;W;30\r\n\
         Horodate;Valeur\r\n",
    );
    for slot in 1..=48 {
        let (h, m) = (slot * 30 / 60, slot * 30 % 60);
        let stamp = if h == 24 {
            "2025-01-16T00:00:00+01:00".to_owned()
        } else {
            format!("2025-01-15T{h:02}:{m:02}:00+01:00")
        };
        out.push_str(&format!("{stamp};{watts}\r\n"));
    }
    out
}

/// Finding 10 (medium): Append on an inbox imported meter files into the
/// owner's energy data: an appender overwrote readings and learnt from the
/// answer whether a guessed value was stored.
#[tokio::test]
async fn append_on_an_inbox_imports_meter_files_into_the_owners_energy_data() {
    let s = Server::start().await;
    // The usual inbox: anyone may append.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#drop> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:mode acl:Append.\n",
        s.webid
    );
    assert!(
        s.put_turtle("/inbox/.acl", &acl)
            .await
            .status()
            .is_success()
    );
    // The owner's own readings: 1 kW all day.
    let r = s
        .req("POST", "/inbox/")
        .header("content-type", "text/csv")
        .body(one_day_load_curve(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "the owner's file is imported");
    let day = || async {
        let r = s
            .req(
                "GET",
                "/selfdata/energy/api/consumption?fluid=electricity&from=2025-01-15&to=2025-01-16&step=day",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    let before = day().await;
    let total = |answer: &str| {
        serde_json::from_str::<serde_json::Value>(answer).unwrap()["total"]["value"].as_f64()
    };
    assert_eq!(total(&before), Some(24.0), "1 kW for 24 hours: {before}");
    // A stranger posts the same day at 5 kW, and again with the owner's values.
    for watts in [5000, 1000] {
        let r = s
            .client
            .post(s.url("/inbox/"))
            .header("content-type", "text/csv")
            .body(one_day_load_curve(watts))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "stored as a proposal");
        let location = header(&r, "location").unwrap();
        assert!(location.starts_with(&s.url("/inbox/")), "{location}");
        assert!(
            r.text().await.unwrap().is_empty(),
            "the answer says nothing about the pod's readings"
        );
    }
    let after = day().await;
    assert_eq!(
        total(&after),
        Some(24.0),
        "the owner's readings are untouched: {after}"
    );
    assert_eq!(after, before);
}

/// Finding 12 (medium): every refused request was appended to the target
/// pod's access log (67 MB in 20 s). A load of anonymous refusals on
/// ever-changing paths now costs the log one entry per minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_request_is_appended_forever_to_the_target_pods_access_log() {
    let s = Server::start().await;
    let checkpoint_size = || async {
        let r = s
            .req("GET", "/selfdata/log/checkpoint")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<serde_json::Value>().await.unwrap()["size"]
            .as_u64()
            .unwrap()
    };
    let before = checkpoint_size().await;
    const REQUESTS: usize = 2_000;
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (client, base) = (s.client.clone(), s.url("/"));
        tasks.spawn(async move {
            for i in 0..REQUESTS / 8 {
                let r = client
                    .get(format!("{base}private/{worker}/{i}.ttl"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 401);
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let after = checkpoint_size().await;
    eprintln!(
        "{REQUESTS} anonymous refusals in {:?}: the log grew by {} entries",
        started.elapsed(),
        after - before
    );
    assert_eq!(after - before, 1, "one gathered entry, not {REQUESTS}");
    let log = selfdata_privacy_web::log::entries_in(
        s.app.store.as_ref(),
        &s.base,
        &PodName::parse("alice").unwrap(),
        &selfdata_privacy_web::log::LogFilter {
            who: Some("anonymous".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let last = &log.last().unwrap().entry;
    assert_eq!(last.count, REQUESTS as u64);
    assert!(last.until_ms.unwrap() >= last.time_ms);
}

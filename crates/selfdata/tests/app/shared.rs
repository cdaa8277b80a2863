//! Two servers over one PostgreSQL database, as a city runs them behind a
//! load balancer: what one server accepts, revokes or changes holds on the
//! other at the very next request. Needs `SELFDATA_TEST_POSTGRES` (see
//! `scripts/postgres.sh`; `scripts/test-all.sh` starts one).

use std::net::SocketAddr;
use std::sync::Arc;

use selfdata::{App, Options};
use selfdata_store::crypto::MasterKey;
use selfdata_store::directory::RevokeScope;
use selfdata_store::postgres::PgSettings;

use crate::common::*;

/// A second server of the same installation as `a` (same database, same
/// master key, same public address), listening on a port of its own.
struct Other {
    addr: SocketAddr,
    app: Arc<App>,
    _dir: tempfile::TempDir,
}

impl Other {
    /// `url` (an address under the public base) as sent to this server.
    fn at(&self, a: &Server, url: &str) -> String {
        url.replacen(&a.base, &format!("http://{}", self.addr), 1)
    }
}

/// Server `a` (the test's usual server, with alice's pod) and `b`.
async fn two_servers() -> (Server, Other) {
    let settings = PgSettings::new(selfdata_store::postgres::testing::fresh_database());
    let master = MasterKey::random();
    let (settings_a, master_a) = (settings.clone(), master.clone());
    let a = Server::start_with(move |o| {
        o.database = Some(settings_a);
        o.master_key = Some(master_a);
    })
    .await;
    let b = another(&a).await;
    (a, b)
}

/// One more server of `a`'s installation.
async fn another(a: &Server) -> Other {
    let dir = tempfile::tempdir().unwrap();
    let mut options = Options::new(dir.path(), &a.base);
    options.database = a.app.options.database.clone();
    options.master_key = a.app.options.master_key.clone();
    options.enedis = a.app.options.enedis.clone();
    let app = Arc::new(App::open(options).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = app.router();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Other {
        addr,
        app,
        _dir: dir,
    }
}

/// A request as alice's owner token, to `server_url`, with a proof made
/// for the public address `url` (what a load balancer passes on).
fn signed_to(
    a: &Server,
    method: &str,
    url: &str,
    server_url: &str,
    proof: Option<String>,
) -> reqwest::RequestBuilder {
    let proof = proof.unwrap_or_else(|| a.key.proof(method, url, Some(&a.token), now()));
    a.client
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            server_url,
        )
        .header("authorization", format!("DPoP {}", a.token))
        .header("dpop", proof)
}

#[tokio::test]
async fn a_dpop_proof_accepted_by_one_server_is_refused_by_the_other() {
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    let url = a.url("/notes/a.ttl");
    // What server b serves, written through server a: one store.
    let fresh = signed_to(&a, "GET", &url, &b.at(&a, &url), None);
    let response = fresh.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("<#b>"));

    let proof = a.key.proof("GET", &url, Some(&a.token), now());
    let first = signed_to(&a, "GET", &url, &url, Some(proof.clone()));
    assert_eq!(
        first.send().await.unwrap().status(),
        200,
        "server a takes it"
    );
    let replayed = signed_to(&a, "GET", &url, &b.at(&a, &url), Some(proof.clone()));
    let (status, detail) = problem(replayed.send().await.unwrap()).await;
    assert_eq!(status, 401, "server b refuses the replay");
    assert!(detail.contains("used before"), "{detail}");
    let again = signed_to(&a, "GET", &url, &url, Some(proof));
    assert_eq!(again.send().await.unwrap().status(), 401, "and so does a");
}

#[tokio::test]
async fn a_revocation_on_one_server_cuts_access_on_the_other_at_the_next_request() {
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    let url = a.url("/notes/a.ttl");
    let before = signed_to(&a, "GET", &url, &b.at(&a, &url), None);
    assert_eq!(before.send().await.unwrap().status(), 200);
    // Revoked on server a (its memory and the store).
    a.app
        .idp
        .revoke(RevokeScope::FamiliesOf(&a.webid))
        .await
        .unwrap();
    let after = signed_to(&a, "GET", &url, &b.at(&a, &url), None);
    let (status, detail) = problem(after.send().await.unwrap()).await;
    assert_eq!(status, 401, "server b no longer takes the token");
    assert!(detail.contains("revoked"), "{detail}");
}

#[tokio::test]
async fn an_acl_change_on_one_server_is_enforced_by_the_other_at_once() {
    let (a, b) = two_servers().await;
    a.put_turtle("/public/page.ttl", "<#p> <#q> 1 .").await;
    let prefixes = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n";
    let owner = format!(
        "<#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.",
        a.webid
    );
    let public = format!(
        "{prefixes}{owner}\n<#p> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Read."
    );
    assert!(
        a.put_turtle("/public/.acl", &public)
            .await
            .status()
            .is_success()
    );
    let page = b.at(&a, &a.url("/public/page.ttl"));
    // Server b decides (and keeps its decision) with the public rule…
    for _ in 0..2 {
        assert_eq!(a.client.get(&page).send().await.unwrap().status(), 200);
    }
    // …which server a withdraws.
    assert!(
        a.put_turtle("/public/.acl", &format!("{prefixes}{owner}"))
            .await
            .status()
            .is_success()
    );
    assert_eq!(
        a.client.get(&page).send().await.unwrap().status(),
        401,
        "server b enforces the new rule at the next request"
    );
}

#[tokio::test]
async fn two_servers_append_to_one_access_log_without_forking_it() {
    let (a, b) = two_servers().await;
    a.put_turtle("/public/page.ttl", "<#p> <#q> 1 .").await;
    let prefixes = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n";
    let owner = format!(
        "<#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.",
        a.webid
    );
    let public = format!(
        "{prefixes}{owner}\n<#p> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Read."
    );
    assert!(
        a.put_turtle("/public/.acl", &public)
            .await
            .status()
            .is_success()
    );
    // Anonymous reads, logged by whichever server serves them, in turns
    // slower than a server's flush (100 ms), so both keep appending.
    let page = a.url("/public/page.ttl");
    for i in 0..12 {
        let url = if i % 2 == 0 {
            page.clone()
        } else {
            b.at(&a, &page)
        };
        assert_eq!(a.client.get(&url).send().await.unwrap().status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(130)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let entries = json_of(a.req("GET", "/selfdata/log/entries?from=0&limit=100")).await;
    let listed = entries["entries"].as_array().unwrap();
    let reads = listed
        .iter()
        .filter(|e| {
            e["resource"]
                .as_str()
                .unwrap_or("")
                .ends_with("/public/page.ttl")
        })
        .count();
    assert_eq!(reads, 12, "every read is in the one log: {entries}");
    let indexes: Vec<u64> = listed
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, (0..listed.len() as u64).collect::<Vec<_>>());
    // The checkpoint either server signs covers all of them.
    let checkpoint = json_of(a.req("GET", "/selfdata/log/checkpoint")).await;
    assert_eq!(checkpoint["size"].as_u64().unwrap(), listed.len() as u64);
}

#[tokio::test]
async fn a_token_signed_by_a_key_rotated_in_while_servers_run_is_taken_by_every_server() {
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    // The operator rotates the keys while a and b run; server c starts
    // after, signing with the new key, which b has never read.
    selfdata_idp::rotate_keys(a.app.store.as_ref() as &dyn selfdata_store::Directory)
        .await
        .unwrap();
    let c = another(&a).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let token = crate::crash::bearer(
        &a.client,
        c.addr.port(),
        &(a.client_id.clone(), a.client_secret.clone()),
    )
    .await;
    let url = a.url("/notes/a.ttl");
    let r = a
        .client
        .get(b.at(&a, &url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "server b takes server c's token");
}

#[tokio::test]
async fn sign_in_attempts_spread_over_the_servers_count_once() {
    use crate::security_accounts::{client_from, sign_in};
    let (a, b) = two_servers().await;
    resident(&a, "lock@example.org", "lock-pod").await;
    let attacker = client_from(66);
    let b_base = format!("http://{}", b.addr);
    let mut last = 0;
    for i in 0..7 {
        let base = if i % 2 == 0 { &a.base } else { &b_base };
        last = sign_in(&attacker, base, "lock@example.org", "guess", "/")
            .await
            .status()
            .as_u16();
    }
    assert_eq!(
        last, 429,
        "the attacker's address is slowed down on every server"
    );
    let r = sign_in(&attacker, &a.base, "lock@example.org", "guess", "/").await;
    assert_eq!(r.status(), 429);
    // The resident, from elsewhere, signs in through either server.
    let r = sign_in(&client_from(1), &b_base, "lock@example.org", PASSWORD, "/").await;
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn an_app_allowed_on_one_server_redeems_its_code_on_the_other_once() {
    let (a, b) = two_servers().await;
    let (browser, _) = resident(&a, "carol@example.org", "carol").await;
    let client_id = register_app(&a.client, &a.base, "Two servers").await;
    let carol = format!("{}/carol/profile/card#me", a.base);
    let answer = browser
        .consent(&authorize_path(&client_id), &carol, "allow")
        .await;
    assert_eq!(answer.status, 303, "{}", answer.body);
    let code = code_of(&answer.location.unwrap());
    // The app's token request reaches server b.
    let token_url = format!("{}/idp/token", a.base);
    let redeem = async || {
        let key = selfdata_oidc::DpopKey::generate();
        a.client
            .post(b.at(&a, &token_url))
            .header("dpop", key.proof("POST", &token_url, None, now()))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", APP_REDIRECT),
                ("client_id", client_id.as_str()),
                ("code_verifier", PKCE_VERIFIER),
            ])
            .send()
            .await
            .unwrap()
    };
    let first = redeem().await;
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());
    let again = redeem().await;
    assert_eq!(again.status(), 400, "a code is used once, on any server");
}

/// A day's Enedis reading (Data Connect's daily consumption answer).
fn enedis_day(day: u32) -> Vec<u8> {
    format!(
        r#"{{"meter_reading":{{"usage_point_id":"16401220101758","start":"2025-03-{day:02}","end":"2025-03-{next:02}","quality":"BRUT",
 "reading_type":{{"measurement_kind":"energy","measuring_period":"P1D","unit":"Wh","aggregate":"sum"}},
 "interval_reading":[{{"value":"{wh}","date":"2025-03-{day:02}"}}]}}}}"#,
        next = day + 1,
        wh = 1000 + day
    )
    .into_bytes()
}

#[tokio::test]
async fn imports_into_one_pod_on_two_servers_at_once_lose_no_reading() {
    let (a, b) = two_servers().await;
    let pod = selfdata_store::PodName::parse("alice").unwrap();
    // Days of one month, half through each server, all at once: each
    // import reads the month's file and writes it back with its day.
    let mut imports = Vec::new();
    for day in 1..=16 {
        let app = if day % 2 == 0 {
            a.app.clone()
        } else {
            b.app.clone()
        };
        let pod = pod.clone();
        imports.push(tokio::spawn(async move {
            app.import_file(&pod, enedis_day(day)).await
        }));
    }
    for import in imports {
        let summary = import.await.unwrap().expect("an import was refused");
        assert_eq!(summary.changed, 1);
    }
    // Each day is there: importing it again changes nothing.
    for day in 1..=16 {
        let again = a.app.import_file(&pod, enedis_day(day)).await.unwrap();
        assert_eq!(again.changed, 0, "the reading of March {day} was lost");
    }
}

/// A stand-in Enedis (5 requests a second at most) and two servers on one
/// database connected to it, pacing themselves at 5 requests a second.
async fn two_servers_with_enedis() -> (selfdata_connect::standin::StandIn, Server, Other) {
    use selfdata_connect::standin::{self, StandInOptions};
    let standin = standin::spawn(StandInOptions::default()).await.unwrap();
    let settings = PgSettings::new(selfdata_store::postgres::testing::fresh_database());
    let master = MasterKey::random();
    let a = Server::start_with(|o| {
        o.database = Some(settings);
        o.master_key = Some(master);
        let mut config = standin.config(&format!("{}/energy/connect/enedis/callback", o.base_url));
        // The holder's limit, for the application (every server together);
        // slow enough for a pull to be under way for a while.
        config.politeness.max_requests_per_second = 5;
        o.enedis = Some(config);
    })
    .await;
    let b = another(&a).await;
    (standin, a, b)
}

/// Residents made through server `a`, each `name@example.org` with the pod
/// `name` and the password `a-password-of-12`.
async fn residents(a: &Server, names: &[&str]) {
    for name in names {
        a.app
            .idp
            .create_account(
                &format!("{name}@example.org"),
                "a-password-of-12",
                &selfdata_store::PodName::parse(name).unwrap(),
            )
            .await
            .unwrap();
    }
}

/// Follows Enedis's consent page for `resident` (signed in on a server
/// whose client is `client`): the callback address Enedis sends them to.
async fn enedis_consent(resident: &Browser, client: &reqwest::Client) -> String {
    let consent = resident.response("/app/energy/connect/enedis").await;
    let consent = consent.headers()["location"].to_str().unwrap().to_owned();
    let r = client.get(&consent).send().await.unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let moved = client.get(&back).send().await.unwrap();
    moved.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_meter_pulled_on_one_server_is_shown_paused_and_withdrawn_from_the_other() {
    let (standin, a, b) = two_servers_with_enedis().await;
    residents(&a, &["carol"]).await;
    let pod = selfdata_store::PodName::parse("carol").unwrap();
    let on_a = a.sign_in("carol@example.org", "a-password-of-12").await;
    let on_b = on_a.at(&format!("http://{}", b.addr));

    // Connected through server a: its pull runs there.
    let callback = enedis_consent(&on_a, &a.client).await;
    assert_eq!(on_a.response(&callback).await.status(), 303);

    // Server b shows its progress, and "update now" there starts no second
    // pull of the meter (the holder would see twice the requests per second).
    let mut shown = false;
    for _ in 0..100 {
        let page = on_b.get("/app/energy/connect").await.body;
        if page.contains("<progress") {
            shown = true;
            let csrf = field(&page, "csrf");
            assert_eq!(
                on_b.post("/app/energy/connect/update", &[("csrf", &csrf)])
                    .await
                    .status,
                303
            );
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(shown, "server b never showed the pull running on server a");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(
        standin.max_requests_in_any_second() <= 5,
        "two pulls of one meter ran at once: {} requests in a second",
        standin.max_requests_in_any_second()
    );

    // Withdrawn through server b while server a pulls: gone, and the pull
    // on a does not write it back at its next window.
    let page = on_b.get("/app/energy/connect").await.body;
    let csrf = field(&page, "csrf");
    let r = on_b
        .post(
            "/app/energy/connect/disconnect",
            &[
                ("csrf", &csrf),
                ("holder", "enedis"),
                ("meter", "16401220101758"),
            ],
        )
        .await;
    assert!(r.status < 400, "{}", r.body);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let kept = a.app.store.index_scan(&pod, "connect/").await.unwrap();
    assert!(
        kept.is_empty(),
        "the withdrawn connection was written back: {:?}",
        kept.iter().map(|(k, _)| k).collect::<Vec<_>>()
    );
    let page = on_a.get("/app/energy/connect").await.body;
    assert!(!page.contains("16401220101758"), "{page}");
}

#[tokio::test]
async fn an_enedis_consent_started_on_one_server_is_finished_on_the_other_once_and_only_by_its_resident()
 {
    let (_standin, a, b) = two_servers_with_enedis().await;
    residents(&a, &["dora", "eve"]).await;
    let dora_a = a.sign_in("dora@example.org", "a-password-of-12").await;
    let dora_b = dora_a.at(&format!("http://{}", b.addr));

    // Started on server a; Enedis sends her back, and the load balancer
    // hands the callback to server b.
    let callback = enedis_consent(&dora_a, &a.client).await;
    // Another resident presenting her callback, on either server: refused,
    // and it stays hers.
    let eve_a = a.sign_in("eve@example.org", "a-password-of-12").await;
    let eve_b = eve_a.at(&format!("http://{}", b.addr));
    for eve in [eve_b, eve_a] {
        let r = eve.get(&callback).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
    let r = dora_b.response(&callback).await;
    assert_eq!(r.status(), 303, "the callback on the other server");
    let page = dora_a.get("/app/energy/connect").await.body;
    assert!(page.contains("16401220101758"), "connected: {page}");
    // The same answer again, on either server: refused.
    for dora in [&dora_a, &dora_b] {
        let r = dora.get(&callback).await;
        assert_eq!(r.status, 400, "{}", r.body);
    }
}

#[tokio::test]
async fn two_servers_pulling_two_meters_at_once_keep_to_the_holders_rate_together() {
    let (standin, a, b) = two_servers_with_enedis().await;
    residents(&a, &["fred", "gina"]).await;
    let fred = a.sign_in("fred@example.org", "a-password-of-12").await;
    let gina = a
        .sign_in("gina@example.org", "a-password-of-12")
        .await
        .at(&format!("http://{}", b.addr));
    let (fred_back, gina_back) = (
        enedis_consent(&fred, &a.client).await,
        enedis_consent(&gina, &a.client).await,
    );
    // Fred's meter is pulled by server a, Gina's by server b, at once.
    let (f, g) = tokio::join!(fred.response(&fred_back), gina.response(&gina_back));
    assert_eq!((f.status().as_u16(), g.status().as_u16()), (303, 303));
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    for (who, resident) in [("fred", &fred), ("gina", &gina)] {
        let body = resident.get("/app/energy/connect").await.body;
        assert!(
            body.contains("<progress"),
            "{who}'s pull is under way: {body}"
        );
    }
    assert!(
        standin.max_requests_in_any_second() <= 5,
        "the holder got {} requests in one second from the two servers",
        standin.max_requests_in_any_second()
    );
}

#[tokio::test]
async fn an_upload_on_one_server_is_followed_to_its_end_on_the_other() {
    let (a, b) = two_servers().await;
    let pod = selfdata_store::PodName::parse("ines").unwrap();
    a.app
        .idp
        .create_account("ines@example.org", "ines-password-1", &pod)
        .await
        .unwrap();
    let on_a = a.sign_in("ines@example.org", "ines-password-1").await;
    let on_b = on_a.at(&format!("http://{}", b.addr));
    let csrf = field(&on_a.get("/app/energy").await.body, "csrf");
    let files: Vec<(String, Vec<u8>)> = (1..=12)
        .map(|day| (format!("day-{day}.json"), enedis_day(day)))
        .collect();
    let named: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, f)| (n.as_str(), f.as_slice()))
        .collect();
    let r = on_a.post_files("/app/import", Some(&csrf), &named).await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The job's page, asked of the other server at once and until the end.
    let job = r.location.unwrap();
    let first = on_b.get(&job).await;
    assert_eq!(
        first.status, 200,
        "the other server knows the job: {}",
        first.body
    );
    let done = on_b.wait_job(&job).await;
    assert!(
        done.contains("Import finished. 12 files imported."),
        "{done}"
    );
    // Another resident cannot follow it, on either server.
    let pod2 = selfdata_store::PodName::parse("jules").unwrap();
    b.app
        .idp
        .create_account("jules@example.org", "jules-password-1", &pod2)
        .await
        .unwrap();
    let stranger = a.sign_in("jules@example.org", "jules-password-1").await;
    assert_eq!(stranger.get(&job).await.status, 404);
    assert_eq!(
        stranger
            .at(&format!("http://{}", b.addr))
            .get(&job)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_revocation_on_one_server_closes_the_notification_channels_open_on_the_other() {
    use futures_util::StreamExt;
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    // A channel opened on server a with the owner's token…
    let channel = subscribe_to_notes(&a).await;
    let (mut socket, _) =
        tokio_tungstenite::connect_async(channel["receiveFrom"].as_str().unwrap())
            .await
            .unwrap();
    // …ends when the token's family is revoked through server b, without
    // any change in the pod to carry the news.
    b.app
        .idp
        .revoke(RevokeScope::FamiliesOf(&a.webid))
        .await
        .unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) => return true,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_))) => return true,
                Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                    panic!("the revoked token's channel heard {t}")
                }
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert_eq!(ended, Ok(true), "the channel on server a stayed open");
}

#[tokio::test]
async fn a_change_made_through_one_server_is_notified_on_a_channel_of_the_other() {
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    let channel = subscribe_to_notes(&a).await;
    let (mut socket, _) =
        tokio_tungstenite::connect_async(channel["receiveFrom"].as_str().unwrap())
            .await
            .unwrap();
    // A document added through server b.
    let url = a.url("/notes/b.ttl");
    let put = signed_to(&a, "PUT", &url, &b.at(&a, &url), None)
        .header("content-type", "text/turtle")
        .body("<#b> <#c> 2 .");
    assert_eq!(put.send().await.unwrap().status(), 201);
    let heard = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        next_notification(&mut socket),
    )
    .await
    .expect("the channel on server a did not hear the change made through b");
    assert_eq!(heard["type"], "Add");
    assert_eq!(heard["object"], url);
}

#[tokio::test]
async fn a_channel_subscribed_on_one_server_is_received_on_the_other_once_and_unsubscribed_from_either()
 {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let (a, b) = two_servers().await;
    a.put_turtle("/notes/a.ttl", "<#a> <#b> 1 .").await;
    let channel = subscribe_to_notes(&a).await;
    let receive_from = channel["receiveFrom"].as_str().unwrap().to_owned();
    // The load balancer sends the socket to server b.
    let on_b = receive_from.replacen(
        &a.base.replacen("http", "ws", 1),
        &format!("ws://{}", b.addr),
        1,
    );
    assert_ne!(on_b, receive_from);
    let (mut socket, _) = tokio_tungstenite::connect_async(&on_b).await.unwrap();
    // A second receiver, on server a, is refused.
    match tokio_tungstenite::connect_async(&receive_from).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 409),
        other => panic!("a second receiver was let in: {:?}", other.map(|_| ())),
    }
    // A change made through server a is heard on server b's socket.
    a.put_turtle("/notes/b.ttl", "<#b> <#c> 2 .").await;
    let heard = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        next_notification(&mut socket),
    )
    .await
    .expect("server b's socket did not hear the change");
    assert_eq!(heard["type"], "Add");
    assert_eq!(heard["object"], a.url("/notes/b.ttl"));
    // Unsubscribed through server a: server b closes the socket.
    let id = channel["id"].as_str().unwrap();
    let gone = a.signed("DELETE", id).send().await.unwrap();
    assert_eq!(gone.status(), 205);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(12), async {
        loop {
            match socket.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                Some(Ok(Message::Text(t))) => panic!("heard after unsubscribing: {t}"),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "server b kept the unsubscribed channel open");
}

/// Subscribes to alice's `/notes/` with the owner's token on server `a`:
/// the channel's description.
async fn subscribe_to_notes(a: &Server) -> serde_json::Value {
    let r = a
        .signed(
            "POST",
            &format!("{}/.notifications/WebSocketChannel2023/", a.base),
        )
        .header("content-type", "application/ld+json")
        .body(
            serde_json::json!({
                "type": "WebSocketChannel2023",
                "topic": a.url("/notes/"),
            })
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The socket's next notification.
async fn next_notification(socket: &mut Socket) -> serde_json::Value {
    use futures_util::StreamExt;
    loop {
        match socket.next().await {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t))) => {
                return serde_json::from_str(&t).unwrap();
            }
            Some(Ok(_)) => continue,
            other => panic!("the channel ended: {other:?}"),
        }
    }
}

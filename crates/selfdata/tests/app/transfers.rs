//! Direct transfers (issue 14): a resident lets a registered organisation
//! read named parts of their pod for a purpose and a time. The recipient
//! reads what was granted with its own credentials, is refused anything
//! else (another folder, another pod, a path that climbs out, an access
//! list), and is refused after the expiry, after the resident's "stop
//! now" and after the consent record is withdrawn; another holder cannot
//! use the transfer; every read and refusal is in the resident's access
//! log; an erased pod's transfers are forgotten.

use bytes::Bytes;
use jiff::{SignedDuration, Timestamp};
use selfdata_holders_web::transfer::{grant_transfer, stop_transfer};
use selfdata_store::holders::Holder;
use selfdata_store::{PodName, Precondition, ResourcePath, Write};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Server, field, json_of, problem, resident, status_of};

const ADVICE: &str = "conseil-energie";
const ADVICE_SECRET: &str = "the-advice-association-secret";
const OTHER: &str = "autre-asso";
const OTHER_SECRET: &str = "the-other-association-secret";

const WATER: &str = "/selfdata/energy/water/daily-2026.csv";
const WATER_BODY: &str = "start,end,litres\n2026-12-01T00:00:00Z,2026-12-02T00:00:00Z,131\n";
const GAS: &str = "/selfdata/energy/gas/daily-2026.csv";
const ACCOUNTS: &str = "/selfdata/budget/accounts.csv";

async fn register(s: &Server, id: &str, name: &str, secret: &str) {
    s.app
        .store
        .put_holder(&Holder {
            id: id.into(),
            name: name.into(),
            contact: "dpo@asso.example".into(),
            categories: vec!["water".into()],
            identifier: "Numéro d'adhérent".into(),
            layout: Default::default(),
            column: "Adherent".into(),
            secret_hash: selfdata_holders::secret_hash(secret),
            created_ms: 0,
            limits: Default::default(),
            push_key: None,
        })
        .await
        .unwrap();
}

async fn put(s: &Server, pod: &PodName, path: &str, content_type: &str, body: &str) {
    s.app
        .store
        .write(
            pod,
            Write::Put {
                path: ResourcePath::parse(path).unwrap(),
                content_type: content_type.into(),
                body: Bytes::from(body.to_owned()),
                precondition: Precondition::None,
            },
        )
        .await
        .unwrap();
}

/// A pod with water and gas readings, bank accounts and a stored HTML page.
async fn fill(s: &Server, pod: &PodName, mark: &str) {
    put(
        s,
        pod,
        WATER,
        "text/csv",
        &format!("{WATER_BODY}# {mark}\n"),
    )
    .await;
    put(
        s,
        pod,
        "/selfdata/energy/water/note.html",
        "text/html",
        "<script>alert(document.cookie)</script>",
    )
    .await;
    put(s, pod, GAS, "text/csv", "start,end,kwh\n").await;
    put(
        s,
        pod,
        ACCOUNTS,
        "text/csv",
        "iban\nFR7630006000011234567890189\n",
    )
    .await;
}

fn get(s: &Server, path: &str, who: (&str, &str)) -> reqwest::RequestBuilder {
    s.client
        .get(format!("{}{path}", s.base))
        .basic_auth(who.0, Some(who.1))
}

const AS_ADVICE: (&str, &str) = (ADVICE, ADVICE_SECRET);
const AS_OTHER: (&str, &str) = (OTHER, OTHER_SECRET);

/// The status line of a request sent byte for byte (no client normalises
/// its path).
async fn raw_status(s: &Server, path: &str, who: (&str, &str)) -> String {
    use base64::Engine;
    let addr = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", who.0, who.1));
    stream
        .write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(!answer.contains("FR76"), "{answer}");
    answer.lines().next().unwrap_or_default().to_owned()
}

/// The holder's reads (`true`) in a pod's log, by path, and how many
/// refusals (gathered: one entry per agent, pod and minute, at the first
/// path refused, with a count).
async fn log_of(s: &Server, pod: &PodName, holder: &str) -> (Vec<(String, bool)>, u64) {
    s.app.access_log.flush().await;
    let entries = selfdata_privacy_web::log::entries_in(
        s.app.store.as_ref(),
        &s.base,
        pod,
        &selfdata_privacy_web::log::LogFilter {
            who: Some(holder.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let refused = entries
        .iter()
        .filter(|e| !e.entry.allowed)
        .map(|e| e.entry.count)
        .sum();
    let list = entries
        .into_iter()
        .map(|e| {
            let path = e
                .entry
                .resource
                .split_once(&format!("/{pod}"))
                .map(|(_, p)| p.to_owned())
                .unwrap_or(e.entry.resource.clone());
            (path, e.entry.allowed)
        })
        .collect();
    (list, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recipient_reads_what_was_granted_is_refused_anything_else_and_nothing_after_stop_now()
{
    let s = Server::start().await;
    register(&s, ADVICE, "Conseil Énergie Lyon", ADVICE_SECRET).await;
    register(&s, OTHER, "Autre Association", OTHER_SECRET).await;
    let (b, ines) = resident(&s, "ines@example.org", "ines").await;
    fill(&s, &ines, "ines").await;
    let max = PodName::parse("max").unwrap();
    s.app.create_pod(&max).await.unwrap();
    fill(&s, &max, "max").await;

    // The page offers the registered organisations and the pod's folders.
    let page = b.get("/app/holders/transfers").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Conseil Énergie Lyon"), "{}", page.body);
    assert!(page.body.contains("Water readings"), "{}", page.body);
    assert!(page.body.contains("<code>/selfdata/budget/</code>"));
    assert!(!page.body.contains("/selfdata/consents/"));
    assert!(
        b.get("/app/holders")
            .await
            .body
            .contains("/app/holders/transfers")
    );
    let csrf = field(&page.body, "csrf");
    let form = |csrf: &str, consent: bool| {
        let mut f = vec![
            ("csrf", csrf.to_owned()),
            ("holder", ADVICE.to_owned()),
            ("part", "/selfdata/energy/water/".to_owned()),
            ("purpose", "RequestedServiceProvision".to_owned()),
            ("days", "90".to_owned()),
        ];
        if consent {
            f.push(("consent", "yes".to_owned()));
        }
        f
    };
    let as_refs = |f: &[(&'static str, String)]| {
        f.iter()
            .map(|(k, v)| (*k, v.clone()))
            .collect::<Vec<(&str, String)>>()
    };
    let post = |f: Vec<(&'static str, String)>| {
        let b = &b;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            b.post("/app/holders/transfers", &pairs).await
        }
    };
    // Without the consent box, or with a forged token: nothing granted.
    assert_eq!(post(as_refs(&form(&csrf, false))).await.status, 400);
    assert_eq!(post(as_refs(&form("forged", true))).await.status, 403);
    assert!(
        s.app
            .store
            .transfers_of_pod("ines")
            .await
            .unwrap()
            .is_empty()
    );
    let done = post(as_refs(&form(&csrf, true))).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let transfers = s.app.store.transfers_of_pod("ines").await.unwrap();
    assert_eq!(transfers.len(), 1);
    let id = transfers[0].id.clone();
    // Max lets the other association read his water readings.
    let maxs = grant_transfer(
        &s.app.holders,
        &max,
        OTHER,
        &["/selfdata/energy/water/".to_owned()],
        "PublicBenefit",
        30,
        Timestamp::now(),
    )
    .await
    .unwrap();

    // The page shows it with its reference, and "who has what on me" too.
    let page = b.get("/app/holders/transfers").await;
    assert!(page.body.contains(&id), "{}", page.body);
    assert!(page.body.contains("under way"));
    let privacy = b.get("/app/privacy").await.body;
    assert!(
        privacy.contains("Direct transfer – Conseil Énergie Lyon"),
        "{privacy}"
    );

    // Without credentials, nothing; with them, exactly its transfer.
    let (status, _) = problem(
        s.client
            .get(format!("{}/holders/v1/transfers", s.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = problem(
        get(&s, "/holders/v1/transfers", (ADVICE, "guess"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    let list: serde_json::Value = json_of(get(&s, "/holders/v1/transfers", AS_ADVICE)).await;
    assert_eq!(list["transfers"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["transfers"][0]["id"], id.as_str());
    assert_eq!(
        list["transfers"][0]["resources"],
        serde_json::json!(["/selfdata/energy/water/"])
    );
    assert!(!list.to_string().contains("ines"), "no pod named: {list}");
    let one: serde_json::Value =
        json_of(get(&s, &format!("/holders/v1/transfers/{id}"), AS_ADVICE)).await;
    let files: Vec<&str> = one["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec![WATER, "/selfdata/energy/water/note.html"]);

    // What was granted, as stored, and inert.
    let base = format!("/holders/v1/transfers/{id}");
    let r = get(&s, &format!("{base}{WATER}"), AS_ADVICE)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["content-disposition"], "attachment");
    assert!(r.text().await.unwrap().ends_with("# ines\n"));
    let r = get(
        &s,
        &format!("{base}/selfdata/energy/water/note.html"),
        AS_ADVICE,
    )
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert_eq!(r.headers()["content-disposition"], "attachment");

    // Anything else of the pod: refused, whether it exists or not.
    for path in [
        GAS,
        ACCOUNTS,
        "/selfdata/energy/gas/nothing.csv",
        "/selfdata/energy/water/.acl",
    ] {
        let (status, _) = problem(
            get(&s, &format!("{base}{path}"), AS_ADVICE)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 403, "{path}");
    }
    // Paths that climb out: an encoded slash, and a literal `..` sent raw.
    let (status, _) = problem(
        get(
            &s,
            &format!("{base}/selfdata/energy/water/..%2F..%2Fbudget%2Faccounts.csv"),
            AS_ADVICE,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let line = raw_status(
        &s,
        &format!("{base}/selfdata/energy/water/../../budget/accounts.csv"),
        AS_ADVICE,
    )
    .await;
    assert!(line.contains(" 400 "), "{line}");
    // Another pod's transfer, and this transfer for another holder: not found.
    for (path, who) in [
        (
            format!("/holders/v1/transfers/{}{WATER}", maxs.id),
            AS_ADVICE,
        ),
        (format!("/holders/v1/transfers/{}", maxs.id), AS_ADVICE),
        (format!("{base}{WATER}"), AS_OTHER),
        (
            format!("/holders/v1/transfers/{}{WATER}", "0".repeat(32)),
            AS_ADVICE,
        ),
    ] {
        let (status, _) = problem(get(&s, &path, who).send().await.unwrap()).await;
        assert_eq!(status, 404, "{path}");
    }
    let theirs: serde_json::Value = json_of(get(&s, "/holders/v1/transfers", AS_OTHER)).await;
    assert_eq!(theirs["transfers"][0]["id"], maxs.id.as_str());
    assert_eq!(theirs["transfers"].as_array().unwrap().len(), 1);

    // Each read, and each refusal, is in Inès's log under the recipient's name.
    let (log, refused) = log_of(&s, &ines, ADVICE).await;
    for read in [
        WATER,
        "/selfdata/energy/water/note.html",
        "/selfdata/energy/water/",
    ] {
        assert!(log.contains(&(read.to_owned(), true)), "{read}: {log:?}");
    }
    // Gas, the accounts, a missing file and the access list: four refusals.
    assert!(log.contains(&(GAS.to_owned(), false)), "{log:?}");
    assert_eq!(refused, 4, "{log:?}");
    assert!(
        !log.iter()
            .any(|(p, ok)| *ok && !p.starts_with("/selfdata/energy/water/"))
    );
    // Nothing of Inès's pod reached the other holder, nor Max's log.
    assert_eq!(log_of(&s, &ines, OTHER).await, (Vec::new(), 0));
    assert_eq!(log_of(&s, &max, ADVICE).await, (Vec::new(), 0));
    // Her page counts the two files read.
    let page = b.get("/app/holders/transfers").await.body;
    assert!(page.contains("Files read: 2"), "{page}");

    // "Stop now": refused at once, listed no more, the record withdrawn.
    let csrf = field(&page, "csrf");
    let stopped = b
        .post(
            "/app/holders/transfers/stop",
            &[("csrf", &csrf), ("id", &id)],
        )
        .await;
    assert_eq!(stopped.status, 303);
    let (status, _) = problem(
        get(&s, &format!("{base}{WATER}"), AS_ADVICE)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    let list: serde_json::Value = json_of(get(&s, "/holders/v1/transfers", AS_ADVICE)).await;
    assert_eq!(list["transfers"], serde_json::json!([]));
    let record =
        selfdata_service::consents::record(&s.app.context, &ines, &transfers[0].consent_id)
            .await
            .unwrap()
            .0;
    assert_eq!(record.state(), selfdata_consent::State::Withdrawn);
    assert!(
        b.get("/app/holders/transfers")
            .await
            .body
            .contains("stopped")
    );
    // Max cannot stop Inès's transfer, nor she his.
    assert!(
        !stop_transfer(&s.app.holders, &ines, &maxs.id)
            .await
            .unwrap()
    );
    // The read refused after "stop now" is in the log too.
    assert_eq!(log_of(&s, &ines, ADVICE).await.1, 5);
    // The page speaks French too, in the site's layout.
    let fr = b.get("/app/holders/transfers?lang=fr").await.body;
    assert!(
        fr.contains("Transmettre une partie de vos données à un organisme"),
        "{fr}"
    );
    assert!(
        fr.contains("arrêté") && fr.contains("Mes organismes"),
        "{fr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_ends_by_itself_at_expiry_when_its_record_is_withdrawn_and_with_its_pod() {
    let s = Server::start().await;
    register(&s, ADVICE, "Conseil Énergie Lyon", ADVICE_SECRET).await;
    let (b, ines) = resident(&s, "ines@example.org", "ines").await;
    fill(&s, &ines, "ines").await;
    let water = vec![WATER.to_owned()];

    // Granted 31 days ago for 30 days: ended yesterday, by itself.
    let old = grant_transfer(
        &s.app.holders,
        &ines,
        ADVICE,
        &water,
        "CustomerCare",
        30,
        Timestamp::now() - SignedDuration::from_hours(31 * 24),
    )
    .await
    .unwrap();
    let (status, detail) = problem(
        get(
            &s,
            &format!("/holders/v1/transfers/{}{WATER}", old.id),
            AS_ADVICE,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 403);
    assert!(detail.contains("ended"), "{detail}");
    // Its record reads as expired on "Who has what on me?", with nothing to withdraw.
    let old_record = b
        .get(&format!("/app/privacy/consents/{}", old.consent_id))
        .await
        .body;
    assert!(old_record.contains("expired"), "{old_record}");
    assert!(!old_record.contains("/withdraw"), "{old_record}");
    assert!(
        b.get("/app/holders/transfers").await.body.contains("ended"),
        "the transfers page says it ended"
    );
    // The same grant given today reads.
    let fresh = grant_transfer(
        &s.app.holders,
        &ines,
        ADVICE,
        &water,
        "CustomerCare",
        30,
        Timestamp::now(),
    )
    .await
    .unwrap();
    let url = format!("/holders/v1/transfers/{}{WATER}", fresh.id);
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 200);
    let list: serde_json::Value = json_of(get(&s, "/holders/v1/transfers", AS_ADVICE)).await;
    assert_eq!(
        list["transfers"].as_array().unwrap().len(),
        1,
        "the expired one is not listed"
    );

    // Out of range: the root, a file not in the pod, too long, another purpose.
    for (what, purpose, days) in [
        ("/", "CustomerCare", 30),
        ("/selfdata/nothing.csv", "CustomerCare", 30),
        (WATER, "CustomerCare", 366),
        (WATER, "Marketing", 30),
    ] {
        assert!(
            grant_transfer(
                &s.app.holders,
                &ines,
                ADVICE,
                &[what.to_owned()],
                purpose,
                days,
                Timestamp::now()
            )
            .await
            .is_err(),
            "{what} {purpose} {days}"
        );
    }

    // Widening the record in the pod widens nothing (the registry says too).
    let gas_iri = format!("{}/ines{GAS}", s.base);
    selfdata_service::consents::change_record(&s.app.context, &ines, &fresh.consent_id, move |r| {
        let mut r = r.unwrap();
        r.data.push(gas_iri.clone());
        r
    })
    .await
    .unwrap();
    let gas = format!("/holders/v1/transfers/{}{GAS}", fresh.id);
    assert_eq!(status_of(get(&s, &gas, AS_ADVICE)).await, 403);
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 200);

    // Withdrawn on "Who has what on me?" (the record's page), the row still live.
    let record_page = format!("/app/privacy/consents/{}", fresh.consent_id);
    let page = b.get(&record_page).await;
    assert!(page.body.contains("Direct transfer"), "{}", page.body);
    // Its purpose in words, not an IRI.
    assert!(
        page.body.contains("Help with the resident"),
        "{}",
        page.body
    );
    let csrf = field(&page.body, "csrf");
    let forged = b
        .post(&format!("{record_page}/withdraw"), &[("csrf", "forged")])
        .await;
    assert_eq!(forged.status, 403);
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 200);
    let withdrawn = b
        .post(&format!("{record_page}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(withdrawn.status, 303);
    assert!(!b.get(&record_page).await.body.contains("/withdraw"));
    assert!(
        b.get("/app/holders/transfers")
            .await
            .body
            .contains("stopped"),
        "the transfers page says so too"
    );
    let (status, _) = problem(get(&s, &url, AS_ADVICE).send().await.unwrap()).await;
    assert_eq!(status, 403);
    // Three reads; three refusals (after expiry, the gas, after withdrawal).
    let (log, refused) = log_of(&s, &ines, ADVICE).await;
    assert_eq!(
        log.iter().filter(|(p, ok)| p == WATER && *ok).count(),
        3,
        "three reads: {log:?}"
    );
    assert_eq!(refused, 3, "{log:?}");

    // An erased pod's transfers are forgotten.
    let again = grant_transfer(
        &s.app.holders,
        &ines,
        ADVICE,
        &water,
        "CustomerCare",
        30,
        Timestamp::now(),
    )
    .await
    .unwrap();
    s.app.delete_pod(&ines).await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !s
        .app
        .store
        .transfers_of_pod("ines")
        .await
        .unwrap()
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the transfers are still known"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (status, _) = problem(
        get(
            &s,
            &format!("/holders/v1/transfers/{}{WATER}", again.id),
            AS_ADVICE,
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
}

/// Review finding: withdrawing a transfer's record on "Who has what on
/// me?" ended the reads only while the record stayed withdrawn; an app
/// with the resident's rights could write the record back and the holder
/// read again. The withdrawal now revokes the transfer for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_withdrawn_transfer_stays_ended_when_its_record_is_written_back() {
    let s = Server::start().await;
    register(&s, ADVICE, "Conseil Énergie Lyon", ADVICE_SECRET).await;
    let (b, ines) = resident(&s, "ines@example.org", "ines").await;
    fill(&s, &ines, "ines").await;
    let t = grant_transfer(
        &s.app.holders,
        &ines,
        ADVICE,
        &[WATER.to_owned()],
        "CustomerCare",
        30,
        Timestamp::now(),
    )
    .await
    .unwrap();
    let url = format!("/holders/v1/transfers/{}{WATER}", t.id);
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 200);
    // The record as it was when given, as an app could have kept it.
    let record_path =
        ResourcePath::parse(&format!("/{}", selfdata_consent::path_of(&t.consent_id))).unwrap();
    let (meta, given) = s.app.store.get(&ines, &record_path).await.unwrap().unwrap();

    let record_page = format!("/app/privacy/consents/{}", t.consent_id);
    let csrf = field(&b.get(&record_page).await.body, "csrf");
    let withdrawn = b
        .post(&format!("{record_page}/withdraw"), &[("csrf", &csrf)])
        .await;
    assert_eq!(withdrawn.status, 303);
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 403);

    // The given record written back over the withdrawn one.
    s.app
        .store
        .write(
            &ines,
            Write::Put {
                path: record_path,
                content_type: meta.content_type.clone(),
                body: given,
                precondition: Precondition::None,
            },
        )
        .await
        .unwrap();
    assert_eq!(status_of(get(&s, &url, AS_ADVICE)).await, 403);
    let kept = s.app.store.transfer(&t.id).await.unwrap().unwrap();
    assert!(
        kept.revoked_ms.is_some(),
        "the transfer is revoked for good"
    );
    let listed: serde_json::Value = json_of(get(&s, "/holders/v1/transfers", AS_ADVICE)).await;
    assert_eq!(listed["transfers"].as_array().unwrap().len(), 0);
}

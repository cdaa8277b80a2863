//! Data holders pushing one export for many customers: exactly the
//! consenting customers' pods receive their rows, nothing of the others is
//! kept anywhere in the data folder, the signed receipt verifies and its
//! counts match, a retry delivers nothing twice, a consent withdrawn
//! between two pushes stops the second delivery, a malformed row fails
//! only its customer with its line named; the holder is authenticated
//! before its file is read.

use std::collections::HashSet;

use selfdata_holders::receipt::Receipt;
use selfdata_store::holders::Holder;
use selfdata_store::{Backend, PodName, ResourcePath};

use crate::common::{Browser, Server, field};

const SECRET: &str = "s3cret-of-the-water-service";
const COLUMN: &str = "Numéro de compteur";

async fn register(s: &Server) {
    let holder = Holder {
        id: "eau-grand-lyon".into(),
        name: "Eau du Grand Lyon".into(),
        contact: "dpo@eau.example".into(),
        categories: vec!["water".into()],
        identifier: COLUMN.into(),
        layout: selfdata_store::holders::Layout::Column,
        column: COLUMN.into(),
        secret_hash: selfdata_holders::secret_hash(SECRET),
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    };
    s.app.store.put_holder(&holder).await.unwrap();
}

pub(crate) fn meter(i: usize) -> String {
    format!("M{i:06}")
}

/// The index of customer `i` on day `d`: a number found nowhere else.
pub(crate) fn index(i: usize, d: usize) -> u64 {
    4_242_000_000 + i as u64 * 100 + d as u64
}

/// The holder's daily file: `n` customers, two days each, customer
/// `bad`'s second day unreadable.
fn daily_file(n: usize, bad: Option<usize>) -> (String, u64) {
    let mut out = format!(
        "Export Eau du Grand Lyon\n{COLUMN};Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n"
    );
    let mut bad_line = 0;
    let mut line = 2;
    for d in 1..=2 {
        for i in 0..n {
            line += 1;
            let daily = if Some(i) == bad && d == 2 {
                bad_line = line;
                "abc".to_owned()
            } else {
                format!("{}", 100 + d)
            };
            out.push_str(&format!(
                "{};0{d}/12/2026 12:00;{};{daily};Mesuré\n",
                meter(i),
                index(i, d)
            ));
        }
    }
    (out, bad_line)
}

async fn push(s: &Server, key: &str, body: String) -> reqwest::Response {
    s.client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth("eau-grand-lyon", Some(SECRET))
        .header("idempotency-key", key)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Every body of every resource of a pod, one after the other.
pub(crate) async fn everything_in(store: &dyn Backend, pod: &PodName) -> Vec<u8> {
    let mut out = Vec::new();
    let mut todo = vec![ResourcePath::parse("/").unwrap()];
    while let Some(folder) = todo.pop() {
        for m in store.members(pod, &folder).await.unwrap_or_default() {
            if m.path.as_str().ends_with('/') {
                todo.push(m.path.clone());
            } else if let Ok(Some((_, body))) = store.get(pod, &m.path).await {
                out.extend_from_slice(&body);
            }
        }
    }
    out
}

/// Every cell-like `4242` + 6 digits and `M` + 6 digits in `bytes` (not
/// inside a longer run of letters and digits, as random names are).
pub(crate) fn marks_in(bytes: &[u8], found: &mut HashSet<String>) {
    let apart = |i: usize, len: usize| {
        (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
            && bytes
                .get(i + len)
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    };
    for (i, w) in bytes.windows(10).enumerate() {
        if w[..4] == *b"4242" && w.iter().all(u8::is_ascii_digit) && apart(i, 10) {
            found.insert(String::from_utf8_lossy(w).into_owned());
        }
    }
    for (i, w) in bytes.windows(7).enumerate() {
        if w[0] == b'M' && w[1..].iter().all(u8::is_ascii_digit) && apart(i, 7) {
            found.insert(String::from_utf8_lossy(w).into_owned());
        }
    }
}

pub(crate) fn files_under(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_for_1000_customers_reaches_exactly_the_300_who_consented_and_keeps_nothing_of_the_others()
 {
    // Unencrypted, so that a scan of the files would see a leaked row.
    let s = Server::start_with(|o| o.unencrypted = true).await;
    register(&s).await;
    let consenting = 300;
    for i in 0..consenting {
        let pod = PodName::parse(&format!("c{i:03}")).unwrap();
        s.app.create_pod(&pod).await.unwrap();
        // Written as on a bill: spaces are not part of the number.
        let written = format!("M {:03} {:03}", i / 1000, i % 1000);
        selfdata_holders_web::pages::connect_pod(&s.app.holders, &pod, "eau-grand-lyon", &written)
            .await
            .unwrap();
    }
    let bad = 7;
    let (file, bad_line) = daily_file(1000, Some(bad));
    let r = push(&s, "2026-12-02-daily", file.clone()).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["rows"], 2000);
    assert_eq!(answer["delivered"], 299, "{answer}");
    assert_eq!(answer["skipped"], 700);
    assert_eq!(answer["failed"], 1);
    assert_eq!(answer["failures"][0]["line"], bad_line, "{answer}");

    // The receipt verifies with the server's published key and says the same.
    let key = s
        .client
        .get(format!("{}/holders/v1/receipt-key", s.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = selfdata_translog::LogVerifier::parse(&key).unwrap();
    let receipt = Receipt::verify(answer["receipt"].as_str().unwrap(), &verifier).unwrap();
    assert_eq!(
        (receipt.delivered, receipt.skipped, receipt.failed),
        (299, 700, 1)
    );
    assert_eq!(receipt.holder, "eau-grand-lyon");
    assert_eq!(receipt.failures[0].line, bad_line);
    assert!(
        !answer["receipt"].as_str().unwrap().contains("M000"),
        "a receipt names no customer"
    );

    // Each consenting pod holds its own readings, and no one else's.
    for i in [0, 1, 150, 299] {
        let pod = PodName::parse(&format!("c{i:03}")).unwrap();
        let mut found = HashSet::new();
        marks_in(&everything_in(s.app.store.as_ref(), &pod).await, &mut found);
        // Its readings, and its meter number in its consent record.
        let own: HashSet<String> = [index(i, 1).to_string(), index(i, 2).to_string(), meter(i)]
            .into_iter()
            .collect();
        assert_eq!(found, own, "pod c{i:03}");
    }
    // The customer with a malformed row got nothing, and was told nothing half.
    let pod = PodName::parse(&format!("c{bad:03}")).unwrap();
    let mut found = HashSet::new();
    marks_in(&everything_in(s.app.store.as_ref(), &pod).await, &mut found);
    assert_eq!(
        found,
        HashSet::from([meter(bad)]),
        "only its consent record"
    );
    let deliveries = s.app.store.deliveries_of(pod.as_str(), 10).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert!(!deliveries[0].ok);

    // Nothing of the 700 others anywhere in the data folder.
    s.app.access_log.flush().await;
    let mut files = Vec::new();
    files_under(s.app.embedded.as_ref().unwrap().root(), &mut files);
    let mut found = HashSet::new();
    for f in &files {
        marks_in(&std::fs::read(f).unwrap_or_default(), &mut found);
    }
    let others: Vec<String> = (consenting..1000)
        .flat_map(|i| [meter(i), index(i, 1).to_string(), index(i, 2).to_string()])
        .collect();
    let leaked: Vec<&String> = others.iter().filter(|o| found.contains(*o)).collect();
    assert!(leaked.is_empty(), "found in the data folder: {leaked:?}");
    // The scan does see what is there: a consenting customer's readings.
    assert!(found.contains(&index(0, 1).to_string()));

    // A retry with the same key gets the same receipt and delivers nothing.
    let again = push(&s, "2026-12-02-daily", file).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["receipt"], answer["receipt"]);
    let pod = PodName::parse("c000").unwrap();
    assert_eq!(
        s.app
            .store
            .deliveries_of(pod.as_str(), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_resident_connects_from_the_page_and_a_consent_withdrawn_between_two_pushes_stops_the_second()
 {
    let s = Server::start().await;
    register(&s).await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("ines@example.org", "correct horse battery", "ines")
            .await
            .status,
        303
    );
    let page = b.get("/app/holders").await;
    assert!(page.body.contains("Eau du Grand Lyon"), "{}", page.body);
    let csrf = field(&page.body, "csrf");
    // Without ticking the consent box, nothing is connected.
    let refused = b
        .post(
            "/app/holders/connect",
            &[
                ("csrf", &csrf),
                ("holder", "eau-grand-lyon"),
                ("identifier", "M000001"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    let done = b
        .post(
            "/app/holders/connect",
            &[
                ("csrf", &csrf),
                ("holder", "eau-grand-lyon"),
                ("identifier", "M000001"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    // The consent is a record in the pod, shown on "Who has what on me?".
    let privacy = b.get("/app/privacy").await;
    assert!(
        privacy.body.contains("Eau du Grand Lyon"),
        "{}",
        privacy.body
    );
    // And the holder is in the directory, under energy and water, saying
    // what it sends.
    let directory = b
        .get("/app/privacy/organisations?by=sector&lang=en")
        .await
        .body;
    let energy = directory
        .split("<section class=\"sector\"")
        .find(|s| s.contains(">Energy &#38; water ("))
        .unwrap_or_else(|| panic!("no energy sector: {directory}"));
    assert!(energy.contains(">Eau du Grand Lyon</a></h3>"), "{energy}");
    assert!(
        energy.contains("sends your water meter readings to your store"),
        "{energy}"
    );

    // Another resident cannot have the same meter's readings sent to them.
    let other = Browser::new(&s.base);
    other
        .sign_up("max@example.org", "correct horse battery", "max")
        .await;
    let csrf2 = field(&other.get("/app/holders").await.body, "csrf");
    let taken = other
        .post(
            "/app/holders/connect",
            &[
                ("csrf", &csrf2),
                ("holder", "eau-grand-lyon"),
                ("identifier", "m000001"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(taken.status, 409);

    let (file, _) = daily_file(3, None);
    let first: serde_json::Value = push(&s, "day-1", file.clone()).await.json().await.unwrap();
    assert_eq!(
        (first["delivered"].as_u64(), first["skipped"].as_u64()),
        (Some(1), Some(2))
    );
    let page = b.get("/app/holders").await;
    assert!(
        page.body.contains("2 records"),
        "the delivery is shown: {}",
        page.body
    );

    // Withdrawn on the privacy side (the record in the pod), the link still there.
    let pod = PodName::parse("ines").unwrap();
    let link = &s.app.store.links_of_pod("ines").await.unwrap()[0];
    selfdata_service::consents::change_record(&s.app.context, &pod, &link.consent_id, |r| {
        let mut r = r.unwrap();
        r.withdraw(jiff::Timestamp::now(), None);
        r
    })
    .await
    .unwrap();
    let second: serde_json::Value = push(&s, "day-2", file.clone()).await.json().await.unwrap();
    assert_eq!(
        (second["delivered"].as_u64(), second["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    // The refusal is in the resident's access log, under the holder's name.
    s.app.access_log.flush().await;
    let refused = selfdata_privacy_web::log::entries_in(
        s.app.store.as_ref(),
        &s.base,
        &pod,
        &selfdata_privacy_web::log::LogFilter {
            who: Some("eau-grand-lyon".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        refused.iter().map(|e| e.entry.allowed).collect::<Vec<_>>(),
        vec![true, false],
        "one delivery, one refusal"
    );

    // Stopped from the page: the link is gone at once.
    let csrf = field(&b.get("/app/holders").await.body, "csrf");
    let stopped = b
        .post(
            "/app/holders/disconnect",
            &[("csrf", &csrf), ("holder", "eau-grand-lyon")],
        )
        .await;
    assert_eq!(stopped.status, 303);
    assert!(s.app.store.links_of_pod("ines").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_push_is_refused_in_words_without_the_holders_credentials_or_a_key() {
    let s = Server::start().await;
    register(&s).await;
    let url = format!("{}/holders/v1/pushes", s.base);
    let wrong = s
        .client
        .post(&url)
        .basic_auth("eau-grand-lyon", Some("guess"))
        .header("idempotency-key", "k")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().get("www-authenticate").is_some());
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    // A resident's own token is not a holder's credential.
    let resident = s
        .signed("POST", &url)
        .header("idempotency-key", "k")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resident.status(), 401);
    let no_key = s
        .client
        .post(&url)
        .basic_auth("eau-grand-lyon", Some(SECRET))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 400);
    let body: serde_json::Value = no_key.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("Idempotency-Key"));
    // A file without the registered column is refused, and the key stays usable.
    let wrong_layout = push(&s, "k1", "a;b\n1;2\n".into()).await;
    assert_eq!(wrong_layout.status(), 422);
    let body: serde_json::Value = wrong_layout.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("numero de compteur"),
        "{body}"
    );
    // A form is refused in words: this holder sends one CSV, not files.
    let form = s
        .client
        .post(&url)
        .basic_auth("eau-grand-lyon", Some(SECRET))
        .header("idempotency-key", "k1")
        .multipart(reqwest::multipart::Form::new().text("file", "x"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 415);
    let body: serde_json::Value = form.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("not a form"),
        "{body}"
    );
    let (file, _) = daily_file(2, None);
    assert_eq!(push(&s, "k1", file).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erased_pod_is_forgotten_by_its_holders_and_its_identifier_is_free_again() {
    let s = Server::start().await;
    register(&s).await;
    let ines = PodName::parse("ines").unwrap();
    s.app.create_pod(&ines).await.unwrap();
    selfdata_holders_web::pages::connect_pod(&s.app.holders, &ines, "eau-grand-lyon", &meter(0))
        .await
        .unwrap();
    let (file, _) = daily_file(3, None);
    let first: serde_json::Value = push(&s, "day-1", file.clone()).await.json().await.unwrap();
    assert_eq!(first["delivered"].as_u64(), Some(1));
    assert_eq!(
        s.app.store.deliveries_of("ines", 10).await.unwrap().len(),
        1
    );

    s.app.delete_pod(&ines).await.unwrap();
    // The holders forget the pod in the background: its link and its deliveries.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let links = s.app.store.links_of_pod("ines").await.unwrap();
        let deliveries = s.app.store.deliveries_of("ines", 10).await.unwrap();
        if links.is_empty() && deliveries.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still known: {links:?} {deliveries:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The next push delivers to no one: the meter is nobody's now.
    let second: serde_json::Value = push(&s, "day-2", file).await.json().await.unwrap();
    assert_eq!(
        (second["delivered"].as_u64(), second["skipped"].as_u64()),
        (Some(0), Some(3))
    );
    // And another resident may connect it.
    let max = PodName::parse("max").unwrap();
    s.app.create_pod(&max).await.unwrap();
    selfdata_holders_web::pages::connect_pod(&s.app.holders, &max, "eau-grand-lyon", &meter(0))
        .await
        .unwrap();
}

/// `selfdata holder …` run as the operator would, on its own data folder.
fn holder_cli(data: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"))
        .arg("--data")
        .arg(data)
        .arg("holder")
        .args(args)
        .env("SELFDATA_LOG", "warn")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn the_operator_registers_a_holder_pushing_one_file_per_customer_and_incoherent_options_are_refused()
 {
    let dir = tempfile::tempdir().unwrap();
    let bank = [
        "add",
        "--id",
        "banque-exemple",
        "--name",
        "Banque Exemple",
        "--contact",
        "dpo@banque.example",
        "--category",
        "bank",
        "--identifier",
        "Numéro de compte",
    ];
    let with =
        |extra: &[&'static str]| -> Vec<&str> { bank.iter().chain(extra).copied().collect() };
    let (ok, said) = holder_cli(
        dir.path(),
        &with(&["--layout", "file-per-customer", "--column", "Compte"]),
    );
    assert!(!ok, "{said}");
    assert!(said.contains("leave --column out"), "{said}");
    let (ok, said) = holder_cli(dir.path(), &with(&["--layout", "sideways"]));
    assert!(!ok && said.contains("file-per-customer"), "{said}");
    let (ok, said) = holder_cli(dir.path(), &with(&["--layout", "file-per-customer"]));
    assert!(ok, "{said}");
    assert!(said.contains("client secret:"), "{said}");
    let (ok, listed) = holder_cli(dir.path(), &["list"]);
    assert!(ok, "{listed}");
    assert!(
        listed.contains("banque-exemple\tBanque Exemple\tbank\tfile-per-customer\t"),
        "{listed}"
    );
    // Without a layout, a column holder, its column the identifier's words.
    let (ok, said) = holder_cli(dir.path(), &with(&[]));
    assert!(ok, "{said}");
    let (_, listed) = holder_cli(dir.path(), &["list"]);
    assert!(listed.contains("column \"Numéro de compte\""), "{listed}");
    // An organisation that only receives: no category, no identifier.
    let advice = [
        "add",
        "--id",
        "conseil-energie",
        "--name",
        "Conseil Énergie",
        "--contact",
        "dpo@conseil.example",
    ];
    let (ok, said) = holder_cli(dir.path(), &advice);
    assert!(!ok && said.contains("--receives-only"), "{said}");
    let both: Vec<&str> = advice
        .iter()
        .chain(&["--receives-only", "--category", "water"])
        .copied()
        .collect();
    let (ok, said) = holder_cli(dir.path(), &both);
    assert!(!ok, "{said}");
    let only: Vec<&str> = advice.iter().chain(&["--receives-only"]).copied().collect();
    let (ok, said) = holder_cli(dir.path(), &only);
    assert!(ok, "{said}");
    let (_, listed) = holder_cli(dir.path(), &["list"]);
    assert!(
        listed.contains("conseil-energie\tConseil Énergie\treceives only\t"),
        "{listed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_holder_past_its_limits_is_answered_429_or_413_in_words_and_a_replay_is_free() {
    use tokio::io::AsyncWriteExt;
    let s = Server::start().await;
    register(&s).await;
    let mut holder = s.app.store.holder("eau-grand-lyon").await.unwrap().unwrap();
    holder.limits = selfdata_store::holders::HolderLimits {
        pushes_per_hour: 4,
        at_once: 1,
        max_push_mib: 1,
    };
    s.app.store.put_holder(&holder).await.unwrap();
    let (file, _) = daily_file(2, None);

    // One push under way (its body still arriving): a second is told to wait.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("eau-grand-lyon:{SECRET}"),
    );
    let head = format!(
        "POST /holders/v1/pushes HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {basic}\r\nIdempotency-Key: slow\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\n{COLUMN};Date de relevé\r\n"
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.flush().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while s.app.store.activity("eau-grand-lyon").await.unwrap().pushes == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow push never began"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let busy = push(&s, "day-1", file.clone()).await;
    assert_eq!(busy.status(), 429);
    assert!(busy.headers().get("retry-after").is_some());
    let body: serde_json::Value = busy.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("at once"),
        "{body}"
    );
    // The slow one breaks off: nothing delivered, its key free again.
    drop(slow);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = push(&s, "day-1", file.clone()).await;
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 429, "only the limit may hold it back");
        assert!(
            std::time::Instant::now() < deadline,
            "the broken push is still under way"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Four pushes an hour (the one broken off counts): day-3 is the fourth,
    // day-4 is told when to come back; a replay of an answered push is not a
    // new push.
    assert_eq!(push(&s, "day-2", file.clone()).await.status(), 200);
    assert_eq!(push(&s, "day-3", file.clone()).await.status(), 200);
    let late = push(&s, "day-4", file.clone()).await;
    assert_eq!(late.status(), 429);
    let wait: u64 = late.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3000..=3600).contains(&wait), "{wait}");
    let body: serde_json::Value = late.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("in the last hour"),
        "{body}"
    );
    let replay = push(&s, "day-1", file.clone()).await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");

    // A push larger than its size limit is refused in words.
    holder.limits.pushes_per_hour = 100;
    s.app.store.put_holder(&holder).await.unwrap();
    let big = push(&s, "big", "x".repeat(2 * 1024 * 1024)).await;
    assert_eq!(big.status(), 413);
    let body: serde_json::Value = big.json().await.unwrap();
    assert!(
        body["detail"].as_str().unwrap().contains("at most 1 MiB"),
        "{body}"
    );
}

/// Review finding: a push that failed freed its place in the hour, so a
/// holder could have the server read and split files without end by
/// sending ones that fail. A failed push now counts; its key is still free.
#[tokio::test]
async fn failed_pushes_count_among_the_pushes_of_the_hour_and_free_their_key() {
    let s = Server::start().await;
    register(&s).await;
    let mut holder = s.app.store.holder("eau-grand-lyon").await.unwrap().unwrap();
    holder.limits.pushes_per_hour = 2;
    s.app.store.put_holder(&holder).await.unwrap();
    assert_eq!(push(&s, "bad", "a;b\n1;2\n".into()).await.status(), 422);
    assert_eq!(push(&s, "bad", "a;b\n1;2\n".into()).await.status(), 422);
    let third = push(&s, "bad", "a;b\n1;2\n".into()).await;
    assert_eq!(third.status(), 429, "two failed pushes used the hour");
    assert!(third.headers().get("retry-after").is_some());
    assert_eq!(
        s.app.store.activity("eau-grand-lyon").await.unwrap().pushes,
        2
    );
}

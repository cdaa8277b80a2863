//! Data holders pushing one file per customer (a `multipart/form-data`
//! body: a bank's OFX statement per account, an Enedis export per meter):
//! each file's customer is read from its content, exactly the consenting
//! customers' pods receive their file (on the money and energy API and
//! pages), nothing of the others is kept anywhere in the data folder, a
//! file naming no customer fails by its part and name, a file naming a
//! second account is delivered to no one, a file over the per-file cap
//! fails its customer alone, the receipt counts parts, a
//! retry with the same key delivers nothing twice, and a body broken off
//! half-way keeps what was delivered and frees its key for a retry.

use std::collections::HashSet;

use selfdata_holders::receipt::{Receipt, Unit};
use selfdata_store::PodName;
use selfdata_store::holders::{Holder, Layout};

use crate::common::{self, Resident, Server};
use crate::holders::{everything_in, files_under, index, marks_in, meter};

const SECRET: &str = "s3cret-of-a-holder-sending-files";

async fn register(s: &Server, id: &str, name: &str, category: &str, identifier: &str) {
    let holder = Holder {
        id: id.into(),
        name: name.into(),
        contact: "dpo@holder.example".into(),
        categories: vec![category.into()],
        identifier: identifier.into(),
        layout: Layout::FilePerCustomer,
        column: String::new(),
        secret_hash: selfdata_holders::secret_hash(SECRET),
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    };
    s.app.store.put_holder(&holder).await.unwrap();
}

async fn push_files(
    s: &Server,
    holder: &str,
    key: &str,
    files: &[(String, Vec<u8>)],
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
        );
    }
    s.client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth(holder, Some(SECRET))
        .header("idempotency-key", key)
        .multipart(form)
        .send()
        .await
        .unwrap_or_else(|e| panic!("push {key}: {e:?}"))
}

/// Customer `i`'s November statement of account `meter(i)`: two
/// transactions labelled `index(i, 1)` and `index(i, 2)`; OFX 1 (SGML,
/// Windows-1252, leaf tags unclosed) for even `i`, OFX 2 (XML) for odd.
pub(crate) fn statement(i: usize) -> Vec<u8> {
    let (account, first, second) = (meter(i), index(i, 1), index(i, 2));
    if i.is_multiple_of(2) {
        let mut out = format!(
            "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n\
             <OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20261130120000[+1:CET]<LANGUAGE>FRA</SONRS></SIGNONMSGSRSV1>\r\n\
             <BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n<STMTRS><CURDEF>EUR\r\n\
             <BANKACCTFROM><BANKID>30004<BRANCHID>01234<ACCTID>{account}<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n\
             <BANKTRANLIST><DTSTART>20261101<DTEND>20261130\r\n\
             <STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261105<TRNAMT>-12.50<FITID>{first}<NAME>CB "
        )
        .into_bytes();
        // "CAFÉ" in Windows-1252.
        out.extend_from_slice(b"CAF\xc9 ");
        out.extend_from_slice(
            format!(
                "{first}</STMTTRN>\r\n\
                 <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261110<TRNAMT>100.00<FITID>{second}<NAME>VIR {second}</STMTTRN>\r\n\
                 </BANKTRANLIST>\r\n</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n"
            )
            .as_bytes(),
        );
        out
    } else {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n\
             <?OFX OFXHEADER=\"200\" VERSION=\"220\" SECURITY=\"NONE\" OLDFILEUID=\"NONE\" NEWFILEUID=\"NONE\"?>\n\
             <OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STMTRS><CURDEF>EUR</CURDEF>\n\
             <BANKACCTFROM><BANKID>30003</BANKID><BRANCHID>01234</BRANCHID><ACCTID>{account}</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE></BANKACCTFROM>\n\
             <BANKTRANLIST><DTSTART>20261101</DTSTART><DTEND>20261130</DTEND>\n\
             <STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>20261105</DTPOSTED><TRNAMT>-12.50</TRNAMT><FITID>{first}</FITID><NAME>CB CAFÉ {first}</NAME></STMTTRN>\n\
             <STMTTRN><TRNTYPE>CREDIT</TRNTYPE><DTPOSTED>20261110</DTPOSTED><TRNAMT>100.00</TRNAMT><FITID>{second}</FITID><NAME>VIR {second}</NAME></STMTTRN>\n\
             </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
        )
        .into_bytes()
    }
}

/// The labels of a pod's November transactions, through the money API.
async fn labels(s: &Server, who: &Resident, pod: &str) -> Vec<String> {
    let url = format!(
        "{}/{pod}/selfdata/budget/api/transactions?from=2026-11-01&to=2026-12-01",
        s.base
    );
    let r = who.req(s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{pod}");
    let answer: serde_json::Value = r.json().await.unwrap();
    answer["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every mark of `marks_in` in every file of the data folder.
async fn marks_in_data_folder(s: &Server) -> HashSet<String> {
    s.app.access_log.flush().await;
    let mut files = Vec::new();
    files_under(s.app.embedded.as_ref().unwrap().root(), &mut files);
    let mut found = HashSet::new();
    for f in &files {
        marks_in(&std::fs::read(f).unwrap_or_default(), &mut found);
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bank_pushing_ten_statements_reaches_exactly_the_three_consenting_accounts_and_keeps_nothing_of_the_others()
 {
    // Unencrypted, so that a scan of the files would see a leaked statement.
    let s = Server::start_with(|o| o.unencrypted = true).await;
    register(
        &s,
        "banque-exemple",
        "Banque Exemple",
        "bank",
        "Numéro de compte",
    )
    .await;
    // Two residents read their money through the API, one on the pages.
    let r1 = Resident::new(&s, "r1").await;
    let r8 = Resident::new(&s, "r8").await;
    let (b4, _) = common::resident(&s, "c4@example.org", "c4").await;
    for (i, pod) in [(1, "r1"), (4, "c4"), (8, "r8")] {
        // Written as on a statement: spaces are not part of the number.
        let written = format!("{} {}", &meter(i)[..4], &meter(i)[4..]);
        selfdata_holders_web::pages::connect_pod(
            &s.app.holders,
            &PodName::parse(pod).unwrap(),
            "banque-exemple",
            &written,
        )
        .await
        .unwrap();
    }
    let mut files: Vec<(String, Vec<u8>)> = (0..10)
        .map(|i| (format!("releve-{:02}.ofx", i + 1), statement(i)))
        .collect();
    // An eleventh file names no account: it fails by its part and name.
    let no_account = String::from_utf8(statement(9))
        .unwrap()
        .replace(&format!("<ACCTID>{}</ACCTID>", meter(9)), "");
    files.push(("sans-compte.ofx".into(), no_account.into_bytes()));

    let r = push_files(&s, "banque-exemple", "2026-11-30-releves", &files).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["parts"], 11, "{answer}");
    assert!(answer.get("rows").is_none(), "counted in parts: {answer}");
    assert_eq!(answer["delivered"], 3, "{answer}");
    assert_eq!(answer["skipped"], 7, "{answer}");
    assert_eq!(answer["failed"], 1, "{answer}");
    assert_eq!(answer["failures"][0]["part"], 11, "{answer}");
    let why = answer["failures"][0]["why"].as_str().unwrap();
    assert!(
        why.starts_with("Part 11 (“sans-compte.ofx”): ") && why.contains("ACCTID"),
        "{why}"
    );

    // The receipt verifies with the published key and says the same, in parts.
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
    let note = answer["receipt"].as_str().unwrap();
    let receipt = Receipt::verify(note, &verifier).unwrap();
    assert_eq!(receipt.unit, Unit::Part);
    assert_eq!(
        (
            receipt.rows,
            receipt.delivered,
            receipt.skipped,
            receipt.failed
        ),
        (11, 3, 7, 1)
    );
    assert_eq!(receipt.failures[0].line, 11);
    let mut in_receipt = HashSet::new();
    marks_in(note.as_bytes(), &mut in_receipt);
    assert!(in_receipt.is_empty(), "a receipt names no customer: {note}");

    // Each consenting resident has their two transactions, and no one else's.
    for (i, who, pod) in [(1, &r1, "r1"), (8, &r8, "r8")] {
        let labels = labels(&s, who, pod).await;
        assert_eq!(labels.len(), 2, "{pod}: {labels:?}");
        assert!(
            labels.iter().any(|l| l.contains(&index(i, 1).to_string()))
                && labels.iter().any(|l| l.contains(&index(i, 2).to_string())),
            "{pod}: {labels:?}"
        );
    }
    let page = b4
        .get("/app/budget/transactions?from=2026-11-01&to=2026-12-01")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&index(4, 1).to_string()) && page.body.contains("CAFÉ"),
        "the statement read in Windows-1252 is on the page: {}",
        page.body
    );
    for (i, pod) in [(1, "r1"), (4, "c4"), (8, "r8")] {
        let pod = PodName::parse(pod).unwrap();
        let mut found = HashSet::new();
        marks_in(&everything_in(s.app.store.as_ref(), &pod).await, &mut found);
        let own: HashSet<String> = [index(i, 1).to_string(), index(i, 2).to_string(), meter(i)]
            .into_iter()
            .collect();
        assert!(found.is_subset(&own), "pod {pod}: {found:?}");
        assert!(found.contains(&index(i, 2).to_string()), "pod {pod}");
    }

    // Nothing of the seven others anywhere in the data folder.
    let found = marks_in_data_folder(&s).await;
    let others: Vec<String> = [0, 2, 3, 5, 6, 7, 9]
        .into_iter()
        .flat_map(|i| [meter(i), index(i, 1).to_string(), index(i, 2).to_string()])
        .collect();
    let leaked: Vec<&String> = others.iter().filter(|o| found.contains(*o)).collect();
    assert!(leaked.is_empty(), "found in the data folder: {leaked:?}");
    // The scan does see what is there: a consenting customer's statement.
    assert!(found.contains(&index(8, 1).to_string()));

    // A retry with the same key gets the same receipt and delivers nothing.
    let again = push_files(&s, "banque-exemple", "2026-11-30-releves", &files).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    let again: serde_json::Value = again.json().await.unwrap();
    assert_eq!(again["receipt"], answer["receipt"]);
    assert_eq!(s.app.store.deliveries_of("r1", 10).await.unwrap().len(), 1);
    assert_eq!(labels(&s, &r1, "r1").await.len(), 2);

    // A CSV body is refused in words: this holder sends files.
    let csv = s
        .client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth("banque-exemple", Some(SECRET))
        .header("idempotency-key", "a-csv")
        .header("content-type", "text/csv")
        .body("Compte;Montant\nM000001;3\n")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 415);
    let body: serde_json::Value = csv.json().await.unwrap();
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("multipart/form-data"),
        "{body}"
    );
}

/// A 14-digit meter number (PRM) no other number of the test contains.
fn prm(i: usize) -> String {
    format!("{}", 31_415_900_000_000u64 + i as u64)
}

/// Meter `i`'s Enedis load curve for one November day: four half-hours at
/// `1000 × (i + 1)` W, so `2 × (i + 1)` kWh; UTF-8 with a BOM, or
/// Windows-1252 (accented headers) when `latin1`.
fn load_curve(i: usize, day: u32, latin1: bool) -> Vec<u8> {
    let header = if latin1 {
        "Identifiant PRM;Type de données;Date de début;Date de fin;Grandeur physique;Grandeur métier;Etape métier;Unité;Pas en minutes\r\n"
    } else {
        "\u{feff}Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes\r\n"
    };
    let mut out = format!(
        "{header}{};Courbe de charge;{day:02}/11/2026;{:02}/11/2026;Energie active;Consommation;Comptage Brut;W;30\r\n\r\nHorodate;Valeur\r\n",
        prm(i),
        day + 1
    );
    for (h, m) in [(0, 30), (1, 0), (1, 30), (2, 0)] {
        out.push_str(&format!(
            "2026-11-{day:02}T{h:02}:{m:02}:00+01:00;{}\r\n",
            1000 * (i + 1)
        ));
    }
    if latin1 {
        out.chars().map(|c| c as u32 as u8).collect()
    } else {
        out.into_bytes()
    }
}

/// A pod's electricity from 10 to 13 November, in kWh, through the energy API.
async fn kwh(s: &Server, who: &Resident, pod: &str) -> f64 {
    let url = format!(
        "{}/{pod}/selfdata/energy/api/consumption?fluid=electricity&from=2026-11-10&to=2026-11-13&step=day&unit=kWh",
        s.base
    );
    let r = who.req(s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200, "{pod}");
    let answer: serde_json::Value = r.json().await.unwrap();
    answer["total"]["value"].as_f64().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enedis_push_of_one_file_per_meter_reaches_the_consenting_meters_and_a_file_over_the_cap_fails_alone()
 {
    let s = Server::start_with(|o| o.unencrypted = true).await;
    register(
        &s,
        "enedis-exemple",
        "Enedis",
        "electricity",
        "Numéro de PRM",
    )
    .await;
    let p0 = Resident::new(&s, "p0").await;
    let p2 = Resident::new(&s, "p2").await;
    for (i, pod) in [(0, "p0"), (2, "p2")] {
        selfdata_holders_web::pages::connect_pod(
            &s.app.holders,
            &PodName::parse(pod).unwrap(),
            "enedis-exemple",
            &prm(i),
        )
        .await
        .unwrap();
    }
    let files = vec![
        // File names never say whose a file is; the content does.
        ("courbe-a.csv".to_owned(), load_curve(0, 10, false)),
        ("courbe-b.csv".to_owned(), load_curve(1, 10, false)),
        ("courbe-c.csv".to_owned(), load_curve(2, 10, true)),
        ("courbe-d.csv".to_owned(), load_curve(3, 10, true)),
        // A second file of the first meter, the next day.
        ("courbe-e.csv".to_owned(), load_curve(0, 11, false)),
        // An older export without its meter's number.
        (
            "ancien.csv".to_owned(),
            b"Date de la mesure;Heure de la mesure;Valeur;Unite\n20/08/2020;01:00;420;W\n".to_vec(),
        ),
    ];
    let r = push_files(&s, "enedis-exemple", "2026-11-12", &files).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (
            answer["parts"].as_u64(),
            answer["delivered"].as_u64(),
            answer["skipped"].as_u64(),
            answer["failed"].as_u64()
        ),
        (Some(6), Some(2), Some(2), Some(1)),
        "{answer}"
    );
    assert_eq!(answer["failures"][0]["part"], 6, "{answer}");
    assert!(
        answer["failures"][0]["why"]
            .as_str()
            .unwrap()
            .starts_with("Part 6 (“ancien.csv”): "),
        "{answer}"
    );
    assert_eq!(kwh(&s, &p0, "p0").await, 4.0, "two days of 2 kWh");
    assert_eq!(kwh(&s, &p2, "p2").await, 6.0, "one day of 6 kWh");
    assert_eq!(s.app.store.deliveries_of("p0", 10).await.unwrap().len(), 2);

    // Nothing of meters 1 and 3 anywhere in the data folder.
    s.app.access_log.flush().await;
    let mut paths = Vec::new();
    files_under(s.app.embedded.as_ref().unwrap().root(), &mut paths);
    let contents: Vec<Vec<u8>> = paths
        .iter()
        .map(|p| std::fs::read(p).unwrap_or_default())
        .collect();
    let anywhere = |needle: &str| {
        contents
            .iter()
            .any(|c| c.windows(needle.len()).any(|w| w == needle.as_bytes()))
    };
    assert!(anywhere(&prm(0)), "the scan sees a consenting meter");
    for i in [1, 3] {
        assert!(!anywhere(&prm(i)), "meter {i} is in the data folder");
    }

    // A file over the per-file cap fails its customer alone; the next
    // file of the same push is delivered.
    let mut big = load_curve(2, 11, false);
    let row = b"2026-11-11T03:00:00+01:00;3000\r\n";
    while big.len() <= selfdata_holders_web::per_customer::MAX_FILE_BYTES {
        big.extend_from_slice(row);
    }
    let files = vec![
        ("gros.csv".to_owned(), big),
        ("courbe-f.csv".to_owned(), load_curve(0, 12, false)),
    ];
    let r = push_files(&s, "enedis-exemple", "2026-11-13", &files).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (
            answer["parts"].as_u64(),
            answer["delivered"].as_u64(),
            answer["failed"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{answer}"
    );
    assert_eq!(answer["failures"][0]["part"], 1, "{answer}");
    assert!(
        answer["failures"][0]["why"]
            .as_str()
            .unwrap()
            .contains("larger than 32 MiB"),
        "{answer}"
    );
    assert_eq!(kwh(&s, &p2, "p2").await, 6.0, "nothing of the big file");
    assert_eq!(kwh(&s, &p0, "p0").await, 6.0, "the next file went on");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_of_files_broken_off_half_way_keeps_what_was_delivered_and_its_retry_doubles_nothing()
 {
    use base64::Engine;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let s = Server::start().await;
    register(
        &s,
        "banque-exemple",
        "Banque Exemple",
        "bank",
        "Numéro de compte",
    )
    .await;
    let r1 = Resident::new(&s, "r1").await;
    selfdata_holders_web::pages::connect_pod(
        &s.app.holders,
        &PodName::parse("r1").unwrap(),
        "banque-exemple",
        &meter(1),
    )
    .await
    .unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| (format!("releve-{i}.ofx"), statement(i)))
        .collect();
    let mut body = Vec::new();
    for (name, bytes) in &files {
        body.extend_from_slice(
            format!("--B0UNDARY\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"--B0UNDARY--\r\n");
    // The connection ends inside the third file, the second (customer 1's) whole.
    let third = body
        .windows(14)
        .position(|w| w == b"releve-2.ofx\"\r")
        .unwrap();
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("banque-exemple:{SECRET}"));
    let host = s.base.trim_start_matches("http://");
    let mut tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST /holders/v1/pushes HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {credentials}\r\nIdempotency-Key: broken\r\nContent-Type: multipart/form-data; boundary=B0UNDARY\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    tcp.write_all(&body[..third + 100]).await.unwrap();
    tcp.shutdown().await.unwrap();
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("same Idempotency-Key"), "{answer}");
    // Customer 1's statement, whole before the break, was delivered.
    assert_eq!(labels(&s, &r1, "r1").await.len(), 2);
    assert_eq!(s.app.store.deliveries_of("r1", 10).await.unwrap().len(), 1);

    // The key is free again: the whole push is answered, nothing doubled.
    let r = push_files(&s, "banque-exemple", "broken", &files).await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (answer["parts"].as_u64(), answer["delivered"].as_u64()),
        (Some(3), Some(1)),
        "{answer}"
    );
    assert_eq!(labels(&s, &r1, "r1").await.len(), 2, "merged, not doubled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_naming_a_second_account_is_delivered_to_no_one() {
    let s = Server::start_with(|o| o.unencrypted = true).await;
    register(
        &s,
        "banque-exemple",
        "Banque Exemple",
        "bank",
        "Numéro de compte",
    )
    .await;
    let r1 = Resident::new(&s, "r1").await;
    selfdata_holders_web::pages::connect_pod(
        &s.app.holders,
        &PodName::parse("r1").unwrap(),
        "banque-exemple",
        &meter(1),
    )
    .await
    .unwrap();
    // Customer 1's statement, then customer 3's account in the same file.
    let first = String::from_utf8(statement(1)).unwrap();
    let other = String::from_utf8(statement(3)).unwrap();
    let block = &other[other.find("<STMTTRNRS>").unwrap()
        ..other.find("</STMTTRNRS>").unwrap() + "</STMTTRNRS>".len()];
    let both = first.replace("</BANKMSGSRSV1>", &format!("{block}</BANKMSGSRSV1>"));
    let r = push_files(
        &s,
        "banque-exemple",
        "two-accounts",
        &[("releves.ofx".to_owned(), both.into_bytes())],
    )
    .await;
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        (answer["delivered"].as_u64(), answer["failed"].as_u64()),
        (Some(0), Some(1)),
        "{answer}"
    );
    let why = answer["failures"][0]["why"].as_str().unwrap();
    assert!(
        why.starts_with("Part 1 (“releves.ofx”): ") && why.contains("more than one account"),
        "{why}"
    );
    assert!(labels(&s, &r1, "r1").await.is_empty());
    let found = marks_in_data_folder(&s).await;
    for mark in [meter(3), index(3, 1).to_string(), index(1, 1).to_string()] {
        assert!(!found.contains(&mark), "{mark} is in the data folder");
    }
    // The resident sees the failed delivery, in words.
    let deliveries = s.app.store.deliveries_of("r1", 10).await.unwrap();
    assert_eq!(deliveries.len(), 1);
    assert!(!deliveries[0].ok && deliveries[0].outcome.contains("more than one account"));
}

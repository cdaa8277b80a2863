//! A holder that registered a signing key: its client secret alone no
//! longer pushes anything. A CSV push without its signature is refused
//! before its body, one signed for another file, another idempotency key
//! or by another key delivers nothing (and frees its key for a retry), a
//! rightly signed push delivers; in a push of one file per customer each
//! part is checked on its own, before it is delivered. The operator sets
//! and removes the key on the console (a key that is not one refused in
//! words) and with `selfdata holder push-key`.

use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::EncodePublicKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use selfdata_holders::signing;
use selfdata_store::PodName;
use selfdata_store::holders::{Holder, Layout};

use crate::common::{Server, field};
use crate::holders::{everything_in, index, marks_in, meter};

const SECRET: &str = "s3cret-that-leaked";
const COLUMN: &str = "Numéro de compteur";

fn holder_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

async fn register(s: &Server, id: &str, layout: Layout) {
    let holder = Holder {
        id: id.into(),
        name: "Signing holder".into(),
        contact: "dpo@holder.example".into(),
        categories: vec![
            if layout == Layout::Column {
                "water"
            } else {
                "bank"
            }
            .into(),
        ],
        identifier: COLUMN.into(),
        layout,
        column: if layout == Layout::Column {
            COLUMN.into()
        } else {
            String::new()
        },
        secret_hash: selfdata_holders::secret_hash(SECRET),
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    };
    s.app.store.put_holder(&holder).await.unwrap();
    let fingerprint =
        selfdata_holders_web::operator::set_push_key(&s.app.holders, id, Some(&pem(&holder_key())))
            .await
            .unwrap();
    assert_eq!(fingerprint.map(|f| f.len()), Some(16));
}

async fn connect(s: &Server, pod: &str, holder: &str, i: usize) -> PodName {
    let pod = PodName::parse(pod).unwrap();
    s.app.create_pod(&pod).await.unwrap();
    selfdata_holders_web::pages::connect_pod(&s.app.holders, &pod, holder, &meter(i))
        .await
        .unwrap();
    pod
}

fn water_file(n: usize) -> String {
    let mut out = format!(
        "{COLUMN};Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n"
    );
    for i in 0..n {
        out.push_str(&format!(
            "{};01/12/2026 12:00;{};101;Mesuré\n",
            meter(i),
            index(i, 1)
        ));
    }
    out
}

async fn push(
    s: &Server,
    key: &str,
    body: &str,
    signature: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = s
        .client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth("eau", Some(SECRET))
        .header("idempotency-key", key)
        .header("content-type", "text/csv")
        .body(body.to_owned());
    if let Some(sig) = signature {
        request = request.header("holder-signature", sig);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Whether the pod holds the index of customer `i`'s first day.
async fn holds(s: &Server, pod: &PodName, i: usize) -> bool {
    let mut found = std::collections::HashSet::new();
    marks_in(&everything_in(s.app.store.as_ref(), pod).await, &mut found);
    found.contains(&index(i, 1).to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_signing_key_a_leaked_secret_pushes_nothing_and_a_signed_push_delivers() {
    let s = Server::start().await;
    register(&s, "eau", Layout::Column).await;
    let ines = connect(&s, "ines", "eau", 0).await;
    let file = water_file(3);
    let sign =
        |key: &SigningKey, idem: &str, body: &str| signing::sign(key, "eau", idem, body.as_bytes());

    // The secret alone: refused before the body, in words.
    let (status, problem) = push(&s, "day-1", &file, None).await;
    assert_eq!(status, 403, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("Holder-Signature"),
        "{problem}"
    );
    let (status, problem) = push(&s, "day-1", &file, Some("not a signature")).await;
    assert_eq!(status, 400, "{problem}");

    // Signed by someone else (whoever stole the secret), for another file,
    // or for another idempotency key: nothing delivered.
    let thief = SigningKey::from_bytes(&[7; 32]);
    let other_file = water_file(2);
    for signature in [
        sign(&thief, "day-1", &file),
        sign(&holder_key(), "day-1", &other_file),
        sign(&holder_key(), "day-0", &file),
    ] {
        let (status, problem) = push(&s, "day-1", &file, Some(&signature)).await;
        assert_eq!(status, 403, "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("nothing of it was delivered"),
            "{problem}"
        );
    }
    assert!(!holds(&s, &ines, 0).await, "a refused push delivered");
    assert!(
        s.app
            .store
            .deliveries_of("ines", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Rightly signed: delivered, under the key the refused tries left free.
    let (status, answer) = push(
        &s,
        "day-1",
        &file,
        Some(&sign(&holder_key(), "day-1", &file)),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        (answer["delivered"].as_u64(), answer["skipped"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(holds(&s, &ines, 0).await);

    // The key removed, the secret is enough again.
    selfdata_holders_web::operator::set_push_key(&s.app.holders, "eau", None)
        .await
        .unwrap();
    let (status, answer) = push(&s, "day-2", &file, None).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_file_of_a_signed_push_of_files_is_checked_before_it_is_delivered() {
    let s = Server::start().await;
    register(&s, "banque", Layout::FilePerCustomer).await;
    let a = connect(&s, "ana", "banque", 0).await;
    let b = connect(&s, "bob", "banque", 1).await;
    let c = connect(&s, "chloe", "banque", 2).await;
    let files = [
        crate::holders_files::statement(0),
        crate::holders_files::statement(1),
        crate::holders_files::statement(2),
    ];
    let key = "2026-11-30";
    let signatures = [
        Some(signing::sign(&holder_key(), "banque", key, &files[0])),
        // Another file's signature.
        Some(signing::sign(&holder_key(), "banque", key, &files[0])),
        None,
    ];
    let mut form = reqwest::multipart::Form::new();
    for (i, (file, sig)) in files.iter().zip(&signatures).enumerate() {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(sig) = sig {
            headers.insert("holder-signature", sig.parse().unwrap());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(file.clone())
                .file_name(format!("releve-{i}.ofx"))
                .headers(headers),
        );
    }
    let r = s
        .client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth("banque", Some(SECRET))
        .header("idempotency-key", key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let answer: serde_json::Value = r.json().await.unwrap();
    assert_eq!(answer["delivered"], 1, "{answer}");
    assert_eq!(answer["failed"], 2, "{answer}");
    let whys: Vec<(u64, &str)> = answer["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["part"].as_u64().unwrap(), f["why"].as_str().unwrap()))
        .collect();
    assert_eq!(whys.len(), 2, "{answer}");
    assert!(
        whys[0].0 == 2 && whys[0].1.contains("signature does not match"),
        "{whys:?}"
    );
    assert!(
        whys[1].0 == 3 && whys[1].1.contains("Holder-Signature"),
        "{whys:?}"
    );
    assert!(holds(&s, &a, 0).await);
    assert!(
        !holds(&s, &b, 1).await,
        "a file with a wrong signature was delivered"
    );
    assert!(!holds(&s, &c, 2).await, "an unsigned file was delivered");
}

#[tokio::test]
async fn the_operator_sets_and_removes_a_holders_signing_key_on_the_console() {
    let s = Server::start().await;
    let ops = crate::operator::operator(&s).await;
    let page = ops.get("/app/operator/holders").await;
    let csrf = field(&page.body, "csrf");
    // Registered with its key at once.
    let key_pem = pem(&holder_key());
    let page = ops
        .post(
            "/app/operator/holders",
            &[
                ("csrf", csrf.as_str()),
                ("id", "eau"),
                ("name", "Eau du Grand Lyon"),
                ("contact", "dpo@eau.example"),
                ("water", "yes"),
                ("identifier", COLUMN),
                ("push_key", key_pem.as_str()),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let kept = s.app.store.holder("eau").await.unwrap().unwrap();
    let fingerprint = signing::PushKey::parse(&key_pem).unwrap().fingerprint();
    assert_eq!(
        kept.push_key
            .as_deref()
            .map(|k| signing::PushKey::parse(k).unwrap().fingerprint()),
        Some(fingerprint.clone())
    );
    let page = ops.get("/app/operator/holders").await;
    assert!(
        page.body.contains(&format!(
            "Its pushes must be signed by the key {fingerprint}"
        )),
        "{}",
        page.body
    );

    // A text that is not a key: refused in words, the key kept.
    let page = ops
        .post(
            "/app/operator/holders/push-key",
            &[
                ("csrf", csrf.as_str()),
                ("holder", "eau"),
                (
                    "key",
                    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
                ),
            ],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("This is not an Ed25519 public key"),
        "{}",
        page.body
    );
    assert!(
        s.app
            .store
            .holder("eau")
            .await
            .unwrap()
            .unwrap()
            .push_key
            .is_some()
    );

    // Another key, in base64; then removed.
    let other = SigningKey::from_bytes(&[9; 32]);
    let raw = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        other.verifying_key().as_bytes(),
    );
    let page = ops
        .post(
            "/app/operator/holders/push-key",
            &[
                ("csrf", csrf.as_str()),
                ("holder", "eau"),
                ("key", raw.as_str()),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        s.app.store.holder("eau").await.unwrap().unwrap().push_key,
        Some(raw)
    );
    let page = ops
        .post(
            "/app/operator/holders/push-key",
            &[
                ("csrf", csrf.as_str()),
                ("holder", "eau"),
                ("remove", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        s.app.store.holder("eau").await.unwrap().unwrap().push_key,
        None
    );
    let page = ops.get("/app/operator/holders?done=no-key").await;
    assert!(
        page.body.contains("its secret is enough again"),
        "{}",
        page.body
    );
}

#[test]
fn the_operator_sets_a_signing_key_from_a_pem_file_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"))
            .arg("--data")
            .arg(dir.path())
            .arg("holder")
            .args(args)
            .env("SELFDATA_LOG", "warn")
            .output()
            .unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let key_file = dir.path().join("eau.pub.pem");
    std::fs::write(&key_file, pem(&holder_key())).unwrap();
    let not_a_key = dir.path().join("not-a-key.pem");
    std::fs::write(&not_a_key, "hello").unwrap();
    let add = [
        "add",
        "--id",
        "eau",
        "--name",
        "Eau",
        "--contact",
        "dpo@eau.example",
        "--category",
        "water",
        "--identifier",
        COLUMN,
    ];
    let (ok, said) = cli(&add);
    assert!(ok, "{said}");
    let (_, listed) = cli(&["list"]);
    assert!(listed.trim_end().ends_with("secret only"), "{listed}");
    let (ok, said) = cli(&["push-key", "eau", "--file", not_a_key.to_str().unwrap()]);
    assert!(!ok && said.contains("not an Ed25519 public key"), "{said}");
    let (ok, said) = cli(&["push-key", "eau", "--file", key_file.to_str().unwrap()]);
    assert!(ok, "{said}");
    let fingerprint = signing::PushKey::parse(&pem(&holder_key()))
        .unwrap()
        .fingerprint();
    assert!(said.contains(&fingerprint), "{said}");
    let (_, listed) = cli(&["list"]);
    assert!(listed.trim_end().ends_with("signed pushes"), "{listed}");
    // `holder add` again (a new secret) keeps the key.
    let (ok, _) = cli(&add);
    assert!(ok);
    let (_, listed) = cli(&["list"]);
    assert!(listed.trim_end().ends_with("signed pushes"), "{listed}");
    let (ok, said) = cli(&["push-key", "eau", "--remove"]);
    assert!(ok && said.contains("removed"), "{said}");
    let (ok, said) = cli(&["push-key", "nobody", "--remove"]);
    assert!(!ok, "{said}");
}

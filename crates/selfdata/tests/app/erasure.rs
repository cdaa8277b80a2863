//! Erasure of a whole pod through the application: crypto-shredding, the
//! account's pod list, the receipt; other pods unaffected.

use crate::common;

use bytes::Bytes;
use selfdata::{App, Options};
use selfdata_store::crypto::MasterKey;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, Write};

/// Copies a folder tree.
pub(crate) fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn deleting_a_pod_shreds_its_key_unlinks_it_and_gives_a_receipt() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::random();
    let mut options = Options::new(dir.path(), "http://127.0.0.1:9");
    options.master_key = Some(master.clone());
    let app = App::open(options).await.unwrap();
    let (gone, kept) = (
        PodName::parse("camille").unwrap(),
        PodName::parse("dominique").unwrap(),
    );
    app.idp
        .create_account("camille@example.org", "a long enough password", &gone)
        .await
        .unwrap();
    app.create_pod(&kept).await.unwrap();
    let secret = ResourcePath::parse("/private/secret.txt").unwrap();
    for pod in [&gone, &kept] {
        app.store
            .write(
                pod,
                Write::Put {
                    path: secret.clone(),
                    content_type: "text/plain".into(),
                    body: Bytes::from_static(b"my secret"),
                    precondition: Precondition::None,
                },
            )
            .await
            .unwrap();
    }
    let account = app
        .store
        .account_by_email("camille@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(app.store.pods_of(account.id).await.unwrap(), ["camille"]);

    let backup = tempfile::tempdir().unwrap();
    copy_tree(&dir.path().join("pods/camille"), backup.path());

    let receipt = app.delete_pod(&gone).await.unwrap();
    let text = receipt.to_string();
    assert!(text.contains("pod: camille"), "{text}");
    assert!(text.contains("data key"), "{text}");
    assert!(receipt.time_utc.ends_with('Z'), "{text}");
    assert!(text.contains("account"), "{text}");

    assert!(app.store.pods_of(account.id).await.unwrap().is_empty());
    assert!(app.store.pod(&gone).await.unwrap().is_none());
    assert!(app.store.get(&gone, &secret).await.is_err());
    assert!(!dir.path().join("pods/camille").exists());
    assert!(
        app.delete_pod(&gone).await.is_err(),
        "a second deletion fails"
    );
    let (_, body) = app.store.get(&kept, &secret).await.unwrap().unwrap();
    assert_eq!(&body[..], b"my secret");
    drop(app);

    // The copied files, even put back, with the master key, read nothing.
    copy_tree(backup.path(), &dir.path().join("pods/camille"));
    let store = SqliteBackend::open_with_key(dir.path(), master).unwrap();
    assert!(store.get(&gone, &secret).await.is_err());
    let (_, body) = store.get(&kept, &secret).await.unwrap().unwrap();
    assert_eq!(&body[..], b"my secret");
}

/// The owner deletes their pod from the web after typing their password
/// again and the pod's name; the server forgets it at once.
#[tokio::test]
async fn the_owner_erases_their_pod_from_the_web_after_reauthenticating() {
    let s = common::Server::start().await;
    let pod = PodName::parse("carol").unwrap();
    s.app
        .idp
        .create_account("carol@example.org", "carol-password-1", &pod)
        .await
        .unwrap();
    let b = s.sign_in("carol@example.org", "carol-password-1").await;
    let form = b.response("/app/privacy/delete").await;
    assert_eq!(form.status(), 200);
    assert!(
        form.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let html = form.text().await.unwrap();
    let csrf = common::field(&html, "csrf");
    let post = |password: &'static str, confirm: &'static str, csrf: String| {
        b.request(reqwest::Method::POST, "/app/privacy/delete")
            .form(&[
                ("csrf", csrf.as_str()),
                ("password", password),
                ("confirm", confirm),
            ])
            .send()
    };
    assert_eq!(
        post("carol-password-1", "carol", "forged".into())
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post("wrong-password", "carol", csrf.clone())
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        post("carol-password-1", "caro", csrf.clone())
            .await
            .unwrap()
            .status(),
        400
    );
    assert!(
        s.app.store.pod(&pod).await.unwrap().is_some(),
        "nothing deleted yet"
    );

    let done = post("carol-password-1", "carol", csrf).await.unwrap();
    assert_eq!(done.status(), 200);
    let receipt = done.text().await.unwrap();
    assert!(receipt.contains("data key"), "{receipt}");
    assert!(s.app.store.pod(&pod).await.unwrap().is_none());
    let gone = s
        .client
        .get(format!("{}/carol/profile/card", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

//! Encryption at rest and crypto-shredding, on real files.

use std::path::Path;

use bytes::Bytes;
use selfdata_store::crypto::MasterKey;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, Directory, PodName, Precondition, ResourcePath, StoreError, Write};

const EMAIL: &str = "camille.durand-7341@example.org";
const NAME: &str = "Camille Durand-Quintavalle";
const ADDRESS: &str = "17 rue des Tanneurs-Bleus";
const METER: &str = "98765432109876";
const MARKER: &str = "BLOB-MARKER-5f3c2a91-personal";

fn put(path: &str, content_type: &str, body: Vec<u8>) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: content_type.into(),
        body: Bytes::from(body),
        precondition: Precondition::None,
    }
}

fn big_body() -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < 700 * 1024 {
        body.extend_from_slice(format!("{MARKER} line {}\n", body.len()).as_bytes());
    }
    body
}

/// Writes an account and a pod holding known personal values.
async fn fill(store: &SqliteBackend, pod: &PodName) {
    store.create_pod(pod).await.unwrap();
    let account = store.create_account(EMAIL, "$argon2id$fake").await.unwrap();
    store.set_pod_owner(pod.as_str(), account.id).await.unwrap();
    let turtle = format!(
        "<#me> <http://xmlns.com/foaf/0.1/name> \"{NAME}\" ;\n  <http://schema.org/address> \"{ADDRESS}\" .\n"
    );
    let csv = format!("meter,start,kwh\n{METER},2025-01-01T00:00:00Z,1.5\n");
    for w in [
        put("/profile/card", "text/turtle", turtle.into_bytes()),
        put("/energy/readings.csv", "text/csv", csv.into_bytes()),
        put("/raw/export.txt", "text/plain", big_body()),
        Write::Index {
            key: "energy/index".into(),
            value: Some(Bytes::from(format!("{METER}|{NAME}"))),
        },
    ] {
        store.write(pod, w).await.unwrap();
    }
}

/// Every file under `dir`, with its bytes.
fn all_files(dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            all_files(&entry.path(), out);
        } else {
            out.push((
                entry.path().display().to_string(),
                std::fs::read(entry.path()).unwrap(),
            ));
        }
    }
}

/// Each file's path, length and hash, sorted.
fn fingerprint(dir: &Path) -> Vec<(String, usize, u64)> {
    use std::hash::{Hash, Hasher};
    let mut files = Vec::new();
    all_files(dir, &mut files);
    let mut out: Vec<_> = files
        .into_iter()
        .map(|(p, b)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            b.hash(&mut h);
            (p, b.len(), h.finish())
        })
        .collect();
    out.sort();
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The known values found in the files of `dir`, with the file.
fn leaks(dir: &Path) -> Vec<String> {
    let mut files = Vec::new();
    all_files(dir, &mut files);
    let mut found = Vec::new();
    for (path, bytes) in &files {
        for value in [EMAIL, NAME, ADDRESS, METER, MARKER, "SQLite format 3"] {
            if contains(bytes, value.as_bytes()) {
                found.push(format!("{value} in {path}"));
            }
        }
    }
    found
}

#[tokio::test]
async fn no_known_personal_value_is_stored_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path()).unwrap();
    let pod = PodName::parse("camille").unwrap();
    fill(&store, &pod).await;
    // While open (WAL files present) and after closing.
    let mut files = Vec::new();
    all_files(dir.path(), &mut files);
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(
        names.iter().any(|p| p.ends_with("pod.sqlite-wal")),
        "{names:?}"
    );
    assert!(names.iter().any(|p| p.contains("/blobs/")), "{names:?}");
    assert_eq!(leaks(dir.path()), Vec::<String>::new());
    drop(store);
    assert_eq!(leaks(dir.path()), Vec::<String>::new());

    // The same writes without encryption do leak (the scan can see them).
    let plain = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open_unencrypted(plain.path()).unwrap();
    fill(&store, &pod).await;
    let found = leaks(plain.path());
    for value in [EMAIL, NAME, METER, MARKER] {
        assert!(
            found.iter().any(|f| f.starts_with(value)),
            "{value}: {found:?}"
        );
    }

    // Reopened, everything reads back.
    let store = SqliteBackend::open(dir.path()).unwrap();
    let (_, body) = store
        .get(&pod, &ResourcePath::parse("/raw/export.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(body.len(), big_body().len());
    assert_eq!(&body[..], &big_body()[..]);
    assert_eq!(
        store.account_by_email(EMAIL).await.unwrap().unwrap().email,
        EMAIL
    );
}

/// Copies a folder tree.
fn copy_tree(from: &Path, to: &Path) {
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
async fn a_deleted_pod_cannot_be_read_from_copies_of_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let master = MasterKey::random();
    let store = SqliteBackend::open_with_key(dir.path(), master.clone()).unwrap();
    let (gone, kept) = (
        PodName::parse("camille").unwrap(),
        PodName::parse("dominique").unwrap(),
    );
    fill(&store, &gone).await;
    store.create_pod(&kept).await.unwrap();
    store
        .write(
            &kept,
            put("/note.txt", "text/plain", b"still here".to_vec()),
        )
        .await
        .unwrap();

    // A "backup" of the pod's files, taken while it is open.
    let backup = tempfile::tempdir().unwrap();
    copy_tree(&dir.path().join("pods/camille"), backup.path());

    let receipt = store.delete_pod(&gone).await.unwrap();
    assert!(receipt.key_destroyed);
    assert!(receipt.files_removed >= 2, "{receipt:?}");
    assert!(!dir.path().join("pods/camille").exists());
    assert!(store.pod(&gone).await.unwrap().is_none());
    assert!(store.get(&gone, &ResourcePath::root()).await.is_err());
    assert_eq!(store.pod_owner("camille").await.unwrap(), None);
    // Other pods still work.
    let (_, body) = store
        .get(&kept, &ResourcePath::parse("/note.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], b"still here");
    drop(store);

    // Restoring the copied files, even with the master key, reads nothing:
    // the pod is unknown, and its key is nowhere in host.sqlite.
    copy_tree(backup.path(), &dir.path().join("pods/camille"));
    let store = SqliteBackend::open_with_key(dir.path(), master.clone()).unwrap();
    assert!(store.get(&gone, &ResourcePath::root()).await.is_err());
    // The restored folder was swept as an orphan on open.
    assert!(!dir.path().join("pods/camille").exists());
    // The erased name is never given again (its WebID may still be named
    // in other pods' ACLs), so nobody can re-register it to claim the files.
    assert!(matches!(
        store.create_pod(&gone).await,
        Err(StoreError::PodExists(_))
    ));
    // And the backup contains no plaintext either.
    assert_eq!(leaks(backup.path()), Vec::<String>::new());
}

#[tokio::test]
async fn rotating_the_master_key_rewraps_data_keys() {
    let dir = tempfile::tempdir().unwrap();
    let old = MasterKey::random();
    let new = MasterKey::random();
    let pod = PodName::parse("camille").unwrap();
    {
        let store = SqliteBackend::open_with_key(dir.path(), old.clone()).unwrap();
        fill(&store, &pod).await;
    }
    let pod_file = std::fs::read(dir.path().join("pods/camille/pod.sqlite")).unwrap();
    let n = SqliteBackend::rotate_master_key(dir.path(), &old, &new).unwrap();
    assert_eq!(n, 1);
    // Pod data was not re-encrypted.
    assert_eq!(
        std::fs::read(dir.path().join("pods/camille/pod.sqlite")).unwrap(),
        pod_file
    );
    let err = SqliteBackend::open_with_key(dir.path(), old.clone()).unwrap_err();
    assert!(err.to_string().contains("master key"), "{err}");
    let store = SqliteBackend::open_with_key(dir.path(), new.clone()).unwrap();
    let (_, body) = store
        .get(&pod, &ResourcePath::parse("/raw/export.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], &big_body()[..]);
    assert!(store.account_by_email(EMAIL).await.unwrap().is_some());
    // A rotation with the wrong old key changes nothing.
    drop(store);
    assert!(SqliteBackend::rotate_master_key(dir.path(), &old, &MasterKey::random()).is_err());
    assert!(SqliteBackend::open_with_key(dir.path(), new).is_ok());
}

#[tokio::test]
async fn a_wrong_master_key_is_a_clear_error_and_destroys_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let right = MasterKey::random();
    let pod = PodName::parse("camille").unwrap();
    {
        let store = SqliteBackend::open_with_key(dir.path(), right.clone()).unwrap();
        fill(&store, &pod).await;
    }
    let before = fingerprint(dir.path());
    let err = SqliteBackend::open_with_key(dir.path(), MasterKey::random()).unwrap_err();
    assert!(
        err.to_string()
            .contains("the master key does not open this data folder"),
        "{err}"
    );
    assert_eq!(before, fingerprint(dir.path()));
    let store = SqliteBackend::open_with_key(dir.path(), right).unwrap();
    assert!(
        store
            .get(&pod, &ResourcePath::root())
            .await
            .unwrap()
            .is_some()
    );
    assert!(MasterKey::from_hex("not hex").is_err());
}

#[tokio::test]
async fn a_plaintext_data_folder_of_an_earlier_version_is_encrypted_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let pod = PodName::parse("camille").unwrap();
    {
        let store = SqliteBackend::open_unencrypted(dir.path()).unwrap();
        fill(&store, &pod).await;
    }
    assert!(!leaks(dir.path()).is_empty());
    let store = SqliteBackend::open(dir.path()).unwrap();
    assert!(dir.path().join("master.key").exists());
    assert_eq!(leaks(dir.path()), Vec::<String>::new());
    let (_, body) = store
        .get(&pod, &ResourcePath::parse("/raw/export.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], &big_body()[..]);
    let (_, card) = store
        .get(&pod, &ResourcePath::parse("/profile/card").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(contains(&card, NAME.as_bytes()));
    assert!(store.account_by_email(EMAIL).await.unwrap().is_some());
}

#[cfg(unix)]
#[test]
fn the_master_key_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteBackend::open(dir.path()).unwrap());
    let mode = std::fs::metadata(dir.path().join("master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

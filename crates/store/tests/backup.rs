//! Backups of a data folder in use, and their restore, on real files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use bytes::Bytes;
use selfdata_store::crypto::{Key32, MasterKey};
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::sqlite::backup::{self, BackupError};
use selfdata_store::{Backend, Directory, PodName, Precondition, ResourcePath, Write};

fn pod(name: &str) -> PodName {
    PodName::parse(name).unwrap()
}

fn put(path: &str, body: Vec<u8>) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "text/plain".into(),
        body: Bytes::from(body),
        precondition: Precondition::None,
    }
}

/// A body above the inline limit, so it lives in a blob file.
fn large(seed: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < 600 * 1024 {
        body.extend_from_slice(format!("large body {seed} line {}\n", body.len()).as_bytes());
    }
    body
}

/// Every resource of a pod: path → (media type, body).
async fn everything(store: &SqliteBackend, pod: &PodName) -> BTreeMap<String, (String, Bytes)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![ResourcePath::root()];
    while let Some(container) = todo.pop() {
        for meta in store.members(pod, &container).await.unwrap() {
            if meta.is_container() {
                todo.push(meta.path.clone());
            } else {
                let (meta, body) = store.get(pod, &meta.path).await.unwrap().unwrap();
                out.insert(meta.path.to_string(), (meta.content_type, body));
            }
        }
    }
    out
}

async fn filled(dir: &Path) -> Arc<SqliteBackend> {
    let store = Arc::new(SqliteBackend::open(dir).unwrap());
    for (name, n) in [("alice", 0), ("bob", 100)] {
        let p = pod(name);
        store.create_pod(&p).await.unwrap();
        let account = store
            .create_account(&format!("{name}@example.org"), "$argon2id$fake")
            .await
            .unwrap();
        store.set_pod_owner(name, account.id).await.unwrap();
        for i in 0..20 {
            let body = format!("{name} resource {i}\n").into_bytes();
            store
                .write(&p, put(&format!("/notes/{i}.txt"), body))
                .await
                .unwrap();
        }
        store
            .write(&p, put("/raw/big.txt", large(n)))
            .await
            .unwrap();
        store
            .write(
                &p,
                Write::Index {
                    key: "energy/index".into(),
                    value: Some(Bytes::from(format!("{name} index"))),
                },
            )
            .await
            .unwrap();
    }
    store
}

async fn take(
    store: &Arc<SqliteBackend>,
    key: &Key32,
    dest: &Path,
    keep: usize,
) -> backup::BackupReport {
    let (store, key, dest) = (store.clone(), key.clone(), dest.to_path_buf());
    tokio::task::spawn_blocking(move || store.backup(&key, &dest, keep, &mut |_| {}))
        .await
        .unwrap()
        .unwrap()
}

/// Restores a snapshot onto a fresh folder under a master key of its own,
/// and opens it.
fn restore_fresh(
    snapshot: &Path,
    key: &Key32,
    target: &Path,
) -> (backup::RestoreReport, SqliteBackend) {
    let master = MasterKey::random();
    let report = backup::restore(snapshot, key, target, Some(master.clone()), &mut |_| {}).unwrap();
    (
        report,
        SqliteBackend::open_with_key(target, master).unwrap(),
    )
}

#[tokio::test]
async fn a_restored_backup_holds_every_resource_of_every_pod() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    let report = take(&store, &key, &dest, 7).await;
    assert_eq!(report.pods, 2);
    assert!(report.bytes > 2 * 600 * 1024, "{report:?}");
    let before = [
        everything(&store, &pod("alice")).await,
        everything(&store, &pod("bob")).await,
    ];
    let index = store.index_get(&pod("bob"), "energy/index").await.unwrap();
    drop(store);

    // Onto a fresh folder with a master key of its own.
    let target = tmp.path().join("restored");
    let (restored, store) = restore_fresh(&report.snapshot, &key, &target);
    assert_eq!(restored.pods, 2);
    assert!(restored.erased.is_empty());
    assert_eq!(everything(&store, &pod("alice")).await, before[0]);
    assert_eq!(everything(&store, &pod("bob")).await, before[1]);
    assert_eq!(
        store.index_get(&pod("bob"), "energy/index").await.unwrap(),
        index
    );
    // The directory came back too: the owner of each pod.
    let owner = store.pod_owner("alice").await.unwrap().unwrap();
    assert_eq!(
        store.pods_of(owner).await.unwrap(),
        vec!["alice".to_owned()]
    );
}

#[tokio::test]
async fn writes_during_a_backup_are_all_there_or_not_at_all() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    // A resident writes without pause: numbered notes, each a large body
    // every fifth (a blob), and one counter overwritten each time.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, acknowledged, stop) = (store.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            let p = pod("alice");
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                let body = if n % 5 == 0 {
                    large(n)
                } else {
                    format!("stream {n}\n").into_bytes()
                };
                store
                    .write(&p, put(&format!("/stream/{n}.txt"), body))
                    .await
                    .unwrap();
                store
                    .write(&p, put("/stream/counter", n.to_string().into_bytes()))
                    .await
                    .unwrap();
                n += 1;
                acknowledged.store(n, Ordering::SeqCst);
            }
        })
    };
    while acknowledged.load(Ordering::SeqCst) < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before_backup = acknowledged.load(Ordering::SeqCst);
    let report = take(&store, &key, &dest, 7).await;
    stop.store(true, Ordering::SeqCst);
    writer.await.unwrap();
    drop(store);

    let target = tmp.path().join("restored");
    let (_, store) = restore_fresh(&report.snapshot, &key, &target);
    let all = everything(&store, &pod("alice")).await;
    let counter: usize = std::str::from_utf8(&all["/stream/counter"].1)
        .unwrap()
        .parse()
        .unwrap();
    // Every note acknowledged before the backup began is there, whole; the
    // notes form an unbroken run up to the counter (or one past it: the
    // note is written before the counter), nothing after.
    assert!(
        counter + 1 >= before_backup,
        "counter {counter}, acknowledged {before_backup}"
    );
    let notes: Vec<usize> = all
        .keys()
        .filter_map(|p| {
            p.strip_prefix("/stream/")?
                .strip_suffix(".txt")?
                .parse()
                .ok()
        })
        .collect();
    let highest = *notes.iter().max().unwrap();
    assert!(
        highest == counter || highest == counter + 1,
        "{highest} vs {counter}"
    );
    assert_eq!(
        notes.len(),
        highest + 1,
        "no note missing below the highest"
    );
    for n in notes {
        let expected = if n % 5 == 0 {
            large(n)
        } else {
            format!("stream {n}\n").into_bytes()
        };
        assert_eq!(
            all[&format!("/stream/{n}.txt")].1,
            Bytes::from(expected),
            "note {n}"
        );
    }
}

#[tokio::test]
async fn an_erased_pod_never_comes_back_from_an_older_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    let report = take(&store, &key, &dest, 7).await;
    assert_eq!(std::fs::read_dir(dest.join("keys")).unwrap().count(), 2);
    store.delete_pod(&pod("bob")).await.unwrap();
    // Bob's key left the destination with the erasure.
    assert_eq!(std::fs::read_dir(dest.join("keys")).unwrap().count(), 1);
    let check = backup::check(&report.snapshot, &key, &mut |_| {}).unwrap();
    assert_eq!((check.pods, check.erased), (1, 1));
    drop(store);

    let target = tmp.path().join("restored");
    let (restored, store) = restore_fresh(&report.snapshot, &key, &target);
    assert_eq!(restored.pods, 1);
    let bob = &restored.erased[..];
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].pod, pod("bob"));
    assert!(
        bob[0].owner.is_some(),
        "the owner, to sign out as an erasure does"
    );
    assert!(store.pod(&pod("bob")).await.unwrap().is_none());
    assert!(store.pod_owner("bob").await.unwrap().is_none());
    assert_eq!(everything(&store, &pod("alice")).await.len(), 21);
    // The name stays erased: nobody gets it again.
    assert!(store.create_pod(&pod("bob")).await.is_err());
}

#[tokio::test]
async fn an_erasure_reaches_a_destination_that_was_away() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    let first = take(&store, &key, &dest, 7).await;
    // The backup disk is unmounted while Bob erases his pod.
    let away = tmp.path().join("away");
    std::fs::rename(&dest, &away).unwrap();
    store.delete_pod(&pod("bob")).await.unwrap();
    std::fs::rename(&away, &dest).unwrap();
    assert_eq!(std::fs::read_dir(dest.join("keys")).unwrap().count(), 2);
    // The next backup there removes his key before anything else.
    take(&store, &key, &dest, 7).await;
    assert_eq!(std::fs::read_dir(dest.join("keys")).unwrap().count(), 1);
    let check = backup::check(&first.snapshot, &key, &mut |_| {}).unwrap();
    assert_eq!((check.pods, check.erased), (1, 1));
}

#[tokio::test]
async fn only_the_newest_snapshots_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(take(&store, &key, &dest, 2).await);
    }
    assert_eq!(taken[2].pruned, 1);
    let left = backup::snapshots(&dest).unwrap();
    assert_eq!(
        left,
        vec![taken[1].snapshot.clone(), taken[2].snapshot.clone()]
    );
}

#[tokio::test]
async fn a_wrong_key_or_a_damaged_file_restores_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    let report = take(&store, &key, &dest, 7).await;
    drop(store);
    let target = tmp.path().join("restored");

    let wrong = backup::restore(
        &report.snapshot,
        &Key32::random(),
        &target,
        None,
        &mut |_| {},
    );
    assert!(matches!(wrong, Err(BackupError::WrongKey(_))), "{wrong:?}");
    assert!(!target.exists());

    // One byte of a pod's database changed on the backup disk.
    let pods = report.snapshot.join("pods");
    let one = std::fs::read_dir(&pods)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let file = one.join("pod.sqlite");
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[5000] ^= 1;
    std::fs::write(&file, bytes).unwrap();
    let damaged = backup::restore(&report.snapshot, &key, &target, None, &mut |_| {});
    let Err(e @ BackupError::Damaged { .. }) = damaged else {
        panic!("{damaged:?}");
    };
    assert!(e.to_string().contains("does not match its checksum"), "{e}");
    assert!(!target.exists());

    // A folder that is not empty is never written into.
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("precious"), b"keep me").unwrap();
    let other = take_from_scratch(tmp.path(), &key).await;
    let refused = backup::restore(&other, &key, &target, None, &mut |_| {});
    assert!(
        matches!(refused, Err(BackupError::NotEmpty(_))),
        "{refused:?}"
    );
    assert_eq!(std::fs::read(target.join("precious")).unwrap(), b"keep me");
}

async fn take_from_scratch(tmp: &Path, key: &Key32) -> std::path::PathBuf {
    let store = filled(&tmp.join("data2")).await;
    take(&store, key, &tmp.join("backups2"), 7).await.snapshot
}

#[tokio::test]
async fn a_backup_holds_no_personal_value_in_the_clear() {
    let tmp = tempfile::tempdir().unwrap();
    let store = filled(&tmp.path().join("data")).await;
    let key = Key32::random();
    let dest = tmp.path().join("backups");
    take(&store, &key, &dest, 7).await;
    let mut files = Vec::new();
    let mut todo = vec![dest.clone()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for needle in [
            "alice",
            "bob@example.org",
            "resource 3",
            "large body",
            "index",
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle} in {}",
                file.display()
            );
        }
        assert!(
            !file.to_string_lossy().contains("alice"),
            "{}",
            file.display()
        );
    }
}

//! Behaviour of the SQLite backend through the `Backend` trait, on real files.

use bytes::Bytes;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{
    Backend, PodName, Precondition, ResourcePath, StoreError, Write, WriteOutcome,
};

fn put(path: &str, body: &'static [u8], precondition: Precondition) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "text/plain".into(),
        body: Bytes::from_static(body),
        precondition,
    }
}

fn delete(path: &str) -> Write {
    Write::Delete {
        path: ResourcePath::parse(path).unwrap(),
        precondition: Precondition::None,
    }
}

async fn new_pod() -> (tempfile::TempDir, SqliteBackend, PodName) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path()).unwrap();
    let pod = PodName::parse("alice").unwrap();
    store.create_pod(&pod).await.unwrap();
    (dir, store, pod)
}

#[tokio::test]
async fn put_creates_intermediate_containers_and_lists_members() {
    let (_dir, store, pod) = new_pod().await;
    store
        .write(&pod, put("/a/b/c.txt", b"hello", Precondition::None))
        .await
        .unwrap();
    let root = store.members(&pod, &ResourcePath::root()).await.unwrap();
    assert_eq!(
        root.iter().map(|m| m.path.as_str()).collect::<Vec<_>>(),
        ["/a/"]
    );
    let b = store
        .members(&pod, &ResourcePath::parse("/a/b/").unwrap())
        .await
        .unwrap();
    assert_eq!(b[0].path.as_str(), "/a/b/c.txt");
    assert_eq!(b[0].size, 5);
    let (_, body) = store
        .get(&pod, &ResourcePath::parse("/a/b/c.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], b"hello");
}

#[tokio::test]
async fn non_empty_container_and_root_cannot_be_deleted() {
    let (_dir, store, pod) = new_pod().await;
    store
        .write(&pod, put("/a/x", b"1", Precondition::None))
        .await
        .unwrap();
    assert!(matches!(
        store.write(&pod, delete("/a/")).await,
        Err(StoreError::ContainerNotEmpty(_))
    ));
    assert!(matches!(
        store.write(&pod, delete("/")).await,
        Err(StoreError::RootDelete)
    ));
    store.write(&pod, delete("/a/x")).await.unwrap();
    assert_eq!(
        store.write(&pod, delete("/a/")).await.unwrap(),
        WriteOutcome::Deleted
    );
}

#[tokio::test]
async fn document_and_container_cannot_share_a_name() {
    let (_dir, store, pod) = new_pod().await;
    store
        .write(&pod, put("/a", b"1", Precondition::None))
        .await
        .unwrap();
    assert!(matches!(
        store
            .write(&pod, put("/a/b", b"1", Precondition::None))
            .await,
        Err(StoreError::ParentIsDocument(_))
    ));
    store
        .write(&pod, put("/c/d", b"1", Precondition::None))
        .await
        .unwrap();
    assert!(matches!(
        store.write(&pod, put("/c", b"1", Precondition::None)).await,
        Err(StoreError::SlashConflict(..))
    ));
}

#[tokio::test]
async fn racing_writers_with_the_same_etag_exactly_one_wins() {
    let (_dir, store, pod) = new_pod().await;
    let store = std::sync::Arc::new(store);
    let first = store
        .write(&pod, put("/doc", b"v0", Precondition::None))
        .await
        .unwrap();
    let WriteOutcome::Created(meta) = first else {
        panic!("expected a creation")
    };
    let etag = meta.etag();
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let store = store.clone();
        let pod = pod.clone();
        let etag = etag.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(&pod, put("/doc", b"v1", Precondition::EtagIn(vec![etag])))
                .await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(StoreError::PreconditionFailed) => {}
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(wins, 1);
}

#[tokio::test]
async fn large_bodies_survive_reopen_and_are_freed_on_delete() {
    let dir = tempfile::tempdir().unwrap();
    let pod = PodName::parse("bob").unwrap();
    let big: &'static [u8] = Box::leak(vec![42u8; 2 * 1024 * 1024].into_boxed_slice());
    {
        let store = SqliteBackend::open(dir.path()).unwrap();
        store.create_pod(&pod).await.unwrap();
        store
            .write(&pod, put("/big.bin", big, Precondition::None))
            .await
            .unwrap();
    }
    let store = SqliteBackend::open(dir.path()).unwrap();
    let (meta, body) = store
        .get(&pod, &ResourcePath::parse("/big.bin").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.size, big.len() as u64);
    assert_eq!(&body[..], big);
    store.write(&pod, delete("/big.bin")).await.unwrap();
    let blob_files = walk(&dir.path().join("pods/bob/blobs"));
    assert!(blob_files.is_empty(), "left behind: {blob_files:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test]
async fn idle_pods_are_closed_and_reopen_with_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path())
        .unwrap()
        .with_max_open_pods(2);
    let mut names = Vec::new();
    for i in 0..5 {
        let pod = PodName::parse(&format!("pod{i}")).unwrap();
        store.create_pod(&pod).await.unwrap();
        store
            .write(&pod, put("/x", b"data", Precondition::None))
            .await
            .unwrap();
        names.push(pod);
    }
    assert!(store.open_pods() <= 2);
    let mut versions = std::collections::HashSet::new();
    for pod in &names {
        let (meta, body) = store
            .get(pod, &ResourcePath::parse("/x").unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&body[..], b"data");
        versions.insert(meta.version);
        // Versions keep growing after a reopen: no entity tag is ever reused.
        let WriteOutcome::Updated(after) = store
            .write(pod, put("/x", b"more", Precondition::None))
            .await
            .unwrap()
        else {
            panic!("expected an update")
        };
        assert!(after.version > meta.version);
    }
    assert!(store.open_pods() <= 2);
}

#[tokio::test]
async fn a_batch_whose_last_write_fails_leaves_nothing_behind() {
    let (_dir, store, pod) = new_pod().await;
    store
        .write(&pod, put("/kept.txt", b"old", Precondition::None))
        .await
        .unwrap();
    let big = Bytes::from(vec![7u8; selfdata_store::sqlite::INLINE_LIMIT + 1]);
    let failing = Write::Batch(vec![
        put("/import/raw.csv", b"raw", Precondition::None),
        Write::Put {
            path: ResourcePath::parse("/import/big.bin").unwrap(),
            content_type: "application/octet-stream".into(),
            body: big,
            precondition: Precondition::None,
        },
        Write::Index {
            key: "energy/x".into(),
            value: Some(Bytes::from_static(b"idx")),
        },
        put("/kept.txt", b"new", Precondition::Absent), // fails: it exists
    ]);
    let err = store.write(&pod, failing).await.unwrap_err();
    assert!(matches!(err, StoreError::PreconditionFailed), "{err}");
    assert!(
        store
            .meta(&pod, &ResourcePath::parse("/import/").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.index_scan(&pod, "energy/").await.unwrap().is_empty());
    let (_, body) = store
        .get(&pod, &ResourcePath::parse("/kept.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], b"old");
}

#[tokio::test]
async fn index_entries_are_scanned_by_prefix_in_key_order_and_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let pod = PodName::parse("alice").unwrap();
    {
        let store = SqliteBackend::open(dir.path()).unwrap();
        store.create_pod(&pod).await.unwrap();
        let outcome = store
            .write(
                &pod,
                Write::Batch(vec![
                    put("/energy/2025.csv", b"a", Precondition::None),
                    Write::Index {
                        key: "energy/water/2025".into(),
                        value: Some(Bytes::from_static(b"25")),
                    },
                    Write::Index {
                        key: "energy/water/2024".into(),
                        value: Some(Bytes::from_static(b"24")),
                    },
                    Write::Index {
                        key: "energy/waterfall".into(),
                        value: Some(Bytes::from_static(b"no")),
                    },
                    Write::Index {
                        key: "other".into(),
                        value: Some(Bytes::from_static(b"no")),
                    },
                ]),
            )
            .await
            .unwrap();
        let WriteOutcome::Batch(outcomes) = outcome else {
            panic!("a batch answers with each outcome")
        };
        assert!(matches!(outcomes[0], WriteOutcome::Created(_)));
        store
            .write(
                &pod,
                Write::Index {
                    key: "energy/water/2025".into(),
                    value: None,
                },
            )
            .await
            .unwrap();
    }
    let store = SqliteBackend::open(dir.path()).unwrap();
    let found = store.index_scan(&pod, "energy/water/").await.unwrap();
    assert_eq!(
        found,
        vec![("energy/water/2024".to_owned(), Bytes::from_static(b"24"))]
    );
}

#[tokio::test]
async fn a_customer_linked_to_one_pod_cannot_be_claimed_for_another_even_at_once() {
    use selfdata_store::HolderRegistry;
    use selfdata_store::holders::Link;
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqliteBackend::open(dir.path()).unwrap());
    let link = |pod: &str, consent: &str| Link {
        holder_id: "eau".into(),
        customer: [7; 32],
        pod: pod.into(),
        consent_id: consent.into(),
        created_ms: 1,
    };
    // Many residents claim the same customer at once: exactly one wins.
    let mut claims = Vec::new();
    for i in 0..16 {
        let store = store.clone();
        let l = link(&format!("pod{i}"), "c");
        claims.push(tokio::spawn(
            async move { store.claim_link(&l).await.unwrap() },
        ));
    }
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1, "one pod holds the customer");
    let holder = store.link_of("eau", &[7; 32]).await.unwrap().unwrap();
    // The winner may claim again (a new consent), another still may not.
    assert!(store.claim_link(&link(&holder.pod, "c2")).await.unwrap());
    let other = if holder.pod == "pod0" { "pod1" } else { "pod0" };
    assert!(!store.claim_link(&link(other, "c3")).await.unwrap());
    let now = store.link_of("eau", &[7; 32]).await.unwrap().unwrap();
    assert_eq!(
        (now.pod.as_str(), now.consent_id.as_str()),
        (holder.pod.as_str(), "c2")
    );
    assert_eq!(store.link_of("eau", &[8; 32]).await.unwrap(), None);
}

#[tokio::test]
async fn a_transfer_is_revoked_only_by_its_pod_counted_and_forgotten_with_it() {
    use selfdata_store::HolderRegistry;
    use selfdata_store::holders::Transfer;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path()).unwrap();
    let transfer = |id: &str, pod: &str, expires_ms: i64| Transfer {
        id: id.into(),
        pod: pod.into(),
        holder_id: "asso".into(),
        consent_id: format!("transfer-{id}"),
        purpose: "https://w3id.org/dpv#CustomerCare".into(),
        resources: vec!["/selfdata/energy/water/".into(), "/notes/a.ttl".into()],
        created_ms: 1,
        expires_ms,
        revoked_ms: None,
        reads: 0,
        last_read_ms: None,
    };
    store
        .add_transfer(&transfer("t1", "ines", 1_000))
        .await
        .unwrap();
    store
        .add_transfer(&transfer("t2", "max", 1_000))
        .await
        .unwrap();
    store
        .add_transfer(&transfer("t3", "ines", 10))
        .await
        .unwrap();
    let back = store.transfer("t1").await.unwrap().unwrap();
    assert_eq!(back, transfer("t1", "ines", 1_000));
    // Live at 500: the two not yet expired.
    let live: Vec<String> = store
        .live_transfers_to("asso", 500)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(live.len(), 2);
    assert!(!live.contains(&"t3".to_owned()));
    assert!(
        store
            .live_transfers_to("other", 500)
            .await
            .unwrap()
            .is_empty()
    );
    // Max cannot revoke Inès's transfer; she can, once.
    assert!(!store.revoke_transfer("max", "t1", 600).await.unwrap());
    assert!(store.revoke_transfer("ines", "t1", 600).await.unwrap());
    assert!(!store.revoke_transfer("ines", "t1", 700).await.unwrap());
    assert!(!store.transfer("t1").await.unwrap().unwrap().is_live(601));
    assert_eq!(store.live_transfers_to("asso", 601).await.unwrap().len(), 1);
    store.count_reads("t2", 2, 800).await.unwrap();
    let t2 = store.transfer("t2").await.unwrap().unwrap();
    assert_eq!((t2.reads, t2.last_read_ms), (2, Some(800)));
    // An erased pod's transfers go with it, another's stay.
    store.forget_pod_links("ines").await.unwrap();
    assert!(store.transfers_of_pod("ines").await.unwrap().is_empty());
    assert_eq!(store.transfers_of_pod("max").await.unwrap().len(), 1);
}

/// Review finding: the operator's changes to a holder read it and wrote it
/// whole, so a new secret and new limits at once could undo one another,
/// and a change racing a removal brought the holder back.
#[tokio::test]
async fn changes_to_a_holder_at_once_all_hold_and_a_removed_holder_stays_removed() {
    use selfdata_store::HolderRegistry;
    use selfdata_store::holders::Holder;
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(SqliteBackend::open(dir.path()).unwrap());
    let holder = Holder {
        id: "eau".into(),
        name: "Eau".into(),
        contact: "dpo@eau.example".into(),
        categories: vec!["water".into()],
        identifier: "Compteur".into(),
        layout: Default::default(),
        column: "Compteur".into(),
        secret_hash: [1; 32],
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    };
    assert!(store.insert_holder(&holder).await.unwrap());
    assert!(
        !store.insert_holder(&holder).await.unwrap(),
        "a second registration of one id is refused"
    );
    // Sixteen changes at once, each to a field of its own: all hold.
    let mut changes = Vec::new();
    for i in 0..16u32 {
        let store = store.clone();
        changes.push(tokio::spawn(async move {
            let change = move |h: &mut Holder| {
                if i % 2 == 0 {
                    h.secret_hash = [2; 32];
                } else {
                    h.limits.pushes_per_hour = 100 + i;
                }
            };
            store.update_holder("eau", &change).await.unwrap()
        }));
    }
    for c in changes {
        assert!(c.await.unwrap());
    }
    let now = store.holder("eau").await.unwrap().unwrap();
    assert_eq!(now.secret_hash, [2; 32]);
    assert!(now.limits.pushes_per_hour > 100);
    // Removed, it is not brought back by a change.
    assert!(store.delete_holder("eau").await.unwrap().is_some());
    assert!(
        !store
            .update_holder("eau", &|h: &mut Holder| h.secret_hash = [3; 32])
            .await
            .unwrap()
    );
    assert_eq!(store.holder("eau").await.unwrap(), None);
    assert!(store.delete_holder("eau").await.unwrap().is_none());
}

/// What a listener of `changes` hears: (path, kind, has a version, parent version moved).
fn heard(committed: &selfdata_store::Committed) -> Vec<(String, selfdata_store::ChangeKind)> {
    committed
        .changes
        .iter()
        .map(|c| (c.path.as_str().to_owned(), c.kind))
        .collect()
}

#[tokio::test]
async fn committed_changes_are_told_with_the_versions_a_client_sees() {
    use selfdata_store::ChangeKind::*;
    let (_dir, store, pod) = new_pod().await;
    let mut changes = store
        .changes()
        .expect("the embedded engine tells its changes");
    let root_before = store
        .meta(&pod, &ResourcePath::root())
        .await
        .unwrap()
        .unwrap();

    // Two missing containers are created with the document, and the root,
    // which gains a member, changes version as a client would see it.
    store
        .write(&pod, put("/a/b/c.txt", b"one", Precondition::None))
        .await
        .unwrap();
    let told = changes.recv().await.unwrap();
    assert_eq!(told.pod, pod);
    assert_eq!(
        heard(&told),
        [
            ("/a/".to_owned(), Created),
            ("/a/b/".to_owned(), Created),
            ("/a/b/c.txt".to_owned(), Created)
        ]
    );
    let root_after = store
        .meta(&pod, &ResourcePath::root())
        .await
        .unwrap()
        .unwrap();
    assert_ne!(root_before.etag(), root_after.etag(), "the root gained /a/");
    assert_eq!(told.changes[0].parent_version, Some(root_after.version));
    let doc = store
        .meta(&pod, &ResourcePath::parse("/a/b/c.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    let b = store
        .meta(&pod, &ResourcePath::parse("/a/b/").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(told.changes[2].version, Some(doc.version));
    assert_eq!(told.changes[2].parent_version, Some(b.version));

    // A refused write is never told; the next one is.
    let refused = store
        .write(&pod, put("/a/b/c.txt", b"two", Precondition::Absent))
        .await;
    assert!(matches!(refused, Err(StoreError::PreconditionFailed)));
    store
        .write(&pod, put("/a/b/c.txt", b"two", Precondition::Exists))
        .await
        .unwrap();
    let told = changes.recv().await.unwrap();
    assert_eq!(heard(&told), [("/a/b/c.txt".to_owned(), Updated)]);

    store.write(&pod, delete("/a/b/c.txt")).await.unwrap();
    let told = changes.recv().await.unwrap();
    assert_eq!(heard(&told), [("/a/b/c.txt".to_owned(), Deleted)]);
    assert_eq!(told.changes[0].version, None);

    // A batch that fails as a whole tells nothing.
    let failed = store
        .write(
            &pod,
            Write::Batch(vec![
                put("/x.txt", b"x", Precondition::None),
                put("/a/b/c.txt", b"three", Precondition::Exists),
            ]),
        )
        .await;
    assert!(failed.is_err());
    store
        .write(&pod, put("/y.txt", b"y", Precondition::None))
        .await
        .unwrap();
    let told = changes.recv().await.unwrap();
    assert_eq!(heard(&told), [("/y.txt".to_owned(), Created)]);
}

#[tokio::test]
async fn a_restamp_sets_only_the_modification_time_and_survives_reopening() {
    let (dir, store, pod) = new_pod().await;
    store
        .write(&pod, put("/a/b.txt", b"hello", Precondition::None))
        .await
        .unwrap();
    let path = ResourcePath::parse("/a/b.txt").unwrap();
    let parent = ResourcePath::parse("/a/").unwrap();
    let before = store.meta(&pod, &path).await.unwrap().unwrap();
    let parent_before = store.meta(&pod, &parent).await.unwrap().unwrap();
    let when = 1_600_000_000_000; // 13 September 2020
    let outcome = store
        .write(
            &pod,
            Write::Restamp {
                path: path.clone(),
                modified_ms: when,
            },
        )
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Updated(ref m) if m.modified_ms == when));
    // The version (the ETag), the body and the container stay as they were.
    let after = store.meta(&pod, &path).await.unwrap().unwrap();
    assert_eq!(after.modified_ms, when);
    assert_eq!((after.version, after.size), (before.version, before.size));
    assert_eq!(
        store.meta(&pod, &parent).await.unwrap().unwrap(),
        parent_before
    );
    // Nothing to restamp: told, not made.
    assert!(matches!(
        store
            .write(
                &pod,
                Write::Restamp {
                    path: ResourcePath::parse("/nothing.txt").unwrap(),
                    modified_ms: when,
                },
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    drop(store);
    let store = SqliteBackend::open(dir.path()).unwrap();
    assert_eq!(
        store.meta(&pod, &path).await.unwrap().unwrap().modified_ms,
        when
    );
}

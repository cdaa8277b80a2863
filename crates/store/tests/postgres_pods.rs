//! Pods on the PostgreSQL engine, through the `Backend` trait, on a real
//! PostgreSQL server (`SELFDATA_TEST_POSTGRES`; `scripts/postgres.sh`
//! starts one): the tree's rules, two servers writing one pod, the quota,
//! nothing personal readable in the database, erasure by destroying the key.

use std::sync::Arc;

use bytes::Bytes;
use selfdata_store::crypto::MasterKey;
use selfdata_store::postgres::{PgSettings, PgStore, testing};
use selfdata_store::{
    Backend, PodName, Precondition, ResourcePath, StoreError, Write, WriteOutcome,
};

fn put(path: &str, body: &[u8], precondition: Precondition) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "text/plain".into(),
        body: Bytes::copy_from_slice(body),
        precondition,
    }
}

/// Two servers' stores on one fresh database, and a pod made on the first.
async fn two_servers() -> (String, Arc<PgStore>, Arc<PgStore>, PodName) {
    let url = testing::fresh_database();
    let master = MasterKey::random();
    let a = PgStore::connect(&PgSettings::new(&url), master.clone())
        .await
        .unwrap();
    let b = PgStore::connect(&PgSettings::new(&url), master)
        .await
        .unwrap();
    let pod = PodName::parse("alice").unwrap();
    a.create_pod(&pod).await.unwrap();
    (url, Arc::new(a), Arc::new(b), pod)
}

/// Every row of every table of the database, as text (bytea in hex).
fn dump(url: &str) -> String {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let tables: Vec<String> = c
            .query(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut out = String::new();
        for t in tables {
            for row in c
                .query(&format!("SELECT t::text FROM \"{t}\" t"), &[])
                .unwrap()
            {
                out.push_str(row.get::<_, &str>(0));
                out.push('\n');
            }
        }
        out
    })
    .join()
    .unwrap()
}

#[tokio::test]
async fn the_tree_rules_hold_on_postgresql() {
    let (_, a, b, pod) = two_servers().await;
    a.write(&pod, put("/a/b/c.txt", b"deep", Precondition::None))
        .await
        .unwrap();
    let root = a.members(&pod, &ResourcePath::root()).await.unwrap();
    assert_eq!(root.len(), 1);
    assert_eq!(root[0].path.as_str(), "/a/");
    let (meta, body) = a
        .get(&pod, &ResourcePath::parse("/a/b/c.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], b"deep");
    assert_eq!(meta.size, 4);
    // A document and a container never share a name; a document holds nothing.
    assert!(matches!(
        a.write(&pod, put("/a/b", b"x", Precondition::None)).await,
        Err(StoreError::SlashConflict(..))
    ));
    assert!(matches!(
        a.write(&pod, put("/a/b/c.txt/d", b"x", Precondition::None))
            .await,
        Err(StoreError::ParentIsDocument(_))
    ));
    // A container with members cannot go; the root never.
    let delete = |p: &str| Write::Delete {
        path: ResourcePath::parse(p).unwrap(),
        precondition: Precondition::None,
    };
    assert!(matches!(
        a.write(&pod, delete("/a/")).await,
        Err(StoreError::ContainerNotEmpty(_))
    ));
    assert!(matches!(
        a.write(&pod, delete("/")).await,
        Err(StoreError::RootDelete)
    ));
    // A batch whose last write fails leaves nothing behind.
    let batch = Write::Batch(vec![
        put("/x.txt", b"1", Precondition::None),
        put("/a/b/c.txt", b"2", Precondition::Absent),
    ]);
    assert!(matches!(
        a.write(&pod, batch).await,
        Err(StoreError::PreconditionFailed)
    ));
    assert!(
        a.meta(&pod, &ResourcePath::parse("/x.txt").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    // The derived index, by prefix in key order.
    for key in ["energy/2", "energy/1", "other/1"] {
        a.write(
            &pod,
            Write::Index {
                key: key.into(),
                value: Some(Bytes::from(key.to_owned())),
            },
        )
        .await
        .unwrap();
    }
    let scanned = a.index_scan(&pod, "energy/").await.unwrap();
    let keys: Vec<_> = scanned.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["energy/1", "energy/2"]);
    assert_eq!(&scanned[0].1[..], b"energy/1");
    // A restamp sets the modification time only (a migration keeping the
    // source's times); the other server reads it.
    let c = ResourcePath::parse("/a/b/c.txt").unwrap();
    let before = a.meta(&pod, &c).await.unwrap().unwrap();
    let parent = a.meta(&pod, &c.parent().unwrap()).await.unwrap().unwrap();
    a.write(
        &pod,
        Write::Restamp {
            path: c.clone(),
            modified_ms: 1_600_000_000_000,
        },
    )
    .await
    .unwrap();
    let after = b.meta(&pod, &c).await.unwrap().unwrap();
    assert_eq!(after.modified_ms, 1_600_000_000_000);
    assert_eq!((after.version, after.size), (before.version, before.size));
    assert_eq!(
        b.meta(&pod, &c.parent().unwrap()).await.unwrap().unwrap(),
        parent
    );
}

#[tokio::test]
async fn two_servers_racing_with_the_same_etag_exactly_one_wins_and_versions_never_repeat() {
    let (_, a, b, pod) = two_servers().await;
    let WriteOutcome::Created(meta) = a
        .write(&pod, put("/doc", b"v0", Precondition::None))
        .await
        .unwrap()
    else {
        panic!("expected a creation")
    };
    let etag = meta.etag();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (pod, etag) = (pod.clone(), etag.clone());
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
    // Writes to different documents from both servers at once: each
    // acknowledged one is there, each with a version of its own.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let pod = pod.clone();
        tasks.push(tokio::spawn(async move {
            store
                .write(&pod, put(&format!("/many/{i}"), b"x", Precondition::None))
                .await
                .unwrap()
        }));
    }
    let mut versions = std::collections::BTreeSet::new();
    for t in tasks {
        let (WriteOutcome::Created(m) | WriteOutcome::Updated(m)) = t.await.unwrap() else {
            panic!("expected a document")
        };
        assert!(versions.insert(m.version), "version {} twice", m.version);
    }
    let members = b
        .members(&pod, &ResourcePath::parse("/many/").unwrap())
        .await
        .unwrap();
    assert_eq!(members.len(), 40);
}

#[tokio::test]
async fn the_quota_holds_across_servers() {
    let (_, a, b, pod) = two_servers().await;
    a.set_quota(&pod, Some(1000)).await.unwrap();
    b.write(&pod, put("/one", &[0u8; 600], Precondition::None))
        .await
        .unwrap();
    let refused = a
        .write(&pod, put("/two", &[0u8; 600], Precondition::None))
        .await;
    assert!(
        matches!(
            refused,
            Err(StoreError::QuotaExceeded {
                used: 600,
                quota: 1000,
                ..
            })
        ),
        "{refused:?}"
    );
    let usage = b.usage(&pod).await.unwrap();
    assert_eq!(
        (usage.used, usage.quota, usage.own_quota),
        (600, 1000, true)
    );
    // Deleting always passes, and frees the room.
    b.write(
        &pod,
        Write::Delete {
            path: ResourcePath::parse("/one").unwrap(),
            precondition: Precondition::None,
        },
    )
    .await
    .unwrap();
    a.write(&pod, put("/two", &[0u8; 600], Precondition::None))
        .await
        .unwrap();
}

#[tokio::test]
async fn no_personal_value_is_readable_in_the_database_and_erasure_destroys_the_key_first() {
    let (url, a, b, pod) = two_servers().await;
    let secret = "meter 09876543210987 used 4321 kWh";
    a.write(
        &pod,
        put(
            "/energy/readings.txt",
            secret.as_bytes(),
            Precondition::None,
        ),
    )
    .await
    .unwrap();
    a.write(
        &pod,
        Write::Index {
            key: "energy/2026-01".into(),
            value: Some(Bytes::from_static(b"reading 77777 Wh")),
        },
    )
    .await
    .unwrap();
    let dumped = dump(&url);
    assert!(
        dumped.contains("/energy/readings.txt"),
        "the scan reads the rows"
    );
    for clear in [secret, "09876543210987", "77777"] {
        assert!(!dumped.contains(clear), "{clear} is readable");
        let hex_form = hex::encode(clear.as_bytes());
        assert!(!dumped.contains(&hex_form), "{clear} is readable as hex");
    }
    // Erased from server b: the key goes first, the rows with it, the name for good.
    let erased = b.delete_pod(&pod).await.unwrap();
    assert!(erased.key_destroyed);
    assert!(erased.files_removed >= 3, "{erased:?}");
    let dumped = dump(&url);
    assert!(!dumped.contains("/energy/readings.txt"));
    assert!(matches!(
        a.get(&pod, &ResourcePath::parse("/energy/readings.txt").unwrap())
            .await,
        Err(StoreError::NoSuchPod(_))
    ));
    assert!(matches!(
        a.create_pod(&pod).await,
        Err(StoreError::PodExists(_))
    ));
}

#[tokio::test]
async fn a_database_that_is_away_is_told_as_unavailable_not_as_a_failure() {
    let settings = PgSettings::new("postgres://nobody@127.0.0.1:1/none?connect_timeout=1");
    match PgStore::connect(&settings, MasterKey::random()).await {
        Err(StoreError::Unavailable(_)) => {}
        other => panic!("expected Unavailable, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn an_erasure_stopped_after_its_key_went_is_finished_by_erasing_again() {
    let (url, a, _, pod) = two_servers().await;
    for i in 0..5 {
        a.write(
            &pod,
            put(&format!("/notes/{i}.txt"), b"a note", Precondition::None),
        )
        .await
        .unwrap();
    }
    // What the erasure's first transaction leaves when the server dies
    // right after it: the key and the pod's row gone, its name remembered,
    // its resources still there (unreadable).
    let sql = url.clone();
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&sql, postgres::NoTls).unwrap();
        c.batch_execute(
            "DELETE FROM pod_key WHERE pod = 'alice'; DELETE FROM pod WHERE name = 'alice';
             INSERT INTO pod_tombstone (name, erased) VALUES ('alice', 1)",
        )
        .unwrap();
    })
    .join()
    .unwrap();
    assert!(dump(&url).contains("/notes/3.txt"), "rows left behind");
    let receipt = a.delete_pod(&pod).await.unwrap();
    assert!(!receipt.key_destroyed, "the key was gone already");
    assert!(receipt.files_removed >= 6, "{receipt:?}");
    assert!(!dump(&url).contains("/notes/"), "the rows are gone");
    // A pod that never was is still no pod.
    let never = PodName::parse("nobody").unwrap();
    assert!(matches!(
        a.delete_pod(&never).await,
        Err(StoreError::NoSuchPod(_))
    ));
}

//! The store's limits, on real files: a pod's storage quota enforced by its
//! writer, idle pods closed by age, the open-pod cap derived from the
//! descriptor limit.

use std::time::Duration;

use bytes::Bytes;
use selfdata_store::sqlite::{FDS_PER_OPEN_POD, SqliteBackend, open_pod_cap};
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, StoreError, Write};

fn put(path: &str, len: usize) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "text/plain".into(),
        body: Bytes::from(vec![b'x'; len]),
        precondition: Precondition::None,
    }
}

fn delete(path: &str) -> Write {
    Write::Delete {
        path: ResourcePath::parse(path).unwrap(),
        precondition: Precondition::None,
    }
}

#[tokio::test]
async fn a_pod_quota_refuses_growth_but_never_deletes_or_shrinking_writes() {
    let dir = tempfile::tempdir().unwrap();
    let pod = PodName::parse("alice").unwrap();
    {
        let store = SqliteBackend::open(dir.path())
            .unwrap()
            .with_pod_quota(1000);
        store.create_pod(&pod).await.unwrap();
        store.write(&pod, put("/a.txt", 600)).await.unwrap();
        let err = store.write(&pod, put("/b.txt", 600)).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::QuotaExceeded {
                    used: 600,
                    quota: 1000,
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            store
                .meta(&pod, &ResourcePath::parse("/b.txt").unwrap())
                .await
                .unwrap()
                .is_none()
        );
        // All or nothing, counted as a whole: a batch that frees more than it adds passes.
        store
            .write(
                &pod,
                Write::Batch(vec![delete("/a.txt"), put("/b.txt", 500)]),
            )
            .await
            .unwrap();
    }
    // Usage is counted again from the files when the pod is reopened, here
    // under a quota it is already beyond.
    let store = SqliteBackend::open(dir.path()).unwrap().with_pod_quota(100);
    assert!(matches!(
        store.write(&pod, put("/c.txt", 10)).await,
        Err(StoreError::QuotaExceeded { used: 500, .. })
    ));
    store.write(&pod, put("/b.txt", 50)).await.unwrap();
    store.write(&pod, delete("/b.txt")).await.unwrap();
    store.write(&pod, put("/c.txt", 10)).await.unwrap();
}

#[tokio::test]
async fn idle_pods_are_closed_by_age() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path()).unwrap();
    let names: Vec<PodName> = ["p-one", "p-two", "p-three"]
        .iter()
        .map(|n| PodName::parse(n).unwrap())
        .collect();
    for pod in &names {
        store.create_pod(pod).await.unwrap();
        store.write(pod, put("/n.txt", 3)).await.unwrap();
    }
    assert_eq!(store.open_pods(), 3);
    assert_eq!(store.maintain(Duration::from_secs(600)), 0);
    assert_eq!(store.open_pods(), 3);
    assert_eq!(store.maintain(Duration::ZERO), 3);
    assert_eq!(store.open_pods(), 0);
    let (_, body) = store
        .get(&names[1], &ResourcePath::parse("/n.txt").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&body[..], b"xxx");
}

#[test]
fn the_open_pod_cap_leaves_descriptors_for_sockets() {
    for limit in [256u64, 1024, 4096, 65536] {
        let cap = open_pod_cap(Some(limit)) as u64;
        assert!(cap >= 2);
        assert!(
            cap * FDS_PER_OPEN_POD <= limit * 3 / 4,
            "{cap} pods under {limit}"
        );
    }
    // The usual soft limit of 1,024 no longer allows the old 256 open pods.
    assert!(open_pod_cap(Some(1024)) < 256);
    // However many descriptors, memory bounds the default.
    assert_eq!(
        open_pod_cap(Some(1 << 20)) as u64,
        selfdata_store::sqlite::MAX_OPEN_PODS_BY_DEFAULT
    );
    assert_eq!(
        open_pod_cap(None) as u64,
        selfdata_store::sqlite::MAX_OPEN_PODS_BY_DEFAULT
    );
}

/// When every open pod is in use and the cap is reached, a request for
/// another pod is told to come back (`Busy`, answered 503) instead of
/// opening more files than the process may; once a pod is free, it works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_open_pod_cap_with_every_pod_busy_answers_busy() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        SqliteBackend::open(dir.path())
            .unwrap()
            .with_max_open_pods(2),
    );
    let names: Vec<PodName> = ["p-one", "p-two", "p-three"]
        .iter()
        .map(|n| PodName::parse(n).unwrap())
        .collect();
    for pod in &names {
        store.create_pod(pod).await.unwrap();
    }
    store.maintain(Duration::ZERO);
    // Two slow writes keep two pods in use.
    let mut slow = Vec::new();
    for pod in &names[..2] {
        let (store, pod) = (store.clone(), pod.clone());
        slow.push(tokio::spawn(async move {
            let modify: selfdata_store::ModifyFn = Box::new(|_| {
                std::thread::sleep(Duration::from_millis(600));
                Ok(("text/plain".into(), Bytes::from_static(b"slow")))
            });
            let write = Write::Modify {
                path: ResourcePath::parse("/slow.txt").unwrap(),
                precondition: Precondition::None,
                modify,
            };
            store.write(&pod, write).await.unwrap();
        }));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let root = ResourcePath::parse("/").unwrap();
    assert!(matches!(
        store.meta(&names[2], &root).await,
        Err(StoreError::Busy)
    ));
    assert_eq!(store.open_pods(), 2);
    for task in slow {
        task.await.unwrap();
    }
    assert!(store.meta(&names[2], &root).await.unwrap().is_some());
}

#[tokio::test]
async fn a_pods_own_quota_takes_effect_at_once_survives_a_restart_and_can_be_given_back() {
    let dir = tempfile::tempdir().unwrap();
    let alice = PodName::parse("alice").unwrap();
    let bob = PodName::parse("bob").unwrap();
    {
        let store = SqliteBackend::open(dir.path())
            .unwrap()
            .with_pod_quota(1000);
        store.create_pod(&alice).await.unwrap();
        store.create_pod(&bob).await.unwrap();
        store.write(&alice, put("/a.txt", 600)).await.unwrap();
        // Open, full for the default: the operator raises Alice's quota.
        store.set_quota(&alice, Some(5000)).await.unwrap();
        store.write(&alice, put("/b.txt", 600)).await.unwrap();
        let usage = store.usage(&alice).await.unwrap();
        assert_eq!(
            (usage.used, usage.quota, usage.own_quota),
            (1200, 5000, true)
        );
        // Bob keeps the default.
        let bob_usage = store.usage(&bob).await.unwrap();
        assert_eq!(
            (bob_usage.used, bob_usage.quota, bob_usage.own_quota),
            (0, 1000, false)
        );
        let err = store.write(&bob, put("/b.txt", 1200)).await.unwrap_err();
        assert!(
            matches!(err, StoreError::QuotaExceeded { quota: 1000, .. }),
            "{err}"
        );
        let nobody = PodName::parse("nobody").unwrap();
        assert!(matches!(
            store.set_quota(&nobody, Some(1)).await.unwrap_err(),
            StoreError::NoSuchPod(_)
        ));
    }
    let store = SqliteBackend::open(dir.path())
        .unwrap()
        .with_pod_quota(1000);
    let usage = store.usage(&alice).await.unwrap();
    assert_eq!(
        (usage.used, usage.quota),
        (1200, 5000),
        "kept across a restart"
    );
    // Reading a closed pod's usage (the console does) does not leave it open.
    assert_eq!(store.open_pods(), 0);
    store.write(&alice, put("/c.txt", 600)).await.unwrap();
    // The default given back: growth refused again, deletes still pass.
    store.set_quota(&alice, None).await.unwrap();
    let err = store.write(&alice, put("/d.txt", 10)).await.unwrap_err();
    assert!(
        matches!(err, StoreError::QuotaExceeded { quota: 1000, .. }),
        "{err}"
    );
    store.write(&alice, delete("/c.txt")).await.unwrap();
    assert!(!store.usage(&alice).await.unwrap().own_quota);
}

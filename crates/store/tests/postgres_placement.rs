//! Pods on several database clusters (`placement.rs`), on a real PostgreSQL
//! server (`SELFDATA_TEST_POSTGRES`; each "cluster" is a database of its
//! own) and, for large bodies, the tests' object store (`SELFDATA_TEST_S3`):
//! where new pods go, every server finding every pod, names unique across
//! clusters, and a pod moved while two servers write to it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use selfdata_store::crypto::MasterKey;
use selfdata_store::postgres::{PgSettings, PgStore, testing};
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, StoreError, Write};

fn put(path: &str, body: impl Into<Bytes>) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "text/plain".into(),
        body: body.into(),
        precondition: Precondition::None,
    }
}

fn pod(name: &str) -> PodName {
    PodName::parse(name).unwrap()
}

fn path(p: &str) -> ResourcePath {
    ResourcePath::parse(p).unwrap()
}

/// Rows of `table` naming the pod in the database `url` names.
fn rows_of(url: &str, table: &str, pod: &str) -> i64 {
    let (url, pod) = (url.to_owned(), pod.to_owned());
    let column = if table == "pod" { "name" } else { "pod" };
    let sql = format!("SELECT count(*) FROM {table} WHERE {column} = $1");
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.query_one(&sql, &[&pod]).unwrap().get(0)
    })
    .join()
    .unwrap()
}

fn sql(url: &str, statement: &str) {
    let (url, statement) = (url.to_owned(), statement.to_owned());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        c.batch_execute(&statement).unwrap();
    })
    .join()
    .unwrap()
}

struct City {
    main: String,
    east: String,
    master: MasterKey,
    objects: Option<selfdata_store::postgres::ObjectSettings>,
}

impl City {
    fn new(with_objects: bool) -> Self {
        Self {
            main: testing::fresh_database(),
            east: testing::fresh_database(),
            master: MasterKey::random(),
            objects: with_objects.then(|| {
                testing::object_store().expect(
                    "the object store tests need SELFDATA_TEST_S3 (scripts/seaweedfs.sh start)",
                )
            }),
        }
    }

    /// A server knowing both clusters, creating new pods on `new_pods_on`.
    async fn server(&self, new_pods_on: Option<&str>) -> Arc<PgStore> {
        let mut settings = PgSettings::new(&self.main);
        settings.clusters = vec![("east".into(), self.east.clone())];
        settings.new_pods_on = new_pods_on.map(str::to_owned);
        settings.objects = self.objects.clone();
        Arc::new(
            PgStore::connect(&settings, self.master.clone())
                .await
                .unwrap(),
        )
    }
}

#[tokio::test]
async fn new_pods_go_where_the_operator_says_and_every_server_finds_every_pod() {
    let city = City::new(false);
    // A pod of the installation from before it had a second cluster.
    let before = {
        let mut settings = PgSettings::new(&city.main);
        settings.objects = None;
        PgStore::connect(&settings, city.master.clone())
            .await
            .unwrap()
    };
    before.create_pod(&pod("old")).await.unwrap();
    before
        .write(&pod("old"), put("/note", "from before"))
        .await
        .unwrap();
    drop(before);

    let east_first = city.server(Some("east")).await;
    let main_first = city.server(None).await;
    east_first.create_pod(&pod("alice")).await.unwrap();
    east_first
        .write(&pod("alice"), put("/note", "alice's"))
        .await
        .unwrap();
    main_first.create_pod(&pod("bob")).await.unwrap();

    // Rows where the placement says, nowhere else.
    assert_eq!(rows_of(&city.east, "resource", "alice"), 2);
    assert_eq!(rows_of(&city.main, "resource", "alice"), 0);
    assert_eq!(rows_of(&city.main, "resource", "bob"), 1);
    assert_eq!(rows_of(&city.east, "resource", "bob"), 0);
    assert_eq!(east_first.placement(&pod("alice")).await.unwrap(), "east");
    assert_eq!(main_first.placement(&pod("old")).await.unwrap(), "main");

    // Either server reads any pod.
    for server in [&east_first, &main_first] {
        let (_, body) = server
            .get(&pod("alice"), &path("/note"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&body[..], b"alice's");
        let (_, body) = server
            .get(&pod("old"), &path("/note"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&body[..], b"from before");
        let names: Vec<String> = server
            .list_pods()
            .await
            .unwrap()
            .into_iter()
            .map(|p| p.name.to_string())
            .collect();
        assert_eq!(names, ["alice", "bob", "old"]);
    }

    // A name is one pod's across clusters, the old ones' included.
    for (server, name) in [
        (&main_first, "alice"),
        (&east_first, "bob"),
        (&east_first, "old"),
    ] {
        assert!(
            matches!(
                server.create_pod(&pod(name)).await,
                Err(StoreError::PodExists(_))
            ),
            "{name} was given twice"
        );
    }

    // Erasing a pod on the other cluster removes its rows there and its
    // name is never given again, from any cluster.
    let erased = main_first.delete_pod(&pod("alice")).await.unwrap();
    assert!(erased.key_destroyed);
    assert_eq!(rows_of(&city.east, "resource", "alice"), 0);
    assert_eq!(rows_of(&city.east, "pod_key", "alice"), 0);
    assert_eq!(rows_of(&city.main, "placement", "alice"), 0);
    for server in [&east_first, &main_first] {
        assert!(matches!(
            server.create_pod(&pod("alice")).await,
            Err(StoreError::PodExists(_))
        ));
    }
}

#[tokio::test]
async fn a_pod_moves_while_two_servers_write_to_it_and_no_acknowledged_write_is_lost() {
    let city = City::new(false);
    let a = city.server(None).await;
    let b = city.server(None).await;
    let operator = city.server(None).await;
    for name in ["mover", "stayer"] {
        a.create_pod(&pod(name)).await.unwrap();
    }
    for i in 0..50 {
        a.write(&pod("mover"), put(&format!("/before/{i}"), format!("b{i}")))
            .await
            .unwrap();
    }

    // Both servers write to both pods until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (w, server) in [a.clone(), b.clone()].into_iter().enumerate() {
        let stop = stop.clone();
        writers.push(tokio::spawn(async move {
            let (mut acknowledged, mut paused, mut stayer_refused) = (Vec::new(), 0, 0);
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let p = format!("/during/{w}-{i}");
                match server
                    .write(&pod("mover"), put(&p, format!("v{w}-{i}")))
                    .await
                {
                    Ok(_) => acknowledged.push((p, format!("v{w}-{i}"))),
                    Err(StoreError::Unavailable(_)) => paused += 1,
                    Err(e) => panic!("a write during the move failed otherwise: {e}"),
                }
                if server
                    .write(&pod("stayer"), put(&format!("/s/{w}-{i}"), "x"))
                    .await
                    .is_err()
                {
                    stayer_refused += 1;
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (acknowledged, paused, stayer_refused)
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let moved = operator
        .move_pod(&pod("mover"), "east", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!((moved.from.as_str(), moved.to.as_str()), ("main", "east"));
    assert!(moved.resources >= 52, "{moved:?}");
    // Writes go on after the move (to the new cluster).
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    let mut paused = 0;
    for writer in writers {
        let (acks, p, stayer_refused) = writer.await.unwrap();
        assert_eq!(stayer_refused, 0, "another pod's writes were paused");
        acknowledged.extend(acks);
        paused += p;
    }
    eprintln!(
        "{} writes acknowledged, {paused} refused while the pod was moved",
        acknowledged.len()
    );
    assert!(acknowledged.len() > 20);

    // Everything acknowledged is there, on the new cluster, for every server.
    assert_eq!(a.placement(&pod("mover")).await.unwrap(), "east");
    for server in [&a, &b] {
        for (p, body) in &acknowledged {
            let (_, got) = server
                .get(&pod("mover"), &path(p))
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{p} acknowledged, then lost"));
            assert_eq!(&got[..], body.as_bytes());
        }
        let (_, got) = server
            .get(&pod("mover"), &path("/before/49"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got[..], b"b49");
    }
    // The source's rows are gone, the other pod stayed.
    for table in ["pod", "pod_key", "resource", "derived"] {
        assert_eq!(
            rows_of(&city.main, table, "mover"),
            0,
            "{table} left behind"
        );
    }
    let on_east = rows_of(&city.east, "resource", "mover");
    assert!(on_east >= 52);
    assert_eq!(rows_of(&city.east, "resource", "stayer"), 0);
    // Moving it back works the same way, and loses nothing either.
    let back = operator
        .move_pod(&pod("mover"), "main", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(back.resources as i64, on_east);
    assert_eq!(rows_of(&city.east, "resource", "mover"), 0);
    for (p, body) in &acknowledged {
        let (_, got) = b.get(&pod("mover"), &path(p)).await.unwrap().unwrap();
        assert_eq!(&got[..], body.as_bytes());
    }
}

#[tokio::test]
async fn a_move_stopped_halfway_pauses_only_that_pod_and_is_finished_by_running_it_again() {
    let city = City::new(false);
    let a = city.server(None).await;
    a.create_pod(&pod("carol")).await.unwrap();
    a.write(&pod("carol"), put("/kept", "kept")).await.unwrap();
    // As a move killed after pausing the pod and copying part of it leaves it.
    sql(
        &city.main,
        "UPDATE pod SET moving = true WHERE name = 'carol'",
    );
    sql(
        &city.east,
        "INSERT INTO pod (name, created, next_version, moving) VALUES ('carol', 0, 2, true)",
    );
    match a.write(&pod("carol"), put("/new", "refused")).await {
        Err(StoreError::Unavailable(why)) => assert!(why.contains("being moved"), "{why}"),
        other => panic!("a write to a pod being moved: {other:?}"),
    }
    assert!(matches!(
        a.set_quota(&pod("carol"), Some(1 << 20)).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(matches!(
        a.delete_pod(&pod("carol")).await,
        Err(StoreError::Unavailable(_))
    ));
    // Reads go on.
    let (_, body) = a.get(&pod("carol"), &path("/kept")).await.unwrap().unwrap();
    assert_eq!(&body[..], b"kept");

    let moved = a
        .move_pod(&pod("carol"), "east", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(moved.resources, 2);
    a.write(&pod("carol"), put("/new", "accepted"))
        .await
        .unwrap();
    assert_eq!(rows_of(&city.main, "pod", "carol"), 0);
    assert_eq!(rows_of(&city.east, "resource", "carol"), 3);
    // Running it again when it is done changes nothing.
    let again = a
        .move_pod(&pod("carol"), "east", Duration::from_secs(3))
        .await
        .unwrap();
    assert_eq!(again.resources, 0);
    assert_eq!(rows_of(&city.east, "resource", "carol"), 3);
    // An unknown cluster is named in a sentence.
    match a.move_pod(&pod("carol"), "west", Duration::ZERO).await {
        Err(StoreError::Io(why)) => assert!(why.contains("'west'"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn large_bodies_stay_readable_when_their_pod_moves_and_the_sweep_keeps_them() {
    let city = City::new(true);
    let a = city.server(None).await;
    let b = city.server(Some("east")).await;
    a.create_pod(&pod("dave")).await.unwrap();
    let large: Vec<u8> = (0..(2 << 20)).map(|i: u32| (i % 251) as u8).collect();
    a.write(&pod("dave"), put("/large", large.clone()))
        .await
        .unwrap();
    a.move_pod(&pod("dave"), "east", Duration::from_secs(3))
        .await
        .unwrap();
    // Every server's sweep, with no age limit, keeps what the moved rows name.
    assert_eq!(a.sweep_objects(Duration::ZERO).await.unwrap(), 0);
    assert_eq!(b.sweep_objects(Duration::ZERO).await.unwrap(), 0);
    let (_, body) = b.get(&pod("dave"), &path("/large")).await.unwrap().unwrap();
    assert_eq!(body.len(), large.len());
    assert!(body[..] == large[..]);
    // Replaced through the server with the new placement, read by the other.
    b.write(&pod("dave"), put("/large", "small now"))
        .await
        .unwrap();
    assert_eq!(a.sweep_objects(Duration::ZERO).await.unwrap(), 0);
    let (_, body) = a.get(&pod("dave"), &path("/large")).await.unwrap().unwrap();
    assert_eq!(&body[..], b"small now");
}

//! Large bodies of the PostgreSQL engine in an S3-compatible object store,
//! on a real PostgreSQL server (`SELFDATA_TEST_POSTGRES`) and a real object
//! store (`SELFDATA_TEST_S3`, the endpoint `scripts/seaweedfs.sh start`
//! prints; skipped with a note when unset): a body above the inline limit
//! goes to the store sealed, another server reads it back, objects that
//! lost their last reference go after the commit, a refused write leaves
//! none, erasing a pod removes its objects, the sweep removes old orphans
//! only. Each test has a database and a bucket of its own.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, PutPayload};
use selfdata_store::crypto::MasterKey;
use selfdata_store::postgres::{ObjectSettings, PgSettings, PgStore, testing};
use selfdata_store::sqlite::INLINE_LIMIT;
use selfdata_store::{
    Backend, BodySource, FileBody, PodName, Precondition, ResourcePath, StoreError, Write,
};

const MARKER: &[u8] = b"PLAINTEXT-MARKER-of-a-large-body";

/// The object store's endpoint (`SELFDATA_TEST_S3`): a run without one
/// fails, it is not skipped.
fn endpoint() -> String {
    let e = std::env::var("SELFDATA_TEST_S3").expect(
        "the object-store tests need an S3-compatible store: run `bash scripts/seaweedfs.sh start` and set SELFDATA_TEST_S3 to the endpoint it prints (scripts/test-all.sh does both)",
    );
    e.trim_end_matches('/').to_owned()
}

fn fresh_bucket(endpoint: &str) -> String {
    testing::fresh_bucket(endpoint)
}

fn object_settings(endpoint: &str, bucket: &str) -> ObjectSettings {
    ObjectSettings {
        endpoint: endpoint.to_owned(),
        bucket: bucket.to_owned(),
        access_key: "selfdata".into(),
        secret_key: "selfdata-secret".into(),
        region: "us-east-1".into(),
    }
}

/// A client of the test's bucket, to look into it directly.
fn bucket_client(endpoint: &str, bucket: &str) -> AmazonS3 {
    AmazonS3Builder::new()
        .with_endpoint(endpoint)
        .with_bucket_name(bucket)
        .with_access_key_id("selfdata")
        .with_secret_access_key("selfdata-secret")
        .with_region("us-east-1")
        .with_client_options(ClientOptions::new().with_allow_http(true))
        .build()
        .unwrap()
}

struct Setup {
    url: String,
    a: Arc<PgStore>,
    b: Arc<PgStore>,
    bucket: AmazonS3,
    pod: PodName,
}

/// Two servers on a fresh database and a fresh bucket, a pod made.
async fn setup() -> Setup {
    let endpoint = endpoint();
    let bucket = fresh_bucket(&endpoint);
    let url = testing::fresh_database();
    let master = MasterKey::random();
    let mut settings = PgSettings::new(&url);
    settings.objects = Some(object_settings(&endpoint, &bucket));
    let a = PgStore::connect(&settings, master.clone()).await.unwrap();
    let b = PgStore::connect(&settings, master).await.unwrap();
    let pod = PodName::parse("alice").unwrap();
    a.create_pod(&pod).await.unwrap();
    Setup {
        url,
        a: Arc::new(a),
        b: Arc::new(b),
        bucket: bucket_client(&endpoint, &bucket),
        pod,
    }
}

/// A body of `len` bytes that holds the marker many times.
fn large_body(len: usize, seed: u8) -> Bytes {
    let mut body = Vec::with_capacity(len);
    let mut i = 0usize;
    while body.len() < len {
        if i.is_multiple_of(1000) {
            body.extend_from_slice(MARKER);
        } else {
            body.push((i as u8).wrapping_mul(31).wrapping_add(seed));
        }
        i += 1;
    }
    body.truncate(len);
    Bytes::from(body)
}

fn put(path: &str, body: Bytes, precondition: Precondition) -> Write {
    Write::Put {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "application/octet-stream".into(),
        body,
        precondition,
    }
}

fn path(p: &str) -> ResourcePath {
    ResourcePath::parse(p).unwrap()
}

/// Every object's key in the bucket.
async fn keys(bucket: &AmazonS3) -> Vec<String> {
    let mut out: Vec<String> = bucket
        .list(None)
        .map(|m| m.unwrap().location.to_string())
        .collect()
        .await;
    out.sort();
    out
}

/// A row's (body length, blob) as the database holds it.
fn row(url: &str, pod: &str, path: &str) -> (usize, Option<String>) {
    let (url, pod, path) = (url.to_owned(), pod.to_owned(), path.to_owned());
    std::thread::spawn(move || {
        let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let r = c
            .query_one(
                "SELECT octet_length(body), blob FROM resource WHERE pod = $1 AND path = $2",
                &[&pod, &path],
            )
            .unwrap();
        (r.get::<_, i32>(0) as usize, r.get(1))
    })
    .join()
    .unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_large_body_goes_to_the_object_store_sealed_and_another_server_reads_it() {
    let s = setup().await;
    let body = large_body(2_000_000, 1);
    s.a.write(&s.pod, put("/big.bin", body.clone(), Precondition::None))
        .await
        .unwrap();
    let (inline, blob) = row(&s.url, "alice", "/big.bin");
    assert_eq!(inline, 0, "the body is not in the database");
    let blob = blob.expect("the row names its object");
    assert_eq!(keys(&s.bucket).await, vec![format!("pods/alice/{blob}")]);
    // Another server reads it back whole.
    let (meta, got) = s.b.get(&s.pod, &path("/big.bin")).await.unwrap().unwrap();
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(got, body);
    // The usage counts the plaintext.
    assert!(s.a.usage(&s.pod).await.unwrap().used >= body.len() as u64);
    // The same body again elsewhere: one object for both.
    s.b.write(&s.pod, put("/copy.bin", body.clone(), Precondition::None))
        .await
        .unwrap();
    assert_eq!(keys(&s.bucket).await.len(), 1);
    // A PATCH-like change reads the object inside the write.
    s.b.write(
        &s.pod,
        Write::Modify {
            path: path("/copy.bin"),
            precondition: Precondition::Exists,
            modify: Box::new(|current| {
                let (_, body) = current.ok_or("absent")?;
                let mut changed = body.to_vec();
                changed.extend_from_slice(b"+more");
                Ok(("application/octet-stream".into(), Bytes::from(changed)))
            }),
        },
    )
    .await
    .unwrap();
    let (_, changed) = s.a.get(&s.pod, &path("/copy.bin")).await.unwrap().unwrap();
    assert_eq!(&changed[..body.len()], &body[..]);
    assert_eq!(&changed[body.len()..], b"+more");
    assert_eq!(keys(&s.bucket).await.len(), 2);
}

#[tokio::test]
async fn a_streamed_large_body_is_uploaded_in_parts_and_reads_back() {
    let s = setup().await;
    // Larger than one part of the upload (8 MiB): a multipart upload.
    let body = large_body(17 << 20, 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload");
    std::fs::write(&file, &body).unwrap();
    let source: Arc<dyn BodySource> = Arc::new(FileBody::new(&file).unwrap());
    s.a.write(
        &s.pod,
        Write::PutLarge {
            path: path("/video.bin"),
            content_type: "video/mp4".into(),
            body: source,
            precondition: Precondition::None,
        },
    )
    .await
    .unwrap();
    assert_eq!(row(&s.url, "alice", "/video.bin").0, 0);
    assert_eq!(keys(&s.bucket).await.len(), 1);
    let (meta, got) = s.b.get(&s.pod, &path("/video.bin")).await.unwrap().unwrap();
    assert_eq!(meta.size, body.len() as u64);
    assert!(got == body, "the streamed body reads back identical");
}

#[tokio::test]
async fn replacing_or_deleting_a_large_body_removes_its_object_after_the_commit() {
    let s = setup().await;
    s.a.write(
        &s.pod,
        put("/big.bin", large_body(1_000_000, 3), Precondition::None),
    )
    .await
    .unwrap();
    let first = keys(&s.bucket).await;
    assert_eq!(first.len(), 1);
    s.b.write(
        &s.pod,
        put("/big.bin", large_body(1_000_000, 4), Precondition::None),
    )
    .await
    .unwrap();
    let second = keys(&s.bucket).await;
    assert_eq!(second.len(), 1, "the replaced body's object is gone");
    assert_ne!(first, second);
    // Replaced by a small body: kept in the database, the object gone.
    s.a.write(
        &s.pod,
        put("/big.bin", Bytes::from_static(b"small"), Precondition::None),
    )
    .await
    .unwrap();
    assert!(keys(&s.bucket).await.is_empty());
    s.a.write(
        &s.pod,
        put("/big.bin", large_body(1_000_000, 5), Precondition::None),
    )
    .await
    .unwrap();
    assert_eq!(keys(&s.bucket).await.len(), 1);
    s.b.write(
        &s.pod,
        Write::Delete {
            path: path("/big.bin"),
            precondition: Precondition::None,
        },
    )
    .await
    .unwrap();
    assert!(
        keys(&s.bucket).await.is_empty(),
        "a deleted body's object is gone"
    );
}

#[tokio::test]
async fn a_refused_write_leaves_no_object_behind() {
    let s = setup().await;
    s.a.write(
        &s.pod,
        put("/big.bin", large_body(700_000, 6), Precondition::None),
    )
    .await
    .unwrap();
    let before = keys(&s.bucket).await;
    let refused =
        s.b.write(
            &s.pod,
            put("/big.bin", large_body(700_000, 7), Precondition::Absent),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::PreconditionFailed)));
    assert_eq!(keys(&s.bucket).await, before);
    // Over the quota: refused before anything is uploaded.
    s.a.set_quota(&s.pod, Some(800_000)).await.unwrap();
    let refused =
        s.a.write(
            &s.pod,
            put("/other.bin", large_body(700_000, 8), Precondition::None),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::QuotaExceeded { .. })));
    assert_eq!(keys(&s.bucket).await, before);
    // The original still reads.
    assert!(s.b.get(&s.pod, &path("/big.bin")).await.unwrap().is_some());
}

#[tokio::test]
async fn the_bucket_holds_no_plaintext() {
    let s = setup().await;
    for (i, p) in ["/one.bin", "/two.bin", "/three.bin"]
        .into_iter()
        .enumerate()
    {
        s.a.write(
            &s.pod,
            put(
                p,
                large_body(600_000 + i * 1000, 9 + i as u8),
                Precondition::None,
            ),
        )
        .await
        .unwrap();
    }
    let all = keys(&s.bucket).await;
    assert_eq!(all.len(), 3);
    for key in all {
        let bytes = s
            .bucket
            .get(&Path::parse(&key).unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        assert!(bytes.len() > 600_000);
        assert!(!contains(&bytes, MARKER), "{key} holds plaintext");
        assert!(!contains(&bytes, &MARKER[..16]), "{key} holds plaintext");
    }
}

#[tokio::test]
async fn erasing_a_pod_removes_its_objects() {
    let s = setup().await;
    let bob = PodName::parse("bob").unwrap();
    s.a.create_pod(&bob).await.unwrap();
    for pod in [&s.pod, &bob] {
        s.a.write(
            pod,
            put("/a.bin", large_body(600_000, 20), Precondition::None),
        )
        .await
        .unwrap();
        s.a.write(
            pod,
            put("/b.bin", large_body(600_000, 21), Precondition::None),
        )
        .await
        .unwrap();
    }
    assert_eq!(keys(&s.bucket).await.len(), 4);
    s.b.delete_pod(&s.pod).await.unwrap();
    let left = keys(&s.bucket).await;
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|k| k.starts_with("pods/bob/")), "{left:?}");
    assert!(s.b.get(&bob, &path("/a.bin")).await.unwrap().is_some());
}

#[tokio::test]
async fn the_sweep_removes_old_orphans_only() {
    let s = setup().await;
    s.a.write(
        &s.pod,
        put("/kept.bin", large_body(600_000, 30), Precondition::None),
    )
    .await
    .unwrap();
    let kept = keys(&s.bucket).await;
    let orphan = format!("pods/alice/{}", "ab".repeat(32));
    s.bucket
        .put(
            &Path::parse(&orphan).unwrap(),
            PutPayload::from_static(b"left by a server that died"),
        )
        .await
        .unwrap();
    assert_eq!(keys(&s.bucket).await.len(), 2);
    // Fresh: another server may be about to commit it.
    assert_eq!(
        s.a.sweep_objects(Duration::from_secs(3600)).await.unwrap(),
        0
    );
    assert_eq!(keys(&s.bucket).await.len(), 2);
    assert_eq!(s.b.sweep_objects(Duration::ZERO).await.unwrap(), 1);
    assert_eq!(keys(&s.bucket).await, kept);
    assert!(s.a.get(&s.pod, &path("/kept.bin")).await.unwrap().is_some());
}

#[tokio::test]
async fn a_body_at_the_inline_limit_stays_in_the_database() {
    let s = setup().await;
    let at_limit = large_body(INLINE_LIMIT, 40);
    s.a.write(
        &s.pod,
        put("/limit.bin", at_limit.clone(), Precondition::None),
    )
    .await
    .unwrap();
    let (inline, blob) = row(&s.url, "alice", "/limit.bin");
    assert!(blob.is_none());
    assert!(inline > INLINE_LIMIT, "sealed in the row");
    assert!(keys(&s.bucket).await.is_empty());
    assert_eq!(
        s.b.get(&s.pod, &path("/limit.bin"))
            .await
            .unwrap()
            .unwrap()
            .1,
        at_limit
    );
    // One byte more goes to the object store.
    s.a.write(
        &s.pod,
        put(
            "/over.bin",
            large_body(INLINE_LIMIT + 1, 41),
            Precondition::None,
        ),
    )
    .await
    .unwrap();
    assert!(row(&s.url, "alice", "/over.bin").1.is_some());
    assert_eq!(keys(&s.bucket).await.len(), 1);
}

#[tokio::test]
async fn a_missing_bucket_is_refused_at_connect() {
    let endpoint = endpoint();
    let mut settings = PgSettings::new(testing::fresh_database());
    settings.objects = Some(object_settings(&endpoint, "sdtest-no-such-bucket"));
    match PgStore::connect(&settings, MasterKey::random()).await {
        Err(StoreError::Unavailable(e)) => assert!(e.contains("object store"), "{e}"),
        other => panic!("expected Unavailable, got {other:?}"),
    }
}

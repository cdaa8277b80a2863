//! Bodies too large to hold in memory, stored from where they are
//! (`Write::PutLarge`): a file on disk, a spooled upload.

use std::io::{Cursor, Write as _};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use selfdata_store::spool::Spools;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{
    Backend, BodySource, FileBody, PodName, Precondition, ReadSeek, ResourcePath, StoreError, Write,
};

const MARKER: &[u8] = b"LARGE-MARKER-8d1e0c-location";

fn body(len: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(len + 64);
    while b.len() < len {
        b.extend_from_slice(MARKER);
        b.extend_from_slice(format!(" {}\n", b.len()).as_bytes());
    }
    b
}

fn put_large(path: &str, body: Arc<dyn BodySource>) -> Write {
    Write::PutLarge {
        path: ResourcePath::parse(path).unwrap(),
        content_type: "application/json".into(),
        body,
        precondition: Precondition::None,
    }
}

fn blob_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else if e.path().to_string_lossy().contains("/blobs/") {
                out.push(std::fs::read(e.path()).unwrap());
            }
        }
    }
    out
}

#[tokio::test]
async fn a_file_and_a_spool_are_stored_sealed_read_back_whole_and_kept_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path().join("data")).unwrap();
    let pod = PodName::parse("camille").unwrap();
    store.create_pod(&pod).await.unwrap();
    let content = body(3 * 1024 * 1024 + 17);

    let file = dir.path().join("Records.json");
    std::fs::write(&file, &content).unwrap();
    store
        .write(
            &pod,
            put_large("/raw/a.json", Arc::new(FileBody::new(&file).unwrap())),
        )
        .await
        .unwrap();
    let spools = Spools::open(dir.path().join("spool")).unwrap();
    let mut w = spools.create().unwrap();
    for piece in content.chunks(100_000) {
        w.write_all(piece).unwrap();
    }
    store
        .write(
            &pod,
            put_large("/raw/b.json", Arc::new(w.finish().unwrap())),
        )
        .await
        .unwrap();
    // The same content held in memory: the same blob.
    store
        .write(
            &pod,
            Write::Put {
                path: ResourcePath::parse("/raw/c.json").unwrap(),
                content_type: "application/json".into(),
                body: Bytes::from(content.clone()),
                precondition: Precondition::None,
            },
        )
        .await
        .unwrap();

    for p in ["/raw/a.json", "/raw/b.json", "/raw/c.json"] {
        let (meta, got) = store
            .get(&pod, &ResourcePath::parse(p).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(meta.size, content.len() as u64, "{p}");
        assert!(got == content, "{p} reads back whole");
    }
    let blobs = blob_files(&dir.path().join("data"));
    assert_eq!(blobs.len(), 1, "one content, one blob");
    assert!(!blobs[0].windows(MARKER.len()).any(|w| w == MARKER));
    // The spool went away with the write.
    assert_eq!(std::fs::read_dir(spools.dir()).unwrap().count(), 0);
}

#[tokio::test]
async fn a_large_body_over_the_quota_is_refused_before_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path().join("data"))
        .unwrap()
        .with_pod_quota(1024 * 1024);
    let pod = PodName::parse("camille").unwrap();
    store.create_pod(&pod).await.unwrap();
    let file = dir.path().join("big.json");
    std::fs::write(&file, body(2 * 1024 * 1024)).unwrap();
    let err = store
        .write(
            &pod,
            put_large("/raw/big.json", Arc::new(FileBody::new(&file).unwrap())),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::QuotaExceeded { .. }), "{err:?}");
    assert!(blob_files(&dir.path().join("data")).is_empty());
}

/// A source whose content is different each time it is opened.
#[derive(Debug)]
struct Shifty(AtomicUsize);

impl BodySource for Shifty {
    fn len(&self) -> u64 {
        1024 * 1024
    }

    fn open(&self) -> std::io::Result<Box<dyn ReadSeek>> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) as u8;
        Ok(Box::new(Cursor::new(vec![n; 1024 * 1024])))
    }
}

#[tokio::test]
async fn a_body_that_changes_while_it_is_stored_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path().join("data")).unwrap();
    let pod = PodName::parse("camille").unwrap();
    store.create_pod(&pod).await.unwrap();
    let err = store
        .write(
            &pod,
            put_large("/raw/x.json", Arc::new(Shifty(AtomicUsize::new(0)))),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("changed"), "{err}");
    let path = ResourcePath::parse("/raw/x.json").unwrap();
    assert!(store.meta(&pod, &path).await.unwrap().is_none());
    assert!(blob_files(&dir.path().join("data")).is_empty());
}

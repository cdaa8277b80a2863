//! Issue 9, untrusted containers, over a real server: a 1.6 KB XLSX
//! declaring `A1:XFD1048576` (finding 4) posted to an inbox, uploaded by
//! the owner (the path of the dashboard and of `selfdata import`), and
//! a pod archive whose tar header declares a terabyte or whose manifest
//! lies about media types (`pod import`, low finding). Each is refused with
//! a sentence, the server keeps answering, and nothing stored changes.
//!
//! The hostile files are the generated corpus files of
//! `crates/energy/tests/xlsx.rs` and `crates/privacy-web/tests/archives.rs`.

use std::collections::BTreeMap;

use crate::common::Server;
use bytes::Bytes;
use selfdata_privacy_web::export::{PortabilityError, tar};
use selfdata_service::ImportFailure;
use selfdata_store::{AuxKind, Backend, PodName, ResourcePath};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const DIMENSION_BOMB: &[u8] =
    include_bytes!("../../../energy/tests/corpus/xlsx_dimension_bomb.xlsx");
const ZIP_BOMB: &[u8] = include_bytes!("../../../energy/tests/corpus/xlsx_zip_bomb.xlsx");
const GRDF_EXPORT: &[u8] = include_bytes!("../../../energy/tests/corpus/grdf_export.xlsx");
const HUGE_TAR: &[u8] =
    include_bytes!("../../../privacy-web/tests/corpus/tar/huge_declared_size.tar");

/// Every resource of a pod (auxiliary ones included) outside `/inbox/`,
/// with its media type and body, and the pod's derived energy index.
async fn snapshot(
    store: &dyn Backend,
    pod: &PodName,
) -> (BTreeMap<String, (String, Bytes)>, Vec<(String, Bytes)>) {
    let mut out = BTreeMap::new();
    let mut todo = vec![ResourcePath::root()];
    while let Some(path) = todo.pop() {
        if path.as_str().starts_with("/inbox/") {
            continue;
        }
        let mut paths = vec![path.clone()];
        paths.extend(AuxKind::ALL.map(|k| path.aux(k)));
        for p in paths {
            if let Some((meta, body)) = store.get(pod, &p).await.unwrap() {
                out.insert(p.to_string(), (meta.content_type, body));
            }
        }
        if path.is_container() {
            for m in store.members(pod, &path).await.unwrap() {
                todo.push(m.path);
            }
        }
    }
    let index = store.index_scan(pod, "energy/").await.unwrap();
    (out, index.into_iter().collect())
}

/// The server still answers its owner.
async fn still_answers(s: &Server) {
    let (status, body) = s.get_text("/profile/card").await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_1_6_kb_xlsx_declaring_a1_to_xfd1048576_posted_to_an_inbox_does_not_take_the_server_down()
{
    let s = Server::start().await;
    let alice = PodName::parse("alice").unwrap();
    // Some gas readings already there, imported by the owner.
    s.app
        .import_file(&alice, Bytes::from_static(GRDF_EXPORT))
        .await
        .unwrap();
    let before = snapshot(s.app.store.as_ref(), &alice).await;
    assert!(!before.1.is_empty(), "the energy index holds the gas data");

    assert!(DIMENSION_BOMB.len() < 2048);
    for (what, bomb) in [("dimension bomb", DIMENSION_BOMB), ("zip bomb", ZIP_BOMB)] {
        let r = s
            .req("POST", "/inbox/")
            .header("content-type", XLSX)
            .body(bomb)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: the server did not answer: {e}"));
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(!status.is_server_error(), "{what}: {status} {body}");
        if status.is_client_error() {
            assert!(body.contains("too large to read safely"), "{what}: {body}");
        }
        still_answers(&s).await;
    }
    assert!(
        snapshot(s.app.store.as_ref(), &alice).await == before,
        "nothing stored outside the inbox changed"
    );
}

#[tokio::test]
async fn a_1_6_kb_xlsx_declaring_a1_to_xfd1048576_is_refused_by_the_owners_import() {
    // The dashboard's upload and `selfdata import` both go through the
    // one import pipeline.
    let s = Server::start().await;
    let alice = PodName::parse("alice").unwrap();
    let before = snapshot(s.app.store.as_ref(), &alice).await;
    let error = s
        .app
        .import_file(&alice, Bytes::from_static(DIMENSION_BOMB))
        .await
        .unwrap_err();
    assert!(matches!(error, ImportFailure::Refused(_)), "{error:?}");
    let sentence = error.to_string();
    assert!(
        sentence.contains("too large to read safely") && sentence.contains("A1:XFD1048576"),
        "{sentence}"
    );
    still_answers(&s).await;
    assert!(snapshot(s.app.store.as_ref(), &alice).await == before);
}

#[tokio::test]
async fn pod_import_refuses_a_tar_entry_with_a_huge_declared_size() {
    let s = Server::start().await;
    let pod = PodName::parse("restored").unwrap();
    match s.app.import_pod(HUGE_TAR, Some(&pod)).await {
        Err(PortabilityError::Archive(sentence)) => {
            assert!(
                sentence.contains("declares 1099511627776 bytes"),
                "{sentence}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        s.app.store.pod(&pod).await.unwrap().is_none(),
        "no pod left"
    );
    still_answers(&s).await;
}

/// The files of a tar, in order.
fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in tar::Archive::new(archive).entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut body).unwrap();
        out.push((name, body));
    }
    out
}

fn build(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, &body[..]).unwrap();
    }
    builder.into_inner().unwrap()
}

#[tokio::test]
async fn pod_import_does_not_take_media_types_from_the_manifest_blindly() {
    let s = Server::start().await;
    let alice = PodName::parse("alice").unwrap();
    s.put_turtle("/notes/a.ttl", "<#a> a <#B> .\n").await;
    let archive = s.app.export_pod(&alice).await.unwrap();
    let files = entries(&archive);
    let manifest_at = files.iter().position(|(n, _)| n == "manifest.ttl").unwrap();
    let manifest = String::from_utf8(files[manifest_at].1.clone()).unwrap();
    // The manifest as the server writes it: one description per resource,
    // ended by " .\n"; `with` changes the media type of one of them.
    let with = |path: &str, media: &str| {
        let at = manifest
            .find(&format!("sd:path \"{path}\""))
            .unwrap_or_else(|| panic!("{path} not in the manifest:\n{manifest}"));
        let start = manifest[..at].rfind(" .\n").map_or(0, |i| i + 3);
        let end = at + manifest[at..].find(" .\n").unwrap();
        let block = &manifest[start..end];
        let changed_block = block.replacen(
            "dcterms:format \"text/turtle\"",
            &format!("dcterms:format \"{media}\""),
            1,
        );
        assert_ne!(block, changed_block, "{path} has a media type");
        let mut changed = files.clone();
        changed[manifest_at].1 =
            format!("{}{changed_block}{}", &manifest[..start], &manifest[end..]).into_bytes();
        build(&changed)
    };
    let cases = [
        (
            "an ACL served as a web page",
            with("/.acl", "text/html"),
            "holds RDF",
        ),
        (
            "a header injected through the media type",
            with("/notes/a.ttl", "text/plain\\r\\nSet-Cookie: a=b"),
            "is not a media type",
        ),
        (
            "no media type at all",
            with("/notes/a.ttl", "<script>"),
            "is not a media type",
        ),
    ];
    for (what, bytes, expected) in cases {
        let pod = PodName::parse("copy").unwrap();
        match s.app.import_pod(&bytes, Some(&pod)).await {
            Err(PortabilityError::Archive(sentence)) => {
                assert!(sentence.contains(expected), "{what}: {sentence}");
            }
            other => panic!("{what}: {other:?}"),
        }
        assert!(
            s.app.store.pod(&pod).await.unwrap().is_none(),
            "{what} left a pod"
        );
    }
    // The export itself goes in, its media types as they were.
    let pod = PodName::parse("copy").unwrap();
    s.app.import_pod(&archive, Some(&pod)).await.unwrap();
    let (meta, _) = s
        .app
        .store
        .get(&pod, &ResourcePath::parse("/.acl").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(meta.content_type, "text/turtle");
}

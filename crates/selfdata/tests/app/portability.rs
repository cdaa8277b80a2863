//! Portability over real HTTP and real SQLite files: a pod with Turtle, a
//! CSV, a large binary, nested containers, a custom ACL, a consent record,
//! energy data and access log entries is downloaded by its owner, imported
//! into a second selfdata instance, and must come back byte for byte (paths,
//! bodies, media types, ACLs, consent records, log entries) with the same
//! energy figures; strangers cannot download it, and damaged archives are
//! refused whole, leaving no pod.

use crate::common;

use std::collections::BTreeMap;

use crate::common::{Server, client_credentials_token, problem};
use bytes::Bytes;
use jiff::civil::date;
use selfdata::{App, Options};
use selfdata_energy::Fluid;
use selfdata_energy::analysis::Resolution;
use selfdata_oidc::DpopKey;
use selfdata_privacy_web::export::{PortabilityError, tar};
use selfdata_store::{AuxKind, Backend, PodName, Precondition, ResourcePath, Write};

/// Every resource of a pod (auxiliary ones included): path → (media type, body).
async fn snapshot(store: &dyn Backend, pod: &PodName) -> BTreeMap<String, (String, Bytes)> {
    let mut out = BTreeMap::new();
    let mut todo = vec![ResourcePath::root()];
    while let Some(path) = todo.pop() {
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
    out
}

/// A second, empty selfdata instance at another address, in its own folder.
async fn other_instance() -> (App, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let app = App::open(Options::new(dir.path(), "http://127.0.0.1:9"))
        .await
        .unwrap();
    (app, dir)
}

/// The files of a tar archive, in order.
fn entries(archive: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut reader = tar::Archive::new(archive);
    reader
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut body).unwrap();
            (name, body)
        })
        .collect()
}

/// A tar archive of these files; a name with `..` is written raw, as a
/// hostile archive would.
fn build(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        if name.contains("..") {
            h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            b.append(&h, &body[..]).unwrap();
        } else {
            b.append_data(&mut h, name, &body[..]).unwrap();
        }
    }
    b.into_inner().unwrap()
}

const NOTES_ACL: &str = "@prefix acl: <http://www.w3.org/ns/auth/acl#> .\n\
<#owner> a acl:Authorization ; acl:agent <OWNER> ; acl:accessTo <./> ; acl:default <./> ;\n\
  acl:mode acl:Read, acl:Write, acl:Control .\n\
<#public> a acl:Authorization ; acl:agentClass <http://xmlns.com/foaf/0.1/Agent> ;\n\
  acl:accessTo <./> ; acl:default <./> ; acl:mode acl:Read .\n";

const CONSENT: &str = "@prefix dpv: <https://w3id.org/dpv#> .\n\
<#record> a dpv:ConsentRecord ; dpv:hasPurpose dpv:ServiceProvision ; \
dpv:hasDataSubject <OWNER> .\n";

#[tokio::test]
async fn an_exported_pod_comes_back_identical_on_another_instance() {
    let s = Server::start().await;
    let alice = PodName::parse("alice").unwrap();

    // A pod with a bit of everything, over the Solid API.
    let put = |path: &str, ct: &str, body: Vec<u8>| {
        s.req("PUT", path)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    for (path, ct, body) in [
        (
            "/notes/a.ttl",
            "text/turtle",
            b"<#it> <http://purl.org/dc/terms/title> \"\xc3\xa9t\xc3\xa9 \\\"quoted\\\"\" .\n"
                .to_vec(),
        ),
        (
            "/notes/deep/deeper/b.ttl",
            "text/turtle",
            b"<#b> a <http://example.org/B> .\n".to_vec(),
        ),
        (
            "/data/table.csv",
            "text/csv",
            b"\xef\xbb\xbfdate;value\r\n2025-01-01;12,5\r\n".to_vec(),
        ),
        (
            "/notes/.acl",
            "text/turtle",
            NOTES_ACL.replace("OWNER", &s.webid).into_bytes(),
        ),
        (
            "/selfdata/consents/2026-01-01-app.ttl",
            "text/turtle",
            CONSENT.replace("OWNER", &s.webid).into_bytes(),
        ),
    ] {
        let r = put(path, ct, body).await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
    // A binary larger than 512 KiB (kept outside the database).
    let blob: Vec<u8> = (0..700 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let r = put("/data/photo.bin", "application/octet-stream", blob.clone())
        .await
        .unwrap();
    assert!(r.status().is_success());
    // A description resource, energy data, log entries and a holder token.
    let store = s.app.store.clone();
    store
        .write(
            &alice,
            Write::Put {
                path: ResourcePath::parse("/data/table.csv.meta").unwrap(),
                content_type: "text/turtle".into(),
                body: Bytes::from_static(b"<table.csv> <http://purl.org/dc/terms/title> \"T\" .\n"),
                precondition: Precondition::None,
            },
        )
        .await
        .unwrap();
    for file in selfdata_energy::demo::household(date(2026, 3, 1), 1, 7) {
        s.app
            .import_file(&alice, Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let mut log = Vec::new();
    for (key, value) in [
        ("log/entry/00000000", &b"{\"who\":\"app\"}"[..]),
        ("log/entry/00000001", &[0u8, 1, 2, 255][..]),
        ("log/checkpoint", &b"selfdata/alice\n2\nabc=\n"[..]),
        ("log/weird key/../x", &b"x"[..]),
    ] {
        log.push((key.to_owned(), Bytes::copy_from_slice(value)));
        store
            .write(
                &alice,
                Write::Index {
                    key: key.into(),
                    value: Some(Bytes::copy_from_slice(value)),
                },
            )
            .await
            .unwrap();
    }
    store
        .write(
            &alice,
            Write::Index {
                key: "connect/enedis".into(),
                value: Some(Bytes::from_static(b"SECRET-REFRESH-TOKEN")),
            },
        )
        .await
        .unwrap();
    let before = snapshot(store.as_ref(), &alice).await;
    assert!(before.contains_key("/notes/deep/deeper/"));
    assert!(before.contains_key("/.acl") && before.contains_key("/profile/card.acl"));
    let energy_before = store.index_scan(&alice, "energy/").await.unwrap();
    assert!(!energy_before.is_empty());

    // Strangers cannot download it: anonymous 401, another resident 403.
    let r = s
        .client
        .get(s.url("/selfdata/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 401);
    let bob = s
        .app
        .create_pod(&PodName::parse("bob").unwrap())
        .await
        .unwrap();
    let key = DpopKey::generate();
    let token =
        client_credentials_token(&s.client, &s.base, &bob.client_id, &bob.client_secret, &key)
            .await;
    let url = s.url("/selfdata/export");
    let r = common::as_agent(&s.client, &key, &token, "GET", &url)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 403);
    // The page route needs a session.
    let r = s
        .client
        .get(format!("{}/app/privacy/export", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());

    // The owner downloads it.
    let r = s.req("GET", "/selfdata/export").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    let disposition = r.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"alice-"),
        "{disposition}"
    );
    let archive = r.bytes().await.unwrap().to_vec();

    // Its layout: a README, the manifest, the resources as files, the log.
    let files = entries(&archive);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(&names[..2], ["README.md", "manifest.ttl"]);
    let file = |name: &str| &files.iter().find(|(n, _)| n == name).unwrap().1;
    assert_eq!(file("resources/data/photo.bin"), &blob);
    assert_eq!(
        file("resources/data/table.csv"),
        &before["/data/table.csv"].1.to_vec()
    );
    assert!(names.contains(&"resources/notes/.acl"));
    assert!(names.contains(&"resources/selfdata/consents/2026-01-01-app.ttl"));
    assert!(names.contains(&"log/log%2Fentry%2F00000000"));
    assert!(names.contains(&"log/log%2Fweird%20key%2F%2E%2E%2Fx"));
    assert!(
        names
            .iter()
            .all(|n| !n.contains("connect") && !n.starts_with("energy"))
    );
    assert!(
        !archive
            .windows(b"SECRET-REFRESH-TOKEN".len())
            .any(|w| w == b"SECRET-REFRESH-TOKEN"),
        "a holder token left the pod"
    );
    let manifest = String::from_utf8(file("manifest.ttl").clone()).unwrap();
    let graph = common::turtle(&manifest, "urn:x:manifest");
    let text = graph.to_string();
    for needle in [
        "ConsentRecord",
        "\"/selfdata/consents/2026-01-01-app.ttl\"",
        "\"/notes/.acl\"",
        "inheritsAcl",
        "\"application/octet-stream\"",
        "http://www.w3.org/2001/XMLSchema#dateTime",
        &blob.len().to_string(),
        "\"log/checkpoint\"",
    ] {
        assert!(text.contains(needle), "manifest lacks {needle}: {manifest}");
    }

    // Imported on another instance: identical.
    let (other, _dir) = other_instance().await;
    let done = other.import_pod(&archive, None).await.unwrap();
    assert_eq!(done.pod, alice);
    assert_eq!(done.resources, before.len());
    let log_files = names.iter().filter(|n| n.starts_with("log/")).count();
    assert_eq!(done.log_entries, log_files);
    assert!(done.readings > 0);
    assert!(done.webid_changed(), "another base URL gives another WebID");
    assert_eq!(done.original_webid, s.webid);
    let after = snapshot(other.store.as_ref(), &alice).await;
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, (ct, body)) in &before {
        let (ct2, body2) = &after[path];
        assert_eq!(ct, ct2, "{path}");
        assert!(body == body2, "{path} differs");
    }
    // The log as exported, byte for byte: the entries written above, and
    // those the refused requests may have added (the source's log may have
    // grown since).
    let log_imported = other.store.index_scan(&alice, "log/").await.unwrap();
    assert_eq!(log_imported.len(), log_files);
    for entry in &log {
        assert!(log_imported.contains(entry), "{entry:?}");
    }
    for (key, value) in &log_imported {
        let name = selfdata_privacy_web::export::log_file(key);
        assert_eq!(file(&name), &value.to_vec(), "{key}");
    }
    assert!(
        other
            .store
            .index_scan(&alice, "connect/")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        other.store.index_scan(&alice, "energy/").await.unwrap(),
        energy_before,
        "the energy index is rebuilt identical"
    );
    for fluid in [Fluid::Electricity, Fluid::Gas, Fluid::Water] {
        let a = s.app.energy.book(&alice, fluid).await.unwrap();
        let b = other.energy.book(&alice, fluid).await.unwrap();
        let (a, b) = (a.main().unwrap(), b.main().unwrap());
        let from = date(2025, 3, 1);
        let to = date(2026, 3, 1);
        let months = a.aggregate(from, to, Resolution::Month);
        assert!(months.iter().any(|m| m.value.unwrap_or(0) > 0));
        assert_eq!(
            months,
            b.aggregate(from, to, Resolution::Month),
            "{fluid:?}"
        );
    }

    // A pod of that name exists now: refused, and nothing changes.
    match other.import_pod(&archive, None).await {
        Err(PortabilityError::Exists(name)) => assert_eq!(name, "alice"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        snapshot(other.store.as_ref(), &alice).await.len(),
        after.len()
    );
    // Under another name, it goes in too.
    let copy = PodName::parse("alice-copy").unwrap();
    other.import_pod(&archive, Some(&copy)).await.unwrap();
    assert_eq!(
        snapshot(other.store.as_ref(), &copy).await.len(),
        before.len()
    );
}

#[tokio::test]
async fn damaged_archives_are_refused_whole_and_leave_no_pod() {
    let s = Server::start().await;
    let alice = PodName::parse("alice").unwrap();
    let blob: Vec<u8> = (0..600 * 1024u32).map(|i| (i % 251) as u8).collect();
    s.req("PUT", "/data/blob.bin")
        .header("content-type", "application/octet-stream")
        .body(blob)
        .send()
        .await
        .unwrap();
    s.put_turtle("/notes/a.ttl", "<#a> a <#B> .\n").await;
    let archive = s.app.export_pod(&alice).await.unwrap();
    let files = entries(&archive);
    let (other, _dir) = other_instance().await;

    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    // One byte of a resource flipped.
    let mut flipped = files.clone();
    let i = flipped
        .iter()
        .position(|(n, _)| n == "resources/notes/a.ttl")
        .unwrap();
    flipped[i].1[3] ^= 0x20;
    cases.push(("flipped byte", build(&flipped)));
    // Truncated in the middle of the large body.
    cases.push(("truncated", archive[..archive.len() / 2].to_vec()));
    // A file missing.
    let missing: Vec<_> = files
        .iter()
        .filter(|(n, _)| n != "resources/notes/a.ttl")
        .cloned()
        .collect();
    cases.push(("missing file", build(&missing)));
    // A path escaping the archive's folders.
    let mut traversal = files.clone();
    traversal.push(("resources/../x".into(), b"evil".to_vec()));
    cases.push(("traversal", build(&traversal)));
    // The same file twice.
    let mut twice = files.clone();
    twice.push(files[2].clone());
    cases.push(("duplicate", build(&twice)));
    // A manifest naming a path outside the pod.
    let mut hostile = files.clone();
    let manifest = String::from_utf8(hostile[1].1.clone()).unwrap();
    hostile[1].1 = manifest
        .replace("\"/notes/a.ttl\"", "\"/notes/../../a.ttl\"")
        .into_bytes();
    cases.push(("manifest traversal", build(&hostile)));
    // Not an archive at all.
    cases.push(("garbage", b"hello, this is not a tar file".repeat(40)));

    for (what, bytes) in cases {
        match other.import_pod(&bytes, None).await {
            Err(PortabilityError::Archive(sentence)) => {
                assert!(sentence.len() > 20, "{what}: {sentence}");
            }
            result => panic!("{what}: {result:?}"),
        }
        assert!(
            other.store.pod(&alice).await.unwrap().is_none(),
            "{what} left a pod"
        );
    }
    assert!(other.store.list_pods().await.unwrap().is_empty());
    // The intact archive goes in.
    other.import_pod(&archive, None).await.unwrap();
}

//! The access log over real HTTP: requests by another agent (refused, then
//! allowed once the owner grants read) and by an anonymous client are in the
//! owner's log with the right fields, the owner's own are not; the owner
//! downloads a signed checkpoint, inclusion and consistency proofs that
//! verify (in Rust and with `selfdata log verify`); a changed or removed
//! entry fails verification; nobody but the owner downloads the log.

use crate::common::{Resident, Server};
use selfdata_privacy_web::log::{
    ConsistencyProof, InclusionProof, LogFilter, SignedCheckpoint, VerifyInput, entries_in,
    translog, verify_offline,
};
use selfdata_store::{PodName, Write};

/// The owner downloads `path`: its JSON, parsed, and its text.
macro_rules! owner_json {
    ($s:expr, $path:expr) => {{
        let path: &str = &$path;
        let r = $s.req("GET", path).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let text = r.text().await.unwrap();
        (serde_json::from_str(&text).unwrap(), text)
    }};
}

fn alice() -> PodName {
    PodName::parse("alice").unwrap()
}

/// Every stored entry's exact bytes, by index.
async fn raw_entries(s: &Server) -> Vec<(String, bytes::Bytes)> {
    s.app.store.index_scan(&alice(), "log/e/").await.unwrap()
}

fn root_from(entries: &[(String, bytes::Bytes)]) -> translog::Hash {
    let leaves: Vec<_> = entries
        .iter()
        .map(|(_, b)| translog::leaf_hash(b))
        .collect();
    translog::root_of_leaves(&leaves)
}

fn cli_verify(args: &[(&str, &str)], dir: &std::path::Path) -> (bool, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_selfdata"));
    cmd.arg("log").arg("verify");
    for (flag, content) in args {
        let path = dir.join(flag.trim_start_matches('-'));
        std::fs::write(&path, content).unwrap();
        cmd.arg(flag).arg(&path);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn others_accesses_are_logged_proven_and_tampering_is_caught() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bob").await;
    let note = s.url("/notes/a.ttl");

    // The owner's own requests are not logged.
    assert_eq!(
        s.put_turtle("/notes/a.ttl", "<#a> <#b> \"secret\" .")
            .await
            .status(),
        201
    );
    assert_eq!(s.get_text("/notes/a.ttl").await.0, 200);

    // Bob is refused, an anonymous caller too.
    let t0 = jiff::Timestamp::now().as_millisecond();
    assert_eq!(
        bob.req(&s, "GET", &note).send().await.unwrap().status(),
        403
    );
    assert_eq!(s.client.get(&note).send().await.unwrap().status(), 401);

    // The owner grants bob read on notes/, then bob reads.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <./>; acl:default <./>;\n\
           acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{bob}>; acl:accessTo <./>; acl:default <./>;\n\
           acl:mode acl:Read.\n",
        owner = s.webid,
        bob = bob.webid
    );
    assert!(
        s.put_turtle("/notes/.acl", &acl)
            .await
            .status()
            .is_success()
    );
    assert_eq!(
        bob.req(&s, "GET", &note).send().await.unwrap().status(),
        200
    );

    // The owner's checkpoint writes what was waiting and signs the head.
    let (cp1, cp1_text): (SignedCheckpoint, _) = owner_json!(s, "/selfdata/log/checkpoint");
    assert_eq!(cp1.size, 3, "{}", cp1.checkpoint);
    let all = entries_in(
        s.app.store.as_ref(),
        &s.base,
        &alice(),
        &LogFilter::default(),
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 3, "only others' requests are logged: {all:#?}");
    // Refusals are gathered per agent and written when their minute ends or
    // the owner reads the log, so the log's order need not be the requests'.
    let find = |allowed: bool, anonymous: bool| {
        &all.iter()
            .find(|e| e.entry.allowed == allowed && e.entry.webid.is_none() == anonymous)
            .unwrap()
            .entry
    };
    let (denied, anonymous, allowed) = (find(false, false), find(false, true), find(true, false));
    assert_eq!(denied.webid.as_deref(), Some(bob.webid.as_str()));
    assert_eq!(denied.client_id.as_deref(), Some(bob.client_id.as_str()));
    assert_eq!(denied.resource, note);
    assert_eq!(denied.modes, ["read"]);
    assert!(!denied.allowed);
    assert!(denied.time_ms >= t0 && denied.time_ms <= jiff::Timestamp::now().as_millisecond());
    assert_eq!(anonymous.webid, None);
    assert_eq!(anonymous.client_id, None);
    assert!(!anonymous.allowed);
    assert_eq!(allowed.webid.as_deref(), Some(bob.webid.as_str()));
    assert!(allowed.allowed);
    assert_eq!(
        (all[0].index, all[1].index, all[2].index),
        (0, 1, 2),
        "indexes follow the log"
    );

    // The filters of the pages' API.
    let only = |f: LogFilter| {
        let store = s.app.store.clone();
        let base = s.base.clone();
        async move {
            entries_in(store.as_ref(), &base, &alice(), &f)
                .await
                .unwrap()
        }
    };
    let bobs = only(LogFilter {
        who: Some(bob.webid.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(bobs.len(), 2);
    let anon = only(LogFilter {
        who: Some("anonymous".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(anon.len(), 1);
    let refused = only(LogFilter {
        allowed: Some(false),
        resource_prefix: Some("/notes/".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(refused.len(), 2);
    let none = only(LogFilter {
        since_ms: Some(jiff::Timestamp::now().as_millisecond() + 1),
        ..Default::default()
    })
    .await;
    assert!(none.is_empty());
    let last = only(LogFilter {
        limit: Some(1),
        ..Default::default()
    })
    .await;
    assert_eq!(last[0].index, 2);

    // The entries route.
    let (page, _): (serde_json::Value, _) = owner_json!(s, "/selfdata/log/entries?from=1&limit=5");
    assert_eq!(page["size"], 3);
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["entries"][0]["index"], 1);
    // The same entry as the store's (refusals need not be in request order).
    assert_eq!(
        page["entries"][0]["webid"],
        serde_json::to_value(&all[1].entry.webid).unwrap()
    );

    // The checkpoint's signature and an inclusion proof verify, in Rust…
    let verifier = translog::LogVerifier::parse(&cp1.verifier_key).unwrap();
    let head = verifier.verify(&cp1.checkpoint).unwrap();
    assert_eq!(head.size, 3);
    assert!(head.origin.ends_with("/alice"));
    assert_eq!(head.root, root_from(&raw_entries(&s).await));
    let (proof, proof_text): (InclusionProof, _) =
        owner_json!(s, "/selfdata/log/proof/inclusion?index=0&size=3");
    let entry = proof.entry_bytes().unwrap();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&entry).unwrap()["webid"],
        serde_json::to_value(&all[0].entry.webid).unwrap()
    );
    let hashes = proof.hashes().unwrap();
    translog::verify_inclusion(&translog::leaf_hash(&entry), 0, 3, &hashes, &head.root).unwrap();

    // …and with `selfdata log verify`, offline.
    let dir = tempfile::tempdir().unwrap();
    let entry_text = String::from_utf8(entry.clone()).unwrap();
    let (ok, said) = cli_verify(
        &[
            ("--checkpoint", &cp1_text),
            ("--inclusion", &proof_text),
            ("--entry", &entry_text),
        ],
        dir.path(),
    );
    assert!(ok, "{said}");
    assert!(said.contains("Entry 0 is in the log"), "{said}");

    // More accesses; a consistency proof links the two checkpoints.
    for _ in 0..4 {
        bob.req(&s, "GET", &note).send().await.unwrap();
    }
    let (cp2, cp2_text): (SignedCheckpoint, _) = owner_json!(s, "/selfdata/log/checkpoint");
    assert_eq!(cp2.size, 7);
    let (consistency, consistency_text): (ConsistencyProof, _) =
        owner_json!(s, "/selfdata/log/proof/consistency?from=3&to=7");
    assert_eq!((consistency.from, consistency.to), (3, 7));
    let checked = verify_offline(&VerifyInput {
        checkpoint: cp2_text.clone(),
        consistency: Some(consistency_text.clone()),
        old_checkpoint: Some(cp1_text.clone()),
        ..Default::default()
    })
    .unwrap();
    assert!(
        checked[1].contains("extends the older one of 3"),
        "{checked:?}"
    );
    let (ok, said) = cli_verify(
        &[
            ("--checkpoint", &cp2_text),
            ("--consistency", &consistency_text),
            ("--old-checkpoint", &cp1_text),
        ],
        dir.path(),
    );
    assert!(ok, "{said}");
    // A forged signature fails, with a sentence and a non-zero exit.
    let forged = cp2_text.replace("\\n7\\n", "\\n8\\n");
    assert_ne!(forged, cp2_text);
    let (ok, said) = cli_verify(&[("--checkpoint", &forged)], dir.path());
    assert!(!ok);
    assert!(said.contains("FAILED"), "{said}");

    // Nobody but the owner downloads the log.
    let t_refusals = jiff::Timestamp::now().as_millisecond();
    for path in [
        "/selfdata/log/checkpoint",
        "/selfdata/log/entries",
        "/selfdata/log/proof/inclusion?index=0&size=3",
        "/selfdata/log/proof/consistency?from=3&to=7",
    ] {
        let r = bob.req(&s, "GET", &s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path}");
        let r = s.client.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }

    // TAMPERING. Flush what is waiting (bob's refused downloads, logged too:
    // four refusals each for bob and the anonymous caller, gathered into one
    // entry per agent).
    let (cp3, _): (SignedCheckpoint, _) = owner_json!(s, "/selfdata/log/checkpoint");
    let cp3 = verifier.verify(&cp3.checkpoint).unwrap();
    assert_eq!(cp3.size, 9);
    let gathered = entries_in(
        s.app.store.as_ref(),
        &s.base,
        &alice(),
        &LogFilter {
            allowed: Some(false),
            since_ms: Some(t_refusals),
            ..LogFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        gathered.iter().map(|e| e.entry.count).collect::<Vec<_>>(),
        [4, 4],
        "{gathered:#?}"
    );
    assert_eq!(cp3.root, root_from(&raw_entries(&s).await));

    // A changed entry: its inclusion proof and the recomputed root both fail.
    let key = "log/e/0000000000000001".to_owned();
    let original = s
        .app
        .store
        .index_get(&alice(), &key)
        .await
        .unwrap()
        .unwrap();
    let changed = String::from_utf8(original.to_vec())
        .unwrap()
        .replace("\"allowed\":false", "\"allowed\":true");
    assert_ne!(changed.as_bytes(), original.as_ref());
    s.app
        .store
        .write(
            &alice(),
            Write::Index {
                key: key.clone(),
                value: Some(changed.into()),
            },
        )
        .await
        .unwrap();
    let (cp4, cp4_text): (SignedCheckpoint, _) = owner_json!(s, "/selfdata/log/checkpoint");
    let head = verifier.verify(&cp4.checkpoint).unwrap();
    assert_ne!(head.root, root_from(&raw_entries(&s).await));
    let (_, tampered_text): (InclusionProof, _) = owner_json!(
        s,
        &format!("/selfdata/log/proof/inclusion?index=1&size={}", head.size)
    );
    let failed = verify_offline(&VerifyInput {
        checkpoint: cp4_text.clone(),
        inclusion: Some(tampered_text.clone()),
        ..Default::default()
    })
    .unwrap_err();
    assert!(failed.contains("NOT proven"), "{failed}");
    let (ok, said) = cli_verify(
        &[("--checkpoint", &cp4_text), ("--inclusion", &tampered_text)],
        dir.path(),
    );
    assert!(!ok, "{said}");
    // Entries left alone still verify.
    let (_, fine): (InclusionProof, _) = owner_json!(
        s,
        &format!("/selfdata/log/proof/inclusion?index=2&size={}", head.size)
    );
    verify_offline(&VerifyInput {
        checkpoint: cp4_text.clone(),
        inclusion: Some(fine),
        ..Default::default()
    })
    .unwrap();

    // A removed entry: no proof can be given, and the recomputed root fails.
    s.app
        .store
        .write(
            &alice(),
            Write::Index {
                key: "log/e/0000000000000002".into(),
                value: None,
            },
        )
        .await
        .unwrap();
    let r = s
        .req(
            "GET",
            &format!("/selfdata/log/proof/inclusion?index=2&size={}", head.size),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let mut restored = raw_entries(&s).await;
    assert_eq!(restored.len() as u64, head.size - 1);
    restored.insert(1, (key, original));
    restored.remove(2);
    assert_ne!(root_from(&restored), head.root);
}

#[tokio::test]
async fn an_app_the_owner_authorised_is_logged_but_the_owners_own_keys_are_not() {
    // The rule, checked through the hook directly: same WebID as the owner,
    // a third-party client_id → logged; the owner's credentials key → not.
    use selfdata_solid::Credentials;
    use selfdata_solid::audit::{AccessEvent, AccessLogHook};
    let s = Server::start().await;
    let log = s.app.access_log.clone();
    let path = selfdata_store::ResourcePath::parse("/notes/x").unwrap();
    let pod = alice();
    let as_owner = |client: Option<&str>| Credentials {
        webid: s.webid.clone(),
        client_id: client.map(str::to_owned),
        session: None,
    };
    for (credentials, allowed) in [
        (as_owner(None), true),
        (as_owner(Some(&s.client_id)), true),
        (as_owner(Some("https://app.example/id")), true),
        (as_owner(Some("app_abc")), false),
    ] {
        log.record(&AccessEvent {
            pod: &pod,
            path: &path,
            credentials: Some(&credentials),
            modes: selfdata_solid::audit::ModeSet::READ,
            allowed,
        });
    }
    log.flush().await;
    let all = entries_in(s.app.store.as_ref(), &s.base, &pod, &LogFilter::default())
        .await
        .unwrap();
    let clients: Vec<_> = all
        .iter()
        .map(|e| e.entry.client_id.clone().unwrap())
        .collect();
    assert_eq!(clients, ["https://app.example/id", "app_abc"]);
}

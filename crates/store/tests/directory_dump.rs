//! A directory copied between the engines (`selfdata migrate`): everything
//! the embedded engine's directory holds, dumped, loaded into PostgreSQL,
//! dumped again and loaded into another embedded store, with nothing lost
//! or changed, every id kept, and the copies working as the original did.
//!
//! Needs a server: `SELFDATA_TEST_POSTGRES` (`bash scripts/postgres.sh start`).

use selfdata_store::crypto::MasterKey;
use selfdata_store::directory::{
    AppUse, Client, ClientKind, Directory, DirectoryDump, Grant, ListedApp, OperatorAction,
    RevokeScope, Session, StoredKey, TokenFamily,
};
use selfdata_store::postgres::testing::fresh_database;
use selfdata_store::postgres::{PgSettings, PgStore};
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, PodName};

const PODS: [&str; 3] = ["alice", "bob", "carol-notes"];

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn create_pods(store: &impl Backend) {
    for pod in PODS {
        store
            .create_pod(&PodName::parse(pod).unwrap())
            .await
            .unwrap();
    }
}

async fn fresh_pg() -> PgStore {
    PgStore::connect(&PgSettings::new(fresh_database()), MasterKey::random())
        .await
        .unwrap()
}

fn listed(client_id: &str, name: &str) -> ListedApp {
    ListedApp {
        client_id: client_id.into(),
        name: name.into(),
        logo_uri: Some(format!("{client_id}/logo.png")),
        start_url: format!("{client_id}/start"),
        description: format!("{name}, for the test"),
        reads: vec![AppUse {
            path: "/selfdata/energy/".into(),
            why: "to draw your consumption".into(),
        }],
        writes: vec![],
        added_ms: now(),
    }
}

/// What the filled directory's behaviour rests on, for the checks on a copy.
struct Known {
    alice_email: String,
    alice_hash: String,
    session: [u8; 32],
    family: String,
    refresh: [u8; 32],
    spent: [u8; 32],
    revoked_family: String,
}

/// Fills a directory through the trait with at least one of everything.
async fn fill(d: &impl Directory) -> Known {
    let t = now();
    let alice = d
        .create_account(
            "Alice@Example.org",
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        )
        .await
        .unwrap();
    d.set_totp(alice.id, Some("JBSWY3DPEHPK3PXP"))
        .await
        .unwrap();
    d.set_operator(alice.id, true).await.unwrap();
    d.set_notices(alice.id, 3).await.unwrap();
    let bob = d
        .create_account("bob@example.org", "$argon2id$bob")
        .await
        .unwrap();
    d.login_failed(bob.id, t + 60_000).await.unwrap();
    d.set_suspended(bob.id, Some(t - 5)).await.unwrap();
    let carol = d
        .create_account("carol@example.org", "$argon2id$carol")
        .await
        .unwrap();

    d.set_pod_owner("alice", alice.id).await.unwrap();
    d.set_pod_owner("bob", bob.id).await.unwrap();
    d.set_pod_owner("carol-notes", carol.id).await.unwrap();

    d.record_operator_action(
        &OperatorAction::new("alice@example.org", OperatorAction::SUSPEND, "spam")
            .on_account(bob.id)
            .on_pod("bob"),
    )
    .await
    .unwrap();
    d.record_operator_action(&OperatorAction::new(
        "command line",
        OperatorAction::INVITE,
        "1",
    ))
    .await
    .unwrap();
    d.record_operator_action(
        &OperatorAction::new("alice@example.org", OperatorAction::QUOTA, "1000000")
            .on_pod("carol-notes"),
    )
    .await
    .unwrap();

    d.create_invite([10; 32]).await.unwrap();
    d.create_invite([11; 32]).await.unwrap();
    assert!(d.use_invite([11; 32]).await.unwrap());

    let session = Session {
        id_hash: [20; 32],
        account_id: alice.id,
        csrf: "csrf-alice".into(),
        complete: true,
        second_factor: true,
        created_ms: t,
        expires_ms: t + 3_600_000,
    };
    d.put_session(&session).await.unwrap();
    d.put_session(&Session {
        id_hash: [21; 32],
        account_id: bob.id,
        csrf: "csrf-bob".into(),
        complete: false,
        second_factor: false,
        created_ms: t,
        expires_ms: t + 60_000,
    })
    .await
    .unwrap();

    d.put_client(&Client {
        client_id: "https://app.example/id".into(),
        kind: ClientKind::Registered,
        secret_hash: None,
        name: "An app".into(),
        logo_uri: None,
        redirect_uris: vec!["https://app.example/cb".into()],
        webid: None,
        account_id: None,
        created_ms: t,
    })
    .await
    .unwrap();
    d.put_client(&Client {
        client_id: "cc_alice_script".into(),
        kind: ClientKind::Credentials,
        secret_hash: Some([30; 32]),
        name: "A script".into(),
        logo_uri: Some("https://alice.example/logo.png".into()),
        redirect_uris: vec![],
        webid: Some("https://host.example/alice/profile/card#me".into()),
        account_id: Some(alice.id),
        created_ms: t,
    })
    .await
    .unwrap();

    for (id, revoke) in [("grant-1", false), ("grant-2", true)] {
        d.put_grant(&Grant {
            id: id.into(),
            account_id: alice.id,
            webid: "https://host.example/alice/profile/card#me".into(),
            client_id: "https://app.example/id".into(),
            client_name: "An app".into(),
            scope: "openid webid offline_access".into(),
            created_ms: t,
            revoked_ms: None,
        })
        .await
        .unwrap();
        if revoke {
            d.revoke(RevokeScope::Grant(id), t + 1).await.unwrap();
        }
    }

    let family = |id: &str, grant: Option<&str>, refresh: [u8; 32]| TokenFamily {
        id: id.into(),
        webid: "https://host.example/alice/profile/card#me".into(),
        client_id: "https://app.example/id".into(),
        grant_id: grant.map(Into::into),
        session_hash: Some([20; 32]),
        refresh_hash: Some(refresh),
        refresh_expires_ms: t + 86_400_000,
        created_ms: t,
        revoked_ms: None,
    };
    d.put_family(&family("fam-1", Some("grant-1"), [40; 32]))
        .await
        .unwrap();
    d.set_family_key("fam-1", "jkt-of-the-app").await.unwrap();
    assert!(
        d.rotate_refresh_remembering("fam-1", [40; 32], [41; 32], t + 86_400_000, t)
            .await
            .unwrap()
    );
    d.put_family(&family("fam-2", Some("grant-1"), [42; 32]))
        .await
        .unwrap();
    d.revoke(RevokeScope::Family("fam-2"), t + 2).await.unwrap();
    d.put_family(&TokenFamily {
        id: "fam-cc".into(),
        webid: "https://host.example/alice/profile/card#me".into(),
        client_id: "cc_alice_script".into(),
        grant_id: None,
        session_hash: None,
        refresh_hash: None,
        refresh_expires_ms: 0,
        created_ms: t,
        revoked_ms: None,
    })
    .await
    .unwrap();

    for (kid, created) in [("key-old", t - 1000), ("key-new", t)] {
        d.put_signing_key(&StoredKey {
            kid: kid.into(),
            private_jwk: format!(r#"{{"kty":"EC","kid":"{kid}","d":"secret"}}"#),
            created_ms: created,
            retired_ms: None,
        })
        .await
        .unwrap();
    }
    d.retire_signing_keys_except("key-new", t + 3)
        .await
        .unwrap();

    d.create_password_reset([50; 32], bob.id, t + 3_600_000)
        .await
        .unwrap();
    d.create_password_reset([51; 32], carol.id, t + 3_600_000)
        .await
        .unwrap();
    assert_eq!(
        d.use_password_reset([51; 32], t).await.unwrap(),
        Some(carol.id)
    );

    let now_s = t / 1000;
    d.remember_proof("jkt:jti-1", now_s + 300).await.unwrap();
    assert!(
        d.spend_proof("jkt:jti-2", now_s, now_s + 300)
            .await
            .unwrap()
    );

    d.put_listed_app(&listed("https://energy.example/id", "Énergie"))
        .await
        .unwrap();
    d.put_listed_app(&listed("https://books.example/id", "books"))
        .await
        .unwrap();

    Known {
        alice_email: alice.email,
        alice_hash: alice.password_hash,
        session: session.id_hash,
        family: "fam-1".into(),
        refresh: [41; 32],
        spent: [40; 32],
        revoked_family: "fam-2".into(),
    }
}

/// A dump with one of everything (every list filled).
fn assert_complete(d: &DirectoryDump) {
    assert_eq!(d.accounts.len(), 3);
    assert!(d.accounts.iter().any(|a| a.totp_secret.is_some()));
    assert!(d.accounts.iter().any(|a| a.suspended_ms.is_some()));
    assert_eq!(d.operators.len(), 1);
    assert_eq!(d.operator_actions.len(), 3);
    assert_eq!(d.pod_owners.len(), 3);
    assert_eq!(d.invites.len(), 2);
    assert_eq!(d.sessions.len(), 2);
    assert_eq!(d.clients.len(), 2);
    assert_eq!(d.grants.len(), 2);
    assert!(d.grants.iter().any(|g| g.revoked_ms.is_some()));
    assert_eq!(d.listed_apps.len(), 2);
    assert_eq!(d.token_families.len(), 3);
    assert!(d.token_families.iter().any(|f| f.revoked_ms.is_some()));
    assert_eq!(d.signing_keys.len(), 2);
    assert!(d.signing_keys.iter().any(|k| k.retired_ms.is_some()));
    assert_eq!(d.family_keys.len(), 1);
    assert_eq!(d.spent_refreshes.len(), 1);
    assert_eq!(d.dpop_proofs.len(), 2);
    assert_eq!(d.password_resets.len(), 2);
    assert!(d.password_resets.iter().any(|r| r.used_ms.is_some()));
}

/// The copy works as the original did.
async fn check_behaviour(d: &impl Directory, dump: &DirectoryDump, known: &Known) {
    let t = now();
    // Found by e-mail address whatever its case, the hash as it was.
    let alice = d
        .account_by_email("alice@EXAMPLE.org")
        .await
        .unwrap()
        .expect("the account is found by its address");
    assert_eq!(alice.email, known.alice_email);
    assert_eq!(alice.password_hash, known.alice_hash);
    assert_eq!(alice.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    let bob_id = dump
        .accounts
        .iter()
        .find(|a| a.email == "bob@example.org")
        .unwrap()
        .id;
    assert!(d.is_operator(alice.id).await.unwrap());
    assert_eq!(d.pods_of(alice.id).await.unwrap(), vec!["alice".to_owned()]);
    assert_eq!(d.pod_owner("bob").await.unwrap(), Some(bob_id));

    let session = d.session(known.session).await.unwrap().unwrap();
    assert_eq!(session.account_id, alice.id);
    assert_eq!(session.csrf, "csrf-alice");

    // The log in its order, with its places.
    let log = d.operator_actions(None, 10).await.unwrap();
    let mut expected = dump.operator_actions.clone();
    expected.reverse();
    assert_eq!(log, expected);

    // Signing keys, the retired one too.
    let keys = d.signing_keys().await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].kid, "key-new");
    assert!(keys[1].retired_ms.is_some());

    // The spent refresh secret is still told from a guess; the current one
    // rotates; the revoked family stays revoked.
    assert!(d.refresh_spent(&known.family, known.spent).await.unwrap());
    assert!(!d.refresh_spent(&known.family, [99; 32]).await.unwrap());
    assert!(
        d.rotate_refresh_remembering(&known.family, known.refresh, [43; 32], t + 60_000, t)
            .await
            .unwrap()
    );
    assert!(d.refresh_spent(&known.family, known.refresh).await.unwrap());
    assert_eq!(
        d.family_key(&known.family).await.unwrap().as_deref(),
        Some("jkt-of-the-app")
    );
    assert!(
        d.revoked_since(0)
            .await
            .unwrap()
            .contains(&known.revoked_family)
    );
    assert!(!d.use_invite([11; 32]).await.unwrap(), "used already");
    assert!(d.use_invite([10; 32]).await.unwrap());
    assert_eq!(
        d.use_password_reset([50; 32], t).await.unwrap(),
        Some(bob_id)
    );
    assert!(
        !d.spend_proof("jkt:jti-2", t / 1000, t / 1000 + 300)
            .await
            .unwrap(),
        "a proof spent before the copy stays spent"
    );
    assert_eq!(
        d.credentials_of(alice.id).await.unwrap().len(),
        1,
        "the script's credentials are the account's"
    );
    let names: Vec<String> = d
        .listed_apps()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["books", "Énergie"]);

    // New rows get ids after every loaded one.
    let max_id = dump.accounts.iter().map(|a| a.id).max().unwrap();
    let dora = d.create_account("dora@example.org", "h").await.unwrap();
    assert!(dora.id > max_id, "{} after {max_id}", dora.id);
    let max_seq = dump.operator_actions.iter().map(|a| a.seq).max().unwrap();
    let seq = d
        .record_operator_action(&OperatorAction::new("command line", "test", ""))
        .await
        .unwrap();
    assert!(seq > max_seq, "{seq} after {max_seq}");
    assert!(
        d.create_account("ALICE@example.org", "h").await.is_err(),
        "an address taken in the copy is taken"
    );
}

#[tokio::test]
async fn a_directory_goes_from_sqlite_to_postgresql_and_back_unchanged() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = SqliteBackend::open(src_dir.path()).unwrap();
    create_pods(&src).await;
    let known = fill(&src).await;
    let dump = src.dump().await.unwrap();
    assert_complete(&dump);
    // A dump is plain data: it goes through JSON unchanged.
    let json = serde_json::to_string(&dump).unwrap();
    assert_eq!(serde_json::from_str::<DirectoryDump>(&json).unwrap(), dump);

    let pg = fresh_pg().await;
    create_pods(&pg).await;
    pg.load(&dump).await.unwrap();
    let pg_dump = pg.dump().await.unwrap();
    assert_eq!(pg_dump, dump);

    let back_dir = tempfile::tempdir().unwrap();
    let back = SqliteBackend::open(back_dir.path()).unwrap();
    create_pods(&back).await;
    back.load(&pg_dump).await.unwrap();
    assert_eq!(back.dump().await.unwrap(), dump);

    check_behaviour(&pg, &dump, &known).await;
    check_behaviour(&back, &dump, &known).await;
}

#[tokio::test]
async fn a_dump_is_not_loaded_into_a_directory_that_holds_an_account() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = SqliteBackend::open(src_dir.path()).unwrap();
    create_pods(&src).await;
    fill(&src).await;
    let dump = src.dump().await.unwrap();

    // Into itself.
    assert!(src.load(&dump).await.is_err());
    assert_eq!(src.dump().await.unwrap(), dump);

    // Into directories holding one account (and nothing else): refused,
    // nothing written.
    let other_dir = tempfile::tempdir().unwrap();
    let other = SqliteBackend::open(other_dir.path()).unwrap();
    create_pods(&other).await;
    other.create_account("eve@example.org", "h").await.unwrap();
    let before = other.dump().await.unwrap();
    assert!(other.load(&dump).await.is_err());
    assert_eq!(other.dump().await.unwrap(), before);

    let pg = fresh_pg().await;
    create_pods(&pg).await;
    pg.create_account("eve@example.org", "h").await.unwrap();
    let before = pg.dump().await.unwrap();
    assert_eq!(before.accounts.len(), 1);
    assert!(pg.load(&dump).await.is_err());
    assert_eq!(pg.dump().await.unwrap(), before);

    // An empty dump loads anywhere empty, and an empty directory dumps empty.
    let empty = fresh_pg().await;
    empty.load(&DirectoryDump::default()).await.unwrap();
    assert_eq!(empty.dump().await.unwrap(), DirectoryDump::default());
    let new_account = empty.create_account("a@example.org", "h").await.unwrap();
    assert_eq!(new_account.id, 1);
}

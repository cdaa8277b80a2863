//! The host directory on PostgreSQL: what the embedded engine's directory
//! does, also when two servers share the database, and nothing personal
//! or secret in the clear in the database.
//!
//! Needs a server: `SELFDATA_TEST_POSTGRES` (`bash scripts/postgres.sh start`).

use std::sync::Arc;

use selfdata_store::StoreError;
use selfdata_store::crypto::MasterKey;
use selfdata_store::directory::{
    AppUse, Client, ClientKind, Directory, Grant, ListedApp, OperatorAction, RevokeScope, Session,
    StoredKey, TokenFamily,
};
use selfdata_store::postgres::testing::fresh_database;
use selfdata_store::postgres::{PgSettings, PgStore};

/// A server on the database: a [`PgStore`] that, dropped, closes its
/// connections on a thread of its own (the blocking client may not close
/// inside the tests' runtime), also when a test fails.
#[derive(Clone)]
struct Server(Option<Arc<PgStore>>);

impl std::ops::Deref for Server {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        self.0.as_ref().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            let _ = std::thread::spawn(move || drop(store)).join();
        }
    }
}

async fn store_at(url: &str, master: &MasterKey) -> Server {
    Server(Some(Arc::new(
        PgStore::connect(&PgSettings::new(url), master.clone())
            .await
            .unwrap(),
    )))
}

/// A fresh database and two servers on it (one master key).
async fn two_servers() -> (String, Server, Server) {
    let url = fresh_database();
    let master = MasterKey::random();
    let a = store_at(&url, &master).await;
    let b = store_at(&url, &master).await;
    (url, a, b)
}

async fn one_server() -> Server {
    store_at(&fresh_database(), &MasterKey::random()).await
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn family(id: &str, webid: &str, client_id: &str) -> TokenFamily {
    TokenFamily {
        id: id.into(),
        webid: webid.into(),
        client_id: client_id.into(),
        grant_id: None,
        session_hash: None,
        refresh_hash: Some([1; 32]),
        refresh_expires_ms: now() + 60_000,
        created_ms: now(),
        revoked_ms: None,
    }
}

fn session(id: u8, account_id: i64) -> Session {
    Session {
        id_hash: [id; 32],
        account_id,
        csrf: format!("csrf-token-{id}"),
        complete: false,
        second_factor: false,
        created_ms: 1_000,
        expires_ms: 2_000,
    }
}

#[tokio::test]
async fn accounts_are_found_by_email_in_any_case_and_an_address_is_taken_once() {
    let store = one_server().await;
    let camille = store
        .create_account("Camille@Lyon.example", "$argon2id$one")
        .await
        .unwrap();
    assert!(camille.id > 0);
    assert_eq!(camille.email, "Camille@Lyon.example");
    assert_eq!(camille.password_hash, "$argon2id$one");
    assert_eq!(
        (
            camille.totp_secret.as_deref(),
            camille.failed_logins,
            camille.locked_until_ms
        ),
        (None, 0, 0)
    );
    assert_eq!((camille.suspended_ms, camille.notices), (None, 0));
    assert!(camille.created_ms > 0);
    for taken in [
        "Camille@Lyon.example",
        "camille@lyon.example",
        "CAMILLE@LYON.EXAMPLE",
    ] {
        match store.create_account(taken, "h").await {
            Err(StoreError::AccountExists(e)) => assert_eq!(e, taken),
            other => panic!("{taken}: {other:?}"),
        }
    }
    let found = store
        .account_by_email("camille@LYON.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, camille);
    assert_eq!(store.account(camille.id).await.unwrap().unwrap(), camille);
    assert_eq!(
        store
            .account_by_email("dominique@lyon.example")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.account(camille.id + 100).await.unwrap(), None);

    store
        .set_password(camille.id, "$argon2id$two")
        .await
        .unwrap();
    store
        .set_totp(camille.id, Some("JBSWY3DPEHPK3PXP"))
        .await
        .unwrap();
    let a = store.account(camille.id).await.unwrap().unwrap();
    assert_eq!(a.password_hash, "$argon2id$two");
    assert_eq!(a.totp_secret.as_deref(), Some("JBSWY3DPEHPK3PXP"));
    store.set_totp(camille.id, None).await.unwrap();
    assert_eq!(
        store
            .account(camille.id)
            .await
            .unwrap()
            .unwrap()
            .totp_secret,
        None
    );

    assert_eq!(store.login_failed(camille.id, 5_000).await.unwrap(), 1);
    assert_eq!(store.login_failed(camille.id, 3_000).await.unwrap(), 2);
    let a = store.account(camille.id).await.unwrap().unwrap();
    assert_eq!(
        (a.failed_logins, a.locked_until_ms),
        (2, 5_000),
        "the later lock kept"
    );
    store.login_succeeded(camille.id).await.unwrap();
    let a = store.account(camille.id).await.unwrap().unwrap();
    assert_eq!((a.failed_logins, a.locked_until_ms), (0, 0));
    assert!(store.login_failed(camille.id + 100, 1).await.is_err());

    // A non-ASCII letter is not folded, as in SQLite's NOCASE.
    store
        .create_account("émile@lyon.example", "h")
        .await
        .unwrap();
    assert!(
        store
            .account_by_email("Émile@lyon.example")
            .await
            .unwrap()
            .is_none()
    );
    store
        .create_account("Émile@lyon.example", "h")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_address_asked_for_on_two_servers_at_once_is_given_once() {
    let (_, a, b) = two_servers().await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store.create_account("same@city.example", "h").await
        }));
    }
    let (mut created, mut refused) = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::AccountExists(_)) => refused += 1,
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!((created, refused), (1, 7));
}

#[tokio::test]
async fn sessions_are_kept_changed_and_ended() {
    let store = one_server().await;
    let id = store
        .create_account("s@city.example", "h")
        .await
        .unwrap()
        .id;
    let first = session(1, id);
    store.put_session(&first).await.unwrap();
    assert_eq!(store.session([1; 32]).await.unwrap().unwrap(), first);
    assert_eq!(store.session([9; 32]).await.unwrap(), None);
    // Put again: completion, expiry and second factor change; the rest stays.
    let changed = Session {
        complete: true,
        second_factor: true,
        expires_ms: 9_000,
        csrf: "other".into(),
        created_ms: 5,
        ..first.clone()
    };
    store.put_session(&changed).await.unwrap();
    let got = store.session([1; 32]).await.unwrap().unwrap();
    assert_eq!(
        got,
        Session {
            complete: true,
            second_factor: true,
            expires_ms: 9_000,
            ..first.clone()
        }
    );
    store.delete_session([1; 32]).await.unwrap();
    assert_eq!(store.session([1; 32]).await.unwrap(), None);

    for i in 2..=4 {
        store.put_session(&session(i, id)).await.unwrap();
    }
    let mut ended = store.delete_sessions_of(id, Some([3; 32])).await.unwrap();
    ended.sort();
    assert_eq!(ended, vec![[2; 32], [4; 32]]);
    assert!(store.session([3; 32]).await.unwrap().is_some());
    assert_eq!(
        store.delete_sessions_of(id, None).await.unwrap(),
        vec![[3; 32]]
    );
}

#[tokio::test]
async fn a_refresh_secret_used_on_two_servers_at_once_is_rotated_once() {
    let (_, a, b) = two_servers().await;
    a.put_family(&family("fam", "https://c.example/camille#me", "app"))
        .await
        .unwrap();
    assert_eq!(
        b.family("fam").await.unwrap().unwrap().refresh_hash,
        Some([1; 32])
    );
    let mut tasks = Vec::new();
    for i in 0..10u8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let won = store
                .rotate_refresh("fam", [1; 32], [10 + i; 32], now() + 1_000)
                .await
                .unwrap();
            (won, i)
        }));
    }
    let mut winners = Vec::new();
    for t in tasks {
        let (won, i) = t.await.unwrap();
        if won {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let current = [10 + winners[0]; 32];
    assert_eq!(
        a.family("fam").await.unwrap().unwrap().refresh_hash,
        Some(current)
    );

    // The remembering rotation: once, and the spent secret known to both.
    let mut tasks = Vec::new();
    for i in 0..10u8 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store
                .rotate_refresh_remembering("fam", current, [100 + i; 32], now() + 60_000, now())
                .await
                .unwrap()
        }));
    }
    let mut won = 0;
    for t in tasks {
        won += t.await.unwrap() as usize;
    }
    assert_eq!(won, 1);
    assert!(b.refresh_spent("fam", current).await.unwrap());
    assert!(a.refresh_spent("fam", current).await.unwrap());
    assert!(
        !a.refresh_spent("fam", [1; 32]).await.unwrap(),
        "never remembered"
    );
    assert!(
        !a.refresh_spent("other", current).await.unwrap(),
        "another family's"
    );

    // Spent secrets expired are forgotten at the next rotation.
    let now_hash = a
        .family("fam")
        .await
        .unwrap()
        .unwrap()
        .refresh_hash
        .unwrap();
    assert!(
        a.rotate_refresh_remembering("fam", now_hash, [200; 32], 5, 0)
            .await
            .unwrap()
    );
    assert!(a.refresh_spent("fam", now_hash).await.unwrap());
    assert!(
        !a.rotate_refresh_remembering("fam", [77; 32], [201; 32], 5, now())
            .await
            .unwrap()
    );
    assert!(
        a.refresh_spent("fam", current).await.unwrap(),
        "not expired"
    );
    assert!(!a.refresh_spent("fam", now_hash).await.unwrap(), "expired");

    // A revoked family rotates no more.
    a.revoke(RevokeScope::Family("fam"), now()).await.unwrap();
    assert!(
        !b.rotate_refresh("fam", [200; 32], [3; 32], 0)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_proof_remembered_by_one_server_is_remembered_by_all() {
    let (_, a, b) = two_servers().await;
    a.remember_proof("jkt:jti-1", 100).await.unwrap();
    assert_eq!(
        b.remembered_proofs(50).await.unwrap(),
        vec![("jkt:jti-1".to_owned(), 100)]
    );
    // Remembered again, on the other server: one entry, the new expiry.
    b.remember_proof("jkt:jti-1", 120).await.unwrap();
    a.remember_proof("jkt:jti-2", 60).await.unwrap();
    let mut all = a.remembered_proofs(50).await.unwrap();
    all.sort();
    assert_eq!(
        all,
        vec![("jkt:jti-1".to_owned(), 120), ("jkt:jti-2".to_owned(), 60)]
    );
    // The expired are forgotten.
    assert_eq!(
        b.remembered_proofs(60).await.unwrap(),
        vec![("jkt:jti-1".to_owned(), 120)]
    );
    assert_eq!(a.remembered_proofs(0).await.unwrap().len(), 1);

    // At once on both: neither fails.
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store.remember_proof("jkt:same", 500 + i).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        a.remembered_proofs(130)
            .await
            .unwrap()
            .iter()
            .filter(|(k, _)| k == "jkt:same")
            .count(),
        1
    );
}

#[tokio::test]
async fn revoking_ends_what_it_names_and_is_seen_since() {
    let store = one_server().await;
    let t0 = now();
    let id = store
        .create_account("r@city.example", "h")
        .await
        .unwrap()
        .id;
    let webid = "https://city.example/camille/profile/card#me";
    let grant = Grant {
        id: "g1".into(),
        account_id: id,
        webid: webid.into(),
        client_id: "https://app.example/id".into(),
        client_name: "App".into(),
        scope: "openid webid".into(),
        created_ms: 10,
        revoked_ms: None,
    };
    store.put_grant(&grant).await.unwrap();
    store
        .put_grant(&Grant {
            id: "g2".into(),
            created_ms: 20,
            ..grant.clone()
        })
        .await
        .unwrap();
    assert_eq!(store.grant("g1").await.unwrap().unwrap(), grant);
    let of: Vec<String> = store
        .grants_of(id)
        .await
        .unwrap()
        .into_iter()
        .map(|g| g.id)
        .collect();
    assert_eq!(of, ["g2", "g1"], "newest first");

    let mut by_grant = family("f-grant", webid, "https://app.example/id");
    by_grant.grant_id = Some("g1".into());
    let mut by_session = family("f-session", "https://city.example/other#me", "x");
    by_session.session_hash = Some([5; 32]);
    let by_client = family("f-client", "https://city.example/other#me", "script");
    let plain = family("f-plain", webid, "y");
    let other = family("f-other", "https://city.example/other#me", "z");
    for f in [&by_grant, &by_session, &by_client, &plain, &other] {
        store.put_family(f).await.unwrap();
    }
    assert_eq!(
        store.family("f-session").await.unwrap().unwrap(),
        by_session
    );
    assert!(
        store.put_family(&plain).await.is_err(),
        "a family is made once"
    );

    assert_eq!(
        store
            .revoke(RevokeScope::Grant("g1"), t0 + 1)
            .await
            .unwrap(),
        ["f-grant"]
    );
    assert_eq!(
        store.grant("g1").await.unwrap().unwrap().revoked_ms,
        Some(t0 + 1)
    );
    assert_eq!(store.grant("g2").await.unwrap().unwrap().revoked_ms, None);
    assert_eq!(
        store
            .revoke(RevokeScope::Session(&[5; 32]), t0 + 2)
            .await
            .unwrap(),
        ["f-session"]
    );
    assert_eq!(
        store
            .revoke(RevokeScope::Client("script"), t0 + 3)
            .await
            .unwrap(),
        ["f-client"]
    );
    assert!(
        store
            .revoke(RevokeScope::Client("script"), t0 + 4)
            .await
            .unwrap()
            .is_empty(),
        "revoked once"
    );
    assert_eq!(
        store.revoked_since(t0 + 2).await.unwrap().len(),
        2,
        "revoked at t0+2 and t0+3"
    );

    // Client credentials acting as the WebID.
    let credentials = Client {
        client_id: "cred-1".into(),
        kind: ClientKind::Credentials,
        secret_hash: Some([8; 32]),
        name: "backup script".into(),
        logo_uri: None,
        redirect_uris: vec![],
        webid: Some(webid.into()),
        account_id: Some(id),
        created_ms: 1,
    };
    store.put_client(&credentials).await.unwrap();
    assert_eq!(
        store.credentials_of(id).await.unwrap(),
        vec![credentials.clone()]
    );

    // Families of the WebID only: the grant and the credentials stay.
    assert_eq!(
        store
            .revoke(RevokeScope::FamiliesOf(webid), t0 + 5)
            .await
            .unwrap(),
        ["f-plain"]
    );
    assert_eq!(store.grant("g2").await.unwrap().unwrap().revoked_ms, None);
    assert!(store.client("cred-1").await.unwrap().is_some());
    // Everything of the WebID.
    let mut again = family("f-again", webid, "w");
    again.refresh_hash = None;
    store.put_family(&again).await.unwrap();
    assert_eq!(
        store
            .revoke(RevokeScope::WebId(webid), t0 + 6)
            .await
            .unwrap(),
        ["f-again"]
    );
    assert_eq!(
        store.grant("g2").await.unwrap().unwrap().revoked_ms,
        Some(t0 + 6)
    );
    assert_eq!(store.client("cred-1").await.unwrap(), None);
    assert_eq!(
        store.family("f-other").await.unwrap().unwrap().revoked_ms,
        None
    );
    let mut since = store.revoked_since(t0).await.unwrap();
    since.sort();
    assert_eq!(
        since,
        ["f-again", "f-client", "f-grant", "f-plain", "f-session"]
    );
}

#[tokio::test]
async fn an_invitation_is_used_once_even_on_two_servers_at_once() {
    let (_, a, b) = two_servers().await;
    a.create_invite([1; 32]).await.unwrap();
    a.create_invite([2; 32]).await.unwrap();
    assert!(b.create_invite([1; 32]).await.is_err(), "made once");
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store.use_invite([1; 32]).await.unwrap()
        }));
    }
    let mut used = 0;
    for t in tasks {
        used += t.await.unwrap() as usize;
    }
    assert_eq!(used, 1);
    assert!(!a.use_invite([3; 32]).await.unwrap(), "unknown");
    assert_eq!(b.invites().await.unwrap(), (2, 1));
}

#[tokio::test]
async fn a_password_reset_is_spent_once_with_every_other_of_its_account() {
    let (_, a, b) = two_servers().await;
    let id = a.create_account("p@city.example", "h").await.unwrap().id;
    let t = now();
    a.create_password_reset([1; 32], id, t + 60_000)
        .await
        .unwrap();
    a.create_password_reset([2; 32], id, t + 60_000)
        .await
        .unwrap();
    a.create_password_reset([3; 32], id, t + 10).await.unwrap();
    assert_eq!(
        b.use_password_reset([3; 32], t + 20).await.unwrap(),
        None,
        "expired"
    );
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            store.use_password_reset([1; 32], t).await.unwrap()
        }));
    }
    let mut spent = Vec::new();
    for task in tasks {
        spent.extend(task.await.unwrap());
    }
    assert_eq!(spent, vec![id]);
    assert_eq!(
        a.use_password_reset([2; 32], t).await.unwrap(),
        None,
        "spent too"
    );
    assert_eq!(
        a.use_password_reset([9; 32], t).await.unwrap(),
        None,
        "unknown"
    );
}

#[tokio::test]
async fn the_operators_log_accounts_search_and_operators() {
    let store = one_server().await;
    let mut ids = Vec::new();
    for email in [
        "dominique@lyon.example",
        "Camille@lyon.example",
        "eve_x@other.example",
    ] {
        ids.push(store.create_account(email, "h").await.unwrap().id);
    }
    let (found, total) = store.find_accounts("LYON", 1).await.unwrap();
    assert_eq!((found.len(), total), (1, 2), "limited, but counted in full");
    assert_eq!(
        found[0].email, "Camille@lyon.example",
        "by address, case aside"
    );
    let (found, _) = store.find_accounts("  _x ", 10).await.unwrap();
    assert_eq!(found.len(), 1, "typed characters matched as they are");
    assert_eq!(store.find_accounts("", 10).await.unwrap().1, 3);
    assert_eq!(store.find_accounts("%", 10).await.unwrap().1, 0);
    assert_eq!(store.find_accounts("", 0).await.unwrap(), (vec![], 3));

    assert!(!store.is_operator(ids[0]).await.unwrap());
    for id in &ids[..2] {
        store.set_operator(*id, true).await.unwrap();
        store.set_operator(*id, true).await.unwrap();
    }
    assert!(store.is_operator(ids[0]).await.unwrap());
    let ops: Vec<String> = store
        .operators()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.email)
        .collect();
    assert_eq!(ops, ["Camille@lyon.example", "dominique@lyon.example"]);
    store.set_operator(ids[1], false).await.unwrap();
    assert_eq!(store.operators().await.unwrap().len(), 1);
    assert!(
        store.set_operator(9_999, true).await.is_err(),
        "no such account"
    );

    store.set_suspended(ids[2], Some(1234)).await.unwrap();
    store.set_notices(ids[2], 3).await.unwrap();
    let a = store.account(ids[2]).await.unwrap().unwrap();
    assert_eq!((a.suspended_ms, a.notices), (Some(1234), 3));
    store.set_suspended(ids[2], None).await.unwrap();
    assert_eq!(
        store.account(ids[2]).await.unwrap().unwrap().suspended_ms,
        None
    );

    let first = store
        .record_operator_action(
            &OperatorAction::new("ops@city.example", OperatorAction::SUSPEND, "spam")
                .on_account(ids[0]),
        )
        .await
        .unwrap();
    store
        .record_operator_action(&OperatorAction::new(
            "ops@city.example",
            OperatorAction::APP_LIST,
            "https://app.example/id",
        ))
        .await
        .unwrap();
    store
        .record_operator_action(
            &OperatorAction::new("command line", OperatorAction::QUOTA, "2 GiB")
                .on_account(ids[1])
                .on_pod("dominique"),
        )
        .await
        .unwrap();
    let all = store.operator_actions(None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].action, OperatorAction::QUOTA, "newest first");
    assert_eq!(all[0].pod.as_deref(), Some("dominique"));
    assert_eq!(all[0].operator, "command line");
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(store.operator_actions(None, 2).await.unwrap(), all[..2]);
    let mine = store.operator_actions(Some(ids[0]), 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].seq, mine[0].detail.as_str()), (first, "spam"));
    assert!(mine[0].at_ms > 0);
}

#[tokio::test]
async fn pods_clients_apps_and_keys_are_kept() {
    let store = one_server().await;
    let camille = store
        .create_account("c@city.example", "h")
        .await
        .unwrap()
        .id;
    let dominique = store
        .create_account("d@city.example", "h")
        .await
        .unwrap()
        .id;
    store.set_pod_owner("zoe", camille).await.unwrap();
    store.set_pod_owner("Camille", camille).await.unwrap();
    store.set_pod_owner("anna", camille).await.unwrap();
    assert_eq!(
        store.pods_of(camille).await.unwrap(),
        ["Camille", "anna", "zoe"]
    );
    store.set_pod_owner("anna", dominique).await.unwrap();
    assert_eq!(store.pod_owner("anna").await.unwrap(), Some(dominique));
    assert_eq!(store.pod_owner("nobody").await.unwrap(), None);
    assert!(
        store.set_pod_owner("x", 9_999).await.is_err(),
        "no such account"
    );

    let app = Client {
        client_id: "app-1".into(),
        kind: ClientKind::Registered,
        secret_hash: None,
        name: "App".into(),
        logo_uri: Some("https://app.example/logo.png".into()),
        redirect_uris: vec!["https://app.example/cb".into()],
        webid: None,
        account_id: None,
        created_ms: 3,
    };
    store.put_client(&app).await.unwrap();
    assert_eq!(store.client("app-1").await.unwrap().unwrap(), app);
    let renamed = Client {
        name: "App 2".into(),
        ..app.clone()
    };
    store.put_client(&renamed).await.unwrap();
    assert_eq!(store.client("app-1").await.unwrap().unwrap(), renamed);
    for id in ["cred-b", "cred-a"] {
        store
            .put_client(&Client {
                client_id: id.into(),
                kind: ClientKind::Credentials,
                account_id: Some(camille),
                ..app.clone()
            })
            .await
            .unwrap();
    }
    let ids: Vec<String> = store
        .credentials_of(camille)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(ids, ["cred-a", "cred-b"]);
    store.delete_client("cred-a").await.unwrap();
    assert_eq!(store.client("cred-a").await.unwrap(), None);

    let listed = |id: &str, name: &str| ListedApp {
        client_id: id.into(),
        name: name.into(),
        logo_uri: None,
        start_url: "https://app.example/".into(),
        description: "Reads the meter".into(),
        reads: vec![AppUse {
            path: "/selfdata/energy/".into(),
            why: "to chart it".into(),
        }],
        writes: vec![],
        added_ms: 7,
    };
    store.put_listed_app(&listed("a", "zeta")).await.unwrap();
    store.put_listed_app(&listed("b", "Beta")).await.unwrap();
    store.put_listed_app(&listed("c", "alpha")).await.unwrap();
    store.put_listed_app(&listed("a", "Gamma")).await.unwrap();
    let names: Vec<String> = store
        .listed_apps()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["alpha", "Beta", "Gamma"], "by name, case aside");
    assert_eq!(
        store.listed_app("b").await.unwrap().unwrap(),
        listed("b", "Beta")
    );
    assert!(store.remove_listed_app("b").await.unwrap());
    assert!(!store.remove_listed_app("b").await.unwrap());
    assert_eq!(store.listed_app("b").await.unwrap(), None);

    for (kid, created) in [("k1", 1), ("k2", 2)] {
        store
            .put_signing_key(&StoredKey {
                kid: kid.into(),
                private_jwk: format!("{{\"d\":\"secret-{kid}\"}}"),
                created_ms: created,
                retired_ms: None,
            })
            .await
            .unwrap();
    }
    store.retire_signing_keys_except("k2", 50).await.unwrap();
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(
        keys.iter()
            .map(|k| (k.kid.as_str(), k.private_jwk.as_str(), k.retired_ms))
            .collect::<Vec<_>>(),
        [
            ("k2", "{\"d\":\"secret-k2\"}", None),
            ("k1", "{\"d\":\"secret-k1\"}", Some(50))
        ]
    );

    assert_eq!(store.family_key("f").await.unwrap(), None);
    store.set_family_key("f", "thumb-1").await.unwrap();
    store.set_family_key("f", "thumb-2").await.unwrap();
    assert_eq!(
        store.family_key("f").await.unwrap().as_deref(),
        Some("thumb-2")
    );
}

/// The database as `pg_dump` writes it.
fn dump(url: &str) -> String {
    let pg_dump = std::env::var("SELFDATA_PG_DUMP")
        .unwrap_or_else(|_| "/usr/lib/postgresql/15/bin/pg_dump".into());
    let out = std::process::Command::new(pg_dump)
        .args(["--data-only", "--no-owner", url])
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn no_personal_value_or_secret_is_in_the_database_in_the_clear() {
    const EMAIL: &str = "Camille.Martin@lyon.example";
    const TOTP: &str = "JBSWY3DPEHPK3PXPQRST";
    const PASSWORD: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    const JWK: &str = "{\"d\":\"private-part-of-the-signing-key\"}";
    const CSRF: &str = "csrf-secret-of-the-session";
    const DETAIL: &str = "suspended for writing to Dominique Durand";
    const OPERATOR: &str = "operator.person@city.example";
    let url = fresh_database();
    let master = MasterKey::random();
    let store = store_at(&url, &master).await;
    let id = store.create_account(EMAIL, PASSWORD).await.unwrap().id;
    store.set_totp(id, Some(TOTP)).await.unwrap();
    store.set_pod_owner("camille", id).await.unwrap();
    let mut s = session(1, id);
    s.csrf = CSRF.into();
    store.put_session(&s).await.unwrap();
    store
        .put_signing_key(&StoredKey {
            kid: "k1".into(),
            private_jwk: JWK.into(),
            created_ms: 1,
            retired_ms: None,
        })
        .await
        .unwrap();
    store
        .record_operator_action(
            &OperatorAction::new(OPERATOR, OperatorAction::SUSPEND, DETAIL).on_account(id),
        )
        .await
        .unwrap();

    let text = dump(&url);
    // The scan sees the rows (the pod's name is not sealed).
    assert!(text.contains("camille"), "{text}");
    for value in [EMAIL, TOTP, PASSWORD, JWK, CSRF, DETAIL, OPERATOR] {
        for form in [
            value.to_owned(),
            value.to_lowercase(),
            hex::encode(value),
            hex::encode(value.to_lowercase()),
        ] {
            assert!(!text.contains(&form), "{value} in the clear ({form})");
        }
    }
    // The words of the values, too (a name, the domain).
    for word in ["Martin", "Dominique", "lyon.example", "private-part"] {
        assert!(!text.contains(word), "{word}");
        assert!(!text.contains(&hex::encode(word)), "{word}");
    }

    // Another server with the master key reads everything back; a server
    // with another key reads nothing, and says so.
    let again = store_at(&url, &master).await;
    let a = again.account_by_email(EMAIL).await.unwrap().unwrap();
    assert_eq!(
        (a.email.as_str(), a.totp_secret.as_deref()),
        (EMAIL, Some(TOTP))
    );
    assert_eq!(a.password_hash, PASSWORD);
    assert_eq!(again.session([1; 32]).await.unwrap().unwrap().csrf, CSRF);
    assert_eq!(again.signing_keys().await.unwrap()[0].private_jwk, JWK);
    let action = &again.operator_actions(Some(id), 1).await.unwrap()[0];
    assert_eq!(
        (action.operator.as_str(), action.detail.as_str()),
        (OPERATOR, DETAIL)
    );
    let stranger = store_at(&url, &MasterKey::random()).await;
    assert!(stranger.account(id).await.is_err());
    assert_eq!(stranger.account_by_email(EMAIL).await.unwrap(), None);
}

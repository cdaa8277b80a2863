//! What the host database keeps of the operator's work: suspended
//! accounts, the search of accounts, invitations counted, and the audit
//! log that only grows.

use selfdata_store::directory::{Directory, OperatorAction};
use selfdata_store::sqlite::SqliteBackend;

#[tokio::test]
async fn the_operator_audit_log_only_grows_and_a_resident_sees_what_concerns_them() {
    let dir = tempfile::tempdir().unwrap();
    // Unencrypted, so that the test can reach the file with SQL of its own.
    let store = SqliteBackend::open_unencrypted(dir.path()).unwrap();
    let camille = store
        .create_account("camille@example.org", "h")
        .await
        .unwrap();
    let dominique = store
        .create_account("dominique@example.org", "h")
        .await
        .unwrap();
    let first = store
        .record_operator_action(
            &OperatorAction::new("ops@city.example", OperatorAction::SUSPEND, "spam")
                .on_account(camille.id),
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
                .on_account(dominique.id)
                .on_pod("dominique"),
        )
        .await
        .unwrap();
    let all = store.operator_actions(None, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].action, OperatorAction::QUOTA, "newest first");
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    let mine = store.operator_actions(Some(camille.id), 10).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].seq, mine[0].detail.as_str()), (first, "spam"));
    assert!(mine[0].at_ms > 0);

    // No code that writes through SQL changes or removes an entry.
    let host = rusqlite::Connection::open(dir.path().join("host.sqlite")).unwrap();
    for sql in [
        "UPDATE operator_action SET detail = 'nothing'",
        "DELETE FROM operator_action",
        "DELETE FROM operator_action WHERE seq = 1",
    ] {
        let e = host.execute(sql, []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    drop(host);
    assert_eq!(store.operator_actions(None, 10).await.unwrap(), all);
}

#[tokio::test]
async fn accounts_are_found_by_part_of_their_address_and_suspension_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteBackend::open(dir.path()).unwrap();
    for email in [
        "camille@lyon.example",
        "dominique@lyon.example",
        "eve_x@other.example",
    ] {
        store.create_account(email, "h").await.unwrap();
    }
    let (found, total) = store.find_accounts("LYON", 1).await.unwrap();
    assert_eq!((found.len(), total), (1, 2), "limited, but counted in full");
    assert_eq!(found[0].email, "camille@lyon.example");
    // Typed characters are matched as they are, not as patterns.
    let (found, _) = store.find_accounts("_x", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(store.find_accounts("", 10).await.unwrap().1, 3);
    assert_eq!(store.find_accounts("%", 10).await.unwrap().1, 0);

    let id = found[0].id;
    store.set_suspended(id, Some(1234)).await.unwrap();
    assert_eq!(
        store.account(id).await.unwrap().unwrap().suspended_ms,
        Some(1234)
    );
    store.set_suspended(id, None).await.unwrap();
    assert_eq!(store.account(id).await.unwrap().unwrap().notices, 0);
    store.set_notices(id, 3).await.unwrap();
    assert_eq!(store.account(id).await.unwrap().unwrap().notices, 3);
    assert_eq!(store.account(id).await.unwrap().unwrap().suspended_ms, None);

    store.create_invite([1; 32]).await.unwrap();
    store.create_invite([2; 32]).await.unwrap();
    assert!(store.use_invite([1; 32]).await.unwrap());
    assert_eq!(store.invites().await.unwrap(), (2, 1));
}

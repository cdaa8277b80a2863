//! The holders' and the studies' registries dumped and loaded between the
//! engines (`selfdata migrate`): embedded → PostgreSQL → embedded gives
//! back the same records, and the loaded registries behave as the source
//! did (a customer found by its lookup, a ballot counted once, the public
//! record going on after its loaded entries).
//!
//! Needs a server: `SELFDATA_TEST_POSTGRES` (`bash scripts/postgres.sh start`).

use selfdata_store::crypto::MasterKey;
use selfdata_store::holders::{
    Delivery, Holder, HolderLimits, HoldersDump, Layout, Link, PushState, Transfer,
};
use selfdata_store::postgres::{PgSettings, PgStore, testing};
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::studies::{Participant, StudiesDump};
use selfdata_store::{Backend, Directory, HolderRegistry, PodName, StoreError, StudyRegistry};

/// A PostgreSQL server of the tests. Dropped on a thread of its own: its
/// pooled blocking clients may not close on the test's runtime.
struct Server(Option<PgStore>);

impl std::ops::Deref for Server {
    type Target = PgStore;
    fn deref(&self) -> &PgStore {
        self.0.as_ref().expect("a server until dropped")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(store) = self.0.take() {
            let _ = std::thread::spawn(move || drop(store)).join();
        }
    }
}

async fn fresh_postgres() -> Server {
    let url = testing::fresh_database();
    Server(Some(
        PgStore::connect(&PgSettings::new(&url), MasterKey::random())
            .await
            .unwrap(),
    ))
}

const PODS: [&str; 4] = ["ines", "marc", "zoe", "gone"];
const ACCOUNTS: [&str; 3] = ["ines@example.org", "marc@example.org", "zoe@example.org"];

/// The pods and accounts the registries name, created in the same order
/// on every store (so that the accounts get the same ids); their ids.
async fn pods_and_accounts<S: Backend + Directory>(store: &S) -> Vec<i64> {
    for pod in PODS {
        store
            .create_pod(&PodName::parse(pod).unwrap())
            .await
            .unwrap();
    }
    let mut ids = Vec::new();
    for email in ACCOUNTS {
        ids.push(
            store
                .create_account(email, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
                .await
                .unwrap()
                .id,
        );
    }
    ids
}

fn holder(id: &str) -> Holder {
    Holder {
        id: id.into(),
        name: format!("Holder {id}"),
        contact: format!("dpo@{id}.example"),
        categories: vec!["water".into()],
        identifier: "Numéro de compteur".into(),
        layout: Layout::Column,
        column: "Compteur".into(),
        secret_hash: [7; 32],
        created_ms: 1_700_000_000_000,
        limits: HolderLimits::default(),
        push_key: None,
    }
}

fn link(holder_id: &str, customer: u8, pod: &str, consent: &str) -> Link {
    Link {
        holder_id: holder_id.into(),
        customer: [customer; 32],
        pod: pod.into(),
        consent_id: consent.into(),
        created_ms: 1_700_000_000_100 + i64::from(customer),
    }
}

fn delivery(pod: &str, holder_id: &str, push: &str, at_ms: i64, ok: bool) -> Delivery {
    Delivery {
        pod: pod.into(),
        holder_id: holder_id.into(),
        push: push.into(),
        at_ms,
        records: 12,
        outcome: if ok {
            "12 readings imported".into()
        } else {
            "the file could not be read: line 3".into()
        },
        ok,
    }
}

fn transfer(id: &str, pod: &str, holder_id: &str, created_ms: i64) -> Transfer {
    Transfer {
        id: id.into(),
        pod: pod.into(),
        holder_id: holder_id.into(),
        consent_id: format!("consent-{id}"),
        purpose: "https://w3id.org/dpv#ServiceProvision".into(),
        resources: vec!["/energy/".into(), "/profile/card.ttl".into()],
        created_ms,
        expires_ms: created_ms + 1_000_000_000_000,
        revoked_ms: None,
        reads: 0,
        last_read_ms: None,
    }
}

/// Adds one vote to a study's JSON (`{"votes":n,…}`, as the service
/// keeps a tally; how the member voted is not the registry's business).
fn count_vote(json: String) -> Result<String, StoreError> {
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    v["votes"] = (v["votes"].as_i64().unwrap_or(0) + 1).into();
    Ok(v.to_string())
}

/// At least one of everything in both registries, through the traits.
async fn fill(store: &SqliteBackend, accounts: &[i64]) {
    // Holders: a column layout, a file-per-customer one with a signing
    // key, one that only receives transfers.
    store.put_holder(&holder("eau")).await.unwrap();
    let enedis = Holder {
        layout: Layout::FilePerCustomer,
        column: String::new(),
        categories: vec!["electricity".into()],
        push_key: Some("MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=".into()),
        limits: HolderLimits {
            pushes_per_hour: 5,
            at_once: 1,
            max_push_mib: 64,
        },
        ..holder("enedis")
    };
    assert!(store.insert_holder(&enedis).await.unwrap());
    let assoc = Holder {
        categories: Vec::new(),
        ..holder("conseil-energie")
    };
    store.put_holder(&assoc).await.unwrap();

    // Links.
    for l in [
        link("eau", 1, "ines", "consent-eau-ines"),
        link("eau", 2, "marc", "consent-eau-marc"),
        link("enedis", 3, "ines", "consent-enedis-ines"),
    ] {
        assert!(store.claim_link(&l).await.unwrap());
    }

    // Pushes: one done, one under way, one abandoned.
    let limits = HolderLimits::default();
    let now = 1_700_000_500_000;
    for key in ["done", "running", "failed"] {
        assert_eq!(
            store
                .begin_push("eau", key, now, now - 600_000, &limits)
                .await
                .unwrap(),
            PushState::Started
        );
        match key {
            "done" => store
                .finish_push("eau", "done", "receipt-of-done.signed")
                .await
                .unwrap(),
            "failed" => store.abandon_push("eau", "failed").await.unwrap(),
            _ => {}
        }
    }

    // Deliveries, one failed, with a gap left by an erased pod's.
    store
        .add_deliveries(&[
            delivery("gone", "eau", "r1", now, true),
            delivery("ines", "eau", "r1", now, true),
        ])
        .await
        .unwrap();
    store.forget_pod_links("gone").await.unwrap();
    store
        .add_deliveries(&[
            delivery("marc", "eau", "r1", now, false),
            delivery("ines", "enedis", "r2", now + 1, true),
        ])
        .await
        .unwrap();

    // Transfers: one live and read, one revoked.
    store
        .add_transfer(&transfer("t-live", "ines", "conseil-energie", now))
        .await
        .unwrap();
    store.count_reads("t-live", 3, now + 10).await.unwrap();
    store
        .add_transfer(&transfer("t-revoked", "marc", "conseil-energie", now + 1))
        .await
        .unwrap();
    assert!(
        store
            .revoke_transfer("marc", "t-revoked", now + 20)
            .await
            .unwrap()
    );

    // Studies in several states.
    for (id, state) in [
        ("s-open", "vote"),
        ("s-closed", "closed"),
        ("s-draft", "draft"),
    ] {
        assert!(
            store
                .insert_study(
                    id,
                    &format!(r#"{{"id":"{id}","state":"{state}","votes":0}}"#)
                )
                .await
                .unwrap()
        );
    }
    // Ballots.
    for (study, account) in [
        ("s-open", accounts[0]),
        ("s-open", accounts[1]),
        ("s-closed", accounts[2]),
    ] {
        assert!(
            store
                .cast_ballot(study, account, &count_vote)
                .await
                .unwrap()
        );
    }
    // Participants.
    for (study, pod) in [("s-open", "ines"), ("s-open", "marc"), ("s-closed", "zoe")] {
        store
            .join_study(&Participant {
                study: study.into(),
                pod: pod.into(),
                consent_id: format!("consent-{study}-{pod}"),
                joined_ms: now + 30,
            })
            .await
            .unwrap();
    }
    // Roles.
    store
        .set_study_role(accounts[0], "steward", true)
        .await
        .unwrap();
    store
        .set_study_role(accounts[1], "researcher", true)
        .await
        .unwrap();
    store
        .set_study_role(accounts[1], "steward", true)
        .await
        .unwrap();
    // Comparisons.
    store
        .put_comparison(
            "2024-01",
            "apartment-2-gas",
            r#"{"contributors":14,"counts":[1,5,8],"withheld":false}"#,
        )
        .await
        .unwrap();
    store
        .put_comparison(
            "2024-01",
            "house-4-electric",
            r#"{"contributors":3,"counts":[],"withheld":true}"#,
        )
        .await
        .unwrap();
    // The public record (bytes beyond ASCII kept exactly).
    for (i, text) in [
        "Study s-open proposed",
        "Étude s-closed : décision publiée — 2 voix",
        "Study s-open opened to the vote",
    ]
    .iter()
    .enumerate()
    {
        let seq = store
            .record_study_event(now + i as i64, "s-open", text)
            .await
            .unwrap();
        assert_eq!(seq, i as i64 + 1);
    }
}

/// What the loaded registries must still do.
async fn behaves_as_the_source<S: HolderRegistry + StudyRegistry + Directory>(
    store: &S,
    accounts: &[i64],
    dump: &(HoldersDump, StudiesDump),
) {
    let (holders, studies) = dump;
    // A customer's link is found by its lookup (an HMAC on PostgreSQL).
    let found = store.link_of("eau", &[1; 32]).await.unwrap().unwrap();
    assert_eq!(found.pod, "ines");
    assert_eq!(found.consent_id, "consent-eau-ines");
    assert_eq!(store.links_of_pod("ines").await.unwrap().len(), 2);
    // Another resident cannot claim a linked customer.
    assert!(
        !store
            .claim_link(&link("eau", 1, "zoe", "consent-x"))
            .await
            .unwrap()
    );
    // Holders and their transfers.
    assert_eq!(
        Some(store.holder("enedis").await.unwrap().unwrap()),
        holders.holders.iter().find(|h| h.id == "enedis").cloned()
    );
    let live = store.transfer("t-live").await.unwrap().unwrap();
    assert_eq!(
        (live.reads, live.last_read_ms),
        (3, Some(1_700_000_500_010))
    );
    let now = 1_700_000_600_000;
    let ids: Vec<String> = store
        .live_transfers_to("conseil-energie", now)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, ["t-live"], "the revoked transfer stays revoked");
    assert!(
        !store
            .revoke_transfer("marc", "t-revoked", now)
            .await
            .unwrap()
    );
    // Pushes: a done push answers its receipt, one under way is running
    // (not stale yet), an abandoned key may be sent again.
    let limits = HolderLimits::default();
    assert_eq!(
        store
            .begin_push("eau", "done", now, 0, &limits)
            .await
            .unwrap(),
        PushState::Done {
            receipt: "receipt-of-done.signed".into()
        }
    );
    assert_eq!(
        store
            .begin_push("eau", "running", now, 0, &limits)
            .await
            .unwrap(),
        PushState::Running {
            since_ms: 1_700_000_500_000
        }
    );
    // Deliveries newest first, and the next one after the loaded ones.
    let ines = store.deliveries_of("ines", 10).await.unwrap();
    assert_eq!(ines.len(), 2);
    assert_eq!(ines[0].holder_id, "enedis");
    store
        .add_deliveries(&[delivery("zoe", "eau", "r3", now, true)])
        .await
        .unwrap();
    let after = HolderRegistry::dump(store).await.unwrap();
    let last_loaded = holders.deliveries.last().unwrap().id;
    assert_eq!(after.deliveries.last().unwrap().id, last_loaded + 1);

    // Studies: a member cannot vote twice; one who has not, can.
    assert!(store.has_voted("s-open", accounts[0]).await.unwrap());
    assert!(
        !store
            .cast_ballot("s-open", accounts[0], &count_vote)
            .await
            .unwrap()
    );
    assert!(!store.has_voted("s-open", accounts[2]).await.unwrap());
    assert!(
        store
            .cast_ballot("s-open", accounts[2], &count_vote)
            .await
            .unwrap()
    );
    let open: serde_json::Value =
        serde_json::from_str(&store.study("s-open").await.unwrap().unwrap()).unwrap();
    assert_eq!(open["votes"], 3);
    assert_eq!(store.voting_members().await.unwrap(), 3);
    // Participants, roles, comparisons.
    assert_eq!(
        store
            .participation("s-closed", "zoe")
            .await
            .unwrap()
            .unwrap()
            .consent_id,
        "consent-s-closed-zoe"
    );
    assert_eq!(
        store.study_roles(accounts[1]).await.unwrap(),
        ["researcher", "steward"]
    );
    assert_eq!(
        store
            .comparison("2024-01", "house-4-electric")
            .await
            .unwrap()
            .as_deref(),
        Some(r#"{"contributors":3,"counts":[],"withheld":true}"#)
    );
    // The record goes on after its loaded entries, which are unchanged.
    assert_eq!(store.study_events().await.unwrap(), studies.events);
    let next = store
        .record_study_event(now, "s-open", "Study s-open closed")
        .await
        .unwrap();
    assert_eq!(next, studies.events.last().unwrap().seq + 1);
}

async fn dump_of<S: HolderRegistry + StudyRegistry>(store: &S) -> (HoldersDump, StudiesDump) {
    (
        HolderRegistry::dump(store).await.unwrap(),
        StudyRegistry::dump(store).await.unwrap(),
    )
}

async fn load_into<S: HolderRegistry + StudyRegistry>(
    store: &S,
    dump: &(HoldersDump, StudiesDump),
) {
    HolderRegistry::load(store, &dump.0).await.unwrap();
    StudyRegistry::load(store, &dump.1).await.unwrap();
}

#[tokio::test]
async fn registries_go_from_sqlite_to_postgres_and_back_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteBackend::open(dir.path().join("source")).unwrap();
    let accounts = pods_and_accounts(&source).await;
    fill(&source, &accounts).await;
    let dump = dump_of(&source).await;

    // Everything is in the dump, decrypted.
    let (holders, studies) = &dump;
    assert_eq!(holders.holders.len(), 3);
    assert_eq!(holders.links.len(), 3);
    assert_eq!(holders.pushes.len(), 3);
    assert!(
        holders
            .pushes
            .iter()
            .any(|p| p.key.starts_with("failed#abandoned-") && p.receipt.as_deref() == Some(""))
    );
    assert!(
        holders
            .pushes
            .iter()
            .any(|p| p.key == "running" && p.receipt.is_none())
    );
    let ids: Vec<i64> = holders.deliveries.iter().map(|d| d.id).collect();
    assert_eq!(ids, [2, 3, 4], "the erased pod's delivery left a gap");
    assert_eq!(holders.transfers.len(), 2);
    assert_eq!(studies.studies.len(), 3);
    assert_eq!(studies.ballots.len(), 3);
    assert_eq!(studies.participants.len(), 3);
    assert_eq!(studies.roles.len(), 3);
    assert_eq!(studies.comparisons.len(), 2);
    assert_eq!(studies.events.len(), 3);
    // A dump is serializable (as `selfdata migrate` may write it).
    let json = serde_json::to_string(&dump).unwrap();
    assert_eq!(
        serde_json::from_str::<(HoldersDump, StudiesDump)>(&json).unwrap(),
        dump
    );

    // Into PostgreSQL, the pods and accounts created there first.
    let pg = fresh_postgres().await;
    assert_eq!(pods_and_accounts(&*pg).await, accounts);
    load_into(&*pg, &dump).await;
    assert_eq!(dump_of(&*pg).await, dump);

    // And back into a second embedded store.
    let back = SqliteBackend::open(dir.path().join("back")).unwrap();
    assert_eq!(pods_and_accounts(&back).await, accounts);
    load_into(&back, &dump_of(&*pg).await).await;
    assert_eq!(dump_of(&back).await, dump);

    // Both targets behave as the source did.
    behaves_as_the_source(&*pg, &accounts, &dump).await;
    behaves_as_the_source(&back, &accounts, &dump).await;
    // As the source itself does (the checks hold there too).
    behaves_as_the_source(&source, &accounts, &dump).await;
}

#[tokio::test]
async fn a_load_into_a_registry_holding_something_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = SqliteBackend::open(dir.path().join("source")).unwrap();
    let accounts = pods_and_accounts(&source).await;
    fill(&source, &accounts).await;
    let dump = dump_of(&source).await;

    // Into itself.
    let refused = HolderRegistry::load(&source, &dump.0).await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(_))),
        "{refused:?}"
    );
    let refused = StudyRegistry::load(&source, &dump.1).await;
    assert!(
        matches!(refused, Err(StoreError::Rejected(_))),
        "{refused:?}"
    );
    assert_eq!(dump_of(&source).await, dump);

    // Into stores holding only one row of one table, on both engines.
    let pg = fresh_postgres().await;
    let other = SqliteBackend::open(dir.path().join("other")).unwrap();
    for store in [
        &*pg as &(dyn RegistriesOf + Sync),
        &other as &(dyn RegistriesOf + Sync),
    ] {
        let (pushed, role) = store.one_row_in_each().await;
        assert!(matches!(
            store.load_holders(&dump.0).await,
            Err(StoreError::Rejected(_))
        ));
        assert!(matches!(
            store.load_studies(&dump.1).await,
            Err(StoreError::Rejected(_))
        ));
        let (holders, studies) = store.dumps().await;
        assert_eq!(holders.pushes, [pushed]);
        assert!(holders.holders.is_empty() && holders.links.is_empty());
        assert_eq!(studies.roles, [role]);
        assert!(studies.studies.is_empty() && studies.events.is_empty());
    }

    // An empty dump into an empty store is nothing to do.
    let empty = fresh_postgres().await;
    HolderRegistry::load(&*empty, &HoldersDump::default())
        .await
        .unwrap();
    StudyRegistry::load(&*empty, &StudiesDump::default())
        .await
        .unwrap();
    assert_eq!(
        dump_of(&*empty).await,
        (HoldersDump::default(), StudiesDump::default())
    );
}

/// One engine or the other, for the refusal's test.
#[async_trait::async_trait]
trait RegistriesOf {
    /// A push begun and a role given, nothing else; what they dump as.
    async fn one_row_in_each(
        &self,
    ) -> (
        selfdata_store::holders::PushRecord,
        selfdata_store::studies::StudyRole,
    );
    async fn load_holders(&self, dump: &HoldersDump) -> Result<(), StoreError>;
    async fn load_studies(&self, dump: &StudiesDump) -> Result<(), StoreError>;
    async fn dumps(&self) -> (HoldersDump, StudiesDump);
}

#[async_trait::async_trait]
impl<S: HolderRegistry + StudyRegistry> RegistriesOf for S {
    async fn one_row_in_each(
        &self,
    ) -> (
        selfdata_store::holders::PushRecord,
        selfdata_store::studies::StudyRole,
    ) {
        self.begin_push("eau", "k", 5, 0, &HolderLimits::default())
            .await
            .unwrap();
        self.set_study_role(9, "steward", true).await.unwrap();
        (
            selfdata_store::holders::PushRecord {
                holder_id: "eau".into(),
                key: "k".into(),
                started_ms: 5,
                receipt: None,
            },
            selfdata_store::studies::StudyRole {
                account_id: 9,
                role: "steward".into(),
            },
        )
    }
    async fn load_holders(&self, dump: &HoldersDump) -> Result<(), StoreError> {
        HolderRegistry::load(self, dump).await
    }
    async fn load_studies(&self, dump: &StudiesDump) -> Result<(), StoreError> {
        StudyRegistry::load(self, dump).await
    }
    async fn dumps(&self) -> (HoldersDump, StudiesDump) {
        dump_of(self).await
    }
}

/// On PostgreSQL a ballot is kept only by an HMAC of the study and the
/// account: the dump finds its account among the directory's, and refuses
/// to leave out one it cannot name (its voter could vote again).
#[tokio::test]
async fn postgres_ballots_are_named_by_the_directorys_accounts() {
    let pg = fresh_postgres().await;
    let accounts = pods_and_accounts(&*pg).await;
    pg.insert_study("s", r#"{"votes":0}"#).await.unwrap();
    assert!(pg.cast_ballot("s", accounts[2], &count_vote).await.unwrap());
    let dump = StudyRegistry::dump(&*pg).await.unwrap();
    assert_eq!(dump.ballots.len(), 1);
    assert_eq!(dump.ballots[0].account_id, accounts[2]);

    assert!(pg.cast_ballot("s", 987_654, &count_vote).await.unwrap());
    assert!(StudyRegistry::dump(&*pg).await.is_err());
}

//! The holders' and the studies' registries on PostgreSQL: the embedded
//! engine's behaviour, kept when several servers share the database, and
//! personal values never in the clear in it.
//!
//! Needs a server: `SELFDATA_TEST_POSTGRES` (`bash scripts/postgres.sh start`).

use std::sync::Arc;

use selfdata_store::crypto::MasterKey;
use selfdata_store::holders::{Delivery, Holder, HolderLimits, Link, PushState, Transfer};
use selfdata_store::postgres::{PgSettings, PgStore, testing};
use selfdata_store::studies::Participant;
use selfdata_store::{HolderRegistry, StoreError, StudyRegistry};

/// A server of the tests. Dropped on a thread of its own: its pooled
/// blocking clients may not close on the test's runtime.
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

/// A fresh database, and a server on it.
async fn fresh() -> (String, Server, MasterKey) {
    let url = testing::fresh_database();
    let master = MasterKey::random();
    let store = server(&url, &master).await;
    (url, store, master)
}

/// A server on the database `url` (another on the same database with the same master key).
async fn server(url: &str, master: &MasterKey) -> Server {
    Server(Some(
        PgStore::connect(&PgSettings::new(url), master.clone())
            .await
            .unwrap(),
    ))
}

/// Runs `f` with a plain client of the database, on a thread of its own
/// (the blocking client may not run on the test's runtime).
fn raw<T: Send + 'static>(
    url: &str,
    f: impl FnOnce(&mut postgres::Client) -> T + Send + 'static,
) -> T {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        f(&mut client)
    })
    .join()
    .unwrap()
}

fn holder(id: &str) -> Holder {
    Holder {
        id: id.into(),
        name: format!("Holder {id}"),
        contact: format!("dpo@{id}.example"),
        categories: vec!["water".into()],
        identifier: "Compteur".into(),
        layout: Default::default(),
        column: "Compteur".into(),
        secret_hash: [1; 32],
        created_ms: 0,
        limits: Default::default(),
        push_key: None,
    }
}

fn link(holder_id: &str, customer: u8, pod: &str, consent: &str) -> Link {
    Link {
        holder_id: holder_id.into(),
        customer: [customer; 32],
        pod: pod.into(),
        consent_id: consent.into(),
        created_ms: 1,
    }
}

fn transfer(id: &str, pod: &str, created_ms: i64, expires_ms: i64) -> Transfer {
    Transfer {
        id: id.into(),
        pod: pod.into(),
        holder_id: "asso".into(),
        consent_id: format!("transfer-{id}"),
        purpose: "https://w3id.org/dpv#CustomerCare".into(),
        resources: vec!["/selfdata/energy/water/".into(), "/notes/a.ttl".into()],
        created_ms,
        expires_ms,
        revoked_ms: None,
        reads: 0,
        last_read_ms: None,
    }
}

fn delivery(pod: &str, holder_id: &str, at_ms: i64, ok: bool, outcome: &str) -> Delivery {
    Delivery {
        pod: pod.into(),
        holder_id: holder_id.into(),
        push: format!("push-{at_ms}"),
        at_ms,
        records: 3,
        outcome: outcome.into(),
        ok,
    }
}

#[tokio::test]
async fn holders_are_kept_listed_by_id_and_removed_with_their_links_and_transfers() {
    let (_, store, _) = fresh().await;
    assert_eq!(store.holder("eau").await.unwrap(), None);
    assert!(store.insert_holder(&holder("eau")).await.unwrap());
    assert!(!store.insert_holder(&holder("eau")).await.unwrap());
    let mut bank = holder("banque");
    bank.categories = Vec::new();
    bank.push_key = Some("a2V5".into());
    store.put_holder(&bank).await.unwrap();
    bank.name = "La Banque".into();
    store.put_holder(&bank).await.unwrap();
    let ids: Vec<String> = store
        .holders()
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(ids, ["banque", "eau"]);
    assert_eq!(store.holder("banque").await.unwrap(), Some(bank));
    // A change cannot rename a holder.
    assert!(
        store
            .update_holder("eau", &|h: &mut Holder| {
                h.id = "other".into();
                h.limits.at_once = 5;
            })
            .await
            .unwrap()
    );
    let eau = store.holder("eau").await.unwrap().unwrap();
    assert_eq!((eau.id.as_str(), eau.limits.at_once), ("eau", 5));
    assert_eq!(store.holder("other").await.unwrap(), None);

    assert!(
        store
            .claim_link(&link("eau", 1, "ines", "c1"))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_link(&link("eau", 2, "max", "c2"))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_link(&link("banque", 1, "ines", "c3"))
            .await
            .unwrap()
    );
    store
        .add_transfer(&transfer("t1", "ines", 1, 100))
        .await
        .unwrap();
    let mut to_eau = transfer("t2", "max", 1, 100);
    to_eau.holder_id = "eau".into();
    store.add_transfer(&to_eau).await.unwrap();

    let (mut links, transfers) = store.delete_holder("eau").await.unwrap().unwrap();
    links.sort_by_key(|l| l.customer);
    assert_eq!(
        links,
        [link("eau", 1, "ines", "c1"), link("eau", 2, "max", "c2")]
    );
    assert_eq!(transfers, [to_eau]);
    assert_eq!(store.delete_holder("eau").await.unwrap(), None);
    assert!(store.links_of_holder("eau").await.unwrap().is_empty());
    assert_eq!(
        store.links_of_pod("ines").await.unwrap(),
        [link("banque", 1, "ines", "c3")]
    );
    assert!(store.transfer("t2").await.unwrap().is_none());
    assert!(store.transfer("t1").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_linked_to_one_pod_cannot_be_claimed_for_another_even_at_once() {
    let (url, one, master) = fresh().await;
    let two = Arc::new(server(&url, &master).await);
    let one = Arc::new(one);
    // Many residents claim the same customer at once, on two servers:
    // exactly one wins.
    let mut claims = Vec::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        let l = link("eau", 7, &format!("pod{i}"), "c");
        claims.push(tokio::spawn(
            async move { store.claim_link(&l).await.unwrap() },
        ));
    }
    let mut won = 0;
    for c in claims {
        won += usize::from(c.await.unwrap());
    }
    assert_eq!(won, 1, "one pod holds the customer");
    let store = one;
    let holder = store.link_of("eau", &[7; 32]).await.unwrap().unwrap();
    // The winner may claim again (a new consent), another still may not.
    let again = Link {
        created_ms: 2,
        ..link("eau", 7, &holder.pod, "c2")
    };
    assert!(store.claim_link(&again).await.unwrap());
    let other = if holder.pod == "pod0" { "pod1" } else { "pod0" };
    assert!(
        !store
            .claim_link(&link("eau", 7, other, "c3"))
            .await
            .unwrap()
    );
    let now = store.link_of("eau", &[7; 32]).await.unwrap().unwrap();
    assert_eq!(now, again);
    assert_eq!(store.link_of("eau", &[8; 32]).await.unwrap(), None);
    assert_eq!(store.link_of("gaz", &[7; 32]).await.unwrap(), None);

    // A pod's links, by holder; removed per holder.
    assert!(
        store
            .claim_link(&link("gaz", 9, &holder.pod, "g"))
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_link(&link("banque", 9, &holder.pod, "b"))
            .await
            .unwrap()
    );
    let holders: Vec<String> = store
        .links_of_pod(&holder.pod)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.holder_id)
        .collect();
    assert_eq!(holders, ["banque", "eau", "gaz"]);
    assert_eq!(store.links_of_holder("gaz").await.unwrap().len(), 1);
    assert_eq!(store.delete_links("gaz", other).await.unwrap(), 0);
    assert_eq!(store.delete_links("gaz", &holder.pod).await.unwrap(), 1);
    assert_eq!(store.links_of_pod(&holder.pod).await.unwrap().len(), 2);
    let activity = store.activity("eau").await.unwrap();
    assert_eq!(activity.residents, 1);
}

#[tokio::test]
async fn a_transfer_is_revoked_only_by_its_pod_counted_and_forgotten_with_it() {
    let (_, store, _) = fresh().await;
    store
        .add_transfer(&transfer("t1", "ines", 1, 1_000))
        .await
        .unwrap();
    store
        .add_transfer(&transfer("t2", "max", 1, 1_000))
        .await
        .unwrap();
    store
        .add_transfer(&transfer("t3", "ines", 1, 10))
        .await
        .unwrap();
    store
        .add_transfer(&transfer("t0", "ines", 5, 1_000))
        .await
        .unwrap();
    let back = store.transfer("t1").await.unwrap().unwrap();
    assert_eq!(back, transfer("t1", "ines", 1, 1_000));
    assert_eq!(store.transfer("t9").await.unwrap(), None);
    // Newest first, then by id.
    let ines: Vec<String> = store
        .transfers_of_pod("ines")
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ines, ["t0", "t1", "t3"]);
    // Live at 500: the ones not yet expired.
    let live: Vec<String> = store
        .live_transfers_to("asso", 500)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(live, ["t0", "t1", "t2"]);
    assert!(
        store
            .live_transfers_to("other", 500)
            .await
            .unwrap()
            .is_empty()
    );
    // Max cannot revoke Inès's transfer; she can, once.
    assert!(!store.revoke_transfer("max", "t1", 600).await.unwrap());
    assert!(store.revoke_transfer("ines", "t1", 600).await.unwrap());
    assert!(!store.revoke_transfer("ines", "t1", 700).await.unwrap());
    let t1 = store.transfer("t1").await.unwrap().unwrap();
    assert_eq!(t1.revoked_ms, Some(600));
    assert!(!t1.is_live(601));
    assert_eq!(store.live_transfers_to("asso", 601).await.unwrap().len(), 2);
    store.count_reads("t2", 2, 800).await.unwrap();
    store.count_reads("t2", 3, 900).await.unwrap();
    let t2 = store.transfer("t2").await.unwrap().unwrap();
    assert_eq!((t2.reads, t2.last_read_ms), (5, Some(900)));
    // An erased pod's transfers go with it, another's stay.
    store.forget_pod_links("ines").await.unwrap();
    assert!(store.transfers_of_pod("ines").await.unwrap().is_empty());
    assert_eq!(store.transfers_of_pod("max").await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn changes_to_a_holder_at_once_all_hold_and_a_removed_holder_stays_removed() {
    let (url, one, master) = fresh().await;
    let two = Arc::new(server(&url, &master).await);
    let one = Arc::new(one);
    assert!(one.insert_holder(&holder("eau")).await.unwrap());
    assert!(
        !two.insert_holder(&holder("eau")).await.unwrap(),
        "a second registration of one id is refused"
    );
    // Sixteen changes at once on two servers, each to a field of its own: all hold.
    let mut changes = Vec::new();
    for i in 0..16u32 {
        let store = if i % 4 < 2 { one.clone() } else { two.clone() };
        changes.push(tokio::spawn(async move {
            let change = move |h: &mut Holder| {
                if i % 2 == 0 {
                    h.secret_hash = [2; 32];
                } else {
                    h.limits.pushes_per_hour = 100 + i;
                }
            };
            store.update_holder("eau", &change).await.unwrap()
        }));
    }
    for c in changes {
        assert!(c.await.unwrap());
    }
    let now = one.holder("eau").await.unwrap().unwrap();
    assert_eq!(now.secret_hash, [2; 32]);
    assert!(now.limits.pushes_per_hour > 100);
    // Removed, it is not brought back by a change.
    assert!(two.delete_holder("eau").await.unwrap().is_some());
    assert!(
        !one.update_holder("eau", &|h: &mut Holder| h.secret_hash = [3; 32])
            .await
            .unwrap()
    );
    assert_eq!(one.holder("eau").await.unwrap(), None);
    assert!(one.delete_holder("eau").await.unwrap().is_none());
}

#[tokio::test]
async fn a_push_is_begun_once_its_receipt_replayed_its_key_freed_when_abandoned_and_limited() {
    let (_, store, _) = fresh().await;
    let limits = HolderLimits {
        pushes_per_hour: 4,
        at_once: 1,
        max_push_mib: 1,
    };
    let t = 10_000_000;
    let begin = |key: &'static str, now: i64, stale: i64| {
        let store = &store;
        async move {
            store
                .begin_push("eau", key, now, stale, &limits)
                .await
                .unwrap()
        }
    };
    assert_eq!(begin("k1", t, t - 1000).await, PushState::Started);
    assert_eq!(
        begin("k1", t + 1, t - 1000).await,
        PushState::Running { since_ms: t }
    );
    // One at once: another key waits.
    assert_eq!(
        begin("k2", t + 1, t - 1000).await,
        PushState::Limited {
            retry_after_s: 60,
            at_once: true
        }
    );
    store.finish_push("eau", "k1", "receipt one").await.unwrap();
    assert_eq!(
        begin("k1", t + 2, t - 1000).await,
        PushState::Done {
            receipt: "receipt one".into()
        }
    );
    // A push that failed whole frees its key, but still counts in its hour.
    assert_eq!(begin("k2", t + 3, t - 1000).await, PushState::Started);
    store.abandon_push("eau", "k2").await.unwrap();
    assert_eq!(begin("k2", t + 4, t - 1000).await, PushState::Started);
    // A push under way since before `stale_before` (its server died) is
    // taken over (the same row, begun again).
    assert_eq!(begin("k2", t + 5, t + 5).await, PushState::Started);
    assert_eq!(
        begin("k2", t + 6, t).await,
        PushState::Running { since_ms: t + 5 }
    );
    store.finish_push("eau", "k2", "receipt two").await.unwrap();
    assert_eq!(begin("k3", t + 10, t - 1000).await, PushState::Started);
    store
        .finish_push("eau", "k3", "receipt three")
        .await
        .unwrap();
    // Four begun in the hour (k1, k2 abandoned, k2, k3): the fifth is
    // refused until the oldest is an hour old.
    assert_eq!(
        begin("k4", t + 11, t - 1000).await,
        PushState::Limited {
            retry_after_s: 3600,
            at_once: false
        }
    );
    assert_eq!(begin("k4", t + 3_600_001, t).await, PushState::Started);
    // Finishing an unknown push changes nothing; another holder is not limited.
    store.finish_push("eau", "nope", "r").await.unwrap();
    assert_eq!(begin_other(&store, t).await, PushState::Started);
    let activity = store.activity("eau").await.unwrap();
    assert_eq!(activity.pushes, 5);
    assert_eq!(activity.last_push_ms, Some(t + 3_600_001));
}

async fn begin_other(store: &PgStore, t: i64) -> PushState {
    store
        .begin_push("gaz", "k1", t, t - 1000, &HolderLimits::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn deliveries_are_listed_newest_first_counted_and_forgotten_with_their_pod() {
    let (_, store, _) = fresh().await;
    store
        .add_deliveries(&[
            delivery("ines", "eau", 10, true, "12 readings"),
            delivery("ines", "eau", 20, false, "unreadable row 3"),
            delivery("max", "eau", 20, true, "1 reading"),
            delivery("ines", "gaz", 20, true, "second at 20"),
        ])
        .await
        .unwrap();
    store.add_deliveries(&[]).await.unwrap();
    let ines = store.deliveries_of("ines", 10).await.unwrap();
    let outcomes: Vec<&str> = ines.iter().map(|d| d.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["second at 20", "unreadable row 3", "12 readings"]
    );
    assert_eq!(ines[2], delivery("ines", "eau", 10, true, "12 readings"));
    assert_eq!(store.deliveries_of("ines", 1).await.unwrap().len(), 1);
    let activity = store.activity("eau").await.unwrap();
    assert_eq!((activity.deliveries, activity.failed), (3, 1));
    assert_eq!(activity.last_push_ms, None);
    store.forget_pod_links("ines").await.unwrap();
    assert!(store.deliveries_of("ines", 10).await.unwrap().is_empty());
    assert_eq!(store.deliveries_of("max", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn studies_are_kept_changed_atomically_and_joined_once() {
    let (_, store, _) = fresh().await;
    assert!(store.insert_study("s1", r#"{"id":"s1"}"#).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    assert!(store.insert_study("s2", r#"{"id":"s2"}"#).await.unwrap());
    assert!(!store.insert_study("s1", "{}").await.unwrap());
    assert_eq!(
        store.study("s1").await.unwrap().as_deref(),
        Some(r#"{"id":"s1"}"#)
    );
    assert_eq!(store.study("s9").await.unwrap(), None);
    assert_eq!(
        store.studies().await.unwrap(),
        [r#"{"id":"s2"}"#, r#"{"id":"s1"}"#],
        "newest first"
    );
    assert!(
        store
            .update_study("s1", &|json| Ok(json.replace("s1", "s1!")))
            .await
            .unwrap()
    );
    assert_eq!(
        store.study("s1").await.unwrap().as_deref(),
        Some(r#"{"id":"s1!"}"#)
    );
    // A refused change changes nothing.
    let refused = store
        .update_study("s1", &|_| Err(StoreError::Io("refused".into())))
        .await;
    assert!(matches!(refused, Err(StoreError::Io(m)) if m == "refused"));
    assert_eq!(
        store.study("s1").await.unwrap().as_deref(),
        Some(r#"{"id":"s1!"}"#)
    );
    assert!(!store.update_study("s9", &|j| Ok(j)).await.unwrap());

    let p = |study: &str, pod: &str, consent: &str| Participant {
        study: study.into(),
        pod: pod.into(),
        consent_id: consent.into(),
        joined_ms: 5,
    };
    store.join_study(&p("s1", "max", "c1")).await.unwrap();
    store.join_study(&p("s1", "ines", "c2")).await.unwrap();
    store.join_study(&p("s2", "ines", "c3")).await.unwrap();
    // Again: the consent record changes, not when it joined.
    store
        .join_study(&Participant {
            joined_ms: 9,
            ..p("s1", "ines", "c4")
        })
        .await
        .unwrap();
    assert_eq!(
        store.participants("s1").await.unwrap(),
        [p("s1", "ines", "c4"), p("s1", "max", "c1")]
    );
    assert_eq!(
        store.participation("s2", "ines").await.unwrap(),
        Some(p("s2", "ines", "c3"))
    );
    assert_eq!(store.participation("s2", "max").await.unwrap(), None);
    assert!(store.leave_study("s1", "max").await.unwrap());
    assert!(!store.leave_study("s1", "max").await.unwrap());
    store.forget_participant("ines").await.unwrap();
    assert!(store.participants("s1").await.unwrap().is_empty());
    assert!(store.participants("s2").await.unwrap().is_empty());

    store.set_study_role(4, "steward", true).await.unwrap();
    store.set_study_role(4, "researcher", true).await.unwrap();
    store.set_study_role(4, "researcher", true).await.unwrap();
    store.set_study_role(5, "researcher", true).await.unwrap();
    assert_eq!(
        store.study_roles(4).await.unwrap(),
        ["researcher", "steward"]
    );
    store.set_study_role(4, "steward", false).await.unwrap();
    assert_eq!(store.study_roles(4).await.unwrap(), ["researcher"]);
    assert!(store.study_roles(6).await.unwrap().is_empty());

    assert_eq!(
        store.comparison("2024-01", "flat-2-gas").await.unwrap(),
        None
    );
    store
        .put_comparison("2024-01", "flat-2-gas", "{1}")
        .await
        .unwrap();
    store
        .put_comparison("2024-01", "flat-2-gas", "{2}")
        .await
        .unwrap();
    store
        .put_comparison("2024-02", "flat-2-gas", "{3}")
        .await
        .unwrap();
    assert_eq!(
        store
            .comparison("2024-01", "flat-2-gas")
            .await
            .unwrap()
            .as_deref(),
        Some("{2}")
    );
    assert_eq!(
        store.comparison("2024-01", "house-2-gas").await.unwrap(),
        None
    );
}

/// A tally of "yes" votes in a study's JSON: `{"yes":N}`.
fn vote_yes(json: String) -> Result<String, StoreError> {
    let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let n = v["yes"].as_u64().unwrap();
    v["yes"] = (n + 1).into();
    Ok(v.to_string())
}

fn yes(json: &str) -> u64 {
    serde_json::from_str::<serde_json::Value>(json).unwrap()["yes"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_ballot_cast_at_once_on_two_servers_counts_once() {
    let (url, one, master) = fresh().await;
    let two = Arc::new(server(&url, &master).await);
    let one = Arc::new(one);
    assert!(one.insert_study("s", r#"{"yes":0}"#).await.unwrap());
    // Member 1 votes on both servers at once, several times; members 2 and
    // 3 once each meanwhile.
    let mut casts = Vec::new();
    for (i, account) in [1, 1, 2, 1, 1, 3, 1, 1].into_iter().enumerate() {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        casts.push(tokio::spawn(async move {
            (
                account,
                store.cast_ballot("s", account, &vote_yes).await.unwrap(),
            )
        }));
    }
    let mut counted = std::collections::HashMap::new();
    for c in casts {
        let (account, counted_now) = c.await.unwrap();
        *counted.entry(account).or_insert(0) += usize::from(counted_now);
    }
    assert_eq!(counted[&1], 1, "member 1's ballot counted once");
    assert_eq!((counted[&2], counted[&3]), (1, 1));
    assert_eq!(yes(&two.study("s").await.unwrap().unwrap()), 3);
    assert!(one.has_voted("s", 1).await.unwrap());
    assert!(two.has_voted("s", 3).await.unwrap());
    assert!(!one.has_voted("s", 4).await.unwrap());
    assert!(!one.has_voted("other", 1).await.unwrap());
    // Once voted, nothing is counted, even by a count that would refuse.
    assert!(
        !one.cast_ballot("s", 1, &|_| Err(StoreError::Io("closed".into())))
            .await
            .unwrap()
    );
    // A count that refuses records no voter.
    assert!(
        one.cast_ballot("s", 4, &|_| Err(StoreError::Io("closed".into())))
            .await
            .is_err()
    );
    assert!(!one.has_voted("s", 4).await.unwrap());
    // No such study: nothing counted, no voter recorded.
    assert!(!one.cast_ballot("none", 5, &vote_yes).await.unwrap());
    assert!(!one.has_voted("none", 5).await.unwrap());
    assert_eq!(yes(&one.study("s").await.unwrap().unwrap()), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_public_record_is_gap_free_across_servers_and_refuses_any_change() {
    let (url, one, master) = fresh().await;
    let two = Arc::new(server(&url, &master).await);
    let one = Arc::new(one);
    let mut appends = Vec::new();
    for i in 0..12i64 {
        let store = if i % 2 == 0 { one.clone() } else { two.clone() };
        appends.push(tokio::spawn(async move {
            store
                .record_study_event(100 + i, "s", &format!("decision {i}"))
                .await
                .unwrap()
        }));
    }
    let mut seqs = Vec::new();
    for a in appends {
        seqs.push(a.await.unwrap());
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=12).collect::<Vec<i64>>());
    let events = one.study_events().await.unwrap();
    assert_eq!(events.len(), 12);
    assert!(
        events
            .iter()
            .enumerate()
            .all(|(i, e)| e.seq == i as i64 + 1)
    );
    let third = events.iter().find(|e| e.text == "decision 3").unwrap();
    assert_eq!((third.at_ms, third.study.as_str()), (103, "s"));

    // Whatever code runs the SQL, the record cannot be changed nor removed.
    let refused = raw(&url, |c| {
        [
            "UPDATE study_event SET text = 'forged' WHERE seq = 1",
            "DELETE FROM study_event WHERE seq = 1",
            "DELETE FROM study_event",
            "TRUNCATE study_event",
        ]
        .map(|sql| match c.batch_execute(sql) {
            Ok(()) => format!("{sql}: accepted"),
            Err(e) => e
                .as_db_error()
                .map(|d| d.message().to_owned())
                .unwrap_or_default(),
        })
    });
    for message in refused {
        assert_eq!(message, "the record of study decisions is append-only");
    }
    assert_eq!(two.study_events().await.unwrap(), events);
    // Reconnecting (the schema run again) keeps the record and its guard.
    let three = server(&url, &master).await;
    assert_eq!(three.record_study_event(1, "s", "later").await.unwrap(), 13);
    let triggers: i64 = raw(&url, |c| {
        c.query_one(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'study_event'::regclass",
            &[],
        )
        .unwrap()
        .get(0)
    });
    assert_eq!(triggers, 2);
}

#[tokio::test]
async fn voting_members_are_the_accounts_not_suspended() {
    let (url, store, _) = fresh().await;
    // The directory's `account` table; made here, as it is written
    // elsewhere, if the directory has not made it.
    let made_here = raw(&url, |c| {
        let exists: bool = c
            .query_one("SELECT to_regclass('account') IS NOT NULL", &[])
            .unwrap()
            .get(0);
        if !exists {
            c.batch_execute(
                "CREATE TABLE account (id BIGINT PRIMARY KEY, suspended BIGINT);
                 INSERT INTO account VALUES (1, NULL), (2, 5), (3, NULL);",
            )
            .unwrap();
        }
        !exists
    });
    let expected = if made_here { 2 } else { 0 };
    assert_eq!(store.voting_members().await.unwrap(), expected);
}

#[tokio::test]
async fn personal_values_are_never_in_the_clear_in_the_database() {
    let (url, store, master) = fresh().await;
    // Values that name a resident or would link them to a holder or a study.
    let pod = "inesprivatepod";
    let secrets = [
        pod,
        "consentrecordzz",
        "transferidzz",
        "dpvpurposezz",
        "/privatefolderzz/",
        "deliveryoutcomezz",
        "pushreceiptzz",
        "studytallyzz",
        "participationconsentzz",
        "comparisonjsonzz",
        "apartment-5plus-electric",
        "dpo-secret-contact",
    ];
    let mut h = holder("eau");
    h.contact = "dpo-secret-contact".into();
    h.secret_hash = [0xab; 32];
    store.put_holder(&h).await.unwrap();
    store
        .claim_link(&link("eau", 0xcd, pod, "consentrecordzz"))
        .await
        .unwrap();
    let mut t = transfer("transferidzz", pod, 1, 100);
    t.purpose = "dpvpurposezz".into();
    t.resources = vec!["/privatefolderzz/".into()];
    store.add_transfer(&t).await.unwrap();
    store
        .add_deliveries(&[delivery(pod, "eau", 1, false, "deliveryoutcomezz")])
        .await
        .unwrap();
    assert_eq!(
        store
            .begin_push("eau", "k", 1, 0, &HolderLimits::default())
            .await
            .unwrap(),
        PushState::Started
    );
    store
        .finish_push("eau", "k", "pushreceiptzz")
        .await
        .unwrap();
    store
        .insert_study("s", r#"{"yes":0,"note":"studytallyzz"}"#)
        .await
        .unwrap();
    assert!(
        store
            .cast_ballot("s", 987_654_321_987, &vote_yes)
            .await
            .unwrap()
    );
    store
        .join_study(&Participant {
            study: "s".into(),
            pod: pod.into(),
            consent_id: "participationconsentzz".into(),
            joined_ms: 1,
        })
        .await
        .unwrap();
    store
        .put_comparison("2024-01", "apartment-5plus-electric", "comparisonjsonzz")
        .await
        .unwrap();

    // Every column of every row of every table, as text (bytea as hex).
    let dump = raw(&url, |c| {
        let tables: Vec<String> = c
            .query(
                "SELECT table_name FROM information_schema.tables
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut dump = String::new();
        for table in &tables {
            for row in c
                .query(&format!("SELECT t::text FROM \"{table}\" t"), &[])
                .unwrap()
            {
                dump.push_str(table);
                dump.push(' ');
                dump.push_str(row.get::<_, &str>(0));
                dump.push('\n');
            }
        }
        dump
    });
    assert!(
        dump.contains("holder_link"),
        "the scan sees the rows:\n{dump}"
    );
    let lower = dump.to_lowercase();
    for secret in secrets {
        assert!(!dump.contains(secret), "{secret} in the clear:\n{dump}");
        let hex = hex::encode(secret);
        assert!(
            !lower.contains(&hex),
            "{secret} in the clear (hex):\n{dump}"
        );
    }
    for bytes in [[0xcd; 32], [0xab; 32]] {
        assert!(
            !lower.contains(&hex::encode(bytes)),
            "a customer's or a secret's hash in the clear"
        );
    }
    assert!(!dump.contains("987654321987"), "a voter in the clear");
    let voter = hex::encode(987_654_321_987i64.to_be_bytes());
    assert!(!lower.contains(&voter), "a voter in the clear");

    // Another master key reads nothing (a server of another city, a stolen dump).
    let other = server(&url, &MasterKey::random()).await;
    assert!(other.holder("eau").await.is_err());
    assert_eq!(other.link_of("eau", &[0xcd; 32]).await.unwrap(), None);
    // And the right key reads everything back.
    let again = server(&url, &master).await;
    assert_eq!(again.holder("eau").await.unwrap(), Some(h));
    assert_eq!(again.transfer("transferidzz").await.unwrap(), Some(t));
    assert_eq!(again.links_of_pod(pod).await.unwrap().len(), 1);
    assert_eq!(
        again
            .comparison("2024-01", "apartment-5plus-electric")
            .await
            .unwrap()
            .as_deref(),
        Some("comparisonjsonzz")
    );
}

/// Servers starting together race on the first CREATE TABLE; the loser's
/// `BEGIN; … COMMIT;` batch leaves its pooled connection in an aborted
/// transaction, so `PgStore::create_schema`'s retries all fail on it, and
/// the store dropped on the runtime then panics (mod.rs, not this module).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_starting_at_once_on_a_fresh_database_all_start() {
    let url = testing::fresh_database();
    let master = MasterKey::random();
    let starts: Vec<_> = (0..6)
        .map(|_| {
            let (url, master) = (url.clone(), master.clone());
            tokio::spawn(async move { server(&url, &master).await })
        })
        .collect();
    let mut servers = Vec::new();
    for s in starts {
        servers.push(s.await.unwrap());
    }
    assert_eq!(
        servers[0]
            .record_study_event(1, "s", "first")
            .await
            .unwrap(),
        1
    );
    assert_eq!(servers[5].study_events().await.unwrap().len(), 1);
}

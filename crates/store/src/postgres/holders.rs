//! The holders' registry ([`HolderRegistry`]) on PostgreSQL, and the sealing
//! of the registries' personal values (shared with the studies' registry).
//!
//! The embedded engine keeps these tables in `host.sqlite`, encrypted whole
//! by SQLCipher; PostgreSQL is not, so what would link a resident to a
//! holder (a pod's name beside a customer's reference, the consent record,
//! what a transfer lets a holder read, a delivery's outcome) is sealed with
//! a key derived from the master key, and looked up by a keyed HMAC kept
//! beside it. What is public (a holder's id, the push keys a holder chose,
//! times and counts) stays clear.
//!
//! Reads and writes keep the embedded engine's behaviour; whatever reads
//! then writes runs in one SERIALIZABLE transaction, and a change made by a
//! caller's function (not `'static`, so it cannot run on the database's
//! thread) is written only if the row is still the version it was read
//! from, or read and changed again.

use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::PgStore;
use crate::StoreError;
use crate::crypto::Key32;
use crate::holders::{
    Activity, Delivery, DeliveryRecord, Holder, HolderLimits, HolderRegistry, HoldersDump, Link,
    PushRecord, PushState, Transfer,
};

pub(super) const SCHEMA: &str = r#"
-- Holders: the JSON (contact, categories, layout, secret's hash, limits, key) sealed; the id clear.
CREATE TABLE IF NOT EXISTS holder (
    id TEXT COLLATE "C" PRIMARY KEY,
    -- Advanced at each change, so that a change is written only over what it read.
    version BIGINT NOT NULL DEFAULT 0,
    json BYTEA NOT NULL
);
-- Links: customer and pod found by keyed HMAC; the customer, the pod and the consent id sealed.
CREATE TABLE IF NOT EXISTS holder_link (
    holder_id TEXT COLLATE "C" NOT NULL,
    customer_mac BYTEA NOT NULL,
    pod_mac BYTEA NOT NULL,
    created BIGINT NOT NULL,
    sealed BYTEA NOT NULL,
    PRIMARY KEY (holder_id, customer_mac)
);
CREATE INDEX IF NOT EXISTS holder_link_pod ON holder_link (pod_mac);
-- Pushes: the receipt sealed; the holder's id, its idempotency key and the times clear.
CREATE TABLE IF NOT EXISTS holder_push (
    holder_id TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    started BIGINT NOT NULL,
    receipt BYTEA,
    PRIMARY KEY (holder_id, key)
);
CREATE INDEX IF NOT EXISTS holder_push_started ON holder_push (holder_id, started);
-- Deliveries: the pod found by keyed HMAC; the pod and the outcome sealed.
CREATE TABLE IF NOT EXISTS holder_delivery (
    id BIGSERIAL PRIMARY KEY,
    pod_mac BYTEA NOT NULL,
    holder_id TEXT COLLATE "C" NOT NULL,
    push TEXT NOT NULL,
    at BIGINT NOT NULL,
    records BIGINT NOT NULL,
    ok BOOLEAN NOT NULL,
    sealed BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS holder_delivery_pod ON holder_delivery (pod_mac, at);
CREATE INDEX IF NOT EXISTS holder_delivery_holder ON holder_delivery (holder_id);
-- Transfers: id and pod found by keyed HMAC; the id, pod, consent id, purpose and resources sealed.
CREATE TABLE IF NOT EXISTS holder_transfer (
    id_mac BYTEA PRIMARY KEY,
    pod_mac BYTEA NOT NULL,
    holder_id TEXT COLLATE "C" NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL,
    revoked BIGINT,
    reads BIGINT NOT NULL DEFAULT 0,
    last_read BIGINT,
    sealed BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS holder_transfer_pod ON holder_transfer (pod_mac, created);
CREATE INDEX IF NOT EXISTS holder_transfer_holder ON holder_transfer (holder_id, expires);
"#;

/// The label of the key sealing the registries' personal values.
const SEAL_LABEL: &str = "selfdata pg registries v1";
/// The label of the key of their lookup HMACs.
const MAC_LABEL: &str = "selfdata pg registries mac v1";
/// How many times a change made from a version read is tried when others
/// changed the row meanwhile.
pub(super) const CHANGE_TRIES: u32 = 64;

/// The keys of the registries' sealed values and lookup HMACs, derived
/// from the master key.
#[derive(Clone)]
pub(super) struct Sealer {
    seal: Key32,
    mac: Key32,
}

impl Sealer {
    pub(super) fn of(store: &PgStore) -> Self {
        Self {
            seal: store.master().derive(SEAL_LABEL),
            mac: store.master().derive(MAC_LABEL),
        }
    }

    /// The keyed HMAC a value is found by, for one kind of value.
    pub(super) fn mac(&self, kind: &str, value: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.mac.0)
            .expect("HMAC takes any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(value);
        mac.finalize().into_bytes().to_vec()
    }

    /// The HMAC of a pod's name (the same in every table).
    pub(super) fn pod(&self, pod: &str) -> Vec<u8> {
        self.mac("pod", pod.as_bytes())
    }

    /// Seals `value` (as JSON) bound to `aad` (the row's table and key).
    pub(super) fn seal<T: Serialize + ?Sized>(
        &self,
        aad: &[&[u8]],
        value: &T,
    ) -> Result<Vec<u8>, StoreError> {
        let json = serde_json::to_vec(value).map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(crate::crypto::seal(&self.seal, &aad_of(aad), &json))
    }

    pub(super) fn open<T: DeserializeOwned>(
        &self,
        aad: &[&[u8]],
        sealed: &[u8],
    ) -> Result<T, StoreError> {
        let json = crate::crypto::open(&self.seal, &aad_of(aad), sealed).ok_or_else(|| {
            StoreError::Io(
                "a sealed value of the database cannot be opened (another master key?)".into(),
            )
        })?;
        serde_json::from_slice(&json)
            .map_err(|e| StoreError::Io(format!("a sealed value is unreadable: {e}")))
    }
}

/// Associated data: each part after its length, so that parts cannot be
/// shifted from one to the next.
fn aad_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend((p.len() as u64).to_be_bytes());
        out.extend(*p);
    }
    out
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

fn holder_aad(id: &str) -> [&[u8]; 2] {
    [b"holder", id.as_bytes()]
}

/// What a link keeps sealed.
#[derive(Serialize, Deserialize)]
struct LinkSealed {
    customer: [u8; 32],
    pod: String,
    consent_id: String,
}

const LINK_COLUMNS: &str = "holder_id, customer_mac, created, sealed";

fn link_of_row(s: &Sealer, r: &postgres::Row) -> Result<Link, StoreError> {
    let holder_id: String = r.get(0);
    let customer_mac: Vec<u8> = r.get(1);
    let sealed: Vec<u8> = r.get(3);
    let v: LinkSealed = s.open(
        &[b"holder_link", holder_id.as_bytes(), &customer_mac],
        &sealed,
    )?;
    Ok(Link {
        holder_id,
        customer: v.customer,
        pod: v.pod,
        consent_id: v.consent_id,
        created_ms: r.get(2),
    })
}

/// What a delivery keeps sealed.
#[derive(Serialize, Deserialize)]
struct DeliverySealed {
    pod: String,
    outcome: String,
}

/// What a transfer keeps sealed.
#[derive(Serialize, Deserialize)]
struct TransferSealed {
    id: String,
    pod: String,
    consent_id: String,
    purpose: String,
    resources: Vec<String>,
}

const TRANSFER_COLUMNS: &str =
    "id_mac, holder_id, created, expires, revoked, reads, last_read, sealed";

fn transfer_of_row(s: &Sealer, r: &postgres::Row) -> Result<Transfer, StoreError> {
    let id_mac: Vec<u8> = r.get(0);
    let sealed: Vec<u8> = r.get(7);
    let v: TransferSealed = s.open(&[b"holder_transfer", &id_mac], &sealed)?;
    Ok(Transfer {
        id: v.id,
        pod: v.pod,
        holder_id: r.get(1),
        consent_id: v.consent_id,
        purpose: v.purpose,
        resources: v.resources,
        created_ms: r.get(2),
        expires_ms: r.get(3),
        revoked_ms: r.get(4),
        reads: to_u64(r.get(5)),
        last_read_ms: r.get(6),
    })
}

/// Transfers newest first, then by id (the embedded engine's order; the
/// ids are sealed, so sorted here).
fn transfers_of_rows(s: &Sealer, rows: &[postgres::Row]) -> Result<Vec<Transfer>, StoreError> {
    let mut out = rows
        .iter()
        .map(|r| transfer_of_row(s, r))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_by(|a, b| {
        b.created_ms
            .cmp(&a.created_ms)
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok(out)
}

fn receipt_aad<'a>(holder_id: &'a str, key: &'a str) -> [&'a [u8]; 3] {
    [b"holder_push", holder_id.as_bytes(), key.as_bytes()]
}

impl PgStore {
    /// A holder's version and value.
    async fn holder_versioned(&self, id: &str) -> Result<Option<(i64, Holder)>, StoreError> {
        let s = Sealer::of(self);
        let id = id.to_owned();
        self.run(move |c| {
            let Some(row) =
                c.query_opt("SELECT version, json FROM holder WHERE id = $1", &[&id])?
            else {
                return Ok(None);
            };
            let sealed: Vec<u8> = row.get(1);
            Ok(Some((row.get(0), s.open(&holder_aad(&id), &sealed)?)))
        })
        .await
    }
}

const HOUR_MS: i64 = 3_600_000;

#[async_trait::async_trait]
impl HolderRegistry for PgStore {
    async fn put_holder(&self, holder: &Holder) -> Result<(), StoreError> {
        let id = holder.id.clone();
        let json = Sealer::of(self).seal(&holder_aad(&id), holder)?;
        self.txn(move |tx| {
            tx.execute(
                "INSERT INTO holder (id, json) VALUES ($1, $2)
                 ON CONFLICT (id) DO UPDATE SET json = excluded.json, version = holder.version + 1",
                &[&id, &json],
            )?;
            Ok(())
        })
        .await
    }

    async fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError> {
        Ok(self.holder_versioned(id).await?.map(|(_, h)| h))
    }

    async fn insert_holder(&self, holder: &Holder) -> Result<bool, StoreError> {
        let id = holder.id.clone();
        let json = Sealer::of(self).seal(&holder_aad(&id), holder)?;
        self.txn(move |tx| {
            let n = tx.execute(
                "INSERT INTO holder (id, json) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                &[&id, &json],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn update_holder(
        &self,
        id: &str,
        change: &(dyn for<'h> Fn(&'h mut Holder) + Send + Sync),
    ) -> Result<bool, StoreError> {
        let s = Sealer::of(self);
        for _ in 0..CHANGE_TRIES {
            let Some((version, mut holder)) = self.holder_versioned(id).await? else {
                return Ok(false);
            };
            change(&mut holder);
            holder.id = id.to_owned();
            let json = s.seal(&holder_aad(id), &holder)?;
            let id = id.to_owned();
            let written = self
                .txn(move |tx| {
                    Ok(tx.execute(
                        "UPDATE holder SET json = $3, version = version + 1
                         WHERE id = $1 AND version = $2",
                        &[&id, &version, &json],
                    )? == 1)
                })
                .await?;
            if written {
                return Ok(true);
            }
            // Changed or removed meanwhile: read again.
        }
        Err(StoreError::Conflict)
    }

    async fn holders(&self) -> Result<Vec<Holder>, StoreError> {
        let s = Sealer::of(self);
        self.run(move |c| {
            c.query("SELECT id, json FROM holder ORDER BY id", &[])?
                .iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let sealed: Vec<u8> = r.get(1);
                    s.open(&holder_aad(&id), &sealed)
                })
                .collect()
        })
        .await
    }

    async fn delete_holder(
        &self,
        id: &str,
    ) -> Result<Option<(Vec<Link>, Vec<Transfer>)>, StoreError> {
        let s = Sealer::of(self);
        let id = id.to_owned();
        self.txn(move |tx| {
            let links = tx
                .query(
                    &format!("SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = $1"),
                    &[&id],
                )?
                .iter()
                .map(|r| link_of_row(&s, r))
                .collect::<Result<Vec<_>, _>>()?;
            let transfers = tx.query(
                &format!("SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE holder_id = $1"),
                &[&id],
            )?;
            let transfers = transfers
                .iter()
                .map(|r| transfer_of_row(&s, r))
                .collect::<Result<Vec<_>, _>>()?;
            tx.execute("DELETE FROM holder_link WHERE holder_id = $1", &[&id])?;
            tx.execute("DELETE FROM holder_transfer WHERE holder_id = $1", &[&id])?;
            let n = tx.execute("DELETE FROM holder WHERE id = $1", &[&id])?;
            Ok((n > 0).then_some((links, transfers)))
        })
        .await
    }

    async fn activity(&self, holder_id: &str) -> Result<Activity, StoreError> {
        let holder_id = holder_id.to_owned();
        self.run(move |c| {
            let r = c.query_one(
                "SELECT
                   (SELECT COUNT(DISTINCT pod_mac) FROM holder_link WHERE holder_id = $1),
                   (SELECT COUNT(*) FROM holder_push WHERE holder_id = $1),
                   (SELECT MAX(started) FROM holder_push WHERE holder_id = $1),
                   (SELECT COUNT(*) FROM holder_delivery WHERE holder_id = $1),
                   (SELECT COUNT(*) FROM holder_delivery WHERE holder_id = $1 AND NOT ok)",
                &[&holder_id],
            )?;
            Ok(Activity {
                residents: to_u64(r.get(0)),
                pushes: to_u64(r.get(1)),
                last_push_ms: r.get(2),
                deliveries: to_u64(r.get(3)),
                failed: to_u64(r.get(4)),
            })
        })
        .await
    }

    async fn claim_link(&self, l: &Link) -> Result<bool, StoreError> {
        let s = Sealer::of(self);
        let customer_mac = s.mac("customer", &l.customer);
        let pod_mac = s.pod(&l.pod);
        let sealed = s.seal(
            &[b"holder_link", l.holder_id.as_bytes(), &customer_mac],
            &LinkSealed {
                customer: l.customer,
                pod: l.pod.clone(),
                consent_id: l.consent_id.clone(),
            },
        )?;
        let (holder_id, created) = (l.holder_id.clone(), l.created_ms);
        self.txn(move |tx| {
            let n = tx.execute(
                "INSERT INTO holder_link (holder_id, customer_mac, pod_mac, created, sealed)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (holder_id, customer_mac) DO UPDATE SET
                   sealed = excluded.sealed, created = excluded.created
                 WHERE holder_link.pod_mac = excluded.pod_mac",
                &[&holder_id, &customer_mac, &pod_mac, &created, &sealed],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn link_of(
        &self,
        holder_id: &str,
        customer: &[u8; 32],
    ) -> Result<Option<Link>, StoreError> {
        let s = Sealer::of(self);
        let customer_mac = s.mac("customer", customer);
        let holder_id = holder_id.to_owned();
        self.run(move |c| {
            c.query_opt(
                &format!(
                    "SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = $1 AND customer_mac = $2"
                ),
                &[&holder_id, &customer_mac],
            )?
            .map(|r| link_of_row(&s, &r))
            .transpose()
        })
        .await
    }

    async fn delete_links(&self, holder_id: &str, pod: &str) -> Result<usize, StoreError> {
        let pod_mac = Sealer::of(self).pod(pod);
        let holder_id = holder_id.to_owned();
        self.txn(move |tx| {
            let n = tx.execute(
                "DELETE FROM holder_link WHERE holder_id = $1 AND pod_mac = $2",
                &[&holder_id, &pod_mac],
            )?;
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
        .await
    }

    async fn links_of_holder(&self, holder_id: &str) -> Result<Vec<Link>, StoreError> {
        let s = Sealer::of(self);
        let holder_id = holder_id.to_owned();
        self.run(move |c| {
            c.query(
                &format!("SELECT {LINK_COLUMNS} FROM holder_link WHERE holder_id = $1"),
                &[&holder_id],
            )?
            .iter()
            .map(|r| link_of_row(&s, r))
            .collect()
        })
        .await
    }

    async fn links_of_pod(&self, pod: &str) -> Result<Vec<Link>, StoreError> {
        let s = Sealer::of(self);
        let pod_mac = s.pod(pod);
        self.run(move |c| {
            c.query(
                &format!(
                    "SELECT {LINK_COLUMNS} FROM holder_link WHERE pod_mac = $1 ORDER BY holder_id"
                ),
                &[&pod_mac],
            )?
            .iter()
            .map(|r| link_of_row(&s, r))
            .collect()
        })
        .await
    }

    async fn begin_push(
        &self,
        holder_id: &str,
        key: &str,
        now_ms: i64,
        stale_before_ms: i64,
        limits: &HolderLimits,
    ) -> Result<PushState, StoreError> {
        let s = Sealer::of(self);
        let (holder_id, key, limits) = (holder_id.to_owned(), key.to_owned(), *limits);
        self.txn(move |tx| {
            let seen = tx
                .query_opt(
                    "SELECT started, receipt FROM holder_push WHERE holder_id = $1 AND key = $2",
                    &[&holder_id, &key],
                )?
                .map(|r| (r.get::<_, i64>(0), r.get::<_, Option<Vec<u8>>>(1)));
            match seen {
                Some((_, Some(receipt))) => {
                    // An abandoned push's (renamed) row has an empty receipt.
                    let receipt = if receipt.is_empty() {
                        String::new()
                    } else {
                        s.open(&receipt_aad(&holder_id, &key), &receipt)?
                    };
                    return Ok(PushState::Done { receipt });
                }
                Some((since_ms, None)) if since_ms >= stale_before_ms => {
                    return Ok(PushState::Running { since_ms });
                }
                _ => {}
            }
            let running: i64 = tx
                .query_one(
                    "SELECT COUNT(*) FROM holder_push
                     WHERE holder_id = $1 AND receipt IS NULL AND started >= $2",
                    &[&holder_id, &stale_before_ms],
                )?
                .get(0);
            if running >= i64::from(limits.at_once) {
                return Ok(PushState::Limited {
                    retry_after_s: 60,
                    at_once: true,
                });
            }
            let r = tx.query_one(
                "SELECT COUNT(*), MIN(started) FROM holder_push
                 WHERE holder_id = $1 AND started > $2",
                &[&holder_id, &(now_ms - HOUR_MS)],
            )?;
            let (count, oldest): (i64, Option<i64>) = (r.get(0), r.get(1));
            if count >= i64::from(limits.pushes_per_hour) {
                let free_at = oldest.unwrap_or(now_ms) + HOUR_MS;
                let wait_ms = (free_at - now_ms).max(1000);
                return Ok(PushState::Limited {
                    retry_after_s: u64::try_from(wait_ms).map_or(3600, |ms| ms.div_ceil(1000)),
                    at_once: false,
                });
            }
            tx.execute(
                "INSERT INTO holder_push (holder_id, key, started, receipt) VALUES ($1, $2, $3, NULL)
                 ON CONFLICT (holder_id, key) DO UPDATE SET started = excluded.started",
                &[&holder_id, &key, &now_ms],
            )?;
            Ok(PushState::Started)
        })
        .await
    }

    async fn finish_push(
        &self,
        holder_id: &str,
        key: &str,
        receipt: &str,
    ) -> Result<(), StoreError> {
        let sealed = Sealer::of(self).seal(&receipt_aad(holder_id, key), receipt)?;
        let (holder_id, key) = (holder_id.to_owned(), key.to_owned());
        self.txn(move |tx| {
            tx.execute(
                "UPDATE holder_push SET receipt = $3 WHERE holder_id = $1 AND key = $2",
                &[&holder_id, &key, &sealed],
            )?;
            Ok(())
        })
        .await
    }

    async fn abandon_push(&self, holder_id: &str, key: &str) -> Result<(), StoreError> {
        // Its key freed (renamed) and no longer under way (an empty
        // receipt), but still one of the pushes begun this hour: a failing
        // push is not a free one.
        let renamed = format!(
            "{key}#abandoned-{}",
            hex::encode(rand::random::<[u8; 8]>()).to_uppercase()
        );
        let (holder_id, key) = (holder_id.to_owned(), key.to_owned());
        self.txn(move |tx| {
            tx.execute(
                "UPDATE holder_push SET key = $3, receipt = ''::bytea
                 WHERE holder_id = $1 AND key = $2 AND receipt IS NULL",
                &[&holder_id, &key, &renamed],
            )?;
            Ok(())
        })
        .await
    }

    async fn add_deliveries(&self, deliveries: &[Delivery]) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        // The pod's HMAC binds each sealed row to its pod.
        let rows = deliveries
            .iter()
            .map(|d| {
                let pod_mac = s.pod(&d.pod);
                let sealed = s.seal(
                    &[b"holder_delivery", &pod_mac],
                    &DeliverySealed {
                        pod: d.pod.clone(),
                        outcome: d.outcome.clone(),
                    },
                )?;
                Ok((
                    pod_mac,
                    d.holder_id.clone(),
                    d.push.clone(),
                    d.at_ms,
                    to_i64(d.records),
                    d.ok,
                    sealed,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.txn(move |tx| {
            let insert = tx.prepare(
                "INSERT INTO holder_delivery (pod_mac, holder_id, push, at, records, ok, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )?;
            for (pod_mac, holder_id, push, at, records, ok, sealed) in &rows {
                let params: [&(dyn postgres::types::ToSql + Sync); 7] =
                    [pod_mac, holder_id, push, at, records, ok, sealed];
                tx.execute(&insert, &params)?;
            }
            Ok(())
        })
        .await
    }

    async fn deliveries_of(&self, pod: &str, limit: usize) -> Result<Vec<Delivery>, StoreError> {
        let s = Sealer::of(self);
        let pod_mac = s.pod(pod);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |c| {
            c.query(
                "SELECT holder_id, push, at, records, ok, sealed FROM holder_delivery
                 WHERE pod_mac = $1 ORDER BY at DESC, id DESC LIMIT $2",
                &[&pod_mac, &limit],
            )?
            .iter()
            .map(|r| {
                let sealed: Vec<u8> = r.get(5);
                let v: DeliverySealed = s.open(&[b"holder_delivery", &pod_mac], &sealed)?;
                Ok(Delivery {
                    pod: v.pod,
                    holder_id: r.get(0),
                    push: r.get(1),
                    at_ms: r.get(2),
                    records: to_u64(r.get(3)),
                    outcome: v.outcome,
                    ok: r.get(4),
                })
            })
            .collect()
        })
        .await
    }

    async fn forget_pod_links(&self, pod: &str) -> Result<(), StoreError> {
        let pod_mac = Sealer::of(self).pod(pod);
        self.txn(move |tx| {
            tx.execute("DELETE FROM holder_link WHERE pod_mac = $1", &[&pod_mac])?;
            tx.execute(
                "DELETE FROM holder_delivery WHERE pod_mac = $1",
                &[&pod_mac],
            )?;
            tx.execute(
                "DELETE FROM holder_transfer WHERE pod_mac = $1",
                &[&pod_mac],
            )?;
            Ok(())
        })
        .await
    }

    async fn add_transfer(&self, t: &Transfer) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        let id_mac = s.mac("transfer", t.id.as_bytes());
        let pod_mac = s.pod(&t.pod);
        let sealed = s.seal(
            &[b"holder_transfer", &id_mac],
            &TransferSealed {
                id: t.id.clone(),
                pod: t.pod.clone(),
                consent_id: t.consent_id.clone(),
                purpose: t.purpose.clone(),
                resources: t.resources.clone(),
            },
        )?;
        let t = t.clone();
        self.txn(move |tx| {
            tx.execute(
                "INSERT INTO holder_transfer
                   (id_mac, pod_mac, holder_id, created, expires, revoked, reads, last_read, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                &[
                    &id_mac,
                    &pod_mac,
                    &t.holder_id,
                    &t.created_ms,
                    &t.expires_ms,
                    &t.revoked_ms,
                    &to_i64(t.reads),
                    &t.last_read_ms,
                    &sealed,
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn transfer(&self, id: &str) -> Result<Option<Transfer>, StoreError> {
        let s = Sealer::of(self);
        let id_mac = s.mac("transfer", id.as_bytes());
        self.run(move |c| {
            c.query_opt(
                &format!("SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE id_mac = $1"),
                &[&id_mac],
            )?
            .map(|r| transfer_of_row(&s, &r))
            .transpose()
        })
        .await
    }

    async fn transfers_of_pod(&self, pod: &str) -> Result<Vec<Transfer>, StoreError> {
        let s = Sealer::of(self);
        let pod_mac = s.pod(pod);
        self.run(move |c| {
            let rows = c.query(
                &format!("SELECT {TRANSFER_COLUMNS} FROM holder_transfer WHERE pod_mac = $1"),
                &[&pod_mac],
            )?;
            transfers_of_rows(&s, &rows)
        })
        .await
    }

    async fn live_transfers_to(
        &self,
        holder_id: &str,
        now_ms: i64,
    ) -> Result<Vec<Transfer>, StoreError> {
        let s = Sealer::of(self);
        let holder_id = holder_id.to_owned();
        self.run(move |c| {
            let rows = c.query(
                &format!(
                    "SELECT {TRANSFER_COLUMNS} FROM holder_transfer
                     WHERE holder_id = $1 AND expires > $2 AND revoked IS NULL"
                ),
                &[&holder_id, &now_ms],
            )?;
            transfers_of_rows(&s, &rows)
        })
        .await
    }

    async fn revoke_transfer(&self, pod: &str, id: &str, at_ms: i64) -> Result<bool, StoreError> {
        let s = Sealer::of(self);
        let (pod_mac, id_mac) = (s.pod(pod), s.mac("transfer", id.as_bytes()));
        self.txn(move |tx| {
            let n = tx.execute(
                "UPDATE holder_transfer SET revoked = $3
                 WHERE pod_mac = $1 AND id_mac = $2 AND revoked IS NULL",
                &[&pod_mac, &id_mac, &at_ms],
            )?;
            Ok(n == 1)
        })
        .await
    }

    async fn count_reads(&self, id: &str, files: u64, at_ms: i64) -> Result<(), StoreError> {
        let id_mac = Sealer::of(self).mac("transfer", id.as_bytes());
        let files = to_i64(files);
        self.txn(move |tx| {
            tx.execute(
                "UPDATE holder_transfer SET reads = reads + $2, last_read = $3 WHERE id_mac = $1",
                &[&id_mac, &files, &at_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn dump(&self) -> Result<HoldersDump, StoreError> {
        let s = Sealer::of(self);
        // Read in one transaction (one state of the registry), opened after.
        let (holders, links, pushes, deliveries, transfers) = self
            .txn(|tx| {
                Ok((
                    tx.query("SELECT id, json FROM holder", &[])?,
                    tx.query(&format!("SELECT {LINK_COLUMNS} FROM holder_link"), &[])?,
                    tx.query(
                        "SELECT holder_id, key, started, receipt FROM holder_push",
                        &[],
                    )?,
                    tx.query(
                        "SELECT id, pod_mac, holder_id, push, at, records, ok, sealed
                         FROM holder_delivery",
                        &[],
                    )?,
                    tx.query(
                        &format!("SELECT {TRANSFER_COLUMNS} FROM holder_transfer"),
                        &[],
                    )?,
                ))
            })
            .await?;
        let mut dump = HoldersDump {
            holders: holders
                .iter()
                .map(|r| {
                    let id: String = r.get(0);
                    let sealed: Vec<u8> = r.get(1);
                    s.open(&holder_aad(&id), &sealed)
                })
                .collect::<Result<_, _>>()?,
            links: links
                .iter()
                .map(|r| link_of_row(&s, r))
                .collect::<Result<_, _>>()?,
            pushes: pushes
                .iter()
                .map(|r| {
                    let (holder_id, key): (String, String) = (r.get(0), r.get(1));
                    let receipt = match r.get::<_, Option<Vec<u8>>>(3) {
                        None => None,
                        // An abandoned push's receipt is empty, not sealed.
                        Some(sealed) if sealed.is_empty() => Some(String::new()),
                        Some(sealed) => Some(s.open(&receipt_aad(&holder_id, &key), &sealed)?),
                    };
                    Ok(PushRecord {
                        started_ms: r.get(2),
                        holder_id,
                        key,
                        receipt,
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            deliveries: deliveries
                .iter()
                .map(|r| {
                    let pod_mac: Vec<u8> = r.get(1);
                    let sealed: Vec<u8> = r.get(7);
                    let v: DeliverySealed = s.open(&[b"holder_delivery", &pod_mac], &sealed)?;
                    Ok(DeliveryRecord {
                        id: r.get(0),
                        delivery: Delivery {
                            pod: v.pod,
                            holder_id: r.get(2),
                            push: r.get(3),
                            at_ms: r.get(4),
                            records: to_u64(r.get(5)),
                            outcome: v.outcome,
                            ok: r.get(6),
                        },
                    })
                })
                .collect::<Result<_, StoreError>>()?,
            transfers: transfers
                .iter()
                .map(|r| transfer_of_row(&s, r))
                .collect::<Result<_, _>>()?,
        };
        dump.sort();
        Ok(dump)
    }

    async fn load(&self, dump: &HoldersDump) -> Result<(), StoreError> {
        let s = Sealer::of(self);
        // Every row sealed and HMAC'd here as the normal write paths do
        // (fresh nonces), then written in one transaction.
        let holders = dump
            .holders
            .iter()
            .map(|h| Ok((h.id.clone(), s.seal(&holder_aad(&h.id), h)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let links = dump
            .links
            .iter()
            .map(|l| {
                let customer_mac = s.mac("customer", &l.customer);
                let sealed = s.seal(
                    &[b"holder_link", l.holder_id.as_bytes(), &customer_mac],
                    &LinkSealed {
                        customer: l.customer,
                        pod: l.pod.clone(),
                        consent_id: l.consent_id.clone(),
                    },
                )?;
                Ok((
                    l.holder_id.clone(),
                    customer_mac,
                    s.pod(&l.pod),
                    l.created_ms,
                    sealed,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let pushes = dump
            .pushes
            .iter()
            .map(|p| {
                let receipt = match &p.receipt {
                    None => None,
                    Some(r) if r.is_empty() => Some(Vec::new()),
                    Some(r) => Some(s.seal(&receipt_aad(&p.holder_id, &p.key), r.as_str())?),
                };
                Ok((p.holder_id.clone(), p.key.clone(), p.started_ms, receipt))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let deliveries = dump
            .deliveries
            .iter()
            .map(|DeliveryRecord { id, delivery: d }| {
                let pod_mac = s.pod(&d.pod);
                let sealed = s.seal(
                    &[b"holder_delivery", &pod_mac],
                    &DeliverySealed {
                        pod: d.pod.clone(),
                        outcome: d.outcome.clone(),
                    },
                )?;
                Ok((
                    *id,
                    pod_mac,
                    d.holder_id.clone(),
                    d.push.clone(),
                    d.at_ms,
                    to_i64(d.records),
                    d.ok,
                    sealed,
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let transfers = dump
            .transfers
            .iter()
            .map(|t| {
                let id_mac = s.mac("transfer", t.id.as_bytes());
                let sealed = s.seal(
                    &[b"holder_transfer", &id_mac],
                    &TransferSealed {
                        id: t.id.clone(),
                        pod: t.pod.clone(),
                        consent_id: t.consent_id.clone(),
                        purpose: t.purpose.clone(),
                        resources: t.resources.clone(),
                    },
                )?;
                Ok((id_mac, s.pod(&t.pod), t.clone(), sealed))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.txn(move |tx| {
            let held: bool = tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM holder) OR EXISTS (SELECT 1 FROM holder_link)
                       OR EXISTS (SELECT 1 FROM holder_push)
                       OR EXISTS (SELECT 1 FROM holder_delivery)
                       OR EXISTS (SELECT 1 FROM holder_transfer)",
                    &[],
                )?
                .get(0);
            if held {
                return Err(crate::holders::not_empty("holders'"));
            }
            let insert = tx.prepare("INSERT INTO holder (id, json) VALUES ($1, $2)")?;
            for (id, json) in &holders {
                tx.execute(&insert, &[id, json])?;
            }
            let insert = tx.prepare(
                "INSERT INTO holder_link (holder_id, customer_mac, pod_mac, created, sealed)
                 VALUES ($1, $2, $3, $4, $5)",
            )?;
            for (holder_id, customer_mac, pod_mac, created, sealed) in &links {
                tx.execute(
                    &insert,
                    &[holder_id, customer_mac, pod_mac, created, sealed],
                )?;
            }
            let insert = tx.prepare(
                "INSERT INTO holder_push (holder_id, key, started, receipt) VALUES ($1, $2, $3, $4)",
            )?;
            for (holder_id, key, started, receipt) in &pushes {
                tx.execute(&insert, &[holder_id, key, started, receipt])?;
            }
            let insert = tx.prepare(
                "INSERT INTO holder_delivery (id, pod_mac, holder_id, push, at, records, ok, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )?;
            for (id, pod_mac, holder_id, push, at, records, ok, sealed) in &deliveries {
                let params: [&(dyn postgres::types::ToSql + Sync); 8] =
                    [id, pod_mac, holder_id, push, at, records, ok, sealed];
                tx.execute(&insert, &params)?;
            }
            // The next delivery's id follows the loaded ones.
            tx.execute(
                "SELECT setval(pg_get_serial_sequence('holder_delivery', 'id'), MAX(id))
                 FROM holder_delivery HAVING MAX(id) IS NOT NULL",
                &[],
            )?;
            let insert = tx.prepare(
                "INSERT INTO holder_transfer
                   (id_mac, pod_mac, holder_id, created, expires, revoked, reads, last_read, sealed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )?;
            for (id_mac, pod_mac, t, sealed) in &transfers {
                tx.execute(
                    &insert,
                    &[
                        id_mac,
                        pod_mac,
                        &t.holder_id,
                        &t.created_ms,
                        &t.expires_ms,
                        &t.revoked_ms,
                        &to_i64(t.reads),
                        &t.last_read_ms,
                        sealed,
                    ],
                )?;
            }
            Ok(())
        })
        .await
    }
}

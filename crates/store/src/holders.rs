//! The data holders the operator registered, and who is connected to them.
//!
//! A [`Holder`] (a water service, an energy distributor, a bank) pushes the
//! exports it already makes; a [`Link`] says that the customer known to a
//! holder by some identifier is the resident of a pod, under a consent
//! record kept in that pod. The identifier itself is never stored: only
//! its SHA-256 with the holder's id (computed by the caller), enough to
//! route a row and to forget it. Every push is remembered by its
//! idempotency key with its signed receipt ([`PushState`]), and every
//! delivery to a pod by what it brought ([`Delivery`]).
//!
//! A [`Transfer`] goes the other way: a resident lets a registered holder
//! read named parts of their pod, for a purpose, until a date, under a
//! consent record kept in the pod.
//!
//! Secrets are never stored: a holder's client secret by its SHA-256.

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A data holder registered by the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Letters, digits and `-` (`eau-grand-lyon`); also its client id.
    pub id: String,
    /// Its name as residents know it.
    pub name: String,
    /// Its data protection contact (an e-mail address or a URL).
    pub contact: String,
    /// What it delivers, as a service's category (`water`, `electricity`).
    pub categories: Vec<String>,
    /// How a resident is known there, in words ("meter number").
    pub identifier: String,
    /// How its pushes are laid out (a holder registered before layouts
    /// existed pushes one CSV with a customer column).
    #[serde(default)]
    pub layout: Layout,
    /// The column of its files that names the customer ([`Layout::Column`]
    /// only; empty otherwise).
    pub column: String,
    /// SHA-256 of its client secret.
    pub secret_hash: [u8; 32],
    pub created_ms: i64,
    /// What its pushes may cost.
    #[serde(default)]
    pub limits: HolderLimits,
    /// The Ed25519 public key its pushes must be signed with (its 32 bytes
    /// in base64), if it registered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push_key: Option<String>,
}

impl Holder {
    /// An organisation that delivers nothing: it only reads what residents
    /// give it by direct transfer (an energy-advice association, an app's
    /// publisher), so it has no pushes and no residents connected.
    pub fn receives_only(&self) -> bool {
        self.categories.is_empty()
    }
}

/// What a holder's pushes may cost, set by the operator per holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolderLimits {
    /// Pushes begun in any hour (a replay of an answered push is free).
    pub pushes_per_hour: u32,
    /// Pushes under way at once.
    pub at_once: u32,
    /// The largest push, in MiB.
    pub max_push_mib: u32,
}

impl Default for HolderLimits {
    fn default() -> Self {
        Self {
            pushes_per_hour: 24,
            at_once: 2,
            max_push_mib: 2048,
        }
    }
}

impl HolderLimits {
    /// The largest push, in bytes.
    pub fn max_push_bytes(&self) -> u64 {
        u64::from(self.max_push_mib) * 1024 * 1024
    }
}

/// How a holder's push is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// One CSV for many customers, a column naming each row's customer
    /// ([`Holder::column`]).
    #[default]
    Column,
    /// One file per customer (a meter's Enedis export, an account's OFX
    /// statement), many in one `multipart/form-data` body; each file's
    /// customer read from its content.
    FilePerCustomer,
}

impl Layout {
    /// Its name on the command line and in `holder list`.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Column => "column",
            Layout::FilePerCustomer => "file-per-customer",
        }
    }
}

/// A resident connected to a holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub holder_id: String,
    /// SHA-256 of the holder's id and the customer's identifier there.
    pub customer: [u8; 32],
    pub pod: String,
    /// The consent record (in the pod) deliveries are made under.
    pub consent_id: String,
    pub created_ms: i64,
}

/// Where a push with a given idempotency key stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushState {
    /// Never seen: it is now under way, under this caller.
    Started,
    /// Under way elsewhere (since this time).
    Running { since_ms: i64 },
    /// Done: its signed receipt.
    Done { receipt: String },
    /// Not begun: the holder has begun its `pushes_per_hour` in the last
    /// hour, or has `at_once` under way; it may try again after this long.
    Limited { retry_after_s: u64, at_once: bool },
}

/// What one push brought to one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub pod: String,
    pub holder_id: String,
    /// The push's receipt id.
    pub push: String,
    pub at_ms: i64,
    /// Records delivered (rows of the holder's file).
    pub records: u64,
    /// What the import made of it, in words, or why it failed.
    pub outcome: String,
    pub ok: bool,
}

/// How much a holder is used, for the operator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// Residents connected to it.
    pub residents: u64,
    /// Pushes received (each idempotency key once).
    pub pushes: u64,
    /// When the latest push began.
    pub last_push_ms: Option<i64>,
    /// Deliveries made to pods, and how many of them failed.
    pub deliveries: u64,
    pub failed: u64,
}

/// A direct transfer: a holder may read named resources of a pod until
/// `expires_ms`, unless revoked before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// Random, unguessable (it names the transfer in the holder's API).
    pub id: String,
    pub pod: String,
    /// The recipient.
    pub holder_id: String,
    /// The consent record (in the pod) the transfer is read under.
    pub consent_id: String,
    /// A DPV purpose IRI.
    pub purpose: String,
    /// Pod paths: a file, or a folder (ending in `/`) and everything in it.
    pub resources: Vec<String>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub revoked_ms: Option<i64>,
    /// Files read so far, and when last.
    pub reads: u64,
    pub last_read_ms: Option<i64>,
}

impl Transfer {
    /// Whether the holder may still read under it at `now_ms` (as far as
    /// the registry knows: the consent record is checked besides).
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.revoked_ms.is_none() && now_ms < self.expires_ms
    }
}

/// A push as the registry keeps it (in a [`HoldersDump`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushRecord {
    pub holder_id: String,
    /// Its idempotency key (an abandoned push's renamed one).
    pub key: String,
    pub started_ms: i64,
    /// Its signed receipt once done; empty for an abandoned push; `None`
    /// while under way.
    pub receipt: Option<String>,
}

/// A delivery with its position among all deliveries (in a [`HoldersDump`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    pub id: i64,
    pub delivery: Delivery,
}

/// Every record of the holders' registry, in plain (decrypted) values, for
/// copying an installation from one engine to the other (`selfdata
/// migrate`). Each list in an order that does not depend on the engine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldersDump {
    /// By id.
    pub holders: Vec<Holder>,
    /// By holder, then customer.
    pub links: Vec<Link>,
    /// By holder, then key.
    pub pushes: Vec<PushRecord>,
    /// By id.
    pub deliveries: Vec<DeliveryRecord>,
    /// By id.
    pub transfers: Vec<Transfer>,
}

impl HoldersDump {
    /// Puts every list in the dump's order.
    pub(crate) fn sort(&mut self) {
        self.holders.sort_by(|a, b| a.id.cmp(&b.id));
        self.links
            .sort_by(|a, b| (&a.holder_id, a.customer).cmp(&(&b.holder_id, b.customer)));
        self.pushes
            .sort_by(|a, b| (&a.holder_id, &a.key).cmp(&(&b.holder_id, &b.key)));
        self.deliveries.sort_by_key(|d| d.id);
        self.transfers.sort_by(|a, b| a.id.cmp(&b.id));
    }
}

/// The refusal of a load into a registry that holds something already.
pub(crate) fn not_empty(registry: &str) -> StoreError {
    StoreError::Rejected(
        format!("the {registry} registry is not empty: a dump is loaded only into an empty one")
            .into(),
    )
}

/// The registry of holders, links, pushes and transfers (the embedded engine keeps
/// it in `host.sqlite`).
#[async_trait::async_trait]
pub trait HolderRegistry: Send + Sync {
    /// Adds or replaces a holder.
    async fn put_holder(&self, holder: &Holder) -> Result<(), StoreError>;
    async fn holder(&self, id: &str) -> Result<Option<Holder>, StoreError>;
    /// Adds a holder unless one has its id; whether it was added.
    async fn insert_holder(&self, holder: &Holder) -> Result<bool, StoreError>;
    /// Changes a registered holder with `change`, read and written in one
    /// transaction (two changes at once both hold; a removed holder is not
    /// brought back); whether it was there.
    async fn update_holder(
        &self,
        id: &str,
        change: &(dyn for<'h> Fn(&'h mut Holder) + Send + Sync),
    ) -> Result<bool, StoreError>;
    /// Every holder, by id.
    async fn holders(&self) -> Result<Vec<Holder>, StoreError>;
    /// Removes a holder with every link and transfer to it, in one
    /// transaction (nothing can connect to it in between); what was removed,
    /// so that their consent records can be withdrawn, or `None` when no
    /// such holder was registered.
    async fn delete_holder(
        &self,
        id: &str,
    ) -> Result<Option<(Vec<Link>, Vec<Transfer>)>, StoreError>;
    /// How much a holder is used.
    async fn activity(&self, holder_id: &str) -> Result<Activity, StoreError>;

    /// Adds the link of a holder's customer, or replaces it when it leads
    /// to the same pod; `false`, changing nothing, when the customer is
    /// already linked to another pod (decided in one statement, so two
    /// residents claiming one identifier at once cannot both win).
    async fn claim_link(&self, link: &Link) -> Result<bool, StoreError>;
    /// The link of one customer of a holder.
    async fn link_of(
        &self,
        holder_id: &str,
        customer: &[u8; 32],
    ) -> Result<Option<Link>, StoreError>;
    /// Removes the links of a pod to a holder; how many there were.
    async fn delete_links(&self, holder_id: &str, pod: &str) -> Result<usize, StoreError>;
    /// Every link of a holder (to route a push).
    async fn links_of_holder(&self, holder_id: &str) -> Result<Vec<Link>, StoreError>;
    /// Every link of a pod.
    async fn links_of_pod(&self, pod: &str) -> Result<Vec<Link>, StoreError>;

    /// Starts the push `key` of a holder, unless it was seen before or the
    /// holder's `limits` forbid it now (decided in the same transaction, so
    /// pushes arriving together cannot all slip under a limit). A push
    /// under way since before `stale_before_ms` (its server died) is taken over.
    async fn begin_push(
        &self,
        holder_id: &str,
        key: &str,
        now_ms: i64,
        stale_before_ms: i64,
        limits: &HolderLimits,
    ) -> Result<PushState, StoreError>;
    /// Records the receipt of a push begun with [`HolderRegistry::begin_push`].
    async fn finish_push(
        &self,
        holder_id: &str,
        key: &str,
        receipt: &str,
    ) -> Result<(), StoreError>;
    /// Frees the key of a push that failed whole, so that it may be sent
    /// again; the push still counts among those begun in its hour.
    async fn abandon_push(&self, holder_id: &str, key: &str) -> Result<(), StoreError>;

    /// Records deliveries, all of them or none (one transaction).
    async fn add_deliveries(&self, deliveries: &[Delivery]) -> Result<(), StoreError>;
    /// A pod's latest deliveries, newest first.
    async fn deliveries_of(&self, pod: &str, limit: usize) -> Result<Vec<Delivery>, StoreError>;
    /// Forgets everything about an erased pod (links, deliveries and transfers).
    async fn forget_pod_links(&self, pod: &str) -> Result<(), StoreError>;

    /// Records a new transfer.
    async fn add_transfer(&self, transfer: &Transfer) -> Result<(), StoreError>;
    async fn transfer(&self, id: &str) -> Result<Option<Transfer>, StoreError>;
    /// Every transfer of a pod, live or ended, newest first.
    async fn transfers_of_pod(&self, pod: &str) -> Result<Vec<Transfer>, StoreError>;
    /// The transfers a holder may read under at `now_ms`, newest first.
    async fn live_transfers_to(
        &self,
        holder_id: &str,
        now_ms: i64,
    ) -> Result<Vec<Transfer>, StoreError>;
    /// Revokes a transfer of `pod` at `at_ms`; `false` if the pod has no
    /// such transfer or it was revoked already.
    async fn revoke_transfer(&self, pod: &str, id: &str, at_ms: i64) -> Result<bool, StoreError>;
    /// Counts `files` read under a transfer at `at_ms`.
    async fn count_reads(&self, id: &str, files: u64, at_ms: i64) -> Result<(), StoreError>;

    /// Every record of the registry, for copying an installation between engines (`selfdata migrate`).
    async fn dump(&self) -> Result<HoldersDump, StoreError>;
    /// Loads a dump into an empty registry, keeping every id and order
    /// (deliveries keep their ids; the next one follows them); refused,
    /// nothing written, when the registry already holds something. Called
    /// after the pods the rows name were created.
    async fn load(&self, dump: &HoldersDump) -> Result<(), StoreError>;
}

pub(crate) const HOLDERS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS holder (
    id TEXT PRIMARY KEY,
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS holder_link (
    holder_id TEXT NOT NULL,
    customer BLOB NOT NULL,
    pod TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (holder_id, customer)
);
CREATE INDEX IF NOT EXISTS holder_link_pod ON holder_link(pod);
CREATE TABLE IF NOT EXISTS holder_push (
    holder_id TEXT NOT NULL,
    key TEXT NOT NULL,
    started INTEGER NOT NULL,
    receipt TEXT,
    PRIMARY KEY (holder_id, key)
);
CREATE TABLE IF NOT EXISTS holder_delivery (
    id INTEGER PRIMARY KEY,
    pod TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    push TEXT NOT NULL,
    at INTEGER NOT NULL,
    records INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    ok INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS holder_delivery_pod ON holder_delivery(pod, at);
CREATE TABLE IF NOT EXISTS holder_transfer (
    id TEXT PRIMARY KEY,
    pod TEXT NOT NULL,
    holder_id TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    resources TEXT NOT NULL,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    revoked INTEGER,
    reads INTEGER NOT NULL DEFAULT 0,
    last_read INTEGER
);
CREATE INDEX IF NOT EXISTS holder_transfer_pod ON holder_transfer(pod, created);
CREATE INDEX IF NOT EXISTS holder_transfer_holder ON holder_transfer(holder_id, expires);
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_registered_before_layouts_reads_as_a_column_layout() {
        // A row as `holder add` wrote it before the layout was stored.
        let old = r#"{"id":"eau-grand-lyon","name":"Eau du Grand Lyon","contact":"dpo@eau.example","categories":["water"],"identifier":"Numéro de compteur","column":"Numéro de compteur","secret_hash":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"created_ms":0}"#;
        let h: Holder = serde_json::from_str(old).unwrap();
        assert_eq!(h.layout, Layout::Column);
        assert_eq!(h.column, "Numéro de compteur");
        assert_eq!(
            h.push_key, None,
            "a holder registered before signing keys has none"
        );
        let per_file = Holder {
            layout: Layout::FilePerCustomer,
            column: String::new(),
            ..h
        };
        let json = serde_json::to_string(&per_file).unwrap();
        assert!(json.contains(r#""layout":"file-per-customer""#), "{json}");
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), per_file);
    }
}

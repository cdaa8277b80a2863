//! The messages of the DAP flow (draft-ietf-ppm-dap) between a participant's
//! server, the leader, the helper and the collector, and the HPKE sealing of
//! each share to the one party meant to open it.
//!
//! Where this diverges from the draft, on purpose:
//! - messages are JSON with base64url bytes instead of the TLS presentation
//!   language: our two roles are the only peers (no other DAP implementation
//!   speaks the VDAF draft the `prio` crate implements), and JSON keeps the
//!   bodies readable in the aggregators' refusals and tests;
//! - a task is provisioned by the collector on both aggregators through an
//!   API of ours (the draft leaves provisioning out of band), and the
//!   verification key is derived by each aggregator from a secret the two
//!   operators share ([`verify_key`]), so the collector never holds it;
//! - a batch is the whole task (a study, or one cohort cell of it): neither
//!   time intervals nor leader-selected batches are needed when a study has a
//!   start and an end.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::vdaf::{Measure, NONCE_SIZE, VERIFY_KEY_SIZE};

type Kem = X25519HkdfSha256;

/// Bytes carried as base64url without padding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bytes(pub Vec<u8>);

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map(Bytes)
            .map_err(serde::de::Error::custom)
    }
}

/// A task as both aggregators keep it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// 1 to 64 letters, digits, `-` or `_`.
    pub id: String,
    pub measure: Measure,
    /// No total leaves an aggregator for fewer reports than this.
    pub min_batch_size: u64,
    /// Whom the totals are sealed to.
    pub collector_hpke_config: HpkeConfig,
    /// Differential privacy, if asked: each aggregator adds discrete Laplace
    /// noise to its total for ε = `epsilon_milli` / 1000 (histograms and
    /// vectors only; the number of contributors stays exact).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epsilon_milli: Option<u32>,
}

/// The smallest minimum batch size a task may have: the French rules for
/// statistics on natural persons and on energy delivery points.
pub const MIN_BATCH_FLOOR: u64 = 10;

impl Task {
    /// Refuses an id that cannot be a path segment, a measure too large or a
    /// minimum below the floor.
    pub fn check(&self) -> Result<(), Error> {
        let id_ok = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(Error::Measure(
                "a task's id is 1 to 64 letters, digits, '-' or '_'".into(),
            ));
        }
        if self.min_batch_size < MIN_BATCH_FLOOR {
            return Err(Error::Measure(format!(
                "the minimum number of participants is at least {MIN_BATCH_FLOOR}"
            )));
        }
        if let Some(e) = self.epsilon_milli {
            let vector = matches!(
                self.measure,
                Measure::Histogram { .. } | Measure::SumVec { .. }
            );
            if !vector || e == 0 || e > 100_000 {
                return Err(Error::Measure(
                    "noise is for histograms and vectors, with ε from 0.001 to 100".into(),
                ));
            }
        }
        crate::vdaf::Vdaf::new(&self.measure, self.id.as_bytes()).map(|_| ())
    }

    /// An aggregator's total as it leaves it: with the task's noise, if any.
    pub fn released_total(&self, total: &[u8], report_count: u64) -> Result<Vec<u8>, Error> {
        let vdaf = crate::vdaf::Vdaf::new(&self.measure, self.id.as_bytes())?;
        match self.epsilon_milli {
            Some(e) => vdaf.add_noise(total, e, report_count),
            None => Ok(total.to_vec()),
        }
    }
}

/// An HPKE public key and its algorithms (DHKEM(X25519, HKDF-SHA256),
/// HKDF-SHA256, ChaCha20-Poly1305: the only ones this crate seals with).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpkeConfig {
    pub id: u8,
    pub kem_id: u16,
    pub kdf_id: u16,
    pub aead_id: u16,
    pub public_key: Bytes,
}

const KEM_ID: u16 = 0x0020;
const KDF_ID: u16 = 0x0001;
const AEAD_ID: u16 = 0x0003;

/// An HPKE key pair; the secret never leaves the party that made it.
#[derive(Clone)]
pub struct HpkeKeypair {
    pub config: HpkeConfig,
    secret: Vec<u8>,
}

impl std::fmt::Debug for HpkeKeypair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HpkeKeypair")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl HpkeKeypair {
    pub fn generate(id: u8) -> HpkeKeypair {
        let (secret, public) = Kem::gen_keypair();
        Self::of(id, &secret, &public)
    }

    /// The key pair derived from a 32-byte secret the owner keeps (the
    /// collector's, from its key file).
    pub fn derive(id: u8, seed: &[u8; 32]) -> HpkeKeypair {
        let (secret, public) = Kem::derive_keypair(seed);
        Self::of(id, &secret, &public)
    }

    fn of(
        id: u8,
        secret: &<Kem as hpke::Kem>::PrivateKey,
        public: &<Kem as hpke::Kem>::PublicKey,
    ) -> HpkeKeypair {
        HpkeKeypair {
            config: HpkeConfig {
                id,
                kem_id: KEM_ID,
                kdf_id: KDF_ID,
                aead_id: AEAD_ID,
                public_key: Bytes(public.to_bytes().to_vec()),
            },
            secret: secret.to_bytes().to_vec(),
        }
    }

    /// The secret key's bytes, to be kept by its owner.
    pub fn secret(&self) -> &[u8] {
        &self.secret
    }

    /// A key pair kept earlier (its config and its secret).
    pub fn from_parts(config: HpkeConfig, secret: Vec<u8>) -> Result<HpkeKeypair, Error> {
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&secret).map_err(|_| Error::Key)?;
        Ok(HpkeKeypair { config, secret })
    }
}

/// A sealed message: who it is for, the encapsulated key, the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HpkeCiphertext {
    pub config_id: u8,
    pub enc: Bytes,
    pub payload: Bytes,
}

/// Who opens a sealed message; part of what is bound to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Collector = 0,
    Client = 1,
    Leader = 2,
    Helper = 3,
}

/// What a sealed message is, so that one kind cannot be replayed as another:
/// DAP's info strings.
pub fn info(kind: &str, from: Role, to: Role) -> Vec<u8> {
    let mut info = format!("dap-selfdata {kind}").into_bytes();
    info.push(from as u8);
    info.push(to as u8);
    info
}

/// Seals `plaintext` to `config`, bound to `info` and `aad`.
pub fn seal(
    config: &HpkeConfig,
    info: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<HpkeCiphertext, Error> {
    if (config.kem_id, config.kdf_id, config.aead_id) != (KEM_ID, KDF_ID, AEAD_ID) {
        return Err(Error::Key);
    }
    let public =
        <Kem as hpke::Kem>::PublicKey::from_bytes(&config.public_key.0).map_err(|_| Error::Key)?;
    let (enc, payload) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeS::Base,
        &public,
        info,
        plaintext,
        aad,
    )
    .map_err(|_| Error::Key)?;
    Ok(HpkeCiphertext {
        config_id: config.id,
        enc: Bytes(enc.to_bytes().to_vec()),
        payload: Bytes(payload),
    })
}

/// Opens a message sealed to `keypair`; any mismatch (key, info, aad, a bit
/// changed) is [`Error::Open`].
pub fn open(
    keypair: &HpkeKeypair,
    info: &[u8],
    aad: &[u8],
    sealed: &HpkeCiphertext,
) -> Result<Vec<u8>, Error> {
    if sealed.config_id != keypair.config.id {
        return Err(Error::Open);
    }
    let secret =
        <Kem as hpke::Kem>::PrivateKey::from_bytes(&keypair.secret).map_err(|_| Error::Key)?;
    let enc =
        <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed.enc.0).map_err(|_| Error::Open)?;
    hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
        &OpModeR::Base,
        &secret,
        &enc,
        info,
        &sealed.payload.0,
        aad,
    )
    .map_err(|_| Error::Open)
}

/// What an input share is bound to: the task, the report id, its time and its
/// public share (DAP's InputShareAad).
pub fn input_share_aad(task_id: &str, report_id: &[u8], time: u64, public_share: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(task_id.len() + 32 + public_share.len());
    aad.extend_from_slice(&(task_id.len() as u16).to_be_bytes());
    aad.extend_from_slice(task_id.as_bytes());
    aad.extend_from_slice(report_id);
    aad.extend_from_slice(&time.to_be_bytes());
    aad.extend_from_slice(public_share);
    aad
}

/// What a total is bound to: the task and how many reports it adds up.
pub fn aggregate_share_aad(task_id: &str, report_count: u64) -> Vec<u8> {
    let mut aad = task_id.as_bytes().to_vec();
    aad.extend_from_slice(&report_count.to_be_bytes());
    aad
}

/// One participant's report, as uploaded to the leader.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub report_id: Bytes,
    /// Seconds since 1970, rounded down to the hour (so the time says little).
    pub time: u64,
    pub public_share: Bytes,
    pub leader_encrypted_input_share: HpkeCiphertext,
    pub helper_encrypted_input_share: HpkeCiphertext,
}

/// Rounds a time down to the hour, as a report carries it.
pub fn report_time(unix_seconds: u64) -> u64 {
    unix_seconds - unix_seconds % 3600
}

/// Makes a participant's report: shards the value and seals each share to its
/// aggregator.
pub fn make_report(
    task: &Task,
    leader: &HpkeConfig,
    helper: &HpkeConfig,
    value: &[u64],
    unix_seconds: u64,
) -> Result<Report, Error> {
    let vdaf = crate::vdaf::Vdaf::new(&task.measure, task.id.as_bytes())?;
    let report_id: [u8; NONCE_SIZE] = rand::random();
    let sharded = vdaf.shard(&task.measure, value, &report_id)?;
    seal_report(
        task,
        leader,
        helper,
        report_id,
        report_time(unix_seconds),
        sharded,
    )
}

/// Seals shares made already (a test may alter them first, as a malicious
/// participant would).
pub fn seal_report(
    task: &Task,
    leader: &HpkeConfig,
    helper: &HpkeConfig,
    report_id: [u8; NONCE_SIZE],
    time: u64,
    sharded: crate::vdaf::Sharded,
) -> Result<Report, Error> {
    let aad = input_share_aad(&task.id, &report_id, time, &sharded.public_share);
    Ok(Report {
        report_id: Bytes(report_id.to_vec()),
        time,
        leader_encrypted_input_share: seal(
            leader,
            &info("input share", Role::Client, Role::Leader),
            &aad,
            &sharded.leader_share,
        )?,
        helper_encrypted_input_share: seal(
            helper,
            &info("input share", Role::Client, Role::Helper),
            &aad,
            &sharded.helper_share,
        )?,
        public_share: Bytes(sharded.public_share),
    })
}

/// The leader asks the helper to verify and add these reports (one
/// aggregation job; PUT again with the same id gets the same answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregationJobInit {
    pub reports: Vec<PrepareInit>,
}

/// One report in an aggregation job: what the helper needs of it and the
/// leader's verifier share.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrepareInit {
    pub report_id: Bytes,
    pub time: u64,
    pub public_share: Bytes,
    pub encrypted_input_share: HpkeCiphertext,
    pub leader_verifier_share: Bytes,
}

/// The helper's answer, one entry per report in the same order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregationJobResp {
    pub results: Vec<PrepareResp>,
}

/// The helper's verdict on one report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum PrepareResp {
    /// Verified and added; the leader finishes with this verifier message.
    Finished { report_id: Bytes, message: Bytes },
    /// Not added, with DAP's reason (`report_replayed`, `hpke_decrypt_error`,
    /// `vdaf_verify_error`, …).
    Rejected { report_id: Bytes, error: String },
}

/// The leader asks the helper for its total of the task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregateShareReq {
    pub report_count: u64,
    pub checksum: Bytes,
}

/// The helper's total, sealed to the collector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AggregateShare {
    pub encrypted_aggregate_share: HpkeCiphertext,
}

/// The answer to a finished collection: both totals, sealed to the collector.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Collection {
    pub report_count: u64,
    pub leader_encrypted_aggregate_share: HpkeCiphertext,
    pub helper_encrypted_aggregate_share: HpkeCiphertext,
}

/// Opens a collection and adds the two totals up: the study's result.
pub fn open_collection(
    task: &Task,
    collector: &HpkeKeypair,
    collection: &Collection,
) -> Result<Vec<u128>, Error> {
    if collection.report_count < task.min_batch_size {
        return Err(Error::Share(format!(
            "{} reports, fewer than the minimum of {}",
            collection.report_count, task.min_batch_size
        )));
    }
    let aad = aggregate_share_aad(&task.id, collection.report_count);
    let leader = open(
        collector,
        &info("aggregate share", Role::Leader, Role::Collector),
        &aad,
        &collection.leader_encrypted_aggregate_share,
    )?;
    let helper = open(
        collector,
        &info("aggregate share", Role::Helper, Role::Collector),
        &aad,
        &collection.helper_encrypted_aggregate_share,
    )?;
    crate::vdaf::Vdaf::new(&task.measure, task.id.as_bytes())?.unshard(
        &leader,
        &helper,
        collection.report_count,
    )
}

/// DAP's batch checksum: the XOR of the SHA-256 of every report id, so the
/// two aggregators know they added the same reports.
pub fn checksum_add(checksum: &mut [u8; 32], report_id: &[u8]) {
    let digest = Sha256::digest(report_id);
    for (c, d) in checksum.iter_mut().zip(digest.iter()) {
        *c ^= d;
    }
}

/// The verification key of a task, derived by each aggregator from the secret
/// the two operators share: the collector and the participants never hold it.
pub fn verify_key(peer_secret: &[u8], task_id: &str) -> [u8; VERIFY_KEY_SIZE] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(peer_secret)
        .expect("HMAC takes a key of any length");
    mac.update(b"selfdata-dap verify key ");
    mac.update(task_id.as_bytes());
    mac.finalize().into_bytes().into()
}

/// The bearer token the leader shows the helper, derived from the same secret.
pub fn peer_token(peer_secret: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(peer_secret)
        .expect("HMAC takes a key of any length");
    mac.update(b"selfdata-dap leader token");
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_share_opens_only_with_its_key_info_and_aad() {
        let key = HpkeKeypair::generate(1);
        let other = HpkeKeypair::generate(1);
        let i = info("input share", Role::Client, Role::Leader);
        let sealed = seal(&key.config, &i, b"aad", b"secret share").unwrap();
        assert_eq!(open(&key, &i, b"aad", &sealed).unwrap(), b"secret share");
        assert!(open(&other, &i, b"aad", &sealed).is_err());
        assert!(open(&key, &i, b"other aad", &sealed).is_err());
        let j = info("input share", Role::Client, Role::Helper);
        assert!(open(&key, &j, b"aad", &sealed).is_err());
    }

    #[test]
    fn a_task_below_the_floor_or_with_a_bad_id_is_refused() {
        let task = |id: &str, min| Task {
            id: id.into(),
            measure: Measure::Count,
            min_batch_size: min,
            collector_hpke_config: HpkeKeypair::generate(0).config,
            epsilon_milli: None,
        };
        assert!(task("study-1", 11).check().is_ok());
        assert!(task("study-1", 9).check().is_err());
        assert!(task("../x", 11).check().is_err());
        assert!(task("", 11).check().is_err());
    }
}

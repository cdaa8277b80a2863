//! Connecting a holder's account, for every holder the connector framework
//! knows (`selfdata_connect`), through the same import path as every file:
//! Enedis (the resident consents on Enedis's page and comes back to the
//! callback with a code and their meter number, PRM) and GRDF (the resident
//! gives their PCE and consents here; selfdata then asks ADICT with its own
//! client-credentials token, GRDF knowing the consent as a right of access).
//!
//! A connection (the meter, the resume cursor, the consent's tokens when the
//! holder gives some) is kept in the pod's derived store — with the pod,
//! erased with it, never served over the Solid API, so an app the resident
//! allowed cannot read the tokens — and the consent given is recorded
//! through `service::consents`. The history is pulled in the background; one
//! status page (`/app/energy/connect`) lists every connection of the pod
//! with its progress, its last pull and why it stopped, and offers "update
//! now" and "disconnect". A failed pull resumes where it stopped the next
//! time (the button, or the daily update at the operator's hour, Paris
//! time). The pages are drawn in the site's layout, in French or English;
//! what the holder says when something fails is shown as it came, in
//! English.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use selfdata_connect::{
    AdictConfig, ConnectClient, ConnectError, ConnectionState, Connector, DataConnectConfig,
    Endpoint, SharedCounts, Sink, SinkError, Window,
};
use selfdata_consent::Party;
use selfdata_store::{Backend, PodName, StoreError, Write};

use crate::EnergyApp;
use crate::energy::{Energy, EnergyError};

mod pages;
mod words;

pub use pages::routes;

/// How long a consent on Enedis's page may take before its `state` is forgotten.
const CONSENT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Where an Enedis consent under way is kept, by its `state`: in the
/// resident's pod, so that Enedis may send them back to any server.
const CONSENT_PREFIX: &str = "connect/consent/";
/// The status page.
const STATUS: &str = "/app/energy/connect";

/// A holder a resident can connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HolderKind {
    Enedis,
    Grdf,
}

impl HolderKind {
    /// In addresses and form fields.
    pub fn slug(self) -> &'static str {
        match self {
            HolderKind::Enedis => "enedis",
            HolderKind::Grdf => "grdf",
        }
    }

    fn from_slug(slug: &str) -> Option<Self> {
        [HolderKind::Enedis, HolderKind::Grdf]
            .into_iter()
            .find(|k| k.slug() == slug)
    }

    /// Where its connections are kept in the pod's derived store.
    fn key_prefix(self) -> &'static str {
        match self {
            HolderKind::Enedis => "connect/enedis/",
            HolderKind::Grdf => "connect/grdf/",
        }
    }

    fn party(self) -> Party {
        match self {
            HolderKind::Enedis => Party::new("https://www.enedis.fr/", "Enedis"),
            HolderKind::Grdf => Party::new("https://www.grdf.fr/", "GRDF"),
        }
    }

    /// The folder of the pod its data goes to.
    fn fluid(self) -> &'static str {
        match self {
            HolderKind::Enedis => "electricity",
            HolderKind::Grdf => "gas",
        }
    }
}

/// Progress of one meter's pull.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PullStatus {
    Running { done: usize, total: usize },
    Done { windows: usize },
    Failed { message: String, reconnect: bool },
}

/// How long a pull holds its meter without saving progress before another
/// server may take the meter over (its server died, say).
const PULL_LEASE_MS: i64 = 15 * 60 * 1000;

/// A meter's pull as every server sees it, kept beside the connection in
/// the pod's derived store: one pull per meter at a time on any server (a
/// lease, taken and renewed by compare-and-set), its progress, and how the
/// last one ended.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct PullRecord {
    /// The pull holding the lease (random).
    by: String,
    /// Until when it holds it (milliseconds since the epoch, UTC).
    until_ms: i64,
    status: PullStatus,
}

impl PullRecord {
    fn running(by: &str, done: usize, total: usize) -> Self {
        Self {
            by: by.to_owned(),
            until_ms: jiff::Timestamp::now().as_millisecond() + PULL_LEASE_MS,
            status: PullStatus::Running { done, total },
        }
    }

    fn live(&self) -> bool {
        matches!(self.status, PullStatus::Running { .. })
            && self.until_ms > jiff::Timestamp::now().as_millisecond()
    }

    fn bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// One holder's connector in the app: its configuration and its client (the
/// rate limiter and the application's token are per holder and
/// application). Connections and pulls are in the pods.
pub struct Holder<C> {
    pub kind: HolderKind,
    pub config: C,
    client: ConnectClient,
}

impl<C> std::fmt::Debug for Holder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<C: Connector + 'static> Holder<C> {
    /// The holder's connector; with `shared` (several servers), its
    /// requests paced together with every other server's.
    pub fn new(
        kind: HolderKind,
        config: C,
        shared: Option<Arc<dyn SharedCounts>>,
    ) -> Result<Self, ConnectError> {
        let mut client = ConnectClient::new(config.politeness())?;
        if let Some(counts) = shared {
            client = client.pace_with(counts, &format!("holder-pace/{}", kind.slug()));
        }
        Ok(Self {
            kind,
            client,
            config,
        })
    }

    fn key(&self, meter: &str) -> String {
        format!("{}{meter}", self.kind.key_prefix())
    }

    /// Where the pull of `meter` is recorded.
    fn pull_key(&self, meter: &str) -> String {
        format!("connect/pull/{}/{meter}", self.kind.slug())
    }

    /// The progress of `meter`'s pull (on whatever server it runs), or how
    /// the last one ended; `None` when none is known (or one stopped with
    /// its server).
    pub async fn status(
        &self,
        store: &dyn Backend,
        pod: &PodName,
        meter: &str,
    ) -> Option<PullStatus> {
        let record = store.index_get(pod, &self.pull_key(meter)).await.ok()??;
        let record: PullRecord = serde_json::from_slice(&record).ok()?;
        match record.status {
            PullStatus::Running { .. } if !record.live() => None,
            status => Some(status),
        }
    }

    /// The connections kept for `pod`, each with its stored form.
    async fn saved(
        &self,
        store: &dyn Backend,
        pod: &PodName,
    ) -> Result<Vec<(ConnectionState, Bytes)>, EnergyError> {
        let saved = store.index_scan(pod, self.kind.key_prefix()).await?;
        Ok(saved
            .into_iter()
            .filter_map(|(_, json)| Some((serde_json::from_slice(&json).ok()?, json)))
            .collect())
    }

    /// Keeps a new connection `state` for `pod` (a pull of an earlier
    /// connection of the meter, on any server, stops); its stored form.
    async fn save(
        &self,
        store: &dyn Backend,
        pod: &PodName,
        state: &ConnectionState,
    ) -> Result<Bytes, EnergyError> {
        let json = Bytes::from(serde_json::to_vec(state).unwrap_or_default());
        store
            .write(
                pod,
                Write::Batch(vec![
                    Write::Index {
                        key: self.key(&state.meter),
                        value: Some(json.clone()),
                    },
                    Write::Index {
                        key: self.pull_key(&state.meter),
                        value: None,
                    },
                ]),
            )
            .await?;
        Ok(json)
    }

    /// Pulls one meter to today, in the background, unless a pull of it
    /// runs already (on any server). `seen`: the connection as stored.
    pub async fn spawn_pull(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: PodName,
        state: ConnectionState,
        seen: Bytes,
    ) -> Result<bool, EnergyError> {
        let key = self.pull_key(&state.meter);
        let current = store.index_get(&pod, &key).await?;
        if current
            .as_deref()
            .and_then(|r| serde_json::from_slice::<PullRecord>(r).ok())
            .is_some_and(|r| r.live())
        {
            return Ok(false); // one pull per meter at a time
        }
        let by = hex::encode(rand::random::<[u8; 12]>());
        let record = PullRecord::running(&by, 0, 0).bytes();
        let lease = Write::IndexIf {
            key,
            expected: current,
            value: Some(record.clone()),
        };
        match store.write(&pod, lease).await {
            Ok(_) => {}
            // Another server started it meanwhile.
            Err(StoreError::PreconditionFailed) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut state = state;
            let mut sink = PodSink {
                energy,
                store: store.clone(),
                pod: pod.clone(),
                holder: this.clone(),
                meter: state.meter.clone(),
                by,
                state_seen: seen,
                record_seen: record,
                progress: (0, 0),
            };
            let outcome = selfdata_connect::pull(
                &this.config,
                &this.client,
                &mut state,
                selfdata_connect::paris_today(),
                &mut sink,
            )
            .await;
            let status = match &outcome {
                Ok(report) => PullStatus::Done {
                    windows: report.windows,
                },
                Err(e) => {
                    tracing::warn!(%pod, holder = this.kind.slug(), error = %e, "pull failed");
                    // Kept with the connection, so the page says it after a restart too.
                    state.last_failure = Some(e.to_string());
                    PullStatus::Failed {
                        message: e.to_string(),
                        reconnect: e.needs_reconnect(),
                    }
                }
            };
            let record = PullRecord {
                by: sink.by.clone(),
                until_ms: 0,
                status,
            };
            let state = outcome.is_err().then_some(&state);
            match sink.keep(state, &record).await {
                Ok(()) => {}
                Err(e) if e.downcast_ref::<Withdrawn>().is_some() => {}
                Err(e) => tracing::warn!(%pod, error = %e, "could not keep how a pull ended"),
            }
        });
        Ok(true)
    }

    /// Pulls every meter of this holder connected to `pod`.
    pub async fn update(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: &PodName,
    ) -> Result<usize, EnergyError> {
        let mut n = 0;
        for (state, seen) in self.saved(store.as_ref(), pod).await? {
            n += usize::from(
                self.spawn_pull(energy.clone(), store.clone(), pod.clone(), state, seen)
                    .await?,
            );
        }
        Ok(n)
    }

    /// Forgets the connection of `meter` (a pull under way, on any server,
    /// stops at its next window: its checkpoint finds the connection gone);
    /// `false` when there was none.
    async fn disconnect(
        &self,
        store: &dyn Backend,
        pod: &PodName,
        meter: &str,
    ) -> Result<bool, EnergyError> {
        let key = self.key(meter);
        let known = store
            .index_scan(pod, &key)
            .await?
            .iter()
            .any(|(k, _)| *k == key);
        if !known {
            return Ok(false);
        }
        let pull = self.pull_key(meter);
        store
            .write(
                pod,
                Write::Batch(vec![
                    Write::Index { key, value: None },
                    Write::Index {
                        key: pull,
                        value: None,
                    },
                ]),
            )
            .await?;
        Ok(true)
    }
}

/// A pull's connection withdrawn, or the pull taken over, meanwhile.
#[derive(Debug, thiserror::Error)]
#[error("the connection was withdrawn, or its pull taken over by another, meanwhile")]
struct Withdrawn;

/// Where pulled bodies go: the normal import path, and the connection saved
/// after each window, with the pull's progress and lease, by
/// compare-and-set: a connection withdrawn or taken over meanwhile (on any
/// server) stops the pull instead of being written back.
struct PodSink<C> {
    energy: Arc<Energy>,
    store: Arc<dyn Backend>,
    pod: PodName,
    holder: Arc<Holder<C>>,
    meter: String,
    /// This pull's lease.
    by: String,
    /// The connection and the pull record as this pull last stored them.
    state_seen: Bytes,
    record_seen: Bytes,
    /// Windows done, of how many.
    progress: (usize, usize),
}

impl<C: Connector + 'static> PodSink<C> {
    /// Stores the connection (when given) and the pull's record if neither
    /// changed since this pull last stored them.
    async fn keep(
        &mut self,
        state: Option<&ConnectionState>,
        record: &PullRecord,
    ) -> Result<(), SinkError> {
        let mut writes = Vec::new();
        let state_json = state.map(|s| Bytes::from(serde_json::to_vec(s).unwrap_or_default()));
        if let Some(json) = &state_json {
            writes.push(Write::IndexIf {
                key: self.holder.key(&self.meter),
                expected: Some(self.state_seen.clone()),
                value: Some(json.clone()),
            });
        }
        let record = record.bytes();
        writes.push(Write::IndexIf {
            key: self.holder.pull_key(&self.meter),
            expected: Some(self.record_seen.clone()),
            value: Some(record.clone()),
        });
        match self.store.write(&self.pod, Write::Batch(writes)).await {
            Ok(_) => {
                if let Some(json) = state_json {
                    self.state_seen = json;
                }
                self.record_seen = record;
                Ok(())
            }
            Err(StoreError::PreconditionFailed) => Err(Box::new(Withdrawn)),
            Err(e) => Err(e.to_string().into()),
        }
    }
}

impl<C: Connector + 'static> Sink for PodSink<C> {
    async fn accept(&mut self, _: Endpoint, _: Window, body: &[u8]) -> Result<(), SinkError> {
        let energy: &Energy = &self.energy;
        let Some(pipeline) = energy.pipeline() else {
            return Err("the server is stopping".into());
        };
        match pipeline
            .run(
                energy,
                &self.pod,
                Bytes::copy_from_slice(body).into(),
                false,
                &|_| {},
            )
            .await
        {
            Ok(_) => Ok(()),
            // A window without readings is nothing to do.
            Err(e) if e.is_empty() => Ok(()),
            Err(e) => Err(Box::new(e)),
        }
    }

    async fn checkpoint(&mut self, state: &ConnectionState) -> Result<(), SinkError> {
        let (done, total) = self.progress;
        let record = PullRecord::running(&self.by, done, total);
        self.keep(Some(state), &record).await
    }

    fn progress(&mut self, done: usize, total: usize) {
        self.progress = (done, total);
    }
}

/// What the operator configured: each holder's keys (no connector without
/// them) and the hour of the daily pulls.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub enedis: Option<DataConnectConfig>,
    pub grdf: Option<AdictConfig>,
    /// The hour (0–23, Paris time) every connection is brought up to date.
    pub pull_hour: u8,
}

/// The default hour of the daily pulls: 03:00 in Paris, when holders and
/// residents are quiet.
pub const DEFAULT_PULL_HOUR: u8 = 3;

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            enedis: None,
            grdf: None,
            pull_hour: DEFAULT_PULL_HOUR,
        }
    }
}

/// The app's connectors, those the operator configured.
#[derive(Debug)]
pub struct Connectors {
    pub enedis: Option<Arc<Holder<DataConnectConfig>>>,
    pub grdf: Option<Arc<Holder<AdictConfig>>>,
    pub pull_hour: u8,
}

impl Connectors {
    /// The connectors the operator configured; `shared`: the counters of
    /// the servers sharing the store, when there may be several (a
    /// holder's rate limit is for all of them together).
    pub fn new(
        settings: ConnectSettings,
        shared: Option<Arc<dyn SharedCounts>>,
    ) -> Result<Self, ConnectError> {
        Ok(Self {
            enedis: match settings.enedis {
                Some(c) => Some(Arc::new(Holder::new(
                    HolderKind::Enedis,
                    c,
                    shared.clone(),
                )?)),
                None => None,
            },
            grdf: match settings.grdf {
                Some(c) => Some(Arc::new(Holder::new(HolderKind::Grdf, c, shared)?)),
                None => None,
            },
            pull_hour: settings.pull_hour.min(23),
        })
    }

    /// Brings every connection of `pod` up to date, in the background.
    pub async fn update(
        &self,
        energy: &Arc<Energy>,
        store: &Arc<dyn Backend>,
        pod: &PodName,
    ) -> Result<usize, EnergyError> {
        let mut n = 0;
        if let Some(h) = &self.enedis {
            n += h.update(energy.clone(), store.clone(), pod).await?;
        }
        if let Some(h) = &self.grdf {
            n += h.update(energy.clone(), store.clone(), pod).await?;
        }
        Ok(n)
    }

    fn any(&self) -> bool {
        self.enedis.is_some() || self.grdf.is_some()
    }
}

/// The host directory's fixed-window counters, as the holders' shared pace.
pub struct DirectoryCounts(pub Arc<dyn selfdata_store::Directory>);

impl SharedCounts for DirectoryCounts {
    fn count<'a>(
        &'a self,
        key: &'a str,
        window_ms: i64,
        at_ms: i64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<u64, String>> + Send + 'a>> {
        Box::pin(async move {
            self.0
                .count_attempt("holder-pace", key, window_ms, at_ms)
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// Background work of a running server: every day at the operator's hour
/// (Paris time), every connection of every pod is brought up to date (a
/// failed pull resumes there).
pub fn spawn_daily_updates(app: &Arc<EnergyApp>) {
    if !app.connectors.any() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let app = app.clone();
    runtime.spawn(async move {
        loop {
            let now = jiff::Timestamp::now();
            let next = selfdata_connect::next_daily_run(now, app.connectors.pull_hour);
            let wait = now.duration_until(next).unsigned_abs();
            tracing::info!(next = %next, "next daily pull");
            tokio::time::sleep(wait).await;
            let Ok(pods) = app.ctx.store.list_pods().await else {
                continue;
            };
            for pod in pods {
                if let Err(e) = app
                    .connectors
                    .update(&app.energy, &app.ctx.store, &pod.name)
                    .await
                {
                    tracing::warn!(pod = %pod.name, error = %e, "daily update failed");
                }
            }
        }
    });
}

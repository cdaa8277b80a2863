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

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_connect::{
    AdictConfig, ConnectClient, ConnectError, ConnectionState, Connector, DataConnectConfig,
    Endpoint, Sink, SinkError, Window,
};
use selfdata_consent::Party;
use selfdata_store::{Backend, PodName, Write};

use crate::EnergyApp;
use crate::energy::{Energy, EnergyError};

mod pages;
mod words;

pub use pages::routes;

/// How long a consent on Enedis's page may take before its `state` is forgotten.
const CONSENT_TIMEOUT: Duration = Duration::from_secs(30 * 60);
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

/// Progress of one meter's pull, since the server started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullStatus {
    Running { done: usize, total: usize },
    Done { windows: usize },
    Failed { message: String, reconnect: bool },
}

/// One holder's connector in the app: its configuration, its client (the
/// rate limiter and the application's token are per holder and
/// application), pull progress.
pub struct Holder<C> {
    pub kind: HolderKind,
    pub config: C,
    client: ConnectClient,
    status: Mutex<HashMap<(PodName, String), PullStatus>>,
    /// Connections disconnected while their pull ran: its next checkpoint
    /// stops it instead of writing the connection back.
    dropped: Mutex<HashSet<(PodName, String)>>,
}

impl<C> std::fmt::Debug for Holder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<C: Connector + 'static> Holder<C> {
    pub fn new(kind: HolderKind, config: C) -> Result<Self, ConnectError> {
        Ok(Self {
            kind,
            client: ConnectClient::new(config.politeness())?,
            config,
            status: Mutex::new(HashMap::new()),
            dropped: Mutex::new(HashSet::new()),
        })
    }

    fn key(&self, meter: &str) -> String {
        format!("{}{meter}", self.kind.key_prefix())
    }

    /// The progress of `meter` of `pod`, if it was pulled since the start.
    pub fn status(&self, pod: &PodName, meter: &str) -> Option<PullStatus> {
        self.status
            .lock()
            .get(&(pod.clone(), meter.to_owned()))
            .cloned()
    }

    /// The connections kept for `pod`.
    async fn saved(
        &self,
        store: &dyn Backend,
        pod: &PodName,
    ) -> Result<Vec<ConnectionState>, EnergyError> {
        let saved = store.index_scan(pod, self.kind.key_prefix()).await?;
        Ok(saved
            .into_iter()
            .filter_map(|(_, json)| serde_json::from_slice(&json).ok())
            .collect())
    }

    /// Keeps `state` for `pod`.
    async fn save(
        &self,
        store: &dyn Backend,
        pod: &PodName,
        state: &ConnectionState,
    ) -> Result<(), EnergyError> {
        let json = serde_json::to_vec(state).unwrap_or_default();
        store
            .write(
                pod,
                Write::Index {
                    key: self.key(&state.meter),
                    value: Some(Bytes::from(json)),
                },
            )
            .await?;
        Ok(())
    }

    /// Pulls one meter to today, in the background.
    pub fn spawn_pull(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: PodName,
        state: ConnectionState,
    ) {
        let this = self.clone();
        let meter = state.meter.clone();
        let id = (pod.clone(), meter.clone());
        {
            let mut status = this.status.lock();
            if matches!(status.get(&id), Some(PullStatus::Running { .. })) {
                return; // one pull per meter at a time
            }
            status.insert(id.clone(), PullStatus::Running { done: 0, total: 0 });
            this.dropped.lock().remove(&id);
        }
        tokio::spawn(async move {
            let mut state = state;
            let mut sink = PodSink {
                energy,
                store: store.clone(),
                pod: pod.clone(),
                holder: this.clone(),
                meter: meter.clone(),
            };
            let outcome = selfdata_connect::pull(
                &this.config,
                &this.client,
                &mut state,
                selfdata_connect::paris_today(),
                &mut sink,
            )
            .await;
            if this.dropped.lock().remove(&id) {
                this.status.lock().remove(&id);
                return;
            }
            let status = match outcome {
                Ok(report) => PullStatus::Done {
                    windows: report.windows,
                },
                Err(e) => {
                    tracing::warn!(%pod, holder = this.kind.slug(), error = %e, "pull failed");
                    // Kept with the connection, so the page says it after a restart too.
                    state.last_failure = Some(e.to_string());
                    if let Err(e) = this.save(store.as_ref(), &pod, &state).await {
                        tracing::warn!(%pod, error = %e, "could not keep why a pull failed");
                    }
                    PullStatus::Failed {
                        message: e.to_string(),
                        reconnect: e.needs_reconnect(),
                    }
                }
            };
            this.status.lock().insert(id, status);
        });
    }

    /// Pulls every meter of this holder connected to `pod`.
    pub async fn update(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: &PodName,
    ) -> Result<usize, EnergyError> {
        let saved = self.saved(store.as_ref(), pod).await?;
        let n = saved.len();
        for state in saved {
            self.spawn_pull(energy.clone(), store.clone(), pod.clone(), state);
        }
        Ok(n)
    }

    /// Forgets the connection of `meter` (a pull under way stops at its
    /// next window); `false` when there was none.
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
        let id = (pod.clone(), meter.to_owned());
        if matches!(
            self.status.lock().get(&id),
            Some(PullStatus::Running { .. })
        ) {
            self.dropped.lock().insert(id.clone());
        }
        self.status.lock().remove(&id);
        store.write(pod, Write::Index { key, value: None }).await?;
        Ok(true)
    }
}

/// Where pulled bodies go: the normal import path, and the connection saved
/// after each window.
struct PodSink<C> {
    energy: Arc<Energy>,
    store: Arc<dyn Backend>,
    pod: PodName,
    holder: Arc<Holder<C>>,
    meter: String,
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
        if self
            .holder
            .dropped
            .lock()
            .contains(&(self.pod.clone(), self.meter.clone()))
        {
            return Err("the resident disconnected this meter".into());
        }
        self.holder
            .save(self.store.as_ref(), &self.pod, state)
            .await?;
        Ok(())
    }

    fn progress(&mut self, done: usize, total: usize) {
        self.holder.status.lock().insert(
            (self.pod.clone(), self.meter.clone()),
            PullStatus::Running { done, total },
        );
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
    /// Enedis consents under way: `state` → (account, pod, started).
    pending: Mutex<HashMap<String, (i64, PodName, Instant)>>,
}

impl Connectors {
    pub fn new(settings: ConnectSettings) -> Result<Self, ConnectError> {
        Ok(Self {
            enedis: match settings.enedis {
                Some(c) => Some(Arc::new(Holder::new(HolderKind::Enedis, c)?)),
                None => None,
            },
            grdf: match settings.grdf {
                Some(c) => Some(Arc::new(Holder::new(HolderKind::Grdf, c)?)),
                None => None,
            },
            pull_hour: settings.pull_hour.min(23),
            pending: Mutex::new(HashMap::new()),
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

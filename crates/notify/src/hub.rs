//! The channels open on this server, and the one task that turns the
//! store's commits into their notifications.
//!
//! Each notification is sent only after checking, with the channel's own
//! credentials and origin, that it may still Read its topic (a cached WAC
//! decision); when a pod's ACLs change, every channel of that pod is
//! checked at once and the ones that lost Read are closed. A receiver is
//! handed notifications through a short queue: when it is full the channel
//! is closed, so a slow or dead receiver costs no one else anything.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use parking_lot::{Mutex, RwLock};
use selfdata_solid::uri::resource_uri;
use selfdata_solid::{AppState, Credentials};
use selfdata_store::{AuxKind, ChangeKind, Committed, PodName, ResourcePath, etag};
use selfdata_wac::ModeSet;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::activity::{Activity, Notification};
use crate::{Kind, Settings};

/// Who holds a channel: the credentials and origin its Read is checked with.
#[derive(Debug, Clone)]
pub struct Who {
    pub credentials: Option<Credentials>,
    /// Only the `Origin` of the subscribing request.
    pub headers: HeaderMap,
    /// What the per-agent limit counts: the WebID, or the anonymous
    /// caller's address.
    pub agent: String,
}

/// A resource of this server a channel follows (Read on it checked).
#[derive(Debug, Clone)]
pub struct Topic {
    pub pod: PodName,
    pub path: ResourcePath,
    pub uri: String,
}

/// One channel: a topic, who listens, and where its notifications go.
#[derive(Debug)]
pub struct Channel {
    /// Unguessable: it is the capability to receive (and to unsubscribe).
    pub id: String,
    pub kind: Kind,
    pub pod: PodName,
    pub topic: ResourcePath,
    pub topic_uri: String,
    pub who: Who,
    pub start_at_ms: Option<i64>,
    pub end_at_ms: i64,
    pub rate: Option<Duration>,
    pub state: Option<String>,
    /// Where a webhook channel sends its notifications.
    pub send_to: Option<crate::webhook::Receiver>,
    pub(crate) created: Instant,
    /// Where its notifications go once a receiver is connected ([`Hub::claim`]).
    sink: Mutex<Option<mpsc::Sender<Arc<str>>>>,
}

impl Channel {
    /// A channel living `lifetime` from now, with no `startAt`, `rate` or
    /// `state` (a subscription sets those it was asked for).
    pub fn new(kind: Kind, topic: Topic, who: Who, lifetime: Duration) -> Self {
        Self {
            id: hex::encode(rand::random::<[u8; 16]>()),
            kind,
            pod: topic.pod,
            topic: topic.path,
            topic_uri: topic.uri,
            who,
            start_at_ms: None,
            end_at_ms: now_ms().saturating_add(lifetime.as_millis() as i64),
            rate: None,
            state: None,
            send_to: None,
            created: Instant::now(),
            sink: Mutex::new(None),
        }
    }

    /// The channel's notification in its form: JSON-LD on a websocket,
    /// Turtle on a stream, `pub <topic>` on the legacy socket.
    pub fn render(&self, notification: &Notification) -> Arc<str> {
        match self.kind {
            Kind::WebSocket | Kind::Webhook => notification.to_json_ld().into(),
            Kind::Streaming => notification.to_turtle().into(),
            Kind::Legacy => format!("pub {}", self.topic_uri).into(),
        }
    }
}

/// Why a channel was not opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The agent holds its maximum.
    AgentLimit(usize),
    /// The server holds its maximum.
    ServerLimit,
}

#[derive(Default)]
struct Channels {
    by_id: HashMap<String, Arc<Channel>>,
    by_topic: HashMap<PodName, HashMap<ResourcePath, Vec<Arc<Channel>>>>,
    per_agent: HashMap<String, usize>,
}

/// The channels of one server.
pub struct Hub {
    pub(crate) state: AppState,
    pub(crate) settings: Settings,
    channels: RwLock<Channels>,
    /// The fenced client webhooks are sent with.
    pub(crate) webhooks: reqwest::Client,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("open", &self.open_channels())
            .finish()
    }
}

impl Hub {
    pub(crate) fn new(state: AppState, settings: Settings) -> Result<Self, reqwest::Error> {
        let webhooks = selfdata_connect::fence::fenced_client(
            settings.allow_http_webhooks,
            crate::webhook::TIMEOUT,
        )?;
        Ok(Self {
            state,
            settings,
            channels: RwLock::new(Channels::default()),
            webhooks,
        })
    }

    pub fn open_channels(&self) -> usize {
        self.channels.read().by_id.len()
    }

    /// Listens to the store's commits, and closes expired channels.
    pub(crate) fn spawn(self: Arc<Self>) {
        // Both tasks hold the hub weakly: once the server is dropped, so
        // is its store (and the data folder's lock with it).
        let commits = if self.settings.enabled {
            self.state.store().changes()
        } else {
            None
        };
        if let Some(mut commits) = commits {
            let hub = Arc::downgrade(&self);
            tokio::spawn(async move {
                loop {
                    match commits.recv().await {
                        Ok(committed) => match hub.upgrade() {
                            Some(hub) => hub.dispatch(&committed).await,
                            None => break,
                        },
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(
                                missed,
                                "notifications fell behind the store's commits; some were not sent"
                            );
                        }
                        Err(RecvError::Closed) => break,
                    }
                }
            });
        }
        let hub = Arc::downgrade(&self);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            // Sessions ended on another server since (with a margin for
            // clocks and commits in flight).
            let mut since = now_ms();
            loop {
                every.tick().await;
                let Some(hub) = hub.upgrade() else { break };
                let swept = hub.sweep_expired();
                if crate::shared::kept_here(&hub) {
                    hub.sweep_kept(swept).await;
                }
                let pods: Vec<PodName> = hub.channels.read().by_topic.keys().cloned().collect();
                if !pods.is_empty()
                    && let Err(e) = hub.state.store().listen(&pods).await
                {
                    tracing::warn!(error = %e, "other servers' changes may not be heard");
                }
                let now = now_ms();
                let ended = hub
                    .state
                    .authenticator()
                    .sessions_ended_since(since - 10_000)
                    .await;
                hub.close_sessions(&ended);
                since = now;
            }
        });
    }

    /// Opens a channel, within the limits, and says the store this server
    /// listens to its pod (commits other servers make to it are told then).
    pub async fn open(&self, channel: Channel) -> Result<Arc<Channel>, Refusal> {
        let channel = self.insert(channel)?;
        if let Err(e) = self
            .state
            .store()
            .listen(std::slice::from_ref(&channel.pod))
            .await
        {
            tracing::warn!(error = %e, "other servers' changes to a pod may not be heard");
        }
        Ok(channel)
    }

    fn insert(&self, channel: Channel) -> Result<Arc<Channel>, Refusal> {
        let channel = Arc::new(channel);
        let mut channels = self.channels.write();
        if channels.by_id.len() >= self.settings.max_channels {
            return Err(Refusal::ServerLimit);
        }
        let held = channels
            .per_agent
            .entry(channel.who.agent.clone())
            .or_default();
        if *held >= self.settings.max_per_agent {
            return Err(Refusal::AgentLimit(self.settings.max_per_agent));
        }
        *held += 1;
        channels
            .by_topic
            .entry(channel.pod.clone())
            .or_default()
            .entry(channel.topic.clone())
            .or_default()
            .push(channel.clone());
        channels.by_id.insert(channel.id.clone(), channel.clone());
        Ok(channel)
    }

    pub fn get(&self, id: &str) -> Option<Arc<Channel>> {
        self.channels.read().by_id.get(id).cloned()
    }

    /// Gives the channel its receiver's queue, unless a receiver is
    /// connected already (a channel has one receiver: a second socket is
    /// refused, and the first one keeps the channel).
    pub fn claim(&self, channel: &Channel) -> Option<mpsc::Receiver<Arc<str>>> {
        let (tx, rx) = mpsc::channel(self.settings.queue);
        self.connect(channel, tx).then_some(rx)
    }

    /// Connects the channel to a queue, shared or its own (the legacy
    /// socket's subscriptions all write to one connection); `false` when a
    /// receiver is connected already.
    pub fn connect(&self, channel: &Channel, tx: mpsc::Sender<Arc<str>>) -> bool {
        let mut sink = channel.sink.lock();
        if sink.as_ref().is_some_and(|s| !s.is_closed()) {
            return false;
        }
        *sink = Some(tx);
        true
    }

    /// Closes a channel: its receiver's connection ends.
    pub fn remove(&self, id: &str) -> Option<Arc<Channel>> {
        let mut channels = self.channels.write();
        let channel = channels.by_id.remove(id)?;
        if let Some(held) = channels.per_agent.get_mut(&channel.who.agent) {
            *held -= 1;
            if *held == 0 {
                channels.per_agent.remove(&channel.who.agent);
            }
        }
        if let Some(topics) = channels.by_topic.get_mut(&channel.pod) {
            if let Some(list) = topics.get_mut(&channel.topic) {
                list.retain(|c| c.id != channel.id);
                if list.is_empty() {
                    topics.remove(&channel.topic);
                }
            }
            if topics.is_empty() {
                channels.by_topic.remove(&channel.pod);
            }
        }
        drop(channels);
        channel.sink.lock().take();
        Some(channel)
    }

    /// Whether the channel's agent may still Read its topic, through a
    /// sign-in that was not ended since (an app the resident revoked hears
    /// nothing more, whatever the ACLs say).
    pub async fn may_read(&self, channel: &Channel) -> bool {
        if let Some(session) = channel
            .who
            .credentials
            .as_ref()
            .and_then(|c| c.session.as_deref())
            && self.state.authenticator().session_ended(session).await
        {
            return false;
        }
        let access = selfdata_solid::auth::Access::new(
            &self.state,
            &channel.pod,
            channel.who.credentials.clone(),
            &channel.who.headers,
        );
        match access.permissions(&channel.topic).await {
            Ok(p) => p.user.contains_all(ModeSet::READ),
            Err(_) => false,
        }
    }

    /// The notification a client that gave `state` is owed at once: the
    /// topic's entity tag differs from it (or the topic is gone).
    pub async fn owed(&self, channel: &Channel) -> Option<Notification> {
        let given = channel.state.as_deref()?;
        let now = now_ms();
        match self.state.store().meta(&channel.pod, &channel.topic).await {
            Ok(Some(meta)) if meta.etag() != given => Some(Notification {
                activity: Activity::Update,
                object: channel.topic_uri.clone(),
                target: None,
                state: Some(meta.etag()),
                published_ms: meta.modified_ms,
            }),
            Ok(None) => Some(Notification {
                activity: Activity::Delete,
                object: channel.topic_uri.clone(),
                target: None,
                state: None,
                published_ms: now,
            }),
            _ => None,
        }
    }

    /// Every channel concerned by one commit gets its notifications.
    /// Nothing is built for a change nobody follows: a pod without channels
    /// costs one map lookup per commit.
    async fn dispatch(&self, committed: &Committed) {
        let pod = &committed.pod;
        if !self.channels.read().by_topic.contains_key(pod) {
            return;
        }
        // A changed ACL, or a deleted resource (its ACL goes with it),
        // may take Read away: the cached decisions go (before any check
        // below, whatever the order the writer's caller clears them in).
        let rights_changed = committed.changes.iter().any(|c| {
            c.kind == ChangeKind::Deleted || c.path.auxiliary_kind() == Some(AuxKind::Acl)
        });
        if rights_changed {
            self.state.forget_pod(pod);
        }
        let base = &self.state.config().base_url;
        for change in &committed.changes {
            if change.path.auxiliary_kind().is_some() {
                continue;
            }
            let own_topic = self.listening(pod, &change.path);
            let parent = change.path.parent();
            let parent_topic = parent
                .as_ref()
                .map(|p| self.listening(pod, p))
                .unwrap_or_default();
            if own_topic.is_empty() && parent_topic.is_empty() {
                continue;
            }
            let uri = resource_uri(base, pod, &change.path);
            if !own_topic.is_empty() {
                let own = Notification {
                    activity: match change.kind {
                        ChangeKind::Created => Activity::Create,
                        ChangeKind::Updated => Activity::Update,
                        ChangeKind::Deleted => Activity::Delete,
                    },
                    object: uri.clone(),
                    target: None,
                    state: change.version.map(etag),
                    published_ms: committed.at_ms,
                };
                self.notify(own_topic, &own).await;
            }
            if let (Some(parent), false) = (parent, parent_topic.is_empty()) {
                let parent_uri = resource_uri(base, pod, &parent);
                let (activity, object, target) = match change.kind {
                    ChangeKind::Created => (Activity::Add, uri, Some(parent_uri)),
                    ChangeKind::Deleted => (Activity::Remove, uri, Some(parent_uri)),
                    ChangeKind::Updated => (Activity::Update, parent_uri, None),
                };
                let member = Notification {
                    activity,
                    object,
                    target,
                    state: change.parent_version.map(etag),
                    published_ms: committed.at_ms,
                };
                self.notify(parent_topic, &member).await;
            }
        }
        if rights_changed {
            self.recheck_pod(pod).await;
        }
    }

    fn listening(&self, pod: &PodName, topic: &ResourcePath) -> Vec<Arc<Channel>> {
        self.channels
            .read()
            .by_topic
            .get(pod)
            .and_then(|topics| topics.get(topic))
            .cloned()
            .unwrap_or_default()
    }

    /// One notification to the channels following its topic, rendered once
    /// per form (every websocket receiver gets the same bytes).
    async fn notify(&self, listening: Vec<Arc<Channel>>, notification: &Notification) {
        let now = now_ms();
        let mut rendered: [Option<Arc<str>>; 4] = Default::default();
        for channel in listening {
            if channel.end_at_ms <= now {
                self.remove(&channel.id);
                continue;
            }
            if channel.start_at_ms.is_some_and(|start| now < start) {
                continue;
            }
            if !self.keeps_read(&channel).await {
                continue;
            }
            let slot = &mut rendered[channel.kind as usize];
            let message = slot
                .get_or_insert_with(|| channel.render(notification))
                .clone();
            self.send(&channel, message);
        }
    }

    /// Hands a message to the channel's receiver without waiting.
    pub(crate) fn send(&self, channel: &Channel, message: Arc<str>) {
        let sink = channel.sink.lock().clone();
        let Some(sink) = sink else {
            return; // not connected yet: nothing is kept for later
        };
        match sink.try_send(message) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::info!(channel = %channel.id, "a receiver did not keep up; its channel is closed");
                self.remove(&channel.id);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.remove(&channel.id);
            }
        }
    }

    /// After an ACL change: every channel of the pod that lost Read closes now.
    async fn recheck_pod(&self, pod: &PodName) {
        let all: Vec<Arc<Channel>> = self
            .channels
            .read()
            .by_topic
            .get(pod)
            .map(|topics| topics.values().flatten().cloned().collect())
            .unwrap_or_default();
        for channel in all {
            self.keeps_read(&channel).await;
        }
    }

    /// Whether the channel may still Read its topic; closed when not.
    async fn keeps_read(&self, channel: &Channel) -> bool {
        let allowed = self.may_read(channel).await;
        if !allowed {
            tracing::info!(channel = %channel.id, "a channel lost Read on its topic; closed");
            self.remove(&channel.id);
        }
        allowed
    }

    /// The ids of the channels `keep` picks.
    fn ids_where(&self, keep: impl Fn(&Channel) -> bool) -> Vec<String> {
        self.channels
            .read()
            .by_id
            .values()
            .filter(|c| keep(c))
            .map(|c| c.id.clone())
            .collect()
    }

    /// Closes the channels opened in sessions that ended (on another server).
    fn close_sessions(&self, ended: &[String]) {
        if ended.is_empty() {
            return;
        }
        let ended: std::collections::HashSet<&str> = ended.iter().map(String::as_str).collect();
        let gone = self.ids_where(|c| {
            c.who
                .credentials
                .as_ref()
                .and_then(|c| c.session.as_deref())
                .is_some_and(|s| ended.contains(s))
        });
        for id in gone {
            tracing::info!(channel = %id, "a channel's session ended on another server; closed");
            self.remove(&id);
        }
    }

    /// For channels kept in their pods: forgets those swept here unless
    /// another server took their receiver, and closes the sockets held here
    /// of channels unsubscribed through another server.
    async fn sweep_kept(&self, swept: Vec<String>) {
        for id in swept {
            crate::shared::forget(self, &id, true).await;
        }
        let held: Vec<(PodName, String)> = self
            .channels
            .read()
            .by_id
            .values()
            .filter(|c| c.kind == Kind::WebSocket && c.sink.lock().is_some())
            .map(|c| (c.pod.clone(), c.id.clone()))
            .collect();
        for id in crate::shared::unsubscribed(self, &held).await {
            tracing::info!(channel = %id, "a channel was unsubscribed through another server; closed");
            self.remove(&id);
        }
    }

    /// Closes channels past their end, websocket channels never connected
    /// in time, and channels whose receiver went away; returns their ids.
    fn sweep_expired(&self) -> Vec<String> {
        let now = now_ms();
        let connect_within = self.settings.connect_within;
        let gone = self.ids_where(|c| {
            c.end_at_ms <= now
                || match c.sink.lock().as_ref() {
                    None => c.created.elapsed() >= connect_within,
                    Some(sink) => sink.is_closed(),
                }
        });
        for id in &gone {
            self.remove(id);
        }
        gone
    }
}

pub(crate) fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

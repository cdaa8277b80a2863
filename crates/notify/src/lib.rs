//! Solid Notifications: an app hears of every committed change to a
//! resource it may read, within a second, without polling.
//!
//! The store tells every commit ([`selfdata_store::Backend::changes`]); the
//! [`hub`] turns each change into Activity Streams notifications
//! ([`activity`]) for the channels whose topic is the resource or its
//! container, after checking again that the channel's agent may still
//! Read the topic. Three ways to receive them:
//! - [`websocket`]: `WebSocketChannel2023`, after a subscription
//!   ([`subscription`]) to `/.notifications/WebSocketChannel2023/`;
//! - [`streaming`]: `StreamingHTTPChannel2023`, a GET on the address each
//!   resource links with `rel="…#updatesViaStreamingHttp2023"`;
//! - [`webhook`]: `WebhookChannel2023`, after a subscription naming
//!   `sendTo`: each notification POSTed there, signed, retried with
//!   backoff and given up after a bound;
//! - [`legacy`]: the `solid-0.1` websocket named by `Updates-Via`.
//!
//! Nothing here ever holds up a write: the store's channel drops what a
//! lagging hub misses, and a channel whose receiver does not keep up is
//! closed (its client subscribes again).

pub mod activity;
mod hub;
pub mod legacy;
mod shared;
pub mod streaming;
pub mod subscription;
pub mod webhook;
pub mod websocket;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{delete, get, post};
use selfdata_solid::{AppState, NotificationsDiscovery, SubscriptionService};

pub use hub::Hub;

/// The first path segment of every notifications route. A pod can never
/// be named so (a pod name starts with a letter or digit).
pub const ROOT: &str = ".notifications";
/// The vocabulary of the Solid Notifications Protocol.
pub const NOTIFY: &str = "http://www.w3.org/ns/solid/notifications#";
/// The JSON-LD context the protocol defines; the older name is accepted too.
pub const CONTEXT: &str = "https://www.w3.org/ns/solid/notification/v1";
pub const CONTEXT_OLD: &str = "https://www.w3.org/ns/solid/notifications-context/v1";

/// The channel types served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    WebSocket,
    Streaming,
    Webhook,
    Legacy,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::WebSocket => "WebSocketChannel2023",
            Kind::Streaming => "StreamingHTTPChannel2023",
            Kind::Webhook => "WebhookChannel2023",
            Kind::Legacy => "solid-0.1",
        }
    }
}

/// Limits on what subscribers may hold.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Off: subscriptions are accepted and nothing is ever sent, and the
    /// store records no change (what the benchmark compares against).
    pub enabled: bool,
    /// Channels open on the server at once; beyond it a subscription is a 503.
    pub max_channels: usize,
    /// Channels one agent (a WebID, or an anonymous caller's address) may
    /// hold at once; beyond it a 429.
    pub max_per_agent: usize,
    /// The longest a channel lives (`endAt` is capped to it).
    pub max_lifetime: Duration,
    /// How long a subscribed websocket channel waits for its socket.
    pub connect_within: Duration,
    /// Notifications waiting for one receiver; a receiver this far behind
    /// is closed rather than ever slowing anyone else.
    pub queue: usize,
    /// Origins a webhook may be sent to besides the subscribing app's own
    /// (the origin of its Client ID), chosen by the operator.
    pub webhook_origins: Vec<String>,
    /// Webhooks to `http:` and loopback receivers (development and tests
    /// only; the operator's `--allow-http-client-ids`).
    pub allow_http_webhooks: bool,
    /// The waits between the tries of one webhook delivery; after the last
    /// one fails the notification is given up.
    pub webhook_backoff: Vec<Duration>,
    /// Notifications given up in a row before a webhook channel is closed.
    pub webhook_give_up_after: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            enabled: true,
            max_channels: 50_000,
            max_per_agent: 1_000,
            max_lifetime: Duration::from_secs(7 * 24 * 3600),
            connect_within: Duration::from_secs(5 * 60),
            queue: 64,
            webhook_origins: Vec::new(),
            allow_http_webhooks: false,
            webhook_backoff: [1, 4, 16, 60]
                .iter()
                .map(|s| Duration::from_secs(*s))
                .collect(),
            webhook_give_up_after: 3,
        }
    }
}

/// The notifications of one server.
#[derive(Clone, Debug)]
pub struct Notifications {
    hub: Arc<Hub>,
}

impl Notifications {
    /// Starts listening to the store's commits (needs a tokio runtime);
    /// fails only when no HTTP client for the webhooks can be made.
    /// Without an engine that tells its changes, subscriptions are accepted
    /// and nothing is ever sent; the embedded engine tells them.
    pub fn start(state: AppState, settings: Settings) -> Result<Self, reqwest::Error> {
        let hub = Arc::new(Hub::new(state, settings)?);
        hub.clone().spawn();
        Ok(Self { hub })
    }

    /// What the storage description and every resource say of them.
    pub fn discovery(base_url: &str) -> NotificationsDiscovery {
        let base = base_url.trim_end_matches('/');
        let feature = |f: &str| format!("{NOTIFY}{f}");
        NotificationsDiscovery {
            subscriptions: [Kind::WebSocket, Kind::Webhook]
                .iter()
                .map(|kind| SubscriptionService {
                    url: format!("{base}/{ROOT}/{}/", kind.name()),
                    channel_type: format!("{NOTIFY}{}", kind.name()),
                    features: subscription::FEATURES.iter().map(|f| feature(f)).collect(),
                })
                .collect(),
            streaming_prefix: Some(format!("{base}/{ROOT}/{}", Kind::Streaming.name())),
            updates_via: Some(format!("{}/{ROOT}/{}", ws_base(base), Kind::Legacy.name())),
        }
    }

    /// The routes, all under `/.notifications/`.
    pub fn router(&self) -> Router {
        let ws = Kind::WebSocket.name();
        let hook = Kind::Webhook.name();
        Router::new()
            .route(
                &format!("/{ROOT}/{ws}/"),
                post(subscription::subscribe_websocket).get(subscription::describe_websocket),
            )
            .route(
                &format!("/{ROOT}/{ws}/{{id}}"),
                get(websocket::receive).delete(subscription::unsubscribe),
            )
            .route(
                &format!("/{ROOT}/{hook}/"),
                post(subscription::subscribe_webhook).get(subscription::describe_webhook),
            )
            .route(
                &format!("/{ROOT}/{hook}/{{id}}"),
                delete(subscription::unsubscribe),
            )
            .route(
                &format!("/{ROOT}/{}/{{*topic}}", Kind::Streaming.name()),
                get(streaming::receive),
            )
            .route(
                &format!("/{ROOT}/{}", Kind::Legacy.name()),
                get(legacy::receive),
            )
            .with_state(self.hub.clone())
    }

    /// Channels open now.
    pub fn open_channels(&self) -> usize {
        self.hub.open_channels()
    }
}

/// `ws://` for `http://`, `wss://` for `https://`.
pub(crate) fn ws_base(base: &str) -> String {
    if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    }
}

//! The Solid Protocol over HTTP.
//!
//! [`router`] builds the whole HTTP surface: the pods' LDP resources and
//! containers ([`ldp`]), the health endpoint, CORS ([`cors`]), request ids and
//! structured logs. Handlers speak to storage only through
//! [`selfdata_store::Backend`] and decide access only through
//! [`auth::authorize`]. This crate knows HTTP and RDF, never SQL.

pub mod audit;
pub mod auth;
pub mod browser;
pub mod conneg;
mod container;
pub mod cors;
pub mod error;
pub mod ldp;
pub mod provision;
pub mod rejection;
pub mod uri;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderName, Request, header};
use axum::response::IntoResponse;
use axum::routing::get;
use selfdata_store::Backend;

pub use crate::auth::{Authenticator, Credentials};
/// The per-request RDF limits of [`Config::rdf_limits`].
pub use selfdata_rdf::Limits as RdfLimits;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;

/// Settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct Config {
    /// The public base URL, without a trailing slash (`https://pods.example.org`).
    pub base_url: String,
    /// Largest request body accepted, in bytes; above it the answer is 413.
    pub max_body_bytes: usize,
    /// How much RDF work one request may cause: triples parsed, triples per
    /// stored document (413 above it), SPARQL Update operations, matching
    /// steps and triples produced (422 above them).
    pub rdf_limits: selfdata_rdf::Limits,
    /// Where clients find the notifications (Solid Notifications Protocol):
    /// the subscription services named in the storage description, the
    /// streaming channel linked from every resource, the legacy websocket.
    /// `None`: the server offers none.
    pub notifications: Option<NotificationsDiscovery>,
}

/// How a client discovers the server's notifications.
#[derive(Debug, Clone, Default)]
pub struct NotificationsDiscovery {
    /// Each subscription service: listed in every storage description.
    pub subscriptions: Vec<SubscriptionService>,
    /// The prefix of a resource's `StreamingHTTPChannel2023` (its encoded
    /// pod path follows), linked with `rel="…#updatesViaStreamingHttp2023"`.
    pub streaming_prefix: Option<String>,
    /// The legacy `solid-0.1` websocket, sent as `Updates-Via`.
    pub updates_via: Option<String>,
}

/// One subscription service (`notify:subscription`) of the storage description.
#[derive(Debug, Clone)]
pub struct SubscriptionService {
    pub url: String,
    /// The channel type's IRI (`notify:WebSocketChannel2023`).
    pub channel_type: String,
    /// The features it supports, as IRIs (`notify:endAt`…).
    pub features: Vec<String>,
}

impl Config {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            max_body_bytes: 64 * 1024 * 1024,
            rdf_limits: selfdata_rdf::Limits::default(),
            notifications: None,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Backend>,
    authenticator: Arc<dyn Authenticator>,
    config: Config,
    acls: auth::AclCache,
    inbox: Option<Arc<dyn InboxHook>>,
    access_log: Option<Arc<dyn audit::AccessLogHook>>,
}

/// Takes over what is posted to a pod's inbox (`/{pod}/inbox/`) when it
/// recognises it, after access control allowed the POST: a meter export
/// posted by a holder or a script is imported rather than stored as is.
/// Returns `None` to let the post be stored as an ordinary resource.
#[async_trait::async_trait]
pub trait InboxHook: Send + Sync + 'static {
    async fn deliver(
        &self,
        pod: &selfdata_store::PodName,
        content_type: &str,
        body: &bytes::Bytes,
        credentials: Option<&Credentials>,
    ) -> Option<Result<axum::response::Response, ApiError>>;
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.inner.config)
            .finish()
    }
}

impl AppState {
    pub fn new(
        store: Arc<dyn Backend>,
        authenticator: Arc<dyn Authenticator>,
        config: Config,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                authenticator,
                config,
                acls: auth::AclCache::default(),
                inbox: None,
                access_log: None,
            }),
        }
    }

    /// The same state with an inbox hook; call before sharing the state.
    pub fn with_inbox_hook(mut self, hook: Arc<dyn InboxHook>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.inbox = Some(hook);
        }
        self
    }

    pub fn inbox_hook(&self) -> Option<&Arc<dyn InboxHook>> {
        self.inner.inbox.as_ref()
    }

    /// The same state with an access-log hook, told of every access
    /// decision; call before sharing the state.
    pub fn with_access_log_hook(mut self, hook: Arc<dyn audit::AccessLogHook>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.access_log = Some(hook);
        }
        self
    }

    pub fn access_log_hook(&self) -> Option<&Arc<dyn audit::AccessLogHook>> {
        self.inner.access_log.as_ref()
    }

    pub fn store(&self) -> &dyn Backend {
        self.inner.store.as_ref()
    }

    pub fn authenticator(&self) -> &dyn Authenticator {
        self.inner.authenticator.as_ref()
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// Forgets the cached ACLs and decisions of a pod (it was erased, or
    /// its ACLs were changed without going through this state).
    pub fn forget_pod(&self, pod: &selfdata_store::PodName) {
        self.inner.acls.forget_pod(pod);
    }

    pub(crate) fn acl_cache(&self) -> &auth::AclCache {
        &self.inner.acls
    }

    /// Applies a write to a pod the way the Solid API does, forgetting the
    /// pod's cached ACLs when it may change them, so the very next request
    /// is decided with the new rules. Built-in services that edit ACLs must
    /// write through here rather than through the store.
    pub async fn write(
        &self,
        pod: &selfdata_store::PodName,
        write: selfdata_store::Write,
    ) -> Result<selfdata_store::WriteOutcome, selfdata_store::StoreError> {
        let touches_acls = write.may_change_acls();
        let outcome = self.store().write(pod, write).await;
        if touches_acls {
            self.acl_cache().forget_pod(pod);
        }
        outcome
    }
}

/// The first path segment of the liveness check (`/health`).
pub const HEALTH: &str = "health";

/// The first path segments of this crate's own routes, which no pod may be named.
pub const ROUTE_ROOTS: &[&str] = &[HEALTH];

/// The whole HTTP application: the pods, plus `extra` routes (the identity
/// provider's), under the same layers (request ids, logs, CORS, panics).
pub fn router(state: AppState, extra: Router) -> Router {
    let request_id = HeaderName::from_static("x-request-id");
    let trace = TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
        let id = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
    });
    Router::new()
        .route(&format!("/{HEALTH}"), get(health))
        .fallback(ldp::handle)
        .with_state(state)
        .merge(extra)
        .layer(axum::middleware::from_fn(cors::layer))
        .layer(axum::middleware::from_fn(rejection::layer))
        .layer(axum::middleware::from_fn(browser::layer))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                tracing::error!("a handler panicked");
                ApiError::internal().into_response()
            },
        ))
        .layer(trace)
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, RequestIds::new()))
}

/// Request ids: a random prefix per process and a counter. A UUID per
/// request costs a `getrandom` system call (3–5 µs measured on a GET).
#[derive(Clone)]
struct RequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        let prefix: u32 = rand::random();
        Self {
            prefix: format!("{prefix:08x}").into(),
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        header::HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"status":"ok"}"#,
    )
}

//! Monitoring: what the operator's Prometheus scrapes, and the probes a
//! load balancer or an orchestrator asks. Served on a listener of its own
//! (`serve --metrics-addr`), never on the residents' address, so that load
//! figures stay on the operator's network:
//!
//! - `GET /metrics`: the Prometheus text format. Requests by route (the
//!   route's template, `(pod)` for the Solid API, so the labels stay few
//!   whatever the paths), method and status; their latency; open pods;
//!   import jobs under way; free disk space; sign-in failures; access
//!   tokens issued; access-log decisions waiting to be written; the
//!   notification channels open; the last backup (when it ended, how long
//!   it took, its bytes) and the backups that failed.
//! - `GET /health`: alive (200) as long as the process answers.
//! - `GET /ready`: ready (200) when the host database answers and the data
//!   folder's disk has room; 503 with the reason otherwise.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use selfdata_store::Directory;

use crate::App;

/// Below this much free space on the data folder's disk the server says it
/// is not ready (writes would soon be refused).
pub const READY_MIN_FREE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The server's metrics. Requests are counted as they end; the rest is
/// read when scraped.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    open_pods: Gauge,
    import_jobs: Gauge,
    disk_free: Gauge,
    sign_in_failures: Counter,
    tokens_issued: Counter,
    access_log_pending: Gauge,
    channels: Gauge,
    backup_last_success: Gauge,
    backup_last_duration: Gauge,
    backup_last_bytes: Gauge,
    backup_failures: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("selfdata");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let (open_pods, import_jobs, disk_free) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let (sign_in_failures, tokens_issued) = (Counter::default(), Counter::default());
        let (access_log_pending, channels) = (Gauge::default(), Gauge::default());
        let (backup_last_success, backup_last_duration, backup_last_bytes) =
            (Gauge::default(), Gauge::default(), Gauge::default());
        let backup_failures = Counter::default();
        registry.register(
            "backup_last_success_timestamp_seconds",
            "When the last backup that succeeded ended (Unix time; 0: none since start)",
            backup_last_success.clone(),
        );
        registry.register(
            "backup_last_duration_milliseconds",
            "How long the last backup that succeeded took",
            backup_last_duration.clone(),
        );
        registry.register(
            "backup_last_bytes",
            "Bytes the last backup that succeeded wrote",
            backup_last_bytes.clone(),
        );
        registry.register(
            "backup_failures",
            "Backups that failed",
            backup_failures.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by route, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request (to its headers), by route",
            latency.clone(),
        );
        registry.register("open_pods", "Pods open at once", open_pods.clone());
        registry.register(
            "import_jobs",
            "Import jobs under way (residents' uploads)",
            import_jobs.clone(),
        );
        registry.register(
            "disk_free_bytes",
            "Bytes still writable on the data folder's disk",
            disk_free.clone(),
        );
        registry.register(
            "sign_in_failures",
            "Sign-ins refused (wrong password or code, locked out, too many attempts)",
            sign_in_failures.clone(),
        );
        registry.register(
            "tokens_issued",
            "Access tokens issued, all grants together",
            tokens_issued.clone(),
        );
        registry.register(
            "access_log_pending_entries",
            "Access-log decisions waiting for their batch to be written",
            access_log_pending.clone(),
        );
        registry.register(
            "notification_channels",
            "Solid Notifications channels open",
            channels.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            open_pods,
            import_jobs,
            disk_free,
            sign_in_failures,
            tokens_issued,
            access_log_pending,
            channels,
            backup_last_success,
            backup_last_duration,
            backup_last_bytes,
            backup_failures,
        }
    }
}

/// The route a request matched, as its template: few labels, whatever the
/// paths asked.
fn route_of(request: &Request) -> String {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(pod)".to_owned(), |m| m.as_str().to_owned())
}

fn method_of(request: &Request) -> String {
    use axum::http::Method;
    let m = request.method();
    let known = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    if known.contains(m) {
        m.as_str().to_owned()
    } else {
        "other".to_owned()
    }
}

/// Counts a request and its latency (a middleware on every route).
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let (route, method) = (route_of(&request), method_of(&request));
    let started = Instant::now();
    let response = next.run(request).await;
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16().to_string(),
        })
        .inc();
    response
}

/// What the monitoring listener answers.
pub fn router(app: &App) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/health", get(|| async { "alive\n" }))
        .route("/ready", get(ready))
        .with_state(Watched {
            metrics: app.metrics.clone(),
            store: app.store.clone(),
            idp: app.idp.clone(),
            context: app.context.clone(),
            access_log: app.access_log.clone(),
            notifications: app.notifications.clone(),
            backups: app.backups.status.clone(),
            data: app.options.data.clone(),
        })
}

/// What a scrape reads.
#[derive(Clone)]
struct Watched {
    metrics: Arc<Metrics>,
    store: Arc<selfdata_store::sqlite::SqliteBackend>,
    idp: Arc<selfdata_idp::Idp>,
    context: Arc<selfdata_service::Context>,
    access_log: Arc<selfdata_privacy_web::log::AccessLog>,
    notifications: selfdata_notify::Notifications,
    backups: Arc<crate::backup::Status>,
    data: std::path::PathBuf,
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Brings a counter kept elsewhere (an atomic) up to its value.
fn catch_up(counter: &Counter, value: u64) {
    let known = counter.get();
    if value > known {
        counter.inc_by(value - known);
    }
}

async fn scrape(State(w): State<Watched>) -> Response {
    let m = &w.metrics;
    m.open_pods.set(to_i64(w.store.open_pods() as u64));
    m.import_jobs.set(to_i64(w.context.jobs.under_way() as u64));
    m.disk_free.set(to_i64(
        selfdata_store::sys::available_space(&w.data).unwrap_or(0),
    ));
    let counters = w.idp.counters();
    catch_up(
        &m.sign_in_failures,
        counters.sign_in_failures.load(Ordering::Relaxed),
    );
    catch_up(
        &m.tokens_issued,
        counters.tokens_issued.load(Ordering::Relaxed),
    );
    m.access_log_pending
        .set(to_i64(w.access_log.pending_entries() as u64));
    m.channels
        .set(to_i64(w.notifications.open_channels() as u64));
    let b = &w.backups;
    m.backup_last_success
        .set(b.last_success_ms.load(Ordering::Relaxed) / 1000);
    m.backup_last_duration
        .set(to_i64(b.last_duration_ms.load(Ordering::Relaxed)));
    m.backup_last_bytes
        .set(to_i64(b.last_bytes.load(Ordering::Relaxed)));
    catch_up(&m.backup_failures, b.failures.load(Ordering::Relaxed));
    let mut text = String::new();
    if prometheus_client::encoding::text::encode(&mut text, &m.registry).is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

async fn ready(State(w): State<Watched>) -> Response {
    let free = selfdata_store::sys::available_space(&w.data).unwrap_or(0);
    if free < READY_MIN_FREE_BYTES {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "not ready: {free} bytes free on the data folder's disk, under {READY_MIN_FREE_BYTES}\n"
            ),
        )
            .into_response();
    }
    let directory: &dyn Directory = w.store.as_ref();
    if let Err(e) = directory.operators().await {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: the host database does not answer: {e}\n"),
        )
            .into_response();
    }
    "ready\n".into_response()
}

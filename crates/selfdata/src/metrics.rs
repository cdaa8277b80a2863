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
//!
//! The same readings are drawn for an operator without a monitoring stack
//! (a small town, a cooperative) on the console's health page,
//! `/app/operator/health`, behind the operator's sign-in on the residents'
//! address: whether the server is ready and why not, the disk, the last
//! backup and whether it is overdue, pods and accounts, work under way,
//! sign-in failures and tokens since the start.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use askama::Template;
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
use selfdata_site::{Chrome, Lang, MenuEntry, Operator, PageError, Say, page};
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
    started: Instant,
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
            started: Instant::now(),
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
        .with_state(Watched::of(app))
}

/// The console's health page (to be wrapped by the site's layer).
pub fn console_routes(app: &App) -> Router {
    Router::new()
        .route(HEALTH_MENU.href, get(health_page))
        .with_state(Watched::of(app))
}

/// The health page's entry in the operator's console.
pub const HEALTH_MENU: MenuEntry = MenuEntry {
    href: "/app/operator/health",
    label: Say::new("État du serveur", "Server health"),
};

/// What a scrape reads.
#[derive(Clone)]
struct Watched {
    metrics: Arc<Metrics>,
    store: Arc<dyn selfdata_store::Storage>,
    /// The embedded engine, when it is the one (its open pods).
    embedded: Option<Arc<selfdata_store::sqlite::SqliteBackend>>,
    idp: Arc<selfdata_idp::Idp>,
    context: Arc<selfdata_service::Context>,
    access_log: Arc<selfdata_privacy_web::log::AccessLog>,
    notifications: selfdata_notify::Notifications,
    backups: Arc<crate::backup::Status>,
    data: std::path::PathBuf,
}

impl Watched {
    fn of(app: &App) -> Self {
        Watched {
            metrics: app.metrics.clone(),
            store: app.store.clone(),
            embedded: app.embedded.clone(),
            idp: app.idp.clone(),
            context: app.context.clone(),
            access_log: app.access_log.clone(),
            notifications: app.notifications.clone(),
            backups: app.backups.status.clone(),
            data: app.options.data.clone(),
        }
    }

    /// What is read now (the request counters aside).
    fn read(&self) -> Reading {
        let counters = self.idp.counters();
        let b = &self.backups;
        Reading {
            open_pods: self.embedded.as_ref().map_or(0, |s| s.open_pods()) as u64,
            import_jobs: self.context.jobs.under_way() as u64,
            disk_free: selfdata_store::sys::available_space(&self.data).unwrap_or(0),
            disk_total: selfdata_store::sys::total_space(&self.data).unwrap_or(0),
            sign_in_failures: counters.sign_in_failures.load(Ordering::Relaxed),
            tokens_issued: counters.tokens_issued.load(Ordering::Relaxed),
            access_log_pending: self.access_log.pending_entries() as u64,
            channels: self.notifications.open_channels() as u64,
            backup_last_success_ms: b.last_success_ms.load(Ordering::Relaxed),
            backup_last_duration_ms: b.last_duration_ms.load(Ordering::Relaxed),
            backup_last_bytes: b.last_bytes.load(Ordering::Relaxed),
            backup_failures: b.failures.load(Ordering::Relaxed),
            backup_every_secs: b.every_secs.load(Ordering::Relaxed),
        }
    }

    /// Whether the server can take residents' writes; why not otherwise.
    async fn readiness(&self, free: u64) -> Result<(), String> {
        if free < READY_MIN_FREE_BYTES {
            return Err(format!(
                "{free} bytes free on the data folder's disk, under {READY_MIN_FREE_BYTES}"
            ));
        }
        let directory: &dyn Directory = self.store.as_ref();
        directory
            .operators()
            .await
            .map(|_| ())
            .map_err(|e| format!("the host database does not answer: {e}"))
    }
}

/// The figures of one reading.
struct Reading {
    open_pods: u64,
    import_jobs: u64,
    disk_free: u64,
    disk_total: u64,
    sign_in_failures: u64,
    tokens_issued: u64,
    access_log_pending: u64,
    channels: u64,
    backup_last_success_ms: i64,
    backup_last_duration_ms: u64,
    backup_last_bytes: u64,
    backup_failures: u64,
    backup_every_secs: u64,
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
    let r = w.read();
    m.open_pods.set(to_i64(r.open_pods));
    m.import_jobs.set(to_i64(r.import_jobs));
    m.disk_free.set(to_i64(r.disk_free));
    catch_up(&m.sign_in_failures, r.sign_in_failures);
    catch_up(&m.tokens_issued, r.tokens_issued);
    m.access_log_pending.set(to_i64(r.access_log_pending));
    m.channels.set(to_i64(r.channels));
    m.backup_last_success.set(r.backup_last_success_ms / 1000);
    m.backup_last_duration
        .set(to_i64(r.backup_last_duration_ms));
    m.backup_last_bytes.set(to_i64(r.backup_last_bytes));
    catch_up(&m.backup_failures, r.backup_failures);
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
    match w.readiness(free).await {
        Ok(()) => "ready\n".into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response(),
    }
}

/// One line of the health page.
struct Line {
    label: &'static str,
    value: String,
    /// Something the operator should look at.
    warn: bool,
}

#[derive(Template)]
#[template(path = "operator_health.html")]
struct HealthPage {
    chrome: Chrome,
    title: &'static str,
    back: &'static str,
    ready: Result<(), String>,
    ready_word: &'static str,
    disk_label: &'static str,
    disk_used: u64,
    disk_total: u64,
    disk_text: String,
    lines: Vec<Line>,
}

/// `GET /app/operator/health`.
async fn health_page(
    State(w): State<Watched>,
    chrome: Chrome,
    _me: Operator,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let fr = lang == Lang::Fr;
    let say = |f: &'static str, e: &'static str| Say::new(f, e).in_(lang);
    let r = w.read();
    let ready = w.readiness(r.disk_free).await;
    let directory: &dyn Directory = w.store.as_ref();
    let (_, accounts) = directory
        .find_accounts("", 0)
        .await
        .map_err(PageError::internal)?;
    let pods = selfdata_store::Backend::list_pods(w.store.as_ref())
        .await
        .map_err(PageError::internal)?
        .len() as u64;
    let n = |v: u64| selfdata_site::count(v, lang);
    let now_ms = jiff::Timestamp::now().as_millisecond();
    let since_start = w.metrics.started.elapsed().as_secs();
    let backup = if r.backup_last_success_ms == 0 {
        say("aucune depuis le démarrage", "none since the start").to_owned()
    } else {
        let ago_h = (now_ms - r.backup_last_success_ms).max(0) / 3_600_000;
        let when = selfdata_idp::operate::paris_minute(r.backup_last_success_ms);
        let size = selfdata_site::human_bytes(r.backup_last_bytes);
        let secs = r.backup_last_duration_ms / 1000;
        if fr {
            format!("{when} (il y a {ago_h} h), {size} écrits, {secs} s")
        } else {
            format!("{when} ({ago_h} h ago), {size} written, {secs} s")
        }
    };
    // Overdue: none or older than twice the schedule, when there is one.
    let overdue = r.backup_every_secs > 0
        && (r.backup_last_success_ms == 0 && since_start > 2 * r.backup_every_secs
            || r.backup_last_success_ms > 0
                && (now_ms - r.backup_last_success_ms) / 1000 > 2 * r.backup_every_secs as i64);
    let schedule = match r.backup_every_secs {
        0 => say(
            "aucun calendrier (selfdata backup, ou serve --backup-every-hours)",
            "no schedule (selfdata backup, or serve --backup-every-hours)",
        )
        .to_owned(),
        s if fr => format!("toutes les {} h", s / 3600),
        s => format!("every {} h", s / 3600),
    };
    let lines = vec![
        Line {
            label: say("Version", "Version"),
            value: env!("CARGO_PKG_VERSION").to_owned(),
            warn: false,
        },
        Line {
            label: say("En marche depuis", "Up for"),
            value: format!("{} h {} min", since_start / 3600, since_start / 60 % 60),
            warn: false,
        },
        Line {
            label: say("Dernière sauvegarde", "Last backup"),
            value: backup,
            warn: overdue,
        },
        Line {
            label: say("Sauvegardes", "Backups"),
            value: schedule,
            warn: false,
        },
        Line {
            label: say(
                "Sauvegardes échouées depuis le démarrage",
                "Backups failed since the start",
            ),
            value: n(r.backup_failures),
            warn: r.backup_failures > 0,
        },
        Line {
            label: say("Comptes", "Accounts"),
            value: n(accounts),
            warn: false,
        },
        Line {
            label: say("Espaces (ouverts en ce moment)", "Pods (open now)"),
            value: format!("{} ({})", n(pods), n(r.open_pods)),
            warn: false,
        },
        Line {
            label: say("Imports en cours", "Imports under way"),
            value: n(r.import_jobs),
            warn: false,
        },
        Line {
            label: say(
                "Connexions refusées depuis le démarrage",
                "Sign-ins refused since the start",
            ),
            value: n(r.sign_in_failures),
            warn: false,
        },
        Line {
            label: say(
                "Jetons d'accès émis depuis le démarrage",
                "Access tokens issued since the start",
            ),
            value: n(r.tokens_issued),
            warn: false,
        },
        Line {
            label: say(
                "Entrées du journal d'accès en attente",
                "Access-log entries waiting",
            ),
            value: n(r.access_log_pending),
            warn: false,
        },
        Line {
            label: say(
                "Canaux de notification ouverts",
                "Notification channels open",
            ),
            value: n(r.channels),
            warn: false,
        },
    ];
    let used = r.disk_total.saturating_sub(r.disk_free);
    let disk_text = if fr {
        format!(
            "{} libres sur {}",
            selfdata_site::human_bytes(r.disk_free),
            selfdata_site::human_bytes(r.disk_total)
        )
    } else {
        format!(
            "{} free of {}",
            selfdata_site::human_bytes(r.disk_free),
            selfdata_site::human_bytes(r.disk_total)
        )
    };
    let ready_word = match (&ready, fr) {
        (Ok(()), true) => "Prêt : les écritures des résidents sont acceptées.",
        (Ok(()), false) => "Ready: residents' writes are taken.",
        (Err(_), true) => "Pas prêt :",
        (Err(_), false) => "Not ready:",
    };
    Ok(page(
        StatusCode::OK,
        HealthPage {
            title: HEALTH_MENU.label.in_(lang),
            back: say("Retour à la console", "Back to the console"),
            chrome,
            ready,
            ready_word,
            disk_label: say("Disque du dossier de données", "The data folder's disk"),
            disk_used: used,
            disk_total: r.disk_total.max(1),
            disk_text,
            lines,
        }
        .render(),
    ))
}

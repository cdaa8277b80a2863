//! The two aggregators of a collective study, and the client that reaches them.
//!
//! `selfdata aggregator --role leader` and `--role helper` are two processes,
//! each with its own database ([`db`]) and HPKE key, meant to be run by two
//! organisations that do not collude (the city and a university, say). The
//! participants' server uploads each report to the leader ([`leader`]); the
//! leader verifies and adds reports in aggregation jobs with the helper
//! ([`helper`]); the collector asks the leader for the result, and gets two
//! totals sealed to its own key, only when the task's minimum number of
//! reports is reached. The flow is DAP's (draft-ietf-ppm-dap); where it
//! diverges is said in `selfdata_studies::dap`.
//!
//! Who may call what: the collector's token (the `admin` token, which the
//! participants' server holds) provisions tasks, uploads reports and collects;
//! the peer token, derived from the secret the two operators share, is the
//! only way into the helper's aggregation endpoints. Every token is checked
//! before a body is read.

pub mod client;
pub mod db;
mod helper;
mod leader;

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use selfdata_studies::dap::{self, HpkeKeypair, Task};
use serde::Serialize;

use crate::db::Db;

/// Which of the two an aggregator is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Leader,
    Helper,
}

/// What an aggregator is started with.
#[derive(Debug, Clone)]
pub struct Config {
    pub role: Role,
    /// The leader's: the helper's address (`http://host:port`).
    pub peer_url: Option<String>,
    /// The secret the two operators share (the verification keys and the
    /// leader's token are derived from it).
    pub peer_secret: Vec<u8>,
    /// The collector's token.
    pub admin_token: String,
}

/// Why an aggregator refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AggregatorError {
    #[error("the database failed: {0}")]
    Database(String),
    #[error("there is no such task")]
    NoTask,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Refused(String),
    #[error("the other aggregator could not be reached or refused: {0}")]
    Peer(String),
    #[error(transparent)]
    Studies(#[from] selfdata_studies::Error),
}

/// The largest task description an aggregator reads.
pub const MAX_TASK_BYTES: usize = 64 * 1024;
/// The most reports one upload may hold, and its largest body (a report of
/// a histogram of 1,000 buckets is about 50 KiB).
pub const MAX_UPLOAD_REPORTS: usize = 1000;
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;
/// The largest aggregation job or task description it reads.
pub const MAX_JOB_BYTES: usize = 64 * 1024 * 1024;
/// Reports per aggregation job.
pub const JOB_SIZE: usize = 500;

pub(crate) struct Shared {
    pub config: Config,
    pub db: Db,
    pub keypair: HpkeKeypair,
    pub http: reqwest::Client,
    /// Wakes the leader's worker (a report or a collection arrived).
    pub wake: tokio::sync::Notify,
    /// The helper answers one job at a time, so a report sent in two jobs at
    /// once is still added once.
    pub jobs: tokio::sync::Mutex<()>,
}

/// An aggregator ready to serve.
#[derive(Clone)]
pub struct Aggregator {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregator")
            .field("role", &self.shared.config.role)
            .finish_non_exhaustive()
    }
}

impl Aggregator {
    /// Opens the aggregator's database (made on first start, with its key).
    pub fn open(config: Config, db_path: &std::path::Path) -> Result<Aggregator, AggregatorError> {
        if config.role == Role::Leader && config.peer_url.is_none() {
            return Err(AggregatorError::Refused(
                "the leader needs the helper's address (--peer-url)".into(),
            ));
        }
        if config.peer_secret.len() < 16 || config.admin_token.len() < 16 {
            return Err(AggregatorError::Refused(
                "the peer secret and the collector's token are at least 16 characters".into(),
            ));
        }
        let db = Db::open(db_path)?;
        let keypair = db.keypair()?;
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .build()
            .map_err(|e| AggregatorError::Peer(e.to_string()))?;
        Ok(Aggregator {
            shared: Arc::new(Shared {
                config,
                db,
                keypair,
                http,
                wake: tokio::sync::Notify::new(),
                jobs: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// The routes of this aggregator's role.
    pub fn router(&self) -> Router {
        let common = Router::new()
            .route("/hpke_config", get(hpke_config))
            .route("/tasks/{task}", put(put_task).get(get_task))
            .layer(DefaultBodyLimit::max(MAX_TASK_BYTES));
        let role = match self.shared.config.role {
            Role::Leader => Router::new()
                .route(
                    "/tasks/{task}/reports",
                    put(leader::upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES)),
                )
                .route(
                    "/tasks/{task}/collection_jobs/{job}",
                    put(leader::start_collection).get(leader::poll_collection),
                ),
            Role::Helper => Router::new()
                .route(
                    "/tasks/{task}/aggregation_jobs/{job}",
                    put(helper::aggregation_job).layer(DefaultBodyLimit::max(MAX_JOB_BYTES)),
                )
                .route(
                    "/tasks/{task}/aggregate_shares",
                    post(helper::aggregate_share),
                ),
        };
        common
            .merge(role)
            .fallback(|| async {
                Problem::new(StatusCode::NOT_FOUND, "notFound", "Nothing is here.")
            })
            .method_not_allowed_fallback(|| async {
                Problem::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "methodNotAllowed",
                    "This address does not take this method.",
                )
            })
            .with_state(self.shared.clone())
    }

    /// The leader's background work: aggregation jobs with the helper and
    /// collections. Returns at once for the helper.
    pub fn spawn_worker(&self) {
        if self.shared.config.role == Role::Leader {
            tokio::spawn(leader::worker(self.shared.clone()));
        }
    }
}

/// An RFC 9457 problem, with DAP's error type where DAP names one.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    kind: &'static str,
    detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            kind,
            detail: detail.into(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        #[derive(Serialize)]
        struct Body<'a> {
            #[serde(rename = "type")]
            kind: String,
            title: &'a str,
            status: u16,
            detail: &'a str,
        }
        let body = Body {
            kind: format!("urn:ietf:params:ppm:dap:error:{}", self.kind),
            title: self.status.canonical_reason().unwrap_or("Error"),
            status: self.status.as_u16(),
            detail: &self.detail,
        };
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            serde_json::to_string(&body).unwrap_or_default(),
        )
            .into_response()
    }
}

impl From<AggregatorError> for Problem {
    fn from(e: AggregatorError) -> Problem {
        match e {
            AggregatorError::NoTask => Problem::new(
                StatusCode::NOT_FOUND,
                "unrecognizedTask",
                "There is no such task.",
            ),
            AggregatorError::Conflict(d) => Problem::new(StatusCode::CONFLICT, "conflict", d),
            AggregatorError::Refused(d) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalidMessage", d)
            }
            AggregatorError::Studies(e) => {
                Problem::new(StatusCode::BAD_REQUEST, "invalidMessage", e.to_string())
            }
            e @ (AggregatorError::Database(_) | AggregatorError::Peer(_)) => {
                tracing::error!(error = %e, "aggregator failure");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "The aggregator cannot answer now; try again later.",
                )
            }
        }
    }
}

/// A body, or a problem saying why it was not read.
pub(crate) fn body(
    bytes: Result<axum::body::Bytes, BytesRejection>,
) -> Result<axum::body::Bytes, Problem> {
    bytes.map_err(|e| {
        Problem::new(
            e.status(),
            "invalidMessage",
            format!("The body could not be read: {}.", e.body_text()),
        )
    })
}

/// A JSON body of the expected shape, or a problem naming what is wrong.
pub(crate) fn json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            format!("The message is not of the expected shape: {e}."),
        )
    })
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

fn unauthorized() -> Problem {
    Problem::new(
        StatusCode::UNAUTHORIZED,
        "unauthorizedRequest",
        "This request needs a valid token.",
    )
}

/// The collector (the participants' server), by its token.
pub(crate) struct Admin;

impl FromRequestParts<Arc<Shared>> for Admin {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<Shared>) -> Result<Self, Problem> {
        match bearer(parts) {
            Some(t) if same(t.as_bytes(), s.config.admin_token.as_bytes()) => Ok(Admin),
            _ => Err(unauthorized()),
        }
    }
}

/// The leader, by the token derived from the shared secret.
pub(crate) struct Peer;

impl FromRequestParts<Arc<Shared>> for Peer {
    type Rejection = Problem;
    async fn from_request_parts(parts: &mut Parts, s: &Arc<Shared>) -> Result<Self, Problem> {
        let expected = dap::peer_token(&s.config.peer_secret);
        match bearer(parts) {
            Some(t) if same(t.as_bytes(), expected.as_bytes()) => Ok(Peer),
            _ => Err(unauthorized()),
        }
    }
}

pub(crate) fn ok_json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_string(value).unwrap_or_default(),
    )
        .into_response()
}

async fn hpke_config(State(s): State<Arc<Shared>>) -> Response {
    ok_json(StatusCode::OK, &s.keypair.config)
}

async fn put_task(
    _: Admin,
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
    bytes: Result<axum::body::Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let task: Task = json(&body(bytes)?)?;
    if task.id != id {
        return Err(Problem::new(
            StatusCode::BAD_REQUEST,
            "invalidMessage",
            "The task's id differs from the address's.",
        ));
    }
    task.check().map_err(AggregatorError::from)?;
    let created = s.db.put_task(&task)?;
    if created {
        tracing::info!(task = %task.id, "task provisioned");
    }
    Ok(ok_json(
        if created {
            StatusCode::CREATED
        } else {
            StatusCode::OK
        },
        &task,
    ))
}

/// What the collector may know of a task before its result: counts only.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct TaskStatus {
    pub reports_added: u64,
    pub reports_rejected: u64,
    pub reports_waiting: u64,
    pub collected: bool,
}

async fn get_task(
    _: Admin,
    State(s): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let row = s.db.task(&id)?.ok_or(AggregatorError::NoTask)?;
    Ok(ok_json(
        StatusCode::OK,
        &TaskStatus {
            reports_added: row.report_count,
            reports_rejected: row.rejected,
            reports_waiting: s.db.pending_count(&id)?,
            collected: row.collected,
        },
    ))
}

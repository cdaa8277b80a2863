//! `POST /holders/v1/pushes`: a holder pushes one export covering many
//! customers.
//!
//! ```text
//! POST /holders/v1/pushes
//! Authorization: Basic base64(<holder id>:<client secret>)
//! Idempotency-Key: 2026-12-05-daily
//! Content-Type: text/csv
//!
//! Numéro de compteur;Date de relevé;Index relevé (litres);Consommation du jour (litres);…
//! ```
//!
//! In order: the holder is authenticated (401 otherwise, before any of
//! the body is read); a holder that registered a signing key must send a
//! `Holder-Signature` header (403 otherwise, before the body;
//! [`selfdata_holders::signing`]), checked against the body once it has
//! arrived whole, before anything is delivered; the idempotency key is looked up (a push already
//! answered gets its receipt again, `Idempotent-Replayed: true`, and
//! delivers nothing; one under way is a 409); the connected customers are
//! loaded; the body is split as it streams, rows of customers who are not
//! connected dropped unread; for each connected customer, the consent
//! record in their pod is read *now* and, if it is still given, their rows
//! are imported through the pipeline; the receipt is signed, kept under
//! the key, and answered:
//!
//! ```json
//! {"push": "…", "rows": 1000, "delivered": 300, "skipped": 699, "failed": 1,
//!  "failures": [{"line": 17, "why": "…"}], "receipt": "<signed note>",
//!  "verifier_key": "pods.example.org/receipts+…"}
//! ```
//!
//! A holder registered with the file-per-customer layout sends instead a
//! `multipart/form-data` body, one part per customer's file
//! ([`crate::per_customer`]); its answer counts `parts` and names failures
//! by `part`.
//!
//! Every error is problem+json with a sentence.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::task::JoinSet;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use http_body_util::BodyExt;
use jiff::Timestamp;
use selfdata_holders::receipt::{Failure, Receipt, Unit};
use selfdata_holders::signing::{self, PushKey, SignatureError};
use selfdata_holders::split::{Caps, Splitter};
use selfdata_service::intake::ImportFailure;
use selfdata_service::upload::Upload;
use selfdata_solid::Credentials;
use selfdata_solid::audit::AccessEvent;
use selfdata_solid::error::ApiError;
use selfdata_store::holders::{Delivery, Holder, Layout, Link, PushState};
use selfdata_store::{PodName, ResourcePath};
use sha2::{Digest, Sha256};

use crate::HoldersApp;

/// A push under way for longer than this is taken to have died with its server.
const STALE_AFTER_MS: i64 = 60 * 60 * 1000;

/// At most this many failures are listed in a receipt (all are counted).
pub(crate) const MAX_FAILURES_LISTED: usize = 1000;

fn unauthorised() -> ApiError {
    let mut e = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "This endpoint is for registered data holders: send your client id and secret with HTTP Basic authentication.",
    );
    e.headers.push((
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"selfdata holders\", charset=\"UTF-8\""),
    ));
    e
}

/// The holder the request's Basic credentials name, if the secret is right.
pub async fn authenticate(app: &HoldersApp, headers: &HeaderMap) -> Result<Holder, ApiError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, rest) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("basic").then_some(rest.trim())
        })
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(unauthorised)?;
    let (id, secret) = basic.split_once(':').ok_or_else(unauthorised)?;
    if !selfdata_holders::valid_holder_id(id) {
        return Err(unauthorised());
    }
    let holder = app
        .registry
        .holder(id)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(unauthorised)?;
    if !selfdata_holders::secret_matches(secret, &holder.secret_hash) {
        return Err(unauthorised());
    }
    Ok(holder)
}

/// `GET /holders/v1/receipt-key`: the key that checks receipts.
pub async fn receipt_key(State(app): State<Arc<HoldersApp>>) -> Response {
    let mut r = format!("{}\n", app.verifier_key()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The access log's name for a holder.
pub fn holder_agent(app: &HoldersApp, id: &str) -> String {
    format!("{}/holders/v1/{id}", app.ctx.base_url())
}

fn log(app: &HoldersApp, holder: &Holder, pod: &PodName, path: &str, allowed: bool) {
    let (Some(hook), Ok(path)) = (
        app.ctx.solid.access_log_hook(),
        ResourcePath::parse(&format!("/{}", path.trim_start_matches('/'))),
    ) else {
        return;
    };
    let credentials = Credentials {
        webid: holder_agent(app, &holder.id),
        client_id: Some(holder.id.clone()),
        session: None,
    };
    hook.record(&AccessEvent {
        pod,
        path: &path,
        credentials: Some(&credentials),
        modes: selfdata_solid::audit::ModeSet::APPEND,
        allowed,
    });
}

/// `POST /holders/v1/pushes`.
pub async fn push(State(app): State<Arc<HoldersApp>>, request: Request) -> Response {
    match run(&app, request).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(app: &Arc<HoldersApp>, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let holder = authenticate(app, headers).await?;
    if holder.receives_only() {
        drain(body, LINGER_BYTES, Some(LINGER_TIME)).await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "This organisation is registered to receive what residents give it, not to deliver: it has nothing to push.",
        ));
    }
    match begin(app, &holder, headers).await {
        Ok(Begun::Started(key)) => deliver_push(app, &holder, key, parts, body).await,
        Ok(Begun::Replay(receipt)) => {
            // Read (and drop) the body sent again before answering: a
            // client still writing it would see a broken connection, not
            // its receipt.
            drain(body, holder.limits.max_push_bytes(), None).await;
            let mut r = answer(app, &receipt)?;
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(r)
        }
        Err(e) => {
            // The holder is known: what it is still sending is read and
            // dropped (bounded), so that it gets this answer rather than a
            // reset connection.
            drain(body, LINGER_BYTES, Some(LINGER_TIME)).await;
            Err(e)
        }
    }
}

/// What a refused push of a known holder still sends is read and dropped,
/// up to this much and this long.
const LINGER_BYTES: u64 = 64 * 1024 * 1024;
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// A push begun, or answered before its body.
enum Begun {
    Started(String),
    Replay(String),
}

/// The checks of an authenticated push before its body: its key, its
/// declared size, its holder's limits, and whether it was seen before.
async fn begin(app: &HoldersApp, holder: &Holder, headers: &HeaderMap) -> Result<Begun, ApiError> {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.trim().trim_matches('"').to_owned())
        .filter(|k| selfdata_holders::valid_idempotency_key(k))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "Send an Idempotency-Key header (1 to 128 visible characters, no space) naming this push, so that a retry delivers nothing twice.",
            )
        })?;
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > holder.limits.max_push_bytes()
    {
        return Err(too_large(holder));
    }
    // A holder that registered a signing key sends the signature of a CSV
    // push in the request's header (each part of a push of files carries
    // its own): refused here when absent, before any of the body is read.
    if holder.push_key.is_some() && holder.layout == Layout::Column {
        signature_header(headers)?;
    }
    let now = Timestamp::now().as_millisecond();
    match app
        .registry
        .begin_push(&holder.id, &key, now, now - STALE_AFTER_MS, &holder.limits)
        .await?
    {
        PushState::Started => Ok(Begun::Started(key)),
        PushState::Limited {
            retry_after_s,
            at_once,
        } => {
            let sentence = if at_once {
                format!(
                    "{} of your pushes are under way, as many as this server takes at once from you; send this one when one of them is answered.",
                    holder.limits.at_once
                )
            } else {
                format!(
                    "You have sent {} pushes in the last hour, as many as this server takes from you in an hour; send this one again in {retry_after_s} s (your operator can raise the limit).",
                    holder.limits.pushes_per_hour
                )
            };
            let mut e = ApiError::new(StatusCode::TOO_MANY_REQUESTS, sentence);
            e.headers
                .push((header::RETRY_AFTER, HeaderValue::from(retry_after_s)));
            Err(e)
        }
        PushState::Running { .. } => Err(ApiError::new(
            StatusCode::CONFLICT,
            "A push with this Idempotency-Key is under way; ask again when it is answered.",
        )),
        PushState::Done { receipt } => Ok(Begun::Replay(receipt)),
    }
}

/// Delivers a push begun under `key`, then records its receipt (or frees
/// the key when it failed whole).
async fn deliver_push(
    app: &Arc<HoldersApp>,
    holder: &Holder,
    key: String,
    parts: axum::http::request::Parts,
    body: Body,
) -> Result<Response, ApiError> {
    // Whatever ends this push before its receipt is kept (an error, the
    // client leaving, which drops this future, a panic), its key is freed.
    let mut guard = Abandon {
        app: app.clone(),
        holder_id: holder.id.clone(),
        key: Some(key.clone()),
    };
    let headers = &parts.headers;
    let delivered = match holder.layout {
        Layout::Column => deliver(app, holder, &key, headers, body).await,
        Layout::FilePerCustomer => {
            let request = Request::from_parts(parts, body);
            crate::per_customer::deliver(app, holder, &key, request).await
        }
    };
    // On an error nothing was delivered (or, if a delivery task died, rows
    // that a retry merges again): the guard frees the key for a retry.
    let kept = match delivered {
        Ok(note) => app
            .registry
            .finish_push(&holder.id, &key, &note)
            .await
            .map(|()| note)
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    guard.key = None;
    match kept {
        Ok(note) => answer(app, &note),
        Err(e) => {
            // Freed before the answer, so that a retry right after finds it free.
            let _ = app.registry.abandon_push(&holder.id, &key).await;
            Err(e)
        }
    }
}

/// Frees a push's key when it ends without its receipt kept, however it ends.
struct Abandon {
    app: Arc<HoldersApp>,
    holder_id: String,
    key: Option<String>,
}

impl Drop for Abandon {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else {
            return;
        };
        let (app, holder_id) = (self.app.clone(), std::mem::take(&mut self.holder_id));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = app.registry.abandon_push(&holder_id, &key).await {
                    tracing::warn!(error = %e, "a failed push's key was not freed");
                }
            });
        }
    }
}

/// Reads a body to its end (at most `max` bytes, and `time` if given) and drops it.
async fn drain(mut body: Body, max: u64, time: Option<std::time::Duration>) {
    let read = async {
        let mut total: u64 = 0;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                total += data.len() as u64;
                if total > max {
                    return;
                }
            }
        }
    };
    match time {
        Some(t) => {
            let _ = tokio::time::timeout(t, read).await;
        }
        None => read.await,
    }
}

/// A push's `Holder-Signature` header, read (not checked); refused when
/// absent or not a signature.
fn signature_header(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(signing::HEADER)
        .map(|v| v.to_str().map_err(|_| SignatureError::Malformed))
        .transpose()
        .and_then(|v| v.ok_or(SignatureError::Missing))
        .map_err(signature_refused)?;
    signing::parse_header(value).map_err(signature_refused)?;
    Ok(value)
}

/// A push refused for its signature: nothing of it was delivered.
pub(crate) fn signature_refused(e: SignatureError) -> ApiError {
    let status = match e {
        SignatureError::Malformed => StatusCode::BAD_REQUEST,
        SignatureError::Missing | SignatureError::Wrong => StatusCode::FORBIDDEN,
    };
    ApiError::new(status, e.to_string())
}

/// The key a holder's pushes must be signed with, if it registered one.
pub(crate) fn push_key(holder: &Holder) -> Result<Option<PushKey>, ApiError> {
    holder
        .push_key
        .as_deref()
        .map(PushKey::parse)
        .transpose()
        .map_err(|_| {
            tracing::error!(holder = %holder.id, "a holder's registered signing key does not read");
            ours()
        })
}

pub(crate) fn too_large(holder: &Holder) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "A push of yours holds at most {} MiB; send the file in parts.",
            holder.limits.max_push_mib
        ),
    )
}

fn answer(app: &HoldersApp, note: &str) -> Result<Response, ApiError> {
    let split = note.find("\n\n").map(|i| &note[..=i]).unwrap_or(note);
    let r = Receipt::parse_body(split)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    // `rows` and failures by `line` for a CSV, `parts` and by `part` for
    // a push of one file per customer, as the receipt says.
    let mut body = serde_json::json!({
        "push": r.push,
        "delivered": r.delivered,
        "skipped": r.skipped,
        "failed": r.failed,
        "failures": r.failures.iter().map(|f| serde_json::json!({r.unit.position_name(): f.line, "why": f.why})).collect::<Vec<_>>(),
        "receipt": note,
        "verifier_key": app.verifier_key(),
    });
    body[r.unit.count_name()] = r.rows.into();
    let mut resp = (StatusCode::OK, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

/// Splits, checks consents, imports; the signed receipt.
async fn deliver(
    app: &Arc<HoldersApp>,
    holder: &Holder,
    key: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<String, ApiError> {
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/")
        })
    {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "This holder is registered to push one CSV naming each row's customer in a column: send the file itself as the body, not a form.",
        ));
    }
    let received = Timestamp::now();
    let links: HashMap<[u8; 32], Link> = app
        .registry
        .links_of_holder(&holder.id)
        .await?
        .into_iter()
        .map(|l| (l.customer, l))
        .collect();
    let mut splitter = Splitter::new(&holder.column, Caps::default(), |id: &str| {
        links.contains_key(&selfdata_holders::customer_key(&holder.id, id))
    });
    let mut sha = Sha256::new();
    let mut total: u64 = 0;
    let mut body = body;
    let refused = |e: selfdata_holders::split::SplitError| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
    };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "The file did not arrive whole (the connection broke); nothing was delivered, send it again with the same Idempotency-Key.",
            )
        })?;
        let Ok(chunk) = frame.into_data() else {
            continue;
        };
        total += chunk.len() as u64;
        if total > holder.limits.max_push_bytes() {
            return Err(too_large(holder));
        }
        sha.update(&chunk);
        splitter.feed(&chunk).map_err(refused)?;
    }
    let split = splitter.finish().map_err(refused)?;
    let digest: [u8; 32] = sha.finalize().into();
    // Signed by the holder's own key, if it registered one: checked before
    // anything is delivered (the rows kept so far are only in memory).
    if let Some(push_key) = push_key(holder)? {
        push_key
            .verify(
                &holder.id,
                key,
                &digest,
                headers.get(signing::HEADER).and_then(|v| v.to_str().ok()),
            )
            .map_err(signature_refused)?;
    }
    let mut receipt = Receipt {
        server: app.host.clone(),
        holder: holder.id.clone(),
        push: hex::encode(rand::random::<[u8; 12]>()),
        key: key.to_owned(),
        received,
        file_sha256: hex::encode(digest),
        unit: Unit::Line,
        rows: split.rows,
        delivered: 0,
        skipped: split.skipped_customers,
        failed: 0,
        failures: Vec::new(),
    };
    for &line in &split.unidentified {
        receipt.failures.push(Failure {
            line,
            why: format!(
                "This row names no customer (its “{}” is empty).",
                holder.column
            ),
        });
    }
    receipt.failed += split.unidentified_rows;
    // Customers are delivered a few at a time (each import waits mostly on
    // its pod's disk); their deliveries are recorded together at the end.
    let mut running = JoinSet::new();
    let mut deliveries = Vec::new();
    let mut settle = |outcome: Outcome, receipt: &mut Receipt| match outcome {
        Outcome::Skipped => receipt.skipped += 1,
        Outcome::Delivered(d) => {
            receipt.delivered += 1;
            deliveries.push(d);
        }
        Outcome::Failed(d, failure) => {
            receipt.failed += 1;
            if receipt.failures.len() < MAX_FAILURES_LISTED {
                receipt.failures.push(failure);
            }
            deliveries.push(d);
        }
    };
    let holder = Arc::new(holder.clone());
    let push = Arc::new(receipt.push.clone());
    for customer in split.customers {
        let Some(link) = links.get(&selfdata_holders::customer_key(
            &holder.id,
            &customer.identifier,
        )) else {
            continue;
        };
        let Ok(pod) = PodName::parse(&link.pod) else {
            continue;
        };
        if running.len() >= CONCURRENT_DELIVERIES
            && let Some(done) = running.join_next().await
        {
            settle(done.map_err(|_| ours())?, &mut receipt);
        }
        let (app, holder, push) = (app.clone(), holder.clone(), push.clone());
        let consent_id = link.consent_id.clone();
        running.spawn(async move {
            let mut customer = customer;
            let file = std::mem::take(&mut customer.file);
            let records = Some(customer.lines.len() as u64);
            let parcel = Parcel {
                file,
                media_type: "text/csv",
                records,
            };
            deliver_one(&app, &holder, &push, pod, &consent_id, parcel, |f| {
                let (line, why) = failure_line(&customer, f);
                Failure { line, why }
            })
            .await
        });
    }
    while let Some(done) = running.join_next().await {
        settle(done.map_err(|_| ours())?, &mut receipt);
    }
    if let Err(e) = app.registry.add_deliveries(&deliveries).await {
        tracing::warn!(error = %e, "a push's deliveries were not recorded");
    }
    receipt.failures.sort_by_key(|f| f.line);
    Ok(receipt.sign(&app.signer))
}

/// A delivery task that died (it panicked): the push fails whole, its key
/// free for a retry.
pub(crate) fn ours() -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side during this push; send it again with the same Idempotency-Key.",
    )
}

/// How many customers of a push are delivered at once.
pub(crate) const CONCURRENT_DELIVERIES: usize = 8;

/// What became of one connected customer's rows (or file).
pub(crate) enum Outcome {
    /// Their consent is no longer given: nothing delivered.
    Skipped,
    Delivered(Delivery),
    Failed(Delivery, Failure),
}

/// What is delivered to one customer: their file, as the pipeline takes it.
pub(crate) struct Parcel {
    pub file: Vec<u8>,
    pub media_type: &'static str,
    /// The records it holds (rows), or `None` to count what the import read.
    pub records: Option<u64>,
}

/// One connected customer's rows (or file): their consent read in their
/// pod as it stands now, then, if it is still given, imported through the
/// pipeline; `failed` says where and why an import failed.
pub(crate) async fn deliver_one(
    app: &HoldersApp,
    holder: &Holder,
    push: &str,
    pod: PodName,
    consent_id: &str,
    parcel: Parcel,
    failed: impl FnOnce(&ImportFailure) -> Failure,
) -> Outcome {
    let now = Timestamp::now();
    let consent = selfdata_service::consents::record(&app.ctx, &pod, consent_id).await;
    let given = consent.as_ref().is_some_and(|(r, _)| {
        r.state().is_active() && r.valid_until.is_none_or(|until| until > now)
    });
    if !given {
        log(
            app,
            holder,
            &pod,
            &selfdata_consent::path_of(consent_id),
            false,
        );
        return Outcome::Skipped;
    }
    let upload = Upload::from(parcel.file);
    let noop = |_| {};
    let outcome = app
        .ctx
        .pipeline
        .import(&pod, parcel.media_type, upload, false, &noop)
        .await;
    let delivery = |records: u64, outcome: String, ok: bool| Delivery {
        pod: pod.to_string(),
        holder_id: holder.id.clone(),
        push: push.to_owned(),
        at_ms: Timestamp::now().as_millisecond(),
        records,
        outcome,
        ok,
    };
    match outcome {
        Ok(summary) => {
            log(app, holder, &pod, &summary.original, true);
            Outcome::Delivered(delivery(
                parcel.records.unwrap_or(summary.readings as u64),
                format!(
                    "{} records, {} new or corrected",
                    summary.readings, summary.changed
                ),
                true,
            ))
        }
        Err(failure) => {
            let failure = failed(&failure);
            Outcome::Failed(
                delivery(parcel.records.unwrap_or(0), failure.why.clone(), false),
                failure,
            )
        }
    }
}

/// Where a customer's import failed, as a line of the pushed file, and why.
fn failure_line(customer: &selfdata_holders::split::Customer, f: &ImportFailure) -> (u64, String) {
    let first = customer.lines.first().copied().unwrap_or(0);
    match f {
        ImportFailure::Refused(r) => match &r.error {
            selfdata_sources::ImportError::AtLine { line, message } => (
                customer.source_line(*line as u64).unwrap_or(first),
                sentence(message),
            ),
            other => (first, sentence(&other.sentence(selfdata_sources::Lang::En))),
        },
        other => (first, sentence(&other.to_string())),
    }
}

/// A message as a sentence: a capital first, a full stop last.
pub(crate) fn sentence(s: &str) -> String {
    let mut c = s.trim().chars();
    let mut out: String = match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

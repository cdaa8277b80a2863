//! A push of one file per customer: the body is `multipart/form-data`, one
//! part per customer's file (a meter's Enedis export, an account's OFX
//! statement), as a holder registered with the file-per-customer layout
//! sends it.
//!
//! ```text
//! POST /holders/v1/pushes
//! Authorization: Basic base64(<holder id>:<client secret>)
//! Idempotency-Key: 2026-12-05-statements
//! Content-Type: multipart/form-data; boundary=…
//!
//! --…
//! Content-Disposition: form-data; name="file"; filename="compte-0001.ofx"
//!
//! OFXHEADER:100 …
//! ```
//!
//! Each part is read as it streams: its customer is told from its first
//! bytes (`selfdata_holders::identify`: the `Identifiant PRM` of an Enedis
//! export, the `ACCTID` of an OFX statement; never the part's file name).
//! A customer who is not connected has the rest of their part read and
//! dropped, chunk by chunk, never written anywhere. A connected customer's
//! part is held in memory up to [`MAX_FILE_BYTES`] (over it, that customer
//! fails with a sentence and the push goes on), then checked whole to name
//! no other customer (off the async threads) and delivered like a CSV
//! customer's rows: consent read in
//! the pod now, then `Pipeline::import`, eight at a time, while the next
//! parts are read. So at most [`MAX_HELD_BYTES`] of delivered files, plus
//! the part being read, are in memory at once.
//!
//! A holder that registered a signing key signs each part on its own
//! (a `Holder-Signature` header in the part's headers, over that file;
//! [`selfdata_holders::signing`]): a part without one is a failure before
//! it is read, and a connected customer's part is checked once whole,
//! before its delivery (another customer's part is dropped as it streams,
//! never held to be checked).
//!
//! The receipt counts `parts`, and names each failure by the part's index
//! (1 for the first part) and its file name, never by a customer
//! identifier: a part whose customer cannot be read, a file too large, a
//! file naming two customers, an import refused (with the line of the file).
//!
//! When the body breaks off half-way, the parts already delivered stay
//! delivered (and recorded), the push is refused and its key stays free: a
//! retry merges those files again without doubling anything.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use http_body_util::BodyExt;
use jiff::Timestamp;
use selfdata_holders::identify::{Format, Identified, check_whole, identify};
use selfdata_holders::receipt::{Failure, Receipt, Unit};
use selfdata_holders::signing::{self, PushKey, SignatureError};
use selfdata_service::intake::ImportFailure;
use selfdata_solid::error::ApiError;
use selfdata_store::PodName;
use selfdata_store::holders::{Delivery, Holder, Link};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use crate::HoldersApp;
use crate::push::{
    CONCURRENT_DELIVERIES, MAX_FAILURES_LISTED, Outcome, Parcel, deliver_one, ours, push_key,
    sentence, too_large,
};

/// The largest file of one customer, in bytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// The most bytes of files being delivered at once (the part being read
/// comes on top).
pub const MAX_HELD_BYTES: usize = 64 * 1024 * 1024;

/// The longest file name repeated in a receipt, in characters.
const MAX_NAME: usize = 100;

fn not_multipart() -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "This holder is registered to push one file per customer: send a multipart/form-data body, one part per customer's file (an Enedis export, an OFX statement).",
    )
}

fn broken() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "The body did not arrive whole (the connection broke, or the form is malformed); the parts before the break were delivered, send the push again with the same Idempotency-Key: what was delivered is merged again, never doubled.",
    )
}

/// A part's file name as a receipt repeats it: one line, bounded.
fn shown_name(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_NAME)
        .collect();
    if name.chars().count() > MAX_NAME {
        out.push('…');
    }
    out.trim().to_owned()
}

/// Where a part is, in words: "Part 4 (“compte.ofx”)".
fn part_named(index: u64, name: Option<&str>) -> String {
    match name {
        Some(n) if !n.is_empty() => format!("Part {index} (“{n}”)"),
        _ => format!("Part {index}"),
    }
}

/// A failure of part `index`.
fn part_failure(index: u64, name: Option<&str>, why: &str) -> Failure {
    Failure {
        line: index,
        why: format!("{}: {}", part_named(index, name), sentence(why)),
    }
}

/// Why an import of a part failed, with the line of the part.
fn import_failure(index: u64, name: Option<&str>, f: &ImportFailure) -> Failure {
    let why = match f {
        ImportFailure::Refused(r) => match &r.error {
            selfdata_sources::ImportError::AtLine { line, message } => {
                format!("line {line} of the file: {message}")
            }
            other => other.sentence(selfdata_sources::Lang::En),
        },
        other => other.to_string(),
    };
    part_failure(index, name, &why)
}

/// What is known of the part being read.
enum Part {
    /// Its first bytes, until they tell whose it is.
    Head { bytes: Vec<u8>, next_try: usize },
    /// A connected customer's file, kept.
    Kept {
        format: Format,
        identifier: String,
        link: Link,
        bytes: Vec<u8>,
    },
    /// Read and dropped (another customer's, or a failure already counted).
    Dropped,
}

/// Where each customer stands in this push: the worst of their parts.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Standing {
    Delivered,
    Skipped,
    Failed,
}

/// The push under way: counts, failures and deliveries.
struct Tally {
    receipt: Receipt,
    /// Connected customers (by link) and how their parts went.
    customers: HashMap<[u8; 32], Standing>,
    /// Customers not connected, only as a hash kept for this push.
    others: HashSet<u64>,
    hasher: RandomState,
    deliveries: Vec<Delivery>,
}

impl Tally {
    fn fail(&mut self, failure: Failure) {
        if self.receipt.failures.len() < MAX_FAILURES_LISTED {
            self.receipt.failures.push(failure);
        }
    }

    /// A part no customer can be told from: counted as a failure.
    fn unidentified(&mut self, failure: Failure) {
        self.receipt.failed += 1;
        self.fail(failure);
    }

    fn stand(&mut self, customer: [u8; 32], standing: Standing) {
        let s = self.customers.entry(customer).or_insert(standing);
        *s = (*s).max(standing);
    }

    fn settle(&mut self, customer: [u8; 32], outcome: Outcome) {
        match outcome {
            Outcome::Skipped => self.stand(customer, Standing::Skipped),
            Outcome::Delivered(d) => {
                self.stand(customer, Standing::Delivered);
                self.deliveries.push(d);
            }
            Outcome::Failed(d, failure) => {
                self.stand(customer, Standing::Failed);
                self.fail(failure);
                self.deliveries.push(d);
            }
        }
    }
}

/// Delivery tasks under way, and the bytes they hold.
struct Running {
    tasks: JoinSet<([u8; 32], Outcome, usize)>,
    held: usize,
}

impl Running {
    /// Waits for one task and settles it.
    async fn settle_one(&mut self, tally: &mut Tally) -> Result<bool, ApiError> {
        let Some(done) = self.tasks.join_next().await else {
            return Ok(false);
        };
        let (customer, outcome, size) = done.map_err(|_| ours())?;
        self.held -= size;
        tally.settle(customer, outcome);
        Ok(true)
    }
}

/// Reads the parts, delivers the connected customers' files; the signed receipt.
pub async fn deliver(
    app: &Arc<HoldersApp>,
    holder: &Holder,
    key: &str,
    request: Request,
) -> Result<String, ApiError> {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    if !is_form {
        return Err(not_multipart());
    }
    let received = Timestamp::now();
    let links: HashMap<[u8; 32], Link> = app
        .registry
        .links_of_holder(&holder.id)
        .await?
        .into_iter()
        .map(|l| (l.customer, l))
        .collect();
    // The whole body is hashed and counted as it streams into the form reader.
    let sha = Arc::new(Mutex::new(Sha256::new()));
    let total = Arc::new(AtomicU64::new(0));
    let (parts, body) = request.into_parts();
    let body = {
        let (sha, total) = (sha.clone(), total.clone());
        body.map_frame(move |frame| {
            if let Some(data) = frame.data_ref() {
                total.fetch_add(data.len() as u64, Ordering::Relaxed);
                if let Ok(mut sha) = sha.lock() {
                    sha.update(data);
                }
            }
            frame
        })
    };
    let mut form = Multipart::from_request(Request::from_parts(parts, Body::new(body)), &())
        .await
        .map_err(|_| not_multipart())?;

    let mut tally = Tally {
        receipt: Receipt {
            server: app.host.clone(),
            holder: holder.id.clone(),
            push: hex::encode(rand::random::<[u8; 12]>()),
            key: key.to_owned(),
            received,
            file_sha256: String::new(),
            unit: Unit::Part,
            rows: 0,
            delivered: 0,
            skipped: 0,
            failed: 0,
            failures: Vec::new(),
        },
        customers: HashMap::new(),
        others: HashSet::new(),
        hasher: RandomState::new(),
        deliveries: Vec::new(),
    };
    let mut running = Running {
        tasks: JoinSet::new(),
        held: 0,
    };
    let this = Push {
        app,
        holder: Arc::new(holder.clone()),
        id: Arc::new(tally.receipt.push.clone()),
        key: Arc::new(key.to_owned()),
        push_key: push_key(holder)?.map(Arc::new),
        links: &links,
    };
    let read = read_parts(&this, &mut form, &total, &mut tally, &mut running).await;
    // Whatever happened to the body, the deliveries made are waited for
    // and recorded.
    let mut died = false;
    loop {
        match running.settle_one(&mut tally).await {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => died = true,
        }
    }
    if let Err(e) = app.registry.add_deliveries(&tally.deliveries).await {
        tracing::warn!(error = %e, "a push's deliveries were not recorded");
    }
    read?;
    if died {
        return Err(ours());
    }
    for standing in tally.customers.values() {
        match standing {
            Standing::Delivered => tally.receipt.delivered += 1,
            Standing::Skipped => tally.receipt.skipped += 1,
            Standing::Failed => tally.receipt.failed += 1,
        }
    }
    tally.receipt.skipped += tally.others.len() as u64;
    tally.receipt.file_sha256 = sha
        .lock()
        .map(|sha| hex::encode(sha.clone().finalize()))
        .map_err(|_| ours())?;
    tally.receipt.failures.sort_by_key(|f| f.line);
    Ok(tally.receipt.sign(&app.signer))
}

/// The push being read.
struct Push<'a> {
    app: &'a Arc<HoldersApp>,
    holder: Arc<Holder>,
    /// The push's own id.
    id: Arc<String>,
    /// The holder's idempotency key.
    key: Arc<String>,
    /// The key each part must be signed with, if the holder registered one.
    push_key: Option<Arc<PushKey>>,
    links: &'a HashMap<[u8; 32], Link>,
}

/// Reads every part: each dropped, failed or handed to a delivery task.
async fn read_parts(
    this: &Push<'_>,
    form: &mut Multipart,
    total: &AtomicU64,
    tally: &mut Tally,
    running: &mut Running,
) -> Result<(), ApiError> {
    let mut index: u64 = 0;
    loop {
        let field = form.next_field().await.map_err(|_| broken())?;
        let Some(mut field) = field else {
            return Ok(());
        };
        index += 1;
        tally.receipt.rows = index;
        let name = field.file_name().map(shown_name);
        let name = name.as_deref();
        // With a signing key, a part without its signature is refused
        // before it is read (whoever's it is); a signed part is checked
        // once it has arrived whole, before it is delivered.
        let signature = match &this.push_key {
            None => None,
            Some(_) => {
                let value = field
                    .headers()
                    .get(signing::HEADER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let read = value
                    .as_deref()
                    .ok_or(SignatureError::Missing)
                    .and_then(signing::parse_header);
                match read {
                    Ok(_) => value,
                    Err(e) => {
                        tally.unidentified(part_failure(index, name, &e.to_string()));
                        None
                    }
                }
            }
        };
        let mut part = if this.push_key.is_some() && signature.is_none() {
            Part::Dropped
        } else {
            Part::Head {
                bytes: Vec::new(),
                next_try: 1024,
            }
        };
        loop {
            let chunk = field.chunk().await.map_err(|_| broken())?;
            if total.load(Ordering::Relaxed) > this.holder.limits.max_push_bytes() {
                return Err(too_large(&this.holder));
            }
            let end = chunk.is_none();
            part = match part {
                Part::Head {
                    mut bytes,
                    next_try,
                } => {
                    if let Some(c) = &chunk {
                        bytes.extend_from_slice(c);
                    }
                    // Asked again only as the head doubles, so a part
                    // arriving in tiny chunks is not read over and over.
                    if end || bytes.len() >= next_try {
                        whose(this, index, name, bytes, end, tally)
                    } else {
                        Part::Head { bytes, next_try }
                    }
                }
                Part::Kept {
                    format,
                    identifier,
                    link,
                    mut bytes,
                } => {
                    if let Some(c) = &chunk {
                        bytes.extend_from_slice(c);
                    }
                    if bytes.len() > MAX_FILE_BYTES {
                        too_big(this, &link, index, name, tally);
                        Part::Dropped
                    } else {
                        Part::Kept {
                            format,
                            identifier,
                            link,
                            bytes,
                        }
                    }
                }
                Part::Dropped => Part::Dropped,
            };
            if end {
                break;
            }
        }
        // `whose` may have kept the part on its very last chunk.
        if let Part::Kept {
            format,
            identifier,
            link,
            bytes,
        } = part
        {
            if bytes.len() > MAX_FILE_BYTES {
                too_big(this, &link, index, name, tally);
                continue;
            }
            let Ok(pod) = PodName::parse(&link.pod) else {
                continue;
            };
            while running.tasks.len() >= CONCURRENT_DELIVERIES
                || (running.held + bytes.len() > MAX_HELD_BYTES && !running.tasks.is_empty())
            {
                running.settle_one(tally).await?;
            }
            let size = bytes.len();
            running.held += size;
            let (app, holder, push) = (this.app.clone(), this.holder.clone(), this.id.clone());
            let signed = this
                .push_key
                .clone()
                .map(|k| (k, this.key.clone(), signature));
            let name = name.map(str::to_owned);
            running.tasks.spawn(async move {
                // The whole file read again, off the async threads: signed
                // by the holder's key if it registered one, and naming no
                // other customer.
                let holder_id = holder.id.clone();
                let checked = tokio::task::spawn_blocking(move || {
                    let named = match signed {
                        Some((push_key, key, signature)) => push_key
                            .verify(
                                &holder_id,
                                &key,
                                &Sha256::digest(&bytes).into(),
                                signature.as_deref(),
                            )
                            .map_err(|e| e.to_string()),
                        None => Ok(()),
                    }
                    .and_then(|()| {
                        check_whole(&bytes, format, &identifier).map_err(|e| e.to_string())
                    });
                    (bytes, named)
                })
                .await;
                let bytes = match checked {
                    Ok((bytes, Ok(()))) => bytes,
                    Ok((_, Err(why))) => {
                        let failure = part_failure(index, name.as_deref(), &why);
                        let delivery = failed_delivery(&holder, &push, &link, &failure.why);
                        return (link.customer, Outcome::Failed(delivery, failure), size);
                    }
                    Err(_) => {
                        let failure = part_failure(index, name.as_deref(), "it could not be read");
                        let delivery = failed_delivery(&holder, &push, &link, &failure.why);
                        return (link.customer, Outcome::Failed(delivery, failure), size);
                    }
                };
                let parcel = Parcel {
                    file: bytes,
                    media_type: format.media_type(),
                    records: None,
                };
                let outcome =
                    deliver_one(&app, &holder, &push, pod, &link.consent_id, parcel, |f| {
                        import_failure(index, name.as_deref(), f)
                    })
                    .await;
                (link.customer, outcome, size)
            });
        }
    }
}

/// Tells whose part this is from its first bytes: kept, still to be told,
/// or dropped (another customer's, or a failure counted).
fn whose(
    this: &Push<'_>,
    index: u64,
    name: Option<&str>,
    bytes: Vec<u8>,
    end: bool,
    tally: &mut Tally,
) -> Part {
    match identify(&bytes, end) {
        Identified::NeedMore => Part::Head {
            next_try: (bytes.len() * 2).clamp(1024, selfdata_holders::identify::HEAD),
            bytes,
        },
        Identified::Refused(e) => {
            tally.unidentified(part_failure(index, name, &e.to_string()));
            Part::Dropped
        }
        Identified::Customer { format, identifier } => {
            let key = selfdata_holders::customer_key(&this.holder.id, &identifier);
            match this.links.get(&key) {
                Some(link) => Part::Kept {
                    format,
                    identifier,
                    link: link.clone(),
                    bytes,
                },
                None => {
                    // Not connected: only a hash, for the count, kept
                    // until the receipt is written; the bytes go now.
                    tally.others.insert(tally.hasher.hash_one(&identifier));
                    Part::Dropped
                }
            }
        }
    }
}

/// A connected customer's part over the cap: failed, dropped.
fn too_big(this: &Push<'_>, link: &Link, index: u64, name: Option<&str>, tally: &mut Tally) {
    let failure = part_failure(
        index,
        name,
        &format!(
            "it is larger than {} MiB, the most one customer's file may hold; nothing of it was delivered",
            MAX_FILE_BYTES / (1024 * 1024)
        ),
    );
    fail_before_import(this, link, failure, tally);
}

/// A connected customer's part that failed before its import: counted,
/// listed, and shown on the resident's page as a delivery that failed.
fn fail_before_import(this: &Push<'_>, link: &Link, failure: Failure, tally: &mut Tally) {
    tally.stand(link.customer, Standing::Failed);
    tally
        .deliveries
        .push(failed_delivery(&this.holder, &this.id, link, &failure.why));
    tally.fail(failure);
}

/// A delivery that failed before its import, as the resident's page lists it.
fn failed_delivery(holder: &Holder, push: &str, link: &Link, why: &str) -> Delivery {
    Delivery {
        pod: link.pod.clone(),
        holder_id: holder.id.clone(),
        push: push.to_owned(),
        at_ms: Timestamp::now().as_millisecond(),
        records: 0,
        outcome: why.to_owned(),
        ok: false,
    }
}

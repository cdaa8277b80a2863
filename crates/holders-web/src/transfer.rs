//! Direct transfers: a resident lets a registered holder (an energy-advice
//! association, a social worker's service) read named parts of their pod,
//! for a purpose and a limited time.
//!
//! A transfer is two things written together by [`grant_transfer`]: a
//! consent record in the pod (`Kind::Transfer`: the holder as controller
//! and recipient, the DPV purpose, the resources as `dpv:hasPersonalData`,
//! `acl:Read`, `sd:validUntil`) and a row of the registry in `host.sqlite`
//! (`selfdata_store::holders::Transfer`: id, pod, holder, record, the
//! resources, expiry, revoked, reads). The holder reads with its own
//! client credentials (HTTP Basic, as for its pushes):
//!
//! ```text
//! GET /holders/v1/transfers                  the transfers it may read under now
//! GET /holders/v1/transfers/{id}             one of them, with every file it covers
//! GET /holders/v1/transfers/{id}/{path}      one file, as stored, read-only
//! ```
//!
//! A file is answered only if, at that moment: the transfer is this
//! holder's, it is neither revoked nor past its expiry, its consent record
//! in the pod is still given and not past its own `validUntil`, and the
//! path (decoded and checked like every pod path: no `.`/`..`, no encoded
//! slash) is one of the files named, or inside a folder named, **both** in
//! the registry and in the record (the registry is written only by the
//! server; the record is the resident's own document, so narrowing it
//! narrows the transfer, but widening it widens nothing). Access control
//! lists and descriptions (`.acl`, `.meta`) are never covered. Every file
//! read, and every refusal under a transfer of this holder, is appended to
//! the pod's access log under the holder's name. An unknown transfer, or
//! another holder's, is a 404 that says nothing of whose it is.
//!
//! The resident grants, lists and stops transfers on
//! `/app/holders/transfers`; stopping revokes the row first (no read
//! after that instant), then withdraws the record. Withdrawing the record
//! anywhere else (the privacy page) stops reads too, since every read
//! checks it.

use std::sync::Arc;

use askama::Template;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::{SignedDuration, Timestamp};
use selfdata_consent::{Kind, Notice, Party, Record, id_for};
use selfdata_service::consents;
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, count, fill, page};
use selfdata_solid::Credentials;
use selfdata_solid::audit::{AccessEvent, ModeSet};
use selfdata_solid::error::ApiError;
use selfdata_solid::uri::resource_uri;
use selfdata_store::holders::{Holder, Transfer};
use selfdata_store::{PodName, ResourcePath};
use serde::Deserialize;

use crate::HoldersApp;
use crate::push::{authenticate, holder_agent};
use crate::texts::TransferTexts;

/// The longest transfer a resident may grant, in days.
pub const MAX_DAYS: i64 = 365;
/// The most resources one transfer names.
pub const MAX_RESOURCES: usize = 20;
/// The most files a transfer's description lists.
pub const MAX_FILES_LISTED: usize = 10_000;

/// The purposes a resident chooses from (local names in DPV).
pub const PURPOSES: [&str; 4] = [
    "RequestedServiceProvision",
    "CustomerCare",
    "PublicBenefit",
    "AcademicResearch",
];

const ACL_READ: &str = "http://www.w3.org/ns/auth/acl#Read";

/// Why a transfer was not granted.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("no such holder")]
    NoHolder,
    #[error("no resource named, or too many")]
    NoResource,
    #[error("a resource named is not in the pod")]
    NotInPod,
    #[error("the purpose is not one offered")]
    BadPurpose,
    #[error("the duration is not between 1 and {MAX_DAYS} days")]
    BadDuration,
    #[error(transparent)]
    Store(#[from] selfdata_store::StoreError),
}

/// A resource a resident may name: a file or a folder of the pod, never
/// the root, an access control list or a description.
fn nameable(path: &str) -> Option<ResourcePath> {
    let p = ResourcePath::parse(path).ok()?;
    (!p.is_root() && p.auxiliary_kind().is_none()).then_some(p)
}

/// Whether `path` is one of `named`, or inside a folder of `named`.
pub fn covers<'a>(named: impl IntoIterator<Item = &'a str>, path: &str) -> bool {
    named
        .into_iter()
        .any(|n| n == path || (n.ends_with('/') && path.starts_with(n)))
}

/// Grants `holder_id` the reading of `resources` (pod paths: a file, or a
/// folder ending in `/` and everything in it) of `pod` for `purpose` (one
/// of [`PURPOSES`]) during `days` from `at`: the consent record in the pod,
/// then the registry's row. `at` is now when a resident grants from the
/// page; a test may date a grant in the past to see it end. The one way a
/// transfer is made.
pub async fn grant_transfer(
    app: &HoldersApp,
    pod: &PodName,
    holder_id: &str,
    resources: &[String],
    purpose: &str,
    days: i64,
    at: Timestamp,
) -> Result<Transfer, TransferError> {
    let holder = app
        .registry
        .holder(holder_id)
        .await?
        .ok_or(TransferError::NoHolder)?;
    if !PURPOSES.contains(&purpose) {
        return Err(TransferError::BadPurpose);
    }
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(TransferError::BadDuration);
    }
    let mut paths = Vec::new();
    for r in resources {
        let p = nameable(r).ok_or(TransferError::NoResource)?;
        if app.ctx.store.meta(pod, &p).await?.is_none() {
            return Err(TransferError::NotInPod);
        }
        paths.push(p);
    }
    paths.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    paths.dedup();
    if paths.is_empty() || paths.len() > MAX_RESOURCES {
        return Err(TransferError::NoResource);
    }
    let id = hex::encode(rand::random::<[u8; 16]>());
    let consent_id = id_for(Kind::Transfer, &id);
    let until = at
        .checked_add(SignedDuration::from_hours(24 * days))
        .map_err(|_| TransferError::BadDuration)?;
    let base = app.ctx.base_url();
    let data: Vec<String> = paths.iter().map(|p| resource_uri(base, pod, p)).collect();
    let notice_text = format!(
        "{} may read {} of the store at {base}/{pod}/ for {purpose} until {until}",
        holder.name,
        data.join(", ")
    );
    let mut record = Record::new(
        Kind::Transfer,
        consent_id.clone(),
        consents::owner_webid(&app.ctx, pod),
        Party::new(&holder_agent(app, &holder.id), &holder.name),
        at,
    );
    record.purpose = format!("{}{purpose}", selfdata_consent::DPV);
    record.data = data;
    record.modes = vec![ACL_READ.to_owned()];
    record.target = Some(format!("{base}/holders/v1/transfers/{id}"));
    record.valid_until = Some(until);
    record.notice = Some(Notice::of_text(
        &format!("{base}/app/holders/transfers"),
        "1",
        &notice_text,
    ));
    record.retention =
        "What the organisation has read, it keeps for the purpose stated only, under its own responsibility".to_owned();
    record.withdrawal = "On the page \"My holders\" (/app/holders/transfers) of the store, at any time; it takes effect at once".to_owned();
    let record = record.normalised();
    consents::change_record(&app.ctx, pod, &consent_id, move |_| record.clone()).await?;
    let transfer = Transfer {
        id,
        pod: pod.to_string(),
        holder_id: holder.id,
        consent_id,
        purpose: format!("{}{purpose}", selfdata_consent::DPV),
        resources: paths.iter().map(|p| p.as_str().to_owned()).collect(),
        created_ms: at.as_millisecond(),
        expires_ms: until.as_millisecond(),
        revoked_ms: None,
        reads: 0,
        last_read_ms: None,
    };
    app.registry.add_transfer(&transfer).await?;
    Ok(transfer)
}

/// Stops a transfer of `pod` at once: the registry's row revoked first
/// (from that instant nothing is read under it), then its consent record
/// withdrawn. `false` when the pod has no such live transfer.
pub async fn stop_transfer(
    app: &HoldersApp,
    pod: &PodName,
    id: &str,
) -> Result<bool, selfdata_store::StoreError> {
    let now = Timestamp::now();
    if !app
        .registry
        .revoke_transfer(pod.as_str(), id, now.as_millisecond())
        .await?
    {
        return Ok(false);
    }
    let Some(t) = app.registry.transfer(id).await? else {
        return Ok(true);
    };
    if let Some((before, _)) = consents::record(&app.ctx, pod, &t.consent_id).await {
        consents::change_record(&app.ctx, pod, &t.consent_id, move |r| {
            let mut r = r.unwrap_or_else(|| before.clone());
            r.withdraw(now, Some("stopped by the resident".to_owned()));
            r
        })
        .await?;
    }
    Ok(true)
}

// ------------------------------------------------------------------ the holder's API

/// Appends a read (or a refusal) by `holder` under a transfer to the pod's log.
fn log(app: &HoldersApp, holder: &str, pod: &PodName, path: &ResourcePath, allowed: bool) {
    let Some(hook) = app.ctx.solid.access_log_hook() else {
        return;
    };
    let credentials = Credentials {
        webid: holder_agent(app, holder),
        client_id: Some(holder.to_owned()),
        session: None,
    };
    hook.record(&AccessEvent {
        pod,
        path,
        credentials: Some(&credentials),
        modes: ModeSet::READ,
        allowed,
    });
}

fn unknown() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "No transfer of yours has this id: ask the resident for the reference their page shows.",
    )
}

fn ended() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "This transfer has ended (it expired, or the resident stopped it or withdrew their consent): nothing more can be read under it.",
    )
}

fn not_included() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "This transfer does not include this resource: it covers only what the resident named (GET the transfer to list its files).",
    )
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn json(body: serde_json::Value) -> Response {
    let mut r = (StatusCode::OK, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn describe(t: &Transfer) -> serde_json::Value {
    serde_json::json!({
        "id": t.id,
        "href": format!("/holders/v1/transfers/{}", t.id),
        "purpose": t.purpose,
        "resources": t.resources,
        "granted": rfc3339(t.created_ms),
        "expires": rfc3339(t.expires_ms),
    })
}

/// The transfer's consent record, if it is given at `now`, with what it names
/// (pod paths).
async fn given_record(
    app: &HoldersApp,
    pod: &PodName,
    t: &Transfer,
    now: Timestamp,
) -> Option<Vec<String>> {
    let (r, _) = consents::record(&app.ctx, pod, &t.consent_id).await?;
    if r.kind != Kind::Transfer
        || !r.state().is_active()
        || r.valid_until.is_none_or(|until| until <= now)
    {
        return None;
    }
    let root = format!("{}/{pod}", app.ctx.base_url());
    Some(
        r.data
            .iter()
            .filter_map(|iri| iri.strip_prefix(&root))
            .filter_map(|p| selfdata_solid::uri::parse_path(p).ok())
            .map(|p| p.as_str().to_owned())
            .collect(),
    )
}

/// What a live transfer's record names, if the record is still given at
/// `now`. A live transfer whose record is not (withdrawn on the privacy
/// page, expired, gone, unreadable) is revoked in the registry for good,
/// here: the record is a file of the pod an app with the resident's rights
/// could write back, and a withdrawal must not be undone that way.
pub async fn still_given(
    app: &HoldersApp,
    pod: &PodName,
    t: &Transfer,
    now: Timestamp,
) -> Option<Vec<String>> {
    if !t.is_live(now.as_millisecond()) {
        return None;
    }
    let named = given_record(app, pod, t, now).await;
    if named.is_none()
        && let Err(e) = app
            .registry
            .revoke_transfer(pod.as_str(), &t.id, now.as_millisecond())
            .await
    {
        tracing::warn!(error = %e, "a transfer whose record is withdrawn was not revoked");
    }
    named
}

/// A transfer of `holder`, live at `now` with its record given: the pod and
/// the paths both the registry and the record name. `Err` when it is not
/// this holder's (404), or has ended (403, logged in the pod).
async fn live(
    app: &HoldersApp,
    holder: &Holder,
    id: &str,
    now: Timestamp,
) -> Result<(Transfer, PodName, Vec<String>), ApiError> {
    let t = app
        .registry
        .transfer(id)
        .await?
        .filter(|t| t.holder_id == holder.id)
        .ok_or_else(unknown)?;
    let pod = PodName::parse(&t.pod).map_err(|_| unknown())?;
    let Some(named) = still_given(app, &pod, &t, now).await else {
        return Err(ended());
    };
    let both = t
        .resources
        .iter()
        .filter(|r| named.contains(r))
        .cloned()
        .collect();
    Ok((t, pod, both))
}

/// `GET /holders/v1/transfers`.
pub(crate) async fn list(State(app): State<Arc<HoldersApp>>, headers: HeaderMap) -> Response {
    let run = async {
        let holder = authenticate(&app, &headers).await?;
        let now = Timestamp::now();
        let mut out = Vec::new();
        for t in app
            .registry
            .live_transfers_to(&holder.id, now.as_millisecond())
            .await?
        {
            let Ok(pod) = PodName::parse(&t.pod) else {
                continue;
            };
            if still_given(&app, &pod, &t, now).await.is_some() {
                out.push(describe(&t));
            }
        }
        Ok::<_, ApiError>(json(serde_json::json!({ "transfers": out })))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// `GET /holders/v1/transfers/{id}`: the transfer and every file it covers
/// now (reading the list is logged as a read of each resource named).
pub(crate) async fn show(
    State(app): State<Arc<HoldersApp>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let run = async {
        let holder = authenticate(&app, &headers).await?;
        let (t, pod, named) = match live(&app, &holder, &id, Timestamp::now()).await {
            Ok(x) => x,
            Err(e) => {
                refused_under(&app, &holder, &id, None).await;
                return Err(e);
            }
        };
        let mut files = Vec::new();
        let mut truncated = false;
        for n in &named {
            let Ok(path) = ResourcePath::parse(n) else {
                continue;
            };
            log(&app, &holder.id, &pod, &path, true);
            let mut todo = vec![path];
            while let Some(p) = todo.pop() {
                if !p.is_container() {
                    if let Some(m) = app.ctx.store.meta(&pod, &p).await? {
                        files.push(m);
                    }
                    continue;
                }
                for m in app.ctx.store.members(&pod, &p).await? {
                    if m.path.is_container() {
                        todo.push(m.path);
                    } else if files.len() < MAX_FILES_LISTED {
                        files.push(m);
                    } else {
                        truncated = true;
                    }
                }
            }
        }
        files.sort_by(|a, b| a.path.as_str().cmp(b.path.as_str()));
        let mut body = describe(&t);
        body["resources"] = serde_json::json!(named);
        body["files"] = files
            .iter()
            .map(|m| {
                serde_json::json!({
                    "path": m.path.as_str(),
                    "href": format!("/holders/v1/transfers/{}{}", t.id, selfdata_solid::uri::encode_path(&m.path)),
                    "type": m.content_type,
                    "size": m.size,
                    "modified": rfc3339(m.modified_ms),
                })
            })
            .collect();
        body["truncated"] = truncated.into();
        Ok::<_, ApiError>(json(body))
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// A refusal under an ended transfer of `holder`, in the pod's log (at
/// the path asked, else at the first resource the transfer names);
/// nothing for another holder's transfer or an unknown one.
async fn refused_under(app: &HoldersApp, holder: &Holder, id: &str, path: Option<&ResourcePath>) {
    let Ok(Some(t)) = app.registry.transfer(id).await else {
        return;
    };
    let Ok(pod) = PodName::parse(&t.pod) else {
        return;
    };
    if t.holder_id != holder.id {
        return;
    }
    let first = t
        .resources
        .first()
        .and_then(|r| ResourcePath::parse(r).ok());
    if let Some(path) = path.or(first.as_ref()) {
        log(app, &holder.id, &pod, path, false);
    }
}

/// `GET /holders/v1/transfers/{id}/{*path}`: one file, as stored.
pub(crate) async fn fetch(
    State(app): State<Arc<HoldersApp>>,
    Path((id, _)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let run = async {
        let holder = authenticate(&app, &headers).await?;
        let prefix = format!("/holders/v1/transfers/{id}");
        let raw = uri.path().strip_prefix(&prefix).ok_or_else(unknown)?;
        let path = selfdata_solid::uri::parse_path(raw);
        let now = Timestamp::now();
        let (t, pod, named) = match live(&app, &holder, &id, now).await {
            Ok(x) => x,
            Err(e) => {
                refused_under(&app, &holder, &id, path.as_ref().ok()).await;
                return Err(e);
            }
        };
        let path = path?;
        if path.auxiliary_kind().is_some()
            || !covers(named.iter().map(String::as_str), path.as_str())
        {
            log(&app, &holder.id, &pod, &path, false);
            return Err(not_included());
        }
        if path.is_container() {
            return Err(ApiError::bad_request(format!(
                "A folder is not read as such: GET /holders/v1/transfers/{} lists its files.",
                t.id
            )));
        }
        let Some((meta, body)) = app.ctx.store.get(&pod, &path).await? else {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no file at this path in this transfer (GET the transfer to list its files).",
            ));
        };
        log(&app, &holder.id, &pod, &path, true);
        if let Err(e) = app
            .registry
            .count_reads(&t.id, 1, now.as_millisecond())
            .await
        {
            tracing::warn!(error = %e, "a transfer's read was not counted");
        }
        let mut r = (StatusCode::OK, body).into_response();
        let h = r.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
            h.insert(header::CONTENT_TYPE, v);
        }
        if let Ok(v) = HeaderValue::from_str(&meta.etag()) {
            h.insert(header::ETAG, v);
        }
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        // Stored content is data, never one of our pages.
        selfdata_solid::ldp::inert(h);
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
        Ok::<_, ApiError>(r)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

// ------------------------------------------------------------------ the resident's page

struct PartLine {
    path: String,
    label: String,
}

struct TransferLine {
    id: String,
    to: String,
    holder_id: String,
    what: String,
    purpose: &'static str,
    granted: String,
    until: String,
    state: &'static str,
    live: bool,
    reads: String,
    last_read: String,
}

#[derive(Template)]
#[template(path = "holders_transfers.html")]
struct TransfersPage<'a> {
    t: &'static TransferTexts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    holders: Vec<(String, String)>,
    parts: Vec<PartLine>,
    purposes: Vec<(&'static str, &'static str)>,
    max_days: i64,
    days_hint: String,
    transfers: Vec<TransferLine>,
}

/// What a folder of the pod holds, in words, when the services write it.
fn part_label(t: &TransferTexts, path: &str) -> Option<&'static str> {
    Some(match path {
        "/selfdata/energy/electricity/" => t.part_electricity,
        "/selfdata/energy/gas/" => t.part_gas,
        "/selfdata/energy/water/" => t.part_water,
        "/selfdata/energy/" => t.part_energy,
        "/selfdata/budget/" => t.part_budget,
        "/selfdata/mobility/" => t.part_mobility,
        "/selfdata/sources/" => t.part_sources,
        _ => return None,
    })
}

/// The folders of the pod a resident may name (three levels down, the
/// consent records aside), known ones first.
async fn parts(app: &HoldersApp, pod: &PodName, t: &TransferTexts) -> Vec<PartLine> {
    let records = format!("/{}", selfdata_consent::CONTAINER);
    let mut found = Vec::new();
    let mut todo = vec![(ResourcePath::root(), 0)];
    while let Some((p, depth)) = todo.pop() {
        let Ok(members) = app.ctx.store.members(pod, &p).await else {
            continue;
        };
        for m in members.into_iter().filter(|m| m.path.is_container()) {
            let s = m.path.as_str().to_owned();
            if s == records {
                continue;
            }
            if depth + 1 < 3 {
                todo.push((m.path, depth + 1));
            }
            // `/selfdata/` holds the consent records: offered by its parts.
            if s != "/selfdata/" && found.len() < 100 {
                found.push(s);
            }
        }
    }
    found.sort_by_key(|p| (part_label(t, p).is_none(), p.clone()));
    found
        .into_iter()
        .map(|p| PartLine {
            label: part_label(t, &p).unwrap_or_default().to_owned(),
            path: p,
        })
        .collect()
}

fn purpose_name(t: &TransferTexts, iri: &str) -> &'static str {
    match iri.strip_prefix(selfdata_consent::DPV) {
        Some("RequestedServiceProvision") => t.purpose_service,
        Some("CustomerCare") => t.purpose_care,
        Some("PublicBenefit") => t.purpose_public,
        Some("AcademicResearch") => t.purpose_research,
        _ => t.purpose_other,
    }
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /app/holders/transfers`.
pub(crate) async fn page_show(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    r: Resident,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let notice = done.ok().and_then(|Query(d)| d.done);
    let lang = chrome.language();
    render(&app, chrome, &r, lang, notice.as_deref()).await
}

async fn render(
    app: &HoldersApp,
    chrome: Chrome,
    r: &Resident,
    lang: Lang,
    done: Option<&str>,
) -> Result<Response, PageError> {
    let t: &'static TransferTexts = lang.words();
    let holders = app.registry.holders().await.map_err(PageError::internal)?;
    let transfers = app
        .registry
        .transfers_of_pod(r.pod.as_str())
        .await
        .map_err(PageError::internal)?;
    let now = Timestamp::now().as_millisecond();
    let name_of = |id: &str| {
        holders
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut lines = Vec::new();
    for x in &transfers {
        // Withdrawn elsewhere (the privacy page) stops it for good.
        let given = still_given(app, &r.pod, x, Timestamp::now())
            .await
            .is_some();
        let (state, live) = if given {
            (t.state_live, true)
        } else if x.revoked_ms.is_none() && !x.is_live(now) {
            (t.state_expired, false)
        } else {
            (t.state_stopped, false)
        };
        lines.push(TransferLine {
            id: x.id.clone(),
            to: name_of(&x.holder_id),
            holder_id: x.holder_id.clone(),
            what: x
                .resources
                .iter()
                .map(|p| match part_label(t, p) {
                    Some(l) => format!("{l} ({p})"),
                    None => p.clone(),
                })
                .collect::<Vec<_>>()
                .join(", "),
            purpose: purpose_name(t, &x.purpose),
            granted: crate::pages::paris(x.created_ms, lang),
            until: crate::pages::paris(x.expires_ms, lang),
            state,
            live,
            reads: count(x.reads, lang),
            last_read: x
                .last_read_ms
                .map(|ms| crate::pages::paris(ms, lang))
                .unwrap_or_default(),
        });
    }
    let notice = match done {
        Some("granted") => Some(t.done_granted),
        Some("stopped") => Some(t.done_stopped),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        TransfersPage {
            t,
            chrome,
            csrf: &r.session.csrf,
            notice,
            holders: holders.into_iter().map(|h| (h.id, h.name)).collect(),
            parts: parts(app, &r.pod, t).await,
            purposes: PURPOSES
                .iter()
                .map(|p| {
                    (
                        *p,
                        purpose_name(t, &format!("{}{p}", selfdata_consent::DPV)),
                    )
                })
                .collect(),
            max_days: MAX_DAYS,
            days_hint: fill(t.days_hint, &[("max", &MAX_DAYS.to_string())]),
            transfers: lines,
        }
        .render(),
    ))
}

/// `POST /app/holders/transfers`: `holder`, `purpose`, `days`, `consent`,
/// and one `part` per resource named.
pub(crate) async fn page_grant(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let t: &'static TransferTexts = chrome.language().words();
    let one = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    };
    if one("consent") != "yes" {
        return Err(PageError::new(StatusCode::BAD_REQUEST, t.no_consent));
    }
    let parts: Vec<String> = form
        .iter()
        .filter(|(n, _)| n == "part")
        .map(|(_, v)| v.clone())
        .collect();
    let days = one("days").parse::<i64>().unwrap_or(0);
    match grant_transfer(
        &app,
        &me.pod,
        one("holder"),
        &parts,
        one("purpose"),
        days,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/app/holders/transfers?done=granted").into_response()),
        Err(TransferError::NoHolder) => Err(PageError::new(StatusCode::NOT_FOUND, t.no_holder)),
        Err(TransferError::NoResource) | Err(TransferError::NotInPod) => {
            Err(PageError::new(StatusCode::BAD_REQUEST, t.no_part))
        }
        Err(TransferError::BadPurpose) => {
            Err(PageError::new(StatusCode::BAD_REQUEST, t.no_purpose))
        }
        Err(TransferError::BadDuration) => Err(PageError::new(
            StatusCode::BAD_REQUEST,
            fill(t.bad_days, &[("max", &MAX_DAYS.to_string())]),
        )),
        Err(TransferError::Store(e)) => Err(PageError::internal(e)),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct StopForm {
    id: String,
}

/// `POST /app/holders/transfers/stop`.
pub(crate) async fn page_stop(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<StopForm>,
) -> Result<Response, PageError> {
    let t: &'static TransferTexts = chrome.language().words();
    match stop_transfer(&app, &me.pod, &form.id).await {
        Ok(true) => Ok(Redirect::to("/app/holders/transfers?done=stopped").into_response()),
        Ok(false) => Err(PageError::new(StatusCode::NOT_FOUND, t.not_yours)),
        Err(e) => Err(PageError::internal(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_covers_its_files_and_what_is_inside_its_folders_only() {
        let named = ["/selfdata/energy/water/", "/notes/a.ttl"];
        assert!(covers(named, "/selfdata/energy/water/2026.csv"));
        assert!(covers(named, "/selfdata/energy/water/raw/x.csv"));
        assert!(covers(named, "/notes/a.ttl"));
        assert!(!covers(named, "/notes/a.ttl2"));
        assert!(!covers(named, "/notes/"));
        assert!(!covers(named, "/selfdata/energy/water"));
        assert!(!covers(named, "/selfdata/energy/gas/2026.csv"));
        assert!(!covers([], "/notes/a.ttl"));
    }

    #[test]
    fn the_root_and_access_lists_cannot_be_named() {
        assert!(nameable("/").is_none());
        assert!(nameable("/notes/.acl").is_none());
        assert!(nameable("/notes/a.ttl.meta").is_none());
        assert!(nameable("/notes/../profile/card").is_none());
        assert!(nameable("/notes/").is_some());
    }
}

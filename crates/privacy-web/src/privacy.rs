//! "Who has what on me?": the resident's page of control and transparency.
//!
//! - `GET /app/privacy`: every source of data in the pod (from
//!   `selfdata/sources/*/about.ttl`), every app with access (the identity
//!   provider's grants) with a Revoke button, every person given access
//!   (agents other than the owner in the pod's ACL resources) with a Remove
//!   button, a "Share with a person" form, the consent records, and the
//!   access log when the server keeps one.
//! - `POST /app/privacy/apps/revoke`, `POST /app/privacy/people/remove`,
//!   `POST /app/privacy/share`: take effect at once (token families revoked;
//!   ACLs written through the pod server, which forgets its cached ACLs)
//!   and record the event in the grant's consent record.
//! - `GET /app/privacy/consents/{id}`: one consent record;
//!   `GET /app/privacy/consents/{id}/receipt`: the record itself, as Turtle.
//! - `/app/privacy/requests…`: rights against holders ([`requests`]).
//!
//! Consent records are resources of the pod at `selfdata/consents/<id>.ttl`
//! (see `selfdata-consent`). Every page needs the resident's session; every
//! form carries its CSRF token.

mod acl;
mod requests;
#[path = "privacy_texts.rs"]
mod texts;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::Timestamp;
use selfdata_consent::{Kind, Notice, Party, Record, State as ConsentState, id_for};
use selfdata_rdf::oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use selfdata_rdf::{RdfFormat, parse};
use selfdata_store::{AuxKind, PodName, ResourcePath};
use serde::Deserialize;

use selfdata_service::consents;
use selfdata_site::{Chrome, CsrfForm, PageError, Resident, fill, page};

use crate::PrivacyApp;
pub use texts::PrivacyTexts;

/// This module's routes.
pub fn routes() -> Router<Arc<PrivacyApp>> {
    Router::new()
        .route("/app/privacy", get(overview))
        .route("/app/privacy/apps/revoke", post(revoke_app))
        .route("/app/privacy/people/remove", post(remove_person))
        .route("/app/privacy/share", post(share))
        .route("/app/privacy/consents/{id}", get(record_page))
        .route("/app/privacy/consents/{id}/receipt", get(receipt))
        .merge(requests::routes())
}

// ------------------------------------------------------------------ consent records in the pod

fn person_record_id(agent: &str, resource_iri: &str) -> String {
    id_for(Kind::Person, &format!("{agent}\n{resource_iri}"))
}

// ------------------------------------------------------------------ the overview

struct SourceView {
    holder: String,
    categories: String,
    period: String,
    records: String,
    updated: String,
    originals: Vec<String>,
}

struct AppView {
    id: String,
    name: String,
    client_id: String,
    since: String,
    last_access: Option<String>,
    record: String,
}

struct PersonView {
    agent: String,
    what: String,
    modes: String,
    since: String,
    last_access: Option<String>,
    acl: String,
    record: Option<String>,
}

struct LogRow {
    time: String,
    who: String,
    client: String,
    resource: String,
    modes: String,
    allowed: bool,
    /// How many refusals the row stands for (gathered within a minute).
    count: u64,
}

/// The access log's filters (query of `GET /app/privacy`).
#[derive(Debug, Clone, Default, Deserialize)]
struct LogQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    resource: String,
    /// `allowed`, `denied` or empty.
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

/// How many log entries the page shows at most (the newest).
const LOG_ROWS: usize = 200;

fn day_start_ms(d: &str) -> Option<i64> {
    let date: jiff::civil::Date = d.parse().ok()?;
    date.to_zoned_datetime(selfdata_sources::time::paris())
        .ok()
        .map(|z| z.timestamp().as_millisecond())
}

/// What the access log shows for an app: the name the resident allowed it
/// under, else the host of its client id when that is a URL, else the id.
fn app_label(names: &[(String, String)], client_id: &str) -> String {
    if let Some((_, name)) = names.iter().find(|(id, _)| id == client_id) {
        return name.clone();
    }
    client_id
        .strip_prefix("https://")
        .or_else(|| client_id.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', '?', '#']).next())
        .filter(|host| !host.is_empty())
        .unwrap_or(client_id)
        .to_owned()
}

/// `names`: the resident's apps (client id, name), revoked ones included.
async fn log_rows(
    services: &PrivacyApp,
    p: &'static PrivacyTexts,
    pod: &PodName,
    q: &LogQuery,
    names: &[(String, String)],
) -> Option<Vec<LogRow>> {
    let filter = crate::log::LogFilter {
        who: Some(q.who.trim().to_owned()).filter(|w| !w.is_empty()),
        resource_prefix: Some(q.resource.trim().to_owned()).filter(|w| !w.is_empty()),
        allowed: match q.outcome.as_str() {
            "allowed" => Some(true),
            "denied" => Some(false),
            _ => None,
        },
        since_ms: day_start_ms(&q.from),
        until_ms: q
            .to
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.tomorrow().ok())
            .and_then(|d| day_start_ms(&d.to_string())),
        limit: Some(LOG_ROWS),
    };
    match crate::log::entries(services, pod, &filter).await {
        Ok(list) => Some(
            list.into_iter()
                .rev()
                .map(|e| LogRow {
                    time: Timestamp::from_millisecond(e.entry.time_ms)
                        .map(|t| {
                            t.to_zoned_datetime(selfdata_sources::time::paris())
                                .strftime("%Y-%m-%d %H:%M:%S")
                                .to_string()
                        })
                        .unwrap_or_default(),
                    who: e.entry.webid.unwrap_or_else(|| p.log_anonymous.to_owned()),
                    client: e
                        .entry
                        .client_id
                        .map(|c| app_label(names, &c))
                        .unwrap_or_default(),
                    resource: e.entry.resource,
                    modes: e.entry.modes.join(", "),
                    allowed: e.entry.allowed,
                    count: e.entry.count,
                })
                .collect(),
        ),
        Err(e) => {
            tracing::error!(error = %e, "the access log could not be read");
            None
        }
    }
}

/// The last allowed access by `who` (an app's client id or a person's
/// WebID), as a local date and time.
async fn last_access(services: &PrivacyApp, pod: &PodName, who: &str) -> Option<String> {
    let filter = crate::log::LogFilter {
        who: Some(who.to_owned()),
        allowed: Some(true),
        limit: Some(1),
        ..Default::default()
    };
    let e = crate::log::entries(services, pod, &filter)
        .await
        .ok()?
        .pop()?;
    Timestamp::from_millisecond(e.entry.time_ms).ok().map(|t| {
        t.to_zoned_datetime(selfdata_sources::time::paris())
            .strftime("%Y-%m-%d %H:%M")
            .to_string()
    })
}

struct RecordRow {
    id: String,
    kind: &'static str,
    who: String,
    state: &'static str,
    active: bool,
    given: String,
    ended: String,
}

#[derive(Template)]
#[template(path = "privacy_overview.html")]
struct OverviewPage<'a> {
    p: &'static PrivacyTexts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<String>,
    error: Option<String>,
    sources: Vec<SourceView>,
    apps: Vec<AppView>,
    people: Vec<PersonView>,
    records: Vec<RecordRow>,
    log: Option<Vec<LogRow>>,
    q: LogQuery,
    webid: String,
    folder: String,
}

#[derive(Default)]
struct Outcome {
    log: LogQuery,
    notice: Option<String>,
    error: Option<String>,
    webid: String,
    folder: String,
}

impl Outcome {
    /// What a form did.
    fn done(notice: String) -> Self {
        Outcome {
            notice: Some(notice),
            ..Outcome::default()
        }
    }

    /// Why a form did nothing.
    fn failed(error: &str) -> Self {
        Outcome {
            error: Some(error.to_owned()),
            ..Outcome::default()
        }
    }
}

fn day(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(selfdata_sources::time::paris())
                .date()
                .to_string()
        })
        .unwrap_or_default()
}

fn day_of(t: Timestamp) -> String {
    day(t.as_millisecond())
}

/// A source's category (the last segment of its theme IRI) in words.
fn theme_name(p: &PrivacyTexts, slug: &str) -> String {
    match slug {
        "electricity-consumption" => p.theme_electricity,
        "electricity-daily-max-power" => p.theme_max_power,
        "gas-consumption-energy" => p.theme_gas_energy,
        "gas-consumption-volume" => p.theme_gas_volume,
        "water-consumption" => p.theme_water,
        other => return other.replace('-', " "),
    }
    .to_owned()
}

/// A record's term (purpose, legal basis, jurisdiction) in words when it is
/// one selfdata writes, else its IRI.
fn term_name(p: &PrivacyTexts, iri: &str) -> String {
    let dpv = selfdata_consent::DPV;
    match iri.strip_prefix(dpv) {
        Some("Consent") => p.term_consent.to_owned(),
        Some("ServiceProvision") => p.term_service.to_owned(),
        _ if iri == format!("{}FR", selfdata_consent::DPV_LOC) => p.term_france.to_owned(),
        _ => iri.to_owned(),
    }
}

fn modes_text(p: &PrivacyTexts, modes: &[String]) -> String {
    let has = |m: &str| modes.iter().any(|x| x == &format!("{}{m}", acl::ACL));
    if has("Control") {
        p.mode_all.to_owned()
    } else if has("Write") || has("Append") {
        p.mode_write.to_owned()
    } else {
        p.mode_read.to_owned()
    }
}

fn kind_name(p: &PrivacyTexts, k: Kind) -> &'static str {
    match k {
        Kind::App => p.kind_app,
        Kind::Person => p.kind_person,
        Kind::Source => p.kind_source,
        Kind::Study => p.kind_study,
    }
}

fn state_name(p: &PrivacyTexts, s: ConsentState) -> &'static str {
    match s {
        ConsentState::Given => p.state_given,
        ConsentState::Withdrawn => p.state_withdrawn,
        ConsentState::Expired => p.state_expired,
    }
}

const DCT: &str = "http://purl.org/dc/terms/";
const DCAT: &str = "http://www.w3.org/ns/dcat#";

fn first_value(g: &Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::Literal(l) => Some(l.value().to_owned()),
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
}

/// One source description of the pod (`selfdata/sources/<holder>/about.ttl`),
/// read and parsed.
struct SourceDescription {
    /// The holder's folder.
    folder: ResourcePath,
    /// The description's IRI (its subject).
    iri: String,
    /// The stored Turtle.
    body: bytes::Bytes,
    graph: Graph,
}

impl SourceDescription {
    /// The description's subject.
    fn subject(&self) -> NamedOrBlankNodeRef<'_> {
        NamedNodeRef::new_unchecked(&self.iri).into()
    }

    /// The node of the holder that published the data.
    fn publisher(&self) -> Option<NamedOrBlankNodeRef<'_>> {
        self.graph
            .object_for_subject_predicate(
                self.subject(),
                NamedNodeRef::new_unchecked(&format!("{DCT}publisher")),
            )
            .and_then(node)
    }
}

/// Every source description of the pod that can be read; one that cannot is
/// passed over (nothing is known of it yet).
async fn source_descriptions(services: &PrivacyApp, pod: &PodName) -> Vec<SourceDescription> {
    let Ok(root) = ResourcePath::parse("/selfdata/sources/") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for holder in services
        .ctx
        .store
        .members(pod, &root)
        .await
        .unwrap_or_default()
    {
        if !holder.path.is_container() {
            continue;
        }
        let Ok(about) = holder.path.child("about.ttl") else {
            continue;
        };
        let Ok(Some((_, body))) = services.ctx.store.get(pod, &about).await else {
            continue;
        };
        let iri = selfdata_solid::uri::resource_uri(consents::base(&services.ctx), pod, &about);
        let Ok(graph) = parse(&body, RdfFormat::Turtle, &iri) else {
            continue;
        };
        out.push(SourceDescription {
            folder: holder.path,
            iri,
            body,
            graph,
        });
    }
    out
}

/// The meter or account identifiers the pod's source descriptions give for
/// the holder named `holder` (what a rights letter quotes).
pub(crate) async fn identifiers_at(
    services: &PrivacyApp,
    pod: &PodName,
    holder: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    for d in source_descriptions(services, pod).await {
        let named = d.publisher().is_some_and(|p| {
            d.graph
                .objects_for_subject_predicate(p, NamedNodeRef::new_unchecked("http://xmlns.com/foaf/0.1/name"))
                .any(|t| matches!(t, TermRef::Literal(l) if l.value().eq_ignore_ascii_case(holder.trim())))
        });
        if named {
            out.extend(selfdata_sources::describe::meters_of(&d.body, &d.iri));
        }
    }
    out
}

/// An organisation's `foaf:name` in the page's language, else its name
/// without a language, else any.
pub(crate) fn name_in(
    g: &Graph,
    s: NamedOrBlankNodeRef<'_>,
    lang: selfdata_site::Lang,
) -> Option<String> {
    let names: Vec<_> = g
        .objects_for_subject_predicate(
            s,
            NamedNodeRef::new_unchecked("http://xmlns.com/foaf/0.1/name"),
        )
        .filter_map(|t| match t {
            TermRef::Literal(l) => Some((l.language().map(str::to_owned), l.value().to_owned())),
            _ => None,
        })
        .collect();
    let code = lang.code();
    names
        .iter()
        .find(|(l, _)| l.as_deref() == Some(code))
        .or_else(|| names.iter().find(|(l, _)| l.is_none()))
        .or_else(|| names.first())
        .map(|(_, n)| n.clone())
}

fn node(t: TermRef<'_>) -> Option<NamedOrBlankNodeRef<'_>> {
    match t {
        TermRef::NamedNode(n) => Some(n.into()),
        TermRef::BlankNode(b) => Some(b.into()),
        _ => None,
    }
}

/// The sources of data in the pod, from the importer's descriptions; a
/// holder without a proper name of its own (the water utility) is named in
/// the page's language.
async fn sources(
    services: &PrivacyApp,
    lang: selfdata_site::Lang,
    pod: &PodName,
) -> Vec<SourceView> {
    let p: &'static PrivacyTexts = lang.words();
    let mut out = Vec::new();
    for source in source_descriptions(services, pod).await {
        let (g, s) = (&source.graph, source.subject());
        let name = source
            .publisher()
            .and_then(|p| name_in(g, p, lang))
            .unwrap_or_else(|| source.folder.name().trim_end_matches('/').to_owned());
        let mut themes: Vec<String> = g
            .objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(&format!("{DCAT}theme")))
            .filter_map(|t| match t {
                TermRef::NamedNode(n) => n
                    .as_str()
                    .rsplit(['#', '/'])
                    .next()
                    .map(|x| theme_name(p, x)),
                _ => None,
            })
            .collect();
        themes.sort();
        let period = g
            .object_for_subject_predicate(s, NamedNodeRef::new_unchecked(&format!("{DCT}temporal")))
            .and_then(node)
            .map(|p| {
                let d = |k: &str| {
                    first_value(g, p, &format!("{DCAT}{k}"))
                        .and_then(|v| v.parse::<Timestamp>().ok())
                        .map(day_of)
                        .unwrap_or_default()
                };
                format!("{} – {}", d("startDate"), d("endDate"))
            })
            .unwrap_or_default();
        let records = first_value(g, s, &format!("{}readings", selfdata_consent::SD))
            .map(|v| match v.parse::<u64>() {
                Ok(n) => selfdata_site::count(n, lang),
                Err(_) => v,
            })
            .unwrap_or_default();
        let updated = first_value(g, s, &format!("{DCT}modified"))
            .and_then(|v| v.parse::<Timestamp>().ok())
            .map(day_of)
            .unwrap_or_default();
        let mut originals: Vec<String> = Vec::new();
        if let Ok(raw) = source.folder.child("raw/") {
            for f in services
                .ctx
                .store
                .members(pod, &raw)
                .await
                .unwrap_or_default()
            {
                originals.push(f.path.as_str().to_owned());
            }
        }
        out.push(SourceView {
            holder: name,
            categories: themes.join(", "),
            period,
            records,
            updated,
            originals,
        });
    }
    out
}

/// The overview, after what a form did: 400 when it says an error.
async fn render_overview(
    services: &PrivacyApp,
    chrome: Chrome,
    r: &Resident,
    o: Outcome,
) -> Response {
    let status = if o.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let lang = chrome.language();
    let p: &'static PrivacyTexts = lang.words();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let records = consents::records(&services.ctx, &r.pod).await;
    let grants = services
        .idp
        .directory()
        .grants_of(r.account.id)
        .await
        .unwrap_or_default();
    let names: Vec<(String, String)> = grants
        .iter()
        .map(|g| (g.client_id.clone(), g.client_name.clone()))
        .collect();
    let mut apps = Vec::new();
    for g in grants.into_iter().filter(|g| g.revoked_ms.is_none()) {
        apps.push(AppView {
            record: id_for(Kind::App, &g.id),
            since: day(g.created_ms),
            last_access: last_access(services, &r.pod, &g.client_id).await,
            id: g.id,
            name: g.client_name,
            client_id: g.client_id,
        });
    }
    let people = match acl::people(
        services.ctx.store.as_ref(),
        consents::base(&services.ctx),
        &r.pod,
        &owner,
    )
    .await
    {
        Ok(list) => {
            let mut views = Vec::with_capacity(list.len());
            for a in list {
                let iri = selfdata_solid::uri::resource_uri(
                    consents::base(&services.ctx),
                    &r.pod,
                    &a.resource,
                );
                let id = person_record_id(&a.agent, &iri);
                let rec = records.iter().find(|x| x.id == id);
                views.push(PersonView {
                    since: rec
                        .and_then(|x| x.given())
                        .map(day_of)
                        .unwrap_or_else(|| day(a.modified_ms)),
                    record: rec.map(|x| x.id.clone()),
                    modes: modes_text(p, &a.modes),
                    what: a.resource.as_str().to_owned(),
                    acl: a.acl.as_str().to_owned(),
                    last_access: last_access(services, &r.pod, &a.agent).await,
                    agent: a.agent,
                });
            }
            views
        }
        Err(e) => {
            tracing::error!(error = %e, "the pod's ACLs could not be read");
            Vec::new()
        }
    };
    let rows = records
        .iter()
        .map(|x| RecordRow {
            id: x.id.clone(),
            kind: kind_name(p, x.kind),
            who: if x.controller.name.is_empty() {
                x.controller.id.clone()
            } else {
                x.controller.name.clone()
            },
            state: state_name(p, x.state()),
            active: x.state().is_active(),
            given: x.given().map(day_of).unwrap_or_default(),
            ended: x.ended().map(day_of).unwrap_or_default(),
        })
        .collect();
    page(
        status,
        OverviewPage {
            p,
            chrome,
            csrf: &r.session.csrf,
            notice: o.notice,
            error: o.error,
            sources: sources(services, lang, &r.pod).await,
            apps,
            people,
            records: rows,
            log: log_rows(services, p, &r.pod, &o.log, &names).await,
            q: o.log,
            webid: o.webid,
            folder: o.folder,
        }
        .render(),
    )
}

async fn overview(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    r: Resident,
    q: Result<Query<LogQuery>, QueryRejection>,
) -> Response {
    let o = Outcome {
        log: q.map(|Query(q)| q).unwrap_or_default(),
        ..Outcome::default()
    };
    render_overview(&services, chrome, &r, o).await
}

#[derive(Deserialize)]
struct IdForm {
    #[serde(default)]
    id: String,
}

async fn revoke_app(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<IdForm>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let o = match services.idp.revoke_app(r.account.id, &f.id).await {
        Ok(Some(g)) => Outcome::done(fill(p.revoked, &[("app", &g.client_name)])),
        Ok(None) => Outcome::failed(p.not_listed),
        Err(e) => {
            tracing::error!(error = %e, "revoking an app failed");
            Outcome::failed(p.failed)
        }
    };
    render_overview(&services, chrome, &r, o).await
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    acl: String,
    #[serde(default)]
    agent: String,
}

async fn remove_person(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<RemoveForm>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let acl_path = ResourcePath::parse(&f.acl)
        .ok()
        .filter(|a| a.auxiliary_kind() == Some(AuxKind::Acl));
    let listed = match &acl_path {
        Some(a) if f.agent != owner => acl::people(
            services.ctx.store.as_ref(),
            consents::base(&services.ctx),
            &r.pod,
            &owner,
        )
        .await
        .unwrap_or_default()
        .into_iter()
        .find(|x| &x.acl == a && x.agent == f.agent),
        _ => None,
    };
    let o = match listed {
        None => Outcome::failed(p.not_listed),
        Some(access) => {
            let acl_iri = selfdata_solid::uri::resource_uri(
                consents::base(&services.ctx),
                &r.pod,
                &access.acl,
            );
            let write = acl::remove_agent(acl_iri, access.acl.clone(), access.agent.clone());
            match services.ctx.solid.write(&r.pod, write).await {
                Err(e) => {
                    tracing::error!(error = %e, "removing a person from an ACL failed");
                    Outcome::failed(p.failed)
                }
                Ok(_) => {
                    let iri = selfdata_solid::uri::resource_uri(
                        consents::base(&services.ctx),
                        &r.pod,
                        &access.resource,
                    );
                    let id = person_record_id(&access.agent, &iri);
                    let fresh =
                        person_record(&services, &r.pod, &access.agent, &iri, &access.modes, &id);
                    let done =
                        consents::change_record(&services.ctx, &r.pod, &id, move |existing| {
                            let mut rec = existing.unwrap_or_else(|| fresh.clone());
                            rec.withdraw(
                                Timestamp::now(),
                                Some("Access removed by the resident".to_owned()),
                            );
                            rec
                        })
                        .await;
                    if let Err(e) = done {
                        tracing::error!(error = %e, "recording a consent withdrawal failed");
                    }
                    Outcome::done(fill(
                        p.removed,
                        &[("who", &access.agent), ("what", access.resource.as_str())],
                    ))
                }
            }
        }
    };
    render_overview(&services, chrome, &r, o).await
}

fn person_record(
    services: &PrivacyApp,
    pod: &PodName,
    agent: &str,
    resource_iri: &str,
    modes: &[String],
    id: &str,
) -> Record {
    let mut rec = Record::new(
        Kind::Person,
        id.to_owned(),
        consents::owner_webid(&services.ctx, pod),
        Party::new(agent, agent),
        Timestamp::now(),
    );
    rec.data = vec![resource_iri.to_owned()];
    rec.modes = modes.to_vec();
    rec.target = Some(resource_iri.to_owned());
    rec.notice = Some(Notice::of_text(
        &format!("{}/app/privacy", consents::base(&services.ctx)),
        "1",
        &format!("Share {resource_iri} with {agent} ({})", modes.join(", ")),
    ));
    rec
}

#[derive(Deserialize)]
struct ShareForm {
    #[serde(default)]
    webid: String,
    #[serde(default)]
    folder: String,
    #[serde(default)]
    mode: String,
}

async fn share(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<ShareForm>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let webid = f.webid.trim().to_owned();
    let mut folder = f.folder.trim().to_owned();
    if !folder.starts_with('/') {
        folder.insert(0, '/');
    }
    if !folder.ends_with('/') {
        folder.push('/');
    }
    let again = |error: &str| Outcome {
        error: Some(error.to_owned()),
        webid: webid.clone(),
        folder: f.folder.clone(),
        ..Outcome::default()
    };
    let o = if !acl::valid_webid(&webid) || webid == owner {
        again(p.bad_webid)
    } else {
        let path = ResourcePath::parse(&folder)
            .ok()
            .filter(|x| x.auxiliary_kind().is_none());
        let exists = match &path {
            Some(x) => matches!(services.ctx.store.meta(&r.pod, x).await, Ok(Some(_))),
            None => false,
        };
        match path.filter(|_| exists) {
            None => again(p.bad_folder),
            Some(path) => {
                let modes: Vec<String> = if f.mode == "write" {
                    vec!["Read", "Write"]
                } else {
                    vec!["Read"]
                }
                .into_iter()
                .map(|m| format!("{}{m}", acl::ACL))
                .collect();
                let acl_path = path.aux(AuxKind::Acl);
                let acl_iri = selfdata_solid::uri::resource_uri(
                    consents::base(&services.ctx),
                    &r.pod,
                    &acl_path,
                );
                let folder_iri =
                    selfdata_solid::uri::resource_uri(consents::base(&services.ctx), &r.pod, &path);
                let id = person_record_id(&webid, &folder_iri);
                let fresh = person_record(&services, &r.pod, &webid, &folder_iri, &modes, &id);
                // The record first: no access without its record.
                let recorded =
                    consents::change_record(&services.ctx, &r.pod, &id, move |existing| {
                        match existing {
                            Some(mut rec) if !rec.state().is_active() => {
                                rec.give_again(Timestamp::now(), None);
                                rec.modes = fresh.modes.clone();
                                rec
                            }
                            Some(mut rec) => {
                                rec.modes = fresh.modes.clone();
                                rec
                            }
                            None => fresh.clone(),
                        }
                    })
                    .await;
                let write = acl::share(
                    acl_iri,
                    acl_path,
                    folder_iri,
                    owner.clone(),
                    webid.clone(),
                    modes,
                );
                let shared = match recorded {
                    Ok(()) => services.ctx.solid.write(&r.pod, write).await.map(|_| ()),
                    Err(e) => Err(e),
                };
                match shared {
                    Ok(()) => {
                        Outcome::done(fill(p.shared, &[("who", &webid), ("what", path.as_str())]))
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "sharing a folder failed");
                        again(p.failed)
                    }
                }
            }
        }
    };
    render_overview(&services, chrome, &r, o).await
}

// ------------------------------------------------------------------ the home card

/// The privacy card of the resident's home page: who has access.
pub(crate) async fn card(
    services: &PrivacyApp,
    r: &Resident,
    lang: selfdata_site::Lang,
) -> Option<selfdata_service::Card> {
    let p: &'static PrivacyTexts = lang.words();
    let apps = services
        .idp
        .directory()
        .grants_of(r.account.id)
        .await
        .unwrap_or_default()
        .iter()
        .filter(|g| g.revoked_ms.is_none())
        .count();
    let owner = consents::owner_webid(&services.ctx, &r.pod);
    let people = acl::people(
        services.ctx.store.as_ref(),
        consents::base(&services.ctx),
        &r.pod,
        &owner,
    )
    .await
    .map(|list| list.len())
    .unwrap_or(0);
    let headline = if apps == 0 && people == 0 {
        p.card_nobody.to_owned()
    } else {
        fill(
            p.card_access,
            &[("apps", &apps.to_string()), ("people", &people.to_string())],
        )
    };
    Some(selfdata_service::Card {
        title: p.title,
        href: "/app/privacy",
        headline,
        lines: Vec::new(),
    })
}

// ------------------------------------------------------------------ one record

#[derive(Template)]
#[template(path = "privacy_record.html")]
struct RecordPage<'a> {
    p: &'static PrivacyTexts,
    chrome: Chrome,
    r: &'a Record,
    kind: &'static str,
    state: &'static str,
    fields: Vec<(&'static str, String)>,
    /// (instant for `datetime`, Paris time shown, state, note).
    events: Vec<(String, String, &'static str, String)>,
}

async fn record_page(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    r: Resident,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let p: &'static PrivacyTexts = chrome.language().words();
    let Some((rec, _)) = consents::record(&services.ctx, &r.pod, &id).await else {
        return Err(PageError::new(StatusCode::NOT_FOUND, p.not_listed));
    };
    let party = |x: &Party| {
        let mut s = if x.name.is_empty() || x.name == x.id {
            x.id.clone()
        } else {
            format!("{} <{}>", x.name, x.id)
        };
        if let Some(c) = &x.contact {
            s.push_str(&format!(" ({c})"));
        }
        s
    };
    let mut fields = vec![
        (p.f_id, rec.id.clone()),
        (p.f_subject, rec.subject.clone()),
        (p.f_controller, party(&rec.controller)),
        (p.f_purpose, term_name(p, &rec.purpose)),
        (p.f_legal_basis, term_name(p, &rec.legal_basis)),
        (p.f_data, rec.data.join(", ")),
        (
            p.f_recipients,
            rec.recipients
                .iter()
                .map(party)
                .collect::<Vec<_>>()
                .join(", "),
        ),
    ];
    if !rec.modes.is_empty() {
        fields.push((p.f_modes, modes_text(p, &rec.modes)));
    }
    if let Some(n) = &rec.notice {
        fields.push((
            p.f_notice,
            format!("{} (v{}, {})", n.uri, n.version, n.hash),
        ));
    }
    fields.extend([
        (p.f_jurisdiction, term_name(p, &rec.jurisdiction)),
        (p.f_retention, rec.retention.clone()),
        (p.f_withdrawal, rec.withdrawal.clone()),
        (p.f_schema, rec.schema_version.clone()),
    ]);
    let events = rec
        .events
        .iter()
        .map(|e| {
            (
                e.time
                    .round(jiff::Unit::Second)
                    .unwrap_or(e.time)
                    .to_string(),
                e.time
                    .to_zoned_datetime(selfdata_sources::time::paris())
                    .strftime("%Y-%m-%d %H:%M")
                    .to_string(),
                state_name(p, e.state),
                e.note.clone().unwrap_or_default(),
            )
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        RecordPage {
            p,
            chrome,
            kind: kind_name(p, rec.kind),
            state: state_name(p, rec.state()),
            r: &rec,
            fields,
            events,
        }
        .render(),
    ))
}

async fn receipt(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    r: Resident,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let Some((_, body)) = consents::record(&services.ctx, &r.pod, &id).await else {
        let p: &'static PrivacyTexts = chrome.language().words();
        return Err(PageError::new(StatusCode::NOT_FOUND, p.not_listed));
    };
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/turtle; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"consent-{id}.ttl\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    selfdata_site::security_headers(h);
    Ok(resp)
}

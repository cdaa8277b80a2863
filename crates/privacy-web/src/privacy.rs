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
//! - `/app/privacy/organisations`: the directory of organisations that hold
//!   data on the resident ([`organisations`]), by sector too ([`sector`]),
//!   also kept as an open document of the pod ([`document`]);
//!   `…/organisations/{key}`: one of them, its evidence, letters and marks
//!   ([`organisation`]), and the resident's merges and splits
//!   ([`choices`]).
//!
//! Split by concern: [`sources`] (what the source descriptions say),
//! [`people`] (sharing with a person), [`granted`] (the apps and people
//! with access, as holders for the directory of [`organisations`]),
//! [`record`] (one consent record), [`acl`] (the pod's ACLs read and
//! written for sharing).
//!
//! Consent records are resources of the pod at `selfdata/consents/<id>.ttl`
//! (see `selfdata-consent`). Every page needs the resident's session; every
//! form carries its CSRF token.

mod acl;
pub mod choices;
pub mod document;
pub mod evidence;
pub(crate) mod granted;
mod organisation;
pub mod organisations;
mod people;
mod record;
mod requests;
pub mod sector;
mod sources;

use people::*;
use record::*;
use sources::*;
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

use crate::{PrivacyApp, when};
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
        .route(
            "/app/privacy/consents/{id}/withdraw",
            post(record::withdraw),
        )
        .route("/app/privacy/organisations", get(organisations::show))
        .route("/app/privacy/organisations.csv", get(organisations::export))
        .route("/app/privacy/organisations/{key}", get(organisation::show))
        .route(
            "/app/privacy/organisations/refresh",
            post(organisations::refresh),
        )
        .route(
            "/app/privacy/organisations/{key}/status",
            post(organisation::mark),
        )
        .route(
            "/app/privacy/organisations/{key}/merge",
            post(organisation::merge),
        )
        .route(
            "/app/privacy/organisations/{key}/split",
            post(organisation::split),
        )
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
                        .map(when::second)
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
    Timestamp::from_millisecond(e.entry.time_ms)
        .ok()
        .map(when::minute)
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

/// A source's category (the last segment of its theme IRI) in words.
fn theme_name(p: &PrivacyTexts, slug: &str) -> String {
    match slug {
        "electricity-consumption" => p.theme_electricity,
        "electricity-daily-max-power" => p.theme_max_power,
        "gas-consumption-energy" => p.theme_gas_energy,
        "gas-consumption-volume" => p.theme_gas_volume,
        "water-consumption" => p.theme_water,
        "bank-transactions" => p.theme_bank,
        "location-history" => p.theme_location,
        "OrganisationsHoldingMyData" => p.theme_organisations,
        other => return other.replace('-', " "),
    }
    .to_owned()
}

/// A record's term (purpose, legal basis, jurisdiction) in words when it is
/// one selfdata writes, else its IRI.
fn term_name(p: &PrivacyTexts, iri: &str) -> String {
    let dpv = crate::vocab::DPV;
    match iri.strip_prefix(dpv) {
        Some("Consent") => p.term_consent.to_owned(),
        Some("ServiceProvision") => p.term_service.to_owned(),
        Some("RequestedServiceProvision") => p.term_requested_service.to_owned(),
        Some("CustomerCare") => p.term_customer_care.to_owned(),
        Some("PublicBenefit") => p.term_public_benefit.to_owned(),
        Some("AcademicResearch") => p.term_academic_research.to_owned(),
        _ if iri == format!("{}FR", selfdata_consent::DPV_LOC) => p.term_france.to_owned(),
        _ => iri.to_owned(),
    }
}

fn modes_text(p: &PrivacyTexts, modes: &[String]) -> String {
    let has = |m: &str| {
        modes
            .iter()
            .any(|x| x == &format!("{}{m}", crate::vocab::ACL))
    };
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
        Kind::Transfer => p.kind_transfer,
    }
}

fn state_name(p: &PrivacyTexts, s: ConsentState) -> &'static str {
    match s {
        ConsentState::Given => p.state_given,
        ConsentState::Withdrawn => p.state_withdrawn,
        ConsentState::Expired => p.state_expired,
    }
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
    // A record past its validity reads as expired, written so or not.
    let now = Timestamp::now();
    let records: Vec<Record> = consents::records(&services.ctx, &r.pod)
        .await
        .into_iter()
        .map(|mut x| {
            x.expire_if_due(now);
            x
        })
        .collect();
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
            since: when::date_ms(g.created_ms),
            last_access: last_access(services, &r.pod, &g.client_id).await,
            id: g.id,
            name: g.client_name,
            client_id: g.client_id,
        });
    }
    let people = match acl::people(
        services.ctx.store.as_ref(),
        services.ctx.base_url(),
        &r.pod,
        &owner,
    )
    .await
    {
        Ok(list) => {
            let mut views = Vec::with_capacity(list.len());
            for a in list {
                let iri =
                    selfdata_solid::uri::resource_uri(services.ctx.base_url(), &r.pod, &a.resource);
                let id = person_record_id(&a.agent, &iri);
                let rec = records.iter().find(|x| x.id == id);
                views.push(PersonView {
                    since: rec
                        .and_then(|x| x.given())
                        .map(when::date)
                        .unwrap_or_else(|| when::date_ms(a.modified_ms)),
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
            given: x.given().map(when::date).unwrap_or_default(),
            ended: x.ended().map(when::date).unwrap_or_default(),
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
        services.ctx.base_url(),
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

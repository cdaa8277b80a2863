//! `/app/holders`: the resident's organisations that send data.
//!
//! What the resident does here: sees which organisations send them their
//! data and which could (those the operator registered), connects one by
//! giving the identifier it knows them by and agreeing (a consent record
//! in their pod, shown on "Who has what on me?"), stops one at once (the
//! record withdrawn, the link forgotten), and sees every delivery: when,
//! from whom, how many records, what came of it.
//!
//! An identifier already connected to another account is refused: a
//! resident cannot have someone else's meter readings sent to them by
//! claiming their number.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use selfdata_consent::Party;
use selfdata_service::{Card, KnownOrganisation, Sector};
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, count, fill, page};
use selfdata_store::PodName;
use selfdata_store::holders::{Holder, Link};
use serde::Deserialize;

use crate::push::holder_agent;
use crate::{HoldersApp, Texts};

struct ConnectedLine {
    id: String,
    name: String,
    what: String,
    since: String,
}

struct AvailableLine {
    id: String,
    name: String,
    what: String,
    contact: String,
    identifier: String,
    consent: String,
}

struct DeliveryLine {
    when: String,
    from: String,
    records: String,
    outcome: String,
}

#[derive(Template)]
#[template(path = "holders.html")]
struct HoldersPage<'a> {
    t: &'static Texts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    connected: Vec<ConnectedLine>,
    available: Vec<AvailableLine>,
    deliveries: Vec<DeliveryLine>,
}

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Done {
    pub(crate) done: Option<String>,
}

fn what(t: &Texts, h: &Holder) -> String {
    h.categories
        .iter()
        .map(|c| t.category(c))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The holders the resident of `pod` connected, for "who has what on me":
/// each knows them by an identifier and sends them what it holds.
pub async fn organisations(app: &HoldersApp, pod: &PodName, lang: Lang) -> Vec<KnownOrganisation> {
    let t: &'static Texts = lang.words();
    let (holders, links) = match (
        app.registry.holders().await,
        app.registry.links_of_pod(pod.as_str()).await,
    ) {
        (Ok(h), Ok(l)) => (h, l),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(pod = %pod, error = %e, "the connected holders could not be read");
            return Vec::new();
        }
    };
    let mut known: Vec<KnownOrganisation> = links
        .iter()
        .filter_map(|l| {
            let h = holders.iter().find(|h| h.id == l.holder_id)?;
            Some(KnownOrganisation {
                name: h.name.clone(),
                person: false,
                how: fill(t.known_how, &[("what", &what(t, h))]),
                categories: vec!["Identifying".to_owned(), "Delivered".to_owned()],
                first: Timestamp::from_millisecond(l.created_ms).ok(),
                last: None,
                sector: sector_of(&h.categories),
            })
        })
        .collect();
    // Those the resident lets read part of their pod (direct transfers).
    let now = Timestamp::now();
    let words: &'static crate::TransferTexts = lang.words();
    for x in app
        .registry
        .transfers_of_pod(pod.as_str())
        .await
        .unwrap_or_default()
    {
        if crate::transfer::still_given(app, pod, &x, now)
            .await
            .is_none()
        {
            continue;
        }
        let Some(h) = holders.iter().find(|h| h.id == x.holder_id) else {
            continue;
        };
        known.push(KnownOrganisation {
            name: h.name.clone(),
            person: false,
            how: fill(words.known_how, &[("until", &paris(x.expires_ms, lang))]),
            categories: Vec::new(),
            first: Timestamp::from_millisecond(x.created_ms).ok(),
            last: None,
            sector: sector_of(&h.categories),
        });
    }
    known
}

/// The sector of a holder, from what it delivers.
fn sector_of(categories: &[String]) -> Option<Sector> {
    categories.iter().find_map(|c| match c.as_str() {
        "water" | "electricity" | "gas" => Some(Sector::EnergyWater),
        "bank" => Some(Sector::BankInsurance),
        _ => None,
    })
}

/// A time at Paris, to the minute.
pub(crate) fn paris(ms: i64, lang: Lang) -> String {
    let Ok(t) = Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let z = t.to_zoned_datetime(selfdata_sources::time::paris());
    match lang {
        Lang::Fr => z.strftime("%d/%m/%Y %H:%M").to_string(),
        Lang::En => z.strftime("%Y-%m-%d %H:%M").to_string(),
    }
}

/// `GET /app/holders`.
pub(crate) async fn show(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    r: Resident,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let pod = r.pod.to_string();
    let (holders, links, deliveries) = match (
        app.registry.holders().await,
        app.registry.links_of_pod(&pod).await,
        app.registry.deliveries_of(&pod, 50).await,
    ) {
        (Ok(h), Ok(l), Ok(d)) => (h, l, d),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            return PageError::internal(e).into_response();
        }
    };
    let name_of = |id: &str| {
        holders
            .iter()
            .find(|h| h.id == id)
            .map(|h| h.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut connected = Vec::new();
    let mut available = Vec::new();
    // An organisation that only receives is not connected to: residents
    // give it parts of their pod on the transfers page instead.
    for h in holders.iter().filter(|h| !h.receives_only()) {
        match links.iter().find(|l| l.holder_id == h.id) {
            Some(l) => connected.push(ConnectedLine {
                id: h.id.clone(),
                name: h.name.clone(),
                what: what(t, h),
                since: paris(l.created_ms, lang)
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            }),
            None => available.push(AvailableLine {
                id: h.id.clone(),
                name: h.name.clone(),
                what: what(t, h),
                contact: h.contact.clone(),
                identifier: h.identifier.clone(),
                consent: fill(t.consent, &[("name", &h.name), ("what", &what(t, h))]),
            }),
        }
    }
    let deliveries = deliveries
        .iter()
        .map(|d| DeliveryLine {
            when: paris(d.at_ms, lang),
            from: name_of(&d.holder_id),
            records: count(d.records, lang),
            outcome: if d.ok {
                d.outcome.clone()
            } else {
                format!("{} : {}", t.failed, d.outcome)
            },
        })
        .collect();
    let notice = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("connected") => Some(t.done_connected),
        Some("disconnected") => Some(t.done_disconnected),
        _ => None,
    };
    page(
        StatusCode::OK,
        HoldersPage {
            t,
            chrome,
            csrf: &r.session.csrf,
            notice,
            connected,
            available,
            deliveries,
        }
        .render(),
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConnectForm {
    holder: String,
    #[serde(default)]
    identifier: String,
    #[serde(default)]
    consent: Option<String>,
}

/// The pod folders a holder's categories are delivered to (what the
/// consent record names).
fn data_of(app: &HoldersApp, pod: &str, h: &Holder) -> Vec<String> {
    let base = format!("{}/{pod}/selfdata/", app.ctx.base_url());
    h.categories
        .iter()
        .map(|c| match c.as_str() {
            "water" | "electricity" | "gas" => format!("{base}energy/{c}/"),
            "bank" => format!("{base}budget/"),
            _ => base.clone(),
        })
        .collect()
}

/// Why a connection was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("no such holder")]
    NoHolder,
    #[error("no identifier")]
    NoIdentifier,
    #[error("the identifier is connected to another pod")]
    Taken,
    #[error(transparent)]
    Store(#[from] selfdata_store::StoreError),
}

/// Connects the resident of `pod` to a holder that knows them by
/// `identifier`: the consent record in the pod, then the link that routes
/// the holder's rows to it. The one way a connection is made.
pub async fn connect_pod(
    app: &HoldersApp,
    pod: &PodName,
    holder_id: &str,
    identifier: &str,
) -> Result<(), ConnectError> {
    let holder = app
        .registry
        .holder(holder_id)
        .await?
        .filter(|h| !h.receives_only())
        .ok_or(ConnectError::NoHolder)?;
    let identifier = selfdata_holders::identifier(identifier);
    if identifier.is_empty() || identifier.chars().count() > 64 {
        return Err(ConnectError::NoIdentifier);
    }
    let customer = selfdata_holders::customer_key(&holder.id, &identifier);
    let name = pod.to_string();
    if app
        .registry
        .link_of(&holder.id, &customer)
        .await?
        .is_some_and(|l| l.pod != name)
    {
        return Err(ConnectError::Taken);
    }
    let consent_id = selfdata_service::consents::record_source_consent(
        &app.ctx,
        pod,
        Party::new(&holder_agent(app, &holder.id), &holder.name),
        &identifier,
        data_of(app, &name, &holder),
    )
    .await?;
    // One identifier per holder and pod: a new one replaces the old.
    app.registry.delete_links(&holder.id, &name).await?;
    let claimed = app
        .registry
        .claim_link(&Link {
            holder_id: holder.id.clone(),
            customer,
            pod: name,
            consent_id,
            created_ms: Timestamp::now().as_millisecond(),
        })
        .await?;
    if !claimed {
        // Another resident claimed it since the check above.
        return Err(ConnectError::Taken);
    }
    Ok(())
}

/// `POST /app/holders/connect`.
pub(crate) async fn connect(
    State(app): State<Arc<HoldersApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<ConnectForm>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    if form.consent.as_deref() != Some("yes") {
        return PageError::new(StatusCode::BAD_REQUEST, t.no_consent).into_response();
    }
    match connect_pod(&app, &me.pod, &form.holder, &form.identifier).await {
        Ok(()) => Redirect::to("/app/holders?done=connected").into_response(),
        Err(ConnectError::NoHolder) => {
            PageError::new(StatusCode::NOT_FOUND, t.no_holder).into_response()
        }
        Err(ConnectError::NoIdentifier) => {
            PageError::new(StatusCode::BAD_REQUEST, t.no_identifier).into_response()
        }
        Err(ConnectError::Taken) => PageError::new(StatusCode::CONFLICT, t.taken).into_response(),
        Err(ConnectError::Store(e)) => PageError::internal(e).into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DisconnectForm {
    holder: String,
}

/// Disconnects the resident of `pod` from a holder: the link forgotten
/// first (from that instant nothing is routed to the pod), then the
/// consent record withdrawn.
pub async fn disconnect_pod(
    app: &HoldersApp,
    pod: &PodName,
    holder_id: &str,
) -> Result<(), selfdata_store::StoreError> {
    let name = pod.to_string();
    let links = app.registry.links_of_pod(&name).await?;
    for l in links.into_iter().filter(|l| l.holder_id == holder_id) {
        app.registry.delete_links(&l.holder_id, &name).await?;
        withdraw_record(app, pod, &l.consent_id, "").await?;
    }
    Ok(())
}

/// Withdraws a consent record of `pod` now (`why`, if not empty, said in
/// it); nothing when the pod has no such record.
pub(crate) async fn withdraw_record(
    app: &HoldersApp,
    pod: &PodName,
    consent_id: &str,
    why: &str,
) -> Result<(), selfdata_store::StoreError> {
    let Some((before, _)) = selfdata_service::consents::record(&app.ctx, pod, consent_id).await
    else {
        return Ok(());
    };
    let why = (!why.is_empty()).then(|| why.to_owned());
    selfdata_service::consents::change_record(&app.ctx, pod, consent_id, move |r| {
        let mut r = r.unwrap_or_else(|| before.clone());
        r.withdraw(Timestamp::now(), why.clone());
        r
    })
    .await?;
    Ok(())
}

/// `POST /app/holders/disconnect`.
pub(crate) async fn disconnect(
    State(app): State<Arc<HoldersApp>>,
    CsrfForm { resident: me, form }: CsrfForm<DisconnectForm>,
) -> Response {
    match disconnect_pod(&app, &me.pod, &form.holder).await {
        Ok(()) => Redirect::to("/app/holders?done=disconnected").into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// The home page's card.
pub(crate) async fn card(app: &HoldersApp, r: &Resident, lang: Lang) -> Option<Card> {
    let t: &'static Texts = lang.words();
    if app
        .registry
        .holders()
        .await
        .ok()?
        .iter()
        .all(|h| h.receives_only())
    {
        return None;
    }
    let n = app.registry.links_of_pod(r.pod.as_str()).await.ok()?.len();
    Some(Card {
        title: t.card_title,
        href: "/app/holders",
        headline: if n == 0 {
            t.card_none.to_owned()
        } else {
            fill(t.card_connected, &[("n", &count(n as u64, lang))])
        },
        lines: Vec::new(),
    })
}

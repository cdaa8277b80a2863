//! The connection pages: the status page of every connection of the pod,
//! Enedis's consent start and callback, GRDF's PCE and consent form,
//! "update now" and "disconnect" (CSRF-checked forms).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use selfdata_connect::{Callback, ConnectionState, Connector};
use selfdata_site::{Chrome, CsrfForm, Resident, fill, page};
use selfdata_store::{PodName, StoreError, Write};

use super::words::ConnectWords;
use super::{CONSENT_PREFIX, CONSENT_TIMEOUT, Holder, HolderKind, PullStatus, STATUS};
use crate::EnergyApp;

/// The connectors' routes.
pub fn routes() -> Router<Arc<EnergyApp>> {
    Router::new()
        .route(STATUS, get(status))
        .route("/app/energy/connect/update", post(update))
        .route("/app/energy/connect/disconnect", post(disconnect))
        .route("/app/energy/connect/enedis", get(enedis_start))
        .route("/app/energy/connect/enedis/callback", get(enedis_callback))
        // The status page's first address, kept for bookmarks.
        .route(
            "/app/energy/connect/enedis/status",
            get(|| async { Redirect::to(STATUS) }),
        )
        .route(
            "/app/energy/connect/grdf",
            get(grdf_form).post(grdf_connect),
        )
}

/// One connection, as shown.
struct ConnectionView {
    slug: &'static str,
    meter: String,
    text: String,
    last: Option<String>,
    progress: Option<(usize, usize)>,
    reconnect: bool,
}

/// A holder the resident may connect, or why not.
struct Offer {
    href: Option<&'static str>,
    text: &'static str,
}

#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    w: &'static ConnectWords,
    message: String,
    error: bool,
    /// What the holder or the connector said, in English.
    detail: Option<String>,
    connections: Vec<ConnectionView>,
    offers: Vec<Offer>,
    daily: Option<String>,
    running: bool,
    csrf: String,
}

#[derive(Template)]
#[template(path = "grdf_connect.html")]
struct GrdfPage {
    chrome: Chrome,
    w: &'static ConnectWords,
    problem: Option<&'static str>,
    pce: String,
    csrf: String,
}

/// A page with one sentence in the site's layout, and, when there is one,
/// what the holder or the connector said (English only); an error when it
/// says why something failed.
fn told(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
    detail: Option<String>,
) -> Response {
    let w: &'static ConnectWords = chrome.language().words();
    let p = ConnectionsPage {
        chrome,
        w,
        message: pick(w).to_owned(),
        error: detail.is_some() || status.is_client_error() || status.is_server_error(),
        detail,
        connections: Vec::new(),
        offers: Vec::new(),
        daily: None,
        running: false,
        csrf: String::new(),
    };
    page(status, p.render())
}

fn message(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
) -> Response {
    told(chrome, status, pick, None)
}

fn failed_with(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
    detail: String,
) -> Response {
    told(chrome, status, pick, Some(detail))
}

/// A moment as the resident reads it: Paris time.
fn paris(at: jiff::Timestamp) -> String {
    at.in_tz("Europe/Paris")
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| at.to_string())
}

/// How one connection is doing, from its pull (on whatever server it ran)
/// and what is kept with it.
fn view<C: Connector + 'static>(
    w: &ConnectWords,
    holder: &Holder<C>,
    pull: Option<PullStatus>,
    state: &ConnectionState,
) -> ConnectionView {
    let name = holder.config.holder();
    let meter = state.meter.as_str();
    let said = |text: &str, extra: &[(&str, &str)]| {
        let mut args = vec![("holder", name), ("meter", meter)];
        args.extend_from_slice(extra);
        fill(text, &args)
    };
    let stopped = |why: &str, reconnect: bool| {
        let mut text = said(w.stopped, &[("why", why.trim_end_matches('.'))]);
        if !reconnect {
            text.push(' ');
            text.push_str(w.resumes);
        }
        text
    };
    let (text, progress, reconnect) = match pull {
        Some(PullStatus::Running { done, total }) => {
            (said(w.fetching, &[]), Some((done, total.max(1))), false)
        }
        Some(PullStatus::Done { windows }) => (
            said(w.up_to_date, &[("n", &windows.to_string())]),
            None,
            false,
        ),
        Some(PullStatus::Failed { message, reconnect }) => {
            (stopped(&message, reconnect), None, reconnect)
        }
        None => match &state.last_failure {
            Some(why) => (stopped(why, false), None, false),
            None => (said(w.waiting, &[]), None, false),
        },
    };
    ConnectionView {
        slug: holder.kind.slug(),
        meter: meter.to_owned(),
        text,
        last: state
            .last_success
            .map(|at| fill(w.last_pull, &[("when", &paris(at))])),
        progress,
        reconnect,
    }
}

async fn status(State(services): State<Arc<EnergyApp>>, chrome: Chrome, me: Resident) -> Response {
    let w: &'static ConnectWords = chrome.language().words();
    let connectors = &services.connectors;
    let store = services.ctx.store.as_ref();
    let mut connections = Vec::new();
    if let Some(h) = &connectors.enedis {
        for (state, _) in h.saved(store, &me.pod).await.unwrap_or_default() {
            let pull = h.status(store, &me.pod, &state.meter).await;
            connections.push(view(w, h, pull, &state));
        }
    }
    if let Some(h) = &connectors.grdf {
        for (state, _) in h.saved(store, &me.pod).await.unwrap_or_default() {
            let pull = h.status(store, &me.pod, &state.meter).await;
            connections.push(view(w, h, pull, &state));
        }
    }
    let offers = vec![
        Offer {
            href: connectors
                .enedis
                .is_some()
                .then_some("/app/energy/connect/enedis"),
            text: if connectors.enedis.is_some() {
                w.connect
            } else {
                w.not_configured
            },
        },
        Offer {
            href: connectors
                .grdf
                .is_some()
                .then_some("/app/energy/connect/grdf"),
            text: if connectors.grdf.is_some() {
                w.connect_grdf
            } else {
                w.grdf_not_configured
            },
        },
    ];
    let running = connections.iter().any(|c| c.progress.is_some());
    let code = if connectors.any() || !connections.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let p = ConnectionsPage {
        chrome,
        w,
        message: if connections.is_empty() {
            w.none_yet
        } else {
            w.intro
        }
        .to_owned(),
        error: false,
        detail: None,
        daily: (!connections.is_empty()).then(|| {
            fill(
                w.daily,
                &[("hour", &format!("{:02}", connectors.pull_hour))],
            )
        }),
        connections,
        offers,
        running,
        csrf: me.session.csrf,
    };
    page(code, p.render())
}

async fn enedis_start(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
) -> Response {
    let Some(enedis) = &services.connectors.enedis else {
        return message(chrome, StatusCode::NOT_FOUND, |w| w.not_configured);
    };
    let (account, pod) = (me.account.id, me.pod);
    let state = hex::encode(rand::random::<[u8; 16]>());
    let store = &services.ctx.store;
    let now = jiff::Timestamp::now().as_millisecond();
    // Consents the resident never came back from go.
    let mut writes: Vec<Write> = store
        .index_scan(&pod, CONSENT_PREFIX)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, value)| PendingConsent::read(value).is_none_or(|c| c.expired(now)))
        .map(|(key, _)| Write::Index { key, value: None })
        .collect();
    let pending = PendingConsent {
        account,
        started_ms: now,
    };
    writes.push(Write::Index {
        key: format!("{CONSENT_PREFIX}{state}"),
        value: Some(serde_json::to_vec(&pending).unwrap_or_default().into()),
    });
    if let Err(e) = store.write(&pod, Write::Batch(writes)).await {
        tracing::error!(error = %e, "could not keep an Enedis consent under way");
        return message(chrome, StatusCode::SERVICE_UNAVAILABLE, |w| w.not_saved);
    }
    Redirect::to(&selfdata_connect::authorize_url(
        &enedis.config,
        &state,
        "P3Y",
    ))
    .into_response()
}

/// An Enedis consent under way, kept in the pod under [`CONSENT_PREFIX`]
/// and its `state`.
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingConsent {
    /// Who started it.
    account: i64,
    /// When, in milliseconds since the epoch (UTC).
    started_ms: i64,
}

impl PendingConsent {
    fn read(value: &[u8]) -> Option<Self> {
        serde_json::from_slice(value).ok()
    }

    fn expired(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.started_ms) > CONSENT_TIMEOUT.as_millis() as i64
    }
}

/// Records the consent of a newly connected meter.
async fn record_consent(services: &EnergyApp, pod: &PodName, kind: HolderKind, meter: &str) {
    let recorded = selfdata_service::consents::record_source_consent(
        &services.ctx,
        pod,
        kind.party(),
        meter,
        vec![format!(
            "{}/{pod}/selfdata/energy/{}/",
            services.ctx.solid.config().base_url,
            kind.fluid()
        )],
    )
    .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, holder = kind.slug(), "could not record the consent");
    }
}

async fn enedis_callback(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(enedis) = services.connectors.enedis.clone() else {
        return message(chrome, StatusCode::NOT_FOUND, |w| w.not_configured);
    };
    let account = me.account.id;
    let callback = match Callback::from_query(query.as_deref().unwrap_or("")) {
        Ok(c) => c,
        Err(e) => {
            return failed_with(
                chrome,
                StatusCode::BAD_REQUEST,
                |w| w.bad_answer,
                e.to_string(),
            );
        }
    };
    // The consent under way, in the signed-in resident's own pod (a
    // `state` started by anyone else is not there), taken once: of two
    // callbacks with one `state`, on any servers, one goes on.
    let pod = me.pod;
    let store = &services.ctx.store;
    let unavailable = |e: StoreError| {
        tracing::error!(error = %e, "could not read an Enedis consent under way");
        message(chrome.clone(), StatusCode::SERVICE_UNAVAILABLE, |w| {
            w.not_saved
        })
    };
    let well_formed =
        callback.state.len() == 32 && callback.state.bytes().all(|b| b.is_ascii_hexdigit());
    let key = format!("{CONSENT_PREFIX}{}", callback.state);
    let kept = if well_formed {
        match store.index_get(&pod, &key).await {
            Ok(kept) => kept,
            Err(e) => return unavailable(e),
        }
    } else {
        None
    };
    let Some((kept, pending)) = kept.and_then(|v| PendingConsent::read(&v).map(|p| (v, p))) else {
        return message(chrome, StatusCode::BAD_REQUEST, |w| w.not_yours);
    };
    let taken = Write::IndexIf {
        key,
        expected: Some(kept),
        value: None,
    };
    match store.write(&pod, taken).await {
        Ok(_) => {}
        // Another callback with this `state` took it first.
        Err(StoreError::PreconditionFailed) => {
            return message(chrome, StatusCode::BAD_REQUEST, |w| w.not_yours);
        }
        Err(e) => return unavailable(e),
    }
    if pending.account != account || pending.expired(jiff::Timestamp::now().as_millisecond()) {
        return message(chrome, StatusCode::BAD_REQUEST, |w| w.other_session);
    }
    let tokens =
        match selfdata_connect::exchange_code(&enedis.config, &enedis.client, &callback.code).await
        {
            Ok(t) => t,
            Err(e) => {
                return failed_with(
                    chrome,
                    StatusCode::BAD_GATEWAY,
                    |w| w.holder_failed,
                    e.to_string(),
                );
            }
        };
    let store = services.ctx.store.clone();
    for prm in &callback.usage_point_ids {
        let state = match ConnectionState::new(&enedis.config, prm, Some(tokens.clone())) {
            Ok(s) => s,
            Err(e) => {
                return failed_with(
                    chrome,
                    StatusCode::BAD_REQUEST,
                    |w| w.bad_answer,
                    e.to_string(),
                );
            }
        };
        let seen = match enedis.save(store.as_ref(), &pod, &state).await {
            Ok(seen) => seen,
            Err(e) => {
                tracing::error!(error = %e, "could not save an Enedis connection");
                return message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| w.not_saved);
            }
        };
        // A data source connected is a grant: it has its consent record.
        record_consent(&services, &pod, HolderKind::Enedis, prm).await;
        let pulled = enedis
            .spawn_pull(
                services.energy.clone(),
                store.clone(),
                pod.clone(),
                state,
                seen,
            )
            .await;
        if let Err(e) = pulled {
            tracing::warn!(error = %e, "could not start pulling a new Enedis connection");
        }
    }
    Redirect::to(STATUS).into_response()
}

fn grdf_page(
    chrome: Chrome,
    status: StatusCode,
    problem: Option<&'static str>,
    pce: String,
    csrf: String,
) -> Response {
    let w: &'static ConnectWords = chrome.language().words();
    let p = GrdfPage {
        chrome,
        w,
        problem,
        pce,
        csrf,
    };
    page(status, p.render())
}

async fn grdf_form(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
) -> Response {
    if services.connectors.grdf.is_none() {
        return message(chrome, StatusCode::NOT_FOUND, |w| w.grdf_not_configured);
    }
    grdf_page(chrome, StatusCode::OK, None, String::new(), me.session.csrf)
}

/// The PCE and the consent box.
#[derive(Debug, serde::Deserialize)]
struct GrdfForm {
    #[serde(default)]
    pce: String,
    #[serde(default)]
    consent: Option<String>,
}

async fn grdf_connect(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<GrdfForm>,
) -> Response {
    let Some(grdf) = services.connectors.grdf.clone() else {
        return message(chrome, StatusCode::NOT_FOUND, |w| w.grdf_not_configured);
    };
    // As printed: spaces between groups of digits, `gi` in any case.
    let pce: String = form
        .pce
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let csrf = me.session.csrf.clone();
    let w: &'static ConnectWords = chrome.language().words();
    let shown: String = form.pce.trim().chars().take(40).collect();
    if !selfdata_connect::is_pce(&pce) {
        return grdf_page(
            chrome,
            StatusCode::BAD_REQUEST,
            Some(w.bad_pce),
            shown,
            csrf,
        );
    }
    if form.consent.as_deref() != Some("yes") {
        return grdf_page(
            chrome,
            StatusCode::BAD_REQUEST,
            Some(w.no_consent),
            pce,
            csrf,
        );
    }
    let store = services.ctx.store.clone();
    let pod = me.pod;
    // Connected again: keep the cursor, so only what is missing is asked.
    let known = grdf
        .saved(store.as_ref(), &pod)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(state, _)| state)
        .find(|s| s.meter == pce);
    let state = match known {
        Some(state) => state,
        None => match ConnectionState::new(&grdf.config, &pce, None) {
            Ok(state) => state,
            Err(e) => {
                tracing::warn!(error = %e, "a PCE passed the check but not the connector's");
                return grdf_page(
                    chrome,
                    StatusCode::BAD_REQUEST,
                    Some(w.bad_pce),
                    shown,
                    csrf,
                );
            }
        },
    };
    let seen = match grdf.save(store.as_ref(), &pod, &state).await {
        Ok(seen) => seen,
        Err(e) => {
            tracing::error!(error = %e, "could not save a GRDF connection");
            return message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| w.not_saved);
        }
    };
    record_consent(&services, &pod, HolderKind::Grdf, &pce).await;
    let pulled = grdf
        .spawn_pull(services.energy.clone(), store, pod, state, seen)
        .await;
    if let Err(e) = pulled {
        tracing::warn!(error = %e, "could not start pulling a new GRDF connection");
    }
    Redirect::to(STATUS).into_response()
}

/// The update form holds nothing but its CSRF token.
#[derive(Debug, serde::Deserialize)]
struct UpdateForm {}

async fn update(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, .. }: CsrfForm<UpdateForm>,
) -> Response {
    match services
        .connectors
        .update(&services.energy, &services.ctx.store, &me.pod)
        .await
    {
        Ok(_) => Redirect::to(STATUS).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not start an update");
            message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| {
                w.update_failed
            })
        }
    }
}

/// Which connection to forget.
#[derive(Debug, serde::Deserialize)]
struct DisconnectForm {
    holder: String,
    meter: String,
}

async fn disconnect(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<DisconnectForm>,
) -> Response {
    let store = services.ctx.store.as_ref();
    let connectors = &services.connectors;
    let kind = HolderKind::from_slug(&form.holder);
    let done = match kind {
        Some(HolderKind::Enedis) => match &connectors.enedis {
            Some(h) => h.disconnect(store, &me.pod, &form.meter).await,
            None => Ok(false),
        },
        Some(HolderKind::Grdf) => match &connectors.grdf {
            Some(h) => h.disconnect(store, &me.pod, &form.meter).await,
            None => Ok(false),
        },
        None => Ok(false),
    };
    match (done, kind) {
        (Ok(true), Some(kind)) => {
            let withdrawn = selfdata_service::consents::record_source_withdrawal(
                &services.ctx,
                &me.pod,
                &kind.party(),
                &form.meter,
            )
            .await;
            if let Err(e) = withdrawn {
                tracing::error!(error = %e, "could not record the withdrawal");
            }
            message(chrome, StatusCode::OK, |w| w.disconnected)
        }
        (Ok(_), _) => message(chrome, StatusCode::NOT_FOUND, |w| w.none_yet),
        (Err(e), _) => {
            tracing::error!(error = %e, "could not disconnect");
            message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| w.not_saved)
        }
    }
}

//! Connecting a holder's account: the Enedis Data Connect consent and the
//! pulls that follow, through the same import path as every file.
//!
//! The resident clicks "Connect my Enedis account" (`GET
//! /app/energy/connect/enedis`), consents on Enedis's page, and comes back to
//! the callback with a code and their meter number (PRM). selfdata
//! exchanges the code for tokens, keeps the connection (tokens and the
//! resume cursor) in the pod's derived store — with the pod, erased with
//! it, never served over the Solid API, so an app the resident allowed
//! cannot read the tokens — and pulls the history in the background; the
//! status page shows the progress. A failed pull resumes where it stopped
//! the next time (the "update now" button, or the daily update). The pages
//! are drawn in the site's layout, in French or English; what the holder
//! says when something fails is shown as it came, in English.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_connect::{
    Callback, ConnectClient, ConnectError, ConnectionState, DataConnectConfig, Endpoint, Sink,
    SinkError, Window,
};
use selfdata_site::{Chrome, CsrfForm, Resident, fill, page};
use selfdata_store::{Backend, PodName, Write};

use crate::EnergyApp;
use crate::energy::{Energy, EnergyError};

/// Where a connection is kept in the pod's derived store.
const KEY_PREFIX: &str = "connect/enedis/";
/// How long a consent may take before its `state` is forgotten.
const CONSENT_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// Progress of one meter's pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullStatus {
    Running { done: usize, total: usize },
    Done { windows: usize },
    Failed { message: String, reconnect: bool },
}

/// The Enedis connector of the app: configuration, the shared client (its
/// rate limiter is per application), consents under way, pull progress.
pub struct Enedis {
    pub config: DataConnectConfig,
    client: ConnectClient,
    pending: Mutex<HashMap<String, (i64, PodName, Instant)>>,
    status: Mutex<HashMap<(PodName, String), PullStatus>>,
}

impl std::fmt::Debug for Enedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enedis").finish_non_exhaustive()
    }
}

impl Enedis {
    pub fn new(config: DataConnectConfig) -> Result<Self, ConnectError> {
        Ok(Self {
            client: ConnectClient::new(&config.politeness)?,
            config,
            pending: Mutex::new(HashMap::new()),
            status: Mutex::new(HashMap::new()),
        })
    }

    /// The progress of every meter of `pod`.
    pub fn status_of(&self, pod: &PodName) -> Vec<(String, PullStatus)> {
        let mut out: Vec<_> = self
            .status
            .lock()
            .iter()
            .filter(|((p, _), _)| p == pod)
            .map(|((_, prm), s)| (prm.clone(), s.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Pulls one meter to today, in the background.
    pub fn spawn_pull(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: PodName,
        state: ConnectionState,
    ) {
        let this = self.clone();
        let prm = state.meter.clone();
        {
            let mut status = this.status.lock();
            if matches!(
                status.get(&(pod.clone(), prm.clone())),
                Some(PullStatus::Running { .. })
            ) {
                return; // one pull per meter at a time
            }
            status.insert(
                (pod.clone(), prm.clone()),
                PullStatus::Running { done: 0, total: 0 },
            );
        }
        tokio::spawn(async move {
            let mut state = state;
            let mut sink = PodSink {
                energy,
                store,
                pod: pod.clone(),
                key: format!("{KEY_PREFIX}{prm}"),
                status: this.clone(),
            };
            let outcome = selfdata_connect::pull(
                &this.config,
                &this.client,
                &mut state,
                selfdata_connect::paris_today(),
                &mut sink,
            )
            .await;
            let status = match outcome {
                Ok(report) => PullStatus::Done {
                    windows: report.windows,
                },
                Err(e) => {
                    tracing::warn!(%pod, error = %e, "Enedis pull failed");
                    PullStatus::Failed {
                        message: e.to_string(),
                        reconnect: e.needs_reconnect(),
                    }
                }
            };
            this.status.lock().insert((pod, prm), status);
        });
    }

    /// Pulls every meter connected to `pod`.
    pub async fn update(
        self: &Arc<Self>,
        energy: Arc<Energy>,
        store: Arc<dyn Backend>,
        pod: &PodName,
    ) -> Result<usize, EnergyError> {
        let saved = store.index_scan(pod, KEY_PREFIX).await?;
        let mut n = 0;
        for (_, json) in saved {
            if let Ok(state) = serde_json::from_slice::<ConnectionState>(&json) {
                self.spawn_pull(energy.clone(), store.clone(), pod.clone(), state);
                n += 1;
            }
        }
        Ok(n)
    }
}

/// Where pulled bodies go: the normal import path, and the cursor saved after each window.
struct PodSink {
    energy: Arc<Energy>,
    store: Arc<dyn Backend>,
    pod: PodName,
    key: String,
    status: Arc<Enedis>,
}

impl Sink for PodSink {
    async fn accept(&mut self, _: Endpoint, _: Window, body: &[u8]) -> Result<(), SinkError> {
        let energy: &Energy = &self.energy;
        let Some(pipeline) = energy.pipeline() else {
            return Err("the server is stopping".into());
        };
        match pipeline
            .run(
                energy,
                &self.pod,
                Bytes::copy_from_slice(body).into(),
                false,
                &|_| {},
            )
            .await
        {
            Ok(_) => Ok(()),
            // A day without readings is nothing to do.
            Err(e) if e.is_empty() => Ok(()),
            Err(e) => Err(Box::new(e)),
        }
    }

    async fn checkpoint(&mut self, state: &ConnectionState) -> Result<(), SinkError> {
        let json = serde_json::to_vec(state)?;
        self.store
            .write(
                &self.pod,
                Write::Index {
                    key: self.key.clone(),
                    value: Some(Bytes::from(json)),
                },
            )
            .await?;
        Ok(())
    }

    fn progress(&mut self, done: usize, total: usize) {
        let prm = self.key.trim_start_matches(KEY_PREFIX).to_owned();
        self.status
            .status
            .lock()
            .insert((self.pod.clone(), prm), PullStatus::Running { done, total });
    }
}

/// The connector's routes.
pub fn routes() -> Router<Arc<EnergyApp>> {
    Router::new()
        .route("/app/energy/connect/enedis", get(start))
        .route("/app/energy/connect/enedis/callback", get(callback))
        .route("/app/energy/connect/enedis/status", get(status))
        .route("/app/energy/connect/enedis/update", post(update))
}

/// The words of the Enedis pages.
#[derive(Debug)]
struct ConnectWords {
    not_configured: &'static str,
    not_yours: &'static str,
    other_session: &'static str,
    bad_answer: &'static str,
    holder_failed: &'static str,
    not_saved: &'static str,
    none_yet: &'static str,
    connect: &'static str,
    connect_again: &'static str,
    intro: &'static str,
    /// `{prm}`.
    fetching: &'static str,
    /// `{prm}`, `{n}`.
    up_to_date: &'static str,
    /// `{prm}`, `{why}`.
    stopped: &'static str,
    resumes: &'static str,
    update_now: &'static str,
    update_failed: &'static str,
    back: &'static str,
}

static FR: ConnectWords = ConnectWords {
    not_configured: "Ce serveur n'est pas prêt à se connecter aux comptes Enedis (son opérateur n'a pas de clés Data Connect). Vous pouvez toujours importer le fichier téléchargé depuis votre espace client Enedis.",
    not_yours: "Cette réponse d'Enedis ne correspond à aucune connexion que vous avez commencée (ou elle a pris plus de 30 minutes)\u{a0}; recommencez depuis la page énergie.",
    other_session: "Cette réponse d'Enedis appartient à une autre session\u{a0}; recommencez depuis la page énergie.",
    bad_answer: "La réponse d'Enedis n'a pas pu être comprise\u{a0}; recommencez depuis la page énergie.",
    holder_failed: "Enedis n'a pas accepté la connexion\u{a0}; réessayez un peu plus tard.",
    not_saved: "La connexion n'a pas pu être enregistrée\u{a0}; veuillez réessayer.",
    none_yet: "Aucun compteur Enedis n'est encore connecté.",
    connect: "Connecter mon compte Enedis",
    connect_again: "Se connecter à nouveau",
    intro: "Vos données Enedis arrivent directement d'Enedis dans votre espace.",
    fetching: "Compteur {prm}\u{a0}: récupération de votre historique…",
    up_to_date: "Compteur {prm}\u{a0}: à jour ({n} périodes récupérées).",
    stopped: "Compteur {prm}\u{a0}: arrêté\u{a0}: {why}.",
    resumes: "Il reprendra là où il s'est arrêté.",
    update_now: "Mettre à jour maintenant",
    update_failed: "La mise à jour n'a pas pu démarrer\u{a0}; veuillez réessayer.",
    back: "Retour à énergie et eau",
};

static EN: ConnectWords = ConnectWords {
    not_configured: "This server is not set up to connect Enedis accounts (its operator has no Data Connect keys). You can still import the file you download from the Enedis customer portal.",
    not_yours: "This consent answer does not match a connection you started (or it took more than 30 minutes); start again from the energy page.",
    other_session: "This consent answer belongs to another session; start again from the energy page.",
    bad_answer: "Enedis's answer could not be understood; start again from the energy page.",
    holder_failed: "Enedis did not accept the connection; try again a little later.",
    not_saved: "The connection could not be saved; please try again.",
    none_yet: "No Enedis meter is connected yet.",
    connect: "Connect my Enedis account",
    connect_again: "Connect again",
    intro: "Your Enedis data comes straight from Enedis into your pod.",
    fetching: "Meter {prm}: fetching your history…",
    up_to_date: "Meter {prm}: up to date ({n} periods fetched).",
    stopped: "Meter {prm}: stopped: {why}.",
    resumes: "It will resume where it stopped.",
    update_now: "Update now",
    update_failed: "The update could not start; please try again.",
    back: "Back to energy and water",
};

selfdata_site::words!(ConnectWords, FR, EN);

/// One connected meter, as shown.
struct MeterView {
    text: String,
    progress: Option<(usize, usize)>,
    reconnect: bool,
}

#[derive(Template)]
#[template(path = "enedis.html")]
struct EnedisPage {
    chrome: Chrome,
    w: &'static ConnectWords,
    message: String,
    error: bool,
    /// What the holder or the connector said, in English.
    detail: Option<String>,
    connect_link: bool,
    meters: Vec<MeterView>,
    running: bool,
    csrf: String,
}

/// A page with one sentence in the site's layout.
fn message(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
) -> Response {
    told(chrome, status, pick, None)
}

/// The same with what the holder or the connector said (English only).
fn failed_with(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
    detail: String,
) -> Response {
    told(chrome, status, pick, Some(detail))
}

/// A page with one sentence and, when there is one, what was said; an error
/// when it says why something failed.
fn told(
    chrome: Chrome,
    status: StatusCode,
    pick: fn(&ConnectWords) -> &'static str,
    detail: Option<String>,
) -> Response {
    let w: &'static ConnectWords = chrome.language().words();
    show(
        status,
        EnedisPage {
            chrome,
            w,
            message: pick(w).to_owned(),
            error: detail.is_some() || status.is_client_error() || status.is_server_error(),
            detail,
            connect_link: false,
            meters: Vec::new(),
            running: false,
            csrf: String::new(),
        },
    )
}

fn show(status: StatusCode, p: EnedisPage) -> Response {
    page(status, p.render())
}

fn not_configured(chrome: Chrome) -> Response {
    message(chrome, StatusCode::NOT_FOUND, |w| w.not_configured)
}

async fn start(State(services): State<Arc<EnergyApp>>, chrome: Chrome, me: Resident) -> Response {
    let Some(enedis) = &services.enedis else {
        return not_configured(chrome);
    };
    let (account, pod) = (me.account.id, me.pod);
    let state = hex::encode(rand::random::<[u8; 16]>());
    {
        let mut pending = enedis.pending.lock();
        pending.retain(|_, (_, _, at)| at.elapsed() < CONSENT_TIMEOUT);
        pending.insert(state.clone(), (account, pod, Instant::now()));
    }
    Redirect::to(&selfdata_connect::authorize_url(
        &enedis.config,
        &state,
        "P3Y",
    ))
    .into_response()
}

async fn callback(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(enedis) = services.enedis.clone() else {
        return not_configured(chrome);
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
    let pending = enedis.pending.lock().remove(&callback.state);
    let Some((owner, pod, at)) = pending else {
        return message(chrome, StatusCode::BAD_REQUEST, |w| w.not_yours);
    };
    if owner != account || at.elapsed() > CONSENT_TIMEOUT {
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
        let saved = store
            .write(
                &pod,
                Write::Index {
                    key: format!("{KEY_PREFIX}{prm}"),
                    value: Some(Bytes::from(serde_json::to_vec(&state).unwrap_or_default())),
                },
            )
            .await;
        if let Err(e) = saved {
            tracing::error!(error = %e, "could not save an Enedis connection");
            return message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| w.not_saved);
        }
        // A data source connected is a grant: it has its consent record.
        let recorded = selfdata_service::consents::record_source_consent(
            &services.ctx,
            &pod,
            selfdata_consent::Party::new("https://www.enedis.fr/", "Enedis"),
            prm,
            vec![format!(
                "{}/{pod}/selfdata/energy/electricity/",
                services.ctx.solid.config().base_url
            )],
        )
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the Enedis consent");
        }
        enedis.spawn_pull(services.energy.clone(), store.clone(), pod.clone(), state);
    }
    Redirect::to("/app/energy/connect/enedis/status").into_response()
}

async fn status(State(services): State<Arc<EnergyApp>>, chrome: Chrome, me: Resident) -> Response {
    let Some(enedis) = &services.enedis else {
        return not_configured(chrome);
    };
    let w: &'static ConnectWords = chrome.language().words();
    let meters = enedis.status_of(&me.pod);
    if meters.is_empty() {
        let p = EnedisPage {
            chrome,
            w,
            message: w.none_yet.to_owned(),
            error: false,
            detail: None,
            connect_link: true,
            meters: Vec::new(),
            running: false,
            csrf: String::new(),
        };
        return show(StatusCode::OK, p);
    }
    let views: Vec<MeterView> = meters
        .iter()
        .map(|(prm, s)| match s {
            PullStatus::Running { done, total } => MeterView {
                text: fill(w.fetching, &[("prm", prm)]),
                progress: Some((*done, *total.max(&1))),
                reconnect: false,
            },
            PullStatus::Done { windows } => MeterView {
                text: fill(w.up_to_date, &[("prm", prm), ("n", &windows.to_string())]),
                progress: None,
                reconnect: false,
            },
            PullStatus::Failed { message, reconnect } => {
                let mut text = fill(
                    w.stopped,
                    &[("prm", prm), ("why", message.trim_end_matches('.'))],
                );
                if !reconnect {
                    text.push(' ');
                    text.push_str(w.resumes);
                }
                MeterView {
                    text,
                    progress: None,
                    reconnect: *reconnect,
                }
            }
        })
        .collect();
    let running = views.iter().any(|m| m.progress.is_some());
    show(
        StatusCode::OK,
        EnedisPage {
            chrome,
            w,
            message: w.intro.to_owned(),
            error: false,
            detail: None,
            connect_link: false,
            meters: views,
            running,
            csrf: me.session.csrf,
        },
    )
}

/// The update form holds nothing but its CSRF token.
#[derive(Debug, serde::Deserialize)]
struct UpdateForm {}

async fn update(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, .. }: CsrfForm<UpdateForm>,
) -> Response {
    let Some(enedis) = services.enedis.clone() else {
        return not_configured(chrome);
    };
    let pod = me.pod;
    match enedis
        .update(services.energy.clone(), services.ctx.store.clone(), &pod)
        .await
    {
        Ok(_) => Redirect::to("/app/energy/connect/enedis/status").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not start an Enedis update");
            message(chrome, StatusCode::INTERNAL_SERVER_ERROR, |w| {
                w.update_failed
            })
        }
    }
}

/// Background work of a running server: once a day, every connected meter
/// of every pod is brought up to date (a failed pull resumes there).
pub fn spawn_daily_updates(app: &Arc<EnergyApp>) {
    let Some(enedis) = app.enedis.clone() else {
        return;
    };
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (store, energy) = (app.ctx.store.clone(), app.energy.clone());
    runtime.spawn(async move {
        let mut every_day = tokio::time::interval(Duration::from_secs(24 * 3600));
        loop {
            every_day.tick().await;
            let Ok(pods) = store.list_pods().await else {
                continue;
            };
            for pod in pods {
                if let Err(e) = enedis
                    .update(energy.clone(), store.clone(), &pod.name)
                    .await
                {
                    tracing::warn!(pod = %pod.name, error = %e, "daily Enedis update failed");
                }
            }
        }
    });
}

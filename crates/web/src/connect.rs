//! Connecting a holder's account: the Enedis Data Connect consent and the
//! pulls that follow, through the same import path as every file.
//!
//! The resident clicks "Connect my Enedis account" (`GET
//! /energy/connect/enedis`), consents on Enedis's page, and comes back to
//! the callback with a code and their meter number (PRM). selfdata
//! exchanges the code for tokens, keeps the connection (tokens and the
//! resume cursor) in the pod's derived store — with the pod, erased with
//! it, never served over the Solid API, so an app the resident allowed
//! cannot read the tokens — and pulls the history in the background; the
//! status page shows the progress. A failed pull resumes where it stopped
//! the next time (the "update now" button, or the daily update).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use parking_lot::Mutex;
use selfdata_connect::{
    Callback, ConnectClient, ConnectError, ConnectionState, DataConnectConfig, Endpoint, Sink,
    SinkError, Window,
};
use selfdata_energy::ImportError;
use selfdata_store::{Backend, PodName, Write};

use crate::Services;
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
            client: ConnectClient::new(&config)?,
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
        let prm = state.usage_point_id.clone();
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
        match self
            .energy
            .import(&self.pod, Bytes::copy_from_slice(body), &|_| {})
            .await
        {
            Ok(_) | Err(EnergyError::Import(ImportError::Empty)) => Ok(()),
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
pub fn routes() -> Router<Arc<Services>> {
    Router::new()
        .route("/energy/connect/enedis", get(start))
        .route("/energy/connect/enedis/callback", get(callback))
        .route("/energy/connect/enedis/status", get(status))
        .route("/energy/connect/enedis/update", post(update))
}

/// The signed-in resident's account id and pod, or where to sign in.
async fn resident(
    services: &Services,
    headers: &HeaderMap,
    back: &str,
) -> Result<(String, i64, PodName), Response> {
    let login = || Redirect::to(&format!("/account/login?return_to={back}")).into_response();
    let Some((session, account)) = services.idp.session(headers).await else {
        return Err(login());
    };
    let pods = services
        .idp
        .directory()
        .pods_of(account.id)
        .await
        .unwrap_or_default();
    let Some(pod) = pods.first().and_then(|p| PodName::parse(p).ok()) else {
        return Err(message(
            StatusCode::NOT_FOUND,
            "Your account has no pod yet.",
            None,
        ));
    };
    Ok((session.csrf, account.id, pod))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A small page in the site's layout.
fn message(status: StatusCode, text: &str, extra: Option<String>) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{}<title>Enedis · selfdata</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><header><a class=\"brand\" href=\"/account\">selfdata</a></header><main><h1>Enedis</h1><p>{}</p>{}<p><a href=\"/energy\">Back to energy and water</a></p></main></body></html>",
        if extra.as_deref().is_some_and(|e| e.contains("<progress")) {
            "<meta http-equiv=\"refresh\" content=\"1\">"
        } else {
            ""
        },
        escape(text),
        extra.unwrap_or_default()
    );
    selfdata_idp::pages::page(status, Ok(html))
}

fn not_configured() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "This server is not set up to connect Enedis accounts (its operator has no Data Connect keys). You can still import the file you download from the Enedis customer portal.",
        None,
    )
}

async fn start(State(services): State<Arc<Services>>, headers: HeaderMap) -> Response {
    let Some(enedis) = &services.enedis else {
        return not_configured();
    };
    let (_, account, pod) = match resident(&services, &headers, "/energy/connect/enedis").await {
        Ok(r) => r,
        Err(r) => return r,
    };
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
    State(services): State<Arc<Services>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(enedis) = services.enedis.clone() else {
        return not_configured();
    };
    let (_, account, _) = match resident(&services, &headers, "/energy").await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let callback = match Callback::from_query(query.as_deref().unwrap_or("")) {
        Ok(c) => c,
        Err(e) => return message(StatusCode::BAD_REQUEST, &e.to_string(), None),
    };
    let pending = enedis.pending.lock().remove(&callback.state);
    let Some((owner, pod, at)) = pending else {
        return message(
            StatusCode::BAD_REQUEST,
            "This consent answer does not match a connection you started (or it took more than 30 minutes); start again from the energy page.",
            None,
        );
    };
    if owner != account || at.elapsed() > CONSENT_TIMEOUT {
        return message(
            StatusCode::BAD_REQUEST,
            "This consent answer belongs to another session; start again from the energy page.",
            None,
        );
    }
    let tokens =
        match selfdata_connect::exchange_code(&enedis.config, &enedis.client, &callback.code).await
        {
            Ok(t) => t,
            Err(e) => return message(StatusCode::BAD_GATEWAY, &e.to_string(), None),
        };
    let store = services.solid_store();
    for prm in &callback.usage_point_ids {
        let state = match ConnectionState::new(prm, tokens.clone()) {
            Ok(s) => s,
            Err(e) => return message(StatusCode::BAD_REQUEST, &e.to_string(), None),
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
            return message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The connection could not be saved; please try again.",
                None,
            );
        }
        // A data source connected is a grant: it has its consent record.
        let recorded = crate::privacy::record_source_consent(
            &services,
            &pod,
            selfdata_consent::Party::new("https://www.enedis.fr/", "Enedis"),
            prm,
            vec![format!(
                "{}/{pod}/selfdata/energy/electricity/",
                services.solid.config().base_url
            )],
        )
        .await;
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the Enedis consent");
        }
        enedis.spawn_pull(services.energy.clone(), store.clone(), pod.clone(), state);
    }
    Redirect::to("/energy/connect/enedis/status").into_response()
}

async fn status(State(services): State<Arc<Services>>, headers: HeaderMap) -> Response {
    let Some(enedis) = &services.enedis else {
        return not_configured();
    };
    let (csrf, _, pod) = match resident(&services, &headers, "/energy/connect/enedis/status").await
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    let meters = enedis.status_of(&pod);
    if meters.is_empty() {
        return message(
            StatusCode::OK,
            "No Enedis meter is connected yet.",
            Some("<p><a href=\"/energy/connect/enedis\">Connect my Enedis account</a></p>".into()),
        );
    }
    let mut extra = String::from("<ul class=\"meters\">");
    for (prm, s) in &meters {
        let line = match s {
            PullStatus::Running { done, total } => format!(
                "Meter {}: fetching your history… <progress max=\"{}\" value=\"{}\">{} of {}</progress>",
                escape(prm),
                total.max(&1),
                done,
                done,
                total
            ),
            PullStatus::Done { windows } => format!(
                "Meter {}: up to date ({windows} periods fetched).",
                escape(prm)
            ),
            PullStatus::Failed { message, reconnect } => format!(
                "Meter {}: stopped: {}{}",
                escape(prm),
                escape(message),
                if *reconnect {
                    " <a href=\"/energy/connect/enedis\">Connect again</a>"
                } else {
                    " It will resume where it stopped."
                }
            ),
        };
        extra.push_str(&format!("<li>{line}</li>"));
    }
    extra.push_str("</ul>");
    extra.push_str(&format!(
        "<form method=\"post\" action=\"/energy/connect/enedis/update\"><input type=\"hidden\" name=\"csrf\" value=\"{}\"><button>Update now</button></form>",
        escape(&csrf)
    ));
    message(
        StatusCode::OK,
        "Your Enedis data comes straight from Enedis into your pod.",
        Some(extra),
    )
}

#[derive(Debug, serde::Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn update(
    State(services): State<Arc<Services>>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    let Some(enedis) = services.enedis.clone() else {
        return not_configured();
    };
    let (csrf, _, pod) = match resident(&services, &headers, "/energy/connect/enedis/status").await
    {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !selfdata_idp::accounts::constant_eq(&csrf, &form.csrf) {
        return message(
            StatusCode::FORBIDDEN,
            "This form has expired; open the page again.",
            None,
        );
    }
    match enedis
        .update(services.energy.clone(), services.solid_store(), &pod)
        .await
    {
        Ok(_) => Redirect::to("/energy/connect/enedis/status").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "could not start an Enedis update");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The update could not start; please try again.",
                None,
            )
        }
    }
}

//! The resident's built-in services over HTTP: the energy and water JSON
//! API of each pod ([`api`]), the service behind it ([`energy`]: imports,
//! reindex, tariffs, cached books), the owner's dashboard pages
//! ([`dashboard`]) with server-drawn SVG charts ([`chart`]), and the inbox
//! hook that imports a meter export posted to a pod's inbox.
//!
//! Pages are drawn with the site kit (`selfdata_site`: layout, menu,
//! language, the signed-in resident); the JSON API, like every pod
//! resource, uses access tokens and WAC.

pub mod api;
pub mod chart;
pub mod connect;
pub mod dashboard;
pub mod energy;
pub mod erase;
pub mod export;
pub mod log;
pub mod privacy;
mod texts;

use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use jiff::civil::Date;
use selfdata_idp::Idp;
use selfdata_solid::error::ApiError;
use selfdata_solid::{AppState, Credentials, InboxHook};
use selfdata_store::{Backend, PodName};

pub use energy::Energy;

/// The menu entries of the built-in services, in order.
pub fn menu() -> Vec<selfdata_site::MenuEntry> {
    use selfdata_site::{MenuEntry, Say};
    vec![
        MenuEntry {
            href: "/energy",
            label: Say::new("Énergie et eau", "Energy & water"),
        },
        MenuEntry {
            href: "/energy/tariffs",
            label: Say::new("Tarifs", "Tariffs"),
        },
        MenuEntry {
            href: "/privacy",
            label: Say::new("Qui a quoi sur moi\u{a0}?", "Who has what on me?"),
        },
    ]
}

/// What the service handlers share.
pub struct Services {
    pub solid: AppState,
    pub store: Arc<dyn Backend>,
    pub energy: Arc<Energy>,
    pub idp: Arc<Idp>,
    /// The Enedis Data Connect connector, when the operator configured it.
    pub enedis: Option<Arc<connect::Enedis>>,
    /// A fixed "today" (tests, demos); the real date when `None`.
    pub today: Option<Date>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services").finish_non_exhaustive()
    }
}

impl Services {
    /// The pods' store, shared.
    pub fn solid_store(&self) -> Arc<dyn Backend> {
        self.store.clone()
    }

    /// Today in the resident's zone.
    pub fn today(&self) -> Date {
        self.today.unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned_datetime(selfdata_energy::files::paris())
                .date()
        })
    }

    /// The routes of the services.
    pub fn routes(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/{pod}/selfdata/energy/api/consumption",
                get(api::consumption),
            )
            .route("/{pod}/selfdata/energy/api/summary", get(api::summary))
            .merge(dashboard::routes())
            .merge(connect::routes())
            .merge(log::routes())
            .merge(privacy::routes())
            .merge(export::routes())
            .merge(erase::routes())
            .with_state(self)
    }
}

/// Media types a meter export may arrive with.
pub(crate) const METER_FILE_TYPES: &[&str] = &[
    "text/csv",
    "text/plain",
    "application/json",
    "application/x-ndjson",
    "application/octet-stream",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// Imports meter exports the owner posts to their pod's inbox.
#[derive(Debug)]
pub struct EnergyInbox {
    pub energy: Arc<Energy>,
    pub base_url: String,
}

#[async_trait::async_trait]
impl InboxHook for EnergyInbox {
    async fn deliver(
        &self,
        pod: &PodName,
        content_type: &str,
        body: &Bytes,
        credentials: Option<&Credentials>,
    ) -> Option<Result<Response, ApiError>> {
        // Deliveries by anyone but the owner are proposals: stored in the
        // inbox like any post (the answer says nothing about the pod), and
        // imported only when the owner chooses to, from the energy page.
        let owner = selfdata_solid::provision::webid_of(&self.base_url, pod);
        if credentials.is_none_or(|c| c.webid != owner) {
            return None;
        }
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let candidate = METER_FILE_TYPES.contains(&essence);
        if !candidate || energy::recognised(body).is_none() {
            return None;
        }
        let answer = match self.energy.import(pod, body.clone(), &|_| {}).await {
            Ok(summary) => {
                let location = format!("{}/{}/{}", self.base_url, pod, summary.original);
                let status = if summary.new_original {
                    StatusCode::CREATED
                } else {
                    StatusCode::OK
                };
                let mut response = (
                    status,
                    [(header::CONTENT_TYPE, "application/json")],
                    serde_json::to_vec(&summary).unwrap_or_default(),
                )
                    .into_response();
                if let Ok(v) = header::HeaderValue::from_str(&location) {
                    response.headers_mut().insert(header::LOCATION, v);
                }
                Ok(response)
            }
            Err(e) => Err(e.into()),
        };
        Some(answer)
    }
}

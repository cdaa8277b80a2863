//! The resident's built-in services over HTTP: the energy and water JSON
//! API of each pod ([`api`]), the service behind it ([`energy`]: imports,
//! reindex, tariffs, cached books), the owner's dashboard pages
//! ([`dashboard`]) with server-drawn SVG charts ([`chart`]), the importer
//! of meter exports posted to a pod's inbox ([`MeterImporter`]), and the
//! privacy pages; [`EnergyService`] and [`PrivacyService`] are the two
//! `selfdata_service::Service`s.
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
use axum::routing::get;
use bytes::Bytes;
use jiff::civil::Date;
use selfdata_idp::Idp;
use selfdata_service::{Card, Imported, Importer, Service};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_solid::AppState;
use selfdata_solid::error::ApiError;
use selfdata_store::{Backend, PodName};

pub use energy::Energy;

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

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for Services {
    fn solid(&self) -> &AppState {
        &self.solid
    }
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
}

/// Energy and water (with the Enedis connector) as a resident service.
#[derive(Debug)]
pub struct EnergyService(pub Arc<Services>);

#[async_trait::async_trait]
impl Service for EnergyService {
    fn id(&self) -> &'static str {
        "energy"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![
            MenuEntry {
                href: "/app/energy",
                label: Say::new("Énergie et eau", "Energy & water"),
            },
            MenuEntry {
                href: "/app/energy/tariffs",
                label: Say::new("Tarifs", "Tariffs"),
            },
        ]
    }

    fn routes(&self) -> Router {
        Router::new()
            .route(
                "/{pod}/selfdata/energy/api/consumption",
                get(api::consumption),
            )
            .route("/{pod}/selfdata/energy/api/summary", get(api::summary))
            .merge(dashboard::routes())
            .merge(connect::routes())
            .with_state(self.0.clone())
    }

    fn importers(&self) -> Vec<Arc<dyn Importer>> {
        vec![Arc::new(MeterImporter(self.0.energy.clone()))]
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        dashboard::card(&self.0, resident, lang).await
    }
}

/// "Who has what on me?", rights against holders, the access log, export
/// and erasure as a resident service.
#[derive(Debug)]
pub struct PrivacyService(pub Arc<Services>);

#[async_trait::async_trait]
impl Service for PrivacyService {
    fn id(&self) -> &'static str {
        "privacy"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/privacy",
            label: Say::new("Qui a quoi sur moi\u{a0}?", "Who has what on me?"),
        }]
    }

    fn routes(&self) -> Router {
        Router::new()
            .merge(log::routes())
            .merge(privacy::routes())
            .merge(export::routes())
            .merge(erase::routes())
            .with_state(self.0.clone())
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        privacy::card(&self.0, resident, lang).await
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

/// Imports the meter exports the owner posts to their pod's inbox (through
/// the one inbox router, `selfdata_service::InboxRouter`).
#[derive(Debug)]
pub struct MeterImporter(pub Arc<Energy>);

#[async_trait::async_trait]
impl Importer for MeterImporter {
    fn recognises(&self, content_type: &str, body: &[u8]) -> bool {
        METER_FILE_TYPES.contains(&content_type) && energy::recognised(body).is_some()
    }

    async fn import(&self, pod: &PodName, body: Bytes) -> Result<Imported, ApiError> {
        let summary = self.0.import(pod, body, &|_| {}).await?;
        Ok(Imported {
            original: summary.original.clone(),
            new_original: summary.new_original,
            summary: serde_json::to_value(&summary).unwrap_or_default(),
        })
    }
}

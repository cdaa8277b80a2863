//! Mobility as a resident service on the shared shape (`selfdata_service`):
//! location exports taken in through the shared import pipeline
//! ([`mobility`]: the `Mobility` intake, reindex, the cached trips), the JSON
//! API of each pod ([`api`]) and the owner's page ([`pages`]).
//!
//! The JSON API, for the owner and the apps they allowed to read
//! `/{pod}/selfdata/mobility/` (WAC Read, checked as for the resources;
//! location data is owner-only unless the resident shares it):
//!
//! - `GET /{pod}/selfdata/mobility/api/trips?from=YYYY-MM-DD&to=YYYY-MM-DD`
//!   → `{"trips":[{"start","end","mode","distance_m","co2_g"}]}`, trips
//!   starting on Paris days `[from, to)`, `start`/`end` RFC 3339 UTC, `mode`
//!   `null` when unknown, `co2_g` from the ADEME factors (`null` without a
//!   mode); the last 30 days by default.
//! - `GET /{pod}/selfdata/mobility/api/totals?from=…&to=…` →
//!   `{"months":[{"month":"2026-01","trips","distance_m","co2_g","modes":[{"mode","trips","distance_m","co2_g"}]}],"unpriced"}`:
//!   the same trips summed by Paris month and mode.
//!
//! CO2 uses the resident's car settings (kind of car, people in it). Places
//! have no API: where one lives and works is shown to the owner only.

pub mod api;
mod day;
pub mod map;
pub mod mobility;
pub mod pages;
mod places;
mod texts;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use selfdata_service::{AnyIntake, Card, Context, DemoFile, MonthlyCost, Service, ServiceError};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_solid::AppState;
use selfdata_store::PodName;

pub use mobility::Mobility;

/// What the mobility handlers share.
pub struct MobilityApp {
    pub ctx: Arc<Context>,
    pub mobility: Arc<Mobility>,
    /// The operator's background map, if any: maps draw no tiles without.
    pub tiles: Option<map::Tiles>,
}

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for MobilityApp {
    fn solid(&self) -> &AppState {
        &self.ctx.solid
    }
}

impl MobilityApp {
    /// The signed-in resident's trips, places and settings, for a page.
    pub(crate) async fn view_of(
        &self,
        me: &Resident,
    ) -> Result<Arc<mobility::View>, selfdata_site::PageError> {
        self.mobility
            .view(&me.pod)
            .await
            .map_err(selfdata_site::PageError::internal)
    }
}

/// Mobility (trips, modes, CO2) as a resident service.
pub struct MobilityService(pub Arc<MobilityApp>);

impl MobilityService {
    pub fn new(ctx: Arc<Context>, tiles: Option<map::Tiles>) -> Self {
        let mobility = Arc::new(Mobility::new(
            ctx.store.clone(),
            ctx.base_url(),
            &ctx.pipeline,
        ));
        Self(Arc::new(MobilityApp {
            ctx,
            mobility,
            tiles,
        }))
    }
}

#[async_trait::async_trait]
impl Service for MobilityService {
    fn id(&self) -> &'static str {
        "mobility"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/mobility",
            label: Say::new("Déplacements", "Mobility"),
        }]
    }

    fn api(&self) -> Vec<selfdata_service::api::Operation> {
        api::operations()
    }

    fn routes(&self) -> Router {
        Router::new()
            .route(api::TRIPS_PATH, get(api::trips))
            .route(api::TOTALS_PATH, get(api::totals))
            .route("/app/mobility", get(pages::home))
            .route("/app/mobility/settings", post(pages::settings))
            .route("/app/mobility/day", get(day::show))
            .route("/app/mobility/trips/mode", post(day::correct))
            .route("/app/mobility/places", get(places::show))
            .route("/app/mobility/places/name", post(places::name))
            .with_state(self.0.clone())
    }

    fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        vec![self.0.mobility.clone()]
    }

    async fn reindex(&self, pod: &PodName) -> Result<usize, ServiceError> {
        self.0
            .mobility
            .reindex(pod)
            .await
            .map_err(|e| ServiceError {
                service: "mobility",
                message: e.to_string(),
            })
    }

    fn forget_pod(&self, pod: &PodName) {
        self.0.mobility.forget_pod(pod);
    }

    /// The demo household's phone Timeline export and its bike computer's
    /// rides, around La Rochelle (`selfdata_mobility::demo`).
    fn demo_files(
        &self,
        today: jiff::civil::Date,
        years: u32,
        _known: &[MonthlyCost],
    ) -> Vec<DemoFile> {
        selfdata_mobility::demo::household(today, years, selfdata_mobility::demo::SEED)
            .into_iter()
            .map(|f| DemoFile {
                name: f.name,
                body: f.bytes.into(),
            })
            .collect()
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        pages::card(&self.0, resident, lang).await
    }
}

//! Energy and water as a resident service on the shared shape
//! (`selfdata_service`): the service behind it ([`energy`]: the pipeline's
//! intake of meter exports, reindex, tariffs, cached books), the JSON API of
//! each pod ([`api`]), the owner's dashboard pages ([`dashboard`]) with
//! server-drawn SVG charts ([`chart`]), and the pages and daily pulls of
//! the holders' connectors, Enedis and GRDF ([`connect`]). [`EnergyService`] is its
//! `selfdata_service::Service`.
//!
//! Pages are drawn with the site kit (`selfdata_site`: layout, menu,
//! language, the signed-in resident); the JSON API, like every pod
//! resource, uses access tokens and WAC (`selfdata_solid::PodAccess`).

pub mod api;
pub mod connect;
pub mod dashboard;
pub mod energy;
mod texts;

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use selfdata_energy::Fluid;
use selfdata_energy::analysis::Resolution;
use selfdata_energy::tariff::pico_to_cents;
use selfdata_service::{
    AnyIntake, Card, Context, CostTopic, DemoFile, MonthlyCost, MonthlyFigure, Service,
    ServiceError,
};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_solid::AppState;
use selfdata_store::PodName;

pub use energy::Energy;

/// What the energy handlers share.
pub struct EnergyApp {
    pub ctx: Arc<Context>,
    pub energy: Arc<Energy>,
    /// The holders' connectors the operator configured (Enedis, GRDF) and
    /// the hour of their daily pulls.
    pub connectors: connect::Connectors,
}

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for EnergyApp {
    fn solid(&self) -> &AppState {
        &self.ctx.solid
    }
}

/// Energy and water (with the holders' connectors) as a resident service.
pub struct EnergyService(pub Arc<EnergyApp>);

impl EnergyService {
    /// The service over the shared context, with the holders' connectors
    /// the operator configured.
    pub fn new(
        ctx: Arc<Context>,
        connect: connect::ConnectSettings,
    ) -> Result<Self, selfdata_connect::ConnectError> {
        let energy = Arc::new(Energy::new(
            ctx.store.clone(),
            ctx.base_url(),
            &ctx.pipeline,
        ));
        // Several servers may share the store: they pace each holder together.
        let shared = ctx.store.is_shared().then(|| {
            Arc::new(connect::DirectoryCounts(ctx.directory().clone()))
                as Arc<dyn selfdata_connect::SharedCounts>
        });
        let connectors = connect::Connectors::new(connect, shared)?;
        Ok(Self(Arc::new(EnergyApp {
            ctx,
            energy,
            connectors,
        })))
    }
}

impl EnergyService {
    /// Each fluid's months in `[from, to)` from the cached books (the one
    /// reading behind `monthly_figures` and `monthly_costs`).
    async fn months(
        &self,
        pod: &PodName,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Vec<(Fluid, selfdata_energy::analysis::Bucket)> {
        let mut out = Vec::new();
        for fluid in Fluid::ALL {
            let book = match self.0.energy.book(pod, fluid).await {
                Ok(book) => book,
                Err(e) => {
                    tracing::warn!(%pod, fluid = fluid.as_str(), error = %e, "no monthly figures");
                    continue;
                }
            };
            if let Some(main) = book.main() {
                out.extend(
                    main.aggregate(from, to, Resolution::Month)
                        .into_iter()
                        .map(|b| (fluid, b)),
                );
            }
        }
        out
    }
}

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
            .route(api::CONSUMPTION_PATH, get(api::consumption))
            .route(api::SUMMARY_PATH, get(api::summary))
            .merge(dashboard::routes())
            .merge(connect::routes())
            .with_state(self.0.clone())
    }

    fn api(&self) -> Vec<selfdata_service::api::Operation> {
        api::operations()
    }

    fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        vec![self.0.energy.clone()]
    }

    async fn reindex(&self, pod: &PodName) -> Result<usize, ServiceError> {
        self.0.energy.reindex(pod).await.map_err(|e| ServiceError {
            service: "energy",
            message: e.to_string(),
        })
    }

    fn forget_pod(&self, pod: &PodName) {
        self.0.energy.forget_pod(pod);
    }

    /// Each fluid's use per month (Wh, litres), from the cached books, for
    /// the months with readings.
    async fn monthly_figures(
        &self,
        pod: &PodName,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Vec<MonthlyFigure> {
        self.months(pod, from, to)
            .await
            .into_iter()
            .filter_map(|(fluid, b)| {
                Some(MonthlyFigure {
                    figure: fluid.as_str(),
                    month: b.start.date(),
                    // mWh and mL to Wh and litres.
                    value: b.value? / 1000,
                    coverage: b.coverage as f32,
                })
            })
            .collect()
    }

    /// Each fluid's cost per month, from the cached books (the figures of
    /// the API and the dashboard), for the months with a known cost.
    async fn monthly_costs(
        &self,
        pod: &PodName,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Vec<MonthlyCost> {
        self.months(pod, from, to)
            .await
            .into_iter()
            .filter_map(|(fluid, b)| {
                let month = b.start.date();
                Some(MonthlyCost {
                    service: "energy",
                    topic: match fluid {
                        Fluid::Electricity => CostTopic::Electricity,
                        Fluid::Gas => CostTopic::Gas,
                        Fluid::Water => CostTopic::Water,
                    },
                    month,
                    cents: pico_to_cents(b.cost?),
                    coverage: b.coverage as f32,
                    href: dashboard::month_view_href(fluid, month),
                })
            })
            .collect()
    }

    fn demo_files(
        &self,
        today: jiff::civil::Date,
        years: u32,
        _known: &[MonthlyCost],
    ) -> Vec<DemoFile> {
        selfdata_energy::demo::household(today, years, 2026)
            .into_iter()
            .map(|f| DemoFile {
                name: f.name,
                body: f.bytes.into(),
            })
            .collect()
    }

    fn spawn_background(&self, _services: &selfdata_service::Registry) {
        connect::spawn_daily_updates(&self.0);
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        dashboard::card(&self.0, resident, lang).await
    }
}

//! Money as a resident service on the shared shape (`selfdata_service`):
//! bank statements taken in through the shared import pipeline
//! ([`budget`]: the `Budget` intake, reindex, the cached book), the JSON API
//! of each pod ([`api`]) and the owner's pages ([`pages`]); the organisations
//! the resident pays, for "who has what on me" ([`payees`]).
//! [`BudgetService`] is its `selfdata_service::Service`.
//!
//! The JSON API, for the owner and the apps they allowed to read
//! `/{pod}/selfdata/budget/` (WAC Read, checked as for the resources):
//!
//! - `GET /{pod}/selfdata/budget/api/transactions?from=YYYY-MM-DD&to=YYYY-MM-DD[&account=ID]`
//!   → `{"transactions":[{"date","amount","currency","label","account","category"}]}`,
//!   booking days `[from, to)`, `amount` a signed decimal string (`"-23.40"`),
//!   `category` `null` when none is known;
//! - `GET /{pod}/selfdata/budget/api/accounts` → every account with its
//!   balance (the last one a bank stated, carried forward) and its period;
//! - `GET /{pod}/selfdata/budget/api/summary?from=…&to=…&step=month` → per
//!   month (and for the whole period) what was spent and received (internal
//!   transfers between the resident's accounts left out), by category
//!   (`{"category","amount","count"}`), the uncategorised and the internal
//!   transfers apart; the last twelve months and this one by default;
//! - `GET /{pod}/selfdata/budget/api/subscriptions` → recurring payments found
//!   (`{"key","payee","account","period","amount","last","next","yearly",
//!   "status","variable","ended","occurrences","misses","category","price_change"}`),
//!   the resident's dismissed ones left out, `yearly_total`, income apart;
//! - `GET /{pod}/selfdata/budget/api/housing?year=YYYY` → per month and for
//!   the year what the home cost (`rent`, `loan`, `electricity`, `gas`,
//!   `energy`, `water`, `insurance`, `telecom`, `local_taxes`, `works`,
//!   `total`), and each energy or water debit (`bills`) with the period it
//!   pays; the energy service's costs (`energy_service`, `service_cost`,
//!   `difference`) only when the caller may also read `/selfdata/energy/`.
//!
//! Pages are drawn with the site kit (`selfdata_site`): layout, menu,
//! language, the signed-in resident.

pub mod api;
pub mod budget;
pub mod demo;
pub mod housing;
pub mod pages;
pub mod payees;
pub mod spending;
pub mod subscriptions;
mod texts;
pub mod transactions;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use selfdata_service::{AnyIntake, Card, Context, Service, ServiceError};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_solid::AppState;
use selfdata_store::PodName;

pub use budget::Budget;

/// What the budget handlers share.
pub struct BudgetApp {
    pub ctx: Arc<Context>,
    pub budget: Arc<Budget>,
}

impl BudgetApp {
    /// The signed-in resident's money for a page (a failure is the page's error).
    pub(crate) async fn page_book(
        &self,
        me: &Resident,
    ) -> Result<Arc<selfdata_budget::book::Book>, selfdata_site::PageError> {
        self.budget
            .book(&me.pod)
            .await
            .map_err(selfdata_site::PageError::internal)
    }
}

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for BudgetApp {
    fn solid(&self) -> &AppState {
        &self.ctx.solid
    }
}

/// Money (accounts, transactions, budget) as a resident service.
pub struct BudgetService(pub Arc<BudgetApp>);

impl BudgetService {
    pub fn new(ctx: Arc<Context>) -> Self {
        let budget = Arc::new(Budget::new(
            ctx.store.clone(),
            ctx.base_url(),
            &ctx.pipeline,
        ));
        Self(Arc::new(BudgetApp { ctx, budget }))
    }
}

#[async_trait::async_trait]
impl Service for BudgetService {
    fn id(&self) -> &'static str {
        "budget"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/budget",
            label: Say::new("Budget", "Money"),
        }]
    }

    fn api(&self) -> Vec<selfdata_service::api::Operation> {
        api::operations()
    }

    fn routes(&self) -> Router {
        Router::new()
            .route(api::TRANSACTIONS_PATH, get(api::transactions))
            .route(api::ACCOUNTS_PATH, get(api::accounts))
            .route(api::SUMMARY_PATH, get(api::summary))
            .route(api::HOUSING_PATH, get(housing::api))
            .route(api::SUBSCRIPTIONS_PATH, get(subscriptions::api))
            // The owner's pages.
            .route("/app/budget", get(pages::home))
            .route("/app/budget/transactions", get(transactions::show))
            .route(
                "/app/budget/transactions/categorise",
                post(transactions::correct),
            )
            .route("/app/budget/spending", get(spending::show))
            .route("/app/budget/housing", get(housing::show))
            .route(
                "/app/budget/subscriptions",
                get(subscriptions::show).post(subscriptions::decide),
            )
            .with_state(self.0.clone())
    }

    fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        vec![self.0.budget.clone()]
    }

    async fn reindex(&self, pod: &PodName) -> Result<usize, ServiceError> {
        self.0.budget.reindex(pod).await.map_err(|e| ServiceError {
            service: "budget",
            message: e.to_string(),
        })
    }

    fn forget_pod(&self, pod: &PodName) {
        self.0.budget.forget_pod(pod);
        subscriptions::forget(pod);
        payees::forget(pod);
    }

    async fn organisations(
        &self,
        pod: &PodName,
        lang: Lang,
    ) -> Vec<selfdata_service::KnownOrganisation> {
        payees::organisations(&self.0, pod, lang).await
    }

    fn demo_files(
        &self,
        today: jiff::civil::Date,
        years: u32,
        known: &[selfdata_service::MonthlyCost],
    ) -> Vec<selfdata_service::DemoFile> {
        demo::files(today, years, known)
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        pages::card(&self.0, resident, lang).await
    }
}

//! Privacy as a resident service on the shared shape (`selfdata_service`):
//! "who has what on me?" and the consent records ([`privacy`]), rights
//! requests to holders, sharing with a person, the verifiable access log of
//! every access by anyone but the owner ([`log`]), the export of a whole pod
//! and its restore ([`export`]), and erasure ([`erase`]). [`PrivacyService`]
//! is its `selfdata_service::Service`.
//!
//! It knows no other service: the sources it lists come from the source
//! descriptions every importer writes (`selfdata_sources::describe`), and
//! erasure and restore reach the other services through the registry.

pub mod archive;
pub mod erase;
pub mod export;
pub mod log;
pub mod privacy;
pub mod vocab;
mod when;

use std::sync::Arc;

use axum::Router;
use selfdata_idp::Idp;
use selfdata_service::{AnyIntake, Card, Context, Service};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_solid::AppState;
use selfdata_store::PodName;

/// What the privacy handlers share.
pub struct PrivacyApp {
    pub ctx: Arc<Context>,
    /// Accounts, sessions and app grants (revoking an app, erasing a pod).
    pub idp: Arc<Idp>,
    /// The evidence documents read for the directory, while unchanged.
    pub evidence: privacy::evidence::EvidenceCache,
}

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for PrivacyApp {
    fn solid(&self) -> &AppState {
        &self.ctx.solid
    }
}

/// "Who has what on me?", rights against holders, the access log, export
/// and erasure as a resident service.
pub struct PrivacyService(pub Arc<PrivacyApp>);

impl PrivacyService {
    pub fn new(ctx: Arc<Context>, idp: Arc<Idp>) -> Self {
        Self(Arc::new(PrivacyApp {
            ctx,
            idp,
            evidence: Default::default(),
        }))
    }
}

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

    fn api(&self) -> Vec<selfdata_service::api::Operation> {
        log::operations()
    }

    fn routes(&self) -> Router {
        Router::new()
            .merge(log::routes())
            .merge(privacy::routes())
            .merge(export::routes())
            .merge(erase::routes())
            .with_state(self.0.clone())
    }

    fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        vec![Arc::new(archive::Archives::new(
            self.0.ctx.store.clone(),
            self.0.ctx.base_url(),
        ))]
    }

    async fn organisations(
        &self,
        pod: &PodName,
        lang: Lang,
    ) -> Vec<selfdata_service::KnownOrganisation> {
        privacy::granted::organisations(&self.0, pod, lang).await
    }

    fn forget_pod(&self, pod: &PodName) {
        self.0.evidence.forget(pod);
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        privacy::card(&self.0, resident, lang).await
    }
}

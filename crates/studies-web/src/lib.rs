//! Collective studies as a service: `/app/studies…`.
//!
//! Who does what here:
//! - a **researcher** (an account the operator gave the role) proposes a
//!   study: its question, its purpose, the figure each participant's pod
//!   contributes, the month, the smallest group published;
//! - the **steward** (civic trust) approves or refuses with a published
//!   reason, and the **members** (cooperative) vote, one member one vote,
//!   secret; the operator chose which (`--studies-governance`);
//! - a **resident** joins an approved study with one consent (a record in
//!   their pod), may leave until collection, and reads the result;
//! - at collection, each participant's pod computes its figure's band and
//!   hands it, split and sealed, to the two aggregators (`selfdata
//!   aggregator`); this server, the collector, gets only the totals, and only
//!   when enough took part;
//! - **everyone** reads the results as open data (CSV with its CSVW
//!   description) and the public record of every decision, signed.

mod compare;
mod pages;
mod public;
pub mod study;
mod texts;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use selfdata_aggregator::client::Aggregators;
use selfdata_service::{Card, Context, Service};
use selfdata_site::{Lang, MenuEntry, Resident, Say, count, fill};
use selfdata_store::{PodName, StudyRegistry};
use selfdata_studies::dap::HpkeKeypair;
use selfdata_studies::governance::{Governance, Stage};
use selfdata_translog::LogSigner;

pub use compare::{COMPARE, CohortResult, Household};
pub use texts::Texts;

/// The operator's settings of studies.
#[derive(Debug, Clone, Default)]
pub struct StudiesConfig {
    pub governance: Governance,
    /// The leader's and the helper's addresses, and the token both were
    /// started with; studies cannot be collected without them.
    pub aggregators: Option<(String, String, String)>,
}

pub struct StudiesApp {
    pub ctx: Arc<Context>,
    pub registry: Arc<dyn StudyRegistry>,
    pub governance: Governance,
    pub aggregators: Option<Aggregators>,
    /// This server's key as the collector: the totals are sealed to it.
    pub collector: HpkeKeypair,
    signer: LogSigner,
}

impl std::fmt::Debug for StudiesApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StudiesApp")
            .field("governance", &self.governance)
            .finish_non_exhaustive()
    }
}

impl StudiesApp {
    /// The file of the collector's and the record's key, in the data folder.
    pub fn key_file_in(data: &Path) -> std::path::PathBuf {
        data.join("studies.key")
    }

    /// The record's verifier key (C2SP note format), for anyone to check its
    /// signed tree heads.
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    fn signer_name(&self) -> String {
        self.signer.name().to_owned()
    }

    fn sign(&self, checkpoint: &selfdata_translog::Checkpoint) -> String {
        self.signer.sign(checkpoint)
    }
}

#[derive(Debug, Clone)]
pub struct StudiesService(pub Arc<StudiesApp>);

impl StudiesService {
    pub fn new(
        ctx: Arc<Context>,
        registry: Arc<dyn StudyRegistry>,
        config: StudiesConfig,
        key_file: &Path,
    ) -> Result<Self, selfdata_store::StoreError> {
        let seed = selfdata_store::crypto::Key32::load_or_create(key_file)?.seed();
        let signer = LogSigner::from_seed(&format!("{}/studies", ctx.host()), &seed)
            .map_err(|e| selfdata_store::StoreError::Io(e.to_string()))?;
        // The collector's HPKE key is derived from the same secret, apart.
        let mut collector_seed = seed;
        collector_seed[0] ^= 0x5a;
        Ok(Self(Arc::new(StudiesApp {
            ctx,
            registry,
            governance: config.governance,
            aggregators: config
                .aggregators
                .map(|(leader, helper, token)| Aggregators::new(&leader, &helper, &token)),
            collector: HpkeKeypair::derive(1, &collector_seed),
            signer,
        })))
    }
}

#[async_trait::async_trait]
impl Service for StudiesService {
    fn id(&self) -> &'static str {
        "studies"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/studies",
            label: Say::new("Études", "Studies"),
        }]
    }

    fn routes(&self) -> Router {
        Router::new()
            .route("/app/studies", get(pages::list))
            .route("/app/studies/propose", post(pages::propose))
            .route("/app/studies/record", get(public::record))
            .route(
                "/app/studies/compare",
                get(compare::show).post(compare::save),
            )
            .route("/app/studies/compare/stop", post(compare::stop))
            .route("/app/studies/{id}", get(pages::show))
            .route("/app/studies/{id}/decide", post(pages::decide))
            .route("/app/studies/{id}/vote", post(pages::vote))
            .route("/app/studies/{id}/close-vote", post(pages::close_vote))
            .route("/app/studies/{id}/join", post(pages::join))
            .route("/app/studies/{id}/leave", post(pages::leave))
            .route("/app/studies/{id}/collect", post(pages::collect))
            .route("/app/studies/{id}/result.csv", get(public::csv))
            .route(
                "/app/studies/{id}/result.csv-metadata.json",
                get(public::csvw),
            )
            .with_state(self.0.clone())
    }

    fn forget_pod(&self, pod: &PodName) {
        let (registry, pod) = (self.0.registry.clone(), pod.to_string());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = registry.forget_participant(&pod).await {
                    tracing::warn!(error = %e, "an erased pod's participations were not forgotten");
                }
            });
        }
    }

    fn spawn_background(&self, services: &selfdata_service::Registry) {
        self.0.spawn_monthly_comparison(services);
    }

    async fn comparisons(&self, pod: &PodName, lang: Lang) -> Vec<selfdata_service::Comparison> {
        vec![self.0.comparison_for(pod, lang).await]
    }

    async fn card(&self, _resident: &Resident, lang: Lang) -> Option<Card> {
        let t: &'static Texts = lang.words();
        let open = self
            .0
            .all()
            .await
            .ok()?
            .iter()
            .filter(|s| matches!(s.stage, Stage::Approved | Stage::Voting))
            .count() as u64;
        Some(Card {
            title: t.card_title,
            href: "/app/studies",
            headline: if open == 0 {
                t.card_none.to_owned()
            } else {
                fill(t.card_open, &[("n", &count(open, lang))])
            },
            lines: Vec::new(),
        })
    }
}

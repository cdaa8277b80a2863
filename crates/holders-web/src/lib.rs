//! Data holders as a service: how the data organisations hold arrives by
//! itself, with the resident's consent.
//!
//! - A **holder** the operator registered (`selfdata holder add`) pushes
//!   the export it already makes, for many customers at once, to
//!   `POST /holders/v1/pushes` ([`push`]): authenticated by its client
//!   credentials before a byte of the body is read, split by customer as
//!   it streams (`selfdata_holders::split`), each consenting customer's
//!   rows imported into their pod through the one import pipeline (the
//!   service that knows the layout takes them, as if the resident had
//!   uploaded them), the others dropped unread, and answered with a signed
//!   receipt (`selfdata_holders::receipt`). A retry with the same
//!   `Idempotency-Key` gets the same receipt and delivers nothing again.
//!   A holder registered with the file-per-customer layout pushes instead
//!   a form of files, one per customer ([`per_customer`]), each file's
//!   customer read from its content.
//! - A **resident** connects a holder from `/app/holders` ([`pages`]):
//!   their identifier there and their consent, recorded as a consent
//!   record in their pod (shown and revocable on "Who has what on me?");
//!   they see each delivery and disconnect at once.
//! - A resident lets a holder **read** named parts of their pod, for a
//!   purpose and a limited time ([`transfer`]): a consent record in the pod
//!   and a registry row; the holder fetches with its own credentials under
//!   `/holders/v1/transfers`, each read in the resident's access log.
//!
//! The consent is checked at delivery time in the pod itself: a record
//! withdrawn a second before (here or on the privacy page) means no
//! delivery. Each delivery, and each refusal, is in the resident's access log.

pub mod api;
pub mod operator;
pub mod pages;
pub mod per_customer;
pub mod push;
mod texts;
pub mod transfer;

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use selfdata_service::{Card, Context, KnownOrganisation, Service};
use selfdata_site::{Lang, MenuEntry, Resident, Say};
use selfdata_store::{HolderRegistry, PodName};
use selfdata_translog::LogSigner;

pub use texts::{Texts, TransferTexts};

/// What the holders' routes share.
pub struct HoldersApp {
    pub ctx: Arc<Context>,
    pub registry: Arc<dyn HolderRegistry>,
    signer: LogSigner,
    /// This server's host name, as receipts name it.
    host: String,
}

impl std::fmt::Debug for HoldersApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HoldersApp")
            .field("host", &self.host)
            .finish_non_exhaustive()
    }
}

impl HoldersApp {
    /// The key that checks this server's receipts (C2SP verifier key).
    pub fn verifier_key(&self) -> String {
        self.signer.verifier_key()
    }

    /// The receipt key's usual place in a data folder.
    pub fn key_file_in(data: &Path) -> std::path::PathBuf {
        data.join("receipt-signing.key")
    }
}

/// The data holders service.
#[derive(Debug, Clone)]
pub struct HoldersService(pub Arc<HoldersApp>);

impl HoldersService {
    /// The service, signing receipts with the key in `key_file` (created
    /// when missing).
    pub fn new(
        ctx: Arc<Context>,
        registry: Arc<dyn HolderRegistry>,
        key_file: &Path,
    ) -> Result<Self, selfdata_store::StoreError> {
        let seed = selfdata_store::crypto::Key32::load_or_create(key_file)?.seed();
        let host = ctx.host().to_owned();
        let signer = LogSigner::from_seed(&format!("{host}/receipts"), &seed)
            .map_err(|e| selfdata_store::StoreError::Io(e.to_string()))?;
        Ok(Self(Arc::new(HoldersApp {
            ctx,
            registry,
            signer,
            host,
        })))
    }
}

#[async_trait::async_trait]
impl Service for HoldersService {
    fn id(&self) -> &'static str {
        "holders"
    }

    fn menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/holders",
            label: Say::new("Mes organismes", "My holders"),
        }]
    }

    fn api(&self) -> Vec<selfdata_service::api::Operation> {
        api::operations()
    }

    fn routes(&self) -> Router {
        Router::new()
            // The holders' API (organisations, not residents): under
            // `/holders/v1/`, which takes precedence over the redirect of
            // `/holders…` to the pages.
            .route(
                api::PUSHES_PATH,
                post(push::push).layer(DefaultBodyLimit::disable()),
            )
            .route("/holders/v1/receipt-key", get(push::receipt_key))
            .route(api::TRANSFERS_PATH, get(transfer::list))
            .route(api::TRANSFER_PATH, get(transfer::show))
            .route("/holders/v1/transfers/{id}/{*path}", get(transfer::fetch))
            .route("/app/holders", get(pages::show))
            .route("/app/holders/connect", post(pages::connect))
            .route("/app/holders/disconnect", post(pages::disconnect))
            .route(
                "/app/operator/holders",
                get(operator::show).post(operator::register_holder),
            )
            .route("/app/operator/holders/secret", post(operator::renew))
            .route(
                "/app/operator/holders/remove",
                post(operator::remove_holder),
            )
            .route(
                "/app/operator/holders/push-key",
                post(operator::change_push_key),
            )
            .route(
                "/app/operator/holders/limits",
                post(operator::change_limits),
            )
            .route(
                "/app/holders/transfers",
                get(transfer::page_show).post(transfer::page_grant),
            )
            .route("/app/holders/transfers/stop", post(transfer::page_stop))
            .with_state(self.0.clone())
    }

    fn forget_pod(&self, pod: &PodName) {
        let (registry, pod) = (self.0.registry.clone(), pod.to_string());
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = registry.forget_pod_links(&pod).await {
                    tracing::warn!(error = %e, "the holders' links of an erased pod were not forgotten");
                }
            });
        }
    }

    fn operator_menu(&self) -> Vec<MenuEntry> {
        vec![MenuEntry {
            href: "/app/operator/holders",
            label: Say::new("Organismes détenteurs de données", "Data holders"),
        }]
    }

    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card> {
        pages::card(&self.0, resident, lang).await
    }

    async fn organisations(&self, pod: &PodName, lang: Lang) -> Vec<KnownOrganisation> {
        pages::organisations(&self.0, pod, lang).await
    }
}

//! Wiring: one embedded store, the identity provider, the pod server and
//! the resident services, assembled into one HTTP application. The list of
//! services is here, once ([`App::open`]). The commands of the command line
//! are library calls on [`App`] (import, reindex, demo, pods…): `main.rs`
//! only parses the command line and prints; tests build the same
//! application through [`App::open`].

pub mod backup;
pub mod metrics;
pub mod migrate;
pub mod origins;
pub mod proxy;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;

use selfdata_idp::{Idp, IdpConfig, SignupMode};
pub use selfdata_privacy_web::erase::ErasureReceipt;
use selfdata_privacy_web::{PrivacyApp, PrivacyService};
pub use selfdata_service::Upload;
use selfdata_service::{Context, ImportFailure, Pipeline, Registry, Summary};
use selfdata_solid::{AppState, Config};
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, Directory, PodName, ReservedNames, Storage, StoreError};

/// What the server needs to start.
#[derive(Debug, Clone)]
pub struct Options {
    pub data: PathBuf,
    /// Public base URL, without a trailing slash.
    pub base_url: String,
    pub max_body_bytes: usize,
    /// The most bytes one upload of files to import may hold together
    /// (spooled to disk sealed past a few megabytes, never held in memory).
    pub max_upload_bytes: u64,
    pub signup: SignupMode,
    pub allow_http_client_ids: bool,
    /// Other Solid-OIDC issuers whose tokens the pods accept (none by default).
    pub trusted_issuers: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see
    /// [`proxy`]); none by default.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// A fixed "today" for the services (tests and benchmarks); the real date when `None`.
    pub today: Option<jiff::civil::Date>,
    /// Enedis Data Connect keys and addresses; no connector when `None`.
    pub enedis: Option<selfdata_connect::DataConnectConfig>,
    /// GRDF ADICT keys and addresses; no connector when `None`.
    pub grdf: Option<selfdata_connect::AdictConfig>,
    /// Collective studies: who decides, and the two aggregators.
    pub studies: selfdata_studies_web::StudiesConfig,
    /// The hour (0–23, Paris time) of the daily pulls of every connection.
    pub pull_hour: u8,
    /// The host master key (encryption at rest); when `None`, the key file
    /// `<data>/master.key`, created on first open.
    pub master_key: Option<selfdata_store::crypto::MasterKey>,
    /// The PostgreSQL database to keep everything in, instead of the data
    /// folder's SQLite files (several servers may share it); the data folder
    /// then holds only keys and files being imported.
    pub database: Option<selfdata_store::postgres::PgSettings>,
    /// Encryption at rest OFF, only for a benchmark comparing the same build.
    #[doc(hidden)]
    pub unencrypted: bool,
    /// Access logging OFF, only for a benchmark comparing the same build.
    #[doc(hidden)]
    pub no_access_log: bool,
    /// Sign-ups allowed per client address per hour.
    pub signups_per_hour: u32,
    /// Pods one account may own.
    pub pods_per_account: usize,
    /// The SMTP relay password-reset links are mailed through; without it,
    /// the operator issues reset codes.
    pub smtp: Option<selfdata_idp::reset::SmtpRelay>,
    /// How much RDF work one request may cause (triples per stored document,
    /// SPARQL Update operations, matching steps...).
    pub rdf_limits: selfdata_solid::RdfLimits,
    /// Where the resident pages and the identity provider answer, when the
    /// operator puts them on an origin of their own (pods stay at
    /// `base_url`); `None`: everything on `base_url`.
    pub pages_url: Option<String>,
    /// Bytes each pod may hold (its resources, large files included).
    pub pod_quota_bytes: u64,
    /// Pods open at once; by default derived from the descriptor limit
    /// ([`selfdata_store::sqlite::open_pod_cap`]).
    pub max_open_pods: Option<usize>,
    /// The background map the operator chose for the mobility maps; `None`
    /// (the default): maps are drawn with no tiles, nothing fetched.
    pub map_tiles: Option<selfdata_mobility_web::map::Tiles>,
    /// Limits of the Solid Notifications channels (per agent, per server).
    pub notifications: selfdata_notify::Settings,
}

/// The default limit of one upload of files to import: 1 GiB.
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 1024 * 1024 * 1024;

/// The default storage quota of a pod: 1 GiB.
pub const DEFAULT_POD_QUOTA_BYTES: u64 = 1024 * 1024 * 1024;

impl Options {
    /// Where the resident pages and the identity provider answer.
    pub fn pages_url(&self) -> &str {
        self.pages_url.as_deref().unwrap_or(&self.base_url)
    }

    pub fn new(data: impl Into<PathBuf>, base_url: &str) -> Self {
        Self {
            data: data.into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            max_body_bytes: 64 * 1024 * 1024,
            max_upload_bytes: DEFAULT_MAX_UPLOAD_BYTES,
            signup: SignupMode::Open,
            allow_http_client_ids: false,
            trusted_issuers: Vec::new(),
            trusted_proxies: Vec::new(),
            today: None,
            enedis: None,
            grdf: None,
            studies: Default::default(),
            pull_hour: selfdata_energy_web::connect::DEFAULT_PULL_HOUR,
            master_key: None,
            database: None,
            unencrypted: false,
            no_access_log: false,
            signups_per_hour: 10,
            pods_per_account: 5,
            smtp: None,
            rdf_limits: selfdata_solid::RdfLimits::default(),
            pages_url: None,
            pod_quota_bytes: DEFAULT_POD_QUOTA_BYTES,
            max_open_pods: None,
            map_tiles: None,
            notifications: selfdata_notify::Settings::default(),
        }
    }
}

/// The assembled application.
pub struct App {
    /// Everything the server keeps: the embedded engine or PostgreSQL.
    pub store: Arc<dyn Storage>,
    /// The embedded engine, when it is the one (backups, open pods).
    pub embedded: Option<Arc<SqliteBackend>>,
    pub idp: Arc<Idp>,
    /// What the services share: the pods' state, the import pipeline, its jobs.
    pub context: Arc<Context>,
    /// The energy service (its queries, for tests and benchmarks).
    pub energy: Arc<selfdata_energy_web::Energy>,
    privacy: Arc<PrivacyApp>,
    /// The data holders' pushes and connections.
    pub holders: Arc<selfdata_holders_web::HoldersApp>,
    /// Collective studies.
    pub studies: Arc<selfdata_studies_web::StudiesApp>,
    /// The pods' access logs (every access by anyone but the owner).
    pub access_log: Arc<selfdata_privacy_web::log::AccessLog>,
    /// The resident services of this server.
    pub registry: Registry,
    /// Solid Notifications: the channels open on this server.
    pub notifications: selfdata_notify::Notifications,
    /// Names no new pod may take: the first segment of every route.
    pub reserved: ReservedNames,
    /// What the operator's monitoring reads (`metrics::router`).
    pub metrics: Arc<metrics::Metrics>,
    /// Backups of this server's data folder.
    pub backups: backup::Backups,
    /// The pod server's state, shared by the pods and the services.
    state: AppState,
    pub options: Options,
}

/// Every minute, while the store is open: pods idle for ten minutes are
/// closed (their descriptors and memory freed) and the disk-full reserve is
/// written again once there is room. Holds the store only weakly, so
/// dropping the [`App`] still closes the folder (and releases its lock).
fn spawn_maintenance(store: &Arc<SqliteBackend>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let weak = Arc::downgrade(store);
    runtime.spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        every.tick().await;
        loop {
            every.tick().await;
            let Some(store) = weak.upgrade() else {
                return;
            };
            let _ = tokio::task::spawn_blocking(move || {
                store.maintain(selfdata_store::sqlite::IDLE_POD_AGE)
            })
            .await;
        }
    });
}

/// A pod created from the command line, with keys for a script.
#[derive(Debug)]
pub struct CreatedPod {
    pub root_uri: String,
    pub webid: String,
    pub client_id: String,
    pub client_secret: String,
}

impl App {
    /// Opens the data folder, taking its lock: fails with
    /// [`StoreError::Locked`], touching nothing, while another process
    /// (a running server, another command) has it open.
    pub async fn open(options: Options) -> Result<Self, StoreError> {
        let (store, embedded): (Arc<dyn Storage>, _) = match &options.database {
            Some(settings) => {
                // Keys of this server's own (the access log's signing
                // key…) and files being imported live there.
                std::fs::create_dir_all(&options.data)?;
                let master = match &options.master_key {
                    Some(key) => key.clone(),
                    None => selfdata_store::crypto::MasterKey::load_or_create(
                        &selfdata_store::crypto::default_key_file(&options.data),
                    )?,
                };
                let store = selfdata_store::postgres::PgStore::connect(settings, master)
                    .await?
                    .with_pod_quota(options.pod_quota_bytes);
                (Arc::new(store), None)
            }
            None => {
                let store = match (&options.master_key, options.unencrypted) {
                    (_, true) => SqliteBackend::open_unencrypted(&options.data)?,
                    (Some(key), false) => SqliteBackend::open_with_key(&options.data, key.clone())?,
                    (None, false) => SqliteBackend::open(&options.data)?,
                };
                let max_open_pods = options.max_open_pods.unwrap_or_else(|| {
                    selfdata_store::sqlite::open_pod_cap(selfdata_store::sys::fd_limit())
                });
                tracing::debug!(max_open_pods, "open pods capped");
                let store = Arc::new(
                    store
                        .with_max_open_pods(max_open_pods)
                        .with_pod_quota(options.pod_quota_bytes),
                );
                spawn_maintenance(&store);
                (store.clone() as Arc<dyn Storage>, Some(store))
            }
        };
        let mut config = IdpConfig::new(options.pages_url());
        config.pods_url = options.base_url.trim_end_matches('/').to_owned();
        config.signup = options.signup;
        config.allow_http_client_ids = options.allow_http_client_ids;
        config.signups_per_hour = options.signups_per_hour;
        config.pods_per_account = options.pods_per_account;
        config.smtp = options.smtp.clone();
        config.trusted_issuers = options
            .trusted_issuers
            .iter()
            .map(|i| format!("{}/", i.trim_end_matches('/')))
            .collect();
        let idp = Idp::open(
            config,
            store.clone() as Arc<dyn Directory>,
            store.clone() as Arc<dyn Backend>,
        )
        .await?;
        let access_log = selfdata_privacy_web::log::AccessLog::open(
            store.clone() as Arc<dyn Backend>,
            &options.base_url,
            &selfdata_privacy_web::log::AccessLog::key_file_in(&options.data),
        )
        .map_err(StoreError::from)?;
        let mut config = Config::new(&options.base_url);
        config.max_body_bytes = options.max_body_bytes;
        config.rdf_limits = options.rdf_limits;
        config.notifications = Some(selfdata_notify::Notifications::discovery(&options.base_url));
        // One pipeline for every file, whatever service takes it; the
        // services' intakes are handed to it once the registry exists.
        let spools = selfdata_store::spool::Spools::open(options.data.join("spool"))?;
        let pipeline = Arc::new(Pipeline::new(
            store.clone() as Arc<dyn Backend>,
            spools,
            options.max_upload_bytes,
        ));
        let inbox = Arc::new(selfdata_service::InboxRouter::new(
            &options.base_url,
            pipeline.clone(),
        ));
        let mut state = AppState::new(
            store.clone(),
            idp.clone() as Arc<dyn selfdata_solid::Authenticator>,
            config,
        )
        .with_inbox_hook(inbox);
        if !options.no_access_log {
            state = state.with_access_log_hook(access_log.clone());
        }
        // Development servers (`--allow-http-client-ids`) may send
        // webhooks to http and loopback receivers, as they fetch Client IDs.
        let mut notify_settings = options.notifications.clone();
        notify_settings.allow_http_webhooks |= options.allow_http_client_ids;
        let notifications = selfdata_notify::Notifications::start(state.clone(), notify_settings)
            .map_err(|e| StoreError::Io(e.to_string()))?;
        let context = Arc::new(Context::new(
            state.clone(),
            store.clone() as Arc<dyn Backend>,
            store.clone() as Arc<dyn selfdata_store::Directory>,
            pipeline.clone(),
            options.today,
        ));
        // The resident services of this server: the one list.
        let energy = selfdata_energy_web::EnergyService::new(
            context.clone(),
            selfdata_energy_web::connect::ConnectSettings {
                enedis: options.enedis.clone(),
                grdf: options.grdf.clone(),
                pull_hour: options.pull_hour,
            },
        )
        .map_err(|e| StoreError::Io(e.to_string()))?;
        let privacy = PrivacyService::new(context.clone(), idp.clone());
        let (energy_app, privacy_app) = (energy.0.energy.clone(), privacy.0.clone());
        let budget = selfdata_budget_web::BudgetService::new(context.clone());
        let mobility =
            selfdata_mobility_web::MobilityService::new(context.clone(), options.map_tiles.clone());
        let holders = selfdata_holders_web::HoldersService::new(
            context.clone(),
            store.clone() as Arc<dyn selfdata_store::HolderRegistry>,
            &selfdata_holders_web::HoldersApp::key_file_in(&options.data),
        )?;
        let holders_app = holders.0.clone();
        let studies = selfdata_studies_web::StudiesService::new(
            context.clone(),
            store.clone() as Arc<dyn selfdata_store::StudyRegistry>,
            options.studies.clone(),
            &selfdata_studies_web::StudiesApp::key_file_in(&options.data),
        )?;
        let studies_app = studies.0.clone();
        let registry = Registry::new(vec![
            Arc::new(energy),
            Arc::new(budget),
            Arc::new(mobility),
            Arc::new(holders),
            Arc::new(studies),
            Arc::new(privacy),
        ])
        .with_console_entries(vec![
            selfdata_idp::residents::RESIDENTS_MENU,
            selfdata_idp::console::OPERATOR_MENU,
            metrics::HEALTH_MENU,
            selfdata_idp::residents::AUDIT_MENU,
        ]);
        pipeline.offer_to(registry.intakes());
        // Every route's first segment, from the constants and the registry
        // the routers are built from: a pod of that name would be hidden.
        let reserved = ReservedNames::new(
            selfdata_solid::ROUTE_ROOTS
                .iter()
                .chain(selfdata_site::ROUTE_ROOTS)
                .chain(selfdata_idp::ROUTE_ROOTS)
                .copied()
                .chain(registry.route_roots()),
        );
        idp.reserve_pod_names(reserved.clone());
        let backups = backup::Backups::new(embedded.as_ref());
        Ok(Self {
            store,
            embedded,
            idp,
            context,
            energy: energy_app,
            privacy: privacy_app,
            holders: holders_app,
            studies: studies_app,
            access_log,
            registry,
            notifications,
            reserved,
            metrics: Arc::new(metrics::Metrics::default()),
            backups,
            state,
            options,
        })
    }

    /// The HTTP application.
    pub fn router(&self) -> axum::Router {
        let mut menu = self.registry.menu();
        menu.push(selfdata_idp::APPS_MENU);
        menu.push(selfdata_idp::ACCOUNT_MENU);
        let site = selfdata_site::Site::new(menu, self.idp.clone());
        let pages = site
            .wrap(
                self.idp
                    .routes()
                    .merge(self.registry.routes(&self.context))
                    .merge(metrics::console_routes(self)),
            )
            .merge(self.notifications.router());
        let proxies = Arc::new(proxy::TrustedProxies(self.options.trusted_proxies.clone()));
        let router = selfdata_solid::router(self.state.clone(), pages)
            .layer(axum::middleware::from_fn_with_state(
                self.metrics.clone(),
                metrics::record,
            ))
            .layer(axum::middleware::from_fn_with_state(proxies, proxy::layer));
        match origins::Split::new(&self.options) {
            Some(split) => router.layer(axum::middleware::from_fn_with_state(
                Arc::new(split),
                origins::split,
            )),
            None => router,
        }
    }

    /// Background work of a running server: every service's (the holders'
    /// connectors' daily pulls…).
    pub fn spawn_background(&self) {
        self.registry.spawn_background();
    }

    /// Imports one file into `pod` through the pipeline (the first service
    /// that recognises it takes it), whole or not at all.
    pub async fn import_file(
        &self,
        pod: &PodName,
        file: impl Into<Upload>,
    ) -> Result<Summary, ImportFailure> {
        self.context
            .pipeline
            .import(pod, "application/octet-stream", file.into(), false, &|_| {})
            .await
    }

    /// Every service rebuilds what it derives from `pod`'s files; returns
    /// each service's count of records.
    pub async fn reindex(
        &self,
        pod: &PodName,
    ) -> Result<Vec<(&'static str, usize)>, selfdata_service::ServiceError> {
        self.registry.reindex(pod).await
    }

    /// Creates the demo account and pod if needed (`created` tells), then
    /// imports every service's demo files up to `today`, in the registry's
    /// order: each service after the first is handed what the pod's home
    /// cost per month as the services before it know it (the demo's bank
    /// debits pay the demo's energy bills). Returns what each file gave, by name.
    pub async fn demo(
        &self,
        email: &str,
        password: &str,
        pod: &PodName,
        years: u32,
    ) -> Result<Demo, DemoError> {
        let created = self.store.pod(pod).await?.is_none();
        if created {
            self.idp.create_account(email, password, pod).await?;
        }
        let today = self.context.today();
        let from = today
            .checked_sub(jiff::Span::new().years(i64::from(years)))
            .unwrap_or(today)
            .first_of_month();
        let mut files = Vec::new();
        for (i, service) in self.registry.services().iter().enumerate() {
            let known = if i == 0 {
                Vec::new()
            } else {
                self.registry.monthly_costs(pod, from, today).await
            };
            for file in service.demo_files(today, years, &known) {
                let summary = self
                    .context
                    .pipeline
                    .import(
                        pod,
                        "application/octet-stream",
                        file.body.into(),
                        false,
                        &|_| {},
                    )
                    .await
                    .map_err(|e| DemoError::File(file.name.clone(), e))?;
                files.push((file.name, summary));
            }
        }
        Ok(Demo { created, files })
    }

    /// Erases a pod for good: its data key first (so copies and backups of
    /// its files become unreadable), then its files and its link to its
    /// owner's account. Returns the receipt given to the resident.
    pub async fn delete_pod(&self, name: &PodName) -> Result<ErasureReceipt, StoreError> {
        self.privacy.erase_pod(&self.registry, name).await
    }

    /// Creates a pod without an account, and client credentials speaking for
    /// its owner's WebID (the operator hands them to the resident or a script).
    /// Refused when the name is one of the server's routes (`app`,
    /// `account`, `energy`…), which would hide the pod's pages.
    pub async fn create_pod(&self, name: &PodName) -> Result<CreatedPod, StoreError> {
        let name = &self.reserved.new_pod(name.as_str())?;
        let pod = selfdata_solid::provision::create_pod(
            self.store.as_ref(),
            &self.options.base_url,
            &self.idp.config().issuer(),
            name,
        )
        .await?;
        let (client_id, client_secret) = self
            .idp
            .create_credentials(None, &pod.webid, &format!("owner of {name}"))
            .await?;
        Ok(CreatedPod {
            root_uri: pod.root_uri,
            webid: pod.webid,
            client_id,
            client_secret,
        })
    }

    /// The whole pod as a tar archive (see `selfdata_privacy_web::export::README`).
    pub async fn export_pod(&self, name: &PodName) -> Result<Vec<u8>, StoreError> {
        selfdata_privacy_web::export::export_pod(self.store.as_ref(), name, &self.options.base_url)
            .await
    }

    /// Restores an exported pod, as `name` or under its original name: the
    /// archive is checked whole first, then written all or nothing.
    pub async fn import_pod(
        &self,
        archive: &[u8],
        name: Option<&PodName>,
    ) -> Result<
        selfdata_privacy_web::export::Imported,
        selfdata_privacy_web::export::PortabilityError,
    > {
        selfdata_privacy_web::export::import_pod(
            self.store.as_ref(),
            &self.registry,
            archive,
            name,
            &self.options.base_url,
            &self.reserved,
        )
        .await
    }
}

/// What the demo did.
#[derive(Debug)]
pub struct Demo {
    /// Whether the demo account and pod were created now.
    pub created: bool,
    /// Each demo file's name and what importing it gave.
    pub files: Vec<(String, Summary)>,
}

/// Why the demo could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("demo file {0}: {1}")]
    File(String, ImportFailure),
}

/// Why the master key could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("the master key was not changed (data folder {folder}): {source}")]
    NotChanged { folder: String, source: StoreError },
    #[error("the data folder now needs the key in {pending}; move it to {key_file}: {source}")]
    NotMoved {
        pending: String,
        key_file: String,
        source: std::io::Error,
    },
}

/// Re-wraps every pod's data key under `new` (the data folder must be
/// closed). With `key_file`, the new key is first written durably beside it
/// (`….key.new`) and takes its place once every pod is re-wrapped, so a
/// crash between the two leaves a key that opens the folder; without, the
/// operator keeps the new key elsewhere. Returns how many pod keys were re-wrapped.
pub fn rotate_master_key(
    data: &std::path::Path,
    key_file: Option<&std::path::Path>,
    old: &selfdata_store::crypto::MasterKey,
    new: &selfdata_store::crypto::MasterKey,
) -> Result<usize, RotateError> {
    let not_changed = |source| RotateError::NotChanged {
        folder: data.display().to_string(),
        source,
    };
    let pending = key_file.map(|f| f.with_extension("key.new"));
    if let Some(pending) = &pending {
        new.write_file(pending).map_err(not_changed)?;
    }
    let n = SqliteBackend::rotate_master_key(data, old, new).map_err(not_changed)?;
    if let (Some(pending), Some(key_file)) = (pending, key_file) {
        std::fs::rename(&pending, key_file).map_err(|source| RotateError::NotMoved {
            pending: pending.display().to_string(),
            key_file: key_file.display().to_string(),
            source,
        })?;
    }
    Ok(n)
}

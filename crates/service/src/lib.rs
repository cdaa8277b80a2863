//! The shape every resident service takes: a [`Service`] says who it is
//! (its id), where it sits in the menu, which routes it serves, what it
//! takes in from files ([`Intake`]), how it rebuilds what it derives from a
//! pod's files, and what its card on the resident's home page says; the
//! [`Registry`] holds the services the binary lists (once, in
//! `crates/selfdata/src/lib.rs`), and from it come the site's menu, the
//! services' routes and the home page at `/`: signed out, what this is and
//! why it is safe, with sign-in and sign-up; signed in, one card per service
//! with its headline.
//!
//! Every file, however it arrives (a page's upload, a POST to the inbox, the
//! command line, a holder's connector), goes through one [`Pipeline`]
//! ([`intake`]); uploads from pages run as background jobs in one job table
//! ([`jobs`]); a file posted to a pod's inbox is offered to the pipeline by
//! one [`InboxRouter`]. What the services share is one [`Context`].

pub mod api;
pub mod consents;
mod inbox;
pub mod intake;
pub mod jobs;
pub mod operator;
mod sector;
pub mod upload;

pub use inbox::{InboxRouter, api_error};
pub use intake::{
    Accepts, AnyIntake, ImportFailure, Intake, Original, Pipeline, Plan, Progress, Stage, Summary,
    Told, Turn, held_period, kept_originals, put_file,
};
pub use sector::Sector;
pub use upload::Upload;

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Extension, Router};
use selfdata_site::{Chrome, Lang, MenuEntry, PageError, Resident, Say, page};
use selfdata_solid::AppState;
use selfdata_store::{Backend, Directory, PodName};

/// What every service shares: the pods' server state and store, the import
/// pipeline and its job table, and today's date.
pub struct Context {
    pub solid: AppState,
    pub store: Arc<dyn Backend>,
    /// The host directory: where [`Context::record_operator_action`]
    /// writes, and the counters every server shares.
    directory: Arc<dyn Directory>,
    pub pipeline: Arc<Pipeline>,
    pub jobs: jobs::Jobs,
    /// A fixed "today" (tests, demos); the real date when `None`.
    pub fixed_today: Option<jiff::civil::Date>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

impl Context {
    pub fn new(
        solid: AppState,
        store: Arc<dyn Backend>,
        directory: Arc<dyn Directory>,
        pipeline: Arc<Pipeline>,
        fixed_today: Option<jiff::civil::Date>,
    ) -> Self {
        Self {
            solid,
            store,
            directory,
            pipeline,
            jobs: jobs::Jobs::default(),
            fixed_today,
        }
    }

    /// Today in the resident's zone (Europe/Paris).
    pub fn today(&self) -> jiff::civil::Date {
        self.fixed_today
            .unwrap_or_else(|| selfdata_sources::time::local_date(jiff::Timestamp::now()))
    }

    /// Writes what an operator did to the operator's audit log: a service's
    /// console page calls it before it takes the action.
    pub async fn record_operator_action(
        &self,
        action: &selfdata_store::directory::OperatorAction,
    ) -> Result<(), selfdata_store::StoreError> {
        self.directory
            .record_operator_action(action)
            .await
            .map(|_| ())
    }

    /// The host directory (accounts, sessions, the counters every server
    /// sharing the store shares).
    pub fn directory(&self) -> &Arc<dyn Directory> {
        &self.directory
    }

    /// This server's public base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.solid.config().base_url
    }

    /// The host (and port) of the base URL: what names this server's signed
    /// logs (`{host}/receipts`, `{host}/studies`).
    pub fn host(&self) -> &str {
        let base = self.base_url();
        base.split_once("://")
            .map(|(_, h)| h)
            .unwrap_or(base)
            .trim_end_matches('/')
    }
}

/// Lets the Solid layer's extractors (such as `PodAccess`) reach its state.
impl selfdata_solid::auth::SolidState for Context {
    fn solid(&self) -> &AppState {
        &self.solid
    }
}

/// Why a service could not rebuild what it derives.
#[derive(Debug, thiserror::Error)]
#[error("{service}: {message}")]
pub struct ServiceError {
    pub service: &'static str,
    pub message: String,
}

/// A file a service's demo hands to the pipeline.
#[derive(Debug, Clone)]
pub struct DemoFile {
    pub name: String,
    pub body: bytes::Bytes,
}

/// What a home cost is about, in [`MonthlyCost`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CostTopic {
    Electricity,
    Gas,
    Water,
}

/// What a service knows a home cost in one Paris month, for other services
/// to show beside their own figures (budget links its bills to it): the
/// service stays the only authority on how its costs are computed.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyCost {
    /// The service that knows it (`energy`).
    pub service: &'static str,
    pub topic: CostTopic,
    /// The 1st of a Paris month.
    pub month: jiff::civil::Date,
    /// What it cost, in cents (positive).
    pub cents: i64,
    /// The share of the month the service has data for, 0 to 1.
    pub coverage: f32,
    /// The service's page of that month.
    pub href: String,
}

/// A figure a service measured of a pod's home for one Paris month, the kind
/// of value a study asks a pod for (`selfdata_studies::catalogue`).
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyFigure {
    /// `electricity`, `gas` (Wh) or `water` (litres).
    pub figure: &'static str,
    /// The 1st of a Paris month.
    pub month: jiff::civil::Date,
    /// In base units: Wh, litres.
    pub value: i64,
    /// The share of the month the service has data for, 0 to 1.
    pub coverage: f32,
}

/// Where a household stands among similar households for one figure, in the
/// page's language, drawn by the service that compares.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The figure compared (`electricity`).
    pub figure: &'static str,
    pub title: String,
    /// The sentence that matters: the household's band among how many, or
    /// why there is no comparison, or the invitation to take part.
    pub headline: String,
    /// The cohort's histogram with the household's band, drawn (SVG).
    pub chart: Option<String>,
    /// Where the resident describes their home, or stops comparing.
    pub href: &'static str,
    pub link: String,
}

/// An organisation (or a person) a service knows holds data on the
/// resident, for the directory of "who has what on me": money's payees and
/// subscriptions, the apps and people given access. The privacy service
/// groups these by name with what the archives and the holders' deliveries
/// say; the service that knows stays the one that says how it knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownOrganisation {
    /// Its name as the service knows it ("Deezer", "EDF CLIENTS
    /// PARTICULIERS", an app's name); organisations are grouped by it.
    pub name: String,
    /// A person (a WebID given access): grouped by `name` exactly, never
    /// with an organisation of a similar name.
    pub person: bool,
    /// How we know, in the language asked ("you pay them every month since 2019").
    pub how: String,
    /// DPV personal data categories it holds (local names under
    /// `https://w3id.org/dpv/pd#`: `Financial`, `Transactional`, `Identifying`).
    pub categories: Vec<String>,
    /// Since when, and until when, as far as the service knows.
    pub first: Option<jiff::Timestamp>,
    pub last: Option<jiff::Timestamp>,
    /// Its sector, when the service knows it.
    pub sector: Option<Sector>,
}

/// A service's card on the resident's home page.
#[derive(Debug, Clone)]
pub struct Card {
    /// The service's name, in the page's language.
    pub title: &'static str,
    /// Where the card leads.
    pub href: &'static str,
    /// The one sentence that matters now (this month's figures, an alert…).
    pub headline: String,
    /// A few more lines, possibly none.
    pub lines: Vec<String>,
}

/// A resident service: energy and water, privacy, and the next ones.
#[async_trait::async_trait]
pub trait Service: Send + Sync {
    /// A short, stable name (`energy`, `privacy`).
    fn id(&self) -> &'static str;

    /// Its entries in the menu, in order.
    fn menu(&self) -> Vec<MenuEntry>;

    /// Its routes, state applied. Its pages live under `/app/{id}…`
    /// ([`PAGES_ROOT`]; `/{id}…` redirects there); a JSON API under
    /// `/{pod}/…` is authorised like any pod resource.
    fn routes(&self) -> Router;

    /// Its JSON API, described for `/openapi.json` (each path the same
    /// constant its router uses); none by default.
    fn api(&self) -> Vec<api::Operation> {
        Vec::new()
    }

    /// What it takes in from files (the pipeline offers every file to
    /// every service's intakes, in the registry's order); nothing by default.
    fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        Vec::new()
    }

    /// Rebuilds what it derives from a pod's files (an index), after a
    /// restore or when asked; returns how many records it holds.
    async fn reindex(&self, _pod: &PodName) -> Result<usize, ServiceError> {
        Ok(0)
    }

    /// Forgets what it cached about a pod (the pod was erased).
    fn forget_pod(&self, _pod: &PodName) {}

    /// What the pod's home cost per month in `[from, to)`, as far as this
    /// service knows (energy: its fluids' costs); nothing by default.
    async fn monthly_costs(
        &self,
        _pod: &PodName,
        _from: jiff::civil::Date,
        _to: jiff::civil::Date,
    ) -> Vec<MonthlyCost> {
        Vec::new()
    }

    /// What this service measured of the pod's home per month in
    /// `[from, to)` (energy: Wh of electricity and gas, litres of water): the
    /// figures a study may ask the pod to contribute; nothing by default.
    async fn monthly_figures(
        &self,
        _pod: &PodName,
        _from: jiff::civil::Date,
        _to: jiff::civil::Date,
    ) -> Vec<MonthlyFigure> {
        Vec::new()
    }

    /// Where the resident's household stands among similar ones, for a page of
    /// another service to show (studies' comparison on energy's dashboard);
    /// nothing by default.
    async fn comparisons(&self, _pod: &PodName, _lang: Lang) -> Vec<Comparison> {
        Vec::new()
    }

    /// The organisations (and people) this service knows hold data on the
    /// resident of `pod`, how in `lang`; nothing by default.
    async fn organisations(&self, _pod: &PodName, _lang: Lang) -> Vec<KnownOrganisation> {
        Vec::new()
    }

    /// Files a demo pod gets, generated for `years` up to `today`, given
    /// what the services before it in the registry know the demo home cost
    /// (`known`, so that money's bills are energy's costs).
    fn demo_files(
        &self,
        _today: jiff::civil::Date,
        _years: u32,
        _known: &[MonthlyCost],
    ) -> Vec<DemoFile> {
        Vec::new()
    }

    /// Its card on the signed-in resident's home page, in `lang`.
    async fn card(&self, resident: &Resident, lang: Lang) -> Option<Card>;

    /// Background work of a running server (daily updates…), with every
    /// service at hand (studies ask the others for their figures); none by
    /// default.
    fn spawn_background(&self, _services: &Registry) {}

    /// Its entries in the operator's console (`/app/operator`), pages under
    /// `/app/operator/{id}…` taking [`selfdata_site::Operator`]; none by default.
    fn operator_menu(&self) -> Vec<MenuEntry> {
        Vec::new()
    }
}

/// The first path segment of every service's pages (`/app/energy`,
/// `/app/privacy`): no pod can take it, so no pod hides a resident's pages.
pub const PAGES_ROOT: &str = "app";

/// The services of this server, in menu order.
#[derive(Clone)]
pub struct Registry {
    services: Vec<Arc<dyn Service>>,
    /// The console's entries for parts of the server that are not services
    /// (the identity provider's app directory), listed first.
    console: Vec<MenuEntry>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.services.iter().map(|s| s.id()))
            .finish()
    }
}

impl Registry {
    pub fn new(services: Vec<Arc<dyn Service>>) -> Self {
        Self {
            services,
            console: Vec::new(),
        }
    }

    /// Adds entries to the operator's console for pages that are not a
    /// service's (they take [`selfdata_site::Operator`] all the same).
    pub fn with_console_entries(mut self, entries: Vec<MenuEntry>) -> Self {
        self.console.extend(entries);
        self
    }

    /// The services, in order.
    pub fn services(&self) -> &[Arc<dyn Service>] {
        &self.services
    }

    /// Every service's menu entries, in order.
    pub fn menu(&self) -> Vec<MenuEntry> {
        self.services.iter().flat_map(|s| s.menu()).collect()
    }

    /// The operator's console: the entries given with
    /// [`Registry::with_console_entries`], then every service's, in order.
    pub fn operator_menu(&self) -> Vec<MenuEntry> {
        let services = self.services.iter().flat_map(|s| s.operator_menu());
        self.console.iter().copied().chain(services).collect()
    }

    /// Every service's routes, the job table's, the home page at `/`, the
    /// operator's console at `/app/operator`, and `/{id}…` of each
    /// service redirected (308, so a form's POST stays a POST) to its pages
    /// under `/app/{id}…`.
    pub fn routes(&self, ctx: &Arc<Context>) -> Router {
        // Built once: it changes only with the code.
        let description: Arc<str> = api::openapi(&ctx.solid.config().base_url, &self.api())
            .to_string()
            .into();
        let mut home = Router::new()
            .route("/", get(home))
            .route(operator::CONSOLE, get(operator::console))
            .with_state(Arc::new(self.clone()))
            .route(
                api::OPENAPI_PATH,
                get(move || async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, "application/json")],
                        description.to_string(),
                    )
                }),
            );
        for s in &self.services {
            home = home
                .route(&format!("/{}", s.id()), any(to_pages))
                .route(&format!("/{}/{{*rest}}", s.id()), any(to_pages));
        }
        self.services
            .iter()
            .fold(home.merge(jobs::routes(ctx.clone())), |router, s| {
                router.merge(s.routes())
            })
            // Handlers that act on every service (erasure, restore) reach them here.
            .layer(Extension(self.clone()))
    }

    /// The first path segments [`Registry::routes`] takes: [`PAGES_ROOT`]
    /// and every service's id. No new pod may be named so.
    pub fn route_roots(&self) -> Vec<&'static str> {
        std::iter::once(PAGES_ROOT)
            .chain(self.services.iter().map(|s| s.id()))
            .collect()
    }

    /// Every service's JSON API operations.
    pub fn api(&self) -> Vec<api::Operation> {
        self.services.iter().flat_map(|s| s.api()).collect()
    }

    /// Every service's intakes, in order.
    pub fn intakes(&self) -> Vec<Arc<dyn AnyIntake>> {
        self.services.iter().flat_map(|s| s.intakes()).collect()
    }

    /// Every service rebuilds what it derives from the pod's files; returns
    /// each service's count of records.
    pub async fn reindex(&self, pod: &PodName) -> Result<Vec<(&'static str, usize)>, ServiceError> {
        let mut out = Vec::new();
        for s in &self.services {
            out.push((s.id(), s.reindex(pod).await?));
        }
        Ok(out)
    }

    /// Every service forgets what it cached about an erased pod.
    pub fn forget_pod(&self, pod: &PodName) {
        for s in &self.services {
            s.forget_pod(pod);
        }
    }

    /// What every service knows the pod's home cost per month in `[from, to)`.
    pub async fn monthly_costs(
        &self,
        pod: &PodName,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Vec<MonthlyCost> {
        let mut out = Vec::new();
        for s in &self.services {
            out.extend(s.monthly_costs(pod, from, to).await);
        }
        out
    }

    /// What every service measured of the pod's home per month in `[from, to)`.
    pub async fn monthly_figures(
        &self,
        pod: &PodName,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
    ) -> Vec<MonthlyFigure> {
        let mut out = Vec::new();
        for s in &self.services {
            out.extend(s.monthly_figures(pod, from, to).await);
        }
        out
    }

    /// Every service's comparisons with similar households for `pod`.
    pub async fn comparisons(&self, pod: &PodName, lang: Lang) -> Vec<Comparison> {
        let mut out = Vec::new();
        for s in &self.services {
            out.extend(s.comparisons(pod, lang).await);
        }
        out
    }

    /// What every service knows of the organisations holding data on the
    /// resident of `pod`, in registry order.
    pub async fn organisations(&self, pod: &PodName, lang: Lang) -> Vec<KnownOrganisation> {
        let mut out = Vec::new();
        for s in &self.services {
            out.extend(s.organisations(pod, lang).await);
        }
        out
    }

    /// Starts every service's background work.
    pub fn spawn_background(&self) {
        for s in &self.services {
            s.spawn_background(self);
        }
    }
}

/// `/{id}…` → `/app/{id}…`, the query kept: the services' pages moved
/// there, and old links, bookmarks and a holder's registered callback still
/// arrive.
async fn to_pages(uri: Uri) -> Result<Response, PageError> {
    let rest = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
    let location = HeaderValue::from_str(&format!("/{PAGES_ROOT}{rest}")).map_err(|_| {
        PageError::say(
            StatusCode::BAD_REQUEST,
            Say::new(
                "Cette adresse ne peut pas être suivie.",
                "This address cannot be followed.",
            ),
        )
    })?;
    Ok((
        StatusCode::PERMANENT_REDIRECT,
        [(header::LOCATION, location)],
    )
        .into_response())
}

/// The words of the home page.
#[derive(Debug)]
struct HomeWords {
    title: &'static str,
    your_space: &'static str,
    what: &'static str,
    safe_title: &'static str,
    safe_yours: &'static str,
    safe_encrypted: &'static str,
    safe_log: &'static str,
    sign_in: &'static str,
    sign_up: &'static str,
}

static FR: HomeWords = HomeWords {
    title: "Vos données, chez vous",
    your_space: "Votre espace",
    what: "selfdata garde vos données personnelles dans un espace à vous\u{a0}: vos relevés d'électricité, de gaz et d'eau, et bientôt d'autres. Vous les voyez clairement, vous les téléchargez quand vous voulez, et vous choisissez qui peut les lire.",
    safe_title: "Pourquoi c'est sûr",
    safe_yours: "Personne d'autre que vous ne lit votre espace, sauf les applications et les personnes que vous autorisez, et vous pouvez leur retirer l'accès à tout moment.",
    safe_encrypted: "Tout ce qui est enregistré est chiffré, et supprimer votre espace détruit d'abord sa clé.",
    safe_log: "Chaque accès d'un autre que vous est inscrit dans un journal que vous pouvez vérifier.",
    sign_in: "Se connecter",
    sign_up: "Créer un compte",
};

static EN: HomeWords = HomeWords {
    title: "Your data, at home",
    your_space: "Your space",
    what: "selfdata keeps your personal data in a space of your own: your electricity, gas and water readings, and soon more. You see them clearly, download them whenever you like, and choose who may read them.",
    safe_title: "Why it is safe",
    safe_yours: "Nobody but you reads your space, except the apps and people you allow, and you can take their access back at any time.",
    safe_encrypted: "Everything stored is encrypted, and deleting your space destroys its key first.",
    safe_log: "Every access by anyone but you is written in a log you can check.",
    sign_in: "Sign in",
    sign_up: "Create an account",
};

selfdata_site::words!(HomeWords, FR, EN);

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    w: &'static HomeWords,
    /// The resident's cards; none when nobody is signed in.
    cards: Option<Vec<Card>>,
}

/// `GET /`: the home page.
async fn home(
    State(registry): State<Arc<Registry>>,
    chrome: Chrome,
    resident: Result<Resident, Response>,
) -> Response {
    let lang = chrome.language();
    let w: &'static HomeWords = lang.words();
    let (chrome, cards) = match resident {
        Ok(me) => {
            let mut cards = Vec::new();
            for s in registry.services() {
                if let Some(card) = s.card(&me, lang).await {
                    cards.push(card);
                }
            }
            (chrome, Some(cards))
        }
        Err(_) => (chrome.without_menu(), None),
    };
    page(StatusCode::OK, HomePage { chrome, w, cards }.render())
}

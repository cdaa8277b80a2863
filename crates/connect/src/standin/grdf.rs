//! A local stand-in for GRDF's ADICT API, for the connector's tests and the
//! app's end-to-end tests: an axum server on 127.0.0.1 with the token
//! endpoint (client credentials, scope `/adict/v2`, expiring tokens) and
//! the informative consumption of the PCEs it holds a right of access for,
//! one NDJSON line per gas day with deterministic values. It enforces what
//! the holder enforces (bearer token, the right of access, at most a year a
//! call, three years back, no gas day not yet over, requests per second)
//! and can be told to fail on purpose ([`Fault`]: 429 with `Retry-After`,
//! 5xx, an expired token). What it saw is observable.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::ToSpan;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;
use tokio::task::JoinHandle;

use super::{Fault, FaultAnswer, bearer, day_seed, max_in_any_second, mix};
use crate::config::{AdictConfig, Endpoint, Politeness, Window};

/// Path of the token endpoint.
pub const TOKEN_PATH: &str = "/oauth2/access_token";

/// How the stand-in behaves.
#[derive(Clone, Debug)]
pub struct GrdfOptions {
    pub client_id: String,
    pub client_secret: String,
    /// The PCEs the partner holds a right of access for (403 for others).
    pub pces: Vec<String>,
    /// The holder's today: only gas days before it are answered.
    pub today: Date,
    /// Real lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Data requests allowed in any one-second window (429 beyond).
    pub max_requests_per_second: Option<u32>,
    /// Gas days without data (answered as a line with `statut_restitution`).
    pub no_data: Vec<Window>,
    /// Failures to inject from the start, counted over data requests.
    pub faults: Vec<Fault>,
}

impl Default for GrdfOptions {
    fn default() -> Self {
        Self {
            client_id: "selfdata-standin-grdf".to_owned(),
            client_secret: "selfdata-standin-grdf-secret".to_owned(),
            pces: vec!["GI123456".to_owned()],
            today: crate::paris_today(),
            access_token_ttl: Duration::from_secs(3600),
            max_requests_per_second: Some(5),
            no_data: Vec::new(),
            faults: Vec::new(),
        }
    }
}

/// One data request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct SeenGasRequest {
    /// 1-based number among data requests.
    pub n: u64,
    pub pce: String,
    /// Gas days asked, `date_fin` made exclusive; `None` when not dates.
    pub window: Option<Window>,
    pub status: u16,
    pub at: Instant,
}

/// A running GRDF stand-in. Dropping it stops the server.
pub struct GrdfStandIn {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for GrdfStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrdfStandIn")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Starts a GRDF stand-in on 127.0.0.1 on a free port.
pub async fn spawn(options: GrdfOptions) -> std::io::Result<GrdfStandIn> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let shared = Arc::new(Shared {
        inner: Mutex::new(Inner {
            faults: options.faults.clone(),
            ..Inner::default()
        }),
        paris: TimeZone::get("Europe/Paris").map_err(std::io::Error::other)?,
        options,
    });
    let app = Router::new()
        .route(TOKEN_PATH, post(token))
        .route(
            "/adict/v2/pce/{pce}/donnees_consos_informatives",
            get(consumption),
        )
        .with_state(shared.clone());
    let task = super::serve(listener, app, "GRDF");
    Ok(GrdfStandIn {
        base_url: format!("http://{address}"),
        shared,
        task,
    })
}

impl GrdfStandIn {
    /// A connector configuration pointing at this stand-in with its client
    /// credentials; politeness settings as for GRDF (change them for fast
    /// tests).
    pub fn config(&self) -> AdictConfig {
        AdictConfig {
            token_url: format!("{}{TOKEN_PATH}", self.base_url),
            api_base: self.base_url.clone(),
            politeness: Politeness {
                refetch_recent_days: 3,
                ..Politeness::default()
            },
            ..AdictConfig::grdf(
                &self.shared.options.client_id,
                &self.shared.options.client_secret,
            )
        }
    }

    pub fn options(&self) -> &GrdfOptions {
        &self.shared.options
    }

    /// Adds a failure to inject.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Removes every injected failure.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Data requests seen so far, in order.
    pub fn seen(&self) -> Vec<SeenGasRequest> {
        self.shared.lock().seen.clone()
    }

    /// The most data requests that arrived within any one second.
    pub fn max_requests_in_any_second(&self) -> usize {
        max_in_any_second(&self.shared.lock().arrivals)
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.shared.lock().issued
    }
}

impl Drop for GrdfStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What the stand-in answers for the gas day `day`: (m³, kWh), whole
/// numbers as GRDF gives them; more in winter.
pub fn gas_day(day: Date) -> (u64, u64) {
    let winter = matches!(day.month(), 11 | 12 | 1 | 2 | 3);
    let m3 = mix(day_seed(day) ^ 0x6a5) % if winter { 9 } else { 3 } + u64::from(winter);
    (m3, (m3 * 112 + 5) / 10)
}

struct Shared {
    options: GrdfOptions,
    paris: TimeZone,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    issued: usize,
    access: HashMap<String, Instant>,
    revoked: HashSet<String>,
    faults: Vec<Fault>,
    received: u64,
    arrivals: Vec<Instant>,
    seen: Vec<SeenGasRequest>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// GRDF's error shape.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ "code": code, "message": message })),
    )
        .into_response()
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if get("client_id") != shared.options.client_id
        || get("client_secret") != shared.options.client_secret
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "invalid_client", "error_description": "Client authentication failed" })),
        )
            .into_response();
    }
    if get("grant_type") != "client_credentials" || get("scope") != AdictConfig::SCOPE {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "invalid_request", "error_description": "client_credentials with scope /adict/v2 only" })),
        )
            .into_response();
    }
    let mut inner = shared.lock();
    inner.issued += 1;
    let access_token = format!("grdf-access-{}", inner.issued);
    let ttl = shared.options.access_token_ttl;
    inner
        .access
        .insert(access_token.clone(), Instant::now() + ttl);
    axum::Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl.as_millis().div_ceil(1000).max(1) as u64,
        "scope": AdictConfig::SCOPE,
    }))
    .into_response()
}

async fn consumption(
    State(shared): State<Arc<Shared>>,
    Path(pce): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let at = Instant::now();
    let n = {
        let mut inner = shared.lock();
        inner.received += 1;
        inner.arrivals.push(at);
        inner.received
    };
    let params: HashMap<String, String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(query.as_deref().unwrap_or(""))
            .unwrap_or_default()
            .into_iter()
            .collect();
    let window = match (
        params
            .get("date_debut")
            .and_then(|s| s.parse::<Date>().ok()),
        params.get("date_fin").and_then(|s| s.parse::<Date>().ok()),
    ) {
        (Some(start), Some(last)) => Some(Window {
            start,
            end: last.saturating_add(1.day()),
        }),
        _ => None,
    };
    let response = answer(&shared, &pce, &headers, window, n, at);
    shared.lock().seen.push(SeenGasRequest {
        n,
        pce,
        window,
        status: response.status().as_u16(),
        at,
    });
    response
}

fn answer(
    shared: &Shared,
    pce: &str,
    headers: &HeaderMap,
    window: Option<Window>,
    n: u64,
    at: Instant,
) -> Response {
    let options = &shared.options;
    {
        let mut inner = shared.lock();
        if let Some(fault) = inner.faults.iter().find(|f| f.applies(n)).cloned() {
            return match fault.answer {
                FaultAnswer::Status(code) => error(
                    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                    "500",
                    "Erreur technique",
                ),
                FaultAnswer::TooManyRequests { retry_after_secs } => {
                    let mut response =
                        error(StatusCode::TOO_MANY_REQUESTS, "429", "Trop de requêtes");
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                    response
                }
                FaultAnswer::Unauthorized => {
                    error(StatusCode::UNAUTHORIZED, "401", "Jeton invalide")
                }
                FaultAnswer::ExpiredToken => {
                    if let Some(token) = bearer(headers) {
                        let token = token.to_owned();
                        inner.access.remove(&token);
                        inner.revoked.insert(token);
                    }
                    error(StatusCode::UNAUTHORIZED, "401", "Jeton expiré")
                }
            };
        }
        if let Some(limit) = options.max_requests_per_second {
            let recent = inner
                .arrivals
                .iter()
                .rev()
                .take_while(|&&t| at.duration_since(t) < Duration::from_secs(1))
                .count();
            if recent > limit as usize {
                let mut response = error(StatusCode::TOO_MANY_REQUESTS, "429", "Trop de requêtes");
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
        }
        let valid = bearer(headers)
            .and_then(|token| inner.access.get(token))
            .is_some_and(|&expires| at < expires);
        if !valid {
            return error(StatusCode::UNAUTHORIZED, "401", "Jeton invalide ou expiré");
        }
    }
    if !options.pces.iter().any(|p| p == pce) {
        return error(
            StatusCode::FORBIDDEN,
            "403",
            "Aucun droit d'accès en cours pour ce PCE",
        );
    }
    let Some(window) = window else {
        return error(
            StatusCode::BAD_REQUEST,
            "400",
            "date_debut et date_fin doivent être des dates AAAA-MM-JJ",
        );
    };
    let endpoint = Endpoint::GasInformativeConsumption;
    let today = options.today;
    if window.end <= window.start {
        return error(
            StatusCode::BAD_REQUEST,
            "400",
            "date_fin doit être postérieure ou égale à date_debut",
        );
    }
    if window.end > today {
        return error(
            StatusCode::BAD_REQUEST,
            "400",
            "date_fin doit être antérieure à la date du jour",
        );
    }
    if window.days() > endpoint.max_window_days() {
        return error(
            StatusCode::BAD_REQUEST,
            "400",
            "La période demandée ne peut excéder un an",
        );
    }
    if window.start < endpoint.history_start(today) {
        return error(
            StatusCode::BAD_REQUEST,
            "400",
            "date_debut ne peut être antérieure de plus de trois ans",
        );
    }
    let mut body = String::new();
    let mut index = 10_000u64;
    for day in window
        .start
        .series(1.day())
        .take_while(|&day| day < window.end)
    {
        let line = if options.no_data.iter().any(|gap| gap.contains(day)) {
            json!({
                "pce": { "id_pce": pce },
                "statut_restitution": { "code": "1000", "message": "Absence de données" },
            })
        } else {
            let (m3, kwh) = gas_day(day);
            index += m3;
            let six = |d: Date| {
                d.at(6, 0, 0, 0)
                    .to_zoned_datetime(shared.paris.clone())
                    .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
                    .unwrap_or_default()
            };
            json!({
                "pce": { "id_pce": pce },
                "consommation": {
                    "date_debut_consommation": six(day),
                    "date_fin_consommation": six(day.saturating_add(1.day())),
                    "flag_retour_zero": false,
                    "volume_brut": m3,
                    "volume_converti": m3,
                    "energie": kwh,
                    "coeff_calcul": { "coeff_conversion": 11.2 },
                    "type_qualif_conso": "Mesuré",
                    "statut_conso": "Définitive",
                    "journee_gaziere": day.to_string(),
                },
                "releve_fin": { "index_brut_fin": { "valeur_index": index } },
            })
        };
        body.push_str(&line.to_string());
        body.push('\n');
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/x-ndjson")],
        body,
    )
        .into_response()
}

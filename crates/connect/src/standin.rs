//! A local stand-in for the Data Connect holder, for the connector's tests
//! and the app's end-to-end tests: an axum server on 127.0.0.1 with the
//! consent page (redirects at once, as if the resident agreed), the token
//! endpoint (authorization_code, refresh_token and client_credentials
//! grants, expiring access tokens, rotating refresh tokens) and the three
//! v5 metering endpoints answering the documented shapes with deterministic
//! synthetic values. It enforces what the holder enforces (bearer token,
//! window and history limits, `end` not after today, requests per second)
//! and can be told to fail on purpose ([`Fault`]). Everything it saw is
//! observable ([`StandIn::seen`], [`StandIn::max_requests_in_any_second`]).
//! [`grdf`] is the same for GRDF's ADICT API, sharing [`Fault`].

pub mod grdf;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, ToSpan};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::config::{DataConnectConfig, Endpoint, Politeness, Window};

/// Path of the consent page (as on Enedis).
pub const AUTHORIZE_PATH: &str = "/dataconnect/v1/oauth2/authorize";
/// Path of the token endpoint (as on Enedis).
pub const TOKEN_PATH: &str = "/oauth2/v3/token";

/// How the stand-in behaves.
#[derive(Clone, Debug)]
pub struct StandInOptions {
    pub client_id: String,
    pub client_secret: String,
    /// The meter the consent page hands out.
    pub usage_point_id: String,
    /// The holder's today: `end` may not be after it, history counts back
    /// from it.
    pub today: Date,
    /// Real lifetime of access tokens (`expires_in` is it in whole seconds,
    /// rounded up).
    pub access_token_ttl: Duration,
    /// Metering requests allowed in any one-second window (429 beyond);
    /// `None` for no limit.
    pub max_requests_per_second: Option<u32>,
    /// Windows starting before this date are refused with 400
    /// `ADAM-ERR0123`, as Enedis does before a meter's activation.
    pub meter_activation: Option<Date>,
    /// Days without data, on every endpoint; a window with no data at all
    /// answers 404 `no_data_found`.
    pub no_data: Vec<Window>,
    /// Failures to inject from the start.
    pub faults: Vec<Fault>,
}

impl Default for StandInOptions {
    fn default() -> Self {
        Self {
            client_id: "selfdata-standin-client".to_owned(),
            client_secret: "selfdata-standin-secret".to_owned(),
            usage_point_id: "16401220101758".to_owned(),
            today: crate::paris_today(),
            access_token_ttl: Duration::from_secs(3 * 3600),
            max_requests_per_second: Some(5),
            meter_activation: None,
            no_data: Vec::new(),
            faults: Vec::new(),
        }
    }
}

/// A failure answered instead of the real answer, to metering requests
/// numbered `first` to `first + count - 1` (1-based, counting every
/// metering request the stand-in received), or from `first` on when
/// `count` is `None`.
#[derive(Clone, Debug)]
pub struct Fault {
    pub first: u64,
    pub count: Option<u64>,
    pub answer: FaultAnswer,
}

/// What a [`Fault`] answers.
#[derive(Clone, Debug)]
pub enum FaultAnswer {
    /// This status with an Enedis-like error body (e.g. 500, 503).
    Status(u16),
    /// 429 with `Retry-After` in seconds.
    TooManyRequests { retry_after_secs: u64 },
    /// 401 `invalid_token`, as for an access token the holder dropped.
    Unauthorized,
    /// The access token presented expires now: 401, and that token is
    /// refused from then on (only a new one works).
    ExpiredToken,
}

impl Fault {
    /// Only the `nth` metering request.
    pub fn once(nth: u64, answer: FaultAnswer) -> Self {
        Self {
            first: nth,
            count: Some(1),
            answer,
        }
    }

    /// Every metering request from the `nth` on.
    pub fn starting_at(nth: u64, answer: FaultAnswer) -> Self {
        Self {
            first: nth,
            count: None,
            answer,
        }
    }

    pub(crate) fn applies(&self, n: u64) -> bool {
        n >= self.first && self.count.is_none_or(|count| n < self.first + count)
    }
}

/// One metering request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct SeenRequest {
    /// 1-based number among metering requests.
    pub n: u64,
    pub endpoint: Endpoint,
    /// `None` when `start`/`end` were missing or not dates.
    pub window: Option<Window>,
    pub status: u16,
    pub at: Instant,
}

/// A running stand-in. Dropping it stops the server.
pub struct StandIn {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("base_url", &self.base_url)
            .finish()
    }
}

/// Serves `app` on `listener` until the task is aborted (the stand-in dropped).
fn serve(listener: tokio::net::TcpListener, app: Router, holder: &'static str) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, holder, "stand-in server stopped");
        }
    })
}

/// Starts a stand-in on 127.0.0.1 on a free port.
pub async fn spawn(options: StandInOptions) -> std::io::Result<StandIn> {
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
    let task = serve(listener, router(shared.clone()), "Enedis");
    Ok(StandIn {
        base_url: format!("http://{address}"),
        shared,
        task,
    })
}

impl StandIn {
    /// A connector configuration pointing at this stand-in with its client
    /// credentials; politeness settings as for Enedis (change them for fast
    /// tests).
    pub fn config(&self, redirect_uri: &str) -> DataConnectConfig {
        DataConnectConfig {
            authorize_url: format!("{}{AUTHORIZE_PATH}", self.base_url),
            token_url: format!("{}{TOKEN_PATH}", self.base_url),
            api_base: self.base_url.clone(),
            politeness: Politeness::default(),
            ..DataConnectConfig::enedis(
                &self.shared.options.client_id,
                &self.shared.options.client_secret,
                redirect_uri,
            )
        }
    }

    /// The options it runs with.
    pub fn options(&self) -> &StandInOptions {
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

    /// Forgets every access and refresh token, as when the resident
    /// withdraws the consent.
    pub fn revoke_tokens(&self) {
        let mut inner = self.shared.lock();
        inner.access.clear();
        inner.refresh.clear();
    }

    /// Metering requests seen so far, in order.
    pub fn seen(&self) -> Vec<SeenRequest> {
        self.shared.lock().seen.clone()
    }

    /// Number of metering requests seen so far.
    pub fn metering_requests(&self) -> u64 {
        self.shared.lock().received
    }

    /// The most metering requests that arrived within any one second.
    pub fn max_requests_in_any_second(&self) -> usize {
        max_in_any_second(&self.shared.lock().arrivals)
    }

    /// The `grant_type` of every token request, in order.
    pub fn token_grants(&self) -> Vec<String> {
        self.shared.lock().grants.clone()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Daily consumption the stand-in answers for `day`, in Wh.
pub fn daily_consumption_wh(day: Date) -> u64 {
    4_000 + mix(day_seed(day)) % 12_000
}

/// Daily maximum power for `day`, in VA; `None` where the stand-in answers
/// the string `"null"` (about one day in thirteen).
pub fn max_power_va(day: Date) -> Option<u64> {
    let m = mix(day_seed(day) ^ 0x5eed);
    (!m.is_multiple_of(13)).then_some(1_500 + m % 6_000)
}

/// Load-curve value for the 30 minutes ending at `interval_end` (Paris
/// local time, as in the answer), in W.
pub fn load_curve_w(interval_end: DateTime) -> u64 {
    let seed = day_seed(interval_end.date()) * 10_000
        + interval_end.hour() as u64 * 100
        + interval_end.minute() as u64;
    150 + mix(seed) % 3_000
}

pub(crate) fn day_seed(day: Date) -> u64 {
    (day.year() as u64) * 10_000 + (day.month() as u64) * 100 + day.day() as u64
}

pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

struct Shared {
    options: StandInOptions,
    paris: TimeZone,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    codes: HashSet<String>,
    access: HashMap<String, Instant>,
    refresh: HashSet<String>,
    faults: Vec<Fault>,
    received: u64,
    arrivals: Vec<Instant>,
    seen: Vec<SeenRequest>,
    grants: Vec<String>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn router(shared: Arc<Shared>) -> Router {
    let mut app = Router::new()
        .route(AUTHORIZE_PATH, get(authorize))
        .route(TOKEN_PATH, post(token));
    for endpoint in Endpoint::ENEDIS {
        app = app.route(
            endpoint.path(),
            get(
                move |State(shared): State<Arc<Shared>>,
                      headers: HeaderMap,
                      RawQuery(query): RawQuery| async move {
                    metering(&shared, endpoint, &headers, query.as_deref().unwrap_or(""))
                },
            ),
        );
    }
    app.with_state(shared)
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "error_description": description })),
    )
        .into_response()
}

fn query_pairs(query: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

async fn authorize(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = query_pairs(query.as_deref().unwrap_or(""));
    let get = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    if get("client_id") != shared.options.client_id {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "Unknown client_id",
        );
    }
    if get("response_type") != "code" {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
            "response_type must be code",
        );
    }
    let redirect_uri = get("redirect_uri");
    if redirect_uri.is_empty() || get("duration").is_empty() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "redirect_uri and duration are required",
        );
    }
    let code = {
        let mut inner = shared.lock();
        inner.next_id += 1;
        let code = format!("standin-code-{}", inner.next_id);
        inner.codes.insert(code.clone());
        code
    };
    let back = serde_urlencoded::to_string([
        ("code", code.as_str()),
        ("state", get("state")),
        ("usage_point_id", shared.options.usage_point_id.as_str()),
    ])
    .unwrap_or_default();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = format!("{redirect_uri}{separator}{back}");
    match HeaderValue::from_str(&location) {
        Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
        Err(_) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "bad redirect_uri",
        ),
    }
}

async fn token(
    State(shared): State<Arc<Shared>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let mut inner = shared.lock();
    inner.grants.push(get("grant_type").to_owned());
    if get("client_id") != shared.options.client_id
        || get("client_secret") != shared.options.client_secret
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let with_refresh = match get("grant_type") {
        "authorization_code" => {
            if !inner.codes.remove(get("code")) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code is invalid or already used",
                );
            }
            true
        }
        "refresh_token" => {
            if !inner.refresh.remove(get("refresh_token")) {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The refresh token is invalid or revoked",
                );
            }
            true
        }
        "client_credentials" => false,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type is not supported",
            );
        }
    };
    inner.next_id += 1;
    let id = inner.next_id;
    let ttl = shared.options.access_token_ttl;
    let access_token = format!("standin-access-{id}");
    inner
        .access
        .insert(access_token.clone(), Instant::now() + ttl);
    let mut answer = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl.as_millis().div_ceil(1000).max(1) as u64,
        "scope": "daily_consumption consumption_load_curve daily_consumption_max_power",
    });
    if with_refresh {
        let refresh_token = format!("standin-refresh-{id}");
        inner.refresh.insert(refresh_token.clone());
        answer["refresh_token"] = Value::String(refresh_token);
    }
    axum::Json(answer).into_response()
}

fn metering(shared: &Shared, endpoint: Endpoint, headers: &HeaderMap, query: &str) -> Response {
    let at = Instant::now();
    let n = {
        let mut inner = shared.lock();
        inner.received += 1;
        inner.arrivals.push(at);
        inner.received
    };
    let params = query_pairs(query);
    let window = match (
        params.get("start").and_then(|s| s.parse::<Date>().ok()),
        params.get("end").and_then(|s| s.parse::<Date>().ok()),
    ) {
        (Some(start), Some(end)) => Some(Window { start, end }),
        _ => None,
    };
    let response = answer(shared, endpoint, headers, &params, window, n, at);
    shared.lock().seen.push(SeenRequest {
        n,
        endpoint,
        window,
        status: response.status().as_u16(),
        at,
    });
    response
}

fn answer(
    shared: &Shared,
    endpoint: Endpoint,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    window: Option<Window>,
    n: u64,
    at: Instant,
) -> Response {
    let options = &shared.options;
    {
        let mut inner = shared.lock();
        if let Some(fault) = inner.faults.iter().find(|f| f.applies(n)).cloned() {
            return match fault.answer {
                FaultAnswer::Status(code) => {
                    let status =
                        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    error(status, "technical_error", "Injected failure")
                }
                FaultAnswer::TooManyRequests { retry_after_secs } => {
                    let mut response = error(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_requests",
                        "Quota exceeded",
                    );
                    response
                        .headers_mut()
                        .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                    response
                }
                FaultAnswer::Unauthorized => error(
                    StatusCode::UNAUTHORIZED,
                    "invalid_token",
                    "Invalid access token",
                ),
                FaultAnswer::ExpiredToken => {
                    if let Some(token) = bearer(headers) {
                        inner.access.remove(token);
                    }
                    error(
                        StatusCode::UNAUTHORIZED,
                        "invalid_token",
                        "The access token expired",
                    )
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
                let mut response = error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    "More requests per second than allowed",
                );
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
            return error(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Invalid access token",
            );
        }
    }
    if params.get("usage_point_id") != Some(&options.usage_point_id) {
        return error(
            StatusCode::FORBIDDEN,
            "ADAM-DC-0008",
            "No consent can be found for this customer and this usage point",
        );
    }
    let Some(window) = window else {
        return error(
            StatusCode::BAD_REQUEST,
            "ADAM-ERR0003",
            "start and end must be dates written YYYY-MM-DD",
        );
    };
    let today = options.today;
    if window.end <= window.start {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The end date must be after the start date",
        );
    }
    if window.end > today {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The end date cannot be after today",
        );
    }
    if window.days() > endpoint.max_window_days() {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "The requested period cannot exceed {} days",
                endpoint.max_window_days()
            ),
        );
    }
    if window.start < endpoint.history_start(today) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!(
                "The start date cannot be more than {} months ago",
                endpoint.history_months()
            ),
        );
    }
    if options
        .meter_activation
        .is_some_and(|activation| window.start < activation)
    {
        return error(
            StatusCode::BAD_REQUEST,
            crate::BEFORE_ACTIVATION_CODE,
            "The requested period cannot be anterior to the meter's last activation date",
        );
    }
    let has_data = |day: Date| !options.no_data.iter().any(|gap| gap.contains(day));
    let days: Vec<Date> = window
        .start
        .series(1.day())
        .take_while(|&day| day < window.end)
        .collect();
    let readings: Vec<Value> = match endpoint {
        Endpoint::DailyConsumption => days
            .iter()
            .filter(|&&day| has_data(day))
            .map(|&day| json!({ "value": daily_consumption_wh(day).to_string(), "date": day.to_string() }))
            .collect(),
        Endpoint::DailyConsumptionMaxPower => days
            .iter()
            .filter(|&&day| has_data(day))
            .map(|&day| match max_power_va(day) {
                Some(va) => json!({
                    "value": va.to_string(),
                    "date": format!("{day} {:02}:{:02}:{:02}", 7 + va % 15, va % 60, (va / 7) % 60),
                }),
                None => json!({ "value": "null", "date": format!("{day} 00:00:00") }),
            })
            .collect(),
        Endpoint::ConsumptionLoadCurve => load_curve(&shared.paris, window, has_data),
        Endpoint::GasInformativeConsumption => Vec::new(),
    };
    if readings.is_empty() {
        return error(
            StatusCode::NOT_FOUND,
            "no_data_found",
            "No data found for the requested period",
        );
    }
    let reading_type = match endpoint {
        Endpoint::DailyConsumption => json!({
            "measurement_kind": "energy", "measuring_period": "P1D", "unit": "Wh", "aggregate": "sum",
        }),
        Endpoint::DailyConsumptionMaxPower => json!({
            "measurement_kind": "power", "measuring_period": "P1D", "unit": "VA", "aggregate": "maximum",
        }),
        Endpoint::ConsumptionLoadCurve | Endpoint::GasInformativeConsumption => json!({
            "measurement_kind": "power", "unit": "W", "aggregate": "average",
        }),
    };
    axum::Json(json!({
        "meter_reading": {
            "usage_point_id": options.usage_point_id,
            "start": window.start.to_string(),
            "end": window.end.to_string(),
            "quality": "BRUT",
            "reading_type": reading_type,
            "interval_reading": readings,
        }
    }))
    .into_response()
}

/// The bearer token of a request.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The most requests that arrived within any one second.
pub(crate) fn max_in_any_second(arrivals: &[Instant]) -> usize {
    let mut max = 0;
    let mut first = 0;
    for (last, &at) in arrivals.iter().enumerate() {
        while at.duration_since(arrivals[first]) >= Duration::from_secs(1) {
            first += 1;
        }
        max = max.max(last - first + 1);
    }
    max
}

/// Half-hour readings from `start` 00:00 to `end` 00:00 Paris time, each
/// dated by its interval's end in local time without offset (so 46
/// intervals on the spring DST day, 50 on the autumn one, with a repeated
/// hour).
fn load_curve(paris: &TimeZone, window: Window, has_data: impl Fn(Date) -> bool) -> Vec<Value> {
    let midnight = |day: Date| {
        DateTime::from(day)
            .to_zoned_datetime(paris.clone())
            .map(|z| z.timestamp())
    };
    let (Ok(mut t), Ok(stop)) = (midnight(window.start), midnight(window.end)) else {
        return Vec::new();
    };
    let step = SignedDuration::from_mins(30);
    let mut readings = Vec::new();
    while t < stop {
        let Ok(next) = t.checked_add(step) else { break };
        if has_data(paris.to_datetime(t).date()) {
            let end = paris.to_datetime(next);
            readings.push(json!({
                "value": load_curve_w(end).to_string(),
                "date": end.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                "interval_length": "PT30M",
                "measure_type": "B",
            }));
        }
        t = next;
    }
    readings
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn load_curve_follows_paris_daylight_saving() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        let day = |d: Date| Window {
            start: d,
            end: d.tomorrow().unwrap(),
        };
        let spring = load_curve(&paris, day(date(2024, 3, 31)), |_| true);
        let autumn = load_curve(&paris, day(date(2024, 10, 27)), |_| true);
        let plain = load_curve(&paris, day(date(2024, 6, 1)), |_| true);
        assert_eq!((spring.len(), autumn.len(), plain.len()), (46, 50, 48));
        assert_eq!(plain[0]["date"], "2024-06-01 00:30:00");
        assert_eq!(plain[47]["date"], "2024-06-02 00:00:00");
        let autumn_dates: Vec<&str> = autumn.iter().map(|r| r["date"].as_str().unwrap()).collect();
        assert_eq!(
            autumn_dates
                .iter()
                .filter(|d| **d == "2024-10-27 02:30:00")
                .count(),
            2
        );
    }

    #[test]
    fn faults_apply_to_their_requests() {
        let once = Fault::once(3, FaultAnswer::Status(500));
        assert!(!once.applies(2) && once.applies(3) && !once.applies(4));
        let on = Fault::starting_at(3, FaultAnswer::Unauthorized);
        assert!(!on.applies(2) && on.applies(3) && on.applies(300));
    }
}

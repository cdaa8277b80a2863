//! The mobility JSON API of a pod (routes listed in the crate's
//! documentation). Each handler authenticates the caller and requires WAC
//! Read on `/{pod}/selfdata/mobility/` before reading anything; errors are
//! problem+json.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_mobility::co2::{self, Factors, Settings};
use selfdata_mobility::model::{Mode, Trip};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_wac::ModeSet;
use serde::Deserialize;

use crate::MobilityApp;
use crate::mobility::MobilityError;

/// The resource whose Read permission opens the API.
pub const MOBILITY_CONTAINER: &str = "/selfdata/mobility/";

/// The longest period one request may span.
const MAX_DAYS: i32 = 366 * 20;

impl From<MobilityError> for ApiError {
    fn from(e: MobilityError) -> Self {
        match e {
            MobilityError::Store(s) => s.into(),
            MobilityError::Damaged(d) => {
                tracing::error!(error = %d, "mobility data damaged");
                ApiError::internal()
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
}

fn parse_date(name: &str, s: &str) -> Result<Date, ApiError> {
    s.parse::<Date>().map_err(|_| {
        ApiError::bad_request(format!(
            "{name} must be a date like 2025-01-31 (a day in Europe/Paris); found {s:?}."
        ))
    })
}

/// `[from, to)`; the last 30 days up to today by default.
pub fn period(q: &Period, today: Date) -> Result<(Date, Date), ApiError> {
    let to = match &q.to {
        Some(t) => parse_date("to", t)?,
        None => today.tomorrow().unwrap_or(today),
    };
    let from = match &q.from {
        Some(f) => parse_date("from", f)?,
        None => to.checked_sub(30.days()).unwrap_or(to),
    };
    if to <= from {
        return Err(ApiError::bad_request("to must come after from."));
    }
    if (to - from).get_days() > MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "One request covers at most {MAX_DAYS} days; ask for a shorter period."
        )));
    }
    Ok((from, to))
}

/// The trips starting on Paris days `[from, to)`.
pub fn between(trips: &[Trip], from: Date, to: Date) -> &[Trip] {
    let at = |d: Date| {
        selfdata_sources::time::paris()
            .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
            .map(|t| t.as_second())
            .unwrap_or(0)
    };
    let (a, b) = (at(from), at(to));
    let i = trips.partition_point(|t| t.start < a);
    let j = trips.partition_point(|t| t.start < b);
    &trips[i..j.max(i)]
}

/// A trip's CO2 in grams with the resident's settings, when its mode is known.
pub fn co2_g(factors: &Factors, settings: &Settings, t: &Trip) -> Option<u64> {
    factors
        .for_trip(t, settings)
        .map(|f| co2::co2_g(t, f, settings.occupancy))
}

#[derive(serde::Serialize)]
struct TripOut {
    start: String,
    end: String,
    mode: Option<&'static str>,
    distance_m: u32,
    co2_g: Option<u64>,
}

#[derive(serde::Serialize)]
struct TripsOut {
    trips: Vec<TripOut>,
}

fn instant(t: i64) -> String {
    jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

pub async fn trips(
    State(app): State<Arc<MobilityApp>>,
    access: PodAccess,
    Query(q): Query<Period>,
) -> Result<Response, ApiError> {
    let pod = access.require(MOBILITY_CONTAINER, ModeSet::READ).await?;
    let (from, to) = period(&q, app.ctx.today())?;
    let view = app.mobility.view(&pod).await?;
    let factors = Factors::builtin();
    let out = TripsOut {
        trips: between(&view.trips, from, to)
            .iter()
            .map(|t| TripOut {
                start: instant(t.start),
                end: instant(t.end),
                mode: t.mode.map(Mode::as_str),
                distance_m: t.distance_m,
                co2_g: co2_g(&factors, &view.settings, t),
            })
            .collect(),
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&out).unwrap_or_default(),
    )
        .into_response())
}

#[derive(serde::Serialize)]
struct ModeOut {
    mode: &'static str,
    trips: u32,
    distance_m: u64,
    co2_g: u64,
}

#[derive(serde::Serialize)]
struct MonthOut {
    month: String,
    trips: u32,
    distance_m: u64,
    co2_g: u64,
    modes: Vec<ModeOut>,
}

#[derive(serde::Serialize)]
struct TotalsOut {
    months: Vec<MonthOut>,
    /// Trips in the period left out of the sums: no mode known.
    unpriced: u32,
}

/// `GET /{pod}/selfdata/mobility/api/totals?from&to`: trips, metres and
/// grams of CO2e by Paris month and mode, the resident's car settings applied.
pub async fn totals(
    State(app): State<Arc<MobilityApp>>,
    access: PodAccess,
    Query(q): Query<Period>,
) -> Result<Response, ApiError> {
    let pod = access.require(MOBILITY_CONTAINER, ModeSet::READ).await?;
    let (from, to) = period(&q, app.ctx.today())?;
    let view = app.mobility.view(&pod).await?;
    let t = co2::totals(
        between(&view.trips, from, to),
        &Factors::builtin(),
        &view.settings,
    );
    let out = TotalsOut {
        months: t
            .by_month
            .iter()
            .map(|(&(y, m), modes)| {
                let all = t.month((y, m));
                MonthOut {
                    month: format!("{y:04}-{m:02}"),
                    trips: all.trips,
                    distance_m: all.distance_m,
                    co2_g: all.co2_g(),
                    modes: modes
                        .iter()
                        .map(|(mode, c)| ModeOut {
                            mode: mode.as_str(),
                            trips: c.trips,
                            distance_m: c.distance_m,
                            co2_g: c.co2_g(),
                        })
                        .collect(),
                }
            })
            .collect(),
        unpriced: t.unpriced,
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&out).unwrap_or_default(),
    )
        .into_response())
}

pub const TRIPS_PATH: &str = "/{pod}/selfdata/mobility/api/trips";
pub const TOTALS_PATH: &str = "/{pod}/selfdata/mobility/api/totals";

/// What the mobility API answers, for `/openapi.json`.
pub fn operations() -> Vec<selfdata_service::api::Operation> {
    use selfdata_service::api::schema::*;
    use selfdata_service::api::{Operation, Param};
    use serde_json::json;
    let access = "Read on /selfdata/mobility/";
    let params = || {
        vec![
            Param::new(
                "from",
                false,
                "The first day, in Europe/Paris (30 days before `to` by default).",
            )
            .schema(date())
            .example("2025-01-01"),
            Param::new("to", false, "The day after the last (tomorrow by default).")
                .schema(date())
                .example("2026-01-01"),
        ]
    };
    let co2 = || json!({"type": "integer", "minimum": 0, "description": "Grams of CO2e, with the resident's car settings."});
    vec![
        Operation {
            path: TRIPS_PATH,
            id: "mobilityTrips",
            summary: "The trips of a period, each with its mode, distance and CO2e.",
            description: "Trips starting in the period; `mode` and `co2_g` are null while the mode is unknown. At most twenty years per call.",
            access,
            params: params(),
            answer: object(
                &["trips"],
                json!({"trips": array(object(
                    &["start", "end", "mode", "distance_m", "co2_g"],
                    json!({
                        "start": string(), "end": string(),
                        "mode": {"type": ["string", "null"]},
                        "distance_m": {"type": "integer", "minimum": 0},
                        "co2_g": {"anyOf": [co2(), {"type": "null"}]},
                    }),
                ))}),
            ),
            ..Default::default()
        },
        Operation {
            path: TOTALS_PATH,
            id: "mobilityTotals",
            summary: "Trips, metres and grams of CO2e by month and mode.",
            description: "Months in Europe/Paris; trips of unknown mode are counted in `unpriced`, not in the sums.",
            access,
            params: params(),
            answer: object(
                &["months", "unpriced"],
                json!({
                    "months": array(object(
                        &["month", "trips", "distance_m", "co2_g", "modes"],
                        json!({
                            "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
                            "trips": integer(), "distance_m": integer(), "co2_g": co2(),
                            "modes": array(object(
                                &["mode", "trips", "distance_m", "co2_g"],
                                json!({"mode": string(), "trips": integer(), "distance_m": integer(), "co2_g": co2()}),
                            )),
                        }),
                    )),
                    "unpriced": integer(),
                }),
            ),
            ..Default::default()
        },
    ]
}

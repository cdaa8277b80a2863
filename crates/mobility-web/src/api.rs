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

/// A trip's CO2 in grams with the default settings, when its mode is known.
pub fn co2_g(factors: &Factors, t: &Trip) -> Option<u64> {
    factors
        .for_trip(t, &Settings::default())
        .map(|f| co2::co2_g(t, f, Settings::default().occupancy))
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
    let all = app.mobility.trips(&pod).await?;
    let factors = Factors::builtin();
    let out = TripsOut {
        trips: between(&all, from, to)
            .iter()
            .map(|t| TripOut {
                start: instant(t.start),
                end: instant(t.end),
                mode: t.mode.map(Mode::as_str),
                distance_m: t.distance_m,
                co2_g: co2_g(&factors, t),
            })
            .collect(),
    };
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&out).unwrap_or_default(),
    )
        .into_response())
}

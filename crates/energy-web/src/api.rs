//! The energy and water JSON API of a pod, for its owner's dashboard and
//! for apps the owner allowed to read `selfdata/energy/`:
//!
//! - `GET /{pod}/selfdata/energy/api/consumption?fluid=electricity&from=2025-01-01&to=2026-01-01&step=month&unit=kWh`
//!   → buckets over local days `[from, to)` (Europe/Paris) at `half-hour`,
//!   `hour`, `day`, `week`, `month` or `year`, each with its value in `unit`
//!   (`Wh`/`kWh` for electricity and gas, `L`/`m3` for water and gas
//!   volume), its cost in euros and its coverage, plus the same period a
//!   year earlier;
//! - `GET …/api/summary?fluid=water` → this month against the same month
//!   last year, the night baseload, the peak, alerts and missing days.
//!
//! Access is the WAC Read permission on `/{pod}/selfdata/energy/`, checked
//! exactly as for the resources themselves. Errors are problem+json.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_energy::analysis::{self, Alert, Bucket, QuantityBook, Resolution};
use selfdata_energy::tariff::pico_to_euros;
use selfdata_energy::{Fluid, Quantity};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_wac::ModeSet;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::EnergyApp;
use crate::energy::EnergyError;

/// The resource whose Read permission opens the API.
pub const ENERGY_CONTAINER: &str = "/selfdata/energy/";

impl From<EnergyError> for ApiError {
    fn from(e: EnergyError) -> Self {
        match e {
            EnergyError::Store(s) => s.into(),
            EnergyError::Tariff(t) => {
                ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, t.to_string())
            }
            EnergyError::Damaged(d) => {
                tracing::error!(error = %d, "energy data damaged");
                ApiError::internal()
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ConsumptionQuery {
    fluid: String,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    unit: Option<String>,
}

/// How a value is shown: the quantity it comes from and its divisor from mWh/mL/VA.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    pub name: &'static str,
    pub quantity: Quantity,
    pub per: f64,
}

impl Unit {
    pub fn parse(fluid: Fluid, unit: Option<&str>) -> Result<Unit, ApiError> {
        let u = |name, quantity, per| {
            Ok(Unit {
                name,
                quantity,
                per,
            })
        };
        match (fluid, unit.unwrap_or("")) {
            (Fluid::Electricity, "" | "kWh") => u("kWh", Quantity::ElectricEnergy, 1e6),
            (Fluid::Electricity, "Wh") => u("Wh", Quantity::ElectricEnergy, 1e3),
            (Fluid::Electricity, "VA") => u("VA", Quantity::MaxPower, 1.0),
            (Fluid::Gas, "" | "kWh") => u("kWh", Quantity::GasEnergy, 1e6),
            (Fluid::Gas, "Wh") => u("Wh", Quantity::GasEnergy, 1e3),
            (Fluid::Gas, "m3" | "m³") => u("m3", Quantity::GasVolume, 1e6),
            (Fluid::Gas, "L") => u("L", Quantity::GasVolume, 1e3),
            (Fluid::Water, "" | "L") => u("L", Quantity::WaterVolume, 1e3),
            (Fluid::Water, "m3" | "m³") => u("m3", Quantity::WaterVolume, 1e6),
            (_, other) => Err(ApiError::bad_request(format!(
                "The unit {other:?} does not fit {}: use {}.",
                fluid.as_str(),
                match fluid {
                    Fluid::Electricity => "kWh, Wh or VA",
                    Fluid::Gas => "kWh, Wh, m3 or L",
                    Fluid::Water => "L or m3",
                }
            ))),
        }
    }
}

pub fn parse_fluid(s: &str) -> Result<Fluid, ApiError> {
    Fluid::parse(s).ok_or_else(|| {
        ApiError::bad_request(format!(
            "{s:?} is not a fluid: use electricity, gas or water."
        ))
    })
}

fn parse_date(name: &str, s: &str) -> Result<Date, ApiError> {
    s.parse::<Date>()
        .or_else(|_| {
            s.parse::<jiff::Timestamp>()
                .map(|t| t.to_zoned_datetime(selfdata_energy::files::paris()).date())
        })
        .map_err(|_| {
            ApiError::bad_request(format!(
                "{name} must be a date like 2025-01-31 (a local day in Europe/Paris); found {s:?}."
            ))
        })
}

/// Rounds for JSON: at most three decimals.
fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

pub fn bucket_json(b: &Bucket, unit: &Unit) -> Value {
    json!({
        "start": b.start.timestamp().to_string(),
        "end": b.end.timestamp().to_string(),
        "local_start": b.start.datetime().to_string(),
        "value": b.value.map(|v| round3(v as f64 / unit.per)),
        "euros": b.cost.map(pico_to_euros),
        "coverage": round3(b.coverage),
    })
}

fn total(buckets: &[Bucket], unit: &Unit) -> Value {
    let any = buckets.iter().any(|b| b.value.is_some());
    let value: i64 = buckets.iter().filter_map(|b| b.value).sum();
    let cost: i64 = buckets.iter().filter_map(|b| b.cost).sum();
    json!({
        "value": any.then(|| round3(value as f64 / unit.per)),
        "euros": (any && buckets.iter().any(|b| b.cost.is_some())).then(|| pico_to_euros(cost)),
    })
}

/// The default period for a step: the last one before today.
pub fn default_period(res: Resolution, today: Date) -> (Date, Date) {
    let from = match res {
        Resolution::HalfHour | Resolution::Hour => today.yesterday().unwrap_or(today),
        Resolution::Day => today.checked_sub(30.days()).unwrap_or(today),
        Resolution::Week => today.checked_sub(12.weeks()).unwrap_or(today),
        Resolution::Month => today
            .checked_sub(12.months())
            .unwrap_or(today)
            .first_of_month(),
        Resolution::Year => today
            .checked_sub(5.years())
            .unwrap_or(today)
            .first_of_year(),
    };
    (from, today)
}

/// Longest period a query may span at each step, so one request stays cheap.
fn max_days(res: Resolution) -> i32 {
    match res {
        Resolution::HalfHour | Resolution::Hour => 62,
        _ => 366 * 50,
    }
}

pub async fn consumption(
    State(services): State<Arc<EnergyApp>>,
    access: PodAccess,
    Query(q): Query<ConsumptionQuery>,
) -> Result<Response, ApiError> {
    let pod = access.require(ENERGY_CONTAINER, ModeSet::READ).await?;
    let fluid = parse_fluid(&q.fluid)?;
    let unit = Unit::parse(fluid, q.unit.as_deref())?;
    let res = match q.step.as_deref() {
        None => Resolution::Day,
        Some(s) => Resolution::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "step {s:?} is not known: use half-hour, hour, day, week, month or year."
            ))
        })?,
    };
    let today = services.ctx.today();
    let (mut from, mut to) = default_period(res, today);
    if let Some(f) = &q.from {
        from = parse_date("from", f)?;
    }
    if let Some(t) = &q.to {
        to = parse_date("to", t)?;
    }
    if to <= from {
        return Err(ApiError::bad_request("to must come after from."));
    }
    if (to - from).get_days() > max_days(res) {
        return Err(ApiError::bad_request(format!(
            "A {} step covers at most {} days per request; ask for a shorter period or a longer step.",
            res.as_str(),
            max_days(res)
        )));
    }
    let book = services.energy.book(&pod, fluid).await?;
    let body = consumption_json(book.quantity(unit.quantity), fluid, &unit, from, to, res);
    Ok(json_response(&body))
}

/// The consumption answer, shared with the dashboard so both show the same figures.
pub fn consumption_json(
    q: Option<&QuantityBook>,
    fluid: Fluid,
    unit: &Unit,
    from: Date,
    to: Date,
    res: Resolution,
) -> Value {
    let aggregate = |a: Date, b: Date| q.map(|q| q.aggregate(a, b, res)).unwrap_or_default();
    let now = aggregate(from, to);
    let (pf, pt) = (
        from.checked_sub(1.year()).unwrap_or(from),
        to.checked_sub(1.year()).unwrap_or(to),
    );
    let before = aggregate(pf, pt);
    json!({
        "fluid": fluid.as_str(),
        "unit": unit.name,
        "step": res.as_str(),
        "from": from.to_string(),
        "to": to.to_string(),
        "timezone": "Europe/Paris",
        "points": now.iter().map(|b| bucket_json(b, unit)).collect::<Vec<_>>(),
        "total": total(&now, unit),
        "previous_year": {
            "from": pf.to_string(),
            "to": pt.to_string(),
            "points": before.iter().map(|b| bucket_json(b, unit)).collect::<Vec<_>>(),
            "total": total(&before, unit),
        }
    })
}

#[derive(Debug, Deserialize)]
pub struct SummaryQuery {
    fluid: String,
}

pub fn alert_json(a: &Alert) -> Value {
    match a {
        Alert::PossibleLeak {
            first,
            last,
            usual_ml_per_day,
            extra_ml_per_day,
            ongoing,
        } => json!({
            "kind": "possible-leak",
            "first_day": first.to_string(),
            "last_day": last.to_string(),
            "usual_litres_per_day": round3(*usual_ml_per_day as f64 / 1000.0),
            "extra_litres_per_day": round3(*extra_ml_per_day as f64 / 1000.0),
            "ongoing": ongoing,
        }),
        Alert::UnusualStandby {
            recent_w,
            usual_w,
            since,
        } => json!({
            "kind": "unusual-standby",
            "recent_watts": recent_w,
            "usual_watts": usual_w,
            "since": since.to_string(),
        }),
    }
}

/// A fluid's summary: this month against the same month a year earlier, and more.
pub fn summary_json(book: &analysis::Book, today: Date) -> Value {
    let fluid = book.fluid;
    let unit = Unit::parse(fluid, None).unwrap_or(Unit {
        name: "kWh",
        quantity: analysis::main_quantity(fluid),
        per: 1e6,
    });
    let Some(q) = book.main() else {
        return json!({ "fluid": fluid.as_str(), "unit": unit.name, "readings": 0 });
    };
    // "This month so far" ends with the last day that has readings (today
    // never has any yet), and is compared with the same days a year earlier.
    let end = q
        .last_day()
        .and_then(|d| d.tomorrow().ok())
        .map_or(today, |d| d.min(today.tomorrow().unwrap_or(today)));
    let month = end.yesterday().unwrap_or(end).first_of_month();
    let this = q.aggregate(month, end, Resolution::Month);
    let last_year = q.aggregate(
        month.checked_sub(1.year()).unwrap_or(month),
        end.checked_sub(1.year()).unwrap_or(end),
        Resolution::Month,
    );
    let recent = today.checked_sub(30.days()).unwrap_or(today);
    let year_ago = today.checked_sub(1.year()).unwrap_or(today);
    let (missing, partial) = match (q.first_day(), q.last_day()) {
        (Some(a), Some(b)) => q.gaps(a.max(year_ago), b.tomorrow().unwrap_or(b)),
        _ => (Vec::new(), Vec::new()),
    };
    let mut alerts = Vec::new();
    match fluid {
        Fluid::Water => alerts.extend(analysis::leaks(q, today)),
        Fluid::Electricity => alerts.extend(analysis::standby(q, today)),
        Fluid::Gas => {}
    }
    let peak = q.peak(recent, today);
    json!({
        "fluid": fluid.as_str(),
        "unit": unit.name,
        "readings": q.readings,
        "first": q.first.map(|t| t.to_string()),
        "last": q.last.map(|t| t.to_string()),
        "this_month_to": end.to_string(),
        "this_month": this.first().map(|b| bucket_json(b, &unit)),
        "same_month_last_year": last_year.first().map(|b| bucket_json(b, &unit)),
        "baseload_watts": if fluid == Fluid::Electricity { q.baseload(recent, today).map(Value::from) } else { None },
        "peak_watts": if fluid == Fluid::Electricity { peak.as_ref().map(|(w, _)| Value::from(*w)) } else { None },
        "peak_at": if fluid == Fluid::Electricity { peak.map(|(_, at)| Value::from(at.timestamp().to_string())) } else { None },
        "alerts": alerts.iter().map(alert_json).collect::<Vec<_>>(),
        "missing_days_last_year": missing.len(),
        "partial_days_last_year": partial.len(),
        "missing_days": missing.iter().rev().take(60).map(|d| d.to_string()).collect::<Vec<_>>(),
    })
}

pub async fn summary(
    State(services): State<Arc<EnergyApp>>,
    access: PodAccess,
    Query(q): Query<SummaryQuery>,
) -> Result<Response, ApiError> {
    let pod = access.require(ENERGY_CONTAINER, ModeSet::READ).await?;
    let fluid = parse_fluid(&q.fluid)?;
    let book = services.energy.book(&pod, fluid).await?;
    Ok(json_response(&summary_json(&book, services.ctx.today())))
}

fn json_response(v: &Value) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_vec(v).unwrap_or_default(),
    )
        .into_response()
}

/// The consumption route (also the path of its description).
pub const CONSUMPTION_PATH: &str = "/{pod}/selfdata/energy/api/consumption";
/// The summary route.
pub const SUMMARY_PATH: &str = "/{pod}/selfdata/energy/api/summary";

/// What the energy API answers, for `/openapi.json`.
pub fn operations() -> Vec<selfdata_service::api::Operation> {
    use selfdata_service::api::schema::*;
    use selfdata_service::api::{Operation, Param};
    let fluid = || {
        Param::new("fluid", true, "Which meter: electricity, gas or water.")
            .schema(one_of(&["electricity", "gas", "water"]))
            .example("electricity")
    };
    let bucket = object(
        &["start", "end", "local_start", "value", "euros", "coverage"],
        json!({
            "start": {"type": "string", "description": "The bucket's start, an instant in UTC."},
            "end": {"type": "string"},
            "local_start": {"type": "string", "description": "Its start in Europe/Paris, as a date and time without zone."},
            "value": {"type": ["number", "null"], "description": "What was used, in the answer's unit; null when no reading covers it."},
            "euros": {"type": ["number", "null"], "description": "Its cost in euros at the pod's tariff, when known."},
            "coverage": {"type": "number", "minimum": 0, "maximum": 1, "description": "The share of the bucket covered by readings."},
        }),
    );
    let total = object(
        &["value", "euros"],
        json!({"value": number_or_null(), "euros": number_or_null()}),
    );
    let access = "Read on /selfdata/energy/";
    vec![
        Operation {
            path: CONSUMPTION_PATH,
            id: "energyConsumption",
            summary: "Consumption of one fluid over a period, step by step, beside the same period a year earlier.",
            description: "Buckets of the chosen step from `from` (included) to `to` (excluded), in Europe/Paris days. Without `from` and `to`, the last period usual for the step (yesterday's half-hours, the last 30 days, the last 12 months...). A half-hour or hour step covers at most 62 days per call.",
            access,
            params: vec![
                fluid(),
                Param::new("unit", false, "The unit of values: kWh (default), Wh or VA for electricity; kWh, Wh, m3 or L for gas; L (default) or m3 for water.")
                    .schema(one_of(&["kWh", "Wh", "VA", "m3", "L"]))
                    .example("kWh"),
                Param::new("step", false, "The bucket size (day by default).")
                    .schema(one_of(&["half-hour", "hour", "day", "week", "month", "year"]))
                    .example("month"),
                Param::new("from", false, "The first day (2026-01-01) or an instant.").example("2025-01-01"),
                Param::new("to", false, "The day after the last (excluded).").example("2026-01-01"),
            ],
            answer: object(
                &["fluid", "unit", "step", "from", "to", "timezone", "points", "total", "previous_year"],
                json!({
                    "fluid": one_of(&["electricity", "gas", "water"]),
                    "unit": string(),
                    "step": string(),
                    "from": date(),
                    "to": date(),
                    "timezone": {"const": "Europe/Paris"},
                    "points": array(bucket.clone()),
                    "total": total.clone(),
                    "previous_year": object(
                        &["from", "to", "points", "total"],
                        json!({"from": date(), "to": date(), "points": array(bucket.clone()), "total": total}),
                    ),
                }),
            ),
            ..Default::default()
        },
        Operation {
            path: SUMMARY_PATH,
            id: "energySummary",
            summary: "One fluid at a glance: this month against the same month a year earlier, standby and peak power, alerts, missing days.",
            description: "With no readings yet, only `fluid`, `unit` and `readings` (0). `this_month` runs to the last day with readings.",
            access,
            params: vec![fluid()],
            answer: object(
                &["fluid", "unit", "readings"],
                json!({
                    "fluid": one_of(&["electricity", "gas", "water"]),
                    "unit": string(),
                    "readings": integer(),
                    "first": {"type": ["string", "null"]},
                    "last": {"type": ["string", "null"]},
                    "this_month_to": date(),
                    "this_month": {"anyOf": [bucket.clone(), {"type": "null"}]},
                    "same_month_last_year": {"anyOf": [bucket, {"type": "null"}]},
                    "baseload_watts": number_or_null(),
                    "peak_watts": number_or_null(),
                    "peak_at": {"type": ["string", "null"]},
                    "alerts": array(object(&["kind"], json!({"kind": one_of(&["possible-leak", "unusual-standby"])}))),
                    "missing_days_last_year": integer(),
                    "partial_days_last_year": integer(),
                    "missing_days": array(date()),
                }),
            ),
            ..Default::default()
        },
    ]
}

//! The owner's energy and water pages, rendered by the server (askama
//! templates in `crates/energy-web/templates/`, the site kit's stylesheet,
//! no script needed):
//!
//! - `GET /app/energy`: this month against the same days a year earlier for
//!   electricity, gas and water (tiles), alerts, then one fluid's chart at a
//!   scale (`day`: the half-hours of a day, or its hours when the readings
//!   are hourly, or the days of its week when the fluid is read daily;
//!   `week`; `month`: its days; `year`: its months) with previous / next
//!   period links, a unit switch, the figures as a table, and which days
//!   are missing. Query: `fluid`, `scale`, `unit` (`kWh`, `L`, `m3`, `EUR`),
//!   `date` (any day of the period shown). The figures come from
//!   [`api::consumption_json`] and [`api::summary_json`], so the page shows
//!   exactly what the JSON API answers.
//! - the upload form and the inbox's proposals post to the shared job table
//!   (`selfdata_service::jobs`: `POST /app/import`, `/app/import/inbox`).
//! - `GET|POST /app/energy/tariffs`: the prices in force, and changing one from
//!   a date ([`tariffs`]).
//!
//! Every page is drawn in the site's layout (`selfdata_site`) and needs the
//! resident's sign-in session ([`Resident`]); the pod shown is the account's
//! first pod. Forms carry the session's CSRF token.

mod tariffs;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_energy::Fluid;
use selfdata_energy::analysis::{Book, Resolution};
use serde::Deserialize;
use serde_json::Value;

use selfdata_site::{Chrome, PageError, Resident, fill, page};

use crate::EnergyApp;
use crate::api::{self, Unit};
use crate::chart::{self, Bar, BarChart, Legend};
use crate::texts::Texts;

/// The dashboard's routes.
pub fn routes() -> Router<Arc<EnergyApp>> {
    Router::new().route("/app/energy", get(dashboard)).route(
        "/app/energy/tariffs",
        get(tariffs::show).post(tariffs::save),
    )
}

// ------------------------------------------------------------------ shared

// ------------------------------------------------------------------ the view

/// The scale of the chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    Day,
    Week,
    Month,
    Year,
}

impl Scale {
    const ALL: [Scale; 4] = [Scale::Day, Scale::Week, Scale::Month, Scale::Year];

    fn parse(s: &str) -> Option<Scale> {
        Scale::ALL.into_iter().find(|x| x.as_str() == s)
    }

    fn as_str(self) -> &'static str {
        match self {
            Scale::Day => "day",
            Scale::Week => "week",
            Scale::Month => "month",
            Scale::Year => "year",
        }
    }

    fn name(self, t: &Texts) -> &'static str {
        match self {
            Scale::Day => t.scale_day,
            Scale::Week => t.scale_week,
            Scale::Month => t.scale_month,
            Scale::Year => t.scale_year,
        }
    }

    /// The local days `[from, to)` of the period holding `d`.
    fn period(self, d: Date) -> (Date, Date) {
        let from = match self {
            Scale::Day => d,
            Scale::Week => Resolution::Week.bucket_start(d),
            Scale::Month => d.first_of_month(),
            Scale::Year => d.first_of_year(),
        };
        let to = match self {
            Scale::Day => from.tomorrow().unwrap_or(from),
            Scale::Week => from.checked_add(1.week()).unwrap_or(from),
            Scale::Month => from.checked_add(1.month()).unwrap_or(from),
            Scale::Year => from.checked_add(1.year()).unwrap_or(from),
        };
        (from, to)
    }

    /// The same day one period later (`n = 1`) or earlier (`n = -1`).
    fn shift(self, d: Date, n: i64) -> Date {
        let span = match self {
            Scale::Day => n.days(),
            Scale::Week => n.weeks(),
            Scale::Month => n.months(),
            Scale::Year => n.years(),
        };
        d.checked_add(span).unwrap_or(d)
    }
}

/// What the chart's values are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shown {
    Kwh,
    Litres,
    CubicMetres,
    Euros,
}

impl Shown {
    fn parse(s: &str) -> Option<Shown> {
        Some(match s {
            "kWh" => Shown::Kwh,
            "L" => Shown::Litres,
            "m3" | "m³" => Shown::CubicMetres,
            "EUR" | "€" => Shown::Euros,
            _ => return None,
        })
    }

    /// The query value.
    fn as_str(self) -> &'static str {
        match self {
            Shown::Kwh => "kWh",
            Shown::Litres => "L",
            Shown::CubicMetres => "m3",
            Shown::Euros => "EUR",
        }
    }

    /// The symbol shown.
    fn symbol(self) -> &'static str {
        match self {
            Shown::Kwh => "kWh",
            Shown::Litres => "L",
            Shown::CubicMetres => "m³",
            Shown::Euros => "€",
        }
    }

    /// The units offered for a fluid, the first being the default.
    fn of(fluid: Fluid) -> &'static [Shown] {
        match fluid {
            Fluid::Electricity | Fluid::Gas => &[Shown::Kwh, Shown::Euros],
            Fluid::Water => &[Shown::Litres, Shown::CubicMetres, Shown::Euros],
        }
    }

    /// The API unit the figures are asked in, and the JSON field to read.
    fn api(self, fluid: Fluid) -> (Unit, &'static str) {
        let name = match self {
            Shown::CubicMetres => Some("m3"),
            Shown::Litres => Some("L"),
            Shown::Kwh => Some("kWh"),
            Shown::Euros => None,
        };
        let field = if self == Shown::Euros {
            "euros"
        } else {
            "value"
        };
        let unit = Unit::parse(fluid, name).unwrap_or_else(|_| default_unit(fluid));
        (unit, field)
    }
}

fn default_unit(fluid: Fluid) -> Unit {
    Unit::parse(fluid, None).unwrap_or(Unit {
        name: "kWh",
        quantity: selfdata_energy::analysis::main_quantity(fluid),
        per: 1e6,
    })
}

/// The dashboard's query.
#[derive(Debug, Default, Deserialize)]
pub struct DashQuery {
    fluid: Option<String>,
    scale: Option<String>,
    unit: Option<String>,
    date: Option<String>,
}

/// What is shown: a fluid, at a scale, in a unit, around a day.
#[derive(Debug, Clone, Copy)]
struct View {
    fluid: Fluid,
    scale: Scale,
    unit: Shown,
    anchor: Date,
}

/// The month view of a fluid around `anchor` (where an import's "see this
/// data" leads).
pub(crate) fn month_view_href(fluid: Fluid, anchor: Date) -> String {
    View {
        fluid,
        scale: Scale::Month,
        unit: Shown::of(fluid)[0],
        anchor,
    }
    .href()
}

impl View {
    fn href(&self) -> String {
        format!(
            "/app/energy?fluid={}&scale={}&unit={}&date={}",
            self.fluid.as_str(),
            self.scale.as_str(),
            self.unit.as_str(),
            self.anchor
        )
    }

    fn with_fluid(self, fluid: Fluid) -> View {
        let unit = if Shown::of(fluid).contains(&self.unit) {
            self.unit
        } else {
            Shown::of(fluid)[0]
        };
        View {
            fluid,
            unit,
            ..self
        }
    }
}

fn fluid_class(fluid: Fluid) -> &'static str {
    fluid.as_str()
}

// ------------------------------------------------------------------ tiles

struct Figure {
    /// The figure as the API gives it (for `<data value>`).
    raw: f64,
    text: String,
}

struct Tile {
    fluid: &'static str,
    name: &'static str,
    href: String,
    current: bool,
    value: Option<Figure>,
    euros: Option<Figure>,
    before: Option<String>,
    change: Option<String>,
    empty: bool,
}

fn figure(v: &Value, field: &str, unit: &str, t: &Texts) -> Option<Figure> {
    let raw = v.get(field)?.as_f64()?;
    Some(Figure {
        raw,
        text: t.quantity(raw, unit),
    })
}

fn tile(t: &Texts, fluid: Fluid, summary: &Value, view: &View) -> Tile {
    let unit = Shown::of(fluid)[0].symbol();
    let now = &summary["this_month"];
    let before = &summary["same_month_last_year"];
    let value = figure(now, "value", unit, t);
    let euros = figure(now, "euros", "€", t);
    let before_value = figure(before, "value", unit, t);
    let before_euros = figure(before, "euros", "€", t);
    let before_text = before_value.as_ref().map(|v| match &before_euros {
        Some(e) => format!("{} · {}", v.text, e.text),
        None => v.text.clone(),
    });
    let change = match (&value, &before_value) {
        (Some(a), Some(b)) if b.raw > 0.0 => {
            let p = (a.raw - b.raw) / b.raw * 100.0;
            Some(if p.abs() < 2.0 {
                t.same_as_last_year.to_owned()
            } else if p > 0.0 {
                fill(t.more_than_last_year, &[("p", &t.percent(p))])
            } else {
                fill(t.less_than_last_year, &[("p", &t.percent(-p))])
            })
        }
        _ => None,
    };
    Tile {
        fluid: fluid_class(fluid),
        name: t.fluid(fluid),
        href: view.with_fluid(fluid).href(),
        current: view.fluid == fluid,
        empty: summary["readings"].as_u64().unwrap_or(0) == 0,
        value,
        euros,
        before: before_text,
        change,
    }
}

// ------------------------------------------------------------------ alerts

struct AlertView {
    text: String,
    href: String,
    link: &'static str,
}

fn date_of(v: &Value) -> Option<Date> {
    v.as_str()?.parse().ok()
}

fn alerts(t: &Texts, summaries: &[(Fluid, Value)]) -> Vec<AlertView> {
    let mut out = Vec::new();
    for (fluid, summary) in summaries {
        let Some(list) = summary["alerts"].as_array() else {
            continue;
        };
        for a in list {
            match a["kind"].as_str() {
                Some("possible-leak") => {
                    let (Some(first), Some(last)) =
                        (date_of(&a["first_day"]), date_of(&a["last_day"]))
                    else {
                        continue;
                    };
                    let extra = t.quantity(
                        (a["extra_litres_per_day"].as_f64().unwrap_or(0.0) / 10.0).round() * 10.0,
                        "L",
                    );
                    let text = if a["ongoing"].as_bool() == Some(true) {
                        fill(
                            t.leak_ongoing,
                            &[("extra", &extra), ("first", &t.day_month(first))],
                        )
                    } else {
                        fill(
                            t.leak,
                            &[
                                ("extra", &extra),
                                ("first", &t.day_month(first)),
                                ("last", &t.short_date(last)),
                            ],
                        )
                    };
                    let view = View {
                        fluid: *fluid,
                        scale: Scale::Month,
                        unit: Shown::of(*fluid)[0],
                        anchor: first,
                    };
                    out.push(AlertView {
                        text,
                        href: view.href(),
                        link: t.see_those_days,
                    });
                }
                Some("unusual-standby") => {
                    let since = date_of(&a["since"]);
                    let w = |k: &str| t.quantity(a[k].as_f64().unwrap_or(0.0), "W");
                    let text = fill(
                        t.standby,
                        &[
                            ("recent", &w("recent_watts")),
                            ("usual", &w("usual_watts")),
                            ("since", &since.map(|d| t.day_month(d)).unwrap_or_default()),
                        ],
                    );
                    let view = View {
                        fluid: *fluid,
                        scale: Scale::Week,
                        unit: Shown::Kwh,
                        anchor: since.unwrap_or_default(),
                    };
                    out.push(AlertView {
                        text,
                        href: view.href(),
                        link: t.see_those_days,
                    });
                }
                _ => {}
            }
        }
    }
    out
}

// ------------------------------------------------------------------ coverage

/// Missing days written compactly: consecutive days as one range.
fn day_ranges(t: &Texts, mut days: Vec<Date>) -> String {
    days.sort_unstable();
    let mut ranges: Vec<(Date, Date)> = Vec::new();
    for d in days {
        match ranges.last_mut() {
            Some((_, last)) if last.tomorrow().ok() == Some(d) => *last = d,
            _ => ranges.push((d, d)),
        }
    }
    ranges
        .into_iter()
        .map(|(a, b)| t.day_range(a, b))
        .collect::<Vec<_>>()
        .join(", ")
}

fn coverage(t: &Texts, summary: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if summary["readings"].as_u64().unwrap_or(0) == 0 {
        return out;
    }
    let local = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .map(|ts| ts.to_zoned_datetime(selfdata_energy::files::paris()))
    };
    if let (Some(first), Some(last)) = (local(&summary["first"]), local(&summary["last"])) {
        // `last` is the end of the last reading: its day is the one before when it ends at midnight.
        let last_day = last
            .checked_sub(1.second())
            .map(|z| z.date())
            .unwrap_or(last.date());
        out.push(fill(
            t.readings_span,
            &[
                ("first", &t.date(first.date())),
                ("last", &t.date(last_day)),
            ],
        ));
    }
    let count = summary["missing_days_last_year"].as_u64().unwrap_or(0) as usize;
    let listed: Vec<Date> = summary["missing_days"]
        .as_array()
        .map(|a| a.iter().filter_map(date_of).collect())
        .unwrap_or_default();
    let mut list = day_ranges(t, listed.clone());
    if count > listed.len() {
        list = format!(
            "{list} ({})",
            fill(
                t.missing_more,
                &[("n", &(count - listed.len()).to_string())]
            )
        );
    }
    out.push(match count {
        0 => t.missing_none.to_owned(),
        1 => fill(t.missing_one, &[("list", &list)]),
        n => fill(t.missing_many, &[("n", &n.to_string()), ("list", &list)]),
    });
    let partial = summary["partial_days_last_year"].as_u64().unwrap_or(0);
    if partial > 0 {
        out.push(fill(t.partial_days, &[("n", &partial.to_string())]));
    }
    out
}

fn electricity_stats(t: &Texts, summary: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(w) = summary["baseload_watts"].as_f64() {
        out.push(fill(t.baseload, &[("w", &t.quantity(w, "W"))]));
    }
    if let (Some(w), Some(at)) = (
        summary["peak_watts"].as_f64(),
        summary["peak_at"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok()),
    ) {
        let z = at.to_zoned_datetime(selfdata_energy::files::paris());
        let when = format!("{} {}", t.short_date(z.date()), z.strftime("%H:%M"));
        let power = if w >= 1000.0 {
            t.quantity(w / 1000.0, "kW")
        } else {
            t.quantity(w, "W")
        };
        out.push(fill(t.peak, &[("w", &power), ("when", &when)]));
    }
    out
}

// ------------------------------------------------------------------ the chart

struct Row {
    when: String,
    value: String,
    before: String,
}

struct Nav {
    href: Option<String>,
    label: String,
}

struct ChartView {
    heading: String,
    svg: String,
    /// What each kind of mark of the chart means (an HTML list).
    legend: String,
    note: Option<String>,
    prev: Nav,
    next: Nav,
    total: String,
    total_before: String,
    /// The same period a year earlier, named.
    before_heading: String,
    rows: Vec<Row>,
    /// The API query that gives the same figures.
    from: String,
    to: String,
    step: &'static str,
    api_unit: &'static str,
    field: &'static str,
}

/// The figure of a bucket in the unit shown.
fn pick(point: &Value, field: &str) -> Option<f64> {
    point.get(field).and_then(Value::as_f64)
}

fn period_name(t: &Texts, res: Resolution, from: Date, to: Date) -> String {
    let last = to.yesterday().unwrap_or(to);
    match res {
        Resolution::HalfHour | Resolution::Hour => t.long_date(from),
        Resolution::Day if (to - from).get_days() == 7 => fill(
            t.week_of,
            &[("first", &t.day_month(from)), ("last", &t.date(last))],
        ),
        Resolution::Day => t.month_year(from),
        _ => from.year().to_string(),
    }
}

fn step_name(t: &Texts, res: Resolution) -> &'static str {
    match res {
        Resolution::HalfHour => t.step_half_hour,
        Resolution::Hour => t.step_hour,
        Resolution::Month => t.step_month,
        _ => t.step_day,
    }
}

/// Whether the latest readings of a fluid are finer than a day (judged
/// from the last day with readings, which costs a few microseconds).
fn has_sub_daily(book: &Book, unit: &Unit) -> bool {
    let Some(q) = book.quantity(unit.quantity) else {
        return false;
    };
    let Some(last) = q.last_day() else {
        return false;
    };
    q.aggregate(last, last.tomorrow().unwrap_or(last), Resolution::HalfHour)
        .iter()
        .any(|b| b.value.is_some())
}

fn chart_view(t: &Texts, view: &View, book: &Book, today: Date) -> ChartView {
    let fluid = view.fluid;
    let (unit, field) = view.unit.api(fluid);
    let q = book.quantity(unit.quantity);
    let mut note = None;
    // What one period is: the scale's, except for the day of a fluid read daily.
    let mut scale = view.scale;
    let (mut from, mut to) = scale.period(view.anchor);
    let mut res = match scale {
        Scale::Day => Resolution::HalfHour,
        Scale::Week | Scale::Month => Resolution::Day,
        Scale::Year => Resolution::Month,
    };
    let mut answer = api::consumption_json(q, fluid, &unit, from, to, res);
    if scale == Scale::Day {
        let points = answer["points"].as_array().cloned().unwrap_or_default();
        let any = points.iter().any(|p| pick(p, "value").is_some());
        let odd_empty = points
            .iter()
            .skip(1)
            .step_by(2)
            .all(|p| pick(p, "value").is_none());
        if any && odd_empty {
            res = Resolution::Hour;
            note = Some(t.hourly_only.to_owned());
            answer = api::consumption_json(q, fluid, &unit, from, to, res);
        } else if !any && !has_sub_daily(book, &unit) {
            scale = Scale::Week;
            (from, to) = scale.period(view.anchor);
            res = Resolution::Day;
            note = Some(fill(t.daily_only, &[("fluid", t.fluid(fluid))]));
            answer = api::consumption_json(q, fluid, &unit, from, to, res);
        }
    }
    let symbol = view.unit.symbol();
    let points = answer["points"].as_array().cloned().unwrap_or_default();
    let before = answer["previous_year"]["points"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fmt = |v: Option<f64>| match v {
        Some(v) => t.quantity(v, symbol),
        None => t.no_value.to_owned(),
    };
    let daily_only = view.scale == Scale::Day && scale == Scale::Week;
    // Days open their half-hours only when the fluid has readings finer than a day.
    let fine = res == Resolution::Day && !daily_only && has_sub_daily(book, &unit);
    let mut bars = Vec::with_capacity(points.len());
    let mut rows = Vec::with_capacity(points.len());
    let mut highlight = None;
    for (i, p) in points.iter().enumerate() {
        let start: Option<jiff::civil::DateTime> =
            p["local_start"].as_str().and_then(|s| s.parse().ok());
        let Some(start) = start else { continue };
        let day = start.date();
        let (label, when) = match res {
            Resolution::HalfHour | Resolution::Hour => {
                let time = start.time();
                let end = time
                    .checked_add(if res == Resolution::Hour {
                        60.minutes()
                    } else {
                        30.minutes()
                    })
                    .unwrap_or(time);
                let label = if time.minute() == 0 {
                    if t.lang == "fr" {
                        format!("{}\u{a0}h", time.hour())
                    } else {
                        time.strftime("%H:%M").to_string()
                    }
                } else {
                    String::new()
                };
                let when = format!("{}–{}", time.strftime("%H:%M"), end.strftime("%H:%M"));
                (label, when)
            }
            Resolution::Day if scale == Scale::Week => (t.weekday_day(day), t.long_date(day)),
            Resolution::Day => (day.day().to_string(), t.long_date(day)),
            _ => (
                t.months_short[day.month() as usize - 1].to_owned(),
                t.month_year(day),
            ),
        };
        let value = pick(p, field);
        let previous = before.get(i).and_then(|b| pick(b, field));
        let partial = value.is_some() && p["coverage"].as_f64().is_some_and(|c| c < 0.999);
        let mut title = format!("{when}{}{}", t.colon, fmt(value));
        if partial {
            title.push_str(&format!(" ({})", t.incomplete));
        }
        if let Some(prev) = previous {
            title.push_str(&format!(
                " ({}{}{})",
                t.legend_before.to_lowercase(),
                t.colon,
                fmt(Some(prev))
            ));
        }
        let drill = |scale: Scale, anchor: Date| {
            View {
                scale,
                anchor,
                ..*view
            }
            .href()
        };
        let href = match res {
            Resolution::Month => Some(drill(Scale::Month, day)),
            Resolution::Day if daily_only => None,
            Resolution::Day if fine => Some(drill(Scale::Day, day)),
            Resolution::Day if scale == Scale::Month => Some(drill(Scale::Week, day)),
            _ => None,
        };
        let is_today = match res {
            Resolution::Month => day.year() == today.year() && day.month() == today.month(),
            Resolution::Day => day == today,
            _ => false,
        };
        if is_today {
            highlight = Some(bars.len());
        }
        rows.push(Row {
            when: when.clone(),
            value: if partial {
                format!("{} ({})", fmt(value), t.incomplete)
            } else {
                fmt(value)
            },
            before: previous.map(|v| t.quantity(v, symbol)).unwrap_or_default(),
        });
        bars.push(Bar {
            label,
            title,
            value,
            previous,
            partial,
            href,
        });
    }
    let heading = period_name(t, res, from, to);
    let title = fill(
        t.chart_title,
        &[
            ("fluid", t.fluid(fluid)),
            ("period", &heading),
            ("unit", symbol),
        ],
    );
    let desc = fill(t.chart_desc, &[("step", step_name(t, res))]);
    let drawn = BarChart {
        bars: &bars,
        unit: symbol,
        title: &title,
        description: &desc,
        locale: t.locale,
        highlight,
        legend: Legend {
            bars: t.legend_now,
            highlight: if res == Resolution::Month {
                t.legend_current_month
            } else {
                t.legend_today
            },
            partial: t.legend_partial,
            missing: t.legend_missing,
            previous: t.legend_before,
        },
        empty_text: t.chart_empty,
    };
    let svg = chart::bar_chart(&drawn);
    let legend = chart::legend(&drawn);
    let total = pick(&answer["total"], field).map(|v| t.quantity(v, symbol));
    let total_before =
        pick(&answer["previous_year"]["total"], field).map(|v| t.quantity(v, symbol));
    // Previous and next periods; none after the current one, none before the first reading.
    let step = if daily_only { Scale::Week } else { view.scale };
    let first_day = q.and_then(|q| q.first_day());
    let nav = |n: i64| {
        let anchor = step.shift(view.anchor, n);
        let (a, b) = step.period(anchor);
        let open = if n > 0 {
            a <= today
        } else {
            first_day.is_some_and(|f| b > f)
        };
        let res = match step {
            Scale::Day => Resolution::HalfHour,
            Scale::Week => Resolution::Day,
            Scale::Month => Resolution::Day,
            Scale::Year => Resolution::Month,
        };
        Nav {
            href: open.then(|| View { anchor, ..*view }.href()),
            label: period_name(t, res, a, b),
        }
    };
    ChartView {
        heading,
        svg,
        legend,
        note,
        prev: nav(-1),
        next: nav(1),
        total: total.unwrap_or_else(|| t.no_value.to_owned()),
        total_before: total_before.unwrap_or_else(|| t.no_value.to_owned()),
        before_heading: period_name(
            t,
            res,
            from.checked_sub(1.year()).unwrap_or(from),
            to.checked_sub(1.year()).unwrap_or(to),
        ),
        rows,
        from: from.to_string(),
        to: to.to_string(),
        step: res.as_str(),
        api_unit: unit.name,
        field,
    }
}

// ------------------------------------------------------------------ the page

struct Choice {
    label: &'static str,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "energy_dashboard.html")]
struct DashboardPage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    month: String,
    tiles: Vec<Tile>,
    alerts: Vec<AlertView>,
    fluid: &'static str,
    fluid_name: &'static str,
    scales: Vec<Choice>,
    units: Vec<Choice>,
    chart: ChartView,
    stats: Vec<String>,
    coverage: Vec<String>,
    /// Files others delivered to the pod's inbox, waiting for the owner.
    inbox: Vec<selfdata_service::jobs::InboxFile>,
    /// While the pod has no readings: (fluid, the holder's export and where
    /// it is downloaded).
    first_steps: Vec<(&'static str, String)>,
}

/// Where a new resident gets their files: each holder's export and where it
/// is downloaded, in the page's language.
fn first_steps(t: &Texts) -> Vec<(&'static str, String)> {
    use selfdata_energy::model::Holder;
    let lang = selfdata_energy::sources::Lang::from_code(t.lang);
    [Holder::Enedis, Holder::Grdf, Holder::Water]
        .into_iter()
        .map(|h| (t.fluid(h.fluid()), h.expected().sentence(lang)))
        .collect()
}

pub async fn dashboard(
    State(services): State<Arc<EnergyApp>>,
    chrome: Chrome,
    me: Resident,
    query: Result<Query<DashQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let t: &'static Texts = chrome.language().words();
    // A query that does not parse shows the default view rather than an error.
    let q = query.map(|Query(q)| q).unwrap_or_default();
    let started = std::time::Instant::now();
    let today = services.ctx.today();
    let mut books = Vec::with_capacity(3);
    for fluid in Fluid::ALL {
        match services.energy.book(&me.pod, fluid).await {
            Ok(b) => books.push(b),
            Err(e) => {
                tracing::error!(error = %e, pod = %me.pod, "the energy readings could not be loaded");
                return Err(PageError::new(StatusCode::INTERNAL_SERVER_ERROR, t.failed));
            }
        }
    }
    let fluid = q
        .fluid
        .as_deref()
        .and_then(Fluid::parse)
        .unwrap_or(Fluid::Electricity);
    let book = &books[Fluid::ALL.iter().position(|f| *f == fluid).unwrap_or(0)];
    let anchor = q
        .date
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .map(|d| d.clamp(jiff::civil::date(1970, 1, 1), today))
        .unwrap_or_else(|| {
            // By default the last day with readings, so the chart is not empty
            // on the first day of a month.
            book.main()
                .and_then(|m| m.last_day())
                .map_or(today, |d| d.min(today))
        });
    let view = View {
        fluid,
        scale: q
            .scale
            .as_deref()
            .and_then(Scale::parse)
            .unwrap_or(Scale::Month),
        unit: q
            .unit
            .as_deref()
            .and_then(Shown::parse)
            .filter(|u| Shown::of(fluid).contains(u))
            .unwrap_or(Shown::of(fluid)[0]),
        anchor,
    };
    let summaries: Vec<(Fluid, Value)> = Fluid::ALL
        .iter()
        .zip(&books)
        .map(|(f, b)| (*f, api::summary_json(b, today)))
        .collect();
    let summary = &summaries
        .iter()
        .find(|(f, _)| *f == fluid)
        .map(|(_, s)| s.clone())
        .unwrap_or_default();
    let chart = chart_view(t, &view, book, today);
    let tiles: Vec<Tile> = summaries
        .iter()
        .map(|(f, s)| tile(t, *f, s, &view))
        .collect();
    let first_steps = if tiles.iter().all(|x| x.empty) {
        first_steps(t)
    } else {
        Vec::new()
    };
    let scales = Scale::ALL
        .into_iter()
        .map(|scale| Choice {
            label: scale.name(t),
            href: View { scale, ..view }.href(),
            current: scale == view.scale,
        })
        .collect();
    let units = Shown::of(fluid)
        .iter()
        .map(|&unit| Choice {
            label: unit.symbol(),
            href: View { unit, ..view }.href(),
            current: unit == view.unit,
        })
        .collect();
    let html = DashboardPage {
        t,
        chrome,
        csrf: me.session.csrf.clone(),
        month: {
            // The tiles run to the last day with readings (see `summary_json`).
            let last = summaries
                .iter()
                .filter_map(|(_, s)| {
                    s["this_month_to"]
                        .as_str()?
                        .parse::<jiff::civil::Date>()
                        .ok()
                })
                .max()
                .and_then(|end| end.yesterday().ok())
                .unwrap_or(today);
            fill(
                t.this_month,
                &[("period", &t.span(last.first_of_month(), last))],
            )
        },
        alerts: alerts(t, &summaries),
        tiles,
        fluid: fluid.as_str(),
        fluid_name: t.fluid(fluid),
        scales,
        units,
        chart,
        stats: if fluid == Fluid::Electricity {
            electricity_stats(t, summary)
        } else {
            Vec::new()
        },
        coverage: coverage(t, summary),
        inbox: selfdata_service::jobs::inbox_files(&services.ctx, &me.pod).await,
        first_steps,
    }
    .render();
    let elapsed = started.elapsed();
    tracing::debug!(micros = elapsed.as_micros() as u64, "dashboard rendered");
    let mut response = page(StatusCode::OK, html);
    if let Ok(v) =
        HeaderValue::from_str(&format!("render;dur={:.2}", elapsed.as_secs_f64() * 1000.0))
    {
        response.headers_mut().insert("server-timing", v);
    }
    Ok(response)
}

// ------------------------------------------------------------------ the home card

/// The energy card of the resident's home page: this month against a year
/// earlier for each fluid with readings, and the alerts.
pub(crate) async fn card(
    services: &EnergyApp,
    me: &Resident,
    lang: selfdata_site::Lang,
) -> Option<selfdata_service::Card> {
    let t: &'static Texts = lang.words();
    let today = services.ctx.today();
    let mut summaries = Vec::with_capacity(3);
    for fluid in Fluid::ALL {
        match services.energy.book(&me.pod, fluid).await {
            Ok(book) => summaries.push((fluid, api::summary_json(&book, today))),
            Err(e) => {
                tracing::error!(error = %e, pod = %me.pod, "the energy readings could not be loaded")
            }
        }
    }
    let view = View {
        fluid: Fluid::Electricity,
        scale: Scale::Month,
        unit: Shown::Kwh,
        anchor: today,
    };
    let mut lines: Vec<String> = summaries
        .iter()
        .map(|(f, s)| tile(t, *f, s, &view))
        .filter(|tile| !tile.empty)
        .map(|tile| {
            let mut line = format!("{}{}", tile.name, t.colon);
            line.push_str(
                &tile
                    .value
                    .map(|v| v.text)
                    .unwrap_or_else(|| t.no_reading_this_month.to_owned()),
            );
            if let Some(change) = tile.change {
                line.push_str(&format!(" ({change})"));
            }
            line
        })
        .collect();
    let headline = if lines.is_empty() {
        t.no_readings.to_owned()
    } else {
        fill(
            t.this_month,
            &[("period", &t.span(today.first_of_month(), today))],
        )
    };
    lines.extend(alerts(t, &summaries).into_iter().map(|a| a.text));
    Some(selfdata_service::Card {
        title: t.energy_title,
        href: "/app/energy",
        headline,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn periods_and_their_neighbours() {
        let d = date(2026, 10, 15);
        assert_eq!(Scale::Day.period(d), (d, date(2026, 10, 16)));
        assert_eq!(
            Scale::Week.period(d),
            (date(2026, 10, 12), date(2026, 10, 19))
        );
        assert_eq!(
            Scale::Month.period(d),
            (date(2026, 10, 1), date(2026, 11, 1))
        );
        assert_eq!(Scale::Year.period(d), (date(2026, 1, 1), date(2027, 1, 1)));
        assert_eq!(Scale::Month.shift(date(2026, 3, 31), -1), date(2026, 2, 28));
        assert_eq!(Scale::Week.shift(d, 1), date(2026, 10, 22));
    }

    #[test]
    fn missing_days_are_listed_as_ranges() {
        let t = &crate::texts::EN;
        let days = vec![
            date(2026, 3, 5),
            date(2026, 3, 3),
            date(2026, 3, 4),
            date(2026, 10, 12),
        ];
        assert_eq!(day_ranges(t, days), "3–5 March 2026, 12 October 2026");
    }

    #[test]
    fn units_follow_the_fluid() {
        let v = View {
            fluid: Fluid::Water,
            scale: Scale::Month,
            unit: Shown::CubicMetres,
            anchor: date(2026, 10, 1),
        };
        assert_eq!(v.with_fluid(Fluid::Gas).unit, Shown::Kwh);
        let e = View {
            unit: Shown::Euros,
            ..v
        };
        assert_eq!(e.with_fluid(Fluid::Gas).unit, Shown::Euros);
        assert_eq!(
            v.href(),
            "/app/energy?fluid=water&scale=month&unit=m3&date=2026-10-01"
        );
    }
}

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
//! The page is built from [`view`] (what is shown: fluid, scale, unit, day),
//! [`figures`] (tiles, alerts, missing days) and [`chart_view`] (the chart
//! and its table).
//!
//! Every page is drawn in the site's layout (`selfdata_site`) and needs the
//! resident's sign-in session ([`Resident`]); the pod shown is the account's
//! first pod. Forms carry the session's CSRF token.

mod chart_view;
mod figures;
mod tariffs;
mod view;

use chart_view::*;
use figures::*;
pub(crate) use view::month_view_href;
use view::*;

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
use crate::texts::Texts;
use selfdata_site::chart::{self, Bar, BarChart, Legend};

/// The dashboard's routes.
pub fn routes() -> Router<Arc<EnergyApp>> {
    Router::new().route("/app/energy", get(dashboard)).route(
        "/app/energy/tariffs",
        get(tariffs::show).post(tariffs::save),
    )
}

// ------------------------------------------------------------------ shared

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
    /// Where the household stands among similar ones, for the fluid shown
    /// (another service compares: `Service::comparisons`).
    comparisons: Vec<selfdata_service::Comparison>,
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
    registry: Option<axum::Extension<selfdata_service::Registry>>,
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
    let comparisons = match registry {
        Some(axum::Extension(r)) => r
            .comparisons(&me.pod, chrome.language())
            .await
            .into_iter()
            .filter(|c| c.figure == fluid.as_str())
            .collect(),
        None => Vec::new(),
    };
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
        comparisons,
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

//! The owner's mobility page, in the shared layout (phone first, no script):
//! `GET /app/mobility?month=YYYY-MM` lists a month's trips (the month of the
//! latest trip by default) with mode, distance, duration and CO2, the month
//! by mode with each mode's share of the distance drawn, and the form that
//! sends location exports to the shared import job table; and the home card.
//! The figures come from the same trips and factors as the JSON API.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_mobility::co2::Factors;
use selfdata_mobility::model::{Mode, Trip};
use selfdata_site::{Chrome, Lang, PageError, Resident, count, fill, page};
use serde::Deserialize;

use crate::MobilityApp;
use crate::api::{between, co2_g};
use crate::texts::Texts;

#[derive(Debug, Deserialize)]
pub(crate) struct MonthQuery {
    month: Option<String>,
}

struct TripView {
    when: String,
    iso: String,
    mode: String,
    distance: String,
    duration: String,
    co2: String,
}

struct ModeLine {
    name: String,
    trips: String,
    distance: String,
    co2: String,
    /// Share of the month's distance, 0–100, drawn as a bar.
    share: u64,
}

#[derive(Template)]
#[template(path = "mobility_home.html")]
struct HomePage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    heading: String,
    trips: Vec<TripView>,
    modes: Vec<ModeLine>,
    months: Vec<(String, String, bool)>,
}

fn lang_of(t: &Texts) -> selfdata_sources::Lang {
    selfdata_sources::Lang::from_code(t.lang)
}

fn km(m: u64, lang: Lang) -> String {
    let tenths = (m + 50) / 100;
    let (units, dec) = (tenths / 10, tenths % 10);
    let sep = if lang == Lang::Fr { ',' } else { '.' };
    format!("{}{sep}{dec}\u{a0}km", count(units, lang))
}

fn grams(g: u64, lang: Lang) -> String {
    if g >= 1000 {
        let tenths = (g + 50) / 100;
        let sep = if lang == Lang::Fr { ',' } else { '.' };
        format!("{}{sep}{}\u{a0}kg", count(tenths / 10, lang), tenths % 10)
    } else {
        format!("{g}\u{a0}g")
    }
}

fn paris_date(t: i64) -> Option<Date> {
    jiff::Timestamp::from_second(t)
        .ok()
        .map(selfdata_sources::time::local_date)
}

fn mode_name(t: &Texts, m: Option<Mode>) -> String {
    m.map_or_else(
        || t.unknown_mode.to_owned(),
        |m| m.name(lang_of(t)).to_owned(),
    )
}

pub(crate) async fn home(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<MonthQuery>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let all = app
        .mobility
        .trips(&me.pod)
        .await
        .map_err(PageError::internal)?;
    let latest = all
        .last()
        .and_then(|tr| paris_date(tr.start))
        .unwrap_or_else(|| app.ctx.today());
    let month = q
        .month
        .as_deref()
        .and_then(|m| format!("{m}-01").parse::<Date>().ok())
        .unwrap_or(latest)
        .first_of_month();
    let next = month.checked_add(1.month()).unwrap_or(month);
    let in_month = between(&all, month, next);
    let factors = Factors::builtin();
    let trips = in_month
        .iter()
        .rev()
        .map(|tr| {
            let start = jiff::Timestamp::from_second(tr.start).ok();
            let local = start.map(|ts| {
                ts.to_zoned_datetime(selfdata_sources::time::paris())
                    .datetime()
            });
            TripView {
                when: local
                    .map(|d| {
                        format!(
                            "{:02}/{:02} {:02}:{:02}",
                            d.day(),
                            d.month(),
                            d.hour(),
                            d.minute()
                        )
                    })
                    .unwrap_or_default(),
                iso: start.map(|ts| ts.to_string()).unwrap_or_default(),
                mode: mode_name(t, tr.mode),
                distance: km(u64::from(tr.distance_m), lang),
                duration: format!("{}\u{a0}min", tr.duration_s() / 60),
                co2: co2_g(&factors, tr).map_or_else(|| "–".to_owned(), |g| grams(g, lang)),
            }
        })
        .collect();
    let total_m: u64 = in_month.iter().map(|tr| u64::from(tr.distance_m)).sum();
    let mut modes: Vec<ModeLine> = Mode::ALL
        .iter()
        .map(|m| Some(*m))
        .chain([None])
        .filter_map(|m| {
            let of: Vec<&Trip> = in_month.iter().filter(|tr| tr.mode == m).collect();
            if of.is_empty() {
                return None;
            }
            let dist: u64 = of.iter().map(|tr| u64::from(tr.distance_m)).sum();
            let co2: u64 = of.iter().filter_map(|tr| co2_g(&factors, tr)).sum();
            Some(ModeLine {
                name: mode_name(t, m),
                trips: count(of.len() as u64, lang),
                distance: km(dist, lang),
                co2: grams(co2, lang),
                share: dist * 100 / total_m.max(1),
            })
        })
        .collect();
    modes.sort_by_key(|l| std::cmp::Reverse(l.share));
    let mut months: Vec<Date> = all
        .iter()
        .filter_map(|tr| paris_date(tr.start).map(|d| d.first_of_month()))
        .collect();
    months.dedup();
    let heading = fill(
        t.trips_title,
        &[("period", &format!("{:02}/{}", month.month(), month.year()))],
    );
    Ok(page(
        StatusCode::OK,
        HomePage {
            t,
            chrome,
            csrf: me.session.csrf,
            heading,
            trips,
            modes,
            months: months
                .iter()
                .rev()
                .take(24)
                .map(|d| {
                    let key = format!("{:04}-{:02}", d.year(), d.month());
                    (
                        key.clone(),
                        format!("{:02}/{}", d.month(), d.year()),
                        *d == month,
                    )
                })
                .collect(),
        }
        .render(),
    ))
}

/// The home card: this month's trips.
pub(crate) async fn card(
    app: &MobilityApp,
    me: &Resident,
    lang: Lang,
) -> Option<selfdata_service::Card> {
    let t: &'static Texts = lang.words();
    let all = match app.mobility.trips(&me.pod).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "the trips could not be loaded");
            return None;
        }
    };
    let today = app.ctx.today();
    let month = today.first_of_month();
    let in_month = between(&all, month, today.tomorrow().unwrap_or(today));
    let factors = Factors::builtin();
    let headline = if all.is_empty() {
        t.card_empty.to_owned()
    } else {
        let dist: u64 = in_month.iter().map(|tr| u64::from(tr.distance_m)).sum();
        let co2: u64 = in_month.iter().filter_map(|tr| co2_g(&factors, tr)).sum();
        fill(
            t.card_month,
            &[
                ("n", &count(in_month.len() as u64, lang)),
                ("km", &km(dist, lang).replace("\u{a0}km", "")),
                ("co2", &grams(co2, lang)),
            ],
        )
    };
    Some(selfdata_service::Card {
        title: t.title,
        href: "/app/mobility",
        headline,
        lines: Vec::new(),
    })
}

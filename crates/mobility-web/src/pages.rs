//! The owner's mobility pages, in the shared layout (phone first, usable
//! without script). `GET /app/mobility?month=YYYY-MM` (the month of the
//! latest trip by default): the CO2 of the last twelve months drawn, the
//! month by mode with each mode's share drawn, what biking the short car
//! trips would save, the month week by week, its trips day by day (each day
//! opening its map, [`crate::day`]), the resident's car, and the import
//! form. The home card. `POST /app/mobility/settings` keeps the car. The
//! figures come from the same view as the JSON API.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use jiff::civil::{Date, DateTime};
use selfdata_mobility::co2::{self, Factors, Settings};
use selfdata_mobility::model::{Mode, Trip};
use selfdata_mobility::said;
use selfdata_site::chart::{self, Bar, BarChart, Legend, Locale};
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, count, fill, page};
use serde::Deserialize;

use crate::MobilityApp;
use crate::api::{between, co2_g};
use crate::texts::Texts;

#[derive(Debug, Deserialize)]
pub(crate) struct MonthQuery {
    month: Option<String>,
    settings: Option<String>,
}

pub(crate) struct TripView {
    pub when: String,
    pub iso: String,
    pub mode: String,
    pub distance: String,
    pub duration: String,
    pub co2: String,
}

struct ModeLine {
    name: String,
    trips: String,
    distance: String,
    co2: String,
    /// Share of the month's distance, 0–100, drawn as a bar.
    share: u64,
}

struct DayGroup {
    date: String,
    label: String,
    link: String,
    trips: Vec<TripView>,
}

struct WeekLine {
    label: String,
    trips: String,
    distance: String,
    co2: String,
}

#[derive(Template)]
#[template(path = "mobility_home.html")]
struct HomePage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    heading: String,
    days: Vec<DayGroup>,
    modes: Vec<ModeLine>,
    months: Vec<(String, String, bool)>,
    chart: String,
    chart_legend: String,
    what_if: Vec<String>,
    weeks: Vec<WeekLine>,
    electric: bool,
    occupancy: u8,
    saved: bool,
    any: bool,
}

fn lang_of(t: &Texts) -> selfdata_sources::Lang {
    selfdata_sources::Lang::from_code(t.lang)
}

pub(crate) fn km(m: u64, lang: Lang) -> String {
    let tenths = (m + 50) / 100;
    let (units, dec) = (tenths / 10, tenths % 10);
    let sep = if lang == Lang::Fr { ',' } else { '.' };
    format!("{}{sep}{dec}\u{a0}km", count(units, lang))
}

pub(crate) fn grams(g: u64, lang: Lang) -> String {
    if g >= 1000 {
        let tenths = (g + 50) / 100;
        let sep = if lang == Lang::Fr { ',' } else { '.' };
        format!("{}{sep}{}\u{a0}kg", count(tenths / 10, lang), tenths % 10)
    } else {
        format!("{g}\u{a0}g")
    }
}

pub(crate) fn local(t: i64) -> Option<DateTime> {
    jiff::Timestamp::from_second(t).ok().map(|ts| {
        ts.to_zoned_datetime(selfdata_sources::time::paris())
            .datetime()
    })
}

pub(crate) fn paris_date(t: i64) -> Option<Date> {
    local(t).map(|d| d.date())
}

pub(crate) fn mode_name(t: &Texts, m: Option<Mode>) -> String {
    m.map_or_else(
        || t.unknown_mode.to_owned(),
        |m| m.name(lang_of(t)).to_owned(),
    )
}

pub(crate) fn hhmm(t: i64) -> String {
    local(t)
        .map(|d| format!("{:02}:{:02}", d.hour(), d.minute()))
        .unwrap_or_default()
}

/// A day as a resident reads it: "lundi 3 mars" / "Monday 3 March".
pub(crate) fn day_label(d: Date, lang: Lang) -> String {
    let wd = d.weekday().to_monday_zero_offset();
    let (fr, en) = (
        [
            "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        ],
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ],
    );
    let month = selfdata_sources::Lang::from_code(lang.code()).month(d.month());
    match lang {
        Lang::Fr => format!("{} {} {month} {}", fr[wd as usize], d.day(), d.year()),
        Lang::En => format!("{} {} {month} {}", en[wd as usize], d.day(), d.year()),
    }
}

pub(crate) fn trip_view(t: &Texts, lang: Lang, settings: &Settings, tr: &Trip) -> TripView {
    let factors = Factors::builtin();
    let start = jiff::Timestamp::from_second(tr.start).ok();
    TripView {
        when: hhmm(tr.start),
        iso: start.map(|ts| ts.to_string()).unwrap_or_default(),
        mode: mode_name(t, tr.mode),
        distance: km(u64::from(tr.distance_m), lang),
        duration: format!("{}\u{a0}min", tr.duration_s() / 60),
        co2: co2_g(&factors, settings, tr).map_or_else(|| "–".to_owned(), |g| grams(g, lang)),
    }
}

fn month_key(d: Date) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

fn month_label(d: Date, lang: Lang) -> String {
    format!(
        "{} {}",
        selfdata_sources::Lang::from_code(lang.code()).month(d.month()),
        d.year()
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
    let view = app.view_of(&me).await?;
    let all = &view.trips;
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
    let in_month = between(all, month, next);
    let factors = Factors::builtin();
    let settings = &view.settings;

    // The month, day by day (latest first).
    let mut days: Vec<DayGroup> = Vec::new();
    for tr in in_month.iter().rev() {
        let Some(d) = paris_date(tr.start) else {
            continue;
        };
        let key = d.to_string();
        if days.last().is_none_or(|g| g.date != key) {
            days.push(DayGroup {
                label: day_label(d, lang),
                link: fill(t.day_link, &[("date", &day_label(d, lang))]),
                date: key,
                trips: Vec::new(),
            });
        }
        if let Some(g) = days.last_mut() {
            g.trips.push(trip_view(t, lang, settings, tr));
        }
    }

    // By mode.
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
            let co2: u64 = of
                .iter()
                .filter_map(|tr| co2_g(&factors, settings, tr))
                .sum();
            Some(ModeLine {
                name: mode_name(t, m),
                trips: if of.len() == 1 {
                    t.trip_one.to_owned()
                } else {
                    fill(t.trips_n, &[("n", &count(of.len() as u64, lang))])
                },
                distance: km(dist, lang),
                co2: grams(co2, lang),
                share: dist * 100 / total_m.max(1),
            })
        })
        .collect();
    modes.sort_by_key(|l| std::cmp::Reverse(l.share));

    // Twelve months of CO2, ending with the month shown.
    let first = month.checked_sub(11.months()).unwrap_or(month);
    let totals = co2::totals(between(all, first, next), &factors, settings);
    let bars: Vec<Bar> = (0..12)
        .filter_map(|i| first.checked_add(i.months()).ok())
        .map(|m| {
            let cell = totals.month((m.year(), m.month()));
            let label = month_label(m, lang);
            Bar {
                label: selfdata_sources::Lang::from_code(lang.code())
                    .month(m.month())
                    .chars()
                    .take(3)
                    .collect(),
                title: fill(
                    t.co2_bar,
                    &[
                        ("month", &label),
                        ("co2", &grams(cell.co2_g(), lang)),
                        ("km", &km(cell.distance_m, lang)),
                    ],
                ),
                value: (cell.trips > 0).then(|| cell.co2_g() as f64 / 1000.0),
                previous: None,
                partial: false,
                href: Some(format!("/app/mobility?month={}", month_key(m))),
            }
        })
        .collect();
    let desc = fill(t.co2_chart_desc, &[("n", "12")]);
    let drawn = BarChart {
        bars: &bars,
        unit: "kg",
        title: t.co2_chart_title,
        description: &desc,
        locale: if lang == Lang::Fr {
            Locale::Fr
        } else {
            Locale::En
        },
        highlight: Some(11),
        legend: Legend {
            bars: t.co2,
            ..Legend::default()
        },
        empty_text: t.no_co2,
    };

    // What if the short car trips were made by bike.
    let mut what_if: Vec<String> = co2::what_if(in_month, &factors, settings)
        .iter()
        .filter_map(|s| {
            let cell = s.by_month.get(&(month.year(), month.month()))?;
            (cell.trips > 0).then(|| {
                fill(
                    t.what_if,
                    &[
                        ("n", &count(u64::from(cell.trips), lang)),
                        ("km", &format!("{}\u{a0}km", s.limit_m / 1000)),
                        ("co2", &grams(cell.co2_g(), lang)),
                    ],
                )
            })
        })
        .collect();
    if what_if.is_empty() && !in_month.is_empty() {
        what_if.push(t.what_if_none.to_owned());
    }

    // Week by week (ISO weeks starting in or overlapping the month).
    let mut weeks: Vec<(Date, u32, u64, u64)> = Vec::new();
    for tr in in_month {
        let Some(d) = paris_date(tr.start) else {
            continue;
        };
        let monday = d
            .checked_sub(i64::from(d.weekday().to_monday_zero_offset()).days())
            .unwrap_or(d);
        if weeks.last().is_none_or(|w| w.0 != monday) {
            weeks.push((monday, 0, 0, 0));
        }
        if let Some(w) = weeks.last_mut() {
            w.1 += 1;
            w.2 += u64::from(tr.distance_m);
            w.3 += co2_g(&factors, settings, tr).unwrap_or(0);
        }
    }
    let weeks = weeks
        .into_iter()
        .map(|(monday, n, m, g)| WeekLine {
            label: fill(
                t.week_of,
                &[(
                    "date",
                    &format!("{:02}/{:02}", monday.day(), monday.month()),
                )],
            ),
            trips: count(u64::from(n), lang),
            distance: km(m, lang),
            co2: grams(g, lang),
        })
        .collect();

    let mut months: Vec<Date> = all
        .iter()
        .filter_map(|tr| paris_date(tr.start).map(|d| d.first_of_month()))
        .collect();
    months.dedup();
    let heading = fill(t.trips_title, &[("period", &month_label(month, lang))]);
    Ok(page(
        StatusCode::OK,
        HomePage {
            t,
            chrome,
            csrf: me.session.csrf,
            heading,
            days,
            modes,
            chart: chart::bar_chart(&drawn),
            chart_legend: chart::legend(&drawn),
            what_if,
            weeks,
            electric: settings.car_row == "car_electric",
            occupancy: settings.occupancy.max(1),
            saved: q.settings.is_some(),
            any: !all.is_empty(),
            months: months
                .iter()
                .rev()
                .take(24)
                .map(|d| (month_key(*d), month_label(*d, lang), *d == month))
                .collect(),
        }
        .render(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CarForm {
    car: String,
    occupancy: String,
}

/// `POST /app/mobility/settings`: the resident's car.
pub(crate) async fn settings(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<CarForm>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let occupancy = form
        .occupancy
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|n| (1..=said::MAX_OCCUPANCY).contains(n));
    let (Some(occupancy), true) = (occupancy, said::CAR_ROWS.contains(&form.car.as_str())) else {
        return PageError::new(StatusCode::BAD_REQUEST, t.bad_form).into_response();
    };
    match app.mobility.set_car(&me.pod, &form.car, occupancy).await {
        Ok(()) => Redirect::to("/app/mobility?settings=saved#car").into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

/// The home card: this month's trips.
pub(crate) async fn card(
    app: &MobilityApp,
    me: &Resident,
    lang: Lang,
) -> Option<selfdata_service::Card> {
    let t: &'static Texts = lang.words();
    let view = match app.mobility.view(&me.pod).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "the trips could not be loaded");
            return None;
        }
    };
    let today = app.ctx.today();
    let month = today.first_of_month();
    let in_month = between(&view.trips, month, today.tomorrow().unwrap_or(today));
    let factors = Factors::builtin();
    let headline = if view.trips.is_empty() {
        t.card_empty.to_owned()
    } else {
        let dist: u64 = in_month.iter().map(|tr| u64::from(tr.distance_m)).sum();
        let co2: u64 = in_month
            .iter()
            .filter_map(|tr| co2_g(&factors, &view.settings, tr))
            .sum();
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

//! A day on the map: `GET /app/mobility/day?date=YYYY-MM-DD` draws the
//! day's trips and the named places they touch (SVG, no tiles: [`crate::map`])
//! and lists the trips with where they went, and a form on each to say its
//! right mode; `POST /app/mobility/trips/mode` keeps that correction, and
//! similar trips (same ends, similar distance) follow.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use selfdata_mobility::geo::distance_m;
use selfdata_mobility::model::Mode;
use selfdata_mobility::places::PLACE_RADIUS_M;
use selfdata_site::{
    Chrome, CsrfForm, Lang, PageError, Resident, count, fill, page_showing_images_from,
};
use serde::Deserialize;

use crate::MobilityApp;
use crate::api::between;
use crate::map::{self, Line, Pin};
use crate::mobility::View;
use crate::pages::{TripView, day_label, hhmm, km, mode_name, trip_view};
use crate::texts::Texts;

#[derive(Debug, Deserialize)]
pub(crate) struct DayQuery {
    date: Option<String>,
    done: Option<usize>,
    mode: Option<String>,
}

struct DayTrip {
    view: TripView,
    from: String,
    to: String,
    start: i64,
    end: i64,
    mode: Option<&'static str>,
    colour: &'static str,
    sure: String,
    dashed: bool,
}

#[derive(Template)]
#[template(path = "mobility_day.html")]
struct DayPage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    heading: String,
    date: String,
    prev: String,
    next: String,
    map: Option<String>,
    trips: Vec<DayTrip>,
    legend: Vec<(String, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    done: Option<String>,
    any_dashed: bool,
}

/// The resident's name of the place at `p`, if they gave one there.
fn place_name(view: &View, p: (i32, i32)) -> Option<String> {
    view.places
        .places
        .iter()
        .enumerate()
        .filter(|(_, pl)| distance_m((pl.lat_e7, pl.lon_e7), p) <= PLACE_RADIUS_M)
        .find_map(|(i, _)| view.name(i).map(str::to_owned))
}

pub(crate) async fn show(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<DayQuery>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let view = app.view_of(&me).await?;
    let date = q
        .date
        .as_deref()
        .and_then(|d| d.parse::<Date>().ok())
        .or_else(|| {
            view.trips
                .last()
                .and_then(|tr| crate::pages::paris_date(tr.start))
        })
        .unwrap_or_else(|| app.ctx.today());
    let next = date.tomorrow().unwrap_or(date);
    let prev = date.yesterday().unwrap_or(date);
    let of_day = between(&view.trips, date, next);
    let lines: Vec<Line> = of_day
        .iter()
        .map(|tr| Line {
            path: &tr.path,
            from: tr.from,
            to: tr.to,
            mode: tr.mode,
            label: format!(
                "{}–{}, {}, {}",
                hhmm(tr.start),
                hhmm(tr.end),
                mode_name(t, tr.mode),
                km(u64::from(tr.distance_m), lang)
            ),
        })
        .collect();
    let mut pins: Vec<Pin> = Vec::new();
    for p in of_day.iter().flat_map(|tr| [tr.from, tr.to]) {
        if let Some(name) = place_name(&view, p)
            && !pins.iter().any(|x| x.label == name)
        {
            pins.push(Pin {
                pos: p,
                label: name,
            });
        }
    }
    let heading = fill(t.day_title, &[("date", &day_label(date, lang))]);
    let map = map::svg(
        &lines,
        &pins,
        &heading,
        &format!(
            "{} {}",
            fill(t.day_map_desc, &[("n", &count(of_day.len() as u64, lang))]),
            map::backdrop_note(t, app.tiles.as_ref())
        ),
        app.tiles.as_ref(),
    );
    let mut legend: Vec<(String, &'static str)> = Vec::new();
    for tr in of_day {
        let name = mode_name(t, tr.mode);
        if !legend.iter().any(|(n, _)| *n == name) {
            legend.push((name, map::colour(tr.mode)));
        }
    }
    let somewhere = || t.somewhere.to_owned();
    let trips: Vec<DayTrip> = of_day
        .iter()
        .map(|tr| DayTrip {
            view: trip_view(t, lang, &view.settings, tr),
            from: place_name(&view, tr.from).unwrap_or_else(somewhere),
            to: place_name(&view, tr.to).unwrap_or_else(somewhere),
            start: tr.start,
            end: tr.end,
            mode: tr.mode.map(Mode::as_str),
            colour: map::colour(tr.mode),
            sure: fill(t.confidence, &[("n", &tr.confidence.to_string())]),
            dashed: tr.path.len() < 2,
        })
        .collect();
    let sel = selfdata_sources::Lang::from_code(lang.code());
    let done = q.done.map(|n| {
        let mode = q
            .mode
            .as_deref()
            .and_then(Mode::parse)
            .map_or_else(String::new, |m| m.name(sel).to_lowercase());
        if n == 1 {
            fill(t.corrected_one, &[("mode", &mode)])
        } else {
            fill(
                t.corrected,
                &[("n", &count(n as u64, lang)), ("mode", &mode)],
            )
        }
    });
    let images = app.tiles.as_ref().map(map::Tiles::origin);
    Ok(page_showing_images_from(
        StatusCode::OK,
        DayPage {
            t,
            chrome,
            csrf: me.session.csrf,
            heading,
            date: date.to_string(),
            prev: prev.to_string(),
            next: next.to_string(),
            map,
            any_dashed: trips.iter().any(|x| x.dashed),
            trips,
            legend,
            modes: Mode::ALL
                .iter()
                .map(|m| (m.as_str(), m.name(sel)))
                .collect(),
            done,
        }
        .render(),
        images,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModeForm {
    start: i64,
    end: i64,
    mode: String,
}

/// `POST /app/mobility/trips/mode`: the resident's word on a trip's mode.
pub(crate) async fn correct(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<ModeForm>,
) -> Response {
    let lang: Lang = chrome.language();
    let t: &'static Texts = lang.words();
    let Some(mode) = Mode::parse(&form.mode) else {
        return PageError::new(StatusCode::BAD_REQUEST, t.bad_form).into_response();
    };
    match app
        .mobility
        .correct(&me.pod, form.start, form.end, mode)
        .await
    {
        Ok(Some(n)) => {
            let date = crate::pages::paris_date(form.start)
                .map(|d| d.to_string())
                .unwrap_or_default();
            Redirect::to(&format!(
                "/app/mobility/day?date={date}&done={n}&mode={}",
                mode.as_str()
            ))
            .into_response()
        }
        Ok(None) => PageError::new(StatusCode::NOT_FOUND, t.no_trip).into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

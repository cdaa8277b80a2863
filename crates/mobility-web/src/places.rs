//! Frequent places: `GET /app/mobility/places` draws the places found in
//! the stays between trips (no tiles, [`crate::map`]) and lists each with
//! its name (or the suggestion "home?" / "work?"), visits, days, time spent
//! in all and over the last four weeks; `POST /app/mobility/places/name`
//! keeps the name the resident gives one. Places are shown to the owner
//! only: no API serves them and no address is looked up.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use selfdata_mobility::said;
use selfdata_site::{Chrome, CsrfForm, PageError, Resident, count, fill, page_showing_images_from};
use serde::Deserialize;

use crate::MobilityApp;
use crate::map::{self, Pin};
use crate::texts::Texts;

#[derive(Debug, Deserialize)]
pub(crate) struct PlacesQuery {
    done: Option<String>,
}

struct PlaceLine {
    label: String,
    /// "Name for {place}", for the field's label.
    name_label: String,
    name: String,
    lat: i32,
    lon: i32,
    visits: String,
    days: String,
    hours: String,
    weeks: Vec<String>,
}

#[derive(Template)]
#[template(path = "mobility_places.html")]
struct PlacesPage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    map: Option<String>,
    places: Vec<PlaceLine>,
    weeks: Vec<String>,
    done: bool,
}

/// At most this many places are listed (the most time first).
const SHOWN: usize = 30;

fn hours(s: u64, t: &Texts, lang: selfdata_site::Lang) -> String {
    fill(t.hours, &[("n", &count((s + 1800) / 3600, lang))])
}

pub(crate) async fn show(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<PlacesQuery>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let view = app.view_of(&me).await?;
    // The last four ISO weeks up to the latest trip.
    let latest = view
        .trips
        .last()
        .and_then(|tr| crate::pages::paris_date(tr.start))
        .unwrap_or_else(|| app.ctx.today());
    let weeks: Vec<(i16, i8)> = (0..4)
        .rev()
        .filter_map(|i| latest.checked_sub((7 * i).days()).ok())
        .map(|d| {
            let w = d.iso_week_date();
            (w.year(), w.week())
        })
        .collect();
    let places: Vec<PlaceLine> = view
        .places
        .places
        .iter()
        .enumerate()
        .take(SHOWN)
        .map(|(i, p)| {
            let name = view.name(i).unwrap_or("").to_owned();
            let label = if !name.is_empty() {
                name.clone()
            } else if view.places.home.is_some_and(|g| g.place == i) {
                t.maybe_home.to_owned()
            } else if view.places.work.is_some_and(|g| g.place == i) {
                t.maybe_work.to_owned()
            } else {
                fill(t.place_n, &[("n", &(i + 1).to_string())])
            };
            PlaceLine {
                name_label: fill(t.name_label, &[("place", &label)]),
                label,
                name,
                lat: p.lat_e7,
                lon: p.lon_e7,
                visits: count(u64::from(p.visits), lang),
                days: count(u64::from(p.days), lang),
                hours: hours(p.seconds, t, lang),
                weeks: weeks
                    .iter()
                    .map(|w| hours(p.per_week.get(w).copied().unwrap_or(0), t, lang))
                    .collect(),
            }
        })
        .collect();
    let pins: Vec<Pin> = places
        .iter()
        .map(|p| Pin {
            pos: (p.lat, p.lon),
            label: p.label.clone(),
        })
        .collect();
    let map = map::svg(
        &[],
        &pins,
        t.places_title,
        &format!(
            "{} {}",
            fill(
                t.places_map_desc,
                &[("n", &count(places.len() as u64, lang))],
            ),
            map::backdrop_note(t, app.tiles.as_ref())
        ),
        app.tiles.as_ref(),
    );
    let images = app.tiles.as_ref().map(map::Tiles::origin);
    Ok(page_showing_images_from(
        StatusCode::OK,
        PlacesPage {
            t,
            chrome,
            csrf: me.session.csrf,
            map,
            places,
            weeks: weeks
                .iter()
                .map(|(y, w)| format!("{} {w:02} ({y})", if t.lang == "fr" { "S" } else { "W" }))
                .collect(),
            done: q.done.is_some(),
        }
        .render(),
        images,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameForm {
    lat: i32,
    lon: i32,
    name: String,
}

/// `POST /app/mobility/places/name`: the resident names a place (empty forgets it).
pub(crate) async fn name(
    State(app): State<Arc<MobilityApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<NameForm>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    if form.lat.unsigned_abs() > 900_000_000
        || form.lon.unsigned_abs() > 1_800_000_000
        || form.name.chars().count() > said::MAX_NAME * 4
    {
        return PageError::new(StatusCode::BAD_REQUEST, t.bad_form).into_response();
    }
    match app
        .mobility
        .name_place(&me.pod, (form.lat, form.lon), &form.name)
        .await
    {
        Ok(()) => Redirect::to("/app/mobility/places?done=named").into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

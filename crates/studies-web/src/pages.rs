//! The studies pages: the list, one study, and each action's form.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use selfdata_service::Registry;
use selfdata_site::chart::{Bar, BarChart, Legend, Locale, bar_chart};
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, Say, count, fill, page};
use selfdata_studies::catalogue::{self, CATALOGUE};
use selfdata_studies::governance::Stage;
use serde::Deserialize;

use crate::study::{PURPOSES, Proposal, Refusal, Study};
use crate::{StudiesApp, Texts};

#[derive(Debug, Deserialize, Default)]
pub(crate) struct Done {
    done: Option<String>,
}

pub(crate) fn refused(r: Refusal) -> PageError {
    match r {
        Refusal::Say(s) => PageError::say(StatusCode::BAD_REQUEST, s),
        Refusal::Store(e) => PageError::internal(e),
    }
}

/// A day at Paris.
fn day(ms: i64, lang: Lang) -> String {
    let Ok(t) = Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let z = t.to_zoned_datetime(selfdata_sources::time::paris());
    match lang {
        Lang::Fr => z.strftime("%d/%m/%Y").to_string(),
        Lang::En => z.strftime("%Y-%m-%d").to_string(),
    }
}

fn month(study: &Study, lang: Lang) -> String {
    match lang {
        Lang::Fr => study.month.strftime("%m/%Y").to_string(),
        Lang::En => study.month.strftime("%Y-%m").to_string(),
    }
}

pub(crate) fn stage_words(t: &Texts, stage: Stage) -> &'static str {
    match stage {
        Stage::Proposed => t.stage_proposed,
        Stage::Voting => t.stage_voting,
        Stage::Approved => t.stage_approved,
        Stage::Refused => t.stage_refused,
        Stage::Collecting => t.stage_collecting,
        Stage::Published => t.stage_published,
        Stage::Withheld => t.stage_withheld,
    }
}

fn contribution_words(study: &Study, lang: Lang) -> String {
    study
        .contribution()
        .map(|c| match lang {
            Lang::Fr => c.fr,
            Lang::En => c.en,
        })
        .unwrap_or_default()
        .to_owned()
}

struct Line {
    id: String,
    title: String,
    organisation: String,
    stage: &'static str,
}

struct Section {
    heading: &'static str,
    lines: Vec<Line>,
}

/// One option of a `<select>`.
pub(crate) struct Choice {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
    pub(crate) current: bool,
}

/// The options of a list of keys and their words, `current` selected.
pub(crate) fn choices(
    list: &[(&'static str, Say)],
    current: Option<&str>,
    lang: Lang,
) -> Vec<Choice> {
    list.iter()
        .map(|(k, s)| Choice {
            value: k,
            label: s.in_(lang),
            current: current == Some(*k),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "studies.html")]
struct ListPage<'a> {
    t: &'static Texts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    sections: Vec<Section>,
    researcher: bool,
    purposes: Vec<Choice>,
    contributions: Vec<Choice>,
    last_month: String,
}

/// `GET /app/studies`.
pub(crate) async fn list(
    State(app): State<Arc<StudiesApp>>,
    chrome: Chrome,
    r: Resident,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let studies = app.all().await.map_err(PageError::internal)?;
    let line = |s: &Study| Line {
        id: s.id.clone(),
        title: s.title.clone(),
        organisation: s.organisation.clone(),
        stage: stage_words(t, s.stage),
    };
    let pick = |stages: &[Stage]| -> Vec<Line> {
        studies
            .iter()
            .filter(|s| stages.contains(&s.stage))
            .map(line)
            .collect()
    };
    let today = app.ctx.today();
    let last_month = today
        .first_of_month()
        .saturating_sub(jiff::Span::new().months(1))
        .strftime("%Y-%m")
        .to_string();
    let notice = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("proposed") => Some(t.done_proposed),
        _ => None,
    };
    Ok(page(
        StatusCode::OK,
        ListPage {
            t,
            csrf: &r.session.csrf,
            notice,
            sections: vec![
                Section {
                    heading: t.to_vote,
                    lines: pick(&[Stage::Voting]),
                },
                Section {
                    heading: t.open,
                    lines: pick(&[Stage::Approved]),
                },
                Section {
                    heading: t.waiting,
                    lines: pick(&[Stage::Proposed]),
                },
                Section {
                    heading: t.results,
                    lines: pick(&[Stage::Published, Stage::Collecting]),
                },
                Section {
                    heading: t.closed,
                    lines: pick(&[Stage::Refused, Stage::Withheld]),
                },
            ],
            researcher: app.has_role(r.account.id, "researcher").await,
            purposes: choices(&PURPOSES, None, lang),
            contributions: CATALOGUE
                .iter()
                .map(|c| Choice {
                    value: c.id,
                    label: match lang {
                        Lang::Fr => c.fr,
                        Lang::En => c.en,
                    },
                    current: false,
                })
                .collect(),
            last_month,
            chrome,
        }
        .render(),
    ))
}

#[derive(Template)]
#[template(path = "study.html")]
struct StudyPage<'a> {
    t: &'static Texts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<&'static str>,
    s: &'a Study,
    stage: &'static str,
    purpose: &'static str,
    contribution: String,
    month: String,
    min_group: String,
    decision: Option<String>,
    reason: Option<String>,
    vote_result: Option<String>,
    vote_carried: Option<bool>,
    can_vote: bool,
    voted: bool,
    can_join: bool,
    joined: bool,
    join_consent: String,
    participants: String,
    steward: bool,
    can_decide: bool,
    can_close_vote: bool,
    can_collect: bool,
    no_aggregators: bool,
    contributors: Option<String>,
    chart: Option<String>,
    chart_caption: String,
    noise: Option<String>,
    withheld: bool,
}

/// `GET /app/studies/{id}`.
pub(crate) async fn show(
    State(app): State<Arc<StudiesApp>>,
    chrome: Chrome,
    r: Resident,
    Path(id): Path<String>,
    done: Result<Query<Done>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let Some(s) = app.load(&id).await.map_err(PageError::internal)? else {
        return Err(PageError::new(StatusCode::NOT_FOUND, t.err_no_study));
    };
    let steward = app.has_role(r.account.id, "steward").await;
    let voted = app
        .registry
        .has_voted(&id, r.account.id)
        .await
        .map_err(PageError::internal)?;
    let joined = app
        .registry
        .participation(&id, r.pod.as_str())
        .await
        .map_err(PageError::internal)?
        .is_some();
    let participants = app
        .registry
        .participants(&id)
        .await
        .map_err(PageError::internal)?
        .len() as u64;
    let decision = s.decision.as_ref().map(|d| {
        fill(
            if d.approved {
                t.approved_by
            } else {
                t.refused_by
            },
            &[("who", t.steward_title), ("when", &day(d.at_ms, lang))],
        )
    });
    let chart = s.result.as_ref().zip(s.contribution()).map(|(result, c)| {
        band_chart(
            c,
            &result.counts,
            lang,
            &s.title,
            t.chart_desc,
            None,
            Legend::default(),
        )
    });
    let notice = match done.ok().and_then(|Query(d)| d.done).as_deref() {
        Some("proposed") => Some(t.done_proposed),
        Some("decided") => Some(t.done_decided),
        Some("voted") => Some(t.done_voted),
        Some("joined") => Some(t.done_joined),
        Some("left") => Some(t.done_left),
        Some("collecting") => Some(t.done_collecting),
        Some("vote-closed") => Some(t.done_vote_closed),
        _ => None,
    };
    let purpose = PURPOSES
        .iter()
        .find(|(term, _)| *term == s.purpose)
        .map(|(_, say)| say.in_(lang))
        .unwrap_or_default();
    Ok(page(
        StatusCode::OK,
        StudyPage {
            t,
            csrf: &r.session.csrf,
            notice,
            stage: stage_words(t, s.stage),
            purpose,
            contribution: contribution_words(&s, lang),
            month: month(&s, lang),
            min_group: count(s.min_group, lang),
            reason: s.decision.as_ref().map(|d| d.reason.clone()),
            decision,
            vote_result: s.vote.as_ref().map(|v| {
                fill(
                    t.vote_result,
                    &[
                        ("yes", &count(v.yes, lang)),
                        ("no", &count(v.no, lang)),
                        ("members", &count(v.members, lang)),
                    ],
                )
            }),
            vote_carried: s.vote.as_ref().map(|v| v.carried),
            can_vote: s.stage == Stage::Voting && !voted,
            voted,
            can_join: s.stage == Stage::Approved && !joined,
            joined,
            join_consent: fill(
                t.join_consent,
                &[
                    ("what", &contribution_words(&s, lang).to_lowercase()),
                    ("month", &month(&s, lang)),
                    ("who", &s.organisation),
                ],
            ),
            participants: fill(t.participants, &[("n", &count(participants, lang))]),
            can_decide: steward && s.stage == Stage::Proposed,
            can_close_vote: steward && s.stage == Stage::Voting,
            can_collect: steward
                && matches!(s.stage, Stage::Approved | Stage::Collecting)
                && app.aggregators.is_some(),
            no_aggregators: steward && s.stage == Stage::Approved && app.aggregators.is_none(),
            steward,
            contributors: s
                .result
                .as_ref()
                .map(|r| fill(t.contributors, &[("n", &count(r.contributors, lang))])),
            chart,
            chart_caption: fill(
                t.chart_caption,
                &[("unit", s.contribution().map(|c| c.unit).unwrap_or_default())],
            ),
            noise: s.epsilon_milli.map(|e| {
                let e = format!("{}", f64::from(e) / 1000.0);
                fill(
                    t.noise,
                    &[(
                        "e",
                        &match lang {
                            Lang::Fr => e.replace('.', ","),
                            Lang::En => e,
                        },
                    )],
                )
            }),
            withheld: s.stage == Stage::Withheld,
            chrome,
            s: &s,
        }
        .render(),
    ))
}

/// Households per band of a contribution, drawn; every fourth band's lower
/// bound labelled so the labels fit a phone; `highlight` marks one band.
pub(crate) fn band_chart(
    c: &catalogue::Contribution,
    counts: &[u64],
    lang: Lang,
    title: &str,
    description: &str,
    highlight: Option<usize>,
    legend: Legend<'_>,
) -> String {
    let t: &'static Texts = lang.words();
    let bars: Vec<Bar> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| Bar {
            label: if i % 4 == 0 {
                c.bounds(i).0.to_string()
            } else {
                String::new()
            },
            title: format!(
                "{}{}{} {}",
                c.label(i),
                t.colon,
                count(*n, lang),
                t.households
            ),
            value: Some(*n as f64),
            ..Bar::default()
        })
        .collect();
    bar_chart(&BarChart {
        bars: &bars,
        unit: "",
        title,
        description,
        locale: match lang {
            Lang::Fr => Locale::Fr,
            Lang::En => Locale::En,
        },
        highlight,
        legend,
        empty_text: t.none,
    })
}

fn back_to(id: &str, done: &str) -> Response {
    Redirect::to(&format!("/app/studies/{id}?done={done}")).into_response()
}

/// `POST /app/studies/propose`.
pub(crate) async fn propose(
    State(app): State<Arc<StudiesApp>>,
    CsrfForm { resident, form }: CsrfForm<Proposal>,
) -> Result<Response, PageError> {
    let study = app
        .propose(resident.account.id, &form)
        .await
        .map_err(refused)?;
    Ok(back_to(&study.id, "proposed"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct DecideForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `POST /app/studies/{id}/decide`.
pub(crate) async fn decide(
    State(app): State<Arc<StudiesApp>>,
    Path(id): Path<String>,
    CsrfForm { resident, form }: CsrfForm<DecideForm>,
) -> Result<Response, PageError> {
    app.decide(
        resident.account.id,
        &resident.account.email,
        &id,
        form.decision == "approve",
        &form.reason,
    )
    .await
    .map_err(refused)?;
    Ok(back_to(&id, "decided"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct VoteForm {
    choice: String,
}

/// `POST /app/studies/{id}/vote`.
pub(crate) async fn vote(
    State(app): State<Arc<StudiesApp>>,
    Path(id): Path<String>,
    CsrfForm { resident, form }: CsrfForm<VoteForm>,
) -> Result<Response, PageError> {
    let yes = match form.choice.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Err(PageError::form_unreadable()),
    };
    app.vote(resident.account.id, &id, yes)
        .await
        .map_err(refused)?;
    Ok(back_to(&id, "voted"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Nothing {}

/// `POST /app/studies/{id}/close-vote`.
pub(crate) async fn close_vote(
    State(app): State<Arc<StudiesApp>>,
    Path(id): Path<String>,
    CsrfForm { resident, .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    app.close_vote(resident.account.id, &id)
        .await
        .map_err(refused)?;
    Ok(back_to(&id, "vote-closed"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct JoinForm {
    #[serde(default)]
    consent: Option<String>,
}

/// `POST /app/studies/{id}/join`.
pub(crate) async fn join(
    State(app): State<Arc<StudiesApp>>,
    chrome: Chrome,
    Path(id): Path<String>,
    CsrfForm { resident, form }: CsrfForm<JoinForm>,
) -> Result<Response, PageError> {
    if form.consent.as_deref() != Some("yes") {
        let t: &'static Texts = chrome.language().words();
        return Err(PageError::new(StatusCode::BAD_REQUEST, t.err_consent));
    }
    app.join(&resident.pod, &id).await.map_err(refused)?;
    Ok(back_to(&id, "joined"))
}

/// `POST /app/studies/{id}/leave`.
pub(crate) async fn leave(
    State(app): State<Arc<StudiesApp>>,
    Path(id): Path<String>,
    CsrfForm { resident, .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    app.leave(&resident.pod, &id).await.map_err(refused)?;
    Ok(back_to(&id, "left"))
}

/// `POST /app/studies/{id}/collect`.
pub(crate) async fn collect(
    State(app): State<Arc<StudiesApp>>,
    Extension(services): Extension<Registry>,
    Path(id): Path<String>,
    CsrfForm { resident, .. }: CsrfForm<Nothing>,
) -> Result<Response, PageError> {
    app.start_collection(resident.account.id, &id, services)
        .await
        .map_err(refused)?;
    Ok(back_to(&id, "collecting"))
}

/// The bands of a contribution, for the open data.
pub(crate) fn bands(study: &Study) -> Vec<(String, u64, Option<u64>, u64)> {
    let (Some(c), Some(result)) = (catalogue::contribution(&study.contribution), &study.result)
    else {
        return Vec::new();
    };
    result
        .counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let (from, to) = c.bounds(i);
            (c.label(i), from, to, *n)
        })
        .collect()
}

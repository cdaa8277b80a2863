//! One organisation of the directory (`/app/privacy/organisations/{key}`,
//! `key` the one `selfdata_archives::key` groups its names by): everything
//! the pod says it holds and how we know (each piece of evidence in plain
//! words, since when), where that comes from (the archive or the delivery
//! kept in the pod), what the resident asked it and what came of it, and
//! what they can do next:
//!
//! - write an article 15 (access) or 21 (objection to direct marketing and
//!   profiling) letter for it: the form posts to the rights page's one
//!   letter ([`super::requests`]), which writes it to the organisation's
//!   holder in the registry (added under its name if absent), with the
//!   identifiers the pod knows there;
//! - mark what happened (`POST …/{key}/status`, CSRF-checked): a request
//!   sent on a date (its answer due a month later), the request answered,
//!   the data erased. Marks are requests of `selfdata/rights/requests.json`
//!   kept with the organisation's key, written in the pod's turn,
//!   and shown here, on the rights page and, as a short status, on the
//!   directory;
//! - say it is the same as another entry (`POST …/{key}/merge`, `into`), or
//!   take one of its names apart (`POST …/{key}/split`, `name`), both
//!   CSRF-checked and kept in the resident's choices ([`super::choices`]).
//!
//! A person given access has no letter and no marks. An unknown key (not in
//! this resident's directory) is a 404 page in words; a key merged into
//! another entry leads to that entry's page. After each change the
//! directory's document in the pod is written again ([`super::document`]).

use std::convert::Infallible;
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::civil::Date;
use selfdata_service::Registry;
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, Say, fill, page};
use selfdata_store::PodName;
use serde::Deserialize;

use super::choices::{ChoicesError, SplitRefused};
use super::organisations::{Organisation, Origin, directory, holds};
use super::requests::{
    Mark, Sent, SentView, apply, article_of, requests_sent, sent_to, sent_view, update_requests,
};
use super::texts::PrivacyTexts;
use crate::PrivacyApp;
use crate::when::{self, month};

/// The address of the organisation `key`'s page (the key percent-encoded:
/// it may hold any letter, and a stored one anything).
pub(crate) fn page_of(key: &str) -> String {
    let mut out = String::from("/app/privacy/organisations/");
    for b in key.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a form posted about the organisation `key` sends the resident
/// back: its page, saying what was `done`, at the part it changed.
pub(crate) fn after_form(key: &str, done: &str) -> Response {
    let done: String = done
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect();
    let part = match done.as_str() {
        "merged" | "split" => "names",
        _ => "status",
    };
    Redirect::to(&format!("{}?done={done}#{part}", page_of(key))).into_response()
}

/// The entry of `all` that `key` leads to: the one keyed so, else the one
/// it was merged into (or whose name in another language has it).
pub(crate) fn pick<'a>(all: &'a [Organisation], key: &str) -> Option<&'a Organisation> {
    if key.is_empty() {
        return None;
    }
    all.iter()
        .find(|o| o.key == key)
        .or_else(|| all.iter().find(|o| o.keys.iter().any(|k| k == key)))
}

/// The organisation `key` of the resident's directory.
pub(crate) async fn find(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
    lang: Lang,
    key: &str,
) -> Option<Organisation> {
    pick(&directory(app, registry, pod, lang).await, key).cloned()
}

/// The page for a key that is not in the resident's directory.
pub(crate) fn unknown() -> PageError {
    PageError::say(
        StatusCode::NOT_FOUND,
        Say::new(
            "Cet organisme n’est pas dans votre liste. Revenez à la liste des organismes qui détiennent des données sur vous pour le retrouver.",
            "This organisation is not in your list. Go back to the list of organisations that hold data on you to find it.",
        ),
    )
}

/// Where a request stands, in a few words, and whether its answer is late.
pub(crate) fn short_status(s: &Sent, today: Date, lang: Lang) -> (String, bool) {
    let t: &'static OrganisationTexts = lang.words();
    let due = super::requests::due(s.sent);
    if let Some(d) = s.erased {
        (fill(t.st_erased, &[("date", &d.to_string())]), false)
    } else if let Some(d) = s.answered {
        (fill(t.st_answered, &[("date", &d.to_string())]), false)
    } else {
        let late = due < today;
        let blanks = [("sent", s.sent.to_string()), ("due", due.to_string())];
        let blanks: Vec<(&str, &str)> = blanks.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let said = if late { t.st_overdue } else { t.st_asked };
        (fill(said, &blanks), late)
    }
}

/// Where what we know of an organisation comes from, in sentences, from
/// the origin of each thing known: each archive that names it (as kept in
/// the pod), then each delivery to the pod it published, unless all its
/// files are those archives. What a service says comes from the files it
/// was given; its own sentence says how.
fn origins(o: &Organisation, lang: Lang) -> Vec<String> {
    let t: &'static OrganisationTexts = lang.words();
    let p: &'static PrivacyTexts = lang.words();
    let archives: Vec<&str> = o
        .known
        .iter()
        .filter_map(|k| match &k.origin {
            Origin::Archive { kept, .. } => Some(kept.as_str()),
            _ => None,
        })
        .collect();
    let mut seen: Vec<&Origin> = Vec::new();
    let mut out = Vec::new();
    for k in &o.known {
        if seen.contains(&&k.origin) {
            continue;
        }
        seen.push(&k.origin);
        match &k.origin {
            Origin::Archive {
                platform,
                kept,
                imported,
                ..
            } => out.push(fill(
                t.from_archive,
                &[
                    ("platform", platform),
                    ("date", &imported.map(when::date).unwrap_or_default()),
                    ("kept", kept),
                ],
            )),
            Origin::Delivery {
                folder,
                themes,
                updated,
                originals,
            } => {
                if !originals.is_empty() && originals.iter().all(|f| archives.contains(&f.as_str()))
                {
                    continue;
                }
                let mut what: Vec<String> =
                    themes.iter().map(|x| super::theme_name(p, x)).collect();
                what.sort();
                out.push(fill(
                    t.from_delivery,
                    &[
                        ("what", &what.join(", ")),
                        ("date", &updated.map(when::date).unwrap_or_default()),
                        ("n", &selfdata_site::count(originals.len() as u64, lang)),
                        ("folder", folder),
                    ],
                ));
            }
            Origin::Service(_) => {}
        }
    }
    out
}

struct EvidenceView {
    how: String,
    holds: String,
    when: String,
}

/// A name grouped under the entry.
struct NameView {
    name: String,
    key_name: String,
    /// It came in through the resident's merge.
    merged: bool,
    /// It can be taken apart.
    can_split: bool,
}

#[derive(Template)]
#[template(path = "privacy_organisation.html")]
struct OrganisationPage<'a> {
    t: &'static OrganisationTexts,
    p: &'static PrivacyTexts,
    chrome: Chrome,
    csrf: &'a str,
    key: &'a str,
    action: String,
    name: String,
    holds: String,
    since: String,
    evidence: Vec<EvidenceView>,
    origins: Vec<String>,
    status: String,
    overdue: bool,
    requests: Vec<SentView>,
    /// A request is there to mark answered or erased.
    open: bool,
    answered: bool,
    notice: Option<&'static str>,
    error: Option<String>,
    email: String,
    today: String,
    /// A person given access: no letter, no marks.
    person: bool,
    sector: &'static str,
    names: Vec<NameView>,
    /// Every other entry (key, name), to say this one is the same.
    others: Vec<(String, String)>,
    merge_action: String,
    split_action: String,
}

/// The page of `o`, an entry of `all`.
#[allow(clippy::too_many_arguments)]
async fn render(
    app: &PrivacyApp,
    chrome: Chrome,
    r: &Resident,
    all: &[Organisation],
    o: &Organisation,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let lang = chrome.language();
    let t: &'static OrganisationTexts = lang.words();
    let p: &'static PrivacyTexts = lang.words();
    let today = app.ctx.today();
    let evidence = o
        .known
        .iter()
        .map(|k| EvidenceView {
            how: k.how.clone(),
            holds: holds(&k.categories, lang),
            when: match (
                k.first.map(|t| month(t, lang)),
                k.last.map(|t| month(t, lang)),
            ) {
                (Some(a), Some(b)) if a != b => fill(t.from_to, &[("first", &a), ("last", &b)]),
                (Some(a), _) => fill(t.in_month, &[("month", &a)]),
                (None, Some(b)) => fill(t.in_month, &[("month", &b)]),
                (None, None) => String::new(),
            },
        })
        .collect();
    let origins = origins(o, lang);
    let own = o
        .names
        .iter()
        .filter(|g| g.base == o.key && !g.person)
        .map(|g| g.key_name.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let names = o
        .names
        .iter()
        .map(|g| NameView {
            name: g.name.clone(),
            key_name: g.key_name.clone(),
            merged: g.base != o.key,
            can_split: g.base != o.key || (own > 1 && !g.person),
        })
        .collect();
    let others = all
        .iter()
        .filter(|x| x.key != o.key)
        .map(|x| (x.key.clone(), x.name.clone()))
        .collect();
    let sent = requests_sent(app, &r.pod).await;
    let mine = sent_to(&sent, &o.keys);
    let latest = mine.first().map(|(_, s)| *s);
    let (status_said, overdue) = latest
        .map(|s| short_status(s, today, lang))
        .unwrap_or_else(|| (t.st_none.to_owned(), false));
    let requests = mine
        .iter()
        .map(|(i, s)| sent_view(p, lang.code(), *i, s, today))
        .collect();
    let page_html = OrganisationPage {
        t,
        p,
        csrf: &r.session.csrf,
        key: &o.key,
        action: format!("{}/status", page_of(&o.key)),
        holds: holds(&o.categories(), lang),
        since: o.since().map(|t| month(t, lang)).unwrap_or_default(),
        name: o.name.clone(),
        evidence,
        origins,
        status: status_said,
        overdue,
        requests,
        open: latest.is_some_and(|s| s.erased.is_none()),
        answered: latest.is_some_and(|s| s.answered.is_some()),
        notice,
        error,
        email: r.account.email.clone(),
        today: today.to_string(),
        person: o.person,
        sector: o.sector.name(lang),
        names,
        others,
        merge_action: format!("{}/merge", page_of(&o.key)),
        split_action: format!("{}/split", page_of(&o.key)),
        chrome,
    }
    .render();
    page(status, page_html)
}

#[derive(Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /app/privacy/organisations/{key}` (`?done=` says which mark was
/// just recorded).
pub(crate) async fn show(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    r: Resident,
    Path(key): Path<String>,
    q: Result<Query<Done>, QueryRejection>,
) -> Response {
    let t: &'static OrganisationTexts = chrome.language().words();
    let all = directory(&app, &registry, &r.pod, chrome.language()).await;
    let Some(o) = pick(&all, &key) else {
        return unknown().into_response();
    };
    let done = q.map(|Query(d)| d.done).unwrap_or_default();
    if o.key != key {
        // Merged into another entry since: its page is that one's.
        return after_form(&o.key, &done);
    }
    let notice = match done.as_str() {
        "asked" => Some(t.done_asked),
        "answered" => Some(t.done_answered),
        "erased" => Some(t.done_erased),
        "merged" => Some(t.done_merged),
        "split" => Some(t.done_split),
        _ => None,
    };
    render(&app, chrome, &r, &all, o, StatusCode::OK, notice, None).await
}

/// A mark posted from the organisation's page.
#[derive(Deserialize, Default)]
pub(crate) struct MarkForm {
    /// `asked`, `answered` or `erased`.
    #[serde(default)]
    what: String,
    /// The article asked under (`asked` only).
    #[serde(default)]
    article: String,
    /// `YYYY-MM-DD`; today when empty.
    #[serde(default)]
    date: String,
}

/// `POST /app/privacy/organisations/{key}/status`: records a request sent
/// to the organisation, or that the latest one was answered or the data
/// erased, then shows its page again.
pub(crate) async fn mark(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    Path(key): Path<String>,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<MarkForm>,
) -> Response {
    let lang = chrome.language();
    let t: &'static OrganisationTexts = lang.words();
    let p: &'static PrivacyTexts = lang.words();
    let all = directory(&app, &registry, &r.pod, lang).await;
    let Some(o) = pick(&all, &key) else {
        return unknown().into_response();
    };
    if o.person {
        let said = p.rq_person.to_owned();
        return render(
            &app,
            chrome,
            &r,
            &all,
            o,
            StatusCode::BAD_REQUEST,
            None,
            Some(said),
        )
        .await;
    }
    let today = app.ctx.today();
    let date = match f.date.trim() {
        "" => Ok(today),
        d => d.parse::<Date>().map_err(|_| p.rq_bad_date.to_owned()),
    }
    .and_then(|d| {
        if d > today {
            Err(t.future.to_owned())
        } else {
            Ok(d)
        }
    });
    let outcome = match (f.what.as_str(), date) {
        (_, Err(e)) => Ok(Err(e)),
        ("asked", Ok(date)) => {
            let sent = Sent {
                holder: o.name.clone(),
                article: article_of(&f.article),
                lang: lang.code().to_owned(),
                sent: date,
                answered: None,
                erased: None,
                organisation: Some(o.key.clone()),
            };
            update_requests(&app, &r.pod, |list| {
                list.push(sent);
                Ok::<(), String>(())
            })
            .await
        }
        (what @ ("answered" | "erased"), Ok(date)) => {
            let mark = if what == "answered" {
                Mark::Answered
            } else {
                Mark::Erased
            };
            update_requests(&app, &r.pod, |list| {
                let Some(i) = sent_to(list, &o.keys).first().map(|(i, _)| *i) else {
                    return Err(t.ask_first.to_owned());
                };
                apply(&mut list[i], mark, date)
                    .map_err(|sent| fill(p.rq_before_sent, &[("date", &sent.to_string())]))
            })
            .await
        }
        _ => return PageError::form_unreadable().into_response(),
    };
    match outcome {
        Ok(Ok(())) => {
            super::document::publish_after_change(&app, &registry, &r.pod).await;
            after_form(&o.key, &f.what)
        }
        Ok(Err(e)) => {
            render(
                &app,
                chrome,
                &r,
                &all,
                o,
                StatusCode::BAD_REQUEST,
                None,
                Some(e),
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e, "recording a mark failed");
            let failed = p.failed.to_owned();
            render(
                &app,
                chrome,
                &r,
                &all,
                o,
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(failed),
            )
            .await
        }
    }
}

/// "This is the same as…", posted from an organisation's page.
#[derive(Deserialize, Default)]
pub(crate) struct MergeForm {
    /// The key of the entry it is the same as.
    #[serde(default)]
    into: String,
}

/// A name to take apart, posted from an organisation's page.
#[derive(Deserialize, Default)]
pub(crate) struct SplitForm {
    /// The name as it is keyed (a person's WebID).
    #[serde(default)]
    name: String,
}

/// What a change of the resident's choices came to.
enum Changed {
    /// Done: the page to go to, and what was done.
    Done(String, &'static str),
    /// Refused, in words.
    Refused(StatusCode, String),
}

/// `POST /app/privacy/organisations/{key}/merge` (`into`, CSRF-checked):
/// the organisation `key` is the same as `into`. Then `into`'s page.
pub(crate) async fn merge(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    Path(key): Path<String>,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<MergeForm>,
) -> Response {
    let lang = chrome.language();
    let t: &'static OrganisationTexts = lang.words();
    let all = directory(&app, &registry, &r.pod, lang).await;
    let (Some(from), Some(into)) = (pick(&all, &key), pick(&all, f.into.trim())) else {
        return unknown().into_response();
    };
    let changed = if from.key == into.key {
        Ok(Ok(Changed::Refused(
            StatusCode::BAD_REQUEST,
            t.same_entry.to_owned(),
        )))
    } else {
        let now = jiff::Timestamp::now();
        super::choices::update(&app, &r.pod, |c| {
            c.merge(from, into, now);
            Ok::<_, Infallible>(Changed::Done(into.key.clone(), "merged"))
        })
        .await
    };
    after_choice(&app, &registry, chrome, &r, &all, from, changed).await
}

/// `POST /app/privacy/organisations/{key}/split` (`name`, CSRF-checked):
/// the name is taken apart from the organisation `key`. Then the page of
/// the entry the name is in now.
pub(crate) async fn split(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    Path(key): Path<String>,
    CsrfForm {
        resident: r,
        form: f,
    }: CsrfForm<SplitForm>,
) -> Response {
    let lang = chrome.language();
    let t: &'static OrganisationTexts = lang.words();
    let all = directory(&app, &registry, &r.pod, lang).await;
    let Some(o) = pick(&all, &key) else {
        return unknown().into_response();
    };
    let changed = match o.names.iter().find(|g| g.key_name == f.name) {
        None => Ok(Ok(Changed::Refused(
            StatusCode::BAD_REQUEST,
            t.not_grouped.to_owned(),
        ))),
        Some(name) => {
            let taken: Vec<String> = all.iter().flat_map(|x| x.keys.clone()).collect();
            let now = jiff::Timestamp::now();
            super::choices::update(&app, &r.pod, |c| {
                Ok::<_, Infallible>(match c.split(o, name, &taken, now) {
                    Ok(k) => Changed::Done(k, "split"),
                    Err(SplitRefused::Alone) => {
                        Changed::Refused(StatusCode::BAD_REQUEST, t.split_alone.to_owned())
                    }
                    Err(SplitRefused::NotHere) => {
                        Changed::Refused(StatusCode::BAD_REQUEST, t.not_grouped.to_owned())
                    }
                })
            })
            .await
        }
    };
    after_choice(&app, &registry, chrome, &r, &all, o, changed).await
}

/// The answer to a merge or a split of `o` (an entry of `all`).
async fn after_choice(
    app: &PrivacyApp,
    registry: &Registry,
    chrome: Chrome,
    r: &Resident,
    all: &[Organisation],
    o: &Organisation,
    changed: Result<Result<Changed, Infallible>, ChoicesError>,
) -> Response {
    let t: &'static OrganisationTexts = chrome.language().words();
    let p: &'static PrivacyTexts = chrome.language().words();
    match changed {
        Ok(Ok(Changed::Done(key, done))) => {
            super::document::publish_after_change(app, registry, &r.pod).await;
            after_form(&key, done)
        }
        Ok(Ok(Changed::Refused(status, said))) => {
            render(app, chrome, r, all, o, status, None, Some(said)).await
        }
        Ok(Err(never)) => match never {},
        Err(ChoicesError::Unreadable(e)) => {
            tracing::warn!(pod = %r.pod, error = %e, "the directory's choices cannot be read");
            render(
                app,
                chrome,
                r,
                all,
                o,
                StatusCode::CONFLICT,
                None,
                Some(t.choices_unreadable.to_owned()),
            )
            .await
        }
        Err(ChoicesError::Store(e)) => {
            tracing::error!(error = %e, "the directory's choices could not be written");
            let failed = p.failed.to_owned();
            render(
                app,
                chrome,
                r,
                all,
                o,
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(failed),
            )
            .await
        }
    }
}

/// The organisation page's sentences.
#[derive(Debug)]
pub struct OrganisationTexts {
    pub colon: &'static str,
    pub holds: &'static str,
    pub since: &'static str,
    pub evidence_title: &'static str,
    /// `{first}`, `{last}`: months.
    pub from_to: &'static str,
    /// `{month}`.
    pub in_month: &'static str,
    pub origins_title: &'static str,
    /// `{platform}`, `{date}`, `{kept}` (the archive's path in the pod).
    pub from_archive: &'static str,
    /// `{what}`, `{date}`, `{n}`, `{folder}`.
    pub from_delivery: &'static str,
    pub status_title: &'static str,
    pub st_none: &'static str,
    /// `{sent}`, `{due}`.
    pub st_asked: &'static str,
    /// `{sent}`, `{due}`.
    pub st_overdue: &'static str,
    /// `{date}`.
    pub st_answered: &'static str,
    /// `{date}`.
    pub st_erased: &'static str,
    pub act_title: &'static str,
    pub act_intro: &'static str,
    pub mark_title: &'static str,
    pub mark_asked: &'static str,
    pub mark_asked_button: &'static str,
    pub answered_on: &'static str,
    pub erased_on: &'static str,
    pub mark_answered_button: &'static str,
    pub mark_erased_button: &'static str,
    pub done_asked: &'static str,
    pub done_answered: &'static str,
    pub done_erased: &'static str,
    pub ask_first: &'static str,
    pub future: &'static str,
    pub back: &'static str,
    pub sector: &'static str,
    pub names_title: &'static str,
    pub names_intro: &'static str,
    /// After a name the resident merged here.
    pub merged_here: &'static str,
    pub split_button: &'static str,
    pub same_as: &'static str,
    pub choose: &'static str,
    pub same_as_hint: &'static str,
    pub merge_button: &'static str,
    pub done_merged: &'static str,
    pub done_split: &'static str,
    pub split_alone: &'static str,
    pub not_grouped: &'static str,
    pub same_entry: &'static str,
    pub choices_unreadable: &'static str,
}

pub static EN: OrganisationTexts = OrganisationTexts {
    colon: ": ",
    holds: "Holds",
    since: "Since",
    evidence_title: "How we know",
    from_to: "from {first} to {last}",
    in_month: "in {month}",
    origins_title: "Where this comes from",
    from_archive: "Your {platform} archive, imported on {date}, kept as received in your pod ({kept}).",
    from_delivery: "Delivered to your pod: {what}, updated on {date}; files kept as received: {n} ({folder}).",
    status_title: "What you asked them",
    st_none: "You have not asked them anything yet.",
    st_asked: "Asked on {sent}; answer due by {due}.",
    st_overdue: "Asked on {sent}; overdue since {due}.",
    st_answered: "Answered on {date}.",
    st_erased: "Your data erased on {date}.",
    act_title: "Ask them",
    act_intro: "Ask what they hold on you (article 15), or object to their use of your data for advertising and profiling (article 21). The letter is written for you with their name and what your pod knows of you there; you send it yourself, then record the date here.",
    mark_title: "Mark what happened",
    mark_asked: "I sent them a request",
    mark_asked_button: "Record the request",
    answered_on: "They answered on",
    erased_on: "They erased my data on",
    mark_answered_button: "They answered",
    mark_erased_button: "They erased my data",
    done_asked: "The request was recorded; the answer is due within a month.",
    done_answered: "Recorded: they answered.",
    done_erased: "Recorded: they erased your data.",
    ask_first: "Record the request you sent them first.",
    future: "That date is still to come.",
    back: "Back to the organisations",
    sector: "Sector",
    names_title: "Its names",
    names_intro: "These names were taken for one organisation. If one of them is another organisation, take it apart: it becomes an entry of its own.",
    merged_here: "put together by you",
    split_button: "Take apart",
    same_as: "This is the same organisation as",
    choose: "Choose an organisation",
    same_as_hint: "Both become one entry: everything known of either, and the requests you recorded for either. You can take it apart again.",
    merge_button: "Put together",
    done_merged: "Put together: everything known of both is here. To undo it, take its name apart below.",
    done_split: "Taken apart: this is an entry of its own now. To put it back, say below which organisation it is the same as.",
    split_alone: "This is the only name of this organisation: there is nothing to take it apart from.",
    not_grouped: "That name is not grouped here any more; the page was refreshed.",
    same_entry: "That is this organisation already.",
    choices_unreadable: "Your choices on this list (selfdata/directory/choices.ttl in your pod) cannot be read, so nothing was changed. Correct or delete that file, then try again.",
};

pub static FR: OrganisationTexts = OrganisationTexts {
    colon: "\u{a0}: ",
    holds: "Détient",
    since: "Depuis",
    evidence_title: "Comment nous le savons",
    from_to: "de {first} à {last}",
    in_month: "en {month}",
    origins_title: "D’où cela vient",
    from_archive: "Votre archive {platform}, importée le {date}, conservée telle que reçue dans votre espace ({kept}).",
    from_delivery: "Déposé dans votre espace\u{a0}: {what}, mis à jour le {date}\u{a0}; fichiers conservés tels que reçus\u{a0}: {n} ({folder}).",
    status_title: "Ce que vous leur avez demandé",
    st_none: "Vous ne leur avez encore rien demandé.",
    st_asked: "Demandé le {sent}\u{a0}; réponse attendue au plus tard le {due}.",
    st_overdue: "Demandé le {sent}\u{a0}; en retard depuis le {due}.",
    st_answered: "Réponse reçue le {date}.",
    st_erased: "Vos données effacées le {date}.",
    act_title: "Leur demander",
    act_intro: "Demandez ce qu’ils détiennent sur vous (article 15), ou opposez-vous à l’utilisation de vos données pour la publicité et le profilage (article 21). La lettre est rédigée pour vous avec leur nom et ce que votre espace sait de vous chez eux\u{a0}; vous l’envoyez vous-même, puis notez ici la date d’envoi.",
    mark_title: "Noter ce qui s’est passé",
    mark_asked: "Je leur ai envoyé une demande",
    mark_asked_button: "Enregistrer la demande",
    answered_on: "Ils ont répondu le",
    erased_on: "Ils ont effacé mes données le",
    mark_answered_button: "Ils ont répondu",
    mark_erased_button: "Ils ont effacé mes données",
    done_asked: "La demande est enregistrée\u{a0}; la réponse est attendue dans un délai d’un mois.",
    done_answered: "C’est noté\u{a0}: ils ont répondu.",
    done_erased: "C’est noté\u{a0}: ils ont effacé vos données.",
    ask_first: "Enregistrez d’abord la demande que vous leur avez envoyée.",
    future: "Cette date n’est pas encore arrivée.",
    back: "Retour aux organismes",
    sector: "Secteur",
    names_title: "Ses noms",
    names_intro: "Ces noms ont été pris pour un seul organisme. Si l’un d’eux est un autre organisme, séparez-le\u{a0}: il devient une entrée à part.",
    merged_here: "regroupé par vous",
    split_button: "Séparer",
    same_as: "C’est le même organisme que",
    choose: "Choisissez un organisme",
    same_as_hint: "Les deux deviennent une seule entrée\u{a0}: tout ce que l’on sait de l’un et de l’autre, et les demandes que vous avez notées pour l’un ou l’autre. Vous pourrez les séparer de nouveau.",
    merge_button: "Regrouper",
    done_merged: "Regroupés\u{a0}: tout ce que l’on sait des deux est ici. Pour annuler, séparez son nom ci-dessous.",
    done_split: "Séparé\u{a0}: c’est maintenant une entrée à part. Pour le regrouper de nouveau, indiquez ci-dessous de quel organisme il s’agit.",
    split_alone: "C’est le seul nom de cet organisme\u{a0}: il n’y a rien dont le séparer.",
    not_grouped: "Ce nom n’est plus regroupé ici\u{a0}; la page a été actualisée.",
    same_entry: "C’est déjà cet organisme.",
    choices_unreadable: "Vos choix sur cette liste (selfdata/directory/choices.ttl dans votre espace) ne peuvent pas être lus\u{a0}: rien n’a été modifié. Corrigez ou supprimez ce fichier, puis réessayez.",
};

selfdata_site::words!(OrganisationTexts, FR, EN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_becomes_one_path_segment() {
        assert_eq!(
            page_of("creditagricole"),
            "/app/privacy/organisations/creditagricole"
        );
        assert_eq!(
            page_of("a/b c?é"),
            "/app/privacy/organisations/a%2Fb%20c%3F%C3%A9"
        );
    }

    #[test]
    fn the_short_status_follows_the_latest_mark() {
        let mut s = Sent {
            holder: "Acme".into(),
            article: 21,
            lang: "en".into(),
            sent: jiff::civil::date(2025, 1, 31),
            answered: None,
            erased: None,
            organisation: Some("acme".into()),
        };
        let on = |y, m, d| jiff::civil::date(y, m, d);
        assert_eq!(
            short_status(&s, on(2025, 2, 10), Lang::En),
            (
                "Asked on 2025-01-31; answer due by 2025-02-28.".into(),
                false
            )
        );
        assert_eq!(
            short_status(&s, on(2025, 3, 1), Lang::En),
            (
                "Asked on 2025-01-31; overdue since 2025-02-28.".into(),
                true
            )
        );
        s.answered = Some(on(2025, 3, 2));
        assert_eq!(
            short_status(&s, on(2025, 3, 5), Lang::En).0,
            "Answered on 2025-03-02."
        );
        s.erased = Some(on(2025, 3, 4));
        assert_eq!(
            short_status(&s, on(2025, 3, 5), Lang::Fr).0,
            "Vos données effacées le 2025-03-04."
        );
    }
}

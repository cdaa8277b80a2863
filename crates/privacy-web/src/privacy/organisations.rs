//! The directory of organisations that hold data on the resident
//! (`/app/privacy/organisations`): one entry per organisation, names
//! grouped by `selfdata_archives::key` (case, accents, legal forms,
//! aliases) and then as the resident chose ([`super::choices`]: merged,
//! taken apart), each with what it is known to hold (DPV personal data
//! categories in plain words), how we know and where that was read
//! ([`Origin`]), from the evidence documents the archive intake writes
//! (`selfdata/directory/evidence/*.ttl`), the source description of every
//! holder that delivered data to the pod (keyed by its one
//! language-independent name, shown in the page's), and what every service
//! knows through the registry (`Service::organisations`: money's payees
//! and subscriptions, the apps and people given access). A person (a WebID)
//! is never grouped with an organisation by name. Searchable (`?q=`), in
//! sections by sector (`?by=sector`, [`super::sector`]), exported as CSV
//! (`/app/privacy/organisations.csv`, with the latest request's status), and
//! kept in the pod as an open document ([`super::document`], brought up to
//! date by `POST …/refresh`). Each name leads to the organisation's page
//! ([`super::organisation`]); an organisation asked something shows where
//! the request stands.
//!
//! `gather` reads (the IO), `build` groups (pure): what the directory
//! costs is measured by `examples/directory.rs`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use selfdata_service::Registry;
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, Say, page};
use selfdata_store::PodName;

#[cfg(test)]
use super::choices::SplitRefused;
use super::choices::{self, Choices, ChoicesError, Ref};
use super::sector::{self, Sector};
use super::sources::{first_value, key_name, name_in, names_of, source_descriptions};
use crate::PrivacyApp;
use crate::vocab::DCT;
use crate::when::{self, month};

/// One thing known about an organisation, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    /// How we know, in the page's language ("uploaded a list with your details to Facebook").
    pub how: String,
    /// DPV personal data categories (local names under `pd:`).
    pub categories: Vec<String>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    /// Where it was read.
    pub origin: Origin,
    /// The sector its source names (a service may; see [`super::sector`]).
    pub sector: Option<Sector>,
}

/// Where something known about an organisation was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The evidence document of an archive.
    Archive {
        /// The document (path from the pod root, no leading slash).
        document: String,
        /// Whose archive ("Facebook", "Google Takeout").
        platform: String,
        /// The archive as kept in the pod (path from the pod root, no
        /// leading slash).
        kept: String,
        /// When its evidence was written: the import.
        imported: Option<Timestamp>,
    },
    /// The source description of a holder that delivered data to the pod.
    Delivery {
        /// The holder's folder (path from the pod root, no leading slash).
        folder: String,
        /// Its themes (the last segment of each theme IRI).
        themes: Vec<String>,
        /// When it was last updated.
        updated: Option<Timestamp>,
        /// The files kept as received (paths from the pod root, no leading
        /// slash; an IRI outside the pod as written).
        originals: Vec<String>,
    },
    /// A service of the registry (its id): what it knows, in its words.
    Service(&'static str),
}

/// An organisation of the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// The grouping key.
    pub key: String,
    /// Every key that leads to it: its own, the keys merged into it, and
    /// the key of each of its names in every language that no other entry
    /// has (a request recorded under any of them is one of its requests).
    pub keys: Vec<String>,
    /// The name shown: the one most sources write.
    pub name: String,
    /// Each name grouped here, once.
    pub names: Vec<Grouped>,
    /// A person given access (a WebID), not an organisation: nobody to
    /// write a letter to.
    pub person: bool,
    pub sector: Sector,
    pub known: Vec<Known>,
    /// How a choice names this entry: one of its names whose key is the
    /// entry's.
    pub anchor: Ref,
}

/// One name grouped under an entry of the directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grouped {
    /// As shown, in the page's language.
    pub name: String,
    /// The one name it is keyed by whatever the language (a person's WebID).
    pub key_name: String,
    /// Its key before merges.
    pub base: String,
    pub person: bool,
}

impl Organisation {
    /// Every category held, once, in order.
    pub fn categories(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in self.known.iter().flat_map(|k| &k.categories) {
            if !out.contains(c) {
                out.push(c.clone());
            }
        }
        out
    }

    /// The earliest time known.
    pub fn since(&self) -> Option<Timestamp> {
        self.known.iter().filter_map(|k| k.first).min()
    }
}

/// The categories `c` in plain words, joined: what the directory, an
/// organisation's page and the export say it holds.
pub fn holds(c: &[String], lang: Lang) -> String {
    c.iter()
        .map(|c| category_words(c, lang))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A DPV category in plain words.
pub fn category_words(c: &str, lang: Lang) -> String {
    let (fr, en) = match c {
        "Contact" => (
            "vos coordonnées (e-mail, téléphone)",
            "your contact details (e-mail, phone)",
        ),
        "BrowsingBehavior" => (
            "ce que vous faites sur leur site ou leur application",
            "what you do on their site or app",
        ),
        "Location" => (
            "vos passages dans leurs magasins",
            "your visits to their shops",
        ),
        "PurchasesAndSpendingHabit" => ("vos achats", "your purchases"),
        "ServiceConsumptionBehavior" => (
            "votre usage de leurs services",
            "your use of their services",
        ),
        "Behavioral" => (
            "votre activité ou vos informations",
            "your activity or information",
        ),
        "Delivered" => (
            "les données qu’ils vous ont remises",
            "the data they gave you",
        ),
        "Identifying" => ("votre nom", "your name"),
        "Financial" => (
            "vos coordonnées bancaires (carte ou IBAN)",
            "your payment details (card or IBAN)",
        ),
        "Transactional" => ("vos paiements", "your payments"),
        "Pod" => (
            "tout ce que contient votre espace",
            "everything in your pod",
        ),
        "Shared" => ("ce que vous leur avez partagé", "what you shared with them"),
        other => (other, other),
    };
    match lang {
        Lang::Fr => fr.to_owned(),
        Lang::En => en.to_owned(),
    }
}

/// An IRI of the pod whose root is `base` as a path from the root (no
/// leading slash); any other as written.
fn in_pod(base: &str, iri: String) -> String {
    match iri.strip_prefix(base) {
        Some(path) => path.to_owned(),
        None => iri,
    }
}

/// The grouping key of a person given access: the consent records' id for
/// a person (`person-` and a digest of their WebID), with a `-` that
/// [`selfdata_archives::key`] never writes, so no organisation's name
/// meets it.
pub(crate) fn person_key(webid: &str) -> String {
    selfdata_consent::id_for(selfdata_consent::Kind::Person, webid)
}

/// One source's word on an organisation, before names are grouped.
pub(crate) struct Item {
    /// The name it is keyed by whatever the language (a person's WebID).
    key_name: String,
    /// The name shown, in the page's language.
    name: String,
    /// Every name it has, in every language.
    names: Vec<String>,
    /// A person given access (a WebID), never grouped by name.
    person: bool,
    known: Known,
}

/// Every organisation known to hold data on the resident of `pod`, by name:
/// from the archives' evidence, the holders' deliveries, and every service
/// of `registry`, grouped as the resident chose ([`super::choices`]; as
/// grouped by name when the choices cannot be read).
pub async fn directory(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
    lang: Lang,
) -> Vec<Organisation> {
    directory_and_choices(app, registry, pod, lang).await.0
}

/// [`directory`], and why the resident's choices were left out when they
/// could not be read.
pub(crate) async fn directory_and_choices(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
    lang: Lang,
) -> (Vec<Organisation>, Option<ChoicesError>) {
    let items = gather(app, registry, pod, lang).await;
    let (choices, error) = match choices::load(app, pod).await {
        Ok(c) => (c, None),
        Err(e) => {
            tracing::warn!(pod = %pod, error = %e, "the directory's choices could not be read");
            (Choices::default(), Some(e))
        }
    };
    (build(items, &choices), error)
}

/// What every source says of organisations holding data on the resident.
pub(crate) async fn gather(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
    lang: Lang,
) -> Vec<Item> {
    let mut found: Vec<Item> = Vec::new();
    let base = format!("{}/{}/", app.ctx.base_url(), pod);
    for doc in super::evidence::documents(app, pod).await {
        for row in &doc.rows {
            found.push(Item {
                key_name: row.name.clone(),
                name: row.name.clone(),
                names: vec![row.name.clone()],
                person: false,
                known: Known {
                    how: match lang {
                        Lang::En => row.how_en.clone(),
                        Lang::Fr => row.how_fr.clone(),
                    },
                    categories: row.categories.clone(),
                    first: row.first,
                    last: row.last,
                    origin: doc.origin.clone(),
                    sector: None,
                },
            });
        }
    }
    for d in source_descriptions(app, pod).await {
        let Some(publisher) = d.publisher() else {
            continue;
        };
        // Keyed by one name whatever the language, shown in the page's.
        let Some(key_name) = key_name(&d.graph, publisher) else {
            continue;
        };
        let name = name_in(&d.graph, publisher, lang).unwrap_or_else(|| key_name.clone());
        let period = selfdata_sources::describe::period_of(&d.body, &d.iri);
        let origin = Origin::Delivery {
            folder: d.folder.as_str().trim_start_matches('/').to_owned(),
            themes: d.themes(),
            updated: first_value(&d.graph, d.subject(), &format!("{DCT}modified"))
                .and_then(|v| v.parse().ok()),
            originals: d
                .originals()
                .into_iter()
                .map(|i| in_pod(&base, i))
                .collect(),
        };
        let how = match lang {
            Lang::Fr => {
                "vous a remis une copie de données qu’il détient sur vous (dans votre espace)"
            }
            Lang::En => "gave you a copy of data it holds on you (in your pod)",
        };
        found.push(Item {
            key_name,
            name,
            names: names_of(&d.graph, publisher)
                .into_iter()
                .map(|(_, n)| n)
                .collect(),
            person: false,
            known: Known {
                how: how.to_owned(),
                categories: vec!["Delivered".to_owned()],
                first: period.map(|p| p.0),
                last: period.map(|p| p.1),
                origin,
                sector: None,
            },
        });
    }
    for service in registry.services() {
        let origin = Origin::Service(service.id());
        for o in service.organisations(pod, lang).await {
            found.push(Item {
                key_name: o.name.clone(),
                name: o.name.clone(),
                names: vec![o.name],
                person: o.person,
                known: Known {
                    how: o.how,
                    categories: o.categories,
                    first: o.first,
                    last: o.last,
                    origin: origin.clone(),
                    sector: o.sector,
                },
            });
        }
    }
    found
}

/// The directory: `items` grouped by key, their keys as `choices` say
/// (names taken apart keyed on their own, merged keys followed).
pub(crate) fn build(items: Vec<Item>, choices: &Choices) -> Vec<Organisation> {
    let merged = choices.merged();
    let base = |i: &Item| {
        if i.person {
            person_key(&i.key_name)
        } else {
            choices.base_of_name(&i.key_name)
        }
    };
    // Every key some name has, before merges: a name's other-language key
    // joins its entry only when no other entry is keyed so.
    let mut bases: HashSet<String> = items.iter().map(&base).collect();
    bases.extend(choices.splits.iter().map(|s| s.key.clone()));
    let mut groups: BTreeMap<String, Vec<(String, Item)>> = BTreeMap::new();
    for item in items {
        let b = base(&item);
        if b.is_empty() {
            continue;
        }
        groups
            .entry(Choices::resolve(&merged, &b))
            .or_default()
            .push((b, item));
    }
    let mut out: Vec<Organisation> = groups
        .into_iter()
        .map(|(key, items)| group(key, items, choices, &merged, &bases))
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.key.cmp(&b.key))
    });
    out
}

/// The entry of the items grouped under `key`, each with its key before
/// merges.
fn group(
    key: String,
    items: Vec<(String, Item)>,
    choices: &Choices,
    merged: &HashMap<String, String>,
    bases: &HashSet<String>,
) -> Organisation {
    let mut keys = vec![key.clone()];
    let mut add = |k: String| {
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    };
    for (b, _) in &items {
        add(b.clone());
    }
    // Keys merged here that no name has any more: their requests too.
    for from in merged.keys() {
        if Choices::resolve(merged, from) == key {
            add(from.clone());
        }
    }
    // A person's WebID is no organisation's name: it leads nowhere else.
    for n in items
        .iter()
        .filter(|(_, i)| !i.person)
        .flat_map(|(_, i)| &i.names)
    {
        let k = selfdata_archives::key(n);
        if !bases.contains(&k) {
            add(k);
        }
    }
    // An entry the resident merged others into keeps its own names.
    let own = items.iter().any(|(b, _)| *b == key);
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, i) in items.iter().filter(|(b, _)| !own || *b == key) {
        *names.entry(i.name.as_str()).or_default() += 1;
    }
    // The name most sources write; between equals, one not all in
    // capitals (a bank writes "DEEZER", Facebook "Deezer").
    let shouting = |n: &str| !n.chars().any(char::is_lowercase);
    let name = names
        .iter()
        .max_by(|a, b| {
            a.1.cmp(b.1)
                .then(shouting(b.0).cmp(&shouting(a.0)))
                .then(b.0.cmp(a.0))
        })
        .map(|(n, _)| (*n).to_owned())
        .unwrap_or_default();
    let mut grouped: Vec<Grouped> = items
        .iter()
        .map(|(b, i)| Grouped {
            name: i.name.clone(),
            key_name: i.key_name.clone(),
            base: b.clone(),
            person: i.person,
        })
        .collect();
    grouped.sort();
    grouped.dedup_by(|a, b| a.key_name == b.key_name && a.base == b.base);
    let reference = |g: &Grouped| {
        if g.person {
            Ref::Agent(g.key_name.clone())
        } else {
            Ref::Name(g.key_name.clone())
        }
    };
    let anchor = grouped
        .iter()
        .find(|g| g.base == key)
        .map(reference)
        .or_else(|| {
            choices
                .merges
                .iter()
                .find(|m| choices.base(&m.same_as) == key)
                .map(|m| m.same_as.clone())
        })
        .or_else(|| grouped.first().map(reference))
        .unwrap_or_else(|| Ref::Name(name.clone()));
    let person = items.iter().all(|(_, i)| i.person);
    let sector = sector::of(items.iter().map(|(_, i)| (&i.known, i.person)));
    let mut known: Vec<Known> = items.into_iter().map(|(_, i)| i.known).collect();
    known.dedup();
    Organisation {
        key,
        keys,
        name,
        names: grouped,
        person,
        sector,
        known,
        anchor,
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
    /// `sector`: in sections by sector; else from A to Z.
    #[serde(default)]
    by: String,
    /// What a form just did (`refreshed`).
    #[serde(default)]
    done: String,
}

struct Row {
    key: String,
    href: String,
    name: String,
    /// Where the latest request to it stands, and whether it is late.
    status: Option<(String, bool)>,
    holds: String,
    since: String,
    known: Vec<String>,
}

/// The entries of one sector (or all of them, from A to Z).
struct SectionView {
    slug: &'static str,
    /// The sector's name and how many; empty from A to Z.
    title: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "privacy_organisations.html")]
struct DirectoryPage<'a> {
    t: &'static OrganisationsTexts,
    chrome: Chrome,
    csrf: &'a str,
    q: &'a str,
    total: String,
    by_sector: bool,
    sections: Vec<SectionView>,
    /// The same list the other way (by sector, or from A to Z).
    other_way: String,
    notice: Option<&'static str>,
    /// The resident's choices could not be read.
    choices_error: bool,
    document: &'static str,
}

/// `GET /app/privacy/organisations?q=`.
pub(crate) async fn show(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    r: Resident,
    q: Result<Query<Search>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = chrome.language();
    let t: &'static OrganisationsTexts = lang.words();
    let Search { q, by, done } = q.map(|Query(s)| s).unwrap_or_default();
    let q = q.trim().chars().take(200).collect::<String>();
    let by_sector = by == "sector";
    let (all, choices_error) = directory_and_choices(&app, &registry, &r.pod, lang).await;
    let wanted = q.to_lowercase();
    let wanted_key = selfdata_archives::key(&q);
    let shown: Vec<&Organisation> = all
        .iter()
        .filter(|o| {
            wanted.is_empty()
                || o.name.to_lowercase().contains(&wanted)
                || (!wanted_key.is_empty() && o.key.contains(&wanted_key))
        })
        .collect();
    let sent = super::requests::requests_sent(&app, &r.pod).await;
    let latest = super::requests::latest_by_key(&sent);
    let today = app.ctx.today();
    let row = |o: &Organisation| Row {
        key: o.key.clone(),
        href: super::organisation::page_of(&o.key),
        name: o.name.clone(),
        status: super::requests::latest_for(&latest, &o.keys)
            .map(|s| super::organisation::short_status(s, today, lang)),
        holds: holds(&o.categories(), lang),
        since: o.since().map(|t| month(t, lang)).unwrap_or_default(),
        known: o.known.iter().map(|k| k.how.clone()).collect(),
    };
    let sections = if by_sector {
        Sector::ALL
            .iter()
            .filter_map(|&sector| {
                let rows: Vec<Row> = shown
                    .iter()
                    .filter(|o| o.sector == sector)
                    .map(|o| row(o))
                    .collect();
                (!rows.is_empty()).then(|| SectionView {
                    slug: sector.slug(),
                    title: format!("{} ({})", sector.name(lang), rows.len()),
                    rows,
                })
            })
            .collect()
    } else {
        vec![SectionView {
            slug: "all",
            title: String::new(),
            rows: shown.iter().map(|o| row(o)).collect(),
        }]
    };
    let mut other_way: Vec<(&str, &str)> = Vec::new();
    if !q.is_empty() {
        other_way.push(("q", &q));
    }
    if !by_sector {
        other_way.push(("by", "sector"));
    }
    let other_way = match serde_urlencoded::to_string(&other_way) {
        Ok(query) if !query.is_empty() => format!("/app/privacy/organisations?{query}"),
        _ => "/app/privacy/organisations".to_owned(),
    };
    let total = selfdata_site::fill(
        if q.is_empty() { t.total } else { t.total_found },
        &[
            ("n", &shown.len().to_string()),
            ("all", &all.len().to_string()),
        ],
    );
    page(
        StatusCode::OK,
        DirectoryPage {
            t,
            chrome,
            csrf: &r.session.csrf,
            q: &q,
            total,
            by_sector,
            sections,
            other_way,
            notice: (done == "refreshed").then_some(t.refreshed),
            choices_error: choices_error.is_some(),
            document: super::document::ORGANISATIONS,
        }
        .render(),
    )
}

/// `GET /app/privacy/organisations.csv`: the directory as a file.
pub(crate) async fn export(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    chrome: Chrome,
    r: Resident,
) -> Response {
    let lang = chrome.language();
    let all = directory(&app, &registry, &r.pod, lang).await;
    let sent = super::requests::requests_sent(&app, &r.pod).await;
    let latest = super::requests::latest_by_key(&sent);
    let today = app.ctx.today();
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = match lang {
        Lang::Fr => [
            "organisme",
            "secteur",
            "détient",
            "depuis",
            "comment nous le savons",
            "dernière demande",
        ],
        Lang::En => [
            "organisation",
            "sector",
            "holds",
            "since",
            "how we know",
            "latest request",
        ],
    };
    let mut rows = vec![header.map(str::to_owned).to_vec()];
    for o in &all {
        rows.push(vec![
            o.name.clone(),
            o.sector.name(lang).to_owned(),
            holds(&o.categories(), lang),
            o.since().map(when::date).unwrap_or_default(),
            o.known
                .iter()
                .map(|k| k.how.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            super::requests::latest_for(&latest, &o.keys)
                .map(|s| super::organisation::short_status(s, today, lang).0)
                .unwrap_or_default(),
        ]);
    }
    for row in rows {
        // A cell starting like a formula is quoted as text for spreadsheets.
        let row: Vec<String> = row
            .into_iter()
            .map(|c| {
                if c.starts_with(['=', '+', '-', '@']) {
                    format!("'{c}")
                } else {
                    c
                }
            })
            .collect();
        if w.write_record(&row).is_err() {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let body = w.into_inner().unwrap_or_default();
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"organisations.csv\""),
    );
    selfdata_site::security_headers(h);
    resp
}

/// `POST /app/privacy/organisations/refresh` (CSRF-checked): writes the
/// directory's document in the pod as it is now ([`super::document`]),
/// then the directory again.
pub(crate) async fn refresh(
    State(app): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<Registry>,
    CsrfForm { resident: r, .. }: CsrfForm<Vec<(String, String)>>,
) -> Response {
    match super::document::publish(&app, &registry, &r.pod).await {
        Ok(()) => Redirect::to("/app/privacy/organisations?done=refreshed").into_response(),
        Err(e) => {
            tracing::error!(pod = %r.pod, error = %e, "the directory's document could not be written");
            PageError::say(
                StatusCode::INTERNAL_SERVER_ERROR,
                Say::new(
                    "La copie de cette liste dans votre espace n’a pas pu être écrite\u{a0}; veuillez réessayer.",
                    "The copy of this list in your pod could not be written; please try again.",
                ),
            )
            .into_response()
        }
    }
}

/// The directory's sentences.
#[derive(Debug)]
pub struct OrganisationsTexts {
    pub title: &'static str,
    pub intro: &'static str,
    pub colon: &'static str,
    pub search: &'static str,
    pub search_button: &'static str,
    /// `{n}` organisations.
    pub total: &'static str,
    /// `{n}` of `{all}`.
    pub total_found: &'static str,
    pub holds: &'static str,
    pub since: &'static str,
    pub how: &'static str,
    pub ask: &'static str,
    pub export: &'static str,
    pub import_title: &'static str,
    pub import_hint: &'static str,
    pub file_label: &'static str,
    pub import_button: &'static str,
    pub back: &'static str,
    pub by_sector: &'static str,
    pub by_name: &'static str,
    pub document_title: &'static str,
    /// `{path}`: the document's path in the pod.
    pub document_hint: &'static str,
    pub refresh_button: &'static str,
    pub refreshed: &'static str,
    pub choices_unreadable: &'static str,
}

pub static EN: OrganisationsTexts = OrganisationsTexts {
    title: "Organisations that hold data on you",
    intro: "Gathered from the archives the platforms must give you, every organisation that delivered data to your pod, the ones you pay, and the apps and people you gave access to. Nothing here leaves your pod.",
    colon: ": ",
    search: "Find an organisation",
    search_button: "Search",
    total: "{n} organisations.",
    total_found: "{n} of {all} organisations.",
    holds: "Holds",
    since: "Since",
    how: "How we know",
    ask: "Ask them what they hold (article 15) or object (article 21)",
    export: "Download this list (CSV)",
    import_title: "Add an archive",
    import_hint: "Your Google Takeout archive, or your Facebook or Instagram archive (a zip, in JSON). Large archives are fine: they are read as they arrive.",
    file_label: "Archive (zip)",
    import_button: "Import",
    back: "Back to who has what on me",
    by_sector: "Group by sector",
    by_name: "List from A to Z",
    document_title: "This list in your pod",
    document_hint: "Your pod keeps this list as an open document ({path}) that the apps you allow can read. It is written again when you change the list; after an import, bring it up to date here.",
    refresh_button: "Bring it up to date",
    refreshed: "The copy of this list in your pod is up to date.",
    choices_unreadable: "Your choices on this list (selfdata/directory/choices.ttl in your pod) cannot be read: the names are grouped as selfdata found them. Correct or delete that file to see your choices again.",
};

pub static FR: OrganisationsTexts = OrganisationsTexts {
    title: "Les organismes qui détiennent des données sur vous",
    intro: "Rassemblés à partir des archives que les plateformes doivent vous remettre, de chaque organisme qui a déposé des données dans votre espace, de ceux que vous payez, et des applications et personnes à qui vous avez donné accès. Rien ici ne quitte votre espace.",
    colon: "\u{a0}: ",
    search: "Trouver un organisme",
    search_button: "Chercher",
    total: "{n} organismes.",
    total_found: "{n} organismes sur {all}.",
    holds: "Détient",
    since: "Depuis",
    how: "Comment nous le savons",
    ask: "Leur demander ce qu’ils détiennent (article 15) ou vous opposer (article 21)",
    export: "Télécharger cette liste (CSV)",
    import_title: "Ajouter une archive",
    import_hint: "Votre archive Google Takeout, ou votre archive Facebook ou Instagram (un zip, au format JSON). Les grosses archives passent\u{a0}: elles sont lues à mesure qu’elles arrivent.",
    file_label: "Archive (zip)",
    import_button: "Importer",
    back: "Retour à qui a quoi sur moi",
    by_sector: "Regrouper par secteur",
    by_name: "Lister de A à Z",
    document_title: "Cette liste dans votre espace",
    document_hint: "Votre espace garde cette liste comme un document ouvert ({path}) que les applications que vous autorisez peuvent lire. Il est réécrit quand vous modifiez la liste\u{a0}; après un import, mettez-le à jour ici.",
    refresh_button: "Le mettre à jour",
    refreshed: "La copie de cette liste dans votre espace est à jour.",
    choices_unreadable: "Vos choix sur cette liste (selfdata/directory/choices.ttl dans votre espace) ne peuvent pas être lus\u{a0}: les noms sont regroupés tels que selfdata les a trouvés. Corrigez ou supprimez ce fichier pour retrouver vos choix.",
};

selfdata_site::words!(OrganisationsTexts, FR, EN);

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, origin: Origin) -> Item {
        Item {
            key_name: name.to_owned(),
            name: name.to_owned(),
            names: vec![name.to_owned()],
            person: false,
            known: Known {
                how: format!("how {name}"),
                categories: vec!["Contact".to_owned()],
                first: None,
                last: None,
                origin,
                sector: None,
            },
        }
    }

    fn items() -> Vec<Item> {
        let archive = Origin::Archive {
            document: "e.ttl".into(),
            platform: "Facebook".into(),
            kept: "a.zip".into(),
            imported: None,
        };
        vec![
            item("decathlon.fr", archive),
            item("Decathlon France", Origin::Service("budget")),
            item("DECATHLON SA", Origin::Service("budget")),
        ]
    }

    fn entry<'a>(all: &'a [Organisation], key: &str) -> &'a Organisation {
        all.iter()
            .find(|o| o.key == key)
            .unwrap_or_else(|| panic!("no {key}: {all:#?}"))
    }

    #[test]
    fn merges_and_splits_regroup_names_and_undo_each_other() {
        let at = Timestamp::UNIX_EPOCH;
        let mut c = Choices::default();
        let all = build(items(), &c);
        assert_eq!(all.len(), 2);
        assert_eq!(entry(&all, "decathlon").names.len(), 2);
        assert_eq!(entry(&all, "decathlon").sector, Sector::Platforms);

        // "Decathlon France" is the same as "decathlon.fr".
        c.merge(entry(&all, "decathlonfrance"), entry(&all, "decathlon"), at);
        let all = build(items(), &c);
        assert_eq!(all.len(), 1);
        let one = entry(&all, "decathlon");
        assert_eq!(one.names.len(), 3);
        assert_ne!(one.name, "Decathlon France", "it keeps its own name");
        assert!(
            one.keys.contains(&"decathlonfrance".to_owned()),
            "its requests too"
        );
        assert_eq!(one.known.len(), 3);

        // "DECATHLON SA" is another company: an entry of its own.
        let sa = one
            .names
            .iter()
            .find(|g| g.key_name == "DECATHLON SA")
            .unwrap();
        let taken: Vec<String> = all.iter().flat_map(|o| o.keys.clone()).collect();
        let key = c.split(one, sa, &taken, at).unwrap();
        assert_eq!(key, "decathlon-2");
        let all = build(items(), &c);
        assert_eq!(all.len(), 2);
        assert_eq!(entry(&all, "decathlon-2").name, "DECATHLON SA");
        assert!(
            !entry(&all, "decathlon-2")
                .keys
                .contains(&"decathlon".to_owned()),
            "the entry it left keeps its key"
        );

        // Taking the merged name apart undoes the merge.
        let one = entry(&all, "decathlon");
        let france = one
            .names
            .iter()
            .find(|g| g.key_name == "Decathlon France")
            .unwrap();
        assert_eq!(
            c.split(one, france, &taken, at),
            Ok("decathlonfrance".to_owned())
        );
        assert!(c.merges.is_empty());
        let all = build(items(), &c);
        assert_eq!(all.len(), 3);

        // The only name left cannot be taken apart; saying the taken apart
        // entry is the same as the one it left puts it back.
        let one = entry(&all, "decathlon");
        assert_eq!(
            c.split(one, &one.names[0], &taken, at),
            Err(SplitRefused::Alone)
        );
        c.merge(entry(&all, "decathlon-2"), entry(&all, "decathlon"), at);
        assert_eq!(
            c,
            Choices::default(),
            "the split is forgotten, not merged over"
        );
        assert_eq!(build(items(), &c).len(), 2);
    }
}

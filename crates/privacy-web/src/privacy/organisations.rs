//! The directory of organisations that hold data on the resident
//! (`/app/privacy/organisations`): one entry per organisation, names
//! grouped by `selfdata_archives::key` (case, accents, legal forms,
//! aliases), each with what it is known to hold (DPV personal data
//! categories in plain words) and how we know, from the evidence documents
//! the archive intake writes (`selfdata/directory/evidence/*.ttl`), the
//! source description of every holder that delivered data to the pod, and
//! what every service knows through the registry
//! (`Registry::organisations`: money's payees and subscriptions, the apps
//! and people given access). A person (a WebID) is never grouped with an
//! organisation by name. Searchable (`?q=`), exported as CSV
//! (`/app/privacy/organisations.csv`). Each name leads to the
//! organisation's page ([`super::organisation`]); an organisation asked
//! something shows where the request stands.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use selfdata_rdf::oxrdf::vocab::rdf;
use selfdata_rdf::oxrdf::{NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use selfdata_service::Registry;
use selfdata_site::{Chrome, Lang, Resident, page};
use selfdata_store::{PodName, ResourcePath};

use super::sources::{first_value, key_name, name_in, names_of, source_descriptions};
use crate::PrivacyApp;
use crate::archive::EVIDENCE;
use crate::vocab::{DATA_CONTROLLER, DCT, DPV, FOAF, PD, SD};
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
    /// Every key that leads to it: its own, and the key of each of its
    /// names in every language (a request recorded under any of them is
    /// one of its requests).
    pub keys: Vec<String>,
    /// The name shown: the one most sources write.
    pub name: String,
    /// A person given access (a WebID), not an organisation: nobody to
    /// write a letter to.
    pub person: bool,
    pub known: Vec<Known>,
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

fn literal_in(
    g: &selfdata_rdf::oxrdf::Graph,
    s: NamedOrBlankNodeRef<'_>,
    p: &str,
    lang: Option<&str>,
) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::Literal(l) if lang.is_none() || l.language() == lang => {
                Some(l.value().to_owned())
            }
            _ => None,
        })
}

/// The first IRI `s` has for `p`.
fn iri_in(g: &selfdata_rdf::oxrdf::Graph, s: NamedOrBlankNodeRef<'_>, p: &str) -> Option<String> {
    g.objects_for_subject_predicate(s, NamedNodeRef::new_unchecked(p))
        .find_map(|t| match t {
            TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
            _ => None,
        })
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
fn person_key(webid: &str) -> String {
    selfdata_consent::id_for(selfdata_consent::Kind::Person, webid)
}

/// One source's word on an organisation, before names are grouped.
struct Item {
    /// The grouping key.
    key: String,
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
/// of `registry`.
pub async fn directory(
    app: &PrivacyApp,
    registry: &Registry,
    pod: &PodName,
    lang: Lang,
) -> Vec<Organisation> {
    let mut found: Vec<Item> = Vec::new();
    let base = format!("{}/{}/", app.ctx.base_url(), pod);
    if let Ok(folder) = ResourcePath::parse(&format!("/{EVIDENCE}")) {
        for m in app
            .ctx
            .store
            .members(pod, &folder)
            .await
            .unwrap_or_default()
        {
            let Ok(Some((_, body))) = app.ctx.store.get(pod, &m.path).await else {
                continue;
            };
            let document = m.path.as_str().trim_start_matches('/').to_owned();
            let doc = format!("{base}{document}");
            let Ok(g) = selfdata_rdf::parse(&body, selfdata_rdf::RdfFormat::Turtle, &doc) else {
                tracing::warn!(pod = %pod, path = %m.path.as_str(), "an evidence document could not be read");
                continue;
            };
            let me = NamedNodeRef::new_unchecked(&doc).into();
            let origin = Origin::Archive {
                document,
                platform: literal_in(&g, me, &format!("{SD}platform"), None).unwrap_or_default(),
                kept: iri_in(&g, me, &format!("{DCT}source"))
                    .map(|i| in_pod(&base, i))
                    .unwrap_or_default(),
                imported: Timestamp::from_millisecond(m.modified_ms).ok(),
            };
            let controller = NamedNodeRef::new_unchecked(DATA_CONTROLLER);
            for s in g.subjects_for_predicate_object(rdf::TYPE, controller) {
                let Some(name) = literal_in(&g, s, &format!("{FOAF}name"), None) else {
                    continue;
                };
                let how = literal_in(&g, s, &format!("{DCT}description"), Some(lang.code()))
                    .unwrap_or_default();
                let categories = g
                    .objects_for_subject_predicate(
                        s,
                        NamedNodeRef::new_unchecked(&format!("{DPV}hasPersonalData")),
                    )
                    .filter_map(|t| match t {
                        TermRef::NamedNode(n) => n.as_str().strip_prefix(PD).map(str::to_owned),
                        _ => None,
                    })
                    .collect();
                let time = |p: &str| {
                    literal_in(&g, s, &format!("{SD}{p}"), None).and_then(|v| v.parse().ok())
                };
                found.push(Item {
                    // Keyed from the name, never from anything a document
                    // stores: a stored key could be stale or edited.
                    key: selfdata_archives::key(&name),
                    name: name.clone(),
                    names: vec![name],
                    person: false,
                    known: Known {
                        how,
                        categories,
                        first: time("first"),
                        last: time("last"),
                        origin: origin.clone(),
                    },
                });
            }
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
            key: selfdata_archives::key(&key_name),
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
            },
        });
    }
    for service in registry.services() {
        let origin = Origin::Service(service.id());
        for o in service.organisations(pod, lang).await {
            found.push(Item {
                key: if o.person {
                    person_key(&o.name)
                } else {
                    selfdata_archives::key(&o.name)
                },
                name: o.name.clone(),
                names: vec![o.name],
                person: o.person,
                known: Known {
                    how: o.how,
                    categories: o.categories,
                    first: o.first,
                    last: o.last,
                    origin: origin.clone(),
                },
            });
        }
    }
    let mut groups: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for item in found {
        if item.key.is_empty() {
            continue;
        }
        groups.entry(item.key.clone()).or_default().push(item);
    }
    let mut out: Vec<Organisation> = groups
        .into_iter()
        .map(|(key, items)| group(key, items))
        .collect();
    out.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.key.cmp(&b.key))
    });
    out
}

/// The entry of the items grouped under `key`.
fn group(key: String, items: Vec<Item>) -> Organisation {
    let mut keys = vec![key.clone()];
    // A person's WebID is no organisation's name: it leads nowhere else.
    for n in items.iter().filter(|i| !i.person).flat_map(|i| &i.names) {
        let k = selfdata_archives::key(n);
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &items {
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
    let person = items.iter().all(|i| i.person);
    let mut known: Vec<Known> = items.into_iter().map(|i| i.known).collect();
    known.dedup();
    Organisation {
        key,
        keys,
        name,
        person,
        known,
    }
}

#[derive(serde::Deserialize, Default)]
pub(crate) struct Search {
    #[serde(default)]
    q: String,
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

#[derive(Template)]
#[template(path = "privacy_organisations.html")]
struct DirectoryPage<'a> {
    t: &'static OrganisationsTexts,
    chrome: Chrome,
    csrf: &'a str,
    q: &'a str,
    total: String,
    rows: Vec<Row>,
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
    let q = q.map(|Query(s)| s.q).unwrap_or_default();
    let q = q.trim().chars().take(200).collect::<String>();
    let all = directory(&app, &registry, &r.pod, lang).await;
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
    let rows = shown
        .iter()
        .map(|o| Row {
            key: o.key.clone(),
            href: super::organisation::page_of(&o.key),
            name: o.name.clone(),
            status: super::requests::latest_for(&latest, &o.keys)
                .map(|s| super::organisation::short_status(s, today, lang)),
            holds: holds(&o.categories(), lang),
            since: o.since().map(|t| month(t, lang)).unwrap_or_default(),
            known: o.known.iter().map(|k| k.how.clone()).collect(),
        })
        .collect();
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
            rows,
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
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = match lang {
        Lang::Fr => ["organisme", "détient", "depuis", "comment nous le savons"],
        Lang::En => ["organisation", "holds", "since", "how we know"],
    };
    let mut rows = vec![header.map(str::to_owned).to_vec()];
    for o in &all {
        rows.push(vec![
            o.name.clone(),
            holds(&o.categories(), lang),
            o.since().map(when::date).unwrap_or_default(),
            o.known
                .iter()
                .map(|k| k.how.as_str())
                .collect::<Vec<_>>()
                .join("; "),
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
};

selfdata_site::words!(OrganisationsTexts, FR, EN);

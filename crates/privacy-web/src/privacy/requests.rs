//! Rights against holders (`/app/privacy/requests`): a small registry of data
//! holders the resident can edit (kept in the pod at
//! `selfdata/rights/holders.json`), a GDPR article 15 (access), 20
//! (portability) or 21 (objection to direct marketing and profiling) letter
//! in French or English, the dates requests were sent
//! (`selfdata/rights/requests.json`) with the one-month deadline of article
//! 12(3), a reminder when it is near or past, and what came of them
//! (answered, erased).
//!
//! A letter can be started from an organisation of the directory
//! ([`super::organisation`]): the form posts its key, the organisation is
//! added to the registry under its name when no holder there has the same
//! key, and the request recorded for it keeps the key, so its page shows
//! what was asked. Every change to the two files reads, edits and writes
//! them in the pod's turn, so two forms never lose each other's
//! change.
//!
//! The default registry names common French holders without contact
//! details: a data protection address is only worth sending to when it is
//! the holder's current one, so the resident fills it from the holder's
//! privacy policy (the page says so).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use axum::response::IntoResponse;
use selfdata_service::Turn;
use selfdata_site::{Chrome, CsrfForm, Resident, fill, page};

use super::texts::PrivacyTexts;
use crate::PrivacyApp;

const HOLDERS: &str = "/selfdata/rights/holders.json";
const REQUESTS: &str = "/selfdata/rights/requests.json";

/// How many holders the registry keeps at most.
const MAX_HOLDERS: usize = 500;

pub fn routes() -> Router<Arc<PrivacyApp>> {
    Router::new()
        .route("/app/privacy/requests", get(show).post(write))
        .route("/app/privacy/requests/holders", post(save_holders))
        .route("/app/privacy/requests/sent", post(record_sent))
}

/// One holder of the registry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub name: String,
    /// The data protection contact (email or postal address); empty until
    /// the resident fills it.
    #[serde(default)]
    pub contact: String,
    /// The resident's identifier there (PRM, PCE, contract number…).
    #[serde(default)]
    pub identifier: String,
}

/// A request sent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sent {
    pub holder: String,
    pub article: u8,
    pub lang: String,
    pub sent: Date,
    #[serde(default)]
    pub answered: Option<Date>,
    /// When the holder erased the data, as the resident says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub erased: Option<Date>,
    /// The directory's key of the organisation the request was recorded for
    /// (`selfdata_archives::key`), when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
}

impl Sent {
    /// Whether the request went to the directory's organisation `key`:
    /// recorded for it, or sent to a holder whose name has that key.
    pub fn is_for(&self, key: &str) -> bool {
        !key.is_empty()
            && (self.organisation.as_deref() == Some(key)
                || selfdata_archives::key(&self.holder) == key)
    }
}

/// The requests sent to the organisation of `keys` (all the keys that lead
/// to it), with their index, the latest first (by date sent, then the later
/// recorded).
pub fn sent_to<'a>(list: &'a [Sent], keys: &[String]) -> Vec<(usize, &'a Sent)> {
    let mut out: Vec<(usize, &Sent)> = list
        .iter()
        .enumerate()
        .filter(|(_, s)| keys.iter().any(|k| s.is_for(k)))
        .collect();
    out.sort_by_key(|(i, s)| std::cmp::Reverse((s.sent, *i)));
    out
}

/// The latest request (by date sent, then the later recorded) for each key
/// a request is for: the key it was recorded for, and its holder's name's.
pub(crate) fn latest_by_key(list: &[Sent]) -> HashMap<String, (usize, &Sent)> {
    let mut out: HashMap<String, (usize, &Sent)> = HashMap::new();
    for (i, s) in list.iter().enumerate() {
        let keys = [
            s.organisation.clone(),
            Some(selfdata_archives::key(&s.holder)),
        ];
        for k in keys.into_iter().flatten().filter(|k| !k.is_empty()) {
            let later = out.get(&k).is_none_or(|(j, t)| (s.sent, i) >= (t.sent, *j));
            if later {
                out.insert(k, (i, s));
            }
        }
    }
    out
}

/// The latest request to the organisation of `keys`, from [`latest_by_key`].
pub(crate) fn latest_for<'a>(
    by_key: &HashMap<String, (usize, &'a Sent)>,
    keys: &[String],
) -> Option<&'a Sent> {
    keys.iter()
        .filter_map(|k| by_key.get(k))
        .max_by_key(|(i, s)| (s.sent, *i))
        .map(|(_, s)| *s)
}

/// What a resident marks on a request sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Answered,
    Erased,
}

/// Records on `s` that it was answered, or the data erased, on `date`
/// (erased is answered too, that day unless said earlier); the date it was
/// sent when `date` comes before it.
pub(crate) fn apply(s: &mut Sent, mark: Mark, date: Date) -> Result<(), Date> {
    if date < s.sent {
        return Err(s.sent);
    }
    match mark {
        Mark::Answered => s.answered = Some(date),
        Mark::Erased => {
            s.erased = Some(date);
            s.answered.get_or_insert(date);
        }
    }
    Ok(())
}

/// A request as a page shows it.
pub(crate) struct SentView {
    /// Its place in `requests.json` (what a mark posts).
    pub(crate) index: usize,
    /// The holder, a generic one in the page's language.
    pub(crate) holder: String,
    /// The article, in words.
    pub(crate) article: &'static str,
    pub(crate) sent: String,
    /// "Answer due by …".
    pub(crate) due: String,
    pub(crate) reminder: Option<String>,
    pub(crate) overdue: bool,
    pub(crate) answered: Option<String>,
    pub(crate) erased: Option<String>,
}

/// The request `s`, at `index`, as a page shows it `today` (`p` its words,
/// `lang` its language's code).
pub(crate) fn sent_view(
    p: &PrivacyTexts,
    lang: &str,
    index: usize,
    s: &Sent,
    today: Date,
) -> SentView {
    let (due, reminder, overdue) = reminder(p, s, today);
    SentView {
        index,
        holder: holder_name(&s.holder, lang),
        article: match s.article {
            20 => p.rq_art20,
            21 => p.rq_art21,
            _ => p.rq_art15,
        },
        sent: s.sent.to_string(),
        due,
        reminder,
        overdue,
        answered: s.answered.map(|d| d.to_string()),
        erased: s.erased.map(|d| d.to_string()),
    }
}

/// The article a form names: 20 (portability) or 21 (objection), else 15
/// (access).
pub fn article_of(v: &str) -> u8 {
    match v.trim() {
        "20" => 20,
        "21" => 21,
        _ => 15,
    }
}

/// The registry a pod starts with: common French holders. Only contacts
/// their own published privacy pages give are filled in; the resident
/// completes the others from the holder's privacy policy or their bill.
pub fn default_holders() -> Vec<Holder> {
    [
        (
            "Enedis",
            // From Enedis's published personal-data policy (its head office,
            // where its Data Protection Officer is designated).
            "Enedis, Délégué à la protection des données, Tour Enedis, 34 place des Corolles, 92079 Paris La Défense Cedex",
        ),
        ("GRDF", ""),
        ("EDF", ""),
        ("Eau du Grand Lyon", ""),
        ("Veolia Eau", ""),
        ("Ma banque", ""),
        ("Mon opérateur télécom", ""),
        ("Ma mairie", ""),
    ]
    .into_iter()
    .map(|(n, contact)| Holder {
        name: n.to_owned(),
        contact: contact.to_owned(),
        identifier: String::new(),
    })
    .collect()
}

/// The answer is due one month after the request (GDPR article 12(3)).
pub fn due(sent: Date) -> Date {
    sent.checked_add(1.month()).unwrap_or(sent)
}

async fn load<T: for<'de> Deserialize<'de>>(
    services: &PrivacyApp,
    pod: &PodName,
    path: &str,
) -> Option<T> {
    let path = ResourcePath::parse(path).ok()?;
    let (_, body) = services.ctx.store.get(pod, &path).await.ok()??;
    serde_json::from_slice(&body).ok()
}

/// The JSON at `path` as stored: `None` when there is none; an error when it
/// cannot be read or does not parse, so that a change never replaces a file
/// it could not read.
async fn load_strict<T: DeserializeOwned>(
    services: &PrivacyApp,
    pod: &PodName,
    path: &str,
) -> Result<Option<T>, StoreError> {
    let path = ResourcePath::parse(path)?;
    let Some((_, body)) = services.ctx.store.get(pod, &path).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| StoreError::Io(format!("{} does not parse: {e}", path.as_str())))
}

/// Reads the list at `path` (`fresh()` when there is none), lets `change`
/// edit it and stores it when it changed, all in the pod's turn:
/// no other statement of the resident, and no import, writes the pod in
/// between. Nothing is written when `change` refuses.
async fn update<T, R, E>(
    services: &PrivacyApp,
    pod: &PodName,
    path: &str,
    fresh: impl FnOnce() -> Vec<T>,
    change: impl FnOnce(&mut Vec<T>) -> Result<R, E>,
) -> Result<Result<R, E>, StoreError>
where
    T: Serialize + DeserializeOwned,
{
    let mut turn = services.ctx.pipeline.turn(pod).await?;
    let stored: Option<Vec<T>> = load_strict(services, pod, path).await?;
    let mut list = stored.unwrap_or_else(fresh);
    let before = serde_json::to_vec(&list).map_err(|e| StoreError::Io(e.to_string()))?;
    match change(&mut list) {
        Ok(r) => {
            let after = serde_json::to_vec(&list).map_err(|e| StoreError::Io(e.to_string()))?;
            if before != after {
                save(services, &mut turn, path, &list).await?;
            }
            Ok(Ok(r))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// Every request recorded in the pod.
pub(crate) async fn requests_sent(services: &PrivacyApp, pod: &PodName) -> Vec<Sent> {
    load(services, pod, REQUESTS).await.unwrap_or_default()
}

/// Edits the requests recorded in the pod (see [`update`]).
pub(crate) async fn update_requests<R, E>(
    services: &PrivacyApp,
    pod: &PodName,
    change: impl FnOnce(&mut Vec<Sent>) -> Result<R, E>,
) -> Result<Result<R, E>, StoreError> {
    update(services, pod, REQUESTS, Vec::new, change).await
}

/// The registry's index of the holder of the organisation of `keys` (the
/// first whose name has one of those keys); `name` is added to the registry
/// when none has. `Err(())` when the registry is full.
async fn holder_for(
    services: &PrivacyApp,
    pod: &PodName,
    keys: &[String],
    name: &str,
) -> Result<Result<usize, ()>, StoreError> {
    update(
        services,
        pod,
        HOLDERS,
        default_holders,
        |list: &mut Vec<Holder>| {
            if let Some(i) = list
                .iter()
                .position(|h| keys.contains(&selfdata_archives::key(&h.name)))
            {
                return Ok(i);
            }
            if list.len() >= MAX_HOLDERS {
                return Err(());
            }
            list.push(Holder {
                name: name.to_owned(),
                contact: String::new(),
                identifier: String::new(),
            });
            Ok(list.len() - 1)
        },
    )
    .await
}

async fn save<T: Serialize>(
    services: &PrivacyApp,
    turn: &mut Turn,
    path: &str,
    value: &T,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Io(e.to_string()))?;
    let put = Write::Put {
        path: ResourcePath::parse(path)?,
        content_type: "application/json".to_owned(),
        body: Bytes::from(body),
        precondition: Precondition::None,
    };
    services
        .ctx
        .pipeline
        .commit(turn, vec![put])
        .await
        .map(|_| ())
}

/// The registry's generic entries (a holder the resident names later), in
/// French and English: shown in the page's language whichever language they
/// were saved in.
const GENERIC: [(&str, &str); 3] = [
    ("Ma banque", "My bank"),
    ("Mon opérateur télécom", "My phone and internet provider"),
    ("Ma mairie", "My town hall"),
];

/// `name` in `lang` (`fr` or `en`) when it is a generic entry, else as the
/// resident wrote it.
pub fn holder_name(name: &str, lang: &str) -> String {
    GENERIC
        .iter()
        .find(|(fr, en)| name == *fr || name == *en)
        .map_or(name, |(fr, en)| if lang == "fr" { fr } else { en })
        .to_owned()
}

/// The resident's registry, generic entries named in `lang`.
async fn holders(services: &PrivacyApp, pod: &PodName, lang: &str) -> Vec<Holder> {
    let mut list = load(services, pod, HOLDERS)
        .await
        .unwrap_or_else(default_holders);
    for h in &mut list {
        h.name = holder_name(&h.name, lang);
    }
    list
}

/// The letter, ready to send. The holder is named once: its contact, when it
/// starts with its name, stands for both.
pub fn letter(
    lang: &str,
    article: u8,
    holder: &Holder,
    name: &str,
    email: &str,
    today: Date,
) -> String {
    let id = if holder.identifier.is_empty() {
        String::new()
    } else if lang == "fr" {
        format!(
            "Numéro de compteur ou de client : {}\n\n",
            holder.identifier
        )
    } else {
        format!("Meter or customer number: {}\n\n", holder.identifier)
    };
    let to = if holder.contact.is_empty() {
        format!("{}\n", holder.name)
    } else if holder
        .contact
        .to_lowercase()
        .starts_with(&holder.name.to_lowercase())
    {
        format!("{}\n", holder.contact)
    } else {
        format!("{}\n{}\n", holder.name, holder.contact)
    };
    if lang == "fr" {
        let (subject, body) = match article {
            20 => (
                "demande de portabilité de mes données personnelles (article 20 du RGPD)",
                "En application de l’article 20 du règlement (UE) 2016/679 (RGPD), je vous demande de me transmettre les données personnelles me concernant que je vous ai fournies, y compris celles que génère l’utilisation de vos services (par exemple les relevés de mon compteur ou mon historique de consommation), dans un format structuré, couramment utilisé et lisible par machine (CSV ou JSON par exemple).",
            ),
            21 => (
                "opposition au traitement de mes données personnelles à des fins de prospection, y compris le profilage (article 21 du RGPD)",
                "En application de l’article 21.2 du règlement (UE) 2016/679 (RGPD), je m’oppose au traitement des données personnelles me concernant à des fins de prospection, y compris au profilage dans la mesure où il est lié à une telle prospection, et notamment à leur utilisation pour me cibler par de la publicité, y compris sur les plateformes d’autres entreprises. Ce droit s’exerce à tout moment et sans avoir à le motiver ; conformément à l’article 21.3, mes données ne doivent plus être traitées à ces fins.\n\nEn conséquence, je vous demande également, en application de l’article 17.1.c du RGPD, d’effacer les données personnelles me concernant que vous traitez à ces fins, d’en informer chaque destinataire à qui vous les avez communiquées (article 19), de m’indiquer lesquels, et de me confirmer les mesures prises.",
            ),
            _ => (
                "demande d’accès à mes données personnelles (article 15 du RGPD)",
                "En application de l’article 15 du règlement (UE) 2016/679 (RGPD), je vous demande de me communiquer une copie de l’ensemble des données personnelles me concernant que vous traitez, ainsi que les finalités de ces traitements, les catégories de données concernées, leurs destinataires, leur durée de conservation, leur source et l’existence éventuelle d’une prise de décision automatisée.",
            ),
        };
        format!(
            "{name}\n{email}\n\nÀ l’attention du délégué à la protection des données\n{to}\nObjet : {subject}\n\nMadame, Monsieur,\n\n{body}\n\n{id}Conformément à l’article 12.3 du RGPD, vous disposez d’un délai d’un mois à compter de la réception de cette demande pour y répondre. Vous pouvez me répondre à l’adresse électronique ci-dessus.\n\nVeuillez agréer, Madame, Monsieur, l’expression de mes salutations distinguées.\n\n{name}, le {today}\n",
        )
    } else {
        let (subject, body) = match article {
            20 => (
                "data portability request (GDPR Article 20)",
                "Under Article 20 of Regulation (EU) 2016/679 (GDPR), I ask you to send me the personal data concerning me that I have provided to you, including the data generated by my use of your services (such as my meter readings or consumption history), in a structured, commonly used and machine-readable format (CSV or JSON, for example).",
            ),
            21 => (
                "objection to the processing of my personal data for direct marketing, including profiling (GDPR Article 21)",
                "Under Article 21(2) of Regulation (EU) 2016/679 (GDPR), I object to the processing of personal data concerning me for direct marketing purposes, including profiling to the extent that it is related to such direct marketing, and in particular to its use to target me with advertising, including on other companies' platforms. I may exercise this right at any time and need give no reason; under Article 21(3), my personal data shall no longer be processed for such purposes.\n\nI therefore also ask you, under Article 17(1)(c) GDPR, to erase the personal data concerning me that you process for these purposes, to communicate this erasure to each recipient to whom you disclosed them (Article 19), to tell me who they are, and to confirm the action taken.",
            ),
            _ => (
                "subject access request (GDPR Article 15)",
                "Under Article 15 of Regulation (EU) 2016/679 (GDPR), I ask you to send me a copy of all the personal data concerning me that you process, together with the purposes of the processing, the categories of data concerned, their recipients, how long they are kept, their source, and whether any automated decision-making is involved.",
            ),
        };
        format!(
            "{name}\n{email}\n\nFor the attention of the Data Protection Officer\n{to}\nSubject: {subject}\n\nDear Sir or Madam,\n\n{body}\n\n{id}Under Article 12(3) GDPR, you have one month from receipt of this request to answer it. You may reply to the email address above.\n\nYours faithfully,\n\n{name}, {today}\n",
        )
    }
}

#[derive(Template)]
#[template(path = "privacy_requests.html")]
struct RequestsPage<'a> {
    p: &'static PrivacyTexts,
    chrome: Chrome,
    csrf: &'a str,
    notice: Option<String>,
    error: Option<String>,
    holders: Vec<Holder>,
    sent: Vec<SentView>,
    q: LetterQuery,
    letter: Option<String>,
    today: String,
    /// The organisation's page the letter was started from, and what the
    /// link back says.
    back: Option<(String, String)>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct LetterQuery {
    #[serde(default)]
    holder: Option<usize>,
    #[serde(default)]
    article: Option<u8>,
    /// The letter's language (not the page's, which `?lang=` chooses).
    #[serde(default, rename = "letter_lang")]
    lang: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    /// The directory's key of the organisation the letter is for, when it
    /// was started from its page.
    #[serde(default)]
    organisation: Option<String>,
}

/// When the answer is due, or a reminder that it is near or past; nothing
/// once answered.
pub(crate) fn reminder(p: &PrivacyTexts, s: &Sent, today: Date) -> (String, Option<String>, bool) {
    let due = due(s.sent);
    let days_left = (due - today).get_days();
    let (reminder, overdue) = if s.answered.is_some() || s.erased.is_some() {
        (None, false)
    } else if due < today {
        (Some(p.rq_overdue.to_owned()), true)
    } else if days_left <= 7 {
        (
            Some(fill(p.rq_due_soon, &[("n", &days_left.to_string())])),
            false,
        )
    } else {
        (None, false)
    };
    (
        fill(p.rq_due, &[("date", &due.to_string())]),
        reminder,
        overdue,
    )
}

async fn render(
    services: &PrivacyApp,
    chrome: Chrome,
    r: &Resident,
    status: StatusCode,
    mut q: LetterQuery,
    notice: Option<String>,
    error: Option<String>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let today = services.ctx.today();
    let holders = holders(services, &r.pod, chrome.lang).await;
    let sent = requests_sent(services, &r.pod)
        .await
        .iter()
        .enumerate()
        .map(|(index, s)| sent_view(p, chrome.lang, index, s, today))
        .collect();
    if q.email.is_empty() {
        q.email = r.account.email.clone();
    }
    let lang = q.lang.clone().unwrap_or_else(|| chrome.lang.to_owned());
    let chosen = q.holder.and_then(|i| holders.get(i));
    let meters = match chosen {
        Some(h) if h.identifier.is_empty() => super::identifiers_at(services, &r.pod, &h.name)
            .await
            .join(", "),
        _ => String::new(),
    };
    let back = match (&q.organisation, chosen) {
        (Some(key), Some(h)) => Some((
            super::organisation::page_of(key),
            fill(p.rq_back_to, &[("name", &h.name)]),
        )),
        _ => None,
    };
    let letter = chosen.map(|h| {
        let h = Holder {
            name: holder_name(&h.name, &lang),
            identifier: if h.identifier.is_empty() {
                meters
            } else {
                h.identifier.clone()
            },
            ..h.clone()
        };
        letter(&lang, q.article.unwrap_or(15), &h, &q.name, &q.email, today)
    });
    q.lang = Some(lang);
    page(
        status,
        RequestsPage {
            p,
            chrome,
            csrf: &r.session.csrf,
            notice,
            error,
            holders,
            sent,
            q,
            letter,
            today: today.to_string(),
            back,
        }
        .render(),
    )
}

async fn show(State(services): State<Arc<PrivacyApp>>, chrome: Chrome, r: Resident) -> Response {
    render(
        &services,
        chrome,
        &r,
        StatusCode::OK,
        LetterQuery::default(),
        None,
        None,
    )
    .await
}

/// The letter, written from a posted form: the resident's name and e-mail
/// stay out of addresses, histories and logs. A form from an organisation's
/// page names it by its key instead of a holder of the registry: the letter
/// is written to the registry's holder of that organisation, added under the
/// organisation's name when there is none.
async fn write(
    State(services): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<selfdata_service::Registry>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: mut q,
    }: CsrfForm<LetterQuery>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    q.organisation = q.organisation.filter(|k| !k.is_empty());
    if let Some(key) = q.organisation.clone() {
        let Some(o) =
            super::organisation::find(&services, &registry, &r.pod, chrome.language(), &key).await
        else {
            return super::organisation::unknown().into_response();
        };
        if o.person {
            return render(
                &services,
                chrome,
                &r,
                StatusCode::BAD_REQUEST,
                LetterQuery::default(),
                None,
                Some(p.rq_person.to_owned()),
            )
            .await;
        }
        match holder_for(&services, &r.pod, &o.keys, &o.name).await {
            Ok(Ok(i)) => q.holder = Some(i),
            Ok(Err(())) => {
                let full = fill(p.rq_full, &[("n", &MAX_HOLDERS.to_string())]);
                return render(
                    &services,
                    chrome,
                    &r,
                    StatusCode::BAD_REQUEST,
                    LetterQuery::default(),
                    None,
                    Some(full),
                )
                .await;
            }
            Err(e) => {
                tracing::error!(error = %e, "adding an organisation to the holders failed");
                return render(
                    &services,
                    chrome,
                    &r,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    LetterQuery::default(),
                    None,
                    Some(p.failed.to_owned()),
                )
                .await;
            }
        }
    }
    render(&services, chrome, &r, StatusCode::OK, q, None, None).await
}

/// The form's fields come in order, repeated names allowed.
async fn save_holders(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: fields,
    }: CsrfForm<Vec<(String, String)>>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let column = |name: &str| -> Vec<String> {
        fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().chars().take(500).collect())
            .collect()
    };
    let (names, contacts, ids) = (column("name"), column("contact"), column("identifier"));
    let list: Vec<Holder> = names
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_empty())
        .take(MAX_HOLDERS)
        .map(|(i, n)| Holder {
            name: n.clone(),
            contact: contacts.get(i).cloned().unwrap_or_default(),
            identifier: ids.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let saved = {
        match services.ctx.pipeline.turn(&r.pod).await {
            Ok(mut turn) => save(&services, &mut turn, HOLDERS, &list).await,
            Err(e) => Err(e),
        }
    };
    let (status, notice, error) = match saved {
        Ok(()) => (StatusCode::OK, Some(p.rq_saved.to_owned()), None),
        Err(e) => {
            tracing::error!(error = %e, "saving the holders failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(p.failed.to_owned()),
            )
        }
    };
    render(
        &services,
        chrome,
        &r,
        status,
        LetterQuery::default(),
        notice,
        error,
    )
    .await
}

/// What a form says happened to a request.
enum Happened {
    Sent(Sent),
    Marked(usize, Mark),
}

/// The form's fields come in order, repeated names allowed. A request
/// recorded for an organisation of the directory (`organisation`, its key)
/// leads back to that organisation's page. The directory's document in
/// the pod is written again.
async fn record_sent(
    State(services): State<Arc<PrivacyApp>>,
    Extension(registry): Extension<selfdata_service::Registry>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: fields,
    }: CsrfForm<Vec<(String, String)>>,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let get = |k: &str| {
        fields
            .iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let today = services.ctx.today();
    let organisation =
        Some(get("organisation").chars().take(200).collect::<String>()).filter(|k| !k.is_empty());
    let happened = if let Ok(i) = get("answered").parse::<usize>() {
        Ok(Happened::Marked(i, Mark::Answered))
    } else if let Ok(i) = get("erased").parse::<usize>() {
        Ok(Happened::Marked(i, Mark::Erased))
    } else {
        let holders = holders(&services, &r.pod, chrome.lang).await;
        let holder = get("holder")
            .parse::<usize>()
            .ok()
            .and_then(|i| holders.get(i));
        match (holder, get("sent").parse::<Date>()) {
            (None, _) => Err(p.rq_unknown_holder),
            (_, Err(_)) => Err(p.rq_bad_date),
            (Some(h), Ok(date)) => Ok(Happened::Sent(Sent {
                holder: h.name.clone(),
                article: article_of(&get("article")),
                lang: if get("lang") == "fr" { "fr" } else { "en" }.to_owned(),
                sent: date,
                answered: None,
                erased: None,
                organisation: organisation.clone(),
            })),
        }
    };
    let outcome = match happened {
        Err(e) => Ok(Err(e.to_owned())),
        Ok(happened) => {
            update_requests(&services, &r.pod, |list| match happened {
                Happened::Sent(s) => {
                    list.push(s);
                    Ok(())
                }
                Happened::Marked(i, mark) => {
                    let s = list.get_mut(i).ok_or_else(|| p.rq_not_listed.to_owned())?;
                    apply(s, mark, today)
                        .map_err(|sent| fill(p.rq_before_sent, &[("date", &sent.to_string())]))
                }
            })
            .await
        }
    };
    let (status, notice, error) = match outcome {
        Ok(Ok(())) => {
            // The directory's document says where each request stands.
            super::document::publish_after_change(&services, &registry, &r.pod).await;
            if let Some(key) = organisation {
                return super::organisation::after_form(&key, "asked");
            }
            (StatusCode::OK, Some(p.rq_recorded.to_owned()), None)
        }
        Ok(Err(e)) => (StatusCode::BAD_REQUEST, None, Some(e)),
        Err(e) => {
            tracing::error!(error = %e, "recording a request failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(p.failed.to_owned()),
            )
        }
    };
    render(
        &services,
        chrome,
        &r,
        status,
        LetterQuery::default(),
        notice,
        error,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deadline_is_one_month_later() {
        assert_eq!(due("2025-01-31".parse().unwrap()).to_string(), "2025-02-28");
        assert_eq!(due("2025-03-10".parse().unwrap()).to_string(), "2025-04-10");
    }

    #[test]
    fn letters_name_the_article_the_holder_and_the_identifier() {
        let h = Holder {
            name: "Enedis".into(),
            contact: String::new(),
            identifier: "12345678901234".into(),
        };
        let today = "2025-03-10".parse().unwrap();
        let fr = letter("fr", 15, &h, "Alice Martin", "alice@example.org", today);
        assert!(
            fr.contains("article 15") && fr.contains("Enedis") && fr.contains("12345678901234")
        );
        assert!(fr.contains("Alice Martin, le 2025-03-10"));
        // A contact that starts with the holder's name stands for both.
        let h = Holder {
            contact: "Enedis, DPO, Tour Enedis".into(),
            ..h
        };
        let fr = letter("fr", 15, &h, "Alice Martin", "alice@example.org", today);
        assert!(
            fr.contains("données\nEnedis, DPO, Tour Enedis\n\nObjet"),
            "{fr}"
        );
        let en = letter("en", 20, &h, "Alice", "a@x", today);
        assert!(en.contains("Article 20") && en.contains("machine-readable"));
        let holders = default_holders();
        assert!(
            holders[0].contact.contains("Paris La Défense"),
            "Enedis's published address"
        );
        assert!(
            holders[1..].iter().all(|h| h.contact.is_empty()),
            "unknown contacts are left to fill"
        );
    }

    #[test]
    fn an_objection_cites_article_21_for_direct_marketing_and_profiling_and_asks_erasure() {
        let h = Holder {
            name: "Crédit Agricole".into(),
            contact: String::new(),
            identifier: String::new(),
        };
        let today = "2025-03-10".parse().unwrap();
        let fr = letter("fr", 21, &h, "Inès", "ines@example.org", today);
        assert!(fr.contains("Objet : opposition"), "{fr}");
        assert!(fr.contains("article 21.2") && fr.contains("article 21.3"));
        assert!(fr.contains("prospection") && fr.contains("profilage"));
        assert!(fr.contains("article 17.1.c") && fr.contains("Crédit Agricole\n"));
        assert!(!fr.contains("article 15 du"), "{fr}");
        let en = letter("en", 21, &h, "Inès", "ines@example.org", today);
        assert!(en.contains("Article 21(2)") && en.contains("Article 21(3)"));
        assert!(en.contains("direct marketing") && en.contains("profiling"));
        assert!(en.contains("Article 17(1)(c)") && en.contains("Article 12(3)"));
        assert_eq!(article_of("21"), 21);
        assert_eq!(article_of("99"), 15);
    }

    #[test]
    fn a_mark_is_never_before_the_request_and_erased_is_answered_too() {
        let on = |d| jiff::civil::date(2025, 3, d);
        let mut s = Sent {
            holder: "Acme".into(),
            article: 15,
            lang: "en".into(),
            sent: on(10),
            answered: None,
            erased: None,
            organisation: None,
        };
        assert_eq!(apply(&mut s, Mark::Answered, on(9)), Err(on(10)));
        assert_eq!(s.answered, None, "nothing recorded");
        assert_eq!(apply(&mut s, Mark::Erased, on(12)), Ok(()));
        assert_eq!((s.answered, s.erased), (Some(on(12)), Some(on(12))));
        apply(&mut s, Mark::Answered, on(11)).unwrap();
        apply(&mut s, Mark::Erased, on(20)).unwrap();
        assert_eq!((s.answered, s.erased), (Some(on(11)), Some(on(20))));
    }

    #[test]
    fn requests_belong_to_an_organisation_by_key_or_by_the_holders_name() {
        let sent = |holder: &str, day: i8, organisation: Option<&str>| Sent {
            holder: holder.into(),
            article: 15,
            lang: "en".into(),
            sent: jiff::civil::date(2025, 1, day),
            answered: None,
            erased: None,
            organisation: organisation.map(str::to_owned),
        };
        let list = vec![
            sent("Credit Agricole SA", 5, None),
            sent("Enedis", 6, None),
            sent("My contact there", 9, Some("creditagricole")),
            sent("Crédit Agricole", 9, None),
        ];
        let key = selfdata_archives::key("Crédit Agricole");
        let found: Vec<usize> = sent_to(&list, std::slice::from_ref(&key))
            .iter()
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(found, vec![3, 2, 0], "the latest first");
        assert!(sent_to(&list, &[String::new()]).is_empty());
        // The latest per key is the first of those.
        let latest = latest_by_key(&list);
        let got = latest_for(&latest, &[key, "nobody".into()]).unwrap();
        assert!(std::ptr::eq(got, &list[3]));
        assert!(latest_for(&latest, &["nobody".into()]).is_none());
        assert_eq!(
            latest_for(&latest, &["enedis".into()]).unwrap().holder,
            "Enedis"
        );
    }
}

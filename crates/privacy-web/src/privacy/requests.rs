//! Rights against holders (`/app/privacy/requests`): a small registry of data
//! holders the resident can edit (kept in the pod at
//! `selfdata/rights/holders.json`), a GDPR article 15 (access) or 20
//! (portability) request letter in French or English, the dates requests
//! were sent (`selfdata/rights/requests.json`) with the one-month deadline
//! of article 12(3), and a reminder when it is near or past.
//!
//! The default registry names common French holders without contact
//! details: a data protection address is only worth sending to when it is
//! the holder's current one, so the resident fills it from the holder's
//! privacy policy (the page says so).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use bytes::Bytes;
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};
use serde::{Deserialize, Serialize};

use selfdata_site::{Chrome, CsrfForm, Resident, fill, page};

use super::texts::PrivacyTexts;
use crate::PrivacyApp;

const HOLDERS: &str = "/selfdata/rights/holders.json";
const REQUESTS: &str = "/selfdata/rights/requests.json";

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

async fn save<T: Serialize>(
    services: &PrivacyApp,
    pod: &PodName,
    path: &str,
    value: &T,
) -> Result<(), StoreError> {
    let body = serde_json::to_vec_pretty(value).map_err(|e| StoreError::Io(e.to_string()))?;
    services
        .ctx
        .solid
        .write(
            pod,
            Write::Put {
                path: ResourcePath::parse(path)?,
                content_type: "application/json".to_owned(),
                body: Bytes::from(body),
                precondition: Precondition::None,
            },
        )
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
        let (subject, body) = if article == 20 {
            (
                "demande de portabilité de mes données personnelles (article 20 du RGPD)",
                "En application de l’article 20 du règlement (UE) 2016/679 (RGPD), je vous demande de me transmettre les données personnelles me concernant que je vous ai fournies, y compris celles que génère l’utilisation de vos services (par exemple les relevés de mon compteur ou mon historique de consommation), dans un format structuré, couramment utilisé et lisible par machine (CSV ou JSON par exemple).",
            )
        } else {
            (
                "demande d’accès à mes données personnelles (article 15 du RGPD)",
                "En application de l’article 15 du règlement (UE) 2016/679 (RGPD), je vous demande de me communiquer une copie de l’ensemble des données personnelles me concernant que vous traitez, ainsi que les finalités de ces traitements, les catégories de données concernées, leurs destinataires, leur durée de conservation, leur source et l’existence éventuelle d’une prise de décision automatisée.",
            )
        };
        format!(
            "{name}\n{email}\n\nÀ l’attention du délégué à la protection des données\n{to}\nObjet : {subject}\n\nMadame, Monsieur,\n\n{body}\n\n{id}Conformément à l’article 12.3 du RGPD, vous disposez d’un délai d’un mois à compter de la réception de cette demande pour y répondre. Vous pouvez me répondre à l’adresse électronique ci-dessus.\n\nVeuillez agréer, Madame, Monsieur, l’expression de mes salutations distinguées.\n\n{name}, le {today}\n",
        )
    } else {
        let (subject, body) = if article == 20 {
            (
                "data portability request (GDPR Article 20)",
                "Under Article 20 of Regulation (EU) 2016/679 (GDPR), I ask you to send me the personal data concerning me that I have provided to you, including the data generated by my use of your services (such as my meter readings or consumption history), in a structured, commonly used and machine-readable format (CSV or JSON, for example).",
            )
        } else {
            (
                "subject access request (GDPR Article 15)",
                "Under Article 15 of Regulation (EU) 2016/679 (GDPR), I ask you to send me a copy of all the personal data concerning me that you process, together with the purposes of the processing, the categories of data concerned, their recipients, how long they are kept, their source, and whether any automated decision-making is involved.",
            )
        };
        format!(
            "{name}\n{email}\n\nFor the attention of the Data Protection Officer\n{to}\nSubject: {subject}\n\nDear Sir or Madam,\n\n{body}\n\n{id}Under Article 12(3) GDPR, you have one month from receipt of this request to answer it. You may reply to the email address above.\n\nYours faithfully,\n\n{name}, {today}\n",
        )
    }
}

struct SentView {
    index: usize,
    holder: String,
    article: u8,
    sent: String,
    due: String,
    reminder: Option<String>,
    overdue: bool,
    answered: Option<String>,
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
    let sent: Vec<Sent> = load(services, &r.pod, REQUESTS).await.unwrap_or_default();
    let sent = sent
        .into_iter()
        .enumerate()
        .map(|(index, s)| {
            let due = due(s.sent);
            let days_left = (due - today).get_days();
            let (reminder, overdue) = if s.answered.is_some() {
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
            SentView {
                index,
                holder: holder_name(&s.holder, chrome.lang),
                article: s.article,
                sent: s.sent.to_string(),
                due: fill(p.rq_due, &[("date", &due.to_string())]),
                reminder,
                overdue,
                answered: s.answered.map(|d| d.to_string()),
            }
        })
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
/// stay out of addresses, histories and logs.
async fn write(
    State(services): State<Arc<PrivacyApp>>,
    chrome: Chrome,
    CsrfForm {
        resident: r,
        form: q,
    }: CsrfForm<LetterQuery>,
) -> Response {
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
        .take(100)
        .map(|(i, n)| Holder {
            name: n.clone(),
            contact: contacts.get(i).cloned().unwrap_or_default(),
            identifier: ids.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    save_and_show(&services, chrome, &r, HOLDERS, &list, p.rq_saved).await
}

/// Stores `value` at `path` and shows the page again, saying `done`, or that
/// saving failed.
async fn save_and_show<T: Serialize>(
    services: &PrivacyApp,
    chrome: Chrome,
    r: &Resident,
    path: &str,
    value: &T,
    done: &str,
) -> Response {
    let p: &'static PrivacyTexts = chrome.language().words();
    let (status, notice, error) = match save(services, &r.pod, path, value).await {
        Ok(()) => (StatusCode::OK, Some(done.to_owned()), None),
        Err(e) => {
            tracing::error!(error = %e, path, "saving the rights requests failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                None,
                Some(p.failed.to_owned()),
            )
        }
    };
    render(
        services,
        chrome,
        r,
        status,
        LetterQuery::default(),
        notice,
        error,
    )
    .await
}

/// The form's fields come in order, repeated names allowed.
async fn record_sent(
    State(services): State<Arc<PrivacyApp>>,
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
    let mut list: Vec<Sent> = load(&services, &r.pod, REQUESTS).await.unwrap_or_default();
    let outcome = if let Ok(i) = get("answered").parse::<usize>() {
        match list.get_mut(i) {
            Some(s) => {
                s.answered = Some(services.ctx.today());
                Ok(())
            }
            None => Err(p.not_listed),
        }
    } else {
        let holders = holders(&services, &r.pod, chrome.lang).await;
        let holder = get("holder")
            .parse::<usize>()
            .ok()
            .and_then(|i| holders.get(i));
        match (holder, get("sent").parse::<Date>()) {
            (None, _) => Err(p.rq_unknown_holder),
            (_, Err(_)) => Err(p.rq_bad_date),
            (Some(h), Ok(date)) => {
                list.push(Sent {
                    holder: h.name.clone(),
                    article: if get("article") == "20" { 20 } else { 15 },
                    lang: if get("lang") == "fr" { "fr" } else { "en" }.to_owned(),
                    sent: date,
                    answered: None,
                });
                Ok(())
            }
        }
    };
    match outcome {
        Ok(()) => save_and_show(&services, chrome, &r, REQUESTS, &list, p.rq_recorded).await,
        Err(e) => {
            render(
                &services,
                chrome,
                &r,
                StatusCode::BAD_REQUEST,
                LetterQuery::default(),
                None,
                Some(e.to_owned()),
            )
            .await
        }
    }
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
}

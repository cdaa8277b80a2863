//! Subscriptions and other recurring payments of a pod, end to end: found in
//! the pod's [`Book`] by `selfdata_budget::recurring` (internal transfers
//! left out), with the resident's decisions kept in
//! `selfdata/budget/recurring.csv` (confirmed, or dismissed and hidden),
//! answered as JSON to the owner and the apps they allowed, and shown on the
//! owner's page where each can be confirmed or dismissed.
//!
//! - `GET /{pod}/selfdata/budget/api/subscriptions` → `{"subscriptions":[{"key",
//!   "payee","account","period","amount","last","next","yearly","status",
//!   "variable","ended","occurrences","misses","category","price_change"}],
//!   "income":[…],"yearly_total"}`: amounts are signed decimal strings (`"-13.49"`),
//!   `price_change` `{"date","from","to"}` or `null`,
//!   dismissed ones are left out, ended ones are listed with `"ended": true`
//!   and left out of `yearly_total` (as is income, listed apart).
//! - `GET /app/budget/subscriptions`: the same list as a page;
//!   `POST /app/budget/subscriptions` (`key`, `decision` = `confirmed` |
//!   `dismissed`, CSRF checked) writes the decision in one store write under
//!   the pipeline's per-pod lock, then sends the resident back (303).
//!
//! What was found is kept per pod for as long as its book is the same, so
//! that listing does not run the detector over years of transactions again.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Weak};

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use bytes::Bytes;
use jiff::Timestamp;
use jiff::civil::Date;
use parking_lot::Mutex;
use selfdata_budget::book::Book;
use selfdata_budget::money::{format_cents, format_cents_en, format_cents_fr};
use selfdata_budget::recurring::{self, Decision, Recurring, Status};
use selfdata_site::{Chrome, CsrfForm, Lang, PageError, Resident, fill, page};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_store::{PodName, Precondition, ResourcePath, StoreError, Write};
use selfdata_wac::ModeSet;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::BudgetApp;
use crate::api::BUDGET_CONTAINER;
use crate::budget::BudgetError;
use crate::texts::Texts;

/// The resident's decisions on what was found.
pub const RECURRING: &str = "selfdata/budget/recurring.csv";

/// Where the page lives.
const PAGE: &str = "/app/budget/subscriptions";

/// Why the subscriptions could not be listed or a decision saved.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    #[error(transparent)]
    Budget(#[from] BudgetError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `recurring.csv` cannot be read back; the message names the line.
    #[error("{RECURRING} cannot be read back ({0}); correct or delete that line")]
    Decisions(recurring::DocError),
}

impl From<SubscriptionError> for ApiError {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::Budget(b) => b.into(),
            SubscriptionError::Store(s) => s.into(),
            d @ SubscriptionError::Decisions(_) => {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, d.to_string())
            }
        }
    }
}

fn recurring_path() -> Result<ResourcePath, StoreError> {
    Ok(ResourcePath::parse(&format!("/{RECURRING}"))?)
}

/// What was found per pod, with the book and the day it was found from.
type Found = (Weak<Book>, Date, Arc<Vec<Recurring>>);

static FOUND: LazyLock<Mutex<HashMap<PodName, Found>>> = LazyLock::new(Default::default);

/// Forgets what was found for an erased pod.
pub fn forget(pod: &PodName) {
    FOUND.lock().remove(pod);
}

/// The recurring payments of `pod` as of today, and the resident's decisions.
pub(crate) async fn found(
    app: &BudgetApp,
    pod: &PodName,
) -> Result<(Arc<Book>, Arc<Vec<Recurring>>, Vec<Decision>), SubscriptionError> {
    let book = app.budget.book(pod).await?;
    let (found, decisions) = found_in(app, pod, &book).await?;
    Ok((book, found, decisions))
}

/// The recurring payments in `book`, the book of `pod` already read, as of
/// today, and the resident's decisions.
pub(crate) async fn found_in(
    app: &BudgetApp,
    pod: &PodName,
    book: &Arc<Book>,
) -> Result<(Arc<Vec<Recurring>>, Vec<Decision>), SubscriptionError> {
    let today = app.ctx.today();
    let known = FOUND
        .lock()
        .get(pod)
        .and_then(|(b, d, f)| (b.ptr_eq(&Arc::downgrade(book)) && *d == today).then(|| f.clone()));
    let found = match known {
        Some(f) => f,
        None => {
            let weak = Arc::downgrade(book);
            let all = book.clone();
            let f = Arc::new(
                tokio::task::spawn_blocking(move || {
                    recurring::detect(&recurring::occurrences(&all), today)
                })
                .await
                .map_err(|e| BudgetError::Damaged(e.to_string()))?,
            );
            FOUND.lock().insert(pod.clone(), (weak, today, f.clone()));
            f
        }
    };
    Ok((found, decisions(app, pod).await?))
}

async fn decisions(app: &BudgetApp, pod: &PodName) -> Result<Vec<Decision>, SubscriptionError> {
    match app.ctx.store.get(pod, &recurring_path()?).await? {
        Some((_, body)) => {
            recurring::decisions_from_csv(&body).map_err(SubscriptionError::Decisions)
        }
        None => Ok(Vec::new()),
    }
}

/// What is listed: dismissed ones left out, income and ended ones apart.
pub struct Listed<'a> {
    pub running: Vec<(&'a Recurring, Status)>,
    pub ended: Vec<(&'a Recurring, Status)>,
    pub income: Vec<(&'a Recurring, Status)>,
    /// Signed cents a year of the running payments.
    pub yearly_total: i64,
}

pub fn listed<'a>(found: &'a [Recurring], decisions: &[Decision]) -> Listed<'a> {
    let mut l = Listed {
        running: Vec::new(),
        ended: Vec::new(),
        income: Vec::new(),
        yearly_total: recurring::yearly_total(found, decisions),
    };
    for r in found {
        let status = recurring::status(decisions, &r.key);
        if status == Status::Dismissed {
            continue;
        }
        if r.income {
            l.income.push((r, status));
        } else if r.ended {
            l.ended.push((r, status));
        } else {
            l.running.push((r, status));
        }
    }
    l
}

fn item_json(r: &Recurring, status: Status) -> Value {
    json!({
        "key": r.key,
        "payee": r.payee,
        "account": r.account,
        "period": r.period.as_str(),
        "amount": format_cents(r.amount),
        "last": r.last.to_string(),
        "next": r.next.to_string(),
        "yearly": format_cents(r.yearly),
        "status": status.as_str(),
        "variable": r.variable,
        "ended": r.ended,
        "occurrences": r.occurrences,
        "misses": r.misses,
        "category": r.category,
        "price_change": r.price_change.map(|(day, from, to)| json!({
            "date": day.to_string(), "from": format_cents(from), "to": format_cents(to),
        })),
    })
}

/// The API's answer, from the same list the page shows.
pub fn subscriptions_json(found: &[Recurring], decisions: &[Decision]) -> Value {
    let l = listed(found, decisions);
    let subscriptions: Vec<Value> = l
        .running
        .iter()
        .chain(&l.ended)
        .map(|(r, s)| item_json(r, *s))
        .collect();
    let income: Vec<Value> = l.income.iter().map(|(r, s)| item_json(r, *s)).collect();
    json!({
        "subscriptions": subscriptions,
        "income": income,
        "yearly_total": format_cents(l.yearly_total),
    })
}

pub async fn api(
    State(app): State<Arc<BudgetApp>>,
    access: PodAccess,
) -> Result<Response, ApiError> {
    let pod = access.require(BUDGET_CONTAINER, ModeSet::READ).await?;
    let (_, found, decisions) = found(&app, &pod).await?;
    let body = serde_json::to_vec(&subscriptions_json(&found, &decisions)).unwrap_or_default();
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Every sentence of the subscriptions page.
#[derive(Debug)]
pub struct SubscriptionWords {
    pub lang: &'static str,
    pub title: &'static str,
    /// The budget page's link here.
    pub link: &'static str,
    pub intro: &'static str,
    pub back: &'static str,
    pub running_title: &'static str,
    pub ended_title: &'static str,
    pub ended_intro: &'static str,
    pub income_title: &'static str,
    pub none: &'static str,
    pub payee: &'static str,
    pub period: &'static str,
    pub amount: &'static str,
    pub next: &'static str,
    pub last: &'static str,
    pub yearly: &'static str,
    pub decide: &'static str,
    /// `{total}`.
    pub total: &'static str,
    pub variable: &'static str,
    /// `{date}`, `{from}`, `{to}`.
    pub price_changed: &'static str,
    pub confirmed: &'static str,
    pub to_confirm: &'static str,
    pub confirm: &'static str,
    pub dismiss: &'static str,
    /// `{payee}`.
    pub saved_confirmed: &'static str,
    /// `{payee}`.
    pub saved_dismissed: &'static str,
    pub gone: &'static str,
    pub failed: &'static str,
    /// `{file}`, `{error}` (which names the line).
    pub damaged: &'static str,
}

pub static FR: SubscriptionWords = SubscriptionWords {
    lang: "fr",
    title: "Abonnements et paiements réguliers",
    link: "Vos abonnements et paiements réguliers, et leur coût sur un an",
    intro: "Ce que vous payez chaque semaine, chaque mois ou chaque année, trouvé dans vos relevés, et ce que cela coûte sur un an. Dites-nous si c’est bien un abonnement : ceux que vous écartez disparaissent de la liste.",
    back: "Retour au budget",
    running_title: "En cours",
    ended_title: "Terminés",
    ended_intro: "Aucun prélèvement n’est venu à la date attendue : ils ne comptent plus dans le coût annuel.",
    income_title: "Revenus réguliers",
    none: "Aucun paiement régulier trouvé pour l’instant : il faut quelques mois de relevés.",
    payee: "Bénéficiaire",
    period: "Fréquence",
    amount: "Montant",
    next: "Prochain",
    last: "Dernier",
    yearly: "Sur un an",
    decide: "Votre avis",
    total: "Coût sur un an des paiements en cours : {total}",
    variable: "montant variable",
    price_changed: "prix changé le {date} : {from} → {to}",
    confirmed: "abonnement confirmé",
    to_confirm: "à confirmer",
    confirm: "C’est bien un abonnement",
    dismiss: "Ce n’en est pas un",
    saved_confirmed: "« {payee} » est noté comme abonnement.",
    saved_dismissed: "« {payee} » est retiré de la liste.",
    gone: "Ce paiement régulier n’est plus dans la liste (un relevé a peut-être changé) : rechargez la page.",
    failed: "Les paiements réguliers n’ont pas pu être lus ; rien n’a été modifié.",
    damaged: "Vos choix sur les paiements réguliers ({file}) ne peuvent pas être relus : {error}. Corrigez ou supprimez cette ligne ; rien n’a été modifié.",
};

pub static EN: SubscriptionWords = SubscriptionWords {
    lang: "en",
    title: "Subscriptions and recurring payments",
    link: "Your subscriptions and recurring payments, and their yearly cost",
    intro: "What you pay every week, month or year, found in your statements, and what it costs over a year. Tell us whether each is really a subscription: the ones you set aside leave the list.",
    back: "Back to money",
    running_title: "Running",
    ended_title: "Ended",
    ended_intro: "No payment came when expected: they no longer count in the yearly cost.",
    income_title: "Regular income",
    none: "No recurring payment found yet: it takes a few months of statements.",
    payee: "Payee",
    period: "How often",
    amount: "Amount",
    next: "Next",
    last: "Last",
    yearly: "Over a year",
    decide: "Your say",
    total: "Yearly cost of the running payments: {total}",
    variable: "varying amount",
    price_changed: "price changed on {date}: {from} → {to}",
    confirmed: "confirmed subscription",
    to_confirm: "to confirm",
    confirm: "It is a subscription",
    dismiss: "It is not one",
    saved_confirmed: "“{payee}” is kept as a subscription.",
    saved_dismissed: "“{payee}” was taken off the list.",
    gone: "This recurring payment is no longer in the list (a statement may have changed): reload the page.",
    failed: "The recurring payments could not be read; nothing was changed.",
    damaged: "Your choices on recurring payments ({file}) cannot be read back: {error}. Correct or delete that line; nothing was changed.",
};

selfdata_site::words!(SubscriptionWords, FR, EN);

/// The words of the budget page's link to the subscriptions, in the page's
/// language (`fr` or `en`).
pub fn link(lang: &str) -> &'static str {
    Lang::parse(lang)
        .unwrap_or_default()
        .words::<SubscriptionWords>()
        .link
}

impl SubscriptionWords {
    fn money(&self, cents: i64) -> String {
        if self.lang == "fr" {
            format_cents_fr(cents)
        } else {
            format_cents_en(cents)
        }
    }
}

/// One recurring payment as a row of the page.
struct Row {
    key: String,
    payee: String,
    /// The account's name (bank and last digits).
    account: String,
    period: &'static str,
    price_changed: Option<String>,
    amount: String,
    variable: bool,
    /// The next date for a running one, the last for an ended one.
    date: String,
    iso: String,
    yearly: String,
    confirmed: bool,
}

struct Section {
    id: &'static str,
    title: &'static str,
    intro: &'static str,
    /// The next date (running) or the last (ended).
    date_title: &'static str,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "budget_subscriptions.html")]
struct SubscriptionsPage {
    w: &'static SubscriptionWords,
    chrome: Chrome,
    csrf: String,
    notice: Option<String>,
    total: Option<String>,
    sections: Vec<Section>,
}

fn row(w: &SubscriptionWords, lang: Lang, book: &Book, (r, status): &(&Recurring, Status)) -> Row {
    let t: &Texts = lang.words();
    let account = book
        .accounts
        .iter()
        .find(|a| a.id == r.account)
        .map_or_else(|| r.account.clone(), |a| a.name());
    let day = if r.ended { r.last } else { r.next };
    Row {
        key: r.key.clone(),
        payee: r.payee.clone(),
        account,
        price_changed: r.price_change.map(|(day, from, to)| {
            fill(
                w.price_changed,
                &[
                    ("date", &t.date(day)),
                    ("from", &w.money(from)),
                    ("to", &w.money(to)),
                ],
            )
        }),
        period: if lang == Lang::Fr {
            r.period.fr()
        } else {
            r.period.en()
        },
        amount: w.money(r.amount),
        variable: r.variable,
        date: t.date(day),
        iso: day.to_string(),
        yearly: w.money(r.yearly),
        confirmed: *status == Status::Confirmed,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Done {
    done: Option<String>,
    key: Option<String>,
}

fn failed(w: &SubscriptionWords, e: SubscriptionError) -> Response {
    tracing::error!(error = %e, "the recurring payments could not be read or saved");
    let sentence = match &e {
        SubscriptionError::Decisions(d) => {
            fill(w.damaged, &[("file", RECURRING), ("error", &d.to_string())])
        }
        _ => w.failed.to_owned(),
    };
    PageError::new(StatusCode::INTERNAL_SERVER_ERROR, sentence).into_response()
}

pub async fn show(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<Done>,
) -> Response {
    let lang = chrome.language();
    let w: &'static SubscriptionWords = lang.words();
    let (book, found, decisions) = match found(&app, &me.pod).await {
        Ok(x) => x,
        Err(e) => return failed(w, e),
    };
    let l = listed(&found, &decisions);
    let notice = match (q.done.as_deref(), q.key.as_deref()) {
        (Some(done), Some(key)) => found.iter().find(|r| r.key == key).and_then(|r| {
            let template = match (done, recurring::status(&decisions, key)) {
                ("confirmed", Status::Confirmed) => w.saved_confirmed,
                ("dismissed", Status::Dismissed) => w.saved_dismissed,
                _ => return None,
            };
            Some(fill(template, &[("payee", &r.payee)]))
        }),
        _ => None,
    };
    let section = |id, title, intro, date_title, items: &[(&Recurring, Status)]| Section {
        id,
        title,
        intro,
        date_title,
        rows: items.iter().map(|x| row(w, lang, &book, x)).collect(),
    };
    let sections: Vec<Section> = [
        section("running", w.running_title, "", w.next, &l.running),
        section("income", w.income_title, "", w.next, &l.income),
        section("ended", w.ended_title, w.ended_intro, w.last, &l.ended),
    ]
    .into_iter()
    .filter(|s| !s.rows.is_empty())
    .collect();
    let total =
        (!l.running.is_empty()).then(|| fill(w.total, &[("total", &w.money(l.yearly_total))]));
    page(
        StatusCode::OK,
        SubscriptionsPage {
            w,
            chrome,
            csrf: me.session.csrf,
            notice,
            total,
            sections,
        }
        .render(),
    )
}

#[derive(Debug, Deserialize)]
pub struct Decide {
    key: String,
    decision: String,
}

pub async fn decide(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<Decide>,
) -> Response {
    let w: &'static SubscriptionWords = chrome.language().words();
    let confirmed = match form.decision.as_str() {
        "confirmed" => true,
        "dismissed" => false,
        _ => return PageError::form_unreadable().into_response(),
    };
    let known = match found(&app, &me.pod).await {
        Ok((_, found, _)) => found.iter().any(|r| r.key == form.key),
        Err(e) => return failed(w, e),
    };
    if !known {
        return PageError::new(StatusCode::NOT_FOUND, w.gone).into_response();
    }
    if let Err(e) = save(&app, &me.pod, &form.key, confirmed).await {
        return failed(w, e);
    }
    let query =
        serde_urlencoded::to_string([("done", form.decision.as_str()), ("key", form.key.as_str())])
            .unwrap_or_default();
    Redirect::to(&format!("{PAGE}?{query}#notice")).into_response()
}

/// Writes the resident's decision on `key` (replacing an earlier one) in
/// one store write, in the pod's turn so that no import or other decision, on
/// any server, writes the file in between.
async fn save(
    app: &BudgetApp,
    pod: &PodName,
    key: &str,
    confirmed: bool,
) -> Result<(), SubscriptionError> {
    let mut turn = app.ctx.pipeline.turn(pod).await?;
    let mut all = decisions(app, pod).await?;
    all.retain(|d| d.key != key);
    all.push(Decision {
        key: key.to_owned(),
        confirmed,
        at: Timestamp::now(),
    });
    app.ctx
        .pipeline
        .commit(
            &mut turn,
            vec![Write::Put {
                path: recurring_path()?,
                content_type: "text/csv".to_owned(),
                body: Bytes::from(recurring::decisions_to_csv(&all)),
                precondition: Precondition::None,
            }],
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(key: &str, yearly: i64, ended: bool, income: bool) -> Recurring {
        Recurring {
            key: key.to_owned(),
            payee: key.to_owned(),
            account: "a".into(),
            period: recurring::Period::Monthly,
            amount: yearly / 12,
            variable: false,
            last: jiff::civil::date(2025, 1, 5),
            next: jiff::civil::date(2025, 2, 5),
            yearly,
            occurrences: 12,
            misses: 0,
            ended,
            price_change: None,
            category: None,
            income,
        }
    }

    #[test]
    fn dismissed_ones_leave_the_list_ended_ones_and_income_leave_the_total() {
        let all = [
            found("NETFLIX", -16_188, false, false),
            found("GYM", -36_000, false, false),
            found("OLD", -12_000, true, false),
            found("SALARY", 2_400_000, false, true),
        ];
        let decisions = [Decision {
            key: "GYM".into(),
            confirmed: false,
            at: Timestamp::UNIX_EPOCH,
        }];
        let v = subscriptions_json(&all, &decisions);
        let keys: Vec<&str> = v["subscriptions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["NETFLIX", "OLD"]);
        assert_eq!(v["subscriptions"][1]["ended"], true);
        assert_eq!(v["income"][0]["key"], "SALARY");
        assert_eq!(v["yearly_total"], "-161.88");
        assert_eq!(v["subscriptions"][0]["price_change"], Value::Null);
    }

    #[test]
    fn a_price_step_is_told_with_its_day_and_both_prices() {
        let mut netflix = found("NETFLIX", -18_588, false, false);
        netflix.price_change = Some((jiff::civil::date(2024, 10, 5), -1349, -1549));
        let v = subscriptions_json(&[netflix], &[]);
        assert_eq!(
            v["subscriptions"][0]["price_change"],
            json!({"date": "2024-10-05", "from": "-13.49", "to": "-15.49"})
        );
    }
}

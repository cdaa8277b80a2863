//! The transactions page: `GET /app/budget/transactions` lists a period's
//! transactions (filters by account, category and words of the label, all
//! in the address so a search can be bookmarked), each with its category
//! and, folded under it, why that category was chosen and a form to
//! correct it; `POST /app/budget/transactions/categorise` saves the
//! correction for this one transaction or for every one of its payee (a
//! learned rule), then comes back to the same list with a notice.
//! Works without JavaScript (`<details>` for the folding).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_budget::book::{Book, Row};
use selfdata_budget::categorise::Scope;
use selfdata_budget::category;
use selfdata_budget::payee::payee;
use selfdata_site::{Chrome, CsrfForm, PageError, Resident, count, fill, page};
use serde::Deserialize;

use crate::BudgetApp;
use crate::budget::RowKey;
use crate::texts::Texts;

/// The most rows one page lists.
const MAX_ROWS: usize = 500;

/// The filters, as the address carries them.
#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    from: Option<String>,
    to: Option<String>,
    account: Option<String>,
    category: Option<String>,
    q: Option<String>,
    /// After a correction: how many transactions followed it.
    done: Option<usize>,
}

/// What the filters select, read leniently (a bad date falls back to the default).
struct Selected {
    from: Date,
    to: Date,
    account: Option<String>,
    /// `Some("")` selects the uncategorised.
    category: Option<String>,
    q: String,
}

impl Selected {
    fn read(f: &Filters, book: &Book) -> Selected {
        let last = book.rows.last().map(|r| r.entry.date);
        let default_from = last.map_or_else(|| Date::constant(2000, 1, 1), Date::first_of_month);
        let from = f
            .from
            .as_deref()
            .and_then(|d| d.parse().ok())
            .unwrap_or(default_from);
        let to =
            f.to.as_deref()
                .and_then(|d| d.parse().ok())
                .filter(|t| *t > from)
                .unwrap_or_else(|| from.first_of_month().checked_add(1.month()).unwrap_or(from));
        Selected {
            from,
            to,
            account: f.account.clone().filter(|a| !a.is_empty()),
            category: f.category.clone().filter(|c| c != "*"),
            q: f.q.clone().unwrap_or_default().trim().to_owned(),
        }
    }

    fn keeps(&self, book: &Book, r: &Row, words: &str) -> bool {
        self.account
            .as_deref()
            .is_none_or(|a| book.accounts[r.account].id == a)
            && match self.category.as_deref() {
                None => true,
                Some("") => r.category.is_none(),
                Some(c) => r
                    .category
                    .is_some_and(|rc| rc == c || category::is_under(rc, c)),
            }
            && (words.is_empty()
                || selfdata_budget::sources::text::norm(&format!(
                    "{} {}",
                    r.entry.label, r.entry.memo
                ))
                .contains(words))
    }

    /// The address of this selection, for links and for coming back.
    fn query(&self) -> String {
        let mut q = vec![("from", self.from.to_string()), ("to", self.to.to_string())];
        if let Some(a) = &self.account {
            q.push(("account", a.clone()));
        }
        if let Some(c) = &self.category {
            q.push(("category", c.clone()));
        }
        if !self.q.is_empty() {
            q.push(("q", self.q.clone()));
        }
        serde_urlencoded::to_string(q).unwrap_or_default()
    }
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
    /// A parent shown as a group heading in the correction list.
    group: bool,
}

struct TxRow {
    /// For care: what was repaid (CPAM, mutuelle) and what is left; for a
    /// reimbursement: the care it repays.
    health: Option<String>,
    date: String,
    iso: String,
    label: String,
    memo: String,
    account: String,
    account_id: String,
    category: String,
    uncategorised: bool,
    why: String,
    amount: String,
    cents: i64,
    negative: bool,
    seq: u32,
    payee_button: Option<String>,
    /// An id unique on the page, for the form's labels.
    n: usize,
}

#[derive(Template)]
#[template(path = "budget_transactions.html")]
struct TransactionsPage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    from: String,
    to: String,
    q: String,
    back: String,
    accounts: Vec<Choice>,
    categories: Vec<Choice>,
    /// Leaves for the correction form (parents as groups).
    choices: Vec<Choice>,
    rows: Vec<TxRow>,
    listed: String,
    cut: Option<String>,
    notice: Option<String>,
}

fn category_choices(t: &Texts, selected: Option<&str>) -> Vec<Choice> {
    let lang = t.lang();
    let mut out = vec![Choice {
        value: String::new(),
        label: t.uncategorised.to_owned(),
        selected: selected == Some(""),
        group: false,
    }];
    out.extend(category::tree().iter().map(|c| Choice {
        value: c.id.to_owned(),
        label: indent(c.id, c.name(lang)),
        selected: selected == Some(c.id),
        group: false,
    }));
    out
}

/// A category's name indented by its depth, for a plain `<select>`.
fn indent(id: &str, name: &str) -> String {
    let depth = id.matches('/').count();
    format!("{}{name}", "\u{a0}\u{a0}".repeat(depth))
}

fn leaf_choices(t: &Texts) -> Vec<Choice> {
    let lang = t.lang();
    category::tree()
        .iter()
        .map(|c| Choice {
            value: c.id.to_owned(),
            label: indent(c.id, c.name(lang)),
            selected: false,
            group: !c.is_leaf(),
        })
        .collect()
}

pub(crate) async fn show(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    me: Resident,
    Query(f): Query<Filters>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let book = app.page_book(&me).await?;
    let sel = Selected::read(&f, &book);
    let words = selfdata_budget::sources::text::norm(&sel.q);
    let budget_lang = t.lang();
    let start = book.rows.partition_point(|r| r.entry.date < sel.from);
    let health = health_notes(&book, sel.from, sel.to, t);
    let mut rows = Vec::new();
    let (mut n, mut spent, mut received) = (0usize, 0i64, 0i64);
    for (i, r) in book.between(sel.from, sel.to).iter().enumerate() {
        if !sel.keeps(&book, r, &words) {
            continue;
        }
        n += 1;
        if r.category != Some(selfdata_budget::book::INTERNAL) {
            if r.entry.amount < 0 {
                spent += r.entry.amount;
            } else {
                received += r.entry.amount;
            }
        }
        if rows.len() >= MAX_ROWS {
            continue;
        }
        let decision = book.decision(start + i);
        let health = health.get(&(start + i)).cloned();
        let who = payee(&r.entry.label, &r.entry.memo).name;
        rows.push(TxRow {
            health,
            date: t.short_date(r.entry.date),
            iso: r.entry.date.to_string(),
            label: r.entry.label.clone(),
            memo: r.entry.memo.clone(),
            account: book.accounts[r.account].name(),
            account_id: book.accounts[r.account].id.clone(),
            category: r.category.and_then(category::find).map_or_else(
                || t.uncategorised.to_owned(),
                |c| c.name(budget_lang).to_owned(),
            ),
            uncategorised: r.category.is_none(),
            why: decision.why.sentence(budget_lang),
            amount: t.money(r.entry.amount),
            cents: r.entry.amount,
            negative: r.entry.amount < 0,
            seq: r.entry.seq,
            payee_button: (!who.is_empty()).then(|| fill(t.all_of_payee, &[("payee", &who)])),
            n: rows.len(),
        });
    }
    let listed = fill(
        t.listed,
        &[
            ("n", &count(n as u64, lang)),
            ("spent", &t.money(spent)),
            ("received", &t.money(received)),
        ],
    );
    let cut = (n > MAX_ROWS).then(|| fill(t.listed_cut, &[("n", &count(MAX_ROWS as u64, lang))]));
    let notice = f.done.map(|n| match n {
        1 => t.corrected_one.to_owned(),
        n => fill(t.corrected_many, &[("n", &count(n as u64, lang))]),
    });
    let mut accounts = vec![Choice {
        value: String::new(),
        label: t.all_accounts.to_owned(),
        selected: sel.account.is_none(),
        group: false,
    }];
    accounts.extend(book.accounts.iter().map(|a| Choice {
        value: a.id.clone(),
        label: a.name(),
        selected: sel.account.as_deref() == Some(&a.id),
        group: false,
    }));
    let mut categories = vec![Choice {
        value: "*".to_owned(),
        label: t.all_categories.to_owned(),
        selected: sel.category.is_none(),
        group: false,
    }];
    categories.extend(category_choices(t, sel.category.as_deref()));
    Ok(page(
        StatusCode::OK,
        TransactionsPage {
            t,
            chrome,
            csrf: me.session.csrf,
            from: sel.from.to_string(),
            to: sel.to.to_string(),
            q: sel.q.clone(),
            back: sel.query(),
            accounts,
            categories,
            choices: leaf_choices(t),
            rows,
            listed,
            cut,
            notice,
        }
        .render(),
    ))
}

/// Care and its reimbursements (CPAM, mutuelle) around `[from, to)`, linked
/// (`selfdata_budget::bills::health_links`): row index → what to say.
fn health_notes(
    book: &Book,
    from: Date,
    to: Date,
    t: &Texts,
) -> std::collections::HashMap<usize, String> {
    use selfdata_budget::bills::{HealthTx, health_links, repaid};
    let lo = from.checked_sub(61.days()).unwrap_or(from);
    let hi = to.checked_add(61.days()).unwrap_or(to);
    let base = book.rows.partition_point(|r| r.entry.date < lo);
    let (mut care, mut care_rows, mut back, mut back_rows) = (vec![], vec![], vec![], vec![]);
    for (i, r) in book.between(lo, hi).iter().enumerate() {
        let tx = HealthTx {
            date: r.entry.date,
            amount: r.entry.amount,
            label: r.entry.label.clone(),
        };
        match r.category {
            Some("sante/soins") if r.entry.amount < 0 => {
                care.push(tx);
                care_rows.push(base + i);
            }
            Some("sante/remboursements-sante") if r.entry.amount > 0 => {
                back.push(tx);
                back_rows.push(base + i);
            }
            _ => {}
        }
    }
    let links = health_links(&care, &back);
    let mut out = std::collections::HashMap::new();
    for r in repaid(&care, &links) {
        let said = if t.lang == "fr" { r.fr() } else { r.en() };
        out.insert(care_rows[r.expense], said);
    }
    for l in &links {
        let e = &care[l.expense];
        out.insert(
            back_rows[l.credit],
            fill(
                t.repays,
                &[("date", &t.short_date(e.date)), ("label", &e.label)],
            ),
        );
    }
    out
}

#[derive(Debug, Deserialize)]
pub(crate) struct Correct {
    account: String,
    date: String,
    amount: i64,
    seq: u32,
    label: String,
    category: String,
    scope: String,
    #[serde(default)]
    back: String,
}

pub(crate) async fn correct(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    CsrfForm { resident: me, form }: CsrfForm<Correct>,
) -> Response {
    let t: &'static Texts = chrome.language().words();
    let (Ok(date), Some(cat)) = (form.date.parse::<Date>(), category::find(&form.category)) else {
        return PageError::new(StatusCode::BAD_REQUEST, t.bad_category).into_response();
    };
    let scope = if form.scope == "payee" {
        Scope::Payee
    } else {
        Scope::One
    };
    let key = RowKey {
        account: form.account,
        date,
        amount: form.amount,
        seq: form.seq,
        label: form.label,
    };
    match app.budget.correct(&me.pod, &key, cat.id, scope).await {
        Ok(Some(n)) => {
            // Only our own query string goes back into the address.
            let back: String = serde_urlencoded::from_str::<Vec<(String, String)>>(&form.back)
                .ok()
                .and_then(|q| serde_urlencoded::to_string(q).ok())
                .unwrap_or_default();
            let sep = if back.is_empty() { "" } else { "&" };
            Redirect::to(&format!("/app/budget/transactions?{back}{sep}done={n}")).into_response()
        }
        Ok(None) => PageError::new(StatusCode::NOT_FOUND, t.not_found).into_response(),
        Err(e) => PageError::internal(e).into_response(),
    }
}

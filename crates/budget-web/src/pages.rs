//! The owner's budget pages, in the shared layout (phone first, no script):
//!
//! - `GET /app/budget`: every account with its balance, the latest
//!   transactions, and the form that sends statements to the shared import
//!   job table (`/app/import`).
//!
//! The figures come from the same functions as the JSON API ([`crate::api`]).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use selfdata_site::{Chrome, Lang, PageError, Resident, count, fill, page};

use crate::BudgetApp;
use crate::texts::Texts;

/// `?year=YYYY` of the pages and API that show one year.
#[derive(Debug, serde::Deserialize)]
pub struct YearQuery {
    pub year: Option<String>,
}

/// The year asked for (the last with a transaction by default), and the
/// years the pod has transactions in, for the year links.
pub struct Years {
    pub year: i16,
    pub all: std::ops::RangeInclusive<i16>,
}

impl Years {
    pub fn of(
        q: &YearQuery,
        book: &selfdata_budget::book::Book,
        today: jiff::civil::Date,
    ) -> Result<Years, String> {
        let first = book
            .rows
            .first()
            .map_or(today.year(), |r| r.entry.date.year());
        let last = book
            .rows
            .last()
            .map_or(today.year(), |r| r.entry.date.year());
        let year = match q.year.as_deref() {
            Some(y) => y
                .parse::<i16>()
                .ok()
                .filter(|y| (1900..=2200).contains(y))
                .ok_or_else(|| format!("year must be a year like 2025; found {y:?}."))?,
            None => last,
        };
        Ok(Years {
            year,
            all: first.min(year)..=last.max(year),
        })
    }
}

/// How many transactions the home page lists.
const RECENT: usize = 20;

struct AccountView {
    id: String,
    name: String,
    balance: String,
    balance_note: String,
    negative: bool,
    count: String,
}

struct TxView {
    date: String,
    iso: String,
    label: String,
    account: String,
    amount: String,
    negative: bool,
}

#[derive(Template)]
#[template(path = "budget_home.html")]
struct HomePage {
    t: &'static Texts,
    chrome: Chrome,
    csrf: String,
    accounts: Vec<AccountView>,
    recent: Vec<TxView>,
    accept: &'static str,
}

/// What the file picker offers.
const ACCEPT: &str = ".ofx,.qfx,.qif,.xml,.csv,.txt";

pub(crate) async fn home(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    me: Resident,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let book = app.page_book(&me).await?;
    let accounts = (0..book.accounts.len())
        .map(|i| {
            let a = &book.accounts[i];
            let s = book.standing(i);
            AccountView {
                id: a.id.clone(),
                name: a.name(),
                balance: s.balance.map(|b| t.money(b)).unwrap_or_default(),
                balance_note: match s.stated_on {
                    Some(d) => fill(t.balance_as_of, &[("date", &t.date(d))]),
                    None => t.no_balance.to_owned(),
                },
                negative: s.balance.is_some_and(|b| b < 0),
                count: fill(
                    t.transactions_count,
                    &[("n", &count(s.transactions as u64, lang))],
                ),
            }
        })
        .collect();
    let recent = book
        .rows
        .iter()
        .rev()
        .take(RECENT)
        .map(|r| TxView {
            date: t.short_date(r.entry.date),
            iso: r.entry.date.to_string(),
            label: r.entry.label.clone(),
            account: book.accounts[r.account].name(),
            amount: t.money(r.entry.amount),
            negative: r.entry.amount < 0,
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        HomePage {
            t,
            chrome,
            csrf: me.session.csrf,
            accounts,
            recent,
            accept: ACCEPT,
        }
        .render(),
    ))
}

/// The home card: the accounts and their total.
pub(crate) async fn card(
    app: &BudgetApp,
    me: &Resident,
    lang: Lang,
) -> Option<selfdata_service::Card> {
    let t: &'static Texts = lang.words();
    let book = match app.budget.book(&me.pod).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, pod = %me.pod, "the accounts could not be loaded");
            return None;
        }
    };
    let headline = if book.accounts.is_empty() {
        t.card_empty.to_owned()
    } else {
        let total: i64 = (0..book.accounts.len())
            .filter_map(|i| book.standing(i).balance)
            .sum();
        let template = match book.accounts.len() {
            1 => t.card_headline_one,
            _ => t.card_headline,
        };
        fill(
            template,
            &[
                ("n", &count(book.accounts.len() as u64, lang)),
                ("total", &t.money(total)),
            ],
        )
    };
    Some(selfdata_service::Card {
        title: t.title,
        href: "/app/budget",
        headline,
        lines: Vec::new(),
    })
}

//! The budget JSON API of a pod (routes listed in the crate's documentation).
//! Each handler authenticates the caller and requires WAC Read on
//! `/{pod}/selfdata/budget/` before reading anything; errors are problem+json.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_budget::book::{Book, Sum, Summary};
use selfdata_budget::money::format_cents;
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_wac::ModeSet;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::BudgetApp;
use crate::budget::BudgetError;

/// The resource whose Read permission opens the API.
pub const BUDGET_CONTAINER: &str = "/selfdata/budget/";

/// The longest period one request may span.
const MAX_DAYS: i32 = 366 * 20;

impl From<BudgetError> for ApiError {
    fn from(e: BudgetError) -> Self {
        match e {
            BudgetError::Store(s) => s.into(),
            BudgetError::Damaged(d) => {
                tracing::error!(error = %d, "budget data damaged");
                ApiError::internal()
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Period {
    from: Option<String>,
    to: Option<String>,
    account: Option<String>,
}

fn parse_date(name: &str, s: &str) -> Result<Date, ApiError> {
    s.parse::<Date>().map_err(|_| {
        ApiError::bad_request(format!(
            "{name} must be a date like 2025-01-31 (a booking day); found {s:?}."
        ))
    })
}

/// `[from, to)` from the query; the last 30 days up to today by default.
pub fn period(q: &Period, today: Date) -> Result<(Date, Date), ApiError> {
    let to = match &q.to {
        Some(t) => parse_date("to", t)?,
        None => today.tomorrow().unwrap_or(today),
    };
    let from = match &q.from {
        Some(f) => parse_date("from", f)?,
        None => to.checked_sub(30.days()).unwrap_or(to),
    };
    if to <= from {
        return Err(ApiError::bad_request("to must come after from."));
    }
    if (to - from).get_days() > MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "One request covers at most {MAX_DAYS} days; ask for a shorter period."
        )));
    }
    Ok((from, to))
}

fn json_response(v: &Value) -> Response {
    json_bytes(serde_json::to_vec(v).unwrap_or_default())
}

fn json_bytes(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One transaction as the API writes it.
#[derive(serde::Serialize)]
struct TransactionOut<'a> {
    date: String,
    amount: String,
    currency: &'a str,
    label: &'a str,
    account: &'a str,
    category: Option<&'static str>,
}

#[derive(serde::Serialize)]
struct TransactionsOut<'a> {
    transactions: Vec<TransactionOut<'a>>,
}

/// The transactions answer (written straight from typed rows: ten years
/// are a hundred thousand of them).
pub fn transactions_json(book: &Book, from: Date, to: Date, account: Option<&str>) -> Vec<u8> {
    let out = TransactionsOut {
        transactions: book
            .between(from, to)
            .iter()
            .filter(|r| account.is_none_or(|a| book.accounts[r.account].id == a))
            .map(|r| TransactionOut {
                date: r.entry.date.to_string(),
                amount: format_cents(r.entry.amount),
                currency: &r.entry.currency,
                label: &r.entry.label,
                account: &book.accounts[r.account].id,
                category: r.category,
            })
            .collect(),
    };
    serde_json::to_vec(&out).unwrap_or_default()
}

pub async fn transactions(
    State(app): State<Arc<BudgetApp>>,
    access: PodAccess,
    Query(q): Query<Period>,
) -> Result<Response, ApiError> {
    let pod = access.require(BUDGET_CONTAINER, ModeSet::READ).await?;
    let (from, to) = period(&q, app.ctx.today())?;
    let book = app.budget.book(&pod).await?;
    if let Some(a) = &q.account
        && !book.accounts.iter().any(|x| &x.id == a)
    {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            format!("There is no account {a:?} in this pod."),
        ));
    }
    Ok(json_bytes(transactions_json(
        &book,
        from,
        to,
        q.account.as_deref(),
    )))
}

/// Every account with where it stands.
pub fn accounts_json(book: &Book) -> Value {
    let accounts: Vec<Value> = (0..book.accounts.len())
        .map(|i| {
            let a = &book.accounts[i];
            let s = book.standing(i);
            json!({
                "account": a.id,
                "holder": a.holder.name,
                "label": a.label,
                "last4": a.last4(),
                "currency": a.currency,
                "balance": s.balance.map(format_cents),
                "balance_stated_on": s.stated_on.map(|d| d.to_string()),
                "last_transaction": s.last.map(|d| d.to_string()),
                "transactions": s.transactions,
            })
        })
        .collect();
    json!({ "accounts": accounts })
}

pub async fn accounts(
    State(app): State<Arc<BudgetApp>>,
    access: PodAccess,
) -> Result<Response, ApiError> {
    let pod = access.require(BUDGET_CONTAINER, ModeSet::READ).await?;
    let book = app.budget.book(&pod).await?;
    Ok(json_response(&accounts_json(&book)))
}

#[derive(Debug, Deserialize)]
pub struct SummaryQuery {
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
}

/// The months of `[from, to)`: the last twelve whole months and this one by default.
pub fn summary_period(
    from: Option<&str>,
    to: Option<&str>,
    today: Date,
) -> Result<(Date, Date), ApiError> {
    let to = match to {
        Some(t) => parse_date("to", t)?,
        None => today
            .first_of_month()
            .checked_add(1.month())
            .unwrap_or(today),
    };
    let from = match from {
        Some(f) => parse_date("from", f)?,
        None => to.checked_sub(12.months()).unwrap_or(to),
    };
    if to <= from {
        return Err(ApiError::bad_request("to must come after from."));
    }
    if (to - from).get_days() > MAX_DAYS {
        return Err(ApiError::bad_request(format!(
            "One request covers at most {MAX_DAYS} days; ask for a shorter period."
        )));
    }
    Ok((from, to))
}

/// A category's (or the uncategorised') sum as the API writes it.
#[derive(serde::Serialize)]
struct SumOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'static str>,
    amount: String,
    count: u32,
}

impl SumOut {
    fn of(category: Option<&'static str>, s: &Sum) -> SumOut {
        SumOut {
            category,
            amount: format_cents(s.amount),
            count: s.count,
        }
    }
}

/// One month, or the whole period (no `month`).
#[derive(serde::Serialize)]
struct MonthOut {
    #[serde(skip_serializing_if = "Option::is_none")]
    month: Option<String>,
    spent: String,
    received: String,
    categories: Vec<SumOut>,
    uncategorised: SumOut,
    internal_transfers: SumOut,
}

impl MonthOut {
    fn of(m: &Summary) -> MonthOut {
        MonthOut {
            month: m.month.map(|d| format!("{:04}-{:02}", d.year(), d.month())),
            spent: format_cents(m.spent),
            received: format_cents(m.received),
            categories: m
                .categories
                .iter()
                .map(|(c, s)| SumOut::of(Some(c), s))
                .collect(),
            uncategorised: SumOut::of(None, &m.uncategorised),
            internal_transfers: SumOut::of(None, &m.internal),
        }
    }
}

#[derive(serde::Serialize)]
struct SummaryOut {
    currency: &'static str,
    from: String,
    to: String,
    months: Vec<MonthOut>,
    total: MonthOut,
}

/// The summary answer (written straight from typed rows: a ten-year
/// answer holds thousands of sums).
pub fn summary_json(book: &Book, from: Date, to: Date) -> Vec<u8> {
    let monthly = book.monthly(from, to);
    let out = SummaryOut {
        currency: "EUR",
        from: from.to_string(),
        to: to.to_string(),
        months: monthly.iter().map(MonthOut::of).collect(),
        total: MonthOut::of(&Book::total_of(&monthly)),
    };
    serde_json::to_vec(&out).unwrap_or_default()
}

pub async fn summary(
    State(app): State<Arc<BudgetApp>>,
    access: PodAccess,
    Query(q): Query<SummaryQuery>,
) -> Result<Response, ApiError> {
    let pod = access.require(BUDGET_CONTAINER, ModeSet::READ).await?;
    if let Some(step) = q.step.as_deref()
        && step != "month"
    {
        return Err(ApiError::bad_request(format!(
            "step {step:?} is not known: use month (the totals of the whole period come with it)."
        )));
    }
    let (from, to) = summary_period(q.from.as_deref(), q.to.as_deref(), app.ctx.today())?;
    let book = app.budget.book(&pod).await?;
    Ok(json_bytes(summary_json(&book, from, to)))
}

pub const TRANSACTIONS_PATH: &str = "/{pod}/selfdata/budget/api/transactions";
pub const ACCOUNTS_PATH: &str = "/{pod}/selfdata/budget/api/accounts";
pub const SUMMARY_PATH: &str = "/{pod}/selfdata/budget/api/summary";
pub const HOUSING_PATH: &str = "/{pod}/selfdata/budget/api/housing";
pub const SUBSCRIPTIONS_PATH: &str = "/{pod}/selfdata/budget/api/subscriptions";

/// What the money API answers, for `/openapi.json`.
pub fn operations() -> Vec<selfdata_service::api::Operation> {
    use selfdata_service::api::schema::*;
    use selfdata_service::api::{Operation, Param};
    let amount = || json!({"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "description": "Euros with two decimals, exact (a debit is negative)."});
    let amount_or_null = || json!({"anyOf": [amount(), {"type": "null"}]});
    let access = "Read on /selfdata/budget/";
    let from = |d: &'static str| {
        Param::new("from", false, d)
            .schema(date())
            .example("2025-01-01")
    };
    let to = |d: &'static str| {
        Param::new("to", false, d)
            .schema(date())
            .example("2026-01-01")
    };
    let sum = object(
        &["amount", "count"],
        json!({"category": string(), "amount": amount(), "count": integer()}),
    );
    let month = object(
        &[
            "spent",
            "received",
            "categories",
            "uncategorised",
            "internal_transfers",
        ],
        json!({
            "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
            "spent": amount(),
            "received": amount(),
            "categories": array(sum.clone()),
            "uncategorised": sum.clone(),
            "internal_transfers": sum,
        }),
    );
    let recurring = object(
        &[
            "key", "payee", "account", "period", "amount", "last", "next", "yearly", "status",
        ],
        json!({
            "key": string(), "payee": string(), "account": string(), "period": string(),
            "amount": amount(), "last": date(), "next": date(), "yearly": amount(),
            "status": string(), "variable": boolean(), "ended": boolean(),
            "occurrences": integer(), "misses": integer(),
            "category": {"type": ["string", "null"]},
        }),
    );
    vec![
        Operation {
            path: TRANSACTIONS_PATH,
            id: "budgetTransactions",
            summary: "The bank transactions of a period, across accounts or of one.",
            description: "Booking days from `from` (included, 30 days before `to` by default) to `to` (excluded, tomorrow by default); at most twenty years per call. An unknown `account` is a 404.",
            access,
            params: vec![
                from("The first booking day."),
                to("The day after the last."),
                Param::new("account", false, "One account's id (see accounts)."),
            ],
            answer: object(
                &["transactions"],
                json!({"transactions": array(object(
                    &["date", "amount", "currency", "label", "account", "category"],
                    json!({
                        "date": date(), "amount": amount(), "currency": string(), "label": string(),
                        "account": string(), "category": {"type": ["string", "null"]},
                    }),
                ))}),
            ),
            ..Default::default()
        },
        Operation {
            path: ACCOUNTS_PATH,
            id: "budgetAccounts",
            summary: "The pod's bank accounts with their last known balance.",
            description: "One entry per account met in the imported statements; the balance is the last one a statement stated, or none.",
            access,
            params: Vec::new(),
            answer: object(
                &["accounts"],
                json!({"accounts": array(object(
                    &["account", "currency", "transactions"],
                    json!({
                        "account": string(), "holder": {"type": ["string", "null"]},
                        "label": {"type": ["string", "null"]}, "last4": {"type": ["string", "null"]},
                        "currency": string(), "balance": amount_or_null(),
                        "balance_stated_on": {"type": ["string", "null"]},
                        "last_transaction": {"type": ["string", "null"]},
                        "transactions": integer(),
                    }),
                ))}),
            ),
            ..Default::default()
        },
        Operation {
            path: SUMMARY_PATH,
            id: "budgetSummary",
            summary: "Spending and income month by month, by category, with the period's total.",
            description: "From `from` (twelve months before `to` by default) to `to` (the first of next month by default). Internal transfers between the resident's own accounts are kept apart.",
            access,
            params: vec![
                from("The first day."),
                to("The day after the last."),
                Param::new("step", false, "month (the only step).")
                    .schema(one_of(&["month"]))
                    .example("month"),
            ],
            answer: object(
                &["currency", "from", "to", "months", "total"],
                json!({"currency": {"const": "EUR"}, "from": date(), "to": date(), "months": array(month.clone()), "total": month}),
            ),
            ..Default::default()
        },
        Operation {
            path: HOUSING_PATH,
            id: "budgetHousing",
            summary: "A year of housing costs (rent, energy, water, insurance...) from the bank, beside the energy service's own figures.",
            description: "The energy service's figures (`energy_service`, each bill's `service_cost` and `difference`) appear only when the caller may also Read /selfdata/energy/.",
            access,
            params: vec![
                Param::new(
                    "year",
                    false,
                    "The year (the last with a transaction by default).",
                )
                .schema(json!({"type": "string", "pattern": "^[0-9]{4}$"}))
                .example("2025"),
            ],
            answer: object(
                &["year", "currency", "months", "total", "bills"],
                json!({
                    "year": integer(), "currency": {"const": "EUR"},
                    "months": array(object(&["total"], json!({"month": string(), "total": amount()}))),
                    "total": object(&["total"], json!({"total": amount()})),
                    "bills": array(object(
                        &["date", "amount", "label", "account", "period"],
                        json!({
                            "date": date(), "amount": amount(), "label": string(), "account": string(),
                            "topic": {"type": ["string", "null"]},
                            "period": {"type": "array", "items": date(), "minItems": 2, "maxItems": 2},
                            "service_cost": amount_or_null(), "difference": amount_or_null(),
                            "note": {"type": ["string", "null"]},
                        }),
                    )),
                }),
            ),
            ..Default::default()
        },
        Operation {
            path: SUBSCRIPTIONS_PATH,
            id: "budgetSubscriptions",
            summary: "Recurring payments (subscriptions) and recurring income found in the statements.",
            description: "Each with its period, last and next date, yearly cost, and the resident's decision (confirmed, dismissed, or to confirm).",
            access,
            params: Vec::new(),
            answer: object(
                &["subscriptions", "income", "yearly_total"],
                json!({"subscriptions": array(recurring.clone()), "income": array(recurring), "yearly_total": amount()}),
            ),
            ..Default::default()
        },
    ]
}

//! The spending page: `GET /app/budget/spending?year=YYYY` draws what left
//! the resident's accounts month by month (an SVG bar chart of the site
//! kit, each bar leading to that month's transactions), then the year by
//! category with each one's share drawn as a bar, and the same figures as
//! a table. Internal transfers are left out and said apart. The figures
//! come from the same `Book::monthly`/`Book::total` as the summary API.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::civil::Date;
use selfdata_budget::category;
use selfdata_site::chart::{self, Bar, BarChart, Legend, Locale};
use selfdata_site::{Chrome, PageError, Resident, count, fill, page};

use crate::BudgetApp;
use crate::pages::{YearQuery, Years};
use crate::texts::Texts;

struct CategoryLine {
    name: String,
    href: String,
    amount: String,
    count: String,
    /// Share of the year's spending, 0–100, for the drawn bar.
    share: u32,
}

struct YearLink {
    year: i16,
    current: bool,
}

#[derive(Template)]
#[template(path = "budget_spending.html")]
struct SpendingPage {
    t: &'static Texts,
    chrome: Chrome,
    intro: String,
    years: Vec<YearLink>,
    svg: String,
    legend: String,
    spent: String,
    received: String,
    internal: Option<String>,
    categories: Vec<CategoryLine>,
    uncategorised: Option<CategoryLine>,
    months: Vec<(String, String, String)>,
}

fn month_href(from: Date, to: Date, category: Option<&str>) -> String {
    let mut q = vec![("from", from.to_string()), ("to", to.to_string())];
    if let Some(c) = category {
        q.push(("category", c.to_owned()));
    }
    format!(
        "/app/budget/transactions?{}",
        serde_urlencoded::to_string(q).unwrap_or_default()
    )
}

pub(crate) async fn show(
    State(app): State<Arc<BudgetApp>>,
    chrome: Chrome,
    me: Resident,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let lang = chrome.language();
    let t: &'static Texts = lang.words();
    let book = app.page_book(&me).await?;
    let today = app.ctx.today();
    let years =
        Years::of(&q, &book, today).map_err(|e| PageError::new(StatusCode::BAD_REQUEST, e))?;
    let year = years.year;
    let (from, to) = (
        Date::new(year, 1, 1).map_err(PageError::internal)?,
        Date::new(year.saturating_add(1), 1, 1).map_err(PageError::internal)?,
    );
    let months = book.monthly(from, to);
    let total = selfdata_budget::book::Book::total_of(&months);
    let bars: Vec<Bar> = months
        .iter()
        .filter_map(|m| {
            let start = m.month?;
            let end = start.checked_add(jiff::ToSpan::month(1)).ok()?;
            let spent = -m.spent;
            Some(Bar {
                label: t.months_short[start.month() as usize - 1].to_owned(),
                title: format!("{}{}{}", t.month(start), t.colon, t.money(spent)),
                value: (start <= today).then_some(spent as f64 / 100.0),
                previous: None,
                partial: start <= today && end > today,
                href: Some(month_href(start, end, None)),
            })
        })
        .collect();
    let period = year.to_string();
    let title = fill(t.chart_title, &[("period", &period)]);
    let highlight = months.iter().position(|m| {
        m.month
            .is_some_and(|d| d.year() == today.year() && d.month() == today.month())
    });
    let drawn = BarChart {
        bars: &bars,
        unit: "€",
        title: &title,
        description: t.chart_desc,
        locale: if t.lang == "fr" {
            Locale::Fr
        } else {
            Locale::En
        },
        highlight,
        legend: Legend {
            bars: t.spent,
            ..Legend::default()
        },
        empty_text: t.chart_empty,
    };
    let budget_lang = t.lang();
    let spent_total = (-total.spent).max(1);
    let line = |id: Option<&'static str>, s: &selfdata_budget::book::Sum| CategoryLine {
        name: id.and_then(category::find).map_or_else(
            || t.uncategorised.to_owned(),
            |c| c.name(budget_lang).to_owned(),
        ),
        href: month_href(from, to, Some(id.unwrap_or(""))),
        amount: t.money(s.amount),
        count: count(u64::from(s.count), lang),
        share: u32::try_from((-s.amount).max(0) * 100 / spent_total).unwrap_or(0),
    };
    let mut categories: Vec<(i64, CategoryLine)> = total
        .categories
        .iter()
        .filter(|(_, s)| s.amount < 0)
        .map(|(c, s)| (s.amount, line(Some(c), s)))
        .collect();
    categories.sort_by_key(|(a, _)| *a);
    let uncategorised = (total.uncategorised.count > 0).then(|| line(None, &total.uncategorised));
    Ok(page(
        StatusCode::OK,
        SpendingPage {
            t,
            intro: fill(t.spending_intro, &[("period", &period)]),
            chrome,
            years: years
                .all
                .map(|y| YearLink {
                    year: y,
                    current: y == year,
                })
                .collect(),
            svg: chart::bar_chart(&drawn),
            legend: chart::legend(&drawn),
            spent: t.money(total.spent),
            received: t.money(total.received),
            internal: (total.internal.count > 0).then(|| {
                format!(
                    "{}{}{}",
                    t.internal,
                    t.colon,
                    count(u64::from(total.internal.count), lang)
                )
            }),
            categories: categories.into_iter().map(|(_, l)| l).collect(),
            uncategorised,
            months: months
                .iter()
                .filter_map(|m| {
                    let d = m.month?;
                    Some((t.month(d), t.money(m.spent), t.money(m.received)))
                })
                .collect(),
        }
        .render(),
    ))
}

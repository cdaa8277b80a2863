//! What the home costs: `GET /{pod}/selfdata/budget/api/housing?year=YYYY`
//! (JSON) and `GET /app/budget/housing?year=YYYY` (the page), both from
//! `selfdata_budget::housing` over the pod's book and the energy service's
//! monthly costs, reached through the registry's typed hook
//! (`Registry::monthly_costs`): budget never reads energy's files. The API
//! adds the energy service's figures only when the caller may also read
//! `/selfdata/energy/`.

use std::sync::Arc;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::civil::Date;
use selfdata_budget::bills::{KnownCost, Topic};
use selfdata_budget::book::Book;
use selfdata_budget::housing::{Housing, Item, Month, housing};
use selfdata_budget::money::format_cents;
use selfdata_service::{CostTopic, MonthlyCost, Registry};
use selfdata_site::chart::{self, Bar, BarChart, Legend, Locale};
use selfdata_site::{Chrome, PageError, Resident, fill, page};
use selfdata_solid::auth::PodAccess;
use selfdata_solid::error::ApiError;
use selfdata_store::PodName;
use selfdata_wac::ModeSet;
use serde_json::{Value, json};

use crate::BudgetApp;
use crate::api::BUDGET_CONTAINER;
use crate::pages::{YearQuery, Years};
use crate::texts::Texts;

/// Where the energy service's data lives (its Read opens its figures).
const ENERGY_CONTAINER: &str = "/selfdata/energy/";

/// A service's monthly cost as the pure crate's plain value.
pub fn known_cost(c: &MonthlyCost) -> KnownCost {
    KnownCost {
        topic: match c.topic {
            CostTopic::Electricity => Topic::Electricity,
            CostTopic::Gas => Topic::Gas,
            CostTopic::Water => Topic::Water,
        },
        month: c.month,
        cents: c.cents,
        coverage: c.coverage,
    }
}

/// The energy service's monthly costs of `year` (and the December before,
/// which January's bills pay), as the budget crate takes them.
async fn known_costs(registry: &Registry, pod: &PodName, year: i16) -> Vec<KnownCost> {
    let (Ok(from), Ok(to)) = (
        Date::new(year.saturating_sub(1), 12, 1),
        Date::new(year.saturating_add(1), 1, 1),
    ) else {
        return Vec::new();
    };
    registry
        .monthly_costs(pod, from, to)
        .await
        .iter()
        .map(known_cost)
        .collect()
}

fn month_json(m: &Month, with_service: bool) -> Value {
    let mut v = json!({});
    if let Some(d) = m.month {
        v["month"] = format!("{:04}-{:02}", d.year(), d.month()).into();
    }
    for item in Item::ALL {
        v[item.as_str()] = format_cents(m.item(item)).into();
    }
    v["total"] = format_cents(m.total).into();
    v["energy_service"] = if with_service {
        json!({
            "electricity": m.service[0].map(format_cents),
            "gas": m.service[1].map(format_cents),
            "water": m.service[2].map(format_cents),
        })
    } else {
        Value::Null
    };
    v
}

/// The housing answer, shared with the page.
pub fn housing_json(book: &Book, h: &Housing, with_service: bool) -> Value {
    let bills: Vec<Value> = h
        .bills
        .iter()
        .map(|b| {
            let r = &book.rows[b.row];
            json!({
                "date": r.entry.date.to_string(),
                "amount": format_cents(r.entry.amount),
                "label": r.entry.label,
                "account": book.accounts[r.account].id,
                "topic": b.link.topic.map(Topic::as_str),
                "period": [b.link.period.0.to_string(), b.link.period.1.to_string()],
                "service_cost": if with_service { b.link.service_cost.map(format_cents) } else { None },
                "difference": if with_service { b.link.difference.map(format_cents) } else { None },
                "note": if with_service { b.link.reason.as_ref().map(|w| w.en()) } else { None },
            })
        })
        .collect();
    json!({
        "year": h.year,
        "currency": "EUR",
        "months": h.months.iter().map(|m| month_json(m, with_service)).collect::<Vec<_>>(),
        "total": month_json(&h.total, with_service),
        "bills": bills,
    })
}

pub(crate) async fn api(
    State(app): State<Arc<BudgetApp>>,
    Extension(registry): Extension<Registry>,
    access: PodAccess,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let pod = access.require(BUDGET_CONTAINER, ModeSet::READ).await?;
    let with_service = access.allows(ENERGY_CONTAINER, ModeSet::READ).await?;
    let book = app.budget.book(&pod).await?;
    let year = Years::of(&q, &book, app.ctx.today())
        .map_err(ApiError::bad_request)?
        .year;
    let known = if with_service {
        known_costs(&registry, &pod, year).await
    } else {
        Vec::new()
    };
    let h = housing(&book, year, &known);
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::to_vec(&housing_json(&book, &h, with_service)).unwrap_or_default(),
    )
        .into_response())
}

struct Line {
    name: &'static str,
    amount: String,
    service: Option<String>,
}

struct BillView {
    date: String,
    label: String,
    amount: String,
    note: String,
}

#[derive(Template)]
#[template(path = "budget_housing.html")]
struct HousingPage {
    t: &'static Texts,
    chrome: Chrome,
    intro: String,
    years: Vec<(i16, bool)>,
    svg: String,
    legend: String,
    total: String,
    per_month: String,
    lines: Vec<Line>,
    bills: Vec<BillView>,
}

fn item_name(t: &Texts, i: Item) -> &'static str {
    t.housing_items[Item::ALL.iter().position(|x| *x == i).unwrap_or(0)]
}

pub(crate) async fn show(
    State(app): State<Arc<BudgetApp>>,
    Extension(registry): Extension<Registry>,
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
    let known = known_costs(&registry, &me.pod, year).await;
    let h = housing(&book, year, &known);
    let bars: Vec<Bar> = h
        .months
        .iter()
        .filter_map(|m| {
            let d = m.month?;
            Some(Bar {
                label: t.months_short[d.month() as usize - 1].to_owned(),
                title: format!("{}{}{}", t.month(d), t.colon, t.money(-m.total)),
                value: (d <= today).then_some(-m.total as f64 / 100.0),
                previous: None,
                partial: false,
                href: None,
            })
        })
        .collect();
    let title = fill(t.housing_chart_title, &[("year", &year.to_string())]);
    let drawn = BarChart {
        bars: &bars,
        unit: "€",
        title: &title,
        description: t.housing_chart_desc,
        locale: if t.lang == "fr" {
            Locale::Fr
        } else {
            Locale::En
        },
        highlight: None,
        legend: Legend {
            bars: t.housing_title,
            ..Legend::default()
        },
        empty_text: t.chart_empty,
    };
    let months_with = h.months.iter().filter(|m| m.total != 0).count().max(1) as i64;
    let topic_of = |i: Item| match i {
        Item::Electricity => Some(0),
        Item::Gas => Some(1),
        Item::Water => Some(2),
        _ => None,
    };
    let lines = Item::ALL
        .into_iter()
        .filter(|i| h.total.item(*i) != 0)
        .map(|i| Line {
            name: item_name(t, i),
            amount: t.money(h.total.item(i)),
            service: topic_of(i)
                .and_then(|k| h.total.service[k])
                .map(|v| fill(t.service_says, &[("amount", &t.money(v))])),
        })
        .collect();
    let budget_lang = t.lang();
    let bills = h
        .bills
        .iter()
        .map(|b| {
            let r = &book.rows[b.row];
            let note = match (&b.link.service_cost, &b.link.difference, &b.link.reason) {
                (Some(cost), Some(diff), _) => fill(
                    t.bill_linked,
                    &[
                        ("period", &months_label(t, b.link.period)),
                        ("cost", &t.money(*cost)),
                        ("difference", &t.money(*diff)),
                    ],
                ),
                (_, _, Some(why)) => match budget_lang {
                    selfdata_budget::sources::Lang::Fr => why.fr(),
                    selfdata_budget::sources::Lang::En => why.en(),
                },
                _ => String::new(),
            };
            BillView {
                date: t.short_date(r.entry.date),
                label: r.entry.label.clone(),
                amount: t.money(r.entry.amount),
                note,
            }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        HousingPage {
            t,
            intro: fill(t.housing_intro, &[("year", &year.to_string())]),
            chrome,
            years: years.all.map(|y| (y, y == year)).collect(),
            svg: chart::bar_chart(&drawn),
            legend: chart::legend(&drawn),
            total: t.money(h.total.total),
            per_month: t.money(h.total.total / months_with),
            lines,
            bills,
        }
        .render(),
    ))
}

fn months_label(t: &Texts, (a, b): (Date, Date)) -> String {
    if a == b {
        t.month(a)
    } else {
        format!("{} – {}", t.month(a), t.month(b))
    }
}

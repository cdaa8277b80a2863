//! The demo household's money beside its energy: the typed hook through
//! which energy tells other services what the home cost each month
//! (`Registry::monthly_costs`) gives the figures of energy's own API, and
//! the demo's bank accounts pay exactly those bills.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use selfdata_budget::bills::{BillDebit, KnownCost, match_bills};
use selfdata_budget_web::housing::known_cost;
use selfdata_service::CostTopic;
use selfdata_store::PodName;
use serde_json::Value;

use crate::common::Server;

const TODAY: Date = date(2026, 10, 15);

fn alice() -> PodName {
    PodName::parse("alice").unwrap()
}

/// A server whose pod "alice" holds the demo household of `years` years.
async fn demo(years: u32) -> Server {
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    s.app
        .demo("alice@example.org", "a long demo password", &alice(), years)
        .await
        .unwrap();
    s
}

async fn api(s: &Server, path: &str) -> Value {
    let r = s.req("GET", path).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

/// Euros of a JSON number as cents.
fn cents(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 100.0).round() as i64
}

#[tokio::test]
async fn the_registry_gives_each_months_electricity_cost_as_the_energy_api_shows_it() {
    let s = demo(1).await;
    let (from, to) = (date(2025, 11, 1), date(2026, 10, 1));
    let costs = s.app.registry.monthly_costs(&alice(), from, to).await;
    let electricity: Vec<_> = costs
        .iter()
        .filter(|c| c.topic == CostTopic::Electricity)
        .collect();
    assert_eq!(electricity.len(), 11, "{costs:?}");
    assert!(costs.iter().any(|c| c.topic == CostTopic::Water));

    let body = api(
        &s,
        &format!(
            "/selfdata/energy/api/consumption?fluid=electricity&step=month&from={from}&to={to}"
        ),
    )
    .await;
    let points = body["points"].as_array().unwrap();
    assert_eq!(points.len(), 11);
    for (cost, point) in electricity.iter().zip(points) {
        assert_eq!(
            cost.month.to_string(),
            point["local_start"].as_str().unwrap()[..10],
            "{point}"
        );
        assert_eq!(cost.service, "energy");
        assert!(cost.cents > 0, "{cost:?}");
        assert_eq!(cost.cents, cents(&point["euros"]), "{cost:?} vs {point}");
        assert!((cost.coverage - point["coverage"].as_f64().unwrap() as f32).abs() < 0.001);
        assert!(
            cost.href
                .starts_with("/app/energy?fluid=electricity&scale=month"),
            "{}",
            cost.href
        );
        assert!(
            cost.href.ends_with(&format!("date={}", cost.month)),
            "{}",
            cost.href
        );
    }
}

/// Cents of the API's signed decimal string (`"-23.40"`).
fn amount(v: &Value) -> i64 {
    selfdata_budget::money::parse_cents(v.as_str().unwrap())
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_demo_household_has_two_bank_accounts_whose_edf_debits_are_its_electricity_bills() {
    let s = demo(3).await;
    let start = TODAY.checked_sub(3.years()).unwrap();

    // Two accounts at the same bank over the same three years.
    let accounts = api(&s, "/selfdata/budget/api/accounts").await;
    let accounts = accounts["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{accounts:?}");
    for a in accounts {
        assert_eq!(a["holder"], "Crédit Agricole", "{a}");
        assert_eq!(
            a["balance_stated_on"],
            TODAY.yesterday().unwrap().to_string(),
            "{a}"
        );
    }
    assert_ne!(accounts[0]["last4"], accounts[1]["last4"]);
    let body = api(
        &s,
        &format!("/selfdata/budget/api/transactions?from={start}&to={TODAY}"),
    )
    .await;
    let txs = body["transactions"].as_array().unwrap();
    assert!(txs.len() > 1000, "{}", txs.len());
    let first = txs
        .iter()
        .map(|t| t["date"].as_str().unwrap())
        .min()
        .unwrap();
    assert!(
        first <= start.checked_add(5.days()).unwrap().to_string().as_str(),
        "{first}"
    );
    let savings = accounts
        .iter()
        .find(|a| a["label"] == "Livret A")
        .expect("a Livret A");
    assert!(
        txs.iter()
            .filter(|t| t["account"] == savings["account"])
            .count()
            >= 36,
        "the savings account receives the monthly transfers"
    );

    // Every EDF debit is the previous month's electricity cost, to the cent.
    let costs = s
        .app
        .registry
        .monthly_costs(&alice(), start.first_of_month(), TODAY)
        .await;
    let electricity = |month: Date| {
        costs
            .iter()
            .find(|c| c.topic == CostTopic::Electricity && c.month == month)
            .map(|c| c.cents)
    };
    let edf: Vec<&Value> = txs
        .iter()
        .filter(|t| t["label"].as_str().unwrap().contains(" EDF "))
        .collect();
    assert!(edf.len() >= 34, "one EDF debit a month: {}", edf.len());
    for t in &edf {
        let day: Date = t["date"].as_str().unwrap().parse().unwrap();
        let billed = day.first_of_month().checked_sub(1.month()).unwrap();
        assert_eq!(
            Some(-amount(&t["amount"])),
            electricity(billed),
            "{t} pays {billed}"
        );
    }

    // Most of it is categorised by the starter rules, and the bill matcher
    // links every EDF and water debit to the energy service's cost.
    let mut categorised = 0;
    let mut bills = Vec::new();
    for t in txs {
        let Some(category) = t["category"].as_str() else {
            continue;
        };
        categorised += 1;
        bills.push(BillDebit {
            account: t["account"].as_str().unwrap().to_owned(),
            date: t["date"].as_str().unwrap().parse().unwrap(),
            amount: amount(&t["amount"]),
            seq: 0,
            label: t["label"].as_str().unwrap().to_owned(),
            category: category.to_owned(),
        });
    }
    assert!(
        categorised * 100 >= txs.len() * 80,
        "{categorised} of {} categorised",
        txs.len()
    );
    let known: Vec<KnownCost> = costs.iter().map(known_cost).collect();
    let links = match_bills(&bills, &known);
    let water = bills
        .iter()
        .filter(|b| b.label.contains("EAU DU GRAND LYON"))
        .count();
    assert!(water >= 10, "a water bill a quarter: {water}");
    assert_eq!(links.len(), edf.len() + water, "{links:?}");
    for link in &links {
        assert_eq!(
            link.difference,
            Some(0),
            "{link:?} for {:?}",
            bills[link.debit]
        );
    }

    // The monthly savings are transfers between the household's accounts.
    let summary = api(
        &s,
        &format!("/selfdata/budget/api/summary?from={start}&to={TODAY}&step=month"),
    )
    .await;
    let internal = summary["total"]["internal_transfers"]["count"]
        .as_u64()
        .unwrap();
    assert_eq!(internal, 72, "36 months, both sides: {}", summary["total"]);

    // The demo again adds nothing.
    let again = s
        .app
        .demo("alice@example.org", "a long demo password", &alice(), 3)
        .await
        .unwrap();
    for (name, summary) in &again.files {
        assert_eq!(summary.changed, 0, "{name}");
    }
    let after = api(
        &s,
        &format!("/selfdata/budget/api/transactions?from={start}&to={TODAY}"),
    )
    .await;
    assert_eq!(after["transactions"].as_array().unwrap().len(), txs.len());
}

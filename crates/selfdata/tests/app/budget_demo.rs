//! The demo household's money beside its energy: the typed hook through
//! which energy tells other services what the home cost each month
//! (`Registry::monthly_costs`) gives the figures of energy's own API, and
//! the demo's bank accounts pay exactly those bills.

use jiff::civil::{Date, date};
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

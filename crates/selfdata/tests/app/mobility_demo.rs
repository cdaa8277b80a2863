//! The demo household's trips end to end: `App::demo` hands the mobility
//! service's generated exports (the phone's Timeline, a bike computer's
//! GPX) to the normal pipeline, and a year later the owner reads, from the
//! JSON API, bus commutes on weekdays, drives at weekends and bike rides,
//! each with its CO2; the owner's page draws the CO2 by month and finds
//! home and work.

use jiff::civil::{Date, Weekday, date};
use selfdata_store::PodName;
use serde_json::Value;

use crate::common::Server;

const TODAY: Date = date(2026, 10, 15);

fn pod(name: &str) -> PodName {
    PodName::parse(name).unwrap()
}

/// A server whose pod `name` holds one year of the demo household, with an
/// account `{name}@example.org` when the demo creates the pod.
async fn demo(name: &str) -> (Server, selfdata::Demo) {
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    let demo = s
        .app
        .demo(
            &format!("{name}@example.org"),
            "a long demo password",
            &pod(name),
            1,
        )
        .await
        .unwrap();
    (s, demo)
}

fn paris(v: &Value) -> jiff::civil::DateTime {
    v.as_str()
        .unwrap()
        .parse::<jiff::Timestamp>()
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Paris").unwrap())
        .datetime()
}

#[tokio::test]
async fn a_demo_year_gives_bus_commutes_weekend_drives_and_bike_rides_each_with_its_co2() {
    let (s, demo) = demo("alice").await;
    let mobility: Vec<_> = demo
        .files
        .iter()
        .filter(|(_, summary)| summary.service == "mobility")
        .collect();
    let names: Vec<&str> = mobility.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names[..2].iter().all(|n| n.ends_with(".gpx")), "{names:?}");
    assert_eq!(names[2], "Timeline.json");
    // Each ride out and back, then the rest of the year from the phone.
    assert_eq!(mobility[0].1.changed, 2, "{}", mobility[0].1.told.en);
    assert_eq!(mobility[1].1.changed, 2);
    assert!(mobility[2].1.changed > 500, "{}", mobility[2].1.told.en);

    let r = s
        .req(
            "GET",
            &format!("/selfdata/mobility/api/trips?from=2025-10-15&to={TODAY}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let trips = body["trips"].as_array().unwrap();
    assert!(
        (550..=900).contains(&trips.len()),
        "{} trips in a year",
        trips.len()
    );
    let of = |mode: &str| -> Vec<&Value> { trips.iter().filter(|t| t["mode"] == mode).collect() };
    let (bus, car, bike) = (of("bus"), of("car"), of("bike"));
    assert_eq!(
        bus.len() + car.len() + bike.len(),
        trips.len(),
        "every trip has one of the three modes"
    );
    let weekend = |t: &Value| {
        matches!(
            paris(&t["start"]).date().weekday(),
            Weekday::Saturday | Weekday::Sunday
        )
    };
    // The bus is the commute: weekdays, leaving at about 8:00 or 17:30.
    assert!(bus.len() >= 300, "{}", bus.len());
    for t in &bus {
        let start = paris(&t["start"]);
        assert!(!weekend(t), "{t}");
        assert!([7, 8, 16, 17, 18].contains(&start.hour()), "{t}");
        assert!(t["co2_g"].as_u64().unwrap() > 0, "{t}");
    }
    // Drives at weekends, the most of the car's trips.
    let weekend_drives = car.iter().filter(|t| weekend(t)).count();
    assert!(weekend_drives >= 80, "{weekend_drives} of {}", car.len());
    // Bike rides, spring to autumn mostly, for no CO2.
    assert!(bike.len() >= 50, "{}", bike.len());
    assert!(bike.iter().all(|t| t["co2_g"] == 0));
    // Grams per km: the car (alone, thermal) well above the bus.
    let per_km = |ts: &[&Value]| {
        let g: u64 = ts.iter().map(|t| t["co2_g"].as_u64().unwrap()).sum();
        let m: u64 = ts.iter().map(|t| t["distance_m"].as_u64().unwrap()).sum();
        g * 1000 / m
    };
    assert!(
        per_km(&car) > per_km(&bus) + 50,
        "{} vs {}",
        per_km(&car),
        per_km(&bus)
    );

    // The bike computer's rides are kept as cut from their points.
    let mut from_points = 0;
    for year in [2025, 2026] {
        let (status, csv) = s
            .get_text(&format!("/selfdata/mobility/trips/{year}.csv"))
            .await;
        assert_eq!(status, 200);
        from_points += csv
            .lines()
            .filter(|l| l.contains(",bike,") && l.contains(",false,"))
            .count();
    }
    assert_eq!(from_points, 4);
}

#[tokio::test]
async fn the_demo_residents_page_draws_the_co2_of_each_month_and_finds_home_and_work() {
    let (s, demo) = demo("ines").await;
    assert!(demo.created);
    let b = s.sign_in("ines@example.org", "a long demo password").await;
    let page = b.get("/app/mobility?month=2026-06").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Your CO₂ by month"), "{}", page.body);
    assert!(page.body.contains("June 2026: "), "{}", page.body);
    assert!(!page.body.contains("No trip with a known mode yet"));
    for mode in ["Bus", "Car", "Bike"] {
        assert!(
            page.body.contains(&format!("<strong>{mode}</strong>")),
            "{mode}: {}",
            page.body
        );
    }
    assert!(page.body.contains("\u{a0}kg of CO₂"), "{}", page.body);
    // The drives to the shops are short enough to suggest the bike.
    assert!(page.body.contains("by bike,"), "{}", page.body);

    let places = b.get("/app/mobility/places").await;
    assert_eq!(places.status, 200);
    assert!(
        places.body.contains("Home?") || places.body.contains("home?"),
        "{}",
        places.body
    );
    assert!(
        places.body.contains("Work?") || places.body.contains("work?"),
        "{}",
        places.body
    );
}

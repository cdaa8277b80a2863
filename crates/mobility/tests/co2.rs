//! CO2 against hand computation: the compiled-in ADEME table read exactly,
//! per vehicle-km factors shared by the occupancy, totals by Paris month and
//! mode, and what short car trips would save by bike.

use selfdata_mobility::co2::{Factors, Per, Settings, co2_g, co2_mg, month_of, totals, what_if};
use selfdata_mobility::{Mode, Trip};

fn trip(start: i64, mode: Option<Mode>, distance_m: u32) -> Trip {
    Trip {
        start,
        end: start + 1800,
        from: (0, 0),
        to: (0, 0),
        distance_m,
        mode,
        confidence: 50,
        points: 0,
        given: false,
        path: Vec::new(),
    }
}

/// 2026-01-15 07:00 UTC (08:00 in Paris).
const JAN_15: i64 = 1_768_460_400;
/// 2026-01-31 23:30 UTC: already 1 February in Paris.
const JAN_31_LATE: i64 = 1_769_902_200;
/// 2026-02-10 07:00 UTC.
const FEB_10: i64 = 1_770_706_800;

fn trips() -> Vec<Trip> {
    vec![
        trip(JAN_15, Some(Mode::Car), 10_000), // 218 g/km × 10 km = 2180 g
        trip(JAN_15 + 3600, Some(Mode::Tram), 7_500), // 4.28 × 7.5 = 32.1 g
        trip(JAN_15 + 7200, Some(Mode::Bike), 4_000), // 0 g
        trip(JAN_31_LATE, Some(Mode::Car), 2_000), // 436 g, in February
        trip(FEB_10, Some(Mode::Car), 4_000),  // 872 g
        trip(FEB_10 + 86_400, Some(Mode::Car), 6_000), // 1308 g
        trip(FEB_10 + 2 * 86_400, Some(Mode::Train), 600_000), // TGV 2.93 × 600 = 1758 g
        trip(FEB_10 + 3 * 86_400, Some(Mode::Plane), 1_500_000), // 185 × 1500 = 277,500 g
        trip(FEB_10 + 4 * 86_400, None, 3_000),
        trip(FEB_10 + 5 * 86_400, Some(Mode::Other), 3_000),
    ]
}

#[test]
fn the_compiled_in_table_reads_exactly() {
    let f = Factors::builtin();
    assert_eq!(f.rows().len(), 21);
    let car = f.get("car_thermal").unwrap();
    assert_eq!((car.mg_per_km, car.per), (218_000, Per::VehicleKm));
    assert_eq!(f.get("tram").unwrap().mg_per_km, 4_280);
    assert_eq!(f.get("scooter_thermal").unwrap().mg_per_km, 76_300);
    assert_eq!(f.get("tgv").unwrap().per, Per::PassengerKm);
    assert_eq!(f.get("bus_gnv").unwrap().notes, "natural gas bus");
}

#[test]
fn a_table_with_a_bad_line_is_refused_with_its_line() {
    let e = Factors::parse(
        "mode,g_co2e_per_km,per,notes\ncar,12,vehicle-km,\ntram,abc,passenger-km,\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("line 3"), "{e}");
    let e = Factors::parse("mode,g,per\n").unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
    let e = Factors::parse("mode,g_co2e_per_km,per,notes\nx,1,per-cow,\n").unwrap_err();
    assert!(e.to_string().contains("line 2"), "{e}");
    assert!(Factors::parse("mode,g_co2e_per_km,per,notes\nx,1.2345,passenger-km,\n").is_err());
    assert!(Factors::parse("mode,g_co2e_per_km,per,notes\nx,-1,passenger-km,\n").is_err());
}

#[test]
fn each_trip_costs_what_the_hand_computation_says() {
    let f = Factors::builtin();
    let s = Settings::default();
    let grams: Vec<Option<u64>> = trips()
        .iter()
        .map(|t| f.for_trip(t, &s).map(|row| co2_g(t, row, s.occupancy)))
        .collect();
    assert_eq!(
        grams,
        [
            Some(2180),
            Some(32),
            Some(0),
            Some(436),
            Some(872),
            Some(1308),
            Some(1758),
            Some(277_500),
            None,
            None
        ]
    );
    let tram = &trips()[1];
    assert_eq!(co2_mg(tram, f.get("tram").unwrap(), 1), 32_100);
}

#[test]
fn two_in_a_car_halve_its_share_and_a_tram_is_unchanged() {
    let f = Factors::builtin();
    let t = trips();
    let car = f.get("car_thermal").unwrap();
    assert_eq!(co2_g(&t[0], car, 2), 1090);
    assert_eq!(co2_g(&t[0], car, 0), 2180, "0 people is read as 1");
    assert_eq!(co2_g(&t[1], f.get("tram").unwrap(), 4), 32);
    let electric = Settings {
        car_row: "car_electric".into(),
        ..Settings::default()
    };
    assert_eq!(co2_g(&t[0], f.for_trip(&t[0], &electric).unwrap(), 1), 1030);
}

#[test]
fn totals_by_paris_month_and_mode_add_up() {
    let f = Factors::builtin();
    let tot = totals(&trips(), &f, &Settings::default());
    assert_eq!(tot.unpriced, 2);
    let jan = tot.month((2026, 1));
    assert_eq!(
        (jan.trips, jan.distance_m, jan.co2_mg),
        (3, 21_500, 2_212_100)
    );
    assert_eq!(jan.co2_g(), 2212);
    let feb_car = tot.by_month[&(2026, 2)][&Mode::Car];
    assert_eq!(
        (feb_car.trips, feb_car.distance_m, feb_car.co2_g()),
        (3, 12_000, 2616)
    );
    assert_eq!(tot.month((2026, 2)).co2_g(), 2616 + 1758 + 277_500);
    assert_eq!(tot.by_month.len(), 2);
    let tz = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
    assert_eq!(month_of(JAN_31_LATE, &tz), Some((2026, 2)));
    assert_eq!(month_of(i64::MAX, &tz), None);
}

#[test]
fn short_car_trips_by_bike_save_their_grams_each_month() {
    let f = Factors::builtin();
    let saved = what_if(&trips(), &f, &Settings::default());
    assert_eq!(saved.len(), 2);
    assert_eq!(saved[0].limit_m, 3_000);
    let feb = saved[0].by_month[&(2026, 2)];
    assert_eq!((feb.trips, feb.co2_g()), (1, 436));
    assert_eq!(saved[1].limit_m, 5_000);
    let feb = saved[1].by_month[&(2026, 2)];
    assert_eq!((feb.trips, feb.distance_m, feb.co2_g()), (2, 6_000, 1308));
    assert!(
        !saved[1].by_month.contains_key(&(2026, 1)),
        "the 10 km trip is not short"
    );
    let shared = Settings {
        occupancy: 2,
        ..Settings::default()
    };
    assert_eq!(
        what_if(&trips(), &f, &shared)[1].by_month[&(2026, 2)].co2_g(),
        654
    );
}

#[test]
fn absurd_trips_are_priced_without_overflow() {
    let f = Factors::builtin();
    let t = trip(i64::MIN, Some(Mode::Plane), u32::MAX);
    assert_eq!(
        co2_mg(&t, f.get("plane_long").unwrap(), 1),
        167 * u64::from(u32::MAX)
    );
    let tot = totals(&[t.clone(), t], &f, &Settings::default());
    assert_eq!(
        tot.unpriced, 2,
        "a date out of range is left out, not guessed"
    );
}

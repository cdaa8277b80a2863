//! Mode inference on generated speed profiles (walk, bike, car and tram
//! told apart, train and plane, the file's type winning), and the resident's
//! corrections spreading to similar trips only.

mod common;

use common::Walker;
use selfdata_mobility::mode::{
    CORRECTED_CONFIDENCE, Correction, GIVEN_CONFIDENCE, PROPAGATED_CONFIDENCE, infer, infer_given,
    propagate,
};
use selfdata_mobility::{Mode, Trip, segment};

/// One trip between two stays, driven by `drive`, segmented and inferred.
fn inferred(seed: u64, drive: impl Fn(&mut Walker)) -> (Option<Mode>, u8) {
    let mut w = Walker::new(seed);
    w.step_s = 10;
    w.jitter_m = 2.0;
    w.stay(10 * 60);
    drive(&mut w);
    w.stay(10 * 60);
    let mut s = segment(&w.points);
    assert_eq!(s.trips.len(), 1, "{:?}", s.trips);
    s.infer_modes();
    (s.trips[0].mode, s.trips[0].confidence)
}

fn walk(w: &mut Walker) {
    for k in 0..6 {
        let speed = 1.2 + w.rng.unit() * 0.4;
        w.go(f64::from(k * 40), 300.0, speed);
    }
}

fn bike(w: &mut Walker) {
    for k in 0..8 {
        let speed = 4.5 + w.rng.unit() * 1.2;
        w.go(f64::from(k * 30), 600.0, speed);
    }
}

/// Town and ring road: lights every 2 km or so, 50 then 80 km/h.
fn car(w: &mut Walker) {
    for k in 0..4 {
        let town = 13.0 + w.rng.unit() * 2.0;
        w.go(90.0, 1800.0, town);
        w.stay(40);
        let ring = 21.0 + w.rng.unit() * 3.0;
        w.go(f64::from(k * 20), 2500.0, ring);
    }
}

/// A stop every 500 m, 25 s each, 35 km/h between.
fn tram(w: &mut Walker) {
    for k in 0..14 {
        let speed = 9.0 + w.rng.unit() * 1.5;
        w.go(f64::from(k * 10), 500.0, speed);
        let dwell = 20 + (w.rng.unit() * 10.0) as i64;
        w.stay(dwell);
    }
}

#[test]
fn walk_bike_car_and_tram_profiles_are_told_apart() {
    for seed in 10..30 {
        assert_eq!(inferred(seed, walk).0, Some(Mode::Walk), "seed {seed}");
        assert_eq!(inferred(seed, bike).0, Some(Mode::Bike), "seed {seed}");
        assert_eq!(inferred(seed, car).0, Some(Mode::Car), "seed {seed}");
        assert_eq!(inferred(seed, tram).0, Some(Mode::Tram), "seed {seed}");
    }
}

#[test]
fn overlapping_modes_say_they_are_less_sure() {
    let (_, walk_c) = inferred(20, walk);
    let (_, car_c) = inferred(20, car);
    let (_, tram_c) = inferred(20, tram);
    assert!(walk_c > car_c, "{walk_c} {car_c}");
    assert!(car_c > tram_c, "{car_c} {tram_c}");
    assert!(tram_c < 50);
}

#[test]
fn a_long_fast_trip_is_a_train_and_a_very_fast_one_a_plane() {
    let (mode, c) = inferred(21, |w| w.go(90.0, 120_000.0, 75.0)); // 270 km/h
    assert_eq!(mode, Some(Mode::Train));
    assert!(c >= 70);
    let (mode, _) = inferred(22, |w| {
        w.step_s = 60;
        w.go(0.0, 600_000.0, 230.0) // 830 km/h
    });
    assert_eq!(mode, Some(Mode::Plane));
    // 110 km/h on 50 km: a motorway or a regional train, said unsurely.
    let (mode, c) = inferred(23, |w| w.go(90.0, 50_000.0, 30.5));
    assert_eq!(mode, Some(Mode::Train));
    assert!(c < 50);
}

#[test]
fn the_files_activity_type_wins() {
    let mut w = Walker::new(24);
    w.step_s = 10;
    w.go(90.0, 3000.0, 1.4);
    assert_eq!(infer(&w.points, 3000, None).0, Some(Mode::Walk));
    assert_eq!(
        infer(&w.points, 3000, Some(Mode::Bus)),
        (Some(Mode::Bus), GIVEN_CONFIDENCE)
    );
    let given = trip(0, 1800, (0, 0), (0, 90_000), 10_000);
    // 20 km/h on average, no points: a bike, said less surely than with points.
    let (mode, c) = infer_given(&given, None);
    assert_eq!(mode, Some(Mode::Bike));
    assert!(c < 65);
    assert_eq!(infer_given(&given, Some(Mode::Tram)).0, Some(Mode::Tram));
}

#[test]
fn too_little_to_go_on_gives_no_mode_and_no_panic() {
    assert_eq!(infer(&[], 0, None), (None, 0));
    let p = selfdata_mobility::Point::new(5, 0, 0);
    assert_eq!(infer(&[p], 1000, None), (None, 0));
    assert_eq!(infer(&[p, p], 1000, None), (None, 0));
    let back = selfdata_mobility::Point::new(i64::MIN, i32::MAX, i32::MIN);
    let far = selfdata_mobility::Point::new(i64::MAX, i32::MIN, i32::MAX);
    let _ = infer(&[far, back, p, far], u32::MAX, None);
    assert_eq!(
        infer_given(&trip(10, 10, (0, 0), (0, 0), 500), None),
        (None, 0)
    );
    assert_eq!(
        infer_given(&trip(10, 5, (0, 0), (0, 0), 500), None),
        (None, 0)
    );
}

fn trip(start: i64, end: i64, from: (i32, i32), to: (i32, i32), distance_m: u32) -> Trip {
    Trip {
        start,
        end,
        from,
        to,
        distance_m,
        mode: Some(Mode::Car),
        confidence: 55,
        points: 0,
        given: false,
        path: Vec::new(),
    }
}

const HOME: (i32, i32) = (461_556_000, -11_520_000);
const WORK: (i32, i32) = (461_700_000, -11_100_000);
/// About 1 km from work.
const SHOP: (i32, i32) = (461_790_000, -11_100_000);

#[test]
fn a_corrected_trip_gives_its_mode_to_similar_trips_and_not_to_different_ones() {
    let day = 86_400;
    let mut trips = vec![
        trip(0, 1500, HOME, WORK, 4_200),
        // Same commute, endpoints 80 m off, 10 % longer.
        trip(
            day,
            day + 1500,
            (HOME.0 + 700, HOME.1),
            (WORK.0, WORK.1 - 500),
            4_620,
        ),
        // The way back.
        trip(day + 30_000, day + 31_500, WORK, HOME, 4_000),
        // To the shop instead: another place.
        trip(2 * day, 2 * day + 1500, HOME, SHOP, 4_300),
        // Same endpoints, a 40 % detour.
        trip(3 * day, 3 * day + 2500, HOME, WORK, 5_900),
        // Similar, but the resident said bike for this one.
        trip(4 * day, 4 * day + 1500, HOME, WORK, 3_700),
    ];
    let corrections = [
        Correction::of(&trips[0], Mode::Tram),
        Correction::of(&trips[5], Mode::Bike),
    ];
    let changed = propagate(&corrections, &mut trips);
    assert_eq!(trips[0].mode, Some(Mode::Tram));
    assert_eq!(trips[0].confidence, CORRECTED_CONFIDENCE);
    assert_eq!(trips[1].mode, Some(Mode::Tram));
    assert_eq!(trips[1].confidence, PROPAGATED_CONFIDENCE);
    assert_eq!(trips[2].mode, Some(Mode::Tram), "the way back follows");
    assert_eq!(trips[3].mode, Some(Mode::Car), "another destination");
    assert_eq!(trips[3].confidence, 55);
    assert_eq!(trips[4].mode, Some(Mode::Car), "another distance");
    assert_eq!(trips[5].mode, Some(Mode::Bike), "corrected itself");
    assert_eq!(trips[5].confidence, CORRECTED_CONFIDENCE);
    assert_eq!(changed, 4);
}

#[test]
fn of_two_corrections_matching_a_trip_the_closest_distance_wins() {
    let mut trips = vec![
        trip(0, 1500, HOME, WORK, 4_000),
        trip(10_000, 11_500, HOME, WORK, 4_700),
        trip(20_000, 21_500, HOME, WORK, 4_600),
    ];
    let corrections = [
        Correction::of(&trips[0], Mode::Bus),
        Correction::of(&trips[1], Mode::Bike),
    ];
    propagate(&corrections, &mut trips);
    assert_eq!(trips[2].mode, Some(Mode::Bike));
}

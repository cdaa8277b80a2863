//! Segmentation on generated traces: known stops, trips, gaps and GPS
//! jitter give the expected trips (count, and distance within 5 %), gaps
//! are "not tracked", jitter alone is no trip, and no input panics.

mod common;

use common::{Walker, close};
use selfdata_mobility::{Point, segment};

#[test]
fn a_day_of_three_trips_between_four_stops_gives_three_trips_of_the_right_length() {
    let mut w = Walker::new(1);
    w.stay(40 * 60);
    w.take_travelled();
    // Walk 1.2 km east, then north.
    w.go(90.0, 800.0, 1.4);
    w.go(0.0, 400.0, 1.4);
    let walk = w.take_travelled();
    w.stay(20 * 60);
    // Drive 8 km in three legs.
    w.go(45.0, 3000.0, 14.0);
    w.go(120.0, 3000.0, 12.0);
    w.go(200.0, 2000.0, 15.0);
    let drive = w.take_travelled();
    w.stay(60 * 60);
    // Cycle 4 km.
    w.go(300.0, 4000.0, 5.0);
    let ride = w.take_travelled();
    w.stay(30 * 60);

    let s = segment(&w.points);
    assert_eq!(s.trips.len(), 3, "{:?}", s.trips);
    assert_eq!(s.stops.len(), 4);
    assert!(s.gaps.is_empty());
    for (trip, want) in s.trips.iter().zip([walk, drive, ride]) {
        assert!(
            close(trip.distance_m, want, 5.0),
            "{} m for {want} m",
            trip.distance_m
        );
        assert!(!trip.given);
    }
    // Each trip leaves a stop and reaches the next one.
    for (k, trip) in s.trips.iter().enumerate() {
        assert_eq!(trip.start, s.stops[k].end);
        assert_eq!(trip.end, s.stops[k + 1].start);
        assert!(s.trip_points(k).len() == trip.points);
    }
}

#[test]
fn a_gap_is_not_tracked_and_no_movement_is_invented_across_it() {
    let mut w = Walker::new(2);
    w.stay(30 * 60);
    w.take_travelled();
    w.go(90.0, 5000.0, 13.0);
    let before = w.take_travelled();
    // Phone off for two hours while going 30 km.
    w.silent(2 * 3600, 0.0, 30_000.0);
    w.go(180.0, 3000.0, 12.0);
    let after = w.take_travelled();
    w.stay(30 * 60);

    let s = segment(&w.points);
    assert_eq!(s.gaps.len(), 1);
    let gap = s.gaps[0];
    assert_eq!(gap.end - gap.start, 2 * 3600);
    assert_eq!(s.trips.len(), 2, "{:?}", s.trips);
    // The trip before ends at the last point before the gap, the one after
    // starts at the first point after it: nothing spans it.
    assert_eq!(s.trips[0].end, gap.start);
    assert_eq!(s.trips[1].start, gap.end);
    assert!(
        close(s.trips[0].distance_m, before, 5.0),
        "{}",
        s.trips[0].distance_m
    );
    assert!(
        close(s.trips[1].distance_m, after, 5.0),
        "{}",
        s.trips[1].distance_m
    );
    let total: u32 = s.trips.iter().map(|t| t.distance_m).sum();
    assert!(
        total < 9_000,
        "the 30 km in the dark were invented: {total} m"
    );
}

#[test]
fn a_phone_silent_at_home_overnight_is_one_stay_not_a_gap() {
    let mut w = Walker::new(3);
    w.stay(60 * 60);
    w.silent(8 * 3600, 0.0, 0.0);
    w.stay(60 * 60);
    let s = segment(&w.points);
    assert!(s.gaps.is_empty());
    assert!(s.trips.is_empty());
    assert_eq!(s.stops.len(), 1);
    assert!(s.stops[0].end - s.stops[0].start >= 10 * 3600 - 60);
}

#[test]
fn jitter_alone_makes_no_trip() {
    let mut w = Walker::new(4);
    w.jitter_m = 30.0;
    w.step_s = 30;
    w.stay(8 * 3600);
    // Two wild fixes a kilometre away, one second each.
    let mut pts = w.points.clone();
    for k in [100usize, 500] {
        let mut p = pts[k];
        p.lat_e7 += 90_000;
        p.t += 1;
        pts.insert(k + 1, p);
    }
    let s = segment(&pts);
    assert!(s.trips.is_empty(), "{:?}", s.trips);
    assert_eq!(s.stops.len(), 1);
}

#[test]
fn a_short_wander_while_stopped_makes_no_trip() {
    let mut w = Walker::new(5);
    w.stay(20 * 60);
    // 60 m out and back in a minute: under the 200 m and 2 minutes of a trip.
    w.go(0.0, 120.0, 1.0);
    w.go(180.0, 120.0, 1.0);
    w.stay(20 * 60);
    let s = segment(&w.points);
    assert!(s.trips.is_empty(), "{:?}", s.trips);
}

#[test]
fn a_spike_in_a_trip_does_not_lengthen_it() {
    let mut w = Walker::new(6);
    w.stay(10 * 60);
    w.take_travelled();
    w.go(90.0, 6000.0, 14.0);
    let want = w.take_travelled();
    w.stay(10 * 60);
    let mut pts = w.points.clone();
    let k = pts.len() / 2;
    pts[k].lat_e7 += 500_000; // 5.5 km north for one fix
    let s = segment(&pts);
    assert_eq!(s.trips.len(), 1);
    assert!(
        close(s.trips[0].distance_m, want, 5.0),
        "{}",
        s.trips[0].distance_m
    );
}

#[test]
fn a_stray_fix_far_away_during_a_quiet_stay_is_no_trip_there_and_back() {
    // At home for six hours, a fix every 5 minutes (a phone saving its
    // battery), one of them 3 km off (36 km/h there and back: no spike);
    // then a real 4 km ride.
    let mut w = Walker::new(8);
    w.stay(10 * 60);
    let home = *w.points.last().unwrap();
    let mut pts: Vec<Point> = (1..=72)
        .map(|k| Point {
            t: home.t + k * 300,
            ..home
        })
        .collect();
    pts[36].lat_e7 += 270_000;
    let mut ride = Walker::at(
        8,
        f64::from(home.lat_e7) / 1e7,
        f64::from(home.lon_e7) / 1e7,
        home.t + 73 * 300,
    );
    ride.stay(10 * 60);
    ride.take_travelled();
    ride.go(60.0, 4000.0, 5.0);
    let want = ride.take_travelled();
    ride.stay(10 * 60);
    let mut all = w.points.clone();
    all.extend(pts);
    all.extend(ride.points);
    let s = segment(&all);
    assert_eq!(s.trips.len(), 1, "only the ride: {:?}", s.trips);
    assert!(
        close(s.trips[0].distance_m, want, 5.0),
        "{}",
        s.trips[0].distance_m
    );
}

#[test]
fn points_out_of_order_duplicated_or_inaccurate_give_the_same_trips() {
    let mut w = Walker::new(7);
    w.stay(10 * 60);
    w.go(0.0, 3000.0, 10.0);
    w.stay(10 * 60);
    let sorted = segment(&w.points);
    let mut messy = w.points.clone();
    messy.extend(w.points.iter().step_by(3).copied());
    messy.reverse();
    // A cell-tower fix 2 km away: dropped for its accuracy.
    messy.push(Point {
        t: w.points[40].t + 3,
        lat_e7: w.points[40].lat_e7 + 180_000,
        lon_e7: w.points[40].lon_e7,
        accuracy_m: Some(1500),
    });
    let s = segment(&messy);
    assert_eq!(s.trips, sorted.trips);
    assert_eq!(s.stops, sorted.stops);
    assert_eq!(s.points, sorted.points);
}

#[test]
fn empty_single_point_and_absurd_input_give_nothing_and_do_not_panic() {
    let s = segment(&[]);
    assert!(s.trips.is_empty() && s.stops.is_empty() && s.gaps.is_empty());
    let s = segment(&[Point::new(1_700_000_000, 461_556_000, -11_520_000)]);
    assert!(s.trips.is_empty() && s.stops.is_empty() && s.gaps.is_empty());
    let absurd = [
        Point::new(i64::MIN, i32::MIN, i32::MIN),
        Point::new(i64::MIN, 0, 0),
        Point::new(-1, 900_000_000, 1_800_000_000),
        Point::new(0, -900_000_000, -1_800_000_000),
        Point::new(1, 900_000_000, 1_800_000_000),
        Point::new(i64::MAX, 0, 0),
        Point::new(i64::MAX, i32::MAX, i32::MAX),
        Point {
            t: 5,
            lat_e7: 0,
            lon_e7: 0,
            accuracy_m: Some(u32::MAX),
        },
    ];
    let s = segment(&absurd);
    // Whatever is made of it is consistent: no trip shorter than a trip.
    for t in &s.trips {
        assert!(t.distance_m >= 200 && t.end > t.start);
    }
}

#[test]
fn a_million_points_are_segmented() {
    let mut w = Walker::new(8);
    w.step_s = 5;
    let mut cycles = 0;
    while w.points.len() < 1_000_000 {
        w.stay(20 * 60);
        w.go(if cycles % 2 == 0 { 90.0 } else { 270.0 }, 10_000.0, 15.0);
        cycles += 1;
    }
    w.stay(20 * 60);
    assert!(w.points.len() >= 1_000_000);
    let s = segment(&w.points);
    assert_eq!(s.trips.len(), cycles);
    assert_eq!(s.stops.len(), cycles + 1);
    assert!(s.trips.iter().all(|t| close(t.distance_m, 10_000.0, 5.0)));
}

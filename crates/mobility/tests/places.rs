//! Frequent places on generated weeks: home and work found and guessed
//! right, a place seen once left out, time per ISO week adding up, and
//! absurd stays handled without walking a century day by day.

mod common;

use common::{Rng, Walker};
use selfdata_mobility::places::{MAX_STAY_S, places};
use selfdata_mobility::{Stop, segment};

/// Local midnight in Paris of 2026-03-02, a Monday (UTC+1 then).
const MON_MIDNIGHT: i64 = 1_772_409_600 - 3600;

/// UTC seconds of `hour` (may be fractional) local on day `day` (0 = Monday 2 March 2026).
fn local(day: i64, hour: f64) -> i64 {
    MON_MIDNIGHT + day * 86_400 + (hour * 3600.0) as i64
}

const HOME: (i32, i32) = (461_556_000, -11_520_000);
/// About 4 km from home.
const WORK: (i32, i32) = (461_700_000, -11_020_000);
/// About 1.5 km from home.
const GYM: (i32, i32) = (461_650_000, -11_360_000);
const MARKET: (i32, i32) = (461_590_000, -11_600_000);

fn stay(rng: &mut Rng, at: (i32, i32), start: i64, end: i64) -> Stop {
    // Each stay's centre a few tens of metres off, as segmentation finds them.
    Stop {
        start,
        end,
        lat_e7: at.0 + rng.sym(300.0) as i32,
        lon_e7: at.1 + rng.sym(400.0) as i32,
    }
}

fn week() -> Vec<Stop> {
    let mut rng = Rng::new(30);
    let mut v = vec![stay(&mut rng, HOME, local(-1, 18.0), local(0, 8.0))];
    for d in 0..5 {
        v.push(stay(&mut rng, WORK, local(d, 8.75), local(d, 17.5)));
        if d % 2 == 0 {
            v.push(stay(&mut rng, GYM, local(d, 17.75), local(d, 18.75)));
        }
        v.push(stay(&mut rng, HOME, local(d, 19.0), local(d + 1, 8.0)));
    }
    // Saturday: the market once, home the rest of the weekend.
    v.push(stay(&mut rng, HOME, local(5, 8.0), local(5, 10.0)));
    v.push(stay(&mut rng, MARKET, local(5, 10.25), local(5, 11.25)));
    v.push(stay(&mut rng, HOME, local(5, 11.5), local(7, 8.0)));
    v
}

#[test]
fn a_week_of_stays_gives_home_work_and_the_gym_and_guesses_home_and_work() {
    let found = places(&week());
    assert_eq!(
        found.places.len(),
        3,
        "the market, seen once, is left out: {:?}",
        found.places
    );
    let near = |p: &selfdata_mobility::places::Place, at: (i32, i32)| {
        selfdata_mobility::geo::distance_m((p.lat_e7, p.lon_e7), at) < 50
    };
    // Most time first: home, work, gym.
    assert!(near(&found.places[0], HOME));
    assert!(near(&found.places[1], WORK));
    assert!(near(&found.places[2], GYM));
    let home = found.home.expect("home suggested");
    let work = found.work.expect("work suggested");
    assert_eq!(home.place, 0);
    assert_eq!(work.place, 1);
    assert!(
        home.confidence >= 90 && work.confidence >= 90,
        "{home:?} {work:?}"
    );

    let w = &found.places[1];
    assert_eq!((w.visits, w.days), (5, 5));
    assert_eq!(w.seconds, 5 * 8 * 3600 + 5 * 45 * 60);
    assert_eq!(w.per_week.len(), 1);
    assert_eq!(w.per_week[&(2026, 10)], w.seconds);
    let g = &found.places[2];
    assert_eq!((g.visits, g.days, g.seconds), (3, 3, 3 * 3600));
    // Home: Sunday 1 March evening is ISO week 9, the rest week 10 (the
    // last stay ends Monday 9 March 08:00, week 11).
    let h = &found.places[0];
    assert_eq!(h.per_week[&(2026, 9)], 6 * 3600);
    assert_eq!(h.per_week[&(2026, 11)], 8 * 3600);
    assert_eq!(h.per_week.values().sum::<u64>(), h.seconds);
}

#[test]
fn a_week_of_points_segmented_gives_home_and_work() {
    let mut w = Walker::at(31, 46.1556, -1.1520, local(0, 7.0));
    w.step_s = 30;
    for d in 0..5 {
        let leave = local(d, 8.0) - w.t;
        w.stay(leave);
        w.go(70.0, 4_000.0, 11.0);
        let back = local(d, 17.5) - w.t;
        w.stay(back);
        w.go(250.0, 4_000.0, 11.0);
    }
    let rest = local(7, 8.0) - w.t;
    w.stay(rest);
    let s = segment(&w.points);
    assert_eq!(s.trips.len(), 10);
    let found = places(&s.stops);
    assert_eq!(found.places.len(), 2);
    let home = &found.places[found.home.unwrap().place];
    let work = &found.places[found.work.unwrap().place];
    let from_start = |p: &selfdata_mobility::places::Place| {
        selfdata_mobility::geo::distance_m((p.lat_e7, p.lon_e7), w.points[0].pos())
    };
    assert!(from_start(home) < 100, "{home:?}");
    assert!(from_start(work) > 3_500, "{work:?}");
}

#[test]
fn no_stays_give_no_places_and_no_guess() {
    let found = places(&[]);
    assert!(found.places.is_empty());
    assert_eq!((found.home, found.work), (None, None));
    // Two days only: not yet a frequent place.
    let mut rng = Rng::new(32);
    let two = [
        stay(&mut rng, HOME, local(0, 0.0), local(0, 8.0)),
        stay(&mut rng, HOME, local(1, 0.0), local(1, 8.0)),
    ];
    assert!(places(&two).places.is_empty());
}

#[test]
fn a_visit_claiming_a_century_counts_for_a_month_and_absurd_ones_do_not_panic() {
    let century = Stop {
        start: local(0, 0.0),
        end: local(36_500, 0.0),
        lat_e7: HOME.0,
        lon_e7: HOME.1,
    };
    let found = places(&[century]);
    assert_eq!(found.places.len(), 1);
    assert_eq!(found.places[0].seconds, MAX_STAY_S as u64);
    let absurd = [
        Stop {
            start: i64::MIN,
            end: i64::MAX,
            lat_e7: i32::MIN,
            lon_e7: i32::MAX,
        },
        Stop {
            start: i64::MAX - 10,
            end: i64::MAX,
            lat_e7: 0,
            lon_e7: 0,
        },
        Stop {
            start: 10,
            end: -10,
            lat_e7: 0,
            lon_e7: 0,
        },
    ];
    let found = places(&absurd);
    assert!(found.places.iter().all(|p| p.seconds <= MAX_STAY_S as u64));
}

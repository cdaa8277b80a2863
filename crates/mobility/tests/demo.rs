//! The demo household's year read back by the crate's own importers, as
//! `selfdata demo` hands it to the pipeline: the files are real exports
//! (the phone's Timeline, a bike computer's GPX), the trips come out at
//! the household's pace (about fourteen a week), the commute by bus, the
//! weekend drives by car, the rides by bike (those of the GPX cut from raw
//! points), home and work are the two most frequent places, and the same
//! seed gives the same bytes.

use std::collections::BTreeMap;

use jiff::civil::{Date, Weekday, date};
use selfdata_mobility::demo::{self, DemoFile, HOME, SEED, TIMELINE, WORK};
use selfdata_mobility::geo::distance_m;
use selfdata_mobility::import::{self, Layout};
use selfdata_mobility::places::{places, stays_between};
use selfdata_mobility::trips::{merge, trips_of};
use selfdata_mobility::{Mode, Trip};

const TODAY: Date = date(2026, 10, 15);

/// The trips kept after importing the files in their order, and how many
/// each file added.
fn kept(files: &[DemoFile]) -> (Vec<Trip>, Vec<usize>) {
    let mut all = Vec::new();
    let mut added = Vec::new();
    for f in files {
        let parsed = import::import(&f.bytes).unwrap_or_else(|e| panic!("{}: {e:?}", f.name));
        let (merged, n) = merge(&all, &trips_of(&parsed));
        all = merged;
        added.push(n);
    }
    (all, added)
}

fn paris(t: i64) -> jiff::civil::DateTime {
    jiff::Timestamp::from_second(t)
        .unwrap()
        .to_zoned_datetime(selfdata_mobility::sources::time::paris())
        .datetime()
}

fn near(p: (i32, i32), place: (i32, i32)) -> bool {
    distance_m(p, place) <= 200
}

fn between_home_and_work(t: &Trip) -> bool {
    (near(t.from, HOME) && near(t.to, WORK)) || (near(t.from, WORK) && near(t.to, HOME))
}

fn weekend(t: &Trip) -> bool {
    matches!(
        paris(t.start).date().weekday(),
        Weekday::Saturday | Weekday::Sunday
    )
}

#[test]
fn a_year_is_the_phones_timeline_export_and_two_rides_of_a_bike_computer() {
    let files = demo::household(TODAY, 1, SEED);
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], TIMELINE, "the rides come first: {names:?}");
    let timeline = import::import(&files[2].bytes).unwrap();
    assert_eq!(timeline.layout, Layout::TimelineAndroid);
    assert!(timeline.visits.len() > 500, "{}", timeline.visits.len());
    assert!(timeline.trips.len() > 500, "{}", timeline.trips.len());
    assert!(timeline.points.len() > 3000, "{}", timeline.points.len());
    assert!(
        files[2].bytes.len() < 3_000_000,
        "a year stays small: {} bytes",
        files[2].bytes.len()
    );
    for ride in &files[..2] {
        assert!(
            ride.name.starts_with("activity_") && ride.name.ends_with(".gpx"),
            "{}",
            ride.name
        );
        let parsed = import::import(&ride.bytes).unwrap();
        assert_eq!(parsed.layout, Layout::Gpx);
        assert!(parsed.points.len() > 300, "{}", parsed.points.len());
        // A point every few seconds while moving; one pause at the turn.
        let long_steps = parsed
            .points
            .windows(2)
            .filter(|w| w[1].t - w[0].t > 5)
            .count();
        assert_eq!(long_steps, 1, "{}", ride.name);
        assert!(ride.bytes.len() < 400_000, "{}", ride.bytes.len());
    }
    assert!(demo::household(TODAY, 0, SEED).is_empty());
}

#[test]
fn about_fourteen_trips_a_week_the_commute_by_bus_weekend_drives_by_car_rides_by_bike() {
    let (trips, added) = kept(&demo::household(TODAY, 1, SEED));
    let mut by_mode: BTreeMap<Option<Mode>, usize> = BTreeMap::new();
    for t in &trips {
        *by_mode.entry(t.mode).or_default() += 1;
    }

    // Trips per ISO week, over the weeks wholly inside the period.
    let mut weeks: BTreeMap<(i16, i8), usize> = BTreeMap::new();
    for t in &trips {
        let w = paris(t.start).date().iso_week_date();
        *weeks.entry((w.year(), w.week())).or_default() += 1;
    }
    let mut counts: Vec<usize> = weeks.values().copied().collect();
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    assert!((11..=18).contains(&median), "{median} a week: {counts:?}");
    assert!(
        (600..=900).contains(&trips.len()),
        "{} trips: {by_mode:?}",
        trips.len()
    );

    // The commute: on weekdays only, by bus, by bike on some days, never by car.
    let commute: Vec<&Trip> = trips.iter().filter(|t| between_home_and_work(t)).collect();
    assert!(commute.len() >= 350, "{}", commute.len());
    assert!(commute.iter().all(|t| !weekend(t)));
    let bus = commute.iter().filter(|t| t.mode == Some(Mode::Bus)).count();
    let bike = commute
        .iter()
        .filter(|t| t.mode == Some(Mode::Bike))
        .count();
    assert_eq!(bus + bike, commute.len(), "{by_mode:?}");
    assert!(
        bus * 100 >= commute.len() * 75,
        "{bus} of {}",
        commute.len()
    );
    assert!(bike >= 10, "{bike}");
    // Leaving home at about 8:00, work at about 17:30.
    for t in &commute {
        let h = paris(t.start).hour();
        let range = if near(t.from, HOME) { 7..=8 } else { 16..=18 };
        assert!(range.contains(&h), "{:?}", paris(t.start));
    }
    // Public transport is only the commute.
    assert_eq!(by_mode.get(&Some(Mode::Bus)), Some(&bus));

    // Weekend drives: the shopping, the coast, family.
    let weekend_cars = trips
        .iter()
        .filter(|t| weekend(t) && t.mode == Some(Mode::Car))
        .count();
    assert!(weekend_cars >= 80, "{weekend_cars}");
    // Family in Rochefort, the holidays in Oléron and Niort.
    let far = trips.iter().filter(|t| t.distance_m > 20_000);
    assert!(far.clone().count() >= 6, "{by_mode:?}");
    assert!(far.clone().all(|t| t.mode == Some(Mode::Car)));

    // Bike rides, the bike computer's cut from its points and found to be by bike.
    let from_points: Vec<&Trip> = trips.iter().filter(|t| !t.given).collect();
    assert_eq!(from_points.len(), 4, "two rides, out and back");
    assert_eq!(added[..2], [2, 2], "{added:?}");
    for t in &from_points {
        assert_eq!(t.mode, Some(Mode::Bike), "{t:?}");
        assert!(t.points > 200 && t.distance_m > 3_000, "{t:?}");
    }
    let rides = trips
        .iter()
        .filter(|t| t.mode == Some(Mode::Bike) && !between_home_and_work(t))
        .count();
    assert!(rides >= 30, "{rides}");
    assert!(by_mode.keys().all(|m| m.is_some()), "{by_mode:?}");
}

#[test]
fn home_and_work_are_the_two_most_frequent_places() {
    let (trips, _) = kept(&demo::household(TODAY, 1, SEED));
    let found = places(&stays_between(&trips));
    assert!(found.places.len() >= 4, "{:?}", found.places);
    let top = &found.places[..2];
    assert!(
        near((top[0].lat_e7, top[0].lon_e7), HOME),
        "{:?}",
        found.places
    );
    assert!(near((top[1].lat_e7, top[1].lon_e7), WORK));
    assert_eq!(found.home.map(|g| g.place), Some(0));
    assert_eq!(found.work.map(|g| g.place), Some(1));
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_a_day_the_same_trips_in_any_period() {
    let a = demo::household(TODAY, 1, SEED);
    assert_eq!(a, demo::household(TODAY, 1, SEED));
    assert_ne!(a, demo::household(TODAY, 1, SEED + 1));

    let (one, _) = kept(&a);
    let (two, _) = kept(&demo::household(TODAY, 2, SEED));
    let since = one[0].start;
    let later: Vec<&Trip> = two.iter().filter(|t| t.start >= since).collect();
    assert_eq!(later.len(), one.len());
    assert!(later.iter().zip(&one).all(|(a, b)| *a == b));

    // The same files again add nothing.
    let (again, added) = {
        let mut all = one.clone();
        let mut added = Vec::new();
        for f in &a {
            let (merged, n) = merge(&all, &trips_of(&import::import(&f.bytes).unwrap()));
            all = merged;
            added.push(n);
        }
        (all, added)
    };
    assert_eq!(added, [0, 0, 0]);
    assert_eq!(again, one);
}

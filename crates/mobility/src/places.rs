//! Frequent places from stops and visits: stays within [`PLACE_RADIUS_M`]
//! of a place's centre are grouped, places visited on at least
//! [`MIN_DAYS`] different days are kept, each with its centre, visits, time
//! spent and time per ISO week (Europe/Paris). Home (most night time) and
//! work (most weekday daytime, home aside) are guessed as suggestions with
//! a confidence; the resident names places. Nothing here leaves the crate:
//! no lookup of addresses, no network.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, Weekday, time};
use jiff::{Timestamp, tz::TimeZone};

use crate::geo::distance_m;
use crate::model::Stop;

/// A stay within this distance (metres) of a place's centre is at that place.
pub const PLACE_RADIUS_M: u32 = 150;
/// A place is kept when visited on at least this many different local days.
pub const MIN_DAYS: usize = 3;
/// A stay longer than this (seconds) counts for this long only: a file's
/// visit claiming a year is not walked day by day.
pub const MAX_STAY_S: i64 = 31 * 86_400;
/// Night, for home: from this local hour…
pub const NIGHT_START_H: i8 = 22;
/// …to this local hour.
pub const NIGHT_END_H: i8 = 6;
/// Working time, for work: Monday to Friday from this local hour…
pub const WORK_START_H: i8 = 9;
/// …to this local hour.
pub const WORK_END_H: i8 = 17;
/// Home is only suggested with at least this much night time there (3 nights of 8 h).
pub const MIN_HOME_NIGHT_S: u64 = 3 * 8 * 3600;
/// Work is only suggested with at least this much working time there (3 days of 6 h).
pub const MIN_WORK_S: u64 = 3 * 6 * 3600;

/// An ISO week: `(ISO year, week 1–53)`.
pub type Week = (i16, i8);

/// One frequent place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Place {
    pub lat_e7: i32,
    pub lon_e7: i32,
    /// Stays grouped here.
    pub visits: u32,
    /// Different local days with a stay here.
    pub days: u32,
    /// Seconds spent here.
    pub seconds: u64,
    /// Seconds spent here per ISO week.
    pub per_week: BTreeMap<Week, u64>,
    /// Seconds here between [`NIGHT_START_H`] and [`NIGHT_END_H`].
    pub night_s: u64,
    /// Seconds here on weekdays between [`WORK_START_H`] and [`WORK_END_H`].
    pub work_s: u64,
}

/// A suggestion: which place (index in [`Places::places`]) and how sure, 0–100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    pub place: usize,
    pub confidence: u8,
}

/// The frequent places, most time first, and the suggestions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Places {
    pub places: Vec<Place>,
    pub home: Option<Guess>,
    pub work: Option<Guess>,
}

/// A group being built.
struct Group {
    lat: i64,
    lon: i64,
    n: i64,
    place: Place,
    dates: BTreeSet<Date>,
}

impl Group {
    fn centre(&self) -> (i32, i32) {
        let n = self.n.max(1);
        (
            i32::try_from(self.lat / n).unwrap_or(0),
            i32::try_from(self.lon / n).unwrap_or(0),
        )
    }
}

/// Groups `stays` (stops found in points and visits from files, any order)
/// into frequent places.
pub fn places(stays: &[Stop]) -> Places {
    let tz = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC);
    let mut order: Vec<&Stop> = stays.iter().filter(|s| s.end > s.start).collect();
    order.sort_by_key(|s| (s.start, s.end));
    let mut groups: Vec<Group> = Vec::new();
    for s in order {
        let near = groups
            .iter()
            .enumerate()
            .map(|(i, g)| (distance_m(g.centre(), s.pos()), i))
            .filter(|&(d, _)| d <= PLACE_RADIUS_M)
            .min();
        let g = match near {
            Some((_, i)) => &mut groups[i],
            None => {
                groups.push(Group {
                    lat: 0,
                    lon: 0,
                    n: 0,
                    place: Place::default(),
                    dates: BTreeSet::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        g.lat += i64::from(s.lat_e7);
        g.lon += i64::from(s.lon_e7);
        g.n += 1;
        g.place.visits = g.place.visits.saturating_add(1);
        spend(&mut g.place, &mut g.dates, s, &tz);
    }
    let mut kept: Vec<Place> = groups
        .into_iter()
        .filter(|g| g.dates.len() >= MIN_DAYS)
        .map(|g| {
            let (lat_e7, lon_e7) = g.centre();
            Place {
                lat_e7,
                lon_e7,
                days: u32::try_from(g.dates.len()).unwrap_or(u32::MAX),
                ..g.place
            }
        })
        .collect();
    kept.sort_by(|a, b| b.seconds.cmp(&a.seconds).then(a.lat_e7.cmp(&b.lat_e7)));
    let home = guess(&kept, |p| p.night_s, MIN_HOME_NIGHT_S, None);
    let work = guess(&kept, |p| p.work_s, MIN_WORK_S, home.map(|h| h.place));
    Places {
        places: kept,
        home,
        work,
    }
}

/// The place with the most of `what` (at least `min`), `except` one; its
/// confidence is its share of `what` among the places considered.
fn guess(
    places: &[Place],
    what: impl Fn(&Place) -> u64,
    min: u64,
    except: Option<usize>,
) -> Option<Guess> {
    let candidates = places
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != except);
    let total: u64 = candidates.clone().map(|(_, p)| what(p)).sum();
    let (place, best) = candidates.max_by_key(|(i, p)| (what(p), std::cmp::Reverse(*i)))?;
    let best = what(best);
    if best < min || total == 0 {
        return None;
    }
    let share = u128::from(best) * 100 / u128::from(total);
    Some(Guess {
        place,
        confidence: u8::try_from(share.min(95)).unwrap_or(95),
    })
}

fn local(date: Date, hour: i8, tz: &TimeZone) -> Option<i64> {
    let dt = date.to_datetime(time(hour, 0, 0, 0));
    Some(tz.to_timestamp(dt).ok()?.as_second())
}

fn overlap(a: (i64, i64), b: (i64, i64)) -> u64 {
    u64::try_from(a.1.min(b.1).saturating_sub(a.0.max(b.0))).unwrap_or(0)
}

/// Adds a stay's time to `place`, split by local day.
fn spend(place: &mut Place, dates: &mut BTreeSet<Date>, s: &Stop, tz: &TimeZone) {
    let end = s.end.min(s.start.saturating_add(MAX_STAY_S));
    let mut cur = s.start;
    while cur < end {
        let Ok(ts) = Timestamp::from_second(cur) else {
            return;
        };
        let date = tz.to_datetime(ts).date();
        let Some(next) = date.tomorrow().ok().and_then(|d| local(d, 0, tz)) else {
            return;
        };
        let seg = (cur, end.min(next));
        let secs = overlap(seg, seg);
        dates.insert(date);
        place.seconds = place.seconds.saturating_add(secs);
        let w = date.iso_week_date();
        *place.per_week.entry((w.year(), w.week())).or_default() += secs;
        let day = |h| local(date, h, tz);
        if let (Some(midnight), Some(ne), Some(ns)) = (day(0), day(NIGHT_END_H), day(NIGHT_START_H))
        {
            place.night_s += overlap(seg, (midnight, ne)) + overlap(seg, (ns, next));
        }
        if !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && let (Some(ws), Some(we)) = (day(WORK_START_H), day(WORK_END_H))
        {
            place.work_s += overlap(seg, (ws, we));
        }
        if next <= cur {
            return;
        }
        cur = next;
    }
}

/// A time between two trips counts as a stay for this long at most (the
/// phone may have been off in between: a week without trips is not a week
/// at home).
pub const MAX_STAY_BETWEEN_TRIPS_S: i64 = 48 * 3600;

/// The stays between consecutive trips (sorted by start): where one trip
/// ends and the next starts within [`PLACE_RADIUS_M`], the time between is
/// a stay there, capped at [`MAX_STAY_BETWEEN_TRIPS_S`].
pub fn stays_between(trips: &[crate::model::Trip]) -> Vec<Stop> {
    trips
        .windows(2)
        .filter(|w| w[1].start > w[0].end && distance_m(w[0].to, w[1].from) <= PLACE_RADIUS_M)
        .map(|w| Stop {
            start: w[0].end,
            end: w[1]
                .start
                .min(w[0].end.saturating_add(MAX_STAY_BETWEEN_TRIPS_S)),
            lat_e7: w[0].to.0,
            lon_e7: w[0].to.1,
        })
        .collect()
}

/// The columns of the frequent places file.
pub const HEADER: [&str; 8] = [
    "rank",
    "lat",
    "lon",
    "visits",
    "days",
    "seconds",
    "night_seconds",
    "suggested",
];

/// The frequent places as CSV (ranked by time spent, 1 first; `suggested` is `home`,
/// `work` or empty): what the pod keeps beside the trips, derived from
/// them, for any tool to read.
pub fn to_csv(p: &Places) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(HEADER);
    for (i, place) in p.places.iter().enumerate() {
        let suggested = if p.home.is_some_and(|g| g.place == i) {
            "home"
        } else if p.work.is_some_and(|g| g.place == i) {
            "work"
        } else {
            ""
        };
        let _ = w.write_record([
            (i + 1).to_string(),
            crate::geo::degrees(place.lat_e7),
            crate::geo::degrees(place.lon_e7),
            place.visits.to_string(),
            place.days.to_string(),
            place.seconds.to_string(),
            place.night_s.to_string(),
            suggested.to_owned(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod between_trips {
    use super::*;
    use crate::model::Trip;

    fn trip(start: i64, end: i64, from: (i32, i32), to: (i32, i32)) -> Trip {
        Trip {
            start,
            end,
            from,
            to,
            distance_m: 3000,
            mode: None,
            confidence: 0,
            points: 0,
            given: true,
            path: Vec::new(),
        }
    }

    #[test]
    fn a_stay_is_the_time_between_arriving_and_leaving_the_same_spot_and_a_jump_is_none() {
        let (home, work, far) = (
            (457_700_000, 48_300_000),
            (457_600_000, 48_500_000),
            (433_000_000, 53_700_000),
        );
        let trips = [
            trip(0, 1800, home, work),
            trip(30_000, 31_800, work, home),
            // Phone off for a week, next seen far away: no stay at home.
            trip(700_000, 701_000, far, far),
            trip(1_000_000, 1_001_000, far, home),
            // Back home and silent for a month: at most two days.
            trip(4_000_000, 4_001_000, home, work),
        ];
        let s = stays_between(&trips);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!((s[0].start, s[0].end, s[0].pos()), (1800, 30_000, work));
        assert_eq!(s[1].pos(), far, "a stay far away, none at home before it");
        assert_eq!(
            (s[2].pos(), s[2].duration_s()),
            (home, MAX_STAY_BETWEEN_TRIPS_S)
        );
    }

    #[test]
    fn the_places_file_says_where_how_long_and_which_is_home() {
        let home = (461_560_000, -11_530_000);
        let work = (461_600_000, -11_400_000);
        // Five days: nights at home, days at work.
        let mut trips = Vec::new();
        for d in 0..5i64 {
            let t0 = 1_646_204_400 + d * 86_400;
            trips.push(trip(t0, t0 + 720, home, work));
            trips.push(trip(t0 + 32_400, t0 + 33_120, work, home));
        }
        let p = places(&stays_between(&trips));
        let csv = String::from_utf8(to_csv(&p)).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "rank,lat,lon,visits,days,seconds,night_seconds,suggested"
        );
        assert_eq!(lines.len(), 3, "{csv}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains(",46.1560000,-1.1530000,") && l.ends_with(",home")),
            "{csv}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains(",46.1600000,-1.1400000,") && l.ends_with(",work")),
            "{csv}"
        );
    }
}

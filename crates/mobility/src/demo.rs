//! The demo household's location history, generated in the layouts the
//! importers read, so `selfdata demo` takes it in through the normal
//! pipeline; no IO.
//!
//! [`household`] gives `years` of one resident of La Rochelle (the pilot
//! city) up to the day before `today`: the phone's own Timeline export
//! (`Timeline.json`, the Android layout: `semanticSegments` with `visit`,
//! `activity` and `timelinePath` segments, positions as `"46.16°, -1.14°"`
//! and local times with their offset) for the whole period, and the last
//! two bike rides also recorded by a bike computer as Garmin Connect GPX
//! exports (`activity_<id>.gpx`, a point every 2–4 seconds), which come
//! first so that their trips are the ones cut from raw points (the
//! Timeline's own account of the same rides then adds nothing).
//!
//! The resident's weeks: on working days the bus from [`HOME`] to [`WORK`]
//! (the Périgny business park) at about 8:00 and back at about 17:30
//! (Europe/Paris), by bike on some fine days from April to September, now
//! and then a drive to the shopping centre in the evening; on Saturdays the
//! shopping by car and, some afternoons, a bike ride to the seafront; on
//! some Sundays a drive to the coast (Châtelaillon, the Île de Ré) or to
//! family in Rochefort, or a morning ride. Nobody commutes on public
//! holidays, the week after Easter Monday, 27–31 December or sick days,
//! nor on a quarter of Fridays (worked from home); the household drives to
//! Oléron for two weeks from the first Saturday of August and to family in
//! Niort from 24 to 26 December. Commutes go by bus, not tram: La Rochelle
//! has no tram.
//!
//! Everything is drawn from a splitmix64 generator keyed by (seed, stream,
//! day), so the same (today, years, seed) gives the same bytes, and a day's
//! trips are the same whatever period it is generated in.

use std::fmt::Write as _;

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday, date, time};
use jiff::tz::TimeZone;
use selfdata_sources::rng::Rng;

use crate::geo::distance_m;

/// A generated export: the name the phone or the website gives it, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The seed of the demo pod's history.
pub const SEED: u64 = 2026;

/// Where the demo household lives, `(lat_e7, lon_e7)`.
pub const HOME: (i32, i32) = Spot::Home.at();
/// Where the resident works (the Périgny business park), `(lat_e7, lon_e7)`.
pub const WORK: (i32, i32) = Spot::Work.at();

/// The name of the Timeline export, as the phone saves it.
pub const TIMELINE: &str = "Timeline.json";

/// The history of `years` Paris days up to the day before `today`: the
/// GPX rides first, then the Timeline export. Nothing for 0 years.
pub fn household(today: Date, years: u32, seed: u64) -> Vec<DemoFile> {
    if years == 0 {
        return Vec::new();
    }
    let Ok(start) = today.checked_sub(i64::from(years).years()) else {
        return Vec::new();
    };
    let tz = selfdata_sources::time::paris();
    let (Some(lo), Some(hi)) = (midnight(start, &tz), midnight(today, &tz)) else {
        return Vec::new();
    };
    let legs = plan(start, today, seed, &tz, (lo, hi));
    if legs.is_empty() {
        return Vec::new();
    }
    let mut files = gpx_files(&legs, seed);
    files.push(DemoFile {
        name: TIMELINE.to_owned(),
        bytes: timeline(&legs, seed, &tz, (lo, hi)),
    });
    files
}

// ---------------------------------------------------------------------------
// Randomness

mod stream {
    pub const DAY: u64 = 1;
    pub const ENDS: u64 = 2;
    pub const RIDE: u64 = 3;
    pub const VISIT: u64 = 4;
    pub const ACTIVITY: u64 = 5;
    pub const PATH: u64 = 6;
    pub const SIGNALS: u64 = 7;
}

// ---------------------------------------------------------------------------
// Places and the ways between them

/// The places of the demo household's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spot {
    Home,
    /// The Périgny business park.
    Work,
    /// The Beaulieu shopping centre, Puilboreau.
    Shop,
    /// The Pointe des Minimes, by the Mail and the old harbour.
    Minimes,
    /// The Pointe du Chay, Angoulins.
    Chay,
    /// Châtelaillon-Plage's beach.
    Chatelaillon,
    /// Saint-Martin-de-Ré's harbour.
    Re,
    /// Family in Rochefort.
    Rochefort,
    /// The holiday house, Saint-Pierre-d'Oléron.
    Oleron,
    /// Family in Niort, at Christmas.
    Niort,
}

impl Spot {
    const fn at(self) -> (i32, i32) {
        match self {
            Spot::Home => (461_605_000, -11_455_000),
            Spot::Work => (461_540_000, -10_985_000),
            Spot::Shop => (461_795_000, -11_080_000),
            Spot::Minimes => (461_440_000, -11_665_000),
            Spot::Chay => (461_060_000, -11_265_000),
            Spot::Chatelaillon => (460_735_000, -10_915_000),
            Spot::Re => (462_035_000, -13_665_000),
            Spot::Rochefort => (459_390_000, -9_620_000),
            Spot::Oleron => (459_440_000, -13_070_000),
            Spot::Niort => (463_235_000, -4_600_000),
        }
    }

    /// The Timeline's `semanticType` of the place.
    fn semantic(self) -> &'static str {
        match self {
            Spot::Home => "HOME",
            Spot::Work => "WORK",
            Spot::Rochefort | Spot::Niort => "INFERRED_HOME",
            _ => "UNKNOWN",
        }
    }

    /// A Google place id of the shape the Timeline gives.
    fn place_id(self) -> &'static str {
        match self {
            Spot::Home => "ChIJ3Wq5lRVTAUgRcZ1vq0cQb8Y",
            Spot::Work => "ChIJa8mHeCFTAUgR2uQ9gXf1nPk",
            Spot::Shop => "ChIJk1Rz0mJSAUgRyoT4nE3WcAs",
            Spot::Minimes => "ChIJP0b7nQ9TAUgRfJm2h8pEw1U",
            Spot::Chay => "ChIJ9vW2cyVUAUgR0Lq8sT7mK4E",
            Spot::Chatelaillon => "ChIJr2xqPbBUAUgRzH5yG1aV9dQ",
            Spot::Re => "ChIJhWm4tC2rAUgRuE0pQ6xN8yI",
            Spot::Rochefort => "ChIJ5eT7vAVaAUgRb3cK2oL9rWs",
            Spot::Oleron => "ChIJm0Yd8Ev0AUgR6sZ1kJ4pT2c",
            Spot::Niort => "ChIJx8Gf3uSyB0gRqN7wE2vD5hM",
        }
    }

    /// The turns of the way from home (to home: the same, reversed).
    fn via_from_home(self) -> &'static [(i32, i32)] {
        match self {
            Spot::Home => &[],
            Spot::Work => &[
                (461_588_000, -11_390_000),
                (461_561_000, -11_262_000),
                (461_548_000, -11_121_000),
            ],
            Spot::Shop => &[(461_662_000, -11_335_000), (461_742_000, -11_198_000)],
            Spot::Minimes => &[
                (461_655_000, -11_540_000),
                (461_662_000, -11_640_000),
                (461_601_000, -11_731_000),
                (461_566_000, -11_560_000),
                (461_480_000, -11_590_000),
            ],
            Spot::Chay => &[
                (461_501_000, -11_447_000),
                (461_331_000, -11_382_000),
                (461_182_000, -11_301_000),
            ],
            Spot::Chatelaillon => &[
                (461_522_000, -11_201_000),
                (461_203_000, -10_899_000),
                (460_902_000, -10_751_000),
            ],
            Spot::Re => &[
                (461_702_000, -11_803_000),
                (461_652_000, -12_302_000),
                (461_747_000, -12_530_000),
                (461_903_000, -13_201_000),
            ],
            Spot::Rochefort => &[
                (461_203_000, -10_899_000),
                (460_301_000, -10_302_000),
                (459_702_000, -9_903_000),
            ],
            Spot::Oleron => &[
                (461_203_000, -10_899_000),
                (460_301_000, -10_302_000),
                (459_303_000, -10_601_000),
                (458_994_000, -11_801_000),
                (459_302_000, -12_598_000),
            ],
            Spot::Niort => &[
                (461_702_000, -10_498_000),
                (462_301_000, -8_502_000),
                (462_802_000, -6_499_000),
            ],
        }
    }
}

/// The way from `a` to `b` (one of them is home), ends included.
fn route(a: Spot, b: Spot) -> Vec<(i32, i32)> {
    let (other, back) = if a == Spot::Home {
        (b, false)
    } else {
        (a, true)
    };
    let mut way = vec![Spot::Home.at()];
    way.extend_from_slice(other.via_from_home());
    way.push(other.at());
    if back {
        way.reverse();
    }
    way
}

fn length(way: &[(i32, i32)]) -> f64 {
    way.windows(2)
        .map(|w| f64::from(distance_m(w[0], w[1])))
        .sum()
}

/// The position `s` metres along `way`.
fn along(way: &[(i32, i32)], s: f64) -> (f64, f64) {
    let deg = |p: (i32, i32)| (f64::from(p.0) / 1e7, f64::from(p.1) / 1e7);
    let mut left = s.max(0.0);
    for w in way.windows(2) {
        let d = f64::from(distance_m(w[0], w[1]));
        if left <= d && d > 0.0 {
            let (a, b) = (deg(w[0]), deg(w[1]));
            let f = left / d;
            return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        }
        left -= d;
    }
    deg(*way.last().unwrap_or(&Spot::Home.at()))
}

/// Metres per degree of latitude; of longitude, times the cosine of the latitude.
const M_PER_DEG: f64 = 111_194.9;

/// `p` moved by `(north, east)` metres.
fn offset(p: (f64, f64), north: f64, east: f64) -> (f64, f64) {
    (
        p.0 + north / M_PER_DEG,
        p.1 + east / (M_PER_DEG * p.0.to_radians().cos()),
    )
}

// ---------------------------------------------------------------------------
// The plan: every trip of the period

/// How a leg is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bus,
    Car,
    Bike,
}

impl Kind {
    /// The Timeline's activity type.
    fn timeline_type(self) -> &'static str {
        match self {
            Kind::Bus => "IN_BUS",
            Kind::Car => "IN_PASSENGER_VEHICLE",
            Kind::Bike => "CYCLING",
        }
    }
}

/// One trip of the household, UTC seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Leg {
    start: i64,
    end: i64,
    from: Spot,
    to: Spot,
    kind: Kind,
    /// A leg of a bike ride for its own sake (to the seafront and back).
    ride: bool,
}

impl Leg {
    /// Where the phone put its ends: a few tens of metres around the places.
    fn ends(&self, seed: u64) -> ((f64, f64), (f64, f64)) {
        let mut rng = Rng::keyed(seed, stream::ENDS, self.start);
        let deg = |p: (i32, i32)| (f64::from(p.0) / 1e7, f64::from(p.1) / 1e7);
        let a = offset(
            deg(self.from.at()),
            rng.range(-25.0, 25.0),
            rng.range(-25.0, 25.0),
        );
        let b = offset(
            deg(self.to.at()),
            rng.range(-25.0, 25.0),
            rng.range(-25.0, 25.0),
        );
        (a, b)
    }

    fn way(&self, seed: u64) -> Vec<(i32, i32)> {
        let (a, b) = self.ends(seed);
        let e7 = |p: (f64, f64)| ((p.0 * 1e7).round() as i32, (p.1 * 1e7).round() as i32);
        let mut way = route(self.from, self.to);
        let n = way.len();
        way[0] = e7(a);
        way[n - 1] = e7(b);
        way
    }
}

/// Local midnight starting `d`, UTC seconds.
fn midnight(d: Date, tz: &TimeZone) -> Option<i64> {
    local(d, 0, tz)
}

/// `seconds` after local midnight of `d` (by the clock), UTC seconds.
fn local(d: Date, seconds: i64, tz: &TimeZone) -> Option<i64> {
    let seconds = seconds.clamp(0, 86_399);
    let h = i8::try_from(seconds / 3600).ok()?;
    let m = i8::try_from(seconds % 3600 / 60).ok()?;
    let s = i8::try_from(seconds % 60).ok()?;
    let dt = d.to_datetime(time(h, m, s, 0));
    Some(tz.to_timestamp(dt).ok()?.as_second())
}

fn hm(h: i64, m: i64) -> i64 {
    h * 3600 + m * 60
}

/// The trips of the Paris days `[start, end)` that lie within `bounds`.
fn plan(start: Date, end: Date, seed: u64, tz: &TimeZone, bounds: (i64, i64)) -> Vec<Leg> {
    let mut legs = Vec::new();
    // The days just before: the period may begin during a holiday away.
    let mut d = start.checked_sub(20.days()).unwrap_or(start);
    while d < end {
        legs.extend(day(d, seed, tz));
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    legs.retain(|l| l.start >= bounds.0 && l.end <= bounds.1);
    legs
}

/// A day being planned.
struct Day<'a> {
    date: Date,
    tz: &'a TimeZone,
    rng: Rng,
    legs: Vec<Leg>,
    at: Spot,
    free: i64,
}

/// The least time spent somewhere between two trips.
const MIN_STAY_S: i64 = 10 * 60;

impl Day<'_> {
    /// Leaves for `to` by `kind` at `clock` (seconds after local midnight),
    /// or once arrived where it is; returns the arrival (UTC seconds).
    fn go(&mut self, clock: i64, to: Spot, kind: Kind, ride: bool) -> i64 {
        let depart = local(self.date, clock, self.tz)
            .unwrap_or(self.free)
            .max(self.free + MIN_STAY_S);
        let metres = length(&route(self.at, to));
        let kmh = match kind {
            Kind::Bus => self.rng.range(13.0, 16.5),
            Kind::Bike => self.rng.range(15.0, 19.0),
            Kind::Car if metres < 8000.0 => self.rng.range(24.0, 32.0),
            Kind::Car => self.rng.range(50.0, 64.0),
        };
        let end = depart + (metres / (kmh / 3.6)).round() as i64;
        self.legs.push(Leg {
            start: depart,
            end,
            from: self.at,
            to,
            kind,
            ride,
        });
        self.at = to;
        self.free = end;
        end
    }

    /// Seconds after local midnight of an instant of this day.
    fn clock(&self, t: i64) -> i64 {
        t - midnight(self.date, self.tz).unwrap_or(t)
    }

    fn shop(&mut self, clock: i64) {
        let there = self.go(clock, Spot::Shop, Kind::Car, false);
        let stay = self.rng.between(40 * 60, 90 * 60);
        let back = self.clock(there) + stay;
        self.go(back, Spot::Home, Kind::Car, false);
    }

    fn ride(&mut self, clock: i64) {
        let to = if self.rng.chance(0.6) {
            Spot::Minimes
        } else {
            Spot::Chay
        };
        let there = self.go(clock, to, Kind::Bike, true);
        let pause = self.rng.between(15 * 60, 40 * 60);
        let back = self.clock(there) + pause;
        self.go(back, Spot::Home, Kind::Bike, true);
    }

    fn outing(&mut self, clock: i64, to: Spot, stay_min: (i64, i64)) {
        let there = self.go(clock, to, Kind::Car, false);
        let stay = self.rng.between(stay_min.0 * 60, stay_min.1 * 60);
        let back = self.clock(there) + stay;
        self.go(back, Spot::Home, Kind::Car, false);
    }
}

/// Easter Sunday (the anonymous Gregorian algorithm).
fn easter(year: i16) -> Option<Date> {
    let y = i32::from(year);
    let (a, b, c) = (y % 19, y / 100, y % 100);
    let (d, e) = (b / 4, b % 4);
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let (i, k) = (c / 4, c % 4);
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    Date::new(year, i8::try_from(month).ok()?, i8::try_from(day).ok()?).ok()
}

/// A French public holiday.
fn public_holiday(d: Date) -> bool {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    if fixed.contains(&(d.month(), d.day())) {
        return true;
    }
    let Some(e) = easter(d.year()) else {
        return false;
    };
    [1, 39, 50]
        .iter()
        .any(|&n| e.checked_add(n.days()).is_ok_and(|h| h == d))
}

/// Off work: the week after Easter Monday, and 27–31 December.
fn days_off(d: Date) -> bool {
    if d.month() == 12 && d.day() >= 27 {
        return true;
    }
    easter(d.year()).is_some_and(|e| {
        let after = (d - e).get_days();
        (2..=5).contains(&after)
    })
}

/// The August holiday: leaving on the first Saturday, back two weeks later.
fn august(year: i16) -> (Date, Date) {
    let aug1 = date(year, 8, 1);
    let first_sat = aug1
        .nth_weekday_of_month(1, Weekday::Saturday)
        .unwrap_or(aug1);
    (
        first_sat,
        first_sat.checked_add(14.days()).unwrap_or(first_sat),
    )
}

fn ordinal(d: Date) -> i64 {
    i64::from((d - date(1970, 1, 1)).get_days())
}

/// The trips of one Paris day.
fn day(d: Date, seed: u64, tz: &TimeZone) -> Vec<Leg> {
    let mut p = Day {
        date: d,
        tz,
        rng: Rng::keyed(seed, stream::DAY, ordinal(d)),
        legs: Vec::new(),
        at: Spot::Home,
        free: midnight(d, tz).unwrap_or(0) - MIN_STAY_S,
    };
    let (away, back) = august(d.year());
    let (month, dom) = (d.month(), d.day());
    if d == away {
        let t = hm(9, 30) + p.rng.between(0, 60 * 60);
        p.go(t, Spot::Oleron, Kind::Car, false);
        return p.legs;
    }
    if d > away && d < back {
        return p.legs;
    }
    if d == back {
        p.at = Spot::Oleron;
        let t = hm(15, 0) + p.rng.between(0, 60 * 60);
        p.go(t, Spot::Home, Kind::Car, false);
        return p.legs;
    }
    match (month, dom) {
        (12, 24) => {
            let t = hm(10, 0) + p.rng.between(0, 45 * 60);
            p.go(t, Spot::Niort, Kind::Car, false);
            return p.legs;
        }
        (12, 25) => return p.legs,
        (12, 26) => {
            p.at = Spot::Niort;
            let t = hm(15, 30) + p.rng.between(0, 60 * 60);
            p.go(t, Spot::Home, Kind::Car, false);
            return p.legs;
        }
        _ => {}
    }
    let weekday = d.weekday();
    let weekend = matches!(weekday, Weekday::Saturday | Weekday::Sunday);
    let fine_season = (4..=9).contains(&month);
    if weekend || public_holiday(d) || days_off(d) {
        leisure(&mut p, weekday, fine_season);
        return p.legs;
    }
    if p.rng.chance(0.025) {
        // Sick at home.
        return p.legs;
    }
    if weekday == Weekday::Friday && p.rng.chance(0.25) {
        // Working from home; perhaps the week's shopping in the evening.
        if p.rng.chance(0.3) {
            let t = hm(17, 30) + p.rng.between(0, 60 * 60);
            p.shop(t);
        }
        return p.legs;
    }
    let kind = if p.rng.chance(if fine_season { 0.25 } else { 0.04 }) {
        Kind::Bike
    } else {
        Kind::Bus
    };
    let morning = hm(8, 0) + (p.rng.normal() * 7.0 * 60.0).clamp(-25.0 * 60.0, 30.0 * 60.0) as i64;
    p.go(morning, Spot::Work, kind, false);
    let evening =
        hm(17, 30) + (p.rng.normal() * 15.0 * 60.0).clamp(-45.0 * 60.0, 60.0 * 60.0) as i64;
    let home = p.go(evening, Spot::Home, kind, false);
    if p.rng.chance(0.12) {
        let t = (p.clock(home) + p.rng.between(20 * 60, 60 * 60)).max(hm(18, 30));
        p.shop(t);
    }
    p.legs
}

/// A day off at home.
fn leisure(p: &mut Day, weekday: Weekday, fine_season: bool) {
    let ride = if fine_season { 0.4 } else { 0.12 };
    match weekday {
        Weekday::Saturday => {
            if p.rng.chance(0.75) {
                let t = hm(9, 30) + p.rng.between(0, 120 * 60);
                p.shop(t);
            }
            if p.rng.chance(ride * 0.8) {
                let t = hm(14, 30) + p.rng.between(0, 90 * 60);
                p.ride(t);
            }
        }
        Weekday::Sunday => {
            let coast = if fine_season { 0.35 } else { 0.12 };
            let x = p.rng.uniform();
            if x < coast {
                let to = if p.rng.chance(0.65) {
                    Spot::Chatelaillon
                } else {
                    Spot::Re
                };
                let t = hm(14, 0) + p.rng.between(0, 60 * 60);
                p.outing(t, to, (120, 200));
            } else if x < coast + 0.15 {
                let t = hm(11, 15) + p.rng.between(0, 30 * 60);
                p.outing(t, Spot::Rochefort, (300, 380));
            } else if p.rng.chance(ride) {
                let t = hm(10, 0) + p.rng.between(0, 60 * 60);
                p.ride(t);
            }
        }
        _ => {
            if p.rng.chance(ride) {
                let t = hm(10, 0) + p.rng.between(0, 60 * 60);
                p.ride(t);
            }
            if p.rng.chance(0.35) {
                let t = hm(15, 0) + p.rng.between(0, 120 * 60);
                p.shop(t);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The Timeline export (Android)

/// `46.1605123°, -1.1455123°`.
fn lat_lng(p: (f64, f64)) -> String {
    format!("{:.7}°, {:.7}°", p.0, p.1)
}

/// A local time with its offset as the Timeline writes it
/// (`2025-10-16T08:02:13.000+02:00`), and the offset in minutes.
fn local_time(t: i64, tz: &TimeZone) -> (String, i32) {
    let Ok(ts) = Timestamp::from_second(t) else {
        return (String::new(), 0);
    };
    let offset = tz.to_offset(ts).seconds();
    let dt = tz.to_datetime(ts);
    let minutes = offset / 60;
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    (
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000{sign}{:02}:{:02}",
            dt.year(),
            dt.month(),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            m / 60,
            m % 60
        ),
        minutes,
    )
}

/// Writes the export with the phone's indentation (two spaces).
struct Json {
    out: String,
    seed: u64,
}

impl Json {
    fn times(&mut self, start: i64, end: i64, tz: &TimeZone, offsets: bool) {
        let (s, so) = local_time(start, tz);
        let (e, eo) = local_time(end, tz);
        let _ = write!(
            self.out,
            "      \"startTime\": \"{s}\",\n      \"endTime\": \"{e}\",\n"
        );
        if offsets {
            let _ = write!(
                self.out,
                "      \"startTimeTimezoneUtcOffsetMinutes\": {so},\n      \"endTimeTimezoneUtcOffsetMinutes\": {eo},\n"
            );
        }
    }

    fn visit(&mut self, spot: Spot, start: i64, end: i64, tz: &TimeZone) {
        let rng = &mut Rng::keyed(self.seed, stream::VISIT, start);
        self.out.push_str("    {\n");
        self.times(start, end, tz, true);
        let at = (f64::from(spot.at().0) / 1e7, f64::from(spot.at().1) / 1e7);
        let _ = write!(
            self.out,
            "      \"visit\": {{\n        \"hierarchyLevel\": 0,\n        \"probability\": {:.4},\n        \"topCandidate\": {{\n          \"placeId\": \"{}\",\n          \"semanticType\": \"{}\",\n          \"probability\": {:.4},\n          \"placeLocation\": {{\n            \"latLng\": \"{}\"\n          }}\n        }}\n      }}\n    }}",
            rng.range(0.7, 0.99),
            spot.place_id(),
            spot.semantic(),
            rng.range(0.5, 0.95),
            lat_lng(at),
        );
    }

    fn activity(&mut self, leg: &Leg, tz: &TimeZone) {
        let (seed, rng) = (
            self.seed,
            &mut Rng::keyed(self.seed, stream::ACTIVITY, leg.start),
        );
        let (a, b) = leg.ends(seed);
        let metres = length(&leg.way(seed)) * (1.0 + 0.03 * rng.normal()).clamp(0.9, 1.1);
        self.out.push_str("    {\n");
        self.times(leg.start, leg.end, tz, true);
        let _ = write!(
            self.out,
            "      \"activity\": {{\n        \"start\": {{\n          \"latLng\": \"{}\"\n        }},\n        \"end\": {{\n          \"latLng\": \"{}\"\n        }},\n        \"distanceMeters\": {:.3},\n        \"probability\": {:.4},\n        \"topCandidate\": {{\n          \"type\": \"{}\",\n          \"probability\": {:.4}\n        }}\n      }}\n    }}",
            lat_lng(a),
            lat_lng(b),
            metres,
            rng.range(0.85, 0.99),
            leg.kind.timeline_type(),
            rng.range(0.6, 0.97),
        );
    }

    /// The points the phone kept along the way: one every 1.5–4 minutes,
    /// the ends included.
    fn path(&mut self, leg: &Leg, tz: &TimeZone) {
        let (seed, rng) = (
            self.seed,
            &mut Rng::keyed(self.seed, stream::PATH, leg.start),
        );
        let way = leg.way(seed);
        let metres = length(&way);
        let duration = (leg.end - leg.start).max(1);
        let mut times = vec![leg.start];
        let mut t = leg.start;
        loop {
            t += rng.between(60, 3 * 60) + 30;
            if t >= leg.end - 30 {
                break;
            }
            times.push(t);
        }
        times.push(leg.end);
        self.out.push_str("    {\n");
        self.times(leg.start, leg.end, tz, false);
        self.out.push_str("      \"timelinePath\": [\n");
        for (i, &t) in times.iter().enumerate() {
            let s = metres * (t - leg.start) as f64 / duration as f64;
            let p = along(&way, s);
            let p = if i == 0 || i == times.len() - 1 {
                p
            } else {
                offset(p, rng.range(-8.0, 8.0), rng.range(-8.0, 8.0))
            };
            let sep = if i + 1 == times.len() { "" } else { "," };
            let _ = write!(
                self.out,
                "        {{\n          \"point\": \"{}\",\n          \"time\": \"{}\"\n        }}{sep}\n",
                lat_lng(p),
                local_time(t, tz).0
            );
        }
        self.out.push_str("      ]\n    }");
    }
}

/// The phone's Timeline export of the legs, within `bounds`.
fn timeline(legs: &[Leg], seed: u64, tz: &TimeZone, bounds: (i64, i64)) -> Vec<u8> {
    let mut rng = Rng::keyed(seed, stream::SIGNALS, bounds.1);
    let mut j = Json {
        out: String::with_capacity(legs.len() * 2400),
        seed,
    };
    j.out.push_str("{\n  \"semanticSegments\": [\n");
    let mut at = (legs.first().map_or(Spot::Home, |l| l.from), bounds.0);
    for leg in legs {
        j.visit(at.0, at.1, leg.start, tz);
        j.out.push_str(",\n");
        j.activity(leg, tz);
        j.out.push_str(",\n");
        j.path(leg, tz);
        j.out.push_str(",\n");
        at = (leg.to, leg.end);
    }
    j.visit(at.0, at.1, bounds.1, tz);
    j.out.push_str("\n  ],\n  \"rawSignals\": [\n");
    // The last positions the phone kept, where it was the evening before.
    let last = (f64::from(at.0.at().0) / 1e7, f64::from(at.0.at().1) / 1e7);
    for k in 0..3 {
        let t = bounds.1 - 3600 + k * 600;
        let p = offset(last, rng.range(-12.0, 12.0), rng.range(-12.0, 12.0));
        let sep = if k == 2 { "" } else { "," };
        let _ = write!(
            j.out,
            "    {{\n      \"position\": {{\n        \"LatLng\": \"{}\",\n        \"accuracyMeters\": {},\n        \"altitudeMeters\": {:.1},\n        \"source\": \"WIFI\",\n        \"timestamp\": \"{}\",\n        \"speedMetersPerSecond\": 0.0\n      }}\n    }}{sep}\n",
            lat_lng(p),
            10 + rng.next_u64() % 15,
            rng.range(8.0, 14.0),
            local_time(t, tz).0,
        );
    }
    let home = (f64::from(HOME.0) / 1e7, f64::from(HOME.1) / 1e7);
    let work = (f64::from(WORK.0) / 1e7, f64::from(WORK.1) / 1e7);
    let _ = write!(
        j.out,
        "  ],\n  \"userLocationProfile\": {{\n    \"frequentPlaces\": [\n      {{\n        \"placeId\": \"{}\",\n        \"placeLocation\": \"{}\",\n        \"label\": \"HOME\"\n      }},\n      {{\n        \"placeId\": \"{}\",\n        \"placeLocation\": \"{}\",\n        \"label\": \"WORK\"\n      }}\n    ]\n  }}\n}}\n",
        Spot::Home.place_id(),
        lat_lng(home),
        Spot::Work.place_id(),
        lat_lng(work),
    );
    j.out.into_bytes()
}

// ---------------------------------------------------------------------------
// The bike computer's GPX

/// The last two rides (each out and back), as Garmin Connect exports them.
fn gpx_files(legs: &[Leg], seed: u64) -> Vec<DemoFile> {
    let rides: Vec<usize> = (1..legs.len())
        .filter(|&i| legs[i - 1].ride && legs[i].ride && legs[i].from == legs[i - 1].to)
        .filter(|&i| legs[i].to == Spot::Home)
        .collect();
    rides
        .iter()
        .rev()
        .take(2)
        .rev()
        .map(|&i| gpx(&legs[i - 1], &legs[i], seed))
        .collect()
}

fn utc(t: i64) -> String {
    Timestamp::from_second(t).map_or_else(
        |_| String::new(),
        |ts| ts.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string(),
    )
}

/// One ride as a GPX track: a point every 2–4 seconds while moving, with
/// halts at crossings, the computer pausing itself at the turn.
fn gpx(out: &Leg, back: &Leg, seed: u64) -> DemoFile {
    let mut rng = Rng::keyed(seed, stream::RIDE, out.start);
    let id = 17_000_000_000 + rng.next_u64() % 1_000_000_000;
    let mut x = String::with_capacity(200_000);
    let _ = write!(
        x,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gpx creator=\"Garmin Connect\" version=\"1.1\"\n  xsi:schemaLocation=\"http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/11.xsd\"\n  xmlns:ns3=\"http://www.garmin.com/xmlschemas/TrackPointExtension/v1\"\n  xmlns=\"http://www.topografix.com/GPX/1/1\"\n  xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:ns2=\"http://www.garmin.com/xmlschemas/GpxExtensions/v3\">\n  <metadata>\n    <link href=\"connect.garmin.com\">\n      <text>Garmin Connect</text>\n    </link>\n    <time>{}</time>\n  </metadata>\n  <trk>\n    <name>La Rochelle Cycling</name>\n    <type>cycling</type>\n    <trkseg>\n",
        utc(out.start)
    );
    let mut noise = (0.0, 0.0);
    for leg in [out, back] {
        let way = leg.way(seed);
        let metres = length(&way);
        // Times of the points, and how far each step goes relative to the others.
        let mut times = vec![leg.start];
        let mut weights = vec![0.0];
        let halts: Vec<(i64, i64)> = (0..2 + rng.next_u64() % 3)
            .map(|_| {
                let near_town = if rng.chance(0.5) { 0.05 } else { 0.8 };
                let at = leg.start
                    + ((leg.end - leg.start) as f64 * (near_town + rng.range(0.0, 0.15))) as i64;
                (at, at + 10 + (rng.next_u64() % 31) as i64)
            })
            .collect();
        let mut pace: f64 = 1.0;
        let mut t = leg.start;
        while t < leg.end {
            let step = 2 + (rng.next_u64() % 3) as i64;
            t = (t + step).min(leg.end);
            pace = (0.85 * pace + 0.15 * (1.0 + 0.35 * rng.normal())).clamp(0.6, 1.4);
            let halted = halts.iter().any(|&(a, b)| t > a && t <= b);
            times.push(t);
            weights.push(if halted { 0.0 } else { pace * step as f64 });
        }
        let total: f64 = weights.iter().sum::<f64>().max(1e-9);
        let mut s = 0.0;
        for (k, (&t, w)) in times.iter().zip(&weights).enumerate() {
            s += w / total * metres;
            noise = (
                0.7 * noise.0 + 0.6 * rng.normal(),
                0.7 * noise.1 + 0.6 * rng.normal(),
            );
            let p = along(&way, s);
            let p = if k == 0 || k + 1 == times.len() {
                p
            } else {
                offset(p, noise.0, noise.1)
            };
            let ele = 6.0 + 5.0 * (s / 900.0).sin() + 0.3 * rng.normal();
            let _ = write!(
                x,
                "      <trkpt lat=\"{:.8}\" lon=\"{:.8}\">\n        <ele>{ele:.1}</ele>\n        <time>{}</time>\n      </trkpt>\n",
                p.0,
                p.1,
                utc(t)
            );
        }
    }
    x.push_str("    </trkseg>\n  </trk>\n</gpx>\n");
    DemoFile {
        name: format!("activity_{id}.gpx"),
        bytes: x.into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn easter_and_the_holidays_after_it_fall_on_their_dates() {
        assert_eq!(easter(2024), Some(date(2024, 3, 31)));
        assert_eq!(easter(2025), Some(date(2025, 4, 20)));
        assert_eq!(easter(2026), Some(date(2026, 4, 5)));
        // Easter Monday, Ascension Thursday, Whit Monday 2026.
        for d in [date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)] {
            assert!(public_holiday(d), "{d}");
        }
        assert!(!public_holiday(date(2026, 5, 13)));
        assert_eq!(
            august(2026),
            (date(2026, 8, 1), date(2026, 8, 15)),
            "1 August 2026 is a Saturday"
        );
    }

    #[test]
    fn the_ways_start_and_end_at_their_places() {
        for to in [
            Spot::Work,
            Spot::Shop,
            Spot::Minimes,
            Spot::Chay,
            Spot::Chatelaillon,
            Spot::Re,
            Spot::Rochefort,
            Spot::Oleron,
            Spot::Niort,
        ] {
            let there = route(Spot::Home, to);
            let back = route(to, Spot::Home);
            assert_eq!(there.first(), Some(&HOME));
            assert_eq!(back.last(), Some(&HOME));
            assert_eq!(there.last(), Some(&to.at()));
            // No way shorter than the crow flies, none a wild detour (the
            // longest: the ride round by the seafront, Oléron by its bridge).
            let crow = f64::from(distance_m(HOME, to.at()));
            assert!(length(&there) >= crow, "{to:?}");
            assert!(length(&there) < crow * 2.5, "{to:?}");
        }
    }
}

//! How a trip was made: the file's activity type when it has one, else a
//! guess from the speed profile (median and 85th-percentile moving speed,
//! short halts per kilometre) and the distance, always with a confidence
//! 0–100; and the resident's corrections, kept and spread to similar trips.
//!
//! Speeds overlap and the confidences say so: a car in town, a bus and a
//! tram move alike (a profile cannot tell a bus from a tram: frequent short
//! halts answer [`Mode::Tram`] with a low confidence, one correction then
//! settles every similar trip); a car on a motorway and a regional train
//! too. e-mission reports 25–44 % accuracy for car and transit with a
//! trained model: these rules claim no more.

use crate::geo::distance_m;
use crate::model::{Mode, Point, Trip};

/// The file's activity type (the phone's own recognition) is taken with this.
pub const GIVEN_CONFIDENCE: u8 = 95;
/// A leg slower than this (km/h) is a halt, not movement.
pub const HALT_KMH: u64 = 3;
/// A halt this long or shorter (seconds) is a "short halt": a stop of a
/// tram or a bus, a traffic light.
pub const SHORT_HALT_S: i64 = 90;
/// Walking: median moving speed under this (km/h).
pub const WALK_KMH: u64 = 7;
/// Walking: 85th-percentile speed under this (km/h), else a slow bike is possible.
pub const WALK_P85_KMH: u64 = 10;
/// Cycling: median moving speed up to this (km/h)…
pub const BIKE_KMH: u64 = 25;
/// …with the 85th percentile up to this (km/h): a steady pace, no car bursts.
pub const BIKE_P85_KMH: u64 = 32;
/// Short halts per 10 km from which a motorised trip reads as a tram or a
/// bus (stops every 400–700 m; a car meets a light every 1–2 km).
pub const TRANSIT_HALTS_PER_10KM: u64 = 15;
/// Public transport in town moves at most this (median km/h).
pub const TRANSIT_MAX_KMH: u64 = 45;
/// Train: median moving speed from this (km/h)…
pub const TRAIN_KMH: u64 = 80;
/// …over at least this distance (metres).
pub const TRAIN_MIN_M: u32 = 30_000;
/// From this median speed (km/h) a long trip is a train rather than a car on a motorway.
pub const FAST_TRAIN_KMH: u64 = 135;
/// Plane: median moving speed from this (km/h).
pub const PLANE_KMH: u64 = 300;

/// A trip's speeds, in metres per hour (integers: km/h × 1000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Profile {
    /// Median speed over the moving time (each leg weighted by its duration).
    pub median_mh: u64,
    /// 85th-percentile speed over the moving time.
    pub p85_mh: u64,
    /// Halts (legs under [`HALT_KMH`] between moving legs) of at most [`SHORT_HALT_S`].
    pub short_halts: u32,
    /// Metres covered by the legs.
    pub distance_m: u64,
    /// Seconds moving.
    pub moving_s: u64,
}

impl Profile {
    /// The profile of a trip's points in time order; `None` with fewer than
    /// two legs of movement. Legs going back in time are skipped.
    pub fn of(points: &[Point]) -> Option<Profile> {
        let mut legs: Vec<(u64, u64)> = Vec::with_capacity(points.len().saturating_sub(1));
        let mut p = Profile::default();
        let mut halt: Option<i64> = None;
        let mut moved = false;
        for w in points.windows(2) {
            let dt = w[1].t.saturating_sub(w[0].t);
            let Ok(dt_u) = u64::try_from(dt) else {
                continue;
            };
            if dt_u == 0 {
                continue;
            }
            let d = u64::from(distance_m(w[0].pos(), w[1].pos()));
            p.distance_m += d;
            let speed = d.saturating_mul(3600) / dt_u;
            if speed < HALT_KMH * 1000 {
                if moved {
                    halt = Some(halt.unwrap_or(0).saturating_add(dt));
                }
            } else {
                if let Some(h) = halt.take()
                    && h <= SHORT_HALT_S
                {
                    p.short_halts += 1;
                }
                moved = true;
                legs.push((speed, dt_u));
                p.moving_s = p.moving_s.saturating_add(dt_u);
            }
        }
        if legs.len() < 2 {
            return None;
        }
        legs.sort_unstable();
        p.median_mh = percentile(&legs, p.moving_s, 50);
        p.p85_mh = percentile(&legs, p.moving_s, 85);
        Some(p)
    }

    /// The profile of a trip known only by its distance and duration (a
    /// file's activity segment): one steady speed.
    pub fn average(distance_m: u32, duration_s: i64) -> Option<Profile> {
        let dt = u64::try_from(duration_s).ok().filter(|&d| d > 0)?;
        let speed = u64::from(distance_m).saturating_mul(3600) / dt;
        Some(Profile {
            median_mh: speed,
            p85_mh: speed,
            short_halts: 0,
            distance_m: u64::from(distance_m),
            moving_s: dt,
        })
    }
}

/// The speed below which `pct` % of the moving time was spent.
fn percentile(sorted: &[(u64, u64)], total: u64, pct: u64) -> u64 {
    let goal = u128::from(total) * u128::from(pct);
    let mut acc: u128 = 0;
    for &(speed, dt) in sorted {
        acc += u128::from(dt) * 100;
        if acc >= goal {
            return speed;
        }
    }
    sorted.last().map_or(0, |l| l.0)
}

/// The mode of a trip made of `points` over `distance_m`: the file's
/// activity type `given` wins with [`GIVEN_CONFIDENCE`]; else the speed
/// profile decides ([`classify`]); `(None, 0)` when there is too little to go on.
pub fn infer(points: &[Point], distance_m: u32, given: Option<Mode>) -> (Option<Mode>, u8) {
    if let Some(mode) = given {
        return (Some(mode), GIVEN_CONFIDENCE);
    }
    let profile = Profile::of(points).or_else(|| {
        let (first, last) = (points.first()?, points.last()?);
        Profile::average(distance_m, last.t.saturating_sub(first.t))
    });
    match profile {
        Some(p) => classify(&p, distance_m),
        None => (None, 0),
    }
}

/// The mode of a trip taken from a file without points: its activity type,
/// else its average speed.
pub fn infer_given(trip: &Trip, given: Option<Mode>) -> (Option<Mode>, u8) {
    if let Some(mode) = given {
        return (Some(mode), GIVEN_CONFIDENCE);
    }
    match Profile::average(trip.distance_m, trip.duration_s()) {
        Some(p) => {
            let (mode, c) = classify(&p, trip.distance_m);
            // One average speed says less than a profile.
            (mode, c.saturating_sub(20))
        }
        None => (None, 0),
    }
}

/// The rules, fastest first.
pub fn classify(p: &Profile, distance_m: u32) -> (Option<Mode>, u8) {
    let kmh = |k: u64| k * 1000;
    let halts_per_10km = u64::from(p.short_halts) * 10_000 / p.distance_m.max(1);
    if p.median_mh >= kmh(PLANE_KMH) {
        return (Some(Mode::Plane), 85);
    }
    if p.median_mh >= kmh(TRAIN_KMH) && distance_m >= TRAIN_MIN_M {
        let c = if p.median_mh >= kmh(FAST_TRAIN_KMH) {
            75
        } else {
            40
        };
        return (Some(Mode::Train), c);
    }
    if p.median_mh < kmh(WALK_KMH) {
        let c = if p.p85_mh < kmh(WALK_P85_KMH) { 80 } else { 55 };
        return (Some(Mode::Walk), c);
    }
    if p.median_mh <= kmh(BIKE_KMH) && p.p85_mh <= kmh(BIKE_P85_KMH) {
        // 7–10 km/h: a slow bike or a runner.
        let c = if p.median_mh < kmh(10) { 40 } else { 65 };
        return (Some(Mode::Bike), c);
    }
    if halts_per_10km >= TRANSIT_HALTS_PER_10KM && p.median_mh <= kmh(TRANSIT_MAX_KMH) {
        return (Some(Mode::Tram), 35);
    }
    (Some(Mode::Car), 55)
}

/// Endpoints within this (metres) of a corrected trip's are "the same".
pub const SAME_PLACE_M: u32 = 200;
/// A distance within this share (percent) of a corrected trip's is "the same".
pub const SAME_DISTANCE_PCT: u64 = 20;
/// A mode spread from a correction is this sure.
pub const PROPAGATED_CONFIDENCE: u8 = 90;
/// A trip the resident corrected is this sure.
pub const CORRECTED_CONFIDENCE: u8 = 100;

/// The resident's word on one trip's mode, kept with what identifies the
/// trip (its times) and what makes another trip similar (its endpoints and
/// distance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Correction {
    pub start: i64,
    pub end: i64,
    pub from: (i32, i32),
    pub to: (i32, i32),
    pub distance_m: u32,
    pub mode: Mode,
}

impl Correction {
    /// The resident says `trip` was made by `mode`.
    pub fn of(trip: &Trip, mode: Mode) -> Correction {
        Correction {
            start: trip.start,
            end: trip.end,
            from: trip.from,
            to: trip.to,
            distance_m: trip.distance_m,
            mode,
        }
    }

    fn is(&self, trip: &Trip) -> bool {
        self.start == trip.start && self.end == trip.end
    }

    /// Same endpoints (either way round: the way back is the same route)
    /// and a distance within [`SAME_DISTANCE_PCT`].
    fn resembles(&self, trip: &Trip) -> bool {
        let near = |a, b| distance_m(a, b) <= SAME_PLACE_M;
        let ends = (near(self.from, trip.from) && near(self.to, trip.to))
            || (near(self.from, trip.to) && near(self.to, trip.from));
        let (a, b) = (u64::from(self.distance_m), u64::from(trip.distance_m));
        ends && a.abs_diff(b) * 100 <= SAME_DISTANCE_PCT * a
    }
}

/// Applies the resident's corrections: a corrected trip takes its mode with
/// [`CORRECTED_CONFIDENCE`]; any other trip resembling a corrected one
/// takes that mode with [`PROPAGATED_CONFIDENCE`] (the closest distance
/// wins, then the latest correction). Returns how many trips changed mode.
pub fn propagate(corrections: &[Correction], trips: &mut [Trip]) -> usize {
    let mut changed = 0;
    for trip in trips.iter_mut() {
        let before = trip.mode;
        if let Some(c) = corrections.iter().rev().find(|c| c.is(trip)) {
            trip.mode = Some(c.mode);
            trip.confidence = CORRECTED_CONFIDENCE;
        } else if let Some(c) = corrections
            .iter()
            .filter(|c| c.resembles(trip))
            .min_by_key(|c| {
                (
                    c.distance_m.abs_diff(trip.distance_m),
                    std::cmp::Reverse(c.start),
                )
            })
        {
            trip.mode = Some(c.mode);
            trip.confidence = PROPAGATED_CONFIDENCE;
        }
        if trip.mode != before {
            changed += 1;
        }
    }
    changed
}

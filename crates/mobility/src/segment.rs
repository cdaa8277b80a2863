//! Trips, stops and "not tracked" gaps found in raw location points.
//!
//! The points are cleaned first (sorted by time, one point per second kept —
//! the most accurate —, points with a poor accuracy or impossible
//! coordinates dropped, jitter spikes dropped). A time gap longer than
//! [`GAP_S`] that also moves the phone more than [`STOP_RADIUS_M`] is a
//! [`Gap`]: the trip before it ends at the last point before it and nothing
//! is invented inside it (a phone that stops recording at home and resumes
//! there was simply at home). Inside a tracked run, staying within
//! [`STOP_RADIUS_M`] of the stay's centre for [`STOP_MIN_S`] is a stop; the
//! movement between two stops is a trip if it is long enough
//! ([`MIN_TRIP_M`], [`MIN_TRIP_S`]), otherwise it was jitter and the two
//! stops, when at the same place, become one.

use std::ops::Range;

use crate::geo::distance_m;
use crate::model::{Gap, Point, Stop, Trip};

/// Points whose accuracy radius is larger than this are dropped: a 200 m
/// circle is a cell-tower fix, which draws false trips.
pub const MAX_ACCURACY_M: u32 = 200;
/// A stay: every point within this distance of the stay's running centre
/// (e-mission uses 100 m for Android data).
pub const STOP_RADIUS_M: u32 = 100;
/// A stay this long (seconds) ends a trip: 5 minutes (e-mission's Android rule).
pub const STOP_MIN_S: i64 = 5 * 60;
/// Two consecutive points further apart in time than this (seconds), and
/// further apart in space than [`STOP_RADIUS_M`], leave a [`Gap`]: 10 minutes.
pub const GAP_S: i64 = 10 * 60;
/// A trip is at least this long (metres): shorter movements are jitter.
pub const MIN_TRIP_M: u32 = 200;
/// A trip lasts at least this (seconds): shorter movements are jitter.
pub const MIN_TRIP_S: i64 = 2 * 60;
/// A point that implies more than this speed (km/h) both from the point
/// before and to the point after, where going straight from the one before
/// to the one after does not, is a jitter spike and is dropped. Planes are
/// kept: all their legs are fast.
pub const SPIKE_KMH: u64 = 300;
/// A lone point further than this (metres) from both the point before and
/// the point after, where those two are within [`STOP_RADIUS_M`] of each
/// other, is a stray fix (a cell tower, a reflection) and is dropped,
/// however slow the going there and back would be: points minutes apart
/// during a stay would otherwise read as a trip there and back.
pub const STRAY_M: u32 = 1000;
/// While summing a trip's distance, a point closer than this (metres) to
/// the last counted one is not a new corner: GPS jitter at one point a
/// second would otherwise add metres the resident never travelled.
pub const STEP_M: u32 = 10;

/// What [`segment`] found, in time order.
#[derive(Debug, Clone, Default)]
pub struct Segmented {
    pub trips: Vec<Trip>,
    pub stops: Vec<Stop>,
    pub gaps: Vec<Gap>,
    /// The cleaned points everything refers to.
    pub points: Vec<Point>,
    /// For each trip, the range of `points` it was made of (the last point
    /// of the stop it left and the first of the stop it reached included).
    pub spans: Vec<Range<usize>>,
}

impl Segmented {
    /// The points of trip `i` (empty when there is no such trip).
    pub fn trip_points(&self, i: usize) -> &[Point] {
        self.spans
            .get(i)
            .and_then(|r| self.points.get(r.clone()))
            .unwrap_or(&[])
    }

    /// Infers every trip's mode from its points ([`crate::mode::infer`]).
    pub fn infer_modes(&mut self) {
        for i in 0..self.trips.len() {
            let (mode, confidence) =
                crate::mode::infer(self.trip_points(i), self.trips[i].distance_m, None);
            let trip = &mut self.trips[i];
            trip.mode = mode;
            trip.confidence = confidence;
        }
    }
}

/// Finds trips, stops and gaps in `points`, in any order, trusting none of
/// them. Memory is a copy of the points and what is found, never more.
pub fn segment(points: &[Point]) -> Segmented {
    let pts = clean(points);
    let mut out = Segmented::default();
    let mut run_start = 0;
    for i in 1..=pts.len() {
        let split = i == pts.len() || is_gap(&pts[i - 1], &pts[i]);
        if split {
            segment_run(&pts, run_start..i, &mut out);
            if let (Some(a), Some(b)) = (pts.get(i - 1), pts.get(i)) {
                out.gaps.push(Gap {
                    start: a.t,
                    end: b.t,
                });
            }
            run_start = i;
        }
    }
    out.points = pts;
    out
}

fn is_gap(a: &Point, b: &Point) -> bool {
    b.t.saturating_sub(a.t) > GAP_S && distance_m(a.pos(), b.pos()) > STOP_RADIUS_M
}

fn plausible(p: &Point) -> bool {
    (-900_000_000..=900_000_000).contains(&p.lat_e7)
        && (-1_800_000_000..=1_800_000_000).contains(&p.lon_e7)
        && p.accuracy_m.is_none_or(|a| a <= MAX_ACCURACY_M)
}

/// Whether going from `a` to `b` is faster than `kmh`.
fn faster_than(a: &Point, b: &Point, kmh: u64) -> bool {
    let dt = u128::try_from(b.t.saturating_sub(a.t)).unwrap_or(0).max(1);
    let d = u128::from(distance_m(a.pos(), b.pos()));
    d * 3600 > u128::from(kmh) * 1000 * dt
}

/// Sorted, one point per second (the most accurate), plausible, no spikes.
fn clean(points: &[Point]) -> Vec<Point> {
    let mut v: Vec<Point> = points.iter().filter(|p| plausible(p)).copied().collect();
    if !v.is_sorted_by_key(|p| p.t) {
        v.sort_by_key(|p| p.t);
    }
    // Of points sharing a second, the most accurate, then the southernmost
    // and westernmost: the same whatever order the file had them in.
    let rank = |p: &Point| (p.accuracy_m.unwrap_or(u32::MAX), p.lat_e7, p.lon_e7);
    v.dedup_by(|later, kept| {
        if later.t != kept.t {
            return false;
        }
        if rank(later) < rank(kept) {
            *kept = *later;
        }
        true
    });
    let mut out: Vec<Point> = Vec::with_capacity(v.len());
    for (i, p) in v.iter().enumerate() {
        if let (Some(prev), Some(next)) = (out.last(), v.get(i + 1)) {
            let spike = faster_than(prev, p, SPIKE_KMH)
                && faster_than(p, next, SPIKE_KMH)
                && !faster_than(prev, next, SPIKE_KMH);
            let stray = distance_m(prev.pos(), next.pos()) <= STOP_RADIUS_M
                && distance_m(prev.pos(), p.pos()) > STRAY_M
                && distance_m(p.pos(), next.pos()) > STRAY_M;
            if spike || stray {
                continue;
            }
        }
        out.push(*p);
    }
    out
}

/// A stay being built: points `i..=j` of the run, their coordinate sums.
#[derive(Clone, Copy)]
struct Stay {
    i: usize,
    j: usize,
    lat: i64,
    lon: i64,
    n: i64,
}

impl Stay {
    fn centre(&self) -> (i32, i32) {
        let n = self.n.max(1);
        // An average of i32 values fits an i32.
        (
            i32::try_from(self.lat / n).unwrap_or(0),
            i32::try_from(self.lon / n).unwrap_or(0),
        )
    }
}

/// Segments one tracked run (no gap inside), appending to `out`.
fn segment_run(pts: &[Point], range: Range<usize>, out: &mut Segmented) {
    let base = range.start;
    let r = &pts[range];
    if r.is_empty() {
        return;
    }
    // The stays, each the longest window from its first point.
    let mut stays: Vec<Stay> = Vec::new();
    let mut i = 0;
    while i < r.len() {
        let mut s = Stay {
            i,
            j: i,
            lat: i64::from(r[i].lat_e7),
            lon: i64::from(r[i].lon_e7),
            n: 1,
        };
        while let Some(next) = r.get(s.j + 1) {
            if distance_m(s.centre(), next.pos()) > STOP_RADIUS_M {
                break;
            }
            s.j += 1;
            s.lat += i64::from(next.lat_e7);
            s.lon += i64::from(next.lon_e7);
            s.n += 1;
        }
        if r[s.j].t.saturating_sub(r[s.i].t) >= STOP_MIN_S {
            // Jitter between two stays at the same place joins them.
            if let Some(last) = stays.last_mut()
                && candidate(r, Some(last), Some(&s)).is_none()
                && distance_m(last.centre(), s.centre()) <= STOP_RADIUS_M
            {
                last.j = s.j;
                last.lat += s.lat;
                last.lon += s.lon;
                last.n += s.n;
            } else {
                stays.push(s);
            }
            i = s.j + 1;
        } else {
            i += 1;
        }
    }
    let mut push = |trip: Option<(Trip, Range<usize>)>| {
        if let Some((trip, span)) = trip {
            out.trips.push(trip);
            out.spans.push(base + span.start..base + span.end);
        }
    };
    // Before the first stay (the whole run when there is none).
    push(candidate(r, None, stays.first()));
    for (k, s) in stays.iter().enumerate() {
        let (lat_e7, lon_e7) = s.centre();
        out.stops.push(Stop {
            start: r[s.i].t,
            end: r[s.j].t,
            lat_e7,
            lon_e7,
        });
        push(candidate(r, Some(s), stays.get(k + 1)));
    }
}

/// The trip between two stays of run `r` (or its start, or its end), if the
/// movement there is one.
fn candidate(
    r: &[Point],
    prev: Option<&Stay>,
    next: Option<&Stay>,
) -> Option<(Trip, Range<usize>)> {
    let lo = prev.map_or(0, |s| s.j);
    let hi = match next {
        Some(s) => s.i,
        None => r.len().checked_sub(1)?,
    };
    // A run's start with a stay at its very first point has no trip before it.
    if hi <= lo || (prev.is_none() && next.is_some_and(|s| s.i == 0)) {
        return None;
    }
    let pos = |k: usize| -> (i32, i32) {
        match (k == lo, k == hi, prev, next) {
            (true, _, Some(s), _) => s.centre(),
            (_, true, _, Some(s)) => s.centre(),
            _ => r[k].pos(),
        }
    };
    let mut distance: u64 = 0;
    let mut last = pos(lo);
    for k in lo + 1..=hi {
        let p = pos(k);
        let d = distance_m(last, p);
        if d >= STEP_M || k == hi {
            distance += u64::from(d);
            last = p;
        }
    }
    let (start, end) = (r[lo].t, r[hi].t);
    let distance_m = u32::try_from(distance).unwrap_or(u32::MAX);
    if distance_m < MIN_TRIP_M || end.saturating_sub(start) < MIN_TRIP_S {
        return None;
    }
    Some((
        Trip {
            start,
            end,
            from: pos(lo),
            to: pos(hi),
            distance_m,
            mode: None,
            confidence: 0,
            points: hi - lo + 1,
            given: false,
            path: Vec::new(),
        },
        lo..hi + 1,
    ))
}

//! What the resident asks of their readings: consumption and cost over a
//! period at a step, the same period a year earlier, the night baseload,
//! the peak, leak and standby alerts, and which days are missing.
//!
//! A [`Book`] is built once from a fluid's readings and the tariffs, and
//! then answers queries from a table of local days (Europe/Paris), so a
//! monthly view of ten years sums a few thousand integers. A day's value
//! comes from a daily reading when there is one, or else from the sum of
//! the shorter readings that start that day; its coverage says how much of
//! the day those readings span. A missing reading is never counted as zero:
//! a bucket with no reading at all has no value.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, ZonedDateTime};

use crate::files::{Step, paris};
use crate::model::{Fluid, Quantity, Reading};
use crate::tariff::{self, Tariffs};

/// The step of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    HalfHour,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Resolution {
    pub fn parse(s: &str) -> Option<Resolution> {
        Some(match s {
            "half-hour" | "PT30M" => Resolution::HalfHour,
            "hour" | "PT1H" => Resolution::Hour,
            "day" | "P1D" => Resolution::Day,
            "week" | "P1W" => Resolution::Week,
            "month" | "P1M" => Resolution::Month,
            "year" | "P1Y" => Resolution::Year,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::HalfHour => "half-hour",
            Resolution::Hour => "hour",
            Resolution::Day => "day",
            Resolution::Week => "week",
            Resolution::Month => "month",
            Resolution::Year => "year",
        }
    }

    fn sub_daily_secs(self) -> Option<i64> {
        match self {
            Resolution::HalfHour => Some(1800),
            Resolution::Hour => Some(3600),
            _ => None,
        }
    }

    /// The start of the bucket holding local day `d`.
    pub fn bucket_start(self, d: Date) -> Date {
        match self {
            Resolution::Week => d
                .checked_sub((d.weekday().to_monday_zero_offset() as i64).days())
                .unwrap_or(d),
            Resolution::Month => d.first_of_month(),
            Resolution::Year => d.first_of_year(),
            _ => d,
        }
    }

    /// The start of the next bucket after the one starting on `d`.
    pub fn next(self, d: Date) -> Date {
        let span = match self {
            Resolution::Week => 1.week(),
            Resolution::Month => 1.month(),
            Resolution::Year => 1.year(),
            _ => 1.day(),
        };
        d.checked_add(span).unwrap_or(d)
    }
}

/// One bucket of a query's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Bucket {
    pub start: ZonedDateTime,
    pub end: ZonedDateTime,
    /// mWh, mL or VA; `None` when no reading covers any of the bucket.
    pub value: Option<i64>,
    /// Pico-euros, when there is a value and a tariff.
    pub cost: Option<i64>,
    /// Share of the bucket the readings cover, 0 to 1.
    pub coverage: f64,
}

/// A sub-daily reading with its cost.
#[derive(Debug, Clone, Copy)]
struct Slot {
    start: i64,
    end: i64,
    value: Option<i64>,
    cost: i64,
}

/// One local day.
#[derive(Debug, Clone, Copy, Default)]
struct Day {
    value: i64,
    cost: i64,
    /// Seconds of the day covered by readings with a value.
    known: i64,
    /// Whether any reading (even an empty one) was reported for this day.
    reported: bool,
    /// Length of the local day (82,800, 86,400 or 90,000 s).
    secs: i64,
}

/// The readings of one quantity, ready to query.
#[derive(Debug, Clone)]
pub struct QuantityBook {
    pub quantity: Quantity,
    slots: Vec<Slot>,
    first_day: Option<Date>,
    days: Vec<Day>,
    pub first: Option<Timestamp>,
    pub last: Option<Timestamp>,
    pub readings: usize,
}

/// All quantities of one fluid.
#[derive(Debug, Clone)]
pub struct Book {
    pub fluid: Fluid,
    pub quantities: Vec<QuantityBook>,
}

impl Book {
    /// Builds the book from every reading of the fluid (any order; readings
    /// of different lengths may overlap, e.g. daily totals and a load curve).
    pub fn build(
        fluid: Fluid,
        readings: &BTreeMap<Quantity, Vec<Reading>>,
        tariffs: &Tariffs,
    ) -> Book {
        let quantities = readings
            .iter()
            .filter(|(q, _)| q.fluid() == fluid)
            .map(|(q, r)| QuantityBook::build(*q, r, tariffs))
            .collect();
        Book { fluid, quantities }
    }

    pub fn quantity(&self, q: Quantity) -> Option<&QuantityBook> {
        self.quantities.iter().find(|b| b.quantity == q)
    }

    /// The quantity shown by default: energy for electricity and gas, volume for water.
    pub fn main(&self) -> Option<&QuantityBook> {
        self.quantity(main_quantity(self.fluid))
    }
}

pub fn main_quantity(fluid: Fluid) -> Quantity {
    match fluid {
        Fluid::Electricity => Quantity::ElectricEnergy,
        Fluid::Gas => Quantity::GasEnergy,
        Fluid::Water => Quantity::WaterVolume,
    }
}

fn local_date(ts: i64, tz: &TimeZone) -> Date {
    Timestamp::from_second(ts)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned_datetime(tz.clone())
        .date()
}

fn day_start(d: Date, tz: &TimeZone) -> Option<ZonedDateTime> {
    d.to_zoned_datetime(tz.clone()).ok()
}

fn day_secs(d: Date, tz: &TimeZone) -> i64 {
    match (
        day_start(d, tz),
        d.tomorrow().ok().and_then(|t| day_start(t, tz)),
    ) {
        (Some(a), Some(b)) => b.timestamp().as_second() - a.timestamp().as_second(),
        _ => 86_400,
    }
}

impl QuantityBook {
    fn build(quantity: Quantity, readings: &[Reading], tariffs: &Tariffs) -> QuantityBook {
        let tz = paris();
        let fluid = quantity.fluid();
        let priced = quantity.is_additive() && quantity != Quantity::GasVolume;
        let mut sorted: Vec<&Reading> = readings.iter().collect();
        sorted.sort_by_key(|r| r.start);
        let cost_of = |r: &Reading, value: i64| -> i64 {
            if !priced {
                return 0;
            }
            let local = r.start.to_zoned_datetime(tz.clone());
            let Some(p) = tariffs.at(fluid, local.date()) else {
                return 0;
            };
            let secs = r.end.as_second() - r.start.as_second();
            let price = if Step::of(r) == Step::Daily {
                p.price
            } else {
                p.unit_price(local.time())
            };
            tariff::energy_cost(value, price) + tariff::fixed_cost(p.subscription, secs)
        };
        let mut slots = Vec::new();
        let mut daily: BTreeMap<Date, (Option<i64>, i64)> = BTreeMap::new();
        let mut fine_days: BTreeMap<Date, Day> = BTreeMap::new();
        for r in &sorted {
            let d = local_date(r.start.as_second(), &tz);
            if Step::of(r) == Step::Daily {
                let cost = r.value.map(|v| cost_of(r, v)).unwrap_or(0);
                daily.insert(d, (r.value, cost));
            } else {
                let cost = r.value.map(|v| cost_of(r, v)).unwrap_or(0);
                slots.push(Slot {
                    start: r.start.as_second(),
                    end: r.end.as_second(),
                    value: r.value,
                    cost,
                });
                let day = fine_days.entry(d).or_default();
                day.reported = true;
                if let Some(v) = r.value {
                    if quantity.is_additive() {
                        day.value += v;
                    } else {
                        day.value = day.value.max(v);
                    }
                    day.cost += cost;
                    day.known += r.end.as_second() - r.start.as_second();
                }
            }
        }
        let first_day = daily
            .keys()
            .next()
            .into_iter()
            .chain(fine_days.keys().next())
            .min()
            .copied();
        let last_day = daily
            .keys()
            .next_back()
            .into_iter()
            .chain(fine_days.keys().next_back())
            .max()
            .copied();
        let mut days = Vec::new();
        if let (Some(first), Some(last)) = (first_day, last_day) {
            let mut d = first;
            while d <= last {
                let secs = day_secs(d, &tz);
                let day = match (daily.get(&d), fine_days.get(&d)) {
                    (Some((Some(v), cost)), _) => Day {
                        value: *v,
                        cost: *cost,
                        known: secs,
                        reported: true,
                        secs,
                    },
                    (_, Some(fine)) => Day { secs, ..*fine },
                    (Some((None, _)), None) => Day {
                        reported: true,
                        secs,
                        ..Day::default()
                    },
                    (None, None) => Day {
                        secs,
                        ..Day::default()
                    },
                };
                days.push(day);
                match d.tomorrow() {
                    Ok(t) => d = t,
                    Err(_) => break,
                }
            }
        }
        let mut book = QuantityBook {
            quantity,
            slots,
            first_day,
            days,
            first: sorted.first().map(|r| r.start),
            last: sorted.iter().map(|r| r.end).max(),
            readings: sorted.len(),
        };
        if quantity == Quantity::WaterVolume {
            book.price_water_progressively(tariffs);
        }
        book
    }

    /// Water is priced per calendar year by tiers, so a day's cost depends
    /// on what was used earlier that year.
    fn price_water_progressively(&mut self, tariffs: &Tariffs) {
        let Some(first) = self.first_day else { return };
        let mut year = first.year();
        let mut used = 0i64;
        let mut d = first;
        for day in &mut self.days {
            if d.year() != year {
                year = d.year();
                used = 0;
            }
            if day.known > 0
                && let Some(p) = tariffs.at(Fluid::Water, d)
            {
                day.cost = tariff::water_cost(p, used, day.value)
                    + tariff::fixed_cost(p.subscription, day.known);
                used += day.value;
            }
            d = d.tomorrow().unwrap_or(d);
        }
    }

    fn day_index(&self, d: Date) -> Option<usize> {
        let first = self.first_day?;
        let n = (d - first).get_days();
        (n >= 0 && (n as usize) < self.days.len()).then_some(n as usize)
    }

    /// Local day of the last reading's end minus one second.
    pub fn last_day(&self) -> Option<Date> {
        self.last.map(|t| local_date(t.as_second() - 1, &paris()))
    }

    pub fn first_day(&self) -> Option<Date> {
        self.first_day
    }

    /// Consumption over local days `[from, to)` at a daily or coarser step,
    /// or over instants at a sub-daily step.
    pub fn aggregate(&self, from: Date, to: Date, res: Resolution) -> Vec<Bucket> {
        let tz = paris();
        if let Some(step) = res.sub_daily_secs() {
            return self.aggregate_fine(from, to, step, &tz);
        }
        let mut out = Vec::new();
        let mut start = res.bucket_start(from);
        while start < to {
            let end = res.next(start);
            let (mut value, mut cost, mut known, mut secs, mut any) =
                (0i64, 0i64, 0i64, 0i64, false);
            let mut d = start.max(from);
            let stop = end.min(to);
            while d < stop {
                match self.day_index(d) {
                    Some(i) => {
                        let day = &self.days[i];
                        if day.known > 0 {
                            any = true;
                            if self.quantity.is_additive() {
                                value += day.value;
                            } else {
                                value = value.max(day.value);
                            }
                            cost += day.cost;
                            known += day.known;
                        }
                        secs += day.secs;
                    }
                    None => secs += day_secs(d, &tz),
                }
                d = match d.tomorrow() {
                    Ok(t) => t,
                    Err(_) => break,
                };
            }
            out.push(Bucket {
                start: day_start(start, &tz).unwrap_or_default(),
                end: day_start(end, &tz).unwrap_or_default(),
                value: any.then_some(value),
                cost: (any && self.quantity.is_additive()).then_some(cost),
                coverage: if secs > 0 {
                    (known as f64 / secs as f64).min(1.0)
                } else {
                    0.0
                },
            });
            start = end;
        }
        out
    }

    fn aggregate_fine(&self, from: Date, to: Date, step: i64, tz: &TimeZone) -> Vec<Bucket> {
        let (Some(a), Some(b)) = (day_start(from, tz), day_start(to, tz)) else {
            return Vec::new();
        };
        let (a, b) = (a.timestamp().as_second(), b.timestamp().as_second());
        let n = ((b - a).max(0) / step) as usize;
        let mut sums = vec![(0i64, 0i64, 0i64, false); n];
        let first = self.slots.partition_point(|s| s.start < a);
        for s in &self.slots[first..] {
            if s.start >= b {
                break;
            }
            let i = ((s.start - a) / step) as usize;
            if let (Some(v), Some(slot)) = (s.value, sums.get_mut(i)) {
                if self.quantity.is_additive() {
                    slot.0 += v;
                } else {
                    slot.0 = slot.0.max(v);
                }
                slot.1 += s.cost;
                slot.2 += (s.end.min(a + (i as i64 + 1) * step) - s.start).max(0);
                slot.3 = true;
            }
        }
        sums.into_iter()
            .enumerate()
            .map(|(i, (value, cost, known, any))| {
                let start = a + i as i64 * step;
                let z = |t: i64| {
                    Timestamp::from_second(t)
                        .unwrap_or_default()
                        .to_zoned_datetime(tz.clone())
                };
                Bucket {
                    start: z(start),
                    end: z(start + step),
                    value: any.then_some(value),
                    cost: any.then_some(cost),
                    coverage: (known as f64 / step as f64).min(1.0),
                }
            })
            .collect()
    }

    /// Average power (W) of each complete local hour from 00:00 to 06:00, per night.
    fn night_minimums(&self, from: Date, to: Date) -> Vec<(Date, i64)> {
        let tz = paris();
        let mut hours: BTreeMap<(Date, i8), (i64, i64)> = BTreeMap::new();
        let Some(a) = day_start(from, &tz) else {
            return Vec::new();
        };
        let first = self
            .slots
            .partition_point(|s| s.start < a.timestamp().as_second());
        for s in &self.slots[first..] {
            let z = Timestamp::from_second(s.start)
                .unwrap_or_default()
                .to_zoned_datetime(tz.clone());
            if z.date() >= to {
                break;
            }
            if z.hour() < 6
                && let Some(v) = s.value
            {
                let e = hours.entry((z.date(), z.hour())).or_default();
                e.0 += v;
                e.1 += s.end - s.start;
            }
        }
        let mut nights: BTreeMap<Date, i64> = BTreeMap::new();
        for ((d, _), (mwh, secs)) in hours {
            if secs == 3600 {
                let w = mwh / 1000; // Wh over one hour = average W
                let m = nights.entry(d).or_insert(i64::MAX);
                *m = (*m).min(w);
            }
        }
        nights.into_iter().collect()
    }

    /// The night baseload: median over the nights in `[from, to)` of the
    /// lowest hourly average power between midnight and 06:00, in W (or
    /// litres per hour for water). `None` without sub-daily readings.
    pub fn baseload(&self, from: Date, to: Date) -> Option<i64> {
        let mut mins: Vec<i64> = self
            .night_minimums(from, to)
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        median(&mut mins)
    }

    /// The highest average power over one reading in `[from, to)`, in W, and when it ended.
    pub fn peak(&self, from: Date, to: Date) -> Option<(i64, ZonedDateTime)> {
        let tz = paris();
        let (a, b) = (day_start(from, &tz)?, day_start(to, &tz)?);
        let (a, b) = (a.timestamp().as_second(), b.timestamp().as_second());
        let first = self.slots.partition_point(|s| s.start < a);
        self.slots[first..]
            .iter()
            .take_while(|s| s.start < b)
            .filter_map(|s| {
                let v = s.value?;
                let secs = s.end - s.start;
                let w = if self.quantity.is_additive() {
                    v * 3600 / 1000 / secs.max(1)
                } else {
                    v
                };
                Some((w, s.end))
            })
            .max_by_key(|(w, _)| *w)
            .map(|(w, end)| {
                (
                    w,
                    Timestamp::from_second(end)
                        .unwrap_or_default()
                        .to_zoned_datetime(tz),
                )
            })
    }

    /// Local days in `[from, to)` with no value at all, and with only part of the day.
    pub fn gaps(&self, from: Date, to: Date) -> (Vec<Date>, Vec<Date>) {
        let (mut missing, mut partial) = (Vec::new(), Vec::new());
        let mut d = from;
        while d < to {
            match self.day_index(d).map(|i| self.days[i]) {
                Some(day) if day.known >= day.secs => {}
                Some(day) if day.known > 0 => partial.push(d),
                _ => missing.push(d),
            }
            d = match d.tomorrow() {
                Ok(t) => t,
                Err(_) => break,
            };
        }
        (missing, partial)
    }

    /// Daily values (mL, mWh) of complete days in `[from, to)`.
    fn complete_days(&self, from: Date, to: Date) -> Vec<(Date, i64)> {
        let mut out = Vec::new();
        let mut d = from;
        while d < to {
            if let Some(i) = self.day_index(d)
                && self.days[i].known >= self.days[i].secs
            {
                out.push((d, self.days[i].value));
            }
            d = match d.tomorrow() {
                Ok(t) => t,
                Err(_) => break,
            };
        }
        out
    }
}

fn median(v: &mut [i64]) -> Option<i64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}

/// Something that looks wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Alert {
    /// Water flowing day and night: `extra` mL a day above the usual, from `first` to `last` (local days).
    PossibleLeak {
        first: Date,
        last: Date,
        usual_ml_per_day: i64,
        extra_ml_per_day: i64,
        ongoing: bool,
    },
    /// The night baseload of recent nights is well above the usual one.
    UnusualStandby {
        recent_w: i64,
        usual_w: i64,
        since: Date,
    },
}

/// Nights in a row with water flowing before a leak is suspected (hourly readings).
pub const LEAK_MIN_NIGHTS: usize = 3;
/// Days in a row well above the usual use before a leak is suspected (daily
/// readings): longer than a few hot days of watering the garden.
pub const LEAK_MIN_DAYS: usize = 5;

/// Finds possible leaks in the water readings up to `today` (over the last
/// year): with hourly readings, water flowing in every night hour for
/// [`LEAK_MIN_NIGHTS`] nights; with daily readings, [`LEAK_MIN_DAYS`] or more
/// days in a row each using at least 1.5 times (and 80 L more than) the
/// median of the 28 days before the run: the signature of a continuous flow.
pub fn leaks(water: &QuantityBook, today: Date) -> Vec<Alert> {
    let from = today.checked_sub(1.year()).unwrap_or(today);
    let mut out = Vec::new();
    // Night flow, when sub-daily readings exist.
    let nights = water.night_minimums(from, today);
    if !nights.is_empty() {
        let mut run: Vec<(Date, i64)> = Vec::new();
        for (d, min) in nights.iter().copied().chain([(today, 0)]) {
            let continues = run
                .last()
                .is_some_and(|(p, _)| p.tomorrow().ok() == Some(d));
            if min > 0 && (run.is_empty() || continues) {
                run.push((d, min));
                continue;
            }
            if run.len() >= LEAK_MIN_NIGHTS {
                let mut flows: Vec<i64> = run.iter().map(|(_, m)| *m * 1000 * 24).collect();
                out.push(Alert::PossibleLeak {
                    first: run[0].0,
                    last: run[run.len() - 1].0,
                    usual_ml_per_day: 0,
                    extra_ml_per_day: median(&mut flows).unwrap_or(0),
                    ongoing: run[run.len() - 1].0 >= today.yesterday().unwrap_or(today),
                });
            }
            run.clear();
            if min > 0 {
                run.push((d, min));
            }
        }
        return out;
    }
    let days = water.complete_days(from.checked_sub(28.days()).unwrap_or(from), today);
    let mut i = 28.min(days.len());
    while i < days.len() {
        let mut window: Vec<i64> = days[i.saturating_sub(28)..i]
            .iter()
            .map(|(_, v)| *v)
            .collect();
        let usual = median(&mut window).unwrap_or(0);
        let high = |v: i64| v * 2 >= usual * 3 && v - usual >= 80_000;
        let mut j = i;
        while j < days.len()
            && high(days[j].1)
            && (j == i || days[j - 1].0.tomorrow().ok() == Some(days[j].0))
        {
            j += 1;
        }
        if j - i >= LEAK_MIN_DAYS {
            let mut extra: Vec<i64> = days[i..j].iter().map(|(_, v)| v - usual).collect();
            out.push(Alert::PossibleLeak {
                first: days[i].0,
                last: days[j - 1].0,
                usual_ml_per_day: usual,
                extra_ml_per_day: median(&mut extra).unwrap_or(0),
                ongoing: j == days.len()
                    && days[j - 1].0 >= today.checked_sub(2.days()).unwrap_or(today),
            });
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

/// An unusual standby: the baseload of the last 14 nights up to `today`
/// is 1.5 times the year's usual baseload and at least 50 W above it.
pub fn standby(electricity: &QuantityBook, today: Date) -> Option<Alert> {
    let recent_from = today.checked_sub(14.days()).ok()?;
    let year_from = recent_from.checked_sub(1.year()).ok()?;
    let recent = electricity.baseload(recent_from, today)?;
    let usual = electricity.baseload(year_from, recent_from)?;
    (recent * 2 >= usual * 3 && recent - usual >= 50).then_some(Alert::UnusualStandby {
        recent_w: recent,
        usual_w: usual,
        since: recent_from,
    })
}

/// Midnight of local day `d` (for tests and callers converting dates).
pub fn local_midnight(d: Date) -> Option<ZonedDateTime> {
    day_start(d, &paris())
}

/// The local time of day of an instant (for tariff periods and charts).
pub fn local_time(t: Timestamp) -> Time {
    t.to_zoned_datetime(paris()).time()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// Half-hourly readings of `w` watts over local days `[from, to)`, skipping `skip`.
    fn curve(from: Date, to: Date, w: impl Fn(ZonedDateTime) -> Option<i64>) -> Vec<Reading> {
        let start = local_midnight(from).unwrap().timestamp();
        let end = local_midnight(to).unwrap().timestamp();
        let mut out = Vec::new();
        let mut t = start;
        while t < end {
            let next = t.checked_add(30.minutes()).unwrap();
            let z = t.to_zoned_datetime(paris());
            out.push(Reading {
                start: t,
                end: next,
                value: w(z).map(|w| w * 500), // W over 30 min = W/2 Wh = W*500 mWh
                estimated: false,
            });
            t = next;
        }
        out
    }

    fn book(q: Quantity, readings: Vec<Reading>) -> QuantityBook {
        QuantityBook::build(q, &readings, &Tariffs::defaults())
    }

    #[test]
    fn dst_days_have_23_and_25_hours_of_readings() {
        let b = book(
            Quantity::ElectricEnergy,
            curve(date(2025, 3, 29), date(2025, 11, 1), |_| Some(1000)),
        );
        let days = b.aggregate(date(2025, 3, 29), date(2025, 3, 31), Resolution::Day);
        assert_eq!(days[1].value, Some(23_000_000), "spring day: 23 h at 1 kW");
        assert_eq!(days[1].coverage, 1.0);
        let autumn = b.aggregate(date(2025, 10, 26), date(2025, 10, 27), Resolution::Day);
        assert_eq!(autumn[0].value, Some(25_000_000));
        let halves = b.aggregate(date(2025, 10, 26), date(2025, 10, 27), Resolution::HalfHour);
        assert_eq!(halves.len(), 50);
    }

    #[test]
    fn missing_readings_are_missing_not_zero() {
        let b = book(
            Quantity::ElectricEnergy,
            curve(date(2025, 1, 1), date(2025, 1, 4), |z| {
                (z.date() != date(2025, 1, 2) || z.hour() >= 12).then_some(400)
            }),
        );
        let days = b.aggregate(date(2025, 1, 1), date(2025, 1, 6), Resolution::Day);
        assert_eq!(days[0].value, Some(9_600_000));
        assert_eq!(days[1].value, Some(4_800_000));
        assert_eq!(days[1].coverage, 0.5);
        assert_eq!(days[3].value, None, "after the last reading");
        let (missing, partial) = b.gaps(date(2025, 1, 1), date(2025, 1, 5));
        assert_eq!(partial, vec![date(2025, 1, 2)]);
        assert_eq!(missing, vec![date(2025, 1, 4)]);
    }

    #[test]
    fn months_and_years_sum_days_and_cost_follows_the_tariff_in_force() {
        let b = book(
            Quantity::ElectricEnergy,
            curve(date(2025, 7, 1), date(2025, 9, 1), |_| Some(1000)),
        );
        let months = b.aggregate(date(2025, 7, 1), date(2025, 9, 1), Resolution::Month);
        assert_eq!(months.len(), 2);
        assert_eq!(months[0].value, Some(31 * 24 * 1_000_000));
        // July: 744 kWh at 0.2016 + 31 days of 164.64 €/year; August at 0.1952 + 185.64 €/year.
        let july = tariff::pico_to_euros(months[0].cost.unwrap());
        let expected = 744.0 * 0.2016 + 164.64 * 31.0 * 86400.0 / (365.25 * 86400.0);
        assert!((july - expected).abs() < 0.01, "{july} vs {expected}");
        let aug = tariff::pico_to_euros(months[1].cost.unwrap());
        let expected = 744.0 * 0.1952 + 185.64 * 31.0 / 365.25;
        assert!((aug - expected).abs() < 0.01, "{aug} vs {expected}");
        let year = b.aggregate(date(2025, 1, 1), date(2026, 1, 1), Resolution::Year);
        assert_eq!(year[0].value, Some(62 * 24 * 1_000_000));
        assert!(year[0].coverage < 0.2);
    }

    #[test]
    fn baseload_is_the_median_night_minimum_and_peak_the_highest_interval() {
        let b = book(
            Quantity::ElectricEnergy,
            curve(date(2025, 1, 1), date(2025, 1, 11), |z| {
                Some(if z.hour() == 3 {
                    180
                } else if z.hour() == 19 {
                    4200
                } else {
                    600
                })
            }),
        );
        assert_eq!(b.baseload(date(2025, 1, 1), date(2025, 1, 11)), Some(180));
        let (w, at) = b.peak(date(2025, 1, 1), date(2025, 1, 11)).unwrap();
        assert_eq!(w, 4200);
        assert!(at.hour() == 19 || at.hour() == 20);
    }

    #[test]
    fn a_run_of_days_with_continuous_extra_water_is_a_possible_leak() {
        let mut readings = Vec::new();
        let mut d = date(2025, 1, 1);
        while d < date(2025, 4, 1) {
            let extra = if d >= date(2025, 3, 1) && d < date(2025, 3, 11) {
                300_000
            } else {
                0
            };
            let weekend = if d.weekday().to_monday_zero_offset() >= 5 {
                60_000
            } else {
                0
            };
            let start = local_midnight(d).unwrap().timestamp();
            let end = local_midnight(d.tomorrow().unwrap()).unwrap().timestamp();
            readings.push(Reading {
                start,
                end,
                value: Some(300_000 + weekend + extra),
                estimated: false,
            });
            d = d.tomorrow().unwrap();
        }
        let b = book(Quantity::WaterVolume, readings);
        let alerts = leaks(&b, date(2025, 4, 1));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let Alert::PossibleLeak {
            first,
            last,
            extra_ml_per_day,
            ongoing,
            ..
        } = alerts[0]
        else {
            panic!()
        };
        assert_eq!((first, last), (date(2025, 3, 1), date(2025, 3, 10)));
        assert!((280_000..=320_000).contains(&extra_ml_per_day));
        assert!(!ongoing);
        // Water is priced progressively: January's first 12 m³ are free.
        let jan = b.aggregate(date(2025, 1, 1), date(2025, 2, 1), Resolution::Month);
        assert!(jan[0].value.unwrap() < 12_000_000 || jan[0].cost.is_some());
    }

    #[test]
    fn with_hourly_water_readings_a_leak_is_water_flowing_every_night() {
        // 10 L an hour by day; at night nothing, except 6 litres an hour from 5 to 9 March.
        let mut readings = Vec::new();
        let mut t = local_midnight(date(2025, 3, 1)).unwrap().timestamp();
        let end = local_midnight(date(2025, 3, 15)).unwrap().timestamp();
        while t < end {
            let next = t.checked_add(1.hour()).unwrap();
            let z = t.to_zoned_datetime(paris());
            let leak = z.date() >= date(2025, 3, 5) && z.date() <= date(2025, 3, 9);
            let litres = if z.hour() < 6 {
                if leak { 6 } else { 0 }
            } else {
                10
            };
            readings.push(Reading {
                start: t,
                end: next,
                value: Some(litres * 1000),
                estimated: false,
            });
            t = next;
        }
        let b = book(Quantity::WaterVolume, readings);
        let alerts = leaks(&b, date(2025, 3, 15));
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let Alert::PossibleLeak { first, last, .. } = alerts[0] else {
            panic!()
        };
        assert_eq!((first, last), (date(2025, 3, 5), date(2025, 3, 9)));
    }

    #[test]
    fn a_rise_in_standby_power_is_noticed() {
        let b = book(
            Quantity::ElectricEnergy,
            curve(date(2024, 6, 1), date(2025, 7, 1), |z| {
                let night = if z.date() >= date(2025, 6, 20) {
                    320
                } else {
                    150
                };
                Some(if z.hour() < 6 { night } else { 700 })
            }),
        );
        let alert = standby(&b, date(2025, 7, 1)).unwrap();
        assert_eq!(
            alert,
            Alert::UnusualStandby {
                recent_w: 320,
                usual_w: 150,
                since: date(2025, 6, 17)
            }
        );
        assert!(standby(&b, date(2025, 6, 1)).is_none());
    }
}

//! Tariffs as dated periods, and the cost of each reading.
//!
//! The resident's tariffs are one CSV resource in their pod
//! (`selfdata/energy/tariffs.csv`), in the same shape as the reference file
//! `tariffs-fr.csv`: `fluid,valid_from,component,value,unit,notes`. A row
//! changes one component from its date on; the others carry over from earlier
//! rows, so a price change is one line. Components:
//! - electricity: `option` (`base` or `peak_offpeak`), `base_price`,
//!   `peak_price`, `offpeak_price` (EUR/kWh), `offpeak_hours` (`22:00-06:00`,
//!   several ranges separated by spaces), `subscription` (EUR/year);
//! - gas: `price` (EUR/kWh), `subscription`;
//! - water: `price` (EUR/m3), `subscription`, `free_m3_per_year`,
//!   `double_above_m3_per_year` (progressive pricing, counted per calendar year).
//!
//! Money is exact: prices are integer micro-euros, costs integer
//! pico-euros (mWh × µ€/kWh and mL × µ€/m³ are both exactly pico-euros), rounded
//! to cents only when shown. Readings before the first period use the first
//! period's prices.

use jiff::civil::{Date, Time};

use crate::model::Fluid;

/// The default tariffs (EDF Tarif Bleu, Lyon water), from the reference file.
pub const DEFAULTS: &str = include_str!("../data/tariffs.csv");

/// Pico-euros in a micro-euro.
const PICO_PER_MICRO: i64 = 1_000_000;

/// Electricity pricing option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ElecOption {
    #[default]
    Base,
    PeakOffPeak,
}

/// Every component in force from `valid_from` on, for one fluid.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Period {
    pub valid_from: Option<Date>,
    pub option: ElecOption,
    /// µ€ per kWh (electricity base, gas) or per m³ (water).
    pub price: i64,
    pub peak_price: i64,
    pub offpeak_price: i64,
    /// Local time ranges of off-peak hours.
    pub offpeak: Vec<(Time, Time)>,
    /// µ€ per year.
    pub subscription: i64,
    pub free_m3_per_year: i64,
    pub double_above_m3_per_year: Option<i64>,
}

impl Period {
    pub fn is_offpeak(&self, t: Time) -> bool {
        self.offpeak.iter().any(|&(a, b)| {
            if a <= b {
                t >= a && t < b
            } else {
                t >= a || t < b
            }
        })
    }

    /// The energy price (µ€ per kWh or m³) of an interval starting at local time `t`.
    pub fn unit_price(&self, t: Time) -> i64 {
        match self.option {
            ElecOption::Base => self.price,
            ElecOption::PeakOffPeak if self.is_offpeak(t) => self.offpeak_price,
            ElecOption::PeakOffPeak => self.peak_price,
        }
    }
}

/// One row of the tariff file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub fluid: Fluid,
    pub valid_from: Date,
    pub component: String,
    pub value: String,
    pub unit: String,
    pub notes: String,
}

/// A resident's tariffs: every row, and the periods they make per fluid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tariffs {
    pub rows: Vec<Row>,
    periods: Vec<(Fluid, Vec<Period>)>,
}

/// Why a tariff file is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tariffs, line {line}: {message}")]
pub struct TariffError {
    pub line: usize,
    pub message: String,
}

fn euros_to_micro(s: &str) -> Option<i64> {
    let s = s.trim().replace(',', ".");
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r.to_owned()),
        None => (false, s),
    };
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    if int.is_empty() && frac.is_empty() || frac.len() > 6 {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()? * 10i64.pow(6 - frac.len() as u32)
    };
    let v = int.checked_mul(1_000_000)?.checked_add(frac)?;
    Some(if neg { -v } else { v })
}

fn parse_hours(s: &str) -> Option<Vec<(Time, Time)>> {
    s.split_whitespace()
        .map(|range| {
            let (a, b) = range.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .collect()
}

impl Tariffs {
    pub fn defaults() -> Tariffs {
        Tariffs::parse(DEFAULTS.as_bytes()).unwrap_or_else(|_| Tariffs {
            rows: Vec::new(),
            periods: Vec::new(),
        })
    }

    /// Parses a tariff file; `water_lyon` in the reference file means water.
    pub fn parse(bytes: &[u8]) -> Result<Tariffs, TariffError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(bytes);
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let err = |message: String| TariffError { line, message };
            let record = record.map_err(|e| err(e.to_string()))?;
            let field = |n: usize| record.get(n).unwrap_or("").to_owned();
            let fluid_name = field(0);
            let fluid = Fluid::parse(fluid_name.split('_').next().unwrap_or(""))
                .ok_or_else(|| {
                    err(format!(
                        "expected electricity, gas or water in the first column, found {fluid_name:?}"
                    ))
                })?;
            let valid_from: Date = field(1).parse().map_err(|_| {
                err(format!(
                    "expected a date like 2025-02-01, found {:?}",
                    field(1)
                ))
            })?;
            let row = Row {
                fluid,
                valid_from,
                component: field(2),
                value: field(3),
                unit: field(4),
                notes: field(5),
            };
            check(&row).map_err(err)?;
            rows.push(row);
        }
        Ok(Tariffs::from_rows(rows))
    }

    pub fn from_rows(mut rows: Vec<Row>) -> Tariffs {
        rows.sort_by_key(|r| (r.fluid, r.valid_from));
        let mut periods = Vec::new();
        for fluid in Fluid::ALL {
            let mut list: Vec<Period> = Vec::new();
            let mut current = Period::default();
            for row in rows.iter().filter(|r| r.fluid == fluid) {
                if current.valid_from != Some(row.valid_from) {
                    if current.valid_from.is_some() {
                        list.push(current.clone());
                    }
                    current.valid_from = Some(row.valid_from);
                }
                apply(&mut current, row);
            }
            if current.valid_from.is_some() {
                list.push(current);
            }
            periods.push((fluid, list));
        }
        Tariffs { rows, periods }
    }

    /// The file form of these tariffs.
    pub fn to_csv(&self) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let _ = w.write_record(["fluid", "valid_from", "component", "value", "unit", "notes"]);
        for r in &self.rows {
            let _ = w.write_record([
                r.fluid.as_str(),
                &r.valid_from.to_string(),
                &r.component,
                &r.value,
                &r.unit,
                &r.notes,
            ]);
        }
        w.into_inner().unwrap_or_default()
    }

    /// The periods of one fluid, oldest first.
    pub fn periods(&self, fluid: Fluid) -> &[Period] {
        self.periods
            .iter()
            .find(|(f, _)| *f == fluid)
            .map(|(_, p)| &p[..])
            .unwrap_or(&[])
    }

    /// The period in force on `day` (the first one for earlier days).
    pub fn at(&self, fluid: Fluid, day: Date) -> Option<&Period> {
        let periods = self.periods(fluid);
        periods
            .iter()
            .rev()
            .find(|p| p.valid_from.is_some_and(|d| d <= day))
            .or(periods.first())
    }
}

fn check(row: &Row) -> Result<(), String> {
    let v = row.value.as_str();
    let ok = match row.component.as_str() {
        "option" => matches!(v, "base" | "peak_offpeak"),
        "offpeak_hours" => parse_hours(v).is_some_and(|h| !h.is_empty()),
        "base_price"
        | "peak_price"
        | "offpeak_price"
        | "price"
        | "subscription"
        | "free_m3_per_year"
        | "double_above_m3_per_year" => euros_to_micro(v).is_some_and(|x| x >= 0),
        // The reference file's descriptive row: its figures are spelled out
        // in the components above.
        "progressive" => true,
        other => return Err(format!("unknown component {other:?}")),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{:?} is not a valid value for {}",
            v, row.component
        ))
    }
}

fn apply(p: &mut Period, row: &Row) {
    let money = || euros_to_micro(&row.value).unwrap_or(0);
    match row.component.as_str() {
        "option" => {
            p.option = if row.value == "peak_offpeak" {
                ElecOption::PeakOffPeak
            } else {
                ElecOption::Base
            }
        }
        "base_price" | "price" => p.price = money(),
        "peak_price" => p.peak_price = money(),
        "offpeak_price" => p.offpeak_price = money(),
        "offpeak_hours" => p.offpeak = parse_hours(&row.value).unwrap_or_default(),
        "subscription" => p.subscription = money(),
        "free_m3_per_year" => p.free_m3_per_year = money() / 1_000_000,
        "double_above_m3_per_year" => p.double_above_m3_per_year = Some(money() / 1_000_000),
        _ => {}
    }
}

/// Cost of `amount` (mWh, or mL for water) at `unit_price` µ€ per kWh or m³, in pico-euros.
pub fn energy_cost(amount: i64, unit_price: i64) -> i64 {
    amount.saturating_mul(unit_price)
}

/// The subscription's share for `seconds` of a year, in pico-euros.
pub fn fixed_cost(subscription_micro_per_year: i64, seconds: i64) -> i64 {
    let year = 365 * 86_400 + 86_400 / 4;
    (subscription_micro_per_year as i128 * PICO_PER_MICRO as i128 * seconds as i128 / year as i128)
        as i64
}

/// The water price multiplier for the litres beyond `before` (mL used earlier
/// this year) up to `before + amount`: returns the cost of `amount` mL in
/// pico-euros under progressive pricing.
pub fn water_cost(p: &Period, before_ml: i64, amount_ml: i64) -> i64 {
    let free = p.free_m3_per_year * 1_000_000;
    let double = p.double_above_m3_per_year.map(|m| m * 1_000_000);
    let start = before_ml;
    let end = before_ml + amount_ml.max(0);
    let overlap = |a: i64, b: i64| (end.min(b) - start.max(a)).max(0);
    let normal_end = double.unwrap_or(i64::MAX);
    let normal = overlap(free, normal_end);
    let doubled = double.map(|d| overlap(d, i64::MAX)).unwrap_or(0);
    energy_cost(normal, p.price) + energy_cost(doubled, p.price.saturating_mul(2))
}

/// Pico-euros as cents, rounded half away from zero.
pub fn pico_to_cents(pico: i64) -> i64 {
    let half = if pico >= 0 {
        5_000_000_000
    } else {
        -5_000_000_000
    };
    ((pico as i128 + half) / 10_000_000_000) as i64
}

/// Pico-euros as euros rounded to the cent (for display).
pub fn pico_to_euros(pico: i64) -> f64 {
    pico_to_cents(pico) as f64 / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn defaults_carry_components_forward_by_date() {
        let t = Tariffs::defaults();
        let e = t.at(Fluid::Electricity, date(2026, 3, 1)).unwrap();
        assert_eq!(e.price, 194_000);
        assert_eq!(e.subscription, 185_640_000, "carried from 2025-08-01");
        let early = t.at(Fluid::Electricity, date(2024, 1, 1)).unwrap();
        assert_eq!(early.price, 201_600, "earliest period applies before it");
        let w = t.at(Fluid::Water, date(2025, 6, 1)).unwrap();
        assert_eq!((w.price, w.free_m3_per_year), (3_080_000, 12));
        assert_eq!(w.double_above_m3_per_year, Some(180));
    }

    #[test]
    fn costs_are_exact_and_round_to_cents_only_when_shown() {
        // 1 kWh at 0.2016 €/kWh
        assert_eq!(energy_cost(1_000_000, 201_600), 201_600_000_000);
        assert_eq!(pico_to_euros(201_600_000_000), 0.2);
        assert_eq!(pico_to_euros(205_000_000_000), 0.21);
    }

    #[test]
    fn progressive_water_pricing_splits_one_interval_across_tiers() {
        let t = Tariffs::defaults();
        let p = t.at(Fluid::Water, date(2025, 6, 1)).unwrap();
        // 10 m³ already used, 4 m³ now: 2 free, 2 at 3.08 €.
        assert_eq!(pico_to_euros(water_cost(p, 10_000_000, 4_000_000)), 6.16);
        // 179 m³ used, 2 m³ now: 1 at 3.08, 1 at 6.16.
        assert_eq!(pico_to_euros(water_cost(p, 179_000_000, 2_000_000)), 9.24);
    }

    #[test]
    fn peak_offpeak_hours_wrap_midnight() {
        let t = Tariffs::parse(
            b"fluid,valid_from,component,value,unit,notes\n\
              electricity,2025-01-01,option,peak_offpeak,,\n\
              electricity,2025-01-01,peak_price,0.25,EUR/kWh,\n\
              electricity,2025-01-01,offpeak_price,0.15,EUR/kWh,\n\
              electricity,2025-01-01,offpeak_hours,22:00-06:00 12:00-14:00,,\n",
        )
        .unwrap();
        let p = t.at(Fluid::Electricity, date(2025, 3, 1)).unwrap();
        assert_eq!(p.unit_price("23:30".parse().unwrap()), 150_000);
        assert_eq!(p.unit_price("05:59".parse().unwrap()), 150_000);
        assert_eq!(p.unit_price("06:00".parse().unwrap()), 250_000);
        assert_eq!(p.unit_price("12:30".parse().unwrap()), 150_000);
    }

    #[test]
    fn a_bad_row_is_refused_with_its_line() {
        let e = Tariffs::parse(
            b"fluid,valid_from,component,value,unit,notes\nwater,2025-01-01,price,abc,,\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("price"));
    }
}

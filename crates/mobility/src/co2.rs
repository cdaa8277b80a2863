//! CO2 of trips in grams of CO2e, from the ADEME Base Carbone factors kept
//! in `data/emission-factors.csv` (a copy of the project's reference table,
//! compiled in): per vehicle-km factors (cars) are divided by the car's
//! occupancy, which only the resident knows (sensors cannot tell a shared
//! car from a solo one, so the default is 1); per passenger-km factors are
//! taken as they are. Factors are held in exact milligrams per km; totals
//! by mode and month (Europe/Paris months) are summed in milligrams and
//! rounded to grams once. [`what_if`]: what short car trips would save if
//! made by bike.

use std::collections::BTreeMap;

use jiff::{Timestamp, tz::TimeZone};

use crate::model::{Mode, Trip};

/// The compiled-in factor table.
pub const BUILTIN_CSV: &str = include_str!("../data/emission-factors.csv");

/// Train trips from this distance (metres) use the high-speed train's factor.
pub const LONG_TRAIN_M: u32 = 200_000;
/// Plane trips up to this distance (metres) are short-haul.
pub const PLANE_SHORT_MAX_M: u32 = 1_000_000;
/// Plane trips up to this distance (metres) are medium-haul, beyond long-haul.
pub const PLANE_MEDIUM_MAX_M: u32 = 2_000_000;
/// The car trips [`what_if`] looks at: shorter than each of these (metres).
pub const WHAT_IF_LIMITS_M: [u32; 2] = [3_000, 5_000];

/// What a factor is counted per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Per {
    /// The whole vehicle: divided by its occupants.
    VehicleKm,
    /// Each passenger.
    PassengerKm,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    /// `car_thermal`, `tram`, `plane_short`…
    pub key: String,
    /// Milligrams of CO2e per km (the file's grams, exact to 3 decimals).
    pub mg_per_km: u64,
    pub per: Per,
    pub notes: String,
}

/// A table that could not be read, with its line.
#[derive(Debug, thiserror::Error)]
pub enum Co2Error {
    #[error("emission factors, line {line}: {reason}")]
    Line { line: usize, reason: String },
}

/// The emission factors, by key.
#[derive(Debug, Clone, Default)]
pub struct Factors {
    rows: Vec<Factor>,
}

/// Grams with up to three decimals (`"76.3"`) as exact milligrams.
fn milligrams(s: &str) -> Option<u64> {
    let (int, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
    if int.is_empty() || int.len() > 9 || frac.len() > 3 {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int: u64 = int.parse().ok()?;
    let mut f: u64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    for _ in frac.len()..3 {
        f *= 10;
    }
    Some(int * 1000 + f)
}

impl Factors {
    /// Reads a table shaped like `data/emission-factors.csv`
    /// (`mode,g_co2e_per_km,per,notes`; notes may be empty).
    pub fn parse(text: &str) -> Result<Factors, Co2Error> {
        let mut rows = Vec::new();
        let mut lines = text.lines().enumerate();
        let bad = |line: usize, reason: &str| Co2Error::Line {
            line: line + 1,
            reason: reason.to_owned(),
        };
        match lines.next() {
            Some((_, h)) if h.trim().starts_with("mode,g_co2e_per_km,per") => {}
            _ => return Err(bad(0, "the header mode,g_co2e_per_km,per,notes is missing")),
        }
        for (n, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let mut f = line.splitn(4, ',');
            let key = f.next().unwrap_or("").trim();
            if key.is_empty() {
                return Err(bad(n, "no mode"));
            }
            let mg = milligrams(f.next().unwrap_or(""))
                .ok_or_else(|| bad(n, "the factor is not a number of grams"))?;
            let per = match f.next().unwrap_or("").trim() {
                "vehicle-km" => Per::VehicleKm,
                "passenger-km" => Per::PassengerKm,
                _ => return Err(bad(n, "per is neither vehicle-km nor passenger-km")),
            };
            rows.push(Factor {
                key: key.to_owned(),
                mg_per_km: mg,
                per,
                notes: f.next().unwrap_or("").trim().to_owned(),
            });
        }
        Ok(Factors { rows })
    }

    /// The compiled-in table (`tests/co2.rs` checks it reads).
    pub fn builtin() -> Factors {
        Factors::parse(BUILTIN_CSV).unwrap_or_default()
    }

    /// The row named `key`.
    pub fn get(&self, key: &str) -> Option<&Factor> {
        self.rows.iter().find(|r| r.key == key)
    }

    /// Every row, in the file's order.
    pub fn rows(&self) -> &[Factor] {
        &self.rows
    }

    /// The row a trip is priced with, `None` without a mode or for
    /// [`Mode::Other`].
    pub fn for_trip(&self, trip: &Trip, settings: &Settings) -> Option<&Factor> {
        self.get(row_key(trip.mode?, trip.distance_m, settings)?)
    }
}

/// The resident's choices: which car and bus they take, how many sit in the car.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `car_thermal` (default) or `car_electric`, or any vehicle-km row.
    pub car_row: String,
    /// `bus_diesel` (default), `bus_gnv`, `bus_electric`, `coach`.
    pub bus_row: String,
    /// People in the car, the driver included; 0 is read as 1.
    pub occupancy: u8,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            car_row: "car_thermal".to_owned(),
            bus_row: "bus_diesel".to_owned(),
            occupancy: 1,
        }
    }
}

/// The factor row for a mode over a distance.
pub fn row_key(mode: Mode, distance_m: u32, settings: &Settings) -> Option<&str> {
    Some(match mode {
        Mode::Walk => "walk",
        Mode::Bike => "bike",
        Mode::Car => &settings.car_row,
        Mode::Bus => &settings.bus_row,
        Mode::Tram => "tram",
        Mode::Metro => "metro",
        Mode::Train if distance_m >= LONG_TRAIN_M => "tgv",
        Mode::Train => "ter",
        Mode::Plane if distance_m <= PLANE_SHORT_MAX_M => "plane_short",
        Mode::Plane if distance_m <= PLANE_MEDIUM_MAX_M => "plane_medium",
        Mode::Plane => "plane_long",
        Mode::Other => return None,
    })
}

/// Milligrams of CO2e for `distance_m` by `factor`, a vehicle-km factor
/// shared by `occupancy` (0 read as 1), rounded half up.
pub fn co2_mg_over(distance_m: u32, factor: &Factor, occupancy: u8) -> u64 {
    let share = match factor.per {
        Per::VehicleKm => u128::from(occupancy.max(1)),
        Per::PassengerKm => 1,
    };
    let num = u128::from(factor.mg_per_km) * u128::from(distance_m);
    let den = 1000 * share;
    u64::try_from((num + den / 2) / den).unwrap_or(u64::MAX)
}

/// Milligrams of CO2e of one trip.
pub fn co2_mg(trip: &Trip, factor: &Factor, occupancy: u8) -> u64 {
    co2_mg_over(trip.distance_m, factor, occupancy)
}

/// Grams of CO2e of one trip, rounded half up.
pub fn co2_g(trip: &Trip, factor: &Factor, occupancy: u8) -> u64 {
    grams(co2_mg(trip, factor, occupancy))
}

/// Milligrams to grams, rounded half up.
pub fn grams(mg: u64) -> u64 {
    mg / 1000 + u64::from(mg % 1000 >= 500)
}

/// A calendar month in Europe/Paris: `(year, month 1–12)`.
pub type Month = (i16, i8);

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC)
}

/// The Europe/Paris month of a UTC second; `None` outside the calendar jiff knows.
pub fn month_of(t: i64, tz: &TimeZone) -> Option<Month> {
    let d = tz.to_datetime(Timestamp::from_second(t).ok()?).date();
    Some((d.year(), d.month()))
}

/// Trips, metres and milligrams added up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub trips: u32,
    pub distance_m: u64,
    pub co2_mg: u64,
}

impl Cell {
    fn add(&mut self, distance_m: u32, co2_mg: u64) {
        self.trips = self.trips.saturating_add(1);
        self.distance_m = self.distance_m.saturating_add(u64::from(distance_m));
        self.co2_mg = self.co2_mg.saturating_add(co2_mg);
    }

    /// The cell's grams, rounded once.
    pub fn co2_g(&self) -> u64 {
        grams(self.co2_mg)
    }
}

/// Totals by month (Europe/Paris, of each trip's start) and mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub by_month: BTreeMap<Month, BTreeMap<Mode, Cell>>,
    /// Trips left out: no mode, no factor for it, or a date out of range.
    pub unpriced: u32,
}

impl Totals {
    /// One month's cells summed over its modes.
    pub fn month(&self, m: Month) -> Cell {
        let mut c = Cell::default();
        for cell in self.by_month.get(&m).into_iter().flat_map(|x| x.values()) {
            c.trips = c.trips.saturating_add(cell.trips);
            c.distance_m = c.distance_m.saturating_add(cell.distance_m);
            c.co2_mg = c.co2_mg.saturating_add(cell.co2_mg);
        }
        c
    }
}

/// CO2 totals of `trips` by month and mode.
pub fn totals(trips: &[Trip], factors: &Factors, settings: &Settings) -> Totals {
    let tz = paris();
    let mut out = Totals::default();
    for trip in trips {
        let (Some(mode), Some(f), Some(month)) = (
            trip.mode,
            factors.for_trip(trip, settings),
            month_of(trip.start, &tz),
        ) else {
            out.unpriced = out.unpriced.saturating_add(1);
            continue;
        };
        out.by_month
            .entry(month)
            .or_default()
            .entry(mode)
            .or_default()
            .add(trip.distance_m, co2_mg(trip, f, settings.occupancy));
    }
    out
}

/// What making the car trips shorter than `limit_m` by bike would save, by month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saving {
    pub limit_m: u32,
    /// The car trips concerned: their count, metres, and milligrams saved.
    pub by_month: BTreeMap<Month, Cell>,
}

/// For each of [`WHAT_IF_LIMITS_M`], the car trips shorter than it made by
/// bike instead: milligrams saved (the car's share minus the bike's) per month.
pub fn what_if(trips: &[Trip], factors: &Factors, settings: &Settings) -> Vec<Saving> {
    let tz = paris();
    let bike = factors.get("bike");
    WHAT_IF_LIMITS_M
        .iter()
        .map(|&limit_m| {
            let mut by_month: BTreeMap<Month, Cell> = BTreeMap::new();
            for trip in trips
                .iter()
                .filter(|t| t.mode == Some(Mode::Car) && t.distance_m < limit_m)
            {
                let (Some(car), Some(month)) =
                    (factors.for_trip(trip, settings), month_of(trip.start, &tz))
                else {
                    continue;
                };
                let by_car = co2_mg(trip, car, settings.occupancy);
                let by_bike = bike.map_or(0, |b| co2_mg(trip, b, 1));
                by_month
                    .entry(month)
                    .or_default()
                    .add(trip.distance_m, by_car.saturating_sub(by_bike));
            }
            Saving { limit_m, by_month }
        })
        .collect()
}

//! A synthetic household's meter files, in the holders' own layouts, so
//! `selfdata demo` can import them through the normal importers: the
//! Enedis customer-portal load curve (one CSV per calendar year, UTF-8 with
//! BOM, CRLF, half-hourly average power in W, a few missing values), the
//! GRDF ADICT daily NDJSON (gas days 06:00 → 06:00, integer m³ and kWh) and
//! the water portal's `historique_jours_litres.csv` (litres, Windows-1252).
//!
//! The household: three people in a house near Paris heated by an air-to-water
//! heat pump, with gas for hot water and the hob. One synthetic outdoor
//! temperature drives the heat pump, the hot water and the garden; the
//! household is away two weeks in August and over Christmas; a ten-day water
//! leak ends six weeks before the end of the period ([`leak_days`]).
//!
//! Everything is drawn from a splitmix64 generator keyed by (seed, stream,
//! day), so a given (end, years, seed) always yields the same bytes, and a
//! day's weather and consumption are the same whatever period it is generated
//! in (only the leak, the gaps, the estimated days and the indexes move with
//! the period).

use encoding_rs::WINDOWS_1252;
use jiff::ToSpan;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, civil};
use selfdata_sources::rng::Rng;
use std::f64::consts::TAU;
use std::fmt::Write as _;

/// One generated file: the name a resident would see, and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The meter files of a synthetic household for the `years` years ending the
/// day before `end` (Paris days `[end − years, end)`): one Enedis load-curve
/// CSV per calendar year (as the portal limits exports), then one GRDF ADICT
/// NDJSON, then the water portal CSV. No files when `years` is 0.
///
/// # Panics
/// When `end − years` leaves the range of [`Date`].
pub fn household(end: Date, years: u32, seed: u64) -> Vec<DemoFile> {
    if years == 0 {
        return Vec::new();
    }
    let tz =
        TimeZone::get("Europe/Paris").expect("the bundled time zone database has Europe/Paris");
    let start = end
        .checked_sub(i64::from(years).years())
        .expect("the demo period starts within the supported dates");
    let home = Home::new(seed);
    let days = build_days(start, end, seed, &tz);
    let mut files = electricity_files(&days, &home, seed, &tz);
    files.push(gas_file(&days, &home, seed, end, &tz));
    files.push(water_file(&days, &home, seed, end));
    files
}

/// The first and last day (inclusive) of the water leak in the period ending
/// the day before `end`: ten days, the last one six weeks before `end`.
pub fn leak_days(end: Date) -> (Date, Date) {
    let last = end
        .checked_sub(42.days())
        .expect("a demo end date well within range");
    let first = last
        .checked_sub(9.days())
        .expect("a demo end date well within range");
    (first, last)
}

// ---------------------------------------------------------------------------
// Randomness

/// Independent streams, so changing one fluid's draws never moves another's.
mod stream {
    pub const HOME: u64 = 1;
    pub const WEATHER: u64 = 2;
    pub const ABSENCE: u64 = 3;
    pub const ELECTRICITY: u64 = 4;
    pub const WATER: u64 = 5;
    pub const GAS: u64 = 6;
    pub const GAS_COEFF: u64 = 7;
    pub const EVENTS: u64 = 8;
}

// ---------------------------------------------------------------------------
// The household and its days

/// What stays the same for the whole period.
struct Home {
    /// Electricity standby (fridge, freezer, router, ventilation), W.
    standby: f64,
    /// Heat loss of the house, W per K.
    heat_loss: f64,
    prm: String,
    pce: String,
    gas_index0: f64,
    water_index0: i64,
}

impl Home {
    fn new(seed: u64) -> Home {
        let mut rng = Rng::keyed(seed, stream::HOME, 0);
        Home {
            standby: rng.range(165.0, 205.0),
            heat_loss: rng.range(200.0, 230.0),
            prm: format!("{:014}", 1_000_000_000_000 + rng.below(98_999_999_999_999)),
            pce: format!("{:014}", 1_000_000_000_000 + rng.below(98_999_999_999_999)),
            gas_index0: rng.range(2_000.0, 9_000.0).floor(),
            water_index0: 800_000 + rng.below(1_500_000) as i64,
        }
    }
}

struct Day {
    date: Date,
    /// Days since 1970-01-01, the key of the day's random draws.
    ord: i64,
    /// 0 = Monday … 6 = Sunday.
    weekday: i8,
    /// Day of year, 1-based.
    doy: f64,
    /// Paris timestamps (s) of this local midnight and the next.
    t0: i64,
    t1: i64,
    /// Offset from UTC at noon, in hours.
    noon_offset_h: f64,
    /// Daily mean outdoor temperature, °C.
    temp: f64,
    /// Nobody home all day.
    away: bool,
    /// Water drawn by the household, litres (without the leak).
    water: f64,
}

impl Day {
    fn weekend(&self) -> bool {
        self.weekday >= 5
    }

    /// 1 in late January, 0 in late July.
    fn winterness(&self) -> f64 {
        (1.0 + (TAU * (self.doy - 20.0) / 365.25).cos()) / 2.0
    }
}

fn build_days(start: Date, end: Date, seed: u64, tz: &TimeZone) -> Vec<Day> {
    let midnight = |d: Date| {
        tz.to_timestamp(d.to_datetime(Time::midnight()))
            .expect("Paris midnight exists")
            .as_second()
    };
    let ord0 = ordinal(start);
    let n = (ordinal(end) - ord0).max(0) as usize;
    // Weather anomaly: white noise keyed by day, smoothed over a week
    // (spells of mild and cold weather), about ±2.8 °C.
    const MEMORY: usize = 8;
    let noise: Vec<f64> = (0..n + MEMORY)
        .map(|i| Rng::keyed(seed, stream::WEATHER, ord0 - MEMORY as i64 + i as i64).normal())
        .collect();
    let (leak_first, leak_last) = leak_days(end);
    let mut days = Vec::with_capacity(n);
    let mut date = start;
    let mut t0 = midnight(start);
    for i in 0..n {
        let next = date.tomorrow().expect("a date within range");
        let t1 = midnight(next);
        let ord = ord0 + i as i64;
        let doy = f64::from(date.day_of_year());
        let anomaly: f64 = (0..MEMORY)
            .map(|k| 0.75f64.powi(k as i32) * noise[i + MEMORY - k])
            .sum::<f64>()
            * 1.85;
        let temp = 12.8 - 8.0 * (TAU * (doy - 18.0) / 365.25).cos() + anomaly;
        let near_leak = date >= leak_first.saturating_sub(2.days())
            && date <= leak_last.saturating_add(2.days());
        let away = !near_leak && is_away(date, seed);
        let weekday = date.weekday().to_monday_zero_offset();
        let noon = Timestamp::from_second(t0 + 12 * 3600).expect("a timestamp within range");
        let mut day = Day {
            date,
            ord,
            weekday,
            doy,
            t0,
            t1,
            noon_offset_h: f64::from(tz.to_offset(noon).seconds()) / 3600.0,
            temp,
            away,
            water: 0.0,
        };
        day.water = water_drawn(&day, seed);
        days.push(day);
        date = next;
        t0 = t1;
    }
    days
}

/// Away two weeks from the first Saturday of August, and 24–26 December.
fn is_away(date: Date, seed: u64) -> bool {
    match date.month() {
        8 => {
            let aug1 = civil::date(date.year(), 8, 1);
            // Leave on the first or second Saturday, year by year.
            let extra = Rng::keyed(seed, stream::ABSENCE, i64::from(date.year())).below(2) as i8;
            let first_sat =
                1 + (5 - aug1.weekday().to_monday_zero_offset()).rem_euclid(7) + 7 * extra;
            (first_sat..first_sat + 14).contains(&date.day())
        }
        12 => (24..=26).contains(&date.day()),
        _ => false,
    }
}

/// Water drawn by three people on a day, litres: showers, toilets, laundry
/// on Saturdays, the garden on warm days.
fn water_drawn(day: &Day, seed: u64) -> f64 {
    let mut rng = Rng::keyed(seed, stream::WATER, day.ord);
    if day.away {
        return 0.0;
    }
    const WEEKLY: [f64; 7] = [0.92, 0.95, 0.98, 0.94, 0.97, 1.20, 1.08];
    let mut litres = 300.0 * WEEKLY[day.weekday as usize] * (1.0 + 0.05 * (day.temp - 12.0) / 8.0);
    litres *= 1.0 + 0.08 * rng.normal();
    if day.temp > 19.0 && (day.weekend() || rng.chance(0.25)) {
        litres += rng.range(40.0, 110.0);
    }
    litres.clamp(170.0, 560.0)
}

// ---------------------------------------------------------------------------
// Electricity: Enedis customer portal load curve

/// A load of `watts` between two local clock hours.
struct Load {
    from: f64,
    to: f64,
    watts: f64,
}

/// The day's schedule of loads above standby and heating, in local hours.
fn schedule(day: &Day, rng: &mut Rng) -> Vec<Load> {
    let mut loads = Vec::with_capacity(16);
    let mut add = |from: f64, to: f64, watts: f64| {
        if to > from {
            loads.push(Load {
                from,
                to,
                watts: watts.max(0.0),
            })
        }
    };
    let (wake, bed);
    if day.weekend() {
        wake = rng.range(7.75, 9.5);
        bed = rng.range(23.0, 23.9);
        add(wake, wake + 1.5, 420.0 * (1.0 + 0.2 * rng.normal()));
        add(wake, bed, 190.0 * (1.0 + 0.2 * rng.normal()));
        // Cooking at noon: oven and hob, a bigger meal on Sunday.
        let noon = rng.range(11.25, 12.25);
        let meal = if day.weekday == 6 { 1700.0 } else { 1250.0 };
        add(noon, noon + 1.5, meal * (1.0 + 0.2 * rng.normal()));
        // Laundry: the washing machine heats its water, then spins.
        if rng.chance(if day.weekday == 5 { 0.85 } else { 0.3 }) {
            let s = rng.range(9.5, 11.0);
            add(s, s + 0.5, 1900.0);
            add(s + 0.5, s + 1.5, 220.0);
        }
        let dinner = rng.range(19.0, 19.75);
        add(dinner, dinner + 1.0, 650.0 * (1.0 + 0.25 * rng.normal()));
        add(dinner + 1.0, bed, 330.0 * (1.0 + 0.2 * rng.normal()));
    } else {
        wake = rng.range(6.2, 6.8);
        bed = rng.range(22.6, 23.5);
        let leave = rng.range(7.9, 8.4);
        add(wake, wake + 1.3, 520.0 * (1.0 + 0.2 * rng.normal()));
        add(wake, leave, 120.0);
        if rng.chance(0.25) {
            // Working from home: a computer all day, lunch in the microwave.
            add(9.0, 17.5, 110.0);
            add(12.25, 12.75, 950.0);
        }
        let back = rng.range(17.0, 18.5);
        let dinner = rng.range(19.0, 19.6);
        add(back, dinner, 230.0 * (1.0 + 0.2 * rng.normal()));
        let oven = if rng.chance(0.4) { 1250.0 } else { 650.0 };
        add(dinner, dinner + 1.0, oven * (1.0 + 0.25 * rng.normal()));
        add(dinner + 1.0, bed, 320.0 * (1.0 + 0.2 * rng.normal()));
        if rng.chance(0.55) {
            let s = dinner + rng.range(1.5, 2.0);
            add(s, s + 0.75, 1900.0);
            add(s + 0.75, s + 1.75, 140.0);
        }
    }
    // Lighting while awake and dark: longer in winter.
    let day_length = 12.2 - 4.0 * (TAU * (day.doy + 10.0) / 365.25).cos();
    let solar_noon = 11.85 + day.noon_offset_h;
    let sunrise = solar_noon - day_length / 2.0 + 0.5;
    let sunset = solar_noon + day_length / 2.0 - 0.5;
    add(wake, bed.min(sunrise), 140.0);
    add(wake.max(sunset), bed, 190.0);
    loads
}

/// Air-to-water heat pump: electrical power (W) at a local hour.
fn heat_pump(day: &Day, home: &Home, hour: f64, rng: &mut Rng) -> f64 {
    if day.temp >= 15.5 {
        return 0.0;
    }
    let outdoor = day.temp + 3.5 * (TAU * (hour - 15.0) / 24.0).cos();
    let base = if day.away {
        11.0
    } else if (6.0..22.5).contains(&hour) {
        17.5
    } else {
        15.5
    };
    let demand = home.heat_loss * (base - outdoor).max(0.0);
    let cop = (2.5 + 0.075 * outdoor).clamp(1.8, 4.2);
    let boost = if !day.away && (5.5..7.5).contains(&hour) {
        1.25
    } else {
        1.0
    };
    (demand / cop * boost * (1.0 + 0.1 * rng.normal())).clamp(0.0, 3500.0)
}

struct Row {
    /// End of the interval, Unix seconds.
    end: i64,
    /// UTC offset at the end, seconds.
    offset: i32,
    watts: Option<u32>,
}

fn load_curve(days: &[Day], home: &Home, seed: u64, tz: &TimeZone) -> Vec<Vec<Row>> {
    let offset_at = |t: i64| {
        tz.to_offset(Timestamp::from_second(t).expect("a timestamp within range"))
            .seconds()
    };
    let mut out = Vec::with_capacity(days.len());
    for day in days {
        let mut rng = Rng::keyed(seed, stream::ELECTRICITY, day.ord);
        let loads = if day.away {
            Vec::new()
        } else {
            schedule(day, &mut rng)
        };
        let mut rows = Vec::with_capacity(50);
        let mut t = day.t0;
        let mut offset = offset_at(t);
        while t < day.t1 {
            let end = t + 1800;
            let end_offset = offset_at(end);
            // Local clock hour of the interval's start (repeats on the autumn day).
            let h0 = ((t + i64::from(offset)).rem_euclid(86_400)) as f64 / 3600.0;
            let h1 = h0 + 0.5;
            let mut w = home.standby + 25.0 * rng.normal();
            for load in &loads {
                let overlap = (h1.min(load.to) - h0.max(load.from)).max(0.0);
                w += load.watts * overlap / 0.5;
            }
            w += heat_pump(day, home, h0 + 0.25, &mut rng);
            rows.push(Row {
                end,
                offset: end_offset,
                watts: Some(w.round().max(60.0) as u32),
            });
            t = end;
            offset = end_offset;
        }
        out.push(rows);
    }
    // Missing readings: a whole day, a three-hour gap, three lone intervals.
    let n = days.len() as u64;
    let mut rng = Rng::keyed(seed, stream::EVENTS, 0);
    let lost_day = (n * 2 / 5 + rng.below(14)) as usize;
    let gap_day = (n * 3 / 4 + rng.below(14)) as usize;
    if let Some(rows) = out.get_mut(lost_day) {
        rows.iter_mut().for_each(|r| r.watts = None);
    }
    if let Some(rows) = out.get_mut(gap_day) {
        // 09:00 → 12:00 local: the intervals ending 09:30 … 12:00.
        rows.iter_mut()
            .skip(18)
            .take(6)
            .for_each(|r| r.watts = None);
    }
    for _ in 0..3 {
        let d = rng.below(n) as usize;
        let i = rng.below(46) as usize;
        out[d][i].watts = None;
    }
    out
}

fn electricity_files(days: &[Day], home: &Home, seed: u64, tz: &TimeZone) -> Vec<DemoFile> {
    let curve = load_curve(days, home, seed, tz);
    let mut files = Vec::new();
    let mut i = 0;
    while i < days.len() {
        let year = days[i].date.year();
        let j = i + days[i..]
            .iter()
            .take_while(|d| d.date.year() == year)
            .count();
        let first = days[i].date;
        let last = days[j - 1].date;
        let after = last.tomorrow().expect("a date within range");
        let mut s = String::with_capacity(200 + (j - i) * 48 * 34);
        s.push('\u{FEFF}');
        s.push_str(
            "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;\
             Grandeur metier;Etape metier;Unite;Pas en minutes\r\n",
        );
        let _ = write!(
            s,
            "{};Courbe de charge;{};{};Energie active;Consommation;Comptage Brut;W;30\r\n",
            home.prm,
            dmy(first),
            dmy(after)
        );
        s.push_str("Horodate;Valeur\r\n");
        for row in curve[i..j].iter().flatten() {
            push_rfc3339(&mut s, row.end, row.offset);
            s.push(';');
            if let Some(w) = row.watts {
                let _ = write!(s, "{w}");
            }
            s.push_str("\r\n");
        }
        files.push(DemoFile {
            name: format!(
                "Enedis_Conso_Heure_{}-{}_{}.csv",
                ymd_compact(first),
                ymd_compact(last),
                home.prm
            ),
            bytes: s.into_bytes(),
        });
        i = j;
    }
    files
}

// ---------------------------------------------------------------------------
// Gas: GRDF ADICT informative daily data

/// Conversion coefficient (kWh per m³) for a month, as GRDF publishes it.
fn gas_coefficient(seed: u64, date: Date) -> f64 {
    let month = i64::from(date.year()) * 12 + i64::from(date.month());
    let mut rng = Rng::keyed(seed, stream::GAS_COEFF, month);
    let c = 11.2 + 0.06 * (TAU * f64::from(date.month()) / 12.0).sin() + rng.range(-0.03, 0.03);
    (c.clamp(11.1, 11.3) * 100.0).round() / 100.0
}

/// Gas burnt on a gas day, kWh: hot water (more in winter: colder mains
/// water, longer showers) and the hob.
fn gas_burnt(day: &Day, seed: u64) -> f64 {
    if day.away {
        return 0.0;
    }
    let mut rng = Rng::keyed(seed, stream::GAS, day.ord);
    let mains = 12.5 - 4.5 * (TAU * (day.doy - 45.0) / 365.25).cos();
    let hot_share = 0.19 + 0.05 * day.winterness();
    let hot_water = day.water * hot_share * 1.163e-3 * (50.0 - mains) / 0.9;
    let cooking = if day.weekend() {
        rng.range(0.9, 1.4)
    } else {
        rng.range(0.4, 0.8)
    };
    ((hot_water + cooking + 0.2) * (1.0 + 0.08 * rng.normal())).max(0.5)
}

fn gas_file(days: &[Day], home: &Home, seed: u64, end: Date, tz: &TimeZone) -> DemoFile {
    let six = |d: Date| {
        let t = tz
            .to_timestamp(d.to_datetime(civil::time(6, 0, 0, 0)))
            .expect("06:00 exists in Paris");
        let offset = tz.to_offset(t).seconds();
        let mut s = String::with_capacity(25);
        push_rfc3339(&mut s, t.as_second(), offset);
        s
    };
    let mut rng = Rng::keyed(seed, stream::EVENTS, 1);
    let n = days.len();
    // Three days the meter did not report: GRDF estimates them, low, and
    // the next measured day catches up.
    let estimated_from = n * 11 / 20 + rng.below(10) as usize;
    let estimated = estimated_from..estimated_from + 3;
    let provisional_from = end.checked_sub(30.days()).expect("a date within range");

    let mut truth = home.gas_index0 + 0.4;
    let mut reported = truth;
    let mut recent = [4.0f64; 7];
    let mut s = String::with_capacity(n * 900);
    let mut start = six(days.first().map_or(end, |d| d.date));
    for (i, day) in days.iter().enumerate() {
        let coeff = gas_coefficient(seed, day.date);
        let kwh = gas_burnt(day, seed);
        truth += kwh / coeff;
        let is_estimate = estimated.contains(&i) && !day.away;
        let before = reported;
        if is_estimate {
            reported += 0.85 * recent.iter().sum::<f64>() / 7.0 / coeff;
        } else {
            reported = reported.max(truth);
        }
        recent[i % 7] = kwh;
        let index_before = before.floor() as i64;
        let index_after = reported.floor() as i64;
        let volume = index_after - index_before;
        let energy = ((reported - before) * coeff).round() as i64;
        let next = day.date.tomorrow().expect("a date within range");
        let finish = six(next);
        let (qualif, statut) = if is_estimate {
            ("Estimé", "Provisoire")
        } else if day.date >= provisional_from {
            ("Mesuré", "Provisoire")
        } else {
            ("Mesuré", "Définitive")
        };
        let _ = write!(
            s,
            concat!(
                r#"{{"pce":{{"id_pce":"{pce}"}},"periode":{{"valeur":null,"date_debut":"{d}","date_fin":"{dn}"}},"#,
                r#""releve_debut":{{"date_releve":null,"index_brut_debut":{{"valeur_index":null,"horodate_Index":null}},"index_converti_debut":{{"valeur_index":null,"horodate_Index":null}}}},"#,
                r#""releve_fin":{{"date_releve":"{fin}","index_brut_fin":{{"valeur_index":{idx},"horodate_Index":"{fin}"}},"index_converti_fin":{{"valeur_index":null,"horodate_Index":null}}}},"#,
                r#""consommation":{{"date_debut_consommation":"{debut}","date_fin_consommation":"{fin}","flag_retour_zero":false,"volume_brut":{vol},"#,
                r#""coeff_calcul":{{"coeff_pta":null,"valeur_pcs":null,"coeff_conversion":{coeff:.2}}},"volume_converti":null,"energie":{energy},"#,
                r#""type_qualif_conso":"{qualif}","sens_flux_gaz":"Consommation","statut_conso":"{statut}","journee_gaziere":"{d}","type_conso":"Informative Journalier"}},"#,
                r#""statut_restitution":null}}"#,
                "\n"
            ),
            pce = home.pce,
            d = day.date,
            dn = next,
            fin = finish,
            idx = index_after,
            debut = start,
            vol = volume,
            coeff = coeff,
            energy = energy,
            qualif = qualif,
            statut = statut,
        );
        start = finish;
    }
    let (first, last) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (f.date, l.date),
        _ => (end, end),
    };
    DemoFile {
        name: format!(
            "donnees_consos_informatives_{}_{}-{}.ndjson",
            home.pce,
            ymd_compact(first),
            ymd_compact(last)
        ),
        bytes: s.into_bytes(),
    }
}

// ---------------------------------------------------------------------------
// Water: the portal's daily history in litres, Windows-1252

fn water_file(days: &[Day], home: &Home, seed: u64, end: Date) -> DemoFile {
    let (leak_first, leak_last) = leak_days(end);
    let mut rng = Rng::keyed(seed, stream::EVENTS, 2);
    let n = days.len();
    // Two days the meter did not report: estimated, then caught up.
    let estimated_from = n * 3 / 10 + rng.below(10) as usize;
    let estimated = estimated_from..estimated_from + 2;

    let mut truth = home.water_index0;
    let mut reported = truth;
    let mut recent = [300i64; 7];
    let mut s = String::with_capacity(60 + n * 40);
    s.push_str("Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\r\n");
    for (i, day) in days.iter().enumerate() {
        let mut litres = day.water;
        if (leak_first..=leak_last).contains(&day.date) {
            // A running toilet: about 12.5 L an hour, day and night.
            litres += Rng::keyed(seed, stream::WATER, -day.ord).range(280.0, 320.0);
        }
        let litres = litres.round() as i64;
        truth += litres;
        let before = reported;
        let is_estimate = estimated.contains(&i) && !day.away;
        if is_estimate {
            reported += recent.iter().sum::<i64>() * 9 / 70;
        } else {
            reported = reported.max(truth);
        }
        recent[i % 7] = litres;
        let _ = write!(
            s,
            "{} 12:00;{};{};{}\r\n",
            dmy(day.date),
            reported,
            reported - before,
            if is_estimate { "Estimé" } else { "Mesuré" }
        );
    }
    let (bytes, _, unmappable) = WINDOWS_1252.encode(&s);
    debug_assert!(!unmappable);
    DemoFile {
        name: "historique_jours_litres.csv".into(),
        bytes: bytes.into_owned(),
    }
}

// ---------------------------------------------------------------------------
// Dates

/// Days since 1970-01-01 (proleptic Gregorian).
fn ordinal(date: Date) -> i64 {
    let (y, m, d) = (
        i64::from(date.year()),
        i64::from(date.month()),
        i64::from(date.day()),
    );
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
fn from_ordinal(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `2020-08-20T23:40:00+02:00`: the local time of a Unix second at an offset.
fn push_rfc3339(s: &mut String, unix: i64, offset: i32) {
    let local = unix + i64::from(offset);
    let (y, mo, d) = from_ordinal(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if offset < 0 { '-' } else { '+' };
    let off = offset.unsigned_abs() / 60;
    let _ = write!(
        s,
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 60,
        off % 60
    );
}

fn dmy(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

fn ymd_compact(d: Date) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_round_trip() {
        for date in [
            civil::date(1970, 1, 1),
            civil::date(2024, 2, 29),
            civil::date(2026, 12, 31),
        ] {
            let (y, m, d) = from_ordinal(ordinal(date));
            assert_eq!(
                (y, m, d),
                (
                    i64::from(date.year()),
                    i64::from(date.month()),
                    i64::from(date.day())
                )
            );
        }
        assert_eq!(ordinal(civil::date(1970, 1, 2)), 1);
    }

    #[test]
    fn rfc3339_with_offset() {
        let mut s = String::new();
        // 2020-08-20T21:40:00Z
        push_rfc3339(&mut s, 1_597_959_600, 7200);
        assert_eq!(s, "2020-08-20T23:40:00+02:00");
    }
}

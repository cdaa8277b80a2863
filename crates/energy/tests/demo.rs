//! The demo household's files: named and laid out as the holders give them
//! (BOM, CRLF, DST days of 46 and 50 half-hours, Windows-1252 water file),
//! realistic in size and shape (yearly total, winter heating, the water
//! leak), deterministic, and read back by the normal importers.

use std::collections::BTreeMap;

use encoding_rs::WINDOWS_1252;
use jiff::civil::{Date, date};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use selfdata_energy::Layout;
use selfdata_energy::demo::{DemoFile, household, leak_days};

const END: Date = date(2026, 5, 15);
const SEED: u64 = 42;

const ENEDIS_HEADER: &str = "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes";
const WATER_HEADER: &str =
    "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé";

fn files() -> Vec<DemoFile> {
    household(END, 3, SEED)
}

fn paris() -> TimeZone {
    TimeZone::get("Europe/Paris").unwrap()
}

fn electricity(files: &[DemoFile]) -> Vec<&DemoFile> {
    files
        .iter()
        .filter(|f| f.name.starts_with("Enedis_"))
        .collect()
}

/// The load curve's rows: (interval end, watts or missing).
fn load_curve(file: &DemoFile) -> Vec<(Timestamp, Option<u32>)> {
    let text = std::str::from_utf8(&file.bytes).unwrap();
    let text = text.strip_prefix('\u{FEFF}').unwrap();
    text.split("\r\n")
        .skip(3)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (horodate, value) = l.split_once(';').unwrap();
            let watts = (!value.is_empty()).then(|| value.parse().unwrap());
            (horodate.parse().unwrap(), watts)
        })
        .collect()
}

/// Per Paris day: (rows, kWh over the rows that have a value, rows missing).
fn daily(file: &DemoFile) -> BTreeMap<Date, (usize, f64, usize)> {
    let tz = paris();
    let mut days: BTreeMap<Date, (usize, f64, usize)> = BTreeMap::new();
    for (end, watts) in load_curve(file) {
        let start = end - SignedDuration::from_mins(30);
        let day = days
            .entry(start.to_zoned_datetime(tz.clone()).date())
            .or_default();
        day.0 += 1;
        match watts {
            Some(w) => day.1 += f64::from(w) * 0.5 / 1000.0,
            None => day.2 += 1,
        }
    }
    days
}

/// Water rows: (date, index, litres, qualification).
fn water_rows(file: &DemoFile) -> Vec<(Date, i64, i64, String)> {
    let text = WINDOWS_1252
        .decode_without_bom_handling_and_without_replacement(&file.bytes)
        .unwrap();
    text.split("\r\n")
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(';').collect();
            assert_eq!(f.len(), 4, "{l}");
            let (d, time) = f[0].split_once(' ').unwrap();
            assert_eq!(time, "12:00");
            let p: Vec<i16> = d.split('/').map(|x| x.parse().unwrap()).collect();
            let day = date(p[2], p[1] as i8, p[0] as i8);
            (
                day,
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_string(),
            )
        })
        .collect()
}

fn gas_lines(file: &DemoFile) -> Vec<serde_json::Value> {
    let text = std::str::from_utf8(&file.bytes).unwrap();
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn names_and_count() {
    let files = files();
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names.len(), 6, "{names:?}");
    let prm = names[0]
        .rsplit('_')
        .next()
        .unwrap()
        .trim_end_matches(".csv");
    assert_eq!(prm.len(), 14);
    assert!(prm.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        &names[..4],
        [
            format!("Enedis_Conso_Heure_20230515-20231231_{prm}.csv"),
            format!("Enedis_Conso_Heure_20240101-20241231_{prm}.csv"),
            format!("Enedis_Conso_Heure_20250101-20251231_{prm}.csv"),
            format!("Enedis_Conso_Heure_20260101-20260514_{prm}.csv"),
        ]
    );
    assert!(names[4].starts_with("donnees_consos_informatives_"));
    assert!(names[4].ends_with("_20230515-20260514.ndjson"));
    assert_eq!(names[5], "historique_jours_litres.csv");

    // One file per calendar year; none for no years.
    assert_eq!(household(date(2026, 1, 1), 2, SEED).len(), 4);
    assert!(household(END, 0, SEED).is_empty());
}

#[test]
fn enedis_bom_header_and_line_ends() {
    let files = files();
    for file in electricity(&files) {
        assert!(file.bytes.starts_with(b"\xEF\xBB\xBF"), "{}", file.name);
        let text = std::str::from_utf8(&file.bytes[3..]).unwrap();
        assert!(text.ends_with("\r\n"));
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "CRLF only"
        );
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], ENEDIS_HEADER);
        let values: Vec<&str> = lines[1].split(';').collect();
        assert_eq!(values.len(), 9);
        assert_eq!(values[0].len(), 14);
        assert_eq!(
            &values[4..],
            ["Energie active", "Consommation", "Comptage Brut", "W", "30"]
        );
        assert_eq!(values[1], "Courbe de charge");
        assert_eq!(lines[2], "Horodate;Valeur");
    }
    let lines: Vec<String> = std::str::from_utf8(&files[1].bytes)
        .unwrap()
        .split("\r\n")
        .take(4)
        .map(String::from)
        .collect();
    assert!(lines[1].ends_with(
        ";Courbe de charge;01/01/2024;01/01/2025;Energie active;Consommation;Comptage Brut;W;30"
    ));
    assert!(lines[3].starts_with("2024-01-01T00:30:00+01:00;"));
    let last = load_curve(&files[1]).last().unwrap().0;
    assert_eq!(
        last,
        "2025-01-01T00:00:00+01:00".parse::<Timestamp>().unwrap()
    );
}

#[test]
fn half_hours_with_paris_offsets_and_dst_days() {
    let files = files();
    let tz = paris();
    for file in electricity(&files) {
        let text = std::str::from_utf8(&file.bytes[3..]).unwrap();
        let curve = load_curve(file);
        // Consecutive half-hours, each written at its own Paris offset.
        for w in curve.windows(2) {
            assert_eq!(w[1].0 - w[0].0, SignedDuration::from_mins(30));
        }
        for (line, (end, _)) in text.split("\r\n").skip(3).zip(&curve) {
            let offset = tz.to_offset(*end);
            let expected = if offset.seconds() == 3600 {
                "+01:00;"
            } else {
                "+02:00;"
            };
            assert_eq!(&line[19..26], expected, "{line}");
        }
        for (day, (rows, _, _)) in daily(file) {
            let expected = match (day.month(), day.day(), day.weekday()) {
                (3, 25..=31, jiff::civil::Weekday::Sunday) => 46,
                (10, 25..=31, jiff::civil::Weekday::Sunday) => 50,
                _ => 48,
            };
            assert_eq!(rows, expected, "{day}");
        }
    }
    let days = daily(&files[1]);
    assert_eq!(days[&date(2024, 3, 31)].0, 46);
    assert_eq!(days[&date(2024, 10, 27)].0, 50);
    let text = std::str::from_utf8(&files[1].bytes).unwrap();
    for horodate in [
        "2024-03-31T01:30:00+01:00;",
        "2024-03-31T03:00:00+02:00;",
        "2024-03-31T03:30:00+02:00;",
        "2024-10-27T02:30:00+02:00;",
        "2024-10-27T02:30:00+01:00;",
    ] {
        assert!(text.contains(horodate), "{horodate}");
    }
    assert!(!text.contains("2024-03-31T02:30:00"));
}

#[test]
fn missing_readings_are_empty_values() {
    let files = files();
    let mut missing_days = 0;
    let mut missing = 0;
    for file in electricity(&files) {
        for (_, (rows, _, gone)) in daily(file) {
            missing += gone;
            if gone == rows {
                missing_days += 1;
            }
        }
    }
    assert_eq!(missing_days, 1);
    assert!((48 + 6..=48 + 6 + 3).contains(&missing), "{missing}");
}

#[test]
fn electricity_yearly_total_is_realistic() {
    for seed in [SEED, 1, 7, 2024] {
        let files = household(END, 3, seed);
        for file in &electricity(&files)[1..3] {
            let kwh: f64 = load_curve(file)
                .iter()
                .filter_map(|(_, w)| *w)
                .map(|w| f64::from(w) * 0.5 / 1000.0)
                .sum();
            assert!((6000.0..=9000.0).contains(&kwh), "{}: {kwh} kWh", file.name);
        }
    }
}

#[test]
fn electricity_shape() {
    let files = files();
    let days = daily(&files[2]);
    let mean = |months: &[i8]| {
        let v: Vec<f64> = days
            .iter()
            .filter(|(d, (_, _, gone))| months.contains(&d.month()) && *gone == 0)
            .map(|(_, (_, kwh, _))| *kwh)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let winter = mean(&[12, 1, 2]);
    let summer = mean(&[6, 7]);
    assert!(winter > 2.0 * summer, "winter {winter} summer {summer}");
    assert!((7.0..14.0).contains(&summer), "summer {summer}");

    // Night standby in summer: 150–250 W; evening peak above it.
    let curve = load_curve(&files[2]);
    let tz = paris();
    let mut night = Vec::new();
    let mut evening = Vec::new();
    let mut weekend_noon = Vec::new();
    let mut weekday_noon = Vec::new();
    for (end, w) in &curve {
        let Some(w) = *w else { continue };
        let local = end.to_zoned_datetime(tz.clone());
        if !matches!(local.month(), 6 | 7) || (local.month() == 7 && local.day() > 25) {
            continue;
        }
        let h = local.hour();
        let weekend = local.weekday().to_monday_zero_offset() >= 5;
        match h {
            3..=4 => night.push(w),
            20 => evening.push(w),
            12..=13 if weekend => weekend_noon.push(w),
            12..=13 => weekday_noon.push(w),
            _ => {}
        }
    }
    let avg = |v: &[u32]| v.iter().map(|&w| f64::from(w)).sum::<f64>() / v.len() as f64;
    assert!(
        (150.0..250.0).contains(&avg(&night)),
        "night {}",
        avg(&night)
    );
    assert!(avg(&evening) > avg(&night) + 300.0);
    assert!(avg(&weekend_noon) > avg(&weekday_noon) + 500.0);
}

#[test]
fn gas_days_indexes_and_integers() {
    let files = files();
    let lines = gas_lines(&files[4]);
    assert_eq!(lines.len(), 1096);
    let mut day = date(2023, 5, 15);
    let mut index = None;
    let mut estimated = 0;
    let mut monthly: BTreeMap<i8, (i64, i64)> = BTreeMap::new();
    for line in &lines {
        let c = &line["consommation"];
        assert_eq!(c["journee_gaziere"], day.to_string());
        let start: Timestamp = c["date_debut_consommation"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let end: Timestamp = c["date_fin_consommation"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let local = start.to_zoned_datetime(paris());
        assert_eq!((local.date(), local.hour(), local.minute()), (day, 6, 0));
        let local = end.to_zoned_datetime(paris());
        assert_eq!((local.date(), local.hour()), (day.tomorrow().unwrap(), 6));
        assert!(
            c["date_debut_consommation"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{day}T06:00:00+0"))
        );

        let coeff = c["coeff_calcul"]["coeff_conversion"].as_f64().unwrap();
        assert!((11.1..=11.3).contains(&coeff), "{coeff}");
        let volume = c["volume_brut"].as_i64().unwrap();
        let energy = c["energie"].as_i64().unwrap();
        assert!(volume >= 0 && energy >= 0);
        let fin = line["releve_fin"]["index_brut_fin"]["valeur_index"]
            .as_i64()
            .unwrap();
        if let Some(previous) = index {
            assert_eq!(fin - previous, volume, "{day}");
        }
        index = Some(fin);
        match c["type_qualif_conso"].as_str().unwrap() {
            "Mesuré" => {}
            "Estimé" => estimated += 1,
            other => panic!("{other}"),
        }
        assert!(c["statut_conso"].is_string());
        let m = monthly.entry(day.month()).or_default();
        m.0 += energy;
        m.1 += 1;
        day = day.tomorrow().unwrap();
    }
    assert_eq!(day, END);
    assert_eq!(estimated, 3);
    let first = lines[0]["releve_fin"]["index_brut_fin"]["valeur_index"]
        .as_i64()
        .unwrap();
    let total_volume = index.unwrap() - first;
    let total_energy: i64 = monthly.values().map(|m| m.0).sum();
    // Energy follows the volume at about 11.2 kWh/m³ over the whole period.
    let ratio = total_energy as f64 / total_volume as f64;
    assert!((10.8..11.6).contains(&ratio), "{ratio}");
    let per_day = |m: i8| monthly[&m].0 as f64 / monthly[&m].1 as f64;
    for m in 1..=12 {
        assert!(
            (1.5..8.0).contains(&per_day(m)),
            "month {m}: {}",
            per_day(m)
        );
    }
    assert!(per_day(1) > per_day(7) + 0.5);
}

#[test]
fn water_is_windows_1252() {
    let files = files();
    let water = &files[5];
    assert!(std::str::from_utf8(&water.bytes).is_err());
    let text = WINDOWS_1252
        .decode_without_bom_handling_and_without_replacement(&water.bytes)
        .unwrap();
    assert!(text.starts_with(&format!("{WATER_HEADER}\r\n")));
    assert!(
        water
            .bytes
            .starts_with(b"Date de relev\xE9;Index relev\xE9 (litres)")
    );
}

#[test]
fn water_index_daily_shape_and_leak() {
    let files = files();
    let rows = water_rows(&files[5]);
    assert_eq!(rows.len(), 1096);
    assert_eq!(rows[0].0, date(2023, 5, 15));
    assert_eq!(rows.last().unwrap().0, date(2026, 5, 14));
    for w in rows.windows(2) {
        assert_eq!(w[1].0, w[0].0.tomorrow().unwrap());
        assert_eq!(w[1].1 - w[0].1, w[1].2, "{}", w[1].0);
    }
    assert!(rows.iter().any(|r| r.3 == "Estimé"));

    let (first, last) = leak_days(END);
    assert_eq!(first, date(2026, 3, 25));
    assert_eq!(last, date(2026, 4, 3));
    let mut litres: Vec<i64> = rows.iter().map(|r| r.2).collect();
    litres.sort_unstable();
    let median = litres[litres.len() / 2];
    assert!((250..=400).contains(&median), "{median}");
    for r in &rows {
        let leaking = (first..=last).contains(&r.0);
        if leaking {
            assert!(r.2 > median + 200, "{} {}", r.0, r.2);
        } else if r.0 > last {
            assert!(r.2 < median + 200, "{} {}", r.0, r.2);
        }
    }
    assert!(rows.iter().filter(|r| r.2 > median + 230).count() >= 10);

    // Weekends draw more (laundry, everyone home).
    let mean = |weekend: bool| {
        let v: Vec<i64> = rows
            .iter()
            .filter(|r| r.2 > 0 && (r.0.weekday().to_monday_zero_offset() >= 5) == weekend)
            .map(|r| r.2)
            .collect();
        v.iter().sum::<i64>() as f64 / v.len() as f64
    };
    assert!(mean(true) > mean(false) * 1.1);
}

#[test]
fn deterministic() {
    let a = household(END, 3, SEED);
    assert_eq!(a, household(END, 3, SEED));
    let b = household(END, 3, SEED + 1);
    assert_eq!(a.len(), b.len());
    assert!(a.iter().zip(&b).all(|(x, y)| x.bytes != y.bytes));
}

#[test]
fn fast_enough() {
    let t = std::time::Instant::now();
    let files = household(END, 3, SEED);
    let elapsed = t.elapsed();
    eprintln!("3 years generated in {elapsed:?}");
    assert_eq!(files.len(), 6);
    assert!(elapsed.as_secs() < 5);
}

#[test]
fn the_importers_read_every_demo_file() {
    let files = files();
    for file in &files {
        let expected = if file.name.starts_with("Enedis_") {
            Layout::EnedisLoadCurveCsv
        } else if file.name.ends_with(".ndjson") {
            Layout::GrdfAdictNdjson
        } else {
            Layout::WaterPortalCsv
        };
        assert_eq!(
            selfdata_energy::import::detect(&file.bytes),
            Some(expected),
            "{}",
            file.name
        );
        let parsed = selfdata_energy::import::parse(&file.bytes)
            .unwrap_or_else(|e| panic!("{}: {e}", file.name));
        assert_eq!(parsed.layout, expected, "{}", file.name);
        assert!(!parsed.series.is_empty(), "{}", file.name);
        assert!(parsed.rows > 0, "{}", file.name);
    }
    // The load curve's energy, read back exactly: W × 30 min = W × 500 mWh.
    let curve = &files[1];
    let parsed = selfdata_energy::import::parse(&curve.bytes).unwrap();
    let rows = load_curve(curve);
    assert_eq!(parsed.rows, rows.len());
    let expected: i64 = rows
        .iter()
        .filter_map(|(_, w)| *w)
        .map(|w| i64::from(w) * 500)
        .sum();
    let energy = parsed
        .series
        .iter()
        .find(|s| s.quantity == selfdata_energy::Quantity::ElectricEnergy)
        .unwrap();
    let got: i64 = energy.readings.iter().filter_map(|r| r.value).sum();
    assert_eq!(got, expected);
    assert_eq!(
        energy.readings.iter().filter(|r| r.value.is_none()).count(),
        rows.iter().filter(|(_, w)| w.is_none()).count()
    );
}

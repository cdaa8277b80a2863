//! What the resident said, kept in their pod as small CSV files beside the
//! trips: the modes they corrected ([`Correction`]s, `corrections.csv`), the
//! names they gave their places (`places.csv`) and their car's CO2 settings
//! (`settings.csv`). Each reads back with the line of any problem (the
//! resident may edit the files); each is bounded ([`MAX_ROWS`]).

use crate::co2::Settings;
use crate::geo::{degrees, distance_m};
use crate::mode::Correction;
use crate::model::Mode;
use crate::places::{PLACE_RADIUS_M, Place};

/// At most this many rows are read from one of these files.
pub const MAX_ROWS: usize = 10_000;
/// A place's name is at most this many characters.
pub const MAX_NAME: usize = 60;

/// Why one of these files could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SaidError {
    pub line: usize,
    pub message: String,
}

fn e7(s: &str) -> Option<i32> {
    let v: f64 = s.trim().parse().ok()?;
    if !v.is_finite() || v.abs() > 180.0 {
        return None;
    }
    // In range: the product fits an i32.
    Some((v * 1e7).round() as i32)
}

fn time(t: i64) -> String {
    jiff::Timestamp::from_second(t).map_or_else(|_| t.to_string(), |ts| ts.to_string())
}

fn write(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}

/// The records of `bytes` under `header`, each with its line.
fn read(bytes: &[u8], header: &[&str]) -> Result<Vec<(usize, Vec<String>)>, SaidError> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let got = r.headers().map_err(|e| SaidError {
        line: 1,
        message: e.to_string(),
    })?;
    if got.iter().map(str::trim).ne(header.iter().copied()) {
        return Err(SaidError {
            line: 1,
            message: format!("expected the header {}", header.join(",")),
        });
    }
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| SaidError {
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        if out.len() >= MAX_ROWS {
            return Err(SaidError {
                line,
                message: format!("more than {MAX_ROWS} rows"),
            });
        }
        out.push((line, rec.iter().map(|f| f.trim().to_owned()).collect()));
    }
    Ok(out)
}

fn bad(line: usize, m: &str) -> SaidError {
    SaidError {
        line,
        message: m.to_owned(),
    }
}

const CORRECTIONS: [&str; 8] = [
    "start",
    "end",
    "from_lat",
    "from_lon",
    "to_lat",
    "to_lon",
    "distance_m",
    "mode",
];

/// The corrections as `corrections.csv`, oldest first.
pub fn corrections_to_csv(cs: &[Correction]) -> Vec<u8> {
    write(
        &CORRECTIONS,
        cs.iter().map(|c| {
            vec![
                time(c.start),
                time(c.end),
                degrees(c.from.0),
                degrees(c.from.1),
                degrees(c.to.0),
                degrees(c.to.1),
                c.distance_m.to_string(),
                c.mode.as_str().to_owned(),
            ]
        }),
    )
}

/// `corrections.csv` back.
pub fn corrections_from_csv(bytes: &[u8]) -> Result<Vec<Correction>, SaidError> {
    read(bytes, &CORRECTIONS)?
        .into_iter()
        .map(|(line, f)| {
            let [start, end, flat, flon, tlat, tlon, dist, mode] = &f[..] else {
                return Err(bad(line, "expected 8 fields"));
            };
            let when = |s: &str| {
                s.parse::<jiff::Timestamp>()
                    .map(|t| t.as_second())
                    .map_err(|_| bad(line, "bad time"))
            };
            let c = |s: &str| e7(s).ok_or_else(|| bad(line, "bad coordinate"));
            Ok(Correction {
                start: when(start)?,
                end: when(end)?,
                from: (c(flat)?, c(flon)?),
                to: (c(tlat)?, c(tlon)?),
                distance_m: dist.parse().map_err(|_| bad(line, "bad distance"))?,
                mode: Mode::parse(mode).ok_or_else(|| bad(line, "bad mode"))?,
            })
        })
        .collect()
}

/// A name the resident gave a place: it names the frequent place found
/// within [`PLACE_RADIUS_M`] of `pos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceName {
    pub pos: (i32, i32),
    pub name: String,
}

const NAMES: [&str; 3] = ["lat", "lon", "name"];

/// A name as the resident typed it, made safe to keep: control characters
/// dropped, spaces folded, at most [`MAX_NAME`] characters.
pub fn clean_name(s: &str) -> String {
    let folded: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    folded.join(" ").chars().take(MAX_NAME).collect()
}

/// The names as `places.csv`.
pub fn names_to_csv(names: &[PlaceName]) -> Vec<u8> {
    write(
        &NAMES,
        names
            .iter()
            .map(|n| vec![degrees(n.pos.0), degrees(n.pos.1), n.name.clone()]),
    )
}

/// `places.csv` back.
pub fn names_from_csv(bytes: &[u8]) -> Result<Vec<PlaceName>, SaidError> {
    read(bytes, &NAMES)?
        .into_iter()
        .map(|(line, f)| {
            let [lat, lon, name] = &f[..] else {
                return Err(bad(line, "expected 3 fields"));
            };
            let c = |s: &str| e7(s).ok_or_else(|| bad(line, "bad coordinate"));
            Ok(PlaceName {
                pos: (c(lat)?, c(lon)?),
                name: clean_name(name),
            })
        })
        .collect()
}

/// Sets `name` for the place at `pos` (an empty name forgets it); the
/// closest name already within [`PLACE_RADIUS_M`] is replaced.
pub fn rename(names: &mut Vec<PlaceName>, pos: (i32, i32), name: &str) {
    let name = clean_name(name);
    names.retain(|n| distance_m(n.pos, pos) > PLACE_RADIUS_M);
    if !name.is_empty() {
        names.push(PlaceName { pos, name });
    }
}

/// The name of `place`: the latest one given within [`PLACE_RADIUS_M`].
pub fn name_of<'a>(place: &Place, names: &'a [PlaceName]) -> Option<&'a str> {
    names
        .iter()
        .rev()
        .filter(|n| distance_m(n.pos, (place.lat_e7, place.lon_e7)) <= PLACE_RADIUS_M)
        .min_by_key(|n| distance_m(n.pos, (place.lat_e7, place.lon_e7)))
        .map(|n| n.name.as_str())
}

const SETTINGS: [&str; 2] = ["setting", "value"];

/// The car rows a resident may choose.
pub const CAR_ROWS: [&str; 2] = ["car_thermal", "car_electric"];
/// The most people a car counts.
pub const MAX_OCCUPANCY: u8 = 9;

/// The settings as `settings.csv`.
pub fn settings_to_csv(s: &Settings) -> Vec<u8> {
    write(
        &SETTINGS,
        [
            vec!["car".to_owned(), s.car_row.clone()],
            vec!["car_occupancy".to_owned(), s.occupancy.to_string()],
        ]
        .into_iter(),
    )
}

/// `settings.csv` back (unknown settings are ignored; a value out of range is an error).
pub fn settings_from_csv(bytes: &[u8]) -> Result<Settings, SaidError> {
    let mut s = Settings::default();
    for (line, f) in read(bytes, &SETTINGS)? {
        let [key, value] = &f[..] else {
            return Err(bad(line, "expected 2 fields"));
        };
        match key.as_str() {
            "car" if CAR_ROWS.contains(&value.as_str()) => s.car_row = value.clone(),
            "car" => return Err(bad(line, "car is car_thermal or car_electric")),
            "car_occupancy" => {
                s.occupancy = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_OCCUPANCY).contains(n))
                    .ok_or_else(|| bad(line, "car_occupancy is 1 to 9"))?;
            }
            _ => {}
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrections_names_and_settings_read_back_as_written() {
        let c = Correction {
            start: 1_714_550_400,
            end: 1_714_551_000,
            from: (457_700_000, 48_300_000),
            to: (457_600_000, -48_400_001),
            distance_m: 2500,
            mode: Mode::Bike,
        };
        assert_eq!(
            corrections_from_csv(&corrections_to_csv(&[c])).unwrap(),
            [c]
        );
        let names = vec![PlaceName {
            pos: (457_700_000, 48_300_000),
            name: "Maison, \"chez nous\"".into(),
        }];
        assert_eq!(names_from_csv(&names_to_csv(&names)).unwrap(), names);
        let s = Settings {
            car_row: "car_electric".into(),
            occupancy: 3,
            ..Settings::default()
        };
        assert_eq!(settings_from_csv(&settings_to_csv(&s)).unwrap(), s);
    }

    #[test]
    fn an_edited_file_names_its_bad_line() {
        let text = "setting,value\ncar,car_thermal\ncar_occupancy,40\n";
        assert_eq!(settings_from_csv(text.as_bytes()).unwrap_err().line, 3);
        let text = "lat,lon,name\n45.1,4.8,Home\n95x,4.8,Work\n";
        assert_eq!(names_from_csv(text.as_bytes()).unwrap_err().line, 3);
    }

    #[test]
    fn renaming_a_place_replaces_its_name_and_an_empty_name_forgets_it() {
        let mut names = Vec::new();
        rename(&mut names, (457_700_000, 48_300_000), "  Home\u{7}\n ");
        assert_eq!(names[0].name, "Home");
        rename(&mut names, (457_700_100, 48_300_100), "Maison");
        assert_eq!(names.len(), 1);
        assert_eq!(names[0].name, "Maison");
        rename(&mut names, (457_700_000, 48_300_000), " ");
        assert!(names.is_empty());
        let long = "x".repeat(500);
        rename(&mut names, (1, 1), &long);
        assert_eq!(names[0].name.chars().count(), MAX_NAME);
    }
}

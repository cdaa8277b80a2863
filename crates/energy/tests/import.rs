//! The meter-file importers against generated files and variations of the
//! fixtures: DST days, inferred steps, duplicates and overlaps, and errors
//! that name the right line and the export expected. What each fixture of
//! `tests/fixtures/` parses into is checked as data by `tests/fixtures.rs`.
//! The `tests/corpus/` files are replayed to check that nothing panics.

use std::path::Path;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use selfdata_energy::import::{detect, import, parse};
use selfdata_energy::sources::Lang;
use selfdata_energy::{ImportError, Layout, Parsed, Quantity, Reading, Series};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn ok(bytes: &[u8]) -> Parsed {
    match parse(bytes) {
        Ok(p) => p,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn series(p: &Parsed, q: Quantity) -> &Series {
    p.series
        .iter()
        .find(|s| s.quantity == q)
        .unwrap_or_else(|| panic!("no {q:?} series in {:?}", p.series))
}

fn values(s: &Series) -> Vec<Option<i64>> {
    s.readings.iter().map(|r| r.value).collect()
}

fn span(r: &Reading) -> (Timestamp, Timestamp) {
    (r.start, r.end)
}

/// The error's line, failing the test when the error has none.
fn err_line(bytes: &[u8]) -> (usize, String) {
    match parse(bytes) {
        Err(ImportError::AtLine { line, message }) => (line, message),
        other => panic!("expected an error at a line, got {other:?}"),
    }
}

/// Checks the series invariants: sorted, no overlaps.
fn assert_well_formed(p: &Parsed) {
    for s in &p.series {
        for w in s.readings.windows(2) {
            assert!(w[0].start < w[0].end);
            assert!(w[0].end <= w[1].start, "overlap in {:?}: {w:?}", s.quantity);
        }
    }
}

fn utf8(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const META: &str = "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes";

// ------------------------------------------------------------ Enedis portal

#[test]
fn a_blank_step_with_a_single_row_cannot_be_inferred() {
    let text = format!(
        "{META}\n1;Courbe de charge;;;;;;W;\nHorodate;Valeur\n2021-01-10T10:10:00+01:00;271\n"
    );
    match parse(text.as_bytes()) {
        Err(ImportError::Invalid(m)) => assert!(m.contains("inferred"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_decreasing_index_names_its_line() {
    let text = utf8(&fixture("enedis_daily_index.csv")).replace(";1535000", ";1000");
    let (line, message) = err_line(text.as_bytes());
    assert_eq!(line, 9);
    assert!(message.contains("goes down"), "{message}");
}

#[test]
fn portal_daily_energy_in_wh_is_dated_by_its_day() {
    let text = format!(
        "{META}\n1;Consommation quotidienne;;;;;;Wh;\nHorodate;Valeur\n\
         2021-03-27T00:00:00+01:00;9000\n2021-03-28T00:00:00+01:00;8050\n2021-03-29T00:00:00+02:00;7000\n"
    );
    let p = ok(text.as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(values(s), [9_000_000, 8_050_000, 7_000_000].map(Some));
    // 28 March 2021 is the 23-hour day.
    assert_eq!(
        span(&s.readings[1]),
        (t("2021-03-27T23:00:00Z"), t("2021-03-28T22:00:00Z"))
    );
}

#[test]
fn portal_metadata_without_its_values_line() {
    let text = format!(
        "{META}\nHorodate;Valeur\n2020-08-20T00:30:00+02:00;100\n2020-08-20T01:00:00+02:00;200\n"
    );
    assert_eq!(detect(text.as_bytes()), Some(Layout::EnedisLoadCurveCsv));
    let p = ok(text.as_bytes());
    assert_eq!(p.meter, None);
    assert_eq!(
        values(series(&p, Quantity::ElectricEnergy)),
        [Some(50_000), Some(100_000)]
    );
}

// ------------------------------------------------------------ flat and older

const FLAT: &str = "Identifiant PRM;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Horodate;Valeur;Nature;Pas;Indice de vraisemblance;Etat complementaire";

/// Half-hour interval ends in Paris local time over `[from, to)` UTC.
fn local_ends(from: &str, to: &str, format: &str) -> Vec<String> {
    let tz = TimeZone::get("Europe/Paris").unwrap();
    let (from, to) = (t(from), t(to));
    let mut out = Vec::new();
    let mut end = from + SignedDuration::from_mins(30);
    while end <= to {
        out.push(
            end.to_zoned_datetime(tz.clone())
                .strftime(format)
                .to_string(),
        );
        end += SignedDuration::from_mins(30);
    }
    out
}

fn flat_day(ends: &[String]) -> String {
    let mut s = format!("{FLAT}\n");
    for (i, end) in ends.iter().enumerate() {
        s.push_str(&format!(
            "12345678901234;;;PA;CONS;BRUT;W;{end};{};B;PT30M;;\n",
            100 + i
        ));
    }
    s
}

#[test]
fn autumn_day_has_50_half_hours_with_the_repeated_hour_in_sequence() {
    let ends = local_ends(
        "2023-10-28T22:00:00Z",
        "2023-10-29T23:00:00Z",
        "%Y-%m-%d %H:%M:%S",
    );
    assert_eq!(ends.len(), 50);
    assert_eq!(ends[3], "2023-10-29 02:00:00");
    assert_eq!(ends[5], "2023-10-29 02:00:00");
    let p = ok(flat_day(&ends).as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(s.readings.len(), 50);
    assert_eq!(s.readings[0].start, t("2023-10-28T22:00:00Z"));
    assert_eq!(s.readings[49].end, t("2023-10-29T23:00:00Z"));
    // The first 02:00 is 00:00 UTC, the second 01:00 UTC; values stay in file order.
    assert_eq!(s.readings[3].end, t("2023-10-29T00:00:00Z"));
    assert_eq!(s.readings[5].end, t("2023-10-29T01:00:00Z"));
    assert_eq!(s.readings[5].value, Some(105 * 500));
    assert_well_formed(&p);
    for w in s.readings.windows(2) {
        assert_eq!(w[0].end, w[1].start, "contiguous");
    }
}

#[test]
fn spring_day_has_46_half_hours() {
    let ends = local_ends(
        "2023-03-25T23:00:00Z",
        "2023-03-26T22:00:00Z",
        "%Y-%m-%d %H:%M:%S",
    );
    assert_eq!(ends.len(), 46);
    let p = ok(flat_day(&ends).as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(s.readings.len(), 46);
    assert_eq!(s.readings[3].start, t("2023-03-26T00:30:00Z"));
    assert_eq!(s.readings[3].end, t("2023-03-26T01:00:00Z"));
    assert_eq!(s.readings[45].end, t("2023-03-26T22:00:00Z"));
}

#[test]
fn a_time_in_the_spring_gap_names_its_line() {
    let mut ends = local_ends(
        "2023-03-25T23:00:00Z",
        "2023-03-26T03:00:00Z",
        "%Y-%m-%d %H:%M:%S",
    );
    ends.insert(3, "2023-03-26 02:30:00".into());
    let (line, message) = err_line(flat_day(&ends).as_bytes());
    assert_eq!(line, 5);
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn older_csv_on_the_autumn_day_infers_half_hours() {
    let ends = local_ends(
        "2023-10-28T22:00:00Z",
        "2023-10-29T23:00:00Z",
        "%d/%m/%Y;%H:%M",
    );
    let mut text = String::from("Date de la mesure;Heure de la mesure;Valeur\n");
    for e in &ends {
        text.push_str(&format!("{e};1000\n"));
    }
    let p = ok(text.as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(s.readings.len(), 50);
    let total: i64 = s.readings.iter().filter_map(|r| r.value).sum();
    assert_eq!(total, 25_000_000, "1 kW over 25 hours");
}

// ------------------------------------------------------------ Data Connect

#[test]
fn data_connect_v5_autumn_load_curve() {
    let ends = local_ends(
        "2023-10-28T22:00:00Z",
        "2023-10-29T23:00:00Z",
        "%Y-%m-%d %H:%M:%S",
    );
    let items: Vec<String> = ends
        .iter()
        .map(|e| {
            format!(
                r#"{{"value":"600","date":"{e}","interval_length":"PT30M","measure_type":"B"}}"#
            )
        })
        .collect();
    let json = format!(
        r#"{{"meter_reading":{{"usage_point_id":"1","reading_type":{{"unit":"W","aggregate":"average"}},"interval_reading":[{}]}}}}"#,
        items.join(",")
    );
    let p = ok(json.as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(s.readings.len(), 50);
    assert_eq!(s.readings[49].end, t("2023-10-29T23:00:00Z"));
}

#[test]
fn data_connect_2026_daily_energy() {
    let json = r#"{"idPrm":"3","grandeur":[{"grandeurMetier":"CONS","unite":"Wh","points":[{"v":"9000","d":"2026-03-29","p":"P1D","n":"B"},{"v":"8000","d":"2026-03-30","p":"P1D","n":"E"}]}]}"#;
    let p = ok(json.as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(values(s), [Some(9_000_000), Some(8_000_000)]);
    // 29 March 2026 lasts 23 hours.
    assert_eq!(
        span(&s.readings[0]),
        (t("2026-03-28T23:00:00Z"), t("2026-03-29T22:00:00Z"))
    );
    assert!(s.readings[1].estimated);
}

// ------------------------------------------------------------ GRDF

#[test]
fn grdf_adict_cut_mid_line_names_the_line() {
    let bytes = fixture("grdf_adict.ndjson");
    let cut = &bytes[..bytes.len() - 40];
    let (line, message) = err_line(cut);
    assert_eq!(line, 4);
    assert!(message.contains("cut short"), "{message}");
}

fn grdf_workbook(header_row: u32, pce: bool) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "Historique de consommation")
        .unwrap();
    if pce {
        sheet.write_string(2, 0, "Numéro PCE").unwrap();
        sheet.write_string(2, 1, "21546000000000").unwrap();
    }
    let header = [
        "Date de relevé",
        "Index de début de période (m3)",
        "Index de fin de période (m3)",
        "Volume consommé (m3)",
        "Energie consommée (kWh)",
        "Coefficient de conversion",
        "Température locale (°C)",
        "Qualification du relevé",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(header_row, c as u16, *h).unwrap();
    }
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    let r = header_row + 1;
    // A text date, an Excel date and a bare serial number (44427 = 2021-08-19).
    sheet.write_string(r, 0, "17/08/2021").unwrap();
    sheet
        .write_datetime_with_format(
            r + 1,
            0,
            ExcelDateTime::from_ymd(2021, 8, 18).unwrap(),
            &date_format,
        )
        .unwrap();
    sheet.write_number(r + 2, 0, 44427.0).unwrap();
    let data: [(f64, f64, f64, Option<f64>, &str); 3] = [
        (12345.0, 12347.0, 2.0, Some(22.0), "Mesuré"),
        (12347.0, 12350.0, 3.0, Some(34.0), "Estimé"),
        (12350.0, 12351.0, 1.0, None, "Mesuré"),
    ];
    for (i, (a, b, v, e, q)) in data.iter().enumerate() {
        let row = r + i as u32;
        sheet.write_number(row, 1, *a).unwrap();
        sheet.write_number(row, 2, *b).unwrap();
        sheet.write_number(row, 3, *v).unwrap();
        if let Some(e) = e {
            sheet.write_number(row, 4, *e).unwrap();
        }
        sheet.write_number(row, 5, 11.2).unwrap();
        sheet.write_number(row, 6, 18.5).unwrap();
        sheet.write_string(row, 7, *q).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn grdf_xlsx_rows_are_the_gas_day_before_their_date() {
    let bytes = grdf_workbook(8, true);
    assert_eq!(detect(&bytes), Some(Layout::GrdfXlsx));
    let p = ok(&bytes);
    assert_eq!(p.meter.as_deref(), Some("21546000000000"));
    assert_eq!(p.rows, 3);
    let energy = series(&p, Quantity::GasEnergy);
    let volume = series(&p, Quantity::GasVolume);
    assert_eq!(values(energy), [Some(22_000_000), Some(34_000_000), None]);
    assert_eq!(values(volume), [2_000_000, 3_000_000, 1_000_000].map(Some));
    assert_eq!(
        span(&energy.readings[0]),
        (t("2021-08-16T04:00:00Z"), t("2021-08-17T04:00:00Z"))
    );
    assert_eq!(energy.readings[2].end, t("2021-08-19T04:00:00Z"));
    assert!(energy.readings[1].estimated);
}

#[test]
fn grdf_xlsx_header_is_searched_not_assumed_on_row_9() {
    let p = ok(&grdf_workbook(11, false));
    assert_eq!(p.meter, None);
    assert_eq!(series(&p, Quantity::GasVolume).readings.len(), 3);
}

#[test]
fn an_unrelated_workbook_is_unrecognised() {
    use rust_xlsxwriter::Workbook;
    let mut book = Workbook::new();
    book.add_worksheet().write_string(0, 0, "Budget").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    assert_eq!(detect(&bytes), None);
    assert!(matches!(parse(&bytes), Err(ImportError::Unrecognised)));
}

// ------------------------------------------------------------ water

#[test]
fn negative_daily_water_names_its_line() {
    let text = "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n\
                12/05/2026 12:00;2043537;71;Mesuré\n13/05/2026 12:00;2043500;-37;Estimé\n";
    let (line, message) = err_line(text.as_bytes());
    assert_eq!(line, 3);
    assert!(message.contains("negative"), "{message}");
}

#[test]
fn utf8_cut_inside_a_character_stays_utf8() {
    let mut bytes =
        "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n\
                     12/05/2026 12:00;2043537;71;Mesur"
            .as_bytes()
            .to_vec();
    bytes.push(0xC3);
    assert_eq!(detect(&bytes), Some(Layout::WaterPortalCsv));
    let p = ok(&bytes);
    assert_eq!(values(series(&p, Quantity::WaterVolume)), [Some(71_000)]);
}

#[test]
fn water_telemetry_as_a_root_array() {
    let json = br#"[{"date":"2026-01-05 00:00:00","index":10,"volume":0.1234567}]"#;
    let p = ok(json);
    let s = series(&p, Quantity::WaterVolume);
    assert_eq!(values(s), [Some(123_457)]);
    assert_eq!(s.readings[0].start, t("2026-01-04T23:00:00Z"));
}

// ------------------------------------------------------------ duplicates and overlaps

fn portal(rows: &[&str]) -> String {
    format!(
        "{META}\n1;Courbe de charge;;;;;;W;30\nHorodate;Valeur\n{}\n",
        rows.join("\n")
    )
}

#[test]
fn duplicate_rows_keep_one_and_the_later_row_wins() {
    let text = portal(&[
        "2020-08-20T00:30:00+02:00;100",
        "2020-08-20T01:00:00+02:00;200",
        "2020-08-20T00:30:00+02:00;100",
        "2020-08-20T01:00:00+02:00;300",
    ]);
    let p = ok(text.as_bytes());
    assert_eq!(p.rows, 4);
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(values(s), [Some(50_000), Some(150_000)]);
}

#[test]
fn rows_out_of_order_come_out_sorted() {
    let text = portal(&[
        "2020-08-20T01:00:00+02:00;200",
        "2020-08-20T00:30:00+02:00;100",
    ]);
    let p = ok(text.as_bytes());
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(values(s), [Some(50_000), Some(100_000)]);
}

#[test]
fn overlapping_intervals_name_the_later_line() {
    let text = "Identifiant PRM;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Horodate;Valeur;Nature;Pas;Indice de vraisemblance;Etat complementaire\n\
        1;;;PA;CONS;BRUT;W;2023-03-13 01:00:00;692;B;PT60M;;\n\
        1;;;PA;CONS;BRUT;W;2023-03-13 00:30:00;692;B;PT30M;;\n";
    let (line, message) = err_line(text.as_bytes());
    assert_eq!(line, 3);
    assert!(message.contains("overlaps"), "{message}");
}

// ------------------------------------------------------------ damaged files

#[test]
fn a_csv_cut_mid_timestamp_names_the_last_line() {
    let bytes = fixture("enedis_load_curve.csv");
    // The last line is `2020-08-21T00:00:00+02:00;670\r\n`: cut inside the time.
    let cut = &bytes[..bytes.len() - 20];
    let (line, message) = err_line(cut);
    assert_eq!(line, 52);
    assert!(
        message.contains("expected a date like 2020-08-20T23:40:00+02:00 in column Horodate"),
        "{message}"
    );
}

#[test]
fn a_csv_cut_before_the_value_column_names_the_last_line() {
    let text = utf8(&fixture("enedis_load_curve.csv"));
    let cut = text
        .trim_end()
        .trim_end_matches("670")
        .trim_end_matches(';');
    let (line, message) = err_line(cut.as_bytes());
    assert_eq!(line, 52);
    assert!(message.contains("expected 2 columns"), "{message}");
}

#[test]
fn a_corrupt_value_names_its_line() {
    let text = utf8(&fixture("enedis_load_curve.csv")).replace(";210\r", ";21O\r");
    let (line, message) = err_line(text.as_bytes());
    assert_eq!(line, 6);
    assert!(
        message.contains("Valeur") && message.contains("21O"),
        "{message}"
    );
}

#[test]
fn a_corrupt_flat_timestamp_names_its_line() {
    let text =
        utf8(&fixture("enedis_flat.csv")).replace("2023-03-13 02:00:00", "2023-13-13 02:00:00");
    let (line, message) = err_line(text.as_bytes());
    assert_eq!(line, 5);
    assert!(message.contains("Horodate"), "{message}");
}

#[test]
fn json_cut_short_reports_serde_line() {
    let text = utf8(&fixture("enedis_dc_v5_daily.json"));
    let cut: String = text.lines().take(6).collect::<Vec<_>>().join("\n");
    let cut = &cut[..cut.len() - 5];
    let (line, message) = err_line(cut.as_bytes());
    assert_eq!(line, 6);
    assert!(message.contains("cut short"), "{message}");
}

#[test]
fn a_bad_json_value_names_the_item() {
    let text = utf8(&fixture("enedis_dc_v5_daily.json")).replace("\"9823\"", "\"98x3\"");
    match parse(text.as_bytes()) {
        Err(ImportError::Invalid(m)) => {
            assert!(m.starts_with("meter_reading.interval_reading[2]"), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_truncated_daily_index_row_names_its_line() {
    let text = utf8(&fixture("enedis_daily_index.csv"));
    let cut = text.split("\n\nCalendrier").next().unwrap();
    let cut = &cut[..cut.len() - 20];
    let (line, message) = err_line(cut.as_bytes());
    assert_eq!(line, 9);
    assert!(message.contains("columns"), "{message}");
}

// ------------------------------------------------------------ unknown and empty

#[test]
fn unknown_content_is_unrecognised_with_what_was_expected() {
    for bytes in [
        &b"hello world\n"[..],
        b"Date;Montant\n01/01/2024;12,50\n",
        b"{\"foo\": 1}",
        b"\x00\x01\x02\xff",
        b"PK\x03\x04 not a zip",
    ] {
        assert_eq!(detect(bytes), None);
        assert_eq!(parse(bytes), Err(ImportError::Unrecognised));
        let refusal = import(bytes).unwrap_err();
        assert_eq!(refusal.error, ImportError::Unrecognised);
        // Which holders' exports, and where a resident downloads them; no column names.
        let en = refusal.sentence(Lang::En);
        let fr = refusal.sentence(Lang::Fr);
        for holder in ["Enedis", "GRDF"] {
            assert!(en.contains(holder) && fr.contains(holder), "{en}\n{fr}");
        }
        assert!(
            en.contains("water utility") && fr.contains("compteur d’eau"),
            "{en}\n{fr}"
        );
        assert!(en.contains("mon-compte-particulier.enedis.fr"), "{en}");
        assert!(fr.contains("à télécharger sur"), "{fr}");
        assert!(!en.contains('`') && !fr.contains('`'), "{en}\n{fr}");
    }
}

#[test]
fn an_empty_file_is_named_as_empty() {
    for bytes in [&b""[..], b"\r\n\r\n", b"\xEF\xBB\xBF  \n"] {
        assert_eq!(detect(bytes), None);
        assert_eq!(parse(bytes), Err(ImportError::EmptyFile));
        let refusal = import(bytes).unwrap_err();
        assert!(refusal.sentence(Lang::En).starts_with("the file is empty."));
        assert!(
            refusal
                .sentence(Lang::Fr)
                .starts_with("le fichier est vide.")
        );
    }
}

#[test]
fn an_error_in_a_recognised_file_names_the_line_and_the_holder() {
    let text = utf8(&fixture("enedis_load_curve.csv")).replace(";210\r", ";21O\r");
    let refusal = import(text.as_bytes()).unwrap_err();
    assert!(refusal.error.line().is_some());
    let en = refusal.sentence(Lang::En);
    assert!(en.starts_with("line "), "{en}");
    assert!(en.contains("This looks like an Enedis export"), "{en}");
    assert!(!en.contains("GRDF"), "{en}");
    let fr = refusal.sentence(Lang::Fr);
    assert!(fr.starts_with("ligne "), "{fr}");
    assert!(
        fr.contains("Ce fichier ressemble à un export Enedis"),
        "{fr}"
    );
}

#[test]
fn a_known_header_without_rows_is_empty() {
    let lone = [
        format!("{META}\n1;Courbe de charge;;;;;;W;30\nHorodate;Valeur\n"),
        format!("{META}\n"),
        "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\r\n"
            .to_string(),
        format!("{FLAT}\n"),
        r#"{"meter_reading":{"usage_point_id":"1","interval_reading":[]}}"#.to_string(),
        "\n\n".to_string() + r#"{"pce":"GI000001","consommation":null}"#,
    ];
    for text in lone {
        assert!(detect(text.as_bytes()).is_some(), "{text}");
        assert_eq!(parse(text.as_bytes()), Err(ImportError::Empty), "{text}");
    }
}

// ------------------------------------------------------------ corpus and size

#[test]
fn the_nasty_corpus_never_panics_and_detect_agrees_with_parse() {
    let dirs = ["tests/corpus", "tests/fixtures"];
    let mut n = 0;
    for dir in dirs {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.to_string_lossy();
            if name.ends_with(".expected.json") || name.ends_with(".md") {
                continue; // what the fixtures give, and their notes
            }
            let bytes = std::fs::read(&path).unwrap();
            let result = parse(&bytes);
            if std::env::var_os("SHOW_CORPUS").is_some() {
                eprintln!(
                    "{}: {result:?}",
                    path.file_name().unwrap().to_string_lossy()
                );
            }
            let unrecognised = matches!(
                result,
                Err(ImportError::Unrecognised | ImportError::EmptyFile)
            );
            assert_eq!(
                detect(&bytes).is_none(),
                unrecognised,
                "{}: {result:?}",
                path.display()
            );
            if let Ok(p) = &result {
                assert_well_formed(p);
            }
            n += 1;
        }
    }
    assert!(n >= 30, "only {n} files replayed");
}

/// A year of half-hours ×  4 (175 200 rows, ~4.5 MB) as the portal writes it.
fn big_load_curve(rows: usize) -> Vec<u8> {
    let tz = TimeZone::get("Europe/Paris").unwrap();
    let mut s = format!("\u{FEFF}{META}\r\n1;Courbe de charge;;;;;;W;30\r\nHorodate;Valeur\r\n");
    let mut end = t("2016-01-01T00:00:00Z");
    for i in 0..rows {
        end += SignedDuration::from_mins(30);
        let z = end.to_zoned_datetime(tz.clone());
        s.push_str(&z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string());
        s.push(';');
        if i % 997 != 0 {
            s.push_str(&(150 + (i * 7919) % 3000).to_string());
        }
        s.push_str("\r\n");
    }
    s.into_bytes()
}

#[test]
fn a_year_of_half_hours_parses_completely() {
    let bytes = big_load_curve(17_520);
    let p = ok(&bytes);
    let s = series(&p, Quantity::ElectricEnergy);
    assert_eq!(s.readings.len(), 17_520);
    assert_eq!(s.readings.iter().filter(|r| r.value.is_none()).count(), 18);
    assert_well_formed(&p);
}

#[test]
fn a_damaged_index_in_a_water_file_is_refused_with_its_line() {
    let file = "Date de relevé;Index relevé (litres);Consommation du jour (litres);Index Mesuré/Estimé\n\
                12/05/2026 12:00;2043537;80;Mesuré\n\
                13/05/2026 12:00;12x100300;71;Mesuré\n";
    let err = parse(file.as_bytes()).unwrap_err();
    let ImportError::AtLine { line, message } = err else {
        panic!("{err:?}")
    };
    assert_eq!(line, 3);
    assert!(message.contains("Index relevé"), "{message}");
}

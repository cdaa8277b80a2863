//! The XLSX reader against hostile workbooks (issue 9, finding 4): a 1.6 KB
//! file declaring `A1:XFD1048576`, cells far apart, zip bombs (declared and
//! lying sizes), too many cells, one long shared string named by many cells,
//! truncated files. Each is refused with a sentence (or unrecognised), in
//! bounded memory, and the caps of `selfdata_energy::fuzzing::check_xlsx`
//! hold.
//!
//! The nasty workbooks are built here, by [`nasty_cases`]; the ones small
//! enough to commit live in `tests/corpus/xlsx_*.xlsx` (where
//! `tests/import.rs` and the `xlsx` fuzz target pick them up too). The test
//! `the_committed_corpus_is_what_the_generator_writes` keeps both in step;
//! regenerate with `cargo test -p selfdata-energy --test xlsx -- --ignored`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use selfdata_energy::fuzzing::{check_import, check_xlsx};
use selfdata_energy::import::xlsx::{MAX_CELLS, Workbook, XlsxError};
use selfdata_energy::import::{detect, parse};
use selfdata_energy::{ImportError, Layout};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

const HEADER_ROW: &str = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Date de relevé</t></is></c><c r="B1" t="inlineStr"><is><t>Volume consommé (m3)</t></is></c><c r="C1" t="inlineStr"><is><t>Energie consommée (kWh)</t></is></c></row>"#;

fn sheet_xml(dimension: Option<&str>, rows: &str) -> String {
    let dimension = dimension
        .map(|d| format!(r#"<dimension ref="{d}"/>"#))
        .unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>{rows}</sheetData></worksheet>"#
    )
}

/// A minimal workbook around one sheet (and optional shared strings),
/// deflated, with fixed dates so that the bytes are reproducible.
fn workbook(sheet: &[u8], shared: Option<&[u8]>) -> Vec<u8> {
    let rels = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;
    let book = r#"<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
    let types = r#"<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>"#;
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(9))
        .last_modified_time(DateTime::default());
    let mut zip = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut parts: Vec<(&str, &[u8])> = vec![
        ("[Content_Types].xml", types.as_bytes()),
        ("xl/workbook.xml", book.as_bytes()),
        ("xl/_rels/workbook.xml.rels", rels.as_bytes()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    if let Some(shared) = shared {
        parts.push(("xl/sharedStrings.xml", shared));
    }
    for (name, bytes) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Rewrites the uncompressed size the zip declares for `name` (in its local
/// header and its central directory entry): a zip that lies.
fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let le16 = |b: &[u8], at: usize| usize::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let mut patched = 0;
    for at in 0..zip.len().saturating_sub(46) {
        let (size_at, name_len_at, name_at) = match &zip[at..at + 4] {
            b"PK\x03\x04" => (22, 26, 30),
            b"PK\x01\x02" => (24, 28, 46),
            _ => continue,
        };
        let len = le16(zip, at + name_len_at);
        if zip.get(at + name_at..at + name_at + len) == Some(name.as_bytes()) {
            zip[at + size_at..at + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "{name} not found twice");
}

/// The committed nasty workbooks: file name (in `tests/corpus/`) and bytes
/// (built once per test run).
fn nasty_cases() -> Vec<(&'static str, Vec<u8>)> {
    static CASES: std::sync::OnceLock<Vec<(&'static str, Vec<u8>)>> = std::sync::OnceLock::new();
    CASES.get_or_init(build_nasty_cases).clone()
}

fn build_nasty_cases() -> Vec<(&'static str, Vec<u8>)> {
    let mut cases = Vec::new();
    // Finding 4 as reported: two cells, A1 and XFD1048576, and a dimension
    // saying so; a dense reader allocates 2^34 cells (512 GiB).
    let far = format!(r#"{HEADER_ROW}<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#);
    cases.push((
        "xlsx_dimension_bomb.xlsx",
        workbook(sheet_xml(Some("A1:XFD1048576"), &far).as_bytes(), None),
    ));
    // The same cells without a dimension: the used range is found, and capped.
    cases.push((
        "xlsx_far_cells.xlsx",
        workbook(sheet_xml(None, &far).as_bytes(), None),
    ));
    // A sheet part of 40 MiB of blanks, deflated to a few dozen KB.
    let mut bomb = sheet_xml(None, HEADER_ROW).into_bytes();
    let at = bomb.len() - "</sheetData></worksheet>".len();
    bomb.splice(at..at, std::iter::repeat_n(b' ', 40 << 20));
    cases.push(("xlsx_zip_bomb.xlsx", workbook(&bomb, None)));
    // 8 MiB of blanks, under the size caps but a thousandfold compression:
    // stopped while decompressing.
    let mut blanks = sheet_xml(None, HEADER_ROW).into_bytes();
    let at = blanks.len() - "</sheetData></worksheet>".len();
    blanks.splice(at..at, std::iter::repeat_n(b' ', 8 << 20));
    let ratio = workbook(&blanks, None);
    // The same declaring 1000 bytes: not read past what it declares.
    let mut lying = ratio.clone();
    declare_size(&mut lying, "xl/worksheets/sheet1.xml", 1000);
    cases.push(("xlsx_ratio_bomb.xlsx", ratio));
    cases.push(("xlsx_lying_size.xlsx", lying));
    // One shared string of almost 1 MiB, named by 20 × 1000 cells of the
    // rows where the header is looked for: 20 GB if copied into each cell.
    let long = format!(
        r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>{}</t></si></sst>"#,
        "a".repeat(1_000_000)
    );
    let mut rows = String::new();
    for r in 1..=20 {
        rows.push_str(&format!(r#"<row r="{r}">"#));
        for _ in 0..1000 {
            rows.push_str(r#"<c t="s"><v>0</v></c>"#);
        }
        rows.push_str("</row>");
    }
    cases.push((
        "xlsx_shared_string_amplification.xlsx",
        workbook(sheet_xml(None, &rows).as_bytes(), Some(long.as_bytes())),
    ));
    // A real GRDF export cut in half, and cut just before its end.
    let grdf = std::fs::read(corpus().join("grdf_export.xlsx")).unwrap();
    cases.push(("xlsx_truncated_half.xlsx", grdf[..grdf.len() / 2].to_vec()));
    cases.push(("xlsx_truncated_end.xlsx", grdf[..grdf.len() - 10].to_vec()));
    cases
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn case(name: &str) -> Vec<u8> {
    nasty_cases()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn refused(bytes: &[u8]) -> String {
    assert_eq!(detect(bytes), Some(Layout::GrdfXlsx));
    match parse(bytes) {
        Err(ImportError::Invalid(sentence)) => sentence,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_1_6_kb_xlsx_declaring_a1_to_xfd1048576_is_refused_with_a_sentence() {
    let bytes = case("xlsx_dimension_bomb.xlsx");
    assert!(bytes.len() < 2048, "{} bytes", bytes.len());
    let sentence = refused(&bytes);
    assert!(
        sentence.contains("too large to read safely") && sentence.contains("A1:XFD1048576"),
        "{sentence}"
    );
}

#[test]
fn xlsx_cells_far_apart_are_refused_without_a_dense_range() {
    let sentence = refused(&case("xlsx_far_cells.xlsx"));
    assert!(sentence.contains("spans more than"), "{sentence}");
}

#[test]
fn an_xlsx_zip_bomb_is_refused_by_its_declared_size() {
    let bytes = case("xlsx_zip_bomb.xlsx");
    assert!(bytes.len() < 100_000, "{} bytes", bytes.len());
    let sentence = refused(&bytes);
    assert!(sentence.contains("declares 41943"), "{sentence}");
}

#[test]
fn an_xlsx_part_compressed_a_thousandfold_is_stopped_while_decompressing() {
    let bytes = case("xlsx_ratio_bomb.xlsx");
    let sentence = refused(&bytes);
    assert!(sentence.contains("times its compressed size"), "{sentence}");
    // What was read before stopping: less than a fifth of the 8 MiB.
    let mut book = Workbook::open(&bytes).unwrap();
    assert!(matches!(book.sheet(0), Err(XlsxError::TooLarge(_))));
    assert!(book.usage().largest_part < 2 << 20, "{:?}", book.usage());
}

#[test]
fn an_xlsx_part_lying_about_its_size_is_not_read_past_it() {
    let bytes = case("xlsx_lying_size.xlsx");
    let mut book = Workbook::open(&bytes).unwrap();
    // The damaged sheet is skipped (the zip reader stops at the declared
    // size and the CRC check fails); nothing like 8 MiB is decompressed.
    assert!(matches!(book.sheet(0), Ok(None)));
    assert!(book.usage().largest_part <= 8 * 1024, "{:?}", book.usage());
    assert!(matches!(parse(&bytes), Err(ImportError::Unrecognised)));
}

#[test]
fn a_long_shared_string_named_by_many_cells_is_not_copied() {
    let bytes = case("xlsx_shared_string_amplification.xlsx");
    let started = std::time::Instant::now();
    // No GRDF header: unrecognised, quickly.
    assert_eq!(detect(&bytes), None);
    assert!(matches!(parse(&bytes), Err(ImportError::Unrecognised)));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_sheet_with_too_many_cells_is_refused() {
    // Numbers that differ, so that the part compresses like real data.
    let mut rows = String::from(HEADER_ROW);
    let mut n = 0usize;
    let mut r = 2;
    while n <= MAX_CELLS {
        rows.push_str(&format!(r#"<row r="{r}">"#));
        for c in ["A", "B", "C", "D", "E", "F", "G", "H"] {
            rows.push_str(&format!(
                r#"<c r="{c}{r}"><v>{}</v></c>"#,
                n * 7919 % 100_003
            ));
            n += 1;
        }
        rows.push_str("</row>");
        r += 1;
    }
    let bytes = workbook(sheet_xml(None, &rows).as_bytes(), None);
    let sentence = refused(&bytes);
    assert!(
        sentence.contains(&format!("more than {MAX_CELLS} cells")),
        "{sentence}"
    );
}

#[test]
fn truncated_workbooks_are_unrecognised() {
    for name in ["xlsx_truncated_half.xlsx", "xlsx_truncated_end.xlsx"] {
        let bytes = case(name);
        assert_eq!(detect(&bytes), None, "{name}");
        assert!(
            matches!(parse(&bytes), Err(ImportError::Unrecognised)),
            "{name}"
        );
    }
}

#[test]
fn every_nasty_case_keeps_the_caps() {
    for (name, bytes) in nasty_cases() {
        let result = std::panic::catch_unwind(|| {
            check_xlsx(&bytes);
            check_import(&bytes);
        });
        assert!(result.is_ok(), "{name}");
    }
}

/// Replays every file of `tests/corpus/` (meter files and workbooks alike)
/// through the XLSX reader's checks; `tests/import.rs` replays them through
/// the importers.
#[test]
fn the_corpus_keeps_the_xlsx_caps() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check_xlsx(&bytes));
        assert!(result.is_ok(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 38, "only {n} files");
}

#[test]
fn the_committed_corpus_is_what_the_generator_writes() {
    for (name, bytes) in nasty_cases() {
        let committed = std::fs::read(corpus().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e} (run the ignored write_corpus test)"));
        assert!(
            committed == bytes,
            "{name} differs from what the generator writes"
        );
    }
}

/// Writes the nasty workbooks into `tests/corpus/`.
#[test]
#[ignore = "writes files; run by hand after changing the generator"]
fn write_corpus() {
    for (name, bytes) in nasty_cases() {
        std::fs::write(corpus().join(name), bytes).unwrap();
    }
}

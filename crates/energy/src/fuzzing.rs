//! Property checks shared by the fuzz targets (`fuzz/`) and the corpus
//! replay tests (`tests/import.rs`, `tests/xlsx.rs`), so both exercise
//! exactly the same code.
//!
//! Each `check_*` function takes arbitrary bytes and panics only when an
//! invariant of this crate is broken; an input that is merely invalid is
//! fine. Invariants checked:
//! - the importers never panic; `parse` says `Unrecognised` (or `EmptyFile`)
//!   exactly when `detect` finds no layout, agrees with it on the layout, and
//!   every series it returns is sorted without overlaps; the contract's
//!   [`selfdata_sources::import`] over [`crate::import::IMPORTERS`] gives the
//!   same result as the one-pass [`crate::import::import`];
//! - the XLSX reader's caps hold whatever the zip declares: what it
//!   decompresses stays within the per-part and total budgets (give or take
//!   one read), a sheet keeps at most `MAX_CELLS` cells over a used range of
//!   at most `MAX_AREA`, its rows and cells come out sorted and unique.

use crate::ImportError;
use crate::import::xlsx::{
    MAX_AREA, MAX_CELLS, MAX_PART_BYTES, MAX_TOTAL_BYTES, READ_CHUNK, Workbook, XlsxError,
};
use crate::import::{detect, parse};

/// The importers on any bytes.
pub fn check_import(data: &[u8]) {
    let layout = detect(data);
    let parsed = parse(data);
    let refused = parsed.as_ref().err().cloned();
    let one_pass = crate::import::import(data);
    let contract = selfdata_sources::import(&crate::import::importers(), data);
    assert_eq!(one_pass, contract);
    match one_pass {
        Ok(p) => assert_eq!(Ok(&p), parsed.as_ref()),
        Err(r) => assert_eq!(Some(r.error), refused),
    }
    match parsed {
        Err(ImportError::Unrecognised | ImportError::EmptyFile) => {
            assert!(layout.is_none(), "detected {layout:?}")
        }
        Err(_) => assert!(layout.is_some(), "an error without a layout"),
        Ok(parsed) => {
            assert_eq!(Some(parsed.layout), layout);
            for series in &parsed.series {
                for pair in series.readings.windows(2) {
                    assert!(pair[0].start < pair[0].end);
                    assert!(pair[0].end <= pair[1].start, "{pair:?}");
                }
            }
        }
    }
}

/// The XLSX reader on any bytes: its caps hold.
pub fn check_xlsx(data: &[u8]) {
    let mut book = match Workbook::open(data) {
        Ok(book) => book,
        Err(XlsxError::NotWorkbook) => return,
        Err(XlsxError::TooLarge(sentence)) => {
            assert!(sentence.len() > 10, "{sentence}");
            return;
        }
    };
    check_usage(&book);
    for i in 0..book.sheet_count() {
        match book.sheet(i) {
            Ok(Some(sheet)) => {
                assert!(sheet.len() <= MAX_CELLS, "{} cells", sheet.len());
                let mut low = (u32::MAX, u32::MAX);
                let mut high = (0, 0);
                for pair in sheet.rows.windows(2) {
                    assert!(pair[0].index < pair[1].index, "rows out of order");
                }
                for row in &sheet.rows {
                    let columns: Vec<u32> = sheet.cells(row).map(|(c, _)| c).collect();
                    assert!(!columns.is_empty(), "an empty row is kept");
                    assert!(
                        columns.windows(2).all(|p| p[0] < p[1]),
                        "cells out of order"
                    );
                    low = (low.0.min(row.index), low.1.min(columns[0]));
                    high = (
                        high.0.max(row.index),
                        high.1.max(columns[columns.len() - 1]),
                    );
                }
                if !sheet.is_empty() {
                    let area = u64::from(high.0 - low.0 + 1) * u64::from(high.1 - low.1 + 1);
                    assert!(area <= MAX_AREA, "a used range of {area} cells");
                }
            }
            Ok(None) => {}
            Err(XlsxError::TooLarge(sentence)) => {
                assert!(sentence.len() > 10, "{sentence}");
                check_usage(&book);
                return;
            }
            Err(XlsxError::NotWorkbook) => panic!("a damaged sheet is skipped, not an error"),
        }
        check_usage(&book);
    }
}

fn check_usage(book: &Workbook<'_>) {
    let usage = book.usage();
    assert!(
        usage.bytes <= MAX_TOTAL_BYTES + READ_CHUNK,
        "{} bytes decompressed",
        usage.bytes
    );
    assert!(
        usage.largest_part <= MAX_PART_BYTES + READ_CHUNK,
        "a part of {} bytes decompressed",
        usage.largest_part
    );
}

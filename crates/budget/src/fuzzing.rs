//! The property the fuzz target `budget_import` (`fuzz/`) checks, shared
//! with the replay tests (`tests/xml.rs`, over `tests/fixtures/` cut and
//! flipped) so both exercise exactly the same code.
//!
//! [`check_import`] takes arbitrary bytes and panics only when an invariant
//! of this crate is broken; a file that is merely refused is fine:
//! - the importers never panic; a refusal says `Unrecognised` (or
//!   `EmptyFile`) exactly when no layout's `detect` takes the file, and every
//!   line named (a refusal's, a transaction's) is a line of the file;
//! - a file read is read by the first layout that detects it, holds
//!   `rows` transactions (at least one), every date written back as text
//!   reads back as the same day (what the normalised CSVs rely on), and
//!   every statement's amounts and balances add up in an `i64` without
//!   overflowing.

use jiff::civil::Date;
use selfdata_sources::{ImportError, Importer, Lang};

use crate::import::{IMPORTERS, import};

fn same_day_back(d: Date) {
    assert_eq!(d.to_string().parse::<Date>().ok(), Some(d), "{d}");
}

/// The importers on any bytes.
pub fn check_import(data: &[u8]) {
    // Lines end with LF, CRLF or (old Mac QIF files) a lone CR.
    let ends = |b: u8| data.iter().filter(|&&x| x == b).count();
    let lines = ends(b'\n').max(ends(b'\r')) + 1;
    let detected = IMPORTERS.iter().find(|l| l.detect(data)).copied();
    match import(data) {
        Err(refusal) => {
            match refusal.error {
                ImportError::Unrecognised | ImportError::EmptyFile => {
                    assert!(
                        detected.is_none() || refusal.error == ImportError::EmptyFile,
                        "refused as unrecognised, yet {detected:?} detects it"
                    )
                }
                _ => assert!(detected.is_some(), "an error without a layout"),
            }
            if let Some(line) = refusal.error.line() {
                assert!((1..=lines).contains(&line), "line {line} of {lines}");
            }
            assert!(!refusal.sentence(Lang::En).is_empty());
            assert!(!refusal.sentence(Lang::Fr).is_empty());
        }
        Ok(parsed) => {
            assert_eq!(Some(parsed.layout), detected);
            let rows: usize = parsed.statements.iter().map(|s| s.transactions.len()).sum();
            assert_eq!(rows, parsed.rows);
            assert!(rows > 0, "a statement read with no transaction");
            let mut total = 0i64;
            for s in &parsed.statements {
                if let Some((from, to)) = s.declared {
                    same_day_back(from);
                    same_day_back(to);
                }
                for b in &s.balances {
                    same_day_back(b.date);
                }
                let mut sum = 0i64;
                for t in &s.transactions {
                    same_day_back(t.date);
                    if let Some(v) = t.value_date {
                        same_day_back(v);
                    }
                    assert!((1..=lines).contains(&t.line), "line {} of {lines}", t.line);
                    assert_eq!(t.currency.len(), 3, "{}", t.currency);
                    sum = sum.checked_add(t.amount).expect("the amounts overflow");
                }
                for b in &s.balances {
                    sum.checked_add(b.amount)
                        .expect("balance and amounts overflow");
                }
                total = total.checked_add(sum).expect("the file's amounts overflow");
            }
        }
    }
}

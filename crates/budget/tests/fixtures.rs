//! The statement importers tested as data: every file in `tests/fixtures/`
//! is read through the import contract and its normalised output compared
//! with the expected file beside it (`x.csv` → `x.expected.json`): layout,
//! holder, rows, and per statement the account, the declared period, the
//! balances and every transaction as `date amount currency kind fitid | label | memo`
//! (amounts in cents written as decimals), or the refusal and its line.
//!
//! A new layout is a fixture pair. After a deliberate change, refresh the
//! expected files with `SELFDATA_BLESS=1 cargo test -p selfdata-budget
//! --test fixtures` and read the diff before committing.

use std::path::{Path, PathBuf};

use selfdata_budget::import::import;
use selfdata_budget::money::format_cents;
use selfdata_budget::sources::Lang;
use serde_json::{Value, json};

const EXPECTED: &str = ".expected.json";

fn normalised(bytes: &[u8]) -> Value {
    match import(bytes) {
        Ok(p) => json!({
            "layout": p.layout.describe(),
            "holder": p.holder.name,
            "holder_slug": p.holder.slug,
            "rows": p.rows,
            "notes": p.notes.iter().map(|n| &n.en).collect::<Vec<_>>(),
            "statements": p.statements.iter().map(|s| json!({
                "account": {
                    "iban": s.account.iban, "bank_code": s.account.bank_code,
                    "branch": s.account.branch, "number": s.account.number,
                    "label": s.account.label,
                },
                "declared": s.declared.map(|(a, b)| [a.to_string(), b.to_string()]),
                "balances": s.balances.iter()
                    .map(|b| format!("{} {} {}", b.date, format_cents(b.amount), b.kind.as_str()))
                    .collect::<Vec<_>>(),
                "transactions": s.transactions.iter()
                    .map(line)
                    .collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Err(refusal) => json!({
            "refused": {
                "line": refusal.error.line(),
                "en": refusal.sentence(Lang::En),
                "fr": refusal.sentence(Lang::Fr),
            }
        }),
    }
}

/// `date amount currency kind fitid|- | label | memo`, then ` | value DATE`
/// and ` | bank CATEGORY` when the file gives them.
fn line(t: &selfdata_budget::Transaction) -> String {
    let mut s = format!(
        "{} {} {} {} {} | {} | {}",
        t.date,
        format_cents(t.amount),
        t.currency,
        t.kind.as_str(),
        t.fitid.as_deref().unwrap_or("-"),
        t.label,
        t.memo
    );
    if let Some(v) = t.value_date {
        s.push_str(&format!(" | value {v}"));
    }
    if let Some(c) = &t.bank_category {
        s.push_str(&format!(" | bank {c}"));
    }
    s
}

fn fixtures() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(EXPECTED))
        .collect();
    out.sort();
    out
}

fn expected_path(fixture: &Path) -> PathBuf {
    let stem = fixture.file_stem().unwrap().to_string_lossy();
    fixture.with_file_name(format!("{stem}{EXPECTED}"))
}

#[test]
fn every_fixture_gives_its_expected_normalised_output() {
    let bless = std::env::var_os("SELFDATA_BLESS").is_some();
    let mut failures = Vec::new();
    for fixture in fixtures() {
        let got = normalised(&std::fs::read(&fixture).unwrap());
        let path = expected_path(&fixture);
        if bless {
            let text = serde_json::to_string_pretty(&got).unwrap() + "\n";
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!(
                "{}: no expected file (run with SELFDATA_BLESS=1)",
                fixture.display()
            ));
            continue;
        };
        let expected: Value = serde_json::from_str(&text).unwrap();
        if got != expected {
            failures.push(format!(
                "{}:\n expected {expected:#}\n got      {got:#}",
                fixture.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

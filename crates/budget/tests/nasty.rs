//! Crafted and damaged statements: the importers never panic, and a file
//! cut anywhere is either read (when the cut falls between rows) or refused
//! with a sentence, never half-read into something else.

use selfdata_budget::import::import;
use selfdata_budget::sources::Lang;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn a_statement_cut_at_any_byte_is_read_up_to_a_whole_row_or_refused() {
    let whole = fixture("credit_agricole.csv");
    let full = import(&whole).unwrap();
    for cut in 0..whole.len() {
        match import(&whole[..cut]) {
            Ok(p) => {
                // Only whole rows: each transaction read is exactly one of the
                // file's (a label or an amount cut short would differ).
                let all = &full.statements[0].transactions;
                for t in &p.statements[0].transactions {
                    assert!(all.contains(t), "cut at byte {cut}: {t:?}");
                }
            }
            Err(r) => assert!(!r.sentence(Lang::En).is_empty()),
        }
    }
}

#[test]
fn hostile_bytes_never_panic() {
    let whole = fixture("credit_agricole.csv");
    let mut cases: Vec<Vec<u8>> = vec![
        vec![0xFF; 4096],
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n".repeat(50),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n99/99/9999;x;1;;\n".to_vec(),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n01/01/2021;x;99999999999999999999999;;\n"
            .to_vec(),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n01/01/2021;\"x;1;;\n".to_vec(),
    ];
    for i in (0..whole.len()).step_by(7) {
        let mut flipped = whole.clone();
        flipped[i] ^= 0x5A;
        cases.push(flipped);
    }
    for case in cases {
        let _ = import(&case);
    }
}

/// Found by the `budget_import` fuzz target: a `Solde au` line whose first
/// ten bytes after it end inside an accented letter (UTF-8) panicked.
#[test]
fn a_balance_line_with_an_accented_letter_in_its_date_is_not_a_panic() {
    let whole = fixture("credit_agricole.csv");
    let text = selfdata_budget::sources::text::decode(&whole);
    assert!(text.contains("Solde au 30/09/2021"));
    let bad = text.replace("Solde au 30/09/2021", "Solde au 30/09/202Ó");
    let p = import(bad.as_bytes()).expect("read");
    assert!(
        p.statements[0].balances.is_empty(),
        "a damaged balance is not read"
    );
}

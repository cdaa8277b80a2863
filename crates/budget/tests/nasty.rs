//! Crafted and damaged statements: the importers never panic, and a file
//! cut anywhere is either read (when the cut falls between rows) or refused
//! with a sentence, never half-read into something else.

use selfdata_budget::Transaction;
use selfdata_budget::import::{MAX_TRANSACTIONS, import};
use selfdata_budget::sources::Lang;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn all(p: &selfdata_budget::Parsed) -> Vec<&Transaction> {
    p.statements.iter().flat_map(|s| &s.transactions).collect()
}

/// The layouts whose rows show a cut: a record end (`^`), a trailing
/// separator, or a last column that a cut makes unreadable or leaves the
/// transaction whole (currency, balance). La Banque Postale's last column is
/// the amount: a row cut inside it at the very end of a file cannot be told
/// from a whole one.
const CUT_SHOWS: &[&str] = &[
    "credit_agricole.csv",
    "qif_bank_dmy.qif",
    "qif_bank_mdy.qif",
    "qif_two_accounts_named.qif",
    "societe_generale.csv",
    "boursobank.csv",
    "credit_mutuel.csv",
];

#[test]
fn a_statement_cut_at_any_byte_is_read_up_to_a_whole_row_or_refused() {
    for name in CUT_SHOWS {
        let whole = fixture(name);
        let full = import(&whole).unwrap();
        let full = all(&full);
        for cut in 0..whole.len() {
            match import(&whole[..cut]) {
                // Only whole rows: each transaction read is exactly one of the
                // file's (a label or an amount cut short would differ).
                Ok(p) => {
                    for t in all(&p) {
                        assert!(full.contains(&t), "{name} cut at byte {cut}: {t:?}");
                    }
                }
                Err(r) => assert!(!r.sentence(Lang::En).is_empty()),
            }
        }
    }
}

#[test]
fn hostile_bytes_never_panic() {
    let mut cases: Vec<Vec<u8>> = vec![
        vec![0xFF; 4096],
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n".repeat(50),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n99/99/9999;x;1;;\n".to_vec(),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n01/01/2021;x;99999999999999999999999;;\n"
            .to_vec(),
        b"Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\n01/01/2021;\"x;1;;\n".to_vec(),
        b"!Type:Bank\nD99/99'99\nT1\n^\n".to_vec(),
        b"!Type:Bank\nD\nT\n^\n^\n^\n".to_vec(),
        b"!Type:Bank\nD1/1/1\xff\xfe\nT\xe9\n^".to_vec(),
        b"!Account\n!Type:\n".to_vec(),
        "dateOp;dateVal;label;category\n2021-13-45;;é;\n".as_bytes().to_vec(),
        b"\xEF\xBB\xBFdateOp;dateVal;label;category;amount\n\"".to_vec(),
        b"\xFF\xFEd\x00a\x00t\x00e\x00".to_vec(),
    ];
    for name in [
        "credit_agricole.csv",
        "qif_bank_dmy.qif",
        "qif_two_accounts_named.qif",
        "boursobank.csv",
        "societe_generale.csv",
        "la_banque_postale.csv",
        "credit_mutuel.csv",
    ] {
        let whole = fixture(name);
        for i in (0..whole.len()).step_by(7) {
            for flip in [0x5A, 0x80, 0x22 ^ whole[i], 0x0A ^ whole[i]] {
                let mut flipped = whole.clone();
                flipped[i] ^= flip;
                cases.push(flipped);
            }
        }
    }
    for case in cases {
        let _ = import(&case);
    }
}

#[test]
fn a_balance_line_whose_date_ends_in_an_accented_letter_never_panics() {
    // The balance line's date was cut at its 10th byte, inside the `é`.
    let file = b"Solde au 30/09/202\xe9 1 234,56 \x80;;;\r\n\
        Date;Libell\xe9;D\xe9bit Euros;Cr\xe9dit Euros;\r\n\
        26/09/2021;\"CB CAFE\";3,50;;\r\n";
    let p = import(file).unwrap();
    assert!(p.statements[0].balances.is_empty());
    assert_eq!(p.rows, 1);
}

#[test]
fn a_qif_file_past_the_cap_is_refused_at_the_record_that_passes_it() {
    let mut body = b"!Type:Bank\n".to_vec();
    for _ in 0..=MAX_TRANSACTIONS {
        body.extend_from_slice(b"D01/02/2021\nT-1,00\nPCB CAFE\n^\n");
    }
    let refusal = import(&body).unwrap_err();
    // Each record is 4 lines after the !Type line.
    assert_eq!(refusal.error.line(), Some(2 + 4 * MAX_TRANSACTIONS));
    let en = refusal.sentence(Lang::En);
    assert!(en.contains("more than 500,000 transactions"), "{en}");
}

/// The most negative amount once overflowed on `abs()`; amounts past a
/// billion euros are now refused at their line, whichever column holds them.
#[test]
fn a_debit_of_the_most_negative_amount_is_read_without_overflow() {
    for (debit, credit) in [("-92233720368547758,08", ""), ("", "-92233720368547758,08")] {
        let file =
            format!("Date;Libellé;Débit Euros;Crédit Euros;\n26/09/2021;\"X\";{debit};{credit};\n");
        let refusal = import(file.as_bytes()).unwrap_err();
        assert_eq!(refusal.error.line(), Some(2));
    }
}

//! What a file read anyway tells the resident, in French as in English:
//! a QIF file whose date order had to be assumed, a Crédit Mutuel balance
//! column that does not add up.

use selfdata_budget::import::import;

fn notes(name: &str) -> Vec<(String, String)> {
    let bytes = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap();
    import(&bytes)
        .unwrap()
        .notes
        .into_iter()
        .map(|n| (n.en, n.fr))
        .collect()
}

#[test]
fn a_qif_file_with_no_day_above_12_says_its_dates_were_read_day_first() {
    let notes = notes("qif_date_order_assumed.qif");
    assert_eq!(notes.len(), 1);
    assert!(
        notes[0]
            .1
            .starts_with("dates lues jour/mois : le fichier ne le dit pas")
    );
    assert!(notes[0].0.starts_with("dates read day/month"));
    assert!(self::notes("qif_bank_dmy.qif").is_empty());
    assert!(self::notes("qif_bank_mdy.qif").is_empty());
}

#[test]
fn a_running_balance_that_does_not_add_up_is_told_with_its_line_not_refused() {
    let notes = notes("credit_mutuel_balance_mismatch.csv");
    assert_eq!(notes.len(), 1);
    let (en, fr) = &notes[0];
    assert!(
        en.starts_with("line 3: the balance column says 371.16"),
        "{en}"
    );
    assert!(
        fr.starts_with("ligne 3 : la colonne Solde indique 371,16 là où le solde précédent et le montant donnent 361,16 (2 lignes ainsi)"),
        "{fr}"
    );
    assert!(self::notes("credit_mutuel.csv").is_empty());
}

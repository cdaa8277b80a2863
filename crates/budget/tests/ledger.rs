//! Merging statements into an account's ledger: nothing twice, identical
//! same-day payments kept apart, and the stored CSV read back as written.

use jiff::civil::date;
use selfdata_budget::Transaction;
use selfdata_budget::ledger::{entries, from_csv, merge, to_csv};

fn tx(day: i8, cents: i64, label: &str) -> Transaction {
    Transaction::new(0, date(2021, 9, day), cents, label)
}

#[test]
fn the_same_statement_imported_twice_adds_nothing_and_an_overlap_adds_only_the_new_days() {
    let september = [
        tx(1, -2340, "PRLV SEPA EDF"),
        tx(2, -450, "CB CAFE DU COIN"),
    ];
    let (ledger, added) = merge(&[], &entries(&september));
    assert_eq!(added, 2);
    let (same, added) = merge(&ledger, &entries(&september));
    assert_eq!((same.len(), added), (2, 0));
    let overlap = [
        tx(2, -450, "CB CAFE DU COIN"),
        tx(3, 210_000, "VIR ACME SAS"),
    ];
    let (more, added) = merge(&ledger, &entries(&overlap));
    assert_eq!((more.len(), added), (3, 1));
    assert_eq!(more[2].amount, 210_000);
}

#[test]
fn two_identical_coffees_on_one_day_stay_two_and_a_third_later_that_day_is_added() {
    let noon = [
        tx(2, -250, "CB CAFE DU COIN"),
        tx(2, -250, "CB CAFE DU COIN"),
    ];
    let (ledger, added) = merge(&[], &entries(&noon));
    assert_eq!(added, 2, "two coffees are two");
    let night = [
        tx(2, -250, "CB CAFE DU COIN"),
        tx(2, -250, "CB  Café du coin"),
        tx(2, -250, "CB CAFE DU COIN"),
    ];
    let (ledger, added) = merge(&ledger, &entries(&night));
    assert_eq!(
        added, 1,
        "only the third, whatever the label's spacing or accents"
    );
    assert_eq!(ledger.len(), 3);
}

#[test]
fn the_stored_csv_reads_back_as_written_labels_with_commas_and_quotes_included() {
    let tricky = [
        tx(
            26,
            -2340,
            "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921",
        ),
        tx(27, -104_520, "PAIEMENT PAR CARTE X1234 INTERMARCHE, 25/09"),
        tx(28, 5, "VIR \"CADEAU\" MAMIE"),
    ];
    let ledger = entries(&tricky);
    let csv = to_csv(&ledger);
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.starts_with(
            "date,value_date,amount,currency,kind,label,memo,fitid,seq,bank_category\n2021-09-26,,-23.40,EUR,direct-debit,"
        ),
        "{text}"
    );
    assert_eq!(from_csv(&csv).unwrap(), ledger);
    let bad = from_csv(
        b"date,value_date,amount,currency,kind,label,memo,fitid,seq,bank_category\n\
          2021-09-26,,-1.00,EUR,card,a,,,1,\n2021-09-27,,x,EUR,card,a,,,1,\n",
    )
    .unwrap_err();
    assert_eq!(bad.line, 3, "{bad}");
}

#[test]
fn the_same_bank_id_is_the_same_transaction_even_when_its_label_was_reworded() {
    let mut first = tx(5, -1349, "PRLV SEPA NETFLIX");
    first.fitid = Some("A1".into());
    let mut again = tx(5, -1349, "PRLV SEPA NETFLIX.COM 0512");
    again.fitid = Some("A1".into());
    let (ledger, _) = merge(&[], &entries(&[first]));
    let (ledger, added) = merge(&ledger, &entries(&[again]));
    assert_eq!((ledger.len(), added), (1, 0));
}

#[test]
fn the_same_payments_from_an_ofx_with_cut_names_and_from_the_csv_are_not_added_twice() {
    let csv = [
        tx(26, -2340, "PRLV SEPA EDF CLIENTS PARTICULIERS ECH/260921"),
        tx(27, -350, "CB CAFE DE LA GARE DU NORD 27/09"),
        tx(27, -350, "CB CAFE DE LA GARE DU NORD 27/09"),
    ];
    let (ledger, _) = merge(&[], &entries(&csv));
    // The OFX cuts names at 32 characters; one coffee more, later that day.
    let ofx = [
        tx(26, -2340, "PRLV SEPA EDF CLIENTS PARTICULIE"),
        tx(27, -350, "CB CAFE DE LA GARE DU NORD 27/09"),
        tx(27, -350, "CB CAFE DE LA GARE DU NORD 27/09"),
        tx(27, -350, "CB CAFE DE LA GARE DU NORD 27/09"),
        tx(28, -2340, "PRLV SEPA EDF CLIENTS PARTICULIE"),
    ];
    let (ledger, added) = merge(&ledger, &entries(&ofx));
    assert_eq!(
        added, 2,
        "the third coffee and the 28th's debit: {ledger:#?}"
    );
    assert_eq!(ledger.len(), 5);
    // A short label is not taken for the beginning of another.
    let (_, added) = merge(&ledger, &entries(&[tx(26, -2340, "PRLV")]));
    assert_eq!(added, 1);
}

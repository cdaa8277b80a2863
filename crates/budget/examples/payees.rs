//! The payees of ten years of busy accounts, timed beside the subscription
//! detector over the same rows (the baseline: both reduce every label to its
//! payee once). `cargo run --release -p selfdata-budget --example payees`
//! prints the rows, both times, their ratio and the payees kept.

use std::time::Instant;

use selfdata_budget::accounts::Account;
use selfdata_budget::book::Book;
use selfdata_budget::ledger::{Entry, entries};
use selfdata_budget::payees::{select, tally};
use selfdata_budget::recurring::{detect, occurrences};

fn main() {
    let files = selfdata_budget::demo::history(7, 10, 3);
    let mut accounts: Vec<Account> = Vec::new();
    let mut per_account: Vec<(String, Vec<Entry>)> = Vec::new();
    for f in &files {
        let Ok(parsed) = selfdata_budget::import::import(&f.bytes) else {
            eprintln!("{}: not read", f.name);
            return;
        };
        for s in parsed.statements {
            let id = s.account.number.clone().unwrap_or_default();
            if !accounts.iter().any(|a| a.id == id) {
                accounts.push(Account {
                    id: id.clone(),
                    holder: parsed.holder.clone(),
                    iban: None,
                    bank_code: None,
                    branch: None,
                    number: Some(id.clone()),
                    label: None,
                    currency: "EUR".to_owned(),
                });
            }
            per_account.push((id, entries(&s.transactions)));
        }
    }
    let book = Book::new(accounts, per_account, Vec::new(), Vec::new(), Vec::new());

    let t = Instant::now();
    let found = detect(&occurrences(&book), selfdata_budget::demo::HISTORY_END);
    let detector = t.elapsed();

    let t = Instant::now();
    let all = tally(&book);
    let tallied = t.elapsed();
    let t = Instant::now();
    let kept = select(&all, &found, |_| false);
    let selected = t.elapsed();

    println!("{} transactions", book.rows.len());
    println!("subscription detector (baseline): {detector:.2?}");
    println!(
        "payees tally: {tallied:.2?} ({:.2}x the baseline); select: {selected:.2?}",
        tallied.as_secs_f64() / detector.as_secs_f64()
    );
    println!("{} payees paid, {} kept", all.len(), kept.len());
}

//! A pod's money as loaded for queries: every account, every transaction
//! (sorted by day) and the balances the banks stated. The JSON API and the
//! pages read the same [`Book`], so they show the same figures.

use jiff::civil::Date;

use crate::accounts::Account;
use crate::ledger::{Entry, LedgerError};
use crate::money::{format_cents, parse_cents};

/// One transaction of one account.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into [`Book::accounts`].
    pub account: usize,
    pub entry: Entry,
}

/// A balance a bank stated for an account on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stated {
    pub account: String,
    pub date: Date,
    pub amount: i64,
    pub kind: String,
}

/// An account's balance today, as far as the files tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The last stated balance plus what was booked after it; `None` when no
    /// file ever stated one.
    pub balance: Option<i64>,
    /// The day of the stated balance it starts from.
    pub stated_on: Option<Date>,
    /// The last day with a transaction.
    pub last: Option<Date>,
    pub transactions: usize,
}

/// Everything a pod holds about money, sorted for queries.
#[derive(Debug, Clone, Default)]
pub struct Book {
    pub accounts: Vec<Account>,
    /// Sorted by day.
    pub rows: Vec<Row>,
    pub balances: Vec<Stated>,
}

impl Book {
    /// Builds the book from each account's entries.
    pub fn new(
        accounts: Vec<Account>,
        per_account: Vec<(String, Vec<Entry>)>,
        balances: Vec<Stated>,
    ) -> Book {
        let mut rows = Vec::with_capacity(per_account.iter().map(|(_, e)| e.len()).sum());
        for (id, entries) in per_account {
            let Some(account) = accounts.iter().position(|a| a.id == id) else {
                continue;
            };
            rows.extend(entries.into_iter().map(|entry| Row { account, entry }));
        }
        rows.sort_by_key(|r| r.entry.date);
        Book {
            accounts,
            rows,
            balances,
        }
    }

    /// The transactions booked on days `[from, to)`.
    pub fn between(&self, from: Date, to: Date) -> &[Row] {
        let a = self.rows.partition_point(|r| r.entry.date < from);
        let b = self.rows.partition_point(|r| r.entry.date < to);
        &self.rows[a..b.max(a)]
    }

    /// Where account `i` stands: its last stated balance carried forward.
    pub fn standing(&self, i: usize) -> Standing {
        let id = &self.accounts[i].id;
        let mine = || self.rows.iter().filter(|r| r.account == i);
        let stated = self
            .balances
            .iter()
            .filter(|b| &b.account == id)
            .max_by_key(|b| b.date);
        let balance = stated.map(|s| {
            s.amount
                + mine()
                    .filter(|r| r.entry.date > s.date)
                    .map(|r| r.entry.amount)
                    .sum::<i64>()
        });
        Standing {
            balance,
            stated_on: stated.map(|s| s.date),
            last: mine().map(|r| r.entry.date).max(),
            transactions: mine().count(),
        }
    }
}

/// The columns of `balances.csv`.
pub const BALANCES_HEADER: [&str; 4] = ["account", "date", "amount", "kind"];

/// Balances as `balances.csv`.
pub fn balances_to_csv(all: &[Stated]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut ok = w.write_record(BALANCES_HEADER).is_ok();
    for b in all {
        ok &= w
            .write_record([
                b.account.as_str(),
                &b.date.to_string(),
                &format_cents(b.amount),
                b.kind.as_str(),
            ])
            .is_ok();
    }
    debug_assert!(ok, "writing to a Vec cannot fail");
    w.into_inner().unwrap_or_default()
}

/// Reads `balances.csv` back; a damaged line is named.
pub fn balances_from_csv(bytes: &[u8]) -> Result<Vec<Stated>, LedgerError> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = r.position().line() as usize;
        let bad = |m: String| LedgerError { line, message: m };
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(e.to_string())),
        }
        let f = |i: usize| record.get(i).unwrap_or("");
        out.push(Stated {
            account: f(0).to_owned(),
            date: f(1).parse().map_err(|_| bad("bad date".into()))?,
            amount: parse_cents(f(2))
                .ok()
                .flatten()
                .ok_or_else(|| bad("bad amount".into()))?,
            kind: f(3).to_owned(),
        });
    }
    Ok(out)
}

/// Adds the balances a statement states to those known (each account, day
/// and kind once); returns whether any was new.
pub fn add_balances(known: &mut Vec<Stated>, account: &str, stated: &[crate::Balance]) -> bool {
    let mut changed = false;
    for b in stated {
        let s = Stated {
            account: account.to_owned(),
            date: b.date,
            amount: b.amount,
            kind: b.kind.as_str().to_owned(),
        };
        if let Some(old) = known
            .iter_mut()
            .find(|k| k.account == s.account && k.date == s.date && k.kind == s.kind)
        {
            if old.amount != s.amount {
                old.amount = s.amount;
                changed = true;
            }
        } else {
            known.push(s);
            changed = true;
        }
    }
    known.sort_by(|a, b| (&a.account, a.date).cmp(&(&b.account, b.date)));
    changed
}

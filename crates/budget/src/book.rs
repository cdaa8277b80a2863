//! A pod's money as loaded for queries: every account, every transaction
//! (sorted by day) with its category, the balances the banks stated, and
//! the month × category sums that make a summary of years cheap. The JSON
//! API and the pages read the same [`Book`], so they show the same figures.
//!
//! Categories are computed when the book is built, never stored with the
//! transactions: the resident's corrections and rules (documents in the
//! pod) and the starter rules decide ([`crate::categorise`]); a transfer
//! between two of the resident's accounts (the same amount out of one and
//! into another within three days) is an internal transfer, left out of
//! what was spent and received.

use std::collections::HashMap;

use jiff::ToSpan;
use jiff::civil::Date;

use crate::accounts::Account;
use crate::categorise::{Categoriser, Decision, TxView, Why};
use crate::category;
use crate::ledger::{Entry, LedgerError};
use crate::money::{format_cents, parse_cents};
use crate::rules::{Correction, Rule};

/// The category of internal transfers.
pub const INTERNAL: &str = "virements-internes";

/// One transaction of one account.
#[derive(Debug, Clone)]
pub struct Row {
    /// Index into [`Book::accounts`].
    pub account: usize,
    pub entry: Entry,
    /// `None`: uncategorised.
    pub category: Option<&'static str>,
    /// The other side, when it is a transfer between the resident's accounts.
    pub transfer_with: Option<usize>,
}

impl Row {
    /// Whether it is money moved between the resident's own accounts:
    /// matched with its other side, or in the internal transfers' category
    /// (or one under it). Such a row pays no one.
    pub fn is_internal(&self) -> bool {
        self.transfer_with.is_some() || is_internal_category(self.category)
    }
}

/// Whether `category` is the internal transfers' category or one under it.
pub fn is_internal_category(category: Option<&str>) -> bool {
    category.is_some_and(|c| {
        c.strip_prefix(INTERNAL)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Sums of one category (or of none) over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sum {
    pub amount: i64,
    pub count: u32,
}

impl Sum {
    fn add(&mut self, amount: i64) {
        self.amount += amount;
        self.count += 1;
    }

    fn merge(&mut self, other: Sum) {
        self.amount += other.amount;
        self.count += other.count;
    }
}

/// What one month (or any period) gave, by category.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The 1st of the month.
    pub month: Option<Date>,
    /// Money out, internal transfers left out (negative).
    pub spent: i64,
    /// Money in, internal transfers left out.
    pub received: i64,
    /// By category, in the tree's order; only those with transactions.
    pub categories: Vec<(&'static str, Sum)>,
    pub uncategorised: Sum,
    pub internal: Sum,
}

/// Per month and category, for summaries over many months.
#[derive(Debug, Clone, Default)]
struct Cells {
    /// Index: category's place in the tree; then uncategorised, internal.
    sums: Vec<Sum>,
    spent: i64,
    received: i64,
}

fn month_index(d: Date) -> i32 {
    i32::from(d.year()) * 12 + i32::from(d.month()) - 1
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
#[derive(Debug)]
pub struct Book {
    pub accounts: Vec<Account>,
    /// Sorted by day.
    pub rows: Vec<Row>,
    pub balances: Vec<Stated>,
    /// The resident's own rules and corrections, as the pod holds them.
    pub rules: Vec<Rule>,
    pub corrections: Vec<Correction>,
    categoriser: Categoriser,
    /// Month index → sums.
    months: HashMap<i32, Cells>,
}

impl Default for Book {
    fn default() -> Book {
        Book::new(Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new())
    }
}

impl Book {
    /// Builds the book from each account's entries and the resident's
    /// rules and corrections.
    pub fn new(
        accounts: Vec<Account>,
        per_account: Vec<(String, Vec<Entry>)>,
        balances: Vec<Stated>,
        rules: Vec<Rule>,
        corrections: Vec<Correction>,
    ) -> Book {
        let categoriser = Categoriser::new(&rules, &corrections);
        let mut rows = Vec::with_capacity(per_account.iter().map(|(_, e)| e.len()).sum());
        for (id, entries) in per_account {
            let Some(account) = accounts.iter().position(|a| a.id == id) else {
                continue;
            };
            rows.extend(entries.into_iter().map(|entry| Row {
                account,
                entry,
                category: None,
                transfer_with: None,
            }));
        }
        rows.sort_by_key(|r| r.entry.date);
        let mut book = Book {
            accounts,
            rows,
            balances,
            rules,
            corrections,
            categoriser,
            months: HashMap::new(),
        };
        book.pair_transfers();
        let decided: Vec<Option<&'static str>> = (0..book.rows.len())
            .map(|i| book.decision(i).category)
            .collect();
        for (row, category) in book.rows.iter_mut().zip(decided) {
            row.category = category;
        }
        book.months = book.sum_months();
        book
    }

    fn view(&self, i: usize) -> TxView<'_> {
        let r = &self.rows[i];
        TxView {
            account: &self.accounts[r.account].id,
            date: r.entry.date,
            amount: r.entry.amount,
            kind: r.entry.kind,
            label: &r.entry.label,
            memo: &r.entry.memo,
            seq: r.entry.seq,
            bank_category: r.entry.bank_category.as_deref(),
        }
    }

    /// Row `i` as the categoriser sees it (to learn from a correction).
    pub fn tx_view(&self, i: usize) -> TxView<'_> {
        self.view(i)
    }

    /// Row `i`'s category and why, as the resident reads it: their own
    /// choice or rule first, then an internal transfer, then the rest.
    pub fn decision(&self, i: usize) -> Decision {
        let d = self.categoriser.categorise(&self.view(i));
        let by_resident = matches!(
            d.why,
            Why::Corrected { .. } | Why::Learned { .. } | Why::Resident { .. }
        );
        match self.rows[i].transfer_with {
            Some(other) if !by_resident => Decision {
                category: Some(INTERNAL),
                why: Why::Transfer {
                    other: self.accounts[self.rows[other].account].name(),
                },
            },
            _ => d,
        }
    }

    /// Pairs each debit with a credit of the same amount on another of the
    /// resident's accounts within three days (the nearest day first).
    fn pair_transfers(&mut self) {
        if self.accounts.len() < 2 {
            return;
        }
        let mut credits: HashMap<i64, Vec<usize>> = HashMap::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.entry.amount > 0 {
                credits.entry(r.entry.amount).or_default().push(i);
            }
        }
        for i in 0..self.rows.len() {
            let (amount, date, account) = {
                let r = &self.rows[i];
                (r.entry.amount, r.entry.date, r.account)
            };
            if amount >= 0 {
                continue;
            }
            let Some(candidates) = credits.get(&-amount) else {
                continue;
            };
            let best = candidates
                .iter()
                .copied()
                .filter(|&j| {
                    let c = &self.rows[j];
                    c.account != account
                        && c.transfer_with.is_none()
                        && (c.entry.date - date).get_days().abs() <= 3
                })
                .min_by_key(|&j| (self.rows[j].entry.date - date).get_days().abs());
            if let Some(j) = best {
                self.rows[i].transfer_with = Some(j);
                self.rows[j].transfer_with = Some(i);
            }
        }
    }

    fn slot(category: Option<&'static str>) -> usize {
        let tree = category::tree();
        match category {
            Some(INTERNAL) => tree.len() + 1,
            Some(c) => tree.iter().position(|t| t.id == c).unwrap_or(tree.len()),
            None => tree.len(),
        }
    }

    fn empty_cells() -> Cells {
        Cells {
            sums: vec![Sum::default(); category::tree().len() + 2],
            ..Cells::default()
        }
    }

    fn add_row(cells: &mut Cells, r: &Row) {
        cells.sums[Self::slot(r.category)].add(r.entry.amount);
        if r.category != Some(INTERNAL) {
            if r.entry.amount < 0 {
                cells.spent += r.entry.amount;
            } else {
                cells.received += r.entry.amount;
            }
        }
    }

    fn sum_months(&self) -> HashMap<i32, Cells> {
        let mut out: HashMap<i32, Cells> = HashMap::new();
        for r in &self.rows {
            let cells = out
                .entry(month_index(r.entry.date))
                .or_insert_with(Self::empty_cells);
            Self::add_row(cells, r);
        }
        out
    }

    fn summary_of(cells: &Cells, month: Option<Date>) -> Summary {
        let tree = category::tree();
        Summary {
            month,
            spent: cells.spent,
            received: cells.received,
            categories: tree
                .iter()
                .enumerate()
                .filter(|(i, c)| c.id != INTERNAL && cells.sums[*i].count > 0)
                .map(|(i, c)| (c.id, cells.sums[i]))
                .collect(),
            uncategorised: cells.sums[tree.len()],
            internal: cells.sums[tree.len() + 1],
        }
    }

    /// Month by month over the months `[from, to)` touches; a month cut by
    /// `from` or `to` is summed from its rows, a whole one read from the
    /// month × category sums.
    pub fn monthly(&self, from: Date, to: Date) -> Vec<Summary> {
        let mut out = Vec::new();
        let mut month = from.first_of_month();
        while month < to {
            let next = month.checked_add(1.month()).unwrap_or(to);
            let summary = if month >= from && next <= to {
                match self.months.get(&month_index(month)) {
                    Some(c) => Self::summary_of(c, Some(month)),
                    None => Self::summary_of(&Self::empty_cells(), Some(month)),
                }
            } else {
                let mut c = Self::empty_cells();
                for r in self.between(month.max(from), next.min(to)) {
                    Self::add_row(&mut c, r);
                }
                Self::summary_of(&c, Some(month))
            };
            out.push(summary);
            month = next;
        }
        out
    }

    /// The whole of `[from, to)` as one summary.
    pub fn total(&self, from: Date, to: Date) -> Summary {
        Self::total_of(&self.monthly(from, to))
    }

    /// Months' summaries as one.
    pub fn total_of(months: &[Summary]) -> Summary {
        let mut all = Summary::default();
        let mut by_cat: Vec<(&'static str, Sum)> = Vec::new();
        for m in months {
            all.spent += m.spent;
            all.received += m.received;
            all.uncategorised.merge(m.uncategorised);
            all.internal.merge(m.internal);
            for &(c, s) in &m.categories {
                match by_cat.iter_mut().find(|(x, _)| *x == c) {
                    Some((_, t)) => t.merge(s),
                    None => by_cat.push((c, s)),
                }
            }
        }
        let tree = category::tree();
        by_cat.sort_by_key(|(c, _)| tree.iter().position(|t| t.id == *c));
        all.categories = by_cat;
        all
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_transfers_are_their_category_and_the_ones_under_it_only() {
        assert!(is_internal_category(Some(INTERNAL)));
        assert!(is_internal_category(Some("virements-internes/epargne")));
        assert!(!is_internal_category(Some("virements-internesque")));
        assert!(!is_internal_category(Some("logement/loyer")));
        assert!(!is_internal_category(None));
    }
}

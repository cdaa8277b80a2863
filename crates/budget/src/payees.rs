//! The organisations a resident pays, from a pod's [`Book`]: each payee
//! (as [`crate::payee`] reduces a label) with how often, since when and how
//! it was paid, and the subscription found for it, if any. They hold the
//! resident's identity and payment details; "who has what on me" lists them.
//!
//! Which payees count, and why:
//! - every one paid by direct debit, even once: a SEPA mandate gives them
//!   the resident's name and IBAN;
//! - every one paid by card at least twice ([`MIN_CARD_PAYMENTS`]): a
//!   relationship, not a single purchase on a trip. Subscriptions
//!   ([`crate::recurring`]) are among these two, since they recur; the
//!   one found for a payee (unless the resident dismissed it) says how often;
//! - at most [`MAX_PAYEES`], direct debits and subscriptions first, then
//!   the most often paid: years of statements name hundreds of shops, and
//!   the directory must stay a list a resident reads.
//!
//! Left out: credits, internal transfers, cash, cheques, bank fees and
//! interest (the bank itself is in the directory as the holder that
//! delivered the statements), and payees paid only by transfer, even
//! monthly: a standing order most often feeds the resident's own savings
//! account at another bank ("VIREMENT VERS LIVRET A"), which the statements
//! cannot tell from a landlord.
//!
//! [`tally`] reads every row once (the costly part: each label reduced to
//! its payee, about 2 µs a row); [`select`] applies the rules to a tally, so
//! a caller can keep the tally for as long as the book does not change.

use std::collections::HashMap;

use jiff::civil::Date;

use crate::book::Book;
use crate::model::Kind;
use crate::payee::payee;
use crate::recurring::{Period, Recurring};

/// The most payees listed.
pub const MAX_PAYEES: usize = 200;

/// Card payments that make a payee count without a subscription or a direct debit.
pub const MIN_CARD_PAYMENTS: usize = 2;

/// One organisation the resident pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    /// The normalised payee (`NETFLIX`, `EDF CLIENTS PARTICULIERS`).
    pub payee: String,
    /// Debits to it, however paid.
    pub count: usize,
    pub first: Date,
    pub last: Date,
    pub by_card: usize,
    pub by_direct_debit: usize,
    /// By transfer, cheque or otherwise.
    pub other: usize,
    /// The subscription found for it: its period, and whether it ended.
    pub subscription: Option<(Period, bool)>,
    /// The category most of its debits are in (the first by id on a tie),
    /// if any is.
    pub category: Option<&'static str>,
}

impl Paid {
    fn kept(&self) -> bool {
        self.by_direct_debit > 0 || self.by_card >= MIN_CARD_PAYMENTS
    }

    /// Mandates and subscriptions first, then the most often paid, the latest.
    fn rank(&self) -> (bool, std::cmp::Reverse<usize>, std::cmp::Reverse<Date>) {
        (
            self.subscription.is_none() && self.by_direct_debit == 0,
            std::cmp::Reverse(self.count),
            std::cmp::Reverse(self.last),
        )
    }
}

/// Every payee the resident paid in `book` (debits other than internal
/// transfers, cash, fees and interest), by name, without a subscription.
pub fn tally(book: &Book) -> Vec<Paid> {
    let mut by_name: HashMap<String, Paid> = HashMap::new();
    let mut categories: HashMap<(String, &'static str), usize> = HashMap::new();
    for r in &book.rows {
        let e = &r.entry;
        if e.amount >= 0
            || r.is_internal()
            || matches!(e.kind, Kind::Cash | Kind::Fee | Kind::Interest)
        {
            continue;
        }
        let name = payee(&e.label, &e.memo).name;
        if name.trim().is_empty() {
            continue;
        }
        let p = by_name.entry(name).or_insert_with_key(|name| Paid {
            payee: name.clone(),
            count: 0,
            first: e.date,
            last: e.date,
            by_card: 0,
            by_direct_debit: 0,
            other: 0,
            subscription: None,
            category: None,
        });
        if let Some(c) = r.category {
            *categories.entry((p.payee.clone(), c)).or_default() += 1;
        }
        p.count += 1;
        p.first = p.first.min(e.date);
        p.last = p.last.max(e.date);
        match e.kind {
            Kind::Card => p.by_card += 1,
            Kind::DirectDebit => p.by_direct_debit += 1,
            _ => p.other += 1,
        }
    }
    let mut best: HashMap<String, (usize, &'static str)> = HashMap::new();
    for ((payee, c), n) in categories {
        let b = best.entry(payee).or_insert((n, c));
        if n > b.0 || (n == b.0 && c < b.1) {
            *b = (n, c);
        }
    }
    let mut out: Vec<Paid> = by_name.into_values().collect();
    for p in &mut out {
        p.category = best.get(&p.payee).map(|&(_, c)| c);
    }
    out.sort_by(|a, b| a.payee.cmp(&b.payee));
    out
}

/// The payees of a [`tally`] worth listing (see the module's rules), at
/// most [`MAX_PAYEES`], each with its subscription: `found` is what
/// [`crate::recurring::detect`] found, `dismissed` says which of its keys
/// the resident dismissed.
pub fn select(tally: &[Paid], found: &[Recurring], dismissed: impl Fn(&str) -> bool) -> Vec<Paid> {
    let mut out: Vec<Paid> = tally.iter().filter(|p| p.kept()).cloned().collect();
    // A payee with several (two accounts, a plan changed): the running one.
    for r in found.iter().filter(|r| !r.income && !dismissed(&r.key)) {
        if let Some(p) = out.iter_mut().find(|p| p.payee == r.payee) {
            let better = match p.subscription {
                None => true,
                Some((_, ended)) => ended && !r.ended,
            };
            if better {
                p.subscription = Some((r.period, r.ended));
            }
        }
    }
    out.sort_by(|a, b| a.rank().cmp(&b.rank()).then_with(|| a.payee.cmp(&b.payee)));
    out.truncate(MAX_PAYEES);
    out
}

/// [`select`] over the [`tally`] of `book`.
pub fn paid(book: &Book, found: &[Recurring], dismissed: impl Fn(&str) -> bool) -> Vec<Paid> {
    select(&tally(book), found, dismissed)
}

#[cfg(test)]
mod tests {
    use jiff::ToSpan;
    use jiff::civil::date;

    use super::*;
    use crate::accounts::Account;
    use crate::ledger::Entry;
    use crate::model::Holder;
    use crate::recurring::{detect, occurrences};

    fn account(id: &str) -> Account {
        Account {
            id: id.to_owned(),
            holder: Holder::new("credit-agricole", "Crédit Agricole"),
            iban: None,
            bank_code: None,
            branch: None,
            number: Some(id.to_owned()),
            label: None,
            currency: "EUR".to_owned(),
        }
    }

    fn entry(date: Date, amount: i64, label: &str) -> Entry {
        Entry {
            date,
            value_date: None,
            amount,
            currency: "EUR".to_owned(),
            kind: Kind::of_label(label),
            label: label.to_owned(),
            memo: String::new(),
            fitid: None,
            seq: 1,
            bank_category: None,
        }
    }

    fn book(per_account: Vec<(&str, Vec<Entry>)>) -> Book {
        let accounts = per_account.iter().map(|(id, _)| account(id)).collect();
        let per_account = per_account
            .into_iter()
            .map(|(id, e)| (id.to_owned(), e))
            .collect();
        Book::new(accounts, per_account, Vec::new(), Vec::new(), Vec::new())
    }

    fn found(book: &Book, today: Date) -> Vec<Recurring> {
        detect(&occurrences(book), today)
    }

    fn names(list: &[Paid]) -> Vec<&str> {
        list.iter().map(|p| p.payee.as_str()).collect()
    }

    #[test]
    fn a_mandate_counts_once_a_shop_twice_and_money_that_is_not_a_payment_not_at_all() {
        let day = date(2024, 3, 4);
        let b = book(vec![
            (
                "current",
                vec![
                    entry(day, -2340, "PRELEVEMENT EDF CLIENTS PARTICULIERS"),
                    entry(day, -1200, "PAIEMENT PAR CARTE X1234 CAFE DU PORT 02/03"),
                    entry(day, -4500, "PAIEMENT PAR CARTE X1234 DECATHLON 02/03"),
                    entry(day.saturating_add(9.days()), -3100, "CB DECATHLON 11/03"),
                    entry(day, -6000, "RETRAIT DAB LYON"),
                    entry(day, -250, "FRAIS TENUE DE COMPTE"),
                    entry(day, 210_000, "VIREMENT EN VOTRE FAVEUR ACME SAS"),
                    entry(day, -50_000, "VIREMENT VERS LIVRET A"),
                ],
            ),
            (
                "savings",
                vec![entry(day, 50_000, "VIREMENT DE COMPTE COURANT")],
            ),
        ]);
        let list = paid(&b, &[], |_| false);
        assert_eq!(names(&list), ["EDF CLIENTS PARTICULIERS", "DECATHLON"]);
        let decathlon = &list[1];
        assert_eq!((decathlon.count, decathlon.by_card), (2, 2));
        assert_eq!((decathlon.first, decathlon.last), (day, date(2024, 3, 13)));
        assert_eq!(list[0].by_direct_debit, 1);
    }

    #[test]
    fn a_subscription_is_named_with_its_period_unless_dismissed_and_a_standing_order_is_not_a_payee()
     {
        let mut entries = Vec::new();
        for m in 0..12 {
            let d = date(2023, 1, 5).saturating_add(m.months());
            entries.push(entry(d, -1349, "PRELEVEMENT NETFLIX"));
            entries.push(entry(d, -20_000, "VIREMENT PERMANENT VERS LIVRET A"));
        }
        let b = book(vec![("current", entries)]);
        let f = found(&b, date(2023, 12, 20));
        assert_eq!(f.len(), 2, "both recur: {f:?}");
        let list = paid(&b, &f, |_| false);
        assert_eq!(names(&list), ["NETFLIX"], "the standing order is left out");
        assert_eq!(list[0].subscription, Some((Period::Monthly, false)));
        assert_eq!(list[0].count, 12);

        let key = f.iter().find(|r| r.payee == "NETFLIX").unwrap().key.clone();
        let dismissed = paid(&b, &f, |k| k == key);
        assert_eq!(names(&dismissed), ["NETFLIX"], "still paid by direct debit");
        assert_eq!(dismissed[0].subscription, None);

        let later = paid(&b, &found(&b, date(2024, 6, 1)), |_| false);
        assert_eq!(
            later[0].subscription,
            Some((Period::Monthly, true)),
            "ended"
        );
    }

    #[test]
    fn hundreds_of_shops_are_cut_at_the_cap_mandates_first_then_the_most_paid() {
        let day = date(2024, 1, 10);
        let mut entries = vec![entry(day, -999, "PRELEVEMENT MUTUELLE")];
        for i in 0..(MAX_PAYEES + 50) {
            let times = if i == 7 { 5 } else { 2 };
            for t in 0..times {
                entries.push(entry(
                    day.saturating_add((t as i64).days()),
                    -1000 - i as i64,
                    &format!("CB SHOP{} {}", char::from(b'A' + (i % 26) as u8), i / 26),
                ));
            }
        }
        let list = paid(&book(vec![("current", entries)]), &[], |_| false);
        assert_eq!(list.len(), MAX_PAYEES);
        assert_eq!(list[0].payee, "MUTUELLE");
        assert_eq!(list[1].count, 5, "the most paid shop next");
    }
}

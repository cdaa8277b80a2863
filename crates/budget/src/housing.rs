//! What the home costs, month by month over a year: rent or loan, energy
//! and water, home insurance, telecom, local taxes and works, from the
//! categories of the pod's transactions; beside each fluid what the energy
//! service says the month cost (handed in as plain [`KnownCost`]s), and
//! each energy or water debit linked to the period it pays
//! ([`crate::bills::match_bills`]) with the difference. Refunds count
//! against the cost (an EDF regularisation credit lowers that month's
//! electricity). The API and the page show the same [`Housing`].

use jiff::civil::Date;

use crate::bills::{self, BillDebit, BillLink, KnownCost, Topic};
use crate::book::Book;

/// One cost of the home.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Rent,
    Loan,
    Electricity,
    Gas,
    /// Electricity and gas on one contract, not split by a bill link.
    Energy,
    Water,
    Insurance,
    Telecom,
    LocalTaxes,
    Works,
}

impl Item {
    pub const ALL: [Item; 10] = [
        Item::Rent,
        Item::Loan,
        Item::Electricity,
        Item::Gas,
        Item::Energy,
        Item::Water,
        Item::Insurance,
        Item::Telecom,
        Item::LocalTaxes,
        Item::Works,
    ];

    /// Its name in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Item::Rent => "rent",
            Item::Loan => "loan",
            Item::Electricity => "electricity",
            Item::Gas => "gas",
            Item::Energy => "energy",
            Item::Water => "water",
            Item::Insurance => "insurance",
            Item::Telecom => "telecom",
            Item::LocalTaxes => "local_taxes",
            Item::Works => "works",
        }
    }

    /// The category it gathers.
    pub fn category(self) -> &'static str {
        match self {
            Item::Rent => "logement/loyer",
            Item::Loan => "logement/pret-immobilier",
            Item::Electricity => "logement/energie/electricite",
            Item::Gas => "logement/energie/gaz",
            Item::Energy => "logement/energie",
            Item::Water => "logement/eau",
            Item::Insurance => "logement/assurance-habitation",
            Item::Telecom => "logement/internet-telephone",
            Item::LocalTaxes => "logement/impots-locaux",
            Item::Works => "logement/charges-travaux",
        }
    }

    fn of_category(c: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.category() == c)
    }

    fn of_topic(t: Topic) -> Item {
        match t {
            Topic::Electricity => Item::Electricity,
            Topic::Gas => Item::Gas,
            Topic::Water => Item::Water,
        }
    }
}

/// One month of the home's costs (signed cents: costs negative).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Month {
    /// Its 1st day; `None` for a year's total.
    pub month: Option<Date>,
    /// In the order of [`Item::ALL`].
    pub items: [i64; 10],
    pub total: i64,
    /// What the energy service says the month cost (negative), per fluid
    /// in the order electricity, gas, water; `None` when it does not know.
    pub service: [Option<i64>; 3],
}

impl Month {
    fn empty(month: Option<Date>) -> Month {
        Month {
            month,
            items: [0; 10],
            total: 0,
            service: [None; 3],
        }
    }

    pub fn item(&self, i: Item) -> i64 {
        self.items[Item::ALL.iter().position(|x| *x == i).unwrap_or(0)]
    }
}

/// A bill debit with its link to the energy service's costs.
#[derive(Debug, Clone)]
pub struct Bill {
    /// Index into the book's rows.
    pub row: usize,
    pub link: BillLink,
}

/// A year of the home's costs.
#[derive(Debug, Clone)]
pub struct Housing {
    pub year: i16,
    pub months: Vec<Month>,
    pub total: Month,
    /// The year's energy and water debits, each linked or saying why not.
    pub bills: Vec<Bill>,
}

fn topic_index(t: Topic) -> usize {
    match t {
        Topic::Electricity => 0,
        Topic::Gas => 1,
        Topic::Water => 2,
    }
}

/// The home's costs in `year`, with the energy service's `known` costs.
pub fn housing(book: &Book, year: i16, known: &[KnownCost]) -> Housing {
    let months: Vec<Date> = (1..=12)
        .filter_map(|m| Date::new(year, m, 1).ok())
        .collect();
    let mut out: Vec<Month> = months.iter().map(|m| Month::empty(Some(*m))).collect();
    let (Some(&from), Some(to)) = (months.first(), Date::new(year.saturating_add(1), 1, 1).ok())
    else {
        return Housing {
            year,
            months: out,
            total: Month::empty(None),
            bills: Vec::new(),
        };
    };
    let start = book.rows.partition_point(|r| r.entry.date < from);
    let rows = book.between(from, to);
    // Bills: the year's energy and water debits and credits.
    let mut debits = Vec::new();
    let mut which = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(c) = r.category
            && matches!(
                c,
                "logement/energie/electricite"
                    | "logement/energie/gaz"
                    | "logement/energie"
                    | "logement/eau"
            )
        {
            debits.push(BillDebit {
                account: book.accounts[r.account].id.clone(),
                date: r.entry.date,
                amount: r.entry.amount,
                seq: r.entry.seq,
                label: r.entry.label.clone(),
                category: c.to_owned(),
            });
            which.push(start + i);
        }
    }
    let links = bills::match_bills(&debits, known);
    let mut split_of: std::collections::HashMap<usize, Vec<(Topic, i64)>> =
        std::collections::HashMap::new();
    for l in &links {
        if !l.split.is_empty() {
            split_of.insert(which[l.debit], l.split.clone());
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let Some(item) = r.category.and_then(Item::of_category) else {
            continue;
        };
        let m = usize::from(r.entry.date.month().unsigned_abs()) - 1;
        match split_of.get(&(start + i)) {
            Some(split) if item == Item::Energy => {
                for (t, amount) in split {
                    let k = Item::ALL.iter().position(|x| *x == Item::of_topic(*t));
                    out[m].items[k.unwrap_or(0)] += amount;
                }
            }
            _ => {
                let k = Item::ALL.iter().position(|x| *x == item).unwrap_or(0);
                out[m].items[k] += r.entry.amount;
            }
        }
    }
    for c in known {
        if c.month.year() == year {
            let m = usize::from(c.month.month().unsigned_abs()) - 1;
            let slot = &mut out[m].service[topic_index(c.topic)];
            *slot = Some(slot.unwrap_or(0) - c.cents);
        }
    }
    let mut total = Month::empty(None);
    for m in &mut out {
        m.total = m.items.iter().sum();
        for k in 0..10 {
            total.items[k] += m.items[k];
        }
        for k in 0..3 {
            if let Some(v) = m.service[k] {
                total.service[k] = Some(total.service[k].unwrap_or(0) + v);
            }
        }
    }
    total.total = total.items.iter().sum();
    Housing {
        year,
        months: out,
        total,
        bills: links
            .into_iter()
            .map(|link| Bill {
                row: which[link.debit],
                link,
            })
            .collect(),
    }
}

//! One account's transactions as kept in the pod: the normalised CSV
//! ([`HEADER`], amounts as `-23.40`) and the merge of a newly imported
//! statement into what is already there.
//!
//! Re-importing the same or an overlapping statement adds nothing twice,
//! in two passes:
//! 1. the bank's own id (`fitid`: OFX `FITID`, CAMT `AcctSvcrRef`) when both
//!    sides have one: the same id is the same transaction;
//! 2. otherwise its day, amount, label (compared without case, accents or
//!    spacing) and its rank among identical ones on that day (`seq`): two
//!    identical coffees on one day are 1 and 2 in every download that lists
//!    them, so they stay two, and a statement downloaded again later that
//!    day with a third adds only the third. Banks whose ids change between
//!    downloads fall through to this pass;
//! 3. the same payment in another layout of the bank (OFX names are cut at 32
//!    characters, the CSV has the whole label): same day and amount, one
//!    label the beginning of the other, each existing entry paired once.

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;
use selfdata_sources::text::norm;

use crate::model::{Kind, Transaction};
use crate::money::{format_cents, parse_cents};

/// A transaction as stored: what the bank said, and its rank among identical ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub date: Date,
    pub value_date: Option<Date>,
    pub amount: i64,
    pub currency: String,
    pub kind: Kind,
    pub label: String,
    pub memo: String,
    pub fitid: Option<String>,
    pub seq: u32,
    pub bank_category: Option<String>,
}

type Key = (Date, i64, String, u32);

impl Entry {
    fn key(&self) -> Key {
        (self.date, self.amount, norm(&self.label), self.seq)
    }
}

/// A statement's transactions with their ranks among identical ones.
pub fn entries(transactions: &[Transaction]) -> Vec<Entry> {
    let mut seen: HashMap<(Date, i64, String), u32> = HashMap::new();
    transactions
        .iter()
        .map(|t| {
            let rank = seen.entry((t.date, t.amount, norm(&t.label))).or_default();
            *rank += 1;
            Entry {
                date: t.date,
                value_date: t.value_date,
                amount: t.amount,
                currency: t.currency.to_owned(),
                kind: t.kind,
                label: one_line(&t.label),
                memo: one_line(&t.memo),
                fitid: t.fitid.clone().filter(|f| !f.trim().is_empty()),
                seq: *rank,
                bank_category: t.bank_category.clone(),
            }
        })
        .collect()
}

/// A bank's text on one line (a quoted CSV field may hold line breaks).
fn one_line(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.split(['\n', '\r'])
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        s.to_owned()
    }
}

/// Merges `incoming` into `existing` (both one account's): returns every
/// entry, sorted by date then as read, and how many were added.
pub fn merge(existing: &[Entry], incoming: &[Entry]) -> (Vec<Entry>, usize) {
    let fitids: HashSet<&str> = existing.iter().filter_map(|e| e.fitid.as_deref()).collect();
    let keys: Vec<Key> = existing.iter().map(Entry::key).collect();
    let known: HashSet<&Key> = keys.iter().collect();
    let mut unmatched: Vec<&Entry> = Vec::new();
    let mut taken: HashSet<Key> = HashSet::new();
    for e in incoming {
        let key = e.key();
        let same_id = e.fitid.as_deref().is_some_and(|f| fitids.contains(f));
        if same_id || known.contains(&key) {
            taken.insert(key);
        } else {
            unmatched.push(e);
        }
    }
    // Pass 3: the same payment written otherwise by another layout of the
    // same bank (an OFX `NAME` cut at 32 characters, the CSV's whole label):
    // same day and amount, one label the beginning of the other.
    let mut spare: HashMap<(Date, i64), Vec<&Entry>> = HashMap::new();
    if !unmatched.is_empty() {
        for (x, k) in existing.iter().zip(&keys) {
            if !taken.contains(k) {
                spare.entry((x.date, x.amount)).or_default().push(x);
            }
        }
    }
    let mut out = existing.to_vec();
    let mut added = 0;
    for e in unmatched {
        let twins = spare.get_mut(&(e.date, e.amount));
        let twin = twins.as_ref().and_then(|xs| {
            let label = norm(&e.label);
            xs.iter().position(|x| {
                let other = norm(&x.label);
                let (short, long) = if other.len() < label.len() {
                    (&other, &label)
                } else {
                    (&label, &other)
                };
                short.len() >= MIN_PREFIX && short != long && long.starts_with(short.as_str())
            })
        });
        match (twins, twin) {
            (Some(xs), Some(i)) => {
                xs.swap_remove(i);
            }
            _ => {
                out.push(e.clone());
                added += 1;
            }
        }
    }
    out.sort_by_key(|e| e.date);
    (out, added)
}

/// The shortest label taken as the beginning of another (OFX names are cut
/// at 32 characters; a shorter one says too little to be the same payment).
const MIN_PREFIX: usize = 12;

/// The columns of the stored CSV, in order.
pub const HEADER: [&str; 10] = [
    "date",
    "value_date",
    "amount",
    "currency",
    "kind",
    "label",
    "memo",
    "fitid",
    "seq",
    "bank_category",
];

/// The entries as the pod's CSV.
pub fn to_csv(entries: &[Entry]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(64 + entries.len() * 72));
    let mut ok = w.write_record(HEADER).is_ok();
    for e in entries {
        let (date, value, amount, seq) = (
            e.date.to_string(),
            e.value_date.map(|d| d.to_string()).unwrap_or_default(),
            format_cents(e.amount),
            e.seq.to_string(),
        );
        ok &= w
            .write_record([
                date.as_str(),
                value.as_str(),
                amount.as_str(),
                e.currency.as_str(),
                e.kind.as_str(),
                e.label.as_str(),
                e.memo.as_str(),
                e.fitid.as_deref().unwrap_or(""),
                seq.as_str(),
                e.bank_category.as_deref().unwrap_or(""),
            ])
            .is_ok();
    }
    debug_assert!(ok, "writing to a Vec cannot fail");
    w.into_inner().unwrap_or_default()
}

/// Why a stored CSV could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LedgerError {
    pub line: usize,
    pub message: String,
}

/// Reads the pod's CSV back (a resident may have edited it: every problem
/// names its line).
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Entry>, LedgerError> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let header_ok = r
        .headers()
        .map(|h| h.iter().eq(HEADER.iter().copied()))
        .unwrap_or(false);
    if !header_ok {
        return Err(LedgerError {
            line: 1,
            message: format!("expected the header {}", HEADER.join(",")),
        });
    }
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = r.position().line() as usize;
        let bad = |m: &str| LedgerError {
            line,
            message: m.to_owned(),
        };
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(bad(&e.to_string())),
        }
        let f = |i: usize| record.get(i).unwrap_or("");
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        out.push(Entry {
            date: f(0).parse().map_err(|_| bad("bad date"))?,
            value_date: match f(1) {
                "" => None,
                v => Some(v.parse().map_err(|_| bad("bad value date"))?),
            },
            amount: parse_cents(f(2))
                .ok()
                .flatten()
                .ok_or_else(|| bad("bad amount"))?,
            currency: f(3).to_owned(),
            kind: Kind::parse(f(4)).ok_or_else(|| bad("bad kind"))?,
            label: f(5).to_owned(),
            memo: f(6).to_owned(),
            fitid: opt(f(7)),
            seq: f(8).parse().map_err(|_| bad("bad seq"))?,
            bank_category: opt(f(9)),
        });
    }
    Ok(out)
}

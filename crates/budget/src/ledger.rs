//! One account's transactions as kept in the pod: the normalised CSV
//! (`date,amount,currency,kind,label,seq`, amounts as `-23.40`) and the
//! merge of a newly imported statement into what is already there.
//!
//! Re-importing the same or an overlapping statement adds nothing twice. A
//! transaction is known by its day, amount, label (compared without case,
//! accents or spacing) and its rank among identical ones on that day
//! (`seq`): two identical coffees on one day are 1 and 2 in every download
//! that lists them, so they stay two, and a statement downloaded again
//! later that day with a third adds only the third.

use std::collections::HashMap;

use jiff::civil::Date;
use selfdata_sources::text::norm;

use crate::model::{Kind, Transaction};
use crate::money::{format_cents, parse_cents};

/// A transaction as stored: what the bank said, and its rank among identical ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub date: Date,
    pub amount: i64,
    pub currency: String,
    pub kind: Kind,
    pub label: String,
    pub seq: u32,
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
                amount: t.amount,
                currency: t.currency.to_owned(),
                kind: t.kind,
                label: t.label.clone(),
                seq: *rank,
            }
        })
        .collect()
}

/// Merges `incoming` into `existing` (both one account's): returns every
/// entry, sorted by date then as read, and how many were added.
pub fn merge(existing: &[Entry], incoming: &[Entry]) -> (Vec<Entry>, usize) {
    let known: std::collections::HashSet<Key> = existing.iter().map(Entry::key).collect();
    let mut out = existing.to_vec();
    let mut added = 0;
    for e in incoming {
        if !known.contains(&e.key()) {
            out.push(e.clone());
            added += 1;
        }
    }
    out.sort_by_key(|e| e.date);
    (out, added)
}

const HEADER: &str = "date,amount,currency,kind,label,seq";

/// The entries as the pod's CSV.
pub fn to_csv(entries: &[Entry]) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push('\n');
    for e in entries {
        let label = if e.label.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", e.label.replace('"', "\"\""))
        } else {
            e.label.clone()
        };
        out.push_str(&format!(
            "{},{},{},{},{label},{}\n",
            e.date,
            format_cents(e.amount),
            e.currency,
            e.kind.as_str(),
            e.seq
        ));
    }
    out.into_bytes()
}

/// Why a stored CSV could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LedgerError {
    pub line: usize,
    pub message: String,
}

/// Reads the pod's CSV back.
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Entry>, LedgerError> {
    let text = std::str::from_utf8(bytes).map_err(|_| LedgerError {
        line: 1,
        message: "not UTF-8".into(),
    })?;
    let mut out = Vec::new();
    let mut fields = Vec::new();
    for (n, line) in selfdata_sources::text::lines(text).skip(1) {
        if line.is_empty() {
            continue;
        }
        let bad = |m: &str| LedgerError {
            line: n,
            message: m.to_owned(),
        };
        selfdata_sources::text::split_into(line, ',', &mut fields);
        let [date, amount, currency, kind, label, seq] = fields[..] else {
            return Err(bad("expected six fields"));
        };
        out.push(Entry {
            date: date.parse().map_err(|_| bad("bad date"))?,
            amount: parse_cents(amount)
                .ok()
                .flatten()
                .ok_or_else(|| bad("bad amount"))?,
            currency: currency.to_owned(),
            kind: Kind::parse(kind).ok_or_else(|| bad("bad kind"))?,
            label: label.replace("\"\"", "\""),
            seq: seq.parse().map_err(|_| bad("bad seq"))?,
        });
    }
    Ok(out)
}

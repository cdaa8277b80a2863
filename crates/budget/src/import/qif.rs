//! QIF, the Quicken Interchange Format many banks still offer: a
//! `!Type:Bank` (or `Cash`, `CCard`, `Oth A`, `Oth L`) line, then records
//! of one-letter fields (`D` date, `T` amount, `P` payee, `M` memo, `L`
//! category, `A` address), each ended by a `^` line. An `!Account` block
//! (`N` name) before a section names the account; several accounts give
//! one statement each.
//!
//! QIF never says whether its dates are day/month or month/day: a date
//! whose first number is above 12 shows day first, one whose second is
//! shows month first; both in one file is refused at the line that
//! contradicts, neither is read day first and said so in a note. Two-digit
//! years (`21`, `'21`) are 2000–2069, else 1900s. Investment, memorised and
//! category sections are refused at their line.

use jiff::civil::Date;
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, lines, shown};

use super::{MAX_TRANSACTIONS, too_many};
use crate::banks;
use crate::model::{AccountRef, Holder, Kind, Layout, Note, Parsed, Statement, Transaction};
use crate::money::parse_cents;

/// How much of a file detection reads.
const SNIFF_BYTES: usize = 4096;

/// Whether the first non-blank line opens a QIF file.
pub(super) fn detect(bytes: &[u8]) -> bool {
    let text = decode(&bytes[..bytes.len().min(SNIFF_BYTES)]);
    lines(&text)
        .map(|(_, l)| l.trim())
        .find(|l| !l.is_empty())
        .is_some_and(|l| {
            let l = l.to_ascii_lowercase();
            ["!type:", "!account", "!option:"]
                .iter()
                .any(|p| l.starts_with(p))
        })
}

/// Which number of a date comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    DayFirst,
    MonthFirst,
}

/// A `D` field as written: (first, second, year), or a full ISO date.
#[derive(Debug, Clone, Copy)]
enum Written {
    Ambiguous(i8, i8, i16),
    Iso(Date),
}

fn year(y: &str, apostrophe: bool) -> Option<i16> {
    let n: i16 = y.parse().ok()?;
    match y.len() {
        1 | 2 if apostrophe || n < 70 => Some(2000 + n),
        1 | 2 => Some(1900 + n),
        4 => Some(n),
        _ => None,
    }
}

/// `26/09/2021`, `03/10/21`, `9/26'21`, `1/ 5'02`, `26.09.2021`, `2021-09-26`.
fn written(s: &str) -> Option<Written> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let apostrophe = s.contains('\'');
    let parts: Vec<&str> = s.split(['/', '-', '.', '\'']).collect();
    let [a, b, c] = parts[..] else {
        return None;
    };
    if !(a.len() <= 4
        && [a, b, c]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
    {
        return None;
    }
    if a.len() == 4 {
        return Date::new(a.parse().ok()?, b.parse().ok()?, c.parse().ok()?)
            .ok()
            .map(Written::Iso);
    }
    if b.len() > 2 {
        return None;
    }
    Some(Written::Ambiguous(
        a.parse().ok()?,
        b.parse().ok()?,
        year(c, apostrophe)?,
    ))
}

/// A record read, its date not yet placed in the file's order.
struct Record {
    line: usize,
    date: (usize, String, Written),
    amount: i64,
    label: String,
    memo: String,
    category: Option<String>,
    transfer: bool,
}

/// The fields of the record being read.
#[derive(Default)]
struct Fields {
    start: Option<usize>,
    date: Option<(usize, String)>,
    total: Option<(usize, String)>,
    amount_u: Option<(usize, String)>,
    payee: String,
    memo: Vec<String>,
    category: Option<String>,
}

/// What a section is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    /// Before any `!Type` line.
    None,
    /// Transactions of a bank, cash or card account.
    Transactions,
    /// An `!Account` block (the account's name and type).
    Account,
    /// A list QIF also carries that is no statement (`!Option:AutoSwitch`).
    Skipped,
}

/// One account's records in the file.
struct Group {
    account: AccountRef,
    records: Vec<Record>,
}

pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let mut text = decode(bytes);
    // Files from old Macs end their lines with a lone carriage return.
    if !text.contains('\n') && text.contains('\r') {
        text = text.replace('\r', "\n").into();
    }
    let mut section = Section::None;
    let mut fields = Fields::default();
    let mut groups = vec![Group {
        account: AccountRef::default(),
        records: Vec::new(),
    }];
    let mut current = 0;
    let mut holder: Option<Holder> = None;
    let mut account_name: Option<String> = None;
    // The first date showing each order: (line, as written).
    let mut shown_order: [Option<(usize, String)>; 2] = [None, None];
    let mut count = 0usize;
    let mut last_line = 0;

    for (n, raw) in lines(&text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        last_line = n;
        if line.starts_with('!') {
            if let Some(start) = fields.start
                && section == Section::Transactions
            {
                return Err(ImportError::at(
                    n,
                    format!(
                        "a new section begins inside the record begun on line {start} (no ^ before it)"
                    ),
                ));
            }
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("!account") {
                section = Section::Account;
                account_name = None;
            } else if let Some(kind) = lower.strip_prefix("!type:") {
                if section == Section::Account {
                    if holder.is_none() {
                        holder = account_name.as_deref().and_then(banks::by_name);
                    }
                    current = open_account(&mut groups, account_name.take());
                }
                section = match kind.trim() {
                    "bank" | "cash" | "ccard" | "oth a" | "oth l" => Section::Transactions,
                    "invst" => {
                        return Err(ImportError::at(
                            n,
                            "investment accounts are not read: export a bank, cash or card account",
                        ));
                    }
                    "memorized" => {
                        return Err(ImportError::at(
                            n,
                            "memorised transactions are not read: export the account's transactions",
                        ));
                    }
                    "cat" | "class" => {
                        return Err(ImportError::at(
                            n,
                            "category and class lists are not read: export the account's transactions",
                        ));
                    }
                    _ => {
                        return Err(ImportError::at(
                            n,
                            format!(
                                "a section of type {} is not a bank, cash or card account",
                                shown(&line["!type:".len()..])
                            ),
                        ));
                    }
                };
            } else {
                // `!Option:AutoSwitch`, `!Clear:AutoSwitch`: Quicken's account-list markers.
                section = Section::Skipped;
            }
            fields = Fields::default();
            continue;
        }
        let (code, value) = line.split_at(line.chars().next().map_or(0, char::len_utf8));
        let value = value.trim();
        match section {
            Section::Skipped => {}
            Section::None => {
                return Err(ImportError::at(
                    n,
                    format!(
                        "expected a !Type:Bank line before the first record, found {}",
                        shown(line)
                    ),
                ));
            }
            Section::Account => match code {
                "N" => account_name = Some(value.to_owned()),
                "D" if holder.is_none() => holder = banks::by_name(value),
                _ => {}
            },
            Section::Transactions => {
                fields.start.get_or_insert(n);
                match code {
                    "D" => fields.date = Some((n, value.to_owned())),
                    "T" => fields.total = Some((n, value.to_owned())),
                    "U" => fields.amount_u = Some((n, value.to_owned())),
                    "P" => fields.payee = value.to_owned(),
                    "M" | "A" if !value.is_empty() => fields.memo.push(value.to_owned()),
                    "L" if !value.is_empty() => fields.category = Some(value.to_owned()),
                    "^" => {
                        let done = std::mem::take(&mut fields);
                        if done.start == Some(n) {
                            continue; // a lone ^
                        }
                        if count == MAX_TRANSACTIONS {
                            return Err(too_many(done.start.unwrap_or(n)));
                        }
                        let record = record(n, done, &mut shown_order)?;
                        groups[current].records.push(record);
                        count += 1;
                    }
                    // N number, C cleared, S/E/$/% split lines: not kept.
                    _ => {}
                }
            }
        }
    }
    if let Some(start) = fields.start {
        return Err(ImportError::at(
            last_line,
            format!(
                "the file ends inside the record begun on line {start} (no ^): it was cut short"
            ),
        ));
    }
    if count == 0 {
        return Err(ImportError::Empty);
    }

    let order = match shown_order {
        [_, Some(_)] => Order::MonthFirst,
        _ => Order::DayFirst,
    };
    let assumed = shown_order == [None, None]
        && groups
            .iter()
            .flat_map(|g| &g.records)
            .any(|r| matches!(r.date.2, Written::Ambiguous(..)));
    let mut statements = Vec::new();
    for group in groups {
        if group.records.is_empty() {
            continue;
        }
        let mut transactions = Vec::with_capacity(group.records.len());
        for r in group.records {
            transactions.push(transaction(r, order)?);
        }
        statements.push(Statement {
            account: group.account,
            transactions,
            balances: Vec::new(),
            declared: None,
        });
    }
    Ok(Parsed {
        layout: Layout::Qif,
        holder: holder.unwrap_or_else(|| Holder::new("qif", "QIF")),
        notes: assumed
            .then(|| Note {
                en: "dates read day/month: the file does not say which comes first (no day above 12)".into(),
                fr: "dates lues jour/mois : le fichier ne le dit pas (aucun jour au-delà de 12)".into(),
            })
            .into_iter()
            .collect(),
        statements,
        rows: count,
    })
}

/// The statement of the account an `!Account` block names (a name seen
/// before goes on with its statement).
fn open_account(groups: &mut Vec<Group>, name: Option<String>) -> usize {
    if let Some(i) = groups
        .iter()
        .position(|g| g.account.label == name && (name.is_some() || g.records.is_empty()))
    {
        return i;
    }
    groups.push(Group {
        account: AccountRef {
            label: name,
            ..AccountRef::default()
        },
        records: Vec::new(),
    });
    groups.len() - 1
}

/// A finished record (ended by the `^` on line `end`).
fn record(
    end: usize,
    f: Fields,
    shown_order: &mut [Option<(usize, String)>; 2],
) -> Result<Record, ImportError> {
    let start = f.start.unwrap_or(end);
    let Some((dn, date)) = f.date else {
        return Err(ImportError::at(
            end,
            format!("the record begun on line {start} has no date (a line starting with D)"),
        ));
    };
    let w = written(&date).ok_or_else(|| {
        ImportError::at(
            dn,
            format!("expected a date such as 26/09/2021, found {}", shown(&date)),
        )
    })?;
    if let Written::Ambiguous(a, b, _) = w {
        let said = if a > 12 {
            Some(Order::DayFirst)
        } else if b > 12 {
            Some(Order::MonthFirst)
        } else {
            None
        };
        if let Some(said) = said {
            let (mine, other) = match said {
                Order::DayFirst => (0, 1),
                Order::MonthFirst => (1, 0),
            };
            if let Some((line, before)) = &shown_order[other] {
                let (now, then) = match said {
                    Order::DayFirst => ("the day", "the month"),
                    Order::MonthFirst => ("the month", "the day"),
                };
                return Err(ImportError::at(
                    dn,
                    format!(
                        "the date {} puts {now} first, but line {line} ({}) put {then} first: one file must write its dates one way",
                        shown(&date),
                        shown(before)
                    ),
                ));
            }
            shown_order[mine].get_or_insert((dn, date.clone()));
        }
    }
    let (an, amount) = f.total.or(f.amount_u).ok_or_else(|| {
        ImportError::at(
            end,
            format!("the record begun on line {start} has no amount (a line starting with T)"),
        )
    })?;
    let amount = parse_cents(&amount)
        .map_err(|e| ImportError::at(an, format!("{e}: {}", shown(&amount))))?
        .ok_or_else(|| ImportError::at(an, "the amount is empty"))?;
    let (label, memo) = if f.payee.is_empty() && !f.memo.is_empty() {
        let mut memo = f.memo;
        let label = memo.remove(0);
        (label, memo)
    } else {
        (f.payee, f.memo)
    };
    // `L[Livret A]`: a transfer to another of the resident's accounts, not a category.
    let transfer = f
        .category
        .as_deref()
        .is_some_and(|c| c.starts_with('[') && c.ends_with(']'));
    Ok(Record {
        line: start,
        date: (dn, date, w),
        amount,
        label,
        memo: memo.join(" / "),
        category: f.category.filter(|_| !transfer),
        transfer,
    })
}

fn transaction(r: Record, order: Order) -> Result<Transaction, ImportError> {
    let (dn, written_as, w) = r.date;
    let date = match w {
        Written::Iso(d) => Ok(d),
        Written::Ambiguous(a, b, y) => {
            let (d, m) = match order {
                Order::DayFirst => (a, b),
                Order::MonthFirst => (b, a),
            };
            Date::new(y, m, d)
        }
    }
    .map_err(|_| {
        ImportError::at(
            dn,
            format!(
                "the date {} is not a day of the calendar",
                shown(&written_as)
            ),
        )
    })?;
    let mut t = Transaction::new(r.line, date, r.amount, r.label);
    t.memo = r.memo;
    t.bank_category = r.category;
    if r.transfer {
        t.kind = Kind::Transfer;
    }
    Ok(t)
}

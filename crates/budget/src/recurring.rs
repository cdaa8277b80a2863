//! Recurring payments and subscriptions found in a pod's transactions, with
//! no IO: what is paid (or received) to the same payee every week, month,
//! quarter or year, its next expected date and what it costs in a year.
//!
//! Debits are grouped by creditor id (SEPA ICS) when the bank gives one,
//! else by normalised payee and account; credits separately (recurring
//! income); internal transfers never. A group is recurring when its dates
//! keep a period (weekly and fortnightly by days; monthly by calendar month,
//! tolerating a few days of drift, end-of-month payers and a missed month;
//! longer periods by days with their own tolerance) and its amounts are
//! either fixed (one price change allowed) or, for monthly and longer
//! periods only, vary moderately (utilities). Weekly and fortnightly ones
//! must have fixed amounts: that is what keeps a weekly supermarket habit
//! from looking like a subscription.
//!
//! The resident confirms or dismisses what is found; those decisions are
//! kept as a small CSV ([`decisions_to_csv`], [`decisions_from_csv`]) under
//! a key that stays the same when the statements are imported again.

use std::collections::HashMap;

use jiff::Timestamp;
use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_sources::text::{lines, shown, split_into};

use crate::book::{Book, is_internal_category};
use crate::money::PLAUSIBLE_CENTS;
use crate::payee::payee;

/// One transaction as the detector sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub account: String,
    pub date: Date,
    /// Signed cents: negative for a debit.
    pub amount: i64,
    /// The normalised payee (`NETFLIX`, `EDF CLIENTS PARTICULIERS`).
    pub payee: String,
    /// The SEPA creditor id of a direct debit (`FR12ZZZ123456`).
    pub creditor_id: Option<String>,
    pub category: Option<String>,
}

/// How often a recurring payment comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Period {
    Weekly,
    Fortnightly,
    Monthly,
    Bimonthly,
    Quarterly,
    HalfYearly,
    Yearly,
}

impl Period {
    pub const ALL: [Period; 7] = [
        Period::Weekly,
        Period::Fortnightly,
        Period::Monthly,
        Period::Bimonthly,
        Period::Quarterly,
        Period::HalfYearly,
        Period::Yearly,
    ];

    /// The word used in files and the API: `weekly`, `monthly`, `half-yearly`…
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Weekly => "weekly",
            Period::Fortnightly => "fortnightly",
            Period::Monthly => "monthly",
            Period::Bimonthly => "bimonthly",
            Period::Quarterly => "quarterly",
            Period::HalfYearly => "half-yearly",
            Period::Yearly => "yearly",
        }
    }

    /// The period [`Period::as_str`] wrote.
    pub fn parse(s: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The French word shown to the resident.
    pub fn fr(self) -> &'static str {
        match self {
            Period::Weekly => "hebdomadaire",
            Period::Fortnightly => "toutes les deux semaines",
            Period::Monthly => "mensuel",
            Period::Bimonthly => "bimestriel",
            Period::Quarterly => "trimestriel",
            Period::HalfYearly => "semestriel",
            Period::Yearly => "annuel",
        }
    }

    /// The English word shown to the resident.
    pub fn en(self) -> &'static str {
        match self {
            Period::Weekly => "weekly",
            Period::Fortnightly => "every two weeks",
            Period::Monthly => "monthly",
            Period::Bimonthly => "every two months",
            Period::Quarterly => "quarterly",
            Period::HalfYearly => "every six months",
            Period::Yearly => "yearly",
        }
    }

    /// How many times it comes in a year (a year of weeks counted as 52).
    pub fn per_year(self) -> i64 {
        match self {
            Period::Weekly => 52,
            Period::Fortnightly => 26,
            Period::Monthly => 12,
            Period::Bimonthly => 6,
            Period::Quarterly => 4,
            Period::HalfYearly => 2,
            Period::Yearly => 1,
        }
    }

    /// Its nominal length in days.
    fn days(self) -> f64 {
        match self {
            Period::Weekly => 7.0,
            Period::Fortnightly => 14.0,
            Period::Monthly => 30.44,
            Period::Bimonthly => 61.0,
            Period::Quarterly => 91.0,
            Period::HalfYearly => 182.0,
            Period::Yearly => 365.0,
        }
    }

    /// How far, in days, one interval may be from [`Period::days`].
    fn tolerance(self) -> f64 {
        match self {
            Period::Weekly => 1.0,
            Period::Fortnightly => 2.0,
            Period::Monthly => 4.0,
            Period::Bimonthly => 6.0,
            Period::Quarterly => 8.0,
            Period::HalfYearly => 10.0,
            Period::Yearly => 15.0,
        }
    }

    /// Its length in calendar months, for monthly and longer periods.
    fn months(self) -> Option<i32> {
        match self {
            Period::Weekly | Period::Fortnightly => None,
            Period::Monthly => Some(1),
            Period::Bimonthly => Some(2),
            Period::Quarterly => Some(3),
            Period::HalfYearly => Some(6),
            Period::Yearly => Some(12),
        }
    }

    /// The fewest occurrences that make it recurring.
    fn min_occurrences(self) -> usize {
        match self {
            Period::Weekly => 5,
            Period::Fortnightly => 4,
            Period::Monthly | Period::Bimonthly | Period::Quarterly => 3,
            Period::HalfYearly | Period::Yearly => 2,
        }
    }
}

/// A recurring payment (or income) found in the transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recurring {
    /// Stable across re-imports: the creditor id when there is one, else
    /// `payee|account|period` (with `|income` for credits).
    pub key: String,
    pub payee: String,
    pub account: String,
    pub period: Period,
    /// The last occurrence's signed amount, in cents.
    pub amount: i64,
    /// Utilities and the like: the amount changes every time.
    pub variable: bool,
    pub last: Date,
    /// When the next one is expected.
    pub next: Date,
    /// Signed cents in a year: a fixed amount times the periods in a year;
    /// for a variable one, the sum of the last 12 months (scaled up when
    /// the history is shorter).
    pub yearly: i64,
    pub occurrences: usize,
    /// Expected occurrences that did not come (a missed month).
    pub misses: usize,
    /// It stopped: none came when expected (for periods up to two months,
    /// not even one period later). Left out of yearly totals.
    pub ended: bool,
    /// A price step: the day of the first new price, the old and the new
    /// signed amounts.
    pub price_change: Option<(Date, i64, i64)>,
    /// The most recent category given to its transactions.
    pub category: Option<String>,
    /// Money received (salary, benefits), not paid.
    pub income: bool,
}

impl Recurring {
    /// Found from two occurrences only (half-yearly, yearly): to be
    /// confirmed by the resident, never counted as sure.
    pub fn tentative(&self) -> bool {
        self.occurrences < 3
    }
}

/// The transactions of `book` as the detector sees them: the payee from the
/// label and memo, the category from the book; money moved between the
/// resident's own accounts left out ([`crate::book::Row::is_internal`]).
pub fn occurrences(book: &Book) -> Vec<Occurrence> {
    book.rows
        .iter()
        .filter(|r| !r.is_internal())
        .map(|r| {
            let p = payee(&r.entry.label, &r.entry.memo);
            Occurrence {
                account: book.accounts[r.account].id.clone(),
                date: r.entry.date,
                amount: r.entry.amount,
                payee: p.name,
                creditor_id: p.creditor_id,
                category: r.category.map(str::to_owned),
            }
        })
        .collect()
}

/// The recurring payments and incomes in `items`, the ones still running
/// first, the costliest first; `today` says which ones ended.
pub fn detect(items: &[Occurrence], today: Date) -> Vec<Recurring> {
    let mut groups: HashMap<(bool, Group<'_>), Vec<&Occurrence>> = HashMap::new();
    for o in items {
        if o.amount == 0
            || o.amount.unsigned_abs() > PLAUSIBLE_CENTS.unsigned_abs()
            || o.payee.trim().is_empty()
            || is_internal_category(o.category.as_deref())
        {
            continue;
        }
        let group = match &o.creditor_id {
            Some(id) if !id.trim().is_empty() => Group::Creditor(id),
            _ => Group::Payee(&o.payee, &o.account),
        };
        groups.entry((o.amount > 0, group)).or_default().push(o);
    }
    let mut found: Vec<Recurring> = groups
        .into_iter()
        .filter_map(|((income, group), mut items)| {
            items.sort_by_key(|o| o.date);
            let creditor = match group {
                Group::Creditor(id) => Some(id),
                Group::Payee(..) => None,
            };
            recurring(&items, creditor, income, today).or_else(|| {
                let since = since_pause(&items)?;
                recurring(since, creditor, income, today).filter(|r| !r.variable)
            })
        })
        .collect();
    found.sort_by(|a, b| {
        (a.ended, std::cmp::Reverse(a.yearly.unsigned_abs()), &a.key).cmp(&(
            b.ended,
            std::cmp::Reverse(b.yearly.unsigned_abs()),
            &b.key,
        ))
    });
    found
}

/// The occurrences since the last long pause (an interval over 2.5 times
/// the usual one and over 45 days): a subscription stopped and taken up
/// again is judged on its latest run. Only a fixed amount is believed
/// from a run alone.
fn since_pause<'a, 'o>(group: &'a [&'o Occurrence]) -> Option<&'a [&'o Occurrence]> {
    let intervals: Vec<i64> = group
        .windows(2)
        .map(|w| day_number(w[1].date) - day_number(w[0].date))
        .collect();
    let mut sorted = intervals.clone();
    sorted.sort_unstable();
    if sorted.len() < 2 {
        return None;
    }
    let limit = (2.5 * median_f(&sorted)).max(45.0);
    let pause = intervals.iter().rposition(|d| *d as f64 > limit)?;
    let since = &group[pause + 1..];
    (since.len() >= 2).then_some(since)
}

/// What transactions are grouped by: the creditor id, else the payee on one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Group<'a> {
    Creditor(&'a str),
    Payee(&'a str, &'a str),
}

/// One group, sorted by date, if it is recurring.
fn recurring(
    group: &[&Occurrence],
    creditor: Option<&str>,
    income: bool,
    today: Date,
) -> Option<Recurring> {
    let n = group.len();
    if n < 2 {
        return None;
    }
    let dates: Vec<Date> = group.iter().map(|o| o.date).collect();
    let days: Vec<i64> = dates.iter().map(|d| day_number(*d)).collect();
    let mut intervals: Vec<i64> = days.windows(2).map(|w| w[1] - w[0]).collect();
    intervals.sort_unstable();
    let m = median_f(&intervals);
    let period = Period::ALL
        .into_iter()
        .filter(|p| (m - p.days()).abs() <= p.tolerance())
        .min_by(|a, b| (m - a.days()).abs().total_cmp(&(m - b.days()).abs()))?;
    if n < period.min_occurrences() {
        return None;
    }
    let allowed_misses = (n / 6).max(1);
    let (misses, next) = if period == Period::Monthly {
        let fit = monthly_fit(&dates)?;
        (fit.misses, fit.next)
    } else {
        let misses = day_fit(&days, period)?;
        let last = dates[n - 1];
        let next = match period.months() {
            Some(months) => last.saturating_add(months.months()),
            None => last.saturating_add((period.days() as i64).days()),
        };
        (misses, next)
    };
    if misses > allowed_misses {
        return None;
    }

    let abs: Vec<i64> = group.iter().map(|o| o.amount.abs()).collect();
    let sign = if income { 1 } else { -1 };
    let amounts = fit_amounts(&abs);
    let variable = match amounts {
        Amounts::Fixed { .. } => false,
        Amounts::Varying if period.months().is_some() && variation(&abs) <= 0.5 => true,
        Amounts::Varying => return None,
    };
    let last = group[n - 1];
    let yearly = match amounts {
        Amounts::Fixed { price, .. } => price.saturating_mul(period.per_year()),
        Amounts::Varying => last_year_sum(&dates, &abs, period),
    } * sign;
    let price_change = match amounts {
        Amounts::Fixed {
            step: Some((at, before)),
            price,
        } => Some((dates[at], before * sign, price * sign)),
        _ => None,
    };
    let grace = match period {
        Period::HalfYearly | Period::Yearly => period.tolerance(),
        _ => period.days() + period.tolerance(),
    };
    let ended = day_number(today) > day_number(next) + grace.round() as i64;
    let key = match creditor {
        Some(id) if income => format!("{id}|income"),
        Some(id) => id.to_owned(),
        None if income => format!("{}|{}|{}|income", last.payee, last.account, period.as_str()),
        None => format!("{}|{}|{}", last.payee, last.account, period.as_str()),
    };
    Some(Recurring {
        key,
        payee: last.payee.clone(),
        account: last.account.clone(),
        period,
        amount: last.amount,
        variable,
        last: last.date,
        next,
        yearly,
        occurrences: n,
        misses,
        ended,
        price_change,
        category: group.iter().rev().find_map(|o| o.category.clone()),
        income,
    })
}

/// Days since 1970-01-01.
fn day_number(d: Date) -> i64 {
    d.duration_since(Date::constant(1970, 1, 1)).as_secs() / 86_400
}

fn month_index(d: Date) -> i32 {
    i32::from(d.year()) * 12 + i32::from(d.month()) - 1
}

/// The first day of a month given by [`month_index`], if it is a date jiff knows.
fn month_start(index: i32) -> Option<Date> {
    let year = i16::try_from(index.div_euclid(12)).ok()?;
    Date::new(year, (index.rem_euclid(12) + 1) as i8, 1).ok()
}

fn median_f(sorted: &[i64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    }
}

fn median(values: &[i64]) -> i64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    v[(v.len() - 1) / 2]
}

/// For periods counted in days: each occurrence one or two periods (two is
/// a miss) after the one before, all on one schedule give or take the
/// tolerance (a Monday payer paid on Sunday one week and Tuesday the next
/// stays weekly); the misses counted.
fn day_fit(days: &[i64], period: Period) -> Option<usize> {
    let p = period.days();
    let mut misses = 0;
    let mut slot = 0.0;
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for w in days.windows(2) {
        let k = ((w[1] - w[0]) as f64 / p).round();
        if !(1.0..=2.0).contains(&k) {
            return None;
        }
        misses += k as usize - 1;
        slot += k;
        let off = (w[1] - days[0]) as f64 - slot * p;
        lo = lo.min(off);
        hi = hi.max(off);
    }
    (hi - lo <= 2.0 * period.tolerance()).then_some(misses)
}

struct MonthlyFit {
    misses: usize,
    next: Date,
}

/// Monthly by calendar: one occurrence per month on about the same day
/// (counted from the month's start; from its end for end-of-month payers:
/// most on the 28th or later, steadier counted from the end), months consecutive but for single
/// missed months. An occurrence a few days across a month boundary counts
/// for the month it pays.
fn monthly_fit(dates: &[Date]) -> Option<MonthlyFit> {
    let from_start: Vec<i32> = dates.iter().map(|d| i32::from(d.day())).collect();
    let from_end: Vec<i32> = dates
        .iter()
        .map(|d| i32::from(d.day()) - i32::from(d.days_in_month()))
        .collect();
    let a = steadiest(&from_start);
    let b = steadiest(&from_end);
    let late = dates.iter().filter(|d| d.day() >= 28).count();
    let (end_of_month, days) = if late * 2 > dates.len() && b.spread < a.spread {
        (true, b)
    } else {
        (false, a)
    };
    if days.spread > 6 {
        return None;
    }
    let billed: Vec<i32> = dates
        .iter()
        .zip(&days.shifts)
        .map(|(d, s)| month_index(*d) + s)
        .collect();
    let mut misses = 0;
    for w in billed.windows(2) {
        match w[1] - w[0] {
            1 => {}
            2 => misses += 1,
            _ => return None,
        }
    }
    // The usual position, brought back into a month.
    let mut month = billed[billed.len() - 1] + 1;
    let mut usual = days.usual;
    if end_of_month {
        if usual > 0 {
            month += 1;
        } else if usual <= -31 {
            usual += 31;
            month -= 1;
        }
    } else if usual < 1 {
        usual += 31;
        month -= 1;
    } else if usual > 31 {
        usual -= 31;
        month += 1;
    }
    let start = month_start(month)?;
    let dim = i32::from(start.days_in_month());
    let day = if end_of_month {
        if usual > 0 {
            usual
        } else {
            (dim + usual).max(1)
        }
    } else {
        usual.min(dim)
    };
    let next = Date::new(start.year(), start.month(), day as i8).ok()?;
    Some(MonthlyFit { misses, next })
}

struct Steadiest {
    /// Widest distance, in days, between two occurrences' positions in their months.
    spread: i32,
    /// Per occurrence: +1 when it pays the next month (paid a few days early,
    /// across the boundary), -1 the previous one.
    shifts: Vec<i32>,
    /// The usual position (median), possibly outside 1..=31 by a few days.
    usual: i32,
}

/// Positions in a month seen on a circle of 31 days: the centre that
/// gives the narrowest spread.
fn steadiest(positions: &[i32]) -> Steadiest {
    let mut best: Option<Steadiest> = None;
    let mut centres = positions.to_vec();
    centres.sort_unstable();
    centres.dedup();
    for c in centres {
        let mut offsets = Vec::with_capacity(positions.len());
        let mut shifts = Vec::with_capacity(positions.len());
        for p in positions {
            let mut o = p - c;
            let mut s = 0;
            while o > 15 {
                o -= 31;
                s += 1;
            }
            while o < -15 {
                o += 31;
                s -= 1;
            }
            offsets.push(o);
            shifts.push(s);
        }
        let lo = offsets.iter().min().copied().unwrap_or(0);
        let hi = offsets.iter().max().copied().unwrap_or(0);
        if best.as_ref().is_none_or(|b| hi - lo < b.spread) {
            let offsets: Vec<i64> = offsets.into_iter().map(i64::from).collect();
            best = Some(Steadiest {
                spread: hi - lo,
                shifts,
                usual: c + median(&offsets) as i32,
            });
        }
    }
    best.unwrap_or(Steadiest {
        spread: i32::MAX,
        shifts: Vec::new(),
        usual: 1,
    })
}

#[derive(Debug, Clone, Copy)]
enum Amounts {
    /// The same amount (`price`, in absolute cents) each time, but for a
    /// few; `step` is where a new price began and the old one.
    Fixed {
        price: i64,
        step: Option<(usize, i64)>,
    },
    Varying,
}

/// The tolerance around an amount: 0.50 € or 3 %, the larger.
fn close(a: i64, b: i64) -> bool {
    (a - b).abs() <= (b.abs() * 3 / 100).max(50)
}

fn share_close(values: &[i64], to: i64) -> f64 {
    values.iter().filter(|v| close(**v, to)).count() as f64 / values.len() as f64
}

fn fit_amounts(abs: &[i64]) -> Amounts {
    let n = abs.len();
    let recent = median(&abs[n.saturating_sub(6)..]);
    let last = abs[n - 1];
    // A price step: the latest price held at least twice, an earlier steady
    // price before it.
    let since = abs
        .iter()
        .rposition(|a| !close(*a, last))
        .map_or(0, |i| i + 1);
    let step = (since >= 2 && n - since >= 2)
        .then(|| median(&abs[..since]))
        .filter(|before| share_close(&abs[..since], *before) >= 0.75 && !close(*before, last))
        .map(|before| (since, before));
    if step.is_some() {
        Amounts::Fixed { price: last, step }
    } else if share_close(abs, recent) >= 0.75 {
        Amounts::Fixed {
            price: recent,
            step: None,
        }
    } else {
        Amounts::Varying
    }
}

/// Coefficient of variation: standard deviation over mean.
fn variation(abs: &[i64]) -> f64 {
    let n = abs.len() as f64;
    let mean = abs.iter().map(|a| *a as f64).sum::<f64>() / n;
    if mean == 0.0 {
        return f64::INFINITY;
    }
    let var = abs.iter().map(|a| (*a as f64 - mean).powi(2)).sum::<f64>() / n;
    var.sqrt() / mean
}

/// The sum of the last 12 calendar months, scaled to a year when the
/// history is shorter.
fn last_year_sum(dates: &[Date], abs: &[i64], period: Period) -> i64 {
    let last = month_index(dates[dates.len() - 1]);
    let sum: i64 = dates
        .iter()
        .zip(abs)
        .filter(|(d, _)| month_index(**d) > last - 12)
        .fold(0i64, |s, (_, a)| s.saturating_add(*a));
    let months = last - month_index(dates[0]);
    if months >= 12 {
        return sum;
    }
    let periods = i64::from(months / period.months().unwrap_or(1) + 1);
    if periods >= period.per_year() {
        sum
    } else {
        sum.saturating_mul(period.per_year())
            .saturating_add(periods / 2)
            / periods
    }
}

/// What the recurring debits still running cost in a year (signed cents):
/// ended ones, dismissed ones and incomes left out.
pub fn yearly_total(found: &[Recurring], decisions: &[Decision]) -> i64 {
    found
        .iter()
        .filter(|r| !r.ended && !r.income && status(decisions, &r.key) != Status::Dismissed)
        .fold(0i64, |s, r| s.saturating_add(r.yearly))
}

/// The resident's word on one detected recurring payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub key: String,
    /// Confirmed (`true`) or dismissed (`false`).
    pub confirmed: bool,
    pub at: Timestamp,
}

/// Where a recurring payment stands for the resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Found, not yet decided.
    Proposed,
    Confirmed,
    /// Hidden from the list.
    Dismissed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Proposed => "proposed",
            Status::Confirmed => "confirmed",
            Status::Dismissed => "dismissed",
        }
    }
}

/// The resident's latest decision on `key`.
pub fn status(decisions: &[Decision], key: &str) -> Status {
    decisions
        .iter()
        .filter(|d| d.key == key)
        .max_by_key(|d| d.at)
        .map_or(Status::Proposed, |d| {
            if d.confirmed {
                Status::Confirmed
            } else {
                Status::Dismissed
            }
        })
}

const HEADER: &str = "key,decision,at";

/// The decisions as the pod's `recurring.csv`.
pub fn decisions_to_csv(decisions: &[Decision]) -> Vec<u8> {
    let mut out = String::from(HEADER);
    out.push('\n');
    for d in decisions {
        let key = if d.key.contains([',', '"', '\n', '\r']) || d.key.trim() != d.key {
            format!("\"{}\"", d.key.replace('"', "\"\""))
        } else {
            d.key.clone()
        };
        let word = if d.confirmed {
            "confirmed"
        } else {
            "dismissed"
        };
        out.push_str(&format!("{key},{word},{}\n", d.at));
    }
    out.into_bytes()
}

/// Why a stored document could not be read back: the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DocError {
    pub line: usize,
    pub message: String,
}

/// Reads `recurring.csv` back, as written or edited by hand.
pub fn decisions_from_csv(bytes: &[u8]) -> Result<Vec<Decision>, DocError> {
    let bad = |line: usize, message: String| DocError { line, message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        bad(line + 1, "not UTF-8 text".into())
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut header = false;
    for (n, line) in lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        split_into(line, ',', &mut fields);
        if !header {
            if fields[..] != ["key", "decision", "at"] {
                return Err(bad(n, format!("expected the header {HEADER:?}")));
            }
            header = true;
            continue;
        }
        let [key, decision, at] = fields[..] else {
            return Err(bad(
                n,
                format!(
                    "expected 3 fields (key,decision,at), found {}",
                    fields.len()
                ),
            ));
        };
        if key.is_empty() {
            return Err(bad(n, "the key is empty".into()));
        }
        let confirmed = match decision {
            "confirmed" => true,
            "dismissed" => false,
            other => {
                return Err(bad(
                    n,
                    format!(
                        "the decision {} is neither confirmed nor dismissed",
                        shown(other)
                    ),
                ));
            }
        };
        let at = at
            .parse::<Timestamp>()
            .map_err(|_| bad(n, format!("{} is not a UTC timestamp", shown(at))))?;
        out.push(Decision {
            key: key.replace("\"\"", "\""),
            confirmed,
            at,
        });
    }
    Ok(out)
}

//! Which debits are the home's energy and water bills, and which credits
//! repay which health expenses; no IO.
//!
//! **Bills**: a debit categorised electricity, gas, energy (a supplier of
//! both, such as ENGIE) or water is linked to what the energy service says
//! the home cost ([`KnownCost`], per Paris month, handed in as plain values:
//! this crate knows nothing of the energy service) for the period the bill
//! most likely covers: the month before, the two months before (bimonthly
//! bills), the three months before (water), or the debit's own month. The
//! closest within 15 % (or 5 €) wins, each month of a fluid paid once. Fixed
//! monthly installments (mensualisation) are matched per calendar year
//! instead: what was paid in the year, regularisation included, against
//! what the year's months cost. A debit left unlinked says why.
//!
//! **Health**: a reimbursement (CPAM, mutuelle) is linked to the care it
//! repays in the 60 days before: the day its label names first
//! (`REMB SOINS DU 100921`), else the latest care not yet repaid enough.

use std::collections::{HashMap, HashSet};

use jiff::ToSpan;
use jiff::civil::Date;
use selfdata_sources::Lang;
use selfdata_sources::text::norm;

use crate::money::{PLAUSIBLE_CENTS, format_cents_en, format_cents_fr};

/// What a home cost is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    Electricity,
    Gas,
    Water,
}

impl Topic {
    /// The word used in the API: `electricity`, `gas`, `water`.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Electricity => "electricity",
            Topic::Gas => "gas",
            Topic::Water => "water",
        }
    }

    pub fn fr(self) -> &'static str {
        match self {
            Topic::Electricity => "électricité",
            Topic::Gas => "gaz",
            Topic::Water => "eau",
        }
    }

    pub fn en(self) -> &'static str {
        self.as_str()
    }
}

/// What the energy service knows a month of one fluid cost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KnownCost {
    pub topic: Topic,
    /// The 1st of a Paris month.
    pub month: Date,
    /// What it cost, in cents (positive).
    pub cents: i64,
    /// The share of the month the service has readings for (0 to 1); a
    /// month under 0.9 is not used.
    pub coverage: f32,
}

/// A transaction that may be a bill: a debit (or, for mensualisation, the
/// regularisation credit) with its category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillDebit {
    pub account: String,
    pub date: Date,
    /// Signed cents: negative for a debit.
    pub amount: i64,
    pub seq: u32,
    pub label: String,
    /// `logement/energie/electricite`, `logement/energie/gaz`,
    /// `logement/energie` (both) or `logement/eau`; anything else is not a bill.
    pub category: String,
}

/// A bill and the energy service's cost it is linked to, or why none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLink {
    /// Its place in the debits given to [`match_bills`].
    pub debit: usize,
    /// The fluid; `None` for electricity and gas together (an `energie`
    /// debit: dual fuel when linked, not known which when not).
    pub topic: Option<Topic>,
    /// The debit's amount per fluid (signed cents; shared in proportion to
    /// the costs for dual fuel); empty when a dual-fuel debit is unlinked.
    pub split: Vec<(Topic, i64)>,
    /// The months it pays, as their 1st days: `[first, last]`.
    pub period: (Date, Date),
    /// What the service says the period cost, signed like a debit
    /// (`-5812`); `None` when not linked. For a mensualised year, every
    /// transaction of the year carries the year's figures: count them once.
    pub service_cost: Option<i64>,
    /// Paid minus cost, signed like a debit: `-308` when 3.08 € more was paid.
    pub difference: Option<i64>,
    /// Why it is not linked, or how a mensualised year was counted.
    pub reason: Option<Why>,
}

/// Said beside a bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The energy service does not know (enough of) the cost of the months
    /// this debit may pay.
    NoCost { topic: Option<Topic>, month: Date },
    /// Costs are known, none close: the closest period (amounts in
    /// positive cents).
    NoFit {
        paid: i64,
        cost: i64,
        period: (Date, Date),
    },
    /// It would fit, but another debit, closer, already pays these months.
    AlreadyPaid { period: (Date, Date) },
    /// Paid in fixed monthly installments, counted over the year
    /// (positive cents; `regularisation` positive when more was paid).
    Installments {
        count: usize,
        installment: i64,
        regularisation: i64,
        consumed: i64,
    },
}

impl Why {
    /// The sentence in French: `aucune période ne correspond : 61,20 € pour 41,90 € en décembre`.
    pub fn fr(&self) -> String {
        match self {
            Why::NoCost { topic, month } => format!(
                "le service énergie ne connaît pas le coût {} {}",
                match topic {
                    Some(Topic::Electricity) => "de l'électricité",
                    Some(Topic::Gas) => "du gaz",
                    Some(Topic::Water) => "de l'eau",
                    None => "de l'énergie",
                },
                months_fr((*month, *month))
            ),
            Why::AlreadyPaid { period } => format!(
                "un autre prélèvement, plus proche, paie déjà {}",
                months_fr(*period).trim_start_matches("en ")
            ),
            Why::NoFit { paid, cost, period } => format!(
                "aucune période ne correspond : {} pour {} {}",
                format_cents_fr(*paid),
                format_cents_fr(*cost),
                months_fr(*period)
            ),
            Why::Installments {
                count,
                installment,
                regularisation,
                consumed,
            } => {
                let paid = *count as i64 * installment + regularisation;
                let regul = if *regularisation == 0 {
                    String::new()
                } else {
                    format!(
                        ", régularisation {}{}, soit {}",
                        plus(*regularisation),
                        format_cents_fr(*regularisation),
                        format_cents_fr(paid)
                    )
                };
                format!(
                    "mensualisé : {count} × {} = {}{regul} pour {} consommés ({}{})",
                    format_cents_fr(*installment),
                    format_cents_fr(*count as i64 * installment),
                    format_cents_fr(*consumed),
                    plus(paid - consumed),
                    format_cents_fr(paid - consumed)
                )
            }
        }
    }

    /// The sentence in English: `no period fits: €61.20 for €41.90 in December`.
    pub fn en(&self) -> String {
        match self {
            Why::NoCost { topic, month } => format!(
                "the energy service does not know the {} cost {}",
                topic.map_or("energy", Topic::en),
                months_en((*month, *month))
            ),
            Why::AlreadyPaid { period } => format!(
                "another debit, closer, already pays {}",
                months_en(*period).trim_start_matches("in ")
            ),
            Why::NoFit { paid, cost, period } => format!(
                "no period fits: {} for {} {}",
                format_cents_en(*paid),
                format_cents_en(*cost),
                months_en(*period)
            ),
            Why::Installments {
                count,
                installment,
                regularisation,
                consumed,
            } => {
                let paid = *count as i64 * installment + regularisation;
                let regul = if *regularisation == 0 {
                    String::new()
                } else {
                    format!(
                        ", settlement {}{}, in all {}",
                        plus(*regularisation),
                        format_cents_en(*regularisation),
                        format_cents_en(paid)
                    )
                };
                format!(
                    "monthly instalments: {count} × {} = {}{regul} for {} used ({}{})",
                    format_cents_en(*installment),
                    format_cents_en(*count as i64 * installment),
                    format_cents_en(*consumed),
                    plus(paid - consumed),
                    format_cents_en(paid - consumed)
                )
            }
        }
    }
}

fn plus(c: i64) -> &'static str {
    if c > 0 { "+" } else { "" }
}

fn month_name(lang: Lang, d: Date) -> &'static str {
    lang.month(d.month())
}

/// `en décembre`, `en novembre et décembre`, `d'octobre à décembre`.
fn months_fr((a, b): (Date, Date)) -> String {
    let (first, last) = (month_name(Lang::Fr, a), month_name(Lang::Fr, b));
    match month_index(b) - month_index(a) {
        0 => format!("en {last}"),
        1 => format!("en {first} et {last}"),
        _ if first.starts_with(['a', 'o']) => format!("d'{first} à {last}"),
        _ => format!("de {first} à {last}"),
    }
}

/// `in December`, `in November and December`, `from October to December`.
fn months_en((a, b): (Date, Date)) -> String {
    let (first, last) = (month_name(Lang::En, a), month_name(Lang::En, b));
    match month_index(b) - month_index(a) {
        0 => format!("in {last}"),
        1 => format!("in {first} and {last}"),
        _ => format!("from {first} to {last}"),
    }
}

fn month_index(d: Date) -> i32 {
    i32::from(d.year()) * 12 + i32::from(d.month()) - 1
}

fn month_start(index: i32) -> Option<Date> {
    let year = i16::try_from(index.div_euclid(12)).ok()?;
    Date::new(year, (index.rem_euclid(12) + 1) as i8, 1).ok()
}

/// What a bill may be for: one fluid, or electricity and gas together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fluids {
    One(Topic),
    Both,
}

impl Fluids {
    fn topics(self) -> &'static [Topic] {
        match self {
            Fluids::One(Topic::Electricity) => &[Topic::Electricity],
            Fluids::One(Topic::Gas) => &[Topic::Gas],
            Fluids::One(Topic::Water) => &[Topic::Water],
            Fluids::Both => &[Topic::Electricity, Topic::Gas],
        }
    }

    fn topic(self) -> Option<Topic> {
        match self {
            Fluids::One(t) => Some(t),
            Fluids::Both => None,
        }
    }
}

fn plausible(cents: i64) -> bool {
    cents.unsigned_abs() <= PLAUSIBLE_CENTS.unsigned_abs()
}

/// The fluids a bill may pay; `None` when it is not a bill (or its amount
/// is beyond any bill).
fn fluids_of_debit(d: &BillDebit) -> Option<&'static [Fluids]> {
    if plausible(d.amount) {
        fluids_of(&d.category)
    } else {
        None
    }
}

/// The fluids a category may pay; `None` when it is not a bill.
fn fluids_of(category: &str) -> Option<&'static [Fluids]> {
    match category.rsplit('/').next()? {
        "electricite" => Some(&[Fluids::One(Topic::Electricity)]),
        "gaz" => Some(&[Fluids::One(Topic::Gas)]),
        "eau" => Some(&[Fluids::One(Topic::Water)]),
        "energie" => Some(&[
            Fluids::One(Topic::Electricity),
            Fluids::One(Topic::Gas),
            Fluids::Both,
        ]),
        _ => None,
    }
}

/// The energy service's costs by fluid and month, the months it covers well enough.
struct Costs(HashMap<(Topic, i32), i64>);

impl Costs {
    fn new(costs: &[KnownCost]) -> Costs {
        let mut map = HashMap::new();
        for c in costs {
            if c.coverage >= 0.9 && plausible(c.cents) {
                map.entry((c.topic, month_index(c.month)))
                    .or_insert(c.cents);
            }
        }
        Costs(map)
    }

    /// What `fluids` cost over the months `[a, b]`, per topic; `None` unless every month is known.
    fn of(&self, fluids: Fluids, (a, b): (i32, i32)) -> Option<Vec<(Topic, i64)>> {
        fluids
            .topics()
            .iter()
            .map(|t| {
                (a..=b)
                    .map(|m| self.0.get(&(*t, m)).copied())
                    .sum::<Option<i64>>()
                    .map(|c| (*t, c))
            })
            .collect()
    }
}

/// How close `paid` is to `cost` (both positive): the relative gap, and
/// whether it is close enough to link (15 %, or 5 €).
fn score(paid: i64, cost: i64) -> (f64, bool) {
    let gap = (paid - cost).abs();
    let rel = if cost > 0 {
        gap as f64 / cost as f64
    } else {
        f64::INFINITY
    };
    (rel, rel <= 0.15 || gap <= 500)
}

/// `amount` shared over fluids in proportion to their costs.
fn split(amount: i64, costs: &[(Topic, i64)]) -> Vec<(Topic, i64)> {
    let total: i64 = costs.iter().map(|(_, c)| c).sum();
    let mut out = Vec::with_capacity(costs.len());
    let mut left = amount;
    for (i, (t, c)) in costs.iter().enumerate() {
        let part = if i + 1 == costs.len() || total == 0 {
            left
        } else {
            (i128::from(amount) * i128::from(*c) / i128::from(total)) as i64
        };
        left -= part;
        out.push((*t, part));
    }
    out
}

/// One way a transaction (or a mensualised year) may be a bill.
#[derive(Debug, Clone)]
struct Candidate {
    /// Which of the periods tried (the month before, the two before…).
    shape: usize,
    fluids: Fluids,
    months: (i32, i32),
    costs: Vec<(Topic, i64)>,
    rel: f64,
    fits: bool,
}

/// The ways `paid` (positive cents) may pay `fluids` over the given periods, closest first.
fn candidates(
    costs: &Costs,
    all_fluids: &[Fluids],
    periods: &[(i32, i32)],
    paid: i64,
) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (shape, months) in periods.iter().enumerate() {
        for fluids in all_fluids {
            if let Some(c) = costs.of(*fluids, *months) {
                let cost = c.iter().map(|(_, c)| c).sum();
                let (rel, fits) = score(paid, cost);
                out.push(Candidate {
                    shape,
                    fluids: *fluids,
                    months: *months,
                    costs: c,
                    rel,
                    fits,
                });
            }
        }
    }
    out.sort_by(|a, b| a.rel.total_cmp(&b.rel).then(a.shape.cmp(&b.shape)));
    out
}

fn period_dates((a, b): (i32, i32), fallback: Date) -> (Date, Date) {
    (
        month_start(a).unwrap_or(fallback),
        month_start(b).unwrap_or(fallback),
    )
}

/// Every bill among `debits` with the energy service's cost it is linked
/// to, or why none, in the order of `debits`. Transactions whose category
/// is not a bill are left out, and so are credits outside a mensualised year.
pub fn match_bills(debits: &[BillDebit], costs: &[KnownCost]) -> Vec<BillLink> {
    let costs = Costs::new(costs);
    let mut links: Vec<BillLink> = Vec::new();
    let installments = installments(debits);
    let mut in_year: HashSet<usize> = HashSet::new();

    // Mensualised years: (account, category, year) → its transactions.
    let mut years: HashMap<(&str, &str, i16), Vec<usize>> = HashMap::new();
    for (i, d) in debits.iter().enumerate() {
        if fluids_of_debit(d).is_some() {
            years
                .entry((&d.account, &d.category, d.date.year()))
                .or_default()
                .push(i);
        }
    }
    // A year counts from its first installment: bills paid one by one
    // before the contract was mensualised are matched one by one.
    let mut years: Vec<_> = years
        .into_iter()
        .filter_map(|(key, mut items)| {
            let first = items
                .iter()
                .filter(|i| installments.contains(i))
                .map(|i| month_index(debits[*i].date))
                .min()?;
            items.retain(|i| month_index(debits[*i].date) >= first);
            Some((key, items))
        })
        .collect();
    years.sort();
    for ((_, category, _), items) in years {
        in_year.extend(items.iter().copied());
        links.extend(mensualised_year(
            debits,
            &items,
            &installments,
            category,
            &costs,
        ));
    }

    // Bills one by one: every fitting candidate, closest first, each
    // debit and each month of a fluid taken once.
    let mut fitting: Vec<(f64, usize, Candidate)> = Vec::new();
    let mut closest: HashMap<usize, Option<Candidate>> = HashMap::new();
    for (i, d) in debits.iter().enumerate() {
        let Some(all_fluids) = fluids_of_debit(d) else {
            continue;
        };
        if in_year.contains(&i) || d.amount >= 0 {
            continue;
        }
        let m = month_index(d.date);
        let periods = [(m - 1, m - 1), (m - 2, m - 1), (m - 3, m - 1), (m, m)];
        let found = candidates(&costs, all_fluids, &periods, -d.amount);
        closest.insert(i, found.first().cloned());
        fitting.extend(found.into_iter().filter(|c| c.fits).map(|c| (c.rel, i, c)));
    }
    // A supplier bills the same way every time: the period shape that fits
    // most of a contract's (account and category) debits goes first, so a
    // bill whose own month happens to be closer does not take the month
    // the next bill pays.
    let mut shapes: HashMap<(&str, &str, usize), usize> = HashMap::new();
    for (_, i, c) in &fitting {
        *shapes
            .entry((&debits[*i].account, &debits[*i].category, c.shape))
            .or_default() += 1;
    }
    let usual = |i: usize| {
        (0..4)
            .max_by_key(|s| {
                let n = shapes
                    .get(&(debits[i].account.as_str(), debits[i].category.as_str(), *s))
                    .copied()
                    .unwrap_or(0);
                (n, std::cmp::Reverse(*s))
            })
            .unwrap_or(0)
    };
    let mut fitting: Vec<(bool, f64, usize, Candidate)> = fitting
        .into_iter()
        .map(|(rel, i, c)| (c.shape != usual(i), rel, i, c))
        .collect();
    fitting.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut paid_months: HashSet<(Topic, i32)> = HashSet::new();
    let mut linked: HashMap<usize, BillLink> = HashMap::new();
    for (_, _, i, c) in fitting {
        if linked.contains_key(&i) {
            continue;
        }
        let months: Vec<(Topic, i32)> = c
            .fluids
            .topics()
            .iter()
            .flat_map(|t| (c.months.0..=c.months.1).map(move |m| (*t, m)))
            .collect();
        if months.iter().any(|k| paid_months.contains(k)) {
            continue;
        }
        paid_months.extend(months);
        let d = &debits[i];
        let cost: i64 = c.costs.iter().map(|(_, c)| c).sum();
        linked.insert(
            i,
            BillLink {
                debit: i,
                topic: c.fluids.topic(),
                split: split(d.amount, &c.costs),
                period: period_dates(c.months, d.date.first_of_month()),
                service_cost: Some(-cost),
                difference: Some(d.amount + cost),
                reason: None,
            },
        );
    }
    for (i, d) in debits.iter().enumerate() {
        let Some(all_fluids) = fluids_of_debit(d) else {
            continue;
        };
        if in_year.contains(&i) || d.amount >= 0 {
            continue;
        }
        if let Some(link) = linked.remove(&i) {
            links.push(link);
            continue;
        }
        let unknown_topic = if all_fluids.len() == 1 {
            all_fluids[0].topic()
        } else {
            None
        };
        let m = month_index(d.date);
        let link = match closest.remove(&i).flatten() {
            Some(c) => BillLink {
                debit: i,
                topic: unknown_topic,
                split: unknown_topic
                    .map(|t| vec![(t, d.amount)])
                    .unwrap_or_default(),
                period: period_dates(c.months, d.date.first_of_month()),
                service_cost: None,
                difference: None,
                reason: Some(if c.fits {
                    Why::AlreadyPaid {
                        period: period_dates(c.months, d.date.first_of_month()),
                    }
                } else {
                    Why::NoFit {
                        paid: -d.amount,
                        cost: c.costs.iter().map(|(_, c)| c).sum(),
                        period: period_dates(c.months, d.date.first_of_month()),
                    }
                }),
            },
            None => {
                let before = month_start(m - 1).unwrap_or(d.date.first_of_month());
                BillLink {
                    debit: i,
                    topic: unknown_topic,
                    split: unknown_topic
                        .map(|t| vec![(t, d.amount)])
                        .unwrap_or_default(),
                    period: (before, before),
                    service_cost: None,
                    difference: None,
                    reason: Some(Why::NoCost {
                        topic: unknown_topic,
                        month: before,
                    }),
                }
            }
        };
        links.push(link);
    }
    links.sort_by_key(|l| l.debit);
    links
}

/// The debits that are fixed monthly installments: one amount debited in
/// at least three distinct months, at most once a month, month after month
/// (one month may be skipped, when the regularisation replaces it), on one
/// account and category.
fn installments(debits: &[BillDebit]) -> HashSet<usize> {
    let mut by_amount: HashMap<(&str, &str, i64), Vec<usize>> = HashMap::new();
    for (i, d) in debits.iter().enumerate() {
        if d.amount < 0 && fluids_of_debit(d).is_some() {
            by_amount
                .entry((&d.account, &d.category, d.amount))
                .or_default()
                .push(i);
        }
    }
    let mut out = HashSet::new();
    for mut items in by_amount.into_values() {
        if items.len() < 3 {
            continue;
        }
        items.sort_by_key(|i| debits[*i].date);
        let steady = items.windows(2).all(|w| {
            let gap = month_index(debits[w[1]].date) - month_index(debits[w[0]].date);
            (1..=2).contains(&gap)
        });
        if steady {
            out.extend(items);
        }
    }
    out
}

/// One calendar year of a mensualised contract: what was paid in it
/// (installments and regularisation) against what its months cost.
fn mensualised_year(
    debits: &[BillDebit],
    items: &[usize],
    installments: &HashSet<usize>,
    category: &str,
    costs: &Costs,
) -> Vec<BillLink> {
    let all_fluids = fluids_of(category).unwrap_or(&[]);
    let first = items.iter().map(|i| month_index(debits[*i].date)).min();
    let last = items.iter().map(|i| month_index(debits[*i].date)).max();
    let (Some(first), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let signed: i64 = items.iter().map(|i| debits[*i].amount).sum();
    let paid = -signed;
    let count = items.iter().filter(|i| installments.contains(i)).count();
    // The latest installment amount is the one said; whatever else was
    // paid in the year (a changed installment, the yearly bill) is the
    // regularisation.
    let installment = items
        .iter()
        .filter(|i| installments.contains(i))
        .max_by_key(|i| debits[**i].date)
        .map_or(0, |i| -debits[*i].amount);
    let regularisation = paid - count as i64 * installment;
    let fallback = debits[items[0]].date.first_of_month();
    let period = period_dates((first, last), fallback);
    let best = candidates(costs, all_fluids, &[(first, last)], paid)
        .into_iter()
        .next();
    let unknown_topic = if all_fluids.len() == 1 {
        all_fluids[0].topic()
    } else {
        None
    };
    items
        .iter()
        .map(|i| {
            let d = &debits[*i];
            match &best {
                Some(c) if c.fits => {
                    let consumed: i64 = c.costs.iter().map(|(_, c)| c).sum();
                    BillLink {
                        debit: *i,
                        topic: c.fluids.topic(),
                        split: split(d.amount, &c.costs),
                        period,
                        service_cost: Some(-consumed),
                        difference: Some(signed + consumed),
                        reason: Some(Why::Installments {
                            count,
                            installment,
                            regularisation,
                            consumed,
                        }),
                    }
                }
                Some(c) => BillLink {
                    debit: *i,
                    topic: unknown_topic,
                    split: unknown_topic
                        .map(|t| vec![(t, d.amount)])
                        .unwrap_or_default(),
                    period,
                    service_cost: None,
                    difference: None,
                    reason: Some(Why::NoFit {
                        paid,
                        cost: c.costs.iter().map(|(_, c)| c).sum(),
                        period,
                    }),
                },
                None => BillLink {
                    debit: *i,
                    topic: unknown_topic,
                    split: unknown_topic
                        .map(|t| vec![(t, d.amount)])
                        .unwrap_or_default(),
                    period,
                    service_cost: None,
                    difference: None,
                    reason: Some(Why::NoCost {
                        topic: unknown_topic,
                        month: period.1,
                    }),
                },
            }
        })
        .collect()
}

/// A health expense or a reimbursement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthTx {
    pub date: Date,
    /// Signed cents (an expense negative, a reimbursement positive; only
    /// the size counts).
    pub amount: i64,
    pub label: String,
}

/// Who repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Payer {
    /// The public health insurance (CPAM, ameli).
    Cpam,
    /// A complementary insurer (mutuelle).
    Mutuelle,
}

impl Payer {
    fn of(label: &str) -> Payer {
        let l = norm(label);
        if ["cpam", "ameli", "caisse primaire", "assurance maladie"]
            .iter()
            .any(|w| l.contains(w))
        {
            Payer::Cpam
        } else {
            Payer::Mutuelle
        }
    }

    pub fn fr(self) -> &'static str {
        match self {
            Payer::Cpam => "CPAM",
            Payer::Mutuelle => "mutuelle",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Payer::Cpam => "CPAM",
            Payer::Mutuelle => "top-up insurer",
        }
    }
}

/// A reimbursement linked to the expense it repays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthLink {
    /// Its place in `credits`.
    pub credit: usize,
    /// Its place in `expenses`.
    pub expense: usize,
    /// What it repaid, in positive cents.
    pub amount: i64,
    pub payer: Payer,
}

/// How long after the care a reimbursement may come.
const HEALTH_WINDOW_DAYS: i64 = 60;

/// Each reimbursement in `credits` linked to the expense it repays, taken
/// in date order: among the expenses of the 60 days before it, the one on
/// the day its label names (`SOINS DU 100921`, `DU 10/09`) if not yet
/// repaid beyond it, else the latest one whose unpaid rest covers it. A
/// credit with no such expense stays unlinked.
pub fn health_links(expenses: &[HealthTx], credits: &[HealthTx]) -> Vec<HealthLink> {
    let mut rest: Vec<i64> = expenses
        .iter()
        .map(|e| {
            if plausible(e.amount) {
                e.amount.abs()
            } else {
                0
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..credits.len()).collect();
    order.sort_by_key(|i| credits[*i].date);
    let mut out = Vec::new();
    for c in order {
        let credit = &credits[c];
        let amount = credit.amount.saturating_abs();
        if amount == 0 || !plausible(amount) {
            continue;
        }
        let from = credit.date.saturating_sub(HEALTH_WINDOW_DAYS.days());
        let open = |e: usize, rest: &[i64]| {
            let d = expenses[e].date;
            d >= from && d <= credit.date && rest[e] >= amount
        };
        let named = dates_in(&credit.label, credit.date)
            .into_iter()
            .find_map(|day| {
                (0..expenses.len()).find(|e| expenses[*e].date == day && open(*e, &rest))
            });
        let chosen = named.or_else(|| {
            (0..expenses.len())
                .filter(|e| open(*e, &rest))
                .max_by_key(|e| (expenses[*e].date, *e))
        });
        if let Some(e) = chosen {
            rest[e] -= amount;
            out.push(HealthLink {
                credit: c,
                expense: e,
                amount,
                payer: Payer::of(&credit.label),
            });
        }
    }
    out.sort_by_key(|l| l.credit);
    out
}

/// What was repaid of one expense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repaid {
    /// Its place in `expenses`.
    pub expense: usize,
    /// Positive cents.
    pub cost: i64,
    pub repaid: i64,
    pub rest: i64,
    /// Per payer, in the order they repaid.
    pub by: Vec<(Payer, i64)>,
}

impl Repaid {
    /// `remboursé 27,00 € sur 30,00 € (CPAM 19,00 €, mutuelle 8,00 €), reste 3,00 €`
    pub fn fr(&self) -> String {
        let by: Vec<String> = self
            .by
            .iter()
            .map(|(p, c)| format!("{} {}", p.fr(), format_cents_fr(*c)))
            .collect();
        format!(
            "remboursé {} sur {} ({}), reste {}",
            format_cents_fr(self.repaid),
            format_cents_fr(self.cost),
            by.join(", "),
            format_cents_fr(self.rest)
        )
    }

    /// `repaid €27.00 of €30.00 (CPAM €19.00, top-up insurer €8.00), €3.00 left`
    pub fn en(&self) -> String {
        let by: Vec<String> = self
            .by
            .iter()
            .map(|(p, c)| format!("{} {}", p.en(), format_cents_en(*c)))
            .collect();
        format!(
            "repaid {} of {} ({}), {} left",
            format_cents_en(self.repaid),
            format_cents_en(self.cost),
            by.join(", "),
            format_cents_en(self.rest)
        )
    }
}

/// Per expense that something repaid, what was repaid and by whom, in the order of `expenses`.
pub fn repaid(expenses: &[HealthTx], links: &[HealthLink]) -> Vec<Repaid> {
    let mut out: Vec<Repaid> = Vec::new();
    let mut sorted = links.to_vec();
    sorted.sort_by_key(|l| (l.expense, l.credit));
    for l in sorted {
        let Some(e) = expenses.get(l.expense) else {
            continue;
        };
        if out.last().is_none_or(|r| r.expense != l.expense) {
            let cost = e.amount.saturating_abs();
            out.push(Repaid {
                expense: l.expense,
                cost,
                repaid: 0,
                rest: cost,
                by: Vec::new(),
            });
        }
        if let Some(r) = out.last_mut() {
            r.repaid = r.repaid.saturating_add(l.amount);
            r.rest = r.rest.saturating_sub(l.amount);
            match r.by.iter_mut().find(|(p, _)| *p == l.payer) {
                Some((_, c)) => *c += l.amount,
                None => r.by.push((l.payer, l.amount)),
            }
        }
    }
    out
}

/// The days a label names, on or before `on` (most recent year when the
/// year is left out): `100921`, `10092021`, `10/09`, `10/09/21`,
/// `10.09.2021`, `10-09-21`.
fn dates_in(label: &str, on: Date) -> Vec<Date> {
    let mut out = Vec::new();
    for token in label.split(|c: char| c.is_whitespace() || c == ':') {
        let token = token.trim_matches(|c: char| !c.is_ascii_digit());
        let parts: Vec<&str> = token.split(['/', '.', '-']).collect();
        let (day, month, year) = match parts[..] {
            [all] if all.len() == 6 && all.bytes().all(|b| b.is_ascii_digit()) => {
                (&all[0..2], &all[2..4], Some(&all[4..6]))
            }
            [all] if all.len() == 8 && all.bytes().all(|b| b.is_ascii_digit()) => {
                (&all[0..2], &all[2..4], Some(&all[4..8]))
            }
            [d, m] => (d, m, None),
            [d, m, y] => (d, m, Some(y)),
            _ => continue,
        };
        let (Ok(day), Ok(month)) = (day.parse::<i8>(), month.parse::<i8>()) else {
            continue;
        };
        let year = match year.map(str::parse::<i16>) {
            Some(Ok(y)) if y < 100 => Some(2000 + y),
            Some(Ok(y)) => Some(y),
            Some(Err(_)) => continue,
            None => None,
        };
        let found = match year {
            Some(y) => Date::new(y, month, day).ok(),
            None => Date::new(on.year(), month, day)
                .ok()
                .filter(|d| *d <= on)
                .or_else(|| Date::new(on.year() - 1, month, day).ok()),
        };
        if let Some(d) = found.filter(|d| *d <= on) {
            out.push(d);
        }
    }
    out
}

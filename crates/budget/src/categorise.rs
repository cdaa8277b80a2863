//! Which category a transaction goes in, and why, in this order: (1) the
//! resident's correction of that very transaction; (2) the resident's
//! rules, learned from their corrections or written by hand (a rule with an
//! amount band before one without, then newest first); (3) internal
//! transfers, paired by the ledger, not here; (4) the starter rules, first
//! match wins; (5) the bank's own category when it names one of ours;
//! (6) none, said so: "Non catégorisé : aucune règle ne reconnaît « XYZ »".
//!
//! Rules are evaluated once per distinct (label and memo words, kind, sign):
//! a few thousand shapes in 100,000 transactions.
//!
//! [`learn`] turns a correction into a rule for the payee ("all from this
//! payee"); [`keep_learned`] puts it among the resident's rules, replacing
//! the older rule for that payee, and gives amount bands when the resident
//! put one payee's transactions in different categories (AMAZON 8.99 →
//! subscriptions, the rest → shopping).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use jiff::civil::Date;
use selfdata_sources::Lang;
use selfdata_sources::text::norm;

use crate::category;
use crate::model::Kind;
use crate::payee::{is_generic, payee, words_into};
use crate::rules::{Compiled, Correction, Match, Origin, Rule, Sign, Subject, in_band, matches};

/// A transaction as the categoriser needs it.
#[derive(Debug, Clone, Copy)]
pub struct TxView<'a> {
    /// The account's slug.
    pub account: &'a str,
    pub date: Date,
    pub amount: i64,
    pub kind: Kind,
    pub label: &'a str,
    pub memo: &'a str,
    /// Rank among identical (date, amount, label) that day.
    pub seq: u32,
    pub bank_category: Option<&'a str>,
}

/// A category (or none) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// `None`: uncategorised.
    pub category: Option<&'static str>,
    pub why: Why,
}

/// Why a transaction is in its category, or in none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// The resident chose it for this transaction.
    Corrected { at: Timestamp },
    /// A rule learned from the resident's correction: `pattern` is the
    /// payee's words or its creditor id, `payee` the payee as read here.
    Learned {
        pattern: String,
        payee: String,
        at: Option<Timestamp>,
        category: &'static str,
    },
    /// A rule the resident wrote in `rules.csv`.
    Resident {
        pattern: String,
        category: &'static str,
    },
    /// A starter rule; `pattern` is the words that matched (`MAIF + AUTO`),
    /// empty when the rule is about the kind alone.
    Builtin {
        pattern: String,
        kind: Option<Kind>,
        unsure: bool,
    },
    /// The bank's own category, as the file named it.
    Bank { name: String },
    /// One side of a transfer between two of the resident's accounts (the
    /// same amount leaving one and reaching the other within three days):
    /// `other` names the other account.
    Transfer { other: String },
    /// Nothing recognised this payee.
    None { payee: String },
}

/// "3 octobre 2021" / "3 October 2021", the day in Paris.
fn day(t: Timestamp, lang: Lang) -> String {
    let d = selfdata_sources::time::local_date(t);
    let month = lang.month(d.month());
    format!("{} {month} {}", d.day(), d.year())
}

fn quoted(s: &str, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!("« {s} »"),
        Lang::En => format!("“{s}”"),
    }
}

/// `MAIF + AUTO` → « MAIF » et « AUTO ».
fn parts(pattern: &str, lang: Lang) -> String {
    let and = match lang {
        Lang::Fr => " et ",
        Lang::En => " and ",
    };
    pattern
        .split(" + ")
        .map(|p| quoted(p, lang))
        .collect::<Vec<_>>()
        .join(and)
}

fn category_name(id: &str, lang: Lang) -> &'static str {
    category::find(id).map_or("?", |c| c.name(lang))
}

fn kind_name(k: Kind, lang: Lang) -> &'static str {
    match (lang, k) {
        (Lang::Fr, Kind::Card) => "paiement par carte",
        (Lang::Fr, Kind::DirectDebit) => "prélèvement",
        (Lang::Fr, Kind::Transfer) => "virement",
        (Lang::Fr, Kind::Cash) => "retrait d'espèces",
        (Lang::Fr, Kind::Cheque) => "chèque",
        (Lang::Fr, Kind::Fee) => "frais bancaires",
        (Lang::Fr, Kind::Interest) => "intérêts",
        (Lang::Fr, Kind::Other) => "autre",
        (Lang::En, Kind::Card) => "card payment",
        (Lang::En, Kind::DirectDebit) => "direct debit",
        (Lang::En, Kind::Transfer) => "transfer",
        (Lang::En, Kind::Cash) => "cash withdrawal",
        (Lang::En, Kind::Cheque) => "cheque",
        (Lang::En, Kind::Fee) => "bank charges",
        (Lang::En, Kind::Interest) => "interest",
        (Lang::En, Kind::Other) => "other",
    }
}

/// A SEPA creditor id rather than words.
fn is_ics(p: &str) -> bool {
    p.len() == 13 && p.starts_with("FR") && p.as_bytes().get(4..7) == Some(b"ZZZ")
}

impl Why {
    /// The reason as a sentence for the resident.
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (Why::Corrected { at }, Lang::Fr) => format!("Choisie par vous le {}", day(*at, lang)),
            (Why::Corrected { at }, Lang::En) => format!("Chosen by you on {}", day(*at, lang)),
            (
                Why::Learned {
                    pattern,
                    payee,
                    at,
                    category,
                },
                _,
            ) => {
                let when = match (at, lang) {
                    (Some(t), Lang::Fr) => format!(" le {}", day(*t, lang)),
                    (Some(t), Lang::En) => format!(" on {}", day(*t, lang)),
                    (None, _) => String::new(),
                };
                let cat = category_name(category, lang);
                match (lang, is_ics(pattern)) {
                    (Lang::Fr, true) => format!(
                        "Règle apprise{when} : les prélèvements de {} (créancier {pattern}) vont dans {cat}",
                        quoted(payee, lang)
                    ),
                    (Lang::Fr, false) => format!(
                        "Règle apprise{when} : les opérations de {} vont dans {cat}",
                        quoted(pattern, lang)
                    ),
                    (Lang::En, true) => format!(
                        "Rule learned{when}: direct debits from {} (creditor {pattern}) go to {cat}",
                        quoted(payee, lang)
                    ),
                    (Lang::En, false) => format!(
                        "Rule learned{when}: transactions from {} go to {cat}",
                        quoted(pattern, lang)
                    ),
                }
            }
            (Why::Resident { pattern, category }, Lang::Fr) if pattern.is_empty() => format!(
                "Votre règle pour ce type d'opération : {}",
                category_name(category, lang)
            ),
            (Why::Resident { pattern, category }, Lang::En) if pattern.is_empty() => format!(
                "Your rule for this kind of transaction: {}",
                category_name(category, lang)
            ),
            (Why::Resident { pattern, category }, Lang::Fr) => format!(
                "Votre règle : le libellé contient {}, donc {}",
                parts(pattern, lang),
                category_name(category, lang)
            ),
            (Why::Resident { pattern, category }, Lang::En) => format!(
                "Your rule: the label contains {}, so {}",
                parts(pattern, lang),
                category_name(category, lang)
            ),
            (
                Why::Builtin {
                    pattern,
                    kind,
                    unsure,
                },
                _,
            ) => {
                let what = match (pattern.is_empty(), kind, lang) {
                    (true, Some(k), Lang::Fr) => {
                        format!("opération de type {}", kind_name(*k, lang))
                    }
                    (true, Some(k), Lang::En) => format!("a {}", kind_name(*k, lang)),
                    (_, _, Lang::Fr) => format!("le libellé contient {}", parts(pattern, lang)),
                    (_, _, Lang::En) => format!("the label contains {}", parts(pattern, lang)),
                };
                let (start, check) = match lang {
                    Lang::Fr => (
                        "Règle de départ : ",
                        " (l'assureur ne dit pas quel contrat : à préciser)",
                    ),
                    Lang::En => (
                        "Starter rule: ",
                        " (the insurer does not say which contract: to be checked)",
                    ),
                };
                format!("{start}{what}{}", if *unsure { check } else { "" })
            }
            (Why::Bank { name }, Lang::Fr) => {
                format!("Catégorie donnée par la banque : {}", quoted(name, lang))
            }
            (Why::Bank { name }, Lang::En) => {
                format!("Category given by the bank: {}", quoted(name, lang))
            }
            (Why::Transfer { other }, Lang::Fr) => {
                format!("Virement entre vos comptes : l’autre côté est sur {other}")
            }
            (Why::Transfer { other }, Lang::En) => {
                format!("A transfer between your accounts: the other side is on {other}")
            }
            (Why::None { payee }, Lang::Fr) => format!(
                "Non catégorisé : aucune règle ne reconnaît {}",
                quoted(payee, lang)
            ),
            (Why::None { payee }, Lang::En) => {
                format!("Uncategorised: no rule recognises {}", quoted(payee, lang))
            }
        }
    }
}

/// One rule that applies to a transaction shape, amount band aside.
#[derive(Debug, Clone)]
struct Hit {
    /// Index into the resident rules, or into the starter ones.
    rule: usize,
    builtin: bool,
    matched: String,
}

/// What the rules say about one transaction shape.
#[derive(Debug)]
struct Shape {
    payee: String,
    /// Matching rules in precedence order, up to the first without a band.
    hits: Vec<Hit>,
}

type ShapeKey = (String, u8, bool);

/// A label and memo exactly as written, with kind and sign.
type RawKey = (Box<str>, Box<str>, u8, bool);

/// What was already worked out: per shape (the rules' answer), and in
/// front of it per label as written (which skips reducing the words again;
/// keyed by a hash, the label compared on a hit).
#[derive(Debug, Default)]
struct Memo {
    shapes: HashMap<ShapeKey, Arc<Shape>>,
    raw: HashMap<u64, Vec<(RawKey, Arc<Shape>)>>,
}

fn raw_hash(t: &TxView, sign: Sign) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (t.label, t.memo, t.kind as u8, sign == Sign::Debit).hash(&mut h);
    h.finish()
}

/// A correction as looked up: account, label reduced, category, when.
type Chosen = (String, String, &'static str, Timestamp);

/// The resident's rules and corrections, ready to categorise many
/// transactions; rule results are remembered per transaction shape.
#[derive(Debug)]
pub struct Categoriser {
    resident: Vec<(Rule, Compiled)>,
    builtin: Vec<Compiled>,
    /// (day, amount, seq) → (account, label reduced, category, at).
    corrections: HashMap<(Date, i64, u32), Vec<Chosen>>,
    memo: Mutex<Memo>,
}

impl Categoriser {
    /// From the resident's `rules.csv` and `corrections.csv` (already read).
    /// A correction naming a category not in the tree is left out (reading
    /// `corrections.csv` already refuses one).
    pub fn new(rules: &[Rule], corrections: &[Correction]) -> Categoriser {
        let mut resident: Vec<(usize, &Rule)> = rules
            .iter()
            .filter(|r| r.origin != Origin::Builtin)
            .enumerate()
            .collect();
        // Banded first, then newest first; file order breaks ties.
        resident.sort_by_key(|(i, r)| {
            (
                r.band.is_none(),
                std::cmp::Reverse(r.created.map(|t| t.as_second())),
                *i,
            )
        });
        let mut map: HashMap<_, Vec<Chosen>> = HashMap::new();
        for c in corrections {
            let Some(cat) = category::find(&c.category) else {
                continue;
            };
            let list = map.entry((c.date, c.amount, c.seq)).or_default();
            let label = norm(&c.label);
            list.retain(|(a, l, _, at)| !(a == &c.account && l == &label && *at <= c.at));
            if !list
                .iter()
                .any(|(a, l, _, _)| a == &c.account && l == &label)
            {
                list.push((c.account.clone(), label, cat.id, c.at));
            }
        }
        Categoriser {
            resident: resident
                .into_iter()
                .map(|(_, r)| (r.clone(), Compiled::new(r)))
                .collect(),
            builtin: crate::rules::starter().iter().map(Compiled::new).collect(),
            corrections: map,
            memo: Mutex::new(Memo::default()),
        }
    }

    /// The category of `t` and why.
    pub fn categorise(&self, t: &TxView) -> Decision {
        if let Some(list) = self.corrections.get(&(t.date, t.amount, t.seq)) {
            let label = norm(t.label);
            if let Some((_, _, cat, at)) = list
                .iter()
                .find(|(a, l, _, _)| a == t.account && *l == label)
            {
                return Decision {
                    category: Some(cat),
                    why: Why::Corrected { at: *at },
                };
            }
        }
        let shape = self.shape(t);
        let starter = crate::rules::starter();
        for hit in &shape.hits {
            let rule = if hit.builtin {
                &starter[hit.rule]
            } else {
                &self.resident[hit.rule].0
            };
            if !in_band(rule, t.amount) {
                continue;
            }
            let why = match rule.origin {
                Origin::Builtin => Why::Builtin {
                    pattern: hit.matched.clone(),
                    kind: rule.kind,
                    unsure: rule.unsure,
                },
                Origin::Learned => Why::Learned {
                    pattern: hit.matched.clone(),
                    payee: shape.payee.clone(),
                    at: rule.created,
                    category: rule.category,
                },
                Origin::Resident => Why::Resident {
                    pattern: hit.matched.clone(),
                    category: rule.category,
                },
            };
            return Decision {
                category: Some(rule.category),
                why,
            };
        }
        if let Some(name) = t.bank_category
            && let Some(cat) = bank_category(name)
        {
            return Decision {
                category: Some(cat),
                why: Why::Bank {
                    name: name.to_owned(),
                },
            };
        }
        Decision {
            category: None,
            why: Why::None {
                payee: shape.payee.clone(),
            },
        }
    }

    fn memo(&self) -> std::sync::MutexGuard<'_, Memo> {
        self.memo.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn shape(&self, t: &TxView) -> Arc<Shape> {
        let sign = Sign::of(t.amount);
        let (kind, debit) = (t.kind as u8, sign == Sign::Debit);
        let h = raw_hash(t, sign);
        let seen = |((l, m, k, d), _): &&(RawKey, Arc<Shape>)| {
            **l == *t.label && **m == *t.memo && *k == kind && *d == debit
        };
        if let Some((_, s)) = self.memo().raw.get(&h).and_then(|v| v.iter().find(seen)) {
            return s.clone();
        }
        let shape = self.shape_of(t, sign);
        let raw = (t.label.into(), t.memo.into(), kind, debit);
        self.memo()
            .raw
            .entry(h)
            .or_default()
            .push((raw, shape.clone()));
        shape
    }

    fn shape_of(&self, t: &TxView, sign: Sign) -> Arc<Shape> {
        let mut text = String::with_capacity(t.label.len() + t.memo.len() + 4);
        words_into(t.label, &mut text);
        text.push_str(" |");
        words_into(t.memo, &mut text);
        text.push(' ');
        let key = (text, t.kind as u8, sign == Sign::Debit);
        if let Some(s) = self.memo().shapes.get(&key) {
            return s.clone();
        }
        let p = payee(t.label, t.memo);
        let mut payee_words = String::new();
        words_into(&p.name, &mut payee_words);
        payee_words.push(' ');
        let subject = Subject {
            text: key.0.clone(),
            payee_words,
            payee: p,
            kind: t.kind,
            sign,
        };
        let mut hits = Vec::new();
        let resident = self
            .resident
            .iter()
            .enumerate()
            .map(|(i, (r, c))| (i, false, r, c));
        let starter = crate::rules::starter();
        let builtin = self
            .builtin
            .iter()
            .enumerate()
            .map(|(i, c)| (i, true, &starter[i], c));
        for (i, is_builtin, rule, compiled) in resident.chain(builtin) {
            if let Some(matched) = matches(rule, compiled, &subject) {
                hits.push(Hit {
                    rule: i,
                    builtin: is_builtin,
                    matched,
                });
                if rule.band.is_none() {
                    break;
                }
            }
        }
        let shape = Arc::new(Shape {
            payee: subject.payee.name,
            hits,
        });
        self.memo().shapes.insert(key, shape.clone());
        shape
    }
}

/// Whether `rule` takes `t` (its words, kind, sign and amount band): what
/// a page counts to say "Classer les 14 opérations de « EDF »".
pub fn applies(rule: &Rule, t: &TxView) -> bool {
    let sign = Sign::of(t.amount);
    let mut text = String::new();
    words_into(t.label, &mut text);
    text.push_str(" |");
    words_into(t.memo, &mut text);
    text.push(' ');
    let p = payee(t.label, t.memo);
    let mut payee_words = String::new();
    words_into(&p.name, &mut payee_words);
    payee_words.push(' ');
    let subject = Subject {
        text,
        payee_words,
        payee: p,
        kind: t.kind,
        sign,
    };
    in_band(rule, t.amount) && matches(rule, &Compiled::new(rule), &subject).is_some()
}

/// Our category for the bank's own (`Logement/Electricité`, QIF
/// `Logement:Loyer`): the most precise of its parts whose name is one of ours.
fn bank_category(name: &str) -> Option<&'static str> {
    name.rsplit(['/', ':', '>'])
        .map(norm)
        .filter(|p| !p.is_empty())
        .find_map(|p| {
            category::tree()
                .iter()
                .find(|c| norm(c.fr) == p || norm(c.en) == p)
                .map(|c| c.id)
        })
}

/// "This one" or "all from this payee" (which, when the label names no
/// payee, only "VIR RECU", learns nothing beyond this one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    One,
    Payee,
}

/// The resident puts `t` in `category` at `at`: the correction to keep and,
/// for [`Scope::Payee`], the rule to learn (by creditor id when the payee
/// has one, else by its words; for the transaction's sign). No rule when
/// the payee has no words or the category is not in the tree.
pub fn learn(
    t: &TxView,
    category: &str,
    scope: Scope,
    at: Timestamp,
) -> (Correction, Option<Rule>) {
    let correction = Correction {
        account: t.account.to_owned(),
        date: t.date,
        amount: t.amount,
        label: t.label.to_owned(),
        seq: t.seq,
        category: category.to_owned(),
        at,
    };
    let rule = match (scope, category::find(category)) {
        (Scope::Payee, Some(cat)) => {
            let p = payee(t.label, t.memo);
            let (by, pattern) = match p.creditor_id {
                Some(id) => (Match::Ics, id),
                // "VIR RECU" names no payee: a rule on it would take every transfer.
                None if is_generic(&p.name) => (Match::Token, String::new()),
                None => (Match::Token, p.name),
            };
            (!pattern.is_empty()).then(|| Rule {
                by,
                pattern,
                kind: None,
                sign: Some(Sign::of(t.amount)),
                band: None,
                category: cat.id,
                origin: Origin::Learned,
                created: Some(at),
                unsure: false,
            })
        }
        _ => None,
    };
    (correction, rule)
}

/// The resident's rules once `learned` (from [`learn`] on `t`) is kept: older
/// learned rules for the same payee are replaced (the newest wins). When
/// the resident's corrections for this payee (`corrections`, the new one
/// included) put it in different categories, each older category keeps a
/// rule limited to the amounts they put in it, ± 5 %, checked before the
/// new rule, which takes every other amount.
pub fn keep_learned(
    rules: &[Rule],
    corrections: &[Correction],
    t: &TxView,
    learned: Rule,
) -> Vec<Rule> {
    let mut out: Vec<Rule> = rules
        .iter()
        .filter(|r| !(r.origin == Origin::Learned && r.same_target(&learned)))
        .cloned()
        .collect();
    let sign = Sign::of(t.amount);
    // A correction is of this payee when its label holds the payee's words
    // (a correction keeps the label, not the memo: a payee read from the
    // memo, "DE: ACME SAS", finds none, so no band rather than a wrong one).
    let mut name = String::new();
    words_into(&payee(t.label, t.memo).name, &mut name);
    name.push(' ');
    let same_payee = |c: &Correction| {
        let mut text = String::new();
        words_into(&c.label, &mut text);
        text.push(' ');
        Sign::of(c.amount) == sign && name.trim() != "" && text.contains(name.as_str())
    };
    // Per other category: the amounts the resident put in it, and when last.
    let mut others: Vec<(&'static str, i64, i64, Timestamp)> = Vec::new();
    for c in corrections.iter().filter(|c| same_payee(c)) {
        let Some(cat) = category::find(&c.category).map(|c| c.id) else {
            continue;
        };
        if cat == learned.category {
            continue;
        }
        let a = c.amount.abs();
        match others.iter_mut().find(|o| o.0 == cat) {
            Some(o) => {
                o.1 = o.1.min(a);
                o.2 = o.2.max(a);
                o.3 = o.3.max(c.at);
            }
            None => others.push((cat, a, a, c.at)),
        }
    }
    let new_amount = t.amount.abs();
    for (cat, lo, hi, at) in others {
        let band = (lo - lo / 20, hi + (hi + 19) / 20);
        if (band.0..=band.1).contains(&new_amount) {
            // The resident just changed their mind for these amounts.
            continue;
        }
        out.push(Rule {
            band: Some(band),
            category: cat,
            created: Some(at),
            ..learned.clone()
        });
    }
    out.push(learned);
    out
}

//! Category rules and the resident's corrections, as data: a [`Rule`] says
//! "transactions whose words contain X (of this kind, this sign, this
//! amount) go to category C"; a [`Correction`] says "this one transaction
//! goes to C". The starter rules ship in the crate (`data/rules.csv`); the
//! resident's own rules and corrections live in the pod as `rules.csv` and
//! `corrections.csv`, which a person may edit by hand: reading them never
//! panics, and a bad line is refused with its number.
//!
//! A pattern is one or more parts joined by ` + `, all of which must be
//! present; a part is alternatives joined by `|`, one of which must be:
//! `MAIF|AXA + AUTO` reads "MAIF or AXA, and AUTO". Words are compared
//! upper case, without accents, whole words only ("BP" does not match
//! "BPCE").

use std::sync::OnceLock;

use jiff::Timestamp;
use jiff::civil::Date;

use crate::category;
use crate::model::Kind;
use crate::money::{format_cents, parse_cents};
use crate::payee::{Payee, words};

/// What a rule's pattern is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// The words of the label and memo contain the pattern's words, in order.
    Token,
    /// The payee ([`crate::payee::payee`]) starts with the pattern's words.
    Prefix,
    /// The SEPA creditor id is the pattern.
    Ics,
}

impl Match {
    pub fn as_str(self) -> &'static str {
        match self {
            Match::Token => "token",
            Match::Prefix => "prefix",
            Match::Ics => "ics",
        }
    }

    pub fn parse(s: &str) -> Option<Match> {
        [Match::Token, Match::Prefix, Match::Ics]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// Money out or money in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sign {
    Debit,
    Credit,
}

impl Sign {
    /// A zero amount counts as a credit.
    pub fn of(amount: i64) -> Sign {
        if amount < 0 {
            Sign::Debit
        } else {
            Sign::Credit
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sign::Debit => "debit",
            Sign::Credit => "credit",
        }
    }

    pub fn parse(s: &str) -> Option<Sign> {
        match s {
            "debit" => Some(Sign::Debit),
            "credit" => Some(Sign::Credit),
            _ => None,
        }
    }
}

/// Who made a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Shipped with selfdata (`data/rules.csv`).
    Builtin,
    /// Learned from the resident's correction ("all from this payee").
    Learned,
    /// Written by the resident in `rules.csv`.
    Resident,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Builtin => "builtin",
            Origin::Learned => "learned",
            Origin::Resident => "resident",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        [Origin::Builtin, Origin::Learned, Origin::Resident]
            .into_iter()
            .find(|o| o.as_str() == s)
    }
}

/// One category rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub by: Match,
    /// As written: `EDF`, `MAIF|AXA + AUTO`, `FR12ZZZ123456`. Empty (with a
    /// kind) matches every label.
    pub pattern: String,
    /// Only transactions of this kind, when set.
    pub kind: Option<Kind>,
    /// Only debits or only credits, when set.
    pub sign: Option<Sign>,
    /// Only amounts whose absolute value lies in `[min, max]` cents, when set.
    pub band: Option<(i64, i64)>,
    /// The category id, one of [`category::tree`].
    pub category: &'static str,
    pub origin: Origin,
    pub created: Option<Timestamp>,
    /// A starter rule that knows only the family (an insurer without
    /// "habitation" or "auto"): the why says the category is to be checked.
    pub unsure: bool,
}

impl Rule {
    /// A key naming the rule in `rules.csv` (for "remove this rule"):
    /// `ics:FR12ZZZ123456:debit`, with the band when there is one.
    pub fn id(&self) -> String {
        let mut id = format!(
            "{}:{}:{}",
            self.by.as_str(),
            self.pattern.trim(),
            self.sign.map_or("", Sign::as_str)
        );
        if let Some(k) = self.kind {
            id.push(':');
            id.push_str(k.as_str());
        }
        if let Some((lo, hi)) = self.band {
            id.push_str(&format!(":{lo}-{hi}"));
        }
        id
    }

    /// Whether `other` is the same rule but for its category, band and date
    /// (a newer learned rule replaces it).
    pub fn same_target(&self, other: &Rule) -> bool {
        self.by == other.by
            && words(&self.pattern) == words(&other.pattern)
            && self.sign == other.sign
            && self.kind == other.kind
    }
}

/// The resident's choice for one transaction, known by its account, day,
/// amount, label and rank among identical ones that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    pub account: String,
    pub date: Date,
    pub amount: i64,
    pub label: String,
    pub seq: u32,
    pub category: String,
    pub at: Timestamp,
}

/// Why a rules or corrections document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DocError {
    pub line: usize,
    pub message: String,
}

/// The starter rules, read from the crate's `data/rules.csv` at first use.
pub fn starter() -> &'static [Rule] {
    static RULES: OnceLock<Vec<Rule>> = OnceLock::new();
    RULES.get_or_init(|| {
        read_rules(
            include_str!("../data/rules.csv").as_bytes(),
            Origin::Builtin,
        )
        .unwrap_or_else(|e| unreachable!("data/rules.csv is tested: {e}"))
    })
}

// ---------------------------------------------------------------- matching

/// A rule's pattern prepared: each part's alternatives as ` WORD WORD `.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    parts: Vec<Vec<String>>,
}

impl Compiled {
    pub(crate) fn new(rule: &Rule) -> Compiled {
        let parts = if rule.by == Match::Ics {
            vec![vec![rule.pattern.trim().to_ascii_uppercase()]]
        } else {
            rule.pattern
                .split(" + ")
                .map(|part| {
                    part.split('|')
                        .map(|alt| format!(" {} ", words(alt)))
                        .filter(|alt| alt.trim() != "")
                        .collect::<Vec<_>>()
                })
                .filter(|alts| !alts.is_empty())
                .collect()
        };
        Compiled { parts }
    }
}

/// What a rule is compared with, computed once per distinct transaction shape.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// ` LABEL WORDS | MEMO WORDS `.
    pub text: String,
    /// ` PAYEE WORDS `.
    pub payee_words: String,
    pub payee: Payee,
    pub kind: Kind,
    pub sign: Sign,
}

/// The words that matched, `MAIF + AUTO`; `None` when the rule does not apply.
/// The amount band is not checked here (it varies within one subject).
pub(crate) fn matches(rule: &Rule, c: &Compiled, s: &Subject) -> Option<String> {
    if rule.kind.is_some_and(|k| k != s.kind) || rule.sign.is_some_and(|g| g != s.sign) {
        return None;
    }
    let mut found = Vec::with_capacity(c.parts.len());
    match rule.by {
        Match::Ics => {
            let id = c.parts.first()?.first()?;
            (s.payee.creditor_id.as_deref() == Some(id.as_str())).then(|| id.clone())
        }
        Match::Prefix => {
            let first = c.parts.first()?;
            let alt = first
                .iter()
                .find(|a| s.payee_words.starts_with(a.as_str()))?;
            Some(alt.trim().to_owned())
        }
        Match::Token => {
            for part in &c.parts {
                let alt = part.iter().find(|a| s.text.contains(a.as_str()))?;
                found.push(alt.trim());
            }
            Some(found.join(" + "))
        }
    }
}

/// Whether `amount`'s absolute value lies in the rule's band (or it has none).
pub(crate) fn in_band(rule: &Rule, amount: i64) -> bool {
    let abs = amount.checked_abs().unwrap_or(i64::MAX);
    rule.band.is_none_or(|(lo, hi)| (lo..=hi).contains(&abs))
}

// ---------------------------------------------------------------- CSV

const RULES_HEADER: &str = "id,match,pattern,kind,sign,min,max,category,origin,created";
const CORRECTIONS_HEADER: &str = "account,date,amount,label,seq,category,at";

/// A field as written: quoted when it holds a comma or a quote; line breaks become spaces.
fn field(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    if s.contains([',', '"']) || s.starts_with(' ') || s.ends_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The fields of one CSV line (RFC 4180 quoting, within the line).
fn fields(line: &str) -> Result<Vec<String>, &'static str> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cur.push(c),
            (false, '"') if cur.trim().is_empty() && !was_quoted => {
                cur.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, ',') => {
                out.push(if was_quoted {
                    std::mem::take(&mut cur)
                } else {
                    cur.trim().to_owned()
                });
                cur.clear();
                was_quoted = false;
            }
            (false, c) if was_quoted && !c.is_whitespace() => {
                return Err("text after a closing quote");
            }
            (false, c) => cur.push(c),
        }
    }
    if quoted {
        return Err("a quote is opened and never closed");
    }
    out.push(if was_quoted {
        cur
    } else {
        cur.trim().to_owned()
    });
    Ok(out)
}

/// A document's lines as (line number, fields by header name).
struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read(bytes: &[u8], required: &[&str]) -> Result<Table, DocError> {
        let bad = |line, message: String| DocError { line, message };
        let text =
            std::str::from_utf8(bytes).map_err(|_| bad(1, "the file is not UTF-8 text".into()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = selfdata_sources::text::lines(text).filter(|(_, l)| !l.trim().is_empty());
        let Some((n, head)) = lines.next() else {
            return Ok(Table {
                header: Vec::new(),
                rows: Vec::new(),
            });
        };
        let header: Vec<String> = fields(head)
            .map_err(|m| bad(n, m.into()))?
            .into_iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        for r in required {
            if !header.iter().any(|h| h == r) {
                return Err(bad(n, format!("the header has no column \"{r}\"")));
            }
        }
        let mut rows = Vec::new();
        for (n, line) in lines {
            let f = fields(line).map_err(|m| bad(n, m.into()))?;
            if f.len() > header.len() {
                return Err(bad(
                    n,
                    format!("{} fields, the header names {}", f.len(), header.len()),
                ));
            }
            rows.push((n, f));
        }
        Ok(Table { header, rows })
    }

    fn get<'r>(&self, row: &'r [String], name: &str) -> &'r str {
        self.header
            .iter()
            .position(|h| h == name)
            .and_then(|i| row.get(i))
            .map_or("", String::as_str)
    }
}

fn category_of(s: &str) -> Result<&'static str, String> {
    category::find(s)
        .map(|c| c.id)
        .ok_or_else(|| format!("{} is not a category", selfdata_sources::text::shown(s)))
}

fn cents_of(s: &str, what: &str) -> Result<Option<i64>, String> {
    parse_cents(s).map_err(|e| format!("{what}: {e} ({})", selfdata_sources::text::shown(s)))
}

fn timestamp_of(s: &str, what: &str) -> Result<Timestamp, String> {
    s.parse().map_err(|_| {
        format!(
            "{what} should be a UTC time like 2021-10-03T08:00:00Z, found {}",
            selfdata_sources::text::shown(s)
        )
    })
}

fn read_rules(bytes: &[u8], default_origin: Origin) -> Result<Vec<Rule>, DocError> {
    let t = Table::read(bytes, &["match", "pattern", "category"])?;
    let mut out = Vec::with_capacity(t.rows.len());
    for (n, row) in &t.rows {
        let rule = (|| -> Result<Rule, String> {
            let get = |name| t.get(row, name);
            let by = Match::parse(get("match")).ok_or_else(|| {
                format!(
                    "match should be token, prefix or ics, found {}",
                    selfdata_sources::text::shown(get("match"))
                )
            })?;
            let kind = match get("kind") {
                "" => None,
                k => Some(Kind::parse(k).ok_or_else(|| {
                    format!("{} is not a kind", selfdata_sources::text::shown(k))
                })?),
            };
            let sign = match get("sign") {
                "" => None,
                s => Some(Sign::parse(s).ok_or_else(|| {
                    format!(
                        "sign should be debit or credit, found {}",
                        selfdata_sources::text::shown(s)
                    )
                })?),
            };
            let pattern = get("pattern").to_owned();
            if words(&pattern).is_empty() && kind.is_none() {
                return Err("a rule needs a pattern (or a kind)".into());
            }
            if by == Match::Ics && !pattern.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!(
                    "a creditor id is letters and digits, found {}",
                    selfdata_sources::text::shown(&pattern)
                ));
            }
            let band = match (cents_of(get("min"), "min")?, cents_of(get("max"), "max")?) {
                (None, None) => None,
                (lo, hi) => {
                    let (lo, hi) = (lo.unwrap_or(0).abs(), hi.unwrap_or(i64::MAX).abs());
                    if lo > hi {
                        return Err("min is above max".into());
                    }
                    Some((lo, hi))
                }
            };
            let origin = match get("origin") {
                "" => default_origin,
                o => Origin::parse(o).ok_or_else(|| {
                    format!(
                        "origin should be learned or resident, found {}",
                        selfdata_sources::text::shown(o)
                    )
                })?,
            };
            let created = match get("created") {
                "" => None,
                c => Some(timestamp_of(c, "created")?),
            };
            Ok(Rule {
                by,
                pattern,
                kind,
                sign,
                band,
                category: category_of(get("category"))?,
                origin,
                created,
                unsure: get("unsure") == "unsure",
            })
        })()
        .map_err(|message| DocError { line: *n, message })?;
        out.push(rule);
    }
    Ok(out)
}

/// The resident's rules as `rules.csv`.
pub fn rules_to_csv(rules: &[Rule]) -> Vec<u8> {
    let mut out = String::from(RULES_HEADER);
    out.push('\n');
    for r in rules {
        let (min, max) = r.band.map_or((String::new(), String::new()), |(lo, hi)| {
            (format_cents(lo), format_cents(hi))
        });
        let row = [
            field(&r.id()),
            r.by.as_str().to_owned(),
            field(&r.pattern),
            r.kind.map_or("", Kind::as_str).to_owned(),
            r.sign.map_or("", Sign::as_str).to_owned(),
            min,
            max,
            r.category.to_owned(),
            r.origin.as_str().to_owned(),
            r.created.map_or(String::new(), |t| t.to_string()),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// Reads the resident's `rules.csv`; columns are found by their header
/// name, `id` is ignored (it is derived), `origin` defaults to resident.
pub fn rules_from_csv(bytes: &[u8]) -> Result<Vec<Rule>, DocError> {
    let rules = read_rules(bytes, Origin::Resident)?;
    Ok(rules
        .into_iter()
        .map(|mut r| {
            r.unsure = false;
            if r.origin == Origin::Builtin {
                r.origin = Origin::Resident;
            }
            r
        })
        .collect())
}

/// The resident's corrections as `corrections.csv`.
pub fn corrections_to_csv(corrections: &[Correction]) -> Vec<u8> {
    let mut out = String::from(CORRECTIONS_HEADER);
    out.push('\n');
    for c in corrections {
        let row = [
            field(&c.account),
            c.date.to_string(),
            format_cents(c.amount),
            field(&c.label),
            c.seq.to_string(),
            field(&c.category),
            c.at.to_string(),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// Reads the resident's `corrections.csv`.
pub fn corrections_from_csv(bytes: &[u8]) -> Result<Vec<Correction>, DocError> {
    let t = Table::read(
        bytes,
        &[
            "account", "date", "amount", "label", "seq", "category", "at",
        ],
    )?;
    let mut out = Vec::with_capacity(t.rows.len());
    for (n, row) in &t.rows {
        let c = (|| -> Result<Correction, String> {
            let get = |name| t.get(row, name);
            let date = get("date").parse().map_err(|_| {
                format!(
                    "date should be like 2021-09-26, found {}",
                    selfdata_sources::text::shown(get("date"))
                )
            })?;
            let amount = cents_of(get("amount"), "amount")?.ok_or("the amount is empty")?;
            let seq = get("seq").parse().ok().filter(|s| *s >= 1).ok_or_else(|| {
                format!(
                    "seq should be 1, 2, …, found {}",
                    selfdata_sources::text::shown(get("seq"))
                )
            })?;
            Ok(Correction {
                account: get("account").to_owned(),
                date,
                amount,
                label: get("label").to_owned(),
                seq,
                category: category_of(get("category"))?.to_owned(),
                at: timestamp_of(get("at"), "at")?,
            })
        })()
        .map_err(|message| DocError { line: *n, message })?;
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_rules_read_and_point_at_categories_of_the_tree() {
        let rules = read_rules(
            include_str!("../data/rules.csv").as_bytes(),
            Origin::Builtin,
        )
        .expect("starter rules");
        assert!(rules.len() > 30);
        assert!(rules.iter().all(|r| r.origin == Origin::Builtin));
        assert!(rules.iter().any(|r| r.unsure));
    }

    #[test]
    fn quoted_fields_keep_commas_and_quotes() {
        assert_eq!(
            fields(r#"a,"b, ""c""",  d "#).unwrap(),
            vec!["a", "b, \"c\"", "d"]
        );
        assert!(fields(r#"a,"b"#).is_err());
        assert!(fields(r#"a,"b"x"#).is_err());
    }
}

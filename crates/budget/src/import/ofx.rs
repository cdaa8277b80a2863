//! OFX statements, 1.x (SGML: a `KEY:VALUE` header, then tags whose leaf
//! values are left unclosed, often in Windows-1252) and 2.x (the same tags
//! as XML), read by one small tokenizer that keeps line numbers and caps:
//! 32 levels of nesting, 32-character tag names, 4 KiB values, 500,000
//! transactions. A tag followed by text is a leaf; an aggregate is closed by
//! its `</TAG>`; a `</TAG>` after a leaf's text is accepted (OFX 2). No DTD
//! or entity declaration is ever read. One `Statement` per `STMTRS`
//! (or `CCSTMTRS`): a file with two accounts gives two statements.

use std::borrow::Cow;

use jiff::civil::Date;
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, norm, shown};

use crate::banks;
use crate::model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Parsed, Statement, Transaction,
};
use crate::money::{currency, parse_cents};

/// How far into the file detection looks.
const HEAD: usize = 4096;
const MAX_DEPTH: usize = 32;
const MAX_TAG: usize = 32;
const MAX_VALUE: usize = 4096;
const MAX_TRANSACTIONS: usize = 500_000;

fn head(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.len().min(HEAD)]
}

pub(super) fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// An `<?OFX …?>` header, or `<?xml` then `<OFX>`, in the first 4 KiB.
pub(super) fn is_ofx2(bytes: &[u8]) -> bool {
    let h = head(bytes);
    contains(h, b"<?OFX ") || (contains(h, b"<?xml") && contains(h, b"<OFX>"))
}

/// An `OFXHEADER:` first line, or `<OFX>` without `<?xml` in the first 4 KiB.
pub(super) fn is_ofx1(bytes: &[u8]) -> bool {
    if is_ofx2(bytes) {
        return false;
    }
    let h = head(bytes);
    let h = h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h);
    let start = h.trim_ascii_start();
    start.starts_with(b"OFXHEADER:") || (contains(h, b"<OFX>") && !contains(h, b"<?xml"))
}

/// Line numbers (1-based) of byte positions, counted forward once.
pub(super) struct LineAt<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineAt<'a> {
    pub(super) fn new(text: &'a [u8]) -> Self {
        LineAt {
            text,
            at: 0,
            line: 1,
        }
    }

    pub(super) fn of(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += self.text[self.at..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = pos;
        self.line
    }
}

/// The text of the file: strictly UTF-8 when it says so (an OFX 1 header
/// `CHARSET:UTF-8`/`ENCODING:UTF-8`, an XML declaration `encoding="UTF-8"`),
/// else UTF-8 or Windows-1252 as `text::decode` finds.
fn text_of(bytes: &[u8], xml: bool) -> Result<Cow<'_, str>, ImportError> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let h = head(body);
    let strict = if xml {
        contains(h, b"encoding=\"UTF-8\"") || contains(h, b"encoding='UTF-8'")
    } else {
        let header = &h[..h.iter().position(|&b| b == b'<').unwrap_or(h.len())];
        contains(header, b"CHARSET:UTF-8") || contains(header, b"ENCODING:UTF-8")
    };
    if !strict {
        return Ok(decode(bytes));
    }
    match std::str::from_utf8(body) {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(e) => {
            let line = LineAt::new(body).of(e.valid_up_to());
            Err(ImportError::at(
                line,
                "the file says it is written in UTF-8, but this line is not: it may have been changed by another program",
            ))
        }
    }
}

/// `&amp; &lt; &gt; &quot; &apos; &#NN; &#xNN;` decoded; any other `&` kept as written.
fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let entity = rest
            .get(1..rest.floor_char_boundary(12))
            .and_then(|r| r.find(';').map(|end| &r[..end]));
        let decoded = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let n = e.strip_prefix('#')?;
                let code = match n.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => n.parse().ok()?,
                };
                char::from_u32(code).filter(|c| *c != '\0')
            }
        });
        match (entity, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn is_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b':'))
}

/// What the tokenizer tells the statement builder.
trait Sink {
    fn open(&mut self, tag: &str, line: usize) -> Result<(), ImportError>;
    fn close(&mut self, tag: &str, line: usize) -> Result<(), ImportError>;
    fn leaf(
        &mut self,
        parent: &str,
        tag: &str,
        value: &str,
        line: usize,
    ) -> Result<(), ImportError>;
}

/// The one tokenizer for OFX 1 and 2.
fn walk(text: &str, sink: &mut impl Sink) -> Result<(), ImportError> {
    let b = text.as_bytes();
    let mut lines = LineAt::new(b);
    let mut stack: Vec<(&str, usize)> = Vec::new();
    let mut pos = 0;
    let find =
        |from: usize, pat: &str| text.get(from..).and_then(|t| t.find(pat)).map(|i| i + from);
    let cut = |line: usize| ImportError::at(line, "the file ends inside a tag: it was cut short");
    while let Some(lt) = find(pos, "<") {
        let line = lines.of(lt);
        let rest = &text[lt..];
        if rest.starts_with("<?") {
            pos = find(lt, "?>").ok_or_else(|| cut(line))? + 2;
            continue;
        }
        if rest.starts_with("<!--") {
            pos = find(lt, "-->").ok_or_else(|| cut(line))? + 3;
            continue;
        }
        if rest.starts_with("<!") {
            return Err(ImportError::at(
                line,
                "a bank statement never declares a DTD or entities (<!…>): this file is not one, or was tampered with",
            ));
        }
        // A tag name is short: look for its `>` within a few bytes only.
        let window = &rest.as_bytes()[..rest.len().min(MAX_TAG + 4)];
        let Some(gt) = window.iter().position(|&c| c == b'>') else {
            if rest.len() < MAX_TAG + 4 {
                return Err(cut(lines.of(text.trim_end().len())));
            }
            return Err(ImportError::at(
                line,
                format!(
                    "expected a tag such as <STMTTRN> (at most {MAX_TAG} characters), found {}",
                    shown(&rest[..rest.floor_char_boundary(40)])
                ),
            ));
        };
        let inner = &rest[1..gt];
        pos = lt + gt + 1;
        let (closing, name) = match inner.strip_prefix('/') {
            Some(n) => (true, n.trim()),
            None => (false, inner.trim()),
        };
        let (name, empty) = match name.strip_suffix('/') {
            Some(n) if !closing => (n.trim_end(), true),
            _ => (name, false),
        };
        if !is_name(name) {
            return Err(ImportError::at(
                line,
                format!(
                    "expected a tag such as <STMTTRN>, found {}",
                    shown(&rest[..=gt])
                ),
            ));
        }
        let parent = stack.last().map_or("", |t| t.0);
        if closing {
            let Some(i) = stack.iter().rposition(|t| t.0 == name) else {
                return Err(ImportError::at(
                    line,
                    format!("</{name}> closes nothing that is open"),
                ));
            };
            // SGML: tags left open above it were empty leaves.
            while stack.len() > i {
                if let Some((t, _)) = stack.pop() {
                    sink.close(t, line)?;
                }
            }
            continue;
        }
        if empty {
            sink.leaf(parent, name, "", line)?;
            continue;
        }
        let next = find(pos, "<").unwrap_or(text.len());
        let value = text[pos..next].trim();
        let own_close = |at: usize| {
            let r = &text[at..];
            r.strip_prefix("</")
                .and_then(|r| r.strip_prefix(name))
                .and_then(|r| r.strip_prefix('>'))
                .map(|_| at + name.len() + 3)
        };
        if !value.is_empty() {
            if value.len() > MAX_VALUE {
                return Err(ImportError::at(
                    line,
                    format!(
                        "the value of <{name}> is longer than {} KiB: this is not a bank statement",
                        MAX_VALUE / 1024
                    ),
                ));
            }
            sink.leaf(parent, name, &unescape(value), line)?;
            pos = own_close(next).unwrap_or(next);
        } else if let Some(after) = own_close(next) {
            sink.leaf(parent, name, "", line)?;
            pos = after;
        } else {
            stack.push((name, line));
            if stack.len() > MAX_DEPTH {
                return Err(ImportError::at(
                    line,
                    format!(
                        "tags are nested more than {MAX_DEPTH} levels deep: this is not a bank statement"
                    ),
                ));
            }
            sink.open(name, line)?;
            pos = next;
        }
    }
    // Name the statement's part that was cut, not an empty leaf inside it.
    let cut_in = stack.iter().rev().find(|t| {
        matches!(
            t.0,
            "STMTTRN" | "LEDGERBAL" | "AVAILBAL" | "BANKTRANLIST" | "STMTRS" | "CCSTMTRS"
        )
    });
    if let Some((tag, opened)) = cut_in.or(stack.last()) {
        return Err(ImportError::at(
            lines.of(text.trim_end().len()),
            format!("the file ends inside <{tag}> opened on line {opened}: it was cut short"),
        ));
    }
    Ok(())
}

/// `YYYYMMDD…`: the first 8 digits, the day as the bank wrote it (the time
/// and `[+1:CET]` are ignored: converting to UTC would move a midnight
/// booking to the day before).
fn day(s: &str) -> Option<Date> {
    let d = s.get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::new(
        d[..4].parse().ok()?,
        d[4..6].parse().ok()?,
        d[6..].parse().ok()?,
    )
    .ok()
}

fn day_at(value: &str, line: usize) -> Result<Date, ImportError> {
    day(value).ok_or_else(|| {
        ImportError::at(
            line,
            format!("expected a date such as 20210926, found {}", shown(value)),
        )
    })
}

fn currency_at(value: &str, line: usize) -> Result<&'static str, ImportError> {
    currency(value).ok_or_else(|| {
        ImportError::at(
            line,
            format!(
                "expected a currency code such as EUR, found {}",
                shown(value)
            ),
        )
    })
}

#[derive(Default)]
struct Tx {
    line: usize,
    trntype: String,
    date: Option<Date>,
    value_date: Option<Date>,
    amount: Option<i64>,
    fitid: Option<String>,
    name: Option<String>,
    payee: Option<String>,
    memo: String,
    currency: Option<&'static str>,
}

impl Tx {
    fn kind(&self, label: &str) -> Kind {
        match self.trntype.as_str() {
            "DIRECTDEBIT" => Kind::DirectDebit,
            "DIRECTDEP" | "XFER" => Kind::Transfer,
            "POS" => Kind::Card,
            "ATM" => Kind::Cash,
            "CHECK" => Kind::Cheque,
            "FEE" | "SRVCHG" => Kind::Fee,
            "INT" | "DIV" => Kind::Interest,
            _ => Kind::of_label(label),
        }
    }

    fn finish(self, currency: &'static str) -> Result<Transaction, ImportError> {
        let line = self.line;
        let date = self.date.ok_or_else(|| {
            ImportError::at(
                line,
                "the transaction that starts here has no booking date (DTPOSTED)",
            )
        })?;
        let amount = self.amount.ok_or_else(|| {
            ImportError::at(
                line,
                "the transaction that starts here has no amount (TRNAMT)",
            )
        })?;
        let (label, memo) = match (&self.name, &self.payee) {
            (Some(n), _) | (None, Some(n)) => (n.clone(), self.memo.clone()),
            (None, None) => (self.memo.clone(), String::new()),
        };
        let mut t = Transaction::new(line, date, amount, label);
        t.kind = self.kind(&t.label);
        t.memo = memo;
        t.currency = self.currency.unwrap_or(currency);
        t.value_date = self.value_date;
        t.fitid = self.fitid;
        Ok(t)
    }
}

struct Stmt {
    currency: &'static str,
    account: AccountRef,
    transactions: Vec<Transaction>,
    balances: Vec<Balance>,
    start: Option<Date>,
    end: Option<Date>,
}

struct Bal {
    kind: BalanceKind,
    line: usize,
    amount: Option<i64>,
    date: Option<Date>,
}

#[derive(Default)]
struct Builder {
    org: Option<String>,
    statements: Vec<Statement>,
    stmt: Option<Stmt>,
    tx: Option<Tx>,
    bal: Option<Bal>,
    count: usize,
}

impl Sink for Builder {
    fn open(&mut self, tag: &str, line: usize) -> Result<(), ImportError> {
        match tag {
            "STMTRS" | "CCSTMTRS" => {
                self.stmt = Some(Stmt {
                    currency: "EUR",
                    account: AccountRef::default(),
                    transactions: Vec::new(),
                    balances: Vec::new(),
                    start: None,
                    end: None,
                });
            }
            "STMTTRN" if self.stmt.is_some() => {
                if let Some(open) = &self.tx {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "a transaction starts inside the one opened on line {}: the file is damaged",
                            open.line
                        ),
                    ));
                }
                self.count += 1;
                if self.count > MAX_TRANSACTIONS {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "more than {MAX_TRANSACTIONS} transactions in one file: download a shorter period"
                        ),
                    ));
                }
                self.tx = Some(Tx {
                    line,
                    ..Tx::default()
                });
            }
            "LEDGERBAL" | "AVAILBAL" if self.stmt.is_some() => {
                self.bal = Some(Bal {
                    kind: if tag == "LEDGERBAL" {
                        BalanceKind::Ledger
                    } else {
                        BalanceKind::Available
                    },
                    line,
                    amount: None,
                    date: None,
                });
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, tag: &str, _line: usize) -> Result<(), ImportError> {
        match tag {
            "STMTTRN" => {
                if let (Some(tx), Some(stmt)) = (self.tx.take(), self.stmt.as_mut()) {
                    let t = tx.finish(stmt.currency)?;
                    stmt.transactions.push(t);
                }
            }
            "LEDGERBAL" | "AVAILBAL" => {
                if let (Some(bal), Some(stmt)) = (self.bal.take(), self.stmt.as_mut()) {
                    let (Some(amount), Some(date)) = (bal.amount, bal.date) else {
                        return Err(ImportError::at(
                            bal.line,
                            "the balance that starts here has no amount (BALAMT) or no date (DTASOF)",
                        ));
                    };
                    stmt.balances.push(Balance {
                        date,
                        amount,
                        kind: bal.kind,
                    });
                }
            }
            "STMTRS" | "CCSTMTRS" => {
                if let Some(s) = self.stmt.take() {
                    self.statements.push(Statement {
                        account: s.account,
                        transactions: s.transactions,
                        balances: s.balances,
                        declared: s.start.zip(s.end),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn leaf(
        &mut self,
        parent: &str,
        tag: &str,
        value: &str,
        line: usize,
    ) -> Result<(), ImportError> {
        // An empty leaf says nothing (`<FITID></FITID>`, `<DTEND/>`).
        if value.is_empty() {
            return Ok(());
        }
        let money = |v: &str| {
            parse_cents(v)
                .map_err(|e| ImportError::at(line, format!("{e}: {}", shown(v))))?
                .ok_or_else(|| ImportError::at(line, format!("<{tag}> has no amount")))
        };
        if let Some(tx) = &mut self.tx {
            match (parent, tag) {
                ("STMTTRN", "TRNTYPE") => tx.trntype = value.to_ascii_uppercase(),
                ("STMTTRN", "DTPOSTED") => tx.date = Some(day_at(value, line)?),
                ("STMTTRN", "DTAVAIL") => tx.value_date = Some(day_at(value, line)?),
                ("STMTTRN", "TRNAMT") => tx.amount = Some(money(value)?),
                ("STMTTRN", "FITID") => tx.fitid = Some(value.to_owned()),
                ("STMTTRN", "NAME") => tx.name = Some(value.to_owned()),
                ("PAYEE", "NAME") => tx.payee = Some(value.to_owned()),
                ("STMTTRN", "MEMO") => tx.memo = value.to_owned(),
                ("CURRENCY", "CURSYM") => tx.currency = Some(currency_at(value, line)?),
                _ => {}
            }
            return Ok(());
        }
        if let Some(bal) = &mut self.bal {
            match tag {
                "BALAMT" => bal.amount = Some(money(value)?),
                "DTASOF" => bal.date = Some(day_at(value, line)?),
                _ => {}
            }
            return Ok(());
        }
        if let Some(stmt) = &mut self.stmt {
            let keep = |v: &str| Some(v.to_owned());
            match (parent, tag) {
                (_, "CURDEF") => stmt.currency = currency_at(value, line)?,
                ("BANKACCTFROM", "BANKID") => stmt.account.bank_code = keep(value),
                ("BANKACCTFROM", "BRANCHID") => stmt.account.branch = keep(value),
                ("BANKACCTFROM" | "CCACCTFROM", "ACCTID") => stmt.account.number = keep(value),
                ("BANKTRANLIST", "DTSTART") => stmt.start = Some(day_at(value, line)?),
                ("BANKTRANLIST", "DTEND") => stmt.end = Some(day_at(value, line)?),
                _ => {}
            }
            return Ok(());
        }
        if (parent, tag) == ("FI", "ORG") {
            self.org = Some(value.to_owned());
        }
        Ok(())
    }
}

/// A slug from an organisation's name: `"Crédit Mutuel"` → `credit-mutuel`.
fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in norm(name).chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The bank: a known bank code first (the same slug whatever the file's
/// layout), then `<FI><ORG>`, then the code itself, else "OFX".
fn holder(org: Option<&str>, statements: &[Statement]) -> Holder {
    let code = statements
        .iter()
        .find_map(|s| s.account.bank_code.as_deref());
    if let Some(h) = code.and_then(banks::by_bank_code) {
        return h;
    }
    if let Some(org) = org {
        let s = slug(org);
        if !s.is_empty() {
            return Holder::new(&s, org);
        }
    }
    match code {
        Some(code) => Holder::new(&format!("bank-{}", slug(code)), &format!("Bank {code}")),
        None => Holder::new("ofx", "OFX"),
    }
}

pub(super) fn parse(bytes: &[u8], layout: Layout) -> Result<Parsed, ImportError> {
    let text = text_of(bytes, layout == Layout::Ofx2)?;
    let mut b = Builder::default();
    walk(&text, &mut b)?;
    let rows = b.statements.iter().map(|s| s.transactions.len()).sum();
    if rows == 0 {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout,
        holder: holder(b.org.as_deref(), &b.statements),
        notes: Vec::new(),
        statements: b.statements,
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_decoded_and_a_bare_ampersand_kept() {
        assert_eq!(unescape("M&S FOOD"), "M&S FOOD");
        assert_eq!(unescape("DUPONT &amp; FILS"), "DUPONT & FILS");
        assert_eq!(unescape("&#201;&#xE9;&lt;&unknown;"), "Éé<&unknown;");
        assert_eq!(unescape("&#0;&"), "&#0;&");
        assert_eq!(unescape("&amp;ÉÉÉÉÉÉ"), "&ÉÉÉÉÉÉ");
        assert_eq!(unescape("&lt;&#xE9;ÉÉÉÉÉ"), "<éÉÉÉÉÉ");
    }

    #[test]
    fn a_posting_date_is_the_day_the_bank_wrote() {
        assert_eq!(
            day("20210927000000[+1:CET]"),
            Some(Date::constant(2021, 9, 27))
        );
        assert_eq!(
            day("20210928120000.000[+2:CEST]"),
            Some(Date::constant(2021, 9, 28))
        );
        assert_eq!(day("2021092"), None);
        assert_eq!(day("20210231"), None);
        assert_eq!(day("2021-09-2"), None);
    }
}

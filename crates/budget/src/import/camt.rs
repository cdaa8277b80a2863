//! ISO 20022 CAMT.053 bank-to-customer statements (XML), read with
//! quick-xml's pull `Reader`: elements by their local name (any namespace
//! version, `camt.053.001.02` to `.08`), lines counted from the reader's
//! buffer position. A `<!DOCTYPE` is refused outright (no XML bomb, no
//! external entity: quick-xml never expands custom entities, and an unknown
//! `&name;` is an error), and the reader is capped: 32 levels, 4 KiB of text
//! per element, 500,000 entries. Amounts are positive and signed by
//! `CdtDbtInd`; only booked (`BOOK`) entries are imported, and the opening
//! balance plus the booked entries must give the closing balance.

use jiff::civil::Date;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, shown};

use crate::banks;
use crate::model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Note, Parsed, Statement, Transaction,
};
use crate::money::{currency, format_cents, parse_cents};

use super::ofx::{LineAt, contains};

const HEAD: usize = 4096;
const MAX_DEPTH: usize = 32;
const MAX_TEXT: usize = 4096;
const MAX_ENTRIES: usize = 500_000;

/// `camt.053` named in the first 4 KiB of an XML document, or a `BkToCstmrStmt` element.
pub(super) fn detect(bytes: &[u8]) -> bool {
    let h = &bytes[..bytes.len().min(HEAD)];
    (contains(h, b"camt.053") && (contains(h, b"<?xml") || contains(h, b"<Document")))
        || contains(h, b"BkToCstmrStmt>")
}

/// `YYYY-MM-DD`, the first 10 characters of a `Dt` or a `DtTm`: the day as
/// the bank wrote it, never moved to UTC.
fn day(s: &str, line: usize) -> Result<Date, ImportError> {
    s.get(..10)
        .and_then(|d| d.parse::<Date>().ok())
        .filter(|_| s.as_bytes().get(4) == Some(&b'-'))
        .ok_or_else(|| {
            ImportError::at(
                line,
                format!("expected a date such as 2021-09-26, found {}", shown(s)),
            )
        })
}

/// A positive amount in cents.
fn amount(s: &str, line: usize) -> Result<i64, ImportError> {
    let cents = parse_cents(s)
        .map_err(|e| ImportError::at(line, format!("{e}: {}", shown(s))))?
        .ok_or_else(|| ImportError::at(line, "expected an amount, found none"))?;
    if cents < 0 || s.trim_start().starts_with('-') {
        return Err(ImportError::at(
            line,
            format!("CAMT amounts are positive, found {}", s.trim()),
        ));
    }
    Ok(cents)
}

/// `CRDT` → 1 (money in), `DBIT` → -1.
fn sign(s: &str, line: usize) -> Result<i64, ImportError> {
    match s {
        "CRDT" => Ok(1),
        "DBIT" => Ok(-1),
        _ => Err(ImportError::at(
            line,
            format!(
                "expected CRDT (money in) or DBIT (money out), found {}",
                shown(s)
            ),
        )),
    }
}

#[derive(Default)]
struct Entry {
    line: usize,
    amount: Option<(i64, usize)>,
    currency: Option<&'static str>,
    sign: Option<i64>,
    status: String,
    date: Option<Date>,
    value_date: Option<Date>,
    servicer_ref: Option<String>,
    entry_ref: Option<String>,
    family: String,
    subfamily: String,
    info: Option<String>,
    creditor: Option<String>,
    debtor: Option<String>,
    unstructured: Vec<String>,
}

impl Entry {
    fn kind(&self) -> Kind {
        match (self.family.as_str(), self.subfamily.as_str()) {
            (_, "CWDL") => Kind::Cash,
            ("CHRG", _) | (_, "CHRG") => Kind::Fee,
            (_, "INTR") => Kind::Interest,
            ("RDDT", _) => Kind::DirectDebit,
            ("ICDT" | "RCDT", _) => Kind::Transfer,
            ("CCRD" | "POSD", _) => Kind::Card,
            ("ICHQ" | "RCHQ" | "CHK", _) => Kind::Cheque,
            _ => Kind::Other,
        }
    }

    fn finish(self, account_currency: &'static str) -> Result<Transaction, ImportError> {
        let line = self.line;
        let missing =
            |what: &str| ImportError::at(line, format!("the entry that starts here has no {what}"));
        let (amount, _) = self.amount.ok_or_else(|| missing("amount (Amt)"))?;
        let sign = self
            .sign
            .ok_or_else(|| missing("direction (CdtDbtInd: CRDT or DBIT)"))?;
        let date = self.date.ok_or_else(|| missing("booking date (BookgDt)"))?;
        let counterparty = if sign < 0 {
            &self.creditor
        } else {
            &self.debtor
        };
        let label = counterparty
            .clone()
            .or_else(|| self.info.clone())
            .or_else(|| self.unstructured.first().cloned())
            .unwrap_or_default();
        let kind = self.kind();
        let mut t = Transaction::new(line, date, sign * amount, label);
        t.kind = kind;
        t.memo = self.unstructured.join(" / ");
        t.currency = self.currency.unwrap_or(account_currency);
        t.value_date = self.value_date;
        t.fitid = self.servicer_ref.or(self.entry_ref);
        Ok(t)
    }
}

#[derive(Default)]
struct Bal {
    line: usize,
    code: String,
    amount: Option<(i64, usize)>,
    sign: Option<i64>,
    date: Option<Date>,
}

#[derive(Default)]
struct Stmt {
    line: usize,
    account: AccountRef,
    currency: Option<&'static str>,
    bic: Option<String>,
    from: Option<Date>,
    to: Option<Date>,
    opening: Option<i64>,
    closing: Option<i64>,
    balances: Vec<Balance>,
    transactions: Vec<Transaction>,
}

impl Stmt {
    fn finish(self) -> Result<Statement, ImportError> {
        if let (Some(opening), Some(closing)) = (self.opening, self.closing) {
            let too_large = || ImportError::at(self.line, "the amounts are too large to add up");
            let sum = self
                .transactions
                .iter()
                .try_fold(0i64, |s, t| s.checked_add(t.amount))
                .ok_or_else(too_large)?;
            let end = opening.checked_add(sum).ok_or_else(too_large)?;
            if end != closing {
                return Err(ImportError::at(
                    self.line,
                    format!(
                        "the entries do not add up to the closing balance: the file is incomplete or damaged \
                         (opening balance {} plus the entries {} gives {}, the closing balance says {})",
                        format_cents(opening),
                        format_cents(sum),
                        format_cents(end),
                        format_cents(closing)
                    ),
                ));
            }
        }
        let mut account = self.account;
        if let Some(iban) = &account.iban
            && let Some((bank, branch, number)) = banks::french_iban_parts(iban)
        {
            account.bank_code = Some(bank);
            account.branch = Some(branch);
            account.number = Some(number);
        }
        Ok(Statement {
            account,
            transactions: self.transactions,
            balances: self.balances,
            declared: self.from.zip(self.to),
        })
    }
}

#[derive(Default)]
struct Builder {
    statements: Vec<Statement>,
    /// The servicer's BIC of the first statement that names one.
    bic: Option<String>,
    stmt: Option<Stmt>,
    entry: Option<Entry>,
    bal: Option<Bal>,
    entries: usize,
    pending: usize,
    unbooked: usize,
    /// The `Ccy` attribute of the `Amt` being read.
    amt_currency: Option<&'static str>,
}

impl Builder {
    fn start(&mut self, path: &str, e: &BytesStart<'_>, line: usize) -> Result<(), ImportError> {
        if path.ends_with("/BkToCstmrStmt/Stmt") {
            self.stmt = Some(Stmt {
                line,
                ..Stmt::default()
            });
        } else if self.stmt.is_some() && path.ends_with("/Stmt/Ntry") {
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(ImportError::at(
                    line,
                    format!(
                        "more than {MAX_ENTRIES} entries in one file: download a shorter period"
                    ),
                ));
            }
            self.entry = Some(Entry {
                line,
                ..Entry::default()
            });
        } else if self.stmt.is_some() && path.ends_with("/Stmt/Bal") {
            self.bal = Some(Bal {
                line,
                ..Bal::default()
            });
        } else if e.local_name().as_ref() == b"Amt" {
            self.amt_currency = None;
            for a in e.attributes() {
                let a = a.map_err(|_| ImportError::at(line, "this tag is damaged"))?;
                if a.key.local_name().as_ref() == b"Ccy" {
                    let v = a
                        .unescape_value()
                        .map_err(|_| ImportError::at(line, "this tag is damaged"))?;
                    self.amt_currency = Some(currency(&v).ok_or_else(|| {
                        ImportError::at(
                            line,
                            format!("expected a currency code such as EUR, found {}", shown(&v)),
                        )
                    })?);
                }
            }
        }
        Ok(())
    }

    fn end(&mut self, path: &str, text: &str, line: usize) -> Result<(), ImportError> {
        let text = text.trim();
        let owned = || Some(text.to_owned()).filter(|t| !t.is_empty());
        if let Some(entry) = &mut self.entry {
            if path.ends_with("/Stmt/Ntry") {
                let Some(entry) = self.entry.take() else {
                    return Ok(());
                };
                match entry.status.as_str() {
                    "BOOK" => {
                        if let Some(stmt) = &mut self.stmt {
                            let t = entry.finish(stmt.currency.unwrap_or("EUR"))?;
                            stmt.transactions.push(t);
                        }
                    }
                    "PDNG" => self.pending += 1,
                    "" => {
                        return Err(ImportError::at(
                            entry.line,
                            "the entry that starts here has no status (Sts: BOOK, PDNG or INFO)",
                        ));
                    }
                    _ => self.unbooked += 1,
                }
            } else if path.ends_with("/Ntry/Amt") {
                entry.amount = Some((amount(text, line)?, line));
                entry.currency = self.amt_currency;
            } else if path.ends_with("/Ntry/CdtDbtInd") {
                entry.sign = Some(sign(text, line)?);
            } else if path.ends_with("/Ntry/Sts") || path.ends_with("/Ntry/Sts/Cd") {
                if !text.is_empty() {
                    entry.status = text.to_owned();
                }
            } else if path.ends_with("/Ntry/BookgDt/Dt") || path.ends_with("/Ntry/BookgDt/DtTm") {
                entry.date = Some(day(text, line)?);
            } else if path.ends_with("/Ntry/ValDt/Dt") || path.ends_with("/Ntry/ValDt/DtTm") {
                entry.value_date = Some(day(text, line)?);
            } else if path.ends_with("/Ntry/AcctSvcrRef") {
                entry.servicer_ref = owned();
            } else if path.ends_with("/Ntry/NtryRef") {
                entry.entry_ref = owned();
            } else if path.ends_with("/Ntry/BkTxCd/Domn/Fmly/Cd") {
                entry.family = text.to_owned();
            } else if path.ends_with("/Ntry/BkTxCd/Domn/Fmly/SubFmlyCd") {
                entry.subfamily = text.to_owned();
            } else if path.ends_with("/Ntry/AddtlNtryInf") {
                entry.info = owned();
            } else if path.ends_with("/RltdPties/Cdtr/Nm")
                || path.ends_with("/RltdPties/Cdtr/Pty/Nm")
            {
                entry.creditor = entry.creditor.take().or_else(owned);
            } else if path.ends_with("/RltdPties/Dbtr/Nm")
                || path.ends_with("/RltdPties/Dbtr/Pty/Nm")
            {
                entry.debtor = entry.debtor.take().or_else(owned);
            } else if path.ends_with("/RmtInf/Ustrd")
                && let Some(u) = owned()
            {
                entry.unstructured.push(u);
            }
            return Ok(());
        }
        if let Some(bal) = &mut self.bal {
            if path.ends_with("/Stmt/Bal") {
                let Some(bal) = self.bal.take() else {
                    return Ok(());
                };
                let (Some((amount, _)), Some(sign), Some(date)) = (bal.amount, bal.sign, bal.date)
                else {
                    return Err(ImportError::at(
                        bal.line,
                        "the balance that starts here has no amount, direction (CdtDbtInd) or date",
                    ));
                };
                let amount = sign * amount;
                let kind = match bal.code.as_str() {
                    "OPBD" | "PRCD" => BalanceKind::Opening,
                    "CLBD" => BalanceKind::Closing,
                    "CLAV" => BalanceKind::Available,
                    _ => return Ok(()),
                };
                if let Some(stmt) = &mut self.stmt {
                    match kind {
                        BalanceKind::Opening if stmt.opening.is_none() => {
                            stmt.opening = Some(amount)
                        }
                        BalanceKind::Closing if stmt.closing.is_none() => {
                            stmt.closing = Some(amount)
                        }
                        _ => {}
                    }
                    stmt.balances.push(Balance { date, amount, kind });
                }
            } else if path.ends_with("/Bal/Tp/CdOrPrtry/Cd") {
                bal.code = text.to_owned();
            } else if path.ends_with("/Bal/Amt") {
                bal.amount = Some((amount(text, line)?, line));
            } else if path.ends_with("/Bal/CdtDbtInd") {
                bal.sign = Some(sign(text, line)?);
            } else if path.ends_with("/Bal/Dt/Dt") || path.ends_with("/Bal/Dt/DtTm") {
                bal.date = Some(day(text, line)?);
            }
            return Ok(());
        }
        let Some(stmt) = &mut self.stmt else {
            return Ok(());
        };
        if path.ends_with("/BkToCstmrStmt/Stmt") {
            if let Some(stmt) = self.stmt.take() {
                if self.bic.is_none() {
                    self.bic = stmt.bic.clone();
                }
                self.statements.push(stmt.finish()?);
            }
        } else if path.ends_with("/Stmt/Acct/Id/IBAN") {
            stmt.account.iban = owned().map(|i| i.replace(' ', ""));
        } else if path.ends_with("/Stmt/Acct/Id/Othr/Id") {
            stmt.account.number = owned();
        } else if path.ends_with("/Stmt/Acct/Nm") {
            stmt.account.label = owned();
        } else if path.ends_with("/Stmt/Acct/Ccy") {
            stmt.currency = Some(currency(text).ok_or_else(|| {
                ImportError::at(
                    line,
                    format!(
                        "expected a currency code such as EUR, found {}",
                        shown(text)
                    ),
                )
            })?);
        } else if path.ends_with("/Stmt/Acct/Svcr/FinInstnId/BIC")
            || path.ends_with("/Stmt/Acct/Svcr/FinInstnId/BICFI")
        {
            stmt.bic = owned();
        } else if path.ends_with("/Stmt/FrToDt/FrDtTm") {
            stmt.from = Some(day(text, line)?);
        } else if path.ends_with("/Stmt/FrToDt/ToDtTm") {
            stmt.to = Some(day(text, line)?);
        }
        Ok(())
    }

    fn holder(&self) -> Holder {
        if let Some(h) = self.bic.as_deref().and_then(banks::by_bic) {
            return h;
        }
        let code = self
            .statements
            .iter()
            .find_map(|s| s.account.bank_code.as_deref());
        if let Some(h) = code.and_then(banks::by_bank_code) {
            return h;
        }
        let code = code.or_else(|| self.bic.as_deref().and_then(|b| b.get(..4)));
        match code {
            Some(c) if c.bytes().all(|b| b.is_ascii_alphanumeric()) => Holder::new(
                &format!("bank-{}", c.to_ascii_lowercase()),
                &format!("Bank {c}"),
            ),
            _ => Holder::new("camt", "CAMT"),
        }
    }

    fn notes(&self) -> Vec<Note> {
        let mut notes = Vec::new();
        let plural = |n: usize, one: &str, many: &str| {
            if n == 1 {
                one.to_owned()
            } else {
                format!("{n} {many}")
            }
        };
        if self.pending > 0 {
            notes.push(Note {
                en: plural(
                    self.pending,
                    "1 pending entry skipped",
                    "pending entries skipped",
                ),
                fr: plural(
                    self.pending,
                    "1 opération en attente ignorée",
                    "opérations en attente ignorées",
                ),
            });
        }
        if self.unbooked > 0 {
            notes.push(Note {
                en: plural(
                    self.unbooked,
                    "1 entry given for information only skipped",
                    "entries given for information only skipped",
                ),
                fr: plural(
                    self.unbooked,
                    "1 opération donnée pour information ignorée",
                    "opérations données pour information ignorées",
                ),
            });
        }
        notes
    }
}

/// A reader position as an index (a `u64` too large only on a 32-bit target, then capped).
fn at(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let text = decode(bytes);
    let mut reader = Reader::from_str(&text);
    reader.config_mut().expand_empty_elements = true;
    let mut lines = LineAt::new(text.as_bytes());
    let mut b = Builder::default();
    // The path of local names ("/Document/BkToCstmrStmt/Stmt/Ntry") and,
    // per open element, the path's length before it and its line.
    let mut path = String::new();
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut content = String::new();
    loop {
        // Lines are those where each event starts (a DOCTYPE's `<!`, a tag's `<`).
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => {
                let line = lines.of(at(reader.error_position()));
                return Err(ImportError::at(
                    line,
                    "the XML is damaged here, or the file was cut short",
                ));
            }
        };
        let line = lines.of(at(before));
        match event {
            Event::DocType(_) => {
                return Err(ImportError::at(
                    line,
                    "a bank statement never declares a DTD (<!DOCTYPE …>): this file is not one, or was tampered with",
                ));
            }
            Event::Start(e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "elements are nested more than {MAX_DEPTH} levels deep: this is not a bank statement"
                        ),
                    ));
                }
                open.push((path.len(), line));
                path.push('/');
                path.push_str(&String::from_utf8_lossy(e.local_name().as_ref()));
                content.clear();
                b.start(&path, &e, line)?;
            }
            Event::End(_) => {
                b.end(&path, &content, line)?;
                content.clear();
                if let Some((len, _)) = open.pop() {
                    path.truncate(len);
                }
            }
            Event::Text(t) => {
                let t = t
                    .decode()
                    .map_err(|_| ImportError::at(line, "this text is not readable"))?;
                push_text(&mut content, &t, line)?;
            }
            Event::CData(t) => {
                let t = t
                    .decode()
                    .map_err(|_| ImportError::at(line, "this text is not readable"))?;
                push_text(&mut content, &t, line)?;
            }
            Event::GeneralRef(r) => {
                let c = r.resolve_char_ref().ok().flatten();
                let name = r.decode().unwrap_or_default();
                match (c, resolve_predefined_entity(&name)) {
                    (Some(c), _) => push_text(&mut content, c.encode_utf8(&mut [0; 4]), line)?,
                    (None, Some(s)) => push_text(&mut content, s, line)?,
                    (None, None) => {
                        return Err(ImportError::at(
                            line,
                            format!(
                                "unknown entity &{};: a bank statement never uses one",
                                name.chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                }
            }
            Event::Eof => break,
            Event::Empty(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !open.is_empty() {
        // Name the statement's part that was cut, not a leaf inside it.
        let names: Vec<(&str, usize)> = open
            .iter()
            .enumerate()
            .map(|(i, &(start, line))| {
                let end = open.get(i + 1).map_or(path.len(), |n| n.0);
                (path[start..end].trim_start_matches('/'), line)
            })
            .collect();
        let (tag, opened) = names
            .iter()
            .rev()
            .find(|(n, _)| matches!(*n, "Ntry" | "Bal" | "Stmt"))
            .or(names.last())
            .copied()
            .unwrap_or(("Document", 1));
        return Err(ImportError::at(
            lines.of(text.trim_end().len()),
            format!("the file ends inside <{tag}> opened on line {opened}: it was cut short"),
        ));
    }
    let rows = b.statements.iter().map(|s| s.transactions.len()).sum();
    if rows == 0 {
        return Err(ImportError::Empty);
    }
    Ok(Parsed {
        layout: Layout::Camt053,
        holder: b.holder(),
        notes: b.notes(),
        statements: b.statements,
        rows,
    })
}

fn push_text(content: &mut String, t: &str, line: usize) -> Result<(), ImportError> {
    if content.len() + t.len() > MAX_TEXT {
        return Err(ImportError::at(
            line,
            format!(
                "an element holds more than {} KiB of text: this is not a bank statement",
                MAX_TEXT / 1024
            ),
        ));
    }
    content.push_str(t);
    Ok(())
}

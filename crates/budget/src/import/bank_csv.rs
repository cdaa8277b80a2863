//! The French banks' CSV exports, read by one table-driven reader: a
//! header found within the first 40 non-blank lines names the bank
//! (BoursoBank `dateOp;dateVal;label;category;…`, Crédit Mutuel/CIC
//! `Date;Date de valeur;Débit;Crédit;Libellé;Solde`, Société Générale
//! `Date de l'opération;Libellé;Détail de l'écriture;Montant de l'opération;Devise`,
//! Crédit Agricole `Date;Libellé;Débit Euros;Crédit Euros;`, La Banque
//! Postale `Date;Libellé;Montant(EUROS)`), the lines before it say what the
//! bank puts there (account, balance, period), and each row after it is one
//! transaction, its amount signed in one column or unsigned in a debit or a
//! credit column.
//!
//! Rows are read with the `csv` crate from the file's bytes (doubled quotes,
//! `;` and line breaks inside quotes), each field decoded alone: UTF-8 when
//! the file is, else the bank's legacy encoding (Windows-1252, or
//! ISO-8859-15 for Crédit Mutuel, where `€` is byte 0xA4). No decoded copy
//! of the file is kept, and at most [`MAX_TRANSACTIONS`] rows: memory stays
//! bounded whatever the file's size.

use std::borrow::Cow;

use encoding_rs::{Encoding, ISO_8859_15, WINDOWS_1252};
use jiff::civil::Date;
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, delimiter_of, norm, shown, split_into};

use super::{MAX_TRANSACTIONS, too_many};
use crate::banks;
use crate::model::{
    AccountRef, Balance, BalanceKind, Holder, Layout, Note, Parsed, Statement, Transaction,
};
use crate::money::{format_cents, parse_cents};

/// How many non-blank lines may come before the header.
const HEADER_WITHIN: usize = 40;
/// How much of a file detection reads: the header is always near the top.
const SNIFF_BYTES: usize = 64 * 1024;

/// Where a row's amount is.
enum Amounts {
    /// One signed column.
    Signed(&'static str),
    /// A debit and a credit column; whatever the sign written, a debit is
    /// money out and a credit money in.
    DebitCredit(&'static str, &'static str),
}

/// One bank's layout: its header and which column says what (normalised
/// header names, see [`name`]).
struct Table {
    layout: Layout,
    /// The header's first fields; trailing empty fields are ignored.
    header: &'static [&'static str],
    /// Whether more columns may follow `header`.
    more_columns: bool,
    /// The encoding of a file that is not UTF-8.
    legacy: &'static Encoding,
    /// (slug, name) of the bank when the file names no bank code.
    holder: (&'static str, &'static str),
    date: &'static str,
    value_date: Option<&'static str>,
    label: &'static str,
    memo: Option<&'static str>,
    amount: Amounts,
    currency: Option<&'static str>,
    /// (parent, category) columns of the bank's own category.
    category: Option<(&'static str, &'static str)>,
    /// (number, label) columns when one file holds several accounts.
    account: Option<(&'static str, &'static str)>,
    /// A balance column on every row, and what it is.
    balance: Option<(&'static str, BalanceKind)>,
    /// Reads one line before the header (its fields).
    preamble: fn(&mut Preamble, &[&str]),
}

/// In the order they are tried; no header is a prefix of another's.
static TABLES: [Table; 5] = [
    Table {
        layout: Layout::BoursoBankCsv,
        header: &["dateop", "dateval", "label", "category"],
        more_columns: true,
        legacy: WINDOWS_1252,
        holder: ("boursobank", "BoursoBank"),
        date: "dateop",
        value_date: Some("dateval"),
        label: "label",
        memo: Some("comment"),
        amount: Amounts::Signed("amount"),
        currency: None,
        category: Some(("categoryparent", "category")),
        account: Some(("accountnum", "accountlabel")),
        balance: Some(("accountbalance", BalanceKind::Export)),
        preamble: nothing_before,
    },
    Table {
        layout: Layout::CreditMutuelCsv,
        header: &[
            "date",
            "date de valeur",
            "debit",
            "credit",
            "libelle",
            "solde",
        ],
        more_columns: false,
        legacy: ISO_8859_15,
        holder: ("credit-mutuel", "Crédit Mutuel"),
        date: "date",
        value_date: Some("date de valeur"),
        label: "libelle",
        memo: None,
        amount: Amounts::DebitCredit("debit", "credit"),
        currency: None,
        category: None,
        account: None,
        balance: Some(("solde", BalanceKind::Running)),
        preamble: nothing_before,
    },
    Table {
        layout: Layout::SocieteGeneraleCsv,
        header: &[
            "date de l'operation",
            "libelle",
            "detail de l'ecriture",
            "montant de l'operation",
            "devise",
        ],
        more_columns: false,
        legacy: WINDOWS_1252,
        holder: ("societe-generale", "Société Générale"),
        date: "date de l'operation",
        value_date: None,
        label: "libelle",
        memo: Some("detail de l'ecriture"),
        amount: Amounts::Signed("montant de l'operation"),
        currency: Some("devise"),
        category: None,
        account: None,
        balance: None,
        preamble: societe_generale_before,
    },
    Table {
        layout: Layout::CreditAgricoleCsv,
        header: &["date", "libelle", "debit euros", "credit euros"],
        more_columns: false,
        legacy: WINDOWS_1252,
        holder: ("credit-agricole", "Crédit Agricole"),
        date: "date",
        value_date: None,
        label: "libelle",
        memo: None,
        amount: Amounts::DebitCredit("debit euros", "credit euros"),
        currency: None,
        category: None,
        account: None,
        balance: None,
        preamble: credit_agricole_before,
    },
    Table {
        layout: Layout::BanquePostaleCsv,
        header: &["date", "libelle", "montant(euros)"],
        more_columns: true,
        legacy: WINDOWS_1252,
        holder: ("la-banque-postale", "La Banque Postale"),
        date: "date",
        value_date: None,
        label: "libelle",
        memo: None,
        amount: Amounts::Signed("montant(euros)"),
        currency: None,
        category: None,
        account: None,
        balance: None,
        preamble: banque_postale_before,
    },
];

/// A header name or preamble key reduced for comparison (`’` read as `'`).
fn name(s: &str) -> String {
    norm(&s.replace('\u{2019}', "'"))
}

fn matches(table: &Table, names: &[String]) -> bool {
    let mut names = names;
    while let [rest @ .., last] = names
        && last.is_empty()
    {
        names = rest;
    }
    let n = table.header.len();
    if table.more_columns {
        names.len() >= n && names[..n] == *table.header
    } else {
        names == table.header
    }
}

/// The file's bytes to read rows from, and how its text is encoded.
struct Source<'a> {
    body: Cow<'a, [u8]>,
    utf8: bool,
}

impl<'a> Source<'a> {
    fn new(bytes: &'a [u8]) -> Source<'a> {
        if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
            // UTF-16: the one case decoded whole (rows are then UTF-8).
            return Source {
                body: Cow::Owned(decode(bytes).into_owned().into_bytes()),
                utf8: true,
            };
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        // Cut inside its last character, a UTF-8 file is still UTF-8.
        let utf8 = match std::str::from_utf8(body) {
            Ok(_) => true,
            Err(e) => e.error_len().is_none(),
        };
        Source {
            body: Cow::Borrowed(body),
            utf8,
        }
    }

    fn text<'b>(&self, bytes: &'b [u8], legacy: &'static Encoding) -> Cow<'b, str> {
        if self.utf8 {
            String::from_utf8_lossy(bytes)
        } else {
            legacy.decode_without_bom_handling(bytes).0
        }
    }
}

/// The lines of `body` as (number, byte range without the line end, where the next begins).
fn raw_lines(body: &[u8]) -> impl Iterator<Item = (usize, std::ops::Range<usize>, usize)> + '_ {
    let mut start = 0;
    body.split(|&b| b == b'\n')
        .enumerate()
        .map(move |(i, line)| {
            let from = start;
            start += line.len() + 1;
            let len = line.strip_suffix(b"\r").unwrap_or(line).len();
            (i + 1, from..from + len, start.min(body.len()))
        })
}

/// The header line found, and the lines before it.
struct Header {
    table: &'static Table,
    line: usize,
    /// Where the rows begin (the byte after the header line).
    rows: usize,
    names: Vec<String>,
    /// The header's cells as written, for messages.
    cells: Vec<String>,
    delim: u8,
    preamble: Vec<std::ops::Range<usize>>,
}

fn find_header(src: &Source) -> Option<Header> {
    let mut preamble = Vec::new();
    let mut seen = 0;
    for (n, range, next) in raw_lines(&src.body) {
        // The header names are ASCII but for accents, read alike in every
        // legacy encoding.
        let text = src.text(&src.body[range.clone()], WINDOWS_1252);
        if text.trim().is_empty() {
            continue;
        }
        let delim = delimiter_of(&text);
        let mut fields = Vec::new();
        split_into(&text, delim, &mut fields);
        let names: Vec<String> = fields.iter().map(|f| name(f)).collect();
        if let Some(table) = TABLES.iter().find(|t| matches(t, &names)) {
            return Some(Header {
                table,
                line: n,
                rows: next,
                cells: fields.iter().map(|f| (*f).to_owned()).collect(),
                names,
                delim: u8::try_from(delim).unwrap_or(b';'),
                preamble,
            });
        }
        preamble.push(range);
        seen += 1;
        if seen >= HEADER_WITHIN {
            break;
        }
    }
    None
}

/// Whether the file is `layout`'s (only its first bytes are read).
pub(super) fn detect(layout: Layout, bytes: &[u8]) -> bool {
    let prefix = &bytes[..bytes.len().min(SNIFF_BYTES)];
    find_header(&Source::new(prefix)).is_some_and(|h| h.table.layout == layout)
}

/// `DD/MM/YYYY` or `YYYY-MM-DD`.
fn day(s: &str) -> Option<Date> {
    let s = s.trim();
    let (y, m, d) = if let Some((y, rest)) = s.split_once('-') {
        let (m, d) = rest.split_once('-')?;
        (y, m, d)
    } else {
        let mut parts = s.splitn(3, '/');
        let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
        (y, m, d)
    };
    if y.len() != 4 {
        return None;
    }
    Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

/// What the lines before the header say.
#[derive(Default)]
struct Preamble {
    account: AccountRef,
    balance_day: Option<Date>,
    balance: Option<i64>,
    declared: Option<(Date, Date)>,
}

fn nothing_before(_: &mut Preamble, _: &[&str]) {}

/// `Compte de Dépôt carte n° 12345678901`, `Solde au 30/09/2021 1 234,56 €`,
/// `Liste des opérations du compte entre le 01/09/2021 et le 30/09/2021`.
fn credit_agricole_before(p: &mut Preamble, cells: &[&str]) {
    let first = cells.first().copied().unwrap_or("");
    if let Some(at) = first.find("n°") {
        let number: String = first[at + "n°".len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !number.is_empty() {
            p.account.number = Some(number);
            p.account.label = Some(first[..at].trim().to_owned());
        }
    } else if let Some(rest) = first.strip_prefix("Solde au ") {
        if let Some((date, amount)) = rest.split_at_checked(10)
            && let (Some(date), Ok(Some(amount))) = (day(date), parse_cents(amount))
        {
            p.balance_day = Some(date);
            p.balance = Some(amount);
        }
    } else if let Some(at) = first.find("entre le ") {
        let rest = &first[at + "entre le ".len()..];
        if let Some((from, to)) = rest.split_once(" et le ")
            && let (Some(from), Some(to)) = (day(from), day(to))
        {
            p.declared = Some((from, to));
        }
    }
}

/// `="30003012340005012345689";Compte Bancaire;Solde au 30/09/2021;1 234,56 EUR`:
/// the RIB (bank 5, branch 5, account 11, key 2), the account's name, the balance.
fn societe_generale_before(p: &mut Preamble, cells: &[&str]) {
    let cells: Vec<&str> = cells
        .iter()
        .map(|c| c.trim_start_matches('=').trim_matches('"').trim())
        .collect();
    for (i, cell) in cells.iter().enumerate() {
        let b = cell.as_bytes();
        if b.len() == 23
            && b[..10].iter().all(u8::is_ascii_digit)
            && b.iter().all(u8::is_ascii_alphanumeric)
        {
            p.account.bank_code = Some(cell[..5].to_owned());
            p.account.branch = Some(cell[5..10].to_owned());
            p.account.number = Some(cell[10..21].to_owned());
            if let Some(label) = cells.get(i + 1)
                && !label.is_empty()
                && !name(label).starts_with("solde")
            {
                p.account.label = Some((*label).to_owned());
            }
        } else if let Some(rest) = name(cell).strip_prefix("solde au ") {
            p.balance_day = day(rest);
            p.balance = cells.get(i + 1).and_then(|a| parse_cents(a).ok().flatten());
        }
    }
}

/// `Numéro Compte   ;0123456A020`, `Type ;CCP`, `Date ;30/09/2021`, `Solde (EUROS) ;1 234,56`.
fn banque_postale_before(p: &mut Preamble, cells: &[&str]) {
    let [key, value, ..] = cells else {
        return;
    };
    if value.is_empty() {
        return;
    }
    match name(key).as_str() {
        "numero compte" => p.account.number = Some((*value).to_owned()),
        "type" => p.account.label = Some((*value).to_owned()),
        "date" => p.balance_day = day(value),
        k if k.starts_with("solde") => p.balance = parse_cents(value).ok().flatten(),
        _ => {}
    }
}

/// The ISO 4217 codes a French bank's export may state.
const CURRENCIES: &[&str] = &[
    "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "PLN", "CZK",
    "HUF", "RON", "BGN", "CNY", "HKD", "SGD", "MAD", "TND", "DZD", "XOF", "XAF", "XPF", "TRY",
    "ILS", "INR", "BRL", "MXN", "ZAR", "AED", "THB",
];

fn currency(code: &str) -> Option<&'static str> {
    CURRENCIES
        .iter()
        .find(|c| c.eq_ignore_ascii_case(code))
        .copied()
}

/// The columns of one table in one file's header.
struct Columns {
    date: usize,
    value_date: Option<usize>,
    label: usize,
    memo: Option<usize>,
    signed: Option<usize>,
    debit_credit: Option<(usize, usize)>,
    currency: Option<usize>,
    category: Option<(Option<usize>, Option<usize>)>,
    account: Option<(usize, Option<usize>)>,
    balance: Option<usize>,
}

impl Columns {
    fn of(table: &Table, header: &Header) -> Result<Columns, ImportError> {
        let find = |n: &str| header.names.iter().position(|h| h == n);
        let need = |n: &str| {
            find(n).ok_or_else(|| {
                ImportError::at(header.line, format!("the header has no column named {n}"))
            })
        };
        let (signed, debit_credit) = match table.amount {
            Amounts::Signed(a) => (Some(need(a)?), None),
            Amounts::DebitCredit(d, c) => (None, Some((need(d)?, need(c)?))),
        };
        Ok(Columns {
            date: need(table.date)?,
            value_date: table.value_date.and_then(find),
            label: need(table.label)?,
            memo: table.memo.and_then(find),
            signed,
            debit_credit,
            currency: table.currency.and_then(find),
            category: table.category.map(|(p, c)| (find(p), find(c))),
            account: table
                .account
                .and_then(|(n, l)| find(n).map(|n| (n, find(l)))),
            balance: table.balance.and_then(|(b, _)| find(b)),
        })
    }
}

/// One account's rows as they are read.
struct Group {
    account: AccountRef,
    transactions: Vec<Transaction>,
    /// The balance column on the row with the latest date.
    latest: Option<(Date, i64)>,
}

/// The check of a running balance column (previous balance + amount =
/// balance), in both row orders at once: banks list oldest or newest first.
#[derive(Default)]
struct Running {
    /// (date, amount, balance) of the row before.
    previous: Option<(Date, i64, i64)>,
    first: Option<(Date, i64)>,
    last: Option<(Date, i64)>,
    /// (first line that does not add up, (found, expected), rows that do not) when oldest first.
    oldest_first: Option<(usize, (i64, i64), usize)>,
    newest_first: Option<(usize, (i64, i64), usize)>,
}

impl Running {
    fn row(&mut self, line: usize, date: Date, amount: i64, balance: i64) {
        if let Some((_, prev_amount, prev_balance)) = self.previous {
            let oldest = prev_balance.checked_add(amount);
            if oldest != Some(balance) {
                let e = self.oldest_first.get_or_insert((
                    line,
                    (balance, oldest.unwrap_or(i64::MAX)),
                    0,
                ));
                e.2 += 1;
            }
            let newest = balance.checked_add(prev_amount);
            if newest != Some(prev_balance) {
                let e = self.newest_first.get_or_insert((
                    line,
                    (balance, prev_balance.saturating_sub(prev_amount)),
                    0,
                ));
                e.2 += 1;
            }
        }
        self.previous = Some((date, amount, balance));
        self.first.get_or_insert((date, balance));
        self.last = Some((date, balance));
    }

    /// The latest balance, and a note when the column does not add up.
    fn finish(self) -> (Option<(Date, i64)>, Option<Note>) {
        let (Some(first), Some(last)) = (self.first, self.last) else {
            return (None, None);
        };
        let newest_first = first.0 > last.0
            || (first.0 == last.0 && self.oldest_first.is_some() && self.newest_first.is_none());
        let (latest, wrong) = if newest_first {
            (first, self.newest_first)
        } else {
            (last, self.oldest_first)
        };
        let note = wrong.map(|(line, (found, expected), count)| {
            let fr = |c: i64| format_cents(c).replace('.', ",");
            let (rows, lignes) = if count == 1 {
                (String::new(), String::new())
            } else {
                (
                    format!(" ({count} rows like this)"),
                    format!(" ({count} lignes ainsi)"),
                )
            };
            Note {
                en: format!(
                    "line {line}: the balance column says {} where the balance before and the amount give {}{rows}; the bank may count its balances by value date, the transactions were read as written",
                    format_cents(found),
                    format_cents(expected),
                ),
                fr: format!(
                    "ligne {line} : la colonne Solde indique {} là où le solde précédent et le montant donnent {}{lignes} ; la banque compte peut-être ses soldes en date de valeur, les opérations sont lues telles qu’écrites",
                    fr(found),
                    fr(expected)
                ),
            }
        });
        (Some(latest), note)
    }
}

/// Reads `layout`'s file whole, or refuses it with the line.
pub(super) fn parse(layout: Layout, bytes: &[u8]) -> Result<Parsed, ImportError> {
    let src = Source::new(bytes);
    let header = find_header(&src).ok_or(ImportError::Unrecognised)?;
    let table = header.table;
    if table.layout != layout {
        return Err(ImportError::Unrecognised);
    }
    let text = |b: &[u8]| -> String { src.text(b, table.legacy).into_owned() };

    let mut preamble = Preamble::default();
    for range in &header.preamble {
        let line = text(&src.body[range.clone()]);
        let mut fields = Vec::new();
        split_into(&line, char::from(header.delim), &mut fields);
        (table.preamble)(&mut preamble, &fields);
    }
    let columns = Columns::of(table, &header)?;
    let shown_column = |i: usize| header.cells.get(i).cloned().unwrap_or_default();

    let rows = &src.body[header.rows.min(src.body.len())..];
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(header.delim)
        .from_reader(rows);
    let width = header.names.len();
    let mut record = csv::ByteRecord::new();
    let mut groups: Vec<Group> = Vec::new();
    let mut running = Running::default();
    let mut count = 0usize;
    // Line numbers: the record's first byte, past the line ends csv skips.
    let (mut counted_to, mut line) = (0usize, header.line + 1);
    loop {
        let at = reader.position().byte();
        let more = reader
            .read_byte_record(&mut record)
            .map_err(|e| ImportError::at(line, format!("this row cannot be read as CSV ({e})")))?;
        if !more {
            break;
        }
        let mut start = usize::try_from(at).unwrap_or(rows.len()).min(rows.len());
        while start < rows.len() && matches!(rows[start], b'\r' | b'\n') {
            start += 1;
        }
        line += rows[counted_to..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted_to = start;
        let n = line;

        // Trimmed; a line break inside quotes (a comment on two lines) read as a space.
        let cell = |i: usize| -> Cow<'_, str> {
            let s = match record.get(i).map(|b| src.text(b, table.legacy)) {
                Some(Cow::Borrowed(s)) => Cow::Borrowed(s.trim()),
                Some(Cow::Owned(s)) => Cow::Owned(s.trim().to_owned()),
                None => Cow::Borrowed(""),
            };
            if s.contains(['\r', '\n']) {
                Cow::Owned(
                    s.split(['\r', '\n'])
                        .filter(|p| !p.is_empty())
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            } else {
                s
            }
        };
        if (0..record.len()).all(|i| cell(i).is_empty()) {
            continue;
        }
        if record.len() < width {
            let end = rows[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(rows.len(), |e| start + e);
            let raw = text(&rows[start..end]);
            return Err(ImportError::at(
                n,
                format!(
                    "the row ends early (the file may have been cut): {}",
                    shown(raw.trim_end_matches('\r'))
                ),
            ));
        }
        if count == MAX_TRANSACTIONS {
            return Err(too_many(n));
        }

        let date = cell(columns.date);
        let date = day(&date).ok_or_else(|| {
            ImportError::at(
                n,
                format!("expected a date such as 26/09/2021, found {}", shown(&date)),
            )
        })?;
        let money = |i: usize| {
            let s = cell(i);
            parse_cents(&s).map_err(|e| {
                ImportError::at(n, format!("{e} in {}: {}", shown_column(i), shown(&s)))
            })
        };
        let amount = if let Some(i) = columns.signed {
            money(i)?.ok_or_else(|| {
                ImportError::at(
                    n,
                    format!("expected an amount in {}, found none", shown_column(i)),
                )
            })?
        } else if let Some((d, c)) = columns.debit_credit {
            let (dn, cn) = (shown_column(d), shown_column(c));
            match (money(d)?, money(c)?) {
                (Some(d), None) => -d.saturating_abs(),
                (None, Some(c)) => c.saturating_abs(),
                (Some(_), Some(_)) => {
                    return Err(ImportError::at(
                        n,
                        format!("expected an amount in {dn} or in {cn}, not both"),
                    ));
                }
                (None, None) => {
                    return Err(ImportError::at(
                        n,
                        format!("expected an amount in {dn} or in {cn}, found none"),
                    ));
                }
            }
        } else {
            return Err(ImportError::at(n, "no amount column"));
        };

        let mut t = Transaction::new(n, date, amount, cell(columns.label).into_owned());
        if let Some(i) = columns.value_date {
            let v = cell(i);
            if !v.is_empty() {
                let v = day(&v).ok_or_else(|| {
                    ImportError::at(
                        n,
                        format!(
                            "expected a date such as 27/09/2021 in {}, found {}",
                            shown_column(i),
                            shown(&v)
                        ),
                    )
                })?;
                t.value_date = (v != date).then_some(v);
            }
        }
        if let Some(i) = columns.memo {
            t.memo = cell(i).into_owned();
        }
        if let Some(i) = columns.currency {
            let code = cell(i);
            if !code.is_empty() {
                t.currency = currency(&code).ok_or_else(|| {
                    ImportError::at(
                        n,
                        format!(
                            "the currency {} is not one selfdata knows (such as EUR)",
                            shown(&code)
                        ),
                    )
                })?;
            }
        }
        if let Some((parent, category)) = columns.category {
            let parent = parent.map(cell).unwrap_or_default();
            let category = category.map(cell).unwrap_or_default();
            t.bank_category = match (parent.is_empty(), category.is_empty()) {
                (true, true) => None,
                (false, true) => Some(parent.into_owned()),
                (true, false) => Some(category.into_owned()),
                (false, false) => Some(format!("{parent}/{category}")),
            };
        }
        let balance = match columns.balance {
            Some(i) => money(i)?,
            None => None,
        };

        let account = columns.account.map(|(number, label)| AccountRef {
            number: Some(cell(number).into_owned()).filter(|s| !s.is_empty()),
            label: label
                .map(|l| cell(l).into_owned())
                .filter(|s| !s.is_empty()),
            ..AccountRef::default()
        });
        let group = match account {
            None => 0,
            Some(account) => groups
                .iter()
                .rposition(|g| g.account.number == account.number)
                .unwrap_or_else(|| {
                    groups.push(Group {
                        account,
                        transactions: Vec::new(),
                        latest: None,
                    });
                    groups.len() - 1
                }),
        };
        if groups.is_empty() {
            groups.push(Group {
                account: std::mem::take(&mut preamble.account),
                transactions: Vec::new(),
                latest: None,
            });
        }
        let g = &mut groups[group];
        if let Some(b) = balance {
            match table.balance.map(|(_, k)| k) {
                Some(BalanceKind::Running) => running.row(n, date, amount, b),
                _ => {
                    if g.latest.is_none_or(|(d, _)| date > d) {
                        g.latest = Some((date, b));
                    }
                }
            }
        }
        g.transactions.push(t);
        count += 1;
    }
    if count == 0 {
        return Err(ImportError::Empty);
    }

    let holder = groups[0]
        .account
        .bank_code
        .as_deref()
        .and_then(banks::by_bank_code)
        .unwrap_or_else(|| Holder::new(table.holder.0, table.holder.1));
    let (latest_running, note) = running.finish();
    let kind = table.balance.map_or(BalanceKind::Ledger, |(_, k)| k);
    let stated = match (preamble.balance_day, preamble.balance) {
        (Some(date), Some(amount)) => Some(Balance {
            date,
            amount,
            kind: BalanceKind::Ledger,
        }),
        _ => None,
    };
    let statements = groups
        .into_iter()
        .map(|g| Statement {
            account: g.account,
            balances: stated
                .into_iter()
                .chain(g.latest.or(latest_running).map(|(date, amount)| Balance {
                    date,
                    amount,
                    kind,
                }))
                .collect(),
            transactions: g.transactions,
            declared: preamble.declared,
        })
        .collect();
    Ok(Parsed {
        layout,
        holder,
        notes: note.into_iter().collect(),
        statements,
        rows: count,
    })
}

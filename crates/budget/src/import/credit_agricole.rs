//! The Crédit Agricole CSV (Windows-1252, `;`): a preamble naming the
//! resident, the account (`Compte de Dépôt carte n° 12345678901`), its
//! balance (`Solde au 30/09/2021 1 234,56 €`) and the period
//! (`… entre le 01/09/2021 et le 30/09/2021`), then
//! `Date;Libellé;Débit Euros;Crédit Euros;` and one row per transaction,
//! its amount unsigned in the debit or the credit column.

use jiff::civil::Date;
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, find_header, lines, shown, split_into};

use crate::model::{
    AccountRef, Balance, BalanceKind, Holder, Layout, Parsed, Statement, Transaction,
};
use crate::money::parse_cents;

/// How far into the file the header may be.
const HEADER_WITHIN: usize = 40;

fn is_header(fields: &[String]) -> bool {
    let fields: Vec<&str> = fields
        .iter()
        .map(String::as_str)
        .filter(|f| !f.is_empty())
        .collect();
    fields == ["date", "libelle", "debit euros", "credit euros"]
}

pub(super) fn detect(bytes: &[u8]) -> bool {
    let text = decode(bytes);
    let mut numbered = lines(&text).take(HEADER_WITHIN);
    find_header(&mut numbered, is_header).is_some()
}

/// `DD/MM/YYYY`.
fn day(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '/');
    let d: i8 = parts.next()?.parse().ok()?;
    let m: i8 = parts.next()?.parse().ok()?;
    let y: i16 = parts.next()?.parse().ok()?;
    Date::new(y, m, d).ok()
}

/// What the preamble says about the account, its balance and the period.
#[derive(Default)]
struct Preamble {
    account: AccountRef,
    balance: Option<Balance>,
    declared: Option<(Date, Date)>,
}

impl Preamble {
    fn read(&mut self, line: &str) {
        let first = line.split(';').next().unwrap_or("").trim();
        if let Some(at) = first.find("n°") {
            let number: String = first[at + "n°".len()..]
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if !number.is_empty() {
                self.account.number = Some(number);
                self.account.label = Some(first[..at].trim().to_owned());
            }
        } else if let Some(rest) = first.strip_prefix("Solde au ") {
            let (date, amount) = rest.split_at(rest.floor_char_boundary(10));
            if let (Some(date), Ok(Some(amount))) = (day(date), parse_cents(amount)) {
                self.balance = Some(Balance {
                    date,
                    amount,
                    kind: BalanceKind::Ledger,
                });
            }
        } else if let Some(at) = first.find("entre le ") {
            let rest = &first[at + "entre le ".len()..];
            if let Some((from, to)) = rest.split_once(" et le ")
                && let (Some(from), Some(to)) = (day(from), day(to))
            {
                self.declared = Some((from, to));
            }
        }
    }
}

pub(super) fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let text = decode(bytes);
    let mut numbered = lines(&text);
    let mut preamble = Preamble::default();
    let mut seen = 0;
    let mut header = None;
    for (n, line) in numbered.by_ref() {
        let mut one = std::iter::once((n, line));
        if let Some(found) = find_header(&mut one, is_header) {
            header = Some(found);
            break;
        }
        preamble.read(line);
        seen += 1;
        if seen >= HEADER_WITHIN {
            break;
        }
    }
    let Some((_, names, delim)) = header else {
        return Err(ImportError::Unrecognised);
    };
    // Rows end with the header's trailing `;`: a row without it was cut.
    let width = names.len();
    let mut transactions = Vec::new();
    let mut fields = Vec::new();
    for (n, line) in numbered {
        split_into(line, delim, &mut fields);
        if fields.iter().all(|f| f.is_empty()) {
            continue;
        }
        if fields.len() < width {
            return Err(ImportError::at(
                n,
                format!(
                    "the row ends early (the file may have been cut): {}",
                    shown(line)
                ),
            ));
        }
        let [date, label, debit, credit, ..] = fields[..] else {
            return Err(ImportError::at(
                n,
                format!(
                    "expected a date, a label, a debit and a credit, found {}",
                    shown(line)
                ),
            ));
        };
        let date = day(date).ok_or_else(|| {
            ImportError::at(
                n,
                format!("expected a date such as 26/09/2021, found {}", shown(date)),
            )
        })?;
        let money = |s: &str, column: &str| {
            parse_cents(s).map_err(|e| ImportError::at(n, format!("{e} in {column}: {}", shown(s))))
        };
        let amount = match (money(debit, "Débit Euros")?, money(credit, "Crédit Euros")?) {
            (Some(d), None) => -d.abs(),
            (None, Some(c)) => c.abs(),
            (Some(_), Some(_)) => {
                return Err(ImportError::at(
                    n,
                    "expected an amount in Débit Euros or in Crédit Euros, not both",
                ));
            }
            (None, None) => {
                return Err(ImportError::at(
                    n,
                    "expected an amount in Débit Euros or in Crédit Euros, found none",
                ));
            }
        };
        transactions.push(Transaction::new(n, date, amount, label));
    }
    if transactions.is_empty() {
        return Err(ImportError::Empty);
    }
    let rows = transactions.len();
    Ok(Parsed {
        layout: Layout::CreditAgricoleCsv,
        holder: Holder::new("credit-agricole", "Crédit Agricole"),
        notes: Vec::new(),
        statements: vec![Statement {
            account: preamble.account,
            transactions,
            balances: preamble.balance.into_iter().collect(),
            declared: preamble.declared,
        }],
        rows,
    })
}

//! The resident's bank accounts, as the pod keeps them in
//! `selfdata/budget/accounts.csv`, and which one a statement is about.
//!
//! A statement is the same account as a known one when their IBANs are
//! equal, or their account numbers with the same bank (a French IBAN holds
//! the bank code, branch and number, so an OFX `BANKID`/`ACCTID` meets the
//! CAMT IBAN of the same account). A file that names no account (QIF,
//! Crédit Mutuel's CSV) goes to the bank's only account, else to an
//! account named "without number" of that bank. A new account is never
//! refused: each account is its own series, so a second one cannot spoil
//! the first; the import names it and the resident can remove it.

use crate::banks::french_iban_parts;
use crate::model::{AccountRef, Holder};

/// One account the pod knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id in file names and the API (`credit-agricole-8901`).
    pub id: String,
    pub holder: Holder,
    pub iban: Option<String>,
    pub bank_code: Option<String>,
    pub branch: Option<String>,
    pub number: Option<String>,
    pub label: Option<String>,
    pub currency: String,
}

impl Account {
    /// The last four characters of its number or IBAN, for "…8901".
    pub fn last4(&self) -> Option<&str> {
        let n = self.number.as_deref().or(self.iban.as_deref())?;
        n.get(n.len().saturating_sub(4)..)
    }

    /// "Crédit Agricole …8901 (Compte de Dépôt carte)".
    pub fn name(&self) -> String {
        let mut s = self.holder.name.clone();
        if let Some(l) = self.last4() {
            s.push_str(" …");
            s.push_str(l);
        }
        if let Some(label) = &self.label {
            s.push_str(&format!(" ({label})"));
        }
        s
    }
}

/// An account reference with what its IBAN implies filled in.
fn completed(r: &AccountRef) -> AccountRef {
    let mut r = r.clone();
    if let Some(iban) = &r.iban {
        let compact: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some((bank, branch, number)) = french_iban_parts(&compact) {
            r.bank_code.get_or_insert(bank);
            r.branch.get_or_insert(branch);
            r.number.get_or_insert(number);
        }
        r.iban = Some(compact.to_ascii_uppercase());
    }
    r
}

fn same(a: &Account, holder: &Holder, r: &AccountRef) -> bool {
    if let (Some(x), Some(y)) = (&a.iban, &r.iban) {
        return x == y;
    }
    match (&a.number, &r.number) {
        (Some(x), Some(y)) if x == y => match (&a.bank_code, &r.bank_code) {
            (Some(p), Some(q)) => p == q,
            _ => a.holder.slug == holder.slug,
        },
        _ => false,
    }
}

const UNNAMED: &str = "sans-numero";

/// `Livret A` → `livret-a`: letters and digits, accents dropped, at most 24.
fn slug(label: &str) -> String {
    let words = selfdata_sources::text::norm(label);
    let mut out = String::new();
    for c in words.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 24 {
            break;
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The account `r` (held by `holder`) is about: its index in `accounts`,
/// creating it when it is new (second value `true`).
pub fn find_or_open(accounts: &mut Vec<Account>, holder: &Holder, r: &AccountRef) -> (usize, bool) {
    let r = completed(r);
    let named = r.iban.is_some() || r.number.is_some();
    if named {
        if let Some(i) = accounts.iter().position(|a| same(a, holder, &r)) {
            return (i, false);
        }
    } else {
        // Named by its label alone (a QIF `!Account`): the bank's account of that name.
        if let Some(label) = r.label.as_deref().filter(|l| !l.trim().is_empty()) {
            let same = |a: &Account| {
                a.holder.slug == holder.slug
                    && a.iban.is_none()
                    && a.number.is_none()
                    && a.label.as_deref().is_some_and(|x| {
                        selfdata_sources::text::norm(x) == selfdata_sources::text::norm(label)
                    })
            };
            if let Some(i) = accounts.iter().position(same) {
                return (i, false);
            }
        }
        let of_holder: Vec<usize> = (0..accounts.len())
            .filter(|&i| accounts[i].holder.slug == holder.slug)
            .collect();
        // The bank's only account, unless both are named and differ.
        if let [only] = of_holder[..]
            && (r.label.is_none() || accounts[only].label.is_none())
        {
            return (only, false);
        }
        if let Some(&i) = of_holder
            .iter()
            .find(|&&i| accounts[i].id.ends_with(UNNAMED))
        {
            return (i, false);
        }
    }
    let tail = r
        .number
        .as_deref()
        .or(r.iban.as_deref())
        .map(|n| {
            let t: String = n
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            t[t.len().saturating_sub(4)..].to_owned()
        })
        .filter(|t| !t.is_empty())
        .or_else(|| r.label.as_deref().map(slug).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| UNNAMED.to_owned());
    let base = format!("{}-{tail}", holder.slug);
    let mut id = base.clone();
    let mut n = 2;
    while accounts.iter().any(|a| a.id == id) {
        id = format!("{base}-{n}");
        n += 1;
    }
    accounts.push(Account {
        id,
        holder: holder.clone(),
        iban: r.iban,
        bank_code: r.bank_code,
        branch: r.branch,
        number: r.number,
        label: r.label,
        currency: "EUR".to_owned(),
    });
    (accounts.len() - 1, true)
}

/// The columns of `accounts.csv`.
pub const HEADER: [&str; 9] = [
    "id",
    "holder",
    "holder_name",
    "iban",
    "bank_code",
    "branch",
    "number",
    "label",
    "currency",
];

/// The accounts as `accounts.csv`.
pub fn to_csv(accounts: &[Account]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut ok = w.write_record(HEADER).is_ok();
    for a in accounts {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        ok &= w
            .write_record([
                a.id.clone(),
                a.holder.slug.clone(),
                a.holder.name.clone(),
                o(&a.iban),
                o(&a.bank_code),
                o(&a.branch),
                o(&a.number),
                o(&a.label),
                a.currency.clone(),
            ])
            .is_ok();
    }
    debug_assert!(ok, "writing to a Vec cannot fail");
    w.into_inner().unwrap_or_default()
}

/// Reads `accounts.csv` back; a damaged line is named.
pub fn from_csv(bytes: &[u8]) -> Result<Vec<Account>, crate::ledger::LedgerError> {
    let mut r = csv::ReaderBuilder::new().from_reader(bytes);
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = r.position().line() as usize;
        match r.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(crate::ledger::LedgerError {
                    line,
                    message: e.to_string(),
                });
            }
        }
        let f = |i: usize| record.get(i).unwrap_or("").to_owned();
        let o = |i: usize| Some(f(i)).filter(|s| !s.is_empty());
        let id = f(0);
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(crate::ledger::LedgerError {
                line,
                message: format!("{id:?} is not an account id (letters, digits and -)"),
            });
        }
        out.push(Account {
            id,
            holder: Holder {
                slug: f(1),
                name: f(2),
            },
            iban: o(3),
            bank_code: o(4),
            branch: o(5),
            number: o(6),
            label: o(7),
            currency: o(8).unwrap_or_else(|| "EUR".to_owned()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(iban: Option<&str>, bank: Option<&str>, number: Option<&str>) -> AccountRef {
        AccountRef {
            iban: iban.map(Into::into),
            bank_code: bank.map(Into::into),
            number: number.map(Into::into),
            ..AccountRef::default()
        }
    }

    #[test]
    fn an_ofx_account_meets_the_camt_iban_of_the_same_account() {
        let lbp = Holder::new("la-banque-postale", "La Banque Postale");
        let mut all = Vec::new();
        let (a, new) = find_or_open(
            &mut all,
            &lbp,
            &r(Some("FR76 2004 1010 0505 0001 3M02 606"), None, None),
        );
        assert!(new);
        assert_eq!(all[a].id, "la-banque-postale-m026");
        let (b, new) = find_or_open(&mut all, &lbp, &r(None, Some("20041"), Some("0500013M026")));
        assert_eq!((b, new), (a, false));
        let (c, new) = find_or_open(&mut all, &lbp, &r(None, Some("20041"), Some("0500099M026")));
        assert!(new && c != a);
        assert_eq!(
            all[c].id, "la-banque-postale-m026-2",
            "same last four, told apart"
        );
    }

    #[test]
    fn an_account_named_only_by_its_label_is_found_again_by_it() {
        let qif = Holder::new("qif", "QIF");
        let mut all = Vec::new();
        let named = |l: &str| AccountRef {
            label: Some(l.into()),
            ..AccountRef::default()
        };
        let (a, new) = find_or_open(&mut all, &qif, &named("Livret A"));
        assert!(new);
        assert_eq!(all[a].id, "qif-livret-a");
        let (b, new) = find_or_open(&mut all, &qif, &named("Compte joint"));
        assert!(new && b != a);
        assert_eq!(
            find_or_open(&mut all, &qif, &named("LIVRET  A")),
            (a, false)
        );
    }

    #[test]
    fn a_file_naming_no_account_goes_to_the_banks_only_account() {
        let cm = Holder::new("credit-mutuel", "Crédit Mutuel");
        let mut all = Vec::new();
        let (a, new) = find_or_open(&mut all, &cm, &r(None, None, None));
        assert!(new);
        assert_eq!(all[a].id, "credit-mutuel-sans-numero");
        assert_eq!(
            find_or_open(&mut all, &cm, &r(None, None, None)),
            (a, false)
        );
        let back = from_csv(&to_csv(&all)).unwrap();
        assert_eq!(back, all);
    }
}

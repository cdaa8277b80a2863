//! What a bank statement says: the account, its transactions (booking date,
//! signed amount in cents, label as the bank wrote it) and the balances it
//! states, with the period it declares.

use jiff::civil::Date;
use selfdata_sources::Expected;

/// How money moved, from the bank's own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Card,
    DirectDebit,
    Transfer,
    Cash,
    Cheque,
    Other,
}

impl Kind {
    /// The kind a French label starts with (`PRELEVEMENT`, `PRLV SEPA`,
    /// `PAIEMENT PAR CARTE`, `CB`, `VIREMENT`, `VIR`, `RETRAIT`, `CHEQUE`).
    pub fn of_label(label: &str) -> Kind {
        let l = selfdata_sources::text::norm(label);
        let starts = |p: &[&str]| p.iter().any(|p| l.starts_with(p));
        if starts(&["prelevement", "prlv"]) {
            Kind::DirectDebit
        } else if starts(&["paiement par carte", "cb ", "carte "]) {
            Kind::Card
        } else if starts(&["virement", "vir "]) {
            Kind::Transfer
        } else if starts(&["retrait"]) {
            Kind::Cash
        } else if starts(&["cheque", "chq"]) {
            Kind::Cheque
        } else {
            Kind::Other
        }
    }

    /// The kind [`Kind::as_str`] wrote.
    pub fn parse(s: &str) -> Option<Kind> {
        [
            Kind::Card,
            Kind::DirectDebit,
            Kind::Transfer,
            Kind::Cash,
            Kind::Cheque,
            Kind::Other,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Card => "card",
            Kind::DirectDebit => "direct-debit",
            Kind::Transfer => "transfer",
            Kind::Cash => "cash",
            Kind::Cheque => "cheque",
            Kind::Other => "other",
        }
    }
}

/// One transaction as the bank booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The booking date (a calendar day, as the bank states it).
    pub date: Date,
    /// Signed, in cents: negative is money out.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: &'static str,
    pub kind: Kind,
    pub label: String,
    /// The line of the file it was read from.
    pub line: usize,
}

/// Which account a statement is about, as far as the file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountRef {
    /// The bank's account number.
    pub number: Option<String>,
    /// The account's name in the file ("Compte de Dépôt carte").
    pub label: Option<String>,
}

/// A balance the file states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub date: Date,
    pub amount: i64,
}

/// One account's part of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub account: AccountRef,
    pub transactions: Vec<Transaction>,
    pub balances: Vec<Balance>,
    /// The days `[first, last]` the file says it lists.
    pub declared: Option<(Date, Date)>,
}

/// The statement layouts selfdata reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    CreditAgricoleCsv,
}

impl Layout {
    /// What the file is, for a resident.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::CreditAgricoleCsv => "Crédit Agricole account statement (CSV)",
        }
    }

    /// The bank's name.
    pub fn holder(self) -> &'static str {
        match self {
            Layout::CreditAgricoleCsv => "Crédit Agricole",
        }
    }

    /// The export a resident downloads, and where.
    pub fn expected(self) -> &'static Expected {
        static CREDIT_AGRICOLE: Expected = Expected {
            holder: "Crédit Agricole",
            what_en: "a Crédit Agricole account statement (CSV)",
            what_fr: "un relevé de compte du Crédit Agricole (CSV)",
            where_en: "your regional bank's website, Accounts, Download transactions, CSV format",
            where_fr: "le site de votre caisse régionale, Mes comptes, Télécharger les opérations, format CSV",
        };
        match self {
            Layout::CreditAgricoleCsv => &CREDIT_AGRICOLE,
        }
    }
}

/// A statement file read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub layout: Layout,
    pub statements: Vec<Statement>,
    /// Transaction rows read.
    pub rows: usize,
}

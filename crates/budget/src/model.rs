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
    /// Bank charges (`FRAIS`, `COTISATION`, `AGIOS`, OFX `FEE`/`SRVCHG`).
    Fee,
    /// Interest paid or received (OFX `INT`/`DIV`).
    Interest,
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
        } else if starts(&["paiement par carte", "cb ", "carte ", "achat cb"]) {
            Kind::Card
        } else if starts(&["virement", "vir "]) {
            Kind::Transfer
        } else if starts(&["retrait"]) {
            Kind::Cash
        } else if starts(&["cheque", "chq"]) {
            Kind::Cheque
        } else if starts(&["frais", "cotisation", "commission", "agios"]) {
            Kind::Fee
        } else if starts(&["interets"]) {
            Kind::Interest
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
            Kind::Fee,
            Kind::Interest,
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
            Kind::Fee => "fee",
            Kind::Interest => "interest",
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
    /// The bank's main wording (OFX `NAME`, CAMT counterparty, CSV `Libellé`).
    pub label: String,
    /// The rest of what the bank said (OFX `MEMO`, CAMT `Ustrd`, SG `Détail`); empty when none.
    pub memo: String,
    /// The value date, when the file gives one apart from the booking date.
    pub value_date: Option<Date>,
    /// The bank's own id for the transaction (OFX `FITID`, CAMT `AcctSvcrRef`), when stable and non-empty.
    pub fitid: Option<String>,
    /// The bank's own category, when the file has one (BoursoBank, QIF `L`).
    pub bank_category: Option<String>,
    /// The line of the file it was read from.
    pub line: usize,
}

impl Transaction {
    /// A transaction with only what every layout has; the rest empty.
    pub fn new(line: usize, date: Date, amount: i64, label: impl Into<String>) -> Transaction {
        let label = label.into();
        Transaction {
            date,
            amount,
            currency: "EUR",
            kind: Kind::of_label(&label),
            label,
            memo: String::new(),
            value_date: None,
            fitid: None,
            bank_category: None,
            line,
        }
    }
}

/// Which account a statement is about, as far as the file says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountRef {
    /// The IBAN, without spaces, when the file states it.
    pub iban: Option<String>,
    /// The French bank code (5 digits, `30004`), from the IBAN or the file.
    pub bank_code: Option<String>,
    /// The branch code (5 digits), from the IBAN or the file.
    pub branch: Option<String>,
    /// The bank's account number.
    pub number: Option<String>,
    /// The account's name in the file ("Compte de Dépôt carte").
    pub label: Option<String>,
}

/// What a stated balance is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalanceKind {
    /// At the start of the statement (CAMT `OPBD`).
    Opening,
    /// At its end (CAMT `CLBD`).
    Closing,
    /// The booked balance on a day (OFX `LEDGERBAL`, CSV `Solde au`).
    Ledger,
    /// What may be spent (OFX `AVAILBAL`).
    Available,
    /// After each row (Crédit Mutuel `Solde`): the last one is kept.
    Running,
    /// At the time of the export, repeated on every row (BoursoBank).
    Export,
}

impl BalanceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BalanceKind::Opening => "opening",
            BalanceKind::Closing => "closing",
            BalanceKind::Ledger => "ledger",
            BalanceKind::Available => "available",
            BalanceKind::Running => "running",
            BalanceKind::Export => "export",
        }
    }
}

/// A balance the file states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub date: Date,
    pub amount: i64,
    pub kind: BalanceKind,
}

/// The bank that holds the account: a slug for paths (`credit-agricole`) and its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub slug: String,
    pub name: String,
}

impl Holder {
    pub fn new(slug: &str, name: &str) -> Holder {
        Holder {
            slug: slug.to_owned(),
            name: name.to_owned(),
        }
    }
}

/// Something the resident should know about a file that was read anyway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub en: String,
    pub fr: String,
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
    Qif,
    BoursoBankCsv,
    SocieteGeneraleCsv,
    BanquePostaleCsv,
    CreditMutuelCsv,
    /// OFX 1.x: SGML, leaf tags left unclosed, often Windows-1252.
    Ofx1,
    /// OFX 2.x: the same statement as XML.
    Ofx2,
    /// ISO 20022 CAMT.053 (bank-to-customer statement, XML).
    Camt053,
}

impl Layout {
    /// What the file is, for a resident.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::CreditAgricoleCsv => "Crédit Agricole account statement (CSV)",
            Layout::Ofx1 => "bank statement (OFX 1, SGML)",
            Layout::Ofx2 => "bank statement (OFX 2, XML)",
            Layout::Camt053 => "bank statement (CAMT.053, XML)",
            Layout::Qif => "bank statement in QIF (Quicken) format",
            Layout::BoursoBankCsv => "BoursoBank export of transactions (CSV)",
            Layout::SocieteGeneraleCsv => "Société Générale account statement (CSV)",
            Layout::BanquePostaleCsv => "La Banque Postale account statement (CSV)",
            Layout::CreditMutuelCsv => "Crédit Mutuel or CIC account statement (CSV)",
        }
    }

    /// The file name extension its originals are kept with.
    pub fn extension(self) -> &'static str {
        match self {
            Layout::Qif => "qif",
            Layout::Ofx1 | Layout::Ofx2 => "ofx",
            Layout::Camt053 => "xml",
            Layout::CreditAgricoleCsv
            | Layout::BoursoBankCsv
            | Layout::SocieteGeneraleCsv
            | Layout::BanquePostaleCsv
            | Layout::CreditMutuelCsv => "csv",
        }
    }

    /// The media type its originals are kept with.
    pub fn media_type(self) -> &'static str {
        match self {
            Layout::Qif => "application/qif",
            Layout::Ofx1 | Layout::Ofx2 => "application/x-ofx",
            Layout::Camt053 => "application/xml",
            Layout::CreditAgricoleCsv
            | Layout::BoursoBankCsv
            | Layout::SocieteGeneraleCsv
            | Layout::BanquePostaleCsv
            | Layout::CreditMutuelCsv => "text/csv",
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
        static OFX: Expected = Expected {
            holder: "your bank",
            what_en: "a statement in OFX format",
            what_fr: "un relevé au format OFX",
            where_en: "your bank's website",
            where_fr: "le site de votre banque",
        };
        static CAMT: Expected = Expected {
            holder: "your bank",
            what_en: "a statement in CAMT.053 format (ISO 20022 XML)",
            what_fr: "un relevé au format CAMT.053 (XML ISO 20022)",
            where_en: "your bank's website",
            where_fr: "le site de votre banque",
        };
        static QIF: Expected = Expected {
            holder: "your bank",
            what_en: "a bank statement in QIF (Quicken) format",
            what_fr: "un relevé bancaire au format QIF (Quicken)",
            where_en: "your bank's website, Accounts, Download transactions, QIF format",
            where_fr: "le site de votre banque, Mes comptes, Télécharger les opérations, format QIF",
        };
        static BOURSOBANK: Expected = Expected {
            holder: "BoursoBank",
            what_en: "a BoursoBank export of your transactions (CSV)",
            what_fr: "un export BoursoBank de vos opérations (CSV)",
            where_en: "your BoursoBank space, My accounts, Export transactions, CSV",
            where_fr: "votre espace BoursoBank, Mes comptes, Exporter les opérations, CSV",
        };
        static SOCIETE_GENERALE: Expected = Expected {
            holder: "Société Générale",
            what_en: "a Société Générale account statement (CSV)",
            what_fr: "un relevé de compte Société Générale (CSV)",
            where_en: "your Société Générale customer area, My accounts, Download transactions, CSV format",
            where_fr: "votre espace client Société Générale, Mes comptes, Télécharger les opérations, format CSV",
        };
        static BANQUE_POSTALE: Expected = Expected {
            holder: "La Banque Postale",
            what_en: "a La Banque Postale account statement (CSV)",
            what_fr: "un relevé de compte La Banque Postale (CSV)",
            where_en: "your La Banque Postale customer area, My accounts, Download transactions, CSV format",
            where_fr: "votre espace client La Banque Postale, Mes comptes, Télécharger les opérations, format CSV",
        };
        static CREDIT_MUTUEL: Expected = Expected {
            holder: "Crédit Mutuel / CIC",
            what_en: "a Crédit Mutuel or CIC account statement (CSV)",
            what_fr: "un relevé de compte Crédit Mutuel ou CIC (CSV)",
            where_en: "your Crédit Mutuel or CIC customer area, Accounts, Download transactions, CSV format",
            where_fr: "votre espace client Crédit Mutuel ou CIC, Mes comptes, Télécharger les opérations, format CSV",
        };
        match self {
            Layout::CreditAgricoleCsv => &CREDIT_AGRICOLE,
            Layout::Qif => &QIF,
            Layout::Ofx1 | Layout::Ofx2 => &OFX,
            Layout::Camt053 => &CAMT,
            Layout::BoursoBankCsv => &BOURSOBANK,
            Layout::SocieteGeneraleCsv => &SOCIETE_GENERALE,
            Layout::BanquePostaleCsv => &BANQUE_POSTALE,
            Layout::CreditMutuelCsv => &CREDIT_MUTUEL,
        }
    }
}

/// A statement file read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub layout: Layout,
    /// The bank, from the file when it says (OFX `BANKID`, IBAN, BIC), else the layout's.
    pub holder: Holder,
    /// Things read but worth saying ("1 pending entry skipped").
    pub notes: Vec<Note>,
    pub statements: Vec<Statement>,
    /// Transaction rows read.
    pub rows: usize,
}

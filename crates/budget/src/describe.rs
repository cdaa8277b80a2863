//! What the budget service writes beside the transactions, in open formats:
//! where each file lives in the pod, the CSVW metadata of the
//! transactions CSVs (one per account and year) and the source description
//! of each bank (DCAT, in Turtle, naming its accounts and the originals).

use jiff::civil::Date;
use selfdata_rdf::RdfError;
use selfdata_sources::describe::{self as shared, Column, Held, Source, Table, VOCAB};

use crate::model::Holder;

/// The container of the transactions CSVs, from the pod root.
pub const TRANSACTIONS: &str = "selfdata/budget/transactions/";
/// The accounts the pod knows.
pub const ACCOUNTS: &str = "selfdata/budget/accounts.csv";
/// The theme of a bank's data in source descriptions.
pub const THEME: &str = "bank-transactions";

/// The index keys of one account's year of transactions start with this.
pub const INDEX_PREFIX: &str = "budget/tx/";
/// The index keys of how many transactions each file holds (read without
/// reading the files) start with this.
pub const COUNT_PREFIX: &str = "budget/n/";

/// One account's transactions for one calendar year.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileKey {
    pub account: String,
    pub year: i16,
}

impl FileKey {
    pub fn of(account: &str, date: Date) -> FileKey {
        FileKey {
            account: account.to_owned(),
            year: date.year(),
        }
    }

    /// `credit-agricole-8901-2021.csv`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.csv", self.account, self.year)
    }

    /// From the pod root.
    pub fn path(&self) -> String {
        format!("{TRANSACTIONS}{}", self.file_name())
    }

    /// The key of its derived index entry.
    pub fn index_key(&self) -> String {
        format!("{INDEX_PREFIX}{}/{}", self.account, self.year)
    }

    /// The key of its count's index entry.
    pub fn count_key(&self) -> String {
        format!("{COUNT_PREFIX}{}/{}", self.account, self.year)
    }

    /// The file a count's index key stands for.
    pub fn from_count_key(key: &str) -> Option<FileKey> {
        Self::after(key.strip_prefix(COUNT_PREFIX)?)
    }

    /// The file an index key or a file name stands for.
    pub fn from_index_key(key: &str) -> Option<FileKey> {
        Self::after(key.strip_prefix(INDEX_PREFIX)?)
    }

    fn after(rest: &str) -> Option<FileKey> {
        let (account, year) = rest.rsplit_once('/')?;
        Some(FileKey {
            account: account.to_owned(),
            year: year.parse().ok()?,
        })
    }

    pub fn from_file_name(name: &str) -> Option<FileKey> {
        let (account, year) = name.strip_suffix(".csv")?.rsplit_once('-')?;
        (!account.is_empty() && year.len() == 4).then_some(())?;
        Some(FileKey {
            account: account.to_owned(),
            year: year.parse().ok()?,
        })
    }
}

/// CSVW metadata for the transactions files, relative to their container.
pub fn csvw_metadata(files: &[FileKey]) -> Vec<u8> {
    let column = |name, datatype, property: &str, description: &str, required| Column {
        name,
        datatype,
        property: property.to_owned(),
        description: description.to_owned(),
        required,
    };
    let v = |term: &str| format!("{VOCAB}{term}");
    let tables: Vec<Table> = files
        .iter()
        .map(|f| Table {
            url: f.file_name(),
            title: format!("account {} transactions, {}", f.account, f.year),
            key: "date",
            columns: vec![
                column("date", "date", "http://schema.org/startDate", "Booking date, as the bank states it", true),
                column("value_date", "date", &v("valueDate"), "Value date, when the bank gives one apart", false),
                column("amount", "decimal", "http://schema.org/amount", "Signed amount in the currency: negative is money out", true),
                column("currency", "string", "http://schema.org/currency", "ISO 4217 currency code", true),
                column("kind", "string", &v("transactionKind"), "card, direct-debit, transfer, cash, cheque, fee, interest or other", true),
                column("label", "string", "http://schema.org/description", "The bank's wording", true),
                column("memo", "string", &v("memo"), "The rest of what the bank said", false),
                column("fitid", "string", "http://schema.org/identifier", "The bank's own id of the transaction, when stable", false),
                column("seq", "integer", &v("rankSameDay"), "Rank among identical transactions (same day, amount and label): two coffees are 1 and 2", true),
                column("bank_category", "string", &v("bankCategory"), "The bank's own category, when the file gives one", false),
            ],
            facts: vec![
                ("type", "rdf:type".into(), "http://schema.org/MoneyTransfer".into()),
                ("account", v("account"), v(&format!("account/{}", f.account))),
            ],
        })
        .collect();
    shared::csvw_metadata(&tables)
}

/// Where a bank's source description lives, from the pod root.
pub fn about_path(holder: &Holder) -> String {
    format!("selfdata/sources/{}/about.ttl", holder.slug)
}

/// A bank's source description in Turtle; `base` is the pod root IRI.
pub fn source_description(
    base: &str,
    holder: &Holder,
    held: Held<'_>,
) -> Result<Vec<u8>, RdfError> {
    shared::source_turtle(
        &format!("{base}{}", about_path(holder)),
        base,
        &Source {
            holder: &holder.name,
            holder_fr: None,
            themes: &[format!("{VOCAB}{THEME}")],
            held,
        },
    )
}

//! Money without IO: the statements residents download from their banks,
//! read through the shared import contract (`selfdata_sources::Importer`:
//! detected from their content, parsed whole, refused with the line), with
//! every amount exact in integer cents ([`money`]).
//!
//! Layouts read today ([`import`]): QIF, and the CSV exports of BoursoBank,
//! Crédit Mutuel/CIC, Société Générale, Crédit Agricole and La Banque
//! Postale (one table-driven reader). One account's
//! transactions are kept as a CSV and merged without duplicates ([`ledger`]). The service
//! over a pod (merging, pages, API) will be `selfdata-budget-web`.

pub mod banks;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;

pub use model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Note, Parsed, Statement, Transaction,
};
pub use selfdata_sources as sources;

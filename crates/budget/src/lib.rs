//! Money without IO: the statements residents download from their banks,
//! read through the shared import contract (`selfdata_sources::Importer`:
//! detected from their content, parsed whole, refused with the line), with
//! every amount exact in integer cents ([`money`]).
//!
//! Layouts read today ([`import`]): OFX 1 (SGML) and OFX 2 (XML), CAMT.053
//! (XML, never a DTD), the Crédit Agricole CSV. [`fuzzing`]: the checks the
//! fuzz target `budget_import` (`fuzz/`) makes, replayed as tests. One account's
//! transactions are kept as a CSV and merged without duplicates ([`ledger`]). The service
//! over a pod (merging, pages, API) will be `selfdata-budget-web`.

pub mod banks;
pub mod fuzzing;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;

pub use model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Note, Parsed, Statement, Transaction,
};
pub use selfdata_sources as sources;

//! Money without IO: the statements residents download from their banks,
//! read through the shared import contract (`selfdata_sources::Importer`:
//! detected from their content, parsed whole, refused with the line), with
//! every amount exact in integer cents ([`money`]).
//!
//! Layouts read today: the Crédit Agricole CSV ([`import`]). One account's
//! transactions are kept as a CSV and merged without duplicates ([`ledger`]). The service
//! over a pod (merging, pages, API) will be `selfdata-budget-web`.
//!
//! Over the transactions, with no IO either: recurring payments and
//! subscriptions, with the resident's decisions on them ([`recurring`]);
//! energy and water debits linked to the costs the energy service knows,
//! handed in as plain values, and health reimbursements linked to the care
//! they repay ([`bills`]).

pub mod banks;
pub mod bills;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;
pub mod recurring;

pub use model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Note, Parsed, Statement, Transaction,
};
pub use selfdata_sources as sources;

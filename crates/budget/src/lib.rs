//! Money without IO: the statements residents download from their banks,
//! read through the shared import contract (`selfdata_sources::Importer`:
//! detected from their content, parsed whole, refused with the line), with
//! every amount exact in integer cents ([`money`]).
//!
//! Layouts read today ([`import`]): OFX 1 (SGML) and OFX 2 (XML), CAMT.053
//! (XML, never a DTD), QIF, and the CSV exports of BoursoBank,
//! Crédit Mutuel/CIC, Société Générale, Crédit Agricole and La Banque
//! Postale (one table-driven reader). [`fuzzing`]: the checks the fuzz
//! target `budget_import` (`fuzz/`) makes, replayed as tests. One account's
//! transactions are kept as a CSV and merged without duplicates ([`ledger`]), in
//! accounts found from the file ([`accounts`]); a pod's money is loaded for
//! queries as a [`book::Book`]. The service over a pod (merging, pages, API)
//! is `selfdata-budget-web`.
//!
//! Categories: a built-in French tree ([`category`]), each label reduced
//! to its payee ([`payee`]), starter rules and the resident's own rules and
//! corrections as CSV documents ([`rules`]), and [`categorise`], which
//! gives every transaction a category (or none) with the reason why and
//! learns a payee's category from one correction.
//!
//! Over the transactions, with no IO either: recurring payments and
//! subscriptions, with the resident's decisions on them ([`recurring`]);
//! the organisations the resident pays, for "who has what on me" ([`payees`]);
//! energy and water debits linked to the costs the energy service knows,
//! handed in as plain values, and health reimbursements linked to the care
//! they repay ([`bills`]).
//!
//! Generated statements in the Crédit Agricole layout, for the demo pod and
//! the benchmark ([`demo`]).

pub mod accounts;
pub mod banks;
pub mod bills;
pub mod book;
pub mod categorise;
pub mod category;
pub mod demo;
pub mod describe;
pub mod fuzzing;
pub mod housing;
pub mod import;
pub mod ledger;
pub mod model;
pub mod money;
pub mod payee;
pub mod payees;
pub mod recurring;
pub mod rules;

pub use model::{
    AccountRef, Balance, BalanceKind, Holder, Kind, Layout, Note, Parsed, Statement, Transaction,
};
pub use selfdata_sources as sources;

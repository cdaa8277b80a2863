//! The statement importers, each a `selfdata_sources::Importer` listed in
//! [`IMPORTERS`]; [`import`] runs the first that recognises a file (from
//! its content, never its name) and refuses, with the line and the export
//! expected, what none reads.

mod credit_agricole;

use selfdata_sources::{Expected, ImportError, Importer, Refusal};

use crate::model::{Layout, Parsed};

/// Every layout, in the order they are tried.
pub static IMPORTERS: [Layout; 1] = [Layout::CreditAgricoleCsv];

impl Importer for Layout {
    type Output = Parsed;

    fn expected(&self) -> &'static Expected {
        Layout::expected(*self)
    }

    fn detect(&self, bytes: &[u8]) -> bool {
        match self {
            Layout::CreditAgricoleCsv => credit_agricole::detect(bytes),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Parsed, ImportError> {
        match self {
            Layout::CreditAgricoleCsv => credit_agricole::parse(bytes),
        }
    }
}

/// The importers as the contract lists them.
pub fn importers() -> Vec<&'static dyn Importer<Output = Parsed>> {
    IMPORTERS
        .iter()
        .map(|l| l as &'static dyn Importer<Output = Parsed>)
        .collect()
}

/// Reads a statement file whole, or refuses it with the line.
pub fn import(bytes: &[u8]) -> Result<Parsed, Refusal> {
    selfdata_sources::import(&importers(), bytes)
}

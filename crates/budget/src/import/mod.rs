//! The statement importers, each a `selfdata_sources::Importer` listed in
//! [`IMPORTERS`]; [`import`] runs the first that recognises a file (from
//! its content, never its name) and refuses, with the line and the export
//! expected, what none reads.

mod camt;
mod credit_agricole;
mod ofx;

use selfdata_sources::{Expected, ImportError, Importer, Refusal};

use crate::model::{Layout, Parsed};

/// Every layout, in the order they are tried.
/// OFX and CAMT (markup) come before the CSVs.
pub static IMPORTERS: [Layout; 4] = [
    Layout::Ofx1,
    Layout::Ofx2,
    Layout::Camt053,
    Layout::CreditAgricoleCsv,
];

impl Importer for Layout {
    type Output = Parsed;

    fn expected(&self) -> &'static Expected {
        Layout::expected(*self)
    }

    fn detect(&self, bytes: &[u8]) -> bool {
        match self {
            Layout::CreditAgricoleCsv => credit_agricole::detect(bytes),
            Layout::Ofx1 => ofx::is_ofx1(bytes),
            Layout::Ofx2 => ofx::is_ofx2(bytes),
            Layout::Camt053 => camt::detect(bytes),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Parsed, ImportError> {
        match self {
            Layout::CreditAgricoleCsv => credit_agricole::parse(bytes),
            Layout::Ofx1 | Layout::Ofx2 => ofx::parse(bytes, *self),
            Layout::Camt053 => camt::parse(bytes),
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

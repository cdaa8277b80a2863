//! The statement importers, each a `selfdata_sources::Importer` listed in
//! [`IMPORTERS`]; [`import`] runs the first that recognises a file (from
//! its content, never its name) and refuses, with the line and the export
//! expected, what none reads. No importer keeps more than
//! [`MAX_TRANSACTIONS`] transactions of one file.

mod bank_csv;
mod camt;
mod ofx;
mod qif;

use selfdata_sources::{Expected, ImportError, Importer, Refusal};

use crate::model::{Layout, Parsed};

/// Every layout, in the order they are tried.
/// OFX and CAMT (markup) come before QIF and the CSVs.
pub static IMPORTERS: [Layout; 9] = [
    Layout::Ofx1,
    Layout::Ofx2,
    Layout::Camt053,
    Layout::Qif,
    Layout::BoursoBankCsv,
    Layout::CreditMutuelCsv,
    Layout::SocieteGeneraleCsv,
    Layout::CreditAgricoleCsv,
    Layout::BanquePostaleCsv,
];

/// The most transactions read from one file: ten years of a busy account
/// are about 40,000; a file past this is refused at the row that passes it,
/// so memory stays bounded whatever the file's size.
pub const MAX_TRANSACTIONS: usize = 500_000;

/// The refusal at the row past [`MAX_TRANSACTIONS`].
fn too_many(line: usize) -> ImportError {
    ImportError::at(
        line,
        "the file holds more than 500,000 transactions, more than selfdata reads from one file: download shorter periods (a year at a time)",
    )
}

impl Importer for Layout {
    type Output = Parsed;

    fn expected(&self) -> &'static Expected {
        Layout::expected(*self)
    }

    fn detect(&self, bytes: &[u8]) -> bool {
        match self {
            Layout::Qif => qif::detect(bytes),
            Layout::BoursoBankCsv
            | Layout::CreditMutuelCsv
            | Layout::SocieteGeneraleCsv
            | Layout::CreditAgricoleCsv
            | Layout::BanquePostaleCsv => bank_csv::detect(*self, bytes),
            Layout::Ofx1 => ofx::is_ofx1(bytes),
            Layout::Ofx2 => ofx::is_ofx2(bytes),
            Layout::Camt053 => camt::detect(bytes),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Parsed, ImportError> {
        match self {
            Layout::Qif => qif::parse(bytes),
            Layout::BoursoBankCsv
            | Layout::CreditMutuelCsv
            | Layout::SocieteGeneraleCsv
            | Layout::CreditAgricoleCsv
            | Layout::BanquePostaleCsv => bank_csv::parse(*self, bytes),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_written_as_it_is_counted() {
        let sentence = too_many(7).to_string();
        let written = MAX_TRANSACTIONS
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        assert!(sentence.contains(&written), "{sentence}");
    }
}

//! Meter file importers: [`detect`] the layout from the content, then [`parse`].

use crate::model::{ImportError, Layout, Parsed};

/// The layout of a file, judged from its content (never its name), or `None`.
pub fn detect(bytes: &[u8]) -> Option<Layout> {
    let _ = bytes;
    None
}

/// Parses a file of any known layout.
pub fn parse(bytes: &[u8]) -> Result<Parsed, ImportError> {
    let _ = bytes;
    Err(ImportError::Unrecognised("not implemented yet".into()))
}

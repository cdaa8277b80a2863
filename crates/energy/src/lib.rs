//! Energy and water, without IO: meter files in, normalised series out,
//! and everything computed over them (tariffs, aggregation, alerts).
//!
//! - [`model`]: readings, series, layouts, import errors.
//! - [`import`]: detects a file's layout from its content and parses it.
//! - [`demo`]: a synthetic household's files, in the holders' layouts.

pub mod demo;
pub mod import;
pub mod model;

pub use model::{Fluid, Holder, ImportError, Layout, Parsed, Quantity, Reading, Series};

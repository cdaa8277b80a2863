//! Energy and water, without IO: meter files in, normalised series out,
//! and everything computed over them (tariffs, aggregation, alerts).
//!
//! - [`model`]: readings, series, layouts, import errors.
//! - [`import`]: detects a file's layout from its content and parses it;
//!   each layout is an importer of the shared contract ([`sources`]).
//! - [`files`]: how normalised series are laid out as CSV resources and in
//!   the derived index, and how a new import merges into them.
//! - [`describe`]: the CSVW metadata and the source description (Turtle).
//! - [`tariff`]: dated tariff periods and exact costs.
//! - [`analysis`]: consumption by step, baseload, peak, alerts, gaps.
//! - [`demo`]: a synthetic household's files, in the holders' layouts.
//! - [`fuzzing`]: the checks the fuzz targets (`fuzz/`) make, replayed as
//!   ordinary tests over `tests/corpus/`.

pub mod analysis;
pub mod demo;
pub mod describe;
pub mod files;
pub mod fuzzing;
pub mod import;
pub mod model;
pub mod tariff;

/// The import contract shared with every domain ([`selfdata_sources`]).
pub use selfdata_sources as sources;

pub use model::{Fluid, Holder, ImportError, Layout, Parsed, Quantity, Reading, Series};

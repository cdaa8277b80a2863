//! The import contract every domain shares, without IO:
//!
//! - [`contract`]: the [`Importer`] trait (detect a file from its content,
//!   parse it whole, fail with the line) and the [`Refusal`] that tells a
//!   resident, in French and English, which holder's export was expected and
//!   where to download it;
//! - [`verdict`]: the decisions that protect the data (another meter is kept
//!   apart, a file cut short is partial, a batch is counted);
//! - [`raw`]: how an original file is named where it is kept;
//! - [`caps`]: the decompression caps a reader of an untrusted zip checks
//!   (per entry, in total, ratio to the compressed size);
//! - [`describe`]: the source description (DCAT/PROV, written through the
//!   RDF crate's serializer) and CSVW table metadata;
//! - [`text`] and [`time`]: decoding (BOM, UTF-16, Windows-1252), French
//!   decimals, and Europe/Paris dates with their clock changes.

pub mod caps;
pub mod contract;
pub mod describe;
pub mod raw;
pub mod rng;
pub mod text;
pub mod time;
pub mod verdict;

pub use contract::{Expected, ImportError, Importer, Lang, Refusal, import};
pub use verdict::{Coverage, Identity, Tally};

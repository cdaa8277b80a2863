//! RDF for selfdata: parse request bodies, serialise responses, apply PATCH.
//!
//! This crate does no IO. The HTTP layer uses it to
//! 1. validate and parse RDF bodies written to the pod ([`parse`]),
//! 2. serialise graphs for content negotiation ([`serialize`], [`RdfFormat`]),
//! 3. apply PATCH documents ([`Patch`]: N3 Patch and SPARQL Update).
//!
//! Every parser of outside input returns an error instead of panicking, and
//! syntax errors carry a 1-based line and column, so the server can answer
//! `400: line 3, column 7: expected '.'`.
//!
//! ```
//! use selfdata_rdf::{Patch, RdfFormat, parse, serialize};
//!
//! let base = "https://pod.example/profile/card";
//! let mut graph = parse(b"<#me> <http://xmlns.com/foaf/0.1/name> \"Alice\" .", RdfFormat::Turtle, base)?;
//! let patch = Patch::parse_n3(
//!     b"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
//!       _:p a solid:InsertDeletePatch;
//!         solid:inserts { <#me> <http://xmlns.com/foaf/0.1/nick> \"al\". }.",
//!     base,
//! )?;
//! assert!(patch.is_insert_only());
//! patch.apply(&mut graph)?;
//! let turtle = serialize(&graph, RdfFormat::Turtle, base)?;
//! assert!(String::from_utf8(turtle)?.contains("foaf:nick"));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

pub use oxrdf;

mod bgp;
mod budget;
mod codec;
mod document;
mod error;
mod format;
pub mod fuzzing;
mod guard;
mod patch;
pub mod rdfa;
mod turtle;

pub use budget::{Budget, BudgetExceeded, Limits};
pub use codec::{
    COMMON_PREFIXES, MAX_JSON_LD_DEPTH, check_document, convert, parse, parse_within, serialize,
};
pub use document::Document;
pub use error::{PatchError, Position, RdfError};
pub use format::RdfFormat;
pub use patch::{
    Applied, InsertDataTriples, Modify, N3Patch, Patch, PatchModes, SparqlOperation, SparqlUpdate,
};
pub use turtle::{TurtleWriter, encode_iri};

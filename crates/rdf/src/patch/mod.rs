//! PATCH documents: N3 Patch (`text/n3`) and SPARQL Update
//! (`application/sparql-update`).
//!
//! [`Patch::parse_n3`] and [`Patch::parse_sparql_update`] check the document
//! once; [`Patch::apply`] then applies it to the current graph of the
//! resource, atomically: on error the graph is left untouched.
//!
//! The `_within` variants charge the work to the request's [`Budget`]
//! (triples parsed, operations, matching steps, triples produced, size of
//! the resulting document), and [`Patch::apply_within`] tells whether the
//! graph changed, so that a patch that changes nothing writes nothing.

mod n3;
mod sparql;

use crate::bgp::TripleStore;
use crate::budget::Budget;
use crate::document::Document;
use crate::error::PatchError;
use oxrdf::Graph;

pub use n3::N3Patch;
pub use sparql::{InsertDataTriples, Modify, SparqlOperation, SparqlUpdate};

/// A parsed PATCH document, ready to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Patch {
    /// An N3 Patch (Solid Protocol, "N3 Patch"), media type `text/n3`.
    N3(N3Patch),
    /// A SPARQL 1.1 Update restricted to the default graph and basic graph
    /// patterns, media type `application/sparql-update`.
    SparqlUpdate(SparqlUpdate),
}

/// Which Web Access Control modes applying a patch needs, per the Solid
/// Protocol: conditions need Read, insertions Append, deletions Read and
/// Write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatchModes {
    /// The patch reads the resource (a non-empty `where`, or any deletion).
    pub read: bool,
    /// The patch adds triples.
    pub append: bool,
    /// The patch removes triples.
    pub write: bool,
}

/// What applying a patch did to the graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Applied {
    /// At least one triple was added or removed: the resource must be
    /// written.
    Changed,
    /// No triple was added or removed: nothing needs to be written (no new
    /// version, no new ETag).
    Unchanged,
}

impl Patch {
    /// Parses an N3 Patch body (`text/n3`). Relative IRIs are resolved
    /// against `base_iri`, the IRI of the resource being patched.
    ///
    /// Errors: [`PatchError::Syntax`] for malformed N3,
    /// [`PatchError::Invalid`] when the document breaks the Solid Protocol's
    /// N3 Patch constraints.
    pub fn parse_n3(body: &[u8], base_iri: &str) -> Result<Self, PatchError> {
        Self::parse_n3_within(body, base_iri, &mut Budget::default())
    }

    /// [`Patch::parse_n3`], charging the triples of the document to `budget`.
    pub fn parse_n3_within(
        body: &[u8],
        base_iri: &str,
        budget: &mut Budget,
    ) -> Result<Self, PatchError> {
        N3Patch::parse(body, base_iri, budget).map(Self::N3)
    }

    /// Parses a SPARQL Update body (`application/sparql-update`).
    ///
    /// Errors: [`PatchError::Syntax`] for malformed SPARQL,
    /// [`PatchError::Unsupported`] for features this server does not
    /// evaluate (named graphs, `GRAPH`, `USING`, `WITH`, `OPTIONAL`,
    /// `FILTER`, `UNION`, `BIND`, property paths, `LOAD`, `CLEAR`...).
    pub fn parse_sparql_update(body: &[u8], base_iri: &str) -> Result<Self, PatchError> {
        Self::parse_sparql_update_within(body, base_iri, &mut Budget::default())
    }

    /// [`Patch::parse_sparql_update`], charging the operations and the
    /// triples of the document to `budget`.
    pub fn parse_sparql_update_within(
        body: &[u8],
        base_iri: &str,
        budget: &mut Budget,
    ) -> Result<Self, PatchError> {
        SparqlUpdate::parse(body, base_iri, budget).map(Self::SparqlUpdate)
    }

    /// True when the patch can change no graph at all: it has nothing to
    /// insert and nothing to delete (an empty SPARQL Update, `INSERT DATA
    /// {}`, an N3 Patch without `solid:inserts` and `solid:deletes`).
    /// Applying it still evaluates its conditions, and returns
    /// [`Applied::Unchanged`] when they hold.
    pub fn is_noop(&self) -> bool {
        match self {
            Self::N3(patch) => patch.is_noop(),
            Self::SparqlUpdate(update) => update.is_noop(),
        }
    }

    /// True when applying the patch can only add triples: an N3 Patch with
    /// no deletions (a `where` clause is allowed), or a SPARQL Update made
    /// only of `INSERT DATA` and `INSERT … WHERE` operations without
    /// `DELETE`. Web Access Control's Append mode allows only such patches.
    pub fn is_insert_only(&self) -> bool {
        match self {
            Self::N3(patch) => patch.is_insert_only(),
            Self::SparqlUpdate(update) => update.is_insert_only(),
        }
    }

    /// The access modes applying this patch requires.
    pub fn required_modes(&self) -> PatchModes {
        match self {
            Self::N3(patch) => patch.required_modes(),
            Self::SparqlUpdate(update) => update.required_modes(),
        }
    }

    /// Applies the patch to `graph` (the current resource, or an empty graph
    /// if it does not exist yet). All or nothing: on error `graph` is not
    /// modified.
    pub fn apply(&self, graph: &mut Graph) -> Result<(), PatchError> {
        self.apply_within(graph, &mut Budget::default()).map(|_| ())
    }

    /// [`Patch::apply`], charging the work to `budget` (matching steps,
    /// triples produced, and the size of the resulting document), and
    /// telling whether the graph changed. All or nothing: on error `graph`
    /// is not modified.
    pub fn apply_within(
        &self,
        graph: &mut Graph,
        budget: &mut Budget,
    ) -> Result<Applied, PatchError> {
        self.apply_generic(graph, budget)
    }

    /// [`Patch::apply_within`] on a [`Document`], the compact form a stored
    /// document takes while it is patched.
    pub fn apply_to_document(
        &self,
        document: &mut Document,
        budget: &mut Budget,
    ) -> Result<Applied, PatchError> {
        self.apply_generic(document, budget)
    }

    fn apply_generic<G: TripleStore>(
        &self,
        graph: &mut G,
        budget: &mut Budget,
    ) -> Result<Applied, PatchError> {
        match self {
            Self::N3(patch) => patch.apply(graph, budget),
            Self::SparqlUpdate(update) => update.apply(graph, budget),
        }
    }
}

//! Property checks shared by the fuzz targets (`fuzz/`) and the corpus
//! replay test (`tests/corpus.rs`), so both exercise exactly the same code.
//!
//! Each `check_*` function takes arbitrary bytes and panics only when an
//! invariant of this crate is broken; an input that is merely invalid is
//! fine. Invariants checked:
//! - parsing never panics, and syntax errors have a plausible 1-based
//!   position;
//! - a parsed graph serialises in every format, and re-parsing that output
//!   succeeds and gives the same number of triples and the same ground
//!   (blank-node-free) triples; streaming conversion ([`crate::convert`])
//!   to every format gives the same graph too;
//! - applying a patch never panics; a failed application leaves the graph
//!   untouched; an insert-only patch never removes a triple; a no-op patch,
//!   and any patch reported [`Applied::Unchanged`], leaves the graph equal;
//!   the request's budget is never overspent; a patched graph still
//!   round-trips, and the same patch applied to a [`Document`] gives the
//!   same graph;
//! - reading RDFa from any page never panics, never states more triples than
//!   allowed, and what it states round-trips like any parsed graph.

use crate::{
    Applied, Budget, Document, Patch, PatchError, RdfError, RdfFormat, convert, parse, serialize,
};
use oxrdf::{Graph, NamedOrBlankNodeRef, TermRef, TripleRef};
use std::collections::HashSet;

/// Base IRI used by the checks.
pub const BASE_IRI: &str = "https://pod.example/alice/data/doc.ttl";

/// A small graph that patches are applied to, in Turtle.
pub const SAMPLE_TURTLE: &str = r#"
@prefix foaf: <http://xmlns.com/foaf/0.1/>.
@prefix ex: <http://example.org/ns#>.
<#me> a foaf:Person; foaf:name "Alice"; foaf:knows <#bob>, _:carol; ex:age 42.
<#bob> a foaf:Person; foaf:name "Bob".
_:carol foaf:name "Carol"@en.
<> ex:p <#me>.
"#;

/// The sample graph patches are applied to.
pub fn sample_graph() -> Graph {
    match parse(SAMPLE_TURTLE.as_bytes(), RdfFormat::Turtle, BASE_IRI) {
        Ok(graph) => graph,
        Err(e) => panic!("the sample graph must parse: {e}"),
    }
}

/// Parses `data` as `format`; if it parses, checks the round trip through
/// every format.
pub fn check_rdf(data: &[u8], format: RdfFormat) {
    match parse(data, format, BASE_IRI) {
        Ok(graph) => {
            check_round_trip(&graph);
            check_conversion(data, format, &graph);
        }
        Err(error) => check_rdf_error(&error, data),
    }
}

/// Checks that streaming `data` (which parsed as `graph`) to every format
/// gives the same graph as parsing it.
fn check_conversion(data: &[u8], format: RdfFormat, graph: &Graph) {
    let ground = ground_triples(graph);
    for to in RdfFormat::ALL {
        let bytes = match convert(data, format, to, BASE_IRI) {
            Ok(bytes) => bytes,
            Err(e) => panic!("converting {format} to {to} failed: {e}"),
        };
        let converted = match parse(&bytes, to, BASE_IRI) {
            Ok(g) => g,
            Err(e) => panic!(
                "re-parsing the {format} converted to {to} failed: {e}\n--- output ---\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        };
        assert_eq!(
            graph.len(),
            converted.len(),
            "converting {format} to {to} changed the number of triples\n--- output ---\n{}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(
            ground == ground_triples(&converted),
            "converting {format} to {to} changed ground triples"
        );
    }
}

/// Checks that `graph` survives serialisation to, and parsing from, every
/// format.
pub fn check_round_trip(graph: &Graph) {
    let ground = ground_triples(graph);
    for format in RdfFormat::ALL {
        let bytes = match serialize(graph, format, BASE_IRI) {
            Ok(bytes) => bytes,
            Err(e) => panic!("serialising to {format} failed: {e}"),
        };
        let reparsed = match parse(&bytes, format, BASE_IRI) {
            Ok(g) => g,
            Err(e) => panic!(
                "re-parsing our own {format} failed: {e}\n--- output ---\n{}",
                String::from_utf8_lossy(&bytes)
            ),
        };
        assert_eq!(
            graph.len(),
            reparsed.len(),
            "{format} round trip changed the number of triples\n--- output ---\n{}",
            String::from_utf8_lossy(&bytes)
        );
        assert!(
            ground == ground_triples(&reparsed),
            "{format} round trip changed ground triples\n--- output ---\n{}",
            String::from_utf8_lossy(&bytes)
        );
    }
}

/// Parses `data` as an N3 Patch and applies it to the sample graph and to an
/// empty graph.
pub fn check_n3_patch(data: &[u8]) {
    match Patch::parse_n3(data, BASE_IRI) {
        Ok(patch) => check_patch_application(&patch),
        Err(error) => check_patch_error(&error, data),
    }
}

/// Parses `data` as a SPARQL Update and applies it to the sample graph and to
/// an empty graph.
pub fn check_sparql_update(data: &[u8]) {
    match Patch::parse_sparql_update(data, BASE_IRI) {
        Ok(patch) => check_patch_application(&patch),
        Err(error) => check_patch_error(&error, data),
    }
}

fn check_patch_application(patch: &Patch) {
    for original in [sample_graph(), Graph::new()] {
        let mut graph = original.clone();
        let mut budget = Budget::default();
        match patch.apply_within(&mut graph, &mut budget) {
            Ok(applied) => {
                if patch.is_insert_only() {
                    for triple in &original {
                        assert!(
                            graph.contains(triple),
                            "an insert-only patch removed {triple}"
                        );
                    }
                }
                if applied == Applied::Unchanged || patch.is_noop() {
                    assert_eq!(
                        applied,
                        Applied::Unchanged,
                        "a no-op patch changed the graph"
                    );
                    assert!(
                        graph == original,
                        "a patch reported unchanged changed the graph"
                    );
                }
                check_round_trip(&graph);
            }
            Err(error) => {
                assert!(graph == original, "a failed patch modified the graph");
                assert!(
                    !matches!(error, PatchError::Syntax { .. }),
                    "apply must not report syntax errors: {error}"
                );
            }
        }
        check_document_agrees(patch, &original, &graph);
        let limits = budget.limits();
        assert!(
            budget.steps() <= limits.steps && budget.produced() <= limits.produced,
            "the budget was overspent"
        );
    }
}

/// Applying `patch` to `original` as a [`Document`] gives what applying it
/// to the graph gave (`patched`, or `original` if it failed).
fn check_document_agrees(patch: &Patch, original: &Graph, patched: &Graph) {
    let mut document = Document::new();
    for triple in original {
        document.insert(triple);
    }
    let result = patch.apply_to_document(&mut document, &mut Budget::default());
    let expected = if result.is_ok() { patched } else { original };
    let as_graph: Graph = document.iter().collect();
    assert_eq!(
        as_graph.len(),
        expected.len(),
        "the document and the graph disagree on the number of triples"
    );
    assert!(
        ground_triples(&as_graph) == ground_triples(expected),
        "the document and the graph disagree"
    );
    if let Ok(bytes) = document.serialize(RdfFormat::Turtle, BASE_IRI) {
        let reparsed = parse(&bytes, RdfFormat::Turtle, BASE_IRI)
            .unwrap_or_else(|e| panic!("re-parsing a serialised document failed: {e}"));
        assert_eq!(reparsed.len(), expected.len());
    } else {
        panic!("a document does not serialise");
    }
}

fn check_rdf_error(error: &RdfError, data: &[u8]) {
    if let RdfError::Syntax { line, column, .. } = error {
        check_position(*line, *column, data);
    }
    assert!(
        !matches!(error, RdfError::BaseIri { .. } | RdfError::Serialize { .. }),
        "unexpected error kind: {error}"
    );
}

fn check_patch_error(error: &PatchError, data: &[u8]) {
    match error {
        PatchError::Syntax { line, column, .. } => check_position(*line, *column, data),
        PatchError::Conflict(message) => {
            panic!("parsing must not report conflicts: {message}")
        }
        PatchError::BaseIri { .. } => panic!("unexpected error kind: {error}"),
        PatchError::Invalid(_) | PatchError::Unsupported(_) | PatchError::Budget(_) => {}
    }
}

fn check_position(line: u64, column: u64, data: &[u8]) {
    assert!(line >= 1 && column >= 1, "positions are 1-based");
    let lines = data.iter().filter(|&&b| b == b'\n' || b == b'\r').count() as u64 + 1;
    assert!(
        line <= lines,
        "error line {line} is past the end of the input ({lines} lines)"
    );
}

/// The triples of `graph` that contain no blank node, as strings.
pub fn ground_triples(graph: &Graph) -> HashSet<String> {
    graph
        .iter()
        .filter(|t| is_ground(*t))
        .map(|t| t.to_string())
        .collect()
}

fn is_ground(triple: TripleRef<'_>) -> bool {
    !matches!(triple.subject, NamedOrBlankNodeRef::BlankNode(_))
        && !matches!(triple.object, TermRef::BlankNode(_))
}

/// Reads `data` as a web page's RDFa with a small triple limit; what it
/// states must respect the limit and round-trip through every format.
pub fn check_rdfa(data: &[u8]) {
    const LIMIT: u64 = 1_000;
    match crate::rdfa::parse_rdfa(data, BASE_IRI, LIMIT) {
        Ok(graph) => {
            assert!(
                graph.len() as u64 <= LIMIT,
                "the triple limit was overspent"
            );
            check_round_trip(&graph);
        }
        Err(error) => assert!(
            error.to_string().contains("more than"),
            "only the limit may refuse a page: {error}"
        ),
    }
}

//! Parsing request bodies into graphs and serialising graphs for responses.
//!
//! Parsing never panics on outside input and reports the 1-based line and
//! column of the first syntax error. Serialising produces Turtle with the
//! prefixes of the vocabularies a Solid pod commonly uses (only those the
//! graph needs) and IRIs relative to the resource's own IRI.

use crate::budget::{Budget, BudgetExceeded};
use crate::error::RdfError;
use crate::format::RdfFormat;
use crate::guard::{self, Lexical};
use oxjsonld::{JsonLdParser, JsonLdSerializer};
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{
    BlankNode, Graph, GraphNameRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, TripleRef,
};
use oxttl::{
    NTriplesParser, NTriplesSerializer, TurtleParser, TurtleSerializer, TurtleSyntaxError,
};
use std::cmp::Ordering;
use std::collections::HashMap;

/// Deepest bracket nesting accepted in a JSON-LD body.
///
/// The JSON-LD processor builds nested values in memory and walks them
/// recursively, so bodies nesting deeper than this are refused with a
/// syntax error before they reach it. Real documents nest a handful of
/// levels.
pub const MAX_JSON_LD_DEPTH: usize = 128;

/// Prefixes used when writing Turtle, for vocabularies common in a pod.
pub const COMMON_PREFIXES: [(&str, &str); 11] = [
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("ldp", "http://www.w3.org/ns/ldp#"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("stat", "http://www.w3.org/ns/posix/stat#"),
    ("pim", "http://www.w3.org/ns/pim/space#"),
    ("solid", "http://www.w3.org/ns/solid/terms#"),
    ("foaf", "http://xmlns.com/foaf/0.1/"),
    ("vcard", "http://www.w3.org/2006/vcard/ns#"),
    ("acl", "http://www.w3.org/ns/auth/acl#"),
];

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses `body` in `format` into a graph, resolving relative IRIs against
/// `base_iri` (the IRI of the resource being written).
///
/// A leading UTF-8 byte order mark is ignored. The first syntax error stops
/// parsing and is returned with its 1-based line and column. No limit
/// applies: use [`parse_within`] for bodies received from outside.
pub fn parse(body: &[u8], format: RdfFormat, base_iri: &str) -> Result<Graph, RdfError> {
    parse_within(body, format, base_iri, &mut Budget::unlimited())
}

/// [`parse`], charging every triple parsed to `budget`.
pub fn parse_within(
    body: &[u8],
    format: RdfFormat,
    base_iri: &str,
    budget: &mut Budget,
) -> Result<Graph, RdfError> {
    let mut graph = Graph::new();
    for_each_triple(body, format, base_iri, budget, |triple| {
        graph.insert(triple);
        Ok(())
    })?;
    Ok(graph)
}

/// Checks that `body` is a valid RDF document in `format` that may be
/// stored: it parses, and holds no more triples than
/// [`crate::Limits::document_triples`]. Each triple is handed to `inspect`
/// (to look for triples the caller forbids) and then dropped: no graph is
/// built, so checking takes the parser's memory only. Returns the number of
/// triples (duplicates included).
pub fn check_document(
    body: &[u8],
    format: RdfFormat,
    base_iri: &str,
    budget: &mut Budget,
    mut inspect: impl FnMut(TripleRef<'_>),
) -> Result<u64, RdfError> {
    let limit = budget.limits().document_triples;
    let mut count = 0u64;
    for_each_triple(body, format, base_iri, budget, |triple| {
        count += 1;
        if count > limit {
            return Err(BudgetExceeded::DocumentTriples { limit }.into());
        }
        inspect(triple);
        Ok(())
    })?;
    Ok(count)
}

/// Converts a document from one format to another as a stream: triples are
/// written as they are parsed, in document order, without building a graph
/// (so a large stored document is served in the memory of its text, not of
/// its graph). Turtle output reads `body` twice, first to declare only the
/// [`COMMON_PREFIXES`] it uses. No limit applies: this is for documents
/// already stored.
pub fn convert(
    body: &[u8],
    from: RdfFormat,
    to: RdfFormat,
    base_iri: &str,
) -> Result<Vec<u8>, RdfError> {
    let mut budget = Budget::unlimited();
    match to {
        RdfFormat::Turtle => {
            let mut used = UsedPrefixes::default();
            for_each_triple(body, from, base_iri, &mut budget, |triple| {
                used.mark(triple);
                Ok(())
            })?;
            let mut writer = turtle_serializer(base_iri, used.prefixes())?.for_writer(Vec::new());
            for_each_triple(body, from, base_iri, &mut budget, |triple| {
                writer
                    .serialize_triple(triple)
                    .map_err(|e| serialize_error(&e))
            })?;
            writer.finish().map_err(|e| serialize_error(&e))
        }
        RdfFormat::NTriples => {
            let mut writer = NTriplesSerializer::new().for_writer(Vec::new());
            for_each_triple(body, from, base_iri, &mut budget, |triple| {
                writer
                    .serialize_triple(triple)
                    .map_err(|e| serialize_error(&e))
            })?;
            Ok(writer.finish())
        }
        RdfFormat::JsonLd => {
            let mut writer = JsonLdSerializer::new().for_writer(Vec::new());
            for_each_triple(body, from, base_iri, &mut budget, |triple| {
                writer
                    .serialize_quad(triple.in_graph(GraphNameRef::DefaultGraph))
                    .map_err(|e| serialize_error(&e))
            })?;
            writer.finish().map_err(|e| serialize_error(&e))
        }
    }
}

/// Parses `body` and hands each triple to `each`, charging it to `budget`.
/// Blank node labels Turtle cannot write (JSON-LD allows any string) are
/// replaced by fresh ones, consistently within the document.
pub(crate) fn for_each_triple(
    body: &[u8],
    format: RdfFormat,
    base_iri: &str,
    budget: &mut Budget,
    mut each: impl FnMut(TripleRef<'_>) -> Result<(), RdfError>,
) -> Result<(), RdfError> {
    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    match format {
        RdfFormat::Turtle => {
            let parser = TurtleParser::new()
                .with_base_iri(base_iri)
                .map_err(|e| base_error(base_iri, &e))?;
            for triple in parser.for_slice(body) {
                let triple = triple.map_err(|e| turtle_syntax_error(&e))?;
                budget.charge_parsed(1)?;
                each(triple.as_ref())?;
            }
        }
        RdfFormat::NTriples => {
            // N-Triples has no relative IRIs, but an invalid base is still a
            // caller bug worth reporting consistently.
            check_base(base_iri)?;
            for triple in NTriplesParser::new().for_slice(body) {
                let triple = triple.map_err(|e| turtle_syntax_error(&e))?;
                budget.charge_parsed(1)?;
                each(triple.as_ref())?;
            }
        }
        RdfFormat::JsonLd => {
            let parser = JsonLdParser::new()
                .with_base_iri(base_iri)
                .map_err(|e| base_error(base_iri, &e))?;
            if let Some((line, column)) = guard::too_deep(body, Lexical::Json, MAX_JSON_LD_DEPTH) {
                return Err(RdfError::syntax(
                    line,
                    column,
                    format!("JSON nesting deeper than {MAX_JSON_LD_DEPTH} levels is not accepted"),
                ));
            }
            // JSON-LD blank node identifiers may be any string ("_:a b"),
            // which Turtle and N-Triples cannot write: relabel those.
            let mut relabelled: HashMap<BlankNode, BlankNode> = HashMap::new();
            let mut fix = |node: BlankNode| -> BlankNode {
                if is_turtle_safe_label(node.as_str()) {
                    node
                } else {
                    relabelled.entry(node).or_default().clone()
                }
            };
            for quad in parser.for_slice(body) {
                let mut quad = quad.map_err(|e| jsonld_error(&e))?;
                if let NamedOrBlankNode::BlankNode(b) = quad.subject {
                    quad.subject = fix(b).into();
                }
                if let Term::BlankNode(b) = quad.object {
                    quad.object = fix(b).into();
                }
                if quad.graph_name != oxrdf::GraphName::DefaultGraph {
                    return Err(RdfError::Invalid {
                        message: format!(
                            "the JSON-LD document holds a named graph ({}); a resource is a single graph",
                            quad.graph_name
                        ),
                    });
                }
                budget.charge_parsed(1)?;
                each(TripleRef::new(&quad.subject, &quad.predicate, &quad.object))?;
            }
        }
    }
    Ok(())
}

/// A Turtle serializer with `base_iri` (when valid) and `prefixes`.
fn turtle_serializer(
    base_iri: &str,
    prefixes: impl IntoIterator<Item = (&'static str, &'static str)>,
) -> Result<TurtleSerializer, RdfError> {
    let mut serializer = TurtleSerializer::new();
    if let Ok(with_base) = serializer.clone().with_base_iri(base_iri) {
        serializer = with_base;
    }
    for (name, namespace) in prefixes {
        serializer = serializer
            .with_prefix(name, namespace)
            .map_err(|e| serialize_error(&e))?;
    }
    Ok(serializer)
}

/// Serialises `graph` in `format`.
///
/// Turtle output declares only the [`COMMON_PREFIXES`] the graph uses, writes
/// IRIs relative to `base_iri`, and groups triples by subject (the resource
/// itself first, blank nodes last, `rdf:type` first within a subject).
/// JSON-LD output writes absolute IRIs. If `base_iri` is not a valid
/// absolute IRI, Turtle writes absolute IRIs too.
pub fn serialize(graph: &Graph, format: RdfFormat, base_iri: &str) -> Result<Vec<u8>, RdfError> {
    // Blank node labels that Turtle cannot write (N-Triples allows ':' in
    // them, JSON-LD anything) are renamed; the graph stays the same graph.
    let relabelled;
    let graph = if graph.iter().all(|t| triple_labels_are_safe(t)) {
        graph
    } else {
        relabelled = relabel_unsafe_blank_nodes(graph);
        &relabelled
    };
    serialize_sorted(graph.iter().collect(), format, base_iri)
}

/// Sorts `triples` in a pleasant reading order and serialises them.
pub(crate) fn serialize_sorted(
    mut triples: Vec<TripleRef<'_>>,
    format: RdfFormat,
    base_iri: &str,
) -> Result<Vec<u8>, RdfError> {
    sort_triples(&mut triples, base_iri);
    let result = match format {
        RdfFormat::Turtle => {
            let mut used = UsedPrefixes::default();
            for triple in &triples {
                used.mark(*triple);
            }
            let serializer = turtle_serializer(base_iri, used.prefixes())?;
            let mut writer = serializer.for_writer(Vec::new());
            for triple in &triples {
                writer
                    .serialize_triple(*triple)
                    .map_err(|e| serialize_error(&e))?;
            }
            writer.finish()
        }
        RdfFormat::NTriples => {
            let mut writer = NTriplesSerializer::new().for_writer(Vec::new());
            for triple in &triples {
                writer
                    .serialize_triple(*triple)
                    .map_err(|e| serialize_error(&e))?;
            }
            Ok(writer.finish())
        }
        RdfFormat::JsonLd => {
            // No @base: oxjsonld would relativise IRIs of other hosts to
            // network-path references ("//xmlns.com/…"), which JSON-LD
            // clients handle poorly. Absolute IRIs are unambiguous.
            let mut writer = JsonLdSerializer::new().for_writer(Vec::new());
            for triple in &triples {
                writer
                    .serialize_quad(triple.in_graph(GraphNameRef::DefaultGraph))
                    .map_err(|e| serialize_error(&e))?;
            }
            writer.finish()
        }
    };
    result.map_err(|e| serialize_error(&e))
}

/// Turtle for `triples` in the reading order of [`serialize`], declaring
/// those of `prefixes` whose namespace some IRI uses (for [`crate::TurtleWriter`]).
pub(crate) fn turtle_with_prefixes(
    mut triples: Vec<TripleRef<'_>>,
    base_iri: &str,
    prefixes: &[(&str, &str)],
) -> Result<Vec<u8>, RdfError> {
    sort_triples(&mut triples, base_iri);
    let uses = |namespace: &str| {
        let within = |iri: &str| iri.len() > namespace.len() && iri.starts_with(namespace);
        triples.iter().any(|t| {
            let subject = match t.subject {
                NamedOrBlankNodeRef::NamedNode(n) => within(n.as_str()),
                _ => false,
            };
            let object = match t.object {
                TermRef::NamedNode(n) => within(n.as_str()),
                TermRef::Literal(l) => within(l.datatype().as_str()),
                _ => false,
            };
            // `rdf:type` is written `a`.
            let predicate = t.predicate != rdf::TYPE && within(t.predicate.as_str());
            subject || predicate || object
        })
    };
    let used: Vec<(&str, &str)> = prefixes
        .iter()
        .filter(|(_, namespace)| uses(namespace))
        .copied()
        .collect();
    let mut writer = TurtleSerializer::new();
    if let Ok(with_base) = writer.clone().with_base_iri(base_iri) {
        writer = with_base;
    }
    for (name, namespace) in used {
        writer = writer
            .with_prefix(name, namespace)
            .map_err(|e| serialize_error(&e))?;
    }
    let mut writer = writer.for_writer(Vec::new());
    for triple in &triples {
        writer
            .serialize_triple(*triple)
            .map_err(|e| serialize_error(&e))?;
    }
    writer.finish().map_err(|e| serialize_error(&e))
}

/// Whether `label` is a blank node label valid in Turtle (and N-Triples).
fn is_turtle_safe_label(label: &str) -> bool {
    !label.contains(':') && BlankNode::new(label).is_ok()
}

pub(crate) fn triple_labels_are_safe(triple: TripleRef<'_>) -> bool {
    let subject_ok = match triple.subject {
        NamedOrBlankNodeRef::BlankNode(b) => is_turtle_safe_label(b.as_str()),
        _ => true,
    };
    let object_ok = match triple.object {
        TermRef::BlankNode(b) => is_turtle_safe_label(b.as_str()),
        _ => true,
    };
    subject_ok && object_ok
}

/// A copy of `graph` where unsafe blank node labels are replaced by fresh ones.
fn relabel_unsafe_blank_nodes(graph: &Graph) -> Graph {
    let mut mapping: HashMap<String, BlankNode> = HashMap::new();
    let mut fix = |b: oxrdf::BlankNodeRef<'_>| -> BlankNode {
        if is_turtle_safe_label(b.as_str()) {
            b.into_owned()
        } else {
            mapping.entry(b.as_str().to_owned()).or_default().clone()
        }
    };
    let mut result = Graph::new();
    for triple in graph {
        let subject: NamedOrBlankNode = match triple.subject {
            NamedOrBlankNodeRef::BlankNode(b) => fix(b).into(),
            other => other.into_owned(),
        };
        let object: Term = match triple.object {
            TermRef::BlankNode(b) => fix(b).into(),
            other => other.into_owned(),
        };
        result.insert(TripleRef::new(&subject, triple.predicate, &object));
    }
    result
}

/// Sorts triples in a pleasant reading order. Comparing allocates nothing,
/// so sorting costs only the vector of references.
fn sort_triples(triples: &mut [TripleRef<'_>], base_iri: &str) {
    triples.sort_unstable_by(|a, b| {
        subject_key(a.subject, base_iri)
            .cmp(&subject_key(b.subject, base_iri))
            .then_with(|| predicate_order(a, b))
            .then_with(|| compare_terms(a.object, b.object))
    });
}

fn subject_key<'a>(subject: NamedOrBlankNodeRef<'a>, base_iri: &str) -> (u8, &'a str) {
    match subject {
        NamedOrBlankNodeRef::NamedNode(n) if n.as_str() == base_iri => (0, n.as_str()),
        NamedOrBlankNodeRef::NamedNode(n) => (1, n.as_str()),
        NamedOrBlankNodeRef::BlankNode(b) => (2, b.as_str()),
        #[allow(unreachable_patterns)]
        _ => (3, ""),
    }
}

fn predicate_order(a: &TripleRef<'_>, b: &TripleRef<'_>) -> Ordering {
    let a_type = a.predicate != rdf::TYPE;
    let b_type = b.predicate != rdf::TYPE;
    a_type
        .cmp(&b_type)
        .then_with(|| a.predicate.as_str().cmp(b.predicate.as_str()))
}

/// IRIs first, then literals (by value, datatype, language), then blank nodes.
fn compare_terms(a: TermRef<'_>, b: TermRef<'_>) -> Ordering {
    fn rank(term: TermRef<'_>) -> u8 {
        match term {
            TermRef::NamedNode(_) => 0,
            TermRef::Literal(_) => 1,
            TermRef::BlankNode(_) => 2,
            #[allow(unreachable_patterns)]
            _ => 3,
        }
    }
    match (a, b) {
        (TermRef::NamedNode(x), TermRef::NamedNode(y)) => x.as_str().cmp(y.as_str()),
        (TermRef::BlankNode(x), TermRef::BlankNode(y)) => x.as_str().cmp(y.as_str()),
        (TermRef::Literal(x), TermRef::Literal(y)) => x
            .value()
            .cmp(y.value())
            .then_with(|| x.datatype().as_str().cmp(y.datatype().as_str()))
            .then_with(|| x.language().cmp(&y.language())),
        _ => rank(a).cmp(&rank(b)),
    }
}

/// Which of the [`COMMON_PREFIXES`] some IRI of the triples seen starts with.
#[derive(Default)]
struct UsedPrefixes {
    used: [bool; COMMON_PREFIXES.len()],
}

impl UsedPrefixes {
    fn mark_iri(&mut self, iri: &str) {
        for (i, (_, namespace)) in COMMON_PREFIXES.iter().enumerate() {
            if iri.len() > namespace.len() && iri.starts_with(namespace) {
                self.used[i] = true;
            }
        }
    }

    fn mark(&mut self, triple: TripleRef<'_>) {
        if let NamedOrBlankNodeRef::NamedNode(n) = triple.subject {
            self.mark_iri(n.as_str());
        }
        if triple.predicate != rdf::TYPE {
            self.mark_iri(triple.predicate.as_str());
        }
        match triple.object {
            TermRef::NamedNode(n) => self.mark_iri(n.as_str()),
            TermRef::Literal(l) => {
                let datatype = l.datatype();
                if datatype != xsd::STRING
                    && datatype != rdf::LANG_STRING
                    && datatype != xsd::INTEGER
                    && datatype != xsd::BOOLEAN
                {
                    self.mark_iri(datatype.as_str());
                }
            }
            _ => {}
        }
    }

    fn prefixes(&self) -> Vec<(&'static str, &'static str)> {
        COMMON_PREFIXES
            .iter()
            .zip(self.used)
            .filter_map(|(prefix, used)| used.then_some(*prefix))
            .collect()
    }
}

fn check_base(base_iri: &str) -> Result<(), RdfError> {
    oxrdf::NamedNode::new(base_iri)
        .map(|_| ())
        .map_err(|e| base_error(base_iri, &e))
}

fn base_error(base_iri: &str, error: &dyn std::fmt::Display) -> RdfError {
    RdfError::BaseIri {
        base_iri: base_iri.to_owned(),
        message: error.to_string(),
    }
}

fn serialize_error(error: &dyn std::fmt::Display) -> RdfError {
    RdfError::Serialize {
        message: error.to_string(),
    }
}

/// Converts an oxttl syntax error (0-based positions) to [`RdfError::Syntax`].
pub(crate) fn turtle_syntax_error(error: &TurtleSyntaxError) -> RdfError {
    let start = error.location().start;
    RdfError::syntax(start.line + 1, start.column + 1, error.message())
}

fn jsonld_error(error: &oxjsonld::JsonLdSyntaxError) -> RdfError {
    match error.location() {
        Some(location) => RdfError::syntax(
            location.start.line + 1,
            location.start.column + 1,
            strip_position_prefix(&error.to_string()),
        ),
        None => RdfError::Invalid {
            message: format!("invalid JSON-LD: {error}"),
        },
    }
}

/// JSON syntax errors already start with their position in their `Display`;
/// the position is reported separately, so drop it from the message.
fn strip_position_prefix(message: &str) -> String {
    message
        .strip_prefix("Parser error at ")
        .and_then(|rest| rest.split_once(": "))
        .map_or_else(|| message.to_owned(), |(_, m)| m.to_owned())
}

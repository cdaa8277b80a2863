//! The representation of a container: its own stored triples, plus the
//! server-managed containment triples (`ldp:contains`, with each member's
//! type, `dcterms:modified`, `stat:mtime` and `stat:size`).
//!
//! Turtle, the common case, is written directly as text so that listing a
//! container of ten thousand members stays in the milliseconds; other formats
//! go through an RDF graph.

use std::fmt::Write as _;

use selfdata_rdf::RdfFormat;
use selfdata_rdf::oxrdf::{Graph, Literal, NamedNode, Triple, vocab::rdf, vocab::xsd};
use selfdata_store::{Meta, PodName};

use crate::error::ApiError;
use crate::uri::resource_uri;

pub const LDP: &str = "http://www.w3.org/ns/ldp#";
pub const PIM_STORAGE: &str = "http://www.w3.org/ns/pim/space#Storage";
const DCTERMS_MODIFIED: &str = "http://purl.org/dc/terms/modified";
const STAT: &str = "http://www.w3.org/ns/posix/stat#";

fn xsd_datetime(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_owned())
}

/// The types a resource carries in listings and in its own representation.
fn types(meta: &Meta, is_root: bool) -> Vec<String> {
    let mut out = Vec::with_capacity(4);
    if meta.is_container() {
        out.push(format!("{LDP}Container"));
        out.push(format!("{LDP}BasicContainer"));
    }
    out.push(format!("{LDP}Resource"));
    if is_root {
        out.push(PIM_STORAGE.to_owned());
    }
    out
}

/// Builds the container's representation in `format`.
///
/// `own` is the container's stored (non-containment) graph.
pub fn render(
    base: &str,
    pod: &PodName,
    container: &Meta,
    own: &Graph,
    members: &[Meta],
    format: RdfFormat,
) -> Result<Vec<u8>, ApiError> {
    let uri = resource_uri(base, pod, &container.path);
    if format == RdfFormat::Turtle {
        return render_turtle(base, pod, &uri, container, own, members);
    }
    let mut graph = own.clone();
    let subject = NamedNode::new_unchecked(uri.clone());
    describe(&mut graph, &subject, container, container.path.is_root());
    for member in members {
        let node = NamedNode::new_unchecked(resource_uri(base, pod, &member.path));
        graph.insert(&Triple::new(
            subject.clone(),
            NamedNode::new_unchecked(format!("{LDP}contains")),
            node.clone(),
        ));
        describe(&mut graph, &node, member, false);
    }
    Ok(selfdata_rdf::serialize(&graph, format, &uri)?)
}

fn describe(graph: &mut Graph, node: &NamedNode, meta: &Meta, is_root: bool) {
    for t in types(meta, is_root) {
        graph.insert(&Triple::new(
            node.clone(),
            rdf::TYPE,
            NamedNode::new_unchecked(t),
        ));
    }
    graph.insert(&Triple::new(
        node.clone(),
        NamedNode::new_unchecked(DCTERMS_MODIFIED),
        Literal::new_typed_literal(xsd_datetime(meta.modified_ms), xsd::DATE_TIME),
    ));
    graph.insert(&Triple::new(
        node.clone(),
        NamedNode::new_unchecked(format!("{STAT}mtime")),
        Literal::new_typed_literal((meta.modified_ms / 1000).to_string(), xsd::INTEGER),
    ));
    graph.insert(&Triple::new(
        node.clone(),
        NamedNode::new_unchecked(format!("{STAT}size")),
        Literal::new_typed_literal(meta.size.to_string(), xsd::INTEGER),
    ));
}

fn render_turtle(
    base: &str,
    pod: &PodName,
    uri: &str,
    container: &Meta,
    own: &Graph,
    members: &[Meta],
) -> Result<Vec<u8>, ApiError> {
    let mut out = if own.is_empty() {
        String::new()
    } else {
        String::from_utf8(selfdata_rdf::serialize(own, RdfFormat::Turtle, uri)?)
            .map_err(|_| ApiError::internal())?
    };
    out.reserve(200 + members.len() * 200);
    let _ = write!(
        out,
        "\n@prefix ldp: <{LDP}> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n\
         @prefix stat: <{STAT}> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\n"
    );
    write_node(&mut out, uri, container, container.path.is_root());
    if !members.is_empty() {
        let _ = write!(out, "<{uri}> ldp:contains ");
        for (i, m) in members.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "<{}>", resource_uri(base, pod, &m.path));
        }
        out.push_str(" .\n");
        for m in members {
            write_node(&mut out, &resource_uri(base, pod, &m.path), m, false);
        }
    }
    Ok(out.into_bytes())
}

fn write_node(out: &mut String, uri: &str, meta: &Meta, is_root: bool) {
    let _ = write!(out, "<{uri}> a ");
    for (i, t) in types(meta, is_root).iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "<{t}>");
    }
    let _ = writeln!(
        out,
        "; dcterms:modified \"{}\"^^xsd:dateTime; stat:mtime {}; stat:size {} .",
        xsd_datetime(meta.modified_ms),
        meta.modified_ms / 1000,
        meta.size
    );
}

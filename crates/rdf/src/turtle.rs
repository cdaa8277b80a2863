//! The one way the server writes a Turtle document of its own (a profile
//! card, an ACL, a consent record, an export manifest): triples are built as
//! terms and written by oxttl, so every literal and IRI goes through one
//! escaper. No crate writes Turtle with `format!`.
//!
//! A [`TurtleWriter`] writes references to the document itself and to its
//! siblings relative (`<>`, `<#me>`, `<card>`, `<./>`), so a stored document
//! does not depend on the server's address: read it with its own URL as base.
//!
//! ```
//! use selfdata_rdf::TurtleWriter;
//! let mut doc = TurtleWriter::new("card").prefix("foaf", "http://xmlns.com/foaf/0.1/");
//! let me = doc.local("#me");
//! doc.add(me, "http://xmlns.com/foaf/0.1/name", TurtleWriter::literal("A \"quoted\"\r\nname"));
//! let text = doc.finish();
//! assert!(text.contains("<#me> foaf:name"), "{text}");
//! let graph = selfdata_rdf::parse(text.as_bytes(), selfdata_rdf::RdfFormat::Turtle, "https://pod.example/alice/profile/card").unwrap();
//! assert!(graph.to_string().contains("<https://pod.example/alice/profile/card#me>"));
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```

use oxrdf::{BlankNode, Literal, NamedNode, NamedOrBlankNode, Term, Triple, TripleRef};

use crate::codec::{COMMON_PREFIXES, turtle_with_prefixes};

/// The folder every document is written from, then left out of the text:
/// a scheme of its own, so no real IRI is ever made relative to it.
const HERE: &str = "selfdata-document:/here/";

/// A Turtle document being built; [`TurtleWriter::finish`] writes it.
#[derive(Debug, Clone)]
pub struct TurtleWriter {
    document: String,
    prefixes: Vec<(String, String)>,
    triples: Vec<Triple>,
}

impl TurtleWriter {
    /// A document named `name` in its folder (`card`, `.acl`,
    /// `app-1.ttl`): the name relative references are written against.
    pub fn new(name: &str) -> Self {
        Self {
            document: format!("{HERE}{}", encode_iri(name)),
            prefixes: Vec::new(),
            triples: Vec::new(),
        }
    }

    /// Declares a prefix (`dpv`, `https://w3id.org/dpv#`); the vocabularies
    /// of [`COMMON_PREFIXES`] are declared when used without asking.
    pub fn prefix(mut self, name: &str, namespace: &str) -> Self {
        self.prefixes.push((name.to_owned(), namespace.to_owned()));
        self
    }

    /// The document itself (`<>`).
    pub fn document(&self) -> NamedNode {
        NamedNode::new_unchecked(self.document.clone())
    }

    /// A reference relative to the document: `#me` (a fragment of it),
    /// `./` (its folder), `card` (a sibling).
    pub fn local(&self, reference: &str) -> NamedNode {
        let reference = encode_iri(reference);
        if reference.is_empty() {
            return self.document();
        }
        if reference.starts_with('#') {
            return NamedNode::new_unchecked(format!("{}{reference}", self.document));
        }
        let sibling = reference.strip_prefix("./").unwrap_or(&reference);
        NamedNode::new_unchecked(format!("{HERE}{sibling}"))
    }

    /// An IRI from outside: characters an IRI cannot hold are
    /// percent-encoded, and a string that is not an absolute IRI is taken as
    /// a sibling reference (as `<it>` would be read).
    pub fn iri(&self, iri: &str) -> NamedNode {
        let encoded = encode_iri(iri);
        match NamedNode::new(encoded.as_str()) {
            Ok(node) => node,
            Err(_) => self.local(&encoded),
        }
    }

    /// A fresh blank node.
    pub fn blank(&self) -> BlankNode {
        BlankNode::default()
    }

    /// A plain string literal.
    pub fn literal(value: &str) -> Literal {
        Literal::new_simple_literal(value)
    }

    /// A literal of a datatype (`xsd:dateTime`, `xsd:integer`) given by IRI.
    pub fn typed(value: &str, datatype: &str) -> Literal {
        Literal::new_typed_literal(value, NamedNode::new_unchecked(datatype))
    }

    /// Adds a triple; `predicate` is an IRI.
    pub fn add(
        &mut self,
        subject: impl Into<NamedOrBlankNode>,
        predicate: &str,
        object: impl Into<Term>,
    ) {
        let predicate = self.iri(predicate);
        self.triples
            .push(Triple::new(subject.into(), predicate, object.into()));
    }

    /// The document as Turtle: the prefixes it uses, the document's own
    /// triples first, then each subject's.
    pub fn finish(self) -> String {
        let triples: Vec<TripleRef<'_>> = self.triples.iter().map(Triple::as_ref).collect();
        let mut prefixes: Vec<(&str, &str)> = self
            .prefixes
            .iter()
            .map(|(n, ns)| (n.as_str(), ns.as_str()))
            .collect();
        for (name, namespace) in COMMON_PREFIXES {
            if !prefixes
                .iter()
                .any(|(n, ns)| *n == name || *ns == namespace)
            {
                prefixes.push((name, namespace));
            }
        }
        let bytes = turtle_with_prefixes(triples, &self.document, &prefixes).unwrap_or_default();
        let text = String::from_utf8(bytes).unwrap_or_default();
        // The base was only there to write relative references.
        let base_line = format!("@base <{}> .\n", self.document);
        match text.strip_prefix(&base_line) {
            Some(rest) => rest.to_owned(),
            None => text,
        }
    }
}

/// Percent-encodes what may not appear inside `<…>` in Turtle (controls,
/// space, `<>"{}|\^` and backquote): the IRI [`TurtleWriter::iri`] writes,
/// for callers that keep it to compare with what they read back.
pub fn encode_iri(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control()
            || matches!(
                c,
                ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`'
            )
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RdfFormat, parse};

    const BASE: &str = "https://pod.example/alice/selfdata/consents/app-1.ttl";

    #[test]
    fn hostile_strings_round_trip_through_the_one_escaper() {
        let hostile = "a\rb\"c\\d>e\n\tf <g> 'h' \u{7}";
        let mut doc = TurtleWriter::new("app-1.ttl").prefix("ex", "https://example.org/ns#");
        let me = doc.document();
        doc.add(
            me.clone(),
            "https://example.org/ns#name",
            TurtleWriter::literal(hostile),
        );
        let odd = doc.iri("https://app.example/cb?x=<1>\r\"");
        doc.add(me, "https://example.org/ns#app", odd);
        let text = doc.finish();
        assert!(!text.contains("selfdata-document"), "{text}");
        let graph = parse(text.as_bytes(), RdfFormat::Turtle, BASE).unwrap();
        let name = graph
            .iter()
            .find(|t| t.predicate.as_str() == "https://example.org/ns#name")
            .unwrap();
        assert_eq!(name.subject.to_string(), format!("<{BASE}>"));
        match name.object {
            oxrdf::TermRef::Literal(l) => assert_eq!(l.value(), hostile),
            other => panic!("{other}"),
        }
        let app = graph
            .iter()
            .find(|t| t.predicate.as_str() == "https://example.org/ns#app")
            .unwrap();
        assert_eq!(
            app.object.to_string(),
            "<https://app.example/cb?x=%3C1%3E%0D%22>"
        );
    }

    #[test]
    fn references_to_the_document_and_its_folder_stay_relative() {
        let mut doc = TurtleWriter::new(".acl");
        let rule = doc.local("#owner");
        let folder = doc.local("./");
        let card = doc.local("card");
        doc.add(
            rule.clone(),
            "http://www.w3.org/ns/auth/acl#accessTo",
            folder,
        );
        doc.add(rule, "http://www.w3.org/ns/auth/acl#default", card);
        let text = doc.finish();
        let graph = parse(
            text.as_bytes(),
            RdfFormat::Turtle,
            "https://x.example/p/.acl",
        )
        .unwrap();
        let text = graph.to_string();
        assert!(text.contains("<https://x.example/p/.acl#owner>"), "{text}");
        assert!(text.contains("<https://x.example/p/>"), "{text}");
        assert!(text.contains("<https://x.example/p/card>"), "{text}");
    }
}

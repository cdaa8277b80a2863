//! RDFa 1.1 in stored web pages: the triples an HTML or XHTML document
//! states in its attributes, so that a page a resident keeps in their pod
//! can also be read as Turtle or JSON-LD (a MAY of the Solid Protocol that
//! Solid apps and the conformance suites use).
//!
//! Written here because no well-kept Rust crate extracts RDFa: the page is
//! read with quick-xml in its lenient mode (HTML void elements, unquoted and
//! valueless attributes, HTML entities), into a small tree, and walked with
//! the processing sequence of RDFa Core 1.1 §7.5 and HTML+RDFa 1.1:
//! `@vocab`, `@prefix` and `xmlns:`, `@about`, `@resource`, `@href`,
//! `@src`, `@typeof`, `@rel`, `@rev`, `@property`, `@content`,
//! `@datatype`, `@lang`/`@xml:lang`, `<base href>`, chaining through
//! hanging `@rel`/`@rev`, and the initial context's prefixes and terms.
//!
//! Not done: `@inlist` (list members become plain triples), XML literals
//! (`datatype="rdf:XMLLiteral"` gives the text), the `rdfa:usesVocabulary`
//! triple, and the HTML5 parser's error recovery (an unclosed `<p>` nests
//! what follows it). A page past [`MAX_DEPTH`] nested elements has its
//! deeper structure flattened; one of more than [`MAX_ELEMENTS`] elements,
//! stating more than `max_triples` triples, or whose literals would repeat
//! its text more than twice over (nested `@property`) is refused: reading a
//! page costs a bounded multiple of its size.

use crate::RdfError;
use oxiri::Iri;
use oxrdf::vocab::rdf;
use oxrdf::{BlankNode, Graph, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::HashMap;
use std::rc::Rc;

/// Elements nested deeper than this are read as part of their ancestor.
pub const MAX_DEPTH: usize = 200;

/// The most elements read from one page (a page past it is refused): the
/// tree costs about 100 bytes an element, so at most some 50 MB.
pub const MAX_ELEMENTS: usize = 500_000;

/// Why a page was not read to the end.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    Triples,
    Text,
    Elements,
}

/// Whether a media type is one this module reads RDFa from.
pub fn is_rdfa_host(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("text/html")
        || essence.eq_ignore_ascii_case("application/xhtml+xml")
}

/// The triples stated in `page` (HTML or XHTML), relative IRIs resolved
/// against `base_iri` (or the page's own `<base href>`).
///
/// Never panics; a page that stops being readable part-way gives the
/// triples of the part read. Fails only when the base IRI is not absolute or
/// the page states more than `max_triples` triples.
pub fn parse_rdfa(page: &[u8], base_iri: &str, max_triples: u64) -> Result<Graph, RdfError> {
    let doc = Tree::read(page);
    let refuse = |refusal| {
        let message = match refusal {
            Refusal::Triples => format!(
                "the page states more than {max_triples} triples, the most this server reads from one page"
            ),
            Refusal::Text => {
                "the page's statements repeat its text more than twice over".to_owned()
            }
            Refusal::Elements => {
                format!(
                    "the page has more than {MAX_ELEMENTS} elements, the most this server reads"
                )
            }
        };
        Err(RdfError::Invalid { message })
    };
    if doc.elements.len() > MAX_ELEMENTS {
        return refuse(Refusal::Elements);
    }
    let base = doc
        .base_href()
        .and_then(|href| Iri::parse(base_iri).ok()?.resolve(href).ok())
        .map(Iri::into_inner)
        .unwrap_or_else(|| base_iri.to_owned());
    let base = Iri::parse(base).map_err(|e| RdfError::BaseIri {
        base_iri: base_iri.to_owned(),
        message: e.to_string(),
    })?;
    let mut processor = Processor {
        tree: &doc,
        base,
        graph: Graph::new(),
        max_triples,
        blank_labels: HashMap::new(),
        text_left: page.len().saturating_mul(2).saturating_add(64 * 1024),
        refused: None,
    };
    let context = Context {
        parent_subject: Some(NamedOrBlankNode::from(NamedNode::new_unchecked(
            processor.base.as_str(),
        ))),
        parent_object: None,
        incomplete: Vec::new(),
        language: None,
        prefixes: Rc::new(initial_prefixes()),
        vocabulary: None,
    };
    for &child in &doc.roots {
        processor.element(child, &context, true);
    }
    match processor.refused {
        Some(refusal) => refuse(refusal),
        None => Ok(processor.graph),
    }
}

// ------------------------------------------------------------------- tree

/// One element of the page: its lower-case name, attributes (names
/// lower-cased, values unescaped) and content.
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

enum Node {
    Element(usize),
    Text(String),
}

/// The page as a tree, elements in an arena.
struct Tree {
    elements: Vec<Element>,
    roots: Vec<usize>,
}

/// HTML elements that never have content, whether or not written `<br/>`.
const VOID: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

impl Tree {
    fn read(page: &[u8]) -> Tree {
        let mut reader = Reader::from_reader(page);
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.check_comments = false;
        let mut tree = Tree {
            elements: Vec::new(),
            roots: Vec::new(),
        };
        let mut open: Vec<usize> = Vec::new();
        while tree.elements.len() <= MAX_ELEMENTS {
            let event = match reader.read_event() {
                Ok(Event::Eof) | Err(_) => break,
                Ok(event) => event,
            };
            match event {
                Event::Start(start) if !tree.open(&mut reader, &start, false, &mut open) => break,
                Event::Start(_) => {}
                Event::Empty(start) => {
                    tree.open(&mut reader, &start, true, &mut open);
                }
                Event::End(end) => {
                    let name = String::from_utf8_lossy(end.name().as_ref()).to_ascii_lowercase();
                    if let Some(at) = open.iter().rposition(|&i| tree.elements[i].name == name) {
                        open.truncate(at);
                    }
                }
                Event::Text(text) => {
                    if let Ok(text) = text.html_content() {
                        tree.attach(&open, Node::Text(text.into_owned()));
                    }
                }
                Event::CData(data) => {
                    if let Ok(text) = data.decode() {
                        tree.attach(&open, Node::Text(text.into_owned()));
                    }
                }
                Event::GeneralRef(reference) => {
                    let text = match reference.resolve_char_ref() {
                        Ok(Some(c)) => Some(c.to_string()),
                        _ => reference.decode().ok().and_then(|name| {
                            quick_xml::escape::resolve_html5_entity(&name).map(str::to_owned)
                        }),
                    };
                    if let Some(text) = text {
                        tree.attach(&open, Node::Text(text));
                    }
                }
                _ => {}
            }
        }
        tree
    }

    /// Adds the element `start` opens; keeps it open unless it is void
    /// (`<x/>` or an HTML void element). Returns false if the page ends
    /// inside a script or style.
    fn open(
        &mut self,
        reader: &mut Reader<&[u8]>,
        start: &BytesStart<'_>,
        empty: bool,
        open: &mut Vec<usize>,
    ) -> bool {
        let element = element_of(start);
        let raw_text = matches!(element.name.as_str(), "script" | "style");
        let void = empty || VOID.contains(&element.name.as_str());
        let index = self.elements.len();
        self.elements.push(element);
        self.attach(open, Node::Element(index));
        if void {
            return true;
        }
        if raw_text {
            // Script and style hold text, not markup: skip to the end tag.
            return reader.read_to_end(start.to_end().name()).is_ok();
        }
        if open.len() < MAX_DEPTH {
            open.push(index);
        }
        true
    }

    fn attach(&mut self, open: &[usize], node: Node) {
        match open.last() {
            Some(&parent) => {
                let children = &mut self.elements[parent].children;
                // One text node between two elements, however many entities.
                if let (Node::Text(more), Some(Node::Text(text))) = (&node, children.last_mut()) {
                    text.push_str(more);
                } else {
                    children.push(node);
                }
            }
            None => {
                if let Node::Element(index) = node {
                    self.roots.push(index);
                }
            }
        }
    }

    /// The first `<base href>` of the page.
    fn base_href(&self) -> Option<&str> {
        self.elements
            .iter()
            .find(|e| e.name == "base")
            .and_then(|e| attribute(e, "href"))
    }

    /// The text of an element and its descendants, in order.
    fn text(&self, index: usize, out: &mut String) {
        for child in &self.elements[index].children {
            match child {
                Node::Text(text) => out.push_str(text),
                Node::Element(i) => self.text(*i, out),
            }
        }
    }
}

fn element_of(start: &BytesStart<'_>) -> Element {
    let name = String::from_utf8_lossy(start.name().as_ref()).to_ascii_lowercase();
    let attributes = start
        .html_attributes()
        .with_checks(false)
        .filter_map(Result::ok)
        .map(|a| {
            let key = String::from_utf8_lossy(a.key.as_ref()).to_ascii_lowercase();
            let raw = String::from_utf8_lossy(&a.value);
            let value = quick_xml::escape::unescape_with(&raw, |entity| {
                quick_xml::escape::resolve_html5_entity(entity)
            })
            .map_or_else(|_| raw.to_string(), |v| v.into_owned());
            (key, value)
        })
        .collect();
    Element {
        name,
        attributes,
        children: Vec::new(),
    }
}

fn attribute<'e>(element: &'e Element, name: &str) -> Option<&'e str> {
    element
        .attributes
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

// -------------------------------------------------------------- processing

/// The evaluation context handed from an element to its children.
#[derive(Clone)]
struct Context {
    parent_subject: Option<NamedOrBlankNode>,
    parent_object: Option<NamedOrBlankNode>,
    incomplete: Vec<(NamedNode, Direction)>,
    language: Option<String>,
    /// Shared until an element declares a prefix (copied on write).
    prefixes: Rc<HashMap<String, String>>,
    vocabulary: Option<String>,
}

#[derive(Clone, Copy)]
enum Direction {
    Forward,
    Backward,
}

struct Processor<'t> {
    tree: &'t Tree,
    base: Iri<String>,
    graph: Graph,
    max_triples: u64,
    blank_labels: HashMap<String, BlankNode>,
    /// Bytes of literal text the page may still state (literals repeat
    /// their element's text, so nested `@property` could multiply it).
    text_left: usize,
    refused: Option<Refusal>,
}

impl Processor<'_> {
    fn emit(&mut self, subject: NamedOrBlankNode, predicate: NamedNode, object: impl Into<Term>) {
        if self.refused.is_some() {
            return;
        }
        if self.graph.len() as u64 >= self.max_triples {
            self.refused = Some(Refusal::Triples);
            return;
        }
        let object = object.into();
        if let Term::Literal(literal) = &object {
            match self.text_left.checked_sub(literal.value().len()) {
                Some(left) => self.text_left = left,
                None => {
                    self.refused = Some(Refusal::Text);
                    return;
                }
            }
        }
        self.graph.insert(&Triple::new(subject, predicate, object));
    }

    /// RDFa Core 1.1 §7.5, steps 1 to 14, for one element.
    fn element(&mut self, index: usize, parent: &Context, is_root: bool) {
        if self.refused.is_some() {
            return;
        }
        let tree = self.tree;
        let element = &tree.elements[index];
        let get = |name: &str| attribute(element, name);
        let mut context = parent.clone();

        // Steps 2 to 4: vocabulary, prefixes, language.
        if let Some(vocab) = get("vocab") {
            context.vocabulary = (!vocab.trim().is_empty())
                .then(|| self.resolve(vocab.trim()))
                .flatten()
                .map(|n| n.into_string());
        }
        for (key, value) in &element.attributes {
            if let Some(prefix) = key.strip_prefix("xmlns:") {
                Rc::make_mut(&mut context.prefixes).insert(prefix.to_owned(), value.clone());
            }
        }
        if let Some(prefixes) = get("prefix") {
            let mut words = prefixes.split_whitespace();
            while let (Some(name), Some(iri)) = (words.next(), words.next()) {
                if let Some(name) = name.strip_suffix(':')
                    && name != "_"
                {
                    Rc::make_mut(&mut context.prefixes)
                        .insert(name.to_ascii_lowercase(), iri.to_owned());
                }
            }
        }
        if let Some(lang) = get("xml:lang").or_else(|| get("lang")) {
            context.language = (!lang.is_empty()).then(|| lang.to_owned());
        }

        let property = get("property");
        // HTML+RDFa: beside @property, a @rel or @rev word that is no CURIE
        // or IRI (an HTML link type such as "stylesheet") is ignored, and
        // an attribute left empty is as if absent.
        let mut link = |name: &str| {
            let value = get(name)?;
            if property.is_none() {
                return Some(self.terms(value, &context));
            }
            let words: Vec<&str> = value
                .split_whitespace()
                .filter(|w| w.contains(':'))
                .collect();
            (!words.is_empty()).then(|| self.terms(&words.join(" "), &context))
        };
        let rel = link("rel");
        let rev = link("rev");
        let typeof_ = get("typeof");
        let about = self.about_or_resource(get("about"), &context).or_else(|| {
            // HTML+RDFa: @typeof on head or body is about the document.
            (typeof_.is_some() && matches!(element.name.as_str(), "head" | "body"))
                .then(|| self.document())
        });
        let resource = self
            .about_or_resource(get("resource"), &context)
            .or_else(|| get("href").and_then(|h| self.resolve(h)).map(Into::into))
            .or_else(|| get("src").and_then(|s| self.resolve(s)).map(Into::into));

        let mut skip = false;
        let mut new_subject: Option<NamedOrBlankNode>;
        let mut current_object: Option<NamedOrBlankNode> = None;
        let mut typed: Option<NamedOrBlankNode> = None;

        if rel.is_none() && rev.is_none() {
            // Step 5.
            if property.is_some() && get("content").is_none() && get("datatype").is_none() {
                new_subject = about.clone().or_else(|| {
                    if is_root {
                        Some(self.document())
                    } else {
                        context.parent_object.clone()
                    }
                });
                if typeof_.is_some() {
                    typed = if about.is_some() {
                        about.clone()
                    } else {
                        Some(
                            resource
                                .clone()
                                .unwrap_or_else(|| BlankNode::default().into()),
                        )
                    };
                    current_object = typed.clone();
                }
            } else {
                new_subject = about.clone().or_else(|| resource.clone());
                if new_subject.is_none() {
                    if is_root {
                        new_subject = Some(self.document());
                    } else if typeof_.is_some() {
                        new_subject = Some(BlankNode::default().into());
                    } else if let Some(object) = context.parent_object.clone() {
                        new_subject = Some(object);
                        if property.is_none() {
                            skip = true;
                        }
                    }
                }
                if typeof_.is_some() {
                    typed = new_subject.clone();
                }
            }
        } else {
            // Step 6.
            new_subject = about.clone();
            if typeof_.is_some() {
                typed = new_subject.clone();
            }
            if new_subject.is_none() {
                new_subject = if is_root {
                    Some(self.document())
                } else {
                    context.parent_object.clone()
                };
            }
            current_object = resource.clone();
            if current_object.is_none() && typeof_.is_some() && about.is_none() {
                current_object = Some(BlankNode::default().into());
            }
            if typeof_.is_some() && about.is_none() {
                typed = current_object.clone();
            }
        }

        // Step 7: types.
        if let (Some(typed), Some(types)) = (&typed, typeof_) {
            for kind in self.terms(types, &context) {
                self.emit(typed.clone(), rdf::TYPE.into_owned(), kind);
            }
        }

        // Steps 9 and 10: relations, complete or hanging.
        let mut incomplete = Vec::new();
        if let Some(subject) = &new_subject {
            if let Some(object) = &current_object {
                for p in rel.iter().flatten() {
                    self.emit(subject.clone(), p.clone(), object.clone());
                }
                for p in rev.iter().flatten() {
                    self.emit(object.clone(), p.clone(), subject.clone());
                }
            } else if rel.is_some() || rev.is_some() {
                current_object = Some(BlankNode::default().into());
                incomplete.extend(
                    rel.iter()
                        .flatten()
                        .map(|p| (p.clone(), Direction::Forward)),
                );
                incomplete.extend(
                    rev.iter()
                        .flatten()
                        .map(|p| (p.clone(), Direction::Backward)),
                );
            }
        }

        // Step 11: the property's value.
        if let (Some(subject), Some(property)) = (&new_subject, property) {
            let predicates = self.terms(property, &context);
            if !predicates.is_empty() {
                let linked = rel.is_some() || rev.is_some();
                let value = self.value(index, &context, linked, &resource, about.is_some(), &typed);
                for p in predicates {
                    self.emit(subject.clone(), p, value.clone());
                }
            }
        }

        // Step 12: complete the parent's hanging relations.
        if !skip
            && let Some(subject) = &new_subject
            && let Some(parent_subject) = &parent.parent_subject
        {
            for (p, direction) in &parent.incomplete {
                match direction {
                    Direction::Forward => {
                        self.emit(parent_subject.clone(), p.clone(), subject.clone())
                    }
                    Direction::Backward => {
                        self.emit(subject.clone(), p.clone(), parent_subject.clone())
                    }
                }
            }
        }

        // Step 13: the children's context.
        let child_context = if skip {
            context
        } else {
            let subject = new_subject.or(context.parent_subject.clone());
            Context {
                parent_object: current_object.or_else(|| subject.clone()),
                parent_subject: subject,
                incomplete,
                ..context
            }
        };
        for child in &element.children {
            if let Node::Element(i) = child {
                self.element(*i, &child_context, false);
            }
        }
    }

    /// Step 11: what a `@property` states.
    fn value(
        &mut self,
        index: usize,
        context: &Context,
        has_rel: bool,
        resource: &Option<NamedOrBlankNode>,
        has_about: bool,
        typed: &Option<NamedOrBlankNode>,
    ) -> Term {
        let element = &self.tree.elements[index];
        let content = attribute(element, "content");
        let datatype = attribute(element, "datatype");
        let lexical = || {
            content.map(str::to_owned).unwrap_or_else(|| {
                let mut text = String::new();
                self.tree.text(index, &mut text);
                text
            })
        };
        if let Some(datatype) = datatype {
            let datatype = (!datatype.trim().is_empty())
                .then(|| self.terms(datatype, context).into_iter().next())
                .flatten();
            return match datatype {
                Some(d) if d.as_ref() != rdf::XML_LITERAL && d.as_ref() != rdf::HTML => {
                    Literal::new_typed_literal(lexical(), d).into()
                }
                _ => self.plain(lexical(), context),
            };
        }
        if content.is_some() {
            return self.plain(lexical(), context);
        }
        if !has_rel && let Some(resource) = resource {
            return resource.clone().into();
        }
        if attribute(element, "typeof").is_some()
            && !has_about
            && let Some(typed) = typed
        {
            return typed.clone().into();
        }
        self.plain(lexical(), context)
    }

    fn plain(&self, text: String, context: &Context) -> Term {
        match &context.language {
            Some(lang) => Literal::new_language_tagged_literal(text.clone(), lang)
                .unwrap_or_else(|_| Literal::new_simple_literal(text))
                .into(),
            None => Literal::new_simple_literal(text).into(),
        }
    }

    fn document(&self) -> NamedOrBlankNode {
        NamedNode::new_unchecked(self.base.as_str()).into()
    }

    /// A relative or absolute IRI against the base.
    fn resolve(&self, iri: &str) -> Option<NamedNode> {
        let resolved = self.base.resolve(iri.trim()).ok()?;
        Some(NamedNode::new_unchecked(resolved.into_inner()))
    }

    /// `@about` and `@resource`: a safe CURIE `[p:x]`, a CURIE of a known
    /// prefix, a blank node `_:x`, or an IRI relative to the base.
    fn about_or_resource(
        &mut self,
        value: Option<&str>,
        context: &Context,
    ) -> Option<NamedOrBlankNode> {
        let value = value?.trim();
        if let Some(safe) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            return self.curie(safe, context);
        }
        if value.contains(':')
            && let Some(node) = self.curie(value, context)
        {
            return Some(node);
        }
        self.resolve(value).map(Into::into)
    }

    /// `prefix:reference` with a known prefix, or `_:label`.
    fn curie(&mut self, value: &str, context: &Context) -> Option<NamedOrBlankNode> {
        let (prefix, reference) = value.split_once(':')?;
        if prefix == "_" {
            let label = reference.to_owned();
            let node = self.blank_labels.entry(label).or_default().clone();
            return Some(node.into());
        }
        if reference.starts_with("//") {
            return None;
        }
        let namespace = if prefix.is_empty() {
            "http://www.w3.org/1999/xhtml/vocab#"
        } else {
            context.prefixes.get(&prefix.to_ascii_lowercase())?
        };
        NamedNode::new(format!("{namespace}{reference}"))
            .ok()
            .map(Into::into)
    }

    /// `@property`, `@typeof`, `@datatype`, `@rel`, `@rev`: space-separated
    /// terms, CURIEs or absolute IRIs. A term neither the vocabulary nor the
    /// initial context defines (an HTML link type) states nothing.
    fn terms(&mut self, value: &str, context: &Context) -> Vec<NamedNode> {
        let mut out = Vec::new();
        for word in value.split_whitespace() {
            let node = if word.contains(':') {
                match self.curie(word, context) {
                    Some(NamedOrBlankNode::NamedNode(n)) => Some(n),
                    Some(NamedOrBlankNode::BlankNode(_)) => None,
                    None => Iri::parse(word.to_owned())
                        .ok()
                        .map(|iri| NamedNode::new_unchecked(iri.into_inner())),
                }
            } else if let Some(vocabulary) = &context.vocabulary {
                NamedNode::new(format!("{vocabulary}{word}")).ok()
            } else {
                let lower = word.to_ascii_lowercase();
                INITIAL_TERMS
                    .iter()
                    .find(|(term, _)| *term == lower)
                    .map(|(_, iri)| NamedNode::new_unchecked(*iri))
            };
            out.extend(node);
        }
        out
    }
}

/// RDFa 1.1's initial context: prefixes every page may use undeclared.
fn initial_prefixes() -> HashMap<String, String> {
    [
        ("as", "https://www.w3.org/ns/activitystreams#"),
        ("cc", "http://creativecommons.org/ns#"),
        ("ctag", "http://commontag.org/ns#"),
        ("dc", "http://purl.org/dc/terms/"),
        ("dc11", "http://purl.org/dc/elements/1.1/"),
        ("dcat", "http://www.w3.org/ns/dcat#"),
        ("dcterms", "http://purl.org/dc/terms/"),
        ("dqv", "http://www.w3.org/ns/dqv#"),
        ("duv", "https://www.w3.org/ns/duv#"),
        ("foaf", "http://xmlns.com/foaf/0.1/"),
        ("gr", "http://purl.org/goodrelations/v1#"),
        ("grddl", "http://www.w3.org/2003/g/data-view#"),
        ("ical", "http://www.w3.org/2002/12/cal/icaltzd#"),
        ("ldp", "http://www.w3.org/ns/ldp#"),
        ("ma", "http://www.w3.org/ns/ma-ont#"),
        ("oa", "http://www.w3.org/ns/oa#"),
        ("odrl", "http://www.w3.org/ns/odrl/2/"),
        ("og", "http://ogp.me/ns#"),
        ("org", "http://www.w3.org/ns/org#"),
        ("owl", "http://www.w3.org/2002/07/owl#"),
        ("prov", "http://www.w3.org/ns/prov#"),
        ("qb", "http://purl.org/linked-data/cube#"),
        ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
        ("rdfa", "http://www.w3.org/ns/rdfa#"),
        ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
        ("rev", "http://purl.org/stuff/rev#"),
        ("rif", "http://www.w3.org/2007/rif#"),
        ("rr", "http://www.w3.org/ns/r2rml#"),
        ("schema", "http://schema.org/"),
        ("sd", "http://www.w3.org/ns/sparql-service-description#"),
        ("sioc", "http://rdfs.org/sioc/ns#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("skosxl", "http://www.w3.org/2008/05/skos-xl#"),
        ("sosa", "http://www.w3.org/ns/sosa/"),
        ("ssn", "http://www.w3.org/ns/ssn/"),
        ("time", "http://www.w3.org/2006/time#"),
        ("v", "http://rdf.data-vocabulary.org/#"),
        ("vcard", "http://www.w3.org/2006/vcard/ns#"),
        ("void", "http://rdfs.org/ns/void#"),
        ("wdr", "http://www.w3.org/2007/05/powder#"),
        ("wdrs", "http://www.w3.org/2007/05/powder-s#"),
        ("xhv", "http://www.w3.org/1999/xhtml/vocab#"),
        ("xml", "http://www.w3.org/XML/1998/namespace"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ]
    .into_iter()
    .map(|(p, iri)| (p.to_owned(), iri.to_owned()))
    .collect()
}

/// RDFa 1.1's initial context: terms every page may use undeclared.
const INITIAL_TERMS: [(&str, &str); 3] = [
    (
        "describedby",
        "http://www.w3.org/2007/05/powder-s#describedby",
    ),
    ("license", "http://www.w3.org/1999/xhtml/vocab#license"),
    ("role", "http://www.w3.org/1999/xhtml/vocab#role"),
];

//! [`Document`]: a compact graph for the stored document a PATCH applies to.
//!
//! `oxrdf::Graph` keeps six indexes of wide interned tuples, about 1.1 KB per
//! triple. A document being patched only needs three orders (subject,
//! predicate, object first), so here each distinct term is stored once, in
//! an interner, and each index holds three `u32` term numbers per triple.
//! Terms are never removed from the interner: a document lives for one
//! request.

use crate::bgp::{Candidates, TripleStore};
use crate::budget::Budget;
use crate::codec::{for_each_triple, serialize, serialize_sorted, triple_labels_are_safe};
use crate::error::RdfError;
use crate::format::RdfFormat;
use indexmap::{Equivalent, IndexSet};
use oxrdf::{Graph, NamedNodeRef, NamedOrBlankNodeRef, Term, TermRef, TripleRef};
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};

/// An RDF graph held compactly, for applying a [`crate::Patch`] to a stored
/// document ([`crate::Patch::apply_to_document`]) and serialising the result.
#[derive(Debug, Clone, Default)]
pub struct Document {
    terms: IndexSet<Key>,
    spo: BTreeSet<[u32; 3]>,
    pos: BTreeSet<[u32; 3]>,
    osp: BTreeSet<[u32; 3]>,
}

/// An interned term. Hashed through its borrowed form, so that a
/// [`KeyRef`] finds it without allocating.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key(Term);

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.as_ref().hash(state);
    }
}

struct KeyRef<'a>(TermRef<'a>);

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        key.0.as_ref() == self.0
    }
}

impl Document {
    /// An empty document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a stored document (no limit applies: it was checked when it
    /// was written).
    pub fn parse(body: &[u8], format: RdfFormat, base_iri: &str) -> Result<Self, RdfError> {
        let mut document = Self::new();
        for_each_triple(body, format, base_iri, &mut Budget::unlimited(), |triple| {
            document.insert(triple);
            Ok(())
        })?;
        Ok(document)
    }

    /// Number of triples.
    pub fn len(&self) -> usize {
        self.spo.len()
    }

    /// Whether the document has no triple.
    pub fn is_empty(&self) -> bool {
        self.spo.is_empty()
    }

    /// Whether some triple has `predicate`.
    pub fn has_predicate(&self, predicate: NamedNodeRef<'_>) -> bool {
        self.matching(None, Some(predicate), None).next().is_some()
    }

    /// Every triple, in subject order.
    pub fn iter(&self) -> impl Iterator<Item = TripleRef<'_>> {
        self.spo.iter().filter_map(|ids| self.triple(*ids))
    }

    /// Whether the document holds `triple`.
    pub fn contains(&self, triple: TripleRef<'_>) -> bool {
        self.ids(triple).is_some_and(|ids| self.spo.contains(&ids))
    }

    /// Adds `triple`; true if it was not there yet.
    pub fn insert(&mut self, triple: TripleRef<'_>) -> bool {
        let s = self.intern(triple.subject.into());
        let p = self.intern(triple.predicate.into());
        let o = self.intern(triple.object);
        if !self.spo.insert([s, p, o]) {
            return false;
        }
        self.pos.insert([p, o, s]);
        self.osp.insert([o, s, p]);
        true
    }

    /// Removes `triple`; true if it was there.
    pub fn remove(&mut self, triple: TripleRef<'_>) -> bool {
        let Some([s, p, o]) = self.ids(triple) else {
            return false;
        };
        if !self.spo.remove(&[s, p, o]) {
            return false;
        }
        self.pos.remove(&[p, o, s]);
        self.osp.remove(&[o, s, p]);
        true
    }

    /// Serialises the document like [`crate::serialize`] does a graph.
    pub fn serialize(&self, format: RdfFormat, base_iri: &str) -> Result<Vec<u8>, RdfError> {
        if self.iter().all(triple_labels_are_safe) {
            serialize_sorted(self.iter().collect(), format, base_iri)
        } else {
            // Blank node labels Turtle cannot write (from N-Triples): the
            // graph path renames them. Rare, and small documents.
            let graph: Graph = self.iter().collect();
            serialize(&graph, format, base_iri)
        }
    }

    fn intern(&mut self, term: TermRef<'_>) -> u32 {
        if let Some(id) = self.id(term) {
            return id;
        }
        let (index, _) = self.terms.insert_full(Key(term.into_owned()));
        // More than 4 billion distinct terms cannot be reached under the
        // body and document limits; saturate rather than wrap.
        u32::try_from(index).unwrap_or(u32::MAX)
    }

    fn id(&self, term: TermRef<'_>) -> Option<u32> {
        self.terms
            .get_index_of(&KeyRef(term))
            .and_then(|i| u32::try_from(i).ok())
    }

    fn ids(&self, triple: TripleRef<'_>) -> Option<[u32; 3]> {
        Some([
            self.id(triple.subject.into())?,
            self.id(triple.predicate.into())?,
            self.id(triple.object)?,
        ])
    }

    fn term(&self, id: u32) -> Option<TermRef<'_>> {
        self.terms.get_index(id as usize).map(|key| key.0.as_ref())
    }

    fn triple(&self, [s, p, o]: [u32; 3]) -> Option<TripleRef<'_>> {
        let subject = match self.term(s)? {
            TermRef::NamedNode(n) => NamedOrBlankNodeRef::NamedNode(n),
            TermRef::BlankNode(b) => NamedOrBlankNodeRef::BlankNode(b),
            _ => return None,
        };
        let TermRef::NamedNode(predicate) = self.term(p)? else {
            return None;
        };
        Some(TripleRef::new(subject, predicate, self.term(o)?))
    }
}

/// The entries of `index` whose first number is `first`.
fn range(index: &BTreeSet<[u32; 3]>, first: u32) -> impl Iterator<Item = [u32; 3]> + '_ {
    index
        .range([first, 0, 0]..=[first, u32::MAX, u32::MAX])
        .copied()
}

impl TripleStore for Document {
    fn matching<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'a>>,
        predicate: Option<NamedNodeRef<'a>>,
        object: Option<TermRef<'a>>,
    ) -> Candidates<'a> {
        let none = || -> Candidates<'a> { Box::new(std::iter::empty()) };
        if let Some(subject) = subject {
            let Some(s) = self.id(subject.into()) else {
                return none();
            };
            Box::new(range(&self.spo, s).filter_map(move |ids| self.triple(ids)))
        } else if let Some(object) = object {
            let Some(o) = self.id(object) else {
                return none();
            };
            Box::new(range(&self.osp, o).filter_map(move |[o, s, p]| self.triple([s, p, o])))
        } else if let Some(predicate) = predicate {
            let Some(p) = self.id(predicate.into()) else {
                return none();
            };
            Box::new(range(&self.pos, p).filter_map(move |[p, o, s]| self.triple([s, p, o])))
        } else {
            Box::new(self.iter())
        }
    }

    fn has(&self, triple: TripleRef<'_>) -> bool {
        self.contains(triple)
    }

    fn add(&mut self, triple: TripleRef<'_>) -> bool {
        self.insert(triple)
    }

    fn delete(&mut self, triple: TripleRef<'_>) -> bool {
        self.remove(triple)
    }

    fn size(&self) -> usize {
        self.len()
    }
}

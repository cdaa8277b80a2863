//! N3 Patch, as defined by the Solid Protocol (version 0.11, section
//! "Modifying Resources Using N3 Patches").
//!
//! A patch document holds exactly one patch resource:
//!
//! ```n3
//! @prefix solid: <http://www.w3.org/ns/solid/terms#>.
//! _:rename a solid:InsertDeletePatch;
//!   solid:where   { ?person <#name> "Alice". };
//!   solid:deletes { ?person <#name> "Alice". };
//!   solid:inserts { ?person <#name> "Alicia". }.
//! ```
//!
//! Structural rules (breaking any is a 422, [`PatchError::Invalid`]):
//! one patch resource, identified by a URI or blank node, typed
//! `solid:InsertDeletePatch`; at most one `solid:where`, `solid:inserts` and
//! `solid:deletes` each; their objects are non-nested cited formulae holding
//! only triples and triple patterns; inserts and deletes use no variable
//! absent from `where` and no blank node.
//!
//! Processing: a non-empty `where` must have exactly one solution (else 409,
//! [`PatchError::Conflict`]); the solution is applied to deletes and
//! inserts; every delete must be present (else 409); deletes are removed,
//! then inserts added.

use super::{Applied, PatchModes};
use crate::bgp::{
    self, PatternTerm, Template, TemplateTerm, TriplePattern, TripleStore, Variables,
};
use crate::budget::Budget;
use crate::codec::turtle_syntax_error;
use crate::error::PatchError;
use oxrdf::vocab::rdf;
use oxrdf::{BlankNode, GraphName, Term, Triple};
use oxttl::N3Parser;
use oxttl::n3::{N3Quad, N3Term};
use std::collections::{HashMap, HashSet};

const SOLID: &str = "http://www.w3.org/ns/solid/terms#";
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed and validated N3 Patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct N3Patch {
    variables: Variables,
    conditions: Vec<TriplePattern>,
    deletes: Vec<Template>,
    inserts: Vec<Template>,
}

/// Which clause a formula belongs to, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Where,
    Inserts,
    Deletes,
}

impl Clause {
    const ALL: [Clause; 3] = [Clause::Where, Clause::Inserts, Clause::Deletes];

    fn local_name(self) -> &'static str {
        match self {
            Self::Where => "where",
            Self::Inserts => "inserts",
            Self::Deletes => "deletes",
        }
    }

    fn iri(self) -> String {
        format!("{SOLID}{}", self.local_name())
    }
}

fn invalid(message: impl Into<String>) -> PatchError {
    PatchError::Invalid(message.into())
}

impl N3Patch {
    /// Parses and validates an N3 Patch document.
    pub fn parse(body: &[u8], base_iri: &str, budget: &mut Budget) -> Result<Self, PatchError> {
        let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
        let parser = N3Parser::new()
            .with_base_iri(base_iri)
            .map_err(|e| PatchError::BaseIri {
                base_iri: base_iri.to_owned(),
                message: e.to_string(),
            })?;
        let mut top_level: Vec<N3Quad> = Vec::new();
        let mut formulae: HashMap<BlankNode, Vec<N3Quad>> = HashMap::new();
        for quad in parser.for_slice(body) {
            let quad = quad.map_err(|e| PatchError::from(turtle_syntax_error(&e)))?;
            budget.charge_parsed(1)?;
            match &quad.graph_name {
                GraphName::DefaultGraph => top_level.push(quad),
                GraphName::BlankNode(formula) => {
                    formulae.entry(formula.clone()).or_default().push(quad);
                }
                GraphName::NamedNode(_) => {
                    return Err(invalid("named graphs are not allowed in an N3 Patch"));
                }
            }
        }
        Self::from_quads(&top_level, &formulae)
    }

    fn from_quads(
        top_level: &[N3Quad],
        formulae: &HashMap<BlankNode, Vec<N3Quad>>,
    ) -> Result<Self, PatchError> {
        let type_iri = rdf::TYPE.as_str();
        let insert_delete_patch = format!("{SOLID}InsertDeletePatch");
        let is_iri =
            |term: &N3Term, iri: &str| matches!(term, N3Term::NamedNode(n) if n.as_str() == iri);

        // Patch resources are the subjects of the triple patterns the
        // Solid Protocol describes.
        let is_patch_triple = |quad: &N3Quad| {
            (is_iri(&quad.predicate, type_iri) && is_iri(&quad.object, &insert_delete_patch))
                || Clause::ALL
                    .iter()
                    .any(|clause| is_iri(&quad.predicate, &clause.iri()))
        };
        let mut patches: Vec<&N3Term> = Vec::new();
        for quad in top_level.iter().filter(|q| is_patch_triple(q)) {
            if !patches.contains(&&quad.subject) {
                patches.push(&quad.subject);
            }
        }
        let patch = match patches.as_slice() {
            [] => {
                return Err(invalid(
                    "the document contains no patch resource; it needs a triple `?patch a solid:InsertDeletePatch`",
                ));
            }
            [patch] => *patch,
            _ => {
                return Err(invalid(format!(
                    "the document must contain exactly one patch resource, but it contains {}",
                    patches.len()
                )));
            }
        };
        if !matches!(patch, N3Term::NamedNode(_) | N3Term::BlankNode(_)) {
            return Err(invalid(format!(
                "a patch resource must be identified by a URI or a blank node, not {patch}"
            )));
        }
        let typed = top_level.iter().any(|q| {
            &q.subject == patch
                && is_iri(&q.predicate, type_iri)
                && is_iri(&q.object, &insert_delete_patch)
        });
        if !typed {
            return Err(invalid(
                "the patch resource must have the type solid:InsertDeletePatch",
            ));
        }

        // The formula of each clause: at most one, a non-nested cited formula.
        let subjects: HashSet<&N3Term> = top_level.iter().map(|q| &q.subject).collect();
        let mut clause_quads: HashMap<&'static str, &[N3Quad]> = HashMap::new();
        for clause in Clause::ALL {
            let iri = clause.iri();
            let mut objects: Vec<&N3Term> = Vec::new();
            for quad in top_level
                .iter()
                .filter(|q| &q.subject == patch && is_iri(&q.predicate, &iri))
            {
                if !objects.contains(&&quad.object) {
                    objects.push(&quad.object);
                }
            }
            let formula = match objects.as_slice() {
                [] => continue,
                [formula] => *formula,
                _ => {
                    return Err(invalid(format!(
                        "the patch resource has {} solid:{} triples; at most one is allowed",
                        objects.len(),
                        clause.local_name()
                    )));
                }
            };
            let N3Term::BlankNode(formula) = formula else {
                return Err(invalid(format!(
                    "the object of solid:{} must be a formula in braces {{ … }}, not {formula}",
                    clause.local_name()
                )));
            };
            let quads = match formulae.get(formula) {
                Some(quads) => quads.as_slice(),
                None if subjects.contains(&N3Term::BlankNode(formula.clone())) => {
                    return Err(invalid(format!(
                        "the object of solid:{} must be a formula in braces {{ … }}, not a blank node",
                        clause.local_name()
                    )));
                }
                None => &[],
            };
            for quad in quads {
                for term in [&quad.subject, &quad.predicate, &quad.object] {
                    if let N3Term::BlankNode(b) = term
                        && formulae.contains_key(b)
                    {
                        return Err(invalid(format!(
                            "the solid:{} formula must not contain nested formulae",
                            clause.local_name()
                        )));
                    }
                }
            }
            clause_quads.insert(clause.local_name(), quads);
        }

        let mut variables = Variables::default();
        let conditions = clause_quads
            .get(Clause::Where.local_name())
            .copied()
            .unwrap_or_default()
            .iter()
            .map(|quad| TriplePattern {
                subject: pattern_term(&quad.subject, &mut variables),
                predicate: pattern_term(&quad.predicate, &mut variables),
                object: pattern_term(&quad.object, &mut variables),
            })
            .collect::<Vec<_>>();
        let templates = |clause: Clause| -> Result<Vec<Template>, PatchError> {
            clause_quads
                .get(clause.local_name())
                .copied()
                .unwrap_or_default()
                .iter()
                .map(|quad| template(quad, clause, &variables))
                .collect()
        };
        let deletes = templates(Clause::Deletes)?;
        let inserts = templates(Clause::Inserts)?;
        Ok(Self {
            variables,
            conditions,
            deletes,
            inserts,
        })
    }

    /// True when the patch neither inserts nor deletes anything.
    pub fn is_noop(&self) -> bool {
        self.deletes.is_empty() && self.inserts.is_empty()
    }

    /// True when the patch has no deletions.
    pub fn is_insert_only(&self) -> bool {
        self.deletes.is_empty()
    }

    /// Access modes: Read for conditions or deletions, Append for
    /// insertions, Write for deletions.
    pub fn required_modes(&self) -> PatchModes {
        PatchModes {
            read: !self.conditions.is_empty() || !self.deletes.is_empty(),
            append: !self.inserts.is_empty(),
            write: !self.deletes.is_empty(),
        }
    }

    /// Applies the patch; on error `graph` is unchanged.
    pub(crate) fn apply<G: TripleStore>(
        &self,
        graph: &mut G,
        budget: &mut Budget,
    ) -> Result<Applied, PatchError> {
        let solution = if self.conditions.is_empty() {
            vec![None; self.variables.len()]
        } else {
            let mut solutions = bgp::solve(&self.conditions, &self.variables, graph, 2, 1, budget)?;
            match solutions.len() {
                0 => {
                    return Err(PatchError::Conflict(
                        "the solid:where clause matches nothing in the resource".to_owned(),
                    ));
                }
                1 => solutions.pop().unwrap_or_default(),
                _ => {
                    return Err(PatchError::Conflict(
                        "the solid:where clause matches the resource in more than one way; it must match exactly once".to_owned(),
                    ));
                }
            }
        };
        let mut fresh = HashMap::new();
        let (deletes, invalid_deletes) = bgp::instantiate(&self.deletes, &solution, &mut fresh);
        let (inserts, invalid_inserts) = bgp::instantiate(&self.inserts, &solution, &mut fresh);
        if let Some(triple) = invalid_deletes.first().or(invalid_inserts.first()) {
            return Err(PatchError::Conflict(format!(
                "with the bindings of solid:where, the pattern {triple} is not a valid RDF triple"
            )));
        }
        if let Some(missing) = deletes.iter().find(|t| !graph.has(t.as_ref())) {
            return Err(PatchError::Conflict(format!(
                "the triple to delete {missing} is not in the resource"
            )));
        }
        budget.charge_produced((deletes.len() + inserts.len()) as u64)?;
        let before = graph.size() as u64;
        let removed: Vec<&Triple> = deletes
            .iter()
            .filter(|t| graph.delete(t.as_ref()))
            .collect();
        let added: Vec<&Triple> = inserts.iter().filter(|t| graph.add(t.as_ref())).collect();
        if let Err(e) = budget.check_document(before, graph.size() as u64) {
            for triple in added {
                graph.delete(triple.as_ref());
            }
            for triple in removed {
                graph.add(triple.as_ref());
            }
            return Err(e.into());
        }
        let changed = !removed.is_empty() || !added.is_empty();
        Ok(if changed {
            Applied::Changed
        } else {
            Applied::Unchanged
        })
    }
}

/// A `where` term: variables and blank nodes (existential) become variables.
fn pattern_term(term: &N3Term, variables: &mut Variables) -> PatternTerm {
    match term {
        N3Term::Variable(v) => PatternTerm::Var(variables.named(v.as_str())),
        N3Term::BlankNode(b) => PatternTerm::Var(variables.anonymous(b.as_str())),
        N3Term::NamedNode(n) => PatternTerm::Term(n.clone().into()),
        N3Term::Literal(l) => PatternTerm::Term(l.clone().into()),
        #[allow(unreachable_patterns)]
        _ => PatternTerm::Term(Term::Literal(oxrdf::Literal::from(term.to_string()))),
    }
}

/// An inserts/deletes triple, checked against the Solid Protocol rules.
fn template(quad: &N3Quad, clause: Clause, variables: &Variables) -> Result<Template, PatchError> {
    let name = clause.local_name();
    let term = |term: &N3Term| -> Result<TemplateTerm, PatchError> {
        match term {
            N3Term::Variable(v) => variables
                .get_named(v.as_str())
                .map(TemplateTerm::Var)
                .ok_or_else(|| {
                    invalid(format!(
                        "the variable {v} in solid:{name} does not occur in solid:where"
                    ))
                }),
            N3Term::BlankNode(_) => Err(invalid(format!(
                "the solid:{name} formula must not contain blank nodes"
            ))),
            N3Term::NamedNode(n) => Ok(TemplateTerm::Term(n.clone().into())),
            N3Term::Literal(l) => Ok(TemplateTerm::Term(l.clone().into())),
            #[allow(unreachable_patterns)]
            _ => Err(invalid(format!(
                "the solid:{name} formula holds a term that is not allowed: {term}"
            ))),
        }
    };
    let template = Template {
        subject: term(&quad.subject)?,
        predicate: term(&quad.predicate)?,
        object: term(&quad.object)?,
    };
    if matches!(&template.subject, TemplateTerm::Term(Term::Literal(_))) {
        return Err(invalid(format!(
            "the solid:{name} triple {quad} has a literal as subject"
        )));
    }
    if matches!(&template.predicate, TemplateTerm::Term(t) if !matches!(t, Term::NamedNode(_))) {
        return Err(invalid(format!(
            "the solid:{name} triple {quad} has a predicate that is not an IRI"
        )));
    }
    debug_assert!(!template.has_blank_node());
    Ok(template)
}

//! A small basic-graph-pattern matcher shared by N3 Patch and SPARQL Update.
//!
//! Patterns are triples whose positions are either fixed RDF terms or
//! variables. [`solve`] finds the variable bindings under which every pattern
//! is a triple of the graph, by a backtracking join that visits patterns in
//! an order chosen so that each step has as many positions bound as
//! possible, and looks candidates up through the graph's indexes. The search
//! is lazy and uses an explicit stack (no recursion): it holds one candidate
//! iterator per pattern, never a list of candidates, and charges every
//! candidate it examines and every solution it keeps to the request's
//! [`Budget`], so a hostile pattern (a cross product, say) stops with an
//! error as soon as the budget is spent, not after it was materialised.
//!
//! [`Template`]s turn solutions back into triples; blank nodes in a template
//! become fresh blank nodes for each solution.

use crate::budget::Budget;
use crate::error::PatchError;
use oxrdf::{
    BlankNode, Graph, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, Triple,
    TripleRef,
};
use std::collections::{HashMap, HashSet};

/// One position of a triple pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum PatternTerm {
    /// A fixed RDF term.
    Term(Term),
    /// A variable, by index into the solution vector.
    Var(usize),
}

/// A triple pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct TriplePattern {
    pub(crate) subject: PatternTerm,
    pub(crate) predicate: PatternTerm,
    pub(crate) object: PatternTerm,
}

impl TriplePattern {
    fn positions(&self) -> [&PatternTerm; 3] {
        [&self.subject, &self.predicate, &self.object]
    }
}

/// Variable names, interned to indexes. Anonymous variables (blank nodes in a
/// `where` clause) are interned too but are not *distinguished*: solutions
/// differing only on them count as one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Variables {
    distinguished: Vec<bool>,
    index: HashMap<(bool, String), usize>,
}

impl Variables {
    /// The index of the named variable `name`, added if new.
    pub(crate) fn named(&mut self, name: &str) -> usize {
        self.intern(name, true)
    }

    /// The index of the anonymous variable standing for blank node `label`.
    pub(crate) fn anonymous(&mut self, label: &str) -> usize {
        self.intern(label, false)
    }

    /// The index of the named variable `name`, if known.
    pub(crate) fn get_named(&self, name: &str) -> Option<usize> {
        self.index.get(&(true, name.to_owned())).copied()
    }

    fn intern(&mut self, name: &str, distinguished: bool) -> usize {
        let key = (distinguished, name.to_owned());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        let i = self.distinguished.len();
        self.distinguished.push(distinguished);
        self.index.insert(key, i);
        i
    }

    pub(crate) fn len(&self) -> usize {
        self.distinguished.len()
    }
}

/// A solution: one optional term per variable index.
pub(crate) type Solution = Vec<Option<Term>>;

/// A partial solution during the search, borrowing terms from the graph
/// and the patterns so that extending it allocates nothing but the vector.
type Partial<'a> = Vec<Option<TermRef<'a>>>;

/// The candidates of one pattern, examined one at a time.
pub(crate) type Candidates<'a> = Box<dyn Iterator<Item = TripleRef<'a>> + 'a>;

/// What matching and patching need of a graph: `oxrdf::Graph`, and the
/// compact [`crate::Document`].
pub(crate) trait TripleStore {
    /// The triples that may match the given positions, from the most
    /// selective index (the caller checks every position).
    fn matching<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'a>>,
        predicate: Option<NamedNodeRef<'a>>,
        object: Option<TermRef<'a>>,
    ) -> Candidates<'a>;
    fn has(&self, triple: TripleRef<'_>) -> bool;
    fn add(&mut self, triple: TripleRef<'_>) -> bool;
    fn delete(&mut self, triple: TripleRef<'_>) -> bool;
    fn size(&self) -> usize;
}

impl TripleStore for Graph {
    fn matching<'a>(
        &'a self,
        subject: Option<NamedOrBlankNodeRef<'a>>,
        predicate: Option<NamedNodeRef<'a>>,
        object: Option<TermRef<'a>>,
    ) -> Candidates<'a> {
        if let Some(subject) = subject {
            Box::new(self.triples_for_subject(subject))
        } else if let Some(object) = object {
            Box::new(self.triples_for_object(object))
        } else if let Some(predicate) = predicate {
            Box::new(self.triples_for_predicate(predicate))
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

/// Finds the solutions of `patterns` over `graph`, up to `limit` distinct
/// solutions (distinct on distinguished variables; anonymous ones are
/// cleared). An empty pattern list has exactly one, empty, solution.
///
/// Each candidate triple examined costs one step of `budget`; each distinct
/// solution costs `cost_per_solution` produced triples (the number of
/// template triples the caller will instantiate from it).
pub(crate) fn solve<G: TripleStore>(
    patterns: &[TriplePattern],
    variables: &Variables,
    graph: &G,
    limit: usize,
    cost_per_solution: u64,
    budget: &mut Budget,
) -> Result<Vec<Solution>, PatchError> {
    let order = join_order(patterns, variables.len());
    let mut solutions: Vec<Partial<'_>> = Vec::new();
    let mut seen = HashSet::new();
    let empty: Partial<'_> = vec![None; variables.len()];
    let Some(&first) = order.first() else {
        budget.charge_produced(cost_per_solution)?;
        return Ok(vec![vec![None; variables.len()]]);
    };

    // Explicit DFS stack: for each depth, the partial solution it extends
    // and the candidate triples of its pattern still to examine.
    let mut stack: Vec<(Partial<'_>, Candidates<'_>)> =
        vec![(empty.clone(), candidates(graph, &patterns[first], &empty))];
    while let Some(depth) = stack.len().checked_sub(1) {
        let (current, frame) = &mut stack[depth];
        let Some(triple) = frame.next() else {
            stack.pop();
            continue;
        };
        budget.charge_steps(1)?;
        let pattern = &patterns[order[depth]];
        let Some(mut extended) = extend(pattern, current, triple) else {
            continue;
        };
        if let Some(&next) = order.get(depth + 1) {
            let next_candidates = candidates(graph, &patterns[next], &extended);
            stack.push((extended, next_candidates));
            continue;
        }
        for (i, value) in extended.iter_mut().enumerate() {
            if !variables.distinguished[i] {
                *value = None;
            }
        }
        if seen.insert(extended.clone()) {
            budget.charge_produced(cost_per_solution)?;
            solutions.push(extended);
            if solutions.len() >= limit {
                break;
            }
        }
    }
    Ok(solutions
        .into_iter()
        .map(|s| s.into_iter().map(|t| t.map(TermRef::into_owned)).collect())
        .collect())
}

/// Greedy static join order: at each step pick the pattern with the most
/// positions bound (by a constant or an already bound variable), preferring
/// a bound subject, then a bound object.
fn join_order(patterns: &[TriplePattern], variable_count: usize) -> Vec<usize> {
    let mut bound = vec![false; variable_count];
    let mut remaining: Vec<usize> = (0..patterns.len()).collect();
    let mut order = Vec::with_capacity(patterns.len());
    while !remaining.is_empty() {
        let score = |p: &TriplePattern| {
            let is_bound = |t: &PatternTerm| match t {
                PatternTerm::Term(_) => true,
                PatternTerm::Var(v) => bound[*v],
            };
            u32::from(is_bound(&p.subject)) * 4
                + u32::from(is_bound(&p.object)) * 3
                + u32::from(is_bound(&p.predicate)) * 2
        };
        let (pos, _) = remaining
            .iter()
            .enumerate()
            .max_by_key(|(pos, i)| (score(&patterns[**i]), std::cmp::Reverse(*pos)))
            .unwrap_or((0, &0));
        let chosen = remaining.remove(pos);
        for t in patterns[chosen].positions() {
            if let PatternTerm::Var(v) = t {
                bound[*v] = true;
            }
        }
        order.push(chosen);
    }
    order
}

/// The term at a position given the current partial solution.
fn resolve<'a>(term: &'a PatternTerm, solution: &Partial<'a>) -> Option<TermRef<'a>> {
    match term {
        PatternTerm::Term(t) => Some(t.as_ref()),
        PatternTerm::Var(v) => solution[*v],
    }
}

/// The triples of `graph` that may match `pattern` under `solution`, from
/// the most selective index available.
fn candidates<'a, G: TripleStore>(
    graph: &'a G,
    pattern: &'a TriplePattern,
    solution: &Partial<'a>,
) -> Candidates<'a> {
    let none = || -> Candidates<'a> { Box::new(std::iter::empty()) };
    let subject = match resolve(&pattern.subject, solution) {
        Some(TermRef::NamedNode(n)) => Some(NamedOrBlankNodeRef::NamedNode(n)),
        Some(TermRef::BlankNode(b)) => Some(NamedOrBlankNodeRef::BlankNode(b)),
        Some(_) => return none(), // A literal never is a subject.
        None => None,
    };
    let predicate = match resolve(&pattern.predicate, solution) {
        Some(TermRef::NamedNode(n)) => Some(n),
        Some(_) => return none(),
        None => None,
    };
    let object = resolve(&pattern.object, solution);
    graph.matching(subject, predicate, object)
}

/// `solution` extended so that `pattern` matches `triple`, if possible.
fn extend<'a>(
    pattern: &'a TriplePattern,
    solution: &Partial<'a>,
    triple: TripleRef<'a>,
) -> Option<Partial<'a>> {
    let mut extended = solution.clone();
    let values = [
        TermRef::from(triple.subject),
        TermRef::from(triple.predicate),
        triple.object,
    ];
    for (position, value) in pattern.positions().into_iter().zip(values) {
        match position {
            PatternTerm::Term(t) => {
                if t.as_ref() != value {
                    return None;
                }
            }
            PatternTerm::Var(v) => match extended[*v] {
                Some(bound) if bound != value => return None,
                Some(_) => {}
                None => extended[*v] = Some(value),
            },
        }
    }
    Some(extended)
}

/// One position of a template triple.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum TemplateTerm {
    /// A fixed RDF term (never a blank node).
    Term(Term),
    /// A variable bound by the pattern.
    Var(usize),
    /// A blank node, replaced by a fresh blank node for each solution.
    BlankNode(String),
}

/// A triple template, instantiated once per solution.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Template {
    pub(crate) subject: TemplateTerm,
    pub(crate) predicate: TemplateTerm,
    pub(crate) object: TemplateTerm,
}

impl Template {
    /// Whether a position of the template is a blank node.
    pub(crate) fn has_blank_node(&self) -> bool {
        [&self.subject, &self.predicate, &self.object]
            .into_iter()
            .any(|t| matches!(t, TemplateTerm::BlankNode(_)))
    }
}

/// Instantiates `templates` for `solution`. Blank nodes are looked up in (or
/// added to) `fresh`, which the caller renews for each solution. Triples that
/// would not be valid RDF (a literal subject, an unbound variable...) are
/// returned in the `Err` list as their textual form instead.
pub(crate) fn instantiate(
    templates: &[Template],
    solution: &Solution,
    fresh: &mut HashMap<String, BlankNode>,
) -> (Vec<Triple>, Vec<String>) {
    let mut triples = Vec::with_capacity(templates.len());
    let mut invalid = Vec::new();
    for template in templates {
        let mut term = |t: &TemplateTerm| -> Option<Term> {
            match t {
                TemplateTerm::Term(t) => Some(t.clone()),
                TemplateTerm::Var(v) => solution.get(*v).cloned().flatten(),
                TemplateTerm::BlankNode(label) => {
                    Some(fresh.entry(label.clone()).or_default().clone().into())
                }
            }
        };
        let (s, p, o) = (
            term(&template.subject),
            term(&template.predicate),
            term(&template.object),
        );
        match (s, p, o) {
            (Some(Term::NamedNode(s)), Some(Term::NamedNode(p)), Some(o)) => {
                triples.push(Triple::new(NamedOrBlankNode::from(s), p, o));
            }
            (Some(Term::BlankNode(s)), Some(Term::NamedNode(p)), Some(o)) => {
                triples.push(Triple::new(NamedOrBlankNode::from(s), p, o));
            }
            (s, p, o) => {
                let show =
                    |t: Option<Term>| t.map_or_else(|| "(unbound)".to_owned(), |t| t.to_string());
                invalid.push(format!("{} {} {}", show(s), show(p), show(o)));
            }
        }
    }
    (triples, invalid)
}

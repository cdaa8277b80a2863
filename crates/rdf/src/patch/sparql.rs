//! SPARQL 1.1 Update, restricted to what a single resource needs.
//!
//! Supported: `INSERT DATA`, `DELETE DATA`, `DELETE … INSERT … WHERE`
//! (either template may be absent) and `DELETE WHERE`, on the default graph,
//! with `WHERE` made of basic graph patterns (and groups of them). Several
//! operations separated by `;` apply in order, all or nothing.
//!
//! Deliberate difference from SPARQL 1.1: `DELETE DATA` of a triple that is
//! not in the resource fails with [`PatchError::Conflict`] (HTTP 409)
//! instead of silently doing nothing, so that a client working from a stale
//! copy notices the lost update. `DELETE … WHERE` keeps the standard
//! semantics: a `WHERE` without solutions changes nothing and succeeds.

use super::{Applied, PatchModes};
use crate::bgp::{
    self, PatternTerm, Template, TemplateTerm, TriplePattern, TripleStore, Variables,
};
use crate::budget::Budget;
use crate::error::PatchError;
use crate::guard::{self, Lexical};
use oxrdf::{Term, Triple};
use spargebra::algebra::GraphPattern;
use spargebra::term::{
    GraphName, GraphNamePattern, GroundTerm, GroundTermPattern, NamedNodePattern, TermPattern,
};
use spargebra::{GraphUpdateOperation, SparqlParser};
use std::collections::HashMap;

/// Deepest bracket nesting accepted in a SPARQL Update body. The SPARQL
/// parser is recursive, so deeper bodies are refused before parsing.
pub const MAX_SPARQL_DEPTH: usize = 64;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A parsed SPARQL Update: its operations, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SparqlUpdate {
    operations: Vec<SparqlOperation>,
}

/// One supported SPARQL Update operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SparqlOperation {
    /// `INSERT DATA { … }`; blank nodes become fresh blank nodes.
    InsertData(Vec<InsertDataTriples>),
    /// `DELETE DATA { … }`; every triple must be present.
    DeleteData(Vec<Triple>),
    /// `DELETE { … } INSERT { … } WHERE { … }` and `DELETE WHERE { … }`.
    Modify(Modify),
}

/// The (opaque) template of an `INSERT DATA` operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertDataTriples(Template);

/// The (opaque) body of a `DELETE/INSERT … WHERE` operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modify {
    variables: Variables,
    pattern: Vec<TriplePattern>,
    delete: Vec<Template>,
    insert: Vec<Template>,
}

fn unsupported(feature: &str) -> PatchError {
    PatchError::Unsupported(format!(
        "{feature} is not supported in SPARQL Update patches"
    ))
}

impl SparqlUpdate {
    /// Parses a SPARQL Update document and checks it only uses supported
    /// features.
    pub fn parse(body: &[u8], base_iri: &str, budget: &mut Budget) -> Result<Self, PatchError> {
        let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
        let text = std::str::from_utf8(body).map_err(|e| {
            let (line, column) = guard::position_of(body, e.valid_up_to());
            PatchError::syntax(line, column, "the body is not valid UTF-8")
        })?;
        if let Some((feature, line, column)) = guard::sparql_unsupported(body) {
            return Err(PatchError::Unsupported(format!(
                "{feature} (line {line}, column {column}) is not supported in SPARQL Update patches"
            )));
        }
        if let Some((line, column)) = guard::too_deep(body, Lexical::TurtleLike, MAX_SPARQL_DEPTH) {
            return Err(PatchError::syntax(
                line,
                column,
                format!("brackets nested deeper than {MAX_SPARQL_DEPTH} levels are not accepted"),
            ));
        }
        let parser =
            SparqlParser::new()
                .with_base_iri(base_iri)
                .map_err(|e| PatchError::BaseIri {
                    base_iri: base_iri.to_owned(),
                    message: e.to_string(),
                })?;
        let update = parser.parse_update(text).map_err(|e| syntax_error(&e))?;
        budget.charge_operations(update.operations.len() as u64)?;
        for operation in &update.operations {
            let triples = match operation {
                GraphUpdateOperation::InsertData { data } => data.len(),
                GraphUpdateOperation::DeleteData { data } => data.len(),
                GraphUpdateOperation::DeleteInsert { delete, insert, .. } => {
                    delete.len() + insert.len()
                }
                _ => 0,
            };
            budget.charge_parsed(triples as u64)?;
        }
        let operations = update
            .operations
            .iter()
            .map(convert_operation)
            .collect::<Result<_, _>>()?;
        Ok(Self { operations })
    }

    /// The operations, in order.
    pub fn operations(&self) -> &[SparqlOperation] {
        &self.operations
    }

    /// True when no operation inserts or deletes anything (no operation at
    /// all, `INSERT DATA {}`, `DELETE WHERE` with an empty template...).
    pub fn is_noop(&self) -> bool {
        self.operations.iter().all(|op| match op {
            SparqlOperation::InsertData(data) => data.is_empty(),
            SparqlOperation::DeleteData(data) => data.is_empty(),
            SparqlOperation::Modify(m) => m.delete.is_empty() && m.insert.is_empty(),
        })
    }

    /// True when no operation deletes anything.
    pub fn is_insert_only(&self) -> bool {
        self.operations.iter().all(|op| match op {
            SparqlOperation::InsertData(_) => true,
            SparqlOperation::DeleteData(_) => false,
            SparqlOperation::Modify(m) => m.delete.is_empty(),
        })
    }

    /// Access modes needed by all operations together.
    pub fn required_modes(&self) -> PatchModes {
        let mut modes = PatchModes::default();
        for op in &self.operations {
            match op {
                SparqlOperation::InsertData(data) => modes.append |= !data.is_empty(),
                SparqlOperation::DeleteData(data) => {
                    modes.read |= !data.is_empty();
                    modes.write |= !data.is_empty();
                }
                SparqlOperation::Modify(m) => {
                    modes.read |= !m.pattern.is_empty() || !m.delete.is_empty();
                    modes.append |= !m.insert.is_empty();
                    modes.write |= !m.delete.is_empty();
                }
            }
        }
        modes
    }

    /// Applies every operation in order to `graph`; if one fails, undoes
    /// what the previous ones did, so that `graph` is left as it was. A
    /// patch that can change nothing is not applied at all.
    pub(crate) fn apply<G: TripleStore>(
        &self,
        graph: &mut G,
        budget: &mut Budget,
    ) -> Result<Applied, PatchError> {
        if self.is_noop() {
            return Ok(Applied::Unchanged);
        }
        let before = graph.size() as u64;
        let mut log = Vec::new();
        for op in &self.operations {
            let result = apply_operation(op, graph, budget, &mut log).and_then(|()| {
                budget
                    .check_document(before, graph.size() as u64)
                    .map_err(PatchError::from)
            });
            if let Err(e) = result {
                for change in log.into_iter().rev() {
                    match change {
                        Change::Inserted(triple) => graph.delete(triple.as_ref()),
                        Change::Removed(triple) => graph.add(triple.as_ref()),
                    };
                }
                return Err(e);
            }
        }
        Ok(if log.is_empty() {
            Applied::Unchanged
        } else {
            Applied::Changed
        })
    }
}

/// A change made to the graph, kept to undo it if a later operation fails.
enum Change {
    Inserted(Triple),
    Removed(Triple),
}

fn insert<G: TripleStore>(graph: &mut G, triple: Triple, log: &mut Vec<Change>) {
    if graph.add(triple.as_ref()) {
        log.push(Change::Inserted(triple));
    }
}

fn remove<G: TripleStore>(graph: &mut G, triple: Triple, log: &mut Vec<Change>) {
    if graph.delete(triple.as_ref()) {
        log.push(Change::Removed(triple));
    }
}

/// Applies one operation, logging every triple it adds or removes.
fn apply_operation<G: TripleStore>(
    op: &SparqlOperation,
    graph: &mut G,
    budget: &mut Budget,
    log: &mut Vec<Change>,
) -> Result<(), PatchError> {
    match op {
        SparqlOperation::InsertData(data) => {
            let templates: Vec<Template> = data.iter().map(|d| d.0.clone()).collect();
            let (triples, _) = bgp::instantiate(&templates, &Vec::new(), &mut HashMap::new());
            for triple in triples {
                insert(graph, triple, log);
            }
        }
        SparqlOperation::DeleteData(data) => {
            if let Some(missing) = data.iter().find(|t| !graph.has(t.as_ref())) {
                return Err(PatchError::Conflict(format!(
                    "DELETE DATA: the triple {missing} is not in the resource"
                )));
            }
            for triple in data {
                remove(graph, triple.clone(), log);
            }
        }
        SparqlOperation::Modify(m) => {
            let templates = (m.delete.len() + m.insert.len()).max(1) as u64;
            let solutions = bgp::solve(
                &m.pattern,
                &m.variables,
                graph,
                usize::MAX,
                templates,
                budget,
            )?;
            let mut deletes = Vec::new();
            let mut inserts = Vec::new();
            for solution in &solutions {
                // Invalid instantiations (e.g. a literal subject) are skipped,
                // as SPARQL 1.1 Update specifies.
                deletes.extend(bgp::instantiate(&m.delete, solution, &mut HashMap::new()).0);
                inserts.extend(bgp::instantiate(&m.insert, solution, &mut HashMap::new()).0);
            }
            drop(solutions);
            for triple in deletes {
                remove(graph, triple, log);
            }
            for triple in inserts {
                insert(graph, triple, log);
            }
        }
    }
    Ok(())
}

/// Extracts the position from spargebra's message (`error at 3:7: expected …`).
fn syntax_error(error: &spargebra::SparqlSyntaxError) -> PatchError {
    let message = error.to_string();
    let parsed = message.strip_prefix("error at ").and_then(|rest| {
        let (position, detail) = rest.split_once(": ")?;
        let (line, column) = position.split_once(':')?;
        Some((line.parse().ok()?, column.parse().ok()?, detail.to_owned()))
    });
    match parsed {
        Some((line, column, detail)) => PatchError::syntax(line, column, detail),
        None => PatchError::Invalid(message),
    }
}

fn convert_operation(op: &GraphUpdateOperation) -> Result<SparqlOperation, PatchError> {
    match op {
        GraphUpdateOperation::InsertData { data } => data
            .iter()
            .map(|quad| {
                if quad.graph_name != GraphName::DefaultGraph {
                    return Err(unsupported("GRAPH (named graphs) in INSERT DATA"));
                }
                let subject = match &quad.subject {
                    oxrdf::NamedOrBlankNode::BlankNode(b) => {
                        TemplateTerm::BlankNode(b.as_str().to_owned())
                    }
                    s => TemplateTerm::Term(s.clone().into()),
                };
                let object = match &quad.object {
                    Term::BlankNode(b) => TemplateTerm::BlankNode(b.as_str().to_owned()),
                    o => TemplateTerm::Term(o.clone()),
                };
                Ok(InsertDataTriples(Template {
                    subject,
                    predicate: TemplateTerm::Term(quad.predicate.clone().into()),
                    object,
                }))
            })
            .collect::<Result<_, _>>()
            .map(SparqlOperation::InsertData),
        GraphUpdateOperation::DeleteData { data } => data
            .iter()
            .map(|quad| {
                if quad.graph_name != GraphName::DefaultGraph {
                    return Err(unsupported("GRAPH (named graphs) in DELETE DATA"));
                }
                let object: Term = match &quad.object {
                    GroundTerm::NamedNode(n) => n.clone().into(),
                    GroundTerm::Literal(l) => l.clone().into(),
                    #[allow(unreachable_patterns)]
                    _ => return Err(unsupported("quoted triples")),
                };
                Ok(Triple::new(
                    quad.subject.clone(),
                    quad.predicate.clone(),
                    object,
                ))
            })
            .collect::<Result<_, _>>()
            .map(SparqlOperation::DeleteData),
        GraphUpdateOperation::DeleteInsert {
            delete,
            insert,
            using,
            pattern,
        } => {
            if using.is_some() {
                return Err(unsupported("USING, USING NAMED or WITH"));
            }
            let mut variables = Variables::default();
            let mut patterns = Vec::new();
            flatten_pattern(pattern, &mut variables, &mut patterns)?;
            let delete = delete
                .iter()
                .map(|quad| {
                    if quad.graph_name != GraphNamePattern::DefaultGraph {
                        return Err(unsupported("GRAPH (named graphs) in DELETE templates"));
                    }
                    Ok(Template {
                        subject: ground_template(&quad.subject, &variables)?,
                        predicate: predicate_template(&quad.predicate, &variables),
                        object: ground_template(&quad.object, &variables)?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            let insert = insert
                .iter()
                .map(|quad| {
                    if quad.graph_name != GraphNamePattern::DefaultGraph {
                        return Err(unsupported("GRAPH (named graphs) in INSERT templates"));
                    }
                    Ok(Template {
                        subject: term_template(&quad.subject, &variables)?,
                        predicate: predicate_template(&quad.predicate, &variables),
                        object: term_template(&quad.object, &variables)?,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok(SparqlOperation::Modify(Modify {
                variables,
                pattern: patterns,
                delete,
                insert,
            }))
        }
        GraphUpdateOperation::Load { .. } => Err(unsupported("LOAD")),
        GraphUpdateOperation::Clear { .. } => Err(unsupported("CLEAR")),
        GraphUpdateOperation::Create { .. } => Err(unsupported("CREATE")),
        GraphUpdateOperation::Drop { .. } => Err(unsupported("DROP (or ADD, MOVE, COPY)")),
    }
}

/// Flattens a `WHERE` made of basic graph patterns and joins of them into one
/// list of triple patterns. Iterative, so deep groups cannot overflow.
fn flatten_pattern(
    pattern: &GraphPattern,
    variables: &mut Variables,
    out: &mut Vec<TriplePattern>,
) -> Result<(), PatchError> {
    let mut todo = vec![pattern];
    while let Some(pattern) = todo.pop() {
        match pattern {
            GraphPattern::Bgp { patterns } => {
                for p in patterns {
                    out.push(TriplePattern {
                        subject: where_term(&p.subject, variables)?,
                        predicate: match &p.predicate {
                            NamedNodePattern::NamedNode(n) => PatternTerm::Term(n.clone().into()),
                            NamedNodePattern::Variable(v) => {
                                PatternTerm::Var(variables.named(v.as_str()))
                            }
                        },
                        object: where_term(&p.object, variables)?,
                    });
                }
            }
            GraphPattern::Join { left, right } => {
                todo.push(right);
                todo.push(left);
            }
            other => return Err(unsupported(feature_name(other))),
        }
    }
    Ok(())
}

fn feature_name(pattern: &GraphPattern) -> &'static str {
    match pattern {
        GraphPattern::Path { .. } => "a property path",
        GraphPattern::LeftJoin { .. } => "OPTIONAL",
        GraphPattern::Filter { .. } => "FILTER",
        GraphPattern::Union { .. } => "UNION",
        GraphPattern::Graph { .. } => "GRAPH (named graphs)",
        GraphPattern::Extend { .. } => "BIND",
        GraphPattern::Minus { .. } => "MINUS",
        GraphPattern::Values { .. } => "VALUES",
        GraphPattern::Service { .. } => "SERVICE",
        GraphPattern::Group { .. } => "aggregation (GROUP BY)",
        GraphPattern::OrderBy { .. }
        | GraphPattern::Project { .. }
        | GraphPattern::Distinct { .. }
        | GraphPattern::Reduced { .. }
        | GraphPattern::Slice { .. } => "a sub-query",
        _ => "this kind of WHERE pattern",
    }
}

fn where_term(term: &TermPattern, variables: &mut Variables) -> Result<PatternTerm, PatchError> {
    Ok(match term {
        TermPattern::NamedNode(n) => PatternTerm::Term(n.clone().into()),
        TermPattern::Literal(l) => PatternTerm::Term(l.clone().into()),
        TermPattern::BlankNode(b) => PatternTerm::Var(variables.anonymous(b.as_str())),
        TermPattern::Variable(v) => PatternTerm::Var(variables.named(v.as_str())),
        #[allow(unreachable_patterns)]
        _ => return Err(unsupported("quoted triples")),
    })
}

/// A variable of a template: bound by `WHERE`, or never bound (index past
/// the end, which instantiation treats as unbound and skips).
fn template_var(name: &str, variables: &Variables) -> TemplateTerm {
    TemplateTerm::Var(variables.get_named(name).unwrap_or(usize::MAX))
}

fn predicate_template(term: &NamedNodePattern, variables: &Variables) -> TemplateTerm {
    match term {
        NamedNodePattern::NamedNode(n) => TemplateTerm::Term(n.clone().into()),
        NamedNodePattern::Variable(v) => template_var(v.as_str(), variables),
    }
}

fn term_template(term: &TermPattern, variables: &Variables) -> Result<TemplateTerm, PatchError> {
    Ok(match term {
        TermPattern::NamedNode(n) => TemplateTerm::Term(n.clone().into()),
        TermPattern::Literal(l) => TemplateTerm::Term(l.clone().into()),
        TermPattern::BlankNode(b) => TemplateTerm::BlankNode(b.as_str().to_owned()),
        TermPattern::Variable(v) => template_var(v.as_str(), variables),
        #[allow(unreachable_patterns)]
        _ => return Err(unsupported("quoted triples")),
    })
}

fn ground_template(
    term: &GroundTermPattern,
    variables: &Variables,
) -> Result<TemplateTerm, PatchError> {
    Ok(match term {
        GroundTermPattern::NamedNode(n) => TemplateTerm::Term(n.clone().into()),
        GroundTermPattern::Literal(l) => TemplateTerm::Term(l.clone().into()),
        GroundTermPattern::Variable(v) => template_var(v.as_str(), variables),
        #[allow(unreachable_patterns)]
        _ => return Err(unsupported("quoted triples")),
    })
}

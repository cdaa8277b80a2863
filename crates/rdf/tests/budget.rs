//! Per-request budgets (issue 9, finding 5) and no-op patches (finding 3):
//! what one request may make the RDF layer parse, match and produce, charged
//! across all its operations, and patches that change nothing.

use selfdata_rdf::oxrdf::Graph;
use selfdata_rdf::{
    Applied, Budget, BudgetExceeded, Limits, Patch, PatchError, RdfError, RdfFormat,
    check_document, parse, parse_within,
};
use std::time::{Duration, Instant};

const BASE: &str = "https://pod.example/alice/doc.ttl";

/// A document of `n` distinct triples `<#sI> <#p> I`.
fn document(n: usize) -> Graph {
    let mut turtle = String::new();
    for i in 0..n {
        turtle.push_str(&format!("<#s{i}> <#p> {i}.\n"));
    }
    parse(turtle.as_bytes(), RdfFormat::Turtle, BASE).unwrap()
}

fn sparql(body: &str, budget: &mut Budget) -> Result<Patch, PatchError> {
    Patch::parse_sparql_update_within(body.as_bytes(), BASE, budget)
}

/// A Turtle list of `items` integers: 2 × items + 1 triples.
fn turtle_list(items: usize) -> String {
    let mut body = String::from("<#list> <#items> (");
    for i in 0..items {
        body.push_str(&format!(" {i}"));
    }
    body.push_str(" ).");
    body
}

#[test]
fn cross_product_insert_where_stops_as_soon_as_the_budget_is_spent() {
    // The 337-byte shape of the finding: every triple joined with every
    // other, each solution instantiating several template triples.
    let mut graph = document(300);
    let original = graph.clone();
    let mut budget = Budget::default();
    let patch = sparql(
        "INSERT { ?a <#x1> ?f. ?a <#x2> ?f. ?a <#x3> ?f. ?a <#x4> ?f. ?d <#x5> ?c. ?d <#x6> ?c. }
         WHERE { ?a ?b ?c. ?d ?e ?f. }",
        &mut budget,
    )
    .unwrap();
    let started = Instant::now();
    let error = patch.apply_within(&mut graph, &mut budget).unwrap_err();
    assert_eq!(
        error,
        PatchError::Budget(BudgetExceeded::Produced {
            limit: Limits::default().produced
        })
    );
    assert_eq!(error.http_status(), 422);
    // It stopped at the budget: 100,000 produced triples are ~16,667
    // solutions, not the 90,000 of the cross product (540,000 triples).
    assert!(budget.steps() < 20_000, "examined {}", budget.steps());
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(graph == original, "a refused patch changed the graph");
}

#[test]
fn matching_steps_are_charged_across_all_operations_of_one_request() {
    // Each operation examines ~2 × 600² = 720,000 candidate triples and
    // finds nothing: under a per-operation limit of 1,000,000 each would
    // pass, and 20 of them burnt 14 million steps. One request, one budget.
    let mut graph = document(600);
    let operation = "INSERT { <#x> <#y> <#z> } WHERE { ?a <#p> ?c. ?d <#p> ?f. ?d <#none> ?g. }";
    let body = vec![operation; 20].join(";\n");
    let mut budget = Budget::default();
    let patch = sparql(&body, &mut budget).unwrap();
    let error = patch.apply_within(&mut graph, &mut budget).unwrap_err();
    assert_eq!(
        error,
        PatchError::Budget(BudgetExceeded::Steps {
            limit: Limits::default().steps
        })
    );
    assert_eq!(budget.steps(), Limits::default().steps);
}

#[test]
fn an_update_with_too_many_operations_is_refused_before_it_runs() {
    let body = vec!["INSERT DATA { <#a> <#b> <#c> }"; 101].join(";\n");
    let error = sparql(&body, &mut Budget::default()).unwrap_err();
    assert_eq!(
        error,
        PatchError::Budget(BudgetExceeded::Operations { limit: 100 })
    );
    assert_eq!(error.http_status(), 422);
}

#[test]
fn a_document_over_the_triple_limit_is_refused_without_building_a_graph() {
    let limits = Limits {
        document_triples: 1_000,
        ..Limits::default()
    };
    let fits = turtle_list(499); // 999 triples
    let mut budget = Budget::new(limits);
    assert_eq!(
        check_document(
            fits.as_bytes(),
            RdfFormat::Turtle,
            BASE,
            &mut budget,
            |_| {}
        ),
        Ok(999)
    );
    let too_large = turtle_list(500); // 1,001 triples
    let error = check_document(
        too_large.as_bytes(),
        RdfFormat::Turtle,
        BASE,
        &mut Budget::new(limits),
        |_| {},
    )
    .unwrap_err();
    assert_eq!(
        error,
        RdfError::Budget(BudgetExceeded::DocumentTriples { limit: 1_000 })
    );
    assert_eq!(error.http_status(), 413);
    // The default limit is 200,000 triples per document.
    let mut budget = Budget::default();
    let error = check_document(
        turtle_list(100_000).as_bytes(),
        RdfFormat::Turtle,
        BASE,
        &mut budget,
        |_| {},
    )
    .unwrap_err();
    assert_eq!(error.http_status(), 413);
}

#[test]
fn parsed_triples_are_charged_to_the_request() {
    let limits = Limits {
        parsed_triples: 10,
        ..Limits::default()
    };
    let body = turtle_list(5); // 11 triples
    let error = parse_within(
        body.as_bytes(),
        RdfFormat::Turtle,
        BASE,
        &mut Budget::new(limits),
    )
    .unwrap_err();
    assert_eq!(
        error,
        RdfError::Budget(BudgetExceeded::ParsedTriples { limit: 10 })
    );
    // A patch's triples count too, across all its operations.
    let body = ["INSERT DATA { <#a> <#b> 1, 2, 3 }"; 4].join(";");
    let error = sparql(&body, &mut Budget::new(limits)).unwrap_err();
    assert_eq!(
        error,
        PatchError::Budget(BudgetExceeded::ParsedTriples { limit: 10 })
    );
}

#[test]
fn a_patch_cannot_grow_a_document_past_the_triple_limit() {
    let limits = Limits {
        document_triples: 101,
        ..Limits::default()
    };
    let mut graph = document(100);
    let original = graph.clone();
    let mut budget = Budget::new(limits);
    let patch = sparql(
        "INSERT DATA { <#a> <#b> 1 }; INSERT DATA { <#a> <#b> 2, 3 }",
        &mut budget,
    )
    .unwrap();
    let error = patch.apply_within(&mut graph, &mut budget).unwrap_err();
    assert_eq!(error.http_status(), 413);
    assert!(graph == original, "the first operation was not undone");
    // An N3 Patch too.
    let n3 = Patch::parse_n3(
        b"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
          _:p a solid:InsertDeletePatch; solid:inserts { <#a> <#b> 1, 2 }.",
        BASE,
    )
    .unwrap();
    let error = n3
        .apply_within(&mut graph, &mut Budget::new(limits))
        .unwrap_err();
    assert_eq!(error.http_status(), 413);
    assert!(graph == original);
}

#[test]
fn empty_sparql_update_is_a_noop_that_changes_nothing() {
    for body in [
        "",
        "  # nothing\n",
        "INSERT DATA {}",
        "INSERT DATA { }; DELETE DATA {}",
    ] {
        let patch = Patch::parse_sparql_update(body.as_bytes(), BASE).unwrap();
        assert!(patch.is_noop(), "{body:?} is a no-op");
        let mut graph = document(3);
        let original = graph.clone();
        assert_eq!(
            patch.apply_within(&mut graph, &mut Budget::default()),
            Ok(Applied::Unchanged)
        );
        assert!(graph == original);
    }
    let patch = Patch::parse_sparql_update(b"INSERT DATA { <#a> <#b> <#c> }", BASE).unwrap();
    assert!(!patch.is_noop());
}

#[test]
fn n3_patch_with_nothing_to_insert_or_delete_is_a_noop() {
    let patch = Patch::parse_n3(
        b"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
          _:p a solid:InsertDeletePatch.",
        BASE,
    )
    .unwrap();
    assert!(patch.is_noop());
    let mut graph = document(3);
    assert_eq!(
        patch.apply_within(&mut graph, &mut Budget::default()),
        Ok(Applied::Unchanged)
    );
    // A where-only patch changes nothing, but its condition still holds or fails.
    let patch = Patch::parse_n3(
        b"@prefix solid: <http://www.w3.org/ns/solid/terms#>.
          _:p a solid:InsertDeletePatch; solid:where { <#nobody> <#p> ?x }.",
        BASE,
    )
    .unwrap();
    assert!(patch.is_noop());
    assert!(matches!(
        patch.apply_within(&mut graph, &mut Budget::default()),
        Err(PatchError::Conflict(_))
    ));
}

#[test]
fn inserting_triples_already_present_is_unchanged() {
    let mut graph = document(3);
    let sparql = Patch::parse_sparql_update(b"INSERT DATA { <#s1> <#p> 1 }", BASE).unwrap();
    assert!(!sparql.is_noop());
    assert_eq!(
        sparql.apply_within(&mut graph, &mut Budget::default()),
        Ok(Applied::Unchanged)
    );
    let sparql = Patch::parse_sparql_update(b"INSERT DATA { <#s1> <#p> 2 }", BASE).unwrap();
    assert_eq!(
        sparql.apply_within(&mut graph, &mut Budget::default()),
        Ok(Applied::Changed)
    );
}

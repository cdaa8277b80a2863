//! Behaviour a client of the pod's HTTP API would notice: what bodies are
//! accepted, what errors say, what PATCH does to a resource.

use selfdata_rdf::oxrdf::{Graph, NamedNodeRef, TermRef, TripleRef};
use selfdata_rdf::{Patch, PatchError, RdfError, RdfFormat, fuzzing, parse, serialize};

const BASE: &str = "https://pod.example/alice/profile/card";
const FOAF_NAME: &str = "http://xmlns.com/foaf/0.1/name";
const PREFIXES: &str = "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n";

fn turtle(text: &str) -> Graph {
    parse(text.as_bytes(), RdfFormat::Turtle, BASE).expect("test Turtle must parse")
}

fn profile() -> Graph {
    turtle(
        r#"@prefix foaf: <http://xmlns.com/foaf/0.1/>.
        <#me> a foaf:Person; foaf:name "Alice"; foaf:knows <#bob>, <#carol>.
        <#bob> foaf:name "Bob".
        <#carol> foaf:name "Carol"."#,
    )
}

fn n3(body: &str) -> Result<Patch, PatchError> {
    Patch::parse_n3(format!("{PREFIXES}{body}").as_bytes(), BASE)
}

fn n3_apply(graph: &mut Graph, body: &str) -> Result<(), PatchError> {
    n3(body)?.apply(graph)
}

fn sparql(body: &str) -> Result<Patch, PatchError> {
    Patch::parse_sparql_update(body.as_bytes(), BASE)
}

fn has_name(graph: &Graph, who: &str, name: &str) -> bool {
    graph.iter().any(|t| {
        t.subject.to_string() == format!("<{BASE}#{who}>")
            && t.predicate.as_str() == FOAF_NAME
            && matches!(t.object, TermRef::Literal(l) if l.value() == name)
    })
}

// ---------------------------------------------------------------- formats

#[test]
fn media_types_are_recognised_case_insensitively_with_parameters() {
    assert_eq!(
        RdfFormat::from_media_type("text/turtle"),
        Some(RdfFormat::Turtle)
    );
    assert_eq!(
        RdfFormat::from_media_type("Text/Turtle; charset=utf-8"),
        Some(RdfFormat::Turtle)
    );
    assert_eq!(
        RdfFormat::from_media_type(" application/LD+JSON ;profile=\"x\""),
        Some(RdfFormat::JsonLd)
    );
    assert_eq!(
        RdfFormat::from_media_type("application/n-triples"),
        Some(RdfFormat::NTriples)
    );
    assert_eq!(RdfFormat::from_media_type("text/html"), None);
    assert_eq!(RdfFormat::from_media_type(""), None);
    for format in RdfFormat::ALL {
        assert_eq!(
            RdfFormat::from_media_type(format.media_type()),
            Some(format)
        );
    }
}

#[test]
fn turtle_body_is_parsed_with_relative_iris_resolved() {
    let graph = profile();
    assert_eq!(graph.len(), 6);
    assert!(has_name(&graph, "me", "Alice"));
}

#[test]
fn json_ld_body_is_parsed() {
    let body = br##"{"@context": {"foaf": "http://xmlns.com/foaf/0.1/"},
        "@id": "#me", "@type": "foaf:Person", "foaf:name": "Alice"}"##;
    let graph = parse(body, RdfFormat::JsonLd, BASE).unwrap();
    assert_eq!(graph.len(), 2);
    assert!(has_name(&graph, "me", "Alice"));
}

#[test]
fn n_triples_body_is_parsed() {
    let body = format!("<{BASE}#me> <{FOAF_NAME}> \"Alice\" .\n");
    let graph = parse(body.as_bytes(), RdfFormat::NTriples, BASE).unwrap();
    assert_eq!(graph.len(), 1);
    assert!(has_name(&graph, "me", "Alice"));
}

#[test]
fn byte_order_mark_is_ignored() {
    let graph = parse(b"\xEF\xBB\xBF<#a> <#b> <#c> .", RdfFormat::Turtle, BASE).unwrap();
    assert_eq!(graph.len(), 1);
}

#[test]
fn turtle_syntax_error_reports_line_and_column() {
    let body = b"<#a> <#b> <#c> .\n<#d> <#e> <#f> .\n<#g> <#h> <#i> <#j> .\n";
    let error = parse(body, RdfFormat::Turtle, BASE).unwrap_err();
    let RdfError::Syntax { line, column, .. } = &error else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert_eq!((*line, *column), (3, 16));
    assert!(
        error.to_string().starts_with("line 3, column 16: "),
        "{error}"
    );
    assert_eq!(error.http_status(), 400);
}

#[test]
fn n_triples_syntax_error_reports_line() {
    let body =
        format!("<{BASE}#a> <{FOAF_NAME}> \"x\" .\n<{BASE}#a> <{FOAF_NAME}> \"unterminated .\n");
    let error = parse(body.as_bytes(), RdfFormat::NTriples, BASE).unwrap_err();
    assert_eq!(error.position().map(|p| p.line), Some(2), "{error}");
}

#[test]
fn json_syntax_error_reports_line_and_column() {
    let body = b"{\n  \"@id\": \"#me\",\n  \"http://a.example/p\": [1, }\n}";
    let error = parse(body, RdfFormat::JsonLd, BASE).unwrap_err();
    assert_eq!(error.position().map(|p| p.line), Some(3), "{error}");
    assert!(error.to_string().starts_with("line 3, column "), "{error}");
}

#[test]
fn json_ld_remote_context_is_refused_without_fetching() {
    let body = br##"{"@context": "https://schema.org/", "@id": "#me", "name": "Alice"}"##;
    let error = parse(body, RdfFormat::JsonLd, BASE).unwrap_err();
    assert!(matches!(error, RdfError::Invalid { .. }), "{error:?}");
    assert_eq!(error.http_status(), 400);
}

#[test]
fn json_ld_named_graph_is_refused() {
    let body = br##"{"@id": "#g", "@graph": [{"@id": "#me", "http://a.example/p": "x"}]}"##;
    let error = parse(body, RdfFormat::JsonLd, BASE).unwrap_err();
    assert!(matches!(error, RdfError::Invalid { .. }), "{error:?}");
}

#[test]
fn invalid_utf8_is_a_syntax_error() {
    let error = parse(b"<#a> <#b> \"\xFF\xFE\" .", RdfFormat::Turtle, BASE).unwrap_err();
    assert_eq!(error.position().map(|p| p.line), Some(1), "{error}");
}

#[test]
fn deep_nesting_is_a_syntax_error_or_a_graph_not_a_crash() {
    let opening = "[".repeat(100_000);
    let _ = parse(
        format!("<#a> <#b> {opening}").as_bytes(),
        RdfFormat::Turtle,
        BASE,
    );
    let parens = "(".repeat(100_000);
    assert!(
        parse(
            format!("<#a> <#b> {parens}").as_bytes(),
            RdfFormat::Turtle,
            BASE
        )
        .is_err()
    );
    let error = parse(opening.as_bytes(), RdfFormat::JsonLd, BASE).unwrap_err();
    assert_eq!(error.position().map(|p| p.line), Some(1), "{error}");
    let n3_body = format!(
        "{PREFIXES}_:p a solid:InsertDeletePatch; solid:inserts {}",
        "{".repeat(100_000)
    );
    assert!(matches!(
        Patch::parse_n3(n3_body.as_bytes(), BASE),
        Err(PatchError::Syntax { .. })
    ));
    let sparql_body = format!("INSERT DATA {{ <#a> <#b> {parens} }}");
    assert!(matches!(
        sparql(&sparql_body),
        Err(PatchError::Syntax { line: 1, .. })
    ));
}

#[test]
fn turtle_output_uses_prefixes_and_relative_iris() {
    let graph = turtle(
        r#"@prefix ldp: <http://www.w3.org/ns/ldp#>.
        <> a ldp:BasicContainer; ldp:contains <photo.jpg>;
           <http://www.w3.org/ns/posix/stat#size> 12."#,
    );
    let text = String::from_utf8(serialize(&graph, RdfFormat::Turtle, BASE).unwrap()).unwrap();
    assert!(
        text.contains("@prefix ldp: <http://www.w3.org/ns/ldp#>"),
        "{text}"
    );
    assert!(
        text.contains("@prefix stat: <http://www.w3.org/ns/posix/stat#>"),
        "{text}"
    );
    assert!(
        !text.contains("@prefix foaf:"),
        "unused prefixes are not declared:\n{text}"
    );
    assert!(text.contains("<> a ldp:BasicContainer"), "{text}");
    assert!(text.contains("ldp:contains <photo.jpg>"), "{text}");
    assert!(text.contains("stat:size 12"), "{text}");
}

#[test]
fn every_format_round_trips_to_the_same_graph() {
    let mut graph = profile();
    graph.extend(&turtle(
        r#"<#me> <#note> "multi\nline \"quoted\" ünïcødé 😀"@en, "1.5"^^<http://www.w3.org/2001/XMLSchema#decimal>,
           [ <#p> ( 1 2 [ <#q> "nested" ] ) ]."#,
    ));
    for format in RdfFormat::ALL {
        let bytes = serialize(&graph, format, BASE).unwrap();
        let mut reparsed = parse(&bytes, format, BASE).unwrap();
        let mut expected = graph.clone();
        expected.canonicalize(Default::default());
        reparsed.canonicalize(Default::default());
        assert_eq!(expected, reparsed, "{format} round trip");
    }
    // The shared fuzzing check also compares counts and ground triples.
    fuzzing::check_round_trip(&graph);
}

// ---------------------------------------------------------------- N3 Patch

#[test]
fn n3_insert_adds_triples() {
    let mut graph = profile();
    n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch; solid:inserts { <#dave> foaf:name "Dave". }."#,
    )
    .unwrap();
    assert!(has_name(&graph, "dave", "Dave"));
    assert_eq!(graph.len(), 7);
}

#[test]
fn n3_insert_into_missing_resource_creates_it() {
    let mut graph = Graph::new();
    n3_apply(
        &mut graph,
        r#"<#patch> a solid:InsertDeletePatch; solid:inserts { <#me> foaf:name "Alice". }."#,
    )
    .unwrap();
    assert_eq!(graph.len(), 1);
}

#[test]
fn n3_delete_removes_triples() {
    let mut graph = profile();
    n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch; solid:deletes { <#bob> foaf:name "Bob". }."#,
    )
    .unwrap();
    assert!(!has_name(&graph, "bob", "Bob"));
    assert_eq!(graph.len(), 5);
}

#[test]
fn n3_where_with_one_binding_rewrites_a_value() {
    let mut graph = profile();
    n3_apply(
        &mut graph,
        r#"_:rename a solid:InsertDeletePatch;
          solid:where   { ?person foaf:name "Alice". };
          solid:deletes { ?person foaf:name "Alice". };
          solid:inserts { ?person foaf:name "Alicia". }."#,
    )
    .unwrap();
    assert!(has_name(&graph, "me", "Alicia"));
    assert!(!has_name(&graph, "me", "Alice"));
    assert_eq!(graph.len(), 6);
}

#[test]
fn n3_where_with_zero_bindings_is_a_conflict() {
    let mut graph = profile();
    let before = graph.clone();
    let error = n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch;
          solid:where { ?person foaf:name "Zoe". };
          solid:inserts { ?person foaf:nick "z". }."#,
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Conflict(_)), "{error:?}");
    assert_eq!(error.http_status(), 409);
    assert_eq!(graph, before);
}

#[test]
fn n3_where_with_two_bindings_is_a_conflict() {
    let mut graph = profile();
    let before = graph.clone();
    let error = n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch;
          solid:where { <#me> foaf:knows ?friend. };
          solid:inserts { ?friend foaf:nick "friend". }."#,
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Conflict(_)), "{error:?}");
    assert_eq!(graph, before);
}

#[test]
fn n3_where_blank_nodes_are_existential_not_extra_bindings() {
    // Two friends match `_:f`, but the only variable, ?me, has one value.
    let mut graph = profile();
    n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch;
          solid:where { ?me foaf:knows _:f. };
          solid:inserts { ?me foaf:nick "social". }."#,
    )
    .unwrap();
    assert_eq!(graph.len(), 7);
}

#[test]
fn n3_deleting_an_absent_triple_is_a_conflict() {
    let mut graph = profile();
    let before = graph.clone();
    let error = n3_apply(
        &mut graph,
        r#"_:p a solid:InsertDeletePatch;
          solid:deletes { <#bob> foaf:name "Bob". <#bob> foaf:name "Robert". };
          solid:inserts { <#bob> foaf:name "Bobby". }."#,
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Conflict(_)), "{error:?}");
    assert_eq!(
        graph, before,
        "nothing is applied when one delete is missing"
    );
}

#[test]
fn n3_variable_only_in_inserts_is_invalid() {
    for body in [
        r#"_:p a solid:InsertDeletePatch; solid:inserts { ?x foaf:name "X". }."#,
        r#"_:p a solid:InsertDeletePatch; solid:where { ?y foaf:name "Alice". }; solid:inserts { ?x foaf:name ?y. }."#,
        r#"_:p a solid:InsertDeletePatch; solid:deletes { ?x foaf:name "Alice". }."#,
    ] {
        let error = n3(body).unwrap_err();
        assert!(matches!(error, PatchError::Invalid(_)), "{body}: {error:?}");
        assert_eq!(error.http_status(), 422);
    }
}

#[test]
fn n3_two_patch_resources_are_invalid() {
    let error = n3(
        r#"_:a a solid:InsertDeletePatch; solid:inserts { <#x> foaf:name "X". }.
           _:b a solid:InsertDeletePatch; solid:inserts { <#y> foaf:name "Y". }."#,
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Invalid(_)), "{error:?}");
    // A clause on another subject also makes a second patch resource.
    let error = n3(
        r#"_:a a solid:InsertDeletePatch; solid:inserts { <#x> foaf:name "X". }.
           _:b solid:deletes { <#y> foaf:name "Y". }."#,
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Invalid(_)), "{error:?}");
}

#[test]
fn n3_missing_type_is_invalid() {
    let error = n3(r#"_:p solid:inserts { <#x> foaf:name "X". }."#).unwrap_err();
    assert!(matches!(error, PatchError::Invalid(_)), "{error:?}");
    let error = n3(r#"<#x> foaf:name "X"."#).unwrap_err();
    assert!(matches!(error, PatchError::Invalid(_)), "{error:?}");
}

#[test]
fn n3_structural_rules_are_enforced() {
    let cases = [
        // Two inserts.
        r#"_:p a solid:InsertDeletePatch; solid:inserts { <#x> foaf:name "X". }, { <#y> foaf:name "Y". }."#,
        // Two wheres.
        r#"_:p a solid:InsertDeletePatch; solid:where { <#me> foaf:name "Alice". }; solid:where { <#bob> foaf:name "Bob". }."#,
        // Not a formula.
        r#"_:p a solid:InsertDeletePatch; solid:inserts <#x>."#,
        r#"_:p a solid:InsertDeletePatch; solid:inserts [ foaf:name "X" ]."#,
        // Nested formula.
        r#"_:p a solid:InsertDeletePatch; solid:inserts { <#x> <#says> { <#y> foaf:name "Y". }. }."#,
        r#"_:p a solid:InsertDeletePatch; solid:where { <#x> <#says> { <#y> foaf:name "Y". }. }."#,
        // Blank nodes in inserts or deletes.
        r#"_:p a solid:InsertDeletePatch; solid:inserts { <#me> foaf:knows _:someone. }."#,
        r#"_:p a solid:InsertDeletePatch; solid:inserts { <#me> foaf:knows [ foaf:name "X" ]. }."#,
        r#"_:p a solid:InsertDeletePatch; solid:deletes { _:x foaf:name "Bob". }."#,
        // Patch identified by a literal or a variable.
        r#"?p a solid:InsertDeletePatch; solid:inserts { <#x> foaf:name "X". }."#,
        // A literal subject in inserts.
        r#"_:p a solid:InsertDeletePatch; solid:inserts { "x" foaf:name "X". }."#,
    ];
    for body in cases {
        let error = n3(body).unwrap_err();
        assert!(matches!(error, PatchError::Invalid(_)), "{body}: {error:?}");
    }
}

#[test]
fn n3_syntax_error_reports_line() {
    let body = format!(
        "{PREFIXES}_:p a solid:InsertDeletePatch;\n  solid:inserts {{ <#x> foaf:name \"X\" . \n"
    );
    let error = Patch::parse_n3(body.as_bytes(), BASE).unwrap_err();
    assert!(matches!(error, PatchError::Syntax { .. }), "{error:?}");
    let body = format!(
        "{PREFIXES}_:p a solid:InsertDeletePatch;\n  solid:inserts {{ <#x> foaf:name \"X\" }} }}.\n"
    );
    let error = Patch::parse_n3(body.as_bytes(), BASE).unwrap_err();
    let PatchError::Syntax { line, column, .. } = error else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert_eq!((line, column), (4, 40), "the stray second brace");
}

#[test]
fn n3_is_insert_only_only_without_deletes() {
    let insert = n3(r#"_:p a solid:InsertDeletePatch; solid:where { ?x foaf:name "Bob". }; solid:inserts { ?x foaf:nick "b". }."#).unwrap();
    assert!(insert.is_insert_only());
    let modes = insert.required_modes();
    assert!(modes.read && modes.append && !modes.write);
    let delete =
        n3(r#"_:p a solid:InsertDeletePatch; solid:deletes { <#bob> foaf:name "Bob". }."#).unwrap();
    assert!(!delete.is_insert_only());
    assert!(delete.required_modes().write);
}

#[test]
fn n3_empty_patch_changes_nothing() {
    let mut graph = profile();
    n3_apply(
        &mut graph,
        "<#patch> a solid:InsertDeletePatch; solid:inserts {}.",
    )
    .unwrap();
    assert_eq!(graph, profile());
}

// ---------------------------------------------------------------- SPARQL Update

#[test]
fn sparql_insert_data_adds_triples() {
    let mut graph = profile();
    let patch = sparql(
        r#"PREFIX foaf: <http://xmlns.com/foaf/0.1/> INSERT DATA { <#dave> foaf:name "Dave" }"#,
    )
    .unwrap();
    assert!(patch.is_insert_only());
    patch.apply(&mut graph).unwrap();
    assert!(has_name(&graph, "dave", "Dave"));
}

#[test]
fn sparql_delete_data_removes_triples() {
    let mut graph = profile();
    let patch = sparql(r#"DELETE DATA { <#bob> <http://xmlns.com/foaf/0.1/name> "Bob" }"#).unwrap();
    assert!(!patch.is_insert_only());
    patch.apply(&mut graph).unwrap();
    assert!(!has_name(&graph, "bob", "Bob"));
}

#[test]
fn sparql_delete_data_of_absent_triple_is_a_conflict() {
    let mut graph = profile();
    let error = sparql(r#"DELETE DATA { <#bob> <http://xmlns.com/foaf/0.1/name> "Robert" }"#)
        .unwrap()
        .apply(&mut graph)
        .unwrap_err();
    assert!(matches!(error, PatchError::Conflict(_)), "{error:?}");
    assert_eq!(graph, profile());
}

#[test]
fn sparql_delete_insert_where_applies_to_every_solution() {
    let mut graph = profile();
    let patch = sparql(
        r#"PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        DELETE { ?f foaf:name ?n } INSERT { ?f foaf:nick ?n } WHERE { <#me> foaf:knows ?f . ?f foaf:name ?n }"#,
    )
    .unwrap();
    assert!(!patch.is_insert_only());
    patch.apply(&mut graph).unwrap();
    assert!(!has_name(&graph, "bob", "Bob"));
    assert!(!has_name(&graph, "carol", "Carol"));
    assert!(has_name(&graph, "me", "Alice"));
    assert_eq!(graph.len(), 6);
}

#[test]
fn sparql_where_without_solutions_changes_nothing() {
    let mut graph = profile();
    sparql(r#"DELETE { ?s ?p ?o } WHERE { ?s <http://xmlns.com/foaf/0.1/name> "Zoe" . ?s ?p ?o }"#)
        .unwrap()
        .apply(&mut graph)
        .unwrap();
    assert_eq!(graph, profile());
}

#[test]
fn sparql_insert_where_is_insert_only() {
    let mut graph = profile();
    let patch = sparql(
        r#"INSERT { ?f <#isFriend> true } WHERE { <#me> <http://xmlns.com/foaf/0.1/knows> ?f }"#,
    )
    .unwrap();
    assert!(patch.is_insert_only());
    patch.apply(&mut graph).unwrap();
    assert_eq!(graph.len(), 8);
}

#[test]
fn sparql_delete_where_removes_matches() {
    let mut graph = profile();
    sparql(r#"DELETE WHERE { <#bob> ?p ?o }"#)
        .unwrap()
        .apply(&mut graph)
        .unwrap();
    assert!(!has_name(&graph, "bob", "Bob"));
    assert_eq!(graph.len(), 5);
}

#[test]
fn sparql_unsupported_features_are_named() {
    let cases = [
        (
            "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?o = 1) }",
            "FILTER",
        ),
        (
            "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o OPTIONAL { ?s <#q> ?x } }",
            "OPTIONAL",
        ),
        ("INSERT DATA { GRAPH <#g> { <#a> <#b> <#c> } }", "GRAPH"),
        ("DELETE { ?s ?p ?o } USING <#g> WHERE { ?s ?p ?o }", "USING"),
        ("WITH <#g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "WITH"),
        ("LOAD <https://example.com/x>", "LOAD"),
        ("CLEAR DEFAULT", "CLEAR"),
        (
            "DELETE { ?s ?p ?o } WHERE { { ?s ?p ?o } UNION { ?o ?p ?s } }",
            "UNION",
        ),
        (
            "DELETE { ?s ?p ?o } WHERE { ?s <#a>/<#b> ?o }",
            "property paths",
        ),
        ("DELETE { ?s ?p ?o } WHERE { BIND(1 AS ?o) }", "BIND"),
    ];
    for (body, feature) in cases {
        let error = sparql(body).unwrap_err();
        let PatchError::Unsupported(message) = &error else {
            panic!("{body}: expected Unsupported, got {error:?}");
        };
        assert!(message.contains(feature), "{body}: {message}");
    }
}

#[test]
fn sparql_multi_operation_update_is_all_or_nothing() {
    let mut graph = profile();
    let patch = sparql(
        r#"INSERT DATA { <#dave> <http://xmlns.com/foaf/0.1/name> "Dave" } ;
           DELETE DATA { <#bob> <http://xmlns.com/foaf/0.1/name> "Bob" } ;
           DELETE DATA { <#bob> <http://xmlns.com/foaf/0.1/name> "Bob" }"#,
    )
    .unwrap();
    assert!(matches!(
        patch.apply(&mut graph),
        Err(PatchError::Conflict(_))
    ));
    assert_eq!(
        graph,
        profile(),
        "the first two operations were rolled back"
    );

    let patch = sparql(
        r#"INSERT DATA { <#dave> <http://xmlns.com/foaf/0.1/name> "Dave" } ;
           DELETE WHERE { <#dave> ?p ?o } ;
           INSERT DATA { <#erin> <http://xmlns.com/foaf/0.1/name> "Erin" }"#,
    )
    .unwrap();
    patch.apply(&mut graph).unwrap();
    assert!(!has_name(&graph, "dave", "Dave"));
    assert!(has_name(&graph, "erin", "Erin"));
}

#[test]
fn sparql_blank_nodes_in_inserts_are_fresh() {
    let mut graph = turtle("<#me> <#knows> _:b0 . _:b0 <#name> \"Existing\" .");
    let patch = sparql(r#"INSERT DATA { <#me> <#knows> _:b0 . _:b0 <#name> "New" }"#).unwrap();
    patch.apply(&mut graph).unwrap();
    patch.apply(&mut graph).unwrap();
    let friends: Vec<_> = graph
        .iter()
        .filter(|t| t.predicate == NamedNodeRef::new_unchecked(&format!("{BASE}#knows")))
        .map(|t| t.object.to_string())
        .collect();
    assert_eq!(
        friends.len(),
        3,
        "each application makes a new node: {friends:?}"
    );
    // Within one operation, one label is one node.
    let new_nodes: Vec<TripleRef<'_>> = graph
        .iter()
        .filter(|t| matches!(t.object, TermRef::Literal(l) if l.value() == "New"))
        .collect();
    assert_eq!(new_nodes.len(), 2);
    for t in new_nodes {
        assert!(friends.contains(&t.subject.to_string()));
    }

    // In INSERT … WHERE, each solution gets its own blank node.
    let mut graph = profile();
    sparql(r#"INSERT { ?f <#card> _:c . _:c <#for> ?f } WHERE { <#me> <http://xmlns.com/foaf/0.1/knows> ?f }"#)
        .unwrap()
        .apply(&mut graph)
        .unwrap();
    let cards: std::collections::HashSet<String> = graph
        .iter()
        .filter(|t| t.predicate.as_str().ends_with("#card"))
        .map(|t| t.object.to_string())
        .collect();
    assert_eq!(cards.len(), 2);
}

#[test]
fn sparql_syntax_error_reports_line_and_column() {
    let error = sparql("INSERT DATA {\n  <#a> <#b> <#c> .\n  <#d> <#e> }").unwrap_err();
    let PatchError::Syntax { line, column, .. } = error else {
        panic!("expected a syntax error, got {error:?}");
    };
    assert_eq!((line, column), (3, 13));
}

//! Issue 9, findings 3 (a no-op PATCH rewrote the resource) and 5 (RDF
//! amplification), over real HTTP on loopback: one budget per request for
//! parsing and updates, a triple limit per stored document, and patches
//! that change nothing write nothing.

use crate::common::{Server, problem};

/// A Turtle document of `n` distinct triples `<#sI> <#p> I`.
fn document(n: usize) -> String {
    (0..n).map(|i| format!("<#s{i}> <#p> {i}.\n")).collect()
}

/// A Turtle list of `items` integers: 2 × items + 1 triples.
fn turtle_list(items: usize) -> String {
    let mut body = String::from("<#list> <#items> (");
    for i in 0..items {
        body.push_str(&format!(" {i}"));
    }
    body.push_str(" ).\n");
    body
}

async fn sparql(s: &Server, path: &str, update: &str) -> reqwest::Response {
    s.req("PATCH", path)
        .header("content-type", "application/sparql-update")
        .body(update.to_owned())
        .send()
        .await
        .unwrap()
}

async fn etag(s: &Server, path: &str) -> (String, String, String) {
    let r = s.req("GET", path).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
    (etag, content_type, r.text().await.unwrap())
}

#[tokio::test]
async fn amplification_cross_product_insert_where_is_refused_with_422() {
    let s = Server::start().await;
    assert_eq!(s.put_turtle("/big.ttl", &document(300)).await.status(), 201);
    let before = etag(&s, "/big.ttl").await;
    // The shape of the 337-byte update that took 2.9 GB: 90,000 solutions,
    // each under a per-operation limit, times 6 templates = 540,000 triples.
    let r = sparql(
        &s,
        "/big.ttl",
        "INSERT { ?a <#x1> ?f. ?a <#x2> ?f. ?a <#x3> ?f. ?a <#x4> ?f. ?d <#x5> ?c. ?d <#x6> ?c. }
         WHERE { ?a ?b ?c. ?d ?e ?f. }",
    )
    .await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("more selective"), "{detail}");
    assert_eq!(etag(&s, "/big.ttl").await, before, "nothing was written");
}

#[tokio::test]
async fn amplification_many_operations_share_one_budget_per_request() {
    let s = Server::start().await;
    assert_eq!(s.put_turtle("/ops.ttl", &document(600)).await.status(), 201);
    let before = etag(&s, "/ops.ttl").await;
    // Each operation examines ~720,000 triples and matches nothing: below
    // a per-operation limit, 20 of them burnt seconds of CPU.
    let operation = "INSERT { <#x> <#y> <#z> } WHERE { ?a <#p> ?c. ?d <#p> ?f. ?d <#none> ?g. }";
    let r = sparql(&s, "/ops.ttl", &vec![operation; 20].join(";\n")).await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("examine more than"), "{detail}");
    // And too many operations are refused before any runs.
    let r = sparql(
        &s,
        "/ops.ttl",
        &vec!["INSERT DATA { <#a> <#b> <#c> }"; 101].join(";\n"),
    )
    .await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 422, "{detail}");
    assert!(detail.contains("operations"), "{detail}");
    assert_eq!(etag(&s, "/ops.ttl").await, before, "nothing was written");
}

#[tokio::test]
async fn amplification_document_over_the_triple_limit_is_refused_with_413() {
    let s = Server::start().await;
    // 200,001 triples in 690 KB: above the default 200,000 per document.
    let r = s.put_turtle("/list.ttl", &turtle_list(100_000)).await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 413, "{detail}");
    assert!(detail.contains("200000 triples"), "{detail}");
    let r = s.req("GET", "/list.ttl").send().await.unwrap();
    assert_eq!(r.status(), 404, "nothing was stored");
    // POST to a container too.
    let r = s
        .req("POST", "/")
        .header("content-type", "text/turtle")
        .body(turtle_list(100_000))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 413);
    // A document within the limit is stored, and served as JSON-LD.
    assert_eq!(
        s.put_turtle("/list.ttl", &turtle_list(50_000))
            .await
            .status(),
        201
    );
    let r = s
        .req("GET", "/list.ttl")
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    let graph =
        selfdata_rdf::parse(&body, selfdata_rdf::RdfFormat::JsonLd, &s.url("/list.ttl")).unwrap();
    assert_eq!(graph.len(), 100_001);
}

#[tokio::test]
async fn amplification_patch_cannot_grow_a_document_past_the_triple_limit() {
    // The limit is the operator's to set; a small one keeps the test light.
    let s = Server::start_with(|o| o.rdf_limits.document_triples = 1_000).await;
    assert_eq!(
        s.put_turtle("/grow.ttl", &document(999)).await.status(),
        201
    );
    let before = etag(&s, "/grow.ttl").await;
    // 999 triples + 2 > 1,000.
    let r = sparql(&s, "/grow.ttl", "INSERT DATA { <#a> <#b> 1, 2 }").await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 413, "{detail}");
    assert!(detail.contains("1000 triples"), "{detail}");
    assert_eq!(etag(&s, "/grow.ttl").await, before);
    // One more fits.
    let r = sparql(&s, "/grow.ttl", "INSERT DATA { <#a> <#b> 1 }").await;
    assert_eq!(r.status(), 204);
    let r = s.put_turtle("/other.ttl", &document(1_001)).await;
    assert_eq!(problem(r).await.0, 413);
}

#[tokio::test]
async fn empty_sparql_update_writes_nothing() {
    let s = Server::start().await;
    let jsonld = r##"{"@id": "#me", "http://xmlns.com/foaf/0.1/name": "Alice"}"##;
    let r = s
        .req("PUT", "/card.jsonld")
        .header("content-type", "application/ld+json")
        .body(jsonld)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let before = etag(&s, "/card.jsonld").await;
    assert_eq!(before.1, "application/ld+json");
    for update in ["", "INSERT DATA {}", "INSERT DATA { }; DELETE DATA { }"] {
        let r = sparql(&s, "/card.jsonld", update).await;
        assert_eq!(r.status(), 204, "{update:?}");
        assert_eq!(
            r.headers()["etag"].to_str().unwrap(),
            before.0,
            "the answer carries the unchanged ETag"
        );
        // Not re-serialised as Turtle, no new ETag: everyone's If-Match still holds.
        assert_eq!(etag(&s, "/card.jsonld").await, before, "{update:?}");
    }
    // An N3 Patch with nothing to insert or delete, and an insertion of a
    // triple already there, write nothing either.
    let r = s
        .req("PATCH", "/card.jsonld")
        .header("content-type", "text/n3")
        .body("@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = sparql(
        &s,
        "/card.jsonld",
        "INSERT DATA { <#me> <http://xmlns.com/foaf/0.1/name> \"Alice\" }",
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(etag(&s, "/card.jsonld").await, before);
    let r = s
        .req("PATCH", "/card.jsonld")
        .header("content-type", "application/sparql-update")
        .header("if-match", &before.0)
        .body("INSERT DATA { <#me> <http://xmlns.com/foaf/0.1/nick> \"al\" }")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "a real change still applies");
    assert_ne!(etag(&s, "/card.jsonld").await.0, before.0);
}

//! The Solid Protocol rules, checked over real HTTP on loopback against the
//! real SQLite store.

use crate::common;

use crate::common::{Server, links, problem, turtle};
use selfdata_rdf::RdfFormat;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const LDP: &str = "http://www.w3.org/ns/ldp#";

#[tokio::test]
async fn a_new_pod_is_a_storage_with_profile_inbox_and_selfdata() {
    let s = Server::start().await;
    let root = s.req("GET", "/").send().await.unwrap();
    assert_eq!(root.status(), 200);
    let l = links(&root);
    assert!(
        l.iter()
            .any(|v| v.contains("pim/space#Storage") && v.contains("rel=\"type\""))
    );
    assert!(l.iter().any(|v| v.contains("storageDescription")));
    let body = root.text().await.unwrap();
    let g = turtle(&body, &s.url("/"));
    let text = format!("{g}");
    for member in ["profile/", "inbox/", "selfdata/"] {
        assert!(
            text.contains(&format!(
                "<{LDP}contains> <{}>",
                s.url(&format!("/{member}"))
            )),
            "root should contain {member}: {text}"
        );
    }
    assert!(text.contains(&format!("<{}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/pim/space#Storage>", s.url("/"))));
    let (status, card) = s.get_text("/profile/card").await;
    assert_eq!(status, 200);
    let card = format!("{}", turtle(&card, &s.url("/profile/card")));
    assert!(card.contains(&format!(
        "<{}#me> <http://www.w3.org/ns/pim/space#storage> <{}>",
        s.url("/profile/card"),
        s.url("/")
    )));

    let desc = s.req("GET", "/.well-known/solid").send().await.unwrap();
    assert_eq!(desc.status(), 200);
    assert!(desc.text().await.unwrap().contains("pim:Storage"));
}

#[tokio::test]
async fn nothing_but_the_profile_is_readable_without_signing_in() {
    let s = Server::start().await;
    let anon = s.client.get(s.url("/")).send().await.unwrap();
    assert!(anon.headers().get("www-authenticate").is_some());
    assert_eq!(problem(anon).await.0, 401);
    let wrong = s
        .client
        .get(s.url("/"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(wrong).await.0, 401);
    let put = s
        .client
        .put(s.url("/x"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(put).await.0, 401);
    // The WebID profile is public, as a WebID must be.
    let card = s.client.get(s.url("/profile/card")).send().await.unwrap();
    assert_eq!(card.status(), 200);
    assert!(
        card.headers()["wac-allow"]
            .to_str()
            .unwrap()
            .contains("public=\"read\"")
    );
    let health = s
        .client
        .get(format!("{}/health", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn put_creates_intermediate_containers_listed_with_modified_and_size() {
    let s = Server::start().await;
    let doc = "<#x> <#p> \"hello\" .";
    let r = s.put_turtle("/a/b/c.ttl", doc).await;
    assert_eq!(r.status(), 201);
    assert!(r.headers().get("etag").is_some());
    let (status, body) = s.get_text("/a/").await;
    assert_eq!(status, 200);
    let g = format!("{}", turtle(&body, &s.url("/a/")));
    assert!(g.contains(&format!(
        "<{}> <{LDP}contains> <{}>",
        s.url("/a/"),
        s.url("/a/b/")
    )));
    let (_, body) = s.get_text("/a/b/").await;
    let g = format!("{}", turtle(&body, &s.url("/a/b/")));
    assert!(g.contains(&format!(
        "<{}> <http://purl.org/dc/terms/modified> \"",
        s.url("/a/b/c.ttl")
    )));
    assert!(
        g.contains(&format!(
            "<{}> <http://www.w3.org/ns/posix/stat#size> \"{}\"",
            s.url("/a/b/c.ttl"),
            doc.len()
        )),
        "{g}"
    );
    // Replacing answers 204, not 201.
    assert_eq!(
        s.put_turtle("/a/b/c.ttl", "<#x> <#p> 1 .").await.status(),
        204
    );
}

#[tokio::test]
async fn writes_need_a_content_type_and_valid_rdf() {
    let s = Server::start().await;
    let r = s
        .req("PUT", "/x.ttl")
        .body("<a> <b> <c> .")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 400);
    let r = s
        .put_turtle("/x.ttl", "<#a> <#b> <#c> .\n<#d> <#e> .\n")
        .await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 400);
    assert!(detail.contains("line 2"), "{detail}");
    // Nothing was stored.
    assert_eq!(s.req("GET", "/x.ttl").send().await.unwrap().status(), 404);
    let r = s
        .req("PUT", "/x.json")
        .header("content-type", "application/ld+json")
        .body("{\"@id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 400);
}

#[tokio::test]
async fn conditional_requests() {
    let s = Server::start().await;
    let created = s.put_turtle("/doc.ttl", "<#a> <#b> 1 .").await;
    let etag = created.headers()["etag"].to_str().unwrap().to_owned();
    // If-None-Match: * refuses to overwrite.
    let r = s
        .req("PUT", "/doc.ttl")
        .header("content-type", "text/turtle")
        .header("if-none-match", "*")
        .body("<#a> <#b> 2 .")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 412);
    // If-Match with a stale tag is refused; with the current one it succeeds.
    let r = s
        .req("PUT", "/doc.ttl")
        .header("content-type", "text/turtle")
        .header("if-match", "\"999999\"")
        .body("<#a> <#b> 2 .")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 412);
    let r = s
        .req("PUT", "/doc.ttl")
        .header("content-type", "text/turtle")
        .header("if-match", &etag)
        .body("<#a> <#b> 2 .")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let new_etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    // GET with the current tag is 304; with the old one 200.
    let r = s
        .req("GET", "/doc.ttl")
        .header("if-none-match", &new_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    let r = s
        .req("GET", "/doc.ttl")
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = s
        .req("GET", "/doc.ttl")
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    // If-Match on a missing resource fails; If-None-Match: * creates.
    let r = s
        .req("PUT", "/new.ttl")
        .header("content-type", "text/turtle")
        .header("if-match", "*")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 412);
    let r = s
        .req("PUT", "/new.ttl")
        .header("content-type", "text/turtle")
        .header("if-none-match", "*")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // Delete with a stale tag is refused.
    let r = s
        .req("DELETE", "/doc.ttl")
        .header("if-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 412);
}

#[tokio::test]
async fn racing_writers_with_the_same_if_match_exactly_one_wins() {
    let s = std::sync::Arc::new(Server::start().await);
    let created = s.put_turtle("/race.ttl", "<#n> <#v> 0 .").await;
    let etag = created.headers()["etag"].to_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let s = s.clone();
        let etag = etag.clone();
        tasks.push(tokio::spawn(async move {
            s.req("PUT", "/race.ttl")
                .header("content-type", "text/turtle")
                .header("if-match", etag)
                .body(format!("<#n> <#v> {i} ."))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|&&c| c == 204).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&c| c == 412).count(),
        19,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn content_negotiation_between_rdf_formats() {
    let s = Server::start().await;
    let source = "@prefix ex: <http://example.org/> .\n<#me> ex:name \"Alice\" ; ex:knows <http://example.org/bob> .";
    s.put_turtle("/people.ttl", source).await;
    let expected = turtle(source, &s.url("/people.ttl"));
    for format in RdfFormat::ALL {
        let r = s
            .req("GET", "/people.ttl")
            .header("accept", format.media_type())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], format.media_type());
        let body = r.bytes().await.unwrap();
        let g = selfdata_rdf::parse(&body, format, &s.url("/people.ttl")).unwrap();
        assert_eq!(g, expected, "{format:?}");
    }
    let r = s
        .req("GET", "/people.ttl")
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 406);
    // JSON-LD in, Turtle out.
    let json = r##"{"@id": "#it", "http://example.org/p": "v"}"##;
    let r = s
        .req("PUT", "/it.jsonld")
        .header("content-type", "application/ld+json")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .req("GET", "/it.jsonld")
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/turtle");
    let g = format!("{}", turtle(&r.text().await.unwrap(), &s.url("/it.jsonld")));
    assert!(
        g.contains(&format!(
            "<{}#it> <http://example.org/p> \"v\"",
            s.url("/it.jsonld")
        )),
        "{g}"
    );
    // Containers negotiate too.
    let r = s
        .req("GET", "/")
        .header("accept", "application/ld+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    let g = selfdata_rdf::parse(&r.bytes().await.unwrap(), RdfFormat::JsonLd, &s.url("/")).unwrap();
    assert!(format!("{g}").contains(&format!("<{LDP}contains> <{}>", s.url("/inbox/"))));
}

#[tokio::test]
async fn non_rdf_is_stored_byte_for_byte_with_ranges() {
    let s = Server::start().await;
    let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let r = s
        .req("PUT", "/pics/blob.bin")
        .header("content-type", "application/octet-stream")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s.req("GET", "/pics/blob.bin").send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(links(&r).iter().any(|l| l.contains("NonRDFSource")));
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
    let r = s
        .req("GET", "/pics/blob.bin")
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/5000");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes[10..20].to_vec());
    let r = s
        .req("GET", "/pics/blob.bin")
        .header("range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes[4995..].to_vec());
    let r = s
        .req("GET", "/pics/blob.bin")
        .header("range", "bytes=9000-")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 416);
    // A large body (beyond the inline limit) round-trips too.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    s.req("PUT", "/pics/big.bin")
        .header("content-type", "image/x-test")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let r = s.req("GET", "/pics/big.bin").send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().to_vec(), big);
}

#[tokio::test]
async fn post_honours_slug_and_avoids_collisions() {
    let s = Server::start().await;
    let r = s
        .req("POST", "/inbox/")
        .header("content-type", "text/plain")
        .header("slug", "note.txt")
        .body("one")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let first = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(first, s.url("/inbox/note.txt"));
    let r = s
        .req("POST", "/inbox/")
        .header("content-type", "text/plain")
        .header("slug", "note.txt")
        .body("two")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let second = r.headers()["location"].to_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(second.starts_with(&s.url("/inbox/note.txt-")), "{second}");
    assert_eq!(
        s.signed("GET", &first)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "one"
    );
    // A container by Link header.
    let r = s
        .req("POST", "/")
        .header("content-type", "text/turtle")
        .header("slug", "photos")
        .header(
            "link",
            "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\"",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"].to_str().unwrap(), s.url("/photos/"));
    // No slug: a generated name. A slug cannot climb out.
    let r = s
        .req("POST", "/inbox/")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with(&s.url("/inbox/"))
    );
    let r = s
        .req("POST", "/inbox/")
        .header("content-type", "text/plain")
        .header("slug", "../../evil")
        .body("x")
        .send()
        .await
        .unwrap();
    let loc = r.headers()["location"].to_str().unwrap().to_owned();
    let name = loc.strip_prefix(&s.url("/inbox/")).unwrap();
    assert!(!name.is_empty() && !name.contains('/'), "{loc}");
    // POST to a document is not allowed; to a missing container is 404.
    let r = s
        .req("POST", "/profile/card")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(r.headers()["allow"].to_str().unwrap().contains("PUT"));
    assert_eq!(problem(r).await.0, 405);
    let r = s
        .req("POST", "/nowhere/")
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 404);
}

#[tokio::test]
async fn delete_rules() {
    let s = Server::start().await;
    s.put_turtle("/box/item.ttl", "").await;
    let r = s.req("DELETE", "/box/").send().await.unwrap();
    assert_eq!(problem(r).await.0, 409);
    let r = s.req("DELETE", "/").send().await.unwrap();
    assert!(!r.headers()["allow"].to_str().unwrap().contains("DELETE"));
    assert_eq!(problem(r).await.0, 405);
    let r = s.req("DELETE", "/.acl").send().await.unwrap();
    assert_eq!(problem(r).await.0, 405);
    // The .acl is auxiliary: it is not listed in the root.
    let (_, root) = s.get_text("/").await;
    assert!(!root.contains(".acl>"), "{root}");
    assert_eq!(
        s.req("DELETE", "/box/item.ttl")
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        s.req("GET", "/box/item.ttl").send().await.unwrap().status(),
        404
    );
    assert_eq!(s.req("DELETE", "/box/").send().await.unwrap().status(), 204);
    let (_, root) = s.get_text("/").await;
    assert!(!root.contains("/box/"));
    let r = s.req("DELETE", "/box/").send().await.unwrap();
    assert_eq!(problem(r).await.0, 404);
}

#[tokio::test]
async fn slash_semantics() {
    let s = Server::start().await;
    let r = s.req("GET", "/profile").send().await.unwrap();
    assert_eq!(r.status(), 301);
    assert_eq!(r.headers()["location"], s.url("/profile/").as_str());
    let r = s.put_turtle("/profile", "").await;
    assert_eq!(problem(r).await.0, 409);
    let r = s.put_turtle("/profile/card/x", "").await;
    assert_eq!(problem(r).await.0, 409);
    let r = s
        .client
        .get(format!("{}/alice", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301);
}

#[tokio::test]
async fn containment_triples_cannot_be_written() {
    let s = Server::start().await;
    let body = format!("<> <{LDP}contains> <fake> .");
    let r = s.put_turtle("/c/", &body).await;
    assert_eq!(problem(r).await.0, 409);
    // Other triples on a container are kept and shown.
    assert_eq!(
        s.put_turtle("/c/", "<> <http://purl.org/dc/terms/title> \"My things\" .")
            .await
            .status(),
        201
    );
    let (_, listing) = s.get_text("/c/").await;
    assert!(listing.contains("My things"));
    let patch = format!(
        "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts {{ <> <{LDP}contains> <x> . }}."
    );
    let r = s
        .req("PATCH", "/c/")
        .header("content-type", "text/n3")
        .body(patch)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 409);
}

const SOLID: &str =
    "@prefix solid: <http://www.w3.org/ns/solid/terms#>.\n@prefix ex: <http://example.org/>.\n";

async fn n3_patch(s: &Server, path: &str, patch: &str) -> reqwest::Response {
    s.req("PATCH", path)
        .header("content-type", "text/n3")
        .body(format!("{SOLID}{patch}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn n3_patch_rules() {
    let s = Server::start().await;
    // PATCH on a missing resource creates it.
    let r = n3_patch(
        &s,
        "/p.ttl",
        "_:p a solid:InsertDeletePatch; solid:inserts { <#a> ex:count 1 . <#b> ex:count 1 . }.",
    )
    .await;
    assert_eq!(r.status(), 201);
    // A where clause with exactly one binding.
    let r = n3_patch(&s, "/p.ttl", "_:p a solid:InsertDeletePatch; solid:where { <#a> ex:count ?n . }; solid:deletes { <#a> ex:count ?n . }; solid:inserts { <#a> ex:count 2 . }.").await;
    assert_eq!(r.status(), 204);
    let (_, body) = s.get_text("/p.ttl").await;
    let g = format!("{}", turtle(&body, &s.url("/p.ttl")));
    assert!(
        g.contains(&format!(
            "<{}#a> <http://example.org/count> \"2\"",
            s.url("/p.ttl")
        )),
        "{g}"
    );
    // No binding: 409. Two bindings: 409.
    let r = n3_patch(&s, "/p.ttl", "_:p a solid:InsertDeletePatch; solid:where { <#z> ex:count ?n . }; solid:inserts { <#z> ex:seen true . }.").await;
    assert_eq!(problem(r).await.0, 409);
    let r = n3_patch(&s, "/p.ttl", "_:p a solid:InsertDeletePatch; solid:where { ?x ex:count ?n . }; solid:inserts { ?x ex:seen true . }.").await;
    assert_eq!(problem(r).await.0, 409);
    // Deleting an absent triple: 409, and nothing changed.
    let r = n3_patch(&s, "/p.ttl", "_:p a solid:InsertDeletePatch; solid:deletes { <#a> ex:count 99 . }; solid:inserts { <#c> ex:x 1 . }.").await;
    assert_eq!(problem(r).await.0, 409);
    let (_, after) = s.get_text("/p.ttl").await;
    assert_eq!(after, body);
    // A variable only in inserts, or no patch resource: 422.
    let r = n3_patch(
        &s,
        "/p.ttl",
        "_:p a solid:InsertDeletePatch; solid:inserts { ?x ex:y 1 . }.",
    )
    .await;
    assert_eq!(problem(r).await.0, 422);
    let r = n3_patch(&s, "/p.ttl", "_:p solid:inserts { <#x> ex:y 1 . }.").await;
    assert_eq!(problem(r).await.0, 422);
    // Syntax error: 400 naming the line.
    let r = n3_patch(
        &s,
        "/p.ttl",
        "_:p a solid:InsertDeletePatch;\n solid:inserts { <#x> ex:y . }.",
    )
    .await;
    let (status, detail) = problem(r).await;
    assert_eq!(status, 400);
    assert!(detail.contains("line"), "{detail}");
    // Unknown patch format: 415 with Accept-Patch.
    let r = s
        .req("PATCH", "/p.ttl")
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(
        r.headers()["accept-patch"]
            .to_str()
            .unwrap()
            .contains("text/n3")
    );
    assert_eq!(problem(r).await.0, 415);
    // Non-RDF resources cannot be patched.
    s.req("PUT", "/plain.txt")
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    let r = n3_patch(
        &s,
        "/plain.txt",
        "_:p a solid:InsertDeletePatch; solid:inserts { <#x> ex:y 1 . }.",
    )
    .await;
    assert_eq!(problem(r).await.0, 415);
}

async fn sparql(s: &Server, path: &str, update: &str) -> reqwest::Response {
    s.req("PATCH", path)
        .header("content-type", "application/sparql-update")
        .body(format!("PREFIX ex: <http://example.org/>\n{update}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sparql_update_rules() {
    let s = Server::start().await;
    assert_eq!(
        sparql(&s, "/q.ttl", "INSERT DATA { <#a> ex:v 1 . <#b> ex:v 2 . }")
            .await
            .status(),
        201
    );
    assert_eq!(
        sparql(&s, "/q.ttl", "DELETE DATA { <#b> ex:v 2 . }")
            .await
            .status(),
        204
    );
    let r = sparql(&s, "/q.ttl", "DELETE DATA { <#b> ex:v 2 . }").await;
    assert_eq!(problem(r).await.0, 409);
    assert_eq!(
        sparql(
            &s,
            "/q.ttl",
            "DELETE { ?s ex:v ?o } INSERT { ?s ex:w ?o } WHERE { ?s ex:v ?o }"
        )
        .await
        .status(),
        204
    );
    let (_, body) = s.get_text("/q.ttl").await;
    let g = format!("{}", turtle(&body, &s.url("/q.ttl")));
    assert!(
        g.contains(&format!(
            "<{}#a> <http://example.org/w> \"1\"",
            s.url("/q.ttl")
        )),
        "{g}"
    );
    assert!(!g.contains("http://example.org/v"), "{g}");
    assert_eq!(
        sparql(&s, "/q.ttl", "DELETE WHERE { ?s ex:w ?o }")
            .await
            .status(),
        204
    );
    let r = sparql(
        &s,
        "/q.ttl",
        "INSERT { ?s ex:x 1 } WHERE { GRAPH ?g { ?s ?p ?o } }",
    )
    .await;
    assert_eq!(problem(r).await.0, 422);
    let r = sparql(&s, "/q.ttl", "INSERT DATA { <#a> ex:v ").await;
    assert_eq!(problem(r).await.0, 400);
}

#[tokio::test]
async fn cors_preflight_and_exposed_headers() {
    let s = Server::start().await;
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/profile/card"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "PUT")
        .header(
            "access-control-request-headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        r.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("PUT")
    );
    assert!(
        r.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("authorization")
    );
    let r = s
        .req("GET", "/profile/card")
        .header("origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let exposed = r.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    for h in [
        "link",
        "etag",
        "allow",
        "accept-patch",
        "wac-allow",
        "location",
    ] {
        assert!(exposed.contains(h), "{h} not exposed: {exposed}");
    }
}

#[tokio::test]
async fn options_head_and_unknown_methods() {
    let s = Server::start().await;
    let r = s
        .client
        .request(reqwest::Method::OPTIONS, s.url("/inbox/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(r.headers()["allow"].to_str().unwrap().contains("POST"));
    assert!(r.headers().contains_key("accept-post"));
    assert!(
        r.headers()["accept-patch"]
            .to_str()
            .unwrap()
            .contains("application/sparql-update")
    );
    let get = s.req("GET", "/profile/card").send().await.unwrap();
    let len = get.headers()["content-length"].clone();
    let head = s.req("HEAD", "/profile/card").send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-length"], len);
    assert_eq!(head.headers()["etag"], get.headers()["etag"]);
    assert!(head.bytes().await.unwrap().is_empty());
    let r = s.req("PROPFIND", "/profile/card").send().await.unwrap();
    assert!(r.headers().contains_key("allow"));
    assert_eq!(problem(r).await.0, 405);
}

#[tokio::test]
async fn bodies_above_the_limit_are_refused() {
    let s = Server::start_with(|o| o.max_body_bytes = 1000).await;
    let r = s
        .req("PUT", "/big.bin")
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; 5000])
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 413);
    // Without Content-Length (chunked), the limit still holds.
    let addr = s.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let chunk = "x".repeat(600);
    let proof = s
        .key
        .proof("PUT", &s.url("/big.bin"), Some(&s.token), common::now());
    let req = format!(
        "PUT /alice/big.bin HTTP/1.1\r\nHost: {addr}\r\nAuthorization: DPoP {}\r\nDPoP: {proof}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n258\r\n{chunk}\r\n258\r\n{chunk}\r\n0\r\n\r\n",
        s.token
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    assert_eq!(s.req("GET", "/big.bin").send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn unicode_and_percent_encoded_paths_name_one_resource() {
    let s = Server::start().await;
    let r = s
        .req("PUT", "/caf%C3%A9/men%C3%BC%20du%20jour.txt")
        .header("content-type", "text/plain")
        .body("crêpes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = s
        .req("GET", "/caf%c3%a9/men%c3%bc%20du%20jour.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "crêpes");
    let (_, listing) = s.get_text("/caf%C3%A9/").await;
    assert!(
        listing.contains(&s.url("/caf%C3%A9/men%C3%BC%20du%20jour.txt")),
        "{listing}"
    );
    // A literal colon and a percent-encoded one are the same name.
    s.req("PUT", "/a:b")
        .header("content-type", "text/plain")
        .body("colon")
        .send()
        .await
        .unwrap();
    let r = s.req("GET", "/a%3Ab").send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), "colon");
}

/// Sends a request line as written, bypassing the client's URL normalisation.
async fn raw_status(s: &Server, method: &str, path: &str) -> (u16, String) {
    let addr = s.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).await.unwrap();
    let status = out.split(' ').nth(1).unwrap().parse().unwrap();
    (status, out)
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let s = Server::start().await;
    for path in [
        "/alice/../alice/profile/card",
        "/alice/inbox/../profile/card",
        "/alice/inbox/%2e%2e/profile/card",
        "/alice/inbox/%2E%2E/x",
        "/alice/a%2Fb",
        "/alice/a%2fb",
        "/alice/a%5c..%5cb",
        "/alice/./profile/card",
        "/alice//profile/card",
        "/../etc/passwd",
    ] {
        for method in ["GET", "PUT"] {
            let (status, raw) = raw_status(&s, method, path).await;
            assert_eq!(status, 400, "{method} {path}: {raw}");
            assert!(raw.contains("application/problem+json"), "{raw}");
        }
    }
    // Nothing was written anywhere.
    let (_, root) = s.get_text("/").await;
    assert!(!root.contains("etc") && !root.contains("a%2F"));
}

// ------------------------------------------------------------------ the framework's own refusals (issue 10)

/// The body of an OAuth error (RFC 6749 §5.2): its `error` code and a sentence.
async fn oauth_error(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    assert!(
        response
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "an OAuth error is JSON"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    let description = body["error_description"].as_str().unwrap().to_owned();
    assert!(description.len() > 10, "a sentence: {description}");
    (
        status,
        body["error"].as_str().unwrap().to_owned(),
        description,
    )
}

#[tokio::test]
async fn the_energy_api_without_fluid_answers_problem_json_not_text_plain() {
    let s = Server::start().await;
    let r = s
        .req("GET", "/selfdata/energy/api/summary")
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 400);
    assert!(
        detail.contains("`fluid`"),
        "names the missing field: {detail}"
    );
}

#[tokio::test]
async fn idp_token_without_grant_type_answers_an_oauth_400_json_error() {
    let s = Server::start().await;
    let r = s
        .client
        .post(format!("{}/idp/token", s.base))
        .form(&[("client_id", s.client_id.as_str())])
        .send()
        .await
        .unwrap();
    let (status, error, _) = oauth_error(r).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
}

#[tokio::test]
async fn idp_token_with_a_wrong_method_answers_an_oauth_json_error() {
    let s = Server::start().await;
    let r = s
        .client
        .get(format!("{}/idp/token", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers().get("allow").unwrap(), "POST");
    let (status, error, description) = oauth_error(r).await;
    assert_eq!((status, error.as_str()), (405, "invalid_request"));
    assert!(description.contains("GET"), "{description}");
}

#[tokio::test]
async fn the_authorization_endpoint_with_a_repeated_parameter_answers_an_oauth_400() {
    // RFC 6749 §3.1: parameters must not be sent more than once.
    let s = Server::start().await;
    let r = s
        .client
        .get(format!(
            "{}/idp/authorize?response_type=code&client_id=a&client_id=b",
            s.base
        ))
        .send()
        .await
        .unwrap();
    let (status, error, description) = oauth_error(r).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request"));
    assert!(description.contains("client_id"), "{description}");
}

#[tokio::test]
async fn a_bad_form_answers_problem_json_not_text_plain() {
    let s = Server::start().await;
    let r = s
        .client
        .post(format!("{}/account/login", s.base))
        .form(&[("email", "alice@example.org")])
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 422);
    assert!(detail.contains("form"), "{detail}");
    let r = s
        .client
        .post(format!("{}/account/login", s.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 415);
    assert!(
        detail.contains("application/x-www-form-urlencoded"),
        "{detail}"
    );
}

#[tokio::test]
async fn a_wrong_method_on_a_page_answers_problem_json_with_allow() {
    let s = Server::start().await;
    let r = s
        .client
        .delete(format!("{}/account/login", s.base))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("allow").is_some());
    let (status, detail) = problem(r).await;
    assert_eq!(status, 405);
    assert!(detail.contains("DELETE"), "{detail}");
}

#[tokio::test]
async fn an_unknown_path_outside_pods_answers_problem_json() {
    let s = Server::start().await;
    for path in [
        "/idp/nowhere",
        "/.well-known/nowhere",
        "/account/nowhere/at/all",
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        let (status, _) = problem(r).await;
        assert!(status == 404 || status == 401, "{path}: {status}");
    }
}

/// Conformance finding (issue 16): a Solid client library with no session
/// sends `Authorization: DPoP ` and an empty `DPoP:`; that is an anonymous
/// request (a public resource is served), while credentials that are sent
/// but wrong still get a 401 whose challenge says `invalid_token`.
#[tokio::test]
async fn conformance_empty_credentials_are_anonymous_and_invalid_ones_say_invalid_token() {
    let s = Server::start().await;
    let empty = |path: &str, scheme: &'static str| {
        s.client
            .get(s.url(path))
            .header("authorization", scheme)
            .header("dpop", "")
    };
    for scheme in ["dpop ", "DPoP", "Bearer ", ""] {
        let card = empty("/profile/card", scheme).send().await.unwrap();
        assert_eq!(card.status(), 200, "{scheme:?} on the public profile");
        let root = empty("/", scheme).send().await.unwrap();
        let challenge = root.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(problem(root).await.0, 401, "{scheme:?} on the private root");
        assert!(
            !challenge.contains("error="),
            "no credentials, no error: {challenge}"
        );
    }
    let wrong = s
        .client
        .get(s.url("/profile/card"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    let challenge = wrong.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(problem(wrong).await.0, 401);
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    let half = s
        .client
        .get(s.url("/profile/card"))
        .header("authorization", "DPoP")
        .header("dpop", "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
        .send()
        .await
        .unwrap();
    assert_eq!(
        problem(half).await.0,
        401,
        "a proof with no token is refused"
    );
}

/// Conformance finding (issue 16): a 406 on a file that is not RDF names
/// the file's own type, not the RDF types it could never be sent as.
#[tokio::test]
async fn conformance_a_406_on_a_file_names_its_own_type() {
    let s = Server::start().await;
    let put = s
        .req("PUT", "/photo.png")
        .header("content-type", "image/png")
        .body(&b"\x89PNG\r\n\x1a\n"[..])
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let r = s
        .req("GET", "/photo.png")
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 406);
    assert!(detail.contains("image/png"), "{detail}");
    assert!(!detail.contains("text/turtle"), "{detail}");
}

/// Conformance findings (issue 16), from SolidOS: "new folder" PUTs the
/// folder's address with an empty body and no Content-Type (a folder is
/// made; a body without a type is still refused), and the `.meta` every
/// resource advertises with `rel="describedby"` answers, empty, not 404.
#[tokio::test]
async fn conformance_an_empty_untyped_put_makes_a_folder_and_its_description_answers() {
    let s = Server::start().await;
    let made = s.req("PUT", "/notes/").send().await.unwrap();
    assert_eq!(made.status(), 201);
    let folder = s.req("GET", "/notes/").send().await.unwrap();
    assert_eq!(folder.status(), 200);
    assert!(links(&folder).iter().any(|l| l.contains("BasicContainer")));
    let untyped = s
        .req("PUT", "/other/")
        .body("<#a> <#b> <#c> .")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(untyped).await.0, 400);
    let untyped_doc = s.req("PUT", "/doc").send().await.unwrap();
    assert_eq!(
        problem(untyped_doc).await.0,
        400,
        "a document still needs a type"
    );

    let described = links(&s.req("GET", "/notes/").send().await.unwrap())
        .into_iter()
        .find(|l| l.contains("describedby"))
        .unwrap();
    assert!(described.contains("/notes/.meta"), "{described}");
    for accept in ["text/turtle", "application/ld+json"] {
        let meta = s
            .req("GET", "/notes/.meta")
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(meta.status(), 200, "{accept}");
        assert_eq!(meta.headers()["content-type"], accept);
        let body = meta.bytes().await.unwrap();
        let format = RdfFormat::from_media_type(accept).unwrap();
        let g = selfdata_rdf::parse(&body, format, &s.url("/notes/.meta")).unwrap();
        assert!(g.is_empty());
    }
    let nothing = s.req("GET", "/nowhere/.meta").send().await.unwrap();
    assert_eq!(
        problem(nothing).await.0,
        404,
        "no description for what does not exist"
    );
}

/// Conformance finding (issue 16): the storage description is public. A
/// client given one shared document must discover the storage's services
/// without Read on the pod's root; it names nothing of the pod's content.
#[tokio::test]
async fn conformance_the_storage_description_is_readable_without_signing_in() {
    let s = Server::start().await;
    let desc = s
        .client
        .get(s.url("/.well-known/solid"))
        .send()
        .await
        .unwrap();
    assert_eq!(desc.status(), 200);
    let text = desc.text().await.unwrap();
    assert!(
        text.contains("pim:Storage") || text.contains("pim/space#Storage"),
        "{text}"
    );
    assert!(
        !text.contains("profile/card"),
        "nothing of the pod's content: {text}"
    );
    let root = s.client.get(s.url("/")).send().await.unwrap();
    assert_eq!(problem(root).await.0, 401, "the pod itself stays private");
}

/// Conformance finding (issue 16): a stored web page's RDFa is offered as
/// Turtle and JSON-LD (the conformance suite's "Get RDFa" tests), while a
/// browser, `*/*` or no `Accept` still gets the page itself, untouched.
#[tokio::test]
async fn conformance_rdfa_in_a_stored_page_is_offered_as_turtle_and_json_ld() {
    let s = Server::start().await;
    let page = include_str!("../../../rdf/tests/rdfa/conformance-suite.xhtml");
    let expected_nt = include_str!("../../../rdf/tests/rdfa/conformance-suite.nt");
    let url = s.url("/people/example.html");
    let put = s
        .req("PUT", "/people/example.html")
        .header("content-type", "application/xhtml+xml; charset=utf-8")
        .body(page)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success(), "{}", put.status());
    let mut expected = selfdata_rdf::parse(
        expected_nt
            .replace("http://pod.example/people/page.html", &url)
            .replace(
                "http://pod.example/people/about.htm",
                &s.url("/people/about.htm"),
            )
            .as_bytes(),
        RdfFormat::NTriples,
        &url,
    )
    .unwrap();
    expected.canonicalize(Default::default());
    for format in [RdfFormat::Turtle, RdfFormat::JsonLd] {
        let r = s
            .req("GET", "/people/example.html")
            .header("accept", format.media_type())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{format}");
        assert_eq!(r.headers()["content-type"], format.media_type());
        let mut got = selfdata_rdf::parse(&r.bytes().await.unwrap(), format, &url).unwrap();
        got.canonicalize(Default::default());
        assert_eq!(got, expected, "{format}");
    }
    for accept in [
        None,
        Some("*/*"),
        Some("text/html,application/xhtml+xml;q=0.9"),
    ] {
        let mut request = s.req("GET", "/people/example.html");
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/xhtml+xml"),
            "{accept:?}"
        );
        assert_eq!(r.text().await.unwrap(), page, "{accept:?}");
    }
    let r = s
        .req("GET", "/people/example.html")
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 406);
    assert!(
        detail.contains("application/xhtml+xml") && detail.contains("text/turtle"),
        "{detail}"
    );
}

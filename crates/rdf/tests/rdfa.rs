//! RDFa extraction tested as data: each page in `tests/rdfa/` (`.html` or
//! `.xhtml`) beside the triples it states (`.nt`), read as if stored at
//! `http://pod.example/people/page.html`.

use selfdata_rdf::oxrdf::Graph;
use selfdata_rdf::oxrdf::dataset::CanonicalizationAlgorithm;
use selfdata_rdf::rdfa::parse_rdfa;
use selfdata_rdf::{Limits, RdfFormat, parse, serialize};
use std::path::PathBuf;

const BASE: &str = "http://pod.example/people/page.html";

fn canonical(mut graph: Graph) -> Graph {
    graph.canonicalize(CanonicalizationAlgorithm::Unstable);
    graph
}

fn n_triples(graph: &Graph) -> String {
    let bytes = serialize(graph, RdfFormat::NTriples, BASE).expect("serialises");
    let mut lines: Vec<String> = String::from_utf8(bytes)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn each_page_states_the_triples_beside_it() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/rdfa");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/rdfa exists")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html" || e == "xhtml"))
        .collect();
    pages.sort();
    assert!(pages.len() >= 3, "fixtures missing in {}", dir.display());
    for page in pages {
        let html = std::fs::read(&page).expect("readable page");
        let expected = std::fs::read(page.with_extension("nt")).expect("an .nt beside each page");
        let got = parse_rdfa(&html, BASE, Limits::DEFAULT_DOCUMENT_TRIPLES)
            .unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        let expected = parse(&expected, RdfFormat::NTriples, BASE).expect("expected triples parse");
        let (got, expected) = (canonical(got), canonical(expected));
        assert!(
            got == expected,
            "{}\n--- got\n{}\n--- expected\n{}",
            page.display(),
            n_triples(&got),
            n_triples(&expected)
        );
    }
}

#[test]
fn a_page_stating_too_many_triples_is_refused_with_a_sentence() {
    let mut page = String::from("<html><body vocab=\"http://schema.org/\">");
    for i in 0..50 {
        page.push_str(&format!("<p property=\"name\">{i}</p>"));
    }
    page.push_str("</body></html>");
    let error = parse_rdfa(page.as_bytes(), BASE, 10).expect_err("over the limit");
    assert!(
        error.to_string().contains("more than 10 triples"),
        "{error}"
    );
    assert_eq!(
        parse_rdfa(page.as_bytes(), BASE, 50)
            .expect("at the limit")
            .len(),
        50
    );
}

#[test]
fn deep_nesting_is_flattened_not_a_stack_overflow() {
    let depth = 100_000;
    let mut page = "<div>".repeat(depth);
    page.push_str("<span property=\"http://example.org/p\">deep</span>");
    page.push_str(&"</div>".repeat(depth));
    let graph = parse_rdfa(page.as_bytes(), BASE, 10).expect("reads");
    assert_eq!(graph.len(), 1);
}

#[test]
fn a_page_without_rdfa_states_nothing_and_garbage_never_panics() {
    for page in [
        &b"<html><body><p>Hello</p></body></html>"[..],
        b"",
        b"\xff\xfe<<<>>>&&&;;<a href=",
        b"<a rel=\"x:y\" href=\"http://[::1\"></a>",
        b"<p property=\"_:x\" about=\"[\">t</p>",
    ] {
        let graph = parse_rdfa(page, BASE, 10).expect("reads");
        assert!(graph.is_empty(), "{:?}", String::from_utf8_lossy(page));
    }
}

#[test]
fn nested_properties_cannot_multiply_the_text_of_a_page() {
    let text = "x".repeat(100_000);
    let mut page = r#"<div property="http://example.org/p">"#.repeat(50);
    page.push_str(&text);
    page.push_str(&"</div>".repeat(50));
    let error = parse_rdfa(page.as_bytes(), BASE, 1_000).expect_err("50 copies of the text");
    assert!(error.to_string().contains("text"), "{error}");
    // Two levels, as an honest page has (a description holding a name), read.
    let honest = format!(
        r#"<div property="http://example.org/d"><span property="http://example.org/n">{text}</span></div>"#
    );
    assert_eq!(
        parse_rdfa(honest.as_bytes(), BASE, 10)
            .expect("reads")
            .len(),
        2
    );
}

#[test]
fn a_page_of_too_many_elements_is_refused_not_held() {
    let page = "<a>".repeat(selfdata_rdf::rdfa::MAX_ELEMENTS + 1);
    let error = parse_rdfa(page.as_bytes(), BASE, 10).expect_err("too many elements");
    assert!(error.to_string().contains("elements"), "{error}");
}

//! The pod archive reader against hostile tar files (issue 9, low finding on
//! `pod import`): a header declaring a terabyte, a GNU long name declaring
//! one, truncated archives, and manifests whose media types would make an
//! ACL or a container something else than RDF, or carry control characters.
//! Each is refused with a sentence, without allocating what a header claims,
//! and the checks of `selfdata_privacy_web::export::fuzzing::check_tar` hold.
//!
//! The nasty archives are built here, by [`nasty_cases`], and committed in
//! `tests/corpus/tar/` (the `tar_import` fuzz target's seed corpus);
//! `the_committed_corpus_is_what_the_generator_writes` keeps both in step,
//! regenerate with `cargo test -p selfdata-web --test archives -- --ignored`.

use std::path::{Path, PathBuf};

use selfdata_privacy_web::export::fuzzing::check_tar;
use selfdata_privacy_web::export::{PortabilityError, check_archive, tar};
use sha2::{Digest, Sha256};

/// A tar of `(name, body)` files, with fixed dates.
fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        builder.append_data(&mut header, name, *body).unwrap();
    }
    builder.into_inner().unwrap()
}

/// One header of `kind` declaring `size` bytes, a little data, and the end.
fn claiming(kind: tar::EntryType, name: &str, size: u64) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_path(name).unwrap();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(1_700_000_000);
    header.set_cksum();
    let mut out = header.as_bytes().to_vec();
    out.extend(std::iter::repeat_n(b'x', 512));
    out.extend([0u8; 1024]);
    out
}

fn hex_sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// A minimal, intact export: the root container, its ACL and one document,
/// with the given media types (as Turtle string contents, escapes allowed).
fn export(acl_type: &str, doc_type: &str) -> Vec<u8> {
    let acl = b"@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n<#owner> a acl:Authorization; acl:agent <https://pod.example/alice/profile/card#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n";
    let doc = b"<html><script>alert(1)</script></html>";
    let empty = hex_sha(b"");
    let manifest = format!(
        r#"@prefix sd: <https://selfdata.example/ns#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
[] a sd:PodExport ; sd:formatVersion 1 ; sd:pod "alice" ; sd:server "https://pod.example" ; sd:owner "https://pod.example/alice/profile/card#me" .
[] a sd:Resource ; sd:path "/" ; dcterms:format "text/turtle" ; sd:size 0 ; sd:sha256 "{empty}" ; sd:container true ; sd:acl "/.acl" .
[] a sd:Resource ; sd:path "/.acl" ; dcterms:format "{acl_type}" ; sd:size {} ; sd:sha256 "{}" ; sd:container false ; sd:file "resources/.acl" .
[] a sd:Resource ; sd:path "/page" ; dcterms:format "{doc_type}" ; sd:size {} ; sd:sha256 "{}" ; sd:container false ; sd:file "resources/page" ; sd:inheritsAcl "/.acl" .
"#,
        acl.len(),
        hex_sha(acl),
        doc.len(),
        hex_sha(doc),
    );
    tar_of(&[
        ("manifest.ttl", manifest.as_bytes()),
        ("resources/.acl", acl),
        ("resources/page", doc),
    ])
}

/// The committed nasty archives: file name (in `tests/corpus/tar/`) and bytes.
fn nasty_cases() -> Vec<(&'static str, Vec<u8>)> {
    let intact = export("text/turtle", "text/html");
    vec![
        (
            "huge_declared_size.tar",
            claiming(tar::EntryType::Regular, "README.md", 1 << 40),
        ),
        (
            "huge_declared_size_max.tar",
            claiming(tar::EntryType::Regular, "manifest.ttl", u64::MAX >> 1),
        ),
        (
            "huge_gnu_long_name.tar",
            claiming(tar::EntryType::GNULongName, "././@LongLink", 1 << 40),
        ),
        ("truncated_header.tar", intact[..700].to_vec()),
        ("truncated_body.tar", intact[..intact.len() - 1100].to_vec()),
        ("intact_export.tar", intact),
        ("acl_as_html.tar", export("text/html", "text/html")),
        (
            "media_type_crlf.tar",
            export("text/turtle", r"text/plain\r\nX-Injected: 1"),
        ),
        (
            "media_type_not_a_type.tar",
            export("text/turtle", "not a media type"),
        ),
    ]
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tar")
}

fn case(name: &str) -> Vec<u8> {
    nasty_cases()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn refusal(bytes: &[u8]) -> String {
    match check_archive(bytes) {
        Err(PortabilityError::Archive(sentence)) => sentence,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_tar_entry_declaring_a_terabyte_is_refused_without_allocating_it() {
    for name in ["huge_declared_size.tar", "huge_declared_size_max.tar"] {
        let sentence = refusal(&case(name));
        assert!(sentence.contains("declares"), "{name}: {sentence}");
    }
    let sentence = refusal(&case("huge_gnu_long_name.tar"));
    assert!(sentence.len() > 20, "{sentence}");
}

#[test]
fn truncated_archives_are_refused() {
    for name in ["truncated_header.tar", "truncated_body.tar"] {
        let sentence = refusal(&case(name));
        assert!(
            sentence.contains("damaged or truncated") || sentence.contains("missing"),
            "{name}: {sentence}"
        );
    }
}

#[test]
fn an_acl_listed_as_html_is_refused() {
    let sentence = refusal(&case("acl_as_html.tar"));
    assert!(sentence.contains("/.acl holds RDF"), "{sentence}");
}

#[test]
fn media_types_with_control_characters_or_no_type_are_refused() {
    for name in ["media_type_crlf.tar", "media_type_not_a_type.tar"] {
        let sentence = refusal(&case(name));
        assert!(
            sentence.contains("is not a media type"),
            "{name}: {sentence}"
        );
    }
}

#[test]
fn an_intact_archive_is_read_with_its_media_types_re_derived() {
    let checked = check_archive(&case("intact_export.tar")).unwrap();
    let types: Vec<(String, String)> = checked
        .resources()
        .map(|(p, t, _)| (p.to_string(), t.to_owned()))
        .collect();
    assert_eq!(
        types,
        [
            ("/".to_owned(), "text/turtle".to_owned()),
            ("/.acl".to_owned(), "text/turtle".to_owned()),
            ("/page".to_owned(), "text/html".to_owned()),
        ]
    );
    let upper = export("TEXT/Turtle; charset=utf-8", "Text/Plain; charset=UTF-8");
    let checked = check_archive(&upper).unwrap();
    let types: Vec<&str> = checked.resources().map(|(_, t, _)| t).collect();
    assert_eq!(
        types,
        ["text/turtle", "text/turtle", "text/plain; charset=utf-8"]
    );
}

#[test]
fn every_nasty_case_keeps_the_caps() {
    for (name, bytes) in nasty_cases() {
        let result = std::panic::catch_unwind(|| check_tar(&bytes));
        assert!(result.is_ok(), "{name}");
    }
}

#[test]
fn the_corpus_keeps_the_caps() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check_tar(&bytes));
        assert!(result.is_ok(), "{}", path.display());
        n += 1;
    }
    assert!(n >= 9, "only {n} files");
}

#[test]
fn the_committed_corpus_is_what_the_generator_writes() {
    for (name, bytes) in nasty_cases() {
        let committed = std::fs::read(corpus().join(name))
            .unwrap_or_else(|e| panic!("{name}: {e} (run the ignored write_corpus test)"));
        assert!(
            committed == bytes,
            "{name} differs from what the generator writes"
        );
    }
}

/// Writes the nasty archives into `tests/corpus/tar/`.
#[test]
#[ignore = "writes files; run by hand after changing the generator"]
fn write_corpus() {
    std::fs::create_dir_all(corpus()).unwrap();
    for (name, bytes) in nasty_cases() {
        std::fs::write(corpus().join(name), bytes).unwrap();
    }
}

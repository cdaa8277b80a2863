//! Issue 18, upgrades: a data folder written by an earlier version (kept as
//! a fixture, `tests/fixtures/data-format-1/`, one per released format)
//! opens and reads as it was written; a folder of the versions before the
//! format file is brought forward; a folder of a newer format is refused by
//! this binary with a sentence, and nothing in it changes.
//!
//! A new format adds its fixture (`cargo test -p selfdata --test app --
//! --ignored write_data_format_fixture`, then rename the folder) and keeps
//! the older ones: each must still open.

use std::path::{Path, PathBuf};

use bytes::Bytes;

use crate::erasure::copy_tree;
use selfdata::{App, Options};
use selfdata_store::{Backend, PodName, Precondition, ResourcePath, Write};

const EMAIL: &str = "camille@example.org";
const PASSWORD: &str = "written by format one";
const NOTE: &str = "@prefix s: <http://schema.org/>.\n<#me> s:name \"Camille\".\n";

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/data-format-1")
}

/// Every file of a folder with its bytes, to see that nothing changed.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(contents(&path));
        } else {
            out.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    out.sort();
    out
}

async fn reads_as_written(dir: &Path) {
    let app = App::open(Options::new(dir, "http://127.0.0.1:8000"))
        .await
        .expect("the folder opens");
    let pod = PodName::parse("camille").unwrap();
    let (meta, body) = app
        .store
        .get(&pod, &ResourcePath::parse("/notes/hello.ttl").unwrap())
        .await
        .unwrap()
        .expect("the note is there");
    assert_eq!(meta.content_type, "text/turtle");
    assert_eq!(&body[..], NOTE.as_bytes());
    app.idp
        .check_login("test", EMAIL, PASSWORD, "")
        .await
        .expect("the account signs in");
    assert_eq!(
        selfdata_store::format::read(dir).unwrap(),
        Some(selfdata_store::format::DATA_FORMAT)
    );
}

#[tokio::test]
async fn a_data_folder_of_format_1_opens_and_reads_as_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    reads_as_written(dir.path()).await;
}

#[tokio::test]
async fn a_data_folder_from_before_the_format_file_is_brought_forward() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    std::fs::remove_file(dir.path().join("format")).unwrap();
    reads_as_written(dir.path()).await;
}

#[test]
fn a_data_folder_of_a_newer_format_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(), dir.path());
    std::fs::write(
        dir.path().join("format"),
        "selfdata data folder, format 99\n",
    )
    .unwrap();
    let before = contents(dir.path());
    let (ok, _, said) = crate::e2e::try_run(dir.path(), &["pod", "list"]);
    assert!(!ok);
    assert!(
        said.contains("written by a newer selfdata (format 99; this one reads formats up to 1)"),
        "{said}"
    );
    // The lock file is the only one a refused opener may create.
    let after: Vec<_> = contents(dir.path())
        .into_iter()
        .filter(|(p, _)| p.file_name().is_some_and(|n| n != "lock"))
        .collect();
    assert_eq!(after, before, "a newer folder was changed");
}

/// Writes the fixture of the current format (run by hand when the format
/// changes; see the module's comment).
#[tokio::test]
#[ignore]
async fn write_data_format_fixture() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/fixtures/data-format-{}",
        selfdata_store::format::DATA_FORMAT
    ));
    let _ = std::fs::remove_dir_all(&dir);
    {
        let app = App::open(Options::new(&dir, "http://127.0.0.1:8000"))
            .await
            .unwrap();
        let pod = PodName::parse("camille").unwrap();
        app.idp.create_account(EMAIL, PASSWORD, &pod).await.unwrap();
        app.store
            .write(
                &pod,
                Write::Put {
                    path: ResourcePath::parse("/notes/hello.ttl").unwrap(),
                    content_type: "text/turtle".into(),
                    body: Bytes::from_static(NOTE.as_bytes()),
                    precondition: Precondition::None,
                },
            )
            .await
            .unwrap();
    }
    // What every open makes again, and the disk-full reserve (8 MiB).
    for made in ["lock", "reserve", "spool"] {
        let path = dir.join(made);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir_all(&path);
    }
}

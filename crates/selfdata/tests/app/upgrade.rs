//! Issue 18, upgrades: a data folder written by an earlier version (kept as
//! a fixture, `tests/fixtures/data-format-N/`, one per released format)
//! opens and reads as it was written, the folder as it was kept beside it
//! before it is brought forward; a folder of the versions before the
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
use selfdata_store::{PodName, Precondition, ResourcePath, Write};

const EMAIL: &str = "camille@example.org";
const PASSWORD: &str = "written by format one";
const NOTE: &str = "@prefix s: <http://schema.org/>.\n<#me> s:name \"Camille\".\n";

fn fixture(format: u32) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/data-format-{format}"))
}

/// What format 2 added, written into its fixture.
const SUSPENSION_REASON: &str = "written by format two";
const QUOTA: u64 = 3 * 1024 * 1024;

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

/// Checks a folder made from the fixture of `format`, now opened by this binary.
async fn reads_as_written(dir: &Path, format: u32) {
    let app = App::open(Options::new(dir, "http://127.0.0.1:8000"))
        .await
        .expect("the folder opens");
    let pod = PodName::parse("camille").unwrap();
    if format >= 2 {
        // The operator's audit log and the pod's own quota are there.
        let actions = app.store.operator_actions(None, 10).await.unwrap();
        assert_eq!(actions.len(), 3);
        assert_eq!(actions[2].detail, SUSPENSION_REASON);
        let usage = app.store.usage(&pod).await.unwrap();
        assert_eq!((usage.quota, usage.own_quota), (QUOTA, true));
    }
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
async fn a_data_folder_of_format_1_opens_and_reads_as_written_and_is_kept_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(1), dir.path());
    let before = contents(dir.path());
    reads_as_written(dir.path(), 1).await;
    // The folder as format 1 wrote it, byte for byte, beside the upgraded one.
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("before-upgrade"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let name = kept[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("format-1-"), "{name}");
    let strip = |files: Vec<(PathBuf, Vec<u8>)>, root: &Path| -> Vec<(PathBuf, Vec<u8>)> {
        files
            .into_iter()
            .map(|(p, b)| (p.strip_prefix(root).unwrap().to_owned(), b))
            .collect()
    };
    assert_eq!(
        strip(contents(&kept[0]), &kept[0]),
        strip(before, dir.path()),
        "the kept copy differs from the folder before the upgrade"
    );
    // Its host database is format 1's: an older selfdata opens it as it was.
    assert_eq!(selfdata_store::format::read(&kept[0]).unwrap(), Some(1));
    // The upgraded folder opens again without a second copy.
    reads_as_written(dir.path(), 1).await;
    assert_eq!(
        std::fs::read_dir(dir.path().join("before-upgrade"))
            .unwrap()
            .count(),
        1
    );
}

#[tokio::test]
async fn a_data_folder_of_format_2_opens_and_reads_as_written() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(2), dir.path());
    reads_as_written(dir.path(), 2).await;
    assert!(
        !dir.path().join("before-upgrade").exists(),
        "nothing to upgrade"
    );
}

#[tokio::test]
async fn a_data_folder_from_before_the_format_file_is_brought_forward() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(1), dir.path());
    std::fs::remove_file(dir.path().join("format")).unwrap();
    reads_as_written(dir.path(), 1).await;
}

#[test]
fn a_data_folder_of_a_newer_format_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixture(2), dir.path());
    std::fs::write(
        dir.path().join("format"),
        "selfdata data folder, format 99\n",
    )
    .unwrap();
    let before = contents(dir.path());
    let (ok, _, said) = crate::e2e::try_run(dir.path(), &["pod", "list"]);
    assert!(!ok);
    assert!(
        said.contains("written by a newer selfdata (format 99; this one reads formats up to 2)"),
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
        // What format 2 added.
        let account = { app.store.account_by_email(EMAIL).await.unwrap().unwrap() };
        app.idp
            .suspend_account("ops@city.example", &account, SUSPENSION_REASON)
            .await
            .unwrap();
        app.idp
            .restore_account("ops@city.example", &account)
            .await
            .unwrap();
        app.idp
            .set_pod_quota("ops@city.example", &pod, Some(QUOTA))
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

//! `selfdata migrate`: the demo installation (its pod with a year of
//! energy, money and trips, its account, a holder, a study's roles) copied
//! from its data folder to PostgreSQL and back into a new folder with the
//! command line; every resource and record identical at the end. Needs
//! `SELFDATA_TEST_POSTGRES`.

use std::process::Command;

use selfdata::{App, Options};
use selfdata_store::copy::check_pod;
use selfdata_store::sqlite::SqliteBackend;
use selfdata_store::{Backend, Directory, HolderRegistry, PodName, StudyRegistry};

const BIN: &str = env!("CARGO_BIN_EXE_selfdata");

fn selfdata(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("SELFDATA_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "selfdata {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// 13 September 2020, 12:26:40 UTC.
const LONG_AGO: i64 = 1_600_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_installation_goes_to_postgresql_and_back_resource_by_resource() {
    let dir = tempfile::tempdir().unwrap();
    let (source, back) = (dir.path().join("source"), dir.path().join("back"));
    let demo = PodName::parse("demo").unwrap();
    {
        let mut options = Options::new(&source, "http://127.0.0.1:8000");
        options.today = Some(jiff::civil::date(2026, 10, 15));
        let app = App::open(options).await.unwrap();
        app.demo("demo@selfdata.local", "a long demo password", &demo, 1)
            .await
            .unwrap();
        // A resource last changed long ago: the copies keep its time.
        app.store
            .write(
                &demo,
                selfdata_store::Write::Restamp {
                    path: selfdata_store::ResourcePath::parse("/profile/card").unwrap(),
                    modified_ms: LONG_AGO,
                },
            )
            .await
            .unwrap();
        let second = PodName::parse("second").unwrap();
        app.create_pod(&second).await.unwrap();
        app.store.set_quota(&second, Some(5_000_000)).await.unwrap();
        // An erased pod: its name must never be given again, there either.
        let gone = PodName::parse("gone").unwrap();
        app.create_pod(&gone).await.unwrap();
        app.store.delete_pod(&gone).await.unwrap();
    }
    let url = selfdata_store::postgres::testing::fresh_database();
    let source_arg = source.to_str().unwrap();
    let said = selfdata(&["--data", source_arg, "migrate", "--to-database", &url]);
    assert!(said.contains("pod demo:"), "{said}");
    assert!(said.contains("Migrated 2 pods and 1 accounts"), "{said}");
    // A second migration into the same database is refused, nothing written.
    let again = Command::new(BIN)
        .args(["--data", source_arg, "migrate", "--to-database", &url])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already holds 2 pods"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let source_key = selfdata_store::crypto::default_key_file(&source);
    let master = selfdata_store::crypto::MasterKey::read_file(&source_key).unwrap();

    // And back, into a new folder.
    let said = selfdata(&[
        "--data",
        source_arg,
        "--database-url",
        &url,
        "migrate",
        "--to-data",
        back.to_str().unwrap(),
    ]);
    assert!(said.contains("Migrated 2 pods"), "{said}");
    let from = SqliteBackend::open_with_key(&source, master.clone()).unwrap();
    let to = SqliteBackend::open(&back).unwrap();
    assert_eq!(from.list_pods().await.unwrap().len(), 2);
    for pod in from.list_pods().await.unwrap() {
        let compared = check_pod(&from, &to, &pod.name).await.unwrap();
        if pod.name == demo {
            assert!(compared.resources > 20, "{compared:?}");
            assert!(compared.index_entries > 0, "{compared:?}");
        }
    }
    // The check does see a difference: one byte changed in the copy.
    let changed = selfdata_store::ResourcePath::parse("/profile/card").unwrap();
    assert_eq!(
        to.meta(&demo, &changed).await.unwrap().unwrap().modified_ms,
        LONG_AGO
    );
    let (meta, mut body) = to
        .get(&demo, &changed)
        .await
        .unwrap()
        .map(|(m, b)| (m, b.to_vec()))
        .unwrap();
    body.push(b'\n');
    let folder = changed.parent().unwrap();
    let folder_time = to.meta(&demo, &folder).await.unwrap().unwrap().modified_ms;
    to.write(
        &demo,
        selfdata_store::Write::Batch(vec![
            selfdata_store::Write::Put {
                path: changed.clone(),
                content_type: meta.content_type,
                body: body.into(),
                precondition: selfdata_store::Precondition::None,
            },
            // The times put back: only the bytes differ.
            selfdata_store::Write::Restamp {
                path: changed,
                modified_ms: LONG_AGO,
            },
            selfdata_store::Write::Restamp {
                path: folder,
                modified_ms: folder_time,
            },
        ]),
    )
    .await
    .unwrap();
    let differs = check_pod(&from, &to, &demo).await.unwrap_err().to_string();
    assert!(
        differs.contains("/profile/card") && differs.contains("bytes"),
        "{differs}"
    );
    let erased = from.erased_pods().await.unwrap();
    assert_eq!(erased.len(), 1, "{erased:?}");
    assert_eq!(to.erased_pods().await.unwrap(), erased);
    assert!(matches!(
        to.create_pod(&PodName::parse("gone").unwrap()).await,
        Err(selfdata_store::StoreError::PodExists(_))
    ));
    assert_eq!(
        Directory::dump(&from).await.unwrap(),
        Directory::dump(&to).await.unwrap()
    );
    assert_eq!(
        HolderRegistry::dump(&from).await.unwrap(),
        HolderRegistry::dump(&to).await.unwrap()
    );
    assert_eq!(
        StudyRegistry::dump(&from).await.unwrap(),
        StudyRegistry::dump(&to).await.unwrap()
    );
}

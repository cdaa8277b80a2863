//! "Who has what on me": a resident drops their Facebook and Google
//! archives on the organisations page; the directory names the advertisers
//! and Google once each, says how we know and since when, finds one by
//! search, exports as CSV; an organisation that delivered data to the pod
//! (Google's location history) is the same entry as Google from Takeout; a
//! hostile zip is refused with its sentence and leaves nothing; the
//! evidence is an owner-only open document.

use selfdata_store::{Backend, PodName, ResourcePath};

use crate::common::{Browser, Server, field};

const EMAIL: &str = "ines@example.org";
const PASSWORD: &str = "correct horse battery";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../archives/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

async fn resident(s: &Server) -> (Browser, String, PodName) {
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &ines)
        .await
        .unwrap();
    let b = s.sign_in(EMAIL, PASSWORD).await;
    let page = b.get("/app/privacy/organisations").await;
    assert_eq!(page.status, 200, "{}", page.body);
    (b, field(&page.body, "csrf"), ines)
}

#[tokio::test(flavor = "multi_thread")]
async fn archives_become_a_directory_of_organisations_searchable_and_exported() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
    let empty = b.get("/app/privacy/organisations").await;
    assert!(empty.body.contains("0 organisations."), "{}", empty.body);

    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[
                ("facebook-ines.zip", &fixture("gen_facebook_2023.zip")),
                ("takeout-001.zip", &fixture("gen_takeout_en.zip")),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(
        done.contains("Import finished. 2 files imported."),
        "{done}"
    );
    assert!(
        done.contains("organisations named by your Facebook archive"),
        "{done}"
    );

    let page = b.get("/app/privacy/organisations").await;
    let html = page.body;
    // An advertiser who uploaded a list and remarkets, with the repaired accent.
    assert!(html.contains("<h2 id=\"h-"), "{html}");
    assert!(html.contains(">Crédit Agricole</h2>"), "{html}");
    assert!(
        html.contains("uploaded a list with your details to Facebook")
            || html.contains("uploaded a list"),
        "{html}"
    );
    assert!(
        html.contains("your contact details (e-mail, phone)"),
        "the categories in plain words: {html}"
    );
    // Google once, however many products and files name it.
    assert_eq!(html.matches(">Google</h2>").count(), 1, "{html}");

    // Search, by a name written differently.
    let found = b
        .get("/app/privacy/organisations?q=credit%20agricole")
        .await;
    assert!(
        found.body.contains(">Crédit Agricole</h2>"),
        "{}",
        found.body
    );
    assert!(!found.body.contains(">Google</h2>"));
    assert!(found.body.contains("1 of "), "{}", found.body);

    // The export holds every organisation shown.
    let csv = b.get("/app/privacy/organisations.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("organisation,holds,since,how we know"));
    let shown = html.matches("<section class=\"organisation\"").count();
    assert_eq!(csv.body.lines().count(), shown + 1, "{}", csv.body);

    // In French too.
    let fr = b.get("/app/privacy/organisations?lang=fr").await;
    assert!(
        fr.body
            .contains("Les organismes qui détiennent des données sur vous"),
        "{}",
        fr.body
    );

    // The archives are kept as received; the evidence is an open document, owner-only.
    for (slug, name) in [
        ("facebook", "gen_facebook_2023.zip"),
        ("google-takeout", "gen_takeout_en.zip"),
    ] {
        let raw = ResourcePath::parse(&format!("/selfdata/sources/{slug}/raw/")).unwrap();
        let kept = s.app.store.members(&ines, &raw).await.unwrap();
        assert_eq!(kept.len(), 1, "{slug}");
        let (_, body) = s
            .app
            .store
            .get(&ines, &kept[0].path)
            .await
            .unwrap()
            .unwrap();
        assert!(body == fixture(name), "{slug}: kept as received");
    }
    let evidence = ResourcePath::parse("/selfdata/directory/evidence/").unwrap();
    let docs = s.app.store.members(&ines, &evidence).await.unwrap();
    assert_eq!(docs.len(), 2, "{docs:?}");
    let url = format!("{}/ines{}", s.base, docs[0].path.as_str());
    let anonymous = s.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401, "evidence is not public");
    let (_, turtle) = s
        .app
        .store
        .get(&ines, &docs[0].path)
        .await
        .unwrap()
        .unwrap();
    let turtle = String::from_utf8(turtle.to_vec()).unwrap();
    assert!(
        turtle.contains("https://w3id.org/dpv#DataController"),
        "{turtle}"
    );
    assert!(turtle.contains("https://w3id.org/dpv/pd#"), "{turtle}");

    // Google's location history delivered to the pod joins Google's entry.
    let semantic = std::fs::read(format!(
        "{}/../mobility/tests/fixtures/semantic_2022_JANUARY.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    s.app.import_file(&ines, semantic).await.unwrap();
    let html = b.get("/app/privacy/organisations?lang=en").await.body;
    assert_eq!(html.matches(">Google</h2>").count(), 1, "{html}");
    assert!(
        html.contains("gave you a copy of data it holds on you"),
        "{html}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_or_html_only_archive_is_refused_in_a_sentence_and_leaves_nothing() {
    let s = Server::start().await;
    let (b, csrf, ines) = resident(&s).await;
    for (file, said) in [
        ("hostile_traversal_dotdot.zip", "climbs out of its folder"),
        ("hostile_symlink.zip", "link"),
        ("gen_takeout_fr_html.zip", "JSON"),
    ] {
        let r = b
            .post_files("/app/import", Some(&csrf), &[(file, &fixture(file))])
            .await;
        let done = b.wait_job(&r.location.unwrap()).await;
        assert!(done.contains("1 refused"), "{file}: {done}");
        assert!(done.contains(said), "{file}: {done}");
    }
    let sources = ResourcePath::parse("/selfdata/sources/").unwrap();
    assert!(
        s.app
            .store
            .members(&ines, &sources)
            .await
            .unwrap_or_default()
            .is_empty(),
        "nothing kept"
    );
}

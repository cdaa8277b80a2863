//! "Who has what on me": a resident drops their Facebook and Google
//! archives on the organisations page; the directory names the advertisers
//! and Google once each, says how we know and since when, finds one by
//! search, exports as CSV; an organisation that delivered data to the pod
//! (Google's location history) is the same entry as Google from Takeout; a
//! hostile zip is refused with its sentence and leaves nothing; the
//! evidence is an owner-only open document. Bank statements add whom the
//! resident pays (an advertiser paid by direct debit is one entry with
//! both), and the apps and people given access are listed.

use selfdata_store::{Backend, PodName, ResourcePath};

use crate::common::{self, Browser, Server, field};

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

/// A Crédit Agricole export (Windows-1252, the bank's preamble) of the
/// account of the budget crate's fixture, from March 2019 to December 2022:
/// Deezer by direct debit on the 5th of every month, one card payment at a
/// café.
fn deezer_statement() -> Vec<u8> {
    let mut text = String::from(
        "Téléchargement du 03/01/2023;;;\r\n;;;\r\nM. INES MARTIN;;;\r\n\
         Compte de Dépôt carte n° 12345678901;;;\r\n;;;\r\n\
         Liste des opérations du compte entre le 01/03/2019 et le 31/12/2022;;;\r\n;;;\r\n\
         Date;Libellé;Débit Euros;Crédit Euros;\r\n",
    );
    for year in 2019..=2022 {
        for month in 1..=12 {
            if year == 2019 && month < 3 {
                continue;
            }
            text.push_str(&format!(
                "05/{month:02}/{year};\"PRELEVEMENT DEEZER\";10,99;;\r\n"
            ));
        }
    }
    text.push_str("14/07/2022;\"PAIEMENT PAR CARTE X1234 CAFE DU PORT 13/07\";4,20;;\r\n");
    text.chars().map(|c| u8::try_from(c).unwrap()).collect()
}

/// The directory's section of the organisation named `name`.
fn section<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    html.split("<section class=\"organisation\"")
        .skip(1)
        .find(|s| s.contains(&format!(">{name}</h2>")))
        .map(|s| &s[..s.find("</section>").unwrap_or(s.len())])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_directory_names_whom_you_pay_and_the_apps_and_people_you_allowed_each_once() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
    // Facebook names Deezer (it sent them Ines's activity) and Crédit Agricole.
    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[("facebook-ines.zip", &fixture("gen_facebook_2023.zip"))],
        )
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 file imported"), "{done}");
    // The budget crate's fixture (EDF once by direct debit, Intermarché once
    // by card), then years of Deezer by direct debit.
    let fixture_statement = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../budget/tests/fixtures/credit_agricole.csv"
    ))
    .unwrap();
    for statement in [fixture_statement, deezer_statement()] {
        let summary = s.app.import_file(&ines, statement).await.unwrap();
        assert_eq!(summary.service, "budget");
    }

    let html = b.get("/app/privacy/organisations?lang=en").await.body;
    // Deezer once: the archive's name, what Facebook says and what the bank says.
    let deezer = section(&html, "Deezer").unwrap_or_else(|| panic!("{html}"));
    assert_eq!(html.matches(">Deezer</h2>").count(), 1, "{html}");
    assert!(!html.contains(">DEEZER</h2>"), "{html}");
    assert!(
        deezer.contains("you pay them every month since 2019 (by direct debit)"),
        "{deezer}"
    );
    assert!(
        deezer.contains("Facebook"),
        "the archive's evidence too: {deezer}"
    );
    assert!(
        deezer.contains("your payment details (card or IBAN)") && deezer.contains("your name"),
        "{deezer}"
    );
    // A mandate counts from the first debit; a single card payment does not.
    let edf = section(&html, "EDF CLIENTS PARTICULIERS").unwrap_or_else(|| panic!("{html}"));
    assert!(
        edf.contains("you paid them once, in September 2021 (by direct debit)"),
        "{edf}"
    );
    assert!(!html.contains("INTERMARCHE"), "{html}");
    assert!(!html.contains("CAFE DU PORT"), "{html}");
    // The bank: named by Facebook, and the holder that delivered the statements.
    let bank = section(&html, "Crédit Agricole").unwrap_or_else(|| panic!("{html}"));
    assert!(
        bank.contains("gave you a copy of data it holds on you"),
        "{bank}"
    );

    // An app Ines allows, and a person she shares a folder with.
    let client_id = common::register_app(&s.client, &s.base, "Watt Coach").await;
    let webid = format!("{}/ines/profile/card#me", s.base);
    let allowed = b
        .consent(&common::authorize_path(&client_id), &webid, "allow")
        .await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    let bob = "https://bob.example/profile/card#me";
    let shared = b
        .post(
            "/app/privacy/share",
            &[
                ("csrf", &csrf),
                ("webid", bob),
                ("folder", "selfdata"),
                ("mode", "read"),
            ],
        )
        .await;
    assert_eq!(shared.status, 200, "{}", shared.body);

    let html = b.get("/app/privacy/organisations?lang=en").await.body;
    let app = section(&html, "Watt Coach").unwrap_or_else(|| panic!("{html}"));
    assert!(
        app.contains("an app you allowed: it may read and change your pod as you since"),
        "{app}"
    );
    assert!(app.contains("everything in your pod"), "{app}");
    let person = section(&html, bob).unwrap_or_else(|| panic!("{html}"));
    assert!(
        person.contains("you gave them access to /selfdata/ (read)"),
        "{person}"
    );

    // In French, and in the export.
    let fr = b.get("/app/privacy/organisations?lang=fr").await.body;
    assert!(
        fr.contains("vous les payez chaque mois depuis 2019 (par prélèvement)"),
        "{fr}"
    );
    let csv = b.get("/app/privacy/organisations.csv?lang=en").await.body;
    let line = csv
        .lines()
        .find(|l| l.starts_with("Deezer,"))
        .unwrap_or_else(|| panic!("{csv}"));
    assert!(
        line.contains("you pay them every month since 2019"),
        "{line}"
    );
    assert!(csv.lines().any(|l| l.starts_with("Watt Coach,")), "{csv}");

    // Search finds a payee by its name written otherwise.
    let found = b
        .get("/app/privacy/organisations?q=edf%20clients")
        .await
        .body;
    assert!(found.contains(">EDF CLIENTS PARTICULIERS</h2>"), "{found}");
}

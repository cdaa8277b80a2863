//! "Who has what on me": a resident drops their Facebook and Google
//! archives on the organisations page; the directory names the advertisers
//! and Google once each, says how we know and since when, finds one by
//! search, exports as CSV; an organisation that delivered data to the pod
//! (Google's location history) is the same entry as Google from Takeout; a
//! hostile zip is refused with its sentence and leaves nothing; the
//! evidence is an owner-only open document. One organisation's page shows
//! its evidence and where it comes from, writes an article 15 or 21 letter
//! to it (the rights page's letter, the organisation added to the holders
//! once), and keeps what the resident marks (asked, answered, erased),
//! shown there and on the directory; a forged form or another resident
//! changes nothing, an unknown organisation is a page in words. Bank
//! statements add whom the resident pays (an advertiser paid by direct
//! debit is one entry with both), and the apps and people given access
//! are listed.

use selfdata_store::{PodName, ResourcePath};

use crate::common::{self, Browser, Server, archive_fixture as fixture, field, unescape};

/// Ines, signed in, with the directory's CSRF token.
async fn resident(s: &Server) -> (Browser, String, PodName) {
    let (b, ines) = common::resident(s, "ines@example.org", "ines").await;
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
    assert!(html.contains(">Crédit Agricole</a></h2>"), "{html}");
    assert!(
        html.contains("uploaded a list with your details to Facebook"),
        "{html}"
    );
    assert!(
        html.contains("your contact details (e-mail, phone)"),
        "the categories in plain words: {html}"
    );
    // Google once, however many products and files name it.
    assert_eq!(html.matches(">Google</a></h2>").count(), 1, "{html}");

    // Search, by a name written differently.
    let found = b
        .get("/app/privacy/organisations?q=credit%20agricole")
        .await;
    assert!(
        found.body.contains(">Crédit Agricole</a></h2>"),
        "{}",
        found.body
    );
    assert!(!found.body.contains(">Google</a></h2>"));
    assert!(found.body.contains("1 of "), "{}", found.body);

    // The export holds every organisation shown.
    let csv = b.get("/app/privacy/organisations.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .starts_with("organisation,sector,holds,since,how we know,latest request")
    );
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
    assert_eq!(html.matches(">Google</a></h2>").count(), 1, "{html}");
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

/// The address the directory links the organisation `name` to.
fn link_of(directory: &str, name: &str) -> String {
    let end = directory
        .find(&format!("\">{name}</a></h2>"))
        .unwrap_or_else(|| panic!("{name} is not linked: {directory}"));
    let start = directory[..end].rfind("href=\"").unwrap() + "href=\"".len();
    unescape(&directory[start..end])
}

/// The directory's entry of `name`, up to the next one.
fn entry<'a>(directory: &'a str, name: &str) -> &'a str {
    let start = directory
        .find(&format!(">{name}</a></h2>"))
        .unwrap_or_else(|| panic!("no {name}: {directory}"));
    let rest = &directory[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

/// The letter a page shows.
fn letter_in(page: &str) -> String {
    let start = page.find("<textarea id=\"rq-letter\"").expect("a letter");
    let start = start + page[start..].find('>').unwrap() + 1;
    unescape(&page[start..start + page[start..].find("</textarea>").unwrap()])
}

async fn stored(s: &Server, pod: &PodName, path: &str) -> Option<String> {
    s.app
        .store
        .get(pod, &ResourcePath::parse(path).unwrap())
        .await
        .unwrap()
        .map(|(_, body)| String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisations_page_shows_its_evidence_and_writes_an_access_or_objection_letter_to_it() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let directory = b.get("/app/privacy/organisations").await.body;
    let href = link_of(&directory, "Crédit Agricole");
    let page = b.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = page.body;
    assert!(html.contains("<h1>Crédit Agricole</h1>"), "{html}");
    assert!(
        html.contains("uploaded a list with your details to Facebook"),
        "how we know: {html}"
    );
    assert!(
        html.contains("your contact details (e-mail, phone)"),
        "what it holds, in words: {html}"
    );
    assert!(
        html.contains("Your Facebook archive, imported on")
            && html.contains("selfdata/sources/facebook/raw/"),
        "where it comes from: {html}"
    );
    assert!(html.contains("You have not asked them anything yet."));
    assert!(!html.contains("<script"), "no JavaScript needed");

    // An objection, in French: to this organisation, under article 21.
    let key = field(&html, "organisation");
    let objection = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("organisation", &key),
                ("article", "21"),
                ("letter_lang", "fr"),
                ("name", "Inès Martin"),
                ("email", "ines@example.org"),
            ],
        )
        .await;
    assert_eq!(objection.status, 200, "{}", objection.body);
    let letter = letter_in(&objection.body);
    assert!(letter.contains("\nCrédit Agricole\n"), "{letter}");
    assert!(
        letter.contains("article 21.2") && letter.contains("article 21.3"),
        "{letter}"
    );
    assert!(letter.contains("prospection, y compris au profilage"));
    assert!(letter.contains("Inès Martin, le 2023-01-10"));
    assert_eq!(
        field(&objection.body, "organisation"),
        key,
        "recording it sent keeps the organisation"
    );
    assert!(objection.body.contains("Back to Crédit Agricole"));

    // An access request, in English, to the same holder of the registry.
    let access = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("organisation", &key),
                ("article", "15"),
                ("letter_lang", "en"),
            ],
        )
        .await;
    let letter = letter_in(&access.body);
    assert!(letter.contains("\nCrédit Agricole\n"), "{letter}");
    assert!(letter.contains("Article 15") && !letter.contains("Article 21"));
    let holders = stored(&s, &ines, "/selfdata/rights/holders.json")
        .await
        .expect("the organisation joined the registry");
    let holders: Vec<serde_json::Value> = serde_json::from_str(&holders).unwrap();
    let named = holders
        .iter()
        .filter(|h| h["name"] == "Crédit Agricole")
        .count();
    assert_eq!(named, 1, "added once: {holders:?}");
    assert!(
        holders.iter().any(|h| h["name"] == "Enedis"),
        "the rest kept"
    );

    // A holder that delivered meter readings: its letter quotes the meter.
    for file in selfdata_energy::demo::household(jiff::civil::date(2026, 10, 15), 1, 2026) {
        s.app
            .import_file(&ines, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let directory = b.get("/app/privacy/organisations").await.body;
    let enedis = b.get(&link_of(&directory, "Enedis")).await.body;
    assert!(
        enedis.contains("Delivered to your pod: electricity used"),
        "{enedis}"
    );
    let letter = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("organisation", &field(&enedis, "organisation")),
                ("article", "15"),
                ("letter_lang", "en"),
            ],
        )
        .await
        .body;
    let letter = letter_in(&letter);
    common::meter_number(&letter);
    assert!(
        letter.contains("Paris La Défense"),
        "the registry's Enedis, with its address: {letter}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_marked_asked_then_answered_then_erased_shows_on_the_organisations_page_and_the_directory()
 {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 3, 20))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let directory = b.get("/app/privacy/organisations").await.body;
    let href = link_of(&directory, "Crédit Agricole");
    assert!(
        !entry(&directory, "Crédit Agricole").contains("Asked on"),
        "nothing asked yet"
    );
    let key = field(&b.get(&href).await.body, "organisation");

    // Sent from the letter: recorded for the organisation, back to its page.
    let letter = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("organisation", &key),
                ("article", "21"),
                ("letter_lang", "fr"),
            ],
        )
        .await
        .body;
    let recorded = b
        .post(
            "/app/privacy/requests/sent",
            &[
                ("csrf", &csrf),
                ("holder", &field(&letter, "holder")),
                ("article", "21"),
                ("lang", "fr"),
                ("organisation", &field(&letter, "organisation")),
                ("sent", "2023-02-01"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let back = recorded.location.unwrap();
    assert!(back.starts_with(&format!("{href}?done=asked")), "{back}");
    let page = b.get(&back).await.body;
    assert!(page.contains("The request was recorded"), "{page}");
    assert!(
        page.contains("Asked on 2023-02-01; overdue since 2023-03-01."),
        "the deadline, a month later, has passed: {page}"
    );
    assert!(page.contains("Objection to direct marketing and profiling (article 21)"));
    let directory = b.get("/app/privacy/organisations").await.body;
    assert!(
        entry(&directory, "Crédit Agricole")
            .contains("Asked on 2023-02-01; overdue since 2023-03-01."),
        "{directory}"
    );
    let rights = b.get("/app/privacy/requests").await.body;
    assert!(rights.contains("Overdue"), "the rights page has it too");

    // Answered.
    let action = format!("{href}/status");
    let answered = b
        .post(
            &action,
            &[
                ("csrf", &csrf),
                ("what", "answered"),
                ("date", "2023-03-15"),
            ],
        )
        .await;
    assert_eq!(answered.status, 303, "{}", answered.body);
    let page = b.get(&answered.location.unwrap()).await.body;
    assert!(page.contains("Recorded: they answered."), "{page}");
    assert!(page.contains("Answered on 2023-03-15."), "{page}");
    assert!(!page.contains("overdue since"), "{page}");
    let directory = b.get("/app/privacy/organisations").await.body;
    assert!(
        entry(&directory, "Crédit Agricole").contains("Answered on 2023-03-15."),
        "{directory}"
    );

    // A date before the request, or still to come, is refused in words.
    for (date, said) in [
        ("2023-01-31", "before the request was sent (2023-02-01)"),
        ("2023-03-21", "still to come"),
        ("15/03/2023", "YYYY-MM-DD"),
    ] {
        let refused = b
            .post(
                &action,
                &[("csrf", &csrf), ("what", "erased"), ("date", date)],
            )
            .await;
        assert_eq!(refused.status, 400, "{date}");
        assert!(refused.body.contains(said), "{date}: {}", refused.body);
    }

    // Erased, today.
    let erased = b
        .post(
            &action,
            &[("csrf", &csrf), ("what", "erased"), ("date", "")],
        )
        .await;
    assert_eq!(erased.status, 303);
    let page = b.get(&href).await.body;
    assert!(page.contains("Your data erased on 2023-03-20."), "{page}");
    let directory = b.get("/app/privacy/organisations").await.body;
    assert!(entry(&directory, "Crédit Agricole").contains("Your data erased on 2023-03-20."));

    // Another organisation, never asked, has nothing to mark answered.
    let other = directory
        .split("<h2 id=\"h-")
        .skip(1)
        .map(|e| &e[..e.find("</h2>").unwrap()])
        .find(|h| !h.contains(">Crédit Agricole<"))
        .map(|h| {
            let start = h.find("href=\"").unwrap() + "href=\"".len();
            unescape(&h[start..start + h[start..].find('"').unwrap()])
        })
        .expect("another organisation");
    let refused = b
        .post(
            &format!("{other}/status"),
            &[("csrf", &csrf), ("what", "answered")],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused
            .body
            .contains("Record the request you sent them first."),
        "{}",
        refused.body
    );

    // In French too (the language is remembered from here on).
    let fr = b.get(&format!("{href}?lang=fr")).await.body;
    assert!(fr.contains("Vos données effacées le 2023-03-20."), "{fr}");

    // What was marked is the pod's, in the rights file.
    let requests = stored(&s, &ines, "/selfdata/rights/requests.json")
        .await
        .unwrap();
    let requests: Vec<serde_json::Value> = serde_json::from_str(&requests).unwrap();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0]["organisation"], key.as_str());
    assert_eq!(requests[0]["article"], 21);
    assert_eq!(requests[0]["answered"], "2023-03-15");
    assert_eq!(requests[0]["erased"], "2023-03-20");
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_forms_and_other_residents_change_nothing_and_an_unknown_organisation_is_a_page_in_words()
 {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 3, 20))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let directory = b.get("/app/privacy/organisations").await.body;
    let href = link_of(&directory, "Crédit Agricole");
    let key = field(&b.get(&href).await.body, "organisation");
    let action = format!("{href}/status");

    // Forms without their token, or with another, are refused and change nothing.
    for token in [None, Some("forged")] {
        let with = |mut form: Vec<(&'static str, String)>| {
            if let Some(t) = token {
                form.push(("csrf", t.to_owned()));
            }
            form
        };
        for (path, form) in [
            (
                action.as_str(),
                with(vec![("what", "asked".into()), ("article", "21".into())]),
            ),
            (
                "/app/privacy/requests",
                with(vec![
                    ("organisation", key.clone()),
                    ("article", "21".into()),
                ]),
            ),
            (
                "/app/privacy/requests/sent",
                with(vec![
                    ("holder", "0".into()),
                    ("organisation", key.clone()),
                    ("sent", "2023-03-01".into()),
                ]),
            ),
        ] {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = b.post(path, &form).await;
            assert_eq!(r.status, 403, "{path} with {token:?}");
        }
    }
    for path in [
        "/selfdata/rights/requests.json",
        "/selfdata/rights/holders.json",
    ] {
        assert!(stored(&s, &ines, path).await.is_none(), "{path} written");
    }

    // Another resident knows nothing of ines's organisations and cannot mark them.
    let (m, max) = common::resident(&s, "max@example.org", "max").await;
    let theirs = m.get("/app/privacy/organisations").await;
    assert!(theirs.body.contains("0 organisations."), "{}", theirs.body);
    let csrf_max = field(&theirs.body, "csrf");
    let looked = m.get(&href).await;
    assert_eq!(looked.status, 404);
    assert!(!looked.body.contains("Crédit Agricole"), "{}", looked.body);
    let marked = m
        .post(
            &action,
            &[("csrf", &csrf_max), ("what", "asked"), ("article", "21")],
        )
        .await;
    assert_eq!(marked.status, 404);
    let letter = m
        .post(
            "/app/privacy/requests",
            &[("csrf", &csrf_max), ("organisation", &key)],
        )
        .await;
    assert_eq!(letter.status, 404);
    assert!(
        stored(&s, &ines, "/selfdata/rights/requests.json")
            .await
            .is_none()
    );
    assert!(
        stored(&s, &max, "/selfdata/rights/holders.json")
            .await
            .is_none()
    );

    // Ines marks it; the file is hers alone.
    let r = b
        .post(
            &action,
            &[("csrf", &csrf), ("what", "asked"), ("article", "15")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        !m.get("/app/privacy/organisations")
            .await
            .body
            .contains("Asked on")
    );
    let url = format!("{}/ines/selfdata/rights/requests.json", s.base);
    let stranger = common::Resident::new(&s, "mallory").await;
    let status = stranger.req(&s, "GET", &url).send().await.unwrap().status();
    assert_eq!(status, 403, "another resident");
    let status = s.client.get(&url).send().await.unwrap().status();
    assert_eq!(status, 401, "anonymous");

    // An unknown organisation is a page in words, in the layout.
    for path in [
        "/app/privacy/organisations/nobody-we-know",
        "/app/privacy/organisations/%2E%2E%2Fetc",
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(
            page.header("content-type")
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(
            page.body.contains("This organisation is not in your list."),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains("<main"), "{path}: in the layout");
    }
    let fr = b
        .get("/app/privacy/organisations/nobody?lang=fr")
        .await
        .body;
    assert!(
        fr.contains("Cet organisme n’est pas dans votre liste."),
        "{fr}"
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
        .find(|s| s.contains(&format!(">{name}</a></h2>")))
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
    assert_eq!(html.matches(">Deezer</a></h2>").count(), 1, "{html}");
    assert!(!html.contains(">DEEZER</a></h2>"), "{html}");
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
    assert!(
        found.contains(">EDF CLIENTS PARTICULIERS</a></h2>"),
        "{found}"
    );
}

/// The key in an organisation's address.
fn key_of(href: &str) -> String {
    href.rsplit('/').next().unwrap().to_owned()
}

/// Regression: a holder that delivered to the pod under a name in each
/// language (the water utility) was keyed by the page's language, so what
/// the resident marked on the English page was lost on the French one.
#[tokio::test(flavor = "multi_thread")]
async fn a_holder_named_in_two_languages_is_one_entry_whose_marks_show_in_both() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2026, 11, 2))).await;
    let (b, csrf, ines) = resident(&s).await;
    for file in selfdata_energy::demo::household(jiff::civil::date(2026, 10, 15), 1, 2026) {
        s.app
            .import_file(&ines, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let en = b.get("/app/privacy/organisations?lang=en").await.body;
    let href = link_of(&en, "Water utility");
    let marked = b
        .post(
            &format!("{href}/status"),
            &[
                ("csrf", &csrf),
                ("what", "asked"),
                ("article", "15"),
                ("date", "2026-10-20"),
            ],
        )
        .await;
    assert_eq!(marked.status, 303, "{}", marked.body);
    let fr = b.get("/app/privacy/organisations?lang=fr").await.body;
    assert_eq!(link_of(&fr, "Service des eaux"), href, "one address");
    assert!(
        entry(&fr, "Service des eaux").contains("Demandé le 2026-10-20"),
        "{fr}"
    );
    let page = b.get(&format!("{href}?lang=fr")).await.body;
    assert!(page.contains("<h1>Service des eaux</h1>"), "{page}");
    assert!(page.contains("Demandé le 2026-10-20"), "{page}");
    // A letter from either page finds the one holder of the registry.
    for lang in ["fr", "en"] {
        let letter = b
            .post(
                &format!("/app/privacy/requests?lang={lang}"),
                &[
                    ("csrf", &csrf),
                    ("organisation", &key_of(&href)),
                    ("article", "15"),
                ],
            )
            .await;
        assert_eq!(letter.status, 200, "{}", letter.body);
    }
    let holders = stored(&s, &ines, "/selfdata/rights/holders.json")
        .await
        .unwrap();
    let holders: Vec<serde_json::Value> = serde_json::from_str(&holders).unwrap();
    let water = holders
        .iter()
        .filter(|h| {
            let n = h["name"].as_str().unwrap();
            n == "Water utility" || n == "Service des eaux"
        })
        .count();
    assert_eq!(water, 1, "{holders:?}");
}

/// Regression: the directory trusted the key an evidence document stores,
/// so an edited document (or one written by an older key) split an
/// organisation from its other names and from its requests.
#[tokio::test(flavor = "multi_thread")]
async fn an_evidence_documents_stored_key_is_not_trusted_the_name_is() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, _, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let folder = ResourcePath::parse("/selfdata/directory/evidence/").unwrap();
    let docs = s.app.store.members(&ines, &folder).await.unwrap();
    assert_eq!(docs.len(), 1);
    let path = docs[0].path.clone();
    let base = format!("{}/ines{}", s.base, path.as_str());
    let turtle = stored(&s, &ines, path.as_str()).await.unwrap();
    let mut g = common::turtle(&turtle, &base);
    let key = selfdata_rdf::oxrdf::NamedNode::new_unchecked(
        "https://selfdata.example/ns#organisationKey",
    );
    let old: Vec<_> = g
        .triples_for_predicate(&key)
        .map(|t| t.into_owned())
        .collect();
    for t in &old {
        g.remove(t);
    }
    let controllers: Vec<_> = g
        .subjects_for_predicate_object(
            selfdata_rdf::oxrdf::vocab::rdf::TYPE,
            selfdata_rdf::oxrdf::NamedNodeRef::new_unchecked("https://w3id.org/dpv#DataController"),
        )
        .map(|s| s.into_owned())
        .collect();
    for (i, subject) in controllers.into_iter().enumerate() {
        g.insert(&selfdata_rdf::oxrdf::Triple::new(
            subject,
            key.clone(),
            selfdata_rdf::oxrdf::Literal::new_simple_literal(format!("edited{i}")),
        ));
    }
    let body = selfdata_rdf::serialize(&g, selfdata_rdf::RdfFormat::Turtle, &base).unwrap();
    s.app
        .store
        .write(
            &ines,
            selfdata_store::Write::Put {
                path,
                content_type: "text/turtle".to_owned(),
                body: bytes::Bytes::from(body),
                precondition: selfdata_store::Precondition::None,
            },
        )
        .await
        .unwrap();
    let directory = b.get("/app/privacy/organisations").await.body;
    assert_eq!(
        key_of(&link_of(&directory, "Crédit Agricole")),
        "creditagricole",
        "{directory}"
    );
    assert_eq!(
        b.get("/app/privacy/organisations/creditagricole")
            .await
            .status,
        200
    );
}

/// Regression: a person given access had a letter form on their page, and
/// posting it added them to the registry of holders.
#[tokio::test(flavor = "multi_thread")]
async fn a_person_given_access_gets_no_letter_and_never_joins_the_holders() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
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
    let directory = b.get("/app/privacy/organisations").await.body;
    let href = link_of(&directory, bob);
    let page = b.get(&href).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        !page.body.contains("action=\"/app/privacy/requests"),
        "no letter: {}",
        page.body
    );
    assert!(
        page.body.contains("a person you gave access to"),
        "{}",
        page.body
    );
    let letter = b
        .post(
            "/app/privacy/requests",
            &[
                ("csrf", &csrf),
                ("organisation", &key_of(&href)),
                ("article", "15"),
            ],
        )
        .await;
    assert_eq!(letter.status, 400, "{}", letter.body);
    assert!(
        letter.body.contains("a person you gave access to"),
        "{}",
        letter.body
    );
    assert!(
        stored(&s, &ines, "/selfdata/rights/holders.json")
            .await
            .is_none(),
        "no holder added"
    );
}

/// Regression: what the archive reader notes (an archive naming no one,
/// pages left unread because they are HTML) never reached the resident.
#[tokio::test(flavor = "multi_thread")]
async fn what_an_archive_holds_besides_evidence_is_said_on_the_job_page() {
    let s = Server::start().await;
    let (b, csrf, _) = resident(&s).await;
    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[("takeout.zip", &fixture("hand_takeout_mixed_json_html.zip"))],
        )
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 file imported"), "{done}");
    assert!(
        done.contains("also holds activity as web pages (HTML), which were not read"),
        "{done}"
    );
    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[("facebook.zip", &fixture("hand_facebook_without_ads.zip"))],
        )
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 refused"), "{done}");
    assert!(
        done.contains("names no advertiser: include “Ads information”"),
        "{done}"
    );
}

/// The directory's entries' names, in order.
fn names_in(directory: &str) -> Vec<String> {
    directory
        .split("<section class=\"organisation\"")
        .skip(1)
        .map(|s| {
            let end = s.find("</a></h").unwrap();
            unescape(&s[s[..end].rfind('>').unwrap() + 1..end])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resident_merges_two_entries_takes_a_name_apart_and_undoes_both_in_either_language() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    s.app.import_file(&ines, deezer_statement()).await.unwrap();
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    let before = names_in(&directory).len();
    let vinted = link_of(&directory, "Vinted");
    let leboncoin = link_of(&directory, "leboncoin");
    // A request recorded for Vinted before it is merged.
    let marked = b
        .post(
            &format!("{vinted}/status"),
            &[("csrf", &csrf), ("what", "asked"), ("date", "2023-01-05")],
        )
        .await;
    assert_eq!(marked.status, 303);

    // A forged form changes nothing.
    let forged = b
        .post(
            &format!("{vinted}/merge"),
            &[("into", key_of(&leboncoin).as_str())],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(
        stored(&s, &ines, "/selfdata/directory/choices.ttl")
            .await
            .is_none()
    );

    // Vinted is the same as leboncoin: one entry, with Vinted's request.
    let page = b.get(&vinted).await.body;
    assert!(page.contains("This is the same organisation as"), "{page}");
    let merged = b
        .post(
            &format!("{vinted}/merge"),
            &[("csrf", &csrf), ("into", key_of(&leboncoin).as_str())],
        )
        .await;
    assert_eq!(merged.status, 303, "{}", merged.body);
    let to = merged.location.unwrap();
    assert!(to.starts_with(&format!("{leboncoin}?done=merged")), "{to}");
    let page = b.get(&to).await.body;
    assert!(
        page.contains("Put together: everything known of both is here."),
        "{page}"
    );
    assert!(
        page.contains("Vinted") && page.contains("put together by you"),
        "{page}"
    );
    assert!(
        page.contains("Asked on 2023-01-05"),
        "the merged entry's requests: {page}"
    );
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert_eq!(names_in(&directory).len(), before - 1, "{directory}");
    assert!(!directory.contains(">Vinted</a></h2>"));
    assert!(entry(&directory, "leboncoin").contains("Asked on 2023-01-05"));
    let old = b.get(&vinted).await;
    assert_eq!(old.status, 303, "the old address leads to the merged entry");
    assert!(old.location.unwrap().starts_with(&leboncoin));
    // The same in French, and the choice is an open document of the pod.
    let fr = b.get("/app/privacy/organisations?lang=fr").await.body;
    assert_eq!(names_in(&fr).len(), before - 1);
    let fr_page = b.get(&format!("{leboncoin}?lang=fr")).await.body;
    assert!(
        fr_page.contains("regroupé par vous") && fr_page.contains("Séparer"),
        "{fr_page}"
    );
    let choices = stored(&s, &ines, "/selfdata/directory/choices.ttl")
        .await
        .unwrap();
    let g = common::turtle(&choices, &s.url("/selfdata/directory/choices.ttl"));
    assert!(
        choices.contains("SameOrganisation") && choices.contains("\"Vinted\""),
        "{choices}"
    );
    assert!(g.len() > 4);

    // Taking Vinted apart undoes the merge.
    let taken = b
        .post(
            &format!("{leboncoin}/split?lang=en"),
            &[("csrf", &csrf), ("name", "Vinted")],
        )
        .await;
    assert_eq!(taken.status, 303, "{}", taken.body);
    assert!(
        taken
            .location
            .unwrap()
            .starts_with(&format!("{vinted}?done=split"))
    );
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert_eq!(names_in(&directory).len(), before);
    assert!(entry(&directory, "Vinted").contains("Asked on 2023-01-05"));

    // Deezer (from Facebook) and DEEZER (the bank) are grouped by name;
    // DEEZER is taken apart into an entry of its own, then put back.
    let deezer = link_of(&directory, "Deezer");
    let page = b.get(&deezer).await.body;
    assert!(page.contains("<h2 id=\"names-h\">Its names</h2>"), "{page}");
    let alone = b
        .post(
            &format!("{vinted}/split"),
            &[("csrf", &csrf), ("name", "Vinted")],
        )
        .await;
    assert_eq!(alone.status, 400, "the only name: {}", alone.body);
    assert!(
        alone
            .body
            .contains("This is the only name of this organisation")
    );
    let split = b
        .post(
            &format!("{deezer}/split"),
            &[("csrf", &csrf), ("name", "DEEZER")],
        )
        .await;
    assert_eq!(split.status, 303, "{}", split.body);
    let own = split.location.unwrap();
    assert!(own.contains("/deezer-2?done=split"), "{own}");
    let page = b.get(&own).await.body;
    assert!(page.contains("<h1>DEEZER</h1>"), "{page}");
    assert!(page.contains("Taken apart: this is an entry of its own now."));
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert_eq!(names_in(&directory).len(), before + 1);
    assert!(entry(&directory, "DEEZER").contains("you pay them every month"));
    assert!(!entry(&directory, "Deezer").contains("you pay them"));
    let fr = b.get("/app/privacy/organisations?lang=fr").await.body;
    assert!(fr.contains(">DEEZER</a></h2>"), "{fr}");
    let back = b
        .post(
            "/app/privacy/organisations/deezer-2/merge",
            &[("csrf", &csrf), ("into", key_of(&deezer).as_str())],
        )
        .await;
    assert_eq!(back.status, 303);
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert_eq!(names_in(&directory).len(), before);
    assert!(entry(&directory, "Deezer").contains("you pay them every month"));
    let choices = stored(&s, &ines, "/selfdata/directory/choices.ttl")
        .await
        .unwrap();
    assert!(
        !choices.contains("#merge-") && !choices.contains("#split-"),
        "undone, not stacked: {choices}"
    );

    // A choices file that does not parse is never replaced.
    let garbage = "this is not Turtle <";
    s.app
        .store
        .write(
            &ines,
            selfdata_store::Write::Put {
                path: ResourcePath::parse("/selfdata/directory/choices.ttl").unwrap(),
                content_type: "text/turtle".to_owned(),
                body: bytes::Bytes::from(garbage),
                precondition: selfdata_store::Precondition::None,
            },
        )
        .await
        .unwrap();
    let refused = b
        .post(
            &format!("{vinted}/merge"),
            &[("csrf", &csrf), ("into", key_of(&leboncoin).as_str())],
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused
            .body
            .contains("cannot be read, so nothing was changed")
    );
    assert_eq!(
        stored(&s, &ines, "/selfdata/directory/choices.ttl")
            .await
            .unwrap(),
        garbage
    );
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert!(directory.contains("cannot be read: the names are grouped as selfdata found them"));
    assert_eq!(names_in(&directory).len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_directory_by_sector_files_each_organisation_where_its_source_says() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 1, 10))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let statement = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../budget/tests/fixtures/credit_agricole.csv"
    ))
    .unwrap();
    s.app.import_file(&ines, statement).await.unwrap();
    let shared = b
        .post(
            "/app/privacy/share",
            &[
                ("csrf", &csrf),
                ("webid", "https://bob.example/profile/card#me"),
                ("folder", "selfdata"),
                ("mode", "read"),
            ],
        )
        .await;
    assert_eq!(shared.status, 200);
    let flat = b.get("/app/privacy/organisations?lang=en").await.body;
    assert!(
        flat.contains("href=\"/app/privacy/organisations?by=sector\">Group by sector</a>"),
        "{flat}"
    );
    let html = b
        .get("/app/privacy/organisations?by=sector&lang=en")
        .await
        .body;
    let sector = |name: &str| -> String {
        let start = html
            .find(&format!("\">{name} ("))
            .unwrap_or_else(|| panic!("no {name}: {html}"));
        let rest = &html[start..];
        rest[..rest.find("<section class=\"sector\"").unwrap_or(rest.len())].to_owned()
    };
    // The bank delivered statements: bank and insurance, though Facebook
    // names it as an advertiser too.
    assert!(
        sector("Bank &#38; insurance").contains(">Crédit Agricole</a></h3>"),
        "{html}"
    );
    // Advertisers only an archive names.
    let platforms = sector("Platforms &#38; advertising");
    assert!(platforms.contains(">Vinted</a></h3>"), "{platforms}");
    assert!(
        platforms.contains(">Meta Platforms</a></h3>"),
        "the platform itself: {platforms}"
    );
    // A payee, in the sector of what the money service says it is paid for.
    assert!(
        sector("Energy &#38; water").contains(">EDF CLIENTS PARTICULIERS</a></h3>"),
        "{html}"
    );
    assert!(
        sector("People").contains(">https://bob.example/profile/card#me</a></h3>"),
        "{html}"
    );
    // Every entry once, and the way back to A to Z.
    assert_eq!(
        html.matches("<section class=\"organisation\"").count(),
        flat.matches("<section class=\"organisation\"").count()
    );
    assert!(html.contains(">List from A to Z</a>"));
    // Search and sectors together, in French, in the export.
    let fr = b
        .get("/app/privacy/organisations?by=sector&q=credit&lang=fr")
        .await
        .body;
    assert!(fr.contains("\">Banque et assurance (1)</h2>"), "{fr}");
    assert!(
        fr.contains("href=\"/app/privacy/organisations?q=credit\""),
        "{fr}"
    );
    let csv = b.get("/app/privacy/organisations.csv?lang=en").await.body;
    assert!(
        csv.starts_with("organisation,sector,holds,since,how we know,latest request"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("Crédit Agricole,Bank & insurance,")),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_directory_is_an_open_document_of_the_pod_kept_up_to_date_by_the_residents_changes() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2023, 3, 20))).await;
    let (b, csrf, ines) = resident(&s).await;
    s.app
        .import_file(&ines, fixture("gen_facebook_2023.zip"))
        .await
        .unwrap();
    let path = "/selfdata/directory/organisations.ttl";
    let directory = b.get("/app/privacy/organisations?lang=en").await.body;
    assert!(
        stored(&s, &ines, path).await.is_none(),
        "a GET writes nothing"
    );
    assert!(directory.contains("selfdata/directory/organisations.ttl"));

    // A mark writes it: every entry the page lists, with the request's state.
    let href = link_of(&directory, "Crédit Agricole");
    let r = b
        .post(
            &format!("{href}/status"),
            &[
                ("csrf", &csrf),
                ("what", "asked"),
                ("article", "21"),
                ("date", "2023-02-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let doc_iri = format!("{}/ines{path}", s.base);
    let read = |body: String| {
        let g = common::turtle(&body, &doc_iri);
        let controller =
            selfdata_rdf::oxrdf::NamedNodeRef::new_unchecked("https://w3id.org/dpv#DataController");
        let name =
            selfdata_rdf::oxrdf::NamedNodeRef::new_unchecked("http://xmlns.com/foaf/0.1/name");
        let mut names: Vec<String> = g
            .subjects_for_predicate_object(selfdata_rdf::oxrdf::vocab::rdf::TYPE, controller)
            .filter_map(|s| match g.object_for_subject_predicate(s, name) {
                Some(selfdata_rdf::oxrdf::TermRef::Literal(l)) => Some(l.value().to_owned()),
                _ => None,
            })
            .collect();
        names.sort();
        names
    };
    let body = stored(&s, &ines, path).await.unwrap();
    let mut shown = names_in(&b.get("/app/privacy/organisations?lang=en").await.body);
    shown.sort();
    assert_eq!(read(body.clone()), shown);
    assert!(
        body.contains("\"overdue\""),
        "asked on 2023-02-01, due 2023-03-01: {body}"
    );
    assert!(body.contains("https://w3id.org/dpv/pd#Contact"), "{body}");
    assert!(body.contains("platforms-advertising"), "{body}");
    assert!(body.contains("uploaded a list with your details to Facebook"));
    assert!(body.contains("@fr"), "how we know in French too");
    let csv = b.get("/app/privacy/organisations.csv?lang=en").await.body;
    let line = csv
        .lines()
        .find(|l| l.starts_with("Crédit Agricole,"))
        .unwrap();
    assert!(
        line.ends_with("Asked on 2023-02-01; overdue since 2023-03-01."),
        "{line}"
    );

    // An import leaves it stale until the resident brings it up to date.
    s.app
        .import_file(&ines, fixture("gen_takeout_en.zip"))
        .await
        .unwrap();
    let stale = read(stored(&s, &ines, path).await.unwrap());
    assert!(!stale.contains(&"Google".to_owned()));
    let forged = b.post("/app/privacy/organisations/refresh", &[]).await;
    assert_eq!(forged.status, 403);
    let refreshed = b
        .post("/app/privacy/organisations/refresh", &[("csrf", &csrf)])
        .await;
    assert_eq!(refreshed.status, 303);
    let page = b.get(&refreshed.location.unwrap()).await.body;
    assert!(
        page.contains("The copy of this list in your pod is up to date."),
        "{page}"
    );
    let mut shown = names_in(&page);
    shown.sort();
    assert_eq!(read(stored(&s, &ines, path).await.unwrap()), shown);
    // Owner-only, like everything of the pod.
    let anonymous = s.client.get(&doc_iri).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

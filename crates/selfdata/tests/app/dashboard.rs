//! The resident's energy and water pages over real HTTP: a resident signs
//! in through the login form, three years of a synthetic household's meter
//! files are imported, and the pages must show the figures the JSON API
//! gives (tiles, chart bars), the water leak, the import job's progress and
//! summary (a bad file named with its line and nothing kept), tariff changes
//! flowing into the euros, and refuse strangers (no session → sign-in) and
//! forged forms (no CSRF token → 403).

use crate::common::{Browser, Server, client_credentials_token, field, now};
use jiff::civil::{Date, date};
use selfdata_oidc::DpopKey;
use selfdata_store::PodName;
use serde_json::Value;

const TODAY: Date = date(2026, 10, 15);
const EMAIL: &str = "dana@example.org";
const PASSWORD: &str = "correct horse battery";

/// Signs `email` in through the sign-in page, landing on the dashboard.
async fn sign_in(b: &Browser, email: &str) {
    let r = b.sign_in(email, PASSWORD, "/app/energy").await;
    assert_eq!(r.status, 303, "sign-in failed: {}", r.body);
    assert_eq!(r.location.as_deref(), Some("/app/energy"));
}

/// Every value of `attr="…"` after each `marker` in `html`.
fn attrs_after(html: &str, marker: &str, attr: &str) -> Vec<String> {
    let needle = format!("{attr}=\"");
    html.match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &html[i..];
            let end_of_tag = rest.find('>')?;
            let tag = &rest[..end_of_tag];
            let a = tag.find(&needle)? + needle.len();
            Some(tag[a..a + tag[a..].find('"')?].to_owned())
        })
        .collect()
}

/// One attribute of the element carrying `marker`.
fn attr(html: &str, marker: &str, attr: &str) -> String {
    attrs_after(html, marker, attr)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no {attr} on {marker}"))
}

/// The bars' values of the first chart of a page, in order (missing bars have none).
fn bar_values(html: &str) -> Vec<f64> {
    attrs_after(html, "<rect class=\"bar", "data-value")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

fn previous_values(html: &str) -> Vec<f64> {
    attrs_after(html, "<line class=\"previous\"", "data-value")
        .iter()
        .map(|v| v.parse().unwrap())
        .collect()
}

/// The tile of a fluid: from its `<li>` to the next.
fn tile<'h>(html: &'h str, fluid: &str) -> &'h str {
    let start = html
        .find(&format!("class=\"tile tile-{fluid}"))
        .unwrap_or_else(|| panic!("no {fluid} tile"));
    let rest = &html[start..];
    &rest[..rest.find("</li>").unwrap()]
}

/// The resident, their pod full of demo readings, and a token for its API.
struct Resident {
    key: DpopKey,
    token: String,
}

async fn resident(s: &Server, email: &str, pod: &str, demo_years: u32) -> Resident {
    let pod = PodName::parse(pod).unwrap();
    s.app
        .idp
        .create_account(email, PASSWORD, &pod)
        .await
        .unwrap();
    for file in selfdata_energy::demo::household(TODAY, demo_years, 2026) {
        s.app
            .import_file(&pod, bytes::Bytes::from(file.bytes))
            .await
            .unwrap();
    }
    let webid = selfdata_solid::provision::webid_of(&s.base, &pod);
    let (id, secret) = s
        .app
        .idp
        .create_credentials(None, &webid, "test")
        .await
        .unwrap();
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    Resident { key, token }
}

impl Resident {
    async fn api(&self, s: &Server, path_and_query: &str) -> Value {
        let url = format!("{}{path_and_query}", s.base);
        let htu = url.split('?').next().unwrap();
        let r = s
            .client
            .get(&url)
            .header("authorization", format!("DPoP {}", self.token))
            .header("dpop", self.key.proof("GET", htu, Some(&self.token), now()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{url}");
        r.json().await.unwrap()
    }
}

fn server() -> impl std::future::Future<Output = Server> {
    Server::start_with(|o| o.today = Some(TODAY))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_shows_the_apis_figures() {
    let s = server().await;
    let dana = resident(&s, EMAIL, "dana", 3).await;
    let b = Browser::in_language(&s.base, "en-GB,en;q=0.9");
    sign_in(&b, EMAIL).await;

    let page = b.get("/app/energy").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let html = &page.body;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(
        html.contains("This month: 1–15 October 2026"),
        "the tiles name the month"
    );
    // The tiles: this month, against the same days a year earlier, as the API says.
    for fluid in ["electricity", "gas", "water"] {
        let summary = dana
            .api(
                &s,
                &format!("/dana/selfdata/energy/api/summary?fluid={fluid}"),
            )
            .await;
        let tile = tile(html, fluid);
        let value: f64 = attr(tile, "class=\"tile-value\"", "value").parse().unwrap();
        let euros: f64 = attr(tile, "class=\"tile-euros\"", "value").parse().unwrap();
        assert_eq!(
            value,
            summary["this_month"]["value"].as_f64().unwrap(),
            "{fluid}"
        );
        assert_eq!(
            euros,
            summary["this_month"]["euros"].as_f64().unwrap(),
            "{fluid}"
        );
        assert!(tile.contains("A year earlier:"), "{tile}");
        assert!(value > 0.0 && euros > 0.0);
    }
    assert!(
        tile(html, "water").contains("\u{a0}L</data>"),
        "water in litres"
    );
    // The default chart: electricity, the month of the last reading, by day.
    assert_eq!(
        attr(html, "<figure class=\"chart-box\"", "data-step"),
        "day"
    );
    assert!(html.contains("role=\"group\"") || html.contains("role=\"img\""));
    assert!(html.contains("<h2 id=\"chart-h\">Electricity</h2>"));
    assert!(html.contains("action=\"/app/import\" enctype=\"multipart/form-data\""));
    assert!(html.contains("href=\"/app/energy/tariffs\""));
    // Electricity facts and coverage.
    assert!(
        html.contains("Night standby over the last 30 days:"),
        "baseload shown"
    );
    assert!(html.contains("in the last year"), "coverage shown");

    // Every scale and unit shows the API's figures.
    for (query, bars) in [
        ("fluid=electricity&scale=day&unit=kWh&date=2026-09-10", 48),
        ("fluid=electricity&scale=day&unit=EUR&date=2026-03-29", 46),
        ("fluid=electricity&scale=week&unit=kWh&date=2026-09-10", 7),
        ("fluid=electricity&scale=month&unit=EUR&date=2026-09-10", 30),
        ("fluid=electricity&scale=year&unit=kWh&date=2025-06-01", 12),
        ("fluid=gas&scale=month&unit=kWh&date=2026-02-03", 28),
        ("fluid=gas&scale=year&unit=EUR&date=2025-02-03", 12),
        ("fluid=gas&scale=day&unit=kWh&date=2026-02-03", 7),
        ("fluid=water&scale=month&unit=L&date=2026-08-31", 31),
        ("fluid=water&scale=week&unit=m3&date=2026-08-31", 7),
        ("fluid=water&scale=year&unit=EUR&date=2026-08-31", 12),
    ] {
        let page = b.get(&format!("/app/energy?{query}")).await;
        assert_eq!(page.status, 200, "{query}");
        let html = &page.body;
        let fig = "<figure class=\"chart-box\"";
        let api = format!(
            "/dana/selfdata/energy/api/consumption?fluid={}&from={}&to={}&step={}&unit={}",
            attr(html, fig, "data-fluid"),
            attr(html, fig, "data-from"),
            attr(html, fig, "data-to"),
            attr(html, fig, "data-step"),
            attr(html, fig, "data-unit"),
        );
        let field = attr(html, fig, "data-field");
        let answer = dana.api(&s, &api).await;
        let points = answer["points"].as_array().unwrap();
        assert_eq!(points.len(), bars, "{query}: {api}");
        let expected: Vec<f64> = points.iter().filter_map(|p| p[&field].as_f64()).collect();
        assert_eq!(bar_values(html), expected, "{query}: {api}");
        assert!(!expected.is_empty(), "{query} has figures");
        let before: Vec<f64> = answer["previous_year"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .take(points.len())
            .filter_map(|p| p[&field].as_f64())
            .collect();
        assert_eq!(previous_values(html), before, "{query}: previous year");
        if query.contains("gas&scale=day") {
            assert!(
                html.contains("read once a day"),
                "the day of a daily fluid says why it shows a week"
            );
        }
        if query.contains("unit=EUR") {
            assert!(html.contains("€"), "{query}");
        }
    }

    // Previous / next links move by one period.
    let page = b
        .get("/app/energy?fluid=gas&scale=month&unit=kWh&date=2026-02-03")
        .await;
    assert!(page.body.contains("href=\"/app/energy?fluid=gas&#38;scale=month&#38;unit=kWh&#38;date=2026-01-03#chart\" rel=\"prev\""));
    assert!(page.body.contains("href=\"/app/energy?fluid=gas&#38;scale=month&#38;unit=kWh&#38;date=2026-03-03#chart\" rel=\"next\""));
    // No next period after the current one.
    let page = b
        .get("/app/energy?fluid=gas&scale=month&unit=kWh&date=2026-10-03")
        .await;
    assert!(!page.body.contains("rel=\"next\""));

    // The server tells how long it took (speed is measured by `bash bench/energy.sh`).
    let page = b.get("/app/energy?fluid=electricity&scale=day").await;
    let timing = page
        .header("server-timing")
        .expect("a server-timing header");
    assert!(timing.starts_with("render;dur="), "{timing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_water_leak_and_missing_days_show() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 1).await;
    let b = Browser::new(&s.base);
    sign_in(&b, EMAIL).await;
    let page = b.get("/app/energy?fluid=water&scale=month&unit=L").await;
    assert_eq!(page.status, 200);
    let (first, last) = selfdata_energy::demo::leak_days(TODAY);
    let en = |d: Date| {
        let months = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        format!("{} {}", d.day(), months[d.month() as usize - 1])
    };
    let expected = format!(
        "L a day more than usual from {} to {} {}.",
        en(first),
        en(last),
        last.year()
    );
    let alert = page
        .body
        .split("<li class=\"alert\">")
        .skip(1)
        .map(|a| &a[..a.find("</li>").unwrap()])
        .find(|a| a.contains(&expected))
        .unwrap_or_else(|| panic!("no leak alert saying {expected:?}"));
    assert!(alert.contains("Possible water leak: about "), "{alert}");
    assert!(
        alert.contains(&format!("date={first}#chart")),
        "the alert links to those days: {alert}"
    );
    // The water section says how complete the readings are.
    assert!(page.body.contains("in the last year"), "coverage");
    // In French too, with French numbers.
    let fr = Browser::in_language(&s.base, "fr-FR,fr;q=0.9");
    sign_in(&fr, EMAIL).await;
    let page = fr.get("/app/energy?fluid=water&scale=month&unit=m3").await;
    assert!(page.body.contains("<html lang=\"fr\">"));
    assert!(page.body.contains("Fuite d&#39;eau possible"));
    assert!(
        page.body
            .contains("Ce mois-ci\u{a0}: du 1er au 15 octobre 2026")
    );
    assert!(page.body.contains("m³"));
    let m3 = bar_values(&page.body);
    assert!(m3.iter().all(|v| *v < 10.0), "m³ a day: {m3:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_run_as_jobs_a_bad_file_is_named_with_its_line_and_leaves_nothing() {
    let s = server().await;
    let dana = resident(&s, EMAIL, "dana", 0).await;
    let b = Browser::new(&s.base);
    sign_in(&b, EMAIL).await;
    let page = b.get("/app/energy").await;
    assert!(
        page.body.contains("No readings yet."),
        "an empty pod says so"
    );
    let csrf = field(&page.body, "csrf");
    let files = selfdata_energy::demo::household(TODAY, 1, 7);
    let water = files
        .iter()
        .find(|f| f.name.contains("litres"))
        .expect("the water file");
    let electricity = files
        .iter()
        .find(|f| f.name.ends_with(".csv") && !f.name.contains("litres"))
        .unwrap();

    // A water file whose line 12 has no date.
    let mut lines: Vec<Vec<u8>> = water
        .bytes
        .split(|b| *b == b'\n')
        .map(<[u8]>::to_vec)
        .collect();
    let rest = lines[11].iter().position(|b| *b == b';').unwrap();
    lines[11] = [b"32/09/2026 12:00".as_slice(), &lines[11][rest..]].concat();
    let bad = lines.join(&b'\n');
    let r = b
        .post_files("/app/import", Some(&csrf), &[("water.csv", &bad)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let job = r.location.unwrap();
    assert!(
        job.starts_with("/app/import/") && job.len() > 40,
        "an unguessable job id: {job}"
    );
    let done = b.wait_job(&job).await;
    assert!(done.contains("Not imported: line 12: "), "{done}");
    assert!(done.contains("Nothing of this file was kept."));
    assert!(
        done.contains("Import finished. 1 file: 1 refused."),
        "{done}"
    );
    let summary = dana
        .api(&s, "/dana/selfdata/energy/api/summary?fluid=water")
        .await;
    assert_eq!(summary["readings"], 0, "nothing of the bad file was kept");

    // Two good files at once: one summary each.
    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[
                (&electricity.name, &electricity.bytes),
                (&water.name, &water.bytes),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(
        done.contains("Import finished. 2 files imported."),
        "{done}"
    );
    assert_eq!(done.matches(" readings imported, ").count(), 2, "{done}");
    assert!(done.contains("value=\"100\""), "the bar is full");
    let summary = dana
        .api(&s, "/dana/selfdata/energy/api/summary?fluid=water")
        .await;
    assert!(summary["readings"].as_u64().unwrap() > 300);
    // Importing the same file again changes nothing, and says so.
    let r = b
        .post_files("/app/import", Some(&csrf), &[(&water.name, &water.bytes)])
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("already imported: nothing new"), "{done}");
    // A batch with a good file, a damaged one and an empty one: each counted.
    let r = b
        .post_files(
            "/app/import",
            Some(&csrf),
            &[
                (&water.name, &water.bytes),
                ("water.csv", &bad),
                ("empty.csv", b"\r\n"),
            ],
        )
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(
        done.contains("Import finished. 1 file imported, 2 refused."),
        "{done}"
    );
    assert!(done.contains("the file is empty"), "{done}");

    // Someone else cannot follow the job.
    s.app
        .idp
        .create_account(
            "erin@example.org",
            PASSWORD,
            &PodName::parse("erin").unwrap(),
        )
        .await
        .unwrap();
    let erin = Browser::new(&s.base);
    sign_in(&erin, "erin@example.org").await;
    assert_eq!(erin.get(&job).await.status, 404);
    // No file chosen.
    let r = b.post_files("/app/import", Some(&csrf), &[("", b"")]).await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("Choose at least one file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn tariff_changes_flow_into_the_euros() {
    let s = server().await;
    let dana = resident(&s, EMAIL, "dana", 1).await;
    let b = Browser::new(&s.base);
    sign_in(&b, EMAIL).await;
    let euros = |html: &str| -> f64 {
        attr(tile(html, "electricity"), "class=\"tile-euros\"", "value")
            .parse()
            .unwrap()
    };
    let before = euros(&b.get("/app/energy").await.body);

    let page = b.get("/app/energy/tariffs").await;
    assert_eq!(page.status, 200);
    let html = &page.body;
    assert!(
        html.contains("EDF Tarif Bleu") && html.contains("Lyon"),
        "where the defaults come from"
    );
    assert!(
        html.contains("id=\"electricity-base_price\" name=\"base_price\" value=\"0.194\""),
        "prefilled with today's price"
    );
    assert!(
        html.contains("<time datetime=\"2026-02-01\">"),
        "the periods in force"
    );
    let csrf = field(html, "csrf");

    // A bad amount comes back in the form; nothing is saved.
    let r = b
        .post(
            "/app/energy/tariffs",
            &[
                ("csrf", &csrf),
                ("fluid", "electricity"),
                ("valid_from", "2026-10-01"),
                ("option", "base"),
                ("base_price", "abc"),
                ("peak_price", "0.2081"),
                ("offpeak_price", "0.1635"),
                ("offpeak_hours", "22:00-06:00"),
                ("subscription", "185.64"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Write an amount like 0.1940"));
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert!(r.body.contains("value=\"abc\""), "the entered value stays");
    assert_eq!(euros(&b.get("/app/energy").await.body), before);

    // Twice the price from the start of the month.
    let r = b
        .post(
            "/app/energy/tariffs",
            &[
                ("csrf", &csrf),
                ("fluid", "electricity"),
                ("valid_from", "2026-10-01"),
                ("option", "base"),
                ("base_price", "0,388"),
                ("peak_price", "0.2081"),
                ("offpeak_price", "0.1635"),
                ("offpeak_hours", "22:00-06:00"),
                ("subscription", "185.64"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let saved = b.get(r.location.as_deref().unwrap()).await;
    assert!(
        saved
            .body
            .contains("Saved: electricity prices from 1 October 2026."),
        "{}",
        saved.body
    );
    assert!(saved.body.contains("<time datetime=\"2026-10-01\">"));
    let page = b.get("/app/energy").await;
    let after = euros(&page.body);
    assert!(after > before * 1.5, "{before} → {after}");
    let summary = dana
        .api(&s, "/dana/selfdata/energy/api/summary?fluid=electricity")
        .await;
    assert_eq!(after, summary["this_month"]["euros"].as_f64().unwrap());
    // Only the changed component was recorded.
    let (_, csv) = s
        .app
        .store
        .get(
            &PodName::parse("dana").unwrap(),
            &selfdata_store::ResourcePath::parse("/selfdata/energy/tariffs.csv").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let csv = String::from_utf8(csv.to_vec()).unwrap();
    assert_eq!(csv.matches("2026-10-01").count(), 1, "{csv}");
    assert!(
        csv.contains("electricity,2026-10-01,base_price,0.388,EUR/kWh"),
        "{csv}"
    );
    // Saving the same values again changes nothing.
    let r = b
        .post(
            "/app/energy/tariffs",
            &[
                ("csrf", &csrf),
                ("fluid", "gas"),
                ("valid_from", "2026-10-01"),
                ("price", "0.12"),
                ("subscription", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Nothing changed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn strangers_go_to_sign_in_and_forged_forms_are_refused() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 0).await;
    let anon = Browser::new(&s.base);
    for path in [
        "/app/energy?fluid=water",
        "/app/energy/tariffs",
        "/app/import/abc",
    ] {
        let r = anon.get(path).await;
        assert_eq!(r.status, 303, "{path}");
        let location = r.location.unwrap();
        assert!(
            location.starts_with("/account/login?return_to=%2Fapp%2F"),
            "{location}"
        );
    }
    let r = anon
        .post_files("/app/import", None, &[("a.csv", b"x")])
        .await;
    assert_eq!(r.status, 303);
    let r = anon
        .post("/app/energy/tariffs", &[("csrf", "x"), ("fluid", "gas")])
        .await;
    assert_eq!(r.status, 303);

    let b = Browser::new(&s.base);
    sign_in(&b, EMAIL).await;
    let r = b
        .post_files("/app/import", None, &[("a.csv", b"Horodate;Valeur\r\n")])
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post_files(
            "/app/import",
            Some("forged"),
            &[("a.csv", b"Horodate;Valeur\r\n")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/app/energy/tariffs",
            &[
                ("fluid", "gas"),
                ("valid_from", "2026-01-01"),
                ("price", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // The account page leads to the dashboard.
    let account = b.get("/account").await;
    assert!(account.body.contains("href=\"/app/energy\""));
}

/// The Enedis pages were English only and, like the erase page, hand-built
/// without the menu (and the erase page without a way back): every page is
/// now drawn in the site's one layout, in French unless the browser or a
/// `?lang=` link says otherwise, and the choice is kept.
#[tokio::test(flavor = "multi_thread")]
async fn the_enedis_and_erase_pages_speak_french_with_the_menu_and_a_way_back() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 0).await;
    let b = Browser::in_language(&s.base, "fr-FR,fr;q=0.9");
    sign_in(&b, EMAIL).await;
    for path in [
        "/app/energy",
        "/app/energy/tariffs",
        "/app/energy/connect",
        "/app/energy/connect/grdf",
        "/app/privacy",
        "/app/privacy/requests",
        "/app/privacy/delete",
        "/account",
    ] {
        let page = b.get(path).await;
        assert!(page.body.contains("<html lang=\"fr\">"), "{path}");
        assert!(
            page.body.contains("<nav aria-label=\"Principal\">")
                && page.body.contains("href=\"/app/privacy\"")
                && page.body.contains("href=\"/account\""),
            "{path} has no menu: {}",
            page.body
        );
    }
    // This test server has no Data Connect keys: the page says so, in French.
    let old = b.response("/app/energy/connect/enedis/status").await;
    assert_eq!(old.headers()["location"], "/app/energy/connect");
    let enedis = b.get("/app/energy/connect").await;
    assert_eq!(enedis.status, 404);
    assert!(
        enedis
            .body
            .contains("Vous pouvez toujours importer le fichier"),
        "{}",
        enedis.body
    );
    assert!(
        enedis
            .body
            .contains("<a href=\"/app/energy\">Retour à énergie et eau</a>")
    );
    assert!(
        enedis.body.contains("pas prêt à se connecter à GRDF"),
        "{}",
        enedis.body
    );
    let erase = b.get("/app/privacy/delete").await;
    assert!(
        erase.body.contains("Supprimer mon espace"),
        "{}",
        erase.body
    );
    assert!(
        erase
            .body
            .contains("<a href=\"/app/privacy\">Ne rien supprimer")
    );
    // A `?lang=en` link switches, and the next pages stay in English.
    let en = b.get("/app/privacy/delete?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Delete my pod"));
    let later = b.get("/app/energy/connect").await;
    assert!(
        later.body.contains("not set up to connect Enedis accounts"),
        "{}",
        later.body
    );
}

/// `/` answered one line of plain text, so a resident who typed the city's
/// address saw nothing, and signing in from the sign-in page landed on the
/// account page: the home page now says what this is to a visitor, and is
/// the resident's space (one card per service) once signed in.
#[tokio::test(flavor = "multi_thread")]
async fn the_home_page_explains_to_a_visitor_and_shows_the_residents_cards() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 1).await;
    let visitor = Browser::in_language(&s.base, "fr-FR");
    let home = visitor.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<html lang=\"fr\">"), "{}", home.body);
    assert!(home.body.contains("Pourquoi c"), "{}", home.body);
    assert!(home.body.contains("href=\"/account/login?return_to=%2F\""));
    assert!(home.body.contains("href=\"/account/signup?return_to=%2F\""));

    let b = Browser::new(&s.base);
    let login = b.get("/account/login").await;
    let csrf = field(&login.body, "csrf");
    let r = b
        .post(
            "/account/login",
            &[("csrf", &csrf), ("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.location.as_deref(), Some("/"), "sign-in lands home");
    let home = b.get("/").await;
    assert!(home.body.contains("Your space"), "{}", home.body);
    assert!(
        home.body
            .contains("<a href=\"/app/energy\">Energy and water</a>"),
        "{}",
        home.body
    );
    assert!(home.body.contains("Electricity: "), "{}", home.body);
    assert!(
        home.body.contains("<a href=\"/app/privacy\">"),
        "{}",
        home.body
    );
    assert!(
        home.body.contains("Nobody but you has access"),
        "{}",
        home.body
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_residents_empty_dashboard_says_where_to_get_their_files() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 0).await;
    resident(&s, "erin@example.org", "erin", 1).await;
    let fr = Browser::in_language(&s.base, "fr-FR,fr;q=0.9");
    sign_in(&fr, EMAIL).await;
    let page = fr.get("/app/energy").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("Où trouver vos fichiers"),
        "{}",
        page.body
    );
    assert!(page.body.contains("mon-compte-particulier.enedis.fr"));
    assert!(page.body.contains("monespace.grdf.fr"));
    assert!(
        page.body
            .contains("l’espace client de votre distributeur d’eau")
    );

    let en = Browser::new(&s.base);
    sign_in(&en, EMAIL).await;
    let page = en.get("/app/energy").await;
    assert!(page.body.contains("Where to get your files"));
    assert!(
        page.body
            .contains("downloaded from your Enedis customer area")
    );

    // With readings, the dashboard shows them instead.
    let b = Browser::new(&s.base);
    sign_in(&b, "erin@example.org").await;
    let page = b.get("/app/energy").await;
    assert!(!page.body.contains("Where to get your files"));
}

/// The demo household's electricity export (its meter number differs by seed).
fn electricity_of(seed: u64) -> selfdata_energy::demo::DemoFile {
    selfdata_energy::demo::household(TODAY, 1, seed)
        .into_iter()
        .find(|f| f.name.ends_with(".csv") && !f.name.contains("litres"))
        .expect("the electricity file")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_for_another_meter_is_kept_apart_and_imported_once_the_resident_confirms_it_on_its_page()
 {
    let s = server().await;
    let dana = resident(&s, EMAIL, "dana", 0).await;
    let b = Browser::new(&s.base);
    sign_in(&b, EMAIL).await;
    let csrf = field(&b.get("/app/energy").await.body, "csrf");
    let (mine, other) = (electricity_of(7), electricity_of(8));
    let r = b
        .post_files("/app/import", Some(&csrf), &[(&mine.name, &mine.bytes)])
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 file imported"), "{done}");
    let summary = "/dana/selfdata/energy/api/summary?fluid=electricity";
    let before = dana.api(&s, summary).await;

    // Another meter's file: kept apart, nothing merged, and the page offers to confirm it.
    let r = b
        .post_files("/app/import", Some(&csrf), &[("other.csv", &other.bytes)])
        .await;
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("Kept apart:"), "{done}");
    assert!(done.contains("1 kept apart"), "{done}");
    assert!(done.contains("action=\"/app/import/apart\""), "{done}");
    let kept = field(&done, "path");
    assert!(
        kept.starts_with("/selfdata/sources/enedis/apart/"),
        "{kept}"
    );
    assert_eq!(dana.api(&s, summary).await, before, "nothing merged");

    // A forged confirmation, or one naming a file outside the apart folders, does nothing.
    let r = b
        .post("/app/import/apart", &[("csrf", "forged"), ("path", &kept)])
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/app/import/apart",
            &[("csrf", &csrf), ("path", "/selfdata/energy/tariffs.csv")],
        )
        .await;
    assert_eq!(r.status, 400);

    // The resident confirms: the file is merged.
    let r = b
        .post("/app/import/apart", &[("csrf", &csrf), ("path", &kept)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = b.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("1 file imported"), "{done}");
    assert!(done.contains(" readings imported, "), "{done}");
    assert_ne!(
        dana.api(&s, summary).await,
        before,
        "the confirmed file's readings are merged"
    );
    let pod = PodName::parse("dana").unwrap();
    let path = selfdata_store::ResourcePath::parse(&kept).unwrap();
    assert!(
        s.app.store.meta(&pod, &path).await.unwrap().is_none(),
        "the copy kept apart is gone once confirmed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn french_mode_shows_import_errors_in_french_naming_the_export_and_where_to_get_it() {
    let s = server().await;
    resident(&s, EMAIL, "dana", 0).await;
    let fr = Browser::in_language(&s.base, "fr-FR,fr;q=0.9");
    sign_in(&fr, EMAIL).await;
    let csrf = field(&fr.get("/app/energy").await.body, "csrf");
    let r = fr
        .post_files(
            "/app/import",
            Some(&csrf),
            &[("courses.csv", b"pain;lait\n1;2\n"), ("vide.csv", b"")],
        )
        .await;
    let done = fr.wait_job(&r.location.unwrap()).await;
    assert!(done.contains("<html lang=\"fr\">"), "{done}");
    assert!(done.contains("Non importé"), "{done}");
    assert!(
        done.contains("ce fichier n’est pas un export que selfdata sait lire"),
        "{done}"
    );
    assert!(done.contains("à télécharger sur"), "{done}");
    assert!(done.contains("le fichier est vide"), "{done}");
    assert!(!done.contains("not an export"), "no English left: {done}");
    assert!(!done.contains("downloaded from"), "no English left: {done}");
}

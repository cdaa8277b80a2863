//! The energy and water dashboard in a headless Chromium (Debian's
//! `chromium`), against the real binary on a data folder prepared by
//! `selfdata demo --no-serve` (three years of a synthetic household, up to
//! today): the resident signs in through the login form, opens the
//! dashboard, switches scales and units, follows previous-period and
//! drill-down links, opens the tariffs page and imports a file. The script
//! (`tests/e2e/dashboard.mjs`) checks every page state with axe-core and
//! for sideways scrolling on a phone, takes phone and desktop screenshots
//! (into `target/e2e-shots/`), and writes down every figure it saw (tile
//! numbers, bar values, previous-year markers); this test then asks the
//! JSON API, with an access token of the demo WebID, for the same periods
//! and checks the figures are the same.

use crate::common;
use crate::e2e;

use std::path::PathBuf;

use selfdata::{App, Options};
use selfdata_oidc::DpopKey;
use selfdata_store::PodName;
use serde_json::Value;

const DEMO_YEARS: u32 = 3;

async fn api(
    client: &reqwest::Client,
    base: &str,
    key: &DpopKey,
    token: &str,
    path: &str,
) -> Value {
    let url = format!("{base}{path}");
    let htu = url.split('?').next().unwrap();
    let r = client
        .get(&url)
        .header("authorization", format!("DPoP {token}"))
        .header("dpop", key.proof("GET", htu, Some(token), common::now()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_in_a_browser_shows_the_apis_figures() {
    let chromium = e2e::chromium();
    // The demo household, imported by the real binary for this server's address.
    let dir = tempfile::tempdir().unwrap();
    let port = e2e::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let out = e2e::run(
        dir.path(),
        &[
            "demo",
            "--no-serve",
            "--years",
            &DEMO_YEARS.to_string(),
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--base-url",
            &base,
        ],
    );
    assert!(out.contains("readings imported"), "{out}");

    // Keys for the demo WebID, to ask the API what the pages should show.
    let (client_id, secret) = {
        let app = App::open(Options::new(dir.path(), &base)).await.unwrap();
        let pod = PodName::parse("demo").unwrap();
        let webid = selfdata_solid::provision::webid_of(&base, &pod);
        app.idp
            .create_credentials(None, &webid, "e2e dashboard test")
            .await
            .unwrap()
    };
    let server = e2e::Running::start_on(dir, port, &[]);

    // The browser; it writes what it saw.
    let shots = e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let work = tempfile::tempdir().unwrap();
    let figures: PathBuf = work.path().join("figures.json");
    // Files to upload: the demo's own exports, so importing them changes nothing.
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(selfdata_energy::files::paris())
        .date();
    let mut uploads = Vec::new();
    for file in selfdata_energy::demo::household(today, DEMO_YEARS, 2026) {
        let path = work.path().join(&file.name);
        std::fs::write(&path, &file.bytes).unwrap();
        uploads.push(path.to_str().unwrap().to_owned());
    }
    let upload = uploads.join("\n");
    let node_env = [
        ("SELFDATA_BASE", server.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_SHOTS", shots.to_str().unwrap()),
        ("SELFDATA_FIGURES", figures.to_str().unwrap()),
        ("SELFDATA_UPLOAD", upload.as_str()),
    ];
    tokio::task::block_in_place(|| e2e::node("dashboard.mjs", &node_env));

    // Every figure the browser saw is the API's.
    let seen: Value = serde_json::from_slice(&std::fs::read(&figures).unwrap()).unwrap();
    let states = seen.as_array().unwrap();
    assert!(states.len() >= 10, "the script visits every scale and unit");
    let client = reqwest::Client::new();
    let key = DpopKey::generate();
    let token = common::client_credentials_token(&client, &base, &client_id, &secret, &key).await;
    let mut summaries = std::collections::HashMap::new();
    for fluid in ["electricity", "gas", "water"] {
        let path = format!("/demo/selfdata/energy/api/summary?fluid={fluid}");
        summaries.insert(fluid, api(&client, &base, &key, &token, &path).await);
    }
    let mut compared = 0;
    for state in states {
        let label = state["label"].as_str().unwrap();
        let path = format!(
            "/demo/selfdata/energy/api/consumption?fluid={}&from={}&to={}&step={}&unit={}",
            state["fluid"].as_str().unwrap(),
            state["from"].as_str().unwrap(),
            state["to"].as_str().unwrap(),
            state["step"].as_str().unwrap(),
            state["unit"].as_str().unwrap(),
        );
        let field = state["field"].as_str().unwrap();
        let answer = api(&client, &base, &key, &token, &path).await;
        let points = answer["points"].as_array().unwrap();
        let expected: Vec<f64> = points.iter().filter_map(|p| p[field].as_f64()).collect();
        assert_eq!(
            numbers(&state["bars"]),
            expected,
            "{label}: bars against {path}"
        );
        assert_eq!(
            state["missing"].as_u64().unwrap() as usize,
            points.len() - expected.len(),
            "{label}: bars without data"
        );
        let before: Vec<f64> = answer["previous_year"]["points"]
            .as_array()
            .unwrap()
            .iter()
            .take(points.len())
            .filter_map(|p| p[field].as_f64())
            .collect();
        if !expected.is_empty() {
            assert_eq!(
                numbers(&state["previous"]),
                before,
                "{label}: previous year against {path}"
            );
        }
        for (fluid, summary) in &summaries {
            let tile = &state["tiles"][fluid];
            assert_eq!(
                tile["value"].as_f64(),
                summary["this_month"]["value"].as_f64(),
                "{label}: {fluid} tile"
            );
            assert_eq!(
                tile["euros"].as_f64(),
                summary["this_month"]["euros"].as_f64(),
                "{label}: {fluid} tile"
            );
        }
        compared += 1;
    }
    println!("the browser's figures of {compared} page states match the JSON API");
    println!("screenshots in {}", shots.display());
}

//! The example app (`examples/energy-app`: a page and a script on Inrupt's
//! browser library, bundled with esbuild) in headless Chromium against the
//! real binary: sign-in through selfdata's consent screen, the energy
//! summary shown, and a change made by another client arriving by
//! notification. Needs Node, `npm ci --prefix tests/e2e` and
//! `npm ci --prefix examples/energy-app` (scripts/test-all.sh does both).

use std::process::Command;

use selfdata::{App, Options};
use selfdata_store::PodName;

use crate::e2e;

#[tokio::test]
async fn the_example_app_signs_in_shows_the_summary_and_updates_on_a_notification() {
    let chromium = e2e::chromium();
    let app_dir = e2e::repo().join("examples/energy-app");
    assert!(
        app_dir.join("node_modules").exists(),
        "the example app needs its npm packages: run `npm ci --prefix examples/energy-app` (scripts/test-all.sh does it)"
    );
    let built = Command::new("npm")
        .args(["run", "build", "--silent"])
        .current_dir(&app_dir)
        .status()
        .expect("npm must be installed");
    assert!(built.success(), "the example app did not build");

    let dir = tempfile::tempdir().unwrap();
    let port = e2e::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let pod = PodName::parse("alice").unwrap();
    let (email, password) = ("alice@example.org", "correct horse battery");
    let (webid, client_id, secret) = {
        let app = App::open(Options::new(dir.path(), &base)).await.unwrap();
        app.idp.create_account(email, password, &pod).await.unwrap();
        let webid = selfdata_solid::provision::webid_of(&base, &pod);
        let (id, secret) = app
            .idp
            .create_credentials(None, &webid, "e2e: another client")
            .await
            .unwrap();
        (webid, id, secret)
    };
    let server = e2e::Running::start_on(dir, port, &["--allow-http-client-ids"]);

    // This month's electricity, so the summary has a figure to show.
    let work = tempfile::tempdir().unwrap();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(selfdata_energy::files::paris())
        .date();
    let file = selfdata_energy::demo::household(today, 1, 7)
        .into_iter()
        .find(|f| f.name.ends_with(".csv") && !f.name.contains("litres"))
        .unwrap();
    let path = work.path().join(&file.name);
    std::fs::write(&path, &file.bytes).unwrap();

    e2e::node(
        "example-app.mjs",
        &[
            ("SELFDATA_BASE", server.base.as_str()),
            ("SELFDATA_CHROMIUM", chromium.as_str()),
            ("APP_DIR", app_dir.join("public").to_str().unwrap()),
            ("EMAIL", email),
            ("PASSWORD", password),
            ("WEBID", webid.as_str()),
            ("OTHER_CLIENT_ID", client_id.as_str()),
            ("OTHER_CLIENT_SECRET", secret.as_str()),
            ("ELECTRICITY_FILE", path.to_str().unwrap()),
        ],
    );
}

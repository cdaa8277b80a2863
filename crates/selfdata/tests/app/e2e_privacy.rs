//! "Who has what on me?" in a headless Chromium (Debian's `chromium`)
//! against the real binary: a resident signs up and allows an app on the
//! consent screen (driven here over HTTP, as `access.rs` does); the script
//! (`tests/e2e/privacy.mjs`) signs in through the login form, checks the
//! page, the app's consent record and the rights-against-holders page with
//! axe-core, opens an organisation named by a Facebook archive imported
//! here and writes it an objection, and revokes the app with its button.
//! This test then checks that the app's very next request is refused.

use crate::common::{self, Browser, field};
use crate::e2e;

const EMAIL: &str = "carol@example.org";
const PASSWORD: &str = "correct horse battery";
const APP: &str = "Budget Helper";

#[tokio::test(flavor = "multi_thread")]
async fn who_has_what_on_me_in_a_browser_and_revoking_an_app() {
    let chromium = e2e::chromium();
    let server = e2e::Running::start(&[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let pages = Browser::new(&server.base);
    // carol signs up, and allows an app.
    let signed_up = pages.sign_up(EMAIL, PASSWORD, "carol").await;
    assert_eq!(signed_up.status, 303, "/account/signup");
    let client_id = common::register_app(&client, &server.base, APP).await;
    let webid = format!("{}/carol/profile/card#me", server.base);
    let answer = pages
        .consent(&common::authorize_path(&client_id), &webid, "allow")
        .await;
    assert_eq!(answer.status, 303, "/idp/authorize");
    let location = answer.location.expect("a redirect back to the app");
    let (key, access) = common::redeem_code(&client, &server.base, &client_id, &location).await;
    let root = format!("{}/carol/", server.base);
    let app_get = || common::as_agent(&client, &key, &access, "GET", &root).send();
    assert_eq!(app_get().await.unwrap().status(), 200);

    // A Facebook archive names the organisations the script opens.
    let archive = std::fs::read(format!(
        "{}/../archives/tests/fixtures/gen_facebook_2023.zip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let csrf = field(&pages.get("/app/privacy/organisations").await.body, "csrf");
    let imported = pages
        .post_files("/app/import", Some(&csrf), &[("facebook.zip", &archive)])
        .await;
    let done = pages
        .wait_job(&imported.location.expect("an import job"))
        .await;
    assert!(done.contains("1 file imported"), "{done}");

    let shots = e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let env = [
        ("SELFDATA_BASE", server.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_SHOTS", shots.to_str().unwrap()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_APP", APP),
    ];
    tokio::task::block_in_place(|| e2e::node("privacy.mjs", &env));

    // Revoked in the browser: the app's very next request is refused.
    let status = app_get().await.unwrap().status().as_u16();
    assert!(status == 401 || status == 403, "{status}");
}

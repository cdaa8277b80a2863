//! The directory of organisations in a real browser (tests/e2e/organisations.mjs):
//! after a Facebook and a Google archive are imported, on a phone in English
//! without JavaScript (search as plain HTML, evidence in `<details>`),
//! through axe-core, and in French.

use selfdata_store::PodName;

use crate::common::{PASSWORD, Server, archive_fixture};

const EMAIL: &str = "ines@example.org";

#[tokio::test(flavor = "multi_thread")]
async fn the_directory_in_a_browser_is_accessible_fits_a_phone_and_searches_without_script() {
    let chromium = crate::e2e::chromium();
    let s = Server::start().await;
    let ines = PodName::parse("ines").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &ines)
        .await
        .unwrap();
    for f in ["gen_facebook_2023.zip", "gen_takeout_en.zip"] {
        s.app.import_file(&ines, archive_fixture(f)).await.unwrap();
    }
    let shots = crate::e2e::repo().join("target/e2e-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let shots = shots.display().to_string();
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_FIND", "credit agricole"),
        ("SELFDATA_SHOTS", shots.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("organisations.mjs", &env));
}

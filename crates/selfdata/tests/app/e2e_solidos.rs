//! The SolidOS data browser (npm `mashlib`) in headless Chromium, served
//! from another origin, against the real binary: sign-in, browsing the pod,
//! making a folder, making and editing a document, sharing it (its ACL),
//! uploading a file and deleting the document, each through SolidOS's own
//! controls. Needs Node and `npm ci --prefix tests/e2e`.

use selfdata::{App, Options};
use selfdata_store::PodName;

use crate::e2e;

#[tokio::test]
async fn the_solidos_data_browser_browses_makes_edits_shares_uploads_and_deletes() {
    let chromium = e2e::chromium();
    let dir = tempfile::tempdir().unwrap();
    let port = e2e::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let pod = PodName::parse("alice").unwrap();
    let (email, password) = ("alice@example.org", "correct horse battery");
    {
        let app = App::open(Options::new(dir.path(), &base)).await.unwrap();
        app.idp.create_account(email, password, &pod).await.unwrap();
    }
    let webid = selfdata_solid::provision::webid_of(&base, &pod);
    let server = e2e::Running::start_on(dir, port, &["--allow-http-client-ids"]);
    e2e::node(
        "solidos.mjs",
        &[
            ("SELFDATA_BASE", server.base.as_str()),
            ("SELFDATA_CHROMIUM", chromium.as_str()),
            ("EMAIL", email),
            ("PASSWORD", password),
            ("WEBID", webid.as_str()),
        ],
    );
}

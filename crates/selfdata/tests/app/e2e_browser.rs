//! A headless Chromium (Debian's `chromium`) drives the resident's pages:
//! sign-up, sign-out, sign-in, an app's authorization through the consent
//! screen, the app's token exchange with DPoP and a read of the pod, then
//! revoking the app from the account page. Every page is checked with
//! axe-core. The script is `tests/e2e/browser.mjs`.

use crate::e2e;

#[test]
fn signup_login_consent_and_revoke_in_a_browser() {
    let chromium = e2e::chromium();
    let server = e2e::Running::start(&["--allow-http-client-ids"]);
    e2e::node(
        "browser.mjs",
        &[
            ("SELFDATA_BASE", server.base.as_str()),
            ("SELFDATA_CHROMIUM", chromium.as_str()),
        ],
    );
}

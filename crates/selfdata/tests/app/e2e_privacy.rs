//! "Who has what on me?" in a headless Chromium (Debian's `chromium`)
//! against the real binary: a resident signs up and allows an app on the
//! consent screen (driven here over HTTP, as `access.rs` does); the script
//! (`tests/e2e/privacy.mjs`) signs in through the login form, checks the
//! page, the app's consent record and the rights-against-holders page with
//! axe-core, and revokes the app with its button. This test then checks
//! that the app's very next request is refused.

use crate::common;
use crate::e2e;

use std::collections::HashMap;

const CHROMIUM: &str = "/usr/bin/chromium";
const EMAIL: &str = "carol@example.org";
const PASSWORD: &str = "correct horse battery";
const APP: &str = "Budget Helper";

/// A cookie-keeping HTTP client for the pages.
struct Pages {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Pages {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, r: &reqwest::Response) -> String {
        for v in r.headers().get_all("set-cookie") {
            let pair = v.to_str().unwrap().split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            self.cookies.insert(k.to_owned(), v.to_owned());
        }
        r.headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    async fn get(&mut self, path: &str) -> String {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(&r);
        r.text().await.unwrap()
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> String {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{path}");
        self.keep(&r)
    }
}

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()]
        .replace("&#x2f;", "/")
        .replace("&#43;", "+")
}

#[tokio::test(flavor = "multi_thread")]
async fn who_has_what_on_me_in_a_browser_and_revoking_an_app() {
    let chromium = std::env::var("SELFDATA_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "the browser test needs Chromium at {chromium} (install Debian's `chromium` \
         package, as the CI script does, or set SELFDATA_CHROMIUM)"
    );
    let server = e2e::Running::start(&[]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut pages = Pages {
        base: server.base.clone(),
        client: client.clone(),
        cookies: HashMap::new(),
    };
    // carol signs up, and allows an app.
    let signup = pages.get("/account/signup").await;
    pages
        .post(
            "/account/signup",
            &[
                ("csrf", &field(&signup, "csrf")),
                ("email", EMAIL),
                ("password", PASSWORD),
                ("pod", "carol"),
                ("return_to", "/account"),
            ],
        )
        .await;
    let client_id = common::register_app(&client, &server.base, APP).await;
    let consent = pages.get(&common::authorize_path(&client_id)).await;
    let webid = format!("{}/carol/profile/card#me", server.base);
    let location = pages
        .post(
            "/idp/authorize",
            &[
                ("csrf", &field(&consent, "csrf")),
                ("request", &field(&consent, "request")),
                ("webid", &webid),
                ("decision", "allow"),
            ],
        )
        .await;
    let (key, access) = common::redeem_code(&client, &server.base, &client_id, &location).await;
    let root = format!("{}/carol/", server.base);
    let app_get = || {
        client
            .get(&root)
            .header("authorization", format!("DPoP {access}"))
            .header(
                "dpop",
                key.proof("GET", &root, Some(&access), common::now()),
            )
            .send()
    };
    assert_eq!(app_get().await.unwrap().status(), 200);

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

//! Findings 1 and 7 of the adversarial review (issue 9), in a headless
//! Chromium: a signed-in resident opens a page another resident stored in
//! their pod (HTML, SVG), and a page on another loopback port; both try to
//! read her account page with her cookie and hand it over
//! (`tests/e2e/attacks.mjs`). This test checks that nothing reached the
//! attacker.

use crate::e2e;

use crate::common::Server;
use selfdata_store::{PodName, ResourcePath};

const EMAIL: &str = "victim@example.org";
const PASSWORD: &str = "a long enough password";

/// What the stored pages run if a browser ever lets them: read `/account`
/// with the resident's cookie and post it to the attacker's inbox.
fn steal(base: &str) -> String {
    format!(
        "fetch('/account',{{credentials:'include'}}).then(r=>r.text()).then(t=>{{document.title='read:'+t.length;\
         return fetch('{base}/alice/inbox/',{{method:'POST',headers:{{'content-type':'text/plain'}},body:t}})}});"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn pod_content_and_other_origins_cannot_read_the_resident_pages_in_a_browser() {
    let chromium = e2e::chromium();
    // alice is the attacker; the victim has an account and a pod of her own.
    let s = Server::start().await;
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &PodName::parse("victim").unwrap())
        .await
        .unwrap();
    let public = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#all> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Append.\n",
        s.webid
    );
    assert!(
        s.put_turtle("/public/.acl", &public)
            .await
            .status()
            .is_success()
    );
    assert!(
        s.put_turtle("/inbox/.acl", &public)
            .await
            .status()
            .is_success()
    );
    let script = steal(&s.base);
    for (path, ct, body) in [
        (
            "/public/prize.html",
            "text/html",
            format!("<!doctype html><title>prize</title><script>{script}</script>"),
        ),
        (
            "/public/prize.svg",
            "image/svg+xml",
            format!("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>{script}</script></svg>"),
        ),
    ] {
        let r = s
            .req("PUT", path)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
    let traps = format!(
        "{} {}",
        s.url("/public/prize.html"),
        s.url("/public/prize.svg")
    );
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_TRAPS", traps.as_str()),
    ];
    tokio::task::block_in_place(|| e2e::node("attacks.mjs", &env));

    let inbox = s
        .app
        .store
        .members(
            &PodName::parse("alice").unwrap(),
            &ResourcePath::parse("/inbox/").unwrap(),
        )
        .await
        .unwrap();
    assert!(
        inbox.is_empty(),
        "the attacker received something: {:?}",
        inbox.iter().map(|m| m.path.as_str()).collect::<Vec<_>>()
    );
}

//! Inrupt's Solid client libraries (`@inrupt/solid-client-authn-node` and
//! `@inrupt/solid-client`, installed from npm) against the real binary:
//! client-credentials sign-in with DPoP, a Turtle resource written and read
//! back, a file written and read back, writes to another resident's pod
//! refused, anonymous reads refused. Needs Node and `npm ci --prefix tests/e2e`.

use crate::e2e;

#[test]
fn inrupt_client_signs_in_writes_reads_and_is_refused_on_another_pod() {
    let dir = tempfile::tempdir().unwrap();
    let port = e2e::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let (alice_webid, alice_id, alice_secret) = e2e::create_pod(dir.path(), &base, "alice");
    let (bob_webid, _, _) = e2e::create_pod(dir.path(), &base, "bob");
    let server = e2e::Running::start_on(dir, port, &["--allow-http-client-ids"]);
    let alice_pod = format!("{}/alice/", server.base);
    let bob_pod = format!("{}/bob/", server.base);
    assert!(alice_webid.starts_with(&alice_pod), "{alice_webid}");
    assert!(bob_webid.starts_with(&bob_pod), "{bob_webid}");
    e2e::node(
        "solid-client.mjs",
        &[
            ("SELFDATA_BASE", server.base.as_str()),
            ("ALICE_CLIENT_ID", alice_id.as_str()),
            ("ALICE_CLIENT_SECRET", alice_secret.as_str()),
            ("ALICE_WEBID", alice_webid.as_str()),
            ("ALICE_POD", alice_pod.as_str()),
            ("BOB_POD", bob_pod.as_str()),
        ],
    );
}

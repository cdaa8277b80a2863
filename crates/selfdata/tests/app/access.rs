//! Sign-in and access control over real HTTP: the Solid-OIDC provider
//! (discovery, client credentials, authorization code with PKCE and the
//! consent form, refresh rotation), DPoP checks, Web Access Control modes and
//! inheritance, revocation taking effect on the very next request, and the
//! account rules (lockout, invitations).

use crate::common::{
    self, Browser, Resident, Server, as_agent, client_credentials_token, field, now, problem,
    status_of, totp_code,
};
use selfdata_oidc::{DpopKey, pkce_s256_challenge};

const PASSWORD: &str = "correct horse battery";

#[tokio::test]
async fn discovery_lists_what_solid_clients_need() {
    let s = Server::start().await;
    let d = common::json_of(
        s.client
            .get(format!("{}/.well-known/openid-configuration", s.base)),
    )
    .await;
    assert_eq!(d["issuer"], format!("{}/", s.base));
    for (field, value) in [
        ("scopes_supported", "webid"),
        ("scopes_supported", "offline_access"),
        ("grant_types_supported", "client_credentials"),
        ("grant_types_supported", "refresh_token"),
        ("code_challenge_methods_supported", "S256"),
        ("dpop_signing_alg_values_supported", "ES256"),
        ("claims_supported", "webid"),
        ("subject_types_supported", "public"),
    ] {
        assert!(
            d[field].as_array().unwrap().iter().any(|v| v == value),
            "{field} lacks {value}"
        );
    }
    let jwks = common::json_of(s.client.get(d["jwks_uri"].as_str().unwrap())).await;
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert!(
        jwks["keys"][0].get("d").is_none(),
        "the JWKS must not leak the private key"
    );
    // The WebID names this issuer and the storage.
    let (_, card) = s.get_text("/profile/card").await;
    assert!(
        card.contains(&format!("solid:oidcIssuer <{}/>", s.base)),
        "{card}"
    );
}

#[tokio::test]
async fn dpop_proofs_are_checked_on_every_request() {
    let s = Server::start().await;
    let url = s.url("/");
    let proof = s.key.proof("GET", &url, Some(&s.token), now());
    let send = |proof: String, url: String| {
        s.client
            .get(url)
            .header("authorization", format!("DPoP {}", s.token))
            .header("dpop", proof)
            .send()
    };
    assert_eq!(
        send(proof.clone(), url.clone()).await.unwrap().status(),
        200
    );
    // The same proof again: a replay.
    let r = send(proof, url.clone()).await.unwrap();
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(problem(r).await.0, 401);
    // A proof for another URL, another method, or too old.
    let other = s.key.proof("GET", &s.url("/inbox/"), Some(&s.token), now());
    assert_eq!(
        problem(send(other, url.clone()).await.unwrap()).await.0,
        401
    );
    let wrong_method = s.key.proof("PUT", &url, Some(&s.token), now());
    assert_eq!(
        problem(send(wrong_method, url.clone()).await.unwrap())
            .await
            .0,
        401
    );
    let old = s.key.proof("GET", &url, Some(&s.token), now() - 3600);
    assert_eq!(problem(send(old, url.clone()).await.unwrap()).await.0, 401);
    // A proof by another key than the token is bound to.
    let thief = DpopKey::generate().proof("GET", &url, Some(&s.token), now());
    assert_eq!(
        problem(send(thief, url.clone()).await.unwrap()).await.0,
        401
    );
    // No proof at all, or the bound token sent as a plain bearer token.
    let r = s
        .client
        .get(&url)
        .header("authorization", format!("DPoP {}", s.token))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 401);
    let r = s
        .client
        .get(&url)
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 401);
    // A tampered token.
    // (Flip one character in the middle of the claims, so the bytes change.)
    let mut parts: Vec<String> = s.token.split('.').map(str::to_owned).collect();
    let mid = parts[1].len() / 2;
    let flipped = if &parts[1][mid..=mid] == "A" {
        "B"
    } else {
        "A"
    };
    parts[1].replace_range(mid..=mid, flipped);
    let bad = parts.join(".");
    let r = s
        .client
        .get(&url)
        .header("authorization", format!("DPoP {bad}"))
        .header("dpop", s.key.proof("GET", &url, Some(&bad), now()))
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 401);
    // Garbage never makes a 500.
    for junk in [
        "DPoP",
        "DPoP ...",
        "Basic Zm9vOmJhcg==",
        "DPoP \u{e9}t\u{e9}",
        "Bearer a.b.c",
    ] {
        let r = s
            .client
            .get(&url)
            .header("authorization", junk)
            .header("dpop", "x.y.z")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{junk}");
    }
}

#[tokio::test]
async fn web_access_control_modes_and_inheritance() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bob").await;
    let (bob_id, bob_key, bob_token) = (bob.webid.clone(), &bob.key, &bob.token);
    let bob_req =
        |method: &str, path: &str| as_agent(&s.client, bob_key, bob_token, method, &s.url(path));
    s.put_turtle("/shared/notes/a.ttl", "<#a> <#b> 1 .").await;
    s.put_turtle("/dropbox/", "").await;
    s.put_turtle("/dropbox/existing.ttl", "<#a> <#b> 1 .").await;
    // Nothing shared yet: bob is refused (403: he is signed in).
    assert_eq!(
        problem(bob_req("GET", "/shared/notes/a.ttl").send().await.unwrap())
            .await
            .0,
        403
    );

    // Read for bob on /shared/ and everything below it.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{bob_id}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
        owner = s.webid
    );
    assert_eq!(s.put_turtle("/shared/.acl", &acl).await.status(), 201);
    let r = bob_req("GET", "/shared/notes/a.ttl").send().await.unwrap();
    assert_eq!(r.status(), 200, "inherited through acl:default");
    assert_eq!(r.headers()["wac-allow"], "user=\"read\",public=\"\"");
    let r = bob_req("PUT", "/shared/notes/a.ttl")
        .header("content-type", "text/turtle")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 403);
    // Control is needed to read an ACL.
    assert_eq!(
        problem(bob_req("GET", "/shared/.acl").send().await.unwrap())
            .await
            .0,
        403
    );
    // The owner still has everything.
    let r = s.req("GET", "/shared/notes/a.ttl").send().await.unwrap();
    assert_eq!(
        r.headers()["wac-allow"],
        "user=\"read write append control\",public=\"\""
    );

    // Append only on /dropbox/: bob may add, never replace or remove.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{bob_id}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Append.",
        owner = s.webid
    );
    s.put_turtle("/dropbox/.acl", &acl).await;
    let r = bob_req("POST", "/dropbox/")
        .header("content-type", "text/plain")
        .body("a gift")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let insert = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:inserts { <#a> <#c> 2 . }.";
    let r = bob_req("PATCH", "/dropbox/existing.ttl")
        .header("content-type", "text/n3")
        .body(insert)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "an insert-only patch needs Append");
    let delete = "@prefix solid: <http://www.w3.org/ns/solid/terms#>. _:p a solid:InsertDeletePatch; solid:deletes { <#a> <#b> 1 . }.";
    let r = bob_req("PATCH", "/dropbox/existing.ttl")
        .header("content-type", "text/n3")
        .body(delete)
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 403);
    let r = bob_req("PUT", "/dropbox/existing.ttl")
        .header("content-type", "text/turtle")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 403);
    assert_eq!(
        problem(
            bob_req("DELETE", "/dropbox/existing.ttl")
                .send()
                .await
                .unwrap()
        )
        .await
        .0,
        403
    );
    assert_eq!(
        problem(
            bob_req("GET", "/dropbox/existing.ttl")
                .send()
                .await
                .unwrap()
        )
        .await
        .0,
        403
    );

    // A resource's own ACL replaces the inherited one (acl:accessTo, not acl:default).
    let own = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{owner}>; acl:accessTo <a.ttl>; acl:mode acl:Read, acl:Write, acl:Control.",
        owner = s.webid
    );
    s.put_turtle("/shared/notes/a.ttl.acl", &own).await;
    assert_eq!(
        problem(bob_req("GET", "/shared/notes/a.ttl").send().await.unwrap())
            .await
            .0,
        403
    );
    assert_eq!(
        s.req("GET", "/shared/notes/a.ttl")
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn public_authenticated_group_and_origin_rules() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bob").await;
    let (bob_id, bob_key, bob_token) = (bob.webid.clone(), &bob.key, &bob.token);
    s.put_turtle("/groups", &format!(
        "@prefix vcard: <http://www.w3.org/2006/vcard/ns#>.\n<#friends> a vcard:Group; vcard:hasMember <{bob_id}>."
    ))
    .await;
    s.put_turtle("/friends/photo.ttl", "<#p> <#q> 1 .").await;
    s.put_turtle("/members/list.ttl", "<#p> <#q> 1 .").await;
    s.put_turtle("/public/page.ttl", "<#p> <#q> 1 .").await;
    let owner = format!(
        "<#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.",
        s.webid
    );
    let prefixes = "@prefix acl: <http://www.w3.org/ns/auth/acl#>. @prefix foaf: <http://xmlns.com/foaf/0.1/>.\n";
    s.put_turtle("/friends/.acl", &format!(
        "{prefixes}{owner}\n<#g> a acl:Authorization; acl:agentGroup <{}#friends>; acl:default <./>; acl:mode acl:Read.",
        s.url("/groups")
    ))
    .await;
    s.put_turtle("/members/.acl", &format!(
        "{prefixes}{owner}\n<#a> a acl:Authorization; acl:agentClass acl:AuthenticatedAgent; acl:default <./>; acl:mode acl:Read."
    ))
    .await;
    s.put_turtle("/public/.acl", &format!(
        "{prefixes}{owner}\n<#p> a acl:Authorization; acl:agentClass foaf:Agent; acl:default <./>; acl:mode acl:Read.\n\
         <#app> a acl:Authorization; acl:agentClass foaf:Agent; acl:origin <https://trusted.example>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Append."
    ))
    .await;
    let bob_get = |path: &str| as_agent(&s.client, bob_key, bob_token, "GET", &s.url(path)).send();
    assert_eq!(
        bob_get("/friends/photo.ttl").await.unwrap().status(),
        200,
        "bob is in the group"
    );
    assert_eq!(
        bob_get("/members/list.ttl").await.unwrap().status(),
        200,
        "bob is authenticated"
    );
    assert_eq!(
        s.client
            .get(s.url("/members/list.ttl"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        s.client
            .get(s.url("/friends/photo.ttl"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // WAC checks acl:origin only for requests that carry an Origin header
    // (browsers): a script without one gets the Append of the origin rule too.
    let r = s
        .client
        .get(s.url("/public/page.ttl"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["wac-allow"],
        "user=\"read append\",public=\"read append\""
    );
    let r = s
        .client
        .get(s.url("/public/page.ttl"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["wac-allow"], "user=\"read\",public=\"read\"");
    // From a browser, Append is granted only to pages of the listed origin.
    let post = |origin: &'static str| {
        s.client
            .post(s.url("/public/"))
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body("hello")
            .send()
    };
    assert_eq!(post("https://trusted.example").await.unwrap().status(), 201);
    assert_eq!(post("https://evil.example").await.unwrap().status(), 401);
    // Removing bob from the group removes his access at once.
    s.put_turtle(
        "/groups",
        "@prefix vcard: <http://www.w3.org/2006/vcard/ns#>.\n<#friends> a vcard:Group.",
    )
    .await;
    assert_eq!(bob_get("/friends/photo.ttl").await.unwrap().status(), 403);
}

#[tokio::test]
async fn authorization_code_flow_with_consent_refresh_rotation_and_revocation() {
    let s = Server::start().await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("carol@example.org", PASSWORD, "carol")
            .await
            .status,
        303
    );
    // An app registers itself.
    let client_id = common::register_app(&s.client, &s.base, "Budget Helper").await;
    let verifier = common::PKCE_VERIFIER;
    let authorize = format!(
        "/idp/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid%20webid%20offline_access&state=s1&code_challenge={}&code_challenge_method=S256",
        pkce_s256_challenge(verifier)
    );
    let carol = format!("{}/carol/profile/card#me", s.base);
    let consent = b.get(&authorize).await;
    assert_eq!(consent.status, 200);
    assert!(
        consent.body.contains("Budget Helper"),
        "the consent screen names the app"
    );
    let answer = b.consent(&authorize, &carol, "allow").await;
    assert_eq!(answer.status, 303);
    let location = answer.location.unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:9/cb?code="),
        "{location}"
    );
    assert!(
        location.contains("state=s1") && location.contains("iss="),
        "{location}"
    );
    let code = common::code_of(&location);

    let key = DpopKey::generate();
    let token_url = format!("{}/idp/token", s.base);
    let exchange = |form: Vec<(&'static str, String)>| {
        s.client
            .post(&token_url)
            .header("dpop", key.proof("POST", &token_url, None, now()))
            .form(&form)
            .send()
    };
    // The resident allows the app on the consent screen; the app redeems its code.
    let allow_and_redeem = async || -> serde_json::Value {
        let location = b.consent(&authorize, &carol, "allow").await.location;
        exchange(vec![
            ("grant_type", "authorization_code".into()),
            ("code", common::code_of(&location.unwrap())),
            ("redirect_uri", common::APP_REDIRECT.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", verifier.into()),
        ])
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
    };
    // A wrong verifier is refused (PKCE); the code is then spent.
    let r = exchange(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code.clone()),
        ("redirect_uri", common::APP_REDIRECT.into()),
        ("client_id", client_id.clone()),
        (
            "code_verifier",
            "wrong-verifier-wrong-verifier-wrong-verifier-x".into(),
        ),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    // Again, through the whole consent.
    let tokens = allow_and_redeem().await;
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert!(tokens["id_token"].is_string());
    let refresh1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    let carol_root = format!("{}/carol/", s.base);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access, "GET", &carol_root)).await,
        200
    );

    // Refresh rotates; the old refresh token then fails and ends the family.
    let rotated: serde_json::Value = exchange(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh1.clone()),
        ("client_id", client_id.clone()),
    ])
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let refresh2 = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    let access2 = rotated["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access2, "GET", &carol_root)).await,
        200
    );
    let reuse = exchange(vec![
        ("grant_type", "refresh_token".into()),
        ("refresh_token", refresh1),
        ("client_id", client_id.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(reuse.status(), 400);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access2, "GET", &carol_root)).await,
        401,
        "a reused refresh token ends the family"
    );

    // A fresh login of the app, then the resident revokes it on the account page.
    let tokens = allow_and_redeem().await;
    let access3 = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access3, "GET", &carol_root)).await,
        200
    );
    let account = b.get("/account").await.body;
    assert!(
        account.contains("Budget Helper"),
        "the grant shows on the account page"
    );
    let grant_id = field(&account, "id");
    let after = b
        .post(
            "/account/grants/revoke",
            &[("csrf", &field(&account, "csrf")), ("id", &grant_id)],
        )
        .await;
    assert_eq!(after.status, 200);
    assert!(
        !after.body.contains("name=\"id\""),
        "the app is gone from the list"
    );
    assert_eq!(
        status_of(as_agent(&s.client, &key, &access3, "GET", &carol_root)).await,
        401,
        "revocation is immediate"
    );
    // A refused consent sends the app an error.
    let location = b.consent(&authorize, &carol, "deny").await.location;
    assert!(location.unwrap().contains("error=access_denied"));
}

#[tokio::test]
async fn deleting_keys_and_signing_out_cut_access_at_once() {
    let s = Server::start().await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("dan@example.org", PASSWORD, "dan").await.status,
        303
    );
    let account = b.get("/account").await.body;
    let account = b
        .post(
            "/account/credentials",
            &[("csrf", &field(&account, "csrf")), ("name", "meter script")],
        )
        .await
        .body;
    let id = account
        .split("<dt>client_id</dt><dd><code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let secret = account
        .split("<dt>client_secret</dt><dd><code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    let root = format!("{}/dan/", s.base);
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &root)).await,
        200
    );
    b.post(
        "/account/credentials/delete",
        &[("csrf", &field(&account, "csrf")), ("client_id", &id)],
    )
    .await;
    assert_eq!(
        status_of(as_agent(&s.client, &key, &token, "GET", &root)).await,
        401
    );
    // A form without the session's CSRF token is refused.
    let status = b
        .post(
            "/account/password",
            &[("csrf", "forged"), ("current", "x"), ("new", "y")],
        )
        .await
        .status;
    assert_eq!(status, 403);
    // Signing out ends the session.
    let account = b.get("/account").await.body;
    b.post("/account/logout", &[("csrf", &field(&account, "csrf"))])
        .await;
    let signed_out = b.get("/account").await;
    assert_eq!(signed_out.status, 303);
    assert!(signed_out.location.unwrap().starts_with("/account/login"));
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account() {
    let s = Server::start().await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("erin@example.org", PASSWORD, "erin").await.status,
        303
    );
    let anon = Browser::new(&s.base);
    let page = anon.get("/account/login").await.body;
    let csrf = field(&page, "csrf");
    let login = |password: &'static str| {
        let csrf = csrf.clone();
        async move { (csrf, password) }
    };
    for _ in 0..5 {
        let (csrf, pw) = login("wrong password!").await;
        let status = anon
            .post(
                "/account/login",
                &[
                    ("csrf", &csrf),
                    ("email", "erin@example.org"),
                    ("password", pw),
                ],
            )
            .await
            .status;
        assert_eq!(status, 401);
    }
    let locked = anon
        .post(
            "/account/login",
            &[
                ("csrf", &csrf),
                ("email", "erin@example.org"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(locked.status, 429, "locked even with the right password");
    assert!(locked.body.contains("locked"));
    // A login form posted without its CSRF cookie is refused.
    let stranger = Browser::new(&s.base);
    let status = stranger
        .post(
            "/account/login",
            &[
                ("csrf", &csrf),
                ("email", "erin@example.org"),
                ("password", "x"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn invitation_only_sign_up() {
    let s = Server::start_with(|o| o.signup = selfdata_idp::SignupMode::Invite).await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("fay@example.org", PASSWORD, "fay").await.status,
        400,
        "no code, no account"
    );
    let code = selfdata_idp::new_invite(s.app.store.as_ref() as &dyn selfdata_store::Directory)
        .await
        .unwrap();
    let page = b.get("/account/signup").await.body;
    let csrf = field(&page, "csrf");
    let form = |pod: &'static str, email: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("email", email.to_owned()),
            ("password", "correct horse battery".to_owned()),
            ("pod", pod.to_owned()),
            ("invite", code.clone()),
        ]
    };
    let to_pairs = |v: &Vec<(&'static str, String)>| {
        v.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>()
    };
    let first = to_pairs(&form("fay", "fay@example.org"));
    let first: Vec<(&str, &str)> = first.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(b.post("/account/signup", &first).await.status, 303);
    let other = Browser::new(&s.base);
    let page = other.get("/account/signup").await.body;
    let csrf2 = field(&page, "csrf");
    let second = [
        ("csrf", csrf2.as_str()),
        ("email", "gus@example.org"),
        ("password", "correct horse battery"),
        ("pod", "gus"),
        ("invite", code.as_str()),
    ];
    assert_eq!(
        other.post("/account/signup", &second).await.status,
        400,
        "a code works once"
    );
}

#[tokio::test]
async fn tokens_of_another_issuer_count_only_where_the_operator_trusts_it() {
    // Alice's WebID and token come from server A.
    let a = Server::start().await;
    let trusting = Server::start_with(|o| o.trusted_issuers = vec![a.base.clone()]).await;
    let plain = Server::start().await;
    for (b, expected) in [(&trusting, 200), (&plain, 401)] {
        // On B, the owner of a pod shares /shared/ with alice's WebID on A.
        b.put_turtle("/shared/doc.ttl", "<#x> <#y> 1 .").await;
        let acl = format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
             <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
             <#alice> a acl:Authorization; acl:agent <{}>; acl:default <./>; acl:mode acl:Read.",
            b.webid, a.webid
        );
        assert_eq!(b.put_turtle("/shared/.acl", &acl).await.status(), 201);
        let url = b.url("/shared/doc.ttl");
        let r = as_agent(&a.client, &a.key, &a.token, "GET", &url)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            expected,
            "server trusting A: {}",
            std::ptr::eq(b, &trusting)
        );
    }
}

#[tokio::test]
async fn two_step_sign_in_and_password_change() {
    let s = Server::start().await;
    let b = Browser::new(&s.base);
    assert_eq!(
        b.sign_up("hal@example.org", PASSWORD, "hal").await.status,
        303
    );
    let account_url = "/account";
    let account = b.get(account_url).await.body;
    let csrf = field(&account, "csrf");
    // Turn on two-step sign-in: a wrong code is refused, the right one accepted.
    let setup = b
        .post(&format!("{account_url}/totp"), &[("csrf", &csrf)])
        .await
        .body;
    let secret = field(&setup, "secret");
    let confirm = format!("{account_url}/totp/confirm");
    let status = b
        .post(
            &confirm,
            &[("csrf", &csrf), ("secret", &secret), ("code", "000000")],
        )
        .await
        .status;
    assert_eq!(status, 400);
    let page = b
        .post(
            &confirm,
            &[
                ("csrf", &csrf),
                ("secret", &secret),
                ("code", &totp_code(&secret)),
            ],
        )
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("/account/totp/disable"),
        "two-step sign-in is on"
    );
    // Change the password.
    let status = b
        .post(
            &format!("{account_url}/password"),
            &[
                ("csrf", &csrf),
                ("current", "correct horse battery"),
                ("new", "a brand new passphrase"),
            ],
        )
        .await
        .status;
    assert_eq!(status, 200);
    // Signing in now needs the new password and a code.
    let login_url = "/account/login";
    let anon = Browser::new(&s.base);
    let page = anon.get(login_url).await.body;
    let lcsrf = field(&page, "csrf");
    let attempt = |password: &'static str, code: String| {
        vec![
            ("csrf", lcsrf.clone()),
            ("email", "hal@example.org".to_owned()),
            ("password", password.to_owned()),
            ("totp", code),
        ]
    };
    for (form, expected) in [
        (attempt("correct horse battery", totp_code(&secret)), 401),
        (attempt("a brand new passphrase", String::new()), 401),
        (attempt("a brand new passphrase", totp_code(&secret)), 303),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(anon.post(login_url, &form).await.status, expected);
    }
}

#[tokio::test]
async fn the_consent_screen_shows_an_apps_logo_from_its_origin_and_no_other() {
    let s = Server::start().await;
    let b = Browser::new(&s.base);
    b.sign_up("carol@example.org", PASSWORD, "carol").await;
    let reg = common::json_of(s.client.post(format!("{}/idp/register", s.base)).json(
        &serde_json::json!({
            "redirect_uris": [common::APP_REDIRECT],
            "client_name": "Logo App",
            "logo_uri": "https://cdn.example.org/logo.png"
        }),
    ))
    .await;
    let client_id = reg["client_id"].as_str().unwrap();
    let consent = b.get(&common::authorize_path(client_id)).await;
    assert_eq!(consent.status, 200);
    assert!(
        consent
            .body
            .contains(r#"<img src="https://cdn.example.org/logo.png""#)
    );
    let csp = consent.headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("img-src 'self' data: https://cdn.example.org;"),
        "the logo's origin only: {csp}"
    );
    // Elsewhere, no image origin but our own.
    let account = b.get("/account").await;
    let csp = account.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("img-src 'self' data:;"), "{csp}");
}

/// Issue 18, behind a reverse proxy: with the proxy trusted, a lockout
/// holds the address that guessed, not every resident behind the proxy;
/// without it, a client's own `X-Forwarded-For` escapes nothing.
#[tokio::test]
async fn behind_a_trusted_proxy_a_lockout_holds_the_guesser_and_a_forged_header_escapes_nothing() {
    async fn attempts(s: &Server, from: &str, password: &str, n: usize) -> Vec<u16> {
        let b = Browser::new(&s.base);
        let csrf = field(&b.get("/account/login").await.body, "csrf");
        let mut statuses = Vec::new();
        for _ in 0..n {
            let r = b
                .request(reqwest::Method::POST, "/account/login")
                .header("x-forwarded-for", from)
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("email", "erin@example.org"),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        statuses
    }
    for trusted in [true, false] {
        let s = Server::start_with(|o| {
            if trusted {
                o.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            }
        })
        .await;
        let b = Browser::new(&s.base);
        assert_eq!(
            b.sign_up("erin@example.org", PASSWORD, "erin").await.status,
            303
        );
        let guessed = attempts(&s, "203.0.113.7", "wrong password!", 6).await;
        assert_eq!(guessed.last(), Some(&429), "{guessed:?}");
        // Erin, behind the same proxy from her own address.
        let erin = attempts(&s, "198.51.100.9", PASSWORD, 1).await;
        if trusted {
            assert_eq!(erin, [303], "the resident was locked out with the guesser");
        } else {
            assert_eq!(erin, [429], "a forged X-Forwarded-For escaped the lockout");
        }
    }
}

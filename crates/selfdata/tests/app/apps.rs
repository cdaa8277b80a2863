//! The app directory: the operator lists an app by its Client ID Document
//! (a real document on loopback), a resident browses it, sees what the app
//! reads and writes and why, starts using it through the consent screen
//! (which shows the same list), and stops.

use serde_json::json;

use crate::common::{APP_REDIRECT, Server, authorize_path, resident};
use crate::e2e;

/// Serves an app's Client ID Document on loopback; returns its Client ID.
async fn client_id_document(name: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let doc = json!({
        "client_id": format!("{origin}/id"),
        "client_name": name,
        "client_uri": format!("{origin}/"),
        "redirect_uris": [APP_REDIRECT],
    });
    let app = axum::Router::new().route(
        "/id",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("{origin}/id")
}

fn uses(given: &[&str]) -> Vec<selfdata_store::directory::AppUse> {
    given
        .iter()
        .map(|u| selfdata_idp::apps::parse_use(u).unwrap())
        .collect()
}

#[tokio::test]
async fn a_resident_finds_an_app_sees_what_it_uses_and_why_starts_and_stops_using_it() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let client_id = client_id_document("Watt Watcher").await;
    let listed = s
        .app
        .idp
        .list_app(
            &client_id,
            "Draws your electricity use hour by hour and warns you of a spike.",
            uses(&["/selfdata/energy/=to draw your consumption"]),
            uses(&["/watt-watcher/=to keep your alert settings"]),
        )
        .await
        .unwrap();
    assert_eq!(
        listed.name, "Watt Watcher",
        "named by its Client ID Document"
    );
    assert!(listed.start_url.ends_with('/'));

    let (b, pod) = resident(&s, "carla@example.org", "carla").await;
    let page = b.get("/account/apps").await;
    assert_eq!(page.status, 200);
    for words in [
        "Watt Watcher",
        "Draws your electricity use hour by hour",
        "/selfdata/energy/",
        "to draw your consumption",
        "/watt-watcher/",
        "to keep your alert settings",
        "Use this app",
        &listed.start_url,
    ] {
        assert!(page.body.contains(words), "{words} in {}", page.body);
    }
    assert!(page.body.contains("href=\"/account/apps\""), "in the menu");

    // The consent screen says the same, then the resident allows it.
    let authorize = authorize_path(&client_id);
    let consent = b.get(&authorize).await;
    assert_eq!(consent.status, 200, "{}", consent.body);
    assert!(
        consent
            .body
            .contains("app directory, where it says what it does"),
        "{}",
        consent.body
    );
    assert!(consent.body.contains("to draw your consumption"));
    let webid = format!("{}/{pod}/profile/card#me", s.base);
    let allowed = b.consent(&authorize, &webid, "allow").await;
    assert_eq!(allowed.status, 303, "{}", allowed.body);
    assert!(allowed.location.unwrap().starts_with(APP_REDIRECT));

    let page = b.get("/account/apps").await;
    assert!(page.body.contains("You use it since"), "{}", page.body);
    assert!(!page.body.contains("Use this app"));
    let (csrf, id) = (
        crate::common::field(&page.body, "csrf"),
        crate::common::field(&page.body, "id"),
    );
    let stopped = b
        .post("/account/apps/stop", &[("csrf", &csrf), ("id", &id)])
        .await;
    assert_eq!(stopped.status, 200);
    assert!(
        stopped
            .body
            .contains("Watt Watcher can no longer use your pod"),
        "{}",
        stopped.body
    );
    assert!(stopped.body.contains("Use this app"));

    // A forged form stops nothing; a visitor is sent to sign in.
    let forged = b
        .post("/account/apps/stop", &[("csrf", "forged"), ("id", &id)])
        .await;
    assert_ne!(forged.status, 200);
    let visitor = crate::common::Browser::new(&s.base)
        .get("/account/apps")
        .await;
    assert_eq!(visitor.status, 303);
}

#[tokio::test]
async fn an_app_whose_document_cannot_be_used_or_whose_uses_are_vague_is_not_listed() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let err = s
        .app
        .idp
        .list_app("http://127.0.0.1:9/id", "An app.", Vec::new(), Vec::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("could not be used"), "{err}");
    let client_id = client_id_document("Vague").await;
    let err = s
        .app
        .idp
        .list_app(&client_id, "  ", Vec::new(), Vec::new())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Describe the app"), "{err}");
    assert!(selfdata_idp::apps::parse_use("everything=because").is_err());
    assert!(s.app.idp.listed_apps().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_lists_and_removes_an_app_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let client_id = client_id_document("Budget Buddy").await;
    let (ok, out, err) = e2e::try_run(
        dir.path(),
        &[
            "app",
            "add",
            &client_id,
            "--description",
            "Sorts your bank statements into a monthly budget.",
            "--reads",
            "/selfdata/budget/=to sort your spending",
            "--allow-http",
        ],
    );
    assert!(ok, "{err}");
    assert!(out.contains("listed Budget Buddy"), "{out}");
    let (ok, out, _) = e2e::try_run(dir.path(), &["app", "list"]);
    assert!(ok);
    assert!(
        out.contains(&client_id) && out.contains("reads /selfdata/budget/"),
        "{out}"
    );
    let (ok, _, err) = e2e::try_run(
        dir.path(),
        &[
            "app",
            "add",
            &client_id,
            "--description",
            "x",
            "--reads",
            "budget=why",
            "--allow-http",
        ],
    );
    assert!(!ok);
    assert!(err.contains("PATH=WHY"), "{err}");
    let (ok, out, _) = e2e::try_run(dir.path(), &["app", "remove", &client_id]);
    assert!(ok, "{out}");
    let (ok, _, err) = e2e::try_run(dir.path(), &["app", "remove", &client_id]);
    assert!(!ok);
    assert!(err.contains("is listed"), "{err}");
}

/// The operator curates the directory from the console: a listing refused
/// keeps what was typed and says why, a listed app appears on the
/// residents' page with its uses, removing needs the box ticked; a resident
/// finds no such page.
#[tokio::test]
async fn the_operator_lists_and_removes_an_app_on_the_console() {
    let s = Server::start_with(|o| o.allow_http_client_ids = true).await;
    let client_id = client_id_document("Watt Watcher").await;
    let ops = crate::operator::operator(&s).await;
    let console = ops.get("/app/operator").await;
    assert!(
        console.body.contains("href=\"/app/operator/apps\""),
        "{}",
        console.body
    );
    let page = ops.get("/app/operator/apps").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No app is listed yet."));
    let csrf = crate::common::field(&page.body, "csrf");

    let vague = ops
        .post(
            "/app/operator/apps",
            &[
                ("csrf", csrf.as_str()),
                ("client_id", client_id.as_str()),
                ("description", "Draws your electricity use by the hour."),
                ("reads", "everything = because"),
            ],
        )
        .await;
    assert_eq!(vague.status, 400);
    assert!(vague.body.contains("PATH=WHY"), "{}", vague.body);
    assert!(
        vague
            .body
            .contains("Draws your electricity use by the hour.")
    );
    assert!(s.app.idp.listed_apps().await.unwrap().is_empty());

    let listed = ops
        .post(
            "/app/operator/apps",
            &[
                ("csrf", csrf.as_str()),
                ("client_id", client_id.as_str()),
                ("description", "Draws your electricity use by the hour."),
                (
                    "reads",
                    "/selfdata/energy/ = to draw your consumption\n\n/profile/card = to greet you by name",
                ),
                ("writes", ""),
            ],
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert!(
        listed.body.contains("Watt Watcher is listed."),
        "{}",
        listed.body
    );
    let apps = s.app.idp.listed_apps().await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].reads.len(), 2);
    assert!(apps[0].writes.is_empty());

    let (camille, _) = resident(&s, "camille@example.org", "camille").await;
    let directory = camille.get("/account/apps").await;
    assert!(directory.body.contains("Watt Watcher"));
    assert!(directory.body.contains("to greet you by name"));
    let theirs = camille.get("/app/operator/apps").await;
    assert_eq!(theirs.status, 404);
    let camille_csrf = crate::common::field(&camille.get("/account").await.body, "csrf");
    let refused = camille
        .post(
            "/app/operator/apps/remove",
            &[
                ("csrf", &camille_csrf),
                ("client_id", &client_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(refused.status, 404);

    let unticked = ops
        .post(
            "/app/operator/apps/remove",
            &[("csrf", &csrf), ("client_id", &client_id)],
        )
        .await;
    assert_eq!(unticked.status, 400);
    assert_eq!(s.app.idp.listed_apps().await.unwrap().len(), 1);
    let removed = ops
        .post(
            "/app/operator/apps/remove",
            &[
                ("csrf", &csrf),
                ("client_id", &client_id),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert!(s.app.idp.listed_apps().await.unwrap().is_empty());
    let page = ops.get("/app/operator/apps?done=removed").await;
    assert!(
        page.body
            .contains("The app was removed from the directory.")
    );
    assert!(
        !camille
            .get("/account/apps")
            .await
            .body
            .contains("Watt Watcher")
    );
}

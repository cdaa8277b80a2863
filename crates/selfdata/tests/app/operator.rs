//! The operator's console and its registry of data holders: open only to
//! the operator's accounts with a second factor (to anyone else signed in
//! it does not exist), a holder registered there pushes with the secret
//! shown once, a new secret ends the old one at once, and removing a
//! holder disconnects its residents (their consent records withdrawn).

use selfdata_store::PodName;

use crate::common::{Browser, PASSWORD, Server, field, resident};

/// Makes `email` an operator, with a second factor unless `second_factor`
/// is false; its TOTP secret, if any.
pub(crate) async fn make_operator(s: &Server, email: &str, second_factor: bool) -> Option<String> {
    let account = s.app.store.account_by_email(email).await.unwrap().unwrap();
    s.app.store.set_operator(account.id, true).await.unwrap();
    if !second_factor {
        return None;
    }
    let (secret, _) = selfdata_idp::accounts::new_totp(email);
    s.app
        .store
        .set_totp(account.id, Some(&secret))
        .await
        .unwrap();
    Some(secret)
}

/// An operator signed in with their second factor.
pub(crate) async fn operator(s: &Server) -> Browser {
    let (_, _) = resident(s, "ops@city.example", "ops").await;
    let secret = make_operator(s, "ops@city.example", true).await.unwrap();
    let b = Browser::new(&s.base);
    let page = b
        .sign_in_with_code("ops@city.example", PASSWORD, &secret)
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    b
}

/// The client secret a page shows once.
fn secret_shown(body: &str) -> String {
    body.split("<code id=\"client-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows a client secret")
        .to_owned()
}

/// Writes an (empty) water readings file in a pod.
async fn put_water_readings(s: &Server, pod: &PodName, path: &str) {
    s.app
        .store
        .write(
            pod,
            selfdata_store::Write::Put {
                path: selfdata_store::ResourcePath::parse(path).unwrap(),
                content_type: "text/csv".into(),
                body: bytes::Bytes::from_static(b"start,end,litres\n"),
                precondition: selfdata_store::Precondition::None,
            },
        )
        .await
        .unwrap();
}

async fn push_as(s: &Server, id: &str, secret: &str, key: &str) -> u16 {
    s.client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth(id, Some(secret))
        .header("idempotency-key", key)
        .header("content-type", "text/csv")
        .body("Numéro de compteur;Date de relevé;Index relevé (litres);Consommation du jour (litres)\n")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn register_form<'a>(csrf: &'a str, id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("id", id),
        ("name", "Eau du Grand Lyon"),
        ("contact", "dpo@eau.example"),
        ("water", "yes"),
        ("identifier", "Numéro de compteur"),
    ]
}

#[tokio::test]
async fn the_operator_console_does_not_exist_for_a_resident_and_refuses_an_operator_without_second_factor()
 {
    let s = Server::start().await;
    // A visitor is sent to sign in.
    let visitor = Browser::new(&s.base);
    let page = visitor.get("/app/operator/holders").await;
    assert_eq!(page.status, 303);
    assert!(page.location.unwrap().starts_with("/account/login"));

    // A resident finds no such page, and cannot post to it either.
    let (eve, _) = resident(&s, "eve@example.org", "eve").await;
    for path in ["/app/operator", "/app/operator/holders"] {
        let page = eve.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(!page.body.contains("Register a holder"), "{path}");
    }
    let csrf = field(&eve.get("/account").await.body, "csrf");
    let page = eve
        .post("/app/operator/holders", &register_form(&csrf, "evil-water"))
        .await;
    assert_eq!(page.status, 404);
    assert!(s.app.store.holder("evil-water").await.unwrap().is_none());

    // An operator without a second factor is told to turn it on.
    let (ops, _) = resident(&s, "ops@city.example", "ops").await;
    make_operator(&s, "ops@city.example", false).await;
    let page = ops.get("/app/operator/holders").await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("need a second factor"), "{}", page.body);

    // Turned on since this session began with the password alone, it is
    // still refused: the second factor must be checked at sign-in (review
    // finding: the account's setting was enough).
    let secret = make_operator(&s, "ops@city.example", true).await.unwrap();
    assert_eq!(ops.get("/app/operator").await.status, 403);
    // Signed in with the code, the console lists the holders' registry.
    let ops = Browser::new(&s.base);
    ops.sign_in_with_code("ops@city.example", PASSWORD, &secret)
        .await;
    let page = ops.get("/app/operator").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("href=\"/app/operator/holders\""),
        "{}",
        page.body
    );
    // Taken back, the console is gone again.
    let account = s
        .app
        .store
        .account_by_email("ops@city.example")
        .await
        .unwrap()
        .unwrap();
    s.app.store.set_operator(account.id, false).await.unwrap();
    assert_eq!(ops.get("/app/operator").await.status, 404);
}

#[tokio::test]
async fn a_holder_registered_on_the_console_pushes_with_its_secret_shown_once_and_a_new_secret_ends_the_old()
 {
    let s = Server::start().await;
    let ops = operator(&s).await;
    let page = ops.get("/app/operator/holders").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No holder is registered yet."));
    let csrf = field(&page.body, "csrf");

    // A form without what the holder sends is refused with a sentence,
    // what was typed kept, nothing registered.
    let mut no_category = register_form(&csrf, "eau-grand-lyon");
    no_category.retain(|(k, _)| *k != "water");
    let page = ops.post("/app/operator/holders", &no_category).await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("Choose what the holder sends"),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Eau du Grand Lyon\""));
    assert!(
        s.app
            .store
            .holder("eau-grand-lyon")
            .await
            .unwrap()
            .is_none()
    );

    let page = ops
        .post(
            "/app/operator/holders",
            &register_form(&csrf, "eau-grand-lyon"),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let secret = secret_shown(&page.body);
    assert_eq!(secret.len(), 48);
    assert_eq!(push_as(&s, "eau-grand-lyon", &secret, "day-1").await, 200);

    // The secret is not shown again; the registry shows the push.
    let page = ops.get("/app/operator/holders").await;
    assert!(!page.body.contains(&secret));
    assert!(page.body.contains("Eau du Grand Lyon"));
    let activity = s.app.store.activity("eau-grand-lyon").await.unwrap();
    assert_eq!(activity.pushes, 1);

    // The same id again is refused and changes nothing.
    let page = ops
        .post(
            "/app/operator/holders",
            &register_form(&csrf, "eau-grand-lyon"),
        )
        .await;
    assert_eq!(page.status, 409);
    assert_eq!(push_as(&s, "eau-grand-lyon", &secret, "day-2").await, 200);

    // A new secret: the old one is refused at once.
    let page = ops
        .post(
            "/app/operator/holders/secret",
            &[("csrf", &csrf), ("holder", "eau-grand-lyon")],
        )
        .await;
    assert_eq!(page.status, 200);
    let renewed = secret_shown(&page.body);
    assert_ne!(renewed, secret);
    assert_eq!(push_as(&s, "eau-grand-lyon", &secret, "day-3").await, 401);
    assert_eq!(push_as(&s, "eau-grand-lyon", &renewed, "day-3").await, 200);

    // Its limits: out of bounds is refused in words, within them kept.
    let limits = |pushes: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("holder", "eau-grand-lyon".to_owned()),
            ("pushes_per_hour", pushes.to_owned()),
            ("at_once", "1".to_owned()),
            ("max_push_mib", "64".to_owned()),
        ]
    };
    let form = limits("0");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = ops.post("/app/operator/holders/limits", &form).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("pushes an hour"), "{}", page.body);
    let form = limits("3");
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = ops.post("/app/operator/holders/limits", &form).await;
    assert_eq!(page.status, 303);
    let kept = s.app.store.holder("eau-grand-lyon").await.unwrap().unwrap();
    assert_eq!(
        (
            kept.limits.pushes_per_hour,
            kept.limits.at_once,
            kept.limits.max_push_mib
        ),
        (3, 1, 64)
    );
    // Three pushes began this hour (day-1, day-2, day-3; the one refused
    // for its old secret never began): the next is told to wait.
    assert_eq!(push_as(&s, "eau-grand-lyon", &renewed, "day-4").await, 429);
}

#[tokio::test]
async fn removing_a_holder_on_the_console_disconnects_its_residents_and_refuses_its_pushes() {
    let s = Server::start().await;
    let ops = operator(&s).await;
    let csrf = field(&ops.get("/app/operator/holders").await.body, "csrf");
    let page = ops
        .post(
            "/app/operator/holders",
            &register_form(&csrf, "eau-grand-lyon"),
        )
        .await;
    let secret = secret_shown(&page.body);
    let (ines, pod) = resident(&s, "ines@example.org", "ines").await;
    let pod: PodName = pod;
    selfdata_holders_web::pages::connect_pod(&s.app.holders, &pod, "eau-grand-lyon", "M000001")
        .await
        .unwrap();
    let link = s.app.store.links_of_pod("ines").await.unwrap().remove(0);
    // Ines also lets it read her water folder.
    put_water_readings(&s, &pod, "/selfdata/energy/water/2026.csv").await;
    let transfer = selfdata_holders_web::transfer::grant_transfer(
        &s.app.holders,
        &pod,
        "eau-grand-lyon",
        &["/selfdata/energy/water/".to_owned()],
        "CustomerCare",
        30,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();

    // Without the box ticked, nothing is removed.
    let page = ops
        .post(
            "/app/operator/holders/remove",
            &[("csrf", &csrf), ("holder", "eau-grand-lyon")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        s.app
            .store
            .holder("eau-grand-lyon")
            .await
            .unwrap()
            .is_some()
    );

    let page = ops
        .post(
            "/app/operator/holders/remove",
            &[
                ("csrf", &csrf),
                ("holder", "eau-grand-lyon"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(page.status, 303);
    let page = ops.get(&page.location.unwrap()).await;
    assert!(
        page.body.contains("its residents disconnected"),
        "{}",
        page.body
    );

    // The resident's consent record is withdrawn, the link gone, the pushes refused.
    let ctx = s.app.holders.ctx.clone();
    let (record, _) = selfdata_service::consents::record(&ctx, &pod, &link.consent_id)
        .await
        .unwrap();
    assert!(!record.state().is_active(), "{:?}", record.state());
    let (record, _) = selfdata_service::consents::record(&ctx, &pod, &transfer.consent_id)
        .await
        .unwrap();
    assert!(
        !record.state().is_active(),
        "the transfer's record: {:?}",
        record.state()
    );
    let kept = s.app.store.transfer(&transfer.id).await.unwrap();
    assert!(kept.is_none_or(|t| !t.is_live(crate::common::now())));
    assert!(s.app.store.links_of_pod("ines").await.unwrap().is_empty());
    assert_eq!(push_as(&s, "eau-grand-lyon", &secret, "after").await, 401);
    let page = ines.get("/app/holders").await;
    assert!(page.body.contains("No organisation sends you data yet."));
    // The registration and the removal are in the operator's audit log.
    let details: Vec<_> = s
        .app
        .store
        .operator_actions(None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.operator, a.detail))
        .collect();
    assert!(
        details.contains(&(
            "ops@city.example".to_owned(),
            "eau-grand-lyon removed, 1 residents disconnected".to_owned()
        )),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|(_, d)| d == "eau-grand-lyon registered")
    );
}

#[tokio::test]
async fn a_bank_sending_one_file_per_customer_is_registered_on_the_console_and_a_column_for_it_is_refused()
 {
    let s = Server::start().await;
    let ops = operator(&s).await;
    let page = ops.get("/app/operator/holders").await;
    let csrf = field(&page.body, "csrf");
    // The one-CSV layout is offered first, and chosen unless another is.
    assert!(
        page.body
            .contains("id=\"h-layout-column\" name=\"layout\" value=\"column\" checked"),
        "{}",
        page.body
    );
    let bank = |extra: &[(&'static str, &'static str)]| {
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("id", "banque-exemple"),
            ("name", "Banque Exemple"),
            ("contact", "dpo@banque.example"),
            ("bank", "yes"),
            ("identifier", "Numéro de compte"),
            ("layout", "file-per-customer"),
        ];
        form.extend_from_slice(extra);
        form
    };
    // A customer column makes no sense for it: refused in words, its choice kept.
    let page = ops
        .post("/app/operator/holders", &bank(&[("column", "Compte")]))
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.body.contains("leave the column empty"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"file-per-customer\" checked"),
        "{}",
        page.body
    );
    assert!(
        s.app
            .store
            .holder("banque-exemple")
            .await
            .unwrap()
            .is_none()
    );

    let page = ops.post("/app/operator/holders", &bank(&[])).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let holder = s.app.store.holder("banque-exemple").await.unwrap().unwrap();
    assert_eq!(
        holder.layout,
        selfdata_store::holders::Layout::FilePerCustomer
    );
    assert_eq!(holder.column, "");
    let page = ops.get("/app/operator/holders").await;
    assert!(
        page.body.contains("One file per customer (a meter"),
        "the registry says what it sends: {}",
        page.body
    );
}

/// An organisation that delivers nothing (an energy-advice association, an
/// app's publisher) is registered on the console without an identifier; it
/// is never offered to residents to connect, its pushes are refused, and it
/// reads with its own credentials what a resident transfers to it.
#[tokio::test]
async fn an_organisation_that_only_receives_is_registered_cannot_push_and_reads_a_transfer() {
    let s = Server::start().await;
    let ops = operator(&s).await;
    let csrf = field(&ops.get("/app/operator/holders").await.body, "csrf");
    let form = |receives: bool| {
        let mut f = vec![
            ("csrf", csrf.as_str()),
            ("id", "conseil-energie"),
            ("name", "Conseil Énergie Lyon"),
            ("contact", "dpo@conseil.example"),
            ("identifier", ""),
        ];
        if receives {
            f.push(("receives", "yes"));
        }
        f
    };
    // Neither what it sends nor that it only receives: refused, with why.
    let page = ops.post("/app/operator/holders", &form(false)).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("only receives"), "{}", page.body);
    // Receiving and sending water at once: refused too.
    let mut both = form(true);
    both.push(("water", "yes"));
    assert_eq!(ops.post("/app/operator/holders", &both).await.status, 400);
    let page = ops.post("/app/operator/holders", &form(true)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let secret = secret_shown(&page.body);
    let registry = ops.get("/app/operator/holders").await.body;
    assert!(
        registry.contains("Nothing; it receives what residents give it"),
        "{registry}"
    );

    // It has nothing to push.
    let push = s
        .client
        .post(format!("{}/holders/v1/pushes", s.base))
        .basic_auth("conseil-energie", Some(&secret))
        .header("idempotency-key", "day-1")
        .header("content-type", "text/csv")
        .body("Numéro;Date\n")
        .send()
        .await
        .unwrap();
    let (status, detail) = crate::common::problem(push).await;
    assert_eq!(status, 403);
    assert!(detail.contains("not to deliver"), "{detail}");

    // A resident is not offered to connect to it, and cannot.
    let (b, pod) = resident(&s, "ines@example.org", "ines").await;
    let holders = b.get("/app/holders").await;
    assert!(
        !holders.body.contains("Conseil Énergie Lyon"),
        "{}",
        holders.body
    );
    assert!(
        selfdata_holders_web::pages::connect_pod(&s.app.holders, &pod, "conseil-energie", "42")
            .await
            .is_err()
    );

    // They give it their water readings; it reads them with its secret.
    put_water_readings(&s, &pod, "/selfdata/energy/water/daily.csv").await;
    let page = b.get("/app/holders/transfers").await;
    assert!(page.body.contains("Conseil Énergie Lyon"), "{}", page.body);
    let resident_csrf = field(&page.body, "csrf");
    let granted = b
        .post(
            "/app/holders/transfers",
            &[
                ("csrf", resident_csrf.as_str()),
                ("holder", "conseil-energie"),
                ("part", "/selfdata/energy/water/"),
                ("purpose", "RequestedServiceProvision"),
                ("days", "30"),
                ("consent", "yes"),
            ],
        )
        .await;
    assert_eq!(granted.status, 303, "{}", granted.body);
    let id = s.app.store.transfers_of_pod("ines").await.unwrap()[0]
        .id
        .clone();
    let read = s
        .client
        .get(format!(
            "{}/holders/v1/transfers/{id}/selfdata/energy/water/daily.csv",
            s.base
        ))
        .basic_auth("conseil-energie", Some(&secret))
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.text().await.unwrap(), "start,end,litres\n");
}

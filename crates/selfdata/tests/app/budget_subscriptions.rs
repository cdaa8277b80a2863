//! Subscriptions end to end over a real server: a Crédit Agricole statement
//! of fourteen months (Netflix every month but one, the rent, a salary, a
//! gym that stopped, the weekly groceries) imported through the pipeline;
//! the JSON API lists what recurs, with its yearly cost, to the owner only;
//! the owner's page shows the same figures (also on a phone, in Chromium,
//! checked by axe-core) and takes their word (confirm, dismiss), kept in the
//! pod's `recurring.csv` and through a re-import.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use selfdata_oidc::DpopKey;
use selfdata_store::PodName;
use serde_json::Value;

use crate::common::{self, Server, as_agent, client_credentials_token, field, problem};

const TODAY: Date = date(2025, 2, 20);
const EMAIL: &str = "erin@example.org";
use crate::common::PASSWORD;

/// `1349` → `13,49` as the bank writes it.
fn comma(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

/// A Crédit Agricole export (Windows-1252, CRLF, account lines before the
/// header, debit and credit columns) from 2024-01-01 to `TODAY`: Netflix
/// 13.49 on the 5th for fourteen months but June 2024, the rent of 750.00
/// on the 1st, the salary on the 28th, a gym from January to May 2024 only,
/// groceries every Saturday of an amount that changes.
fn statement() -> Vec<u8> {
    let mut rows: Vec<(Date, String, i64)> = Vec::new();
    for m in 0..14 {
        let month = date(2024, 1, 1).saturating_add(m.months());
        if month != date(2024, 6, 1) {
            rows.push((
                month.saturating_add(4.days()),
                "PRELEVEMENT NETFLIX".into(),
                -1349,
            ));
        }
        rows.push((
            month,
            "VIREMENT PERMANENT LOYER SCI LES TILLEULS".into(),
            -75_000,
        ));
        rows.push((
            month.saturating_add(27.days()),
            "VIREMENT EN VOTRE FAVEUR ACME SAS".into(),
            210_000,
        ));
        if m < 5 {
            rows.push((
                month.saturating_add(9.days()),
                "PRELEVEMENT BASIC FIT".into(),
                -1999,
            ));
        }
    }
    let mut day = date(2024, 1, 6); // a Saturday
    let mut n = 0i64;
    while day <= TODAY {
        let amount = 3_500 + (n * 3_719) % 10_500; // 35.00 to 139.99
        rows.push((
            day,
            format!(
                "PAIEMENT PAR CARTE X1234 INTERMARCHE {:02}/{:02}",
                day.day(),
                day.month()
            ),
            -amount,
        ));
        day = day.saturating_add(7.days());
        n += 1;
    }
    rows.sort_by_key(|r| r.0);
    let mut text = String::from(
        "Téléchargement du 20/02/2025;;;\r\n;;;\r\nM. ERIN MARTIN;;;\r\n\
         Compte de Dépôt carte n° 12345678901;;;\r\n;;;\r\n\
         Liste des opérations du compte entre le 01/01/2024 et le 20/02/2025;;;\r\n;;;\r\n\
         Date;Libellé;Débit Euros;Crédit Euros;\r\n",
    );
    for (d, label, cents) in rows {
        let (debit, credit) = if cents < 0 {
            (comma(-cents), String::new())
        } else {
            (String::new(), comma(cents))
        };
        text.push_str(&format!(
            "{:02}/{:02}/{};\"{label}\";{debit};{credit};\r\n",
            d.day(),
            d.month(),
            d.year(),
        ));
    }
    // Windows-1252: every character used here is Latin-1.
    text.chars().map(|c| u8::try_from(c).unwrap()).collect()
}

struct Owner {
    key: DpopKey,
    token: String,
}

impl Owner {
    async fn subscriptions(&self, s: &Server) -> Value {
        let url = format!("{}/erin/selfdata/budget/api/subscriptions", s.base);
        let r = as_agent(&s.client, &self.key, &self.token, "GET", &url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// Erin's account and pod holding the statement, and a token for its API.
async fn erin(s: &Server) -> Owner {
    let pod = PodName::parse("erin").unwrap();
    s.app
        .idp
        .create_account(EMAIL, PASSWORD, &pod)
        .await
        .unwrap();
    let summary = s.app.import_file(&pod, statement()).await.unwrap();
    assert_eq!(summary.service, "budget");
    let webid = selfdata_solid::provision::webid_of(&s.base, &pod);
    let (id, secret) = s
        .app
        .idp
        .create_credentials(None, &webid, "test")
        .await
        .unwrap();
    let key = DpopKey::generate();
    let token = client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
    Owner { key, token }
}

fn listed<'a>(answer: &'a Value, payee: &str) -> Option<&'a Value> {
    answer["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["payee"].as_str().unwrap().contains(payee))
}

#[tokio::test]
async fn netflix_and_the_rent_are_subscriptions_the_weekly_groceries_are_not() {
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    let erin = erin(&s).await;
    let answer = erin.subscriptions(&s).await;
    let netflix = listed(&answer, "NETFLIX").unwrap_or_else(|| panic!("{answer:#}"));
    assert_eq!(netflix["period"], "monthly");
    assert_eq!(netflix["amount"], "-13.49");
    assert_eq!(netflix["yearly"], "-161.88");
    assert_eq!(netflix["misses"], 1, "June 2024 was missed");
    assert_eq!(netflix["occurrences"], 13);
    assert_eq!(netflix["next"], "2025-03-05");
    assert_eq!(netflix["status"], "proposed");
    assert_eq!(netflix["ended"], false);
    let rent = listed(&answer, "LOYER").unwrap_or_else(|| panic!("{answer:#}"));
    assert_eq!(
        (&rent["period"], &rent["amount"]),
        (&"monthly".into(), &"-750.00".into())
    );
    assert!(
        listed(&answer, "INTERMARCHE").is_none(),
        "a weekly habit of varying amounts is no subscription: {answer:#}"
    );
    let gym = listed(&answer, "BASIC FIT").unwrap_or_else(|| panic!("{answer:#}"));
    assert_eq!(
        (&gym["ended"], &gym["last"]),
        (&true.into(), &"2024-05-10".into())
    );
    assert_eq!(
        answer["subscriptions"].as_array().unwrap().len(),
        3,
        "{answer:#}"
    );
    assert_eq!(
        answer["yearly_total"], "-9161.88",
        "the rent and Netflix; not the gym, which ended"
    );
    let income = answer["income"].as_array().unwrap();
    assert_eq!(income.len(), 1, "{answer:#}");
    assert!(income[0]["payee"].as_str().unwrap().contains("ACME"));
    assert_eq!(income[0]["yearly"], "25200.00");
}

#[tokio::test]
async fn the_subscriptions_api_refuses_anonymous_callers_and_other_residents() {
    let s = Server::start().await;
    let url = s.url("/selfdata/budget/api/subscriptions");
    let anonymous = s.client.get(&url).send().await.unwrap();
    assert_eq!(problem(anonymous).await.0, 401);
    let bob = common::Resident::new(&s, "bob").await;
    let r = bob.req(&s, "GET", &url).send().await.unwrap();
    assert_eq!(problem(r).await.0, 403, "bob may not read alice's payments");
    let page = format!("{}/app/budget/subscriptions", s.base);
    let r = s.client.get(&page).send().await.unwrap();
    assert_eq!(r.status(), 303, "the page asks a stranger to sign in");
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/account/login")
    );
    let r = s
        .client
        .post(&page)
        .form(&[("key", "x"), ("decision", "dismissed")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        303,
        "a stranger's decision is sent to sign in, not saved"
    );
    let own = format!("{}/bob/selfdata/budget/api/subscriptions", s.base);
    let r = bob.req(&s, "GET", &own).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let empty: Value = r.json().await.unwrap();
    assert_eq!(
        empty,
        serde_json::json!({"subscriptions": [], "income": [], "yearly_total": "0.00"})
    );
}

#[tokio::test]
async fn the_resident_confirms_or_dismisses_a_subscription_on_the_page_and_a_reimport_keeps_it() {
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    let erin = erin(&s).await;
    let answer = erin.subscriptions(&s).await;
    let netflix = listed(&answer, "NETFLIX").unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let rent = listed(&answer, "LOYER").unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();

    let b = s.sign_in(EMAIL, PASSWORD).await;
    let home = b.get("/app/budget").await;
    assert!(
        home.body.contains(r#"href="/app/budget/subscriptions""#),
        "the budget page links to the subscriptions"
    );
    let page = b.get("/app/budget/subscriptions").await;
    assert_eq!(page.status, 200);
    let row = |body: &str, key: &str| {
        let start = body.find(&format!("data-key=\"{key}\""))?;
        Some(body[start..start + body[start..].find("</tr>").unwrap()].to_owned())
    };
    let shown = row(&page.body, &netflix).unwrap_or_else(|| panic!("{}", page.body));
    assert!(
        shown.contains("NETFLIX") && shown.contains("monthly"),
        "{shown}"
    );
    assert!(
        shown.contains("\u{2212}€161.88") && shown.contains("\u{2212}€13.49"),
        "the API's figures, the English way: {shown}"
    );
    assert!(shown.contains("5 March 2025"), "next expected: {shown}");
    assert!(
        shown.contains("Crédit Agricole …8901"),
        "the account: {shown}"
    );
    assert!(
        shown.contains("It is not one<span class=\"visually-hidden\"> – NETFLIX"),
        "the button names the payee for screen readers: {shown}"
    );
    assert!(
        page.body
            .contains("Yearly cost of the running payments: \u{2212}€9,161.88")
    );
    assert!(!page.body.contains("INTERMARCHE"));
    let (before, ended) = page.body.split_once(r#"<section id="ended">"#).unwrap();
    assert!(
        ended.contains("BASIC FIT")
            && ended.contains("10 May 2024")
            && !before.contains("BASIC FIT"),
        "the gym that stopped is listed apart, with its last payment: {}",
        page.body
    );
    let (_, income) = before.split_once(r#"<section id="income">"#).unwrap();
    assert!(
        income.contains("ACME") && income.contains("€25,200.00"),
        "{}",
        page.body
    );
    let fr = b
        .request(reqwest::Method::GET, "/app/budget/subscriptions")
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shown = row(&fr, &netflix).unwrap_or_else(|| panic!("{fr}"));
    assert!(
        shown.contains("mensuel")
            && shown.contains("\u{2212}161,88\u{a0}€")
            && shown.contains("5 mars 2025")
            && shown.contains("C’est bien un abonnement<span class=\"visually-hidden\"> – NETFLIX"),
        "in French: {shown}"
    );

    // Dismiss Netflix through the form.
    let csrf = field(&page.body, "csrf");
    let r = b
        .post(
            "/app/budget/subscriptions",
            &[
                ("csrf", &csrf),
                ("key", &netflix),
                ("decision", "dismissed"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let back = r.location.unwrap();
    assert!(back.starts_with("/app/budget/subscriptions?"), "{back}");
    let after = b.get(&back).await;
    assert!(
        after.body.contains("“NETFLIX” was taken off the list."),
        "{}",
        after.body
    );
    assert!(row(&after.body, &netflix).is_none(), "{}", after.body);
    assert!(
        after.body.contains("\u{2212}€9,000.00"),
        "the total without it"
    );
    let answer = erin.subscriptions(&s).await;
    assert!(listed(&answer, "NETFLIX").is_none(), "{answer:#}");
    assert_eq!(answer["yearly_total"], "-9000.00");
    let pod = PodName::parse("erin").unwrap();
    let path = selfdata_store::ResourcePath::parse("/selfdata/budget/recurring.csv").unwrap();
    let (_, kept) = s
        .app
        .store
        .get(&pod, &path)
        .await
        .unwrap()
        .expect("the decision is in the pod");
    let kept = String::from_utf8(kept.to_vec()).unwrap();
    assert!(kept.starts_with("key,decision,at\n"), "{kept}");
    assert!(kept.contains(&format!("{netflix},dismissed,")), "{kept}");

    // Confirm the rent.
    let r = b
        .post(
            "/app/budget/subscriptions",
            &[("csrf", &csrf), ("key", &rent), ("decision", "confirmed")],
        )
        .await;
    assert_eq!(r.status, 303);
    let after = b.get(&r.location.unwrap()).await;
    let shown = row(&after.body, &rent).unwrap();
    assert!(shown.contains("confirmed subscription"), "{shown}");
    assert_eq!(
        listed(&erin.subscriptions(&s).await, "LOYER").unwrap()["status"],
        "confirmed"
    );

    // The same statement again: the decisions stay.
    let again = s.app.import_file(&pod, statement()).await.unwrap();
    assert_eq!(again.changed, 0);
    let answer = erin.subscriptions(&s).await;
    assert!(listed(&answer, "NETFLIX").is_none(), "{answer:#}");
    assert_eq!(listed(&answer, "LOYER").unwrap()["status"], "confirmed");

    // A form without its token, or for a key that was never found, changes nothing.
    let r = b
        .post(
            "/app/budget/subscriptions",
            &[("key", &rent), ("decision", "dismissed")],
        )
        .await;
    assert_ne!(r.status, 303);
    let r = b
        .post(
            "/app/budget/subscriptions",
            &[("csrf", &csrf), ("key", "NOPE"), ("decision", "dismissed")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(
        listed(&erin.subscriptions(&s).await, "LOYER").unwrap()["status"],
        "confirmed"
    );
}

#[tokio::test]
async fn a_damaged_recurring_csv_is_named_with_its_line() {
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    let erin = erin(&s).await;
    let pod = PodName::parse("erin").unwrap();
    let path = selfdata_store::ResourcePath::parse("/selfdata/budget/recurring.csv").unwrap();
    s.app
        .store
        .write(
            &pod,
            selfdata_store::Write::Put {
                path,
                content_type: "text/csv".into(),
                body: "key,decision,at\nNETFLIX,maybe,2025-01-01T00:00:00Z\n".into(),
                precondition: selfdata_store::Precondition::None,
            },
        )
        .await
        .unwrap();
    let url = format!("{}/erin/selfdata/budget/api/subscriptions", s.base);
    let r = as_agent(&s.client, &erin.key, &erin.token, "GET", &url)
        .send()
        .await
        .unwrap();
    let (status, detail) = problem(r).await;
    assert_eq!(status, 500);
    assert!(
        detail.contains("recurring.csv") && detail.contains("line 2"),
        "{detail}"
    );
    let b = s.sign_in(EMAIL, PASSWORD).await;
    let page = b.get("/app/budget/subscriptions").await;
    assert_eq!(page.status, 500);
    assert!(
        page.body.contains("recurring.csv") && page.body.contains("line 2"),
        "{}",
        page.body
    );
}

/// "-161.88" from the API as the French page writes it: "−161,88 €" (below a thousand).
fn french(amount: &str) -> String {
    format!(
        "{}\u{a0}€",
        amount.replace('-', "\u{2212}").replace('.', ",")
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_subscriptions_page_on_a_phone_is_accessible_and_dismisses_with_its_button() {
    let chromium = crate::e2e::chromium();
    let s = Server::start_with(|o| o.today = Some(TODAY)).await;
    let erin = erin(&s).await;
    let answer = erin.subscriptions(&s).await;
    let yearly = french(
        listed(&answer, "NETFLIX").unwrap()["yearly"]
            .as_str()
            .unwrap(),
    );
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", EMAIL),
        ("SELFDATA_PASSWORD", PASSWORD),
        ("SELFDATA_PAYEE", "NETFLIX"),
        ("SELFDATA_YEARLY", yearly.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("subscriptions.mjs", &env));
    let answer = erin.subscriptions(&s).await;
    assert!(listed(&answer, "NETFLIX").is_none(), "{answer:#}");
}

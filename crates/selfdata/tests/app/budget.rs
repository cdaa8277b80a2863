//! Money end to end over a real server: bank statements taken in by the
//! shared pipeline (command line, inbox), kept as received and normalised
//! per account and year, read back from the JSON API by the owner and refused
//! to anyone else, and shown on the owner's budget page.

use reqwest::Response;
use selfdata_store::{Backend, PodName, ResourcePath};
use serde_json::Value;

use crate::common::{self, Server, problem};

/// The Crédit Agricole fixture of the budget crate (Windows-1252).
fn credit_agricole() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../budget/tests/fixtures/credit_agricole.csv"
    ))
    .unwrap()
}

fn alice() -> PodName {
    PodName::parse("alice").unwrap()
}

async fn api(s: &Server, query: &str) -> Value {
    let r = s
        .req("GET", &format!("/selfdata/budget/api/{query}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}: {}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn post_inbox(s: &Server, content_type: &str, body: Vec<u8>) -> Response {
    s.req("POST", "/inbox/")
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_bank_statement_is_kept_as_received_normalised_per_account_and_year_and_read_back() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2021, 10, 3))).await;
    let summary = s
        .app
        .import_file(&alice(), credit_agricole().into())
        .await
        .unwrap();
    assert_eq!(summary.service, "budget");
    assert_eq!((summary.readings, summary.changed), (3, 3));
    assert!(
        summary
            .told
            .en
            .contains("new account: Crédit Agricole …8901"),
        "{}",
        summary.told.en
    );
    let original = ResourcePath::parse(&format!("/{}", summary.original)).unwrap();
    assert!(
        summary
            .original
            .starts_with("selfdata/sources/credit-agricole/raw/")
    );
    let (_, kept) = s.app.store.get(&alice(), &original).await.unwrap().unwrap();
    assert_eq!(
        &kept[..],
        &credit_agricole()[..],
        "the original is kept byte for byte"
    );

    let (status, csv) = s
        .get_text("/selfdata/budget/transactions/credit-agricole-8901-2021.csv")
        .await;
    assert_eq!(status, 200);
    assert!(
        csv.contains("2021-09-26,,-23.40,EUR,direct-debit,PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921,,,1,"),
        "{csv}"
    );
    let (status, about) = s
        .get_text("/selfdata/sources/credit-agricole/about.ttl")
        .await;
    assert_eq!(status, 200);
    assert!(
        about.contains("credit-agricole-8901") && about.contains("Crédit Agricole"),
        "{about}"
    );
    let (status, meta) = s
        .get_text("/selfdata/budget/transactions/csv-metadata.json")
        .await;
    assert_eq!(status, 200);
    assert!(meta.contains("credit-agricole-8901-2021.csv"), "{meta}");

    let answer = api(&s, "transactions?from=2021-09-01&to=2021-10-01").await;
    assert_eq!(
        answer["transactions"][0],
        serde_json::json!({
            "date": "2021-09-26", "amount": "-23.40", "currency": "EUR",
            "label": "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921",
            "account": "credit-agricole-8901", "category": "logement/energie/electricite",
        })
    );
    assert_eq!(answer["transactions"].as_array().unwrap().len(), 3);
    let only_26 = api(&s, "transactions?from=2021-09-26&to=2021-09-27").await;
    assert_eq!(
        only_26["transactions"].as_array().unwrap().len(),
        1,
        "to is excluded"
    );
    let accounts = api(&s, "accounts").await;
    assert_eq!(accounts["accounts"][0]["account"], "credit-agricole-8901");
    assert_eq!(
        accounts["accounts"][0]["balance"], "1234.56",
        "the stated balance of 30 September, nothing booked after it"
    );

    // The same statement again, by another way in: nothing added, nothing written.
    let r = post_inbox(&s, "text/csv", credit_agricole()).await;
    assert_eq!(r.status(), 200, "nothing created");
    let again: Value = r.json().await.unwrap();
    assert_eq!(
        (again["service"].as_str(), again["changed"].as_u64()),
        (Some("budget"), Some(0))
    );
    assert_eq!(
        api(&s, "transactions?from=2021-09-01&to=2021-10-01").await,
        answer
    );

    // Lose the derived index: reindex brings back the same answer.
    let entries = s.app.store.index_scan(&alice(), "budget/").await.unwrap();
    let wipe = entries
        .into_iter()
        .map(|(key, _)| selfdata_store::Write::Index { key, value: None })
        .collect();
    s.app
        .store
        .write(&alice(), selfdata_store::Write::Batch(wipe))
        .await
        .unwrap();
    let counts = s.app.reindex(&alice()).await.unwrap();
    assert!(counts.contains(&("budget", 3)), "{counts:?}");
    assert_eq!(
        api(&s, "transactions?from=2021-09-01&to=2021-10-01").await,
        answer
    );
}

#[tokio::test]
async fn the_money_api_refuses_bad_queries_strangers_and_anonymous_callers_in_sentences() {
    let s = Server::start().await;
    for query in [
        "transactions?from=yesterday",
        "transactions?from=2021-10-01&to=2021-09-01",
        "transactions?from=1900-01-01&to=2021-01-01",
    ] {
        let r = s
            .req("GET", &format!("/selfdata/budget/api/{query}"))
            .send()
            .await
            .unwrap();
        let (status, _) = problem(r).await;
        assert_eq!(status, 400, "{query}");
    }
    let r = s
        .req("GET", "/selfdata/budget/api/transactions?account=nope")
        .send()
        .await
        .unwrap();
    assert_eq!(problem(r).await.0, 404);
    let bob = common::Resident::new(&s, "bob").await;
    for path in ["transactions", "accounts"] {
        let url = s.url(&format!("/selfdata/budget/api/{path}"));
        let anonymous = s.client.get(&url).send().await.unwrap();
        assert_eq!(problem(anonymous).await.0, 401, "{path}");
        let r = bob.req(&s, "GET", &url).send().await.unwrap();
        assert_eq!(
            problem(r).await.0,
            403,
            "{path}: bob may not read alice's money"
        );
        // Bob may read his own.
        let own = format!("{}/bob/selfdata/budget/api/{path}", s.base);
        assert_eq!(bob.req(&s, "GET", &own).send().await.unwrap().status(), 200);
    }
}

#[tokio::test]
async fn the_budget_page_shows_each_account_with_the_balance_the_api_gives() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2021, 10, 3))).await;
    let (email, password) = ("carol@example.org", "correct horse battery");
    let carol = PodName::parse("carol").unwrap();
    s.app
        .idp
        .create_account(email, password, &carol)
        .await
        .unwrap();
    let b = s.sign_in(email, password).await;
    let empty = b.get("/app/budget").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("No account yet"), "{}", empty.body);
    s.app
        .import_file(&carol, credit_agricole().into())
        .await
        .unwrap();
    let page = b.get("/app/budget").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Crédit Agricole …8901"), "{}", page.body);
    assert!(
        page.body.contains("\u{2212}€1,045.20") && page.body.contains("€1,234.56"),
        "amounts drawn the English way, the balance the API gives: {}",
        page.body
    );
    assert!(page.body.contains("VIREMENT EN VOTRE FAVEUR ACME SAS"));
    assert!(
        page.body.contains(r#"action="/app/import""#),
        "statements go to the shared job table"
    );
    let home = b.get("/").await;
    assert!(
        home.body.contains("1 account, balance €1,234.56"),
        "{}",
        home.body
    );
}

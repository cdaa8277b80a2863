//! Money end to end over a real server: bank statements taken in by the
//! shared pipeline (command line, inbox), kept as received and normalised
//! per account and year, read back from the JSON API by the owner and refused
//! to anyone else, and shown on the owner's budget page.

use reqwest::Response;
use selfdata_store::{PodName, ResourcePath};
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
        .import_file(&alice(), credit_agricole())
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
    let (b, carol) = common::resident(&s, "carol@example.org", "carol").await;
    let empty = b.get("/app/budget").await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("No account yet"), "{}", empty.body);
    s.app.import_file(&carol, credit_agricole()).await.unwrap();
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
    let privacy = b.get("/app/privacy").await;
    assert!(
        privacy.body.contains("Crédit Agricole") && privacy.body.contains("bank transactions"),
        "who has what on me names the bank and what it holds: {}",
        privacy.body
    );
    let home = b.get("/").await;
    assert!(
        home.body.contains("1 account, balance €1,234.56"),
        "{}",
        home.body
    );
}

/// A Crédit Agricole statement (Windows-1252, as the bank writes it) of
/// account `number` with `rows` of (day, label, cents: negative is a debit).
pub fn credit_agricole_csv(number: &str, rows: &[(jiff::civil::Date, &str, i64)]) -> Vec<u8> {
    let first = rows.iter().map(|r| r.0).min().unwrap();
    let last = rows.iter().map(|r| r.0).max().unwrap();
    let fr = |d: jiff::civil::Date| format!("{:02}/{:02}/{}", d.day(), d.month(), d.year());
    let money = |c: i64| format!("{},{:02}", c.abs() / 100, c.abs() % 100);
    let mut text = format!(
        "Téléchargement du {};;;\n;;;\nM. ALICE MARTIN;;;\nCompte de Dépôt carte n° {number};;;\n;;;\n\
         Liste des opérations du compte entre le {} et le {};;;\n;;;\nDate;Libellé;Débit Euros;Crédit Euros;\n",
        fr(last),
        fr(first),
        fr(last)
    );
    for (d, label, c) in rows {
        let (debit, credit) = if *c < 0 {
            (money(*c), String::new())
        } else {
            (String::new(), money(*c))
        };
        text.push_str(&format!("{};\"{label}\";{debit};{credit};\n", fr(*d)));
    }
    text.chars()
        .map(|c| match c {
            'é' => 0xE9,
            'è' => 0xE8,
            'ê' => 0xEA,
            'à' => 0xE0,
            '°' => 0xB0,
            'É' => 0xC9,
            c if c.is_ascii() => c as u8,
            _ => b'?',
        })
        .collect()
}

/// A year of a household's current account: salary, rent, EDF, Netflix,
/// groceries and a monthly transfer to a savings account at the same bank.
fn household_year() -> (Vec<u8>, Vec<u8>) {
    use jiff::civil::date;
    let mut current = Vec::new();
    let mut savings = Vec::new();
    for m in 1..=12i8 {
        current.push((
            date(2021, m, 1),
            "VIREMENT EN VOTRE FAVEUR ACME SAS SALAIRE",
            210_000,
        ));
        current.push((date(2021, m, 3), "PRELEVEMENT LOYER FONCIA", -85_000));
        current.push((
            date(2021, m, 6),
            "PRELEVEMENT EDF CLIENTS PARTICULIERS",
            -4_000 - i64::from(m) * 100,
        ));
        current.push((date(2021, m, 8), "PRELEVEMENT NETFLIX.COM", -1_349));
        current.push((
            date(2021, m, 10),
            "PAIEMENT PAR CARTE X1234 CARREFOUR 09/01",
            -6_000 - i64::from(m) * 37,
        ));
        current.push((
            date(2021, m, 20),
            "PAIEMENT PAR CARTE X1234 CHEZ MARCEL",
            -2_500,
        ));
        current.push((
            date(2021, m, 25),
            "VIREMENT PERMANENT VERS LIVRET A",
            -20_000,
        ));
        savings.push((
            date(2021, m, 26),
            "VIREMENT RECU DE COMPTE DE DEPOT",
            20_000,
        ));
    }
    (
        credit_agricole_csv("12345678901", &current),
        credit_agricole_csv("98765432109", &savings),
    )
}

#[tokio::test]
async fn spending_by_category_leaves_out_transfers_between_ones_own_accounts_and_the_page_draws_the_api_figures()
 {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 1, 15))).await;
    let (b, dora) = common::resident(&s, "dora@example.org", "dora").await;
    let (current, savings) = household_year();
    for file in [current, savings] {
        s.app.import_file(&dora, file).await.unwrap();
    }
    let summary = Owner::of(&s, &dora)
        .await
        .api(&s, "summary?from=2021-01-01&to=2022-01-01&step=month")
        .await;
    let march = &summary["months"][2];
    assert_eq!(march["month"], "2021-03");
    let by = |c: &str| {
        march["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["category"] == c)
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(by("logement/energie/electricite")["amount"], "-43.00");
    assert_eq!(by("logement/loyer")["amount"], "-850.00");
    assert_eq!(by("loisirs/abonnements-numeriques")["amount"], "-13.49");
    assert_eq!(
        march["internal_transfers"]["count"], 2,
        "the two sides of the transfer"
    );
    assert_eq!(
        march["uncategorised"]["count"], 1,
        "CHEZ MARCEL is no known shop"
    );
    // Spent: rent, EDF, Netflix, groceries, the restaurant; not the savings.
    assert_eq!(march["spent"], "-992.60");
    assert_eq!(march["received"], "2100.00");
    assert_eq!(summary["total"]["internal_transfers"]["count"], 24);

    let page = b.get("/app/budget/spending?year=2021").await;
    assert_eq!(page.status, 200);
    // The API's "-13176.62" is written "−€13,176.62" on the page.
    let spent = summary["total"]["spent"].as_str().unwrap();
    let cents: i64 = spent.replace('.', "").parse().unwrap();
    let shown = selfdata_budget::money::format_cents_en(cents);
    assert!(
        page.body.contains(&shown),
        "the year's spending {shown}: {}",
        page.body
    );
    assert!(
        page.body.matches("class=\"bar").count() >= 12,
        "a bar per month"
    );
    assert!(page.body.contains("Transfers between your accounts: 24"));
}

#[tokio::test]
async fn correcting_one_payee_moves_all_its_transactions_and_says_why() {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2022, 1, 15))).await;
    let (b, eve) = common::resident(&s, "eve@example.org", "eve").await;
    let (current, _) = household_year();
    s.app.import_file(&eve, current).await.unwrap();
    let page = b
        .get("/app/budget/transactions?from=2021-03-01&to=2021-04-01&q=marcel")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("1 transactions: \u{2212}€25.00 spent"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Uncategorised"));
    assert!(
        page.body.contains("no rule recognises"),
        "the why: {}",
        page.body
    );
    let csrf = common::field(&page.body, "csrf");
    let back = common::field(&page.body, "back");
    let done = b
        .post(
            "/app/budget/transactions/categorise",
            &[
                ("csrf", &csrf),
                ("account", "credit-agricole-8901"),
                ("date", "2021-03-20"),
                ("amount", "-2500"),
                ("seq", "1"),
                ("label", "PAIEMENT PAR CARTE X1234 CHEZ MARCEL"),
                ("category", "alimentation/restaurants"),
                ("scope", "payee"),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    let location = done.location.unwrap();
    assert!(
        location.contains("done=12") && location.contains("q=marcel"),
        "{location}"
    );
    let after = b.get(&location).await;
    assert!(
        after.body.contains("12 transactions follow it"),
        "{}",
        after.body
    );
    assert!(
        after.body.contains("Chosen by you on"),
        "the one corrected says so: {}",
        after.body
    );
    let april = b
        .get("/app/budget/transactions?from=2021-04-01&to=2021-05-01&q=marcel")
        .await;
    assert!(
        april.body.contains("Rule learned on") && april.body.contains("Eating out"),
        "the others follow the learned rule: {}",
        april.body
    );
    // The learned rule is a document of the pod.
    let (_, rules) = s
        .app
        .store
        .get(
            &eve,
            &ResourcePath::parse("/selfdata/budget/rules.csv").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    let rules = String::from_utf8(rules.to_vec()).unwrap();
    assert!(
        rules.contains("alimentation/restaurants") && rules.contains("MARCEL"),
        "{rules}"
    );
    // A correction of one transaction only beats the learned rule.
    let page = b
        .get("/app/budget/transactions?from=2021-05-01&to=2021-06-01&q=marcel")
        .await;
    let csrf = common::field(&page.body, "csrf");
    let done = b
        .post(
            "/app/budget/transactions/categorise",
            &[
                ("csrf", &csrf),
                ("account", "credit-agricole-8901"),
                ("date", "2021-05-20"),
                ("amount", "-2500"),
                ("seq", "1"),
                ("label", "PAIEMENT PAR CARTE X1234 CHEZ MARCEL"),
                ("category", "loisirs/sorties-voyages"),
                ("scope", "one"),
                ("back", ""),
            ],
        )
        .await;
    assert_eq!(done.status, 303);
    let may = b
        .get("/app/budget/transactions?from=2021-05-01&to=2021-06-01&q=marcel")
        .await;
    assert!(may.body.contains("Chosen by you on"), "{}", may.body);
    let june = b
        .get("/app/budget/transactions?from=2021-06-01&to=2021-07-01&q=marcel")
        .await;
    assert!(june.body.contains("Rule learned on"), "{}", june.body);
}

#[test]
fn no_bank_statement_is_taken_for_a_meter_export() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../budget/tests/fixtures");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".expected.json") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(
            selfdata_energy::import::detect(&bytes).is_none(),
            "{} is taken for a meter export",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 20, "the bank fixtures: {seen}");
}

#[tokio::test]
async fn the_demo_homes_energy_debits_are_linked_to_the_energy_services_costs_only_for_who_may_read_them()
 {
    let today = jiff::civil::date(2026, 10, 15);
    let s = Server::start_with(|o| o.today = Some(today)).await;
    s.app
        .demo("alice@example.org", "a long demo password", &alice(), 2)
        .await
        .unwrap();
    // The owner reads both: each EDF debit pays a month the energy service knows.
    let owner = api(&s, "housing?year=2025").await;
    let bills = owner["bills"].as_array().unwrap();
    let edf: Vec<&Value> = bills
        .iter()
        .filter(|b| b["topic"] == "electricity")
        .collect();
    assert!(edf.len() >= 11, "{owner:#}");
    for b in &edf {
        assert_eq!(
            b["difference"], "0.00",
            "the demo pays its bills exactly: {b:#}"
        );
        assert_eq!(b["service_cost"], b["amount"]);
    }
    let months = owner["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    assert!(months[5]["energy_service"]["electricity"].is_string());
    assert_ne!(owner["total"]["total"], "0.00");

    // Bob may read alice's money, not her energy: the same costs, no energy figures.
    let bob = common::Resident::new(&s, "bob").await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
        s.webid, bob.webid
    );
    assert_eq!(
        s.put_turtle("/selfdata/budget/.acl", &acl).await.status(),
        201
    );
    let url = s.url("/selfdata/budget/api/housing?year=2025");
    let r = bob.req(&s, "GET", &url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["total"], {
        let mut t = owner["total"].clone();
        t["energy_service"] = Value::Null;
        t
    });
    assert!(
        seen["bills"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["service_cost"].is_null())
    );
    assert!(seen["months"][5]["energy_service"].is_null());
    let energy = s.url("/selfdata/energy/api/summary?fluid=electricity");
    assert_eq!(
        bob.req(&s, "GET", &energy).send().await.unwrap().status(),
        403
    );
}

/// A signed-in resident's own token for their pod's money API.
struct Owner {
    pod: PodName,
    key: selfdata_oidc::DpopKey,
    token: String,
}

impl Owner {
    async fn of(s: &Server, pod: &PodName) -> Owner {
        let webid = selfdata_solid::provision::webid_of(&s.base, pod);
        let (id, secret) = s
            .app
            .idp
            .create_credentials(None, &webid, "test")
            .await
            .unwrap();
        let key = selfdata_oidc::DpopKey::generate();
        let token = common::client_credentials_token(&s.client, &s.base, &id, &secret, &key).await;
        Owner {
            pod: pod.clone(),
            key,
            token,
        }
    }

    async fn api(&self, s: &Server, query: &str) -> Value {
        let url = format!("{}/{}/selfdata/budget/api/{query}", s.base, self.pod);
        let r = common::as_agent(&s.client, &self.key, &self.token, "GET", &url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{query}");
        r.json().await.unwrap()
    }
}

/// "-1234.56" from the API as the French pages write it.
fn french(amount: &str) -> String {
    let cents: i64 = amount.replace('.', "").parse().unwrap();
    selfdata_budget::money::format_cents_fr(cents)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_money_pages_on_a_phone_are_accessible_and_draw_the_apis_figures() {
    let chromium = crate::e2e::chromium();
    let today = jiff::civil::date(2026, 10, 15);
    let s = Server::start_with(|o| o.today = Some(today)).await;
    let (email, password) = ("gina@example.org", "a long demo password");
    let gina = PodName::parse("gina").unwrap();
    s.app.demo(email, password, &gina, 2).await.unwrap();
    let owner = Owner::of(&s, &gina).await;
    let accounts = owner.api(&s, "accounts").await;
    let balance = french(accounts["accounts"][0]["balance"].as_str().unwrap());
    let summary = owner.api(&s, "summary?from=2025-01-01&to=2026-01-01").await;
    let spent = french(summary["total"]["spent"].as_str().unwrap());
    let housing = owner.api(&s, "housing?year=2025").await;
    let housing = french(housing["total"]["total"].as_str().unwrap());
    let env = [
        ("SELFDATA_BASE", s.base.as_str()),
        ("SELFDATA_CHROMIUM", chromium.as_str()),
        ("SELFDATA_EMAIL", email),
        ("SELFDATA_PASSWORD", password),
        ("SELFDATA_BALANCE", balance.as_str()),
        ("SELFDATA_YEAR", "2025"),
        ("SELFDATA_SPENT", spent.as_str()),
        ("SELFDATA_HOUSING", housing.as_str()),
    ];
    tokio::task::block_in_place(|| crate::e2e::node("budget.mjs", &env));
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../budget/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[tokio::test]
async fn a_truncated_ofx_or_a_camt_bomb_is_refused_with_its_line_and_leaves_nothing_behind() {
    let s = Server::start().await;
    for (name, line) in [("ofx1_truncated.ofx", 19), ("camt_billion_laughs.xml", 2)] {
        let r = post_inbox(&s, "application/x-ofx", fixture(name)).await;
        let (status, detail) = problem(r).await;
        assert_eq!(status, 422, "{name}: {detail}");
        assert!(detail.contains(&format!("line {line}")), "{name}: {detail}");
    }
    let (status, _) = s.get_text("/selfdata/budget/").await;
    assert_eq!(status, 404, "no normalised data");
    let (status, _) = s.get_text("/selfdata/sources/").await;
    assert_eq!(status, 404, "no original kept");
}

#[tokio::test]
async fn two_banks_in_two_layouts_are_two_accounts_the_source_says_its_period_and_care_shows_what_was_repaid()
 {
    let s = Server::start_with(|o| o.today = Some(jiff::civil::date(2021, 12, 1))).await;
    let ofx = s
        .app
        .import_file(&alice(), fixture("ofx1_sgml_cp1252.ofx"))
        .await
        .unwrap();
    assert!(
        ofx.told.en.contains("new account: BNP Paribas"),
        "{}",
        ofx.told.en
    );
    let camt = s
        .app
        .import_file(&alice(), fixture("camt053_v02.xml"))
        .await
        .unwrap();
    assert!(
        camt.told.en.contains("new account: La Banque Postale"),
        "{}",
        camt.told.en
    );
    let accounts = api(&s, "accounts").await;
    assert_eq!(
        accounts["accounts"].as_array().unwrap().len(),
        2,
        "never kept apart"
    );
    let (_, about) = s
        .get_text("/selfdata/sources/la-banque-postale/about.ttl")
        .await;
    assert!(
        about.contains("\"2021-09-25T22:00:00Z\"") && about.contains("\"2021-09-30T22:00:00Z\""),
        "the period it holds, from Paris midnight of the 26 September to that of 1 October: {about}"
    );

    // Care and its reimbursements, linked on the transactions page.
    let (b, hugo) = common::resident(&s, "hugo@example.org", "hugo").await;
    use jiff::civil::date;
    let statement = credit_agricole_csv(
        "11122233344",
        &[
            (
                date(2021, 9, 10),
                "PAIEMENT PAR CARTE X1234 DR MARTIN MEDECIN",
                -3_000,
            ),
            (
                date(2021, 9, 15),
                "VIREMENT EN VOTRE FAVEUR CPAM DU RHONE REMB SOINS DU 100921",
                1_900,
            ),
            (
                date(2021, 9, 20),
                "VIREMENT EN VOTRE FAVEUR HARMONIE MUTUELLE REMB",
                800,
            ),
        ],
    );
    s.app.import_file(&hugo, statement).await.unwrap();
    let page = b
        .get("/app/budget/transactions?from=2021-09-01&to=2021-10-01")
        .await;
    assert!(
        page.body.contains("repaid €27.00 of €30.00") && page.body.contains("€3.00 left"),
        "{}",
        page.body
    );
}

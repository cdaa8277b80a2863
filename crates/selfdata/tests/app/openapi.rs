//! The JSON APIs' description (`/openapi.json`): every documented operation
//! is called with its examples on a pod holding data, and its answer must
//! match the documented schema; an anonymous call gets the documented
//! problem. What the server answers and what it says it answers cannot
//! part without this failing.

use serde_json::Value;

use crate::common::{Server, json_of, problem, status_of};

/// Two years of every service's demo files (meters, bank, trips), imported
/// into alice's pod the way `selfdata demo` does.
async fn with_data(s: &Server) -> String {
    let pod = selfdata_store::PodName::parse("alice").unwrap();
    s.app
        .demo("alice@example.org", "correct horse battery", &pod, 2)
        .await
        .unwrap();
    // A data holder, and a direct transfer of alice's water readings to it.
    s.app
        .store
        .put_holder(&selfdata_store::holders::Holder {
            id: HOLDER.into(),
            name: "Eau du Grand Lyon".into(),
            contact: "dpo@eau.example".into(),
            categories: vec!["water".into()],
            identifier: "Numéro de compteur".into(),
            layout: selfdata_store::holders::Layout::Column,
            column: "Numéro de compteur".into(),
            secret_hash: selfdata_holders::secret_hash(HOLDER_SECRET),
            created_ms: 0,
            limits: Default::default(),
            push_key: None,
        })
        .await
        .unwrap();
    // Two others' refused requests: the access log's first entries.
    let bob = crate::common::Resident::new(s, "bob").await;
    assert_eq!(status_of(s.client.get(s.url("/selfdata/"))).await, 401);
    assert_eq!(
        status_of(bob.req(s, "GET", &s.url("/selfdata/"))).await,
        403
    );
    selfdata_holders_web::transfer::grant_transfer(
        &s.app.holders,
        &pod,
        HOLDER,
        &["/selfdata/energy/water/".to_owned()],
        "RequestedServiceProvision",
        30,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap()
    .id
}

const HOLDER: &str = "eau-grand-lyon";
const HOLDER_SECRET: &str = "s3cret-of-the-water-service";

/// An example value as a string.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[tokio::test]
async fn every_documented_operation_answers_as_described() {
    let s = Server::start().await;
    let transfer = with_data(&s).await;
    let r = s
        .client
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], s.base);
    let paths = doc["paths"].as_object().unwrap();
    assert!(
        paths.contains_key("/{pod}/selfdata/energy/api/summary"),
        "{:?}",
        paths.keys()
    );
    let mut called = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let params = op["parameters"].as_array().unwrap();
            let examples = |place: &str| -> Vec<(String, String)> {
                params
                    .iter()
                    .filter(|p| p["in"] == place && p.get("example").is_some())
                    .map(|p| (p["name"].as_str().unwrap().to_owned(), text(&p["example"])))
                    .collect()
            };
            let url = format!(
                "{}{}",
                s.base,
                path.replace("{pod}", "alice").replace("{id}", &transfer)
            );
            let url = reqwest::Url::parse_with_params(&url, examples("query")).unwrap();
            let holder = op["security"][0].get("holderSecret").is_some();
            let call = |signed: bool| {
                let mut r = if signed && !holder {
                    s.signed(&method.to_uppercase(), url.as_str())
                } else {
                    s.client
                        .request(method.to_uppercase().parse().unwrap(), url.as_str())
                };
                if signed && holder {
                    r = r.basic_auth(HOLDER, Some(HOLDER_SECRET));
                }
                for (name, value) in examples("header") {
                    r = r.header(name, value);
                }
                if let Some(content) = op["requestBody"]["content"].as_object() {
                    let (media, body) = content
                        .iter()
                        .find(|(_, c)| c.get("example").is_some())
                        .expect("a request body with an example");
                    r = r.header("content-type", media).body(text(&body["example"]));
                }
                r
            };
            let r = call(true).send().await.unwrap();
            assert_eq!(r.status(), 200, "{id}: {}", r.text().await.unwrap());
            let answer: Value = r.json().await.unwrap();
            let schema = &op["responses"]["200"]["content"]["application/json"]["schema"];
            let validator = jsonschema::validator_for(schema).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&answer)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{id} does not answer as described: {errors:?}\n{answer}"
            );
            // The demo's data is in the answer, not just its frame.
            assert!(
                id.starts_with("log") || answer.to_string().len() > 200,
                "{id} answered almost nothing: {answer}"
            );

            // Anonymous: the documented 401, as problem+json.
            let (status, _) = problem(call(false).send().await.unwrap()).await;
            assert_eq!(status, 401, "{id}");
            assert!(op["responses"].get("401").is_some());
            called += 1;
        }
    }
    assert!(called >= 16, "only {called} operations described");
}

#[tokio::test]
async fn a_schema_that_does_not_fit_is_caught() {
    // The check above would catch a drift: an answer missing a documented
    // required field, or with a field of another type, fails its schema.
    let s = Server::start().await;
    let doc = json_of(s.client.get(format!("{}/openapi.json", s.base))).await;
    let schema = &doc["paths"]["/{pod}/selfdata/energy/api/summary"]["get"]["responses"]["200"]["content"]
        ["application/json"]["schema"];
    let validator = jsonschema::validator_for(schema).unwrap();
    assert!(validator.is_valid(&serde_json::json!({"fluid": "gas", "unit": "kWh", "readings": 0})));
    assert!(!validator.is_valid(&serde_json::json!({"fluid": "gas", "unit": "kWh"})));
    assert!(
        !validator
            .is_valid(&serde_json::json!({"fluid": "gas", "unit": "kWh", "readings": "many"}))
    );
}

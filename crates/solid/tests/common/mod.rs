//! A real selfdata server on a loopback port, over a real SQLite data folder,
//! with one pod ("alice") and its owner token.

#![allow(dead_code)]

use std::sync::Arc;

use reqwest::{Client, Method, RequestBuilder, Response};
use selfdata_solid::{AppState, Config, provision};
use selfdata_store::PodName;
use selfdata_store::sqlite::SqliteBackend;

pub struct Server {
    pub base: String,
    pub token: String,
    pub client: Client,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(SqliteBackend::open(dir.path()).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let pod = provision::create_pod(store.as_ref(), &base, &PodName::parse("alice").unwrap())
            .await
            .unwrap();
        let mut config = Config::new(&base);
        tune(&mut config);
        let app = selfdata_solid::router(AppState::new(store, config));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            base,
            token: pod.owner_token,
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            _dir: dir,
        }
    }

    /// The absolute URL of a path inside alice's pod (`/notes/a.ttl`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/alice{path}", self.base)
    }

    /// A request with the owner's token.
    pub fn req(&self, method: &str, path: &str) -> RequestBuilder {
        self.client
            .request(
                Method::from_bytes(method.as_bytes()).unwrap(),
                self.url(path),
            )
            .bearer_auth(&self.token)
    }

    pub async fn put_turtle(&self, path: &str, body: &str) -> Response {
        self.req("PUT", path)
            .header("content-type", "text/turtle")
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.req("GET", path).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
}

/// Reads a problem+json answer, checking its shape.
pub async fn problem(response: Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/problem+json",
        "status {status} should come as problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    let detail = body["detail"].as_str().unwrap().to_owned();
    assert!(detail.len() > 10, "detail should be a sentence: {detail}");
    (status, detail)
}

pub fn links(response: &Response) -> Vec<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// Parses Turtle into a graph, resolving against `base`.
pub fn turtle(body: &str, base: &str) -> selfdata_rdf::oxrdf::Graph {
    selfdata_rdf::parse(body.as_bytes(), selfdata_rdf::RdfFormat::Turtle, base).unwrap()
}

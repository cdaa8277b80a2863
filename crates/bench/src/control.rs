//! `selfdata-bench control`: the cost of encryption at rest and access
//! logging, same build, one run. Two apps on temporary data folders — one
//! with both on (the default), one with both off — serve the same requests
//! through the whole router in process (token and DPoP verification, WAC,
//! the store), so the time measured is server time:
//! - GET of a 2 KB Turtle document by another agent (Bob, allowed by an
//!   ACL): his requests are logged;
//! - PUT of 2 KB Turtle documents by Bob, 16 at a time (group commit);
//! - GET by the owner (not logged: encryption alone).
//!
//! The two variants alternate over several rounds; the median round is kept.
//! Prints one JSON object; `bench/control.sh` writes it to `bench/results/`.

use std::time::Instant;

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use http_body_util::BodyExt as _;
use selfdata::{App, Options};
use selfdata_store::PodName;
use tower::ServiceExt as _;

const BASE: &str = "http://bench.local";

/// A client with a DPoP key and its access token.
pub struct Agent {
    pub key: selfdata_oidc::DpopKey,
    pub token: String,
}

fn now_s() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Client credentials exchanged for a DPoP-bound token at the real token
/// endpoint (in HTTP Basic, each part form-encoded first: RFC 6749 §2.3.1).
pub async fn token(router: &axum::Router, id: &str, secret: &str) -> anyhow::Result<Agent> {
    token_at(router, BASE, id, secret).await
}

/// [`token`] from a server whose base URL is `base`.
pub async fn token_at(
    router: &axum::Router,
    base: &str,
    id: &str,
    secret: &str,
) -> anyhow::Result<Agent> {
    use base64::Engine as _;
    let key = selfdata_oidc::DpopKey::generate();
    let url = format!("{base}/idp/token");
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", enc(id), enc(secret)));
    let response = router
        .clone()
        .oneshot(
            Request::post("/idp/token")
                .header(header::AUTHORIZATION, format!("Basic {basic}"))
                .header("dpop", key.proof("POST", &url, None, now_s()))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("grant_type=client_credentials"))?,
        )
        .await?;
    let body: serde_json::Value =
        serde_json::from_slice(&response.into_body().collect().await?.to_bytes())?;
    let token = body["access_token"]
        .as_str()
        .context("no access token")?
        .to_owned();
    Ok(Agent { key, token })
}

fn request(
    agent: &Agent,
    method: &str,
    path: &str,
    body: Option<String>,
) -> anyhow::Result<Request<Body>> {
    request_at(BASE, agent, method, path, body)
}

/// [`request`] to a server whose base URL is `base`.
pub fn request_at(
    base: &str,
    agent: &Agent,
    method: &str,
    path: &str,
    body: Option<String>,
) -> anyhow::Result<Request<Body>> {
    let url = format!("{base}{path}");
    let proof = agent.key.proof(method, &url, Some(&agent.token), now_s());
    let builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("DPoP {}", agent.token))
        .header("dpop", proof);
    Ok(match body {
        Some(b) => builder
            .header(header::CONTENT_TYPE, "text/turtle")
            .body(Body::from(b))?,
        None => builder.body(Body::empty())?,
    })
}

pub async fn send(router: &axum::Router, req: Request<Body>) -> anyhow::Result<u16> {
    let response = router.clone().oneshot(req).await?;
    let status = response.status().as_u16();
    let _ = response.into_body().collect().await?;
    Ok(status)
}

struct Variant {
    _dir: tempfile::TempDir,
    router: axum::Router,
    owner: Agent,
    bob: Agent,
}

async fn variant(protected: bool) -> anyhow::Result<Variant> {
    let dir = tempfile::tempdir()?;
    let mut options = Options::new(dir.path(), BASE);
    // SELFDATA_BENCH_ONLY=encryption|log keeps the other one off in the "on"
    // variant, to tell the two costs apart.
    let only = std::env::var("SELFDATA_BENCH_ONLY").unwrap_or_default();
    options.unencrypted = !protected || only == "log";
    options.no_access_log = !protected || only == "encryption";
    let app = App::open(options).await?;
    let alice = app.create_pod(&PodName::parse("alice")?).await?;
    let bob = app.create_pod(&PodName::parse("bob")?).await?;
    let router = app.router();
    let owner = token(&router, &alice.client_id, &alice.client_secret).await?;
    let bob_agent = token(&router, &bob.client_id, &bob.client_secret).await?;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write.\n",
        alice.webid, bob.webid
    );
    let doc = turtle(0);
    for (path, body) in [("/alice/shared/doc.ttl", doc), ("/alice/shared/.acl", acl)] {
        let status = send(&router, request(&owner, "PUT", path, Some(body))?).await?;
        anyhow::ensure!(status < 300, "setup PUT {path}: {status}");
    }
    Ok(Variant {
        _dir: dir,
        router,
        owner,
        bob: bob_agent,
    })
}

fn turtle(i: usize) -> String {
    let mut s = format!("@prefix ex: <http://example.org/>.\n<#it> ex:n {i} .\n");
    while s.len() < 2048 {
        s.push_str(
            "<#it> ex:note \"a note of some length to make the document two kilobytes\" .\n",
        );
    }
    s
}

/// Requests per second of `n` GETs of `path` by `agent`, one at a time.
async fn gets(v: &Variant, agent: &Agent, path: &str, n: usize) -> anyhow::Result<f64> {
    let reqs: Vec<_> = (0..n)
        .map(|_| request(agent, "GET", path, None))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    for r in reqs {
        anyhow::ensure!(send(&v.router, r).await? == 200, "GET refused");
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Requests per second of `n` PUTs by Bob, `conc` at a time.
async fn puts(v: &Variant, round: usize, n: usize, conc: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..conc {
        let router = v.router.clone();
        let reqs: Vec<_> = (0..n / conc)
            .map(|i| {
                let path = format!("/alice/shared/r{round}-c{c}-{i}.ttl");
                request(&v.bob, "PUT", &path, Some(turtle(i)))
            })
            .collect::<Result<_, _>>()?;
        tasks.push(tokio::spawn(async move {
            for r in reqs {
                let status = send(&router, r).await?;
                anyhow::ensure!(status < 300, "PUT refused: {status}");
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok((n / conc * conc) as f64 / started.elapsed().as_secs_f64())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

pub async fn run(requests: usize, rounds: usize) -> anyhow::Result<()> {
    let on = variant(true).await?;
    let off = variant(false).await?;
    let mut results: [[Vec<f64>; 3]; 2] = Default::default();
    for round in 0..rounds {
        for (k, v) in [(0, &off), (1, &on)] {
            results[k][0].push(gets(v, &v.bob, "/alice/shared/doc.ttl", requests).await?);
            results[k][1].push(puts(v, round, requests / 4, 16).await?);
            results[k][2].push(gets(v, &v.owner, "/alice/shared/doc.ttl", requests).await?);
        }
    }
    let names = [
        "get_by_another_agent",
        "put_by_another_agent_16_concurrent",
        "get_by_owner",
    ];
    let mut out = serde_json::Map::new();
    for (i, name) in names.iter().enumerate() {
        let plain = median(results[0][i].clone());
        let protected = median(results[1][i].clone());
        out.insert(
            (*name).to_owned(),
            serde_json::json!({
                "off_per_second": plain,
                "on_per_second": protected,
                "cost_percent": (plain / protected - 1.0) * 100.0,
            }),
        );
    }
    out.insert("requests".into(), requests.into());
    out.insert("rounds".into(), rounds.into());
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

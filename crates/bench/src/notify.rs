//! `selfdata-bench notify`: Solid Notifications under load, same build, one
//! run, over real loopback sockets.
//! - Latency: a probe `WebSocketChannel2023` channel follows a document
//!   while N-1 other channels (solid-0.1 subscriptions, drained as fast as
//!   they come) are open: on other documents (N open on the server), and,
//!   separately, on the same document, each with a socket of its own (each
//!   change fans out to N sockets, whose clients run in this process too); each PUT (through the whole router: token, DPoP, WAC,
//!   the store) is timed from its start to the probe's notification, so the
//!   figure includes the PUT itself, whose own time is given beside it.
//!   N = 1, 100, 5,000.
//! - Cost: PUT throughput, 16 writers at once on documents nobody follows,
//!   with 5,000 channels open on other documents, against a server with
//!   notifications off; the two alternate over the rounds, the median
//!   round is kept.
//!
//! Prints one JSON object; `bench/notify.sh` writes it to `bench/results/`.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use axum::body::Body;
use axum::http::{Request, header};
use futures_util::{SinkExt as _, StreamExt as _};
use selfdata::{App, Options};
use selfdata_store::PodName;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use crate::control::{Agent, request_at, send, token_at};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Server {
    _dir: tempfile::TempDir,
    _app: App,
    base: String,
    router: axum::Router,
    owner: Agent,
}

impl Server {
    async fn start(enabled: bool) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let base = format!("http://{}", listener.local_addr()?);
        let mut options = Options::new(dir.path(), &base);
        options.notifications.enabled = enabled;
        options.notifications.max_per_agent = 100_000;
        let app = App::open(options).await?;
        let alice = app.create_pod(&PodName::parse("alice")?).await?;
        let router = app.router();
        let served = router.clone();
        tokio::spawn(async move {
            axum::serve(
                listener,
                served.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
        });
        let owner = token_at(&router, &base, &alice.client_id, &alice.client_secret).await?;
        let server = Self {
            _dir: dir,
            _app: app,
            base,
            router,
            owner,
        };
        // Readable by anyone, so the solid-0.1 sockets need no token.
        let acl = format!(
            "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
             <#owner> a acl:Authorization; acl:agent <{0}/alice/profile/card#me>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
             <#all> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
            server.base
        );
        server.put("/alice/.acl", acl).await?;
        Ok(server)
    }

    async fn put(&self, path: &str, body: String) -> anyhow::Result<()> {
        let status = send(
            &self.router,
            request_at(&self.base, &self.owner, "PUT", path, Some(body))?,
        )
        .await?;
        anyhow::ensure!((200..300).contains(&status), "PUT {path}: {status}");
        Ok(())
    }

    /// `count` solid-0.1 subscriptions to the topics `topic(i)`, on sockets
    /// of at most `per_socket` (one socket follows a topic once), each
    /// drained by a task of its own.
    async fn legacy(
        &self,
        count: usize,
        per_socket: usize,
        topic: impl Fn(usize) -> String,
    ) -> anyhow::Result<()> {
        let via = format!(
            "{}/.notifications/solid-0.1",
            self.base.replace("http://", "ws://")
        );
        let mut done = 0;
        while done < count {
            let mut request = via.as_str().into_client_request()?;
            request
                .headers_mut()
                .insert("sec-websocket-protocol", "solid-0.1".parse()?);
            let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
            let here = (count - done).min(per_socket);
            for i in done..done + here {
                socket
                    .send(Message::text(format!("sub {}{}", self.base, topic(i))))
                    .await?;
            }
            for _ in 0..here {
                let ack = next_text(&mut socket).await?;
                anyhow::ensure!(ack.starts_with("ack "), "refused: {ack}");
            }
            tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} });
            done += here;
        }
        Ok(())
    }

    /// A WebSocketChannel2023 channel on `path`, connected.
    async fn probe(&self, path: &str) -> anyhow::Result<Socket> {
        let url = format!("{}/.notifications/WebSocketChannel2023/", self.base);
        let proof = self.owner.key.proof(
            "POST",
            &url,
            Some(&self.owner.token),
            jiff::Timestamp::now().as_second(),
        );
        let body = serde_json::json!({
            "@context": ["https://www.w3.org/ns/solid/notification/v1"],
            "type": "WebSocketChannel2023",
            "topic": format!("{}{path}", self.base),
        });
        let response = tower::ServiceExt::oneshot(
            self.router.clone(),
            Request::post("/.notifications/WebSocketChannel2023/")
                .header(header::AUTHORIZATION, format!("DPoP {}", self.owner.token))
                .header("dpop", proof)
                .header(header::CONTENT_TYPE, "application/ld+json")
                .body(Body::from(body.to_string()))?,
        )
        .await?;
        let bytes = http_body_util::BodyExt::collect(response.into_body())
            .await?
            .to_bytes();
        let channel: serde_json::Value = serde_json::from_slice(&bytes)?;
        let receive_from = channel["receiveFrom"].as_str().context("no receiveFrom")?;
        Ok(tokio_tungstenite::connect_async(receive_from).await?.0)
    }
}

async fn next_text(socket: &mut Socket) -> anyhow::Result<String> {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => anyhow::bail!("no notification: {other:?}"),
        }
    }
}

fn turtle(i: usize) -> String {
    format!("<#it> <http://schema.org/value> {i} .\n")
}

fn ms(h: &hdrhistogram::Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn latency(
    subscriptions: usize,
    same_document: bool,
    writes: usize,
) -> anyhow::Result<serde_json::Value> {
    let server = Server::start(true).await?;
    let topic = "/alice/t/a.ttl";
    server.put(topic, turtle(0)).await?;
    if same_document {
        server
            .legacy(subscriptions - 1, 1, |_| topic.to_owned())
            .await?;
    } else {
        server
            .legacy(subscriptions - 1, 1000, |i| format!("/alice/o/{i}.ttl"))
            .await?;
    }
    let mut probe = server.probe(topic).await?;
    let mut to_notification = hdrhistogram::Histogram::<u64>::new(3)?;
    let mut put_alone = hdrhistogram::Histogram::<u64>::new(3)?;
    for i in 0..writes {
        let started = Instant::now();
        server.put(topic, turtle(i + 1)).await?;
        put_alone.record(started.elapsed().as_micros() as u64)?;
        next_text(&mut probe).await?;
        to_notification.record(started.elapsed().as_micros() as u64)?;
    }
    Ok(serde_json::json!({
        "subscriptions": subscriptions,
        "on_the_same_document": same_document,
        "writes": writes,
        "notification_p50_ms": ms(&to_notification, 0.5),
        "notification_p99_ms": ms(&to_notification, 0.99),
        "put_p50_ms": ms(&put_alone, 0.5),
        "put_p99_ms": ms(&put_alone, 0.99),
    }))
}

/// PUTs per second, 16 writers at once, on documents nobody follows.
async fn throughput(server: &Server, round: usize, writes: usize) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut writers = Vec::new();
    for w in 0..16 {
        let (router, base) = (server.router.clone(), server.base.clone());
        let agent = Agent {
            key: server.owner.key.clone(),
            token: server.owner.token.clone(),
        };
        writers.push(tokio::spawn(async move {
            for i in (w..writes).step_by(16) {
                let path = format!("/alice/w/{round}-{i}.ttl");
                let status = send(
                    &router,
                    request_at(&base, &agent, "PUT", &path, Some(turtle(i)))?,
                )
                .await?;
                anyhow::ensure!((200..300).contains(&status), "PUT {path}: {status}");
            }
            anyhow::Ok(())
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(writes as f64 / started.elapsed().as_secs_f64())
}

pub async fn run(writes: usize, rounds: usize) -> anyhow::Result<()> {
    let mut latencies = Vec::new();
    for n in [1, 100, 5000] {
        latencies.push(latency(n, false, writes).await?);
    }
    for n in [100, 5000] {
        latencies.push(latency(n, true, writes).await?);
    }
    let off = Server::start(false).await?;
    let on = Server::start(true).await?;
    on.legacy(5000, 1000, |i| format!("/alice/t/{i}.ttl"))
        .await?;
    let (mut off_rates, mut on_rates) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        off_rates.push(throughput(&off, round, writes).await?);
        on_rates.push(throughput(&on, round, writes).await?);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (off_rate, on_rate) = (median(off_rates), median(on_rates));
    let report = serde_json::json!({
        "latency": latencies,
        "put_throughput": {
            "writers": 16,
            "writes_per_round": writes,
            "rounds": rounds,
            "off_per_second": off_rate,
            "with_5000_subscriptions_per_second": on_rate,
            "cost_percent": (1.0 - on_rate / off_rate) * 100.0,
        },
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

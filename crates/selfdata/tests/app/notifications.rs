//! Solid Notifications end to end, over real sockets: discovery, the
//! WebSocketChannel2023 subscription and its socket, the streaming HTTP
//! channel, the legacy solid-0.1 websocket; what each change sends, who may
//! subscribe, and that a revoked Read ends the stream at once.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{
    Resident, Server, as_agent, authorize_path, client_credentials_token, field, json_of, links,
    problem, redeem_code, register_app, resident, status_of,
};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

/// Subscribes to `topic` as the pod's owner; returns the channel description.
async fn subscribe(s: &Server, topic: &str, extra: Value) -> Value {
    let mut body = json!({
        "@context": ["https://www.w3.org/ns/solid/notification/v1"],
        "type": "http://www.w3.org/ns/solid/notifications#WebSocketChannel2023",
        "topic": topic,
    });
    if let Value::Object(extra) = extra {
        body.as_object_mut().unwrap().extend(extra);
    }
    let r = s
        .signed(
            "POST",
            &format!("{}/.notifications/WebSocketChannel2023/", s.base),
        )
        .header("content-type", "application/ld+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["content-type"], "application/ld+json");
    r.json().await.unwrap()
}

async fn connect(receive_from: &str) -> Socket {
    tokio_tungstenite::connect_async(receive_from)
        .await
        .unwrap()
        .0
}

/// The next text message, as JSON.
async fn next_json(socket: &mut Socket) -> Value {
    serde_json::from_str(&next_text(socket).await).unwrap()
}

async fn next_text(socket: &mut Socket) -> String {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            other => panic!("expected a notification, got {other:?}"),
        }
    }
}

/// Whether the server ends the socket within the wait (no message first).
async fn ends(socket: &mut Socket) -> bool {
    loop {
        match tokio::time::timeout(WAIT, socket.next()).await {
            Ok(None | Some(Ok(Message::Close(_))) | Some(Err(_))) => return true,
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
            Ok(Some(Ok(other))) => panic!("expected the end, got {other:?}"),
            Err(_) => return false,
        }
    }
}

/// Nothing arrives for a while.
async fn quiet(socket: &mut Socket) -> bool {
    tokio::time::timeout(Duration::from_millis(500), socket.next())
        .await
        .is_err()
}

async fn put(s: &Server, path: &str, body: &str) -> String {
    let r = s.put_turtle(path, body).await;
    assert!(r.status().is_success(), "{}", r.status());
    r.headers()["etag"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_storage_description_and_every_resource_say_where_notifications_are() {
    let s = Server::start().await;
    put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    let r = s
        .client
        .get(s.url("/.well-known/solid"))
        .header("accept", "text/turtle")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let graph = crate::common::turtle(&r.text().await.unwrap(), &s.url("/.well-known/solid"));
    let text = graph.to_string();
    let service = format!("<{}/.notifications/WebSocketChannel2023/>", s.base);
    assert!(
        text.contains(&format!(
            "<http://www.w3.org/ns/solid/notifications#subscription> {service}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{service} <http://www.w3.org/ns/solid/notifications#channelType> <http://www.w3.org/ns/solid/notifications#WebSocketChannel2023>")),
        "{text}"
    );
    assert!(text.contains("notifications#state>"), "{text}");

    let r = s.req("GET", "/notes/a.ttl").send().await.unwrap();
    let streaming = format!(
        "<{}/.notifications/StreamingHTTPChannel2023/alice/notes/a.ttl>; rel=\"http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023\"",
        s.base
    );
    assert!(links(&r).contains(&streaming), "{:?}", links(&r));
    let via = r.headers()["updates-via"].to_str().unwrap();
    assert_eq!(
        via,
        format!(
            "{}/.notifications/solid-0.1",
            s.base.replace("http://", "ws://")
        )
    );

    // The service describes itself.
    let r = s
        .client
        .get(format!("{}/.notifications/WebSocketChannel2023/", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["channelType"], "WebSocketChannel2023");
}

#[tokio::test]
async fn a_websocket_channel_tells_each_change_of_a_container_and_of_a_document() {
    let s = Server::start().await;
    put(&s, "/notes/seed.ttl", "<#a> <#b> <#c>.").await;
    let container = subscribe(&s, &s.url("/notes/"), json!({})).await;
    assert_eq!(container["topic"], s.url("/notes/"));
    assert_eq!(container["type"], "WebSocketChannel2023");
    let receive_from = container["receiveFrom"].as_str().unwrap();
    assert!(receive_from.starts_with("ws://"), "{receive_from}");
    let mut folder = connect(receive_from).await;

    // Created in the container: Add, naming the member and the container.
    let etag = put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    let n = next_json(&mut folder).await;
    assert_eq!(n["type"], "Add");
    assert_eq!(n["object"], s.url("/notes/a.ttl"));
    assert_eq!(n["target"], s.url("/notes/"));
    let folder_etag = s.req("HEAD", "/notes/").send().await.unwrap().headers()["etag"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        n["state"], folder_etag,
        "the container's state is its new ETag"
    );
    assert!(n["published"].as_str().unwrap().ends_with('Z'));

    // Followed on its own: Update with the ETag a GET gives, then Delete.
    let doc = subscribe(&s, &s.url("/notes/a.ttl"), json!({})).await;
    let mut document = connect(doc["receiveFrom"].as_str().unwrap()).await;
    let etag2 = put(&s, "/notes/a.ttl", "<#a> <#b> <#d>.").await;
    assert_ne!(etag, etag2);
    let n = next_json(&mut document).await;
    assert_eq!(
        (n["type"].as_str(), n["object"].as_str()),
        (Some("Update"), Some(&*s.url("/notes/a.ttl")))
    );
    assert_eq!(n["state"], etag2);
    let n = next_json(&mut folder).await;
    assert_eq!(
        n["type"], "Update",
        "a member's change changes the container"
    );
    assert_eq!(n["object"], s.url("/notes/"));

    assert_eq!(status_of(s.req("DELETE", "/notes/a.ttl")).await, 204);
    let n = next_json(&mut document).await;
    assert_eq!(n["type"], "Delete");
    assert!(n.get("state").is_none(), "a deleted resource has no state");
    let n = next_json(&mut folder).await;
    assert_eq!(n["type"], "Remove");
    assert_eq!(n["object"], s.url("/notes/a.ttl"));

    // A change elsewhere, or a refused write, tells these channels nothing.
    put(&s, "/elsewhere/b.ttl", "<#a> <#b> <#c>.").await;
    let refused = s
        .req("PUT", "/notes/seed.ttl")
        .header("content-type", "text/turtle")
        .header("if-match", "\"nope\"")
        .body("<#x> <#y> <#z>.")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 412);
    assert!(quiet(&mut folder).await);

    // Creating the document again: Create on its own topic.
    put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    assert_eq!(next_json(&mut document).await["type"], "Create");
    assert_eq!(next_json(&mut folder).await["type"], "Add");

    // A channel has one receiver: a second socket is refused, the first stays.
    let second = tokio_tungstenite::connect_async(doc["receiveFrom"].as_str().unwrap()).await;
    match second {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status(), 409),
        other => panic!("a second receiver was let in: {other:?}"),
    }
    put(&s, "/notes/a.ttl", "<#a> <#b> <#e>.").await;
    assert_eq!(next_json(&mut document).await["type"], "Update");
    assert_eq!(next_json(&mut folder).await["type"], "Update");

    // Unsubscribing ends the socket.
    let id = doc["id"].as_str().unwrap();
    assert_eq!(status_of(s.signed("DELETE", id)).await, 205);
    assert!(ends(&mut document).await);
    assert_eq!(status_of(s.signed("DELETE", id)).await, 404);
}

#[tokio::test]
async fn state_tells_at_once_what_changed_since_and_rate_spaces_notifications() {
    let s = Server::start().await;
    let old = put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    let now = put(&s, "/notes/a.ttl", "<#a> <#b> <#d>.").await;
    let channel = subscribe(&s, &s.url("/notes/a.ttl"), json!({ "state": old })).await;
    let mut socket = connect(channel["receiveFrom"].as_str().unwrap()).await;
    let n = next_json(&mut socket).await;
    assert_eq!(
        (n["type"].as_str(), n["state"].as_str()),
        (Some("Update"), Some(&*now))
    );

    // Up to date: nothing owed.
    let channel = subscribe(&s, &s.url("/notes/a.ttl"), json!({ "state": now })).await;
    let mut socket = connect(channel["receiveFrom"].as_str().unwrap()).await;
    assert!(quiet(&mut socket).await);

    // rate PT1S: three quick changes arrive as the first and, a second
    // later, the last.
    let channel = subscribe(&s, &s.url("/notes/a.ttl"), json!({ "rate": "PT1S" })).await;
    assert_eq!(channel["rate"], "PT1S");
    let mut socket = connect(channel["receiveFrom"].as_str().unwrap()).await;
    put(&s, "/notes/a.ttl", "<#a> <#b> <#e>.").await;
    let first = next_json(&mut socket).await;
    put(&s, "/notes/a.ttl", "<#a> <#b> <#f>.").await;
    let last = put(&s, "/notes/a.ttl", "<#a> <#b> <#g>.").await;
    let started = std::time::Instant::now();
    let second = next_json(&mut socket).await;
    assert_eq!(
        second["state"], last,
        "the latest change, not the one it replaced"
    );
    assert_ne!(first["state"], second["state"]);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "spaced by the rate"
    );
    assert!(quiet(&mut socket).await);

    // endAt in the past, or a bad rate: refused with a sentence.
    let (status, detail) = problem(
        s.signed("POST", &format!("{}/.notifications/WebSocketChannel2023/", s.base))
            .header("content-type", "application/ld+json")
            .body(
                json!({"@context": ["https://www.w3.org/ns/solid/notification/v1"], "type": "WebSocketChannel2023", "topic": s.url("/notes/a.ttl"), "endAt": "2020-01-01T00:00:00Z"})
                    .to_string(),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, detail.as_str()), (422, "endAt is already past."));
}

#[tokio::test]
async fn a_subscription_needs_read_on_its_topic_and_a_revoked_read_ends_the_stream() {
    let s = Server::start().await;
    let bob = Resident::new(&s, "bob").await;
    put(&s, "/shared/a.ttl", "<#a> <#b> <#c>.").await;
    put(&s, "/private/b.ttl", "<#a> <#b> <#c>.").await;
    let url = format!("{}/.notifications/WebSocketChannel2023/", s.base);
    let body = |topic: String| {
        json!({"@context": ["https://www.w3.org/ns/solid/notification/v1"], "type": "WebSocketChannel2023", "topic": topic}).to_string()
    };

    // Anonymous: 401. Bob, not granted: 403. A topic of no pod here: 422.
    let anonymous = s
        .client
        .post(&url)
        .header("content-type", "application/ld+json")
        .body(body(s.url("/private/b.ttl")))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let as_bob = |topic: String| {
        bob.req(&s, "POST", &url)
            .header("content-type", "application/ld+json")
            .body(body(topic))
    };
    assert_eq!(status_of(as_bob(s.url("/private/b.ttl"))).await, 403);
    assert_eq!(
        status_of(as_bob("https://elsewhere.example/x".into())).await,
        422
    );

    // Alice gives Bob Read on /shared/; Bob follows it.
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#bob> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
        s.webid, bob.webid
    );
    put(&s, "/shared/.acl", &acl).await;
    let r = as_bob(s.url("/shared/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let channel: Value = r.json().await.unwrap();
    let mut socket = connect(channel["receiveFrom"].as_str().unwrap()).await;
    put(&s, "/shared/c.ttl", "<#a> <#b> <#c>.").await;
    assert_eq!(next_json(&mut socket).await["type"], "Add");

    // Alice takes it back: Bob's socket ends at once, before any change.
    let owner_only = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.",
        s.webid
    );
    put(&s, "/shared/.acl", &owner_only).await;
    assert!(
        ends(&mut socket).await,
        "the stream ends when Read is revoked"
    );
    assert_eq!(status_of(as_bob(s.url("/shared/"))).await, 403);
}

#[tokio::test]
async fn an_agent_holds_at_most_its_share_of_channels() {
    let s = Server::start_with(|o| o.notifications.max_per_agent = 2).await;
    put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    let first = subscribe(&s, &s.url("/notes/a.ttl"), json!({})).await;
    subscribe(&s, &s.url("/notes/"), json!({})).await;
    let (status, detail) = problem(
        s.signed(
            "POST",
            &format!("{}/.notifications/WebSocketChannel2023/", s.base),
        )
        .header("content-type", "application/ld+json")
        .body(json!({"type": "WebSocketChannel2023", "topic": s.url("/notes/")}).to_string())
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 429);
    assert!(detail.contains("the most one agent may hold"), "{detail}");
    // Closing one frees a place.
    assert_eq!(
        status_of(s.signed("DELETE", first["id"].as_str().unwrap())).await,
        205
    );
    subscribe(&s, &s.url("/notes/"), json!({})).await;

    // A subscription that is not JSON-LD, or too large: refused before use.
    let r = s
        .signed(
            "POST",
            &format!("{}/.notifications/WebSocketChannel2023/", s.base),
        )
        .header("content-type", "text/turtle")
        .body("<> a <x>.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = s
        .signed(
            "POST",
            &format!("{}/.notifications/WebSocketChannel2023/", s.base),
        )
        .header("content-type", "application/ld+json")
        .body(format!("{{\"topic\": \"{}\"}}", "x".repeat(20_000)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn the_streaming_http_channel_streams_turtle_notifications() {
    let s = Server::start().await;
    put(&s, "/notes/a.ttl", "<#a> <#b> <#c>.").await;
    let r = s.req("GET", "/notes/a.ttl").send().await.unwrap();
    let link = links(&r)
        .into_iter()
        .find(|l| l.contains("updatesViaStreamingHttp2023"))
        .unwrap();
    let url = link[1..link.find('>').unwrap()].to_owned();
    // Anonymous: refused like the resource itself.
    assert_eq!(status_of(s.client.get(&url)).await, 401);
    let mut stream = s.signed("GET", &url).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/turtle");
    let etag = put(&s, "/notes/a.ttl", "<#a> <#b> <#d>.").await;
    let chunk = tokio::time::timeout(WAIT, stream.chunk())
        .await
        .expect("a notification within the wait")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    let graph = crate::common::turtle(&text, "https://unrelated.example/");
    let triples = graph.to_string();
    assert!(
        triples.contains("<https://www.w3.org/ns/activitystreams#Update>"),
        "{triples}"
    );
    assert!(
        triples.contains(&format!("<{}>", s.url("/notes/a.ttl"))),
        "{triples}"
    );
    assert!(triples.contains(&etag.replace('"', "\\\"")), "{triples}");
}

#[tokio::test]
async fn the_legacy_solid_0_1_socket_acks_public_topics_and_refuses_private_ones() {
    let s = Server::start().await;
    put(&s, "/public/a.ttl", "<#a> <#b> <#c>.").await;
    put(&s, "/private/b.ttl", "<#a> <#b> <#c>.").await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#all> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
        s.webid
    );
    put(&s, "/public/.acl", &acl).await;
    let r = s.req("GET", "/public/a.ttl").send().await.unwrap();
    let via = r.headers()["updates-via"].to_str().unwrap().to_owned();
    let mut request = via.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "solid-0.1".parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "solid-0.1");

    let public = s.url("/public/a.ttl");
    let private = s.url("/private/b.ttl");
    socket
        .send(Message::text(format!("sub {public}")))
        .await
        .unwrap();
    assert_eq!(next_text(&mut socket).await, format!("ack {public}"));
    socket
        .send(Message::text(format!("sub {private}")))
        .await
        .unwrap();
    assert_eq!(
        next_text(&mut socket).await,
        format!("err {private} forbidden")
    );
    socket
        .send(Message::text(format!("sub {}", s.url("/public/"))))
        .await
        .unwrap();
    assert_eq!(
        next_text(&mut socket).await,
        format!("ack {}", s.url("/public/"))
    );

    put(&s, "/private/b.ttl", "<#a> <#b> <#d>.").await;
    put(&s, "/public/a.ttl", "<#a> <#b> <#d>.").await;
    let mut heard = vec![next_text(&mut socket).await, next_text(&mut socket).await];
    heard.sort();
    assert_eq!(
        heard,
        [
            format!("pub {}", s.url("/public/")),
            format!("pub {public}")
        ]
    );
    assert!(
        quiet(&mut socket).await,
        "nothing about the private document"
    );

    // Made private, the folder's channels close; public again, a new `sub`
    // of the same address opens a channel again (not a bare ack).
    let owner_only = acl.split("\n<#all>").next().unwrap().to_owned();
    put(&s, "/public/.acl", &owner_only).await;
    put(&s, "/public/a.ttl", "<#a> <#b> <#e>.").await;
    assert!(quiet(&mut socket).await, "nothing once Read is gone");
    put(&s, "/public/.acl", &acl).await;
    socket
        .send(Message::text(format!("sub {public}")))
        .await
        .unwrap();
    assert_eq!(next_text(&mut socket).await, format!("ack {public}"));
    put(&s, "/public/a.ttl", "<#a> <#b> <#f>.").await;
    assert_eq!(next_text(&mut socket).await, format!("pub {public}"));
}

#[tokio::test]
async fn five_thousand_subscriptions_are_held_at_once_and_the_right_one_hears() {
    let s = Server::start_with(|o| o.notifications.max_per_agent = 10_000).await;
    let acl = format!(
        "@prefix acl: <http://www.w3.org/ns/auth/acl#>.\n@prefix foaf: <http://xmlns.com/foaf/0.1/>.\n\
         <#owner> a acl:Authorization; acl:agent <{}>; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read, acl:Write, acl:Control.\n\
         <#all> a acl:Authorization; acl:agentClass foaf:Agent; acl:accessTo <./>; acl:default <./>; acl:mode acl:Read.",
        s.webid
    );
    put(&s, "/.acl", &acl).await;
    let via = format!(
        "{}/.notifications/solid-0.1",
        s.base.replace("http://", "ws://")
    );
    // Five sockets of a thousand subscriptions each, to distinct topics.
    let mut sockets = Vec::new();
    for socket_no in 0..5 {
        let mut request = via.clone().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "solid-0.1".parse().unwrap());
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        for i in 0..1000 {
            let topic = s.url(&format!("/t/{socket_no}/{i}.ttl"));
            socket
                .send(Message::text(format!("sub {topic}")))
                .await
                .unwrap();
        }
        for _ in 0..1000 {
            assert!(next_text(&mut socket).await.starts_with("ack "));
        }
        sockets.push(socket);
    }
    assert_eq!(s.app.notifications.open_channels(), 5000);
    put(&s, "/t/3/777.ttl", "<#a> <#b> <#c>.").await;
    assert_eq!(
        next_text(&mut sockets[3]).await,
        format!("pub {}", s.url("/t/3/777.ttl"))
    );
    for (n, socket) in sockets.iter_mut().enumerate() {
        if n != 3 {
            assert!(quiet(socket).await);
        }
    }
    // Closing the sockets closes their channels.
    drop(sockets);
    let mut left = s.app.notifications.open_channels();
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = s.app.notifications.open_channels();
    }
    assert_eq!(left, 0);
}

/// A webhook receiver on loopback: `answer` is the status it gives; what it
/// was sent comes out of the channel as (headers, body).
async fn receiver(
    answer: u16,
) -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(axum::http::HeaderMap, String)>,
) {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send((headers, body));
                axum::http::StatusCode::from_u16(answer).unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (origin, rx)
}

/// A receiver that takes connections and never answers.
async fn dead_receiver() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (origin, task)
}

async fn subscribe_webhook(s: &Server, topic: &str, send_to: &str) -> reqwest::Response {
    s.signed(
        "POST",
        &format!("{}/.notifications/WebhookChannel2023/", s.base),
    )
    .header("content-type", "application/ld+json")
    .body(
        json!({
            "@context": ["https://www.w3.org/ns/solid/notification/v1"],
            "type": "http://www.w3.org/ns/solid/notifications#WebhookChannel2023",
            "topic": topic,
            "sendTo": send_to,
        })
        .to_string(),
    )
    .send()
    .await
    .unwrap()
}

fn signed_by(secret: &str, headers: &axum::http::HeaderMap, body: &str) -> bool {
    use base64::Engine;
    use hmac::{KeyInit, Mac};
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let header = |n: &str| headers[n].to_str().unwrap().to_owned();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{body}",
            header("webhook-id"),
            header("webhook-timestamp")
        )
        .as_bytes(),
    );
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    header("webhook-signature") == format!("v1,{expected}")
}

#[tokio::test]
async fn webhooks_are_signed_retried_given_up_and_a_dead_receiver_slows_no_one() {
    let (live, mut heard) = receiver(200).await;
    let (failing, mut failed) = receiver(500).await;
    let (dead, _dead) = dead_receiver().await;
    let allowed = vec![live.clone(), failing.clone(), dead.clone()];
    let s = Server::start_with(move |o| {
        o.allow_http_client_ids = true;
        o.notifications.webhook_origins = allowed;
        o.notifications.webhook_backoff = vec![Duration::from_millis(50); 2];
        o.notifications.webhook_give_up_after = 2;
    })
    .await;
    put(&s, "/notes/seed.ttl", "<#a> <#b> <#c>.").await;
    let topic = s.url("/notes/");

    // Only allowed origins, only public hosts (loopback here because the
    // server runs in development mode).
    let (status, detail) =
        problem(subscribe_webhook(&s, &topic, "http://127.0.0.1:9/hook").await).await;
    assert_eq!(status, 422);
    assert!(detail.contains("origins its operator allows"), "{detail}");
    let (status, _) = problem(subscribe_webhook(&s, &topic, "http://10.1.2.3/hook").await).await;
    assert_eq!(status, 422, "a private address is refused");

    let r = subscribe_webhook(&s, &topic, &format!("{live}/hook")).await;
    assert_eq!(r.status(), 200);
    let channel: Value = r.json().await.unwrap();
    assert_eq!(channel["type"], "WebhookChannel2023");
    assert_eq!(channel["sendTo"], format!("{live}/hook"));
    let secret = channel["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let giving_up: Value = subscribe_webhook(&s, &topic, &format!("{failing}/hook"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        subscribe_webhook(&s, &topic, &format!("{dead}/hook"))
            .await
            .status(),
        200
    );

    // Twenty writes while one receiver never answers: every write is
    // acknowledged, and the live receiver hears all twenty, signed.
    for i in 0..20 {
        put(&s, &format!("/notes/{i}.ttl"), "<#a> <#b> <#c>.").await;
    }
    for i in 0..20 {
        let (headers, body) = tokio::time::timeout(WAIT, heard.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(signed_by(&secret, &headers, &body), "signature of {body}");
        assert_eq!(headers["content-type"], "application/ld+json");
        let n: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            (n["type"].as_str(), n["object"].as_str()),
            (Some("Add"), Some(&*s.url(&format!("/notes/{i}.ttl"))))
        );
    }

    // The failing receiver: three tries of the first notification, three of
    // the second, then its channel closes and nothing more is sent.
    for _ in 0..6 {
        tokio::time::timeout(WAIT, failed.recv())
            .await
            .unwrap()
            .unwrap();
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(800), failed.recv())
            .await
            .is_err(),
        "given up after two notifications"
    );
    assert_eq!(
        status_of(s.signed("DELETE", giving_up["id"].as_str().unwrap())).await,
        404
    );
}

#[tokio::test]
async fn an_app_the_resident_revokes_hears_nothing_more() {
    let s = Server::start().await;
    let (b, pod) = resident(&s, "carla@example.org", "carla").await;
    let webid = format!("{}/{pod}/profile/card#me", s.base);
    let client_id = register_app(&s.client, &s.base, "Watt Watcher").await;
    let allowed = b
        .consent(&authorize_path(&client_id), &webid, "allow")
        .await;
    let (key, token) =
        redeem_code(&s.client, &s.base, &client_id, &allowed.location.unwrap()).await;
    let folder = format!("{}/{pod}/notes/", s.base);
    let put = |key: &selfdata_oidc::DpopKey, token: &str, name: &str| {
        as_agent(&s.client, key, token, "PUT", &format!("{folder}{name}"))
            .header("content-type", "text/turtle")
            .body("<#a> <#b> <#c>.")
    };
    assert_eq!(status_of(put(&key, &token, "a.ttl")).await, 201);

    // The app follows the resident's folder with its own token.
    let subscription = as_agent(
        &s.client,
        &key,
        &token,
        "POST",
        &format!("{}/.notifications/WebSocketChannel2023/", s.base),
    )
    .header("content-type", "application/ld+json")
    .body(json!({"type": "WebSocketChannel2023", "topic": folder}).to_string());
    let channel = json_of(subscription).await;
    let mut socket = connect(channel["receiveFrom"].as_str().unwrap()).await;
    assert_eq!(status_of(put(&key, &token, "b.ttl")).await, 201);
    assert_eq!(next_json(&mut socket).await["type"], "Add");

    // The resident revokes the app on the account page; a script of theirs
    // writes next: the app's channel ends without telling it anything.
    let account = b.get("/account").await.body;
    let revoked = b
        .post(
            "/account/grants/revoke",
            &[
                ("csrf", &field(&account, "csrf")),
                ("id", &field(&account, "id")),
            ],
        )
        .await;
    assert_eq!(revoked.status, 200);
    let (script_id, script_secret) = s
        .app
        .idp
        .create_credentials(None, &webid, "a script")
        .await
        .unwrap();
    let script_key = selfdata_oidc::DpopKey::generate();
    let script =
        client_credentials_token(&s.client, &s.base, &script_id, &script_secret, &script_key).await;
    assert_eq!(status_of(put(&script_key, &script, "c.ttl")).await, 201);
    assert!(
        ends(&mut socket).await,
        "the revoked app's stream ends, unheard"
    );
}

//! The legacy `solid-0.1` websocket, named by the `Updates-Via` header:
//! a client sends `sub <uri>`, the server answers `ack <uri>` and then
//! `pub <uri>` whenever the resource (or a member of the container)
//! changes. Older apps and the conformance suite's notification tests use
//! it.
//!
//! Unlike the servers it comes from, every `sub` is checked for Read with
//! the socket's credentials and origin (a browser's websocket carries no
//! token, so in practice: resources readable by anyone from that origin),
//! and refused with `err <uri> forbidden` otherwise; Read is checked again
//! before every `pub`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use selfdata_solid::error::ApiError;
use tokio::sync::mpsc;

use crate::Kind;
use crate::hub::{Channel, Hub, Who};
use crate::subscription::{readable_topic, who};
use crate::websocket::send;

/// The subprotocol a client asks for (and the server echoes).
pub const PROTOCOL: &str = "solid-0.1";
/// A `sub` line is an address; nothing longer is read.
const MAX_LINE: usize = 4 * 1024;

/// `GET /.notifications/solid-0.1` with `Upgrade: websocket`.
pub async fn receive(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (mut parts, _) = request.into_parts();
    let who = who(&hub, &parts).await?;
    let upgrade = <WebSocketUpgrade as axum::extract::FromRequestParts<()>>::from_request_parts(
        &mut parts,
        &(),
    )
    .await
    .map_err(|_: WebSocketUpgradeRejection| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "This is the solid-0.1 notifications websocket: connect to it with a websocket client.",
        )
    })?;
    Ok(upgrade
        .protocols([PROTOCOL])
        .max_message_size(MAX_LINE)
        .on_upgrade(move |socket| async move {
            let mut opened = HashMap::new();
            run(socket, &hub, &who, &mut opened).await;
            for id in opened.values() {
                hub.remove(id);
            }
        })
        .into_response())
}

/// Serves one socket; `opened` holds its channels, by topic.
async fn run(mut socket: WebSocket, hub: &Hub, who: &Who, opened: &mut HashMap<String, String>) {
    let (tx, mut queue) = mpsc::channel::<Arc<str>>(hub.settings.queue);
    loop {
        tokio::select! {
            message = queue.recv() => {
                // The hub holds a sender per subscription and this task one
                // more, so the queue never ends here.
                let Some(message) = message else { return };
                if !send(&mut socket, message).await {
                    return;
                }
            }
            incoming = socket.recv() => {
                let line = match incoming {
                    Some(Ok(Message::Text(text))) => text.to_string(),
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                    Some(Ok(_)) => continue,
                };
                let Some(topic) = line.trim().strip_prefix("sub ").map(str::trim) else {
                    continue; // anything else is ignored, as the protocol's servers do
                };
                // One channel per topic and socket: a second `sub` of the
                // same address is acknowledged again, and told once (unless
                // the hub closed the first, which it then opens again).
                let live = opened.get(topic).is_some_and(|id| hub.get(id).is_some());
                let answer = if live {
                    format!("ack {topic}")
                } else {
                    match subscribe(hub, who, topic, &tx).await {
                        Ok(id) => {
                            opened.insert(topic.to_owned(), id);
                            format!("ack {topic}")
                        }
                        Err(reason) => format!("err {topic} {reason}"),
                    }
                };
                if !send(&mut socket, answer.into()).await {
                    return;
                }
            }
        }
    }
}

async fn subscribe(
    hub: &Hub,
    who: &Who,
    topic: &str,
    tx: &mpsc::Sender<Arc<str>>,
) -> Result<String, &'static str> {
    let topic = match readable_topic(hub, who, topic).await {
        Ok(found) => found,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => return Err("unknown"),
        Err(_) => return Err("forbidden"),
    };
    let channel = Channel::new(Kind::Legacy, topic, who.clone(), hub.settings.max_lifetime);
    let channel = hub.open(channel).await.map_err(|_| "limit")?;
    hub.connect(&channel, tx.clone());
    Ok(channel.id.clone())
}

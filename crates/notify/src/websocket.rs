//! `WebSocketChannel2023`: the socket at a channel's `receiveFrom`.
//!
//! The channel's unguessable address is the capability to receive; its
//! Read on the topic was checked at subscription and is checked again
//! before every notification. The socket ends when the channel does
//! (unsubscribed, past `endAt`, Read revoked, receiver too slow), and the
//! channel ends with the socket.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{
    Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection,
};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use selfdata_solid::error::ApiError;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::Kind;
use crate::hub::{Channel, Hub};

/// A receiver that cannot take a message in this long is given up.
pub(crate) const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// `GET /.notifications/WebSocketChannel2023/{id}` with `Upgrade: websocket`.
pub async fn receive(
    State(hub): State<Arc<Hub>>,
    Path(id): Path<String>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|_| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "This is a channel's websocket: connect to it with a websocket client.",
        )
    })?;
    let taken_elsewhere = || {
        ApiError::conflict(
            "This channel already has its receiver connected; subscribe again for another one.",
        )
    };
    let kept = crate::shared::kept_here(&hub);
    let channel = match hub.get(&id).filter(|c| c.kind == Kind::WebSocket) {
        // Taken here; when kept in its pod, marked taken there first (no
        // other server may take it meanwhile).
        Some(channel) => {
            if kept && !crate::shared::mark_taken(&hub, &id).await {
                return Err(taken_elsewhere());
            }
            channel
        }
        // Subscribed through another server.
        None if kept => crate::shared::take(&hub, &id).await.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no such channel (or its receiver is connected already); it may have ended. Subscribe again.",
            )
        })?,
        None => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no such channel; it may have ended. Subscribe again.",
            ));
        }
    };
    let queue = hub.claim(&channel).ok_or_else(taken_elsewhere)?;
    Ok(upgrade
        .on_upgrade(move |socket| async move {
            run(socket, &hub, &channel, queue).await;
            hub.remove(&channel.id);
            if kept {
                crate::shared::forget(&hub, &channel.id, false).await;
            }
        })
        .into_response())
}

/// Sends the channel's notifications until it or the socket ends, no more
/// often than its `rate` (the latest one waits for its turn, the ones it
/// replaces are dropped).
async fn run(
    mut socket: WebSocket,
    hub: &Hub,
    channel: &Channel,
    mut queue: mpsc::Receiver<Arc<str>>,
) {
    if let Some(owed) = hub.owed(channel).await
        && hub.may_read(channel).await
        && !send(&mut socket, channel.render(&owed)).await
    {
        return;
    }
    let mut pending: Option<Arc<str>> = None;
    let mut next = Instant::now();
    loop {
        tokio::select! {
            message = queue.recv() => {
                let Some(message) = message else {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                };
                if channel.rate.is_some() && Instant::now() < next {
                    pending = Some(message);
                } else {
                    if !send(&mut socket, message).await {
                        return;
                    }
                    next = Instant::now() + channel.rate.unwrap_or_default();
                }
            }
            () = tokio::time::sleep_until(next), if pending.is_some() => {
                if let Some(message) = pending.take()
                    && !send(&mut socket, message).await
                {
                    return;
                }
                next = Instant::now() + channel.rate.unwrap_or_default();
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {} // pings are answered by the library; the rest is ignored
            }
        }
    }
}

pub(crate) async fn send(socket: &mut WebSocket, message: Arc<str>) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text((&*message).into()))).await,
        Ok(Ok(()))
    )
}

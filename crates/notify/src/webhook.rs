//! `WebhookChannel2023`: each notification POSTed to the `sendTo` the
//! subscription named.
//!
//! The receiver is fenced like every outgoing request to an address an
//! outsider names ([`selfdata_connect::fence`]: public addresses only, no
//! redirect, no proxy), and must be on the subscribing app's own origin
//! (the origin of its Client ID) or on an origin the operator allows.
//! Each delivery is signed the Standard Webhooks way (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<HMAC-SHA256>` with the
//! channel's secret, given once in the subscription's answer), tried again
//! after each wait of [`crate::Settings::webhook_backoff`], then given up;
//! after [`crate::Settings::webhook_give_up_after`] notifications given up
//! in a row the channel closes. Deliveries run in the channel's own task,
//! fed through its short queue: a dead receiver never slows a write or
//! another channel.

use std::sync::Arc;

use axum::http::StatusCode;
use base64::Engine;
use hmac::{KeyInit, Mac};
use selfdata_connect::fence;
use selfdata_solid::error::ApiError;
use tokio::sync::mpsc;

use crate::hub::{Channel, Hub, Who};

/// The longest one try of a delivery may take.
pub const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where a webhook channel sends, and the secret its deliveries are signed with.
pub struct Receiver {
    pub url: reqwest::Url,
    secret: [u8; 32],
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("url", &self.url.as_str())
            .finish()
    }
}

impl Receiver {
    /// The secret as the receiver is given it: `whsec_` and base64.
    pub fn secret_text(&self) -> String {
        format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(self.secret)
        )
    }

    /// `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.secret)
            .expect("HMAC takes a key of any length");
        mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
        format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        )
    }
}

/// Checks a subscription's `sendTo`.
pub(crate) fn check_receiver(hub: &Hub, who: &Who, to: &str) -> Result<Receiver, ApiError> {
    let url = fence::check_url(to, hub.settings.allow_http_webhooks).map_err(|_| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "sendTo must be the https address of a receiver on a public host.",
        )
    })?;
    let origin = url.origin().ascii_serialization();
    let app = who
        .credentials
        .as_ref()
        .and_then(|c| c.client_id.as_deref())
        .and_then(|id| reqwest::Url::parse(id).ok())
        .map(|id| id.origin().ascii_serialization());
    let allowed = app.as_deref() == Some(&*origin)
        || hub
            .settings
            .webhook_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin);
    if !allowed {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "This server sends webhooks only to the subscribing app's own origin or to origins its operator allows; {origin} is neither."
            ),
        ));
    }
    Ok(Receiver {
        url,
        secret: rand::random(),
    })
}

/// Starts the channel's deliveries. The task holds the hub weakly (the
/// hub holds the task's queue): a dropped server ends it.
pub(crate) fn spawn(hub: Arc<Hub>, channel: Arc<Channel>) {
    // A channel just opened has no receiver yet.
    let Some(queue) = hub.claim(&channel) else {
        return;
    };
    let hub = Arc::downgrade(&hub);
    tokio::spawn(async move { deliver_all(hub, &channel, queue).await });
}

async fn deliver_all(
    hub: std::sync::Weak<Hub>,
    channel: &Channel,
    mut queue: mpsc::Receiver<Arc<str>>,
) {
    let Some(receiver) = &channel.send_to else {
        return;
    };
    let mut given_up = 0;
    while let Some(body) = queue.recv().await {
        let Some(hub) = hub.upgrade() else { return };
        if deliver(&hub, receiver, &body).await {
            given_up = 0;
            continue;
        }
        given_up += 1;
        tracing::info!(channel = %channel.id, "a webhook notification was given up");
        if given_up >= hub.settings.webhook_give_up_after {
            tracing::info!(channel = %channel.id, "a webhook receiver kept failing; its channel is closed");
            hub.remove(&channel.id);
            return;
        }
    }
}

/// One notification, tried until it is taken or the waits run out.
async fn deliver(hub: &Hub, receiver: &Receiver, body: &str) -> bool {
    let id = format!("msg_{}", hex::encode(rand::random::<[u8; 12]>()));
    let mut waits = hub.settings.webhook_backoff.iter();
    loop {
        let timestamp = crate::hub::now_ms() / 1000;
        let sent = hub
            .webhooks
            .post(receiver.url.clone())
            .header("content-type", "application/ld+json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                receiver.signature(&id, timestamp, body),
            )
            .body(body.to_owned())
            .send()
            .await;
        if sent.is_ok_and(|r| r.status().is_success()) {
            return true;
        }
        match waits.next() {
            Some(wait) => tokio::time::sleep(*wait).await,
            None => return false,
        }
    }
}

//! The subscription server of `WebSocketChannel2023` (Solid Notifications
//! Protocol §6): a client POSTs a subscription naming a topic it may Read
//! and gets a channel description whose `receiveFrom` is its socket; it
//! DELETEs the channel to end it.
//!
//! The request is JSON-LD compacted with the protocol's context (what every
//! client library sends); it is read as JSON with those terms, not expanded
//! (expansion would need the remote context), and anything else is refused
//! with a sentence.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use selfdata_solid::error::ApiError;
use selfdata_solid::uri::{Target, parse_target};
use selfdata_wac::ModeSet;
use serde::Deserialize;

use crate::hub::{Channel, Hub, Refusal, Topic, Who, now_ms};
use crate::{CONTEXT, CONTEXT_OLD, Kind, NOTIFY, ROOT};

/// A subscription body is a few hundred bytes; this bounds what one costs.
pub const MAX_SUBSCRIPTION_BYTES: usize = 16 * 1024;
/// The longest `rate` accepted.
const MAX_RATE: Duration = Duration::from_secs(24 * 3600);
/// The features every subscription service supports.
pub const FEATURES: [&str; 5] = ["accept", "endAt", "rate", "startAt", "state"];

/// What a client asks for.
#[derive(Debug, Deserialize)]
struct Subscription {
    #[serde(rename = "@context")]
    context: Option<serde_json::Value>,
    #[serde(rename = "type")]
    kind: Option<String>,
    topic: Option<serde_json::Value>,
    state: Option<String>,
    #[serde(rename = "startAt")]
    start_at: Option<String>,
    #[serde(rename = "endAt")]
    end_at: Option<String>,
    rate: Option<String>,
    accept: Option<String>,
    /// Where a webhook is sent.
    #[serde(rename = "sendTo")]
    send_to: Option<serde_json::Value>,
}

/// The credentials and origin of a request, checked before its body is read.
pub(crate) async fn who(hub: &Hub, parts: &Parts) -> Result<Who, ApiError> {
    let url = format!("{}{}", hub.state.config().base_url, parts.uri.path());
    let credentials = hub
        .state
        .authenticator()
        .authenticate(&parts.method, &url, &parts.headers)
        .await?;
    let mut headers = HeaderMap::new();
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        headers.insert(header::ORIGIN, origin.clone());
    }
    let agent = match &credentials {
        Some(c) => c.webid.clone(),
        None => {
            let address = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip().to_string())
                .unwrap_or_default();
            format!("anonymous {address}")
        }
    };
    Ok(Who {
        credentials,
        headers,
        agent,
    })
}

/// A topic's address as a resource of this server, checked for Read.
pub(crate) async fn readable_topic(hub: &Hub, who: &Who, topic: &str) -> Result<Topic, ApiError> {
    let base = &hub.state.config().base_url;
    let unknown = || {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "The topic must be a resource of this server, an address starting with {base}/."
            ),
        )
    };
    let rest = topic.strip_prefix(base.as_str()).ok_or_else(unknown)?;
    if rest.contains(['?', '#']) {
        return Err(unknown());
    }
    let (pod, path) = match parse_target(rest).map_err(|_| unknown())? {
        Target::Resource(pod, path) => (pod, path),
        _ => return Err(unknown()),
    };
    if path.auxiliary_kind().is_some() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Notifications are about resources and containers, not about their ACL or description documents.",
        ));
    }
    selfdata_solid::auth::Access::new(&hub.state, &pod, who.credentials.clone(), &who.headers)
        .require(&path, ModeSet::READ)
        .await?;
    let uri = selfdata_solid::uri::resource_uri(base, &pod, &path);
    Ok(Topic { pod, path, uri })
}

/// The answer to a refused channel.
pub(crate) fn refused(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::AgentLimit(n) => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "You already hold {n} notification channels, the most one agent may hold; close some (DELETE a channel) before opening more."
            ),
        ),
        Refusal::ServerLimit => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server holds as many notification channels as it can; please try again later.",
        ),
    }
}

/// `POST /.notifications/WebSocketChannel2023/`.
pub async fn subscribe_websocket(
    State(hub): State<Arc<Hub>>,
    request: Request,
) -> Result<Response, ApiError> {
    subscribe(hub, Kind::WebSocket, request).await
}

/// `POST /.notifications/WebhookChannel2023/`.
pub async fn subscribe_webhook(
    State(hub): State<Arc<Hub>>,
    request: Request,
) -> Result<Response, ApiError> {
    subscribe(hub, Kind::Webhook, request).await
}

async fn subscribe(hub: Arc<Hub>, kind: Kind, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let who = who(&hub, &parts).await?;
    let media = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !is_json(media) {
        return Err(ApiError::unsupported_media_type(
            "Send the subscription as JSON-LD (Content-Type: application/ld+json), with the context https://www.w3.org/ns/solid/notification/v1.",
        ));
    }
    let bytes = axum::body::to_bytes(body, MAX_SUBSCRIPTION_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("A subscription is at most {MAX_SUBSCRIPTION_BYTES} bytes."),
            )
        })?;
    let asked: Subscription = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(format!(
            "The subscription is not a JSON object of the expected terms: {e}."
        ))
    })?;
    let channel = channel_for(&hub, kind, who, asked).await?;
    let channel = hub.open(channel).await.map_err(refused)?;
    if kind == Kind::WebSocket
        && crate::shared::kept_here(&hub)
        && let Err(e) = crate::shared::keep(&hub, &channel).await
    {
        hub.remove(&channel.id);
        return Err(ApiError::from(e));
    }
    if kind == Kind::Webhook {
        crate::webhook::spawn(hub.clone(), channel.clone());
    }
    Ok(json_ld(StatusCode::OK, description(&hub, &channel)))
}

/// Checks a subscription and makes its channel (not yet open).
async fn channel_for(
    hub: &Hub,
    kind: Kind,
    who: Who,
    asked: Subscription,
) -> Result<Channel, ApiError> {
    let unprocessable = |s: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, s);
    if let Some(context) = &asked.context {
        let names = |v: &serde_json::Value| v == CONTEXT || v == CONTEXT_OLD;
        let known = match context {
            serde_json::Value::Array(items) => items.iter().any(names),
            other => names(other),
        };
        if !known {
            return Err(unprocessable(format!(
                "The subscription's @context must include {CONTEXT}, whose terms it uses."
            )));
        }
    }
    let ws = kind.name();
    match asked.kind.as_deref() {
        Some(t) if t == ws || t == format!("notify:{ws}") || t == format!("{NOTIFY}{ws}") => {}
        Some(other) => {
            return Err(unprocessable(format!(
                "This subscription service opens {ws} channels, not {other}."
            )));
        }
        None => {
            return Err(unprocessable(format!(
                "Say the channel type: \"type\": \"{ws}\"."
            )));
        }
    }
    let topic = match &asked.topic {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Object(o)) => o
            .get("id")
            .or_else(|| o.get("@id"))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .ok_or_else(|| unprocessable("The topic must be the address of a resource.".into()))?,
        _ => {
            return Err(unprocessable(
                "Say which resource to follow: \"topic\": its address.".into(),
            ));
        }
    };
    if let Some(accept) = asked.accept.as_deref().filter(|a| !is_json(a)) {
        return Err(unprocessable(format!(
            "Notifications on this channel are sent as application/ld+json, not {accept}."
        )));
    }
    let now = now_ms();
    let timestamp = |field: &str, value: &Option<String>| -> Result<Option<i64>, ApiError> {
        value
            .as_deref()
            .map(|v| {
                v.parse::<jiff::Timestamp>()
                    .map(|t| t.as_millisecond())
                    .map_err(|_| {
                        ApiError::new(
                            StatusCode::UNPROCESSABLE_ENTITY,
                            format!("{field} must be a date and time with its zone, such as 2026-12-06T10:00:00Z."),
                        )
                    })
            })
            .transpose()
    };
    let start_at = timestamp("startAt", &asked.start_at)?;
    let latest = now.saturating_add(hub.settings.max_lifetime.as_millis() as i64);
    let end_at = match timestamp("endAt", &asked.end_at)? {
        Some(end) if end <= now => {
            return Err(unprocessable("endAt is already past.".into()));
        }
        Some(end) => end.min(latest),
        None => latest,
    };
    let rate = asked
        .rate
        .as_deref()
        .map(|r| {
            r.parse::<jiff::SignedDuration>()
                .ok()
                .and_then(|d| Duration::try_from(d).ok())
                .filter(|d| !d.is_zero() && *d <= MAX_RATE)
                .ok_or_else(|| {
                    unprocessable(
                        "rate must be a duration of at most a day, such as PT10S for ten seconds."
                            .into(),
                    )
                })
        })
        .transpose()?;
    let send_to = match (kind, &asked.send_to) {
        (Kind::Webhook, Some(serde_json::Value::String(to))) => {
            Some(crate::webhook::check_receiver(hub, &who, to)?)
        }
        (Kind::Webhook, _) => {
            return Err(unprocessable(
                "Say where to send the notifications: \"sendTo\": your receiver's https address."
                    .into(),
            ));
        }
        _ => None,
    };
    let topic = readable_topic(hub, &who, &topic).await?;
    let mut channel = Channel::new(kind, topic, who, hub.settings.max_lifetime);
    channel.start_at_ms = start_at;
    channel.end_at_ms = end_at;
    channel.rate = rate;
    channel.state = asked.state;
    channel.send_to = send_to;
    if kind == Kind::WebSocket && crate::shared::kept_here(hub) {
        // Any server may take its receiver.
        channel.id = crate::shared::id_for(&channel.pod);
    }
    Ok(channel)
}

/// JSON-LD, or plain JSON (what a client that does not know the other
/// sends), whatever the parameters.
fn is_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    selfdata_rdf::RdfFormat::from_media_type(essence) == Some(selfdata_rdf::RdfFormat::JsonLd)
        || essence.eq_ignore_ascii_case("application/json")
}

/// The channel description (Solid Notifications Protocol §7).
fn description(hub: &Hub, channel: &Channel) -> serde_json::Value {
    let base = &hub.state.config().base_url;
    let path = format!("/{ROOT}/{}/{}", channel.kind.name(), channel.id);
    let mut json = serde_json::json!({
        "@context": [CONTEXT],
        "id": format!("{base}{path}"),
        "type": channel.kind.name(),
        "topic": channel.topic_uri,
        "endAt": crate::activity::published(channel.end_at_ms),
        "accept": "application/ld+json",
    });
    match &channel.send_to {
        Some(to) => {
            json["sendTo"] = to.url.to_string().into();
            // Shown once, here: what the receiver checks each delivery's
            // `webhook-signature` with (the Standard Webhooks scheme).
            json["secret"] = to.secret_text().into();
        }
        None => json["receiveFrom"] = format!("{}{path}", crate::ws_base(base)).into(),
    }
    if let Some(start) = channel.start_at_ms {
        json["startAt"] = crate::activity::published(start).into();
    }
    if let Some(rate) = channel.rate {
        json["rate"] = format!("PT{}S", rate.as_secs_f64()).into();
    }
    if let Some(state) = &channel.state {
        json["state"] = state.clone().into();
    }
    json
}

/// `GET /.notifications/WebSocketChannel2023/`: what the service offers.
pub async fn describe_websocket(State(hub): State<Arc<Hub>>) -> Response {
    describe_service(&hub, Kind::WebSocket)
}

/// `GET /.notifications/WebhookChannel2023/`.
pub async fn describe_webhook(State(hub): State<Arc<Hub>>) -> Response {
    describe_service(&hub, Kind::Webhook)
}

fn describe_service(hub: &Hub, kind: Kind) -> Response {
    let base = &hub.state.config().base_url;
    json_ld(
        StatusCode::OK,
        serde_json::json!({
            "@context": [CONTEXT],
            "id": format!("{base}/{ROOT}/{}/", kind.name()),
            "channelType": kind.name(),
            "feature": FEATURES,
        }),
    )
}

/// `DELETE /.notifications/{WebSocketChannel2023,WebhookChannel2023}/{id}`: by whoever opened
/// it (for an anonymous channel, whoever holds its address).
pub async fn unsubscribe(
    State(hub): State<Arc<Hub>>,
    axum::extract::Path(id): axum::extract::Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    let who = who(&hub, &parts).await?;
    let mine = |owner: Option<&str>| match owner {
        Some(owner) => who.credentials.as_ref().is_some_and(|w| w.webid == owner),
        None => true,
    };
    if hub.get(&id).is_none()
        && let Some(owner) = crate::shared::owner(&hub, &id).await
    {
        // Kept in its pod and served by another server, which closes it.
        if !mine(owner.as_deref()) {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no such channel of yours; it may have ended already.",
            ));
        }
        crate::shared::forget(&hub, &id, false).await;
        return Ok(StatusCode::RESET_CONTENT.into_response());
    }
    let channel = hub
        .get(&id)
        .filter(|c| matches!(c.kind, Kind::WebSocket | Kind::Webhook))
        .filter(|c| match &c.who.credentials {
            Some(owner) => who
                .credentials
                .as_ref()
                .is_some_and(|w| w.webid == owner.webid),
            None => true,
        })
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "There is no such channel of yours; it may have ended already.",
            )
        })?;
    hub.remove(&channel.id);
    crate::shared::forget(&hub, &channel.id, false).await;
    Ok(StatusCode::RESET_CONTENT.into_response())
}

fn json_ld(status: StatusCode, json: serde_json::Value) -> Response {
    let mut response = (status, json.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/ld+json"),
    );
    response
}

//! `StreamingHTTPChannel2023`: a GET on the address a resource links with
//! `rel="http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023"`
//! answers a response that never ends, one Turtle notification after
//! another (as Community Solid Server sends them). There is no
//! subscription step: the GET carries the credentials, Read on the topic
//! is checked before it is answered, and again before each notification.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use selfdata_solid::error::ApiError;

use crate::hub::{Channel, Hub};
use crate::subscription::{readable_topic, refused, who};
use crate::{Kind, ROOT};

/// `GET /.notifications/StreamingHTTPChannel2023/{pod}/{path…}`.
pub async fn receive(State(hub): State<Arc<Hub>>, request: Request) -> Result<Response, ApiError> {
    let (parts, _) = request.into_parts();
    let who = who(&hub, &parts).await?;
    let prefix = format!("/{ROOT}/{}", Kind::Streaming.name());
    let rest = parts.uri.path().strip_prefix(&prefix).unwrap_or_default();
    let topic = format!("{}{rest}", hub.state.config().base_url);
    let topic = readable_topic(&hub, &who, &topic).await?;
    let channel = Channel::new(Kind::Streaming, topic, who, hub.settings.max_lifetime);
    let channel = hub.open(channel).await.map_err(refused)?;
    let queue = hub.claim(&channel).ok_or_else(ApiError::internal)?;
    // Ends when the channel does (its sender dropped); dropped, when the
    // client goes away, which the hub notices at the next send or sweep.
    let stream = futures_util::stream::unfold(queue, |mut queue| async move {
        let message = queue.recv().await?;
        Some((
            Ok::<_, Infallible>(Bytes::copy_from_slice(message.as_bytes())),
            queue,
        ))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/turtle"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

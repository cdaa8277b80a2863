//! Websocket channels any server of the installation can serve, when
//! servers share the store ([`selfdata_store::Backend::is_shared`]): a
//! subscription taken by one server is kept in the topic's pod (its derived
//! store, sealed there as every derived value is), the channel's id names
//! the pod (`<pod>.<random>`), and the server that receives the socket
//! (whichever the load balancer picks) opens the channel from it. One
//! receiver per channel on any server: the first socket marks the kept
//! channel taken (compare-and-set), a second is refused. An unsubscription
//! on any server removes it; the server holding the socket closes it at
//! its next sweep. Commits made through other servers reach the channel
//! through the store's change feed.

use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, header};
use bytes::Bytes;
use selfdata_solid::Credentials;
use selfdata_store::{PodName, ResourcePath, StoreError, Write};

use crate::Kind;
use crate::hub::{Channel, Hub, Who, now_ms};

/// Where a pod keeps its websocket channels.
const PREFIX: &str = "notify/ws/";

/// A websocket channel as kept in its pod.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Kept {
    topic: String,
    topic_uri: String,
    webid: Option<String>,
    client_id: Option<String>,
    session: Option<String>,
    origin: Option<String>,
    agent: String,
    start_at_ms: Option<i64>,
    end_at_ms: i64,
    rate_ms: Option<u64>,
    state: Option<String>,
    /// When it must be connected by.
    connect_by_ms: i64,
    /// Whether a receiver took it (on some server).
    taken: bool,
}

impl Kept {
    fn bytes(&self) -> Bytes {
        Bytes::from(serde_json::to_vec(self).unwrap_or_default())
    }
}

/// The pod and the key a channel id names, if it is one of the kept kind.
fn parse_id(id: &str) -> Option<(PodName, String)> {
    let (pod, random) = id.split_once('.')?;
    let valid = random.len() == 32 && random.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then_some(())?;
    Some((PodName::parse(pod).ok()?, format!("{PREFIX}{random}")))
}

/// A channel id naming its pod, for a channel kept in it.
pub(crate) fn id_for(pod: &PodName) -> String {
    format!("{pod}.{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// Whether channels are kept in pods here (servers share the store).
pub(crate) fn kept_here(hub: &Hub) -> bool {
    hub.state.store().is_shared()
}

/// Keeps a websocket channel just opened, so another server may take its
/// receiver (and removes the pod's channels that ended).
pub(crate) async fn keep(hub: &Hub, channel: &Channel) -> Result<(), StoreError> {
    let Some((pod, key)) = parse_id(&channel.id) else {
        return Ok(());
    };
    let store = hub.state.store();
    let now = now_ms();
    let mut writes = Vec::new();
    for (old, value) in store.index_scan(&pod, PREFIX).await? {
        let ended = serde_json::from_slice::<Kept>(&value).map_or(true, |k| {
            k.end_at_ms <= now || (!k.taken && k.connect_by_ms <= now)
        });
        if ended {
            writes.push(Write::Index {
                key: old,
                value: None,
            });
        }
    }
    let credentials = channel.who.credentials.as_ref();
    let kept = Kept {
        topic: channel.topic.as_str().to_owned(),
        topic_uri: channel.topic_uri.clone(),
        webid: credentials.map(|c| c.webid.clone()),
        client_id: credentials.and_then(|c| c.client_id.clone()),
        session: credentials.and_then(|c| c.session.clone()),
        origin: channel
            .who
            .headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(str::to_owned),
        agent: channel.who.agent.clone(),
        start_at_ms: channel.start_at_ms,
        end_at_ms: channel.end_at_ms,
        rate_ms: channel.rate.map(|r| r.as_millis() as u64),
        state: channel.state.clone(),
        connect_by_ms: now + hub.settings.connect_within.as_millis() as i64,
        taken: false,
    };
    writes.push(Write::Index {
        key,
        value: Some(kept.bytes()),
    });
    store.write(&pod, Write::Batch(writes)).await?;
    Ok(())
}

/// Takes a kept channel's receiver for this server: the channel opened
/// here from what its pod keeps, marked taken. `None` when there is no
/// such channel, or another receiver took it.
pub(crate) async fn take(hub: &Hub, id: &str) -> Option<std::sync::Arc<Channel>> {
    let (pod, kept) = mark(hub, id).await?;
    let mut headers = HeaderMap::new();
    if let Some(origin) = kept
        .origin
        .as_deref()
        .and_then(|o| HeaderValue::from_str(o).ok())
    {
        headers.insert(header::ORIGIN, origin);
    }
    let who = Who {
        credentials: kept.webid.map(|webid| Credentials {
            webid,
            client_id: kept.client_id,
            session: kept.session,
        }),
        headers,
        agent: kept.agent,
    };
    let topic = crate::hub::Topic {
        pod,
        path: ResourcePath::parse(&kept.topic).ok()?,
        uri: kept.topic_uri,
    };
    let mut channel = Channel::new(Kind::WebSocket, topic, who, Duration::ZERO);
    channel.id = id.to_owned();
    channel.start_at_ms = kept.start_at_ms;
    channel.end_at_ms = kept.end_at_ms;
    channel.rate = kept.rate_ms.map(Duration::from_millis);
    channel.state = kept.state;
    hub.open(channel).await.ok()
}

/// Marks a kept channel taken by a receiver; what it keeps, unless there
/// is no such channel (ended) or a receiver took it already.
async fn mark(hub: &Hub, id: &str) -> Option<(PodName, Kept)> {
    let (pod, key) = parse_id(id)?;
    let store = hub.state.store();
    let value = store.index_get(&pod, &key).await.ok()??;
    let kept: Kept = serde_json::from_slice(&value).ok()?;
    let now = now_ms();
    if kept.taken || kept.end_at_ms <= now || kept.connect_by_ms <= now {
        return None;
    }
    let taken = Kept {
        taken: true,
        ..kept.clone()
    };
    let mark = Write::IndexIf {
        key,
        expected: Some(value),
        value: Some(taken.bytes()),
    };
    store.write(&pod, mark).await.ok()?;
    Some((pod, kept))
}

/// [`mark`] for a channel this server holds already: whether it may take
/// its receiver (a channel not kept in a pod always may).
pub(crate) async fn mark_taken(hub: &Hub, id: &str) -> bool {
    if parse_id(id).is_none() {
        return true;
    }
    mark(hub, id).await.is_some()
}

/// The kept channel of `id`, for an unsubscription on any server: its
/// owner's WebID (`None`: anonymous), if it is kept.
pub(crate) async fn owner(hub: &Hub, id: &str) -> Option<Option<String>> {
    let (pod, key) = parse_id(id)?;
    let value = hub.state.store().index_get(&pod, &key).await.ok()??;
    let kept: Kept = serde_json::from_slice(&value).ok()?;
    Some(kept.webid)
}

/// Forgets a kept channel (unsubscribed, or its receiver gone); with
/// `unless_taken`, only if no receiver took it (a server dropping a channel
/// never connected to it, which another server may be serving).
pub(crate) async fn forget(hub: &Hub, id: &str, unless_taken: bool) {
    let Some((pod, key)) = parse_id(id) else {
        return;
    };
    let store = hub.state.store();
    let write = if unless_taken {
        let Ok(Some(value)) = store.index_get(&pod, &key).await else {
            return;
        };
        if serde_json::from_slice::<Kept>(&value).is_ok_and(|k| k.taken) {
            return;
        }
        Write::IndexIf {
            key,
            expected: Some(value),
            value: None,
        }
    } else {
        Write::Index { key, value: None }
    };
    let _ = store.write(&pod, write).await;
}

/// Of the kept channels this server holds the socket of, those no longer
/// kept (unsubscribed through another server).
pub(crate) async fn unsubscribed(hub: &Hub, held: &[(PodName, String)]) -> Vec<String> {
    let mut gone = Vec::new();
    let mut pods: Vec<&PodName> = held.iter().map(|(p, _)| p).collect();
    pods.sort();
    pods.dedup();
    for pod in pods {
        let Ok(kept) = hub.state.store().index_scan(pod, PREFIX).await else {
            continue;
        };
        for (p, id) in held.iter().filter(|(p, _)| p == pod) {
            let Some((_, key)) = parse_id(id) else {
                continue;
            };
            if p == pod && !kept.iter().any(|(k, _)| *k == key) {
                gone.push(id.clone());
            }
        }
    }
    gone
}

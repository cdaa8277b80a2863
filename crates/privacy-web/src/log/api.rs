//! The owner's API over their pod's access log: the signed checkpoint, the
//! entries, and inclusion and consistency proofs (RFC 9162), each route
//! authorised by `PodAccess` for the owner only.

use super::*;

/// The access log service installed in the application, if any.
pub(crate) fn service(services: &PrivacyApp) -> Result<&AccessLog, ApiError> {
    services
        .ctx
        .solid
        .access_log_hook()
        .and_then(|h| h.as_any().downcast_ref::<AccessLog>())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "This server keeps no access log."))
}

/// An inclusion proof, as served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    /// The entry's exact bytes (the leaf), base64.
    pub entry: String,
    pub leaf_hash: String,
    pub proof: Vec<String>,
}

impl InclusionProof {
    /// The entry's exact bytes.
    pub fn entry_bytes(&self) -> Result<Vec<u8>, String> {
        B64.decode(&self.entry)
            .map_err(|_| "The proof's entry is not base64.".to_owned())
    }

    /// The proof's hashes.
    pub fn hashes(&self) -> Result<Vec<Hash>, String> {
        decode_hashes(&self.proof)
    }
}

/// A consistency proof, as served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsistencyProof {
    pub from: u64,
    pub to: u64,
    pub proof: Vec<String>,
}

/// A checkpoint, as served.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedCheckpoint {
    /// The C2SP signed note.
    pub checkpoint: String,
    /// The C2SP verifier key of the host's log key.
    pub verifier_key: String,
    pub size: u64,
    pub root: String,
}

/// The inclusion proof of entry `index` in the tree of `size` entries.
pub async fn inclusion(
    store: &dyn Backend,
    pod: &PodName,
    index: u64,
    size: u64,
) -> Result<InclusionProof, LogError> {
    let head = head_size(store, pod).await?;
    if size > head || index >= size {
        return Err(LogError::Range(format!(
            "Entry {index} is not in a log of {size} entries (the log holds {head})."
        )));
    }
    let entry = store
        .index_get(pod, &entry_key(index))
        .await?
        .ok_or_else(|| LogError::Damaged(format!("entry {index} is missing")))?;
    let nodes = fetch_nodes(store, pod, &selfdata_translog::inclusion_nodes(index, size)).await?;
    let proof = selfdata_translog::inclusion_proof(&nodes, index, size)
        .map_err(|e| LogError::Damaged(e.to_string()))?;
    Ok(InclusionProof {
        index,
        size,
        leaf_hash: B64.encode(selfdata_translog::leaf_hash(&entry)),
        entry: B64.encode(&entry),
        proof: proof.iter().map(|h| B64.encode(h)).collect(),
    })
}

/// The consistency proof between the trees of `from` and `to` entries.
pub async fn consistency(
    store: &dyn Backend,
    pod: &PodName,
    from: u64,
    to: u64,
) -> Result<ConsistencyProof, LogError> {
    let head = head_size(store, pod).await?;
    if from > to || to > head {
        return Err(LogError::Range(format!(
            "No consistency proof from {from} to {to} entries (the log holds {head})."
        )));
    }
    let nodes = fetch_nodes(store, pod, &selfdata_translog::consistency_nodes(from, to)).await?;
    let proof = selfdata_translog::consistency_proof(&nodes, from, to)
        .map_err(|e| LogError::Damaged(e.to_string()))?;
    Ok(ConsistencyProof {
        from,
        to,
        proof: proof.iter().map(|h| B64.encode(h)).collect(),
    })
}

pub const CHECKPOINT_PATH: &str = "/{pod}/selfdata/log/checkpoint";
pub const ENTRIES_PATH: &str = "/{pod}/selfdata/log/entries";
pub const INCLUSION_PATH: &str = "/{pod}/selfdata/log/proof/inclusion";
pub const CONSISTENCY_PATH: &str = "/{pod}/selfdata/log/proof/consistency";

/// This module's routes.
pub fn routes() -> Router<Arc<PrivacyApp>> {
    Router::new()
        .route(CHECKPOINT_PATH, get(checkpoint_route))
        .route(ENTRIES_PATH, get(entries_route))
        .route(INCLUSION_PATH, get(inclusion_route))
        .route(CONSISTENCY_PATH, get(consistency_route))
}

/// What the access log's API answers, for `/openapi.json`.
pub fn operations() -> Vec<selfdata_service::api::Operation> {
    use selfdata_service::api::schema::*;
    use selfdata_service::api::{Operation, Param};
    let access = "Control on the pod's root: only the pod's owner reads its access log";
    let b64 = || json!({"type": "string", "contentEncoding": "base64"});
    let count = || json!({"type": "integer", "minimum": 0});
    vec![
        Operation {
            path: CHECKPOINT_PATH,
            id: "logCheckpoint",
            summary: "The access log's signed checkpoint: its size and Merkle root, signed by the host.",
            description: "A C2SP signed note (checkpoint) with the host's verifier key, so that a copy of the log can be checked offline (`selfdata log verify`).",
            access,
            params: Vec::new(),
            answer: object(
                &["checkpoint", "verifier_key", "size", "root"],
                json!({"checkpoint": string(), "verifier_key": string(), "size": count(), "root": b64()}),
            ),
            ..Default::default()
        },
        Operation {
            path: ENTRIES_PATH,
            id: "logEntries",
            summary: "A page of the access log: who asked for what, when, through which app, and whether it was allowed.",
            description: "Entries `from` (0 by default) on, at most `limit` (100 by default, 1,000 at most). A refusal entry may stand for several (`count`).",
            access,
            params: vec![
                Param::new("from", false, "The first entry's index.")
                    .schema(count())
                    .example(0),
                Param::new("limit", false, "How many entries.")
                    .schema(count())
                    .example(10),
            ],
            answer: object(
                &["size", "entries"],
                json!({
                    "size": count(),
                    "entries": array(object(
                        &["index", "time_ms", "webid", "client_id", "resource", "modes", "allowed"],
                        json!({
                            "index": count(), "time_ms": integer(),
                            "webid": {"type": ["string", "null"]}, "client_id": {"type": ["string", "null"]},
                            "resource": string(), "modes": array(one_of(&["read", "write", "append", "control"])),
                            "allowed": boolean(), "count": count(),
                        }),
                    )),
                }),
            ),
            ..Default::default()
        },
        Operation {
            path: INCLUSION_PATH,
            id: "logInclusionProof",
            summary: "The proof that entry `index` is in the log of `size` entries (RFC 6962).",
            description: "`size` is the log's current size by default.",
            access,
            params: vec![
                Param::new("index", true, "The entry's index.")
                    .schema(count())
                    .example(0),
                Param::new("size", false, "The size of the tree the proof is for.").schema(count()),
            ],
            answer: object(
                &["index", "size", "entry", "leaf_hash", "proof"],
                json!({"index": count(), "size": count(), "entry": b64(), "leaf_hash": b64(), "proof": array(b64())}),
            ),
            ..Default::default()
        },
        Operation {
            path: CONSISTENCY_PATH,
            id: "logConsistencyProof",
            summary: "The proof that the log of `to` entries extends the log of `from` entries, unchanged (RFC 6962).",
            description: "`to` is the log's current size by default.",
            access,
            params: vec![
                Param::new("from", true, "The older size.")
                    .schema(count())
                    .example(1),
                Param::new("to", false, "The newer size.").schema(count()),
            ],
            answer: object(
                &["from", "to", "proof"],
                json!({"from": count(), "to": count(), "proof": array(b64())}),
            ),
            ..Default::default()
        },
    ]
}

/// The pod whose log is asked for, when the one asking is its owner: only
/// the owner (acl:Control on the pod root) reads the log.
pub(crate) async fn owner(access: PodAccess) -> Result<PodName, ApiError> {
    access.require("/", ModeSet::CONTROL).await
}

/// `size` when the query gives it, else the log's current size.
pub(crate) async fn size_or_head(
    store: &dyn Backend,
    pod: &PodName,
    size: Option<u64>,
) -> Result<u64, LogError> {
    match size {
        Some(s) => Ok(s),
        None => head_size(store, pod).await,
    }
}

pub(crate) fn json_response(value: &impl Serialize) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        serde_json::to_vec(value).unwrap_or_default(),
    )
        .into_response()
}

pub(crate) async fn checkpoint_route(
    State(services): State<Arc<PrivacyApp>>,
    access: PodAccess,
) -> Result<Response, ApiError> {
    let pod = owner(access).await?;
    let log = service(&services)?;
    let (checkpoint, note) = log.checkpoint(&pod).await?;
    Ok(json_response(&SignedCheckpoint {
        checkpoint: note,
        verifier_key: log.verifier_key(),
        size: checkpoint.size,
        root: B64.encode(checkpoint.root),
    }))
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    pub(crate) from: Option<u64>,
    pub(crate) limit: Option<u64>,
}

pub(crate) async fn entries_route(
    State(services): State<Arc<PrivacyApp>>,
    access: PodAccess,
    Query(q): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let pod = owner(access).await?;
    let store = services.ctx.store.as_ref();
    let size = head_size(store, &pod).await.map_err(ApiError::from)?;
    let from = q.from.unwrap_or(0);
    let limit = q.limit.unwrap_or(100).min(MAX_PAGE);
    let mut out = Vec::new();
    for index in from..from.saturating_add(limit).min(size) {
        let entry = match store.index_get(&pod, &entry_key(index)).await? {
            Some(bytes) => serde_json::from_slice::<LogEntry>(&bytes).map_err(|_| {
                ApiError::from(LogError::Damaged(format!("entry {index} is not an entry")))
            })?,
            // A removed entry shows as a gap; verification will say so.
            None => continue,
        };
        out.push(IndexedEntry { index, entry });
    }
    Ok(json_response(&json!({ "size": size, "entries": out })))
}

#[derive(Debug, Deserialize)]
pub(crate) struct InclusionQuery {
    pub(crate) index: u64,
    pub(crate) size: Option<u64>,
}

pub(crate) async fn inclusion_route(
    State(services): State<Arc<PrivacyApp>>,
    access: PodAccess,
    Query(q): Query<InclusionQuery>,
) -> Result<Response, ApiError> {
    let pod = owner(access).await?;
    let store = services.ctx.store.as_ref();
    let size = size_or_head(store, &pod, q.size).await?;
    Ok(json_response(&inclusion(store, &pod, q.index, size).await?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct ConsistencyQuery {
    pub(crate) from: u64,
    pub(crate) to: Option<u64>,
}

pub(crate) async fn consistency_route(
    State(services): State<Arc<PrivacyApp>>,
    access: PodAccess,
    Query(q): Query<ConsistencyQuery>,
) -> Result<Response, ApiError> {
    let pod = owner(access).await?;
    let store = services.ctx.store.as_ref();
    let to = size_or_head(store, &pod, q.to).await?;
    Ok(json_response(&consistency(store, &pod, q.from, to).await?))
}

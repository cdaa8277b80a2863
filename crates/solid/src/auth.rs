//! The one place where the server decides whether a request may proceed:
//! who is asking ([`Authenticator`], Solid-OIDC tokens verified elsewhere)
//! and what Web Access Control grants them ([`Access::require`]).
//!
//! The effective ACL of a resource is its own `.acl`, or else the nearest
//! ancestor container's `.acl` whose `acl:default` rules apply. Parsed ACLs
//! are cached per pod; any write to an `.acl` (or any delete, which removes
//! auxiliary resources) clears that pod's cache.

use std::collections::HashMap;
use std::sync::Arc;

use axum::http::{HeaderMap, Method, StatusCode, header};
use parking_lot::RwLock;
use selfdata_rdf::RdfFormat;
use selfdata_rdf::oxrdf::Graph;
use selfdata_store::{AuxKind, PodName, ResourcePath};
use selfdata_wac::{Agent, EffectiveAcl, Groups, ModeSet, Permissions};

use crate::AppState;
use crate::error::ApiError;
use crate::uri::resource_uri;

/// A verified identity: the WebID a request speaks for and the app it comes through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub webid: String,
    pub client_id: Option<String>,
    /// The sign-in (token family) the request's token belongs to, when its
    /// issuer says: what stays open after the request (a notification
    /// channel) ends with it ([`Authenticator::session_ended`]).
    pub session: Option<String>,
}

/// Turns a request's `Authorization` (and `DPoP`) headers into credentials.
///
/// `Ok(None)`: no credentials were sent (an anonymous request). `Err`: the
/// credentials are malformed, expired, replayed or revoked (a 401).
#[async_trait::async_trait]
pub trait Authenticator: Send + Sync + 'static {
    async fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Credentials>, ApiError>;

    /// Whether a session named by [`Credentials::session`] was ended since
    /// (the resident revoked the app, signed out, deleted the keys), on
    /// this server or, when servers share the store, any other.
    async fn session_ended(&self, _session: &str) -> bool {
        false
    }

    /// The sessions ended since `since_ms` (milliseconds since the epoch)
    /// on any server sharing the store (nothing when the store is this
    /// server's own: it knows its own at once).
    async fn sessions_ended_since(&self, _since_ms: i64) -> Vec<String> {
        Vec::new()
    }
}

/// A 401 with a `WWW-Authenticate` challenge, for a request that sent no
/// credentials (RFC 6750 §3.1: no `error` attribute then).
pub fn unauthorized(detail: &str) -> ApiError {
    challenge(
        detail,
        "DPoP realm=\"selfdata\", algs=\"ES256 RS256\", Bearer realm=\"selfdata\"",
    )
}

/// A 401 for credentials that were sent but are refused: malformed,
/// expired, replayed, revoked or wrongly bound. Its challenge carries
/// `error="invalid_token"` (RFC 6750 §3.1, RFC 9449 §7.1), so a client
/// knows to get a new token rather than to sign in for the first time.
pub fn invalid_token(detail: &str) -> ApiError {
    challenge(
        detail,
        "DPoP realm=\"selfdata\", algs=\"ES256 RS256\", error=\"invalid_token\", \
         Bearer realm=\"selfdata\", error=\"invalid_token\"",
    )
}

fn challenge(detail: &str, www_authenticate: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, detail)
        .with_header(header::WWW_AUTHENTICATE, www_authenticate)
}

/// One pod's parsed ACL documents, by ACL path (`None`: no ACL there).
type PodAcls = HashMap<ResourcePath, Option<Arc<Graph>>>;

/// Who asks for what, as far as WAC cares: (resource, WebID, Origin).
type DecisionKey = (ResourcePath, Option<String>, Option<String>);

/// Parsed ACL documents of each pod, and the decisions already taken with
/// them. Decisions that depend on group documents are never kept, since a
/// group may change without any ACL changing.
///
/// Each pod has a generation, bumped before its caches are cleared; a value
/// computed from the store is kept only if the generation did not move while
/// it was computed, so a read racing an ACL change never caches the old rules.
#[derive(Default)]
pub(crate) struct AclCache {
    generations: parking_lot::Mutex<HashMap<PodName, u64>>,
    /// When other servers write to the store too: each pod's ACL epoch in
    /// the store (see `Backend::acl_epoch`) as of its cached entries.
    epochs: parking_lot::Mutex<HashMap<PodName, u64>>,
    pods: RwLock<HashMap<PodName, PodAcls>>,
    decisions: RwLock<HashMap<PodName, HashMap<DecisionKey, Permissions>>>,
}

/// Decisions kept per pod before the pod's list starts again.
const MAX_DECISIONS_PER_POD: usize = 10_000;

impl AclCache {
    pub(crate) fn forget_pod(&self, pod: &PodName) {
        *self.generations.lock().entry(pod.clone()).or_default() += 1;
        self.pods.write().remove(pod);
        self.decisions.write().remove(pod);
    }

    /// Forgets the pod's entries unless they were computed at `epoch`
    /// (another server may have changed one of its ACLs since).
    fn at_epoch(&self, pod: &PodName, epoch: u64) {
        let mut epochs = self.epochs.lock();
        if epochs.get(pod) != Some(&epoch) {
            if epochs.len() >= MAX_DECISIONS_PER_POD {
                epochs.clear();
            }
            epochs.insert(pod.clone(), epoch);
            drop(epochs);
            self.forget_pod(pod);
        }
    }

    fn generation(&self, pod: &PodName) -> u64 {
        self.generations.lock().get(pod).copied().unwrap_or(0)
    }
}

/// Who is asking, for one request.
pub struct Access<'a> {
    state: &'a AppState,
    pod: &'a PodName,
    pub credentials: Option<Credentials>,
    origin: Option<String>,
    /// Whether group documents in other pods may be resolved (not while
    /// already resolving one, so two pods' ACLs can never loop).
    cross_pod_groups: bool,
}

impl<'a> Access<'a> {
    pub fn new(
        state: &'a AppState,
        pod: &'a PodName,
        credentials: Option<Credentials>,
        headers: &HeaderMap,
    ) -> Self {
        let origin = headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Self {
            state,
            pod,
            credentials,
            origin,
            cross_pod_groups: true,
        }
    }

    fn agent(&self) -> Agent<'_> {
        let mut agent = match &self.credentials {
            Some(c) => Agent::authenticated(&c.webid),
            None => Agent::anonymous(),
        };
        agent.client_id = self
            .credentials
            .as_ref()
            .and_then(|c| c.client_id.as_deref());
        if let Some(origin) = &self.origin {
            // An anonymous browser request needs its origin granted. An
            // authenticated one comes through an app the resident approved
            // on the consent screen (its token proves it), so its origin
            // needs no grant of its own; so does the server's own. Either
            // way an authorization that lists origins (acl:origin) applies
            // only to requests from one of them.
            let trusted = self.credentials.is_some()
                || selfdata_wac::normalize_origin(origin)
                    == selfdata_wac::normalize_origin(&self.state.config().base_url);
            agent = agent.with_origin(origin, trusted);
        }
        agent
    }

    /// Whether the request speaks for the pod's owner (whatever the app).
    fn is_owner(&self) -> bool {
        self.credentials.as_ref().is_some_and(|c| {
            c.webid == crate::provision::webid_of(&self.state.config().base_url, self.pod)
        })
    }

    /// The modes granted on `path` (for an auxiliary resource: on its subject).
    ///
    /// The pod's owner always has Control, whatever the ACLs say: an empty,
    /// unreadable or mistaken ACL can never lock them out of repairing it.
    pub async fn permissions(&self, path: &ResourcePath) -> Result<Permissions, ApiError> {
        let mut permissions = self.permissions_from_acls(path).await?;
        if self.is_owner() {
            permissions.user |= ModeSet::CONTROL;
        }
        Ok(permissions)
    }

    async fn permissions_from_acls(&self, path: &ResourcePath) -> Result<Permissions, ApiError> {
        let subject = path.aux_subject().unwrap_or_else(|| path.clone());
        let key: DecisionKey = (
            subject.clone(),
            self.credentials.as_ref().map(|c| c.webid.clone()),
            self.origin.clone(),
        );
        let acls = self.state.acl_cache();
        if let Some(epoch) = self.state.store().acl_epoch(self.pod).await? {
            // Another server may have changed an ACL of this pod: the
            // cached rules hold only at the epoch they were read at.
            acls.at_epoch(self.pod, epoch);
        }
        let cache = &acls.decisions;
        if let Some(hit) = cache.read().get(self.pod).and_then(|d| d.get(&key)) {
            return Ok(*hit);
        }
        let generation = acls.generation(self.pod);
        let base = &self.state.config().base_url;
        let target_uri = resource_uri(base, self.pod, &subject);
        let Some((acl_path, graph, inherited)) = self.effective_acl(&subject).await? else {
            return Ok(Permissions::default());
        };
        let acl_uri = resource_uri(base, self.pod, &acl_path);
        let owner = if inherited {
            acl_path.aux_subject().unwrap_or_else(ResourcePath::root)
        } else {
            subject.clone()
        };
        let subject_uri = resource_uri(base, self.pod, &owner);
        let acl = EffectiveAcl {
            graph: &graph,
            acl_uri: &acl_uri,
            subject_uri: &subject_uri,
            inherited,
        };
        let referenced = selfdata_wac::referenced_groups(&graph);
        let groups = self.load_groups(&referenced).await;
        let permissions = selfdata_wac::permissions(&acl, &target_uri, &self.agent(), &groups);
        if referenced.is_empty() {
            let mut cache = cache.write();
            if acls.generation(self.pod) != generation {
                return Ok(permissions);
            }
            let decisions = cache.entry(self.pod.clone()).or_default();
            if decisions.len() >= MAX_DECISIONS_PER_POD {
                decisions.clear();
            }
            decisions.insert(key, permissions);
        }
        Ok(permissions)
    }

    /// Fails unless `modes` are all granted on `path`: 401 for an anonymous
    /// request, 403 for an authenticated one. The decision is reported to
    /// the access-log hook, if there is one.
    pub async fn require(
        &self,
        path: &ResourcePath,
        modes: ModeSet,
    ) -> Result<Permissions, ApiError> {
        let permissions = self.permissions(path).await?;
        let allowed = permissions.user.contains_all(modes);
        if let Some(hook) = self.state.access_log_hook() {
            hook.record(&crate::audit::AccessEvent {
                pod: self.pod,
                path,
                credentials: self.credentials.as_ref(),
                modes,
                allowed,
            });
        }
        if allowed {
            return Ok(permissions);
        }
        Err(match self.credentials {
            None => unauthorized(
                "This resource is not public. Sign in with Solid-OIDC (a DPoP-bound access token) to reach it.",
            ),
            Some(_) => ApiError::new(
                StatusCode::FORBIDDEN,
                "You are signed in, but the owner of this pod has not given you this access.",
            ),
        })
    }

    /// The ACL governing `subject`: its own, or the nearest ancestor's (inherited).
    async fn effective_acl(
        &self,
        subject: &ResourcePath,
    ) -> Result<Option<(ResourcePath, Arc<Graph>, bool)>, ApiError> {
        let mut candidate = Some(subject.clone());
        let mut inherited = false;
        while let Some(resource) = candidate {
            // A document's inherited ACL comes from its container.
            if resource.is_container() || !inherited {
                let acl_path = resource.aux(AuxKind::Acl);
                if let Some(graph) = self.load_acl(&acl_path).await? {
                    return Ok(Some((acl_path, graph, inherited)));
                }
            }
            candidate = resource.parent();
            inherited = true;
        }
        Ok(None)
    }

    async fn load_acl(&self, acl_path: &ResourcePath) -> Result<Option<Arc<Graph>>, ApiError> {
        let acls = self.state.acl_cache();
        let cache = &acls.pods;
        if let Some(hit) = cache.read().get(self.pod).and_then(|p| p.get(acl_path)) {
            return Ok(hit.clone());
        }
        let generation = acls.generation(self.pod);
        let loaded = match self.state.store().get(self.pod, acl_path).await? {
            None => None,
            Some((meta, body)) => {
                let format =
                    RdfFormat::from_media_type(&meta.content_type).unwrap_or(RdfFormat::Turtle);
                let uri = resource_uri(&self.state.config().base_url, self.pod, acl_path);
                match selfdata_rdf::parse(&body, format, &uri) {
                    Ok(graph) => Some(Arc::new(graph)),
                    Err(e) => {
                        // An unreadable ACL grants nothing, and says so in the log.
                        tracing::warn!(acl = %uri, error = %e, "an ACL document does not parse");
                        Some(Arc::new(Graph::new()))
                    }
                }
            }
        };
        let mut cache = cache.write();
        if acls.generation(self.pod) == generation {
            cache
                .entry(self.pod.clone())
                .or_default()
                .insert(acl_path.clone(), loaded.clone());
        }
        Ok(loaded)
    }

    /// Loads the local group documents an ACL names (remote groups stay unresolved).
    async fn load_groups(&self, referenced: &[String]) -> LoadedGroups {
        let mut out = HashMap::new();
        let base = &self.state.config().base_url;
        for group in referenced {
            let doc = group.split('#').next().unwrap_or(group);
            let Some(rest) = doc.strip_prefix(base.as_str()) else {
                continue;
            };
            let Ok(crate::uri::Target::Resource(pod, path)) = crate::uri::parse_target(rest) else {
                continue;
            };
            // A group document in another pod is read only as far as this
            // pod's owner may read it there: naming it in an ACL must not
            // reveal (through who gets access) what its owner keeps private.
            if pod != *self.pod && !self.owner_may_read(&pod, &path).await {
                continue;
            }
            if let Ok(Some((meta, body))) = self.state.store().get(&pod, &path).await
                && let Some(format) = RdfFormat::from_media_type(&meta.content_type)
                && let Ok(graph) = selfdata_rdf::parse(&body, format, doc)
            {
                out.insert(group.clone(), selfdata_wac::group_members(&graph, group));
            }
        }
        LoadedGroups(out)
    }
}

/// A boxed future, to break the cycle (permissions → groups → permissions)
/// that the compiler cannot type on its own.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

impl<'s> Access<'s> {
    fn owner_may_read<'a>(
        &'a self,
        pod: &'a PodName,
        path: &'a ResourcePath,
    ) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            if !self.cross_pod_groups {
                return false;
            }
            let owner = Credentials {
                webid: crate::provision::webid_of(&self.state.config().base_url, self.pod),
                client_id: None,
                session: None,
            };
            let there = Access {
                state: self.state,
                pod,
                credentials: Some(owner),
                origin: None,
                cross_pod_groups: false,
            };
            there
                .permissions(path)
                .await
                .is_ok_and(|p| p.user.contains_all(ModeSet::READ))
        })
    }
}

struct LoadedGroups(HashMap<String, Vec<String>>);

impl Groups for LoadedGroups {
    fn members(&self, group_iri: &str) -> Option<Vec<String>> {
        self.0.get(group_iri).cloned()
    }
}

/// A pod-scoped JSON API request whose caller is known: the pod is the
/// path's first segment, the credentials were verified (token and DPoP
/// proof) and the pod exists. The handler then names the WAC modes it needs
/// with [`PodAccess::require`], so "token, then WAC, then the pod" is
/// written once for every service's API.
///
/// Refusals: 404 for a malformed or unknown pod (after authentication, so a
/// bad token is a 401 whatever the pod), 401 for bad or missing credentials
/// where WAC wants them, 403 for a caller without the modes.
pub struct PodAccess {
    state: AppState,
    pod: PodName,
    credentials: Option<Credentials>,
    /// The request's `Origin`, all WAC reads of the headers.
    origin: HeaderMap,
}

/// A router state that holds the Solid layer's [`AppState`], so its
/// extractors ([`PodAccess`]) work in every service's routes.
pub trait SolidState {
    fn solid(&self) -> &AppState;
}

impl SolidState for AppState {
    fn solid(&self) -> &AppState {
        self
    }
}

impl<T: SolidState + ?Sized> SolidState for Arc<T> {
    fn solid(&self) -> &AppState {
        T::solid(self)
    }
}

impl<S> axum::extract::FromRequestParts<S> for PodAccess
where
    S: SolidState + Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let state = state.solid().clone();
        let path = parts.uri.path();
        let segment = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let pod = PodName::parse(segment).map_err(|_| ApiError::not_found())?;
        let url = format!("{}{path}", state.config().base_url);
        let credentials = state
            .authenticator()
            .authenticate(&parts.method, &url, &parts.headers)
            .await?;
        if state.store().pod(&pod).await?.is_none() {
            return Err(ApiError::not_found());
        }
        let mut origin = HeaderMap::new();
        if let Some(value) = parts.headers.get(header::ORIGIN) {
            origin.insert(header::ORIGIN, value.clone());
        }
        Ok(Self {
            state,
            pod,
            credentials,
            origin,
        })
    }
}

impl PodAccess {
    /// The pod, once WAC grants the caller all of `modes` on `resource`
    /// (a path inside the pod, such as `/selfdata/energy/`).
    pub async fn require(&self, resource: &str, modes: ModeSet) -> Result<PodName, ApiError> {
        let resource = ResourcePath::parse(resource).map_err(|_| ApiError::internal())?;
        Access::new(
            &self.state,
            &self.pod,
            self.credentials.clone(),
            &self.origin,
        )
        .require(&resource, modes)
        .await?;
        Ok(self.pod.clone())
    }

    /// Whether WAC grants the caller all of `modes` on `resource`, for an
    /// answer that adds what that resource holds only when it may (the
    /// decision is logged like any other).
    pub async fn allows(&self, resource: &str, modes: ModeSet) -> Result<bool, ApiError> {
        match self.require(resource, modes).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.status.as_u16(), 401 | 403) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

//! LDP resources and containers as the Solid Protocol defines them: one
//! handler per method, behind the single entry point [`handle`].
//!
//! Flow of a request: [`crate::uri::parse_target`] turns the raw path into a
//! pod and a checked resource path; [`crate::auth::authorize`] decides; the
//! method handler reads or writes through the store; every failure is an
//! [`ApiError`] and leaves as problem+json.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use selfdata_rdf::oxrdf::{Graph, NamedNodeRef};
use selfdata_rdf::{Document, RdfFormat, rdfa};
use selfdata_store::{Meta, PodName, Precondition, ResourcePath, StoreError, Write, WriteOutcome};

use crate::AppState;
use crate::auth::Access;
use crate::conneg;
use crate::container::{self, LDP};
use crate::error::ApiError;
use crate::uri::{Target, parse_target, resource_uri};
use selfdata_store::AuxKind;
use selfdata_wac::{ModeSet, Permissions};

pub const ALLOW_CONTAINER: &str = "OPTIONS, HEAD, GET, POST, PUT, PATCH, DELETE";
pub const ALLOW_ROOT: &str = "OPTIONS, HEAD, GET, POST, PUT, PATCH";
pub const ALLOW_DOCUMENT: &str = "OPTIONS, HEAD, GET, PUT, PATCH, DELETE";
const ALLOW_READ_ONLY: &str = "OPTIONS, HEAD, GET";
const ACCEPT_PATCH: &str = "text/n3, application/sparql-update";
/// Largest PATCH body: a patch describes a change, not a document (PUT
/// carries those).
const PATCH_MAX_BODY_BYTES: usize = 1024 * 1024;
const ACCEPT_RDF: &str = "text/turtle, application/ld+json, application/n-triples";
const LINK_RESOURCE: &str = "<http://www.w3.org/ns/ldp#Resource>; rel=\"type\"";
const LINK_CONTAINER: &str = "<http://www.w3.org/ns/ldp#Container>; rel=\"type\"";
const LINK_BASIC_CONTAINER: &str = "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\"";
const LINK_RDF_SOURCE: &str = "<http://www.w3.org/ns/ldp#RDFSource>; rel=\"type\"";
const LINK_NON_RDF_SOURCE: &str = "<http://www.w3.org/ns/ldp#NonRDFSource>; rel=\"type\"";
const LINK_STORAGE: &str = "<http://www.w3.org/ns/pim/space#Storage>; rel=\"type\"";
/// The storage description resource, inside every pod.
const STORAGE_DESCRIPTION: &str = "/.well-known/solid";
const SOLID_STORAGE_DESCRIPTION_REL: &str = "http://www.w3.org/ns/solid/terms#storageDescription";
const UPDATES_VIA_STREAMING_REL: &str =
    "http://www.w3.org/ns/solid/terms#updatesViaStreamingHttp2023";

/// The entry point for every request under a pod.
pub async fn handle(State(state): State<AppState>, request: Request) -> Response {
    // Only for a browser's request is it worth asking the store whether a
    // refused address lies in a pod.
    let page_wanted = request
        .extensions()
        .get::<crate::browser::PageWanted>()
        .map(|_| request.uri().clone());
    let mut response = match dispatch(&state, request).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    if let Some(uri) = page_wanted
        && matches!(
            response.status(),
            StatusCode::NOT_FOUND | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
        )
        && !in_a_pod(&state, uri.path()).await
    {
        response.extensions_mut().insert(Unclaimed);
    }
    inert(response.headers_mut());
    response
}

/// Marks the server's own refusal of an address that belongs to no pod (and,
/// as it reached this fallback, to no route): [`crate::browser::layer`] may
/// answer it to a browser as a page. Never set on an existing pod's answers.
#[derive(Debug, Clone, Copy)]
pub struct Unclaimed;

/// Whether `path` lies in an existing pod (a store that fails to say counts
/// as yes, so its answer is left as it is).
async fn in_a_pod(state: &AppState, path: &str) -> bool {
    let segment = path.trim_start_matches('/').split('/').next().unwrap_or("");
    match PodName::parse(segment) {
        Ok(pod) => !matches!(state.store().pod(&pod).await, Ok(None)),
        Err(_) => false,
    }
}

/// Media types a browser would run (scripts, markup that can hold scripts).
const ACTIVE_TYPES: &[&str] = &[
    "text/html",
    "application/xhtml+xml",
    "image/svg+xml",
    "text/xml",
    "application/xml",
    "text/javascript",
    "application/javascript",
    "application/ecmascript",
    "text/ecmascript",
    "application/wasm",
    "text/xsl",
    "application/pdf",
    "multipart/x-mixed-replace",
];

/// Makes whatever a pod stores inert in a browser, so that it can never
/// act as one of the resident pages: the type is never sniffed, the
/// document runs in a sandbox with an opaque origin and may load nothing,
/// and active types are sent as attachments (a browser downloads them
/// rather than rendering them). Every LDP answer goes through here.
pub fn inert(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'; frame-ancestors 'none'"),
    );
    let active = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|ct| {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            ACTIVE_TYPES.contains(&essence.as_str()) || essence.ends_with("+xml")
        })
        .unwrap_or(false);
    if active {
        headers.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
}

async fn dispatch(state: &AppState, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let target = parse_target(parts.uri.path())?;
    let (pod, path) = match target {
        Target::Server => {
            return Ok((
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "selfdata: a personal data store speaking the Solid Protocol.\n",
            )
                .into_response());
        }
        Target::PodWithoutSlash(pod) => {
            let location = format!("{}/{pod}/", state.config().base_url);
            return Ok(redirect(&location));
        }
        Target::Resource(pod, path) => (pod, path),
    };
    // DPoP proofs sign the URL exactly as the client requested it.
    let requested_url = format!("{}{}", state.config().base_url, parts.uri.path());
    let credentials = state
        .authenticator()
        .authenticate(&parts.method, &requested_url, &parts.headers)
        .await?;
    let req = Req {
        state,
        headers: &parts.headers,
        uri: resource_uri(&state.config().base_url, &pod, &path),
        access: Access::new(state, &pod, credentials, &parts.headers),
        pod: &pod,
        path,
    };
    if req.path.as_str() == STORAGE_DESCRIPTION {
        return req.storage_description(&parts.method).await;
    }
    match parts.method {
        Method::GET | Method::HEAD => req.get().await,
        Method::OPTIONS => Ok(req.options()),
        Method::PUT => req.put(body).await,
        Method::POST => req.post(body).await,
        Method::PATCH => req.patch(body).await,
        Method::DELETE => req.delete().await,
        other => Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("The method {other} is not supported here."),
        )
        .with_header(header::ALLOW, req.allow())),
    }
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::MOVED_PERMANENTLY.into_response();
    if let Ok(v) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

/// One request on one resource.
struct Req<'a> {
    state: &'a AppState,
    headers: &'a HeaderMap,
    pod: &'a PodName,
    path: ResourcePath,
    access: Access<'a>,
    /// The resource's absolute URI.
    uri: String,
}

impl Req<'_> {
    fn base(&self) -> &str {
        &self.state.config().base_url
    }

    fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn allow(&self) -> &'static str {
        if self.path.is_root() {
            ALLOW_ROOT
        } else if self.path.is_container() {
            ALLOW_CONTAINER
        } else {
            ALLOW_DOCUMENT
        }
    }

    fn is_acl(&self) -> bool {
        self.path.auxiliary_kind() == Some(AuxKind::Acl)
    }

    /// Whether the target resource exists now.
    async fn exists(&self) -> Result<bool, ApiError> {
        Ok(self
            .state
            .store()
            .meta(self.pod, &self.path)
            .await?
            .is_some())
    }

    /// Checks Web Access Control for `method` on this resource (and on its
    /// container when creating or deleting). `modes` overrides the modes
    /// needed on the target (PATCH derives them from the patch).
    async fn authorize(
        &self,
        method: &str,
        exists: bool,
        modes: Option<ModeSet>,
    ) -> Result<Permissions, ApiError> {
        let is_acl = self.is_acl();
        let needed = match modes {
            Some(_) if is_acl => ModeSet::CONTROL,
            Some(m) => m,
            None => selfdata_wac::required_modes(method, is_acl, exists),
        };
        let permissions = self.access.require(&self.path, needed).await?;
        let on_parent = selfdata_wac::parent_modes(method, is_acl, exists);
        if !on_parent.is_empty()
            && let Some(parent) = self.path.parent()
        {
            self.access.require(&parent, on_parent).await?;
        }
        Ok(permissions)
    }

    /// Every write goes through here. A write to an ACL, or any delete
    /// (which removes auxiliary resources), clears the pod's access-control
    /// cache so the very next request sees the new rules.
    async fn commit(&self, write: Write) -> Result<WriteOutcome, StoreError> {
        let touches_acls = write.may_change_acls();
        let outcome = self.state.store().write(self.pod, write).await?;
        if touches_acls {
            self.state.acl_cache().forget_pod(self.pod);
        }
        Ok(outcome)
    }

    /// Headers every answer about this resource carries: `Link`, `Allow`, `Accept-*`.
    fn describe(&self, headers: &mut HeaderMap, meta: Option<&Meta>, rdf: bool) {
        let mut types: Vec<&'static str> = vec![LINK_RESOURCE];
        if self.path.is_container() {
            types.extend([LINK_CONTAINER, LINK_BASIC_CONTAINER]);
        } else if meta.is_some() {
            types.push(if rdf {
                LINK_RDF_SOURCE
            } else {
                LINK_NON_RDF_SOURCE
            });
        }
        if self.path.is_root() {
            types.push(LINK_STORAGE);
        }
        for t in types {
            headers.append(header::LINK, HeaderValue::from_static(t));
        }
        let mut links = Vec::with_capacity(3);
        if self.path.auxiliary_kind().is_none() {
            links.push(format!("<{}.acl>; rel=\"acl\"", self.uri));
            links.push(format!("<{}.meta>; rel=\"describedby\"", self.uri));
        }
        links.push(format!(
            "<{}/{}{STORAGE_DESCRIPTION}>; rel=\"{SOLID_STORAGE_DESCRIPTION_REL}\"",
            self.base(),
            self.pod
        ));
        let notifications = self.state.config().notifications.as_ref();
        if let Some(prefix) = notifications.and_then(|n| n.streaming_prefix.as_deref())
            && self.path.auxiliary_kind().is_none()
        {
            links.push(format!(
                "<{prefix}/{}{}>; rel=\"{UPDATES_VIA_STREAMING_REL}\"",
                self.pod,
                crate::uri::encode_path(&self.path)
            ));
        }
        if let Some(via) = notifications.and_then(|n| n.updates_via.as_deref())
            && let Ok(v) = HeaderValue::from_str(via)
        {
            headers.insert("updates-via", v);
        }
        for link in links {
            if let Ok(v) = HeaderValue::from_str(&link) {
                headers.append(header::LINK, v);
            }
        }
        headers.insert(header::ALLOW, HeaderValue::from_static(self.allow()));
        headers.insert("accept-patch", HeaderValue::from_static(ACCEPT_PATCH));
        headers.insert("accept-put", HeaderValue::from_static("*/*"));
        if self.path.is_container() {
            headers.insert("accept-post", HeaderValue::from_static("*/*"));
        }
        if let Some(meta) = meta {
            set_validators(headers, meta);
        }
    }

    fn options(&self) -> Response {
        let mut response = StatusCode::NO_CONTENT.into_response();
        self.describe(response.headers_mut(), None, true);
        response
    }

    // ---------------------------------------------------------------- GET

    /// GET and HEAD (hyper drops the body of a HEAD answer, keeping its length).
    async fn get(&self) -> Result<Response, ApiError> {
        let permissions = self.authorize("GET", true, None).await?;
        let store = self.state.store();
        let Some((meta, body)) = store.get(self.pod, &self.path).await? else {
            return self.missing().await;
        };
        let rdf_stored = RdfFormat::from_media_type(&meta.content_type);
        if let Some(status) = self.read_preconditions(&meta) {
            let mut response = status.into_response();
            self.describe(response.headers_mut(), Some(&meta), rdf_stored.is_some());
            return Ok(response);
        }
        let accept = self.header(header::ACCEPT);
        let (content_type, bytes, range) = if self.path.is_container() {
            let stored = rdf_stored.unwrap_or(RdfFormat::Turtle);
            let format = conneg::choose_rdf(accept, RdfFormat::Turtle)
                .ok_or_else(|| not_acceptable(ACCEPT_RDF))?;
            let own = self.parse_stored(&body, stored)?;
            let members = store.members(self.pod, &self.path).await?;
            let bytes = container::render(self.base(), self.pod, &meta, &own, &members, format)?;
            (format.media_type().to_owned(), Bytes::from(bytes), None)
        } else if let Some(stored) = rdf_stored {
            let format =
                conneg::choose_rdf(accept, stored).ok_or_else(|| not_acceptable(ACCEPT_RDF))?;
            let bytes = if format == stored || body.is_empty() {
                body
            } else {
                // Streamed, without building a graph: a large document is
                // served in the memory of its text.
                Bytes::from(
                    selfdata_rdf::convert(&body, stored, format, &self.uri).map_err(|e| {
                        tracing::error!(error = %e, "a stored RDF body no longer converts");
                        ApiError::internal()
                    })?,
                )
            };
            (format.media_type().to_owned(), bytes, None)
        } else if let Some(format) = rdfa::is_rdfa_host(&meta.content_type)
            .then(|| conneg::choose_rdf_over(accept, &meta.content_type))
            .flatten()
        {
            // A web page asked for as RDF: the triples its RDFa states.
            let limit = self.state.config().rdf_limits.document_triples;
            let graph = rdfa::parse_rdfa(&body, &self.uri, limit).map_err(|e| {
                ApiError::new(
                    StatusCode::NOT_ACCEPTABLE,
                    format!("This page cannot be sent as {format}: {e}."),
                )
            })?;
            let bytes = selfdata_rdf::serialize(&graph, format, &self.uri).map_err(|e| {
                tracing::error!(error = %e, "RDFa triples do not serialise");
                ApiError::internal()
            })?;
            (format.media_type().to_owned(), Bytes::from(bytes), None)
        } else {
            if !conneg::accepts(accept, &meta.content_type) {
                let mut types = meta.content_type.clone();
                if rdfa::is_rdfa_host(&types) {
                    types = format!("{types}, {ACCEPT_RDF}");
                }
                return Err(not_acceptable(&types));
            }
            let range = match self.header(header::RANGE) {
                Some(r) if self.if_range_matches(&meta) => parse_range(r, body.len() as u64)?,
                _ => None,
            };
            (meta.content_type.clone(), body, range)
        };
        let mut response = match range {
            Some((start, end)) => {
                let total = bytes.len();
                let slice = bytes.slice(start as usize..=end as usize);
                let mut r = (StatusCode::PARTIAL_CONTENT, slice).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{total}")) {
                    r.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                r
            }
            None => (StatusCode::OK, bytes).into_response(),
        };
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&content_type) {
            headers.insert(header::CONTENT_TYPE, v);
        }
        if rdf_stored.is_none() && !self.path.is_container() {
            headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        }
        self.describe(headers, Some(&meta), rdf_stored.is_some());
        if let Ok(v) = HeaderValue::from_str(&permissions.wac_allow_header()) {
            headers.insert("wac-allow", v);
        }
        Ok(response)
    }

    /// 404, or a 301 to the twin URI when the other form (with or without a
    /// trailing slash) exists.
    async fn missing(&self) -> Result<Response, ApiError> {
        if let Some(twin) = self.path.slash_twin()
            && self.state.store().meta(self.pod, &twin).await?.is_some()
        {
            return Ok(redirect(&resource_uri(self.base(), self.pod, &twin)));
        }
        // Every resource advertises its description (`rel="describedby"`);
        // one nobody wrote yet is an empty RDF document, not a 404 (SolidOS
        // reads it for every folder it shows).
        if self.path.auxiliary_kind() == Some(AuxKind::Meta)
            && let Some(subject) = self.path.aux_subject()
            && self.state.store().meta(self.pod, &subject).await?.is_some()
        {
            let format = conneg::choose_rdf(self.header(header::ACCEPT), RdfFormat::Turtle)
                .ok_or_else(|| not_acceptable(ACCEPT_RDF))?;
            let empty = selfdata_rdf::serialize(&Graph::new(), format, &self.uri)?;
            let mut response = (StatusCode::OK, empty).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            );
            self.describe(headers, None, true);
            return Ok(response);
        }
        let mut headers = HeaderMap::new();
        self.describe(&mut headers, None, true);
        let mut e = ApiError::not_found();
        e.headers
            .extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        Err(e)
    }

    fn parse_stored(&self, body: &[u8], format: RdfFormat) -> Result<Graph, ApiError> {
        if body.is_empty() {
            return Ok(Graph::new());
        }
        selfdata_rdf::parse(body, format, &self.uri).map_err(|e| {
            tracing::error!(error = %e, "a stored RDF body no longer parses");
            ApiError::internal()
        })
    }

    /// `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since` for a read.
    fn read_preconditions(&self, meta: &Meta) -> Option<StatusCode> {
        let etag = meta.etag();
        if let Some(v) = self.header(header::IF_MATCH)
            && !etag_list_matches(v, &etag)
        {
            return Some(StatusCode::PRECONDITION_FAILED);
        }
        if let Some(v) = self.header(header::IF_UNMODIFIED_SINCE)
            && self.header(header::IF_MATCH).is_none()
            && let Ok(since) = httpdate::parse_http_date(v)
            && modified_secs(meta) > unix_secs(since)
        {
            return Some(StatusCode::PRECONDITION_FAILED);
        }
        if let Some(v) = self.header(header::IF_NONE_MATCH) {
            if etag_list_matches(v, &etag) {
                return Some(StatusCode::NOT_MODIFIED);
            }
        } else if let Some(v) = self.header(header::IF_MODIFIED_SINCE)
            && let Ok(since) = httpdate::parse_http_date(v)
            && modified_secs(meta) <= unix_secs(since)
        {
            return Some(StatusCode::NOT_MODIFIED);
        }
        None
    }

    fn if_range_matches(&self, meta: &Meta) -> bool {
        match self.header(header::IF_RANGE) {
            None => true,
            Some(v) => v.trim() == meta.etag(),
        }
    }

    // ---------------------------------------------------------------- writes

    /// The store precondition equivalent to the request's conditional headers.
    fn write_precondition(&self) -> Result<Precondition, ApiError> {
        if let Some(v) = self.header(header::IF_MATCH) {
            return Ok(if v.trim() == "*" {
                Precondition::Exists
            } else {
                Precondition::EtagIn(etag_list(v))
            });
        }
        if let Some(v) = self.header(header::IF_NONE_MATCH) {
            return Ok(if v.trim() == "*" {
                Precondition::Absent
            } else {
                Precondition::EtagNotIn(etag_list(v))
            });
        }
        Ok(Precondition::None)
    }

    async fn read_body(&self, body: Body) -> Result<Bytes, ApiError> {
        self.read_body_within(body, self.state.config().max_body_bytes)
            .await
    }

    /// The request body, refused with 413 past `limit` bytes (before
    /// reading anything when `Content-Length` says so).
    async fn read_body_within(&self, body: Body, limit: usize) -> Result<Bytes, ApiError> {
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The body is larger than this server accepts ({limit} bytes)."),
            )
        };
        if let Some(len) = self.header(header::CONTENT_LENGTH)
            && len.parse::<u64>().is_ok_and(|n| n > limit as u64)
        {
            return Err(too_large());
        }
        axum::body::to_bytes(body, limit).await.map_err(|e| {
            if std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
            {
                too_large()
            } else {
                ApiError::bad_request("The request body could not be read completely.")
            }
        })
    }

    /// The request's media type, required on every write.
    fn content_type(&self) -> Result<String, ApiError> {
        let ct = self
            .header(header::CONTENT_TYPE)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    "A write needs a Content-Type header saying what the body is.",
                )
            })?;
        if !ct.contains('/') {
            return Err(ApiError::bad_request(format!(
                "'{ct}' is not a media type (expected something like 'text/turtle')."
            )));
        }
        Ok(ct)
    }

    /// Checks an RDF body for `path` (parse, no containment triples on a
    /// container) and returns the media type to store.
    fn check_body(
        &self,
        path: &ResourcePath,
        content_type: &str,
        body: &[u8],
    ) -> Result<String, ApiError> {
        let format = RdfFormat::from_media_type(content_type);
        let must_be_rdf = path.is_container() || path.auxiliary_kind().is_some();
        match format {
            None if must_be_rdf && !body.is_empty() => Err(ApiError::unsupported_media_type(
                format!("Containers and auxiliary resources hold RDF; send one of: {ACCEPT_RDF}."),
            )
            .with_header("accept-put".parse().expect("static name"), ACCEPT_RDF)),
            None if must_be_rdf => Ok("text/turtle".to_owned()),
            None => Ok(content_type.to_owned()),
            Some(format) => {
                // Checked as a stream against the per-document triple limit
                // (413 above it), without building a graph.
                let uri = resource_uri(self.base(), self.pod, path);
                let mut budget = selfdata_rdf::Budget::new(self.state.config().rdf_limits);
                let contains = NamedNodeRef::new_unchecked(LDP_CONTAINS);
                let mut containment = false;
                selfdata_rdf::check_document(body, format, &uri, &mut budget, |t| {
                    containment |= t.predicate == contains;
                })?;
                if path.is_container() && containment {
                    return Err(containment_error());
                }
                Ok(format.media_type().to_owned())
            }
        }
    }

    async fn put(&self, body: Body) -> Result<Response, ApiError> {
        let exists = self.exists().await?;
        self.authorize("PUT", exists, None).await?;
        // An empty PUT to a container's address with no type says "create
        // this folder" (SolidOS's "new folder" sends exactly that): there is
        // no body to type. A body without a type is still refused.
        let declared = match self.content_type() {
            Err(e) if !self.path.is_container() => return Err(e),
            declared => declared,
        };
        let precondition = self.write_precondition()?;
        let body = self.read_body(body).await?;
        let content_type = match declared {
            Err(_) if body.is_empty() => "text/turtle".to_owned(),
            declared => declared?,
        };
        let stored_type = self.check_body(&self.path, &content_type, &body)?;
        let outcome = self
            .commit(Write::Put {
                path: self.path.clone(),
                content_type: stored_type,
                body,
                precondition,
            })
            .await?;
        Ok(self.written(outcome))
    }

    fn written(&self, outcome: WriteOutcome) -> Response {
        let (status, meta) = match outcome {
            WriteOutcome::Created(m) => (StatusCode::CREATED, m),
            WriteOutcome::Updated(m) => (StatusCode::NO_CONTENT, m),
            WriteOutcome::Deleted | WriteOutcome::Indexed | WriteOutcome::Batch(_) => {
                return StatusCode::NO_CONTENT.into_response();
            }
        };
        let mut response = status.into_response();
        set_validators(response.headers_mut(), &meta);
        if status == StatusCode::CREATED
            && let Ok(v) = HeaderValue::from_str(&resource_uri(self.base(), self.pod, &meta.path))
        {
            response.headers_mut().insert(header::LOCATION, v);
        }
        response
    }

    async fn post(&self, body: Body) -> Result<Response, ApiError> {
        self.authorize("POST", true, None).await?;
        if !self.path.is_container() {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "POST creates a resource inside a container; this address is a document. Use PUT or PATCH.",
            )
            .with_header(header::ALLOW, ALLOW_DOCUMENT));
        }
        if !self.exists().await? {
            return Err(ApiError::not_found());
        }
        let content_type = self.content_type()?;
        let body = self.read_body(body).await?;
        if self.path.as_str() == crate::provision::INBOX
            && let Some(hook) = self.state.inbox_hook()
            && let Some(answer) = hook
                .deliver(
                    self.pod,
                    &content_type,
                    &body,
                    self.access.credentials.as_ref(),
                )
                .await
        {
            return answer;
        }
        let as_container = self
            .headers
            .get_all(header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(link_asks_for_container);
        let slug = self.header("slug").map(sanitize_slug).unwrap_or_default();
        for attempt in 0..16 {
            let mut name = if slug.is_empty() || attempt > 0 {
                let suffix = random_name();
                if slug.is_empty() {
                    suffix
                } else {
                    format!("{slug}-{}", &suffix[..8])
                }
            } else {
                slug.clone()
            };
            if as_container {
                name.push('/');
            }
            let path = self.path.child(&name)?;
            let stored_type = self.check_body(&path, &content_type, &body)?;
            let write = Write::Put {
                path,
                content_type: stored_type,
                body: body.clone(),
                precondition: Precondition::Absent,
            };
            match self.commit(write).await {
                Ok(outcome) => return Ok(self.written(outcome)),
                Err(StoreError::PreconditionFailed | StoreError::SlashConflict(..)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ApiError::conflict(
            "Could not find a free name for the new resource; try another Slug.",
        ))
    }

    async fn patch(&self, body: Body) -> Result<Response, ApiError> {
        // Authorise before anything about the request is looked at: every
        // PATCH needs at least Append on its target (Control on an ACL), so
        // strangers learn nothing and cost nothing.
        let exists = self.exists().await?;
        let permissions = self
            .authorize("PATCH", exists, Some(ModeSet::APPEND))
            .await?;
        let content_type = self.content_type()?;
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let body = self.read_body_within(body, PATCH_MAX_BODY_BYTES).await?;
        // One budget for the whole request: parsing the patch and applying
        // every one of its operations.
        let mut budget = selfdata_rdf::Budget::new(self.state.config().rdf_limits);
        let patch = match essence.as_str() {
            "text/n3" => selfdata_rdf::Patch::parse_n3_within(&body, &self.uri, &mut budget),
            "application/sparql-update" => {
                selfdata_rdf::Patch::parse_sparql_update_within(&body, &self.uri, &mut budget)
            }
            _ => {
                return Err(ApiError::unsupported_media_type(format!(
                    "PATCH accepts {ACCEPT_PATCH}, not '{content_type}'."
                ))
                .with_header("accept-patch".parse().expect("static name"), ACCEPT_PATCH));
            }
        }?;
        // Deleting needs Write as well; asked only when the patch deletes.
        let modes = ModeSet::from(patch.required_modes()) | ModeSet::APPEND;
        if !self.is_acl() && !permissions.user.contains_all(modes) {
            self.access.require(&self.path, modes).await?;
        }
        let precondition = self.write_precondition()?;
        // The patch runs on the pod's writer, atomically with the write, so
        // concurrent patches of one resource apply one after the other.
        let uri = self.uri.clone();
        let is_container = self.path.is_container();
        let modify: selfdata_store::ModifyFn = Box::new(move |current| {
            let mut budget = budget.clone();
            let existing = current.map(|(meta, _)| meta.clone());
            // The stored document is held compactly while it is patched.
            let mut graph = match current {
                None => Document::new(),
                Some((meta, body)) => {
                    let Some(format) = RdfFormat::from_media_type(&meta.content_type) else {
                        return Err(Box::new(ApiError::unsupported_media_type(
                            "This resource is not RDF, so it cannot be patched; replace it with PUT.",
                        )));
                    };
                    if patch.is_noop() && !patch.required_modes().read {
                        // Nothing to check and nothing to change: not even parsed.
                        return Err(Box::new(Unchanged(meta.clone())));
                    }
                    if body.is_empty() {
                        Document::new()
                    } else {
                        Document::parse(body, format, &uri).map_err(ApiError::from)?
                    }
                }
            };
            let applied = patch
                .apply_to_document(&mut graph, &mut budget)
                .map_err(ApiError::from)?;
            if let (selfdata_rdf::Applied::Unchanged, Some(meta)) = (applied, existing) {
                // Nothing to write: no new version, no new ETag.
                return Err(Box::new(Unchanged(meta)));
            }
            if is_container && graph.has_predicate(NamedNodeRef::new_unchecked(LDP_CONTAINS)) {
                return Err(Box::new(containment_error()));
            }
            let bytes = graph
                .serialize(RdfFormat::Turtle, &uri)
                .map_err(ApiError::from)?;
            Ok((
                RdfFormat::Turtle.media_type().to_owned(),
                Bytes::from(bytes),
            ))
        });
        let outcome = match self
            .commit(Write::Modify {
                path: self.path.clone(),
                precondition,
                modify,
            })
            .await
        {
            Ok(outcome) => outcome,
            Err(StoreError::Rejected(inner)) => match inner.downcast::<Unchanged>() {
                Ok(unchanged) => {
                    let mut response = StatusCode::NO_CONTENT.into_response();
                    set_validators(response.headers_mut(), &unchanged.0);
                    return Ok(response);
                }
                Err(other) => return Err(StoreError::Rejected(other).into()),
            },
            Err(e) => return Err(e.into()),
        };
        Ok(self.written(outcome))
    }

    async fn delete(&self) -> Result<Response, ApiError> {
        self.authorize("DELETE", true, None).await?;
        if self.path.as_str() == "/.acl" {
            // The Solid Protocol: the root's ACL cannot be deleted, or nobody could ever get in.
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "The access control list of the pod's root cannot be deleted; replace it instead.",
            )
            .with_header(header::ALLOW, "OPTIONS, HEAD, GET, PUT, PATCH"));
        }
        let precondition = self.write_precondition()?;
        let outcome = self
            .commit(Write::Delete {
                path: self.path.clone(),
                precondition,
            })
            .await?;
        Ok(self.written(outcome))
    }

    // ---------------------------------------------------------------- storage description

    async fn storage_description(&self, method: &Method) -> Result<Response, ApiError> {
        if *method == Method::OPTIONS {
            let mut response = StatusCode::NO_CONTENT.into_response();
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(ALLOW_READ_ONLY));
            return Ok(response);
        }
        if *method != Method::GET && *method != Method::HEAD {
            return Err(ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "The storage description is maintained by the server and cannot be changed.",
            )
            .with_header(header::ALLOW, ALLOW_READ_ONLY));
        }
        // Public, as on Community Solid Server: it names only the storage and
        // the server's services, and a client given one shared document must
        // find them without Read on the pod's root.
        let storage = resource_uri(self.base(), self.pod, &ResourcePath::root());
        let format = conneg::choose_rdf(self.header(header::ACCEPT), RdfFormat::Turtle)
            .ok_or_else(|| not_acceptable(ACCEPT_RDF))?;
        let bytes = selfdata_rdf::serialize(
            &storage_description(
                &storage,
                &self.uri,
                self.state.config().notifications.as_ref(),
            ),
            format,
            &self.uri,
        )?;
        let mut response = bytes.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(format.media_type()),
        );
        headers.insert(header::ALLOW, HeaderValue::from_static(ALLOW_READ_ONLY));
        Ok(response)
    }
}

/// A 406 naming what the resource can be sent as: the RDF types for a
/// container or an RDF document, a file's own type for any other file.
fn not_acceptable(types: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_ACCEPTABLE,
        format!("This resource can be sent as {types}; none of them is in your Accept header."),
    )
}

fn set_validators(headers: &mut HeaderMap, meta: &Meta) {
    if let Ok(v) = HeaderValue::from_str(&meta.etag()) {
        headers.insert(header::ETAG, v);
    }
    let when =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(meta.modified_ms.max(0) as u64);
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(when)) {
        headers.insert(header::LAST_MODIFIED, v);
    }
}

fn modified_secs(meta: &Meta) -> i64 {
    meta.modified_ms.div_euclid(1000)
}

fn unix_secs(t: std::time::SystemTime) -> i64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The entity tags of an `If-Match` / `If-None-Match` list (weak prefix dropped).
fn etag_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/").to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

fn etag_list_matches(value: &str, etag: &str) -> bool {
    value.trim() == "*" || etag_list(value).iter().any(|t| t == etag)
}

/// Parses a single `bytes=` range against a body of `len` bytes.
/// `Ok(None)` means "send the whole body" (multiple ranges, other units).
fn parse_range(value: &str, len: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let unsatisfiable = || {
        ApiError::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            format!("The requested range is outside the resource, which has {len} bytes."),
        )
        .with_header(header::CONTENT_RANGE, &format!("bytes */{len}"))
    };
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| unsatisfiable())?;
            if n == 0 || len == 0 {
                return Err(unsatisfiable());
            }
            (len.saturating_sub(n), len - 1)
        }
        (s, "") => (
            s.parse().map_err(|_| unsatisfiable())?,
            len.saturating_sub(1),
        ),
        (s, e) => {
            let s: u64 = s.parse().map_err(|_| unsatisfiable())?;
            let e: u64 = e.parse().map_err(|_| unsatisfiable())?;
            if e < s {
                return Err(unsatisfiable());
            }
            (s, e.min(len.saturating_sub(1)))
        }
    };
    if start >= len {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end)))
}

/// The containment predicate, which only the server states.
const LDP_CONTAINS: &str = "http://www.w3.org/ns/ldp#contains";

/// The refusal of a container body that states containment triples.
fn containment_error() -> ApiError {
    ApiError::conflict(
        "Containment triples (ldp:contains) are managed by the server and cannot be written.",
    )
}

/// What a PATCH's modify function returns when the patch changed nothing in
/// an existing resource, so that nothing is written; carries the current
/// metadata for the validators of the answer.
#[derive(Debug)]
struct Unchanged(Meta);

impl std::fmt::Display for Unchanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the patch changed nothing")
    }
}

impl std::error::Error for Unchanged {}

/// Whether a `Link` header value asks for a container (`rel="type"` with ldp:Container or ldp:BasicContainer).
fn link_asks_for_container(value: &str) -> bool {
    value.split(',').any(|link| {
        let link = link.trim();
        let is_type = link.split(';').skip(1).any(|p| {
            p.trim()
                .replace(' ', "")
                .eq_ignore_ascii_case("rel=\"type\"")
                || p.trim().eq_ignore_ascii_case("rel=type")
        });
        is_type
            && (link.starts_with(&format!("<{LDP}BasicContainer>"))
                || link.starts_with(&format!("<{LDP}Container>")))
    })
}

/// Turns a `Slug` header into a safe resource name (may be empty).
fn sanitize_slug(raw: &str) -> String {
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
    let mut name: String = decoded
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    name = name.trim().trim_end_matches('/').to_owned();
    while name.ends_with(".acl") || name.ends_with(".meta") {
        let cut = name.rfind('.').unwrap_or(name.len());
        name.truncate(cut);
    }
    if name == "." || name == ".." || name.trim_matches('.').is_empty() {
        return String::new();
    }
    let mut end = name.len().min(120);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

fn random_name() -> String {
    let bytes: [u8; 16] = rand::random();
    let mut s = String::with_capacity(32);
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The storage description of a pod (Solid Protocol §4.1): the storage is a
/// `pim:Storage`, described by the document at `description`, which names
/// the subscription services of the notifications (Solid Notifications
/// Protocol §5: `notify:subscription`, each with its channel type and
/// features).
fn storage_description(
    storage: &str,
    description: &str,
    notifications: Option<&crate::NotificationsDiscovery>,
) -> selfdata_rdf::oxrdf::Graph {
    use selfdata_rdf::oxrdf::{Graph, NamedNode, Triple, vocab::rdf};
    let mut graph = Graph::new();
    let (Ok(storage), Ok(description)) = (NamedNode::new(storage), NamedNode::new(description))
    else {
        return graph;
    };
    let term = |iri: &str| NamedNode::new_unchecked(iri);
    graph.insert(&Triple::new(
        storage.clone(),
        rdf::TYPE,
        term("http://www.w3.org/ns/pim/space#Storage"),
    ));
    graph.insert(&Triple::new(
        description.clone(),
        rdf::TYPE,
        term("http://www.w3.org/ns/solid/terms#StorageDescription"),
    ));
    graph.insert(&Triple::new(
        description.clone(),
        term("http://www.w3.org/ns/solid/terms#storage"),
        storage,
    ));
    for service in notifications.map_or(&[][..], |n| &n.subscriptions) {
        let Ok(url) = NamedNode::new(&service.url) else {
            continue;
        };
        graph.insert(&Triple::new(
            description.clone(),
            term("http://www.w3.org/ns/solid/notifications#subscription"),
            url.clone(),
        ));
        graph.insert(&Triple::new(
            url.clone(),
            term("http://www.w3.org/ns/solid/notifications#channelType"),
            term(&service.channel_type),
        ));
        for feature in &service.features {
            graph.insert(&Triple::new(
                url.clone(),
                term("http://www.w3.org/ns/solid/notifications#feature"),
                term(feature),
            ));
        }
    }
    graph
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-3", 10).unwrap(), Some((0, 3)));
        assert_eq!(parse_range("bytes=5-", 10).unwrap(), Some((5, 9)));
        assert_eq!(parse_range("bytes=-2", 10).unwrap(), Some((8, 9)));
        assert_eq!(parse_range("bytes=8-100", 10).unwrap(), Some((8, 9)));
        assert!(parse_range("bytes=10-", 10).is_err());
        assert_eq!(parse_range("bytes=0-1,3-4", 10).unwrap(), None);
    }

    #[test]
    fn slugs() {
        assert_eq!(sanitize_slug("hello world"), "hello world");
        assert_eq!(sanitize_slug("a/b"), "a-b");
        assert_eq!(sanitize_slug(".."), "");
        assert_eq!(sanitize_slug("x.acl"), "x");
        assert_eq!(sanitize_slug("caf%C3%A9"), "café");
    }

    #[test]
    fn container_links() {
        assert!(link_asks_for_container(
            "<http://www.w3.org/ns/ldp#BasicContainer>; rel=\"type\""
        ));
        assert!(!link_asks_for_container(
            "<http://www.w3.org/ns/ldp#Resource>; rel=\"type\""
        ));
    }
}

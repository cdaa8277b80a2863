//! One inbox router for every service: a file posted to a pod's inbox is
//! offered to each service's [`Importer`]s, in the registry's order, and the
//! first that recognises it (from its media type and content, never its
//! name) imports it. Only the pod's owner's posts are imported; anyone
//! else's are proposals, stored in the inbox like any post (the answer says
//! nothing about the pod), which the owner imports from the service's page.

use std::sync::{Arc, OnceLock};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use selfdata_solid::error::ApiError;
use selfdata_solid::{Credentials, InboxHook};
use selfdata_store::PodName;

/// What an importer did with a file.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Where the original file is kept, from the pod's root (no leading `/`).
    pub original: String,
    /// Whether this import stored the original (false: it was imported before).
    pub new_original: bool,
    /// The import's summary, answered as JSON.
    pub summary: serde_json::Value,
}

/// Something a service imports from a posted file.
#[async_trait::async_trait]
pub trait Importer: Send + Sync {
    /// Whether a file of `content_type` with these bytes is one this importer takes.
    fn recognises(&self, content_type: &str, body: &[u8]) -> bool;

    /// Imports the file into `pod`, whole or not at all.
    async fn import(&self, pod: &PodName, body: Bytes) -> Result<Imported, ApiError>;
}

/// The inbox hook of the pods: offers a posted file to every importer.
#[derive(Default)]
pub struct InboxRouter {
    base_url: String,
    importers: OnceLock<Vec<Arc<dyn Importer>>>,
}

impl std::fmt::Debug for InboxRouter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboxRouter")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl InboxRouter {
    /// A router for the pods under `base_url`; it imports nothing until
    /// [`InboxRouter::offer_to`] hands it the importers (the hook is set on
    /// the Solid state before the services that share that state exist).
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            importers: OnceLock::new(),
        }
    }

    /// The importers, once, at start.
    pub fn offer_to(&self, importers: Vec<Arc<dyn Importer>>) {
        if self.importers.set(importers).is_err() {
            tracing::warn!("the inbox router's importers were already set");
        }
    }
}

#[async_trait::async_trait]
impl InboxHook for InboxRouter {
    async fn deliver(
        &self,
        pod: &PodName,
        content_type: &str,
        body: &Bytes,
        credentials: Option<&Credentials>,
    ) -> Option<Result<Response, ApiError>> {
        let owner = selfdata_solid::provision::webid_of(&self.base_url, pod);
        if credentials.is_none_or(|c| c.webid != owner) {
            return None;
        }
        let essence = content_type.split(';').next().unwrap_or("").trim();
        let importer = self
            .importers
            .get()?
            .iter()
            .find(|i| i.recognises(essence, body))?;
        Some(importer.import(pod, body.clone()).await.map(|done| {
            let status = if done.new_original {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let mut response = (
                status,
                [(header::CONTENT_TYPE, "application/json")],
                done.summary.to_string(),
            )
                .into_response();
            let location = format!("{}/{}/{}", self.base_url, pod, done.original);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }))
    }
}

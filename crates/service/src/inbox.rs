//! One inbox router for every service: a file posted to a pod's inbox is
//! offered to the import pipeline, whose first intake that recognises it
//! (from its media type and content, never its name, in the registry's
//! order) imports it. Only the pod's owner's posts are imported; anyone
//! else's are proposals, stored in the inbox like any post (the answer says
//! nothing about the pod), which the owner imports from a service's page (`/app/import/inbox`).

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use selfdata_solid::error::ApiError;
use selfdata_solid::{Credentials, InboxHook};
use selfdata_store::PodName;

use crate::intake::{ImportFailure, Pipeline};
use crate::upload::Upload;

/// The inbox hook of the pods: offers a posted file to the pipeline.
#[derive(Debug)]
pub struct InboxRouter {
    base_url: String,
    pipeline: Arc<Pipeline>,
}

impl InboxRouter {
    /// A router for the pods under `base_url`, importing through `pipeline`.
    pub fn new(base_url: &str, pipeline: Arc<Pipeline>) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            pipeline,
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
        let file = Upload::from(body.clone());
        let intake = match self.pipeline.recognise(content_type, &file).await {
            Ok(intake) => intake?,
            Err(e) => return Some(Err(api_error(e))),
        };
        let done = intake.run(&self.pipeline, pod, file, false, &|_| {}).await;
        Some(done.map_err(api_error).map(|done| {
            let status = if done.new_original {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            let body = serde_json::to_string(&done).unwrap_or_default();
            let mut response =
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            let location = format!("{}/{}/{}", self.base_url, pod, done.original);
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }))
    }
}

/// A failed import as the pod's API answers it: the file's fault is a 422
/// with the sentence, ours a 500 without details.
pub fn api_error(e: ImportFailure) -> ApiError {
    match e {
        ImportFailure::Store(e) => e.into(),
        ImportFailure::Damaged(m) => {
            tracing::error!(error = %m, "stored data could not be read back");
            ApiError::internal()
        }
        e => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}

//! The one HTTP error type: every 4xx and 5xx leaves as an RFC 9457
//! `application/problem+json` body with a human sentence.
//!
//! A 5xx tells the client nothing internal; the details go to the log.

use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use selfdata_rdf::{BudgetExceeded, PatchError, RdfError};
use selfdata_store::{NameError, StoreError};

/// An error answered to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// A sentence a person can act on.
    pub detail: String,
    /// Extra response headers (a `Vec`, not a `HeaderMap`, to keep the error small).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "There is no resource at this address.",
        )
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "The resource has changed since you last read it (or does not exist); read it again before writing.",
        )
    }

    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail)
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on the server; nothing was changed by this request. Please try again later.",
        )
    }

    /// Adds a response header (e.g. `Allow` on 405, `WWW-Authenticate` on 401).
    pub fn with_header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(v) = HeaderValue::from_str(value) {
            self.headers.push((name, v));
        }
        self
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.detail)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let title = self.status.canonical_reason().unwrap_or("Error");
        let body = serde_json::json!({
            "type": "about:blank",
            "title": title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut response = (self.status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            response.headers_mut().append(name, value);
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NoSuchPod(_) | StoreError::NotFound(_) => ApiError::not_found(),
            StoreError::PodExists(_) | StoreError::AccountExists(_) => {
                ApiError::conflict(sentence(&e.to_string()))
            }
            StoreError::PreconditionFailed => ApiError::precondition_failed(),
            StoreError::ParentIsDocument(_)
            | StoreError::SlashConflict(..)
            | StoreError::ContainerNotEmpty(_) => ApiError::conflict(sentence(&e.to_string())),
            StoreError::RootDelete => ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "The root of a pod cannot be deleted this way.",
            )
            .with_header(header::ALLOW, crate::ldp::ALLOW_ROOT),
            StoreError::Name(e) => e.into(),
            StoreError::Rejected(inner) => match inner.downcast::<ApiError>() {
                Ok(api) => *api,
                Err(other) => {
                    tracing::error!(error = %other, "a write was rejected");
                    ApiError::internal()
                }
            },
            StoreError::DiskFull => {
                tracing::error!("storage failure: the disk holding the data is full");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    "The server's disk is full, so nothing was changed by this request. \
                     Deleting resources still works; the operator has been told to free some space.",
                )
            }
            StoreError::QuotaExceeded { used, quota, .. } => ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "This pod is full: it holds {} of its {} of storage, and this request would take it beyond. \
                     Nothing was changed; delete resources you no longer need to make room.",
                    selfdata_site::human_bytes(used),
                    selfdata_site::human_bytes(quota)
                ),
            ),
            StoreError::Busy => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server is busy with many pods right now; please try again in a few seconds.",
            )
            .with_header(header::RETRY_AFTER, "2"),
            StoreError::Unavailable(detail) => {
                tracing::warn!(%detail, "the database is away");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is switching over or restarting; nothing was changed by this request. Please try again in a few seconds.",
                )
                .with_header(header::RETRY_AFTER, "2")
            }
            StoreError::Conflict => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Many changes reached this resource at once and this one could not be applied; nothing was changed. Please try again.",
            )
            .with_header(header::RETRY_AFTER, "1"),
            StoreError::Locked(detail) => {
                tracing::error!(%detail, "storage failure");
                ApiError::internal()
            }
            e @ StoreError::NewerFormat { .. } => {
                tracing::error!(error = %e, "storage failure");
                ApiError::internal()
            }
            StoreError::Io(detail) => {
                tracing::error!(%detail, "storage failure");
                ApiError::internal()
            }
        }
    }
}

impl From<NameError> for ApiError {
    fn from(e: NameError) -> Self {
        ApiError::bad_request(format!("This address cannot name a resource: {e}."))
    }
}

impl From<RdfError> for ApiError {
    fn from(e: RdfError) -> Self {
        if let RdfError::Budget(exceeded) = e {
            return exceeded.into();
        }
        if e.http_status() >= 500 {
            tracing::error!(error = %e, "RDF processing failed");
            return ApiError::internal();
        }
        ApiError::bad_request(format!("The body is not valid RDF: {e}"))
    }
}

/// A request past its RDF budget: 413 (document too large) or 422 (update
/// too expensive), with the limit in the sentence.
impl From<BudgetExceeded> for ApiError {
    fn from(e: BudgetExceeded) -> Self {
        let status =
            StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
        ApiError::new(status, sentence(&format!("This request was refused: {e}")))
    }
}

impl From<PatchError> for ApiError {
    fn from(e: PatchError) -> Self {
        if let PatchError::Budget(exceeded) = e {
            return exceeded.into();
        }
        if e.http_status() >= 500 {
            tracing::error!(error = %e, "patch processing failed");
            return ApiError::internal();
        }
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        ApiError::new(status, format!("The patch could not be applied: {e}"))
    }
}

/// Capitalises a message and ends it with a full stop.
pub(crate) fn sentence(s: &str) -> String {
    let mut chars = s.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_pressure_is_507_or_503_with_a_sentence() {
        let full = ApiError::from(StoreError::DiskFull);
        assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(full.detail.contains("Deleting resources still works"));
        let quota = ApiError::from(StoreError::QuotaExceeded {
            pod: "alice".into(),
            used: 1024 * 1024 * 1024,
            quota: 1024 * 1024 * 1024,
        });
        assert_eq!(quota.status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(quota.detail.contains("1 GiB"), "{}", quota.detail);
        let busy = ApiError::from(StoreError::Busy);
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(busy.headers.iter().any(|(n, _)| n == header::RETRY_AFTER));
    }
}

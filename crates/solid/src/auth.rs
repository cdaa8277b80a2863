//! The one place where the server decides whether a request may proceed.
//!
//! Until accounts and Web Access Control arrive, a pod answers only to its
//! owner's bearer token, printed once by `selfdata pod create`. Nothing is
//! public. Every handler calls [`authorize`] before touching the store, so
//! WAC replaces this function and nothing else.

use axum::http::{HeaderMap, StatusCode, header};
use selfdata_store::{PodName, ResourcePath};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// Access modes, as Web Access Control names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Read,
    /// Add without removing: POST, insert-only PATCH.
    Append,
    Write,
    Control,
}

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Agent {
    Owner,
}

/// The SHA-256 of a bearer token, as stored.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Decides whether the request's credentials allow `mode` on `path` of `pod`.
pub async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    pod: &PodName,
    _path: &ResourcePath,
    _mode: Mode,
) -> Result<Agent, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized(
            "This resource is private. Send the pod owner's token as 'Authorization: Bearer <token>'.",
            None,
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            unauthorized(
                "The Authorization header must be 'Bearer <token>'.",
                Some("invalid_request"),
            )
        })?;
    let expected = state.owner_token_hash(pod).await?;
    match expected {
        Some(hash) if hash == token_hash(token) => Ok(Agent::Owner),
        Some(_) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "This token does not give access to this pod.",
        )),
        None => Err(ApiError::not_found()),
    }
}

fn unauthorized(detail: &str, error: Option<&str>) -> ApiError {
    let challenge = match error {
        Some(e) => format!("Bearer realm=\"selfdata\", error=\"{e}\""),
        None => "Bearer realm=\"selfdata\"".to_owned(),
    };
    ApiError::new(StatusCode::UNAUTHORIZED, detail)
        .with_header(header::WWW_AUTHENTICATE, &challenge)
}

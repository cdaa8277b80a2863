//! Pods and pages on separate origins (`serve --pages-url`).
//!
//! Everything stored in a pod is already served inert (`ldp::inert`: a
//! sandbox CSP, `nosniff`, active types as attachments). An operator who
//! wants a second wall puts the resident pages and the identity provider on
//! an origin of their own (`https://my.city.example`) and the pods on
//! another (`https://pods.city.example`), both pointing at this one server.
//! Then the browser itself keeps pod content away from the pages: the
//! session cookie is host-only (no `Domain`), so it is only ever sent to the
//! pages' host, and no pod resource shares their origin.
//!
//! This layer routes by the request's host: a page path asked on the pods'
//! host, or a pod path asked on the pages' host, is redirected (308, method
//! and body kept) to the same path on the right origin. Nothing is served
//! from the wrong one.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Options;

/// The two origins, when they differ.
#[derive(Debug)]
pub struct Split {
    /// `host[:port]` of the pages, lower case.
    pages_authority: String,
    pages_url: String,
    pods_url: String,
}

impl Split {
    /// `None` when pages and pods share one origin (no `pages_url`, or the
    /// same host as `base_url`).
    pub fn new(options: &Options) -> Option<Self> {
        let pages_url = options.pages_url.as_deref()?.trim_end_matches('/');
        let pods_url = options.base_url.trim_end_matches('/');
        let pages_authority = authority_of(pages_url)?;
        if Some(&pages_authority) == authority_of(pods_url).as_ref() {
            return None;
        }
        Some(Self {
            pages_authority,
            pages_url: pages_url.to_owned(),
            pods_url: pods_url.to_owned(),
        })
    }
}

fn authority_of(url: &str) -> Option<String> {
    let uri: Uri = url.parse().ok()?;
    Some(uri.authority()?.as_str().to_ascii_lowercase())
}

/// Paths that belong to the pages' origin: the cookie-authenticated pages
/// and their assets, and the identity provider (the issuer lives there).
pub fn is_pages_path(path: &str) -> bool {
    selfdata_solid::cors::is_cookie_route(path)
        || path.starts_with("/idp/")
        || path == "/.well-known/openid-configuration"
}

pub async fn split(State(split): State<Arc<Split>>, request: Request, next: Next) -> Response {
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default()
        .to_ascii_lowercase();
    let path = request.uri().path();
    let on_pages_host = host == split.pages_authority;
    let target = match (on_pages_host, is_pages_path(path)) {
        (true, true) | (false, false) => return next.run(request).await,
        // /health answers on both.
        (_, false) if path == "/health" => return next.run(request).await,
        (true, false) => &split.pods_url,
        (false, true) => &split.pages_url,
    };
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    match HeaderValue::from_str(&format!("{target}{path_and_query}")) {
        Ok(location) => (
            StatusCode::PERMANENT_REDIRECT,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => selfdata_solid::error::ApiError::new(
            StatusCode::BAD_REQUEST,
            "This address cannot be redirected to the right origin.",
        )
        .into_response(),
    }
}

//! CORS as the Solid Protocol asks: any origin may call the Solid API and the
//! provider's token endpoints (access is decided by tokens, never by
//! cookies), the `Origin` is echoed, the headers a Solid client reads are
//! exposed, and preflights are answered here.
//!
//! The resident pages and every other cookie-authenticated route
//! ([`is_cookie_route`]) get no CORS headers at all, preflight included: a
//! page on another origin (another port, a sibling subdomain, a sandboxed
//! document from a pod) can never read them with the resident's cookie.
//!
//! A plain `OPTIONS` (without `Access-Control-Request-Method`) is not a
//! preflight: it reaches the resource, which answers with `Allow` and the
//! `Accept-*` headers. That is why this is not tower-http's `CorsLayer`,
//! which takes every `OPTIONS` as a preflight.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Headers a Solid client needs to read from a cross-origin response.
const EXPOSED: &str = "Accept-Patch, Accept-Post, Accept-Put, Allow, Content-Range, ETag, \
    Last-Modified, Link, Location, Updates-Via, WAC-Allow, WWW-Authenticate, X-Request-Id";
const METHODS: &str = "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE";

/// First path segments of the routes authenticated by the session cookie
/// (the resident pages under `/app`, the account pages and their assets;
/// `energy` and `privacy` are the services' old addresses, which redirect to
/// `/app/…`); `/idp/authorize` is one too.
pub const COOKIE_ROUTE_PREFIXES: &[&str] = &["account", "app", "assets", "energy", "privacy"];

/// Whether `path` is authenticated by the session cookie (the home page `/`
/// is one): such routes are
/// never shared with other origins.
pub fn is_cookie_route(path: &str) -> bool {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    path == "/" || COOKIE_ROUTE_PREFIXES.contains(&first) || path.starts_with("/idp/authorize")
}

pub async fn layer(request: Request, next: Next) -> Response {
    if is_cookie_route(request.uri().path()) {
        let mut response = next.run(request).await;
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("Origin"));
        return response;
    }
    let origin = request.headers().get(header::ORIGIN).cloned();
    let is_preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if is_preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let requested_headers = request
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .cloned();
        let h = response.headers_mut();
        allow_origin(h, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        if let Some(requested) = requested_headers {
            h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested);
        }
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("3600"),
        );
        h.append(
            header::VARY,
            HeaderValue::from_static(
                "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
            ),
        );
        return response;
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if origin.is_some() {
        allow_origin(h, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED),
        );
    }
    // Representations vary with content negotiation and credentials too;
    // one header here rather than another layer.
    h.append(
        header::VARY,
        HeaderValue::from_static("Accept, Authorization, Origin"),
    );
    response
}

fn allow_origin(h: &mut HeaderMap, origin: Option<HeaderValue>) {
    match origin {
        Some(o) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
}

//! The framework's own refusals in the application's shape.
//!
//! axum answers a missing query field, a form or JSON body it cannot read,
//! a wrong method or a body over its limit with `text/plain` (or nothing at
//! all). [`layer`] sits at the root of the router, so no handler can forget
//! it: any 4xx or 5xx that is neither JSON nor a page leaves as RFC 9457
//! problem+json with a sentence, and on the OAuth endpoints
//! ([`OAUTH_ENDPOINTS`]) as an RFC 6749 / RFC 7591 error object
//! (`{"error":"invalid_request","error_description":"…"}`).

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, sentence};

/// Paths whose errors follow OAuth 2.0 (RFC 6749 §5.2, RFC 7591 §3.2.2)
/// rather than RFC 9457.
pub const OAUTH_ENDPOINTS: [&str; 3] = ["/idp/token", "/idp/register", "/idp/authorize"];

/// The largest framework refusal read back to be reworded; they are one line.
const MAX_REFUSAL_BYTES: usize = 4096;

/// Rewords the framework's plain-text refusals; everything else passes untouched.
///
/// `Router::layer` wraps each route, so a 405 passes here before axum adds
/// its `Allow` header: the sentence names the method refused, and the
/// header still reaches the client.
pub async fn layer(req: Request, next: Next) -> Response {
    let oauth = OAUTH_ENDPOINTS.contains(&req.uri().path());
    let method = req.method().clone();
    let response = next.run(req).await;
    if !is_plain_refusal(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let text = axum::body::to_bytes(body, MAX_REFUSAL_BYTES)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .unwrap_or_default();
    let allow = parts
        .headers
        .get(header::ALLOW)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let detail = explain(parts.status, &method, &text, allow.as_deref());
    let mut answer = if oauth {
        oauth_error(parts.status, &detail)
    } else {
        ApiError::new(parts.status, detail).into_response()
    };
    // Every other header stays (Allow, Retry-After, CORS, request id).
    let mut headers = parts.headers;
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    for (name, value) in answer.headers() {
        headers.insert(name, value.clone());
    }
    *answer.headers_mut() = headers;
    answer
}

/// A 4xx or 5xx in plain text or with no body type: what axum, tower-http
/// and a bare `(StatusCode, &str)` answer.
fn is_plain_refusal(response: &Response) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    match response.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(t) => t.as_bytes().starts_with(b"text/plain"),
    }
}

/// An OAuth error object: 401 `invalid_client`, 5xx `server_error`,
/// `temporarily_unavailable` when busy, otherwise `invalid_request`.
pub fn oauth_error(status: StatusCode, description: &str) -> Response {
    let error = match status {
        StatusCode::UNAUTHORIZED => "invalid_client",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => {
            "temporarily_unavailable"
        }
        s if s.is_server_error() => "server_error",
        _ => "invalid_request",
    };
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A sentence for a refusal, from its status and axum's wording.
fn explain(status: StatusCode, method: &Method, text: &str, allow: Option<&str>) -> String {
    match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            return match allow.filter(|a| !a.is_empty()) {
                Some(allow) => format!(
                    "This address does not answer {method} requests; it answers {}.",
                    allow.replace(',', ", ").replace("  ", " ")
                ),
                None => format!("This address does not answer {method} requests."),
            };
        }
        StatusCode::NOT_FOUND if text.is_empty() => {
            return "There is nothing at this address.".to_owned();
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            return "The request body is larger than this address accepts.".to_owned();
        }
        _ => {}
    }
    if let Some(rest) = text.strip_prefix("Failed to deserialize query string: ") {
        return format!(
            "The query string is not what this address expects: {}",
            serde_detail(rest)
        );
    }
    if let Some(rest) = text
        .strip_prefix("Failed to deserialize form body: ")
        .or_else(|| text.strip_prefix("Failed to deserialize form: "))
    {
        return format!(
            "The form is not what this address expects: {}",
            serde_detail(rest)
        );
    }
    if let Some(rest) =
        text.strip_prefix("Failed to deserialize the JSON body into the target type: ")
    {
        return format!(
            "The JSON body is not what this address expects: {}",
            serde_detail(rest)
        );
    }
    if let Some(rest) = text.strip_prefix("Failed to parse the request body as JSON: ") {
        return format!("The body is not valid JSON: {}", serde_detail(rest));
    }
    if text.starts_with("Expected request with `Content-Type: application/json`") {
        return "The body must be JSON, sent with Content-Type: application/json.".to_owned();
    }
    if text.starts_with("Form requests must have") {
        return "The body must be a form, sent with Content-Type: application/x-www-form-urlencoded."
            .to_owned();
    }
    if text.contains("length limit exceeded") {
        return "The request body is larger than this address accepts.".to_owned();
    }
    if text.is_empty() {
        return match status.canonical_reason() {
            Some(reason) if status.is_client_error() => {
                format!("This request was refused ({reason}).")
            }
            _ => "Something went wrong on the server; please try again later.".to_owned(),
        };
    }
    sentence(text)
}

/// serde's wording as the end of a sentence: "missing field `fluid`" →
/// "the field `fluid` is missing."
fn serde_detail(text: &str) -> String {
    let text = text.trim();
    if let Some(field) = text
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        return format!("the field `{field}` is missing.");
    }
    if let Some(rest) = text.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        return format!("`{value}` is not accepted here; expected {expected}.");
    }
    let mut out = text.to_owned();
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axum_wording_becomes_a_sentence() {
        let get = Method::GET;
        assert_eq!(
            explain(
                StatusCode::BAD_REQUEST,
                &get,
                "Failed to deserialize query string: missing field `fluid`",
                None
            ),
            "The query string is not what this address expects: the field `fluid` is missing."
        );
        assert_eq!(
            explain(StatusCode::METHOD_NOT_ALLOWED, &get, "", Some("POST")),
            "This address does not answer GET requests; it answers POST."
        );
    }
}

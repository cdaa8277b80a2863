//! What a browser reads at an address that nothing answers.
//!
//! A resident who mistypes an address, or follows an old link, used to get
//! the problem+json body meant for programs. [`layer`] sits at the root of
//! the router: when a request's `Accept` prefers HTML and the answer is the
//! server's own 404, 401 or 403 for an address that belongs to no pod and no
//! route (marked [`Unclaimed`] by the LDP fallback), it answers the site's
//! page instead ([`selfdata_site::address_page`]: a sentence and a link
//! home, same status). Everything else passes untouched: API clients keep
//! problem+json, and an existing pod's answers (stored content and refusals
//! alike) keep their JSON and their inert `Content-Security-Policy`.

use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use crate::conneg::prefers_html;
use crate::ldp::Unclaimed;

/// Set on a request whose `Accept` prefers HTML, so that the LDP fallback
/// finds out (only then) whether a refused address lies in a pod.
#[derive(Debug, Clone, Copy)]
pub struct PageWanted;

/// See the module's documentation.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if !prefers_html(accept) {
        return next.run(req).await;
    }
    let (headers, uri) = (req.headers().clone(), req.uri().clone());
    req.extensions_mut().insert(PageWanted);
    let response = next.run(req).await;
    if response.extensions().get::<Unclaimed>().is_none() {
        return response;
    }
    // The request id is added by an outer layer, as on every answer.
    selfdata_site::address_page(&headers, &uri, response.status())
}

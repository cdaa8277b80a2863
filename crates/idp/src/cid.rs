//! Client ID Documents fetched without letting an app reach into the
//! operator's network (server-side request forgery).
//!
//! An app names itself by a URL; the provider GETs that document to learn
//! the app's name and redirect URIs. The URL comes from whoever builds the
//! authorization link, so the fetch is fenced: `https` only (`http` only
//! when the operator allows it, for tests and development, which also
//! allows loopback addresses), every address of the host public
//! ([`selfdata_connect::fence`], which the webhooks share), no proxy, no
//! redirect, a 5-second budget and a 64 KiB cap read as it streams. Every failure gives the same [`Unusable`] error, so the answer
//! says nothing about what listens where; the reason goes to the debug log.

use std::time::Duration;

use axum::http::header;
use selfdata_connect::fence;

/// Largest Client ID Document read, in bytes.
pub const MAX_DOCUMENT: usize = 64 * 1024;

/// The one error of a Client ID Document that cannot be used, whatever the cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("The app's Client ID Document could not be used.")]
pub struct Unusable;

/// Fetches Client ID Documents within the fence described above.
pub(crate) struct Fetcher {
    client: reqwest::Client,
    allow_http: bool,
}

impl Fetcher {
    /// `allow_http`: `http:` documents and loopback addresses are allowed
    /// (tests and development only).
    pub(crate) fn new(allow_http: bool) -> Result<Self, reqwest::Error> {
        let client = fence::fenced_client(allow_http, Duration::from_secs(5))?;
        Ok(Self { client, allow_http })
    }

    /// The JSON document at `url`, or [`Unusable`].
    pub(crate) async fn fetch(&self, url: &str) -> Result<serde_json::Value, Unusable> {
        self.try_fetch(url).await.map_err(|why| {
            tracing::debug!(url, why, "a Client ID Document was refused");
            Unusable
        })
    }

    async fn try_fetch(&self, url: &str) -> Result<serde_json::Value, &'static str> {
        let parsed = fence::check_url(url, self.allow_http)?;
        let mut response = self
            .client
            .get(parsed)
            .header(header::ACCEPT, "application/ld+json, application/json")
            .send()
            .await
            .map_err(|_| "request")?;
        if !response.status().is_success() {
            return Err("status");
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_DOCUMENT as u64)
        {
            return Err("too large");
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|_| "body")? {
            if body.len() + chunk.len() > MAX_DOCUMENT {
                return Err("too large");
            }
            body.extend_from_slice(&chunk);
        }
        serde_json::from_slice(&body).map_err(|_| "not JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_failure_is_the_same_error() {
        let f = Fetcher::new(false).unwrap();
        for url in [
            "http://example.org/id",
            "https://127.0.0.1/id",
            "https://[::1]/id",
            "https://user:pw@example.org/id",
            "ftp://example.org/id",
            "not a url",
        ] {
            assert_eq!(f.fetch(url).await, Err(Unusable), "{url}");
        }
    }
}

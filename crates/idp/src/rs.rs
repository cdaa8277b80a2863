//! The resource server side: who a request on a pod speaks for.
//!
//! `Authorization: DPoP <token>` with a `DPoP` proof (htm, htu, iat window,
//! jti replay, also across a restart (see `Idp::fresh_proof`), `ath` when present, key binding to the token's `cnf.jkt`), or
//! `Authorization: Bearer <token>` for tokens issued without a DPoP key (the
//! client-credentials grant used without a proof, for scripts and curl).
//! The token must be signed by this provider (or by an issuer the operator
//! allow-listed, whose keys are fetched through its discovery document),
//! unexpired, not revoked, and its issuer must be listed as
//! `solid:oidcIssuer` in the WebID's profile (fetched, time-bounded, when the
//! WebID lives elsewhere).

use std::collections::HashMap;
use std::time::Instant;

use axum::http::{HeaderMap, Method, header};
use parking_lot::RwLock;
use selfdata_oidc::{AccessClaims, DpopCheck};
use selfdata_rdf::RdfFormat;
use selfdata_rdf::oxrdf::{NamedNodeRef, NamedOrBlankNodeRef, TermRef};
use selfdata_solid::error::ApiError;
use selfdata_solid::{Authenticator, Credentials, auth::unauthorized};

use crate::{Idp, now};

const OIDC_ISSUER: &str = "http://www.w3.org/ns/solid/terms#oidcIssuer";
const ISSUER_CACHE_SECS: u64 = 30;

const REMOTE_KEYS_SECS: u64 = 300;
const MAX_REMOTE_DOC: usize = 256 * 1024;

/// Decoded key sets of allow-listed remote issuers, refreshed every few minutes.
#[derive(Default)]
pub(crate) struct RemoteKeys {
    entries: RwLock<HashMap<String, (Instant, std::sync::Arc<selfdata_oidc::Jwks>)>>,
}

/// The issuers each WebID trusts, cached for a short while.
#[derive(Default)]
pub(crate) struct IssuerCache {
    entries: RwLock<HashMap<String, (Instant, Vec<String>)>>,
}

impl Idp {
    /// Whether the WebID's profile lists `issuer` as its `solid:oidcIssuer`.
    async fn webid_trusts(&self, webid: &str, issuer: &str) -> bool {
        if let Some((at, issuers)) = self.issuers.entries.read().get(webid)
            && at.elapsed().as_secs() < ISSUER_CACHE_SECS
        {
            return issuers.iter().any(|i| i == issuer);
        }
        self.issuers_of(webid).await.iter().any(|i| i == issuer)
    }

    /// The `solid:oidcIssuer` values of a WebID (read again after a short while).
    async fn issuers_of(&self, webid: &str) -> Vec<String> {
        let issuers = self.load_issuers(webid).await.unwrap_or_default();
        let mut entries = self.issuers.entries.write();
        if entries.len() > 100_000 {
            entries.clear();
        }
        entries.insert(webid.to_owned(), (Instant::now(), issuers.clone()));
        issuers
    }

    async fn load_issuers(&self, webid: &str) -> Option<Vec<String>> {
        let doc = webid.split('#').next()?;
        let (format, body) = match doc.strip_prefix(&self.config.pods_url) {
            Some(rest) => {
                let selfdata_solid::uri::Target::Resource(pod, path) =
                    selfdata_solid::uri::parse_target(rest).ok()?
                else {
                    return None;
                };
                let (meta, body) = self.pods.get(&pod, &path).await.ok()??;
                (
                    RdfFormat::from_media_type(&meta.content_type)?,
                    body.to_vec(),
                )
            }
            // A WebID hosted elsewhere is fetched only when the operator trusts other issuers.
            None if !self.config.trusted_issuers.is_empty() => self.fetch_profile(doc).await?,
            None => return None,
        };
        let graph = selfdata_rdf::parse(&body, format, doc).ok()?;
        let me = NamedNodeRef::new(webid).ok()?;
        Some(
            graph
                .objects_for_subject_predicate(
                    NamedOrBlankNodeRef::NamedNode(me),
                    NamedNodeRef::new_unchecked(OIDC_ISSUER),
                )
                .filter_map(|o| match o {
                    TermRef::NamedNode(n) => Some(n.as_str().to_owned()),
                    _ => None,
                })
                .collect(),
        )
    }

    /// Verifies an access token; a token seen before is not checked again
    /// (its signature cannot change), only its times and issuer.
    /// GETs a remote WebID profile (Turtle or JSON-LD), time-bounded and size-limited.
    async fn fetch_profile(&self, doc: &str) -> Option<(RdfFormat, Vec<u8>)> {
        let response = self
            .http
            .get(doc)
            .header(header::ACCEPT, "text/turtle, application/ld+json;q=0.9")
            .send()
            .await
            .ok()?;
        if !response.status().is_success() {
            return None;
        }
        let format = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(RdfFormat::from_media_type)?;
        let body = response.bytes().await.ok()?;
        (body.len() <= MAX_REMOTE_DOC).then(|| (format, body.to_vec()))
    }

    /// A small JSON document over the time-bounded client.
    async fn get_json(&self, url: &str) -> Option<serde_json::Value> {
        let response = self.http.get(url).send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = response.bytes().await.ok()?;
        if body.len() > MAX_REMOTE_DOC {
            return None;
        }
        serde_json::from_slice(&body).ok()
    }

    /// The key set of an allow-listed issuer, from its discovery document.
    async fn remote_jwks(&self, issuer: &str) -> Option<std::sync::Arc<selfdata_oidc::Jwks>> {
        if let Some((at, jwks)) = self.remote_keys.entries.read().get(issuer)
            && at.elapsed().as_secs() < REMOTE_KEYS_SECS
        {
            return Some(jwks.clone());
        }
        let discovery = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let config = self.get_json(&discovery).await?;
        if config.get("issuer").and_then(|v| v.as_str()) != Some(issuer) {
            return None;
        }
        let jwks_uri = config.get("jwks_uri")?.as_str()?;
        let jwks = self.get_json(jwks_uri).await?;
        let jwks = std::sync::Arc::new(selfdata_oidc::Jwks::from_json(&jwks).ok()?);
        self.remote_keys
            .entries
            .write()
            .insert(issuer.to_owned(), (Instant::now(), jwks.clone()));
        Some(jwks)
    }

    /// Verifies a token of this provider, or of an allow-listed one.
    async fn verify_any(&self, token: &str) -> Result<AccessClaims, ApiError> {
        if self.config.trusted_issuers.is_empty() {
            return self.verify(token);
        }
        let issuer = selfdata_oidc::unverified_issuer(token).unwrap_or_default();
        if issuer == self.config.issuer() || !self.config.trusted_issuers.contains(&issuer) {
            return self.verify(token);
        }
        let jwks = self.remote_jwks(&issuer).await.ok_or_else(|| {
            unauthorized("The token's issuer could not be reached to check its keys.")
        })?;
        let check = selfdata_oidc::AccessTokenCheck::new(&issuer, now());
        self.verified
            .verify_with_jwks(&jwks, token, &check)
            .map_err(|e| unauthorized(&format!("The access token was refused: {e}")))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let keys = self.keys.read();
        let issuer = self.config.issuer();
        let check = selfdata_oidc::AccessTokenCheck::new(&issuer, now());
        self.verified
            .verify(&keys, token, &check)
            .map_err(|e| unauthorized(&format!("The access token was refused: {e}")))
    }
}

#[async_trait::async_trait]
impl Authenticator for Idp {
    async fn authenticate(
        &self,
        method: &Method,
        url: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Credentials>, ApiError> {
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Ok(None);
        };
        let value = value
            .to_str()
            .map_err(|_| unauthorized("The Authorization header is not readable."))?;
        let (scheme, token) = value.split_once(' ').ok_or_else(|| {
            unauthorized("The Authorization header must be 'DPoP <token>' or 'Bearer <token>'.")
        })?;
        let token = token.trim();
        let claims = if scheme.eq_ignore_ascii_case("dpop") {
            let proof = headers
                .get("dpop")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| unauthorized("A DPoP token needs a DPoP proof header."))?;
            // `ath` is checked when present; Solid clients (Inrupt's libraries)
            // do not send it, see `DpopCheck::allow_missing_ath`.
            let check = DpopCheck::new(proof, method.as_str(), url, now())
                .with_access_token(token)
                .allowing_missing_ath();
            let verified = selfdata_oidc::verify_dpop_proof(&check)
                .map_err(|e| unauthorized(&format!("The DPoP proof was refused: {e}")))?;
            let claims = self.verify_any(token).await?;
            claims
                .check_binding(&verified)
                .map_err(|e| unauthorized(&format!("The DPoP proof was refused: {e}")))?;
            self.fresh_proof(&verified).map_err(unauthorized)?;
            if let Err(e) = self.remember_proof(&verified).await {
                tracing::error!(error = %e, "remembering a DPoP proof failed");
                return Err(unauthorized(
                    "This DPoP proof could not be recorded; make a new one.",
                ));
            }
            claims
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let claims = self.verify_any(token).await?;
            if claims.cnf.is_some() {
                return Err(unauthorized(
                    "This token is bound to a DPoP key: send it as 'DPoP' with a proof.",
                ));
            }
            claims
        } else {
            return Err(unauthorized(
                "The Authorization header must be 'DPoP <token>' or 'Bearer <token>'.",
            ));
        };
        if let Some(sid) = &claims.sid
            && self.revoked.read().contains(sid)
        {
            return Err(unauthorized("This access was revoked."));
        }
        if !self.webid_trusts(&claims.webid, &claims.iss).await {
            return Err(unauthorized(
                "The WebID's profile does not trust this token's issuer.",
            ));
        }
        Ok(Some(Credentials {
            webid: claims.webid,
            client_id: Some(claims.client_id),
        }))
    }
}

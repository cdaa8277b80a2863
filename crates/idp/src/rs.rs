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
use selfdata_solid::{Authenticator, Credentials, auth::invalid_token};

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
        let issuer = selfdata_oidc::unverified_issuer(token).unwrap_or_default();
        if self.config.trusted_issuers.is_empty()
            || issuer == self.config.issuer()
            || !self.config.trusted_issuers.contains(&issuer)
        {
            return match self.verify(token) {
                // Signed by a key another server made since this one read them?
                Err(_) if self.reload_keys().await => self.verify(token),
                other => other,
            };
        }
        let jwks = self.remote_jwks(&issuer).await.ok_or_else(|| {
            invalid_token("The token's issuer could not be reached to check its keys.")
        })?;
        let check = selfdata_oidc::AccessTokenCheck::new(&issuer, now());
        self.verified
            .verify_with_jwks(&jwks, token, &check)
            .map_err(|e| invalid_token(&format!("The access token was refused: {e}")))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let keys = self.keys.read();
        let issuer = self.config.issuer();
        let check = selfdata_oidc::AccessTokenCheck::new(&issuer, now());
        self.verified
            .verify(&keys, token, &check)
            .map_err(|e| invalid_token(&format!("The access token was refused: {e}")))
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
            .map_err(|_| invalid_token("The Authorization header is not readable."))?;
        if no_credentials(value, headers.get("dpop")) {
            return Ok(None);
        }
        let (scheme, token) = value.split_once(' ').ok_or_else(|| {
            invalid_token("The Authorization header must be 'DPoP <token>' or 'Bearer <token>'.")
        })?;
        let token = token.trim();
        let claims = if scheme.eq_ignore_ascii_case("dpop") {
            let proof = headers
                .get("dpop")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| invalid_token("A DPoP token needs a DPoP proof header."))?;
            // `ath` is checked when present; Solid clients (Inrupt's libraries)
            // do not send it, see `DpopCheck::allow_missing_ath`.
            let check = DpopCheck::new(proof, method.as_str(), url, now())
                .with_access_token(token)
                .allowing_missing_ath();
            let verified = selfdata_oidc::verify_dpop_proof(&check)
                .map_err(|e| invalid_token(&format!("The DPoP proof was refused: {e}")))?;
            let claims = self.verify_any(token).await?;
            claims
                .check_binding(&verified)
                .map_err(|e| invalid_token(&format!("The DPoP proof was refused: {e}")))?;
            match self.fresh_proof(&verified).await {
                Ok(()) => {}
                Err(crate::ProofRefused::Invalid(why)) => return Err(invalid_token(why)),
                Err(crate::ProofRefused::Store(e)) => return Err(e.into()),
            }
            if let Err(e) = self.remember_proof(&verified).await {
                tracing::error!(error = %e, "remembering a DPoP proof failed");
                return Err(invalid_token(
                    "This DPoP proof could not be recorded; make a new one.",
                ));
            }
            claims
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let claims = self.verify_any(token).await?;
            if claims.cnf.is_some() {
                return Err(invalid_token(
                    "This token is bound to a DPoP key: send it as 'DPoP' with a proof.",
                ));
            }
            claims
        } else {
            return Err(invalid_token(
                "The Authorization header must be 'DPoP <token>' or 'Bearer <token>'.",
            ));
        };
        if let Some(sid) = &claims.sid
            && self.family_revoked(sid).await?
        {
            return Err(invalid_token("This access was revoked."));
        }
        if !self.webid_trusts(&claims.webid, &claims.iss).await {
            return Err(invalid_token(
                "The WebID's profile does not trust this token's issuer.",
            ));
        }
        Ok(Some(Credentials {
            webid: claims.webid,
            client_id: Some(claims.client_id),
            session: claims.sid,
        }))
    }

    async fn session_ended(&self, session: &str) -> bool {
        // A failure to ask counts as ended.
        self.family_revoked(session).await.unwrap_or(true)
    }

    async fn sessions_ended_since(&self, since_ms: i64) -> Vec<String> {
        if !self.pods.is_shared() {
            return Vec::new();
        }
        match self.directory.revoked_since(since_ms).await {
            Ok(ended) => ended,
            Err(e) => {
                tracing::warn!(error = %e, "the sessions ended on other servers could not be read");
                Vec::new()
            }
        }
    }
}

/// Whether an `Authorization` header (with the `DPoP` header beside it)
/// carries no credentials at all: empty, or a scheme with no token and no
/// proof. Solid client libraries send `Authorization: DPoP ` with an empty
/// `DPoP:` when they have no session; such a request is an anonymous one,
/// as it is on Community Solid Server. A token without its proof, or a
/// proof without a token, is still refused.
fn no_credentials(authorization: &str, proof: Option<&axum::http::HeaderValue>) -> bool {
    let (scheme, token) = authorization
        .trim()
        .split_once(' ')
        .unwrap_or((authorization.trim(), ""));
    let no_proof = proof.is_none_or(|p| p.as_bytes().iter().all(u8::is_ascii_whitespace));
    token.trim().is_empty()
        && no_proof
        && (scheme.is_empty()
            || scheme.eq_ignore_ascii_case("dpop")
            || scheme.eq_ignore_ascii_case("bearer"))
}

#[cfg(test)]
mod tests {
    use super::no_credentials;
    use axum::http::HeaderValue;

    #[test]
    fn empty_credentials_are_no_credentials_and_a_half_pair_is_not() {
        let empty = HeaderValue::from_static("");
        for value in ["", " ", "DPoP", "dpop ", "Bearer", "bearer  "] {
            assert!(no_credentials(value, None), "{value:?}");
            assert!(no_credentials(value, Some(&empty)), "{value:?}");
        }
        let proof = HeaderValue::from_static("eyJ.proof.sig");
        assert!(!no_credentials("DPoP", Some(&proof)));
        assert!(!no_credentials("DPoP abc", None));
        assert!(!no_credentials("Bearer abc", None));
        assert!(!no_credentials("Basic", None));
        assert!(!no_credentials("Basic dXNlcjpwYXNz", None));
    }
}

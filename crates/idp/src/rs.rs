//! The resource server side: who a request on a pod speaks for.
//!
//! `Authorization: DPoP <token>` with a `DPoP` proof (htm, htu, iat window,
//! jti replay, ath, key binding to the token's `cnf.jkt`), or
//! `Authorization: Bearer <token>` for tokens issued without a DPoP key (the
//! client-credentials grant used without a proof, for scripts and curl).
//! The token must be signed by this provider, unexpired, not revoked, and its
//! issuer must be listed as `solid:oidcIssuer` in the WebID's profile.

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

/// The issuers each local WebID trusts, cached for a short while.
#[derive(Default)]
pub(crate) struct IssuerCache {
    entries: RwLock<HashMap<String, (Instant, Vec<String>)>>,
}

impl Idp {
    /// The `solid:oidcIssuer` values of a WebID hosted here.
    async fn issuers_of(&self, webid: &str) -> Vec<String> {
        if let Some((at, issuers)) = self.issuers.entries.read().get(webid)
            && at.elapsed().as_secs() < ISSUER_CACHE_SECS
        {
            return issuers.clone();
        }
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
        let rest = doc.strip_prefix(&self.config.base_url)?;
        let selfdata_solid::uri::Target::Resource(pod, path) =
            selfdata_solid::uri::parse_target(rest).ok()?
        else {
            return None;
        };
        let (meta, body) = self.pods.get(&pod, &path).await.ok()??;
        let format = RdfFormat::from_media_type(&meta.content_type)?;
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
            let check = DpopCheck::new(proof, method.as_str(), url, now()).with_access_token(token);
            let verified = selfdata_oidc::verify_dpop_proof(&check)
                .map_err(|e| unauthorized(&format!("The DPoP proof was refused: {e}")))?;
            let claims = self.verify(token)?;
            claims
                .check_binding(&verified)
                .map_err(|e| unauthorized(&format!("The DPoP proof was refused: {e}")))?;
            if !self.replay.check_and_insert(&verified.replay_key(), now()) {
                return Err(unauthorized(
                    "This DPoP proof was used before; make a new one for each request.",
                ));
            }
            claims
        } else if scheme.eq_ignore_ascii_case("bearer") {
            let claims = self.verify(token)?;
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
        if !self.issuers_of(&claims.webid).await.contains(&claims.iss) {
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

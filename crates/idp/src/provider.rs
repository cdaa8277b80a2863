//! The Solid-OIDC provider endpoints: discovery, JWKS, dynamic client
//! registration (RFC 7591), authorization with PKCE and a consent screen
//! (with the `iss` parameter of RFC 9207), and the token endpoint
//! (authorization code, refresh token with rotation, client credentials),
//! issuing DPoP-bound JWT access tokens and ID tokens.
//!
//! This file holds discovery, JWKS and the OAuth error shape; each endpoint
//! has its own file: `registration`, `authorization` (with the consent
//! screen), `token`, and `consent` (the apps' consent records).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use askama::Template;
use axum::Form;
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use parking_lot::Mutex;
use selfdata_oidc::{AccessClaims, Confirmation, DpopCheck, IdClaims, random_token, token_hash};
use selfdata_store::PodName;
use selfdata_store::directory::{Client, ClientKind, Grant, RevokeScope, TokenFamily};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::accounts::constant_eq;
use crate::i18n::{Texts, texts};
use crate::pages::error_with_detail;
use crate::{AuthCode, Idp, now};
use selfdata_site::PageError;

type St = State<Arc<Idp>>;

pub async fn discovery(State(idp): St) -> Response {
    let issuer = idp.config.issuer();
    let base = &idp.config.base_url;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/idp/authorize"),
        "token_endpoint": format!("{base}/idp/token"),
        "jwks_uri": format!("{base}/idp/jwks"),
        "registration_endpoint": format!("{base}/idp/register"),
        "end_session_endpoint": format!("{base}/account/logout"),
        "scopes_supported": ["openid", "webid", "offline_access"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "webid", "azp", "nonce", "auth_time"],
        "code_challenge_methods_supported": ["S256"],
        "dpop_signing_alg_values_supported": ["ES256", "ES384", "RS256", "PS256", "EdDSA"],
        "authorization_response_iss_parameter_supported": true,
        "solid_oidc_supported": "https://solidproject.org/TR/solid-oidc",
    }))
    .into_response()
}

pub async fn jwks(State(idp): St) -> Response {
    let jwks = idp.keys.read().jwks();
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(jwks)).into_response()
}

/// An OAuth error answer (RFC 6749 section 5.2).
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response()
}

mod authorization;
mod consent;
mod registration;
mod token;

pub use authorization::*;
pub use registration::*;
pub use token::*;

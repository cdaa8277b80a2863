//! The signed-in resident of a page request, and forms checked against the
//! session's CSRF token. Sessions themselves belong to the identity
//! provider, which implements [`Sessions`]; this crate only asks it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use selfdata_store::directory::{Account, Session};
use selfdata_store::{PodName, StoreError};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{PageError, Site, words};

/// Who is signed in, as the identity provider knows it.
#[async_trait::async_trait]
pub trait Sessions: Send + Sync {
    /// The complete, unexpired session of the request's cookie and its account.
    async fn signed_in(&self, headers: &axum::http::HeaderMap) -> Option<(Session, Account)>;

    /// The names of the account's pods, its own first.
    async fn pods_of(&self, account: &Account) -> Result<Vec<String>, StoreError>;

    /// Whether the account is one of the operator's.
    async fn is_operator(&self, account: &Account) -> Result<bool, StoreError>;
}

/// The signed-in resident and their pod. As an extractor, a visitor who is
/// not signed in is sent to the sign-in page, coming back here afterwards.
#[derive(Debug, Clone)]
pub struct Resident {
    pub session: Session,
    pub account: Account,
    pub pod: PodName,
}

impl Resident {
    /// Whether a form's CSRF token is this session's.
    pub fn check_csrf(&self, token: &str) -> Result<(), PageError> {
        if constant_eq(&self.session.csrf, token) {
            Ok(())
        } else {
            Err(PageError::form_expired())
        }
    }
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Where to come back after signing in: this page for a GET, else the page
/// of the menu entry the path belongs to.
fn return_to(site: &Site, parts: &Parts) -> String {
    if (parts.method == Method::GET || parts.method == Method::HEAD)
        && let Some(p) = parts.uri.path_and_query()
    {
        return p.as_str().to_owned();
    }
    site.entry_of(parts.uri.path())
        .map_or("/", |e| e.href)
        .to_owned()
}

/// The site kit and the request's signed-in session, or the answer that
/// sends a visitor who is not signed in to the sign-in page.
async fn signed_in(parts: &Parts) -> Result<(Arc<Site>, Session, Account), Response> {
    let Some(site) = parts.extensions.get::<Arc<Site>>().cloned() else {
        return Err(PageError::internal("the site kit is not around this route").into_response());
    };
    let Some((session, account)) = site.sessions.signed_in(&parts.headers).await else {
        let query = serde_urlencoded::to_string([("return_to", return_to(&site, parts))])
            .unwrap_or_default();
        let location = format!("/account/login?{query}");
        return Err((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response());
    };
    Ok((site, session, account))
}

impl<S: Send + Sync> FromRequestParts<S> for Resident {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let (site, session, account) = signed_in(parts).await?;
        let pods = site
            .sessions
            .pods_of(&account)
            .await
            .map_err(|e| PageError::internal(e).into_response())?;
        match pods.first().and_then(|p| PodName::parse(p).ok()) {
            Some(pod) => Ok(Resident {
                session,
                account,
                pod,
            }),
            None => Err(PageError::say(StatusCode::NOT_FOUND, words::NO_POD).into_response()),
        }
    }
}

/// A form posted by the signed-in resident, its CSRF token checked before
/// anything else is read from it.
#[derive(Debug)]
pub struct CsrfForm<T> {
    pub resident: Resident,
    pub form: T,
}

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let resident = Resident::from_request_parts(&mut parts, state).await?;
        let form = checked_form(&resident.session, Request::from_parts(parts, body), state).await?;
        Ok(CsrfForm { resident, form })
    }
}

/// The form of `req`, read once the session's CSRF token is found in it.
async fn checked_form<S: Send + Sync, T: DeserializeOwned>(
    session: &Session,
    req: Request,
    state: &S,
) -> Result<T, Response> {
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|_| PageError::form_unreadable().into_response())?;
    let token: Token = serde_urlencoded::from_bytes(&bytes)
        .map_err(|_| PageError::form_expired().into_response())?;
    if !constant_eq(&session.csrf, &token.csrf) {
        return Err(PageError::form_expired().into_response());
    }
    serde_urlencoded::from_bytes(&bytes).map_err(|_| PageError::form_unreadable().into_response())
}

/// A signed-in account of the operator's, with a second factor: the one who
/// may use the operator's pages (`/app/operator…`). To anyone else signed
/// in, those pages do not exist (404); a visitor is sent to sign in.
#[derive(Debug, Clone)]
pub struct Operator {
    pub session: Session,
    pub account: Account,
}

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        let (site, session, account) = signed_in(parts).await?;
        let operator = site
            .sessions
            .is_operator(&account)
            .await
            .map_err(|e| PageError::internal(e).into_response())?;
        if !operator {
            return Err(PageError::say(StatusCode::NOT_FOUND, words::NO_PAGE).into_response());
        }
        // The second factor checked when this session began, not merely
        // turned on since (a session of the password alone stays one).
        if account.totp_secret.is_none() || !session.second_factor {
            return Err(
                PageError::say(StatusCode::FORBIDDEN, words::OPERATOR_NEEDS_SECOND_FACTOR)
                    .into_response(),
            );
        }
        Ok(Operator { session, account })
    }
}

/// A form posted by an operator, its CSRF token checked before anything
/// else is read from it.
#[derive(Debug)]
pub struct OperatorForm<T> {
    pub operator: Operator,
    pub form: T,
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OperatorForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let operator = Operator::from_request_parts(&mut parts, state).await?;
        let form = checked_form(&operator.session, Request::from_parts(parts, body), state).await?;
        Ok(OperatorForm { operator, form })
    }
}

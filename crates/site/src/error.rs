//! `PageError`: what a page handler answers when it cannot show its page, a
//! status and one sentence. [`crate::Site::wrap`] renders it in the layout,
//! in the request's language, with the menu and a way back, so handlers
//! return `Result<_, PageError>` and use `?`.

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{Lang, Say, words};

/// A page that could not be shown, and why, in words a resident reads.
#[derive(Debug, Clone)]
pub struct PageError {
    status: StatusCode,
    sentence: Sentence,
}

#[derive(Debug, Clone)]
enum Sentence {
    /// Already in the page's language.
    Said(Cow<'static, str>),
    Both(Say),
}

impl PageError {
    /// A sentence already in the page's language.
    pub fn new(status: StatusCode, sentence: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            sentence: Sentence::Said(sentence.into()),
        }
    }

    /// A sentence in both languages.
    pub fn say(status: StatusCode, say: Say) -> Self {
        Self {
            status,
            sentence: Sentence::Both(say),
        }
    }

    /// Something failed on the server's side: logs `cause`, says nothing of it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "a page could not be shown");
        Self::say(StatusCode::INTERNAL_SERVER_ERROR, words::FAILED)
    }

    /// The form's CSRF token is missing or stale.
    pub fn form_expired() -> Self {
        Self::say(StatusCode::FORBIDDEN, words::FORM_EXPIRED)
    }

    /// The form's body does not parse.
    pub fn form_unreadable() -> Self {
        Self::say(StatusCode::BAD_REQUEST, words::FORM_UNREADABLE)
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The sentence in `lang`.
    pub fn sentence(&self, lang: Lang) -> Cow<'static, str> {
        match &self.sentence {
            Sentence::Said(s) => s.clone(),
            Sentence::Both(say) => Cow::Borrowed(say.in_(lang)),
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.sentence(Lang::En))
    }
}

impl std::error::Error for PageError {}

impl IntoResponse for PageError {
    /// The status and the sentence as text; the site's middleware replaces
    /// the body with the page.
    fn into_response(self) -> Response {
        let text = self.sentence(Lang::default()).into_owned();
        let mut response = (self.status, text).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

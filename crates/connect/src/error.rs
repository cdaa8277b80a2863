//! Why a connection or a pull did not go through, in sentences a resident
//! can act on (reconnect, try later, fix the configuration).

use crate::config::{Endpoint, Window};

/// What a [`crate::Sink`] answers when it cannot take a body or save the
/// state (any error type converts into it, `anyhow::Error` included).
pub type SinkError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while connecting or pulling. `holder` is
/// the holder's name as a resident knows it ("Enedis", "GRDF").
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The resident refused (or the holder failed) on the consent page.
    #[error(
        "the consent was not given on the Enedis page ({error}: {description}); nothing was connected"
    )]
    ConsentDenied { error: String, description: String },

    /// The callback lacks a parameter the holder always sends.
    #[error("the answer from the Enedis consent page is incomplete: `{0}` is missing")]
    CallbackIncomplete(&'static str),

    /// Not a 14-digit PRM.
    #[error("\"{0}\" is not a usage point identifier (PRM): it must be 14 digits")]
    InvalidUsagePoint(String),

    /// Not a PCE: 14 digits, or `GI` and 6 digits.
    #[error(
        "\"{0}\" is not a gas meter identifier (PCE): it must be 14 digits, or GI followed by 6 digits"
    )]
    InvalidPce(String),

    /// The token endpoint refused the code or the refresh token, or the API
    /// refused a freshly refreshed access token: the consent is over.
    #[error("{holder} refused the consent token; connect the account again ({detail})")]
    ConsentRefused {
        holder: &'static str,
        detail: String,
    },

    /// The token endpoint refused selfdata's client_id / client_secret, or
    /// the API refused a fresh client-credentials token.
    #[error(
        "{holder} refused selfdata's client credentials; the server's operator must check its {holder} client_id and client_secret ({detail})"
    )]
    ClientRefused {
        holder: &'static str,
        detail: String,
    },

    /// HTTP 403 on a metering call: no (more) consent for this meter.
    #[error(
        "{holder} has no consent for the meter {meter} ({description}); connect the account again"
    )]
    NoConsent {
        holder: &'static str,
        meter: String,
        description: String,
    },

    /// HTTP 400 (other than "no data in this window"): the holder refuses
    /// this request as asked; asking again would not help.
    #[error(
        "{holder} rejected the request for {endpoint}, {window}: {description} (HTTP {status}, {code})"
    )]
    Rejected {
        holder: &'static str,
        endpoint: Endpoint,
        window: Window,
        status: u16,
        code: String,
        description: String,
    },

    /// 429, 5xx or transport failures that outlasted every retry.
    #[error(
        "{holder} is not answering ({last}) after {attempts} attempts at {what}; try again later"
    )]
    Unavailable {
        holder: &'static str,
        what: String,
        attempts: u32,
        last: String,
    },

    /// An answer the connector does not understand (unexpected status,
    /// token answer without a token…).
    #[error("{holder} answered {what} with something selfdata does not understand: {detail}")]
    BadResponse {
        holder: &'static str,
        what: String,
        detail: String,
    },

    /// The sink refused a body: the window stays to be fetched.
    #[error("could not store the data received from {holder} ({endpoint}, {window}): {source}")]
    Sink {
        holder: &'static str,
        endpoint: Endpoint,
        window: Window,
        #[source]
        source: SinkError,
    },

    /// The sink could not save the connection state.
    #[error("could not save the progress of the {holder} pull: {source}")]
    Checkpoint {
        holder: &'static str,
        #[source]
        source: SinkError,
    },

    /// The HTTP client could not be built (TLS set-up).
    #[error("could not set up the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

impl ConnectError {
    /// Whether the resident has to go through the consent page again.
    pub fn needs_reconnect(&self) -> bool {
        matches!(
            self,
            ConnectError::ConsentRefused { .. } | ConnectError::NoConsent { .. }
        )
    }

    /// Whether the same pull may simply be tried again later.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ConnectError::Unavailable { .. }
                | ConnectError::Sink { .. }
                | ConnectError::Checkpoint { .. }
        )
    }
}

/// An error and its causes on one line (reqwest's own message alone is
/// "error sending request").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

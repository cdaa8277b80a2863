//! selfdata-connect: the pull connector for Enedis Data Connect v5. It
//! sends the resident to the consent page ([`authorize_url`]), reads the
//! callback ([`Callback`]), exchanges the code for tokens
//! ([`exchange_code`]), then [`pull`]s the metering history window by
//! window into the app's [`Sink`], refreshing tokens, keeping to the
//! holder's rate limit and retrying its failures. It speaks HTTP to the
//! holder only: the bodies go to the app's importer unparsed, and the app
//! persists [`ConnectionState`] wherever it likes. `standin` (feature
//! `standin`, for tests only) is a local server answering like the holder.
//!
//! Wiring in the app:
//! 1. one [`DataConnectConfig`] and one [`ConnectClient`] for the whole
//!    app (the rate limit is per application);
//! 2. "connect" route: make a random `state`, remember it in the session,
//!    redirect to [`authorize_url`]`(&cfg, &state, "P3Y")`;
//! 3. callback route: [`Callback::from_query`], compare `state`,
//!    [`exchange_code`], [`ConnectionState::new`] for the PRM, persist;
//! 4. in the background (now, then daily): [`pull`] with
//!    [`paris_today`], a sink that imports bodies, persists checkpoints and
//!    publishes progress.

mod config;
mod error;
mod http;
mod oauth;
mod pull;
#[cfg(feature = "standin")]
pub mod standin;

pub use config::{DataConnectConfig, Endpoint, RetryPolicy, Window};
pub use error::{ConnectError, SinkError};
pub use http::ConnectClient;
pub use oauth::{
    Callback, Tokens, authorize_url, exchange_code, is_usage_point_id, refresh_tokens,
};
pub use pull::{BEFORE_ACTIVATION_CODE, ConnectionState, PullReport, Sink, plan, pull};

/// Today in Paris, the holder's calendar: the `today` to give [`pull`].
pub fn paris_today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .in_tz("Europe/Paris")
        .map(|now| now.date())
        .unwrap_or_else(|_| jiff::ZonedDateTime::now().date())
}

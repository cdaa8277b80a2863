//! selfdata-connect: pulling a resident's data from holders that have an
//! API, one framework for every holder. A [`Connector`] says only what is
//! its own (endpoints, how a window is asked, whose tokens and how they
//! are renewed, what its answers mean); [`pull`] does the rest the same for
//! all: windows from a resumable cursor ([`ConnectionState`]), one
//! [`ConnectClient`] per holder and application (rate limit, retries with
//! backoff honouring `Retry-After`, the application's token), bodies handed
//! unparsed to the app's [`Sink`]. Two connectors: Enedis Data Connect v5
//! ([`DataConnectConfig`]: consent page, [`Callback`], [`exchange_code`],
//! refresh tokens) and GRDF ADICT ([`AdictConfig`]: client credentials, a
//! right of access per PCE). `standin` (feature `standin`, for tests only)
//! holds local servers answering like each holder.
//!
//! Wiring in the app:
//! 1. per holder, one config and one [`ConnectClient`] for the whole app
//!    (the rate limit is per application);
//! 2. Enedis: a "connect" route makes a random `state`, remembers it in
//!    the session, redirects to [`authorize_url`]`(&cfg, &state, "P3Y")`;
//!    the callback route reads [`Callback::from_query`], compares `state`,
//!    [`exchange_code`], [`ConnectionState::new`] for the PRM, persists;
//!    GRDF: the resident gives the PCE and consents on the app's page,
//!    [`ConnectionState::new`] without tokens, persist;
//! 3. in the background (now, then daily at the operator's hour,
//!    [`next_daily_run`]): [`pull`] with
//!    [`paris_today`], a sink that imports bodies, persists checkpoints and
//!    publishes progress.

mod config;
mod connector;
mod enedis;
mod error;
pub mod fence;
mod grdf;
mod http;
mod oauth;
mod pull;
mod schedule;
#[cfg(feature = "standin")]
pub mod standin;

pub use config::{AdictConfig, DataConnectConfig, Endpoint, Politeness, RetryPolicy, Window};
pub use connector::{Connector, Reading, TokenOwner};
pub use enedis::BEFORE_ACTIVATION_CODE;
pub use error::{ConnectError, SinkError};
pub use grdf::is_pce;
pub use http::{ConnectClient, SharedCounts};
pub use oauth::{
    Callback, Tokens, authorize_url, exchange_code, is_usage_point_id, refresh_tokens,
};
pub use pull::{ConnectionState, PullReport, Sink, plan, pull};
pub use schedule::next_daily_run;

/// Today in Paris, the holder's calendar: the `today` to give [`pull`].
pub fn paris_today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .in_tz("Europe/Paris")
        .map(|now| now.date())
        .unwrap_or_else(|_| jiff::ZonedDateTime::now().date())
}

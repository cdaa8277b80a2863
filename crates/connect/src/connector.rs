//! What a holder's connector says about itself, and nothing more: its
//! endpoints, how a window is asked for, whose tokens it uses and how they
//! are renewed, and what its answers mean. Everything else (rate limit,
//! retries, windows, cursor, sink) is the framework's ([`crate::pull`]),
//! the same for every holder.

use std::future::Future;

use reqwest::StatusCode;

use crate::config::{Endpoint, Politeness, Window};
use crate::error::ConnectError;
use crate::http::ConnectClient;
use crate::oauth::Tokens;

/// Whose tokens a connector asks with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenOwner {
    /// The resident's consent (Enedis): kept in the connection's state,
    /// persisted with it.
    Connection,
    /// The application's own client-credentials token (GRDF): kept in
    /// memory by the [`ConnectClient`], shared by every connection, never
    /// written to a pod.
    Application,
}

/// What one answer (not a 429, 5xx or transport failure: those the client
/// retries) means.
#[derive(Debug)]
pub enum Reading {
    /// The window's data, to hand to the sink as received.
    Data(Vec<u8>),
    /// No data in this window: the cursor moves on.
    Empty,
    /// The token was refused: renew it and ask once more; if it is refused
    /// again, this is the error.
    Unauthorized(ConnectError),
    /// The pull stops with this error.
    Failed(ConnectError),
}

/// A holder the framework can pull from. Implemented by
/// [`crate::DataConnectConfig`] (Enedis) and [`crate::AdictConfig`] (GRDF).
pub trait Connector: Send + Sync {
    /// The holder's name as a resident knows it, in every sentence.
    fn holder(&self) -> &'static str;

    /// Rate, retries, days fetched again.
    fn politeness(&self) -> &Politeness;

    /// The endpoints a pull fetches, in order.
    fn endpoints(&self) -> &'static [Endpoint];

    /// Whether `meter` is an identifier this holder knows the shape of.
    fn check_meter(&self, meter: &str) -> Result<(), ConnectError>;

    /// Whose tokens the requests carry.
    fn token_owner(&self) -> TokenOwner;

    /// New tokens, `current` being missing, expired or refused.
    fn renew(
        &self,
        client: &ConnectClient,
        current: Option<&Tokens>,
    ) -> impl Future<Output = Result<Tokens, ConnectError>> + Send;

    /// The request for `window` of `endpoint` for `meter`.
    fn request(
        &self,
        http: &reqwest::Client,
        endpoint: Endpoint,
        meter: &str,
        window: Window,
        access_token: &str,
    ) -> reqwest::RequestBuilder;

    /// What an answer means.
    fn read(
        &self,
        endpoint: Endpoint,
        window: Window,
        meter: &str,
        status: StatusCode,
        body: Vec<u8>,
    ) -> Reading;
}

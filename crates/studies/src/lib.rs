//! Collective studies without IO.
//!
//! A study asks each participant for one measurement ([`vdaf::Measure`]). The
//! participant's server splits it into two shares ([`vdaf::Vdaf::shard`]) and
//! seals each to one of two aggregators run by organisations that do not
//! collude ([`dap::seal`]); the aggregators verify the shares together and add
//! them up ([`vdaf`]), and only the collector, with both totals, learns the
//! sum, and only when enough people took part. The messages follow the IETF
//! DAP draft's flow ([`dap`]); the IO is in `selfdata-aggregator`.

pub mod catalogue;
pub mod dap;
pub mod fuzzing;
pub mod governance;
pub mod vdaf;

/// Why a measurement, a share or a message was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("this measure cannot be used: {0}")]
    Measure(String),
    #[error("this value cannot be contributed: {0}")]
    Measurement(String),
    #[error("a share is not valid: {0}")]
    Share(String),
    #[error("a sealed share cannot be opened")]
    Open,
    #[error("a key is not valid")]
    Key,
}

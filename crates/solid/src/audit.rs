//! The access-log hook: every decision [`crate::auth::Access::require`]
//! takes (allowed or refused) is reported to an [`AccessLogHook`], if the
//! application installed one with [`crate::AppState::with_access_log_hook`].
//! The hook decides what to keep (the owner's own requests are not logged)
//! and must return at once: it is called on the request's path.

use selfdata_store::{PodName, ResourcePath};
pub use selfdata_wac::ModeSet;

use crate::auth::Credentials;

/// One access decision.
#[derive(Debug, Clone, Copy)]
pub struct AccessEvent<'a> {
    pub pod: &'a PodName,
    /// The resource asked for (an auxiliary resource's own path, `x.acl`).
    pub path: &'a ResourcePath,
    /// Who asked (`None`: anonymous).
    pub credentials: Option<&'a Credentials>,
    /// The modes the request needed.
    pub modes: ModeSet,
    pub allowed: bool,
}

/// Receives access decisions. Must not block or wait on IO.
pub trait AccessLogHook: Send + Sync + 'static {
    fn record(&self, event: &AccessEvent<'_>);

    /// The hook itself, for whoever installed it to find it again.
    fn as_any(&self) -> &dyn std::any::Any;
}

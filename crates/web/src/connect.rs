//! Connecting a holder's account: the Enedis Data Connect consent and pulls.

use std::sync::Arc;

use axum::Router;

use crate::Services;

/// The connector's routes.
pub fn routes() -> Router<Arc<Services>> {
    Router::new()
}

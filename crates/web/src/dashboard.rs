//! The owner's energy and water dashboard pages.

use std::sync::Arc;

use axum::Router;

use crate::Services;

/// The dashboard's routes.
pub fn routes() -> Router<Arc<Services>> {
    Router::new()
}

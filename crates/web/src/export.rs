//! (being written)

use std::sync::Arc;

use axum::Router;

use crate::Services;

/// This module's routes.
pub fn routes() -> Router<Arc<Services>> {
    Router::new()
}

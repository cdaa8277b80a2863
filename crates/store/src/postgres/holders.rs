//! Placeholder: being written.

pub(super) const SCHEMA: &str = "";

//! Seeded archives (to be written).

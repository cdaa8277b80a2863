//! The fuzz property (to be written).

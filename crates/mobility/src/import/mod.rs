//! The importers of location exports (GPX and GeoJSON here; the JSON
//! layouts and the `Layout` wiring join them when merged).

pub mod fuzzing;
pub(crate) mod geojson;
pub(crate) mod gpx;

//! Mobility without IO: a resident's own location history turned into
//! trips, modes, CO2 and frequent places, all in integers (metres, UTC
//! seconds, E7 degrees, grams), never panicking and never allocating what an
//! input claims.
//!
//! [`model`] holds the shapes (points, trips, stops, gaps), [`geo`] the
//! distances and the flat projection maps are drawn with, [`segment`] cuts
//! raw points into trips, stops and "not tracked" gaps, [`mode`] guesses how
//! each trip was made and spreads the resident's corrections to similar
//! trips, [`co2`] prices trips in grams of CO2e from the ADEME factors
//! (`data/emission-factors.csv`) with "what if" savings, and [`places`]
//! finds the places one goes to often and suggests which is home and work.
//! [`import`] reads the export layouts (Takeout, the phone's Timeline,
//! e-mission, GPX, GeoJSON) into points, given trips and visits, [`trips`]
//! turns a parsed file into the trips a pod keeps (with a path simplified
//! for drawing) and their CSV, [`said`] keeps what the resident said
//! (corrected modes, place names, car settings). The service over a pod is
//! `selfdata-mobility-web`. [`fuzzing`] holds the importers' invariants,
//! checked on any bytes. [`demo`] generates the demo household's location
//! history in the exports' own layouts.

pub mod co2;
pub mod demo;
pub mod fuzzing;
pub mod geo;
pub mod import;
pub mod mode;
pub mod model;
pub mod places;
pub mod said;
pub mod segment;
pub mod trips;

pub use model::{Gap, GivenTrip, Mode, Point, Stop, Trip, Visit};
pub use segment::{Segmented, segment};
pub use selfdata_sources as sources;

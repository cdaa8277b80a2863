//! The location importers, each layout a `selfdata_sources::Importer`
//! listed in [`IMPORTERS`]; [`import`] runs the first that recognises a file
//! from a prefix of its content (never its name) and refuses, with the line
//! and the export expected, what none reads. [`records_from_reader`] streams
//! a Takeout `Records.json` of any size one location at a time. No file
//! gives more than [`MAX_POINTS`] points. GPX is read with quick-xml (a
//! DOCTYPE refused, caps on depth and text), GeoJSON one feature at a time.
//!
//! The JSON layouts are read with serde into small typed records: fields
//! no importer needs (Wi-Fi scans, candidates, probabilities) are skipped
//! without being kept, and every value is checked where it is read, so a
//! refusal names the line serde_json was at.

mod emission;
mod geojson;
mod gpx;
mod json;
mod records;
mod semantic;
mod timeline;

use selfdata_sources::{Expected, ImportError, Importer, Refusal};

use crate::model::{GivenTrip, Point, Visit};

pub use records::records_from_reader;

/// The location layouts selfdata reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Google Takeout `Records.json`: `{"locations":[…]}`, E7 integers.
    Records,
    /// Google Takeout Semantic Location History: `timelineObjects`.
    Semantic,
    /// The phone's Timeline export (2024+), Android: `semanticSegments`.
    TimelineAndroid,
    /// The phone's Timeline export (2024+), iOS: a bare array, `geo:` strings.
    TimelineIos,
    /// e-mission / TraceMob trips: `start_ts`, `start_loc`, `sensed_mode`.
    Emission,
    /// GPX 1.0 or 1.1 (XML): tracks of timed points, waypoints.
    Gpx,
    /// GeoJSON (RFC 7946): `[lon, lat]`, times in `properties`.
    GeoJson,
}

/// Every layout, in the order they are tried. e-mission trips come before
/// GeoJSON: their exports are often GeoJSON features.
pub static IMPORTERS: [Layout; 7] = [
    Layout::Records,
    Layout::Semantic,
    Layout::TimelineAndroid,
    Layout::TimelineIos,
    Layout::Emission,
    Layout::Gpx,
    Layout::GeoJson,
];

/// The most points read from one file (ten years of a phone recording every
/// few seconds is a few million); past it the file is refused (a
/// `Records.json` at the line of the location that passes it, as it
/// streams), so what is kept stays bounded.
pub const MAX_POINTS: usize = 20_000_000;

/// A location file read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub layout: Layout,
    /// Raw positions, in the file's order.
    pub points: Vec<Point>,
    /// Trips the file states.
    pub trips: Vec<GivenTrip>,
    /// Place visits the file states.
    pub visits: Vec<Visit>,
    /// Records read (locations, timeline objects, segments, trips).
    pub rows: usize,
    /// Activities or visits read but without a position, left out.
    pub skipped: usize,
}

impl Parsed {
    fn new(layout: Layout) -> Parsed {
        Parsed {
            layout,
            points: Vec::new(),
            trips: Vec::new(),
            visits: Vec::new(),
            rows: 0,
            skipped: 0,
        }
    }
}

impl Layout {
    /// What the file is, for a resident.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Records => "Google location history (Takeout Records.json)",
            Layout::Semantic => "Google semantic location history (Takeout)",
            Layout::TimelineAndroid => "Google Maps Timeline export (Android)",
            Layout::TimelineIos => "Google Maps Timeline export (iPhone)",
            Layout::Emission => "e-mission / TraceMob trips",
            Layout::Gpx => "GPS track (GPX)",
            Layout::GeoJson => "GPS track (GeoJSON)",
        }
    }

    /// The file name extension its originals are kept with.
    pub fn extension(self) -> &'static str {
        match self {
            Layout::Records => "json",
            Layout::Semantic => "json",
            Layout::TimelineAndroid => "json",
            Layout::TimelineIos => "json",
            Layout::Emission => "json",
            Layout::Gpx => "gpx",
            Layout::GeoJson => "geojson",
        }
    }

    /// The media type its originals are kept with.
    pub fn media_type(self) -> &'static str {
        match self {
            Layout::Records => "application/json",
            Layout::Semantic => "application/json",
            Layout::TimelineAndroid => "application/json",
            Layout::TimelineIos => "application/json",
            Layout::Emission => "application/json",
            Layout::Gpx => "application/gpx+xml",
            Layout::GeoJson => "application/geo+json",
        }
    }

    /// The export a resident downloads, and where.
    pub fn expected(self) -> &'static Expected {
        static TAKEOUT: Expected = Expected {
            holder: "Google",
            what_en: "your Google location history (Records.json or the monthly semantic files)",
            what_fr: "votre historique des positions Google (Records.json ou les fichiers mensuels « Semantic Location History »)",
            where_en: "takeout.google.com, Location History (Timeline), JSON format",
            where_fr: "takeout.google.com, Historique des positions (Vos trajets), format JSON",
        };
        static TIMELINE: Expected = Expected {
            holder: "Google Maps",
            what_en: "your Google Maps Timeline export (a JSON file made on your phone)",
            what_fr: "l’export de vos trajets Google Maps (un fichier JSON créé sur votre téléphone)",
            where_en: "your phone's settings, Location, Location services, Timeline, Export Timeline data",
            where_fr: "les paramètres de votre téléphone, Position, Services de localisation, Vos trajets, Exporter les données de vos trajets",
        };
        static EMISSION: Expected = Expected {
            holder: "e-mission / TraceMob",
            what_en: "your trips exported from e-mission or TraceMob (JSON)",
            what_fr: "vos trajets exportés d’e-mission ou de TraceMob (JSON)",
            where_en: "the app's Profile page, Download my data",
            where_fr: "la page Profil de l’application, Télécharger mes données",
        };
        static TRACK: Expected = Expected {
            holder: "your sports or tracking app",
            what_en: "a GPS track in GPX or GeoJSON",
            what_fr: "une trace GPS au format GPX ou GeoJSON",
            where_en: "the app's activity page, Export, GPX",
            where_fr: "la page de l’activité dans l’application, Exporter, GPX",
        };
        match self {
            Layout::Gpx => &TRACK,
            Layout::GeoJson => &TRACK,
            Layout::Records => &TAKEOUT,
            Layout::Semantic => &TAKEOUT,
            Layout::TimelineAndroid => &TIMELINE,
            Layout::TimelineIos => &TIMELINE,
            Layout::Emission => &EMISSION,
        }
    }
}

impl Importer for Layout {
    type Output = Parsed;

    fn expected(&self) -> &'static Expected {
        Layout::expected(*self)
    }

    fn detect(&self, bytes: &[u8]) -> bool {
        let head = json::Head::of(bytes);
        match self {
            Layout::Records => head.object_with(&[b"\"locations\"", b"\"latitudeE7\""]),
            Layout::Semantic => head.object_with(&[b"\"timelineObjects\""]),
            Layout::TimelineAndroid => head.object_with(&[b"\"semanticSegments\""]),
            Layout::TimelineIos => timeline::detect_ios(&head),
            Layout::Emission => emission::detect(&head),
            Layout::Gpx => gpx::detect(bytes),
            Layout::GeoJson => geojson::detect(bytes),
        }
    }

    fn parse(&self, bytes: &[u8]) -> Result<Parsed, ImportError> {
        let bytes = json::without_bom(bytes);
        let parsed = match self {
            Layout::Records => records::parse(bytes),
            Layout::Semantic => semantic::parse(bytes),
            Layout::TimelineAndroid => timeline::parse(bytes, Layout::TimelineAndroid),
            Layout::TimelineIos => timeline::parse(bytes, Layout::TimelineIos),
            Layout::Emission => emission::parse(bytes),
            Layout::Gpx => gpx::parse(bytes).map(|d| track(Layout::Gpx, d)),
            Layout::GeoJson => geojson::parse(bytes).map(|d| track(Layout::GeoJson, d)),
        }?;
        if parsed.points.is_empty() && parsed.trips.is_empty() && parsed.visits.is_empty() {
            return Err(ImportError::Empty);
        }
        Ok(parsed)
    }
}

/// A GPX or GeoJSON trace as parsed: its timed positions; the places it
/// marks (waypoints) are counted, not kept (a marked place is not a visit).
fn track(layout: Layout, d: gpx::GpxData) -> Parsed {
    let mut p = Parsed::new(layout);
    p.rows = d.points.len() + d.waypoints.len();
    p.skipped = d.waypoints.len() + d.untimed;
    p.points = d.points;
    p
}

/// The importers as the contract lists them.
pub fn importers() -> Vec<&'static dyn Importer<Output = Parsed>> {
    IMPORTERS
        .iter()
        .map(|l| l as &'static dyn Importer<Output = Parsed>)
        .collect()
}

/// Reads a location file whole, or refuses it with the line.
pub fn import(bytes: &[u8]) -> Result<Parsed, Refusal> {
    selfdata_sources::import(&importers(), bytes)
}

/// Reads a `Records.json` of any size from `r`, one location at a time
/// (memory holds the points kept, never the file), or refuses it with the line.
pub fn import_records<R: std::io::Read>(r: R) -> Result<Parsed, Refusal> {
    let refused = |error| Refusal {
        error,
        expected: vec![Layout::Records.expected()],
    };
    let mut out = Parsed::new(Layout::Records);
    let points = &mut out.points;
    out.rows = records_from_reader(r, |p| points.push(p)).map_err(refused)?;
    if out.points.is_empty() {
        return Err(refused(ImportError::Empty));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_written_as_it_is_counted() {
        let sentence = json::too_many();
        let written = MAX_POINTS
            .to_string()
            .as_bytes()
            .rchunks(3)
            .rev()
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(",");
        assert!(sentence.contains(&written), "{sentence}");
    }
}

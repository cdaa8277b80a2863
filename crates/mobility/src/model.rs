//! The shapes mobility works on, all integers: a location [`Point`] (UTC
//! seconds, E7 degrees, accuracy in metres), a [`Trip`] with its [`Mode`]
//! and confidence, a [`Stop`] (or a file's visit), and a [`Gap`] where the
//! phone recorded nothing ("not tracked": never turned into movement).

use selfdata_sources::Lang;

/// One recorded position: `t` in UTC seconds, latitude and longitude in
/// degrees × 10⁷ (the E7 integers Google's exports use), the accuracy radius
/// in metres when the file gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    pub t: i64,
    pub lat_e7: i32,
    pub lon_e7: i32,
    pub accuracy_m: Option<u32>,
}

impl Point {
    /// A point without accuracy.
    pub fn new(t: i64, lat_e7: i32, lon_e7: i32) -> Point {
        Point {
            t,
            lat_e7,
            lon_e7,
            accuracy_m: None,
        }
    }

    /// `(lat_e7, lon_e7)`.
    pub fn pos(&self) -> (i32, i32) {
        (self.lat_e7, self.lon_e7)
    }
}

/// How a trip was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    Walk,
    Bike,
    Car,
    Bus,
    Tram,
    Metro,
    Train,
    Plane,
    Other,
}

impl Mode {
    /// Every mode, in display order.
    pub const ALL: [Mode; 9] = [
        Mode::Walk,
        Mode::Bike,
        Mode::Car,
        Mode::Bus,
        Mode::Tram,
        Mode::Metro,
        Mode::Train,
        Mode::Plane,
        Mode::Other,
    ];

    /// The stable identifier written in the pod's files and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Walk => "walk",
            Mode::Bike => "bike",
            Mode::Car => "car",
            Mode::Bus => "bus",
            Mode::Tram => "tram",
            Mode::Metro => "metro",
            Mode::Train => "train",
            Mode::Plane => "plane",
            Mode::Other => "other",
        }
    }

    /// The identifier back ([`Mode::as_str`]), case and surrounding space
    /// ignored; `None` for anything else.
    pub fn parse(s: &str) -> Option<Mode> {
        let s = s.trim();
        Mode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    /// The name a resident reads.
    pub fn name(self, lang: Lang) -> &'static str {
        let (en, fr) = match self {
            Mode::Walk => ("Walking", "Marche"),
            Mode::Bike => ("Bike", "Vélo"),
            Mode::Car => ("Car", "Voiture"),
            Mode::Bus => ("Bus", "Bus"),
            Mode::Tram => ("Tram", "Tramway"),
            Mode::Metro => ("Metro", "Métro"),
            Mode::Train => ("Train", "Train"),
            Mode::Plane => ("Plane", "Avion"),
            Mode::Other => ("Other", "Autre"),
        };
        match lang {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }
}

/// One trip: from the place left to the place reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    /// UTC seconds of the first point.
    pub start: i64,
    /// UTC seconds of the last point.
    pub end: i64,
    /// `(lat_e7, lon_e7)` where it started.
    pub from: (i32, i32),
    /// `(lat_e7, lon_e7)` where it ended.
    pub to: (i32, i32),
    /// Metres travelled (the sum of the legs, not the straight line).
    pub distance_m: u32,
    /// The mode, when known or inferred.
    pub mode: Option<Mode>,
    /// How sure the mode is, 0–100.
    pub confidence: u8,
    /// How many points the trip was made of (0 for a trip taken from a file).
    pub points: usize,
    /// Taken from the file as is (a file's activity segment), not segmented here.
    pub given: bool,
    /// The way it went, simplified for drawing (`geo::simplify`), `(lat_e7,
    /// lon_e7)`; empty when the file stated the trip without its path (it is
    /// then drawn as the crow flies).
    pub path: Vec<(i32, i32)>,
}

impl Trip {
    /// Seconds from start to end (0 when a file has them backwards).
    pub fn duration_s(&self) -> i64 {
        self.end.saturating_sub(self.start).max(0)
    }
}

/// A trip as a file states it (a Takeout activity segment, a Timeline
/// activity, an e-mission trip): taken as given, never re-segmented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenTrip {
    /// UTC seconds.
    pub start: i64,
    pub end: i64,
    /// `(lat_e7, lon_e7)` where it started and ended.
    pub from: (i32, i32),
    pub to: (i32, i32),
    /// Metres, when the file says.
    pub distance_m: Option<u32>,
    /// The file's activity type, when it has one.
    pub mode: Option<Mode>,
    /// The points the file gives along the way (often none).
    pub path: Vec<Point>,
}

/// A time with no point at all: "not tracked". The trip before it ends at
/// the last point before the gap; nothing is invented inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub start: i64,
    pub end: i64,
}

/// A time spent in one place: a stop found in the points, or a visit a file
/// states (same shape, see [`Visit`]). The position is the stop's centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    pub start: i64,
    pub end: i64,
    pub lat_e7: i32,
    pub lon_e7: i32,
}

/// A file's place visit (Takeout `placeVisit`, Timeline `visit`): a [`Stop`].
pub type Visit = Stop;

impl Stop {
    /// Seconds spent (0 when backwards).
    pub fn duration_s(&self) -> i64 {
        self.end.saturating_sub(self.start).max(0)
    }

    /// `(lat_e7, lon_e7)`.
    pub fn pos(&self) -> (i32, i32) {
        (self.lat_e7, self.lon_e7)
    }
}

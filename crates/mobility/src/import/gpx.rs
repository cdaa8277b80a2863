//! GPX (1.1, and 1.0 which has the same points) read with quick-xml's pull
//! `Reader`: track points (`<trk><trkseg><trkpt lat lon><time>`), route
//! points that carry a time, and waypoints (`<wpt>`, time optional, with
//! their `<name>`). Elements are matched by local name, so any namespace
//! prefix and version works, and extension elements
//! (`gpxtpx:TrackPointExtension`, heart rate, cadence…) are skipped. Times
//! are UTC as GPX says: `Z`, an offset, or none at all (then UTC), with any
//! fraction of a second dropped. A `<!DOCTYPE` is refused at its line (no
//! entity is ever expanded, an unknown `&name;` is an error), and the reader
//! is capped: 32 levels of nesting, 4 KiB of text in an element it reads
//! (`time`, `name`; other text is never kept), 20,000,000 points. A
//! coordinate out of range or a time that is not one is refused at its line.
//!
//! [`GpxData`] and [`Waypoint`] are also what [`super::geojson`] gives.

use jiff::Timestamp;
use jiff::civil::DateTime;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};
use selfdata_sources::ImportError;
use selfdata_sources::text::{decode, parse_dec, shown};

use crate::model::Point;

const HEAD: usize = 4096;
const MAX_DEPTH: usize = 32;
const MAX_TEXT: usize = 4096;
/// Points and waypoints one file may hold.
pub(crate) const MAX_POINTS: usize = 20_000_000;

/// What a GPX (or GeoJSON) file holds: timed points, in the file's order,
/// and named places.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GpxData {
    /// Timed positions (track points, timed route points).
    pub points: Vec<Point>,
    /// Places the file marks (GPX `<wpt>`, an untimed GeoJSON `Point`).
    pub waypoints: Vec<Waypoint>,
    /// Tracks in the file (`<trk>`; GeoJSON: line features).
    pub tracks: usize,
    /// Positions skipped because they carry no time (a planned route).
    pub untimed: usize,
}

/// A place a file marks: a GPX waypoint, a GeoJSON point without a track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waypoint {
    /// UTC seconds, when the file gives a time.
    pub t: Option<i64>,
    pub lat_e7: i32,
    pub lon_e7: i32,
    pub name: Option<String>,
}

/// A `<gpx` root element in the first 4 KiB, after an optional XML
/// declaration and comments; or a `<!DOCTYPE gpx`, which [`parse`] refuses.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let h = &bytes[..bytes.len().min(HEAD)];
    let mut h = h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h);
    loop {
        h = h.trim_ascii_start();
        let skip_to = |h: &[u8], end: &[u8]| {
            h.windows(end.len())
                .position(|w| w == end)
                .map(|i| i + end.len())
        };
        let next = if h.starts_with(b"<?") {
            skip_to(h, b"?>")
        } else if h.starts_with(b"<!--") {
            skip_to(h, b"-->")
        } else if h.starts_with(b"<!") {
            // A DOCTYPE naming `gpx`: taken as GPX, so that [`parse`]
            // refuses it at its line rather than calling the file unknown.
            let d = h.get(..14).unwrap_or(h);
            return d.len() == 14
                && d[..13].eq_ignore_ascii_case(b"<!DOCTYPE gpx")
                && (d[13].is_ascii_whitespace() || matches!(d[13], b'[' | b'>'));
        } else {
            let Some(tag) = h.strip_prefix(b"<") else {
                return false;
            };
            let name_len = tag
                .iter()
                .position(|b| b.is_ascii_whitespace() || matches!(b, b'>' | b'/'))
                .unwrap_or(tag.len());
            let name = &tag[..name_len];
            let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
            return local == b"gpx";
        };
        match next {
            Some(n) => h = &h[n.min(h.len())..],
            None => return false,
        }
    }
}

/// Line numbers (1-based) of byte positions, counted forward once.
pub(crate) struct LineAt<'a> {
    text: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineAt<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Self {
        LineAt {
            text,
            at: 0,
            line: 1,
        }
    }

    pub(crate) fn of(&mut self, pos: usize) -> usize {
        let pos = pos.min(self.text.len());
        if pos < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += self.text[self.at..pos]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.at = pos;
        self.line
    }
}

/// UTC seconds of an RFC 3339 date-time (`Z` or an offset, any fraction of
/// a second dropped); without an offset, the time is taken as UTC only when
/// `bare_is_utc` (GPX says its times are UTC).
pub(crate) fn utc_seconds(s: &str, bare_is_utc: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t.as_second());
    }
    if bare_is_utc && s.len() >= 19 && s.as_bytes().get(10).is_some_and(|&b| b == b'T') {
        let dt = s.parse::<DateTime>().ok()?;
        return jiff::tz::TimeZone::UTC
            .to_timestamp(dt)
            .ok()
            .map(|t| t.as_second());
    }
    None
}

/// Degrees × 10⁷ of a latitude (`lat`) or longitude, refused out of range.
pub(crate) fn e7_in_range(deg_e7: i64, lat: bool) -> Option<i32> {
    let max = if lat { 900_000_000 } else { 1_800_000_000 };
    if (-max..=max).contains(&deg_e7) {
        i32::try_from(deg_e7).ok()
    } else {
        None
    }
}

/// The words for a coordinate refused.
pub(crate) fn out_of_range(found: &str, lat: bool) -> String {
    if lat {
        format!("expected a latitude between -90 and 90 degrees, found {found}")
    } else {
        format!("expected a longitude between -180 and 180 degrees, found {found}")
    }
}

/// What an open element is, as far as points are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gpx,
    Trk,
    Trkseg,
    Rte,
    /// A point: `trkpt`, `rtept` or `wpt`.
    Pt,
    Time,
    Name,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PtKind {
    Track,
    Route,
    Waypoint,
}

struct Pt {
    kind: PtKind,
    line: usize,
    lat_e7: i32,
    lon_e7: i32,
    t: Option<i64>,
    name: Option<String>,
}

/// A reader position as an index (a `u64` too large only on a 32-bit target, then capped).
fn at(pos: u64) -> usize {
    usize::try_from(pos).unwrap_or(usize::MAX)
}

fn coordinate(e: &BytesStart<'_>, line: usize) -> Result<(i32, i32), ImportError> {
    let (mut lat, mut lon) = (None, None);
    for a in e.attributes() {
        let a = a.map_err(|_| ImportError::at(line, "this tag is damaged"))?;
        let lat_attr = match a.key.local_name().as_ref() {
            b"lat" => true,
            b"lon" => false,
            _ => continue,
        };
        let v = a
            .unescape_value()
            .map_err(|_| ImportError::at(line, "this tag is damaged"))?;
        let e7 = parse_dec(&v)
            .ok()
            .flatten()
            .and_then(|d| d.scaled(10_000_000, 1))
            .ok_or_else(|| {
                let what = if lat_attr { "latitude" } else { "longitude" };
                ImportError::at(
                    line,
                    format!("expected a {what} in degrees, found {}", shown(&v)),
                )
            })?;
        let e7 = e7_in_range(e7, lat_attr)
            .ok_or_else(|| ImportError::at(line, out_of_range(&shown(&v), lat_attr)))?;
        if lat_attr {
            lat = Some(e7);
        } else {
            lon = Some(e7);
        }
    }
    match (lat, lon) {
        (Some(lat), Some(lon)) => Ok((lat, lon)),
        _ => Err(ImportError::at(
            line,
            "this point has no lat and lon attributes",
        )),
    }
}

/// Reads a whole GPX file, or refuses it at a line.
pub(crate) fn parse(bytes: &[u8]) -> Result<GpxData, ImportError> {
    let text = decode(bytes);
    if text.trim().is_empty() {
        return Err(ImportError::EmptyFile);
    }
    let mut reader = Reader::from_str(&text);
    reader.config_mut().expand_empty_elements = true;
    let mut lines = LineAt::new(text.as_bytes());
    let mut out = GpxData::default();
    let mut first_untimed: Option<usize> = None;
    // Per open element: its kind, local name and line.
    let mut open: Vec<(Kind, String, usize)> = Vec::new();
    let mut pt: Option<Pt> = None;
    let mut content = String::new();
    loop {
        // Lines are those where each event starts (a DOCTYPE's `<!`, a tag's `<`).
        let before = reader.buffer_position();
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(_) => {
                let line = lines.of(at(reader.error_position()));
                return Err(ImportError::at(
                    line,
                    "the XML is damaged here, or the file was cut short",
                ));
            }
        };
        let line = lines.of(at(before));
        // Text is kept only inside the elements read.
        let reading = matches!(open.last(), Some((Kind::Time | Kind::Name, ..)));
        match event {
            Event::DocType(_) => {
                return Err(ImportError::at(
                    line,
                    "a GPX file never declares a DTD (<!DOCTYPE …>): this file is not one, or was tampered with",
                ));
            }
            Event::Start(e) => {
                if open.len() >= MAX_DEPTH {
                    return Err(ImportError::at(
                        line,
                        format!(
                            "elements are nested more than {MAX_DEPTH} levels deep: this is not a GPX track"
                        ),
                    ));
                }
                let name = e.local_name();
                let name = name.as_ref();
                let parent = open.last().map(|o| o.0);
                let kind = match (parent, name) {
                    (None, b"gpx") => Kind::Gpx,
                    (Some(Kind::Gpx), b"trk") => Kind::Trk,
                    (Some(Kind::Gpx), b"rte") => Kind::Rte,
                    (Some(Kind::Trk), b"trkseg") => Kind::Trkseg,
                    (Some(Kind::Trkseg), b"trkpt")
                    | (Some(Kind::Rte), b"rtept")
                    | (Some(Kind::Gpx), b"wpt") => Kind::Pt,
                    (Some(Kind::Pt), b"time") => Kind::Time,
                    (Some(Kind::Pt), b"name") => Kind::Name,
                    (None, _) => {
                        return Err(ImportError::at(
                            line,
                            "expected a GPX file (its root element is <gpx>)",
                        ));
                    }
                    _ => Kind::Other,
                };
                match kind {
                    Kind::Trk => out.tracks += 1,
                    Kind::Pt => {
                        if out.points.len() + out.waypoints.len() >= MAX_POINTS {
                            return Err(ImportError::at(
                                line,
                                format!(
                                    "more than {MAX_POINTS} points in one file: export a shorter period"
                                ),
                            ));
                        }
                        let (lat_e7, lon_e7) = coordinate(&e, line)?;
                        pt = Some(Pt {
                            kind: match name {
                                b"trkpt" => PtKind::Track,
                                b"rtept" => PtKind::Route,
                                _ => PtKind::Waypoint,
                            },
                            line,
                            lat_e7,
                            lon_e7,
                            t: None,
                            name: None,
                        });
                    }
                    _ => {}
                }
                open.push((kind, String::from_utf8_lossy(name).into_owned(), line));
                content.clear();
            }
            Event::End(_) => {
                let Some((kind, _, opened)) = open.pop() else {
                    continue;
                };
                match kind {
                    Kind::Time => {
                        let t = utc_seconds(&content, true).ok_or_else(|| {
                            ImportError::at(
                                opened,
                                format!(
                                    "expected a UTC time such as 2024-05-01T08:30:00Z, found {}",
                                    shown(content.trim())
                                ),
                            )
                        })?;
                        if let Some(p) = &mut pt {
                            p.t = Some(t);
                        }
                    }
                    Kind::Name => {
                        let name = content.trim();
                        if let Some(p) = &mut pt
                            && !name.is_empty()
                        {
                            p.name = Some(name.to_owned());
                        }
                    }
                    Kind::Pt => {
                        if let Some(p) = pt.take() {
                            match (p.kind, p.t) {
                                (PtKind::Waypoint, t) => out.waypoints.push(Waypoint {
                                    t,
                                    lat_e7: p.lat_e7,
                                    lon_e7: p.lon_e7,
                                    name: p.name,
                                }),
                                (_, Some(t)) => {
                                    out.points.push(Point::new(t, p.lat_e7, p.lon_e7));
                                }
                                (_, None) => {
                                    out.untimed += 1;
                                    first_untimed.get_or_insert(p.line);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                content.clear();
            }
            Event::Text(t) if reading => {
                let t = t
                    .decode()
                    .map_err(|_| ImportError::at(line, "this text is not readable"))?;
                push_text(&mut content, &t, line)?;
            }
            Event::CData(t) if reading => {
                let t = t
                    .decode()
                    .map_err(|_| ImportError::at(line, "this text is not readable"))?;
                push_text(&mut content, &t, line)?;
            }
            Event::GeneralRef(r) => {
                let c = r.resolve_char_ref().ok().flatten();
                let name = r.decode().unwrap_or_default();
                match (c, resolve_predefined_entity(&name)) {
                    (Some(c), _) if reading => {
                        push_text(&mut content, c.encode_utf8(&mut [0; 4]), line)?
                    }
                    (None, Some(s)) if reading => push_text(&mut content, s, line)?,
                    (Some(_), _) | (None, Some(_)) => {}
                    (None, None) => {
                        return Err(ImportError::at(
                            line,
                            format!(
                                "unknown entity &{};: a GPX file never uses one",
                                name.chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                }
            }
            Event::Eof => break,
            Event::Text(_)
            | Event::CData(_)
            | Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_) => {}
        }
    }
    if !open.is_empty() {
        // Name the outermost part that matters, not a leaf inside it.
        let (name, opened) = open
            .iter()
            .rev()
            .find(|o| matches!(o.0, Kind::Pt | Kind::Trkseg | Kind::Trk | Kind::Rte))
            .or(open.last())
            .map(|o| (o.1.as_str(), o.2))
            .unwrap_or(("gpx", 1));
        return Err(ImportError::at(
            lines.of(text.trim_end().len()),
            format!("the file ends inside <{name}> opened on line {opened}: it was cut short"),
        ));
    }
    if out.points.is_empty() && out.waypoints.is_empty() {
        if let Some(line) = first_untimed {
            return Err(ImportError::at(
                line,
                "these points have no <time>: this GPX is a planned route, not a recorded trace; \
                 export the recorded activity instead",
            ));
        }
        return Err(ImportError::Empty);
    }
    Ok(out)
}

fn push_text(content: &mut String, t: &str, line: usize) -> Result<(), ImportError> {
    if content.len() + t.len() > MAX_TEXT {
        return Err(ImportError::at(
            line,
            format!(
                "an element holds more than {} KiB of text: this is not a GPX track",
                MAX_TEXT / 1024
            ),
        ));
    }
    content.push_str(t);
    Ok(())
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        s.parse::<Timestamp>().unwrap().as_second()
    }

    fn refused(doc: &str) -> (usize, String) {
        match parse(doc.as_bytes()) {
            Err(ImportError::AtLine { line, message }) => (line, message),
            other => panic!("expected a refusal at a line, got {other:?}"),
        }
    }

    const TRACK: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="OsmAnd" xmlns="http://www.topografix.com/GPX/1/1">
  <metadata><time>2020-01-01T00:00:00Z</time></metadata>
  <trk><name>Commute</name>
    <trkseg>
      <trkpt lat="46.1591126" lon="-1.1520434"><ele>12.5</ele><time>2024-05-01T08:30:00Z</time></trkpt>
      <trkpt lat="46.1600000" lon="-1.1500000"><time>2024-05-01T08:30:10.750Z</time></trkpt>
    </trkseg>
    <trkseg>
      <trkpt lat="46.17" lon="-1.14"><time>2024-05-01T10:31:00+02:00</time></trkpt>
    </trkseg>
  </trk>
</gpx>
"#;

    #[test]
    fn a_track_gives_its_timed_points_in_utc_seconds_and_e7_degrees() {
        let d = parse(TRACK.as_bytes()).unwrap();
        assert_eq!(
            d.points,
            vec![
                Point::new(utc("2024-05-01T08:30:00Z"), 461_591_126, -11_520_434),
                // The fraction of a second is dropped.
                Point::new(utc("2024-05-01T08:30:10Z"), 461_600_000, -11_500_000),
                // An offset is moved to UTC; the metadata's time is no point.
                Point::new(utc("2024-05-01T08:31:00Z"), 461_700_000, -11_400_000),
            ]
        );
        assert_eq!(d.tracks, 1);
        assert!(d.waypoints.is_empty());
        assert!(detect(TRACK.as_bytes()));
    }

    #[test]
    fn a_time_with_an_offset_is_the_same_instant_in_utc_and_a_bare_time_is_utc() {
        let doc = |time: &str| {
            format!(
                r#"<gpx><trk><trkseg><trkpt lat="1" lon="2"><time>{time}</time></trkpt></trkseg></trk></gpx>"#
            )
        };
        let t = |time: &str| parse(doc(time).as_bytes()).unwrap().points[0].t;
        let expected = utc("2024-07-30T16:37:06Z");
        assert_eq!(t("2024-07-30T18:37:06.000+02:00"), expected);
        assert_eq!(t("2024-07-30T12:37:06-04:00"), expected);
        assert_eq!(t(" 2024-07-30T16:37:06 "), expected);
    }

    #[test]
    fn extension_elements_and_other_namespaces_are_skipped() {
        let doc = r#"<?xml version="1.0"?>
<g:gpx xmlns:g="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">
 <g:trk><g:trkseg>
  <g:trkpt lat="45.0" lon="5.0">
   <g:time>2024-05-01T08:00:00Z</g:time>
   <g:extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>142</gpxtpx:hr><gpxtpx:time>not a time</gpxtpx:time></gpxtpx:TrackPointExtension></g:extensions>
  </g:trkpt>
 </g:trkseg></g:trk>
</g:gpx>"#;
        let d = parse(doc.as_bytes()).unwrap();
        assert_eq!(
            d.points,
            vec![Point::new(
                utc("2024-05-01T08:00:00Z"),
                450_000_000,
                50_000_000
            )]
        );
        assert!(detect(doc.as_bytes()));
    }

    #[test]
    fn gpx_1_0_with_speed_and_course_reads_the_same_points() {
        let doc = r#"<?xml version="1.0"?>
<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0">
<trk><trkseg><trkpt lat="48.85" lon="2.35"><time>2005-01-01T00:00:00Z</time><course>12</course><speed>3.2</speed></trkpt></trkseg></trk>
</gpx>"#;
        let d = parse(doc.as_bytes()).unwrap();
        assert_eq!(d.points.len(), 1);
        assert_eq!(d.points[0].pos(), (488_500_000, 23_500_000));
    }

    #[test]
    fn waypoints_keep_their_name_and_route_points_count_only_when_timed() {
        let doc = r#"<gpx>
<wpt lat="46.15" lon="-1.15"><name> Home </name></wpt>
<wpt lat="46.16" lon="-1.16"><time>2024-05-01T08:00:00Z</time><name>Caf&#233; &amp; bar</name></wpt>
<rte><rtept lat="1" lon="1"/><rtept lat="2" lon="2"><time>2024-05-01T09:00:00Z</time></rtept></rte>
</gpx>"#;
        let d = parse(doc.as_bytes()).unwrap();
        assert_eq!(
            d.waypoints,
            vec![
                Waypoint {
                    t: None,
                    lat_e7: 461_500_000,
                    lon_e7: -11_500_000,
                    name: Some("Home".into())
                },
                Waypoint {
                    t: Some(utc("2024-05-01T08:00:00Z")),
                    lat_e7: 461_600_000,
                    lon_e7: -11_600_000,
                    name: Some("Café & bar".into())
                },
            ]
        );
        assert_eq!(
            d.points,
            vec![Point::new(
                utc("2024-05-01T09:00:00Z"),
                20_000_000,
                20_000_000
            )]
        );
        assert_eq!(d.untimed, 1);
    }

    #[test]
    fn a_planned_route_without_times_is_refused_at_its_first_point() {
        let doc = "<gpx>\n<rte>\n<rtept lat=\"1\" lon=\"1\"/>\n<rtept lat=\"2\" lon=\"2\"/>\n</rte>\n</gpx>";
        let (line, message) = refused(doc);
        assert_eq!(line, 3);
        assert!(message.contains("planned route"), "{message}");
        assert_eq!(
            parse(b"<gpx><trk><trkseg></trkseg></trk></gpx>"),
            Err(ImportError::Empty)
        );
    }

    #[test]
    fn a_doctype_entity_bomb_is_refused_at_line_2_without_expanding() {
        let doc = r#"<?xml version="1.0"?>
<!DOCTYPE gpx [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<gpx><wpt lat="1" lon="1"><name>&lol3;</name></wpt></gpx>"#;
        assert!(detect(doc.as_bytes()), "taken as GPX, to be refused");
        let (line, message) = refused(doc);
        assert_eq!(line, 2);
        assert!(message.contains("DOCTYPE"), "{message}");
        // Without the DTD, the entity is unknown and refused too.
        let doc = "<gpx>\n<wpt lat=\"1\" lon=\"1\"><name>&lol3;</name></wpt></gpx>";
        let (line, message) = refused(doc);
        assert_eq!(line, 2);
        assert!(message.contains("&lol3;"), "{message}");
    }

    #[test]
    fn nesting_40_deep_is_refused_at_the_33rd_level() {
        let mut doc = String::from("<gpx>\n");
        for i in 1..40 {
            doc.push_str(&format!("<e{i}>\n"));
        }
        let (line, message) = refused(&doc);
        assert_eq!(line, 33, "the 33rd element (<gpx> is the first, line 1)");
        assert!(message.contains("32 levels"), "{message}");
    }

    #[test]
    fn a_cut_file_is_refused_with_its_line() {
        let cut = &TRACK[..TRACK.find("<trkseg>\n      <trkpt lat=\"46.17\"").unwrap()];
        let (line, message) = refused(cut);
        assert_eq!(line, cut.trim_end().lines().count());
        assert!(
            message.contains("ends inside <trk> opened on line 4"),
            "{message}"
        );
        // Cut inside a point: the point is named.
        let cut = &TRACK[..TRACK.find("<ele>").unwrap()];
        let (line, message) = refused(cut);
        assert_eq!(line, 6);
        assert!(message.contains("<trkpt> opened on line 6"), "{message}");
        // Cut inside a tag: the XML is damaged where it stops.
        let cut = &TRACK[..TRACK.find("lon=\"-1.15").unwrap()];
        assert_eq!(refused(cut).0, 6);
    }

    #[test]
    fn a_coordinate_out_of_range_or_a_bad_time_is_refused_at_its_line() {
        let doc = "<gpx><trk><trkseg>\n<trkpt lat=\"91\" lon=\"2\"><time>2024-05-01T08:00:00Z</time></trkpt>\n</trkseg></trk></gpx>";
        let (line, message) = refused(doc);
        assert_eq!(line, 2);
        assert!(message.contains("latitude between -90 and 90"), "{message}");
        let doc = doc
            .replace("\"91\"", "\"45\"")
            .replace("\"2\"", "\"-180.0000001\"");
        let (line, message) = refused(&doc);
        assert_eq!(line, 2);
        assert!(message.contains("longitude"), "{message}");
        let doc = "<gpx><trk><trkseg>\n<trkpt lat=\"1\" lon=\"2\">\n<time>01/05/2024 08:00</time></trkpt>\n</trkseg></trk></gpx>";
        let (line, message) = refused(doc);
        assert_eq!(line, 3);
        assert!(message.contains("01/05/2024 08:00"), "{message}");
        let doc = "<gpx>\n<wpt lat=\"1\"/></gpx>";
        assert_eq!(refused(doc).0, 2);
    }

    #[test]
    fn a_long_description_is_skipped_but_a_long_time_is_refused() {
        let long = "x".repeat(MAX_TEXT * 3);
        let doc = format!(
            "<gpx><trk><desc>{long}</desc><trkseg><trkpt lat=\"1\" lon=\"2\"><time>2024-05-01T08:00:00Z</time></trkpt></trkseg></trk></gpx>"
        );
        assert_eq!(parse(doc.as_bytes()).unwrap().points.len(), 1);
        let doc = format!(
            "<gpx><trk><trkseg><trkpt lat=\"1\" lon=\"2\"><time>{long}</time></trkpt></trkseg></trk></gpx>"
        );
        assert!(refused(&doc).1.contains("4 KiB"));
    }

    #[test]
    fn only_a_gpx_root_is_detected() {
        assert!(detect(b"\xEF\xBB\xBF<gpx version=\"1.1\">"));
        assert!(detect(
            b"<?xml version=\"1.0\"?>\n<!-- from a <watch> -->\n<gpx>"
        ));
        assert!(!detect(
            b"<?xml version=\"1.0\"?><Document><gpx/></Document>"
        ));
        assert!(!detect(b"<gpxish>"));
        assert!(!detect(b"{\"type\":\"FeatureCollection\"}"));
        assert!(!detect(b""));
        let mut late = vec![b' '; HEAD];
        late.extend_from_slice(b"<gpx>");
        assert!(!detect(&late), "only the first 4 KiB are looked at");
        assert_eq!(
            refused("<kml><Placemark/></kml>").1,
            "expected a GPX file (its root element is <gpx>)"
        );
    }
}

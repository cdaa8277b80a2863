//! Maps drawn by the server as SVG: trips as lines (their simplified path,
//! or dashed as the crow flies when the file gave none), places as points
//! with their names, a scale bar, north up. No tiles: nothing is fetched
//! from anywhere, so a map shows where one went to nobody but the reader.
//! Colours tell modes apart; the legend and the list beside every map say
//! the same in words.

use std::fmt::Write as _;

use selfdata_mobility::geo::{BBox, Projection, distance_m};
use selfdata_mobility::model::Mode;
use selfdata_site::chart::esc;

/// The picture's size, in SVG units (it scales to the page's width).
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 420;
const MARGIN: u32 = 24;
/// A map spans at least this many metres each way (a day at home still has a scale).
const MIN_SPAN_M: i32 = 800;

/// One trip to draw.
pub struct Line<'a> {
    pub path: &'a [(i32, i32)],
    pub from: (i32, i32),
    pub to: (i32, i32),
    pub mode: Option<Mode>,
    /// Its tooltip ("08:12, tram, 4.2 km").
    pub label: String,
}

/// One place to mark.
pub struct Pin {
    pub pos: (i32, i32),
    /// Its name, shown beside it; empty for none.
    pub label: String,
}

/// A mode's colour (dark enough on white for lines 3 units wide).
pub fn colour(mode: Option<Mode>) -> &'static str {
    match mode {
        Some(Mode::Walk) => "#1b7837",
        Some(Mode::Bike) => "#5aae61",
        Some(Mode::Car) => "#b2182b",
        Some(Mode::Bus) => "#e08214",
        Some(Mode::Tram) => "#2166ac",
        Some(Mode::Metro) => "#542788",
        Some(Mode::Train) => "#8c510a",
        Some(Mode::Plane) => "#40004b",
        Some(Mode::Other) | None => "#525252",
    }
}

/// Roughly `m` metres north and east of `p`, E7.
fn offset(p: (i32, i32), north_m: i32, east_m: i32) -> (i32, i32) {
    let k = (f64::from(p.0) / 1e7).to_radians().cos().max(0.01);
    let dlat = f64::from(north_m) / 111_195.0 * 1e7;
    let dlon = f64::from(east_m) / (111_195.0 * k) * 1e7;
    // Bounded by the caller's small offsets: stays in range.
    (
        (f64::from(p.0) + dlat).clamp(-900_000_000.0, 900_000_000.0) as i32,
        (f64::from(p.1) + dlon).clamp(-1_800_000_000.0, 1_800_000_000.0) as i32,
    )
}

/// The longest "nice" length that fits in a quarter of the picture.
fn scale_bar(proj: &Projection, at: (i32, i32)) -> Option<(u32, f64)> {
    let (x0, _) = proj.project(at);
    let (x1, _) = proj.project(offset(at, 0, 1000));
    let px_per_m = (x1 - x0) / f64::from(distance_m(at, offset(at, 0, 1000)).max(1));
    if !px_per_m.is_finite() || px_per_m <= 0.0 {
        return None;
    }
    [
        100_000u32, 50_000, 20_000, 10_000, 5_000, 2_000, 1_000, 500, 200, 100, 50,
    ]
    .into_iter()
    .map(|m| (m, f64::from(m) * px_per_m))
    .find(|&(_, px)| px <= f64::from(WIDTH) / 4.0)
}

fn metres(m: u32) -> String {
    if m >= 1000 {
        format!("{}\u{a0}km", m / 1000)
    } else {
        format!("{m}\u{a0}m")
    }
}

/// The map of `lines` and `pins`, with `title` and `desc` as its accessible
/// name and description. `None` when there is nothing to draw.
pub fn svg(lines: &[Line], pins: &[Pin], title: &str, desc: &str) -> Option<String> {
    let all = lines
        .iter()
        .flat_map(|l| l.path.iter().copied().chain([l.from, l.to]))
        .chain(pins.iter().map(|p| p.pos));
    let mut bbox = BBox::of(all)?;
    let centre = (
        i32::try_from((i64::from(bbox.min_lat) + i64::from(bbox.max_lat)) / 2).unwrap_or(0),
        i32::try_from((i64::from(bbox.min_lon) + i64::from(bbox.max_lon)) / 2).unwrap_or(0),
    );
    bbox.extend(offset(centre, MIN_SPAN_M / 2, MIN_SPAN_M / 2));
    bbox.extend(offset(centre, -MIN_SPAN_M / 2, -MIN_SPAN_M / 2));
    let proj = Projection::fit(bbox, WIDTH, HEIGHT, MARGIN);
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="map-title" aria-describedby="map-desc" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{}</title><desc id="map-desc">{}</desc><rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f1ea" stroke="#8a8a8a"/>"##,
        esc(title),
        esc(desc)
    );
    for l in lines {
        let pts: Vec<(i32, i32)> = if l.path.len() >= 2 {
            l.path.to_vec()
        } else {
            vec![l.from, l.to]
        };
        let mut d = String::new();
        for (i, p) in pts.iter().enumerate() {
            let (x, y) = proj.project(*p);
            let _ = write!(d, "{}{x} {y}", if i == 0 { "M" } else { " L" });
        }
        let dash = if l.path.len() >= 2 {
            ""
        } else {
            r#" stroke-dasharray="6 5""#
        };
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke="{}" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"{dash}><title>{}</title></path>"#,
            colour(l.mode),
            esc(&l.label)
        );
        let (x, y) = proj.project(l.to);
        let _ = write!(
            out,
            r##"<circle cx="{x}" cy="{y}" r="3" fill="{}" stroke="#fff"/>"##,
            colour(l.mode)
        );
    }
    for p in pins {
        let (x, y) = proj.project(p.pos);
        let _ = write!(
            out,
            r##"<circle cx="{x}" cy="{y}" r="6" fill="#fff" stroke="#1a1a1a" stroke-width="2"/>"##
        );
        if !p.label.is_empty() {
            let anchor = if x > f64::from(WIDTH) * 0.7 {
                "end"
            } else {
                "start"
            };
            let dx = if anchor == "end" { -9.0 } else { 9.0 };
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" font-size="14" text-anchor="{anchor}" fill="#1a1a1a" stroke="#f4f1ea" stroke-width="3" paint-order="stroke">{}</text>"##,
                x + dx,
                y + 5.0,
                esc(&p.label)
            );
        }
    }
    if let Some((m, px)) = scale_bar(&proj, centre) {
        let (x, y) = (12.0, f64::from(HEIGHT) - 12.0);
        let _ = write!(
            out,
            r##"<path d="M{x} {} V{y} H{} V{}" fill="none" stroke="#1a1a1a" stroke-width="2"/><text x="{}" y="{}" font-size="13" fill="#1a1a1a">{}</text>"##,
            y - 6.0,
            x + px,
            y - 6.0,
            x + px + 6.0,
            y - 1.0,
            metres(m)
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_is_drawn_with_its_lines_places_and_a_scale_and_names_are_escaped() {
        let path = [
            (457_700_000, 48_300_000),
            (457_650_000, 48_400_000),
            (457_600_000, 48_500_000),
        ];
        let lines = [
            Line {
                path: &path,
                from: path[0],
                to: path[2],
                mode: Some(Mode::Tram),
                label: "08:12 tram".into(),
            },
            Line {
                path: &[],
                from: path[2],
                to: path[0],
                mode: None,
                label: "18:00".into(),
            },
        ];
        let pins = [Pin {
            pos: path[0],
            label: "Home <& \"garden\">".into(),
        }];
        let s = svg(&lines, &pins, "A day", "Two trips").unwrap();
        assert_eq!(
            s.matches("<path d=\"M").count(),
            3,
            "two trips and the scale: {s}"
        );
        assert!(
            s.contains("stroke-dasharray"),
            "the trip without a path is dashed"
        );
        assert!(s.contains("Home &lt;&amp; &quot;garden&quot;&gt;"));
        assert!(s.contains("\u{a0}km</text>") || s.contains("\u{a0}m</text>"));
        assert!(svg(&[], &[], "", "").is_none());
    }
}

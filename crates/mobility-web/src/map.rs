//! Maps drawn by the server as SVG: trips as lines (their simplified path,
//! or dashed as the crow flies when the file gave none), places as points
//! with their names, a scale bar, north up. No tiles by default: nothing is
//! fetched from anywhere, so a map shows where one went to nobody but the
//! reader. An operator may name a tile server ([`Tiles`]); the map is then
//! drawn in Web Mercator at the tiles' zoom, over them, the page's CSP
//! allows exactly that origin, and the map says who draws its background.
//! Colours tell modes apart; the legend and the list beside every map say
//! the same in words.

use std::fmt::Write as _;

use selfdata_mobility::geo::{BBox, Projection, distance_m};
use selfdata_mobility::model::Mode;
use selfdata_site::chart::esc;
use selfdata_site::fill;

use crate::texts::Texts;

/// The picture's size, in SVG units (it scales to the page's width).
pub const WIDTH: u32 = 640;
pub const HEIGHT: u32 = 420;
const MARGIN: u32 = 24;
/// How far (SVG units) a line drawn as the crow flies stands to the right
/// of its direction, so a trip and its way back are two lines.
const CROW_OFFSET: f64 = 3.0;
/// A map spans at least this many metres each way (a day at home still has a scale).
const MIN_SPAN_M: i32 = 800;

/// The operator's background map: an `https://` URL template with `{z}`,
/// `{x}` and `{y}` (the OpenStreetMap layout of 256-pixel tiles), and who
/// to credit for it.
#[derive(Debug, Clone)]
pub struct Tiles {
    template: String,
    origin: String,
    credit: String,
}

/// Why a tile server address was refused.
#[derive(Debug, thiserror::Error)]
#[error(
    "the map tiles address must be https://host/…{{z}}…{{x}}…{{y}}… with no quote, space or angle bracket; got {0:?}"
)]
pub struct TilesError(String);

impl Tiles {
    /// The tile server at `template`, credited as `credit` (its host when empty).
    pub fn parse(template: &str, credit: &str) -> Result<Tiles, TilesError> {
        let refused = || TilesError(template.chars().take(200).collect());
        let origin = selfdata_site::https_origin(template).ok_or_else(refused)?;
        let clean = template.len() <= 500
            && ["{z}", "{x}", "{y}"].iter().all(|p| template.contains(p))
            && !template
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "\"'<>\\`".contains(c));
        if !clean {
            return Err(refused());
        }
        let credit = credit.trim();
        Ok(Tiles {
            template: template.to_owned(),
            credit: if credit.is_empty() {
                origin.trim_start_matches("https://").to_owned()
            } else {
                credit.chars().take(120).collect()
            },
            origin,
        })
    }

    /// The origin the page's CSP allows images from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    fn url(&self, z: u8, x: u32, y: u32) -> String {
        self.template
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{y}", &y.to_string())
    }
}

/// The sentence a map's description ends with: whether anything is fetched
/// to draw it, and from whom.
pub fn backdrop_note(t: &Texts, tiles: Option<&Tiles>) -> String {
    match tiles {
        None => t.map_plain.to_owned(),
        Some(tl) => fill(t.map_tiles, &[("who", &tl.credit)]),
    }
}

/// Tiles are this many pixels wide at every zoom.
const TILE: f64 = 256.0;
/// The deepest zoom asked of a tile server.
const MAX_ZOOM: u8 = 18;

/// Web Mercator at zoom `z`, shifted so the drawing is centred.
struct Mercator {
    z: u8,
    dx: f64,
    dy: f64,
}

/// World pixels of `(lat_e7, lon_e7)` at zoom `z`.
fn world(p: (i32, i32), z: u8) -> (f64, f64) {
    let size = TILE * f64::from(1u32 << z);
    let lat = (f64::from(p.0) / 1e7).clamp(-85.05, 85.05).to_radians();
    let x = (f64::from(p.1) / 1e7 + 180.0) / 360.0 * size;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * size;
    (x, y)
}

impl Mercator {
    /// The deepest zoom at which `bbox` fits the picture, centred.
    fn fit(bbox: BBox) -> Mercator {
        let (w, h) = (
            f64::from(WIDTH - 2 * MARGIN),
            f64::from(HEIGHT - 2 * MARGIN),
        );
        let mut z = MAX_ZOOM;
        loop {
            let (x0, y0) = world((bbox.max_lat, bbox.min_lon), z);
            let (x1, y1) = world((bbox.min_lat, bbox.max_lon), z);
            if (x1 - x0 <= w && y1 - y0 <= h) || z == 0 {
                return Mercator {
                    z,
                    dx: f64::from(WIDTH) / 2.0 - (x0 + x1) / 2.0,
                    dy: f64::from(HEIGHT) / 2.0 - (y0 + y1) / 2.0,
                };
            }
            z -= 1;
        }
    }

    fn project(&self, p: (i32, i32)) -> (f64, f64) {
        let (x, y) = world(p, self.z);
        let r = |v: f64| (v * 10.0).round() / 10.0;
        (r(x + self.dx), r(y + self.dy))
    }

    /// The `<image>`s of the tiles under the picture.
    fn images(&self, tiles: &Tiles, out: &mut String) {
        let n = 1i64 << self.z;
        let first = |d: f64| ((-d) / TILE).floor() as i64;
        let (x0, y0) = (first(self.dx), first(self.dy));
        let (x1, y1) = (
            ((f64::from(WIDTH) - self.dx) / TILE).floor() as i64,
            ((f64::from(HEIGHT) - self.dy) / TILE).floor() as i64,
        );
        for ty in y0.max(0)..=y1.min(n - 1) {
            for tx in x0..=x1 {
                // Across the antimeridian the world repeats.
                let wx = tx.rem_euclid(n);
                let (Ok(ux), Ok(uy)) = (u32::try_from(wx), u32::try_from(ty)) else {
                    continue;
                };
                let _ = write!(
                    out,
                    r#"<image href="{}" x="{}" y="{}" width="256" height="256" preserveAspectRatio="none"/>"#,
                    esc(&tiles.url(self.z, ux, uy)),
                    tx as f64 * TILE + self.dx,
                    ty as f64 * TILE + self.dy
                );
            }
        }
    }
}

/// How positions land on the picture.
enum Frame {
    Plain(Projection),
    Tiled(Mercator),
}

impl Frame {
    fn project(&self, p: (i32, i32)) -> (f64, f64) {
        match self {
            Frame::Plain(proj) => proj.project(p),
            Frame::Tiled(m) => m.project(p),
        }
    }
}

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
fn scale_bar(proj: &Frame, at: (i32, i32)) -> Option<(u32, f64)> {
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
/// name and description, over `tiles` when the operator gave some. `None`
/// when there is nothing to draw.
pub fn svg(
    lines: &[Line],
    pins: &[Pin],
    title: &str,
    desc: &str,
    tiles: Option<&Tiles>,
) -> Option<String> {
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
    let proj = match tiles {
        None => Frame::Plain(Projection::fit(bbox, WIDTH, HEIGHT, MARGIN)),
        Some(_) => Frame::Tiled(Mercator::fit(bbox)),
    };
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg class="map" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="map-title" aria-describedby="map-desc" xmlns="http://www.w3.org/2000/svg"><title id="map-title">{}</title><desc id="map-desc">{}</desc><rect width="{WIDTH}" height="{HEIGHT}" fill="#f4f1ea" stroke="#8a8a8a"/>"##,
        esc(title),
        esc(desc)
    );
    if let (Some(tl), Frame::Tiled(m)) = (tiles, &proj) {
        m.images(tl, &mut out);
        let _ = write!(
            out,
            r##"<text x="{}" y="{}" font-size="11" text-anchor="end" fill="#1a1a1a" stroke="#fff" stroke-width="3" paint-order="stroke">© {}</text>"##,
            WIDTH - 4,
            HEIGHT - 4,
            esc(&tl.credit)
        );
    }
    for l in lines {
        let pts: Vec<(i32, i32)> = if l.path.len() >= 2 {
            l.path.to_vec()
        } else {
            vec![l.from, l.to]
        };
        let mut xy: Vec<(f64, f64)> = pts.iter().map(|p| proj.project(*p)).collect();
        if l.path.len() < 2 {
            // As the crow flies, drawn a little to the right of the way
            // it goes, so that the way back is a second line beside it.
            let ((x0, y0), (x1, y1)) = (xy[0], xy[xy.len() - 1]);
            let len = (x1 - x0).hypot(y1 - y0);
            if len > 0.0 {
                let (nx, ny) = (
                    -(y1 - y0) / len * CROW_OFFSET,
                    (x1 - x0) / len * CROW_OFFSET,
                );
                let r = |v: f64| (v * 10.0).round() / 10.0;
                for p in &mut xy {
                    *p = (r(p.0 + nx), r(p.1 + ny));
                }
            }
        }
        let mut d = String::new();
        for (i, (x, y)) in xy.iter().enumerate() {
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
        let s = svg(&lines, &pins, "A day", "Two trips", None).unwrap();
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
        assert!(svg(&[], &[], "", "", None).is_none());
        // A trip as the crow flies and its way back are two lines, side by side.
        let there_and_back = [
            Line {
                path: &[],
                from: path[0],
                to: path[2],
                mode: None,
                label: String::new(),
            },
            Line {
                path: &[],
                from: path[2],
                to: path[0],
                mode: None,
                label: String::new(),
            },
        ];
        let two = svg(&there_and_back, &[], "t", "d", None).unwrap();
        let ds: Vec<&str> = two
            .split("<path d=\"")
            .skip(1)
            .take(2)
            .map(|p| p.split('"').next().unwrap())
            .collect();
        let ends = |d: &str| {
            let mut v: Vec<String> = d
                .replace(['M', 'L'], "")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            v.sort();
            v
        };
        assert_ne!(ends(ds[0]), ends(ds[1]), "{two}");
        assert!(!s.contains("<image"), "nothing fetched without tiles");
    }

    #[test]
    fn over_tiles_the_map_is_drawn_at_their_zoom_and_names_only_their_server() {
        let tiles = Tiles::parse("https://tile.example.org/{z}/{x}/{y}.png", "").unwrap();
        assert_eq!(tiles.origin(), "https://tile.example.org");
        // La Rochelle's old port: tile 16/32558/23071 at zoom 16.
        let pos = (461_560_000, -11_530_000);
        let s = svg(
            &[],
            &[Pin {
                pos,
                label: String::new(),
            }],
            "t",
            "d",
            Some(&tiles),
        )
        .unwrap();
        let images: Vec<&str> = s.split("<image href=\"").skip(1).collect();
        assert!((4..=20).contains(&images.len()), "{s}");
        assert!(
            images
                .iter()
                .all(|i| i.starts_with("https://tile.example.org/")),
            "{s}"
        );
        // The pin lies on the tile the slippy-map formula names for it.
        let z: u8 = images[0]["https://tile.example.org/".len()..]
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (wx, wy) = world(pos, z);
        let want = format!("/{z}/{}/{}.png", (wx / 256.0) as u32, (wy / 256.0) as u32);
        assert!(
            images
                .iter()
                .any(|i| i.starts_with(&format!("https://tile.example.org{want}"))),
            "{want}: {s}"
        );
        assert!(s.contains("© tile.example.org"));
        for bad in [
            "http://tile.example.org/{z}/{x}/{y}.png",
            "https://tile.example.org/{z}/{x}.png",
            "https://tile.example.org/{z}/{x}/{y}.png\"><script>",
            "https://tile.example.org/{z}/{x}/{y}.png onload=x",
        ] {
            assert!(Tiles::parse(bad, "").is_err(), "{bad}");
        }
    }
}

//! Geometry on E7 coordinates: the haversine distance in metres (f64 inside,
//! an integer out, finite for every input), a bounding box, and an
//! equirectangular projection to draw trips and places on a flat picture.

/// Mean Earth radius, metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

fn rad(e7: i32) -> f64 {
    (f64::from(e7) / 1e7).to_radians()
}

/// Great-circle distance between two `(lat_e7, lon_e7)` positions, metres,
/// rounded. Any pair of integers gives a finite answer (at most half the
/// Earth's circumference, ~20,015 km).
pub fn distance_m(a: (i32, i32), b: (i32, i32)) -> u32 {
    if a == b {
        return 0;
    }
    let (la1, lo1, la2, lo2) = (rad(a.0), rad(a.1), rad(b.0), rad(b.1));
    let s1 = ((la2 - la1) / 2.0).sin();
    let s2 = ((lo2 - lo1) / 2.0).sin();
    let h = (s1 * s1 + la1.cos() * la2.cos() * s2 * s2).clamp(0.0, 1.0);
    let d = 2.0 * EARTH_RADIUS_M * h.sqrt().asin();
    // `as` saturates, and a NaN (impossible after the clamp) would give 0.
    d.round() as u32
}

/// The smallest box holding some positions, E7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BBox {
    pub min_lat: i32,
    pub max_lat: i32,
    pub min_lon: i32,
    pub max_lon: i32,
}

impl BBox {
    /// The box of one position.
    pub fn at(p: (i32, i32)) -> BBox {
        BBox {
            min_lat: p.0,
            max_lat: p.0,
            min_lon: p.1,
            max_lon: p.1,
        }
    }

    /// The box of positions; `None` for none.
    pub fn of(positions: impl IntoIterator<Item = (i32, i32)>) -> Option<BBox> {
        let mut it = positions.into_iter();
        let mut b = BBox::at(it.next()?);
        for p in it {
            b.extend(p);
        }
        Some(b)
    }

    /// Grows the box to hold `p`.
    pub fn extend(&mut self, p: (i32, i32)) {
        self.min_lat = self.min_lat.min(p.0);
        self.max_lat = self.max_lat.max(p.0);
        self.min_lon = self.min_lon.min(p.1);
        self.max_lon = self.max_lon.max(p.1);
    }

    /// Whether `p` is inside (edges included).
    pub fn contains(&self, p: (i32, i32)) -> bool {
        (self.min_lat..=self.max_lat).contains(&p.0) && (self.min_lon..=self.max_lon).contains(&p.1)
    }
}

/// Equirectangular projection of a box onto a `width` × `height` picture
/// (y down, north up), keeping proportions at the box's middle latitude,
/// centred, with `margin` pixels on each side. Good for a town or a region,
/// which is what a day's trips cover; not for a map of the world.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    /// North edge, degrees.
    top: f64,
    /// West edge, degrees.
    left: f64,
    /// cos(middle latitude): how much a degree of longitude shrinks.
    k: f64,
    /// Pixels per degree of latitude.
    scale: f64,
    x_off: f64,
    y_off: f64,
}

impl Projection {
    /// Fits `bbox` into the picture.
    pub fn fit(bbox: BBox, width: u32, height: u32, margin: u32) -> Projection {
        let mid = (f64::from(bbox.min_lat) + f64::from(bbox.max_lat)) / 2e7;
        let k = mid.to_radians().cos().max(0.01);
        let w = (f64::from(bbox.max_lon) - f64::from(bbox.min_lon)) / 1e7 * k;
        let h = (f64::from(bbox.max_lat) - f64::from(bbox.min_lat)) / 1e7;
        let avail_w = f64::from(width.saturating_sub(margin.saturating_mul(2)).max(1));
        let avail_h = f64::from(height.saturating_sub(margin.saturating_mul(2)).max(1));
        let scale = match (w > 0.0, h > 0.0) {
            (false, false) => 1.0,
            (true, false) => avail_w / w,
            (false, true) => avail_h / h,
            (true, true) => (avail_w / w).min(avail_h / h),
        };
        Projection {
            top: f64::from(bbox.max_lat) / 1e7,
            left: f64::from(bbox.min_lon) / 1e7,
            k,
            scale,
            x_off: f64::from(margin) + (avail_w - w * scale).max(0.0) / 2.0,
            y_off: f64::from(margin) + (avail_h - h * scale).max(0.0) / 2.0,
        }
    }

    /// Where `(lat_e7, lon_e7)` falls on the picture, pixels `(x, y)`,
    /// rounded to a tenth (enough for SVG, short to write).
    pub fn project(&self, p: (i32, i32)) -> (f64, f64) {
        let x = (f64::from(p.1) / 1e7 - self.left) * self.k * self.scale + self.x_off;
        let y = (self.top - f64::from(p.0) / 1e7) * self.scale + self.y_off;
        ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
    }
}

/// E7 degrees written as decimal degrees, exactly (`-1.1530000`).
pub fn degrees(e7: i32) -> String {
    let sign = if e7 < 0 { "-" } else { "" };
    let a = e7.unsigned_abs();
    format!("{sign}{}.{:07}", a / 10_000_000, a % 10_000_000)
}

/// A line drawn through at most this many positions (a trip's kept path).
pub const PATH_MAX: usize = 200;
/// Positions closer than this (metres) to the simplified line are dropped.
pub const PATH_TOLERANCE_M: f64 = 15.0;

/// The line through `points` simplified for drawing (Douglas–Peucker at
/// [`PATH_TOLERANCE_M`], then every n-th position kept if still more than
/// [`PATH_MAX`]); the first and last positions always stay. Iterative: no
/// recursion depth to exhaust on a long trace.
pub fn simplify(points: &[(i32, i32)]) -> Vec<(i32, i32)> {
    if points.len() <= 2 {
        return points.to_vec();
    }
    // Local flat metres around the first position.
    let lat0 = rad(points[0].0).cos();
    let xy = |p: (i32, i32)| {
        (
            f64::from(p.1) / 1e7 * lat0 * 111_195.0,
            f64::from(p.0) / 1e7 * 111_195.0,
        )
    };
    let flat: Vec<(f64, f64)> = points.iter().map(|p| xy(*p)).collect();
    let mut keep = vec![false; points.len()];
    keep[0] = true;
    keep[points.len() - 1] = true;
    let mut stack = vec![(0usize, points.len() - 1)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (ax, ay) = flat[a];
        let (bx, by) = flat[b];
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let mut worst = (0.0f64, a);
        for (i, &(px, py)) in flat.iter().enumerate().take(b).skip(a + 1) {
            let d = if len2 == 0.0 {
                (px - ax).hypot(py - ay)
            } else {
                let t = (((px - ax) * dx + (py - ay) * dy) / len2).clamp(0.0, 1.0);
                (px - ax - t * dx).hypot(py - ay - t * dy)
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > PATH_TOLERANCE_M {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    let mut out: Vec<(i32, i32)> = points
        .iter()
        .zip(&keep)
        .filter_map(|(p, k)| k.then_some(*p))
        .collect();
    if out.len() > PATH_MAX {
        let last = out[out.len() - 1];
        let step = out.len().div_ceil(PATH_MAX - 1);
        out = out.iter().step_by(step).copied().collect();
        out.push(last);
    }
    out
}

#[cfg(test)]
mod simplify_tests {
    use super::*;

    #[test]
    fn a_straight_line_keeps_its_ends_and_a_corner_keeps_the_corner() {
        let line: Vec<(i32, i32)> = (0..100)
            .map(|i| (457_000_000 + i * 1000, 48_000_000))
            .collect();
        assert_eq!(simplify(&line), vec![line[0], line[99]]);
        let mut corner = line.clone();
        corner.extend((1..100).map(|i| (457_099_000, 48_000_000 + i * 1000)));
        let s = simplify(&corner);
        assert_eq!(s.len(), 3, "{s:?}");
        assert_eq!(s[1], (457_099_000, 48_000_000));
    }

    #[test]
    fn a_long_zigzag_is_cut_to_the_cap_with_both_ends() {
        let zig: Vec<(i32, i32)> = (0..10_000)
            .map(|i| (457_000_000 + i * 500, 48_000_000 + (i % 2) * 5_000))
            .collect();
        let s = simplify(&zig);
        assert!(s.len() <= PATH_MAX, "{}", s.len());
        assert_eq!(s.first(), zig.first());
        assert_eq!(s.last(), zig.last());
    }
}

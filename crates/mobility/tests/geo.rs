//! Distances and the flat projection: a known distance, absurd coordinates
//! finite, a box and its picture.

use selfdata_mobility::geo::{BBox, Projection, distance_m};

const PARIS: (i32, i32) = (488_530_000, 23_499_000);
const LA_ROCHELLE: (i32, i32) = (461_556_000, -11_520_000);

#[test]
fn paris_to_la_rochelle_is_about_399_km() {
    assert_eq!(distance_m(PARIS, LA_ROCHELLE), 398_858);
    assert_eq!(distance_m(LA_ROCHELLE, PARIS), 398_858);
    assert_eq!(distance_m(PARIS, PARIS), 0);
    // A tenth of a second of arc north: about 3 m.
    assert_eq!(distance_m(PARIS, (PARIS.0 + 278, PARIS.1)), 3);
}

#[test]
fn absurd_coordinates_give_a_finite_distance() {
    let d = distance_m((i32::MIN, i32::MIN), (i32::MAX, i32::MAX));
    assert!(d <= 20_015_087);
    assert!(distance_m((900_000_000, 0), (-900_000_000, 0)) > 20_000_000);
}

#[test]
fn a_box_drawn_fits_the_picture_north_up() {
    let b = BBox::of([PARIS, LA_ROCHELLE]).unwrap();
    assert!(b.contains(PARIS) && b.contains(LA_ROCHELLE));
    assert!(!b.contains((0, 0)));
    assert_eq!(BBox::of([]), None);
    let p = Projection::fit(b, 400, 300, 10);
    let (px, py) = p.project(PARIS);
    let (lx, ly) = p.project(LA_ROCHELLE);
    for (x, y) in [(px, py), (lx, ly)] {
        assert!(
            (10.0..=390.0).contains(&x) && (10.0..=290.0).contains(&y),
            "{x} {y}"
        );
    }
    assert!(px > lx, "Paris is east");
    assert!(py < ly, "Paris is north");
    // One point: a box of nothing, still drawn finitely.
    let one = Projection::fit(BBox::at(PARIS), 100, 100, 0);
    let (x, y) = one.project(PARIS);
    assert!(x.is_finite() && y.is_finite());
}

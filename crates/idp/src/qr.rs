//! The QR code of the two-step sign-in enrolment: the `otpauth://` URI drawn
//! as inline SVG by the server (no script, no image request, nothing sent
//! elsewhere), for an authenticator app's camera. The page keeps the secret
//! as text under it for residents who type it.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// `text` as one `<svg class="qr" role="img">` element named `label` (a
/// sentence of the page, escaped here), at least 200 pixels wide; `None`
/// when `text` is too long for a QR code. The drawing holds only squares:
/// `text` itself never appears in the markup.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let drawn = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // The renderer writes a standalone document: inline, the XML
    // declaration goes and the element gets its class and name.
    let start = drawn.find("<svg ")?;
    Some(drawn[start..].replacen(
        "<svg ",
        &format!(
            r#"<svg class="qr" role="img" aria-label="{}" "#,
            escape(label)
        ),
        1,
    ))
}

/// `text` escaped for an XML attribute value.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the drawing back as a scanner would: the squares of the SVG
    /// path become pixels, and an independent decoder (rqrr) reads them.
    fn scan(svg: &str) -> String {
        let number = |s: &str, key: &str| -> usize {
            let at = s.find(key).unwrap() + key.len();
            s[at..at + s[at..].find('"').unwrap()].parse().unwrap()
        };
        let (w, h) = (number(svg, "width=\""), number(svg, "height=\""));
        let mut dark = vec![false; w * h];
        let path = svg.split(" d=\"").nth(1).unwrap();
        let path = &path[..path.find('"').unwrap()];
        for square in path.split('M').filter(|s| !s.is_empty()) {
            // M{left} {top}h{width}v{height}H{left}V{top}
            let nums: Vec<usize> = square
                .split(|c: char| !c.is_ascii_digit())
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            let (left, top, width, height) = (nums[0], nums[1], nums[2], nums[3]);
            for y in top..top + height {
                for x in left..left + width {
                    dark[y * w + x] = true;
                }
            }
        }
        let mut image = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dark[y * w + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the drawing");
        grids[0].decode().unwrap().1
    }

    #[test]
    fn the_qr_code_holds_exactly_the_otpauth_uri() {
        let (_, uri) = crate::accounts::new_totp("a+b&c@example.org");
        let svg = svg(&uri, "QR code").unwrap();
        assert_eq!(scan(&svg), uri);
    }

    #[test]
    fn the_drawing_is_one_well_formed_svg_element_with_its_label_escaped() {
        let svg = svg("otpauth://totp/x", "a \"code\" <here> & there").unwrap();
        assert!(svg.starts_with(r#"<svg class="qr" role="img" aria-label="a &quot;code&quot; &lt;here&gt; &amp; there" xmlns="http://www.w3.org/2000/svg""#), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert_eq!(svg.matches("<svg").count(), 1);
        assert!(!svg.contains("otpauth"), "the text is drawn, never written");
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn text_too_long_for_a_qr_code_gives_none() {
        assert!(svg(&"x".repeat(5000), "QR").is_none());
    }
}

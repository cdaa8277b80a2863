//! Content negotiation: which representation an `Accept` header asks for.

use selfdata_rdf::RdfFormat;

/// One media range of an `Accept` header with its weight.
#[derive(Debug, Clone, PartialEq)]
struct Range {
    kind: String,
    q: f32,
}

fn parse_accept(accept: &str) -> Vec<Range> {
    accept
        .split(',')
        .filter_map(|part| {
            let mut pieces = part.split(';');
            let kind = pieces.next()?.trim().to_ascii_lowercase();
            if kind.is_empty() {
                return None;
            }
            let mut q = 1.0;
            for param in pieces {
                if let Some((k, v)) = param.split_once('=')
                    && k.trim().eq_ignore_ascii_case("q")
                {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
            Some(Range { kind, q })
        })
        .collect()
}

/// How much the client wants `media_type` (0 = not acceptable).
fn weight(ranges: &[Range], media_type: &str) -> f32 {
    let (main, _) = media_type.split_once('/').unwrap_or((media_type, ""));
    let mut best: Option<(u8, f32)> = None;
    for r in ranges {
        let specificity = if r.kind == media_type {
            3
        } else if r.kind.strip_suffix("/*") == Some(main) {
            2
        } else if r.kind == "*/*" {
            1
        } else {
            continue;
        };
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, r.q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// Picks the RDF format to answer with, preferring `stored` on ties (it
/// needs no conversion). `None` means nothing acceptable (406).
pub fn choose_rdf(accept: Option<&str>, stored: RdfFormat) -> Option<RdfFormat> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(stored);
    };
    let ranges = parse_accept(accept);
    let mut best = (weight(&ranges, stored.media_type()), stored);
    for format in RdfFormat::ALL {
        let w = weight(&ranges, format.media_type());
        if w > best.0 {
            best = (w, format);
        }
    }
    (best.0 > 0.0).then_some(best.1)
}

/// For a page that also states RDF (RDFa): the RDF format the client wants
/// more than the page's own `media_type`, if any. `*/*` or no `Accept` gets
/// the page itself.
pub fn choose_rdf_over(accept: Option<&str>, media_type: &str) -> Option<RdfFormat> {
    let ranges = parse_accept(accept.filter(|a| !a.trim().is_empty())?);
    let own = weight(&ranges, &essence(media_type));
    let mut best: Option<(f32, RdfFormat)> = None;
    for format in RdfFormat::ALL {
        let w = weight(&ranges, format.media_type());
        if w > own && best.is_none_or(|(b, _)| w > b) {
            best = Some((w, format));
        }
    }
    best.map(|(_, format)| format)
}

fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a non-RDF resource of `media_type` is acceptable.
pub fn accepts(accept: Option<&str>, media_type: &str) -> bool {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return true;
    };
    weight(&parse_accept(accept), &essence(media_type)) > 0.0
}

/// Whether the client is a browser navigating: among the media types it
/// names (wildcards aside), the first of those it wants most is HTML.
/// `*/*` alone, JSON, Turtle or no `Accept` at all: not a browser.
pub fn prefers_html(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let mut best: Option<Range> = None;
    for r in parse_accept(accept) {
        if r.q > 0.0 && !r.kind.contains('*') && best.as_ref().is_none_or(|b| r.q > b.q) {
            best = Some(r);
        }
    }
    best.is_some_and(|b| b.kind == "text/html" || b.kind == "application/xhtml+xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_browser_prefers_html_an_api_client_does_not() {
        for browser in [
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "text/html",
            "application/json;q=0.5, text/html",
        ] {
            assert!(prefers_html(Some(browser)), "{browser}");
        }
        for client in [
            None,
            Some("*/*"),
            Some("application/json"),
            Some("text/turtle"),
            Some("application/ld+json, text/html"),
            Some("text/html;q=0"),
            Some("text/turtle, text/html;q=0.5"),
        ] {
            assert!(!prefers_html(client), "{client:?}");
        }
    }

    #[test]
    fn prefers_highest_q_then_stored() {
        assert_eq!(choose_rdf(None, RdfFormat::Turtle), Some(RdfFormat::Turtle));
        assert_eq!(
            choose_rdf(Some("application/ld+json"), RdfFormat::Turtle),
            Some(RdfFormat::JsonLd)
        );
        assert_eq!(
            choose_rdf(
                Some("text/turtle;q=0.5, application/n-triples"),
                RdfFormat::Turtle
            ),
            Some(RdfFormat::NTriples)
        );
        assert_eq!(
            choose_rdf(Some("*/*"), RdfFormat::JsonLd),
            Some(RdfFormat::JsonLd)
        );
        assert_eq!(choose_rdf(Some("image/png"), RdfFormat::Turtle), None);
        assert_eq!(
            choose_rdf(Some("text/*, application/*;q=0"), RdfFormat::JsonLd),
            Some(RdfFormat::Turtle)
        );
    }

    #[test]
    fn a_page_is_sent_as_rdf_only_when_rdf_is_wanted_more() {
        let page = "application/xhtml+xml; charset=utf-8";
        assert_eq!(choose_rdf_over(None, page), None);
        assert_eq!(choose_rdf_over(Some("*/*"), page), None);
        assert_eq!(choose_rdf_over(Some("application/xhtml+xml"), page), None);
        assert_eq!(
            choose_rdf_over(Some("text/turtle"), page),
            Some(RdfFormat::Turtle)
        );
        assert_eq!(
            choose_rdf_over(Some("application/ld+json;q=0.9, */*;q=0.8"), page),
            Some(RdfFormat::JsonLd)
        );
        assert_eq!(
            choose_rdf_over(Some("text/html, text/turtle;q=0.5"), "text/html"),
            None
        );
    }

    #[test]
    fn non_rdf_acceptance() {
        assert!(accepts(Some("image/*"), "image/png"));
        assert!(!accepts(Some("text/turtle"), "image/png"));
        assert!(!accepts(Some("image/png;q=0"), "image/png"));
    }
}

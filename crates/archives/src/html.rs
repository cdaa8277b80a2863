//! The HTML pages of an archive, only looked at: an export made in HTML (the
//! default at Google) is recognised from the start of its pages so that the
//! resident can be told to ask again in JSON, never misread.
//!
//! The marks, in the first [`crate::Limits::html_sniff_bytes`] of a page:
//! - Google My Activity pages are built with Material Design Lite: the class
//!   names `mdl-typography` and `outer-cell` or `content-cell`;
//! - Facebook and Instagram pages carry Meta's generated class names (`_a6-g`,
//!   `_2pin`, `_3-96`, `_4-u2`, `_a706`, `uiBoxWhite`); one that names
//!   Instagram counts as Instagram's.

use std::io::{self, Read};

/// Whose page it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Page {
    /// A Google My Activity page.
    GoogleActivity,
    /// A Facebook or Instagram page.
    Meta { instagram: bool },
}

const META_MARKS: [&str; 6] = ["_a6-g", "_2pin", "_3-96", "_4-u2", "_a706", "uiboxwhite"];

/// Reads at most `max` bytes of a page and tells whose it is.
pub(crate) fn sniff(r: &mut dyn Read, max: usize) -> io::Result<Option<Page>> {
    let mut head = Vec::with_capacity(max.min(64 * 1024));
    r.take(max as u64).read_to_end(&mut head)?;
    let text = String::from_utf8_lossy(&head).to_lowercase();
    if text.contains("mdl-typography")
        && (text.contains("outer-cell") || text.contains("content-cell"))
    {
        return Ok(Some(Page::GoogleActivity));
    }
    if META_MARKS.iter().any(|m| text.contains(m)) {
        return Ok(Some(Page::Meta {
            instagram: text.contains("instagram"),
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_told_apart_by_their_marks() {
        let google = br#"<html><body><div class="outer-cell mdl-cell mdl-cell--12-col"><div class="header-cell"><p class="mdl-typography--title">YouTube</p>"#;
        assert_eq!(
            sniff(&mut &google[..], 4096).unwrap(),
            Some(Page::GoogleActivity)
        );
        let insta = br#"<html><head><title>Instagram</title></head><body><div class="pam _3-95 _2ph- _a6-g uiBoxWhite noborder">"#;
        assert_eq!(
            sniff(&mut &insta[..], 4096).unwrap(),
            Some(Page::Meta { instagram: true })
        );
        assert_eq!(sniff(&mut &b"<html>hello</html>"[..], 4096).unwrap(), None);
        // Past the budget, marks are not seen.
        let late = [b" ".repeat(100), google.to_vec()].concat();
        assert_eq!(sniff(&mut &late[..], 50).unwrap(), None);
    }
}

//! Text as the archives write it: Meta's mojibake repaired, names cleaned
//! and capped, and the host names of the links Google records.

use std::borrow::Cow;

/// Meta writes each UTF-8 byte of a non-ASCII character as its own `\u00XX`
/// escape, so "Crédit" reads back as "CrÃ©dit". When every character of `s`
/// fits in one byte (U+0000–U+00FF) and those bytes are valid UTF-8 with at
/// least one non-ASCII byte, they are decoded as UTF-8; anything else is
/// kept as it is (a genuine "Café" written `\u00e9` is one byte that is not
/// UTF-8, so it stays "Café").
pub fn repair(s: &str) -> Cow<'_, str> {
    if s.is_ascii() || s.chars().any(|c| u32::from(c) > 0xFF) {
        return Cow::Borrowed(s);
    }
    let bytes: Vec<u8> = s.chars().map(|c| u32::from(c) as u8).collect();
    match String::from_utf8(bytes) {
        Ok(fixed) => Cow::Owned(fixed),
        Err(_) => Cow::Borrowed(s),
    }
}

/// A name as kept: repaired, control characters and runs of white space
/// turned into one space, trimmed, at most `max` characters. `None` when
/// nothing is left.
pub fn clean_name(s: &str, max: usize) -> Option<String> {
    let s = repair(s);
    let mut out = String::with_capacity(s.len().min(max * 4));
    let mut space = false;
    let mut kept = 0;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            space = !out.is_empty();
            continue;
        }
        if kept + usize::from(space) + 1 > max {
            break;
        }
        if space {
            out.push(' ');
            kept += 1;
            space = false;
        }
        out.push(c);
        kept += 1;
    }
    (!out.is_empty()).then_some(out)
}

/// The host of an `http(s)` URL, lower case, without user or port. `None`
/// for anything else.
pub fn host(url: &str) -> Option<String> {
    let rest = strip_prefix_ignore_case(url.trim(), "https://")
        .or_else(|| strip_prefix_ignore_case(url.trim(), "http://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = authority.split(':').next().unwrap_or(authority);
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let valid = !host.is_empty()
        && host.contains('.')
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then_some(host)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The value of the first of `names` in the query of `url`, percent-decoded.
pub fn query_param(url: &str, names: &[&str]) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    for name in names {
        for pair in query.split('&') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            if k.eq_ignore_ascii_case(name) {
                let v = v.replace('+', " ");
                return Some(
                    percent_encoding::percent_decode_str(&v)
                        .decode_utf8_lossy()
                        .into_owned(),
                );
            }
        }
    }
    None
}

/// Hosts Google runs: an ad link through them names no other organisation.
pub fn is_google_host(host: &str) -> bool {
    const LABELS: [&str; 11] = [
        "google",
        "youtube",
        "googleadservices",
        "doubleclick",
        "googlesyndication",
        "gstatic",
        "googleusercontent",
        "googleapis",
        "googletagmanager",
        "blogger",
        "withgoogle",
    ];
    const HOSTS: [&str; 4] = ["youtu.be", "g.co", "goo.gl", "android.com"];
    HOSTS
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")))
        || host.split('.').any(|label| LABELS.contains(&label))
}

/// Hosts that only carry an ad click on to the advertiser.
pub fn is_ad_click_host(host: &str) -> bool {
    host.split('.')
        .any(|l| l == "googleadservices" || l == "doubleclick")
}

/// A host as an organisation's name: `www.`, `m.` and `mobile.` removed.
pub fn site(host: &str) -> String {
    let mut h = host;
    for prefix in ["www.", "m.", "mobile."] {
        if let Some(rest) = h.strip_prefix(prefix)
            && rest.contains('.')
        {
            h = rest;
        }
    }
    h.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mojibake_is_repaired_only_when_it_decodes() {
        assert_eq!(repair("CrÃ©dit Agricole"), "Crédit Agricole");
        assert_eq!(repair("â\u{80}\u{99}"), "’");
        assert_eq!(repair("ð\u{9f}\u{98}\u{80}"), "😀");
        // A genuine Latin-1 "é" is not UTF-8: kept.
        assert_eq!(repair("Café"), "Café");
        // Already good text with a character past U+00FF: kept.
        assert_eq!(repair("Łódź Café"), "Łódź Café");
        assert!(matches!(repair("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn names_are_cleaned_and_capped_by_characters() {
        assert_eq!(
            clean_name("  Le \t Slip\nFrançais  ", 100).as_deref(),
            Some("Le Slip Français")
        );
        assert_eq!(clean_name(" \u{0} \n", 100), None);
        assert_eq!(clean_name("ééééé", 3).as_deref(), Some("ééé"));
        assert_eq!(clean_name("ab cd", 3).as_deref(), Some("ab"));
    }

    #[test]
    fn hosts_and_ad_destinations() {
        assert_eq!(
            host("https://User@WWW.Example.fr:443/a?b").as_deref(),
            Some("www.example.fr")
        );
        assert_eq!(host("javascript:alert(1)"), None);
        assert_eq!(host("https://exa mple.com/"), None);
        let aclk = "https://www.googleadservices.com/pagead/aclk?sa=L&ai=x&adurl=https%3A%2F%2Fwww.boulanger.com%2Fpromo%3Fa%3D1";
        assert_eq!(
            query_param(aclk, &["adurl"]).as_deref(),
            Some("https://www.boulanger.com/promo?a=1")
        );
        assert!(is_ad_click_host("www.googleadservices.com"));
        assert!(is_google_host("www.youtube.com"));
        assert!(is_google_host("www.google.co.uk"));
        assert!(is_google_host("youtu.be"));
        assert!(!is_google_host("googlefan.fr"));
        assert_eq!(site("www.boulanger.com"), "boulanger.com");
        assert_eq!(site("m.example.org"), "example.org");
        assert_eq!(site("www.com"), "www.com");
    }
}

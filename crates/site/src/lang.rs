//! The language of a page and the one way to hold words: every sentence in
//! French and English. A page's language is the `lang` cookie (set when a
//! link carries `?lang=`), else the browser's `Accept-Language`, else French.

use axum::http::{HeaderMap, HeaderValue, header};

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// `fr` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    /// The language's name in itself.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// `fr` or `en` (and their regional tags), nothing else.
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s == "fr" || s.starts_with("fr-") {
            Some(Lang::Fr)
        } else if s == "en" || s.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language of a request: the `lang` cookie, else the browser's
    /// preferred language among ours, else French.
    pub fn of(headers: &HeaderMap) -> Lang {
        cookie(headers)
            .or_else(|| accepted(headers))
            .unwrap_or_default()
    }

    /// This language's words of a catalogue.
    pub fn words<W: Words + ?Sized>(self) -> &'static W {
        W::of(self)
    }
}

/// A catalogue of sentences with one instance per language.
pub trait Words: Sync + 'static {
    /// The catalogue in `lang`.
    fn of(lang: Lang) -> &'static Self;
}

/// Makes a catalogue type [`Words`] from its French and English instances:
/// `selfdata_site::words!(ImportWords, FR, EN);`.
#[macro_export]
macro_rules! words {
    ($catalogue:ty, $fr:path, $en:path) => {
        impl $crate::Words for $catalogue {
            fn of(lang: $crate::Lang) -> &'static Self {
                match lang {
                    $crate::Lang::Fr => &$fr,
                    $crate::Lang::En => &$en,
                }
            }
        }
    };
}

/// One sentence in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Say {
    pub fr: &'static str,
    pub en: &'static str,
}

impl Say {
    pub const fn new(fr: &'static str, en: &'static str) -> Say {
        Say { fr, en }
    }

    /// The sentence in `lang`.
    pub fn in_(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => self.fr,
            Lang::En => self.en,
        }
    }
}

/// A size for people: "900 bytes", "512 KiB", "1.5 MiB", "2 GiB" (one
/// decimal when it says something). The one way sizes are written, in pages,
/// problem details and the command line.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() < 0.05 {
        format!("{} {}", value.round() as u64, UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A count with its digits grouped as the language writes it ("52 608" with
/// a narrow no-break space in French, "52,608" in English).
pub fn count(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let group = match lang {
        Lang::Fr => '\u{202F}',
        Lang::En => ',',
    };
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    out
}

/// Fills the `{name}` blanks of a sentence.
pub fn fill(template: &str, blanks: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in blanks {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

fn cookie(headers: &HeaderMap) -> Option<Lang> {
    Lang::parse(&crate::cookie(headers, "lang")?)
}

fn accepted(headers: &HeaderMap) -> Option<Lang> {
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())?;
    let mut best: Option<(Lang, f32)> = None;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let Some(lang) = Lang::parse(pieces.next().unwrap_or("")) else {
            continue;
        };
        let q = pieces
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|v| v.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        if best.is_none_or(|(_, bq)| q > bq) {
            best = Some((lang, q));
        }
    }
    best.map(|(l, _)| l)
}

/// Makes the rest of this request see `lang` as its `lang` cookie (a
/// `?lang=` link was followed; the answer sets the cookie for the next ones).
pub(crate) fn choose_for_request(headers: &mut HeaderMap, lang: Lang) {
    let others: Vec<String> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.split_once('=').is_none_or(|(k, _)| k.trim() != "lang"))
        .map(str::to_owned)
        .collect();
    let mut all = others;
    all.push(format!("lang={}", lang.code()));
    if let Ok(v) = HeaderValue::from_str(&all.join("; ")) {
        headers.remove(header::COOKIE);
        headers.insert(header::COOKIE, v);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_written_in_the_unit_that_reads_best() {
        assert_eq!(human_bytes(900), "900 bytes");
        assert_eq!(human_bytes(512 * 1024), "512 KiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(2 * 1024 * 1024 * 1024), "2 GiB");
    }

    #[test]
    fn counts_are_grouped_as_each_language_writes_them() {
        assert_eq!(super::count(52608, super::Lang::Fr), "52\u{202F}608");
        assert_eq!(super::count(52608, super::Lang::En), "52,608");
        assert_eq!(super::count(608, super::Lang::En), "608");
        assert_eq!(super::count(1_000_000, super::Lang::En), "1,000,000");
    }

    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn the_cookie_then_the_browser_then_french_choose() {
        let accept = |v| Lang::of(&with(header::ACCEPT_LANGUAGE, v));
        assert_eq!(accept("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(accept("en-US,en;q=0.9"), Lang::En);
        assert_eq!(accept("de-DE,fr;q=0.5,en;q=0.7"), Lang::En);
        assert_eq!(accept("de-DE"), Lang::Fr);
        assert_eq!(Lang::of(&HeaderMap::new()), Lang::Fr);
        let mut h = with(header::ACCEPT_LANGUAGE, "fr-FR");
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; lang=en"));
        assert_eq!(Lang::of(&h), Lang::En);
        choose_for_request(&mut h, Lang::Fr);
        assert_eq!(Lang::of(&h), Lang::Fr);
        assert_eq!(h.get(header::COOKIE).unwrap(), "a=1; lang=fr");
    }
}

//! Organisation names reduced to a key, so that the same organisation
//! written several ways ("Crédit Agricole S.A.", "CREDIT AGRICOLE",
//! "credit-agricole.fr") is grouped. The key is for grouping, never shown.
//!
//! [`key`] does, in order:
//! 1. **folds** case and accents (Unicode NFKD, combining marks dropped,
//!    ß → ss, æ → ae, œ → oe, ø → o, ł → l, đ/ð → d, þ → th);
//! 2. reduces a **web address** to the name it registers: `www.zalando.fr`,
//!    `https://shop.ebay.de/x` and `amazon.co.uk` become `zalando`, `ebay`,
//!    `amazon` (only when the last label is a common top-level domain, so
//!    "E.ON" stays a name);
//! 3. cuts into words at anything but letters and digits, after dropping
//!    apostrophes ("L'Oréal" → `loreal`) and reading `&` and `+` as "and";
//!    a run of one-letter words is one word ("S.A.S." → `sas`, "B.V." → `bv`);
//! 4. drops a leading "the" and trailing **legal forms** (`LEGAL_FORMS`:
//!    SA, SAS, SARL, Inc., Ltd, LLC, GmbH, S.p.A., BV, AG, UAB…), and an "and"
//!    left at the end ("GmbH & Co. KG");
//! 5. joins the words without spaces ("Coca-Cola" = "CocaCola");
//! 6. maps a few **aliases** (`ALIASES`) to one key: the big platforms
//!    whose group, brand and local company names differ.
//!
//! Countries are not dropped ("Air France" is not "Air"), nor words like
//! "group": merging those is left to the resident.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Legal forms dropped from the end of a name, as they read after step 3.
pub(crate) const LEGAL_FORMS: &[&str] = &[
    // France
    "sa",
    "sas",
    "sasu",
    "sarl",
    "eurl",
    "sci",
    "snc",
    "sca",
    "scop",
    "selarl",
    "gie",
    // English-speaking countries
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "pllc",
    "pty",
    "pte",
    // Germany, Austria, Switzerland
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "kgaa",
    "ohg",
    "ug",
    "ev",
    // Benelux, Italy, Spain, Portugal
    "bv",
    "nv",
    "vof",
    "spa",
    "srl",
    "srls",
    "sl",
    "slu",
    "lda",
    // Europe, the Nordic and Baltic countries, Poland, Japan
    "se",
    "ab",
    "as",
    "asa",
    "aps",
    "oy",
    "oyj",
    "uab",
    "sp",
    "zoo",
    "kk",
];

/// Names that mean the same organisation, by key: the first is the key all
/// of them take.
pub(crate) const ALIASES: &[&[&str]] = &[
    &[
        "meta",
        "metaplatforms",
        "metaplatformsireland",
        "facebook",
        "facebookireland",
    ],
    &["google", "alphabet", "googleireland"],
    &[
        "amazon",
        "amazoneu",
        "amazoneurope",
        "amazoneuropecore",
        "amazonserviceseurope",
    ],
    &[
        "microsoft",
        "microsoftireland",
        "microsoftirelandoperations",
    ],
    &["apple", "appledistributioninternational"],
];

/// Top-level domains a web address may end with to be read as one.
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "eu", "fr", "de", "uk", "es", "it", "nl", "be", "ch", "at",
    "lu", "ie", "pt", "pl", "se", "dk", "no", "fi", "cz", "gr", "ro", "hu", "us", "ca", "au", "nz",
    "jp", "br", "mx", "in", "cn", "ru", "tr", "za", "io", "co", "app", "shop", "store", "online",
    "site", "tv", "me", "ly", "ai", "gg", "fm", "to", "xyz",
];

/// Second-level public suffixes (`co.uk`): the label before them is the name.
const SECOND_LEVEL: &[&str] = &["co", "com", "org", "net", "gov", "gouv", "ac", "ne", "or"];

fn fold(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => out.push('d'),
            'þ' | 'Þ' => out.push_str("th"),
            'ı' => out.push('i'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The name a web address registers (`shop.ebay.de` → `ebay`), if `word` is one.
fn registered(word: &str) -> Option<&str> {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric());
    let w = w
        .strip_prefix("https://")
        .or_else(|| w.strip_prefix("http://"))
        .unwrap_or(w);
    let w = w.split(['/', '?', '#']).next().unwrap_or(w);
    if !w.contains('.')
        || !w
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return None;
    }
    let mut labels: Vec<&str> = w.split('.').collect();
    if labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    let tld = labels.pop()?;
    if !TLDS.contains(&tld) {
        return None;
    }
    if labels.len() >= 2 && SECOND_LEVEL.contains(labels.last()?) {
        labels.pop();
    }
    labels.last().copied()
}

/// The key of an organisation's name (see the module's documentation).
/// Two names with the same key are taken for the same organisation.
pub fn key(name: &str) -> String {
    let folded = fold(name);
    let mut text = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        text.push(' ');
        text.push_str(registered(word).unwrap_or(word));
    }
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, words: &mut Vec<String>| {
        if !current.is_empty() {
            words.push(std::mem::take(current));
        }
    };
    for c in text.chars() {
        match c {
            '\'' | '’' | '‘' | '`' | 'ʼ' | '´' => {}
            '&' | '+' => {
                flush(&mut current, &mut words);
                words.push("and".into());
            }
            c if c.is_alphanumeric() => current.push(c),
            _ => flush(&mut current, &mut words),
        }
    }
    flush(&mut current, &mut words);
    // Runs of one-letter words are one word: "s a s" → "sas".
    let mut joined: Vec<String> = Vec::with_capacity(words.len());
    let mut run = String::new();
    for w in words {
        if w.chars().count() == 1 {
            run.push_str(&w);
        } else {
            if !run.is_empty() {
                joined.push(std::mem::take(&mut run));
            }
            joined.push(w);
        }
    }
    if !run.is_empty() {
        joined.push(run);
    }
    if joined.len() > 1 && joined[0] == "the" {
        joined.remove(0);
    }
    while joined.len() > 1 {
        let last = joined.last().map(String::as_str).unwrap_or_default();
        if LEGAL_FORMS.contains(&last) || last == "and" {
            joined.pop();
        } else {
            break;
        }
    }
    let key = joined.concat();
    if key.is_empty() {
        return folded.trim().to_string();
    }
    for group in ALIASES {
        if group.contains(&key.as_str()) {
            return group[0].to_string();
        }
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn web_addresses_give_the_name_they_register() {
        assert_eq!(registered("www.zalando.fr"), Some("zalando"));
        assert_eq!(registered("https://shop.ebay.de/x?y"), Some("ebay"));
        assert_eq!(registered("amazon.co.uk"), Some("amazon"));
        assert_eq!(registered("e.on"), None);
        assert_eq!(registered("s.p.a."), None);
        assert_eq!(registered("booking.com,"), Some("booking"));
    }

    #[test]
    fn a_name_of_punctuation_only_keeps_a_key() {
        assert_eq!(key("!!!"), "!!!");
        assert_eq!(key(""), "");
        // A legal form alone is kept: there is nothing else.
        assert_eq!(key("S.A.S."), "sas");
    }
}

//! Whose file is this? The customer identifier read from the content of a
//! holder's per-customer file (never from its name).
//!
//! A holder registered with the "file per customer" layout pushes one file
//! per customer, each in the layout its service's importers already read:
//! - an Enedis customer-portal CSV names its meter in a block whose first
//!   column is `Identifiant PRM` (the metadata block above `Horodate;Valeur`,
//!   or every row of the flat layout): the identifier is that column's value
//!   in the row under it;
//! - an OFX statement (1.x SGML, leaf tags unclosed, or 2.x XML) names its
//!   account in `<BANKACCTFROM>` (or `<CCACCTFROM>` for a card):
//!   the identifier is its `<ACCTID>`.
//!
//! [`identify`] decides from the first bytes of a file (at most [`HEAD`]),
//! so that a customer who did not consent can be dropped as their file
//! streams by; it answers [`Identified::NeedMore`] until what it has
//! cannot change its answer (a value is taken only once the tag or line
//! after it has begun). [`check_whole`] then reads a kept file whole and
//! refuses one that names more than one customer, so that a file holding a
//! second account is never delivered to the first one's pod.
//!
//! Both are bounded (nothing is allocated from what a file claims, each
//! line decoded alone, UTF-8 or Windows-1252) and never panic; a refusal
//! is a sentence that names no identifier.

use selfdata_sources::text::{self, delimiter_of, norm, split_into};

/// How far into a file [`identify`] looks for its customer.
pub const HEAD: usize = 64 * 1024;

/// The longest identifier, in characters (once normalised).
const MAX_IDENTIFIER: usize = 64;

/// How many lines may come before an Enedis file's `Identifiant PRM` header.
const MAX_PREAMBLE: usize = 20;

/// The layouts whose files name their customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Enedis customer-portal CSV (`Identifiant PRM`).
    EnedisCsv,
    /// OFX statement, 1.x or 2.x (`ACCTID`).
    Ofx,
}

impl Format {
    /// The media type the file is handed to the import pipeline with.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::EnedisCsv => "text/csv",
            Format::Ofx => "application/x-ofx",
        }
    }

    /// What one customer is, in words.
    fn customer(self) -> &'static str {
        match self {
            Format::EnedisCsv => "meter (Identifiant PRM)",
            Format::Ofx => "account (ACCTID)",
        }
    }
}

/// Why a file's customer cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifyError {
    #[error("It is empty.")]
    Empty,
    #[error(
        "It names no customer in its first {} KiB: an Enedis export starts with an “Identifiant PRM” block, an OFX statement names its account in <BANKACCTFROM><ACCTID>.",
        HEAD / 1024
    )]
    NoIdentifier,
    #[error("Its {} is not an identifier (1 to 64 letters and digits).", .0.customer())]
    NotAnIdentifier(Format),
    #[error("It holds more than one {}; send one file per customer.", .0.customer())]
    SeveralCustomers(Format),
}

/// What the first bytes of a file say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identified {
    /// The customer, normalised ([`crate::identifier`]).
    Customer { format: Format, identifier: String },
    /// More bytes are needed to tell.
    NeedMore,
    /// The file cannot say whose it is.
    Refused(IdentifyError),
}

/// Whose file starts with `head`. `complete` says that `head` is the whole
/// file; only the first [`HEAD`] bytes are ever looked at, so a longer
/// `head` is taken as final.
pub fn identify(head: &[u8], complete: bool) -> Identified {
    // At the end of the file, or at the end of what is ever looked at.
    let at_end = complete && head.len() <= HEAD;
    let last = at_end || head.len() >= HEAD;
    let head = &head[..head.len().min(HEAD)];
    let body = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = body.trim_ascii_start();
    if start.is_empty() {
        return match (at_end, last) {
            (true, _) => Identified::Refused(IdentifyError::Empty),
            (false, true) => Identified::Refused(IdentifyError::NoIdentifier),
            (false, false) => Identified::NeedMore,
        };
    }
    // The format is told by the first line, once it is whole.
    let first = match start.iter().position(|&b| b == b'\n') {
        Some(end) => &start[..end],
        None if last => start,
        None => return Identified::NeedMore,
    };
    let found = if is_ofx(first) {
        first_ofx_account(body, at_end).map(|v| (Format::Ofx, v))
    } else {
        first_prm(body, at_end).map(|v| (Format::EnedisCsv, v))
    };
    match found {
        Scan::Found((format, raw)) => match valid(&raw) {
            Some(identifier) => Identified::Customer { format, identifier },
            None => Identified::Refused(IdentifyError::NotAnIdentifier(format)),
        },
        Scan::NeedMore if !last => Identified::NeedMore,
        Scan::NeedMore | Scan::Missing => Identified::Refused(IdentifyError::NoIdentifier),
    }
}

/// Whether a whole file, identified as `format`, names only `identifier`
/// (every `ACCTID` of an account aggregate, every `Identifiant PRM` value).
pub fn check_whole(file: &[u8], format: Format, identifier: &str) -> Result<(), IdentifyError> {
    let mut other = false;
    let mut each = |raw: &str| {
        if valid(raw).is_none_or(|id| id != identifier) {
            other = true;
        }
        !other
    };
    match format {
        Format::Ofx => ofx_accounts(file, true, &mut each),
        Format::EnedisCsv => prms(file, true, usize::MAX, &mut each),
    };
    if other {
        Err(IdentifyError::SeveralCustomers(format))
    } else {
        Ok(())
    }
}

/// A raw identifier normalised, if it can be one.
fn valid(raw: &str) -> Option<String> {
    let id = crate::identifier(raw);
    (!id.is_empty()
        && id.chars().count() <= MAX_IDENTIFIER
        && id.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(id)
}

/// What a scan of the first bytes found.
enum Scan<T> {
    Found(T),
    /// Not yet, and more bytes could tell.
    NeedMore,
    /// Not there, whatever follows.
    Missing,
}

impl<T> Scan<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Scan<U> {
        match self {
            Scan::Found(t) => Scan::Found(f(t)),
            Scan::NeedMore => Scan::NeedMore,
            Scan::Missing => Scan::Missing,
        }
    }
}

fn starts_with_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.get(..needle.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(needle))
}

fn contains_ignore_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// An OFX 1 header line, an XML or OFX declaration, or `<OFX>` itself.
fn is_ofx(first_line: &[u8]) -> bool {
    let l = first_line.trim_ascii_start();
    starts_with_ignore_case(l, b"OFXHEADER")
        || starts_with_ignore_case(l, b"<?OFX")
        || starts_with_ignore_case(l, b"<?xml")
        || contains_ignore_case(l, b"<OFX>")
}

fn first_ofx_account(body: &[u8], complete: bool) -> Scan<String> {
    let mut found = None;
    let ended = ofx_accounts(body, complete, &mut |raw| {
        found = Some(raw.to_owned());
        false
    });
    match found {
        Some(v) => Scan::Found(v),
        None if ended => Scan::Missing,
        None => Scan::NeedMore,
    }
}

/// Calls `each` with every `ACCTID` inside a `BANKACCTFROM` or `CCACCTFROM`
/// aggregate, in order, until it answers `false`. A value counts once the
/// next tag has begun (or the file is `complete`). Whether the scan reached
/// the end of what it could read for sure.
fn ofx_accounts(bytes: &[u8], complete: bool, each: &mut impl FnMut(&str) -> bool) -> bool {
    let mut at = 0;
    let mut in_account = false;
    while let Some(open) = bytes[at..].iter().position(|&b| b == b'<') {
        let open = at + open;
        let Some(close) = bytes[open..].iter().position(|&b| b == b'>') else {
            // A tag cut at the end of what arrived.
            return complete;
        };
        let close = open + close;
        let name = &bytes[open + 1..close];
        at = close + 1;
        if name.eq_ignore_ascii_case(b"BANKACCTFROM") || name.eq_ignore_ascii_case(b"CCACCTFROM") {
            in_account = true;
        } else if name.eq_ignore_ascii_case(b"/BANKACCTFROM")
            || name.eq_ignore_ascii_case(b"/CCACCTFROM")
        {
            in_account = false;
        } else if in_account && name.eq_ignore_ascii_case(b"ACCTID") {
            let end = match bytes[at..].iter().position(|&b| b == b'<') {
                Some(end) => at + end,
                None if complete => bytes.len(),
                None => return false,
            };
            let value = text::decode(&bytes[at..end]);
            let value = value.trim().replace("&amp;", "&");
            at = end;
            if !each(&value) {
                return true;
            }
        }
    }
    complete
}

fn first_prm(body: &[u8], complete: bool) -> Scan<String> {
    let mut found = None;
    let ended = prms(body, complete, MAX_PREAMBLE, &mut |raw| {
        found = Some(raw.to_owned());
        false
    });
    match found {
        Some(v) => Scan::Found(v),
        None if ended => Scan::Missing,
        None => Scan::NeedMore,
    }
}

/// Calls `each` with the `Identifiant PRM` value of every row under a
/// header holding that column (the row under it, and the rows after with
/// as many fields, until a blank line or a row of another shape), until it answers
/// `false`. A header further than `max_preamble` lines down (outside a
/// block) ends the search. The last line counts only when the file is
/// `complete`. Whether the scan reached the end of what it could read for
/// sure.
fn prms(
    bytes: &[u8],
    complete: bool,
    max_preamble: usize,
    each: &mut impl FnMut(&str) -> bool,
) -> bool {
    // The column's index, the separator, and the width of the block's
    // first row (the rows after it have as many fields).
    let mut column: Option<(usize, char, Option<usize>)> = None;
    let mut seen_header = false;
    let mut rest = bytes;
    let mut n = 0;
    while !rest.is_empty() {
        let (line, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => (&rest[..end], &rest[end + 1..]),
            None if complete => (rest, &rest[rest.len()..]),
            None => return false,
        };
        rest = next;
        n += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let decoded = text::decode(line);
        let line = decoded.as_ref();
        let mut fields = Vec::new();
        if line.trim().is_empty() {
            column = None;
            continue;
        }
        if let Some((index, delim, width)) = column {
            split_into(line, delim, &mut fields);
            if width.is_none_or(|w| w == fields.len()) {
                column = Some((index, delim, Some(fields.len())));
                if !each(fields.get(index).copied().unwrap_or_default()) {
                    return true;
                }
                continue;
            }
            column = None;
        }
        let delim = delimiter_of(line);
        split_into(line, delim, &mut fields);
        if let Some(index) = fields.iter().position(|f| norm(f) == "identifiant prm") {
            column = Some((index, delim, None));
            seen_header = true;
        } else if !seen_header && n >= max_preamble {
            return true;
        }
    }
    complete
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(format: Format, id: &str) -> Identified {
        Identified::Customer {
            format,
            identifier: id.into(),
        }
    }

    const ENEDIS: &str = "\u{feff}Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;Grandeur metier;Etape metier;Unite;Pas en minutes\n\
        12 345 678 901 234;Courbe de charge;20/08/2020;21/08/2020;Energie active;Consommation;Comptage Brut;W;30\n\
        \n\
        Horodate;Valeur\n\
        2020-08-20T00:30:00+02:00;200\n";

    #[test]
    fn an_enedis_file_is_known_by_its_prm_once_the_row_under_the_header_is_whole() {
        let whole = ENEDIS.as_bytes();
        assert_eq!(
            identify(whole, true),
            customer(Format::EnedisCsv, "12345678901234")
        );
        let row_end = ENEDIS.find(";30\n").unwrap() + 4;
        for cut in 0..row_end {
            assert_eq!(
                identify(&whole[..cut], false),
                Identified::NeedMore,
                "{cut}"
            );
        }
        assert_eq!(
            identify(&whole[..row_end], false),
            customer(Format::EnedisCsv, "12345678901234")
        );
        assert_eq!(
            check_whole(whole, Format::EnedisCsv, "12345678901234"),
            Ok(())
        );
    }

    #[test]
    fn an_ofx_value_is_taken_only_once_the_next_tag_begins() {
        let ofx = b"OFXHEADER:100\r\n\r\n<OFX><BANKACCTFROM><BANKID>1<ACCTID>00012345678<ACCTTYPE>CHECKING</BANKACCTFROM>";
        let lt = ofx.iter().rposition(|&b| b == b'<').unwrap();
        let value_end = 1 + ofx.windows(11).position(|w| w == b"00012345678").unwrap() + 10;
        for cut in 0..=value_end {
            assert_eq!(identify(&ofx[..cut], false), Identified::NeedMore, "{cut}");
        }
        assert_eq!(
            identify(&ofx[..lt], false),
            customer(Format::Ofx, "00012345678")
        );
    }

    #[test]
    fn a_huge_first_line_is_decided_at_the_head_and_never_read_further() {
        let mut file = b"Identifiant PRM;".to_vec();
        file.extend(std::iter::repeat_n(b'x', 3 * HEAD));
        assert_eq!(identify(&file[..HEAD - 1], false), Identified::NeedMore);
        assert_eq!(
            identify(&file, false),
            Identified::Refused(IdentifyError::NoIdentifier)
        );
        let mut ofx = b"<?xml version=\"1.0\"?><OFX><BANKACCTFROM><ACCTID>".to_vec();
        ofx.extend(std::iter::repeat_n(b'7', 2 * HEAD));
        assert_eq!(
            identify(&ofx, false),
            Identified::Refused(IdentifyError::NoIdentifier)
        );
        // Within the head, a long value is no identifier either.
        let long = format!("<OFX><BANKACCTFROM><ACCTID>{}</ACCTID>", "7".repeat(65));
        assert_eq!(
            identify(long.as_bytes(), true),
            Identified::Refused(IdentifyError::NotAnIdentifier(Format::Ofx))
        );
    }

    #[test]
    fn a_second_account_or_meter_in_a_file_is_refused_whole() {
        let two = b"<OFX><BANKACCTFROM><ACCTID>111</ACCTID></BANKACCTFROM>\n<BANKACCTFROM><ACCTID>222</ACCTID></BANKACCTFROM></OFX>";
        assert_eq!(identify(two, true), customer(Format::Ofx, "111"));
        assert_eq!(
            check_whole(two, Format::Ofx, "111"),
            Err(IdentifyError::SeveralCustomers(Format::Ofx))
        );
        // An account a transfer went to is not the statement's account.
        let to = b"<OFX><BANKACCTFROM><ACCTID>111</BANKACCTFROM><STMTTRN><BANKACCTTO><ACCTID>999</BANKACCTTO></STMTTRN></OFX>";
        assert_eq!(check_whole(to, Format::Ofx, "111"), Ok(()));
        let flat = "Identifiant PRM;Horodate;Valeur\n111;2023-03-13 00:30:00;692\n222;2023-03-13 01:00:00;700\n";
        assert_eq!(
            identify(flat.as_bytes(), true),
            customer(Format::EnedisCsv, "111")
        );
        assert_eq!(
            check_whole(flat.as_bytes(), Format::EnedisCsv, "111"),
            Err(IdentifyError::SeveralCustomers(Format::EnedisCsv))
        );
    }

    #[test]
    fn refusals_are_sentences_naming_no_identifier() {
        for e in [
            IdentifyError::Empty,
            IdentifyError::NoIdentifier,
            IdentifyError::NotAnIdentifier(Format::EnedisCsv),
            IdentifyError::SeveralCustomers(Format::Ofx),
        ] {
            let s = e.to_string();
            assert!(s.ends_with('.') && s.starts_with(char::is_uppercase), "{s}");
        }
        assert_eq!(
            identify(b"  \n ", true),
            Identified::Refused(IdentifyError::Empty)
        );
    }
}

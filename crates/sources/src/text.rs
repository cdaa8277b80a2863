//! Text helpers shared by the importers: decoding (BOM, UTF-16, Windows-1252),
//! numbered lines, `;`-separated fields, header names compared without case
//! or accents, and French-style decimal numbers read exactly.
//!
//! Numbers are kept as a decimal mantissa and scale rather than `f64` so that
//! a conversion such as W × minutes / 60 rounds the way a person would
//! (half away from zero) and never drifts.

use std::borrow::Cow;

/// The file as text. UTF-8 (BOM removed) is borrowed; UTF-16 with a BOM and
/// anything that is not valid UTF-8 (older exports are Windows-1252/Latin-1)
/// are decoded into a new string.
pub fn decode(bytes: &[u8]) -> Cow<'_, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return decode_plain(rest);
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        let (text, _, _) = encoding_rs::UTF_16LE.decode(bytes);
        return Cow::Owned(text.into_owned());
    }
    decode_plain(bytes)
}

fn decode_plain(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        // UTF-8 cut inside its last character: a truncated UTF-8 file, not
        // Windows-1252; keep it UTF-8 so the cut is reported where it is.
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(bytes),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Cow::Owned(text.into_owned())
        }
    }
}

/// The lines of `text` with their 1-based numbers, line ends (`\n`, `\r\n`) removed.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').enumerate().map(|(i, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        (i + 1, line)
    })
}

/// The field separator of a header line: `;` (the holders' usual), else tab, else `,`.
pub fn delimiter_of(header: &str) -> char {
    if header.contains(';') {
        ';'
    } else if header.contains('\t') {
        '\t'
    } else {
        ','
    }
}

/// Splits `line` into `out` (cleared first), trimming spaces and outer quotes.
/// A separator inside double quotes does not split.
pub fn split_into<'a>(line: &'a str, delim: char, out: &mut Vec<&'a str>) {
    out.clear();
    if !line.contains('"') {
        out.extend(line.split(delim).map(str::trim));
        return;
    }
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in line.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == delim && !quoted {
            out.push(unquote(&line[start..i]));
            start = i + c.len_utf8();
        }
    }
    out.push(unquote(&line[start..]));
}

fn unquote(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|f| f.strip_suffix('"'))
        .map(str::trim)
        .unwrap_or(field)
}

/// A header name or label reduced for comparison: lower case, French accents
/// removed, quotes dropped, runs of spaces collapsed. `"Date de Relevé "` and
/// `date de releve` compare equal, whatever the file's encoding was.
pub fn norm(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        let c = match c {
            'à' | 'â' | 'ä' | 'À' | 'Â' | 'Ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
            'î' | 'ï' | 'Î' | 'Ï' => 'i',
            'ô' | 'ö' | 'Ô' | 'Ö' => 'o',
            'ù' | 'û' | 'ü' | 'Ù' | 'Û' | 'Ü' => 'u',
            'ç' | 'Ç' => 'c',
            '"' | '\u{FEFF}' => continue,
            c if c.is_whitespace() => {
                space = true;
                continue;
            }
            c => c.to_ascii_lowercase(),
        };
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out
}

/// Normalised header fields of a line.
pub fn header_fields(line: &str) -> Vec<String> {
    let mut raw = Vec::new();
    split_into(line, delimiter_of(line), &mut raw);
    raw.iter().map(|f| norm(f)).collect()
}

/// Reads `lines` up to the first whose normalised fields `is_header`
/// accepts, and gives its number, fields and separator; the lines after it
/// stay in `lines`. `None` when no line is a header.
pub fn find_header<'a>(
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
    is_header: impl Fn(&[String]) -> bool,
) -> Option<(usize, Vec<String>, char)> {
    lines.find_map(|(n, line)| {
        let fields = header_fields(line);
        is_header(&fields).then(|| (n, fields, delimiter_of(line)))
    })
}

/// The position of the first header field equal to one of `names` (normalised).
pub fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header.iter().position(|h| names.contains(&h.as_str()))
}

/// A value shortened for an error message, quoted.
pub fn shown(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        format!("{s:?}")
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut:?}…")
    }
}

/// An exact decimal: `mant / 10^scale`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dec {
    pub mant: i128,
    pub scale: u32,
}

/// The largest scale kept: finer digits cannot change a rounded mWh or mL.
const MAX_SCALE: u32 = 20;
/// Significant digits accepted; more is not a meter reading.
const MAX_DIGITS: u32 = 30;

/// Why a number did not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumError {
    NotANumber,
    TooLarge,
}

impl NumError {
    pub fn describe(self, found: &str, what: &str) -> String {
        match self {
            NumError::NotANumber => {
                format!(
                    "expected a number for {what} (like 270 or 12,5), found {}",
                    shown(found)
                )
            }
            NumError::TooLarge => format!("the number for {what} is too large: {}", shown(found)),
        }
    }
}

/// Whether a cell means "no value": empty, or the literal `null`.
pub fn is_missing(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.eq_ignore_ascii_case("null")
}

/// Parses a decimal number as French and English files write them: `270`,
/// `12,5`, `12.5`, `-3`, `1 234,5` (space, U+00A0, U+202F or U+2009 as
/// thousands separators), `1.234,5`, `1,234.5`, `1.5e3`. Empty and `null`
/// give `Ok(None)`: a missing value, not zero.
pub fn parse_dec(s: &str) -> Result<Option<Dec>, NumError> {
    let s = s.trim();
    if is_missing(s) {
        return Ok(None);
    }
    let bytes = s.as_bytes();
    // Fast path: plain non-negative integers, the bulk of load curves.
    if bytes.len() <= 18 && bytes.iter().all(u8::is_ascii_digit) {
        let mut v: i128 = 0;
        for &b in bytes {
            v = v * 10 + i128::from(b - b'0');
        }
        return Ok(Some(Dec { mant: v, scale: 0 }));
    }
    parse_dec_slow(s).map(Some)
}

fn parse_dec_slow(s: &str) -> Result<Dec, NumError> {
    let (negative, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let (body, exponent) = match body.find(['e', 'E']) {
        Some(i) => {
            let exp = &body[i + 1..];
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(NumError::NotANumber);
            }
            let e: i32 = exp.parse().map_err(|_| NumError::NotANumber)?;
            (&body[..i], e)
        }
        None => (body, 0),
    };
    // Which of `.` and `,` is the decimal separator: the last one when both
    // appear; a lone one appearing once; none when one repeats (grouping).
    let dots = body.matches('.').count();
    let commas = body.matches(',').count();
    let decimal = match (dots, commas) {
        (0, 0) => None,
        (_, 0) if dots == 1 => Some('.'),
        (0, _) if commas == 1 => Some(','),
        (_, 0) | (0, _) => None,
        _ => {
            let last_dot = body.rfind('.');
            let last_comma = body.rfind(',');
            if last_dot > last_comma {
                Some('.')
            } else {
                Some(',')
            }
        }
    };
    if let Some(d) = decimal
        && body.matches(d).count() > 1
    {
        return Err(NumError::NotANumber);
    }
    let mut mant: i128 = 0;
    let mut scale: i32 = 0;
    let mut digits = 0u32;
    let mut seen_digit = false;
    let mut after_point = false;
    for c in body.chars() {
        match c {
            '0'..='9' => {
                seen_digit = true;
                let d = i128::from(c as u8 - b'0');
                if mant == 0 && d == 0 {
                    if after_point {
                        scale += 1;
                    }
                    continue;
                }
                digits += 1;
                if digits > MAX_DIGITS {
                    return Err(NumError::TooLarge);
                }
                mant = mant * 10 + d;
                if after_point {
                    scale += 1;
                }
            }
            c if Some(c) == decimal => after_point = true,
            '.' | ',' | ' ' | '\u{00A0}' | '\u{202F}' | '\u{2009}' | '\'' => {}
            _ => return Err(NumError::NotANumber),
        }
    }
    if !seen_digit {
        return Err(NumError::NotANumber);
    }
    scale -= exponent;
    if scale < 0 {
        let up = pow10(scale.unsigned_abs()).ok_or(NumError::TooLarge)?;
        mant = mant.checked_mul(up).ok_or(NumError::TooLarge)?;
        scale = 0;
    }
    let mut scale = scale.unsigned_abs();
    if scale > MAX_SCALE {
        // Round the digits no unit conversion can use.
        let cut = scale - MAX_SCALE;
        mant = match pow10(cut) {
            Some(p) => div_round(mant, p),
            None => 0,
        };
        scale = MAX_SCALE;
    }
    Ok(Dec {
        mant: if negative { -mant } else { mant },
        scale,
    })
}

fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `n / d` rounded half away from zero; `d > 0`.
fn div_round(n: i128, d: i128) -> i128 {
    let q = n / d;
    let r = n % d;
    if r.unsigned_abs().saturating_mul(2) >= d.unsigned_abs() {
        if n < 0 { q - 1 } else { q + 1 }
    } else {
        q
    }
}

impl Dec {
    /// `self × mul / div`, rounded half away from zero, if it fits an `i64`.
    pub fn scaled(self, mul: i128, div: i128) -> Option<i64> {
        if div <= 0 {
            return None;
        }
        let n = self.mant.checked_mul(mul)?;
        let d = div.checked_mul(pow10(self.scale)?)?;
        i64::try_from(div_round(n, d)).ok()
    }

    pub fn is_negative(self) -> bool {
        self.mant < 0
    }
}

/// Parses a JSON scalar (number, string or null) as a decimal.
pub fn json_dec(v: &serde_json::Value) -> Result<Option<Dec>, NumError> {
    match v {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::String(s) => parse_dec(s),
        serde_json::Value::Number(n) => parse_dec(&n.to_string()),
        _ => Err(NumError::NotANumber),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<(i128, u32)> {
        parse_dec(s).unwrap().map(|d| (d.mant, d.scale))
    }

    #[test]
    fn numbers() {
        assert_eq!(d("270"), Some((270, 0)));
        assert_eq!(d("12,5"), Some((125, 1)));
        assert_eq!(d("-12.50"), Some((-1250, 2)));
        assert_eq!(d("1\u{202F}234,5"), Some((12345, 1)));
        assert_eq!(d("1\u{A0}234"), Some((1234, 0)));
        assert_eq!(d("1.234.567"), Some((1234567, 0)));
        assert_eq!(d("1,234.5"), Some((12345, 1)));
        assert_eq!(d("1.5e3"), Some((1500, 0)));
        assert_eq!(d(""), None);
        assert_eq!(d("null"), None);
        assert!(parse_dec("12a").is_err());
        assert!(parse_dec("-").is_err());
        assert!(parse_dec("1e9999").is_err());
        assert_eq!(parse_dec(&"9".repeat(40)), Err(NumError::TooLarge));
    }

    #[test]
    fn rounding() {
        let v = parse_dec("271").unwrap().unwrap();
        assert_eq!(v.scaled(10_000, 60), Some(45_167));
        let v = parse_dec("-0,5").unwrap().unwrap();
        assert_eq!(v.scaled(1, 1), Some(-1));
        let v = parse_dec("0,5").unwrap().unwrap();
        assert_eq!(v.scaled(1, 1), Some(1));
    }

    #[test]
    fn normalised_names() {
        assert_eq!(norm(" Date de  Relevé "), "date de releve");
        assert_eq!(norm("\"Type de données\""), "type de donnees");
    }
}

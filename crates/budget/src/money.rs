//! Amounts of money, exact: integer hundredths of the currency unit (cents),
//! never floating point. Banks write them the French way (`1 234,56`, with a
//! space, a no-break space or a narrow no-break space between thousands) or
//! the English way (`1,234.56`); a third decimal that is not zero is refused,
//! not rounded away.

use selfdata_sources::text::{Dec, NumError, parse_dec};

/// Why an amount could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("not an amount")]
    NotAnAmount,
    #[error("the amount is too large (more than a billion)")]
    TooLarge,
    #[error("the amount has more than two decimals")]
    SubCent,
}

/// Reads an amount in cents; `Ok(None)` for an empty cell. Accepts a sign,
/// a trailing `€` or `EUR`, decimal commas or points, and grouping spaces;
/// refuses exponents and fractions of a cent.
pub fn parse_cents(s: &str) -> Result<Option<i64>, MoneyError> {
    let s = s.trim();
    let s = s
        .strip_suffix('€')
        .or_else(|| s.strip_suffix("EUR"))
        .unwrap_or(s)
        .trim_end();
    if s.contains(['e', 'E']) {
        return Err(MoneyError::NotAnAmount);
    }
    let dec = match parse_dec(s) {
        Ok(None) => return Ok(None),
        Ok(Some(d)) => d,
        Err(NumError::NotANumber) => return Err(MoneyError::NotAnAmount),
        Err(NumError::TooLarge) => return Err(MoneyError::TooLarge),
    };
    cents(dec).map(Some)
}

/// The largest amount read, in cents: a billion (10⁹) units. Any file's
/// amounts then add up in an `i64` (92 million rows of this would be needed
/// to overflow), so no sum of a statement ever wraps.
pub const MAX_CENTS: i64 = 100_000_000_000;

fn cents(d: Dec) -> Result<i64, MoneyError> {
    let mant = if d.scale <= 2 {
        d.mant
            .checked_mul(10i128.pow(2 - d.scale))
            .ok_or(MoneyError::TooLarge)?
    } else {
        let div = 10i128
            .checked_pow(d.scale - 2)
            .ok_or(MoneyError::TooLarge)?;
        if d.mant % div != 0 {
            return Err(MoneyError::SubCent);
        }
        d.mant / div
    };
    i64::try_from(mant)
        .ok()
        .filter(|c| c.unsigned_abs() <= MAX_CENTS.unsigned_abs())
        .ok_or(MoneyError::TooLarge)
}

/// Cents as a signed decimal string with a point: `-2340` → `"-23.40"`.
pub fn format_cents(c: i64) -> String {
    let sign = if c < 0 { "-" } else { "" };
    let abs = c.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// More than any one transaction or monthly cost (ten billion euros): the
/// analyses (recurring payments, bills, health) leave a larger amount out,
/// so that their sums cannot overflow whatever a file said.
pub const PLAUSIBLE_CENTS: i64 = 1_000_000_000_000;

/// Cents as a French reader writes them in a sentence: `-2340` → `"−23,40 €"`,
/// `123456` → `"1 234,56 €"` (a narrow no-break space between thousands, a
/// no-break space before `€`, a true minus sign).
pub fn format_cents_fr(c: i64) -> String {
    let (sign, units, hundredths) = parts(c);
    format!(
        "{sign}{},{hundredths:02}\u{a0}€",
        grouped(units, '\u{202f}')
    )
}

/// Cents as an English reader writes them in a sentence: `-2340` → `"−€23.40"`,
/// `123456` → `"€1,234.56"`.
pub fn format_cents_en(c: i64) -> String {
    let (sign, units, hundredths) = parts(c);
    format!("{sign}€{}.{hundredths:02}", grouped(units, ','))
}

fn parts(c: i64) -> (&'static str, u64, u64) {
    let sign = if c < 0 { "\u{2212}" } else { "" };
    let abs = c.unsigned_abs();
    (sign, abs / 100, abs % 100)
}

fn grouped(units: u64, sep: char) -> String {
    let digits = units.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(d);
    }
    out
}

/// ISO 4217 codes, one space apart (active currencies).
const CURRENCIES: &str = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD \
BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL \
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD \
KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK \
NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP \
STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF \
YER ZAR ZMW ZWL";

/// The ISO 4217 code `code` names (`"eur"` → `"EUR"`), or `None` for anything else.
pub fn currency(code: &str) -> Option<&'static str> {
    let code = code.trim();
    CURRENCIES.split(' ').find(|c| c.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_amounts_are_read_exactly_in_cents() {
        for (text, cents) in [
            ("23,40", 2340),
            ("-23,40", -2340),
            ("1 234,56", 123_456),
            ("1\u{a0}045,20", 104_520),
            ("1\u{202f}045,20", 104_520),
            ("1,234.56", 123_456),
            ("2100", 210_000),
            ("0,1", 10),
            ("12,30 €", 1230),
            ("+5.00 EUR", 500),
            ("-23,400", -2340),
            ("-1 000 000 000,00", -MAX_CENTS),
        ] {
            assert_eq!(parse_cents(text), Ok(Some(cents)), "{text}");
        }
        assert_eq!(parse_cents(""), Ok(None));
        assert_eq!(parse_cents("  "), Ok(None));
    }

    #[test]
    fn a_fraction_of_a_cent_an_exponent_or_words_are_refused() {
        assert_eq!(parse_cents("-23,405"), Err(MoneyError::SubCent));
        assert_eq!(parse_cents("1e3"), Err(MoneyError::NotAnAmount));
        assert_eq!(parse_cents("douze"), Err(MoneyError::NotAnAmount));
        assert_eq!(
            parse_cents("99999999999999999999,00"),
            Err(MoneyError::TooLarge)
        );
        assert_eq!(parse_cents("1 000 000 000,01"), Err(MoneyError::TooLarge));
    }

    #[test]
    fn cents_are_shown_with_two_decimals_and_a_point() {
        assert_eq!(format_cents(-2340), "-23.40");
        assert_eq!(format_cents(5), "0.05");
        assert_eq!(format_cents(-5), "-0.05");
        assert_eq!(format_cents(210_000), "2100.00");
        assert_eq!(format_cents(i64::MIN), "-92233720368547758.08");
    }

    #[test]
    fn cents_in_a_sentence_read_the_way_each_language_writes_money() {
        assert_eq!(format_cents_fr(6120), "61,20\u{a0}€");
        assert_eq!(format_cents_fr(-2340), "\u{2212}23,40\u{a0}€");
        assert_eq!(format_cents_fr(123_456), "1\u{202f}234,56\u{a0}€");
        assert_eq!(
            format_cents_fr(100_000_000),
            "1\u{202f}000\u{202f}000,00\u{a0}€"
        );
        assert_eq!(format_cents_fr(5), "0,05\u{a0}€");
        assert_eq!(format_cents_en(123_456), "€1,234.56");
        assert_eq!(format_cents_en(-2340), "\u{2212}€23.40");
        assert!(format_cents_fr(i64::MIN).starts_with('\u{2212}'));
    }

    #[test]
    fn currencies_are_iso_codes() {
        assert_eq!(currency(" eur"), Some("EUR"));
        assert_eq!(currency("CHF"), Some("CHF"));
        assert_eq!(currency("EU"), None);
        assert_eq!(currency("EUR USD"), None);
    }
}

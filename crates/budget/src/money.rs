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
    #[error("the amount is too large")]
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
    i64::try_from(mant).map_err(|_| MoneyError::TooLarge)
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
}

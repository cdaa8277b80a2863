//! Times as a resident reads them: stored in UTC, shown in Paris. The one
//! place the privacy pages turn an instant into a day, a minute or a
//! month in words.

use jiff::Timestamp;
use jiff::civil::Date;
use selfdata_site::Lang;

/// The Paris day of `t`.
pub(crate) fn local_day(t: Timestamp) -> Date {
    t.to_zoned_datetime(selfdata_sources::time::paris()).date()
}

/// The Paris day of `t`, `YYYY-MM-DD`.
pub(crate) fn date(t: Timestamp) -> String {
    local_day(t).to_string()
}

/// The Paris day of `ms` milliseconds since the epoch, `YYYY-MM-DD`; empty
/// when out of range.
pub(crate) fn date_ms(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(date)
        .unwrap_or_default()
}

/// The Paris minute of `t`, `YYYY-MM-DD HH:MM`.
pub(crate) fn minute(t: Timestamp) -> String {
    t.to_zoned_datetime(selfdata_sources::time::paris())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The Paris second of `t`, `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn second(t: Timestamp) -> String {
    t.to_zoned_datetime(selfdata_sources::time::paris())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn month_name(d: Date, lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => selfdata_sources::Lang::Fr,
        Lang::En => selfdata_sources::Lang::En,
    }
    .month(d.month())
}

/// The Paris month of `t` in words ("March 2021", "mars 2021").
pub(crate) fn month(t: Timestamp, lang: Lang) -> String {
    let d = local_day(t);
    format!("{} {}", month_name(d, lang), d.year())
}

/// The Paris day of `t` in words ("10 January 2023", "10 janvier 2023").
pub(crate) fn day_words(t: Timestamp, lang: Lang) -> String {
    let d = local_day(t);
    format!("{} {} {}", d.day(), month_name(d, lang), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_read_on_the_paris_day() {
        // 23:30 UTC on 31 January is already 1 February in Paris.
        let t: Timestamp = "2023-01-31T23:30:00Z".parse().unwrap();
        assert_eq!(date(t), "2023-02-01");
        assert_eq!(minute(t), "2023-02-01 00:30");
        assert_eq!(month(t, Lang::En), "February 2023");
        assert_eq!(day_words(t, Lang::Fr), "1 février 2023");
        assert_eq!(date_ms(t.as_millisecond()), "2023-02-01");
    }
}

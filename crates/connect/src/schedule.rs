//! When the daily pulls run: at an hour the operator chooses, on the
//! holders' clock (Europe/Paris), whatever the server's own time zone and
//! across the two days a year when Paris changes its clocks.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The first moment strictly after `now` when the clock in Paris reads
/// `hour`:00. On the spring day whose `hour` does not exist (02:00 → 03:00)
/// the run is at the first moment after the gap (03:00); on the autumn day
/// whose `hour` happens twice (02:00–03:00), at its first occurrence, once.
pub fn next_daily_run(now: Timestamp, hour: u8) -> Timestamp {
    let paris = TimeZone::get("Europe/Paris").unwrap_or(TimeZone::UTC);
    let hour = i8::try_from(hour.min(23)).unwrap_or(0);
    let mut day: Date = paris.to_datetime(now).date();
    // Today's run if still ahead, else tomorrow's (a third day only if a
    // time zone rule ever skipped a whole day).
    for _ in 0..3 {
        let run = day
            .at(hour, 0, 0, 0)
            .to_zoned_datetime(paris.clone())
            .map(|z| z.timestamp());
        if let Ok(run) = run
            && run > now
        {
            return run;
        }
        day = match day.tomorrow() {
            Ok(next) => next,
            Err(_) => break,
        };
    }
    now.saturating_add(jiff::SignedDuration::from_hours(24))
        .unwrap_or(Timestamp::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn the_next_run_is_at_the_operators_hour_in_paris() {
        // Winter (UTC+1): 03:00 Paris is 02:00 UTC.
        assert_eq!(
            next_daily_run(utc("2026-01-15T01:59:59Z"), 3),
            utc("2026-01-15T02:00:00Z")
        );
        // Exactly at the hour: the next day's (a run never repeats).
        assert_eq!(
            next_daily_run(utc("2026-01-15T02:00:00Z"), 3),
            utc("2026-01-16T02:00:00Z")
        );
        // Summer (UTC+2): 03:00 Paris is 01:00 UTC.
        assert_eq!(
            next_daily_run(utc("2026-07-01T12:00:00Z"), 3),
            utc("2026-07-02T01:00:00Z")
        );
        // Late in the evening in UTC is already tomorrow in Paris.
        assert_eq!(
            next_daily_run(utc("2026-07-01T23:30:00Z"), 3),
            utc("2026-07-02T01:00:00Z")
        );
        assert_eq!(
            next_daily_run(utc("2026-07-01T23:30:00Z"), 0),
            utc("2026-07-02T22:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_days_run_once_and_an_hour_that_does_not_exist_runs_after_the_gap() {
        // 29 March 2026: Paris goes from 02:00 to 03:00 (UTC+1 → UTC+2).
        assert_eq!(
            next_daily_run(utc("2026-03-28T22:00:00Z"), 3),
            utc("2026-03-29T01:00:00Z")
        );
        // 02:00 does not exist that day: the run is at 03:00 (01:00 UTC).
        assert_eq!(
            next_daily_run(utc("2026-03-28T22:00:00Z"), 2),
            utc("2026-03-29T01:00:00Z")
        );
        // 25 October 2026: 02:00–03:00 happens twice (UTC+2 → UTC+1); the
        // run is at the first 02:00 and not again at the second.
        let first = next_daily_run(utc("2026-10-24T22:00:00Z"), 2);
        assert_eq!(first, utc("2026-10-25T00:00:00Z"));
        assert_eq!(
            next_daily_run(first, 2),
            utc("2026-10-26T01:00:00Z"),
            "not again at the repeated 02:00"
        );
        // 03:00 on the autumn day is 02:00 UTC: 25 hours after the day before's.
        assert_eq!(
            next_daily_run(utc("2026-10-24T01:00:00Z"), 3),
            utc("2026-10-25T02:00:00Z")
        );
    }
}

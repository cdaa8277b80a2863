//! Subscriptions and recurring payments found in generated histories (a
//! seeded generator, `today` fixed): drift of a few days, a missed month,
//! a price change, end-of-month rent, utilities whose amount varies, and
//! none found in habits that only look regular (the weekly supermarket,
//! the bakery, two coffees on one day).

use jiff::ToSpan;
use jiff::civil::{Date, date};
use selfdata_budget::recurring::{
    Decision, Occurrence, Period, Recurring, Status, decisions_from_csv, decisions_to_csv, detect,
    status, yearly_total,
};

const TODAY: Date = Date::constant(2026, 1, 10);

/// SplitMix64: enough randomness for histories, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

fn occ(d: Date, cents: i64, payee: &str) -> Occurrence {
    Occurrence {
        account: "credit-agricole-5678".into(),
        date: d,
        amount: cents,
        payee: payee.into(),
        creditor_id: None,
        category: None,
    }
}

/// The day `day` of the month `i` months before December 2025, moved by `drift`.
fn monthly_day(months_before_dec_2025: i32, day: i8, drift: i64) -> Date {
    date(2025, 12, day)
        .checked_sub((months_before_dec_2025 as i64).months())
        .unwrap()
        .checked_add(drift.days())
        .unwrap()
}

/// Netflix on the 5th for `months` months up to December 2025, drifting by up
/// to 3 days one month in three, the month `missing` (counted back from
/// December, 0 = December) not paid; `price(i)` the amount of month `i` (0 = first).
fn netflix(
    rng: &mut Rng,
    months: i32,
    missing: Option<i32>,
    price: impl Fn(i32) -> i64,
) -> Vec<Occurrence> {
    (0..months)
        .rev()
        .filter(|back| Some(*back) != missing)
        .map(|back| {
            let i = months - 1 - back;
            let drift = if i % 3 == 0 { rng.range(-3, 3) } else { 0 };
            occ(monthly_day(back, 5, drift), -price(i), "NETFLIX")
        })
        .collect()
}

fn only(found: &[Recurring]) -> &Recurring {
    assert_eq!(found.len(), 1, "{found:#?}");
    &found[0]
}

#[test]
fn netflix_drifting_a_few_days_with_a_missed_month_is_monthly_and_expected_on_the_fifth() {
    for seed in 0..50 {
        let mut rng = Rng(seed);
        let history = netflix(&mut rng, 18, Some(7), |_| 1349);
        let found = detect(&history, TODAY);
        let n = only(&found);
        assert_eq!(n.period, Period::Monthly);
        assert!(!n.variable);
        assert_eq!(n.amount, -1349);
        assert_eq!(n.next, date(2026, 1, 5), "seed {seed}");
        assert_eq!(n.yearly, -16188);
        assert_eq!((n.occurrences, n.misses), (17, 1));
        assert!(!n.ended && !n.income);
        assert_eq!(n.price_change, None);
        assert_eq!(n.key, "NETFLIX|credit-agricole-5678|monthly");
    }
}

#[test]
fn a_price_change_keeps_one_subscription_at_the_new_price_and_says_when_it_changed() {
    let mut rng = Rng(7);
    let history = netflix(&mut rng, 18, None, |i| if i < 10 { 1349 } else { 1549 });
    let found = detect(&history, TODAY);
    let n = only(&found);
    assert_eq!(
        (n.period, n.amount, n.yearly),
        (Period::Monthly, -1549, -18588)
    );
    let (when, before, after) = n.price_change.expect("the step is noted");
    assert_eq!(when, history[10].date);
    assert_eq!((before, after), (-1349, -1549));
}

#[test]
fn rent_paid_on_the_last_day_of_each_month_is_next_expected_on_the_last_day_of_next_month() {
    let history: Vec<Occurrence> = (0..12)
        .rev()
        .map(|back| occ(monthly_day(back, 1, 0).last_of_month(), -85_000, "FONCIA"))
        .collect();
    assert!(history.iter().any(|o| o.date.day() == 28), "February is in");
    let found = detect(&history, TODAY);
    let rent = only(&found);
    assert_eq!(rent.period, Period::Monthly);
    assert_eq!(rent.last, date(2025, 12, 31));
    assert_eq!(rent.next, date(2026, 1, 31));
    assert_eq!(rent.yearly, -1_020_000);
    // And from a month of 30 days, the next is a 31st.
    let to_november: Vec<Occurrence> = history[..11].to_vec();
    assert_eq!(only(&detect(&to_november, TODAY)).next, date(2025, 12, 31));
}

#[test]
fn electricity_varying_each_month_with_a_missed_month_is_monthly_variable_and_its_year_is_the_sum()
{
    for seed in 0..50 {
        let mut rng = Rng(seed);
        let history: Vec<Occurrence> = (0..24)
            .rev()
            .filter(|back| *back != 4)
            .map(|back| {
                let drift = rng.range(-2, 2);
                occ(
                    monthly_day(back, 10, drift),
                    -rng.range(4500, 9500),
                    "EDF CLIENTS PARTICULIERS",
                )
            })
            .collect();
        let found = detect(&history, TODAY);
        let edf = only(&found);
        assert_eq!(edf.period, Period::Monthly, "seed {seed}");
        assert!(edf.variable);
        assert_eq!(edf.misses, 1);
        let last_twelve: i64 = history
            .iter()
            .filter(|o| o.date >= date(2025, 1, 1))
            .map(|o| o.amount)
            .sum();
        assert_eq!(
            history
                .iter()
                .filter(|o| o.date >= date(2025, 1, 1))
                .count(),
            11
        );
        assert_eq!(edf.yearly, last_twelve);
        assert_eq!(edf.amount, history.last().unwrap().amount);
    }
}

#[test]
fn water_billed_each_quarter_with_varying_amounts_is_quarterly_variable() {
    let mut rng = Rng(3);
    let history: Vec<Occurrence> = (0..12)
        .rev()
        .map(|q| {
            let d = monthly_day(q * 3 + 1, 15, rng.range(-3, 3));
            occ(d, -rng.range(9000, 13_000), "VEOLIA EAU")
        })
        .collect();
    let found = detect(&history, TODAY);
    let water = only(&found);
    assert_eq!(water.period, Period::Quarterly);
    assert!(water.variable);
    let last_four: i64 = history[8..].iter().map(|o| o.amount).sum();
    assert_eq!(water.yearly, last_four);
    assert_eq!(
        water.next,
        history[11].date.checked_add(3.months()).unwrap()
    );
}

#[test]
fn home_insurance_paid_twice_a_year_apart_is_yearly_and_only_proposed() {
    let history = [
        occ(date(2024, 1, 14), -31_200, "MAIF"),
        occ(date(2025, 1, 16), -32_450, "MAIF"),
    ];
    let found = detect(&history, TODAY);
    let maif = only(&found);
    assert_eq!(maif.period, Period::Yearly);
    assert_eq!((maif.amount, maif.yearly), (-32_450, -32_450));
    assert_eq!(maif.next, date(2026, 1, 16));
    assert!(maif.tentative(), "two occurrences are to be confirmed");
    assert_eq!(status(&[], &maif.key), Status::Proposed);
    assert!(!maif.ended);
}

#[test]
fn cleaning_every_monday_give_or_take_a_day_is_weekly_and_fixed() {
    for seed in 0..50 {
        let mut rng = Rng(seed);
        let first_monday = date(2025, 8, 25);
        let history: Vec<Occurrence> = (0..20)
            .map(|w| {
                let d = first_monday
                    .checked_add((w * 7 + rng.range(-1, 1)).days())
                    .unwrap();
                occ(d, -4000, "MENAGE SERVICES")
            })
            .collect();
        let found = detect(&history, TODAY);
        let cleaning = only(&found);
        assert_eq!(cleaning.period, Period::Weekly, "seed {seed}");
        assert!(!cleaning.variable);
        assert_eq!(cleaning.yearly, -4000 * 52);
        assert_eq!(
            cleaning.next,
            history[19].date.checked_add(7.days()).unwrap()
        );
    }
}

/// Saturday shopping, give or take a day, 35 to 140 € each time, two years.
fn supermarket(rng: &mut Rng) -> Vec<Occurrence> {
    let first_saturday = date(2024, 1, 6);
    (0..104)
        .map(|w| {
            let d = first_saturday
                .checked_add((w * 7 + rng.range(-1, 1)).days())
                .unwrap();
            occ(d, -rng.range(3500, 14_000), "CARREFOUR")
        })
        .collect()
}

#[test]
fn no_false_subscription_from_a_weekly_supermarket_habit_of_varying_amounts() {
    for seed in 0..1000 {
        let found = detect(&supermarket(&mut Rng(seed)), TODAY);
        assert!(found.is_empty(), "seed {seed}: {found:#?}");
    }
}

#[test]
fn no_false_subscription_from_an_irregular_bakery_twice_a_week() {
    for seed in 0..1000 {
        let mut rng = Rng(seed);
        let mut d = date(2024, 1, 2);
        let mut history = Vec::new();
        while d < date(2025, 12, 31) {
            history.push(occ(d, -110, "BOULANGERIE DU MARCHE"));
            d = d.checked_add(rng.range(1, 6).days()).unwrap();
        }
        let found = detect(&history, TODAY);
        assert!(found.is_empty(), "seed {seed}: {found:#?}");
    }
}

#[test]
fn two_identical_coffees_on_one_day_repeated_on_random_days_are_not_a_subscription() {
    for seed in 0..1000 {
        let mut rng = Rng(seed);
        let mut d = date(2025, 1, 3);
        let mut history = Vec::new();
        while d < date(2025, 12, 31) {
            history.push(occ(d, -250, "CAFE DU COIN"));
            history.push(occ(d, -250, "CAFE DU COIN"));
            d = d.checked_add(rng.range(1, 40).days()).unwrap();
        }
        let found = detect(&history, TODAY);
        assert!(found.is_empty(), "seed {seed}: {found:#?}");
    }
}

#[test]
fn a_subscription_stopped_eight_months_ago_is_ended_and_left_out_of_the_yearly_total() {
    let mut rng = Rng(11);
    let mut history = netflix(&mut rng, 12, None, |_| 1349);
    let spotify: Vec<Occurrence> = (8..30)
        .rev()
        .map(|back| occ(monthly_day(back, 20, 0), -1099, "SPOTIFY"))
        .collect();
    assert_eq!(spotify.last().unwrap().date, date(2025, 4, 20));
    history.extend(spotify);
    let found = detect(&history, TODAY);
    assert_eq!(found.len(), 2);
    let stopped = found.iter().find(|r| r.payee == "SPOTIFY").unwrap();
    assert!(stopped.ended);
    assert_eq!(stopped.yearly, -1099 * 12);
    let running = found.iter().find(|r| r.payee == "NETFLIX").unwrap();
    assert!(!running.ended);
    assert_eq!(
        found.last().unwrap().payee,
        "SPOTIFY",
        "ended ones come last"
    );
    assert_eq!(yearly_total(&found, &[]), -16188);
}

#[test]
fn incomes_are_found_apart_from_payments_and_internal_transfers_are_never_recurring() {
    let mut rng = Rng(5);
    let mut history: Vec<Occurrence> = (0..12)
        .rev()
        .map(|back| {
            occ(
                monthly_day(back, 28, rng.range(-1, 1)),
                210_000 + rng.range(0, 20_000),
                "ACME SAS",
            )
        })
        .collect();
    history.extend((0..12).rev().map(|back| Occurrence {
        category: Some("virements-internes".into()),
        ..occ(monthly_day(back, 2, 0), -20_000, "LIVRET A")
    }));
    let found = detect(&history, TODAY);
    let salary = only(&found);
    assert!(salary.income && salary.amount > 0 && salary.yearly > 0);
    assert_eq!(salary.key, "ACME SAS|credit-agricole-5678|monthly|income");
    assert_eq!(yearly_total(&found, &[]), 0, "an income is not a cost");
}

fn edf_with_creditor_id(months: i32) -> Vec<Occurrence> {
    let mut rng = Rng(1);
    (0..months)
        .rev()
        .map(|back| Occurrence {
            creditor_id: Some("FR12ZZZ123456".into()),
            category: Some("logement/energie/electricite".into()),
            ..occ(
                monthly_day(back, 6, rng.range(-1, 1)),
                -6120,
                "EDF CLIENTS PARTICULIERS",
            )
        })
        .collect()
}

#[test]
fn decisions_follow_a_subscription_across_re_imports_by_its_stable_key() {
    let before = detect(&edf_with_creditor_id(6), TODAY);
    let edf = only(&before);
    assert_eq!(edf.key, "FR12ZZZ123456");
    assert_eq!(
        edf.category.as_deref(),
        Some("logement/energie/electricite")
    );
    let netflix_key = only(&detect(&netflix(&mut Rng(2), 6, None, |_| 1349), TODAY))
        .key
        .clone();
    let decisions = vec![
        Decision {
            key: edf.key.clone(),
            confirmed: true,
            at: "2026-01-02T09:00:00Z".parse().unwrap(),
        },
        Decision {
            key: netflix_key.clone(),
            confirmed: false,
            at: "2026-01-02T09:01:00Z".parse().unwrap(),
        },
    ];
    let stored = decisions_to_csv(&decisions);
    let read = decisions_from_csv(&stored).unwrap();
    assert_eq!(read, decisions);

    // Later, with more statements imported (the same months and older ones).
    let mut again = edf_with_creditor_id(12);
    again.extend(netflix(&mut Rng(9), 10, None, |_| 1349));
    let after = detect(&again, TODAY);
    let edf = after.iter().find(|r| r.payee.starts_with("EDF")).unwrap();
    assert_eq!(status(&read, &edf.key), Status::Confirmed);
    let netflix = after.iter().find(|r| r.payee == "NETFLIX").unwrap();
    assert_eq!(netflix.key, netflix_key);
    assert_eq!(status(&read, &netflix.key), Status::Dismissed);
    assert_eq!(
        yearly_total(&after, &read),
        edf.yearly,
        "dismissed is not counted"
    );
}

#[test]
fn the_latest_decision_on_a_key_wins() {
    let at = |s: &str| s.parse().unwrap();
    let decisions = [
        Decision {
            key: "K".into(),
            confirmed: false,
            at: at("2026-01-03T00:00:00Z"),
        },
        Decision {
            key: "K".into(),
            confirmed: true,
            at: at("2026-01-02T00:00:00Z"),
        },
    ];
    assert_eq!(status(&decisions, "K"), Status::Dismissed);
    assert_eq!(status(&decisions, "other"), Status::Proposed);
}

#[test]
fn a_hand_edited_decisions_file_is_refused_with_its_line_never_a_panic() {
    let ok = "key,decision,at\r\n\r\n\"NETFLIX|a,b|monthly\",confirmed,2026-01-02T09:00:00Z\n";
    let read = decisions_from_csv(ok.as_bytes()).unwrap();
    assert_eq!(read[0].key, "NETFLIX|a,b|monthly");
    for (text, line, says) in [
        (
            "key,decision,at\nK,maybe,2026-01-02T09:00:00Z\n",
            2,
            "maybe",
        ),
        ("key,decision,at\nK,confirmed,yesterday\n", 2, "yesterday"),
        ("key,decision,at\nK,confirmed\n", 2, "3 fields"),
        (
            "key,decision,at\n,confirmed,2026-01-02T09:00:00Z\n",
            2,
            "empty",
        ),
        ("K,confirmed,2026-01-02T09:00:00Z\n", 1, "header"),
    ] {
        let e = decisions_from_csv(text.as_bytes()).unwrap_err();
        assert_eq!(e.line, line, "{text}");
        assert!(e.message.contains(says), "{e}");
    }
    let e = decisions_from_csv(b"key,decision,at\nK\xff,confirmed,x\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(decisions_from_csv(b"").unwrap().is_empty());
}

#[test]
fn every_period_reads_back_from_its_word_and_has_both_languages() {
    for p in Period::ALL {
        assert_eq!(Period::parse(p.as_str()), Some(p));
        assert!(!p.fr().is_empty() && !p.en().is_empty());
    }
}

#[test]
fn amounts_beyond_any_bank_are_left_out_never_a_panic() {
    let mut history = netflix(&mut Rng(3), 12, None, |_| 1349);
    for o in history.iter_mut().step_by(2) {
        o.amount = i64::MIN;
    }
    history.extend((0..12).map(|back| occ(monthly_day(back, 9, 0), i64::MAX, "ODD")));
    let found = detect(&history, TODAY);
    // What is left of Netflix is one month in two; the absurd ones are out.
    let n = only(&found);
    assert_eq!(
        (n.payee.as_str(), n.period, n.amount),
        ("NETFLIX", Period::Bimonthly, -1349)
    );
}

#[test]
fn a_subscription_stopped_then_taken_up_again_is_found_on_its_latest_run() {
    let mut history: Vec<Occurrence> = (0..12)
        .map(|m| {
            occ(
                date(2022, 1, 12).checked_add(m.months()).unwrap(),
                -899,
                "DISNEY PLUS",
            )
        })
        .collect();
    history.extend((0..10).map(|m| {
        occ(
            date(2025, 3, 12).checked_add(m.months()).unwrap(),
            -999,
            "DISNEY PLUS",
        )
    }));
    let found = detect(&history, TODAY);
    let d = only(&found);
    assert_eq!(
        (d.period, d.amount, d.occurrences),
        (Period::Monthly, -999, 10)
    );
    assert_eq!(d.next, date(2026, 1, 12));
    assert!(!d.ended);
}

//! Energy and water bills linked to what the energy service says the home
//! cost (synthetic costs from a seeded generator), and health
//! reimbursements linked to the care they repay.

use jiff::ToSpan;
use jiff::civil::{Date, date};
use selfdata_budget::bills::{
    BillDebit, BillLink, HealthTx, KnownCost, Payer, Topic, Why, health_links, match_bills, repaid,
};

/// SplitMix64: enough randomness for costs, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

const ELECTRICITY: &str = "logement/energie/electricite";
const ENERGY: &str = "logement/energie";
const WATER: &str = "logement/eau";

fn debit(d: Date, cents: i64, category: &str) -> BillDebit {
    BillDebit {
        account: "credit-agricole-5678".into(),
        date: d,
        amount: cents,
        seq: 1,
        label: "PRLV SEPA FOURNISSEUR".into(),
        category: category.into(),
    }
}

fn cost(topic: Topic, month: Date, cents: i64) -> KnownCost {
    KnownCost {
        topic,
        month,
        cents,
        coverage: 1.0,
    }
}

/// The 1st of the month `i` months after January 2024.
fn month(i: i64) -> Date {
    date(2024, 1, 1).checked_add(i.months()).unwrap()
}

#[test]
fn a_monthly_bill_is_linked_to_the_month_before_with_the_difference() {
    let costs = [cost(Topic::Electricity, date(2024, 12, 1), 5812)];
    let links = match_bills(&[debit(date(2025, 1, 6), -6120, ELECTRICITY)], &costs);
    assert_eq!(
        links,
        [BillLink {
            debit: 0,
            topic: Some(Topic::Electricity),
            split: vec![(Topic::Electricity, -6120)],
            period: (date(2024, 12, 1), date(2024, 12, 1)),
            service_cost: Some(-5812),
            difference: Some(-308),
            reason: None,
        }]
    );
}

#[test]
fn two_years_of_monthly_bills_each_find_their_own_month() {
    for seed in 0..20 {
        let mut rng = Rng(seed);
        let costs: Vec<KnownCost> = (0..24)
            .map(|i| cost(Topic::Electricity, month(i), rng.range(3500, 9500)))
            .collect();
        // Each bill: the month before, give or take 2 €, on the 6th.
        let debits: Vec<BillDebit> = (1..24)
            .map(|i| {
                let billed = costs[i as usize - 1].cents + rng.range(-200, 200);
                debit(
                    month(i).checked_add(5.days()).unwrap(),
                    -billed,
                    ELECTRICITY,
                )
            })
            .collect();
        let links = match_bills(&debits, &costs);
        assert_eq!(links.len(), 23);
        for (i, l) in links.iter().enumerate() {
            assert_eq!(l.period, (month(i as i64), month(i as i64)), "seed {seed}");
            assert_eq!(l.service_cost, Some(-costs[i].cents));
            assert_eq!(l.reason, None);
        }
    }
}

#[test]
fn a_bimonthly_bill_is_linked_to_the_two_months_before() {
    let mut rng = Rng(4);
    let costs: Vec<KnownCost> = (0..12)
        .map(|i| cost(Topic::Electricity, month(i), rng.range(4000, 9000)))
        .collect();
    let debits: Vec<BillDebit> = [2, 4, 6, 8, 10]
        .into_iter()
        .map(|i: i64| {
            let two = costs[i as usize - 2].cents + costs[i as usize - 1].cents;
            debit(
                month(i).checked_add(9.days()).unwrap(),
                -(two + 150),
                ELECTRICITY,
            )
        })
        .collect();
    let links = match_bills(&debits, &costs);
    for (l, i) in links.iter().zip([2, 4, 6, 8, 10]) {
        assert_eq!(l.period, (month(i - 2), month(i - 1)));
        assert_eq!(l.difference, Some(-150));
    }
}

#[test]
fn water_billed_for_the_three_months_before_is_linked_to_them() {
    let costs: Vec<KnownCost> = (0..6)
        .map(|i| cost(Topic::Water, month(i), 3000 + 100 * i))
        .collect();
    let links = match_bills(&[debit(date(2024, 4, 12), -9300, WATER)], &costs);
    assert_eq!(links[0].period, (month(0), month(2)));
    assert_eq!(links[0].topic, Some(Topic::Water));
    assert_eq!(links[0].difference, Some(0));
}

#[test]
fn a_bill_twenty_percent_off_stays_unlinked_and_says_why() {
    let costs = [cost(Topic::Electricity, date(2024, 12, 1), 5100)];
    let links = match_bills(&[debit(date(2025, 1, 6), -6120, ELECTRICITY)], &costs);
    let l = &links[0];
    assert_eq!((l.service_cost, l.difference), (None, None));
    let why = l.reason.as_ref().expect("a reason");
    assert_eq!(
        why.fr(),
        "aucune période ne correspond : 61,20\u{a0}€ pour 51,00\u{a0}€ en décembre"
    );
    assert_eq!(why.en(), "no period fits: €61.20 for €51.00 in December");
    // Within 15 % it is linked.
    let costs = [cost(Topic::Electricity, date(2024, 12, 1), 5400)];
    let links = match_bills(&[debit(date(2025, 1, 6), -6120, ELECTRICITY)], &costs);
    assert_eq!(links[0].service_cost, Some(-5400));
}

#[test]
fn a_month_is_paid_once_and_a_second_debit_for_it_says_so() {
    let costs = [cost(Topic::Electricity, date(2024, 12, 1), 5812)];
    let debits = [
        debit(date(2025, 1, 6), -6000, ELECTRICITY),
        debit(date(2025, 1, 20), -5820, ELECTRICITY),
    ];
    let links = match_bills(&debits, &costs);
    assert_eq!(links[1].service_cost, Some(-5812), "the closer one");
    assert_eq!(links[0].service_cost, None);
    let why = links[0].reason.as_ref().unwrap();
    assert_eq!(
        why.fr(),
        "un autre prélèvement, plus proche, paie déjà décembre"
    );
    assert_eq!(why.en(), "another debit, closer, already pays December");
}

#[test]
fn engie_billing_both_fluids_is_linked_to_their_sum_and_shared_between_them() {
    let dec = date(2024, 12, 1);
    let costs = [
        cost(Topic::Electricity, dec, 4000),
        cost(Topic::Gas, dec, 3500),
    ];
    let links = match_bills(&[debit(date(2025, 1, 8), -7550, ENERGY)], &costs);
    let l = &links[0];
    assert_eq!(l.topic, None, "both fluids");
    assert_eq!((l.service_cost, l.difference), (Some(-7500), Some(-50)));
    assert_eq!(
        l.split,
        vec![(Topic::Electricity, -4026), (Topic::Gas, -3524)]
    );
    // An ENGIE debit for gas alone is linked to gas.
    let links = match_bills(&[debit(date(2025, 1, 8), -3510, ENERGY)], &costs);
    assert_eq!(links[0].topic, Some(Topic::Gas));
    assert_eq!(links[0].service_cost, Some(-3500));
}

/// Twelve monthly costs of 2024 adding up to `total`.
fn year_of_costs(rng: &mut Rng, total: i64) -> Vec<KnownCost> {
    let mut parts: Vec<i64> = (0..11).map(|_| rng.range(4000, 7000)).collect();
    parts.push(total - parts.iter().sum::<i64>());
    assert!(parts[11] > 0);
    parts
        .into_iter()
        .enumerate()
        .map(|(i, c)| cost(Topic::Electricity, month(i as i64), c))
        .collect()
}

#[test]
fn fixed_monthly_installments_are_matched_over_the_year() {
    let costs = year_of_costs(&mut Rng(8), 70_215);
    let debits: Vec<BillDebit> = (0..12)
        .map(|i| debit(month(i).checked_add(9.days()).unwrap(), -6120, ELECTRICITY))
        .collect();
    let links = match_bills(&debits, &costs);
    assert_eq!(links.len(), 12);
    for l in &links {
        assert_eq!(l.period, (date(2024, 1, 1), date(2024, 12, 1)));
        assert_eq!(l.service_cost, Some(-70_215));
        assert_eq!(l.difference, Some(-3225));
        assert_eq!(l.topic, Some(Topic::Electricity));
    }
    assert_eq!(
        links[0].reason.as_ref().unwrap().fr(),
        "mensualisé : 12 × 61,20\u{a0}€ = 734,40\u{a0}€ pour 702,15\u{a0}€ consommés (+32,25\u{a0}€)"
    );
    assert_eq!(
        links[0].reason.as_ref().unwrap().en(),
        "monthly instalments: 12 × €61.20 = €734.40 for €702.15 used (+€32.25)"
    );
}

#[test]
fn the_regularisation_is_counted_in_its_mensualised_year() {
    let costs = year_of_costs(&mut Rng(9), 65_000);
    let mut debits: Vec<BillDebit> = (0..11)
        .map(|i| debit(month(i).checked_add(9.days()).unwrap(), -6120, ELECTRICITY))
        .collect();
    // December: the yearly bill pays back what was paid too much.
    debits.push(debit(date(2024, 12, 12), 2320, ELECTRICITY));
    let links = match_bills(&debits, &costs);
    assert_eq!(links.len(), 12, "the credit is part of the year");
    assert_eq!(links[11].debit, 11);
    assert_eq!(links[11].difference, Some(0));
    assert_eq!(
        links[11].reason.as_ref().unwrap().fr(),
        "mensualisé : 11 × 61,20\u{a0}€ = 673,20\u{a0}€, régularisation \u{2212}23,20\u{a0}€, soit 650,00\u{a0}€ pour 650,00\u{a0}€ consommés (0,00\u{a0}€)"
    );
}

#[test]
fn bills_paid_one_by_one_before_the_mensualisation_began_are_matched_one_by_one() {
    let costs: Vec<KnownCost> = (0..12)
        .map(|i| cost(Topic::Electricity, month(i), 5000 + 300 * i))
        .collect();
    // February and March pay January and February; from April, 70.00 a month.
    let mut debits = vec![
        debit(date(2024, 2, 6), -5000, ELECTRICITY),
        debit(date(2024, 3, 6), -5300, ELECTRICITY),
    ];
    debits.extend(
        (3..12).map(|i| debit(month(i).checked_add(9.days()).unwrap(), -7000, ELECTRICITY)),
    );
    let links = match_bills(&debits, &costs);
    assert_eq!(links[0].period, (month(0), month(0)));
    assert_eq!(links[1].period, (month(1), month(1)));
    assert_eq!(links[1].reason, None);
    assert_eq!(links[2].period, (month(3), month(11)));
    assert!(matches!(
        links[2].reason,
        Some(Why::Installments { count: 9, .. })
    ));
}

#[test]
fn without_the_energy_service_bills_are_shown_alone_and_say_so() {
    let debits = [
        debit(date(2025, 1, 6), -6120, ELECTRICITY),
        debit(date(2025, 1, 7), -4500, "alimentation/courses"),
        debit(date(2025, 1, 9), -7000, ENERGY),
    ];
    let links = match_bills(&debits, &[]);
    assert_eq!(links.len(), 2, "the groceries are no bill");
    assert!(links.iter().all(|l| l.service_cost.is_none()));
    assert_eq!(
        links[0].reason.as_ref().unwrap().fr(),
        "le service énergie ne connaît pas le coût de l'électricité en décembre"
    );
    assert_eq!(links[1].debit, 2);
    assert_eq!(links[1].topic, None);
    assert_eq!(
        links[1].reason,
        Some(Why::NoCost {
            topic: None,
            month: date(2024, 12, 1)
        })
    );
    // A month the service knows too little of is not used.
    let thin = [KnownCost {
        coverage: 0.5,
        ..cost(Topic::Electricity, date(2024, 12, 1), 6120)
    }];
    let links = match_bills(&debits[..1], &thin);
    assert!(matches!(links[0].reason, Some(Why::NoCost { .. })));
}

fn health(d: Date, cents: i64, label: &str) -> HealthTx {
    HealthTx {
        date: d,
        amount: cents,
        label: label.into(),
    }
}

#[test]
fn a_consultation_repaid_by_the_cpam_and_the_mutuelle_shows_what_is_left() {
    let expenses = [health(date(2021, 9, 10), -3000, "CB DR MARTIN 10/09")];
    let credits = [
        health(
            date(2021, 9, 15),
            1900,
            "CPAM DU RHONE REMB SOINS DU 100921",
        ),
        health(
            date(2021, 9, 20),
            800,
            "VIR HARMONIE MUTUELLE REMBOURSEMENT",
        ),
    ];
    let links = health_links(&expenses, &credits);
    assert_eq!(links.len(), 2);
    assert!(links.iter().all(|l| l.expense == 0));
    assert_eq!(links[0].payer, Payer::Cpam);
    assert_eq!(links[1].payer, Payer::Mutuelle);
    let r = repaid(&expenses, &links);
    assert_eq!((r[0].cost, r[0].repaid, r[0].rest), (3000, 2700, 300));
    assert_eq!(
        r[0].fr(),
        "remboursé 27,00\u{a0}€ sur 30,00\u{a0}€ (CPAM 19,00\u{a0}€, mutuelle 8,00\u{a0}€), reste 3,00\u{a0}€"
    );
}

#[test]
fn the_day_a_reimbursement_names_is_the_care_it_repays_before_a_later_one() {
    let expenses = [
        health(date(2021, 9, 10), -3000, "CB DR MARTIN"),
        health(date(2021, 9, 12), -2500, "CB PHARMACIE DU CENTRE"),
    ];
    let credits = [
        health(
            date(2021, 9, 15),
            1900,
            "CPAM DU RHONE REMB SOINS DU 100921",
        ),
        health(date(2021, 9, 16), 1600, "CPAM DU RHONE REMB"),
        health(date(2021, 9, 20), 800, "MUTUELLE MGEN SOINS DU 10/09"),
    ];
    let links = health_links(&expenses, &credits);
    let to: Vec<(usize, usize)> = links.iter().map(|l| (l.credit, l.expense)).collect();
    assert_eq!(to, [(0, 0), (1, 1), (2, 0)]);
}

#[test]
fn a_reimbursement_with_no_care_before_it_stays_unlinked() {
    let expenses = [health(date(2021, 9, 10), -3000, "CB DR MARTIN")];
    let credits = [
        health(date(2021, 9, 1), 1900, "CPAM REMB"),
        health(date(2021, 12, 1), 1900, "CPAM REMB"),
        health(date(2021, 9, 20), 4000, "CPAM REMB"),
    ];
    assert!(health_links(&expenses, &credits).is_empty());
    assert!(repaid(&expenses, &[]).is_empty());
}

#[test]
fn amounts_beyond_any_bank_are_left_out_never_a_panic() {
    let huge = [
        debit(date(2025, 1, 6), i64::MIN, ELECTRICITY),
        debit(date(2025, 1, 6), i64::MAX, ELECTRICITY),
        debit(date(2025, 2, 6), -6120, ELECTRICITY),
    ];
    let costs = [
        cost(Topic::Electricity, date(2024, 12, 1), i64::MAX),
        cost(Topic::Electricity, date(2025, 1, 1), 6100),
    ];
    let links = match_bills(&huge, &costs);
    assert_eq!(links.len(), 1);
    assert_eq!((links[0].debit, links[0].service_cost), (2, Some(-6100)));
    let expenses = [health(date(2021, 9, 10), i64::MIN, "CB DR MARTIN")];
    let credits = [health(date(2021, 9, 15), i64::MIN, "CPAM DU 100921")];
    assert!(health_links(&expenses, &credits).is_empty());
}

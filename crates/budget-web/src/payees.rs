//! The organisations the resident pays, for the directory of "who has what
//! on me" (`Service::organisations`): the payees `selfdata_budget::payees`
//! keeps from the pod's [`Book`] (paid by direct debit, or by card at least
//! twice; at most `MAX_PAYEES`), each with its subscription as the
//! subscriptions page finds it (dismissed ones not called so), in words:
//! "you pay them every month since 2019 (by direct debit)", "you paid them
//! 14 times since March 2021 (by card)". They hold the resident's identity
//! and payment details: DPV `pd:Identifying`, `pd:Financial`,
//! `pd:Transactional`.
//!
//! Reducing every label to its payee is the costly part (0.2 to 0.3 s for
//! 100,000 transactions, about what the subscription detector takes: the
//! example `payees` of `selfdata-budget`), so the tally is kept per pod for
//! as long as its book is the same.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Weak};

use jiff::civil::Date;
use parking_lot::Mutex;
use selfdata_budget::book::Book;
use selfdata_budget::payees::{Paid, select, tally};
use selfdata_budget::recurring::{self, Period, Status};
use selfdata_service::{KnownOrganisation, Sector};
use selfdata_site::{Lang, fill};
use selfdata_store::PodName;

use crate::BudgetApp;
use crate::subscriptions::found_in;

/// What a payee is known to hold (DPV personal data categories).
pub const CATEGORIES: [&str; 3] = ["Identifying", "Financial", "Transactional"];

/// A pod's tally, with the book it was read from.
type Tallied = (Weak<Book>, Arc<Vec<Paid>>);

static TALLIES: LazyLock<Mutex<HashMap<PodName, Tallied>>> = LazyLock::new(Default::default);

/// Forgets the tally of an erased pod.
pub fn forget(pod: &PodName) {
    TALLIES.lock().remove(pod);
}

async fn tally_of(pod: &PodName, book: &Arc<Book>) -> Arc<Vec<Paid>> {
    let known = TALLIES
        .lock()
        .get(pod)
        .and_then(|(b, t)| b.ptr_eq(&Arc::downgrade(book)).then(|| t.clone()));
    if let Some(t) = known {
        return t;
    }
    let all = book.clone();
    let t = Arc::new(
        tokio::task::spawn_blocking(move || tally(&all))
            .await
            .unwrap_or_default(),
    );
    TALLIES
        .lock()
        .insert(pod.clone(), (Arc::downgrade(book), t.clone()));
    t
}

/// The organisations the resident of `pod` pays, how we know in `lang`.
pub async fn organisations(app: &BudgetApp, pod: &PodName, lang: Lang) -> Vec<KnownOrganisation> {
    let book = match app.budget.book(pod).await {
        Ok(book) if !book.rows.is_empty() => book,
        Ok(_) => return Vec::new(),
        Err(e) => {
            tracing::warn!(pod = %pod, error = %e, "the payees could not be read");
            return Vec::new();
        }
    };
    let (found, decisions) = match found_in(app, pod, &book).await {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!(pod = %pod, error = %e, "the subscriptions could not be read");
            return Vec::new();
        }
    };
    let all = tally_of(pod, &book).await;
    select(&all, &found, |key| {
        recurring::status(&decisions, key) == Status::Dismissed
    })
    .iter()
    .map(|p| KnownOrganisation {
        name: p.payee.clone(),
        person: false,
        how: how(p, lang),
        categories: CATEGORIES.map(str::to_owned).to_vec(),
        first: start_of(p.first),
        last: start_of(p.last),
        sector: p.category.and_then(sector_of),
    })
    .collect()
}

/// The sector of an organisation paid for what `category` names (a payee
/// paid for electricity is in energy and water); none when the category
/// does not say (leisure, health care, restaurants…).
fn sector_of(category: &str) -> Option<Sector> {
    let under = |parent: &str| selfdata_budget::category::is_under(category, parent);
    Some(if under("logement/energie") || under("logement/eau") {
        Sector::EnergyWater
    } else if under("logement/internet-telephone") {
        Sector::Telecom
    } else if under("banque")
        || under("sante/mutuelle")
        || under("logement/assurance-habitation")
        || under("logement/pret-immobilier")
    {
        Sector::BankInsurance
    } else if under("alimentation/courses") || under("achats") {
        Sector::Shops
    } else if under("transport") {
        Sector::Transport
    } else if under("impots") || under("logement/impots-locaux") {
        Sector::PublicServices
    } else {
        return None;
    })
}

fn start_of(d: Date) -> Option<jiff::Timestamp> {
    d.to_zoned_datetime(selfdata_sources::time::paris())
        .ok()
        .map(|z| z.timestamp())
}

/// The words of a payee's line.
#[derive(Debug)]
struct PaidWords {
    /// `{every}` `{year}`.
    subscribed: &'static str,
    /// `{every}` `{from}` `{to}` (months).
    subscribed_until: &'static str,
    /// `{month}`.
    once: &'static str,
    /// `{n}` `{month}`.
    times: &'static str,
    card: &'static str,
    direct_debit: &'static str,
    both: &'static str,
}

static EN: PaidWords = PaidWords {
    subscribed: "you pay them {every} since {year}",
    subscribed_until: "you paid them {every} from {from} to {to}",
    once: "you paid them once, in {month}",
    times: "you paid them {n} times since {month}",
    card: " (by card)",
    direct_debit: " (by direct debit)",
    both: " (by card and direct debit)",
};

static FR: PaidWords = PaidWords {
    subscribed: "vous les payez {every} depuis {year}",
    subscribed_until: "vous les avez payés {every} de {from} à {to}",
    once: "vous les avez payés une fois, en {month}",
    times: "vous les avez payés {n} fois depuis {month}",
    card: " (par carte)",
    direct_debit: " (par prélèvement)",
    both: " (par carte et par prélèvement)",
};

selfdata_site::words!(PaidWords, FR, EN);

fn every(p: Period, lang: Lang) -> &'static str {
    let (fr, en) = match p {
        Period::Weekly => ("chaque semaine", "every week"),
        Period::Fortnightly => ("toutes les deux semaines", "every two weeks"),
        Period::Monthly => ("chaque mois", "every month"),
        Period::Bimonthly => ("tous les deux mois", "every two months"),
        Period::Quarterly => ("chaque trimestre", "every quarter"),
        Period::HalfYearly => ("tous les six mois", "every six months"),
        Period::Yearly => ("chaque année", "every year"),
    };
    match lang {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

fn month(d: Date, lang: Lang) -> String {
    let m = match lang {
        Lang::Fr => selfdata_sources::Lang::Fr,
        Lang::En => selfdata_sources::Lang::En,
    }
    .month(d.month());
    format!("{m} {}", d.year())
}

/// How we know, in `lang`.
pub fn how(p: &Paid, lang: Lang) -> String {
    let w: &'static PaidWords = lang.words();
    let said = match p.subscription {
        Some((period, false)) => fill(
            w.subscribed,
            &[
                ("every", every(period, lang)),
                ("year", &p.first.year().to_string()),
            ],
        ),
        Some((period, true)) => fill(
            w.subscribed_until,
            &[
                ("every", every(period, lang)),
                ("from", &month(p.first, lang)),
                ("to", &month(p.last, lang)),
            ],
        ),
        None if p.count == 1 => fill(w.once, &[("month", &month(p.first, lang))]),
        None => fill(
            w.times,
            &[
                ("n", &selfdata_site::count(p.count as u64, lang)),
                ("month", &month(p.first, lang)),
            ],
        ),
    };
    let means = match (p.by_card > 0, p.by_direct_debit > 0) {
        (true, true) => w.both,
        (true, false) => w.card,
        (false, true) => w.direct_debit,
        (false, false) => "",
    };
    format!("{said}{means}")
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn paid(count: usize, by_card: usize, subscription: Option<(Period, bool)>) -> Paid {
        Paid {
            payee: "NETFLIX".to_owned(),
            count,
            first: date(2019, 3, 5),
            last: date(2021, 11, 5),
            by_card,
            by_direct_debit: count - by_card,
            other: 0,
            subscription,
            category: None,
        }
    }

    #[test]
    fn a_payee_is_in_the_sector_of_what_it_is_paid_for() {
        assert_eq!(
            sector_of("logement/energie/electricite"),
            Some(Sector::EnergyWater)
        );
        assert_eq!(sector_of("logement/eau"), Some(Sector::EnergyWater));
        assert_eq!(
            sector_of("logement/internet-telephone"),
            Some(Sector::Telecom)
        );
        assert_eq!(sector_of("sante/mutuelle"), Some(Sector::BankInsurance));
        assert_eq!(sector_of("alimentation/courses"), Some(Sector::Shops));
        assert_eq!(sector_of("transport/carburant"), Some(Sector::Transport));
        assert_eq!(
            sector_of("impots/impot-revenu"),
            Some(Sector::PublicServices)
        );
        assert_eq!(sector_of("alimentation/restaurants"), None);
        assert_eq!(sector_of("loisirs"), None);
        // Not a prefix of a name: "transports-x" is not under "transport".
        assert_eq!(sector_of("transportx"), None);
    }

    #[test]
    fn a_payee_is_said_as_a_resident_reads_it_in_both_languages() {
        let running = paid(33, 0, Some((Period::Monthly, false)));
        assert_eq!(
            how(&running, Lang::En),
            "you pay them every month since 2019 (by direct debit)"
        );
        assert_eq!(
            how(&running, Lang::Fr),
            "vous les payez chaque mois depuis 2019 (par prélèvement)"
        );
        let ended = paid(33, 0, Some((Period::Monthly, true)));
        assert_eq!(
            how(&ended, Lang::En),
            "you paid them every month from March 2019 to November 2021 (by direct debit)"
        );
        assert_eq!(
            how(&paid(1_204, 1_204, None), Lang::En),
            "you paid them 1,204 times since March 2019 (by card)"
        );
        assert_eq!(
            how(&paid(1, 0, None), Lang::Fr),
            "vous les avez payés une fois, en mars 2019 (par prélèvement)"
        );
    }
}

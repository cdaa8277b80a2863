//! The sector of each organisation of the directory, so that the resident
//! can read it in sections (`?by=sector`): energy and water, telecom and
//! internet, bank and insurance, shops, transport, public services,
//! platforms and advertising, apps, people, other.
//!
//! A sector comes from the source that knows, never from the name: a
//! person given access is in People and an app allowed in Apps (what they
//! are); a holder that delivered data to the pod is in the sector of what
//! it delivered (meter readings: energy and water; bank statements: bank
//! and insurance; location history or a platform's archive: platforms);
//! an organisation named only by a platform's archive (an advertiser) is
//! in platforms and advertising; a service that reports an organisation
//! may name its sector (the money service does, from what the payments
//! are for: a payee paid for electricity is in energy and water). The
//! weightiest of those wins: what the entry is, then what it delivered or
//! what a service says, then an archive naming it.

use super::organisations::{Known, Origin};

pub use selfdata_service::Sector;

/// The sector of what a holder delivered, by its themes.
fn of_themes(themes: &[String]) -> Option<Sector> {
    themes.iter().find_map(|t| match t.as_str() {
        "electricity-consumption"
        | "electricity-daily-max-power"
        | "gas-consumption-energy"
        | "gas-consumption-volume"
        | "water-consumption" => Some(Sector::EnergyWater),
        "bank-transactions" => Some(Sector::BankInsurance),
        "location-history" | "OrganisationsHoldingMyData" => Some(Sector::Platforms),
        _ => None,
    })
}

/// What one thing known says of the sector, and how much it weighs (the
/// higher wins): what the entry is (3), what it delivered or what a
/// service says (2), an archive naming it (1).
fn of_known(k: &Known, person: bool) -> Option<(u8, Sector)> {
    if person {
        return Some((3, Sector::People));
    }
    match &k.origin {
        Origin::Service(_) if k.categories.iter().any(|c| c == "Pod") => Some((3, Sector::Apps)),
        Origin::Service(_) => k.sector.map(|s| (2, s)),
        Origin::Delivery { themes, .. } => of_themes(themes).map(|s| (2, s)),
        Origin::Archive { .. } => Some((1, Sector::Platforms)),
    }
}

/// The sector of an entry: the weightiest word of what is known of it
/// (`known`, with whether each came from a person), else Other.
pub fn of<'a>(known: impl IntoIterator<Item = (&'a Known, bool)>) -> Sector {
    let mut best: Option<(u8, Sector)> = None;
    for (k, person) in known {
        if let Some((w, s)) = of_known(k, person)
            && best.is_none_or(|(b, _)| w > b)
        {
            best = Some((w, s));
        }
    }
    best.map_or(Sector::Other, |(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(origin: Origin, categories: &[&str]) -> Known {
        Known {
            how: String::new(),
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
            first: None,
            last: None,
            origin,
            sector: None,
        }
    }

    #[test]
    fn the_source_that_knows_gives_the_sector() {
        let archive = known(
            Origin::Archive {
                document: String::new(),
                platform: "Facebook".into(),
                kept: String::new(),
                imported: None,
            },
            &["Contact"],
        );
        let bank = known(
            Origin::Delivery {
                folder: String::new(),
                themes: vec!["bank-transactions".into()],
                updated: None,
                originals: Vec::new(),
            },
            &["Delivered"],
        );
        let payee = known(Origin::Service("budget"), &["Financial"]);
        let app = known(Origin::Service("privacy"), &["Pod"]);
        assert_eq!(of([(&archive, false)]), Sector::Platforms);
        assert_eq!(
            of([(&archive, false), (&bank, false), (&payee, false)]),
            Sector::BankInsurance,
            "a delivery says more than an archive"
        );
        assert_eq!(of([(&payee, false)]), Sector::Other);
        let energy = Known {
            sector: Some(Sector::EnergyWater),
            ..payee.clone()
        };
        assert_eq!(
            of([(&archive, false), (&energy, false)]),
            Sector::EnergyWater,
            "what a service says of a payee says more than an archive"
        );
        assert_eq!(of([(&app, false)]), Sector::Apps);
        assert_eq!(of([(&payee, true)]), Sector::People);
        assert_eq!(
            Sector::EnergyWater.name(selfdata_site::Lang::Fr),
            "Énergie et eau"
        );
    }
}

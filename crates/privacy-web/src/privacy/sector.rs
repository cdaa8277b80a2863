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
//! in platforms and advertising. The first of those that applies wins, in
//! that order. What services report through the registry says no sector
//! (`KnownOrganisation` has none), so a payee known only from bank
//! statements is in Other until another source names its sector.

use selfdata_site::Lang;

use super::organisations::{Known, Origin};

/// A section of the directory by sector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sector {
    EnergyWater,
    Telecom,
    BankInsurance,
    Shops,
    Transport,
    PublicServices,
    Platforms,
    Apps,
    People,
    Other,
}

impl Sector {
    /// Every sector, in the order the directory shows them.
    pub const ALL: [Sector; 10] = [
        Sector::EnergyWater,
        Sector::Telecom,
        Sector::BankInsurance,
        Sector::Shops,
        Sector::Transport,
        Sector::PublicServices,
        Sector::Platforms,
        Sector::Apps,
        Sector::People,
        Sector::Other,
    ];

    /// A stable token for documents and anchors (`energy-water`).
    pub fn slug(self) -> &'static str {
        match self {
            Sector::EnergyWater => "energy-water",
            Sector::Telecom => "telecom",
            Sector::BankInsurance => "bank-insurance",
            Sector::Shops => "shops",
            Sector::Transport => "transport",
            Sector::PublicServices => "public-services",
            Sector::Platforms => "platforms-advertising",
            Sector::Apps => "apps",
            Sector::People => "people",
            Sector::Other => "other",
        }
    }

    /// Its name for a resident.
    pub fn name(self, lang: Lang) -> &'static str {
        let (fr, en) = match self {
            Sector::EnergyWater => ("Énergie et eau", "Energy & water"),
            Sector::Telecom => ("Télécoms et internet", "Telecom & internet"),
            Sector::BankInsurance => ("Banque et assurance", "Bank & insurance"),
            Sector::Shops => ("Commerces", "Shops"),
            Sector::Transport => ("Transports", "Transport"),
            Sector::PublicServices => ("Services publics", "Public services"),
            Sector::Platforms => ("Plateformes et publicité", "Platforms & advertising"),
            Sector::Apps => ("Applications", "Apps"),
            Sector::People => ("Personnes", "People"),
            Sector::Other => ("Autres", "Other"),
        };
        match lang {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }
}

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
/// higher wins): what the entry is (3), what it delivered (2), an archive
/// naming it (1).
fn of_known(k: &Known, person: bool) -> Option<(u8, Sector)> {
    if person {
        return Some((3, Sector::People));
    }
    match &k.origin {
        Origin::Service(_) if k.categories.iter().any(|c| c == "Pod") => Some((3, Sector::Apps)),
        Origin::Service(_) => None,
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
        assert_eq!(of([(&app, false)]), Sector::Apps);
        assert_eq!(of([(&payee, true)]), Sector::People);
        assert_eq!(Sector::EnergyWater.name(Lang::Fr), "Énergie et eau");
    }
}

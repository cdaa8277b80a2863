//! The sectors an organisation is in, so that a resident can read "who has
//! what on me" in sections: energy and water, telecom and internet, bank
//! and insurance, shops, transport, public services, platforms and
//! advertising, apps, people, other. A service that reports organisations
//! ([`crate::KnownOrganisation`]) names the sector when it knows it (the
//! money service, from what the payments are for).

use selfdata_site::Lang;

/// A sector of organisations.
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

//! The holders pages' words, in French and English.

/// What the holders pages say.
#[derive(Debug)]
pub struct Texts {
    pub title: &'static str,
    pub intro: &'static str,
    pub connected: &'static str,
    pub none_connected: &'static str,
    pub since: &'static str,
    pub disconnect: &'static str,
    pub available: &'static str,
    pub none_available: &'static str,
    pub delivers: &'static str,
    pub contact: &'static str,
    /// `{name}`, `{what}`.
    pub consent: &'static str,
    pub connect: &'static str,
    pub deliveries: &'static str,
    pub none_delivered: &'static str,
    pub when: &'static str,
    pub from: &'static str,
    pub records: &'static str,
    pub outcome: &'static str,
    pub failed: &'static str,
    pub done_connected: &'static str,
    pub done_disconnected: &'static str,
    pub no_holder: &'static str,
    pub no_identifier: &'static str,
    pub no_consent: &'static str,
    pub taken: &'static str,
    pub card_title: &'static str,
    /// `{n}`.
    pub card_connected: &'static str,
    pub card_none: &'static str,
    /// On "who has what on me": `{what}`.
    pub known_how: &'static str,
    pub water: &'static str,
    pub electricity: &'static str,
    pub gas: &'static str,
    pub bank: &'static str,
}

pub static EN: Texts = Texts {
    title: "Organisations that send you your data",
    intro: "Connect an organisation that holds data on you (your water service, your energy supplier) and it sends you a copy of that data by itself, as it does its own exports. You can stop it at any time: nothing more arrives from the moment you disconnect.",
    connected: "Connected",
    none_connected: "No organisation sends you data yet.",
    since: "since",
    disconnect: "Stop",
    available: "Organisations you can connect",
    none_available: "No other organisation is registered on this server yet.",
    delivers: "Sends",
    contact: "Data protection contact",
    consent: "I agree that {name} sends me {what}, into my pod, until I stop it.",
    connect: "Connect",
    deliveries: "What arrived",
    none_delivered: "Nothing has arrived yet.",
    when: "When",
    from: "From",
    records: "Records",
    outcome: "What came of it",
    failed: "not imported",
    done_connected: "Connected: what this organisation sends from now on arrives in your pod.",
    done_disconnected: "Stopped: nothing more will arrive from this organisation.",
    no_holder: "This organisation is not registered on this server.",
    no_identifier: "Give the identifier this organisation knows you by (as on your bill).",
    no_consent: "Tick the box to agree, or nothing can be sent to you.",
    taken: "This identifier is already connected to another account. If it is yours, ask the organisation to confirm it.",
    card_title: "My holders",
    card_connected: "{n} organisations send you your data.",
    card_none: "Have your data sent to you by the organisations that hold it.",
    known_how: "knows you by your customer identifier and sends {what} to your store, as you asked",
    water: "your water meter readings",
    electricity: "your electricity readings",
    gas: "your gas readings",
    bank: "your bank statements",
};

pub static FR: Texts = Texts {
    title: "Les organismes qui vous envoient vos données",
    intro: "Connectez un organisme qui détient des données sur vous (votre service de l’eau, votre fournisseur d’énergie)\u{a0}: il vous en envoie une copie de lui-même, comme il fait ses propres exports. Vous pouvez arrêter à tout moment\u{a0}: plus rien n’arrive dès que vous déconnectez.",
    connected: "Connectés",
    none_connected: "Aucun organisme ne vous envoie encore de données.",
    since: "depuis le",
    disconnect: "Arrêter",
    available: "Organismes que vous pouvez connecter",
    none_available: "Aucun autre organisme n’est encore inscrit sur ce serveur.",
    delivers: "Envoie",
    contact: "Contact protection des données",
    consent: "J’accepte que {name} m’envoie {what}, dans mon espace, jusqu’à ce que j’arrête.",
    connect: "Connecter",
    deliveries: "Ce qui est arrivé",
    none_delivered: "Rien n’est encore arrivé.",
    when: "Quand",
    from: "De",
    records: "Relevés",
    outcome: "Résultat",
    failed: "non importé",
    done_connected: "Connecté\u{a0}: ce que cet organisme envoie désormais arrive dans votre espace.",
    done_disconnected: "Arrêté\u{a0}: plus rien n’arrivera de cet organisme.",
    no_holder: "Cet organisme n’est pas inscrit sur ce serveur.",
    no_identifier: "Indiquez l’identifiant sous lequel cet organisme vous connaît (comme sur votre facture).",
    no_consent: "Cochez la case pour donner votre accord, sans quoi rien ne peut vous être envoyé.",
    taken: "Cet identifiant est déjà relié à un autre compte. S’il est le vôtre, demandez à l’organisme de le confirmer.",
    card_title: "Mes organismes",
    card_connected: "{n} organismes vous envoient vos données.",
    card_none: "Faites-vous envoyer vos données par les organismes qui les détiennent.",
    known_how: "vous connaît par votre identifiant client et envoie {what} à votre espace, à votre demande",
    water: "les relevés de votre compteur d’eau",
    electricity: "vos relevés d’électricité",
    gas: "vos relevés de gaz",
    bank: "vos relevés bancaires",
};

selfdata_site::words!(Texts, FR, EN);

impl Texts {
    /// What a holder's category is, in words.
    pub fn category(&self, c: &str) -> String {
        match c {
            "water" => self.water,
            "electricity" => self.electricity,
            "gas" => self.gas,
            "bank" => self.bank,
            other => other,
        }
        .to_owned()
    }
}

//! The words of the mobility page and import results, in French and English.
//! Sentences with blanks use `{name}` markers filled by `selfdata_site::fill`.

/// Every sentence the mobility page shows.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub empty: &'static str,
    /// `{period}`.
    pub trips_title: &'static str,
    pub by_mode_title: &'static str,
    pub when: &'static str,
    pub mode: &'static str,
    pub distance: &'static str,
    pub duration: &'static str,
    pub co2: &'static str,
    pub unknown_mode: &'static str,
    pub import_title: &'static str,
    pub import_hint: &'static str,
    pub file_label: &'static str,
    pub import_button: &'static str,
    pub private: &'static str,
    /// `{n}` read, `{added}` new.
    pub imported: &'static str,
    /// `{n}` read.
    pub import_unchanged: &'static str,
    pub card_empty: &'static str,
    /// `{n}` trips, `{km}`, `{co2}`.
    pub card_month: &'static str,
}

pub static FR: Texts = Texts {
    lang: "fr",
    title: "Déplacements",
    intro: "Vos trajets, d’après l’historique de positions que vous avez exporté : mode, distance, durée et CO₂.",
    empty: "Aucun trajet pour l’instant : exportez votre historique de positions (Google Takeout, Vos trajets sur le téléphone, une trace GPX, e-mission) et déposez-le ici.",
    trips_title: "Trajets, {period}",
    by_mode_title: "Par mode",
    when: "Quand",
    mode: "Mode",
    distance: "Distance",
    duration: "Durée",
    co2: "CO₂",
    unknown_mode: "mode inconnu",
    import_title: "Ajouter un historique",
    import_hint: "Le fichier est lu en entier ou pas du tout ; un trajet déjà connu n’est jamais ajouté deux fois.",
    file_label: "Historique de positions",
    import_button: "Importer",
    private: "Vos positions restent dans votre espace : rien n’est envoyé ailleurs, et personne d’autre ne les lit sans votre accord.",
    imported: "{n} trajets trouvés, {added} nouveaux",
    import_unchanged: "{n} trajets trouvés, tous déjà connus : rien n’a changé",
    card_empty: "Aucun trajet : déposez votre historique de positions.",
    card_month: "{n} trajets ce mois-ci, {km} km, {co2} de CO₂",
};

pub static EN: Texts = Texts {
    lang: "en",
    title: "Mobility",
    intro: "Your trips, from the location history you exported: mode, distance, duration and CO₂.",
    empty: "No trip yet: export your location history (Google Takeout, the phone's Timeline, a GPX track, e-mission) and drop it here.",
    trips_title: "Trips, {period}",
    by_mode_title: "By mode",
    when: "When",
    mode: "Mode",
    distance: "Distance",
    duration: "Duration",
    co2: "CO₂",
    unknown_mode: "unknown mode",
    import_title: "Add a location history",
    import_hint: "The file is read whole or not at all; a trip already known is never added twice.",
    file_label: "Location history",
    import_button: "Import",
    private: "Your positions stay in your space: nothing is sent anywhere, and nobody else reads them without your consent.",
    imported: "{n} trips found, {added} new",
    import_unchanged: "{n} trips found, all already known: nothing changed",
    card_empty: "No trip yet: drop your location history.",
    card_month: "{n} trips this month, {km} km, {co2} of CO₂",
};

selfdata_site::words!(Texts, FR, EN);

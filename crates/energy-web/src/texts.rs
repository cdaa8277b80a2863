//! The words of the energy and water pages, in French and English (in the
//! page's language, `selfdata_site::Lang`), and how
//! dates, amounts and units are written in each language.
//!
//! Sentences with blanks use `{name}` markers filled by [`fill`].

use jiff::civil::Date;

use selfdata_site::chart::{Locale, format_number};

/// Every sentence the energy pages show.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub locale: Locale,
    pub energy_title: &'static str,
    pub electricity: &'static str,
    pub gas: &'static str,
    pub water: &'static str,
    pub import_link: &'static str,
    /// `{period}`: "1–15 October 2026".
    pub this_month: &'static str,
    pub tiles_hint: &'static str,
    pub a_year_earlier: &'static str,
    /// `{p}`: a percentage.
    pub more_than_last_year: &'static str,
    pub less_than_last_year: &'static str,
    pub same_as_last_year: &'static str,
    pub no_readings: &'static str,
    /// An empty dashboard: where each holder's export is downloaded.
    pub first_steps_title: &'static str,
    pub first_steps_intro: &'static str,
    pub no_comparison: &'static str,
    pub no_reading_this_month: &'static str,
    pub scale_label: &'static str,
    pub unit_label: &'static str,
    pub scale_day: &'static str,
    pub scale_week: &'static str,
    pub scale_month: &'static str,
    pub scale_year: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    /// ": " in English, " : " (no-break space first) in French.
    pub colon: &'static str,
    pub legend_now: &'static str,
    pub legend_before: &'static str,
    /// The highlighted bar of a chart of days.
    pub legend_today: &'static str,
    /// The highlighted bar of a chart of months.
    pub legend_current_month: &'static str,
    /// A pale bar.
    pub legend_partial: &'static str,
    /// A hatched marker.
    pub legend_missing: &'static str,
    pub chart_empty: &'static str,
    /// `{fluid}`, `{period}`, `{unit}`.
    pub chart_title: &'static str,
    /// `{step}`: what a bar is ("half-hour", "day"…).
    pub chart_desc: &'static str,
    pub step_half_hour: &'static str,
    pub step_hour: &'static str,
    pub step_day: &'static str,
    pub step_month: &'static str,
    /// `{fluid}`.
    pub daily_only: &'static str,
    pub hourly_only: &'static str,
    pub no_value: &'static str,
    pub incomplete: &'static str,
    pub total: &'static str,
    pub figures: &'static str,
    pub period: &'static str,
    /// `{first}`, `{last}`: "12 Oct 2026".
    pub week_of: &'static str,
    pub alerts_title: &'static str,
    /// `{extra}`, `{first}`, `{last}`.
    pub leak: &'static str,
    /// `{extra}`, `{first}`.
    pub leak_ongoing: &'static str,
    /// `{recent}`, `{usual}`, `{since}`.
    pub standby: &'static str,
    pub see_those_days: &'static str,
    pub coverage_title: &'static str,
    pub missing_none: &'static str,
    /// `{list}`.
    pub missing_one: &'static str,
    /// `{n}`, `{list}`.
    pub missing_many: &'static str,
    /// `{n}`.
    pub missing_more: &'static str,
    /// `{n}`.
    pub partial_days: &'static str,
    /// `{first}`, `{last}`.
    pub readings_span: &'static str,
    /// `{w}`.
    pub baseload: &'static str,
    /// `{w}`, `{when}`.
    pub peak: &'static str,
    pub tariffs_note: &'static str,
    pub tariffs_change: &'static str,
    pub import_title: &'static str,
    pub import_hint: &'static str,
    /// The link to the connections page (pulls from Enedis and GRDF).
    pub connect_link: &'static str,
    pub import_files: &'static str,
    pub import_button: &'static str,
    pub inbox_title: &'static str,
    pub inbox_hint: &'static str,
    /// `{n}`, `{missing}`.
    pub file_imported: &'static str,
    /// `{n}`.
    pub file_unchanged: &'static str,
    /// `{first}`, `{last}`.
    pub file_span: &'static str,
    pub days_missing_none: &'static str,
    pub days_missing_one: &'static str,
    /// `{n}`.
    pub days_missing_many: &'static str,
    pub form_expired: &'static str,
    pub failed: &'static str,
    pub tariffs_title: &'static str,
    pub tariffs_intro: &'static str,
    pub periods_title: &'static str,
    pub valid_from: &'static str,
    pub change_title: &'static str,
    pub change_hint: &'static str,
    pub option: &'static str,
    pub option_base: &'static str,
    pub option_peak_offpeak: &'static str,
    pub base_price: &'static str,
    pub peak_price: &'static str,
    pub offpeak_price: &'static str,
    pub offpeak_hours: &'static str,
    pub offpeak_hours_hint: &'static str,
    pub subscription: &'static str,
    pub gas_price: &'static str,
    pub water_price: &'static str,
    pub free_m3: &'static str,
    pub double_above: &'static str,
    pub double_above_hint: &'static str,
    pub save: &'static str,
    /// `{fluid}`, `{date}`.
    pub saved: &'static str,
    /// `{date}`.
    pub nothing_changed: &'static str,
    pub fix_below: &'static str,
    pub invalid_amount: &'static str,
    pub invalid_whole: &'static str,
    pub invalid_date: &'static str,
    pub invalid_hours: &'static str,
    pub months: [&'static str; 12],
    pub months_short: [&'static str; 12],
    pub weekdays: [&'static str; 7],
    pub weekdays_short: [&'static str; 7],
}

pub const EN: Texts = Texts {
    lang: "en",
    locale: Locale::En,
    energy_title: "Energy and water",
    electricity: "Electricity",
    gas: "Gas",
    water: "Water",
    import_link: "Import files",
    this_month: "This month: {period}",
    tiles_hint: "Compared with the same days a year earlier.",
    a_year_earlier: "A year earlier:",
    more_than_last_year: "{p} more than a year earlier",
    less_than_last_year: "{p} less than a year earlier",
    same_as_last_year: "About the same as a year earlier",
    no_readings: "No readings yet.",
    first_steps_title: "Where to get your files",
    first_steps_intro: "Your space has no readings yet. Download your files from each company that holds them, then import them below.",
    no_comparison: "No readings a year earlier.",
    no_reading_this_month: "No reading this month yet.",
    scale_label: "Scale",
    unit_label: "Unit",
    scale_day: "Day",
    scale_week: "Week",
    scale_month: "Month",
    scale_year: "Year",
    previous: "Previous",
    next: "Next",
    colon: ": ",
    legend_now: "This period",
    legend_before: "A year earlier",
    legend_today: "Today, still counting",
    legend_current_month: "This month, still counting",
    legend_partial: "Pale: some readings of the period are missing",
    legend_missing: "Hatched: no readings",
    chart_empty: "No readings for this period.",
    chart_title: "{fluid}, {period}, in {unit}",
    chart_desc: "One bar per {step}; a line marks the same {step} a year earlier.",
    step_half_hour: "half-hour",
    step_hour: "hour",
    step_day: "day",
    step_month: "month",
    daily_only: "{fluid} is read once a day, so the day view shows the days of its week.",
    hourly_only: "Readings of this day are hourly.",
    no_value: "no reading",
    incomplete: "incomplete",
    total: "Total",
    figures: "The figures",
    period: "Period",
    week_of: "week of {first} to {last}",
    alerts_title: "Alerts",
    leak: "Possible water leak: about {extra} a day more than usual from {first} to {last}.",
    leak_ongoing: "Possible water leak: about {extra} a day more than usual since {first}.",
    standby: "Your night standby is {recent}, usually {usual} (since {since}).",
    see_those_days: "See those days",
    coverage_title: "Readings",
    missing_none: "No day missing in the last year.",
    missing_one: "1 day missing in the last year: {list}.",
    missing_many: "{n} days missing in the last year: {list}.",
    missing_more: "and {n} earlier",
    partial_days: "{n} more days only partly covered.",
    readings_span: "Readings from {first} to {last}.",
    baseload: "Night standby over the last 30 days: {w}.",
    peak: "Highest power over the last 30 days: {w}, {when}.",
    tariffs_note: "Costs use your tariffs, subscription included.",
    tariffs_change: "See or change your tariffs",
    import_title: "Import meter files",
    import_hint: "Exports from Enedis, GRDF or your water utility (CSV, JSON, NDJSON or XLSX). Choose one file or several; each is imported whole or not at all.",
    connect_link: "Or connect your Enedis account or GRDF gas meter, so that new readings arrive every day",
    import_files: "Files to import",
    import_button: "Import",
    inbox_title: "Files delivered to your inbox",
    inbox_hint: "Others (a utility, an app) left these files in your inbox. Nothing is imported until you choose to; import one only if you trust who sent it.",
    file_imported: "{n} readings imported, {missing}.",
    file_unchanged: "{n} readings, already imported: nothing new.",
    file_span: "From {first} to {last}.",
    days_missing_none: "no day missing",
    days_missing_one: "1 day missing",
    days_missing_many: "{n} days missing",
    form_expired: "This form has expired; reload the page and try again.",
    failed: "Something went wrong on our side; please try again.",
    tariffs_title: "Tariffs",
    tariffs_intro: "Costs are computed with these prices. Until you change them, they are the regulated EDF Tarif Bleu for electricity and the Lyon water prices (the gas price is an estimate to adjust to your contract).",
    periods_title: "Prices in force",
    valid_from: "From",
    change_title: "Change from a date",
    change_hint: "Only the values you change are recorded, from that date on.",
    option: "Pricing option",
    option_base: "Base",
    option_peak_offpeak: "Peak / off-peak",
    base_price: "Price (€ per kWh)",
    peak_price: "Peak price (€ per kWh)",
    offpeak_price: "Off-peak price (€ per kWh)",
    offpeak_hours: "Off-peak hours",
    offpeak_hours_hint: "Like 22:00-06:00; several ranges separated by spaces.",
    subscription: "Subscription (€ per year)",
    gas_price: "Price (€ per kWh)",
    water_price: "Price (€ per m³)",
    free_m3: "Free m³ per year",
    double_above: "Price doubles above (m³ per year)",
    double_above_hint: "Leave empty when the price never doubles.",
    save: "Save",
    saved: "Saved: {fluid} prices from {date}.",
    nothing_changed: "Nothing changed: these are already the prices from {date}.",
    fix_below: "Some values need fixing; nothing was saved.",
    invalid_amount: "Write an amount like 0.1940 (at most 6 decimals).",
    invalid_whole: "Write a whole number of m³, like 12.",
    invalid_date: "Write a date like 2026-03-01.",
    invalid_hours: "Write ranges like 22:00-06:00, separated by spaces.",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    months_short: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    weekdays: [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ],
    weekdays_short: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
};

pub const FR: Texts = Texts {
    lang: "fr",
    locale: Locale::Fr,
    energy_title: "Énergie et eau",
    electricity: "Électricité",
    gas: "Gaz",
    water: "Eau",
    import_link: "Importer des fichiers",
    this_month: "Ce mois-ci\u{a0}: {period}",
    tiles_hint: "Comparé aux mêmes jours un an plus tôt.",
    a_year_earlier: "Un an plus tôt\u{a0}:",
    more_than_last_year: "{p} de plus qu'un an plus tôt",
    less_than_last_year: "{p} de moins qu'un an plus tôt",
    same_as_last_year: "À peu près comme un an plus tôt",
    no_readings: "Aucun relevé pour l'instant.",
    first_steps_title: "Où trouver vos fichiers",
    first_steps_intro: "Votre espace n’a encore aucun relevé. Téléchargez vos fichiers chez chaque entreprise qui les détient, puis importez-les plus bas.",
    no_comparison: "Aucun relevé un an plus tôt.",
    no_reading_this_month: "Aucun relevé ce mois-ci pour l'instant.",
    scale_label: "Échelle",
    unit_label: "Unité",
    scale_day: "Jour",
    scale_week: "Semaine",
    scale_month: "Mois",
    scale_year: "Année",
    previous: "Précédent",
    next: "Suivant",
    colon: "\u{a0}: ",
    legend_now: "Cette période",
    legend_before: "Un an plus tôt",
    legend_today: "Aujourd'hui, en cours",
    legend_current_month: "Ce mois-ci, en cours",
    legend_partial: "Pâle\u{a0}: il manque des relevés sur la période",
    legend_missing: "Hachuré\u{a0}: aucun relevé",
    chart_empty: "Aucun relevé sur cette période.",
    chart_title: "{fluid}, {period}, en {unit}",
    chart_desc: "Une barre par {step}\u{a0}; un trait marque la valeur un an plus tôt.",
    step_half_hour: "demi-heure",
    step_hour: "heure",
    step_day: "jour",
    step_month: "mois",
    daily_only: "{fluid}\u{a0}: un relevé par jour, la vue par jour montre donc les jours de la semaine.",
    hourly_only: "Les relevés de ce jour sont horaires.",
    no_value: "aucun relevé",
    incomplete: "incomplet",
    total: "Total",
    figures: "Les chiffres",
    period: "Période",
    week_of: "semaine du {first} au {last}",
    alerts_title: "Alertes",
    leak: "Fuite d'eau possible\u{a0}: environ {extra} par jour de plus que d'habitude du {first} au {last}.",
    leak_ongoing: "Fuite d'eau possible\u{a0}: environ {extra} par jour de plus que d'habitude depuis le {first}.",
    standby: "Votre veille de nuit est de {recent}, d'habitude {usual} (depuis le {since}).",
    see_those_days: "Voir ces jours",
    coverage_title: "Relevés",
    missing_none: "Aucun jour manquant sur la dernière année.",
    missing_one: "1 jour manquant sur la dernière année\u{a0}: {list}.",
    missing_many: "{n} jours manquants sur la dernière année\u{a0}: {list}.",
    missing_more: "et {n} plus anciens",
    partial_days: "{n} autres jours couverts en partie seulement.",
    readings_span: "Relevés du {first} au {last}.",
    baseload: "Veille de nuit sur les 30 derniers jours\u{a0}: {w}.",
    peak: "Puissance la plus haute sur les 30 derniers jours\u{a0}: {w}, {when}.",
    tariffs_note: "Les coûts suivent vos tarifs, abonnement compris.",
    tariffs_change: "Voir ou changer vos tarifs",
    import_title: "Importer des fichiers de compteur",
    import_hint: "Exports d'Enedis, de GRDF ou de votre service des eaux (CSV, JSON, NDJSON ou XLSX). Choisissez un ou plusieurs fichiers\u{a0}; chacun est importé en entier ou pas du tout.",
    connect_link: "Ou connectez votre compte Enedis ou votre compteur de gaz GRDF, pour que les nouveaux relevés arrivent chaque jour",
    import_files: "Fichiers à importer",
    import_button: "Importer",
    inbox_title: "Fichiers déposés dans votre boîte de réception",
    inbox_hint: "D'autres (un fournisseur, une application) ont déposé ces fichiers dans votre boîte de réception. Rien n'est importé tant que vous ne le choisissez pas\u{a0}; n'importez que ce qui vient d'un expéditeur de confiance.",
    file_imported: "{n} relevés importés, {missing}.",
    file_unchanged: "{n} relevés, déjà importés\u{a0}: rien de nouveau.",
    file_span: "Du {first} au {last}.",
    days_missing_none: "aucun jour manquant",
    days_missing_one: "1 jour manquant",
    days_missing_many: "{n} jours manquants",
    form_expired: "Ce formulaire a expiré\u{a0}; rechargez la page et réessayez.",
    failed: "Un problème est survenu de notre côté\u{a0}; veuillez réessayer.",
    tariffs_title: "Tarifs",
    tariffs_intro: "Les coûts sont calculés avec ces prix. Tant que vous ne les changez pas, ce sont le tarif réglementé Tarif Bleu d'EDF pour l'électricité et les prix de l'eau de Lyon (le prix du gaz est une estimation à ajuster à votre contrat).",
    periods_title: "Prix en vigueur",
    valid_from: "À partir du",
    change_title: "Changer à partir d'une date",
    change_hint: "Seules les valeurs que vous changez sont enregistrées, à partir de cette date.",
    option: "Option tarifaire",
    option_base: "Base",
    option_peak_offpeak: "Heures pleines / heures creuses",
    base_price: "Prix (€ par kWh)",
    peak_price: "Prix heures pleines (€ par kWh)",
    offpeak_price: "Prix heures creuses (€ par kWh)",
    offpeak_hours: "Heures creuses",
    offpeak_hours_hint: "Par exemple 22:00-06:00\u{a0}; plusieurs plages séparées par des espaces.",
    subscription: "Abonnement (€ par an)",
    gas_price: "Prix (€ par kWh)",
    water_price: "Prix (€ par m³)",
    free_m3: "m³ gratuits par an",
    double_above: "Prix doublé au-delà de (m³ par an)",
    double_above_hint: "Laissez vide si le prix ne double jamais.",
    save: "Enregistrer",
    saved: "Enregistré\u{a0}: nouveaux prix ({fluid}) à partir du {date}.",
    nothing_changed: "Rien n'a changé\u{a0}: ce sont déjà les prix à partir du {date}.",
    fix_below: "Certaines valeurs sont à corriger\u{a0}; rien n'a été enregistré.",
    invalid_amount: "Écrivez un montant comme 0,1940 (6 décimales au plus).",
    invalid_whole: "Écrivez un nombre entier de m³, comme 12.",
    invalid_date: "Écrivez une date comme 2026-03-01.",
    invalid_hours: "Écrivez des plages comme 22:00-06:00, séparées par des espaces.",
    months: [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    months_short: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    weekdays: [
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    ],
    weekdays_short: ["lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."],
};

selfdata_site::words!(Texts, FR, EN);

/// A no-break space (between a number and its unit).
const NBSP: char = '\u{a0}';

impl Texts {
    fn month(&self, d: Date) -> &'static str {
        self.months[d.month() as usize - 1]
    }

    fn day_number(&self, d: Date) -> String {
        if self.lang == "fr" && d.day() == 1 {
            "1er".to_owned()
        } else {
            d.day().to_string()
        }
    }

    /// "octobre 2026" / "October 2026".
    pub fn month_year(&self, d: Date) -> String {
        format!("{} {}", self.month(d), d.year())
    }

    /// "12 octobre 2026" / "12 October 2026".
    pub fn date(&self, d: Date) -> String {
        format!("{} {} {}", self.day_number(d), self.month(d), d.year())
    }

    /// "lundi 12 octobre 2026" / "Monday 12 October 2026".
    pub fn long_date(&self, d: Date) -> String {
        format!(
            "{} {}",
            self.weekdays[d.weekday().to_monday_zero_offset() as usize],
            self.date(d)
        )
    }

    /// "12 oct. 2026" / "12 Oct 2026".
    pub fn short_date(&self, d: Date) -> String {
        format!(
            "{} {} {}",
            self.day_number(d),
            self.months_short[d.month() as usize - 1],
            d.year()
        )
    }

    /// "12 oct." / "12 Oct".
    pub fn day_month(&self, d: Date) -> String {
        format!(
            "{} {}",
            self.day_number(d),
            self.months_short[d.month() as usize - 1]
        )
    }

    /// "lun. 12" / "Mon 12".
    pub fn weekday_day(&self, d: Date) -> String {
        format!(
            "{} {}",
            self.weekdays_short[d.weekday().to_monday_zero_offset() as usize],
            d.day()
        )
    }

    /// Days `first..=last` of one month or across months: "1–15 octobre 2026",
    /// "28 sept. – 4 oct. 2026".
    pub fn day_range(&self, first: Date, last: Date) -> String {
        if first == last {
            self.date(first)
        } else if first.year() == last.year() && first.month() == last.month() {
            format!(
                "{}–{} {} {}",
                self.day_number(first),
                last.day(),
                self.month(last),
                last.year()
            )
        } else if first.year() == last.year() {
            format!("{} – {}", self.day_month(first), self.short_date(last))
        } else {
            format!("{} – {}", self.short_date(first), self.short_date(last))
        }
    }

    /// Days `first..=last` as a phrase: "1–15 October 2026", "du 1er au 15 octobre 2026".
    pub fn span(&self, first: Date, last: Date) -> String {
        if self.lang == "fr" && first != last {
            let start = if first.year() == last.year() && first.month() == last.month() {
                self.day_number(first)
            } else if first.year() == last.year() {
                self.day_month(first)
            } else {
                self.short_date(first)
            };
            format!("du {start} au {}", self.date(last))
        } else {
            self.day_range(first, last)
        }
    }

    /// A number with `decimals` decimals, grouped as the language writes it.
    pub fn number(&self, v: f64, decimals: usize) -> String {
        format_number(v, decimals, self.locale)
    }

    /// Euros to the cent: "64,20 €" / "€64.20".
    pub fn euros(&self, v: f64) -> String {
        let n = self.number(v, 2);
        if self.lang == "fr" {
            format!("{n}{NBSP}€")
        } else if let Some(rest) = n.strip_prefix('-') {
            format!("-€{rest}")
        } else {
            format!("€{n}")
        }
    }

    /// A quantity with its unit symbol (`kWh`, `L`, `m³`, `W`, `€`), with
    /// as many decimals as it deserves.
    pub fn quantity(&self, v: f64, unit: &str) -> String {
        if unit == "€" {
            return self.euros(v);
        }
        format!("{}{NBSP}{unit}", self.number(v, decimals_for(v, unit)))
    }

    /// A percentage: "12 %" / "12%".
    pub fn percent(&self, p: f64) -> String {
        if self.lang == "fr" {
            format!("{}{NBSP}%", self.number(p, 0))
        } else {
            format!("{}%", self.number(p, 0))
        }
    }

    pub fn fluid(&self, fluid: selfdata_energy::Fluid) -> &'static str {
        match fluid {
            selfdata_energy::Fluid::Electricity => self.electricity,
            selfdata_energy::Fluid::Gas => self.gas,
            selfdata_energy::Fluid::Water => self.water,
        }
    }
}

/// Decimals worth showing: kWh with three significant figures up to 100,
/// litres and watts whole, m³ to the litre below 10, euros to the cent.
pub fn decimals_for(v: f64, unit: &str) -> usize {
    let a = v.abs();
    match unit {
        "€" => 2,
        "L" | "W" | "VA" | "Wh" => 0,
        "kW" => 1,
        "m³" => {
            if a < 10.0 {
                3
            } else {
                1
            }
        }
        _ => {
            if a >= 100.0 {
                0
            } else if a >= 10.0 {
                1
            } else {
                2
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use selfdata_site::fill;

    #[test]
    fn dates_and_amounts_read_naturally_in_both_languages() {
        assert_eq!(FR.month_year(date(2026, 10, 3)), "octobre 2026");
        assert_eq!(EN.month_year(date(2026, 10, 3)), "October 2026");
        assert_eq!(FR.date(date(2026, 10, 1)), "1er octobre 2026");
        assert_eq!(
            FR.day_range(date(2026, 10, 1), date(2026, 10, 15)),
            "1er–15 octobre 2026"
        );
        assert_eq!(
            FR.span(date(2026, 10, 1), date(2026, 10, 15)),
            "du 1er au 15 octobre 2026"
        );
        assert_eq!(
            EN.span(date(2026, 10, 1), date(2026, 10, 15)),
            "1–15 October 2026"
        );
        assert_eq!(
            EN.day_range(date(2026, 9, 28), date(2026, 10, 4)),
            "28 Sep – 4 Oct 2026"
        );
        assert_eq!(FR.euros(1234.5), "1\u{202f}234,50\u{a0}€");
        assert_eq!(EN.euros(1234.5), "€1,234.50");
        assert_eq!(EN.quantity(312.44, "kWh"), "312\u{a0}kWh");
        assert_eq!(FR.quantity(9.5, "kWh"), "9,50\u{a0}kWh");
        assert_eq!(fill("{a} and {b}", &[("a", "1"), ("b", "2")]), "1 and 2");
    }

    #[test]
    fn both_languages_fill_in_the_same_blanks() {
        let pairs = [
            (EN.this_month, FR.this_month),
            (EN.more_than_last_year, FR.more_than_last_year),
            (EN.chart_title, FR.chart_title),
            (EN.chart_desc, FR.chart_desc),
            (EN.daily_only, FR.daily_only),
            (EN.week_of, FR.week_of),
            (EN.leak, FR.leak),
            (EN.leak_ongoing, FR.leak_ongoing),
            (EN.standby, FR.standby),
            (EN.missing_one, FR.missing_one),
            (EN.missing_many, FR.missing_many),
            (EN.file_imported, FR.file_imported),
            (EN.file_unchanged, FR.file_unchanged),
            (EN.saved, FR.saved),
            (EN.peak, FR.peak),
        ];
        for (en, fr) in pairs {
            for blank in [
                "{p}",
                "{period}",
                "{fluid}",
                "{unit}",
                "{step}",
                "{first}",
                "{last}",
                "{extra}",
                "{recent}",
                "{usual}",
                "{since}",
                "{list}",
                "{n}",
                "{missing}",
                "{date}",
                "{w}",
                "{when}",
            ] {
                assert_eq!(en.contains(blank), fr.contains(blank), "{en} / {fr}");
            }
        }
    }
}

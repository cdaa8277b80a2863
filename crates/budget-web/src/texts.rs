//! The words of the budget pages and import results, in French and English
//! (the page's language, `selfdata_site::Lang`), and how amounts and dates
//! are written in each: amounts from exact cents, never through floats.
//!
//! Sentences with blanks use `{name}` markers filled by `selfdata_site::fill`.

use jiff::civil::Date;

/// Every sentence the budget pages show.
#[derive(Debug)]
pub struct Texts {
    pub lang: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub accounts_title: &'static str,
    /// `{date}`.
    pub balance_as_of: &'static str,
    pub no_balance: &'static str,
    /// `{n}`.
    pub transactions_count: &'static str,
    pub recent_title: &'static str,
    pub date: &'static str,
    pub label: &'static str,
    pub amount: &'static str,
    pub empty_title: &'static str,
    pub empty_intro: &'static str,
    pub import_title: &'static str,
    pub import_hint: &'static str,
    pub import_button: &'static str,
    pub file_label: &'static str,
    pub card_empty: &'static str,
    /// `{total}`.
    pub card_headline_one: &'static str,
    /// `{n}` accounts, `{total}`.
    pub card_headline: &'static str,
    /// Import results. `{n}` read, `{added}` new.
    pub imported: &'static str,
    /// `{n}` read.
    pub unchanged: &'static str,
    /// `{name}`.
    pub new_account: &'static str,
    // Transactions page.
    pub transactions_title: &'static str,
    pub transactions_link: &'static str,
    pub filter_title: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub all_accounts: &'static str,
    pub all_categories: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub show: &'static str,
    pub account_label: &'static str,
    pub category: &'static str,
    pub uncategorised: &'static str,
    /// `{n}`, `{spent}`, `{received}`.
    pub listed: &'static str,
    /// `{n}`.
    pub listed_cut: &'static str,
    pub none_listed: &'static str,
    pub why_and_correct: &'static str,
    pub correct_label: &'static str,
    pub only_this_one: &'static str,
    /// `{payee}`.
    pub all_of_payee: &'static str,
    /// `{n}`.
    pub corrected_one: &'static str,
    /// `{n}`.
    pub corrected_many: &'static str,
    pub not_found: &'static str,
    pub bad_category: &'static str,
    // Spending page.
    pub spending_title: &'static str,
    pub spending_link: &'static str,
    /// `{period}`.
    pub spending_intro: &'static str,
    pub by_month_title: &'static str,
    pub by_category_title: &'static str,
    pub spent: &'static str,
    pub received: &'static str,
    /// ": " / "\u{a0}: ".
    pub colon: &'static str,
    pub internal: &'static str,
    /// `{period}`.
    pub chart_title: &'static str,
    pub chart_desc: &'static str,
    pub chart_empty: &'static str,
    pub year_label: &'static str,
    // Housing page.
    pub housing_title: &'static str,
    pub housing_link: &'static str,
    /// `{year}`.
    pub housing_intro: &'static str,
    /// `{year}`.
    pub housing_chart_title: &'static str,
    pub housing_chart_desc: &'static str,
    pub housing_total: &'static str,
    pub housing_per_month: &'static str,
    pub housing_items_title: &'static str,
    pub housing_bills_title: &'static str,
    pub housing_bills_intro: &'static str,
    /// In the order of `housing::Item::ALL`.
    pub housing_items: [&'static str; 10],
    /// `{amount}`.
    pub service_says: &'static str,
    /// `{period}`, `{cost}`, `{difference}`.
    pub bill_linked: &'static str,
    pub months: [&'static str; 12],
    pub months_short: [&'static str; 12],
}

pub static FR: Texts = Texts {
    lang: "fr",
    title: "Budget",
    intro: "Tous vos comptes, de toutes vos banques, au même endroit : les relevés que vous téléchargez restent dans votre espace.",
    accounts_title: "Vos comptes",
    balance_as_of: "au {date}",
    no_balance: "solde inconnu (aucun relevé ne l’indique)",
    transactions_count: "{n} opérations",
    recent_title: "Dernières opérations",
    date: "Date",
    label: "Libellé",
    amount: "Montant",
    empty_title: "Aucun compte pour l’instant",
    empty_intro: "Téléchargez un relevé sur le site de votre banque (OFX, QIF, CAMT.053 ou le CSV de la banque) et déposez-le ici.",
    import_title: "Ajouter un relevé",
    import_hint: "Le fichier est lu en entier ou pas du tout ; une opération déjà connue n’est jamais ajoutée deux fois.",
    import_button: "Importer",
    file_label: "Relevé bancaire",
    card_empty: "Aucun compte : déposez un relevé de votre banque.",
    card_headline_one: "1 compte, solde {total}",
    card_headline: "{n} comptes, solde total {total}",
    imported: "{n} opérations lues, {added} nouvelles",
    unchanged: "{n} opérations lues, toutes déjà connues : rien n’a changé",
    new_account: "nouveau compte : {name}",
    transactions_title: "Opérations",
    transactions_link: "Toutes les opérations, avec recherche et correction",
    filter_title: "Choisir",
    from: "Du",
    to: "Jusqu’au (exclu)",
    all_accounts: "Tous les comptes",
    all_categories: "Toutes les catégories",
    search: "Rechercher dans les libellés",
    search_hint: "Par exemple EDF ou NETFLIX.",
    show: "Afficher",
    account_label: "Compte",
    category: "Catégorie",
    uncategorised: "Non catégorisée",
    listed: "{n} opérations : {spent} dépensés, {received} reçus",
    listed_cut: "seules les {n} premières sont affichées : resserrez la période",
    none_listed: "Aucune opération ne correspond.",
    why_and_correct: "Pourquoi cette catégorie ? Corriger",
    correct_label: "Nouvelle catégorie",
    only_this_one: "Seulement cette opération",
    all_of_payee: "Toutes celles de « {payee} »",
    corrected_one: "Catégorie enregistrée pour cette opération.",
    corrected_many: "Catégorie enregistrée : {n} opérations la suivent, et les prochaines aussi.",
    not_found: "Cette opération n’est plus dans votre espace.",
    bad_category: "Choisissez une catégorie de la liste.",
    spending_title: "Dépenses",
    spending_link: "Où va l’argent, par mois et par catégorie",
    spending_intro: "{period}, virements entre vos comptes exclus.",
    by_month_title: "Par mois",
    by_category_title: "Par catégorie",
    spent: "Dépensé",
    received: "Reçu",
    colon: "\u{a0}: ",
    internal: "Virements entre vos comptes",
    chart_title: "Dépenses par mois, {period}",
    chart_desc: "Une barre par mois : ce qui est sorti de vos comptes, virements entre vos comptes exclus.",
    chart_empty: "Aucune dépense sur cette période.",
    year_label: "Année",
    housing_title: "Logement",
    housing_link: "Ce que coûte le logement, mois par mois",
    housing_intro: "Ce que le logement a coûté en {year}, d’après vos relevés, et ce que le service énergie calcule pour les mêmes mois.",
    housing_chart_title: "Coût du logement par mois, {year}",
    housing_chart_desc: "Une barre par mois : loyer ou prêt, énergie, eau, assurance, télécoms, impôts locaux et travaux payés.",
    housing_total: "Sur l’année",
    housing_per_month: "par mois en moyenne",
    housing_items_title: "Poste par poste",
    housing_bills_title: "Factures d’énergie et d’eau",
    housing_bills_intro: "Chaque prélèvement comparé au coût que le service énergie calcule pour la période payée.",
    housing_items: [
        "Loyer",
        "Prêt immobilier",
        "Électricité",
        "Gaz",
        "Énergie (électricité et gaz)",
        "Eau",
        "Assurance habitation",
        "Internet et téléphone",
        "Impôts locaux",
        "Charges et travaux",
    ],
    service_says: "le service énergie calcule {amount}",
    bill_linked: "paie {period} : le service énergie calcule {cost}, écart {difference}",
    months_short: [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
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
};

pub static EN: Texts = Texts {
    lang: "en",
    title: "Money",
    intro: "All your accounts, from all your banks, in one place: the statements you download stay in your space.",
    accounts_title: "Your accounts",
    balance_as_of: "on {date}",
    no_balance: "balance unknown (no statement states it)",
    transactions_count: "{n} transactions",
    recent_title: "Latest transactions",
    date: "Date",
    label: "Label",
    amount: "Amount",
    empty_title: "No account yet",
    empty_intro: "Download a statement from your bank's website (OFX, QIF, CAMT.053 or the bank's CSV) and drop it here.",
    import_title: "Add a statement",
    import_hint: "The file is read whole or not at all; a transaction already known is never added twice.",
    import_button: "Import",
    file_label: "Bank statement",
    card_empty: "No account yet: drop a statement from your bank.",
    card_headline_one: "1 account, balance {total}",
    card_headline: "{n} accounts, total balance {total}",
    imported: "{n} transactions read, {added} new",
    unchanged: "{n} transactions read, all already known: nothing changed",
    new_account: "new account: {name}",
    transactions_title: "Transactions",
    transactions_link: "Every transaction, with search and correction",
    filter_title: "Choose",
    from: "From",
    to: "Until (excluded)",
    all_accounts: "All accounts",
    all_categories: "All categories",
    search: "Search the labels",
    search_hint: "For instance EDF or NETFLIX.",
    show: "Show",
    account_label: "Account",
    category: "Category",
    uncategorised: "Uncategorised",
    listed: "{n} transactions: {spent} spent, {received} received",
    listed_cut: "only the first {n} are shown: narrow the period",
    none_listed: "No transaction matches.",
    why_and_correct: "Why this category? Correct it",
    correct_label: "New category",
    only_this_one: "Only this transaction",
    all_of_payee: "Every one from “{payee}”",
    corrected_one: "Category saved for this transaction.",
    corrected_many: "Category saved: {n} transactions follow it, and the next ones will too.",
    not_found: "This transaction is no longer in your space.",
    bad_category: "Choose a category from the list.",
    spending_title: "Spending",
    spending_link: "Where the money goes, by month and category",
    spending_intro: "{period}, transfers between your accounts left out.",
    by_month_title: "By month",
    by_category_title: "By category",
    spent: "Spent",
    received: "Received",
    colon: ": ",
    internal: "Transfers between your accounts",
    chart_title: "Spending by month, {period}",
    chart_desc: "One bar per month: what left your accounts, transfers between your accounts left out.",
    chart_empty: "No spending in this period.",
    year_label: "Year",
    housing_title: "Housing",
    housing_link: "What the home costs, month by month",
    housing_intro: "What the home cost in {year}, from your statements, and what the energy service computes for the same months.",
    housing_chart_title: "Housing costs by month, {year}",
    housing_chart_desc: "One bar per month: rent or loan, energy, water, insurance, telecom, local taxes and works paid.",
    housing_total: "Over the year",
    housing_per_month: "a month on average",
    housing_items_title: "Item by item",
    housing_bills_title: "Energy and water bills",
    housing_bills_intro: "Each debit against the cost the energy service computes for the period it pays.",
    housing_items: [
        "Rent",
        "Mortgage",
        "Electricity",
        "Gas",
        "Energy (electricity and gas)",
        "Water",
        "Home insurance",
        "Internet and phone",
        "Local taxes",
        "Service charges and works",
    ],
    service_says: "the energy service computes {amount}",
    bill_linked: "pays {period}: the energy service computes {cost}, difference {difference}",
    months_short: [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
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
};

selfdata_site::words!(Texts, FR, EN);

impl Texts {
    fn french(&self) -> bool {
        self.lang == "fr"
    }

    /// An amount from cents: "−1 234,56 €" / "−€1,234.56".
    pub fn money(&self, cents: i64) -> String {
        if self.french() {
            selfdata_budget::money::format_cents_fr(cents)
        } else {
            selfdata_budget::money::format_cents_en(cents)
        }
    }

    /// "26 septembre 2021" / "26 September 2021".
    pub fn date(&self, d: Date) -> String {
        let day = if self.french() && d.day() == 1 {
            "1er".to_owned()
        } else {
            d.day().to_string()
        };
        format!("{day} {} {}", self.months[d.month() as usize - 1], d.year())
    }

    /// "septembre 2021" / "September 2021".
    pub fn month(&self, d: Date) -> String {
        format!("{} {}", self.months[d.month() as usize - 1], d.year())
    }

    /// The page's language as the budget crate knows it.
    pub fn lang(&self) -> selfdata_budget::sources::Lang {
        selfdata_budget::sources::Lang::from_code(self.lang)
    }

    /// "26/09" / "26 Sep": short, for a table row.
    pub fn short_date(&self, d: Date) -> String {
        if self.french() {
            format!("{:02}/{:02}/{}", d.day(), d.month(), d.year())
        } else {
            format!("{}-{:02}-{:02}", d.year(), d.month(), d.day())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_from_cents_the_way_each_language_writes_them() {
        assert_eq!(FR.money(-123_456), "\u{2212}1\u{202f}234,56\u{a0}€");
        assert_eq!(EN.money(-123_456), "\u{2212}€1,234.56");
        assert_eq!(FR.money(5), "0,05\u{a0}€");
        assert_eq!(EN.money(100_000_000), "€1,000,000.00");
    }
}

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
    pub months: [&'static str; 12],
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

    /// An amount from cents: "−1 234,56 €" (narrow no-break spaces between
    /// thousands, a true minus sign) or "−€1,234.56".
    pub fn money(&self, cents: i64) -> String {
        let sign = if cents < 0 { "\u{2212}" } else { "" };
        let abs = cents.unsigned_abs();
        let (units, rest) = (abs / 100, abs % 100);
        let digits = units.to_string();
        let sep = if self.french() { '\u{202f}' } else { ',' };
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(sep);
            }
            grouped.push(c);
        }
        if self.french() {
            format!("{sign}{grouped},{rest:02}\u{a0}€")
        } else {
            format!("{sign}€{grouped}.{rest:02}")
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

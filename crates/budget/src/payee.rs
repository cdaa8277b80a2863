//! Who a transaction is with, from the words the bank wrote: the label
//! reduced to its payee ("PRLV SEPA EDF CLIENTS PARTICULIERS ECH/260921 ID
//! EMETTEUR/FR12ZZZ123456" → "EDF CLIENTS PARTICULIERS") and, for a SEPA
//! direct debit, the creditor id (ICS `FR12ZZZ123456`), the strongest key
//! to group one supplier's debits by.
//!
//! Steps: upper case without accents; the kind prefix dropped (`PRLV SEPA`,
//! `PAIEMENT PAR CARTE X1234`, `VIR SEPA RECU`…); a `DE: X` in the label or
//! memo wins (Société Générale puts the payee there); cut at the first
//! reference (`ECH/`, `ID EMETTEUR`, `ICS`, `RUM`, `REF`, `MOTIF`, `/`,
//! `CB*`); dates (`25/09`, `25.09.21`), digit runs of three or more and
//! card numbers (`X1234`) dropped; the first three words kept.

use selfdata_sources::text::norm;

/// A transaction's payee as grouped and shown.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Payee {
    /// Upper case, without accents, at most three words: "EDF CLIENTS PARTICULIERS".
    pub name: String,
    /// The SEPA creditor id (ICS) when the label or memo carries one: `FR12ZZZ123456`.
    pub creditor_id: Option<String>,
}

/// The payee of a transaction with this label and memo.
pub fn payee(label: &str, memo: &str) -> Payee {
    let label = upper(label);
    let memo = upper(memo);
    let creditor_id = creditor_id(&label).or_else(|| creditor_id(&memo));
    let source = after_de(&label)
        .or_else(|| after_de(&memo))
        .unwrap_or(&label);
    let mut name = name_of(source, true);
    if name.is_empty() {
        // Only kind words ("COTISATION CARTE"): they are the payee.
        name = name_of(&label, false);
    }
    if name.is_empty() && !memo.is_empty() {
        name = name_of(&memo, true);
    }
    Payee { name, creditor_id }
}

/// Upper case without accents, spaces collapsed.
fn upper(s: &str) -> String {
    norm(s).to_ascii_uppercase()
}

/// A French SEPA creditor id: `FR`, two check digits, `ZZZ`, six characters.
fn is_creditor_id(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() == 13
        && b.starts_with(b"FR")
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit()
        && &b[4..7] == b"ZZZ"
        && b[7..].iter().all(u8::is_ascii_alphanumeric)
}

fn creditor_id(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .find(|t| is_creditor_id(t))
        .map(str::to_owned)
}

/// The text after `DE:` (or `DE :`), when the bank names the counterparty so.
fn after_de(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = text[from..].find("DE") {
        let at = from + i;
        let before_ok = at == 0 || text.as_bytes()[at - 1] == b' ';
        let rest = text[at + 2..].trim_start();
        if before_ok && let Some(rest) = rest.strip_prefix(':') {
            let rest = rest.trim_start();
            if !rest.is_empty() {
                return Some(rest);
            }
        }
        from = at + 2;
    }
    None
}

/// Words that say how money moved, not with whom, dropped at the start.
const KIND_WORDS: &[&str] = &[
    "PRLV",
    "PRELEVEMENT",
    "PRELEVMNT",
    "SEPA",
    "EUROPEEN",
    "ECHEANCE",
    "VIR",
    "VIREMENT",
    "INST",
    "INSTANTANE",
    "RECU",
    "EMIS",
    "PERMANENT",
    "CB",
    "CARTE",
    "PAIEMENT",
    "PAR",
    "ACHAT",
    "FACTURE",
    "DU",
    "RETRAIT",
    "DAB",
    "GAB",
    "CHQ",
    "CHEQUE",
    "REMISE",
    "EN",
    "VOTRE",
    "FAVEUR",
    "DE",
    "FRAIS",
    "COTISATION",
    "COMMISSION",
    "AGIOS",
];

/// Whether a payee name is only words saying how money moved ("VIR RECU"),
/// or nothing: the label named no one.
pub(crate) fn is_generic(name: &str) -> bool {
    name.split(' ')
        .all(|w| w.is_empty() || KIND_WORDS.contains(&w))
}

/// Words after which the bank writes references, not the payee.
const CUT_WORDS: &[&str] = &[
    "CARTE", "ECH", "ID", "ICS", "RUM", "REF", "REF:", "MOTIF", "MOTIF:", ";",
];

/// A date token as banks write them: `25/09`, `25/09/21`, `25.09.2021`, `25-09-21`.
pub(crate) fn is_date(t: &str) -> bool {
    let mut groups = t.split(['/', '.', '-']);
    let lens: Vec<usize> = groups.by_ref().map(str::len).collect();
    t.contains(['/', '.', '-'])
        && t.bytes().all(|b| b.is_ascii_digit() || b"/.-".contains(&b))
        && matches!(
            lens[..],
            [2, 2] | [2, 2, 2] | [2, 2, 4] | [1, 2] | [1, 2, 2] | [1, 2, 4]
        )
}

/// A card number as written in labels: `X1234`, `XXXX1234`, `4974XXXXXXXX1234`.
fn is_card(t: &str) -> bool {
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    t.contains('X') && digits >= 4 && t.bytes().all(|b| b == b'X' || b.is_ascii_digit())
}

/// Month names as banks write them, which change from one month's payment
/// to the next ("LOYER OCTOBRE").
pub(crate) const MONTHS: &[&str] = &[
    "JANVIER",
    "FEVRIER",
    "MARS",
    "AVRIL",
    "MAI",
    "JUIN",
    "JUILLET",
    "AOUT",
    "SEPTEMBRE",
    "OCTOBRE",
    "NOVEMBRE",
    "DECEMBRE",
];

/// A token that says nothing about the payee: a date, a month, a card
/// number, a run of three digits or more.
fn is_noise(t: &str) -> bool {
    is_date(t)
        || is_card(t)
        || (t.len() >= 3 && t.bytes().all(|b| b.is_ascii_digit()))
        || MONTHS.contains(&t)
}

/// `NETFLIX.COM` → `NETFLIX`, `WWW.AMAZON.FR` → `AMAZON`.
fn web_name(t: &str) -> &str {
    if !t.contains('.') {
        return t;
    }
    let t = t.strip_prefix("WWW.").unwrap_or(t);
    for end in [".COM", ".FR", ".NET", ".ORG", ".EU", ".IO"] {
        if let Some(s) = t.strip_suffix(end) {
            return s;
        }
    }
    t
}

fn name_of(text: &str, strip_kind: bool) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(3);
    let mut leading = strip_kind;
    'tokens: for raw in text.split(' ') {
        if raw.is_empty() || is_noise(raw) {
            continue;
        }
        if leading && KIND_WORDS.contains(&raw) {
            continue;
        }
        leading = false;
        if !out.is_empty() && (CUT_WORDS.contains(&raw) || raw.starts_with("ECH/")) {
            break;
        }
        let (kept, cut) = match raw.find(['/', ';']) {
            Some(i) => (&raw[..i], true),
            None => match raw.find("CB*") {
                Some(i) => (&raw[..i], true),
                None => (raw, false),
            },
        };
        for part in web_name(kept).split(|c: char| !(c.is_alphanumeric() || c == '&' || c == '\''))
        {
            let part = part.trim_matches('\'');
            if part.is_empty() || is_noise(part) {
                continue;
            }
            out.push(part);
            if out.len() == 3 {
                break 'tokens;
            }
        }
        if cut && !out.is_empty() {
            break;
        }
    }
    out.join(" ")
}

/// The words a rule is matched against: upper case, no accents, every run
/// of other characters than letters, digits and `&` a single space, with
/// dates, card numbers and digit runs of three or more left out. Appended
/// to `out`, each word preceded by a space.
pub(crate) fn words_into(s: &str, out: &mut String) {
    let up = upper(s);
    for raw in up.split(' ') {
        if raw.is_empty() || is_noise(raw) {
            continue;
        }
        for part in raw.split(|c: char| !(c.is_alphanumeric() || c == '&')) {
            if part.is_empty() || is_noise(part) {
                continue;
            }
            out.push(' ');
            out.push_str(part);
        }
    }
}

/// [`words_into`] as a new string, without its leading space.
pub(crate) fn words(s: &str) -> String {
    let mut out = String::new();
    words_into(s, &mut out);
    out.trim_start().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_from_french_banks_give_their_payee_and_creditor_id() {
        let table: &[(&str, &str, &str, Option<&str>)] = &[
            (
                "PRLV SEPA EDF CLIENTS PARTICULIERS ECH/260921 ID EMETTEUR/FR12ZZZ123456",
                "",
                "EDF CLIENTS PARTICULIERS",
                Some("FR12ZZZ123456"),
            ),
            (
                "PRLV SEPA EDF CLIENTS PARTICU",
                "ECH/260921 ID EMETTEUR/FR12ZZZ123456",
                "EDF CLIENTS PARTICU",
                Some("FR12ZZZ123456"),
            ),
            (
                "PAIEMENT PAR CARTE X1234 INTERMARCHE 25/09",
                "",
                "INTERMARCHE",
                None,
            ),
            ("CB CAFÉ DE LA GARE 27/09", "", "CAFE DE LA", None),
            ("CB M&S FOOD PARIS", "", "M&S FOOD PARIS", None),
            ("VIR SEPA SALAIRE ACME SAS", "", "SALAIRE ACME SAS", None),
            (
                "VIR LOYER OCTOBRE SCI DUPONT & FILS",
                "",
                "LOYER SCI DUPONT",
                None,
            ),
            ("PRLV SEPA NETFLIX.COM", "", "NETFLIX", None),
            ("ECHEANCE PRET IMMO 0012345", "", "PRET IMMO", None),
            (
                "CARTE 25/09/21 CARREFOUR CITY CB*1234",
                "",
                "CARREFOUR CITY",
                None,
            ),
            (
                "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921",
                "",
                "EDF CLIENTS PARTICULIERS",
                None,
            ),
            ("VIREMENT EN VOTRE FAVEUR ACME SAS", "", "ACME SAS", None),
            (
                "PRELEVEMENT EUROPEEN",
                "DE: EDF CLIENTS PARTICULIERS ID EMETTEUR: FR12ZZZ123456 MOTIF: ECH/260921",
                "EDF CLIENTS PARTICULIERS",
                Some("FR12ZZZ123456"),
            ),
            (
                "CARTE X1234 28/09 LECLERC",
                "CARTE X1234 28/09 LECLERC DRIVE",
                "LECLERC",
                None,
            ),
            (
                "VIR RECU 1234567",
                "DE: ACME SAS MOTIF: SALAIRE SEPTEMBRE",
                "ACME SAS",
                None,
            ),
            (
                "PRELEVEMENT DE EDF CLIENTS PARTICULIERS REF ECH260921",
                "",
                "EDF CLIENTS PARTICULIERS",
                None,
            ),
            (
                "ACHAT CB CAFÉ DE LA GARE 25.09.21 CARTE NUMERO 123",
                "",
                "CAFE DE LA",
                None,
            ),
            ("VIREMENT DE ACME SAS", "", "ACME SAS", None),
            (
                "VIR LOYER OCTOBRE 850€ SCI DUPONT",
                "",
                "LOYER SCI DUPONT",
                None,
            ),
            (
                "FACTURE CARTE DU 250921 AMAZON PAYMENTS CARTE 4974XXXXXXXX1234",
                "",
                "AMAZON PAYMENTS",
                None,
            ),
            ("RETRAIT DAB 25/09 PARIS 11", "", "PARIS 11", None),
            ("COTISATION CARTE VISA PREMIER", "", "VISA PREMIER", None),
            ("AGIOS", "", "AGIOS", None),
            ("EDF", "", "EDF", None),
            ("VIR SEPA INST RECU DE MME MARTIN", "", "MME MARTIN", None),
        ];
        for (label, memo, name, ics) in table {
            let p = payee(label, memo);
            assert_eq!(p.name, *name, "{label} / {memo}");
            assert_eq!(p.creditor_id.as_deref(), *ics, "{label} / {memo}");
        }
    }

    #[test]
    fn words_leave_out_dates_card_numbers_and_references() {
        assert_eq!(
            words("PAIEMENT PAR CARTE X1234 INTERMARCHÉ 25/09"),
            "PAIEMENT PAR CARTE INTERMARCHE"
        );
        assert_eq!(words("PRLV SEPA NETFLIX.COM"), "PRLV SEPA NETFLIX COM");
        assert_eq!(
            words("ECH/260921 ID EMETTEUR/FR12ZZZ123456"),
            "ECH ID EMETTEUR FR12ZZZ123456"
        );
        assert_eq!(words("CB*1234 B&YOU"), "CB B&YOU");
    }
}

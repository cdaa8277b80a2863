//! French banks by the codes their files carry: the 5-digit bank code
//! (first digits of a French IBAN's BBAN, OFX `BANKID`) and the BIC's
//! first four letters (CAMT `Svcr/BIC`). A code not listed gives no holder;
//! the importer then falls back to its layout's bank or names the code.

use crate::model::Holder;

/// (bank code, BIC prefix, slug, name). Regional banks of one group share a slug.
const BANKS: &[(&str, &str, &str, &str)] = &[
    ("30004", "BNPA", "bnp-paribas", "BNP Paribas"),
    ("30003", "SOGE", "societe-generale", "Société Générale"),
    ("30002", "CRLY", "lcl", "LCL"),
    ("20041", "PSST", "la-banque-postale", "La Banque Postale"),
    ("10278", "CMCI", "credit-mutuel", "Crédit Mutuel"),
    ("10207", "CMCI", "credit-mutuel", "Crédit Mutuel"),
    ("30066", "CMCI", "cic", "CIC"),
    ("40618", "BOUS", "boursobank", "BoursoBank"),
    ("30056", "CCFR", "hsbc", "HSBC"),
    ("16806", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("18106", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("11306", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("13306", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("17806", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("14706", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("12506", "AGRI", "credit-agricole", "Crédit Agricole"),
    ("13507", "CCBP", "banque-populaire", "Banque Populaire"),
    ("10907", "CCBP", "banque-populaire", "Banque Populaire"),
    ("11315", "CEPA", "caisse-epargne", "Caisse d'Épargne"),
    ("14445", "CEPA", "caisse-epargne", "Caisse d'Épargne"),
    ("17515", "CEPA", "caisse-epargne", "Caisse d'Épargne"),
    ("42559", "CCOP", "credit-cooperatif", "Crédit Coopératif"),
    ("16958", "QNTO", "qonto", "Qonto"),
    ("12869", "NTSB", "n26", "N26"),
    (
        "15589",
        "CMBR",
        "credit-mutuel-arkea",
        "Crédit Mutuel Arkéa",
    ),
];

/// The bank of a French bank code. Crédit Agricole's regional banks all
/// have codes ending in `06` under `1xxxx`, not all listed: those are
/// recognised by shape.
pub fn by_bank_code(code: &str) -> Option<Holder> {
    if let Some(&(_, _, slug, name)) = BANKS.iter().find(|b| b.0 == code) {
        return Some(Holder::new(slug, name));
    }
    let b = code.as_bytes();
    (b.len() == 5 && b.iter().all(u8::is_ascii_digit) && b[0] == b'1' && code.ends_with("06"))
        .then(|| Holder::new("credit-agricole", "Crédit Agricole"))
}

/// The bank of a BIC (`PSSTFRPPLYO` → La Banque Postale).
pub fn by_bic(bic: &str) -> Option<Holder> {
    let prefix = bic.get(..4)?.to_ascii_uppercase();
    BANKS
        .iter()
        .find(|b| b.1 == prefix)
        .map(|&(_, _, slug, name)| Holder::new(slug, name))
}

/// Other names banks go by in what residents write (account names in QIF files).
const ALIASES: &[(&str, &str, &str)] = &[
    ("Boursorama", "boursobank", "BoursoBank"),
    ("BNP", "bnp-paribas", "BNP Paribas"),
    ("Banque Postale", "la-banque-postale", "La Banque Postale"),
    ("Caisse d'Epargne", "caisse-epargne", "Caisse d'Épargne"),
    ("SG", "societe-generale", "Société Générale"),
];

fn words(s: &str) -> Vec<String> {
    selfdata_sources::text::norm(s)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The bank a text names ("Crédit Agricole compte chèques", "Livret Boursorama"),
/// compared as whole words without case or accents; the longest name wins
/// (Crédit Mutuel Arkéa over Crédit Mutuel).
pub fn by_name(text: &str) -> Option<Holder> {
    let text = words(text);
    let mut best: Option<(usize, &str, &str)> = None;
    let names = BANKS
        .iter()
        .map(|&(_, _, slug, name)| (name, slug, name))
        .chain(ALIASES.iter().copied());
    for (written, slug, name) in names {
        let w = words(written);
        let found = !w.is_empty() && text.windows(w.len()).any(|t| t == w.as_slice());
        if found && best.is_none_or(|(len, _, _)| w.len() > len) {
            best = Some((w.len(), slug, name));
        }
    }
    best.map(|(_, slug, name)| Holder::new(slug, name))
}

/// A French IBAN's parts: (bank code, branch, account number).
/// `FR76 30004 01234 00012345678 06` → ("30004", "01234", "00012345678").
pub fn french_iban_parts(iban: &str) -> Option<(String, String, String)> {
    let iban: String = iban.chars().filter(|c| !c.is_whitespace()).collect();
    if !(iban.len() == 27 && (iban.starts_with("FR") || iban.starts_with("MC"))) {
        return None;
    }
    let bban = iban.get(4..)?;
    Some((
        bban.get(..5)?.to_owned(),
        bban.get(5..10)?.to_owned(),
        bban.get(10..21)?.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_name_their_banks() {
        assert_eq!(by_bank_code("30004").unwrap().name, "BNP Paribas");
        assert_eq!(by_bank_code("19806").unwrap().slug, "credit-agricole");
        assert_eq!(by_bank_code("99999"), None);
        assert_eq!(by_bic("PSSTFRPPLYO").unwrap().slug, "la-banque-postale");
        assert_eq!(
            french_iban_parts("FR76 2004 1010 0505 0001 3M02 606"),
            Some(("20041".into(), "01005".into(), "0500013M026".into()))
        );
        assert_eq!(french_iban_parts("DE89370400440532013000"), None);
        assert_eq!(
            by_name("Compte chèques CREDIT AGRICOLE").unwrap().slug,
            "credit-agricole"
        );
        assert_eq!(by_name("Livret A Boursorama").unwrap().name, "BoursoBank");
        assert_eq!(
            by_name("Crédit Mutuel Arkéa joint").unwrap().slug,
            "credit-mutuel-arkea"
        );
        assert_eq!(by_name("Compte courant"), None);
        assert_eq!(by_name("BICIC"), None);
    }
}

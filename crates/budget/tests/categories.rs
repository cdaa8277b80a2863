//! Categories as a resident meets them: common French labels land in the
//! right category with a reason; one correction "for all from this payee"
//! carries over to that payee's other transactions; a correction of one
//! transaction beats every rule; an unknown label says it is
//! uncategorised; the rules and corrections documents survive a round trip
//! and a hand-edited bad line is refused with its number.

use jiff::Timestamp;
use jiff::civil::{Date, date};
use selfdata_budget::Kind;
use selfdata_budget::categorise::{
    Categoriser, Decision, Scope, TxView, Why, applies, keep_learned, learn,
};
use selfdata_budget::rules::{
    Correction, Match, Origin, Rule, Sign, corrections_from_csv, corrections_to_csv,
    rules_from_csv, rules_to_csv,
};
use selfdata_budget::sources::Lang;

const ACCOUNT: &str = "credit-agricole-5678";

fn tx<'a>(day: Date, amount: i64, label: &'a str, memo: &'a str) -> TxView<'a> {
    TxView {
        account: ACCOUNT,
        date: day,
        amount,
        kind: Kind::of_label(label),
        label,
        memo,
        seq: 1,
        bank_category: None,
    }
}

fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn category(c: &Categoriser, label: &str, amount: i64) -> Option<&'static str> {
    c.categorise(&tx(date(2021, 9, 26), amount, label, ""))
        .category
}

#[test]
fn common_french_labels_go_to_their_category() {
    let c = Categoriser::new(&[], &[]);
    let table: &[(&str, i64, Option<&str>)] = &[
        (
            "PRLV SEPA EDF CLIENTS PARTICULIERS",
            -2340,
            Some("logement/energie/electricite"),
        ),
        (
            "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921",
            -2340,
            Some("logement/energie/electricite"),
        ),
        (
            "PAIEMENT PAR CARTE X1234 INTERMARCHE 25/09",
            -104_520,
            Some("alimentation/courses"),
        ),
        (
            "CARTE 25/09/21 CARREFOUR CITY CB*1234",
            -1802,
            Some("alimentation/courses"),
        ),
        (
            "VIR SEPA SALAIRE ACME SAS",
            210_000,
            Some("revenus/salaire"),
        ),
        (
            "PRLV SEPA NETFLIX.COM",
            -1349,
            Some("loisirs/abonnements-numeriques"),
        ),
        (
            "VIR LOYER OCTOBRE SCI DUPONT & FILS",
            -85_000,
            Some("logement/loyer"),
        ),
        (
            "ECHEANCE PRET IMMO 0012345",
            -123_456,
            Some("logement/pret-immobilier"),
        ),
        (
            "PRLV SEPA MAIF ASSURANCE HABITATION",
            -2600,
            Some("logement/assurance-habitation"),
        ),
        (
            "PRLV SEPA MACIF CONTRAT AUTO 123456",
            -4500,
            Some("transport/voiture"),
        ),
        ("CB TOTALENERGIES 12/03", -6000, Some("transport/carburant")),
        (
            "PRLV SEPA TOTALENERGIES ELECTRICITE ET GAZ",
            -9000,
            Some("logement/energie"),
        ),
        (
            "PRLV SEPA FREE MOBILE",
            -1999,
            Some("logement/internet-telephone"),
        ),
        (
            "CPAM DU RHONE REMB SOINS DU 100921",
            1900,
            Some("sante/remboursements-sante"),
        ),
        ("PRLV SEPA HARMONIE MUTUELLE", -4500, Some("sante/mutuelle")),
        ("CB PHARMACIE DU CENTRE 02/10", -1250, Some("sante/soins")),
        (
            "CB SNCF INTERNET 05/10",
            -5600,
            Some("transport/transports-en-commun"),
        ),
        ("RETRAIT DAB 25/09 PARIS 11", -4000, Some("especes")),
        (
            "COTISATION CARTE VISA PREMIER",
            -1350,
            Some("banque/frais-bancaires"),
        ),
        (
            "PRLV SEPA DGFIP IMPOT 2021",
            -25_000,
            Some("impots/impot-revenu"),
        ),
        (
            "PRLV SEPA DGFIP TAXE FONCIERE",
            -80_000,
            Some("logement/impots-locaux"),
        ),
        (
            "VIR CAF DU RHONE",
            18_000,
            Some("revenus/prestations-sociales"),
        ),
        (
            "CB UBER EATS 14/10",
            -2390,
            Some("alimentation/restaurants"),
        ),
        (
            "CB UBER TRIP 14/10",
            -1290,
            Some("transport/transports-en-commun"),
        ),
        (
            "CB LEROY MERLIN 02/11",
            -8990,
            Some("logement/charges-travaux"),
        ),
        ("CB AMAZON PAYMENTS 02/11", -3499, Some("achats")),
        ("VIR SEPA M. JEAN DUPONT", -5000, None),
    ];
    for (label, amount, expected) in table {
        assert_eq!(category(&c, label, *amount), *expected, "{label}");
    }
    // The generic insurer rule says it is unsure.
    let d = c.categorise(&tx(date(2021, 9, 26), -2600, "PRLV SEPA MAIF", ""));
    assert_eq!(d.category, Some("logement/assurance-habitation"));
    assert!(d.why.sentence(Lang::Fr).contains("à préciser"));
}

#[test]
fn a_starter_rule_says_which_words_it_recognised() {
    let c = Categoriser::new(&[], &[]);
    let d = c.categorise(&tx(date(2021, 10, 5), -1349, "PRLV SEPA NETFLIX.COM", ""));
    assert_eq!(
        d.why.sentence(Lang::Fr),
        "Règle de départ : le libellé contient « NETFLIX »"
    );
    assert_eq!(
        d.why.sentence(Lang::En),
        "Starter rule: the label contains “NETFLIX”"
    );
    let d = c.categorise(&tx(
        date(2021, 10, 5),
        -4500,
        "PRLV SEPA MACIF CONTRAT AUTO",
        "",
    ));
    assert_eq!(
        d.why.sentence(Lang::Fr),
        "Règle de départ : le libellé contient « MACIF » et « AUTO »"
    );
}

#[test]
fn an_unknown_label_is_uncategorised_and_says_so() {
    let c = Categoriser::new(&[], &[]);
    let d = c.categorise(&tx(date(2021, 9, 26), -4200, "CB XYZ 26/09", ""));
    assert_eq!(d.category, None);
    assert_eq!(
        d.why,
        Why::None {
            payee: "XYZ".into()
        }
    );
    assert_eq!(
        d.why.sentence(Lang::Fr),
        "Non catégorisé : aucune règle ne reconnaît « XYZ »"
    );
    assert_eq!(
        d.why.sentence(Lang::En),
        "Uncategorised: no rule recognises “XYZ”"
    );
}

#[test]
fn the_banks_own_category_is_used_when_no_rule_knows_the_label() {
    let c = Categoriser::new(&[], &[]);
    let mut t = tx(date(2021, 9, 26), -4200, "CB CHEZ MARCEL 26/09", "");
    t.bank_category = Some("Vie quotidienne/Alimentation");
    let d = c.categorise(&t);
    assert_eq!(d.category, Some("alimentation"));
    assert_eq!(
        d.why.sentence(Lang::Fr),
        "Catégorie donnée par la banque : « Vie quotidienne/Alimentation »"
    );
    t.bank_category = Some("Logement/Electricité");
    assert_eq!(
        c.categorise(&t).category,
        Some("logement/energie/electricite")
    );
    // A rule comes before the bank's category.
    let mut t = tx(date(2021, 9, 26), -1349, "PRLV SEPA NETFLIX.COM", "");
    t.bank_category = Some("Loisirs");
    assert_eq!(
        c.categorise(&t).category,
        Some("loisirs/abonnements-numeriques")
    );
    // A bank category that names none of ours leaves it uncategorised.
    let mut t = tx(date(2021, 9, 26), -4200, "CB CHEZ MARCEL 26/09", "");
    t.bank_category = Some("Epargne/Epargne");
    assert_eq!(c.categorise(&t).category, None);
}

/// Twelve monthly EDF debits, the same creditor id, varying amounts.
fn edf_year() -> Vec<(Date, i64)> {
    (1..=12)
        .map(|m| (date(2021, m, 6), -(4000 + i64::from(m) * 317)))
        .collect()
}

#[test]
fn correcting_one_edf_debit_for_the_payee_moves_every_edf_debit_and_says_it_was_learned() {
    let label = "PRLV SEPA EDF CLIENTS PARTICULIERS";
    let memo = "ECH/060121 ID EMETTEUR/FR12ZZZ123456";
    let year = edf_year();
    let before = Categoriser::new(&[], &[]);
    for (d, a) in &year {
        assert_eq!(
            before.categorise(&tx(*d, *a, label, memo)).category,
            Some("logement/energie/electricite")
        );
    }
    // The resident says EDF is their gas supplier.
    let when = at("2021-10-03T08:00:00Z");
    let (d0, a0) = year[3];
    let (correction, rule) = learn(
        &tx(d0, a0, label, memo),
        "logement/energie/gaz",
        Scope::Payee,
        when,
    );
    let rule = rule.expect("a rule for the payee");
    assert_eq!(rule.by, Match::Ics);
    assert_eq!(rule.pattern, "FR12ZZZ123456");
    assert_eq!(rule.sign, Some(Sign::Debit));
    // The page can say how many transactions the rule will move.
    let moved = year
        .iter()
        .filter(|(d, a)| applies(&rule, &tx(*d, *a, label, memo)))
        .count();
    assert_eq!(moved, 12);
    let rules = keep_learned(
        &[],
        std::slice::from_ref(&correction),
        &tx(d0, a0, label, memo),
        rule,
    );
    let after = Categoriser::new(&rules, &[correction]);
    for (i, (d, a)) in year.iter().enumerate() {
        let decision = after.categorise(&tx(*d, *a, label, memo));
        assert_eq!(decision.category, Some("logement/energie/gaz"));
        if i == 3 {
            assert_eq!(decision.why, Why::Corrected { at: when });
            assert_eq!(
                decision.why.sentence(Lang::Fr),
                "Choisie par vous le 3 octobre 2021"
            );
        } else {
            assert!(
                matches!(decision.why, Why::Learned { .. }),
                "{:?}",
                decision.why
            );
            assert_eq!(
                decision.why.sentence(Lang::Fr),
                "Règle apprise le 3 octobre 2021 : les prélèvements de « EDF CLIENTS PARTICULIERS » (créancier FR12ZZZ123456) vont dans Gaz"
            );
        }
    }
    // A refund from EDF (a credit) is not moved by a rule learned on debits.
    assert_eq!(
        after
            .categorise(&tx(date(2021, 12, 20), 5000, label, memo))
            .category,
        Some("logement/energie/electricite")
    );
}

#[test]
fn a_payee_without_creditor_id_is_learned_by_its_words_and_the_newest_rule_wins() {
    let label = |d: u8| format!("CB CHEZ MARCEL {d:02}/10");
    let l1 = label(1);
    let l2 = label(2);
    let first = tx(date(2021, 10, 1), -2300, &l1, "");
    let (c1, r1) = learn(
        &first,
        "alimentation/restaurants",
        Scope::Payee,
        at("2021-10-03T08:00:00Z"),
    );
    let r1 = r1.expect("rule");
    assert_eq!((r1.by, r1.pattern.as_str()), (Match::Token, "CHEZ MARCEL"));
    let rules = keep_learned(&[], std::slice::from_ref(&c1), &first, r1);
    let c = Categoriser::new(&rules, std::slice::from_ref(&c1));
    let other = tx(date(2021, 10, 20), -1900, "CB CHEZ MARCEL 20/10", "");
    let d = c.categorise(&other);
    assert_eq!(d.category, Some("alimentation/restaurants"));
    assert_eq!(
        d.why.sentence(Lang::En),
        "Rule learned on 3 October 2021: transactions from “CHEZ MARCEL” go to Eating out"
    );
    // Marcel is a grocer after all: the newer rule replaces the older one.
    let second = tx(date(2021, 10, 2), -2300, &l2, "");
    let (c2, r2) = learn(
        &second,
        "alimentation/courses",
        Scope::Payee,
        at("2021-11-03T08:00:00Z"),
    );
    let corrections = vec![c1, c2];
    let rules = keep_learned(&rules, &corrections, &second, r2.expect("rule"));
    assert_eq!(rules.len(), 1, "{rules:?}");
    let c = Categoriser::new(&rules, &corrections);
    assert_eq!(c.categorise(&other).category, Some("alimentation/courses"));
}

#[test]
fn a_correction_of_one_transaction_beats_every_rule() {
    let netflix = tx(date(2021, 10, 5), -1349, "PRLV SEPA NETFLIX.COM", "");
    let (correction, rule) = learn(&netflix, "achats", Scope::One, at("2021-10-06T10:00:00Z"));
    assert_eq!(rule, None);
    // Even a resident rule for the payee that says otherwise.
    let resident = Rule {
        by: Match::Token,
        pattern: "NETFLIX".into(),
        kind: None,
        sign: None,
        band: None,
        category: "loisirs/sorties-voyages",
        origin: Origin::Resident,
        created: None,
        unsure: false,
    };
    let c = Categoriser::new(&[resident], &[correction]);
    let d = c.categorise(&netflix);
    assert_eq!(d.category, Some("achats"));
    assert!(matches!(d.why, Why::Corrected { .. }));
    // The next month's Netflix is not that transaction: the resident's rule applies.
    let next = tx(date(2021, 11, 5), -1349, "PRLV SEPA NETFLIX.COM", "");
    let d = c.categorise(&next);
    assert_eq!(d.category, Some("loisirs/sorties-voyages"));
    assert_eq!(
        d.why.sentence(Lang::Fr),
        "Votre règle : le libellé contient « NETFLIX », donc Sorties et voyages"
    );
    // Another transaction the same day with the same amount and label but seq 2 is not corrected.
    let mut twin = netflix;
    twin.seq = 2;
    assert_eq!(
        c.categorise(&twin).category,
        Some("loisirs/sorties-voyages")
    );
}

#[test]
fn corrections_that_disagree_for_one_payee_give_the_older_category_an_amount_band() {
    // AMAZON 8.99 a month is Prime; the rest is shopping.
    let prime = tx(date(2021, 3, 2), -899, "CB AMAZON 02/03", "");
    let (c1, r1) = learn(
        &prime,
        "loisirs/abonnements-numeriques",
        Scope::Payee,
        at("2021-04-01T08:00:00Z"),
    );
    let rules = keep_learned(&[], std::slice::from_ref(&c1), &prime, r1.expect("rule"));
    let book = tx(date(2021, 3, 9), -4550, "CB AMAZON 09/03", "");
    let (c2, r2) = learn(&book, "achats", Scope::Payee, at("2021-04-02T08:00:00Z"));
    let corrections = vec![c1, c2];
    let rules = keep_learned(&rules, &corrections, &book, r2.expect("rule"));
    assert_eq!(rules.len(), 2, "{rules:?}");
    let banded = rules
        .iter()
        .find(|r| r.band.is_some())
        .expect("a banded rule");
    assert_eq!(banded.category, "loisirs/abonnements-numeriques");
    assert_eq!(banded.band, Some((855, 944)));
    let c = Categoriser::new(&rules, &corrections);
    assert_eq!(
        category(&c, "CB AMAZON 02/05", -899),
        Some("loisirs/abonnements-numeriques")
    );
    assert_eq!(category(&c, "CB AMAZON 17/05", -2399), Some("achats"));
    // The bands survive rules.csv.
    let back = rules_from_csv(&rules_to_csv(&rules)).expect("read back");
    assert_eq!(back, rules);
}

#[test]
fn rules_and_corrections_round_trip_and_a_broken_line_is_refused_with_its_number() {
    let rules = vec![
        Rule {
            by: Match::Ics,
            pattern: "FR12ZZZ123456".into(),
            kind: None,
            sign: Some(Sign::Debit),
            band: None,
            category: "logement/energie/gaz",
            origin: Origin::Learned,
            created: Some(at("2021-10-03T08:00:00Z")),
            unsure: false,
        },
        Rule {
            by: Match::Token,
            pattern: "SCI DUPONT, \"& FILS\"".into(),
            kind: Some(Kind::Transfer),
            sign: None,
            band: Some((80_000, 90_000)),
            category: "logement/loyer",
            origin: Origin::Resident,
            created: None,
            unsure: false,
        },
    ];
    let csv = rules_to_csv(&rules);
    assert_eq!(rules_from_csv(&csv).expect("rules"), rules);
    let corrections = vec![Correction {
        account: ACCOUNT.into(),
        date: date(2021, 9, 26),
        amount: -2340,
        label: "PRELEVEMENT EDF CLIENTS PARTICULIERS ; ECH 260921, \"x\"".into(),
        seq: 2,
        category: "logement/energie/electricite".into(),
        at: at("2021-10-03T08:00:00Z"),
    }];
    let csv = corrections_to_csv(&corrections);
    assert_eq!(
        corrections_from_csv(&csv).expect("corrections"),
        corrections
    );

    let hand_edited = "id,match,pattern,kind,sign,min,max,category,origin,created\n\
        ,token,EDF,,debit,,,logement/energie/electricite,resident,\n\
        \n\
        ,token,NETFLIX,,,,,loisirs/cinema,resident,\n";
    let e = rules_from_csv(hand_edited.as_bytes()).expect_err("unknown category");
    assert_eq!(e.line, 4);
    assert!(e.message.contains("not a category"), "{e}");
    for (doc, line) in [
        (
            "match,pattern,category\ntoken,EDF,logement\nregex,EDF,logement\n",
            3,
        ),
        ("match,pattern,category\ntoken,\"EDF,logement\n", 2),
        ("match,pattern,category,min\ntoken,EDF,logement,1e3\n", 2),
        ("match,pattern,category\ntoken,,logement\n", 2),
        (
            "match,pattern,category,created\ntoken,EDF,logement,hier\n",
            2,
        ),
        ("pattern,category\nEDF,logement\n", 1),
        ("match,pattern,category\ntoken,EDF,logement,extra\n", 2),
    ] {
        let e = rules_from_csv(doc.as_bytes()).expect_err(doc);
        assert_eq!(e.line, line, "{doc}: {e}");
    }
    // A minimal hand-written rules file reads, origin resident.
    let mine =
        rules_from_csv(b"match,pattern,category\ntoken,CHEZ MARCEL,alimentation/restaurants\n")
            .expect("minimal");
    assert_eq!(mine[0].origin, Origin::Resident);

    for (doc, line) in [
        (
            "account,date,amount,label,seq,category,at\nx,2021-09-31,-1.00,L,1,achats,2021-10-03T08:00:00Z\n",
            2,
        ),
        (
            "account,date,amount,label,seq,category,at\nx,2021-09-30,-1.001,L,1,achats,2021-10-03T08:00:00Z\n",
            2,
        ),
        (
            "account,date,amount,label,seq,category,at\nx,2021-09-30,-1.00,L,0,achats,2021-10-03T08:00:00Z\n",
            2,
        ),
        (
            "account,date,amount,label,seq,category,at\n\nx,2021-09-30,-1.00,L,1,achats,\n",
            3,
        ),
        ("account,date,amount,label,seq,category\n", 1),
    ] {
        let e = corrections_from_csv(doc.as_bytes()).expect_err(doc);
        assert_eq!(e.line, line, "{doc}: {e}");
    }
    assert_eq!(corrections_from_csv(b"").expect("empty"), vec![]);
    assert!(corrections_from_csv(b"\xff\xfe garbage").is_err());
}

/// Realistic labels as French banks write them, with the category a
/// person would choose. Some payees come back (a local restaurant, the
/// baker, a person paid by transfer), as they do in a real account.
const LABELLED: &[(&str, &str, i64, &str)] = &[
    (
        "PRLV SEPA EDF CLIENTS PARTICULIERS",
        "ECH/060921 ID EMETTEUR/FR12ZZZ123456",
        -6120,
        "logement/energie/electricite",
    ),
    (
        "PRLV SEPA ENGIE",
        "ID EMETTEUR/FR33ZZZ000001",
        -4800,
        "logement/energie",
    ),
    (
        "PRLV SEPA ENERCOOP",
        "",
        -5500,
        "logement/energie/electricite",
    ),
    ("PRLV SEPA EAU DU GRAND LYON", "", -3010, "logement/eau"),
    ("PRLV SEPA VEOLIA EAU", "", -2870, "logement/eau"),
    (
        "PRLV SEPA ORANGE SA",
        "",
        -3999,
        "logement/internet-telephone",
    ),
    ("PRLV SEPA SFR", "", -2499, "logement/internet-telephone"),
    (
        "PRLV SEPA BOUYGUES TELECOM",
        "",
        -1599,
        "logement/internet-telephone",
    ),
    (
        "PRLV SEPA MAIF",
        "CONTRAT HABITATION 1234567",
        -2600,
        "logement/assurance-habitation",
    ),
    ("PRLV SEPA MATMUT AUTO", "", -3850, "transport/voiture"),
    (
        "VIR LOYER OCTOBRE SCI DUPONT & FILS",
        "",
        -85_000,
        "logement/loyer",
    ),
    ("PRLV SEPA FONCIA", "", -92_000, "logement/loyer"),
    (
        "ECHEANCE PRET IMMO 0012345",
        "",
        -123_456,
        "logement/pret-immobilier",
    ),
    (
        "PRLV SEPA DGFIP TAXE FONCIERE",
        "",
        -80_000,
        "logement/impots-locaux",
    ),
    (
        "PRLV SEPA DGFIP IMPOT PAS",
        "",
        -21_000,
        "impots/impot-revenu",
    ),
    (
        "PAIEMENT PAR CARTE X1234 INTERMARCHE 25/09",
        "",
        -10_452,
        "alimentation/courses",
    ),
    (
        "CARTE 25/09/21 CARREFOUR CITY CB*1234",
        "",
        -1802,
        "alimentation/courses",
    ),
    (
        "CARTE X1234 28/09 LECLERC",
        "CARTE X1234 28/09 LECLERC DRIVE",
        -10_452,
        "alimentation/courses",
    ),
    ("CB LIDL 1234 LYON 03/10", "", -3412, "alimentation/courses"),
    ("CB MONOPRIX 04/10", "", -2290, "alimentation/courses"),
    (
        "CB BIOCOOP CROIX ROUSSE 05/10",
        "",
        -1845,
        "alimentation/courses",
    ),
    (
        "CB PICARD SURGELES 06/10",
        "",
        -2710,
        "alimentation/courses",
    ),
    ("CB M&S FOOD PARIS", "", -1299, "alimentation/courses"),
    (
        "CB BOULANGERIE PAUL 07/10",
        "",
        -480,
        "alimentation/courses",
    ),
    (
        "CB FROMAGERIE DU MARCHE 08/10",
        "",
        -1520,
        "alimentation/courses",
    ),
    (
        "CB FROMAGERIE DU MARCHE 15/10",
        "",
        -1230,
        "alimentation/courses",
    ),
    (
        "CB FROMAGERIE DU MARCHE 22/10",
        "",
        -990,
        "alimentation/courses",
    ),
    (
        "CB CAFÉ DE LA GARE 27/09",
        "",
        -350,
        "alimentation/restaurants",
    ),
    ("CB UBER EATS 14/10", "", -2390, "alimentation/restaurants"),
    ("CB DELIVEROO 15/10", "", -2150, "alimentation/restaurants"),
    (
        "CB MCDONALD'S LYON 16/10",
        "",
        -1120,
        "alimentation/restaurants",
    ),
    (
        "CB LE PETIT BOUCHON 17/10",
        "",
        -4600,
        "alimentation/restaurants",
    ),
    (
        "CB LE PETIT BOUCHON 24/10",
        "",
        -3800,
        "alimentation/restaurants",
    ),
    (
        "CB LE PETIT BOUCHON 31/10",
        "",
        -5200,
        "alimentation/restaurants",
    ),
    ("CB TOTAL ACCESS 18/10", "", -6500, "transport/carburant"),
    ("CB ESSO STATION 19/10", "", -5800, "transport/carburant"),
    (
        "CB SNCF INTERNET 20/10",
        "",
        -5600,
        "transport/transports-en-commun",
    ),
    (
        "PRLV SEPA NAVIGO ANNUEL",
        "",
        -8640,
        "transport/transports-en-commun",
    ),
    (
        "CB TCL LYON 21/10",
        "",
        -6530,
        "transport/transports-en-commun",
    ),
    ("CB VINCI AUTOROUTES 22/10", "", -1270, "transport/voiture"),
    ("CB PARKING INDIGO 23/10", "", -900, "transport/voiture"),
    ("CB GARAGE DU LAC 24/10", "", -32_000, "transport/voiture"),
    ("CB PHARMACIE DU CENTRE 02/10", "", -1250, "sante/soins"),
    ("CB DR MARTIN 10/09", "", -3000, "sante/soins"),
    ("PRLV SEPA HARMONIE MUTUELLE", "", -4500, "sante/mutuelle"),
    (
        "CPAM DU RHONE REMB SOINS DU 100921",
        "",
        1900,
        "sante/remboursements-sante",
    ),
    (
        "VIR HARMONIE MUTUELLE REMBT",
        "",
        800,
        "sante/remboursements-sante",
    ),
    (
        "PRLV SEPA NETFLIX.COM",
        "",
        -1349,
        "loisirs/abonnements-numeriques",
    ),
    (
        "PRLV SEPA SPOTIFY",
        "",
        -1099,
        "loisirs/abonnements-numeriques",
    ),
    (
        "CB DISNEY PLUS 05/10",
        "",
        -899,
        "loisirs/abonnements-numeriques",
    ),
    (
        "CB APPLE.COM/BILL 06/10",
        "",
        -299,
        "loisirs/abonnements-numeriques",
    ),
    (
        "CB CINEMA PATHE 07/10",
        "",
        -1200,
        "loisirs/sorties-voyages",
    ),
    ("CB AIRBNB 08/10", "", -35_000, "loisirs/sorties-voyages"),
    ("CB AMAZON PAYMENTS 02/11", "", -3499, "achats"),
    ("CB FNAC LYON 03/11", "", -2999, "achats"),
    ("CB DECATHLON 04/11", "", -4599, "achats"),
    ("CB IKEA 05/11", "", -12_900, "achats"),
    (
        "CB LEROY MERLIN 06/11",
        "",
        -8990,
        "logement/charges-travaux",
    ),
    (
        "COTISATION CARTE VISA PREMIER",
        "",
        -1350,
        "banque/frais-bancaires",
    ),
    ("FRAIS TENUE DE COMPTE", "", -300, "banque/frais-bancaires"),
    ("VIR SEPA SALAIRE ACME SAS", "", 210_000, "revenus/salaire"),
    (
        "VIR RECU 1234567",
        "DE: ACME SAS MOTIF: SALAIRE SEPTEMBRE",
        210_000,
        "revenus/salaire",
    ),
    (
        "VIR CAF DU RHONE",
        "",
        18_000,
        "revenus/prestations-sociales",
    ),
    ("RETRAIT DAB 25/09 PARIS 11", "", -4000, "especes"),
    ("VIR SEPA MME ROUX GARDE ENFANT", "", -45_000, ""),
    ("VIR SEPA MME ROUX GARDE ENFANT", "", -45_000, ""),
    ("PRLV SEPA BASIC FIT", "", -2499, "loisirs"),
    ("PRLV SEPA BASIC FIT", "", -2499, "loisirs"),
    (
        "CB BOUCHERIE SANCHEZ 09/10",
        "",
        -2340,
        "alimentation/courses",
    ),
    (
        "CB BOUCHERIE SANCHEZ 16/10",
        "",
        -1875,
        "alimentation/courses",
    ),
    ("CB LIBRAIRIE DU GLOBE 11/10", "", -1890, "achats"),
];

/// % categorised and % correct over [`LABELLED`].
fn accuracy(c: &Categoriser) -> (f64, f64) {
    let (mut categorised, mut correct) = (0, 0);
    for (i, (label, memo, amount, expected)) in LABELLED.iter().enumerate() {
        let day = date(2021, 9, 1) + jiff::Span::new().days(i64::try_from(i).unwrap_or(0));
        let d = c.categorise(&tx(day, *amount, label, memo));
        categorised += usize::from(d.category.is_some());
        // "" : no category of the tree fits (a childminder paid by transfer).
        let right = if expected.is_empty() {
            None
        } else {
            Some(*expected)
        };
        if d.category == right {
            correct += 1;
        } else {
            println!(
                "  {label} → {:?} ({})",
                d.category,
                d.why.sentence(Lang::En)
            );
        }
    }
    let n = LABELLED.len() as f64;
    (100.0 * categorised as f64 / n, 100.0 * correct as f64 / n)
}

#[test]
fn starter_rules_categorise_most_realistic_labels_right_and_five_corrections_do_better() {
    assert!(LABELLED.len() >= 60);
    let c = Categoriser::new(&[], &[]);
    let (categorised, correct) = accuracy(&c);
    println!("starter rules: {categorised:.1} % categorised, {correct:.1} % correct");
    // Set from the first run (see the report); a rule change that makes
    // them worse fails here.
    assert!(categorised >= 80.0, "{categorised}");
    assert!(correct >= 83.0, "{correct}");

    // The resident corrects the first five transactions the rules missed or
    // got wrong, for their payee.
    let mut rules: Vec<Rule> = Vec::new();
    let mut corrections: Vec<Correction> = Vec::new();
    let mut made = 0;
    for (i, (label, memo, amount, expected)) in LABELLED.iter().enumerate() {
        if made == 5 {
            break;
        }
        let day = date(2021, 9, 1) + jiff::Span::new().days(i64::try_from(i).unwrap_or(0));
        let t = tx(day, *amount, label, memo);
        let now = Categoriser::new(&rules, &corrections);
        if now.categorise(&t).category == Some(*expected)
            || selfdata_budget::category::find(expected).is_none()
        {
            continue;
        }
        let (correction, rule) = learn(
            &t,
            expected,
            Scope::Payee,
            at("2021-12-01T08:00:00Z") + jiff::SignedDuration::from_secs(made),
        );
        corrections.push(correction);
        if let Some(rule) = rule {
            rules = keep_learned(&rules, &corrections, &t, rule);
        }
        made += 1;
    }
    assert_eq!(made, 5);
    let c = Categoriser::new(&rules, &corrections);
    let (categorised_after, correct_after) = accuracy(&c);
    println!(
        "after 5 corrections: {categorised_after:.1} % categorised, {correct_after:.1} % correct"
    );
    // Each correction taught its payee: more than five transactions fixed.
    assert!(
        correct_after > correct + 5.0 * 100.0 / LABELLED.len() as f64,
        "{correct_after}"
    );
    assert!(correct_after >= 95.0, "{correct_after}");
}

#[test]
fn a_hundred_thousand_transactions_are_categorised_through_their_shapes() {
    let c = Categoriser::new(&[], &[]);
    let mut counts = std::collections::HashMap::<Option<&str>, usize>::new();
    let mut labels = Vec::with_capacity(100_000);
    for i in 0..100_000u32 {
        let (label, memo, _, _) = LABELLED[(i as usize * 7) % LABELLED.len()];
        // Dates and card numbers vary, as they do in real labels.
        let label = label.replace("25/09", &format!("{:02}/{:02}", i % 28 + 1, i % 12 + 1));
        labels.push((label, memo, -i64::from(i % 9000) - 100));
    }
    let first = date(2016, 1, 1);
    let decisions: Vec<Decision> = labels
        .iter()
        .enumerate()
        .map(|(i, (label, memo, amount))| {
            let day = first + jiff::Span::new().days(i64::try_from(i / 27).unwrap_or(0));
            c.categorise(&tx(day, *amount, label, memo))
        })
        .collect();
    for d in &decisions {
        *counts.entry(d.category).or_default() += 1;
    }
    assert_eq!(decisions.len(), 100_000);
    // Remembering shapes changes no answer: a fresh categoriser agrees.
    for (i, (label, memo, amount)) in labels.iter().enumerate().step_by(997) {
        let day = first + jiff::Span::new().days(i64::try_from(i / 27).unwrap_or(0));
        let fresh = Categoriser::new(&[], &[]);
        assert_eq!(
            fresh.categorise(&tx(day, *amount, label, memo)),
            decisions[i],
            "{label}"
        );
    }
    // And the counts per category are those of the labels they were made
    // from: varying dates and amounts moved nothing.
    let fresh = Categoriser::new(&[], &[]);
    let mut expected = std::collections::HashMap::<Option<&str>, usize>::new();
    for i in 0..100_000usize {
        let (label, memo, _, _) = LABELLED[(i * 7) % LABELLED.len()];
        let d = fresh.categorise(&tx(first, -100, label, memo));
        *expected.entry(d.category).or_default() += 1;
    }
    assert_eq!(counts, expected);
    assert!(counts[&Some("alimentation/courses")] > 10_000, "{counts:?}");
}

/// A small deterministic generator, enough to shake the readers.
struct Shaker(u64);

impl Shaker {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[usize::try_from(self.next() % from.len() as u64).unwrap_or(0)]
    }
}

#[test]
fn hand_edited_rules_and_corrections_never_panic_and_bad_ones_name_a_line() {
    let pieces = [
        ",",
        ",,",
        "\"",
        "\"\"",
        "token",
        "ics",
        "prefix",
        "EDF",
        "FR12ZZZ123456",
        "É",
        "€",
        "-1,00",
        "1e9",
        "99999999999999999999",
        "logement/loyer",
        "achats",
        "debit",
        "credit",
        "card",
        "2021-09-26",
        "2021-02-30",
        "2021-10-03T08:00:00Z",
        "learned",
        "resident",
        "\n",
        "\r\n",
        " ",
        "\u{feff}",
        "+",
        "|",
        "\u{a0}",
        "0",
        "1",
    ];
    let rules_header = "id,match,pattern,kind,sign,min,max,category,origin,created\n";
    let corrections_header = "account,date,amount,label,seq,category,at\n";
    let mut s = Shaker(0x9E37_79B9_7F4A_7C15);
    for _ in 0..3000 {
        let mut body = String::new();
        for _ in 0..(s.next() % 40) {
            body.push_str(s.pick(&pieces));
        }
        let lines = body.split('\n').count() + 1;
        for doc in [format!("{rules_header}{body}"), body.clone()] {
            if let Err(e) = rules_from_csv(doc.as_bytes()) {
                assert!(e.line >= 1 && e.line <= lines + 1, "{doc:?}: {e}");
            }
        }
        for doc in [format!("{corrections_header}{body}"), body.clone()] {
            if let Err(e) = corrections_from_csv(doc.as_bytes()) {
                assert!(e.line >= 1 && e.line <= lines + 1, "{doc:?}: {e}");
            }
        }
        // Whatever reads is categorised from without a panic.
        if let Ok(rules) = rules_from_csv(format!("{rules_header}{body}").as_bytes()) {
            let c = Categoriser::new(&rules, &[]);
            let d = c.categorise(&tx(date(2021, 9, 26), -2340, &body, &body));
            let _ = d.why.sentence(Lang::Fr);
        }
    }
}

#[test]
fn a_label_that_names_no_payee_learns_nothing_beyond_the_one_transaction() {
    let when = at("2021-10-03T08:00:00Z");
    // Société Générale: "VIR RECU 1234567", the payee only in the detail.
    let bare = tx(date(2021, 9, 30), 210_000, "VIR RECU 1234567", "");
    let (correction, rule) = learn(&bare, "revenus/salaire", Scope::Payee, when);
    assert_eq!(
        rule, None,
        "a rule on \"VIR RECU\" would take every transfer"
    );
    assert_eq!(correction.category, "revenus/salaire");
    let detailed = tx(
        date(2021, 9, 30),
        210_000,
        "VIR RECU 1234567",
        "DE: ACME SAS MOTIF: PRIME",
    );
    let (_, rule) = learn(&detailed, "revenus/autres-revenus", Scope::Payee, when);
    let rule = rule.expect("a rule on the payee from the detail");
    assert_eq!((rule.by, rule.pattern.as_str()), (Match::Token, "ACME SAS"));
    assert_eq!(rule.sign, Some(Sign::Credit));
}

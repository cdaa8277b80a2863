//! The markup statements (OFX 1 and 2, CAMT.053) against hostile and
//! damaged files: XML bombs and external entities are refused before any
//! expansion, nesting and value sizes are capped and refused with the line,
//! a file cut anywhere is refused (never half-read), and the fuzz target's
//! invariants hold over the fixtures cut at every byte and flipped.

use std::time::{Duration, Instant};

use selfdata_budget::fuzzing::check_import;
use selfdata_budget::import::import;
use selfdata_budget::sources::Lang;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The refusal's line and English sentence.
fn refused(bytes: &[u8]) -> (Option<usize>, String) {
    let r = import(bytes).expect_err("refused");
    (r.error.line(), r.sentence(Lang::En))
}

const MARKUP: [&str; 4] = [
    "ofx1_sgml_cp1252.ofx",
    "ofx2_two_accounts.ofx",
    "camt053_v02.xml",
    "camt053_v08_datetime.xml",
];

#[test]
fn a_camt_with_a_doctype_or_an_entity_bomb_is_refused_quickly() {
    // A quadratic blow-up too: one 2 KiB entity referenced 100,000 times
    // (200 MB if it were expanded).
    let mut quadratic = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Document [<!ENTITY a \"");
    quadratic.push_str(&"a".repeat(2 * 1024));
    quadratic.push_str("\">]>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt><Stmt><Ntry><AddtlNtryInf>");
    quadratic.push_str(&"&a;".repeat(100_000));
    quadratic.push_str("</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>\n");
    for (bytes, name) in [
        (fixture("camt_billion_laughs.xml"), "billion laughs"),
        (fixture("camt_xxe_file.xml"), "external entity"),
        (quadratic.into_bytes(), "quadratic blow-up"),
    ] {
        let started = Instant::now();
        let (line, sentence) = refused(&bytes);
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{name}: {:?}",
            started.elapsed()
        );
        assert_eq!(line, Some(2), "{name}: {sentence}");
        assert!(sentence.contains("never declares a DTD"), "{sentence}");
        assert!(!sentence.contains("root:"), "{sentence}");
    }
}

#[test]
fn a_camt_with_an_undeclared_entity_is_refused_at_its_line() {
    let camt = String::from_utf8(fixture("camt053_v02.xml")).unwrap();
    let bad = camt.replace("VIR SEPA SALAIRE", "VIR &x; SALAIRE");
    let (line, sentence) = refused(bad.as_bytes());
    assert_eq!(line, Some(12), "{sentence}");
    assert!(sentence.contains("unknown entity &x;"), "{sentence}");
}

#[test]
fn an_ofx2_with_a_doctype_is_refused_at_its_line() {
    let ofx = String::from_utf8(fixture("ofx2_two_accounts.ofx")).unwrap();
    let bad = ofx.replacen(
        "<OFX>",
        "<!DOCTYPE OFX [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<OFX>",
        1,
    );
    let (line, sentence) = refused(bad.as_bytes());
    assert_eq!(line, Some(3), "{sentence}");
    assert!(sentence.contains("never declares a DTD"), "{sentence}");
}

#[test]
fn an_ofx_nested_40_levels_deep_is_refused_with_the_line() {
    // <OFX> on line 4 is level 1; level 33 is the 32nd tag below it, line 36.
    let mut ofx = String::from("OFXHEADER:100\nDATA:OFXSGML\n\n<OFX>\n");
    for i in 1..=40 {
        ofx.push_str(&format!("<LEVEL{i}>\n"));
    }
    let (line, sentence) = refused(ofx.as_bytes());
    assert_eq!(line, Some(36), "{sentence}");
    assert!(sentence.contains("more than 32 levels"), "{sentence}");
}

#[test]
fn a_camt_nested_40_levels_deep_is_refused_with_the_line() {
    let mut camt = String::from(
        "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">\n",
    );
    for _ in 0..40 {
        camt.push_str("<BkToCstmrStmt>\n");
    }
    // <Document> is level 1 on line 2; level 33 is on line 34.
    let (line, sentence) = refused(camt.as_bytes());
    assert_eq!(line, Some(34), "{sentence}");
    assert!(sentence.contains("more than 32 levels"), "{sentence}");
}

#[test]
fn an_ofx_value_of_one_megabyte_is_refused_with_the_line() {
    let ofx = fixture("ofx1_sgml_cp1252.ofx");
    let memo = b"<MEMO>ECH/260921 ID EMETTEUR/FR12ZZZ123456";
    let at = ofx.windows(memo.len()).position(|w| w == memo).unwrap() + 6;
    let mut big = ofx[..at].to_vec();
    big.extend(std::iter::repeat_n(b'X', 1 << 20));
    big.extend_from_slice(&ofx[at..]);
    let started = Instant::now();
    let (line, sentence) = refused(&big);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(line, Some(17), "{sentence}");
    assert!(sentence.contains("longer than 4 KiB"), "{sentence}");
}

#[test]
fn a_camt_text_of_one_megabyte_is_refused_with_the_line() {
    let camt = String::from_utf8(fixture("camt053_v02.xml")).unwrap();
    let big = camt.replace(
        "VIR SEPA SALAIRE ACME SAS",
        &"VIR SEPA SALAIRE ACME SAS".repeat(40_000),
    );
    let (line, sentence) = refused(big.as_bytes());
    assert_eq!(line, Some(12), "{sentence}");
    assert!(sentence.contains("more than 4 KiB"), "{sentence}");
}

#[test]
fn an_ofx_that_says_utf8_but_is_not_is_refused_at_the_line() {
    let ofx = fixture("ofx1_sgml_cp1252.ofx");
    let header = b"CHARSET:1252";
    let at = ofx.windows(header.len()).position(|w| w == header).unwrap();
    let mut bad = ofx[..at].to_vec();
    bad.extend_from_slice(b"CHARSET:UTF-8");
    bad.extend_from_slice(&ofx[at + header.len()..]);
    // The first 0xC9 (É, Windows-1252) is on line 18.
    let (line, sentence) = refused(&bad);
    assert_eq!(line, Some(18), "{sentence}");
    assert!(sentence.contains("UTF-8"), "{sentence}");
}

#[test]
fn a_markup_statement_cut_anywhere_is_refused_never_half_read() {
    for name in MARKUP {
        let whole = fixture(name);
        let end = whole.trim_ascii_end().len();
        assert!(import(&whole).is_ok(), "{name}");
        for cut in 0..end {
            if let Ok(p) = import(&whole[..cut]) {
                panic!("{name} cut at byte {cut} was read: {} rows", p.rows);
            }
        }
    }
}

#[test]
fn the_fuzz_invariants_hold_over_every_fixture_cut_and_flipped() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.to_string_lossy().ends_with(".expected.json") {
            check_import(&std::fs::read(path).unwrap());
        }
    }
    for name in MARKUP {
        let whole = fixture(name);
        for cut in 0..whole.len() {
            check_import(&whole[..cut]);
        }
        for i in (0..whole.len()).step_by(3) {
            let mut flipped = whole.clone();
            flipped[i] ^= 0x5A;
            check_import(&flipped);
        }
    }
}

fn ofx_with(fi: &str, account: &str) -> String {
    format!(
        "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><SIGNONMSGSRSV1><SONRS>{fi}</SONRS></SIGNONMSGSRSV1>\n\
         <BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>EUR\n{account}\n<BANKTRANLIST>\n\
         <STMTTRN><TRNTYPE>ATM<DTPOSTED>20211004<TRNAMT>-40.00<NAME>RETRAIT DAB</STMTTRN>\n\
         <STMTTRN><TRNTYPE>POS<DTPOSTED>20211005<TRNAMT>-10.00<NAME>AMAZON<CURRENCY><CURSYM>USD<CURRATE>1.1</CURRENCY></STMTTRN>\n\
         </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n"
    )
}

fn camt_with(account: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\"><BkToCstmrStmt>\n\
         <Stmt><Acct>{account}</Acct>\n\
         <Ntry><Amt Ccy=\"EUR\">40.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2021-10-04</Dt></BookgDt>\
         <BkTxCd><Domn><Fmly><Cd>CCRD</Cd><SubFmlyCd>CWDL</SubFmlyCd></Fmly></Domn></BkTxCd><AddtlNtryInf>RETRAIT DAB</AddtlNtryInf></Ntry>\n\
         </Stmt></BkToCstmrStmt></Document>\n"
    )
}

#[test]
fn the_bank_is_named_from_the_file_or_by_its_code_or_by_the_layout() {
    let account = "<BANKACCTFROM><BANKID>99999<BRANCHID>00001<ACCTID>123</BANKACCTFROM>";
    let cases = [
        (ofx_with("", account), "bank-99999", "Bank 99999"),
        (
            ofx_with("<FI><ORG>Banque d'Exemple<FID>1</FI>", account),
            "banque-d-exemple",
            "Banque d'Exemple",
        ),
        (
            ofx_with(
                "<FI><ORG>BNPP<FID>1</FI>",
                &account.replace("99999", "30004"),
            ),
            "bnp-paribas",
            "BNP Paribas",
        ),
        (
            ofx_with("", "<CCACCTFROM><ACCTID>4970</CCACCTFROM>").replace("STMTRS>", "CCSTMTRS>"),
            "ofx",
            "OFX",
        ),
        (
            camt_with("<Id><IBAN>FR7630004012340001234567806</IBAN></Id>"),
            "bnp-paribas",
            "BNP Paribas",
        ),
        (
            camt_with("<Id><IBAN>FR7699999012340001234567806</IBAN></Id>"),
            "bank-99999",
            "Bank 99999",
        ),
        (
            camt_with("<Id><IBAN>DE89370400440532013000</IBAN></Id>"),
            "camt",
            "CAMT",
        ),
    ];
    for (file, slug, name) in cases {
        let p = import(file.as_bytes()).unwrap_or_else(|r| panic!("{r}\n{file}"));
        assert_eq!(
            (p.holder.slug.as_str(), p.holder.name.as_str()),
            (slug, name)
        );
        let t = &p.statements[0].transactions[0];
        assert_eq!(t.kind, selfdata_budget::Kind::Cash, "{file}");
        assert_eq!(t.amount, -4000);
    }
}

#[test]
fn an_ofx_transaction_in_another_currency_keeps_it() {
    let p = import(ofx_with("", "").as_bytes()).unwrap();
    let t = &p.statements[0].transactions;
    assert_eq!((t[0].currency, t[1].currency), ("EUR", "USD"));
    assert_eq!(t[1].kind, selfdata_budget::Kind::Card);
}

#[test]
fn a_camt_052_or_054_report_is_not_taken_for_a_statement() {
    let camt = String::from_utf8(fixture("camt053_v02.xml")).unwrap();
    for (ns, root) in [
        ("camt.052.001.02", "BkToCstmrAcctRpt"),
        ("camt.054.001.02", "BkToCstmrDbtCdtNtfctn"),
    ] {
        let other = camt
            .replace("camt.053.001.02", ns)
            .replace("BkToCstmrStmt", root);
        let r = import(other.as_bytes()).expect_err("refused");
        assert_eq!(
            r.error,
            selfdata_budget::sources::ImportError::Unrecognised,
            "{ns}"
        );
    }
}

#[test]
fn a_bad_booking_date_is_refused_at_its_line() {
    let ofx = fixture("ofx1_sgml_cp1252.ofx");
    let posted = b"<DTPOSTED>20210926";
    let at = ofx.windows(posted.len()).position(|w| w == posted).unwrap();
    let mut bad = ofx.clone();
    bad[at + posted.len() - 2..at + posted.len()].copy_from_slice(b"31");
    let (line, sentence) = refused(&bad);
    assert_eq!(line, Some(17), "{sentence}");
    assert!(sentence.contains("20210931"), "{sentence}");

    let camt = String::from_utf8(fixture("camt053_v02.xml")).unwrap();
    let bad = camt.replacen("<Dt>2021-09-26</Dt>", "<Dt>26/09/2021</Dt>", 1);
    let (line, sentence) = refused(bad.as_bytes());
    assert_eq!(line, Some(8), "{sentence}");
    assert!(sentence.contains("26/09/2021"), "{sentence}");
}

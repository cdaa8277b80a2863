//! The signed delivery receipt a holder gets for each push.
//!
//! Its text is a C2SP signed note, one fact per line, signed by the
//! server's receipt key (Ed25519), so that the holder can keep it as proof
//! of what it sent and under which consents, and check it offline:
//!
//! ```text
//! selfdata delivery receipt
//! server pods.example.org
//! holder eau-grand-lyon
//! push 3f9c…
//! key 2026-12-05-daily
//! received 2026-12-05T06:00:00Z
//! file-sha256 9a1b…
//! rows 1000
//! delivered 300
//! skipped 699
//! failed 1
//! failure 17 The daily consumption is not a number (“abc”).
//!
//! — pods.example.org/receipts Ab12Cd…
//! ```
//!
//! `delivered`, `skipped` and `failed` count customers: delivered to their
//! pod, skipped because they did not consent (their rows were dropped
//! unread), or not delivered because a row of theirs is wrong (named by
//! its line in the pushed file). Rows naming no customer are failures too.
//! Skipped customers are only counted: nothing of theirs is written back.
//!
//! A push of one file per customer (a multipart body) is counted in parts
//! instead: its receipt says `parts 10` where a CSV's says `rows 1000`,
//! and the number after each `failure` is then the part's index (1 for
//! the first file of the body), a part whose customer cannot be read
//! counting as a failure. That line is the receipt's [`Unit`]; a receipt
//! without it is one of rows.

use jiff::Timestamp;
use selfdata_translog::{CheckpointError, LogSigner, LogVerifier};

const TITLE: &str = "selfdata delivery receipt";

/// A failure: where in the push, and why, in a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The line of the pushed file, or the index of the part (1-based)
    /// when the receipt counts parts ([`Unit`]).
    pub line: u64,
    pub why: String,
}

/// What a push is counted in, and what its failures are numbered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unit {
    /// The rows of one CSV, failures by line (`rows` in the text).
    #[default]
    Line,
    /// The files of a multipart body, one per customer, failures by part
    /// (`parts` in the text).
    Part,
}

impl Unit {
    /// Its name in the receipt's text and the push's JSON answer.
    pub fn count_name(self) -> &'static str {
        match self {
            Unit::Line => "rows",
            Unit::Part => "parts",
        }
    }

    /// The name of a failure's position in the push's JSON answer.
    pub fn position_name(self) -> &'static str {
        match self {
            Unit::Line => "line",
            Unit::Part => "part",
        }
    }
}

/// What a push delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The server's host name.
    pub server: String,
    pub holder: String,
    /// The push's own id.
    pub push: String,
    /// The holder's idempotency key.
    pub key: String,
    pub received: Timestamp,
    /// SHA-256 of the file as received, hex.
    pub file_sha256: String,
    /// What `rows` counts and failures are numbered by.
    pub unit: Unit,
    /// Rows after the header, or parts of the body ([`Unit`]).
    pub rows: u64,
    pub delivered: u64,
    pub skipped: u64,
    pub failed: u64,
    /// The failures by line or part (the first 1,000).
    pub failures: Vec<Failure>,
}

/// Why a receipt was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("{0}")]
    Signature(#[from] CheckpointError),
    #[error("This is not a selfdata delivery receipt: {0}.")]
    Malformed(String),
}

/// A text made one line: line ends and control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

impl Receipt {
    /// The text that is signed.
    pub fn body(&self) -> String {
        let mut out = format!(
            "{TITLE}\nserver {}\nholder {}\npush {}\nkey {}\nreceived {}\nfile-sha256 {}\n{} {}\ndelivered {}\nskipped {}\nfailed {}\n",
            one_line(&self.server),
            one_line(&self.holder),
            one_line(&self.push),
            one_line(&self.key),
            self.received,
            one_line(&self.file_sha256),
            self.unit.count_name(),
            self.rows,
            self.delivered,
            self.skipped,
            self.failed
        );
        for f in &self.failures {
            let why = one_line(&f.why);
            out.push_str(&format!("failure {} {why}\n", f.line));
        }
        out
    }

    /// The signed note.
    pub fn sign(&self, signer: &LogSigner) -> String {
        signer.sign_note(&self.body())
    }

    /// Checks a signed receipt against the server's verifier key and reads it.
    pub fn verify(note: &str, verifier: &LogVerifier) -> Result<Receipt, ReceiptError> {
        let body = verifier.verify_note(note)?;
        Receipt::parse_body(body)
    }

    /// Reads a receipt's text (unsigned).
    pub fn parse_body(body: &str) -> Result<Receipt, ReceiptError> {
        let bad = |why: &str| ReceiptError::Malformed(why.to_owned());
        let mut lines = body.lines();
        if lines.next() != Some(TITLE) {
            return Err(bad("its first line is not “selfdata delivery receipt”"));
        }
        fn field<'a>(lines: &mut std::str::Lines<'a>, name: &str) -> Result<&'a str, ReceiptError> {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .ok_or_else(|| ReceiptError::Malformed(format!("the line “{name}” is missing")))
        }
        fn count(lines: &mut std::str::Lines<'_>, name: &str) -> Result<u64, ReceiptError> {
            field(lines, name)?
                .parse()
                .map_err(|_| ReceiptError::Malformed(format!("“{name}” is not a count")))
        }
        let server = field(&mut lines, "server")?.to_owned();
        let holder = field(&mut lines, "holder")?.to_owned();
        let push = field(&mut lines, "push")?.to_owned();
        let key = field(&mut lines, "key")?.to_owned();
        let received = field(&mut lines, "received")?
            .parse()
            .map_err(|_| bad("the time received is not a time"))?;
        let file_sha256 = field(&mut lines, "file-sha256")?.to_owned();
        let (unit, rows) = match lines.next().and_then(|l| l.split_once(' ')) {
            Some(("rows", n)) => (Unit::Line, n),
            Some(("parts", n)) => (Unit::Part, n),
            _ => return Err(bad("the line “rows” (or “parts”) is missing")),
        };
        let rows = rows
            .parse()
            .map_err(|_| bad("“rows” (or “parts”) is not a count"))?;
        let delivered = count(&mut lines, "delivered")?;
        let skipped = count(&mut lines, "skipped")?;
        let failed = count(&mut lines, "failed")?;
        let mut failures = Vec::new();
        for l in lines {
            let Some((line, why)) = l.strip_prefix("failure ").and_then(|r| r.split_once(' '))
            else {
                return Err(bad("a line after the counts is not a failure"));
            };
            failures.push(Failure {
                line: line
                    .parse()
                    .map_err(|_| bad("a failure's line is not a number"))?,
                why: why.to_owned(),
            });
        }
        Ok(Receipt {
            server,
            holder,
            push,
            key,
            received,
            file_sha256,
            unit,
            rows,
            delivered,
            skipped,
            failed,
            failures,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt() -> Receipt {
        Receipt {
            server: "pods.example.org".into(),
            holder: "eau".into(),
            push: "p1".into(),
            key: "k1".into(),
            received: "2026-12-05T06:00:00Z".parse().unwrap(),
            file_sha256: "ab".into(),
            unit: Unit::Line,
            rows: 10,
            delivered: 3,
            skipped: 6,
            failed: 1,
            failures: vec![Failure {
                line: 7,
                why: "not a number\n(“x”)".into(),
            }],
        }
    }

    #[test]
    fn a_signed_receipt_verifies_and_reads_back() {
        let signer = LogSigner::from_seed("pods.example.org/receipts", &[7; 32]).unwrap();
        let note = receipt().sign(&signer);
        let verifier = LogVerifier::parse(&signer.verifier_key()).unwrap();
        let back = Receipt::verify(&note, &verifier).unwrap();
        let mut expected = receipt();
        expected.failures[0].why = "not a number (“x”)".into();
        assert_eq!(back, expected);
    }

    #[test]
    fn a_changed_count_or_another_key_is_refused() {
        let signer = LogSigner::from_seed("pods.example.org/receipts", &[7; 32]).unwrap();
        let note = receipt()
            .sign(&signer)
            .replace("delivered 3", "delivered 4");
        let verifier = LogVerifier::parse(&signer.verifier_key()).unwrap();
        assert!(matches!(
            Receipt::verify(&note, &verifier),
            Err(ReceiptError::Signature(CheckpointError::BadSignature(_)))
        ));
        let other = LogSigner::from_seed("pods.example.org/receipts", &[8; 32]).unwrap();
        let note = receipt().sign(&signer);
        assert!(
            Receipt::verify(&note, &LogVerifier::parse(&other.verifier_key()).unwrap()).is_err()
        );
    }

    #[test]
    fn a_receipt_of_parts_says_so_and_reads_back() {
        let mut r = receipt();
        r.unit = Unit::Part;
        let body = r.body();
        assert!(
            body.contains("\nparts 10\n") && !body.contains("rows"),
            "{body}"
        );
        assert_eq!(Receipt::parse_body(&body).unwrap().unit, Unit::Part);
        // A receipt written before parts existed still reads as rows.
        let rows = receipt().body();
        assert!(rows.contains("\nrows 10\n"));
        assert_eq!(Receipt::parse_body(&rows).unwrap().unit, Unit::Line);
    }

    #[test]
    fn a_text_that_is_not_a_receipt_is_refused_in_words() {
        assert!(Receipt::parse_body("hello\n").is_err());
        assert!(Receipt::parse_body("selfdata delivery receipt\nserver x\n").is_err());
    }
}

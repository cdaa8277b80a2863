//! A data holder's push, without IO.
//!
//! A holder (the water service, an energy distributor) gives data back by
//! pushing the export it already makes, covering many customers at once:
//! one daily CSV for every meter, with a column naming the customer. This
//! crate reads that file as it streams ([`split::Splitter`]): each row is
//! routed by its customer identifier ([`identifier`]), kept only when the
//! caller says that customer consented, and dropped at once otherwise, so
//! a customer who did not consent is never held beyond the row being read.
//! What is kept becomes one file per customer in the holder's own layout
//! (the identifier column removed), which the pod imports through the
//! service that knows that layout, as if the resident had uploaded it.
//!
//! A holder may instead push one file per customer (a meter's Enedis
//! export, an account's OFX statement), many at once: each file's customer
//! is read from its content ([`identify`]), from its first bytes, so that
//! the file of a customer who did not consent is dropped as it streams by.
//!
//! Each push is answered with a [`receipt::Receipt`]: how many customers
//! were delivered, skipped for lack of consent or failed (by line of the
//! CSV, or by part of a push of files, without naming any skipped customer), signed by the server in the C2SP
//! signed-note form so that the holder can prove later what it sent under
//! which consent, and check it offline (`selfdata receipt verify`).

pub mod fuzzing;
pub mod identify;
pub mod receipt;
pub mod signing;
pub mod split;

use sha2::{Digest, Sha256};

/// A customer identifier as compared: spaces, dots and dashes removed,
/// letters upper-cased (`09 123-456` and `09123456` are one meter).
pub fn identifier(raw: &str) -> String {
    raw.chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '.' | '-' | '\u{a0}' | '\u{202f}')))
        .flat_map(char::to_uppercase)
        .collect()
}

/// What the registry keeps of a customer's identifier at a holder: the
/// SHA-256 of the holder's id and the normalised identifier.
pub fn customer_key(holder_id: &str, raw_identifier: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(holder_id.as_bytes());
    h.update([0]);
    h.update(identifier(raw_identifier).as_bytes());
    h.finalize().into()
}

/// What the registry keeps of a holder's client secret: its SHA-256.
pub fn secret_hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Whether `secret` is the one whose [`secret_hash`] is `kept`, every byte
/// compared whatever the first difference (constant time).
pub fn secret_matches(secret: &str, kept: &[u8; 32]) -> bool {
    secret_hash(secret)
        .iter()
        .zip(kept)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// Whether `id` can name a holder (letters, digits and `-`, 2 to 40 long).
pub fn valid_holder_id(id: &str) -> bool {
    (2..=40).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

/// Whether `key` can be an idempotency key: 1 to 128 visible ASCII
/// characters, no space.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_hash_only() {
        let kept = secret_hash("s3cret");
        assert!(secret_matches("s3cret", &kept));
        assert!(!secret_matches("s3cres", &kept));
        assert!(!secret_matches("", &kept));
    }

    #[test]
    fn identifiers_written_differently_are_one_customer() {
        assert_eq!(identifier(" 09 123-456 "), "09123456");
        assert_eq!(identifier("ab\u{a0}12.3"), "AB123");
        assert_eq!(
            customer_key("eau", "09 123 456"),
            customer_key("eau", "09123456")
        );
        assert_ne!(customer_key("eau", "1"), customer_key("gaz", "1"));
    }

    #[test]
    fn holder_ids_and_keys_are_checked() {
        assert!(valid_holder_id("eau-grand-lyon"));
        assert!(!valid_holder_id("Eau"));
        assert!(!valid_holder_id("-x"));
        assert!(valid_idempotency_key("2026-12-05/run-1"));
        assert!(!valid_idempotency_key("with space"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key(&"k".repeat(129)));
    }
}

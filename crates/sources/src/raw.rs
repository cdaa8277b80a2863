//! How an original file is named where it is kept, under its holder's
//! `raw/` container: the Paris days it covers and a content hash, so the same
//! file imported twice has one name and two files never share one.

use jiff::{SignedDuration, Timestamp};

use crate::time::local_date;

/// The name of an original file: `2025-01-01_2025-01-31-0123456789ab.csv`,
/// from the first reading's start, the last reading's end (an end at midnight
/// belongs to the day before), the first 12 hex digits of the content's
/// SHA-256 (handed in: the file may be too large to hold) and the layout's extension. Without readings the days are empty.
pub fn raw_file_name(
    first: Option<Timestamp>,
    last: Option<Timestamp>,
    sha256: &[u8; 32],
    extension: &str,
) -> String {
    let hash = hex::encode(sha256);
    let first = first.map(|t| local_date(t).to_string()).unwrap_or_default();
    let last = last
        .map(|t| local_date(t.checked_sub(SignedDuration::from_secs(1)).unwrap_or(t)).to_string())
        .unwrap_or_default();
    format!("{first}_{last}-{}.{extension}", &hash[..12])
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn names_say_the_paris_days_and_the_content() {
        let a: Timestamp = "2024-12-31T23:00:00Z".parse().unwrap();
        let b: Timestamp = "2025-01-31T23:00:00Z".parse().unwrap();
        let sha = |b: &[u8]| <[u8; 32]>::from(Sha256::digest(b));
        let name = raw_file_name(Some(a), Some(b), &sha(b"x"), "csv");
        assert!(name.starts_with("2025-01-01_2025-01-31-"), "{name}");
        assert!(name.ends_with(".csv"));
        assert_ne!(name, raw_file_name(Some(a), Some(b), &sha(b"y"), "csv"));
        assert_eq!(name, raw_file_name(Some(a), Some(b), &sha(b"x"), "csv"));
    }
}

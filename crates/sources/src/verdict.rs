//! Decisions the import contract takes to protect a resident's data, pure so
//! that every domain takes them the same way and tests check them alone:
//! - [`identity`]: whether a file's meter or account is the one already in
//!   the pod (a different one is kept apart until the resident confirms it);
//! - [`coverage`]: whether a file holds the whole period it declares (a file
//!   cut short is reported as partial, never as complete);
//! - [`Tally`]: the summary of a batch of files ("2 files imported, 1 refused").

use jiff::Timestamp;

use crate::contract::Lang;

/// How a file's identifier compares with those already in the pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The pod knows no identifier yet: the file's becomes the pod's.
    First,
    /// The file names one of the pod's identifiers.
    Same,
    /// The file names none: nothing to compare.
    Unnamed,
    /// The file names another meter or account: not merged until the resident confirms.
    Different { known: Vec<String>, found: String },
}

impl Identity {
    /// Whether the file may be merged without asking the resident.
    pub fn may_merge(&self) -> bool {
        !matches!(self, Identity::Different { .. })
    }
}

/// An identifier as compared: without spaces and line ends around or inside
/// (holders print a PRM as `12345678901234` or `123 456 789 01234`).
fn normal(id: &str) -> String {
    id.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Compares the identifier a file names (`found`) with those the pod already holds.
pub fn identity(known: &[String], found: Option<&str>) -> Identity {
    let Some(found) = found.filter(|f| !normal(f).is_empty()) else {
        return Identity::Unnamed;
    };
    let known: Vec<String> = known
        .iter()
        .filter(|k| !normal(k).is_empty())
        .cloned()
        .collect();
    if known.is_empty() {
        Identity::First
    } else if known.iter().any(|k| normal(k) == normal(found)) {
        Identity::Same
    } else {
        Identity::Different {
            known,
            found: found.to_owned(),
        }
    }
}

/// Whether the readings of a file cover the period the file declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The file declares no period, or its readings reach both ends.
    Whole,
    /// The readings stop before the declared end (or start after the
    /// declared start): the file was cut or the holder sent less.
    Partial {
        declared_start: Timestamp,
        declared_end: Timestamp,
        first: Timestamp,
        last: Timestamp,
    },
}

impl Coverage {
    pub fn is_partial(&self) -> bool {
        matches!(self, Coverage::Partial { .. })
    }
}

/// Compares the declared period `[start, end)` with the readings' span `[first, last)`.
pub fn coverage(
    declared: Option<(Timestamp, Timestamp)>,
    first: Option<Timestamp>,
    last: Option<Timestamp>,
) -> Coverage {
    match (declared, first, last) {
        (Some((start, end)), Some(first), Some(last))
            if start < end && (last < end || first > start) =>
        {
            Coverage::Partial {
                declared_start: start,
                declared_end: end,
                first,
                last,
            }
        }
        _ => Coverage::Whole,
    }
}

/// What became of each file of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Merged whole.
    pub imported: usize,
    /// Merged, but holding less than the period they declare.
    pub partial: usize,
    /// Kept apart: they name another meter or account.
    pub kept_apart: usize,
    /// Not imported (unreadable, empty, damaged).
    pub refused: usize,
}

fn count(lang: Lang, n: usize, en: (&str, &str), fr: (&str, &str)) -> String {
    let (one, many) = match lang {
        Lang::En => en,
        Lang::Fr => fr,
    };
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

impl Tally {
    pub fn files(&self) -> usize {
        self.imported + self.partial + self.kept_apart + self.refused
    }

    /// "2 files imported, 1 refused", naming only what happened (and
    /// "0 files imported" when nothing did).
    pub fn sentence(&self, lang: Lang) -> String {
        let mut parts = Vec::new();
        if self.imported > 0 || self.files() == 0 {
            parts.push(count(
                lang,
                self.imported,
                ("file imported", "files imported"),
                ("fichier importé", "fichiers importés"),
            ));
        }
        if self.partial > 0 {
            parts.push(count(
                lang,
                self.partial,
                ("imported in part", "imported in part"),
                ("importé en partie", "importés en partie"),
            ));
        }
        if self.kept_apart > 0 {
            parts.push(count(
                lang,
                self.kept_apart,
                ("kept apart", "kept apart"),
                ("mis de côté", "mis de côté"),
            ));
        }
        if self.refused > 0 {
            parts.push(count(
                lang,
                self.refused,
                ("refused", "refused"),
                ("refusé", "refusés"),
            ));
        }
        let mut s = parts.join(", ");
        // Only the first part names the files.
        if self.imported == 0 && self.files() > 0 {
            let files = match (lang, self.files()) {
                (Lang::En, 1) => "1 file: ".to_owned(),
                (Lang::En, n) => format!("{n} files: "),
                (Lang::Fr, 1) => "1 fichier : ".to_owned(),
                (Lang::Fr, n) => format!("{n} fichiers : "),
            };
            s.insert_str(0, &files);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_file_for_another_meter_is_not_merged_silently() {
        let known = vec!["12345678901234".to_owned()];
        assert_eq!(identity(&known, Some("123 456 789 01234")), Identity::Same);
        assert_eq!(identity(&[], Some("12345678901234")), Identity::First);
        assert_eq!(identity(&known, None), Identity::Unnamed);
        let other = identity(&known, Some("99999999999999"));
        assert!(!other.may_merge());
        assert_eq!(
            other,
            Identity::Different {
                known,
                found: "99999999999999".into()
            }
        );
    }

    #[test]
    fn a_file_that_ends_before_its_declared_period_is_partial() {
        let declared = Some((t("2025-01-01T00:00:00Z"), t("2025-02-01T00:00:00Z")));
        let cut = coverage(
            declared,
            Some(t("2025-01-01T00:00:00Z")),
            Some(t("2025-01-10T00:00:00Z")),
        );
        assert!(cut.is_partial());
        let whole = coverage(
            declared,
            Some(t("2025-01-01T00:00:00Z")),
            Some(t("2025-02-01T00:00:00Z")),
        );
        assert_eq!(whole, Coverage::Whole);
        assert_eq!(coverage(None, None, None), Coverage::Whole);
    }

    #[test]
    fn the_summary_counts_successes_and_failures() {
        let tally = Tally {
            imported: 2,
            refused: 1,
            ..Tally::default()
        };
        assert_eq!(tally.sentence(Lang::En), "2 files imported, 1 refused");
        assert_eq!(tally.sentence(Lang::Fr), "2 fichiers importés, 1 refusé");
        let tally = Tally {
            refused: 2,
            kept_apart: 1,
            ..Tally::default()
        };
        assert_eq!(tally.sentence(Lang::En), "3 files: 1 kept apart, 2 refused");
        assert_eq!(Tally::default().sentence(Lang::En), "0 files imported");
    }
}

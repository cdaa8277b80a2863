//! The import contract: an [`Importer`] recognises a file by its content,
//! parses it whole, and when it cannot, fails with an [`ImportError`] that
//! names the line. [`import`] runs the first importer that recognises a file
//! and turns a failure into a [`Refusal`], which says in plain French and
//! English which holder's export was expected and where a resident downloads
//! it (never a column name in backticks).

use std::fmt;

/// The language a sentence is written in for a resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fr,
}

/// The months' names, January first.
const MONTHS: [(&str, &str); 12] = [
    ("January", "janvier"),
    ("February", "février"),
    ("March", "mars"),
    ("April", "avril"),
    ("May", "mai"),
    ("June", "juin"),
    ("July", "juillet"),
    ("August", "août"),
    ("September", "septembre"),
    ("October", "octobre"),
    ("November", "novembre"),
    ("December", "décembre"),
];

impl Lang {
    /// The name of a month (1–12) in this language; "?" out of range.
    pub fn month(self, month: i8) -> &'static str {
        let Some(&(en, fr)) = usize::try_from(month - 1).ok().and_then(|i| MONTHS.get(i)) else {
            return "?";
        };
        match self {
            Lang::En => en,
            Lang::Fr => fr,
        }
    }

    /// `fr` gives French, anything else English.
    pub fn from_code(code: &str) -> Lang {
        if code.eq_ignore_ascii_case("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }
}

/// An export a resident can get back from a holder, told as a resident reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// The holder's name, as the resident knows it ("Enedis").
    pub holder: &'static str,
    /// What the export is, in English ("an Enedis export of your electricity readings").
    pub what_en: &'static str,
    pub what_fr: &'static str,
    /// Where a resident downloads it, in English.
    pub where_en: &'static str,
    pub where_fr: &'static str,
}

impl Expected {
    /// "an Enedis export …, downloaded from …".
    pub fn sentence(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!("{}, downloaded from {}", self.what_en, self.where_en),
            Lang::Fr => format!("{}, à télécharger sur {}", self.what_fr, self.where_fr),
        }
    }
}

/// Why a file could not be imported. Names the line (1-based, counting every
/// line of the file) when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// No importer recognised the content.
    #[error("this file is not an export selfdata can read")]
    Unrecognised,
    #[error("line {line}: {message}")]
    AtLine { line: usize, message: String },
    #[error("{0}")]
    Invalid(String),
    /// The file was read but holds no readings.
    #[error("the file holds no readings")]
    Empty,
    /// The file has no content at all (0 bytes, or only spaces and line ends).
    #[error("the file is empty")]
    EmptyFile,
    /// A refusal the importer put in words itself, in both languages (an
    /// archive's reader says which entry is unsafe and why).
    #[error("{en}")]
    Said { en: String, fr: String },
    /// Larger than this kind of file is read whole (`max` bytes).
    #[error("this file is too large for its kind: at most {} MiB", max / (1024 * 1024))]
    TooLarge { max: u64 },
}

impl ImportError {
    pub fn at(line: usize, message: impl Into<String>) -> Self {
        ImportError::AtLine {
            line,
            message: message.into(),
        }
    }

    /// The line the error is on, when there is one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ImportError::AtLine { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The error for a resident. The importers' own details (after the line
    /// number) are in English.
    pub fn sentence(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, e) => e.to_string(),
            (Lang::Fr, ImportError::Unrecognised) => {
                "ce fichier n’est pas un export que selfdata sait lire".into()
            }
            (Lang::Fr, ImportError::AtLine { line, message }) => {
                format!("ligne {line} : {message}")
            }
            (Lang::Fr, ImportError::Invalid(m)) => m.clone(),
            (Lang::Fr, ImportError::Empty) => "le fichier ne contient aucun relevé".into(),
            (Lang::Fr, ImportError::EmptyFile) => "le fichier est vide".into(),
            (Lang::Fr, ImportError::Said { fr, .. }) => fr.clone(),
            (Lang::Fr, ImportError::TooLarge { max }) => format!(
                "ce fichier est trop gros pour ce type d’export : {} Mio au plus",
                max / (1024 * 1024)
            ),
        }
    }
}

/// Reads one kind of file a holder hands back.
pub trait Importer {
    /// What a parsed file gives (the domain's own type).
    type Output;

    /// The export this importer reads and where a resident downloads it.
    fn expected(&self) -> &'static Expected;

    /// Whether the content is this importer's (judged from the content, never the name).
    fn detect(&self, bytes: &[u8]) -> bool;

    /// Parses the whole file, or fails with the line. Never panics.
    fn parse(&self, bytes: &[u8]) -> Result<Self::Output, ImportError>;
}

/// A file refused, with the exports that were expected instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub error: ImportError,
    /// The export the file was taken for, or every export known when none recognised it.
    pub expected: Vec<&'static Expected>,
}

impl Refusal {
    /// The refusal for a resident: what went wrong, then what was expected and where to get it.
    pub fn sentence(&self, lang: Lang) -> String {
        let error = self.error.sentence(lang);
        if self.expected.is_empty() {
            return format!("{error}.");
        }
        let list: Vec<String> = self.expected.iter().map(|e| e.sentence(lang)).collect();
        let list = list.join(match lang {
            Lang::En => "; or ",
            Lang::Fr => " ; ou ",
        });
        // "Looks like" only for a file taken for one export; a file no
        // importer recognised is told what selfdata reads, even if that is one.
        let taken = !matches!(
            self.error,
            ImportError::Unrecognised | ImportError::EmptyFile
        ) && self.expected.len() == 1;
        match (lang, taken) {
            (Lang::En, true) => format!("{error}. This looks like {list}."),
            (Lang::Fr, true) => format!("{error}. Ce fichier ressemble à {list}."),
            (Lang::En, false) => format!("{error}. selfdata reads {list}."),
            (Lang::Fr, false) => format!("{error}. selfdata lit {list}."),
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sentence(Lang::En))
    }
}

impl std::error::Error for Refusal {}

/// Whether a file has no content: nothing but spaces, line ends and a BOM.
pub fn is_blank(bytes: &[u8]) -> bool {
    let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    rest.iter().all(u8::is_ascii_whitespace)
}

/// Every export the importers read, once each, in their order.
pub fn expected_of<O>(importers: &[&dyn Importer<Output = O>]) -> Vec<&'static Expected> {
    let mut out: Vec<&'static Expected> = Vec::new();
    for e in importers.iter().map(|i| i.expected()) {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

/// Runs the first importer that recognises `bytes`.
pub fn import<O>(importers: &[&dyn Importer<Output = O>], bytes: &[u8]) -> Result<O, Refusal> {
    if is_blank(bytes) {
        return Err(Refusal {
            error: ImportError::EmptyFile,
            expected: expected_of(importers),
        });
    }
    let Some(importer) = importers.iter().find(|i| i.detect(bytes)) else {
        return Err(Refusal {
            error: ImportError::Unrecognised,
            expected: expected_of(importers),
        });
    };
    importer.parse(bytes).map_err(|error| Refusal {
        error,
        expected: vec![importer.expected()],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    static LINES: Expected = Expected {
        holder: "Lines",
        what_en: "a file of numbered lines",
        what_fr: "un fichier de lignes numérotées",
        where_en: "lines.example",
        where_fr: "lines.example",
    };

    /// Reads lines that are all digits.
    struct Digits;

    impl Importer for Digits {
        type Output = usize;
        fn expected(&self) -> &'static Expected {
            &LINES
        }
        fn detect(&self, bytes: &[u8]) -> bool {
            bytes.first().is_some_and(u8::is_ascii_digit)
        }
        fn parse(&self, bytes: &[u8]) -> Result<usize, ImportError> {
            let text = String::from_utf8_lossy(bytes);
            for (i, line) in text.lines().enumerate() {
                if !line.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ImportError::at(i + 1, "expected digits"));
                }
            }
            Ok(text.lines().count())
        }
    }

    #[test]
    fn an_error_names_the_line_and_the_expected_export_in_both_languages() {
        let importers: [&dyn Importer<Output = usize>; 1] = [&Digits];
        assert_eq!(import(&importers, b"1\n2\n"), Ok(2));
        let refusal = import(&importers, b"1\nx\n").unwrap_err();
        assert_eq!(refusal.error.line(), Some(2));
        let en = refusal.sentence(Lang::En);
        assert!(en.starts_with("line 2: expected digits."), "{en}");
        assert!(en.contains("downloaded from lines.example"), "{en}");
        let fr = refusal.sentence(Lang::Fr);
        assert!(fr.starts_with("ligne 2 : "), "{fr}");
        assert!(fr.contains("à télécharger sur lines.example"), "{fr}");
        assert!(!en.contains('`') && !fr.contains('`'));
    }

    #[test]
    fn an_empty_file_is_named_as_empty() {
        let importers: [&dyn Importer<Output = usize>; 1] = [&Digits];
        for empty in [&b""[..], b"\n\r\n  ", b"\xEF\xBB\xBF\n"] {
            let refusal = import(&importers, empty).unwrap_err();
            assert_eq!(refusal.error, ImportError::EmptyFile);
            assert!(refusal.sentence(Lang::En).starts_with("the file is empty."));
            assert!(
                refusal
                    .sentence(Lang::Fr)
                    .starts_with("le fichier est vide.")
            );
        }
        let refusal = import(&importers, b"hello").unwrap_err();
        assert_eq!(refusal.error, ImportError::Unrecognised);
        assert_eq!(refusal.expected, vec![&LINES]);
    }

    #[test]
    fn a_file_no_importer_recognised_is_not_said_to_look_like_the_only_export_known() {
        let importers: [&dyn Importer<Output = usize>; 1] = [&Digits];
        let refusal = import(&importers, b"hello").unwrap_err();
        let en = refusal.sentence(Lang::En);
        assert!(
            en.contains("selfdata reads a file of numbered lines"),
            "{en}"
        );
        assert!(!en.contains("looks like"), "{en}");
        let fr = refusal.sentence(Lang::Fr);
        assert!(fr.contains("selfdata lit un fichier de lignes"), "{fr}");
        // A file taken for the one export and refused at a line still says so.
        let refusal = import(&importers, b"1\nx\n").unwrap_err();
        assert!(refusal.sentence(Lang::En).contains("This looks like"));
    }
}

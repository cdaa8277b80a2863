//! Why an archive is refused, told to a resident in French and English.
//!
//! Every refusal is a whole sentence: what is wrong, and what the resident
//! can do (download again, ask again for JSON). Names of files inside the
//! archive are shown quoted and shortened, never raw.

use selfdata_sources::Lang;
use selfdata_sources::text::shown;

use crate::model::Platform;

/// A cap that an archive broke, with the figure it broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// One file decompresses to more than this many bytes.
    EntrySize(u64),
    /// The files read decompress to more than this many bytes together.
    TotalSize(u64),
    /// One file decompresses to more than this many times its compressed size.
    Ratio(u64),
    /// One JSON text value is longer than this many bytes.
    Text(u64),
    /// Two files share the same compressed bytes (the "overlapping" zip bomb).
    Overlap,
}

/// What makes a file name inside the archive unsafe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsafeName {
    /// A `..` segment: it climbs out of the folder it is unpacked into.
    Traversal,
    /// Starts with `/`.
    Absolute,
    /// Starts with a drive letter (`C:`).
    Drive,
    /// Holds a backslash (a Windows separator that hides a `..`).
    Backslash,
    /// Holds control characters.
    Control,
    /// Longer than the cap, in bytes.
    TooLong(usize),
    /// No name at all.
    Empty,
}

/// Why an archive could not be read. Nothing read from a refused archive is
/// kept: a refusal is the whole answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    #[error(
        "This file is not a zip archive. selfdata reads the zip files that Google Takeout and \
         Facebook or Instagram “Download your information” send."
    )]
    NotZip,
    #[error(
        "This zip archive is cut short: its table of contents, at the end, is missing. \
         Download it again."
    )]
    Truncated,
    #[error(
        "This zip archive is damaged: its table of contents cannot be read. Download it again."
    )]
    Damaged,
    #[error("The archive is empty: it holds no files.")]
    Empty,
    #[error("This archive holds {count} files, more than the {max} selfdata reads in one archive.")]
    TooManyEntries { count: u64, max: u64 },
    #[error("{}", unsafe_en(name, *why))]
    UnsafeName { name: String, why: UnsafeName },
    #[error(
        "This archive is refused: {} is a symbolic link, which an export from Google or Meta \
         never holds.",
        shown(name)
    )]
    Symlink { name: String },
    #[error(
        "This archive is refused: it holds two files named {}, so which one to read is unclear.",
        shown(name)
    )]
    Duplicate { name: String },
    #[error(
        "This archive is refused: {} is protected by a password. Exports from Google and Meta \
         are not; download the archive again as it was sent.",
        shown(name)
    )]
    Encrypted { name: String },
    #[error("{}", too_large_en(name.as_deref(), *cap))]
    TooLarge { name: Option<String>, cap: Cap },
    #[error(
        "The file {} in this archive is compressed with a method selfdata does not read \
         (only “stored” and “deflate”).",
        shown(name)
    )]
    Unsupported { name: String },
    #[error(
        "The file {} in this archive is damaged (cut short, or its checksum does not match). \
         Download the archive again.",
        shown(name)
    )]
    DamagedEntry { name: String },
    #[error(
        "The file {} in this archive is not valid JSON (line {line}). Download the archive again.",
        shown(name)
    )]
    DamagedJson { name: String, line: usize },
    #[error("{}", html_only(*platform, Lang::En))]
    HtmlOnly { platform: Platform },
    #[error(
        "This zip archive is not an export selfdata reads. selfdata reads Google Takeout \
         archives (with “My Activity”) and Facebook or Instagram “Download your information” \
         archives."
    )]
    Unrecognised,
    /// The reader handed over failed; the detail is the system's, in English.
    #[error("The archive could not be read ({0}).")]
    Read(String),
}

/// `2 GiB`, `1 MiB`, `64 KiB` or `500 bytes`; French units when asked.
pub(crate) fn size(n: u64, lang: Lang) -> String {
    const KIB: u64 = 1024;
    let units = match lang {
        Lang::En => ["GiB", "MiB", "KiB", "bytes"],
        Lang::Fr => ["Gio", "Mio", "Kio", "octets"],
    };
    for (i, unit) in [KIB * KIB * KIB, KIB * KIB, KIB].into_iter().enumerate() {
        if n >= unit && n.is_multiple_of(unit) {
            return format!("{} {}", n / unit, units[i]);
        }
    }
    format!("{n} {}", units[3])
}

fn unsafe_en(name: &str, why: UnsafeName) -> String {
    let name = shown(name);
    let why = match why {
        UnsafeName::Traversal => "climbs out of its folder (“..”)".to_string(),
        UnsafeName::Absolute => "is an absolute path".into(),
        UnsafeName::Drive => "names a Windows drive".into(),
        UnsafeName::Backslash => "uses backslashes".into(),
        UnsafeName::Control => "holds control characters".into(),
        UnsafeName::TooLong(max) => format!("is longer than {max} bytes"),
        UnsafeName::Empty => "is empty".into(),
    };
    format!(
        "This archive is refused: the file name {name} {why}, so unpacking it could write \
         outside its folder."
    )
}

fn unsafe_fr(name: &str, why: UnsafeName) -> String {
    let name = shown(name);
    let why = match why {
        UnsafeName::Traversal => "remonte hors de son dossier (« .. »)".to_string(),
        UnsafeName::Absolute => "est un chemin absolu".into(),
        UnsafeName::Drive => "désigne un lecteur Windows".into(),
        UnsafeName::Backslash => "contient des barres obliques inverses".into(),
        UnsafeName::Control => "contient des caractères de contrôle".into(),
        UnsafeName::TooLong(max) => format!("dépasse {max} octets"),
        UnsafeName::Empty => "est vide".into(),
    };
    format!(
        "Cette archive est refusée : le nom de fichier {name} {why}, si bien que la décompresser \
         pourrait écrire hors de son dossier."
    )
}

fn too_large_en(name: Option<&str>, cap: Cap) -> String {
    let name = name.map_or_else(|| "a file".to_string(), shown);
    let why = match cap {
        Cap::EntrySize(n) => format!("{name} decompresses to more than {}", size(n, Lang::En)),
        Cap::TotalSize(n) => format!(
            "the files read decompress to more than {} together",
            size(n, Lang::En)
        ),
        Cap::Ratio(r) => {
            format!("{name} decompresses to more than {r} times its compressed size (a zip bomb?)")
        }
        Cap::Text(n) => format!("{name} holds a text longer than {}", size(n, Lang::En)),
        Cap::Overlap => "two of its files share the same compressed bytes (a zip bomb)".into(),
    };
    format!("This archive is refused as too large to read safely: {why}.")
}

fn too_large_fr(name: Option<&str>, cap: Cap) -> String {
    let name = name.map_or_else(|| "un fichier".to_string(), shown);
    let why = match cap {
        Cap::EntrySize(n) => format!("{name} dépasse {} une fois décompressé", size(n, Lang::Fr)),
        Cap::TotalSize(n) => format!(
            "les fichiers lus dépassent {} ensemble une fois décompressés",
            size(n, Lang::Fr)
        ),
        Cap::Ratio(r) => format!(
            "{name} décompressé est plus de {r} fois plus gros que compressé (une bombe zip ?)"
        ),
        Cap::Text(n) => format!("{name} contient un texte de plus de {}", size(n, Lang::Fr)),
        Cap::Overlap => {
            "deux de ses fichiers partagent les mêmes octets compressés (une bombe zip)".into()
        }
    };
    format!("Cette archive est refusée, trop grosse pour être lue sans risque : {why}.")
}

/// The sentence for an archive of web pages only: ask again, in JSON.
fn html_only(platform: Platform, lang: Lang) -> String {
    let how = match (platform, lang) {
        (Platform::Google, Lang::En) => {
            "on takeout.google.com, under “My Activity”, open “Multiple formats” and choose JSON \
             for your activity records"
        }
        (Platform::Google, Lang::Fr) => {
            "sur takeout.google.com, dans « Mon activité », ouvrez « Plusieurs formats » et \
             choisissez JSON pour les enregistrements d’activité"
        }
        (_, Lang::En) => {
            "in Accounts Center, under “Download your information”, choose JSON as the format"
        }
        (_, Lang::Fr) => {
            "dans l’Espace Comptes, sous « Télécharger vos informations », choisissez le format \
             JSON"
        }
    };
    match lang {
        Lang::En => format!(
            "This {} archive holds web pages (HTML) only, which selfdata does not read reliably. \
             Ask for your data again in JSON: {how}.",
            platform.archive_name()
        ),
        Lang::Fr => format!(
            "Cette archive {} ne contient que des pages web (HTML), que selfdata ne lit pas de \
             façon fiable. Redemandez vos données au format JSON : {how}.",
            platform.archive_name()
        ),
    }
}

impl ArchiveError {
    /// The refusal for a resident, a whole sentence.
    pub fn sentence(&self, lang: Lang) -> String {
        let Lang::Fr = lang else {
            return self.to_string();
        };
        match self {
            ArchiveError::NotZip => "Ce fichier n’est pas une archive zip. selfdata lit les \
                 fichiers zip qu’envoient Google Takeout et « Télécharger vos informations » de \
                 Facebook ou d’Instagram."
                .into(),
            ArchiveError::Truncated => "Cette archive zip est incomplète : sa table des \
                 matières, à la fin, manque. Téléchargez-la de nouveau."
                .into(),
            ArchiveError::Damaged => "Cette archive zip est abîmée : sa table des matières est \
                 illisible. Téléchargez-la de nouveau."
                .into(),
            ArchiveError::Empty => "L’archive est vide : elle ne contient aucun fichier.".into(),
            ArchiveError::TooManyEntries { count, max } => format!(
                "Cette archive contient {count} fichiers, plus que les {max} que selfdata lit \
                 dans une archive."
            ),
            ArchiveError::UnsafeName { name, why } => unsafe_fr(name, *why),
            ArchiveError::Symlink { name } => format!(
                "Cette archive est refusée : {} est un lien symbolique, ce qu’un export de \
                 Google ou de Meta ne contient jamais.",
                shown(name)
            ),
            ArchiveError::Duplicate { name } => format!(
                "Cette archive est refusée : elle contient deux fichiers nommés {}, on ne sait \
                 donc pas lequel lire.",
                shown(name)
            ),
            ArchiveError::Encrypted { name } => format!(
                "Cette archive est refusée : {} est protégé par un mot de passe. Les exports de \
                 Google et de Meta ne le sont pas ; téléchargez de nouveau l’archive telle \
                 qu’envoyée.",
                shown(name)
            ),
            ArchiveError::TooLarge { name, cap } => too_large_fr(name.as_deref(), *cap),
            ArchiveError::Unsupported { name } => format!(
                "Le fichier {} de cette archive est compressé d’une façon que selfdata ne lit \
                 pas (seulement « stored » et « deflate »).",
                shown(name)
            ),
            ArchiveError::DamagedEntry { name } => format!(
                "Le fichier {} de cette archive est abîmé (incomplet, ou sa somme de contrôle ne \
                 correspond pas). Téléchargez de nouveau l’archive.",
                shown(name)
            ),
            ArchiveError::DamagedJson { name, line } => format!(
                "Le fichier {} de cette archive n’est pas du JSON valide (ligne {line}). \
                 Téléchargez de nouveau l’archive.",
                shown(name)
            ),
            ArchiveError::HtmlOnly { platform } => html_only(*platform, Lang::Fr),
            ArchiveError::Unrecognised => "Cette archive zip n’est pas un export que selfdata \
                 lit. selfdata lit les archives Google Takeout (avec « Mon activité ») et les \
                 archives « Télécharger vos informations » de Facebook ou d’Instagram."
                .into(),
            ArchiveError::Read(e) => format!("L’archive n’a pas pu être lue ({e})."),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_written_in_the_largest_whole_unit() {
        assert_eq!(size(2 << 30, Lang::En), "2 GiB");
        assert_eq!(size(1 << 20, Lang::Fr), "1 Mio");
        assert_eq!(size(64 << 10, Lang::En), "64 KiB");
        assert_eq!(size(1000, Lang::Fr), "1000 octets");
    }

    #[test]
    fn a_hostile_name_is_shown_escaped_and_shortened() {
        let e = ArchiveError::Duplicate {
            name: format!("a\u{1b}[31m{}", "x".repeat(200)),
        };
        for lang in [Lang::En, Lang::Fr] {
            let s = e.sentence(lang);
            assert!(!s.contains('\u{1b}'), "{s}");
            assert!(s.len() < 300, "{s}");
        }
    }
}

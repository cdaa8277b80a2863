//! # selfdata-archives: who holds data on me, from GDPR export archives
//!
//! The big platforms must hand every person their data (GDPR articles 15 and
//! 20). Their archives name the organisations that hold data on the person:
//! Google's record of their activity product by product, and the advertisers
//! that uploaded their details to Facebook or Instagram or sent Meta their
//! activity on other sites. This crate reads such an archive, a zip, from any
//! `Read + Seek` and gives that evidence as plain values ([`Archive`],
//! [`Evidence`]); it does no other IO, no HTTP, and knows nothing of the store.
//!
//! ```no_run
//! # fn main() -> Result<(), selfdata_archives::ArchiveError> {
//! let file = std::fs::File::open("takeout-20240101T000000Z-001.zip").unwrap();
//! let archive = selfdata_archives::read_archive(file, |bytes| eprintln!("{bytes} bytes read"))?;
//! for e in &archive.evidence {
//!     println!("{}: {}", e.organisation, e.sentence(selfdata_archives::Lang::En));
//! }
//! # Ok(()) }
//! ```
//!
//! ## What is refused, and the caps
//!
//! An archive is refused whole, with an [`ArchiveError`] whose
//! [`sentence`](ArchiveError::sentence) says why in French or English,
//! before anything it holds is used:
//!
//! | refused | how it is noticed |
//! |---|---|
//! | not a zip; a zip cut short; a damaged table of contents | the end record, then each central-directory entry |
//! | more than [`MAX_ENTRIES`] entries | the count the end record declares, then the entries walked |
//! | an unsafe name: `..`, a leading `/`, a drive letter, a backslash, control characters, more than [`MAX_NAME_BYTES`] bytes | every name, before any content is read |
//! | a symbolic link, an encrypted entry, two entries of the same name | every entry's metadata, before any content is read |
//! | a zip bomb: entries sharing compressed bytes | every entry's range (local header, name, data) compared with the next |
//! | a zip bomb: one file over [`MAX_ENTRY_BYTES`], all files read over [`MAX_TOTAL_BYTES`], or more than [`MAX_RATIO`] times its compressed size once past [`RATIO_FREE_BYTES`] | a counting reader under every file opened; the sizes the zip declares are never trusted |
//! | a JSON string longer than [`MAX_TEXT_BYTES`] in a file recognised as ours (in any other file, the file is left) | the JSON followed byte by byte as it streams |
//! | a compression method other than stored and deflate; a damaged file (bad checksum, cut short); a recognised JSON file that breaks off | while it is read |
//! | an archive of HTML pages only ([`ArchiveError::HtmlOnly`]: ask again in JSON) | the pages' marks, or Google/Meta folder names with more HTML than JSON files |
//!
//! Memory does not grow with the archive: the central directory is walked one
//! entry at a time (keeping a 16-byte digest and range per entry for the
//! duplicate and overlap checks), only files ending in `.json` and (at most
//! [`MAX_HTML_PAGES`]) `.html` are opened, a JSON file is streamed record by
//! record, an unrecognised one is left after [`SNIFF_BYTES`], and what is kept
//! is one row per organisation and kind (at most [`MAX_EVIDENCE`] of them)
//! with counts and first/last times. [`Limits`] holds every cap;
//! [`read_archive_with`] takes others (tests use small ones). The input is
//! read through a 64 KiB buffer that is filled whole whatever the reader
//! answers, so the result never depends on how the reader hands out bytes.
//!
//! Measured once (release build, `examples/archive.rs`): a generated
//! Takeout of 197 MB (about 1 GB decompressed, a 232 MB YouTube history)
//! read in 7.7 s at 4.5 MB peak resident memory, where `unzip -p` of the
//! same archive to `/dev/null` took 6.3 s; an archive of 200,000 entries,
//! 0.3 s and 11.5 MB.
//!
//! ## The layouts read, recognised by content
//!
//! Folder and file names are localised ("My Activity", "Mon activité",
//! "Meine Aktivitäten", "Mi actividad"…) and change between years, so a file
//! is recognised by what it holds (see the `json` module); names only break
//! a tie between Facebook and Instagram, and recognise an archive that holds
//! nothing readable.
//!
//! - **Google Takeout, My Activity** (`My Activity/<Product>/MyActivity.json`,
//!   localised): a root array of `{"header", "title", "titleUrl", "time",
//!   "products", "details"}`. Per product (the `header`): how many records,
//!   how many marked as ads, first and last time, all held by Google
//!   ([`EvidenceKind::ProductActivity`]). A record that is an ad (its
//!   `details` name "Google Ads", or its link goes through
//!   `googleadservices`/`doubleclick`) and whose link leads to a site Google
//!   does not run (the `adurl`, `q` or `url` parameter of Google's redirect,
//!   or the link itself) names that site: the resident followed its ad, and
//!   Google passed the click on to it ([`EvidenceKind::AdClicks`]). Ads that
//!   lead to Google's own pages (a YouTube video ad) name no one; visits to
//!   sites that were not ads are not evidence of anything held.
//! - **Facebook and Instagram, advertisers**: a root key starting
//!   `custom_audiences` (`custom_audiences` and `custom_audiences_v2`, lists
//!   of names, 2018–2021; `custom_audiences_all_types_v2`, objects, since
//!   2022) or `ig_custom_audiences_all_types` (Instagram): objects
//!   `{advertiser_name, has_data_file_custom_audience,
//!   has_remarketing_custom_audience, has_in_person_store_visit}`, or bare
//!   names, which the oldest archives listed as advertisers who uploaded a
//!   contact list ([`EvidenceKind::Audience`]).
//! - **Facebook and Instagram, activity off the platform**: a root key holding
//!   `off_facebook_activity` (`off_facebook_activity`, then `_v2`) or
//!   `off_meta_activity` (`apps_and_websites_off_meta_activity`, Instagram):
//!   `[{name, events: [{id, type, timestamp}]}]`, events counted by type with
//!   first and last time ([`EvidenceKind::ActivityFromElsewhere`]).
//! - Meta's text is mojibake (each UTF-8 byte escaped as `\u00XX`): repaired
//!   by reading the characters as Latin-1 bytes and decoding them as UTF-8,
//!   only when that succeeds (the `text` module).
//! - Times are UTC ([`jiff::Timestamp`]); a record without a readable time or
//!   name is counted as skipped ([`Tally`], [`FileRead`]).
//!
//! Organisations are kept as written; [`key`] groups names across sources
//! (case, accents, punctuation, legal forms, a few aliases). [`generate`]
//! writes realistic archives of both platforms for tests, demos and
//! benchmarks; [`fuzzing`] holds the property the fuzz target checks.

mod collect;
mod container;
mod error;
pub mod fuzzing;
pub mod generate;
mod html;
mod json;
mod lenient;
mod model;
pub mod names;
mod read;
mod text;

pub use error::{ArchiveError, Cap, UnsafeName};
pub use model::{Archive, Evidence, EvidenceKind, FileRead, Note, Platform, Section, Tally};
pub use names::key;
pub use read::{read_archive, read_archive_with};
pub use selfdata_sources::Lang;

/// Most entries (files and folders) an archive may hold. A Takeout part with
/// a large photo library holds about a hundred thousand.
pub const MAX_ENTRIES: u64 = 300_000;
/// Most bytes an entry's name may have.
pub const MAX_NAME_BYTES: usize = 1024;
/// Most bytes one file may decompress to (a decade of YouTube history is a
/// few hundred MB).
pub const MAX_ENTRY_BYTES: u64 = 2 << 30;
/// Most bytes all the files opened may decompress to, together.
pub const MAX_TOTAL_BYTES: u64 = 8 << 30;
/// Most times a file may be larger than its compressed bytes, once past
/// [`RATIO_FREE_BYTES`] (JSON compresses about tenfold, not two hundredfold).
pub const MAX_RATIO: u64 = 200;
/// Below this size a file's compression ratio is not checked.
pub const RATIO_FREE_BYTES: u64 = 1 << 20;
/// Longest JSON string read (serde holds a string whole).
pub const MAX_TEXT_BYTES: u64 = 1 << 20;
/// How much of a JSON file is read before it is left as not ours.
pub const SNIFF_BYTES: u64 = 1 << 20;
/// How much of an HTML page is looked at.
pub const HTML_SNIFF_BYTES: usize = 16 << 10;
/// Most HTML pages looked at in one archive.
pub const MAX_HTML_PAGES: u64 = 200;
/// Most rows of evidence (organisation × kind) kept from one archive.
pub const MAX_EVIDENCE: usize = 100_000;
/// Most characters an organisation's name keeps.
pub const MAX_NAME_CHARS: usize = 300;
/// Most files listed in [`Archive::files`].
pub const MAX_FILES_LISTED: usize = 10_000;

/// Every cap of the reader; [`Limits::default`] holds the constants above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub entries: u64,
    pub name_bytes: usize,
    pub entry_bytes: u64,
    pub total_bytes: u64,
    pub ratio: u64,
    pub ratio_free_bytes: u64,
    pub text_bytes: u64,
    pub sniff_bytes: u64,
    pub html_sniff_bytes: usize,
    pub html_pages: u64,
    pub evidence: usize,
    pub name_chars: usize,
    pub files_listed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            entries: MAX_ENTRIES,
            name_bytes: MAX_NAME_BYTES,
            entry_bytes: MAX_ENTRY_BYTES,
            total_bytes: MAX_TOTAL_BYTES,
            ratio: MAX_RATIO,
            ratio_free_bytes: RATIO_FREE_BYTES,
            text_bytes: MAX_TEXT_BYTES,
            sniff_bytes: SNIFF_BYTES,
            html_sniff_bytes: HTML_SNIFF_BYTES,
            html_pages: MAX_HTML_PAGES,
            evidence: MAX_EVIDENCE,
            name_chars: MAX_NAME_CHARS,
            files_listed: MAX_FILES_LISTED,
        }
    }
}

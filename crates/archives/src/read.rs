//! [`read_archive`]: the container checked, the files streamed, the
//! platform decided from what the content showed.

use std::cmp::Ordering;
use std::io::{Read, Seek};

use crate::Limits;
use crate::collect::Collector;
use crate::container::{Container, Fail, NameHints, Progress, Visit, is_html, is_json};
use crate::error::ArchiveError;
use crate::html::{self, Page};
use crate::json;
use crate::model::{Archive, FileRead, Note, Platform, Section, Tally};

/// What the content showed while the files streamed by.
#[derive(Debug, Default)]
struct Seen {
    /// Files read as evidence, by the platform their keys name.
    google: u64,
    facebook: u64,
    instagram: u64,
    /// Files read as evidence whose keys do not say Facebook or Instagram.
    meta_unsure: u64,
    /// Keys of the platforms' other files.
    google_keys: u64,
    meta_keys: u64,
    /// HTML pages looked at, and whose they were.
    html_sniffed: u64,
    html_google: u64,
    html_meta: u64,
    html_instagram: u64,
}

struct Reader<'l> {
    limits: &'l Limits,
    collect: Collector,
    files: Vec<FileRead>,
    tally: Tally,
    seen: Seen,
}

impl Visit for Reader<'_> {
    fn wants(&mut self, name: &str) -> bool {
        is_json(name) || (is_html(name) && self.seen.html_sniffed < self.limits.html_pages)
    }

    fn read(&mut self, name: &str, content: &mut dyn Read) -> Result<(), Fail> {
        self.tally.opened += 1;
        if !is_json(name) {
            self.seen.html_sniffed += 1;
            match html::sniff(content, self.limits.html_sniff_bytes)? {
                Some(Page::GoogleActivity) => self.seen.html_google += 1,
                Some(Page::Meta { instagram }) => {
                    self.seen.html_meta += 1;
                    self.seen.html_instagram += u64::from(instagram);
                }
                None => {}
            }
            return Ok(());
        }
        let file = json::read(content, name, &mut self.collect, self.limits)?;
        self.seen.google_keys += file.google_keys;
        self.seen.meta_keys += file.meta_keys;
        let Some(section) = file.section else {
            return Ok(());
        };
        match (section, file.platform) {
            (Section::MyActivity, _) | (_, Some(Platform::Google)) => self.seen.google += 1,
            (_, Some(Platform::Facebook)) => self.seen.facebook += 1,
            (_, Some(Platform::Instagram)) => self.seen.instagram += 1,
            (_, None) => self.seen.meta_unsure += 1,
        }
        self.tally.read += 1;
        self.tally.items += file.items;
        self.tally.skipped_items += file.skipped;
        if self.files.len() < self.limits.files_listed {
            self.files.push(FileRead {
                path: name.to_string(),
                section,
                items: file.items,
                skipped: file.skipped,
            });
        } else {
            self.tally.files_not_listed += 1;
        }
        Ok(())
    }
}

/// Facebook or Instagram, for what does not say: the files' keys first,
/// then the names, then the pages.
fn meta_platform(seen: &Seen, hints: &NameHints) -> Platform {
    match seen.instagram.cmp(&seen.facebook) {
        Ordering::Greater => Platform::Instagram,
        Ordering::Less => Platform::Facebook,
        Ordering::Equal => match hints.instagram.cmp(&hints.facebook) {
            Ordering::Greater => Platform::Instagram,
            Ordering::Less => Platform::Facebook,
            Ordering::Equal if seen.html_instagram * 2 > seen.html_meta => Platform::Instagram,
            Ordering::Equal => Platform::Facebook,
        },
    }
}

/// Reads a GDPR export archive with the default [`Limits`]: checks the zip,
/// recognises the platform from the content, and gathers who holds data on
/// the resident. `progress` is told how far into the archive the reading is
/// (bytes, never decreasing, the archive's size last). See the crate's
/// documentation for what is read and what is refused.
pub fn read_archive<R: Read + Seek>(
    r: R,
    progress: impl FnMut(u64),
) -> Result<Archive, ArchiveError> {
    read_archive_with(r, &Limits::default(), progress)
}

/// [`read_archive`] with other caps.
pub fn read_archive_with<R: Read + Seek>(
    r: R,
    limits: &Limits,
    mut progress: impl FnMut(u64),
) -> Result<Archive, ArchiveError> {
    let mut zip = Container::open(r, *limits)?;
    let listing = zip.check()?;
    if listing.files == 0 {
        return Err(ArchiveError::Empty);
    }
    let mut reader = Reader {
        limits,
        collect: Collector::new(limits.evidence),
        files: Vec::new(),
        tally: Tally {
            entries: listing.files,
            ..Tally::default()
        },
        seen: Seen::default(),
    };
    let mut progress = Progress::new(&mut progress);
    reader.tally.decompressed = zip.walk(&mut reader, &mut progress)?;
    let hints = listing.hints;
    let Reader {
        collect,
        files,
        tally,
        seen,
        ..
    } = reader;
    let meta = meta_platform(&seen, &hints);
    if tally.read == 0 {
        // Nothing names an organisation: an export in HTML, an export without
        // the parts that do, or not an export.
        let by_names = if hints.takeout > 0 {
            Some(Platform::Google)
        } else if hints.meta + hints.facebook + hints.instagram > 0 {
            Some(meta)
        } else {
            None
        };
        if seen.html_google > 0 {
            return Err(ArchiveError::HtmlOnly {
                platform: Platform::Google,
            });
        }
        if seen.html_meta > 0 {
            return Err(ArchiveError::HtmlOnly { platform: meta });
        }
        if let Some(platform) = by_names
            && hints.html > hints.json
        {
            return Err(ArchiveError::HtmlOnly { platform });
        }
        let by_keys = if seen.google_keys > seen.meta_keys {
            Some(Platform::Google)
        } else if seen.meta_keys > 0 {
            Some(meta)
        } else {
            None
        };
        let Some(platform) = by_names.or(by_keys) else {
            return Err(ArchiveError::Unrecognised);
        };
        return Ok(Archive {
            platform,
            evidence: Vec::new(),
            files,
            tally,
            notes: vec![Note::NothingFound],
        });
    }
    let platform = if seen.google >= seen.facebook + seen.instagram + seen.meta_unsure {
        Platform::Google
    } else {
        meta
    };
    let dropped = collect.dropped;
    let evidence = collect.finish(meta);
    let mut notes = Vec::new();
    let html_pages = match platform {
        Platform::Google => seen.html_google,
        _ => seen.html_meta,
    };
    if html_pages > 0 {
        notes.push(Note::HtmlParts { pages: html_pages });
    }
    if evidence.is_empty() {
        notes.push(Note::NothingFound);
    }
    if dropped > 0 {
        notes.push(Note::OverCap { dropped });
    }
    Ok(Archive {
        platform,
        evidence,
        files,
        tally,
        notes,
    })
}
